"""Kernels of any smooth activation to a stated accuracy at every weight scale, or a refusal.

``K_pq(a, b, c) = E[sigma^(p)(u) sigma^(q)(w)]``, ``(u, w) ~ N(0, [[a, c], [c, b]])``,
``rho = c / sqrt(a b)``. Three routes, chosen per entry (docs/theory.md, section 5):

1. **Diagonal** (``a = b = c``, the entries ``i = k`` of a kernel matrix): the 1-D integral
   ``E[sigma^(p)(sqrt(a) t) sigma^(q)(sqrt(a) t)]``, ``t ~ N(0, 1)``.
2. **Mehler** (most off-diagonal entries): with the normalised Hermite coefficients
   ``F^p_n(a) = E[sigma^(p)(sqrt(a) t) He_n(t)] / sqrt(n!)`` of each hidden unit,
   ``K_pq = sum_n rho^n F^p_n(a) F^q_n(b)``. The coefficients are 1-D integrals (``h`` of
   them per order instead of ``h^2`` 2-D rules); the truncation after ``N`` terms is bounded
   by Cauchy-Schwarz and Parseval: ``|rho|^(N+1) sqrt(T^p_N(a) T^q_N(b))`` with
   ``T^p_N = E[sigma^(p)(sqrt(a) t)^2] - sum_{n <= N} (F^p_n)^2``.
3. **2-D** (pairs whose series would need more terms than are worth computing: nearly
   parallel rows with large norms): a tensor trapezoid rule in ``u = sqrt(a) x``,
   ``w = sqrt(b) (rho x + s y)``, ``s = sqrt(1 - rho^2)`` formed without cancellation
   (:func:`sine_of_angle`), its nodes placed so that ``w`` falls on a lattice
   (:func:`_lattice_rule`); the x and y steps are refined separately.

Every rule is a trapezoid rule on a symmetric grid, refined by halving the step (nested
nodes). The error estimate of the 1-D rules is the change from the half-resolution rule (the
error of the coarser rule: conservative); the 2-D rule uses ``change^2 / previous change``
once the changes fall 10x per halving (:func:`_geometric`). The first step comes from the
length scale of sigma's features (:func:`feature_frequency`) and the variance.

Accuracy is stated per entry, relative to its Cauchy-Schwarz scale
``sqrt(E[sigma^(p)(u)^2] E[sigma^(q)(w)^2]) >= |K_pq|``: every entry returned has an error
estimate below ``tol`` times that scale (default :data:`DEFAULT_TOL`), or
:class:`~symhess.errors.SymhessError` is raised naming the pair that cannot be resolved within
the node budget. The estimates were checked against closed forms evaluated in mpmath, an
extended-precision brute-force 2-D rule and Monte Carlo (tests/kernels/test_quadrature.py);
the largest ratio error / estimate measured is 0.62.

Any set of kernels ``K_pq`` can be asked for (``names``, each with its orders in
:data:`~symhess.symbolic.names.ORDERS`), as long as ``derivatives`` returns
``sigma, ..., sigma^(max order)``. The same routes run at high precision in
:mod:`.quadrature_mp` (the ``"mpmath"`` number system; without means for now). The kernels
beyond the six (``K40``, for the Hessian away from the optimum) come from the same routes with
the fourth derivative, to the same tolerance (:meth:`QuadratureKernels.evaluate_extra`).

With means (biases), ``K_pq(a, b, c, m1, m2) = E[sigma^(p)(m1 + u) sigma^(q)(m2 + w)]``: the
same three routes with every argument shifted by its unit's mean. A *unit* is then a distinct
pair ``(a, m)`` (the 1-D quantities depend on both), the diagonal route applies where the
unit is the same (``i = k``: same variance, same mean, ``c = a``), Mehler's formula holds for
any two functions of the correlated pair, and the error estimates and Cauchy-Schwarz scales
are those of the shifted integrands: every entry to the same tolerance, or refused.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from ..activation import Activation, activation
from ..activation.evaluate import derivative_evaluator
from ..base import systems
from ..base.progress import progress
from ..base.threads import one_thread
from ..errors import SymhessError
from ..symbolic.names import EXTRA_NAMES, KERNEL_NAMES, MEAN_EXTRA_NAMES, MEAN_NAMES, ORDERS
from .evaluator import Kernels, KernelValues
from .smooth import SAFETY, check_finite, domain, feature_frequency, kernel_orders

__all__ = [
    "DEFAULT_TOL",
    "MAX_TERMS",
    "MIN_TOL",
    "QuadratureKernels",
    "SmoothEvaluator",
    "check_tolerance",
    "quadrature_kernels",
    "resolve_quadrature",
    "sine_of_angle",
]

DEFAULT_TOL = 1e-12
"""Default tolerance: estimated error of each entry / its Cauchy-Schwarz scale."""

MIN_TOL = 1e-13
"""Smallest float64 tolerance: the rounding of the sums is ~1e-14 of the scale."""

MAX_TERMS = 2048
"""Most Mehler terms per pair; pairs that need more take the 2-D route."""

MAX_NODES_1D = 2**15
"""Most nodes of a 1-D rule (per half-line): refuse beyond."""

MAX_NODES_2D = 2**22
"""Most function evaluations of the 2-D rule for one pair: refuse beyond."""

TERM_LADDER = (16, 32, 64, 128, 256, 512, 1024, 2048)
"""The Mehler orders tried (each pair takes the smallest that meets the tolerance)."""

SYSTEMS = ("float64", "mpmath")

_SQRT2PI = np.sqrt(2 * np.pi)


def _trapezoid(K: int, step: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The symmetric trapezoid rule of every route: nodes ``t = step * (-K..K)`` (symmetric to
    the last bit, so odd integrands sum to exactly 0), weights ``step phi(t)`` (``phi`` the
    standard normal density) and the factors of the half-resolution rule (even nodes, weight
    2), shapes ``(2K + 1,)``."""
    k = np.arange(-K, K + 1)
    t = step * k
    return t, step * np.exp(-(t**2) / 2) / _SQRT2PI, (k % 2 == 0) * 2.0


_EPS = np.finfo(np.float64).eps
_CHUNK_POINTS = 2_000_000  # grid points evaluated at once in the 2-D route
_NODE_CHUNK = 4096  # nodes per block of the Hermite projection
_MAX_LATTICE_RATIO = 8  # lattice steps per x step beyond which the direct 2-D rule is cheaper
_BAR_PAIRS = 64  # a progress bar over the 2-D pairs from this many on


