"""Wider students: the global minima that compute the teacher's function, and their rank.

A student with ``h_s = h_t + h_e`` neurons computes ``f_t`` exactly at, among others:

* :func:`zeroed` - the teacher's neurons plus ``h_e`` extra neurons with ``v = 0`` and any
  ``w`` (an ``h_e d``-dimensional flat family);
* :func:`split` - a teacher neuron ``(w, v)`` replaced by copies ``(w, lambda_k v)`` with
  ``sum lambda_k = 1`` (an ``h_e``-dimensional affine family).

There ``r = f - f_t = 0``, so the residual part of the Hessian vanishes and ``H = E[g g^T]``
is the optimum's formula applied to the student itself: :func:`symhess.hessian` of the
student's weights, whose rank :mod:`symhess.rank` measures exactly (polynomials), at high
precision (erf) or in float64 with its gap. ``rank H = dim span{df/dtheta}``, the functions
the student reaches to first order: its effective number of parameters at that minimum.
``ker H`` holds the flat directions: those along the family (manifold directions) and, for
split neurons, directions that keep ``f`` only to first order (:func:`split_directions`,
:func:`second_order_obstruction`).

:func:`wider_minima` measures the rank at each kind of minimum for a list of widths, next to
the teacher's rank at its own optimum and the rank of a generic network of the wider width.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

import numpy as np

from ..base.progress import progress, scope
from ..curvature.anywhere import Landscape
from ..errors import SymhessError
from ..rank.measure import (
    DEFAULT_DPS,
    MethodRank,
    exact_rank,
    float_rank,
    mpmath_rank,
    rational_teacher,
)
from ..teacher import check_size

KINDS = ("zeroed", "split", "zeroed at w = 0")
METHODS = ("exact", "mpmath", "float")
_BITS = 20  # extra directions w_e are dyadic rationals, exact in float64, mpmath and Q


def zeroed(W_t, v_t, W_extra) -> tuple[np.ndarray, np.ndarray]:
    """Student ``[W_t; W_extra]``, ``[v_t; 0]``: extra neurons switched off.

    Returns
    -------
    W : ndarray, shape (h_t + h_e, d)
    v : ndarray, shape (h_t + h_e,)
    """
    W_t, v_t = np.asarray(W_t, dtype=float), np.asarray(v_t, dtype=float)
    W_extra = np.asarray(W_extra, dtype=float).reshape(-1, W_t.shape[1])
    return np.concatenate([W_t, W_extra]), np.concatenate([v_t, np.zeros(W_extra.shape[0])])


def split(W_t, v_t, k: int, weights) -> tuple[np.ndarray, np.ndarray]:
    """Student with teacher neuron ``k`` split into ``len(weights)`` copies ``(w_k, l v_k)``.

    ``weights`` must sum to one; the copies are appended after the teacher's neurons (the
    first copy stays in place ``k``). Dyadic weights (``1/2, 1/4, 1/4``) keep every number
    exact in float64.
    """
    W_t, v_t = np.asarray(W_t, dtype=float), np.asarray(v_t, dtype=float)
    weights = [float(x) for x in weights]
    if len(weights) < 2 or abs(sum(weights) - 1.0) > 1e-12:
        raise SymhessError("split weights: at least two numbers that sum to 1")
    W = np.concatenate([W_t, np.repeat(W_t[k : k + 1], len(weights) - 1, axis=0)])
    v = np.concatenate([v_t, v_t[k] * np.array(weights[1:])])
    v[k] = v_t[k] * weights[0]
    return W, v


def dyadic_split_weights(copies: int) -> list[float]:
    """``1/2, 1/4, ..., 2^-(n-1), 2^-(n-1)``: ``copies`` weights summing to 1 exactly."""
    copies = check_size("copies", copies)
    if copies == 1:
        return [1.0]
    w = [2.0**-k for k in range(1, copies)]
    return w + [w[-1]]


def split_directions(W, v, k: int, copy: int) -> tuple[np.ndarray, list[np.ndarray]]:
    """Null directions of ``H`` at a split pair (neurons ``k`` and ``copy``, same ``w``).

    * the manifold direction ``dv_k = 1, dv_copy = -1`` (moves along the minima);
    * ``d`` directions ``dw_k = v_copy e_j, dw_copy = -v_k e_j`` (``v_k dw_k + v_copy dw_copy
      = 0``): ``f`` is unchanged to first order, by ``eps^2 v_k v_copy (v_k + v_copy)
      sigma''(w.x) (e_j.x)^2 / 2`` at second order, so the loss grows like ``eps^4``.

    Returns
    -------
    manifold : ndarray, shape (P,)
    quartic : list of d ndarrays, shape (P,)
    """
    W, v = np.asarray(W, dtype=float), np.asarray(v, dtype=float)
    h, d = W.shape
    P = h * d + h
    m = np.zeros(P)
    m[h * d + k], m[h * d + copy] = 1.0, -1.0
    quartic = []
    for j in range(d):
        u = np.zeros(P)
        u[k * d + j] = v[copy]
        u[copy * d + j] = -v[k]
        quartic.append(u)
    return m, quartic


def second_order_obstruction(landscape: Landscape, W, v, direction, eps: float = 1e-2):
    """``(kappa, |q|^2)`` for a flat direction ``u`` at a global minimum.

    Along ``theta + eps u + eps^2 z / 2``, ``f - f_t = eps^2 (q + J z) / 2 + O(eps^3)`` with
    ``q = D^2 f[u, u]`` (``J u = 0``), so ``L = eps^4 |q + J z|^2 / 8 + O(eps^5)``: ``u`` is
    tangent to a curve of minima (to second order) only if
    ``kappa = min_z |q + J z|^2 = |q|^2 - (J^T q)^T H^+ (J^T q)`` vanishes. From the landscape
    alone: ``|q|^2 = lim 8 L(theta + eps u) / eps^4``, ``J^T q = lim 2 grad L / eps^2`` and
    ``H = J^T J`` at the minimum; the limits by Richardson extrapolation from ``eps`` and
    ``eps / 2``.
    """
    W, v = landscape.check(W, v)
    theta = landscape.flat(W, v)
    u = np.asarray(direction, dtype=float)
    u = u / np.linalg.norm(u)
    h = W.shape[0]
    H = landscape.hessian(W, v)

    def at(e):
        Wp, vp = landscape.split(theta + e * u, h)
        return 8 * landscape.loss(Wp, vp) / e**4, 2 * landscape.gradient(Wp, vp) / e**2

    (q1, b1), (q2, b2) = at(eps), at(eps / 2)
    q = 2 * q2 - q1  # O(eps) errors -> O(eps^2)
    b = 2 * b2 - b1
    kappa = q - b @ np.linalg.lstsq(H, b, rcond=1e-10)[0]
    return float(kappa), float(q)


@dataclass(frozen=True)
class WiderRow:
    """Ranks for one student width.

    Attributes
    ----------
    h_s, h_e, params : int
        Student width, extra neurons, ``P_s = h_s (d + 1)``.
    ranks : dict of str to MethodRank
        At each kind of minimum (:data:`KINDS`) that was measured (not ``"zeroed at w = 0"``
        for the ReLU family, whose formulas need ``w_i != 0``).
    residual : dict of str to float
        ``max |R| / max |H|`` there (0 up to rounding: the student computes ``f_t``).
    generic : MethodRank or None
        The rank of a generic network of width ``h_s`` at its own optimum (the largest rank
        of the wider architecture).
    points : dict of str to (W, v)
        The students measured, by kind.
    """

    h_s: int
    h_e: int
    params: int
    ranks: dict
    residual: dict
    generic: MethodRank | None = None
    points: dict = field(default_factory=dict)


@dataclass(frozen=True)
class WiderReport:
    """Ranks at the global minima of wider students of one teacher.

    Attributes
    ----------
    method : str
    d, h_t : int
    teacher : MethodRank
        The teacher's rank ``r_t`` at its own optimum.
    rows : list of WiderRow
    notes : list of str
    """

    method: str
    d: int
    h_t: int
    teacher: MethodRank
    rows: list = field(default_factory=list)
    notes: list = field(default_factory=list)

    @property
    def teacher_params(self) -> int:
        return self.h_t * (self.d + 1)


def default_method(landscape: Landscape) -> str:
    """``exact`` for polynomials, ``mpmath`` for closed forms, ``float`` for quadrature."""
    if landscape.kernels.activation.is_polynomial:
        return "exact"
    return "mpmath" if "mpmath" in landscape.kernels.systems else "float"


def wider_minima(
    landscape: Landscape,
    extra=(1, 2, 3),
    *,
    method: str | None = None,
    dps: int = DEFAULT_DPS,
    seed: int = 0,
    generic: bool = True,
    show_progress: bool | None = None,
) -> WiderReport:
    """The Hessian rank at global minima of students with ``h_e`` extra neurons.

    Parameters
    ----------
    landscape : Landscape
        Its teacher is the fixed target (its weights are used as they are: dyadic rationals,
        e.g. from :func:`symhess.rational_teacher`, keep the exact rank exact).
    extra : sequence of int
        Numbers of extra neurons ``h_e >= 1``.
    method : {"exact", "mpmath", "float"}, optional
        Rank method (:mod:`symhess.rank.measure`); by default exact for polynomials, mpmath
        for closed forms (erf), float64 otherwise.
    dps : int
        Digits for ``"mpmath"``.
    seed : int
        Draws the extra neurons' directions ``w_e`` and the generic networks.
    generic : bool
        Also the rank of a generic network of each wider width.
    show_progress : bool, optional
        A bar over the widths.

    Returns
    -------
    WiderReport
    """
    extra = sorted({check_size("extra neurons", e) for e in extra})
    method = method or default_method(landscape)
    if method not in METHODS:
        raise SymhessError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    kern = landscape.kernels
    if method == "exact" and not kern.activation.is_polynomial:
        raise SymhessError("the exact rank needs a polynomial activation; use mpmath or float")
    kern.check_system({"exact": "fmpq", "mpmath": "mpmath", "float": "float64"}[method])
    Wt, vt = landscape.W_t, landscape.v_t
    if Wt.dtype == object:
        raise SymhessError("give the teacher as float64 (dyadic) weights")
    h_t, d = Wt.shape

    def rank(W, v):
        if method == "exact":
            return exact_rank(kern, W, v)
        if method == "mpmath":
            return mpmath_rank(kern, W, v, dps)
        return float_rank(kern, W, v)

    def residual(W, v):
        H = np.abs(landscape.hessian(W, v))
        return float(np.max(np.abs(landscape.hessian(W, v, part="residual"))) / np.max(H))

    sigma_at_0 = _sigma_at_zero(kern.activation)
    rng = np.random.default_rng([seed, 7])  # not the stream that drew the teacher
    scale = 2.0**_BITS
    rows = []
    with scope(show_progress):
        teacher = rank(Wt, vt)
        for h_e in progress(extra, desc="wider students", unit="width", show=show_progress):
            W_e = np.round(rng.normal(0.0, np.sqrt(1.0 / d), size=(h_e, d)) * scale) / scale
            points = {
                "zeroed": zeroed(Wt, vt, W_e),
                "split": split(Wt, vt, 0, dyadic_split_weights(h_e + 1)),
            }
            if not landscape.relu:
                points["zeroed at w = 0"] = zeroed(Wt, vt, np.zeros((h_e, d)))
            ranks = {
                kind: _with_structural_bound(
                    rank(W, v), teacher, _structural_bound(kind, teacher, h_e, sigma_at_0)
                )
                for kind, (W, v) in points.items()
            }
            res = {kind: residual(W, v) for kind, (W, v) in points.items()}
            gen = None
            if generic:
                t = rational_teacher(d, h_t + h_e, seed=seed + 1000 + h_e)
                gen = rank(t.W, t.v)
            rows.append(WiderRow(h_t + h_e, h_e, (h_t + h_e) * (d + 1), ranks, res, gen, points))
    notes = [
        "At these minima the student computes the teacher's function, so the residual part "
        "of the Hessian is zero and rank H = dim span{df/dtheta}: the functions reachable to "
        "first order (the effective number of parameters there)."
    ]
    if landscape.relu:
        notes.append(
            "'zeroed at w = 0' is not measured for the ReLU family: its Hessian formulas need "
            "every w_i != 0 (near w_i = 0 they grow like v_i / |w_i|; docs/theory.md, 11.7)."
        )
    return WiderReport(method, d, h_t, teacher, rows, notes)


def _sigma_at_zero(act) -> bool:
    """Whether ``sigma(0) != 0`` (a neuron at ``w = 0`` then computes a constant)."""
    from ..activation.grammar import Z

    return bool(act.expr.subs(Z, 0) != 0)


def _structural_bound(kind: str, teacher: MethodRank, h_e: int, sigma_at_0: bool) -> int | None:
    """A proven upper bound on the rank at a minimum of this kind, from the teacher's proven
    rank ``r_t``: there ``H = J^T J`` and ``rank H = dim span{df/dtheta}``. Extra neurons
    switched off add one tangent function each, ``sigma(w_e . x)`` (``r_t + h_e``); copies of
    a neuron repeat its tangent functions (``r_t``); neurons at ``w = 0`` add the constant
    ``sigma(0)`` at most once (``r_t`` or ``r_t + 1``). ``None`` if ``r_t`` is not proven."""
    if not teacher.decided or teacher.rank is None:
        return None
    if kind == "zeroed":
        return teacher.rank + h_e
    if kind == "split":
        return teacher.rank
    return teacher.rank + (1 if sigma_at_0 else 0)


def _with_structural_bound(r: MethodRank, teacher: MethodRank, bound: int | None) -> MethodRank:
    """A floating-point count that the noise leaves as a lower bound is decided when it meets
    the structural upper bound (:func:`_structural_bound`)."""
    if r.decided or r.rank is None or bound is None or r.rank != bound:
        return r
    return dataclasses.replace(
        r,
        decided=True,
        how="proven",
        upper=bound,
        detail=f"{r.detail}; proven: the count above the noise meets the structural upper "
        f"bound {bound} (from the teacher's rank {teacher.rank})",
    )


@dataclass(frozen=True)
class Structure:
    """How a student's neurons realise the teacher at a global minimum.

    Attributes
    ----------
    switched_off : list of int
        Neurons with ``v_i = 0`` (to ``rtol``) and ``w_i != 0``: each can add the one
        function ``sigma(w_i . x)`` to the tangent space (rank at most ``+1`` each); their
        ``d`` input weights are flat directions along the manifold of minima.
    switched_off_at_zero : list of int
        ``v_i = 0`` and ``w_i = 0``: ``sigma(w_i . x)`` is constant (zero for
        ``sigma(0) = 0``); two families of minima cross there.
    copies : list of list of int
        Groups of neurons with the same ``w`` (to ``rtol``; for an odd activation also
        ``-w``, the copy then carrying ``-v``): a split teacher neuron. Copies add no tangent
        function; each extra copy brings ``d + 1`` flat directions (one along the manifold,
        ``d`` that keep ``f`` only to first order).
    deviation : float
        The largest relative distance between neurons counted as copies (or of a ``v``
        counted as zero): how far the point still is from the exact family.
    homogeneous : bool
        Copies were matched by direction ``w / |w|`` (the ReLU family, where ``(w, v)`` and
        ``(c w, v / c)``, ``c > 0``, are the same neuron).
    """

    switched_off: list
    switched_off_at_zero: list
    copies: list
    deviation: float = 0.0
    homogeneous: bool = False

    def lines(self) -> list[str]:
        out = []
        if self.switched_off:
            out.append(
                f"{len(self.switched_off)} neuron(s) switched off (v = 0, w free): each may add "
                "the one function sigma(w . x), rank + 1 at most; their d input weights are flat "
                "directions along the manifold of minima"
            )
        if self.switched_off_at_zero:
            out.append(
                f"{len(self.switched_off_at_zero)} neuron(s) off at w = 0 (v = 0): no new "
                "function when sigma(0) = 0; two families of minima cross there"
            )
        for group in self.copies:
            if self.homogeneous:
                out.append(
                    f"neurons {', '.join(map(str, group))} point along one direction w / |w| "
                    "(a split neuron, up to the rescaling w -> c w, v -> v / c): no new "
                    f"function; {len(group) - 1} x (d + 1) flat directions"
                )
                continue
            out.append(
                f"neurons {', '.join(map(str, group))} are copies of one w (a split neuron): no "
                f"new function; {len(group) - 1} x (d + 1) flat directions (one along the "
                "manifold, d that keep f only to first order)"
            )
        if out and self.deviation > 0:
            out.append(f"(to a relative distance {self.deviation:.1e} from the exact family)")
        return out or [
            "no neuron switched off or copied: the student computes the teacher's function "
            "with a different set of neurons"
        ]


def minimum_structure(
    W, v, rtol: float = 1e-2, odd: bool = False, *, even: bool = False, homogeneous: bool = False
) -> Structure:
    """Switched-off neurons and copies at a student point (see :class:`Structure`).

    ``rtol`` is relative to the largest ``|v|`` and ``|W|`` entries. It is loose on purpose:
    along the flat directions that keep ``f`` only to first order (split neurons) the loss
    grows like ``eps^4``, so a point with ``|grad L| ~ 1e-12`` can still be ``~1e-3`` away from
    exact copies; :attr:`Structure.deviation` reports the distance found. ``odd``: the
    activation is odd, so ``(w, v)`` and ``(-w, -v)`` are the same neuron; ``even``: ``(w, v)``
    and ``(-w, v)`` are. ``homogeneous``: the activation is positively homogeneous (the ReLU
    family), so copies are matched by direction ``w / |w|`` (to ``rtol``).
    """
    W, v = np.asarray(W, dtype=float), np.asarray(v, dtype=float)
    scale_v = max(float(np.max(np.abs(v))), 1e-300)
    scale_w = max(float(np.max(np.abs(W))), 1e-300)
    deviation = 0.0
    off = [i for i in range(v.size) if abs(v[i]) <= rtol * scale_v]
    at_zero = [i for i in off if np.max(np.abs(W[i])) <= rtol * scale_w]
    off = [i for i in off if i not in at_zero]
    for i in off + at_zero:
        deviation = max(deviation, abs(v[i]) / scale_v)
    for i in at_zero:
        deviation = max(deviation, float(np.max(np.abs(W[i]))) / scale_w)
    active = [i for i in range(v.size) if i not in off and i not in at_zero]
    groups, seen = [], set()
    for i in active:
        if i in seen:
            continue
        same = []
        for j in active:
            if homogeneous:
                a, b = W[i] / np.linalg.norm(W[i]), W[j] / np.linalg.norm(W[j])
                unit = 1.0
            else:
                a, b, unit = W[i], W[j], scale_w
            dist = float(np.max(np.abs(b - a)))
            if odd or even:
                dist = min(dist, float(np.max(np.abs(b + a))))
            if dist <= rtol * unit:
                same.append(j)
                deviation = max(deviation, dist / unit)
        seen.update(same)
        if len(same) > 1:
            groups.append(same)
    return Structure(off, at_zero, groups, deviation, homogeneous)


def symmetries(kernels) -> dict:
    """The keyword arguments of :func:`minimum_structure` for these kernels' activation:
    ``odd``, ``even`` (SymPy decides) and ``homogeneous`` (the ReLU family)."""
    import sympy

    from ..activation.grammar import Z

    act = kernels.activation
    if act.relu_family is not None:
        # alpha z + beta relu(z), beta != 0: never odd; even iff 2 alpha + beta = 0 (abs)
        alpha, beta = act.relu_family
        return {"odd": False, "even": sympy.simplify(2 * alpha + beta) == 0, "homogeneous": True}
    expr = act.expr
    return {
        "odd": is_odd(act),
        "even": sympy.simplify(expr.subs(Z, -Z) - expr) == 0,
        "homogeneous": False,
    }


def is_odd(activation) -> bool:
    """Whether ``sigma(-z) = -sigma(z)`` (SymPy decides, on the activation's expression)."""
    import sympy

    from ..activation.grammar import Z

    expr = activation.expr
    return sympy.simplify(expr.subs(Z, -Z) + expr) == 0
