"""Activations: exact coefficients, canonical forms shared by every spelling."""

from __future__ import annotations

from fractions import Fraction

import flint
import pytest

from symhess import SymhessError
from symhess.activation import activation


def test_spellings_share_canonical_form_and_hash():
    forms = ["z + z**2/2", "[0, 1, 0.5]", "z*(1 + z/2)", "(z**2 + 2*z)/2"]
    acts = [activation(f) for f in forms]
    acts.append(activation([0, 1, 0.5]))
    acts.append(activation([0, 1, Fraction(1, 2)]))
    acts.append(activation((0, 1, flint.fmpq(1, 2))))
    assert len({a.canonical for a in acts}) == 1
    assert len({a.hash for a in acts}) == 1
    assert acts[0].coefficients == (0, 1, Fraction(1, 2))
    assert acts[0].degree == 2


def test_decimal_floats_stay_decimal():
    assert activation([0, 0.1]).coefficients == (0, Fraction(1, 10))
    assert activation("0.1*z").coefficients == (0, Fraction(1, 10))


def test_trailing_zeros_dropped():
    assert activation([1, 2, 0, 0]).degree == 1


@pytest.mark.parametrize(
    "spec, message",
    [
        ([], "empty"),
        ([3], "constant"),
        ("z - z + 4", "constant"),
        ([0, float("nan")], "not finite"),
        ([0, "z"], "depends on z"),
        ([0, True], "not a number"),
        ([0] * 41 + [1], "degree 41"),
        (42, "not int"),
        ({"a": 1}, "not dict"),
    ],
)
def test_bad_activations(spec, message):
    with pytest.raises(SymhessError, match=message):
        activation(spec)


def test_activation_object_passes_through():
    a = activation("z**3")
    assert activation(a) is a
    assert str(a) == "z**3"
