"""Kernels of smooth activations: cost of the adaptive quadrature, and what runs on it.

Run (several minutes; the machine should be quiet - under load the times are noisy and
threaded BLAS collapses, which is why the evaluator runs BLAS on one thread):

    python benchmarks/bench_quadrature.py            # everything below
    python benchmarks/bench_quadrature.py --quick    # small sizes, proves it runs

Prints, measured in the same run:
1. tanh kernel matrices ``kernel_matrices(K, W)`` at h = 20 and h = 200, W ~ N(0, s^2/d) for
   weight scales s = 1, 4, 10: seconds, routes, largest error estimate (relative to each
   entry's scale); d = h and d = h/10 (nearly parallel rows are likelier at small d and take
   the 2-D rule: the stress case).
2. The fixed 201 x 201 trapezoid rule symhess used before (re-implemented here) at h = 20:
   its time and its largest error against the adaptive kernels, as a ratio of times.
3. The training route (kernels/consistent.py) against the entry-wise evaluator per call.
4. Wall time of the default ``symhess dynamics "tanh(z)" --d 4 --h 3`` (and of ``z + z**2/2``
   for scale), and of ``symhess analyze`` with defaults for five smooth activations.
5. mpmath kernels at 50 digits (python-flint arb) at d = h = 4.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

import mpmath
import numpy as np
from _timing import best_of, machine

import symhess
from symhess.activation.evaluate import derivative_evaluator
from symhess.curvature import kernel_matrices
from symhess.kernels.consistent import ConsistentRule
from symhess.kernels.quadrature import describe_stats, quadrature_kernels
from symhess.symbolic.names import KERNEL_NAMES, ORDERS


def teacher(h, d, scale, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((h, d)) * scale / np.sqrt(d)


def old_fixed_rule(derivatives, a, b, c, order=201, half_width=12.0):
    """The rule symhess shipped before: a 201 x 201 tensor trapezoid rule on [-12, 12]^2 in
    (x, y), u = sqrt(a) x, w = sqrt(b) (rho x + sqrt(1 - rho^2) y)."""
    x = np.linspace(-half_width, half_width, order)
    wt = (x[1] - x[0]) * np.exp(-(x**2) / 2) / np.sqrt(2 * np.pi)
    a, b, c = (np.ravel(t) for t in np.broadcast_arrays(a, b, c))
    rho = np.clip(c / np.sqrt(a * b), -1, 1)
    s = np.sqrt(1 - rho**2)
    out = np.zeros((6, a.size))
    chunk = max(1, 1_500_000 // order**2)
    for start in range(0, a.size, chunk):
        sl = slice(start, start + chunk)
        fu = derivatives(np.sqrt(a[sl])[:, None] * x[None, :])
        w = np.sqrt(b[sl])[:, None, None] * (
            rho[sl, None, None] * x[None, :, None] + s[sl, None, None] * x[None, None, :]
        )
        inner = [g @ wt for g in derivatives(w)]
        for k, name in enumerate(KERNEL_NAMES):
            p, q = ORDERS[name]
            out[k, sl] = (fu[p] * inner[q]) @ wt
    return out


def section_kernels(quick):
    print("1. tanh kernel matrices (adaptive, tolerance 1e-12 of each entry's scale)")
    K = quadrature_kernels("tanh(z)")
    cases = [(20, 20), (20, 2), (200, 200), (200, 20)]
    if quick:
        cases = [(20, 20), (20, 2)]
    print(f"   {'h':>4} {'d':>4} {'scale':>5} {'seconds':>9} {'estimate':>9}  routes")
    for h, d in cases:
        for scale in (1.0, 4.0, 10.0):
            W = teacher(h, d, scale)
            start = time.perf_counter()
            M = kernel_matrices(K, W)
            sec = time.perf_counter() - start
            print(
                f"   {h:>4} {d:>4} {scale:>5g} {sec:>9.3f} {M.error_estimate:>9.1e}  "
                f"{describe_stats(M.stats)}",
                flush=True,
            )


def section_old_rule():
    print("2. the fixed 201 x 201 rule (before) against the adaptive one, h = d = 20")
    deriv = derivative_evaluator(symhess.parse_activation("tanh(z)").expr, 3)
    K = quadrature_kernels("tanh(z)")
    for scale in (1.0, 4.0):
        W = teacher(20, 20, scale)
        C = W @ W.T
        a = np.diag(C)
        new_t, _ = best_of(lambda W=W: kernel_matrices(K, W), 3)
        M = kernel_matrices(K, W)
        old_t, _ = best_of(lambda a=a, C=C: old_fixed_rule(deriv, a[:, None], a[None, :], C), 1)
        old = old_fixed_rule(deriv, a[:, None], a[None, :], C).reshape(6, 20, 20)
        err = max(
            float(np.max(np.abs(old[k] - M[name]) / (np.abs(M[name]).max())))
            for k, name in enumerate(KERNEL_NAMES)
        )
        print(
            f"   scale {scale:g}: adaptive {new_t:.3f} s (estimate {M.error_estimate:.0e}); "
            f"fixed rule {old_t:.3f} s, largest error {err:.1e} of max|K|; ratio "
            f"{old_t / new_t:.1f}x",
            flush=True,
        )


def section_training():
    print("3. the training route: kernel matrices of 6 rows (d = 4), per call")
    t = symhess.sample_teacher(4, 3, seed=0)
    R = np.concatenate([t.W + 1e-3, t.W])
    for source in ("tanh(z)", "gelu(z)", "sin(z)"):
        K = symhess.resolve(source)
        rule = ConsistentRule(K)
        rule(R)
        with rule.session():
            consistent, _ = best_of(lambda rule=rule: [rule(R) for _ in range(200)], 3)
        entry, _ = best_of(lambda K=K: [kernel_matrices(K, R) for _ in range(20)], 3)
        print(
            f"   {source:<9} consistent Mehler rule {consistent / 200 * 1e3:.2f} ms "
            f"({rule.route}); entry-wise evaluator {entry / 20 * 1e3:.1f} ms; ratio "
            f"{entry / 20 / (consistent / 200):.0f}x",
            flush=True,
        )


def _command(argv):
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "symhess.cli", *argv], capture_output=True, text=True, check=False
    )
    return time.perf_counter() - start, done.returncode


def section_commands(quick):
    print("4. commands with defaults (wall time, interpreter start included)")
    runs = [["dynamics", "tanh(z)", "--d", "4", "--h", "3"], ["dynamics", "z + z**2/2"]]
    runs[1] += ["--d", "4", "--h", "3"]
    if not quick:
        for expr in ("tanh(z)", "sin(z)", "gelu(z)", "sigmoid(z)", "z + 0.1*tanh(z)"):
            runs.append(["analyze", expr])
    for argv in runs:
        sec, code = _command(argv)
        print(f"   symhess {' '.join(argv):<40} {sec:7.1f} s  exit {code}", flush=True)


def section_mpmath():
    print("5. mpmath kernels of tanh at 50 digits (arb), rational teacher d = h = 4")
    t = symhess.rational_teacher(4, 4, seed=0)
    K = quadrature_kernels("tanh(z)")
    with mpmath.workdps(50):
        W = np.vectorize(mpmath.mpf, otypes=[object])(t.W)
        start = time.perf_counter()
        M = kernel_matrices(K, W, system="mpmath")
        sec = time.perf_counter() - start
    print(f"   {sec:.2f} s, estimate {M.error_estimate:.1e}; {describe_stats(M.stats)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes only")
    args = parser.parse_args()
    print(machine())
    print(f"load average {os.getloadavg()[0]:.2f} (noisy above ~1 on 2 cores)")
    section_kernels(args.quick)
    section_old_rule()
    section_training()
    section_commands(args.quick)
    section_mpmath()


if __name__ == "__main__":
    main()
