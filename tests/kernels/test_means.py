"""Kernels with means (networks with biases) against independent routes: exact symbolic
kernels (polynomials), 2-D Gauss-Hermite and 1-D conditional integrals (erf), 1-D conditional
quadrature, finite differences in the means and 1-D integrals on parallel pairs (ReLU family),
and the bias-free kernels at zero means."""

from fractions import Fraction

import flint
import mpmath
import numpy as np
import pytest
import scipy.special
import sympy
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.polynomial.hermite_e import hermegauss
from scipy import integrate
from scipy.stats import norm

from symhess.errors import SymhessError
from symhess.kernels import quadrature_kernels, resolve
from symhess.kernels.gauss import owens_t_mpmath
from symhess.symbolic.means import M1, M2, mean_kernels
from symhess.symbolic.moments import A, B, C
from symhess.symbolic.names import KERNEL_NAMES, MEAN_NAMES, ORDERS

POINTS = [
    (0.7, 1.1, 0.3, 0.4, -0.6),
    (0.7, 1.1, 0.3, 0.0, -0.6),  # m1 = 0: the axis branch of Owen's formula
    (0.7, 1.1, 0.3, 0.4, 0.0),
    (0.7, 1.1, -0.3, 0.0, 0.0),
    (0.5, 2.0, 0.9, 1.5, -2.0),
    (1.3, 0.4, -0.6, -0.8, -0.2),
]
DIAGONAL = [(0.8, 0.8, 0.8, 0.5, 0.5), (0.8, 0.8, 0.8, -0.3, -0.3)]


# ----------------------------------------------------------------------------- polynomials
def _point(data):
    a = data.draw(st.fractions(min_value=Fraction(1, 8), max_value=3, max_denominator=9))
    b = data.draw(st.fractions(min_value=Fraction(1, 8), max_value=3, max_denominator=9))
    r = data.draw(st.fractions(min_value=-1, max_value=1, max_denominator=9))
    m = st.fractions(min_value=-3, max_value=3, max_denominator=7)
    return a, b, r * min(a, b), data.draw(m), data.draw(m)  # |c| <= sqrt(ab)


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.fractions(min_value=-3, max_value=3, max_denominator=7), min_size=1, max_size=5),
    st.data(),
)
def test_polynomial_kernels_with_means_are_exact_in_every_system(coeffs, data):
    while coeffs and coeffs[-1] == 0:
        coeffs = coeffs[:-1]
    if not coeffs or len(coeffs) == 1:
        coeffs = [*coeffs, Fraction(1, 2)] if coeffs else [0, 1]
    kernels = resolve([*coeffs])
    point = _point(data)
    S = mean_kernels(coeffs)
    subs = dict(
        zip(
            (A, B, C, M1, M2),
            (sympy.Rational(x.numerator, x.denominator) for x in point),
            strict=True,
        )
    )
    want = [sympy.Rational(S[n].subs(subs)) for n in MEAN_NAMES]
    frac = kernels.with_means(*(np.array(x, dtype=object) for x in point), system="fraction")
    fq = kernels.with_means(
        *(np.array(flint.fmpq(x.numerator, x.denominator), dtype=object) for x in point),
        system="fmpq",
    )
    flt = kernels.with_means(*(float(x) for x in point))
    with mpmath.workdps(40):
        mp = kernels.with_means(
            *(np.array(mpmath.mpf(x.numerator) / x.denominator, dtype=object) for x in point),
            system="mpmath",
        )
        for w, fr, q, f, m in zip(want, frac, fq, flt, mp, strict=True):
            fr, q, m = (np.asarray(x).item() for x in (fr, q, m))
            assert Fraction(fr) == Fraction(int(w.p), int(w.q))
            assert Fraction(int(q.p), int(q.q)) == Fraction(int(w.p), int(w.q))
            scale = 1 + abs(float(w))
            assert abs(float(f) - float(w)) <= 1e-12 * scale
            assert abs(m - mpmath.mpf(int(w.p)) / int(w.q)) <= mpmath.mpf(10) ** -35 * scale


# ----------------------------------------------------------------------------- erf
_ERF = [
    scipy.special.erf,
    lambda z: 2 / np.sqrt(np.pi) * np.exp(-z * z),
    lambda z: -4 * z / np.sqrt(np.pi) * np.exp(-z * z),
    lambda z: (8 * z * z - 4) / np.sqrt(np.pi) * np.exp(-z * z),
]


