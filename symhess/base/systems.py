"""The number systems every kernel module evaluates in, and conversions into them.

``"float64"`` uses numpy float arrays; ``"mpmath"`` uses ``mpmath.mpf`` at the current
``mpmath.mp.dps`` in numpy object arrays; ``"fraction"`` and ``"fmpq"`` are exact
(``fractions.Fraction``, python-flint ``fmpq``) in object arrays. ``"arb"`` is ball
arithmetic (python-flint ``arb`` at ``flint.ctx.prec`` bits, set with :func:`arb_precision`):
every number is an interval that provably contains the exact value. It exists for
certificates (:mod:`symhess.rank.certify`), and only kernels that declare it evaluate in it
(the closed forms: every operation has a rigorous enclosure). ``arb`` balls are also a
working arithmetic of the mpmath system (high-precision quadrature): :func:`to_arb` and
:func:`arb_to_mpf` convert exactly.
"""

from __future__ import annotations

from contextlib import contextmanager
from fractions import Fraction

import flint
import mpmath
import numpy as np

from ..errors import SymhessError

SYSTEMS = ("float64", "mpmath", "fraction", "fmpq", "arb")
EXACT = ("fraction", "fmpq")
POINT_SYSTEMS = ("float64", "mpmath", "fraction", "fmpq")
"""The systems of numbers without a radius: what a kernel module supports unless it says
otherwise (balls need an enclosure of every operation, which only closed forms promise)."""

MIN_PREC = 64
MAX_PREC = 4096


def check_system(system: str) -> str:
    if system not in SYSTEMS:
        raise SymhessError(f"unknown number system {system!r}; choose one of {', '.join(SYSTEMS)}")
    return system


def check_prec(prec) -> int:
    """``prec`` as an int, if it is between :data:`MIN_PREC` and :data:`MAX_PREC` bits."""
    if (
        isinstance(prec, bool)
        or not isinstance(prec, (int, np.integer))
        or not MIN_PREC <= prec <= MAX_PREC
    ):
        raise SymhessError(
            f"the ball-arithmetic precision must be an integer from {MIN_PREC} to {MAX_PREC} "
            f"bits, got {prec!r}"
        )
    return int(prec)


@contextmanager
def arb_precision(prec: int):
    """Run the block with python-flint's ``arb`` at ``prec`` bits, then restore the old value."""
    prec = check_prec(prec)
    saved = flint.ctx.prec
    flint.ctx.prec = prec
    try:
        yield prec
    finally:
        flint.ctx.prec = saved


def _rational(x) -> Fraction:
    """An exact rational from an int, Fraction, fmpq, mpf, sympy Rational or float (exact value)."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, (int, np.integer)):
        return Fraction(int(x))
    if isinstance(x, flint.fmpq):
        return Fraction(int(x.p), int(x.q))
    if isinstance(x, (float, np.floating)):
        return Fraction(float(x))
    if isinstance(x, mpmath.mpf):
        if not mpmath.isfinite(x):
            raise SymhessError(f"{x} is not a finite number")
        sign, man, exp, _ = x._mpf_  # mpf.man_exp drops the sign
        return (-1) ** sign * Fraction(int(man)) * Fraction(2) ** int(exp)
    if hasattr(x, "p") and hasattr(x, "q"):
        return Fraction(int(x.p), int(x.q))
    raise SymhessError(f"cannot convert {x!r} to an exact rational")


def scalar(x, system: str):
    """One number in ``system``; floats enter exact systems with their exact binary value.

    In ``"arb"`` the result is the smallest ball at the current precision that contains the
    exact value (a float is exact for ``flint.ctx.prec >= 53``).
    """
    if system == "float64":
        if isinstance(x, (Fraction, flint.fmpq)):
            r = _rational(x)
            return r.numerator / r.denominator  # correctly rounded, unlike float(p) / float(q)
        if isinstance(x, flint.arb):
            return float(x.mid())
        return float(x)
    if system == "arb":
        if isinstance(x, flint.arb):
            return x
        r = _rational(x)
        return flint.arb(flint.fmpq(r.numerator, r.denominator))
    if system == "mpmath":
        if isinstance(x, mpmath.mpf):
            return +x
        r = _rational(x)
        return mpmath.mpf(r.numerator) / r.denominator
    r = _rational(x)
    if system == "fraction":
        return r
    return flint.fmpq(r.numerator, r.denominator)


def zeros(shape, system: str) -> np.ndarray:
    """An array of zeros in ``system``: float64, or an object array of that system's zero."""
    check_system(system)
    if system == "float64":
        return np.zeros(shape)
    out = np.empty(shape, dtype=object)
    out[...] = scalar(0, system)
    return out


def array(x, system: str) -> np.ndarray:
    """An array in ``system``: float64, or an object array of that system's numbers."""
    check_system(system)
    if system == "float64":
        arr = np.asarray(x)
        if arr.dtype == object:
            return np.vectorize(lambda t: scalar(t, "float64"), otypes=[float])(arr)
        return arr.astype(np.float64)
    arr = np.asarray(x, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    flat = out.reshape(-1)
    for k, t in enumerate(arr.reshape(-1)):
        flat[k] = scalar(t, system)
    return out


def to_arb(x) -> flint.arb:
    """An exact python-flint ``arb`` (radius 0) from an mpf, int, Fraction, fmpq or float."""
    if isinstance(x, mpmath.mpf):
        if not mpmath.isfinite(x):
            raise SymhessError(f"{x} is not a finite number")
        sign, man, exp, _ = x._mpf_  # mpf.man_exp drops the sign
        return (-1) ** sign * flint.arb(int(man)) * flint.arb(2) ** int(exp)
    if isinstance(x, (float, np.floating)):
        if not np.isfinite(x):
            raise SymhessError(f"{x} is not a finite number")
        m, e = np.frexp(float(x))
        return flint.arb(int(m * 2**53)) * flint.arb(2) ** (int(e) - 53)
    r = _rational(x)
    return flint.arb(flint.fmpq(r.numerator, r.denominator))


def arb_to_mpf(x: flint.arb) -> mpmath.mpf:
    """The midpoint of an ``arb`` as an ``mpmath.mpf`` (exactly, at any precision)."""
    man, exp = x.mid().man_exp()
    return mpmath.mpf((int(man), int(exp)))
