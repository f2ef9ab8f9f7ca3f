"""Text about spectra: the log-scale clusters of ``symhess analyze`` and the linear law's
comparison lines."""

from __future__ import annotations

import numpy as np

from ..spectra.clustering import SPLIT_DECADES, clusters
from ..spectra.linear_law import LinearComparison
from .plot import pyplot, save_figure

_MAX_LINES = 8


def cluster_lines(
    eigenvalues: np.ndarray,
    tolerance: float,
    d: int,
    h: int,
    split_decades: float = SPLIT_DECADES,
) -> list[str]:
    """Report lines for ``symhess analyze``: the clusters and the size of the upper bulk.

    Parameters
    ----------
    eigenvalues : ndarray, shape (P,)
    tolerance : float
        The numerical-zero threshold of :func:`symhess.summarize`.
    d, h : int
        Input dimension and hidden units, printed beside the bulk's size for comparison.
    split_decades : float
    """
    found = clusters(eigenvalues, tolerance, split_decades)
    zeros = int(np.sum(np.abs(eigenvalues) <= tolerance))
    lines = [
        f"clusters of |lambda| on a log scale (a new one after a gap of {split_decades:g} "
        "decades or more):"
    ]
    if not found:
        return lines + ["  none: every eigenvalue is numerically zero"]
    shown = found if len(found) <= _MAX_LINES else found[-(_MAX_LINES - 1) :]
    if len(shown) < len(found):
        hidden = found[: len(found) - len(shown)]
        count = sum(c.size for c in hidden)
        lines.append(
            f"  {count:5d} in {len(hidden)} clusters between {hidden[0].low:.2e} and "
            f"{hidden[-1].high:.2e}"
        )
    for k, c in enumerate(shown):
        gap = "" if c.gap_below is None else f"   gap below {c.gap_below:.2f} decades"
        top = "   <- upper bulk" if k == len(shown) - 1 and len(found) > 1 else ""
        lines.append(f"  {c.size:5d} in [{c.low:.2e}, {c.high:.2e}]{gap}{top}")
    if zeros:
        lines.append(f"  ({zeros} numerically zero eigenvalues left out)")
    if len(found) == 1:
        lines.append(
            f"upper bulk  none: no gap of {split_decades:g} decades separates the spectrum"
        )
    else:
        top = found[-1]
        lines.append(
            f"upper bulk  {top.size} eigenvalues (d = {d}, h = {h}), "
            f"x{10**top.gap_below:.3g} above the rest"
        )
    return lines


def comparison_lines(comparison: LinearComparison) -> list[str]:
    """The law, the KS distance to it, the sampling floor and the distance to
    Marchenko-Pastur alone, one line each."""
    n = comparison.pool.teachers
    return [
        f"law                              {comparison.law.describe()}",
        f"KS distance to the law           {comparison.ks:.4f}",
        f"sampling floor                   {comparison.floor:.4f}  (two-sample KS between two "
        f"independent pools of {n} teachers: compare with this)",
        f"KS to Marchenko-Pastur alone     {comparison.ks_mp:.4f}  (||v||^2 fixed at its mean 1)",
    ]


def density_plot(
    path,
    title: str,
    edges: np.ndarray,
    bars: np.ndarray,
    label: str,
    *,
    alpha: float,
    exact: np.ndarray | None = None,
    log: bool = False,
    force: bool = False,
) -> None:
    """Eigenvalues per unit lambda as bars over ``edges`` (shape (n + 1,)), ``bars`` the count
    per bin (shape (n,)), with the exact counts per bin as a black step line if given."""
    plt = pyplot()
    fig, ax = plt.subplots(figsize=(7, 4))
    widths = np.diff(edges)
    ax.bar(edges[:-1], bars / widths, width=widths, align="edge", alpha=alpha, label=label)
    if exact is not None:
        ax.step(
            edges,
            np.append(exact / widths, exact[-1] / widths[-1]),
            where="post",
            color="k",
            label="exact eigenvalues",
        )
    ax.set_yscale("log")
    if log:
        ax.set_xscale("log")
    ax.set_xlabel("eigenvalue lambda")
    ax.set_ylabel("eigenvalues per unit lambda")
    ax.set_title(title)
    ax.legend()
    save_figure(fig, path, force=force)
