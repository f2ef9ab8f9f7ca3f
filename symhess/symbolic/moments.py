"""Bivariate Gaussian moments by Isserlis' (Wick's) theorem.

For ``(u, w) ~ N(0, [[a, c], [c, b]])``::

    E[u^p w^q] = sum_{m} C(p,m) C(q,m) m! c^m (p-m-1)!! a^((p-m)/2) (q-m-1)!! b^((q-m)/2)

over ``m = 0..min(p, q)`` with ``p - m`` and ``q - m`` even, and ``(-1)!! = 1``: pair ``m``
of the ``u``'s with ``w``'s (covariance ``c`` each), then pair the rest among themselves.
"""

from __future__ import annotations

from functools import cache
from math import comb, factorial

import sympy

A, B, C = sympy.symbols("a b c", real=True)
"""``a = Var(u)``, ``b = Var(w)``, ``c = Cov(u, w)``: the kernels' arguments."""


def double_factorial(n: int) -> int:
    """``n!!`` with ``(-1)!! = 0!! = 1``."""
    out = 1
    while n > 1:
        out *= n
        n -= 2
    return out


@cache
def moment_terms(p: int, q: int) -> tuple[tuple[int, int, int, int], ...]:
    """``E[u^p w^q]`` as terms ``(i, j, k, count)`` meaning ``count a^i b^j c^k``."""
    if p < 0 or q < 0:
        raise ValueError("moment orders must be non-negative")
    terms = []
    for m in range(min(p, q) + 1):
        if (p - m) % 2 or (q - m) % 2:
            continue
        count = (
            comb(p, m)
            * comb(q, m)
            * factorial(m)
            * double_factorial(p - m - 1)
            * double_factorial(q - m - 1)
        )
        terms.append(((p - m) // 2, (q - m) // 2, m, count))
    return tuple(terms)


@cache
def moment(p: int, q: int) -> sympy.Expr:
    """``E[u^p w^q]`` as a polynomial in ``(a, b, c)`` with integer coefficients."""
    return sympy.Add(*[count * C**k * A**i * B**j for i, j, k, count in moment_terms(p, q)])
