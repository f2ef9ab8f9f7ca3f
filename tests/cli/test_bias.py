"""The commands with biases: --bias on random teachers, teacher files with b, the rank with the
seed paper's claim, the store; every bad input one line on stderr with exit status 2."""

from __future__ import annotations

import json
import sqlite3
import time

import numpy as np
import pytest

import symhess
from symhess.cli import main

pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *fragments):
    assert code == 2, err
    assert err.startswith("symhess: error: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


def test_rank_with_biases_json_carries_every_prediction_and_the_claim(capsys):
    start = time.perf_counter()
    argv = ["rank", "z**3", "--d", "3", "--h", "5", "--bias", "--method", "exact", "--json"]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert time.perf_counter() - start < 30  # seconds on a quiet machine
    data = json.loads(out)
    assert data["biases"] is True and data["params"] == 25
    assert data["rank"] == {"exact": 20} and data["rank_without_bias"] == 10
    preds = data["predictions"]
    sources = {n: p.pop("source") for n, p in preds.items()}
    assert preds["ah_in_d_plus_1"] == {"value": 20, "kind": "exact", "holds": True}
    assert preds["paper_plus_one"] == {"value": 11, "kind": "claim", "holds": False}
    assert "Alexander-Hirschowitz" in sources["ah_in_d_plus_1"]
    assert "seed paper" in sources["paper_plus_one"]
    assert all(p["holds"] for n, p in preds.items() if p["kind"] != "claim")


def test_rank_with_biases_text_and_the_paper_quadratic(capsys):
    code, out, err = run(["rank", "z + z**2/2", "--d", "3", "--h", "2", "--bias"], capsys)
    assert code == 0, err
    assert "with biases, P = 10" in out and "biases Var b = 1/d" in out
    assert "without biases at the same W, v: rank 7 of P = 8 (gain +1)" in out
    assert "paper_plus_one" in out and "claim  holds" in out


def test_teacher_files_with_biases_through_the_commands(tmp_path, capsys):
    path = tmp_path / "t.npz"
    code, out, err = run(
        ["teacher", "--d", "3", "--h", "2", "--seed", "5", "--bias", "--out", str(path)], capsys
    )
    assert code == 0 and "b (2,), biases Var b = 1/d" in out, err
    t = symhess.load_teacher(path)
    assert t.b is not None and t.params == 10
    assert np.array_equal(t.b, symhess.sample_teacher(3, 2, seed=5, bias=True).b)
    H = tmp_path / "H.npy"
    code, out, err = run(["hessian", "erf(z)", "--teacher", str(path), "--out", str(H)], capsys)
    assert code == 0 and "order W, v, b" in out, err
    assert np.array_equal(np.load(H), symhess.hessian("erf(z)", t.W, t.v, t.b))
    code, out, err = run(["analyze", "relu(z)", "--teacher", str(path)], capsys)
    assert code == 0, err
    assert "(with biases b)" in out and "P = h*d + 2h = 10" in out
    assert "kernels are taken with means" in out and "hyperplanes" in out
    code, out, err = run(["eigs", "erf(z)", "--teacher", str(path), "--k", "3"], capsys)
    assert code == 0 and "P = h*d + 2h = 10" in out, err


@pytest.mark.parametrize("command", ["analyze", "eigs", "density"])
def test_random_teachers_with_biases(command, capsys):
    argv = [command, "z + z**2/2", "--d", "3", "--h", "2", "--bias", "0.5"]
    code, out, err = run(argv + (["--k", "2"] if command == "eigs" else []), capsys)
    assert code == 0, err
    assert "biases Var b = 0.5" in out and "P = h*d + 2h = 10" in out


def test_spectrum_and_sweep_with_biases(tmp_path, capsys):
    code, out, err = run(
        ["spectrum", "erf(z)", "--d", "2", "--h", "2", "--teachers", "3", "--bias"], capsys
    )
    assert code == 0 and "P = 8" in out, err
    db = tmp_path / "r.sqlite"
    for extra in ([], ["--bias"]):
        argv = ["sweep", "z**2", "--d", "1:3", "--h", "1:3", "--db", str(db), "--jobs", "1"]
        code, out, err = run(argv + extra, capsys)
        assert code == 0, err
    assert "z**2 with biases" in out
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT d, h, rank_without, rank_with, gain, paper_plus_one FROM bias_gain "
            "ORDER BY d, h"
        ).fetchall()
    assert len(rows) == 9
    for _d, h, r0, r1, gain, plus_one in rows:
        assert gain == r1 - r0 and plus_one == (gain == 1)
        assert (plus_one == 1) == (h == 1)  # z^2: the paper's +1 only for one unit


@pytest.fixture
def files(tmp_path):
    t = symhess.sample_teacher(3, 2, seed=0, bias=True)
    out = {}
    for name, arrays in {
        "plain": {"W": t.W, "v": t.v},
        "biased": {"W": t.W, "v": t.v, "b": t.b},
        "short": {"W": t.W, "v": t.v, "b": t.b[:1]},
        "nan": {"W": t.W, "v": t.v, "b": np.array([0.1, np.nan])},
        "matrix": {"W": t.W, "v": t.v, "b": np.zeros((2, 1))},
    }.items():
        out[name] = tmp_path / f"{name}.npz"
        np.savez(out[name], **arrays)
    return out


@pytest.mark.parametrize(
    "key, extra, fragments",
    [
        ("plain", ["--bias"], ["--bias was given", "has no biases"]),
        ("biased", ["--no-bias"], ["has biases (array b)", "--no-bias"]),
        ("biased", ["--bias", "0.3"], ["--bias VAR", "brings its own b"]),
        ("short", [], ["length h = 2"]),
        ("nan", [], ["NaN or infinite"]),
        ("matrix", [], ["vector of length h = 2"]),
    ],
)
@pytest.mark.parametrize("command", ["analyze", "hessian"])
def test_bad_biases_in_one_line(files, key, extra, fragments, command, tmp_path, capsys):
    argv = [command, "erf(z)", "--teacher", str(files[key]), *extra]
    if command == "hessian":
        argv += ["--out", str(tmp_path / "H.npy")]
    code, _, err = run(argv, capsys)
    assert_one_line_error(code, err, *fragments)
    assert not (tmp_path / "H.npy").exists()


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["rank", "z**2", "--d", "2", "--h", "2", "--bias", "-1"], "--bias must be a number >= 0"),
        (["rank", "z**2", "--d", "2", "--h", "2", "--bias", "nan"], "--bias must be a number"),
        (["analyze", "z", "--bias", "--no-bias"], "not both"),
        (
            ["rank", "tanh(z)", "--d", "2", "--h", "2", "--bias", "--method", "exact"],
            "exact rank needs a polynomial",
        ),
        (
            ["rank", "tanh(z)", "--d", "2", "--h", "2", "--bias", "--method", "mpmath"],
            "cannot be evaluated in 'mpmath'",
        ),
        (["analyze", "erf(z)", "--d", "2", "--h", "2", "--bias", "--no-bias"], "not both"),
        (["dynamics", "z", "--d", "2", "--h", "2", "--bias"], "training with biases"),
        (["flow", "erf(z)", "--d", "2", "--h", "2", "--bias"], "flow with biases"),
        (["critical-points", "erf(z)", "--d", "2", "--h", "2", "--bias"], "survey with biases"),
    ],
)
def test_bad_bias_options_in_one_line(argv, fragment, capsys):
    code, _, err = run(argv, capsys)
    assert_one_line_error(code, err, fragment)
