"""Learning near the optimum: the exact population loss, gradient descent on it, SGD, and
the linearised prediction (math.md section 9).

* :class:`PopulationLoss` - ``L(W, v) = 1/2 E_x[(f(x) - f_teacher(x))^2]`` from ``K00`` alone,
  no sampling::

      L = 1/2 [v^T K(W,W) v - 2 v^T K(W,W_t) v_t + v_t^T K(W_t,W_t) v_t]

  and its gradient from Price's theorem (``dK00/dc = K11``, ``dK00/da = K20/2``)::

      dL/dv   = K(W,W) v - K(W,W_t) v_t
      dL/dw_i = v_i sum_k [v_k (K20[i,k] w_i + K11[i,k] w_k)
                           - v_t,k (K20_t[i,k] w_i + K11_t[i,k] w_t,k)]

  (kernels at ``(|w_i|^2, |w_k|^2, w_i . w_k)`` and at ``(|w_i|^2, |w_t,k|^2, w_i . w_t,k)``;
  the diagonal ``i = k`` is covered because ``c_ii = |w_i|^2`` contributes ``dK/dc`` twice).
  Any activation with kernels works (polynomials, erf, quadrature).
* :func:`gradient_descent` on it and :func:`sgd` on fresh Gaussian samples (as the paper did).
* :func:`predicted_loss` ``E L(t) = (s^2/2) sum_k lambda_k exp(-2 lambda_k t)`` for
  ``delta(0) ~ N(0, s^2 I)``, eigenvalues zero up to rounding dropped; with ``lr`` the exact
  discrete-step version ``(s^2/2) sum_k lambda_k (1 - lr lambda_k)^(2 t / lr)``.
* :func:`late_rate`: the slope of ``-log L`` over the last part of a run, to compare with
  ``2 lambda_min`` (flow) or ``-2 log(1 - lr lambda_min) / lr`` (discrete steps).

Time is steps x learning rate. Parameters are ordered as everywhere in symhess: ``W``
row-major, then ``v``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import numbers
from ._progress import progress
from .errors import SymhessError
from .gram import kernel_matrices
from .registry import Kernels
from .spectra import drop_zeros, teacher_eigenvalues
from .teacher import Teacher, check_size, check_weights
from .tree_eval import derivative_evaluator

EPS = np.finfo(np.float64).eps


# ----------------------------------------------------------------------------- exact loss
class PopulationLoss:
    """The exact generalization error around a teacher, and its gradient.

    Parameters
    ----------
    kernels : Kernels
        From :func:`symhess.registry.resolve`.
    teacher : Teacher
        Fixed target network (``W_t``: h_t x d, ``v_t``: h_t).
    """

    def __init__(self, kernels: Kernels, teacher: Teacher):
        self.kernels = kernels
        self.teacher = teacher
        Wt, vt = teacher.W, teacher.v
        Ktt = kernel_matrices(kernels, Wt)["K00"]
        self._tt = float(vt @ Ktt @ vt)
        self._tt_abs = float(np.abs(vt) @ np.abs(Ktt) @ np.abs(vt))

    def _check(self, W, v):
        W, v = check_weights(W, v)
        if W.shape[1] != self.teacher.d:
            raise SymhessError(
                f"W has {W.shape[1]} columns but the teacher's input dimension is {self.teacher.d}"
            )
        return W, v

    def __call__(self, W, v, system: str = "float64"):
        """``L(W, v)``: a float, or an mpmath number for ``system="mpmath"``.

        In float64 the three terms cancel to ``L``: absolute rounding ``~ eps`` times their
        size (see :meth:`rounding_floor`). ``system="mpmath"`` evaluates at the current
        ``mpmath.mp.dps`` (the weights enter with their exact binary values).
        """
        W, v = self._check(W, v)
        if system == "float64":
            return self.value_and_gradient(W, v)[0]
        Wt, vt = (numbers.array(x, system) for x in (self.teacher.W, self.teacher.v))
        W, v = numbers.array(W, system), numbers.array(v, system)
        Kss = kernel_matrices(self.kernels, W, system=system)["K00"]
        Kst = kernel_matrices(self.kernels, W, Wt, system=system)["K00"]
        Ktt = kernel_matrices(self.kernels, Wt, system=system)["K00"]
        return (v.dot(Kss).dot(v) - 2 * v.dot(Kst).dot(vt) + vt.dot(Ktt).dot(vt)) / 2

    def value_and_gradient(self, W, v) -> tuple[float, np.ndarray, np.ndarray, float]:
        """``(L, dL/dW, dL/dv, floor)`` in float64.

        Parameters
        ----------
        W : ndarray, shape (h, d)
        v : ndarray, shape (h,)

        Returns
        -------
        L : float
        gW : ndarray, shape (h, d)
        gv : ndarray, shape (h,)
        floor : float
            ``eps`` times the summed magnitude of the three cancelling terms: values of
            ``L`` below a few hundred times this are rounding noise.
        """
        Wt, vt = self.teacher.W, self.teacher.v
        S = kernel_matrices(self.kernels, W)
        X = kernel_matrices(self.kernels, W, Wt)
        Sv, Xv = S["K00"] @ v, X["K00"] @ vt
        loss = 0.5 * (v @ Sv - 2 * v @ Xv + self._tt)
        gv = Sv - Xv
        gW = v[:, None] * (
            ((S["K20"] @ v) - (X["K20"] @ vt))[:, None] * W
            + (S["K11"] * v[None, :]) @ W
            - (X["K11"] * vt[None, :]) @ Wt
        )
        av, avt = np.abs(v), np.abs(vt)
        floor = EPS * (av @ np.abs(S["K00"]) @ av + 2 * av @ np.abs(X["K00"]) @ avt + self._tt_abs)
        return float(loss), gW, gv, float(floor)

    def gradient(self, W, v) -> tuple[np.ndarray, np.ndarray]:
        """``(dL/dW (h, d), dL/dv (h,))``."""
        W, v = self._check(W, v)
        return self.value_and_gradient(W, v)[1:3]


# ----------------------------------------------------------------------------- simulation
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
        disable=None if show_progress is None else not show_progress,
    )
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
    (:func:`symhess.tree_eval.derivative_evaluator`), so any activation of the grammar works.
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
        disable=None if show_progress is None else not show_progress,
    )
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


# ----------------------------------------------------------------------------- theory
def predicted_loss(eigenvalues, noise: float, t, lr: float | None = None) -> np.ndarray:
    """``E L(t)`` for ``delta(0) ~ N(0, s^2 I)`` near the optimum (paper eq. 7).

    Parameters
    ----------
    eigenvalues : array_like, shape (P,) or fewer
        Hessian eigenvalues; those zero up to rounding (:func:`symhess.spectra.drop_zeros`)
        are dropped, so that rounding noise neither adds a constant plateau nor (if
        negative) a growing term.
    noise : float
        ``s``.
    t : array_like
        Times.
    lr : float, optional
        Learning rate of discrete gradient descent: use ``(1 - lr lambda)^(2 t/lr)``
        instead of ``exp(-2 lambda t)``.

    Returns
    -------
    ndarray, shape of ``t``
    """
    lam = drop_zeros(np.asarray(eigenvalues, dtype=float))
    t = np.asarray(t, dtype=float)
    if lr is None:
        decay = np.exp(-2 * np.multiply.outer(t, lam))
    else:
        base = 1 - lr * lam
        if np.any(np.abs(base) >= 1):
            raise SymhessError(
                f"lr = {lr:g} is not below 2 / lambda_max = {2 / lam.max():.6g}: "
                "gradient descent does not converge"
            )
        decay = np.abs(base) ** (2 * np.multiply.outer(t, np.ones_like(lam)) / lr)
    return noise**2 / 2 * (decay @ lam)


def discrete_rate(lam_min: float, lr: float) -> float:
    """Late-time decay rate of ``L`` for discrete steps: ``-2 log|1 - lr lambda_min| / lr``."""
    return float(-2 * np.log(abs(1 - lr * lam_min)) / lr)


@dataclass(frozen=True)
class RateFit:
    """A straight-line fit of ``log L`` against ``t``.

    Attributes
    ----------
    rate : float
        Minus the slope: ``L ~ exp(-rate t)``.
    t0, t1 : float
        The time window fitted.
    points : int
    """

    rate: float
    t0: float
    t1: float
    points: int


def late_rate(t, loss, floor=None, start: float = 2 / 3) -> RateFit:
    """Fit ``log L = c - rate t`` on the last part of a run.

    Parameters
    ----------
    t, loss : array_like, shape (n,)
    floor : array_like, shape (n,), optional
        Rounding floor of each loss value: points below ``100 floor`` are left out.
    start : float
        Fit the times from ``start * t_max`` on (default: the last third).
    """
    t = np.asarray(t, dtype=float)
    loss = np.asarray(loss, dtype=float)
    keep = (t >= start * t.max()) & (loss > 0)
    if floor is not None:
        keep &= loss > 100 * np.asarray(floor, dtype=float)
    if keep.sum() < 3:
        raise SymhessError(
            "fewer than 3 usable points in the late-time window (the loss fell to its "
            "rounding floor): use fewer steps, a smaller lr, or a larger noise"
        )
    slope, _ = np.polyfit(t[keep], np.log(loss[keep]), 1)
    return RateFit(float(-slope), float(t[keep].min()), float(t[keep].max()), int(keep.sum()))


# ----------------------------------------------------------------------------- experiments
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
        :func:`symhess.spectra.teacher_eigenvalues` if not given.
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
    outer = None if show_progress is None else not show_progress
    inner = False if runs > 1 else show_progress
    trajectories = []
    for r, delta in enumerate(
        progress(deltas, desc="runs", unit="run", disable=True if runs == 1 else outer)
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
