"""The Landscape with biases (student ``b``, teacher ``b_t``) against independent routes:
central differences of the population loss from ``K00`` with means (tests/bias_oracles.py),
Monte Carlo of ``r g``, ``g g^T + r d^2 f`` and ``r^2 / 2``, the optimum's Hessian with biases,
and with every bias zero the bias-free Landscape bit for bit."""

import numpy as np
import pytest
from scipy.special import erf

import symhess
from symhess.curvature.anywhere import Landscape
from symhess.errors import SymhessError
from symhess.kernels import resolve
from tests.bias_oracles import population_loss

D, HT, HS = 3, 2, 3


def _network(seed=3, d=D, ht=HT, hs=HS):
    rng = np.random.default_rng(seed)
    Wt = rng.normal(size=(ht, d)) / np.sqrt(d)
    vt = rng.normal(size=ht)
    bt = rng.normal(size=ht) * 0.7
    W = rng.normal(size=(hs, d)) / np.sqrt(d)
    v = rng.normal(size=hs)
    b = rng.normal(size=hs) * 0.7
    return Wt, vt, bt, W, v, b


def _split(theta, h, d):
    return theta[: h * d].reshape(h, d), theta[h * d : h * d + h], theta[h * d + h :]


def _fd(spec, teacher, theta, step):
    """Central first and second differences of the oracle population loss at ``theta``."""
    kern = resolve(spec)
    Wt, vt, bt = teacher
    d = Wt.shape[1]
    h = theta.size // (d + 2)

    def loss(t):
        W, v, b = _split(t, h, d)
        return population_loss(kern, W, v, b, Wt, vt, bt)

    P = theta.size
    E = np.eye(P) * step
    grad = np.array([(loss(theta + e) - loss(theta - e)) / (2 * step) for e in E])
    H = np.empty((P, P))
    base = loss(theta)
    for p in range(P):
        H[p, p] = (loss(theta + 2 * E[p]) - 2 * base + loss(theta - 2 * E[p])) / (4 * step**2)
        for q in range(p + 1, P):
            pp, pm = loss(theta + E[p] + E[q]), loss(theta + E[p] - E[q])
            mp, mm = loss(theta - E[p] + E[q]), loss(theta - E[p] - E[q])
            H[p, q] = H[q, p] = (pp - pm - mp + mm) / (4 * step**2)
    return grad, H


@pytest.mark.parametrize(
    "spec,step,tol,sizes",
    [
        ("erf(z)", 1e-4, 1e-6, (D, HT, HS)),
        ("z + z**2/2 - z**3/5", 1e-4, 1e-6, (D, HT, HS)),
        ("tanh(z)", 1e-3, 1e-4, (2, 1, 2)),
    ],
)
def test_against_finite_differences_of_the_population_loss(spec, step, tol, sizes):
    # away from the optimum, a wider student (measured: erf 5e-9 / 6e-8, the cubic 8e-9 /
    # 1.2e-8 for the gradient / Hessian); tanh by quadrature (kernel errors ~1e-12 of the
    # scale, divided by step^2 in the second differences), on a smaller network: its
    # population loss costs a quadrature per evaluation
    d, ht, hs = sizes
    Wt, vt, bt, W, v, b = _network(3, d, ht, hs)
    ls = Landscape(spec, Wt, vt, bt)
    theta = Landscape.flat(W, v, b)
    grad, H_fd = _fd(spec, (Wt, vt, bt), theta, step)
    g = ls.gradient(W, v, b)
    H = ls.hessian(W, v, b)
    assert g.shape == (hs * d + 2 * hs,) and H.shape == (g.size, g.size)
    assert np.array_equal(H, H.T)
    assert np.max(np.abs(g - grad)) <= tol * np.max(np.abs(g))
    assert np.max(np.abs(H - H_fd)) <= tol * np.max(np.abs(H))
    L = ls.loss(W, v, b)
    kern = resolve(spec)
    assert abs(L - population_loss(kern, W, v, b, Wt, vt, bt)) <= 1e-12 * (1 + abs(L))


def _erf_all(z):
    g = 2 / np.sqrt(np.pi) * np.exp(-z * z)
    return erf(z), g, -2 * z * g


