"""Pennington-Bahri spectrum: Marchenko-Pastur freely convolved with a semicircle.

The model (Pennington & Bahri, ICML 2017) splits the Hessian at a critical point of energy
(loss) ``eps`` into ``H = H0 + H1``: ``H0`` is the Gauss-Newton part, a Wishart matrix, and
``H1`` the residual part, a Wigner matrix whose variance grows with ``eps``. Treating the
two as free, the spectrum of ``H`` is the free additive convolution of their spectra.

Conventions (every function here uses them)
-------------------------------------------
* ``phi = n / m`` is the ratio of parameters ``n`` to data points (residuals) ``m``.
* ``H0 = X X^T / m`` with ``X`` an ``n x m`` matrix of independent ``N(0, 1)`` entries:
  Marchenko-Pastur with ratio ``phi`` and mean eigenvalue 1, support
  ``[(1 - sqrt(phi))^2, (1 + sqrt(phi))^2]`` plus an atom of mass ``1 - 1/phi`` at 0 when
  ``phi > 1``. R-transform ``R0(w) = 1 / (1 - phi w)``.
* ``H1`` has the semicircle law of *variance* (second moment) ``2 eps``, support
  ``[-2 sqrt(2 eps), 2 sqrt(2 eps)]``: a GOE matrix with off-diagonal entries of variance
  ``2 eps / n``. R-transform ``R1(w) = 2 eps w``.
* The Stieltjes transform is ``G(z) = int rho(x) / (z - x) dx`` (so ``G ~ 1/z`` at
  infinity and ``Im G < 0`` for ``Im z > 0``); the density is
  ``rho(lambda) = -Im G(lambda + i0) / pi``.

Derivation
----------
R-transforms add under free convolution, and ``z = R(G) + 1/G``. With
``R(w) = 1/(1 - phi w) + 2 eps w``, multiplying ``z = R(G) + 1/G`` by ``G (1 - phi G)``
gives the cubic (the issue's normalization, re-derived and checked with SymPy in the tests)::

    2 phi eps G^3 - (2 eps + z phi) G^2 + (z + phi - 1) G - 1 = 0.

For real ``lambda`` the cubic has real coefficients: it has either three real roots (then
``lambda`` lies outside the support, ``rho = 0``) or one real root and a complex-conjugate
pair, whose imaginary part gives ``rho = |Im G| / pi``. So the support is exactly where the
discriminant of the cubic in ``G`` is negative; that discriminant is a quartic polynomial in
``lambda``, and its real roots are the edges of the support (:func:`support`). The density
built this way integrates to 1 (tested against adaptive quadrature).

Critical energy (``phi < 1``)
----------------------------
The lower edge reaches 0 when the discriminant vanishes at ``z = 0``; that is a quadratic
in ``eps`` whose positive root is::

    eps_c(phi) = (1 - 20 phi - 8 phi^2 + (1 + 8 phi)^(3/2)) / 16.

For ``eps < eps_c`` no eigenvalue is negative (index 0); above it the index grows as
``alpha_0(phi) ((eps - eps_c) / eps_c)^(3/2)`` (:func:`alpha_0`, derived below).

``phi >= 1``
-----------
Then ``eps_c`` is 0: the Marchenko-Pastur atom at 0 (mass ``1 - 1/phi``) is spread by the
semicircle symmetrically around 0 for any ``eps > 0``, so the index is positive for every
``eps > 0`` and tends to ``(1 - 1/phi) / 2`` as ``eps -> 0+`` (at ``eps = 0`` exactly the
Hessian is the positive semi-definite Wishart matrix, index 0: the limit is discontinuous).
:func:`eps_c` returns 0.0 there and :func:`alpha_0` refuses (there is no 3/2 law).

The 3/2 law
-----------
Write ``z(G) = 1/(1 - phi G) + 2 eps G + 1/G`` (the inverse of ``G``). An edge ``E`` of the
support is a critical value, ``z'(G_e) = 0``; near the lower edge
``z - E ~ z''(G_e) (G - G_e)^2 / 2`` gives the square-root edge
``rho(lambda) ~ sqrt(2 / |z''(G_e)|) sqrt(lambda - E) / pi``. By the envelope theorem
``dE/deps = dz/deps = 2 G_e``. At ``eps = eps_c`` the two conditions ``z(G) = 0``,
``z'(G) = 0`` reduce to ``2 phi (1 - phi) G^2 + (4 phi - 1) G - 2 = 0``, whose negative root is
``G_e = (1 - 4 phi - sqrt(1 + 8 phi)) / (4 phi (1 - phi))``. Integrating the square-root edge
from ``E = 2 G_e (eps - eps_c)`` up to 0::

    alpha ~ (2 / (3 pi)) sqrt(2 / |z''(G_e)|) (2 |G_e| (eps - eps_c))^(3/2)
          = alpha_0(phi) ((eps - eps_c) / eps_c)^(3/2),
    alpha_0(phi) = (2 / (3 pi)) sqrt(2 / |z''(G_e)|) (2 |G_e| eps_c)^(3/2),
    z''(G) = 2 phi^2 / (1 - phi G)^3 + 2 / G^3.

(``phi -> 0``: ``G_e -> -2``, ``alpha_0 -> 2 / (3 pi)``, the semicircle's own edge.)
"""

