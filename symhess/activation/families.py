"""Families of polynomial activations, e.g. every polynomial with support in {1..4}.

Grammar (whitespace-separated ``KEY:VALUE`` clauses, each value matched by a regular
expression on digits and a few symbols; never ``eval``)::

    FAMILY  := CLAUSE (" " CLAUSE)*
    CLAUSE  := "support:" DEGREES    the degrees a member may use (required)
             | "coeffs:" COEFFS      coefficient of each present degree (default 1)
             | "terms:" RANGE        how many degrees are present (default: any)
             | "need:" DEGREES       degrees every member has
             | "seed:" INT           draws the coefficients of coeffs:random (default 0)
    DEGREES := ["{"] ITEM ("," ITEM)* ["}"]      ITEM := INT | INT ".." INT
    RANGE   := INT | INT ".." INT
    COEFFS  := "random" | VALUE ("," VALUE)*
    VALUE   := ["+-" | "+" | "-"] INT ["/" INT]  "+-2" is both 2 and -2; 0 is refused

The members are, for every subset ``S`` of the degrees that has a degree >= 1 (a constant is
no activation) and satisfies ``terms`` and ``need``, every polynomial ``sum_{k in S} c_k z^k``
with each ``c_k`` from ``COEFFS`` (``random``: one draw per support, ``+-n/m`` with
``1 <= n, m <= 9``). ``"support:1..4 coeffs:+-1"`` has 80 members, ``"support:0..5"`` 62 (one
per support).

The Hessian rank depends on the support only (docs/theory.md, "Rank of mixed-degree
polynomial networks"), so rank sweeps need coefficient 1; signs and random coefficients serve
spectra, and check that fact.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from fractions import Fraction
from math import comb

import numpy as np

from ..errors import SymhessError
from .core import Activation, _exact, activation
from .grammar import MAX_DEGREE

MAX_ACTIVATIONS = 10_000
KEYS = ("support", "coeffs", "terms", "need", "seed")

_ITEM = re.compile(r"^(\d{1,3})(?:\.\.(\d{1,3}))?$")
_VALUE = re.compile(r"^(\+-|\+|-)?(\d{1,12})(?:/(\d{1,12}))?$")


@dataclass(frozen=True)
class Family:
    """A family of polynomial activations (see the module docstring).

    Attributes
    ----------
    degrees : tuple of int
        The degrees members may use, sorted.
    coeffs : tuple of Fraction or None
        Coefficient values (None: random, drawn from ``seed``).
    terms : (int, int) or None
        Inclusive range of the number of present degrees.
    need : tuple of int
        Degrees every member has.
    seed : int
    """

    degrees: tuple[int, ...]
    coeffs: tuple[Fraction, ...] | None = (Fraction(1),)
    terms: tuple[int, int] | None = None
    need: tuple[int, ...] = ()
    seed: int = 0

    def supports(self) -> list[tuple[int, ...]]:
        """Every support of the family, by number of degrees, then lexicographically."""
        out = []
        for n in range(1, len(self.degrees) + 1):
            if self.terms is not None and not self.terms[0] <= n <= self.terms[1]:
                continue
            for s in itertools.combinations(self.degrees, n):
                if max(s) >= 1 and set(self.need) <= set(s):
                    out.append(s)
        return out

    @property
    def size(self) -> int:
        """Number of members, counted without building them (nor listing the supports: with
        degrees up to 40 there can be 2^41 of them)."""
        need = set(self.need)
        if not need <= set(self.degrees):
            return 0
        m, k = len(self.degrees), len(need)
        per = 1 if self.coeffs is None else len(self.coeffs)
        total = 0
        for n in range(max(1, k), m + 1):
            if self.terms is not None and not self.terms[0] <= n <= self.terms[1]:
                continue
            count = comb(m - k, n - k)  # the n-subsets holding every needed degree
            if n == 1 and 0 in self.degrees and need <= {0}:
                count -= 1  # the constant support {0} is not a member
            total += count * per**n
        return total

    def activations(self) -> list[Activation]:
        """The members, in a fixed order, without duplicates.

        Raises
        ------
        SymhessError
            More than :data:`MAX_ACTIVATIONS` members, or none.
        """
        n = self.size
        if n > MAX_ACTIVATIONS:
            raise SymhessError(
                f"the family has {n} activations; at most {MAX_ACTIVATIONS} are allowed"
            )
        if n == 0:
            raise SymhessError("the family is empty (check terms and need)")
        out, seen = [], set()
        for s in self.supports():
            for values in self._values(s):
                c = [Fraction(0)] * (max(s) + 1)
                for k, x in zip(s, values, strict=True):
                    c[k] = x
                act = activation(c)
                if act.canonical not in seen:
                    seen.add(act.canonical)
                    out.append(act)
        return out

    def _values(self, s: tuple[int, ...]):
        if self.coeffs is not None:
            yield from itertools.product(self.coeffs, repeat=len(s))
            return
        rng = np.random.default_rng([self.seed, *s, len(s)])
        num = rng.integers(1, 10, size=len(s))
        den = rng.integers(1, 10, size=len(s))
        sign = rng.choice([-1, 1], size=len(s))
        yield tuple(Fraction(int(g * a), int(b)) for g, a, b in zip(sign, num, den, strict=True))


def family(support, coeffs=(1,), *, terms=None, need=(), seed: int = 0) -> Family:
    """A :class:`Family` from Python values.

    Parameters
    ----------
    support : iterable of int
        Degrees in ``0 .. MAX_DEGREE``.
    coeffs : iterable of numbers, or "random"
        Non-zero coefficient values (exact: ``Fraction``, ``int``, or a float by its
        shortest decimal form).
    terms : int or (int, int), optional
        Number of present degrees (a range, inclusive).
    need : iterable of int
        Degrees every member has.
    seed : int
        Draws the coefficients of ``coeffs="random"``.

    Raises
    ------
    SymhessError
        A degree out of range, no degree >= 1, a zero coefficient, a bad range or seed.
    """
    degrees = tuple(sorted({_degree(k) for k in support}))
    if not degrees or max(degrees) < 1:
        raise SymhessError("a family needs a degree >= 1 in its support")
    if isinstance(coeffs, str):
        if coeffs != "random":
            raise SymhessError(f"coeffs must be numbers or 'random', got {coeffs!r}")
        values = None
    else:
        values = []
        for x in coeffs:
            f = _exact(x, "family coefficient")
            if f == 0:
                raise SymhessError("a family coefficient of 0 would change the support")
            if f not in values:
                values.append(f)
        if not values:
            raise SymhessError("a family needs at least one coefficient value")
        values = tuple(values)
    if terms is not None:
        lo, hi = (terms, terms) if isinstance(terms, int) else tuple(terms)
        if not 1 <= lo <= hi:
            raise SymhessError(f"terms must be a range 1 <= lo <= hi, got {terms!r}")
        terms = (int(lo), int(hi))
    need = tuple(sorted({_degree(k) for k in need}))
    if not set(need) <= set(degrees):
        raise SymhessError(f"need: degrees {list(need)} are not all in the support {list(degrees)}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SymhessError(f"seed must be a non-negative integer, got {seed!r}")
    return Family(degrees, values, terms, need, int(seed))


def _degree(k) -> int:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= MAX_DEGREE:
        raise SymhessError(f"a degree must be an integer in 0..{MAX_DEGREE}, got {k!r}")
    return int(k)


def parse_degrees(text: str, what: str = "degrees") -> list[int]:
    """``"0..5"``, ``"1,3"``, ``"{0,2..4}"`` -> sorted degrees in ``0 .. MAX_DEGREE``.

    ``what`` names the input in the error message.
    """
    text = str(text).strip()
    body = text[1:-1] if text.startswith("{") and text.endswith("}") else text
    out = set()
    for item in body.split(","):
        m = _ITEM.match(item.strip())
        if not m:
            raise SymhessError(f"{what} {text!r}: needs degrees like 1..4 or 0,2,5")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if hi < lo or hi > MAX_DEGREE:
            raise SymhessError(f"{what} {text!r}: needs degrees in 0..{MAX_DEGREE}, low first")
        out.update(range(lo, hi + 1))
    return sorted(out)


def _coeffs(text: str, clause: str):
    if text == "random":
        return "random"
    out = []
    for item in text.split(","):
        m = _VALUE.match(item)
        if not m:
            raise SymhessError(f"family: {clause!r} needs values like +-1, 2, -1/3 or random")
        sign, num, den = m.group(1) or "+", int(m.group(2)), int(m.group(3) or 1)
        if den == 0:
            raise SymhessError(f"family: {clause!r} divides by zero")
        x = Fraction(num, den)
        out.extend([x, -x] if sign == "+-" else [-x if sign == "-" else x])
    return out


def parse_family(text: str) -> Family:
    """A :class:`Family` from its text, e.g. ``"support:1..4 coeffs:+-1"``.

    Raises
    ------
    SymhessError
        Anything outside the grammar of the module docstring, in one line.
    """
    fields: dict[str, str] = {}
    for clause in str(text).split():
        key, sep, value = clause.partition(":")
        if not sep or key not in KEYS or not value:
            raise SymhessError(
                f"family: {clause!r} is not KEY:VALUE with KEY one of {', '.join(KEYS)}"
            )
        if key in fields:
            raise SymhessError(f"family: {key}: given twice")
        fields[key] = value
    if "support" not in fields:
        raise SymhessError(f"family {text!r} needs support:DEGREES, e.g. support:1..4")
    terms = None
    if "terms" in fields:
        m = _ITEM.match(fields["terms"])
        if not m:
            raise SymhessError("family: terms: needs N or LO..HI")
        terms = (int(m.group(1)), int(m.group(2) or m.group(1)))
    seed = fields.get("seed", "0")
    if not re.fullmatch(r"\d{1,18}", seed):
        raise SymhessError(f"family: seed: needs a non-negative integer, got {seed!r}")
    return family(
        parse_degrees(fields["support"], "family: support:"),
        _coeffs(fields["coeffs"], "coeffs:" + fields["coeffs"]) if "coeffs" in fields else (1,),
        terms=terms,
        need=parse_degrees(fields["need"], "family: need:") if "need" in fields else (),
        seed=int(seed),
    )
