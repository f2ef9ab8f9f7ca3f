"""Derivation plus code generation time of the polynomial families, degree 2 to 16.

    python benchmarks/bench_codegen.py            # degrees 2..8, 12, 16 (target at 16)
    python benchmarks/bench_codegen.py --quick    # degrees 2..8, 12

Targets: under 10 s for degree 8 (issue 3) and for degree 16 (issue 17: degrees above 8 are
derived on first use into the user cache folder). Each degree is derived from scratch (the
Isserlis moment caches are cleared) and rendered with its common-subexpression pass. The
baseline is the previous derivation (``sympy.expand`` of every product of coefficients and
moments) at the same degree, measured in the same run up to --old-max.
"""

from __future__ import annotations

import argparse
import time

import sympy
from _timing import load, machine, verdict
from symhess.codegen import derivation_seconds, family_spec, render

from symhess.symbolic.moments import moment, moment_terms
from symhess.symbolic.names import KERNEL_NAMES, ORDERS
from symhess.symbolic.polynomial import coefficient_symbols


def expanded_kernel(s, p, q):
    """The old derivation: multiply every pair out and let SymPy expand the sum."""
    from math import factorial

    left = [(n - p, s[n] * (factorial(n) // factorial(n - p))) for n in range(p, len(s))]
    right = [(m - q, s[m] * (factorial(m) // factorial(m - q))) for m in range(q, len(s))]
    return sympy.expand(sympy.Add(*[x * y * moment(i, j) for i, x in left for j, y in right]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--degrees", type=int, nargs="+", default=[2, 3, 4, 5, 6, 7, 8, 12, 16])
    parser.add_argument("--old-max", type=int, default=16)
    parser.add_argument("--quick", action="store_true", help="degrees 2..8 and 12")
    args = parser.parse_args()
    if args.quick:
        args.degrees = [2, 3, 4, 5, 6, 7, 8, 12]
    print(machine())
    print(load(), "before the run")
    print(
        f"{'degree':>6} {'derive (s)':>10} {'render+CSE (s)':>14} {'total (s)':>9} "
        f"{'estimate':>8} {'lines':>6} {'old derive (s)':>14}"
    )
    for p in args.degrees:
        moment.cache_clear()
        moment_terms.cache_clear()
        start = time.perf_counter()
        spec = family_spec(p)
        derived = time.perf_counter()
        text = render(spec)
        done = time.perf_counter()
        old = ""
        if p <= args.old_max:
            moment.cache_clear()
            s = coefficient_symbols(p)
            start_old = time.perf_counter()
            again = {n: expanded_kernel(s, *ORDERS[n]) for n in KERNEL_NAMES}
            old = f"{time.perf_counter() - start_old:14.2f}"
            assert again == spec.kernels  # the same kernels, term for term
        print(
            f"{p:>6} {derived - start:>10.2f} {done - derived:>14.2f} {done - start:>9.2f} "
            f"{derivation_seconds(p):>8.1f} {text.count(chr(10)):>6} {old}"
        )
        if p in (8, 16):
            print(f"{'':>6} degree {p}: {verdict(done - start, 10)}")
    if 16 not in args.degrees:
        print("(the degree-16 target needs the full run)")
    print(load(), "after the run")


if __name__ == "__main__":
    main()
