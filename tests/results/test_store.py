"""The results store: schema, uniqueness, atomic points, refusal of foreign files, the lock,
the where grammar, and what the sqlite3 shell (an independent reader) sees."""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from symhess.cli import main
from symhess.errors import SymhessError
from symhess.rank.grid import sweep
from symhess.rank.theory import PREDICTION_NAMES
from symhess.report.results import export_csv
from symhess.results import SerialEngine, Store, compute, grid_tasks, run_tasks
from symhess.results import store as store_mod
from symhess.results.store import SCHEMA_VERSION, inspect, parse_where

from .conftest import cli, cli_env


def small_sweep(path, acts=("z + z**3",), ds=(1, 2, 3), hs=(1, 2), **kw):
    tasks = grid_tasks(list(acts), ds, hs, (0,), ("exact",))
    with Store(path) as s:
        run_tasks(s, tasks, engine=SerialEngine(), show_progress=False, **kw)
        return tasks, s.results([t.key for t in tasks])


def digest(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_roundtrip_and_unique_key(db):
    tasks, results = small_sweep(db)
    assert len(results) == len(tasks) == 6
    with Store(db) as s:
        assert s.add(compute(tasks[0])) is False  # the same point again writes nothing
        assert s.count() == 6
        assert s.results([t.key for t in tasks]) == results
        # a second spelling of the same activation is the same key: nothing is computed
        again = grid_tasks(["z**3 + z"], (1, 2, 3), (1, 2), (0,), ("exact",))
        out = run_tasks(s, again, engine=SerialEngine(), show_progress=False)
    assert out.computed == 0 and out.stored_before == 6


def test_values_match_the_rank_grid(db):
    """Every stored rank, status and prediction is what symhess.sweep (the grid code, without
    a store) computes itself."""
    _, results = small_sweep(db, ds=(1, 2, 5), hs=(2, 6))
    rows = {(r.d, r.h): r for r in sweep("z + z**3", (1, 2, 5), (2, 6), jobs=1)}
    for r in results:
        ref = rows[(r.key.d, r.key.h)]
        assert (r.rank, r.status, r.params) == (ref.rank, ref.status, ref.params)
        assert [(n, v, k) for n, v, k, _, _ in r.predictions] == [
            (q.name, q.value, q.kind) for q in ref.predictions
        ]
        assert r.generic and r.route == "mod-p"
    at = next(r for r in results if (r.key.d, r.key.h) == (5, 6))
    assert (at.rank, at.best[:2]) == (35, ("binomial", 35))


def test_the_sqlite3_shell_reads_it(db):
    """An independent reader: the sqlite3 program sees the schema, rows and views."""
    exe = shutil.which("sqlite3")
    if exe is None:
        pytest.skip("no sqlite3 shell")
    small_sweep(db)

    def run(sql):
        done = subprocess.run([exe, str(db), sql], capture_output=True, text=True, check=True)
        return done.stdout

    assert run("PRAGMA user_version;").strip() == str(SCHEMA_VERSION)
    assert "CREATE TABLE points" in run(".schema")
    assert run("SELECT count(*) FROM points;").strip() == "6"
    n = int(run("SELECT count(*) FROM predictions;"))
    assert n == sum(len(r.predictions) for r in small_sweep(db)[1])
    line = run("SELECT rank, pred_degree_support, deficit FROM results WHERE d = 3 AND h = 2;")
    assert line.strip() == "8|8|0"
    assert run("PRAGMA integrity_check;").strip() == "ok"
    assert run("PRAGMA journal_mode;").strip() == "wal"


def test_python_sqlite3_reads_the_documented_schema(db):
    """Without symhess: the views and the columns the README documents."""
    small_sweep(db)
    c = sqlite3.connect(db)
    try:
        cols = [r[1] for r in c.execute("PRAGMA table_info(results)")]
        assert {"label", "d", "h", "rank", "deficit", "status", "route", "generic"} <= set(cols)
        assert {f"pred_{n}" for n in PREDICTION_NAMES} <= set(cols)
        assert c.execute("SELECT count(*) FROM disagreements").fetchone()[0] == 0
        meta = dict(c.execute("SELECT key, value FROM meta"))
        assert meta["format"] == "symhess-results" and meta["schema"] == str(SCHEMA_VERSION)
        assert c.execute("PRAGMA application_id").fetchone()[0] == 0x53594D48
    finally:
        c.close()


def test_a_point_is_all_or_nothing(db):
    small_sweep(db, ds=(1,), hs=(1,))
    r = compute(grid_tasks(["z + z**3"], (2,), (2,), (0,), ("exact",))[0])
    with Store(db) as s:
        real = s.conn

        class Failing:
            """The connection, failing when the predictions are written (after the row)."""

            def execute(self, *a):
                return real.execute(*a)

            def executemany(self, *a):
                raise sqlite3.OperationalError("disk I/O error (simulated)")

        s.conn = Failing()
        with pytest.raises(sqlite3.OperationalError):
            s.add(r)
        s.conn = real
        assert s.count() == 1  # neither the row nor its predictions
        assert s.add(r) is True and s.count() == 2


@pytest.mark.parametrize(
    "content",
    [b"d,h,rank\n1,1,2\n", os.urandom(4096), b"SQLite format 3\x00" + b"\x00" * 84],
)
def test_refuses_non_sqlite_files_untouched(tmp_path, content, capsys):
    p = tmp_path / "results.sqlite"
    p.write_bytes(content)
    before = digest(p)
    for readonly in (False, True):
        with pytest.raises(SymhessError, match="not an SQLite database"):
            Store(p, readonly=readonly)
    assert main(["sweep", "z**2", "--d", "1", "--h", "1", "--db", str(p)]) == 2
    assert main(["results", str(p)]) == 2
    err = capsys.readouterr().err
    assert err.count("symhess: error: ") == 2 and err.count("\n") == 2
    assert digest(p) == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["results.sqlite"]


@pytest.mark.parametrize("wal", [False, True])
def test_refuses_foreign_sqlite_untouched(tmp_path, wal):
    p = tmp_path / "other.db"
    c = sqlite3.connect(p)
    if wal:
        c.execute("PRAGMA journal_mode = WAL")
    c.execute("CREATE TABLE points (x)")
    c.execute("INSERT INTO points VALUES (1)")
    c.commit()
    c.close()
    before = digest(p)
    with pytest.raises(SymhessError, match="another program"):
        Store(p)
    with pytest.raises(SymhessError, match="another program"):
        Store(p, readonly=True)
    assert digest(p) == before
    assert sorted(x.name for x in tmp_path.iterdir()) == ["other.db"]


def test_refuses_newer_schema_links_and_folders(tmp_path, db):
    small_sweep(db, ds=(1,), hs=(1,))
    link = tmp_path / "link.sqlite"
    link.symlink_to(db)
    with pytest.raises(SymhessError, match="not a regular file"):
        Store(link)
    with pytest.raises(SymhessError, match="not a regular file"):
        Store(tmp_path)
    with pytest.raises(SymhessError, match="does not exist"):
        Store(tmp_path / "missing.sqlite", readonly=True)
    c = sqlite3.connect(db)
    c.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    c.commit()
    c.close()
    with pytest.raises(SymhessError, match="newer than this symhess"):
        Store(db)


def test_an_empty_file_becomes_a_store(tmp_path):
    p = tmp_path / "new.sqlite"
    p.touch()
    assert inspect(p) == "empty"
    with pytest.raises(SymhessError, match="empty"):
        Store(p, readonly=True)
    with Store(p) as s:
        assert s.count() == 0
    assert inspect(p) == "ours"


def test_readonly_store_cannot_write(db):
    tasks, results = small_sweep(db, ds=(1,), hs=(1,))
    with Store(db, readonly=True) as s:
        assert s.results([tasks[0].key]) == results
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            s.add(compute(grid_tasks(["z**2"], (1,), (1,), (0,), ("exact",))[0]))


def test_a_changed_view_is_recreated(db):
    """Views hold no data: an older results view (fewer prediction columns) is replaced when
    the store is opened for writing; the points stay."""
    small_sweep(db, ds=(1,), hs=(1, 2))
    c = sqlite3.connect(db)
    c.execute("DROP VIEW results")
    c.execute("CREATE VIEW results AS SELECT id, rank FROM points")
    c.commit()
    c.close()
    with Store(db) as s:
        columns, rows = s.rows()
        assert "pred_partition" in columns and len(rows) == 2


# ----------------------------------------------------------------------------- where
def test_where_grammar():
    sql, params = parse_where("status = below and d >= 3 and activation = 'z**3 + z'")
    assert sql == "status = ? AND d >= ? AND activation = ?"
    assert params == ["below", 3, "poly(0, 1, 0, 1)"]
    assert parse_where("generic = true") == ("generic = ?", [1])
    assert parse_where("pred_partition < 36") == ("pred_partition < ?", [36])
    assert parse_where("rank < pred_degree_support") == ("rank < pred_degree_support", [])
    assert parse_where("support = '1,3'") == ("support = ?", ["1,3"])
    for bad, message in [
        ("d = 1; DROP TABLE points", "unexpected ';'"),
        ("rank > ", "expected FIELD OP VALUE"),
        ("sqlite_master = 1", "unknown field"),
        ("d 3 4", "expected an operator"),
        ("d = 1 or h = 2", "expected 'and'"),
        ("activation = '__import__(\"os\")'", "activation"),
        ("pred_partition < best_name", "different kinds"),
        ("rank < lots", "holds integers"),
        ("rank < '3'", "holds integers"),
        ("method = 3", "holds text"),
    ]:
        with pytest.raises(SymhessError, match=message):
            parse_where(bad)


def test_rows_csv_and_the_results_command(db, tmp_path, capsys):
    small_sweep(db, ds=(4, 5), hs=(5, 6))
    with Store(db, readonly=True) as s:
        columns, rows = s.rows("d = 5 and h = 6")
        assert [r[columns.index("rank")] for r in rows] == [35]
        out = tmp_path / "some.csv"
        assert export_csv(s, out, "h = 6") == 2
        assert out.read_text().splitlines()[0].startswith("id,label,activation,support")
        with pytest.raises(SymhessError, match="force"):
            export_csv(s, out)
    assert main(["results", str(db), "--where", "d >= 5", "--where", "h = 6"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].split()[:6] == ["label", "d", "h", "seed", "method", "rank"]
    assert "z**3 + z  5  6     0  exact     35" in text and text.endswith("1 points\n")
    csv_path = tmp_path / "all.csv"
    assert main(["results", str(db), "--csv", str(csv_path)]) == 0
    assert "wrote" in capsys.readouterr().out and len(csv_path.read_text().splitlines()) == 5
    assert main(["results", str(db), "--csv", str(csv_path)]) == 2  # exists: needs --force
    assert main(["results", str(db), "--where", "rank = 1 or 1 = 1"]) == 2
    err = capsys.readouterr().err
    assert "--force" in err and "expected 'and'" in err and err.count("\n") == 2


# ----------------------------------------------------------------------------- the lock
HOLD = """
import sys, time
from symhess.results import Store
s = Store(sys.argv[1])
sid = s.begin_sweep("holder", "test", 1)
print(sid, flush=True)
time.sleep(float(sys.argv[2]))
s.end_sweep(sid, "done", 0)
"""


def hold(db, seconds):
    p = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), str(seconds)],
        env=cli_env(),
        stdout=subprocess.PIPE,
        text=True,
    )
    assert p.stdout.readline().strip().isdigit()  # the lock is held from here
    return p


