"""The matrix-free Hessian operator against the dense Hessian and independent routes."""

from __future__ import annotations

import importlib
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symhess
from symhess.curvature.dense import assemble
from symhess.curvature.matrix_free import (
    HessianOperator,
    check_operator_memory,
    hessian_trace,
    kernel_matrices_bounded,
    operator,
)
from symhess.errors import SymhessError

from ..oracles import hessian_by_expansion

# The module itself (``symhess.operator`` may name the function once exported).
op_module = importlib.import_module("symhess.curvature.matrix_free")

ACTIVATIONS = ["z", "z + z**2/2", "0.3 - z + 0.5*z**3 + z**4/7", "z**8/40 - z**5 + 2", "erf(z)"]
SIZES = [(1, 1), (3, 5), (7, 2), (20, 20), (20, 7), (6, 20)]


def kernels_or_skip(expr):
    try:
        return symhess.resolve(expr)
    except SymhessError as exc:
        pytest.skip(f"no kernels for {expr} yet: {exc}")


def rel(a, b):
    return np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300)


@pytest.mark.parametrize("expr", ACTIVATIONS)
@pytest.mark.parametrize("d, h", SIZES)
def test_equals_dense_hessian(expr, d, h):
    kern = kernels_or_skip(expr)
    t = symhess.sample_teacher(d, h, seed=10 * d + h)
    H = symhess.hessian(kern.activation, t.W, t.v)
    op = operator(kern, t.W, t.v)
    rng = np.random.default_rng(d * h)
    X = rng.standard_normal((op.P, 3))
    assert op.shape == H.shape and op.dtype == np.float64
    assert rel(op @ X, H @ X) < 1e-12
    assert rel(op.matvec(X[:, 0]), H @ X[:, 0]) < 1e-12
    assert rel(op.rmatvec(X[:, 1]), H @ X[:, 1]) < 1e-12
    assert op.products == 5


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    coeffs=st.lists(
        st.fractions(min_value=-2, max_value=2, max_denominator=5), min_size=2, max_size=5
    ),
    d=st.integers(1, 4),
    h=st.integers(1, 4),
    seed=st.integers(0, 2**16),
)
def test_equals_polynomial_expansion(coeffs, d, h, seed):
    """Independent of the dense assembly: H = J G J^T from expanded gradients."""
    if all(c == 0 for c in coeffs[1:]):
        coeffs[1] = Fraction(1)
    t = symhess.sample_teacher(d, h, seed=seed)
    ref = hessian_by_expansion(coeffs, t.W, t.v)
    x = np.random.default_rng(seed).standard_normal(ref.shape[0])
    got = operator(coeffs, t.W, t.v) @ x
    assert np.linalg.norm(got - ref @ x) <= 1e-12 * max(np.linalg.norm(ref) * np.linalg.norm(x), 1)


@pytest.mark.parametrize("d, h", [(1, 1), (4, 3), (9, 12)])
def test_any_kernel_matrices(d, h):
    """The algebra holds for any kernel values with the kernels' symmetries, not only for
    those of a real activation."""
    rng = np.random.default_rng(d + h)
    W = rng.standard_normal((h, d))
    v = rng.standard_normal(h)
    K = {}
    for name in ("K00", "K11", "K22"):
        M = rng.standard_normal((h, h))
        K[name] = M + M.T
    K["K20"] = rng.standard_normal((h, h))
    K["K31"] = rng.standard_normal((h, h))
    K["K13"] = K["K31"].T.copy()
    H = assemble(K, W, v)
    X = rng.standard_normal((H.shape[0], 4))
    assert rel(HessianOperator(K, W, v) @ X, H @ X) < 1e-12


def test_linear_network_at_scale():
    """sigma = z, P = 90,300 (dense would need 65 GB): paper eqs. 8-10 give H x directly."""
    d = h = 300
    t = symhess.sample_teacher(d, h, seed=4)
    W, v = t.W, t.v
    op = operator("z", W, v)
    rng = np.random.default_rng(0)
    x = rng.standard_normal(op.P)
    X, y = x[: h * d].reshape(h, d), x[h * d :]
    # H_WW = (v v^T) kron I, H_Wv[(i,j),k] = v_i W_kj, H_vv = W W^T
    ref_W = np.outer(v, v @ X) + np.outer(v, W.T @ y)
    ref_v = W @ (X.T @ v) + W @ (W.T @ y)
    assert rel(op @ x, np.concatenate([ref_W.ravel(), ref_v])) < 1e-12