from __future__ import annotations

import math

import numpy as np
from numpy.polynomial import polynomial as poly

from ..errors import SymhessError

__all__ = [
    "alpha_0",
    "cdf",
    "density",
    "discriminant",
    "eps_c",
    "index",
    "lower_edge",
    "stieltjes_roots",
    "support",
    "three_halves_law",
]

# Integrals over one support interval [a, b] use lambda = a + (b - a)(1 - cos t) / 2, which
# makes the square-root edges smooth, then Gauss-Legendre on _PANELS equal panels in t.
_GL_NODES = 24
_PANELS = 48
_GRADING = 24


MAX_PHI = 1e9
MAX_EPS = 1e12
"""Largest ratio and energy accepted: beyond them the cubic's coefficients and roots leave the
range where float64 solves it reliably (the density is then a plain semicircle anyway)."""


def _check(phi, eps=None):
    phi = float(phi)
    if not (math.isfinite(phi) and 0 < phi <= MAX_PHI):
        raise SymhessError(f"phi must be a positive number of at most {MAX_PHI:g}, got {phi!r}")
    if eps is None:
        return phi
    eps = float(eps)
    if not (math.isfinite(eps) and 0 < eps <= MAX_EPS):
        raise SymhessError(
            f"eps must be a positive number of at most {MAX_EPS:g}, got {eps!r} "
            "(eps = 0 is plain Marchenko-Pastur, whose index is 0)"
        )
    return phi, eps


def _cubic(lam, phi, eps):
    """Coefficients (a, b, c, d) of a G^3 + b G^2 + c G + d, each shaped like ``lam``."""
    lam = np.asarray(lam, dtype=float)
    a = np.full_like(lam, 2.0 * phi * eps)
    return a, -(2.0 * eps + lam * phi), lam + phi - 1.0, np.full_like(lam, -1.0)


def stieltjes_roots(lam, *, phi, eps):
    """The three roots ``G`` of the cubic at real ``lam``.

    Parameters
    ----------
    lam : array_like, shape (N,)
    phi, eps : float

    Returns
    -------
    ndarray, shape (N, 3), complex
        Eigenvalues of the companion matrices (LAPACK), so a real root has an imaginary part
        of exactly 0.
    """
    phi, eps = _check(phi, eps)
    lam = np.atleast_1d(np.asarray(lam, dtype=float))
    a, b, c, d = _cubic(lam, phi, eps)
    companion = np.zeros(lam.shape + (3, 3))
    companion[..., 0, 0] = -b / a
    companion[..., 0, 1] = -c / a
    companion[..., 0, 2] = -d / a
    companion[..., 1, 0] = 1.0
    companion[..., 2, 1] = 1.0
    return np.linalg.eigvals(companion)


def density(lam, *, phi, eps):
    """Spectral density ``rho(lam; phi, eps)`` of ``H0 + H1``.

    The root of the cubic with ``Im G < 0`` is the physical one; at real ``lam`` it is one of
    a complex-conjugate pair, so ``rho = max |Im G| / pi`` over the three roots (0 where all
    three are real, i.e. outside the support).

    Parameters
    ----------
    lam : array_like, any shape
    phi, eps : float, positive

    Returns
    -------
    ndarray, the shape of ``lam``
    """
    lam = np.asarray(lam, dtype=float)
    roots = stieltjes_roots(lam.ravel(), phi=phi, eps=eps)
    return (np.abs(roots.imag).max(axis=-1) / np.pi).reshape(lam.shape)


