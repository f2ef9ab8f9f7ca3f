"""What a computed spectrum proves about the rank, given how far its eigenvalues may be off.

Every eigenvalue of the computed matrix lies within ``noise`` of a true one (Weyl): the
Hessian's error bound (quadrature kernels, rounding of the Stein terms;
:mod:`symhess.curvature.accuracy`) plus the eigensolver's ``P u ||H||``. So
``#{|lambda| > noise}`` is a lower bound on the rank, and nothing in the spectrum bounds it
from above: a true eigenvalue below ``noise`` looks exactly like a zero. The rank is
*decided* when that lower bound meets a proven upper bound (``P``, or a theorem's for
polynomial activations) - or, for polynomial activations only, when the gap diagnostic puts
a ratio of at least :data:`GAP_DECISIVE` exactly at the noise. Polynomial networks have a
structural null space and a clean gap above it; smooth non-polynomial activations have
spectra that decay geometrically with no gap (erf, d = 1, h = 4: 1, 3e-2, 2e-4, 4e-7,
9e-11, 1e-15, 1e-22, 2e-29), where a gap criterion decides wrongly as soon as the next
eigenvalue falls below the noise (float64 counts 3 for erf at d = 1, h = 2; the truth is 4).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from ..errors import SymhessError
from ..spectra.zeros import gap_diagnostic

__all__ = ["GAP_DECISIVE", "RankVerdict", "rank_verdict"]

GAP_DECISIVE = 1e6
"""A gap at least this large at the noise decides a polynomial network's rank."""


@dataclass(frozen=True)
class RankVerdict:
    """The rank a computed spectrum certifies.

    Attributes
    ----------
    lower : int
        ``#{|lambda| > noise}``: eigenvalues certainly non-zero.
    upper : int
        The proven upper bound used (``P``, or a theorem's).
    noise : float
        How far any eigenvalue may have moved.
    gap_ratio : float
        Largest ratio between consecutive sorted ``|lambda|`` (floored at the working
        precision), and ``gap_below`` how many lie below it.
    gap_below : int
    how : {"proven", "gap"} or None
        ``"proven"``: ``lower == upper``; ``"gap"``: a polynomial network's gap of at least
        :data:`GAP_DECISIVE` at the noise (evidence, not proof); ``None``: not decided.
    suggested_dps : int or None
        When not decided: digits at which the next eigenvalue, extrapolated from the trend
        of the resolved ones, would clear the mpmath threshold ``10^(-dps/2)`` (a hint).
    """

    lower: int
    upper: int
    noise: float
    gap_ratio: float
    gap_below: int
    how: str | None
    suggested_dps: int | None = None

    @property
    def decided(self) -> bool:
        return self.how is not None

    @property
    def rank(self) -> int:
        """The count: the rank when decided, a lower bound otherwise."""
        return self.lower


def rank_verdict(
    magnitudes, noise: float, upper: int, *, floor: float, gap_allowed: bool
) -> RankVerdict:
    """The rank ``|lambda|`` certify when every eigenvalue may be off by ``noise``.

    Parameters
    ----------
    magnitudes : sequence of float or mpmath numbers, shape (P,)
        ``|lambda|`` of the computed matrix.
    noise : float or mpmath number
        How far each eigenvalue may be from a true one.
    upper : int
        A proven upper bound on the rank (``P`` at least).
    floor : float or mpmath number
        The working precision times ``max|lambda|`` (the gap diagnostic's floor).
    gap_allowed : bool
        Whether a gap may decide (polynomial activations).

    Raises
    ------
    SymhessError
        More eigenvalues above the noise than the proven bound allows: an error estimate or
        the bound is wrong (a bug to report, never a rank to print).
    """
    lam = list(magnitudes)
    P = len(lam)
    lower = sum(1 for x in lam if x > noise)
    if lower > upper:
        raise SymhessError(
            f"{lower} eigenvalues lie above the noise {float(noise):.1e} but the rank is at most "
            f"{upper}: an error estimate or the bound is wrong"
        )
    ratio, below = gap_diagnostic(lam, floor)
    if lower == upper:
        how = "proven"
    elif gap_allowed and ratio >= GAP_DECISIVE and below == P - lower:
        how = "gap"
    else:
        how = None
    suggested = None
    if how is None:
        top = max((float(x) for x in lam), default=0.0)
        resolved = sorted((float(x) / top for x in lam if x > noise), reverse=True) if top else []
        if len(resolved) >= 3:
            # log-linear trend of the smallest resolved eigenvalues, one step further
            tail = [math.log10(x) for x in resolved[-3:]]
            step = (tail[-1] - tail[0]) / 2
            nxt = tail[-1] + min(step, -1.0)
            suggested = int(math.ceil(2 * (-nxt) + 10))
    return RankVerdict(lower, upper, float(noise), ratio, below, how, suggested)
