"""``symhess quadrature``: the six kernels of a smooth activation at one point, with the
quadrature order as an option and the error estimate in the output."""

from __future__ import annotations

import argparse

DEFAULT_ORDER = 201  # symhess.quadrature.DEFAULT_ORDER (not imported here: --help stays fast)
RULES = ("trapezoid", "gauss-hermite")  # symhess.quadrature.RULES


def _number(name):
    def parse(text):
        try:
            return float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a number, got {text!r}") from None

    return parse


def _order(text):
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--order must be an integer, got {text!r}") from None


def cmd_quadrature(args):
    from ..errors import SymhessError
    from ..kernels import KERNEL_NAMES
    from ..quadrature import quadrature_kernels

    if args.a < 0 or args.b < 0 or args.c**2 > args.a * args.b:
        raise SymhessError(
            f"(a, b, c) = ({args.a:g}, {args.b:g}, {args.c:g}) is not a covariance: "
            "need a, b >= 0 and c^2 <= a b"
        )
    kern = quadrature_kernels(args.expr, order=args.order, rule=args.rule)
    values = kern(args.a, args.b, args.c)
    print(f"activation  sigma(z) = {kern.activation.short}")
    print(f"point       a = Var u = {args.a:g}, b = Var w = {args.b:g}, c = Cov(u, w) = {args.c:g}")
    print("\n".join(kern.notes()))
    print()
    for name, value in zip(KERNEL_NAMES, values, strict=True):
        print(f"{name} = {float(value): .16e}")
    return 0


def register(sub):
    p = sub.add_parser(
        "quadrature",
        help="kernels K_pq(a, b, c) of any smooth activation by 2-D quadrature",
        description="The six kernels K_pq(a, b, c) = E[sigma^(p)(u) sigma^(q)(w)] of a smooth "
        "activation (tanh, sigmoid, gelu, sin, sums with polynomials, ...) at one point, by a "
        "tensor-product rule, with an error estimate from a second, lower order.",
    )
    p.add_argument("expr", help='activation, e.g. "tanh(z)" or "z + 0.1*sin(z)"')
    p.add_argument("--a", type=_number("--a"), default=1.0, help="Var u (default 1)")
    p.add_argument("--b", type=_number("--b"), default=1.0, help="Var w (default 1)")
    p.add_argument("--c", type=_number("--c"), default=0.5, help="Cov(u, w) (default 0.5)")
    p.add_argument(
        "--order",
        type=_order,
        default=DEFAULT_ORDER,
        help=f"nodes per axis, at least 2 (default {DEFAULT_ORDER})",
    )
    p.add_argument("--rule", choices=RULES, default="trapezoid", help="default: trapezoid")
    p.set_defaults(func=cmd_quadrature)
