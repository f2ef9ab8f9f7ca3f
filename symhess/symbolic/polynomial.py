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

from .moments import A, B, C, moment, moment_terms
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

    Coefficients that are numbers or symbols are collected as a polynomial in ``a, b, c``
    and the symbols (integer exponent vectors, one SymPy polynomial built at the end: degree
    16 in about a second); anything else is multiplied out by ``sympy.expand``. Both give
    the same expanded expression.
    """
    s = _sympy_coefficients(coeffs)
    # sigma^(p)(u) = sum_n s_n n!/(n-p)! u^(n-p)
    left = [(n - p, s[n] * (factorial(n) // factorial(n - p))) for n in range(p, len(s))]
    right = [(m - q, s[m] * (factorial(m) // factorial(m - q))) for m in range(q, len(s))]
    if all(x.is_Symbol or x.is_Rational for x in s):
        return _collected(s, p, q)
    total = sympy.Add(*[x * y * moment(i, j) for i, x in left for j, y in right])
    return sympy.expand(total)


def _collected(s: list[sympy.Expr], p: int, q: int) -> sympy.Expr:
    """:func:`isserlis_kernel` for coefficients that are rationals or symbols."""
    symbols = list(dict.fromkeys(x for x in s if x.is_Symbol))
    gens = (A, B, C, *symbols)
    where = {x: 3 + k for k, x in enumerate(symbols)}
    terms: dict[tuple[int, ...], sympy.Expr] = {}
    for n in range(p, len(s)):
        for m in range(q, len(s)):
            if s[n] == 0 or s[m] == 0:
                continue
            scale = sympy.Integer(
                (factorial(n) // factorial(n - p)) * (factorial(m) // factorial(m - q))
            )
            exponent = [0] * len(gens)
            for x in (s[n], s[m]):
                if x.is_Symbol:
                    exponent[where[x]] += 1
                else:
                    scale *= x
            for i, j, k, count in moment_terms(n - p, m - q):
                exponent[0], exponent[1], exponent[2] = i, j, k
                key = tuple(exponent)
                terms[key] = terms.get(key, 0) + scale * count
    terms = {key: value for key, value in terms.items() if value != 0}
    if not terms:
        return sympy.Integer(0)
    return sympy.Poly.from_dict(terms, *gens).as_expr()


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
