"""``symhess spectrum``: pooled non-zero Hessian eigenvalues of many random teachers."""

from __future__ import annotations

from .options import add_bias_option, add_kernels_option, bias_text, check_plot, positive, seed

DEFAULT_TEACHERS = 100


def register(sub) -> None:
    p = sub.add_parser(
        "spectrum",
        help="pooled Hessian eigenvalues of many random teachers (with the law for linear nets)",
        description="Pool the non-zero Hessian eigenvalues of N random teachers. For a linear "
        "network sigma(z) = s*z they come from the d x d reduction ||v||^2 I + W^T W and are "
        "compared with the chi-square x Marchenko-Pastur law (KS distance, with the sampling "
        "floor: the KS distance between two independent pools of N teachers). Other "
        "activations use the exact row-space reduction when d > h and the dense Hessian "
        "otherwise; eigenvalues zero up to rounding are left out.",
    )
    p.add_argument("expr", metavar="EXPR", help="activation in z, e.g. 'z' or 'erf(z)'")
    p.add_argument("--d", type=positive("--d"), default=10, help="input dimension (default 10)")
    p.add_argument("--h", type=positive("--h"), default=10, help="hidden units (default 10)")
    p.add_argument(
        "--teachers",
        type=positive("--teachers"),
        default=DEFAULT_TEACHERS,
        help=f"number of random teachers (default {DEFAULT_TEACHERS})",
    )
    p.add_argument("--seed", type=seed, default=0, help="seed of the teacher seeds (default 0)")
    p.add_argument(
        "--dist",
        default="normal",
        choices=("normal", "uniform", "rademacher"),
        help="distribution of the teacher weights (default: normal; the law assumes normal)",
    )
    add_bias_option(p, file=False)
    p.add_argument("--log", action="store_true", help="logarithmic eigenvalue axis")
    p.add_argument("--bins", type=positive("--bins"), default=80, help="histogram bins")
    p.add_argument("--plot", metavar="OUT.png", help="write the histogram as PNG")
    p.add_argument("--force", action="store_true", help="overwrite an existing plot file")
    add_kernels_option(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..kernels import resolve
    from ..report.spectra import comparison_lines
    from ..spectra import reduction
    from ..spectra.pooled import linear_scale, pooled_eigenvalues, source_of

    if args.plot:
        check_plot(args.plot, args.force)
    kern = resolve(args.expr, args.kernels)
    bias = args.bias is not None
    if bias:
        kern.check_means("float64")
    # the linear law is for networks without biases, and so is the row-space reduction
    linear = linear_scale(kern) is not None and not bias
    if not linear and (bias or not reduction.reduced_fits(args.h, args.d)):
        from ..spectra.summary import dense_spectrum_fits

        if not dense_spectrum_fits(args.h, args.d + bias):
            return _run_operator(args, kern)
    if linear:
        from ..spectra.linear_law import compare_linear

        comparison = compare_linear(kern, args.d, args.h, args.teachers, args.seed, args.dist)
        p = comparison.pool
    else:
        p = pooled_eigenvalues(
            kern, args.d, args.h, args.teachers, seed=args.seed, dist=args.dist, bias=args.bias
        )
    lam = p.eigenvalues
    source = source_of(kern, args.d, args.h, bias)
    if not linear:
        source += "; |lambda| <= P eps max|lambda| counted as zero"
    lines = [
        f"activation   sigma(z) = {kern.activation.short}",
        f"teachers     {p.teachers} random teachers, d = {p.d}, h = {p.h}, P = {p.params}, "
        f"{p.dist} weights{bias_text(args.bias, args.d) if bias else ''} (seed {args.seed})",
        f"eigenvalues  {lam.size} non-zero, {p.counts.min()}..{p.counts.max()} per teacher; "
        f"source: {source}",
        f"range        [{lam.min():.6g}, {lam.max():.6g}], mean {lam.mean():.6g}",
    ]
    if linear:
        lines += comparison_lines(comparison)
        if args.dist == "rademacher":
            lines.append(
                "note         the law assumes normal weights; with Rademacher v, ||v||^2 = 1 "
                "exactly, so compare with Marchenko-Pastur alone"
            )
        elif args.dist != "normal":
            lines.append(
                f"note         the law assumes normal weights; with {args.dist} weights "
                "Var ||v||^2 differs (4/(5h) instead of 2/h), so neither law is exact"
            )
    print("\n".join(lines))
    if args.plot:
        _plot(args, kern, p, comparison if linear else None)
        print(f"wrote {args.plot}")
    return 0


def _run_operator(args, kern) -> int:
    """Sizes whose dense Hessian would not fit: pooled SLQ densities from the operator."""
    from ..base.memory import format_bytes
    from ..report.operator_report import density_lines, plot_density
    from ..report.plot import pyplot, save_figure
    from ..spectra.pooled import pooled_density
    from ..spectra.summary import dense_spectrum_bytes

    bias = args.bias is not None
    P = args.h * args.d + args.h + args.h * bias
    biases = bias_text(args.bias, args.d) if bias else ""
    print(
        f"activation   sigma(z) = {kern.activation.short}\n"
        f"teachers     {args.teachers} random teachers, d = {args.d}, h = {args.h}, P = {P}, "
        f"{args.dist} weights{biases} (seed {args.seed})\n"
        f"memory       a dense Hessian and its eigensolver would need "
        f"{format_bytes(dense_spectrum_bytes(args.h, args.d + bias))}, more than is available: "
        "matrix-free"
    )
    dens = pooled_density(
        kern, args.d, args.h, args.teachers, seed=args.seed, dist=args.dist, bias=args.bias
    )
    print("\n".join(density_lines(dens)))
    if args.plot:
        plt = pyplot()
        fig, ax = plt.subplots(figsize=(6.5, 4.4))
        plot_density(ax, dens, bins=args.bins, log=args.log)
        ax.set_title(
            f"sigma(z) = {kern.activation.short}, d = {args.d}, h = {args.h} (SLQ, "
            f"{args.teachers} teachers)",
            fontsize=10,
        )
        save_figure(fig, args.plot, force=args.force)
        print(f"wrote {args.plot}")
    return 0


def _plot(args, kern, p, comparison) -> None:
    from ..report.figures import plot_linear_histogram, plot_linear_spectrum
    from ..report.plot import pyplot, save_figure

    plt = pyplot()
    fig, ax = plt.subplots(figsize=(6.5, 4.4))
    if comparison is not None:
        plot_linear_spectrum(ax, comparison, bins=args.bins, log=args.log)
    else:
        plot_linear_histogram(ax, p, bins=args.bins, log=args.log)
        ax.set_title(f"sigma(z) = {kern.activation.short}, d = {p.d}, h = {p.h}", fontsize=10)
    save_figure(fig, args.plot, force=args.force)