def _gauss_hermite(f, g, a, b, c, m1, m2, n=120):
    x, w = hermegauss(n)
    w = w / w.sum()
    X, Y = np.meshgrid(x, x, indexing="ij")
    u = np.sqrt(a) * X
    v = c / np.sqrt(a) * X + np.sqrt(max(b - c * c / a, 0.0)) * Y
    return float(np.sum(np.outer(w, w) * f(m1 + u) * g(m2 + v)))


@pytest.mark.parametrize("spec,alpha,beta", [("erf(z)", 1.0, 1.0), ("1.5*erf(0.6*z)", 0.6, 1.5)])
def test_erf_kernels_with_means_against_gauss_hermite(spec, alpha, beta):
    kernels = resolve(spec)
    for point in POINTS + DIAGONAL:
        K = kernels.with_means(*point)
        for name, k in zip(MEAN_NAMES, K, strict=True):
            p, q = ORDERS[name]
            f = lambda z, p=p: beta * alpha**p * _ERF[p](alpha * z)  # noqa: E731
            g = lambda z, q=q: beta * alpha**q * _ERF[q](alpha * z)  # noqa: E731
            assert abs(k - _gauss_hermite(f, g, *point)) < 1e-13, (name, point)


@pytest.mark.parametrize("point", [POINTS[0], POINTS[1], DIAGONAL[0]])
def test_erf_k00_in_mpmath_against_a_conditional_integral(point):
    # E[erf(m1 + u) erf(m2 + w)] = int phi(x) erf(m1 + sqrt(a) x) erf(mu(x) / sqrt(1 + 2 r)) dx
    # (E[erf(mu + s Z)] = erf(mu / sqrt(1 + 2 s^2))): one dimension, no Owen's T
    kernels = resolve("erf(z)")
    with mpmath.workdps(30):
        a, b, c, m1, m2 = (mpmath.mpf(t) for t in point)
        r = b - c * c / a

        def integrand(x):
            mu = m2 + c / mpmath.sqrt(a) * x
            return (
                mpmath.npdf(x)
                * mpmath.erf(m1 + mpmath.sqrt(a) * x)
                * mpmath.erf(mu / mpmath.sqrt(1 + 2 * r))
            )

        ref = mpmath.quad(integrand, [-mpmath.inf, 0, mpmath.inf])
        K = kernels.with_means(
            *(np.array([t], dtype=object) for t in (a, b, c, m1, m2)), system="mpmath"
        )
        assert abs(K[0][0] - ref) < mpmath.mpf(10) ** -25


def test_owens_t_in_mpmath_matches_scipy():
    for h in (0.0, 0.3, -1.2, 2.5):
        for a in (0.0, 0.4, -0.9, 1.0, 3.7, -25.0, np.inf):
            with mpmath.workdps(30):
                assert abs(float(owens_t_mpmath(h, a)) - scipy.special.owens_t(h, a)) < 1e-15


@pytest.mark.parametrize("spec", ["erf(z)", "2*erf(3*z)", "relu(z)", "abs(z)", "z + z**3/3"])
def test_zero_means_give_the_bias_free_kernels(spec):
    kernels = resolve(spec)
    a, b, c = np.array([0.7, 0.8, 0.5]), np.array([1.1, 0.8, 2.0]), np.array([0.3, 0.8, -0.9])
    base = kernels(a, b, c)
    mine = kernels.with_means(a, b, c, 0 * a, 0 * a)
    for name, k0, k1 in zip(KERNEL_NAMES, base, mine, strict=False):
        np.testing.assert_allclose(k1, k0, rtol=1e-13, atol=1e-15, err_msg=name)
    if "erf" in spec:
        assert np.all(mine[MEAN_NAMES.index("K10")] == 0)  # erf is odd, erf' even


# ----------------------------------------------------------------------------- ReLU family
FAMILY = [("relu(z)", 0.0, 1.0), ("leaky_relu(z, 0.1)", 0.1, 0.9), ("abs(z)", -1.0, 2.0)]


