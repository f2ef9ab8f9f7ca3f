"""K40 = E[sigma''''(u) sigma(w)], the one kernel the Hessian away from the optimum adds, by
every route: generated ``extra_kernels``, run-time Isserlis, Price's theorem, the erf closed
form, quadrature and Monte Carlo; and modules generated before it existed."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import scipy.special
import sympy
from symhess.codegen import activation_spec, render

from symhess import SymhessError, quadrature_kernels, resolve
from symhess.activation import activation
from symhess.files import atomic_write_text
from symhess.kernels.isserlis import polynomial_kernel
from symhess.symbolic.erf import erf_extra_kernels, erf_k00
from symhess.symbolic.moments import A, B, C
from symhess.symbolic.names import KERNEL_NAMES, ORDERS
from symhess.symbolic.polynomial import extra_isserlis_kernels, extra_price_kernels


def _random_coeffs(rng, degree):
    return [Fraction(int(rng.integers(-7, 8)), int(rng.integers(1, 6))) for _ in range(degree + 1)]


def _text(coeffs) -> str:
    return " + ".join(f"({c.numerator}/{c.denominator})*z**{n}" for n, c in enumerate(coeffs))


def _rational(x: Fraction) -> sympy.Rational:
    return sympy.Rational(x.numerator, x.denominator)


@pytest.mark.parametrize("degree", range(1, 9))
def test_generated_k40_equals_isserlis_and_price_exactly(degree):
    rng = np.random.default_rng(degree)
    coeffs = _random_coeffs(rng, degree)
    if coeffs[-1] == 0:
        coeffs[-1] = Fraction(1, 3)
    sym = extra_isserlis_kernels([_rational(c) for c in coeffs])["K40"]
    assert sympy.expand(sym - extra_price_kernels([_rational(c) for c in coeffs])["K40"]) == 0
    kern = resolve(_text(coeffs))
    assert f"poly_deg{degree}" in kern.origin
    for _ in range(3):
        a, b = (Fraction(int(rng.integers(1, 20)), 7) for _ in range(2))
        c = Fraction(int(rng.integers(-10, 11)), 11)
        want = sym.subs({A: _rational(a), B: _rational(b), C: _rational(c)})
        want = Fraction(int(want.p), int(want.q))
        assert kern.extra(a, b, c, "fraction")["K40"] == want
        assert polynomial_kernel(coeffs, 4, 0, a, b, c) == want


def test_runtime_isserlis_reproduces_the_six_shipped_kernels():
    """The run-time evaluator against the generated modules, exactly, all six kernels."""
    rng = np.random.default_rng(3)
    coeffs = _random_coeffs(rng, 6)
    K = resolve(_text(coeffs))
    a, b, c = Fraction(3, 2), Fraction(5, 7), Fraction(-2, 9)
    shipped = dict(zip(KERNEL_NAMES, K(a, b, c, "fraction"), strict=True))
    for name in KERNEL_NAMES:
        assert polynomial_kernel(coeffs, *ORDERS[name], a, b, c) == shipped[name]


def _monte_carlo(f4, f0, a, b, c, n=2_000_000, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 2))
    L = np.linalg.cholesky(np.array([[a, c], [c, b]]))
    u, w = (x @ L.T).T
    sample = f4(u) * f0(w)
    return sample.mean(), sample.std() / np.sqrt(n)


def test_erf_k40_closed_form_against_raw_price_quadrature_and_monte_carlo():
    beta, t = sympy.Rational(3, 2), sympy.Rational(1, 2)
    closed = erf_extra_kernels(beta, t)["K40"]
    raw = 4 * sympy.diff(erf_k00(beta, t), A, 2)  # Price, no radical rewrite
    point = {A: sympy.Rational(7, 10), B: sympy.Rational(13, 10), C: sympy.Rational(2, 5)}
    assert abs(sympy.N(closed.subs(point) - raw.subs(point), 30)) < 1e-25
    source = "3/2*erf(z/sqrt(2))"
    kern = resolve(source)
    val = kern.extra(0.7, 1.3, 0.4)["K40"]
    assert abs(val - float(closed.subs(point))) < 1e-14
    with mpmath.workdps(40):
        vm = kern.extra(mpmath.mpf(7) / 10, mpmath.mpf(13) / 10, mpmath.mpf(2) / 5, "mpmath")
        assert abs(vm["K40"] - sympy.N(closed.subs(point), 40)) < mpmath.mpf(10) ** -35
    quad = quadrature_kernels(source)
    res = quad.evaluate_extra(0.7, 1.3, 0.4)
    q = float(res.values[0])
    assert q == quad.extra(0.7, 1.3, 0.4)["K40"]
    # the estimate bounds the actual error, and meets the tolerance relative to the scale
    assert abs(q - val) <= float(res.errors[0]) and res.error_estimate <= quad.tol

    # d^4/du^4 of 1.5 erf(u/sqrt2) = 1.5 sqrt(2/pi) exp(-u^2/2) (3u - u^3)
    def f4(u):
        return 1.5 * np.sqrt(2 / np.pi) * np.exp(-u * u / 2) * (3 * u - u**3)

    mean, se = _monte_carlo(f4, lambda w: 1.5 * scipy.special.erf(w / np.sqrt(2)), 0.7, 1.3, 0.4)
    assert abs(mean - val) < 5 * se


@pytest.mark.parametrize("alpha", [1, 30, 1000, 10**5])
def test_erf_k40_stays_accurate_at_large_weights(alpha):
    """K40 is printed with the stable D (as the six kernels are): against the raw Price
    derivative of the asin K00 at 40 digits, on the diagonal (where (1 + 2ta)^2 - (2ta)^2
    would cancel), a near-parallel and a generic pair."""
    t = sympy.Integer(alpha) ** 2
    raw = 4 * sympy.diff(erf_k00(sympy.Integer(1), t), A, 2)
    kern = resolve(f"erf({alpha}*z)")
    for a, b, c in [(1.3, 1.3, 1.3), (0.8, 1.1, 0.9 * np.sqrt(0.88)), (0.7, 1.2, -0.31)]:
        got = kern.extra(a, b, c)["K40"]
        point = {A: sympy.Float(a, 40), B: sympy.Float(b, 40), C: sympy.Float(c, 40)}
        want = float(raw.subs(point).evalf(40))
        assert abs(got - want) <= 1e-13 * abs(want) + 1e-300, (a, b, c, got, want)


def test_quadrature_k40_of_tanh_against_monte_carlo():
    quad = quadrature_kernels("tanh(z)")
    res = quad.evaluate_extra(1.1, 0.6, -0.3)
    q = float(res.values[0])
    assert res.error_estimate <= quad.tol

    def f4(u):  # tanh'''' = 8 t (1 - t^2)(2 - 3 t^2), written out by hand
        t = np.tanh(u)
        return 8 * t * (1 - t * t) * (2 - 3 * t * t)

    mean, se = _monte_carlo(f4, np.tanh, 1.1, 0.6, -0.3, seed=1)
    assert abs(mean - q) < 5 * se


def test_quadrature_k40_in_mpmath_and_float64_agree_within_their_estimates():
    kern = quadrature_kernels("sqrt(1 + z**2)")
    low = kern.evaluate_extra(1.0, 1.0, 0.5)
    with mpmath.workdps(20):
        high = kern.evaluate_extra(mpmath.mpf(1), mpmath.mpf(1), mpmath.mpf(1) / 2, "mpmath")
    assert isinstance(high.values[0][()], mpmath.mpf) and float(high.errors[0]) < 1e-16
    assert abs(float(high.values[0][()]) - float(low.values[0])) <= float(low.errors[0])
    with pytest.raises(SymhessError, match="fraction"):
        kern.extra(1.0, 1.0, 0.5, "fraction")


def _old_module(tmp_path, source, name):
    """A module as generated before ``extra_kernels`` existed (no second function)."""
    spec = dataclasses.replace(activation_spec(activation(source), name), extra_kernels={})
    text = render(spec)
    assert "extra_kernels" not in text
    return atomic_write_text(tmp_path / f"{name}.py", text)


def test_old_polynomial_module_falls_back_to_runtime_isserlis(tmp_path):
    source = "1/3 + z - z**3/5 + z**4/7"
    _old_module(tmp_path, source, "oldpoly")
    kern = resolve(source, [tmp_path])
    assert "oldpoly" in kern.origin and "Isserlis" in kern.extra_origin
    a, b, c = Fraction(3, 2), Fraction(5, 7), Fraction(-2, 9)
    want = resolve(source).extra(a, b, c, "fraction")["K40"]  # the shipped family
    assert kern.extra(a, b, c, "fraction")["K40"] == want


def test_old_erf_module_falls_back_to_the_erf_family(tmp_path):
    _old_module(tmp_path, "2*erf(3*z)", "olderf")
    kern = resolve("olderf", [tmp_path])
    assert "erf_family" in kern.extra_origin
    assert kern.extra(0.7, 1.3, 0.4)["K40"] == resolve("2*erf(3*z)").extra(0.7, 1.3, 0.4)["K40"]


def test_a_kernel_a_module_lacks_is_refused_with_the_regenerate_command(tmp_path):
    path = tmp_path / "newer.py"
    atomic_write_text(path, render(activation_spec(activation("z + z**3"), "newer")))
    kern = resolve("newer", [tmp_path])
    with pytest.raises(SymhessError, match="regenerate it with: symhess generate") as info:
        kern.extra(1.0, 1.0, 0.5, names=("K40", "K60"))
    assert "\n" not in str(info.value) and "K60" in str(info.value)
