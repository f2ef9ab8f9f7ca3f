"""``symhess generate``: derive and write the kernel module of one activation."""

from __future__ import annotations

import os
from pathlib import Path

from ..activation import activation
from ..codegen import write_activation_module
from ..files import ensure_folder
from ..kernels.modules import ENV_VAR


def run(args) -> int:
    folder = args.out
    if folder is None:
        env = [p for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p]
        folder = env[0] if env else "."
    act = activation(args.expr)
    folder = ensure_folder(folder)
    path = write_activation_module(act, args.name, folder, force=args.force)
    print(f"wrote {path}")
    print(f"use it as: symhess analyze {args.name} --kernels {Path(folder)}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("generate", help="derive and write a kernel module for an activation")
    p.add_argument("expr", metavar="EXPR")
    p.add_argument("--name", required=True, help="module name (a Python identifier)")
    p.add_argument(
        "--out",
        metavar="DIR",
        help="folder, created if missing (default: first SYMHESS_KERNELS entry, else the current "
        "folder)",
    )
    p.add_argument(
        "--force", action="store_true", help="replace a file not generated from this activation"
    )
    p.set_defaults(func=run)
