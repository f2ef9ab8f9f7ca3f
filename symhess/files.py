"""Output files: checked before any work, written atomically, never replacing what is not ours.

* :func:`check_target` refuses an output path that is empty, a directory, in a folder that
  does not exist, or an existing entry that is not a regular file (a FIFO, a device, a
  symbolic link, ...) - with or without ``force``: symhess only ever replaces regular files.
* :func:`refuse_overwrite` also refuses an existing regular file unless forced.
* :func:`atomic_write` writes a temporary file in the target folder, then renames it over the
  target, so readers never see a half-written file and a failure leaves the old one intact.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

from .errors import SymhessError

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISLNK, "a symbolic link"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def check_target(path: str | os.PathLike) -> Path:
    """``path`` as a :class:`~pathlib.Path`, if a file may be written there.

    Raises
    ------
    SymhessError
        The path is empty, names a directory or another entry that is not a regular file,
        or its folder does not exist.
    """
    if not str(path).strip():
        raise SymhessError("the output path is empty")
    path = Path(path)
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        mode = None
    except OSError as exc:
        raise SymhessError(f"cannot inspect {str(path)!r}: {exc.strerror}") from None
    if mode is not None and not stat.S_ISREG(mode):
        kind = next((name for test, name in _KINDS if test(mode)), "not a regular file")
        if stat.S_ISDIR(mode):
            raise SymhessError(f"{str(path)!r} is a directory; give a file name inside it")
        raise SymhessError(
            f"{str(path)!r} is {kind}; symhess only writes regular files and never replaces "
            "anything else"
        )
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise SymhessError(f"folder {str(folder)!r} does not exist")
    return path


def atomic_write(
    path: str | os.PathLike, write: Callable[[object], None], *, binary: bool = True
) -> Path:
    """Write ``path`` atomically (after :func:`check_target`).

    ``write(f)`` receives an open file object in the same folder as ``path``; on success
    the file is renamed over ``path``, so readers never see a half-written file and a
    failure leaves any previous file intact.
    """
    path = check_target(path)
    folder = path.parent if str(path.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "wb" if binary else "w", encoding=None if binary else "utf-8") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        # mkstemp makes the file private (0600); give it the mode a plain open() would.
        os.chmod(tmp, 0o666 & ~_umask())
        check_target(path)  # nothing else may have appeared there meanwhile
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


def refuse_overwrite(path: str | os.PathLike, force: bool, *, how: str = "force=True") -> None:
    """Raise unless ``path`` may be written: :func:`check_target`, and an existing regular
    file only with ``force``.

    ``how`` names the way to force it in the message (the command line says ``--force``).
    """
    path = check_target(path)
    if path.exists() and not force:
        raise SymhessError(f"{str(path)!r} exists; pass {how} to replace it")


def ensure_folder(folder: str | os.PathLike) -> Path:
    """``folder``, created (with its parents) if it does not exist yet.

    Raises
    ------
    SymhessError
        An empty path, or an existing entry there that is not a directory.
    """
    if not str(folder).strip():
        raise SymhessError("the output folder is empty")
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise SymhessError(f"{str(folder)!r} exists and is not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SymhessError(f"cannot create folder {str(folder)!r}: {exc.strerror}") from None
    return folder
