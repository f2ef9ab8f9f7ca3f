"""The 10 largest eigenvalues at d = h = 1000: ARPACK before and after thread control, and the
linear-level route every symhess command now takes.

    python benchmarks/bench_threads.py            # d = h = 1000, P = 1,001,000 (target < 15 s)
    python benchmarks/bench_threads.py --quick    # d = h = 300

numpy and scipy each bundle an OpenBLAS; ARPACK's own BLAS calls go to scipy's and the
operator's products to numpy's, and spinning idle threads of one slow the other down
(symhess/base/threads.py). Prints the loaded libraries, then for each thread setting, measured
in the same run: one product alone, and ``eigsh(k=10, which="LA", ncv=30)`` - seconds,
products, time per product, ratio to the library default, agreement of the eigenvalues. The
baseline is the library default (both BLAS at their own thread counts); "policy" is what every
symhess solver runs with (symhess.base.threads.solver_threads: scipy 1, numpy the idle cores).
Last, ``symhess.extreme_eigenvalues`` as every command runs it: Rayleigh-Ritz on the linear
Hermite level plus blocks of residuals (docs/theory.md, "The largest eigenvalues"), against
ARPACK under the same policy, with the largest difference of the eigenvalues.
"""

from __future__ import annotations

import argparse
import contextlib
import time

import numpy as np
from _timing import best_of, load, machine, verdict
from scipy.sparse.linalg import eigsh

import symhess
from symhess.base import threads

SETTINGS = {
    "library default (baseline)": contextlib.nullcontext,
    "policy: solver_threads()": threads.solver_threads,
    "numpy 2, scipy 1": lambda: threads.blas_limits(numpy=2, scipy=1),
    "numpy 1, scipy 1": lambda: threads.blas_limits(numpy=1, scipy=1),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1000, help="d = h (default 1000)")
    parser.add_argument("--activation", default="erf(z)")
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="d = h = 300, one run each")
    args = parser.parse_args()
    if args.quick:
        args.size, args.repeat = 300, 1
    print(machine())
    print(load(), "before the run")
    for lib in threads.blas_libraries():
        print(
            f"  {lib['owner']:<6} {lib.get('internal_api')} {lib.get('version')} "
            f"{lib['num_threads']} threads  {lib['filepath']}"
        )
    n = args.size
    t = symhess.sample_teacher(n, n, seed=0)
    op = symhess.operator(args.activation, t.W, t.v)
    print(
        f"\nTarget: the 10 largest eigenvalues of the {args.activation} Hessian at d = h = {n} "
        f"(P = {op.P:,}) in under 15 s on 2 cores"
    )
    x = np.random.default_rng(0).standard_normal(op.P)
    v0 = np.random.default_rng(1).standard_normal(op.P)
    ref, best = None, {}
    for name, make in SETTINGS.items():
        for rep in range(args.repeat):
            with make():
                alone, _ = best_of(lambda: op @ x, 3)
                op.products = 0
                start = time.perf_counter()
                lam = eigsh(op, k=10, which="LA", v0=v0, ncv=30, tol=1e-10)[0]
                sec = time.perf_counter() - start
            lam = np.sort(lam)[::-1]
            ref = lam if ref is None else ref
            best[name] = min(best.get(name, np.inf), sec)
            print(
                f"  {name:<28} run {rep + 1}: product alone {alone * 1e3:7.1f} ms; eigsh "
                f"{sec:7.2f} s, {op.products} products, {sec / op.products * 1e3:7.1f} ms each; "
                f"eigenvalues agree to {np.max(np.abs(lam - ref)) / ref[0]:.0e}",
                flush=True,
            )
    base = best["library default (baseline)"]
    print("  best of each setting, and library default / setting:")
    for name, sec in best.items():
        print(f"    {name:<28} {sec:7.2f} s   {base / sec:5.2f}x")
    arpack = best["policy: solver_threads()"]
    print(f"\nsymhess.extreme_eigenvalues, as every command runs it ({load()}):")
    fastest = np.inf
    for rep in range(args.repeat):
        res = symhess.extreme_eigenvalues(op, 10, "largest")
        fastest = min(fastest, res.seconds)
        print(
            f"  run {rep + 1}: {res.seconds:.2f} s, {res.products} products, {res.threads}; "
            f"relative residual {res.relative_residual:.1e}; eigenvalues agree with ARPACK's "
            f"to {np.max(np.abs(res.eigenvalues - ref)) / ref[0]:.0e}\n    method: {res.method}",
            flush=True,
        )
    print(
        f"  best {fastest:.2f} s: {arpack / fastest:.2f}x ARPACK with the thread policy "
        f"({arpack:.2f} s), {base / fastest:.2f}x the library default ({base:.2f} s); "
        f"{verdict(fastest, 15, n == 1000)}"
    )
    print(load(), "after the run")


if __name__ == "__main__":
    main()
