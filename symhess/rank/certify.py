"""Certificates of the Hessian rank: proofs, never estimates.

**A rank proved in ball arithmetic** (:func:`certify_rank`, for kernels that are not rational:
erf, the ReLU family). Evaluate ``H`` in python-flint ``arb`` balls (every entry an interval
that contains the exact value) and show, in ball arithmetic, that

    A = H + gamma N N^T - tau I

is positive definite, where the ``k`` columns of ``N`` are vectors that ``H`` annihilates *by a
theorem* (for the ReLU family the rescaling directions, :func:`symhess.rank.theory.null_basis`;
none, ``k = 0``, for an activation whose Hessian is expected to have full rank, like erf). That
proves

* ``rank H >= P - k`` (``H + gamma N N^T`` is non-singular, and adding ``N N^T`` raises the
  rank by at most ``k``), hence ``rank H = P - k`` when ``H N = 0``;
* every non-zero eigenvalue of ``H`` exceeds ``tau``: with ``H N = 0`` the complement of
  ``span N`` is invariant, ``A = H - tau I`` there, and it holds every non-zero eigenvalue.

``A`` is proved positive definite by :func:`certify_positive_definite`: for *any* real ``X``,
if ``B = X A X^T`` computed in ball arithmetic has every row rigorously strictly diagonally
dominant with a positive diagonal (``lower(B_ii) - sum_{j != i} upper(|B_ij|) > 0``), then
``B`` is positive definite (Gershgorin), so ``X`` is non-singular and ``A = X^{-1} B X^{-T}``
is positive definite (Sylvester's law of inertia; docs/theory.md, "Certified rank"). Nothing
about ``X`` is assumed: a poor ``X`` can only make the test fail, never pass, and a singular
or indefinite ``A`` can never pass. ``X`` is an approximate inverse Cholesky factor built by
refinement: ``X_0 = I``; ``X_{k+1} = L_k^{-1} X_k`` with ``L_k`` the float64 Cholesky factor
of the midpoints of ``X_k A X_k^T`` (each step gains about ``1 / (P eps)`` of conditioning);
the products are ``arb_mat`` products in C, ``O(P^3)``.

``gamma`` and ``tau`` are chosen from a float64 look at the midpoints (``gamma`` so that
``gamma N N^T`` has the scale of ``H``; ``tau`` half the smallest eigenvalue beyond the ``k``
expected zeros when float64 can see it, i.e. above ``1000 P eps max|lambda|``, and otherwise,
or when that fails, ``2^(-prec/2) max|lambda|``), but the proof does not depend on how they
were chosen. When no ``tau`` can be proved the result says "not certified at this precision"
with the precision to try next (more bits shrink the balls and the smallest ``tau``) and
claims nothing - unless a vector ``x`` with ``x^T A x < 0`` proves, in balls, that ``A`` is not
positive definite for that ``tau``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import scipy.linalg

from ..base.systems import MAX_PREC, arb_precision
from ..errors import SymhessError

__all__ = ["Certificate", "RankCertificate", "certify_positive_definite", "certify_rank"]


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
        Rows of ``X A X^T`` proved strictly diagonally dominant (``P`` when certified).
    smallest_pivot : float or None
        The smallest Gershgorin margin ``lower(B_ii) - sum_j upper(|B_ij|)`` reached.
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
        """The precision to try when the balls were too wide to decide."""
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
        taus.append(0.0)  # the rank alone, when no bound on the eigenvalues can be proved
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
    Ab = flint.arb_mat(base.tolist())
    for tau in taus:
        A = Ab - flint.arb(tau) * flint.arb_mat(np.eye(P).tolist())
        cert = certify_positive_definite(A, prec)
        rows, margin = cert.rows, cert.margin
        if cert.certified:
            return RankCertificate(
                True,
                P - k,
                P,
                tau,
                gamma,
                prec,
                P,
                margin,
                f"certified {what}: proved at {prec} bits - X (H + gamma N N^T - tau I) X^T is "
                f"strictly diagonally dominant for a refined inverse Cholesky factor X (refined "
                f"{cert.steps} time(s)), "
                + (
                    f"so every non-zero eigenvalue exceeds {tau:.3g}"
                    if tau > 0
                    else "tau = 0 (no lower bound on the eigenvalues proved at this precision)"
                ),
            )
    if cert.indefinite:
        why = (
            f"H + gamma N N^T - tau I is certainly negative along a vector x (x^T A x < 0 in "
            f"balls) for tau = {tau:.3g}: H has more than {k} zero eigenvalues or one at most "
            f"{tau:.3g}"
        )
    else:
        why = cert.detail
    hint = f"; try {2 * prec} bits" if tau in (floor, 0.0) else "; try a smaller tau"
    reason = f"not certified at this precision ({prec} bits; {what} claimed): {why}{hint}"
    return RankCertificate(False, P - k, P, tau, gamma, prec, rows, margin, reason)


REFINEMENTS = 6
"""Steps of refining the approximate inverse factor ``X`` before giving up."""


@dataclass(frozen=True)
class Certificate:
    """The outcome of :func:`certify_positive_definite`.

    Attributes
    ----------
    certified : bool
        ``True``: every matrix in the balls is positive definite, proven. ``False``: not
        proven - which is a proof of the opposite only when ``indefinite``.
    prec : int
        Bits of the ball arithmetic used.
    margin : float
        ``min_i lower(B_ii) - sum_j upper(|B_ij|)`` of the last ``B = X H X^T`` (rounded for
        display; ``nan`` if none was made): positive when certified.
    rows : int
        Rows of that ``B`` proved strictly diagonally dominant (``P`` when certified).
    steps : int
        Refinements of ``X`` made.
    indefinite : bool
        A vector ``x`` with ``x^T H x < 0`` for every matrix in the balls was found.
    detail : str
        How, or why not.
    seconds : float
    """

    certified: bool
    prec: int
    margin: float
    rows: int
    steps: int
    indefinite: bool
    detail: str
    seconds: float

    @property
    def next_prec(self) -> int | None:
        """The precision to try next when not certified (``None`` past the maximum)."""
        if self.certified or self.indefinite or 2 * self.prec > MAX_PREC:
            return None
        return 2 * self.prec

    def line(self) -> str:
        """One line for reports: "certified full rank ..." or "not certified at this
        precision ...", with the precision to try next."""
        if self.certified:
            proved = f"positive definite, proved at {self.prec} bits"
            return f"certified full rank ({proved}; {self.detail})"
        if self.indefinite:
            return f"not positive definite, proved at {self.prec} bits ({self.detail})"
        nxt = (
            f"; try {self.next_prec} bits"
            if self.next_prec
            else f"; {MAX_PREC} bits is the most symhess tries"
        )
        return f"not certified at this precision ({self.prec} bits: {self.detail}){nxt}"


