"""The user cache folder: where symhess keeps what it derives once and reuses.

Kernel modules of polynomial degrees above the shipped ones are derived on first use and
kept here (:mod:`symhess.kernels.derived`). The folder is, in order:

1. the environment variable :data:`ENV_VAR` (``SYMHESS_CACHE``);
2. ``$XDG_CACHE_HOME/symhess``;
3. ``~/.cache/symhess``.

It is created on first use. Nothing but regular files carrying symhess's generated-module
banner is ever replaced in it.
"""

from __future__ import annotations

import os
from pathlib import Path

ENV_VAR = "SYMHESS_CACHE"


def cache_dir() -> Path:
    """The cache folder (not created here)."""
    explicit = os.environ.get(ENV_VAR, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME", "").strip()
    if xdg:
        return Path(xdg).expanduser() / "symhess"
    return Path.home() / ".cache" / "symhess"


def writable_cache_dir() -> tuple[Path, str | None]:
    """The cache folder, created if needed, and ``None``; or the folder and why it cannot be
    written (then nothing should be written there)."""
    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return folder, f"it cannot be created ({exc.strerror or exc})"
    if not folder.is_dir():
        return folder, "it is not a folder"
    if not os.access(folder, os.W_OK | os.X_OK):
        return folder, "it is not writable"
    return folder, None