# ----------------------------------------------------------------------------- activation
def check_tolerance(tol) -> float:
    """``tol`` as a float in ``[MIN_TOL, 1)``, refused in one line otherwise."""
    if isinstance(tol, bool) or not isinstance(tol, (float, int, np.floating, np.integer)):
        raise SymhessError(f"the quadrature tolerance must be a number, got {tol!r}")
    if not MIN_TOL <= float(tol) < 1:
        raise SymhessError(
            f"the quadrature tolerance must be in [{MIN_TOL:g}, 1) in float64 (rounding alone "
            f"is ~1e-14 of the scale; the mpmath system goes further), got {tol!r}"
        )
    return float(tol)


def _two_product(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``x y = hi + lo`` exactly (Dekker's product with Veltkamp's split; the operands here
    are variances, far below the 1e150 where the split would overflow)."""
    hi = x * y
    split = 134217729.0  # 2^27 + 1

    def halves(v):
        t = split * v
        big = t - (t - v)
        return big, v - big

    xh, xl = halves(x)
    yh, yl = halves(y)
    lo = ((xh * yh - hi) + xh * yl + xl * yh) + xl * yl
    return hi, lo


def sine_of_angle(a, b, c) -> np.ndarray:
    """``sqrt(1 - rho^2) = sqrt((a b - c^2) / (a b))`` without the cancellation of
    ``1 - rho^2``.

    ``a b - c^2`` is formed from exact products, so nearly parallel rows keep full relative
    accuracy in ``s`` (``1 - rho^2`` in float64 loses ``log10(1 / (1 - rho^2))`` digits: 5 of
    them at ``rho = 0.99999``, seen as 1e-13 errors in the kernels of ``erf(5 z)`` at
    ``a = b = 100``).
    """
    a, b, c = (np.asarray(x, dtype=np.float64) for x in (a, b, c))
    p_hi, p_lo = _two_product(a, b)
    c_hi, c_lo = _two_product(c, c)
    det = (p_hi - c_hi) + (p_lo - c_lo)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(p_hi > 0, np.sqrt(np.clip(det / np.where(p_hi > 0, p_hi, 1.0), 0, 1)), 1.0)


# ----------------------------------------------------------------------------- 1-D stage
def _hermite_table(t: np.ndarray, N: int) -> np.ndarray:
    """``psi[n, k] = He_n(t_k) exp(-t_k^2 / 4) / sqrt(n!)``, shape (N + 1, M).

    Bounded by Cramer's inequality ``|psi_n| <= 1.0865`` for every ``n``; the three-term
    recurrence is stable in this normalisation.
    """
    out = np.empty((N + 1, t.size))
    out[0] = np.exp(-(t**2) / 4)
    if N >= 1:
        out[1] = t * out[0]
    for n in range(1, N):
        out[n + 1] = (t * out[n] - np.sqrt(n) * out[n - 1]) / np.sqrt(n + 1)
    return out


def _project(g: np.ndarray, t: np.ndarray, N: int) -> np.ndarray:
    """``g @ psi.T`` for ``psi = _hermite_table(t, N)``, in blocks of nodes.

    Parameters
    ----------
    g : ndarray, shape (r, M)
    t : ndarray, shape (M,)

    Returns
    -------
    ndarray, shape (r, N + 1)
    """
    out = np.zeros((g.shape[0], N + 1))
    for start in range(0, t.size, _NODE_CHUNK):
        sl = slice(start, start + _NODE_CHUNK)
        out += g[:, sl] @ _hermite_table(t[sl], N).T
    return out


class UnitMoments:
    """1-D quantities of each distinct variance ``a_i`` (``m`` of them), ``n`` derivatives.

    Attributes
    ----------
    a : ndarray, shape (m,)
    D : ndarray, shape (n, n, m)
        ``E[sigma^(p)(sqrt(a) t) sigma^(q)(sqrt(a) t)]`` (the pairs asked for and ``p = q``).
    dD : ndarray, shape (n, n, m)
        Their error estimates.
    F : ndarray, shape (n, m, N + 1)
        Normalised Hermite coefficients of ``sigma^(p)(sqrt(a) t)``.
    dF : ndarray, shape (n, m)
        Error estimate of ``F`` (Euclidean norm over the orders).
    tails : ndarray, shape (n, m, N + 2)
        ``tails[..., k] = sum_{j >= k} F_j^2`` (the remainder beyond ``N`` from Parseval,
        plus its error).
    step, half_width : float
        The trapezoid rule used: step and ``L`` (nodes ``-L, ..., L``).
    """

    def __init__(self, a, D, dD, F, dF, tails, step, half_width):
        self.a, self.D, self.dD, self.F, self.dF, self.tails = a, D, dD, F, dF, tails
        self.step, self.half_width = step, half_width

    @property
    def nodes(self) -> int:
        return 2 * round(self.half_width / self.step) + 1


def _unit_moments(
    derivatives,
    a: np.ndarray,
    N: int,
    pairs,
    tol: float,
    omega: float,
    source: str,
    start: UnitMoments | None = None,
    mu: np.ndarray | None = None,
) -> UnitMoments:
    """Diagonal kernels and Hermite coefficients of every variance in ``a``, to ``tol``.

    Parameters
    ----------
    a : ndarray, shape (m,)
        Distinct variances (with ``mu``: the variances of the distinct ``(a, mu)`` pairs).
    N : int
        Highest Hermite order.
    pairs : list of (p, q)
        The diagonal kernels wanted (``p = q`` are always computed: they are the scales).
    start : UnitMoments, optional
        A result for the same variances at a lower order: its rule is the first one tried.
    mu : ndarray, shape (m,), optional
        Means of the units (biases): the functions are ``sigma^(p)(mu + sqrt(a) t)``.
    """
    a = np.asarray(a, dtype=np.float64)
    m = a.size
    mu = np.zeros(m) if mu is None else np.asarray(mu, dtype=np.float64)
    # the domain does not follow the tolerance: its truncation is invisible to the halving
    # test, so it is kept below rounding (a loose tolerance once left a 1e-12 tail unseen)
    L = domain(
        derivatives, float(a.max(initial=0.0)), min(tol, MIN_TOL), source, means=mu, variances=a
    )
    r = np.sqrt(a)
    # first step: ~1 node per feature length of sigma(sqrt(a) t), and never coarser than the
    # Hermite functions up to order N need (oscillation length ~ pi / sqrt(2 N))
    h0 = min(0.5, 1.0 / (omega * max(1.0, float(r.max(initial=0.0)))), 2.0 / np.sqrt(2 * N + 1))
    K = 2 * int(np.ceil(L / h0 / 2))
    if start is not None and start.half_width == L:
        K = max(K, round(L / start.step))
    target = SAFETY * tol
    fvals = None
    while True:
        h = L / K
        t, wD, even = _trapezoid(K, h)
        if fvals is None:
            fvals = np.stack(derivatives(mu[:, None] + r[:, None] * t[None, :]))  # (n, m, M)
        else:  # the old nodes are the even k of the new grid
            new = np.empty((fvals.shape[0], m, t.size))
            new[:, :, ::2] = fvals
            new[:, :, 1::2] = np.stack(derivatives(mu[:, None] + r[:, None] * t[None, 1::2]))
            fvals = new
        n = fvals.shape[0]
        if not np.all(np.isfinite(fvals)):
            raise SymhessError(
                f"kernels of {source!r}: sigma or a derivative is not finite at "
                f"|z| <= {L * float(r.max()) + float(np.max(np.abs(mu), initial=0.0)):.3g}"
            )
        D = np.zeros((n, n, m))
        dD = np.zeros((n, n, m))
        for p, q in set(pairs) | {(p, p) for p in range(n)}:
            prod = fvals[p] * fvals[q]
            D[p, q] = D[q, p] = prod @ wD
            dD[p, q] = dD[q, p] = np.abs(D[p, q] - prod @ (wD * even))
        g = fvals.reshape(n * m, -1) * (h * np.exp(-(t**2) / 4) / _SQRT2PI)
        both = _project(np.concatenate([g, g * even]), t, N)
        F = both[: n * m].reshape(n, m, N + 1)
        Fc = both[n * m :].reshape(n, m, N + 1)
        dF = np.sqrt(np.sum((F - Fc) ** 2, axis=-1))
        diag = np.sqrt(np.abs(np.einsum("ppm->pm", D)))
        if np.all(dF <= target * diag) and np.all(dD <= target * diag[:, None] * diag[None, :]):
            break
        if 2 * K > MAX_NODES_1D:
            worst = float(np.max(dF / np.maximum(diag, 1e-300)))
            raise SymhessError(
                f"kernels of {source!r}: the 1-D rule at variance up to {a.max():.3g} does not "
                f"reach the tolerance {tol:.0e} with {2 * K + 1} nodes (estimate {worst:.1e}); "
                "the weights are too large for this activation"
            )
        K *= 2
    # tails[..., k] = sum_{k <= j <= N} F_j^2 + the Parseval remainder beyond N
    sq = F**2
    norm2 = np.einsum("ppm->pm", D)
    rest = norm2 - sq.sum(axis=-1)
    # a difference of two outputs of the rule: add their error and the rounding
    rest = np.maximum(rest, 0.0) + np.einsum("ppm->pm", dD) + 2 * diag * dF
    # rounding of that difference: the dot products over the nodes and the pairwise sum over
    # the orders (statistical size, as every rounding term here)
    rest += 4 * (np.sqrt(t.size) + np.log2(N + 2)) * _EPS * norm2
    tails = np.zeros((n, m, N + 2))
    tails[..., : N + 1] = np.cumsum(sq[..., ::-1], axis=-1)[..., ::-1]
    tails += rest[..., None]
    return UnitMoments(a, D, dD, F, dF, tails, h, L)


# ----------------------------------------------------------------------------- Mehler
def _mehler_terms_needed(units: UnitMoments, i, k, rho, pairs, target_rel) -> np.ndarray:
    """Smallest ladder entry ``N`` whose truncation bound meets the target for every kernel,
    per pair (``0`` where even the terms computed do not suffice)."""
    need = np.zeros(i.size, dtype=np.int64)
    absr = np.abs(rho)
    D = units.D
    Nmax = units.F.shape[-1] - 1
    for N in [n for n in TERM_LADDER if n <= Nmax]:
        ok = np.ones(i.size, dtype=bool)
        powr = absr ** (N + 1)
        for p, q in pairs:
            bound = powr * np.sqrt(units.tails[p, i, N + 1] * units.tails[q, k, N + 1])
            scale = np.sqrt(np.abs(D[p, p, i] * D[q, q, k]))
            ok &= bound <= target_rel * scale
        need[(need == 0) & ok] = N
    return need


def _mehler_sum(units: UnitMoments, i, k, rho, pairs, N: int):
    """``(values, errors)`` of the kernels ``pairs`` for unit pairs ``(i, k)``, ``N`` terms.

    Returns
    -------
    values, errors : ndarray, shape (len(pairs), npairs)
    """
    F = units.F
    vals = np.empty((len(pairs), i.size))
    errs = np.empty((len(pairs), i.size))
    absr = np.abs(rho)
    for j, (p, q) in enumerate(pairs):
        Fi = F[p, i, : N + 1]  # (npairs, N + 1)
        Gk = F[q, k, : N + 1]
        acc = Fi[:, N] * Gk[:, N]
        for n in range(N - 1, -1, -1):  # Horner in rho, vectorised over the pairs
            acc = acc * rho + Fi[:, n] * Gk[:, n]
        vals[j] = acc
        sp = np.sqrt(np.abs(units.D[p, p, i]))
        sq = np.sqrt(np.abs(units.D[q, q, k]))
        trunc = absr ** (N + 1) * np.sqrt(units.tails[p, i, N + 1] * units.tails[q, k, N + 1])
        coef = units.dF[p, i] * sq + sp * units.dF[q, k] + units.dF[p, i] * units.dF[q, k]
        # Horner's rounding: statistically ~ sqrt(steps) eps sum_n |rho^n F_n G_n|, and that
        # sum is at most sp sq (Cauchy-Schwarz)
        rounding = 4 * np.sqrt(np.minimum(N + 1, 1 / np.maximum(1 - absr, 1e-300))) * _EPS * sp * sq
        errs[j] = trunc + coef + rounding
    return vals, errs


# ----------------------------------------------------------------------------- 2-D route
def _bivariate(derivatives, a, b, rho, s, pairs, scale, tol, omega, L, source, bar, m1, m2):
    """The kernels ``pairs`` per unit pair by a tensor trapezoid rule, refined separately in
    x and y.

    Parameters
    ----------
    a, b, rho, s : ndarray, shape (n,)
        Variances, correlation and ``sqrt(1 - rho^2)`` (see :func:`sine_of_angle`).
    m1, m2 : ndarray, shape (n,)
        Means of ``u`` and ``w`` (biases; zeros without).
    scale : ndarray, shape (len(pairs), n)
        Cauchy-Schwarz scale of each entry (the target is ``tol`` times it).
    L : float
        Half-width of the square domain in standard deviations.
    bar : progress bar
        Advanced by one for every pair that is done.

    Returns
    -------
    values, errors : ndarray, shape (len(pairs), n)
    nodes : ndarray, shape (n,)
        Nodes of the final rule of each pair.
    """
    n = a.size
    npq = len(pairs)
    ra, rb = np.sqrt(a), np.sqrt(b)
    # first steps: ~1 node per feature length of sigma(sqrt(a) x), sigma(sqrt(b) rho x) and
    # sigma(sqrt(b) s y)
    hx0 = np.minimum(0.5, 1.0 / (omega * np.maximum(1.0, np.maximum(ra, rb * np.abs(rho)))))
    with np.errstate(divide="ignore"):
        hy0 = np.minimum(0.5, 1.0 / (omega * rb * s))
    # powers of two, so that pairs share rules (and batches) as they are refined
    Kx = _power_of_two(L / hx0)
    Ky = np.where(s > 0, _power_of_two(np.where(s > 0, L / hy0, 1.0)), 0)
    vals = np.zeros((npq, n))
    errs = np.full((npq, n), np.inf)
    nodes = np.zeros(n, dtype=np.int64)
    prev = np.full((2, npq, n), np.inf)  # the changes one refinement earlier
    todo = np.ones(n, dtype=bool)
    half = 0.5 * SAFETY * tol * scale
    while todo.any():
        keys = np.unique(np.stack([Kx[todo], Ky[todo]], axis=1), axis=0)
        for kx, ky in keys.tolist():
            sel = np.nonzero(todo & (Kx == kx) & (Ky == ky))[0]
            cost = _rule_cost(rho[sel], s[sel], kx, ky, L)
            if cost.max() > MAX_NODES_2D:
                j = sel[int(np.argmax(cost))]
                raise SymhessError(
                    f"kernels of {source!r}: a pair of hidden units with a = {a[j]:.3g}, "
                    f"b = {b[j]:.3g}, rho = {rho[j]:.6f} needs more than {MAX_NODES_2D} nodes "
                    f"to reach the tolerance {tol:.0e} (estimate so far "
                    f"{np.max(errs[:, j] / np.maximum(scale[:, j], 1e-300)):.1e}); "
                    "use smaller weights or a larger tolerance"
                )
            v, change, nodes[sel] = _tensor_rule(
                derivatives, a[sel], b[sel], rho[sel], s[sel], pairs, kx, ky, L, m1[sel], m2[sel]
            )
            vals[:, sel] = v
            est = _geometric(change, prev[:, :, sel])  # (2, npq, m): x, y
            errs[:, sel] = est.sum(axis=0)
            ok = np.all(est <= half[:, sel], axis=1)  # (2, m)
            done = ok.all(axis=0)
            todo[sel[done]] = False
            bar.update(int(done.sum()))
            refine_x, refine_y = ~ok[0], ~ok[1] & (Ky[sel] > 0)
            prev[0][:, sel[refine_x]] = change[0][:, refine_x]
            prev[1][:, sel[refine_y]] = change[1][:, refine_y]
            Kx[sel[refine_x]] *= 2
            Ky[sel[refine_y]] *= 2
    return vals, errs, nodes


def _means_or_zero(m, like) -> np.ndarray:
    """Means of the pairs (biases), or zeros without."""
    return np.zeros_like(like) if m is None else m


def _power_of_two(x) -> np.ndarray:
    """The smallest power of two ``>= x`` (at least 4), as int64."""
    return (2 ** np.maximum(2, np.ceil(np.log2(np.maximum(x, 1.0))))).astype(np.int64)


def _geometric(change: np.ndarray, previous: np.ndarray) -> np.ndarray:
    """Error estimate of the finer of two trapezoid rules from their change and the change
    one halving earlier.

    For a rule converging like ``e(h) = C exp(-alpha / h)`` (integrand analytic in a strip),
    ``change = e(2h)``, ``previous = e(4h)`` and ``e(h) = change^3 / previous^2``;
    ``change^2 / previous`` is larger by ``previous / change`` and is used once the changes
    fall by at least 10x per halving. Before that (or with no history) the change itself.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        fast = np.isfinite(previous) & (previous > 0) & (change <= 0.1 * previous)
        return np.where(fast, change * change / np.where(fast, previous, 1.0), change)


def _lattice_ratio(rho, s, kx: int, ky: int, L: float) -> np.ndarray:
    """Lattice steps per x step of :func:`_lattice_rule`: even (1 for ``s = 0``).

    Even, because the rule's error is mostly that of a 1-D trapezoid rule in ``w`` with the
    lattice step ``delta`` (the alias of ``sigma^(q)(w)`` that lies exactly along the
    direction of ``w``), and only with ``p`` even does doubling the y step double
    ``delta`` (``m = sign p i + 2 l``): with ``p`` odd both half-resolution rules keep
    ``delta`` and the halving test cannot see that error (measured: 8e-14 unseen for tanh
    at ``a = 30, b = 200, rho = -0.99``).
    """
    flat = s == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.ceil(np.abs(rho) * (L / kx) * max(ky, 1) / (np.where(flat, 1, s) * L))
    p = 2 * np.ceil(np.maximum(p, 2) / 2)
    return np.where(flat, 1, p)


def _rule_cost(rho, s, kx: int, ky: int, L: float) -> np.ndarray:
    """Function evaluations of :func:`_tensor_rule` per pair (the budget's measure)."""
    p = _lattice_ratio(rho, s, kx, ky, L)
    lattice = 2 * (p * kx + ky) + 1 + (2 * kx + 1)
    direct = (2 * kx + 1) * (2 * ky + 2)
    return np.where(p <= _MAX_LATTICE_RATIO, lattice, direct)


def _tensor_rule(derivatives, a, b, rho, s, pairs, kx: int, ky: int, L: float, m1=None, m2=None):
    """One tensor trapezoid rule per pair: x step ``L / kx``, y step at most ``L / ky``.

    Pairs whose lattice (see :func:`_lattice_rule`) is small use it; the others (``s`` so
    small that the lattice would be finer than the grid itself) the direct rule, which is
    cheap there since it has few y nodes.

    Returns
    -------
    values : ndarray, shape (len(pairs), n)
    changes : ndarray, shape (2, len(pairs), n)
        From doubling the x step, and the y step.
    nodes : ndarray, shape (n,)
    """
    m1, m2 = _means_or_zero(m1, a), _means_or_zero(m2, a)
    n = a.size
    p = _lattice_ratio(rho, s, kx, ky, L)
    lattice = p <= _MAX_LATTICE_RATIO
    vals, changes = np.empty((len(pairs), n)), np.empty((2, len(pairs), n))
    nodes = np.empty(n, dtype=np.int64)
    groups = [(np.nonzero(lattice & (p == q))[0], int(q)) for q in np.unique(p[lattice])]
    groups.append((np.nonzero(~lattice)[0], 0))
    for sel, q in groups:
        if sel.size == 0:
            continue
        args = (a[sel], b[sel], rho[sel], s[sel])
        if q:
            out = _lattice_rule(derivatives, *args, q, pairs, kx, ky, L, m1[sel], m2[sel])
        else:
            out = _direct_rule(derivatives, *args, pairs, kx, ky, L, m1[sel], m2[sel])
        vals[:, sel], changes[:, :, sel], nodes[sel] = out
    return vals, changes, nodes


def _combine(fu, inner, wx, wxc, pairs):
    """Outer sums of the tensor rule: ``sum_i wx_i sigma^(p)(u_i) inner[q, ., i]``, at full
    resolution and with the x step (``wxc``) or the y step (``inner[:, 1]``) doubled."""
    n = fu.shape[1]
    vals = np.empty((len(pairs), n))
    changes = np.empty((2, len(pairs), n))
    for j, (pp, q) in enumerate(pairs):
        prod = fu[pp] * inner[q, 0]
        vals[j] = prod @ wx
        changes[0, j] = np.abs(vals[j] - prod @ wxc)
        changes[1, j] = np.abs(vals[j] - (fu[pp] * inner[q, 1]) @ wx)
    return vals, changes


def _direct_rule(derivatives, a, b, rho, s, pairs, kx: int, ky: int, L: float, m1=None, m2=None):
    """The tensor rule with ``sigma^(q)(w)`` evaluated at every node (``ky = 0``: one y node);
    ``m1, m2`` shift ``u`` and ``w``.

    Returns as :func:`_tensor_rule`.
    """
    m1, m2 = _means_or_zero(m1, a), _means_or_zero(m2, a)
    n = a.size
    x, wx, even = _trapezoid(kx, L / kx)
    wxc = wx * even
    if ky > 0:
        y, wy, even = _trapezoid(ky, L / ky)
        wyc = wy * even
    else:
        y = np.zeros(1)
        wy = wyc = np.ones(1)
    fu = np.stack(derivatives(m1[:, None] + np.sqrt(a)[:, None] * x[None, :]))  # (nd, n, Mx)
    per = max(1, _CHUNK_POINTS // (x.size * y.size))
    inner = np.empty((fu.shape[0], 2, n, x.size))  # E over y at full and at half resolution
    for start in range(0, n, per):
        sl = slice(start, start + per)
        w = m2[sl, None, None] + np.sqrt(b[sl])[:, None, None] * (
            rho[sl, None, None] * x[None, :, None] + s[sl, None, None] * y[None, None, :]
        )
        fw = np.stack(derivatives(w))  # (nd, m, Mx, My)
        inner[:, 0, sl] = fw @ wy
        inner[:, 1, sl] = fw @ wyc
    if not (np.all(np.isfinite(fu)) and np.all(np.isfinite(inner))):
        raise SymhessError("sigma or a derivative is not finite on the quadrature grid")
    vals, changes = _combine(fu, inner, wx, wxc, pairs)
    return vals, changes, np.full(n, x.size * y.size)


def _lattice_rule(
    derivatives, a, b, rho, s, p: int, pairs, kx: int, ky: int, L: float, m1=None, m2=None
):
    """A tensor trapezoid rule on ``[-L, L]^2`` whose nodes map ``w`` onto a lattice.

    ``x_i = i hx`` (``hx = L / kx``) and ``y_l = l hy`` with ``hy = |rho| hx / (p s)``, ``p``
    from :func:`_lattice_ratio` (so ``hy <= L / ky``): then
    ``w_il = sqrt(b) (rho x_i + s y_l) = delta (sign(rho) p i + l)``,
    ``delta = sqrt(b) |rho| hx / p``. So ``sigma^(q)(w)`` is evaluated once per lattice point
    (``~ 2 (p kx + L / hy)`` of them, not ``(2 kx + 1)(2 L / hy + 1)``), and the inner sums
    ``sum_l w_l sigma^(q)(delta (m + l))`` only multiply and add. ``s = 0``
    (``rho = +-1``) is the single node ``y = 0`` (``p = 1``). The means ``m1, m2`` shift
    ``u`` and every lattice point.

    Parameters
    ----------
    a, b, rho, s : ndarray, shape (n,)
    p : int
        The lattice ratio shared by these pairs.
    kx, ky : int
        ``2 kx + 1`` nodes in x; y steps at most ``L / ky`` (``ky = 0``: ``s`` must be 0).

    Returns as :func:`_tensor_rule`.
    """
    m1, m2 = _means_or_zero(m1, a), _means_or_zero(m2, a)
    n = a.size
    hx = L / kx
    x, wx, even = _trapezoid(kx, hx)
    wxc = wx * even
    fu = np.stack(derivatives(m1[:, None] + np.sqrt(a)[:, None] * x[None, :]))  # (nd, n, Mx)
    absr = np.abs(rho)
    sign = np.where(rho < 0, -1, 1)
    flat = s == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        hy = np.where(flat, 0.0, absr * hx / (p * np.where(flat, 1, s)))
        Ky = np.where(flat, 0, np.ceil(L / np.where(flat, 1, hy))).astype(np.int64)
    delta = np.sqrt(b) * absr * hx / p
    Kmax = int(Ky.max())
    span = p * kx + Kmax  # lattice -span..span, zero past each pair's own range
    m = np.arange(-span, span + 1)
    G = np.stack(derivatives(m2[:, None] + delta[:, None] * m[None, :]))  # (nd, n, 2 span + 1)
    own = np.abs(m)[None, :] <= (p * kx + Ky)[:, None]
    G = np.where(own[None], G, 0.0)
    ll = np.arange(-Kmax, Kmax + 1)
    yl = hy[:, None] * ll[None, :]
    wy = np.where(np.abs(ll)[None, :] <= Ky[:, None], np.exp(-(yl**2) / 2) / _SQRT2PI, 0.0)
    wy = np.where(flat[:, None], (ll == 0)[None, :] * 1.0, wy * hy[:, None])
    wyc = np.where(flat[:, None], wy, wy * (ll % 2 == 0)[None, :] * 2.0)
    # inner[q, r, j, i] = sum_l w_r[j, l] G[q, j, sign p i + l]: for sign = +1 the windows
    # G[q, j, p i + l], l = -Kmax..Kmax, are a strided view of G; sign = -1 reverses i.
    # Multiply-adds only (an FFT correlation is faster for long y rules, but its rounding,
    # ~1e-14 of max|G|, is invisible to the halving test).
    inner = np.empty((G.shape[0], 2, n, x.size))
    for q in range(G.shape[0]):
        windows = sliding_window_view(G[q], 2 * Kmax + 1, axis=-1)[:, ::p, :]  # (n, Mx, My)
        inner[q, 0] = np.einsum("jil,jl->ji", windows, wy)
        inner[q, 1] = np.einsum("jil,jl->ji", windows, wyc)
    flip = sign < 0
    inner[:, :, flip] = inner[:, :, flip, ::-1]
    if not (np.all(np.isfinite(fu)) and np.all(np.isfinite(inner))):
        raise SymhessError("sigma or a derivative is not finite on the quadrature grid")
    vals, changes = _combine(fu, inner, wx, wxc, pairs)
    return vals, changes, (2 * kx + 1) * (2 * Ky + 1)


# ----------------------------------------------------------------------------- evaluator
class SmoothEvaluator:
    """Kernels of one smooth activation at any ``(a, b, c)``, to a stated tolerance.

    Parameters
    ----------
    derivatives : callable
        ``z -> [sigma, sigma', ..., sigma^(k)]`` on float arrays, ``k`` at least the highest
        order ``names`` need.
    source : str
        The activation as the user wrote it (for messages).
    tol : float
        Largest estimated error of every entry relative to its Cauchy-Schwarz scale.
    max_terms : int
        Most Mehler terms (one of :data:`TERM_LADDER`); pairs that need more take the 2-D
        route.
    names : sequence of str
        The kernels to compute (default the six of the Hessian).
    orders : dict of str to (int, int), optional
        ``(p, q)`` of each name (default :data:`~symhess.symbolic.names.ORDERS`).
    """

    def __init__(
        self,
        derivatives,
        source: str,
        tol: float = DEFAULT_TOL,
        max_terms: int = MAX_TERMS,
        names=KERNEL_NAMES,
        orders=None,
    ):
        self.tol = check_tolerance(tol)
        if max_terms not in TERM_LADDER:
            raise SymhessError(f"max_terms must be one of {TERM_LADDER}, got {max_terms!r}")
        self.names = tuple(names)
        self.pairs, needed = kernel_orders(self.names, orders)
        check_finite(derivatives, source)
        if len(derivatives(np.zeros(1))) < needed:
            raise SymhessError(f"the kernels {self.names} need {needed - 1} derivatives of sigma")
        self.derivatives = derivatives
        self.source = source
        self.max_terms = int(max_terms)
        self.omega = feature_frequency(derivatives)

    def __call__(self, a, b, c, m1=None, m2=None) -> KernelValues:
        """The kernels at broadcast ``a, b, c`` with their error estimates.

        Parameters
        ----------
        a, b, c : array_like
            Variances and covariance, broadcasting to a shape ``S``; ``c^2 <= a b``.
        m1, m2 : array_like, optional
            Means of the two pre-activations (biases), broadcasting with ``a, b, c``:
            ``K_pq = E[sigma^(p)(m1 + u) sigma^(q)(m2 + w)]``.

        Returns
        -------
        KernelValues
            values, errors and scales of shape ``S`` per kernel; ``stats`` says how many
            entries took each route.
        """
        # The products here are small (a few rows): threaded BLAS only adds contention,
        # seconds of it on a shared machine.
        with one_thread():
            return self._evaluate(a, b, c, m1, m2)

    def _evaluate(self, a, b, c, m1=None, m2=None) -> KernelValues:
        means = m1 is not None or m2 is not None
        m1 = 0.0 if m1 is None else m1
        m2 = 0.0 if m2 is None else m2
        arrays = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (a, b, c, m1, m2)))
        shape = arrays[0].shape
        a, b, c, m1, m2 = (x.ravel() for x in arrays)
        if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b)) and np.all(np.isfinite(c))):
            raise SymhessError("variances and covariances must be finite")
        if means and not (np.all(np.isfinite(m1)) and np.all(np.isfinite(m2))):
            raise SymhessError("means (biases) must be finite")
        if np.any(a < 0) or np.any(b < 0):
            raise SymhessError("variances a, b must be non-negative")
        ab = a * b
        if np.any(c * c > ab * (1 + 1e-12) + 1e-300):
            raise SymhessError("c^2 > a b: (a, b, c) is not a covariance matrix")
        pairs = self.pairs
        npq = len(pairs)
        if means:  # a unit is a distinct (variance, mean)
            keys = np.stack([np.concatenate([a, b]), np.concatenate([m1, m2])], axis=1)
            uniq, inv = np.unique(keys, axis=0, return_inverse=True)
            units_a, units_m = uniq[:, 0].copy(), uniq[:, 1].copy()
        else:
            units_a, inv = np.unique(np.concatenate([a, b]), return_inverse=True)
            units_m = None
        inv = np.asarray(inv).reshape(-1)
        i, k = inv[: a.size], inv[a.size :]
        rho = np.clip(np.divide(c, np.sqrt(ab), out=np.zeros_like(c), where=ab > 0), -1.0, 1.0)
        diag = (i == k) & (c == a)  # the entries i = k: one variance, perfectly correlated
        off = np.nonzero(~diag)[0]
        target = 0.5 * SAFETY * self.tol
        # Hermite orders: start small, double while some pair needs more (up to max_terms)
        N = min(TERM_LADDER[2], self.max_terms)
        units = None
        while True:
            units = _unit_moments(
                self.derivatives,
                units_a,
                N,
                pairs,
                self.tol,
                self.omega,
                self.source,
                units,
                units_m,
            )
            need = _mehler_terms_needed(units, i[off], k[off], rho[off], pairs, target)
            # Double the terms while that is the cheaper way to serve the pairs left to the
            # 2-D rule: doubling costs ~4 m M N (m units, M nodes, four derivatives), a 2-D
            # pair ~M^2 / 4 (orders of magnitude measured, not a tight model).
            failing = int(np.sum(need == 0))
            if N >= self.max_terms or failing * units.nodes <= 16 * units_a.size * N:
                break
            N *= 2
        vals = np.zeros((npq, a.size))
        errs = np.zeros((npq, a.size))
        scales = np.empty((npq, a.size))
        for j, (p, q) in enumerate(pairs):
            scales[j] = np.sqrt(np.abs(units.D[p, p, i] * units.D[q, q, k]))
            vals[j, diag] = units.D[p, q, i[diag]]
            errs[j, diag] = units.dD[p, q, i[diag]]
        stats = {
            "entries": a.size,
            "units": units_a.size,
            "diagonal": int(diag.sum()),
            "hermite_order": N,
            "unit_rule": {"nodes": units.nodes, "step": units.step, "half_width": units.half_width},
            "mehler_terms": {},
            "bivariate": 0,
        }
        for n_terms in np.unique(need[need > 0]).tolist():
            sel = off[need == n_terms]
            vals[:, sel], errs[:, sel] = _mehler_sum(
                units, i[sel], k[sel], rho[sel], pairs, n_terms
            )
            stats["mehler_terms"][n_terms] = int(sel.size)
        hard = off[need == 0]
        stats["bivariate"] = int(hard.size)
        show = None if hard.size >= _BAR_PAIRS else False
        with progress(
            total=int(hard.size), desc="quadrature 2-D pairs", unit="pair", show=show
        ) as bar:
            if hard.size:
                L2 = domain(
                    self.derivatives,
                    float(units_a.max()),
                    MIN_TOL,
                    self.source,
                    power=2.0,
                    means=units_m,
                    variances=units_a,
                )
                v, e, nodes = _bivariate(
                    self.derivatives,
                    a[hard],
                    b[hard],
                    rho[hard],
                    sine_of_angle(a[hard], b[hard], c[hard]),
                    pairs,
                    scales[:, hard],
                    self.tol,
                    self.omega,
                    L2,
                    self.source,
                    bar,
                    m1[hard],
                    m2[hard],
                )
                vals[:, hard], errs[:, hard] = v, e
                stats["bivariate_nodes_max"] = int(nodes.max())
        # rounding of the sums (a floor under estimates that came out exactly zero)
        errs += 4 * np.sqrt(units.nodes) * _EPS * scales
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(scales > 0, errs / np.where(scales > 0, scales, 1.0), 0.0)
        worst = rel.max(axis=1, initial=0.0)
        if np.any(worst > self.tol):
            j = int(np.argmax(worst))
            raise SymhessError(
                f"kernels of {self.source!r}: {self.names[j]} reaches only {worst[j]:.1e} of "
                f"its scale, above the tolerance {self.tol:.0e}"
            )
        return KernelValues(
            tuple(v.reshape(shape) for v in vals),
            tuple(e.reshape(shape) for e in errs),
            tuple(s.reshape(shape) for s in scales),
            self.tol,
            stats,
            self.names,
        )


