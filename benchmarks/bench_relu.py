"""The ReLU family's dense assembly and operator (bisector form) against polynomial and erf
kernels at the same sizes, and the certified rank's cost.

Run: python benchmarks/bench_relu.py [--repeat 3] [--dense 60 100] [--operator 100 300]
Prints, per size, the time of each activation and its ratio to the polynomial's, all
measured in the same run; and the memory floor (writing a P x P array once) for the dense
build. No target: the bisector form should cost about what the Stein assembly costs.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _timing import best_of, machine

import symhess
from symhess.base.systems import arb_precision
from symhess.rank.certify import certify_rank
from symhess.rank.theory import null_basis

ACTIVATIONS = ("z + z**2/2", "erf(z)", "relu(z)")


def floor(P: int) -> None:
    H = np.empty((P, P))
    H.fill(1.0)


def dense(sizes, repeat):
    print("dense Hessian (symhess.hessian), min / median of the runs:")
    print(f"{'d = h':>6} {'P':>7} {'floor':>8} " + "".join(f"{a:>22}" for a in ACTIVATIONS))
    for n in sizes:
        t = symhess.sample_teacher(n, n, seed=0)
        P = n * n + n
        f_min, _ = best_of(lambda P=P: floor(P), repeat)
        cells = []
        base = None
        for act in ACTIVATIONS:
            symhess.hessian(act, t.W, t.v)  # warm-up: imports, kernel module
            b_min, b_med = best_of(lambda t=t, act=act: symhess.hessian(act, t.W, t.v), repeat)
            base = base or b_min
            cells.append(f"{b_min:.3f}/{b_med:.3f} s x{b_min / base:.2f}")
        print(f"{n:>6} {P:>7} {f_min:>7.3f}s " + "".join(f"{c:>22}" for c in cells))


def operator(sizes, repeat):
    print("H @ x with the matrix-free operator (one vector), min / median:")
    print(f"{'d = h':>6} {'P':>9} " + "".join(f"{a:>24}" for a in ACTIVATIONS))
    for n in sizes:
        t = symhess.sample_teacher(n, n, seed=0)
        x = np.random.default_rng(0).standard_normal(n * n + n)
        cells = []
        base = None
        for act in ACTIVATIONS:
            op = symhess.operator(act, t.W, t.v)
            op.matvec(x)
            m_min, m_med = best_of(lambda op=op, x=x: op.matvec(x), repeat)
            base = base or m_min
            cells.append(f"{1e3 * m_min:.2f}/{1e3 * m_med:.2f} ms x{m_min / base:.2f}")
        print(f"{n:>6} {n * n + n:>9} " + "".join(f"{c:>24}" for c in cells))


def certified(sizes):
    print("certified rank of relu (128-bit balls: arb Hessian, then L D L^T):")
    for d, h in sizes:
        t = symhess.rank.rational_teacher(d, h, 0)
        with arb_precision(128):
            start = time.perf_counter()
            H = symhess.hessian("relu(z)", t.W, t.v, system="arb")
            built = time.perf_counter() - start
            cert = certify_rank(H, null_basis("relu(z)", t.W, t.v).vectors)
            total = time.perf_counter() - start
        print(
            f"  d = {d}, h = {h}, P = {d * h + h}: Hessian {built:.2f} s, total {total:.2f} s; "
            f"certified {cert.certified}, rank {cert.rank}, lambda_min^+ > {cert.tau:.2g}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dense", type=int, nargs="+", default=[60, 100])
    parser.add_argument("--operator", type=int, nargs="+", default=[100, 300])
    args = parser.parse_args()
    print(machine())
    dense(args.dense, args.repeat)
    operator(args.operator, args.repeat)
    certified([(8, 8), (10, 10), (12, 12)])


if __name__ == "__main__":
    main()
