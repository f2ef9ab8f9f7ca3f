"""Critical points of a small tanh network: derivatives by finite differences, the index by
moving along eigenvectors (the loss must go down), failures reported as failures."""

from __future__ import annotations

import numpy as np
import pytest

from symhess.errors import SymhessError
from symhess.rmt import critical as rc


@pytest.fixture(scope="module")
def task():
    return rc.random_task(d=2, o=2, hidden=3, phi=0.5, seed=0)


@pytest.fixture(scope="module")
def experiment(task):
    return rc.run_experiment(task, starts=8, seed=0, max_steps=3000)


def test_task_shape(task):
    assert task.n_params == 3 * (2 + 2)
    assert task.m == task.X.shape[0] * 2
    assert task.phi == pytest.approx(0.5)


def test_gradient_hessian_jacobian_by_finite_differences(task):
    theta = rc.initial_point(task, np.random.default_rng(1)) * 2.0
    n, h = theta.size, 1e-6
    eye = np.eye(n)
    fd_grad = [(rc.loss(theta + h * e, task) - rc.loss(theta - h * e, task)) / (2 * h) for e in eye]
    assert np.allclose(rc.gradient(theta, task), fd_grad, atol=1e-9)
    fd_hess = np.array(
        [
            (rc.gradient(theta + h * e, task) - rc.gradient(theta - h * e, task)) / (2 * h)
            for e in eye
        ]
    )
    H = rc.hessian(theta, task)
    assert np.array_equal(H, H.T)
    assert np.allclose(H, fd_hess, atol=1e-8)

    def outputs(t):
        W1, W2 = rc._unpack(t, task)
        return (np.tanh(task.X @ W1.T) @ W2.T).ravel()

    fd_jac = np.array([(outputs(theta + h * e) - outputs(theta - h * e)) / (2 * h) for e in eye]).T
    J = rc.jacobian(theta, task)
    assert np.allclose(J, fd_jac, atol=1e-8)
    H0, H1 = rc.hessian_parts(theta, task)
    assert np.allclose(H0, J.T @ J / task.m)
    # W2-W2 block of the residual part vanishes (the output is linear in W2)
    n1 = task.hidden * task.d
    assert np.all(H1[n1:, n1:] == 0)


def test_origin_is_an_exact_critical_point(task):
    p = rc.newton_search(np.zeros(task.n_params), task)
    assert p.critical and p.grad_norm == 0.0
    assert p.energy == pytest.approx(np.sum(task.Y**2) / (2 * task.m))


def test_experiment_reports_critical_points_and_failures(experiment, task):
    crit = experiment.critical
    assert len(crit) >= 2, "the fixed seed found critical points before"
    assert experiment.failed == len(experiment.points) - len(crit)
    assert experiment.failed >= 1, "failures must be reported, not dropped"
    for p in experiment.points:
        g = np.linalg.norm(rc.gradient(p.theta, task))
        assert p.grad_norm == pytest.approx(g, rel=1e-12, abs=1e-300)
        assert p.critical == (g <= experiment.tol)
        assert p.energy == pytest.approx(rc.loss(p.theta, task))
    assert max(p.grad_norm for p in crit) <= rc.DEFAULT_TOL


def test_index_means_descent_directions(experiment, task):
    """Along each Hessian eigenvector with a negative eigenvalue the loss goes down (to second
    order); along the positive ones it goes up. Checked with the loss itself."""
    seen_saddle = False
    for p in experiment.critical:
        w, V = np.linalg.eigh(rc.hessian(p.theta, task))
        n = w.size
        negative = int(round(p.index * n))
        assert negative == np.count_nonzero(w < -n * np.finfo(float).eps * np.abs(w).max())
        for k in range(n):
            if abs(w[k]) < 1e-6:
                continue
            t = 1e-4 / np.sqrt(abs(w[k]))
            change = rc.loss(p.theta + t * V[:, k], task) - p.energy
            assert np.sign(change) == np.sign(w[k])
            assert change == pytest.approx(0.5 * w[k] * t * t, rel=0.05)
        seen_saddle |= negative > 0
    assert seen_saddle


def test_a_search_cut_short_is_not_critical(task):
    theta0 = rc.initial_point(task, np.random.default_rng(7))
    p = rc.newton_search(theta0, task, max_nfev=1)
    assert not p.critical and p.grad_norm > rc.DEFAULT_TOL


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(d=0, o=2, hidden=3, phi=0.5, seed=0), "d must be a positive integer"),
        (dict(d=2, o=2, hidden=2.5, phi=0.5, seed=0), "hidden must be a positive integer"),
        (dict(d=2, o=2, hidden=3, phi=-1.0, seed=0), "phi must be a positive number"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(SymhessError, match=match):
        rc.random_task(**kwargs)


def test_bad_starts(task):
    with pytest.raises(SymhessError, match="starts must be a positive integer"):
        rc.run_experiment(task, starts=0, seed=0)


def test_threshold_decides(task):
    # the same end point is critical or not depending only on the stated threshold
    theta0 = 1e-8 * rc.initial_point(task, np.random.default_rng(3))
    g = rc.newton_search(theta0, task, max_nfev=1).grad_norm
    assert g > 0
    assert not rc.newton_search(theta0, task, max_nfev=1, tol=g / 2).critical
    assert rc.newton_search(theta0, task, max_nfev=1, tol=2 * g).critical
