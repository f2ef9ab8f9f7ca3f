"""The atlas: exact Hessian ranks of mixed-degree polynomial networks, every support.

For every support ``S`` in a set of degrees (``{0..5}`` by default: 62 supports with a degree
>= 1) and every ``(d, h)`` of a grid, the exact rank at the rational teacher of seed 0 with
``sigma = sum_{k in S} z^k``. Coefficient 1 loses nothing: the rank depends on the support
only (docs/theory.md, "Rank of mixed-degree polynomial networks"). Every point is exact: the
rank modulo a prime reaching a proven upper bound, or the rank over Q. The atlas compares it
with

* the best *older* prediction (the smallest of the parameter count, the seed paper's bounds,
  eq. (14) and Alexander-Hirschowitz), and
* the mixed-degree predictions of :mod:`symhess.rank.theory`
  (:data:`~symhess.rank.theory.MIXED_PREDICTIONS`): homogenised Alexander-Hirschowitz, the
  product and the partition bounds, all proven.

A rank equal to a proven upper bound is the generic rank. A rank below every proven bound is
exact for its teacher and a lower bound on the generic rank: the atlas recomputes such points
at a second seed. Tables and figures are in :mod:`symhess.report.atlas`.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..activation import family
from ..rank.theory import MIXED_PREDICTIONS
from .plan import grid_tasks
from .points import PointTask
from .run import run_tasks
from .store import Store

DEGREES = tuple(range(6))
DS = tuple(range(1, 9))
HS = tuple(range(1, 9))


@dataclass(frozen=True)
class AtlasPoint:
    """One ``(support, d, h)`` of the atlas.

    Attributes
    ----------
    support : tuple of int
    d, h, params, rank : int
        ``rank``: exact, at the teacher of seed 0.
    route : {"mod-p", "Q"}
        How the rank was decided (:attr:`symhess.rank.measure.MethodRank.route`).
    older : int
        The smallest older prediction: a proven upper bound that existed before the
        mixed-degree counts.
    proven : int
        The smallest proven upper bound, mixed-degree counts included.
    reached : str or None
        Where the rank falls below ``older``: the first mixed-degree prediction (in the order
        of :data:`~symhess.rank.theory.MIXED_PREDICTIONS`) equal to it, if any.
    confirm : int or None
        The exact rank at the second seed, for a point below every proven bound.
    """

    support: tuple[int, ...]
    d: int
    h: int
    params: int
    rank: int
    route: str
    older: int
    proven: int
    reached: str | None = None
    confirm: int | None = None

    @property
    def generic(self) -> bool:
        """The rank is proven generic: it reaches a proven upper bound."""
        return self.rank == self.proven


def atlas_tasks(degrees=DEGREES, ds=DS, hs=HS, seed: int = 0) -> list[PointTask]:
    """The exact rank of ``sum_{k in S} z^k`` for every support ``S`` in ``degrees``."""
    return grid_tasks(family(degrees).activations(), ds, hs, (seed,), ("exact",))


def run_atlas(
    store: Store,
    degrees=DEGREES,
    ds=DS,
    hs=HS,
    *,
    engine=None,
    confirm_seed: int = 1,
    **options,
) -> list[AtlasPoint]:
    """Compute the atlas (or read it back); points below every proven bound get a second seed.

    Parameters
    ----------
    store : Store
    degrees : iterable of int
        Every support in these degrees (with a degree >= 1) is in the atlas.
    ds, hs : iterable of int
    engine : optional
        See :func:`~.run.run_tasks`.
    confirm_seed : int
    **options
        Passed to :func:`~.run.run_tasks` (``yes``, ``show_progress``, ``wait``, ...).

    Returns
    -------
    list of AtlasPoint
        By support (number of degrees, then lexicographically), then ``d``, then ``h``.
    """
    tasks = atlas_tasks(degrees, ds, hs, 0)
    options.setdefault("command", f"atlas, degrees {sorted(set(degrees))}")
    run_tasks(store, tasks, engine=engine, **options)
    points = _points(store, tasks)
    below = [
        PointTask(t.act, t.d, t.h, confirm_seed, "exact")
        for t, p in zip(tasks, points, strict=True)
        if p.rank < p.proven
    ]
    if below:
        options["command"] += ": second seed"
        run_tasks(store, below, engine=engine, **options)
        again = {
            (r.key.activation, r.key.d, r.key.h): r.rank
            for r in store.results([t.key for t in below])
        }
        points = [
            p
            if p.rank >= p.proven
            else AtlasPoint(**{**p.__dict__, "confirm": again[(t.act.canonical, t.d, t.h)]})
            for t, p in zip(tasks, points, strict=True)
        ]
    return points


def _points(store: Store, tasks) -> list[AtlasPoint]:
    got = {r.key: r for r in store.results([t.key for t in tasks])}
    out = []
    for t in tasks:
        r = got[t.key]
        values = {n: v for n, v, _, _, _ in r.predictions}
        older = min(v for n, v in values.items() if n not in MIXED_PREDICTIONS)
        # the most specific count that reaches the rank: an exact one, the product bound,
        # then the partition bound (which may use the other two on its blocks)
        hits = [n for n in MIXED_PREDICTIONS if values.get(n) == r.rank]
        reached = hits[0] if hits and r.rank < older else None
        out.append(
            AtlasPoint(
                tuple(int(k) for k in r.support.split(",")),
                t.d,
                t.h,
                r.params,
                r.rank,
                r.route,
                older,
                min(values.values()),
                reached,
            )
        )
    return out
