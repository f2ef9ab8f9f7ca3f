"""Whitelist grammar for activation expressions in ``z``.

The grammar (nothing else is accepted; user text is never handed to ``eval``, ``exec``
or ``sympify``)::

    expr   := term (('+' | '-') term)*
    term   := unary (('*' | '/') unary)*
    unary  := ('+' | '-') unary | power
    power  := atom ('**' unary)?            right-associative, as in Python
    atom   := NUMBER | 'z' | NAME '(' expr (',' expr)? ')' | '(' expr ')'

Numbers are decimal literals (``3``, ``0.1``, ``2.5e-3``) and are kept exact: ``0.1`` is
1/10. Names are the variable ``z`` and the constants and functions of the function table
(:mod:`symhess.activation.functions`): ``pi``; ``erf, tanh, sin, cos, exp, sigmoid, gelu,
sqrt, relu, abs``, each of one argument, and ``leaky_relu(x, a)`` with a constant slope
``a``, freely combined with polynomials (``z + 0.1*tanh(z)``, ``erf(z/sqrt(2))``,
``z + relu(z)``). Functions refused on purpose (``max``, ``sign``, ...) are refused with the
reason the table gives.

The parser produces a small syntax tree; :func:`to_polynomial` evaluates a tree without
functions or constants exactly into rational coefficients (with the degree checked before
anything is expanded) and :func:`to_sympy` builds a SymPy expression from constructors only,
with every power, constant and division checked before SymPy sees it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

import sympy

from ..errors import SymhessError
from .functions import CONSTANTS, GRAMMAR, GRAMMAR2, REFUSED

MAX_DEGREE = 40
"""Largest polynomial degree symhess accepts. The shipped kernel families cover 1..8; higher
degrees are derived once on first use (symhess.kernels.derived), which grows like ``p^5``:
about 7 s at degree 16 and ten minutes at degree 40."""

MAX_LENGTH = 2000
MAX_DEPTH = 60
_MAX_LITERAL_EXPONENT = 300  # 1e999999999 would take forever to make exact
_MAX_CONSTANT_POWER = 64

Z = sympy.Symbol("z", real=True)
"""The activation's variable."""

_MAX_EXPONENT = 64  # numerator and denominator of a power inside a non-polynomial
_MAX_CONSTANT_BITS = 4096  # a constant power p**n is refused before SymPy computes it


# ----------------------------------------------------------------------------- syntax tree
@dataclass(frozen=True)
class Num:
    value: Fraction


@dataclass(frozen=True)
class Var:
    pass


@dataclass(frozen=True)
class Const:
    name: str


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class Bin:
    op: str  # one of + - * / **
    left: Node
    right: Node


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple  # of Node: one for GRAMMAR functions, two for GRAMMAR2


Node = Num | Var | Const | Neg | Bin | Call


# ----------------------------------------------------------------------------- tokenizer
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_][A-Za-z_0-9]*)
  | (?P<op>\*\*|[-+*/(),\[\]])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class _Tok:
    kind: str  # number, name, op, end
    text: str
    pos: int


def _fail(text: str, message: str) -> SymhessError:
    shown = text if len(text) <= 60 else text[:57] + "..."
    return SymhessError(f"invalid activation {shown!r}: {message}")


def _tokenize(text: str) -> list[_Tok]:
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            ch = text[pos]
            hint = "; use ** for powers" if ch == "^" else ""
            raise _fail(text, f"unexpected character {ch!r} at position {pos}{hint}")
        kind = m.lastgroup
        if kind != "space":
            tokens.append(_Tok(kind, m.group(), pos))
        pos = m.end()
    tokens.append(_Tok("end", "", len(text)))
    return tokens


def _number(text: str, tok: _Tok) -> Fraction:
    literal = tok.text
    mantissa, _, exponent = literal.lower().partition("e")
    if exponent and abs(int(exponent)) > _MAX_LITERAL_EXPONENT:
        raise _fail(text, f"number {literal} is out of range")
    if len(mantissa) > 100:
        raise _fail(text, f"number at position {tok.pos} has too many digits")
    return Fraction(literal)


