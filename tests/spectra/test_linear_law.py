"""The linear network's eigenvalue law against closed forms and direct sampling.

Independent routes: the Marchenko-Pastur moments in closed form, adaptive quadrature of the
density, and eigenvalues of sampled Wishart matrices plus independently drawn chi-squares
(numpy's own generators, not symhess's teachers or spectra).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from symhess.errors import SymhessError
from symhess.spectra.linear_law import LinearLaw, ks_distance, ks_floor

SIZES = [(100, 200), (200, 100), (50, 50), (30, 90), (90, 30)]


def wishart_eigenvalues(d, h, matrices, rng):
    """Eigenvalues of ``W^T W`` with ``W_ij ~ N(0, 1/d)``, ``W`` of shape (h, d)."""
    out = []
    for _ in range(matrices):
        W = rng.normal(0.0, 1 / np.sqrt(d), size=(h, d))
        out.append(np.linalg.eigvalsh(W.T @ W))
    return np.concatenate(out)


@pytest.mark.parametrize("d, h", SIZES)
def test_marchenko_pastur_density_closed_form_moments(d, h):
    # mass min(1, h/d), mean h/d, second moment (h/d)^2 + h/d (MP with ratio y = d/h,
    # E x = 1, E x^2 = 1 + y, scaled by h/d), by adaptive quadrature of rho
    law = LinearLaw(d, h)
    lo, hi = law.mp_edges
    moment = [
        integrate.quad(lambda m, k=k: m**k * law.mp_pdf(m), lo, hi, limit=200)[0] for k in range(3)
    ]
    q = h / d
    assert moment[0] == pytest.approx(min(1.0, q), rel=1e-9)
    assert moment[1] == pytest.approx(q, rel=1e-9)
    assert moment[2] == pytest.approx(q * q + q, rel=1e-9)


@pytest.mark.parametrize("d, h", SIZES)
def test_marchenko_pastur_cdf_closed_form_equals_quadrature(d, h):
    law = LinearLaw(d, h)
    lo, hi = law.mp_edges
    mu = np.concatenate([[-1.0, 0.0, lo], np.linspace(lo, hi, 13)[1:-1], [hi, hi + 1]])
    expected = [
        (law.zero_weight if m >= 0 else 0.0)
        + (integrate.quad(law.mp_pdf, lo, min(m, hi), limit=200)[0] if m > lo else 0.0)
        for m in mu
    ]
    assert np.allclose(law.mp_cdf(mu), expected, atol=1e-10)


@pytest.mark.parametrize("d, h", [(300, 150), (150, 300), (200, 200)])
def test_marchenko_pastur_scaling_matches_sampled_wishart(d, h):
    rng = np.random.default_rng(11)
    mu = wishart_eigenvalues(d, h, 4, rng)
    mu[mu < 1e-9] = 0.0  # the d - h zero eigenvalues, exact zeros up to rounding: ties at
    # the atom of the shifted law test ks_distance's handling of jumps
    law = LinearLaw(d, h)
    mp = LinearLaw(d, h, chi_square=False)  # lambda = 1 + mu: the MP law shifted by 1
    D = ks_distance(mu + 1, mp)
    assert D < 0.02  # eigenvalues are rigid: finite-size deviations are O(1/d)
    if d != h:
        # the textbook law of (1/h) X^T X without the factor h/d (a plausible mistake) fails
        wrong = stats.kstest(mu, lambda m: law.mp_cdf(m * h / d)).statistic
        assert wrong > 0.1
    # and the exact finite-size moments of W^T W: E tr/d = h/d, E tr^2/d = (h/d)^2 (1 + (d+1)/h)
    q = h / d
    assert mu.mean() == pytest.approx(q, rel=0.01)
    assert np.mean(mu**2) == pytest.approx(q * q * (1 + (d + 1) / h), rel=0.02)


@pytest.mark.parametrize("d, h", SIZES + [(1000, 1000), (20, 400)])
def test_law_is_a_distribution_with_closed_form_moments(d, h):
    law = LinearLaw(d, h)
    lo, hi = law.support(1e-12)
    x = np.linspace(lo, hi, 20001)
    p = law.pdf(x)
    assert np.all(p >= 0)
    mass = np.trapezoid(p, x)
    mean = np.trapezoid(x * p, x)
    var = np.trapezoid((x - mean) ** 2 * p, x)
    assert mass == pytest.approx(1, abs=2e-6)
    assert mean == pytest.approx(1 + h / d, rel=2e-6)  # E||v||^2 + E mu
    assert var == pytest.approx(2 / h + h / d, rel=2e-5)  # chi-square plus MP variance
    # the cdf is the integral of the pdf
    cum = integrate.cumulative_trapezoid(p, x, initial=0.0)
    assert np.allclose(law.cdf(x[::997]), cum[::997], atol=2e-6)
    assert law.cdf(lo - 10) == 0.0 and law.cdf(hi + 10) == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("d, h", [(10, 3), (3, 10), (6, 1), (5, 2)])
def test_cdf_at_small_h_where_the_chi_square_is_not_smooth(d, h):
    # adaptive quadrature over mu of rho(mu) F_chi(lambda - mu), plus the atom's chi-square
    law = LinearLaw(d, h)
    chi = stats.chi2(h, scale=1 / h)
    lo, hi = law.mp_edges
    x = np.linspace(*law.support(1e-9), 9)[1:-1]
    expected = [
        law.zero_weight * chi.cdf(t)
        + integrate.quad(lambda m, t=t: law.mp_pdf(m) * chi.cdf(t - m), lo, hi, limit=400)[0]
        for t in x
    ]
    assert np.allclose(law.cdf(x), expected, atol=1e-6)


@pytest.mark.parametrize("d, h", [(400, 800), (800, 400)])
def test_law_matches_independent_sum_sample(d, h):
    # lambda = s + mu with s ~ chi^2_h / h drawn afresh for every eigenvalue: an almost
    # independent sample, so the textbook KS bound applies
    rng = np.random.default_rng(5)
    mu = wishart_eigenvalues(d, h, 3, rng)
    lam = mu + rng.chisquare(h, size=mu.size) / h
    law = LinearLaw(d, h)
    D = ks_distance(lam, law)
    assert D < 1.5 / np.sqrt(lam.size)  # p ~ 0.02 for independent draws
    # ... while the law without the mixture (h = d) fails, and for h < d (half the mass
    # at ||v||^2 alone) so does the law without the chi-square spread
    assert ks_distance(lam, LinearLaw(d, d)) > 5 / np.sqrt(lam.size)
    if h < d:
        assert ks_distance(lam, LinearLaw(d, h, chi_square=False)) > 5 / np.sqrt(lam.size)


def test_scale_and_ks_distance_agree_with_scipy():
    law = LinearLaw(60, 80, scale=4.0)
    rng = np.random.default_rng(2)
    x = 4.0 * (wishart_eigenvalues(60, 80, 2, rng) + rng.chisquare(80, 120) / 80)
    assert ks_distance(x, law) == pytest.approx(stats.kstest(x, law.cdf).statistic, abs=1e-12)
    base = LinearLaw(60, 80)
    assert np.allclose(law.pdf(x), base.pdf(x / 4) / 4)
    assert law.mean() == pytest.approx(4 * base.mean())


def test_ks_floor_is_the_two_sample_statistic():
    a = np.array([0.1, 0.2, 0.3, 0.4])
    b = np.array([0.25, 0.35, 0.45, 0.55])
    # F_a - F_b is largest at 0.2 and at 0.3 (2/4 - 0/4 and 3/4 - 1/4)
    assert ks_floor(a, b) == pytest.approx(0.5)


@pytest.mark.parametrize(
    "call",
    [
        lambda: LinearLaw(0, 3),
        lambda: LinearLaw(3, 2.5),
        lambda: LinearLaw(3, 2, scale=-1.0),
        lambda: ks_distance([], LinearLaw(3, 3)),
        lambda: ks_floor([], [1.0]),
    ],
)
def test_bad_input_is_one_line_error(call):
    with pytest.raises(SymhessError):
        call()
