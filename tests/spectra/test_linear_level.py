"""The linear Hermite level: Z against finite differences of beta, and the closed forms of
Z^T Z, Z^T H Z and H Z against the formed Z and the dense Hessian."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symhess
from symhess.curvature import operator
from symhess.errors import SymhessError
from symhess.spectra.linear_level import LinearLevel, linear_level_basis

ERF = "erf(z)"
# closed-form kernels (erf, polynomials with and without even parts, a sine) and one
# quadrature activation
FAMILIES = ["erf(z)", "z - z**3/3", "z + z**2/2", "sin(z)", "z + z**2 + z**4/4"]


@pytest.fixture(scope="module")
def kernels():
    return {expr: symhess.resolve(expr) for expr in FAMILIES + ["tanh(z)"]}


def test_linear_level_basis_by_finite_differences():
    """Z = (d beta / d theta)^T with beta = sum_i v_i g(|w_i|^2) w_i and erf's closed form
    g(a) = E[erf'(sqrt(a) x)] = 2 / sqrt(pi (1 + 2a)) - not the kernels."""
    d, h = 4, 3
    t = symhess.sample_teacher(d, h, seed=2)
    Z = linear_level_basis(operator(ERF, t.W, t.v))

    def beta(theta):
        W, v = theta[: h * d].reshape(h, d), theta[h * d :]
        return (v * 2 / np.sqrt(np.pi * (1 + 2 * np.sum(W * W, axis=1)))) @ W

    theta = np.concatenate([t.W.ravel(), t.v])
    eps = 1e-6
    J = np.column_stack(
        [(beta(theta + eps * e) - beta(theta - eps * e)) / (2 * eps) for e in np.eye(theta.size)]
    )
    np.testing.assert_allclose(Z, J.T, atol=1e-8)


def test_the_linear_hermite_level_is_exactly_z_zt():
    """H - Z Z^T is positive semi-definite (the other Hermite degrees), and no larger multiple
    of Z Z^T can be taken out: Z is the degree-1 part, not just some subspace."""
    t = symhess.sample_teacher(8, 8, seed=4)
    H = symhess.hessian(ERF, t.W, t.v)
    Z = linear_level_basis(operator(ERF, t.W, t.v))
    assert np.linalg.eigvalsh(H - Z @ Z.T)[0] > -1e-14 * np.abs(H).max()
    assert np.linalg.eigvalsh(H - 1.05 * Z @ Z.T)[0] < -1e-8


def _check(kern, d, h, seed):
    t = symhess.sample_teacher(d, h, seed=seed)
    op = operator(kern, t.W, t.v)
    level = LinearLevel(op)
    Z = linear_level_basis(op)
    H = symhess.hessian(kern.activation, t.W, t.v)
    U = np.random.default_rng(seed).standard_normal((d, 3))
    x = np.random.default_rng(seed + 1).standard_normal((op.P, 2))
    scale = np.abs(H).max()
    np.testing.assert_allclose(level.apply(U), Z @ U, rtol=0, atol=1e-14 * np.abs(Z).max() * d)
    np.testing.assert_allclose(level.adjoint(x), Z.T @ x, rtol=0, atol=1e-13 * np.abs(Z).max())
    E = Z.T @ Z
    np.testing.assert_allclose(level.gram(), E, rtol=0, atol=1e-13 * np.abs(E).max())
    F = Z.T @ H @ Z
    np.testing.assert_allclose(level.projected(), F, rtol=0, atol=1e-12 * np.abs(F).max())
    HZU = H @ Z @ U
    np.testing.assert_allclose(level.hessian_apply(U), HZU, rtol=0, atol=1e-13 * scale * d)


@settings(max_examples=25, deadline=None)
@given(
    st.sampled_from(FAMILIES),
    st.integers(1, 7),
    st.integers(1, 7),
    st.integers(0, 2**16),
)
def test_closed_forms_against_the_formed_level(kernels, expr, d, h, seed):
    """Z u, Z^T x, Z^T Z, Z^T H Z and H Z U from the closed forms equal the formed Z times
    the dense Hessian (the Hessian's own route: Stein's reduction, not these formulas)."""
    _check(kernels[expr], d, h, seed)


def test_closed_forms_with_quadrature_kernels(kernels):
    _check(kernels["tanh(z)"], 6, 5, 3)


@pytest.mark.parametrize("expr, bias", [("relu(z)", False), ("erf(z)", True)])
def test_projected_needs_the_kernel_form_without_biases(expr, bias):
    t = symhess.sample_teacher(4, 3, seed=0, bias=bias)
    level = LinearLevel(operator(expr, t.W, t.v, t.b if bias else None))
    with pytest.raises(SymhessError, match="kernel form of the operator, without biases"):
        level.projected()
    with pytest.raises(SymhessError, match="kernel form of the operator, without biases"):
        level.hessian_apply(np.eye(4))


def test_needs_kernels():
    class Bare:
        kernels = None

    with pytest.raises(SymhessError, match="needs the operator's kernels"):
        LinearLevel(Bare())


def test_signs_of_g_by_finite_differences():
    """g(a) = E[sigma'(sqrt(a) x)] = 1 - a for z - z**3/3 changes sign at a = 1, and
    g' = -1 where g = 0: Z against finite differences of beta = sum_i v_i (1 - |w_i|^2) w_i."""
    d, h = 6, 5
    t = symhess.sample_teacher(d, h, seed=3)
    W = t.W.copy()
    W[0] *= 2.5 / np.linalg.norm(W[0])  # a = 6.25
    W[1] *= 1.0 / np.linalg.norm(W[1])  # a = 1: g = 0
    Z = linear_level_basis(operator("z - z**3/3", W, t.v))

    def beta(theta):
        Wt, vt = theta[: h * d].reshape(h, d), theta[h * d :]
        return (vt * (1 - np.sum(Wt * Wt, axis=1))) @ Wt

    theta = np.concatenate([W.ravel(), t.v])
    eps = 1e-6
    J = np.column_stack(
        [(beta(theta + eps * e) - beta(theta - eps * e)) / (2 * eps) for e in np.eye(theta.size)]
    )
    # Z is defined up to one sign common to all units
    sign = np.sign(np.sum(Z * J.T))
    np.testing.assert_allclose(sign * Z, J.T, atol=1e-7)
    H = symhess.hessian("z - z**3/3", W, t.v)
    assert np.linalg.eigvalsh(H - Z @ Z.T)[0] > -1e-12 * np.abs(H).max()