# ----------------------------------------------------------------------------- Kernels
def describe_stats(stats: dict) -> str:
    """One line: how many entries took each route (from :attr:`KernelValues.stats`)."""
    if not stats:
        return ""
    parts = [f"{stats.get('diagonal', 0)} diagonal (1-D)"]
    parts += [f"{n} Mehler ({t} terms)" for t, n in sorted(stats.get("mehler_terms", {}).items())]
    if stats.get("bivariate"):
        parts.append(f"{stats['bivariate']} 2-D (up to {stats['bivariate_nodes_max']} nodes)")
    rule = stats.get("unit_rule", {})
    text = ", ".join(parts)
    if rule:
        text += f"; 1-D rule {rule['nodes']} nodes"
    if "digits" in stats:
        text += f", {stats['digits']} digits"
    return text


class QuadratureKernels(Kernels):
    """Kernels of a smooth activation by adaptive quadrature, to a stated tolerance.

    Parameters
    ----------
    act : Activation
        Not a polynomial (those have exact kernels); smooth, with three derivatives.
    tol : float
        Largest estimated error of every entry relative to its Cauchy-Schwarz scale
        ``sqrt(E[sigma^(p)(u)^2] E[sigma^(q)(w)^2])``, float64 (default
        :data:`DEFAULT_TOL`, at least :data:`MIN_TOL`). The mpmath system uses
        ``10^-(dps - 5)``.
    max_terms : int
        Most Mehler terms per pair before the 2-D rule takes over.

    :meth:`evaluate` returns the values with their error estimates
    (:class:`~symhess.kernels.evaluator.KernelValues`); calling the object returns the
    values alone, as for every :class:`Kernels`.
    """

    def __init__(self, act: Activation, tol: float = DEFAULT_TOL, max_terms: int = MAX_TERMS):
        if act.is_polynomial:
            raise SymhessError(
                f"{act.short} is a polynomial: its kernels are exact (Isserlis), not quadrature"
            )
        if act.relu_family is not None:
            raise SymhessError(
                f"{act.source!r} is in the ReLU family alpha*z + beta*relu(z): its kernels are "
                "closed forms (symhess.resolve); quadrature needs the second and third "
                "derivatives of sigma as functions, and here they are Dirac deltas"
            )
        self.tol = check_tolerance(tol)
        self.max_terms = int(max_terms)
        derivatives = derivative_evaluator(act.expr, 3)
        self._float = SmoothEvaluator(derivatives, act.source, self.tol, self.max_terms)
        self._float_means = SmoothEvaluator(
            derivatives, act.source, self.tol, self.max_terms, names=MEAN_NAMES
        )
        self._float_extra = None  # K40 needs the fourth derivative: built when asked for
        self._float_mean_extra = None  # K30, K40 need the fourth derivative: when asked for
        origin = f"adaptive quadrature to {self.tol:.0e} of each entry's scale"
        super().__init__(
            act,
            origin,
            self._values,
            systems=SYSTEMS,
            extra=self._extra_values,
            extra_names=EXTRA_NAMES,
            means=self._mean_values,
            means_origin=origin + ", the arguments shifted by the biases",
            means_systems=("float64",),
        )

    def __reduce__(self):
        # worker processes rebuild it (its derivative evaluator is a closure)
        return (_rebuild, (self.activation.source, self.tol, self.max_terms))

    def check_system(self, system: str) -> None:
        systems.check_system(system)
        if system not in SYSTEMS:
            raise SymhessError(
                f"kernels of {self.activation.source!r} come from quadrature, which has no "
                f"exact value in {system!r}; use float64 or mpmath"
            )

    def evaluate(self, a, b, c, system: str = "float64") -> KernelValues:
        """The kernels and their error estimates at broadcast ``(a, b, c)`` in ``system``."""
        self.check_system(system)
        if system == "float64":
            return self._float(a, b, c)
        from .quadrature_mp import mp_evaluate  # python-flint arb: only when asked for

        return mp_evaluate(self.activation, a, b, c)

    def __call__(self, a, b, c, system: str = "float64"):
        return self.evaluate(a, b, c, system).values

    def _values(self, a, b, c):  # the Kernels interface; __call__ is overridden
        return self.evaluate(a, b, c).values

    def evaluate_extra(self, a, b, c, system: str = "float64", names=EXTRA_NAMES) -> KernelValues:
        """The kernels beyond the six (``K40``) with their error estimates, by the same
        routes and to the same tolerance as :meth:`evaluate`."""
        self.check_system(system)
        names = tuple(names)
        if system == "float64":
            if self._float_extra is None or self._float_extra.names != names:
                order = max(max(ORDERS[n]) for n in names)
                self._float_extra = SmoothEvaluator(
                    derivative_evaluator(self.activation.expr, order),
                    self.activation.source,
                    self.tol,
                    self.max_terms,
                    names,
                )
            return self._float_extra(a, b, c)
        from .quadrature_mp import mp_evaluate

        return mp_evaluate(self.activation, a, b, c, names=names)

    def _extra_values(self, a, b, c, system):
        return self.evaluate_extra(a, b, c, system).values

    def evaluate_means(self, a, b, c, m1, m2, system: str = "float64") -> KernelValues:
        """The ten kernels with means (biases) and their error estimates, float64 only (the
        high-precision routes have no means yet: refused in one line)."""
        self.check_means(system)
        return self._float_means(a, b, c, m1, m2)

    def evaluate_mean_extra(
        self, a, b, c, m1, m2, system: str = "float64", names=MEAN_EXTRA_NAMES
    ) -> KernelValues:
        """``K30``, ``K40`` with means by the same routes, the fourth derivative and the same
        tolerance (float64)."""
        self.check_means(system)
        names = tuple(names)
        if self._float_mean_extra is None or self._float_mean_extra.names != names:
            order = max(max(ORDERS[n]) for n in names)
            self._float_mean_extra = SmoothEvaluator(
                derivative_evaluator(self.activation.expr, order),
                self.activation.source,
                self.tol,
                self.max_terms,
                names,
            )
        return self._float_mean_extra(a, b, c, m1, m2)

    def with_means(self, a, b, c, m1, m2, system: str = "float64") -> tuple:
        return self.evaluate_means(a, b, c, m1, m2, system).values

    def _mean_values(self, a, b, c, m1, m2, system):  # the Kernels interface
        return self.evaluate_means(a, b, c, m1, m2, system).values

    def notes(self) -> list[str]:
        return [
            f"quadrature  diagonal 1-D rule, Mehler series or 2-D rule per entry, each to "
            f"{self.tol:.0e} of its scale or refused"
        ]


