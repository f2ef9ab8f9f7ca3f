"""The whitelist grammar: what it accepts, exactly, and what it refuses, in one line."""

from __future__ import annotations

from fractions import Fraction

import pytest
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st

from symhess.activation import activation
from symhess.activation.grammar import (
    MAX_DEGREE,
    NotPolynomial,
    Z,
    parse,
    parse_coefficient_list,
    to_polynomial,
)
from symhess.errors import SymhessError


def poly(text):
    return to_polynomial(parse(text), text)


@pytest.mark.parametrize(
    "text, coeffs",
    [
        ("z + z**2/2", [0, 1, Fraction(1, 2)]),
        ("3*z**3 - z", [0, -1, 0, 3]),
        ("(z+1)**2", [1, 2, 1]),
        ("0.1*z", [0, Fraction(1, 10)]),
        ("2.5e-1 * z", [0, Fraction(1, 4)]),
        ("-z**2", [0, 0, -1]),  # ** binds tighter than unary minus, as in Python
        ("2**-1 * z", [0, Fraction(1, 2)]),
        ("z**2**1", [0, 0, 1]),
        ("((z))", [0, 1]),
        ("z*z*z - z*(z**2 - 1)", [0, 1]),
        ("+z", [0, 1]),
        ("z / 4 / 2", [0, Fraction(1, 8)]),
        ("(1 - z)**8", [1, -8, 28, -56, 70, -56, 28, -8, 1]),
    ],
)
def test_accepts(text, coeffs):
    assert poly(text) == [Fraction(c) for c in coeffs]


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "empty"),
        ("   ", "empty"),
        ("z**", "operand"),
        ("y + 1", "unknown name 'y'"),
        ("z**-1", "negative power"),
        ("z**0.5", "not an integer"),
        ("1/z", "division by an expression in z"),
        ("1/(z-z+0)", "division by zero"),
        ("__import__('os')", "unexpected character"),
        ("__import__(z)", "unknown function '__import__'"),
        ("os.system", "unexpected character '.'"),
        (f"z**{MAX_DEGREE + 1}", f"maximum degree {MAX_DEGREE}"),
        ("(z**2+1)**21", "degree 42"),
        ("(z+1)**1000000000", "degree"),
        ("z^2", "use \\*\\*"),
        ("z z", "unexpected 'z'"),
        ("(z + 1", "expected '\\)'"),
        ("z + 1)", "unexpected '\\)'"),
        ("1e999999", "out of range"),
        ("2**1000", "out of range"),
        ("z**z", "depends on z"),
        ("(" * 100 + "z" + ")" * 100, "nested too deeply"),
        ("lambda: 0", "unexpected character ':'"),
        ("lambda", "unknown name 'lambda'"),
    ],
)
def test_refuses_with_one_line(text, message):
    with pytest.raises(SymhessError, match=message) as info:
        poly(text)
    assert "\n" not in str(info.value)


def test_coefficient_list():
    assert parse_coefficient_list("[0, 1, 1/2, 0.1]") == [0, 1, Fraction(1, 2), Fraction(1, 10)]
    with pytest.raises(SymhessError, match="depends on z"):
        parse_coefficient_list("[0, z]")
    with pytest.raises(SymhessError, match="empty"):
        parse_coefficient_list("[]")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.fractions(min_value=-50, max_value=50, max_denominator=20),
        min_size=1,
        max_size=MAX_DEGREE + 1,
    )
)
def test_printed_polynomials_parse_back_exactly(coeffs):
    # A polynomial written out by hand in Horner form, then parsed: same coefficients.
    text = "0"
    for c in reversed(coeffs):
        text = f"({text})*z + ({c.numerator})/({c.denominator})"
    expected = list(coeffs)
    while len(expected) > 1 and expected[-1] == 0:
        expected.pop()
    assert poly(text) == expected


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="z0123456789.+-*/() e^_ab", max_size=30))
def test_arbitrary_text_never_crashes(text):
    try:
        poly(text)
    except SymhessError as exc:
        assert "\n" not in str(exc)


