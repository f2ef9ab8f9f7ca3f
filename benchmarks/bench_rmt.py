"""Where the time of ``symhess rmt`` goes, measured in one run.

1. The theory cdf at N sorted points (what a KS check needs): the module's panel
   Gauss-Legendre rule against adaptive scipy.integrate.quad per point, with the largest
   difference between them.
2. The density at N points: batched companion-matrix eigenvalues against a Python loop of
   numpy.roots.
3. One sampled n x n matrix H0 + H1: forming it (the Wishart product dominates for small
   phi) against numpy.linalg.eigvalsh.

Run: python benchmarks/bench_rmt.py [--points 2000] [--n 2000] [--repeat 3]
(the lead runs it on a quiet machine; ratios, not absolute times, are the result)
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import best_of, machine
from scipy.integrate import quad

from symhess.rmt import sampling as rs
from symhess.rmt import theory as rd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--points", type=int, default=2000)
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(machine())
    phi, eps = 0.5, 0.2
    lo, hi = rd.support(phi=phi, eps=eps)[0]
    x = np.linspace(lo, hi, args.points)

    # 1. cdf: panel rule vs quad per point (quad on 50 of the points, time scaled)
    sub = x[:: max(1, args.points // 50)]

    def by_quad():
        return np.array(
            [quad(lambda t: float(rd.density(t, phi=phi, eps=eps)), lo, v)[0] for v in sub]
        )

    t_panel, _ = best_of(lambda: rd.cdf(x, phi=phi, eps=eps), args.repeat)
    t_quad, _ = best_of(by_quad, 1)
    t_quad *= x.size / sub.size
    diff = np.abs(rd.cdf(sub, phi=phi, eps=eps) - by_quad()).max()
    print(f"\ncdf at {x.size} points (phi = {phi}, eps = {eps})")
    print(f"  panel Gauss-Legendre  {t_panel:8.3f} s")
    print(f"  quad per point        {t_quad:8.3f} s  (from {sub.size} points, scaled)")
    print(f"  ratio quad / panel    {t_quad / t_panel:8.1f}   largest difference {diff:.1e}")

    # 2. density: batched companion eigenvalues vs numpy.roots per point
    def by_roots():
        out = np.empty(x.size)
        for k, v in enumerate(x):
            r = np.roots([2 * phi * eps, -(2 * eps + v * phi), v + phi - 1, -1])
            out[k] = np.abs(r.imag).max() / np.pi
        return out

    t_batch, _ = best_of(lambda: rd.density(x, phi=phi, eps=eps), args.repeat)
    t_loop, _ = best_of(by_roots, 1)
    diff = np.abs(rd.density(x, phi=phi, eps=eps) - by_roots()).max()
    print(f"\ndensity at {x.size} points")
    print(f"  batched companion eigvals  {t_batch:8.4f} s")
    print(f"  numpy.roots per point      {t_loop:8.4f} s")
    print(f"  ratio                      {t_loop / t_batch:8.1f}   largest difference {diff:.1e}")

    # 3. one sampled matrix
    rng = np.random.default_rng(0)
    print(f"\none sampled matrix, n = {args.n}")
    for p in (0.25, 2.0):
        t_form, _ = best_of(lambda p=p: rs.sample_hessian(args.n, phi=p, eps=eps, rng=rng), 1)
        H = rs.sample_hessian(args.n, phi=p, eps=eps, rng=rng)
        t_eig, _ = best_of(lambda H=H: np.linalg.eigvalsh(H), 1)
        print(
            f"  phi = {p:<5} form {t_form:7.2f} s   eigvalsh {t_eig:7.2f} s   "
            f"ratio form / eigvalsh {t_form / t_eig:5.2f}"
        )


if __name__ == "__main__":
    main()