def _expect(q, m, r, alpha, beta):
    """``E[sigma^(q)(m + r Z)]`` for sigma = alpha z + beta relu(z), closed form in 1-D."""
    h = m / r
    return [
        alpha * m + beta * (m * norm.cdf(h) + r * norm.pdf(h)),
        alpha + beta * norm.cdf(h),
        beta * norm.pdf(h) / r,
        -beta * h * norm.pdf(h) / r**2,
    ][q]


def _conditional(p, q, a, b, c, m1, m2, alpha, beta):
    """``E[sigma^(p)(X) sigma^(q)(Y)]``, ``p <= 1``: the inner expectation in closed form,
    the outer by scipy quad split at the kink."""
    r1, r2 = np.sqrt(a), np.sqrt(b)
    rho = c / (r1 * r2)
    s = np.sqrt(1 - rho**2)

    def integrand(z):
        X = m1 + r1 * z
        outer = alpha * X + beta * max(X, 0.0) if p == 0 else alpha + beta * (X > 0)
        return norm.pdf(z) * outer * _expect(q, m2 + r2 * rho * z, r2 * s, alpha, beta)

    return integrate.quad(
        integrand, -12, 12, points=[-m1 / r1], limit=200, epsabs=1e-14, epsrel=1e-13
    )[0]


@pytest.mark.parametrize("spec,alpha,beta", FAMILY)
def test_relu_family_with_means_against_conditional_quadrature(spec, alpha, beta):
    kernels = resolve(spec)
    for point in POINTS:
        K = dict(zip(MEAN_NAMES, kernels.with_means(*point), strict=True))
        for name in ("K00", "K11", "K10", "K01", "K12", "K13"):
            p, q = ORDERS[name]
            ref = _conditional(p, q, *point, alpha, beta)
            assert abs(K[name] - ref) < 1e-12 * (1 + abs(ref)), (name, point)


@pytest.mark.parametrize("spec", ["relu(z)", "leaky_relu(z, 0.3)"])
def test_relu_family_derivative_kernels_are_mean_derivatives(spec):
    # Price with means: K20 = d_m1 K10, K21 = d_m1 K11, K31 = d_m1 K21, K22 = d_m2 K21, ...
    kernels = resolve(spec)
    e = 1e-5
    for a, b, c, m1, m2 in POINTS:

        def k(name, d1=0.0, d2=0.0, a=a, b=b, c=c, m1=m1, m2=m2):
            return kernels.with_means(a, b, c, m1 + d1, m2 + d2)[MEAN_NAMES.index(name)]

        fd = {
            "K20": (k("K10", e) - k("K10", -e)) / (2 * e),
            "K21": (k("K11", e) - k("K11", -e)) / (2 * e),
            "K12": (k("K11", 0, e) - k("K11", 0, -e)) / (2 * e),
            "K31": (k("K21", e) - k("K21", -e)) / (2 * e),
            "K22": (k("K21", 0, e) - k("K21", 0, -e)) / (2 * e),
            "K13": (k("K12", 0, e) - k("K12", 0, -e)) / (2 * e),
        }
        for name, value in fd.items():
            assert abs(k(name) - value) < 1e-7 * (1 + abs(value)), (name, (a, b, c, m1, m2))


@pytest.mark.parametrize(
    "point",
    [
        (0.5, 2.0, 1.0, 0.3, -0.4),
        (0.5, 2.0, -1.0, 0.3, -0.4),
        (0.5, 2.0, -1.0, -0.3, 0.4),
        (0.6, 0.6, 0.6, 0.2, 0.2),
    ],
)
def test_relu_parallel_pairs_against_one_dimensional_integrals(point):
    # rho = +-1: X = m1 + r1 Z, Y = m2 +- r2 Z; the Hessian sees K20 + lam K11 (w_k = lam w_i)
    a, b, c, m1, m2 = point
    tau = np.sign(c) * np.sqrt(b)
    lam = tau / np.sqrt(a)
    K = dict(zip(MEAN_NAMES, resolve("relu(z)").with_means(*point), strict=True))

    def quad(g):
        return integrate.quad(
            lambda z: norm.pdf(z) * g(m1 + np.sqrt(a) * z, m2 + tau * z, z),
            -12,
            12,
            points=[-m1 / np.sqrt(a), -m2 / tau],
            limit=200,
        )[0]

    assert abs(K["K00"] - quad(lambda X, Y, z: max(X, 0) * max(Y, 0))) < 1e-10
    assert abs(K["K10"] - quad(lambda X, Y, z: (X > 0) * max(Y, 0))) < 1e-10
    assert abs(K["K11"] - quad(lambda X, Y, z: (X > 0) * (Y > 0))) < 1e-10
    # E[1(X>0) x relu(Y)] = (K20 + lam K11) w_i: along w_i, E[1(X>0) Z relu(Y)] / sqrt(a)
    ref = quad(lambda X, Y, z: (X > 0) * z * max(Y, 0)) / np.sqrt(a)
    assert abs(K["K20"] + lam * K["K11"] - ref) < 1e-10
    # E[1_i 1_k x x^T] along w_i w_i^T: K31 + 2 lam K22 + lam^2 K13 = (M2 - P) / a
    ref = quad(lambda X, Y, z: (X > 0) * (Y > 0) * (z * z - 1)) / a
    assert abs(K["K31"] + 2 * lam * K["K22"] + lam**2 * K["K13"] - ref) < 1e-10


