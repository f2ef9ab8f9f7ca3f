"""The dense Hessian against independent routes: expansion, Monte Carlo, closed forms, FD."""

from __future__ import annotations

from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symhess
from symhess.curvature.dense import check_memory
from symhess.errors import SymhessError

from ..oracles import hessian_by_expansion, hessian_monte_carlo, population_loss

coefficient = st.fractions(min_value=-3, max_value=3, max_denominator=8)


@st.composite
def polynomial_case(draw, max_degree=4, max_size=5):
    degree = draw(st.integers(1, max_degree))
    coeffs = draw(st.lists(coefficient, min_size=degree + 1, max_size=degree + 1))
    if coeffs[-1] == 0:
        coeffs[-1] = Fraction(1)
    d = draw(st.integers(1, max_size))
    h = draw(st.integers(1, max_size))
    seed = draw(st.integers(0, 2**16))
    return coeffs, d, h, seed


def rel_fro(A, B):
    return np.linalg.norm(A - B) / max(np.linalg.norm(B), 1e-300)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(polynomial_case())
def test_matches_polynomial_expansion(case):
    coeffs, d, h, seed = case
    t = symhess.sample_teacher(d, h, seed=seed)
    H = symhess.hessian(coeffs, t.W, t.v)
    ref = hessian_by_expansion(coeffs, t.W, t.v)
    assert rel_fro(H, ref) < 1e-12


@pytest.mark.parametrize(
    "expr, d, h, seed",
    [("z + z**2/2", 3, 2, 1), ("0.3 - z + 0.5*z**3", 2, 3, 2), ("(z+1)**2 - z**4/4", 2, 2, 3)],
)
def test_matches_monte_carlo(expr, d, h, seed):
    t = symhess.sample_teacher(d, h, seed=seed)
    act = symhess.parse_activation(expr)
    H = symhess.hessian(act, t.W, t.v)
    mean, se = hessian_monte_carlo(act.coefficients, t.W, t.v, n=200_000, seed=seed)
    z = np.abs(H - mean) / (se + 1e-15)
    assert z.max() < 5, f"worst entry off by {z.max():.2f} standard errors"
    # The check has teeth: the same Hessian 2% off fails it.
    assert (np.abs(1.02 * H - mean) / (se + 1e-15)).max() > 5


@pytest.mark.parametrize("d, h", [(1, 1), (3, 5), (6, 2)])
def test_linear_network_is_paper_eqs_8_to_10(d, h):
    t = symhess.sample_teacher(d, h, seed=d * 10 + h)
    W, v = t.W, t.v
    H = symhess.hessian("z", W, v)
    hd = h * d
    np.testing.assert_allclose(H[:hd, :hd], np.kron(np.outer(v, v), np.eye(d)), atol=1e-15)
    np.testing.assert_allclose(H[hd:, hd:], W @ W.T, rtol=1e-14, atol=1e-15)
    # H_Wv[(i, j), k] = v_i W_kj
    np.testing.assert_allclose(
        H[:hd, hd:], (v[:, None, None] * W.T[None, :, :]).reshape(hd, h), atol=1e-15
    )


@pytest.mark.parametrize(
    "expr, d, h", [("z + z**2/2", 2, 2), ("1 - z + z**3/3", 3, 2), ("z**2 + z**4/5", 2, 3)]
)
def test_finite_differences_of_population_loss(expr, d, h):
    """Second differences of L (built from K00 alone) in 40-digit arithmetic equal H."""
    t = symhess.sample_teacher(d, h, seed=7)
    H = symhess.hessian(expr, t.W, t.v)
    kern = symhess.resolve(expr)
    with mpmath.workdps(40):
        W0 = np.array([[mpmath.mpf(float(x)) for x in row] for row in t.W], dtype=object)
        v0 = np.array([mpmath.mpf(float(x)) for x in t.v], dtype=object)

        def K00(a, b, c):
            return kern(a, b, c, "mpmath")[0]

        theta0 = np.concatenate([W0.reshape(-1), v0])
        P = theta0.size
        eps = mpmath.mpf("1e-12")

        def loss(theta):
            W = theta[: h * d].reshape(h, d)
            return population_loss(K00, W, theta[h * d :], W0, v0)

        assert abs(loss(theta0)) < mpmath.mpf("1e-35")
        fd = np.zeros((P, P))
        for a in range(P):
            for b in range(a, P):
                total = 0
                for sa, sb, sign in ((1, 1, 1), (1, -1, -1), (-1, 1, -1), (-1, -1, 1)):
                    theta = theta0.copy()
                    theta[a] += sa * eps
                    theta[b] += sb * eps
                    total += sign * loss(theta)
                fd[a, b] = fd[b, a] = float(total / (4 * eps * eps))
    assert rel_fro(H, fd) < 1e-12


