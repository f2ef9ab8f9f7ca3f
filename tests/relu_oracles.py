"""Independent routes to the ReLU-family Hessian, sharing no code with symhess's kernels.

* :func:`mc_hessian` - Monte Carlo of ``H = E[g g^T]`` with its standard error per entry.
* :func:`angular_hessian` - for every pair of hidden units, one-dimensional Gauss-Legendre
  quadrature over the angle in the plane of ``w_i, w_k``: ``x = x_par + x_perp`` with
  ``x_par = r (cos phi e1 + sin phi e2)``, ``r^2 ~ chi^2_2`` (``E r^2 = 2``), ``phi`` uniform
  and independent. By positive homogeneity ``sigma(w.x) = |w| r sigma(cos(phi - phi_w))``, so

      E[sigma(u) sigma(w)]         = |w_i||w_k| / pi  int s(cos(phi-phi_i)) s(cos(phi-phi_k))
      E[sigma'(u) sigma'(w) x x^T] = (1/2pi) int s's' (I - E E^T) + E [(1/pi) int s's' e e^T] E^T
      E[sigma'(u) x sigma(w)]      = |w_k| / pi  E int s'(cos(phi-phi_i)) s(cos(phi-phi_k)) e

  with ``E = [e1 e2]`` and ``e = (cos phi, sin phi)``. The integrands are piecewise
  trigonometric with breaks where ``cos(phi - phi_i)`` or ``cos(phi - phi_k)`` vanishes;
  Gauss-Legendre on each piece is exact to rounding. Neither Stein's lemma nor any closed form
  is used. For ``d = 1`` the network is embedded in ``d = 2`` (a zero second column).
* :func:`population_loss` and :func:`loss_gradient` - the generalization error and its
  gradient from the arc-cosine kernel written out here (for finite differences).
"""

from __future__ import annotations

import numpy as np
from threadpoolctl import threadpool_limits

FAMILY = {"relu(z)": (0.0, 1.0), "leaky_relu(z, 0.1)": (0.1, 0.9), "abs(z)": (-1.0, 2.0)}
"""Activation text -> (alpha, beta), written out by hand."""


def sigma(z, alpha, beta):
    return alpha * z + beta * np.maximum(z, 0.0)


def dsigma(z, alpha, beta):
    return alpha + beta * (z > 0)


def mc_hessian(W, v, alpha, beta, n=4_000_000, chunk=250_000, seed=0):
    """Monte Carlo mean of ``g g^T`` over ``x ~ N(0, I_d)`` and its standard error, (P, P)."""
    rng = np.random.default_rng(seed)
    # One BLAS thread: the products are tall and thin, and on a loaded machine OpenBLAS's
    # threads spin against each other (measured 0.08 s with one thread, 20 s with two).
    with threadpool_limits(1):
        h, d = W.shape
        hd = h * d
        P = hd + h
        S1 = np.zeros((P, P))
        S2 = np.zeros((P, P))
        done = 0
        while done < n:
            m = min(chunk, n - done)
            x = rng.standard_normal((m, d))
            z = x @ W.T
            g = np.empty((m, P))
            g[:, :hd] = ((v * dsigma(z, alpha, beta))[:, :, None] * x[:, None, :]).reshape(m, hd)
            g[:, hd:] = sigma(z, alpha, beta)
            S1 += g.T @ g
            g *= g
            S2 += g.T @ g
            done += m
    mean = S1 / n
    var = np.maximum(S2 / n - mean * mean, 0.0)
    return mean, np.sqrt(var / n)


def _gl_pieces(breaks, nodes=16):
    x, w = np.polynomial.legendre.leggauss(nodes)
    lo, hi = breaks[:-1], breaks[1:]
    phi = (0.5 * (hi - lo))[:, None] * x[None, :] + (0.5 * (hi + lo))[:, None]
    wt = (0.5 * (hi - lo))[:, None] * w[None, :]
    return phi.reshape(-1), wt.reshape(-1)


