"""Derivation plus code generation time for the polynomial families, degree 2..8.

Run: python benchmarks/bench_codegen.py
Target (issue 3): under 10 s for degree 8. Each degree is derived from scratch (the Isserlis
moment cache is cleared) and rendered with its common-subexpression pass.
"""

from __future__ import annotations

import time

from _timing import machine
from symhess.codegen import family_spec, render

from symhess.symbolic.moments import moment


def main() -> None:
    print(machine())
    print(f"{'degree':>6} {'derive (s)':>10} {'render+CSE (s)':>14} {'total (s)':>9} {'lines':>6}")
    for p in range(2, 9):
        moment.cache_clear()
        start = time.perf_counter()
        spec = family_spec(p)
        derived = time.perf_counter()
        text = render(spec)
        done = time.perf_counter()
        print(
            f"{p:>6} {derived - start:>10.2f} {done - derived:>14.2f} {done - start:>9.2f} "
            f"{text.count(chr(10)):>6}"
        )


if __name__ == "__main__":
    main()
