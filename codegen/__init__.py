"""symhess.codegen: turn derived kernels into reviewable numpy modules.

Installed as ``symhess.codegen`` (the folder ``codegen/`` at the top of the repository);
it is only needed to *make* kernel modules, never to evaluate them.

* :mod:`.printer` - a SymPy code printer that never emits a float literal;
* :mod:`.rendering` - one module's text: banner, inputs, one CSE pass, outputs;
* :mod:`.specs` - what is generated: the shipped families and user activations;
* :mod:`.write` - writing modules safely, and regenerating ``generated/``.

Regenerate the shipped modules with ``python -m symhess.codegen --update``.
"""

from .rendering import GENERATOR_VERSION, ModuleSpec, render
from .specs import (
    FAMILY_DEGREES,
    UPDATE_COMMAND,
    activation_seconds,
    activation_spec,
    derivation_seconds,
    family_command,
    family_name,
    family_spec,
    shipped_specs,
)
from .write import render_shipped, write_activation_module, write_shipped

__all__ = [
    "FAMILY_DEGREES",
    "GENERATOR_VERSION",
    "UPDATE_COMMAND",
    "ModuleSpec",
    "activation_seconds",
    "activation_spec",
    "derivation_seconds",
    "family_command",
    "family_name",
    "family_spec",
    "render",
    "render_shipped",
    "shipped_specs",
    "write_activation_module",
    "write_shipped",
]
