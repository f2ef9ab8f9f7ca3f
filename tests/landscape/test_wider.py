"""Ranks at the global minima of wider students: exact (polynomials) against the rank of the
function-space Jacobian, high precision for erf, and the flat directions of split minima."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from symhess import Landscape, rational_teacher
from symhess.landscape import (
    minimum_structure,
    second_order_obstruction,
    split,
    split_directions,
    wider_minima,
    zeroed,
)

from ..rank_oracles import jacobian_rank

POLYS = {
    "z + z**2/2": [Fraction(0), Fraction(1), Fraction(1, 2)],
    "z + z**2/2 + z**3/6": [Fraction(0), Fraction(1), Fraction(1, 2), Fraction(1, 6)],
}


def _fractions(a):
    return np.array([Fraction(float(x)) for x in np.ravel(a)], dtype=object).reshape(np.shape(a))


@pytest.mark.parametrize("act", POLYS)
@pytest.mark.parametrize(("d", "ht"), [(2, 1), (3, 2)])
def test_polynomial_ranks_at_wider_minima_equal_the_jacobian_rank(act, d, ht):
    t = rational_teacher(d, ht, seed=d + ht)
    ls = Landscape(act, t.W, t.v)
    report = wider_minima(ls, (1, 2), generic=False)
    assert report.method == "exact"
    r_t = report.teacher.rank
    assert r_t == jacobian_rank(POLYS[act], _fractions(t.W), _fractions(t.v))
    for row in report.rows:
        for kind, (W, v) in row.points.items():
            assert ls.loss(W, v, system="fraction") == 0, kind
            assert row.residual[kind] <= 1e-15, kind
            assert row.ranks[kind].rank == jacobian_rank(POLYS[act], _fractions(W), _fractions(v))
        # copies and neurons off at w = 0 add no function; an extra neuron at most one
        assert row.ranks["split"].rank == r_t and row.ranks["zeroed at w = 0"].rank == r_t
        assert r_t <= row.ranks["zeroed"].rank <= r_t + row.h_e


def test_erf_ranks_at_wider_minima():
    """erf: the teacher has full rank P_t; each zeroed extra neuron adds exactly one, split
    copies and neurons at w = 0 add none (50 digits, gap > 1e20). Each count above the noise
    is a lower bound that meets the point's structural upper bound: proven."""
    t = rational_teacher(3, 2, seed=1)
    ls = Landscape("erf(z)", t.W, t.v)
    report = wider_minima(ls, (1, 2), generic=True)
    assert report.method == "mpmath" and report.teacher.rank == 8
    for row in report.rows:
        assert row.ranks["zeroed"].rank == 8 + row.h_e
        assert row.ranks["split"].rank == 8 and row.ranks["zeroed at w = 0"].rank == 8
        assert row.generic.rank == row.params  # a generic erf network has full rank
        assert all(r.decided and r.gap_ratio > 1e20 for r in row.ranks.values())
        assert all(r.how == "proven" and "structural" in r.detail for r in row.ranks.values())
        extra = list(range(2, 2 + row.h_e))
        assert minimum_structure(*row.points["zeroed"]).switched_off == extra
        assert minimum_structure(*row.points["split"]).copies == [[0, *extra]]
        assert minimum_structure(*row.points["zeroed at w = 0"]).switched_off_at_zero == extra


def test_split_flat_directions_of_erf_are_not_manifold_directions():
    rng = np.random.default_rng(7)
    Wt, vt = rng.normal(size=(2, 3)) / np.sqrt(3), rng.normal(size=2) / np.sqrt(2)
    ls = Landscape("erf(z)", Wt, vt)
    W, v = split(Wt, vt, 0, [1 / 2, 1 / 2])
    m, quartic = split_directions(W, v, 0, 2)
    H = ls.hessian(W, v)
    for u in [m, *quartic]:
        assert np.linalg.norm(H @ u) <= 1e-13 * np.linalg.norm(u) * np.abs(H).max()
    _, q_m = second_order_obstruction(ls, W, v, m)
    assert abs(q_m) < 1e-5  # f does not change along the manifold: L = 0 on the line
    for u in quartic:
        kappa, q2 = second_order_obstruction(ls, W, v, u)
        assert q2 > 1e-5 and kappa > 0.1 * q2  # no second-order correction removes it


def test_split_directions_of_a_full_tangent_quadratic_are_curved_manifold_directions():
    """z + z^2/2 with h_t >= d: sigma'' = 1 makes D^2 f[u, u] a quadratic form, which the
    teacher's tangent space already contains, so kappa = 0 (to rounding)."""
    rng = np.random.default_rng(8)
    Wt, vt = rng.normal(size=(4, 3)) / np.sqrt(3), rng.normal(size=4) / 2
    ls = Landscape("z + z**2/2", Wt, vt)
    W, v = split(Wt, vt, 0, [1 / 2, 1 / 2])
    _, quartic = split_directions(W, v, 0, 4)
    kappa, q2 = second_order_obstruction(ls, W, v, quartic[0], eps=2e-2)
    assert q2 > 1e-3 and abs(kappa) < 1e-3 * q2


def test_zeroed_is_a_flat_family_of_minima():
    t = rational_teacher(3, 2, seed=5)
    ls = Landscape("erf(z)", t.W, t.v)
    rng = np.random.default_rng(0)
    for _ in range(3):
        W, v = zeroed(t.W, t.v, rng.normal(size=(1, 3)))
        assert abs(ls.loss(W, v)) <= 100 * ls.loss_floor(W, v)
        assert np.linalg.norm(ls.gradient(W, v)) <= 1e-15
