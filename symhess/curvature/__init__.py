"""The Hessian at the teacher-student optimum, from kernel matrices.

* :mod:`.matrices` - the six ``h x h`` kernel matrices of a teacher;
* :mod:`.dense` - :func:`hessian`: the dense ``P x P`` Hessian in float64, mpmath or exact
  rationals, assembled block by block;
* :mod:`.matrix_free` - :func:`operator`: ``H @ x`` in ``O(h^2 d)`` without forming ``H``,
  and the exact trace and diagonal.

(The room is not called ``hessian``: that name is the function ``symhess.hessian``.)
"""

from .dense import assemble, hessian
from .matrices import kernel_matrices
from .matrix_free import HessianOperator, hessian_trace, operator

__all__ = ["HessianOperator", "assemble", "hessian", "hessian_trace", "kernel_matrices", "operator"]
