"""Independent routes to the landscape away from the optimum, sharing no code with symhess's
kernels, Stein's lemma or Price's theorem.

* :func:`polynomial_landscape` - the student's and the teacher's functions expanded exactly as
  polynomials in ``x_1..x_d`` (SymPy ``Poly`` with the student's weights as symbols),
  ``L = 1/2 r^T M r`` with ``r`` the coefficient vector of ``f - f_t`` and ``M`` the Gram
  matrix of monomials under ``N(0, I_d)`` (products of ``(k-1)!!``); gradient and Hessian by
  symbolic differentiation of the coefficients (chain rule through the quadratic form), all
  in exact rationals.
* :func:`sympy_hessian_small` - the same loss as one SymPy polynomial in the parameters,
  ``sympy.hessian`` of it: a check of the oracle itself on small cases.
* :func:`landscape_monte_carlo` - loss, gradient, Hessian (``g g^T + r d^2 f`` per sample) with
  standard errors, from numpy samples of ``sigma, sigma', sigma''`` (given as callables).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import sympy

from .oracles import gaussian_moment, monomials


def _neuron_poly(coeffs, d):
    """``v * sigma(w . x)`` as a Poly in ``x`` (first ``d`` gens), ``w``, ``v`` over QQ."""
    xs = sympy.symbols(f"x0:{d}")
    ws = sympy.symbols(f"w0:{d}")
    v = sympy.Symbol("v")
    z = sum(w * x for w, x in zip(ws, xs, strict=True))
    sigma = sum(sympy.Rational(c.numerator, c.denominator) * z**n for n, c in enumerate(coeffs))
    return sympy.Poly(sympy.expand(v * sigma), *xs, *ws, v, domain="QQ"), ws, v


def _evaluate(poly_terms, d, point, index) -> np.ndarray:
    """Coefficient vector (object array of Fractions) of a Poly in (x, w, v) at ``point``."""
    out = [Fraction(0)] * len(index)
    for monom, coef in poly_terms:
        xpart, tpart = monom[:d], monom[d:]
        val = Fraction(int(coef.numerator), int(coef.denominator))
        for e, p in zip(tpart, point, strict=True):
            if e:
                val *= p**e
        out[index[xpart]] += val
    return np.array(out, dtype=object)


def polynomial_landscape(coeffs, W, v, Wt, vt):
    """Exact ``(L, gradient, Hessian)`` of ``L = 1/2 E[(f - f_t)^2]`` by polynomial expansion.

    Parameters
    ----------
    coeffs : sequence of Fraction
        ``sigma(z) = sum coeffs[n] z^n``.
    W, v, Wt, vt : arrays of Fractions (student h x d, h; teacher h_t x d, h_t)

    Returns
    -------
    L : Fraction
    grad : object ndarray (P,)
    H : object ndarray (P, P)
    """
    h, d = len(W), len(W[0])
    degree = len(coeffs) - 1
    mons = monomials(d, degree)
    index = {m: k for k, m in enumerate(mons)}
    n = len(mons)
    M = np.empty((n, n), dtype=object)
    for a, alpha in enumerate(mons):
        for b, beta in enumerate(mons):
            M[a, b] = Fraction(gaussian_moment([x + y for x, y in zip(alpha, beta, strict=True)]))
    F, ws, vs = _neuron_poly(coeffs, d)
    gens = list(ws) + [vs]
    dF = [F.diff(g) for g in gens]
    d2F = [[dF[a].diff(g) for g in gens] for a in range(d + 1)]
    terms0 = F.terms()
    terms1 = [p.terms() for p in dF]
    terms2 = [[p.terms() for p in row] for row in d2F]
    r = np.array([Fraction(0)] * n, dtype=object)
    for i in range(h):
        r = r + _evaluate(terms0, d, list(W[i]) + [v[i]], index)
    for k in range(len(Wt)):
        r = r - _evaluate(terms0, d, list(Wt[k]) + [vt[k]], index)
    Mr = M.dot(r)
    L = r.dot(Mr) / 2
    P = h * d + h
    J = np.empty((n, P), dtype=object)
    second = {}
    for i in range(h):
        point = list(W[i]) + [v[i]]
        cols = [i * d + j for j in range(d)] + [h * d + i]
        for a, col in enumerate(cols):
            J[:, col] = _evaluate(terms1[a], d, point, index)
            for b, col2 in enumerate(cols):
                second[(col, col2)] = _evaluate(terms2[a][b], d, point, index)
    grad = J.T.dot(Mr)
    H = J.T.dot(M).dot(J)
    for (a, b), vec in second.items():
        H[a, b] += vec.dot(Mr)
    return L, grad, H


def sympy_hessian_small(coeffs, W, v, Wt, vt):
    """``L`` as one SymPy polynomial in all student parameters, ``sympy.hessian`` of it."""
    h, d = len(W), len(W[0])
    xs = sympy.symbols(f"x0:{d}")
    Ws = sympy.Matrix(h, d, lambda i, j: sympy.Symbol(f"W{i}_{j}"))
    vs = sympy.symbols(f"v0:{h}")
    rat = lambda q: sympy.Rational(q.numerator, q.denominator)  # noqa: E731
    sig = lambda z: sum(rat(c) * z**k for k, c in enumerate(coeffs))  # noqa: E731
    f = sum(vs[i] * sig(sum(Ws[i, j] * xs[j] for j in range(d))) for i in range(h))
    ft = sum(rat(vt[k]) * sig(sum(rat(Wt[k][j]) * xs[j] for j in range(d))) for k in range(len(Wt)))
    r2 = sympy.Poly(sympy.expand((f - ft) ** 2), *xs)
    L = 0
    for monom, coef in r2.terms():
        L += coef * gaussian_moment(monom)
    L = sympy.expand(L / 2)
    params = list(Ws) + list(vs)  # Matrix iterates row-major
    sub = {Ws[i, j]: rat(W[i][j]) for i in range(h) for j in range(d)}
    sub.update({vs[i]: rat(v[i]) for i in range(h)})
    Hs = sympy.hessian(L, params).subs(sub)
    gs = [sympy.diff(L, p).subs(sub) for p in params]
    to_f = lambda e: Fraction(int(e.p), int(e.q))  # noqa: E731
    H = np.array(
        [[to_f(Hs[a, b]) for b in range(len(params))] for a in range(len(params))], dtype=object
    )
    return to_f(L.subs(sub)), np.array([to_f(g) for g in gs], dtype=object), H


def landscape_monte_carlo(sig, W, v, Wt, vt, n: int, seed: int, chunk: int = 200_000):
    """Monte Carlo ``(L, se), (grad, se), (H, se)`` for ``L = 1/2 E[(f - f_t)^2]``.

    ``sig(z) -> (sigma, sigma', sigma'')`` numpy arrays. Per sample: ``r = f - f_t``,
    gradient ``r g``, Hessian ``g g^T + r d^2 f`` with ``d^2 f`` block diagonal per neuron.
    """
    rng = np.random.default_rng(seed)
    h, d = W.shape
    P = h * d + h
    s1 = np.zeros(1 + P + P * P)
    s2 = np.zeros_like(s1)
    done = 0
    while done < n:
        m = min(chunk, n - done)
        x = rng.standard_normal((m, d))
        s, ds, dds = sig(x @ W.T)
        st = sig(x @ Wt.T)[0]
        r = s @ v - st @ vt
        g = np.concatenate([((ds * v)[:, :, None] * x[:, None, :]).reshape(m, h * d), s], axis=1)
        Hs = g[:, :, None] * g[:, None, :]
        for i in range(h):
            rows = slice(i * d, (i + 1) * d)
            Hs[:, rows, rows] += (r * v[i] * dds[:, i])[:, None, None] * (
                x[:, :, None] * x[:, None, :]
            )
            Hs[:, rows, h * d + i] += (r * ds[:, i])[:, None] * x
            Hs[:, h * d + i, rows] += (r * ds[:, i])[:, None] * x
        vals = np.concatenate([0.5 * r[:, None] ** 2, r[:, None] * g, Hs.reshape(m, P * P)], axis=1)
        s1 += vals.sum(axis=0)
        s2 += (vals**2).sum(axis=0)
        done += m
    mean = s1 / n
    se = np.sqrt(np.maximum(s2 / n - mean**2, 0) / (n - 1))
    return (
        (mean[0], se[0]),
        (mean[1 : 1 + P], se[1 : 1 + P]),
        (mean[1 + P :].reshape(P, P), se[1 + P :].reshape(P, P)),
    )
