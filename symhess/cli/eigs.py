"""``symhess eigs``: the k largest or smallest eigenvalues from the matrix-free operator."""

from __future__ import annotations

from ..errors import SymhessError
from .options import add_kernels_option, add_teacher_options, add_threads_option, number, positive


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
        type=number("--tol", 0.0),
        help="relative accuracy (default 1e-10 for largest; for smallest the relative "
        "residual ||H u - lambda u|| / lambda, 1e-6: eigenvalue errors are about its square)",
    )
    p.add_argument("--maxiter", type=positive("--maxiter"), help="solver iterations at most")
    add_threads_option(p)
    add_kernels_option(p)
    p.set_defaults(func=run)


def run(args):
    from ..base.memory import available_memory, format_bytes
    from ..curvature.matrix_free import (
        check_operator_memory,
        hessian_trace,
        matvec_bytes,
        operator,
        operator_bytes,
    )
    from ..kernels import resolve
    from ..spectra import reduction
    from ..spectra.extremes import extreme_eigenvalues, solver_bytes
    from .options import params_text, teacher_from

    kern = resolve(args.expr, args.kernels)
    if args.teacher is None and args.d is not None and args.h is not None:
        # before the teacher itself is drawn
        check_operator_memory(args.h, args.d, args.bias is not None)
    teacher, origin = teacher_from(args)
    h, d, P = teacher.h, teacher.d, teacher.params
    if args.k > P:
        raise SymhessError(f"k = {args.k} exceeds the number of parameters P = {P}")
    bias = teacher.has_bias
    check_operator_memory(h, d, bias)
    # the row-space reduction rotates W and v only: a network with biases is not reduced
    reduced = not bias and reduction.applies(h, d)
    n = reduction.reduced_size(h, d) if reduced else P
    avail = available_memory()
    print(f"activation  sigma(z) = {kern.activation.short}  ({kern.origin})")
    print(f"teacher     d = {d}, h = {h}; {origin}")
    print(f"parameters  {params_text(teacher)}")
    if reduced:
        for k, line in enumerate(reduction.describe(h, d)):
            print(f"{'reduction' if k == 0 else '':<11} {line}")
    hd = h * h if reduced else h * d
    held = operator_bytes(h, d, bias) + matvec_bytes(h, hd // h)
    print(
        f"memory      operator {format_bytes(held)}, "
        f"eigensolver {format_bytes(solver_bytes(n, min(args.k, n), args.which))}"
        + (f", available {format_bytes(avail)}" if avail is not None else ""),
        flush=True,
    )
    kwargs = dict(tol=args.tol, maxiter=args.maxiter, threads=args.threads)
    if reduced:
        res, from_bulk = reduction.reduced_extremes(
            kern, teacher.W, teacher.v, args.k, args.which, **kwargs
        )
        trace = hessian_trace(kern, teacher.W, teacher.v)
    else:
        op = operator(kern, teacher.W, teacher.v, teacher.b)
        res = extreme_eigenvalues(op, args.k, args.which, **kwargs)
        from_bulk = [False] * args.k
        trace = op.trace()
    print(f"{args.which} {args.k} eigenvalues of the Hessian at the optimum:")
    for x, bulk in zip(res.eigenvalues, from_bulk, strict=True):
        print(f"  {x: .12e}" + (f"   eig(A), x {d - h} in H" if bulk else ""))
    print(f"method      {res.method}")
    print(f"threads     {res.threads}")
    relative = (
        f"; relative ||H u - lambda u|| / lambda = {res.relative_residual:.1e}"
        if args.which == "smallest"
        else ""
    )
    if res.products == 0:  # no iteration: LAPACK on the whole (reduced) matrix
        print(
            f"cost        {res.seconds:.1f} s, no iteration; every eigenvalue within "
            f"{res.residual:.1e} of the true one (the Hessian's error bound + n eps max|lambda|)"
        )
    else:
        print(
            f"cost        {res.products} products H @ x in {res.seconds:.1f} s; "
            f"max residual ||H u - lambda u|| = {res.residual:.1e} x max diag(H){relative}"
        )
    if trace is not None:
        print(f"exact trace {trace:.12e}")
    if not res.converged:
        print("WARNING: the solver did not reach its tolerance; raise --maxiter or loosen --tol")
        return 1
    return 0
