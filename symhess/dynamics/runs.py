"""Experiments: runs from perturbed teachers, their average, and the theory to compare with."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base.progress import progress
from ..errors import SymhessError
from ..kernels import Kernels
from ..spectra.pooled import teacher_eigenvalues
from ..spectra.zeros import drop_zeros
from ..teacher import Teacher, check_size
from .loss import PopulationLoss
from .theory import RateFit, late_rate, predicted_loss
from .training import gradient_descent, initial_perturbations, sgd

DEFAULT_LR_FRACTION = 0.1  # default lr = 0.1 / lambda_max
DEFAULT_DECAY = 10.0  # default run length: 2 lambda_min t reaches 10
MAX_DEFAULT_STEPS = 20000


@dataclass(frozen=True)
class Experiment:
    """Runs from perturbed teachers, their average, and the theory to compare with.

    Attributes
    ----------
    eigenvalues : ndarray, shape (k,)
        Non-zero Hessian eigenvalues at the teacher, ascending.
    params : int
        ``P``.
    noise, lr : float
    steps, runs : int
    batch : int or None
        SGD batch size; ``None`` for gradient descent on the exact population loss.
    t : ndarray, shape (n,)
    losses : ndarray, shape (runs, n)
        Exact population loss of every run.
    floor : ndarray, shape (n,)
        Largest rounding floor over the runs.
    """

    eigenvalues: np.ndarray
    params: int
    noise: float
    lr: float
    steps: int
    runs: int
    batch: int | None
    t: np.ndarray
    losses: np.ndarray
    floor: np.ndarray

    @property
    def method(self) -> str:
        if self.batch is None:
            return "gradient descent on the exact population loss"
        return f"SGD, {self.batch} fresh Gaussian inputs per step"

    @property
    def mean_loss(self) -> np.ndarray:
        return self.losses.mean(axis=0)

    @property
    def lam_min(self) -> float:
        return float(self.eigenvalues.min())

    @property
    def lam_max(self) -> float:
        return float(self.eigenvalues.max())

    def prediction(self, discrete: bool = False) -> np.ndarray:
        """``E L(t)`` at :attr:`t`: gradient flow, or discrete steps of size :attr:`lr`."""
        return predicted_loss(self.eigenvalues, self.noise, self.t, self.lr if discrete else None)

    def fit(self, start: float = 2 / 3) -> RateFit:
        """Late-time rate of :attr:`mean_loss`."""
        return late_rate(self.t, self.mean_loss, self.floor, start)

    def prediction_rate(self, fit: RateFit) -> float:
        """Slope of the flow prediction over the fitted window (``2 lambda_min`` once the
        smallest eigenvalue dominates; larger if the window is too early)."""
        p = predicted_loss(self.eigenvalues, self.noise, [fit.t0, fit.t1])
        return float(np.log(p[0] / p[1]) / (fit.t1 - fit.t0))

    def asymptote(self) -> np.ndarray:
        """``c exp(-2 lambda_min t)`` with ``c`` chosen to meet :attr:`mean_loss` at the end
        (the black line of the paper's figure 3)."""
        c = self.mean_loss[-1] * np.exp(2 * self.lam_min * self.t[-1])
        return c * np.exp(-2 * self.lam_min * self.t)


def experiment(
    kernels: Kernels,
    teacher: Teacher,
    *,
    noise: float = 1e-3,
    lr: float | None = None,
    steps: int | None = None,
    runs: int = 1,
    batch: int | None = None,
    seed: int = 0,
    design: str = "gaussian",
    eigenvalues=None,
    record_points: int = 500,
    show_progress: bool | None = None,
) -> Experiment:
    """Perturb the teacher ``runs`` times, train, and record the exact loss.

    Parameters
    ----------
    kernels : Kernels
    teacher : Teacher
    noise : float
        ``s``: ``delta(0)`` has covariance ``s^2 I`` (:func:`initial_perturbations`).
    lr : float, optional
        Default ``0.1 / lambda_max``. Must be below ``2 / lambda_max``.
    steps : int, optional
        Default: until ``2 lambda_min t = 10``, at most 20000 steps.
    runs : int
    batch : int, optional
        SGD with this batch size; gradient descent on the exact loss if ``None``.
    seed : int
        Seeds the perturbations (and the SGD inputs, ``seed + 1 + run``).
    design : {"gaussian", "orthogonal"}
    eigenvalues : ndarray, optional
        Non-zero Hessian eigenvalues at the teacher; computed with
        :func:`symhess.spectra.pooled.teacher_eigenvalues` if not given.
    record_points : int
        About how many loss values to record per run.
    """
    if eigenvalues is None:
        eigenvalues = teacher_eigenvalues(kernels, teacher)
    lam = np.sort(drop_zeros(np.asarray(eigenvalues, dtype=float)))
    if lam.size == 0 or lam[0] <= 0:
        raise SymhessError("the Hessian has no positive eigenvalue to learn along")
    if lr is None:
        lr = DEFAULT_LR_FRACTION / lam[-1]
    if not (np.isfinite(lr) and 0 < lr < 2 / lam[-1]):
        raise SymhessError(
            f"lr = {lr:g} must be positive and below 2 / lambda_max = {2 / lam[-1]:.6g}, "
            "or gradient descent diverges near the optimum"
        )
    if steps is None:
        steps = int(min(MAX_DEFAULT_STEPS, np.ceil(DEFAULT_DECAY / (2 * lam[0] * lr))))
    check_size("steps", steps)
    every = max(1, steps // check_size("record_points", record_points))
    loss = PopulationLoss(kernels, teacher)
    deltas = initial_perturbations(teacher.params, runs, noise, seed, design)
    # one bar over the runs when there are several, else one over the steps
    inner = False if runs > 1 else show_progress
    trajectories = []
    for r, delta in enumerate(
        progress(deltas, desc="runs", unit="run", show=False if runs == 1 else show_progress)
    ):
        if batch is None:
            tr = gradient_descent(loss, delta, lr, steps, record_every=every, show_progress=inner)
        else:
            tr = sgd(
                loss,
                delta,
                lr,
                steps,
                batch,
                seed=seed + 1 + r,
                record_every=every,
                show_progress=inner,
            )
        trajectories.append(tr)
    return Experiment(
        eigenvalues=lam,
        params=teacher.params,
        noise=float(noise),
        lr=float(lr),
        steps=int(steps),
        runs=int(runs),
        batch=batch,
        t=trajectories[0].t,
        losses=np.array([tr.loss for tr in trajectories]),
        floor=np.max([tr.floor for tr in trajectories], axis=0),
    )
