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
