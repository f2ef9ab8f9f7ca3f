"""Outputs of a rank sweep: the CSV table, the text grid, the summary of many grids, and the
heatmap."""

from __future__ import annotations

import csv
import io

import numpy as np

from ..files import atomic_write_text, refuse_overwrite
from ..rank.grid import STATUSES, SweepRow
from ..rank.theory import PREDICTION_NAMES
from .plot import pyplot, save_figure


def _header(methods) -> list[str]:
    return (
        ["d", "h", "params"]
        + [f"rank_{m}" for m in methods]
        + ["rank", "decided"]
        + [f"pred_{n}" for n in PREDICTION_NAMES]
        + ["best", "best_name", "best_kind", "status"]
        + ["route"]
    )


def _row(r: SweepRow, methods) -> list:
    values = {q.name: q.value for q in r.predictions}
    b = r.best
    return (
        [r.d, r.h, r.params]
        + ["" if r.ranks.get(m) is None else r.ranks[m] for m in methods]
        + ["" if r.rank is None else r.rank, int(r.decided)]
        + [values.get(n, "") for n in PREDICTION_NAMES]
        + [b.value, b.name, b.kind, r.status, r.route]
    )


def csv_text(rows: list[SweepRow], methods) -> str:
    """The table as CSV: one row per grid point, predictions blank where they do not apply."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(_header(methods))
    for r in rows:
        w.writerow(_row(r, methods))
    return buf.getvalue()


def grids_csv_text(grids: dict, methods) -> str:
    """Several grids in one CSV: :func:`csv_text`'s columns after ``activation, seed``.

    ``grids`` maps ``(label, canonical, seed)`` to rows, as
    :func:`symhess.results.run.sweep_rows` returns them; a method a grid lacks is blank.
    """
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["activation", "seed", *_header(methods)])
    for (label, _, seed), rows in grids.items():
        for r in rows:
            w.writerow([label, seed, *_row(r, methods)])
    return buf.getvalue()


def write_csv(rows, methods, path, *, force: bool = False, how: str = "force=True") -> None:
    """Write :func:`csv_text` to ``path`` atomically; an existing file needs ``force``."""
    refuse_overwrite(path, force, how=how)
    atomic_write_text(path, csv_text(rows, methods))


def summary_lines(grids: dict, limit: int = 20) -> list[str]:
    """One line per activation and seed (statuses counted), at most ``limit`` of them.

    Past ``limit`` grids, those with a mismatch, a disagreement, a point without a rank or a
    point below every bound come first; a last line counts all of them.
    """
    counted = []
    for (label, _, seed), rows in grids.items():
        count = {s: sum(r.status == s for r in rows) for s in STATUSES}
        counted.append((label, seed, len(rows), count))
    flagged = ("MISMATCH", "DISAGREE", "UNDECIDED", "below")
    interesting = [c for c in counted if sum(c[3][s] for s in flagged)]
    shown = counted if len(counted) <= limit else (interesting + counted)[:limit]
    shown = list(dict.fromkeys((c[0], c[1]) for c in shown))
    by_key = {(c[0], c[1]): c for c in counted}
    width = min(28, max(len(c[0]) for c in counted))
    lines = []
    for key in shown:
        label, seed, n, count = by_key[key]
        lines.append(
            f"  {label:<{width}} seed {seed}: {n} points, {count['exact']} exact, "
            f"{count['saturated']} reach the smallest bound, {count['below']} below every bound"
            + (f", {count['MISMATCH']} MISMATCH" if count["MISMATCH"] else "")
            + (f", {count['DISAGREE']} DISAGREE" if count["DISAGREE"] else "")
            + (f", {count['UNDECIDED']} without a rank" if count["UNDECIDED"] else "")
        )
    total = {s: sum(c[3][s] for c in counted) for s in STATUSES}
    if len(shown) < len(counted):
        lines.append(f"  ... {len(counted) - len(shown)} more grids")
    lines.append(
        f"{len(counted)} grids, {sum(c[2] for c in counted)} points: {total['exact']} equal an "
        f"exact prediction, {total['saturated']} reach the smallest bound, {total['below']} lie "
        f"below every bound, {total['MISMATCH']} mismatches, {total['DISAGREE']} disagreements"
        + (f", {total['UNDECIDED']} without a rank" if total["UNDECIDED"] else "")
    )
    return lines


_MARK = {
    "exact": "",
    "saturated": "",
    "below": "<",
    "MISMATCH": "!",
    "DISAGREE": "?",
    "UNDECIDED": "",
}


def _mark(r: SweepRow) -> str:
    return _MARK[r.status] + ("" if r.decided else "~")


def _rank_text(r: SweepRow) -> str:
    return "-" if r.rank is None else str(r.rank)


def table_lines(rows: list[SweepRow]) -> list[str]:
    """Rank grid (rows h, columns d) with a mark per cell, then a count of each status."""
    ds = sorted({r.d for r in rows})
    hs = sorted({r.h for r in rows})
    at = {(r.d, r.h): r for r in rows}
    cell = max(len(f"{_rank_text(r)}{_mark(r)}") for r in rows) + 1
    lines = [
        "rank by (h, d); < below every bound, ! a prediction fails, ? methods disagree, "
        "~ not decided (eigenvalues at the noise may be zero: raise --dps; not certified: "
        "raise --prec), - no rank"
    ]
    lines.append("  h \\ d " + "".join(f"{d:>{cell}}" for d in ds))
    for h in hs:
        cells = "".join(
            f"{_rank_text(at[d, h])}{_mark(at[d, h])}".rjust(cell) if (d, h) in at else " " * cell
            for d in ds
        )
        lines.append(f"  {h:>5} " + cells)
    counts = {s: sum(r.status == s for r in rows) for s in STATUSES}
    # a rank below every bound that was not decided is most likely eigenvalues lost in the
    # noise, not a finding: say so next to the count
    below_undecided = sum(r.status == "below" and not r.decided for r in rows)
    below = f"{counts['below']} lie below every bound" + (
        f" ({below_undecided} of them not decided: likely rounding, not a finding)"
        if below_undecided
        else ""
    )
    lines.append(
        f"{len(rows)} points: {counts['exact']} equal an exact prediction, "
        f"{counts['saturated']} reach the smallest bound, {below}, "
        f"{counts['MISMATCH']} mismatches, {counts['DISAGREE']} disagreements, "
        f"{counts['UNDECIDED']} without a rank, {sum(not r.decided for r in rows)} not decided"
    )
    for r in rows:
        if r.flagged:
            failing = [q.name for q in r.predictions if r.rank is not None and not q.holds(r.rank)]
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
        if r.rank is None:
            continue
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
            if r.rank is None:
                ax.text(j, i, "-", ha="center", va="center", fontsize=small)
                continue
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
