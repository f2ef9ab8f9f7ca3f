"""One point of a sweep: its key, the task a worker receives, the result it sends back.

A point is one rank computation: an activation, a shape ``(d, h)``, with or without biases, a
teacher drawn from a seed, and one rank method. Its :class:`PointKey` is the store's unique
key, so a point is computed and stored once, whatever the sweeps that ask for it. The computation is
:func:`symhess.rank.measure.rank_report` on :func:`symhess.rank.measure.rational_teacher`;
this module packs its outcome into a picklable :class:`PointResult` that travels from a
worker process (pool or Dask) to the one writer of the store.
"""

from __future__ import annotations

import os
import socket
import time
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version

from ..activation import Activation
from ..errors import SymhessError
from ..rank import grid
from ..rank.grid import status_of
from ..rank.measure import (
    DEFAULT_DPS,
    DEFAULT_PREC,
    RATIONAL_BITS,
    rank_report,
    rational_teacher,
)
from ..rank.theory import best, upper_bound

TEACHER = f"rational-normal-2^-{RATIONAL_BITS}"
"""How the teacher is drawn from the seed: :func:`symhess.rank.measure.rational_teacher` with
its defaults. Part of the key, so that rows of another teacher distribution never collide."""
TEACHER_BIAS = f"rational-normal-2^-{RATIONAL_BITS}, b ~ N(0, 1/d)"
"""The same with biases of the default variance ``1/d`` (``W``, ``v`` are those of
:data:`TEACHER` at the same seed, so a point with biases and one without are the same network
but for ``b``: the ``bias_gain`` view of the store pairs them)."""

STATUSES = tuple(s for s in grid.STATUSES if s != "DISAGREE")
"""Statuses of one method at one point (methods that disagree are found across rows)."""
PRECISE = ("mpmath", "certified")
"""Methods with a working precision: decimal digits for ``"mpmath"``, bits of the balls for
``"certified"``, stored in the key's ``dps`` column (0 for the other methods)."""


def symhess_version() -> str:
    """The installed symhess version (``"unknown"`` in a source tree never installed)."""
    try:
        return version("symhess")
    except PackageNotFoundError:
        return "unknown"


@dataclass(frozen=True, order=True)
class PointKey:
    """The unique key of a stored point.

    Attributes
    ----------
    activation : str
        :attr:`symhess.activation.Activation.canonical`, e.g. ``"poly(0, 1, 0, 1)"``.
    biases : bool
        Hidden-unit biases (``f(x) = sum_i v_i sigma(w_i . x + b_i)``, ``P = h d + 2h``).
    d, h : int
    teacher : str
        :data:`TEACHER`.
    seed : int
        Seed of the teacher and of the exact route's prime.
    method : {"float", "mpmath", "exact", "certified"}
    dps : int
        The method's precision: decimal digits for ``"mpmath"``, bits of the ball arithmetic
        for ``"certified"``; 0 for the other methods (never NULL, which SQLite's UNIQUE would
        treat as different from itself).
    """

    activation: str
    biases: bool
    d: int
    h: int
    teacher: str
    seed: int
    method: str
    dps: int


@dataclass(frozen=True)
class PointTask:
    """What a worker needs to compute one point (picklable).

    ``dps`` (digits) matters for ``"mpmath"`` only, ``prec`` (bits) for ``"certified"`` only;
    the key keeps the one that applies.
    """

    act: Activation
    d: int
    h: int
    seed: int
    method: str
    dps: int = 0
    kernel_dirs: tuple | None = None
    biases: bool = False
    prec: int = 0

    @property
    def params(self) -> int:
        return self.h * self.d + self.h + self.h * self.biases

    @property
    def key(self) -> PointKey:
        return PointKey(
            self.act.canonical,
            self.biases,
            self.d,
            self.h,
            TEACHER_BIAS if self.biases else TEACHER,
            self.seed,
            self.method,
            {"mpmath": self.dps, "certified": self.prec}.get(self.method, 0),
        )


