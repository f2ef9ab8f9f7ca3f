"""``symhess density``: the eigenvalue density by stochastic Lanczos quadrature."""

from __future__ import annotations

from .options import add_kernels_option, add_teacher_options, positive


def register(sub):
    p = sub.add_parser(
        "density",
        help="eigenvalue density by stochastic Lanczos quadrature, without forming H",
    )
    p.add_argument("expr", metavar="EXPR", help="activation in z, e.g. 'z + z**2/2'")
    add_teacher_options(p, (40, 40))
    p.add_argument("--probes", type=positive("--probes"), default=30, help="default 30")
    p.add_argument("--steps", type=positive("--steps"), default=80, help="Lanczos steps (80)")
    p.add_argument("--probe", choices=("rademacher", "gaussian"), default="rademacher")
    p.add_argument("--bins", type=positive("--bins"), default=20, help="histogram bins (20)")
    p.add_argument(
        "--log",
        action="store_true",
        help="logarithmic bins from 1e-14 lambda_max (or the smallest positive value) up",
    )
    p.add_argument(
        "--exact",
        action="store_true",
        help="also compute all eigenvalues densely (if they fit) and compare",
    )
    p.add_argument("--plot", metavar="OUT.png", help="write a histogram plot")
    p.add_argument("--force", action="store_true", help="overwrite an existing plot file")
    add_kernels_option(p)
    p.set_defaults(func=run)


def run(args):
    import numpy as np

    from ..base.memory import available_memory, format_bytes
    from ..curvature.matrix_free import (
        check_operator_memory,
        matvec_bytes,
        operator,
        operator_bytes,
    )
    from ..errors import SymhessError
    from ..kernels import resolve
    from ..spectra.density import basis_bytes, slq
    from ..spectra.summary import dense_spectrum_bytes, dense_spectrum_fits
    from ..spectra.zeros import tolerance_for
    from .options import check_plot, params_text, teacher_from

    if args.plot:
        check_plot(args.plot, args.force)
    kern = resolve(args.expr, args.kernels)
    if args.teacher is None and args.d is not None and args.h is not None:
        # before the teacher itself is drawn
        check_operator_memory(args.h, args.d, args.bias is not None)
    teacher, origin = teacher_from(args)
    h, d, P = teacher.h, teacher.d, teacher.params
    if args.exact and not dense_spectrum_fits(h, d + teacher.has_bias):
        need = dense_spectrum_bytes(h, d + teacher.has_bias)
        raise SymhessError(
            f"--exact needs a dense Hessian of {format_bytes(need)}, "
            "more than is available; drop --exact"
        )
    bias = teacher.has_bias
    check_operator_memory(h, d, bias)
    from ..spectra import reduction

    # the row-space reduction rotates W and v only: a network with biases is not reduced
    if not bias and reduction.reduced_fits(h, d):
        return _run_reduced(args, kern, teacher, origin)
    avail = available_memory()
    steps = min(args.steps, P)
    print(f"activation  sigma(z) = {kern.activation.short}  ({kern.origin})")
    print(f"teacher     d = {d}, h = {h}; {origin}")
    print(f"parameters  {params_text(teacher)}")
    print(
        f"memory      operator {format_bytes(operator_bytes(h, d, bias) + matvec_bytes(h, d))}, "
        f"Lanczos basis {format_bytes(basis_bytes(P, steps, 1))} per probe"
        + (f", available {format_bytes(avail)}" if avail is not None else ""),
        flush=True,
    )
    op = operator(kern, teacher.W, teacher.v, teacher.b)
    dens = slq(op, probes=args.probes, steps=steps, probe=args.probe, seed=args.seed or 0)
    reorth = "full" if dens.reorthogonalized else "no (the basis would not fit)"
    print(
        f"SLQ         {args.probes} {args.probe} probes x {steps} Lanczos steps, {reorth} "
        "reorthogonalisation"
    )
    print(f"trace       SLQ {dens.trace():.6e} +- {dens.trace_error():.1e}; exact {op.trace():.6e}")
    exact = None
    if args.exact:
        from ..curvature import hessian

        exact = np.linalg.eigvalsh(hessian(kern.activation, teacher.W, teacher.v, teacher.b))
        lo, hi = min(exact[0], dens.nodes.min()), max(exact[-1], dens.nodes.max())
        print(
            f"Wasserstein-1 distance to the exact eigenvalues: {dens.wasserstein(exact):.3e} "
            f"(mean |lambda - mean| = {np.mean(np.abs(exact - exact.mean())):.3e})"
        )
    else:
        lo, hi = dens.nodes.min(), dens.nodes.max()
    pad = 1e-9 * max(hi - lo, abs(hi), 1e-300)
    if args.log:
        tol = tolerance_for(P, hi)
        values = dens.nodes if exact is None else exact
        floor = values[values > tol].min() if np.any(values > tol) else tol
        edges = np.geomspace(floor * (1 - 1e-9), hi + pad, args.bins + 1)
        below, below_error = dens.bin_counts([lo - pad, edges[0]])
        line = f"below {edges[0]:.4e}: SLQ {below[0]:.1f} +- {below_error[0]:.1f}"
        if exact is not None:
            line += f"; exact {int(np.sum(exact < edges[0]))} (zero up to rounding)"
        print(line)
        print(
            "(SLQ nodes are Gauss quadrature points: a null space shows as mass at the lowest "
            "nodes, which need not be near zero)"
        )
    else:
        edges = np.linspace(lo - pad, hi + pad, args.bins + 1)
    counts, errors = dens.bin_counts(edges)
    header = f"{'bin':>27} {'SLQ count':>11} {'+- s.e.':>8}"
    print(header + (f" {'exact':>7}" if exact is not None else ""))
    exact_counts = np.histogram(exact, edges)[0] if exact is not None else None
    for b in range(args.bins):
        row = f"[{edges[b]: .4e}, {edges[b + 1]: .4e}) {counts[b]:11.1f} {errors[b]:8.1f}"
        if exact_counts is not None:
            row += f" {exact_counts[b]:7d}"
        print(row)
    if args.plot:
        _plot(args, kern, teacher, dens, edges, exact)
        print(f"wrote {args.plot}")
    return 0


