"""Elementary functions for generated closed-form kernel modules, chosen by the input type.

A closed-form kernel module (erf kernels: ``asin``, ``sqrt``, ``pi``, rationals) is printed
once and must evaluate both in float64 numpy arrays and in mpmath at the current
``mpmath.mp.dps``. It calls :func:`namespace` on its inputs and then only uses the returned
object's functions and constants, so one text serves both number systems::

    _e = namespace(a, b, c)
    K11 = 4*s1/(_e.pi*_e.sqrt(...))

float64 inputs get numpy and scipy.special; mpmath numbers, or numpy object arrays of them,
get mpmath applied element by element; python-flint ``arb`` balls get flint's rigorous
functions at the current ``flint.ctx.prec`` (every result a ball containing the exact value).
Exact rationals have no square roots or ``pi``: they are refused (the kernel registry turns
that into a one-line error before calling).
"""

from __future__ import annotations

from fractions import Fraction
from types import SimpleNamespace

import flint
import mpmath
import numpy as np

from .activation.functions import PRIMITIVES

__all__ = ["FUNCTIONS", "namespace"]

FUNCTIONS = tuple(PRIMITIVES)
"""Functions every namespace provides (generated modules may call exactly these): the
primitives of the function table :data:`symhess.activation.functions.PRIMITIVES`."""

_NUMPY = SimpleNamespace(
    system="float64",
    pi=np.pi,
    rational=lambda p, q: p / q,  # int / int is correctly rounded in Python
    **{name: p.numpy for name, p in PRIMITIVES.items()},
)

_MPMATH_UFUNCS = {name: np.frompyfunc(p.mpmath, 1, 1) for name, p in PRIMITIVES.items()}


def _mpmath_namespace() -> SimpleNamespace:
    # pi and rationals are made at call time: they must follow the current mpmath.mp.dps.
    return SimpleNamespace(
        system="mpmath",
        pi=+mpmath.pi,
        rational=lambda p, q: mpmath.mpf(p) / q,
        **_MPMATH_UFUNCS,
    )


def _arb_method(name: str):
    return lambda x: getattr(x, name)()


_ARB_UFUNCS = {name: np.frompyfunc(_arb_method(name), 1, 1) for name in PRIMITIVES}


def _arb_namespace() -> SimpleNamespace:
    # pi and rationals at call time: they follow the current flint.ctx.prec
    return SimpleNamespace(
        system="arb",
        pi=flint.arb.pi(),
        rational=lambda p, q: flint.arb(flint.fmpq(p, q)),
        **_ARB_UFUNCS,
    )


def _kind(x) -> str:
    if isinstance(x, np.ndarray):
        if x.dtype != object:
            return "float64"
        x = x.flat[0] if x.size else 0.0
    if isinstance(x, mpmath.mpf):
        return "mpmath"
    if isinstance(x, flint.arb):
        return "arb"
    if isinstance(x, (Fraction, flint.fmpq)):
        return "exact"
    return "float64"


def namespace(*inputs) -> SimpleNamespace:
    """numpy or mpmath functions for ``inputs``, by their number type.

    Parameters
    ----------
    *inputs : float, ndarray, mpmath.mpf, flint.arb or object ndarray of either
        The kernel's arguments.

    Returns
    -------
    SimpleNamespace
        ``pi``, ``rational(p, q)`` and the functions in :data:`FUNCTIONS`, for float64,
        mpmath or ``arb`` (balls, when any input is one).

    Raises
    ------
    TypeError
        For exact rationals (``Fraction``, ``fmpq``): closed forms are not rational.
    """
    kinds = {_kind(x) for x in inputs}
    if "exact" in kinds:
        raise TypeError("closed-form kernels are not rational: evaluate in float64 or mpmath")
    if "arb" in kinds:
        return _arb_namespace()
    return _mpmath_namespace() if "mpmath" in kinds else _NUMPY
