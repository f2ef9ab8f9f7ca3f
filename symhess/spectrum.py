"""Spectrum summaries of a dense float64 Hessian: extremes, numerical zeros, the gap."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SpectrumSummary:
    """What ``symhess analyze`` reports about a spectrum.

    Attributes
    ----------
    eigenvalues : ndarray, shape (P,)
        Ascending.
    tolerance : float
        Eigenvalues with ``|lambda| <= tolerance`` count as zero: ``P * eps * max|lambda|``,
        the rule of ``numpy.linalg.matrix_rank``.
    zeros : int
        How many eigenvalues are numerically zero.
    gap_ratio : float
        Largest ratio between consecutive sorted ``|lambda|`` (a clean null space shows as
        a ratio of order 1e10 or more; a ratio near 1 means float64 cannot tell the rank).
    gap_index : int
        The gap lies between the ``gap_index``-th and ``gap_index + 1``-th smallest ``|lambda|``.
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


def summarize(H: np.ndarray) -> SpectrumSummary:
    """Eigenvalues of a symmetric float64 matrix (LAPACK ``eigvalsh``) and their summary."""
    lam = np.linalg.eigvalsh(H)
    P = lam.size
    scale = float(np.max(np.abs(lam))) if P else 0.0
    tol = P * np.finfo(np.float64).eps * scale
    zeros = int(np.sum(np.abs(lam) <= tol))
    mags = np.sort(np.abs(lam))
    tiny = np.finfo(np.float64).tiny
    ratios = mags[1:] / np.maximum(mags[:-1], tiny) if P > 1 else np.array([1.0])
    k = int(np.argmax(ratios))
    return SpectrumSummary(lam, tol, zeros, float(ratios[k]), k + 1)
