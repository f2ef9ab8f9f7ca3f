"""The rank over a grid of ``(d, h)``, on all cores, checked against every prediction.

Each grid point gets its own :func:`symhess.rank.rational_teacher` (same seed, its own
shape) and the rank by the chosen methods. Its *status* says how theory fares there:

* ``exact``: an exact prediction holds (rank equals it);
* ``saturated``: no exact prediction; the rank equals the smallest bound;
* ``below``: no exact prediction; every bound holds, the rank is below all of them
  (mixed polynomials: only a computation settles these);
* ``MISMATCH``: some prediction fails;
* ``DISAGREE``: the methods disagree (checked before the predictions).
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
from dataclasses import dataclass

import numpy as np

from ._io import atomic_write_text, refuse_overwrite
from ._plot import pyplot, save_figure
from ._progress import progress
from .errors import SymhessError
from .hessian import available_memory
from .predictions import Prediction, best
from .rank import (
    _BYTES_PER_ENTRY,
    DEFAULT_DPS,
    check_methods,
    rank_report,
    rational_teacher,
)

PREDICTION_NAMES = (
    "params",
    "hockey_stick",
    "degree_support",
    "eq14",
    "alexander_hirschowitz",
    "linear",
)
STATUSES = ("exact", "saturated", "below", "MISMATCH", "DISAGREE")
MAX_POINTS = 10_000


@dataclass(frozen=True)
class SweepRow:
    """The outcome at one grid point.

    Attributes
    ----------
    d, h, params : int
    ranks : dict of str to int
        Method -> rank.
    rank : int
        The most trustworthy method's rank (exact, else mpmath, else float).
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
    rank: int
    route: str
    decided: bool
    predictions: list
    status: str

    @property
    def best(self) -> Prediction:
        return best(self.predictions)

    @property
    def flagged(self) -> bool:
        return self.status in ("MISMATCH", "DISAGREE")


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


def status_of(ranks: dict, rank: int, preds: list[Prediction]) -> str:
    if len(set(ranks.values())) > 1:
        return "DISAGREE"
    if not all(q.holds(rank) for q in preds):
        return "MISMATCH"
    if any(q.kind == "exact" for q in preds):
        return "exact"
    return "saturated" if rank == best(preds).value else "below"


def _point(task) -> SweepRow:
    spec, d, h, methods, seed, dps, kernel_dirs = task
    t = rational_teacher(d, h, seed)
    r = rank_report(
        spec, t.W, t.v, methods, dps=dps, kernel_dirs=kernel_dirs, seed=seed, show_progress=False
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
        status_of(ranks, r.rank, r.predictions),
    )


def check_grid(ds, hs, methods, jobs: int) -> None:
    """Refuse a grid whose largest points would not fit in memory, ``jobs`` at a time."""
    if len(ds) * len(hs) > MAX_POINTS:
        raise SymhessError(
            f"the grid has {len(ds) * len(hs)} points; at most {MAX_POINTS} are allowed"
        )
    sizes = sorted((h * d + h for d in ds for h in hs), reverse=True)[:jobs]
    per_entry = max(_BYTES_PER_ENTRY[m] for m in methods)
    need = per_entry * sum(P * P for P in sizes)
    avail = available_memory()
    if avail is not None and need > 0.8 * avail:
        raise SymhessError(
            f"the grid is too large for memory: its largest points (P up to {sizes[0]}, "
            f"{len(sizes)} at once) need about {need / 2**30:.1f} GiB but only "
            f"{avail / 2**30:.1f} GiB is available; shrink --d/--h or use --jobs 1"
        )


def _context():
    """Workers forked from a fresh server process that has imported symhess once.

    Not plain fork: a child forked from this process inherits thread pools without their
    threads (symhess.hessian keeps one for float64 assembly) and would wait forever. Not
    spawn: every worker would import SymPy, python-flint and numpy again (seconds each).
    """
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("spawn")
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["symhess.sweep"])
    return ctx


def sweep(
    spec,
    ds,
    hs,
    methods=("exact",),
    *,
    seed: int = 0,
    dps: int = DEFAULT_DPS,
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
    methods : sequence of {"float", "mpmath", "exact"}
    seed : int
        Seed of every point's rational teacher and of the exact route's prime.
    dps : int
        Digits for ``"mpmath"``.
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
    act = check_methods(spec, methods, dps, kernel_dirs)
    ds, hs = sorted(set(ds)), sorted(set(hs))
    if not ds or not hs or min(ds + hs) < 1:
        raise SymhessError("the grid needs positive d and h values")
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(ds) * len(hs)))
    check_grid(ds, hs, methods, jobs)
    # The activation travels to the workers, which resolve its kernels again (modules loaded
    # from files do not pickle; a generated module is found again by its hash). Largest
    # points first keeps the workers evenly loaded.
    tasks = [
        (act, d, h, tuple(methods), seed, dps, kernel_dirs)
        for d, h in sorted(((d, h) for d in ds for h in hs), key=lambda t: -(t[1] * t[0] + t[1]))
    ]
    rows = []
    disable = None if show_progress is None else not show_progress
    bar = progress(total=len(tasks), desc="sweep", unit="point", disable=disable)
    with bar:
        if jobs == 1:
            for task in tasks:
                rows.append(_point(task))
                bar.update()
        else:
            pool = _context().Pool(jobs)
            try:
                for row in pool.imap_unordered(_point, tasks):
                    rows.append(row)
                    bar.update()
                pool.close()  # workers exit cleanly and release their semaphores
            finally:
                pool.terminate()
                pool.join()
    return sorted(rows, key=lambda r: (r.d, r.h))


