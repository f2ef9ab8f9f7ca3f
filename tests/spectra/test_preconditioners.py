"""The structure behind the smallest-eigenvalue route, each fact against an independent route,
and the route itself against dense LAPACK at P ~ 2000."""

from __future__ import annotations

import numpy as np
import pytest

import symhess
from symhess.curvature import operator
from symhess.errors import SymhessError
from symhess.spectra.extremes import extreme_eigenvalues
from symhess.spectra.linear_level import linear_level_basis
from symhess.spectra.preconditioners import HermitePreconditioner, UnitBlockPreconditioner

ERF = "erf(z)"


def test_v_scaling_structure():
    """H = D Ht D with Ht independent of v: dense Hessians for two v agree once unscaled."""
    d, h = 4, 3
    t = symhess.sample_teacher(d, h, seed=0)
    v2 = np.array([0.7, -1e-3, 2.0])
    H1, H2 = (symhess.hessian(ERF, t.W, v) for v in (t.v, v2))
    D1, D2 = (np.concatenate([np.repeat(v, d), np.ones(h)]) for v in (t.v, v2))
    np.testing.assert_allclose(H1 / np.outer(D1, D1), H2 / np.outer(D2, D2), rtol=1e-12, atol=1e-14)


def test_unit_block_preconditioner_inverts_the_diagonal_blocks():
    d, h = 5, 4
    t = symhess.sample_teacher(d, h, seed=1)
    H = symhess.hessian(ERF, t.W, t.v)
    M = np.zeros_like(H)
    for i in range(h):
        s = slice(i * d, (i + 1) * d)
        M[s, s] = H[s, s]
    M[h * d :, h * d :] = H[h * d :, h * d :]
    T = UnitBlockPreconditioner(operator(ERF, t.W, t.v)) @ np.eye(h * d + h)
    np.testing.assert_allclose(T @ M, np.eye(h * d + h), atol=1e-9)


def test_hermite_preconditioner_is_the_woodbury_inverse():
    n = 7
    t = symhess.sample_teacher(n, n, seed=5)
    op = operator(ERF, t.W, t.v)
    H = symhess.hessian(ERF, t.W, t.v)
    Z = linear_level_basis(op)
    rest = H - Z @ Z.T
    R = np.zeros_like(H)
    for i in range(n):
        s = slice(i * n, (i + 1) * n)
        R[s, s] = rest[s, s]
    R[n * n :, n * n :] = rest[n * n :, n * n :]
    dense = np.linalg.inv(R + Z @ Z.T)
    mine = HermitePreconditioner(op) @ np.eye(op.P)
    np.testing.assert_allclose(mine, dense, rtol=0, atol=1e-12 * np.abs(dense).max())
    # and it is a good one: the preconditioned spectrum is narrow (Jacobi leaves ~6,500)
    ev = np.linalg.eigvals(mine @ H).real
    assert ev.max() / ev.min() < 200


def test_hermite_needs_a_nonlinear_activation_and_nonzero_v():
    t = symhess.sample_teacher(6, 6, seed=0)
    with pytest.raises(SymhessError, match="non-linear"):
        HermitePreconditioner(operator("z", t.W, t.v))
    v = t.v.copy()
    v[2] = 0.0
    with pytest.raises(SymhessError, match="v_i != 0"):
        HermitePreconditioner(operator(ERF, t.W, v))


def test_smallest_equal_dense_at_p_2000():
    """Acceptance: d = h = 44 (P = 1,980), the 10 smallest erf eigenvalues (4e-6 .. of a
    largest ~2) to 1e-10 relative of dense LAPACK eigvalsh, with the residual stated."""
    t = symhess.sample_teacher(44, 44, seed=0)
    op = operator(ERF, t.W, t.v)
    res = extreme_eigenvalues(op, 10, "smallest")
    dense = np.linalg.eigvalsh(symhess.hessian(ERF, t.W, t.v))[:10]
    assert "Hermite" in res.method and res.converged and res.relative_residual <= 1e-6
    np.testing.assert_allclose(res.eigenvalues, dense, rtol=1e-10)
    # the old route, for comparison: ten times the products
    assert res.products < 3000
