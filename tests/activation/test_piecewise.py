"""The ReLU family in the grammar: relu, leaky_relu, abs and their linear combinations
recognised with the right (alpha, beta) (checked on sampled values of the expression), and
everything else with a kink refused with the reason."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

from symhess.activation import activation
from symhess.activation.evaluate import derivative_evaluator
from symhess.activation.grammar import Z
from symhess.activation.piecewise import relu_family
from symhess.errors import SymhessError

T = np.linspace(-3, 3, 61)


def values(expr):
    """``expr`` at T, from SymPy's own numeric evaluation (not symhess's evaluator)."""
    return np.array([float(expr.subs(Z, t)) for t in T])


@pytest.mark.parametrize(
    "text",
    [
        "relu(z)",
        "abs(z)",
        "leaky_relu(z, 0.1)",
        "leaky_relu(z, 2.5)",
        "leaky_relu(-z, 0.3)",
        "2*relu(z) - z/2",
        "relu(-z)",
        "abs(2*z) + z",
        "z + relu(z)",
        "sqrt(2)*relu(z) - pi*z",
        "sqrt(z**2)",
        "relu(z)/3 + abs(z)/2 - leaky_relu(z, 0.25)",
    ],
)
def test_members_with_their_coefficients(text):
    act = activation(text)
    alpha, beta = act.relu_family
    expected = values(act.expr)
    np.testing.assert_allclose(
        expected, float(alpha) * T + float(beta) * np.maximum(T, 0), atol=1e-14
    )
    sigma, dsigma = derivative_evaluator(act.expr, 1)(T)
    np.testing.assert_allclose(sigma, expected, atol=1e-14)
    off = T != 0
    np.testing.assert_allclose(dsigma[off], float(alpha) + float(beta) * (T[off] > 0))


def test_leaky_relu_is_max_of_z_and_a_z_for_slopes_below_one():
    for a in ("0.01", "0.1", "0.5", "-0.2"):
        act = activation(f"leaky_relu(z, {a})")
        np.testing.assert_allclose(values(act.expr), np.maximum(T, float(a) * T), atol=1e-14)


def test_spellings_share_canonical_form():
    forms = ["abs(z)", "2*relu(z) - z", "sqrt(z**2)", "relu(z) + relu(-z)", "abs(-z)"]
    assert len({activation(f).canonical for f in forms}) == 1
    assert activation("leaky_relu(z, 0.1)").canonical == activation("z/10 + 0.9*relu(z)").canonical
    assert activation("relu(z)").short == "relu(z)"


def test_kinks_that_cancel_give_a_polynomial():
    act = activation("relu(z) - relu(-z)")
    assert act.coefficients == (0, 1)
    assert activation("leaky_relu(z, 1)").coefficients == (0, 1)


@pytest.mark.parametrize(
    "expr",
    [
        sympy.Max(Z, 0) + 1,
        sympy.Max(Z + 1, 0),
        sympy.Max(Z, 0) ** 2,
        sympy.Max(Z, 0) * sympy.tanh(Z),
        Z,
        sympy.exp(Z),
        sympy.Max(Z, 0, Z / 2),
        sympy.Abs(Z) * Z,
    ],
)
def test_outside_the_family(expr):
    assert relu_family(expr) is None


@pytest.mark.parametrize(
    "text, message",
    [
        ("relu(z)*tanh(z)", "not of the form alpha\\*z \\+ beta\\*relu\\(z\\)"),
        ("relu(z)**2", "no products"),
        ("relu(z + 1)", "no bias inside"),
        ("1 + abs(z)", "no constant term"),
        ("leaky_relu(z, tanh(z))", "must not depend on z"),
        ("leaky_relu(z)", "takes two arguments"),
        ("min(z, 0)", "write relu\\(z\\)"),
    ],
)
def test_refused_with_the_reason(text, message):
    with pytest.raises(SymhessError, match=message) as info:
        activation(text)
    assert "\n" not in str(info.value)
