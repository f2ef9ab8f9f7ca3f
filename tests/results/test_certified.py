"""Certified ranks (the ReLU family) in the results store: the method with its bits in ``dps``,
and a point the certificate could not prove, stored without a rank (status UNDECIDED)."""

from __future__ import annotations

import sqlite3

import numpy as np
import pytest

from symhess.cli import main
from symhess.errors import SymhessError
from symhess.rank.measure import rational_teacher
from symhess.report.results import table_lines as results_table
from symhess.report.sweep import csv_text, table_lines
from symhess.results import SerialEngine, Store, compute, grid_tasks, run_tasks, sweep_rows
from symhess.results import points as points_mod
from symhess.results import store as store_mod
from symhess.teacher import Teacher


def theory_rank(d: int, h: int, seed: int) -> int:
    """The rank of relu at the seed's teacher, from the theorem alone (docs/theory.md 11.5):
    ``P - h`` for ``d >= 2`` or ``h = 1``; at ``d = 1`` the number of signs among the w_i."""
    if d >= 2 or h == 1:
        return h * d
    return len(set(np.sign(rational_teacher(d, h, seed).W[:, 0])))


def run(store, tasks):
    run_tasks(store, tasks, engine=SerialEngine(), show_progress=False, calibrate=False)
    return {(r.key.d, r.key.h, r.key.method): r for r in store.results([t.key for t in tasks])}


def parallel_teacher(d, h, seed):
    """The seed's rational teacher with row 1 = 2 row 0: the theorem does not apply, the
    certificate claims nothing, and the rank is ``P - h - d`` (identical tangents)."""
    t = rational_teacher(d, h, seed)
    W = t.W.copy()
    W[1] = 2 * W[0]
    return Teacher(W, t.v)


def test_exact_on_relu_is_stored_as_certified_with_its_bits(db):
    tasks = grid_tasks(["relu(z)"], (1, 2, 3), (1, 2, 3), (0, 1), ("exact",), prec=96)
    assert {t.method for t in tasks} == {"certified"} and {t.key.dps for t in tasks} == {96}
    with Store(db) as s:
        got = run(s, tasks)
    assert len(got) == 9  # two seeds: keyed apart
    with Store(db) as s:
        points = s.results([t.key for t in tasks])
    assert len(points) == 18
    for r in points:
        k = r.key
        assert r.rank == theory_rank(k.d, k.h, k.seed), (k, r.detail)
        assert r.decided and r.route == "ball" and "proved at 96 bits" in r.detail
        bound = min(q[1] for q in r.predictions)
        assert r.generic == (r.rank == bound)
        assert all(q[3] for q in r.predictions)  # every prediction holds
    # what an independent reader sees
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT DISTINCT method, dps, route, rank IS NULL FROM points"
        ).fetchall()
        assert rows == [("certified", 96, "ball", 0)]
    finally:
        conn.close()


def test_a_point_without_a_proof_is_stored_without_a_rank(db, monkeypatch):
    monkeypatch.setattr(points_mod, "rational_teacher", parallel_teacher)
    tasks = grid_tasks(["relu(z)"], (4,), (4,), (0,), ("float", "certified"))
    with Store(db) as s:
        got = run(s, tasks)
        under = s.rows("status = UNDECIDED")[1]
        ranked = s.rows("rank < 100")[1]
    cert, flt = got[(4, 4, "certified")], got[(4, 4, "float")]
    assert cert.rank is None and cert.status == "UNDECIDED" and "parallel" in cert.detail
    assert not cert.decided and not cert.generic and cert.route == "ball"
    assert {q[0]: q[3] for q in cert.predictions} == {"params": None, "rescaling": None}
    assert flt.rank == 20 - 4 - 4 and flt.status == "MISMATCH"  # the theorem's exception
    assert len(under) == 1 and len(ranked) == 1  # NULL matches no condition on rank
    conn = sqlite3.connect(db)
    try:
        assert conn.execute(
            "SELECT rank, deficit FROM results WHERE method = 'certified'"
        ).fetchall() == [(None, None)]
        assert conn.execute("SELECT count(*) FROM predictions WHERE holds IS NULL").fetchone() == (
            2,
        )
        assert conn.execute("SELECT count(*) FROM disagreements").fetchone() == (0,)
    finally:
        conn.close()
    # the grid: float64 gives the row its rank; the certified rank alone leaves it undecided
    (row,) = next(iter(sweep_rows([cert, flt]).values()))
    assert row.rank == 12 and row.ranks == {"certified": None, "float": 12}
    (row,) = next(iter(sweep_rows([cert]).values()))
    assert row.rank is None and row.status == "UNDECIDED" and row.flagged
    assert csv_text([row], ("certified",)).splitlines()[1].startswith("4,4,20,,,0,")
    assert "  4  -" in "\n".join(table_lines([row]))
    with Store(db, readonly=True) as s:
        columns, rows = s.rows("method = certified")
    assert results_table(columns, rows, 5)[1].split()[5] == "-"


