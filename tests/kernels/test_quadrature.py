"""Quadrature kernels: against closed forms, Isserlis, Monte Carlo; the rule; bad input."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy
from scipy.special import ndtr

import symhess
from symhess import SymhessError, resolve
from symhess.activation.evaluate import derivative_evaluator
from symhess.kernels.quadrature import (
    DEFAULT_ORDER,
    QuadratureKernels,
    gaussian_kernels,
    quadrature_kernels,
)
from symhess.symbolic.moments import A, B, C
from symhess.symbolic.names import KERNEL_NAMES
from symhess.symbolic.polynomial import isserlis_kernels

from ..smooth_oracles import hessian_monte_carlo, kernels_monte_carlo


def _triples(rng, n):
    a, b = rng.uniform(0.2, 2.5, n), rng.uniform(0.2, 2.5, n)
    c = rng.uniform(-1, 1, n) * np.sqrt(a * b)
    c[:2] = np.sqrt(a[:2] * b[:2]) * np.array([1, -1])  # degenerate: rho = +-1
    a[2], b[2], c[2] = 1.3, 1.3, 1.3  # the diagonal i = k
    return a, b, c


@pytest.mark.parametrize("source", ["erf(z)", "erf(z/sqrt(2))", "-0.5*erf(1.5*z)"])
def test_quadrature_equals_the_erf_closed_form(source):
    a, b, c = _triples(np.random.default_rng(1), 40)
    closed = resolve(source)
    assert "erf" in closed.origin
    quad = quadrature_kernels(source)
    for name, q, k in zip(KERNEL_NAMES, quad(a, b, c), closed(a, b, c), strict=True):
        assert np.abs(q - k).max() < 1e-10, name
    assert quad.error_estimate < 1e-10


@pytest.mark.parametrize("seed", range(6))
def test_quadrature_on_polynomials_equals_isserlis(seed):
    rng = np.random.default_rng(seed)
    degree = 1 + seed % 8 if seed < 5 else 8
    num, den = rng.integers(-8, 9, degree + 1), rng.integers(1, 9, degree + 1)
    coeffs = [Fraction(int(x), int(y)) for x, y in zip(num, den, strict=True)]
    coeffs[-1] = coeffs[-1] or Fraction(1)
    text = " + ".join(f"({c})*z**{n}" for n, c in enumerate(coeffs))
    K = isserlis_kernels(coeffs)
    quad = quadrature_kernels(text)
    assert isinstance(quad, QuadratureKernels)  # not the shipped polynomial family
    a, b, c = _triples(rng, 12)
    got = quad(a, b, c)
    for name, g in zip(KERNEL_NAMES, got, strict=True):
        want = sympy.lambdify((A, B, C), K[name], modules="numpy")(a, b, c)
        scale = max(1.0, float(np.abs(want).max()))
        assert np.abs(g - want).max() <= 1e-12 * scale, name


def tanh_derivatives():
    """Written out by hand: t' = 1 - t^2, t'' = -2 t (1 - t^2), t''' = (1 - t^2)(6 t^2 - 2)."""
    return [
        np.tanh,
        lambda z: 1 - np.tanh(z) ** 2,
        lambda z: -2 * np.tanh(z) * (1 - np.tanh(z) ** 2),
        lambda z: (1 - np.tanh(z) ** 2) * (6 * np.tanh(z) ** 2 - 2),
    ]


def gelu_derivatives():
    """gelu = z Phi(z): gelu' = Phi + z phi, gelu'' = (2 - z^2) phi, gelu''' = (z^3 - 4z) phi."""

    def phi(z):
        return np.exp(-(z**2) / 2) / np.sqrt(2 * np.pi)

    return [
        lambda z: z * ndtr(z),
        lambda z: ndtr(z) + z * phi(z),
        lambda z: (2 - z**2) * phi(z),
        lambda z: (z**3 - 4 * z) * phi(z),
    ]


@pytest.mark.parametrize(
    "source, derivs", [("tanh(z)", tanh_derivatives), ("gelu(z)", gelu_derivatives)]
)
def test_kernels_against_monte_carlo(source, derivs):
    quad = resolve(source)
    assert isinstance(quad, QuadratureKernels)
    for k, (a, b, c) in enumerate([(1.0, 1.44, 0.6), (0.7, 0.7, 0.7)]):
        got = dict(zip(KERNEL_NAMES, quad(a, b, c), strict=True))
        mc = kernels_monte_carlo(derivs(), a, b, c, n=1_000_000, seed=20 + k)
        for name in KERNEL_NAMES:
            mean, se = mc[name]
            assert abs(got[name] - mean) < 5 * se + 1e-12, (source, name, a, b, c)


def test_tanh_hessian_against_monte_carlo():
    """d = 4, h = 3: every entry within 5 standard errors of 1e6 samples."""
    t = symhess.sample_teacher(4, 3, seed=11)
    H = symhess.hessian("tanh(z)", t.W, t.v)
    mean, se = hessian_monte_carlo(tanh_derivatives(), t.W, t.v, n=1_000_000, seed=3)
    z = np.abs(H - mean) / (se + 1e-15)
    assert z.max() < 5, (z.max(), np.unravel_index(z.argmax(), z.shape))
    assert np.abs(1.02 * H - mean).max() > 5 * se.max()  # the comparison has teeth


def test_sums_with_polynomials():
    """z + 0.1*tanh(z): kernels are those of z, of 0.1 tanh and the cross terms (by Stein)."""
    a, b, c = 1.1, 0.8, 0.4
    mixed = quadrature_kernels("z + 0.1*tanh(z)")(a, b, c)
    tanh = quadrature_kernels("tanh(z)")(a, b, c)
    # E[(u + s t(u))(w + s t(w))] = c + s (E[u t(w)] + E[t(u) w]) + s^2 K00_tanh, and
    # E[u t(w)] = c E[t'(w)], E[t(u) w] = c E[t'(u)] (Stein's lemma, 1-D expectations)
    ev = derivative_evaluator(sympy.tanh(symhess.activation.grammar.Z), 1)
    x = np.linspace(-12, 12, 4001)
    wt = (x[1] - x[0]) * np.exp(-(x**2) / 2) / np.sqrt(2 * np.pi)
    e_du = ev(np.sqrt(a) * x)[1] @ wt
    e_dw = ev(np.sqrt(b) * x)[1] @ wt
    s = 0.1
    want = c + s * c * (e_du + e_dw) + s**2 * tanh[0]
    assert abs(mixed[0] - want) < 1e-13


def test_the_trapezoid_rule_beats_gauss_hermite_for_tanh():
    """The measurement behind the default rule (see symhess.kernels.quadrature's docstring)."""
    ev = derivative_evaluator(sympy.tanh(symhess.activation.grammar.Z), 3)
    a, b, c = 1.0, 1.44, 0.6
    best = gaussian_kernels(ev, a, b, c, 301)
    trap = gaussian_kernels(ev, a, b, c, 100)
    gh = gaussian_kernels(ev, a, b, c, 100, rule="gauss-hermite")
    err = lambda K: max(abs(K[k] - best[k]) for k in range(6))  # noqa: E731
    assert err(trap) < 1e-12
    assert err(gh) > 1e-10  # ~2e-9 for K31: Gauss-Hermite is still far away
    assert err(gaussian_kernels(ev, a, b, c, 200, rule="gauss-hermite")) < 1e-12


def test_error_estimate_bounds_the_error():
    a, b, c = _triples(np.random.default_rng(5), 10)
    exact = resolve("erf(z)")(a, b, c)
    for order in (12, 20, 30, 50):
        quad = quadrature_kernels("erf(z)", order=order)
        got = quad(a, b, c)
        err = max(float(np.abs(g - e).max()) for g, e in zip(got, exact, strict=True))
        assert err <= quad.error_estimate, order
        assert any("error estimate" in line for line in quad.notes())
    assert quadrature_kernels("erf(z)", order=12).error_estimate > 1e-6


def test_resolve_uses_quadrature_for_activations_without_a_closed_form():
    k = resolve("z + 0.1*tanh(z)")
    assert isinstance(k, QuadratureKernels)
    assert k.order == DEFAULT_ORDER and "trapezoid" in k.origin
    # a Kernels object passes through resolve, so the order is an option of the Hessian too
    custom = quadrature_kernels("tanh(z)", order=101)
    t = symhess.sample_teacher(3, 2, seed=0)
    H1 = symhess.hessian(custom, t.W, t.v)
    H2 = symhess.hessian("tanh(z)", t.W, t.v)
    np.testing.assert_allclose(H1, H2, atol=1e-13)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: quadrature_kernels("tanh(z)", order=1), "order must be at least 2, got 1"),
        (lambda: quadrature_kernels("tanh(z)", order=0), "at least 2"),
        (lambda: quadrature_kernels("tanh(z)", order=2.5), "must be an integer"),
        (lambda: quadrature_kernels("tanh(z)", rule="simpson"), "unknown quadrature rule"),
        (lambda: quadrature_kernels("tanh(z)", 500, "gauss-hermite"), "overflow"),
        (lambda: quadrature_kernels("1/tanh(z)"), "not a finite real number at z = 0"),
        (lambda: quadrature_kernels("sqrt(z)"), "not a finite real number at z = -30"),
        (lambda: quadrature_kernels("exp(z**2)"), "not a finite real number"),
        (lambda: quadrature_kernels("abs(z)"), "ReLU family alpha\\*z \\+ beta\\*relu"),
        (lambda: quadrature_kernels("relu(z)*tanh(z)"), "not of the form"),
    ],
)
def test_bad_input_is_one_line(call, message):
    with pytest.raises(SymhessError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("system", ["mpmath", "fraction"])
def test_quadrature_is_float64_only(system):
    t = symhess.sample_teacher(2, 2, seed=0)
    with pytest.raises(SymhessError, match="float64 only") as info:
        symhess.hessian("tanh(z)", t.W, t.v, system=system)
    assert "\n" not in str(info.value)


def test_too_fast_growth_is_refused():
    quad = quadrature_kernels("exp(3*z)")
    assert np.isfinite(quad(0.5, 0.5, 0.1)[0])
    with pytest.raises(SymhessError, match="tail|non-finite"):
        quad(60.0, 60.0, 10.0)


def test_quadrature_command(capsys):
    from symhess.cli import main

    assert main(["quadrature", "tanh(z)", "--a", "1", "--b", "1.44", "--c", "0.6"]) == 0
    out = capsys.readouterr().out
    assert "error estimate" in out and "201 x 201" in out
    # K00 from a 25-digit nested mpmath tanh-sinh quadrature (mpmath_tanh_reference in
    # benchmarks/bench_quadrature.py): an independent route
    k00 = float(next(line for line in out.splitlines() if line.startswith("K00")).split("=")[1])
    assert abs(k00 - 0.19942315893937355487) < 1e-13
    assert main(["quadrature", "sigmoid(z)", "--order", "51"]) == 0
    assert "51 x 51" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--order", "1"], "order must be an integer of at least 2"),
        (["--order", "x"], "--order must be an integer"),
        (["--c", "5"], "not a covariance"),
        (["--a", "-1"], "not a covariance"),
    ],
)
def test_quadrature_command_bad_input(capsys, argv, message):
    from symhess.cli import main

    assert main(["quadrature", "tanh(z)", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


@pytest.mark.parametrize(
    "source, k00",
    [
        # E[sin u sin w] = (E cos(u - w) - E cos(u + w)) / 2 = exp(-(a + b)/2) sinh(c)
        ("sin(z)", sympy.exp(-(A + B) / 2) * sympy.sinh(C)),
        ("cos(2*z)", sympy.exp(-2 * (A + B)) * sympy.cosh(4 * C)),
        # E[exp(u + w)] = exp(Var(u + w) / 2)
        ("exp(z/2)", sympy.exp((A + B + 2 * C) / 8)),
    ],
)
def test_quadrature_equals_textbook_closed_forms(source, k00):
    """Price's theorem on a textbook K00 (SymPy, lambdify as the test oracle)."""
    from symhess.symbolic.price import price_from_k00

    K = price_from_k00(k00)
    a, b, c = _triples(np.random.default_rng(9), 20)
    got = quadrature_kernels(source)(a, b, c)
    for name, g in zip(KERNEL_NAMES, got, strict=True):
        want = sympy.lambdify((A, B, C), K[name], modules="numpy")(a, b, c)
        assert np.abs(g - want).max() < 1e-12, (source, name)
