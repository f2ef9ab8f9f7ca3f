"""Spectrum summaries of a dense float64 Hessian: extremes, numerical zeros, the gap; and
whether a dense spectrum fits in memory at all."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base import memory, systems
from ..curvature.dense import dense_bytes
from ..errors import SymhessError
from .zeros import EPS, gap_diagnostic, zero_tolerance

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
        Eigenvalues with ``|lambda| <= tolerance`` count as zero:
        :func:`~symhess.spectra.zeros.zero_tolerance`, ``P * eps * max|lambda|``.
    zeros : int
        How many eigenvalues are numerically zero.
    gap_ratio : float
        Largest ratio between consecutive sorted ``|lambda|``, floored at ``eps max|lambda|``
        (see :func:`~symhess.spectra.zeros.gap_diagnostic`): a clean null space shows as a
        ratio of order 1e10 or more; a ratio near 1 means float64 cannot tell the rank.
    gap_index : int
        How many ``|lambda|`` lie below the gap.
    """

    eigenvalues: np.ndarray
    tolerance: float
    zeros: int
    gap_ratio: float
    gap_index: int

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


def summarize(H) -> SpectrumSummary:
    """Eigenvalues of a symmetric matrix (LAPACK ``eigvalsh``) and their summary.

    Parameters
    ----------
    H : array_like, shape (P, P)
        float64, or the exact or mpmath Hessian symhess returns (converted to float64, so the
        summary is a float64 one); checked for symmetry and finite entries.
    """
    lam = eigenvalues(H)
    scale = float(np.max(np.abs(lam))) if lam.size else 0.0
    tol = zero_tolerance(lam)
    zeros = int(np.sum(np.abs(lam) <= tol))
    ratio, below = gap_diagnostic(np.abs(lam).tolist(), EPS * scale or 1.0)
    return SpectrumSummary(lam, tol, zeros, ratio, below)


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
