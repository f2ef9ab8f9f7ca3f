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

**Exact rank of a polynomial Hessian, from both sides** (:func:`certified_exact_rank`). With
the weights and the ``h x h`` kernel matrices as integers over common denominators,
``M = E H`` is an integer matrix (:func:`integer_parts`), built modulo a prime in vectorised
int64 without any ``P^2`` big numbers (:func:`integer_hessian_mod`).

1. *Lower bound*: ``r = rank(M mod p)`` never exceeds the rank over Q.
2. *Upper bound*: ``k`` independent exact vectors with ``H N = 0`` give ``rank <= P - k``.
   They are looked for among the unit scalings ``T = [(e_i (x) w_i, 0), (0, e_i)]``: since
   ``H`` is positive semi-definite (a Gram matrix, ``E[g g^T]``), ``H T y = 0`` exactly when
   ``(T^T H T) y = 0``, and ``T^T H T`` is a ``2h x 2h`` matrix of kernel-matrix entries
   (docs/theory.md, "Certified rank"), whose null space python-flint finds over Q at once.
   Every vector found is then checked by exact multiplication with the matrix-free integer
   operator (:class:`IntegerOperator`), a route that shares no formula with ``T^T H T``.

When ``r = P - k`` the rank is certified. For a polynomial whose top-degree part determines
the weights up to scaling (the Alexander-Hirschowitz range, ``h d <= C(d+p-1, p)``), every
kernel vector is a unit scaling, and the two bounds meet. Otherwise (an unlucky prime, or a
kernel outside the scalings: a degenerate teacher, quadratic activations) the caller computes
the rank over Q.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from fractions import Fraction
from math import lcm

import numpy as np
import scipy.linalg

from ..base.systems import MAX_PREC, arb_precision
from ..base.systems import array as system_array
from ..curvature.matrices import kernel_matrices
from ..errors import SymhessError
from ..kernels import Kernels
from ..symbolic.names import KERNEL_NAMES

