"""Polynomial kernels of any degree: shipped, cached, or derived once on first use.

``generated/`` ships the families ``poly_deg1 .. poly_deg8`` (coefficients given at run
time). For a higher degree the module is derived on first use - Isserlis' theorem, then
code generation (:mod:`symhess.codegen`) - written into the user cache folder
(:mod:`symhess.base.cache`) with the same banner as a shipped module, and read from there
ever after: nothing is derived twice. What is derived is whichever is estimated cheaper:

* the family ``poly_deg{p}`` of the degree (every polynomial of that degree reuses it;
  ``python -m symhess.codegen --family P`` derives it ahead of time), or
* a module for this one activation with its coefficients folded in, ``act_<hash>.py``
  (``z + z**16``: 0.15 s against 7 s for the family).

A family already in the cache is always used. Before use every cached module passes the same
checks as a shipped one (generator version, hash of its canonical form, body hash); a stale
cached module is derived again and replaced - it is symhess's own file - while a file there
that symhess did not write is never touched. When the cache folder cannot be written, the
module is kept in memory for this process and a :class:`~symhess.errors.SymhessWarning` says
so. A derivation estimated to take longer than :data:`ANNOUNCE_SECONDS` is announced, with
the estimate, before it starts.
"""

from __future__ import annotations

import importlib.util
import warnings
from collections.abc import Callable
from pathlib import Path

from ..activation import Activation
from ..base.cache import writable_cache_dir
from ..base.progress import progress
from ..codegen import banner
from ..codegen.rendering import ModuleSpec, render
from ..codegen.specs import (
    FAMILY_DEGREES,
    activation_seconds,
    activation_spec,
    derivation_seconds,
    family_canonical,
    family_name,
    family_spec,
)
from ..errors import SymhessError, SymhessWarning
from ..files import atomic_write_text
from .modules import KernelModule, modules_in, read_module, shipped_dir

__all__ = ["ANNOUNCE_SECONDS", "activation_module", "family_module", "polynomial_module"]

ANNOUNCE_SECONDS = 20.0
"""Derivations estimated to take longer than this are announced before they start."""

_MEMORY: dict[str, KernelModule] = {}


def polynomial_module(act: Activation) -> tuple[KernelModule, bool]:
    """The kernel module for a polynomial activation, and whether it is a family (then its
    coefficients are passed at run time).

    The shipped family for degrees 1..8; above, a cached family, else a cached module of this
    activation, else whichever of the two is estimated cheaper to derive (module docstring).
    """
    if not act.is_polynomial:
        raise SymhessError(f"{act.short} is not a polynomial")
    degree = act.degree
    if degree in FAMILY_DEGREES:
        return family_module(degree), True
    family = _cached(family_name(degree), family_canonical(degree))
    if family is not None:
        return family, True
    if activation_seconds(act) < derivation_seconds(degree):
        return activation_module(act), False
    return family_module(degree), True


def family_module(degree: int) -> KernelModule:
    """The module of the polynomial family of ``degree``: shipped for 1..8, else from the
    cache folder, derived into it on first use."""
    if degree in FAMILY_DEGREES:
        name = family_name(degree)
        found = next((m for m in modules_in(shipped_dir()) if m.path.stem == name), None)
        if found is None:
            raise SymhessError(f"shipped kernel family {name} is missing")
        return found
    return _module(
        family_name(degree),
        family_canonical(degree),
        lambda: family_spec(degree),
        derivation_seconds(degree),
        f"the kernels of polynomial degree {degree}",
    )


def activation_module(act: Activation) -> KernelModule:
    """The module of one polynomial activation (coefficients folded in), from the cache
    folder, derived into it on first use."""
    name = f"act_{act.hash}"
    return _module(
        name,
        act.canonical,
        lambda: activation_spec(act, name),
        activation_seconds(act),
        f"the kernels of {act.short}",
    )


def _cached(name: str, canonical: str) -> KernelModule | None:
    """The fresh cached module ``name`` holding ``canonical``, if there is one."""
    if name in _MEMORY:
        return _MEMORY[name]
    folder, _ = writable_cache_dir()
    path = folder / f"{name}.py"
    module = read_module(path) if path.is_file() else None
    if module is not None and _unusable(module, canonical) is None:
        _MEMORY[name] = module
        return module
    return None


def _module(
    name: str, canonical: str, make: Callable[[], ModuleSpec], estimate: float, what: str
) -> KernelModule:
    found = _cached(name, canonical)
    if found is not None:
        return found
    folder, problem = writable_cache_dir()
    path = folder / f"{name}.py"
    stale = None
    if path.exists() or path.is_symlink():
        cached = read_module(path) if path.is_file() and not path.is_symlink() else None
        if cached is None:
            # not ours, or not a regular file: never replaced
            problem = problem or f"{str(path)!r} exists and is not a symhess kernel module"
        else:
            stale = _unusable(cached, canonical)
    text = _derive(make, estimate, what, stale)
    if problem is None:
        try:
            atomic_write_text(path, text)
        except (OSError, SymhessError) as exc:
            problem = f"writing {str(path)!r} failed ({getattr(exc, 'strerror', None) or exc})"
        else:
            module = read_module(path)
            if module is not None:
                _MEMORY[name] = module
                return module
            problem = f"{str(path)!r} could not be read back"
    warnings.warn(
        f"{what} are kept in memory only: the cache folder {str(folder)!r} cannot be used "
        f"({problem}); they will be derived again next time (set SYMHESS_CACHE to a "
        "writable folder)",
        SymhessWarning,
        stacklevel=3,
    )
    module = _in_memory(text, path)
    _MEMORY[name] = module
    return module


def _unusable(module: KernelModule, canonical: str) -> str | None:
    """Why a cached module cannot be used for ``canonical``, or ``None``."""
    if module.fields.get("Canonical") != canonical:
        return f"it holds {module.fields.get('Canonical')!r}"
    return banner.stale_reason(module.fields, module.body)


def _derive(make: Callable[[], ModuleSpec], estimate: float, what: str, stale) -> str:
    """The module text, announced first when it takes a while."""
    if stale is not None:
        warnings.warn(
            f"the cached {what[4:]} cannot be used ({stale}): deriving them again",
            SymhessWarning,
            stacklevel=4,
        )
    if estimate > ANNOUNCE_SECONDS:
        warnings.warn(
            f"deriving {what} for the first time: about {_duration(estimate)} (estimate); "
            "the result is cached, so this happens once",
            SymhessWarning,
            stacklevel=4,
        )
    show = None if estimate > 3 else False
    with progress(total=2, desc="deriving kernels", unit="stage", show=show) as bar:
        bar.set_postfix_str("Isserlis")
        spec = make()
        bar.update()
        bar.set_postfix_str("code generation")
        text = render(spec)
        bar.update()
    return text


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"


def _in_memory(text: str, path: Path) -> KernelModule:
    """A module made from ``text`` without a file (``path`` is where it would have been)."""
    parsed = banner.split(text)
    if parsed is None:  # the generator always writes a banner
        raise SymhessError("generated kernel module without a banner")
    fields, body = parsed
    spec = importlib.util.spec_from_loader(f"symhess._kernels.{path.stem}_memory", loader=None)
    module = importlib.util.module_from_spec(spec)
    # generated by symhess a moment ago (never user text); the same as importing the file
    exec(compile(text, f"<{path.name} in memory>", "exec"), module.__dict__)
    where = Path(f"<in memory: {path.name}>")
    return KernelModule(path=where, fields=fields, body=body, _module=module)
