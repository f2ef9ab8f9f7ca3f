"""``symhess hessian``: write the dense Hessian of one teacher as a ``.npy`` file."""

from __future__ import annotations

import numpy as np

from ..curvature import hessian
from ..files import atomic_write
from .options import (
    add_kernels_option,
    add_output_options,
    add_teacher_options,
    check_output,
    kernels_from,
    teacher_from,
)


def run(args) -> int:
    check_output(args.out, args.force)
    kern = kernels_from(args)
    teacher, _ = teacher_from(args)
    H, error = hessian(kern, teacher.W, teacher.v, teacher.b, with_error=True)
    atomic_write(args.out, lambda f: np.save(f, H))
    P = H.shape[0]
    order = ", biases: order W, v, b" if teacher.has_bias else ""
    print(f"wrote {args.out}: {P} x {P} float64 Hessian (d = {teacher.d}, h = {teacher.h}{order})")
    print(error.describe())
    return 0


def register(sub) -> None:
    p = sub.add_parser("hessian", help="write the dense Hessian as a .npy file")
    p.add_argument("expr", metavar="EXPR")
    add_teacher_options(p)
    add_output_options(p, "H.npy", "output file", required=True)
    add_kernels_option(p, tol=True)
    p.set_defaults(func=run)
