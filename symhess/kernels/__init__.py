"""Numeric kernels: the six ``K_pq`` of an activation, ready to evaluate on arrays.

* :mod:`.evaluator` - :class:`Kernels`, the type every provider returns;
* :mod:`.modules` - generated kernel modules on disk: search folders, banner checks, loading;
* :mod:`.quadrature` - kernels of any smooth activation by numerical integration;
* :mod:`.registry` - :func:`resolve`, the one place that picks the provider for an activation.
"""

from .evaluator import Kernels
from .quadrature import QuadratureKernels, quadrature_kernels
from .registry import resolve

__all__ = ["Kernels", "QuadratureKernels", "quadrature_kernels", "resolve"]
