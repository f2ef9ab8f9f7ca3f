"""Critical points from many starts: every point reported is critical (measured), each
saddle's negative curvature is confirmed by the loss alone, failures are kept."""

from __future__ import annotations

import numpy as np
import scipy.linalg

import symhess
from symhess import Landscape
from symhess.landscape import classify, critical_points


def test_survey_finds_minima_and_saddles_and_each_is_what_it_says():
    t = symhess.sample_teacher(2, 2, seed=3)
    ls = Landscape("erf(z)", t.W, t.v)
    survey = critical_points(ls, 2, starts=8, seed=0)
    assert len(survey.points) + len(survey.failures) == 8
    assert survey.points, survey.failures
    kinds = {p.kind for p in survey.distinct}
    assert "saddle" in kinds
    for p in survey.points:
        W, v = ls.split(p.theta)
        assert np.linalg.norm(ls.gradient(W, v)) <= 1e-12
        if p.kind != "saddle":
            continue
        # independent of the Hessian: the loss itself decreases to second order along the
        # most negative eigenvector, L(theta +- eps u) - L(theta) ~ eps^2 lambda / 2
        lam, U = scipy.linalg.eigh(ls.hessian(W, v))
        u = U[:, 0]
        for eps in (1e-3, 2e-3):
            dl = (ls.loss(*ls.split(p.theta + eps * u)) + ls.loss(*ls.split(p.theta - eps * u))) / 2
            dl -= ls.loss(W, v)
            assert abs(dl - eps**2 * lam[0] / 2) <= 1e-2 * abs(eps**2 * lam[0] / 2)
    for f in survey.failures:
        assert f.startswith("start ") and "\n" not in f
    # distinct critical values: sorted by loss, no (index, loss) twice
    keys = [(p.index, round(p.loss, 10)) for p in survey.distinct]
    assert len(keys) == len(set(keys))


def test_the_teacher_is_a_global_minimum_and_the_zero_network_a_saddle():
    """Two critical points known in closed form. The teacher: L = 0, full rank for erf. The
    zero network W = 0, v = 0 (f = 0, so grad L = 0 for an odd activation): there
    G = 0 and R pairs each neuron's w_i with its v_i through rho = -sigma'(0) E[f_t x]
    = -sigma'(0) sum_m v_t,m E[sigma'(w_t,m . x)] w_t,m, so the eigenvalues are +-|rho|
    (h_s times each) and zeros: index h_s, rank 2 h_s. For erf sigma'(0) = 2/sqrt(pi) and
    E[erf'(w . x)] = (2/sqrt(pi)) / sqrt(1 + 2|w|^2)."""
    t = symhess.sample_teacher(3, 2, seed=4)
    ls = Landscape("erf(z)", t.W, t.v)
    top = classify(ls, ls.flat(t.W, t.v))
    assert top.kind == "global minimum" and top.rank == 8 and abs(top.loss) <= 100 * top.loss_floor
    zero = classify(ls, np.zeros(8))
    assert zero.grad_norm == 0.0
    assert zero.kind == "saddle" and zero.index == 2 and zero.rank == 4 and zero.nullity == 4
    c = 2 / np.sqrt(np.pi)
    rho = c * sum(vm * c / np.sqrt(1 + 2 * wm @ wm) * wm for wm, vm in zip(t.W, t.v, strict=True))
    lam = zero.eigenvalues
    want = np.array([-1, -1, 1, 1]) * np.linalg.norm(rho)
    assert np.allclose(lam[[0, 1, -2, -1]], want, rtol=1e-13)


def test_a_start_whose_kernels_fail_is_a_failure_of_that_start(monkeypatch):
    """A start that runs off to weights no kernel can resolve (tanh at |w| ~ 100: the
    quadrature refuses) ends that start with the reason; the survey goes on."""
    import symhess.landscape.critical as critical
    from symhess.errors import SymhessError

    real = critical.critical_search
    calls = []

    def flaky(landscape, theta, **kw):
        calls.append(1)
        if len(calls) == 2:
            raise SymhessError("kernels of 'erf(z)': the weights are too large")
        return real(landscape, theta, **kw)

    monkeypatch.setattr(critical, "critical_search", flaky)
    t = symhess.sample_teacher(2, 2, seed=3)
    survey = critical_points(Landscape("erf(z)", t.W, t.v), 2, starts=3, seed=0)
    assert len(survey.points) + len(survey.failures) == 3
    assert any(f.startswith("start 1: stopped: kernels of") for f in survey.failures)


def test_a_search_that_runs_off_stops_with_the_reason(monkeypatch):
    import symhess.landscape.newton as newton

    t = symhess.sample_teacher(2, 2, seed=3)
    ls = Landscape("erf(z)", t.W, t.v)
    theta = ls.flat(3 * t.W, t.v)
    # the trust-region fallback from the start may find the minimum (it does here): then the
    # result is that minimum, measured
    res = newton.critical_search(ls, theta, max_norm=1e-3)
    if res.converged:
        W, v = ls.split(res.theta)
        assert np.linalg.norm(ls.gradient(W, v)) <= 1e-12
    # without it, the run-away is the stated failure
    failed = newton.NewtonResult(theta, False, [1.0], "no")
    monkeypatch.setattr(newton, "newton_polish", lambda *a, **k: failed)
    res = newton.critical_search(ls, theta, max_norm=1e-3)
    assert not res.converged
    assert res.message.startswith("ran off to a student row of norm")
