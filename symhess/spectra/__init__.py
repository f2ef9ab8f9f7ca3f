"""Spectra of Hessians (computation only; text and plots live in :mod:`symhess.report`).

* :mod:`.zeros` - the float64 zero tolerance ``P eps max|lambda|`` (and at numerically found
  critical points) and the gap diagnostic;
* :mod:`.summary` - all eigenvalues of a dense Hessian and their summary;
* :mod:`.clustering` - clusters of ``|lambda|`` on a log scale, the upper bulk;
* :mod:`.extremes` - the k largest or smallest eigenvalues of an operator (ARPACK, LOBPCG);
* :mod:`.density` - spectral density by stochastic Lanczos quadrature;
* :mod:`.pooled` - non-zero eigenvalues (or SLQ densities) pooled over random teachers;
* :mod:`.linear_law` - the linear network's eigenvalue law and its KS comparison;
* :mod:`.arjevani_field` - the ReLU family's closed-form spectrum at ``W = I``, ``v = 1``;
* :mod:`.reduction` - the exact spectrum for ``d > h`` from an ``(h^2 + h)``-size problem;
* :mod:`.preconditioners` - structured preconditioners for the smallest eigenvalues.
"""

from .arjevani_field import ClosedFormEigenvalue, arjevani_field_spectrum
from .clustering import Cluster, clusters
from .density import SpectralDensity, pool_densities, slq
from .extremes import Extremes, extreme_eigenvalues
from .linear_law import LinearComparison, LinearLaw, compare_linear, ks_distance, ks_floor
from .pooled import EigenvaluePool, pooled_density, pooled_eigenvalues, teacher_eigenvalues
from .reduction import ReducedSpectrum, reduced_spectrum
from .summary import SpectrumSummary, summarize, summarize_eigenvalues
from .zeros import critical_point_tolerance, drop_zeros, zero_tolerance

__all__ = [
    "ClosedFormEigenvalue",
    "Cluster",
    "EigenvaluePool",
    "Extremes",
    "LinearComparison",
    "LinearLaw",
    "ReducedSpectrum",
    "SpectralDensity",
    "SpectrumSummary",
    "arjevani_field_spectrum",
    "clusters",
    "compare_linear",
    "critical_point_tolerance",
    "drop_zeros",
    "extreme_eigenvalues",
    "ks_distance",
    "ks_floor",
    "pool_densities",
    "pooled_density",
    "pooled_eigenvalues",
    "slq",
    "reduced_spectrum",
    "summarize",
    "summarize_eigenvalues",
    "teacher_eigenvalues",
    "zero_tolerance",
]
