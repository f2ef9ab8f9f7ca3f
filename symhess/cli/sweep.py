"""``symhess sweep``: the rank over activations x (d, h) x seeds, optionally into a results
database that survives any interruption."""

from __future__ import annotations

import shlex
import sys

from ..activation import parse_family
from ..errors import SymhessError
from ..files import atomic_write_text
from ..kernels import resolve
from ..rank.grid import parse_range
from ..rank.measure import METHODS, check_methods
from ..report.sweep import grids_csv_text, plot_heatmap, summary_lines, table_lines, write_csv
from ..results import Store, grid_tasks, make_engine, run_tasks, sweep_rows
from .options import (
    DEFAULT_SEED,
    add_engine_options,
    add_kernels_option,
    add_method_options,
    check_output,
    check_plot,
    methods_of,
    seeds,
)


def command_line() -> str:
    """The command as typed, for the ``sweeps`` table."""
    return shlex.join(["symhess", *sys.argv[1:]])


def run_options(args) -> dict:
    """Options of :func:`symhess.results.run_tasks` from the engine options."""
    return {
        "yes": args.yes,
        "wait": args.wait,
        "break_lock": args.break_lock,
        "command": command_line(),
    }


def engine_of(args):
    return make_engine(args.scheduler, engine=args.engine, jobs=args.jobs, timeout=args.timeout)


def interrupted(db) -> KeyboardInterrupt:
    """Ctrl-C with what survives it, for the one line the command prints."""
    if db is None:
        return KeyboardInterrupt()
    return KeyboardInterrupt(
        f"the points finished so far are stored in {db} (rerun the same command to resume)"
    )


def cmd_sweep(args):
    ds = parse_range(args.d, "--d")
    hs = parse_range(args.h, "--h")
    chosen = args.seeds if args.seeds is not None else [DEFAULT_SEED]
    if args.out is not None:
        check_output(args.out, args.force)
    if args.plot is not None:
        check_plot(args.plot, args.force)  # also fails before the work without matplotlib
    acts = [resolve(e, args.kernels).activation for e in args.expr]
    for text in args.family or []:
        acts += parse_family(text).activations()
    if not acts:
        raise SymhessError("give an activation EXPR, or a family with --family TEXT")
    tasks, notes = [], {}
    for act in acts:
        kern = resolve(act, args.kernels)
        act, methods, said = check_methods(
            kern,
            methods_of(args.method, kern, bias=bool(args.bias)),
            args.dps,
            args.kernels,
            args.prec,
            args.bias,
        )
        notes.setdefault(act.short + (" with biases" if args.bias else ""), said)
        tasks += grid_tasks(
            [act],
            ds,
            hs,
            chosen,
            methods,
            dps=args.dps,
            prec=args.prec,
            kernel_dirs=args.kernels,
            biases=args.bias,
        )
    if args.plot is not None:
        if len({t.act.canonical for t in tasks}) > 1 or len(chosen) > 1:
            raise SymhessError("--plot draws one activation at one seed; drop --plot or narrow")
    engine = engine_of(args)
    store = Store(args.db if args.db is not None else ":memory:")
    try:
        outcome = run_tasks(store, tasks, engine=engine, **run_options(args))
        results = store.results([t.key for t in tasks])
    except KeyboardInterrupt:
        raise interrupted(args.db) from None
    finally:
        store.close()
    grids = sweep_rows(results)
    every = tuple(m for m in METHODS if any(t.method == m for t in tasks))
    if len(grids) == 1:
        (label, _, seed), rows = next(iter(grids.items()))
        methods = tuple(m for m in every if m in rows[0].ranks)
        print(f"activation  sigma(z) = {label}; method {', '.join(methods)}; seed {seed}")
        for note in notes.get(label, []):
            print(f"note        {note}")
        print("\n".join(table_lines(rows)))
    else:
        print(f"{len(grids)} activation and seed grids, method {args.method}:")
        for label, said in notes.items():
            for note in said:
                print(f"note        {label}: {note}")
        print("\n".join(summary_lines(grids)))
    if args.db is not None:
        print(
            f"{args.db}: {outcome.computed} points computed, {outcome.stored_before} "
            f"already stored, of {outcome.planned} (symhess results {shlex.quote(args.db)})"
        )
    if args.out is not None:
        if len(grids) == 1:
            write_csv(rows, methods, args.out, force=args.force, how="--force")
        else:
            check_output(args.out, args.force)
            atomic_write_text(args.out, grids_csv_text(grids, every))
        print(f"wrote {args.out}")
    if args.plot is not None:
        plot_heatmap(rows, args.plot, f"{label}: {', '.join(methods)} rank", force=args.force)
        print(f"wrote {args.plot}")
    return 1 if any(r.flagged for rows in grids.values() for r in rows) else 0


def register(sub):
    p = sub.add_parser(
        "sweep",
        help="Hessian rank over activations x (d, h) x seeds, against every theoretical count",
        description="The rank at every grid point (each with its own random rational teacher), "
        "computed on all cores (or a Dask cluster), each point marked: equal to an exact "
        "prediction, reaching the smallest bound, below every bound, or a mismatch (a "
        "prediction fails), disagreement (methods differ) or undecided (the certified method "
        "proved no rank: raise --prec). The ReLU family's exact rank is the certified one (ball "
        "arithmetic). With --db every point is stored the moment it is computed; the same "
        "command again skips what is stored (resume after Ctrl-C or kill -9). Exit status 1 "
        "when any point is a mismatch, disagreement or undecided.",
    )
    p.add_argument(
        "expr", metavar="EXPR", nargs="*", help="activations in z, e.g. 'z + z**3' (several)"
    )
    p.add_argument(
        "--family",
        action="append",
        metavar="TEXT",
        help="a family of polynomials, e.g. 'support:1..4 coeffs:+-1' (repeatable; grammar: "
        "support:DEGREES coeffs:VALUES|random terms:N[..M] need:DEGREES seed:N)",
    )
    p.add_argument(
        "--d",
        default="1:5",
        help="input dimensions: D or START:STOP[:STEP], inclusive (default 1:5)",
    )
    p.add_argument(
        "--h", default="1:5", help="hidden units: H or START:STOP[:STEP], inclusive (default 1:5)"
    )
    p.add_argument(
        "--seeds",
        "--seed",
        dest="seeds",
        type=seeds,
        help=f"teacher seeds: N, START:STOP or N,M,... (default {DEFAULT_SEED})",
    )
    add_method_options(p, default="best")
    p.add_argument(
        "--bias",
        action="store_true",
        help="networks with biases, f(x) = sum_i v_i sigma(w_i . x + b_i): the teachers draw "
        "b with the default variance 1/d (same W, v as without); the certified method becomes "
        "mpmath",
    )
    p.add_argument("--out", metavar="TABLE.csv", help="write the table as CSV")
    p.add_argument(
        "--plot", metavar="HEATMAP.png", help="heatmap: rank against best prediction (one grid)"
    )
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    add_engine_options(
        p,
        "results database: every point stored as it finishes; points already there are "
        "skipped (created if missing; never a file of another program)",
    )
    add_kernels_option(p)
    p.set_defaults(func=cmd_sweep)
