"""Render a kernel module's text from its spec: banner, inputs, intermediates, outputs.

The text depends only on the spec (no dates, hosts or paths), so regenerating gives the
same bytes; SymPy's printing (term order, common subexpressions) is the one outside
influence. The shipped modules were printed by SymPy :data:`SYMPY_SERIES`; the test extra
pins it so the freshness test can compare bytes, while users may run another SymPy (a module
they generate is checked against its own banner, never against a regeneration).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import reduce
from math import factorial, lcm

import sympy

from symhess.symbolic.moments import A, B, C, moment
from symhess.symbolic.names import KERNEL_NAMES, MEAN_NAMES, ORDERS

from . import banner
from .printer import ClosedFormPrinter, KernelPrinter, print_assignment

GENERATOR_VERSION = banner.GENERATOR_VERSION

SYMPY_SERIES = "1.14"
"""The SymPy minor version that printed the shipped modules in ``generated/``."""


@dataclass(frozen=True)
class ModuleSpec:
    """What one kernel module is generated from.

    Attributes
    ----------
    name : str
        Module name (the file is ``name + ".py"``).
    kind : str
        ``"family"`` (coefficients ``s`` given at run time), ``"activation"``, or ``"pair"``
        (the pair kernels of two polynomials, coefficient lists ``s`` and ``t`` at run time:
        the kernels with means, :mod:`symhess.symbolic.means`).
    source : str
        The activation as the user wrote it, or the family's description.
    canonical : str
        Spelling-independent form; its hash identifies the module.
    kernels : dict of str to sympy.Expr
        The six kernels in ``a, b, c`` (and ``s0..sp`` for a family; the ten of
        :data:`~symhess.symbolic.names.MEAN_NAMES` in ``s0..sp``, ``t0..tp`` for a pair
        family).
    degree : int or None
        For a family, the degree ``p`` (``p + 1`` coefficients).
    regenerate : str
        The command that regenerates this module.
    closed_form : bool
        ``True`` for kernels with elementary functions (erf: ``asin``, ``sqrt``, ``pi``),
        printed by :class:`~.printer.ClosedFormPrinter` for float64 and mpmath.
    parameters : tuple of str
        For a closed-form family, the run-time parameters (``("s0", "s1")``).
    sigma : str or None
        For a closed-form family, ``sigma(z)`` in its parameters, for the docstring.
    extra_kernels : dict of str to sympy.Expr
        Kernels beyond the six (e.g. ``K40``), in the order the module's second function
        ``extra_kernels`` returns them; its names are the module's ``EXTRA_OUTPUTS``. Printed
        by the same printer with their own common-subexpression pass, so the six kernels'
        code does not depend on them. Empty: no second function.
    """

    name: str
    kind: str
    source: str
    canonical: str
    kernels: dict[str, sympy.Expr]
    degree: int | None
    regenerate: str
    closed_form: bool = False
    parameters: tuple[str, ...] = ()
    sigma: str | None = None
    extra_kernels: dict[str, sympy.Expr] = field(default_factory=dict)

    @property
    def hash(self) -> str:
        return banner.short_hash(self.canonical)


def _integer_scaled(expr: sympy.Expr) -> tuple[sympy.Expr, int]:
    """``(N, Q)`` with ``expr == N / Q``, ``N`` with integer coefficients and ``Q >= 1``."""
    if not _expanded(expr):
        expr = sympy.expand(expr)
    coeffs = [t.as_coeff_Mul()[0] for t in sympy.Add.make_args(expr)]
    q = reduce(lcm, (int(sympy.Rational(x).q) for x in coeffs), 1)
    if q == 1:
        return expr, 1
    return sympy.expand(expr * q), q


def _expanded(expr: sympy.Expr) -> bool:
    """Whether ``expr`` is a sum of products of numbers and powers of symbols (what
    ``sympy.expand`` returns for a polynomial; expanding it again changes nothing)."""

    def monomial(t):
        factors = sympy.Mul.make_args(t)
        return all(
            f.is_Number or f.is_Symbol or (f.is_Pow and f.base.is_Symbol and f.exp.is_Integer)
            for f in factors
        )

    return all(monomial(t) for t in sympy.Add.make_args(expr))


def render(spec: ModuleSpec) -> str:
    """The full text of the module for ``spec``."""
    if spec.closed_form:
        return _render_closed_form(spec)
    if spec.kind == "pair":
        return _render_pair(spec)
    family = spec.kind == "family"
    params = tuple(f"s{k}" for k in range(spec.degree + 1)) if family else ()
    _check_symbols(spec, params)
    functions, ops = [], []
    for name, names in _functions(spec):
        scaled = [_integer_scaled(spec_kernel(spec, n)) for n in names]
        replacements, reduced, count = _cse([n for n, _ in scaled])
        ops.append(count)
        functions.append(
            _function(
                KernelPrinter(),
                replacements,
                reduced,
                name=name,
                names=names,
                input_types="array_like or number",
                params=params,
                params_doc=f"Coefficients ``s0 .. s{spec.degree}``" if family else "",
                count_error=f"{len(params)} coefficients s0..s{spec.degree}" if family else "",
                # Constant and partial kernels must still come out with the full shape.
                setup=["    _zero = 0 * (a + b + c)"],
                outputs=[
                    f"(_zero + {n})" + (f" / {q}" if q != 1 else "")
                    for n, (_, q) in zip(names, scaled, strict=True)
                ],
            )
        )
    doc = [
        '"""Gaussian kernels K00, K11, K20, K22, K31, K13 of '
        + ("a polynomial family." if family else "one activation."),
        "",
        "K_pq(a, b, c) = E[sigma^(p)(u) sigma^(q)(w)] with (u, w) ~ N(0, [[a, c], [c, b]]),",
        f"for sigma(z) = {_sigma_text(spec)}.",
        "",
        "Evaluates in float64 (numpy arrays, broadcast), mpmath numbers at any precision and",
        "exact rationals (fractions.Fraction, flint.fmpq): only integer literals appear below,",
        "and each kernel is one integer polynomial divided by one integer.",
        f"Operations: {ops[0]} (one common-subexpression pass over all six kernels).",
        *_extra_doc(spec, ops),
        '"""',
    ]
    return _module(spec, doc, [], [f"DEGREE = {spec.degree!r}"], functions)