def test_the_schema_refuses_impossible_rows(db):
    with Store(db) as s:
        run(s, grid_tasks(["relu(z)"], (2,), (2,), (0,), ("certified",)))
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        good = dict(conn.execute("SELECT * FROM points").fetchone())
        del good["id"]

        def insert(**change):
            row = {**good, "seed": good["seed"] + 1, **change}
            cols = ", ".join(row)
            conn.execute(f"INSERT INTO points ({cols}) VALUES ({', '.join('?' * len(row))})",
                         list(row.values()))  # fmt: skip

        insert(seed=7)  # the row itself is fine
        for change in (
            {"rank": None},  # a NULL rank needs status UNDECIDED
            {"status": "UNDECIDED"},  # and UNDECIDED needs a NULL rank
            {"rank": None, "status": "UNDECIDED"},  # not decided = 0
            {"rank": None, "status": "UNDECIDED", "decided": 0, "method": "exact", "dps": 0},
            {"dps": 0},  # certified carries its bits
            {"method": "exact"},  # exact has no precision
            {"route": "guess"},
        ):
            with pytest.raises(sqlite3.IntegrityError):
                insert(**change)
        insert(rank=None, status="UNDECIDED", decided=0, generic=0)
    finally:
        conn.close()


def test_a_file_of_the_first_draft_of_schema_1_refuses_certified_points(db, monkeypatch):
    monkeypatch.setattr(store_mod, "TABLES", store_mod.TABLES.replace("'certified'", "'mpmath'"))
    certified = compute(grid_tasks(["relu(z)"], (2,), (2,), (0,), ("certified",))[0])
    floated = compute(grid_tasks(["relu(z)"], (2,), (2,), (0,), ("float",))[0])
    with Store(db) as s:
        assert s.add(floated)
        with pytest.raises(SymhessError, match="development version"):
            s.add(certified)
        assert s.count() == 1


def test_sweep_relu_with_defaults_and_its_results(db, tmp_path, capsys):
    out_csv = tmp_path / "t.csv"
    argv = ["sweep", "relu(z)", "--d", "1:3", "--h", "1:3", "--jobs", "1"]
    assert main([*argv, "--db", str(db), "--out", str(out_csv)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("activation  sigma(z) = relu(z); method certified; seed 0\n")
    assert "routed to the certified method" in out and "0 without a rank" in out
    lines = out_csv.read_text().splitlines()
    assert lines[0].startswith("d,h,params,rank_certified,rank,decided,")
    for line in lines[1:]:
        d, h, _, rank = map(int, line.split(",")[:4])
        assert rank == theory_rank(d, h, 0)
    assert main(["results", str(db), "--where", "method = certified and route = ball"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "9 points"
    # asking again computes nothing: exact was stored as certified
    assert main([*argv, "--db", str(db)]) == 0
    assert "0 points computed, 9 already stored, of 9" in capsys.readouterr().out


def test_sweep_exits_1_when_a_point_is_undecided(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(points_mod, "rational_teacher", parallel_teacher)
    code = main(["sweep", "abs(z)", "--d", "3", "--h", "2", "--jobs", "1"])
    out = capsys.readouterr().out
    assert code == 1
    assert "1 without a rank" in out and "UNDECIDED at d = 3, h = 2" in out
