"""The landscape room for the ReLU family: critical points (the non-smooth ones at w_i = 0
named, never classified), ranks at the minima of wider students against the certified rank
and the family's theory, and copies matched by direction."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg

import symhess
from symhess import Landscape
from symhess.errors import SymhessError
from symhess.landscape import (
    classify,
    critical_points,
    gradient_flow,
    initial_student,
    minimum_structure,
    wider_minima,
)
from symhess.landscape.wider import symmetries
from symhess.rank.measure import certified_rank, rational_teacher


def test_survey_names_non_smooth_points_and_checks_every_saddle_by_the_loss():
    t = symhess.sample_teacher(3, 2, seed=0)
    ls = Landscape("relu(z)", t.W, t.v)
    survey = critical_points(ls, 2, starts=6, seed=0)
    assert not survey.failures and len(survey.points) == 6
    kinds = {p.kind for p in survey.points}
    assert {"saddle", "non-smooth"} <= kinds
    scale = np.max(np.linalg.norm(t.W, axis=1))
    for p in survey.points:
        W, v = ls.split(p.theta)
        assert p.grad_norm <= 1e-12
        small = np.linalg.norm(W, axis=1) <= np.sqrt(np.finfo(float).eps) * scale
        if p.kind == "non-smooth":
            assert small.any() and p.index is None and p.rank is None and p.eigenvalues.size == 0
            assert "not twice differentiable" in p.notes[0]
            continue
        assert not small.any()
        if p.kind != "saddle":
            continue
        # the loss itself falls to second order along the most negative eigenvector
        lam, U = scipy.linalg.eigh(ls.hessian(W, v))
        u = U[:, 0]
        for eps in (1e-3, 2e-3):
            dl = (ls.loss(*ls.split(p.theta + eps * u)) + ls.loss(*ls.split(p.theta - eps * u))) / 2
            dl -= ls.loss(W, v)
            assert abs(dl - eps**2 * lam[0] / 2) <= 2e-2 * abs(eps**2 * lam[0] / 2)
    assert survey.counts()["non-smooth"] >= 1


def test_the_teacher_and_the_origin():
    """The teacher: a global minimum of rank P - h (one flat rescaling direction per neuron),
    as the certificate in ball arithmetic proves. Near the origin the loss is not twice
    differentiable: named, not classified; at the origin itself refused with the reason."""
    t = rational_teacher(3, 2, seed=2)
    ls = Landscape("relu(z)", t.W, t.v)
    top = classify(ls, ls.flat(t.W, t.v))
    cert = certified_rank("relu(z)", t.W, t.v)
    assert cert.decided and top.kind == "global minimum" and top.rank == cert.rank == 6
    near = classify(ls, 1e-20 * ls.flat(t.W, t.v))
    assert near.kind == "non-smooth" and near.index is None
    with pytest.raises(SymhessError, match="row 0 is zero"):
        classify(ls, np.zeros(8))


@pytest.mark.parametrize("act", ["relu(z)", "abs(z)"])
def test_ranks_at_wider_minima(act):
    """The teacher's rank is P_t - h_t (certified); an extra neuron switched off adds exactly
    one function, split copies none; a generic wider network has rank P_s - h_s; the kind at
    w = 0 is not measured (50 digits, gaps > 1e20)."""
    t = rational_teacher(3, 2, seed=1)
    ls = Landscape(act, t.W, t.v)
    report = wider_minima(ls, (1, 2))
    assert report.method == "mpmath"
    assert report.teacher.rank == certified_rank(act, t.W, t.v).rank == 6
    for row in report.rows:
        assert set(row.ranks) == {"zeroed", "split"}
        assert row.ranks["zeroed"].rank == 6 + row.h_e and row.ranks["split"].rank == 6
        assert row.generic.rank == row.params - row.h_s
        assert all(r.decided and r.gap_ratio > 1e20 for r in row.ranks.values())
        assert max(row.residual.values()) <= 1e-15
    assert any("not measured for the ReLU family" in n for n in report.notes)


def test_copies_are_matched_by_direction():
    rng = np.random.default_rng(0)
    w = rng.normal(size=3)
    W = np.array([w, 2.5 * w, rng.normal(size=3)])
    v = np.array([0.4, 0.2, 1.0])
    relu = symmetries(symhess.resolve("relu(z)"))
    assert relu == {"odd": False, "even": False, "homogeneous": True}
    assert minimum_structure(W, v, **relu).copies == [[0, 1]]
    assert minimum_structure(W, v).copies == []  # not the same w
    W[1] = -2.5 * w
    assert minimum_structure(W, v, **relu).copies == []
    absolute = symmetries(symhess.resolve("abs(z)"))
    assert absolute["even"] and absolute["homogeneous"]
    assert minimum_structure(W, v, **absolute).copies == [[0, 1]]  # |(-w) . x| = |w . x|


@pytest.mark.parametrize("act", ["relu(z)", "abs(z)"])
def test_gradient_flow_conserves_each_neurons_balance(act):
    """Positive homogeneity (sigma'(z) z = sigma(z)) makes |w_i|^2 - v_i^2 a constant of the
    flow: an identity the gradient does not know about, checked on the solver's path."""
    t = symhess.sample_teacher(3, 2, seed=5)
    ls = Landscape(act, t.W, t.v)
    W0, v0 = initial_student(t.W, t.v, 3, "random", seed=1)
    flow = gradient_flow(ls, W0, v0, 5.0, rtol=1e-8, atol=1e-11)
    assert flow.loss[-1] < 0.3 * flow.loss[0]
    balance = []
    for th in flow.theta:
        W, v = ls.split(th, 3)
        balance.append(np.sum(W * W, axis=1) - v * v)
    balance = np.array(balance)
    assert np.max(np.abs(balance - balance[0])) <= 1e-6 * np.max(np.abs(balance[0]))
