"""Error estimates of the quadrature kernels against a brute-force rule, at random points.

For random (a, b, rho) - variances log-uniform in [0.05, 60 / alpha^2], correlations uniform in
[-1, 1] or within 1e-6..1e-1 of +-1 - and tolerances 1e-6, 1e-9, 1e-12, compares every kernel
of tanh, sigmoid, gelu and tanh(5z) with a fixed-step tensor trapezoid rule in (x, y) (no
adaptivity, no Mehler series, no lattice: written here from scratch, its own error taken as
its change from 1.25x the step) and prints, per tolerance, the largest (error - reference
error) / estimate. Above 1 an estimate was wrong.

    python benchmarks/accuracy_quadrature.py [--points 400] [--seed 7]

Measured (400 points, seed 7, 69 s): 0.9999 at 1e-6, 0.9988 at 1e-9, 0.57 at 1e-12 - the first
two at |rho| within 2e-4 of 1, where the Mehler truncation bound (Cauchy-Schwarz) is attained
up to the margins it carries: a bound, and sharp.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from symhess.kernels.quadrature import quadrature_kernels

PAIRS = [(0, 0), (1, 1), (2, 0), (2, 2), (3, 1), (1, 3)]


def tanh_family(alpha):
    def d(z):
        t = np.tanh(alpha * z)
        s = 1 - t * t
        return [t, alpha * s, -2 * alpha**2 * t * s, alpha**3 * s * (6 * t * t - 2)]

    return d


def gelu(z):
    from scipy.special import ndtr

    phi = np.exp(-z * z / 2) / np.sqrt(2 * np.pi)
    return [z * ndtr(z), ndtr(z) + z * phi, (2 - z * z) * phi, (z**3 - 4 * z) * phi]


def sigmoid(z):
    t = np.tanh(z / 2)
    s = 1 - t * t
    return [(1 + t) / 2, s / 4, -t * s / 4, s * (6 * t * t - 2) / 16]


DERIVS = {
    "tanh(z)": (tanh_family(1.0), 1.0),
    "sigmoid(z)": (sigmoid, 1.0),
    "gelu(z)": (gelu, 1.0),
    "tanh(5*z)": (tanh_family(5.0), 5.0),
}


def brute(derivs, a, b, c, step, L=10.0, chunk=500):
    """T[p, q] = E[sigma^(p)(u) sigma^(q)(w)] by a fixed-step tensor trapezoid rule."""
    rho = float(np.clip(c / np.sqrt(a * b), -1, 1))
    s = np.sqrt(max(1 - rho * rho, 0.0))
    n = int(round(L / step))
    x = step * np.arange(-n, n + 1)
    w = step * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)
    fu = np.array(derivs(np.sqrt(a) * x))
    inner = np.zeros((4, x.size))
    for start in range(0, x.size, chunk):
        xs = x[start : start + chunk]
        fw = derivs(np.sqrt(b) * (rho * xs[:, None] + s * x[None, :]))
        for q in range(4):
            inner[q, start : start + chunk] = fw[q] @ w
    return (fu * w) @ inner.T


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=400)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    worst = {}
    start = time.perf_counter()
    sources = list(DERIVS)
    for trial in range(args.points):
        source = sources[trial % len(sources)]
        derivs, alpha = DERIVS[source]
        a, b = np.exp(rng.uniform(np.log(0.05), np.log(60 / alpha**2), 2))
        near = rng.choice([-1, 1]) * (1 - 10 ** rng.uniform(-6, -1))
        rho = rng.choice([rng.uniform(-1, 1), near])
        c = rho * np.sqrt(a * b)
        step = min(0.05, 0.12 / (alpha * np.sqrt(max(a, b))))
        ref = brute(derivs, a, b, c, step)
        ref_err = np.abs(ref - brute(derivs, a, b, c, 1.25 * step))
        for tol in (1e-6, 1e-9, 1e-12):
            r = quadrature_kernels(source, tol=tol).evaluate(a, b, c)
            for j, (p, q) in enumerate(PAIRS):
                err = abs(float(r.values[j]) - ref[p, q])
                ratio = (err - ref_err[p, q]) / float(r.errors[j])
                if ratio > worst.get(tol, (-np.inf,))[0]:
                    worst[tol] = (ratio, source, a, b, rho, j, err, float(r.errors[j]))
    print(f"{args.points} points in {time.perf_counter() - start:.0f} s")
    for tol, (ratio, source, a, b, rho, j, err, est) in sorted(worst.items()):
        print(
            f"tol {tol:.0e}: largest (error - reference error) / estimate {ratio:.4f} "
            f"({source}, a = {a:.3g}, b = {b:.3g}, rho = {rho:.7f}, kernel {j}, "
            f"error {err:.1e}, estimate {est:.1e})"
        )


if __name__ == "__main__":
    main()
