"""Dense Hessian build time against the memory floor (writing a P x P float64 array once).

Run: python benchmarks/bench_hessian_build.py [--repeat 5]
Target (issue 3): build / floor <= 3 at d = h = 60 and d = h = 100 (P = 10,100).
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import best_of, machine

import symhess


def floor(P: int) -> None:
    H = np.empty((P, P))
    H.fill(1.0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="+", default=[60, 100])
    parser.add_argument("--activation", default="z + z**2/2 - z**3/6 + z**4/24")
    args = parser.parse_args()
    print(machine())
    print(f"activation: {args.activation}")
    print(
        f"{'d = h':>6} {'P':>7} {'floor min/med (s)':>18} {'build min/med (s)':>18} "
        f"{'ratio (min)':>11} {'ratio (med)':>11}"
    )
    for n in args.sizes:
        t = symhess.sample_teacher(n, n, seed=0)
        P = n * n + n
        symhess.hessian(args.activation, t.W, t.v)  # warm-up: imports, kernel module
        f_min, f_med = best_of(lambda P=P: floor(P), args.repeat)
        b_min, b_med = best_of(lambda t=t: symhess.hessian(args.activation, t.W, t.v), args.repeat)
        print(
            f"{n:>6} {P:>7} {f_min:>8.3f} / {f_med:<8.3f} {b_min:>8.3f} / {b_med:<8.3f} "
            f"{b_min / f_min:>11.2f} {b_med / f_med:>11.2f}"
        )


if __name__ == "__main__":
    main()
