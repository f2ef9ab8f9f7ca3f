"""The (d, h) sweep: grid parsing, statuses, parallel = serial, CSV, heatmap, command."""

from __future__ import annotations

import csv
import io

import pytest

from symhess.cli import main
from symhess.errors import SymhessError
from symhess.rank.grid import SweepRow, parse_range, status_of, sweep
from symhess.rank.measure import rational_teacher
from symhess.rank.theory import Prediction, predictions
from symhess.report.sweep import csv_text, table_lines

from ..rank_oracles import install_sin, jacobian_rank


@pytest.fixture
def sin_activation(monkeypatch):
    return install_sin(monkeypatch)


@pytest.mark.parametrize(
    "text, expected", [("1:4", [1, 2, 3, 4]), ("3", [3]), ("2:9:3", [2, 5, 8]), ("5:5", [5])]
)
def test_parse_range(text, expected):
    assert parse_range(text, "--d") == expected


@pytest.mark.parametrize("text", ["0:3", "a:b", "1:2:3:4", "", "4:2", "-1", "1:3:0"])
def test_parse_range_errors(text):
    with pytest.raises(SymhessError, match="--h"):
        parse_range(text, "--h")


def test_status_of():
    exact = Prediction("eq14", 5, "exact", "")
    bound = Prediction("params", 6, "bound", "")
    assert status_of({"exact": 5}, 5, [bound, exact]) == "exact"
    assert status_of({"exact": 4}, 4, [bound, exact]) == "MISMATCH"
    assert status_of({"exact": 7}, 7, [bound]) == "MISMATCH"
    assert status_of({"exact": 6}, 6, [bound]) == "saturated"
    assert status_of({"exact": 5}, 5, [bound]) == "below"
    assert status_of({"float": 4, "exact": 5}, 5, [bound, exact]) == "DISAGREE"


def test_table_marks_undecided_points():
    preds = [Prediction("params", 4, "bound", "")]
    rows = [
        SweepRow(1, 1, 2, {"float": 2}, 2, "", True, preds[:1], "saturated"),
        SweepRow(1, 2, 4, {"float": 3}, 3, "", False, preds, "below"),
    ]
    lines = table_lines(rows)
    assert lines[3].split() == ["2", "3<~"] and lines[-1].endswith("1 not decided")


def test_sweep_statuses_against_the_jacobian():
    """z + z^3 over d, h in 1..6: every prediction holds; where the rank falls below the
    degree-support bound (to the binomial count h d + min(h, d) = 35), the Jacobian route
    (independent of the Hessian) gives the same rank."""
    rows = sweep("z + z**3", range(1, 7), range(1, 7), jobs=1, show_progress=False)
    assert [(r.d, r.h) for r in rows] == [(d, h) for d in range(1, 7) for h in range(1, 7)]
    assert not any(r.flagged for r in rows)
    assert not any(r.status == "below" for r in rows)

    def value(r, name):
        return next(q.value for q in r.predictions if q.name == name)

    deficit = {(r.d, r.h) for r in rows if r.rank < value(r, "degree_support")}
    assert deficit == {(5, 6)}
    for r in rows:
        if (r.d, r.h) in deficit or r.d == 3:
            t = rational_teacher(r.d, r.h, 0)
            assert r.rank == jacobian_rank([0, 1, 0, 1], t.W.tolist(), t.v.tolist())
    at = next(r for r in rows if (r.d, r.h) == (5, 6))
    assert (at.rank, at.status, at.best.name) == (35, "exact", "binomial")
    assert at.route.startswith("certified")  # the bound 35 certifies it modulo a prime
    lines = table_lines(rows)
    assert "35" in lines[7] and "0 lie below every bound" in lines[-1]


def test_parallel_equals_serial_and_exact_predictions():
    serial = sweep("z**2", [1, 2, 3], [2, 3], ("float", "exact"), jobs=1, show_progress=False)
    parallel = sweep("z**2", [1, 2, 3], [2, 3], ("float", "exact"), jobs=2, show_progress=False)
    assert [(r.d, r.h, r.ranks, r.status) for r in serial] == [
        (r.d, r.h, r.ranks, r.status) for r in parallel
    ]
    assert all(r.status == "exact" for r in serial)


def test_csv_columns_and_values():
    rows = sweep("1 + z**2", [2, 3], [1, 4], ("float", "exact"), jobs=1, show_progress=False)
    table = list(csv.DictReader(io.StringIO(csv_text(rows, ("float", "exact")))))
    assert len(table) == 4
    for row, r in zip(table, rows, strict=True):
        assert int(row["rank_exact"]) == int(row["rank"]) == r.rank
        preds = {q.name: q.value for q in predictions("1 + z**2", r.d, r.h)}
        assert int(row["pred_alexander_hirschowitz"]) == preds["alexander_hirschowitz"]
        assert row["pred_eq14"] == "" and row["status"] == "exact"
        assert row["best_name"] == "alexander_hirschowitz" and row["best_kind"] == "exact"


def test_non_polynomial_sweep(sin_activation):
    with pytest.raises(SymhessError, match="needs a polynomial activation"):
        sweep(sin_activation, [1], [1], ("exact",))
    rows = sweep(sin_activation, [1, 2], [2], ("float",), jobs=1, show_progress=False)
    assert [q.name for q in rows[0].predictions] == ["params"]


def test_sweep_refuses_bad_methods_and_dps():
    with pytest.raises(SymhessError, match="dps must be"):
        sweep("z**2", [1], [1], ("mpmath",), dps=10)
    with pytest.raises(SymhessError, match="unknown rank method"):
        sweep("z**2", [1], [1], ("magic",))


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_sweep_command_writes_csv_and_heatmap(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    out, png = tmp_path / "t.csv", tmp_path / "h.png"
    argv = ["sweep", "z + z**2", "--d", "1:3", "--h", "1:3", "--jobs", "1"]
    code, text, err = run(argv + ["--out", str(out), "--plot", str(png)], capsys)
    assert code == 0, err
    assert "9 points: 9 equal an exact prediction" in text
    assert out.read_text().startswith("d,h,params,rank_exact,rank,")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # both outputs are protected
    png.write_bytes(b"precious")
    code, _, err = run(argv + ["--plot", str(png)], capsys)
    assert code == 2 and "--force" in err and png.read_bytes() == b"precious"
    code, _, err = run(argv + ["--plot", str(png), "--force"], capsys)
    assert code == 0 and png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    "argv, message",
    [
        (["sweep", "z**2", "--d", "0:3", "--h", "1"], "--d must be a positive integer"),
        (["sweep", "z**2", "--d", "1", "--h", "1", "--dps", "5"], "from 20 to 1000"),
        (["sweep", "z**2", "--d", "1:90", "--h", "1:90"], "largest points"),
        (["sweep", "z**2", "--d", "1:101", "--h", "1:101"], "at most 10000"),
    ],
)
def test_sweep_command_errors(argv, message, capsys, monkeypatch):
    monkeypatch.setattr("symhess.base.memory.available_memory", lambda: 2**30)
    code, _, err = run(argv, capsys)
    assert code == 2 and err.startswith("symhess: error: ") and err.count("\n") == 1
    assert message in err
