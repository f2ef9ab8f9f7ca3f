"""Kernels of polynomial activations evaluated at run time by Isserlis' theorem.

No code generation: ``K_pq(a, b, c) = E[sigma^(p)(u) sigma^(q)(w)]`` for
``sigma(z) = sum_n s_n z^n`` is summed directly from the bivariate moments
(:mod:`symhess.symbolic.moments`) in whatever number system ``a, b, c`` and the coefficients
are in (float64 arrays, mpmath, Fraction, fmpq); only integer constants enter, so exact
systems stay exact. It serves the kernels beyond the six for kernel modules generated before
those existed, and is an independent route to the generated code in the tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from math import comb, factorial

from ..symbolic.moments import double_factorial
from ..symbolic.names import ORDERS

__all__ = ["polynomial_kernel", "polynomial_kernels"]


def polynomial_kernel(coeffs: Sequence, p: int, q: int, a, b, c):
    """``E[sigma^(p)(u) sigma^(q)(w)]`` for ``sigma(z) = sum_n coeffs[n] z^n``.

    Parameters
    ----------
    coeffs : sequence
        ``s_0 .. s_deg`` in the number system of ``a, b, c``.
    p, q : int
        Derivative orders.
    a, b, c : array_like (float64 arrays or object arrays), broadcasting together

    Returns
    -------
    ndarray or number
        Broadcast to the shape of ``a + b + c``.

    Notes
    -----
    ``sum_{n >= p, m >= q} s_n s_m n!/(n-p)! m!/(m-q)! E[u^(n-p) w^(m-q)]`` with
    ``E[u^i w^j] = sum_k C(i,k) C(j,k) k! c^k (i-k-1)!! a^((i-k)/2) (j-k-1)!! b^((j-k)/2)``:
    ``O(deg^3)`` array operations.
    """
    zero = 0 * (a + b + c)
    deg = len(coeffs) - 1
    top = max(deg - min(p, q), 0)
    pa, pb, pc = [zero + 1], [zero + 1], [zero + 1]
    for _ in range(top):
        pa.append(pa[-1] * a)
        pb.append(pb[-1] * b)
        pc.append(pc[-1] * c)
    out = zero
    for n in range(p, deg + 1):
        i = n - p
        for m in range(q, deg + 1):
            j = m - q
            weight = (
                coeffs[n]
                * coeffs[m]
                * ((factorial(n) // factorial(i)) * (factorial(m) // factorial(j)))
            )
            if weight == 0:
                continue
            moment = zero
            for k in range(min(i, j) + 1):
                if (i - k) % 2 or (j - k) % 2:
                    continue
                coef = (
                    comb(i, k)
                    * comb(j, k)
                    * factorial(k)
                    * double_factorial(i - k - 1)
                    * double_factorial(j - k - 1)
                )
                moment = moment + coef * (pc[k] * pa[(i - k) // 2] * pb[(j - k) // 2])
            out = out + weight * moment
    return out


def polynomial_kernels(coeffs: Sequence, names: Sequence[str], a, b, c) -> tuple:
    """:func:`polynomial_kernel` for each kernel named in ``names`` (orders from ``ORDERS``)."""
    return tuple(polynomial_kernel(coeffs, *ORDERS[name], a, b, c) for name in names)
