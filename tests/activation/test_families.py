"""Activation families: counts, members, the grammar's refusals, and the rank's independence
of the coefficients (checked against the interpolation oracle)."""

from __future__ import annotations

from fractions import Fraction
from math import comb

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symhess.activation.families import Family, family, parse_degrees, parse_family
from symhess.errors import SymhessError
from symhess.rank.measure import exact_rank, rational_teacher

from ..rank_oracles import interpolation_rank


@pytest.mark.parametrize(
    "text, size",
    [
        ("support:1..4 coeffs:+-1", 3**4 - 1),  # each degree absent, +1 or -1; not all absent
        ("support:0..5", 2**6 - 2),  # every subset but the empty one and {0}
        ("support:{0,2,4}", 6),
        ("support:1..4 terms:2", comb(4, 2)),
        ("support:1..4 terms:2..3 need:1", comb(3, 1) + comb(3, 2)),
        ("support:1,3 coeffs:1,-1/2,3", 3 + 3 + 9),
        ("support:0..3 coeffs:random seed:7", 2**4 - 2),
    ],
)
def test_family_sizes(text, size):
    f = parse_family(text)
    acts = f.activations()
    assert f.size == size == len(acts) == len({a.canonical for a in acts})
    assert all(a.is_polynomial and a.degree >= 1 for a in acts)


def test_family_members():
    acts = parse_family("support:1,3 coeffs:+-1").activations()
    assert sorted(a.short for a in acts) == sorted(
        ["z", "-z", "z**3", "-z**3", "z**3 + z", "z**3 - z", "-z**3 + z", "-z**3 - z"]
    )
    f = parse_family("support:0..2 coeffs:random seed:3")
    assert [a.canonical for a in f.activations()] == [a.canonical for a in f.activations()]
    other = parse_family("support:0..2 coeffs:random seed:4").activations()
    assert [a.canonical for a in f.activations()] != [a.canonical for a in other]
    assert family(range(3), [Fraction(1, 3)]).activations()[0].coefficients == (0, Fraction(1, 3))
    assert family([2], [0.5]).activations()[0].coefficients == (0, 0, Fraction(1, 2))
    assert parse_degrees("{0,2..4}") == [0, 2, 3, 4]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "needs support:"),
        ("coeffs:1", "needs support:"),
        ("support:1..4 color:red", "is not KEY:VALUE"),
        ("support:1..4 support:2", "given twice"),
        ("support:0", "a degree >= 1"),
        ("support:4..1", "low first"),
        ("support:1..41", "degrees in 0..40"),
        ("support:1..3 coeffs:0", "change the support"),
        ("support:1..3 coeffs:1/0", "divides by zero"),
        ("support:1..3 coeffs:__import__('os')", "needs values like"),
        ("support:__import__('os')", "needs degrees like"),
        ("support:1..3 terms:5", "empty"),
        ("support:1..3 terms:x", "terms: needs"),
        ("support:1..3 need:5", "not all in the support"),
        ("support:1..3 seed:-1", "seed: needs"),
        ("support:0..8 coeffs:+-1,2,3", "at most 10000"),
    ],
)
def test_family_errors(text, message):
    with pytest.raises(SymhessError, match=message):
        parse_family(text).activations()


@settings(max_examples=12, deadline=None)
@given(
    support=st.sets(st.integers(0, 4), min_size=1).filter(lambda s: max(s) >= 1),
    d=st.integers(1, 3),
    h=st.integers(1, 4),
    seed=st.integers(0, 50),
)
def test_rank_depends_on_the_support_only(support, d, h, seed):
    """The Hessian rank with random non-zero coefficients equals the rank of the
    interpolation matrix, which sees neither the coefficients nor v."""
    (act,) = family(support, "random", terms=len(support), need=support, seed=seed).activations()
    assert {k for k, c in enumerate(act.coefficients) if c} == support
    t = rational_teacher(d, h, seed)
    assert exact_rank(act, t.W, t.v, fast=False).rank == interpolation_rank(support, t.W.tolist())


@settings(max_examples=60, deadline=None)
@given(
    degrees=st.sets(st.integers(0, 7), min_size=1),
    ncoeffs=st.sampled_from([None, 1, 2, 3]),
    terms=st.one_of(st.none(), st.tuples(st.integers(1, 4), st.integers(1, 8))),
    need=st.sets(st.integers(0, 8), max_size=2),
)
def test_size_is_the_number_of_listed_supports(degrees, ncoeffs, terms, need):
    """The closed-form count equals the enumeration it replaces."""
    coeffs = None if ncoeffs is None else tuple(Fraction(c) for c in range(1, ncoeffs + 1))
    f = Family(tuple(sorted(degrees)), coeffs, terms, tuple(sorted(need)))
    per = 1 if coeffs is None else len(coeffs)
    assert f.size == sum(per ** len(s) for s in f.supports())


def test_a_huge_family_is_refused_at_once():
    """Degrees 0..40: 2^41 supports, counted, not listed."""
    with pytest.raises(SymhessError, match="at most 10000"):
        parse_family("support:0..40").activations()
