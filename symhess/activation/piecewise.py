"""Recognise the ReLU family ``alpha*z + beta*relu(z)`` in an activation's SymPy expression.

The grammar writes ``relu(x)`` as ``Max(x, 0)``, ``abs(x)`` as ``Abs(x)`` and
``leaky_relu(x, a)`` as ``a x + (1 - a) Max(x, 0)``. Every real-linear combination of ``z``,
``Max(p z, q z)``, ``Min(p z, q z)`` (``q = 0`` allowed) and ``Abs(c z)`` is in the family::

    Max(c z, 0)   = c relu(z)            (c > 0)
                  = -c (relu(z) - z)     (c < 0)
    Max(p z, q z) = q z + Max((p - q) z, 0),    Min(p z, q z) = p z + q z - Max(p z, q z)
    Abs(c z)      = |c| (2 relu(z) - z)

These are exactly the positively homogeneous piecewise-linear functions with one kink at 0.
Anything else with a kink - a constant term (``relu(z) + 1``), a bias inside
(``relu(z + 1)``), ``relu(z)**2``, ``relu(z) * tanh(z)`` - is not in the family, and
:func:`relu_family` returns ``None`` for it; the caller refuses it with the reason.
"""

from __future__ import annotations

import sympy

from .grammar import Z

__all__ = ["KINKED", "relu_family"]

KINKED = (sympy.Max, sympy.Min, sympy.Abs, sympy.sign, sympy.Heaviside, sympy.DiracDelta)
"""SymPy functions that are not differentiable everywhere (``Piecewise`` is never built)."""


def _linear_coefficient(arg: sympy.Expr) -> sympy.Expr | None:
    """``c`` if ``arg == c z`` with a real constant ``c``, else ``None``."""
    if arg == 0:
        return sympy.Integer(0)
    c, rest = sympy.expand(arg).as_independent(Z, as_Add=False)
    if rest != Z or not c.is_real:
        return None
    return c


def _max_with_zero(c: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr]:
    """``(alpha, beta)`` of ``Max(c z, 0)``."""
    if c.is_positive:
        return sympy.Integer(0), c
    return c, -c  # Max(c z, 0) = |c| relu(-z) = |c| (relu(z) - z)


def _atom(term: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """``(alpha, beta)`` of one product-free term, or ``None`` if it is not in the family."""
    if term == Z:
        return sympy.Integer(1), sympy.Integer(0)
    if isinstance(term, sympy.Abs):
        c = _linear_coefficient(term.args[0])
        return None if c is None else (-abs(c), 2 * abs(c))
    if isinstance(term, (sympy.Max, sympy.Min)) and len(term.args) == 2:
        cs = [_linear_coefficient(a) for a in term.args]
        if any(c is None for c in cs):
            return None
        p, q = cs
        if p == q:
            return p, sympy.Integer(0)
        if (p - q).is_positive is None:
            return None  # cannot tell the sign of the kink's slope change
        a, b = _max_with_zero(p - q)
        mx = (q + a, b)  # Max(p z, q z)
        if isinstance(term, sympy.Max):
            return mx
        return p + q - mx[0], -mx[1]
    return None


def relu_family(expr: sympy.Expr) -> tuple[sympy.Expr, sympy.Expr] | None:
    """``(alpha, beta)`` if ``expr = alpha*z + beta*relu(z)`` with real constants, else ``None``.

    Parameters
    ----------
    expr : sympy.Expr
        An activation in :data:`symhess.activation.grammar.Z`.

    Returns
    -------
    (alpha, beta) : tuple of sympy.Expr, or None
        Simplified SymPy constants; ``beta`` may be 0 (the expression is linear, e.g.
        ``relu(z) - relu(-z)``). ``None`` when ``expr`` contains anything outside the family
        or no kink at all.
    """
    if not expr.has(*KINKED[:3]):
        return None
    alpha, beta = sympy.Integer(0), sympy.Integer(0)
    for term in sympy.Add.make_args(sympy.expand(expr)):
        coeff, rest = term.as_independent(Z, as_Add=False)
        if rest == 1 or not coeff.is_real:
            return None  # a constant term, or a coefficient that is not real
        found = _atom(rest)
        if found is None:
            return None
        alpha += coeff * found[0]
        beta += coeff * found[1]
    return sympy.simplify(alpha), sympy.simplify(beta)
