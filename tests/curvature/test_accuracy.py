"""The Hessian's stated error: kernel estimates and rounding, against independent references.

The acceptance of "no silently wrong answer": tanh, sigmoid, gelu and tanh(5*z) Hessians at
weight scales 1, 4 and 10 (``W ~ N(0, s^2/d)``) agree with a brute-force 2-D rule (a fixed
step, no adaptivity, written in tests/smooth_oracles.py) to within their stated error bound,
and with Monte Carlo (4e6 samples, within 5.5 standard errors); or they are refused. None is
returned wrong.
"""

from __future__ import annotations

import mpmath
import numpy as np
import pytest

import symhess
from symhess.curvature import assemble, kernel_matrices
from symhess.curvature.accuracy import ROUNDING_FACTOR, block_norm_bound, hessian_error
from symhess.kernels.quadrature import QuadratureKernels

from ..smooth_oracles import ALL_DERIVATIVES, brute_kernel_matrices, hessian_monte_carlo

SOURCES = ["tanh(z)", "sigmoid(z)", "gelu(z)", "tanh(5*z)"]
SCALES = [1.0, 4.0, 10.0]


def teacher(d, h, scale, seed):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((h, d)) * scale / np.sqrt(d), rng.standard_normal(h) / np.sqrt(h)


def brute_hessian(source, W, v, fraction):
    """The Hessian from brute-force kernels with steps ``fraction / (alpha sqrt(a))``."""
    alpha = 5.0 if source == "tanh(5*z)" else 1.0

    def step(a, b):
        return min(0.05, fraction / (alpha * np.sqrt(max(a, b, 1.0))))

    return assemble(brute_kernel_matrices(ALL_DERIVATIVES[source], W, step), W, v)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("source", SOURCES)
def test_hessian_against_brute_force_to_its_stated_error(source, scale):
    W, v = teacher(2, 2, scale, seed=7)
    try:
        H, err = symhess.hessian(source, W, v, with_error=True)
    except symhess.SymhessError:  # a refusal is allowed; a wrong number is not
        pytest.skip("refused")
    ref = brute_hessian(source, W, v, 0.15)
    ref_error = np.abs(ref - brute_hessian(source, W, v, 0.12)).max()
    assert ref_error < err.bound  # the reference resolves the stated error
    true = np.linalg.norm(H - ref, 2)
    assert true <= err.bound + 2 * ref_error, (true, err.bound, ref_error)
    assert err.bound < 1e-9 * np.linalg.norm(H, 2)
    assert np.linalg.eigvalsh(H)[0] > -err.bound  # a Gram matrix, within its error


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("source", SOURCES)
def test_hessian_against_monte_carlo(source, scale):
    W, v = teacher(2, 2, scale, seed=7)
    try:
        H = symhess.hessian(source, W, v)
    except symhess.SymhessError:
        pytest.skip("refused")
    mean, se = hessian_monte_carlo(ALL_DERIVATIVES[source], W, v, n=4_000_000, seed=11)
    z = np.abs(H - mean) / np.maximum(se, 1e-300)
    assert z.max() < 5.5, (z.max(), np.unravel_index(np.argmax(z), z.shape))


def test_the_issue_example():
    """tanh at W = [[-3.388, 5.657], [0.717, -6.124]]: the fixed 201-node rule gave
    H[3, 3] = -0.52 and an indefinite Hessian; Monte Carlo says 0.002535."""
    W = np.array([[-3.388, 5.657], [0.717, -6.124]])
    v = np.array([-0.084, -1.163])
    H, err = symhess.hessian("tanh(z)", W, v, with_error=True)
    ref = brute_hessian("tanh(z)", W, v, 0.15)
    assert abs(H[3, 3] - ref[3, 3]) < 1e-14
    assert abs(H[3, 3] - 0.0025329242506503) < 1e-14  # the prototype's extended-precision rule
    assert np.linalg.norm(H - ref, 2) <= err.bound
    assert np.linalg.eigvalsh(H)[0] > 0


def test_error_bound_against_the_erf_closed_form():
    """Quadrature of erf although a closed form exists: the bound holds against it."""
    W, v = teacher(3, 4, 4.0, seed=2)
    quad = QuadratureKernels(symhess.parse_activation("erf(z)"))
    H, err = symhess.hessian(quad, W, v, with_error=True)
    assert err.kernel > 0 and err.tolerance == 1e-12
    with mpmath.workdps(40):
        exact = np.vectorize(float)(symhess.hessian("erf(z)", W, v, system="mpmath"))
    assert np.linalg.norm(H - exact, 2) <= err.bound


