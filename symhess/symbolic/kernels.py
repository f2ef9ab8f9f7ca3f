"""The symbolic kernels of any activation that has them: the one place that chooses.

Polynomials get their Isserlis (or Price) kernels (:mod:`.polynomial`); ``beta*erf(alpha*z)``
its closed form (:mod:`.erf`), the ReLU family ``alpha*z + beta*relu(z)`` its own
(:mod:`.relu`). Other activations have no closed form here: their kernels are computed
numerically (:mod:`symhess.kernels.quadrature`).
"""

from __future__ import annotations

import sympy

from ..activation import activation
from ..errors import SymhessError
from .erf import closed_form_extra_kernels, closed_form_kernels, expand_gram
from .polynomial import (
    extra_isserlis_kernels,
    extra_price_kernels,
    isserlis_kernels,
    price_kernels,
)
from .relu import relu_closed_form

__all__ = ["symbolic_kernels"]


def symbolic_kernels(
    spec, method: str = "isserlis", *, missing_ok: bool = False, extra: bool = False
) -> dict[str, sympy.Expr] | None:
    """The six kernels of an activation as SymPy expressions in ``(a, b, c)``.

    Parameters
    ----------
    spec : str, coefficient list or Activation
    method : {"isserlis", "price"}
        For polynomials: Isserlis on every derivative, or Isserlis for ``K_00`` and Price's
        theorem after. Closed forms (``beta*erf(alpha*z)``) always come from Price's theorem.
    missing_ok : bool
        Return ``None`` instead of raising for an activation without closed-form kernels.
    extra : bool
        Also the kernels beyond the six (:data:`~symhess.symbolic.names.EXTRA_NAMES`:
        ``K40``, for the Hessian away from the optimum).

    Returns
    -------
    dict of str to sympy.Expr, keyed by :data:`~symhess.symbolic.names.KERNEL_NAMES` (then
    ``EXTRA_NAMES`` with ``extra=True``), or None
    """
    if method not in ("isserlis", "price"):
        raise SymhessError(f"unknown method {method!r}; choose 'isserlis' or 'price'")
    act = activation(spec)
    if act.is_polynomial:
        if method == "isserlis":
            K = isserlis_kernels(act.coefficients)
            if extra:
                K.update(extra_isserlis_kernels(act.coefficients))
            return K
        K = price_kernels(act.coefficients)
        if extra:
            K.update(extra_price_kernels(act.coefficients))
        return K
    K = relu_closed_form(act)
    if K is not None:
        if extra:
            raise SymhessError(
                f"{act.source!r} has no K40: its second derivative is a Dirac delta; the "
                "Hessian away from the optimum takes its residual part from "
                "symhess.kernels.relu.residual_blocks"
            )
        return K
    K = closed_form_kernels(act)
    if K is None:
        if not missing_ok:
            raise SymhessError(
                f"{act.source!r} has no closed-form kernels; its kernels come from quadrature "
                "(symhess.quadrature_kernels)"
            )
        return None
    if extra:
        K.update(closed_form_extra_kernels(act))
    K = {name: expand_gram(k) for name, k in K.items()}
    return K
