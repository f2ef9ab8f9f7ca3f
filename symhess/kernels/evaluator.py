"""The kernel evaluator: the type every kernel provider returns and every layer above uses."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction

import mpmath
import numpy as np
import sympy

from ..activation import Activation
from ..base.systems import POINT_SYSTEMS, check_system, scalar
from ..errors import SymhessError
from ..symbolic.names import EXTRA_NAMES, KERNEL_NAMES, MEAN_EXTRA_NAMES, MEAN_NAMES

__all__ = ["KernelValues", "Kernels", "check_finite_kernels"]


@dataclass
class KernelValues:
    """Kernels at broadcast ``(a, b, c)``, with their error estimates when they have any.

    Attributes
    ----------
    values : tuple of ndarray, each of shape S
        In the order of :attr:`names` (by default ``K00, K11, K20, K22, K31, K13``).
    errors : tuple of ndarray (float64), each of shape S, or None
        Estimated absolute error of every entry (quadrature); ``None`` for kernels that are
        exact up to the rounding of their number system (polynomials, closed forms).
    scales : tuple of ndarray (float64), each of shape S, or None
        The scale each error is relative to: ``sqrt(E[sigma^(p)(u)^2] E[sigma^(q)(w)^2])``,
        an upper bound of ``|K_pq|`` (Cauchy-Schwarz).
    tol : float or None
        The tolerance the errors were held to, relative to the scales.
    stats : dict
        How the values were computed (quadrature: entries per route, Mehler terms, nodes).
    names : tuple of str
    """

    values: tuple
    errors: tuple | None = None
    scales: tuple | None = None
    tol: float | None = None
    stats: dict = field(default_factory=dict)
    names: tuple = KERNEL_NAMES

    @property
    def exact(self) -> bool:
        """No error estimate: exact up to the rounding of the number system."""
        return self.errors is None

    @property
    def relative_error(self) -> dict[str, float]:
        """Largest ``error / scale`` per kernel (zeros for exact kernels)."""
        if self.errors is None:
            return dict.fromkeys(self.names, 0.0)
        out = {}
        for name, e, s in zip(self.names, self.errors, self.scales, strict=True):
            e, s = np.asarray(e, dtype=np.float64), np.asarray(s, dtype=np.float64)
            with np.errstate(divide="ignore", invalid="ignore"):
                r = np.where(s > 0, e / np.where(s > 0, s, 1.0), np.where(e > 0, np.inf, 0.0))
            out[name] = float(np.max(r, initial=0.0))
        return out

    @property
    def absolute_error(self) -> dict[str, float]:
        """Largest estimated absolute error per kernel (zeros for exact kernels)."""
        if self.errors is None:
            return dict.fromkeys(self.names, 0.0)
        return {
            n: float(np.max(e, initial=0.0)) for n, e in zip(self.names, self.errors, strict=True)
        }

    @property
    def error_estimate(self) -> float:
        """Largest relative error estimate over the kernels (0 for exact kernels)."""
        return max(self.relative_error.values(), default=0.0)


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
    means : callable, optional
        ``means(a, b, c, m1, m2, system)``: the ten kernels with means, for networks with
        biases (see :meth:`with_means`).
    means_origin : str, optional
        Where the kernels with means come from.
    means_systems : sequence of str, optional
        The number systems ``means`` supports (default: ``systems``).
    means_extra : callable, optional
        ``means_extra(a, b, c, m1, m2, system, names)``: kernels with means beyond the ten
        (``K30``, ``K40``; :meth:`evaluate_mean_extra`), in ``means_systems``.
    """

    vector_route = False
    """Whether :meth:`pair_matrices` gives the kernel matrices (from the weight vectors)."""

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
        means: Callable | None = None,
        means_origin: str | None = None,
        means_systems=None,
        means_extra: Callable | None = None,
    ):
        self.activation = act
        self.origin = origin
        self._func = func
        self._coefficients = coefficients
        self.systems = tuple(systems) if systems is not None else POINT_SYSTEMS
        self._extra = extra
        self.extra_names = tuple(extra_names) if extra is not None else ()
        self.extra_origin = extra_origin or origin
        self._extra_missing = extra_missing
        self._means = means
        self.means_origin = means_origin
        self.means_systems = (
            () if means is None else tuple(means_systems if means_systems else self.systems)
        )
        self._means_extra = means_extra

    def check_system(self, system: str) -> None:
        """Refuse a number system these kernels cannot evaluate in."""
        check_system(system)
        if system not in self.systems:
            raise SymhessError(
                f"kernels of {self.activation.source!r} ({self.origin}) cannot be evaluated "
                f"in {system!r}; supported: {', '.join(self.systems)}"
            )

    def evaluate(self, a, b, c, system: str = "float64") -> KernelValues:
        """The kernels at ``(a, b, c)`` with their error estimates (:class:`KernelValues`).

        Kernels from closed forms and polynomial modules are exact up to the rounding of the
        number system: their ``errors`` are ``None``. Quadrature kernels override this.
        """
        return KernelValues(tuple(self(a, b, c, system)))

    def __call__(self, a, b, c, system: str = "float64"):
        self.check_system(system)
        if system != "float64":
            if self._coefficients is None:
                return self._func(a, b, c)
            return self._func(a, b, c, [_parameter(x, system) for x in self._coefficients])
        # numpy scalars overflow to inf (Python floats raise): the check below names it
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            if self._coefficients is None:
                values = self._func(a, b, c)
            else:
                s = [np.float64(_parameter(x, system)) for x in self._coefficients]
                values = self._func(a, b, c, s)
        check_finite_kernels(self, values, a, b)
        return values

    @property
    def has_means(self) -> bool:
        """Whether these kernels have a version with means (networks with biases)."""
        return bool(self.means_systems)

    def check_means(self, system: str) -> None:
        """Refuse, in one line, biases these kernels cannot handle in ``system``."""
        check_system(system)
        if not self.has_means:
            raise SymhessError(
                f"no kernels with means (biases) are known for {self.activation.source!r} "
                f"({self.origin})"
            )
        if system not in self.means_systems:
            raise SymhessError(
                f"kernels with means (biases) of {self.activation.source!r} "
                f"({self.means_origin}) cannot be evaluated in {system!r}; supported: "
                f"{', '.join(self.means_systems)}"
            )

    def with_means(self, a, b, c, m1, m2, system: str = "float64") -> tuple:
        """The ten kernels with means at ``(a, b, c, m1, m2)``, broadcast.

        ``K_pq(a, b, c, m1, m2) = E[sigma^(p)(m1 + u) sigma^(q)(m2 + w)]`` for
        ``(u, w) ~ N(0, [[a, c], [c, b]])``: the mean of each pre-activation is its unit's bias.

        Returns
        -------
        tuple of 10
            In the order :data:`symhess.symbolic.names.MEAN_NAMES` (the six bias-free names,
            then ``K10, K01, K21, K12``).
        """
        self.check_means(system)
        if system != "float64":
            return self._means(a, b, c, m1, m2, system)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            values = self._means(a, b, c, m1, m2, system)
        check_finite_kernels(self, values, a, b, "with these biases")
        return values

    def evaluate_means(self, a, b, c, m1, m2, system: str = "float64") -> KernelValues:
        """The ten kernels with means (:meth:`with_means`) with their error estimates
        (:class:`KernelValues` named :data:`~symhess.symbolic.names.MEAN_NAMES`).

        Closed forms and polynomials are exact up to rounding (``errors`` is ``None``);
        quadrature kernels override this.
        """
        return KernelValues(tuple(self.with_means(a, b, c, m1, m2, system)), names=MEAN_NAMES)

    def evaluate_mean_extra(
        self, a, b, c, m1, m2, system: str = "float64", names=MEAN_EXTRA_NAMES
    ) -> KernelValues:
        """Kernels with means beyond the ten (``K30``, ``K40``: the Hessian of a network with
        biases away from the optimum), with their error estimates (``None``: exact up to
        rounding; quadrature overrides this).

        Raises
        ------
        SymhessError
            In one line, for kernels that have none (the ReLU family, whose third and fourth
            derivatives are not functions).
        """
        self.check_means(system)
        if self._means_extra is None:
            raise SymhessError(
                f"{', '.join(names)} with means (biases) of {self.activation.source!r} are not "
                f"available ({self.means_origin}): the Hessian of a network with biases away "
                "from the optimum needs them"
            )
        names = tuple(names)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            values = tuple(self._means_extra(a, b, c, m1, m2, system, names))
        if system == "float64":
            check_finite_kernels(self, values, a, b, "with these biases")
        return KernelValues(values, names=names)

    def pair_matrices(self, W, V=None, system: str = "float64", *, b=None, c=None) -> dict | None:
        """Kernel matrices from the weight vectors themselves, for providers whose kernels
        need more than ``(a, b, c)`` to be accurate (the ReLU family's bisector form,
        :mod:`symhess.kernels.relu`); ``None``: use the ``(a, b, c)`` contract. ``b`` and
        ``c`` are the biases of the rows of ``W`` and ``V`` (kernels with means)."""
        return None

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
        if system != "float64":
            values = self._extra(a, b, c, system)
        else:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                values = self._extra(a, b, c, system)
            check_finite_kernels(self, values, a, b)
        values = dict(zip(self.extra_names, values, strict=True))
        return {n: values[n] for n in names}

    def evaluate_extra(self, a, b, c, system: str = "float64", names=EXTRA_NAMES) -> KernelValues:
        """:meth:`extra` as :class:`KernelValues` (``errors`` ``None``: exact up to rounding;
        quadrature kernels override this with their estimates)."""
        values = self.extra(a, b, c, system, names)
        return KernelValues(tuple(values[n] for n in names), names=tuple(names))

    @property
    def local_arrays(self) -> int | None:
        """How many values the kernel function can hold at once (its local variables: the
        generated modules' intermediate terms), if known; high-degree families hold
        hundreds, which sizes the row blocks of the kernel matrices."""
        code = getattr(self._func, "__code__", None)
        return None if code is None else int(code.co_nlocals)

    def notes(self) -> list[str]:
        """Extra report lines about how the kernels were computed (none for closed forms)."""
        return []

    def __repr__(self) -> str:
        return f"Kernels({self.activation.short!r} from {self.origin})"