def discriminant(*, phi, eps):
    """Discriminant of the cubic in ``G`` as a quartic polynomial in ``z``.

    Returns
    -------
    ndarray, shape (5,)
        Coefficients in increasing powers of ``z`` (``numpy.polynomial`` order). It is
        negative exactly on the support of the density.
    """
    phi, eps = _check(phi, eps)
    a = np.array([2.0 * phi * eps])
    b = np.array([-2.0 * eps, -phi])
    c = np.array([phi - 1.0, 1.0])
    d = np.array([-1.0])
    m = poly.polymul
    terms = (
        18.0 * m(m(m(a, b), c), d),
        -4.0 * m(m(m(b, b), b), d),
        m(m(b, b), m(c, c)),
        -4.0 * m(a, m(m(c, c), c)),
        -27.0 * m(m(a, a), m(d, d)),
    )
    total = np.zeros(5)
    for t in terms:
        total[: t.size] += t
    return total


def support(*, phi, eps):
    """Intervals where the density is positive: between real roots of the discriminant.

    Returns
    -------
    list of (float, float)
        Disjoint, increasing. One interval, or two when ``phi > 1`` and ``eps`` is small
        (the spread atom near 0 and the Marchenko-Pastur bulk).
    """
    coeffs = discriminant(phi=phi, eps=eps)
    roots = poly.polyroots(coeffs)
    scale = max(1.0, float(np.abs(roots).max()))
    real = np.sort(roots[np.abs(roots.imag) <= 1e-9 * scale].real)
    # A double root (two intervals just touching) would give an empty piece: dropped below.
    intervals = []
    for lo, hi in zip(real[:-1], real[1:], strict=True):
        if hi > lo and poly.polyval(0.5 * (lo + hi), coeffs) < 0:
            if intervals and intervals[-1][1] >= lo:
                intervals[-1] = (intervals[-1][0], float(hi))
            else:
                intervals.append((float(lo), float(hi)))
    if not intervals:
        raise SymhessError(f"no support found for phi = {phi}, eps = {eps} (numerical failure)")
    return intervals


def lower_edge(*, phi, eps):
    """Smallest point of the support (the most negative eigenvalue), from the discriminant."""
    return support(phi=phi, eps=eps)[0][0]


def _theta_breaks(lo, hi, coeffs):
    """Panel ends in ``t`` (``lambda = lo + (hi - lo)(1 - cos t)/2``) for one interval.

    Equal panels, plus panels graded geometrically towards the real part of any complex root
    pair of the discriminant that lies inside the interval: there two pieces of the support
    have just merged and the density has a narrow dip (a cusp at the merging energy).
    """
    breaks = [np.linspace(0.0, np.pi, _PANELS + 1)]
    width = np.pi / _PANELS
    for root in poly.polyroots(coeffs):
        if root.imag != 0 and lo < root.real < hi:
            t0 = np.arccos(np.clip(1.0 - 2.0 * (root.real - lo) / (hi - lo), -1.0, 1.0))
            offsets = width * 0.5 ** np.arange(1, _GRADING + 1)
            breaks.append(np.clip(np.concatenate([[t0], t0 - offsets, t0 + offsets]), 0, np.pi))
    return np.unique(np.concatenate(breaks))


def _panel_integrals(t_lo, t_hi, lo, half, phi, eps):
    """``int_{t_lo}^{t_hi} rho(lo + half (1 - cos s)) half sin s ds``, elementwise."""
    nodes, weights = np.polynomial.legendre.leggauss(_GL_NODES)
    mid, rad = 0.5 * (t_hi + t_lo), 0.5 * (t_hi - t_lo)
    s = mid[:, None] + rad[:, None] * nodes[None, :]
    integrand = density(lo + half * (1.0 - np.cos(s)), phi=phi, eps=eps) * half * np.sin(s)
    return rad * (integrand @ weights)


