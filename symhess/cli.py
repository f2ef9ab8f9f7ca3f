"""The ``symhess`` command.

Every problem with the input ends in one line ``symhess: error: ...`` and exit status 2.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from pathlib import Path

import numpy as np
import sympy

from . import __version__, commands
from ._io import atomic_write, refuse_overwrite
from .commands._common import (
    DEFAULT_SEED,
    Parser,
    add_kernels_option,
    add_teacher_options,
    positive,
    seed,
    teacher_from,
)
from .errors import SymhessError

DEFAULT_ACTIVATION = "z + z**2/2"
DEFAULT_D, DEFAULT_H = 6, 4


# ----------------------------------------------------------------------------- commands
def cmd_kernels(args):
    from .kernels import KERNEL_NAMES, symbolic_kernels

    K = symbolic_kernels(args.expr, method=args.method)
    for name in KERNEL_NAMES:
        text = sympy.latex(K[name]) if args.latex else sympy.sstr(K[name])
        label = f"K_{{{name[1:]}}}" if args.latex else name
        print(f"{label} = {text}")
    return 0


def cmd_hessian(args):
    from .hessian import hessian
    from .registry import resolve

    refuse_overwrite(args.out, args.force)
    kern = resolve(args.expr, args.kernels)
    teacher, _ = teacher_from(args)
    H = hessian(kern.activation, teacher.W, teacher.v, kernel_dirs=args.kernels)
    atomic_write(args.out, lambda f: np.save(f, H))
    P = H.shape[0]
    print(f"wrote {args.out}: {P} x {P} float64 Hessian (d = {teacher.d}, h = {teacher.h})")
    return 0


def cmd_teacher(args):
    from .teacher import sample_teacher

    seed = DEFAULT_SEED if args.seed is None else args.seed
    t = sample_teacher(args.d, args.h, seed=seed, dist=args.dist)
    t.save(args.out, force=args.force)
    print(f"wrote {args.out}: W ({t.h} x {t.d}), v ({t.h},), seed {seed}, {args.dist}")
    return 0


def cmd_generate(args):
    from .activation import activation
    from .codegen import write_activation_module
    from .registry import ENV_VAR

    folder = args.out
    if folder is None:
        env = [p for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p]
        folder = env[0] if env else "."
    act = activation(args.expr)
    path = write_activation_module(act, args.name, folder, force=args.force)
    print(f"wrote {path}")
    print(f"use it as: symhess analyze {args.name} --kernels {Path(folder)}")
    return 0


def cmd_analyze(args):
    from .report import analyze_report

    expr = args.expr if args.expr is not None else DEFAULT_ACTIVATION
    teacher, origin = teacher_from(args, DEFAULT_D, DEFAULT_H)
    print(analyze_report(expr, teacher, origin, kernel_dirs=args.kernels))
    return 0


# ----------------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="symhess",
        description="Exact Hessians of two-layer teacher-student networks at the optimum.",
    )
    parser.add_argument("--version", action="version", version=f"symhess {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    p = sub.add_parser("analyze", help="kernels, Hessian and spectrum summary (the main job)")
    p.add_argument(
        "expr", nargs="?", metavar="EXPR", help=f"activation in z (default: {DEFAULT_ACTIVATION!r})"
    )
    add_teacher_options(p)
    add_kernels_option(p)
    p.set_defaults(func=cmd_analyze)

    p = sub.add_parser("kernels", help="the six Gaussian kernels of a polynomial activation")
    p.add_argument("expr", metavar="EXPR", help="activation in z, e.g. 'z + z**2/2'")
    p.add_argument("--latex", action="store_true", help="print LaTeX")
    p.add_argument(
        "--method",
        choices=("isserlis", "price"),
        default="isserlis",
        help="derivation route (default: isserlis)",
    )
    p.set_defaults(func=cmd_kernels)

    p = sub.add_parser("hessian", help="write the dense Hessian as a .npy file")
    p.add_argument("expr", metavar="EXPR")
    add_teacher_options(p)
    p.add_argument("--out", required=True, metavar="H.npy", help="output file")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    add_kernels_option(p)
    p.set_defaults(func=cmd_hessian)

    p = sub.add_parser("teacher", help="sample a teacher and write it as .npz")
    p.add_argument("--d", type=positive("--d"), required=True)
    p.add_argument("--h", type=positive("--h"), required=True)
    p.add_argument("--seed", type=seed)
    p.add_argument("--dist", default="normal", choices=("normal", "uniform", "rademacher"))
    p.add_argument("--out", required=True, metavar="T.npz")
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_teacher)

    p = sub.add_parser("generate", help="derive and write a kernel module for an activation")
    p.add_argument("expr", metavar="EXPR")
    p.add_argument("--name", required=True, help="module name (a Python identifier)")
    p.add_argument(
        "--out",
        metavar="DIR",
        help="folder (default: first SYMHESS_KERNELS entry, else the current folder)",
    )
    p.add_argument(
        "--force", action="store_true", help="replace a file not generated from this activation"
    )
    p.set_defaults(func=cmd_generate)

    # Further subcommands live one module each in symhess/commands/ and register themselves.
    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"symhess.commands.{info.name}").register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if args.command is None:
            parser.print_help()
            return 2
        return args.func(args)
    except SymhessError as exc:
        print(f"symhess: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (``symhess analyze | head``): stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except OSError as exc:
        print(
            f"symhess: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("symhess: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        print("symhess: error: out of memory; try a smaller network", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