def check_finite_kernels(kernels: Kernels, values, a, b, where: str = "") -> None:
    """Refuse float64 kernel values that overflowed or are undefined, naming the cause."""
    if all(np.all(np.isfinite(v)) for v in values):
        return
    scale = max(float(np.max(np.abs(a), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    what = "weights" + (f" {where}" if where else "")
    raise SymhessError(
        f"the kernels of {kernels.activation.source!r} are not finite in float64 at these "
        f"{what} (largest variance |w|^2 = {scale:.3g}): the activation's coefficients, "
        "the weights or the biases are too large for float64; rescale them, or use the "
        "mpmath system"
    )


def bind_extra(func: Callable, coefficients=None) -> Callable:
    """``extra(a, b, c, system)`` for :class:`Kernels` from a module's ``extra_kernels``
    function (given the family's parameters, converted to ``system`` on every call)."""
    if coefficients is None:
        return lambda a, b, c, system: func(a, b, c)

    def extra(a, b, c, system):
        s = [_parameter(x, system) for x in coefficients]
        if system == "float64":  # numpy scalars overflow to inf, which the caller names
            s = [np.float64(x) for x in s]
        return func(a, b, c, s)

    return extra


def _parameter(x, system: str):
    """A family parameter in ``system``; SymPy irrationals are evaluated at its precision."""
    if isinstance(x, sympy.Basic):
        if x.is_Rational:
            return scalar(Fraction(int(x.p), int(x.q)), system)
        if system == "float64":
            return float(x)
        if system == "mpmath":
            return mpmath.mpf(x.evalf(mpmath.mp.dps + 10))
        if system == "arb":
            return _arb_constant(x)
        raise SymhessError(f"parameter {x} is irrational: it has no value in {system!r}")
    return scalar(x, system)


def _arb_constant(x: sympy.Basic):
    """A ball enclosing a SymPy constant built from rationals, ``pi``, ``E``, sums, products
    and rational powers (python-flint evaluates each step with a rigorous radius)."""
    import flint

    if x.is_Rational:
        return flint.arb(flint.fmpq(int(x.p), int(x.q)))
    if x is sympy.pi:
        return flint.arb.pi()
    if x is sympy.E:
        return flint.arb(1).exp()
    if isinstance(x, sympy.Add):
        parts = [_arb_constant(a) for a in x.args]
        return sum(parts[1:], parts[0])
    if isinstance(x, sympy.Mul):
        out = flint.arb(1)
        for a in x.args:
            out = out * _arb_constant(a)
        return out
    if isinstance(x, sympy.Pow) and x.exp.is_Rational:
        base = _arb_constant(x.base)
        if x.exp.is_Integer:
            return base ** int(x.exp)
        return base ** _arb_constant(x.exp)
    raise SymhessError(f"parameter {x} has no enclosure in ball arithmetic")
