"""Hessians with biases against independent routes: the gradient expanded as a polynomial in
x (exact, biases included), Monte Carlo (4e6 samples, 5 standard errors), central finite
differences of the population loss; b = 0 against the bias-free Hessian bit for bit; the
operator, trace and diagonal against the dense matrix; bad biases refused in one line."""

from fractions import Fraction

import mpmath
import numpy as np
import pytest
import scipy.special

from symhess.base import systems
from symhess.curvature import hessian, hessian_trace, operator
from symhess.errors import SymhessError
from symhess.kernels import quadrature_kernels, resolve
from tests.bias_oracles import (
    fd_hessian,
    hessian_by_expansion,
    monte_carlo_hessian,
)

POLYS = [
    ("z**2", [0, 0, 1]),
    ("z + z**2", [0, 1, 1]),
    ("1/3 - z + z**2/2 + 2*z**3/5", [Fraction(1, 3), -1, Fraction(1, 2), Fraction(2, 5)]),
    ("z**3", [0, 0, 0, 1]),
    ("z + z**3", [0, 1, 0, 1]),
    (
        "-1/2 + z/3 + 2*z**2/3 - z**3/5 + z**4/7",
        [Fraction(-1, 2), Fraction(1, 3), Fraction(2, 3), Fraction(-1, 5), Fraction(1, 7)],
    ),
    ("z**4", [0, 0, 0, 0, 1]),
]


def dyadic_teacher(d, h, seed, bits=8, bias_scale=None):
    """A random teacher with biases (variance 1/d), entries multiples of 2^-bits."""
    rng = np.random.default_rng(seed)

    def snap(x):
        n = np.round(x * 2**bits)
        return np.where(n == 0, 1.0, n) / 2**bits

    scale = np.sqrt(1 / d) if bias_scale is None else bias_scale
    return (
        snap(rng.normal(size=(h, d)) / np.sqrt(d)),
        snap(rng.normal(size=h) / np.sqrt(h)),
        snap(rng.normal(size=h) * scale),
    )


@pytest.mark.parametrize("spec,coeffs", POLYS)
@pytest.mark.parametrize("d,h", [(1, 3), (2, 2), (3, 4), (5, 5), (4, 1)])
def test_polynomial_hessian_equals_the_gradient_expansion(spec, coeffs, d, h):
    W, v, b = dyadic_teacher(d, h, seed=10 * d + h)
    want = hessian_by_expansion(coeffs, W.tolist(), v.tolist(), b.tolist())
    assert np.array_equal(hessian(spec, W, v, b, system="fmpq"), want)  # exact
    H = hessian(spec, W, v, b)
    ref = want.astype(float)
    assert np.max(np.abs(H - ref)) <= 1e-12 * np.max(np.abs(ref))
    assert np.array_equal(H, H.T)


def test_polynomial_hessian_in_fraction_and_mpmath():
    spec, coeffs = POLYS[2]
    W, v, b = dyadic_teacher(3, 3, seed=7)
    want = hessian_by_expansion(coeffs, W.tolist(), v.tolist(), b.tolist())
    Hq = hessian(spec, W, v, b, system="fraction")
    assert all(Fraction(int(w.p), int(w.q)) == x for w, x in zip(want.flat, Hq.flat, strict=True))
    with mpmath.workdps(40):
        Hm = hessian(spec, W, v, b, system="mpmath")
        err = max(
            abs(x - mpmath.mpf(int(w.p)) / int(w.q))
            for w, x in zip(want.flat, Hm.flat, strict=True)
        )
    assert err < mpmath.mpf(10) ** -35


ZERO_SPECS = ["z + z**2/2 - z**3/3", "erf(z)", "erf(z/sqrt(2))", "2*erf(3*z)", "relu(z)", "abs(z)"]


