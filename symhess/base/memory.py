"""Memory: what is available, and the one rule that refuses what would not fit.

Every layer estimates its own needs (a dense Hessian, an operator's kernel matrices, an
eigensolver's basis, a rank computation) and asks :func:`require` - or :func:`fits` when it
can switch to a route that needs less. Both compare with :data:`USABLE_FRACTION` of the
memory available *now*, before anything is allocated. Scratch space that may be sized to
what is free (blocks of vectors, rows of kernel matrices) comes from :func:`scratch_budget`.
Large bases filled a column at a time between operator products come from :func:`basis_array`.
"""

from __future__ import annotations

import mmap
import os

import numpy as np

from ..errors import SymhessError

GIB = 2**30

USABLE_FRACTION = 0.8
"""A computation may plan to use at most this fraction of the available memory."""

SCRATCH_SHARE = 0.25
"""Share of the available memory that block sizes of scratch arrays are chosen to fit."""


def available_memory() -> int | None:
    """Bytes of memory available to this process (Linux ``MemAvailable``), if known."""
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def fits(need: float) -> bool:
    """Whether ``need`` bytes are within :data:`USABLE_FRACTION` of the available memory."""
    avail = available_memory()
    return avail is None or need <= USABLE_FRACTION * avail


def require(need: float, what: str, hint: str) -> None:
    """Refuse, in one line, a computation of ``need`` bytes that would not fit.

    Parameters
    ----------
    need : float
        Bytes the computation will hold at its peak.
    what : str
        What needs them, e.g. ``"a dense Hessian with P = 10100"``.
    hint : str
        What the user can do instead, e.g. ``"use a smaller network"``.

    Raises
    ------
    SymhessError
        ``"<what> needs X GiB but only Y GiB is available; <hint>"``.
    """
    if not fits(need):
        avail = available_memory()
        raise SymhessError(
            f"{what} needs {format_bytes(need)} but only {format_bytes(avail)} is available; {hint}"
        )


def scratch_budget(minimum: float = 0.0) -> float:
    """Bytes that scratch arrays may take (``inf`` when the available memory is unknown)."""
    avail = available_memory()
    if avail is None:
        return float("inf")
    return max(minimum, SCRATCH_SHARE * avail)


def basis_array(rows: int, cols: int) -> np.ndarray:
    """An uninitialised float64 array of shape ``(rows, cols)``, column-major, in ordinary
    4 KiB pages of its own anonymous mapping (freed with the array).

    numpy asks the kernel for transparent huge pages on large arrays; where the kernel then
    compacts memory synchronously on a fault (THP ``defrag = madvise``), the first write of
    each 8 MB column of an eigensolver's basis between operator products cost 16-34 ms
    instead of 5-6 ms, 2-3 s of a 13 s solve at P = 1e6 (measured on the project's 2-core
    machine). Small pages fault predictably.
    """
    nbytes = 8 * rows * cols
    if nbytes == 0:
        return np.empty((rows, cols), order="F")
    buffer = mmap.mmap(-1, nbytes)
    return np.ndarray((rows, cols), dtype=np.float64, buffer=buffer, order="F")


def format_bytes(n: float) -> str:
    """``n`` bytes in GiB, MiB or KiB, whichever reads best."""
    if n >= 0.1 * GIB:
        return f"{n / GIB:.1f} GiB"
    if n >= 2**20:
        return f"{n / 2**20:.0f} MiB"
    return f"{n / 2**10:.0f} KiB"
