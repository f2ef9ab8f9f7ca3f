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
from .gram import kernel_matrices
from .hessian import hessian
from .kernels import KERNEL_NAMES, symbolic_kernels
from .quadrature import quadrature_kernels
from .registry import Kernels, resolve
from .spectrum import SpectrumSummary, summarize
from .teacher import Teacher, load_teacher, sample_teacher

__version__ = "0.1.0"

__all__ = [
    "KERNEL_NAMES",
    "Activation",
    "Kernels",
    "SpectrumSummary",
    "SymhessError",
    "Teacher",
    "activation",
    "hessian",
    "kernel_matrices",
    "load_teacher",
    "quadrature_kernels",
    "resolve",
    "sample_teacher",
    "summarize",
    "symbolic_kernels",
]
