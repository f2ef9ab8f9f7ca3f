"""Kernels of polynomial activations, derived symbolically two independent ways.

``K_pq(a, b, c) = E[sigma^(p)(u) sigma^(q)(w)]`` for ``(u, w) ~ N(0, [[a, c], [c, b]])``; the
Hessian at the optimum needs ``K_00, K_11, K_20, K_22, K_31, K_13`` (docs/theory.md, "The
Stein reduction").

* :func:`isserlis_kernels` differentiates ``sigma`` and applies Isserlis' theorem to every
  pair of monomials;
* :func:`price_kernels` derives only ``K_00`` by Isserlis and the other five from it by
  Price's theorem (``dK_pq/dc = K_(p+1)(q+1)``, ``dK_pq/da = K_(p+2)q / 2``).

They must agree exactly; the tests check that for random polynomials. The shipped kernel
modules in ``generated/`` are printed from :func:`isserlis_kernels` (and their
``extra_kernels`` function, ``K_40`` for the Hessian away from the optimum, from
:func:`extra_isserlis_kernels`).
"""

from __future__ import annotations

from collections.abc import Sequence
from math import factorial

import sympy

from .moments import moment
from .names import EXTRA_NAMES, KERNEL_NAMES, ORDERS
from .price import price_from_k00, price_kernel


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


def price_kernels(coeffs: Sequence) -> dict[str, sympy.Expr]:
    """All six kernels: ``K_00`` by Isserlis, the rest by Price's theorem, expanded."""
    return {k: sympy.expand(v) for k, v in price_from_k00(isserlis_kernel(coeffs, 0, 0)).items()}


def extra_isserlis_kernels(coeffs: Sequence, names=EXTRA_NAMES) -> dict[str, sympy.Expr]:
    """The kernels beyond the six (:data:`EXTRA_NAMES`, e.g. ``K40``) by Isserlis' theorem."""
    return {name: isserlis_kernel(coeffs, *ORDERS[name]) for name in names}


def extra_price_kernels(coeffs: Sequence, names=EXTRA_NAMES) -> dict[str, sympy.Expr]:
    """The same kernels from ``K_00`` by Price's theorem (``K40 = 4 d^2 K00 / da^2``)."""
    k00 = isserlis_kernel(coeffs, 0, 0)
    return {name: sympy.expand(price_kernel(k00, *ORDERS[name])) for name in names}
