"""Extreme eigenvalues from the operator against dense LAPACK eigenvalues."""

from __future__ import annotations

import importlib
import warnings

import numpy as np
import pytest
from scipy.sparse.linalg import LinearOperator

import symhess
from symhess.curvature import operator
from symhess.errors import SymhessError
from symhess.spectra.extremes import extreme_eigenvalues

extremes_module = importlib.import_module("symhess.spectra.extremes")


def _generic(op):
    """The operator seen as any LinearOperator: no kernels, no linear level."""
    return LinearOperator(op.shape, matvec=op.matvec, matmat=op.matmat, dtype=np.float64)


def case(expr, d, h, seed=0):
    try:
        kern = symhess.resolve(expr)
    except SymhessError as exc:
        pytest.skip(f"no kernels for {expr} yet: {exc}")
    t = symhess.sample_teacher(d, h, seed=seed)
    exact = np.linalg.eigvalsh(symhess.hessian(kern.activation, t.W, t.v))
    return operator(kern, t.W, t.v), exact


@pytest.mark.parametrize("expr", ["z + z**2/2", "erf(z)", "z - z**3/3"])
def test_largest_by_lanczos(expr):
    """A generic operator (no kernels, no linear level) goes to ARPACK."""
    op, exact = case(expr, 30, 30)  # P = 930: ARPACK, not the dense fallback
    res = extreme_eigenvalues(_generic(op), 6, "largest")
    assert res.method.startswith("ARPACK") and res.converged
    np.testing.assert_allclose(res.eigenvalues, exact[::-1][:6], rtol=1e-10)
    assert res.residual < 1e-8
    assert 0 < res.products < 200
    assert np.all(np.diff(res.eigenvalues) <= 0)


@pytest.mark.parametrize(
    "expr, d, h",
    [
        ("erf(z)", 44, 44),  # P = 1,980
        ("erf(z)", 30, 60),
        ("tanh(z)", 40, 40),
        ("z + 0.1*tanh(z)", 48, 40),
        ("sin(z)", 36, 36),
    ],
)
def test_largest_by_the_linear_level(expr, d, h):
    """The linear-level route against dense eigvalsh at P ~ 2000: 1e-10 relative, with the
    residuals it reports equal to ||H u - lambda u|| recomputed by the operator."""
    op, exact = case(expr, d, h)
    res = extreme_eigenvalues(op, 10, "largest")
    assert res.method.startswith("Rayleigh-Ritz on the linear Hermite level"), res.method
    assert res.converged and res.relative_residual <= 1e-10
    np.testing.assert_allclose(res.eigenvalues, exact[::-1][:10], rtol=1e-10)
    U = res.vectors
    np.testing.assert_allclose(U.T @ U, np.eye(10), atol=1e-12)
    norms = np.linalg.norm(op @ U - U * res.eigenvalues, axis=0)
    assert np.max(norms / np.abs(res.eigenvalues)) <= 1e-10


@pytest.mark.parametrize(
    "expr, bias, why",
    [
        ("z**2", False, "g = 0: no linear level"),
        ("relu(z)", False, "bisector form"),
        ("erf(z)", True, "bias blocks"),
    ],
)
def test_largest_without_a_linear_level_go_to_arpack(expr, bias, why):
    t = symhess.sample_teacher(30, 30, seed=1, bias=bias)
    op = operator(expr, t.W, t.v, t.b if bias else None)
    H = symhess.hessian(expr, t.W, t.v, t.b if bias else None)
    res = extreme_eigenvalues(op, 5, "largest")
    assert res.method.endswith("ARPACK eigsh (Lanczos, ncv = 30)"), why
    if expr == "z**2":
        assert res.method.startswith("no linear Hermite level (Z = 0)")
    np.testing.assert_allclose(res.eigenvalues, np.linalg.eigvalsh(H)[::-1][:5], rtol=1e-10)


@pytest.mark.parametrize("expr", ["erf(z)", "z + z**2/2", "z - z**3/3"])
def test_linear_level_hands_over_to_arpack(monkeypatch, expr):
    """A route that has not converged after its blocks (erf with one block) or whose top is
    not the linear level (polynomials with large higher Hermite degrees) says so, and ARPACK
    finishes the job."""
    if expr == "erf(z)":
        monkeypatch.setattr(extremes_module, "_LEVEL_ITERATIONS", 1)
    op, exact = case(expr, 30, 30)
    res = extreme_eigenvalues(op, 6, "largest")
    assert res.method.startswith("the linear-level route stopped at relative residual")
    assert "ARPACK" in res.method and res.converged
    np.testing.assert_allclose(res.eigenvalues, exact[::-1][:6], rtol=1e-10)


@pytest.mark.parametrize("expr, d, h", [("erf(z)", 25, 24), ("z - z**3/3", 25, 24)])
def test_smallest_by_preconditioned_lobpcg(expr, d, h):
    """erf's smallest eigenvalues are ~1e-7 of the largest: found to 1e-12 absolute."""
    op, exact = case(expr, d, h)
    res = extreme_eigenvalues(op, 3, "smallest")
    assert "LOBPCG" in res.method and res.converged
    np.testing.assert_allclose(res.eigenvalues, exact[:3], rtol=0, atol=1e-12 * exact[-1])
    assert np.all(np.diff(res.eigenvalues) >= 0)


