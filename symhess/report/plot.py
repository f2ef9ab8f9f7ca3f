"""Optional matplotlib: imported on demand, headless, with a clear error if missing."""

from __future__ import annotations

import io
import os
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import SymhessError
from ..files import atomic_write, refuse_overwrite


@dataclass
class Figure:
    """A finished figure: ``fig`` (matplotlib), ``caption`` (drawn under it), ``summary``."""

    fig: object
    caption: str
    summary: list[str] = field(default_factory=list)


def add_caption(fig, caption: str, width: int = 110) -> None:
    """Draw ``caption`` under the axes (kept by ``bbox_inches="tight"`` when saving)."""
    fig.text(0.01, -0.01, textwrap.fill(caption, width), ha="left", va="top", fontsize=9)


def pyplot():
    """``matplotlib.pyplot`` with the non-interactive Agg backend."""
    try:
        import matplotlib
    except ImportError:
        raise SymhessError("plotting needs matplotlib: pip install 'symhess[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def figure_format(path: str | os.PathLike) -> str:
    """The image format a plot path asks for by its suffix (``.png``, ``.jpg``, ``.pdf``,
    ``.svg``, ...), or a one-line error listing the ones matplotlib writes."""
    suffix = Path(path).suffix.lower().lstrip(".")
    plt = pyplot()
    supported = plt.figure().canvas.get_supported_filetypes()
    plt.close("all")
    if suffix not in supported:
        kinds = ", ".join(f".{k}" for k in sorted(supported))
        shown = f"suffix .{suffix}" if suffix else "no suffix"
        raise SymhessError(f"plot {str(path)!r} has {shown}; give one of {kinds}")
    return suffix


def save_figure(fig, path: str | os.PathLike, *, force: bool = False, dpi: int = 120) -> None:
    """Write ``fig`` to ``path`` atomically, in the format its suffix names (PNG, JPEG, PDF,
    SVG, ...); refuse to overwrite without ``force``."""
    refuse_overwrite(path, force)
    kind = figure_format(path)
    buffer = io.BytesIO()
    fig.savefig(buffer, format=kind, dpi=dpi, bbox_inches="tight")
    data = buffer.getvalue()
    atomic_write(path, lambda f: f.write(data))
    pyplot().close(fig)
