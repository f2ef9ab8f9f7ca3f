"""When the dense Hessian would not fit: its spectrum reported from the operator.

``symhess analyze`` (and ``symhess spectrum``) ask
:func:`symhess.spectra.summary.dense_spectrum_fits` before building anything; when it says
no, :func:`operator_section` gives the spectrum lines from the matrix-free operator instead:
the exact trace, the largest eigenvalues (Lanczos), and the distribution of the rest by
stochastic Lanczos quadrature, with the memory it takes. :func:`density_lines` and
:func:`plot_density` do the same for a density pooled over teachers
(:func:`symhess.spectra.pooled.pooled_density`).
"""

from __future__ import annotations

import numpy as np

from ..base import memory
from ..base.memory import format_bytes
from ..curvature.matrix_free import matvec_bytes, operator, operator_bytes
from ..kernels import resolve
from ..spectra.density import SpectralDensity, basis_bytes, slq
from ..spectra.extremes import extreme_eigenvalues, solver_bytes
from ..spectra.summary import dense_spectrum_bytes
from ..teacher import Teacher

# Decades of lambda / lambda_max the density is summarised in.
_DECADES = (1e-12, 1e-9, 1e-6, 1e-3, 1e-2, 1e-1)


def operator_section(
    activation,
    teacher: Teacher,
    kernel_dirs=None,
    *,
    k: int = 5,
    probes: int = 10,
    steps: int = 60,
    seed: int = 0,
    show_progress: bool | None = None,
) -> list[str]:
    """Report lines on the spectrum of the Hessian, from the matrix-free operator.

    Parameters
    ----------
    activation : str, coefficient list, Activation or Kernels
    teacher : Teacher
    kernel_dirs : sequence of paths, optional
    k : int
        How many of the largest eigenvalues to find (ARPACK).
    probes, steps : int
        Stochastic Lanczos quadrature: probe vectors and Lanczos steps per probe.
    seed : int
    show_progress : bool, optional

    Returns
    -------
    list of str
        Lines for the ``symhess analyze`` report, headed by why the operator is used.
    """
    kern = resolve(activation, kernel_dirs)  # a Kernels object passes through
    h, d, P = teacher.h, teacher.d, teacher.params
    avail = memory.available_memory()
    k = min(k, P)
    steps = min(steps, P)
    lines = [
        "spectrum of the Hessian at the optimum (matrix-free operator: a dense P x P "
        f"Hessian and its eigensolver need "
        f"{format_bytes(dense_spectrum_bytes(h, d + teacher.has_bias))}"
        + (f", {format_bytes(avail)} available):" if avail is not None else "):"),
    ]
    op = operator(kern, teacher.W, teacher.v, teacher.b)
    held = operator_bytes(h, d, teacher.has_bias) + matvec_bytes(h, d)
    lines.append(
        f"  operator memory        {format_bytes(held)} (kernel matrices h x h and one product's "
        "scratch; H @ x costs O(h^2 d))"
    )
    trace = op.trace()
    lines.append(f"  exact trace            {trace:.6e}  (kernels on the diagonal, O(h d))")
    if op.error is not None:
        lines.append(f"  error bound            {op.error.describe()}")
    top = extreme_eigenvalues(op, k, "largest", seed=seed, show_progress=show_progress)
    values = ", ".join(f"{x:.6e}" for x in top.eigenvalues)
    status = "" if top.converged else "; NOT converged"
    lines += [
        f"  largest eigenvalues    {values}",
        f"                         (k = {k}; {top.method}, {top.products} products, "
        f"residual {top.residual:.1e} x max diag{status}, solver memory "
        f"{format_bytes(solver_bytes(P, k, 'largest'))})",
    ]
    dens = slq(op, probes=probes, steps=steps, seed=seed, show_progress=show_progress)
    reorth = "full reorthogonalisation" if dens.reorthogonalized else "no reorthogonalisation"
    block_memory = basis_bytes(P, steps, 1) if dens.reorthogonalized else 32 * P
    lines += [
        f"  spectral density       stochastic Lanczos quadrature: {probes} Rademacher probes x "
        f"{steps} Lanczos steps, {reorth} ({format_bytes(block_memory)} per probe)",
        f"    trace estimate       {dens.trace():.6e} +- {dens.trace_error():.1e} "
        f"(exact {trace:.6e})",
        "    eigenvalues with lambda / lambda_max in      estimated count (+- standard error)",
    ]
    lam_max = float(top.eigenvalues[0])
    edges = np.array([-np.inf, *(_DECADES), np.inf]) * lam_max
    counts, errors = dens.bin_counts(edges)
    labels = (
        [f"below {_DECADES[0]:.0e}"]
        + [f"[{lo:.0e}, {hi:.0e})" for lo, hi in zip(_DECADES[:-1], _DECADES[1:], strict=True)]
        + [f"{_DECADES[-1]:.0e} and above"]
    )
    for label, count, error in zip(labels, counts, errors, strict=True):
        lines.append(f"      {label:<40} {count:10.1f} +- {error:.1f}")
    lines.append(
        "    (quadrature nodes resolve the distribution, not single eigenvalues: mass near 0 "
        "is smeared over the lowest decades)"
    )
    lines.append(
        "  smallest eigenvalues   not computed here (thousands of products at this size): "
        "symhess eigs EXPR --which smallest"
    )
    return lines


def density_lines(dens: SpectralDensity) -> list[str]:
    """Summary lines of an SLQ density: how it was made, the trace, the quantiles."""
    reorth = "full" if dens.reorthogonalized else "no"
    q = [0.1, 0.5, 0.9, 0.99]
    order = np.argsort(dens.nodes)
    cum = np.cumsum(dens.weights[order])
    quantiles = [dens.nodes[order][min(np.searchsorted(cum, p), cum.size - 1)] for p in q]
    return [
        f"source       stochastic Lanczos quadrature on the matrix-free operator: {dens.probes} "
        f"probes x {dens.steps} steps, {reorth} reorthogonalisation (zero eigenvalues included)",
        f"trace / P    {dens.trace() / dens.P:.6g} +- {dens.trace_error() / dens.P:.2g} "
        "(mean eigenvalue)",
        "quantiles    " + ", ".join(f"{p:g}: {x:.4g}" for p, x in zip(q, quantiles, strict=True)),
        f"range        [{dens.nodes.min():.6g}, {dens.nodes.max():.6g}] (extreme Ritz values)",
    ]


def plot_density(ax, dens: SpectralDensity, bins: int = 80, log: bool = False) -> None:
    """The SLQ histogram (expected eigenvalues per bin) on matplotlib axes ``ax``."""
    nodes = dens.nodes
    if log:
        positive = nodes[nodes > 0]
        edges = np.geomspace(positive.min(), nodes.max() * (1 + 1e-9), bins + 1)
        ax.set_xscale("log")
    else:
        edges = np.linspace(nodes.min(), nodes.max() * (1 + 1e-9), bins + 1)
    counts, _ = dens.histogram(edges)
    ax.stairs(counts, edges, fill=True, alpha=0.6, label=f"SLQ, {dens.probes} probes")
    ax.set_xlabel("Hessian eigenvalue $\\lambda$")
    ax.set_ylabel("expected count per bin")
    ax.legend(fontsize=8)
