"""Row-space reduction against the dense spectrum and the operator (independent routes)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import symhess
from symhess.curvature import kernel_matrices, operator
from symhess.errors import SymhessError
from symhess.spectra import reduction
from symhess.spectra.extremes import extreme_eigenvalues

CUBIC = "z - z**2/3 + z**3/6"


@pytest.mark.parametrize("act", ["erf(z)", "tanh(z)", CUBIC, "relu(z)"])
@pytest.mark.parametrize("d, h", [(30, 5), (60, 20)])
def test_whole_spectrum_equals_dense(act, d, h):
    """Acceptance: the whole sorted spectrum to 1e-12 of max |lambda|."""
    kern = symhess.resolve(act)
    t = symhess.sample_teacher(d, h, seed=3)
    rs = reduction.reduced_spectrum(kern, t.W, t.v)
    dense = np.linalg.eigvalsh(symhess.hessian(kern, t.W, t.v))
    mine = rs.eigenvalues()
    assert mine.shape == dense.shape == (h * d + h,)
    assert np.max(np.abs(mine - dense)) <= 1e-12 * np.max(np.abs(dense))
    values, counts = rs.values()
    assert counts.sum() == h * d + h and rs.multiplicity == d - h
    assert rs.trace() == pytest.approx(np.trace(symhess.hessian(kern, t.W, t.v)), rel=1e-12)


def test_reduced_matrix_is_the_projected_hessian():
    """T^T H T from the dense H equals the reduced matrix built without H."""
    d, h = 12, 4
    t = symhess.sample_teacher(d, h, seed=1)
    H = symhess.hessian("erf(z)", t.W, t.v)
    K = kernel_matrices(symhess.resolve("erf(z)"), t.W)
    R, A, Q = reduction.reduced_hessian(K, t.W, t.v)
    T = np.zeros((h * d + h, h * h + h))
    T[: h * d, : h * h] = np.kron(np.eye(h), Q)
    T[h * d :, h * h :] = np.eye(h)
    np.testing.assert_allclose(T.T @ H @ T, R, rtol=0, atol=1e-14 * np.abs(H).max())


def test_bulk_vectors_are_eigenvectors_of_the_operator():
    """(u (x) q, 0) with A u = mu u and q orthogonal to every w_i: H x = mu x."""
    d, h = 15, 4
    t = symhess.sample_teacher(d, h, seed=2)
    op = operator("erf(z)", t.W, t.v)
    A = np.multiply.outer(t.v, t.v) * kernel_matrices(symhess.resolve("erf(z)"), t.W)["K11"]
    mu, U = np.linalg.eigh(A)
    q = np.random.default_rng(0).standard_normal(d)
    q -= t.W.T @ np.linalg.lstsq(t.W.T, q, rcond=None)[0]
    q /= np.linalg.norm(q)
    for k in range(h):
        x = np.concatenate([np.kron(U[:, k], q), np.zeros(h)])
        assert np.linalg.norm(op @ x - mu[k] * x) <= 1e-13 * np.abs(A).max()


def test_extremes_from_the_spectrum_and_from_the_reduced_operator():
    d, h = 50, 6
    t = symhess.sample_teacher(d, h, seed=4)
    dense = np.linalg.eigvalsh(symhess.hessian("erf(z)", t.W, t.v))
    rs = reduction.reduced_spectrum("erf(z)", t.W, t.v)
    np.testing.assert_allclose(rs.extremes(7, "largest"), dense[::-1][:7], rtol=1e-12)
    np.testing.assert_allclose(rs.extremes(60, "smallest"), dense[:60], rtol=0, atol=1e-14)
    top, bulk = reduction.reduced_extremes("erf(z)", t.W, t.v, 6, "largest")
    np.testing.assert_allclose(top.eigenvalues, dense[::-1][:6], rtol=1e-10)
    assert top.converged and "reduced operator" in top.method
    # the bulk eigenvalues come d - h = 44 times each: the k = 60 smallest hold two of them
    low, bulk = reduction.reduced_extremes("erf(z)", t.W, t.v, 60, "smallest")
    np.testing.assert_allclose(low.eigenvalues, dense[:60], rtol=1e-9)
    assert bulk.sum() >= d - h
    assert "whole reduced matrix" in low.method and low.products == 0


def test_smallest_from_the_reduced_operator_beyond_the_dense_limit(monkeypatch):
    """Above DENSE_SMALLEST_MAX the smallest come from LOBPCG on the reduced operator."""
    monkeypatch.setattr(reduction, "DENSE_SMALLEST_MAX", 0)
    d, h = 50, 6
    t = symhess.sample_teacher(d, h, seed=4)
    dense = np.linalg.eigvalsh(symhess.hessian("erf(z)", t.W, t.v))
    low, bulk = reduction.reduced_extremes("erf(z)", t.W, t.v, 60, "smallest")
    np.testing.assert_allclose(low.eigenvalues, dense[:60], rtol=1e-9)
    assert bulk.sum() >= d - h
    assert "reduced operator" in low.method and low.products > 0


@pytest.mark.parametrize("act", ["tanh(z)", "relu(z)"])
def test_reduced_operator_products_are_cheaper_and_agree_with_the_full_one(act):
    """relu: its kernel matrices carry the unit directions w_i / |w_i| (the bisector form),
    rotated with the teacher."""
    d, h = 80, 5
    t = symhess.sample_teacher(d, h, seed=7)
    full = extreme_eigenvalues(operator(act, t.W, t.v), 4, "largest")
    red, _ = reduction.reduced_extremes(act, t.W, t.v, 4, "largest")
    np.testing.assert_allclose(red.eigenvalues, full.eigenvalues, rtol=1e-10)


def test_not_used_when_d_le_h():
    assert not reduction.applies(5, 5) and not reduction.applies(6, 5)
    assert reduction.applies(5, 6)
    t = symhess.sample_teacher(5, 5, seed=0)
    with pytest.raises(SymhessError, match="d > h"):
        reduction.reduced_spectrum("erf(z)", t.W, t.v)
    with pytest.raises(SymhessError, match="d > h"):
        reduction.reduced_extremes("erf(z)", t.W, t.v, 3)


def test_rank_deficient_W_still_exact():
    """Two parallel rows: the QR basis contains the row space, the identity still holds."""
    d, h = 10, 3
    t = symhess.sample_teacher(d, h, seed=6)
    W = t.W.copy()
    W[2] = -0.5 * W[0]
    rs = reduction.reduced_spectrum(CUBIC, W, t.v)
    dense = np.linalg.eigvalsh(symhess.hessian(CUBIC, W, t.v))
    assert np.max(np.abs(rs.eigenvalues() - dense)) <= 1e-12 * np.max(np.abs(dense))


def test_memory_is_checked_first(monkeypatch):
    t = symhess.sample_teacher(40, 30, seed=0)
    monkeypatch.setattr(symhess.base.memory, "available_memory", lambda: 10_000)
    with pytest.raises(SymhessError, match="reduced Hessian .* needs"):
        reduction.reduced_spectrum("erf(z)", t.W, t.v)
    assert not reduction.reduced_fits(30, 40)


@settings(max_examples=15, deadline=None)
@given(h=st.integers(1, 4), extra=st.integers(1, 6), seed=st.integers(0, 1000))
def test_identity_for_every_size(h, extra, seed):
    d = h + extra
    t = symhess.sample_teacher(d, h, seed=seed)
    rs = reduction.reduced_spectrum("z + z**2/2 + z**3/6", t.W, t.v)
    dense = np.linalg.eigvalsh(symhess.hessian("z + z**2/2 + z**3/6", t.W, t.v))
    assert np.max(np.abs(rs.eigenvalues() - dense)) <= 1e-12 * max(1.0, np.max(np.abs(dense)))
