"""Quadrature kernels of smooth activations: every entry to its stated tolerance or refused.

References are independent of symhess.kernels.quadrature: closed forms in mpmath written by
hand, a brute-force tensor trapezoid rule with its own convergence check
(tests/smooth_oracles.py), Isserlis' theorem for polynomials (symhess's symbolic kernels), and
Monte Carlo with its standard error.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
import sympy

import symhess
from symhess import SymhessError, resolve
from symhess.activation import activation
from symhess.activation.evaluate import derivative_evaluator
from symhess.kernels import quadrature
from symhess.kernels.quadrature import (
    QuadratureKernels,
    SmoothEvaluator,
    quadrature_kernels,
    sine_of_angle,
)
from symhess.symbolic.moments import A, B, C
from symhess.symbolic.names import KERNEL_NAMES
from symhess.symbolic.polynomial import isserlis_kernels

from ..smooth_oracles import (
    ALL_DERIVATIVES,
    brute_kernels,
    closed_kernels,
    kernels_monte_carlo,
)


def evaluator(source, **kw):
    return SmoothEvaluator(derivative_evaluator(activation(source).expr, 3), source, **kw)


def teacher_gram(h, d, scale, seed):
    """``a (h, 1), b (1, h), C (h, h)`` of ``W ~ N(0, scale^2 / d)``, as kernel_matrices."""
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((h, d)) * scale / np.sqrt(d)
    C = W @ W.T
    C = (C + C.T) / 2
    a = np.diag(C).copy()
    np.fill_diagonal(C, a)
    return a[:, None], a[None, :], C


def check_against(result, reference: dict, slack=0.0):
    """Every entry within its own estimate, and the estimate within tol of its scale."""
    for name, got, err, scale in zip(
        KERNEL_NAMES, result.values, result.errors, result.scales, strict=True
    ):
        diff = np.abs(got - reference[name])
        assert np.all(diff <= err + slack), (name, float(np.max(diff - err)))
        assert np.all(err <= result.tol * scale), name


def _triples(rng, n):
    a, b = rng.uniform(0.2, 2.5, n), rng.uniform(0.2, 2.5, n)
    c = rng.uniform(-1, 1, n) * np.sqrt(a * b)
    c[:2] = np.sqrt(a[:2] * b[:2]) * np.array([1, -1])  # degenerate: rho = +-1
    a[2], b[2], c[2] = 1.3, 1.3, 1.3  # the diagonal i = k
    return a, b, c


# ----------------------------------------------------------------------------- accuracy
@pytest.mark.parametrize("source", ["erf(z)", "erf(5*z)", "sin(z)", "cos(z)"])
@pytest.mark.parametrize("scale", [1.0, 4.0, 10.0])
def test_closed_forms_at_every_scale(source, scale):
    a, b, C = teacher_gram(5, 2, scale, seed=int(scale))
    result = evaluator(source)(a, b, C)
    check_against(result, closed_kernels(source, a, b, C))
    assert result.error_estimate <= 1e-12


@pytest.mark.parametrize("source", ["erf(z)", "erf(z/sqrt(2))", "-0.5*erf(1.5*z)"])
def test_quadrature_equals_the_shipped_erf_closed_form(source):
    a, b, c = _triples(np.random.default_rng(1), 40)
    closed = resolve(source)
    assert "erf" in closed.origin
    quad = QuadratureKernels(activation(source))
    result = quad.evaluate(a, b, c)
    for name, q, k, e in zip(
        KERNEL_NAMES, result.values, closed(a, b, c), result.errors, strict=True
    ):
        assert np.all(np.abs(q - k) <= e + 1e-16), name


def test_exp_until_it_overflows():
    a, b, C = teacher_gram(4, 2, 4.0, seed=1)
    check_against(evaluator("exp(z)")(a, b, C), closed_kernels("exp(z)", a, b, C))
    # E[exp(u)^2] = e^(2a): beyond float64 at a = 400
    with pytest.raises(SymhessError, match="overflows float64"):
        evaluator("exp(z)")(400.0, 400.0, 0.0)


NEAR_PARALLEL = [
    (100.0, 100.0, 0.95),
    (100.0, 100.0, -0.99),
    (100.0, 100.0, 0.99999),
    (100.0, 100.0, 1 - 1e-9),
    (30.0, 200.0, 0.999),
    (30.0, 200.0, -1.0),
    (1.0, 1.0, 0.999),
    (16.0, 4.0, 1.0),
]


@pytest.mark.parametrize("source", ["erf(z)", "erf(5*z)"])
def test_near_parallel_rows_take_the_2d_rule_and_stay_exact(source):
    a = np.array([p[0] for p in NEAR_PARALLEL])
    b = np.array([p[1] for p in NEAR_PARALLEL])
    c = np.array([p[2] * np.sqrt(p[0] * p[1]) for p in NEAR_PARALLEL])
    result = evaluator(source)(a, b, c)
    assert result.stats["bivariate"] >= 5
    check_against(result, closed_kernels(source, a, b, c))


@pytest.mark.parametrize(
    ("source", "points"),
    [
        ("tanh(z)", [(1.0, 0.7, 0.6), (16.0, 20.0, -0.97), (100.0, 80.0, 0.99)]),
        ("sigmoid(z)", [(1.0, 0.7, 0.6), (16.0, 20.0, -0.97)]),
        ("gelu(z)", [(1.0, 0.7, 0.6), (16.0, 20.0, -0.97)]),
        ("tanh(5*z)", [(1.0, 0.7, 0.6), (4.0, 5.0, 0.98)]),
    ],
)
def test_tanh_family_against_brute_force(source, points):
    a = np.array([p[0] for p in points])
    b = np.array([p[1] for p in points])
    c = np.array([p[2] * np.sqrt(p[0] * p[1]) for p in points])
    result = evaluator(source)(a, b, c)
    alpha = 5.0 if "5" in source else 1.0
    ref = {name: np.empty(len(points)) for name in KERNEL_NAMES}
    for j, (x, y, z) in enumerate(zip(a, b, c, strict=True)):
        step = min(0.05, 0.15 / (alpha * np.sqrt(max(x, y))))
        fine = brute_kernels(ALL_DERIVATIVES[source], x, y, z, step)
        coarse = brute_kernels(ALL_DERIVATIVES[source], x, y, z, step / 0.8)
        for name, s in zip(KERNEL_NAMES, result.scales, strict=True):
            # converged: the change is the coarse rule's error, far below the estimates
            assert abs(fine[name] - coarse[name]) <= 1e-13 * s[j] + 2e-15, name
            ref[name][j] = fine[name]
    check_against(result, ref, slack=2e-15)


@pytest.mark.parametrize("seed", range(3))
def test_polynomials_sum_exactly(seed):
    """The Mehler series of a polynomial stops at its degree: Isserlis, to rounding."""
    rng = np.random.default_rng(seed)
    degree = 2 + seed * 3
    num, den = rng.integers(-8, 9, degree + 1), rng.integers(1, 9, degree + 1)
    coeffs = [Fraction(int(x), int(y)) for x, y in zip(num, den, strict=True)]
    coeffs[-1] = coeffs[-1] or Fraction(1)
    text = " + ".join(f"({c})*z**{n}" for n, c in enumerate(coeffs))
    ev = SmoothEvaluator(derivative_evaluator(activation(text).expr, 3), text)
    a, b, gram = teacher_gram(4, 3, 1.5, seed)
    result = ev(a, b, gram)
    K = isserlis_kernels(coeffs)
    for name, got, err in zip(KERNEL_NAMES, result.values, result.errors, strict=True):
        want = sympy.lambdify((A, B, C), K[name], modules="numpy")(a, b, gram) + 0 * gram
        assert np.all(np.abs(got - want) <= err), name


@pytest.mark.parametrize("source, derivs", [("tanh(z)", "tanh(z)"), ("gelu(z)", "gelu(z)")])
def test_kernels_against_monte_carlo(source, derivs):
    quad = resolve(source)
    assert isinstance(quad, QuadratureKernels)
    d = ALL_DERIVATIVES[derivs]
    fns = [lambda z, p=p: d(z)[p] for p in range(4)]
    for k, (a, b, c) in enumerate([(1.0, 1.44, 0.6), (9.0, 4.0, -5.5)]):
        got = dict(zip(KERNEL_NAMES, quad(a, b, c), strict=True))
        mc = kernels_monte_carlo(fns, a, b, c, n=1_000_000, seed=20 + k)
        for name in KERNEL_NAMES:
            mean, se = mc[name]
            assert abs(got[name] - mean) < 5 * se + 1e-12, (source, name, a, b, c)


def test_sums_with_polynomials():
    """z + 0.1*tanh(z): kernels are those of z, of 0.1 tanh and the cross terms (by Stein)."""
    a, b, c = 1.1, 0.8, 0.4
    mixed = quadrature_kernels("z + 0.1*tanh(z)").evaluate(a, b, c)
    tanh = quadrature_kernels("tanh(z)")(a, b, c)
    # E[(u + s t(u))(w + s t(w))] = c + s (E[u t(w)] + E[t(u) w]) + s^2 K00_tanh, and
    # E[u t(w)] = c E[t'(w)], E[t(u) w] = c E[t'(u)] (Stein's lemma, 1-D expectations)
    x = np.linspace(-12, 12, 4001)
    wt = (x[1] - x[0]) * np.exp(-(x**2) / 2) / np.sqrt(2 * np.pi)
    d = ALL_DERIVATIVES["tanh(z)"]
    e_du, e_dw = d(np.sqrt(a) * x)[1] @ wt, d(np.sqrt(b) * x)[1] @ wt
    s = 0.1
    want = c + s * c * (e_du + e_dw) + s**2 * tanh[0]
    assert abs(mixed.values[0] - want) <= mixed.errors[0] + 1e-15


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
    result = quadrature_kernels(source).evaluate(a, b, c)
    for name, g, e in zip(KERNEL_NAMES, result.values, result.errors, strict=True):
        want = sympy.lambdify((A, B, C), K[name], modules="numpy")(a, b, c)
        assert np.all(np.abs(g - want) <= e + 1e-15), (source, name)


def test_zero_rows_and_tiny_variances():
    """a = 0 (a zero row): u = 0, so K_pq = sigma^(p)(0) E[sigma^(q)(w)]; b = 0 alike."""
    a = np.array([0.0, 1e-12, 2.0])
    b = np.array([1.0, 1e-12, 0.0])
    c = np.array([0.0, 1e-12, 0.0])
    r = evaluator("tanh(z)")(a, b, c)
    d = ALL_DERIVATIVES["tanh(z)"]
    t = np.linspace(-12, 12, 4001)
    w = (t[1] - t[0]) * np.exp(-t * t / 2) / np.sqrt(2 * np.pi)
    E1 = [float(np.dot(x, w)) for x in d(1.0 * t)]  # E[sigma^(q)(t)], t ~ N(0, 1)
    E2 = [float(np.dot(x, w)) for x in d(np.sqrt(2.0) * t)]
    at0 = [0.0, 1.0, 0.0, -2.0]  # tanh and its derivatives at 0
    for j, name in enumerate(KERNEL_NAMES):
        p, q = {"K00": (0, 0), "K11": (1, 1), "K20": (2, 0), "K22": (2, 2)}.get(
            name, (3, 1) if name == "K31" else (1, 3)
        )
        assert r.values[j][0] == pytest.approx(at0[p] * E1[q], abs=1e-13), name
        assert r.values[j][1] == pytest.approx(at0[p] * at0[q], abs=1e-10), name
        assert r.values[j][2] == pytest.approx(E2[p] * at0[q], abs=1e-13), name


def test_any_kernel_order():
    """The evaluator computes any K_pq the derivatives allow (K40 for the Hessian away from the
    optimum): against the erf closed form, K40 = 4 d^2 K00 / da^2 (Price)."""
    import mpmath

    ev = SmoothEvaluator(
        derivative_evaluator(activation("erf(z)").expr, 4),
        "erf(z)",
        names=("K40", "K00"),
        orders={"K40": (4, 0), "K00": (0, 0)},
    )
    result = ev(np.array([0.7, 3.0]), np.array([1.2, 2.0]), np.array([0.3, -1.9]))
    with mpmath.workdps(40):
        for j, (a, b, c) in enumerate([(0.7, 1.2, 0.3), (3.0, 2.0, -1.9)]):

            def k00(x, b=b, c=c):
                return 2 / mpmath.pi * mpmath.asin(2 * c / mpmath.sqrt((1 + 2 * x) * (1 + 2 * b)))

            want = float(4 * mpmath.diff(k00, a, 2))
            assert abs(result.values[0][j] - want) <= result.errors[0][j]
    assert result.names == ("K40", "K00")


# ----------------------------------------------------------------------------- the rules
def test_lattice_rule_equals_direct_rule():
    d = derivative_evaluator(activation("tanh(z)").expr, 3)
    pairs = [(0, 0), (1, 1), (2, 0), (2, 2), (3, 1), (1, 3)]
    rng = np.random.default_rng(0)
    a = rng.uniform(1, 30, 6)
    b = rng.uniform(1, 30, 6)
    rho = rng.choice([-1, 1], 6) * rng.uniform(0.9, 0.999, 6)
    s = sine_of_angle(a, b, rho * np.sqrt(a * b))
    L = 9.0
    p = quadrature._lattice_ratio(rho, s, 512, 128, L)
    assert np.all(p % 2 == 0)
    lat = np.empty((6, 6))
    for q in np.unique(p):
        sel = p == q
        lat[:, sel] = quadrature._lattice_rule(
            d, a[sel], b[sel], rho[sel], s[sel], int(q), pairs, 512, 128, L
        )[0]
    direct = quadrature._direct_rule(d, a, b, rho, s, pairs, 512, 256, L)[0]
    assert np.max(np.abs(lat - direct)) < 1e-13


def test_sine_of_angle_keeps_its_digits():
    a, b, c = np.array([100.0]), np.array([100.0]), np.array([99.999])
    exact = 1 - (Fraction(99.999) ** 2) / (Fraction(100.0) * Fraction(100.0))
    s = sine_of_angle(a, b, c)[0]
    assert abs(s * s / float(exact) - 1) < 1e-14
    naive = np.sqrt(1 - (c / np.sqrt(a * b)) ** 2)[0]
    assert abs(naive**2 / float(exact) - 1) > 1e-13  # what the plain formula loses


def test_geometric_estimate():
    change = np.array([1e-8, 1e-3, 0.0, 1e-8])
    previous = np.array([1e-4, 2e-3, 0.0, np.inf])
    est = quadrature._geometric(change, previous)
    assert est[0] == pytest.approx(1e-12)
    assert est[1] == 1e-3  # not converging fast: the change itself
    assert est[2] == 0.0
    assert est[3] == 1e-8


def test_the_tolerance_is_honoured():
    W = np.random.default_rng(0).standard_normal((6, 3))
    loose = quadrature_kernels("tanh(z)", tol=1e-6)
    tight = quadrature_kernels("tanh(z)", tol=1e-13)
    K_loose = symhess.kernel_matrices(loose, W)
    K_tight = symhess.kernel_matrices(tight, W)
    assert K_loose.error_estimate <= 1e-6 and K_tight.error_estimate <= 1e-13
    assert K_tight.stats["unit_rule"]["nodes"] >= K_loose.stats["unit_rule"]["nodes"]
    for name in KERNEL_NAMES:  # the loose values are within their own (larger) estimates
        assert np.all(np.abs(K_loose[name] - K_tight[name]) <= K_loose.errors[name] + 1e-13)


def test_refuses_what_it_cannot_resolve(monkeypatch):
    monkeypatch.setattr(quadrature, "MAX_NODES_2D", 20_000)
    a, b, c = np.array([100.0]), np.array([100.0]), np.array([99.0])
    with pytest.raises(SymhessError, match="needs more than 20000") as info:
        evaluator("tanh(5*z)")(a, b, c)
    assert "\n" not in str(info.value)


# ----------------------------------------------------------------------------- the API
def test_cached_and_usable_wherever_an_activation_is():
    K = quadrature_kernels("tanh(z)")
    assert K is quadrature_kernels("tanh(z)")
    assert K is not quadrature_kernels("tanh(z)", tol=1e-10)
    assert resolve("tanh(z)") is K  # the registry's fallback
    t = symhess.sample_teacher(3, 2, seed=0)
    H1 = symhess.hessian(quadrature_kernels("tanh(z)", tol=1e-8), t.W, t.v)
    H2, err = symhess.hessian("tanh(z)", t.W, t.v, with_error=True)
    np.testing.assert_allclose(H1, H2, rtol=0, atol=1e-7)
    assert err.tolerance == 1e-12 and 0 < err.kernel_relative <= 1e-12


def test_pickles_as_its_activation_and_tolerance():
    import pickle

    K = quadrature_kernels("gelu(z)", tol=1e-9)
    back = pickle.loads(pickle.dumps(K))
    assert isinstance(back, QuadratureKernels) and back.tol == 1e-9
    assert back.activation.source == "gelu(z)"


@pytest.mark.parametrize("system", ["fraction", "fmpq"])
def test_exact_systems_are_refused(system):
    t = symhess.sample_teacher(2, 2, seed=0)
    with pytest.raises(SymhessError, match="no exact value") as info:
        symhess.hessian("tanh(z)", t.W, t.v, system=system)
    assert "\n" not in str(info.value)


def test_polynomials_are_not_quadrature():
    from symhess.kernels.quadrature import resolve_quadrature

    with pytest.raises(SymhessError, match="polynomial"):
        QuadratureKernels(activation("z + z**2"))
    assert resolve_quadrature(activation("z + z**2")) is None
    assert isinstance(resolve_quadrature(activation("sin(z)")), QuadratureKernels)


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: quadrature_kernels("tanh(z)", order=301), "no longer takes order"),
        (lambda: quadrature_kernels("tanh(z)", 201), "no longer takes order"),
        (lambda: quadrature_kernels("tanh(z)", rule="trapezoid"), "no longer takes order"),
        (lambda: quadrature_kernels("tanh(z)", tol=1e-15), "tolerance must be in"),
        (lambda: quadrature_kernels("tanh(z)", tol=0.0), "tolerance must be in"),
        (lambda: quadrature_kernels("tanh(z)", tol="x"), "tolerance must be a number"),
        (lambda: quadrature_kernels("tanh(z)", max_terms=100), "max_terms"),
        (lambda: quadrature_kernels("1/tanh(z)"), "not a finite real number at z = 0"),
        (lambda: quadrature_kernels("sqrt(z)"), "not a finite real number at z = -30"),
        (lambda: quadrature_kernels("exp(z**2)"), "not a finite real number"),
        (lambda: quadrature_kernels("abs(z)"), "ReLU family alpha\\*z \\+ beta\\*relu"),
        (lambda: quadrature_kernels("relu(z)*tanh(z)"), "not of the form"),
        (lambda: evaluator("tanh(z)")(1.0, 1.0, 1.5), "not a covariance"),
        (lambda: evaluator("tanh(z)")(-1.0, 1.0, 0.0), "non-negative"),
        (lambda: evaluator("tanh(z)")(np.nan, 1.0, 0.0), "finite"),
    ],
)
def test_bad_input_is_one_line(call, message):
    with pytest.raises(SymhessError, match=message) as info:
        call()
    assert "\n" not in str(info.value)


def test_too_fast_growth_is_refused():
    quad = quadrature_kernels("exp(3*z)")
    assert np.isfinite(quad(0.5, 0.5, 0.1)[0])
    with pytest.raises(SymhessError, match="overflows float64|not decayed"):
        quad(60.0, 60.0, 10.0)


# ----------------------------------------------------------------------------- command
def test_quadrature_command(capsys):
    from symhess.cli import main

    assert main(["quadrature", "tanh(z)", "--a", "1", "--b", "1.44", "--c", "0.6"]) == 0
    out = capsys.readouterr().out
    assert "error estimate" in out and "Mehler" in out and "1e-12" in out
    # K00 from a 25-digit nested mpmath tanh-sinh quadrature: an independent route
    k00 = float(next(line for line in out.splitlines() if line.startswith("K00")).split()[2])
    assert abs(k00 - 0.19942315893937355487) < 1e-13
    assert main(["quadrature", "sigmoid(z)", "--tol", "1e-8"]) == 0
    assert "1e-08" in capsys.readouterr().out
    # the pair: nearly antiparallel rows with large norms take the 2-D rule
    assert main(["quadrature", "tanh(z)", "--a", "43.5", "--b", "38", "--c", "-37.1"]) == 0
    assert "2-D" in capsys.readouterr().out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--tol", "1e-20"], "tolerance must be in"),
        (["--tol", "x"], "--tol must be a number"),
        (["--order", "51"], "unrecognized arguments: --order"),
        (["--c", "5"], "not a covariance"),
        (["--a", "-1"], "not a covariance"),
    ],
)
def test_quadrature_command_bad_input(capsys, argv, message):
    from symhess.cli import main

    assert main(["quadrature", "tanh(z)", *argv]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
