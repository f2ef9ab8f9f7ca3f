"""``symhess wider``: the Hessian rank at global minima of wider students against the
teacher's."""

from __future__ import annotations

from .options import DEFAULT_SEED, add_kernels_option, positive, seed

DEFAULT_EXTRA = "1,2,3"


def _extra(text: str) -> list[int]:
    import argparse

    parse = positive("--extra")
    try:
        values = [parse(part.strip()) for part in text.split(",") if part.strip()]
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"--extra must be positive integers separated by commas, got {text!r}"
        ) from None
    if not values:
        raise argparse.ArgumentTypeError(f"--extra needs at least one number, got {text!r}")
    return values


def register(sub) -> None:
    from ..landscape.wider import METHODS
    from ..rank.measure import DEFAULT_DPS, MAX_DPS, MIN_DPS
    from .options import integer

    p = sub.add_parser(
        "wider",
        help="rank at the global minima of wider students against the teacher's rank",
        description="A student with h_e extra neurons computes the teacher's function on "
        "manifolds of global minima: extra neurons switched off (v = 0, any w), teacher "
        "neurons split into copies, neurons off at w = 0. There the residual part of the "
        "Hessian vanishes; this measures the rank (effective number of parameters) at each "
        "kind, against the teacher's rank at its own optimum and the rank of a generic network "
        "of the wider width: exactly for polynomials, at --dps digits for erf, in float64 with "
        "its gap otherwise.",
    )
    p.add_argument("expr", metavar="EXPR", help="activation in z, e.g. 'z + z**2/2', 'erf(z)'")
    p.add_argument("--d", type=positive("--d"), default=3, help="input dimension (default 3)")
    p.add_argument("--h", type=positive("--h"), default=2, help="teacher's hidden units (2)")
    p.add_argument("--seed", type=seed, help=f"random seed (default {DEFAULT_SEED})")
    p.add_argument(
        "--extra",
        type=_extra,
        default=_extra(DEFAULT_EXTRA),
        help=f"numbers of extra neurons h_e (default {DEFAULT_EXTRA})",
    )
    p.add_argument(
        "--method",
        choices=METHODS,
        help="rank method (default: exact for polynomials, mpmath for erf, float otherwise)",
    )
    p.add_argument(
        "--dps",
        type=integer("--dps", MIN_DPS, maximum=MAX_DPS),
        default=DEFAULT_DPS,
        help=f"digits for --method mpmath (default {DEFAULT_DPS})",
    )
    p.add_argument(
        "--no-generic", action="store_true", help="skip the generic network of each width"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    add_kernels_option(p)
    p.set_defaults(func=run)


def run(args) -> int:
    import json

    from ..curvature.anywhere import Landscape
    from ..kernels import resolve
    from ..landscape.wider import wider_minima
    from ..rank.measure import rational_teacher
    from ..report import landscape as rep

    kern = resolve(args.expr, args.kernels)
    s = DEFAULT_SEED if args.seed is None else args.seed
    t = rational_teacher(args.d, args.h, s)
    ls = Landscape(kern, t.W, t.v)
    report = wider_minima(
        ls, args.extra, method=args.method, dps=args.dps, seed=s, generic=not args.no_generic
    )
    if args.json:
        print(json.dumps(rep.wider_json(report)))
        return 0
    print(f"activation   sigma(z) = {kern.activation.short}")
    print(
        f"teacher      d = {args.d}, h = {args.h}; random rational teacher, seed {s} (normal "
        "weights rounded to multiples of 2^-20, exact in every number system)"
    )
    print("\n".join(rep.wider_lines(report)))
    return 0
