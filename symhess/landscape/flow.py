"""Gradient flow on the exact population loss, by a stiff scipy solver with the exact Hessian.

``dtheta/dt = -grad L(theta)``: :func:`gradient_flow` integrates it with ``solve_ivp``
(``BDF``, ``Radau`` or ``LSODA``), the Jacobian ``d(-grad L)/dtheta = -H`` given exactly and
densely by :class:`~symhess.curvature.anywhere.Landscape`. It stops at ``t_max``, when
``|grad L| <= grad_tol`` if asked (a terminal event: status ``"converged"``; it costs one
more gradient per step, so it is off by default), or when ``|theta|`` passes ``max_norm``
(status ``"diverged"``: the loss keeps decreasing while the weights grow
without bound - it has no minimiser along the path, e.g. a polynomial network approaching a
function it can only reach in the limit). Time is ``steps x learning rate`` of the matching
gradient descent, which :func:`explicit_descent` takes as the flow's independent check.

:func:`initial_student` makes the usual starts: the teacher plus noise (with extra neurons
drawn at the teacher's scale when the student is wider), or a random student.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.integrate import solve_ivp

from ..base.progress import progress
from ..curvature.anywhere import Landscape
from ..errors import SymhessError
from ..teacher import check_size

METHODS = ("BDF", "Radau", "LSODA")
INITS = ("teacher+noise", "random")


@dataclass
class FlowResult:
    """One gradient-flow run.

    Attributes
    ----------
    t : ndarray, shape (n,)
        Recorded times, from 0.
    theta : ndarray, shape (n, P)
        Parameters at those times (``W`` row-major, then ``v``).
    loss, grad_norm : ndarray, shape (n,)
        Exact loss and ``|grad L|`` there.
    status : {"converged", "t_max", "diverged", "failed"}
    message : str
        One line saying why the run stopped.
    nfev, njev : int
        Gradient and Hessian evaluations by the solver.
    h : int
        Student width.
    """

    t: np.ndarray
    theta: np.ndarray
    loss: np.ndarray
    grad_norm: np.ndarray
    status: str
    message: str
    nfev: int
    njev: int
    h: int


def initial_student(W_t, v_t, h_s: int, init: str = "teacher+noise", noise: float = 0.5, seed=0):
    """A starting student of width ``h_s`` for a teacher ``(W_t, v_t)``.

    Parameters
    ----------
    W_t : ndarray, shape (h_t, d)
    v_t : ndarray, shape (h_t,)
    h_s : int
        Student width (any, at least 1).
    init : {"teacher+noise", "random"}
        ``"teacher+noise"``: the teacher's first ``min(h_s, h_t)`` neurons plus Gaussian
        noise of standard deviation ``noise`` on every weight; neurons beyond ``h_t`` are
        drawn like ``"random"`` ones. ``"random"``: ``W ~ N(0, 1/d)``, ``v ~ N(0, 1/h_s)``
        (the paper's teacher variances).
    noise : float
    seed : int
        Seeds a stream of its own (never the teacher's: ``sample_teacher`` with the same seed
        draws other numbers).

    Returns
    -------
    W0 : ndarray, shape (h_s, d)
    v0 : ndarray, shape (h_s,)
    """
    h_s = check_size("the student width", h_s)
    if init not in INITS:
        raise SymhessError(f"unknown init {init!r}; choose one of {', '.join(INITS)}")
    if not (np.isfinite(noise) and noise >= 0):
        raise SymhessError(f"the noise must be a non-negative number, got {noise!r}")
    W_t, v_t = np.asarray(W_t, dtype=float), np.asarray(v_t, dtype=float)
    h_t, d = W_t.shape
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SymhessError(f"seed must be a non-negative integer, got {seed!r}")
    rng = np.random.default_rng([int(seed), 13])
    W = rng.normal(0.0, np.sqrt(1.0 / d), size=(h_s, d))
    v = rng.normal(0.0, np.sqrt(1.0 / h_s), size=h_s)
    if init == "teacher+noise":
        k = min(h_s, h_t)
        W[:k] = W_t[:k] + noise * rng.normal(size=(k, d))
        v[:k] = v_t[:k] + noise * rng.normal(size=k)
    return W, v


def gradient_flow(
    landscape: Landscape,
    W0,
    v0,
    t_max: float,
    *,
    method: str = "BDF",
    rtol: float = 1e-8,
    atol: float = 1e-10,
    grad_tol: float | None = None,
    max_norm: float = 1e6,
    t_eval=None,
    show_progress: bool | None = None,
) -> FlowResult:
    """Integrate ``dtheta/dt = -grad L(theta)`` from ``(W0, v0)``.

    Parameters
    ----------
    landscape : Landscape
    W0 : array_like, shape (h_s, d)
    v0 : array_like, shape (h_s,)
    t_max : float
        Final time (steps x learning rate of the matching gradient descent).
    method : {"BDF", "Radau", "LSODA"}
        A stiff scipy method; its Jacobian is ``-H``, exact and dense.
    rtol, atol : float
        Solver tolerances.
    grad_tol : float, optional
        Stop (status ``"converged"``) once ``|grad L| <= grad_tol`` (a solver event: one
        more gradient evaluation per step). ``None``: run to ``t_max``.
    max_norm : float
        Stop (status ``"diverged"``) once ``|theta|`` exceeds this.
    t_eval : array_like, optional
        Times to record (within ``[0, t_max]``); by default the solver's own steps.
    show_progress : bool, optional
        A bar over the flow time (``None``: only on a terminal).

    Returns
    -------
    FlowResult
        Also when the run fails: ``status`` and ``message`` say what happened.
    """
    if method not in METHODS:
        raise SymhessError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")
    checks = [("t_max", t_max), ("max_norm", max_norm)]
    if grad_tol is not None:
        checks.append(("grad_tol", grad_tol))
    for name, value in checks:
        if not (np.isfinite(value) and value > 0):
            raise SymhessError(f"{name} must be a positive number, got {value!r}")
    W0, v0 = landscape.check(W0, v0)
    if W0.dtype == object or v0.dtype == object:
        W0, v0 = W0.astype(float), v0.astype(float)
    h = W0.shape[0]
    theta0 = landscape.flat(W0, v0)
    if t_eval is not None:
        t_eval = np.asarray(t_eval, dtype=float)
        if t_eval.ndim != 1 or np.any(np.diff(t_eval) <= 0) or t_eval[0] < 0:
            raise SymhessError("t_eval must be increasing times from 0 on")
        if t_eval[-1] > t_max:
            raise SymhessError(f"t_eval goes beyond t_max = {t_max:g}")

    def grad(th):
        return landscape.gradient(*landscape.split(th, h))

    def converged(t, th):
        return np.log(np.linalg.norm(grad(th)) + 1e-300) - np.log(grad_tol)

    def diverged(t, th):
        return max_norm - np.linalg.norm(th)

    converged.terminal = diverged.terminal = True
    converged.direction = diverged.direction = -1
    events = (diverged,) if grad_tol is None else (diverged, converged)
    with progress(total=float(t_max), desc="gradient flow", unit="time", show=show_progress) as bar:

        def rhs(t, th):
            if t > bar.n:
                bar.update(min(t, t_max) - bar.n)
            return -grad(th)

        def jac(t, th):
            return -landscape.hessian(*landscape.split(th, h))

        with np.errstate(over="raise", invalid="raise"):
            try:
                sol = solve_ivp(
                    rhs,
                    (0.0, float(t_max)),
                    theta0,
                    method=method,
                    jac=jac,
                    rtol=rtol,
                    atol=atol,
                    events=events,
                    t_eval=t_eval,
                )
            except (FloatingPointError, OverflowError) as exc:
                raise SymhessError(
                    f"gradient flow failed: {exc} (the weights overflow float64)"
                ) from None
    thetas, ts = sol.y.T, sol.t
    if sol.status == 1 and len(sol.t_events[0]):
        t_stop = sol.t_events[0][0]
        status = "diverged"
        message = (
            f"|theta| passed {max_norm:g} at t = {t_stop:.4g}: the loss keeps decreasing while "
            "the weights grow without bound (no minimiser along this path)"
        )
        thetas, ts = np.vstack([thetas, sol.y_events[0]]), np.append(ts, t_stop)
    elif sol.status == 1:
        t_stop = sol.t_events[1][0]
        status, message = "converged", f"|grad L| <= {grad_tol:g} at t = {t_stop:.4g}"
        thetas, ts = np.vstack([thetas, sol.y_events[1]]), np.append(ts, t_stop)
    elif sol.status == 0:
        status, message = "t_max", f"reached t_max = {t_max:g}"
    else:
        status, message = "failed", f"the ODE solver failed: {sol.message}"
    if ts.size == 0 or ts[0] != 0.0:  # t_eval without 0: keep the start anyway
        thetas, ts = np.vstack([theta0, thetas]), np.insert(ts, 0, 0.0)
    loss = np.array([landscape.loss(*landscape.split(th, h)) for th in thetas])
    gn = np.array([np.linalg.norm(grad(th)) for th in thetas])
    return FlowResult(ts, thetas, loss, gn, status, message, int(sol.nfev), int(sol.njev), h)


def explicit_descent(landscape: Landscape, W0, v0, lr: float, steps: int) -> np.ndarray:
    """Explicit gradient descent ``theta <- theta - lr grad L`` on the same loss.

    The check of :func:`gradient_flow`: Euler's method, whose distance to the flow at a fixed
    time falls like ``lr``. (For training from a perturbed teacher with records, rates and
    SGD see :mod:`symhess.dynamics`.)

    Returns
    -------
    ndarray, shape (steps + 1, P)
        The path, start included.
    """
    if not (np.isfinite(lr) and lr > 0):
        raise SymhessError(f"the learning rate must be a positive number, got {lr!r}")
    steps = check_size("steps", steps)
    W0, v0 = landscape.check(W0, v0)
    h = W0.shape[0]
    theta = landscape.flat(W0, v0).astype(float)
    path = np.empty((steps + 1, theta.size))
    path[0] = theta
    for n in range(steps):
        try:
            g = landscape.gradient(*landscape.split(theta, h))
        except SymhessError as exc:
            if n == 0:  # the start itself is out of float64's range: not a divergence
                raise
            # the kernels refuse weights that overflow float64: the descent ran away
            raise SymhessError(
                f"gradient descent diverged at step {n + 1} (max |theta_k| = "
                f"{np.max(np.abs(theta)):.3g}); use a smaller learning rate ({exc})"
            ) from None
        with np.errstate(over="ignore", invalid="ignore"):
            theta = theta - lr * g
        if not np.all(np.isfinite(theta)):
            raise SymhessError(
                f"gradient descent diverged at step {n + 1}; use a smaller learning rate"
            )
        path[n + 1] = theta
    return path
