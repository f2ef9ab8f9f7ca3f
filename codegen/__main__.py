"""``python -m symhess.codegen --update``: regenerate the shipped kernel modules."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .write import write_shipped


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m symhess.codegen", description="Regenerate symhess's shipped kernels."
    )
    parser.add_argument(
        "--update", action="store_true", help="write the modules into the generated/ folder"
    )
    parser.add_argument("--out", help="write into this folder instead of generated/")
    args = parser.parse_args(argv)
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
