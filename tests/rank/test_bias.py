"""Ranks with biases against the predictions: every bound holds, every exact count is met, the
seed paper's "+1" judged as a claim; the defective cases of Alexander-Hirschowitz move from d to
d - 1; teachers with biases.

Ranks are exact (python-flint) at random rational teachers with rational biases; a rank modulo
a prime that reaches the proven upper bound is certified, otherwise the rank over Q decides.
"""

from fractions import Fraction
from math import comb

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symhess.errors import SymhessError
from symhess.rank.measure import exact_rank, rank_report, rational_teacher
from symhess.rank.theory import (
    BIAS_PREDICTIONS,
    PREDICTION_NAMES,
    best,
    paper_claim,
    predictions,
    quadratic_bias_rank,
    upper_bound,
)
from symhess.teacher import default_bias_variance, sample_teacher
from tests.bias_oracles import jacobian_rank

nonzero = st.fractions(min_value=-3, max_value=3, max_denominator=5).filter(lambda x: x != 0)
any_coeff = st.fractions(min_value=-3, max_value=3, max_denominator=5)


def text(coeffs) -> list:
    return [Fraction(c) for c in coeffs]


@st.composite
def polynomials(draw):
    kind = draw(st.sampled_from(["monomial", "monomial+c", "quadratic", "cubic", "quartic", "odd"]))
    if kind == "monomial":
        k = draw(st.integers(2, 5))
        return [0] * k + [draw(nonzero)]
    if kind == "monomial+c":
        k = draw(st.integers(2, 4))
        return [draw(nonzero)] + [0] * (k - 1) + [draw(nonzero)]
    if kind == "quadratic":
        return [draw(any_coeff), draw(any_coeff), draw(nonzero)]
    if kind == "cubic":
        return [draw(any_coeff), draw(any_coeff), draw(any_coeff), draw(nonzero)]
    if kind == "quartic":
        return [draw(any_coeff) for _ in range(4)] + [draw(nonzero)]
    return [0, draw(nonzero), 0, draw(nonzero)]


def bias_rank(coeffs, d, h, seed):
    t = rational_teacher(d, h, seed, bias=True)
    return exact_rank(text(coeffs), t.W, t.v, seed=seed, b=t.b).rank


@settings(max_examples=60, deadline=None)  # 500 examples run once: all pass
@given(polynomials(), st.integers(1, 5), st.integers(1, 6), st.integers(0, 10**6))
def test_exact_rank_with_biases_meets_every_prediction(coeffs, d, h, seed):
    preds = predictions(text(coeffs), d, h, bias=True)
    rank = bias_rank(coeffs, d, h, seed)
    for q in preds:
        assert q.kind in ("exact", "bound")
        if q.kind == "bound":
            assert rank <= q.value, (q.name, rank, q.value)
        elif rank != q.value:
            # a generic rank: a random rational teacher reaches it, except on a set of
            # measure zero; a second teacher before calling a miss a failure
            assert bias_rank(coeffs, d, h, seed + 1) == q.value, (q.name, rank, q.value)


@pytest.mark.parametrize(
    "coeffs,d,h",
    [([0, 1, 0, 1], 2, 3), ([1, 0, 1], 3, 2), ([0, 0, 0, 1], 2, 2), ([0, 1, 0, 1], 4, 6)],
)
def test_exact_rank_with_biases_equals_the_rank_of_the_coefficient_jacobian(coeffs, d, h):
    # rank H = rank J, J the Jacobian of theta -> coefficients of f, expanded independently
    t = rational_teacher(d, h, 4, bias=True)
    want = jacobian_rank(coeffs, t.W.tolist(), t.v.tolist(), t.b.tolist())
    assert bias_rank(coeffs, d, h, 4) == want


@pytest.mark.parametrize("d,k,h", [(2, 4, 5), (3, 4, 9), (4, 3, 7), (4, 4, 14)])
def test_alexander_hirschowitz_defects_move_to_d_minus_1(d, k, h):
    coeffs = [0] * k + [1]
    preds = {q.name: q for q in predictions(coeffs, d, h, bias=True)}
    q = preds["ah_in_d_plus_1"]
    assert q.value == min(h * (d + 1), comb(d + k, k)) - 1 and "defective" in q.source
    assert bias_rank(coeffs, d, h, d + k + h) == q.value


def test_the_bias_free_defect_is_gone_with_biases():
    # z^4 at d = 3, h = 5 is defective without biases (14 < 15); with biases n = 4 is not
    q = {p.name: p for p in predictions([0, 0, 0, 0, 1], 3, 5, bias=True)}["ah_in_d_plus_1"]
    assert q.value == 20 and bias_rank([0, 0, 0, 0, 1], 3, 5, 3) == 20


@pytest.mark.parametrize("d,h", [(1, 1), (2, 1), (2, 3), (3, 2), (4, 4), (3, 5)])
def test_paper_claim_holds_for_the_paper_quadratic(d, h):
    coeffs = [0, 1, Fraction(1, 2)]
    t = rational_teacher(d, h, 5, bias=True)
    r = rank_report(text(coeffs), t.W, t.v, ("exact",), b=t.b)
    assert r.rank_without_bias + 1 == r.rank
    assert r.holds()["paper_plus_one"] is True