__all__ = [
    "Certificate",
    "ExactRank",
    "IntegerOperator",
    "IntegerParts",
    "RankCertificate",
    "certified_exact_rank",
    "certify_positive_definite",
    "certify_rank",
    "integer_hessian_mod",
    "integer_parts",
    "scaling_kernel",
    "word_prime",
]


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
    shifted = "H + gamma N N^T - tau I" if k else "H - tau I"
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
                f"certified {what}: proved at {prec} bits - X ({shifted}) X^T is strictly "
                f"diagonally dominant for a refined inverse Cholesky factor X (refined "
                f"{cert.steps} time(s)), "
                + (
                    f"so every {'non-zero ' if k else ''}eigenvalue exceeds {tau:.3g}"
                    if tau > 0
                    else "tau = 0 (no lower bound on the eigenvalues proved at this precision)"
                ),
            )
    if cert.indefinite:
        why = (
            f"{shifted} is certainly negative along a vector x (x^T A x < 0 in "
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


# ============================================================================ exact rank
def word_prime(seed: int = 0) -> int:
    """A random prime in ``[2^30, 2^31)`` drawn from ``seed``: products of two residues fit
    int64, so ``M mod p`` is built in vectorised numpy."""
    import flint

    rng = np.random.default_rng([seed, 0xCE27])
    n = int(rng.integers(2**30, 2**31)) | 1
    while not flint.fmpz(n).is_prime():
        n += 2
    return n


def _fractions(x) -> tuple[np.ndarray, np.ndarray]:
    """Numerators and denominators (object arrays of ints) of exact numbers."""
    arr = np.asarray(x, dtype=object)
    num = np.empty(arr.shape, dtype=object)
    den = np.empty(arr.shape, dtype=object)
    for idx, t in np.ndenumerate(arr):
        num[idx], den[idx] = int(t.p), int(t.q)
    return num, den


def _scaled(num: np.ndarray, den: np.ndarray, D: int) -> np.ndarray:
    out = np.empty(num.shape, dtype=object)
    for idx in np.ndindex(num.shape):
        out[idx] = num[idx] * (D // den[idx])
    return out


@dataclass(frozen=True)
class IntegerParts:
    """The Hessian as ``H = M / E`` from integer pieces (object arrays of Python ints).

    ``Wn = dW W`` (h, d), ``vn = dv v`` (h,), ``Kn[name] = dK K[name]`` (h, h), and
    ``E = dv^2 dW^2 dK``: then ``M = E H`` has the block formula with ``vn, Wn, Kn`` in place
    of ``v, W, K``, the ``A`` term times ``dW^2``, ``H_Wv`` times ``dv dW`` and ``H_vv`` times
    ``dv^2 dW^2``.
    """

    Wn: np.ndarray
    vn: np.ndarray
    Kn: dict[str, np.ndarray]
    dW: int
    dv: int
    dK: int
    K: dict[str, np.ndarray] = field(repr=False, default_factory=dict)

    @property
    def E(self) -> int:
        return self.dv**2 * self.dW**2 * self.dK

    @property
    def shape(self) -> tuple[int, int]:
        return self.Wn.shape


def integer_parts(kernels: Kernels, W, v) -> IntegerParts:
    """The integer pieces of ``M = E H`` for a polynomial activation.

    Parameters
    ----------
    kernels : Kernels
        Of a polynomial activation (they evaluate exactly in fmpq).
    W : ndarray, shape (h, d)
        Exact values (floats enter with their binary value).
    v : ndarray, shape (h,)
    """
    Wq, vq = system_array(W, "fmpq"), system_array(v, "fmpq")
    K = kernel_matrices(kernels, Wq, system="fmpq")
    Wnum, Wden = _fractions(Wq)
    vnum, vden = _fractions(vq)
    dW = lcm(1, *(int(t) for t in Wden.reshape(-1)))
    dv = lcm(1, *(int(t) for t in vden.reshape(-1)))
    parts = {name: _fractions(K[name]) for name in KERNEL_NAMES}
    dK = lcm(1, *(int(t) for name in KERNEL_NAMES for t in parts[name][1].reshape(-1)))
    Kn = {name: _scaled(*parts[name], dK) for name in KERNEL_NAMES}
    return IntegerParts(_scaled(Wnum, Wden, dW), _scaled(vnum, vden, dv), Kn, dW, dv, dK, K)


def integer_hessian_mod(parts: IntegerParts, p: int) -> np.ndarray:
    """``M mod p`` (``M = E H``), shape (P, P), int64 entries in ``[0, p)``, for ``p < 2^31``.

    The block formula with every product reduced modulo ``p``, vectorised over all ``P^2``
    entries (products of two residues stay below ``2^62``).
    """
    if not 2 < p < 2**31:
        raise SymhessError(f"the modulus must be an odd prime below 2^31, got {p}")
    h, d = parts.shape
    hd = h * d

    def red(x):
        return np.array(
            [int(t) % p for t in np.asarray(x, dtype=object).reshape(-1)], dtype=np.int64
        ).reshape(np.shape(x))

    W, v = red(parts.Wn), red(parts.vn)
    K = {n: red(parts.Kn[n]) for n in KERNEL_NAMES}
    dW2 = parts.dW**2 % p
    dvdW = parts.dv * parts.dW % p
    dv2dW2 = parts.dv**2 * parts.dW**2 % p
    vv = v[:, None] * v[None, :] % p
    A = vv * K["K11"] % p * dW2 % p
    B, G, D = (vv * K[n] % p for n in ("K31", "K22", "K13"))
    M = np.empty((hd + h, hd + h), dtype=np.int64)
    Wij = W[:, :, None, None]
    Wil = W[:, None, None, :]
    Wkj = W.T[None, :, :, None]
    Wkl = W[None, None, :, :]
    blocks = B[:, None, :, None] * (Wij * Wil % p) % p  # [i, j, k, l]
    blocks += D[:, None, :, None] * (Wkj * Wkl % p) % p
    blocks += G[:, None, :, None] * ((Wij * Wkl + Wkj * Wil) % p) % p
    diag = np.arange(d)
    blocks[:, diag, :, diag] += A[None, :, :]
    blocks %= p
    M[:hd, :hd] = blocks.reshape(hd, hd)
    Hwv = (
        v[:, None, None]
        * ((W[:, :, None] * K["K20"][:, None, :] + W.T[None, :, :] * K["K11"][:, None, :]) % p)
        % p
        * dvdW
        % p
    ).reshape(hd, h)
    M[:hd, hd:] = Hwv
    M[hd:, :hd] = Hwv.T
    M[hd:, hd:] = K["K00"] * dv2dW2 % p
    return M


def _fmpz(a: np.ndarray):
    import flint

    r, c = a.shape
    return flint.fmpz_mat(r, c, [int(x) for x in a.reshape(-1)])


def _ints(M) -> np.ndarray:
    return np.array([int(x) for x in M.entries()], dtype=object).reshape(M.nrows(), M.ncols())


class IntegerOperator:
    """``X -> M X`` exactly, ``M = E H``, for integer vectors, without forming ``M``.

    The matrix-free operator's formula (:mod:`symhess.curvature.matrix_free`) in integers:
    python-flint ``fmpz_mat`` products for the ``(h x d)(d x h m)``-sized products, object
    arrays for the ``O(h^2 m)`` entrywise work; never ``P^2`` big numbers.
    """

    def __init__(self, parts: IntegerParts):
        self.parts = parts
        h, d = parts.shape
        self.h, self.d, self.P = h, d, h * d + h
        vn, K = parts.vn, parts.Kn
        vv = np.multiply.outer(vn, vn)
        self.B, self.G, self.D = (vv * K[n] for n in ("K31", "K22", "K13"))
        s = parts.dv * parts.dW
        self.sV = s * K["K11"] * vn[:, None]  # dv dW V, V_ik = v_i K11_ik
        self.sK20v = s * K["K20"] * vn[:, None]
        self.sK20T = s * K["K20"].T
        self.sK00 = parts.dv**2 * parts.dW**2 * K["K00"]
        self.Wm = _fmpz(parts.Wn)
        self.Am = _fmpz(parts.dW**2 * vv * K["K11"])

    def __call__(self, X: np.ndarray) -> np.ndarray:
        """``M X``; ``X`` and the result are object arrays of Python ints, shape (P, m)."""
        h, d = self.h, self.d
        hd = h * d
        m = X.shape[1]
        Wn, vn = self.parts.Wn, self.parts.vn
        Xw = X[:hd].reshape(h, d, m)
        y = X[hd:]
        S = _ints(self.Wm * _fmpz(Xw.transpose(1, 2, 0).reshape(d, m * h))).reshape(h, m, h)
        t = np.einsum("kjb,kj->kb", Xw, Wn)
        N = self.G[:, None, :] * S
        N += self.D[:, None, :] * t.T[None, :, :]
        N += self.sV[:, None, :] * y.T[None, :, :]
        NW = _ints(_fmpz(N.reshape(h * m, h)) * self.Wm).reshape(h, m, d)
        AX = _ints(self.Am * _fmpz(Xw.reshape(h, d * m))).reshape(h, d, m)
        c = np.einsum("ik,ibk->ib", self.B, S) + self.G.dot(t) + self.sK20v.dot(y)
        AX += NW.transpose(0, 2, 1)
        AX += Wn[:, :, None] * c[:, None, :]
        out = np.empty((self.P, m), dtype=object)
        out[:hd] = AX.reshape(hd, m)
        out[hd:] = (
            self.sK20T.dot(vn[:, None] * t) + np.einsum("ik,kbi->kb", self.sV, S) + self.sK00.dot(y)
        )
        return out


def scaling_kernel(parts: IntegerParts) -> np.ndarray:
    """Exact integer vectors ``N`` (shape ``(P, k)``) spanning the null space of ``H`` inside
    the unit scalings ``T = [(e_i (x) w_i, 0), (0, e_i)]`` (``k = 0`` if there is none).

    ``H`` is positive semi-definite, so ``H T y = 0`` exactly when ``(T^T H T) y = 0``. With
    every kernel matrix ``K`` at ``[i, k]``, ``a_i = |w_i|^2`` and ``c = w_i . w_k``::

        (T^T H T)[i, k]         = v_i v_k (c K11 + a_i c K31 + (a_i a_k + c^2) K22 + c a_k K13)
        (T^T H T)[i, h + k]     = v_i (a_i K20 + c K11)
        (T^T H T)[h + i, h + k] = K00

    Raises
    ------
    SymhessError
        A row ``w_i = 0`` (then ``T`` loses rank).
    """
    import flint

    h, d = parts.shape
    K = parts.K
    W = system_array(parts.Wn, "fmpq") / parts.dW
    v = system_array(parts.vn, "fmpq") / parts.dv
    if any(all(x == 0 for x in row) for row in W):
        raise SymhessError("a hidden unit with w_i = 0: the unit scalings are not independent")
    C = W.dot(W.T)
    a = np.array([C[i, i] for i in range(h)], dtype=object)
    vv = np.multiply.outer(v, v)
    ai, ak = a[:, None], a[None, :]
    S = np.empty((2 * h, 2 * h), dtype=object)
    S[:h, :h] = vv * (
        C * K["K11"] + ai * C * K["K31"] + (ai * ak + C * C) * K["K22"] + C * ak * K["K13"]
    )
    S[:h, h:] = v[:, None] * (ai * K["K20"] + C * K["K11"])
    S[h:, :h] = S[:h, h:].T
    S[h:, h:] = K["K00"]
    num, _ = flint.fmpq_mat(S.tolist()).numer_denom()
    basis, k = num.nullspace()
    Y = np.array([[int(basis[i, j]) for j in range(k)] for i in range(2 * h)], dtype=object)
    N = np.zeros((h * d + h, k), dtype=object)
    for i in range(h):
        N[i * d : (i + 1) * d] = parts.Wn[i][:, None] * Y[i][None, :]
    N[h * d :] = parts.dW * Y[h:]
    return N


@dataclass(frozen=True)
class ExactRank:
    """A rank over Q from the modular lower bound and, when it is below ``P``, the kernel.

    Attributes
    ----------
    rank : int or None
        The certified rank, or ``None`` when the two bounds did not meet.
    lower : int
        ``rank(M mod p)``, a lower bound.
    upper : int
        ``P - k`` from ``k`` verified kernel vectors (``P`` when none were looked for).
    prime : int
    route : str
        How the rank was certified, or why not.
    kernel : ndarray of int or None
        ``P x k`` verified kernel vectors.
    seconds : dict of str to float
        Time of each stage.
    """

    rank: int | None
    lower: int
    upper: int
    prime: int
    route: str
    kernel: np.ndarray | None
    seconds: dict


def certified_exact_rank(parts: IntegerParts, bound: int | None = None, seed: int = 0) -> ExactRank:
    """The rank over Q of ``H = M / E``, certified from both sides (module docstring).

    Parameters
    ----------
    parts : IntegerParts
    bound : int, optional
        A proven upper bound on the rank: the modular rank reaching it certifies at once.
    seed : int
        Draws the prime.

    Returns
    -------
    ExactRank
        ``rank`` is ``None`` when the bounds do not meet; the caller then computes the rank
        over Q.
    """
    import flint

    h, d = parts.shape
    P = h * d + h
    seconds: dict[str, float] = {}
    clock = [time.perf_counter()]

    def tick(stage):
        now = time.perf_counter()
        seconds[stage] = seconds.get(stage, 0.0) + now - clock[0]
        clock[0] = now

    p = word_prime(seed)
    Mp = integer_hessian_mod(parts, p)
    tick("M mod p (numpy int64)")
    Ap = flint.nmod_mat(P, P, Mp.reshape(-1).tolist(), p)
    del Mp
    tick("to python-flint")
    r = Ap.rank()
    del Ap
    tick("rank mod p")
    lower = f"the rank modulo the prime {p} is {r} (a rank mod p never exceeds the rank over Q)"
    if r == P:
        return ExactRank(r, r, P, p, f"certified: {lower}, full rank", None, seconds)
    if bound is not None and r >= bound:
        why = f"certified: {lower}, and reaches the proven upper bound {bound}"
        return ExactRank(r, r, bound, p, why, None, seconds)
    try:
        N = scaling_kernel(parts)
    except SymhessError as exc:
        tick("kernel among the unit scalings")
        return ExactRank(None, r, P, p, f"{lower}; {exc}", None, seconds)
    tick("kernel among the unit scalings")
    k = N.shape[1]
    if k:
        if any(IntegerOperator(parts)(N).reshape(-1)):
            raise SymhessError("internal error: a unit-scaling kernel vector fails H N = 0")
    tick("exact check H N = 0")
    if r == P - k:
        route = (
            f"certified: {lower}; {k} independent unit scalings with H N = 0, found exactly "
            f"and checked by exact multiplication, give rank <= {P - k}"
        )
        return ExactRank(r, r, P - k, p, route, N, seconds)
    return ExactRank(
        None,
        r,
        P - k,
        p,
        f"{lower}, below the {P - k} the unit scalings leave: not certified this way",
        N,
        seconds,
    )
