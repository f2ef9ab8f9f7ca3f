"""Training from a perturbed teacher: gradient descent on the exact population loss, and SGD
on fresh Gaussian samples (as the seed paper did). Time is steps x learning rate; parameters
are ordered as everywhere in symhess: ``W`` row-major, then ``v``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..activation.evaluate import derivative_evaluator
from ..base.progress import progress
from ..errors import SymhessError
from ..kernels import Kernels
from ..teacher import Teacher, check_size
from .loss import PopulationLoss


@dataclass(frozen=True)
class Trajectory:
    """The loss along one run.

    Attributes
    ----------
    t : ndarray, shape (n,)
        Times (steps x learning rate) of the recorded points, starting at 0.
    loss : ndarray, shape (n,)
        Exact population loss at those times.
    floor : ndarray, shape (n,)
        Rounding floor of each loss value (:meth:`PopulationLoss.value_and_gradient`).
    W, v : ndarray
        Final weights.
    """

    t: np.ndarray
    loss: np.ndarray
    floor: np.ndarray
    W: np.ndarray
    v: np.ndarray


def _split(theta: np.ndarray, h: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    return theta[: h * d].reshape(h, d), theta[h * d :]


def _check_run(teacher: Teacher, delta0, lr, steps, record_every):
    P = teacher.params
    delta0 = np.asarray(delta0, dtype=float)
    if delta0.shape != (P,):
        raise SymhessError(f"the initial perturbation must have P = {P} entries")
    if not (np.isfinite(lr) and lr > 0):
        raise SymhessError(f"the learning rate must be a positive number, got {lr!r}")
    check_size("steps", steps)
    check_size("record_every", record_every)
    theta0 = np.concatenate([teacher.W.ravel(), teacher.v]) + delta0
    return _split(theta0.copy(), teacher.h, teacher.d)


def gradient_descent(
    loss: PopulationLoss,
    delta0,
    lr: float,
    steps: int,
    *,
    record_every: int = 1,
    show_progress: bool | None = None,
) -> Trajectory:
    """Gradient descent on the exact population loss from ``teacher + delta0``.

    Parameters
    ----------
    loss : PopulationLoss
    delta0 : ndarray, shape (P,)
        Initial perturbation of ``(vec W, v)``.
    lr : float
    steps : int
    record_every : int
        Record the loss every this many steps (and at the end).
    """
    W, v = _check_run(loss.teacher, delta0, lr, steps, record_every)
    ts, ls, fs = [], [], []
    bar = progress(
        range(steps + 1),
        desc="gradient descent",
        unit="step",
        show=show_progress,
    )
    with loss.session():
        for n in bar:
            value, gW, gv, floor = loss.value_and_gradient(W, v)
            if not np.isfinite(value):
                raise SymhessError(f"gradient descent diverged at step {n}; use a smaller lr")
            if n % record_every == 0 or n == steps:
                ts.append(n * lr)
                ls.append(value)
                fs.append(floor)
            if n < steps:
                W = W - lr * gW
                v = v - lr * gv
    return Trajectory(np.array(ts), np.array(ls), np.array(fs), W, v)


class SampleGradient:
    """Minibatch gradient of ``1/(2B) sum_b (f(x_b) - f_t(x_b))^2`` on Gaussian inputs.

    ``sigma`` and ``sigma'`` are evaluated from the activation's expression tree
    (:func:`symhess.activation.evaluate.derivative_evaluator`), so any activation of the
    grammar works.
    """

    def __init__(self, kernels: Kernels, teacher: Teacher):
        self.teacher = teacher
        self._sigma = derivative_evaluator(kernels.activation.expr, order=1)

    def __call__(self, W, v, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(dW (h, d), dv (h,))`` for inputs ``x`` of shape (B, d)."""
        s, ds = self._sigma(x @ W.T)
        st = self._sigma(x @ self.teacher.W.T)[0]
        r = s @ v - st @ self.teacher.v
        B = x.shape[0]
        gv = s.T @ r / B
        gW = ((ds * r[:, None]) * v[None, :]).T @ x / B
        return gW, gv


def sgd(
    loss: PopulationLoss,
    delta0,
    lr: float,
    steps: int,
    batch: int,
    *,
    seed: int = 0,
    record_every: int = 1,
    show_progress: bool | None = None,
) -> Trajectory:
    """Stochastic gradient descent with ``batch`` fresh inputs ``x ~ N(0, I_d)`` per step.

    The loss recorded is the exact population loss (no sampling in the measurement).
    """
    W, v = _check_run(loss.teacher, delta0, lr, steps, record_every)
    check_size("batch", batch)
    grad = SampleGradient(loss.kernels, loss.teacher)
    rng = np.random.default_rng(seed)
    d = loss.teacher.d
    ts, ls, fs = [], [], []
    bar = progress(
        range(steps + 1),
        desc="SGD",
        unit="step",
        show=show_progress,
    )
    with loss.session():
        for n in bar:
            if n % record_every == 0 or n == steps:
                value, _, _, floor = loss.value_and_gradient(W, v)
                if not np.isfinite(value):
                    raise SymhessError(f"SGD diverged at step {n}; use a smaller lr")
                ts.append(n * lr)
                ls.append(value)
                fs.append(floor)
            if n < steps:
                gW, gv = grad(W, v, rng.standard_normal((batch, d)))
                W = W - lr * gW
                v = v - lr * gv
    return Trajectory(np.array(ts), np.array(ls), np.array(fs), W, v)


def initial_perturbations(P: int, runs: int, noise: float, seed: int, design: str = "gaussian"):
    """Initial perturbations ``delta(0)``, one row per run, with ``E delta delta^T = s^2 I``.

    Parameters
    ----------
    P, runs : int
    noise : float
        ``s``.
    seed : int
    design : {"gaussian", "orthogonal"}
        ``"gaussian"``: independent ``N(0, s^2 I_P)`` (the paper's setting).
        ``"orthogonal"``: rows ``s sqrt(P) q_r`` with ``q_r`` orthonormal and Haar-random
        (``runs <= P``). Any loss quadratic in ``delta(0)`` (the linearised one) averaged
        over ``runs = P`` such rows equals its Gaussian expectation exactly, so averages
        over runs compare with :func:`predicted_loss` without sampling error.

    Returns
    -------
    ndarray, shape (runs, P)
    """
    check_size("runs", runs)
    if not (np.isfinite(noise) and noise > 0):
        raise SymhessError(f"the noise must be a positive number, got {noise!r}")
    rng = np.random.default_rng(seed)
    G = rng.standard_normal((P, runs))
    if design == "gaussian":
        return noise * G.T
    if design == "orthogonal":
        if runs > P:
            raise SymhessError(f"an orthogonal design has at most P = {P} runs, got {runs}")
        Q, R = np.linalg.qr(G)
        Q = Q * np.sign(np.diag(R))[None, :]  # Haar: fix the signs QR leaves arbitrary
        return noise * np.sqrt(P) * Q.T
    raise SymhessError(f"unknown design {design!r}; choose gaussian or orthogonal")
