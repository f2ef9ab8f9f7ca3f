"""Resolve an activation to its kernels: the one place that chooses a kernel provider.

For an activation, symhess uses, in order:

1. a module generated for exactly this activation (its banner hash equals the activation's),
   found in the user's kernel folders or the shipped ones (:mod:`.modules`);
2. for a polynomial, the family ``poly_deg{p}`` with its coefficients, shipped for degrees
   1..8; for higher degrees a module derived once into the user cache folder (the family,
   or one for this activation, :mod:`.derived`);
3. the providers in :data:`RESOLVERS`: the closed forms of the ReLU family
   ``alpha*z + beta*relu(z)`` (:mod:`.relu`; before quadrature, which must never see a
   non-smooth activation), the closed-form family of ``beta * erf(alpha * z)``, then
   quadrature for any other smooth activation (:mod:`.quadrature`, float64 only).

The kernels beyond the six (``K40``, for the Hessian away from the optimum) come from the
same place: the module's second function ``extra_kernels``, or the quadrature. A module
generated before that function existed keeps working at the optimum; for the extra kernels
it falls back to run-time Isserlis (polynomials, :mod:`.isserlis`) or the shipped erf family
(``beta * erf(alpha * z)``), else refuses with the command that regenerates it. The ReLU
family has no ``K40`` (its ``sigma''`` is a Dirac delta): the landscape takes its residual
part from :func:`.relu.residual_blocks` instead.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

from ..activation import Activation, activation
from ..errors import SymhessError
from ..symbolic.erf import ERF_FAMILY, match_erf
from ..symbolic.names import EXTRA_NAMES
from .derived import polynomial_module
from .evaluator import Kernels, _parameter, bind_extra
from .isserlis import polynomial_kernels
from .means import erf_extra_means, erf_means, polynomial_extra_means, polynomial_means
from .modules import (
    KernelModule,
    find_by_name,
    module_systems,
    modules_in,
    search_dirs,
    shipped_dir,
    shipped_module,
)
from .quadrature import resolve_quadrature
from .relu import resolve_relu

__all__ = ["RESOLVERS", "resolve", "resolve_closed_form"]


def resolve_closed_form(act: Activation) -> Kernels | None:
    """:class:`Kernels` from the shipped erf family, or ``None`` if ``act`` is not one."""
    found = match_erf(act)
    if found is None:
        return None
    module = shipped_module(ERF_FAMILY)
    return Kernels(
        act,
        str(module.path),
        module.load().kernels,
        coefficients=found,
        systems=module_systems(module),
        **_extras(module, act, found),
        **_means(act),
    )


def _extras(module: KernelModule, act: Activation, coefficients=None) -> dict:
    """The keyword arguments of :class:`Kernels` for the extra kernels of ``module``."""
    loaded = module.load()
    func = getattr(loaded, "extra_kernels", None)
    why = (
        f"kernel module {str(module.path)!r} was generated before symhess computed it; "
        f"regenerate it with: {module.fields['Regenerate']}"
    )
    if func is not None:
        return {
            "extra": bind_extra(func, coefficients),
            "extra_names": tuple(getattr(loaded, "EXTRA_OUTPUTS", EXTRA_NAMES)),
            "extra_missing": why,
        }
    # A module generated before extra_kernels existed: same activation, another route.
    if act.is_polynomial:
        coeffs = act.coefficients
        return {
            "extra": lambda a, b, c, system: polynomial_kernels(
                [_parameter(x, system) for x in coeffs], EXTRA_NAMES, a, b, c
            ),
            "extra_names": EXTRA_NAMES,
            "extra_origin": "run-time Isserlis (the module predates extra_kernels)",
        }
    if module.path.stem != ERF_FAMILY and match_erf(act) is not None:
        family = resolve_closed_form(act)
        return {
            "extra": lambda a, b, c, system: tuple(family.extra(a, b, c, system).values()),
            "extra_names": EXTRA_NAMES,
            "extra_origin": f"{family.origin} (the module predates extra_kernels)",
        }
    return {"extra_missing": why}


ERF_MEANS_ORIGIN = "closed form with means, Owen's T (symhess.kernels.erf_means)"
PAIR_RUNTIME_ORIGIN = (
    "pair kernels at the Taylor coefficients of sigma at the biases, evaluated at run time "
    "(symhess.kernels.means; no shipped pair family of this degree)"
)


def _means(act: Activation) -> dict:
    """The keyword arguments of :class:`Kernels` for the kernels with means of ``act``
    (none if symhess has no kernels with means for it here).

    Polynomials: the shipped pair family ``poly_pair_deg{p}`` fed the Taylor coefficients of
    ``sigma`` at the biases, or for other degrees the same pair kernels at run time
    (:mod:`.means`); ``beta * erf(alpha * z)``: the closed form (:mod:`.erf_means`).
    """
    if act.is_polynomial:
        pair = next(
            (m for m in modules_in(shipped_dir()) if m.path.stem == f"poly_pair_deg{act.degree}"),
            None,
        )
        extra = polynomial_extra_means(act.coefficients)
        if pair is None:
            return {
                "means": polynomial_means(act.coefficients),
                "means_origin": PAIR_RUNTIME_ORIGIN,
                "means_extra": extra,
            }
        return {
            "means": polynomial_means(act.coefficients, pair.load().kernels),
            "means_origin": f"{pair.path} at the Taylor coefficients of sigma at the biases",
            "means_extra": extra,
        }
    found = match_erf(act)
    if found is not None:
        return {
            "means": erf_means(found, _parameter),
            "means_origin": ERF_MEANS_ORIGIN,
            "means_systems": ("float64", "mpmath"),
            "means_extra": erf_extra_means(found, _parameter),
        }
    return {}


RESOLVERS: list[Callable[[Activation], Kernels | None]] = [
    resolve_relu,
    resolve_closed_form,
    resolve_quadrature,
]
"""Providers for activations without a generated module, tried in order: each takes an
Activation and returns Kernels or None."""


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
                act,
                str(named.path),
                named.load().kernels,
                systems=module_systems(named),
                **_extras(named, act),
                **_means(act),
            )
    act = activation(spec)
    dirs = search_dirs(kernel_dirs)
    for folder in dirs:
        for module in modules_in(folder):
            if module.hash == act.hash:
                return Kernels(
                    act,
                    str(module.path),
                    module.load().kernels,
                    systems=module_systems(module),
                    **_extras(module, act),
                    **_means(act),
                )
    if act.is_polynomial:
        module, family = polynomial_module(act)
        coefficients = act.coefficients if family else None
        return Kernels(
            act,
            str(module.path),
            module.load().kernels,
            coefficients,
            **_extras(module, act, coefficients),
            **_means(act),
        )
    for resolver in RESOLVERS:
        found = resolver(act)
        if found is not None:
            return found
    raise SymhessError(f"no kernels known for activation {act.source!r}")
