"""How many eigenvalues the upper bulk of an erf Hessian holds, against the weight scale.

symhess reports (README, "A correction to the paper") that for erf networks at the paper's
weight scale, W ~ N(0, 1/d), the upper bulk - the top cluster of |lambda| after a gap of at
least half a decade - holds d eigenvalues, not h. This script measures how far that holds:
teachers with W ~ N(0, s^2/d) (v ~ N(0, 1/h) unchanged) for several scales s, d and h drawn
from 3..20, and counts in how many the upper bulk holds exactly d eigenvalues (and how many
hold h, when h != d).

Run: python docs/findings/erf_upper_bulk.py [--teachers 75] [--seed 0]
"""

from __future__ import annotations

import argparse

import numpy as np

import symhess
from symhess.spectra import clusters, summarize

SCALES = (0.5, 1.0, 1.25, 1.5, 2.0, 3.0, 4.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teachers", type=int, default=75)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    sizes = [tuple(int(x) for x in rng.integers(3, 21, 2)) for _ in range(args.teachers)]
    kern = symhess.resolve("erf(z)")
    print(f"{args.teachers} teachers, d and h from 3..20 (seed {args.seed}); erf(z)")
    print(" scale s   upper bulk = d   = h (h != d)   other   median bulk / d")
    for s in SCALES:
        is_d = is_h = other = 0
        ratios = []
        for k, (d, h) in enumerate(sizes):
            t = symhess.sample_teacher(d, h, seed=args.seed * 1000 + k)
            summary = summarize(symhess.hessian(kern, s * t.W, t.v))
            found = clusters(summary.eigenvalues, summary.tolerance)
            size = found[-1].size if len(found) > 1 else 0
            ratios.append(size / d)
            if size == d:
                is_d += 1
            elif size == h:
                is_h += 1
            else:
                other += 1
        print(
            f"  {s:5.2f}   {is_d:4d} / {args.teachers}     {is_h:4d}        {other:4d}      "
            f"{np.median(ratios):.2f}"
        )


if __name__ == "__main__":
    main()