@pytest.mark.parametrize(
    "spec,system",
    [(s, system) for s in ZERO_SPECS for system in ("float64", "mpmath")]
    + [("z + z**2/2 - z**3/3", "fmpq")],  # closed forms have no exact kernels
)
def test_zero_biases_give_the_bias_free_blocks_bit_for_bit(spec, system):
    W, v, _ = dyadic_teacher(3, 4, seed=1)
    with mpmath.workdps(30):
        H0 = hessian(spec, W, v, system=system)
        H = hessian(spec, W, v, np.zeros(4), system=system)
    P0 = H0.shape[0]
    assert H.shape == (P0 + 4, P0 + 4)
    if system == "float64":
        # compared as bits: even the signs of zeros agree
        assert np.array_equal(H[:P0, :P0].view(np.uint64), H0.view(np.uint64))
        op0, op = operator(spec, W, v), operator(spec, W, v, np.zeros(4))
        x = np.random.default_rng(0).normal(size=P0)
        y = op @ np.concatenate([x, np.zeros(4)])
        assert np.array_equal(y[:P0].view(np.uint64), (op0 @ x).view(np.uint64))
    else:
        assert all(x == y for x, y in zip(H[:P0, :P0].flat, H0.flat, strict=True))


SIGMAS = {
    "erf(z)": (scipy.special.erf, lambda z: 2 / np.sqrt(np.pi) * np.exp(-z * z)),
    "relu(z)": (lambda z: np.maximum(z, 0), lambda z: (z > 0) * 1.0),
}


@pytest.mark.parametrize("spec,d,h", [("erf(z)", 3, 3), ("relu(z)", 2, 3)])
def test_against_monte_carlo(spec, d, h):
    rng = np.random.default_rng(d + h)
    W = rng.normal(size=(h, d)) / np.sqrt(d)
    v = rng.normal(size=h) / np.sqrt(h)
    b = rng.normal(size=h) * 0.8
    H = hessian(spec, W, v, b)
    n = 4_000_000
    mean, se = monte_carlo_hessian(*SIGMAS[spec], W, v, b, n=n, seed=100)
    # an entry whose integrand lives on a region few samples reach has a poor standard
    # error; the rule of three bounds what no sample saw by ~3/n of the scale
    floor = 10 / n * np.max(np.abs(H))
    assert np.all(np.abs(H - mean) <= 5 * se + floor)


@pytest.mark.parametrize(
    "spec,tol",
    [("erf(z)", 1e-6), ("z - z**2/2 + z**3/4", 1e-6), ("relu(z)", 1e-3), ("abs(z)", 1e-3)],
)
def test_against_finite_differences_of_the_population_loss(spec, tol):
    # erf and polynomials: error O(step^2) + rounding; the ReLU family: O(step) (its loss is
    # C^2 but not C^3 at the optimum)
    rng = np.random.default_rng(11)
    d, h = 3, 2
    W = rng.normal(size=(h, d)) / np.sqrt(d)
    v = rng.normal(size=h) / np.sqrt(h)
    b = rng.normal(size=h) * 0.8
    H = hessian(spec, W, v, b)
    F = fd_hessian(resolve(spec), W, v, b, 1e-4)
    assert np.max(np.abs(F - H)) <= tol * np.max(np.abs(H))


def test_smooth_activation_by_quadrature_with_biases():
    # tanh: against central differences of its population loss (step 1e-3: truncation ~1e-6,
    # the kernels' 1e-12 over step^2 ~1e-6); erf by quadrature: within the stated error bound
    # of the closed form, bias blocks included
    rng = np.random.default_rng(5)
    d, h = 3, 2
    W = rng.normal(size=(h, d)) / np.sqrt(d)
    v = rng.normal(size=h) / np.sqrt(h)
    b = rng.normal(size=h) * 0.8
    H, err = hessian("tanh(z)", W, v, b, with_error=True)
    assert H.shape == (h * d + 2 * h,) * 2 and 0 < err.kernel < 1e-10
    F = fd_hessian(resolve("tanh(z)"), W, v, b, 1e-3)
    assert np.max(np.abs(F - H)) <= 1e-4 * np.max(np.abs(H))
    Hq, eq = hessian(quadrature_kernels("erf(z)"), W, v, b, with_error=True)
    He = hessian("erf(z)", W, v, b)
    assert 0 < np.linalg.norm(Hq - He, 2) <= eq.bound