def test_symmetric():
    t = symhess.sample_teacher(30, 25, seed=2)
    op = operator("z - z**3/3 + z**2/5", t.W, t.v)
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((2, op.P))
    assert abs(x @ (op @ y) - y @ (op @ x)) < 1e-12 * np.linalg.norm(op @ x) * np.linalg.norm(y)
    assert op.T is op and op.H is op


@pytest.mark.parametrize("expr", ACTIVATIONS)
def test_trace_and_diagonal_exact(expr):
    kern = kernels_or_skip(expr)
    t = symhess.sample_teacher(9, 11, seed=3)
    H = symhess.hessian(kern.activation, t.W, t.v)
    op = operator(kern, t.W, t.v)
    exact = np.trace(H)
    assert abs(op.trace() - exact) <= 1e-13 * abs(exact)
    assert abs(hessian_trace(kern, t.W, t.v) - exact) <= 1e-13 * abs(exact)
    np.testing.assert_allclose(op.diagonal(), np.diag(H), rtol=1e-13, atol=1e-15)


def test_trace_takes_linear_time_and_memory():
    """h = 200,000: one h x h kernel matrix alone would need 320 GB. sigma = z has
    trace(H) = d |v|^2 + |W|_F^2 (paper eqs. 8-10)."""
    t = symhess.sample_teacher(3, 200_000, seed=0)
    got = hessian_trace("z", t.W, t.v)
    assert got == pytest.approx(3 * t.v @ t.v + np.sum(t.W**2), rel=1e-12)


def test_block_products_in_slices(monkeypatch):
    t = symhess.sample_teacher(8, 6, seed=5)
    op = operator("1 + z**3", t.W, t.v)
    X = np.random.default_rng(2).standard_normal((op.P, 7))
    whole = op @ X
    monkeypatch.setattr(op_module, "_MATMAT_BUDGET", 1)
    assert op.block_size() == 1
    np.testing.assert_allclose(op @ X, whole, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("expr", ["z + z**2/2 - z**4", "erf(z)"])
def test_kernel_matrices_in_row_blocks(monkeypatch, expr):
    kern = kernels_or_skip(expr)
    t = symhess.sample_teacher(5, 13, seed=6)
    whole = symhess.kernel_matrices(kern, t.W)
    monkeypatch.setattr(
        symhess.curvature.matrices, "KERNEL_EVAL_MATRICES", 10**12
    )  # forces one row a block
    blocked = kernel_matrices_bounded(kern, t.W)
    for name, K in whole.items():
        np.testing.assert_allclose(blocked[name], K, rtol=1e-13, atol=1e-15)
    for name in ("K00", "K11", "K22"):
        assert np.array_equal(blocked[name], blocked[name].T)
    assert np.array_equal(blocked["K13"], blocked["K31"].T)


def test_complex_vectors_by_linearity():
    t = symhess.sample_teacher(4, 3, seed=8)
    op = operator("z**2", t.W, t.v)
    rng = np.random.default_rng(3)
    a, b = rng.standard_normal((2, op.P))
    np.testing.assert_allclose(op @ (a + 1j * b), op @ a + 1j * (op @ b), rtol=1e-14)


@pytest.mark.parametrize(
    "x, message",
    [
        (np.array([1.0, np.nan] + [0.0] * 18), "NaN or infinite"),
        (np.array([np.inf] + [0.0] * 19), "NaN or infinite"),
        (np.array(["a"] * 20), "real numbers"),
    ],
)
def test_bad_vectors(x, message):
    t = symhess.sample_teacher(4, 4, seed=0)
    op = operator("z", t.W, t.v)
    with pytest.raises(SymhessError, match=message):
        op._matmat(x.reshape(-1, 1))
    if x.dtype.kind == "f":
        with pytest.raises(SymhessError, match=message):
            op.matvec(x)


def test_wrong_length():
    t = symhess.sample_teacher(4, 4, seed=0)
    op = operator("z", t.W, t.v)
    with pytest.raises((SymhessError, ValueError)):
        op.matvec(np.ones(7))
    with pytest.raises(SymhessError, match="P = 20"):
        op._matmat(np.ones((7, 1)))


def test_kernels_that_would_not_fit_are_refused_before_allocating():
    with pytest.raises(SymhessError, match="GiB"):
        check_operator_memory(2_000_000, 10)


def test_exact_weights_refused():
    W = np.array([[Fraction(1, 2)]], dtype=object)
    v = np.array([Fraction(1)], dtype=object)
    with pytest.raises(SymhessError, match="float64"):
        operator("z", W, v)
