"""The rank over a grid of ``(d, h)``, on all cores, checked against every prediction.

Each grid point gets its own :func:`symhess.rank.rational_teacher` (same seed, its own
shape) and the rank by the chosen methods. Its *status* says how theory fares there:

* ``exact``: an exact prediction holds (rank equals it);
* ``saturated``: no exact prediction; the rank equals the smallest bound;
* ``below``: no exact prediction; every bound holds, the rank is below all of them
  (mixed polynomials: only a computation settles these);
* ``MISMATCH``: some prediction fails;
* ``DISAGREE``: the methods disagree (checked before the predictions);
* ``UNDECIDED``: no method gave a rank (the certified method could not prove one).
"""

from __future__ import annotations

import multiprocessing
import os
from dataclasses import dataclass

from ..base import memory
from ..base.progress import progress
from ..errors import SymhessError
from .measure import (
    DEFAULT_DPS,
    DEFAULT_PREC,
    check_methods,
    rank_bytes,
    rank_report,
    rational_teacher,
)
from .theory import Prediction, best

STATUSES = ("exact", "saturated", "below", "MISMATCH", "DISAGREE", "UNDECIDED")
MAX_POINTS = 10_000


@dataclass(frozen=True)
class SweepRow:
    """The outcome at one grid point.

    Attributes
    ----------
    d, h, params : int
    ranks : dict of str to int or None
        Method -> rank (``None``: the certified method proved nothing).
    rank : int or None
        The most trustworthy method's rank (exact, certified, mpmath, float).
    route : str
        How that rank was decided (tolerance, or the exact route).
    decided : bool
        The rank is settled: exact, or the floating-point method's gap separated its zeros.
    predictions : list of Prediction
    status : str
        One of :data:`STATUSES`.
    """

    d: int
    h: int
    params: int
    ranks: dict
    rank: int | None
    route: str
    decided: bool
    predictions: list
    status: str

    @property
    def best(self) -> Prediction:
        return best(self.predictions)

    @property
    def flagged(self) -> bool:
        return self.status in ("MISMATCH", "DISAGREE", "UNDECIDED")


def parse_range(text: str, name: str) -> list[int]:
    """``"1:8"`` (inclusive), ``"1:8:2"`` or ``"5"`` -> list of positive integers."""
    parts = str(text).split(":")
    try:
        nums = [int(p) for p in parts]
    except ValueError:
        nums = []
    if not 1 <= len(nums) <= 3 or any(n < 1 for n in nums):
        raise SymhessError(
            f"{name} must be a positive integer or an inclusive range START:STOP[:STEP] of "
            f"them, got {text!r}"
        )
    if len(nums) == 1:
        return nums
    start, stop = nums[0], nums[1]
    step = nums[2] if len(nums) == 3 else 1
    if stop < start:
        raise SymhessError(f"{name}: the range {text!r} is empty (STOP < START)")
    return list(range(start, stop + 1, step))


def status_of(
    ranks: dict, rank: int | None, preds: list[Prediction], agree: bool | None = None
) -> str:
    """The status of one grid point; ``agree`` (from :attr:`RankReport.agree`) says whether
    the methods are consistent (default: all ranks equal)."""
    if rank is None:
        return "UNDECIDED"
    differ = len({r for r in ranks.values() if r is not None}) > 1
    if differ if agree is None else not agree:
        return "DISAGREE"
    if not all(q.holds(rank) for q in preds if q.kind != "claim"):  # claims are under test
        return "MISMATCH"
    if any(q.kind == "exact" for q in preds):
        return "exact"
    return "saturated" if rank == best(preds).value else "below"


def _point(task) -> SweepRow:
    spec, d, h, methods, seed, dps, prec, kernel_dirs = task
    t = rational_teacher(d, h, seed)
    r = rank_report(
        spec,
        t.W,
        t.v,
        methods,
        dps=dps,
        prec=prec,
        kernel_dirs=kernel_dirs,
        seed=seed,
        show_progress=False,
    )
    ranks = {m: x.rank for m, x in r.results.items()}
    return SweepRow(
        d,
        h,
        r.params,
        ranks,
        r.rank,
        r.results[r.reference].detail,
        r.results[r.reference].decided,
        r.predictions,
        status_of(ranks, r.rank, r.predictions, r.agree),
    )