def test_against_monte_carlo():
    # r = f - f_t; dL = E[r g]; H = E[g g^T + r d^2 f] (d^2 f block diagonal in the neurons:
    # v_i s''(z_i) x x^T, s'(z_i) x (with v_i), v_i s''(z_i) x (with b_i), v_i s''(z_i))
    Wt, vt, bt, W, v, b = _network(7)
    ls = Landscape("erf(z)", Wt, vt, bt)
    h, d = W.shape
    hd, P0 = h * d, h * d + h
    P = P0 + h
    rng = np.random.default_rng(0)
    n, chunk = 1_000_000, 20_000
    sums = {k: 0.0 for k in ("L", "L2", "g", "g2", "H", "H2")}
    for _ in range(n // chunk):
        x = rng.standard_normal((chunk, d))
        z = x @ W.T + b
        s, ds, d2s = _erf_all(z)
        r = s @ v - erf(x @ Wt.T + bt) @ vt
        g = np.empty((chunk, P))
        g[:, :hd] = ((v * ds)[:, :, None] * x[:, None, :]).reshape(chunk, hd)
        g[:, hd:P0] = s
        g[:, P0:] = v * ds
        Hs = g[:, :, None] * g[:, None, :]
        for i in range(h):
            rows = slice(i * d, (i + 1) * d)
            w2 = (r * v[i] * d2s[:, i])[:, None, None]
            Hs[:, rows, rows] += w2 * (x[:, :, None] * x[:, None, :])
            cross = (r * ds[:, i])[:, None] * x
            Hs[:, rows, hd + i] += cross
            Hs[:, hd + i, rows] += cross
            bw = (r * v[i] * d2s[:, i])[:, None] * x
            Hs[:, rows, P0 + i] += bw
            Hs[:, P0 + i, rows] += bw
            Hs[:, hd + i, P0 + i] += r * ds[:, i]
            Hs[:, P0 + i, hd + i] += r * ds[:, i]
            Hs[:, P0 + i, P0 + i] += r * v[i] * d2s[:, i]
        rg = r[:, None] * g
        sums["L"] += np.sum(r * r / 2)
        sums["L2"] += np.sum((r * r / 2) ** 2)
        sums["g"] += rg.sum(axis=0)
        sums["g2"] += (rg * rg).sum(axis=0)
        sums["H"] += Hs.sum(axis=0)
        sums["H2"] += (Hs * Hs).sum(axis=0)

    def mean_se(k):
        m = sums[k] / n
        return m, np.sqrt(np.maximum(sums[k + "2"] / n - m * m, 0) / n)

    for key, exact in (
        ("L", ls.loss(W, v, b)),
        ("g", ls.gradient(W, v, b)),
        ("H", ls.hessian(W, v, b)),
    ):
        m, se = mean_se(key)
        z = np.abs(np.asarray(exact) - m) / np.maximum(se, 1e-300)
        assert np.all(np.abs(np.asarray(exact) - m) <= 5 * se + 1e-12), (key, float(np.max(z)))


@pytest.mark.parametrize("spec", ["erf(z)", "z + z**2/2 - z**3/5", "tanh(z)", "2*erf(3*z/2)"])
def test_zero_biases_give_the_bias_free_landscape_bit_for_bit(spec):
    Wt, vt, _, W, v, _ = _network(5)
    zt, zs = np.zeros(HT), np.zeros(HS)
    free = Landscape(spec, Wt, vt)
    biased = Landscape(spec, Wt, vt, zt)
    P0 = HS * D + HS
    L0, g0, H0 = free.loss(W, v), free.gradient(W, v), free.hessian(W, v)
    for b in (None, zs):
        L1, g1, H1 = biased.loss(W, v, b), biased.gradient(W, v, b), biased.hessian(W, v, b)
        assert np.float64(L1).view(np.uint64) == np.float64(L0).view(np.uint64)
        assert np.array_equal(g1[:P0].view(np.uint64), g0.view(np.uint64))
        assert np.array_equal(
            np.ascontiguousarray(H1[:P0, :P0]).view(np.uint64), H0.view(np.uint64)
        )
        for part in ("gauss-newton", "residual"):
            Hp = biased.hessian(W, v, b, part=part)[:P0, :P0]
            assert np.array_equal(
                np.ascontiguousarray(Hp).view(np.uint64),
                free.hessian(W, v, part=part).view(np.uint64),
            )
    if spec.startswith("z"):  # exact: equal as rationals too
        Hq0 = free.hessian(W, v, system="fmpq")
        Hq1 = biased.hessian(W, v, zs, system="fmpq")
        assert (Hq1[:P0, :P0] == Hq0).all()


def test_at_the_optimum_with_biases_the_residual_vanishes_and_G_is_the_optimum_hessian():
    Wt, vt, bt, _, _, _ = _network(9)
    for spec in ("erf(z)", "z - z**2/2 + z**3/4"):
        ls = Landscape(spec, Wt, vt, bt)
        H = ls.hessian(Wt, vt, bt)
        R = ls.hessian(Wt, vt, bt, part="residual")
        H_opt = symhess.hessian(spec, Wt, vt, bt)
        assert np.max(np.abs(R)) <= 1e-14 * np.max(np.abs(H_opt))
        assert np.max(np.abs(H - H_opt)) <= 1e-14 * np.max(np.abs(H_opt))
        assert (
            abs(ls.loss(Wt, vt, bt)) <= 1e-15 and np.max(np.abs(ls.gradient(Wt, vt, bt))) <= 1e-15
        )


def test_exact_polynomial_landscape_with_biases():
    from fractions import Fraction

    Wt, vt, bt, W, v, b = _network(11)
    q = lambda x: np.vectorize(lambda t: Fraction(t).limit_denominator(64))(x)  # noqa: E731
    Wt, vt, bt, W, v, b = (q(x) for x in (Wt, vt, bt, W, v, b))
    f = lambda x: x.astype(float)  # noqa: E731
    ls_q = Landscape("z + z**2/2 - z**3/5", Wt, vt, bt)
    ls_f = Landscape("z + z**2/2 - z**3/5", f(Wt), f(vt), f(bt))
    Hq = ls_q.hessian(W, v, b, system="fraction")
    assert all(isinstance(x, Fraction) for x in Hq.ravel())
    Hf = ls_f.hessian(f(W), f(v), f(b))
    assert np.max(np.abs(Hq.astype(float) - Hf)) <= 1e-13 * np.max(np.abs(Hf))
    gq = ls_q.gradient(W, v, b, system="fraction")
    assert np.max(np.abs(gq.astype(float) - ls_f.gradient(f(W), f(v), f(b)))) <= 1e-13


def test_quadrature_landscape_with_biases_states_its_error():
    Wt, vt, bt, W, v, b = _network(13)
    ls = Landscape("tanh(z)", Wt, vt, bt)
    H = ls.hessian(W, v, b)
    err = ls.hessian_error(W, v, b)
    assert 0 < err < 1e-10 * np.max(np.abs(H))
    assert (
        ls.hessian_error(W, v, b) > 0
        and Landscape("erf(z)", Wt, vt, bt).hessian_error(W, v, b) == 0
    )


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda t: Landscape("relu(z)", t[0], t[1], t[2]), "ReLU family"),
        (lambda t: Landscape("erf(z)", t[0], t[1], t[2][:1]), "length"),
        (lambda t: Landscape("erf(z)", t[0], t[1], np.array([0.1, np.nan])), "NaN"),
        (lambda t: Landscape("erf(z)", t[0], t[1], t[2]).hessian(t[3], t[4], t[5][:2]), "length"),
        (lambda t: Landscape("erf(z)", t[0], t[1], t[2]).operator(t[3], t[4]), "without biases"),
        (lambda t: Landscape("erf(z)", t[0], t[1], t[2]).value_and_gradient(t[3], t[4]), "b_t"),
        (
            lambda t: Landscape("tanh(z)", t[0], t[1], t[2]).hessian(
                t[3], t[4], t[5], system="mpmath"
            ),
            "cannot be evaluated in 'mpmath'",
        ),
    ],
)
def test_bad_biases_in_one_line(make, message):
    with pytest.raises(SymhessError, match=message) as exc:
        make(_network())
    assert "\n" not in str(exc.value)