def _midpoints(M) -> np.ndarray:
    """float64 midpoints of an ``arb_mat``, symmetrised."""
    P = M.nrows()
    flat = np.array([float(x.mid()) for x in M.mid().entries()]).reshape(P, P)
    return (flat + flat.T) / 2


def _margin(B) -> tuple[int, float]:
    """Rows of the ball matrix ``B`` certainly strictly diagonally dominant with a positive
    diagonal, and the smallest row margin (for display)."""
    P = B.nrows()
    entries = B.entries()
    certain, worst = 0, np.inf
    for i in range(P):
        row = entries[i * P : (i + 1) * P]
        s = row[i]
        for j, x in enumerate(row):
            if j != i:
                s -= abs(x).upper()
        low = s.lower()
        if low > 0:
            certain += 1
        worst = min(worst, float(low.mid())) if low.is_finite() else -np.inf
    return certain, worst


def _shifted_cholesky(mid: np.ndarray) -> np.ndarray | None:
    """The float64 Cholesky factor of ``mid``, or of ``mid + delta I`` with the smallest of a
    few shifts ``delta`` from ``16 P eps max diag`` up that works (an eigenvalue below float64's
    resolution makes the plain factorisation fail; the shifted factor still makes the next
    ``X H X^T`` better conditioned by ~``delta / lambda_max``). ``None`` if none works."""
    P = mid.shape[0]
    top = float(np.max(np.abs(np.diag(mid)))) or 1.0
    shifts = [0.0] + [16 * P * np.finfo(float).eps * top * 100.0**k for k in range(4)]
    for delta in shifts:
        try:
            return scipy.linalg.cholesky(mid + delta * np.eye(P), lower=True)
        except np.linalg.LinAlgError:
            continue
    return None


