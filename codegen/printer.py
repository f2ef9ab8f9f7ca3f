"""Code printer for kernel modules: integer literals only, readable long sums."""

from __future__ import annotations

import sympy
from sympy.printing.pycode import PythonCodePrinter

from symhess.activation.functions import PRIMITIVES
from symhess.symbolic.erf import gram


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


class ClosedFormPrinter(KernelPrinter):
    """Print closed-form kernels (``asin``, ``sqrt``, ``pi``, rationals) for two systems.

    Every function, ``pi`` and every non-integer rational goes through the namespace ``_e``
    that the module picks from its inputs (:func:`symhess.elementary.namespace`): numpy in
    float64, mpmath at the current precision for mpmath numbers. So no float literal appears,
    and ``pi`` or ``1/3`` are never rounded to float64 before an mpmath evaluation.
    """

    def _print(self, expr, **kwargs):
        # SymPy's Python printer knows math.gamma, math.e, ...: allow only the namespace's.
        if isinstance(expr, gram):
            a, b, c = (self._print(x) for x in expr.args)
            return f"({a}*{b} - {c}**2)"
        if isinstance(expr, sympy.Function) and type(expr) not in _NAMESPACE_FUNCTIONS:
            raise ValueError(f"function {expr.func} has no printer in kernel modules")
        if isinstance(expr, sympy.NumberSymbol) and expr is not sympy.pi or expr in _NOT_FINITE:
            raise ValueError(f"constant {expr} has no printer in kernel modules")
        return super()._print(expr, **kwargs)

    def _print_Rational(self, expr):
        if expr.q == 1:
            return str(expr.p)
        return f"_e.rational({expr.p}, {expr.q})"

    def _print_Pi(self, expr):
        return "_e.pi"

    def _print_Pow(self, expr, rational=False):
        base, exp = expr.as_base_exp()
        if exp.is_Rational and exp.q == 2:
            root = f"_e.sqrt({self._print(base)})"
            if exp.p == 1:
                return root
            return f"{root}**{exp.p}" if exp.p > 0 else f"{root}**({exp.p})"
        if exp.is_Integer:
            return super()._print_Pow(expr, rational=rational)
        raise ValueError(f"power {expr} has no printer in kernel modules")

    def _print_Function(self, expr):
        raise ValueError(f"function {expr.func} has no printer in kernel modules")


def _namespace_call(name: str):
    def print_call(self, expr):
        return f"_e.{name}({', '.join(self._print(a) for a in expr.args)})"

    return print_call


# SymPy's Python printer maps these through its own table (math.asin, ...); route them
# through the namespace instead: the primitives of the function table (sqrt is a power).
_NOT_FINITE = (sympy.oo, -sympy.oo, sympy.zoo, sympy.nan)
_NAMESPACE_FUNCTIONS = tuple(p.sympy_class for p in PRIMITIVES.values() if p.sympy_class)
for _name, _primitive in PRIMITIVES.items():
    if _primitive.sympy_class is not None:
        setattr(
            ClosedFormPrinter, f"_print_{_primitive.sympy_class.__name__}", _namespace_call(_name)
        )
