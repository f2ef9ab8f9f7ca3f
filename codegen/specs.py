"""What gets generated: the shipped families, the shipped erf modules and user activations."""

from __future__ import annotations

import dataclasses

from symhess.activation import Activation, activation
from symhess.symbolic import erf as closed_forms
from symhess.symbolic.means import pair_family_kernels
from symhess.symbolic.polynomial import (
    coefficient_symbols,
    extra_isserlis_kernels,
    isserlis_kernels,
)

from .rendering import ModuleSpec

FAMILY_DEGREES = range(1, 9)
"""Degrees of the shipped polynomial families (``generated/poly_deg{p}.py``); higher degrees
are derived on first use into the user cache folder (:mod:`symhess.kernels.derived`)."""

UPDATE_COMMAND = "python -m symhess.codegen --update"


def family_command(degree: int) -> str:
    """The command that regenerates the family of ``degree``: the shipped ones together,
    a higher degree into the user cache folder."""
    if degree in FAMILY_DEGREES:
        return UPDATE_COMMAND
    return f"python -m symhess.codegen --family {degree}"


# Derivation + code generation of the family of degree 16 took 6.8 s (2-core machine at
# load 6.5; degree 8: 0.6 s, 12: 2.2 s, 20: 22 s, 24: 66 s; benchmarks/bench_codegen.py),
# growing like p^5.5 - mostly SymPy's common-subexpression pass and printing. One activation
# with its coefficients folded in costs about the same when all 16 are non-zero and grows
# with the number of non-zero coefficient pairs: z + z**16 0.15 s, z - z**3 + z**5 + z**11
# 0.5 s.
_SECONDS_AT_16 = 7.0
_GROWTH = 5.5


def derivation_seconds(degree: int) -> float:
    """Estimated seconds to derive and print the family of ``degree`` (for warnings)."""
    return _SECONDS_AT_16 * (degree / 16) ** _GROWTH


def activation_seconds(act: Activation) -> float:
    """Estimated seconds to derive and print the module of one polynomial activation."""
    k = sum(1 for s in act.coefficients[1:] if s != 0)
    return _SECONDS_AT_16 * (k / 16) ** 2 * (act.degree / 16) ** 3


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
        regenerate=family_command(degree),
        extra_kernels=extra_isserlis_kernels(coefficient_symbols(degree)),
    )


def pair_family_name(degree: int) -> str:
    return f"poly_pair_deg{degree}"


def pair_family_spec(degree: int) -> ModuleSpec:
    """Pair kernels of two polynomials of degree ``degree`` (coefficient lists ``s``, ``t``):
    the kernels with means of any polynomial of that degree, fed its Taylor coefficients at
    the biases (:mod:`symhess.kernels.means`)."""
    return ModuleSpec(
        name=pair_family_name(degree),
        kind="pair",
        source=f"pair kernels of two polynomials of degree {degree} (coefficient lists s, t at "
        "run time): the kernels with means",
        canonical=f"poly-pair-family({degree})",
        kernels=pair_family_kernels(degree),
        degree=degree,
        regenerate=UPDATE_COMMAND,
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
    specs += [pair_family_spec(p) for p in FAMILY_DEGREES]
    specs.append(erf_family_spec())
    for name, source in SHIPPED_ACTIVATIONS.items():
        spec = activation_spec(activation(source), name)
        specs.append(dataclasses.replace(spec, regenerate=UPDATE_COMMAND))
    return specs


def _shell_quote(text: str) -> str:
    return "'" + text.replace("'", "'\"'\"'") + "'"
