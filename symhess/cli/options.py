"""Options shared by the ``symhess`` subcommands, each declared once.

The parser class (usage errors are one line and exit 2), the argument types (integers,
numbers, lists of numbers, precision, rank methods), and the option groups that several
commands take: the teacher (random or from a file), kernel folders, output files.
"""

from __future__ import annotations

import argparse
import math

from ..base.systems import MAX_PREC, MIN_PREC
from ..errors import SymhessError
from ..files import refuse_overwrite
from ..kernels import Kernels, resolve
from ..kernels.quadrature import DEFAULT_TOL, MIN_TOL, QuadratureKernels, quadrature_kernels
from ..rank.measure import (
    DEFAULT_DPS,
    DEFAULT_PREC,
    MAX_DPS,
    METHODS,
    MIN_DPS,
    applicable_methods,
)
from ..report.plot import figure_format
from ..teacher import DEFAULT_BIAS_VARIANCE, DISTRIBUTIONS, Teacher, load_teacher, sample_teacher

DEFAULT_SEED = 0

METHOD_CHOICES = (*METHODS, "all", "best")
"""Rank methods on the command line; ``all`` means every method that applies, ``best`` the
most trustworthy one (:func:`methods_of`)."""


class Parser(argparse.ArgumentParser):
    """argparse, but usage errors are one line and exit 2 like every other input error, and
    no abbreviated options (``--teacher`` must never be read as a prefix of ``--teachers``)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message):
        raise SymhessError(message)


# ----------------------------------------------------------------------------- types
def integer(name: str, minimum: int, what: str | None = None, maximum: int | None = None):
    """An argparse type: an integer in ``[minimum, maximum]``, refused in one line otherwise.

    ``what`` names the kind (``"positive"``); by default the message states the bounds.
    """
    if what is not None:
        kind = f"a {what} integer"
    elif maximum is None:
        kind = f"an integer of at least {minimum}"
    else:
        kind = f"an integer from {minimum} to {maximum}"

    def parse(text):
        try:
            value = int(text)
        except ValueError:
            value = None
        if value is None or value < minimum or (maximum is not None and value > maximum):
            raise argparse.ArgumentTypeError(f"{name} must be {kind}, got {text!r}")
        return value

    return parse


def positive(name):
    """An argparse type: a positive integer."""
    return integer(name, 1, "positive")


seed = integer("seed", 0, "non-negative")


def number(name, minimum: float | None = None, strict: bool = True):
    """An argparse type: a finite float, above ``minimum`` when one is given."""

    def parse(text):
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        ok = math.isfinite(value) and (
            minimum is None or (value > minimum if strict else value >= minimum)
        )
        if not ok:
            bound = "" if minimum is None else f" {'>' if strict else '>='} {minimum:g}"
            raise argparse.ArgumentTypeError(f"{name} must be a number{bound}, got {text!r}")
        return value

    return parse


def numbers(name, minimum: float = 0.0):
    """An argparse type: comma-separated finite floats above ``minimum``."""
    single = number(name, minimum)

    def parse(text):
        values = [single(part) for part in text.split(",") if part.strip()]
        if not values:
            raise argparse.ArgumentTypeError(f"{name} needs at least one number, got {text!r}")
        return values

    return parse


dps = integer("--dps", MIN_DPS, maximum=MAX_DPS)


def seeds(text):
    """An argparse type: ``"0"``, ``"0:4"`` (inclusive) or ``"0,3,7"`` -> sorted seeds."""
    out = set()
    for part in str(text).split(","):
        bits = part.strip().split(":")
        if not 1 <= len(bits) <= 2 or not all(b.isdigit() and len(b) < 10 for b in bits):
            raise argparse.ArgumentTypeError(
                f"--seeds must be N, START:STOP or N,M,... of non-negative integers, got {text!r}"
            )
        lo, hi = int(bits[0]), int(bits[-1])
        if hi < lo:
            raise argparse.ArgumentTypeError(f"--seeds: the range {part!r} is empty")
        if hi - lo >= 100_000:
            raise argparse.ArgumentTypeError(f"--seeds: the range {part!r} is too long")
        out.update(range(lo, hi + 1))
    return sorted(out)


prec = integer("--prec", MIN_PREC, maximum=MAX_PREC)


def methods_of(choice: str, kernels, bias: bool = False) -> tuple[str, ...]:
    """``all`` means every method that applies to these kernels (no exact rank for a
    non-polynomial, a certified one only for kernels in ball arithmetic, mpmath with biases
    only for kernels with means in mpmath); ``best`` the one most trustworthy method that
    applies: exact for polynomials (routed to certified, with a note, for kernels that are not
    rational but evaluate in ball arithmetic: erf, the ReLU family), else every method that
    applies."""
    if choice == "best":
        if kernels.activation.is_polynomial:
            return ("exact",)
        if "arb" in kernels.systems:
            return ("exact",)
        return applicable_methods(kernels, bias)
    if choice != "all":
        return (choice,)
    return applicable_methods(kernels, bias)


# ----------------------------------------------------------------------------- groups
def add_method_options(p, default: str) -> None:
    """``--method`` and ``--dps`` of the rank commands."""
    p.add_argument(
        "--method",
        choices=METHOD_CHOICES,
        default=default,
        help=f"rank method (default: {default}; all = every method that applies; best = exact "
        "for polynomials, certified for erf and the ReLU family, every method that applies "
        "otherwise; exact on erf or the ReLU family runs certified: their kernels are not "
        "rational)",
    )
    p.add_argument(
        "--dps",
        type=dps,
        default=DEFAULT_DPS,
        help=f"digits for --method mpmath (default {DEFAULT_DPS}, {MIN_DPS} to {MAX_DPS})",
    )
    p.add_argument(
        "--prec",
        type=prec,
        default=DEFAULT_PREC,
        help=f"bits of ball arithmetic for --method certified (default {DEFAULT_PREC}, "
        f"{MIN_PREC} to {MAX_PREC})",
    )


def add_threads_option(p) -> None:
    """``--threads``: numpy's BLAS threads inside the iterative solvers."""
    p.add_argument(
        "--threads",
        type=positive("--threads"),
        help="numpy BLAS threads inside the solvers (default: the idle cores, or "
        "SYMHESS_BLAS_THREADS; scipy's BLAS always gets 1)",
    )


