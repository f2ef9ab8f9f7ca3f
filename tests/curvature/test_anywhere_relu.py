"""The landscape anywhere for the ReLU family (relu, leaky relu, abs): loss, gradient and
Hessian of any student against independent routes - the arc-cosine loss written out here and
its finite differences, Monte Carlo (the Dirac part of the Hessian by sampling the hyperplane
``w_i . x = 0``) - its parts and operator, the optimum as a special case, mpmath, and the
refusal of zero rows."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from threadpoolctl import threadpool_limits

import symhess
from symhess import Landscape
from symhess.errors import SymhessError

from ..relu_oracles import FAMILY, dsigma, sigma

NAMES = list(FAMILY)


def _point(seed, d=3, ht=2, hs=3):
    rng = np.random.default_rng(seed)
    Wt = rng.normal(size=(ht, d)) / np.sqrt(d)
    vt = rng.normal(size=ht) / np.sqrt(ht)
    W = rng.normal(size=(hs, d)) / np.sqrt(d)
    v = rng.normal(size=hs) / np.sqrt(hs)
    return Wt, vt, W, v


def _oracle_loss(W, v, Wt, vt, alpha, beta) -> float:
    """``1/2 c^T K c`` with Cho and Saul's arc-cosine kernel written with arccos, the self
    pairs exactly (``E[sigma(z)^2] = alpha^2 + alpha beta + beta^2 / 2`` times ``|w|^2``):
    no Stein, no Price, no code of symhess."""
    Y = np.vstack([W, Wt])
    c = np.concatenate([v, -np.asarray(vt)])
    n = np.linalg.norm(Y, axis=1)
    cos = np.clip((Y @ Y.T) / np.outer(n, n), -1.0, 1.0)
    theta = np.arccos(cos)
    K = np.outer(n, n) * (
        (alpha * alpha + alpha * beta) * cos
        + beta * beta * (np.sin(theta) + (np.pi - theta) * cos) / (2 * np.pi)
    )
    K[np.diag_indices_from(K)] = n * n * (alpha * alpha + alpha * beta + beta * beta / 2)
    return 0.5 * float(c @ K @ c)


def _fd_hessian(L, theta, e):
    P = theta.size
    eye = np.eye(P)
    H = np.empty((P, P))
    for a in range(P):
        for b in range(a, P):
            H[a, b] = H[b, a] = (
                L(theta + e * (eye[a] + eye[b]))
                - L(theta + e * (eye[a] - eye[b]))
                - L(theta - e * (eye[a] - eye[b]))
                + L(theta - e * (eye[a] + eye[b]))
            ) / (4 * e * e)
    return H


@pytest.mark.parametrize("name", NAMES)
def test_against_finite_differences_of_an_independent_loss(name):
    """At a generic point (no two rows parallel) the loss is real-analytic: central differences
    of the arccos loss, the gradient at step 1e-5, the Hessian by the four-point rule at steps
    2e-3 and 1e-3 with Richardson extrapolation."""
    alpha, beta = FAMILY[name]
    Wt, vt, W, v = _point(11)
    ls = Landscape(name, Wt, vt)
    h, d = W.shape
    theta = np.concatenate([W.ravel(), v])

    def L(t):
        return _oracle_loss(t[: h * d].reshape(h, d), t[h * d :], Wt, vt, alpha, beta)

    assert ls.loss(W, v) == pytest.approx(L(theta), rel=1e-13)
    e = 1e-5
    eye = np.eye(theta.size)
    gfd = np.array([(L(theta + e * u) - L(theta - e * u)) / (2 * e) for u in eye])
    g = ls.gradient(W, v)
    assert np.max(np.abs(g - gfd)) <= 1e-9 * np.max(np.abs(g))
    Hfd = (4 * _fd_hessian(L, theta, 1e-3) - _fd_hessian(L, theta, 2e-3)) / 3
    H = ls.hessian(W, v)
    assert np.max(np.abs(H - Hfd)) <= 5e-10 * np.max(np.abs(H))


def _monte_carlo(W, v, Wt, vt, alpha, beta, n, seed, chunk=100_000):
    """Loss, gradient and Hessian with standard errors from samples of ``x``.

    ``g g^T`` and ``r d^2 f`` off the Dirac part from ``x ~ N(0, I)``; the Dirac part
    ``v_i beta E[r delta(w_i . x) x x^T]`` as ``v_i beta / (sqrt(2 pi) |w_i|) E[r(x) x x^T]``
    with ``x = (I - u_i u_i^T) x'`` on the hyperplane (the density of ``w_i . x`` at 0 times
    the conditional expectation), from separate samples.
    """
    rng = np.random.default_rng(seed)
    h, d = W.shape
    hd, P = h * d, h * d + h
    s1, s2 = np.zeros(1 + P + P * P), np.zeros(1 + P + P * P)
    delta1, delta2 = np.zeros((h, d, d)), np.zeros((h, d, d))
    with threadpool_limits(1):
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            x = rng.standard_normal((m, d))
            z = x @ W.T
            r = sigma(z, alpha, beta) @ v - sigma(x @ Wt.T, alpha, beta) @ vt
            ds = dsigma(z, alpha, beta)
            g = np.concatenate(
                [((ds * v)[:, :, None] * x[:, None, :]).reshape(m, hd), sigma(z, alpha, beta)], 1
            )
            Hs = g[:, :, None] * g[:, None, :]
            for i in range(h):
                cross = (r * ds[:, i])[:, None] * x
                Hs[:, i * d : (i + 1) * d, hd + i] += cross
                Hs[:, hd + i, i * d : (i + 1) * d] += cross
            vals = np.concatenate([0.5 * r[:, None] ** 2, r[:, None] * g, Hs.reshape(m, -1)], 1)
            s1 += vals.sum(axis=0)
            s2 += (vals**2).sum(axis=0)
            for i in range(h):  # the hyperplane w_i . x = 0
                u = W[i] / np.linalg.norm(W[i])
                xp = rng.standard_normal((m, d))
                xp -= np.outer(xp @ u, u)
                rp = sigma(xp @ W.T, alpha, beta) @ v - sigma(xp @ Wt.T, alpha, beta) @ vt
                sample = rp[:, None, None] * xp[:, :, None] * xp[:, None, :]
                delta1[i] += sample.sum(axis=0)
                delta2[i] += (sample**2).sum(axis=0)
    mean = s1 / n
    se = np.sqrt(np.maximum(s2 / n - mean**2, 0) / (n - 1))
    H, Hse = mean[1 + P :].reshape(P, P), se[1 + P :].reshape(P, P) ** 2
    for i in range(h):
        k = v[i] * beta / (np.sqrt(2 * np.pi) * np.linalg.norm(W[i]))
        m1 = delta1[i] / n
        var = np.maximum(delta2[i] / n - m1**2, 0) / (n - 1)
        rows = slice(i * d, (i + 1) * d)
        H[rows, rows] += k * m1
        Hse[rows, rows] += k * k * var
    return (mean[0], se[0]), (mean[1 : 1 + P], se[1 : 1 + P]), (H, np.sqrt(Hse))


@pytest.mark.parametrize("name", NAMES)
def test_against_monte_carlo(name):
    """1e6 samples (and 1e6 on each hyperplane): every entry within 5 standard errors."""
    alpha, beta = FAMILY[name]
    Wt, vt, W, v = _point(12, d=3, ht=2, hs=2)
    ls = Landscape(name, Wt, vt)
    (Lm, Ls), (gm, gs), (Hm, Hs) = _monte_carlo(W, v, Wt, vt, alpha, beta, 1_000_000, seed=3)
    assert abs(ls.loss(W, v) - Lm) <= 5 * Ls
    assert np.all(np.abs(ls.gradient(W, v) - gm) <= 5 * gs)
    H = ls.hessian(W, v)
    assert np.all(np.abs(H - Hm) <= 5 * Hs)
    # the Dirac part matters: without it the WW blocks miss by many standard errors
    R = ls.hessian(W, v, part="residual")
    d = W.shape[1]
    blocks = np.zeros_like(R)
    for i in range(W.shape[0]):
        rows = slice(i * d, (i + 1) * d)
        blocks[rows, rows] = R[rows, rows]
    assert np.max(np.abs(H - blocks - Hm) / np.maximum(Hs, 1e-300)) > 20


@pytest.mark.parametrize("name", NAMES)
def test_parts_and_operator(name):
    Wt, vt, W, v = _point(13, d=4, ht=2, hs=3)
    ls = Landscape(name, Wt, vt)
    H = ls.hessian(W, v)
    G = ls.hessian(W, v, part="gauss-newton")
    R = ls.hessian(W, v, part="residual")
    assert np.array_equal(H, H.T) and np.array_equal(G, G.T) and np.array_equal(R, R.T)
    assert np.array_equal(G + R, H)
    assert np.array_equal(G, symhess.hessian(name, W, v))  # G is the optimum's formula
    lam = np.linalg.eigvalsh(G)
    assert lam.min() >= -G.shape[0] * np.finfo(float).eps * lam.max()
    X = np.random.default_rng(0).normal(size=(H.shape[0], 4))
    for part, M in (("full", H), ("gauss-newton", G), ("residual", R)):
        op = ls.operator(W, v, part=part)
        assert np.max(np.abs(op @ X - M @ X)) <= 1e-12 * np.max(np.abs(M @ X))
        assert np.max(np.abs(op.matvec(X[:, 0]) - M @ X[:, 0])) <= 1e-12 * np.max(np.abs(M @ X))
    assert ls.hessian_error(W, v) == 0.0


@pytest.mark.parametrize("name", NAMES)
def test_at_the_teacher_and_at_wider_minima(name):
    """At the teacher H = symhess.hessian; where a wider student computes the teacher's
    function (a neuron switched off, a neuron split into parallel copies - the bisector form's
    exact sin = 0) the residual part and the gradient vanish."""
    Wt, vt, _, _ = _point(14, d=3, ht=3)
    ls = Landscape(name, Wt, vt)
    H0 = symhess.hessian(name, Wt, vt)
    scale = np.max(np.abs(H0))
    assert np.max(np.abs(ls.hessian(Wt, vt) - H0)) <= 1e-14 * scale
    assert abs(ls.loss(Wt, vt)) <= 10 * ls.loss_floor(Wt, vt)
    rng = np.random.default_rng(15)
    points = {
        "zeroed": (np.vstack([Wt, rng.normal(size=(2, 3))]), np.append(vt, [0.0, 0.0])),
        "split": (np.vstack([Wt, Wt[:1]]), np.concatenate([vt[:1] / 3, vt[1:], 2 * vt[:1] / 3])),
    }
    for kind, (W, v) in points.items():
        H = ls.hessian(W, v)
        assert np.max(np.abs(ls.hessian(W, v, part="residual"))) <= 1e-14 * np.max(np.abs(H)), kind
        assert np.max(np.abs(ls.gradient(W, v))) <= 1e-14 * np.max(np.abs(H)), kind


def test_mpmath_agrees_with_float64():
    Wt, vt, W, v = _point(16)
    ls = Landscape("leaky_relu(z, 0.1)", Wt, vt)
    H = ls.hessian(W, v)
    with mpmath.workdps(40):
        Hm = ls.hessian(W, v, system="mpmath")
        Lm = ls.loss(W, v, system="mpmath")
        assert isinstance(Hm[0, 0], mpmath.mpf)
    assert np.max(np.abs(Hm.astype(float) - H)) <= 1e-14 * np.max(np.abs(H))
    assert abs(float(Lm) - ls.loss(W, v)) <= 1e-15


def test_zero_rows_are_refused_with_the_reason():
    Wt, vt, W, v = _point(17)
    ls = Landscape("relu(z)", Wt, vt)
    W[1] = 0
    for call in (ls.loss, ls.gradient, ls.hessian, ls.operator):
        with pytest.raises(SymhessError, match="row 1 is zero.*not twice differentiable"):
            call(W, v)
    Wt[0] = 0
    with pytest.raises(SymhessError, match="teacher row 0 is zero"):
        Landscape("abs(z)", Wt, vt)
    with pytest.raises(SymhessError, match="fraction"):
        Landscape("relu(z)", *_point(17)[:2]).hessian(*_point(17)[2:], system="fraction")