@pytest.mark.parametrize(
    "spec,d", [("erf(z)", 4), ("relu(z)", 4), ("leaky_relu(z, 0.2)", 1), ("z + z**3", 4)]
)
def test_operator_trace_and_diagonal_match_the_dense_hessian(spec, d):
    rng = np.random.default_rng(3)
    h = 3
    W = rng.normal(size=(h, d)) / np.sqrt(d)
    v = rng.normal(size=h) / np.sqrt(h)
    b = rng.normal(size=h) * 0.5
    H = hessian(spec, W, v, b)
    op = operator(spec, W, v, b)
    assert op.shape == H.shape == (h * d + 2 * h,) * 2
    X = rng.normal(size=(H.shape[0], 5))
    assert np.max(np.abs(op @ X - H @ X)) <= 1e-13 * np.max(np.abs(H @ X))
    x = X[:, 0]
    assert np.max(np.abs(op @ x - H @ x)) <= 1e-13 * np.max(np.abs(H @ x))
    np.testing.assert_allclose(op.diagonal(), np.diag(H), rtol=1e-13, atol=1e-15)
    assert abs(op.trace() - np.trace(H)) <= 1e-13 * abs(np.trace(H))
    assert abs(hessian_trace(spec, W, v, b) - np.trace(H)) <= 1e-13 * abs(np.trace(H))


def test_relu_with_parallel_rows_agrees_across_systems_and_the_operator():
    # parallel and antiparallel rows (the degenerate pairs, whose kernels are checked
    # against 1-D integrals in tests/kernels/test_means.py): float64, mpmath and the operator
    # take different branches of the assembly and must agree
    W = np.array([[1.0, 0.5], [2.0, 1.0], [-0.5, -0.25], [0.3, -0.7]])
    v = np.array([0.7, -0.4, 0.5, 0.9])
    b = np.array([0.2, -0.3, 0.1, 0.05])
    H = hessian("relu(z)", W, v, b)
    with mpmath.workdps(30):
        Hm = hessian("relu(z)", W, v, b, system="mpmath")
    assert np.max(np.abs(systems.array(Hm, "float64") - H)) <= 1e-14 * np.max(np.abs(H))
    op = operator("relu(z)", W, v, b)
    X = np.random.default_rng(0).normal(size=(H.shape[0], 3))
    assert np.max(np.abs(op @ X - H @ X)) <= 1e-13 * np.max(np.abs(H @ X))


@pytest.mark.parametrize(
    "b,message",
    [
        (np.zeros(3), "length h = 2"),
        (np.array([0.0, np.nan]), "NaN"),
        (np.array([0.0, np.inf]), "NaN or infinite"),
        (np.zeros((2, 1)), "vector"),
        (np.array(["a", "b"]), "real numbers"),
    ],
)
def test_bad_biases_are_refused_in_one_line(b, message):
    W, v = np.ones((2, 3)), np.ones(2)
    for build in (hessian, operator):
        with pytest.raises(SymhessError, match=message) as err:
            build("z**2", W, v, b)
        assert "\n" not in str(err.value)


def test_activation_without_kernels_with_means_is_refused_in_one_line():
    from symhess.kernels import Kernels

    k = resolve("erf(z)")
    plain = Kernels(k.activation, "a test module", lambda a, b, c, s: k(a, b, c), k._coefficients)
    with pytest.raises(SymhessError, match="no kernels with means"):
        hessian(plain, np.ones((2, 3)), np.ones(2), np.zeros(2))
