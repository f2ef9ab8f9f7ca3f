"""Code printer for kernel modules: integer literals only, readable long sums."""

from __future__ import annotations

import sympy
from sympy.printing.pycode import PythonCodePrinter


class KernelPrinter(PythonCodePrinter):
    """Print polynomial kernels so that one module evaluates in every number system.

    A rational literal such as ``1/2`` would be a float in Python and silently ruin
    mpmath and exact evaluation, so rationals and floats are refused here: the generator
    scales each kernel to integer coefficients and divides by one integer at the end.
    """

    def _print_Rational(self, expr):
        if expr.q != 1:
            raise ValueError(f"non-integer literal {expr} reached the printer")
        return str(expr.p)

    def _print_Float(self, expr):
        raise ValueError(f"float literal {expr} reached the printer")

    def _print_Function(self, expr):
        raise ValueError(f"function {expr.func} has no printer in kernel modules")


def print_assignment(name: str, expr: sympy.Expr, printer: KernelPrinter, width: int = 96) -> str:
    """``name = expr`` at one indent level; long sums go one term per line."""
    line = f"    {name} = {printer.doprint(expr)}"
    if len(line) <= width or not isinstance(expr, sympy.Add):
        return line
    terms = sympy.Add.make_args(expr)
    # The printer's own order for the sum, so that the text is deterministic.
    ordered = printer._as_ordered_terms(expr, order=None)
    assert len(ordered) == len(terms)
    out = [f"    {name} = ("]
    for k, term in enumerate(ordered):
        text = printer.doprint(term)
        if k == 0:
            out.append(f"        {text}")
        elif text.startswith("-"):
            out.append(f"        - {text[1:]}")
        else:
            out.append(f"        + {text}")
    out.append("    )")
    return "\n".join(out)
