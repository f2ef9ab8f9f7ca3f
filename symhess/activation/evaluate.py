"""Evaluate SymPy expressions in ``z`` by walking a whitelisted expression tree: with numpy
(float64 arrays) or with python-flint ``arb`` (ball arithmetic at ``flint.ctx.prec``).

No ``lambdify``, ``eval`` or generated source: each SymPy node becomes a small closure once,
and only the node types below are accepted - numbers, ``pi``, ``E``, ``z``, sums, products,
powers, the primitives of the function table
(:data:`symhess.activation.functions.PRIMITIVES`; ``sqrt`` is a power) and, in float64, the
non-smooth functions of piecewise-linear activations and their first derivatives
(:data:`~symhess.activation.functions.PIECEWISE`: ``Max``, ``Abs``, ``Heaviside``, ...).
Anything else (a Dirac delta, for one) is refused with a one-line error naming it.

:func:`derivative_evaluator` compiles ``sigma, sigma', ..., sigma^(k)`` with one
common-subexpression pass, so e.g. ``tanh(z)`` is computed once per point for all four.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import sympy

from ..errors import SymhessError
from .functions import PIECEWISE, PRIMITIVES
from .grammar import Z

__all__ = ["arb_derivative_evaluator", "derivative_evaluator"]

Closure = Callable[[dict], np.ndarray]


@dataclass(frozen=True)
class _Backend:
    """How one arithmetic spells constants, functions and roots."""

    rational: Callable  # (p, q) -> number
    pi: Callable
    e: Callable
    functions: dict  # SymPy function class -> implementation
    piecewise: dict  # non-smooth SymPy function class -> implementation
    sqrt: Callable
    power: Callable  # (base value, p, q) -> base ** (p / q)


_NUMPY = _Backend(
    rational=lambda p, q: p / q,
    pi=lambda: np.pi,
    e=lambda: np.e,
    functions={p.sympy_class: p.numpy for p in PRIMITIVES.values() if p.sympy_class is not None},
    piecewise=PIECEWISE,
    sqrt=np.sqrt,
    power=lambda x, p, q: np.power(x, p / q),
)


def _arb_backend() -> _Backend:
    import flint

    return _Backend(
        rational=lambda p, q: flint.arb(flint.fmpq(p, q)),
        pi=flint.arb.pi,
        e=flint.arb.const_e,
        functions={p.sympy_class: p.arb for p in PRIMITIVES.values() if p.sympy_class is not None},
        piecewise={},  # kinked activations have closed-form kernels, no quadrature
        sqrt=lambda x: x.sqrt(),
        power=lambda x, p, q: x ** flint.arb(flint.fmpq(p, q)),
    )


def _constant(value) -> Closure:
    return lambda env: value


def _compile(expr: sympy.Expr, known: set[sympy.Symbol], be: _Backend = _NUMPY) -> Closure:
    """A closure ``env -> value`` for ``expr``; ``env`` maps ``Z`` and CSE symbols to values.

    Constants are made when the closure is compiled (for ``arb``: at the precision current
    then - compile under the precision you evaluate at).
    """
    if expr == Z or expr in known:
        return lambda env: env[expr]
    if expr.is_Rational:
        return _constant(be.rational(int(expr.p), int(expr.q)))
    if expr is sympy.pi:
        return _constant(be.pi())
    if expr is sympy.E:
        return _constant(be.e())
    if isinstance(expr, sympy.Add):
        parts = [_compile(a, known, be) for a in expr.args]
        return lambda env: sum((p(env) for p in parts[1:]), parts[0](env))
    if isinstance(expr, sympy.Mul):
        parts = [_compile(a, known, be) for a in expr.args]

        def product(env):
            out = parts[0](env)
            for p in parts[1:]:
                out = out * p(env)
            return out

        return product
    if isinstance(expr, sympy.Pow):
        return _compile_power(expr, known, be)
    func = be.functions.get(type(expr))
    if func is not None:
        (arg,) = (_compile(a, known, be) for a in expr.args)
        return lambda env: func(arg(env))
    func = be.piecewise.get(type(expr))
    if func is not None:
        args = [_compile(a, known, be) for a in expr.args]
        return lambda env: func(*(a(env) for a in args))
    raise SymhessError(f"cannot evaluate {sympy.sstr(expr)!r} numerically ({type(expr).__name__})")


def _compile_power(expr: sympy.Pow, known: set[sympy.Symbol], be: _Backend) -> Closure:
    base = _compile(expr.base, known, be)
    e = expr.exp
    if e.is_Integer:
        n = int(e)
        return lambda env: base(env) ** n
    if e == sympy.Rational(1, 2):
        return lambda env: be.sqrt(base(env))
    if e == sympy.Rational(-1, 2):
        return lambda env: 1 / be.sqrt(base(env))
    if e.is_Rational:
        p, q = int(e.p), int(e.q)
        return lambda env: be.power(base(env), p, q)
    raise SymhessError(f"cannot evaluate the power {sympy.sstr(expr)!r} numerically")


def _compiled(expr: sympy.Expr, order: int, be: _Backend):
    derivatives = [sympy.diff(expr, Z, k) for k in range(order + 1)]
    replacements, reduced = sympy.cse(
        derivatives, symbols=sympy.numbered_symbols("_q"), order="canonical"
    )
    known: set[sympy.Symbol] = set()
    steps = []
    for symbol, sub in replacements:
        steps.append((symbol, _compile(sub, known, be)))
        known.add(symbol)
    return steps, [_compile(e, known, be) for e in reduced]


def arb_derivative_evaluator(expr: sympy.Expr, order: int = 3) -> Callable:
    """``z -> [sigma(z), ..., sigma^(order)(z)]`` for one python-flint ``arb`` ``z``.

    Constants are made at the precision current when this is called: compile under the
    precision you evaluate at.
    """
    steps, outputs = _compiled(expr, order, _arb_backend())

    def evaluate(z):
        env = {Z: z}
        for symbol, step in steps:
            env[symbol] = step(env)
        return [out(env) for out in outputs]

    return evaluate


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
    steps, outputs = _compiled(expr, order, _NUMPY)

    def evaluate(z: np.ndarray) -> list:
        z = np.asarray(z, dtype=np.float64)
        env = {Z: z}
        with np.errstate(all="ignore"):
            for symbol, step in steps:
                env[symbol] = step(env)
            return [np.broadcast_to(out(env), z.shape) for out in outputs]

    return evaluate
