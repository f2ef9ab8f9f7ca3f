"""``symhess flow``: gradient flow on the exact loss, Newton polishing, the Hessian along it."""

from __future__ import annotations

from .options import (
    add_kernels_option,
    add_teacher_options,
    check_output,
    number,
    numbers,
    positive,
    seed,
)

DEFAULT_D, DEFAULT_H = 3, 2
DEFAULT_T_MAX = 1e3
DEFAULT_TIMES = 16
DEFAULT_RTOL = 1e-4


def register(sub) -> None:
    from ..landscape.flow import INITS, METHODS

    p = sub.add_parser(
        "flow",
        help="gradient flow from a start to a minimum: loss, Hessian spectrum and rank along it",
        description="Gradient flow dtheta/dt = -grad L on the exact population loss of a "
        "student of any width against a teacher, by a stiff ODE solver with the exact Hessian "
        "as Jacobian; then Newton polishing to |grad L| <= 1e-12 (or a stated failure), and "
        "the end point classified (global / local minimum, saddle) with its loss, index, rank "
        "and spectrum. Prints the Hessian's spectrum along the flow (exact ranks for "
        "polynomial activations); --plot draws loss and eigenvalues against time. A wider "
        "student's minimum is compared with the teacher's rank at its own optimum.",
    )
    p.add_argument("expr", metavar="EXPR", help="activation in z, e.g. 'erf(z)', 'z + z**2/2'")
    add_teacher_options(p, (DEFAULT_D, DEFAULT_H))
    g = p.add_argument_group("student and flow")
    g.add_argument(
        "--student-h",
        type=positive("--student-h"),
        metavar="HS",
        help="student width (default: the teacher's h)",
    )
    g.add_argument(
        "--init",
        choices=INITS,
        default="teacher+noise",
        help="start: the teacher plus Gaussian noise (extra neurons random), or a random "
        "student with the paper's variances (default: teacher+noise)",
    )
    g.add_argument(
        "--noise",
        type=number("--noise", 0.0, strict=False),
        default=0.5,
        metavar="S",
        help="noise of --init teacher+noise (default 0.5)",
    )
    g.add_argument("--start-seed", type=seed, default=0, help="seed of the start (default 0)")
    g.add_argument(
        "--t-max",
        type=number("--t-max", 0.0),
        default=DEFAULT_T_MAX,
        metavar="T",
        help=f"flow time (= steps x learning rate; default {DEFAULT_T_MAX:g})",
    )
    g.add_argument("--method", choices=METHODS, default="BDF", help="stiff solver (default BDF)")
    g.add_argument(
        "--rtol",
        type=number("--rtol", 0.0),
        default=DEFAULT_RTOL,
        help=f"solver tolerance (default {DEFAULT_RTOL:g}: the curves are drawn to it; Newton "
        "polishes the end point to |grad L| <= 1e-12 whatever it is)",
    )
    g.add_argument(
        "--times",
        type=positive("--times"),
        default=DEFAULT_TIMES,
        metavar="N",
        help=f"recorded times, log-spaced, for the spectra and the plot (default {DEFAULT_TIMES})",
    )
    g.add_argument(
        "--at",
        type=numbers("--at", 0.0),
        metavar="T1,T2,...",
        help="also record (and show the Hessian's spectrum at) these times",
    )
    p.add_argument("--plot", metavar="OUT.png", help="write loss and eigenvalues against time")
    p.add_argument("--force", action="store_true", help="overwrite an existing plot file")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    add_kernels_option(p)
    p.set_defaults(func=run)


def record_times(t_max: float, n: int):
    """``0`` and ``n - 1`` log-spaced times up to ``t_max`` (from ``t_max * 1e-5``)."""
    import numpy as np

    if n == 1:
        return np.array([0.0, t_max])
    return np.concatenate([[0.0], np.logspace(np.log10(t_max) - 5, np.log10(t_max), n - 1)])


