"""The ReLU family's Hessian away from the optimum, G + R (residual_blocks): against finite
differences of the exact gradient at a generic point; first-order convergence and a kink
where student and teacher directions coincide (C^2, not C^3); zero rows refused."""

from __future__ import annotations

import numpy as np
import pytest

import symhess
from symhess.dynamics import PopulationLoss
from symhess.errors import SymhessError
from symhess.kernels import resolve
from symhess.kernels.relu import residual_blocks

from ..relu_oracles import FAMILY, population_loss

NAMES = list(FAMILY)


def setup(seed, d=3, h=3, ht=2):
    rng = np.random.default_rng(seed)
    return (
        rng.standard_normal((h, d)),
        rng.standard_normal(h),
        symhess.Teacher(W=rng.standard_normal((ht, d)), v=rng.standard_normal(ht)),
    )


def full_hessian(name, W, v, t):
    """G (the optimum's formula at the student) + R (residual_blocks)."""
    H = symhess.hessian(name, W, v)
    rho, R = residual_blocks(W, v, t.W, t.v, alpha=FAMILY[name][0], beta=FAMILY[name][1])
    h, d = W.shape
    hd = h * d
    for i in range(h):  # one block per neuron
        H[i * d : (i + 1) * d, hd + i] += rho[i]
        H[hd + i, i * d : (i + 1) * d] += rho[i]
        H[i * d : (i + 1) * d, i * d : (i + 1) * d] += R[i]
    return H


def fd_hessian(name, W, v, t, step):
    loss = PopulationLoss(resolve(name), t)
    h, d = W.shape
    theta = np.concatenate([W.ravel(), v])

    def grad(th):
        gW, gv = loss.gradient(th[: h * d].reshape(h, d), th[h * d :])
        return np.concatenate([gW.ravel(), gv])

    return np.array(
        [(grad(theta + step * e) - grad(theta - step * e)) / (2 * step) for e in np.eye(theta.size)]
    ).T


@pytest.mark.parametrize("name", NAMES)
def test_loss_gradient_and_hessian_at_a_generic_point(name):
    W, v, t = setup(2)
    loss = PopulationLoss(resolve(name), t)
    assert loss(W, v) == pytest.approx(population_loss(W, v, t.W, t.v, *FAMILY[name]), rel=1e-13)
    H = full_hessian(name, W, v, t)
    assert np.abs(H - fd_hessian(name, W, v, t, 1e-5)).max() <= 1e-8 * np.abs(H).max()


@pytest.mark.parametrize("name", NAMES)
def test_at_the_optimum_only_the_gauss_newton_part_remains(name):
    _, _, t = setup(3)
    rho, R = residual_blocks(t.W, t.v, t.W, t.v, alpha=FAMILY[name][0], beta=FAMILY[name][1])
    assert np.abs(rho).max() < 1e-15 and np.abs(R).max() < 1e-15


def coinciding(seed):
    W, v, t = setup(seed)
    W[0] = 2 * t.W[0]  # same direction as a teacher row, different norm
    W[1] = -0.7 * t.W[1]  # antiparallel to a teacher row
    W[2] = 1.5 * W[0]  # parallel to another student row
    return W, v, t


def test_twice_differentiable_where_directions_coincide():
    # C^2 there: central differences of the gradient converge to G + R, at first order in the
    # step (not second: the Hessian has a kink across the set, see below).
    W, v, t = coinciding(4)
    H = full_hessian("relu(z)", W, v, t)
    errors = [
        np.abs(fd_hessian("relu(z)", W, v, t, step) - H).max() / np.abs(H).max()
        for step in (1e-3, 1e-4, 1e-5)
    ]
    assert errors[2] < 1e-5
    assert 5 < errors[0] / errors[1] < 20 and 5 < errors[1] / errors[2] < 20, errors


def test_the_hessian_has_a_kink_where_directions_coincide_so_not_c3():
    W, v, t = coinciding(4)
    n = np.cross(t.W[0], [0.3, -0.2, 1.0])
    n /= np.linalg.norm(n)

    def H(s):
        W2 = W.copy()
        W2[0] = W[0] + s * n
        return full_hessian("relu(z)", W2, v, t)

    H0 = H(0.0)
    kinks = [np.abs(H(s) + H(-s) - 2 * H0).max() / s for s in (1e-2, 1e-3, 1e-4)]
    assert min(kinks) > 1e-2 and max(kinks) / min(kinks) < 1.2, kinks  # ~ |s|, not ~ s^2


def test_zero_student_row_refused():
    W, v, t = setup(5)
    W[1] = 0
    with pytest.raises(SymhessError, match="zero weight vector"):
        residual_blocks(W, v, t.W, t.v, alpha=0.0, beta=1.0)
