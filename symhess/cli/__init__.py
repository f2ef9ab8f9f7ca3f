"""The command line: ``symhess COMMAND ...``.

:mod:`.entry` builds the parser and maps errors to exit codes; :mod:`.options` declares the
options several commands share (the teacher, kernel folders, rank methods, number types);
every other module is one subcommand with a ``register(sub)`` function. Commands print what
:mod:`symhess.report` formats; they compute nothing themselves.
"""

from .entry import main

__all__ = ["main"]
