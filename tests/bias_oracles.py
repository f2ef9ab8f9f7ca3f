"""Independent routes to the Hessian with biases, sharing no code with symhess's kernels or
assembly (except :func:`population_loss`, which takes ``K00`` with means from symhess; ``K00``
itself is checked against quadrature in tests/kernels/test_means.py).

* :func:`hessian_by_expansion` - every gradient component ``g_theta(x)`` of
  ``f(x) = sum_i v_i sigma(w_i . x + b_i)`` expanded into monomials of ``x`` with exact
  rational coefficients, then ``H = G M G^T`` with ``M_ab = E[x^(a+b)] = prod (a_j+b_j-1)!!``;
* :func:`monte_carlo_hessian` - ``E[g g^T]`` from samples, mean and standard error per entry;
* :func:`population_loss` and :func:`fd_hessian` - the generalization error of a student
  against the teacher and its central second differences.
"""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np

from .oracles import gaussian_moment


def _mul(p, q):
    out = {}
    for e1, c1 in p.items():
        for e2, c2 in q.items():
            e = tuple(x + y for x, y in zip(e1, e2, strict=True))
            out[e] = out.get(e, 0) + c1 * c2
    return out


def _add(p, q, scale=1):
    out = dict(p)
    for e, c in q.items():
        out[e] = out.get(e, 0) + scale * c
    return out


def gradient_polynomials(coeffs, W, v, b):
    """Each gradient component as ``{exponent tuple: Fraction}``, in the order W, v, b."""
    h, d = len(W), len(W[0])
    coeffs = [Fraction(s) for s in coeffs]
    deg = len(coeffs) - 1
    zero = (0,) * d
    grads_W, grads_v, grads_b = [], [], []
    for i in range(h):
        z = {zero: Fraction(b[i])}
        for j in range(d):
            e = [0] * d
            e[j] = 1
            z[tuple(e)] = Fraction(W[i][j])
        powers = [{zero: Fraction(1)}]
        for _ in range(deg):
            powers.append(_mul(powers[-1], z))
        sig, dsig = {}, {}
        for n, s in enumerate(coeffs):
            sig = _add(sig, powers[n], s)
            if n >= 1:
                dsig = _add(dsig, powers[n - 1], n * s)
        vd = {e: Fraction(v[i]) * c for e, c in dsig.items()}
        for j in range(d):
            xj = [0] * d
            xj[j] = 1
            grads_W.append(_mul(vd, {tuple(xj): Fraction(1)}))
        grads_v.append(sig)
        grads_b.append(vd)
    return grads_W + grads_v + grads_b


def hessian_by_expansion(coeffs, W, v, b):
    """``E[g g^T]`` exactly, as an object array of ``flint.fmpq`` (order W, v, b)."""
    grads = gradient_polynomials(coeffs, W, v, b)
    monos = sorted({e for g in grads for e in g})
    index = {e: k for k, e in enumerate(monos)}
    G = flint.fmpq_mat(len(grads), len(monos))
    for r, g in enumerate(grads):
        for e, c in g.items():
            G[r, index[e]] = flint.fmpq(c.numerator, c.denominator)
    M = flint.fmpq_mat(len(monos), len(monos))
    for p, ep in enumerate(monos):
        for q, eq in enumerate(monos):
            M[p, q] = gaussian_moment(tuple(x + y for x, y in zip(ep, eq, strict=True)))
    H = G * M * G.transpose()
    out = np.empty((H.nrows(), H.ncols()), dtype=object)
    for r in range(H.nrows()):
        for c in range(H.ncols()):
            out[r, c] = H[r, c]
    return out


def monte_carlo_hessian(sigma, dsigma, W, v, b, n=4_000_000, chunk=250_000, seed=0):
    """``E[g g^T]`` by Monte Carlo in chunks: ``(mean, standard error)`` per entry."""
    rng = np.random.default_rng(seed)
    h, d = W.shape
    P = h * d + 2 * h
    S1 = np.zeros((P, P))
    S2 = np.zeros((P, P))
    done = 0
    while done < n:
        m = min(chunk, n - done)
        x = rng.standard_normal((m, d))
        z = x @ W.T + b
        s, ds = sigma(z), dsigma(z)
        g = np.empty((m, P))
        g[:, : h * d] = ((v * ds)[:, :, None] * x[:, None, :]).reshape(m, h * d)
        g[:, h * d : h * d + h] = s
        g[:, h * d + h :] = v * ds
        S1 += g.T @ g
        g2 = g * g
        S2 += g2.T @ g2
        done += m
    mean = S1 / n
    var = S2 / n - mean**2
    return mean, np.sqrt(np.maximum(var, 0) / n)


def _k00(kernels, W, b, U, c, system):
    C = W.dot(U.T)
    a = np.array([w.dot(w) for w in W], dtype=W.dtype)[:, None]
    bb = np.array([u.dot(u) for u in U], dtype=U.dtype)[None, :]
    return kernels.with_means(a, bb, C, b[:, None], c[None, :], system)[0]


def population_loss(kernels, W, v, b, Wt, vt, bt, system="float64"):
    """``1/2 E[(f_student - f_teacher)^2]`` from ``K00`` with means (arrays in ``system``)."""
    Kss = _k00(kernels, W, b, W, b, system)
    Kst = _k00(kernels, W, b, Wt, bt, system)
    Ktt = _k00(kernels, Wt, bt, Wt, bt, system)
    return (v.dot(Kss.dot(v)) - 2 * v.dot(Kst.dot(vt)) + vt.dot(Ktt.dot(vt))) / 2


def fd_hessian(kernels, W, v, b, step):
    """Central second differences of :func:`population_loss` at the optimum (float64)."""
    h, d = W.shape
    theta0 = np.concatenate([W.reshape(-1), v, b])
    P = theta0.size

    def loss(theta):
        return population_loss(
            kernels,
            theta[: h * d].reshape(h, d),
            theta[h * d : h * d + h],
            theta[h * d + h :],
            W,
            v,
            b,
        )

    def at(p, q, sp, sq):
        t = theta0.copy()
        t[p] += sp * step
        t[q] += sq * step
        return loss(t)

    H = np.empty((P, P))
    base = loss(theta0)
    for p in range(P):
        for q in range(p, P):
            if p == q:
                val = (at(p, p, 1, 1) - 2 * base + at(p, p, -1, -1)) / (4 * step * step)
            else:
                val = (at(p, q, 1, 1) - at(p, q, 1, -1) - at(p, q, -1, 1) + at(p, q, -1, -1)) / (
                    4 * step * step
                )
            H[p, q] = H[q, p] = val
    return H


def jacobian_rank(coeffs, W, v, b) -> int:
    """Rank over Q of the Jacobian of ``theta -> coefficients of f`` (the gradient components of
    :func:`gradient_polynomials` as rows): ``rank H = rank J`` since ``H = J M J^T`` with ``M``
    positive definite."""
    grads = gradient_polynomials(coeffs, W, v, b)
    monos = sorted({e for g in grads for e in g})
    index = {e: k for k, e in enumerate(monos)}
    J = flint.fmpq_mat(len(grads), len(monos))
    for r, g in enumerate(grads):
        for e, c in g.items():
            J[r, index[e]] = flint.fmpq(c.numerator, c.denominator)
    return J.rank()