# ----------------------------------------------------------------------------- parser
class _Parser:
    def __init__(self, text: str):
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> _Tok:
        return self.tokens[self.i]

    def advance(self) -> _Tok:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def where(self, tok: _Tok) -> str:
        return "at the end" if tok.kind == "end" else f"at position {tok.pos}"

    def expect(self, op: str) -> None:
        if self.tok.text != op or self.tok.kind != "op":
            got = "the end" if self.tok.kind == "end" else repr(self.tok.text)
            raise _fail(self.text, f"expected {op!r} {self.where(self.tok)}, found {got}")
        self.advance()

    def parse(self) -> Node:
        node = self.expr()
        if self.tok.kind != "end":
            raise _fail(self.text, f"unexpected {self.tok.text!r} {self.where(self.tok)}")
        return node

    def nested(self, method: Callable[[], Node]) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise _fail(self.text, "expression is nested too deeply")
        try:
            return method()
        finally:
            self.depth -= 1

    def expr(self) -> Node:
        node = self.term()
        while self.tok.kind == "op" and self.tok.text in "+-":
            op = self.advance().text
            node = Bin(op, node, self.term())
        return node

    def term(self) -> Node:
        node = self.unary()
        while self.tok.kind == "op" and self.tok.text in ("*", "/"):
            op = self.advance().text
            node = Bin(op, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.tok.kind == "op" and self.tok.text in "+-":
            op = self.advance().text
            operand = self.nested(self.unary)
            return Neg(operand) if op == "-" else operand
        return self.power()

    def power(self) -> Node:
        base = self.atom()
        if self.tok.kind == "op" and self.tok.text == "**":
            self.advance()
            return Bin("**", base, self.nested(self.unary))
        return base

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.advance()
            return Num(_number(self.text, tok))
        if tok.kind == "name":
            self.advance()
            if tok.text == "z":
                return Var()
            if tok.text.lower() in REFUSED:
                raise _fail(self.text, REFUSED[tok.text.lower()])
            if self.tok.kind == "op" and self.tok.text == "(":
                if tok.text not in GRAMMAR and tok.text not in GRAMMAR2:
                    known = ", ".join(sorted([*GRAMMAR, *GRAMMAR2])) or "none yet"
                    raise _fail(self.text, f"unknown function {tok.text!r} (known: {known})")
                self.advance()
                args = [self.nested(self.expr)]
                if tok.text in GRAMMAR2:
                    if not (self.tok.kind == "op" and self.tok.text == ","):
                        raise _fail(
                            self.text,
                            f"{tok.text} takes two arguments, e.g. {tok.text}(z, 0.1) "
                            f"{self.where(self.tok)}",
                        )
                    self.advance()
                    args.append(self.nested(self.expr))
                self.expect(")")
                return Call(tok.text, tuple(args))
            if tok.text in CONSTANTS:
                return Const(tok.text)
            raise _fail(self.text, f"unknown name {tok.text!r}; the variable is 'z'")
        if tok.kind == "op" and tok.text == "(":
            self.advance()
            node = self.nested(self.expr)
            self.expect(")")
            return node
        if tok.kind == "end":
            raise _fail(self.text, "expression ends where an operand was expected")
        raise _fail(self.text, f"unexpected {tok.text!r} {self.where(tok)}")


def parse(text: str) -> Node:
    """Parse ``text`` into a syntax tree, or raise :class:`SymhessError` naming the problem."""
    if not isinstance(text, str):
        raise SymhessError(f"activation must be a string, got {type(text).__name__}")
    if len(text) > MAX_LENGTH:
        raise SymhessError(f"activation expression is longer than {MAX_LENGTH} characters")
    if not text.strip():
        raise SymhessError("empty activation expression")
    return _Parser(text).parse()


def parse_coefficient_list(text: str) -> list[Fraction]:
    """Parse ``"[s0, s1, ...]"``: each entry a constant expression, kept exact."""
    inner = text.strip()
    if not (inner.startswith("[") and inner.endswith("]")):
        raise _fail(text, "a coefficient list is written [s0, s1, ...]")
    body = inner[1:-1]
    if not body.strip():
        raise _fail(text, "the coefficient list is empty")
    out = []
    for part in body.split(","):
        if not part.strip():
            raise _fail(text, "empty entry in the coefficient list")
        try:
            coeffs = to_polynomial(parse(part), text)
        except NotPolynomial:
            raise _fail(text, f"coefficient {part.strip()!r} is not a rational number") from None
        if len(coeffs) > 1:
            raise _fail(text, f"coefficient {part.strip()!r} depends on z")
        out.append(coeffs[0])
    return out


# ----------------------------------------------------------------------------- evaluation
class NotPolynomial(Exception):
    """Raised by :func:`to_polynomial` for a valid expression that is not a polynomial."""


def _trim(p: list[Fraction]) -> list[Fraction]:
    while len(p) > 1 and p[-1] == 0:
        p.pop()
    return p


def _mul(p: list[Fraction], q: list[Fraction]) -> list[Fraction]:
    out = [Fraction(0)] * (len(p) + len(q) - 1)
    for i, x in enumerate(p):
        if x:
            for j, y in enumerate(q):
                out[i + j] += x * y
    return _trim(out)


def _degree(p: list[Fraction]) -> int:
    return len(p) - 1


def to_polynomial(node: Node, text: str = "") -> list[Fraction]:
    """Evaluate a syntax tree into exact coefficients ``[s0, s1, ..., sp]``.

    Raises :class:`NotPolynomial` if the tree contains a function call or a named constant
    (checked first, so the answer does not depend on the order of the operands), and
    :class:`SymhessError` for powers and divisions that leave the polynomials or a degree
    above :data:`MAX_DEGREE` (checked before expanding, so ``(z+1)**10**6`` is cheap).
    """
    if _has_call_or_constant(node):
        raise NotPolynomial
    return _polynomial(node, text)


def _has_call_or_constant(node: Node) -> bool:
    if isinstance(node, (Call, Const)):
        return True
    if isinstance(node, Neg):
        return _has_call_or_constant(node.operand)
    if isinstance(node, Bin):
        return _has_call_or_constant(node.left) or _has_call_or_constant(node.right)
    return False


def _polynomial(node: Node, text: str) -> list[Fraction]:
    if isinstance(node, Num):
        return [node.value]
    if isinstance(node, Var):
        return [Fraction(0), Fraction(1)]
    if isinstance(node, Neg):
        return [-x for x in _polynomial(node.operand, text)]
    left = _polynomial(node.left, text)
    if node.op == "**":
        return _power(left, node.right, text)
    right = _polynomial(node.right, text)
    if node.op in "+-":
        sign = 1 if node.op == "+" else -1
        n = max(len(left), len(right))
        left = left + [Fraction(0)] * (n - len(left))
        right = right + [Fraction(0)] * (n - len(right))
        return _trim([x + sign * y for x, y in zip(left, right, strict=True)])
    if node.op == "*":
        if _degree(left) + _degree(right) > MAX_DEGREE:
            raise _degree_error(text, _degree(left) + _degree(right))
        return _mul(left, right)
    # division: only by non-zero constants
    if _degree(right) > 0:
        raise _fail(text, "division by an expression in z: rational functions are not supported")
    if right[0] == 0:
        raise _fail(text, "division by zero")
    return [x / right[0] for x in left]


def _degree_error(text: str, degree: int) -> SymhessError:
    return _fail(text, f"degree {degree} exceeds the supported maximum degree {MAX_DEGREE}")


def _power(base: list[Fraction], exponent_node: Node, text: str) -> list[Fraction]:
    exponent = _polynomial(exponent_node, text)
    if len(exponent) > 1:
        raise _fail(text, "the exponent depends on z")
    e = exponent[0]
    if e.denominator != 1:
        raise _fail(text, f"exponent {e} is not an integer: an activation must be a polynomial")
    n = int(e)
    if _degree(base) == 0:
        if abs(n) > _MAX_CONSTANT_POWER:
            raise _fail(text, f"constant power with exponent {n} is out of range")
        if n < 0 and base[0] == 0:
            raise _fail(text, "division by zero")
        return [base[0] ** n]
    if n < 0:
        raise _fail(text, f"negative power {n} of an expression in z is not a polynomial")
    if _degree(base) * n > MAX_DEGREE:
        raise _degree_error(text, _degree(base) * n)
    out = [Fraction(1)]
    for _ in range(n):
        out = _mul(out, base)
    return out


def to_sympy(node: Node, text: str = "") -> sympy.Expr:
    """Build a SymPy expression in :data:`Z` from a syntax tree, by constructors only.

    Every power needs a constant rational exponent with numerator and denominator at most
    64, constant powers stay below 4096 bits, and division by zero or complex and infinite
    results are refused, all before SymPy computes anything large.
    """
    expr = _sympy(node, text)
    if expr.has(sympy.I, sympy.zoo, sympy.oo, sympy.nan):
        raise _fail(text, "the expression is not a finite real function of z")
    return expr


def _sympy(node: Node, text: str) -> sympy.Expr:
    if isinstance(node, Num):
        return sympy.Rational(node.value.numerator, node.value.denominator)
    if isinstance(node, Var):
        return Z
    if isinstance(node, Const):
        return CONSTANTS[node.name]
    if isinstance(node, Neg):
        return -_sympy(node.operand, text)
    if isinstance(node, Call):
        args = [_sympy(a, text) for a in node.args]
        if node.name in GRAMMAR2:
            if args[1].has(Z):
                raise _fail(text, f"the second argument of {node.name} must not depend on z")
            if not args[1].is_real:
                raise _fail(text, f"the second argument of {node.name} must be a real number")
            return GRAMMAR2[node.name](*args)
        return GRAMMAR[node.name](*args)
    left, right = _sympy(node.left, text), _sympy(node.right, text)
    if node.op == "+":
        return left + right
    if node.op == "-":
        return left - right
    if node.op == "*":
        return left * right
    if node.op == "/":
        if right == 0:
            raise _fail(text, "division by zero")
        return left / right
    return _sympy_power(left, right, text)


def _sympy_power(base: sympy.Expr, exponent: sympy.Expr, text: str) -> sympy.Expr:
    if exponent.has(Z):
        raise _fail(text, "the exponent depends on z")
    if not exponent.is_Rational:
        raise _fail(text, f"exponent {exponent} is not a rational number")
    if abs(exponent.p) > _MAX_EXPONENT or exponent.q > _MAX_EXPONENT:
        raise _fail(text, f"exponent {exponent} is out of range")
    if base == 0 and exponent < 0:
        raise _fail(text, "division by zero")
    if base.is_Rational:
        bits = abs(int(exponent.p)) * max(int(base.p).bit_length(), int(base.q).bit_length())
        if bits > _MAX_CONSTANT_BITS:
            raise _fail(text, f"constant power with exponent {exponent} is out of range")
    return base**exponent
