"""Kernels of ``beta * erf(alpha * z)`` with means, in closed form (float64 and mpmath).

For ``erf`` itself (``alpha = beta = 1``), with ``A = 1 + 2a``, ``B = 1 + 2b`` and
``D = A B - 4c^2 = 1 + 2(a + b) + 4(ab - c^2)`` (the second form, as in the bias-free
modules: no cancellation on the diagonal; ``D >= 1`` for every covariance, so nothing below
is singular, not even on the diagonal or for parallel rows), docs/theory.md, "Biases"::

    K00 = 1 - 4 T(h1, a1) - 4 T(h2, a2) - 2 [m1 m2 < 0]                      (m1 m2 != 0)
        = -4 T(h1 + h2, -2c / sqrt(D))                                        (m1 m2 == 0)
      h1 = sqrt(2/A) m1,  h2 = sqrt(2/B) m2,
      a1 = (A m2 - 2c m1) / (m1 sqrt(D)),  a2 = (B m1 - 2c m2) / (m2 sqrt(D))
    K11 = 4 / (pi sqrt(D)) exp(-(B m1^2 - 4c m1 m2 + A m2^2) / D)
    K10 = 2 / sqrt(pi A) exp(-m1^2 / A) erf(g1),   g1 = (A m2 - 2c m1) / sqrt(A D)
    K20 = 2 / sqrt(pi A) exp(-m1^2 / A) [-(2 m1 / A) erf(g1) - 4c / sqrt(pi A D) exp(-g1^2)]
    K21 = -2 y1 K11,  K12 = -2 y2 K11,  K22 = (4c/D + 4 y1 y2) K11,
    K31 = (4 y1^2 - 2B/D) K11,  K13 = (4 y2^2 - 2A/D) K11,
      y1 = (B m1 - 2c m2) / D,  y2 = (A m2 - 2c m1) / D

and ``K01`` is ``K10`` with ``(A, m1)`` and ``(B, m2)`` exchanged. ``K00`` is Owen's formula
for ``E[erf(m1 + u) erf(m2 + w)] = 4 Phi2 - 2 Phi(h1) - 2 Phi(h2) + 1`` (``erf(t) = 2
Phi(sqrt 2 t) - 1``); at ``m1 = m2 = 0`` it is ``(2/pi) atan(2c / sqrt(D))``, the bias-free
kernel. Every other kernel is elementary: ``K_pq = d^(p-1)/dm1^(p-1) d^q/dm2^q K10`` (Price's
theorem with means). For ``beta * erf(alpha z)``, with ``t = alpha^2``,
``K_pq = beta^2 alpha^(p+q) K_pq^erf(t a, t b, t c, alpha m1, alpha m2)``.
"""

from __future__ import annotations

from math import comb

import numpy as np

from ..symbolic.names import MEAN_NAMES, ORDERS
from .gauss import tools

__all__ = ["erf_extra_mean_kernels", "erf_mean_kernels", "erf_unit_mean_kernels", "erf_unit_kp0"]


def erf_unit_mean_kernels(a, b, c, m1, m2, system: str = "float64") -> tuple:
    """The ten kernels of ``erf(z)`` with means (:data:`~symhess.symbolic.names.MEAN_NAMES`).

    Parameters
    ----------
    a, b, c, m1, m2 : array_like, broadcasting together
        Variances, covariance and means: float64, or object arrays of ``mpmath.mpf``.
    system : {"float64", "mpmath"}

    Returns
    -------
    tuple of 10 ndarrays of the broadcast shape
    """
    e = tools(system)
    a, b, c, m1, m2 = np.broadcast_arrays(*(e.array(x) for x in (a, b, c, m1, m2)))
    A = 1 + 2 * a
    B = 1 + 2 * b
    D = 1 + 2 * (a + b) + 4 * (a * b - c * c)
    sD = e.sqrt(D)
    y1 = (B * m1 - 2 * c * m2) / D
    y2 = (A * m2 - 2 * c * m1) / D
    K11 = 4 / (e.pi * sD) * e.exp(-(B * m1 * m1 - 4 * c * m1 * m2 + A * m2 * m2) / D)
    g1 = (A * m2 - 2 * c * m1) / e.sqrt(A * D)
    g2 = (B * m1 - 2 * c * m2) / e.sqrt(B * D)
    pre1 = 2 / e.sqrt(e.pi * A) * e.exp(-m1 * m1 / A)
    pre2 = 2 / e.sqrt(e.pi * B) * e.exp(-m2 * m2 / B)
    erf1 = e.erf(g1)
    out = {
        "K00": _k00(c, m1, m2, A, B, sD, e),
        "K11": K11,
        "K20": pre1 * (-2 * m1 / A * erf1 - 4 * c / e.sqrt(e.pi * A * D) * e.exp(-g1 * g1)),
        "K22": (4 * c / D + 4 * y1 * y2) * K11,
        "K31": (4 * y1 * y1 - 2 * B / D) * K11,
        "K13": (4 * y2 * y2 - 2 * A / D) * K11,
        "K10": pre1 * erf1,
        "K01": pre2 * e.erf(g2),
        "K21": -2 * y1 * K11,
        "K12": -2 * y2 * K11,
    }
    return tuple(out[n] for n in MEAN_NAMES)


