"""Kernel modules on disk: where symhess looks for them, and the checks before one is used.

Kernel modules are the generated files in the shipped ``generated/`` folder and in folders
the user names (``--kernels DIR`` on the command line, ``kernel_dirs=`` in Python, and the
``SYMHESS_KERNELS`` environment variable, a path list). Every module is checked before use:
a banner hash that does not match its canonical form, an older generator version or a body
edited by hand make it *stale*, and a stale module is refused with the command that
regenerates it - never used.
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import symhess.generated

from ..base import systems
from ..codegen import banner
from ..errors import SymhessError

ENV_VAR = "SYMHESS_KERNELS"


def shipped_dir() -> Path:
    """The folder of the kernel modules shipped with symhess (``generated/``)."""
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


def modules_in(folder: Path) -> list[KernelModule]:
    out = []
    for path in sorted(folder.glob("*.py")):
        key = (path.resolve(), path.stat().st_mtime)
        if key not in _CACHE:
            _CACHE[key] = read_module(path)
        if _CACHE[key] is not None:
            out.append(_CACHE[key])
    return out


def module_systems(module: KernelModule) -> tuple[str, ...]:
    return tuple(getattr(module.load(), "SYSTEMS", systems.POINT_SYSTEMS))


def shipped_module(name: str) -> KernelModule:
    """The shipped module ``generated/<name>.py``."""
    found = next((m for m in modules_in(shipped_dir()) if m.path.stem == name), None)
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