def run(args) -> int:
    import json
    import time

    import numpy as np

    from ..curvature.anywhere import Landscape
    from ..errors import SymhessError
    from ..kernels import resolve
    from ..landscape.critical import classify
    from ..landscape.flow import gradient_flow, initial_student
    from ..landscape.newton import newton_polish
    from ..landscape.trajectory import spectra_along
    from ..landscape.wider import minimum_structure, symmetries
    from ..report import landscape as rep
    from .options import LANDSCAPE_WITHOUT_BIASES, refuse_biases, teacher_from

    if args.plot:
        check_output(args.plot, args.force)
    kern = resolve(args.expr, args.kernels)
    teacher, origin = teacher_from(args)
    refuse_biases(teacher, "the gradient flow", LANDSCAPE_WITHOUT_BIASES)
    h_s = args.student_h or teacher.h
    ls = Landscape(kern, teacher.W, teacher.v)
    W0, v0 = initial_student(teacher.W, teacher.v, h_s, args.init, args.noise, args.start_seed)
    times = record_times(args.t_max, args.times)
    if args.at:
        late = [t for t in args.at if t > args.t_max]
        if late:
            raise SymhessError(f"--at {late[0]:g} is after --t-max {args.t_max:g}")
        times = np.union1d(times, args.at)
    start = time.perf_counter()
    flow = gradient_flow(
        ls,
        W0,
        v0,
        args.t_max,
        method=args.method,
        rtol=args.rtol,
        atol=args.rtol * 1e-3,
        t_eval=times,
    )
    seconds = time.perf_counter() - start
    newton = point = None
    if flow.status not in ("diverged", "failed"):
        newton = newton_polish(ls, flow.theta[-1])
        if newton.converged:
            point = classify(ls, newton.theta)
    spectra = spectra_along(ls, flow, flow.t)
    if args.at:  # the table shows the times asked for, the plot everything recorded
        shown = [s for s in spectra if np.any(np.isclose(s.t, args.at, rtol=1e-12, atol=0))]
    else:
        shown = spectra
    teacher_point = classify(ls, ls.flat(teacher.W, teacher.v))
    structure = None
    if point is not None and point.kind == "global minimum" and h_s != teacher.h:
        structure = minimum_structure(*ls.split(point.theta), **symmetries(kern))
    if args.json:
        extra = {
            "student_h": h_s,
            "teacher": {"h": teacher.h, "d": teacher.d, "rank": teacher_point.rank},
            "structure": None if structure is None else structure.__dict__,
        }
        print(json.dumps(rep.flow_json(flow, spectra, newton, point, extra)))
        return 0
    init = (
        f"teacher + noise {args.noise:g}" + (" (extra neurons random)" if h_s > teacher.h else "")
        if args.init == "teacher+noise"
        else "random (Var W = 1/d, Var v = 1/h_s)"
    )
    lines = [
        f"activation   sigma(z) = {kern.activation.short}",
        f"teacher      d = {teacher.d}, h = {teacher.h}; {origin}",
        f"student      h_s = {h_s}, P = {h_s * (teacher.d + 1)}; start {init}, seed "
        f"{args.start_seed}",
        f"solver       {args.method}, rtol {args.rtol:g}, exact Hessian as Jacobian, t_max "
        f"{args.t_max:g}",
    ]
    lines += [f"kernels      {n.strip()}" for n in ls.notes()]
    lines += rep.flow_lines(flow, seconds)
    if newton is not None:
        lines += rep.newton_lines(newton)
    if point is not None:
        lines += rep.point_lines(point)
        if structure is not None:
            lines += rep.wider_point_lines(
                point, teacher_point.rank, teacher.h * (teacher.d + 1), structure
            )
    elif newton is not None:
        lines.append(
            "result       no critical point reached: try a longer flow (--t-max), or see "
            "'symhess critical-points'"
        )
    note = rep.escape_note(flow)
    if note is not None and (point is None or point.kind == "not critical"):
        lines.append(f"note         {note}")
    lines += rep.spectra_lines(shown, rows=len(shown) if args.at else 10)
    print("\n".join(lines))
    if args.plot:
        from ..report.plot import pyplot, save_figure

        fig = pyplot().figure(figsize=(6.5, 6.5))
        rep.plot_flow(
            fig,
            flow,
            spectra,
            f"sigma(z) = {kern.activation.short}, d = {teacher.d}, h_t = {teacher.h}, "
            f"h_s = {h_s}, start {args.init}",
        )
        save_figure(fig, args.plot, force=args.force)
        print(f"wrote {args.plot}")
    return 0
