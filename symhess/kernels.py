"""The six bivariate kernels of an activation, derived symbolically.

``K_pq(a, b, c) = E[sigma^(p)(u) sigma^(q)(w)]`` for ``(u, w) ~ N(0, [[a, c], [c, b]])``; the
Hessian at the optimum needs ``K_00, K_11, K_20, K_22, K_31, K_13`` (math.md section 3).

Two independent derivations for polynomial activations:

* :func:`isserlis_kernels` differentiates ``sigma`` and applies Isserlis' theorem to every
  pair of monomials;
* :func:`price_kernels` derives only ``K_00`` by Isserlis and the other five from it by
  Price's theorem (``dK_pq/dc = K_(p+1)(q+1)``, ``dK_pq/da = K_(p+2)q / 2``).

They must agree exactly; the tests check that for random polynomials. The shipped kernel
modules in ``generated/`` are printed from :func:`isserlis_kernels`.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import factorial

import sympy

from .activation import activation
from .errors import SymhessError
from .moments import A, B, C, moment

KERNEL_NAMES = ("K00", "K11", "K20", "K22", "K31", "K13")
"""The kernels the Hessian needs, in the order every kernel module returns them."""

ORDERS = {"K00": (0, 0), "K11": (1, 1), "K20": (2, 0), "K22": (2, 2), "K31": (3, 1), "K13": (1, 3)}
"""Derivative orders ``(p, q)`` of each kernel."""


def coefficient_symbols(degree: int) -> tuple[sympy.Symbol, ...]:
    """Symbols ``s0 .. s{degree}`` standing for a polynomial's coefficients."""
    return sympy.symbols(f"s0:{degree + 1}", real=True)


def _sympy_coefficients(coeffs: Sequence) -> list[sympy.Expr]:
    """SymPy numbers or symbols from ints, Fractions or SymPy objects (never from text)."""
    out = []
    for s in coeffs:
        if isinstance(s, sympy.Basic):
            out.append(s)
        else:
            out.append(sympy.Rational(s.numerator, s.denominator))
    return out


def isserlis_kernel(coeffs: Sequence, p: int, q: int) -> sympy.Expr:
    """``E[sigma^(p)(u) sigma^(q)(w)]`` for ``sigma(z) = sum_n coeffs[n] z^n``, expanded.

    Parameters
    ----------
    coeffs : sequence of numbers or SymPy symbols
        ``s_0 .. s_deg``; Fractions stay exact.
    p, q : int
        Derivative orders.
    """
    s = _sympy_coefficients(coeffs)
    # sigma^(p)(u) = sum_n s_n n!/(n-p)! u^(n-p)
    left = [(n - p, s[n] * (factorial(n) // factorial(n - p))) for n in range(p, len(s))]
    right = [(m - q, s[m] * (factorial(m) // factorial(m - q))) for m in range(q, len(s))]
    total = sympy.Add(*[x * y * moment(i, j) for i, x in left for j, y in right])
    return sympy.expand(total)


def isserlis_kernels(coeffs: Sequence) -> dict[str, sympy.Expr]:
    """All six kernels by Isserlis' theorem, keyed by :data:`KERNEL_NAMES`."""
    return {name: isserlis_kernel(coeffs, *ORDERS[name]) for name in KERNEL_NAMES}


def price_from_k00(k00: sympy.Expr) -> dict[str, sympy.Expr]:
    """The six kernels from ``K_00`` alone by Price's theorem (any smooth activation)."""
    d_c = sympy.diff(k00, C)
    return {
        "K00": k00,
        "K11": d_c,
        "K20": 2 * sympy.diff(k00, A),
        "K22": sympy.diff(d_c, C),
        "K31": 2 * sympy.diff(d_c, A),
        "K13": 2 * sympy.diff(d_c, B),
    }


def price_kernels(coeffs: Sequence) -> dict[str, sympy.Expr]:
    """All six kernels: ``K_00`` by Isserlis, the rest by Price's theorem, expanded."""
    return {k: sympy.expand(v) for k, v in price_from_k00(isserlis_kernel(coeffs, 0, 0)).items()}


def symbolic_kernels(spec, method: str = "isserlis", *, missing_ok: bool = False):
    """The six kernels of an activation as SymPy expressions in ``(a, b, c)``.

    Parameters
    ----------
    spec : str, coefficient list or Activation
    method : {"isserlis", "price"}
        For polynomials: Isserlis on every derivative, or Isserlis for ``K_00`` and Price's
        theorem after. Closed forms (``beta*erf(alpha*z)``) always come from Price's theorem.
    missing_ok : bool
        Return ``None`` instead of raising for an activation without closed-form kernels.

    Returns
    -------
    dict of str to sympy.Expr, keyed by :data:`KERNEL_NAMES` (or None)
    """
    from .closed_forms import symbolic_kernels as closed_form_kernels  # builds on this module

    if method not in ("isserlis", "price"):
        raise SymhessError(f"unknown method {method!r}; choose 'isserlis' or 'price'")
    act = activation(spec)
    if act.is_polynomial:
        if method == "isserlis":
            return isserlis_kernels(act.coefficients)
        return price_kernels(act.coefficients)
    K = closed_form_kernels(act)
    if K is None and not missing_ok:
        raise SymhessError(
            f"{act.source!r} has no closed-form kernels; its kernels come from quadrature "
            f"(symhess quadrature {act.source!r})"
        )
    return K
