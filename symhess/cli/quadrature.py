"""``symhess quadrature``: the six kernels of a smooth activation at one point, with the
quadrature order as an option and the error estimate in the output."""

from __future__ import annotations

from ..errors import SymhessError
from ..kernels.quadrature import DEFAULT_ORDER, RULES, quadrature_kernels
from ..symbolic.names import KERNEL_NAMES
from .options import integer, number


def cmd_quadrature(args):
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
    p.add_argument("--a", type=number("--a"), default=1.0, help="Var u (default 1)")
    p.add_argument("--b", type=number("--b"), default=1.0, help="Var w (default 1)")
    p.add_argument("--c", type=number("--c"), default=0.5, help="Cov(u, w) (default 0.5)")
    p.add_argument(
        "--order",
        type=integer("--order", 2),
        default=DEFAULT_ORDER,
        help=f"nodes per axis, at least 2 (default {DEFAULT_ORDER})",
    )
    p.add_argument("--rule", choices=RULES, default="trapezoid", help="default: trapezoid")
    p.set_defaults(func=cmd_quadrature)
