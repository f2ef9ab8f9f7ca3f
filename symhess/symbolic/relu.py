"""Closed-form kernels of the ReLU family ``alpha*z + beta*relu(z)``, as SymPy expressions.

For ``(u, w) ~ N(0, [[a, c], [c, b]])``, ``D = a b - c^2`` and ``theta = acos(c / sqrt(a b))``
(docs/theory.md, "ReLU and piecewise-linear activations"), with ``g = beta^2 / (2 pi)`` and
``lin = alpha^2 + alpha beta``::

    K00 = lin c + g (sqrt(D) + (pi - theta) c)   (Cho and Saul's arc-cosine kernel, n = 1)
    K11 = lin + g (pi - theta)                    (the orthant probability)
    K20 = g sqrt(D) / a,   K22 = g / sqrt(D),   K31 = -g c / (a sqrt(D)),   K13 = -g c / (b sqrt(D))

They satisfy Price's theorem (``dK00/dc = K11``, ``2 dK00/da = K20``, ...), which the tests
check symbolically. These are the formulas for ``D > 0``; the numeric kernels
(:mod:`symhess.kernels.relu`) also handle the parallel and antiparallel pairs (``D = 0``).
"""

from __future__ import annotations

import sympy

from ..activation import Activation
from .moments import A, B, C

__all__ = ["relu_family_kernels"]


def relu_family_kernels(alpha: sympy.Expr, beta: sympy.Expr) -> dict[str, sympy.Expr]:
    """The six kernels of ``alpha*z + beta*relu(z)`` in ``(a, b, c)``, for ``a b > c^2``."""
    D = A * B - C**2
    theta = sympy.acos(C / sympy.sqrt(A * B))
    g = beta**2 / (2 * sympy.pi)
    lin = alpha**2 + alpha * beta
    return {
        "K00": lin * C + g * (sympy.sqrt(D) + (sympy.pi - theta) * C),
        "K11": lin + g * (sympy.pi - theta),
        "K20": g * sympy.sqrt(D) / A,
        "K22": g / sympy.sqrt(D),
        "K31": -g * C / (A * sympy.sqrt(D)),
        "K13": -g * C / (B * sympy.sqrt(D)),
    }


def relu_closed_form(act: Activation) -> dict[str, sympy.Expr] | None:
    """The kernels of ``act`` if it is in the ReLU family, else ``None``."""
    if act.relu_family is None:
        return None
    return relu_family_kernels(*act.relu_family)
