"""Theoretical rank counts against independent routes: enumeration, closed-form identities,
and the exact rank of the coefficient Jacobian and of the interpolation matrix
(tests/rank_oracles.py, no symhess code)."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

import symhess
from symhess.activation.grammar import Z
from symhess.rank.theory import (
    DEFECTIVE,
    PREDICTION_NAMES,
    best,
    block_bound,
    block_rank,
    forms,
    monomial_rank,
    partition_bound,
    predictions,
    product_bound,
    quadratic_rank,
    upper_bound,
)

from ..rank_oracles import interpolation_rank, jacobian_rank, monomials


def rational_weights(d, h, seed):
    """Random small rationals (numerators / 64), none zero: a generic teacher in practice."""
    rng = np.random.default_rng(seed)
    num = rng.integers(1, 64, size=(h, d + 1)) * rng.choice([-1, 1], size=(h, d + 1))
    W = [[n / 64 for n in row[:d]] for row in num]
    v = [row[d] / 64 for row in num]
    return W, v


def by_name(preds):
    return {q.name: q for q in preds}


@pytest.mark.parametrize("d, k", [(1, 3), (2, 2), (3, 4), (5, 3), (4, 1)])
def test_forms_counts_monomials(d, k):
    every = monomials(d, k)
    assert forms(d, k) == sum(1 for m in every if sum(m) == k)
    # the paper's hockey-stick identity: degrees 1..k together
    assert comb(d + k, k) - 1 == len(every) - 1


@pytest.mark.parametrize("d", range(1, 7))
@pytest.mark.parametrize("h", range(1, 8))
def test_eq14_equals_its_heaviside_form(d, h):
    """A second spelling of eq. (14): d + d(d+1)/2 - Theta(d-h)[(d-h) + (d-h)(d-h+1)/2]."""
    m = max(d - h, 0)
    assert quadratic_rank(d, h) == d + d * (d + 1) // 2 - (m + m * (m + 1) // 2)


def test_prediction_kinds_and_names():
    preds = by_name(predictions("z + z**2/2", 6, 4))
    assert set(preds) == {"params", "hockey_stick", "degree_support", "eq14"}
    assert preds["params"].value == 28 and preds["params"].kind == "bound"
    assert preds["eq14"].kind == "exact"
    assert preds["hockey_stick"].value == comb(8, 2) - 1 == preds["degree_support"].value
    assert best(list(preds.values())).name == "eq14"
    assert set(by_name(predictions("z**3", 3, 2))) == {
        "params",
        "hockey_stick",
        "degree_support",
        "alexander_hirschowitz",
    }
    assert "linear" in by_name(predictions("2*z", 3, 2))
    mixed = by_name(predictions("z + z**3", 3, 5))
    assert "eq14" not in mixed and "alexander_hirschowitz" not in mixed
    assert best(list(mixed.values())).name == "degree_support"
    # s0 enters every count by one; hockey-stick and degree support are capped at P
    assert by_name(predictions("1 + z**3", 2, 1))["degree_support"].value == 3
    assert by_name(predictions("1 + z**3", 4, 1))["degree_support"].value == 5  # P
    assert by_name(predictions("1 + z**3", 4, 10))["degree_support"].value == forms(4, 3) + 1


def test_holds_is_equality_for_exact_and_at_most_for_bounds():
    q = by_name(predictions("z**2", 3, 2))
    assert q["alexander_hirschowitz"].holds(q["alexander_hirschowitz"].value)
    assert not q["alexander_hirschowitz"].holds(q["alexander_hirschowitz"].value - 1)
    assert q["params"].holds(3) and not q["params"].holds(q["params"].value + 1)


def test_non_polynomial_gets_only_the_parameter_count():
    act = symhess.Activation("sin(z)", sympy.sin(Z), None)
    preds = predictions(act, 3, 4)
    assert [(q.name, q.value, q.kind) for q in preds] == [("params", 16, "bound")]


def test_bad_sizes_are_one_line_errors():
    with pytest.raises(symhess.SymhessError, match="d must be a positive integer"):
        predictions("z", 0, 3)


# --- the counts against the coefficient Jacobian at a random rational teacher -----------
@pytest.mark.parametrize(
    "coeffs",
    [
        [0, 1],
        [2, -1],
        [0, 1, 1],
        [1, 2, -3],
        [0, 0, 1],
        [-1, 0, 2],
        [0, 0, 0, 1],
        [3, 0, 0, 1],
        [0, 0, 0, 0, 1],
        [0, 1, 0, 1],
        [1, 0, 1, 0, 1],
    ],
)
def test_counts_against_the_jacobian(coeffs):
    act = symhess.parse_activation(coeffs)
    for d in range(1, 5):
        for h in range(1, 6):
            W, v = rational_weights(d, h, seed=100 * d + h)
            rank = jacobian_rank(coeffs, W, v)
            for q in predictions(act, d, h):
                assert q.holds(rank), (coeffs, d, h, rank, q)
            assert rank <= upper_bound(predictions(act, d, h))


@pytest.mark.parametrize("d, k, h", sorted(DEFECTIVE))
def test_the_four_defective_cases(d, k, h):
    """One less than expected: the Jacobian route confirms Alexander-Hirschowitz's list."""
    W, v = rational_weights(d, h, seed=d * k * h)
    coeffs = [0] * k + [1]
    rank = jacobian_rank(coeffs, W, v)
    expected = min(h * d, forms(d, k))
    assert rank == expected - 1
    q = by_name(predictions(coeffs, d, h))["alexander_hirschowitz"]
    assert q.value == rank and q.kind == "exact" and "defective" in q.source
    # a neighbouring h is not defective: the expected count is reached
    W, v = rational_weights(d, h - 1, seed=d * k * h + 1)
    assert jacobian_rank(coeffs, W, v) == min((h - 1) * d, forms(d, k))