def spec_kernel(spec: ModuleSpec, name: str) -> sympy.Expr:
    """Kernel ``name`` of ``spec``: one of the six or one of its extra kernels."""
    return spec.kernels[name] if name in KERNEL_NAMES else spec.extra_kernels[name]


def _functions(spec: ModuleSpec) -> list[tuple[str, tuple[str, ...]]]:
    """``(function name, kernel names)`` of each function the module defines."""
    out = [("kernels", KERNEL_NAMES)]
    if spec.extra_kernels:
        out.append(("extra_kernels", tuple(spec.extra_kernels)))
    return out


def _extra_doc(spec: ModuleSpec, ops: list[int]) -> list[str]:
    if not spec.extra_kernels:
        return []
    names = ", ".join(spec.extra_kernels)
    return [
        f"extra_kernels() returns {names}, for the Hessian away from the optimum;",
        f"operations: {ops[1]} (a pass of its own: the six kernels' code does not change).",
    ]


def _cse(exprs: list[sympy.Expr]):
    """One canonical common-subexpression pass: ``(replacements, reduced, operation count)``."""
    replacements, reduced = sympy.cse(
        exprs, symbols=sympy.numbered_symbols("_t"), order="canonical"
    )
    ops = sum(sympy.count_ops(e) for _, e in replacements) + sum(
        sympy.count_ops(e) for e in reduced
    )
    return replacements, reduced, ops


# The generated functions' first lines: the inputs must broadcast together (one message).
_BROADCAST_CHECK = (
    "    # Inputs",
    "    try:",
    "        numpy.broadcast_shapes(numpy.shape(a), numpy.shape(b), numpy.shape(c))",
    "    except ValueError:",
    "        raise ValueError(",
    '            f"a, b, c do not broadcast together: shapes {numpy.shape(a)}, "',
    '            f"{numpy.shape(b)}, {numpy.shape(c)}"',
    "        ) from None",
)


