"""Certified full rank in ball arithmetic: decisive for erf, and never fooled by a singular or
indefinite matrix."""

from __future__ import annotations

import flint
import mpmath
import numpy as np
import pytest

import symhess
from symhess.base.systems import arb_precision
from symhess.cli import main
from symhess.errors import SymhessError
from symhess.kernels.quadrature import quadrature_kernels
from symhess.rank.certify import certify_positive_definite
from symhess.rank.measure import certified_rank, rational_teacher


def balls(H: np.ndarray, prec: int) -> np.ndarray:
    """Exact rationals (or floats) as balls at ``prec`` bits."""
    with arb_precision(prec):
        return np.vectorize(lambda x: flint.arb(x), otypes=[object])(H)


def test_erf_certified_full_rank_for_every_small_size():
    """Acceptance: erf at every d, h <= 6 (seed 0) is proved positive definite."""
    failed = []
    for d in range(1, 7):
        for h in range(1, 7):
            t = rational_teacher(d, h, seed=0)
            r = certified_rank("erf(z)", t.W, t.v, prec=128)
            if r.rank != h * d + h or not r.detail.startswith("certified full rank"):
                failed.append((d, h, r.detail))
    assert not failed, failed


@pytest.mark.parametrize(
    "act, d, h", [("z + z**3", 5, 6), ("z**2", 3, 4), ("z", 2, 3), ("z**2", 3, 2)]
)
@pytest.mark.parametrize("prec", [64, 256, 1024])
def test_rank_deficient_polynomial_hessian_is_never_certified(act, d, h, prec):
    """Acceptance: an exactly singular Hessian, entered as exact balls, never passes."""
    t = rational_teacher(d, h, seed=0)
    H = symhess.hessian(act, t.W, t.v, system="fmpq")
    assert flint.fmpq_mat(H.tolist()).rank() < H.shape[0]  # it really is singular
    cert = certify_positive_definite(balls(H, prec), prec)
    assert not cert.certified and cert.line().startswith("not certified at this precision")


def test_tiny_eigenvalues_decided_only_when_the_balls_allow():
    """Q diag(1, 1, -+1e-40) Q^T exactly: indefinite is never certified; definite is certified
    once the entries' balls are narrower than 1e-40, and refused (not claimed) before."""
    Q = np.linalg.qr(np.random.default_rng(0).standard_normal((3, 3)))[0]
    Qm = flint.fmpq_mat([[flint.fmpq(*float(x).as_integer_ratio()) for x in row] for row in Q])

    def exact(small):
        D = flint.fmpq_mat([[1, 0, 0], [0, 1, 0], [0, 0, small]])
        M = Qm * D * Qm.transpose()
        return np.array([[M[i, j] for j in range(3)] for i in range(3)], dtype=object)

    negative, positive = exact(flint.fmpq(-1, 10**40)), exact(flint.fmpq(1, 10**40))
    for prec in (64, 200, 1000):
        assert not certify_positive_definite(balls(negative, prec), prec).certified
    assert not certify_positive_definite(balls(positive, 64), 400).certified
    assert certify_positive_definite(balls(positive, 400), 400).certified


def test_arb_hessian_contains_the_mpmath_hessian():
    """The ball Hessian from the generated erf module against 60-digit mpmath (another
    number system through the same formulas) and 2-D quadrature of SymPy's derivatives."""
    t = symhess.sample_teacher(3, 2, seed=0)
    with arb_precision(200):
        H = symhess.hessian("erf(z)", t.W, t.v, system="arb")
    with mpmath.workdps(60):
        Hm = symhess.hessian("erf(z)", t.W, t.v, system="mpmath")
        for i, j in np.ndindex(H.shape):
            assert H[i, j].rad() < 1e-50
            assert H[i, j].overlaps(flint.arb(mpmath.nstr(Hm[i, j], 55), 1e-54))
    a, b, c = 1.0, 1.44, 0.6
    q = quadrature_kernels("erf(z)")(np.array(a), np.array(b), np.array(c), "float64")
    with arb_precision(128):
        k = symhess.resolve("erf(z)")(flint.arb(a), flint.arb(b), flint.arb(c), "arb")
    for x, y in zip(k, q, strict=True):
        assert abs(float(x.mid()) - float(y)) < 1e-13 and x.rad() < 1e-30


def test_erf_family_parameters_enter_as_balls():
    t = symhess.sample_teacher(2, 2, seed=1)
    with arb_precision(128):
        H = symhess.hessian("2*erf(z/sqrt(3))", t.W, t.v, system="arb")
    ref = symhess.hessian("2*erf(z/sqrt(3))", t.W, t.v)
    mid = np.vectorize(lambda x: float(x.mid()))(H)
    np.testing.assert_allclose(mid, ref, rtol=1e-14, atol=1e-15)


def test_low_precision_says_what_to_try_and_escalation_proves_it():
    """erf at d = 1, h = 4: lambda_min / lambda_max ~ 1e-19, below what 64 bits decide."""
    t = rational_teacher(1, 4, seed=0)
    low = certified_rank("erf(z)", t.W, t.v, prec=64)
    assert low.rank is None and not low.decided
    assert "not certified at this precision (64 bits" in low.detail
    assert low.detail.endswith("try 128 bits")
    up = certified_rank("erf(z)", t.W, t.v, prec=64, escalate=True)
    assert up.rank == 8 and "proved at 128 bits" in up.detail


@pytest.mark.parametrize("act, message", [("tanh(z)", "quadrature"), ("z + z**3", "exact method")])
def test_certified_needs_ball_kernels(act, message):
    t = rational_teacher(2, 2, seed=0)
    with pytest.raises(SymhessError, match=message):
        certified_rank(act, t.W, t.v)


def test_rank_command_prints_the_certificate(capsys):
    code = main(["rank", "erf(z)", "--d", "3", "--h", "4", "--method", "certified"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "certified full rank" in out and "certified rank" in out
    code = main(["rank", "erf(z)", "--d", "1", "--h", "4", "--method", "certified", "--prec", "64"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "not certified at this precision" in out and "try 128 bits" in out
    assert "not checked: no method gave a rank" in out
    code = main(["rank", "erf(z)", "--d", "2", "--h", "2", "--prec", "8"])
    _, err = capsys.readouterr()
    assert code == 2 and "--prec" in err and err.count("\n") == 1
