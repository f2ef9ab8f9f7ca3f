"""``symhess rank``: the Hessian rank three ways, and every prediction checked against it."""

from __future__ import annotations

import json

from ..rank.measure import rank_report, rational_teacher
from ..report.rank import report_json, report_lines
from .options import (
    DEFAULT_SEED,
    add_bias_option,
    add_kernels_option,
    add_method_options,
    bias_text,
    kernels_from,
    methods_of,
    positive,
    seed,
)


def cmd_rank(args):
    kern = kernels_from(args)
    act = kern.activation
    s = DEFAULT_SEED if args.seed is None else args.seed
    t = rational_teacher(args.d, args.h, s, bias=args.bias)
    methods = methods_of(args.method, kern, bias=t.has_bias)
    if t.has_bias:
        kern.check_means("float64")
    report = rank_report(
        kern,
        t.W,
        t.v,
        methods,
        b=t.b,
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
    biases = bias_text(args.bias, args.d) if t.has_bias else ""
    print(
        f"teacher     d = {args.d}, h = {args.h}; random rational teacher, seed {s} "
        f"(normal weights, Var W = 1/d, Var v = 1/h{biases}, rounded to multiples of 2^-20: "
        "every method sees the same numbers)"
    )
    if args.method == "all" and not act.is_polynomial:
        instead = "; certified instead" if "certified" in methods and not t.has_bias else ""
        print(f"            (no exact rank: the activation is not a polynomial{instead})")
    if args.method == "all" and t.has_bias and "mpmath" in kern.systems and "mpmath" not in methods:
        print("            (no mpmath rank: its kernels with means exist in float64 only)")
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
    add_bias_option(p, file=False)
    p.add_argument(
        "--json",
        action="store_true",
        help='print one JSON object: {"params", "biases", "rank": {method: int}, "decided": '
        '{method: bool}, "reference", "reference_rank", "agree", "predictions": {name: '
        '{"value", "kind", "holds"}}} (with --bias also "rank_without_bias"; the seed '
        "paper's +1 is the prediction paper_plus_one of kind claim)",
    )
    add_kernels_option(p, tol=True)
    p.set_defaults(func=cmd_rank)
