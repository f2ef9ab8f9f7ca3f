"""Optional matplotlib: imported on demand, headless, with a clear error if missing."""

from __future__ import annotations

import io
import os

from ..errors import SymhessError
from ..files import atomic_write, refuse_overwrite


def pyplot():
    """``matplotlib.pyplot`` with the non-interactive Agg backend."""
    try:
        import matplotlib
    except ImportError:
        raise SymhessError("plotting needs matplotlib: pip install 'symhess[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_figure(fig, path: str | os.PathLike, *, force: bool = False, dpi: int = 120) -> None:
    """Write ``fig`` as PNG to ``path`` atomically; refuse to overwrite without ``force``."""
    refuse_overwrite(path, force)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    data = buffer.getvalue()
    atomic_write(path, lambda f: f.write(data))
    pyplot().close(fig)
