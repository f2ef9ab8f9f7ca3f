"""Teachers: the paper's variances, reproducible seeds, safe .npz files."""

from __future__ import annotations

import numpy as np
import pytest

from symhess import SymhessError, Teacher, load_teacher, sample_teacher


@pytest.mark.parametrize("dist", ["normal", "uniform", "rademacher"])
def test_variances(dist):
    d, h = 400, 300
    t = sample_teacher(d, h, seed=1, dist=dist)
    assert t.W.shape == (h, d) and t.v.shape == (h,)
    # sample variances of 120000 and 300 draws: within 5 standard errors of 1/d, 1/h
    assert abs(t.W.var() * d - 1) < 5 * np.sqrt(2 / t.W.size) + 0.01
    assert abs(t.v.var() * h - 1) < 5 * np.sqrt(2 / h) + 0.1
    assert abs(t.W.mean()) < 5 / np.sqrt(t.W.size * d)


def test_seed_reproducible():
    a, b = sample_teacher(5, 3, seed=9), sample_teacher(5, 3, seed=9)
    assert np.array_equal(a.W, b.W) and np.array_equal(a.v, b.v)
    assert not np.array_equal(a.W, sample_teacher(5, 3, seed=10).W)


def test_save_load_roundtrip(tmp_path):
    t = sample_teacher(4, 3, seed=2)
    path = tmp_path / "t.npz"
    t.save(path)
    u = load_teacher(path)
    assert np.array_equal(t.W, u.W) and np.array_equal(t.v, u.v)
    with pytest.raises(SymhessError, match="exists"):
        t.save(path)
    t.save(path, force=True)
    assert [p.name for p in tmp_path.iterdir()] == ["t.npz"]  # no temporary left behind


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"W": np.ones((2, 3))}, "no array v"),
        ({"v": np.ones(2)}, "no array W"),
        ({"W": np.ones((2, 3)), "v": np.ones(3)}, "2 rows"),
        ({"W": np.full((2, 3), np.nan), "v": np.ones(2)}, "NaN"),
    ],
)
def test_bad_teacher_files(tmp_path, arrays, message):
    path = tmp_path / "bad.npz"
    np.savez(path, **arrays)
    with pytest.raises(SymhessError, match=message):
        load_teacher(path)


def test_not_an_npz(tmp_path):
    path = tmp_path / "t.npz"
    path.write_text("hello")
    with pytest.raises(SymhessError, match="not an .npz"):
        load_teacher(path)
    with pytest.raises(SymhessError, match="does not exist"):
        load_teacher(tmp_path / "missing.npz")


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"d": 0, "h": 1}, "d must be a positive integer"),
        ({"d": 2, "h": -1}, "h must be"),
        ({"d": 2.5, "h": 1}, "d must be"),
        ({"d": 2, "h": 2, "seed": -1}, "seed"),
        ({"d": 2, "h": 2, "dist": "cauchy"}, "unknown distribution"),
    ],
)
def test_bad_sampling_arguments(kwargs, message):
    with pytest.raises(SymhessError, match=message):
        sample_teacher(**kwargs)


def test_params():
    assert Teacher(np.ones((3, 4)), np.ones(3)).params == 15
