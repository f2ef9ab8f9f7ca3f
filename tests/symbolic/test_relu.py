"""The SymPy kernels of the ReLU family: Price's theorem holds symbolically, and they agree
with the numeric closed forms."""

from __future__ import annotations

import numpy as np
import sympy

from symhess.kernels.relu import relu_kernels
from symhess.symbolic import symbolic_kernels
from symhess.symbolic.moments import A, B, C
from symhess.symbolic.relu import relu_family_kernels

AL, BE = sympy.symbols("alpha beta", real=True)


def test_price_theorem_symbolically():
    K = relu_family_kernels(AL, BE)
    checks = {
        "K11": sympy.diff(K["K00"], C),
        "K20": 2 * sympy.diff(K["K00"], A),
        "K22": sympy.diff(K["K11"], C),
        "K31": 2 * sympy.diff(K["K11"], A),
        "K13": 2 * sympy.diff(K["K11"], B),
    }
    point = {A: sympy.Rational(13, 10), B: sympy.Rational(7, 10), C: -sympy.Rational(2, 5)}
    point.update({AL: sympy.Rational(1, 3), BE: -sympy.Rational(5, 4)})
    for name, derived in checks.items():
        # equal as functions: exactly zero difference at a rational point, to 30 digits
        assert abs(sympy.N((derived - K[name]).subs(point), 30)) < 1e-28, name


def test_symbolic_equals_numeric():
    K = symbolic_kernels("leaky_relu(z, 0.2)")
    a, b, c = 1.3, 0.7, -0.4
    numeric = relu_kernels(a, b, c, (0.2, 0.8))
    for name, value in zip(("K00", "K11", "K20", "K22", "K31", "K13"), numeric, strict=True):
        assert (
            float(K[name].subs({A: a, B: b, C: c})) == np.float64(value).item()
            or abs(float(K[name].subs({A: a, B: b, C: c})) - float(value)) < 1e-14
        )
