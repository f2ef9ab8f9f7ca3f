"""Number systems: conversions keep exact values (including the sign of an mpmath number) and
balls contain what they stand for."""

from __future__ import annotations

from fractions import Fraction

import flint
import mpmath
import pytest

from symhess.base import systems
from symhess.errors import SymhessError


def test_negative_mpmath_numbers_keep_their_sign():
    # mpf.man_exp drops the sign: -3 would become 3
    assert systems.scalar(mpmath.mpf(-3), "fraction") == Fraction(-3)
    assert systems.scalar(mpmath.mpf("-0.375"), "fmpq") == flint.fmpq(-3, 8)


def test_balls_hold_the_exact_value():
    with systems.arb_precision(64):
        third = systems.scalar(Fraction(1, 3), "arb")
        assert third.contains(flint.fmpq(1, 3)) and 0 < third.rad() < 1e-18
        tenth = systems.scalar(0.1, "arb")  # a float is its binary value, exactly
        assert tenth.rad() == 0 and tenth.mid() == flint.arb(0.1).mid()
    assert systems.scalar(flint.arb(2.5), "float64") == 2.5


@pytest.mark.parametrize("bad", [8, 10**6, 64.0, True])
def test_precision_is_checked(bad):
    with pytest.raises(SymhessError, match="precision must be an integer"):
        systems.check_prec(bad)


def test_precision_is_restored():
    before = flint.ctx.prec
    with systems.arb_precision(300) as prec:
        assert flint.ctx.prec == prec == 300
    assert flint.ctx.prec == before