def _negative_direction(H, mid: np.ndarray) -> bool:
    """Whether the eigenvector of the smallest midpoint eigenvalue proves, in balls, that
    ``x^T H x < 0`` for every matrix in the balls of ``H``."""
    import flint

    lam, vec = np.linalg.eigh(mid)
    if not lam[0] < 0:
        return False
    x = flint.arb_mat([[float(t)] for t in vec[:, 0]])  # floats enter exactly
    q = (x.transpose() * H * x)[0, 0]
    return bool(q < 0)


def certify_positive_definite(H, prec: int | None = None) -> Certificate:
    """Prove that every symmetric matrix in the balls of ``H`` is positive definite.

    Parameters
    ----------
    H : flint.arb_mat or ndarray of flint.arb, shape (P, P)
        A symmetric enclosure, e.g. ``symhess.hessian(..., system="arb")``.
    prec : int, optional
        Bits of the ball products; default ``flint.ctx.prec``.

    Returns
    -------
    Certificate
        ``certified`` only if the inequality of the module docstring holds rigorously.
    """
    import flint

    start = time.perf_counter()
    if isinstance(H, np.ndarray):
        if H.ndim != 2 or H.shape[0] != H.shape[1] or H.size == 0:
            raise SymhessError(f"H must be a non-empty square matrix, got shape {H.shape}")
        H = flint.arb_mat([[flint.arb(x) for x in row] for row in H.tolist()])
    P = H.nrows()
    if H.ncols() != P:
        raise SymhessError(f"H must be square, got {P} x {H.ncols()}")
    prec = int(flint.ctx.prec if prec is None else prec)

    def outcome(ok, rows, margin, steps, detail, indefinite=False):
        seconds = time.perf_counter() - start
        return Certificate(ok, prec, margin, rows, steps, indefinite, detail, seconds)

    with arb_precision(prec):
        X = None  # the identity
        B = H
        for step in range(REFINEMENTS + 1):
            rows, margin = _margin(B)
            if rows == P:
                detail = (
                    f"X H X^T strictly diagonally dominant, X refined {step} time(s), "
                    f"smallest Gershgorin margin {margin:.2e}"
                )
                return outcome(True, rows, margin, step, detail)
            if step == REFINEMENTS:
                break
            mid = _midpoints(B)
            if not np.all(np.isfinite(mid)):
                return outcome(False, rows, margin, step, "the balls are too wide to factor")
            L = _shifted_cholesky(mid)
            if L is None:
                if _negative_direction(H, _midpoints(H)):
                    return outcome(False, rows, margin, step, "x^T H x < 0 for a vector x", True)
                return outcome(
                    False,
                    rows,
                    margin,
                    step,
                    f"after {step} refinement(s) the midpoints of X H X^T are far from positive "
                    "definite (H may be singular, or need more bits)",
                )
            M = scipy.linalg.solve_triangular(L, np.eye(P), lower=True)
            Mb = flint.arb_mat(M.tolist())  # floats enter exactly
            X = Mb if X is None else Mb * X
            B = X * H * X.transpose()
        if _negative_direction(H, _midpoints(H)):
            return outcome(False, rows, margin, REFINEMENTS, "x^T H x < 0 for a vector x", True)
        return outcome(
            False,
            rows,
            margin,
            REFINEMENTS,
            f"X H X^T is not diagonally dominant after {REFINEMENTS} refinements (H may be "
            "singular, or need more bits)",
        )
