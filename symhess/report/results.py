"""The results database as users read it: a table on screen, CSV on disk."""

from __future__ import annotations

import csv
import io

from ..files import atomic_write_text, refuse_overwrite
from ..results.store import Store

SHOWN = ("label", "d", "h", "seed", "method", "rank", "best_value", "status", "route", "generic")
"""Columns of the ``results`` view that ``symhess results`` prints (CSV has them all)."""


def csv_text(columns, rows) -> str:
    """Rows as CSV with a header line; NULL is an empty field."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    w.writerows(rows)
    return buf.getvalue()


def export_csv(store: Store, path, where: str = "", *, force: bool = False, how="force=True"):
    """Write the rows of the ``results`` view matching ``where`` as CSV, atomically.

    Returns
    -------
    int
        The number of rows written.
    """
    refuse_overwrite(path, force, how=how)
    columns, rows = store.rows(where)
    atomic_write_text(path, csv_text(columns, rows))
    return len(rows)


def _cell(column: str, value) -> str:
    if value is None:
        return "-" if column == "rank" else ""
    return str(value)


def table_lines(columns, rows, limit: int) -> list[str]:
    """The :data:`SHOWN` columns of at most ``limit`` rows, aligned, then a count.

    A point without a rank (the certified method proved none) shows ``-`` in ``rank``.
    """
    idx = [columns.index(c) for c in SHOWN]
    table = [list(SHOWN)] + [
        [_cell(c, row[i]) for c, i in zip(SHOWN, idx, strict=True)] for row in rows[:limit]
    ]
    widths = [max(len(r[j]) for r in table) for j in range(len(SHOWN))]
    lines = [
        "  ".join(
            x.rjust(w) if x.lstrip("-").isdigit() else x.ljust(w)
            for x, w in zip(r, widths, strict=True)
        ).rstrip()
        for r in table
    ]
    more = len(rows) - limit
    hidden = f" ({more} not shown: raise --limit, or --csv)" if more > 0 else ""
    lines.append(f"{len(rows)} points{hidden}")
    return lines
