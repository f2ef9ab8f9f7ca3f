"""Theoretical rank counts against independent routes: enumeration, closed-form identities,
and the exact rank of the coefficient Jacobian (tests/rank_oracles.py, no symhess code)."""

from __future__ import annotations

from math import comb

import numpy as np
import pytest
import sympy

import symhess
from symhess.activation.grammar import Z
from symhess.rank.theory import (
    DEFECTIVE,
    best,
    forms,
    predictions,
    quadratic_rank,
    upper_bound,
)

from ..rank_oracles import jacobian_rank, monomials


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
    """math.md's second spelling of eq. (14): d + d(d+1)/2 - Theta(d-h)[(d-h) + (d-h)(d-h+1)/2]."""
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