# ----------------------------------------------------------------------------- outputs
def csv_text(rows: list[SweepRow], methods) -> str:
    """The table as CSV: one row per grid point, predictions blank where they do not apply."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(
        ["d", "h", "params"]
        + [f"rank_{m}" for m in methods]
        + ["rank", "decided"]
        + [f"pred_{n}" for n in PREDICTION_NAMES]
        + ["best", "best_name", "best_kind", "status"]
        + ["route"]
    )
    for r in rows:
        values = {q.name: q.value for q in r.predictions}
        b = r.best
        w.writerow(
            [r.d, r.h, r.params]
            + [r.ranks[m] for m in methods]
            + [r.rank, int(r.decided)]
            + [values.get(n, "") for n in PREDICTION_NAMES]
            + [b.value, b.name, b.kind, r.status, r.route]
        )
    return buf.getvalue()


def write_csv(rows, methods, path, *, force: bool = False) -> None:
    refuse_overwrite(path, force)
    atomic_write_text(path, csv_text(rows, methods))


_MARK = {"exact": "", "saturated": "", "below": "<", "MISMATCH": "!", "DISAGREE": "?"}


def _mark(r: SweepRow) -> str:
    return _MARK[r.status] + ("" if r.decided else "~")


def table_lines(rows: list[SweepRow]) -> list[str]:
    """Rank grid (rows h, columns d) with a mark per cell, then a count of each status."""
    ds = sorted({r.d for r in rows})
    hs = sorted({r.h for r in rows})
    at = {(r.d, r.h): r for r in rows}
    cell = max(len(f"{r.rank}{_mark(r)}") for r in rows) + 1
    lines = [
        "rank by (h, d); < below every bound, ! a prediction fails, ? methods disagree, "
        "~ not decided (no clear gap: raise --dps)"
    ]
    lines.append("  h \\ d " + "".join(f"{d:>{cell}}" for d in ds))
    for h in hs:
        cells = "".join(
            f"{at[d, h].rank}{_mark(at[d, h])}".rjust(cell) if (d, h) in at else " " * cell
            for d in ds
        )
        lines.append(f"  {h:>5} " + cells)
    counts = {s: sum(r.status == s for r in rows) for s in STATUSES}
    lines.append(
        f"{len(rows)} points: {counts['exact']} equal an exact prediction, "
        f"{counts['saturated']} reach the smallest bound, {counts['below']} lie below every "
        f"bound, {counts['MISMATCH']} mismatches, {counts['DISAGREE']} disagreements, "
        f"{sum(not r.decided for r in rows)} not decided"
    )
    for r in rows:
        if r.flagged:
            failing = [q.name for q in r.predictions if not q.holds(r.rank)]
            lines.append(
                f"  {r.status} at d = {r.d}, h = {r.h}: ranks {r.ranks}"
                + (f", failing {', '.join(failing)}" if failing else "")
            )
    return lines


def plot_heatmap(rows: list[SweepRow], path, title: str, *, force: bool = False) -> None:
    """Two panels over (d, h): the measured rank, and rank minus the best prediction.

    Cells are annotated; a prediction that fails or methods that disagree are outlined red.
    """
    plt = pyplot()
    ds = sorted({r.d for r in rows})
    hs = sorted({r.h for r in rows})
    rank = np.full((len(hs), len(ds)), np.nan)
    diff = np.full_like(rank, np.nan)
    for r in rows:
        i, j = hs.index(r.h), ds.index(r.d)
        rank[i, j] = r.rank
        diff[i, j] = r.rank - r.best.value
    fig, axes = plt.subplots(1, 2, figsize=(4 + 1.1 * len(ds), 1.5 + 0.5 * len(hs)))
    lim = max(1.0, float(np.nanmax(np.abs(diff))))
    panels = [
        (rank, "viridis", None, None, "measured rank"),
        (diff, "coolwarm", -lim, lim, "rank - best prediction (< 0: below, > 0: fails)"),
    ]
    small = max(6, 11 - len(ds) // 3)
    for ax, (data, cmap, vmin, vmax, label) in zip(axes, panels, strict=True):
        im = ax.imshow(data, origin="lower", cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
        fig.colorbar(im, ax=ax, label=label)
        ax.set_xticks(range(len(ds)), [str(d) for d in ds])
        ax.set_yticks(range(len(hs)), [str(h) for h in hs])
        ax.set_xlabel("d (input dimension)")
        ax.set_ylabel("h (hidden units)")
        norm = im.norm
        for r in rows:
            i, j = hs.index(r.h), ds.index(r.d)
            text = f"{int(data[i, j])}" + (_mark(r) if data is rank else "")
            dark = data is rank and norm(data[i, j]) < 0.5  # viridis is dark at the bottom
            color = "white" if dark else "black"
            ax.text(j, i, text, ha="center", va="center", fontsize=small, color=color)
            if r.flagged:
                ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=2.5))
    axes[0].set_title("rank of the Hessian")
    axes[1].set_title("against the best prediction")
    fig.suptitle(title)
    save_figure(fig, path, force=force)
