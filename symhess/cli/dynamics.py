"""``symhess dynamics``: learning from a perturbed teacher against the Hessian's prediction."""

from __future__ import annotations

from .options import add_kernels_option, add_teacher_options, number, positive, seed

DEFAULT_BATCH = 16


def register(sub) -> None:
    p = sub.add_parser(
        "dynamics",
        help="gradient descent / SGD near the optimum against E L(t) from the Hessian",
        description="Start from the teacher plus Gaussian noise of standard deviation s, "
        "train by gradient descent on the exact population loss (no sampling; any activation "
        "with kernels) or by SGD on fresh Gaussian inputs (--sgd), and compare the loss with "
        "the prediction E L(t) = (s^2/2) sum_k lambda_k exp(-2 lambda_k t) from the Hessian's "
        "non-zero eigenvalues. Prints the late-time rate fitted on the last third of the run "
        "next to 2 lambda_min and its discrete-step value -2 log(1 - lr lambda_min)/lr.",
    )
    p.add_argument("expr", metavar="EXPR", help="activation in z, e.g. 'z' or 'z + z**2/2'")
    add_teacher_options(p, (4, 3))
    g = p.add_argument_group("training")
    g.add_argument(
        "--noise",
        type=number("--noise", 0.0),
        default=1e-3,
        metavar="S",
        help="standard deviation s of the initial perturbation (default 1e-3)",
    )
    g.add_argument(
        "--lr", type=number("--lr", 0.0), help="learning rate (default 0.1 / lambda_max)"
    )
    g.add_argument(
        "--steps",
        type=positive("--steps"),
        help="steps (default: until 2 lambda_min t = 10, at most 20000)",
    )
    g.add_argument("--runs", type=positive("--runs"), default=1, help="runs to average (default 1)")
    g.add_argument(
        "--run-seed", type=seed, default=0, help="seed of the perturbations and SGD inputs"
    )
    g.add_argument("--sgd", action="store_true", help="SGD on fresh Gaussian inputs")
    g.add_argument(
        "--batch", type=positive("--batch"), help=f"SGD batch size (default {DEFAULT_BATCH})"
    )
    p.add_argument("--plot", metavar="OUT.png", help="write the loss curves as PNG")
    p.add_argument("--force", action="store_true", help="overwrite an existing plot file")
    add_kernels_option(p, tol=True)
    p.set_defaults(func=run)


def run(args) -> int:
    from ..dynamics import experiment
    from ..errors import SymhessError
    from ..report.figures import dynamics_lines
    from .options import check_plot, kernels_from, refuse_biases, teacher_from

    if args.plot:
        check_plot(args.plot, args.force)
    if args.batch is not None and not args.sgd:
        raise SymhessError("--batch needs --sgd")
    batch = (args.batch or DEFAULT_BATCH) if args.sgd else None
    kern = kernels_from(args)
    teacher, origin = teacher_from(args)
    refuse_biases(
        teacher,
        "training",
        "the dynamics train W and v only (symhess.hessian, operator, rank and analyze take biases)",
    )
    ex = experiment(
        kern,
        teacher,
        noise=args.noise,
        lr=args.lr,
        steps=args.steps,
        runs=args.runs,
        batch=batch,
        seed=args.run_seed,
    )
    print(f"activation   sigma(z) = {kern.activation.short}")
    print(f"teacher      d = {teacher.d}, h = {teacher.h}; {origin}")
    print("\n".join(dynamics_lines(ex)))
    if args.plot:
        from ..report.figures import plot_dynamics
        from ..report.plot import pyplot, save_figure

        fig, ax = pyplot().subplots(figsize=(6.5, 4.4))
        label = "SGD" if args.sgd else "gradient descent"
        plot_dynamics(ax, ex, label + (f", mean of {ex.runs} runs" if ex.runs > 1 else ""))
        ax.set_title(
            f"sigma(z) = {kern.activation.short}, d = {teacher.d}, h = {teacher.h}, "
            f"s = {ex.noise:g}, lr = {ex.lr:.3g}",
            fontsize=10,
        )
        save_figure(fig, args.plot, force=args.force)
        print(f"wrote {args.plot}")
    return 0