def _function(
    printer,
    replacements,
    reduced,
    *,
    name: str = "kernels",
    names: tuple[str, ...] = KERNEL_NAMES,
    input_types: str,
    params: tuple[str, ...],
    params_doc: str,
    count_error: str,
    setup: list[str],
    outputs: list[str],
) -> str:
    """The text of ``def <name>(...)``: docstring, input checks, intermediates, outputs."""
    returned = "(" + ", ".join(names) + ("," if len(names) == 1 else "") + ")"
    lines = [
        f"def {name}({'a, b, c, s' if params else 'a, b, c'}):",
        f'    """Return ``{returned}`` evaluated at ``(a, b, c)``.',
        "",
        "    Parameters",
        "    ----------",
        f"    a, b, c : {input_types}",
        "        ``Var(u)``, ``Var(w)``, ``Cov(u, w)``; numpy arrays must broadcast together.",
    ]
    if params:
        lines.append(f"    s : sequence of {len(params)} numbers")
        lines.append(f"        {params_doc} in the number system of ``a, b, c``.")
    lines += [
        "",
        "    Returns",
        "    -------",
        f"    tuple of {len(names)}",
        "        Every kernel broadcast to the common shape of ``a, b, c``.",
        '    """',
        *_BROADCAST_CHECK,
    ]
    if params:
        lines.append(f"    if len(s) != {len(params)}:")
        lines.append(f'        raise ValueError(f"expected {count_error}, got {{len(s)}}")')
        lines.append(f"    {', '.join(params)}{',' if len(params) == 1 else ''} = s")
    lines += setup
    lines.append("")
    lines.append(f"    # Intermediate terms ({len(replacements)})")
    for sym, expr in replacements:
        lines.append(print_assignment(str(sym), expr, printer))
    lines.append("")
    lines.append("    # Outputs")
    for kernel, expr in zip(names, reduced, strict=True):
        lines.append(print_assignment(kernel, expr, printer))
    lines.append("    return (")
    lines += [f"        {out}," for out in outputs]
    lines.append("    )")
    return "\n".join(lines) + "\n"


def _module(
    spec: ModuleSpec, doc: list[str], imports: list[str], fields: list[str], functions: list[str]
) -> str:
    """Banner, module docstring, imports and constants, then the functions."""
    header = [
        "import numpy",
        "",
        *imports,
        f"GENERATOR_VERSION = {GENERATOR_VERSION}",
        f"KIND = {spec.kind!r}",
        f"SOURCE = {spec.source!r}",
        f"CANONICAL = {spec.canonical!r}",
        f"HASH = {spec.hash!r}",
        *fields,
        f"OUTPUTS = {MEAN_NAMES if spec.kind == 'pair' else KERNEL_NAMES!r}",
    ]
    if spec.extra_kernels:
        header.append(f"EXTRA_OUTPUTS = {tuple(spec.extra_kernels)!r}")
    body = "\n".join(doc) + "\n\n" + "\n".join(header) + "\n\n\n" + "\n\n".join(functions)
    banner_fields = {
        "Source": spec.source,
        "Canonical": spec.canonical,
        "Hash": spec.hash,
        "Regenerate": spec.regenerate,
    }
    return banner.make(banner_fields, body)


def _sigma_text(spec: ModuleSpec) -> str:
    if spec.kind == "family":
        terms = ["s0", "s1*z"] + [f"s{k}*z**{k}" for k in range(2, spec.degree + 1)]
        return " + ".join(terms)
    return spec.source


def _check_symbols(spec: ModuleSpec, allowed) -> None:
    """Refuse kernels with symbols other than ``a, b, c`` and the module's parameters."""
    exprs = [*spec.kernels.values(), *spec.extra_kernels.values()]
    free = {str(s) for e in exprs for s in e.free_symbols}
    stray = sorted(free - {str(A), str(B), str(C)} - set(allowed))
    if stray:
        raise ValueError(f"kernels of {spec.name!r} contain unexpected symbols {stray}")


_CLOSED_FORM_SYSTEMS = ("float64", "mpmath", "arb")


