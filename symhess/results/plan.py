"""The points of a sweep, what they cost, and how long the sweep will take.

Cost model: one point of ``P = h d + h`` parameters takes ``t(P) = c0 + c2 P^2 + c3 P^3``
seconds (per method): ``c0`` the fixed cost (teacher, kernel look-up, process overhead),
``c2 P^2`` the Hessian entries (each a kernel evaluation, in rationals for ``exact``),
``c3 P^3`` the elimination (LAPACK, flint's ``nmod_mat`` rank, the rank over Q, or the
``L D L^T`` in ball arithmetic of the certified rank). The
coefficients are fitted (non-negative least squares on relative error) to the timings the
store already holds for that method, after timing a few of the sweep's own smallest points
when it holds too few (those points are stored like any other, so calibration costs nothing).
A rank over Q, taken when the rank modulo a prime falls short of the proven bound, costs more
than the model's mod-p points predict: the estimate is a guide, printed with the number of
points it rests on.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import SymhessError
from ..rank.grid import MAX_POINTS, check_grid
from ..rank.measure import DEFAULT_DPS, DEFAULT_PREC, check_methods
from .points import PointTask

MAX_TASKS = 1_000_000
CONFIRM_SECONDS = 1800.0
"""A sweep estimated to take longer than this (wall time) needs ``yes=True`` / ``--yes``."""
CALIBRATION_SECONDS = 1.0
"""Time budget for calibration points, computed in this process before the estimate."""
MIN_SAMPLES = 4
"""A method with fewer distinct timed sizes in the store is calibrated first."""

# Rough defaults (2-core machine, python-flint 0.9) for a method without any timing yet.
DEFAULT_COST = {
    "float": (5e-3, 2e-7, 1e-9),
    "mpmath": (5e-2, 3e-4, 2e-6),
    "exact": (5e-3, 1e-6, 1e-8),
    "certified": (5e-3, 3e-6, 1.3e-7),
}


def grid_tasks(
    activations,
    ds,
    hs,
    seeds=(0,),
    methods=("exact",),
    *,
    dps: int = DEFAULT_DPS,
    prec: int = DEFAULT_PREC,
    kernel_dirs=None,
    biases: bool = False,
) -> list[PointTask]:
    """Every point of the grid, refused if it is too large.

    Parameters
    ----------
    activations : sequence of str, coefficient lists or Activation
    ds, hs : sequence of int
    seeds : sequence of int
    methods : sequence of {"float", "mpmath", "exact", "certified"}
        ``"exact"`` on the ReLU family becomes ``"certified"``
        (:func:`symhess.rank.measure.check_methods`; the tasks carry the method they run).
    dps : int
        Digits for ``"mpmath"`` (ignored otherwise).
    prec : int
        Bits of the ball arithmetic for ``"certified"`` (ignored otherwise).
    kernel_dirs : sequence of paths, optional
    biases : bool
        Networks with biases (teachers with ``Var b = 1/d``); ``"certified"`` becomes
        ``"mpmath"`` there.

    Returns
    -------
    list of PointTask
        Without duplicates (two spellings of one activation are one).
    """
    if not activations:
        raise SymhessError("a sweep needs at least one activation")
    ds, hs = sorted(set(ds)), sorted(set(hs))
    if not ds or not hs or min(ds + hs) < 1:
        raise SymhessError("the grid needs positive d and h values")
    if len(ds) * len(hs) > MAX_POINTS:
        raise SymhessError(
            f"the grid has {len(ds) * len(hs)} (d, h) points; at most {MAX_POINTS} are allowed"
        )
    seeds = sorted(set(seeds))
    if not seeds or any(
        isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0 for s in seeds
    ):
        raise SymhessError(f"seeds must be non-negative integers, got {seeds!r}")
    acts, seen = [], set()
    for spec in activations:
        act, routed, _ = check_methods(spec, methods, dps, kernel_dirs, prec, biases)
        if act.canonical not in seen:
            seen.add(act.canonical)
            acts.append((act, routed))
    n = sum(len(routed) for _, routed in acts) * len(ds) * len(hs) * len(seeds)
    if n > MAX_TASKS:
        raise SymhessError(f"the sweep has {n} points; at most {MAX_TASKS} are allowed")
    check_grid(ds, hs, sorted({m for _, routed in acts for m in routed}), 1)
    kd = tuple(str(k) for k in kernel_dirs) if kernel_dirs else None
    return [
        PointTask(
            act,
            d,
            h,
            int(s),
            m,
            dps if m == "mpmath" else 0,
            kd,
            biases=bool(biases),
            prec=prec if m == "certified" else 0,
        )
        for act, routed in acts
        for s in seeds
        for m in routed
        for d in ds
        for h in hs
    ]


# ----------------------------------------------------------------------------- cost model
@dataclass(frozen=True)
class CostModel:
    """``t(P) = c0 + c2 P^2 + c3 P^3`` seconds for one method.

    Attributes
    ----------
    method : str
    coefficients : (float, float, float)
        ``(c0, c2, c3)``, non-negative.
    samples : int
        Timings it was fitted to (0: :data:`DEFAULT_COST`).
    """

    method: str
    coefficients: tuple[float, float, float]
    samples: int

    def __call__(self, P):
        c0, c2, c3 = self.coefficients
        P = np.asarray(P, dtype=float)
        return c0 + c2 * P**2 + c3 * P**3


def fit_cost(method: str, params, seconds) -> CostModel:
    """Fit :class:`CostModel` to timings: non-negative least squares on relative error.

    Parameters
    ----------
    params : array_like of int, shape (n,)
    seconds : array_like of float, shape (n,)
    """
    from scipy.optimize import nnls

    P = np.asarray(params, dtype=float)
    t = np.asarray(seconds, dtype=float)
    keep = t > 0
    P, t = P[keep], t[keep]
    if len(np.unique(P)) < 2:
        return CostModel(method, DEFAULT_COST[method], 0)
    A = np.stack([np.ones_like(P), P**2, P**3], axis=1) / t[:, None]
    c, _ = nnls(A, np.ones_like(t))
    return CostModel(method, tuple(float(x) for x in c), int(len(t)))


def calibration_tasks(pending: list[PointTask], sampled: dict[str, int]) -> list[PointTask]:
    """A few of the pending points to time, for each method with too few timed sizes.

    Smallest sizes first, ``P`` roughly doubling; the caller stops when its time budget
    (:data:`CALIBRATION_SECONDS`) is spent.
    """
    out = []
    for m in sorted({t.method for t in pending}):
        if sampled.get(m, 0) >= MIN_SAMPLES:
            continue
        mine = sorted((t for t in pending if t.method == m), key=lambda t: t.params)
        last = 0
        for t in mine:
            if t.params >= 2 * last:
                out.append(t)
                last = t.params
    return out


@dataclass(frozen=True)
class Estimate:
    """How long the pending points should take.

    Attributes
    ----------
    points : int
    cpu : float
        Sum of the modelled point times, seconds.
    workers : int
    wall : float
        ``max(cpu / workers, longest point)``.
    samples : int
        Timings the models rest on.
    """

    points: int
    cpu: float
    workers: int
    wall: float
    samples: int

    def text(self) -> str:
        return (
            f"estimate: {self.points} points, about {duration(self.wall)} on {self.workers} "
            f"workers ({duration(self.cpu)} of computing; model fitted to {self.samples} "
            "timed points)"
        )


def estimate(pending: list[PointTask], models: dict[str, CostModel], workers: int) -> Estimate:
    """The modelled time of ``pending`` on ``workers`` workers."""
    if not pending:
        return Estimate(0, 0.0, workers, 0.0, 0)
    cost = point_costs(pending, models)
    cpu = float(cost.sum())
    return Estimate(
        len(pending),
        cpu,
        workers,
        max(cpu / max(workers, 1), float(cost.max())),
        sum(models[m].samples for m in {t.method for t in pending}),
    )


def point_costs(tasks: list[PointTask], models: dict[str, CostModel]) -> np.ndarray:
    """Modelled seconds of each task, shape (len(tasks),)."""
    out = np.empty(len(tasks))
    methods = np.array([t.method for t in tasks])
    P = np.array([t.params for t in tasks])
    for m in set(methods.tolist()):
        sel = methods == m
        out[sel] = models[m](P[sel])
    return out


def check_confirmed(est: Estimate, yes: bool, confirm_above: float = CONFIRM_SECONDS) -> None:
    """Refuse a sweep estimated above ``confirm_above`` seconds of wall time unless ``yes``."""
    if est.wall > confirm_above and not yes:
        raise SymhessError(
            f"{est.text()}: longer than {duration(confirm_above)}; "
            "pass yes=True (--yes on the command line) to run it"
        )


def duration(seconds: float) -> str:
    """``"42 s"``, ``"3.5 min"``, ``"2.1 h"``, ``"3.0 days"``."""
    if not math.isfinite(seconds):
        return "forever"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 172800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"
