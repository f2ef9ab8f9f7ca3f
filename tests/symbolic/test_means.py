"""Polynomial kernels with means, symbolically: binomial + Isserlis against Price's theorem with
means, the heat equation, zero means, and the pair family with Taylor coefficients."""

import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symhess.symbolic.means import (
    M1,
    M2,
    mean_kernels,
    pair_coefficient_symbols,
    pair_family_kernels,
    price_kernels_with_means,
)
from symhess.symbolic.moments import A, B
from symhess.symbolic.names import KERNEL_NAMES, MEAN_NAMES
from symhess.symbolic.polynomial import coefficient_symbols, isserlis_kernels

fractions = st.fractions(min_value=-3, max_value=3, max_denominator=7)


def test_isserlis_equals_price_with_means_for_every_polynomial_up_to_degree_4():
    # symbolic coefficients: one identity covers every polynomial of degree <= 4
    coeffs = coefficient_symbols(4)
    S = mean_kernels(coeffs)
    P = price_kernels_with_means(coeffs)
    for name in MEAN_NAMES:
        assert sympy.expand(S[name] - P[name]) == 0, name


def test_heat_equation_and_zero_means():
    S = mean_kernels(coefficient_symbols(4))
    for name in MEAN_NAMES:
        assert sympy.expand(sympy.diff(S[name], A) - sympy.diff(S[name], M1, 2) / 2) == 0
        assert sympy.expand(sympy.diff(S[name], B) - sympy.diff(S[name], M2, 2) / 2) == 0
    base = isserlis_kernels(coefficient_symbols(4))
    for name in KERNEL_NAMES:
        assert sympy.expand(S[name].subs({M1: 0, M2: 0}) - base[name]) == 0, name


@settings(max_examples=5, deadline=None)
@given(st.lists(fractions, min_size=1, max_size=4), fractions, fractions)
def test_pair_family_at_the_taylor_coefficients_is_the_kernel_with_means(coeffs, m1, m2):
    deg = len(coeffs) - 1
    family = pair_family_kernels(deg)
    s, t = pair_coefficient_symbols(deg)
    z = sympy.Symbol("z")
    sigma = sum(sympy.Rational(c.numerator, c.denominator) * z**n for n, c in enumerate(coeffs))

    def taylor(m):
        m = sympy.Rational(m.numerator, m.denominator)
        return [sympy.diff(sigma, z, j).subs(z, m) / sympy.factorial(j) for j in range(deg + 1)]

    subs = dict(zip(s, taylor(m1), strict=True)) | dict(zip(t, taylor(m2), strict=True))
    means = {
        M1: sympy.Rational(m1.numerator, m1.denominator),
        M2: sympy.Rational(m2.numerator, m2.denominator),
    }
    want = mean_kernels(coeffs)
    for name in MEAN_NAMES:
        assert sympy.expand(family[name].subs(subs) - want[name].subs(means)) == 0, name
