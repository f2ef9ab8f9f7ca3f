"""``symhess eigs``: the k largest or smallest eigenvalues from the matrix-free operator."""

from __future__ import annotations

from ..errors import SymhessError
from .options import add_kernels_option, add_teacher_options, positive


def register(sub):
    p = sub.add_parser(
        "eigs",
        help="k largest or smallest eigenvalues without forming H (any size whose h x h "
        "kernels fit)",
    )
    p.add_argument("expr", metavar="EXPR", help="activation in z, e.g. 'erf(z)'")
    add_teacher_options(p, (100, 100))
    p.add_argument("--k", type=positive("--k"), default=10, help="how many (default 10)")
    p.add_argument("--which", choices=("largest", "smallest"), default="largest")
    p.add_argument(
        "--tol",
        type=float,
        help="relative accuracy (default 1e-10 for largest, residual 1e-8 for smallest)",
    )
    p.add_argument("--maxiter", type=positive("--maxiter"), help="solver iterations at most")
    add_kernels_option(p)
    p.set_defaults(func=run)


def run(args):
    from ..base.memory import available_memory, format_bytes
    from ..curvature.matrix_free import (
        check_operator_memory,
        matvec_bytes,
        operator,
        operator_bytes,
    )
    from ..kernels import resolve
    from ..spectra.extremes import extreme_eigenvalues, solver_bytes
    from .options import teacher_from

    kern = resolve(args.expr, args.kernels)
    if args.teacher is None and args.d is not None and args.h is not None:
        check_operator_memory(args.h, args.d)  # before the teacher itself is drawn
    teacher, origin = teacher_from(args)
    h, d, P = teacher.h, teacher.d, teacher.params
    if args.k > P:
        raise SymhessError(f"k = {args.k} exceeds the number of parameters P = {P}")
    check_operator_memory(h, d)
    avail = available_memory()
    print(f"activation  sigma(z) = {kern.activation.short}  ({kern.origin})")
    print(f"teacher     d = {d}, h = {h}; {origin}")
    print(f"parameters  P = h*d + h = {P}")
    print(
        f"memory      operator {format_bytes(operator_bytes(h, d) + matvec_bytes(h, d))}, "
        f"eigensolver {format_bytes(solver_bytes(P, args.k, args.which))}"
        + (f", available {format_bytes(avail)}" if avail is not None else ""),
        flush=True,
    )
    op = operator(kern, teacher.W, teacher.v)
    res = extreme_eigenvalues(op, args.k, args.which, tol=args.tol, maxiter=args.maxiter)
    print(f"{args.which} {args.k} eigenvalues of the Hessian at the optimum:")
    for x in res.eigenvalues:
        print(f"  {x: .12e}")
    print(f"method      {res.method}")
    print(
        f"cost        {res.products} products H @ x in {res.seconds:.1f} s; "
        f"max residual ||H u - lambda u|| = {res.residual:.1e} x max diag(H)"
    )
    print(f"exact trace {op.trace():.12e}")
    if not res.converged:
        print("WARNING: the solver did not reach its tolerance; raise --maxiter or loosen --tol")
        return 1
    return 0
