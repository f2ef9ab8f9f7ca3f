"""Progress bars for anything that runs longer than a few seconds (tqdm, on stderr).

One meaning everywhere: every long-running public function takes
``show_progress: bool | None`` and passes it here as ``show``:

* ``None`` (the default): inherit the setting of the enclosing :func:`scope`, else a bar
  only when stderr is a terminal, so logs and tests stay clean;
* ``True``: always a bar;
* ``False``: never a bar.

A public function that calls others wraps its work in ``with scope(show_progress):``, so
that the bars of everything it calls (kernel quadrature, eigensolvers, ...) follow the
caller's wish without every function in between passing it on.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterable, Iterator

from tqdm.auto import tqdm

_SHOW: contextvars.ContextVar[bool | None] = contextvars.ContextVar("show_progress", default=None)


@contextlib.contextmanager
def scope(show: bool | None) -> Iterator[None]:
    """Within this block, bars with ``show=None`` follow ``show`` (``None`` changes nothing)."""
    if show is None:
        yield
        return
    token = _SHOW.set(bool(show))
    try:
        yield
    finally:
        _SHOW.reset(token)


def shown(show: bool | None) -> bool | None:
    """The effective setting: ``show`` if given, else the enclosing scope's, else ``None``."""
    return _SHOW.get() if show is None else bool(show)


def progress(
    iterable: Iterable | None = None,
    *,
    total: int | None = None,
    desc: str = "",
    unit: str = "it",
    show: bool | None = None,
    initial: int = 0,
):
    """Wrap ``iterable`` in a progress bar on stderr.

    Parameters
    ----------
    iterable : iterable, optional
        What to iterate over; ``None`` for a bar updated by hand (``bar.update(n)``).
    total : int, optional
        Number of items, when ``iterable`` has no length: a bar with a total shows an ETA.
    desc, unit : str
        Label and unit of the bar.
    show : bool or None
        ``True``: always; ``False``: never; ``None``: as the enclosing :func:`scope` says,
        else only on a terminal.
    initial : int
        Items done before the bar starts (a resumed job): counted in the total, not in the
        rate or the ETA.
    """
    effective = shown(show)
    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=unit,
        initial=initial,
        disable=None if effective is None else not effective,
        leave=False,
        dynamic_ncols=True,
    )
