"""Which 2-D rule for smooth kernels: trapezoid versus Gauss-Hermite, measured.

For each activation and point (a, b, c), prints the largest error over the six kernels
K_pq = E[sigma^(p)(u) sigma^(q)(w)] of both rules as the number of nodes per axis grows.
References: erf against its closed form (independent of any quadrature); tanh against a
25-digit mpmath nested tanh-sinh quadrature with --mpmath-reference (minutes), otherwise
against the trapezoid rule at 801 nodes (which only shows self-convergence). Then the time
of quadrature kernel matrices for h hidden units against the closed-form erf module.

Run: python benchmarks/bench_quadrature.py [--h 20] [--mpmath-reference]
"""

from __future__ import annotations

import argparse
import time

import mpmath
import sympy
from _timing import best_of, machine

import symhess
from symhess.activation.evaluate import derivative_evaluator
from symhess.activation.grammar import Z
from symhess.curvature.matrices import kernel_matrices
from symhess.kernels.quadrature import gaussian_kernels, quadrature_kernels
from symhess.symbolic.names import KERNEL_NAMES, ORDERS

ORDERS_TO_TRY = (40, 60, 80, 100, 150, 200, 300)
POINTS = ((1.0, 1.44, 0.6), (4.0, 4.0, 2.0))


def mpmath_tanh_reference(a, b, c, dps=25):
    """Nested mpmath quadrature of the six tanh kernels (slow: minutes)."""
    mpmath.mp.dps = dps

    def d(p, z):
        t = mpmath.tanh(z)
        return [t, 1 - t * t, -2 * t * (1 - t * t), (1 - t * t) * (6 * t * t - 2)][p]

    rho = mpmath.mpf(c) / mpmath.sqrt(mpmath.mpf(a) * b)
    s = mpmath.sqrt(1 - rho**2)
    phi = lambda x: mpmath.exp(-x * x / 2) / mpmath.sqrt(2 * mpmath.pi)  # noqa: E731
    line = [-mpmath.inf, 0, mpmath.inf]
    out = []
    for name in KERNEL_NAMES:
        p, q = ORDERS[name]

        def outer(x, p=p, q=q):
            inner = mpmath.quad(lambda y: phi(y) * d(q, mpmath.sqrt(b) * (rho * x + s * y)), line)
            return phi(x) * d(p, mpmath.sqrt(a) * x) * inner

        out.append(float(mpmath.quad(outer, line)))
    return out


def convergence(name, ev, point, reference):
    print(f"\n{name} at (a, b, c) = {point}: largest error over the six kernels")
    print("  nodes   trapezoid   Gauss-Hermite")
    for n in ORDERS_TO_TRY:
        trap = gaussian_kernels(ev, *point, n)[:6]
        gh = gaussian_kernels(ev, *point, n, rule="gauss-hermite")[:6]
        e_t = max(abs(float(x) - r) for x, r in zip(trap, reference, strict=True))
        e_g = max(abs(float(x) - r) for x, r in zip(gh, reference, strict=True))
        print(f"  {n:5d}   {e_t:9.1e}   {e_g:9.1e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--h", type=int, default=20, help="hidden units for the timing")
    parser.add_argument("--mpmath-reference", action="store_true")
    args = parser.parse_args()
    print(machine())

    erf = symhess.resolve("erf(z)")
    ev_erf = derivative_evaluator(sympy.erf(Z), 3)
    ev_tanh = derivative_evaluator(sympy.tanh(Z), 3)
    for point in POINTS:
        convergence("erf (reference: closed form)", ev_erf, point, [float(k) for k in erf(*point)])
        if args.mpmath_reference:
            ref, label = mpmath_tanh_reference(*point), "25-digit mpmath quadrature"
        else:
            ref, label = gaussian_kernels(ev_tanh, *point, 801)[:6], "trapezoid, 801 nodes"
        convergence(f"tanh (reference: {label})", ev_tanh, point, [float(k) for k in ref])

    t = symhess.sample_teacher(args.h, args.h, seed=0)
    quad = quadrature_kernels("tanh(z)")
    quad_erf = quadrature_kernels("erf(z)")
    t_closed, _ = best_of(lambda: kernel_matrices(erf, t.W), repeat=5)
    t_quad, _ = best_of(lambda: kernel_matrices(quad, t.W), repeat=1)
    t_quad_erf, _ = best_of(lambda: kernel_matrices(quad_erf, t.W), repeat=1)
    print(f"\nkernel matrices for h = {args.h} ({args.h**2} pairs), {quad.order} nodes per axis")
    print(f"  erf closed form      {t_closed:9.4f} s")
    print(f"  erf by quadrature    {t_quad_erf:9.4f} s  (ratio {t_quad_erf / t_closed:.0f})")
    print(f"  tanh by quadrature   {t_quad:9.4f} s  (error estimate {quad.error_estimate:.1e})")
    start = time.perf_counter()
    symhess.hessian(quad, t.W, t.v)
    print(f"  tanh Hessian, d = h = {args.h}: {time.perf_counter() - start:.3f} s")


if __name__ == "__main__":
    main()
