"""Gradient flow against explicit gradient descent, Newton's quadratic convergence, stated
failures (divergence, stalls), classification of what is found."""

from __future__ import annotations

import numpy as np
import pytest

from symhess import Landscape, SymhessError
from symhess.landscape import (
    classify,
    explicit_descent,
    find_critical_point,
    gradient_flow,
    initial_student,
    newton_polish,
)
from symhess.spectra import critical_point_tolerance


def _teacher(seed, d, h):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(h, d)) / np.sqrt(d), rng.normal(size=h) / np.sqrt(h), rng


def test_flow_follows_small_step_gradient_descent():
    """Euler's global error is O(lr): halving lr halves the distance to the stiff solution,
    and at lr = 2.5e-3 it is below 1e-3 of the distance travelled (erf, h_s = 3 > h_t = 2)."""
    Wt, vt, rng = _teacher(1, 3, 2)
    ls = Landscape("erf(z)", Wt, vt)
    W0, v0 = rng.normal(size=(3, 3)) / np.sqrt(3), rng.normal(size=3) / np.sqrt(3)
    T = 2.0
    flow = gradient_flow(ls, W0, v0, T, method="Radau", rtol=1e-12, atol=1e-14, t_eval=[T])
    end = flow.theta[-1]
    errs = []
    for lr in (1e-2, 5e-3, 2.5e-3):
        path = explicit_descent(ls, W0, v0, lr, int(round(T / lr)))
        errs.append(np.linalg.norm(path[-1] - end))
    moved = np.linalg.norm(end - ls.flat(W0, v0))
    assert errs[-1] < 1e-3 * moved
    for a, b in zip(errs, errs[1:], strict=False):
        assert 1.8 < a / b < 2.2
    assert np.all(np.diff(flow.loss) <= 0)


def test_newton_converges_quadratically_at_the_teacher():
    # a well-conditioned teacher (lambda_min ~ 8e-3): Newton's basin is wide
    Wt, vt = np.array([[1.0, 0.0], [0.3, 0.8]]), np.array([1.0, -0.7])
    rng = np.random.default_rng(2)
    ls = Landscape("erf(z)", Wt, vt)
    assert np.linalg.eigvalsh(ls.hessian(Wt, vt))[0] > 5e-3
    theta = ls.flat(Wt, vt) + 0.05 * rng.normal(size=6)
    res = newton_polish(ls, theta, target="critical")
    assert res.converged, res.message
    g = res.grad_norms
    assert g[-1] <= 1e-12
    # quadratic: over the last two steps above the rounding floor, the digits about double
    # (measured: ... 1.2e-4, 4.5e-8, 1.3e-12): log|g_k+1| / log|g_k| >= 1.5
    pairs = [(a, b) for a, b in zip(g, g[1:], strict=False) if b > 1e-14][-2:]
    assert len(pairs) == 2 and pairs[0][0] > 1e-6, g
    assert all(np.log(b) / np.log(a) >= 1.5 for a, b in pairs), g
    cp = classify(ls, res.theta)
    assert cp.kind == "global minimum" and cp.rank == 6 and cp.index == 0


def test_newton_on_a_manifold_of_minima():
    """A zeroed extra neuron: H is singular (nullity d); the pseudo-inverse step still
    converges, and the point is a global minimum of rank P_t + 1 (erf)."""
    d = 3
    Wt, vt, rng = _teacher(3, d, 2)
    ls = Landscape("erf(z)", Wt, vt)
    W, v = np.vstack([Wt, rng.normal(size=(1, d))]), np.append(vt, 0.0)
    theta = ls.flat(W, v) + 1e-3 * rng.normal(size=3 * (d + 1))
    res = newton_polish(ls, theta)
    assert res.converged, res.message
    cp = classify(ls, res.theta)
    assert cp.kind == "global minimum"
    assert cp.rank == 2 * (d + 1) + 1 and cp.nullity == d and cp.gap > 1e6


def test_trust_region_then_newton_from_far():
    Wt, vt, rng = _teacher(2, 3, 3)
    ls = Landscape("erf(z)", Wt, vt)
    res = newton_polish(ls, ls.flat(Wt, vt) + 0.2 * rng.normal(size=12))
    assert res.converged, res.message
    assert classify(ls, res.theta).kind == "global minimum"


def test_a_point_that_is_not_critical_is_never_reported_critical():
    Wt, vt, rng = _teacher(4, 3, 2)
    ls = Landscape("z + z**2/2", Wt, vt)
    theta = rng.normal(size=12)
    cp = classify(ls, theta)
    assert cp.kind == "not critical" and "|grad L|" in cp.notes[0]
    res = newton_polish(ls, theta, max_iter=2, target="critical")
    assert not res.converged and "|grad L|" in res.message