@pytest.mark.parametrize("spec", ["relu(z)", "abs(z)", "erf(z)"])
def test_mpmath_matches_float64(spec):
    kernels = resolve(spec)
    for point in POINTS + DIAGONAL:
        K = kernels.with_means(*point)
        with mpmath.workdps(30):
            Km = kernels.with_means(
                *(np.array([mpmath.mpf(t)], dtype=object) for t in point), system="mpmath"
            )
        for k, km in zip(K, Km, strict=True):
            assert abs(float(km[0]) - float(k)) < 1e-14 * (1 + abs(float(k)))


def test_kernels_without_means_are_refused_in_one_line():
    from symhess.kernels import Kernels

    k = resolve("erf(z)")
    plain = Kernels(k.activation, "test", lambda a, b, c, s: k(a, b, c), k._coefficients)
    with pytest.raises(SymhessError, match="no kernels with means"):
        plain.with_means(1.0, 1.0, 0.5, 0.1, 0.2)
    with pytest.raises(SymhessError, match="cannot be evaluated in 'fmpq'"):
        k.with_means(1.0, 1.0, 0.5, 0.1, 0.2, system="fmpq")


# ----------------------------------------------------------------------------- quadrature
def test_quadrature_with_means_against_the_erf_closed_form():
    # the quadrature route of any smooth activation, shifted by the means, on erf
    q = quadrature_kernels("erf(z)")
    points = [*POINTS, *DIAGONAL, (1.0, 0.5, 0.2, 9.0, -12.0)]  # and means beyond the window
    a, b, c, m1, m2 = (np.array(x) for x in zip(*points, strict=True))
    Kq = q.with_means(a, b, c, m1, m2)
    Ke = resolve("erf(z)").with_means(a, b, c, m1, m2)
    for name, x, y in zip(MEAN_NAMES, Kq, Ke, strict=True):
        np.testing.assert_allclose(x, y, rtol=0, atol=1e-13, err_msg=name)
    r = q.evaluate_means(a, b, c, m1, m2)
    for name, x, y, e in zip(MEAN_NAMES, r.values, Ke, r.errors, strict=True):
        assert np.all(np.abs(x - y) <= e), name  # every entry within its own estimate
    assert r.error_estimate <= q.tol
    assert "shifted by the biases" in q.means_origin
    with pytest.raises(SymhessError, match="cannot be evaluated in 'mpmath'"):
        q.with_means(a, b, c, m1, m2, system="mpmath")


def _shifted_brute(derivs, a, b, c, m1, m2, step=0.02, L=12.0):
    """``E[sigma^(p)(m1 + u) sigma^(q)(m2 + w)]`` for every derivative ``derivs`` gives, by a
    fixed tensor trapezoid rule in ``(x, y)`` (no adaptivity, no Mehler series, no lattice)."""
    rho = c / np.sqrt(a * b)
    s = np.sqrt(1 - rho * rho)
    x = step * np.arange(-round(L / step), round(L / step) + 1)
    w = step * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)
    fu = np.array(derivs(m1 + np.sqrt(a) * x))
    fw = np.array(derivs(m2 + np.sqrt(b) * (rho * x[:, None] + s * x[None, :])))
    return (fu * w) @ (fw @ w).T


