"""Activations: what the user typed, parsed by a whitelist grammar and made exact.

* :mod:`.grammar` - the tokenizer and recursive-descent parser (never ``eval``/``sympify``);
* :mod:`.functions` - the function table: every function symhess knows, with its SymPy,
  numpy and mpmath forms, and the functions refused on purpose;
* :mod:`.core` - :class:`Activation` (exact coefficients, canonical form, hash) and
  :func:`activation`, which makes one from a string or a coefficient list;
* :mod:`.evaluate` - float64 evaluation of ``sigma`` and its derivatives from the SymPy tree;
* :mod:`.families` - families of polynomials (``"support:1..4 coeffs:+-1"``), parsed without
  eval.
"""

from .core import Activation, activation
from .families import Family, family, parse_family

__all__ = ["Activation", "Family", "activation", "family", "parse_family"]
