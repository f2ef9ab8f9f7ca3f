"""The text report of ``symhess analyze``."""

from __future__ import annotations

import sympy

from .clusters import cluster_lines
from .hessian import hessian
from .kernels import KERNEL_NAMES, symbolic_kernels
from .rank import rank_section
from .registry import resolve
from .spectrum import summarize
from .teacher import Teacher


def _kernel_lines(act) -> list[str]:
    K = symbolic_kernels(act, missing_ok=True)
    if K is None:
        return ["  (no closed form: 2-D quadrature, see the kernel notes above)"]
    return [f"  {name} = {sympy.sstr(K[name])}" for name in KERNEL_NAMES]


def analyze_report(expr, teacher: Teacher, origin: str, kernel_dirs=None) -> str:
    """Kernels, parameter count and spectrum summary of the Hessian, as text."""
    kern = resolve(expr, kernel_dirs)
    act = kern.activation
    d, h, P = teacher.d, teacher.h, teacher.params
    # the same Kernels object, so that its notes (quadrature error) describe this run
    H = hessian(kern, teacher.W, teacher.v)
    s = summarize(H)
    smallest_nz = s.smallest_nonzero
    lines = [
        f"activation  sigma(z) = {act.short}",
        f"kernels     {kern.origin}",
        *kern.notes(),
        f"teacher     d = {d}, h = {h}; {origin}",
        f"parameters  P = h*d + h = {P}",
        "",
        "kernels K_pq(a, b, c) = E[sigma^(p)(u) sigma^(q)(w)], Var u = a, Var w = b, Cov = c:",
        *_kernel_lines(act),
        "",
        "spectrum of the Hessian at the optimum (float64, LAPACK eigvalsh):",
        f"  largest eigenvalue     {s.largest:.6e}",
        f"  smallest eigenvalue    {s.smallest:.6e}",
        "  smallest non-zero      " + ("none" if smallest_nz is None else f"{smallest_nz:.6e}"),
        f"  numerically zero       {s.zeros} of {P}  (|lambda| <= {s.tolerance:.2e} "
        "= P * eps * max|lambda|)",
        f"  rank (float64)         {s.rank}",
        f"  largest gap            x{s.gap_ratio:.3g} above the {s.gap_index} smallest |lambda| "
        "(floored at eps max|lambda|)",
        "",
        *cluster_lines(s.eigenvalues, s.tolerance, d=d, h=h),
    ]
    lines += ["", *rank_section(act, teacher, kernel_dirs=kernel_dirs)]
    return "\n".join(lines)
