"""The function table: every function symhess knows, in one place.

* :data:`PRIMITIVES` - elementary functions with their SymPy class, numpy (float64) and
  mpmath implementations. The numpy evaluator of activations (:mod:`.evaluate`), the
  namespace of generated closed-form modules (:mod:`symhess.elementary`) and the code
  printer (:mod:`symhess.codegen.printer`) all read them from here.
* :data:`GRAMMAR` - the functions a user may write in an activation: most primitives, plus
  ``sigmoid`` and ``gelu``, built from primitives so that their derivatives stay stable.
* :data:`CONSTANTS` - named constants (``pi``).
* :data:`REFUSED` - well-known functions symhess refuses on purpose, with the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import mpmath
import numpy as np
import scipy.special
import sympy

__all__ = ["CONSTANTS", "GRAMMAR", "PRIMITIVES", "REFUSED", "Primitive"]


@dataclass(frozen=True)
class Primitive:
    """An elementary function of one argument.

    Attributes
    ----------
    name : str
        Its name in the grammar and in generated code (``_e.<name>(...)``).
    sympy : callable
        Builds the SymPy expression (``sympy.sqrt`` returns a power, the others a function).
    sympy_class : type or None
        The SymPy function class a built expression is an instance of (``None`` for
        ``sqrt``, which SymPy writes as a power).
    numpy : callable
        float64 implementation, elementwise on arrays.
    mpmath : callable
        mpmath implementation at the current precision.
    """

    name: str
    sympy: Callable[[sympy.Expr], sympy.Expr]
    sympy_class: type | None
    numpy: Callable
    mpmath: Callable


PRIMITIVES: dict[str, Primitive] = {
    p.name: p
    for p in (
        Primitive("erf", sympy.erf, sympy.erf, scipy.special.erf, mpmath.erf),
        Primitive("tanh", sympy.tanh, sympy.tanh, np.tanh, mpmath.tanh),
        Primitive("sin", sympy.sin, sympy.sin, np.sin, mpmath.sin),
        Primitive("cos", sympy.cos, sympy.cos, np.cos, mpmath.cos),
        Primitive("exp", sympy.exp, sympy.exp, np.exp, mpmath.exp),
        Primitive("sqrt", sympy.sqrt, None, np.sqrt, mpmath.sqrt),
        Primitive("asin", sympy.asin, sympy.asin, np.arcsin, mpmath.asin),
        Primitive("atan", sympy.atan, sympy.atan, np.arctan, mpmath.atan),
    )
}
"""Elementary functions by name. ``asin`` and ``atan`` appear only in closed-form kernels,
not in the grammar."""


def _sigmoid(x: sympy.Expr) -> sympy.Expr:
    return (1 + sympy.tanh(x / 2)) / 2


def _gelu(x: sympy.Expr) -> sympy.Expr:
    return x * (1 + sympy.erf(x / sympy.sqrt(2))) / 2


GRAMMAR: dict[str, Callable[[sympy.Expr], sympy.Expr]] = {
    **{name: PRIMITIVES[name].sympy for name in ("erf", "tanh", "sin", "cos", "exp", "sqrt")},
    "sigmoid": _sigmoid,
    "gelu": _gelu,
}
"""Functions of the activation grammar: name -> builder of the SymPy expression from its
argument (constructors only). ``sigmoid(x)`` is ``(1 + tanh(x/2))/2`` and ``gelu(x)`` is
``x (1 + erf(x/sqrt(2)))/2``."""

CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi}
"""Named constants usable in activations."""

_NOT_SMOOTH = (
    "is not differentiable at 0, and the Hessian's kernels need sigma', sigma'' and "
    "sigma''' everywhere (Stein's lemma applied twice); use a smooth activation such as "
    "gelu, sigmoid, tanh or erf"
)
_JUMPS = "jumps at 0, so its derivative is not a function; use a smooth activation"
REFUSED: dict[str, str] = {
    "abs": f"abs(z) {_NOT_SMOOTH}",
    "relu": f"relu(z) {_NOT_SMOOTH}",
    "max": f"max(0, z) {_NOT_SMOOTH}",
    "min": f"min(0, z) {_NOT_SMOOTH}",
    "sign": f"sign(z) {_JUMPS}",
    "heaviside": f"heaviside(z) {_JUMPS}",
}
"""Well-known functions refused on purpose (matched case-insensitively), with the reason."""
