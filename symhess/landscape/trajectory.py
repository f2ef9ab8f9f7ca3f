"""The Hessian along a training trajectory: spectrum and rank at chosen times.

At each recorded point of a :class:`~symhess.landscape.flow.FlowResult`:

* the full float64 spectrum (LAPACK) when the dense Hessian fits in memory - index
  (negative eigenvalues), rank with the ``P eps max|lambda|`` tolerance and its gap;
* beyond dense memory, the extreme eigenvalues of the matrix-free operator (ARPACK, LOBPCG)
  and its spectral density by stochastic Lanczos quadrature;
* for polynomial activations, the exact rank over Q of the full Hessian and of its
  Gauss-Newton part at the point's exact (binary) weights: the rank along training, with no
  tolerance involved.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base import memory
from ..base.progress import progress, scope
from ..curvature.anywhere import DENSE_COPIES, Landscape
from ..curvature.dense import dense_bytes
from ..errors import SymhessError
from ..rank.measure import check_rank_memory, exact_matrix_rank
from ..spectra.density import SpectralDensity, slq
from ..spectra.extremes import extreme_eigenvalues
from ..spectra.summary import summarize
from .flow import FlowResult


@dataclass(frozen=True)
class SpectrumAt:
    """The Hessian at one time of a trajectory.

    Attributes
    ----------
    t, loss, grad_norm : float
    eigenvalues : ndarray, shape (P,), or None
        All eigenvalues, ascending (dense route); ``None`` beyond dense memory.
    smallest, largest : ndarray
        The extreme eigenvalues (all of them on the dense route, the ``k`` extremes on the
        operator route), ascending / descending.
    index : int or None
        Negative eigenvalues beyond the zero tolerance (dense route).
    rank : int or None
        Float64 rank with tolerance ``P eps max|lambda|`` (dense route).
    gap : float or None
        Gap diagnostic of the float64 rank.
    exact_rank, exact_rank_gn : int or None
        Polynomials: the rank over Q of the full Hessian and of its Gauss-Newton part.
    density : SpectralDensity or None
        Operator route: the SLQ density.
    """

    t: float
    loss: float
    grad_norm: float
    eigenvalues: np.ndarray | None
    smallest: np.ndarray
    largest: np.ndarray
    index: int | None
    rank: int | None
    gap: float | None
    exact_rank: int | None = None
    exact_rank_gn: int | None = None
    density: SpectralDensity | None = None


def pick_times(flow: FlowResult, times=None, count: int = 12) -> list[int]:
    """Indices of recorded points of ``flow`` nearest to ``times`` (default: ``count`` points
    evenly spread over the record, first and last included)."""
    n = flow.t.size
    if times is None:
        return sorted(set(np.linspace(0, n - 1, min(count, n)).round().astype(int).tolist()))
    times = np.atleast_1d(np.asarray(times, dtype=float))
    if np.any(~np.isfinite(times)) or np.any(times < 0):
        raise SymhessError("times must be finite and non-negative")
    return sorted({int(np.argmin(np.abs(flow.t - t))) for t in times})


def spectra_along(
    landscape: Landscape,
    flow: FlowResult,
    times=None,
    *,
    exact: bool | None = None,
    dense: bool | None = None,
    k: int = 6,
    probes: int = 20,
    show_progress: bool | None = None,
) -> list[SpectrumAt]:
    """The Hessian's spectrum (and exact rank) at chosen times of a trajectory.

    Parameters
    ----------
    landscape : Landscape
        The landscape the flow ran on.
    flow : FlowResult
    times : sequence of float, optional
        Times wanted; the nearest recorded points are used (record the flow with ``t_eval``
        to hit them). Default: 12 points spread over the record.
    exact : bool, optional
        Exact ranks (polynomial activations only); default: for polynomials when the Hessian
        is small enough (``P <= 200``).
    dense : bool, optional
        Full spectrum by LAPACK; default when it fits in memory, else the operator route.
    k : int
        Extreme eigenvalues on the operator route (each end).
    probes : int
        SLQ probes on the operator route.
    show_progress : bool, optional
        A bar over the times.

    Returns
    -------
    list of SpectrumAt
    """
    picked = pick_times(flow, times)
    h, d = flow.h, landscape.d
    P = h * d + h
    polynomial = landscape.kernels.activation.is_polynomial
    if exact is None:
        exact = polynomial and P <= 200
    if exact and not polynomial:
        raise SymhessError("exact ranks need a polynomial activation")
    if exact:
        check_rank_memory(P, "exact", copies=2)
    if dense is None:
        dense = memory.fits(dense_bytes(h, d, DENSE_COPIES + 1))
    out = []
    with scope(show_progress):
        for i in progress(picked, desc="spectra", unit="time", show=show_progress):
            W, v = landscape.split(flow.theta[i], h)
            er = er_gn = None
            if exact:
                er = exact_matrix_rank(landscape.hessian(W, v, system="fmpq"))[0]
                H_gn = landscape.hessian(W, v, part="gauss-newton", system="fmpq")
                er_gn = exact_matrix_rank(H_gn)[0]
            if dense:
                s = summarize(landscape.hessian(W, v))
                lam = s.eigenvalues
                index = int(np.sum(lam < -s.tolerance))
                out.append(
                    SpectrumAt(
                        float(flow.t[i]),
                        float(flow.loss[i]),
                        float(flow.grad_norm[i]),
                        lam,
                        lam,
                        lam[::-1],
                        index,
                        s.rank,
                        s.gap_ratio,
                        er,
                        er_gn,
                    )
                )
                continue
            op = landscape.operator(W, v)
            lo = extreme_eigenvalues(op, k, "smallest", show_progress=False)
            hi = extreme_eigenvalues(op, k, "largest", show_progress=False)
            dens = slq(op, probes=probes, show_progress=False)
            out.append(
                SpectrumAt(
                    float(flow.t[i]),
                    float(flow.loss[i]),
                    float(flow.grad_norm[i]),
                    None,
                    lo.eigenvalues,
                    hi.eigenvalues,
                    None,
                    None,
                    None,
                    er,
                    er_gn,
                    dens,
                )
            )
    return out
