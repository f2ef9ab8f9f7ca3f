"""Newton polishing of critical points: to ``|grad L| <= tol`` or a stated failure.

Newton on ``grad L = 0`` with the SVD pseudo-inverse of the exact Hessian
(``scipy.linalg.lstsq``, LAPACK ``gelsd``): on a manifold of critical points, where ``H`` is
singular, the minimum-norm step is still well defined and moves the point onto the manifold.
Each step is safeguarded: backtracking on ``|grad|``, then Levenberg-Marquardt steps on
``|grad|^2 / 2`` (``(H^2 + mu I) s = -H g``). For minima, scipy's trust-region Newton
(``minimize(method="trust-ncg")``, then ``"trust-exact"``: globally convergent, robust with
indefinite and singular Hessians) takes over when plain Newton fails or ends on a saddle, and
Newton finishes from where it stopped. A point is reported converged only when
``|grad L| <= tol`` was measured there.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import scipy.linalg
import scipy.optimize

from ..base.progress import progress
from ..curvature.anywhere import Landscape
from ..errors import SymhessError
from ..spectra.zeros import critical_point_tolerance

TARGETS = ("minimum", "critical")
STALL = 0.5
"""Newton gives up when ``|grad|`` is not below ``STALL`` times its value 8 steps before."""


@dataclass
class NewtonResult:
    """The outcome of Newton polishing.

    Attributes
    ----------
    theta : ndarray, shape (P,)
        The last iterate.
    converged : bool
        ``|grad L| <= tol`` was measured at ``theta``.
    grad_norms : list of float
        ``|grad L|`` at every iterate, the start first (trust-region iterates included).
    message : str
        One line: the final ``|grad|``, or why polishing failed.
    steps : list of str
        Which route produced each iterate after the start (``"newton"``, ``"lm"``,
        ``"trust-region"``).
    """

    theta: np.ndarray
    converged: bool
    grad_norms: list
    message: str
    steps: list = field(default_factory=list)


def newton_polish(
    landscape: Landscape,
    theta,
    *,
    tol: float = 1e-12,
    target: str = "minimum",
    max_iter: int = 60,
    rcond: float = 1e-13,
    extra_steps: int = 1,
    show_progress: bool | None = None,
) -> NewtonResult:
    """Polish ``theta`` to ``|grad L| <= tol``.

    Parameters
    ----------
    landscape : Landscape
    theta : array_like, shape (P,)
        ``W`` row-major, then ``v``; the student width is ``P / (d + 1)``.
    tol : float
        Target ``|grad L|`` (2-norm).
    target : {"minimum", "critical"}
        ``"minimum"``: pseudo-inverse Newton; if it fails or ends on a saddle, the trust
        region from the same start, then Newton again. ``"critical"``: pseudo-inverse Newton
        only (it converges to saddles as well, from nearby starts).
    max_iter : int
        Newton iterations (the trust region gets ``10 max_iter``).
    rcond : float
        Relative cutoff of the pseudo-inverse: singular values below ``rcond sigma_max``
        count as zero.
    extra_steps : int
        Newton steps after reaching ``tol`` while ``|grad|`` still decreases (the point moves
        onto the critical set to rounding, so zero eigenvalues come out cleaner).
    show_progress : bool, optional
        A bar over the iterations (``None``: only on a terminal).

    Returns
    -------
    NewtonResult
        ``converged = False`` with the reason when ``tol`` is not reached.
    """
    if target not in TARGETS:
        raise SymhessError(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}")
    if not (np.isfinite(tol) and tol > 0):
        raise SymhessError(f"tol must be a positive number, got {tol!r}")
    theta = np.array(theta, dtype=float)
    W, v = landscape.split(theta)
    landscape.check(W, v)
    h = W.shape[0]

    def grad(th):
        return landscape.gradient(*landscape.split(th, h))

    with progress(total=2 * max_iter, desc="Newton", unit="step", show=show_progress) as bar:
        start = [float(np.linalg.norm(grad(theta)))]
        args = (tol, max_iter, rcond, extra_steps, bar)
        first = _newton(landscape, theta, h, grad, list(start), *args)
        if target == "critical" or (first.converged and _index(landscape, first.theta) == 0):
            return first
        norms, routes = list(start), []
        if start[0] > tol:
            res = _trust_region(landscape, theta, h, grad, tol, max_iter)
            if res is not None:
                theta = res[0]
                norms += res[1]
                routes += ["trust-region"] * len(res[1])
        second = _newton(landscape, theta, h, grad, norms, *args)
        second.steps = routes + second.steps
    if first.converged and not (second.converged and _index(landscape, second.theta) == 0):
        first.message += "; a saddle, and the trust region found no minimum from this start"
        return first
    return second


TRUST_REGION_METHODS = ("trust-ncg", "trust-exact")
"""scipy trust-region Newton methods tried in turn (the first that gets ``|grad|`` lowest
wins): ``trust-ncg`` (Steihaug CG, robust when the loss differences reach rounding near a
minimum), ``trust-exact`` (exact subproblem, handles indefinite Hessians best)."""


RUNAWAY = 10.0
"""A search stops when a student row grows beyond ``RUNAWAY`` times the largest row norm of
the teacher and the start (at least 1): for saturating activations the loss keeps falling
towards infinity there, no critical point lies ahead, and the kernels grow costly."""


class _RunAway(Exception):
    def __init__(self, norm: float, limit: float):
        super().__init__(norm, limit)
        self.norm, self.limit = norm, limit


def critical_search(
    landscape: Landscape,
    theta,
    *,
    tol: float = 1e-12,
    max_nfev: int = 300,
    max_norm: float | None = None,
) -> NewtonResult:
    """Find a critical point of any index near ``theta``: ``grad L = 0`` as a nonlinear
    least-squares problem, then Newton polishing.

    ``scipy.optimize.least_squares`` (trust-region reflective, the exact Hessian as the
    Jacobian of ``grad L``) minimises ``|grad L|^2 / 2`` from far starts - it converges to a
    zero of ``grad L`` or to a point where ``|grad L|`` has a positive local minimum (no
    critical point nearby); pseudo-inverse Newton (:func:`newton_polish`,
    ``target="critical"``) then brings a zero to ``|grad L| <= tol``. If that fails, the
    trust region on the loss (``target="minimum"``) tries from the same point; otherwise the
    failure is stated. A search whose student rows grow beyond ``max_norm`` (default
    :data:`RUNAWAY` times the largest row norm of the teacher and the start, at least 1) stops
    with a stated failure.
    """
    theta = np.array(theta, dtype=float)
    W, v = landscape.split(theta)
    landscape.check(W, v)
    h = W.shape[0]
    if max_norm is None:
        rows = np.concatenate([np.asarray(landscape.W_t, dtype=float), W])
        max_norm = RUNAWAY * max(1.0, float(np.max(np.linalg.norm(rows, axis=1))))
    start = float(np.linalg.norm(landscape.gradient(W, v)))

    def guarded(th):
        Wk, vk = landscape.split(th, h)
        norm = float(np.max(np.linalg.norm(Wk, axis=1)))
        if not norm <= max_norm:
            raise _RunAway(norm, max_norm)
        return Wk, vk

    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = scipy.optimize.least_squares(
                lambda th: landscape.gradient(*guarded(th)),
                theta,
                jac=lambda th: landscape.hessian(*guarded(th)),
                method="trf",
                xtol=1e-15,
                ftol=1e-15,
                gtol=1e-15,
                max_nfev=max_nfev,
            )
        if np.all(np.isfinite(res.x)):
            theta = res.x
    except _RunAway as run:
        # |grad L|^2 led outwards; the trust region on the loss itself may still find the
        # minimum from the start
        try:
            second = newton_polish(
                landscape, theta, tol=tol, target="minimum", max_iter=15, show_progress=False
            )
        except SymhessError:
            second = None
        if second is not None and second.converged:
            second.grad_norms.insert(0, start)
            second.steps.insert(0, "least-squares")
            return second
        return NewtonResult(
            theta,
            False,
            [start],
            f"ran off to a student row of norm {run.norm:.3g} > {run.limit:.3g} "
            "(the loss still falls there: no critical point within reach)",
            ["least-squares"],
        )
    except (ValueError, np.linalg.LinAlgError, FloatingPointError, SymhessError):
        pass  # least squares broke down (e.g. overflow): Newton from the start alone
    out = newton_polish(landscape, theta, tol=tol, target="critical", show_progress=False)
    if not out.converged:
        # Least squares often stalls in the long valleys around ill-conditioned minima, where
        # |grad L|^2 is flat; the trust region on the loss itself gets there.
        second = newton_polish(
            landscape, theta, tol=tol, target="minimum", max_iter=15, show_progress=False
        )
        if second.converged:
            out = second
    out.grad_norms.insert(0, start)
    out.steps.insert(0, "least-squares")
    return out


def _trust_region(landscape, theta, h, grad, tol, max_iter):
    """Trust-region Newton on the loss from ``theta``: ``(best point, |grad| trace)`` or None."""
    best = None
    for method in TRUST_REGION_METHODS:
        trace = []
        try:
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                res = scipy.optimize.minimize(
                    lambda th: landscape.loss(*landscape.split(th, h)),
                    theta,
                    jac=grad,
                    hess=lambda th: landscape.hessian(*landscape.split(th, h)),
                    method=method,
                    options={"gtol": tol, "maxiter": 10 * max_iter},
                    callback=lambda xk, tr=trace: tr.append(float(np.linalg.norm(grad(xk)))),
                )
        except (ValueError, np.linalg.LinAlgError, FloatingPointError, SymhessError):
            continue  # this method broke down (e.g. overflow in its subproblem): the next
        if not np.all(np.isfinite(res.x)):
            continue
        norm = float(np.linalg.norm(grad(res.x)))
        if best is None or norm < best[2]:
            best = (res.x, trace + [norm], norm)
        if norm <= tol:
            break
    return None if best is None else best[:2]


def _index(landscape: Landscape, theta) -> int:
    W, v = landscape.split(theta)
    lam = scipy.linalg.eigvalsh(landscape.hessian(W, v))
    tol = critical_point_tolerance(lam, float(np.linalg.norm(landscape.gradient(W, v))))
    return int(np.sum(lam < -tol))


def _newton(landscape, theta, h, grad, norms, tol, max_iter, rcond, extra_steps, bar):
    """Pseudo-inverse Newton with backtracking and a Levenberg-Marquardt fallback."""
    g = grad(theta)
    if float(np.linalg.norm(g)) != norms[-1]:
        norms.append(float(np.linalg.norm(g)))
    floor = landscape.gradient_floor(*landscape.split(theta, h))
    routes: list[str] = []

    def done(ok, message):
        return NewtonResult(theta, ok, norms, message, routes)

    extra = 0
    for _ in range(max_iter):
        bar.update()
        bar.set_postfix_str(f"|grad| {norms[-1]:.1e}")
        if norms[-1] <= tol:
            if extra >= extra_steps:
                return done(True, f"|grad L| = {norms[-1]:.2e} <= {tol:g}")
            extra += 1
        H = landscape.hessian(*landscape.split(theta, h))
        step = scipy.linalg.lstsq(H, -g, cond=rcond, lapack_driver="gelsd")[0]
        trial, route = _backtrack(theta, step, grad, norms[-1])
        if trial is None:
            trial, route = _levenberg_marquardt(theta, H, g, grad, norms[-1])
        if trial is None:
            if norms[-1] <= tol:
                return done(True, f"|grad L| = {norms[-1]:.2e} <= {tol:g}")
            return done(
                False,
                f"stalled at |grad L| = {norms[-1]:.2e} > {tol:g} (its rounding floor here is "
                f"{floor:.1e}): no Newton or Levenberg-Marquardt step decreases |grad L|",
            )
        theta, g = trial
        norms.append(float(np.linalg.norm(g)))
        routes.append(route)
        if len(norms) > 8 and norms[-1] > tol and norms[-1] > STALL * norms[-9]:
            return done(
                False,
                f"stalled at |grad L| = {norms[-1]:.2e} > {tol:g} (less than halved in 8 steps): "
                "no critical point nearby, or a degenerate one Newton cannot reach",
            )
        if np.linalg.norm(theta) > 1e8:
            return done(False, "Newton steps run off to infinity (|theta| > 1e8)")
    if norms[-1] <= tol:
        return done(True, f"|grad L| = {norms[-1]:.2e} <= {tol:g}")
    return done(False, f"no convergence in {max_iter} iterations: |grad L| = {norms[-1]:.2e}")


def _lower_gradient(trial, grad, current):
    """``grad(trial)`` if it is finite and shorter than ``current``, else ``None`` (also when
    the kernels refuse the trial point)."""
    with np.errstate(all="ignore"):
        try:
            gt = grad(trial)
        except SymhessError:
            return None
    return gt if np.all(np.isfinite(gt)) and np.linalg.norm(gt) < current else None


def _backtrack(theta, step, grad, current):
    for k in range(30):
        trial = theta + step / 2**k
        gt = _lower_gradient(trial, grad, current)
        if gt is not None:
            return (trial, gt), "newton"
    return None, None


def _levenberg_marquardt(theta, H, g, grad, current):
    Hg, H2 = H @ g, H @ H
    scale = float(np.max(np.abs(H2)))
    if scale == 0.0:
        return None, None
    for mu in np.logspace(-16, 0, 17) * scale:
        with warnings.catch_warnings():  # ill-conditioned for tiny mu: expected
            warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
            try:
                trial = theta - scipy.linalg.solve(H2 + mu * np.eye(g.size), Hg, assume_a="pos")
            except np.linalg.LinAlgError:
                continue
        gt = _lower_gradient(trial, grad, current)
        if gt is not None:
            return (trial, gt), "lm"
    return None, None
