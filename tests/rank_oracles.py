"""Independent routes to the rank: the coefficient Jacobian and the interpolation matrix.

For ``sigma(z) = sum_n s_n z^n`` the network ``f(x) = sum_i v_i sigma(w_i . x)`` is a
polynomial in ``x``; the rows of the Jacobian of ``theta -> coefficients of f`` (monomial
basis) are the coefficients of ``v_i sigma'(w_i . x) x_j`` (for ``W[i, j]``) and of
``sigma(w_i . x)`` (for ``v[i]``). Because ``H = J G J^T`` with ``G`` the positive definite
Gram matrix of monomials under ``N(0, I_d)``, ``rank H = rank J``. Nothing here touches
symhess's kernels, Hessian or rank code: multinomial expansion in ``Fraction`` and a rank
over Q by python-flint.
"""

from __future__ import annotations

import itertools
from fractions import Fraction
from math import factorial, prod

import flint
import mpmath
import numpy as np
import sympy

from symhess.activation import grammar as expression
from symhess.kernels import registry

from .oracles import monomials


def _power(w, n: int, d: int) -> dict[tuple[int, ...], Fraction]:
    """``(w . x)^n`` as {exponent: coefficient} (multinomial theorem)."""
    out = {}
    for combo in itertools.combinations_with_replacement(range(d), n):
        alpha = [0] * d
        for j in combo:
            alpha[j] += 1
        coef = Fraction(factorial(n), prod(factorial(a) for a in alpha))
        out[tuple(alpha)] = coef * prod((w[j] ** a for j, a in enumerate(alpha)), start=1)
    return out


def coefficient_jacobian(coeffs, W, v) -> list[list[Fraction]]:
    """The ``P x M`` Jacobian of ``theta -> coefficients of f`` in the monomial basis.

    Parameters
    ----------
    coeffs : sequence of Fraction-convertible, ``s_0 .. s_p``
    W : sequence of sequences, shape (h, d), exact numbers (floats enter exactly)
    v : sequence, shape (h,)
    """
    s = [Fraction(c) for c in coeffs]
    p = len(s) - 1
    W = [[Fraction(x) for x in row] for row in W]
    v = [Fraction(x) for x in v]
    h, d = len(W), len(W[0])
    basis = monomials(d, p)
    index = {m: k for k, m in enumerate(basis)}
    w_rows, v_rows = [], []  # ordered as symhess: W row-major, then v
    for i in range(h):
        powers = [_power(W[i], n, d) for n in range(p + 1)]
        sigma = [Fraction(0)] * len(basis)
        dsigma = {}
        for n in range(p + 1):
            for alpha, c in powers[n].items():
                sigma[index[alpha]] += s[n] * c
            if n < p:
                for alpha, c in powers[n].items():
                    dsigma[alpha] = dsigma.get(alpha, 0) + (n + 1) * s[n + 1] * c
        for j in range(d):
            row = [Fraction(0)] * len(basis)
            for alpha, c in dsigma.items():
                beta = list(alpha)
                beta[j] += 1
                row[index[tuple(beta)]] += v[i] * c
            w_rows.append(row)
        v_rows.append(sigma)
    return w_rows + v_rows


def jacobian_rank(coeffs, W, v) -> int:
    """Rank over Q of :func:`coefficient_jacobian` (= the rank of the Hessian)."""
    J = coefficient_jacobian(coeffs, W, v)
    M = flint.fmpq_mat([[flint.fmpq(x.numerator, x.denominator) for x in row] for row in J])
    return M.rank()


def interpolation_matrix(support, W) -> list[list[Fraction]]:
    """Rows ``[w_i^a]`` and ``[d/dw_j w^a at w_i]`` for every unit ``i`` and input ``j``.

    The columns are the monomials ``x^a`` with ``|a|`` in ``support``. The coefficient
    Jacobian factors as ``J = R E D`` (``R = diag(1 or v_i)`` on the rows,
    ``D = diag(s_|a| |a|!/a!)`` on the columns), so with every ``v_i`` and ``s_k`` (``k`` in
    the support) non-zero, ``rank H = rank J = rank E``: the rank sees the support and the
    points ``w_i`` only - no coefficients, no ``v``, no kernels.

    Parameters
    ----------
    support : iterable of int
    W : sequence of sequences, shape (h, d), exact numbers (floats enter exactly)
    """
    W = [[Fraction(x) for x in row] for row in W]
    d = len(W[0])
    cols = [m for m in monomials(d, max(support)) if sum(m) in set(support)]
    rows = []
    for w in W:
        rows.append([prod((w[j] ** a[j] for j in range(d)), start=Fraction(1)) for a in cols])
        for j in range(d):
            rows.append(
                [
                    a[j] * prod((w[m] ** (a[m] - (m == j)) for m in range(d)), start=Fraction(1))
                    if a[j]
                    else Fraction(0)
                    for a in cols
                ]
            )
    return rows


def interpolation_rank(support, W) -> int:
    """Rank over Q of :func:`interpolation_matrix`: the Hessian rank for any activation with
    exactly this support and any ``v`` without a zero entry."""
    E = interpolation_matrix(support, W)
    return flint.fmpq_mat([[flint.fmpq(x.numerator, x.denominator) for x in r] for r in E]).rank()


# --- a non-polynomial activation with closed-form kernels, for the float/mpmath paths
def _sin_kernels(a, b, c):
    """sigma = sin: K00 = exp(-(a+b)/2) sinh c, K11 = exp(-(a+b)/2) cosh c; sin'' = -sin,
    sin''' = -cos give the rest (Price: K11 = dK00/dc, K20 = 2 dK00/da = -K00)."""
    a, b, c = np.broadcast_arrays(a, b, c)
    if a.dtype == object:
        e = np.frompyfunc(lambda x, y: mpmath.exp(-(x + y) / 2), 2, 1)(a, b)
        sh, ch = np.frompyfunc(mpmath.sinh, 1, 1)(c), np.frompyfunc(mpmath.cosh, 1, 1)(c)
    else:
        e, sh, ch = np.exp(-(a + b) / 2), np.sinh(c), np.cosh(c)
    K00, K11 = e * sh, e * ch
    return K00, K11, -K00, K00, -K11, -K11


def install_sin(monkeypatch) -> str:
    """Make ``testsin(z)`` = sin(z) an activation with the closed-form kernels above, ahead
    of any other resolver (independent of other modules); returns its spelling."""
    monkeypatch.setitem(expression.GRAMMAR, "testsin", sympy.sin)

    def resolver(act):
        if act.expr == sympy.sin(expression.Z):
            return registry.Kernels(act, "test closed form", _sin_kernels)
        return None

    monkeypatch.setattr(registry, "RESOLVERS", [resolver, *registry.RESOLVERS])
    return "testsin(z)"
