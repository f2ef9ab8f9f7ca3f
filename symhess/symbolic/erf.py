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


@cache
def _family_kernels() -> dict[str, sympy.Expr]:
    P = (1 + 2 * S1 * A) * (1 + 2 * S1 * B)
    one_minus_x2 = 1 - (2 * S1 * C) ** 2 / P
    D = P - 4 * S1**2 * C**2
    raw_kernels = price_from_k00(erf_k00())
    raw_kernels.update({name: price_kernel(erf_k00(), *ORDERS[name]) for name in EXTRA_NAMES})
    out = {}
    for name, raw in raw_kernels.items():
        # (1 - x^2)^e = D^e P^-e for D, P > 0; then gather the powers of P, D and (1 + 2ta).
        rewritten = raw.replace(
            lambda e: e.is_Pow and e.base == one_minus_x2,
            lambda e: _D**e.exp * P ** (-e.exp),
        )
        out[name] = sympy.factor(sympy.powsimp(rewritten, force=True)).subs(_D, D)
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

        K_40 = 16 beta**2 t**3 c (3 + 6 t a + 6 t b + 12 t**2 a b - 8 t**2 c**2)
               / (pi (1 + 2 t a)**2 D**(3/2))
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


def closed_form_kernels(act: Activation) -> dict[str, sympy.Expr] | None:
    """The closed-form kernels of ``act``, or ``None`` if symhess knows none."""
    found = match_erf(act)
    return None if found is None else erf_kernels(*found)


def closed_form_extra_kernels(act: Activation) -> dict[str, sympy.Expr] | None:
    """The closed-form kernels beyond the six of ``act``, or ``None``."""
    found = match_erf(act)
    return None if found is None else erf_extra_kernels(*found)
