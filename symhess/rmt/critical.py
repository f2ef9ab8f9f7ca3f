"""Critical points of a one-hidden-layer tanh network on a random regression task.

The small-scale version of Pennington & Bahri's experiment: find critical points of the
training loss at many energies, measure each one's index (fraction of negative Hessian
eigenvalues), and hold index against energy next to the free-probability prediction
:func:`symhess.rmt.theory.index`, and the energy of minimizers against ``(1 - phi)^2 / 2``.

Task and network
----------------
Inputs ``x_mu ~ N(0, I_d)`` and targets ``y_mu ~ N(0, I_o)`` for ``mu = 1..N``, independent
(a memorization task: nothing to learn but the data). Network ``yhat = W2 tanh(W1 x)``, no
biases, ``W1`` is ``h x d``, ``W2`` is ``o x h``; parameters ``theta = (vec W1, vec W2)``
row-major, ``n = h (d + o)``. Loss (energy)
``eps = L(theta) = sum_{mu,k} (yhat_{mu k} - y_{mu k})^2 / (2 m)`` with ``m = N o`` residuals,
so ``phi = n / m`` as in :mod:`symhess.rmt.theory`, and ``L = 1/2`` on average for the zero
function.

The Hessian is ``H = H0 + H1`` with ``H0 = J^T J / m`` (Gauss-Newton, ``J`` the ``m x n``
Jacobian of the outputs) and ``H1 = sum e_{mu k} grad^2 yhat_{mu k} / m``, both in closed
form below (tested against finite differences of the gradient).

Search
------
Critical points are zeros of the gradient. Each start is a snapshot of plain gradient descent
from a random initialization (``W1 ~ N(0, 1/d)``, ``W2 ~ N(0, 1/h)``), taken after a random
number of steps so that the starts span the energies; from there Levenberg-Marquardt
(``scipy.optimize.least_squares(method="lm")``) minimizes ``|grad L|^2`` with the exact
Hessian as the Jacobian of the gradient, in float64. A point counts as critical only if its
gradient norm ``|grad L|_2`` is at most ``tol`` (default 1e-10); otherwise the search from that
start failed (typically a local minimum of ``|grad L|^2`` that is not a critical point) and
is reported as failed, never as a critical point.

Expect many failures: the searches often end in "gradient-flat regions", local minima of
``|grad L|^2`` with a small non-zero gradient and a nearly singular Hessian, where more
Levenberg-Marquardt or Newton steps do not help (measured: a pseudo-inverse Newton polish
left every such end point where it was). At ``d = o = 3``, ``h = 6`` about one start in ten
reaches ``|grad L| <= 1e-10`` (71 of 750 over phi = 0.1 .. 0.9); the successful ones end
between 1e-17 and 1e-11, the failed ones mostly near 1e-5.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares

from ..base.progress import progress
from ..errors import SymhessError

DEFAULT_TOL = 1e-10


@dataclass(frozen=True)
class Task:
    """A random regression task and the network shape.

    Attributes
    ----------
    X : ndarray, shape (N, d)
    Y : ndarray, shape (N, o)
    hidden : int
        ``h``.
    """

    X: np.ndarray
    Y: np.ndarray
    hidden: int

    @property
    def d(self) -> int:
        return self.X.shape[1]

    @property
    def o(self) -> int:
        return self.Y.shape[1]

    @property
    def n_params(self) -> int:
        return self.hidden * (self.d + self.o)

    @property
    def m(self) -> int:
        """Number of residuals ``N o``."""
        return self.Y.size

    @property
    def phi(self) -> float:
        return self.n_params / self.m


def random_task(*, d, o, hidden, phi, seed):
    """A task with ``N = round(n / (phi o))`` samples (the realized ``phi`` is ``task.phi``)."""
    for name, value in (("d", d), ("o", o), ("hidden", hidden)):
        if int(value) != value or value < 1:
            raise SymhessError(f"{name} must be a positive integer, got {value!r}")
    if not (math.isfinite(phi) and phi > 0):
        raise SymhessError(f"phi must be a positive number, got {phi!r}")
    n = hidden * (d + o)
    samples = max(1, round(n / (phi * o)))
    rng = np.random.default_rng(seed)
    return Task(rng.standard_normal((samples, d)), rng.standard_normal((samples, o)), hidden)


def _unpack(theta, task):
    h, d, o = task.hidden, task.d, task.o
    return theta[: h * d].reshape(h, d), theta[h * d :].reshape(o, h)


def _forward(theta, task):
    W1, W2 = _unpack(theta, task)
    S = np.tanh(task.X @ W1.T)
    E = S @ W2.T - task.Y
    return W1, W2, S, E


def loss(theta, task):
    """The energy ``eps = |Yhat - Y|^2 / (2 m)``."""
    E = _forward(theta, task)[3]
    return float(np.sum(E * E) / (2 * task.m))


def gradient(theta, task):
    """``grad L``, shape (n,)."""
    _, W2, S, E = _forward(theta, task)
    back = (E @ W2) * (1.0 - S * S)
    return np.concatenate([(back.T @ task.X).ravel(), (E.T @ S).ravel()]) / task.m


def jacobian(theta, task):
    """Jacobian of the outputs, shape (m, n), rows ``(mu, k)`` row-major."""
    W1, W2, S, _ = _forward(theta, task)
    N, d, o, h = task.X.shape[0], task.d, task.o, task.hidden
    S1 = 1.0 - S * S
    JW1 = W2[None, :, :, None] * S1[:, None, :, None] * task.X[:, None, None, :]
    JW2 = np.eye(o)[None, :, :, None] * S[:, None, None, :]
    return np.concatenate([JW1.reshape(N * o, h * d), JW2.reshape(N * o, o * h)], axis=1)


def hessian_parts(theta, task):
    """``(H0, H1)``: Gauss-Newton and residual parts, each shape (n, n), ``H = H0 + H1``."""
    _, W2, S, E = _forward(theta, task)
    h, d, o, m = task.hidden, task.d, task.o, task.m
    J = jacobian(theta, task)
    H0 = J.T @ J / m
    S1 = 1.0 - S * S
    X = task.X
    n1 = h * d
    H1 = np.zeros_like(H0)
    # W1-W1: block diagonal over hidden units, sum_mu (E W2)_mu,i tanh''(a_mu,i) x_mu x_mu^T
    curv = (E @ W2) * (-2.0 * S * S1)
    blocks = np.einsum("mi,mj,ml->ijl", curv, X, X) / m
    for i in range(h):
        H1[i * d : (i + 1) * d, i * d : (i + 1) * d] = blocks[i]
    # W2(k, i) - W1(i, j): sum_mu e_mu,k tanh'(a_mu,i) x_mu,j
    cross = np.einsum("mk,mi,mj->kij", E, S1, X) / m
    for i in range(h):
        rows = n1 + np.arange(o) * h + i
        H1[rows, i * d : (i + 1) * d] = cross[:, i, :]
        H1[i * d : (i + 1) * d, rows] = cross[:, i, :].T
    return H0, H1


def hessian(theta, task):
    """``H = H0 + H1``, shape (n, n)."""
    H0, H1 = hessian_parts(theta, task)
    return H0 + H1


def initial_point(task, rng):
    """``W1 ~ N(0, 1/d)``, ``W2 ~ N(0, 1/h)``, flattened, shape (n,)."""
    W1 = rng.standard_normal((task.hidden, task.d)) / math.sqrt(task.d)
    W2 = rng.standard_normal((task.o, task.hidden)) / math.sqrt(task.hidden)
    return np.concatenate([W1.ravel(), W2.ravel()])


def descend(theta, task, steps, rate=None):
    """``steps`` of plain gradient descent; the step is ``1 / lambda_max(H0)`` at the start."""
    theta = np.array(theta, dtype=float)
    if rate is None:
        J = jacobian(theta, task)
        rate = 1.0 / max(np.linalg.norm(J, 2) ** 2 / task.m, 1e-12)
    for _ in range(int(steps)):
        theta -= rate * gradient(theta, task)
    return theta


@dataclass(frozen=True)
class CriticalPoint:
    """The end of one search.

    Attributes
    ----------
    theta : ndarray, shape (n,)
    energy : float
        ``L(theta)``.
    grad_norm : float
        ``|grad L(theta)|_2``.
    critical : bool
        ``grad_norm <= tol``.
    index : float
        Fraction of Hessian eigenvalues below ``-zero_tol``.
    near_zero : int
        Eigenvalues with ``|lambda| <= zero_tol`` (``zero_tol = n * eps_machine *
        max |lambda|``); they are not counted as negative.
    start_energy : float
        Energy of the gradient-descent snapshot the search started from.
    """

    theta: np.ndarray = field(repr=False)
    energy: float
    grad_norm: float
    critical: bool
    index: float
    near_zero: int
    start_energy: float


def newton_search(theta0, task, *, tol=DEFAULT_TOL, max_nfev=400):
    """Levenberg-Marquardt on ``grad L = 0`` from ``theta0``; always returns the end point.

    Returns
    -------
    CriticalPoint
        With ``critical`` False when the gradient norm stayed above ``tol``.
    """
    start_energy = loss(theta0, task)
    result = least_squares(
        gradient,
        np.asarray(theta0, dtype=float),
        jac=hessian,
        args=(task,),
        method="lm",
        xtol=1e-15,
        ftol=1e-15,
        gtol=1e-15,
        max_nfev=max_nfev,
    )
    theta = result.x
    eig = np.linalg.eigvalsh(hessian(theta, task))
    n = eig.size
    zero_tol = n * np.finfo(float).eps * np.abs(eig).max()
    grad_norm = float(np.linalg.norm(gradient(theta, task)))
    return CriticalPoint(
        theta=theta,
        energy=loss(theta, task),
        grad_norm=grad_norm,
        critical=grad_norm <= tol,
        index=float(np.count_nonzero(eig < -zero_tol) / n),
        near_zero=int(np.count_nonzero(np.abs(eig) <= zero_tol)),
        start_energy=start_energy,
    )


@dataclass(frozen=True)
class Experiment:
    """All searches on one task.

    Attributes
    ----------
    task : Task
    points : list of CriticalPoint
        Every search, critical or not.
    tol : float
    """

    task: Task
    points: list
    tol: float

    @property
    def critical(self) -> list:
        return [p for p in self.points if p.critical]

    @property
    def failed(self) -> int:
        return len(self.points) - len(self.critical)

    @property
    def minimizers(self) -> list:
        """Critical points of index 0 (numerically zero eigenvalues allowed, see near_zero)."""
        return [p for p in self.critical if p.index == 0]


def run_experiment(
    task, *, starts, seed, max_steps=20000, tol=DEFAULT_TOL, max_nfev=400, show_progress=None
):
    """Search from ``starts`` gradient-descent snapshots of random initializations.

    The snapshot of start ``s`` is taken after ``round(max_steps ** u)`` steps with
    ``u`` uniform on [0, 1] (log-uniform between 1 and ``max_steps``), so early snapshots
    (high energy, many saddles nearby) and late ones (near minimizers) both occur.

    Returns
    -------
    Experiment
    """
    if int(starts) < 1:
        raise SymhessError(f"starts must be a positive integer, got {starts}")
    rng = np.random.default_rng(seed)
    points = []
    for _ in progress(
        range(int(starts)),
        desc=f"critical points phi={task.phi:.3g}",
        unit="start",
        show=show_progress,
    ):
        theta0 = initial_point(task, rng)
        steps = round(max_steps ** rng.uniform()) if max_steps > 1 else 0
        start = descend(theta0, task, steps)
        points.append(newton_search(start, task, tol=tol, max_nfev=max_nfev))
    return Experiment(task=task, points=points, tol=tol)
