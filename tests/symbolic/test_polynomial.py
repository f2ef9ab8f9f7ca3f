"""The six kernels: Isserlis and Price routes agree exactly; identities every kernel obeys."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symhess import SymhessError, symbolic_kernels
from symhess.symbolic.moments import A, B, C
from symhess.symbolic.names import KERNEL_NAMES
from symhess.symbolic.polynomial import isserlis_kernels, price_kernels

coefficients = st.lists(
    st.fractions(min_value=-5, max_value=5, max_denominator=12), min_size=2, max_size=7
).filter(lambda s: any(s[1:]))


@settings(max_examples=25, deadline=None)
@given(coefficients)
def test_isserlis_equals_price(coeffs):
    K1 = isserlis_kernels(coeffs)
    K2 = price_kernels(coeffs)
    for name in KERNEL_NAMES:
        assert sympy.expand(K1[name] - K2[name]) == 0, name


@settings(max_examples=25, deadline=None)
@given(coefficients)
def test_swap_symmetries(coeffs):
    K = isserlis_kernels(coeffs)
    swap = {A: B, B: A}
    for name in ("K00", "K11", "K22"):
        assert sympy.expand(K[name] - K[name].xreplace(swap)) == 0
    assert sympy.expand(K["K13"] - K["K31"].xreplace(swap)) == 0


def test_linear_kernels():
    K = symbolic_kernels("z")
    assert K == {"K00": C, "K11": 1, "K20": 0, "K22": 0, "K31": 0, "K13": 0}


def test_kernels_against_monte_carlo():
    """K_pq at one (a, b, c) by sampling 1e6 correlated Gaussians (within 5 SE)."""
    coeffs = [Fraction(1, 3), 1, Fraction(-1, 2), Fraction(1, 5)]
    K = isserlis_kernels(coeffs)
    a, b, c = 0.9, 1.3, -0.4
    rng = np.random.default_rng(0)
    L = np.linalg.cholesky([[a, c], [c, b]])
    u, w = L @ rng.standard_normal((2, 1_000_000))
    p = np.polynomial.Polynomial([float(x) for x in coeffs])
    for name in KERNEL_NAMES:
        i, j = int(name[1]), int(name[2])
        samples = p.deriv(i)(u) * p.deriv(j)(w) if (i or j) else p(u) * p(w)
        exact = float(K[name].subs({A: a, B: b, C: c}))
        se = samples.std() / np.sqrt(samples.size)
        assert abs(samples.mean() - exact) < 5 * se + 1e-12, name


def test_unknown_method():
    with pytest.raises(SymhessError, match="unknown method"):
        symbolic_kernels("z", method="guess")
