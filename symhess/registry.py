"""Find, check and load the kernel module of an activation.

Kernel modules are the generated files in the shipped ``generated/`` folder and in folders
the user names (``--kernels DIR`` on the command line, ``kernel_dirs=`` in Python, and the
``SYMHESS_KERNELS`` environment variable, a path list). For an activation, symhess uses, in
order:

1. a module generated for exactly this activation (its banner hash equals the activation's);
2. for a polynomial of degree 1..8, the shipped family ``poly_deg{p}`` with its coefficients;
3. the resolvers in :data:`RESOLVERS`: the closed-form family of ``beta * erf(alpha * z)``
   (:mod:`symhess.closed_forms`), then 2-D quadrature for any other smooth activation
   (:mod:`symhess.quadrature`, float64 only).

Every module is checked before use: a banner hash that does not match its canonical form, an
older generator version or a body edited by hand make it *stale*, and a stale module is
refused with the command that regenerates it - never used.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from types import ModuleType

import mpmath

from . import banner, numbers
from .activation import Activation, activation
from .errors import SymhessError

ENV_VAR = "SYMHESS_KERNELS"


def shipped_dir() -> Path:
    import symhess.generated

    return Path(symhess.generated.__file__).parent


def search_dirs(kernel_dirs: Sequence[str | os.PathLike] | None = None) -> list[Path]:
    """User folders (argument, then ``SYMHESS_KERNELS``) followed by the shipped folder."""
    user = [Path(p) for p in (kernel_dirs or ())]
    user += [Path(p) for p in os.environ.get(ENV_VAR, "").split(os.pathsep) if p]
    for p in user:
        if not p.is_dir():
            raise SymhessError(f"kernel folder {str(p)!r} does not exist")
    return user + [shipped_dir()]


@dataclass
class KernelModule:
    """A generated kernel module on disk, its banner read, its code loaded on demand."""

    path: Path
    fields: dict[str, str]
    body: str
    _module: ModuleType | None = field(default=None, repr=False)

    @property
    def hash(self) -> str:
        return self.fields["Hash"]

    @property
    def source(self) -> str:
        return self.fields["Source"]

    def load(self) -> ModuleType:
        """Import the module (once), refusing it if stale."""
        if self._module is None:
            reason = banner.stale_reason(self.fields, self.body)
            if reason is not None:
                raise SymhessError(
                    f"kernel module {str(self.path)!r} is stale ({reason}); regenerate it with: "
                    f"{self.fields['Regenerate']}"
                )
            spec = importlib.util.spec_from_file_location(
                f"symhess._kernels.{self.path.stem}_{self.hash}", self.path
            )
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            self._module = module
        return self._module


def read_module(path: Path) -> KernelModule | None:
    """The module at ``path`` if it carries a symhess banner, else ``None``."""
    try:
        parsed = banner.split(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    if parsed is None:
        return None
    return KernelModule(path=path, fields=parsed[0], body=parsed[1])


_CACHE: dict[tuple[Path, float], KernelModule | None] = {}


def _modules_in(folder: Path) -> list[KernelModule]:
    out = []
    for path in sorted(folder.glob("*.py")):
        key = (path.resolve(), path.stat().st_mtime)
        if key not in _CACHE:
            _CACHE[key] = read_module(path)
        if _CACHE[key] is not None:
            out.append(_CACHE[key])
    return out


# ----------------------------------------------------------------------------- evaluation
class Kernels:
    """The six kernels of one activation, ready to evaluate.

    Call it as ``kernels(a, b, c, system)`` with ``a, b, c`` in the number system
    ``system`` (see :mod:`symhess.numbers`); it returns the tuple
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
    """

    def __init__(
        self, act: Activation, origin: str, func: Callable, coefficients=None, systems=None
    ):
        self.activation = act
        self.origin = origin
        self._func = func
        self._coefficients = coefficients
        self.systems = tuple(systems) if systems is not None else numbers.SYSTEMS

    def check_system(self, system: str) -> None:
        """Refuse a number system these kernels cannot evaluate in."""
        numbers.check_system(system)
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

    def notes(self) -> list[str]:
        """Extra report lines about how the kernels were computed (none for closed forms)."""
        return []

    def __repr__(self) -> str:
        return f"Kernels({self.activation.short!r} from {self.origin})"


def _parameter(x, system: str):
    """A family parameter in ``system``; SymPy irrationals are evaluated at its precision."""
    import sympy

    if isinstance(x, sympy.Basic):
        if x.is_Rational:
            return numbers.scalar(Fraction(int(x.p), int(x.q)), system)
        if system == "float64":
            return float(x)
        if system == "mpmath":
            return mpmath.mpf(x.evalf(mpmath.mp.dps + 10))
        raise SymhessError(f"parameter {x} is irrational: it has no value in {system!r}")
    return numbers.scalar(x, system)


def _builtin_closed_form(act: Activation) -> Kernels | None:
    from .closed_forms import resolve_closed_form

    return resolve_closed_form(act)


def _builtin_quadrature(act: Activation) -> Kernels | None:
    from .quadrature import resolve_quadrature

    return resolve_quadrature(act)


# Resolvers for activations without a generated module, tried in order: each takes an
# Activation and returns Kernels or None. Imported lazily: they need SymPy derivations.
RESOLVERS: list[Callable[[Activation], Kernels | None]] = [
    _builtin_closed_form,
    _builtin_quadrature,
]


def _module_systems(module: KernelModule) -> tuple[str, ...]:
    return tuple(getattr(module.load(), "SYSTEMS", numbers.SYSTEMS))


def shipped_module(name: str) -> KernelModule:
    """The shipped module ``generated/<name>.py``."""
    found = next((m for m in _modules_in(shipped_dir()) if m.path.stem == name), None)
    if found is None:
        raise SymhessError(f"shipped kernel module {name} is missing")
    return found


def find_by_name(name: str, kernel_dirs=None) -> KernelModule | None:
    """The user module ``name.py`` in the user folders, if there is one."""
    for folder in search_dirs(kernel_dirs)[:-1]:
        candidate = folder / f"{name}.py"
        if candidate.is_file():
            module = read_module(candidate)
            if module is None:
                raise SymhessError(f"{str(candidate)!r} is not a symhess kernel module")
            return module
    return None


def resolve(spec, kernel_dirs: Sequence[str | os.PathLike] | None = None) -> Kernels:
    """The :class:`Kernels` of an activation.

    Parameters
    ----------
    spec : str, coefficient list or Activation
        The activation; a bare name (``"myact"``) refers to a module generated with
        ``symhess generate ... --name myact`` in one of the kernel folders.
    kernel_dirs : sequence of paths, optional
        Folders searched before ``SYMHESS_KERNELS`` and the shipped kernels.

    A :class:`Kernels` object is returned as it is, so that kernels made with options (for
    example :func:`symhess.quadrature.quadrature_kernels` with another order) can be passed
    wherever an activation is expected.
    """
    if isinstance(spec, Kernels):
        return spec
    if isinstance(spec, str) and spec.strip().isidentifier() and spec.strip() != "z":
        named = find_by_name(spec.strip(), kernel_dirs)
        if named is not None:
            act = activation(named.source)
            if act.hash != named.hash:
                raise SymhessError(
                    f"kernel module {str(named.path)!r} is stale (its hash does not match "
                    f"{named.source!r}); regenerate it with: {named.fields['Regenerate']}"
                )
            return Kernels(
                act, str(named.path), named.load().kernels, systems=_module_systems(named)
            )
    act = activation(spec)
    dirs = search_dirs(kernel_dirs)
    for folder in dirs:
        for module in _modules_in(folder):
            if module.hash == act.hash:
                return Kernels(
                    act, str(module.path), module.load().kernels, systems=_module_systems(module)
                )
    if act.is_polynomial:
        family = next(
            (m for m in _modules_in(dirs[-1]) if m.path.stem == f"poly_deg{act.degree}"), None
        )
        if family is None:
            raise SymhessError(f"shipped kernel family poly_deg{act.degree} is missing")
        return Kernels(act, str(family.path), family.load().kernels, act.coefficients)
    for resolver in RESOLVERS:
        found = resolver(act)
        if found is not None:
            return found
    raise SymhessError(f"no kernels known for activation {act.source!r}")
