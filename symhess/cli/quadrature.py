"""``symhess quadrature``: the six kernels of a smooth activation at one point, to a stated
tolerance, with each kernel's error estimate and the route the point took."""

from __future__ import annotations

from ..errors import SymhessError
from ..kernels.quadrature import DEFAULT_TOL, describe_stats, quadrature_kernels
from ..symbolic.names import KERNEL_NAMES
from .options import add_tol_option, number


def cmd_quadrature(args):
    if args.a < 0 or args.b < 0 or args.c**2 > args.a * args.b:
        raise SymhessError(
            f"(a, b, c) = ({args.a:g}, {args.b:g}, {args.c:g}) is not a covariance: "
            "need a, b >= 0 and c^2 <= a b"
        )
    kern = quadrature_kernels(args.expr, tol=args.tol)
    result = kern.evaluate(args.a, args.b, args.c)
    print(f"activation  sigma(z) = {kern.activation.short}")
    print(f"point       a = Var u = {args.a:g}, b = Var w = {args.b:g}, c = Cov(u, w) = {args.c:g}")
    print(f"route       {describe_stats(result.stats)}")
    print(
        f"accuracy    every kernel to {kern.tol:.0e} of its scale sqrt(E[s^(p)(u)^2] "
        f"E[s^(q)(w)^2]) or refused; largest estimate {result.error_estimate:.1e}"
    )
    print()
    print(f"{'':5} {'value':>24}  {'error estimate':>14}  {'scale':>10}")
    for name, value, err, scale in zip(
        KERNEL_NAMES, result.values, result.errors, result.scales, strict=True
    ):
        print(f"{name} = {float(value): .16e}  {float(err):14.1e}  {float(scale):10.3e}")
    return 0


def register(sub):
    p = sub.add_parser(
        "quadrature",
        help="kernels K_pq(a, b, c) of any smooth activation, to a stated tolerance",
        description="The six kernels K_pq(a, b, c) = E[sigma^(p)(u) sigma^(q)(w)] of a smooth "
        "activation (tanh, sigmoid, gelu, sin, sums with polynomials, ...) at one point: on "
        "the diagonal a = b = c by a 1-D rule, otherwise by the Mehler series of 1-D Hermite "
        "coefficients or, for nearly parallel directions at large variances, a 2-D rule; "
        "every rule refined until each kernel's error estimate is below --tol times its "
        "scale, or refused.",
    )
    p.add_argument("expr", help='activation, e.g. "tanh(z)" or "z + 0.1*sin(z)"')
    p.add_argument("--a", type=number("--a"), default=1.0, help="Var u (default 1)")
    p.add_argument("--b", type=number("--b"), default=1.0, help="Var w (default 1)")
    p.add_argument("--c", type=number("--c"), default=0.5, help="Cov(u, w) (default 0.5)")
    add_tol_option(p, DEFAULT_TOL)
    p.set_defaults(func=cmd_quadrature)
