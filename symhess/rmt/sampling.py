"""Sampled ``H0 + H1`` matrices, held against the free-probability prediction.

``H0 = X X^T / m`` with ``X`` an ``n x m`` standard normal matrix, ``m = round(n / phi)``
(Marchenko-Pastur, ratio ``n / m``, mean eigenvalue 1); ``H1 = sqrt(2 eps / n) S`` with
``S = (B + B^T) / sqrt(2)`` for a standard normal ``n x n`` matrix ``B`` (GOE: off-diagonal
variance ``2 eps / n``, semicircle of variance ``2 eps``). These are exactly the conventions
of :mod:`symhess.rmt.theory`.

Error model for the index
-------------------------
The sampled index of one matrix is ``N_neg / n``. Eigenvalues repel, so ``N_neg`` fluctuates
far less than a binomial count (its variance grows like ``log n``, not ``n``): the honest
error bar is the scatter over ``R`` independent matrices, ``SE = std(alpha_r) / sqrt(R)``
(``ddof = 1``). Besides that scatter, a finite ``n`` shifts the count by O(1) eigenvalues
(the O(1/n) correction of the GOE density and the ``n^(-2/3)`` edge fluctuations when an edge
sits at 0). :class:`IndexCheck` therefore reports ``SE`` and the allowance ``1/n``, and
:attr:`IndexCheck.agrees` asks ``|alpha_hat - alpha| <= 4 SE + 1/n``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..base.progress import progress
from ..errors import SymhessError
from . import theory as rmt_density


def data_points(n, phi):
    """``m = round(n / phi)`` (at least 1); the realized ratio is ``n / m``."""
    return max(1, round(int(n) / float(phi)))


def sample_hessian(n, *, phi, eps, rng):
    """One ``n x n`` matrix ``H0 + H1``.

    Parameters
    ----------
    n : int, at least 2
    phi, eps : float, positive (``eps = 0`` gives the bare Wishart matrix)
    rng : numpy.random.Generator

    Returns
    -------
    ndarray, shape (n, n), symmetric
    """
    n = int(n)
    if n < 2:
        raise SymhessError(f"the matrix size n must be at least 2, got {n}")
    if not (phi > 0 and eps >= 0):
        raise SymhessError(f"need phi > 0 and eps >= 0, got phi = {phi}, eps = {eps}")
    m = data_points(n, phi)
    X = rng.standard_normal((n, m))
    H = X @ X.T
    H /= m
    B = rng.standard_normal((n, n))
    # (B + B^T) / sqrt(2) has off-diagonal variance 1; scaled to 2 eps / n.
    H += (B + B.T) * math.sqrt(eps / n)
    return H


def sample_eigenvalues(n, *, phi, eps, repeats, seed, show_progress=None):
    """Eigenvalues of ``repeats`` independent ``H0 + H1``.

    Returns
    -------
    ndarray, shape (repeats, n), each row ascending
    """
    if int(repeats) < 1:
        raise SymhessError(f"repeats must be a positive integer, got {repeats}")
    rng = np.random.default_rng(seed)
    rows = []
    bar = progress(range(int(repeats)), desc=f"eigvalsh n={n}", unit="matrix", show=show_progress)
    for _ in bar:
        rows.append(np.linalg.eigvalsh(sample_hessian(n, phi=phi, eps=eps, rng=rng)))
    return np.array(rows)


def ks_to_theory(eigenvalues, *, phi, eps):
    """Kolmogorov-Smirnov distance between the pooled eigenvalues and the theory cdf.

    Parameters
    ----------
    eigenvalues : array_like, any shape (pooled)

    Returns
    -------
    float, ``sup_x |F_empirical(x) - F(x)|``
    """
    x = np.sort(np.asarray(eigenvalues, dtype=float).ravel())
    F = rmt_density.cdf(x, phi=phi, eps=eps)
    k = np.arange(1, x.size + 1) / x.size
    return float(max(np.max(k - F), np.max(F - (k - 1.0 / x.size))))


@dataclass(frozen=True)
class IndexCheck:
    """Sampled index against ``alpha(eps, phi)`` (error model in the module docstring).

    Attributes
    ----------
    phi : float
        The realized ratio ``n / m``.
    eps : float
    n, repeats : int
    sampled : float
        Mean over the matrices of the fraction of negative eigenvalues.
    standard_error : float
        ``std / sqrt(repeats)`` over the matrices (``ddof = 1``).
    theory : float
        :func:`symhess.rmt.theory.index`.
    ks : float
        KS distance of the pooled eigenvalues to the theory cdf.
    """

    phi: float
    eps: float
    n: int
    repeats: int
    sampled: float
    standard_error: float
    theory: float
    ks: float

    @property
    def allowance(self) -> float:
        """``4 SE + 1/n``: sampling scatter plus one eigenvalue of finite-size shift."""
        return 4.0 * self.standard_error + 1.0 / self.n

    @property
    def agrees(self) -> bool:
        return abs(self.sampled - self.theory) <= self.allowance


def check_index(n, *, phi, eps, repeats, seed, show_progress=None):
    """Sample ``repeats`` matrices and compare index and distribution with the theory.

    The theory is evaluated at the realized ratio ``n / round(n / phi)`` (stored as
    ``IndexCheck.phi``).

    Returns
    -------
    IndexCheck
    """
    if int(repeats) < 2:
        raise SymhessError("the index check needs at least 2 repeats for its error bar")
    eig = sample_eigenvalues(
        n, phi=phi, eps=eps, repeats=repeats, seed=seed, show_progress=show_progress
    )
    return index_check(eig, phi=phi, eps=eps)


def index_check(eigenvalues, *, phi, eps):
    """:class:`IndexCheck` of eigenvalues already sampled by :func:`sample_eigenvalues`.

    Parameters
    ----------
    eigenvalues : ndarray, shape (repeats, n), repeats >= 2
    phi : float
        The requested ratio; the theory uses the realized ``n / round(n / phi)``.
    """
    eig = np.asarray(eigenvalues, dtype=float)
    if eig.ndim != 2 or eig.shape[0] < 2:
        raise SymhessError("the index check needs eigenvalues of at least 2 matrices")
    repeats, n = eig.shape
    per_matrix = (eig < 0).mean(axis=1)
    phi = n / data_points(n, phi)
    return IndexCheck(
        phi=phi,
        eps=float(eps),
        n=n,
        repeats=repeats,
        sampled=float(per_matrix.mean()),
        standard_error=float(per_matrix.std(ddof=1) / math.sqrt(per_matrix.size)),
        theory=rmt_density.index(eps, phi=phi),
        ks=ks_to_theory(eig, phi=phi, eps=eps),
    )
