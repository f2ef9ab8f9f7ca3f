"""Experiments: runs from perturbed teachers, their average, and the theory to compare with."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..base.progress import progress
from ..curvature.accuracy import noise as eigenvalue_noise
from ..curvature.dense import hessian
from ..errors import SymhessError
from ..kernels import Kernels
from ..spectra.pooled import teacher_eigenvalues
from ..spectra.summary import dense_spectrum_fits
from ..spectra.zeros import drop_zeros
from ..teacher import Teacher, check_size
from .loss import PopulationLoss
from .theory import RateFit, asymptotic_start, late_rate, linearised_loss, predicted_loss
from .training import gradient_descent, initial_perturbations, sgd

DEFAULT_LR_FRACTION = 0.1  # default lr = 0.1 / lambda_max
DEFAULT_DECAY = 10.0  # default run length: 2 lambda_min t reaches 10 ...
LATE_MARGIN = 1.5  # ... and at least 1.5 times the start of the late-time regime
MAX_DEFAULT_STEPS = 20000
LATE_TOLERANCE = 0.01
"""The late-time window starts where the linearised loss decays within 1 % of its
asymptotic rate."""


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
    weights : ndarray, shape (k,)
        Mean over the runs of the squared components of ``delta(0)`` along the eigenvectors
        of :attr:`eigenvalues`; ``s^2`` each when the eigenvectors were not computed.
    weights_measured : bool
        Whether :attr:`weights` come from the runs' own perturbations.
    route : str or None
        How the loss's kernels were evaluated, for quadrature kernels (see
        :class:`~symhess.kernels.consistent.ConsistentRule`); ``None`` for exact kernels.
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
    weights: np.ndarray
    weights_measured: bool = False
    route: str | None = None

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

    def run_prediction(self) -> np.ndarray:
        """The linearised loss of these very runs (discrete steps), at :attr:`t`: their
        perturbations' components along the eigenvectors decay independently. Unlike
        :meth:`prediction` (an expectation over ``delta(0)``) it has no sampling error."""
        return linearised_loss(self.eigenvalues, self.weights, self.t, self.lr)

    def late_start(self) -> float:
        """When the runs' linearised loss decays within 1 % of its asymptotic rate."""
        return asymptotic_start(self.eigenvalues, self.weights, self.lr, LATE_TOLERANCE)

    def usable_end(self) -> float:
        """The last time the mean loss is above 100 times its rounding floor."""
        above = np.flatnonzero(self.mean_loss > 100 * self.floor)
        return float(self.t[above[-1]]) if above.size else 0.0

    def fit(self) -> tuple[RateFit, bool]:
        """Late-time rate of :attr:`mean_loss`, and whether it was fitted where the asymptote
        holds.

        The window starts at :meth:`late_start` when that leaves room before the run ends
        or the loss reaches its rounding floor; otherwise it is the last third of the usable
        run, and the fit is to be compared with :meth:`window_rate`, not the asymptote.
        """
        start, end = self.late_start(), self.usable_end()
        asymptotic = start < 0.9 * end
        t_start = start if asymptotic else 2 / 3 * end
        return late_rate(self.t, self.mean_loss, self.floor, t_start=t_start), asymptotic

    def window_rate(self, fit: RateFit) -> float:
        """The same straight-line fit applied to :meth:`run_prediction` over the fitted
        window: what the linearised dynamics of these very runs predict there, transients
        included."""
        inside = (self.t >= fit.t0) & (self.t <= fit.t1) & (self.mean_loss > 100 * self.floor)
        slope, _ = np.polyfit(self.t[inside], np.log(self.run_prediction()[inside]), 1)
        return float(-slope)

    def asymptote(self) -> np.ndarray:
        """``c exp(-2 lambda_min t)`` with ``c`` chosen to meet :attr:`mean_loss` at the end
        (the black line of the paper's figure 3)."""
        c = self.mean_loss[-1] * np.exp(2 * self.lam_min * self.t[-1])
        return c * np.exp(-2 * self.lam_min * self.t)


def _start(teacher: Teacher, delta: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    theta = np.concatenate([teacher.W.ravel(), teacher.v]) + delta
    return theta[: teacher.h * teacher.d].reshape(teacher.h, teacher.d), theta[
        teacher.h * teacher.d :
    ]


def _time_to_reach(eigenvalues, weights, lr, level: float) -> float:
    """When the linearised loss falls to ``level`` (it decreases monotonically)."""
    if linearised_loss(eigenvalues, weights, [0.0], lr)[0] <= level:
        return 0.0
    hi = 1.0 / eigenvalues.min()
    while linearised_loss(eigenvalues, weights, [hi], lr)[0] > level:
        hi *= 2
    lo = 0.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (
            (mid, hi) if linearised_loss(eigenvalues, weights, [mid], lr)[0] > level else (lo, mid)
        )
    return hi


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
        Default: until ``2 lambda_min t = 10`` and 1.5 times the start of the late-time
        regime of these runs' linearised loss, at most 20000 steps.
    runs : int
    batch : int, optional
        SGD with this batch size; gradient descent on the exact loss if ``None``.
    seed : int
        Seeds the perturbations (and the SGD inputs, ``seed + 1 + run``).
    design : {"gaussian", "orthogonal"}
    eigenvalues : ndarray, optional
        Non-zero Hessian eigenvalues at the teacher; if not given, the eigenvalues and
        eigenvectors of the dense Hessian (when it fits, else
        :func:`symhess.spectra.pooled.teacher_eigenvalues`).
    record_points : int
        About how many loss values to record per run.
    """
    vectors = None
    if eigenvalues is None and dense_spectrum_fits(teacher.h, teacher.d):
        H, error = hessian(kernels, teacher.W, teacher.v, with_error=True)
        all_lam, all_vectors = np.linalg.eigh(H)
        nonzero = np.abs(all_lam) > eigenvalue_noise(error, all_lam.size, np.max(np.abs(all_lam)))
        lam, vectors = all_lam[nonzero], all_vectors[:, nonzero]
    else:
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
    deltas = initial_perturbations(teacher.params, runs, noise, seed, design)
    if vectors is not None:
        weights = np.mean((deltas @ vectors) ** 2, axis=0)
    else:
        weights = np.full(lam.size, float(noise) ** 2)
    loss = PopulationLoss(kernels, teacher)
    if steps is None:
        late = asymptotic_start(lam, weights, lr, LATE_TOLERANCE)
        length = max(DEFAULT_DECAY / (2 * lam[0]), LATE_MARGIN * late)
        # no use running far below the loss's rounding floor
        W0, v0 = _start(teacher, deltas[0])
        floor = loss.value_and_gradient(W0, v0)[3]
        length = min(length, 1.2 * _time_to_reach(lam, weights, lr, 100 * floor))
        steps = int(min(MAX_DEFAULT_STEPS, max(1, np.ceil(length / lr))))
    check_size("steps", steps)
    every = max(1, steps // check_size("record_points", record_points))
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
        weights=weights,
        weights_measured=vectors is not None,
        route=None if loss.tol is None else f"{loss.route}, each entry to {loss.tol:.0e}",
    )
