"""``symhess kernels``: the six Gaussian kernels of an activation, symbolically."""

from __future__ import annotations

import sympy

from ..errors import SymhessError
from ..symbolic import KERNEL_NAMES, symbolic_kernels


def run(args) -> int:
    K = symbolic_kernels(args.expr, method=args.method, missing_ok=True)
    if K is None:
        raise SymhessError(
            f"{args.expr!r} has no closed-form kernels: its kernels are integrals, evaluated "
            f"to a stated tolerance by quadrature - try: symhess quadrature {args.expr!r}"
        )
    for name in KERNEL_NAMES:
        text = sympy.latex(K[name]) if args.latex else sympy.sstr(K[name])
        label = f"K_{{{name[1:]}}}" if args.latex else name
        print(f"{label} = {text}")
    return 0


def register(sub) -> None:
    p = sub.add_parser(
        "kernels",
        help="the six Gaussian kernels of an activation with closed forms (polynomials, erf, relu)",
    )
    p.add_argument("expr", metavar="EXPR", help="activation in z, e.g. 'z + z**2/2'")
    p.add_argument("--latex", action="store_true", help="print LaTeX")
    p.add_argument(
        "--method",
        choices=("isserlis", "price"),
        default="isserlis",
        help="derivation route (default: isserlis)",
    )
    p.set_defaults(func=run)