CALIBRATION = [
    "erf(z)",
    "erf(1000*z)",
    "erf(1e6*z)",
    "z + z**2/2",
    "z**8",
    "1 - 28*z**2 + 70*z**4 - 28*z**6 + z**8",
    "(z+1)**5",
]


@pytest.mark.parametrize("source", CALIBRATION)
def test_rounding_bound_against_mpmath(source):
    """Exact kernels: the float64 Hessian is within its rounding bound of the 60-digit one
    (measured ratio error / (eps * scale) at most 4.7 over these and two more seeds: the
    factor 64 leaves a margin)."""
    for scale in (1.0, 3.0):
        t = symhess.sample_teacher(3, 3, seed=1)
        W, v = t.W * scale, t.v
        H, err = symhess.hessian(source, W, v, with_error=True)
        assert err.kernel == 0 and err.exact_kernels
        with mpmath.workdps(60):
            exact = np.vectorize(float)(symhess.hessian(source, W, v, system="mpmath"))
        true = np.linalg.norm(H - exact, 2)
        assert true <= err.bound
        assert true <= err.bound / ROUNDING_FACTOR * 10  # the factor is not hiding a trend


def test_no_digit_left_is_refused():
    """erf(1e10 z): the Stein terms of order alpha^3 cancel to O(alpha) entries, so float64
    keeps no digit (it printed lambda_min = -4.3e13 with exit 0)."""
    t = symhess.sample_teacher(6, 4, seed=0)
    with pytest.raises(symhess.SymhessError, match="keeps no correct digit") as info:
        symhess.hessian("erf(1e10*z)", t.W, t.v)
    assert "\n" not in str(info.value)
    with mpmath.workdps(40):  # enough digits, and the same teacher is fine
        H, err = symhess.hessian("erf(1e10*z)", t.W, t.v, system="mpmath", with_error=True)
    assert err.bound < 1e-10 * max(abs(x) for x in H.ravel())


def test_operator_carries_the_same_error():
    W, v = teacher(3, 5, 4.0, seed=3)
    _, err = symhess.hessian("tanh(z)", W, v, with_error=True)
    op = symhess.operator("tanh(z)", W, v)
    assert op.error == err
    assert symhess.operator("z + z**2", W, v).error.kernel == 0


def test_row_blocks_merge_their_errors(monkeypatch):
    """kernel_matrices_bounded in row blocks gives the same errors as one call."""
    from symhess.curvature import matrices

    W, _ = teacher(3, 6, 2.0, seed=4)
    kern = symhess.resolve("tanh(z)")
    whole = kernel_matrices(kern, W)
    monkeypatch.setattr(matrices.memory, "scratch_budget", lambda: 0)
    monkeypatch.setattr(matrices, "KERNEL_EVAL_MATRICES", 10**9)  # one row per block
    blocks = matrices.kernel_matrices_bounded(kern, W)
    for name in whole:
        np.testing.assert_allclose(blocks[name], whole[name], rtol=0, atol=1e-13)
        assert blocks.errors[name].shape == (6, 6)
        assert np.all(blocks.errors[name] > 0)
    assert blocks.stats["entries"] == 36


def test_block_norm_bound_is_an_upper_bound_of_the_spectral_norm():
    """For random kernel perturbations E: ||assemble(E) with |E| entries||_2 <= the bound."""
    rng = np.random.default_rng(0)
    for _ in range(20):
        h, d = rng.integers(1, 5), rng.integers(1, 4)
        W = rng.standard_normal((h, d))
        v = rng.standard_normal(h)
        E = {n: rng.standard_normal((h, h)) for n in symhess.KERNEL_NAMES}
        for n in ("K00", "K11", "K22"):
            E[n] = (E[n] + E[n].T) / 2
        E["K13"] = E["K31"].T.copy()
        dH = assemble(E, W, v)
        assert np.linalg.norm(dH, 2) <= block_norm_bound(E, W, v) * (1 + 1e-12)


def test_exact_systems_have_no_rounding():
    t = symhess.rational_teacher(2, 2, seed=0)
    K = kernel_matrices(symhess.resolve("z + z**3"), t.W.astype(object), system="fraction")
    err = hessian_error(K, t.W, t.v, system="fraction")
    assert err.bound == 0
