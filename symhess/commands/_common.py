"""Option helpers shared by every ``symhess`` subcommand module."""

from __future__ import annotations

import argparse

from ..errors import SymhessError

DEFAULT_SEED = 0


class Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit 2 like every other input error."""

    def error(self, message):
        raise SymhessError(message)


def integer(name: str, minimum: int, what: str):
    """An argparse type: an integer ``>= minimum``, refused in one line otherwise."""

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum:
            raise argparse.ArgumentTypeError(f"{name} must be a {what} integer, got {text!r}")
        return value

    return parse


def positive(name):
    return integer(name, 1, "positive")


seed = integer("seed", 0, "non-negative")


def add_kernels_option(p):
    p.add_argument(
        "--kernels",
        action="append",
        metavar="DIR",
        help="folder with kernel modules from 'symhess generate' (repeatable; "
        "also the SYMHESS_KERNELS path list)",
    )


def add_teacher_options(p):
    g = p.add_argument_group("teacher (random, or from a file)")
    g.add_argument("--d", type=positive("--d"), help="input dimension")
    g.add_argument("--h", type=positive("--h"), help="hidden units")
    g.add_argument("--seed", type=seed, help="random seed (default 0)")
    g.add_argument(
        "--dist",
        default="normal",
        choices=("normal", "uniform", "rademacher"),
        help="distribution of the teacher weights (default: normal)",
    )
    g.add_argument("--teacher", metavar="T.npz", help="teacher file with arrays W (h x d), v (h,)")


def teacher_from(args, default_d=None, default_h=None):
    """The teacher the options name, and a one-line description of where it came from."""
    from ..teacher import load_teacher, sample_teacher

    if args.teacher:
        if args.d is not None or args.h is not None or args.seed is not None:
            raise SymhessError("give either --teacher or --d/--h/--seed, not both")
        return load_teacher(args.teacher), f"teacher file {args.teacher}"
    d = args.d if args.d is not None else default_d
    h = args.h if args.h is not None else default_h
    if d is None or h is None:
        raise SymhessError("give the sizes --d and --h, or a teacher file --teacher T.npz")
    seed = DEFAULT_SEED if args.seed is None else args.seed
    teacher = sample_teacher(d, h, seed=seed, dist=args.dist)
    return teacher, f"random teacher, seed {seed}, {args.dist} weights (Var W = 1/d, Var v = 1/h)"
