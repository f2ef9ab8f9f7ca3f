"""Spectrum clusters on a log scale and the upper bulk."""

from __future__ import annotations

import numpy as np
import pytest

import symhess
from symhess.report.spectra import cluster_lines
from symhess.spectra.clustering import clusters


def test_clusters_of_a_constructed_spectrum():
    lam = np.array([0.0, 1e-17, -2e-17, 1e-5, 1.2e-5, 1e-3, 1.5e-3, 2e-3, 0.5, 0.6, -0.7])
    found = clusters(lam, tolerance=1e-15)
    assert [c.size for c in found] == [2, 3, 3]
    assert found[0].low == 1e-5 and found[-1].high == 0.7  # signs are ignored
    assert found[0].gap_below is None
    assert found[1].gap_below == pytest.approx(np.log10(1e-3 / 1.2e-5))
    assert found[2].gap_below == pytest.approx(np.log10(0.5 / 2e-3))
    lines = cluster_lines(lam, 1e-15, d=3, h=2)
    assert "  (3 numerically zero eigenvalues left out)" in lines
    assert lines[-1] == "upper bulk  3 eigenvalues (d = 3, h = 2), x250 above the rest"
    assert lines[-3].endswith("<- upper bulk")


def test_split_threshold_and_edge_cases():
    lam = np.array([1.0, 2.0, 4.0, 8.0])  # 0.3 decades apart
    assert [c.size for c in clusters(lam)] == [4]
    assert [c.size for c in clusters(lam, split_decades=0.25)] == [1, 1, 1, 1]
    assert "none: no gap" in cluster_lines(lam, 0.0, 2, 2)[-1]
    assert clusters(np.zeros(5), 1e-12) == []
    assert "every eigenvalue is numerically zero" in cluster_lines(np.zeros(5), 1e-12, 2, 2)[-1]


def test_many_clusters_are_summarised():
    lam = 10.0 ** np.arange(0, -30, -1.0)  # 30 clusters of one
    lines = cluster_lines(lam, 0.0, 5, 5)
    assert len(lines) == 1 + 8 + 1
    assert lines[1].strip().startswith("23 in 23 clusters")
    assert sum(int(line.split()[0]) for line in lines[1:-1]) == 30


@pytest.mark.parametrize("d, h", [(6, 6), (8, 5), (5, 8)])
def test_erf_upper_bulk_has_d_eigenvalues(d, h):
    """The measured observation (see symhess.spectra.clustering) at seed 0: d, not h."""
    t = symhess.sample_teacher(d, h, seed=0)
    s = symhess.summarize(symhess.hessian("erf(z)", t.W, t.v))
    found = clusters(s.eigenvalues, s.tolerance)
    assert found[-1].size == d and found[-1].gap_below > 0.5
    top = np.sort(s.eigenvalues)[-d:]
    if d > h:
        # d - h equal eigenvalues: directions alpha u^T with u orthogonal to every w_i
        assert np.sum(np.isclose(top, top[np.argmin(np.abs(np.diff(top)))], rtol=1e-9)) >= d - h
    lines = cluster_lines(s.eigenvalues, s.tolerance, d, h)
    assert lines[-1].startswith(f"upper bulk  {d} eigenvalues (d = {d}, h = {h})")