def _partial_masses(x, phi, eps):
    """Mass of the density below each ``x`` (shape (N,)), summed over the support."""
    coeffs = discriminant(phi=phi, eps=eps)
    out = np.zeros(x.shape)
    top = x.max(initial=-np.inf)
    for lo, hi in support(phi=phi, eps=eps):
        if lo >= top:
            break
        half = 0.5 * (hi - lo)
        breaks = _theta_breaks(lo, hi, coeffs)
        inside = (x > lo) & (x < hi)
        theta = np.arccos(np.clip(1.0 - (x[inside] - lo) / half, -1.0, 1.0))
        k = np.clip(np.searchsorted(breaks, theta, side="right") - 1, 0, breaks.size - 2)
        # only the panels below the largest x are needed (the index needs few of them)
        used = breaks.size if top >= hi else int(k.max(initial=0)) + 1
        panels = _panel_integrals(breaks[: used - 1], breaks[1:used], lo, half, phi, eps)
        cumulative = np.concatenate([[0.0], np.cumsum(panels)])
        out[x >= hi] += cumulative[-1]
        if inside.any():
            out[inside] += cumulative[k] + _panel_integrals(breaks[k], theta, lo, half, phi, eps)
    return out


def cdf(lam, *, phi, eps):
    """Cumulative distribution ``F(lam) = int_{-inf}^{lam} rho``.

    Parameters
    ----------
    lam : array_like, any shape
    phi, eps : float, positive

    Returns
    -------
    ndarray, the shape of ``lam``; ``F`` of the largest edge is 1 to about 1e-12.
    """
    phi, eps = _check(phi, eps)
    lam = np.asarray(lam, dtype=float)
    x = lam.ravel()
    return _partial_masses(x, phi, eps).reshape(lam.shape)


def index(eps, *, phi):
    """The index ``alpha(eps, phi)``: the fraction of negative eigenvalues, ``F(0)``.

    Parameters
    ----------
    eps : float or array_like of positive floats
    phi : float, positive

    Returns
    -------
    float or ndarray shaped like ``eps``. 0 for ``eps <= eps_c(phi)`` (``phi < 1``); tends
    to ``(1 - 1/phi) / 2`` as ``eps -> 0+`` when ``phi > 1``.
    """
    eps_arr = np.asarray(eps, dtype=float)
    values = np.array([float(cdf(0.0, phi=phi, eps=e)) for e in eps_arr.ravel()])
    return float(values[0]) if eps_arr.ndim == 0 else values.reshape(eps_arr.shape)


def eps_c(phi):
    """Critical energy: the largest ``eps`` at which no eigenvalue is negative.

    ``(1 - 20 phi - 8 phi^2 + (1 + 8 phi)^(3/2)) / 16`` for ``phi < 1`` (the positive root
    of the discriminant at ``z = 0``); 0.0 for ``phi >= 1``, where every ``eps > 0`` has a
    positive index.
    """
    phi = _check(phi)
    if phi >= 1.0:
        return 0.0
    return (1.0 - 20.0 * phi - 8.0 * phi**2 + (1.0 + 8.0 * phi) ** 1.5) / 16.0


def _edge_at_critical(phi):
    """``G_e`` and ``z''(G_e)`` at ``eps = eps_c``: where the lower edge sits at 0."""
    g = (1.0 - 4.0 * phi - math.sqrt(1.0 + 8.0 * phi)) / (4.0 * phi * (1.0 - phi))
    zpp = 2.0 * phi**2 / (1.0 - phi * g) ** 3 + 2.0 / g**3
    return g, zpp


def alpha_0(phi):
    """Prefactor of the 3/2 law, derived from the square-root lower edge (module docstring).

    Only for ``0 < phi < 1``: for ``phi >= 1`` the index does not vanish at a positive
    critical energy, so there is no 3/2 law.
    """
    phi = _check(phi)
    if phi >= 1.0:
        raise SymhessError(f"the 3/2 law needs phi < 1 (eps_c(phi) = 0 for phi >= 1), got {phi}")
    g, zpp = _edge_at_critical(phi)
    return 2.0 / (3.0 * math.pi) * math.sqrt(2.0 / abs(zpp)) * (2.0 * abs(g) * eps_c(phi)) ** 1.5


def three_halves_law(eps, *, phi):
    """``alpha_0(phi) ((eps - eps_c) / eps_c)^(3/2)`` above ``eps_c`` and 0 below.

    The leading term of the index as ``eps -> eps_c+`` (relative corrections are of order
    ``(eps - eps_c) / eps_c``).
    """
    ec = eps_c(phi)
    x = np.maximum((np.asarray(eps, dtype=float) - ec) / ec, 0.0)
    out = alpha_0(phi) * x**1.5
    return float(out) if out.ndim == 0 else out
