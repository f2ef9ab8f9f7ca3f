"""What gets generated: the shipped polynomial families and user activations."""

from __future__ import annotations

from symhess.activation import Activation
from symhess.kernels import coefficient_symbols, isserlis_kernels

from .render import ModuleSpec

FAMILY_DEGREES = range(1, 9)
"""Degrees of the shipped polynomial families (``generated/poly_deg{p}.py``)."""

UPDATE_COMMAND = "python -m symhess.codegen --update"


def family_name(degree: int) -> str:
    return f"poly_deg{degree}"


def family_canonical(degree: int) -> str:
    return f"poly-family({degree})"


def family_spec(degree: int) -> ModuleSpec:
    """Kernels of ``sigma(z) = s0 + s1 z + ... + s_p z^p`` with symbolic coefficients."""
    return ModuleSpec(
        name=family_name(degree),
        kind="family",
        source=f"polynomial family of degree {degree} (coefficients s0..s{degree} at run time)",
        canonical=family_canonical(degree),
        kernels=isserlis_kernels(coefficient_symbols(degree)),
        degree=degree,
        regenerate=UPDATE_COMMAND,
    )


def activation_spec(act: Activation, name: str) -> ModuleSpec:
    """Kernels of one polynomial activation, its coefficients folded into the code."""
    if not act.is_polynomial:
        raise ValueError(f"{act.source!r} is not a polynomial: no closed-form kernels to generate")
    return ModuleSpec(
        name=name,
        kind="activation",
        source=act.source,
        canonical=act.canonical,
        kernels=isserlis_kernels(act.coefficients),
        degree=act.degree,
        regenerate=f"symhess generate {_shell_quote(act.source)} --name {name} --force",
    )


def shipped_specs() -> list[ModuleSpec]:
    """Every module that ships in ``generated/``."""
    return [family_spec(p) for p in FAMILY_DEGREES]


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"
