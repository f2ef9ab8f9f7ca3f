"""Engines: the process pool and a Dask LocalCluster give the rows of a serial run; a
scheduler that does not answer fails fast, in one line."""

from __future__ import annotations

import os
import socket
import sys
import time

import pytest

from symhess.cli import main
from symhess.errors import SymhessError
from symhess.results import (
    DaskEngine,
    PoolEngine,
    SerialEngine,
    Store,
    grid_tasks,
    make_engine,
    run_tasks,
)
from symhess.results import run as run_mod

ACTS = ["z + z**3", "z**2 + z**5"]
SWEEP = ["sweep", *ACTS, "--d", "1:3", "--h", "1:4", "--seeds", "0:1"]  # 48 points


def stored(path):
    tasks = grid_tasks(ACTS, range(1, 4), range(1, 5), (0, 1), ("exact",))
    with Store(path, readonly=True) as s:
        res = s.results([t.key for t in tasks])
    assert len(res) == len(tasks) == 48
    here = f"{socket.gethostname()}:{os.getpid()}"  # calibration points run in this process
    return [r.deterministic for r in res], {r.worker for r in res} - {here}


@pytest.mark.acceptance
def test_dask_local_cluster_gives_the_rows_of_the_local_runs(tmp_path, capsys):
    """A LocalCluster of 2 single-threaded worker processes on 127.0.0.1, reached through its
    scheduler address as --scheduler does, against a run in this process. (The process pool
    against this process: the kill -9 test.)"""
    distributed = pytest.importorskip("dask.distributed")
    serial, workers = stored_run(tmp_path / "serial.sqlite", ["--jobs", "1"], capsys)
    assert not workers
    with distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    ) as cluster:
        assert cluster.scheduler_address.startswith("tcp://127.0.0.1:")
        argv = ["--scheduler", cluster.scheduler_address, "--timeout", "30"]
        dask, workers = stored_run(tmp_path / "dask.sqlite", argv, capsys)
        # one client kept open around several runs (entering the engine again reuses it)
        few = grid_tasks(ACTS, [4], [1, 2], (0,), ("exact",))
        with DaskEngine(cluster.scheduler_address, timeout=30) as engine, Store(":memory:") as s:
            for _ in range(2):
                run_tasks(s, few, engine=engine, show_progress=False, calibrate=False)
            assert s.count() == 4 and engine.client is not None
        assert engine.client is None
    assert dask == serial
    assert len(workers) == 2  # both worker processes computed points
    with Store(tmp_path / "dask.sqlite", readonly=True) as s:
        engines = [r[0] for r in s.conn.execute("SELECT engine FROM sweeps")]
    assert engines == [f"dask {cluster.scheduler_address}"]


def stored_run(path, extra, capsys):
    assert main([*SWEEP, "--db", str(path), *extra]) == 0
    assert "48 points computed" in capsys.readouterr().out
    return stored(path)


def test_unreachable_scheduler_is_one_line_within_the_timeout(tmp_path, capsys):
    pytest.importorskip("dask.distributed")
    start = time.monotonic()
    with pytest.raises(SymhessError, match=r"tcp://127.0.0.1:9' cannot be reached within 2 s"):
        with DaskEngine("tcp://127.0.0.1:9", timeout=2):
            pass
    assert time.monotonic() - start < 10
    db = tmp_path / "r.sqlite"
    argv = ["sweep", "z**2", "--d", "1", "--h", "1", "--db", str(db)]
    code = main(argv + ["--scheduler", "tcp://127.0.0.1:9", "--timeout", "1"])
    _, err = capsys.readouterr()
    assert code == 2 and err.startswith("symhess: error: the Dask scheduler")
    assert err.count("\n") == 1
    with Store(db) as s:  # nothing computed, the sweep recorded as failed
        assert s.count() == 0 and s.sweep_states() == ["failed"]
    assert main(argv + ["--scheduler", "not an address"]) == 2
    assert "not a Dask scheduler address" in capsys.readouterr().err


def test_missing_dask_is_one_line(monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    with pytest.raises(SymhessError, match=r"pip install 'symhess\[dask\]'"):
        with DaskEngine(None, n_workers=1):
            pass


def test_make_engine():
    assert isinstance(make_engine(jobs=1), SerialEngine)
    assert isinstance(make_engine(jobs=2), PoolEngine) and not make_engine(jobs=2).auto
    assert make_engine().auto  # a default pool may give way to this process
    e = make_engine(engine="dask", jobs=2)
    assert isinstance(e, DaskEngine) and not e.remote and e.n_workers == 2
    e = make_engine("tcp://127.0.0.1:8786")
    assert isinstance(e, DaskEngine) and e.remote
    with pytest.raises(SymhessError, match="needs the dask engine"):
        make_engine("tcp://127.0.0.1:8786", engine="pool")
    with pytest.raises(SymhessError, match="unknown engine"):
        make_engine(engine="ray")
    with pytest.raises(SymhessError, match="timeout must be"):
        make_engine("tcp://127.0.0.1:8786", timeout=0)


def test_a_failing_point_keeps_the_finished_ones(tmp_path, monkeypatch):
    """A worker's error reaches the caller; points stored before it stay; the sweep is
    recorded as failed."""
    calls = []
    compute = run_mod.compute

    def flaky(task):
        calls.append(task)
        if len(calls) == 3:
            raise SymhessError("simulated failure at the third point")
        return compute(task)

    monkeypatch.setattr(run_mod, "compute", flaky)
    tasks = grid_tasks(["z**2"], range(1, 3), range(1, 3), (0,), ("exact",))
    with Store(tmp_path / "f.sqlite") as s:
        with pytest.raises(SymhessError, match="simulated"):
            run_tasks(s, tasks, engine=SerialEngine(), show_progress=False, calibrate=False)
        assert s.count() == 2 and s.sweep_states() == ["failed"]
