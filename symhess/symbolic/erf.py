"""Closed-form kernels of ``beta * erf(alpha * z)``, derived by Price's theorem in SymPy.

For ``(u, w) ~ N(0, [[a, c], [c, b]])`` and ``t = alpha**2`` (docs/theory.md, "The error
function")::

    K_00 = beta**2 (2/pi) asin(2 t c / sqrt((1 + 2 t a)(1 + 2 t b)))

and Price's theorem (:func:`symhess.symbolic.price.price_from_k00`) gives the other five, and
``K_40 = 4 d^2 K_00 / da^2`` for the Hessian away from the optimum (:func:`erf_extra_kernels`).
SymPy leaves them with nested radicals ``sqrt(1 - x**2)``, ``x = 2 t c / sqrt(P)``,
``P = (1 + 2 t a)(1 + 2 t b)``; :func:`erf_kernels` rewrites ``(1 - x**2)**e`` as
``D**e P**-e`` with ``D = P - 4 t**2 c**2``, valid because ``P >= D >= 1`` for every
covariance matrix, which gives e.g. ``K_11 = 4 beta**2 t / (pi sqrt(D))``. The tests check
the rewritten kernels against the raw derivatives, Monte Carlo and quadrature.

``alpha = 1`` is the paper's ``erf(z)``; ``alpha = 1/sqrt(2)`` gives ``erf(z/sqrt(2))``, the
other convention in the literature, with ``K_00 = (2/pi) asin(c / sqrt((1+a)(1+b)))``.
The shipped modules ``generated/erf.py``, ``generated/erf_sqrt2.py`` and the family
``generated/erf_family.py`` (``s0 * erf(sqrt(s1) * z)``, parameters at run time) are printed
from these expressions.
"""

from __future__ import annotations

from functools import cache

import sympy

from ..activation import Activation
from ..activation.grammar import Z
from .moments import A, B, C
from .names import EXTRA_NAMES, KERNEL_NAMES, ORDERS
from .price import price_from_k00, price_kernel

__all__ = [
    "ERF_FAMILY",
    "closed_form_extra_kernels",
    "closed_form_kernels",
    "erf_extra_kernels",
    "erf_k00",
    "erf_kernels",
    "match_erf",
]

ERF_FAMILY = "erf_family"
"""Name of the shipped module with ``sigma(z) = s0 * erf(sqrt(s1) * z)``, ``s1 = alpha**2``."""

S0 = sympy.Symbol("s0", real=True)
S1 = sympy.Symbol("s1", positive=True)
_D = sympy.Dummy("D", positive=True)


def erf_k00(beta: sympy.Expr = S0, t: sympy.Expr = S1) -> sympy.Expr:
    """``K_00`` of ``beta * erf(sqrt(t) * z)`` (``t = alpha**2 > 0``) in ``a, b, c``."""
    P = (1 + 2 * t * A) * (1 + 2 * t * B)
    return beta**2 * 2 / sympy.pi * sympy.asin(2 * t * C / sympy.sqrt(P))


class gram(sympy.Function):  # noqa: N801 - printed as a function name
    """``gram(a, b, c) = ab - c^2``, the Gram determinant of two rows, kept whole.

    SymPy would distribute a coefficient over ``ab - c^2`` and reorder the terms of ``D``
    into the cancelling product form; as one function it reaches the generated code intact,
    where :class:`symhess.codegen.printer.ClosedFormPrinter` prints it as ``(a*b - c**2)``.
    """

    nargs = 3

    @classmethod
    def eval(cls, a, b, c):
        if a.is_Number and b.is_Number and c.is_Number:
            return a * b - c**2
        return None

    def _eval_evalf(self, prec):
        a, b, c = self.args
        return (a * b - c**2)._eval_evalf(prec)

    def fdiff(self, argindex=1):
        a, b, c = self.args
        return (b, a, -2 * c)[argindex - 1]

    def expanded(self) -> sympy.Expr:
        a, b, c = self.args
        return a * b - c**2


def stable_d(t: sympy.Expr = S1) -> sympy.Expr:
    """``D = (1 + 2ta)(1 + 2tb) - 4t^2c^2`` written as ``1 + 2t(a + b) + 4t^2(ab - c^2)``.

    The two are equal; the second is what the generated modules evaluate, with ``ab - c^2``
    kept whole as :class:`gram`. The first loses about ``t a eps`` relative accuracy to
    cancellation on the diagonal ``c = a = b`` (it is ``(1 + 2ta)^2 - (2ta)^2``), which ruins
    the kernels at large weights or large ``alpha``; in the second ``ab - c^2`` is exactly 0
    there (the kernel matrices set ``c = a`` on the diagonal) and every other term is
    positive. Off the diagonal both forms carry the rounding of the Gram determinant itself,
    which no rewriting removes.
    """
    return 1 + 2 * t * (A + B) + 4 * t**2 * gram(A, B, C)


