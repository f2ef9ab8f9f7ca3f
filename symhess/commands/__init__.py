"""Subcommands of ``symhess``, one module each.

Every public module here defines ``register(sub)``, which adds its parser to the
``argparse`` subparsers ``sub`` and sets ``func`` (called with the parsed arguments, returning
the exit status). :mod:`symhess.cli` discovers them; modules whose names start with ``_`` are
helpers. Import heavy dependencies inside the command functions, not at module level, so
that ``symhess --help`` stays fast.
"""