@pytest.mark.parametrize("d, h", [(1, 1), (2, 7), (5, 3), (13, 11), (31, 17)])
def test_exactly_symmetric(d, h):
    t = symhess.sample_teacher(d, h, seed=3)
    H = symhess.hessian("0.5 + z - z**2 + 0.3*z**3 + z**4/7", t.W, t.v)
    assert np.array_equal(H, H.T)


def test_exact_and_mpmath_agree_with_float():
    t = symhess.sample_teacher(3, 4, seed=11)
    expr = "1/3 + z - z**2/2 + z**3/5"
    H = symhess.hessian(expr, t.W, t.v)
    Hq = symhess.hessian(expr, t.W, t.v, system="fmpq")
    Hf = symhess.hessian(expr, t.W, t.v, system="fraction")
    assert np.array_equal(Hq, Hq.T)
    assert all(Fraction(int(x.p), int(x.q)) == y for x, y in zip(Hq.flat, Hf.flat, strict=True))
    with mpmath.workdps(50):
        Hm = symhess.hessian(expr, t.W, t.v, system="mpmath")
        gap = max(
            abs(x - mpmath.mpf(y.numerator) / y.denominator)
            for x, y in zip(Hm.flat, Hf.flat, strict=True)
        )
        assert gap < mpmath.mpf("1e-45")
    exact = np.array([float(x) for x in Hf.flat]).reshape(H.shape)
    assert rel_fro(H, exact) < 1e-14


def test_parameter_order_is_paper_order():
    """W[i, j] is parameter i*d + j, then v: checked on a single entry by hand."""
    d, h = 3, 2
    t = symhess.sample_teacher(d, h, seed=5)
    H = symhess.hessian("z**2", t.W, t.v)
    # sigma = z^2: H_vv[i,k] = E[z_i^2 z_k^2] = a b + 2 c^2
    C = t.W @ t.W.T
    assert H[h * d + 0, h * d + 1] == pytest.approx(C[0, 0] * C[1, 1] + 2 * C[0, 1] ** 2)
    # H_Wv[(1, 2), 0] = v_1 (W_12 K20 + W_02 K11), K20 = E[2 z_0^2] = 2 C00... at [i=1,k=0]
    i, j, k = 1, 2, 0
    K20 = 2 * C[k, k]
    K11 = 4 * C[i, k]
    assert H[i * d + j, h * d + k] == pytest.approx(t.v[i] * (t.W[i, j] * K20 + t.W[k, j] * K11))


@pytest.mark.parametrize(
    "W, v, message",
    [
        (np.ones((2, 3)), np.ones(3), "2 rows"),
        (np.ones(3), np.ones(3), "h x d"),
        (np.ones((2, 3)), np.ones((2, 1)), "vector"),
        (np.array([[1.0, np.nan]]), np.ones(1), "NaN"),
        (np.ones((1, 2)), np.array([np.inf]), "infinite"),
        (np.zeros((0, 2)), np.ones(0), "non-empty"),
    ],
)
def test_bad_weights(W, v, message):
    with pytest.raises(SymhessError, match=message):
        symhess.hessian("z", W, v)


def test_memory_is_checked_before_allocating():
    with pytest.raises(SymhessError, match="GiB"):
        check_memory(1000, 1000)
