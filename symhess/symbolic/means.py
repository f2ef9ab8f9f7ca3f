"""Kernels of polynomial activations with means (biases), derived symbolically.

With biases the pre-activations ``z_i = w_i . x + b_i`` are Gaussian with means ``b_i``, and the
Hessian needs (docs/theory.md, "Biases")::

    K_pq(a, b, c, m1, m2) = E[sigma^(p)(m1 + u) sigma^(q)(m2 + w)],
    (u, w) ~ N(0, [[a, c], [c, b]]),

the six kernels of :data:`~.names.KERNEL_NAMES` and the four of :data:`~.names.BIAS_NAMES`.
Two derivations that must agree exactly (the tests check it):

* :func:`mean_kernels` expands ``sigma^(p)(m + u)`` in ``u`` by the binomial theorem and
  applies Isserlis' theorem to every pair of monomials: polynomials in ``(a, b, c, m1, m2)``;
* :func:`price_kernels_with_means` derives ``K00`` that way and the other nine by Price's
  theorem with means: ``dK_pq/dm1 = K_(p+1)q``, ``dK_pq/dm2 = K_p(q+1)``,
  ``dK_pq/dc = K_(p+1)(q+1)`` (and the heat equation ``dK/da = d^2K/dm1^2 / 2``).

The generated modules do not carry the means at all. A polynomial shifted by ``m`` is a
polynomial of the same degree, ``sigma(m + u) = sum_j t_j(m) u^j`` with the Taylor
coefficients ``t_j(m) = sigma^(j)(m) / j!``, so every kernel with means is the *pair kernel*
``E[S^(p)(u) T^(q)(w)]`` of two polynomials ``S = sum s_n u^n`` and ``T = sum t_n w^n``,
evaluated with ``s = t(m1)`` and ``t = t(m2)``: :func:`pair_family_kernels` gives it with
symbolic coefficient lists ``s0..sp``, ``t0..tp``; its modules ``generated/poly_pair_deg{p}.py``
are about twice the size of the bias-free ``poly_deg{p}`` (where a family in
``(a, b, c, m1, m2)`` would be twenty times larger).
"""

from __future__ import annotations

from collections.abc import Sequence
from math import comb, factorial

import sympy

from .moments import C, moment
from .names import MEAN_NAMES, ORDERS
from .polynomial import _sympy_coefficients

__all__ = [
    "M1",
    "M2",
    "mean_kernel",
    "mean_kernels",
    "pair_coefficient_symbols",
    "pair_family_kernels",
    "pair_kernel",
    "price_from_k00_with_means",
    "price_kernels_with_means",
    "shifted_coefficients",
]

M1, M2 = sympy.symbols("m1 m2", real=True)
"""The means of the two pre-activations (the biases ``b_i``, ``b_k``)."""


def shifted_coefficients(coeffs: Sequence, m: sympy.Expr, p: int = 0) -> list[sympy.Expr]:
    """Coefficients of ``sigma^(p)(m + u)`` as a polynomial in ``u``, lowest degree first.

    ``sigma^(p)(m + u) = sum_r u^r sum_{n >= p + r} s_n n!/(n-p)! C(n-p, r) m^(n-p-r)``.
    """
    s = _sympy_coefficients(coeffs)
    deg = len(s) - 1
    out = []
    for r in range(deg - p + 1):
        term = sympy.Integer(0)
        for n in range(p + r, deg + 1):
            term += s[n] * (factorial(n) // factorial(n - p)) * comb(n - p, r) * m ** (n - p - r)
        out.append(term)
    return out


def pair_kernel(left: Sequence, right: Sequence, p: int, q: int) -> sympy.Expr:
    """``E[S^(p)(u) T^(q)(w)]`` for ``S = sum_n left[n] u^n`` and ``T = sum_n right[n] w^n``.

    The Isserlis kernel of two *different* polynomials; with ``left = right`` it is the
    bias-free ``K_pq`` of that polynomial.
    """
    L = _sympy_coefficients(left)
    R = _sympy_coefficients(right)
    lhs = [(n - p, L[n] * (factorial(n) // factorial(n - p))) for n in range(p, len(L))]
    rhs = [(n - q, R[n] * (factorial(n) // factorial(n - q))) for n in range(q, len(R))]
    return sympy.Add(*[x * y * moment(i, j) for i, x in lhs for j, y in rhs])


def mean_kernel(coeffs: Sequence, p: int, q: int) -> sympy.Expr:
    """``K_pq(a, b, c, m1, m2)`` of ``sigma = sum_n coeffs[n] z^n``, expanded (binomial
    expansion of both factors in ``u, w``, then Isserlis)."""
    left = shifted_coefficients(coeffs, M1, p)
    right = shifted_coefficients(coeffs, M2, q)
    return sympy.expand(pair_kernel(left, right, 0, 0))


def mean_kernels(coeffs: Sequence) -> dict[str, sympy.Expr]:
    """The ten kernels with means (:data:`~.names.MEAN_NAMES`) by binomial expansion and
    Isserlis' theorem."""
    return {name: mean_kernel(coeffs, *ORDERS[name]) for name in MEAN_NAMES}


def price_from_k00_with_means(k00: sympy.Expr) -> dict[str, sympy.Expr]:
    """The ten kernels from ``K00(a, b, c, m1, m2)`` by Price's theorem with means.

    The means are shifts of the argument, so ``d/dm1`` raises ``p`` by one; ``d/dc`` raises
    both orders. (``K20 = d^2 K00 / dm1^2`` here, ``2 dK00/da`` in the bias-free
    :func:`~.price.price_from_k00`: the heat equation makes them equal.)
    """
    d_c = sympy.diff(k00, C)
    return {
        "K00": k00,
        "K11": d_c,
        "K20": sympy.diff(k00, M1, 2),
        "K22": sympy.diff(d_c, C),
        "K31": sympy.diff(d_c, M1, 2),
        "K13": sympy.diff(d_c, M2, 2),
        "K10": sympy.diff(k00, M1),
        "K01": sympy.diff(k00, M2),
        "K21": sympy.diff(d_c, M1),
        "K12": sympy.diff(d_c, M2),
    }


def price_kernels_with_means(coeffs: Sequence) -> dict[str, sympy.Expr]:
    """Ten kernels with means: ``K00`` by :func:`mean_kernel`, the rest by Price, expanded."""
    k00 = mean_kernel(coeffs, 0, 0)
    return {k: sympy.expand(v) for k, v in price_from_k00_with_means(k00).items()}


def pair_coefficient_symbols(degree: int) -> tuple[tuple[sympy.Symbol, ...], ...]:
    """``(s0..s{degree}, t0..t{degree})``: the two coefficient lists of the pair family."""
    s = sympy.symbols(f"s0:{degree + 1}", real=True)
    t = sympy.symbols(f"t0:{degree + 1}", real=True)
    return s, t


def pair_family_kernels(degree: int) -> dict[str, sympy.Expr]:
    """The ten pair kernels ``E[S^(p)(u) T^(q)(w)]`` with symbolic coefficient lists.

    Evaluated with ``s_j = t_j(m1)`` and ``t_j = t_j(m2)`` (the Taylor coefficients of
    ``sigma`` at the two means) they are the kernels with means; with ``s = t`` equal to the
    coefficients of ``sigma`` the first six are the bias-free kernels.
    """
    s, t = pair_coefficient_symbols(degree)
    return {name: sympy.expand(pair_kernel(s, t, *ORDERS[name])) for name in MEAN_NAMES}