def test_smallest_of_a_null_space_are_zero():
    op, exact = case("z + z**2/2", 30, 30)
    res = extreme_eigenvalues(op, 4, "smallest")
    assert res.converged
    assert np.abs(res.eigenvalues).max() < 1e-10 * exact[-1]


@pytest.mark.parametrize("which", ["largest", "smallest"])
def test_small_operators_are_solved_densely(which):
    op, exact = case("z**2 + z", 6, 5)
    res = extreme_eigenvalues(op, 35, which)  # k = P
    assert res.method.startswith("dense")
    ref = exact[::-1] if which == "largest" else exact
    np.testing.assert_allclose(res.eigenvalues, ref, rtol=1e-12, atol=1e-13 * exact[-1])


def test_counts_products():
    op, _ = case("erf(z)", 30, 30)
    before = op.products
    res = extreme_eigenvalues(_generic(op), 2, "largest")
    # The solver's products plus one block of k for the residuals.
    assert op.products - before == res.products + 2
    before = op.products
    res = extreme_eigenvalues(op, 2, "largest")
    # The linear-level route knows its residuals: no block on top.
    assert "linear Hermite level" in res.method
    assert op.products - before == res.products


def test_not_converged_is_reported():
    op, _ = case("erf(z)", 25, 24)
    res = extreme_eigenvalues(op, 3, "smallest", maxiter=3)
    assert not res.converged and res.residual > 1e-8


@pytest.mark.parametrize(
    "k, which, tol, message",
    [
        (31, "largest", None, "k = 31 exceeds the number of parameters P = 30"),
        (0, "largest", None, "k must be a positive integer"),
        (2.0, "largest", None, "k must be a positive integer"),
        (2, "middle", None, "unknown which"),
        (2, "largest", -1.0, "tol must be positive"),
    ],
)
def test_bad_arguments(k, which, tol, message):
    t = symhess.sample_teacher(5, 5, seed=0)
    with pytest.raises(SymhessError, match=message):
        extreme_eigenvalues(operator("z", t.W, t.v), k, which, tol=tol)


def test_memory_is_estimated_before_solving(monkeypatch):
    t = symhess.sample_teacher(30, 30, seed=0)
    op = operator("z", t.W, t.v)
    monkeypatch.setattr(symhess.base.memory, "available_memory", lambda: 10_000)
    with pytest.raises(SymhessError, match="needs .* available"):
        extreme_eigenvalues(op, 5)
    assert op.products == 0


def _dense_top(expr, W, v, k):
    return np.linalg.eigvalsh(symhess.hessian(expr, W, v))[::-1][:k]


def _dead_units(scale, seed):
    """20 live units at a small scale in the first d - 1 coordinates and 2 dead units
    (v = 0, w = e_d): their v-direction is an eigenvector with eigenvalue E[sigma^2] = 4/3
    for z - z**3/3, above the band and orthogonal to the linear level (g = 1 - |w|^2 = 0)."""
    rng = np.random.default_rng(seed)
    d, live = 30, 20
    W = rng.standard_normal((live, d)) * scale / np.sqrt(d)
    W[:, -1] = 0
    dead = np.zeros((2, d))
    dead[:, -1] = 1.0
    v = rng.standard_normal(live) / np.sqrt(live)
    return np.vstack([W, dead]), np.append(v, [0.0, 0.0])


def _random(d, h, seed):
    t = symhess.sample_teacher(d, h, seed=seed)
    return t.W, t.v


@pytest.mark.parametrize(
    "label, expr, W, v, k, tol",
    [
        ("k = 1", "erf(z)", *_random(30, 30, 0), 1, None),
        ("ties: W = I, v = 1", "erf(z)", np.eye(25), np.ones(25), 3, None),
        ("d > h: a cluster of multiplicity d - h", "sin(z)", *_random(50, 14, 2), 20, None),
        ("dead units above the band", "z - z**3/3", *_dead_units(0.03, 0), 3, None),
        ("dead units, larger live scale", "z - z**3/3", *_dead_units(0.3, 0), 2, 1e-4),
    ],
)
def test_linear_level_hard_cases(label, expr, W, v, k, tol):
    """Cases an outside review built against the route (each failed or crashed in its first
    version): the values equal eigvalsh, whichever solver ends up answering."""
    res = extreme_eigenvalues(operator(expr, W, v), k, "largest", tol=tol)
    assert res.converged, label
    np.testing.assert_allclose(
        res.eigenvalues, _dense_top(expr, W, v, k), rtol=1e-9 if tol is None else 1e-6
    )


@pytest.mark.parametrize("k", [13, 20, 30])
def test_lost_copies_of_a_multiple_eigenvalue_are_flagged(k):
    """d > h: every eigenvalue of (v v^T) o K11 has multiplicity d - h, and Lanczos may return
    fewer copies. Whatever ARPACK returns is either right or flagged (not converged, warned)."""
    t = symhess.sample_teacher(60, 10, seed=0)
    op = operator("sin(z)", t.W, t.v)  # d > 4h: ARPACK
    exact = _dense_top("sin(z)", t.W, t.v, k)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = extreme_eigenvalues(op, k, "largest")
    assert res.method.startswith("ARPACK")
    if np.allclose(res.eigenvalues, exact, rtol=1e-9):
        return
    assert not res.converged and "copies of the eigenvalue" in res.method
    assert any("the largest eigenvalues are incomplete" in str(w.message) for w in caught)
