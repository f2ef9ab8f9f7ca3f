"""What biases cost: kernel matrices with means, the dense Hessian and the operator product,
each against the same network without biases, all measured in the same run.

Run: python benchmarks/bench_bias.py [--repeat 3] [--h 300 1000] [--degrees 2 4 8]
         [--dense 40 80] [--operator 300 1000] [--sizes]

* kernel matrices of a polynomial of degree p with biases: the generated pair family
  ``poly_pair_deg{p}`` (the route symhess takes) and the same pair kernels summed at run time
  (the route for degrees without a shipped family), against the bias-free ``poly_deg{p}``;
  time (min of the runs) and peak memory (tracemalloc);
* the dense Hessian with biases against without (``P = h d + 2h`` against ``h d + h``);
* one block of 8 operator products with biases against without;
* ``--sizes``: operations after SymPy's common-subexpression pass of the pair family
  against a family in ``(a, b, c, m1, m2)`` (tens of seconds at degree 8).

No target: a bias should cost about the larger Hessian it makes, two more kernel matrices and
two more ``(h x h) @ (h x d)`` products per block of vectors.
"""

from __future__ import annotations

import argparse
import tracemalloc

import numpy as np
from _timing import best_of, machine

import symhess
from symhess.curvature.matrices import kernel_matrices
from symhess.kernels import resolve
from symhess.kernels.means import pair_kernels, polynomial_means


def polynomial(p: int) -> str:
    return " + ".join(["z"] + [f"z**{k}/{k}" for k in range(2, p + 1)])


def peak(func) -> float:
    """Peak traced memory of ``func()`` in MiB."""
    tracemalloc.start()
    func()
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return top / 2**20


def kernels(hs, degrees, repeat):
    print("kernel matrices (h x h), polynomial of degree p; time min of the runs, peak memory:")
    head = f"{'p':>3} {'h':>6} {'no biases':>18} {'pair family':>26} {'run-time pairs':>26}"
    print(head)
    for p in degrees:
        kern = resolve(polynomial(p))
        runtime = resolve(polynomial(p))
        runtime._means = polynomial_means(kern.activation.coefficients, pair_kernels)
        for h in hs:
            t = symhess.sample_teacher(8, h, seed=0, bias=True)
            rows = []
            for k, b in ((kern, None), (kern, t.b), (runtime, t.b)):

                def run(k=k, b=b, W=t.W):
                    kernel_matrices(k, W, b=b)

                seconds, _ = best_of(run, repeat)
                rows.append((seconds, peak(run)))
            base_s, base_m = rows[0]
            cells = [f"{base_s:7.3f} s {base_m:6.0f} MiB"] + [
                f"{s:7.3f} s x{s / base_s:4.1f} {m:6.0f} MiB" for s, m in rows[1:]
            ]
            print(
                f"{p:>3} {h:>6} "
                + " ".join(f"{c:>18}" if i == 0 else f"{c:>26}" for i, c in enumerate(cells))
            )


def dense(sizes, repeat):
    print("dense Hessian, d = h = n, with biases against without (min of the runs):")
    print(f"{'n':>5} {'activation':>12} {'P':>7} {'no biases':>10} {'biases':>10} {'ratio':>6} "
          f"{'(P ratio)^2':>11}")  # fmt: skip
    for n in sizes:
        t = symhess.sample_teacher(n, n, seed=0, bias=True)
        for act in ("z + z**3/3", "erf(z)", "relu(z)"):
            s0, _ = best_of(lambda act=act, t=t: symhess.hessian(act, t.W, t.v), repeat)
            s1, _ = best_of(lambda act=act, t=t: symhess.hessian(act, t.W, t.v, t.b), repeat)
            P0, P1 = n * n + n, n * n + 2 * n
            print(f"{n:>5} {act:>12} {P1:>7} {s0:10.3f} {s1:10.3f} {s1 / s0:6.2f} "
                  f"{(P1 / P0) ** 2:11.2f}")  # fmt: skip


def operator(sizes, repeat, d=64, m=8):
    print(f"operator, a block of {m} products, d = {d}, with biases against without:")
    print(f"{'h':>6} {'activation':>12} {'no biases':>10} {'biases':>10} {'ratio':>6}")
    for h in sizes:
        t = symhess.sample_teacher(d, h, seed=0, bias=True)
        for act in ("z + z**3/3", "erf(z)", "relu(z)"):
            op0 = symhess.operator(act, t.W, t.v)
            op1 = symhess.operator(act, t.W, t.v, t.b)
            X0 = np.random.default_rng(0).normal(size=(op0.shape[0], m))
            X1 = np.random.default_rng(0).normal(size=(op1.shape[0], m))
            s0, _ = best_of(lambda op0=op0, X0=X0: op0 @ X0, repeat)
            s1, _ = best_of(lambda op1=op1, X1=X1: op1 @ X1, repeat)
            print(f"{h:>6} {act:>12} {s0:10.4f} {s1:10.4f} {s1 / s0:6.2f}")


def sizes():
    import sympy

    from symhess.symbolic.means import mean_kernels, pair_family_kernels
    from symhess.symbolic.polynomial import coefficient_symbols

    def ops(exprs):
        repl, red = sympy.cse(exprs, symbols=sympy.numbered_symbols("_t"), order="canonical")
        return sum(sympy.count_ops(e) for _, e in repl) + sum(sympy.count_ops(e) for e in red)

    print("operations after common subexpressions: pair family (a, b, c, s, t) against a "
          "family in (a, b, c, m1, m2)")  # fmt: skip
    for p in range(2, 9):
        pair = ops(list(pair_family_kernels(p).values()))
        direct = ops(list(mean_kernels(coefficient_symbols(p)).values()))
        print(f"  degree {p}: pair {pair:>6}, direct {direct:>7}  (x{direct / pair:.1f})")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--h", type=int, nargs="+", default=[300, 1000])
    parser.add_argument("--degrees", type=int, nargs="+", default=[2, 4, 8])
    parser.add_argument("--dense", type=int, nargs="+", default=[40, 80])
    parser.add_argument("--operator", type=int, nargs="+", default=[300, 1000])
    parser.add_argument("--sizes", action="store_true")
    args = parser.parse_args()
    print(machine())
    kernels(args.h, args.degrees, args.repeat)
    dense(args.dense, args.repeat)
    operator(args.operator, args.repeat)
    if args.sizes:
        sizes()


if __name__ == "__main__":
    main()
