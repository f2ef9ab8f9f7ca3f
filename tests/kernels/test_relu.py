"""Kernels of alpha*z + beta*relu(z) against independent routes: neural-tangents' ABRelu
formulas, Monte Carlo, Price's theorem by numerical differentiation, direct expectations on
degenerate pairs, and 50-digit geometry."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import symhess
from symhess.errors import SymhessError
from symhess.kernels.relu import ReluKernels, pair_geometry, pair_matrices, relu_kernels

FAMILY = [(0.0, 1.0), (0.1, 0.9), (-1.0, 2.0), (0.3, -1.7)]


def random_abc(rng, n):
    A = rng.standard_normal((n, 2, 3))
    G = A @ np.swapaxes(A, 1, 2)
    return G[:, 0, 0], G[:, 1, 1], G[:, 0, 1]


@pytest.mark.parametrize("alpha, beta", FAMILY)
def test_k00_k11_equal_neural_tangents_abrelu(alpha, beta):
    # neural-tangents stax.ABRelu(a, b) = a min(z, 0) + b max(z, 0): a = alpha, b = alpha + beta.
    # Its nngp/ntk update: theta = arctan2(sqrt(prod - c^2), c),
    # dot_sigma = (a^2 + b^2)/2 - (a-b)^2/(2 pi) theta, nngp = (a-b)^2/(2pi) sqrt(.) + dot_sigma c.
    a, b, c = random_abc(np.random.default_rng(0), 500)
    na, nb = alpha, alpha + beta
    root = np.sqrt(a * b - c * c)
    theta = np.arctan2(root, c)
    factor = (na - nb) ** 2 / (2 * np.pi)
    dot_sigma = (na**2 + nb**2) / 2 - factor * theta
    nngp = factor * root + dot_sigma * c
    K00, K11, *_ = relu_kernels(a, b, c, (alpha, beta))
    np.testing.assert_allclose(K00, nngp, rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(K11, dot_sigma, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("alpha, beta", FAMILY[:3])
def test_k00_k11_k20_monte_carlo(alpha, beta):
    # K20 = E[sigma''(u) sigma(w)] = beta p_u(0) E[sigma(w) | u = 0]: a 1-D expectation.
    rng = np.random.default_rng(1)
    a, b, c = 1.3, 0.7, -0.4
    n = 2_000_000
    u, w = np.linalg.cholesky([[a, c], [c, b]]) @ rng.standard_normal((2, n))
    s = lambda z: alpha * z + beta * np.maximum(z, 0)  # noqa: E731
    ds = lambda z: alpha + beta * (z > 0)  # noqa: E731
    K00, K11, K20, *_ = relu_kernels(a, b, c, (alpha, beta))
    for value, sample in ((K00, s(u) * s(w)), (K11, ds(u) * ds(w))):
        assert abs(sample.mean() - value) < 5 * sample.std() / np.sqrt(n)
    w0 = np.sqrt(b - c * c / a) * rng.standard_normal(n)  # w | u = 0
    sample = beta * s(w0) / np.sqrt(2 * np.pi * a)
    assert abs(sample.mean() - K20) < 5 * sample.std() / np.sqrt(n)


@pytest.mark.parametrize("alpha, beta", FAMILY)
def test_price_theorem_by_numerical_differentiation(alpha, beta):
    # K11 = dK00/dc, K20 = 2 dK00/da, K22 = dK11/dc, K31 = 2 dK11/da, K13 = 2 dK11/db:
    # numerical derivatives of K00 and K11 at 40 digits, not the closed forms of the rest.
    with mpmath.workdps(40):
        s = (mpmath.mpf(alpha), mpmath.mpf(beta))
        for a, b, c in ((1.3, 0.7, -0.4), (0.5, 2.0, 0.9), (1.0, 1.0, 0.0)):
            a, b, c = (mpmath.mpf(x) for x in (a, b, c))

            def k(index, a_, b_, c_):
                arr = [np.array([x], dtype=object) for x in (a_, b_, c_)]
                return relu_kernels(*arr, s)[index][0]

            K = [x[0] for x in relu_kernels(*[np.array([x], dtype=object) for x in (a, b, c)], s)]
            diff = mpmath.diff
            checks = [
                (K[1], diff(lambda t, a=a, b=b: k(0, a, b, t), c)),
                (K[2], 2 * diff(lambda t, b=b, c=c: k(0, t, b, c), a)),
                (K[3], diff(lambda t, a=a, b=b: k(1, a, b, t), c)),
                (K[4], 2 * diff(lambda t, b=b, c=c: k(1, t, b, c), a)),
                (K[5], 2 * diff(lambda t, a=a, c=c: k(1, a, t, c), b)),
            ]
            for value, numeric in checks:
                assert abs(value - numeric) < mpmath.mpf(10) ** -25 * (1 + abs(value))


@pytest.mark.parametrize("alpha, beta", FAMILY)
def test_degenerate_pairs_are_finite_and_exact(alpha, beta):
    # Parallel and antiparallel pairs, the diagonal, and an antiparallel pair whose rounded
    # D is slightly negative (the -0.0 trap: atan2(-0.0, c < 0) = -pi).
    w = np.array([0.3, -1.1, 0.7])
    pairs = [(w, w), (w, 2 * w), (w, -0.5 * w), (w, -0.3 * w * (1 + 1e-9))]
    lin = alpha**2 + alpha * beta
    for x, y in pairs:
        a, b, c = x @ x, y @ y, x @ y
        K00, K11, K20, K22, K31, K13 = relu_kernels(a, b, c, (alpha, beta))
        assert np.all(np.isfinite([K00, K11, K20, K22, K31, K13]))
        assert K22 == K31 == K13 == 0
        same = c > 0
        # E[sigma(u) sigma(lambda u)] and E[sigma'(u) sigma'(lambda u)] directly:
        lam = np.sqrt(b / a) * (1 if same else -1)
        e_ss = a * lam * (lin + (beta**2 / 2 if same else 0))
        e_dd = lin + (beta**2 / 2 if same else 0)
        assert abs(K00 - e_ss) < 1e-12 * (1 + abs(e_ss))
        assert abs(K11 - e_dd) < 1e-12
        assert abs(K20) < 1e-7


def test_geometry_accurate_at_every_angle():
    # theta from |u_i -+ u_k| is accurate to a few ulps (absolute) at every angle, 0 and pi
    # included; theta from the Gram matrix (a, b, c) is only accurate to ~ eps / theta.
    rng = np.random.default_rng(2)
    e1, e2 = np.linalg.qr(rng.standard_normal((5, 2)))[0].T
    for t in (1e-3, 1e-6, 1e-9, 1e-12, 1.0, np.pi - 1e-6, np.pi - 1e-12):
        W = np.array([2 * e1, 0.7 * (np.cos(t) * e1 + np.sin(t) * e2)])
        with mpmath.workdps(50):
            Wm = np.vectorize(mpmath.mpf, otypes=[object])(W)
            exact = float(pair_geometry(Wm, system="mpmath")["theta"][0, 1])
        assert abs(pair_geometry(W)["theta"][0, 1] - exact) <= 4e-16
        cross = pair_geometry(W[:1], W[1:])["theta"][0, 0]
        assert abs(cross - exact) <= 4e-16


@pytest.mark.parametrize("alpha, beta", FAMILY)
def test_pair_matrices_agree_with_abc_and_mpmath(alpha, beta):
    W = np.random.default_rng(3).standard_normal((6, 4))
    K = pair_matrices(W, alpha=alpha, beta=beta)
    C = W @ W.T
    a = np.diag(C)
    values = relu_kernels(a[:, None], a[None, :], C, (alpha, beta))
    abc = dict(zip(symhess.KERNEL_NAMES, values, strict=True))
    off = ~np.eye(6, dtype=bool)
    for name in symhess.KERNEL_NAMES:
        np.testing.assert_allclose(K[name][off], abc[name][off], rtol=1e-12, atol=1e-14)
        assert np.all(K[name][~off] == 0) or name in ("K00", "K11")
    # KB = beta^2 sin(theta) / (2 pi) = K22 (ab - c^2) / sqrt(ab) off the diagonal
    ab = np.outer(a, a)
    np.testing.assert_allclose(K["KB"][off], (abc["K22"] * (ab - C * C) / np.sqrt(ab))[off])
    with mpmath.workdps(30):
        Wm = np.vectorize(mpmath.mpf, otypes=[object])(W)
        Km = pair_matrices(Wm, alpha=mpmath.mpf(alpha), beta=mpmath.mpf(beta), system="mpmath")
        for name in ("K00", "K11", "K20", "KB", "K22"):
            got = np.vectorize(float)(Km[name])
            np.testing.assert_allclose(got, K[name], rtol=1e-14, atol=1e-15)
    V = np.random.default_rng(4).standard_normal((3, 4))
    cross = pair_matrices(W, V, alpha=alpha, beta=beta)
    a2 = np.einsum("ij,ij->i", V, V)
    ref = relu_kernels(a[:, None], a2[None, :], W @ V.T, (alpha, beta))
    for name, value in zip(symhess.KERNEL_NAMES, ref, strict=True):
        np.testing.assert_allclose(cross[name], value, rtol=1e-12, atol=1e-14)


def test_registry_picks_the_closed_form_for_every_spelling():
    for text, family in [
        ("relu(z)", (0, 1)),
        ("abs(z)", (-1, 2)),
        ("2*relu(z) - z", (-1, 2)),
        ("leaky_relu(z, 0.1)", (0.1, 0.9)),
        ("z + relu(z)", (1, 1)),
        ("relu(-3*z)", (-3, 3)),
    ]:
        k = symhess.resolve(text)
        assert isinstance(k, ReluKernels)
        assert tuple(float(x) for x in k.family) == pytest.approx(family)
        assert "mpmath" in k.systems and "arb" in k.systems
    assert (
        symhess.resolve("abs(z)").activation.hash == symhess.resolve("2*relu(z)-z").activation.hash
    )


def test_bad_input():
    with pytest.raises(SymhessError, match="zero weight vector"):
        relu_kernels(0.0, 1.0, 0.0, (0.0, 1.0))
    with pytest.raises(SymhessError, match="zero weight vector"):
        pair_geometry(np.array([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(SymhessError, match="cannot tell a parallel pair"):
        symhess.resolve("relu(z)")(1.0, 1.0, 0.0, "arb")
    with pytest.raises(SymhessError, match="cannot be evaluated in 'fraction'"):
        symhess.resolve("relu(z)")(1.0, 1.0, 0.0, "fraction")
