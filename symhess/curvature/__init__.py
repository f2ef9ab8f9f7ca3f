"""The Hessian of the generalization error, from kernel matrices.

* :mod:`.matrices` - the six ``h x h`` kernel matrices of a teacher (and ``K40`` across a
  student and a teacher);
* :mod:`.dense` - :func:`hessian`: the dense ``P x P`` Hessian at the optimum in float64,
  mpmath or exact rationals, assembled block by block;
* :mod:`.matrix_free` - :func:`operator`: ``H @ x`` in ``O(h^2 d)`` without forming ``H``,
  and the exact trace and diagonal;
* :mod:`.anywhere` - :class:`Landscape`: loss, gradient and Hessian (Gauss-Newton and
  residual parts, dense or as an operator) of any student, of any width, against a teacher.

(The room is not called ``hessian``: that name is the function ``symhess.hessian``.)
"""

from .anywhere import Landscape, LandscapeOperator
from .dense import assemble, hessian
from .matrices import kernel_matrices
from .matrix_free import HessianOperator, hessian_trace, operator

__all__ = [
    "HessianOperator",
    "Landscape",
    "LandscapeOperator",
    "assemble",
    "hessian",
    "hessian_trace",
    "kernel_matrices",
    "operator",
]
