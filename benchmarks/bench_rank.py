"""The rank counter's costs, each against what it replaces or is compared to in the same run.

Run: python benchmarks/bench_rank.py [--repeat 3] [--quick]

1. Exact rank of a cubic at d = 8, h = 10 (P = 90): the rational Hessian, the rank modulo a
   prime (the certified fast path), the rank over Q; compared to the float64 rank.
2. A sweep of d, h in 1..8 for a cubic, exact method, on every core (target: under 2 minutes
   on 2 cores); compared to the same sweep in one process.
3. The mpmath rank at P = 100 (d = 9, h = 10, 50 digits): eigenvalues by python-flint
   (acb approx) against mpmath.eigsy on the same matrix; the Hessian build in mpmath.

--quick shrinks every size (to check that the script runs, not for numbers).
"""

from __future__ import annotations

import argparse
import os
import time

import flint
import mpmath
from _timing import best_of, machine

import symhess
from symhess.rank.grid import sweep
from symhess.rank.measure import (
    exact_matrix_rank,
    float_rank,
    mpmath_rank,
    prime,
    rational_teacher,
)
from symhess.rank.theory import predictions, upper_bound

CUBIC = "z - z**2/3 + z**3/6"


def exact_cubic(d: int, h: int, repeat: int) -> None:
    print(f"\n1. exact rank of {CUBIC} at d = {d}, h = {h} (P = {h * d + h})")
    t = rational_teacher(d, h, seed=0)
    bound = upper_bound(predictions(CUBIC, d, h))
    build, _ = best_of(lambda: symhess.hessian(CUBIC, t.W, t.v, system="fmpq"), repeat)
    H = symhess.hessian(CUBIC, t.W, t.v, system="fmpq")
    num = flint.fmpq_mat(H.tolist()).numer_denom()[0]
    p = prime(0)
    modp, _ = best_of(lambda: flint.nmod_mat(num, p).rank(), repeat)
    overq, _ = best_of(lambda: num.rank(), repeat)
    rank, route = exact_matrix_rank(H, bound)
    fl, _ = best_of(lambda: float_rank(CUBIC, t.W, t.v), repeat)
    total = build + min(modp, overq) if route.startswith("certified") else build + overq
    print(f"   rank {rank}; {route}")
    print(f"   rational Hessian build    {build:8.3f} s")
    print(f"   rank modulo p             {modp:8.3f} s")
    print(f"   rank over Q               {overq:8.3f} s   (over Q / mod p = {overq / modp:.1f}x)")
    print(f"   exact total               {total:8.3f} s")
    print(f"   float64 rank (eigvalsh)   {fl:8.3f} s   (exact / float64 = {total / fl:.1f}x)")


def sweep_cubic(top: int) -> None:
    grid = range(1, top + 1)
    cores = os.cpu_count() or 1
    print(f"\n2. sweep of {CUBIC}, d, h in 1..{top}, exact method")
    start = time.perf_counter()
    rows = sweep(CUBIC, grid, grid, ("exact",), jobs=cores, show_progress=False)
    parallel = time.perf_counter() - start
    start = time.perf_counter()
    sweep(CUBIC, grid, grid, ("exact",), jobs=1, show_progress=False)
    serial = time.perf_counter() - start
    flagged = sum(r.flagged for r in rows)
    print(f"   {len(rows)} points, {flagged} mismatches or disagreements")
    print(f"   {cores} processes           {parallel:8.2f} s   (target < 120 s on 2 cores)")
    print(
        f"   1 process             {serial:8.2f} s   (serial / parallel = {serial / parallel:.2f}x)"
    )


def mpmath_p100(d: int, h: int, dps: int, repeat: int) -> None:
    P = h * d + h
    print(f"\n3. mpmath rank of {CUBIC} at d = {d}, h = {h} (P = {P}), {dps} digits")
    t = rational_teacher(d, h, seed=0)
    whole, _ = best_of(lambda: mpmath_rank(CUBIC, t.W, t.v, dps=dps), repeat)
    with mpmath.workdps(dps):
        build, _ = best_of(lambda: symhess.hessian(CUBIC, t.W, t.v, system="mpmath"), repeat)
        H = symhess.hessian(CUBIC, t.W, t.v, system="mpmath")
        M = mpmath.matrix(H.tolist())
        start = time.perf_counter()
        mpmath.eigsy(M, eigvals_only=True)
        eigsy = time.perf_counter() - start
    r = mpmath_rank(CUBIC, t.W, t.v, dps=dps)
    fl, _ = best_of(lambda: float_rank(CUBIC, t.W, t.v), repeat)
    print(f"   rank {r.rank}; {r.detail}; largest gap x{r.gap_ratio:.2g}")
    print(f"   mpmath Hessian build      {build:8.3f} s")
    print(
        f"   whole mpmath rank         {whole:8.3f} s   (flint eigenvalues: {whole - build:.3f} s)"
    )
    print(
        f"   mpmath.eigsy (same H)     {eigsy:8.3f} s   (eigsy / flint = "
        f"{eigsy / max(whole - build, 1e-9):.1f}x)"
    )
    print(f"   float64 rank              {fl:8.3f} s   (mpmath / float64 = {whole / fl:.0f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="tiny sizes: check the script runs")
    args = parser.parse_args()
    print(machine())
    if args.quick:
        exact_cubic(4, 5, 1)
        sweep_cubic(3)
        mpmath_p100(4, 5, 30, 1)
    else:
        exact_cubic(8, 10, args.repeat)
        sweep_cubic(8)
        mpmath_p100(9, 10, 50, args.repeat)


if __name__ == "__main__":
    main()