# --- mixed degrees: homogenised Alexander-Hirschowitz, products, partitions --------------
def support_coeffs(support):
    """``sum_{k in support} z^k`` as a coefficient list."""
    return [int(k in support) for k in range(max(support) + 1)]


def oracle(support, d, h, seed=0):
    """The rank by the interpolation matrix (tests/rank_oracles.py): no Hessian, no kernels."""
    return interpolation_rank(support, symhess.rational_teacher(d, h, seed).W.tolist())


supports = st.sets(st.integers(0, 5), min_size=1).filter(lambda s: max(s) >= 1)


@settings(max_examples=60, deadline=None)
@given(support=supports, d=st.integers(1, 4), h=st.integers(1, 6), seed=st.integers(0, 99))
def test_mixed_predictions_hold_against_the_interpolation_rank(support, d, h, seed):
    """Every prediction holds (exact: equality; bound: at most) at random teachers, and the
    building blocks - block_rank (exact), product_bound and partition_bound (bounds) - too."""
    r = oracle(support, d, h, seed)
    for q in predictions(support_coeffs(support), d, h):
        assert q.holds(r), (sorted(support), d, h, r, q)
    assert r <= partition_bound(support, d, h) <= h * d + h
    if product_bound(support, d, h) is not None:
        assert r <= product_bound(support, d, h)
    if block_rank(support, d, h) is not None:
        assert r == block_rank(support, d, h)


@settings(max_examples=15, deadline=None)
@given(support=st.sets(st.integers(0, 4), min_size=2), d=st.integers(1, 3), h=st.integers(1, 5))
def test_the_interpolation_rank_is_the_hessian_rank(support, d, h):
    """The oracle above is the Hessian's rank: symhess's exact rank (kernels, Hessian over Q,
    no fast path) with random non-zero coefficients and the Jacobian route agree with it."""
    from symhess.rank.measure import exact_rank

    rng = np.random.default_rng(sorted(support) + [d, h])
    coeffs = [
        int(rng.choice([-3, -2, -1, 1, 2, 3])) if k in support else 0
        for k in range(max(support) + 1)
    ]
    if max(support) == 0:
        return
    t = symhess.rational_teacher(d, h, 0)
    r = oracle(support, d, h)
    assert exact_rank(coeffs, t.W, t.v, fast=False).rank == r
    assert jacobian_rank(coeffs, t.W.tolist(), t.v.tolist()) == r


@pytest.mark.parametrize(
    "support, d, h, rank, name",
    [
        ({0, 1, 2, 3, 4}, 2, 5, 14, "homogenized_ah"),  # AH(3, 4, 5) in d + 1 = 3 variables
        ({0, 1, 2, 3}, 4, 7, 34, "homogenized_ah"),  # AH(5, 3, 7)
        ({2, 3}, 4, 6, 29, "homogenized_ah"),  # AH(5, 3, 7) - 5
        ({2, 3, 4}, 2, 4, 11, "homogenized_ah"),  # AH(3, 4, 5) - 3
        ({2, 3, 4}, 3, 8, 30, "homogenized_ah"),  # AH(4, 4, 9) - 4
        ({1, 3}, 5, 6, 35, "binomial"),  # h d + min(h, d); partition {1} + {3}: 5 + 30
        ({1, 5}, 4, 8, 36, "binomial"),  # h d + min(h, d); partition {1} + {5}: 4 + 32
        ({0, 2, 3, 4}, 3, 8, 31, "partition"),  # {0} + {2, 3, 4}: 1 + 30
        ({2, 4}, 3, 5, 19, "product"),  # q (a + q') through 5 points
        ({0, 2, 4}, 2, 3, 8, "product"),  # the square of the even conic through +-w_1..3
        ({0, 2, 4}, 3, 5, 19, "product"),
    ],
)
def test_ranks_below_every_older_bound(support, d, h, rank, name):
    """Points where the rank falls below params, hockey-stick, degree support, eq. (14) and
    Alexander-Hirschowitz; the oracle's rank is what the new prediction says."""
    assert oracle(support, d, h) == rank
    preds = by_name(predictions(support_coeffs(support), d, h))
    older = [
        q.value
        for n, q in preds.items()
        if n not in ("homogenized_ah", "product", "partition", "binomial")
    ]
    assert rank < min(older)
    assert preds[name].value == rank == upper_bound(list(preds.values()))
    if name == "binomial":  # the exact count supersedes the partition bound, which meets it
        assert "partition" not in preds and partition_bound(support, d, h) == rank


