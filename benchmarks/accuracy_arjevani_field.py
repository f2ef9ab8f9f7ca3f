"""LAPACK eigenvalues of symhess's Hessian at W = I, v = 1 against the closed form, every d.

Run: python benchmarks/accuracy_arjevani_field.py [--activation 'relu(z)'] [--d 3:50]
Prints, per d, the largest deviation of the sorted dense eigenvalues (numpy eigvalsh) from
symhess.spectra.arjevani_field: relative for non-zero closed-form values, |lambda| / max|lambda|
for the zero ones; with v trained and with v fixed. The test suite checks every d = 3..50 by a
structured O(P^2) route and LAPACK at d <= 30; this script is the full O(P^3) sweep (minutes).
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _timing import machine

import symhess
from symhess.spectra.arjevani_field import arjevani_field_spectrum, expand


def deviation(lam, ref):
    scale = np.abs(lam).max()
    denominator = np.where(ref == 0, scale, np.abs(ref))
    return float((np.where(ref == 0, np.abs(lam), np.abs(lam - ref)) / denominator).max())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--activation", default="relu(z)")
    parser.add_argument("--d", default="3:50")
    args = parser.parse_args()
    lo, hi = (int(x) for x in args.d.split(":"))
    print(machine())
    print(f"activation {args.activation}")
    worst = 0.0
    start = time.perf_counter()
    for d in range(lo, hi + 1):
        H = symhess.hessian(args.activation, np.eye(d), np.ones(d))
        e_v = deviation(np.linalg.eigvalsh(H), expand(arjevani_field_spectrum(args.activation, d)))
        ref_w = expand(arjevani_field_spectrum(args.activation, d, train_v=False))
        e_w = deviation(np.linalg.eigvalsh(H[: d * d, : d * d]), ref_w)
        worst = max(worst, e_v, e_w)
        print(f"d = {d:3d}  P = {d * d + d:5d}  v trained {e_v:.1e}  v fixed {e_w:.1e}", flush=True)
    print(f"d = {lo}..{hi}: worst {worst:.2e} ({time.perf_counter() - start:.0f} s)")


if __name__ == "__main__":
    main()