def _plane(wi, wk):
    e1 = wi / np.linalg.norm(wi)
    r = wk - (wk @ e1) * e1
    if np.linalg.norm(r) > 1e-13 * np.linalg.norm(wk):
        e2 = r / np.linalg.norm(r)
    else:  # parallel or antiparallel: any unit vector orthogonal to e1
        t = np.zeros_like(e1)
        t[int(np.argmin(np.abs(e1)))] = 1.0
        t -= (t @ e1) * e1
        e2 = t / np.linalg.norm(t)
    return e1, e2


def pair_moments(wi, wk, alpha, beta):
    """``E[s(u)s(w)]`` (scalar), ``E[s'(u)s'(w) x x^T]`` (d, d), ``E[s'(u) x s(w)]`` (d,)."""
    d = wi.size
    e1, e2 = _plane(wi, wk)
    E = np.stack([e1, e2], axis=1)
    phi_k = np.arctan2(wk @ e2, wk @ e1)
    br = np.array([np.pi / 2, -np.pi / 2, phi_k + np.pi / 2, phi_k - np.pi / 2])
    br = np.unique(np.concatenate([[0.0, 2 * np.pi], np.mod(br, 2 * np.pi)]))
    phi, wt = _gl_pieces(br)
    ci, ck = np.cos(phi), np.cos(phi - phi_k)
    e = np.stack([np.cos(phi), np.sin(phi)])
    ni, nk = np.linalg.norm(wi), np.linalg.norm(wk)
    ss = ni * nk / np.pi * np.sum(wt * sigma(ci, alpha, beta) * sigma(ck, alpha, beta))
    pp = dsigma(ci, alpha, beta) * dsigma(ck, alpha, beta)
    inplane = (e * (wt * pp)) @ e.T / np.pi
    block = np.sum(wt * pp) / (2 * np.pi) * (np.eye(d) - E @ E.T) + E @ inplane @ E.T
    ps = dsigma(ci, alpha, beta) * sigma(ck, alpha, beta)
    cross = nk / np.pi * (E @ (e @ (wt * ps)))
    return ss, block, cross


def angular_hessian(W, v, alpha, beta):
    """The Hessian at the optimum pair by pair from :func:`pair_moments` (loops: test only)."""
    h, d = W.shape
    if d == 1:
        full = angular_hessian(np.hstack([W, np.zeros((h, 1))]), v, alpha, beta)
        keep = np.r_[np.arange(0, 2 * h, 2), 2 * h + np.arange(h)]
        return full[np.ix_(keep, keep)]
    hd = h * d
    H = np.zeros((hd + h, hd + h))
    for i in range(h):
        for k in range(h):
            ss, block, cross = pair_moments(W[i], W[k], alpha, beta)
            H[i * d : (i + 1) * d, k * d : (k + 1) * d] = v[i] * v[k] * block
            H[i * d : (i + 1) * d, hd + k] = v[i] * cross
            H[hd + k, i * d : (i + 1) * d] = v[i] * cross
            H[hd + i, hd + k] = ss
    return H


def arc_cosine(Y1, Y2, alpha, beta):
    """``E[sigma(y1 . x) sigma(y2 . x)]`` for all rows (Cho-Saul, written with arccos)."""
    n1, n2 = np.linalg.norm(Y1, axis=1), np.linalg.norm(Y2, axis=1)
    cos = np.clip((Y1 @ Y2.T) / np.outer(n1, n2), -1.0, 1.0)
    theta = np.arccos(cos)
    relu = (np.sin(theta) + (np.pi - theta) * cos) / (2 * np.pi)
    lin = alpha * alpha + alpha * beta
    return np.outer(n1, n2) * (lin * cos + beta * beta * relu)


def population_loss(W, v, Wt, vt, alpha, beta) -> float:
    """``1/2 E[(f - f_t)^2]`` in closed form (arccos route: accurate away from parallel rows)."""
    Y = np.vstack([W, Wt])
    c = np.concatenate([v, -np.asarray(vt)])
    return 0.5 * float(c @ arc_cosine(Y, Y, alpha, beta) @ c)
