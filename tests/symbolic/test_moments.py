"""Isserlis moments against an independent derivation (Cholesky substitution)."""

from __future__ import annotations

import pytest
import sympy

from symhess.symbolic.moments import A, B, C, double_factorial, moment


def moment_by_cholesky(p, q):
    """u = sqrt(a) g1, w = (c/sqrt(a)) g1 + sqrt(b - c^2/a) g2 with g1, g2 iid N(0, 1)."""
    g1, g2 = sympy.symbols("g1 g2")
    u = sympy.sqrt(A) * g1
    w = C / sympy.sqrt(A) * g1 + sympy.sqrt(B - C**2 / A) * g2
    poly = sympy.Poly(sympy.expand(u**p * w**q), g1, g2)
    total = 0
    for (k1, k2), coef in poly.terms():
        if k1 % 2 == 0 and k2 % 2 == 0:
            total += coef * double_factorial(k1 - 1) * double_factorial(k2 - 1)
    return sympy.simplify(total)


@pytest.mark.parametrize("p, q", [(p, q) for p in range(6) for q in range(6) if p + q <= 8])
def test_isserlis_equals_cholesky_route(p, q):
    assert sympy.simplify(moment(p, q) - moment_by_cholesky(p, q)) == 0


def test_known_values():
    assert moment(4, 0) == 3 * A**2
    assert moment(1, 1) == C
    assert sympy.expand(moment(2, 2) - (A * B + 2 * C**2)) == 0
    assert moment(3, 0) == 0
