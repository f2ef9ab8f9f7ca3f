"""Sweeps as a workload: points per second of each engine, and the atlas's wall time.

Run: python benchmarks/bench_sweeps.py [--workers 2] [--max 8] [--atlas-max 8] [--quick]

1. The exact rank of a cubic over d, h in 1..8 (64 points), each engine writing to its own
   fresh results store (no calibration, no resume): this process, the process pool, and a
   Dask LocalCluster (single-threaded worker processes on 127.0.0.1) reached through its
   scheduler address; the cluster's start-up is timed apart. Points per second and the ratio
   to this process, measured in the same run.
2. The atlas: every support in {0..5}, d, h in 1..8 (3968 points), on the process pool;
   wall time, CPU seconds in the ranks, and its points per second against the cubic's.

Timings on a shared machine are noisy: compare ratios, and re-run when the machine is quiet.
--quick shrinks every size (to check that the script runs, not for numbers).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from _timing import machine

from symhess.results import (
    DaskEngine,
    PoolEngine,
    SerialEngine,
    Store,
    grid_tasks,
    run_atlas,
    run_tasks,
)

CUBIC = "z - z**2/3 + z**3/6"


def timed(engine, tasks, path) -> tuple[float, float]:
    """Wall seconds of the sweep (engine start-up included) and CPU seconds in the ranks."""
    with Store(path) as s:
        start = time.perf_counter()
        run_tasks(s, tasks, engine=engine, calibrate=False, show_progress=False, yes=True)
        wall = time.perf_counter() - start
        cpu = s.conn.execute("SELECT sum(seconds) FROM points").fetchone()[0]
    return wall, cpu


def engines(tasks, folder: Path, workers: int):
    rows = [("this process", *timed(SerialEngine(), tasks, folder / "serial.sqlite"))]
    rows.append((f"pool x{workers}", *timed(PoolEngine(workers), tasks, folder / "pool.sqlite")))
    try:
        from dask.distributed import LocalCluster
    except ImportError:
        print("  (dask[distributed] is not installed: no Dask row)")
        return rows, None
    start = time.perf_counter()
    cluster = LocalCluster(
        n_workers=workers,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    engine = DaskEngine(cluster.scheduler_address, timeout=60)
    with engine:  # workers import symhess here, once: part of the start-up
        startup = time.perf_counter() - start
        rows.append((f"dask local x{workers}", *timed(engine, tasks, folder / "dask.sqlite")))
    cluster.close()
    return rows, startup


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--max", type=int, default=8, help="d, h in 1..MAX for the cubic")
    p.add_argument("--atlas-max", type=int, default=8, help="d, h in 1..MAX for the atlas")
    p.add_argument("--no-atlas", action="store_true")
    p.add_argument("--quick", action="store_true")
    a = p.parse_args()
    if a.quick:
        a.max, a.atlas_max = 3, 2
    print(machine(), f"load average {os.getloadavg()[0]:.1f}")
    tasks = grid_tasks([CUBIC], range(1, a.max + 1), range(1, a.max + 1), (0,), ("exact",))
    print(f"\n1. exact rank of {CUBIC}, d, h in 1..{a.max}: {len(tasks)} points")
    with tempfile.TemporaryDirectory() as tmp:
        rows, startup = engines(tasks, Path(tmp), a.workers)
        base = rows[0][1]
        print(f"  {'engine':<18} {'wall s':>7} {'points/s':>9} {'vs this process':>16} "
              f"{'CPU s in ranks':>15}")  # fmt: skip
        for name, wall, cpu in rows:
            print(
                f"  {name:<18} {wall:7.2f} {len(tasks) / wall:9.1f} {base / wall:16.2f} {cpu:15.2f}"
            )
        if startup is not None:
            print(f"  Dask LocalCluster start-up (workers importing symhess): {startup:.1f} s")
        if a.no_atlas:
            return
        degrees = range(6)
        ds = hs = range(1, a.atlas_max + 1)
        print(f"\n2. the atlas: every support in 0..5, d, h in 1..{a.atlas_max}, pool x{a.workers}")
        with Store(Path(tmp) / "atlas.sqlite") as s:
            start = time.perf_counter()
            points = run_atlas(
                s, degrees, ds, hs, engine=PoolEngine(a.workers), show_progress=False, yes=True
            )
            wall = time.perf_counter() - start
            cpu = s.conn.execute("SELECT sum(seconds) FROM points").fetchone()[0]
            routes = dict(s.conn.execute("SELECT route, count(*) FROM points GROUP BY route"))
        pool_rate = len(tasks) / rows[1][1]
        rate = len(points) / wall
        print(
            f"  {len(points)} points in {wall:.1f} s wall ({cpu:.1f} s CPU in the ranks; "
            f"routes {routes}): {rate:.1f} points/s, {rate / pool_rate:.2f}x the cubic's "
            f"points/s on the same pool"
        )


if __name__ == "__main__":
    main()
