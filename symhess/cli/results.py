"""``symhess results``: list or export a results database (read-only)."""

from __future__ import annotations

from ..report.results import export_csv, table_lines
from ..results import Store
from ..results.store import WHERE_FIELDS
from .options import check_output, positive


def cmd_results(args):
    where = " and ".join(args.where or [])
    if args.csv is not None:
        check_output(args.csv, args.force)
    with Store(args.db, readonly=True) as store:
        if args.csv is not None:
            n = export_csv(store, args.csv, where, force=args.force, how="--force")
            print(f"wrote {args.csv}: {n} points")
            return 0
        columns, rows = store.rows(where)
    print("\n".join(table_lines(columns, rows, args.limit)))
    return 0


def register(sub):
    p = sub.add_parser(
        "results",
        help="list or export the points of a results database",
        description="The points stored by 'symhess sweep --db' or 'symhess atlas --db', read "
        "without changing the file. --where takes conditions FIELD OP VALUE joined by 'and' "
        "(OP: = != < <= > >=; VALUE: a number, a word or a quoted string; activation = "
        "'z + z**3' matches any spelling of the polynomial). Fields: "
        + ", ".join(WHERE_FIELDS)
        + ". The file is an SQLite database: sqlite3 RESULTS.sqlite opens it too.",
    )
    p.add_argument("db", metavar="RESULTS.sqlite", help="a database written by symhess")
    p.add_argument(
        "--where",
        action="append",
        metavar="COND",
        help="e.g. 'status = below and d >= 3' (repeatable; all must hold)",
    )
    p.add_argument("--csv", metavar="OUT.csv", help="write every column of the matching points")
    p.add_argument(
        "--limit", type=positive("--limit"), default=200, help="rows shown (default 200)"
    )
    p.add_argument("--force", action="store_true", help="overwrite an existing CSV file")
    p.set_defaults(func=cmd_results)
