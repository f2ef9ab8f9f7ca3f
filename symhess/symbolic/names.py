"""The kernels every kernel module provides, and their derivative orders."""

KERNEL_NAMES = ("K00", "K11", "K20", "K22", "K31", "K13")
"""The kernels the Hessian at the optimum needs, in the order every kernel module returns
them: ``K_pq(a, b, c) = E[sigma^(p)(u) sigma^(q)(w)]``."""

EXTRA_NAMES = ("K40",)
"""Kernels beyond the six, returned by a module's second function ``extra_kernels`` in this
order: ``K40`` enters the Hessian away from the optimum (its residual part,
:mod:`symhess.curvature.anywhere`). Later kernels are added here and printed from the same
module spec; a module lists what it provides in ``EXTRA_OUTPUTS``."""

ORDERS = {
    "K00": (0, 0),
    "K11": (1, 1),
    "K20": (2, 0),
    "K22": (2, 2),
    "K31": (3, 1),
    "K13": (1, 3),
    "K40": (4, 0),
}
"""Derivative orders ``(p, q)`` of each kernel."""
