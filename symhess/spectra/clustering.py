"""Clusters of a Hessian spectrum on a log scale, and the size of its upper bulk.

The seed paper observes for erf networks a bulk of small eigenvalues that moves to zero as the
network grows, and a bulk of larger ones that stays. On ``log10 |lambda|`` the bulks are
separated by gaps of about a decade, while neighbours inside a bulk are a few hundredths of a
decade apart; so a cluster here is a maximal run of sorted non-zero ``|lambda|`` whose
consecutive ratios stay below ``10**split_decades`` (default half a decade), and the *upper
bulk* is the top cluster.

Measured with symhess for erf (random normal teachers at the paper's scale, W ~ N(0, 1/d)):
the upper bulk holds ``d`` eigenvalues - the input dimension, not ``h`` - in 73 of 75
teachers with ``d, h`` drawn from 3..20; at twice that weight scale only in 14 of 75
(``docs/findings/erf_upper_bulk.py``). The paper looked at ``d = h`` only. A linear
network's Hessian has exactly ``d`` non-zero eigenvalues (docs/theory.md, "The linear
network") and erf is nearly linear near 0: for ``d > h`` the upper bulk even shows the same
``d - h`` equal eigenvalues (directions ``alpha u^T`` with ``u`` orthogonal to every ``w_i``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Cluster", "SPLIT_DECADES", "clusters"]

SPLIT_DECADES = 0.5
"""Consecutive ``|lambda|`` at least this many decades apart start a new cluster."""


@dataclass(frozen=True)
class Cluster:
    """A run of sorted non-zero eigenvalue magnitudes.

    Attributes
    ----------
    low, high : float
        Smallest and largest ``|lambda|`` in the cluster.
    size : int
        How many eigenvalues it holds.
    gap_below : float or None
        ``log10`` distance (decades) from the largest ``|lambda|`` of the cluster below;
        ``None`` for the lowest cluster.
    """

    low: float
    high: float
    size: int
    gap_below: float | None


def clusters(
    eigenvalues: np.ndarray, tolerance: float = 0.0, split_decades: float = SPLIT_DECADES
) -> list[Cluster]:
    """Clusters of ``|lambda| > tolerance`` on a log scale, lowest first.

    Parameters
    ----------
    eigenvalues : ndarray, shape (P,)
        Any order; signs are ignored (a Hessian at the optimum is positive semi-definite,
        and tiny negative values are rounding).
    tolerance : float
        Eigenvalues with ``|lambda| <= tolerance`` are numerically zero and left out.
    split_decades : float
        A gap of at least this many decades between neighbours starts a new cluster.

    Returns
    -------
    list of Cluster
    """
    mags = np.sort(np.abs(np.asarray(eigenvalues, dtype=np.float64)))
    mags = mags[mags > max(tolerance, 0.0)]
    if mags.size == 0:
        return []
    logs = np.log10(mags)
    cuts = np.flatnonzero(np.diff(logs) >= split_decades) + 1
    bounds = [0, *cuts.tolist(), mags.size]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=True):
        gap = None if lo == 0 else float(logs[lo] - logs[lo - 1])
        out.append(Cluster(float(mags[lo]), float(mags[hi - 1]), hi - lo, gap))
    return out
