"""Kernel derivations in SymPy: the formulas behind every kernel module.

* :mod:`.names` - which kernels ``K_pq`` the Hessian needs (the six at the optimum, ``K40``
  beyond it);
* :mod:`.moments` - bivariate Gaussian moments by Isserlis' theorem;
* :mod:`.price` - Price's theorem, every kernel from ``K_00``;
* :mod:`.polynomial` - kernels of polynomial activations, by Isserlis and by Price;
* :mod:`.erf` - closed forms for ``beta * erf(alpha * z)``;
* :mod:`.relu` - closed forms for the ReLU family ``alpha * z + beta * relu(z)``;
* :mod:`.kernels` - :func:`symbolic_kernels`, which picks the derivation for an activation.

Code generation (:mod:`symhess.codegen`) prints these expressions into modules; nothing here
evaluates numbers.
"""

from .kernels import symbolic_kernels
from .names import EXTRA_NAMES, KERNEL_NAMES, ORDERS

__all__ = ["EXTRA_NAMES", "KERNEL_NAMES", "ORDERS", "symbolic_kernels"]