@pytest.mark.parametrize(
    "coeffs,d,h", [([0, 0, 1], 2, 2), ([0, 0, 0, 1], 3, 3), ([0, 1, 0, 1], 3, 4)]
)
def test_paper_claim_fails_for_monomials_and_odd_cubics(coeffs, d, h):
    t = rational_teacher(d, h, 6, bias=True)
    r = rank_report(text(coeffs), t.W, t.v, ("exact",), b=t.b)
    assert r.holds()["paper_plus_one"] is False
    assert r.rank > r.rank_without_bias + 1
    # a failing claim is not a mismatch: every exact and bound prediction still holds
    assert all(v for n, v in r.holds().items() if n != "paper_plus_one")


def test_quadratic_constant_after_completing_the_square():
    # (z + 1)^2: s0 - s1^2/(4 s2) = 0, so no constant direction beyond the squares
    assert quadratic_bias_rank(3, 2, 1, 2, 1) == quadratic_bias_rank(3, 2, 2, 2, 1) - 1
    assert bias_rank([1, 2, 1], 3, 2, 0) == quadratic_bias_rank(3, 2, 1, 2, 1) == 7
    # 1 + z + z^2: one more for h <= d, nothing more once saturated (h > d)
    assert bias_rank([1, 1, 1], 3, 2, 0) == 8
    assert bias_rank([1, 1, 1], 2, 3, 0) == bias_rank([0, 1, 1], 2, 3, 0) == 6


def test_claims_are_never_bounds_and_never_best():
    preds = predictions("z**3", 3, 5, bias=True, rank_without_bias=2)
    claim = preds[-1]
    assert claim == paper_claim(2) and claim.kind == "claim" and claim.value == 3
    assert upper_bound(preds) == 20 and best(preds).name == "ah_in_d_plus_1"
    assert claim.holds(3) and not claim.holds(2) and not claim.holds(4)
    assert set(BIAS_PREDICTIONS) <= set(PREDICTION_NAMES)


@pytest.mark.parametrize("spec", ["erf(z)", "relu(z)", "abs(z)"])
@pytest.mark.parametrize("d,h", [(1, 3), (2, 2), (3, 2)])
def test_float_and_mpmath_ranks_with_biases(spec, d, h):
    t = rational_teacher(d, h, 2, bias=True)
    r = rank_report(spec, t.W, t.v, ("float", "mpmath"), b=t.b, dps=40)
    m = r.results["mpmath"]
    assert m.decided and r.agree
    assert all(v for n, v in r.holds().items() if n != "paper_plus_one")
    if spec == "erf(z)":
        assert m.rank == h * (d + 2)  # full rank, measured (not proved)
    else:
        assert m.rank == h * (d + 1)  # the exact prediction 'hyperplanes'
    assert r.rank_without_bias < m.rank


def test_the_relu_family_with_biases_has_no_certified_rank():
    t = rational_teacher(2, 2, 0, bias=True)
    r = rank_report("relu(z)", t.W, t.v, ("exact",), b=t.b)
    assert list(r.results) == ["mpmath"] and "mpmath instead" in r.notes[0]


def test_a_polynomial_with_biases_asked_for_the_certified_rank_gets_the_exact_one():
    t = rational_teacher(2, 2, 0, bias=True)
    r = rank_report("z**2", t.W, t.v, ("certified",), b=t.b)
    assert list(r.results) == ["exact"] and "exact rank instead" in r.notes[0]
    assert r.results["exact"].rank == 5  # the exact prediction 'ah_in_d_plus_1', AH(3, 2, 2)


def test_teachers_with_biases():
    t = sample_teacher(4, 2000, seed=1, bias=True)
    assert abs(t.b.var() - default_bias_variance(4)) < 0.03
    t0 = sample_teacher(4, 2000, seed=1)
    assert np.array_equal(t.W, t0.W) and np.array_equal(t.v, t0.v) and t0.b is None
    assert np.array_equal(sample_teacher(4, 2000, seed=1, bias=True).b, t.b)
    assert abs(sample_teacher(3, 4000, seed=2, bias=2.0).b.var() - 2.0) < 0.2
    assert np.all(sample_teacher(3, 4, seed=2, bias=0).b == 0)
    for dist in ("uniform", "rademacher"):
        t = sample_teacher(3, 4000, seed=2, dist=dist, bias=True)
        assert abs(t.b.var() - 1 / 3) < 0.03 and t.params == 4000 * 5
    r = rational_teacher(3, 4, 7, bias=True)
    assert np.all(r.b * 2**20 == np.round(r.b * 2**20)) and np.all(r.b != 0)
    for bad in (-1.0, float("nan"), float("inf"), "1/d"):
        with pytest.raises(SymhessError, match="bias must be"):
            sample_teacher(2, 2, bias=bad)