def add_kernels_option(p, tol: bool = False) -> None:
    """``--kernels DIR`` (and the quadrature ``--tol`` with ``tol=True``)."""
    if tol:
        add_tol_option(p)
    p.add_argument(
        "--kernels",
        action="append",
        metavar="DIR",
        help="folder with kernel modules from 'symhess generate' (repeatable; "
        "also the SYMHESS_KERNELS path list)",
    )


def add_engine_options(p, db_help: str) -> None:
    """The results database, where the points run, and the sweep's guards (sweep, atlas)."""
    g = p.add_argument_group("results database and engine")
    g.add_argument("--db", metavar="RESULTS.sqlite", help=db_help)
    g.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="send the points to this dask.distributed scheduler, e.g. tcp://host:8786 "
        "(needs the dask extra)",
    )
    g.add_argument(
        "--engine",
        choices=("pool", "dask"),
        help="local engine: the process pool (default) or a Dask LocalCluster on 127.0.0.1",
    )
    g.add_argument("--jobs", type=positive("--jobs"), help="local workers (default: all cores)")
    g.add_argument(
        "--timeout",
        type=number("--timeout", 0.0),
        default=10.0,
        metavar="SECONDS",
        help="seconds to reach the scheduler (default 10)",
    )
    g.add_argument("--yes", action="store_true", help="run even if the estimate exceeds 30 minutes")
    g.add_argument(
        "--wait",
        type=number("--wait", 0.0, strict=False),
        default=0.0,
        metavar="SECONDS",
        help="wait this long for another sweep on the same database to end (default: refuse)",
    )
    g.add_argument(
        "--break-lock",
        action="store_true",
        help="take the database over from a sweep recorded as running that cannot be checked "
        "(another host)",
    )


def add_tol_option(p, default: float | None = None) -> None:
    """``--tol``: the quadrature tolerance of smooth activations without closed forms."""
    p.add_argument(
        "--tol",
        type=number("--tol", 0.0),
        default=default,
        metavar="TOL",
        help=f"quadrature tolerance of each kernel entry relative to its scale, for smooth "
        f"activations without closed forms (default {DEFAULT_TOL:g}, at least {MIN_TOL:g})",
    )


def kernels_from(args, expr=None) -> Kernels:
    """The kernels of ``expr`` (default ``args.expr``) from the options ``--kernels`` and
    ``--tol``; ``--tol`` is refused for kernels that are not quadrature (they are exact)."""
    kern = resolve(args.expr if expr is None else expr, getattr(args, "kernels", None))
    tol = getattr(args, "tol", None)
    if tol is None:
        return kern
    if not isinstance(kern, QuadratureKernels):
        raise SymhessError(
            f"--tol sets the quadrature tolerance, but the kernels of "
            f"{kern.activation.source!r} are exact up to rounding ({kern.origin})"
        )
    return quadrature_kernels(kern.activation.source, tol=tol)


def add_dist_option(p, help_text: str = "distribution of the teacher weights (default: normal)"):
    p.add_argument("--dist", default="normal", choices=DISTRIBUTIONS, help=help_text)


BIAS_HELP = (
    "hidden-unit biases, f(x) = sum_i v_i sigma(w_i . x + b_i): a random teacher draws them "
    f"with variance VAR (default {DEFAULT_BIAS_VARIANCE}, the variance of one weight; 0 gives "
    "zero biases); parameters are ordered W, v, b"
)