@pytest.mark.acceptance
def test_two_sweeps_at_once_on_one_store(db, capsys):
    """Acceptance: while one ``symhess sweep`` runs on a store, a second on the same store
    (another grid) is refused in one line; with --wait it waits for the first and then runs.
    Both grids end up complete, every point once, the file intact."""
    first = cli("sweep", "z + z**3", "--d", "1:8", "--h", "1:8", "--jobs", "1", "--db", db)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and first.poll() is None:
            with contextlib.suppress(sqlite3.Error, SymhessError):
                with Store(db, readonly=True) as s:
                    if s.count():
                        break
            time.sleep(0.01)
        assert first.poll() is None, "the first sweep ended before the second started"
        second = ["sweep", "z**2 + z**4", "--d", "1:3", "--h", "1:3", "--db", str(db)]
        assert main(second) == 2
        err = capsys.readouterr().err
        assert f"in use by another sweep (pid {first.pid} " in err and err.count("\n") == 1
        assert main([*second, "--wait", "120"]) == 0
        assert "9 points computed, 0 already stored, of 9" in capsys.readouterr().out
        assert first.wait(timeout=120) == 0  # the second waited for the first to finish
    finally:
        if first.poll() is None:
            first.kill()
    with Store(db, readonly=True) as s:
        assert s.count() == 64 + 9 and s.sweep_states() == ["done", "done"]
        assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        keys = s.conn.execute("SELECT count(DISTINCT activation || d || ',' || h) FROM points")
        assert keys.fetchone()[0] == 64 + 9


