"""The route a researcher takes without symhess: Monte Carlo estimate of H, versus exact.

A vectorized hand-written gradient g(x) = (v_i sigma'(w_i.x) x_j, sigma(w_i.x)), averaged as
g g^T over N Gaussian inputs (in chunks), for d = h = 50 (P = 2550). Prints its time and its
relative Frobenius error against symhess's exact Hessian, and symhess's time.

Run: python benchmarks/bench_monte_carlo.py [--n 100000] [--size 50]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _timing import machine

import symhess


def monte_carlo_hessian(coeffs, W, v, n, seed, chunk=5000):
    rng = np.random.default_rng(seed)
    h, d = W.shape
    P = h * d + h
    poly = np.polynomial.Polynomial(coeffs)
    dpoly = poly.deriv()
    H = np.zeros((P, P))
    done = 0
    while done < n:
        m = min(chunk, n - done)
        x = rng.standard_normal((m, d))
        z = x @ W.T
        g = np.empty((m, P))
        g[:, : h * d] = ((v * dpoly(z))[:, :, None] * x[:, None, :]).reshape(m, -1)
        g[:, h * d :] = poly(z)
        H += g.T @ g
        done += m
    return H / n


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--size", type=int, default=50)
    args = parser.parse_args()
    print(machine())
    coeffs = [0.0, 1.0, 0.5]
    t = symhess.sample_teacher(args.size, args.size, seed=0)
    start = time.perf_counter()
    H = symhess.hessian(coeffs, t.W, t.v)
    exact_time = time.perf_counter() - start
    start = time.perf_counter()
    H_mc = monte_carlo_hessian(coeffs, t.W, t.v, args.n, seed=1)
    mc_time = time.perf_counter() - start
    err = np.linalg.norm(H_mc - H) / np.linalg.norm(H)
    print(f"activation z + z**2/2, d = h = {args.size}, P = {H.shape[0]}")
    print(f"Monte Carlo, N = {args.n:.0e}: {mc_time:8.2f} s, relative error {err:.2%}")
    print(f"symhess (exact):        {exact_time:8.3f} s, relative error 0 (to rounding)")
    print(f"ratio of times (Monte Carlo / symhess): {mc_time / exact_time:.0f}")


if __name__ == "__main__":
    main()
