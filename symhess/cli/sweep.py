"""``symhess sweep``: the rank over a grid of (d, h), checked against every prediction."""

from __future__ import annotations

from ..kernels import resolve
from ..rank.grid import parse_range, sweep
from ..rank.measure import check_methods
from ..report.plot import pyplot
from ..report.sweep import plot_heatmap, table_lines, write_csv
from .options import (
    DEFAULT_SEED,
    add_kernels_option,
    add_method_options,
    check_output,
    methods_of,
    positive,
    seed,
)


def cmd_sweep(args):
    ds = parse_range(args.d, "--d")
    hs = parse_range(args.h, "--h")
    for path in (args.out, args.plot):
        if path is not None:
            check_output(path, args.force)
    if args.plot is not None:
        pyplot()  # fail before the work if matplotlib is missing
    kern = resolve(args.expr, args.kernels)
    act, methods, notes = check_methods(
        kern, methods_of(args.method, kern), args.dps, args.kernels, args.prec
    )
    s = DEFAULT_SEED if args.seed is None else args.seed
    rows = sweep(
        act,
        ds,
        hs,
        methods,
        seed=s,
        dps=args.dps,
        prec=args.prec,
        jobs=args.jobs,
        kernel_dirs=args.kernels,
    )
    print(f"activation  sigma(z) = {act.short}; method {', '.join(methods)}; seed {s}")
    for note in notes:
        print(f"note        {note}")
    print("\n".join(table_lines(rows)))
    if args.out is not None:
        write_csv(rows, methods, args.out, force=args.force)
        print(f"wrote {args.out}")
    if args.plot is not None:
        plot_heatmap(rows, args.plot, f"{act.short}: {', '.join(methods)} rank", force=args.force)
        print(f"wrote {args.plot}")
    return 1 if any(r.flagged for r in rows) else 0


def register(sub):
    p = sub.add_parser(
        "sweep",
        help="Hessian rank over a grid of (d, h) against every theoretical count",
        description="The rank at every grid point (each with its own random rational teacher), "
        "computed on all cores, each point marked: equal to an exact prediction, reaching the "
        "smallest bound, below every bound, or a mismatch (a prediction fails) or "
        "disagreement (methods differ). Exit status 1 when any point is a mismatch or "
        "disagreement.",
    )
    p.add_argument("expr", metavar="EXPR", help="activation in z, e.g. 'z + z**3'")
    p.add_argument("--d", required=True, help="input dimensions: D or START:STOP[:STEP], inclusive")
    p.add_argument("--h", required=True, help="hidden units: H or START:STOP[:STEP], inclusive")
    p.add_argument("--seed", type=seed, help=f"random seed (default {DEFAULT_SEED})")
    add_method_options(p, default="exact")
    p.add_argument("--jobs", type=positive("--jobs"), help="worker processes (default: all cores)")
    p.add_argument("--out", metavar="TABLE.csv", help="write the table as CSV")
    p.add_argument("--plot", metavar="HEATMAP.png", help="heatmap: rank against best prediction")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    add_kernels_option(p)
    p.set_defaults(func=cmd_sweep)
