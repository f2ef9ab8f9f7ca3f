"""Spectrum summaries of a dense float64 Hessian: extremes, numerical zeros, the gap; and
whether a dense spectrum fits in memory at all."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base import memory, systems
from ..curvature.accuracy import HessianError, noise
from ..curvature.dense import dense_bytes
from ..errors import SymhessError
from .zeros import EPS

DENSE_ANALYSIS_COPIES = 2.2
"""A dense spectrum holds H and LAPACK's working copy of it (eigvalsh works in place on one)."""


@dataclass(frozen=True)
class SpectrumSummary:
    """What ``symhess analyze`` reports about a spectrum.

    Attributes
    ----------
    eigenvalues : ndarray, shape (P,)
        Ascending.
    tolerance : float
        How far each eigenvalue may be from a true one, and so the zero tolerance:
        ``P * eps * max|lambda|`` (:func:`~symhess.spectra.zeros.zero_tolerance`) plus the
        Hessian's error bound when it is known.
    zeros : int
        How many eigenvalues are numerically zero.
    gap_ratio : float
        Largest ratio between consecutive sorted ``|lambda|``, floored at ``eps max|lambda|``
        (see :func:`~symhess.spectra.zeros.gap_diagnostic`): a clean null space shows as a
        ratio of order 1e10 or more; a ratio near 1 means float64 cannot tell the rank.
    gap_index : int
        How many ``|lambda|`` lie below the gap.
    error : HessianError or None
        The Hessian's error bound the tolerance includes (``None``: not known).
    """

    eigenvalues: np.ndarray
    tolerance: float
    zeros: int
    gap_ratio: float
    gap_index: int
    error: HessianError | None = None

    @property
    def positive_semidefinite(self) -> bool:
        """``lambda_min >= -tolerance``: a Hessian at the optimum is a Gram matrix, so a more
        negative eigenvalue means the computed matrix is wrong beyond its stated error."""
        return self.eigenvalues.size == 0 or self.smallest >= -self.tolerance

    @property
    def correct_digits(self) -> float:
        """``log10(max|lambda| / tolerance)``: digits of the largest eigenvalue the error
        bound guarantees (``inf`` without error)."""
        top = float(np.max(np.abs(self.eigenvalues), initial=0.0))
        if self.tolerance <= 0 or top == 0:
            return float("inf")
        return float(np.log10(top / self.tolerance))

    @property
    def rank(self) -> int:
        return self.eigenvalues.size - self.zeros

    @property
    def largest(self) -> float:
        return float(self.eigenvalues[-1])

    @property
    def smallest(self) -> float:
        return float(self.eigenvalues[0])

    @property
    def smallest_nonzero(self) -> float | None:
        nonzero = self.eigenvalues[np.abs(self.eigenvalues) > self.tolerance]
        return float(np.min(np.abs(nonzero))) if nonzero.size else None


def summarize(H, error: HessianError | float | None = None) -> SpectrumSummary:
    """Eigenvalues of a symmetric matrix (LAPACK ``eigvalsh``) and their summary.

    Parameters
    ----------
    H : array_like, shape (P, P)
        float64, or the exact or mpmath Hessian symhess returns (converted to float64, so the
        summary is a float64 one); checked for symmetry and finite entries.
    error : HessianError or float, optional
        A bound on ``||H - H_true||_2`` (``symhess.hessian(..., with_error=True)``): added to
        the zero tolerance ``P eps max|lambda|``, since every eigenvalue may be off by it.
    """
    return summarize_eigenvalues(eigenvalues(H), error)


def summarize_eigenvalues(
    lam: np.ndarray, error: HessianError | float | None = None
) -> SpectrumSummary:
    """The summary of a float64 spectrum given as its eigenvalues (any order; e.g. from the
    row-space reduction, :meth:`symhess.spectra.reduction.ReducedSpectrum.eigenvalues`).

    Parameters
    ----------
    lam : ndarray, shape (P,)
    error : HessianError or float, optional
        As in :func:`summarize`.
    """
    lam = np.sort(np.asarray(lam, dtype=np.float64))
    scale = float(np.max(np.abs(lam))) if lam.size else 0.0
    tol = noise(error, lam.size, scale)
    zeros = int(np.sum(np.abs(lam) <= tol))
    ratio, below = _gap(np.abs(lam), EPS * scale or 1.0)
    kept = error if isinstance(error, HessianError) else None
    return SpectrumSummary(lam, tol, zeros, ratio, below, kept)


def _gap(magnitudes: np.ndarray, floor: float) -> tuple[float, int]:
    """:func:`~symhess.spectra.zeros.gap_diagnostic` for a float array with ``floor > 0``,
    vectorised (the first largest ratio wins, as there)."""
    if magnitudes.size == 0:
        return 0.0, 0
    seq = np.concatenate([[floor], np.sort(np.maximum(magnitudes, floor))])
    ratios = seq[1:] / seq[:-1]
    below = int(np.argmax(ratios))
    return float(ratios[below]), below


def eigenvalues(H) -> np.ndarray:
    """All eigenvalues of a symmetric float64 matrix, ascending (LAPACK ``eigvalsh``).

    Parameters
    ----------
    H : array_like, shape (P, P)
        Symmetric with finite entries; an exact or mpmath Hessian (object array) is converted
        to float64 first.

    Raises
    ------
    SymhessError
        Not square, not symmetric, non-finite entries, or LAPACK does not converge.
    """
    H = np.asarray(H)
    if H.ndim != 2 or H.shape[0] != H.shape[1]:
        raise SymhessError(f"expected a square matrix, got shape {H.shape}")
    if H.dtype == object:
        H = systems.array(H, "float64")
    elif not (np.issubdtype(H.dtype, np.floating) or np.issubdtype(H.dtype, np.integer)):
        raise SymhessError(f"the matrix must hold real numbers, got dtype {H.dtype}")
    H = np.asarray(H, dtype=np.float64)
    if not np.isfinite(H).all():
        raise SymhessError("the matrix has NaN or infinite entries")
    scale = float(np.max(np.abs(H))) if H.size else 0.0
    asymmetry = float(np.max(np.abs(H - H.T))) if H.size else 0.0
    if asymmetry > 1e3 * EPS * max(scale, np.finfo(np.float64).tiny) * max(1, H.shape[0]):
        raise SymhessError(
            f"the matrix is not symmetric (largest |H - H^T| = {asymmetry:.3g}, "
            f"largest |H| = {scale:.3g})"
        )
    try:
        return np.linalg.eigvalsh(H)
    except np.linalg.LinAlgError:
        raise SymhessError(
            f"LAPACK could not find the eigenvalues (entries up to {scale:.3g}): the matrix is "
            "badly scaled for float64"
        ) from None


def dense_spectrum_bytes(h: int, d: int) -> float:
    """Bytes a dense float64 spectrum of the Hessian needs (the matrix and LAPACK's copy)."""
    return dense_bytes(h, d, DENSE_ANALYSIS_COPIES)


def dense_spectrum_fits(h: int, d: int) -> bool:
    """Whether a dense Hessian and its eigenvalue decomposition fit in available memory."""
    return memory.fits(dense_spectrum_bytes(h, d))
