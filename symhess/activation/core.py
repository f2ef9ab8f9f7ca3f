"""Activations: what the user typed, made exact and canonical.

An :class:`Activation` carries the SymPy expression in ``z``, for polynomials the exact
rational coefficients ``s_0 .. s_p`` of ``sigma(z) = sum_n s_n z^n``, and for the ReLU family
``sigma(z) = alpha z + beta relu(z)`` (relu, leaky_relu, abs and their linear combinations)
the pair ``(alpha, beta)``. Its
:attr:`~Activation.canonical` form and :attr:`~Activation.hash` identify it to the kernel
registry: two spellings of the same polynomial share them.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from numbers import Rational

import sympy

from ..errors import SymhessError
from . import grammar
from .functions import PRIMITIVES
from .grammar import MAX_DEGREE, Z
from .piecewise import KINKED, relu_family

__all__ = ["Activation", "activation", "canonical_text", "short_hash"]


def short_hash(text: str) -> str:
    """First 16 hex digits of the SHA-256 of ``text``."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_NAMES = {p.sympy_class: name for name, p in PRIMITIVES.items() if p.sympy_class is not None}
_KINKED_NAMES = {sympy.Max: "max", sympy.Min: "min", sympy.Abs: "abs"}


def canonical_text(expr: sympy.Expr) -> str:
    """symhess's own spelling of a SymPy expression in ``z``, independent of SymPy's printers.

    Sums and products list their terms sorted by this spelling, so the text depends only on
    the expression tree SymPy built (``add(...)``, ``mul(...)``, ``pow(base, exp)``,
    ``p/q``, ``pi``, ``E``, ``z`` and the primitives of the function table), not on how a
    SymPy version orders or prints it.
    """
    if expr == Z:
        return "z"
    if expr.is_Integer:
        return str(int(expr.p))
    if expr.is_Rational:
        return f"{int(expr.p)}/{int(expr.q)}"
    if expr is sympy.pi:
        return "pi"
    if expr is sympy.E:
        return "E"
    if isinstance(expr, (sympy.Add, sympy.Mul)):
        kind = "add" if isinstance(expr, sympy.Add) else "mul"
        return f"{kind}(" + ", ".join(sorted(canonical_text(a) for a in expr.args)) + ")"
    if isinstance(expr, sympy.Pow):
        return f"pow({canonical_text(expr.base)}, {canonical_text(expr.exp)})"
    name = _NAMES.get(type(expr))
    if name is not None:
        return f"{name}({canonical_text(expr.args[0])})"
    name = _KINKED_NAMES.get(type(expr))
    if name is not None:
        return f"{name}(" + ", ".join(sorted(canonical_text(a) for a in expr.args)) + ")"
    raise SymhessError(f"no canonical form for {sympy.sstr(expr)!r} ({type(expr).__name__})")


@dataclass(frozen=True)
class Activation:
    """An activation function ``sigma(z)``.

    Attributes
    ----------
    source : str
        The text it was made from (for coefficient lists, the list as written).
    expr : sympy.Expr
        ``sigma`` as a SymPy expression in :data:`symhess.activation.grammar.Z`.
    coefficients : tuple of Fraction or None
        ``(s_0, ..., s_p)`` with ``s_p != 0`` for a polynomial; ``None`` otherwise.
    relu_family : tuple of sympy.Expr or None
        ``(alpha, beta)``, ``beta != 0``, when ``sigma(z) = alpha z + beta relu(z)`` (relu,
        leaky_relu, abs and their linear combinations); ``None`` otherwise.
    """

    source: str
    expr: sympy.Expr
    coefficients: tuple[Fraction, ...] | None
    relu_family: tuple[sympy.Expr, sympy.Expr] | None = None

    @property
    def is_polynomial(self) -> bool:
        return self.coefficients is not None

    @property
    def degree(self) -> int | None:
        """Polynomial degree ``p``, or ``None`` for a non-polynomial activation."""
        return None if self.coefficients is None else len(self.coefficients) - 1

    @property
    def canonical(self) -> str:
        """A spelling-independent text form.

        ``poly(s0, s1, ...)`` for polynomials; ``relu-family(alpha, beta)`` for the ReLU
        family (so ``abs(z)`` and ``2*relu(z) - z`` share it); for other activations
        :func:`canonical_text` of the expression built by the grammar (symhess's own
        spelling, so that it does not change with SymPy's printers). SymPy's automatic
        simplification makes ``0.1*tanh(z) + z`` and ``z + tanh(z)/10`` the same, but not
        every identity (``sigmoid(z)`` and the same function written with ``exp`` differ):
        the hash only finds generated modules.
        """
        if self.coefficients is not None:
            return "poly(" + ", ".join(str(s) for s in self.coefficients) + ")"
        if self.relu_family is not None:
            return "relu-family(" + ", ".join(canonical_text(x) for x in self.relu_family) + ")"
        return canonical_text(self.expr)

    @property
    def hash(self) -> str:
        """First 16 hex digits of the SHA-256 of :attr:`canonical`."""
        return short_hash(self.canonical)

    @property
    def short(self) -> str:
        """A readable form, e.g. ``z**2/2 + z`` or ``z/10 + 9*relu(z)/10``."""
        if self.relu_family is not None:
            return sympy.sstr(self.expr.subs(sympy.Max(Z, 0), sympy.Symbol("relu(z)")))
        return sympy.sstr(self.expr)

    def __str__(self) -> str:
        return self.short


