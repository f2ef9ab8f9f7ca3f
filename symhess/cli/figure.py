"""``symhess figure N``: regenerate the seed paper's figure N (2-5), figure 6 (ReLU next to
erf) or figure 7 (the rank with and without biases), from fixed seeds."""

from __future__ import annotations

import argparse

from ..report.figures import build
from ..report.plot import save_figure
from .options import check_plot

NUMBERS = (2, 3, 4, 5, 6, 7)


def _number(text):
    try:
        value = int(text)
    except ValueError:
        value = None
    if value not in NUMBERS:
        raise argparse.ArgumentTypeError(
            f"there is no figure {text!r}; choose one of 2, 3, 4, 5, 6, 7"
        )
    return value


def register(sub) -> None:
    p = sub.add_parser(
        "figure",
        help="regenerate the paper's figures 2-5, figure 6 (ReLU) and figure 7 (biases), as "
        "PNG (needs the plot extra)",
        description="2: linear spectra against the chi-square x Marchenko-Pastur law (h >= d, "
        "h < d); 3: linear learning dynamics against the Hessian's prediction; 4: quadratic "
        "spectra for growing d = h with the outlier; 5: erf spectra with the upper bulk; 6: relu "
        "spectra for growing d = h next to erf's, and the closed form at W = I; 7: the rank "
        "without and with biases over (d, h) for z^2..z^5, z + z^2, z + z^3, erf and relu, the "
        "seed paper's +1 judged in each cell (prints the markdown tables; a few minutes). "
        "Fixed seeds: the same command gives the same figure.",
    )
    p.add_argument("number", type=_number, metavar="N", help="figure number: 2 to 7")
    p.add_argument("--out", metavar="OUT.png", help="output file (default figureN.png)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    p.add_argument("--quick", action="store_true", help="reduced sizes, for a quick look")
    p.set_defaults(func=run)


def run(args) -> int:
    out = args.out or f"figure{args.number}.png"
    check_plot(out, args.force)  # also reports a missing matplotlib before any work
    result = build(args.number, quick=args.quick)
    print("\n".join(result.summary))
    print()
    print(result.caption)
    save_figure(result.fig, out, force=args.force)
    print(f"wrote {out}")
    return 0
