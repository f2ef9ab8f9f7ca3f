"""``symhess critical-points``: critical points of the population loss from many starts."""

from __future__ import annotations

from .options import add_kernels_option, add_teacher_options, check_output, number, positive, seed

DEFAULT_D, DEFAULT_H = 3, 2
DEFAULT_STARTS, DEFAULT_STARTS_QUADRATURE = 20, 4


def register(sub) -> None:
    p = sub.add_parser(
        "critical-points",
        help="critical points (minima and saddles) from many starts: loss against index",
        description="Solve grad L = 0 for the exact population loss from random students "
        "(least squares on |grad L|^2 with the exact Hessian, then Newton to |grad L| <= "
        "1e-12), classify each point by its Hessian (loss, index = negative eigenvalues, rank) "
        "and list the distinct critical values - the Pennington-Bahri question (index against "
        "loss) on a landscape known exactly. Starts that reach no critical point are counted "
        "as failures with their reasons.",
    )
    p.add_argument("expr", metavar="EXPR", help="activation in z, e.g. 'erf(z)'")
    add_teacher_options(p, (DEFAULT_D, DEFAULT_H))
    g = p.add_argument_group("search")
    g.add_argument(
        "--student-h",
        type=positive("--student-h"),
        metavar="HS",
        help="student width (default: the teacher's h)",
    )
    g.add_argument(
        "--starts",
        type=positive("--starts"),
        help=f"random starts (default {DEFAULT_STARTS}; {DEFAULT_STARTS_QUADRATURE} for "
        "activations whose kernels come from quadrature, which are slower)",
    )
    g.add_argument("--start-seed", type=seed, default=0, help="seed of the first start")
    g.add_argument(
        "--scale",
        type=number("--scale", 0.0),
        default=1.0,
        help="scale of the random starts (default 1: Var W = 1/d, Var v = 1/h_s)",
    )
    p.add_argument("--plot", metavar="OUT.png", help="write index against loss as PNG")
    p.add_argument("--force", action="store_true", help="overwrite an existing plot file")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    add_kernels_option(p)
    p.set_defaults(func=run)


def run(args) -> int:
    import json
    import time

    from ..curvature.anywhere import Landscape
    from ..kernels import QuadratureKernels, resolve
    from ..landscape.critical import critical_points
    from ..report import landscape as rep
    from .options import LANDSCAPE_WITHOUT_BIASES, refuse_biases, teacher_from

    if args.plot:
        check_output(args.plot, args.force)
    kern = resolve(args.expr, args.kernels)
    teacher, origin = teacher_from(args)
    refuse_biases(teacher, "the critical-point survey", LANDSCAPE_WITHOUT_BIASES)
    h_s = args.student_h or teacher.h
    starts = args.starts or (
        DEFAULT_STARTS_QUADRATURE if isinstance(kern, QuadratureKernels) else DEFAULT_STARTS
    )
    ls = Landscape(kern, teacher.W, teacher.v)
    begin = time.perf_counter()
    survey = critical_points(ls, h_s, starts=starts, seed=args.start_seed, scale=args.scale)
    seconds = time.perf_counter() - begin
    if args.json:
        print(json.dumps(rep.survey_json(survey)))
        return 0
    lines = [
        f"activation   sigma(z) = {kern.activation.short}",
        f"teacher      d = {teacher.d}, h = {teacher.h}; {origin}",
        f"student      h_s = {h_s}, P = {h_s * (teacher.d + 1)}; random starts (scale "
        f"{args.scale:g}), seeds {args.start_seed}..{args.start_seed + starts - 1}; "
        f"{seconds:.1f} s",
    ]
    lines += [f"kernels      {n.strip()}" for n in ls.notes()]
    lines += rep.survey_lines(survey)
    print("\n".join(lines))
    if args.plot:
        from ..report.plot import pyplot, save_figure

        fig, ax = pyplot().subplots(figsize=(6.5, 4.4))
        rep.plot_survey(
            ax,
            survey,
            f"sigma(z) = {kern.activation.short}, d = {teacher.d}, h_t = {teacher.h}, h_s = {h_s}",
        )
        save_figure(fig, args.plot, force=args.force)
        print(f"wrote {args.plot}")
    return 0