def _render_closed_form(spec: ModuleSpec) -> str:
    """A closed-form module: the same layout, functions through the ``_e`` namespace."""
    params = spec.parameters
    _check_symbols(spec, params)
    functions, ops = [], []
    for name, names in _functions(spec):
        replacements, reduced, count = _cse([spec_kernel(spec, n) for n in names])
        ops.append(count)
        functions.append(
            _function(
                ClosedFormPrinter(),
                replacements,
                reduced,
                name=name,
                names=names,
                input_types="array_like, float, mpmath.mpf, flint.arb or object array of either",
                params=params,
                params_doc=f"Parameters ``{', '.join(params)}``",
                count_error=f"{len(params)} parameters {', '.join(params)}",
                setup=[
                    "    # numpy for float64 inputs, mpmath (current precision) for mpmath numbers",
                    "    _e = namespace(a, b, c)",
                    "    _zero = 0 * (a + b + c)",
                ],
                outputs=[f"_zero + {n}" for n in names],
            )
        )

    what = "a closed-form family." if params else "one activation (closed form)."
    doc = [
        '"""Gaussian kernels K00, K11, K20, K22, K31, K13 of ' + what,
        "",
        "K_pq(a, b, c) = E[sigma^(p)(u) sigma^(q)(w)] with (u, w) ~ N(0, [[a, c], [c, b]]),",
        f"for sigma(z) = {spec.sigma or spec.source}.",
        "",
        "Evaluates in float64 (numpy arrays, broadcast), in mpmath numbers (or numpy object",
        "arrays of them) at the current mpmath.mp.dps and in python-flint arb balls (rigorous",
        "enclosures, for certificates): functions, pi and non-integer rationals come from the",
        "namespace symhess.elementary.namespace picks from the inputs, so no float literal",
        "appears below. Exact rationals are not supported (the kernels are not rational",
        "functions).",
        f"Operations: {ops[0]} (one common-subexpression pass over all six kernels).",
        *_extra_doc(spec, ops),
        '"""',
    ]
    imports = ["from symhess.elementary import namespace", ""]
    fields = [f"PARAMETERS = {params!r}", f"SYSTEMS = {_CLOSED_FORM_SYSTEMS!r}"]
    return _module(spec, doc, imports, fields, functions)


def _power_sum(coef: str, var: str, degree: int) -> str:
    """``s0 + s1*u + s2*u**2``: a polynomial with symbolic coefficients, as text."""
    terms = [f"{coef}0", f"{coef}1*{var}"]
    if degree >= 3:
        terms.append("...")
    if degree >= 2:
        terms.append(f"{coef}{degree}*{var}**{degree}")
    return " + ".join(terms)


