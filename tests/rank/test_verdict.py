"""The rank a computed spectrum proves, given how far its eigenvalues may be off."""

from __future__ import annotations

import numpy as np
import pytest

import symhess
from symhess.rank.measure import float_rank, mpmath_rank, rational_teacher
from symhess.rank.verdict import rank_verdict


def verdict(lam, noise, upper=None, gap=False):
    lam = np.abs(np.asarray(lam, dtype=float))
    return rank_verdict(
        lam, noise, lam.size if upper is None else upper, floor=1e-16 * lam.max(), gap_allowed=gap
    )


def test_the_noise_decides_what_counts():
    lam = [1.0, 1e-3, 1e-9, 1e-14]
    assert verdict(lam, 4e-16).how == "proven"  # 4 above P eps
    v = verdict(lam, 1e-12)
    assert (v.lower, v.upper, v.decided) == (3, 4, False)
    assert verdict(lam, 1e-12, upper=3).how == "proven"
    with pytest.raises(symhess.SymhessError, match="bound is wrong"):
        verdict(lam, 1e-16, upper=2)


def test_a_gap_decides_only_where_allowed():
    lam = [1.0, 0.3, 1e-2, 1e-17, 1e-18]
    assert verdict(lam, 1e-15, gap=True).how == "gap"
    assert not verdict(lam, 1e-15, gap=False).decided  # a smooth activation: no gap counts
    geometric = [1.0, 1e-2, 1e-4, 1e-6, 1e-8]  # no gap: not decided even where allowed
    assert not verdict(geometric, 1e-7, gap=True).decided


def test_suggested_digits_extrapolate_the_trend():
    lam = [1.0, 1e-3, 1e-6, 1e-9, 1e-17]  # the fifth looks like a zero to float64
    v = verdict(lam, 1e-14)
    assert not v.decided and v.suggested_dps == 2 * 12 + 10


def test_float64_rank_of_erf_is_not_decided_where_the_truth_hides():
    """erf, d = 1, h = 2: float64 counts 3; the truth (mpmath, 50 digits) is 4 = P. The old
    gap criterion called the float64 count decided."""
    t = rational_teacher(1, 2, seed=0)
    f = float_rank("erf(z)", t.W, t.v)
    assert (f.rank, f.upper, f.decided) == (3, 4, False)
    assert f.suggested_dps is not None and f.suggested_dps >= 30
    m = mpmath_rank("erf(z)", t.W, t.v, dps=50)
    assert m.decided and m.rank == 4 and m.how == "proven"


def test_tanh_rank_is_decided_full_when_the_noise_allows():
    rng = np.random.default_rng(4)
    W, v = rng.standard_normal((2, 3)) / np.sqrt(3), rng.standard_normal(2) / np.sqrt(2)
    f = float_rank("tanh(z)", W, v)
    assert f.decided and f.rank == 8 and f.how == "proven" and f.kernel_error > 0


def test_polynomial_null_space_is_decided_by_its_gap():
    """Two equal hidden units drop the rank of z + z**2 below every bound: float64 sees a clean
    gap at the noise (evidence for a polynomial); a count reaching its bound is proven."""
    t = rational_teacher(4, 3, seed=1)
    W, v = t.W.copy(), t.v.copy()
    W[1], v[1] = W[0], v[0]
    f = float_rank("z + z**2", W, v)
    assert f.decided and f.how == "gap" and f.rank < f.upper
    t = rational_teacher(4, 3, seed=2)
    assert float_rank("z + z**2", t.W, t.v).how == "proven"