def check_grid(ds, hs, methods, jobs: int) -> None:
    """Refuse a grid whose largest points would not fit in memory, ``jobs`` at a time."""
    if len(ds) * len(hs) > MAX_POINTS:
        raise SymhessError(
            f"the grid has {len(ds) * len(hs)} points; at most {MAX_POINTS} are allowed"
        )
    sizes = sorted((h * d + h for d in ds for h in hs), reverse=True)[:jobs]
    need = sum(max(rank_bytes(P, m) for m in methods) for P in sizes)
    memory.require(
        need,
        f"the grid's largest points (P up to {sizes[0]}, {len(sizes)} at once)",
        "shrink the grid (d, h) or use jobs=1",
    )


def process_context(preload=("symhess.rank.grid",)):
    """Workers forked from a fresh server process that has imported ``preload`` once.

    Not plain fork: a child forked from this process inherits thread pools without their
    threads (symhess.curvature.dense keeps one for float64 assembly) and would wait forever. Not
    spawn: every worker would import SymPy, python-flint and numpy again (seconds each).
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(list(preload))
    return ctx


def sweep(
    spec,
    ds,
    hs,
    methods=("exact",),
    *,
    seed: int = 0,
    dps: int = DEFAULT_DPS,
    prec: int = DEFAULT_PREC,
    jobs: int | None = None,
    kernel_dirs=None,
    show_progress: bool | None = None,
) -> list[SweepRow]:
    """The rank at every ``(d, h)`` of the grid, with its predictions and status.

    Parameters
    ----------
    spec : str, coefficient list or Activation
    ds, hs : sequence of int
        Input dimensions and hidden-unit counts.
    methods : sequence of {"float", "mpmath", "exact", "certified"}
        ``"exact"`` on the ReLU family runs ``"certified"`` (see
        :func:`symhess.rank.measure.check_methods`).
    seed : int
        Seed of every point's rational teacher and of the exact route's prime.
    dps : int
        Digits for ``"mpmath"``.
    prec : int
        Bits of the ball arithmetic for ``"certified"``.
    jobs : int, optional
        Worker processes (default: every core); 1 runs in this process.
    kernel_dirs : sequence of paths, optional
    show_progress : bool, optional
        ``None``: a progress bar only on a terminal.

    Returns
    -------
    list of SweepRow
        Ordered by ``d``, then ``h``.
    """
    act, methods, _ = check_methods(spec, methods, dps, kernel_dirs, prec)
    ds, hs = sorted(set(ds)), sorted(set(hs))
    if not ds or not hs or min(ds + hs) < 1:
        raise SymhessError("the grid needs positive d and h values")
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(ds) * len(hs)))
    check_grid(ds, hs, methods, jobs)
    # Largest points first keeps the workers evenly loaded.
    tasks = [
        (act, d, h, tuple(methods), seed, dps, prec, kernel_dirs)
        for d, h in sorted(((d, h) for d in ds for h in hs), key=lambda t: -(t[1] * t[0] + t[1]))
    ]
    rows = []
    bar = progress(total=len(tasks), desc="sweep", unit="point", show=show_progress)
    with bar:
        if jobs == 1:
            for task in tasks:
                rows.append(_point(task))
                bar.update()
        else:
            pool = process_context().Pool(jobs)
            try:
                for row in pool.imap_unordered(_point, tasks):
                    rows.append(row)
                    bar.update()
                # Workers exit cleanly and release their semaphores (terminate() after
                # close() made the resource tracker warn of leaked semaphores).
                pool.close()
            except BaseException:
                pool.terminate()
                raise
            finally:
                pool.join()
    return sorted(rows, key=lambda r: (r.d, r.h))
