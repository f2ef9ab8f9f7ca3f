"""Acceptance: Ctrl-C and kill -9 in the middle of a sweep; the same command again completes
it, and the store equals that of a clean run."""

from __future__ import annotations

import os
import signal
import sqlite3
import time
from pathlib import Path

import pytest

from symhess.cli import main

from .conftest import cli

GRID = ["sweep", "z + z**3", "--d", "1:8", "--h", "1:8"]
TOTAL = 64

DETERMINISTIC = (
    "activation, biases, d, h, teacher, seed, method, dps, label, support, params, rank, "
    "decided, route, generic, detail, status, best_name, best_value, best_kind"
)


def count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        c = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            return c.execute("SELECT count(*) FROM points").fetchone()[0]
        finally:
            c.close()
    except sqlite3.OperationalError:  # not created yet
        return 0


def snapshot(db: Path):
    """Every deterministic column of every point and prediction (not timings, provenance)."""
    c = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        points = c.execute(
            f"SELECT {DETERMINISTIC} FROM points ORDER BY activation, d, h, seed, method"
        ).fetchall()
        preds = c.execute(
            "SELECT p.activation, p.d, p.h, p.seed, p.method, q.name, q.value, q.kind, q.holds, "
            "q.source FROM predictions q JOIN points p ON p.id = q.point "
            "ORDER BY p.activation, p.d, p.h, p.seed, p.method, q.name"
        ).fetchall()
        assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        states = [r[0] for r in c.execute("SELECT state FROM sweeps ORDER BY id")]
        return points, preds, states
    finally:
        c.close()


def run_until(args, db: Path, rows: int, sig: int):
    """Start the sweep; once the store holds ``rows`` points, send ``sig`` to its group."""
    p = cli(*args)
    deadline = time.monotonic() + 120
    while count(db) < rows and p.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert p.poll() is None, f"the sweep ended before it could be interrupted: {p.stderr.read()}"
    os.killpg(p.pid, sig)
    out, err = p.communicate(timeout=60)
    return p.returncode, out, err


@pytest.mark.acceptance
def test_ctrl_c_then_kill_9_then_the_same_command_equals_a_clean_run(tmp_path, capsys):
    """Ctrl-C: one line, exit 130. kill -9 of the whole process group (pool workers
    included) mid-run. The same command again computes only what is missing; every point is
    stored once, and every deterministic column equals that of a clean run's store."""
    db = tmp_path / "killed.sqlite"
    args = GRID + ["--jobs", "2", "--db", db]
    code, _, err = run_until(args, db, 5, signal.SIGINT)
    assert code == 130 and "rerun the same command to resume" in err, err
    assert "Traceback" not in err and err.count("\n") == 1
    first = count(db)
    code, _, _ = run_until(args, db, first + 10, signal.SIGKILL)
    assert code == -signal.SIGKILL
    second = count(db)
    assert first + 10 <= second < TOTAL  # killed mid-run
    p = cli(*args)
    out, err = p.communicate(timeout=300)
    assert p.returncode == 0, err
    assert f"{TOTAL - second} points computed, {second} already stored, of {TOTAL}" in out

    clean = tmp_path / "clean.sqlite"
    assert main(GRID + ["--jobs", "1", "--db", str(clean)]) == 0
    capsys.readouterr()
    points, preds, states = snapshot(db)
    points0, preds0, states0 = snapshot(clean)
    assert len(points) == TOTAL and len({r[:8] for r in points}) == TOTAL  # each point once
    assert points == points0 and preds == preds0
    assert states == ["interrupted", "killed", "done"] and states0 == ["done"]