def _render_pair(spec: ModuleSpec) -> str:
    """A pair family: ``kernels(a, b, c, s, t)`` returning the ten pair kernels
    ``E[S^(p)(u) T^(q)(w)]`` (:data:`~symhess.symbolic.names.MEAN_NAMES`), integer literals
    only.

    The kernels are bilinear in ``s`` and ``t``: ``K_pq = sum_{r,k} (p+r)!/r! (q+k)!/k!
    s_(p+r) t_(q+k) E[u^r w^k]``. The module computes the moments ``E[u^r w^k]`` once, by
    Stein's recursion (two operations each), and each kernel as that sum. A
    common-subexpression pass over the kernels themselves would mix ``s`` and ``t`` into its
    intermediates, each an ``h x h`` array when ``s`` and ``t`` vary along rows and columns:
    at degree 8, h = 300, that rendering took 0.135 s and 262 MiB peak against 0.092 s and
    42 MiB for this one (measured once when the rendering changed, shared 2-core machine;
    benchmarks/bench_bias.py measures the shipped families against the bias-free ones).
    """
    p = spec.degree
    s = tuple(f"s{k}" for k in range(p + 1))
    t = tuple(f"t{k}" for k in range(p + 1))
    _check_symbols(spec, s + t)
    S = sympy.symbols(s, real=True)
    T = sympy.symbols(t, real=True)
    # every moment E[u^r w^k], r, k <= p, r + k even, by Stein's recursion (integers only):
    # E[u^r w^k] = (r-1) a E[u^(r-2) w^k] + k c E[u^(r-1) w^(k-1)], E[w^k] = (k-1) b E[w^(k-2)]
    needed = [(r, k) for r in range(p + 1) for k in range(p + 1) if (r + k) % 2 == 0]
    M = {rk: sympy.Symbol(f"_m{rk[0]}_{rk[1]}") for rk in needed}
    recursion = {}
    for r, k in needed:
        if r == 0:
            recursion[(r, k)] = sympy.Integer(1) if k == 0 else (k - 1) * B * M[(0, k - 2)]
        else:
            first = (r - 1) * A * M[(r - 2, k)] if r >= 2 else sympy.Integer(0)
            recursion[(r, k)] = first + (k * C * M[(r - 1, k - 1)] if k >= 1 else 0)
    ops = sum(sympy.count_ops(e) for e in recursion.values())
    kernels = {}
    for name in MEAN_NAMES:
        pp, qq = ORDERS[name]
        kernels[name] = sympy.Add(
            *[
                (factorial(pp + r) // factorial(r))
                * (factorial(qq + k) // factorial(k))
                * S[pp + r]
                * T[qq + k]
                * M[(r, k)]
                for r in range(p - pp + 1)
                for k in range(p - qq + 1)
                if (r + k) % 2 == 0
            ]
        )
        ops += sympy.count_ops(kernels[name])
    # the recursion gives Isserlis' moments, and the kernels the symbolic pair kernels the
    # spec was made from
    values = {}
    for rk in needed:
        values[M[rk]] = sympy.expand(recursion[rk].subs(values))
        if values[M[rk]] != sympy.expand(moment(*rk)):
            raise ValueError(f"moment {rk} of {spec.name!r}: the recursion disagrees with Isserlis")
    for name, expr in kernels.items():
        if sympy.expand(expr.subs(values) - spec.kernels[name]) != 0:
            raise ValueError(f"pair kernel {name} of {spec.name!r} does not match its spec")
    printer = KernelPrinter()
    returned = ", ".join(MEAN_NAMES)
    lines = [
        "def kernels(a, b, c, s, t):",
        f'    """Return ``({returned})`` at ``(a, b, c)``.',
        "",
        "    Parameters",
        "    ----------",
        "    a, b, c : array_like or number",
        "        ``Var(u)``, ``Var(w)``, ``Cov(u, w)``; numpy arrays must broadcast together.",
        f"    s, t : sequences of {p + 1} numbers or arrays",
        f"        Coefficients ``s0 .. s{p}`` of ``S`` and ``t0 .. t{p}`` of ``T``, lowest degree",
        "        first, in the number system of ``a, b, c``; arrays broadcast with them (one",
        "        list per row unit, ``(h, 1)``, and per column unit, ``(1, h)``).",
        "",
        "    Returns",
        "    -------",
        f"    tuple of {len(MEAN_NAMES)}",
        "        Every kernel broadcast to the common shape of ``a, b, c``, ``s`` and ``t``.",
        '    """',
        *_BROADCAST_CHECK,
        f"    if len(s) != {p + 1} or len(t) != {p + 1}:",
        f'        raise ValueError(f"expected two lists of {p + 1} coefficients, '
        'got {len(s)} and {len(t)}")',
        f"    {', '.join(s)}{',' if p == 0 else ''} = s",
        f"    {', '.join(t)}{',' if p == 0 else ''} = t",
        "    # Zero and partial kernels must still come out with the full shape.",
        "    _zero = 0 * (a + b + c) + 0 * (s0 + t0)",
        "",
        f"    # Moments E[u^r w^k] by Stein's recursion ({len(needed)})",
    ]
    for rk in needed:
        lines.append(print_assignment(str(M[rk]), recursion[rk], printer))
    lines.append("")
    lines.append("    # Outputs")
    for name in MEAN_NAMES:
        lines.append(print_assignment(name, kernels[name], printer))
    lines.append("    return (")
    for name in MEAN_NAMES:
        lines.append(f"        _zero + {name},")
    lines.append("    )")
    function = "\n".join(lines) + "\n"
    doc = [
        f'"""Pair kernels of two polynomials of degree {p}: the kernels with means (biases).',
        "",
        "K_pq = E[S^(p)(u) T^(q)(w)] with (u, w) ~ N(0, [[a, c], [c, b]]) for",
        f"S(u) = {_power_sum('s', 'u', p)} and T(w) = {_power_sum('t', 'w', p)}.",
        "With s and t the Taylor coefficients of sigma at the means m1 and m2",
        "(t_j(m) = sigma^(j)(m) / j!) they are the kernels with means",
        "K_pq(a, b, c, m1, m2) = E[sigma^(p)(m1 + u) sigma^(q)(m2 + w)] of a network with",
        "biases (symhess.kernels.means); with s = t = the coefficients of sigma the first",
        "six are the bias-free kernels.",
        "",
        "Evaluates in float64 (numpy arrays, broadcast), mpmath numbers at any precision and",
        "exact rationals (fractions.Fraction, flint.fmpq): only integer literals appear below.",
        f"Operations: {ops} (the moments E[u^r w^k] by Stein's recursion, then each kernel as a",
        "sum over them).",
        '"""',
    ]
    return _module(spec, doc, [], [f"DEGREE = {p!r}"], [function])
