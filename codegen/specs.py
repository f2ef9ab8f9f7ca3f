"""What gets generated: the shipped families, the shipped erf modules and user activations."""

from __future__ import annotations

import dataclasses

from symhess.activation import Activation, activation
from symhess.symbolic import erf as closed_forms
from symhess.symbolic.polynomial import (
    coefficient_symbols,
    extra_isserlis_kernels,
    isserlis_kernels,
)

from .rendering import ModuleSpec

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
        extra_kernels=extra_isserlis_kernels(coefficient_symbols(degree)),
    )


SHIPPED_ACTIVATIONS = {"erf": "erf(z)", "erf_sqrt2": "erf(z/sqrt(2))"}
"""Closed-form modules shipped for single activations: the paper's erf and ``erf(z/sqrt(2))``."""


def erf_family_spec() -> ModuleSpec:
    """Kernels of ``sigma(z) = s0 * erf(sqrt(s1) * z)`` (``s1 = alpha**2 > 0``) by Price."""
    sigma = "s0*erf(sqrt(s1)*z)"
    return ModuleSpec(
        name=closed_forms.ERF_FAMILY,
        kind="family",
        source=f"{sigma} with s1 = alpha**2 > 0 (parameters s0, s1 at run time)",
        canonical=f"erf-family({sigma})",
        kernels=closed_forms.erf_kernels(),
        degree=None,
        regenerate=UPDATE_COMMAND,
        closed_form=True,
        parameters=("s0", "s1"),
        sigma=sigma,
        extra_kernels=closed_forms.erf_extra_kernels(),
    )


def activation_spec(act: Activation, name: str) -> ModuleSpec:
    """Kernels of one activation, its coefficients folded into the code.

    Polynomials get their Isserlis kernels; ``beta * erf(alpha * z)`` its closed form.
    """
    regenerate = f"symhess generate {_shell_quote(act.source)} --name {name} --force"
    if not act.is_polynomial:
        kernels = closed_forms.closed_form_kernels(act)
        if act.relu_family is not None:
            raise ValueError(
                f"{act.source!r} is in the ReLU family alpha*z + beta*relu(z): its kernels are "
                "closed forms built into symhess (symhess.kernels.relu, with the exact handling "
                "of parallel pairs a generated module cannot give); nothing to generate"
            )
        if kernels is None:
            raise ValueError(
                f"{act.source!r} has no closed-form kernels to generate (only polynomials "
                "and beta*erf(alpha*z)); its kernels come from quadrature at run time"
            )
        return ModuleSpec(
            name=name,
            kind="activation",
            source=act.source,
            canonical=act.canonical,
            kernels=kernels,
            degree=None,
            regenerate=regenerate,
            closed_form=True,
            extra_kernels=closed_forms.closed_form_extra_kernels(act),
        )
    return ModuleSpec(
        name=name,
        kind="activation",
        source=act.source,
        canonical=act.canonical,
        kernels=isserlis_kernels(act.coefficients),
        degree=act.degree,
        regenerate=regenerate,
        extra_kernels=extra_isserlis_kernels(act.coefficients),
    )


def shipped_specs() -> list[ModuleSpec]:
    """Every module that ships in ``generated/``."""
    specs = [family_spec(p) for p in FAMILY_DEGREES]
    specs.append(erf_family_spec())
    for name, source in SHIPPED_ACTIVATIONS.items():
        spec = activation_spec(activation(source), name)
        specs.append(dataclasses.replace(spec, regenerate=UPDATE_COMMAND))
    return specs


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"
