"""The pieces of the two-sided exact rank certificate against the dense rational Hessian, and
the whole route against the rank over Q and the Jacobian route."""

from __future__ import annotations

import flint
import numpy as np
import pytest

import symhess
from symhess.rank.certify import (
    IntegerOperator,
    certified_exact_rank,
    integer_hessian_mod,
    integer_parts,
    scaling_kernel,
    word_prime,
)
from symhess.rank.measure import rational_teacher

from ..rank_oracles import jacobian_rank


def dense_integer(parts, H):
    """``E H`` from the dense rational Hessian, as Python ints (it must be integral)."""
    M = np.vectorize(lambda x: x * parts.E, otypes=[object])(H)
    assert all(x.q == 1 for x in M.reshape(-1))
    return np.vectorize(lambda x: int(x.p), otypes=[object])(M)


@pytest.mark.parametrize("act, d, h", [("z - z**2/3 + z**3/6", 3, 4), ("1 + z**4/5", 2, 3)])
def test_integer_pieces_agree_with_the_rational_hessian(act, d, h):
    t = rational_teacher(d, h, seed=1)
    parts = integer_parts(symhess.resolve(act), t.W, t.v)
    M = dense_integer(parts, symhess.hessian(act, t.W, t.v, system="fmpq"))
    p = word_prime(5)
    assert 2**30 <= p < 2**31 and flint.fmpz(p).is_prime()
    assert np.array_equal(integer_hessian_mod(parts, p), (M % p).astype(np.int64))
    X = np.array(np.random.default_rng(0).integers(-9, 9, (M.shape[0], 3)).tolist(), dtype=object)
    X[:, 1] *= 2**80
    assert np.array_equal(IntegerOperator(parts)(X), M.dot(X))


def test_scaling_kernel_is_the_null_space_within_the_scalings():
    t = rational_teacher(6, 8, seed=0)
    act = "z + z**3"
    parts = integer_parts(symhess.resolve(act), t.W, t.v)
    N = scaling_kernel(parts)
    H = flint.fmpq_mat(symhess.hessian(act, t.W, t.v, system="fmpq").tolist())
    HN = H * flint.fmpq_mat(N.tolist())
    assert HN == flint.fmpq_mat(HN.nrows(), HN.ncols())  # against the dense rational H
    assert N.shape[1] == 8 - 6 == 56 - H.rank()  # h - min(h, d) scalings, all of the kernel
    assert flint.fmpz_mat(N.tolist()).rank() == N.shape[1]


@pytest.mark.parametrize(
    "act, coeffs, d, h",
    [
        ("z + z**3", [0, 1, 0, 1], 6, 8),
        ("z - z**3/6", [0, 1, 0, -1 / 6], 4, 5),
        ("2*z + z**4", [0, 2, 0, 0, 1], 4, 7),
        ("z + z**5", [0, 1, 0, 0, 0, 1], 3, 5),
    ],
)
def test_two_sided_certificate_against_independent_routes(act, coeffs, d, h):
    """No bound given: the modular rank and the verified scalings meet, at the rank over Q
    and the Jacobian's rank."""
    t = rational_teacher(d, h, seed=1)
    res = certified_exact_rank(integer_parts(symhess.resolve(act), t.W, t.v))
    assert res.rank is not None and res.route.startswith("certified")
    H = symhess.hessian(act, t.W, t.v, system="fmpq")
    assert res.rank == flint.fmpq_mat(H.tolist()).rank()
    assert res.rank == jacobian_rank(coeffs, t.W.tolist(), t.v.tolist())
    assert res.rank == h * d + min(h, d) < h * d + h


def test_the_bounds_never_certify_a_wrong_rank():
    """A teacher with two equal units: the kernel is not all scalings, the bounds do not
    meet, and nothing is claimed."""
    t = rational_teacher(6, 8, seed=2)
    W, v = t.W.copy(), t.v.copy()
    W[1], v[1] = W[0], v[0]
    res = certified_exact_rank(integer_parts(symhess.resolve("z + z**3"), W, v))
    assert res.rank is None and res.lower < res.upper
    true = jacobian_rank([0, 1, 0, 1], W.tolist(), v.tolist())
    assert res.lower <= true <= res.upper
