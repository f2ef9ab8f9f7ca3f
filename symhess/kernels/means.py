"""Kernels with means for networks with biases: polynomials and ``beta * erf(alpha * z)``.

With biases the pre-activation ``z_i = w_i . x + b_i`` has mean ``b_i``, and the Hessian needs
``K_pq(a, b, c, m1, m2) = E[sigma^(p)(m1 + u) sigma^(q)(m2 + w)]`` for the ten kernels of
:data:`~symhess.symbolic.names.MEAN_NAMES` (docs/theory.md, "Biases").

Polynomials never expand in the means. ``sigma(m + u) = sum_j t_j(m) u^j`` with the Taylor
coefficients ``t_j(m) = sigma^(j)(m) / j! = sum_{n >= j} s_n C(n, j) m^(n-j)``
(:func:`taylor_coefficients`, Horner's scheme, integers only), so a kernel with means is the
*pair kernel* of two polynomials, ``E[S^(p)(u) T^(q)(w)]`` with ``S = t(m1)`` per row unit and
``T = t(m2)`` per column unit. The pair kernels come from the shipped generated family
``poly_pair_deg{p}`` (inputs ``a, b, c, s, t``; exact in every number system), or for degrees
without a shipped module from :func:`pair_kernels`, the same sums evaluated at run time with
the Gaussian moments from Stein's recursion (integers only: exact too).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import comb, factorial

from ..base.systems import scalar
from ..errors import SymhessError
from ..symbolic.names import MEAN_NAMES, ORDERS
from .erf_means import erf_extra_mean_kernels, erf_mean_kernels

__all__ = [
    "erf_extra_means",
    "erf_means",
    "moment_table",
    "pair_kernels",
    "polynomial_extra_means",
    "polynomial_means",
    "taylor_coefficients",
]


def taylor_coefficients(coeffs: Sequence, m) -> list:
    """``t_j(m) = sigma^(j)(m) / j! = sum_{n >= j} s_n C(n, j) m^(n-j)``, ``j = 0..p``.

    Parameters
    ----------
    coeffs : sequence of numbers
        ``s_0 .. s_p`` already in the number system of ``m``.
    m : ndarray or number
        Means (biases).

    Returns
    -------
    list of p + 1 arrays of the shape of ``m``
        Horner's scheme with integer multipliers only: exact in the exact systems.
    """
    deg = len(coeffs) - 1
    if deg < 0:
        raise SymhessError("a polynomial activation needs at least one coefficient")
    zero = 0 * m
    out = []
    for j in range(deg + 1):
        acc = coeffs[deg] * comb(deg, j) + zero
        for n in range(deg - 1, j - 1, -1):
            acc = acc * m + coeffs[n] * comb(n, j)
        out.append(acc)
    return out


def moment_table(a, b, c, degree: int) -> list[list]:
    """``E[u^r w^s]`` for ``r, s <= degree`` by Stein's recursion, broadcast over pairs.

    ``E[u^r w^s] = (r-1) a E[u^(r-2) w^s] + s c E[u^(r-1) w^(s-1)]`` and
    ``E[w^s] = (s-1) b E[w^(s-2)]``: integer multipliers only.

    Returns
    -------
    list of lists, ``M[r][s]``
    """
    one = 0 * (a + b + c) + 1
    zero = 0 * one
    M = [[zero] * (degree + 1) for _ in range(degree + 1)]
    M[0][0] = one
    for s in range(2, degree + 1, 2):
        M[0][s] = (s - 1) * b * M[0][s - 2]
    for r in range(1, degree + 1):
        for s in range(degree + 1):
            if (r + s) % 2:
                continue  # odd total order: zero
            val = (r - 1) * a * M[r - 2][s] if r >= 2 else zero
            if s >= 1:
                val = val + s * c * M[r - 1][s - 1]
            M[r][s] = val
    return M


def pair_kernels(a, b, c, s: Sequence, t: Sequence, names=MEAN_NAMES) -> tuple:
    """The pair kernels ``E[S^(p)(u) T^(q)(w)]`` at run time (no generated module).

    Parameters
    ----------
    a, b, c : array_like, broadcasting with the coefficients
    s, t : sequences of p + 1 arrays (or numbers)
        Coefficients of ``S`` and ``T``, lowest degree first.
    names : sequence of str
        Which kernels (orders from :data:`~symhess.symbolic.names.ORDERS`); default the ten
        of :data:`~symhess.symbolic.names.MEAN_NAMES`.

    Returns
    -------
    tuple, one array per name
    """
    deg = len(s) - 1
    if len(t) != deg + 1:
        raise SymhessError("the two coefficient lists of a pair kernel differ in length")
    M = moment_table(a, b, c, deg)
    zero = 0 * (a + b + c) + 0 * s[0] + 0 * t[0]
    out = []
    for name in names:
        p, q = ORDERS[name]
        total = zero
        for r in range(deg - p + 1):
            left = s[p + r] * (factorial(p + r) // factorial(r))
            for k in range(r % 2, deg - q + 1, 2):
                right = t[q + k] * (factorial(q + k) // factorial(k))
                total = total + left * right * M[r][k]
        out.append(total)
    return tuple(out)


def polynomial_means(coefficients: Sequence, pair: Callable | None = None) -> Callable:
    """``means(a, b, c, m1, m2, system)`` for ``sigma = sum_n coefficients[n] z^n``.

    Parameters
    ----------
    coefficients : sequence of Fraction
    pair : callable, optional
        ``pair(a, b, c, s, t)`` returning the ten pair kernels (a generated
        ``poly_pair_deg{p}.kernels``); default :func:`pair_kernels`.
    """
    pair = pair_kernels if pair is None else pair

    def means(a, b, c, m1, m2, system):
        s = [scalar(x, system) for x in coefficients]
        return pair(a, b, c, taylor_coefficients(s, m1), taylor_coefficients(s, m2))

    return means


def polynomial_extra_means(coefficients: Sequence) -> Callable:
    """``extra(a, b, c, m1, m2, system, names)`` for a polynomial: any pair kernels with
    means (``K30``, ``K40``) from :func:`pair_kernels`, exact in every number system."""

    def extra(a, b, c, m1, m2, system, names):
        s = [scalar(x, system) for x in coefficients]
        return pair_kernels(
            a, b, c, taylor_coefficients(s, m1), taylor_coefficients(s, m2), names=names
        )

    return extra


def erf_extra_means(beta_t: tuple, parameter: Callable) -> Callable:
    """``extra(a, b, c, m1, m2, system, names)`` for ``beta * erf(alpha * z)``: ``K30`` and
    ``K40`` with means in closed form (:func:`.erf_means.erf_extra_mean_kernels`)."""
    beta, t = beta_t

    def extra(a, b, c, m1, m2, system, names):
        return erf_extra_mean_kernels(
            a, b, c, m1, m2, parameter(beta, system), parameter(t, system), names, system
        )

    return extra


def erf_means(beta_t: tuple, parameter: Callable) -> Callable:
    """``means(a, b, c, m1, m2, system)`` for ``beta * erf(alpha * z)``, ``beta_t =
    (beta, alpha^2)`` as SymPy constants, converted by ``parameter(x, system)``."""
    beta, t = beta_t

    def means(a, b, c, m1, m2, system):
        return erf_mean_kernels(
            a, b, c, m1, m2, parameter(beta, system), parameter(t, system), system
        )

    return means