def add_bias_option(p, file: bool = True) -> None:
    """``--bias [VAR]`` (and ``--no-bias`` where a teacher file may carry ``b``)."""
    p.add_argument(
        "--bias",
        nargs="?",
        const=True,
        default=None,
        type=number("--bias", 0.0, strict=False),
        metavar="VAR",
        help=BIAS_HELP + ("; a teacher file with an array b has biases without it" if file else ""),
    )
    if file:
        p.add_argument(
            "--no-bias",
            action="store_true",
            help="insist on a network without biases (refused for a teacher file with b)",
        )


def add_teacher_options(p, sizes: tuple[int, int] | None = None) -> None:
    """``--d --h --seed --dist --teacher --bias --no-bias``; ``sizes``: the command's default
    ``(d, h)``."""
    g = p.add_argument_group("teacher (random, or from a file)")
    d_help, h_help = (
        ("", "") if sizes is None else (f" (default {sizes[0]})", f" (default {sizes[1]})")
    )
    g.add_argument("--d", type=positive("--d"), help=f"input dimension{d_help}")
    g.add_argument("--h", type=positive("--h"), help=f"hidden units{h_help}")
    p.set_defaults(default_sizes=sizes)
    g.add_argument("--seed", type=seed, help=f"random seed (default {DEFAULT_SEED})")
    add_dist_option(g)
    g.add_argument(
        "--teacher",
        metavar="T.npz",
        help="teacher file with arrays W (h x d), v (h,) and optionally b (h,), the biases",
    )
    add_bias_option(g)


def add_output_options(p, metavar: str, help_text: str, required: bool = False) -> None:
    """``--out`` (or a plot path) and ``--force``."""
    p.add_argument("--out", metavar=metavar, required=required, help=help_text)
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")


def check_output(path, force: bool) -> None:
    """Refuse an output path that cannot be written, or an existing file unless ``--force``
    was given - before any work."""
    refuse_overwrite(path, force, how="--force")


def check_plot(path, force: bool) -> None:
    """:func:`check_output`, and a suffix naming an image format matplotlib writes."""
    check_output(path, force)
    figure_format(path)


def bias_text(bias, d: int) -> str:
    """How a random teacher's biases are drawn, for the report's teacher line."""
    if bias is True:
        return f", biases Var b = {DEFAULT_BIAS_VARIANCE} = {1 / d:.4g}"
    return f", biases Var b = {bias:g}"


def teacher_from(args):
    """The teacher the options name (the command's default sizes when none are given), and a
    one-line description of where it came from.

    A teacher file with an array ``b`` has biases; ``--bias`` with a file without ``b``,
    ``--bias VAR`` with any file and ``--no-bias`` with a file with ``b`` are refused.
    """
    default_d, default_h = getattr(args, "default_sizes", None) or (None, None)
    bias = getattr(args, "bias", None)
    no_bias = getattr(args, "no_bias", False)
    if bias is not None and no_bias:
        raise SymhessError("give --bias or --no-bias, not both")
    if args.teacher:
        if args.d is not None or args.h is not None or args.seed is not None:
            raise SymhessError("give either --teacher or --d/--h/--seed, not both")
        teacher = load_teacher(args.teacher)
        if teacher.has_bias and no_bias:
            raise SymhessError(
                f"teacher file {args.teacher!r} has biases (array b) but --no-bias was given; "
                "drop --no-bias, or save the teacher without b"
            )
        if bias is not None and not teacher.has_bias:
            raise SymhessError(
                f"--bias was given but teacher file {args.teacher!r} has no biases (no array "
                "b); save one with b, or drop --bias"
            )
        if bias is not None and bias is not True:
            raise SymhessError(
                "--bias VAR is the variance of a random teacher's biases; a teacher file "
                "brings its own b (give --bias without a value, or none)"
            )
        with_b = " (with biases b)" if teacher.has_bias else ""
        return teacher, f"teacher file {args.teacher}{with_b}"
    d = args.d if args.d is not None else default_d
    h = args.h if args.h is not None else default_h
    if d is None or h is None:
        raise SymhessError("give the sizes --d and --h, or a teacher file --teacher T.npz")
    seed = DEFAULT_SEED if args.seed is None else args.seed
    teacher = sample_teacher(d, h, seed=seed, dist=args.dist, bias=bias)
    origin = f"random teacher, seed {seed}, {args.dist} weights (Var W = 1/d, Var v = 1/h"
    return teacher, origin + (bias_text(bias, d) if bias is not None else "") + ")"


LANDSCAPE_WITHOUT_BIASES = (
    "it moves W and v only (symhess.Landscape(..., b_t=...) gives the loss, gradient and "
    "Hessian with biases in Python)"
)


def refuse_biases(teacher: Teacher, what: str, why: str) -> None:
    """One line for a command that does not take biases: ``{what} with biases is not
    implemented: {why}``."""
    if teacher.has_bias:
        raise SymhessError(f"{what} with biases is not implemented: {why}")


def params_text(teacher: Teacher) -> str:
    """``P = h*d + h = 28``, or with biases ``P = h*d + 2h = 32 (W, v, b)``."""
    if teacher.has_bias:
        return f"P = h*d + 2h = {teacher.params}  (order: W row-major, v, b)"
    return f"P = h*d + h = {teacher.params}"
