"""``python -m symhess.codegen --update``: regenerate the shipped kernel modules;
``--family P``: derive the polynomial family of degree ``P`` into the user cache folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .write import write_family, write_shipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m symhess.codegen", description="Regenerate symhess's shipped kernels."
    )
    parser.add_argument(
        "--update", action="store_true", help="write the modules into the generated/ folder"
    )
    parser.add_argument("--out", help="write into this folder instead of generated/")
    parser.add_argument(
        "--family",
        type=int,
        action="append",
        metavar="P",
        help="write the polynomial family of degree P (repeatable) into --out, by default "
        "the user cache folder (SYMHESS_CACHE, else $XDG_CACHE_HOME/symhess or ~/.cache/symhess)",
    )
    args = parser.parse_args(argv)
    if args.family:
        from symhess.base.cache import cache_dir

        folder = Path(args.out) if args.out else cache_dir()
        folder.mkdir(parents=True, exist_ok=True)
        for degree in args.family:
            print(write_family(degree, folder))
        return 0
    if not args.update and not args.out:
        parser.print_help()
        return 2
    if args.out:
        folder = Path(args.out)
    else:
        import symhess.generated

        folder = Path(symhess.generated.__file__).parent
    for path in write_shipped(folder):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