def _rebuild(source, tol, max_terms):
    return quadrature_kernels(source, tol=tol, max_terms=max_terms)


@lru_cache(maxsize=32)
def _cached(source: str, tol: float, max_terms: int) -> QuadratureKernels:
    return QuadratureKernels(activation(source), tol, max_terms)


def quadrature_kernels(
    spec, order=None, rule=None, *, tol: float = DEFAULT_TOL, max_terms: int = MAX_TERMS
) -> QuadratureKernels:
    """:class:`QuadratureKernels` of a smooth, non-polynomial activation.

    Parameters
    ----------
    spec : str or Activation
        E.g. ``"tanh(z)"``, ``"z + 0.1*sin(z)"``.
    order, rule : None
        The fixed rule's parameters, gone: the rules now adapt to every ``(a, b, c)``.
        Passing them is refused in one line rather than silently ignored.
    tol : float
        Tolerance per entry relative to its Cauchy-Schwarz scale, in ``[1e-13, 1)``.
    max_terms : int
        Most Mehler terms per pair (16, 32, ..., 2048).

    The result can be passed wherever an activation is expected
    (``symhess.hessian(quadrature_kernels("tanh(z)", tol=1e-10), W, v)``).
    """
    if order is not None or rule is not None:
        raise SymhessError(
            "quadrature_kernels no longer takes order= or rule=: its rules adapt to each "
            "variance and correlation; give the accuracy instead (tol=, default 1e-12)"
        )
    tol = check_tolerance(tol)
    act = activation(spec)
    if isinstance(spec, str):
        return _cached(spec, tol, int(max_terms))
    return QuadratureKernels(act, tol, int(max_terms))


def resolve_quadrature(act: Activation) -> QuadratureKernels | None:
    """The registry's fallback for any smooth non-polynomial activation (``None`` for
    polynomials, which have exact kernels)."""
    if act.is_polynomial:
        return None
    return quadrature_kernels(act.source if isinstance(act.source, str) else act)
