"""Which eigenvalues are zero: the one float64 zero tolerance, and the gap diagnostic.

An eigenvalue of a float64 symmetric matrix counts as zero when ``|lambda| <= P eps
max|lambda|`` (the rule of ``numpy.linalg.matrix_rank``): LAPACK's backward error is of order
``eps ||H||``, so anything smaller is indistinguishable from rounding. The gap diagnostic says
how clearly the spectrum separates into zeros and the rest.
"""

from __future__ import annotations

import numpy as np

EPS = float(np.finfo(np.float64).eps)


def tolerance_for(P: int, scale: float) -> float:
    """``P eps scale``: the zero tolerance of a ``P x P`` matrix whose largest ``|lambda|``
    is ``scale``."""
    return P * EPS * float(scale)


def zero_tolerance(eigenvalues: np.ndarray) -> float:
    """``P eps max|lambda|``: eigenvalues at or below it in absolute value are zero up to
    rounding (0 for an empty array).

    Parameters
    ----------
    eigenvalues : ndarray, shape (P,)
    """
    eigenvalues = np.asarray(eigenvalues)
    if eigenvalues.size == 0:
        return 0.0
    return tolerance_for(eigenvalues.size, np.max(np.abs(eigenvalues)))


def drop_zeros(eigenvalues: np.ndarray) -> np.ndarray:
    """The eigenvalues above :func:`zero_tolerance` in absolute value, order kept."""
    eigenvalues = np.asarray(eigenvalues)
    return eigenvalues[np.abs(eigenvalues) > zero_tolerance(eigenvalues)]


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


def critical_point_tolerance(eigenvalues: np.ndarray, grad_norm: float) -> float:
    """Zero tolerance for the Hessian at a numerically found critical point.

    There ``|grad L| > 0`` is not exactly zero: the point lies at a distance
    ``delta ~ |grad| / lambda_+`` from the critical set (``lambda_+`` the smallest non-zero
    ``|lambda|``), which moves eigenvalues that vanish on the critical set by
    ``O(|D^3 L| delta)``, with ``|D^3 L| ~ max|lambda|``. So the ``n`` smallest ``|lambda|``
    count as zero when the ``n``-th is at most
    ``tol_n = P eps max|lambda| + 10 max|lambda| |grad| / |lambda|_(n+1)`` and the
    ``(n+1)``-th is above it; the largest such ``n`` is taken and its ``tol_n`` returned
    (:func:`zero_tolerance` when ``|grad| = 0``).

    Parameters
    ----------
    eigenvalues : ndarray, shape (P,)
    grad_norm : float
        ``|grad L|`` (2-norm) at the point.
    """
    a = np.sort(np.abs(np.asarray(eigenvalues, dtype=float)))
    P = a.size
    if P == 0 or a[-1] == 0.0:
        return 0.0
    top = float(a[-1])
    base = tolerance_for(P, top)
    if grad_norm == 0.0:
        return base
    tol = base + 10.0 * top * grad_norm / a[1:]  # tol_n for n = 1 .. P-1
    ok = np.flatnonzero((a[:-1] <= tol) & (tol < a[1:]))
    return float(tol[ok[-1]]) if ok.size else base
