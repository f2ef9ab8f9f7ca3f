"""A proof of the Hessian rank in ball arithmetic, for kernels that are not rational.

The exact rank over Q needs rational kernels (polynomials). When the kernels involve ``pi``,
square roots and ``arccos`` (the ReLU family) a rank can still be *proved*: evaluate ``H``
in python-flint ``arb`` balls (every entry an interval that contains the exact value) and
show, in ball arithmetic, that

    A = H + gamma N N^T - tau I

is positive definite, where the ``k`` columns of ``N`` are vectors that ``H`` annihilates
*by a theorem* (for the ReLU family the rescaling directions, :func:`symhess.rank.theory.
null_basis`; none, ``k = 0``, for an activation whose Hessian is expected to have full rank).
``A`` is positive definite when an ``L D L^T`` elimination run in ball arithmetic finds every
pivot certainly positive (each pivot is a Schur complement ratio of leading minors, all of
which are then positive - Sylvester's criterion). That proves

* ``rank H >= P - k`` (``H + gamma N N^T`` is non-singular, and adding ``N N^T`` raises the
  rank by at most ``k``), hence ``rank H = P - k`` when ``H N = 0``;
* every non-zero eigenvalue of ``H`` exceeds ``tau``: with ``H N = 0`` the complement of
  ``span N`` is invariant, ``A = H - tau I`` there, and it holds every non-zero eigenvalue.

``gamma`` and ``tau`` are chosen from a float64 look at the midpoints (``gamma`` so that
``gamma N N^T`` has the scale of ``H``; ``tau`` half the smallest eigenvalue beyond the ``k``
expected zeros when float64 can see it, i.e. above ``1000 P eps max|lambda|``, and otherwise,
or when that fails, ``2^(-prec/2) max|lambda|``), but the proof does not depend on how they
were chosen. When no ``tau`` can be proved - a pivot's ball contains 0, or is negative even for
the smallest ``tau`` - the result says "not certified" with the precision to try next
(more bits shrink the balls and the smallest ``tau``), and claims nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..base.progress import progress
from ..errors import SymhessError

__all__ = ["RankCertificate", "certify_rank"]


@dataclass(frozen=True)
class RankCertificate:
    """The outcome of :func:`certify_rank`.

    Attributes
    ----------
    certified : bool
        ``True``: ``rank H >= P - k`` is proved, and with ``H N = 0`` (the caller's theorem)
        ``rank H = P - k`` and every non-zero eigenvalue exceeds ``tau``.
    rank : int
        ``P - k``: the rank proved, or claimed without proof when not certified.
    params : int
        ``P``.
    tau, gamma : float
        The bound proved and the weight of ``N N^T`` (dyadic numbers, exact in every system).
    prec : int
        Bits of the ball arithmetic.
    pivots : int
        Pivots certified positive (``P`` when certified).
    smallest_pivot : float or None
        Midpoint of the smallest pivot reached.
    reason : str
        One line: what was proved, or why not and what to try.
    """

    certified: bool
    rank: int
    params: int
    tau: float
    gamma: float
    prec: int
    pivots: int
    smallest_pivot: float | None
    reason: str

    @property
    def next_prec(self) -> int:
        """The precision to try when a pivot's ball contained 0."""
        return 2 * self.prec


def _dyadic_below(x: float) -> float:
    """The largest power of 2 not above ``x > 0``."""
    return float(np.ldexp(1.0, int(np.floor(np.log2(x)))))


def _dyadic_above(x: float) -> float:
    return float(np.ldexp(1.0, int(np.ceil(np.log2(x)))))


def _ball(x):
    import flint

    if isinstance(x, flint.arb):
        return x
    if isinstance(x, Fraction):
        return flint.arb(flint.fmpq(x.numerator, x.denominator))
    return flint.arb(x)


def certify_rank(H: np.ndarray, null_basis=None, *, tau: float | None = None) -> RankCertificate:
    """Prove ``rank H >= P - k`` and a lower bound ``tau`` on its non-zero eigenvalues.

    Parameters
    ----------
    H : ndarray of flint.arb, shape (P, P)
        A symmetric matrix in ball arithmetic (e.g. ``symhess.hessian(..., system="arb")``),
        at the current ``flint.ctx.prec``.
    null_basis : array_like, shape (P, k), optional
        Vectors ``H`` annihilates by a theorem (Fractions, floats or balls; linearly
        independent). ``None``: ``k = 0``, i.e. prove full rank.
    tau : float, optional
        The bound to prove, ``> 0``; default half the float64 estimate of the smallest
        eigenvalue beyond the ``k`` expected zeros, rounded down to a power of 2.

    Returns
    -------
    RankCertificate
        ``certified`` False when a pivot is not certainly positive (with the reason).
    """
    import flint

    H = np.asarray(H, dtype=object)
    if H.ndim != 2 or H.shape[0] != H.shape[1] or H.size == 0:
        raise SymhessError(f"H must be a non-empty square matrix, got shape {H.shape}")
    if not all(isinstance(x, flint.arb) for x in H.flat):
        raise SymhessError("H must hold python-flint arb balls (evaluate it with system='arb')")
    P = H.shape[0]
    N = np.empty((P, 0), dtype=object) if null_basis is None else np.asarray(null_basis, object)
    if N.ndim != 2 or N.shape[0] != P or N.shape[1] >= P:
        raise SymhessError(f"the null basis must have shape (P, k) with k < P = {P}")
    k = N.shape[1]
    prec = int(flint.ctx.prec)
    mid = np.array([[float(x.mid()) for x in row] for row in H])
    lam = np.linalg.eigvalsh((mid + mid.T) / 2)
    scale = float(np.max(np.abs(lam)))
    if not scale > 0:
        raise SymhessError("H is zero: there is no rank to certify")
    floor = _dyadic_below(scale * 2.0 ** -(prec // 2))
    if tau is None:
        estimate = float(np.sort(np.abs(lam))[k])
        visible = estimate > 1000 * P * np.finfo(np.float64).eps * scale
        taus = [_dyadic_below(estimate / 2), floor] if visible else [floor]
    elif not (np.isfinite(tau) and tau > 0):
        raise SymhessError(f"tau must be a positive number, got {tau!r}")
    else:
        taus = [float(tau)]
    gamma = 0.0
    base = H.copy()
    if k:
        Nf = np.array(
            [[float(x.mid()) if isinstance(x, flint.arb) else float(x) for x in row] for row in N]
        )
        smallest = float(np.linalg.eigvalsh(Nf.T @ Nf)[0])
        if not smallest > 0:
            raise SymhessError("the null basis is not linearly independent")
        gamma = _dyadic_above(scale / smallest)
        Nb = np.vectorize(_ball, otypes=[object])(N)
        base = base + flint.arb(gamma) * Nb.dot(Nb.T)
    what = "full rank" if k == 0 else f"rank = P - {k}"
    for tau in taus:
        A = base.copy()
        t = flint.arb(tau)
        for i in range(P):
            A[i, i] = A[i, i] - t
        pivots, smallest_pivot, failed = _ldl(A)
        if failed is None:
            return RankCertificate(
                True,
                P - k,
                P,
                tau,
                gamma,
                prec,
                P,
                smallest_pivot,
                f"{what} proved at {prec} bits: L D L^T of H + gamma N N^T - tau I has every "
                f"pivot certainly positive, so every non-zero eigenvalue exceeds {tau:.3g}",
            )
    j, piv = failed
    if piv.contains(0):
        why = (
            f"pivot {j + 1} of {P} is a ball containing 0 ({float(piv.mid()):.3g} "
            f"+- {float(piv.rad()):.1g})"
        )
    else:
        why = (
            f"pivot {j + 1} of {P} is certainly negative for tau = {tau:.3g}: H has more than "
            f"{k} zero eigenvalues or one at most {tau:.3g}"
        )
    hint = f"; try {2 * prec} bits" if tau == floor else "; try a smaller tau"
    reason = f"not certified at {prec} bits ({what} claimed): {why}{hint}"
    return RankCertificate(False, P - k, P, tau, gamma, prec, pivots, smallest_pivot, reason)


def _ldl(A: np.ndarray):
    """``L D L^T`` of a symmetric object matrix of balls, row operations vectorised.

    Returns ``(pivots certified, smallest pivot midpoint, None)``, or with the first pivot that
    is not certainly positive as ``(index, ball)`` in place of ``None``.
    """
    A = A.copy()
    P = A.shape[0]
    smallest = None
    show = False if P < 150 else None
    for j in progress(range(P), desc="certify", unit="pivot", show=show):
        piv = A[j, j]
        if not piv > 0:
            return j, smallest, (j, piv)
        m = float(piv.mid())
        smallest = m if smallest is None else min(smallest, m)
        if j + 1 < P:
            col = A[j + 1 :, j] / piv
            A[j + 1 :, j + 1 :] -= np.multiply.outer(col, A[j, j + 1 :])
    return P, smallest, None
