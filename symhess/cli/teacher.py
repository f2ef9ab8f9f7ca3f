"""``symhess teacher``: sample a random teacher and write it as ``.npz``."""

from __future__ import annotations

from ..teacher import sample_teacher
from .options import (
    DEFAULT_SEED,
    add_bias_option,
    add_dist_option,
    add_output_options,
    bias_text,
    check_output,
    positive,
    seed,
)


def run(args) -> int:
    check_output(args.out, args.force)
    s = DEFAULT_SEED if args.seed is None else args.seed
    t = sample_teacher(args.d, args.h, seed=s, dist=args.dist, bias=args.bias)
    t.save(args.out, force=args.force)
    b = f", b ({t.h},){bias_text(args.bias, args.d)}" if t.has_bias else ""
    print(f"wrote {args.out}: W ({t.h} x {t.d}), v ({t.h},){b}, seed {s}, {args.dist}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("teacher", help="sample a teacher and write it as .npz")
    p.add_argument("--d", type=positive("--d"), required=True)
    p.add_argument("--h", type=positive("--h"), required=True)
    p.add_argument("--seed", type=seed)
    add_dist_option(p)
    add_bias_option(p, file=False)
    add_output_options(p, "T.npz", "output file", required=True)
    p.set_defaults(func=run)
