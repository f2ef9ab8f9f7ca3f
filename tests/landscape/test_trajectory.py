"""The Hessian along a trajectory: exact ranks against the expansion oracle, float64 ranks
against exact ones, the operator route against the dense one."""

from __future__ import annotations

from fractions import Fraction

import flint
import numpy as np

from symhess import Landscape
from symhess.landscape import gradient_flow, initial_student, spectra_along

from ..landscape_oracles import polynomial_landscape


def _exact_rank(H) -> int:
    rows = [[flint.fmpq(x.numerator, x.denominator) for x in row] for row in H.tolist()]
    return int(flint.fmpq_mat(rows).rank())


def test_exact_ranks_along_a_polynomial_flow_match_the_expansion_oracle():
    rng = np.random.default_rng(0)
    Wt = np.round(rng.normal(size=(2, 2)) * 64) / 64
    vt = np.round(rng.normal(size=2) * 64) / 64
    coeffs = [Fraction(0), Fraction(1), Fraction(1, 2)]
    ls = Landscape("z + z**2/2", Wt, vt)
    W0, v0 = initial_student(Wt, vt, 3, "random", seed=2)
    flow = gradient_flow(ls, W0, v0, 50.0, rtol=1e-6, atol=1e-9, t_eval=[0.0, 0.5, 5.0, 50.0])
    spectra = spectra_along(ls, flow, [0.0, 5.0, 50.0])
    assert len(spectra) == 3
    for s in spectra:
        i = int(np.argmin(np.abs(flow.t - s.t)))
        W, v = ls.split(flow.theta[i])
        F = lambda a: np.array([Fraction(float(x)) for x in a.ravel()], dtype=object)  # noqa: E731
        _, _, H = polynomial_landscape(
            coeffs, F(W).reshape(W.shape), F(v), F(Wt).reshape(2, 2), F(vt)
        )
        assert s.exact_rank == _exact_rank(H)
        # the Gauss-Newton part has rank <= dim of the function space (2 + 3 = 5)
        assert s.exact_rank_gn <= 5
        if s.gap > 1e6:
            assert s.rank == s.exact_rank
        assert s.index == int(np.sum(s.eigenvalues < -1e-12 * np.max(np.abs(s.eigenvalues))))


def test_operator_route_matches_the_dense_spectrum():
    rng = np.random.default_rng(1)
    Wt, vt = rng.normal(size=(3, 4)) / 2, rng.normal(size=3)
    ls = Landscape("erf(z)", Wt, vt)
    W0, v0 = initial_student(Wt, vt, 4, "teacher+noise", 0.3, seed=0)
    flow = gradient_flow(ls, W0, v0, 1.0, rtol=1e-6, atol=1e-9, t_eval=[0.0, 1.0])
    dense = spectra_along(ls, flow, [1.0], exact=False, dense=True)[0]
    op = spectra_along(ls, flow, [1.0], exact=False, dense=False, k=3, probes=4)[0]
    scale = np.max(np.abs(dense.eigenvalues))
    assert np.allclose(op.smallest, dense.eigenvalues[:3], atol=1e-8 * scale)
    assert np.allclose(op.largest, dense.eigenvalues[::-1][:3], atol=1e-8 * scale)
    assert op.density is not None and op.eigenvalues is None
