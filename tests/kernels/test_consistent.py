"""One consistent rule for the kernel matrices of a training run."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import symhess
from symhess.curvature import kernel_matrices
from symhess.dynamics.loss import PopulationLoss
from symhess.kernels import consistent
from symhess.kernels.consistent import ConsistentRule


@pytest.mark.parametrize("source", ["tanh(z)", "gelu(z)", "sin(z)", "z + 0.1*tanh(z)"])
def test_equals_the_entry_wise_kernels_within_their_errors(source):
    t = symhess.sample_teacher(4, 3, seed=0)
    R = np.concatenate([t.W + 0.01, t.W])
    rule = ConsistentRule(symhess.resolve(source), names=symhess.KERNEL_NAMES)
    values, errors = rule(R)
    assert errors is None and rule.route.startswith("one Mehler rule")
    K = kernel_matrices(symhess.resolve(source), R)
    for name in values:
        # both within 1e-12 of the scale of each entry: within the entry-wise estimate + tol
        assert np.all(np.abs(values[name] - K[name]) <= K.errors[name] + 2e-12), name


def test_exact_kernels_pass_through():
    t = symhess.sample_teacher(3, 2, seed=1)
    rule = ConsistentRule(symhess.resolve("z + z**2/2"))
    values, errors = rule(t.W)
    assert errors is None and rule.tol is None
    K = kernel_matrices(symhess.resolve("z + z**2/2"), t.W)
    for name in values:
        np.testing.assert_allclose(values[name], K[name], rtol=1e-15, atol=1e-15)


def test_rebuilds_when_a_variance_leaves_its_range():
    t = symhess.sample_teacher(3, 2, seed=1)
    rule = ConsistentRule(symhess.resolve("tanh(z)"))
    rule(t.W)
    assert rule.rebuilds == 1
    rule(t.W * 1.01)
    assert rule.rebuilds == 1
    rule(t.W * 2.0)  # variance x4: beyond the 1.25 margin
    assert rule.rebuilds == 2


def test_falls_back_where_no_order_serves(monkeypatch):
    """Nearly parallel rows at large weights: the diagonal's series needs too many terms;
    the entry-wise evaluator takes over, with its estimates."""
    W = np.array([[6.0, 0.0], [0.0, 6.5]])
    rule = ConsistentRule(symhess.quadrature_kernels("tanh(z)", max_terms=64))
    values, errors = rule(W)
    assert errors is not None and rule.route.startswith("entry-wise")
    K = kernel_matrices(symhess.resolve("tanh(z)"), W)
    assert np.all(np.abs(values["K00"] - K["K00"]) <= errors["K00"] + K.errors["K00"])


def test_checks_every_so_often(monkeypatch):
    monkeypatch.setattr(consistent, "CHECK_EVERY", 3)
    t = symhess.sample_teacher(3, 2, seed=1)
    rule = ConsistentRule(symhess.resolve("tanh(z)"))
    seen = []
    real = rule._meets_tolerance
    monkeypatch.setattr(rule, "_meets_tolerance", lambda *a: seen.append(1) or real(*a))
    for k in range(7):
        rule(t.W * (1 + 1e-4 * k))
    assert len(seen) == 3  # calls 0, 3, 6


@pytest.mark.parametrize("source", ["tanh(z)", "gelu(z)"])
def test_loss_near_the_optimum_against_mpmath(source):
    """The population loss at delta = 1e-4 and 1e-6: within its rounding floor of the
    30-digit value (kernels in arb), the floor being what the late-time fit stops at."""
    t = symhess.sample_teacher(3, 2, seed=0)
    loss = PopulationLoss(symhess.resolve(source), t)
    rng = np.random.default_rng(3)
    dW, dv = rng.standard_normal(t.W.shape), rng.standard_normal(t.v.shape)
    for eps in (1e-4, 1e-6):
        W, v = t.W + eps * dW, t.v + eps * dv
        value, _, _, floor = loss.value_and_gradient(W, v)
        with mpmath.workdps(30):
            exact = float(loss(W, v, system="mpmath"))
        assert abs(value - exact) <= floor, (eps, value, exact, floor)
        assert floor < 1e-3 * exact
