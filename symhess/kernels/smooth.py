"""What the float64 and the high-precision quadrature of smooth activations share: the
length scale of the activation's features, the check that it is finite, the integration
domain, and the kernels' derivative orders."""

from __future__ import annotations

import numpy as np

from ..errors import SymhessError
from ..symbolic.names import ORDERS

__all__ = ["SAFETY", "check_finite", "domain", "feature_frequency", "kernel_orders"]

SAFETY = 0.25
"""Each error source gets a quarter of the tolerance."""

_PROBE = np.linspace(-30.0, 30.0, 12001)


def feature_frequency(derivatives) -> float:
    """The scale ``omega`` of sigma's features: sigma(z) varies on lengths ``~ 1 / omega``.

    ``max(1, M_{k+1}/M_k, sqrt(M_{k+2}/M_k))`` over ``k >= 1``, with ``M_k = max |sigma^(k)|``
    on ``[-30, 30]``: about 2.6 for ``tanh``, 5 to 13 for ``tanh(5 z)``, 1 for ``sin`` and
    polynomials. It only sets the first step of the rules; the halving test decides.

    Parameters
    ----------
    derivatives : callable
        ``z -> [sigma, sigma', sigma'', ...]`` (at least three derivatives).
    """
    M = [float(np.max(np.abs(v))) for v in derivatives(_PROBE)]
    ratios = [1.0]
    tiny = 1e-300
    for k in range(1, len(M) - 1):
        if M[k] > tiny:
            ratios.append(M[k + 1] / M[k])
            if k + 2 < len(M):
                ratios.append(np.sqrt(M[k + 2] / M[k]))
    return float(max(ratios))


def check_finite(derivatives, source: str) -> None:
    """Refuse an activation whose derivatives are not finite real numbers on ``[-30, 30]``."""
    for k, v in enumerate(derivatives(_PROBE)):
        bad = ~np.isfinite(v)
        if bad.any():
            where = float(_PROBE[np.argmax(bad)])
            raise SymhessError(
                f"activation {source!r}: sigma{chr(39) * k} is not a finite real number at "
                f"z = {where:g} (a pole, a root of a negative number, or float64 overflow), "
                "so its Gaussian kernels cannot be computed"
            )


def domain(
    derivatives,
    a_max: float,
    tol: float,
    source: str,
    power: float = 4.0,
    means=None,
    variances=None,
) -> float:
    """Half-width ``L`` of the ``t`` domain for the largest variance ``a_max``.

    Beyond ``L``, ``|sigma^(p)(m + sqrt(a) t)| exp(-t^2 / power)`` is below ``1e-3 tol`` of
    its peak, for ``m = 0``, or with ``means`` (biases) and their ``variances`` (one per unit)
    for the units that reach furthest: the largest variance, the largest ``|m|``, and the
    largest and smallest ``m / sqrt(a)`` (where sigma's features sit, ``t = -m / sqrt(a)``).
    ``power = 4`` bounds the Hermite integrands
    (Cramer's inequality ``|He_n(t)| exp(-t^2/4) / sqrt(n!) <= 1.09``), ``power = 2`` the 2-D
    rule's. The halving test cannot see this truncation: callers pass a ``tol`` at or below
    the rounding floor, whatever accuracy they aim for.
    """
    units = [(float(a_max), 0.0)]
    if means is not None and np.size(means):
        m = np.asarray(means, dtype=np.float64).reshape(-1)
        a = np.asarray(variances, dtype=np.float64).reshape(-1)
        ratio = m / np.sqrt(np.maximum(a, 1e-300))
        picks = {int(np.argmax(a)), int(np.argmax(np.abs(m))), int(np.argmax(ratio))}
        picks.add(int(np.argmin(ratio)))
        units = [(float(a[j]), float(m[j])) for j in sorted(picks)]
    t = np.linspace(0.0, 80.0, 4001)
    worst_L = 6.0
    inside = t <= 60
    with np.errstate(all="ignore"):
        for a_unit, shift in units:
            r = np.sqrt(a_unit)
            for sign in (1.0, -1.0):
                for p, v in enumerate(derivatives(shift + sign * r * t)):
                    env = np.abs(v) * np.exp(-(t**2) / power)
                    if not np.all(np.isfinite(env[inside])):
                        bad = float(t[np.argmax(~np.isfinite(env))])
                        raise SymhessError(
                            f"kernels of {source!r} at variance a = {a_unit:.3g}"
                            + (f", mean {shift:.3g}" if shift else "")
                            + f": sigma{chr(39) * p}(m + sqrt(a) t) overflows float64 at "
                            f"t = {sign * bad:g} where the Gaussian weight still matters; use "
                            "smaller weights"
                        )
                    peak = float(np.max(env[inside]))
                    if peak == 0.0:
                        continue
                    above = np.nonzero(env > 1e-3 * tol * peak)[0]
                    L = float(t[above[-1]]) + 0.5 if above.size else 0.0
                    if L > 60.0:
                        raise SymhessError(
                            f"kernels of {source!r} at variance a = {a_unit:.3g}: the Gaussian "
                            "integrand has not decayed at 60 standard deviations (sigma grows "
                            "too fast for inputs of this variance)"
                        )
                    worst_L = max(worst_L, L)
    return worst_L


def kernel_orders(names, orders=None) -> tuple[list[tuple[int, int]], int]:
    """The ``(p, q)`` of each kernel name (from ``orders``, default
    :data:`~symhess.symbolic.names.ORDERS`), and how many derivatives they need (max + 1)."""
    orders = ORDERS if orders is None else orders
    try:
        pairs = [tuple(orders[n]) for n in names]
    except KeyError as exc:
        raise SymhessError(f"unknown kernel {exc.args[0]!r}") from None
    return pairs, 1 + max(max(pq) for pq in pairs)
