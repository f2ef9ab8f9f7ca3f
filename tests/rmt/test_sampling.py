"""Sampled H0 + H1 against the free-probability density (n = 2000) and exact moments.

Error models: the index is compared with ``4 SE + 1/n`` (SE = scatter over independent
matrices; 1/n allows one eigenvalue of finite-size shift). The KS distance of pooled
eigenvalues is compared with ``6/n``: eigenvalues are rigid (the counting function of one
matrix fluctuates by O(sqrt(log n)) eigenvalues, not O(sqrt(n))), and KS * n measured 1.6 to
3.4 over 60 samples at n = 500, 1000, 2000; the iid Kolmogorov bound 1.63 / sqrt(N) would be
ten times looser and would not notice a 5% error in eps.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.integrate import quad

from symhess.errors import SymhessError
from symhess.rmt import sampling as rs
from symhess.rmt import theory as rd

N = 2000


# Bulk, phi > 1 (two merged pieces), and just above the critical energy (small index).
CASES = [(0.5, 0.2), (2.0, 0.05), (0.5, 2 * rd.eps_c(0.5))]


@pytest.fixture(scope="module")
def samples():
    return {
        case: rs.sample_eigenvalues(N, phi=case[0], eps=case[1], repeats=2, seed=11 + k)
        for k, case in enumerate(CASES)
    }


@pytest.fixture(scope="module")
def checks(samples):
    return {case: rs.index_check(eig, phi=case[0], eps=case[1]) for case, eig in samples.items()}


def test_index_agrees_within_sampling_error(checks):
    for (phi, eps), c in checks.items():
        assert c.n == N and c.repeats == 2
        assert c.phi == pytest.approx(N / rs.data_points(N, phi))
        assert c.theory == pytest.approx(rd.index(eps, phi=c.phi))
        assert c.agrees, (phi, eps, c)
        assert c.allowance < 0.002  # the check is tight: a few eigenvalues out of 2000


def test_ks_distance_small(checks):
    for c in checks.values():
        assert c.ks < 6.0 / N, c


def test_ks_notices_wrong_parameters(samples):
    phi, eps = CASES[0]
    eig = samples[CASES[0]]
    phi = N / rs.data_points(N, phi)
    # 5% off in eps (e.g. variance eps instead of 2 eps would be 50%) or in phi: caught
    assert rs.ks_to_theory(eig, phi=phi, eps=1.05 * eps) > 6.0 / N
    assert rs.ks_to_theory(eig, phi=1.05 * phi, eps=eps) > 6.0 / N


def test_moments_exact_expectation_and_theory():
    """Second moment: E tr(H^2)/n = 1 + (n+1)/m + 2 eps (n+1)/n exactly (Wick), and the
    density's moments are 1 and 1 + phi + 2 eps (free cumulants add)."""
    n, phi, eps, reps = 300, 0.5, 0.3, 40
    m = rs.data_points(n, phi)
    rng = np.random.default_rng(3)
    first, second = [], []
    for _ in range(reps):
        H = rs.sample_hessian(n, phi=phi, eps=eps, rng=rng)
        assert np.array_equal(H, H.T)
        first.append(np.trace(H) / n)
        second.append(np.sum(H * H) / n)
    expect1, expect2 = 1.0, 1.0 + (n + 1) / m + 2 * eps * (n + 1) / n
    for values, expect in ((first, expect1), (second, expect2)):
        se = np.std(values, ddof=1) / math.sqrt(reps)
        assert abs(np.mean(values) - expect) < 4 * se
    lo, hi = rd.support(phi=phi, eps=eps)[0]
    m1 = quad(lambda x: x * rd.density(x, phi=phi, eps=eps), lo, hi)[0]
    m2 = quad(lambda x: x * x * rd.density(x, phi=phi, eps=eps), lo, hi)[0]
    assert m1 == pytest.approx(1.0, abs=1e-8)
    assert m2 == pytest.approx(1.0 + phi + 2 * eps, abs=1e-8)


def test_bad_input():
    rng = np.random.default_rng(0)
    with pytest.raises(SymhessError, match="at least 2"):
        rs.sample_hessian(1, phi=0.5, eps=0.1, rng=rng)
    with pytest.raises(SymhessError, match="phi > 0"):
        rs.sample_hessian(10, phi=-0.5, eps=0.1, rng=rng)
    with pytest.raises(SymhessError, match="at least 2 repeats"):
        rs.check_index(10, phi=0.5, eps=0.1, repeats=1, seed=0)
    with pytest.raises(SymhessError, match="at least 2 matrices"):
        rs.index_check(np.zeros((1, 10)), phi=0.5, eps=0.1)
