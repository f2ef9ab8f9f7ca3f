"""Rank of the ReLU-family Hessian: P - h at random teachers in float64 with a decided gap,
in mpmath, and proved in ball arithmetic; the theory's exceptions (parallel rows, d = 1);
`--method exact` routed to the certified method."""

from __future__ import annotations

import numpy as np
import pytest

import symhess
from symhess.base.systems import arb_precision
from symhess.cli import main
from symhess.errors import SymhessError
from symhess.rank.certify import certify_rank
from symhess.rank.grid import sweep
from symhess.rank.measure import (
    GAP_DECISIVE,
    certified_rank,
    float_rank,
    mpmath_rank,
    rank_report,
    rational_teacher,
)
from symhess.rank.theory import null_basis, predictions

NAMES = ["relu(z)", "leaky_relu(z, 0.1)", "abs(z)"]


def teacher(d, h, seed):
    rng = np.random.default_rng(seed)
    W = rng.standard_normal((h, d)) / np.sqrt(d)
    v = rng.standard_normal(h) / np.sqrt(h)
    v = np.where(np.abs(v) < 0.05, 0.05 * np.sign(v + 1e-300), v)  # keep v_i away from 0
    return W, v


@pytest.mark.parametrize("name", NAMES)
def test_float_rank_is_p_minus_h_with_a_decided_gap(name):
    worst = np.inf
    for d in range(2, 9):
        for h in range(1, 9):
            W, v = teacher(d, h, 100 * d + h)
            r = float_rank(name, W, v)
            exact = [q for q in predictions(name, d, h) if q.kind == "exact"]
            assert [q.name for q in exact] == ["rescaling"] and exact[0].value == h * d
            assert r.rank == h * d and r.decided
            assert r.gap_below == h  # the largest gap separates exactly the h zeros
            worst = min(worst, r.gap_ratio)
    assert worst > GAP_DECISIVE


@pytest.mark.parametrize("name", NAMES)
def test_mpmath_rank(name):
    for d, h in ((2, 3), (5, 4), (8, 8)):
        W, v = teacher(d, h, 7 * d + h)
        r = mpmath_rank(name, W, v, dps=30)
        assert r.rank == h * d and r.gap_below == h and r.gap_ratio > 1e20


@pytest.mark.parametrize("name", NAMES)
def test_certified_rank_and_smallest_nonzero_eigenvalue(name):
    for d, h in ((3, 3), (6, 4), (8, 8)):
        W, v = teacher(d, h, 3 * d + h)
        with arb_precision(128):
            H = symhess.hessian(name, W, v, system="arb")
            cert = certify_rank(H, null_basis(name, W, v).vectors)
        lam = np.sort(np.abs(np.linalg.eigvalsh(symhess.hessian(name, W, v))))
        assert cert.certified and cert.rank == h * d and cert.pivots == H.shape[0]
        assert 0 < cert.tau < lam[h]
        assert cert.tau >= lam[h] / 4  # the default: half the estimate, rounded down to 2^k


def test_d1_rank_is_the_number_of_sign_classes():
    W = np.array([[0.5], [-0.25], [0.75], [-1.5]])
    v = np.array([1.0, 0.5, -2.0, 0.25])
    for name, same, both in (("relu(z)", 1, 2), ("leaky_relu(z, 0.1)", 1, 2), ("abs(z)", 1, 1)):
        for rows, expected in ((W, both), (np.abs(W), same)):
            assert float_rank(name, rows, v).rank == expected
            cert = certified_rank(name, rows, v)
            assert cert.rank == expected and cert.decided, cert.detail
            bound = [q for q in predictions(name, 1, 4) if q.name == "sign_classes"][0]
            assert bound.holds(expected) and bound.value == both


def test_degenerate_teachers_lose_rank_as_the_theory_says():
    W, v = teacher(4, 4, 2)
    rank = lambda rows, name: float_rank(name, rows, v).rank  # noqa: E731
    par = W.copy()
    par[1] = 2 * par[0]  # parallel: identical tangent functions, d directions lost
    assert rank(par, "relu(z)") == rank(par, "abs(z)") == 16 - 4
    anti = W.copy()
    anti[1] = -0.5 * anti[0]  # antiparallel: relu keeps P - h, abs (even) loses d
    assert rank(anti, "relu(z)") == 16 and rank(anti, "abs(z)") == 12
    two = W.copy()
    two[1] = -two[0]
    two[3] = -0.25 * two[2]  # two antiparallel pairs: relu loses d (the two x's coincide)
    assert rank(two, "relu(z)") == 12
    # the certificate claims nothing where the theorem does not apply
    r = certified_rank("relu(z)", par, v)
    assert r.rank is None and not r.decided and "parallel" in r.detail


