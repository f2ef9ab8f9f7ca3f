"""The kernels every kernel module provides, and their derivative orders."""

KERNEL_NAMES = ("K00", "K11", "K20", "K22", "K31", "K13")
"""The kernels the Hessian at the optimum needs, in the order every kernel module returns
them: ``K_pq(a, b, c) = E[sigma^(p)(u) sigma^(q)(w)]``."""

EXTRA_NAMES = ("K40",)
"""Kernels beyond the six, returned by a module's second function ``extra_kernels`` in this
order: ``K40`` enters the Hessian away from the optimum (its residual part,
:mod:`symhess.curvature.anywhere`). Later kernels are added here and printed from the same
module spec; a module lists what it provides in ``EXTRA_OUTPUTS``."""

BIAS_NAMES = ("K10", "K01", "K21", "K12")
"""The kernels the bias blocks of the Hessian add (docs/theory.md, "Biases"): ``K10`` enters
``H_bv``, ``K21`` and ``K12`` enter ``H_bW`` (``K11`` serves ``H_bb``). On the rows of one
network ``K01 = K10^T`` and ``K12 = K21^T``; ``K01`` is listed so that kernels between two
different sets of rows (student and teacher) are complete."""

MEAN_NAMES = KERNEL_NAMES + BIAS_NAMES
"""Every kernel with means, ``K_pq(a, b, c, m1, m2) = E[sigma^(p)(m1 + u) sigma^(q)(m2 + w)]``,
in the order the kernels with means are returned."""

MEAN_EXTRA_NAMES = ("K30", "K40")
"""Kernels with means beyond the ten, for the Hessian of a network with biases away from the
optimum (:class:`symhess.Landscape`): its residual part needs ``K30`` (the ``b``-``W`` block)
and ``K40`` (the ``W``-``W`` blocks), ``E[sigma^(p)(m1 + u) sigma(m2 + w)]`` for ``p = 3, 4``."""

ORDERS = {
    "K00": (0, 0),
    "K11": (1, 1),
    "K20": (2, 0),
    "K22": (2, 2),
    "K31": (3, 1),
    "K13": (1, 3),
    "K40": (4, 0),
    "K10": (1, 0),
    "K01": (0, 1),
    "K21": (2, 1),
    "K12": (1, 2),
    "K30": (3, 0),
}
"""Derivative orders ``(p, q)`` of each kernel."""