def test_a_live_holder_refuses_a_killed_one_is_found_dead(db):
    small_sweep(db, ds=(1,), hs=(1,))
    holder = hold(db, 60)
    try:
        with pytest.raises(SymhessError, match=rf"in use by another sweep \(pid {holder.pid} "):
            small_sweep(db, ds=(1, 2), hs=(1,), wait=0.3)
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    small_sweep(db, ds=(1, 2), hs=(1,))
    with Store(db) as s:  # the refused sweep left no row; the dead holder's row is marked
        assert s.sweep_states() == ["done", "killed", "done"]


WRITER = """
import os, sys, time
from symhess.results import Store, compute, grid_tasks
tasks = grid_tasks(["z + z**3"], range(1, 5), range(1, 5), (0,), ("exact",))
lo, hi = int(sys.argv[2]), int(sys.argv[3])
results = [compute(t) for t in tasks[lo:hi]]
s = Store(sys.argv[1])
print("ready", flush=True)
while not os.path.exists(sys.argv[4]):
    time.sleep(0.001)
print(sum(s.add(r) for r in results))
"""


@pytest.mark.acceptance
def test_two_writers_at_once_do_not_corrupt(db, tmp_path):
    """Acceptance: two processes writing overlapping points at the same moment, without the
    sweep lock (library use): every key once, integrity intact."""
    Store(db).close()
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), lo, hi, str(go)],
            env=cli_env(),
            stdout=subprocess.PIPE,
            text=True,
        )
        for lo, hi in (("0", "12"), ("4", "16"))
    ]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    go.touch()  # both write from here on, interleaved
    written = [int(p.communicate(timeout=120)[0]) for p in procs]
    assert sum(written) == 16  # the 8 shared points were written by exactly one of them
    with Store(db) as s:
        assert s.count() == 16
        assert s.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        n = s.conn.execute("SELECT count(DISTINCT point) FROM predictions").fetchone()[0]
        assert n == 16


def test_busy_timeout_is_set(db):
    with Store(db) as s:
        assert s.conn.execute("PRAGMA busy_timeout").fetchone()[0] == store_mod.BUSY_TIMEOUT_MS
