"""Atomic file writes: a temporary file in the target folder, then a rename.

Only regular files are ever replaced: a path that names a folder, a symbolic link, a device
or a pipe is refused before anything is written.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import SymhessError


def atomic_write(
    path: str | os.PathLike, write: Callable[[object], None], *, binary: bool = True
) -> Path:
    """Write ``path`` atomically.

    ``write(f)`` receives an open file object in the same folder as ``path``; on success
    the file is renamed over ``path``, so readers never see a half-written file and a
    failure leaves any previous file intact.
    """
    path = Path(path)
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise SymhessError(f"folder {str(folder)!r} does not exist")
    refuse_non_regular(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` (UTF-8, ``\\n`` line endings) to ``path`` atomically."""
    data = text.encode("utf-8")
    return atomic_write(path, lambda f: f.write(data))


def refuse_non_regular(path: str | os.PathLike) -> None:
    """Raise if ``path`` exists and is not a regular file (a folder, link, device, pipe)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISREG(mode):
        raise SymhessError(f"{str(path)!r} is not a regular file; refused")


def refuse_overwrite(path: str | os.PathLike, force: bool, *, how: str = "force=True") -> None:
    """Raise unless ``path`` is free or ``force`` was given.

    ``how`` names the way to force it in the message (the command line says ``--force``).
    Something that is not a regular file is refused even with ``force``.
    """
    refuse_non_regular(path)
    if Path(path).exists() and not force:
        raise SymhessError(f"{str(path)!r} exists; pass {how} to replace it")
