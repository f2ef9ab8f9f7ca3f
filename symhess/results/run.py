"""A sweep as a resumable workload: plan, skip what is stored, estimate, run, store.

:func:`run_tasks` is the one loop: it takes the store's sweep lock, finds the points not yet
stored, times a few of them if the store has too few timings, states the estimate (and
refuses above :data:`~.plan.CONFIRM_SECONDS` without ``yes``), then hands the rest to an
engine and writes every result the moment it comes back, one transaction each. Interrupted
in any way (``Ctrl-C``, ``kill -9``, a crash, a lost Dask worker), the same call again
computes only what is missing.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from dataclasses import dataclass

import numpy as np

from ..base.progress import progress, scope
from ..rank.grid import SweepRow, check_grid, status_of
from ..rank.measure import DEFAULT_DPS, DEFAULT_PREC, REFERENCE_ORDER
from ..rank.theory import Prediction, upper_bound
from . import plan
from .engine import DEFAULT_TIMEOUT, DaskEngine, PoolEngine, SerialEngine, make_engine
from .plan import (
    CALIBRATION_SECONDS,
    Estimate,
    calibration_tasks,
    check_confirmed,
    estimate,
    fit_cost,
    grid_tasks,
    point_costs,
)
from .points import PointResult, PointTask, compute
from .store import Store

QUIET_SECONDS = 10.0
"""Estimates of less wall time than this are not printed."""
SERIAL_SECONDS = 3.0
"""A default pool is not started for less computing than this (its start-up costs seconds)."""


@dataclass(frozen=True)
class SweepOutcome:
    """What a sweep did.

    Attributes
    ----------
    planned : int
        Points the sweep asked for.
    stored_before : int
        Of which the store had before it started.
    computed : int
        Points this sweep wrote (calibration included).
    estimate : Estimate
        The estimate for the points left after calibration.
    sweep_id : int
    engine : str
        Where the points ran.
    """

    planned: int
    stored_before: int
    computed: int
    estimate: Estimate
    sweep_id: int
    engine: str


def run_tasks(
    store: Store,
    tasks: list[PointTask],
    *,
    engine=None,
    yes: bool = False,
    confirm_above: float | None = None,
    calibrate: bool = True,
    show_progress: bool | None = None,
    command: str = "",
    wait: float = 0.0,
    break_lock: bool = False,
    echo=None,
) -> SweepOutcome:
    """Compute every task the store lacks, and store each result as it arrives.

    Parameters
    ----------
    store : Store
    tasks : list of PointTask
    engine : SerialEngine, PoolEngine or DaskEngine, optional
        Default: a :class:`~.engine.PoolEngine` on every core (replaced by this process when
        the work left is less than :data:`SERIAL_SECONDS`).
    yes : bool
        Run even if the estimate exceeds ``confirm_above`` seconds (default
        :data:`~.plan.CONFIRM_SECONDS`).
    calibrate : bool
        Time a few pending points in this process when the store has too few timings of a
        method (:data:`~.plan.MIN_SAMPLES`).
    show_progress : bool, optional
        A bar with the total, the rate and the ETA (``None``: only on a terminal).
    command : str
        What was asked, recorded in the ``sweeps`` table.
    wait, break_lock
        See :meth:`Store.begin_sweep`.
    echo : callable, optional
        Receives the estimate line (default: stderr, when above :data:`QUIET_SECONDS`).

    Raises
    ------
    SymhessError
        The lock is held, the estimate is above ``confirm_above`` without ``yes``, the
        engine cannot start, or a point's own error (points finished before it stay stored).
    """
    engine = engine or PoolEngine(auto=True)
    echo = echo or (lambda line: print(line, file=sys.stderr))
    keys = {t.key: t for t in tasks}  # one task per key, the first wins
    tasks = list(keys.values())
    remote = isinstance(engine, DaskEngine) and engine.remote
    if not remote:  # a remote cluster's memory is its own
        ds = sorted({t.d for t in tasks})
        hs = sorted({t.h for t in tasks})
        check_grid(ds, hs, sorted({t.method for t in tasks}), engine.workers)
    sid = store.begin_sweep(command, engine.name, len(tasks), wait=wait, break_lock=break_lock)
    computed, state = 0, "failed"
    try:
        with scope(show_progress):
            stored = store.stored(keys)
            pending = [t for t in tasks if t.key not in stored]
            todo = len(pending)
            store.set_todo(sid, todo)
            if remote and pending:
                engine.__enter__()  # an unreachable scheduler fails before any work
            try:
                methods = sorted({t.method for t in pending})
                if calibrate and pending:
                    sampled = {m: len(set(store.timings(m)[0])) for m in methods}
                    budget = CALIBRATION_SECONDS
                    for t in calibration_tasks(pending, sampled):
                        if budget <= 0:
                            break
                        r = compute(t)
                        budget -= r.seconds
                        computed += store.add(r, sid)
                        stored.add(t.key)
                    pending = [t for t in pending if t.key not in stored]
                models = {m: fit_cost(m, *store.timings(m)) for m in methods}
                est = estimate(pending, models, engine.workers)
                if est.wall > QUIET_SECONDS:
                    echo(est.text())
                limit = plan.CONFIRM_SECONDS if confirm_above is None else confirm_above
                check_confirmed(est, yes, limit)
                if engine.auto and est.cpu < SERIAL_SECONDS:
                    engine = SerialEngine()  # the remainder is cheaper than starting the pool
                if pending:
                    computed += _run(store, sid, engine, pending, models, len(tasks), remote)
            finally:
                if remote and pending:
                    engine.__exit__(None)
        state = "done"
    except KeyboardInterrupt:
        state = "interrupted"
        raise
    finally:
        store.end_sweep(sid, state, computed)
    return SweepOutcome(len(tasks), len(tasks) - todo, computed, est, sid, engine.name)


def _run(store, sid, engine, pending, models, total, entered) -> int:
    """Largest points first (workers finish together); each result stored as it arrives."""
    order = np.argsort(-point_costs(pending, models), kind="stable")
    pending = [pending[i] for i in order]
    computed = 0
    bar = progress(total=total, initial=total - len(pending), desc="sweep", unit="point")
    with bar:
        if entered:
            results = engine.imap(compute, pending)
            for r in results:
                computed += store.add(r, sid)
                bar.update()
        else:
            with engine:
                for r in engine.imap(compute, pending):
                    computed += store.add(r, sid)
                    bar.update()
    return computed


def run_sweep(
    path,
    activations,
    ds,
    hs,
    *,
    seeds=(0,),
    methods=("exact",),
    dps: int = DEFAULT_DPS,
    prec: int = DEFAULT_PREC,
    kernel_dirs=None,
    scheduler: str | None = None,
    engine: str | None = None,
    jobs: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    **options,
) -> tuple[SweepOutcome, list[PointResult]]:
    """The rank at every (activation, d, h, seed, method) point, through a results store.

    Parameters
    ----------
    path : str, path-like or Store
        The results database (created if missing); ``":memory:"`` keeps nothing.
    activations : sequence of str, coefficient lists or Activation
    ds, hs, seeds : sequences of int
    methods : sequence of {"float", "mpmath", "exact", "certified"}
        ``"exact"`` on the ReLU family runs ``"certified"`` (see :func:`~.plan.grid_tasks`).
    dps : int
        Digits for ``"mpmath"``.
    prec : int
        Bits of the ball arithmetic for ``"certified"``.
    kernel_dirs : sequence of paths, optional
    scheduler, engine, jobs, timeout
        See :func:`~.engine.make_engine`.
    **options
        Passed to :func:`run_tasks` (``yes``, ``show_progress``, ``wait``, ...).

    Returns
    -------
    (SweepOutcome, list of PointResult)
        What the sweep did, and the result of every point of the grid, sorted by key.
    """
    tasks = grid_tasks(
        activations, ds, hs, seeds, methods, dps=dps, prec=prec, kernel_dirs=kernel_dirs
    )
    eng = make_engine(scheduler, engine=engine, jobs=jobs, timeout=timeout)
    own = not isinstance(path, Store)
    store = Store(path) if own else path
    try:
        outcome = run_tasks(store, tasks, engine=eng, **options)
        return outcome, store.results([t.key for t in tasks])
    finally:
        if own:
            store.close()


def _consistent(rs: dict, preds) -> bool:
    """Whether the methods of one point agree: a decided rank is one value, an undecided
    floating-point count the interval up to the proven bound; they agree when the intervals
    meet (as :attr:`symhess.rank.measure.RankReport.agree`)."""
    bound = upper_bound(preds) if preds else None
    spans = [
        (x.rank, x.rank if x.decided or bound is None else max(bound, x.rank))
        for x in rs.values()
        if x.rank is not None
    ]
    return not spans or max(lo for lo, _ in spans) <= min(hi for _, hi in spans)


def sweep_rows(results: list[PointResult]) -> dict[tuple[str, str, int], list[SweepRow]]:
    """Group stored points into :class:`symhess.rank.grid.SweepRow` grids.

    Returns
    -------
    dict
        ``(label, canonical activation, seed) -> rows`` ordered by ``(d, h)`` (``label`` ends
        in " with biases" for networks with biases); each row joins
        the methods of one point, with the status over all of them (``DISAGREE`` when their
        ranks differ, ``UNDECIDED`` when none gave a rank), as :func:`symhess.rank.grid.sweep`
        makes them. The row's rank is the most trustworthy method's that gave one
        (:data:`symhess.rank.measure.REFERENCE_ORDER`).
    """
    by_point = defaultdict(dict)
    for r in results:
        k = r.key
        label = r.label + (" with biases" if k.biases else "")
        by_point[(label, k.activation, k.seed, k.d, k.h)][k.method] = r
    out = defaultdict(list)
    for (label, canon, seed, d, h), rs in sorted(by_point.items()):
        measured = [m for m in REFERENCE_ORDER if m in rs]
        ref = next((m for m in measured if rs[m].rank is not None), measured[0])
        r = rs[ref]
        preds = [Prediction(n, v, kind, src) for n, v, kind, _, src in r.predictions]
        ranks = {m: x.rank for m, x in rs.items()}
        out[(label, canon, seed)].append(
            SweepRow(d, h, r.params, ranks, r.rank, r.detail, r.decided, preds,
                     status_of(ranks, r.rank, preds, _consistent(rs, preds)))
        )  # fmt: skip
    return dict(out)