def _run_reduced(args, kern, teacher, origin) -> int:
    """``d > h``: every eigenvalue, exactly, by the row-space reduction; no sampling."""
    import numpy as np

    from ..curvature.matrix_free import hessian_trace
    from ..spectra import reduction
    from ..spectra.zeros import tolerance_for

    h, d, P = teacher.h, teacher.d, teacher.params
    print(f"activation  sigma(z) = {kern.activation.short}  ({kern.origin})")
    print(f"teacher     d = {d}, h = {h}; {origin}")
    print(f"parameters  P = h*d + h = {P}")
    for k, line in enumerate(reduction.describe(h, d)):
        print(f"{'reduction' if k == 0 else '':<11} {line}")
    rs = reduction.reduced_spectrum(kern, teacher.W, teacher.v)
    values, counts = rs.values()
    print(
        f"spectrum    exact: all {P} eigenvalues by the row-space reduction (SLQ not needed; "
        f"--probes and --steps unused), {rs.seconds:.1f} s"
    )
    print(
        f"trace       from the eigenvalues {rs.trace():.12e}; exact "
        f"{hessian_trace(kern, teacher.W, teacher.v):.12e}"
    )
    lo, hi = values[0], values[-1]
    pad = 1e-9 * max(hi - lo, abs(hi), 1e-300)
    if args.log:
        tol = tolerance_for(P, max(abs(lo), abs(hi)))
        positive = values[values > tol]
        floor = positive.min() if positive.size else tol
        edges = np.geomspace(floor * (1 - 1e-9), hi + pad, args.bins + 1)
        below = int(counts[values < edges[0]].sum())
        print(f"below {edges[0]:.4e}: {below} (zero up to rounding)")
    else:
        edges = np.linspace(lo - pad, hi + pad, args.bins + 1)
    exact, _ = np.histogram(values, edges, weights=counts)
    print(f"{'bin':>27} {'eigenvalues':>12}")
    for b in range(args.bins):
        print(f"[{edges[b]: .4e}, {edges[b + 1]: .4e}) {int(round(exact[b])):12d}")
    if args.plot:
        _plot_exact(args, kern, teacher, values, counts, edges)
        print(f"wrote {args.plot}")
    return 0


def _title(kern, teacher) -> str:
    return f"Hessian spectrum, sigma(z) = {kern.activation.short}, d = {teacher.d}, h = {teacher.h}"


def _plot_exact(args, kern, teacher, values, counts, edges):
    import numpy as np

    from ..report.spectra import density_plot

    ex, _ = np.histogram(values, edges, weights=counts)
    title = _title(kern, teacher) + " (row-space reduction)"
    density_plot(args.plot, title, edges, ex, "exact", alpha=0.6, log=args.log, force=args.force)


def _plot(args, kern, teacher, dens, edges, exact):
    import numpy as np

    from ..report.spectra import density_plot

    counts, _ = dens.histogram(edges)
    density_plot(
        args.plot,
        _title(kern, teacher),
        edges,
        counts,
        f"SLQ ({dens.probes} probes x {dens.steps} steps)",
        alpha=0.5,
        exact=None if exact is None else np.histogram(exact, edges)[0],
        log=args.log,
        force=args.force,
    )
