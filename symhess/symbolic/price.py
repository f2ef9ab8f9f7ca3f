"""Price's theorem: every kernel from ``K_00``.

For ``(u, w) ~ N(0, [[a, c], [c, b]])`` and ``K_pq = E[sigma^(p)(u) sigma^(q)(w)]``::

    dK_pq/dc = K_(p+1)(q+1),   dK_pq/da = K_(p+2)q / 2,   dK_pq/db = K_p(q+2) / 2

(docs/theory.md, "Price's theorem"). It holds for any activation whose kernels exist, so it
derives the closed forms of erf and cross-checks the Isserlis kernels of polynomials.
"""

from __future__ import annotations

import sympy

from .moments import A, B, C


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


def price_kernel(k00: sympy.Expr, p: int, q: int) -> sympy.Expr:
    """``K_pq`` from ``K_00``: ``m = min(p, q)`` derivatives in ``c``, then ``(p - m)/2`` in
    ``a`` (or ``(q - m)/2`` in ``b``), each ``a``/``b`` derivative with a factor 2.

    E.g. ``K_40 = 4 d^2 K_00 / da^2``. ``p - q`` must be even (an odd difference is not
    reached by these derivatives).
    """
    if p < 0 or q < 0 or (p - q) % 2:
        raise ValueError(f"K{p}{q} is not a Price derivative of K00 (p - q must be even)")
    m = min(p, q)
    out = sympy.diff(k00, C, m) if m else k00
    k = (max(p, q) - m) // 2
    if k:
        out = 2**k * sympy.diff(out, A if p > q else B, k)
    return out
