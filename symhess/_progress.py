"""Progress bars for anything that runs longer than a few seconds (tqdm, on stderr)."""

from __future__ import annotations

from collections.abc import Iterable

from tqdm.auto import tqdm


def progress(
    iterable: Iterable | None = None,
    *,
    total: int | None = None,
    desc: str = "",
    unit: str = "it",
    disable: bool | None = None,
):
    """Wrap ``iterable`` in a progress bar on stderr.

    The bar disappears when stderr is not a terminal (``disable=None``), so logs and tests
    stay clean; pass ``disable=False`` to force it.
    """
    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=unit,
        disable=disable,
        leave=False,
        dynamic_ncols=True,
    )