def _stable(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with every polynomial factor ``q D + r`` (``q`` free of ``a, b, c``) written
    with the stable ``D`` of :func:`stable_d`.

    ``factor`` multiplies some powers of ``D`` out (``K_40`` has ``D^(3/2)`` as
    ``sqrt(D) * (P - 4t^2c^2)`` and the numerator ``3D + 4t^2c^2`` expanded): each such factor
    would cancel on the diagonal like ``D`` itself.
    """
    D = stable_d()
    expanded = sympy.expand(D.replace(lambda e: isinstance(e, gram), lambda e: e.expanded()))

    def quotient(e):
        if not (e.is_Add and e.is_polynomial(A, B, C)):
            return None
        if sympy.Poly(e, A, B, C).total_degree() < 2:
            return None
        q, r = sympy.div(e, expanded, A, B, C)
        return None if q == 0 or q.free_symbols & {A, B, C} else (q, r)

    def rewrite(e):
        q, r = quotient(e)
        return q * D + r

    return expr.replace(lambda e: quotient(e) is not None, rewrite)


@cache
def _family_kernels() -> dict[str, sympy.Expr]:
    P = (1 + 2 * S1 * A) * (1 + 2 * S1 * B)
    one_minus_x2 = 1 - (2 * S1 * C) ** 2 / P
    D = stable_d()
    raw_kernels = price_from_k00(erf_k00())
    raw_kernels.update({name: price_kernel(erf_k00(), *ORDERS[name]) for name in EXTRA_NAMES})
    out = {}
    for name, raw in raw_kernels.items():
        # (1 - x^2)^e = D^e P^-e for D, P > 0; then gather the powers of P, D and (1 + 2ta).
        rewritten = raw.replace(
            lambda e: e.is_Pow and e.base == one_minus_x2,
            lambda e: _D**e.exp * P ** (-e.exp),
        )
        out[name] = _stable(sympy.factor(sympy.powsimp(rewritten, force=True)).subs(_D, D))
    # asin(x) with x = 2tc/sqrt(P) is ill-conditioned as |x| -> 1 (the diagonal at large t):
    # asin(x) = atan(x / sqrt(1 - x^2)) = atan(2tc / sqrt(D)), with D evaluated stably.
    out["K00"] = S0**2 * 2 / sympy.pi * sympy.atan(2 * S1 * C / sympy.sqrt(D))
    return out


def erf_kernels(beta: sympy.Expr = S0, t: sympy.Expr = S1) -> dict[str, sympy.Expr]:
    """The six kernels of ``beta * erf(sqrt(t) * z)``, keyed by ``KERNEL_NAMES``.

    Parameters
    ----------
    beta, t : sympy.Expr
        Amplitude and ``alpha**2``; by default the symbols ``s0``, ``s1`` of the family.
    """
    K = _family_kernels()
    return {name: K[name].subs({S0: beta, S1: t}) for name in KERNEL_NAMES}


def erf_extra_kernels(beta: sympy.Expr = S0, t: sympy.Expr = S1) -> dict[str, sympy.Expr]:
    """The kernels beyond the six (:data:`~symhess.symbolic.names.EXTRA_NAMES`) of
    ``beta * erf(sqrt(t) * z)``, rewritten the same way; e.g. with ``D`` as above::

        K_40 = 16 beta**2 t**3 c (3 D + 4 t**2 c**2) / (pi (1 + 2 t a)**2 D**(3/2))

    (``3 D + 4 t^2 c^2 = 3 + 6 t a + 6 t b + 12 t^2 a b - 8 t^2 c^2``, printed with the stable
    ``D`` so that no term cancels on the diagonal).
    """
    K = _family_kernels()
    return {name: K[name].subs({S0: beta, S1: t}) for name in EXTRA_NAMES}


def match_erf(act: Activation) -> tuple[sympy.Expr, sympy.Expr] | None:
    """``(beta, alpha**2)`` if ``act`` is ``beta * erf(alpha * z)`` (constants), else ``None``."""
    beta, rest = act.expr.as_independent(Z, as_Add=False)
    if not isinstance(rest, sympy.erf):
        return None
    alpha, inner = rest.args[0].as_independent(Z, as_Add=False)
    if inner != Z or not (alpha.is_real and beta.is_real) or alpha == 0:
        return None
    return beta, alpha**2


def expand_gram(expr: sympy.Expr) -> sympy.Expr:
    """``expr`` with every :class:`gram` written out as ``ab - c^2`` (for reading)."""
    return expr.replace(lambda e: isinstance(e, gram), lambda e: e.expanded())


def closed_form_kernels(act: Activation) -> dict[str, sympy.Expr] | None:
    """The closed-form kernels of ``act``, or ``None`` if symhess knows none.

    ``D`` appears with its Gram determinant kept whole (:class:`gram`), as the generated
    modules evaluate it; :func:`expand_gram` writes it out."""
    found = match_erf(act)
    return None if found is None else erf_kernels(*found)


def closed_form_extra_kernels(act: Activation) -> dict[str, sympy.Expr] | None:
    """The closed-form kernels beyond the six of ``act``, or ``None``."""
    found = match_erf(act)
    return None if found is None else erf_extra_kernels(*found)