def test_flow_then_polish_finds_the_global_minimum_of_a_wider_student():
    Wt, vt, _ = _teacher(5, 2, 2)
    ls = Landscape("erf(z)", Wt, vt)
    W0, v0 = initial_student(Wt, vt, 3, "teacher+noise", 0.3, seed=1)
    search = find_critical_point(ls, W0, v0, t_max=1e3, rtol=1e-6, atol=1e-9)
    assert search.found, search.message
    assert np.all(np.diff(search.flow.loss) <= 1e-12)  # the loss never increases
    assert search.point.kind == "global minimum" and search.point.params == 9


def test_flow_divergence_is_stated():
    """x^2 y has Waring rank 3 but border rank 2: a 3-neuron z^3 teacher computes it, and a
    2-neuron student approaches it only as its weights grow without bound (the loss tends to
    0, never attained). The flow says so; it reports no minimum."""
    Wt = np.array([[1.0, 1.0], [1.0, -1.0], [0.0, 1.0]])
    vt = np.array([1 / 6, -1 / 6, -1 / 3])  # ((x+y)^3 - (x-y)^3 - 2 y^3) / 6 = x^2 y
    ls = Landscape("z**3", Wt, vt)
    rng = np.random.default_rng(0)
    flow = gradient_flow(ls, rng.normal(size=(2, 2)), rng.normal(size=2), 1e3, max_norm=2.0)
    assert flow.status == "diverged" and "without bound" in flow.message
    assert np.all(np.diff(flow.loss) <= 1e-12) and flow.loss[-1] < 1e-3 * flow.loss[0]
    search = find_critical_point(ls, *ls.split(flow.theta[0]), t_max=1e3, max_norm=2.0)
    assert not search.found and "without bound" in search.message


def test_gradient_descent_divergence_is_an_error():
    Wt, vt, rng = _teacher(7, 2, 2)
    ls = Landscape("z + z**2/2 + z**3/6", Wt, vt)
    with pytest.raises(SymhessError, match="diverged"):
        explicit_descent(ls, 3 * rng.normal(size=(2, 2)), rng.normal(size=2), 10.0, 50)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda ls: gradient_flow(ls, np.zeros((2, 2)), np.zeros(2), 1.0), "columns"),
        (lambda ls: gradient_flow(ls, np.zeros((0, 3)), np.zeros(0), 1.0), "no hidden units"),
        (lambda ls: gradient_flow(ls, np.full((1, 3), np.nan), [1.0], 1.0), "NaN"),
        (lambda ls: gradient_flow(ls, np.ones((1, 3)), [1.0], -1.0), "t_max"),
        (lambda ls: gradient_flow(ls, np.ones((1, 3)), [1.0], 1.0, method="RK45"), "method"),
        (lambda ls: newton_polish(ls, np.ones(4), target="saddle"), "target"),
        (lambda ls: newton_polish(ls, np.ones(5)), "h \\(d \\+ 1\\)"),
        (lambda ls: initial_student(ls.W_t, ls.v_t, 0), "width"),
        (lambda ls: initial_student(ls.W_t, ls.v_t, 2, "zeros"), "init"),
    ],
)
def test_bad_input_is_one_line(call, match):
    Wt, vt, _ = _teacher(8, 3, 2)
    with pytest.raises(SymhessError, match=match) as info:
        call(Landscape("erf(z)", Wt, vt))
    assert "\n" not in str(info.value)


def test_newton_on_a_singular_hessian_states_its_failure():
    """At a student whose Hessian is singular and which is no critical point (all v = 0 and
    all w = 0 for z^2: the gradient points along v only), Newton either converges, measured,
    or says why not - never a traceback, never a point called critical that is not."""
    Wt, vt, _ = _teacher(9, 2, 2)
    ls = Landscape("z**2", Wt, vt)
    theta = np.zeros(6)
    assert np.linalg.matrix_rank(ls.hessian(*ls.split(theta))) < 6
    res = newton_polish(ls, theta, target="critical", max_iter=20)
    g = np.linalg.norm(ls.gradient(*ls.split(res.theta)))
    assert (res.converged and g <= 1e-12) or (not res.converged and g > 1e-12 and res.message)


def test_critical_point_tolerance_separates_scales():
    lam = np.array([-3e-16, 2e-16, 1e-3, 0.5, 2.0])
    tol = critical_point_tolerance(lam, 1e-15)
    assert 2e-16 < tol < 1e-3
    assert critical_point_tolerance(np.array([1.0, 2.0]), 0.0) == pytest.approx(4 * 2.2e-16, 0.01)
