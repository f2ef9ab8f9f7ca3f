"""The matrix-free Hessian operator: products, the 10 largest eigenvalues, SLQ in blocks.

Run on a quiet machine (other processes make the 2-thread BLAS 10x slower, not 2x):

    python benchmarks/bench_operator.py                     # full sizes (several minutes)
    python benchmarks/bench_operator.py --quick             # small sizes, proves it runs

Prints, measured in the same run:
1. H @ x by the operator against the dense H @ x (where the dense H fits), as a ratio, at
   d = h = 100, 300, 1000; and the operator's time per vector for blocks of 1, 4, 16
   vectors, with numpy's BLAS at 1 and 2 threads (issue 8, item 4).
2. The 10 largest eigenvalues at d = h = 1000 (P = 1,001,000): time, products, time per
   product. Target (issue 8): under 60 s on 2 cores.
3. SLQ with probes in lock step (one block product per step) against one probe at a time.
"""

from __future__ import annotations

import argparse
import ctypes
import glob
import os
import time

import numpy as np
from _timing import best_of, machine

import symhess
from symhess.base.memory import fits
from symhess.curvature.dense import dense_bytes
from symhess.curvature.matrix_free import operator
from symhess.spectra.density import slq
from symhess.spectra.extremes import extreme_eigenvalues


def _numpy_openblas():
    """numpy's bundled OpenBLAS (ctypes), to read and set its thread count; None if absent."""
    libs = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in glob.glob(os.path.join(libs, "libscipy_openblas64_*.so")):
        lib = ctypes.CDLL(path)
        if hasattr(lib, "scipy_openblas_get_num_threads64_"):
            return lib
    return None


BLAS = _numpy_openblas()


def blas_threads() -> str:
    return str(BLAS.scipy_openblas_get_num_threads64_()) if BLAS else "unknown"


def set_blas_threads(n: int) -> bool:
    if BLAS is None:
        return False
    BLAS.scipy_openblas_set_num_threads64_(n)
    return True


def products(args) -> None:
    print("\n1. H @ x: operator against dense, and blocks of vectors")
    print(f"{'d = h':>6} {'P':>9} {'dense H@x (s)':>14} {'operator (s)':>13} {'dense/op':>9}")
    for n in args.sizes:
        t = symhess.sample_teacher(n, n, seed=0)
        op = operator(args.activation, t.W, t.v)
        x = np.random.default_rng(0).standard_normal(op.P)
        o_min, o_med = best_of(lambda op=op, x=x: op @ x, args.repeat)
        if fits(dense_bytes(n, n, 1.1)):
            H = symhess.hessian(args.activation, t.W, t.v)
            d_min, _ = best_of(lambda H=H, x=x: H @ x, args.repeat)
            del H
            dense = f"{d_min:14.4f}"
            ratio = f"{d_min / o_min:9.2f}"
        else:
            dense = f"needs {8 * op.P**2 / 2**30:.0f} GiB".rjust(14)
            ratio = f"{'-':>9}"
        print(f"{n:>6} {op.P:>9} {dense} {o_min:13.4f} {ratio}   (operator median {o_med:.4f})")
    print("\n   operator time per vector (s) by block size and BLAS threads")
    threads = [1, 2] if BLAS is not None else [None]
    header = " ".join(f"{f'm={m}, {th}thr':>13}" for th in threads for m in args.blocks)
    print(f"{'d = h':>6} {header}")
    for n in args.sizes:
        t = symhess.sample_teacher(n, n, seed=0)
        op = operator(args.activation, t.W, t.v)
        row = []
        for th in threads:
            if th is not None:
                set_blas_threads(th)
            for m in args.blocks:
                X = np.random.default_rng(1).standard_normal((op.P, m))
                best, _ = best_of(lambda op=op, X=X: op @ X, args.repeat)
                row.append(f"{best / m:13.5f}")
        print(f"{n:>6} " + " ".join(row))
    set_blas_threads(os.cpu_count() or 1)


def largest(args) -> None:
    n = args.eig_size
    print(f"\n2. the 10 largest eigenvalues at d = h = {n}, activation {args.activation}")
    t = symhess.sample_teacher(n, n, seed=0)
    start = time.perf_counter()
    op = operator(args.activation, t.W, t.v)
    build = time.perf_counter() - start
    print(f"   operator built in {build:.2f} s (P = {op.P})")
    for rep in range(args.eig_repeat):
        res = extreme_eigenvalues(op, 10, "largest", seed=rep)
        target = ""
        if n == 1000:
            target = f", target < 60 s: {'met' if res.seconds < 60 else 'MISSED'}"
        print(
            f"   run {rep + 1}: {res.seconds:6.1f} s, {res.products} products "
            f"({res.seconds / res.products:.3f} s each), residual {res.residual:.1e}, "
            f"converged {res.converged}{target}"
        )
    print("   eigenvalues: " + ", ".join(f"{x:.6g}" for x in res.eigenvalues))


def slq_blocks(args) -> None:
    n = args.slq_size
    print(f"\n3. SLQ at d = h = {n}: {args.probes} probes x {args.steps} steps")
    t = symhess.sample_teacher(n, n, seed=0)
    op = operator(args.activation, t.W, t.v)
    times = {}
    for block in (1, args.probes):
        times[block], _ = best_of(
            lambda b=block: slq(op, probes=args.probes, steps=args.steps, block=b), args.repeat
        )
    print(
        f"   one probe at a time {times[1]:.2f} s; {args.probes} in lock step "
        f"{times[args.probes]:.2f} s; ratio {times[1] / times[args.probes]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activation", default="erf(z)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--blocks", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--eig-size", type=int, default=1000)
    parser.add_argument("--eig-repeat", type=int, default=2)
    parser.add_argument("--slq-size", type=int, default=300)
    parser.add_argument("--probes", type=int, default=8)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="small sizes, to check it runs")
    args = parser.parse_args()
    if args.quick:
        args.sizes, args.eig_size, args.slq_size, args.repeat = [30, 60], 60, 40, 2
        args.eig_repeat = 1
    print(machine())
    print(f"numpy BLAS threads: {blas_threads()}; activation {args.activation}")
    products(args)
    largest(args)
    slq_blocks(args)


if __name__ == "__main__":
    main()
