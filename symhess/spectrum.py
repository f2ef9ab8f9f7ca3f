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
        Largest ratio between consecutive sorted ``|lambda|``, floored at ``eps max|lambda|``
        (see :func:`gap_diagnostic`): a clean null space shows as a ratio of order 1e10 or
        more; a ratio near 1 means float64 cannot tell the rank.
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


def summarize(H: np.ndarray) -> SpectrumSummary:
    """Eigenvalues of a symmetric float64 matrix (LAPACK ``eigvalsh``) and their summary."""
    lam = np.linalg.eigvalsh(H)
    P = lam.size
    scale = float(np.max(np.abs(lam))) if P else 0.0
    tol = P * np.finfo(np.float64).eps * scale
    zeros = int(np.sum(np.abs(lam) <= tol))
    ratio, below = gap_diagnostic(np.abs(lam).tolist(), np.finfo(np.float64).eps * scale or 1.0)
    return SpectrumSummary(lam, tol, zeros, ratio, below)


def gap_diagnostic(magnitudes, floor) -> tuple[float, int]:
    """Largest ratio between consecutive sorted magnitudes, and how many lie below it.

    Parameters
    ----------
    magnitudes : sequence, shape (P,)
        ``|lambda|`` in any order (floats or mpmath numbers).
    floor : number
        The working precision times the scale: magnitudes are raised to it (noise below it
        has no meaning) and it is prepended, so the first ratio measures the smallest
        ``|lambda|`` against the noise.

    Returns
    -------
    (ratio, below) : (float, int)
    """
    seq = [floor] + sorted(max(m, floor) for m in magnitudes)
    best, below = 0.0, 0
    for k in range(len(seq) - 1):
        r = seq[k + 1] / seq[k] if seq[k] else float("inf")
        if r > best:
            best, below = r, k
    return float(best), below
