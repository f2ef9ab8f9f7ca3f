"""The ReLU family in the dynamics layer: the population loss against Monte Carlo and an
arccos formula of the tests' own, its gradient against finite differences, the Hessian as
the gradient's Jacobian at the teacher (first order only: the loss is C^2, not C^3, there),
and the SGD sample gradient."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import symhess
from symhess.dynamics import PopulationLoss
from symhess.dynamics.training import SampleGradient
from symhess.kernels import resolve

from ..relu_oracles import FAMILY, population_loss, sigma

NAMES = list(FAMILY)


def perturbed(d, h, seed, scale=0.3):
    t = symhess.sample_teacher(d, h, seed=seed)
    rng = np.random.default_rng(seed + 100)
    return t, t.W + scale * rng.standard_normal(t.W.shape), t.v + scale * rng.standard_normal(h)


@pytest.mark.parametrize("name", NAMES)
def test_population_loss_against_monte_carlo_and_arccos(name):
    t, W, v = perturbed(3, 2, 1)
    L = PopulationLoss(resolve(name), t)(W, v)
    assert L == pytest.approx(population_loss(W, v, t.W, t.v, *FAMILY[name]), rel=1e-13)
    x = np.random.default_rng(7).standard_normal((400_000, 3))
    r = sigma(x @ W.T, *FAMILY[name]) @ v - sigma(x @ t.W.T, *FAMILY[name]) @ t.v
    sq = 0.5 * r**2
    assert abs(L - sq.mean()) < 4 * sq.std() / np.sqrt(sq.size)


@pytest.mark.parametrize("name", NAMES)
def test_gradient_equals_finite_differences(name):
    t, W, v = perturbed(3, 4, 2)
    loss = PopulationLoss(resolve(name), t)
    gW, gv = loss.gradient(W, v)
    g = np.concatenate([gW.ravel(), gv])
    theta = np.concatenate([W.ravel(), v])
    fd = np.empty_like(g)
    with mpmath.workdps(40):
        step = mpmath.mpf("1e-12")
        base = np.array([mpmath.mpf(float(x)) for x in theta], dtype=object)

        def at(th):
            return loss(th[:12].reshape(4, 3), th[12:], system="mpmath")

        for p in range(theta.size):
            up, down = base.copy(), base.copy()
            up[p] += step
            down[p] -= step
            fd[p] = float((at(up) - at(down)) / (2 * step))
    assert np.abs(g - fd).max() / np.abs(fd).max() < 1e-12


@pytest.mark.parametrize("name", NAMES)
def test_jacobian_of_the_gradient_at_the_teacher_is_the_hessian(name):
    kern = resolve(name)
    t = symhess.sample_teacher(3, 4, seed=5)
    loss = PopulationLoss(kern, t)
    gW, gv = loss.gradient(t.W, t.v)
    assert np.abs(np.concatenate([gW.ravel(), gv])).max() < 1e-15
    H = symhess.hessian(kern, t.W, t.v)
    theta = np.concatenate([t.W.ravel(), t.v])
    errors = []
    for step in (1e-3, 1e-4, 1e-5):
        J = np.empty_like(H)
        for p in range(theta.size):
            cols = []
            for s in (step, -step):
                th = theta.copy()
                th[p] += s
                gW, gv = loss.gradient(th[:12].reshape(4, 3), th[12:])
                cols.append(np.concatenate([gW.ravel(), gv]))
            J[:, p] = (cols[0] - cols[1]) / (2 * step)
        errors.append(np.abs(J - H).max() / np.abs(H).max())
    # the Hessian has a kink where student and teacher rows coincide: errors fall like the
    # step (first order), not like its square
    assert errors[-1] < 1e-5
    assert 5 < errors[0] / errors[1] < 20 and 5 < errors[1] / errors[2] < 20, errors


@pytest.mark.parametrize("name", ["relu(z)", "abs(z)"])
def test_sample_gradient_is_unbiased(name):
    t, W, v = perturbed(2, 3, 3)
    kern = resolve(name)
    grad = SampleGradient(kern, t)
    rng = np.random.default_rng(9)
    parts = []
    for _ in range(40):
        gW, gv = grad(W, v, rng.standard_normal((5000, 2)))
        parts.append(np.concatenate([gW.ravel(), gv]))
    parts = np.array(parts)
    mean, se = parts.mean(axis=0), parts.std(axis=0) / np.sqrt(len(parts))
    gW, gv = PopulationLoss(kern, t).gradient(W, v)
    exact = np.concatenate([gW.ravel(), gv])
    assert np.all(np.abs(mean - exact) < 4.5 * se), (mean - exact) / se