def test_blocks_reproduce_published_counts():
    """{1, 2} and {0, 1, 2} through AH in d + 1 variables are eq. (14); products of two
    quadrics through the points find exactly the quartic cases of the AH list."""
    for d in range(1, 9):
        for h in range(1, 9):
            assert block_rank({1, 2}, d, h) == quadratic_rank(d, h)
            assert block_rank({0, 1, 2}, d, h) == quadratic_rank(d, h, True)
            assert block_rank({0, 1}, d, h) == d + 1 and block_rank({0}, d, h) == 1
            if product_bound({4}, d, h) is not None:
                assert min(product_bound({4}, d, h), h * d) == monomial_rank(d, 4, h)
    quartic = {(d, h) for d, k, h in DEFECTIVE if k == 4}
    found = set()
    for d in range(1, 10):
        for h in range(1, 50):
            b = product_bound({4}, d, h)
            if b is not None and b < min(h * d, comb(d + 3, 4)):
                found.add((d, h))
    assert found == quartic


def test_partition_bound_enumerates_set_partitions():
    """The subset recursion equals a brute force over every set partition (Bell numbers)."""

    def partitions(items):
        if not items:
            yield []
            return
        first, rest = items[0], items[1:]
        for p in partitions(rest):
            for i in range(len(p)):
                yield p[:i] + [[first, *p[i]]] + p[i + 1 :]
            yield [[first], *p]

    assert sum(1 for _ in partitions(list(range(6)))) == 203
    for support in [(1, 3), (0, 1, 4), (0, 2, 3, 4), (0, 1, 2, 3, 4, 5)]:
        for d, h in [(2, 5), (3, 8), (5, 6), (4, 7)]:
            brute = min(sum(block_bound(b, d, h) for b in p) for p in partitions(list(support)))
            assert partition_bound(support, d, h) == brute


def test_every_prediction_name_is_listed():
    names = set()
    for coeffs in ([0, 1], [1, 1, 1], [0, 0, 1, 1], [0, 1, 0, 1], [0, 0, 1, 0, 1], [1, 1]):
        for d, h in [(1, 1), (3, 5), (5, 6), (2, 3)]:
            names |= {q.name for q in predictions(coeffs, d, h)}
    assert names <= set(PREDICTION_NAMES) and {"homogenized_ah", "partition"} <= names


@pytest.mark.parametrize(
    "coeffs, d, h",
    [
        ([0, 1, 0, 1], 5, 6),  # z + z^3, h > d: 35 < 36
        ([0, 1, 0, -1, 0, 0], 4, 5),  # z - z^3 (trailing zeros dropped)
        ([0, 1, 0, 0, 0, 1], 3, 5),  # z + z^5
        ([0, 2, 0, 0, 1], 4, 7),  # 2z + z^4
        ([1, 1, 0, 1], 6, 8),  # with a constant: h d + min(h, d + 1)
        ([3, -1, 0, 0, 2], 4, 7),
        ([0, 1, 0, 1], 3, 2),  # h <= d: full rank
    ],
)
def test_binomial_count_against_the_jacobian(coeffs, d, h):
    """s1 z + sp z^p in the Alexander-Hirschowitz range: h d + min(h, d + [s0 != 0]), checked
    against the rank of the coefficient Jacobian (no symhess code)."""
    q = by_name(predictions(coeffs, d, h))["binomial"]
    assert q.kind == "exact"
    c = int(coeffs[0] != 0)
    assert q.value == h * d + min(h, d + c)
    W, v = rational_weights(d, h, seed=7)
    assert jacobian_rank(coeffs, W, v) == q.value


@pytest.mark.parametrize(
    "coeffs, d, h, why",
    [
        ([0, 1, 0, 1], 5, 7, "defective (5, 3, 7)"),
        ([0, 1, 0, 1], 3, 5, "h d = 15 > C(5, 3) = 10: saturated"),
        ([0, 1, 1], 3, 4, "p = 2 is eq. (14)"),
        ([0, 1, 1, 1], 3, 2, "three degrees"),
    ],
)
def test_binomial_count_only_where_proven(coeffs, d, h, why):
    assert "binomial" not in by_name(predictions(coeffs, d, h)), why
