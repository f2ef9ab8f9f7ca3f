"""BLAS threads: the one policy for every iterative solver and symhess's own thread pool.

numpy and scipy wheels each bundle their own OpenBLAS. ARPACK and ``scipy.linalg`` run on
scipy's copy; the Hessian operator's products (``numpy.dot``/``@``) on numpy's. An OpenBLAS
worker busy-waits for a while after each call, so when a solver alternates between the two
copies, four spinning threads share two cores: each product inside ARPACK then costs several
times what it costs alone (measured at d = h = 300 on 2 quiet cores: 36 ms per product inside
``eigsh`` against 4.4 ms alone; ``benchmarks/bench_threads.py``).

The policy, applied by :func:`solver_threads` around every iterative solver (ARPACK, LOBPCG,
conjugate gradients, stochastic Lanczos quadrature):

* scipy's own BLAS gets **one** thread: its calls inside the solvers (reorthogonalisation,
  small dense factorisations) are memory-bound or tiny, and a second thread only spins;
* numpy's BLAS gets :func:`numpy_threads` threads: the cores that other processes leave idle
  *now* (the CPU count minus their busy cores, sampled from ``/proc/stat`` for 50 ms and
  reused for 10 s; elsewhere the one-minute load average; at least 1; the environment
  variable :data:`ENV_VAR` overrides it). This process's own threads do not count: a second
  solver must not back off because the first one kept both cores busy. Measured on this
  2-core machine: on a quiet machine 2 threads make the operator's products 1.1-1.6x faster
  than 1; with other processes busy, a 2-thread BLAS collapses (its threads spin against
  them) and 1 thread was 6-13x faster. So the count follows the others' load instead of
  being fixed.

When numpy and scipy share one BLAS library (a conda/MKL or system build) there are no two
pools to compete: only the numpy count is applied. symhess's own pool (the dense assembly's
batched products, :func:`pool_workers`) runs with numpy's BLAS at one thread per worker:
the pool is the parallelism. Many small products in a row (the quadrature of smooth kernels)
run under :func:`one_thread`: every BLAS on one thread, since threads only add contention
there (seconds of it on a shared machine).

Limits are process-wide (threadpoolctl sets the libraries' thread counts) and restored on
leaving the block; nested blocks are cheap and the innermost wins.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from functools import lru_cache

from ..errors import SymhessError

ENV_VAR = "SYMHESS_BLAS_THREADS"
"""Environment variable fixing numpy's BLAS threads inside solvers (a positive integer)."""


def cores() -> int:
    """CPUs this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


_SAMPLE_SECONDS = 0.05
_REUSE_SECONDS = 10.0
_LAST: dict[str, float] = {}


def _busy_jiffies() -> tuple[int, int] | None:
    """(busy, total) CPU time of the whole machine from ``/proc/stat``, if readable."""
    try:
        with open("/proc/stat") as f:
            fields = [int(x) for x in f.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # user nice system idle iowait irq softirq steal
    return total - idle, total


def _others_busy() -> float | None:
    """Cores kept busy by other processes over a short sample, or ``None`` if unknown."""
    first = _busy_jiffies()
    if first is None:
        return None
    own = time.process_time()
    start = time.perf_counter()
    time.sleep(_SAMPLE_SECONDS)
    second = _busy_jiffies()
    own = time.process_time() - own
    wall = time.perf_counter() - start
    if second is None or second[1] <= first[1]:
        return None
    busy_fraction = (second[0] - first[0]) / (second[1] - first[1])
    return max(0.0, busy_fraction * (os.cpu_count() or cores()) - own / wall)


def idle_cores() -> int:
    """Cores other processes leave idle now (module docstring), at least 1."""
    now = time.monotonic()
    if now - _LAST.get("time", -float("inf")) < _REUSE_SECONDS:
        return int(_LAST["idle"])
    others = _others_busy()
    if others is None:
        try:
            others = os.getloadavg()[0]
        except (AttributeError, OSError):
            others = 0.0
    idle = max(1, min(cores(), int(cores() - others + 0.5)))
    _LAST.update(time=now, idle=idle)
    return idle


def check_threads(n, name: str = "threads") -> int:
    """``n`` as a positive int, or a one-line error."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise SymhessError(f"{name} must be a positive integer, got {n!r}")
    return n


def numpy_threads(requested: int | None = None) -> int:
    """numpy's BLAS threads inside a solver: ``requested``, else :data:`ENV_VAR`, else the
    idle cores (module docstring)."""
    if requested is not None:
        return check_threads(requested)
    text = os.environ.get(ENV_VAR, "").strip()
    if text:
        try:
            return check_threads(int(text), ENV_VAR)
        except ValueError:
            raise SymhessError(f"{ENV_VAR} must be a positive integer, got {text!r}") from None
    return idle_cores()


