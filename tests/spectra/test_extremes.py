"""Extreme eigenvalues from the operator against dense LAPACK eigenvalues."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import symhess
from symhess.curvature import operator
from symhess.errors import SymhessError
from symhess.spectra.extremes import extreme_eigenvalues

extremes_module = importlib.import_module("symhess.spectra.extremes")


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
    op, exact = case(expr, 30, 30)  # P = 930: ARPACK, not the dense fallback
    res = extreme_eigenvalues(op, 6, "largest")
    assert res.method.startswith("ARPACK") and res.converged
    np.testing.assert_allclose(res.eigenvalues, exact[::-1][:6], rtol=1e-10)
    assert res.residual < 1e-8
    assert 0 < res.products < 200
    assert np.all(np.diff(res.eigenvalues) <= 0)


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
    res = extreme_eigenvalues(op, 2, "largest")
    # The solver's products plus one block of k for the residuals.
    assert op.products - before == res.products + 2


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
