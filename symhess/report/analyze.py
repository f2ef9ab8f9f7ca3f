"""The text report of ``symhess analyze``."""

from __future__ import annotations

import numpy as np
import sympy

from ..curvature.dense import hessian
from ..kernels import resolve
from ..kernels.quadrature import describe_stats
from ..spectra import reduction
from ..spectra.arjevani_field import arjevani_field_spectrum, expand
from ..spectra.summary import SpectrumSummary, dense_spectrum_fits, summarize, summarize_eigenvalues
from ..symbolic import KERNEL_NAMES, symbolic_kernels
from ..teacher import Teacher
from .operator_report import operator_section
from .rank import rank_section
from .spectra import cluster_lines


def _kernel_lines(act) -> list[str]:
    K = symbolic_kernels(act, missing_ok=True)
    if K is None:
        return ["  (no closed form: quadrature to a stated tolerance, see the kernel notes above)"]
    return [f"  {name} = {sympy.sstr(K[name])}" for name in KERNEL_NAMES]


def analyze_report(expr, teacher: Teacher, origin: str, kernel_dirs=None) -> tuple[str, int]:
    """Kernels, parameter count, spectrum summary and rank table of the Hessian, as text.

    For ``d > h`` the whole spectrum comes from the row-space reduction (exact, from an
    ``(h^2 + h)``-size matrix); otherwise from the dense Hessian; when neither would fit in
    memory, from the matrix-free operator (decided before anything large is allocated).

    Returns
    -------
    (text, status) : (str, int)
        ``status`` is 1 when the Hessian is not positive semi-definite beyond its stated
        error (the report says so: a Hessian at the optimum is a Gram matrix), else 0.
    """
    kern = resolve(expr, kernel_dirs)
    act = kern.activation
    d, h, P = teacher.d, teacher.h, teacher.params
    bias = teacher.has_bias
    if bias:
        kern.check_means("float64")
    status = 0
    # the row-space reduction rotates W and v only: a network with biases is not reduced;
    # P = h (d + 1) + h with biases: the memory of a network with one more input
    if not bias and reduction.reduced_fits(h, d):
        spectrum, rank, status = _reduced_sections(kern, teacher)
    elif dense_spectrum_fits(h, d + bias):
        spectrum, rank, status = _dense_sections(kern, teacher)
    else:
        spectrum = operator_section(kern, teacher, kernel_dirs)
        rank = ["rank: not computed (it needs the dense Hessian; see symhess rank)"]
    lines = [
        f"activation  sigma(z) = {act.short}",
        f"kernels     {kern.origin}",
        *kern.notes(),
        f"teacher     d = {d}, h = {h}; {origin}",
        f"parameters  P = h*d + {'2h' if bias else 'h'} = {P}"
        + ("  (order: W row-major, v, b)" if bias else ""),
        "",
        "kernels K_pq(a, b, c) = E[sigma^(p)(u) sigma^(q)(w)], Var u = a, Var w = b, Cov = c:",
        *_kernel_lines(act),
        *_bias_lines(kern, bias),
        "",
        *spectrum,
        "",
        *rank,
    ]
    return "\n".join(lines), status


def error_lines(s: SpectrumSummary) -> list[str]:
    """How far the eigenvalues may be off, how the kernels were computed, and the check that
    the Hessian at the optimum is positive semi-definite within that."""
    err = s.error
    lines = []
    if err is not None:
        lines.append(f"  error bound            {err.describe()}")
        if err.stats:
            lines.append(f"  kernel routes          {describe_stats(err.stats)}")
    lines.append(
        f"  noise                  {s.tolerance:.2e} = error bound + P * eps * max|lambda|: "
        f"every eigenvalue within this of the true one ({s.correct_digits:.0f} digits of the "
        "largest)"
    )
    if s.positive_semidefinite:
        lines.append(
            f"  positive semi-definite yes: lambda_min = {s.smallest:.2e} >= -noise "
            "(a Hessian at the optimum is a Gram matrix)"
        )
    else:
        lines.append(
            f"  positive semi-definite VIOLATED: lambda_min = {s.smallest:.3e} lies below "
            f"-noise = {-s.tolerance:.2e}; a Hessian at the optimum is a Gram matrix, so this "
            "one is wrong beyond its stated error - do not trust the numbers above (please "
            "report it)"
        )
    return lines