@lru_cache(maxsize=1)
def _controller():
    import scipy.linalg  # noqa: F401  (loads scipy's BLAS so that it can be seen)
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _package_dirs(package: str) -> tuple[str, ...]:
    module = __import__(package)
    root = os.path.dirname(os.path.realpath(module.__file__))
    # wheels vendor shared libraries in "<site-packages>/<package>.libs" or inside the package
    return (root + os.sep, root + ".libs" + os.sep)


def blas_libraries() -> list[dict]:
    """Every loaded BLAS/OpenMP library, with its owner guessed from its path.

    Returns
    -------
    list of dict
        ``threadpoolctl`` entries (``filepath``, ``internal_api``, ``version``,
        ``num_threads``, ...) with an added ``"owner"``: ``"numpy"``, ``"scipy"`` or
        ``"other"``.
    """
    numpy_dirs, scipy_dirs = _package_dirs("numpy"), _package_dirs("scipy")
    out = []
    for info in _controller().info():
        path = os.path.realpath(info.get("filepath", ""))
        if path.startswith(numpy_dirs):
            owner = "numpy"
        elif path.startswith(scipy_dirs):
            owner = "scipy"
        else:
            owner = "other"
        out.append({**info, "owner": owner})
    return out


@lru_cache(maxsize=1)
def _selections():
    """threadpoolctl selections of numpy's BLAS (with any of unknown owner) and of scipy's own
    BLAS, made once (libraries loaded later are not seen; numpy's and scipy's are loaded
    by then)."""
    libs = [lib for lib in blas_libraries() if lib.get("user_api") == "blas"]
    numpy_paths = [lib["filepath"] for lib in libs if lib["owner"] in ("numpy", "other")]
    scipy_paths = [
        lib["filepath"]
        for lib in libs
        if lib["owner"] == "scipy" and lib["filepath"] not in numpy_paths
    ]
    ctl = _controller()
    pick = lambda paths: ctl.select(filepath=paths) if paths else None  # noqa: E731
    return pick(numpy_paths), pick(scipy_paths)


@contextlib.contextmanager
def blas_limits(numpy: int | None = None, scipy: int | None = None) -> Iterator[None]:
    """Within the block, numpy's and scipy's BLAS run on the given thread counts (``None``:
    unchanged). A library shared by both (or of unknown owner) follows ``numpy``."""
    numpy_libs, scipy_libs = _selections()
    with contextlib.ExitStack() as stack:
        if numpy is not None and numpy_libs is not None:
            stack.enter_context(numpy_libs.limit(limits=numpy))
        if scipy is not None and scipy_libs is not None:
            stack.enter_context(scipy_libs.limit(limits=scipy))
        yield


def describe() -> str:
    """One line: each BLAS library's owner and current thread count."""
    parts = [
        f"{lib['owner']} {lib.get('internal_api', '?')} {lib['num_threads']}"
        for lib in blas_libraries()
        if lib.get("user_api") == "blas"
    ]
    return "BLAS threads: " + (", ".join(parts) if parts else "no BLAS library found")


@contextlib.contextmanager
def solver_threads(threads: int | None = None) -> Iterator[str]:
    """The thread policy for an iterative solver (module docstring).

    Parameters
    ----------
    threads : int, optional
        numpy's BLAS threads; default :func:`numpy_threads` (the environment variable, else
        the idle cores). scipy's own BLAS always gets one.

    Yields
    ------
    str
        What was set, for reports: ``"BLAS threads: numpy openblas 2, scipy openblas 1"``.
    """
    n = numpy_threads(threads)
    with blas_limits(numpy=n, scipy=1):
        yield describe()


@contextlib.contextmanager
def lapack_threads(threads: int | None = None) -> Iterator[str]:
    """For one dense LAPACK call (not an iterative solver): whichever BLAS runs it, numpy's
    or scipy's, gets :func:`numpy_threads` threads - there is no second library competing."""
    n = numpy_threads(threads)
    with blas_limits(numpy=n, scipy=n):
        yield describe()


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Every BLAS library (numpy's, scipy's and any other) on one thread within the block:
    for many small products, or for a pool of workers that is the parallelism itself.
    Entering costs ~0.07 ms (measured; the libraries are found once per process), about a
    small product: hold one block around a run of calls rather than one per call."""
    with blas_limits(numpy=1, scipy=1):
        yield


def pool_workers() -> int:
    """Workers of symhess's own thread pool: the CPU count, at most 4."""
    return min(4, cores())


@contextlib.contextmanager
def pool_threads() -> Iterator[None]:
    """numpy's BLAS at one thread while symhess's own pool works (the pool is the
    parallelism)."""
    with one_thread():
        yield
