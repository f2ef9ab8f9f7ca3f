"""The function table: every function symhess knows, in one place.

* :data:`PRIMITIVES` - elementary functions with their SymPy class, numpy (float64), mpmath
  and python-flint ``arb`` (ball arithmetic) implementations. The evaluators of activations
  (:mod:`.evaluate`, numpy and arb), the namespace of generated closed-form modules
  (:mod:`symhess.elementary`) and the code printer (:mod:`symhess.codegen.printer`) all
  read them from here.
* :data:`GRAMMAR` - the functions of one argument a user may write in an activation: most
  primitives, plus ``sigmoid`` and ``gelu``, built from primitives so that their derivatives
  stay stable, and the piecewise-linear ``relu`` and ``abs``;
* :data:`GRAMMAR2` - functions of two arguments, the second a constant: ``leaky_relu(z, a)``;
* :data:`PIECEWISE` - float64 implementations of the non-smooth SymPy functions that
  piecewise-linear activations and their derivatives are made of (``Max``, ``Abs``,
  ``Heaviside``, ...), for the numpy evaluator;
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

__all__ = ["CONSTANTS", "GRAMMAR", "GRAMMAR2", "PIECEWISE", "PRIMITIVES", "REFUSED", "Primitive"]


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
    arb : callable
        python-flint ``arb`` implementation (ball arithmetic at ``flint.ctx.prec``): the
        high-precision quadrature of smooth activations evaluates activations with it.
    """

    name: str
    sympy: Callable[[sympy.Expr], sympy.Expr]
    sympy_class: type | None
    numpy: Callable
    mpmath: Callable
    arb: Callable


def _arb(method: str) -> Callable:
    """``x -> x.method()`` for a python-flint ``arb`` (e.g. ``x.erf()``)."""
    return lambda x: getattr(x, method)()


PRIMITIVES: dict[str, Primitive] = {
    p.name: p
    for p in (
        Primitive("erf", sympy.erf, sympy.erf, scipy.special.erf, mpmath.erf, _arb("erf")),
        Primitive("tanh", sympy.tanh, sympy.tanh, np.tanh, mpmath.tanh, _arb("tanh")),
        Primitive("sin", sympy.sin, sympy.sin, np.sin, mpmath.sin, _arb("sin")),
        Primitive("cos", sympy.cos, sympy.cos, np.cos, mpmath.cos, _arb("cos")),
        Primitive("exp", sympy.exp, sympy.exp, np.exp, mpmath.exp, _arb("exp")),
        Primitive("sqrt", sympy.sqrt, None, np.sqrt, mpmath.sqrt, _arb("sqrt")),
        Primitive("asin", sympy.asin, sympy.asin, np.arcsin, mpmath.asin, _arb("asin")),
        Primitive("atan", sympy.atan, sympy.atan, np.arctan, mpmath.atan, _arb("atan")),
    )
}
"""Elementary functions by name. ``asin`` and ``atan`` appear only in closed-form kernels,
not in the grammar."""


def _sigmoid(x: sympy.Expr) -> sympy.Expr:
    return (1 + sympy.tanh(x / 2)) / 2


def _gelu(x: sympy.Expr) -> sympy.Expr:
    return x * (1 + sympy.erf(x / sympy.sqrt(2))) / 2


def _relu(x: sympy.Expr) -> sympy.Expr:
    return sympy.Max(x, 0)


def _leaky_relu(x: sympy.Expr, slope: sympy.Expr) -> sympy.Expr:
    # x for x > 0, slope * x for x < 0 (PyTorch's definition, any slope)
    return slope * x + (1 - slope) * sympy.Max(x, 0)


GRAMMAR: dict[str, Callable[[sympy.Expr], sympy.Expr]] = {
    **{name: PRIMITIVES[name].sympy for name in ("erf", "tanh", "sin", "cos", "exp", "sqrt")},
    "sigmoid": _sigmoid,
    "gelu": _gelu,
    "relu": _relu,
    "abs": sympy.Abs,
}
"""Functions of one argument in the activation grammar: name -> builder of the SymPy
expression from its argument (constructors only). ``sigmoid(x)`` is ``(1 + tanh(x/2))/2``,
``gelu(x)`` is ``x (1 + erf(x/sqrt(2)))/2``, ``relu(x)`` is ``Max(x, 0)`` and ``abs(x)`` is
``Abs(x)``."""

GRAMMAR2: dict[str, Callable[[sympy.Expr, sympy.Expr], sympy.Expr]] = {
    "leaky_relu": _leaky_relu,
}
"""Functions of two arguments, ``name(x, a)`` with a constant ``a``: ``leaky_relu(x, a)`` is
``x`` for ``x > 0`` and ``a x`` for ``x < 0`` (any slope ``a``, as in PyTorch), built as
``a x + (1 - a) Max(x, 0)``."""


def _heaviside(x, h0=0.5):
    return np.heaviside(x, h0)


PIECEWISE: dict[type, Callable] = {
    sympy.Max: lambda *xs: _reduce(np.maximum, xs),
    sympy.Min: lambda *xs: _reduce(np.minimum, xs),
    sympy.Abs: np.abs,
    sympy.sign: np.sign,
    sympy.Heaviside: _heaviside,
}
"""float64 implementations of the non-smooth SymPy functions in piecewise-linear
activations and their first derivatives (``Max(z, 0)' = Heaviside(z)``, ``Abs' = sign``),
keyed by SymPy class. Second derivatives are Dirac deltas: not functions, never evaluated
(the ReLU family's kernels are closed forms, :mod:`symhess.kernels.relu`)."""


def _reduce(func, xs):
    out = xs[0]
    for x in xs[1:]:
        out = func(out, x)
    return out


CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi}
"""Named constants usable in activations."""

_JUMPS = "jumps at 0, so its derivative is not a function; use a smooth activation"
_USE_RELU = (
    "is not in the grammar; write relu(z), leaky_relu(z, a) or abs(z) (or linear "
    "combinations such as z + relu(z))"
)
REFUSED: dict[str, str] = {
    "max": f"max(0, z) {_USE_RELU}",
    "min": f"min(0, z) {_USE_RELU}",
    "sign": f"sign(z) {_JUMPS}",
    "heaviside": f"heaviside(z) {_JUMPS}",
}
"""Well-known functions refused on purpose (matched case-insensitively), with the reason."""