# ----------------------------------------------------------------------------- named functions
@pytest.mark.parametrize(
    "text, expected",
    [
        ("z + 0.1*tanh(z)", Z + sympy.tanh(Z) / 10),
        ("erf(z/sqrt(2))", sympy.erf(Z / sympy.sqrt(2))),
        ("sigmoid(z)", (1 + sympy.tanh(Z / 2)) / 2),
        ("gelu(z)", Z * (1 + sympy.erf(Z / sympy.sqrt(2))) / 2),
        ("sin(z)*cos(z) + exp(-z**2)", sympy.sin(Z) * sympy.cos(Z) + sympy.exp(-(Z**2))),
        ("tanh(z)*z**9", Z**9 * sympy.tanh(Z)),  # no degree limit outside polynomials
        ("z**9*tanh(z)", Z**9 * sympy.tanh(Z)),  # ... whatever the order of the operands
        ("pi*z", sympy.pi * Z),
        ("(1 + tanh(z))**-2", (1 + sympy.tanh(Z)) ** -2),
        ("erf(2.5e-1*z)", sympy.erf(Z / 4)),
    ],
)
def test_named_functions_build_sympy_expressions(text, expected):
    assert activation(text).expr == expected
    assert not activation(text).is_polynomial


def test_polynomials_stay_exact_polynomials():
    assert activation("z + z**2/2").coefficients == (0, 1, Fraction(1, 2))
    with pytest.raises(NotPolynomial):
        to_polynomial(parse("z + tanh(z)"))


@pytest.mark.parametrize(
    "text, message",
    [
        ("relu(z)*tanh(z)", "not of the form alpha\\*z \\+ beta\\*relu\\(z\\)"),
        ("relu(z + 1)", "no bias inside"),
        ("abs(z) + 1", "no constant term"),
        ("sqrt(abs(z))", "not differentiable everywhere \\(Abs\\)"),
        ("max(z, 0)", "write relu\\(z\\), leaky_relu\\(z, a\\) or abs\\(z\\)"),
        ("ABS(z)", "unknown function 'ABS'"),
        ("leaky_relu(z)", "leaky_relu takes two arguments"),
        ("leaky_relu(z, z)", "second argument of leaky_relu must not depend on z"),
        ("relu(z, 1)", "expected '\\)'"),
        ("sign(z)", "jumps at 0"),
        ("log(z)", "unknown function 'log'"),
        ("tanh(z)**z", "exponent depends on z"),
        ("tanh(z)**pi", "not a rational number"),
        ("2**100000*tanh(z)", "out of range"),
        ("tanh(z)*10**4000", "out of range"),
        ("tanh(z)/0", "division by zero"),
        ("tanh(z)/(z - z)", "division by zero"),
        ("sqrt(-1)*tanh(z)", "not a finite real function"),
        ("erf()", "unexpected '\\)' at position 4"),
        ("erf(z, 2)", "expected '\\)'"),
        ("erf", "unknown name 'erf'"),
        ("pi", "constant"),
        ("[0, sqrt(2)]", "not a rational number"),
    ],
)
def test_refuses_functions_with_one_line(text, message):
    with pytest.raises(SymhessError, match=message) as info:
        activation(text)
    assert "\n" not in str(info.value)


_TOKENS = ["z", "1", "0.5", "2", "+", "-", "*", "/", "**", "(", ")", ",", "pi"]
_TOKENS += ["erf(", "tanh(", "sin(", "exp(", "sqrt(", "sigmoid(", "abs(", "gelu(", "relu("]
_TOKENS += ["leaky_relu("]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_TOKENS), max_size=14))
def test_arbitrary_function_text_never_crashes(tokens):
    try:
        act = activation("".join(tokens))
    except SymhessError as exc:
        assert "\n" not in str(exc)
    else:
        assert act.expr.has(Z)


def test_numpy_float_coefficients_are_read_by_their_decimal_form():
    import numpy as np

    assert activation([np.float64(0.1), np.float64(1.0)]).coefficients == (Fraction(1, 10), 1)
