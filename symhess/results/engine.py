"""Where sweep points run: this process, a local process pool, or a Dask cluster.

Every engine has the same shape: ``with engine: for result in engine.imap(func, tasks)``
yields results as they finish, in the calling process, which is the one writer of the
store. Workers never touch the store.

* :class:`SerialEngine`: this process (``jobs = 1``; debugging, tiny grids).
* :class:`PoolEngine`: the forkserver process pool of
  :func:`symhess.rank.grid.process_context` (workers forked from a server that imported
  symhess once), one process per core by default.
* :class:`DaskEngine`: an existing ``dask.distributed`` scheduler (``address``), or a
  ``LocalCluster`` of single-threaded worker processes on the loopback interface. Dask is an
  optional extra (``pip install 'symhess[dask]'``), imported only here and only when this
  engine starts.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Iterator

from ..errors import SymhessError
from ..rank.grid import process_context
from .points import symhess_version

DEFAULT_TIMEOUT = 10.0
"""Seconds to reach a Dask scheduler, and for it to have a worker."""


class SerialEngine:
    """Points one after the other in this process."""

    workers = 1
    auto = False

    def __init__(self):
        self.name = "serial"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return None

    def imap(self, func: Callable, tasks: Iterable) -> Iterator:
        for t in tasks:
            yield func(t)


class PoolEngine:
    """The forkserver process pool.

    Parameters
    ----------
    jobs : int, optional
        Worker processes; default every core.
    auto : bool
        Chosen by default rather than asked for: a sweep may run a small remainder in this
        process instead (starting the pool costs seconds).
    """

    def __init__(self, jobs: int | None = None, *, auto: bool = False):
        self.auto = auto
        self.workers = max(1, jobs or os.cpu_count() or 1)
        self.name = f"pool, {self.workers} processes"
        self.pool = None

    def __enter__(self):
        ctx = process_context(("symhess.rank.grid", __package__ + ".points"))
        self.pool = ctx.Pool(self.workers)
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.pool.close()  # workers exit cleanly and release their semaphores
        else:
            self.pool.terminate()
        self.pool.join()

    def imap(self, func: Callable, tasks: Iterable) -> Iterator:
        yield from self.pool.imap_unordered(func, list(tasks))


def _distributed():
    try:
        from dask import distributed
    except ImportError:
        raise SymhessError(
            "the Dask engine needs dask[distributed], an optional extra: "
            "pip install 'symhess[dask]'"
        ) from None
    return distributed


class DaskEngine:
    """A ``dask.distributed`` cluster: an existing scheduler, or a local cluster.

    Parameters
    ----------
    address : str, optional
        Scheduler address (``tcp://host:8786``). None: start a ``LocalCluster`` of
        ``n_workers`` single-threaded processes on 127.0.0.1, without a dashboard.
    n_workers : int, optional
        Local cluster only; default every core.
    timeout : float
        Seconds to reach the scheduler and for it to have a worker, before a one-line error.

    Raises
    ------
    SymhessError
        On entering: dask missing, the scheduler unreachable or without workers, or workers
        running another symhess version.
    """

    auto = False

    def __init__(
        self,
        address: str | None = None,
        *,
        n_workers: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ):
        self.address = address
        self.n_workers = max(1, n_workers or os.cpu_count() or 1)
        self.timeout = float(timeout)
        if not self.timeout > 0:
            raise SymhessError(f"timeout must be a positive number of seconds, got {timeout!r}")
        self.client = self.cluster = None
        self._depth = 0
        self.workers = self.n_workers
        self.name = f"dask {address}" if address else f"dask local, {self.n_workers} processes"

    @property
    def remote(self) -> bool:
        """An existing scheduler (contacted before any work), not a local cluster."""
        return self.address is not None

    def __enter__(self):
        if self.client is not None:  # entered already (a caller keeps one client for many runs)
            self._depth += 1
            return self
        distributed = _distributed()
        try:
            self._connect(distributed)
            versions = self.client.run(symhess_version)
        except BaseException:
            self.__exit__(None)
            raise
        mine = symhess_version()
        other = sorted({v for v in versions.values() if v != mine})
        if other:
            self.__exit__(None)
            raise SymhessError(
                f"the Dask workers run symhess {', '.join(other)}, this client {mine}: "
                "install the same version on every worker"
            )
        self.workers = max(1, sum(self.client.nthreads().values()))
        return self

    def _connect(self, distributed) -> None:
        if self.address is None:
            self.cluster = distributed.LocalCluster(
                n_workers=self.n_workers,
                threads_per_worker=1,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            self.client = distributed.Client(self.cluster, set_as_default=False)
            return
        quiet = logging.getLogger("distributed")
        level = quiet.level
        quiet.setLevel(logging.CRITICAL)  # the one-line error below says it all
        try:
            self.client = distributed.Client(
                self.address, timeout=f"{self.timeout}s", set_as_default=False
            )
            self.client.wait_for_workers(1, timeout=self.timeout)
        except (OSError, TimeoutError) as exc:
            what = "has no workers" if self.client is not None else "cannot be reached"
            raise SymhessError(
                f"the Dask scheduler at {self.address!r} {what} within {self.timeout:g} s"
                + ("" if self.client is not None else f" ({type(exc).__name__})")
            ) from None
        except ValueError as exc:
            raise SymhessError(
                f"{self.address!r} is not a Dask scheduler address ({exc})"
            ) from None
        finally:
            quiet.setLevel(level)

    def __exit__(self, *exc):
        if self._depth:
            self._depth -= 1
            return
        if self.client is not None:
            self.client.close()
        if self.cluster is not None:
            self.cluster.close()
        self.client = self.cluster = None

    def imap(self, func: Callable, tasks: Iterable) -> Iterator:
        distributed = _distributed()
        futures = self.client.map(func, list(tasks), pure=False)
        try:
            # loop=: without it as_completed looks for a *default* client, and this one is not
            for fut in distributed.as_completed(futures, loop=self.client.loop):
                result = fut.result()  # re-raises a worker's exception here
                fut.release()
                yield result
        finally:
            self.client.cancel([f for f in futures if not f.done()])


def make_engine(
    scheduler: str | None = None,
    *,
    engine: str | None = None,
    jobs: int | None = None,
    timeout: float = DEFAULT_TIMEOUT,
):
    """The engine a sweep asked for.

    Parameters
    ----------
    scheduler : str, optional
        A Dask scheduler address: implies ``engine = "dask"``.
    engine : {"pool", "dask"}, optional
        Default ``"pool"`` (no Dask needed); ``"dask"`` without a scheduler starts a
        ``LocalCluster`` of ``jobs`` workers.
    jobs : int, optional
        Local workers (default every core); 1 with the pool runs in this process.
    timeout : float
        Seconds to reach the scheduler.
    """
    if engine not in (None, "pool", "dask"):
        raise SymhessError(f"unknown engine {engine!r}; choose pool or dask")
    if scheduler is not None:
        if engine == "pool":
            raise SymhessError("a scheduler address needs the dask engine, not the pool")
        return DaskEngine(scheduler, timeout=timeout)
    if engine == "dask":
        return DaskEngine(None, n_workers=jobs, timeout=timeout)
    if jobs == 1:
        return SerialEngine()
    return PoolEngine(jobs, auto=jobs is None)