def test_not_certified_says_why_and_what_to_try():
    W, v = teacher(3, 3, 5)
    v[2] = 2.0**-26  # eigenvalues ~ v_3^2 ~ 1e-16: below what float64 or 64 bits can see
    N = null_basis("relu(z)", W, v).vectors
    with arb_precision(64):
        cert = certify_rank(symhess.hessian("relu(z)", W, v, system="arb"), N)
    # 64 bits prove the rank (tau = 0) but no bound on the smallest non-zero eigenvalue
    assert cert.certified and cert.rank == 9 and cert.tau == 0.0
    assert "no lower bound on the eigenvalues" in cert.reason
    tiny = v.copy()
    tiny[2] = 2.0**-40  # eigenvalues ~ 1e-24: 64-bit balls cannot decide even the rank
    with arb_precision(64):
        H = symhess.hessian("relu(z)", W, tiny, system="arb")
        cert = certify_rank(H, null_basis("relu(z)", W, tiny).vectors)
    assert not cert.certified and "try 128 bits" in cert.reason and cert.next_prec == 128
    assert cert.reason.startswith("not certified at this precision")
    with arb_precision(128):
        H = symhess.hessian("relu(z)", W, v, system="arb")
        cert = certify_rank(H, N)
        big = certify_rank(H, N, tau=1.0)  # above the smallest non-zero eigenvalue
    lam = np.sort(np.abs(np.linalg.eigvalsh(symhess.hessian("relu(z)", W, v))))
    assert (
        cert.certified
        and cert.rank == 9
        and cert.tau == 2.0**-64 * 2 ** np.ceil(np.log2(lam[-1]) - 1)
    )
    assert not big.certified and "certainly negative" in big.reason
    with arb_precision(128), pytest.raises(SymhessError, match="arb balls"):
        certify_rank(np.eye(3), None)


def test_exact_is_routed_to_certified_and_tanh_is_refused():
    t = rational_teacher(3, 4, 0)
    report = rank_report("relu(z)", t.W, t.v, ("exact",))
    assert list(report.results) == ["certified"] and report.rank == 12
    assert "routed to the certified method" in report.notes[0]
    assert report.holds() == {"params": True, "rescaling": True}
    # erf has the certified method too (its generated closed forms evaluate in balls)
    assert rank_report("erf(z)", t.W, t.v, ("certified",)).rank == 16
    assert list(rank_report("erf(z)", t.W, t.v, ("exact",)).results) == ["certified"]
    with pytest.raises(SymhessError, match="ball arithmetic"):
        rank_report("tanh(z)", t.W, t.v, ("certified",))
    with pytest.raises(SymhessError, match="needs a polynomial"):
        rank_report("tanh(z)", t.W, t.v, ("exact",))


def test_sweep_with_the_default_method():
    rows = sweep("relu(z)", [1, 2, 3], [1, 2, 3], ("exact",), jobs=1, show_progress=False)
    assert all(r.ranks.keys() == {"certified"} and r.decided for r in rows)
    assert {r.status for r in rows if r.d >= 2 or r.h == 1} == {"exact"}
    assert all(not r.flagged for r in rows)


def test_rank_command(capsys):
    code = main(["rank", "abs(z)", "--d", "3", "--h", "2"])
    out = capsys.readouterr().out
    assert code == 0
    assert "certified      6" in out and "rescaling" in out and "holds" in out
    code = main(["rank", "relu(z)", "--d", "2", "--h", "2", "--method", "exact", "--json"])
    assert code == 0 and '"certified": 4' in capsys.readouterr().out
    code = main(["rank", "relu(z)", "--d", "2", "--h", "2", "--prec", "32"])
    assert code == 2 and "--prec must be an integer from 64" in capsys.readouterr().err
