"""Independent routes to the Hessian, sharing no code with symhess's kernels or assembly.

* :func:`hessian_by_expansion` - every gradient component expanded as a polynomial in ``x``,
  then ``H = J G J^T`` with ``G`` the Gram matrix of monomials under ``N(0, I_d)``;
* :func:`hessian_monte_carlo` - ``E[g g^T]`` from samples, with per-entry standard errors;
* :func:`population_loss` - the closed-form generalization error (docs/theory.md, "Dynamics
  near the optimum"), for finite differences.

:func:`gaussian_moment` and :func:`monomials` serve the other oracle modules too.
"""

from __future__ import annotations

import itertools
from math import factorial, prod

import numpy as np


def _gauss_moment(k: int) -> int:
    """``E[x^k]`` for ``x ~ N(0, 1)``: ``(k-1)!!`` for even ``k``, else 0."""
    if k % 2:
        return 0
    return prod(range(k - 1, 0, -2)) if k else 1


def gaussian_moment(alpha) -> int:
    """``E[x^alpha]`` for ``x ~ N(0, I)``."""
    return prod(_gauss_moment(a) for a in alpha)


def monomials(d: int, degree: int) -> list[tuple[int, ...]]:
    """Exponent tuples of every monomial of total degree ``<= degree`` in ``d`` variables."""
    out = []
    for total in range(degree + 1):
        for combo in itertools.combinations_with_replacement(range(d), total):
            alpha = [0] * d
            for j in combo:
                alpha[j] += 1
            out.append(tuple(alpha))
    return out


def _power_coefficients(w: np.ndarray, monomials, n: int) -> np.ndarray:
    """Coefficients of ``(w . x)^n`` on ``monomials`` (multinomial theorem)."""
    out = np.zeros(len(monomials))
    for k, alpha in enumerate(monomials):
        if sum(alpha) == n:
            multinomial = factorial(n) / prod(factorial(a) for a in alpha)
            out[k] = multinomial * prod(w[j] ** a for j, a in enumerate(alpha))
    return out


def hessian_by_expansion(coeffs, W, v) -> np.ndarray:
    """``H = J G J^T`` for ``sigma(z) = sum_n coeffs[n] z^n`` (floats).

    Parameters
    ----------
    coeffs : sequence of float
    W : ndarray, shape (h, d)
    v : ndarray, shape (h,)
    """
    coeffs = [float(c) for c in coeffs]
    p = len(coeffs) - 1
    h, d = W.shape
    mons = monomials(d, p)
    index = {m: k for k, m in enumerate(mons)}
    M = len(mons)
    J = np.zeros((h * d + h, M))
    dcoeffs = [(n + 1) * coeffs[n + 1] for n in range(p)]  # sigma'
    for i in range(h):
        powers = [_power_coefficients(W[i], mons, n) for n in range(p + 1)]
        J[h * d + i] = sum(coeffs[n] * powers[n] for n in range(p + 1))
        dsigma = sum(dcoeffs[n] * powers[n] for n in range(p)) if p else np.zeros(M)
        for j in range(d):
            # multiply sigma'(w_i . x) by x_j: shift every monomial by e_j
            row = np.zeros(M)
            for k, alpha in enumerate(mons):
                if dsigma[k]:
                    beta = list(alpha)
                    beta[j] += 1
                    row[index[tuple(beta)]] += dsigma[k]
            J[i * d + j] = v[i] * row
    G = np.array(
        [
            [prod(_gauss_moment(a + b) for a, b in zip(alpha, beta, strict=True)) for beta in mons]
            for alpha in mons
        ],
        dtype=float,
    )
    return J @ G @ J.T


def gradients(coeffs, W, v, x: np.ndarray) -> np.ndarray:
    """``g = grad_theta f(x)`` for each row of ``x`` (shape (n, d)) -> shape (n, P)."""
    coeffs = np.asarray([float(c) for c in coeffs])
    z = x @ W.T
    sigma = np.polynomial.polynomial.polyval(z, coeffs)
    dsigma = np.polynomial.polynomial.polyval(z, np.polynomial.polynomial.polyder(coeffs))
    n, d = x.shape
    gW = (v[None, :, None] * dsigma[:, :, None]) * x[:, None, :]
    return np.concatenate([gW.reshape(n, -1), sigma], axis=1)


def hessian_monte_carlo(coeffs, W, v, n: int, seed: int, chunk: int = 20000):
    """``(mean, standard_error)`` of ``g g^T`` over ``n`` Gaussian inputs, entry by entry."""
    rng = np.random.default_rng(seed)
    d = W.shape[1]
    s1 = s2 = 0.0
    done = 0
    while done < n:
        m = min(chunk, n - done)
        g = gradients(coeffs, W, v, rng.standard_normal((m, d)))
        s1 = s1 + g.T @ g
        g2 = g * g
        s2 = s2 + g2.T @ g2
        done += m
    mean = s1 / n
    var = np.maximum(s2 / n - mean**2, 0.0)
    return mean, np.sqrt(var / (n - 1))


def population_loss(K00, W, v, Wt, vt):
    """``1/2 E[(f - f_teacher)^2]`` from ``K00(a, b, c)`` alone (docs/theory.md section 9).

    Works on object arrays (mpmath); ``K00`` is called elementwise on pairs of rows.
    """

    def gram(A, B):
        h1, h2 = A.shape[0], B.shape[0]
        out = np.empty((h1, h2), dtype=object)
        for i in range(h1):
            for k in range(h2):
                out[i, k] = K00(A[i].dot(A[i]), B[k].dot(B[k]), A[i].dot(B[k]))
        return out

    return (
        v.dot(gram(W, W)).dot(v) - 2 * v.dot(gram(W, Wt)).dot(vt) + vt.dot(gram(Wt, Wt)).dot(vt)
    ) / 2