def test_quadrature_with_means_of_tanh_against_a_brute_force_rule():
    def tanh_all(z):
        t = np.tanh(z)
        u = 1 - t * t
        return [t, u, -2 * t * u, u * (6 * t * t - 2)]

    q = quadrature_kernels("tanh(z)")
    points = [(0.7, 1.1, 0.3, 0.4, -0.6), (2.0, 0.5, -0.9, -1.5, 2.5), (1.0, 1.0, 0.999, 3.0, -0.2)]
    for a, b, c, m1, m2 in points:
        r = q.evaluate_means(a, b, c, m1, m2)
        T = _shifted_brute(tanh_all, a, b, c, m1, m2)
        for name, x, e in zip(MEAN_NAMES, r.values, r.errors, strict=True):
            p, qq = ORDERS[name]
            assert abs(float(x) - T[p, qq]) <= float(e) + 1e-13, (name, a, b, c, m1, m2)


# ----------------------------------------------------------------------------- K30, K40
EXTRA_POINTS = [(0.7, 1.1, 0.3, 0.4, -0.6), (2.0, 0.5, -0.9, -1.5, 2.5), (0.8, 0.8, 0.8, 0.5, 0.5)]


def test_erf_k30_k40_with_means_are_mean_derivatives_and_match_quadrature():
    # Price's theorem with means: K_(p+1)0 = d K_p0 / d m1, central differences of the closed
    # form; and the quadrature route (shares no code with the closed form)
    e = resolve("2*erf(3*z/2)")
    q = quadrature_kernels("2*erf(3*z/2)")
    step = 1e-5
    for a, b, c, m1, m2 in EXTRA_POINTS:
        K = dict(zip(MEAN_NAMES, e.with_means(a, b, c, m1, m2), strict=True))
        X = e.evaluate_mean_extra(a, b, c, m1, m2)
        up = e.evaluate_mean_extra(a, b, c, m1 + step, m2).values
        down = e.evaluate_mean_extra(a, b, c, m1 - step, m2).values
        up20 = dict(zip(MEAN_NAMES, e.with_means(a, b, c, m1 + step, m2), strict=True))["K20"]
        down20 = dict(zip(MEAN_NAMES, e.with_means(a, b, c, m1 - step, m2), strict=True))["K20"]
        k30, k40 = (float(x) for x in X.values)
        assert abs((up20 - down20) / (2 * step) - k30) <= 1e-7 * (1 + abs(k30))
        assert abs((up[0] - down[0]) / (2 * step) - k40) <= 1e-7 * (1 + abs(k40))
        Q = q.evaluate_mean_extra(a, b, c, m1, m2)
        for x, y, err in zip(X.values, Q.values, Q.errors, strict=True):
            assert abs(float(x) - float(y)) <= float(err) + 1e-14
        assert abs(float(K["K10"])) > 0  # a generic point


def test_polynomial_k30_k40_with_means_against_a_brute_force_rule():
    coeffs = [Fraction(1, 2), 1, Fraction(-1, 3), Fraction(1, 5), Fraction(1, 7)]
    k = resolve(coeffs)
    poly = np.polynomial.Polynomial([float(x) for x in coeffs])

    def derivs(z):
        return [poly.deriv(j)(z) if j else poly(z) for j in range(5)]

    for a, b, c, m1, m2 in EXTRA_POINTS[:2]:
        T = _shifted_brute(derivs, a, b, c, m1, m2, step=0.05)
        X = k.evaluate_mean_extra(a, b, c, m1, m2)
        assert X.errors is None
        for name, x in zip(("K30", "K40"), X.values, strict=True):
            p, q = ORDERS[name]
            assert abs(float(x) - T[p, q]) <= 1e-11 * (1 + abs(T[p, q])), name
        exact = k.evaluate_mean_extra(
            *(Fraction(x).limit_denominator(100) for x in (a, b, c, m1, m2)), system="fraction"
        )
        assert all(isinstance(x, Fraction) for x in exact.values)


def test_the_relu_family_has_no_k30_k40_with_means():
    with pytest.raises(SymhessError, match="K30, K40 with means"):
        resolve("relu(z)").evaluate_mean_extra(1.0, 1.0, 0.5, 0.1, 0.2)
