"""``symhess rank``: the Hessian rank three ways, and every prediction checked against it."""

from __future__ import annotations

import json

from ..rank.measure import rank_report, rational_teacher
from ..report.rank import report_json, report_lines
from .options import (
    DEFAULT_SEED,
    add_kernels_option,
    add_method_options,
    kernels_from,
    methods_of,
    positive,
    seed,
)


def cmd_rank(args):
    kern = kernels_from(args)
    act = kern.activation
    methods = methods_of(args.method, kern)
    s = DEFAULT_SEED if args.seed is None else args.seed
    t = rational_teacher(args.d, args.h, s)
    report = rank_report(
        kern,
        t.W,
        t.v,
        methods,
        dps=args.dps,
        prec=args.prec,
        kernel_dirs=args.kernels,
        seed=s,
        optional=methods[1:] if args.method == "all" else (),
    )
    if args.json:
        print(json.dumps(report_json(report)))
        return 0
    print(f"activation  sigma(z) = {act.short}")
    print(
        f"teacher     d = {args.d}, h = {args.h}; random rational teacher, seed {s} "
        "(normal weights, Var W = 1/d, Var v = 1/h, rounded to multiples of 2^-20: "
        "every method sees the same numbers)"
    )
    if args.method == "all" and not act.is_polynomial:
        instead = "; certified instead" if "certified" in methods else ""
        print(f"            (no exact rank: the activation is not a polynomial{instead})")
    print()
    print("\n".join(report_lines(report)))
    return 0


def register(sub):
    p = sub.add_parser(
        "rank",
        help="Hessian rank (float64, mpmath, exact, certified) against every theoretical count",
        description="The rank of the Hessian at the optimum for a random rational teacher, "
        "measured in float64, in mpmath at --dps digits, exactly over Q (polynomials) and "
        "proved in ball arithmetic at --prec bits (certified: the ReLU family), with each "
        "prediction (exact counts must equal the rank, bounds must not be exceeded). "
        "Predictions are judged against the most trustworthy rank measured: exact, else "
        "certified, else mpmath, else float64.",
    )
    p.add_argument("expr", metavar="EXPR", help="activation in z, e.g. 'z + z**3'")
    p.add_argument("--d", type=positive("--d"), default=6, help="input dimension (default 6)")
    p.add_argument("--h", type=positive("--h"), default=4, help="hidden units (default 4)")
    p.add_argument("--seed", type=seed, help=f"random seed (default {DEFAULT_SEED})")
    add_method_options(p, default="all")
    p.add_argument(
        "--json",
        action="store_true",
        help='print one JSON object: {"params", "rank": {method: int}, "decided": '
        '{method: bool}, "reference", "reference_rank", "agree", "predictions": {name: '
        '{"value", "kind", "holds"}}}',
    )
    add_kernels_option(p, tol=True)
    p.set_defaults(func=cmd_rank)
