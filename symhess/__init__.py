"""symhess: exact Hessians of two-layer teacher-student networks at the optimum.

For ``f(x) = sum_i v_i sigma(w_i . x)`` with Gaussian inputs and the student equal to the
teacher, the Hessian of the generalization error reduces (Stein's lemma) to six bivariate
Gaussian kernels of ``sigma``; symhess derives them symbolically, evaluates them from
generated numpy modules, and assembles the Hessian.

>>> import symhess
>>> t = symhess.sample_teacher(d=6, h=4, seed=0)
>>> H = symhess.hessian("z + z**2/2", t.W, t.v)
>>> H.shape
(28, 28)
"""

from .activation import Activation, activation
from .errors import SymhessError
from .extremes import Extremes, extreme_eigenvalues
from .gram import kernel_matrices
from .hessian import hessian
from .kernels import KERNEL_NAMES, symbolic_kernels
from .operator import HessianOperator, hessian_trace, operator
from .quadrature import quadrature_kernels
from .registry import Kernels, resolve
from .slq import SpectralDensity, slq
from .spectrum import SpectrumSummary, summarize
from .teacher import Teacher, load_teacher, sample_teacher

__version__ = "0.1.0"

__all__ = [
    "KERNEL_NAMES",
    "Activation",
    "Extremes",
    "HessianOperator",
    "Kernels",
    "SpectralDensity",
    "SpectrumSummary",
    "SymhessError",
    "Teacher",
    "activation",
    "extreme_eigenvalues",
    "hessian",
    "hessian_trace",
    "kernel_matrices",
    "load_teacher",
    "operator",
    "quadrature_kernels",
    "resolve",
    "sample_teacher",
    "slq",
    "summarize",
    "symbolic_kernels",
]
