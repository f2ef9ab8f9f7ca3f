"""Kernels of any smooth activation by 2-D quadrature, with an error estimate.

``K_pq(a, b, c) = E[sigma^(p)(u) sigma^(q)(w)]`` for ``(u, w) ~ N(0, [[a, c], [c, b]])``,
written with independent standard normals ``x, y`` as ``u = sqrt(a) x``,
``w = sqrt(b) (rho x + sqrt(1 - rho^2) y)``, ``rho = c / sqrt(a b)`` (also for ``rho = 1``,
the diagonal ``i = k``), and summed on a tensor grid of ``order x order`` nodes. The
derivatives come from SymPy, evaluated by :mod:`symhess.activation.evaluate` (no lambdify).

The rule, measured by ``benchmarks/bench_quadrature.py`` (largest error of the six tanh
kernels against a 25-digit mpmath reference for ``a, b, c = 1, 1.44, 0.6``, against the
trapezoid rule at 801 nodes for ``a = b = 4, c = 2``)::

    nodes per axis                  60      80     100     150     200     300
    a = 1    trapezoid           1e-06   7e-10   4e-13   2e-15   1e-15
             Gauss-Hermite       8e-07   3e-08   2e-09   3e-12   1e-14
    a = 4    trapezoid           3e-03   1e-04   4e-06   5e-10   4e-14   1e-14
             Gauss-Hermite       3e-03   7e-04   2e-04   1e-05   9e-07   1e-08

Gauss-Hermite stalls for tanh (its poles at ``z = i pi/2`` limit it, the more so the larger
the variance) and numpy's nodes overflow beyond ~350 points; the trapezoid rule on the
Gaussian-weighted integrand, over ``[-12, 12]`` standard deviations, converges geometrically.
So the trapezoid rule is the default (``rule="gauss-hermite"`` is kept for comparison). The
nodes a smooth activation needs grow like ``sqrt(max(a, b))`` (the poles of
``sigma(sqrt(a) x)`` move towards the real axis): :data:`DEFAULT_ORDER` reaches 1e-13 for
tanh up to ``a, b ~ 4``, and the error estimate shows when more nodes are needed.

The error estimate is the largest difference between the kernels at ``order`` and at
``~3/4 order`` nodes (an upper estimate for a geometrically converging rule), plus, for the
trapezoid rule, the weight of the outermost ring of nodes (the truncation of the domain).

The kernels beyond the six (``K40``, for the Hessian away from the optimum) come from the
same rule with the fourth derivative (:meth:`QuadratureKernels.extra`), with the same error
estimate.

Quadrature kernels evaluate in float64 only: the mpmath number system would need
multiprecision function values on ``order**2`` points per pair of hidden units, minutes even
for small networks; closed forms (erf) are the mpmath route.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.polynomial.hermite_e import hermegauss

from ..activation import Activation, activation
from ..activation.evaluate import derivative_evaluator
from ..base import systems
from ..base.progress import progress
from ..errors import SymhessError
from ..symbolic.names import EXTRA_NAMES, KERNEL_NAMES, ORDERS
from .evaluator import Kernels

__all__ = [
    "DEFAULT_ORDER",
    "HALF_WIDTH",
    "RULES",
    "QuadratureKernels",
    "quadrature_kernels",
    "resolve_quadrature",
    "rule_nodes",
]

DEFAULT_ORDER = 201
"""Nodes per axis of the default rule (trapezoid, step 0.12 standard deviations)."""

HALF_WIDTH = 12.0
"""The trapezoid rule covers ``[-12, 12]`` standard deviations: ``phi(12) = 2e-32``."""

RULES = ("trapezoid", "gauss-hermite")
_MAX_GAUSS_HERMITE = 300  # numpy's hermegauss overflows beyond ~350 nodes
_POINTS_PER_CHUNK = 1_500_000  # grid points evaluated at once (memory ~ 10 arrays of these)
_PROBE = np.concatenate([np.linspace(-30.0, 30.0, 6001), [0.0]])


def rule_nodes(order: int, rule: str = "trapezoid") -> tuple[np.ndarray, np.ndarray]:
    """Nodes ``x`` and weights ``w`` with ``sum w f(x) ~ E[f(X)]``, ``X ~ N(0, 1)``.

    Parameters
    ----------
    order : int
        Number of nodes, at least 2.
    rule : {"trapezoid", "gauss-hermite"}

    Returns
    -------
    x, w : ndarray, shape (order,)
    """
    check_order(order, rule)
    if rule == "trapezoid":
        x = np.linspace(-HALF_WIDTH, HALF_WIDTH, order)
        w = (x[1] - x[0]) * np.exp(-(x**2) / 2) / np.sqrt(2 * np.pi)
        return x, w
    x, w = hermegauss(order)
    return x, w / np.sqrt(2 * np.pi)


def check_order(order, rule: str = "trapezoid") -> int:
    """Refuse an order below 2, or above what the rule supports, in one line."""
    if rule not in RULES:
        raise SymhessError(f"unknown quadrature rule {rule!r}; choose one of {', '.join(RULES)}")
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)):
        raise SymhessError(f"quadrature order must be an integer, got {order!r}")
    if order < 2:
        raise SymhessError(f"quadrature order must be at least 2, got {order}")
    if rule == "gauss-hermite" and order > _MAX_GAUSS_HERMITE:
        raise SymhessError(
            f"Gauss-Hermite order {order} is above {_MAX_GAUSS_HERMITE} (its weights overflow)"
        )
    return int(order)


def _lower_order(order: int) -> int:
    low = max(2, (3 * order) // 4)
    return low if low != order else order + 1


class QuadratureKernels(Kernels):
    """Kernels of a smooth activation by quadrature (float64 only).

    After each call, :attr:`error_estimate` holds the estimate for the values returned and
    :meth:`notes` describes the rule and the estimate for reports.
    """

    def __init__(self, act: Activation, order: int = DEFAULT_ORDER, rule: str = "trapezoid"):
        if act.relu_family is not None:
            raise SymhessError(
                f"{act.source!r} is in the ReLU family alpha*z + beta*relu(z): its kernels are "
                "closed forms (symhess.resolve); quadrature needs the second and third "
                "derivatives of sigma as functions, and here they are Dirac deltas"
            )
        self.order = check_order(order, rule)
        self.rule = rule
        self.lower_order = _lower_order(self.order)
        check_order(self.lower_order, rule)
        self._derivatives = derivative_evaluator(act.expr, 3)
        _check_finite(act, self._derivatives)
        origin = f"{rule} quadrature, {self.order} x {self.order} nodes"
        super().__init__(
            act,
            origin,
            self._evaluate,
            systems=("float64",),
            extra=self._evaluate_extra,
            extra_names=EXTRA_NAMES,
        )
        self.error_estimate: float | None = None
        self._derivatives_extra = None

    def check_system(self, system: str) -> None:
        systems.check_system(system)
        if system != "float64":
            raise SymhessError(
                f"kernels of {self.activation.source!r} come from quadrature, which is float64 "
                f"only (got {system!r}); closed forms (erf) also evaluate in mpmath"
            )

    def _evaluate(self, a, b, c):
        return self._rule(self._derivatives, a, b, c, KERNEL_NAMES)

    def _evaluate_extra(self, a, b, c, system):
        if self._derivatives_extra is None:
            order = max(max(ORDERS[name]) for name in EXTRA_NAMES)
            self._derivatives_extra = derivative_evaluator(self.activation.expr, order)
            _check_finite(self.activation, self._derivatives_extra)
        return self._rule(self._derivatives_extra, a, b, c, EXTRA_NAMES)

    def _rule(self, derivatives, a, b, c, names):
        main = gaussian_kernels(derivatives, a, b, c, self.order, self.rule, names)
        low = gaussian_kernels(derivatives, a, b, c, self.lower_order, self.rule, names)
        n = len(names)
        diff = max(
            float(np.max(np.abs(x - y), initial=0.0))
            for x, y in zip(main[:n], low[:n], strict=True)
        )
        values = tuple(main[:n])
        self.error_estimate = diff + main[n]
        bad = [k for k, v in zip(names, values, strict=True) if not np.all(np.isfinite(v))]
        if bad:
            raise SymhessError(
                f"quadrature of {self.activation.source!r} gives non-finite {bad[0]}: "
                "the activation grows too fast for Gaussian inputs of this variance"
            )
        scale = max(1.0, max(float(np.max(np.abs(v), initial=0.0)) for v in values))
        if main[n] > 1e-8 * scale:
            raise SymhessError(
                f"quadrature of {self.activation.source!r} does not converge: the Gaussian tail "
                f"beyond {HALF_WIDTH:g} standard deviations carries {main[n]:.1e}"
            )
        return values

    def notes(self) -> list[str]:
        lines = [
            f"quadrature  {self.rule} rule, {self.order} x {self.order} nodes per pair of units"
            + (f" on [-{HALF_WIDTH:g}, {HALF_WIDTH:g}] std" if self.rule == "trapezoid" else "")
        ]
        if self.error_estimate is not None:
            lines.append(
                f"            error estimate {self.error_estimate:.1e} (largest difference "
                f"from {self.lower_order} x {self.lower_order} nodes)"
            )
        return lines


def _check_finite(act: Activation, derivatives) -> None:
    values = derivatives(_PROBE)
    for k, v in enumerate(values):
        bad = ~np.isfinite(v)
        if bad.any():
            where = float(_PROBE[np.argmax(bad)])
            name = "sigma" + "'" * k
            raise SymhessError(
                f"activation {act.source!r}: {name} is not a finite real number at "
                f"z = {where:g} (a pole, a root of a negative number, or float64 overflow), "
                "so its Gaussian kernels cannot be computed"
            )


def gaussian_kernels(derivatives, a, b, c, order: int, rule: str = "trapezoid", names=KERNEL_NAMES):
    """The six kernels (or those named) at broadcast ``(a, b, c)`` by a tensor-product rule.

    Parameters
    ----------
    derivatives : callable
        ``z -> [sigma, sigma', sigma'', ...]`` up to the highest order ``names`` need (see
        :mod:`symhess.activation.evaluate`).
    a, b, c : array_like
        Variances and covariance; they broadcast together to a shape ``S``.
    order : int
    rule : {"trapezoid", "gauss-hermite"}
    names : sequence of str
        Kernels to compute (:data:`KERNEL_NAMES`, or e.g. ``("K40",)``).

    Returns
    -------
    list of len(names) + 1
        The kernels (each of shape ``S``, in the order of ``names``), then the largest
        absolute weight of the outermost ring of nodes (0 for Gauss-Hermite).
    """
    x, wt = rule_nodes(order, rule)
    a, b, c = np.broadcast_arrays(*(np.asarray(t, dtype=np.float64) for t in (a, b, c)))
    shape = a.shape
    a, b, c = a.ravel(), b.ravel(), c.ravel()
    if np.any(a < 0) or np.any(b < 0):
        raise SymhessError("variances a, b must be non-negative")
    ab = a * b
    rho = np.clip(np.divide(c, np.sqrt(ab), out=np.zeros_like(c), where=ab > 0), -1.0, 1.0)
    s = np.sqrt(1 - rho**2)
    n_pairs = a.size
    out = np.zeros((len(names), n_pairs))
    ring = 0.0
    chunk = max(1, _POINTS_PER_CHUNK // (order * order))
    starts = range(0, n_pairs, chunk)
    show = False if len(starts) < 20 else None  # a bar only when it runs for a while
    for start in progress(starts, desc="quadrature", unit="chunk", show=show):
        sl = slice(start, start + chunk)
        u = np.sqrt(a[sl])[:, None] * x[None, :]  # (m, n)
        w = np.sqrt(b[sl])[:, None, None] * (
            (rho[sl, None, None] * x[None, :, None]) + s[sl, None, None] * x[None, None, :]
        )  # (m, n, n): u node along axis 1, y node along axis 2
        fu = derivatives(u)
        fw = derivatives(w)
        inner = [g @ wt for g in fw]  # E over y, (m, n) each
        for k, name in enumerate(names):
            p, q = ORDERS[name]
            out[k, sl] = (fu[p] * inner[q]) @ wt
        if rule == "trapezoid":
            ring = max(ring, _ring_weight(fu, fw, wt, names))
    return [out[k].reshape(shape) for k in range(len(names))] + [ring]


def _ring_weight(fu, fw, wt, names=KERNEL_NAMES) -> float:
    """Largest ``|w_k w_l sigma^(p)(u_k) sigma^(q)(w_kl)|`` over the outermost nodes."""
    worst = 0.0
    edge = [0, -1]
    for name in names:
        p, q = ORDERS[name]
        rows = np.abs(fu[p][:, edge, None] * fw[q][:, edge, :]) * (wt[edge, None] * wt[None, :])
        cols = np.abs(fu[p][:, :, None] * fw[q][:, :, edge]) * (wt[:, None] * wt[None, edge])
        worst = max(worst, float(np.max(rows, initial=0.0)), float(np.max(cols, initial=0.0)))
    return worst


@lru_cache(maxsize=32)
def _cached(canonical_source: str, order: int, rule: str) -> QuadratureKernels:
    return QuadratureKernels(activation(canonical_source), order, rule)


def quadrature_kernels(spec, order: int = DEFAULT_ORDER, rule: str = "trapezoid"):
    """:class:`QuadratureKernels` of a smooth activation.

    Parameters
    ----------
    spec : str or Activation
        Any activation of the grammar, e.g. ``"tanh(z)"``, ``"z + 0.1*sin(z)"``.
    order : int
        Nodes per axis (at least 2); the error estimate compares with ``~3/4 order``.
    rule : {"trapezoid", "gauss-hermite"}

    The result can be passed wherever an activation is expected
    (``symhess.hessian(quadrature_kernels("tanh(z)", order=301), W, v)``).
    """
    act = activation(spec)
    check_order(order, rule)
    if isinstance(spec, str):
        return _cached(spec, int(order), rule)
    return QuadratureKernels(act, int(order), rule)


def resolve_quadrature(act: Activation) -> QuadratureKernels:
    """The registry's fallback: quadrature at :data:`DEFAULT_ORDER` for any activation."""
    return quadrature_kernels(act.source if isinstance(act.source, str) else act)
