"""``symhess sweep`` over several activations, families and seeds; its outputs and refusals."""

from __future__ import annotations

import csv
import io

import pytest

from symhess.cli import main
from symhess.rank.grid import sweep


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_a_family_over_seeds_summarised_and_exported(tmp_path, capsys):
    out_csv = tmp_path / "all.csv"
    argv = ["sweep", "--family", "support:1,3 coeffs:+-1 terms:2", "--d", "1:2", "--h", "1:2"]
    code, out, err = run([*argv, "--seeds", "0,3", "--jobs", "1", "--out", str(out_csv)], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == "8 activation and seed grids, method best:"
    assert lines[-1] == f"wrote {out_csv}"
    assert "8 grids, 32 points:" in out
    table = list(csv.DictReader(io.StringIO(out_csv.read_text())))
    assert len(table) == 32 and {r["seed"] for r in table} == {"0", "3"}
    assert {r["activation"] for r in table} == {
        "z**3 + z", "z**3 - z", "-z**3 + z", "-z**3 - z"
    }  # fmt: skip
    # every sign gives the rank of z + z^3 (the rank sees the support only), and the grid
    # code without a store agrees
    ref = {(r.d, r.h): r.rank for r in sweep("z + z**3", [1, 2], [1, 2], jobs=1, seed=3)}
    for r in table:
        if r["seed"] == "3":
            assert int(r["rank_exact"]) == ref[(int(r["d"]), int(r["h"]))]


def test_one_activation_keeps_the_grid_table_and_its_csv(tmp_path, capsys):
    out_csv = tmp_path / "t.csv"
    argv = ["sweep", "z + z**3", "--d", "5", "--h", "5:6", "--seed", "0", "--jobs", "1"]
    code, out, err = run([*argv, "--out", str(out_csv)], capsys)
    assert code == 0, err
    assert out.startswith("activation  sigma(z) = z**3 + z; method exact; seed 0\n")
    assert "2 points: 2 equal an exact prediction, 0 reach the smallest bound" in out
    row = list(csv.DictReader(io.StringIO(out_csv.read_text())))[1]
    assert (row["rank"], row["pred_binomial"], row["best_name"]) == ("35", "35", "binomial")
    assert out_csv.read_text().startswith("d,h,params,rank_exact,rank,")


@pytest.mark.parametrize(
    "argv, message",
    [
        (["sweep", "--d", "1", "--h", "1"], "give an activation EXPR"),
        (["sweep", "--family", "support:1..3 color:red", "--d", "1", "--h", "1"], "KEY:VALUE"),
        (["sweep", "z", "z**2", "--d", "1", "--h", "1", "--plot", "x.png"], "one activation"),
        (["sweep", "z", "--d", "1", "--h", "1", "--seeds", "3:1"], "is empty"),
        (["sweep", "z", "--d", "1", "--h", "1", "--seeds", "-1"], "--seeds must be"),
        (["sweep", "z", "--d", "1", "--h", "1", "--engine", "ray"], "invalid choice"),
        (["sweep", "z", "--d", "1", "--h", "1", "--wait", "-2"], "--wait must be"),
        (["sweep", "z", "--d", "1", "--h", "1", "--scheduler", "x", "--engine", "pool"], "dask"),
        (["sweep", "tanh(z)", "--d", "1", "--h", "1", "--method", "exact"], "needs a polynomial"),
    ],
)
def test_bad_input_is_one_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, _, err = run(argv, capsys)
    assert code == 2 and err.startswith("symhess: error: ") and err.count("\n") == 1
    assert message in err
    assert list(tmp_path.iterdir()) == []


def test_a_database_that_is_a_folder_or_link_is_refused(tmp_path, capsys):
    target = tmp_path / "real.sqlite"
    target.write_bytes(b"")
    link = tmp_path / "link.sqlite"
    link.symlink_to(target)
    for db in (tmp_path, link):
        code, _, err = run(["sweep", "z", "--d", "1", "--h", "1", "--db", str(db)], capsys)
        assert code == 2 and "not a regular file" in err
    assert target.read_bytes() == b""


@pytest.mark.parametrize(
    "expr, methods", [("z**3", "exact"), ("erf(z)", "certified"), ("relu(z)", "certified")]
)
def test_default_method_is_the_best_that_applies(expr, methods, capsys):
    """With defaults every family sweeps, each by its best method: a proof wherever one
    applies (exact for polynomials, ball arithmetic for erf and the ReLU family)."""
    code = main(["sweep", expr, "--d", "1:2", "--h", "1:2"])
    out = capsys.readouterr().out
    assert code in (0, 1) and f"method {methods};" in out
