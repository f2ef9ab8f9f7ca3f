"""Gaussian building blocks for the kernels with means: ``Phi``, ``phi``, Owen's ``T``.

The closed forms of the erf and ReLU kernels with means (:mod:`.erf_means`, :mod:`.relu`)
need the bivariate normal CDF, which Owen (1956) writes with his ``T`` function::

    T(h, a) = (1/2pi) int_0^a exp(-h^2 (1 + x^2)/2) / (1 + x^2) dx,
    Phi2(h, k; rho) = Phi(h)/2 + Phi(k)/2 - T(h, a_h) - T(k, a_k) - [h k < 0]/2,
    a_h = (k - rho h) / (h sqrt(1 - rho^2)),   a_k = (h - rho k) / (k sqrt(1 - rho^2))

(``h k != 0``), and ``Phi2(0, k; rho) = Phi(k)/2 - T(k, -rho/sqrt(1 - rho^2))`` on the axes
(the common one-sided limit; at ``k = 0`` too: Sheppard's ``1/4 + asin(rho)/(2 pi)``). The
callers pass ``a_h``, ``a_k`` already simplified, without the ``1/sqrt(1 - rho^2)`` that
blows up for parallel rows.

float64 uses ``scipy.special.owens_t`` and ``ndtr``; mpmath (object arrays of ``mpf``, at
the current ``mpmath.mp.dps``) integrates ``T`` with ``mpmath.quad`` on ``[0, a]`` for
``|a| <= 1`` and uses Owen's identity
``T(h, a) + T(a h, 1/a) = Phi(h)/2 + Phi(a h)/2 - Phi(h) Phi(a h)`` (``h >= 0``, ``a > 0``)
beyond, so the interval never exceeds ``[0, 1]``.
"""

from __future__ import annotations

import mpmath
import numpy as np
import scipy.special

from ..errors import SymhessError

__all__ = ["GaussTools", "owens_t_mpmath", "tools"]


def owens_t_mpmath(h, a):
    """Owen's ``T(h, a)`` at the current mpmath precision (scalars)."""
    h = abs(mpmath.mpf(h))
    a = mpmath.mpf(a)
    if a == 0:
        return mpmath.mpf(0)
    if mpmath.isinf(a):
        return mpmath.sign(a) * mpmath.ncdf(-h) / 2
    sign = 1 if a > 0 else -1
    a = abs(a)
    if a <= 1:
        with mpmath.workprec(mpmath.mp.prec + 10):
            value = mpmath.quad(
                lambda x: mpmath.exp(-h * h * (1 + x * x) / 2) / (1 + x * x), [0, a]
            ) / (2 * mpmath.pi)
        return sign * +value
    ah = a * h
    ph, pah = mpmath.ncdf(h), mpmath.ncdf(ah)
    return sign * ((ph + pah) / 2 - ph * pah - owens_t_mpmath(ah, 1 / a))


def _mp_phi(x):
    return mpmath.npdf(x)


class GaussTools:
    """Elementwise ``sqrt, exp, erf, Phi, phi, T`` and ``pi`` in one number system.

    Attributes
    ----------
    system : {"float64", "mpmath"}
    """

    def __init__(self, system: str):
        self.system = system
        if system == "float64":
            self.pi = np.pi
            self.sqrt, self.exp, self.erf = np.sqrt, np.exp, scipy.special.erf
            self.Phi = scipy.special.ndtr
            self.phi = lambda x: np.exp(-0.5 * x * x) / np.sqrt(2 * np.pi)
            self.T = scipy.special.owens_t
            self.zero, self.one = 0.0, 1.0
        elif system == "mpmath":
            self.pi = +mpmath.pi
            self.sqrt = np.frompyfunc(mpmath.sqrt, 1, 1)
            self.exp = np.frompyfunc(mpmath.exp, 1, 1)
            self.erf = np.frompyfunc(mpmath.erf, 1, 1)
            self.Phi = np.frompyfunc(mpmath.ncdf, 1, 1)
            self.phi = np.frompyfunc(_mp_phi, 1, 1)
            self.T = np.frompyfunc(owens_t_mpmath, 2, 1)
            self.zero, self.one = mpmath.mpf(0), mpmath.mpf(1)
        else:
            raise SymhessError(
                f"kernels with means in closed form evaluate in float64 and mpmath, not {system!r}"
            )

    def array(self, x) -> np.ndarray:
        """``x`` as an array of this system (no conversion of its numbers)."""
        return np.asarray(x, dtype=np.float64 if self.system == "float64" else object)

    def where(self, cond, x, y):
        return np.where(np.asarray(cond, dtype=bool), x, y)


def tools(system: str) -> GaussTools:
    """:class:`GaussTools` for ``system`` (mpmath constants at the current precision)."""
    return GaussTools(system)
