"""Certified full rank of erf Hessians in ball arithmetic, and rank-deficient ones refused.

    python benchmarks/bench_certified.py            # the d, h <= 6 grid, then P up to 420
    python benchmarks/bench_certified.py --quick    # the grid only

Target (issue 17): erf at every d, h <= 6 certified full rank; a rank-deficient (polynomial)
Hessian never certified. Prints, measured in the same run, how many are certified at 128 bits
(and at which precision the rest are, doubling), the time of the certificate (ball Hessian +
proof) against the mpmath rank at 50 digits - the old count, which is not a proof - and the
verdict on exactly singular Hessians entered as exact balls.
"""

from __future__ import annotations

import argparse
import time

import flint
import numpy as np
from _timing import load, machine

import symhess
from symhess.base.systems import arb_precision
from symhess.rank.certify import certify_positive_definite
from symhess.rank.measure import certified_rank, mpmath_rank, rational_teacher


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the d, h <= 6 grid only")
    args = parser.parse_args()
    print(machine())
    print(load(), "before the run")
    print("\nTarget: erf at every d, h <= 6 certified full rank (seed 0)")
    at_128, escalated, slowest, old = 0, [], 0.0, 0.0
    for d in range(1, 7):
        for h in range(1, 7):
            t = rational_teacher(d, h, seed=0)
            r = certified_rank("erf(z)", t.W, t.v, prec=128)
            if r.rank is not None:
                at_128 += 1
            else:
                r = certified_rank("erf(z)", t.W, t.v, prec=128, escalate=True)
                escalated.append((d, h, r.detail.split("proved at ")[-1].split(";")[0]))
            slowest = max(slowest, r.seconds)
            old += mpmath_rank("erf(z)", t.W, t.v, dps=50).seconds
            assert r.rank == h * d + h, (d, h, r.detail)
    print(
        f"  {at_128} / 36 certified at 128 bits, the rest at more: {escalated or 'none'}; "
        f"slowest {slowest:.2f} s; target met: {at_128 + len(escalated) == 36}"
    )
    print(f"  baseline: the mpmath rank (50 digits, not a proof) of all 36 took {old:.1f} s")
    print("\nNever certified: exactly singular Hessians as exact balls")
    for act, d, h in [("z + z**3", 5, 7), ("z**2", 4, 6), ("z + z**2", 5, 5)]:
        t = rational_teacher(d, h, seed=0)
        H = symhess.hessian(act, t.W, t.v, system="fmpq")
        rank = flint.fmpq_mat(H.tolist()).rank()
        for prec in (128, 1024):
            with arb_precision(prec):
                Hb = np.vectorize(lambda x: flint.arb(x), otypes=[object])(H)
            cert = certify_positive_definite(Hb, prec)
            print(f"  {act} d = {d}, h = {h} (rank {rank} < P = {H.shape[0]}): {cert.line()}")
    if not args.quick:
        print("\nLarger erf teachers (time grows like P^3: arb_mat products)")
        for n in (10, 14, 20):
            t = rational_teacher(n, n, seed=0)
            start = time.perf_counter()
            r = certified_rank("erf(z)", t.W, t.v, prec=128, escalate=True)
            sec = time.perf_counter() - start
            line = f"  d = h = {n} (P = {n * n + n}): {r.detail[:60]}... in {sec:.2f} s"
            if n * n + n <= 150:
                m = mpmath_rank("erf(z)", t.W, t.v, dps=50)
                line += f"; mpmath rank {m.rank} (not a proof) in {m.seconds:.2f} s"
            print(line)
    print(load(), "after the run")


if __name__ == "__main__":
    main()