def _bias_lines(kern, bias: bool) -> list[str]:
    if not bias:
        return []
    return [
        "with biases the kernels are taken with means, K_pq(a, b, c, m1, m2) = "
        "E[sigma^(p)(m1 + u) sigma^(q)(m2 + w)]",
        f"  at (m1, m2) = (b_i, b_k): {kern.means_origin}; the bias blocks add K10, K21, K12",
    ]


def _dense_sections(kern, teacher: Teacher) -> tuple[list[str], list[str], int]:
    # the same Kernels object, so that its notes (quadrature error) describe this run
    H, error = hessian(kern, teacher.W, teacher.v, teacher.b, with_error=True)
    s = summarize(H, error)
    del H
    head = ["spectrum of the Hessian at the optimum (float64, LAPACK eigvalsh):"]
    return _sections(s, kern, teacher, head)


def _reduced_sections(kern, teacher: Teacher) -> tuple[list[str], list[str], int]:
    rs = reduction.reduced_spectrum(kern, teacher.W, teacher.v)
    s = summarize_eigenvalues(rs.eigenvalues(), rs.error)
    d, h = teacher.d, teacher.h
    head = [
        "spectrum of the Hessian at the optimum (float64, LAPACK eigvalsh of the reduced "
        "matrix and of A):",
        *(
            f"  {'reduction' if k == 0 else '':<22} {line}"
            for k, line in enumerate(reduction.describe(h, d))
        ),
        f"  eig(A), x {d - h:<12} [{rs.bulk[0]:.6e}, {rs.bulk[-1]:.6e}] ({h} values)",
    ]
    return _sections(s, kern, teacher, head)


def _sections(s: SpectrumSummary, kern, teacher: Teacher, head: list[str]):
    """``(spectrum lines, rank lines, status)``; status 1 when the spectrum is not positive
    semi-definite within its noise."""
    status = 0 if s.positive_semidefinite else 1
    return (
        _summary_lines(s, kern, teacher, head),
        rank_section(kern, teacher, float_summary=s),
        status,
    )


def _summary_lines(s, kern, teacher: Teacher, head: list[str]) -> list[str]:
    smallest_nz = s.smallest_nonzero
    return [
        *head,
        f"  largest eigenvalue     {s.largest:.6e}",
        f"  smallest eigenvalue    {s.smallest:.6e}",
        "  smallest non-zero      " + ("none" if smallest_nz is None else f"{smallest_nz:.6e}"),
        *error_lines(s),
        f"  numerically zero       {s.zeros} of {teacher.params}  (|lambda| <= noise)",
        f"  rank (float64)         {s.rank} (eigenvalues above the noise; see the rank table)",
        f"  largest gap            x{s.gap_ratio:.3g} above the {s.gap_index} smallest |lambda| "
        "(floored at eps max|lambda|)",
        "",
        *cluster_lines(s.eigenvalues, s.tolerance, d=teacher.d, h=teacher.h),
        *_closed_form_lines(kern.activation, teacher, s.eigenvalues),
    ]


def is_arjevani_field(teacher: Teacher) -> bool:
    """``W = I_d`` and ``v = 1`` with ``d = h >= 3``: the teacher with a closed-form spectrum."""
    d, h = teacher.d, teacher.h
    return (
        not teacher.has_bias
        and d == h >= 3
        and np.array_equal(teacher.W, np.eye(d))
        and np.array_equal(teacher.v, np.ones(h))
    )


def _closed_form_lines(act, teacher: Teacher, eigenvalues: np.ndarray) -> list[str]:
    if act.relu_family is None or not is_arjevani_field(teacher):
        return []
    spectrum = arjevani_field_spectrum(act, teacher.d)
    ref = expand(spectrum)
    scale = float(np.max(np.abs(eigenvalues)))
    denominator = np.where(ref == 0, scale, np.abs(ref))
    err = np.where(ref == 0, np.abs(eigenvalues), np.abs(eigenvalues - ref)) / denominator
    lines = ["", "closed form at W = I, v = 1 (Arjevani-Field; docs/theory.md):"]
    for e in spectrum:
        lines.append(f"  {float(e.value):.10e}  x {e.multiplicity:<6} {e.label}")
    lines.append(
        f"  largest deviation of the dense eigenvalues: {float(err.max()):.1e} (relative; zeros "
        "relative to max|lambda|)"
    )
    return lines
