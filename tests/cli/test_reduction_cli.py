"""The commands take the row-space reduction for d > h, say so, and agree with dense LAPACK."""

from __future__ import annotations

import re

import numpy as np
import pytest

import symhess
from symhess.cli import main
from symhess.spectra.summary import summarize_eigenvalues
from symhess.spectra.zeros import gap_diagnostic


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def dense(expr, d, h, seed=0):
    t = symhess.sample_teacher(d, h, seed=seed)
    return np.linalg.eigvalsh(symhess.hessian(expr, t.W, t.v))


@pytest.mark.parametrize("which", ["largest", "smallest"])
def test_eigs_uses_the_reduction_for_d_above_h(which, capsys):
    out = run(["eigs", "erf(z)", "--d", "30", "--h", "6", "--which", which, "--k", "8"], capsys)
    assert "exact row-space reduction" in out
    # the smallest of a reduced matrix this small come from LAPACK on all of it
    route = "on the reduced operator" if which == "largest" else "whole reduced matrix"
    assert route in out
    found = [float(x) for x in re.findall(r"^\s+(-?\d\.\d{12}e[+-]\d+)", out, flags=re.M)]
    ref = dense("erf(z)", 30, 6)
    ref = ref[::-1][:8] if which == "largest" else ref[:8]
    np.testing.assert_allclose(found, ref, rtol=1e-9)
    t = symhess.sample_teacher(30, 6, seed=0)
    K11 = symhess.kernel_matrices(symhess.resolve("erf(z)"), t.W)["K11"]
    bulk = np.linalg.eigvalsh(np.outer(t.v, t.v) * K11)
    for line in re.findall(r"^\s+(-?\d\.\d{12}e[+-]\d+)(.*)$", out, flags=re.M):
        in_bulk = np.min(np.abs(bulk - float(line[0]))) <= 1e-11 * bulk[-1]
        assert in_bulk == ("eig(A), x 24 in H" in line[1])


def test_eigs_and_analyze_do_not_reduce_when_d_le_h(capsys):
    out = run(["eigs", "erf(z)", "--d", "6", "--h", "6"], capsys)
    assert "reduction" not in out
    out = run(["analyze", "erf(z)", "--d", "5", "--h", "6"], capsys)
    assert "reduction" not in out and "LAPACK eigvalsh" in out


def test_analyze_says_so_and_counts_multiplicities(capsys):
    out = run(["analyze", "z + z**2/2", "--d", "9", "--h", "3"], capsys)
    assert "exact row-space reduction" in out and "d - h = 6 times" in out
    # eq. (14) for h < d: h(d+1) - h(h-1)/2 = 27, the float64 count from the reduction
    assert "rank (float64)         27" in out
    assert re.search(r"eq14\s+27\s+exact\s+holds", out)


def test_spectrum_pools_the_reduced_eigenvalues(capsys):
    out = run(["spectrum", "tanh(z)", "--d", "12", "--h", "3", "--teachers", "2"], capsys)
    assert "row-space reduction (exact, d > h)" in out
    assert "78 non-zero, 39..39 per teacher" in out


def test_vectorised_gap_equals_the_loop():
    rng = np.random.default_rng(0)
    lam = np.concatenate([rng.uniform(1, 2, 50), 1e-20 * rng.standard_normal(5), [3e-9] * 3])
    s = summarize_eigenvalues(lam)
    scale = np.max(np.abs(lam))
    assert (s.gap_ratio, s.gap_index) == gap_diagnostic(np.abs(lam).tolist(), 2.0**-52 * scale)
    assert s.zeros == 5
