"""Free convolution of Marchenko-Pastur and the semicircle, against independent routes.

Routes: SymPy (the cubic from the R-transforms, eps_c from the discriminant), adaptive
quadrature (scipy.integrate.quad, not the module's Gauss-Legendre rule), the classical closed
forms in the limits eps -> 0 (Marchenko-Pastur) and phi -> 0 (semicircle), bisection on the
density itself for the support edges.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy as sp
from scipy.integrate import quad

from symhess.errors import SymhessError
from symhess.rmt import theory as rd

PHIS = (0.1, 0.25, 0.5, 0.75, 0.9)


def test_cubic_follows_from_the_r_transforms():
    G, z, phi, eps = sp.symbols("G z phi epsilon")
    # R_MP(w) = 1/(1 - phi w) (ratio phi, mean 1); R_SC(w) = 2 eps w (variance 2 eps)
    relation = 1 / (1 - phi * G) + 2 * eps * G + 1 / G - z
    numerator = sp.expand(sp.numer(sp.together(relation)))
    issue = 2 * phi * eps * G**3 - (2 * eps + z * phi) * G**2 + (z + phi - 1) * G - 1
    assert sp.expand(numerator + issue) == 0
    # and the module's coefficients are this cubic
    a, b, c, d = rd._cubic(np.array([0.7]), 0.3, 0.2)
    coeffs = sp.Poly(issue.subs({z: 0.7, phi: 0.3, eps: 0.2}), G).all_coeffs()
    assert np.allclose([a[0], b[0], c[0], d[0]], [float(x) for x in coeffs])


def test_eps_c_is_the_root_of_the_discriminant_at_zero():
    G, phi, eps = sp.symbols("G phi epsilon", positive=True)
    cubic0 = 2 * phi * eps * G**3 - 2 * eps * G**2 + (phi - 1) * G - 1
    disc = sp.discriminant(cubic0, G)
    for p in (sp.Rational(1, 10), sp.Rational(1, 3), sp.Rational(3, 4)):
        roots = sp.Poly(sp.cancel(disc.subs(phi, p) / eps), eps).nroots(n=30)
        positive = [r for r in roots if r.is_real and r > 0]
        assert len(positive) == 1
        assert float(positive[0]) == pytest.approx(rd.eps_c(float(p)), rel=1e-13)


def test_discriminant_polynomial_matches_sympy():
    G, z = sp.symbols("G z")
    phi, eps = sp.Rational(3, 7), sp.Rational(2, 9)
    cubic = 2 * phi * eps * G**3 - (2 * eps + z * phi) * G**2 + (z + phi - 1) * G - 1
    exact = sp.Poly(sp.discriminant(cubic, G), z).all_coeffs()[::-1]
    assert np.allclose(rd.discriminant(phi=3 / 7, eps=2 / 9), [float(c) for c in exact])


@pytest.mark.parametrize(
    "phi, eps", [(0.1, 0.05), (0.5, 0.01), (0.5, 0.3), (0.9, 2.0), (2.0, 0.01), (4.0, 0.2)]
)
def test_density_integrates_to_one(phi, eps):
    pieces = rd.support(phi=phi, eps=eps)
    total = sum(
        quad(lambda x: float(rd.density(x, phi=phi, eps=eps)), lo, hi, limit=200)[0]
        for lo, hi in pieces
    )
    assert abs(total - 1.0) < 1e-6
    # the module's own cdf reaches 1 too, and nothing lies outside the support
    assert abs(rd.cdf(pieces[-1][1] + 1.0, phi=phi, eps=eps) - 1.0) < 1e-9
    outside = [pieces[0][0] - 0.5, pieces[-1][1] + 0.5]
    outside += [0.5 * (a[1] + b[0]) for a, b in zip(pieces[:-1], pieces[1:], strict=True)]
    assert np.all(rd.density(outside, phi=phi, eps=eps) == 0)


def test_density_is_the_stieltjes_inverse_of_an_imaginary_part():
    # Im G = -pi rho means the physical root has Im G < 0; check against the sum rule
    # int rho(x) / (z - x) dx at a point off the axis satisfying the cubic.
    phi, eps, z = 0.4, 0.15, 0.8 + 0.3j
    re = quad(lambda x: rd.density(x, phi=phi, eps=eps) * (z - x).real / abs(z - x) ** 2, -3, 6)
    im = quad(lambda x: rd.density(x, phi=phi, eps=eps) * (-(z.imag)) / abs(z - x) ** 2, -3, 6)
    g = re[0] + 1j * im[0]
    residual = 2 * phi * eps * g**3 - (2 * eps + z * phi) * g**2 + (z + phi - 1) * g - 1
    assert abs(residual) < 1e-7


def test_small_eps_is_marchenko_pastur():
    phi, eps = 0.3, 1e-7
    lo, hi = (1 - math.sqrt(phi)) ** 2, (1 + math.sqrt(phi)) ** 2
    x = np.linspace(lo + 0.05, hi - 0.05, 9)
    mp = np.sqrt((hi - x) * (x - lo)) / (2 * math.pi * phi * x)
    assert np.allclose(rd.density(x, phi=phi, eps=eps), mp, rtol=1e-4)
    assert rd.lower_edge(phi=phi, eps=eps) == pytest.approx(lo, abs=2e-3)


def test_small_phi_is_a_semicircle_around_one():
    phi, eps = 1e-8, 0.05
    s2 = 2 * eps
    x = np.linspace(1 - 1.9 * math.sqrt(s2), 1 + 1.9 * math.sqrt(s2), 9)
    semicircle = np.sqrt(4 * s2 - (x - 1) ** 2) / (2 * math.pi * s2)
    assert np.allclose(rd.density(x, phi=phi, eps=eps), semicircle, rtol=1e-5)


def _edge_by_bisection(phi, eps):
    """Lowest point where the density turns positive, from the density alone."""
    grid = np.linspace(-3.0, 3.0, 60001)
    inside = rd.density(grid, phi=phi, eps=eps) > 0
    k = int(np.argmax(inside))
    a, b = grid[k - 1], grid[k]
    for _ in range(60):
        mid = 0.5 * (a + b)
        if rd.density(mid, phi=phi, eps=eps) > 0:
            b = mid
        else:
            a = mid
    return 0.5 * (a + b)


@pytest.mark.parametrize("phi", PHIS)
def test_lower_edge_reaches_zero_at_eps_c(phi):
    ec = rd.eps_c(phi)
    assert ec > 0
    # discriminant route: exactly 0 at eps_c, changes sign around it
    assert abs(rd.lower_edge(phi=phi, eps=ec)) < 1e-12
    assert rd.lower_edge(phi=phi, eps=ec * (1 - 1e-3)) > 0
    assert rd.lower_edge(phi=phi, eps=ec * (1 + 1e-3)) < 0
    # density route (no discriminant): same edges
    for e in (ec * 0.8, ec * 1.2):
        assert _edge_by_bisection(phi, e) == pytest.approx(rd.lower_edge(phi=phi, eps=e), abs=1e-9)
    assert abs(_edge_by_bisection(phi, ec)) < 1e-8
    # and the index is 0 below eps_c, positive above
    assert rd.index(ec * 0.99, phi=phi) == 0.0
    assert rd.index(ec * 1.01, phi=phi) > 0.0


@pytest.mark.parametrize("phi", PHIS)
def test_three_halves_law_within_five_percent(phi):
    eps = rd.eps_c(phi) * 1.01
    law = rd.three_halves_law(eps, phi=phi)
    # the index by adaptive quadrature of the density, not the module's cdf
    lo = rd.lower_edge(phi=phi, eps=eps)
    computed = quad(lambda x: float(rd.density(x, phi=phi, eps=eps)), lo, 0.0, epsabs=1e-14)[0]
    assert computed == pytest.approx(rd.index(eps, phi=phi), rel=1e-8)
    assert abs(law / computed - 1) < 0.05
    # and the law is asymptotic: the error shrinks about tenfold per decade
    eps3 = rd.eps_c(phi) * 1.001
    assert abs(rd.three_halves_law(eps3, phi=phi) / rd.index(eps3, phi=phi) - 1) < 2e-3


def test_alpha_0_semicircle_limit():
    # phi -> 0: the semicircle of radius 1 centred at 1, alpha ~ (2/(3 pi)) delta^(3/2)
    assert rd.alpha_0(1e-7) == pytest.approx(2 / (3 * math.pi), rel=1e-5)
    assert rd.eps_c(1e-9) == pytest.approx(1 / 8, rel=1e-6)


@pytest.mark.parametrize("phi", (1.5, 2.0, 4.0))
def test_phi_above_one(phi):
    assert rd.eps_c(phi) == 0.0
    assert rd.index(1e-7, phi=phi) == pytest.approx((1 - 1 / phi) / 2, abs=2e-4)
    # index grows with energy and stays positive
    values = rd.index(np.array([1e-5, 1e-3, 0.1, 1.0]), phi=phi)
    assert np.all(values > 0) and np.all(np.diff(values) > 0)
    with pytest.raises(SymhessError, match="phi < 1"):
        rd.alpha_0(phi)


def test_index_monotone_in_eps():
    eps = np.linspace(0.02, 1.0, 12)
    values = rd.index(eps, phi=0.5)
    assert np.all(np.diff(values) > 0)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(phi=0.0, eps=0.1), "phi must be a positive"),
        (dict(phi=-1.0, eps=0.1), "phi must be a positive"),
        (dict(phi=float("nan"), eps=0.1), "phi must be a positive"),
        (dict(phi=0.5, eps=0.0), "eps must be a positive"),
        (dict(phi=0.5, eps=float("inf")), "eps must be a positive"),
    ],
)
def test_bad_input(kwargs, match):
    with pytest.raises(SymhessError, match=match):
        rd.density(0.5, **kwargs)
    with pytest.raises(SymhessError, match=match):
        rd.support(**kwargs)
