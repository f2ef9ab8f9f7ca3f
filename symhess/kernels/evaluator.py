"""The kernel evaluator: the type every kernel provider returns and every layer above uses."""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import mpmath
import sympy

from ..activation import Activation
from ..base.systems import SYSTEMS, check_system, scalar
from ..errors import SymhessError
from ..symbolic.names import EXTRA_NAMES


class Kernels:
    """The six kernels of one activation, ready to evaluate.

    Call it as ``kernels(a, b, c, system)`` with ``a, b, c`` in the number system
    ``system`` (see :mod:`symhess.base.systems`); it returns the tuple
    ``(K00, K11, K20, K22, K31, K13)``, each broadcast to the shape of ``a, b, c``.

    Parameters
    ----------
    act : Activation
    origin : str
        Where the kernels come from (a module path, or a description).
    func : callable
        ``func(a, b, c)``, or ``func(a, b, c, s)`` for a family with run-time parameters.
    coefficients : sequence, optional
        The family's parameters: Fractions, or SymPy constants (``sqrt(2)``, ``pi**2``) that
        are evaluated at the precision of the number system on every call.
    systems : sequence of str, optional
        The number systems ``func`` supports (default: all); others are refused in one line.
    extra : callable, optional
        ``extra(a, b, c, system)`` returning the kernels beyond the six (``K40``), in the
        order ``extra_names``; see :meth:`extra`.
    extra_names : sequence of str
        What ``extra`` returns (a kernel module's ``EXTRA_OUTPUTS``).
    extra_origin : str, optional
        Where the extra kernels come from, when not from ``origin`` itself.
    extra_missing : str, optional
        Why these kernels have no extra kernels and what to do (for the one-line refusal).
    """

    def __init__(
        self,
        act: Activation,
        origin: str,
        func: Callable,
        coefficients=None,
        systems=None,
        *,
        extra: Callable | None = None,
        extra_names=(),
        extra_origin: str | None = None,
        extra_missing: str | None = None,
    ):
        self.activation = act
        self.origin = origin
        self._func = func
        self._coefficients = coefficients
        self.systems = tuple(systems) if systems is not None else SYSTEMS
        self._extra = extra
        self.extra_names = tuple(extra_names) if extra is not None else ()
        self.extra_origin = extra_origin or origin
        self._extra_missing = extra_missing

    def check_system(self, system: str) -> None:
        """Refuse a number system these kernels cannot evaluate in."""
        check_system(system)
        if system not in self.systems:
            raise SymhessError(
                f"kernels of {self.activation.source!r} ({self.origin}) cannot be evaluated "
                f"in {system!r}; supported: {', '.join(self.systems)}"
            )

    def __call__(self, a, b, c, system: str = "float64"):
        self.check_system(system)
        if self._coefficients is None:
            return self._func(a, b, c)
        s = [_parameter(x, system) for x in self._coefficients]
        return self._func(a, b, c, s)

    def extra(self, a, b, c, system: str = "float64", names=EXTRA_NAMES) -> dict:
        """Kernels beyond the six at ``(a, b, c)``: ``{name: value}`` for ``names``.

        Parameters
        ----------
        a, b, c : array_like
            As for the six kernels; broadcast together.
        system : str
        names : sequence of str
            Which extra kernels, e.g. ``("K40",)`` (:data:`~symhess.symbolic.names.EXTRA_NAMES`).

        Raises
        ------
        SymhessError
            In one line, when these kernels do not provide one of ``names`` (a kernel module
            generated before it existed: the message names the command that regenerates it).
        """
        self.check_system(system)
        missing = [n for n in names if n not in self.extra_names]
        if missing:
            why = self._extra_missing or f"{self.origin} provides only the six kernels"
            raise SymhessError(
                f"{', '.join(missing)} of {self.activation.source!r} is not available: {why}"
            )
        values = dict(zip(self.extra_names, self._extra(a, b, c, system), strict=True))
        return {n: values[n] for n in names}

    def notes(self) -> list[str]:
        """Extra report lines about how the kernels were computed (none for closed forms)."""
        return []

    def __repr__(self) -> str:
        return f"Kernels({self.activation.short!r} from {self.origin})"


def bind_extra(func: Callable, coefficients=None) -> Callable:
    """``extra(a, b, c, system)`` for :class:`Kernels` from a module's ``extra_kernels``
    function (given the family's parameters, converted to ``system`` on every call)."""
    if coefficients is None:
        return lambda a, b, c, system: func(a, b, c)
    return lambda a, b, c, system: func(a, b, c, [_parameter(x, system) for x in coefficients])


def _parameter(x, system: str):
    """A family parameter in ``system``; SymPy irrationals are evaluated at its precision."""
    if isinstance(x, sympy.Basic):
        if x.is_Rational:
            return scalar(Fraction(int(x.p), int(x.q)), system)
        if system == "float64":
            return float(x)
        if system == "mpmath":
            return mpmath.mpf(x.evalf(mpmath.mp.dps + 10))
        raise SymhessError(f"parameter {x} is irrational: it has no value in {system!r}")
    return scalar(x, system)
