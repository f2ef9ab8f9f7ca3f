"""The eigenvalue law of the linear network's Hessian (docs/theory.md, "The linear network").

For ``sigma(z) = z`` the non-zero eigenvalues of the Hessian are the ``d`` eigenvalues of
``||v||^2 I_d + W^T W``. With the paper's variances (``W_ij ~ N(0, 1/d)``, ``v_i ~ N(0, 1/h)``):

* ``||v||^2 ~ (1/h) chi^2_h``, a Gamma law with shape ``h/2`` and scale ``2/h`` (exact);
* the eigenvalues ``mu`` of ``W^T W`` follow, as ``d, h`` grow with ``h/d`` fixed, a scaled
  Marchenko-Pastur law. Writing ``W^T W = (h/d) (1/h) X^T X`` with ``X`` an ``h x d`` standard
  Gaussian matrix, ``(1/h) X^T X`` is Marchenko-Pastur with ratio ``y = d/h`` (density
  ``sqrt((b - x)(x - a)) / (2 pi y x)`` on ``[a, b] = [(1 - sqrt y)^2, (1 + sqrt y)^2]``), so
  ``mu = (h/d) x``. In ``mu`` the ratio drops out of the density::

      rho(mu) = sqrt((mu_+ - mu)(mu - mu_-)) / (2 pi mu),   mu_pm = (sqrt(h/d) pm 1)^2,

  with total mass ``min(1, h/d)``; when ``h < d`` the remaining mass ``(d - h)/d`` sits at
  ``mu = 0`` (``W^T W`` has rank ``h``). Mean ``h/d``, variance ``h/d``.

Each non-zero Hessian eigenvalue is ``lambda = ||v||^2 + mu`` with the two terms independent,
so the pooled law is their convolution; for ``h < d`` it is the mixture with weight
``(d - h)/d`` on the bare scaled chi-square (the paper's "mixed distribution").

The convolution is an integral over the Marchenko-Pastur support, computed with the
substitution ``mu = m + r cos(theta)`` (``m, r`` the centre and half-width of the support).
It turns ``sqrt((mu_+ - mu)(mu - mu_-)) dmu`` into ``r^2 sin^2(theta) dtheta``, a smooth
integrand that extends to an even periodic function of ``theta``, so the midpoint rule in
``theta`` converges exponentially once its nodes resolve the chi-square density. The same
substitution integrates ``rho`` in closed form (:meth:`LinearLaw.mp_cdf`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from scipy import stats

from ..errors import SymhessError
from ..teacher import check_size
from .pooled import EigenvaluePool, linear_scale, pooled_eigenvalues

# Midpoint nodes per chi-square standard deviation across the Marchenko-Pastur support: the
# error falls exponentially with it (4 gives ~1e-13 from h ~ 10 on). For small h the
# chi-square density is not smooth at 0 and convergence is algebraic: with 2000 nodes the cdf
# is within 4e-7 (h = 1), 2e-8 (h = 2), 3e-10 (h = 3) of a 40000-node value; the density is
# less accurate next to its singular points.
_NODES_PER_SD = 4
_MIN_NODES = 128
_SMALL_H, _SMALL_H_NODES = 10, 2000
_BLOCK = 64  # sorted evaluation points sharing one window of nodes
_TAIL = 1e-16  # chi-square mass ignored on either side of the window


@dataclass(frozen=True)
class LinearLaw:
    """The asymptotic law of a non-zero Hessian eigenvalue of the linear network.

    Parameters
    ----------
    d, h : int
        Input dimension and hidden units; the teacher has ``Var W_ij = 1/d``,
        ``Var v_i = 1/h``.
    scale : float
        Eigenvalues are multiplied by ``scale`` (``s_1^2`` for ``sigma(z) = s_1 z``).
    chi_square : bool
        ``True``: ``||v||^2 ~ (1/h) chi^2_h`` (normal ``v``, the paper's law). ``False``:
        ``||v||^2 = 1`` exactly - Marchenko-Pastur alone, shifted by 1 (the law for
        Rademacher ``v``, and the alternative a test should reject for normal ``v``).
    """

    d: int
    h: int
    scale: float = 1.0
    chi_square: bool = True

    def __post_init__(self):
        check_size("d", self.d)
        check_size("h", self.h)
        if not (np.isfinite(self.scale) and self.scale > 0):
            raise SymhessError(f"scale must be a positive number, got {self.scale!r}")

    # ------------------------------------------------------------------ the two ingredients
    @property
    def chi2(self):
        """``||v||^2 ~ (1/h) chi^2_h`` as a frozen scipy distribution (unscaled)."""
        return stats.gamma(a=self.h / 2, scale=2 / self.h)

    @property
    def mp_edges(self) -> tuple[float, float]:
        """Support ``(mu_-, mu_+)`` of the continuous part of the eigenvalues of ``W^T W``."""
        q = np.sqrt(self.h / self.d)
        return (q - 1) ** 2, (q + 1) ** 2

    @property
    def zero_weight(self) -> float:
        """Mass at ``mu = 0``: ``max(0, (d - h)/d)``."""
        return max(0.0, (self.d - self.h) / self.d)

    def _centre_radius(self) -> tuple[float, float]:
        lo, hi = self.mp_edges
        return (hi + lo) / 2, (hi - lo) / 2

    def mp_pdf(self, mu) -> np.ndarray:
        """Density ``rho(mu)`` of the continuous part of the (unscaled) ``W^T W`` eigenvalues.

        It integrates to ``1 - zero_weight``.
        """
        mu = np.asarray(mu, dtype=float)
        lo, hi = self.mp_edges
        inside = (mu > lo) & (mu < hi)
        safe = np.where(inside, mu, 1.0)
        out = np.sqrt(np.clip((hi - safe) * (safe - lo), 0, None)) / (2 * np.pi * safe)
        return np.where(inside, out, 0.0)

    def mp_cdf(self, mu) -> np.ndarray:
        """``P(mu' <= mu)`` for the (unscaled) ``W^T W`` eigenvalues, atom at 0 included.

        Closed form: with ``mu = m + r cos(theta)``, the mass above ``mu`` is
        ``G(theta) = [m theta - r sin(theta) - 2 sqrt(m^2 - r^2)
        arctan(sqrt((m - r)/(m + r)) tan(theta/2))] / (2 pi)``.
        """
        mu = np.asarray(mu, dtype=float)
        m, r = self._centre_radius()
        root = np.sqrt(max(m * m - r * r, 0.0))  # = |h/d - 1|
        ratio = np.sqrt(max(m - r, 0.0) / (m + r))

        def above(theta):
            return (
                m * theta - r * np.sin(theta) - 2 * root * np.arctan(ratio * np.tan(theta / 2))
            ) / (2 * np.pi)

        theta = np.arccos(np.clip((mu - m) / r, -1.0, 1.0))
        continuous = 1.0 - self.zero_weight
        lo, hi = self.mp_edges
        # theta = pi is the lower edge, where tan(theta/2) overflows; use the total mass.
        inner = continuous - above(np.where(mu <= lo, np.pi / 2, theta))
        cont = np.where(mu <= lo, 0.0, np.where(mu >= hi, continuous, inner))
        return np.where(mu >= 0, self.zero_weight, 0.0) + cont

    @cached_property
    def _nodes(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Midpoint nodes ``mu_j`` (ascending), weights ``w_j`` with
        ``sum_j w_j F(mu_j) ~ int rho F dmu``, and the cumulative sums of the weights."""
        m, r = self._centre_radius()
        sd = float(self.chi2.std())
        n = max(_MIN_NODES, int(np.ceil(_NODES_PER_SD * np.pi * r / sd)))
        if self.h < _SMALL_H:
            n = max(n, _SMALL_H_NODES)
        theta = (np.arange(n)[::-1] + 0.5) * np.pi / n
        mu = m + r * np.cos(theta)
        weights = (np.pi / n) * r**2 * np.sin(theta) ** 2 / (2 * np.pi * mu)
        return mu, weights, np.concatenate([[0.0], np.cumsum(weights)])

    def _convolve(self, lam: np.ndarray, kernel, cumulative: bool) -> np.ndarray:
        """``sum_j w_j kernel(lam - mu_j)`` over the Marchenko-Pastur nodes.

        ``kernel`` is the chi-square pdf (``cumulative=False``) or cdf (``True``). Only the
        nodes within the chi-square's reach of a block of sorted ``lam`` are summed; the
        nodes below it contribute ``kernel = 1`` (cdf) or ``0`` (pdf), the nodes above ``0``.
        """
        nodes, weights, cumw = self._nodes
        lo_chi, hi_chi = self.chi2.ppf(_TAIL), self.chi2.isf(_TAIL)
        flat = lam.ravel()
        order = np.argsort(flat)
        sorted_lam = flat[order]
        out = np.empty(flat.shape)
        for start in range(0, flat.size, _BLOCK):
            block = sorted_lam[start : start + _BLOCK]
            first = int(np.searchsorted(nodes, block[0] - hi_chi))
            last = int(np.searchsorted(nodes, block[-1] - lo_chi, side="right"))
            part = kernel(block[:, None] - nodes[None, first:last]) @ weights[first:last]
            if cumulative:
                part += cumw[first]
            out[order[start : start + _BLOCK]] = part
        return out.reshape(lam.shape)

    # ------------------------------------------------------------------ the law of lambda
    def pdf(self, x) -> np.ndarray:
        """Density of a non-zero eigenvalue.

        Parameters
        ----------
        x : array_like
            Eigenvalues (in the units of the Hessian, i.e. already multiplied by ``scale``).

        Returns
        -------
        ndarray, same shape as ``x``
            For ``chi_square=False`` and ``h < d`` the atom at ``1`` is left out (it has no
            density); :meth:`cdf` includes it.
        """
        lam = np.asarray(x, dtype=float) / self.scale
        if not self.chi_square:
            return self.mp_pdf(lam - 1) / self.scale
        chi = self.chi2
        return (
            self.zero_weight * chi.pdf(lam) + self._convolve(lam, chi.pdf, cumulative=False)
        ) / self.scale

    def cdf(self, x) -> np.ndarray:
        """Distribution function ``P(lambda <= x)``, same conventions as :meth:`pdf`."""
        lam = np.asarray(x, dtype=float) / self.scale
        if not self.chi_square:
            return self.mp_cdf(lam - 1)
        chi = self.chi2
        return self.zero_weight * chi.cdf(lam) + self._convolve(lam, chi.cdf, cumulative=True)

    def cdf_left(self, x) -> np.ndarray:
        """``P(lambda < x)``: :meth:`cdf` without the atom at ``scale`` (only the law without
        the chi-square and with ``h < d`` has one)."""
        F = self.cdf(x)
        if self.chi_square or not self.zero_weight:
            return F
        return F - self.zero_weight * (np.asarray(x, dtype=float) == self.scale)

    def mean(self) -> float:
        """``E lambda = scale (1 + h/d)`` (``E ||v||^2 = 1``, ``E mu = h/d``)."""
        return self.scale * (1 + self.h / self.d)

    def var(self) -> float:
        """``Var lambda = scale^2 (2/h + h/d)`` (``2/h`` only with the chi-square)."""
        return self.scale**2 * ((2 / self.h if self.chi_square else 0.0) + self.h / self.d)

    def support(self, tail: float = 1e-6) -> tuple[float, float]:
        """An interval holding all but about ``tail`` of the mass (for plots and grids)."""
        lo_v, hi_v = (self.chi2.ppf(tail), self.chi2.ppf(1 - tail)) if self.chi_square else (1, 1)
        lo = lo_v + (0.0 if self.zero_weight else self.mp_edges[0])
        return self.scale * lo, self.scale * (hi_v + self.mp_edges[1])

    def describe(self) -> str:
        """One line naming the law."""
        ratio = f"h/d = {self.h}/{self.d}"
        part = (
            "(1/h) chi^2_h * scaled Marchenko-Pastur"
            if self.chi_square
            else ("1 + scaled Marchenko-Pastur")
        )
        mix = f", weight {self.zero_weight:.3g} on the bare chi-square" if self.zero_weight else ""
        if self.zero_weight and not self.chi_square:
            mix = f", atom {self.zero_weight:.3g} at 1"
        scale = "" if self.scale == 1 else f", x {self.scale:.6g}"
        return f"{part} ({ratio}{mix}{scale})"


def ks_distance(sample, law: LinearLaw) -> float:
    """Kolmogorov-Smirnov distance ``sup_x |F_n(x) - F(x)|`` of a pooled sample to ``law``.

    The pooled eigenvalues are not independent (all ``d`` eigenvalues of one teacher share
    ``||v||^2``), so the textbook KS p-value does not apply: compare the distance with
    :func:`ks_floor` instead.

    Parameters
    ----------
    sample : array_like, any shape
    law : LinearLaw
    """
    x = np.sort(np.asarray(sample, dtype=float).ravel())
    if x.size == 0:
        raise SymhessError("the sample is empty")
    F = law.cdf(x)
    F_left = law.cdf_left(x)
    n = x.size
    return float(max(np.max(np.arange(1, n + 1) / n - F), np.max(F_left - np.arange(n) / n)))


def ks_floor(sample_a, sample_b) -> float:
    """Two-sample KS distance between two independent pools of the same size.

    The sampling floor a pooled distance to the law is to be compared with: when both pools
    follow the law, :func:`ks_distance` of each is typically ``ks_floor / sqrt(2)``, whatever
    the correlations inside a pool.
    """
    a = np.asarray(sample_a, dtype=float).ravel()
    b = np.asarray(sample_b, dtype=float).ravel()
    if a.size == 0 or b.size == 0:
        raise SymhessError("the sample is empty")
    return float(stats.ks_2samp(a, b).statistic)


@dataclass(frozen=True)
class LinearComparison:
    """A pooled linear spectrum against its law, with the sampling floor.

    Attributes
    ----------
    pool : EigenvaluePool
    law : LinearLaw
    ks : float
        KS distance of :attr:`pool` to the law.
    floor : float
        Two-sample KS distance between :attr:`pool` and an independent pool of the same size.
    ks_mp : float
        KS distance to Marchenko-Pastur alone (``||v||^2`` fixed at 1).
    """

    pool: EigenvaluePool
    law: LinearLaw
    ks: float
    floor: float
    ks_mp: float


def compare_linear(
    kernels, d: int, h: int, teachers: int, seed: int = 0, dist: str = "normal"
) -> LinearComparison:
    """Pool a linear network's spectrum twice (independent teachers) and compare with the law."""
    scale = linear_scale(kernels)
    if scale is None:
        raise SymhessError(f"{kernels.activation.short!r} is not a linear activation s*z")
    a = pooled_eigenvalues(kernels, d, h, teachers, seed=seed, pool_id=0, dist=dist)
    b = pooled_eigenvalues(kernels, d, h, teachers, seed=seed, pool_id=1, dist=dist)
    law = LinearLaw(d, h, scale)
    mp = LinearLaw(d, h, scale, chi_square=False)
    return LinearComparison(
        a,
        law,
        ks_distance(a.eigenvalues, law),
        ks_floor(a.eigenvalues, b.eigenvalues),
        ks_distance(a.eigenvalues, mp),
    )
