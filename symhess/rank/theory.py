"""What theory says the Hessian rank at the optimum is: exact counts and upper bounds.

For a polynomial activation the rank of ``H = J G J^T`` (``G`` the positive definite Gram
matrix of monomials under ``N(0, I_d)``) is the rank of the Jacobian ``J`` of the map from
parameters to the coefficients of ``f(x) = sum_i v_i sigma(w_i . x)`` (docs/theory.md,
"Rank").
Every count below is the rank of ``J`` at a *generic* teacher. Rank is lower
semicontinuous, so the generic rank is the largest rank at any teacher: an ``"exact"``
prediction is an equality for almost every teacher and an upper bound for every teacher. That
is what lets :mod:`symhess.rank` certify a rank modulo a prime that reaches it.

With ``s_n`` the coefficients of ``sigma`` (``sigma(z) = sum_n s_n z^n``, degree ``p``),
``[.]`` the indicator and ``c = [s_0 != 0]``:

* ``params``: ``P = h d + h`` (bound; the only one for non-polynomial activations).
* ``hockey_stick``: ``sum_{k=1..p} C(d+k-1, k) + c = C(d+p, p) - 1 + c``, capped at ``P``
  (bound; the seed paper, section 4.2): the dimension of polynomials of degree ``<= p``.
* ``degree_support``: the same sum over the degrees ``k`` with ``s_k != 0`` only, capped at
  ``P`` (bound): ``f`` has no homogeneous part of any other degree.
* ``eq14``: ``s_1 z + s_2 z^2`` with ``s_1, s_2 != 0`` (exact; paper eq. 14):
  ``d + d(d+1)/2`` for ``h >= d``, ``h(d+1) - h(h-1)/2`` for ``h < d``; with ``s_0 != 0``
  add one when ``h > d`` (see :func:`quadratic_rank`).
* ``alexander_hirschowitz``: ``s_k z^k`` with ``k >= 2`` (exact; Alexander-Hirschowitz):
  ``f`` is a sum of ``h`` k-th powers of linear forms, whose span near a generic point is the
  affine cone over the ``h``-th secant variety of the Veronese variety:
  ``min(h d, C(d+k-1, k))``, except ``k = 2`` (``h d - h(h-1)/2`` for ``h < d``) and the
  four defective ``(d, k, h)``: ``(3, 4, 5), (4, 4, 9), (5, 3, 7), (5, 4, 14)``, one less.
  With ``s_0 != 0`` add one (see :func:`monomial_rank`).
* ``linear``: ``s_1 z`` (exact; docs/theory.md, "The linear network"): ``d``, plus one with
  ``s_0 != 0``.
* ``binomial``: ``s_1 z + s_p z^p`` (``p >= 3``, ``s_1 s_p != 0``, any ``s_0``) with
  ``h d <= C(d+p-1, p)`` and ``(d, p, h)`` not defective (exact; docs/theory.md, "Certified
  rank"):
  ``h d + min(h, d + c)``. The degree-``p`` part fixes the weights up to the ``h`` unit
  scalings ``dw_i = c_i w_i, dv_i = -p c_i v_i`` (Alexander-Hirschowitz), which move the
  linear part by ``(1 - p) sum_i c_i v_i w_i`` (and the constant by ``-p s_0 sum_i c_i v_i``):
  a map of rank ``min(h, d + c)``. For ``h > d`` this is below every bound above
  (``z + z**3`` at d = 40, h = 48: 1960 < 1968).

Mixed degrees (docs/theory.md, "Rank of mixed-degree polynomial networks"). With ``S`` the
*support* (the degrees ``k``, 0 included, with ``s_k != 0``), the rank depends on ``S`` and
the points ``w_i`` only, and homogenising ``g(w) -> G(w, t) = sum_k g_k(w) t^(p-k)`` turns it
into Alexander-Hirschowitz interpolation in ``d + 1`` variables. ``AH(n, k, s)`` below is
:func:`monomial_rank` ``(n, k, s)``, the rank of ``s`` general double points on forms of
degree ``k`` in ``n`` variables:

* ``homogenized_ah``: ``S = {m..p}``, ``m <= 2 < p`` (exact): ``AH(d+1, p, h)`` for ``m = 0``,
  ``min(AH(d+1, p, h), C(d+p, p) - 1)`` for ``m = 1``, ``AH(d+1, p, h+1) - (d+1)`` for
  ``m = 2`` (see :func:`block_rank`; ``p = 2`` is eq. (14)).
* ``product``: ``S = {2, 4}`` or ``{0, 2, 4}`` (bound): products of two polynomials through
  the points are singular there (see :func:`product_bound`).
* ``partition``: any ``S`` of two or more degrees without an exact count (bound): the smallest
  sum, over the ways to split ``S`` into blocks, of each block's generic rank or bound, at
  most ``P`` (see :func:`partition_bound`). ``z + z^3`` at ``d = 5, h = 6``: ``5 + 30 = 35``,
  one below every older bound.

For the ReLU family ``sigma(z) = alpha z + beta relu(z)`` (docs/theory.md, "ReLU and
piecewise-linear activations"), where the kernels are not polynomial:

* ``rescaling``: ``h d = P - h`` for ``d >= 2`` or ``h = 1`` (exact; a theorem): ``sigma`` is
  positively homogeneous, so each neuron has the flat direction ``(w_i, v_i) -> (c w_i,
  v_i / c)``, and these are the only ones when every ``v_i != 0`` and no two rows of ``W`` are
  parallel or antiparallel (almost every teacher);
* ``sign_classes``: ``d = 1``, ``h >= 2`` (bound): every tangent function lies in the span of
  ``sigma(x)`` and ``sigma(-x)``, so the rank is at most 2, and 1 for an even ``sigma``
  (``2 alpha + beta = 0``, e.g. ``abs``); the rank at a given teacher is the number of signs
  among the ``w_i`` (or 1), see :func:`null_basis`.

:func:`null_basis` gives the exact null space of a given teacher where the theory knows it
whole (the rescaling directions, or the sign classes at ``d = 1``): the certified rank
(:mod:`symhess.rank.certify`) rests on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from math import comb

import numpy as np
import sympy

from ..activation import Activation, activation
from ..teacher import check_size, check_weights

KINDS = ("exact", "bound", "claim")
"""``"claim"``: a statement under test (the seed paper's "+1" with biases), judged by equality
and never used as a bound."""

PREDICTION_NAMES = (
    "params",
    "hockey_stick",
    "degree_support",
    "eq14",
    "alexander_hirschowitz",
    "linear",
    "binomial",
    "homogenized_ah",
    "product",
    "partition",
    "rescaling",
    "sign_classes",
    "ah_in_d_plus_1",
    "ah_in_d_plus_1_constant",
    "scaling",
    "quadratic",
    "cubic_extra_point",
    "hyperplanes",
)
"""Every prediction's name, in the order :func:`predictions` lists them (then the ones with
biases, :func:`bias_predictions`). The claim ``paper_plus_one`` is not among them: it depends
on a measured rank (:func:`paper_claim`)."""

BIAS_PREDICTIONS = PREDICTION_NAMES[-6:]
"""The counts only networks with biases have (docs/theory.md, "Biases")."""

MIXED_PREDICTIONS = ("homogenized_ah", "binomial", "product", "partition")
"""The counts of mixed-degree networks (docs/theory.md, "Rank of mixed-degree polynomial
networks", and "Certified rank" for ``binomial``); the others are older: the parameter count,
the seed paper's and Alexander-Hirschowitz's."""

DEFECTIVE = frozenset({(3, 4, 5), (4, 4, 9), (5, 3, 7), (5, 4, 14)})
"""``(d, k, h)`` where ``h`` generic k-th powers of linear forms in ``d`` variables span one
dimension less than expected (Alexander-Hirschowitz; ``k = 2`` is defective throughout)."""


@dataclass(frozen=True)
class Prediction:
    """One theoretical count of the Hessian rank.

    Attributes
    ----------
    name : str
        Short key (``"params"``, ``"hockey_stick"``, ...), used in ``--json``.
    value : int
    kind : {"exact", "bound", "claim"}
        ``"exact"``: the rank at a generic teacher (an upper bound at every teacher);
        ``"bound"``: an upper bound only; ``"claim"``: a statement under test (the seed
        paper's "+1" with biases), judged by equality, never a bound.
    source : str
        Where the count comes from, in words.
    """

    name: str
    value: int
    kind: str
    source: str

    def holds(self, rank: int) -> bool:
        """Equality for an exact prediction or a claim, ``rank <= value`` for a bound."""
        return rank <= self.value if self.kind == "bound" else rank == self.value


def forms(d: int, k: int) -> int:
    """``C(d+k-1, k)``: the dimension of homogeneous polynomials of degree ``k`` in ``d``
    variables (the independent entries of a symmetric order-``k`` tensor)."""
    return comb(d + k - 1, k)


def monomial_rank(d: int, k: int, h: int, constant: bool = False) -> int:
    """Generic rank for ``sigma = s_k z^k`` (plus ``s_0`` if ``constant``), ``k >= 1``.

    A constant term adds exactly one: scaling one unit ``v_i -> (1+e) v_i``,
    ``w_i -> (1+e)^(-1/k) w_i`` leaves every non-constant coefficient of ``f`` fixed and moves
    the constant ``s_0 sum v_i``, so the constant is never in the span of the others.
    """
    if k == 1:
        base = d
    elif k == 2 and h < d:
        base = h * d - h * (h - 1) // 2
    else:
        base = min(h * d, forms(d, k)) - ((d, k, h) in DEFECTIVE)
    return base + constant


def quadratic_rank(d: int, h: int, constant: bool = False) -> int:
    """Generic rank for ``s_1 z + s_2 z^2`` (plus ``s_0`` if ``constant``), paper eq. (14).

    A constant term adds one exactly when ``h > d``. For ``h <= d`` the directions of the
    hidden units outside their span separate off, and on the span (``h = d``, reduced to
    ``W = I`` by the action of GL(d)) every parameter direction that fixes the linear and
    quadratic parts also fixes ``sum_i v_i``: the constant follows from them. For ``h > d``
    the rank is non-decreasing in ``h`` and the point with ``W = [I; 0]`` already reaches
    all ``1 + d + d(d+1)/2`` coefficients (the extra unit moves the constant alone).
    """
    if h >= d:
        base = d + d * (d + 1) // 2
    else:
        base = h * (d + 1) - h * (h - 1) // 2
    return base + (constant and h > d)


def support_text(support) -> str:
    """``{0,1,3}``: a support as it is written in sources and tables."""
    return "{" + ",".join(str(k) for k in sorted(support)) + "}"


def _interval(support) -> tuple[int, int] | None:
    """``(m, p)`` when ``support`` is ``{m, m+1, ..., p}``, else None."""
    S = sorted(set(support))
    return (S[0], S[-1]) if S and S == list(range(S[0], S[-1] + 1)) else None


def block_rank(block, d: int, h: int) -> int | None:
    """The generic rank for ``sigma`` with support exactly ``block``, where it is proven.

    Homogenising ``g(w) = sum_{k in S} g_k(w)`` to ``G(w, t) = sum_k g_k(w) t^(p-k)``
    (``p = max S``) makes the rank Alexander-Hirschowitz interpolation in ``d + 1``
    variables: ``rank = dim V_S - dim L_S`` with ``V_S`` the forms of degree ``p`` whose
    expansion in ``t`` has the degrees ``p - k``, ``k in S``, and ``L_S`` those singular at the
    ``h`` general points ``(w_i : 1)``. For ``S = {m..p}``, ``V_S`` is every form with
    multiplicity ``>= m`` at ``e_t = (0 : ... : 0 : 1)``, itself a general point:

    * ``{k}``, ``{0, k}``: :func:`monomial_rank` (Alexander-Hirschowitz in ``d`` variables);
    * ``{0..p}``: every form of degree ``p``: ``AH(d+1, p, h)``;
    * ``{1..p}``: forms through ``e_t``, one condition more on any non-empty system:
      ``min(AH(d+1, p, h), C(d+p, p) - 1)``;
    * ``{2..p}``: forms singular at ``e_t``, an ``(h+1)``-th double point:
      ``AH(d+1, p, h+1) - (d+1)``.

    ``AH(n, k, s)`` is :func:`monomial_rank` ``(n, k, s)``. ``{1, 2}`` and ``{0, 1, 2}`` give
    eq. (14) (:func:`quadratic_rank`), ``{0}`` gives 1.

    Parameters
    ----------
    block : iterable of int
        Degrees with a non-zero coefficient.
    d, h : int

    Returns
    -------
    int or None
        None where no proof is known.
    """
    S = sorted(set(block))
    rest = [k for k in S if k >= 1]
    if not rest:
        return 1
    if len(rest) == 1:
        return monomial_rank(d, rest[0], h, 0 in S)
    m, p = _interval(S) or (None, None)
    if m == 0:
        return monomial_rank(d + 1, p, h)
    if m == 1:
        return min(monomial_rank(d + 1, p, h), comb(d + p, p) - 1)
    if m == 2:
        return monomial_rank(d + 1, p, h + 1) - (d + 1)
    return None


def product_bound(support, d: int, h: int) -> int | None:
    """``dim V_S`` minus the products of two polynomials through the points (``S`` even).

    A product ``E1 E2`` of two polynomials that vanish at every ``w_i`` is singular there,
    so it lowers the rank below ``dim V_S``. The quadratic forms through ``h`` general
    points have dimension ``e0 = max(0, N - h)``, ``N = d(d+1)/2``; the even quadrics
    ``a + q(w)`` through them ``e1 = max(0, N + 1 - h)``. Products of at most two
    independent polynomials are independent (``a E1^2 + b E1 E2 + c E2^2`` factors into two
    linear combinations), so the bound is proven for

    * ``{4}``, ``e0 <= 2``: ``C(d+3, 4) - C(e0+1, 2)`` (the quartic cases ``(3, 4, 5)``,
      ``(4, 4, 9)``, ``(5, 4, 14)`` of Alexander-Hirschowitz are ``e0 = 1``);
    * ``{2, 4}``, ``e0 <= 1``: ``N + C(d+3, 4) - e0 e1`` (``q E``, ``q`` the quadratic form);
    * ``{0, 2, 4}``, ``e1 <= 2``: ``1 + N + C(d+3, 4) - C(e1+1, 2)``.

    Returns
    -------
    int or None
        Not capped at ``P``; None for other supports or where two products could be
        dependent.
    """
    S = tuple(sorted(set(support)))
    N = d * (d + 1) // 2
    e0, e1 = max(0, N - h), max(0, N + 1 - h)
    quartics = forms(d, 4)
    if S == (4,) and e0 <= 2:
        return quartics - comb(e0 + 1, 2)
    if S == (2, 4) and e0 <= 1:
        return N + quartics - e0 * e1
    if S == (0, 2, 4) and e1 <= 2:
        return 1 + N + quartics - comb(e1 + 1, 2)
    return None


def block_bound(block, d: int, h: int) -> int:
    """The smallest proven bound on the rank for support ``block``: its generic rank where
    known (:func:`block_rank`), the product bound, at most ``P``."""
    known = [b for b in (block_rank(block, d, h), product_bound(block, d, h)) if b is not None]
    return min([h * d + h, *known])


@lru_cache(maxsize=4096)
def best_partition(support: tuple[int, ...], d: int, h: int) -> tuple[int, tuple]:
    """The partition of ``support`` into blocks with the smallest sum of block bounds.

    Returns
    -------
    (int, tuple of tuple of int)
        :func:`partition_bound` and its blocks.
    """
    S = tuple(sorted(set(support)))
    if not S:
        return 0, ()
    first, rest = S[0], S[1:]
    best_value, best_blocks = block_bound(S, d, h), (S,)
    # Every block containing the first degree, then the best split of what is left.
    for mask in range((1 << len(rest)) - 1):
        block = (first, *(k for i, k in enumerate(rest) if mask >> i & 1))
        others = tuple(k for i, k in enumerate(rest) if not mask >> i & 1)
        value, blocks = best_partition(others, d, h)
        value += block_bound(block, d, h)
        if value < best_value:
            best_value, best_blocks = value, (block, *blocks)
    return best_value, best_blocks


def partition_bound(support, d: int, h: int) -> int:
    """Smallest ``sum_B bound(B)`` over the partitions of ``support`` into blocks ``B``.

    A proven upper bound on the rank at every teacher: the coefficients of ``f`` split by
    degree, so the Jacobian ``J_S`` is the column blocks ``[J_B1 | J_B2 | ...]`` of the
    networks with activations ``sigma_B`` (same parameters) and ``rank J_S <= sum rank J_B``;
    each ``rank J_B`` is at most :func:`block_bound` (a generic rank bounds the rank at every
    teacher: rank is lower semicontinuous). The partition into one block is included, so the
    bound is at most ``P``; the partition into single degrees gives ``degree_support``.

    Parameters
    ----------
    support : iterable of int
        Degrees with a non-zero coefficient (0 for the constant).
    d, h : int
    """
    return best_partition(tuple(sorted(set(support))), d, h)[0]


def _mixed_predictions(S: list[int], d: int, h: int, exact: bool, degree_support: int):
    """``homogenized_ah``, ``product`` and ``partition`` for the support ``S``."""
    out = []
    P = h * d + h
    m, p = _interval(S) or (None, None)
    if m is not None and m <= 2 < p:
        n = d + 1
        formula = {
            0: f"AH(d+1, p, h) = AH({n}, {p}, {h})",
            1: f"min(AH(d+1, p, h), C(d+p, p) - 1) = min(AH({n}, {p}, {h}), {comb(d + p, p) - 1})",
            2: f"AH(d+1, p, h+1) - (d+1) = AH({n}, {p}, {h + 1}) - {n}",
        }[m]
        if (n, p, h + (m == 2)) in DEFECTIVE:
            formula += ", defective: one below the expected count"
        out.append(
            Prediction(
                "homogenized_ah",
                block_rank(S, d, h),
                "exact",
                f"support {support_text(S)} homogenised: Alexander-Hirschowitz in d + 1 "
                f"variables, {formula}",
            )
        )
        exact = True
    product = product_bound(S, d, h)
    if S != [4] and product is not None and product < degree_support:
        out.append(
            Prediction(
                "product",
                min(product, P),
                "bound",
                f"support {support_text(S)}: products of two polynomials through the h points "
                "are singular there, at most P",
            )
        )
    if len(S) >= 2 and not exact:
        value, blocks = best_partition(tuple(S), d, h)
        parts = " + ".join(support_text(b) for b in blocks)
        values = " + ".join(str(block_bound(b, d, h)) for b in blocks)
        out.append(
            Prediction(
                "partition",
                value,
                "bound",
                f"degree blocks {parts}: {values}, each block's generic rank or bound, at most P",
            )
        )
    return out


def predictions(
    spec, d: int, h: int, bias: bool = False, rank_without_bias: int | None = None
) -> list[Prediction]:
    """Every prediction that applies to an activation at ``(d, h)``.

    Parameters
    ----------
    spec : str, coefficient list or Activation
    d, h : int
        Input dimension and hidden units.
    bias : bool
        For the network with biases ``f(x) = sum_i v_i sigma(w_i . x + b_i)``
        (:func:`bias_predictions`).
    rank_without_bias : int, optional
        With ``bias``: the measured rank without biases at the same ``(W, v)``, which adds the
        seed paper's claim "+1" (:func:`paper_claim`).

    Returns
    -------
    list of Prediction
        ``params`` first; bounds and exact counts as they apply (only ``params`` for a
        non-polynomial activation), then the claim if any.
    """
    act = spec if isinstance(spec, Activation) else activation(spec)
    d, h = check_size("d", d), check_size("h", h)
    if bias:
        out = bias_predictions(act, d, h)
        if rank_without_bias is not None:
            out.append(paper_claim(rank_without_bias))
        return out
    P = h * d + h
    out = [Prediction("params", P, "bound", "P = h*d + h, every parameter")]
    if act.relu_family is not None:
        return out + relu_predictions(act, d, h)
    if not act.is_polynomial:
        return out
    s = act.coefficients
    p = act.degree
    c = int(s[0] != 0)
    present = [k for k in range(1, p + 1) if s[k] != 0]
    plus_c = ", + 1 for s0 != 0" if c else ""
    out.append(
        Prediction(
            "hockey_stick",
            min(comb(d + p, p) - 1 + c, P),
            "bound",
            f"paper 4.2: C(d+p, p) - 1 with p = {p}{plus_c}, at most P",
        )
    )
    out.append(
        Prediction(
            "degree_support",
            min(sum(forms(d, k) for k in present) + c, P),
            "bound",
            "sum of C(d+k-1, k) over the degrees k = "
            + ", ".join(map(str, present))
            + f" present{plus_c}, at most P",
        )
    )
    if p == 2 and present == [1, 2]:
        out.append(
            Prediction(
                "eq14",
                quadratic_rank(d, h, bool(c)),
                "exact",
                "paper eq. (14)" + (", + 1 for s0 != 0 when h > d" if c else ""),
            )
        )
    if len(present) == 1 and present[0] >= 2:
        k = present[0]
        why = "k = 2: h*d - h(h-1)/2 for h < d" if k == 2 else "min(h*d, C(d+k-1, k))"
        if (d, k, h) in DEFECTIVE:
            why += f", minus 1: (d, k, h) = {(d, k, h)} is defective"
        out.append(
            Prediction(
                "alexander_hirschowitz",
                monomial_rank(d, k, h, bool(c)),
                "exact",
                f"Alexander-Hirschowitz for z^{k}: {why}{plus_c}",
            )
        )
    if present == [1]:
        out.append(
            Prediction(
                "linear", monomial_rank(d, 1, h, bool(c)), "exact", f"linear network: d{plus_c}"
            )
        )
    if len(present) == 2 and present[0] == 1 and present[1] >= 3:
        k = present[1]
        if h * d <= forms(d, k) and (d, k, h) not in DEFECTIVE:
            out.append(
                Prediction(
                    "binomial",
                    binomial_rank(d, k, h, bool(c)),
                    "exact",
                    f"s1 z + s{k} z^{k}: h*d + min(h, d{' + 1' if c else ''}) (unit scalings "
                    f"move the linear part{' and the constant' if c else ''})",
                )
            )
    support = [0] * c + present
    exact = any(q.kind == "exact" for q in out)
    out += _mixed_predictions(support, d, h, exact, out[2].value)
    return out


def binomial_rank(d: int, k: int, h: int, constant: bool = False) -> int:
    """Generic rank for ``s_1 z + s_k z^k`` (``k >= 3``; plus ``s_0`` if ``constant``) when
    ``h d <= C(d+k-1, k)`` and ``(d, k, h)`` is not defective: ``h d + min(h, d + c)``.

    The degree-``k`` part alone has rank ``h d`` there, its kernel the ``h`` unit scalings
    ``dw_i = c_i w_i, dv_i = -k c_i v_i``; of those, the ones that also keep the linear part
    (``(1 - k) sum_i c_i v_i w_i = 0``) and the constant (``-k s_0 sum_i c_i v_i = 0``) stay
    in the kernel: ``h - min(h, d + c)`` of them at a generic teacher.
    """
    return h * d + min(h, d + int(constant))


def best(preds: list[Prediction]) -> Prediction:
    """The most informative prediction: an exact one if any, else the smallest bound (claims
    are not predictions of symhess's)."""
    exact = [q for q in preds if q.kind == "exact"]
    if exact:
        return exact[0]
    return min((q for q in preds if q.kind == "bound"), key=lambda q: q.value)


def upper_bound(preds: list[Prediction]) -> int:
    """The smallest proven upper bound on the rank at *every* teacher (exact counts included:
    they are generic ranks, the largest rank any teacher reaches; claims never count)."""
    return min(q.value for q in preds if q.kind != "claim")


# ----------------------------------------------------------------------------- biases
def quadratic_bias_rank(d: int, h: int, s0, s1, s2) -> int:
    """Generic rank with biases for ``s0 + s1 z + s2 z^2`` (``s2 != 0``).

    Completing the square, ``sigma(l + b) = s2 (l + b')^2 + s0'`` with ``b' = b + s1/(2 s2)``
    and ``s0' = s0 - s1^2/(4 s2)``. With ``x_0 = 1`` the tangent space is ``I_2(V)`` plus
    ``x_0^2`` if ``s0' != 0``, where ``I_2(V)`` are the quadratic forms in ``n = d + 1``
    variables vanishing on ``V = {l_1 = ... = l_h = 0}``: ``h n - h(h-1)/2`` for ``h < n``,
    all ``C(n+1, 2)`` for ``h >= n``; ``x_0^2`` is not in ``I_2(V)`` for a generic ``V`` of
    dimension ``n - h >= 1``.
    """
    s0, s1, s2 = Fraction(s0), Fraction(s1), Fraction(s2)
    n = d + 1
    if h >= n:
        return comb(n + 1, 2)
    return h * n - h * (h - 1) // 2 + (s0 - s1 * s1 / (4 * s2) != 0)


def paper_claim(rank_without_bias: int) -> Prediction:
    """The seed paper's expectation with biases (section 5, future work): "the same results
    incremented by one" - the measured rank without biases at the same ``(W, v)``, plus one."""
    return Prediction(
        "paper_plus_one",
        rank_without_bias + 1,
        "claim",
        f"seed paper, section 5: biases give 'the same results incremented by one' "
        f"(rank without biases at the same W, v: {rank_without_bias}, + 1); a claim under "
        "test, not a bound",
    )


def bias_predictions(act: Activation, d: int, h: int) -> list[Prediction]:
    """The counts for ``f(x) = sum_i v_i sigma(w_i . x + b_i)``, ``P = h d + 2h``.

    With ``x_0 = 1``, ``w_i . x + b_i`` is a linear form in ``n = d + 1`` variables and
    polynomials of degree ``<= p`` in ``x`` are forms of degree ``p`` in ``(x, x_0)``, so the
    bias-free theory applies in ``d + 1`` variables (docs/theory.md, "Biases"):

    * ``params``: ``P = h d + 2h`` (bound);
    * ``hockey_stick``: ``min(C(d+p, p), P)`` (bound): a bias makes every degree ``0..p``
      appear;
    * ``scaling``: ``h (d + 1)`` for ``s_k z^k`` (bound): one rescaling per unit;
    * ``ah_in_d_plus_1``: ``s_k z^k``, ``k >= 2``: ``AH(d+1, k, h)`` (exact):
      sums of ``h`` k-th powers of linear forms in ``d + 1`` variables; the defective
      ``(n, k, h)`` move to ``d = n - 1``;
    * ``ah_in_d_plus_1_constant``: ``s_0 + s_k z^k``:
      ``min(AH(d+1, k, h) + 1, C(d+k, k))`` (bound);
    * ``quadratic``: ``s0 + s1 z + s2 z^2`` (exact, :func:`quadratic_bias_rank`);
    * ``cubic_extra_point``: cubics with ``s1 - s2^2/(3 s3) != 0``: ``min(P, AH(d+1, 3, h+1))``
      (bound): depressed, ``sigma(l + b) = s3 l'^3 + s1' l' x_0^2 + s0' x_0^3``, and the tangent
      space lies in Terracini's span at ``h + 1`` points, the constant input ``x_0`` one more;
    * ``linear``: ``s0 + s1 z``: ``d + 1`` (exact);
    * ``hyperplanes``: the ReLU family: ``h (d + 1)`` (exact): a null direction must cancel,
      on each of the ``h`` distinct hyperplanes ``w_i . x + b_i = 0``, the jumps of the
      tangent function and of its slope, which leaves the ``h`` rescalings.
    """
    P = h * d + 2 * h
    out = [Prediction("params", P, "bound", "P = h*d + 2h, every parameter")]
    n = d + 1
    if act.relu_family is not None:
        out.append(
            Prediction(
                "hyperplanes",
                h * n,
                "exact",
                "P - h: the h rescalings (w_i, b_i, v_i) -> (c w_i, c b_i, v_i/c) and no other "
                "flat direction when every v_i != 0 and the hyperplanes w_i . x + b_i = 0 are "
                "distinct (the jumps across each must cancel; theorem)",
            )
        )
        return out
    if not act.is_polynomial:
        return out
    s = act.coefficients
    p = act.degree
    present = [k for k in range(1, p + 1) if s[k] != 0]
    out.append(
        Prediction(
            "hockey_stick",
            min(comb(d + p, p), P),
            "bound",
            f"polynomials of degree <= {p} in d variables, C(d+p, p) (a bias makes every "
            "degree 0..p appear), at most P",
        )
    )
    if len(present) == 1 and present[0] >= 2:
        k = present[0]
        ah = monomial_rank(n, k, h)
        why = f"AH({n}, {k}, {h})"
        if (n, k, h) in DEFECTIVE:
            why += f", defective: (n, k, h) = {(n, k, h)}, one below the expected count"
        if s[0] == 0:
            out.append(
                Prediction(
                    "scaling",
                    h * n,
                    "bound",
                    f"one flat direction per unit: (w_i, b_i, v_i) -> (t w_i, t b_i, t^-{k} v_i)",
                )
            )
            out.append(
                Prediction(
                    "ah_in_d_plus_1",
                    ah,
                    "exact",
                    f"z^{k} with biases: sums of h k-th powers of linear forms in n = d + 1 "
                    f"variables (homogenise with x_0 = 1), Alexander-Hirschowitz: {why}",
                )
            )
        else:
            out.append(
                Prediction(
                    "ah_in_d_plus_1_constant",
                    min(ah + 1, comb(d + k, k)),
                    "bound",
                    f"{why} in n = d + 1 variables, + 1 for the constant s0 sum v_i, at most "
                    f"C(d+{k}, {k})",
                )
            )
    if p == 2:
        out.append(
            Prediction(
                "quadratic",
                quadratic_bias_rank(d, h, s[0], s[1], s[2]),
                "exact",
                "s0 + s1 z + s2 z^2 with biases: quadratic forms in n = d + 1 variables "
                "vanishing on h generic hyperplanes, h n - h(h-1)/2, + 1 for s0 - s1^2/(4 s2) "
                "!= 0; all C(d+2, 2) for h > d",
            )
        )
    if p == 3 and s[1] - s[2] ** 2 / (3 * s[3]) != 0:
        ah = monomial_rank(n, 3, h + 1)
        defect = " (defective)" if (n, 3, h + 1) in DEFECTIVE else ""
        out.append(
            Prediction(
                "cubic_extra_point",
                min(P, ah),
                "bound",
                f"cubic with biases, depressed: sigma(l + b) = s3 l'^3 + s1' l' x_0^2 + s0' x_0^3; "
                f"the tangent space lies in Terracini's span at the h + 1 points l_1..l_h, x_0: "
                f"AH({n}, 3, {h + 1}) = {ah}{defect}, at most P",
            )
        )
    if p == 1:
        out.append(
            Prediction(
                "linear",
                n,
                "exact",
                "linear network with biases: f = (sum v_i s1 w_i) . x + a constant: d + 1",
            )
        )
    return out


# ----------------------------------------------------------------------------- ReLU family
def is_even(act: Activation) -> bool:
    """``sigma(-z) = sigma(z)`` for a member of the ReLU family (``2 alpha + beta = 0``)."""
    alpha, beta = act.relu_family
    return sympy.simplify(2 * alpha + beta) == 0


def relu_predictions(act: Activation, d: int, h: int) -> list[Prediction]:
    """The counts for ``alpha*z + beta*relu(z)`` beyond ``params`` (module docstring)."""
    if d >= 2 or h == 1:
        return [
            Prediction(
                "rescaling",
                h * d,
                "exact",
                "P - h: one flat direction (w_i, v_i) -> (c w_i, v_i/c) per neuron, and no "
                "other when every v_i != 0 and no two rows are (anti)parallel (theorem)",
            )
        ]
    even = is_even(act)
    return [
        Prediction(
            "sign_classes",
            1 if even else 2,
            "bound",
            "d = 1: every tangent is a multiple of "
            + ("sigma(x) (sigma is even)" if even else "sigma(x) or sigma(-x)")
            + "; the rank is the number of signs among the w_i",
        )
    ]


@dataclass(frozen=True)
class NullBasis:
    """The null space of the Hessian at one teacher, as far as theory knows it.

    Attributes
    ----------
    vectors : ndarray of Fraction, shape (P, k), or None
        Exact (the weights' binary values) basis vectors of the whole null space, or ``None``
        when theory does not know the whole null space at this teacher.
    source : str
        Why these vectors span the null space, or why none is given.
    """

    vectors: np.ndarray | None
    source: str

    @property
    def rank(self) -> int | None:
        """``P - k``: the rank the basis implies."""
        return None if self.vectors is None else self.vectors.shape[0] - self.vectors.shape[1]


def null_basis(spec, W, v) -> NullBasis:
    """The exact null space of the Hessian at the optimum, where theory knows it whole.

    For the ReLU family: the rescaling directions ``n_i = (w_i in row i of W, -v_i at v_i)``
    when every ``v_i != 0`` and no two rows are parallel or antiparallel (the theorem of
    docs/theory.md; checked exactly on the weights' binary values), and at ``d = 1`` the
    directions that keep ``sum_{i: sign w_i = s} (v_i dw_i + w_i dv_i)`` fixed for each sign
    ``s`` (one sum over all ``i``, signed, for an even ``sigma``). Every other activation:
    ``None`` (no complete basis known).

    Parameters
    ----------
    spec : str, coefficient list or Activation
    W : array_like, shape (h, d)
    v : array_like, shape (h,)
    """
    act = spec if isinstance(spec, Activation) else activation(spec)
    W, v = check_weights(W, v)
    h, d = W.shape
    if act.relu_family is None:
        return NullBasis(None, f"no null basis is known for {act.short}")
    Wq = np.vectorize(_exact, otypes=[object])(W)
    vq = np.vectorize(_exact, otypes=[object])(v)
    if any(x == 0 for x in vq):
        return NullBasis(None, "some v_i = 0: the theorem needs every v_i != 0")
    if any(all(x == 0 for x in row) for row in Wq):
        return NullBasis(None, "a row of W is zero: the loss is not twice differentiable there")
    if d == 1:
        return _sign_class_basis(Wq[:, 0], vq, is_even(act))
    pair = _parallel_pair(Wq)
    if pair is not None:
        return NullBasis(
            None,
            f"rows {pair[0]} and {pair[1]} of W are parallel or antiparallel: the rescaling "
            "directions need not span the null space",
        )
    N = np.full((h * d + h, h), Fraction(0), dtype=object)
    for i in range(h):  # one column per neuron
        N[i * d : (i + 1) * d, i] = Wq[i]
        N[h * d + i, i] = -vq[i]
    return NullBasis(
        N, "the h rescaling directions (w_i, -v_i): every v_i != 0, no two rows (anti)parallel"
    )


def _exact(x) -> Fraction:
    return Fraction(float(x))


def _parallel_pair(Wq: np.ndarray) -> tuple[int, int] | None:
    """Two rows ``i < k`` with ``w_k = c w_i`` exactly (all 2 x 2 minors zero), or ``None``.

    Only pairs whose float64 cosine is within 1e-6 of +-1 are checked exactly.
    """
    Wf = np.array([[float(x) for x in row] for row in Wq])
    U = Wf / np.linalg.norm(Wf, axis=1)[:, None]
    near = np.argwhere(np.triu(np.abs(U @ U.T) > 1 - 1e-6, 1))
    for i, k in near:
        a, b = Wq[i], Wq[k]
        # rank of [a; b] < 2 iff a_j b_l - a_l b_j = 0 for all j, l
        if not np.any(np.multiply.outer(a, b) != np.multiply.outer(b, a)):
            return int(i), int(k)
    return None


def _sign_class_basis(w: np.ndarray, v: np.ndarray, even: bool) -> NullBasis:
    """``d = 1``: the null space of the constraints, one per sign class (one if even)."""
    h = w.size
    P = 2 * h
    signs = [1 if x > 0 else -1 for x in w]
    classes = [[1, -1]] if even else [[1], [-1]]
    rows = []
    for cls in classes:
        row = [Fraction(0)] * P
        for i in range(h):
            if signs[i] in cls:
                sgn = signs[i] if even else 1
                row[i] = sgn * v[i]  # coefficient of dw_i
                row[h + i] = sgn * w[i]  # coefficient of dv_i
        if any(row):
            rows.append(row)
    # Kernel of the (at most 2) constraint rows: their supports are disjoint, so each row
    # gives len(support) - 1 vectors e_j - (a_j / a_p) e_p with a pivot p in its support.
    vectors = []
    for row in rows:
        support = [j for j in range(P) if row[j] != 0]
        p = support[0]
        for j in support[1:]:
            x = [Fraction(0)] * P
            x[j] = Fraction(1)
            x[p] = -row[j] / row[p]
            vectors.append(x)
    covered = {j for row in rows for j in range(P) if row[j] != 0}
    for j in range(P):  # parameters that enter no constraint are free
        if j not in covered:
            x = [Fraction(0)] * P
            x[j] = Fraction(1)
            vectors.append(x)
    N = np.array(vectors, dtype=object).T if vectors else np.empty((P, 0), dtype=object)
    what = "sigma(x)" if even else "sigma(x) and sigma(-x)"
    return NullBasis(
        N.reshape(P, len(vectors)),
        f"d = 1: every tangent is a multiple of {what}; {len(rows)} constraint(s), one per "
        "sign class",
    )
