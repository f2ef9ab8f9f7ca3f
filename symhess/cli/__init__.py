"""The command line: ``symhess COMMAND ...``.

:mod:`.entry` builds the parser and maps errors to exit codes; :mod:`.options` declares the
options several commands share (the teacher, kernel folders, rank methods, number types);
every other module is one subcommand with a ``register(sub)`` function. Commands parse their
options, call the library and print; the mathematics lives in the layers below, and the text
of the larger reports in :mod:`symhess.report`.
"""

from .entry import main

__all__ = ["main"]
