"""Evaluate SymPy expressions in ``z`` with numpy, by walking a whitelisted expression tree.

No ``lambdify``, ``eval`` or generated source: each SymPy node becomes a small numpy closure
once, and only the node types below are accepted - numbers, ``pi``, ``E``, ``z``, sums,
products, powers, the primitives of the function table
(:data:`symhess.activation.functions.PRIMITIVES`; ``sqrt`` is a power) and the non-smooth
functions of piecewise-linear activations and their first derivatives
(:data:`~symhess.activation.functions.PIECEWISE`: ``Max``, ``Abs``, ``Heaviside``, ...).
Anything else (a Dirac delta, for one) is refused with a one-line error naming it.

:func:`derivative_evaluator` compiles ``sigma, sigma', ..., sigma^(k)`` with one
common-subexpression pass, so e.g. ``tanh(z)`` is computed once per point for all four.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import sympy

from ..errors import SymhessError
from .functions import PIECEWISE, PRIMITIVES
from .grammar import Z

__all__ = ["derivative_evaluator"]

Closure = Callable[[dict], np.ndarray]

# SymPy function class -> float64 implementation, from the one function table.
_FUNCTIONS = {p.sympy_class: p.numpy for p in PRIMITIVES.values() if p.sympy_class is not None}


def _constant(value: float) -> Closure:
    return lambda env: value


def _compile(expr: sympy.Expr, known: set[sympy.Symbol]) -> Closure:
    """A closure ``env -> value`` for ``expr``; ``env`` maps ``Z`` and CSE symbols to arrays."""
    if expr == Z or expr in known:
        return lambda env: env[expr]
    if expr.is_Rational:
        return _constant(int(expr.p) / int(expr.q))
    if expr is sympy.pi:
        return _constant(np.pi)
    if expr is sympy.E:
        return _constant(np.e)
    if isinstance(expr, sympy.Add):
        parts = [_compile(a, known) for a in expr.args]
        return lambda env: sum((p(env) for p in parts[1:]), parts[0](env))
    if isinstance(expr, sympy.Mul):
        parts = [_compile(a, known) for a in expr.args]

        def product(env):
            out = parts[0](env)
            for p in parts[1:]:
                out = out * p(env)
            return out

        return product
    if isinstance(expr, sympy.Pow):
        return _compile_power(expr, known)
    func = _FUNCTIONS.get(type(expr))
    if func is not None:
        (arg,) = (_compile(a, known) for a in expr.args)
        return lambda env: func(arg(env))
    func = PIECEWISE.get(type(expr))
    if func is not None:
        args = [_compile(a, known) for a in expr.args]
        return lambda env: func(*(a(env) for a in args))
    raise SymhessError(f"cannot evaluate {sympy.sstr(expr)!r} numerically ({type(expr).__name__})")


def _compile_power(expr: sympy.Pow, known: set[sympy.Symbol]) -> Closure:
    base = _compile(expr.base, known)
    e = expr.exp
    if e.is_Integer:
        n = int(e)
        return lambda env: base(env) ** n
    if e == sympy.Rational(1, 2):
        return lambda env: np.sqrt(base(env))
    if e == sympy.Rational(-1, 2):
        return lambda env: 1 / np.sqrt(base(env))
    if e.is_Rational:
        x = int(e.p) / int(e.q)
        return lambda env: np.power(base(env), x)
    raise SymhessError(f"cannot evaluate the power {sympy.sstr(expr)!r} numerically")


def derivative_evaluator(expr: sympy.Expr, order: int = 3) -> Callable[[np.ndarray], list]:
    """A function ``z -> [sigma(z), sigma'(z), ..., sigma^(order)(z)]`` for numpy arrays.

    Parameters
    ----------
    expr : sympy.Expr
        ``sigma`` in :data:`symhess.expression.Z`.
    order : int
        Highest derivative.

    Returns
    -------
    callable
        Takes a float array of any shape, returns ``order + 1`` arrays of that shape
        (non-finite values, e.g. ``sqrt`` of a negative number, come out as nan/inf).
    """
    derivatives = [sympy.diff(expr, Z, k) for k in range(order + 1)]
    replacements, reduced = sympy.cse(
        derivatives, symbols=sympy.numbered_symbols("_q"), order="canonical"
    )
    known: set[sympy.Symbol] = set()
    steps = []
    for symbol, sub in replacements:
        steps.append((symbol, _compile(sub, known)))
        known.add(symbol)
    outputs = [_compile(e, known) for e in reduced]

    def evaluate(z: np.ndarray) -> list:
        z = np.asarray(z, dtype=np.float64)
        env = {Z: z}
        with np.errstate(all="ignore"):
            for symbol, step in steps:
                env[symbol] = step(env)
            return [np.broadcast_to(out(env), z.shape) for out in outputs]

    return evaluate
