"""Timing helpers shared by the benchmark scripts (not part of the package)."""

from __future__ import annotations

import os
import platform
import statistics
import time


def best_of(func, repeat: int = 5):
    """``(min, median)`` wall time of ``func()`` over ``repeat`` runs."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def machine() -> str:
    """One line naming the machine and the BLAS thread settings."""
    threads = {
        k: os.environ[k]
        for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
        if k in os.environ
    }
    return (
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"BLAS threads: {threads or 'library default'}"
    )


def load() -> str:
    """The 1-, 5- and 15-minute load averages (other processes make timings noisy)."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"


def verdict(seconds: float, target: float, applies: bool = True) -> str:
    """``"target < T s: met"`` or ``MISSED``, or nothing when the target is for another size."""
    if not applies:
        return "(the target is for the full size; run without --quick)"
    return f"target < {target:g} s: {'met' if seconds < target else 'MISSED'}"