def _k00(c, m1, m2, A, B, sD, e):
    """``E[erf(m1 + u) erf(m2 + w)]`` by Owen's T (module docstring)."""
    z1 = np.asarray(m1 == 0, dtype=bool)
    z2 = np.asarray(m2 == 0, dtype=bool)
    axis = z1 | z2
    # the general branch divides by m1, m2: safe values where the axis branch is taken
    m1s = e.where(z1, e.one, m1)
    m2s = e.where(z2, e.one, m2)
    h1 = e.sqrt(2 / A) * m1
    h2 = e.sqrt(2 / B) * m2
    if np.all(axis):
        return -4 * e.T(h1 + h2, -2 * c / sD)
    a1 = (A * m2 - 2 * c * m1) / (m1s * sD)
    a2 = (B * m1 - 2 * c * m2) / (m2s * sD)
    opposite = np.asarray(m1 * m2 < 0, dtype=bool)
    general = 1 - 4 * e.T(h1, a1) - 4 * e.T(h2, a2) - 2 * opposite
    if not np.any(axis):
        return general
    return e.where(axis, -4 * e.T(h1 + h2, -2 * c / sD), general)


def erf_unit_kp0(a, b, c, m1, m2, p: int, system: str = "float64"):
    """``K_p0 = E[erf^(p)(m1 + u) erf(m2 + w)]`` for ``p >= 1`` (``K30``, ``K40`` of the
    Hessian away from the optimum), elementary.

    ``K_p0 = d^(p-1)/dm1^(p-1) K10`` by Leibniz's rule on ``K10 = kappa E(m1) erf(g1)``,
    ``kappa = 2 / sqrt(pi A)``, ``E = exp(-m1^2 / A)``, ``g1`` linear in ``m1`` with slope
    ``gamma = -2c / sqrt(A D)``::

        K_p0 = kappa sum_k C(p-1, k) E^(p-1-k) gamma^k erf^(k)(g1),
        E^(j) = (-sqrt(2/A))^j He_j(sqrt(2/A) m1) E,
        erf^(k)(g) = (-1)^(k-1) (2/sqrt(pi)) H_(k-1)(g) exp(-g^2)   (k >= 1)

    with the probabilists' ``He`` and the physicists' ``H`` Hermite polynomials.
    """
    e = tools(system)
    a, b, c, m1, m2 = np.broadcast_arrays(*(e.array(x) for x in (a, b, c, m1, m2)))
    A = 1 + 2 * a
    D = 1 + 2 * (a + b) + 4 * (a * b - c * c)
    s2A = e.sqrt(2 / A)
    x = s2A * m1
    E = e.exp(-m1 * m1 / A)
    g1 = (A * m2 - 2 * c * m1) / e.sqrt(A * D)
    gamma = -2 * c / e.sqrt(A * D)
    n = p - 1
    He = [1 + 0 * x, x]  # He_j(x)
    H = [1 + 0 * g1, 2 * g1]  # H_k(g1)
    for j in range(1, n):
        He.append(x * He[j] - j * He[j - 1])
        H.append(2 * g1 * H[j] - 2 * j * H[j - 1])
    gauss = 2 / e.sqrt(e.pi) * e.exp(-g1 * g1)
    total = 0 * x
    for k in range(n + 1):
        j = n - k
        dE = (-s2A) ** j * He[j] * E
        derf = e.erf(g1) if k == 0 else (-1) ** (k - 1) * gauss * H[k - 1]
        total = total + comb(n, k) * dE * gamma**k * derf
    return 2 / e.sqrt(e.pi * A) * total


def erf_extra_mean_kernels(a, b, c, m1, m2, beta, t, names, system: str = "float64") -> tuple:
    """``K_p0`` with means of ``beta * erf(sqrt(t) * z)`` for ``names`` (``K30``, ``K40``),
    scaled as :func:`erf_mean_kernels`."""
    e = tools(system)
    alpha = e.sqrt(t)
    a, b, c, m1, m2 = (e.array(x) for x in (a, b, c, m1, m2))
    out = []
    for name in names:
        p, q = ORDERS[name]
        if q != 0 or p < 1:
            raise ValueError(f"only K_p0 with p >= 1 here, not {name}")
        K = erf_unit_kp0(t * a, t * b, t * c, alpha * m1, alpha * m2, p, system)
        out.append(beta * beta * alpha**p * K)
    return tuple(out)


def erf_mean_kernels(a, b, c, m1, m2, beta, t, system: str = "float64") -> tuple:
    """The ten kernels with means of ``beta * erf(sqrt(t) * z)`` (``t = alpha^2 > 0``).

    ``beta`` and ``t`` are numbers of ``system``; see :func:`erf_unit_mean_kernels`.
    """
    e = tools(system)
    alpha = e.sqrt(t)
    a, b, c, m1, m2 = (e.array(x) for x in (a, b, c, m1, m2))
    unit = erf_unit_mean_kernels(t * a, t * b, t * c, alpha * m1, alpha * m2, system)
    return tuple(
        beta * beta * alpha ** sum(ORDERS[n]) * K for n, K in zip(MEAN_NAMES, unit, strict=True)
    )