@dataclass(frozen=True)
class PointResult:
    """A computed point, as it is stored.

    Attributes
    ----------
    key : PointKey
    label : str
        Readable activation, e.g. ``"z**3 + z"``.
    support : str or None
        Degrees with a non-zero coefficient, e.g. ``"1,3"``; None for a non-polynomial.
    params : int
    rank : int or None
        ``None`` only for ``"certified"`` when the proof did not go through (status
        ``UNDECIDED``; ``detail`` says why and which precision to try).
    decided : bool
        Exact: always; certified: the proof went through; floating point: the gap separated
        the zeros.
    route : {"tolerance", "mod-p", "Q", "ball"}
        :attr:`symhess.rank.measure.MethodRank.route`.
    generic : bool
        Proven equal to the generic rank: proved for this teacher (exact, or certified) and
        equal to a proven upper bound. A rank below every bound is exact for *this* teacher
        and a lower bound for the generic one.
    detail : str
        The method's own one-line account.
    gap_ratio, gap_below : float, int or None
    status : {"exact", "saturated", "below", "MISMATCH", "UNDECIDED"}
        :func:`symhess.rank.grid.status_of` for this method alone (methods that disagree are
        found by a query across rows: the ``disagreements`` view).
    predictions : tuple of (name, value, kind, holds, source)
        ``holds`` is ``None`` when there is no rank to judge.
    best : (name, value, kind)
    seconds : float
        Wall time of the rank computation in the worker.
    worker : str
        ``host:pid`` of the worker.
    version : str
        symhess version of the worker.
    """

    key: PointKey
    label: str
    support: str | None
    params: int
    rank: int | None
    decided: bool
    route: str
    generic: bool
    detail: str
    gap_ratio: float | None
    gap_below: int | None
    status: str
    predictions: tuple
    best: tuple
    seconds: float
    worker: str
    version: str

    @property
    def deterministic(self) -> tuple:
        """Everything but timing and provenance: equal for two runs of the same point."""
        return (
            self.key,
            self.label,
            self.support,
            self.params,
            self.rank,
            self.decided,
            self.route,
            self.generic,
            self.status,
            self.predictions,
            self.best,
        )


def support_of(act: Activation) -> str | None:
    """``"0,1,3"``: the degrees with a non-zero coefficient; None for a non-polynomial."""
    if act.coefficients is None:
        return None
    return ",".join(str(k) for k, s in enumerate(act.coefficients) if s != 0)


def compute(task: PointTask) -> PointResult:
    """Compute one point with symhess's rank code, in whatever process runs it."""
    if task.biases:
        t = rational_teacher(task.d, task.h, task.seed, bias=True)
    else:
        t = rational_teacher(task.d, task.h, task.seed)
    start = time.perf_counter()
    r = rank_report(
        task.act,
        t.W,
        t.v,
        (task.method,),
        b=t.b,
        claim=False,  # the claim "+1" pairs two stored points: the store's bias_gain view
        dps=task.dps or DEFAULT_DPS,
        prec=task.prec or DEFAULT_PREC,
        kernel_dirs=list(task.kernel_dirs) if task.kernel_dirs else None,
        seed=task.seed,
        show_progress=False,
    )
    seconds = time.perf_counter() - start
    if task.method not in r.results:  # exact asked of the ReLU family: grid_tasks routes it
        raise SymhessError(
            f"the {task.method} rank does not apply to {task.act.short}: "
            f"{'; '.join(r.notes)}; ask for {', '.join(r.results)}"
        )
    m = r.results[task.method]
    preds = r.predictions
    b = best(preds)
    proved = task.method in ("exact", "certified") and m.decided and m.rank is not None
    return PointResult(
        key=task.key,
        label=task.act.short,
        support=support_of(task.act),
        params=m.params,
        rank=m.rank,
        decided=m.decided,
        route=m.route,
        generic=proved and m.rank == upper_bound(preds),
        detail=m.detail,
        gap_ratio=None if m.gap_ratio is None else float(m.gap_ratio),
        gap_below=None if m.gap_below is None else int(m.gap_below),
        status=status_of({task.method: m.rank}, m.rank, preds),
        predictions=tuple(
            (q.name, q.value, q.kind, None if m.rank is None else q.holds(m.rank), q.source)
            for q in preds
        ),
        best=(b.name, b.value, b.kind),
        seconds=seconds,
        worker=f"{socket.gethostname()}:{os.getpid()}",
        version=symhess_version(),
    )
