"""``symhess analyze``: the main job - kernels, Hessian, spectrum and rank of one teacher."""

from __future__ import annotations

from ..report.analyze import analyze_report
from .options import add_kernels_option, add_teacher_options, kernels_from, teacher_from

DEFAULT_ACTIVATION = "z + z**2/2"
DEFAULT_D, DEFAULT_H = 6, 4


def run(args) -> int:
    expr = args.expr if args.expr is not None else DEFAULT_ACTIVATION
    kern = kernels_from(args, expr)
    teacher, origin = teacher_from(args)
    text, status = analyze_report(kern, teacher, origin, kernel_dirs=args.kernels)
    print(text)
    return status


def register(sub) -> None:
    p = sub.add_parser("analyze", help="kernels, Hessian and spectrum summary (the main job)")
    p.add_argument(
        "expr", nargs="?", metavar="EXPR", help=f"activation in z (default: {DEFAULT_ACTIVATION!r})"
    )
    add_teacher_options(p, (DEFAULT_D, DEFAULT_H))
    add_kernels_option(p, tol=True)
    p.set_defaults(func=run)
