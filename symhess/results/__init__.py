"""Sweeps as a workload: a results database that survives ``kill -9``, engines, the atlas.

* :mod:`.points` - what one sweep point is (key, task, result) and how a worker computes it;
* :mod:`.store` - the SQLite results database: schema, refusal of foreign files, sweep lock,
  the ``where`` filter grammar;
* :mod:`.engine` - where points run: this process, the process pool, a Dask cluster;
* :mod:`.plan` - grids, the cost model and the time estimate;
* :mod:`.run` - a sweep: plan -> skip what is stored -> estimate -> run -> store, resumable;
* :mod:`.atlas` - the exact-rank atlas of mixed-degree polynomial networks.

It sits above :mod:`symhess.rank` (whose rank code it runs point by point) and below
:mod:`symhess.report`, which formats its tables and figures.
"""

from .atlas import AtlasPoint, run_atlas
from .engine import DaskEngine, PoolEngine, SerialEngine, make_engine
from .plan import grid_tasks
from .points import PointKey, PointResult, PointTask, compute
from .run import SweepOutcome, run_sweep, run_tasks, sweep_rows
from .store import Store, parse_where

__all__ = [
    "AtlasPoint",
    "DaskEngine",
    "PointKey",
    "PointResult",
    "PointTask",
    "PoolEngine",
    "SerialEngine",
    "Store",
    "SweepOutcome",
    "compute",
    "grid_tasks",
    "make_engine",
    "parse_where",
    "run_atlas",
    "run_sweep",
    "run_tasks",
    "sweep_rows",
]
