"""The ``symhess`` command: the parser, and the one place that turns errors into exit codes.

Every problem with the input ends in one line ``symhess: error: ...`` and exit status 2.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import warnings

from .. import __version__
from ..errors import SymhessError, SymhessWarning
from . import (
    analyze,
    atlas,
    critical_points,
    density,
    dynamics,
    eigs,
    figure,
    flow,
    generate,
    hessian,
    kernels,
    quadrature,
    rank,
    results,
    rmt,
    spectrum,
    sweep,
    teacher,
    wider,
)
from .options import Parser

COMMANDS = (
    analyze,
    kernels,
    hessian,
    teacher,
    generate,
    rank,
    sweep,
    results,
    atlas,
    quadrature,
    spectrum,
    dynamics,
    flow,
    critical_points,
    wider,
    figure,
    eigs,
    density,
    rmt,
)
"""The subcommand modules, in the order ``symhess --help`` lists them; each defines
``register(sub)``, which adds its parser and sets ``func`` (called with the parsed arguments,
returning the exit status)."""


def build_parser() -> Parser:
    parser = Parser(
        prog="symhess",
        description="Exact Hessians of two-layer teacher-student networks, at the optimum "
        "and anywhere on the landscape.",
    )
    parser.add_argument("--version", action="version", version=f"symhess {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for command in COMMANDS:
        command.register(sub)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None):
    """symhess's own warnings as one line on stderr; anything else as Python shows it."""
    if issubclass(category, SymhessWarning):
        print(f"symhess: warning: {message}", file=sys.stderr, flush=True)
    else:
        _PYTHON_SHOWWARNING(message, category, filename, lineno, file, line)


_PYTHON_SHOWWARNING = warnings.showwarning


def main(argv: list[str] | None = None) -> int:
    with warnings.catch_warnings():
        warnings.showwarning = _show_warning
        return _main(argv)


def _main(argv: list[str] | None) -> int:
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
    except sqlite3.Error as exc:
        print(f"symhess: error: results database: {exc}", file=sys.stderr)
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
    except KeyboardInterrupt as exc:
        note = f"; {exc}" if str(exc) else ""
        print(f"symhess: interrupted{note}", file=sys.stderr)
        return 130
    except MemoryError:
        print(
            "symhess: error: ran out of memory: what was asked for (network size, quadrature "
            "order, grid, number of probes) is too large for this machine",
            file=sys.stderr,
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
