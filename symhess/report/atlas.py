"""The atlas of exact ranks: its summary, the README table and the figure."""

from __future__ import annotations

from ..rank.theory import support_text
from ..results.atlas import AtlasPoint
from .plot import pyplot, save_figure


def _below(points: list[AtlasPoint]) -> dict[tuple, list[AtlasPoint]]:
    """Points below the best older bound, by support (fewest degrees first)."""
    by_support: dict[tuple, list[AtlasPoint]] = {}
    for p in points:
        if p.rank < p.older:
            by_support.setdefault(p.support, []).append(p)
    return dict(sorted(by_support.items(), key=lambda x: (len(x[0]), x[0])))


def report_lines(points: list[AtlasPoint]) -> list[str]:
    """Counts, the supports with points below the best older bound, and what reaches them."""
    n = len(points)
    routes = {r: sum(p.route == r for p in points) for r in ("mod-p", "Q")}
    below = [p for p in points if p.rank < p.older]
    unexplained = [p for p in points if p.rank < p.proven]
    over = [p for p in points if p.rank > p.proven]
    confirmed = [p for p in points if p.confirm is not None]
    reach = {}
    for p in below:
        reach[p.reached or "nothing"] = reach.get(p.reached or "nothing", 0) + 1
    lines = [
        f"atlas: {n} points, {len({p.support for p in points})} supports, "
        f"d in {min(p.d for p in points)}..{max(p.d for p in points)}, "
        f"h in {min(p.h for p in points)}..{max(p.h for p in points)}; every rank exact "
        f"({routes['mod-p']} certified modulo a prime, {routes['Q']} over Q)",
        f"  {len(below)} points lie below the best older bound (parameter count, the seed "
        "paper's bounds, eq. (14), Alexander-Hirschowitz)",
    ]
    if reach:
        lines.append(
            "    reached by: "
            + ", ".join(f"{name} {count}" for name, count in sorted(reach.items()))
        )
    lines.append(
        f"  the rank is the smallest proven bound (so the generic rank) at "
        f"{n - len(unexplained) - len(over)} of {n} points"
    )
    if unexplained:
        lines.append(f"  {len(unexplained)} points lie below every proven bound:")
        for p in unexplained:
            again = "" if p.confirm is None else f"; seed 1: {p.confirm}"
            lines.append(
                f"    {support_text(p.support)} d={p.d} h={p.h}: rank {p.rank}, "
                f"bound {p.proven}{again}"
            )
    if confirmed and any(p.confirm != p.rank for p in confirmed):
        lines.append("  the second seed gave a DIFFERENT rank at some of them")
    if over:
        lines.append(
            f"  ERROR: {len(over)} ranks exceed a proven bound: "
            + ", ".join(f"{support_text(p.support)} d={p.d} h={p.h}" for p in over)
        )
    groups = _below(points)
    if groups:
        lines.append("  below the best older bound, (d, h) rank/older bound [reached by]:")
    for s, ps in groups.items():
        cells = ", ".join(
            f"({p.d},{p.h}) {p.rank}/{p.older} [{p.reached or 'nothing'}]" for p in ps
        )
        lines.append(f"    {support_text(s):<13} {cells}")
    return lines


def markdown(points: list[AtlasPoint]) -> str:
    """A Markdown table: each support with a point below the best older bound, where."""
    rows = [
        "| support | (d, h): rank < best older bound | reached by |",
        "| --- | --- | --- |",
    ]
    for s, ps in _below(points).items():
        cells = ", ".join(f"({p.d},{p.h}) {p.rank}<{p.older}" for p in ps)
        how = sorted({p.reached or "nothing" for p in ps})
        rows.append(f"| {support_text(s)} | {cells} | {', '.join(how)} |")
    return "\n".join(rows) + "\n"


def plot(points: list[AtlasPoint], path, *, force: bool = False) -> None:
    """One panel per support with a deficit: best older bound minus the exact rank over
    ``(d, h)``, the deficit written in its cell; a cell that no proven bound reaches (the rank
    below all of them) is outlined red."""
    import numpy as np

    plt = pyplot()
    groups = _below(points)
    sup = list(groups) or sorted({p.support for p in points})[:1]
    ds = sorted({p.d for p in points})
    hs = sorted({p.h for p in points})
    cols = min(5, len(sup))
    rows = -(-len(sup) // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(2.4 * cols + 0.8, 2.4 * rows + 0.7), squeeze=False,
        constrained_layout=True,
    )  # fmt: skip
    vmax = max(1, max(p.older - p.rank for p in points))
    cmap = plt.get_cmap("Reds", vmax + 1)
    im = None
    for ax, s in zip(axes.flat, sup, strict=False):
        grid = np.zeros((len(hs), len(ds)))
        for p in points:
            if p.support != s:
                continue
            i, j = hs.index(p.h), ds.index(p.d)
            grid[i, j] = p.older - p.rank
            if grid[i, j]:
                ax.text(j, i, str(int(grid[i, j])), ha="center", va="center", fontsize=6,
                        color="white" if grid[i, j] > vmax / 2 else "black")  # fmt: skip
            if p.rank < p.proven:
                ax.add_patch(plt.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, ec="red", lw=2))
        im = ax.imshow(grid, origin="lower", cmap=cmap, vmin=-0.5, vmax=vmax + 0.5)
        ax.set_title(support_text(s), fontsize=9)
        ax.set_xticks(range(len(ds)), [str(d) for d in ds], fontsize=6)
        ax.set_yticks(range(len(hs)), [str(h) for h in hs], fontsize=6)
    for ax in list(axes.flat)[len(sup) :]:
        ax.axis("off")
    fig.supxlabel("d (input dimension)")
    fig.supylabel("h (hidden units)")
    fig.suptitle("exact Hessian rank below the best older bound: the deficit, by support")
    fig.colorbar(im, ax=axes, shrink=0.6, ticks=range(vmax + 1), label="best older bound - rank")
    save_figure(fig, path, force=force)