def _from_coefficients(coeffs: Sequence[Fraction], source: str) -> Activation:
    coeffs = list(coeffs)
    while len(coeffs) > 1 and coeffs[-1] == 0:
        coeffs.pop()
    if len(coeffs) - 1 > MAX_DEGREE:
        raise SymhessError(
            f"activation {source!r}: degree {len(coeffs) - 1} exceeds the supported "
            f"maximum degree {MAX_DEGREE}"
        )
    if len(coeffs) == 1:
        raise SymhessError(
            f"activation {source!r} is constant: the network output would not depend on W"
        )
    expr = sum(
        (sympy.Rational(s.numerator, s.denominator) * Z**n for n, s in enumerate(coeffs)),
        sympy.Integer(0),
    )
    return Activation(source=source, expr=expr, coefficients=tuple(coeffs))


def _exact(x: object, where: str) -> Fraction:
    """An exact rational from a user-given number; floats by their shortest repr (0.1 -> 1/10)."""
    if isinstance(x, bool):
        raise SymhessError(f"{where}: {x!r} is not a number")
    if isinstance(x, Rational):
        return Fraction(x.numerator, x.denominator)
    if isinstance(x, float):
        if not math.isfinite(x):
            raise SymhessError(f"{where}: coefficient {x!r} is not finite")
        return Fraction(repr(float(x)))  # np.float64 reprs as "np.float64(...)"
    if isinstance(x, str):
        coeffs = grammar.to_polynomial(grammar.parse(x), x)
        if len(coeffs) > 1:
            raise SymhessError(f"{where}: coefficient {x!r} depends on z")
        return coeffs[0]
    if hasattr(x, "p") and hasattr(x, "q"):  # python-flint fmpq / sympy Rational
        return Fraction(int(x.p), int(x.q))
    raise SymhessError(f"{where}: {x!r} is not a number")


def activation(spec: str | Sequence | Activation) -> Activation:
    """Make an :class:`Activation` from a string, a coefficient list, or an activation.

    Parameters
    ----------
    spec : str, sequence of numbers, or Activation
        ``"z + z**2/2"``, ``"[0, 1, 1/2]"``, ``[0, 1, 0.5]`` (``s_0, s_1, ...``; floats are
        read by their shortest decimal form, so ``0.1`` is exactly 1/10) or an existing
        activation.

    Raises
    ------
    SymhessError
        For anything outside the grammar, non-polynomials where none are supported, a
        degree above :data:`symhess.activation.grammar.MAX_DEGREE` or a constant activation.
    """
    if isinstance(spec, Activation):
        return spec
    if isinstance(spec, str):
        text = spec.strip()
        if text.startswith("["):
            return _from_coefficients(grammar.parse_coefficient_list(text), spec)
        tree = grammar.parse(spec)
        try:
            coeffs = grammar.to_polynomial(tree, spec)
        except grammar.NotPolynomial:
            return _non_polynomial(spec, grammar.to_sympy(tree, spec))
        return _from_coefficients(coeffs, spec)
    if isinstance(spec, (list, tuple)) or (
        hasattr(spec, "__len__") and hasattr(spec, "__getitem__") and not isinstance(spec, dict)
    ):
        if len(spec) == 0:
            raise SymhessError("the coefficient list is empty")
        coeffs = [_exact(x, f"coefficient s_{n}") for n, x in enumerate(spec)]
        source = "[" + ", ".join(str(s) for s in coeffs) + "]"
        return _from_coefficients(coeffs, source)
    raise SymhessError(
        f"an activation is a string in z or a coefficient list, not {type(spec).__name__}"
    )


_NOT_SMOOTH = (*KINKED, sympy.Piecewise)


def _non_polynomial(source: str, expr: sympy.Expr) -> Activation:
    if not expr.has(Z):
        raise SymhessError(f"activation {source!r} is constant: it does not depend on z")
    # SymPy turns sqrt(z**2) into Abs(z): the grammar alone cannot tell what is smooth.
    rough = sorted(str(e.func) for e in expr.atoms(*_NOT_SMOOTH))
    if not rough:
        if expr.is_polynomial(Z):  # functions that cancelled, e.g. leaky_relu(z, 1) = z
            coeffs = sympy.Poly(expr, Z).all_coeffs()[::-1]
            if all(c.is_Rational for c in coeffs):
                return _from_coefficients([Fraction(int(c.p), int(c.q)) for c in coeffs], source)
        return Activation(source=source, expr=expr, coefficients=None)
    family = relu_family(expr)
    if family is None:
        raise SymhessError(
            f"activation {source!r} is {sympy.sstr(expr)}, which is not differentiable "
            f"everywhere ({rough[0]}) and not of the form alpha*z + beta*relu(z): symhess has "
            "exact kernels for relu, leaky_relu, abs and their linear combinations only "
            "(positively homogeneous: no constant term, no bias inside, no products); any "
            "other activation needs three derivatives of sigma as functions (Stein's lemma)"
        )
    alpha, beta = family
    if beta == 0:  # the kinks cancel, e.g. relu(z) - relu(-z) = z
        if alpha.is_Rational:
            return _from_coefficients([Fraction(0), Fraction(int(alpha.p), int(alpha.q))], source)
        return Activation(source=source, expr=alpha * Z, coefficients=None)
    return Activation(
        source=source,
        expr=alpha * Z + beta * sympy.Max(Z, 0),
        coefficients=None,
        relu_family=(alpha, beta),
    )
