"""Dynamics near the optimum: the exact population loss and its gradient against Monte Carlo,
finite differences and the dense Hessian; gradient descent against the linearised prediction;
the late-time rate against 2 lambda_min."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
import scipy.linalg
import scipy.special

import symhess
from symhess.dynamics import (
    PopulationLoss,
    discrete_rate,
    experiment,
    gradient_descent,
    initial_perturbations,
    late_rate,
    predicted_loss,
)
from symhess.dynamics.theory import asymptotic_start
from symhess.dynamics.training import SampleGradient
from symhess.errors import SymhessError
from symhess.kernels import resolve
from symhess.spectra import teacher_eigenvalues

# numpy's own evaluation of each activation, independent of symhess's expression tree
SIGMA = {
    "z": lambda z: z,
    "z + z**2/2": lambda z: z + z**2 / 2,
    "3*z**3 - z": lambda z: 3 * z**3 - z,
    "erf(z)": scipy.special.erf,
}
ACTIVATIONS = list(SIGMA)


def perturbed(d, h, seed, scale=0.3):
    t = symhess.sample_teacher(d, h, seed=seed)
    rng = np.random.default_rng(seed + 100)
    return t, t.W + scale * rng.standard_normal(t.W.shape), t.v + scale * rng.standard_normal(h)


@pytest.mark.parametrize("spec", ACTIVATIONS)
def test_population_loss_matches_monte_carlo(spec):
    t, W, v = perturbed(3, 2, 1)
    L = PopulationLoss(resolve(spec), t)(W, v)
    rng = np.random.default_rng(7)
    sq = []
    for _ in range(8):
        x = rng.standard_normal((50000, 3))
        r = SIGMA[spec](x @ W.T) @ v - SIGMA[spec](x @ t.W.T) @ t.v
        sq.append(0.5 * r**2)
    sq = np.concatenate(sq)
    se = sq.std() / np.sqrt(sq.size)
    assert abs(L - sq.mean()) < 4 * se, (L, sq.mean(), se)


@pytest.mark.parametrize("spec", ACTIVATIONS)
def test_gradient_equals_finite_differences(spec):
    # central differences of the loss evaluated in mpmath at 40 digits (step 1e-12, so the
    # truncation error ~1e-24 and the rounding ~1e-28 are far below float64)
    t, W, v = perturbed(3, 4, 2)
    loss = PopulationLoss(resolve(spec), t)
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
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-6 * np.abs(fd).max())
    assert np.abs(g - fd).max() / np.abs(fd).max() < 1e-12


@pytest.mark.parametrize("spec", ACTIVATIONS)
def test_gradient_vanishes_at_the_teacher_and_its_jacobian_is_the_hessian(spec):
    # Price's-theorem gradient differentiated numerically vs the Stein-lemma Hessian assembly
    kern = resolve(spec)
    t = symhess.sample_teacher(3, 4, seed=5)
    loss = PopulationLoss(kern, t)
    gW, gv = loss.gradient(t.W, t.v)
    assert np.abs(np.concatenate([gW.ravel(), gv])).max() < 1e-12
    H = symhess.hessian(kern.activation, t.W, t.v)
    theta = np.concatenate([t.W.ravel(), t.v])
    step = 1e-5
    J = np.empty_like(H)
    for p in range(theta.size):
        cols = []
        for s in (step, -step):
            th = theta.copy()
            th[p] += s
            gW, gv = loss.gradient(th[:12].reshape(4, 3), th[12:])
            cols.append(np.concatenate([gW.ravel(), gv]))
        J[:, p] = (cols[0] - cols[1]) / (2 * step)
    assert np.abs(J - H).max() < 1e-8 * np.abs(H).max()


@pytest.mark.parametrize("spec", ["z + z**2/2", "erf(z)"])
def test_sample_gradient_is_unbiased(spec):
    t, W, v = perturbed(2, 3, 3)
    kern = resolve(spec)
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


def test_predicted_loss_drops_zeros_and_equals_the_matrix_formula():
    rng = np.random.default_rng(4)
    Q, _ = np.linalg.qr(rng.standard_normal((6, 6)))
    lam = np.array([0.0, 0.0, 0.3, 0.7, 1.1, 2.0])
    H = Q @ np.diag(lam) @ Q.T
    noisy = np.linalg.eigvalsh(H)  # zeros come back as +-1e-16
    s = 1e-3
    for t in (0.0, 1.0, 30.0):
        # E over delta ~ N(0, s^2 I) of 1/2 delta^T e^{-Ht} H e^{-Ht} delta
        expected = s**2 / 2 * np.trace(H @ scipy.linalg.expm(-2 * H * t))
        assert predicted_loss(noisy, s, t) == pytest.approx(expected, rel=1e-6)
    # no false plateau: at late times the decay is exactly exp(-2 lambda_min t)
    late = predicted_loss(noisy, s, np.array([200.0, 210.0]))
    assert np.log(late[0] / late[1]) / 10 == pytest.approx(2 * 0.3, rel=1e-9)
    lr = 0.1
    assert predicted_loss(lam, s, 5.0, lr=lr) == pytest.approx(
        s**2 / 2 * np.sum(lam * (1 - lr * lam) ** 100)
    )


def _linearised_mean(kern, t, lam, lr, steps, noise=1e-3):
    """GD from P orthogonal perturbations (whose average of any quadratic loss is the
    Gaussian expectation), recorded every step."""
    loss = PopulationLoss(kern, t)
    deltas = initial_perturbations(t.params, t.params, noise, seed=1, design="orthogonal")
    runs = [gradient_descent(loss, dl, lr, steps, record_every=1) for dl in deltas]
    return runs[0].t, np.mean([r.loss for r in runs], axis=0)


@pytest.mark.parametrize(
    "spec, d, h, seed, lr_max",
    [
        ("z", 4, 3, 1, 0.1),
        ("z**3 - z", 2, 1, 2, 0.1),
        ("z + z**2/2", 2, 1, 1, 0.5),
        ("erf(z)", 2, 1, 1, 0.5),
    ],
)
def test_gradient_descent_matches_the_linearised_prediction(spec, d, h, seed, lr_max):
    """Acceptance: s = 1e-3, within 2% at every recorded time over 8 e-folds of lambda_min,
    against the exact linearisation of discrete steps (1 - lr lambda)^(2t/lr)."""
    kern = resolve(spec)
    t = symhess.sample_teacher(d, h, seed=seed)
    lam = teacher_eigenvalues(kern, t)
    lr = lr_max / lam.max()
    steps = int(np.ceil(8 / (2 * lam.min() * lr)))
    times, mean = _linearised_mean(kern, t, lam, lr, steps)
    deviation = np.abs(mean / predicted_loss(lam, 1e-3, times, lr=lr) - 1).max()
    print(f"{spec} d={d} h={h}: {steps} steps, max deviation {deviation:.4f}")
    assert deviation < 0.02


def test_gradient_descent_matches_the_gradient_flow_prediction_at_small_lr():
    # lr lambda_max = 0.003: the flow formula exp(-2 lambda t) itself within 2%
    kern = resolve("z")
    t = symhess.sample_teacher(2, 1, seed=4)
    lam = teacher_eigenvalues(kern, t)
    lr = 0.003 / lam.max()
    steps = int(np.ceil(4 / (2 * lam.min() * lr)))
    times, mean = _linearised_mean(kern, t, lam, lr, steps)
    assert np.abs(mean / predicted_loss(lam, 1e-3, times) - 1).max() < 0.02


@pytest.mark.parametrize(
    "spec, d, h, seed, lr_max",
    [
        ("z", 6, 2, 0, 0.05),
        ("z", 4, 6, 3, 0.1),
        ("z**3 - z", 2, 1, 2, 0.1),
        ("erf(z)", 2, 1, 1, 0.5),
    ],
)
def test_late_time_rate_is_twice_the_smallest_eigenvalue(spec, d, h, seed, lr_max):
    """Acceptance: one Gaussian run, fit on the last third of 12 e-folds; within 5% of the
    discrete-step value -2 log(1 - lr lambda_min)/lr, and of 2 lambda_min."""
    kern = resolve(spec)
    t = symhess.sample_teacher(d, h, seed=seed)
    lam = teacher_eigenvalues(kern, t)
    lr = lr_max / lam.max()
    steps = int(np.ceil(12 / (2 * lam.min() * lr)))
    ex = experiment(kern, t, noise=1e-3, lr=lr, steps=steps, runs=1, seed=2, eigenvalues=lam)
    fit, _ = ex.fit()
    disc, flow = discrete_rate(lam.min(), lr), 2 * lam.min()
    print(f"{spec}: rate {fit.rate:.5g}, discrete {disc:.5g}, 2 lambda_min {flow:.5g}")
    assert abs(fit.rate / disc - 1) < 0.05
    assert abs(fit.rate / flow - 1) < 0.05


def test_sgd_converges_at_the_same_late_rate():
    kern = resolve("z")
    t = symhess.sample_teacher(6, 2, seed=0)
    lam = teacher_eigenvalues(kern, t)
    lr = 0.05 / lam.max()
    steps = int(np.ceil(12 / (2 * lam.min() * lr)))
    ex = experiment(kern, t, lr=lr, steps=steps, batch=64, seed=3, eigenvalues=lam)
    assert ex.mean_loss[-1] < 1e-4 * ex.mean_loss[0]
    assert abs(ex.fit()[0].rate / (2 * lam.min()) - 1) < 0.15


@pytest.mark.parametrize("spec, d, h", [("z", 5, 8), ("z + z**2/2", 4, 3), ("erf(z)", 3, 2)])
def test_default_run_matches_its_own_linearised_prediction(spec, d, h):
    """The default dynamics run (one Gaussian start): the fitted late rate equals the slope
    of the linearised loss of that very start over the same window within 1 %, and the
    asymptote within 2 % whenever the window is in the late-time regime."""
    kern = resolve(spec)
    t = symhess.sample_teacher(d, h, seed=0)
    ex = experiment(kern, t)
    assert ex.weights_measured
    fit, asymptotic = ex.fit()
    assert abs(fit.rate / ex.window_rate(fit) - 1) < 0.01
    if asymptotic:
        assert abs(fit.rate / discrete_rate(ex.lam_min, ex.lr) - 1) < 0.02


def test_asymptotic_start_against_the_two_eigenvalue_closed_form():
    """For two rates the slope reaches (1 + tol) r1 at
    t = log(a2 (r2 - (1 + tol) r1) / (a1 tol r1)) / (r2 - r1), a_k = w_k lambda_k."""
    lam, w, tol = np.array([0.5, 2.0]), np.array([0.3, 1.7]), 0.01
    r1, r2 = 2 * lam
    a1, a2 = w * lam
    want = np.log(a2 * (r2 - (1 + tol) * r1) / (a1 * tol * r1)) / (r2 - r1)
    assert asymptotic_start(lam, w, None, tol) == pytest.approx(want, rel=1e-12)
    assert asymptotic_start(lam, np.array([1.0, 0.0]), None, tol) == 0.0
    assert asymptotic_start(lam, np.array([0.0, 1.0]), None, tol) == 0.0


def test_late_rate_ignores_the_rounding_floor():
    t = np.linspace(0, 10, 101)
    loss = np.maximum(np.exp(-2 * t), 1e-7)  # flat below 1e-7, like rounding noise
    fit = late_rate(t, loss, floor=np.full_like(t, 1e-9), start=0.0)
    assert fit.rate == pytest.approx(2.0)
    with pytest.raises(SymhessError, match="rounding floor"):
        late_rate(t, loss, floor=np.full_like(t, 1e-8), start=0.9)


def test_orthogonal_design_has_covariance_s2_identity():
    D = initial_perturbations(5, 5, 0.1, seed=0, design="orthogonal")
    np.testing.assert_allclose(D.T @ D / 5, 0.01 * np.eye(5), atol=1e-15)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(lr=10.0), "below 2 / lambda_max"),
        (dict(noise=-1.0), "noise"),
        (dict(runs=0), "runs"),
    ],
)
def test_bad_settings_are_one_line_errors(kwargs, match):
    t = symhess.sample_teacher(2, 2, seed=0)
    with pytest.raises(SymhessError, match=match):
        experiment(resolve("z"), t, steps=3, **kwargs)
