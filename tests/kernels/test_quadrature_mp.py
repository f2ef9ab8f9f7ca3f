"""High-precision kernels of smooth activations (the mpmath number system, in arb)."""

from __future__ import annotations

import flint
import mpmath
import numpy as np
import pytest

import symhess
from symhess.activation import activation
from symhess.activation.evaluate import arb_derivative_evaluator, derivative_evaluator
from symhess.curvature import kernel_matrices
from symhess.kernels import quadrature_mp
from symhess.kernels.quadrature import QuadratureKernels, quadrature_kernels
from symhess.rank.measure import mpmath_rank, rational_teacher


def mp_array(x):
    return np.vectorize(mpmath.mpf, otypes=[object])(x)


@pytest.mark.parametrize(("d", "h", "dps"), [(3, 2, 30), (4, 4, 50)])
def test_erf_by_quadrature_equals_its_closed_form(d, h, dps):
    t = rational_teacher(d, h, seed=0)
    quad = QuadratureKernels(activation("erf(z)"))
    with mpmath.workdps(dps):
        W = mp_array(t.W)
        got = kernel_matrices(quad, W, system="mpmath")
        want = kernel_matrices(symhess.resolve("erf(z)"), W, system="mpmath")
        assert got.error_estimate <= 10.0 ** (-(dps - 5))
        for name in got:
            diff = np.vectorize(lambda x: float(abs(x)))(got[name] - want[name])
            assert np.all(diff <= got.errors[name]), name


def test_negative_correlations_keep_their_sign():
    """mpf.man_exp drops the sign: a c < 0 once came out as |c| (K00 off by 0.3)."""
    quad = QuadratureKernels(activation("erf(z)"))
    with mpmath.workdps(20):
        a, b = mp_array([1.0]), mp_array([1.2])
        for c in (0.4, -0.4):
            got = quad(a, b, mp_array([c]), "mpmath")
            want = symhess.resolve("erf(z)")(a, b, mp_array([c]), "mpmath")
            for x, y in zip(got, want, strict=True):
                assert abs(x[0] - y[0]) < mpmath.mpf(10) ** -15


def test_tanh_at_high_precision_agrees_with_float64():
    t = rational_teacher(4, 3, seed=1)
    K = quadrature_kernels("tanh(z)")
    f64 = kernel_matrices(K, t.W)
    with mpmath.workdps(40):
        hi = kernel_matrices(K, mp_array(t.W), system="mpmath")
    assert hi.error_estimate < 1e-30 and hi.stats["digits"] == 40
    for name in hi:
        diff = np.abs(np.vectorize(float)(hi[name]) - f64[name])
        assert np.all(diff <= f64.errors[name] + 1e-16), name


def test_the_mpmath_rank_of_tanh():
    """The issue: the 50-digit rank of tanh(z) (it crashed: quadrature was float64 only)."""
    t = rational_teacher(3, 2, seed=0)
    r = mpmath_rank(quadrature_kernels("tanh(z)"), t.W, t.v, dps=50)
    assert r.rank == 8 and r.decided and r.how == "proven"
    assert 0 < r.kernel_error < 1e-40


def test_refusal_names_the_pair(monkeypatch):
    monkeypatch.setattr(quadrature_mp, "MP_MAX_TERMS", 128)
    W = np.array([[1.0, 0.0], [1.0, 0.1]])  # rho = 0.995
    with mpmath.workdps(30):
        with pytest.raises(symhess.SymhessError, match="needs more than 128 Mehler terms") as e:
            kernel_matrices(quadrature_kernels("tanh(z)"), mp_array(W), system="mpmath")
    assert "\n" not in str(e.value)


@pytest.mark.parametrize(
    "source",
    ["tanh(z)", "gelu(z)", "sigmoid(z)", "z + 0.1*sin(z)", "exp(-z**2/2)*z", "sqrt(1+z**2)"],
)
def test_arb_derivatives_match_float64(source):
    act = activation(source)
    f = derivative_evaluator(act.expr, 3)
    g = arb_derivative_evaluator(act.expr, 3)
    for z in (-2.5, 0.0, 0.7):
        got = [float(x.mid()) for x in g(flint.arb(z))]
        want = [float(x) for x in f(np.array(z))]
        assert np.allclose(got, want, rtol=1e-13, atol=1e-14), source


def test_arb_derivatives_keep_their_precision():
    """At 200 bits tanh'(0.5) = 1 - tanh(0.5)^2 to ~60 digits (constants made at that
    precision, not rounded through float64)."""
    saved = flint.ctx.prec
    flint.ctx.prec = 200
    try:
        g = arb_derivative_evaluator(activation("tanh(z/3)").expr, 1)
        got = g(flint.arb(1) / 2)[1]
        with mpmath.workdps(60):
            want = (1 - mpmath.tanh(mpmath.mpf(1) / 6) ** 2) / 3
            assert abs(mpmath.mpf(got.mid().str(70, radius=False)) - want) < mpmath.mpf(10) ** -55
    finally:
        flint.ctx.prec = saved
