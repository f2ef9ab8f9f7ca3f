"""Exact rank of polynomial Hessians, certified: the new modular route against the old one.

    python benchmarks/bench_exact_rank.py            # P ~ 2000 (target) and P ~ 5000
    python benchmarks/bench_exact_rank.py --quick    # P = 504 and 1116

Target (issue 17): the exact rank at P = 2000 in under 5 s end to end, and the time at
P = 5000, including ranks below every bound: z + z**3 at d = 40, h = 48 (P = 1968) has rank
1960 < 1968, which took 31 s over Q. Prints, measured in the same run, per size:
1. ``exact_rank`` as ``symhess rank --method exact`` runs it (the binomial prediction
   h d + min(h, d) is a proven bound, which the modular rank reaches);
2. the two-sided certificate without any bound (modular rank from below, exact unit-scaling
   kernel vectors checked by exact multiplication from above), stage by stage;
3. the old route: the rational Hessian and its rank over Q (python-flint), up to --old-max.
"""

from __future__ import annotations

import argparse
import time

import flint
from _timing import load, machine, verdict

import symhess
from symhess.rank.certify import certified_exact_rank, integer_parts
from symhess.rank.measure import exact_rank, rational_teacher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activation", default="z + z**3")
    parser.add_argument("--sizes", nargs="+", default=["40,48", "66,74"], metavar="D,H")
    parser.add_argument("--old-max", type=int, default=2000, help="largest P for the old route")
    parser.add_argument("--quick", action="store_true", help="d, h = 20,24 and 30,36")
    args = parser.parse_args()
    if args.quick:
        args.sizes = ["20,24", "30,36"]
    print(machine())
    kern = symhess.resolve(args.activation)
    for size in args.sizes:
        d, h = map(int, size.split(","))
        P = h * d + h
        t = rational_teacher(d, h, seed=0)
        print(f"\n{args.activation} at d = {d}, h = {h} (P = {P:,}); {load()}")
        start = time.perf_counter()
        r = exact_rank(kern, t.W, t.v)
        sec = time.perf_counter() - start
        target = verdict(sec, 5, 1900 <= P <= 2100) if 1900 <= P <= 2100 else "(time at this P)"
        print(f"  1. exact_rank: {r.rank} in {sec:.2f} s; {target}")
        print(f"     {r.detail}")
        start = time.perf_counter()
        res = certified_exact_rank(integer_parts(kern, t.W, t.v), bound=None)
        sec2 = time.perf_counter() - start
        print(f"  2. two-sided, no bound: {res.rank} in {sec2:.2f} s; {res.route[:90]}...")
        for stage, s in res.seconds.items():
            print(f"       {stage:<32} {s:7.2f} s")
        if P <= args.old_max:
            start = time.perf_counter()
            H = symhess.hessian(kern, t.W, t.v, system="fmpq")
            build = time.perf_counter() - start
            rank_q = flint.fmpq_mat(H.tolist()).numer_denom()[0].rank()
            old = time.perf_counter() - start
            agree = rank_q == r.rank == res.rank
            print(
                f"  3. baseline, rational Hessian {build:.2f} s + rank over Q: {rank_q} in "
                f"{old:.2f} s; old / new {old / sec:.1f}x; ranks agree: {agree}"
            )
        else:
            print(f"  3. baseline skipped (P > --old-max = {args.old_max})")


if __name__ == "__main__":
    main()
