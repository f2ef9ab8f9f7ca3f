"""The Hessian rank at the optimum, measured up to four ways from the same teacher.

* ``"float"``: LAPACK ``eigvalsh`` of the float64 Hessian. Every eigenvalue may be off by the
  *noise*: the Hessian's error bound (quadrature kernel estimates and the rounding of the
  Stein terms, :mod:`symhess.curvature.accuracy`) plus LAPACK's ``P eps max|lambda|``;
  eigenvalues at or below it count as zero.
* ``"mpmath"``: the Hessian evaluated at ``dps`` digits (polynomials, closed forms, and
  smooth activations through quadrature in ball arithmetic), its eigenvalues by python-flint
  (``acb_mat.eig(algorithm="approx")``, about 5x faster than ``mpmath.eigsy`` at P = 100; the
  rigorous ``acb_mat.eig`` cannot isolate the repeated zero eigenvalues of a null space);
  the noise is at least ``10^(-dps/2) max|lambda|``.
* ``"exact"``: the rank over Q, certified from both sides without the rational Hessian
  (:func:`symhess.rank.certify.certified_exact_rank`): the rank of ``M = E H`` modulo a
  random 31-bit prime never exceeds the rank over Q; it *is* the rank when it reaches a
  proven upper bound (:func:`symhess.rank.theory.upper_bound`) or the ``P - k`` left by
  ``k`` exact kernel vectors (unit scalings, checked by exact multiplication). Only when
  neither meets it is the Hessian built in rational arithmetic (python-flint ``fmpq``) and
  its rank over Q computed. The result says which route decided it.
* ``"certified"``: for kernels that are not rational but evaluate in ball arithmetic (erf,
  the ReLU family): the Hessian in python-flint ``arb`` balls at ``prec`` bits and a proof that
  ``H + gamma N N^T - tau I`` is positive definite, ``N`` the null basis theory gives
  (:func:`symhess.rank.theory.null_basis`, :mod:`symhess.rank.certify`). It proves the rank
  and a lower bound on the smallest non-zero eigenvalue, or says "not certified" (rank
  ``None``) with the reason and the precision to try. ``"exact"`` asked of the ReLU family
  (or of erf) is routed here (their kernels involve ``pi``, square roots, ``arcsin`` or
  ``arccos``), and the report says so.

A floating-point count is *decided* (:mod:`.verdict`) when the eigenvalues above the noise
reach a proven upper bound (``P``, or a theorem's), or - for polynomial activations only -
when the gap diagnostic (the largest ratio between consecutive sorted ``|lambda|``) is at
least :data:`GAP_DECISIVE` exactly at the noise. Smooth non-polynomial activations have no
gap to find: their floating-point counts below ``P`` are never decided (erf at d = 1, h = 2
has one true eigenvalue near 1e-19 of the largest; float64 sees 3 of 4).

:func:`rational_teacher` gives every method the same numbers: ``sample_teacher`` weights
rounded to multiples of ``2^-20``, exact in float64, mpmath and Q.

With biases (``b``) every method ranks the Hessian of ``f(x) = sum_i v_i sigma(w_i . x + b_i)``
(``P = h d + 2h``), and :func:`rank_report` also measures the rank without biases at the same
``(W, v)``: the seed paper's claim that biases add exactly one (a prediction of kind
``"claim"``) is judged against it. The certified method has no kernels with means in ball
arithmetic; it is replaced by the exact rank for polynomials and by mpmath otherwise (the ReLU
family's kernels with means need Owen's T), and the report says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from ..activation import Activation
from ..base import memory
from ..base.progress import progress
from ..base.systems import MAX_PREC, arb_precision, check_prec
from ..curvature.accuracy import noise as eigenvalue_noise
from ..curvature.dense import check_memory, hessian
from ..errors import SymhessError
from ..kernels import Kernels, resolve
from ..spectra.summary import SpectrumSummary, summarize
from ..spectra.zeros import EPS
from ..teacher import Teacher, check_biases, check_weights, sample_teacher
from .certify import certified_exact_rank, certify_rank, integer_parts
from .theory import Prediction, null_basis, predictions, upper_bound
from .verdict import GAP_DECISIVE as GAP_DECISIVE
from .verdict import rank_verdict

METHODS = ("float", "mpmath", "exact", "certified")
ROUTES = ("tolerance", "mod-p", "Q", "ball")
"""How a rank was decided (:attr:`MethodRank.route`)."""
REFERENCE_ORDER = ("exact", "certified", "mpmath", "float")
"""Methods from the most trustworthy: the reference rank is the first one measured."""
MIN_DPS = 20
DEFAULT_DPS = 50
DEFAULT_PREC = 128
MAX_DPS = 1000  # the mpmath rank grows like dps^1.6 P^3: 1000 digits at P = 100 is minutes
RATIONAL_BITS = 20

# Rough peak bytes per Hessian entry while building and ranking it (measured with
# tracemalloc at P = 100, with a margin for the numbers' limbs, which it cannot see).
_BYTES_PER_ENTRY = {"float": 8 * 3, "mpmath": 1500, "exact": 600, "certified": 1500}
# The modular route of the exact rank: M mod p in int64 with a few temporaries of its size,
# the list of Python ints python-flint is built from (~36 bytes an entry) and its own copy.
_MODULAR_BYTES_PER_ENTRY = 120


@dataclass(frozen=True)
class MethodRank:
    """The rank by one method.

    Attributes
    ----------
    method : {"float", "mpmath", "exact", "certified"}
    rank : int or None
        Exact and certified: the rank (``None`` when the certified method could not prove
        one, see ``detail``). Floating point: the eigenvalues above the noise - the rank when
        :attr:`decided`, a lower bound on it otherwise.
    params : int
        ``P``, the size of the Hessian.
    detail : str
        One line: tolerance and precision, or the route the exact rank took.
    gap_ratio, gap_below : float, int or None
        Floating-point methods: the largest ratio between consecutive sorted ``|lambda|`` and
        the number of eigenvalues below it. ``None`` for ``"exact"``.
    decided : bool
        Exact: always. Certified: the proof went through. Floating point: the count reaches
        the proven upper bound :attr:`upper`, or (polynomial activations) the largest gap is
        at least :data:`GAP_DECISIVE` exactly at the noise (:mod:`symhess.rank.verdict`).
    seconds : float
        Wall time of this method (Hessian and rank).
    dps : int or None
        Digits of the ``"mpmath"`` method.
    route : {"tolerance", "mod-p", "Q", "ball"}
        How the rank was decided: a floating-point threshold; the rank modulo a prime
        reaching a proven upper bound or the ``P - k`` left by ``k`` exact kernel vectors; the
        rank over Q; or a proof in ball arithmetic
        (``"certified"``, also when the proof failed and ``rank`` is ``None``).
    upper : int or None
        Floating point: the proven upper bound the count was held to.
    noise : float or None
        Floating point: how far any eigenvalue may be off (the Hessian's error bound plus the
        eigensolver's), in the Hessian's units.
    how : {"proven", "gap"} or None
        Why a floating-point count is decided (see :mod:`symhess.rank.verdict`).
    suggested_dps : int or None
        Undecided floating-point counts: digits at which the next eigenvalue, extrapolated
        from the resolved ones, would be resolved (a hint).
    kernel_error : float
        The quadrature part of the noise (0 for exact kernels).
    """

    method: str
    rank: int | None
    params: int
    detail: str
    gap_ratio: float | None = None
    gap_below: int | None = None
    decided: bool = True
    seconds: float = 0.0
    dps: int | None = None
    route: str = "tolerance"
    upper: int | None = None
    noise: float | None = None
    how: str | None = None
    suggested_dps: int | None = None
    kernel_error: float = 0.0

    @property
    def interval(self) -> tuple[int, int] | None:
        """``(rank, rank)`` when decided, ``(count, proven upper bound)`` for an undecided
        floating-point count, ``None`` without a rank."""
        if self.rank is None:
            return None
        if self.decided or self.upper is None:
            return self.rank, self.rank
        return self.rank, self.upper


@dataclass(frozen=True)
class RankReport:
    """Ranks by several methods for one teacher, with the theoretical predictions."""

    activation: Activation
    d: int
    h: int
    results: dict[str, MethodRank]
    predictions: list[Prediction] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    """Methods asked for that refused this teacher, with the reason."""
    bias: bool = False
    rank_without_bias: int | None = None
    """With biases: the rank of the network without biases at the same ``(W, v)`` (by the
    same methods' reference), which the claim ``paper_plus_one`` is judged by."""

    @property
    def params(self) -> int:
        return self.h * self.d + self.h + self.h * self.bias

    @property
    def reference(self) -> str:
        """The most trustworthy method that gave a rank (exact, certified, mpmath, float)."""
        measured = [m for m in REFERENCE_ORDER if m in self.results]
        return next((m for m in measured if self.results[m].rank is not None), measured[0])

    @property
    def rank(self) -> int | None:
        """The reference method's rank (``None`` only if no method gave one)."""
        return self.results[self.reference].rank

    @property
    def agree(self) -> bool:
        """Whether the methods are consistent: a decided count is one value, an undecided
        one the interval from its count to its proven bound; they agree when some rank lies
        in all of them."""
        intervals = [r.interval for r in self.results.values() if r.interval is not None]
        if not intervals:
            return True
        return max(lo for lo, _ in intervals) <= min(hi for _, hi in intervals)

    def holds(self) -> dict[str, bool | None]:
        """Each prediction judged against :attr:`rank` (``None`` without a rank)."""
        rank = self.rank
        return {q.name: None if rank is None else q.holds(rank) for q in self.predictions}


# ----------------------------------------------------------------------------- teachers
def rational_teacher(
    d: int, h: int, seed: int = 0, dist: str = "normal", bits: int = RATIONAL_BITS, bias=None
) -> Teacher:
    """A random teacher with rational weights, exactly representable in float64.

    ``sample_teacher(d, h, seed, dist, bias)`` rounded to multiples of ``2^-bits``; a weight
    (or bias) that would round to 0 becomes ``+-2^-bits`` (a zero is a non-generic teacher:
    for erf, parity makes ``K10`` and ``K21`` vanish at ``b = 0``). With biases, ``W`` and
    ``v`` are those of the teacher without biases and the same seed.

    Returns
    -------
    Teacher
        ``W`` (h, d), ``v`` (h,) and ``b`` (h,) or None, float64 arrays of dyadic rationals.
    """
    t = sample_teacher(d, h, seed=seed, dist=dist, bias=bias)
    scale = 2.0**bits

    def snap(x):
        n = np.round(x * scale)
        n = np.where(n == 0, np.where(x < 0, -1.0, 1.0), n)
        return n / scale

    return Teacher(W=snap(t.W), v=snap(t.v), b=None if t.b is None else snap(t.b))


# ----------------------------------------------------------------------------- helpers
def check_rank_memory(P: int, method: str, copies: int = 1) -> None:
    """Refuse a rank computation whose dense Hessian would not fit in memory."""
    memory.require(
        rank_bytes(P, method) * copies,
        f"the {method} rank at P = {P}" + (f" ({copies} at once)" if copies > 1 else ""),
        "use a smaller network",
    )


def rank_bytes(P: int, method: str) -> float:
    """Rough peak bytes of building and ranking a ``P x P`` Hessian with ``method``."""
    return _BYTES_PER_ENTRY[method] * P * P


def check_dps(dps: int) -> int:
    """``dps`` as an int, if it is between :data:`MIN_DPS` and :data:`MAX_DPS` digits."""
    if (
        isinstance(dps, bool)
        or not isinstance(dps, (int, np.integer))
        or not MIN_DPS <= dps <= MAX_DPS
    ):
        raise SymhessError(
            f"dps must be an integer from {MIN_DPS} to {MAX_DPS} digits, got {dps!r} "
            f"(the zero threshold 10^(-dps/2) must stay far below float64's)"
        )
    return int(dps)


def prime(seed: int = 0) -> int:
    """A random prime in [2^61, 2^62) drawn from ``seed`` (a word-size modulus for nmod)."""
    import flint

    rng = np.random.default_rng([seed, 0x5EED])
    n = int(rng.integers(2**61, 2**62)) | 1
    while not flint.fmpz(n).is_prime():
        n += 2
    return n


def applicable_methods(kernels: Kernels, bias: bool = False) -> tuple[str, ...]:
    """The rank methods that apply to these kernels, in :data:`METHODS` order: float always,
    mpmath for kernels that evaluate in it (closed forms, and quadrature in arb; with
    ``bias``, only kernels that have their means in mpmath), exact for polynomials, certified
    for kernels in ball arithmetic."""
    out = ["float"]
    if "mpmath" in kernels.systems and (not bias or _means_in(kernels, "mpmath")):
        out.append("mpmath")
    if kernels.activation.is_polynomial:
        out.append("exact")
    if "arb" in kernels.systems:
        out.append("certified")
    return tuple(out)


def _means_in(kernels: Kernels, system: str) -> bool:
    try:
        kernels.check_means(system)
    except SymhessError:
        return False
    return True


def check_methods(
    spec,
    methods,
    dps: int = DEFAULT_DPS,
    kernel_dirs=None,
    prec: int = DEFAULT_PREC,
    bias: bool = False,
) -> tuple[Activation, tuple[str, ...], list[str]]:
    """The activation, the methods to run and notes, once ``methods`` are known and apply.

    ``"exact"`` asked of an activation whose kernels are not rational but evaluate in ball
    arithmetic (erf, the ReLU family) is replaced by ``"certified"``, with a note saying so.
    With ``bias``, the kernels must have means, and ``"certified"`` (no kernels with means in
    ball arithmetic) is replaced by ``"exact"`` for a polynomial and ``"mpmath"`` otherwise,
    with a note.
    """
    unknown = [m for m in methods if m not in METHODS]
    if unknown or not methods:
        raise SymhessError(f"unknown rank method {unknown}; choose from {', '.join(METHODS)}")
    kern = resolve(spec, kernel_dirs)
    act = kern.activation
    notes = []
    methods = list(dict.fromkeys(methods))
    if "exact" in methods and not act.is_polynomial and "arb" in kern.systems:
        methods = list(dict.fromkeys("certified" if m == "exact" else m for m in methods))
        if not bias:
            notes.append(
                "exact rank over Q does not apply: the kernels of this activation are not "
                "rational (pi, square roots, arcsin or arccos); routed to the certified method "
                "(ball arithmetic)"
            )
    if bias:
        kern.check_means("float64")
        if "certified" in methods and act.is_polynomial:
            # the kernels with means of a polynomial are rational: the exact rank proves more
            methods = list(dict.fromkeys("exact" if m == "certified" else m for m in methods))
            notes.append(
                "with biases the certified rank has no kernels in ball arithmetic; the kernels "
                "with means of a polynomial are rational: the exact rank instead"
            )
        elif "certified" in methods:
            methods = list(dict.fromkeys("mpmath" if m == "certified" else m for m in methods))
            notes.append(
                "with biases neither the exact nor the certified rank applies to this "
                "activation (its kernels with means need Owen's T, which symhess has not in "
                "ball arithmetic); mpmath instead"
            )
    if "exact" in methods:
        require_polynomial(act)
    if "certified" in methods:
        require_balls(kern)
        check_prec(prec)
    if "mpmath" in methods:
        check_dps(dps)
        kern.check_system("mpmath")
        if bias:
            kern.check_means("mpmath")
    return act, tuple(m for m in METHODS if m in methods), notes


def require_balls(kernels: Kernels) -> Kernels:
    """The kernels, if they evaluate in ball arithmetic; a one-line error otherwise."""
    if "arb" not in kernels.systems:
        act = kernels.activation
        how = "use the exact method" if act.is_polynomial else "use the float or mpmath method"
        raise SymhessError(
            f"the certified rank needs kernels in ball arithmetic; those of {act.short} "
            f"({kernels.origin}) have none ({how})"
        )
    return kernels


def require_polynomial(act: Activation) -> Activation:
    """The activation, if the exact rank can be taken of it; a one-line error otherwise."""
    if not act.is_polynomial:
        raise SymhessError(
            f"the exact rank needs a polynomial activation; {act.short} is not one "
            "(use the float or mpmath method)"
        )
    return act


def gap_decides(act: Activation) -> bool:
    """Whether a gap may decide a floating-point count: polynomial networks and the ReLU
    family have structural null spaces with a clean gap above them; smooth non-polynomial
    activations have spectra that decay without one (:mod:`symhess.rank.verdict`)."""
    return act.is_polynomial or act.relu_family is not None


def proven_upper(act: Activation, d: int, h: int, bias: bool = False) -> int:
    """The smallest proven upper bound on the rank: a theorem's for polynomials, else P
    (with biases, those of the network with biases)."""
    return upper_bound(predictions(act, d, h, bias=bias))


# ----------------------------------------------------------------------------- the methods
def float_rank(
    spec, W, v, kernel_dirs=None, summary: SpectrumSummary | None = None, b=None
) -> MethodRank:
    """Rank of the float64 Hessian: eigenvalues above the noise (its error bound plus
    ``P eps max|lambda|``), decided as :mod:`symhess.rank.verdict` says.

    ``summary`` (from :func:`symhess.summarize` of this teacher's Hessian with its error,
    ``summarize(H, error)``) saves building and diagonalising the Hessian a second time;
    ``b`` are the biases, if any.
    """
    start = time.perf_counter()
    kern = resolve(spec, kernel_dirs)
    W, v = check_weights(W, v)
    h, d = W.shape
    if summary is None or summary.error is None:
        H, error = hessian(kern, W, v, b, with_error=True)
        summary = summarize(H, error)
    act = kern.activation
    lam = np.abs(summary.eigenvalues)
    top = float(lam.max(initial=0.0))
    verdict = rank_verdict(
        lam.tolist(),
        summary.tolerance,
        proven_upper(act, d, h, b is not None),
        floor=EPS * top or 1.0,
        gap_allowed=gap_decides(act),
    )
    kernel_error = summary.error.kernel if summary.error is not None else 0.0
    detail = f"noise {summary.tolerance:.1e} = " + (
        "quadrature error bound + rounding + P eps max|lambda|"
        if kernel_error
        else "rounding bound + P eps max|lambda|"
    )
    return MethodRank(
        "float",
        verdict.lower,
        summary.eigenvalues.size,
        detail,
        verdict.gap_ratio,
        verdict.gap_below,
        verdict.decided,
        time.perf_counter() - start,
        upper=verdict.upper,
        noise=verdict.noise,
        how=verdict.how,
        suggested_dps=verdict.suggested_dps,
        kernel_error=kernel_error,
    )


def _eigenvalue_magnitudes(H: np.ndarray, prec: int) -> list:
    """``|lambda|`` of a symmetric mpmath matrix as mpmath numbers, by python-flint."""
    import flint
    import mpmath

    saved = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        A = flint.arb_mat(H.tolist())
        eig = A.eig(algorithm="approx")
        return [abs(mpmath.mpf(tuple(map(int, e.real.mid().man_exp())))) for e in eig]
    finally:
        flint.ctx.prec = saved


def mpmath_rank(spec, W, v, dps: int = DEFAULT_DPS, kernel_dirs=None, b=None) -> MethodRank:
    """Rank of the Hessian evaluated at ``dps`` digits: eigenvalues above the noise
    ``max(10^(-dps/2) max|lambda|, error bound + P 10^-dps max|lambda|)``, decided as
    :mod:`symhess.rank.verdict` says.

    Smooth activations without closed-form kernels are integrated in ball arithmetic at this
    precision (:mod:`symhess.kernels.quadrature_mp`), or refused with the reason.
    """
    import mpmath

    dps = check_dps(dps)
    start = time.perf_counter()
    kern = resolve(spec, kernel_dirs)
    W, v = check_weights(W, v)
    h, d = W.shape
    check_rank_memory(h * (d + 1 + (b is not None)), "mpmath")
    with mpmath.workdps(dps):
        H, error = hessian(kern, W, v, b, system="mpmath", with_error=True)
        lam = _eigenvalue_magnitudes(H, mpmath.mp.prec + 10)
        P = len(lam)
        scale = max(lam)
        threshold = mpmath.mpf(10) ** (-mpmath.mpf(dps) / 2) * scale
        noise = max(threshold, eigenvalue_noise(error, P, float(scale), 10.0**-dps))
        floor = mpmath.mpf(10) ** (-dps) * scale if scale else mpmath.mpf(1)
        verdict = rank_verdict(
            lam,
            noise,
            proven_upper(kern.activation, d, h, b is not None),
            floor=floor,
            gap_allowed=gap_decides(kern.activation),
        )
    return MethodRank(
        "mpmath",
        verdict.lower,
        P,
        f"{dps} digits, noise {float(noise):.1e} (at least 1e-{dps / 2:g} max|lambda|)",
        verdict.gap_ratio,
        verdict.gap_below,
        verdict.decided,
        time.perf_counter() - start,
        dps,
        upper=verdict.upper,
        noise=float(noise),
        how=verdict.how,
        suggested_dps=verdict.suggested_dps,
        kernel_error=error.kernel,
    )


def exact_matrix_rank(
    H: np.ndarray, bound: int | None = None, seed: int = 0, fast: bool = True
) -> tuple[int, str]:
    """Rank over Q of a matrix of rationals, and how it was decided.

    Parameters
    ----------
    H : ndarray of fmpq (or anything ``flint.fmpq_mat`` accepts), shape (m, n)
    bound : int, optional
        A proven upper bound on the rank. With ``fast``, a rank modulo a random prime that
        reaches it is returned without computing over Q.
    seed : int
        Draws the prime.
    fast : bool
        Try the rank modulo a prime first.

    Returns
    -------
    (rank, detail) : (int, str)
        ``detail`` says how the rank was decided, in words.
    """
    rank, _, detail = _exact_matrix_rank(H, bound, seed, fast)
    return rank, detail


def _exact_matrix_rank(H, bound, seed, fast) -> tuple[int, str, str]:
    """:func:`exact_matrix_rank` with the route: ``(rank, "mod-p" or "Q", detail)``."""
    import flint

    num, _ = flint.fmpq_mat(H.tolist()).numer_denom()
    if fast and bound is not None:
        p = prime(seed)
        rank_p = flint.nmod_mat(num, p).rank()
        if rank_p == bound:
            return (
                rank_p,
                "mod-p",
                (
                    f"certified: the rank modulo the prime {p} reaches the proven upper bound "
                    f"{bound} (a rank mod p never exceeds the rank over Q)"
                ),
            )
        return (
            num.rank(),
            "Q",
            (
                f"rank over Q (python-flint); the rank modulo {p} was {rank_p}, "
                f"below the proven upper bound {bound}"
            ),
        )
    return num.rank(), "Q", "rank over Q (python-flint)"


def exact_rank(
    spec, W, v, kernel_dirs=None, seed: int = 0, fast: bool = True, b=None
) -> MethodRank:
    """Rank over Q of the Hessian (polynomial activations only), certified.

    The weights (and biases ``b``, if any) enter with their exact values (a float is its
    binary fraction); use :func:`rational_teacher` for small denominators. With ``fast`` the
    modular route comes first (module docstring; without biases - with them the rational
    Hessian's rank modulo a prime that reaches the proven bound, else over Q); ``fast=False``
    computes the rank of the rational Hessian over Q directly (the reference the tests compare
    with).
    """
    start = time.perf_counter()
    kern = resolve(spec, kernel_dirs)
    act = require_polynomial(kern.activation)
    W, v = check_weights(W, v)
    h, d = W.shape
    P = h * d + h + h * (b is not None)
    if b is not None:
        check_rank_memory(P, "exact")
        H = hessian(kern, W, v, b, system="fmpq")
        bound = upper_bound(predictions(act, d, h, bias=True))
        rank, route, detail = _exact_matrix_rank(H, bound, seed, fast)
        seconds = time.perf_counter() - start
        return MethodRank("exact", rank, P, detail, seconds=seconds, route=route)
    bound = upper_bound(predictions(act, d, h))
    why = ""
    if fast:
        memory.require(
            _MODULAR_BYTES_PER_ENTRY * P * P,
            f"the exact rank at P = {P} (modular route)",
            "use a smaller network",
        )
        res = certified_exact_rank(integer_parts(kern, W, v), bound, seed)
        if res.rank is not None:
            seconds = time.perf_counter() - start
            return MethodRank("exact", res.rank, P, res.route, seconds=seconds, route="mod-p")
        why = f"; {res.route}"
    check_rank_memory(P, "exact")
    H = hessian(kern, W, v, system="fmpq")
    rank, route, detail = _exact_matrix_rank(H, None, seed, fast=False)
    seconds = time.perf_counter() - start
    return MethodRank("exact", rank, P, detail + why, seconds=seconds, route=route)


def certified_rank(
    spec, W, v, prec: int = DEFAULT_PREC, kernel_dirs=None, b=None, *, escalate: bool = False
) -> MethodRank:
    """The rank proved in ball arithmetic at ``prec`` bits (see :mod:`symhess.rank.certify`).

    The null directions come from :func:`symhess.rank.theory.null_basis` (for the ReLU family
    the rescaling directions, or the sign classes at ``d = 1``); an activation without a
    known null basis (erf) is proved full rank or not at all. The weights enter with their
    exact binary values. ``rank`` is ``None`` when nothing was proved; ``detail`` says why
    ("not certified at this precision ...; try N bits"). With ``escalate`` the precision is
    doubled until the proof goes through or :data:`~symhess.base.systems.MAX_PREC` is passed.
    """
    start = time.perf_counter()
    prec = check_prec(prec)
    if b is not None:
        raise SymhessError(
            "the certified rank has no kernels with means (biases) in ball arithmetic; "
            "use the exact method (polynomials) or the mpmath method"
        )
    kern = require_balls(resolve(spec, kernel_dirs))
    W, v = check_weights(W, v)
    h, d = W.shape
    P = h * d + h
    check_rank_memory(P, "certified")

    def outcome(rank, detail, decided):
        seconds = time.perf_counter() - start
        return MethodRank(
            "certified", rank, P, detail, decided=decided, seconds=seconds, route="ball"
        )

    basis = null_basis(kern.activation, W, v)
    if basis.vectors is None and kern.activation.relu_family is not None:
        return outcome(None, f"not certified: {basis.source}", False)
    where = "" if basis.vectors is None else f"; null directions: {basis.source}"
    while True:
        with arb_precision(prec):
            try:
                H = hessian(kern, W, v, system="arb", kernel_dirs=kernel_dirs)
            except SymhessError as exc:  # a pair of rows that the balls cannot tell apart
                return outcome(None, f"not certified at {prec} bits: {exc}", False)
            cert = certify_rank(H, basis.vectors)
        if cert.certified or not escalate or 2 * prec > MAX_PREC:
            break
        prec *= 2
    return outcome(cert.rank if cert.certified else None, cert.reason + where, cert.certified)


# ----------------------------------------------------------------------------- together
def rank_report(
    spec,
    W,
    v,
    methods=("float", "mpmath", "exact"),
    *,
    dps: int = DEFAULT_DPS,
    prec: int = DEFAULT_PREC,
    kernel_dirs=None,
    seed: int = 0,
    show_progress: bool | None = None,
    float_summary: SpectrumSummary | None = None,
    optional=(),
    b=None,
    claim: bool = True,
) -> RankReport:
    """The rank by each of ``methods`` for one teacher, with every applicable prediction.

    Parameters
    ----------
    spec : str, coefficient list or Activation
    W : array_like, shape (h, d)
    v : array_like, shape (h,)
    methods : sequence of {"float", "mpmath", "exact", "certified"}
        ``"exact"`` on the ReLU family runs ``"certified"`` instead (``notes`` say so); with
        biases ``"certified"`` runs ``"exact"`` (polynomials) or ``"mpmath"``.
    dps : int
        Digits for ``"mpmath"`` (at least :data:`MIN_DPS`).
    prec : int
        Bits of the ball arithmetic for ``"certified"``.
    kernel_dirs : sequence of paths, optional
    seed : int
        Draws the prime of the exact fast path.
    show_progress : bool, optional
        Progress bar over the methods (``None``: only on a terminal).
    float_summary : SpectrumSummary, optional
        The float64 spectrum of this very Hessian (``summarize(H, error)``), if the caller has
        it already.
    optional : sequence of str
        Methods that may refuse this teacher (e.g. mpmath quadrature at weights whose kernels
        cannot reach the precision): their one-line reason goes to
        :attr:`RankReport.skipped` instead of being raised.
    b : array_like, shape (h,), optional
        Hidden-unit biases: the rank of the network with biases (``P = h d + 2h``), with the
        predictions with biases.
    claim : bool
        With biases: also measure the rank without biases at the same ``(W, v)`` (same
        methods) and judge the seed paper's claim "+1" against it.
    """
    kern = resolve(spec, kernel_dirs)  # a Kernels object (e.g. a chosen tolerance) is kept
    bias = b is not None
    act, methods, notes = check_methods(kern, methods, dps, kernel_dirs, prec, bias)
    W, v = check_weights(W, v)
    h, d = W.shape
    if bias:
        b = check_biases(b, h)
    if "float" in methods and float_summary is None:
        check_memory(h, d, bias=bias)
    runners = {
        "float": lambda: float_rank(kern, W, v, kernel_dirs, float_summary, b),
        "mpmath": lambda: mpmath_rank(kern, W, v, dps, kernel_dirs, b),
        "exact": lambda: exact_rank(kern, W, v, kernel_dirs, seed, b=b),
        "certified": lambda: certified_rank(kern, W, v, prec, kernel_dirs, b),
    }
    results, skipped = {}, {}
    todo = [m for m in METHODS if m in methods]
    with progress(total=len(todo), desc="rank", unit="method", show=show_progress) as bar:
        for m in todo:
            bar.set_postfix_str(m)
            try:
                results[m] = runners[m]()
            except SymhessError as exc:
                if m not in optional or (not results and m == todo[-1]):
                    raise
                skipped[m] = str(exc)
            bar.update()
    without = None
    if bias and claim:
        base = rank_report(
            kern, W, v, tuple(results), dps=dps, prec=prec, kernel_dirs=kernel_dirs,
            seed=seed, show_progress=False, optional=optional,
        )  # fmt: skip
        without = base.rank
    preds = predictions(act, d, h, bias=bias, rank_without_bias=without)
    return RankReport(act, d, h, results, preds, notes, skipped, bias, without)
