"""symhess: exact Hessians of two-layer teacher-student networks.

For ``f(x) = sum_i v_i sigma(w_i . x)`` with Gaussian inputs and the student equal to the
teacher, the Hessian of the generalization error ``L = 1/2 E[(f_student - f_teacher)^2]``
reduces (Stein's lemma) to six bivariate Gaussian kernels of ``sigma``; symhess derives them
symbolically, evaluates them from generated modules, and assembles the Hessian - dense or
matrix-free - then measures its rank, spectrum and the learning dynamics it implies. The
derivations are in ``docs/theory.md``.

>>> import symhess
>>> t = symhess.sample_teacher(d=6, h=4, seed=0)
>>> H = symhess.hessian("z + z**2/2", t.W, t.v)
>>> H.shape
(28, 28)

The package is layered, data flowing one way: :mod:`~symhess.activation` ->
:mod:`~symhess.symbolic` -> :mod:`~symhess.codegen` -> :mod:`~symhess.kernels` ->
:mod:`~symhess.curvature` -> analysis (:mod:`~symhess.spectra`, :mod:`~symhess.rank`,
:mod:`~symhess.dynamics`, :mod:`~symhess.rmt`) -> :mod:`~symhess.landscape` (flows, critical
points, wider students) and :mod:`~symhess.results` (sweeps into a results database, engines,
the atlas) -> :mod:`~symhess.report` -> :mod:`~symhess.cli`, on the shared policies of
:mod:`~symhess.base`. Away from the optimum, :class:`Landscape` gives the loss, gradient and
Hessian of any student, of any width, against a fixed teacher; :mod:`symhess.landscape` flows,
polishes and classifies its critical points.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("symhess")
except PackageNotFoundError:  # a source tree that was never installed
    __version__ = "unknown"

# ruff: noqa: E402, I001  (the version first; then the API, grouped by kind below)
# -- activations and kernels
from .activation import Activation, activation as parse_activation
from .kernels import Kernels, quadrature_kernels, resolve
from .symbolic import KERNEL_NAMES, symbolic_kernels

# -- teachers
from .teacher import Teacher, load_teacher, sample_teacher

# -- the Hessian at the optimum
from .curvature import HessianOperator, hessian, hessian_trace, kernel_matrices, operator

# -- the landscape beyond the optimum
from .curvature import Landscape, LandscapeOperator

# -- spectra
from .spectra import (
    EigenvaluePool,
    Extremes,
    LinearComparison,
    LinearLaw,
    SpectralDensity,
    SpectrumSummary,
    arjevani_field_spectrum,
    clusters,
    compare_linear,
    extreme_eigenvalues,
    ks_distance,
    ks_floor,
    pool_densities,
    pooled_density,
    pooled_eigenvalues,
    ReducedSpectrum,
    reduced_spectrum,
    slq,
    summarize,
    teacher_eigenvalues,
    zero_tolerance,
)

# -- rank: the effective number of parameters
from .rank import (
    MethodRank,
    Prediction,
    RankCertificate,
    RankReport,
    SweepRow,
    certify_rank,
    null_basis,
    predictions,
    rank_report,
    rational_teacher,
    sweep,
    upper_bound,
)

# -- dynamics
from .dynamics import (
    Experiment,
    PopulationLoss,
    Trajectory,
    experiment,
    gradient_descent,
    initial_perturbations,
    late_rate,
    predicted_loss,
    sgd,
)

# -- the random-matrix model of Pennington and Bahri (2017)
from . import rmt

# -- errors
from .errors import SymhessError

__all__ = [
    # activations and kernels
    "Activation",
    "KERNEL_NAMES",
    "Kernels",
    "parse_activation",
    "quadrature_kernels",
    "resolve",
    "symbolic_kernels",
    # teachers
    "Teacher",
    "load_teacher",
    "sample_teacher",
    # the Hessian at the optimum
    "HessianOperator",
    "hessian",
    "hessian_trace",
    "kernel_matrices",
    "operator",
    # the landscape beyond the optimum
    "Landscape",
    "LandscapeOperator",
    # spectra
    "EigenvaluePool",
    "Extremes",
    "LinearComparison",
    "LinearLaw",
    "SpectralDensity",
    "SpectrumSummary",
    "arjevani_field_spectrum",
    "clusters",
    "compare_linear",
    "extreme_eigenvalues",
    "ks_distance",
    "ks_floor",
    "pool_densities",
    "pooled_density",
    "pooled_eigenvalues",
    "ReducedSpectrum",
    "reduced_spectrum",
    "slq",
    "summarize",
    "teacher_eigenvalues",
    "zero_tolerance",
    # rank
    "MethodRank",
    "Prediction",
    "RankCertificate",
    "RankReport",
    "SweepRow",
    "certify_rank",
    "null_basis",
    "predictions",
    "rank_report",
    "rational_teacher",
    "sweep",
    "upper_bound",
    # dynamics
    "Experiment",
    "PopulationLoss",
    "Trajectory",
    "experiment",
    "gradient_descent",
    "initial_perturbations",
    "late_rate",
    "predicted_loss",
    "sgd",
    # Pennington-Bahri random-matrix model (symhess.rmt.density, .index, .eps_c, ...)
    "rmt",
    # errors
    "SymhessError",
]
