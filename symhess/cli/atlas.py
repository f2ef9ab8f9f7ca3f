"""``symhess atlas``: exact ranks of every mixed-degree polynomial network on a grid."""

from __future__ import annotations

from ..activation.families import parse_degrees
from ..files import atomic_write_text
from ..rank.grid import parse_range
from ..report.atlas import markdown, plot, report_lines
from ..results import Store, run_atlas
from .options import add_engine_options, check_output, check_plot
from .sweep import engine_of, interrupted, run_options


def cmd_atlas(args):
    degrees = parse_degrees(args.degrees, "--degrees")
    ds = parse_range(args.d, "--d")
    hs = parse_range(args.h, "--h")
    if args.markdown is not None:
        check_output(args.markdown, args.force)
    if args.plot is not None:
        check_plot(args.plot, args.force)  # also fails before the work without matplotlib
    engine = engine_of(args)
    try:
        with Store(args.db if args.db is not None else ":memory:") as store:
            points = run_atlas(store, degrees, ds, hs, engine=engine, **run_options(args))
    except KeyboardInterrupt:
        raise interrupted(args.db) from None
    print("\n".join(report_lines(points)))
    if args.db is None:
        print("(nothing kept: --db FILE stores every point, and a rerun reads them back)")
    if args.markdown is not None:
        check_output(args.markdown, args.force)
        atomic_write_text(args.markdown, markdown(points))
        print(f"wrote {args.markdown}")
    if args.plot is not None:
        plot(points, args.plot, force=args.force)
        print(f"wrote {args.plot}")
    return 1 if any(p.rank > p.proven for p in points) else 0


def register(sub):
    p = sub.add_parser(
        "atlas",
        help="exact Hessian ranks of every mixed-degree polynomial network on a (d, h) grid",
        description="For every support S in --degrees (every subset with a degree >= 1) and "
        "every (d, h), the exact rank of the network with sigma = sum_{k in S} z^k (the rank "
        "depends on the support only), certified modulo a prime at a proven bound or computed "
        "over Q, against the older bounds and the mixed-degree predictions (homogenised "
        "Alexander-Hirschowitz, product, partition). The defaults (62 supports, d, h in 1..8: "
        "3968 points) take a few minutes on 2 cores. Exit status 1 if a rank exceeds a proven "
        "bound.",
    )
    p.add_argument(
        "--degrees", default="0..5", help="supports are subsets of these degrees (default 0..5)"
    )
    p.add_argument("--d", default="1:8", help="input dimensions (default 1:8)")
    p.add_argument("--h", default="1:8", help="hidden units (default 1:8)")
    p.add_argument("--markdown", metavar="TABLE.md", help="write the table of deficits")
    p.add_argument("--plot", metavar="ATLAS.png", help="deficit panels, one per support")
    p.add_argument("--force", action="store_true", help="overwrite existing output files")
    add_engine_options(
        p,
        "results database: keep every point (a rerun reads them back; default: nothing kept)",
    )
    p.set_defaults(func=cmd_atlas)
