"""Generated kernel modules: fresh, equal to the derivation, exact in every number system."""

from __future__ import annotations

import ast
import difflib
import importlib
from fractions import Fraction
from pathlib import Path

import flint
import mpmath
import numpy as np
import pytest
import symhess.generated
import sympy
from symhess.codegen import (
    FAMILY_DEGREES,
    UPDATE_COMMAND,
    activation_spec,
    render,
    render_shipped,
    write_activation_module,
    write_shipped,
)
from symhess.codegen.rendering import SYMPY_SERIES

from symhess import SymhessError
from symhess.activation import activation
from symhess.symbolic.moments import A, B, C
from symhess.symbolic.names import KERNEL_NAMES
from symhess.symbolic.polynomial import coefficient_symbols, isserlis_kernels

GENERATED = Path(symhess.generated.__file__).parent


def test_generated_folder_is_fresh(request):
    """Regenerate everything into memory: same file set, same bytes."""
    if not sympy.__version__.startswith(SYMPY_SERIES + "."):
        pytest.skip(
            f"generated/ was printed by SymPy {SYMPY_SERIES}.x, this is {sympy.__version__}: "
            "install the test extra to compare bytes"
        )
    expected = render_shipped()
    actual = {p.name: p.read_text(encoding="utf-8") for p in GENERATED.glob("*.py")}
    if expected == actual:
        return
    if request.config.getoption("--update-generated"):
        write_shipped(GENERATED)
        pytest.skip("generated/ was out of date and has been rewritten")
    report = []
    for name in sorted(set(expected) | set(actual)):
        if name not in actual:
            report.append(f"missing: generated/{name}")
        elif name not in expected:
            report.append(f"orphan (no generator makes it): generated/{name}")
        elif expected[name] != actual[name]:
            diff = difflib.unified_diff(
                actual[name].splitlines(),
                expected[name].splitlines(),
                f"generated/{name} (committed)",
                f"generated/{name} (regenerated)",
                lineterm="",
            )
            report.append("\n".join(list(diff)[:40]))
    pytest.fail(
        "generated/ is out of date:\n"
        + "\n".join(report)
        + f"\nUpdate with: {UPDATE_COMMAND}  (or pytest --update-generated)"
    )


def test_regenerating_gives_identical_bytes(tmp_path):
    act = activation("z - z**3/6 + 0.25")
    first = write_activation_module(act, "mine", tmp_path).read_bytes()
    second = write_activation_module(act, "mine", tmp_path).read_bytes()
    assert first == second
    # another spelling records its own source text but carries the same hash and code
    other = render(activation_spec(activation("[1/4, 1, 0, -1/6]"), "mine"))
    hash_line = next(line for line in other.splitlines() if line.startswith("# Hash: "))
    assert hash_line.encode() in first
    assert other.split("def kernels")[1].encode() == first.split(b"def kernels")[1]


def _family(p):
    return importlib.import_module(f"symhess.generated.poly_deg{p}")


def _random_inputs(rng, n=50):
    a = rng.uniform(0.1, 2.0, n)
    b = rng.uniform(0.1, 2.0, n)
    c = rng.uniform(-1, 1, n) * np.sqrt(a * b)
    return a, b, c


@pytest.mark.parametrize("p", FAMILY_DEGREES)
def test_family_equals_lambdified_derivation(p):
    rng = np.random.default_rng(p)
    s_syms = coefficient_symbols(p)
    K = isserlis_kernels(s_syms)
    oracle = sympy.lambdify((A, B, C, *s_syms), [K[n] for n in KERNEL_NAMES], modules="numpy")
    a, b, c = _random_inputs(rng)
    s = rng.normal(size=p + 1)
    got = _family(p).kernels(a, b, c, list(s))
    want = oracle(a, b, c, *s)
    for name, g, w in zip(KERNEL_NAMES, got, want, strict=True):
        w = np.broadcast_to(w, a.shape)
        scale = max(np.abs(w).max(), 1.0)
        assert np.abs(g - w).max() <= 1e-13 * scale, name


@pytest.mark.parametrize("p", FAMILY_DEGREES)
def test_family_exact_in_fractions_fmpq_and_mpmath(p):
    rng = np.random.default_rng(100 + p)
    coeffs = [
        Fraction(int(x), int(y))
        for x, y in zip(rng.integers(-9, 10, p + 1), rng.integers(1, 7, p + 1), strict=True)
    ]
    K = isserlis_kernels(coeffs)
    a, b, c = Fraction(7, 5), Fraction(3, 4), Fraction(-2, 9)
    exact = [sympy.Rational(K[n].subs({A: a, B: b, C: c})) for n in KERNEL_NAMES]
    mod = _family(p)
    got = mod.kernels(a, b, c, coeffs)
    assert all(isinstance(g, Fraction) for g in got)
    assert [sympy.Rational(g.numerator, g.denominator) for g in got] == exact
    q = lambda x: flint.fmpq(x.numerator, x.denominator)  # noqa: E731
    got_q = mod.kernels(q(a), q(b), q(c), [q(s) for s in coeffs])
    assert all(isinstance(g, flint.fmpq) for g in got_q)
    assert [sympy.Rational(int(g.p), int(g.q)) for g in got_q] == exact
    with mpmath.workdps(60):
        m = lambda x: mpmath.mpf(x.numerator) / x.denominator  # noqa: E731
        got_m = mod.kernels(m(a), m(b), m(c), [m(s) for s in coeffs])
        for g, e in zip(got_m, exact, strict=True):
            assert abs(g - mpmath.mpf(e.p) / e.q) <= mpmath.mpf(10) ** -55 * max(1, abs(g))


def test_activation_module_exact(tmp_path):
    act = activation("0.1 + z/3 - 2*z**2/7 + z**5/11")
    path = write_activation_module(act, "frac", tmp_path)
    spec = importlib.util.spec_from_file_location("frac_mod", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    K = isserlis_kernels(act.coefficients)
    a, b, c = Fraction(1, 3), Fraction(5, 2), Fraction(1, 7)
    got = mod.kernels(a, b, c)
    for name, g in zip(KERNEL_NAMES, got, strict=True):
        assert isinstance(g, Fraction)
        assert sympy.Rational(g.numerator, g.denominator) == K[name].subs({A: a, B: b, C: c})


def _float_literals(tree):
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            bad.append(node.value)
        # int / int is a float in Python: never allowed as a literal ratio
        if (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Div)
            and isinstance(node.left, ast.Constant)
        ):
            bad.append(ast.unparse(node))
    return bad


def test_no_float_literals_anywhere(tmp_path):
    paths = list(GENERATED.glob("poly_deg*.py"))
    paths.append(write_activation_module(activation("0.1*z + z**2/3 - 1/7"), "m", tmp_path))
    for path in paths:
        tree = ast.parse(path.read_text())
        assert _float_literals(tree) == [], path.name


@pytest.mark.parametrize("p", [1, 2, 8])
def test_outputs_broadcast_to_input_shape(p):
    mod = _family(p)
    h = 4
    a = np.arange(1.0, h + 1)[:, None]
    b = a.T
    c = np.full((h, h), 0.3)
    outs = mod.kernels(a, b, c, [1.0] * (p + 1))
    assert all(np.shape(o) == (h, h) for o in outs)  # zero and constant kernels included
    outs = mod.kernels(1.0, 2.0, 0.5, [1.0] * (p + 1))
    assert all(np.shape(o) == () for o in outs)


def test_shape_and_coefficient_checks():
    mod = _family(2)
    with pytest.raises(ValueError, match="do not broadcast"):
        mod.kernels(np.ones(3), np.ones(4), np.ones(3), [1, 1, 1])
    with pytest.raises(ValueError, match="expected 3 coefficients"):
        mod.kernels(1.0, 1.0, 0.5, [1, 1])


def test_banner_names_source_hash_and_command():
    text = (GENERATED / "poly_deg3.py").read_text()
    lines = text.splitlines()
    assert lines[0].startswith("# Generated by symhess.codegen") and "DO NOT EDIT" in lines[0]
    assert lines[2] == "# Canonical: poly-family(3)"
    assert any(line == f"# Regenerate: {UPDATE_COMMAND}" for line in lines[:7])
    assert "# Intermediate terms (" in text and "# Outputs" in text


@pytest.mark.parametrize("name", ["1abc", "my-act", "class", "poly_deg3", "_private", ""])
def test_generate_refuses_bad_names(name, tmp_path):
    with pytest.raises(SymhessError, match="name"):
        write_activation_module(activation("z**2"), name, tmp_path)


def test_generate_never_overwrites_foreign_files(tmp_path):
    target = tmp_path / "mine.py"
    target.write_text("print('my own code')\n")
    with pytest.raises(SymhessError, match="not generated by symhess"):
        write_activation_module(activation("z**2"), "mine", tmp_path)
    assert target.read_text() == "print('my own code')\n"
    target.unlink()
    write_activation_module(activation("z**2"), "mine", tmp_path)
    with pytest.raises(SymhessError, match="another activation"):
        write_activation_module(activation("z**3"), "mine", tmp_path)
    write_activation_module(activation("z**3"), "mine", tmp_path, force=True)
    assert "Source: z**3" in target.read_text()
    with pytest.raises(SymhessError, match="does not exist"):
        write_activation_module(activation("z"), "x", tmp_path / "missing")


# ----------------------------------------------------------------------------- closed forms
ERF_MODULES = ["erf", "erf_sqrt2", "erf_family"]


def _literal_ratios_and_floats(tree):
    """Float constants and ``int / int`` between two literals (closed forms divide by names)."""
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, float):
            bad.append(node.value)
        if (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Div)
            and isinstance(node.left, ast.Constant)
            and isinstance(node.right, ast.Constant)
        ):
            bad.append(ast.unparse(node))
    return bad


@pytest.mark.parametrize("name", ERF_MODULES)
def test_closed_form_modules_have_no_float_literals_and_no_math(name):
    text = (GENERATED / f"{name}.py").read_text()
    tree = ast.parse(text)
    assert _literal_ratios_and_floats(tree) == []
    imports = {
        alias.name if isinstance(node, ast.Import) else node.module
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in node.names
    }
    assert imports == {"numpy", "symhess.elementary"}
    # every function call in the body goes through the namespace (or numpy's shape checks)
    calls = {ast.unparse(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    assert {c for c in calls if not c.startswith(("_e.", "numpy.", "namespace"))} <= {
        "ValueError",
        "len",
    }


def test_closed_form_with_rational_parameter_prints_no_float(tmp_path):
    path = write_activation_module(activation("erf(z/sqrt(3))/7"), "third", tmp_path)
    text = path.read_text()
    assert "_e.rational(" in text
    assert _literal_ratios_and_floats(ast.parse(text)) == []


def _erf_module(name):
    return importlib.import_module(f"symhess.generated.{name}")


@pytest.mark.parametrize("name", ERF_MODULES)
def test_closed_form_modules_broadcast_in_both_systems(name):
    mod = _erf_module(name)
    extra = ([1.0, 1.0],) if mod.PARAMETERS else ()
    h = 3
    a = np.array([0.5, 1.0, 2.0])[:, None]
    c = np.full((h, h), 0.25)
    outs = mod.kernels(a, a.T, c, *extra)
    assert all(np.shape(o) == (h, h) and o.dtype == np.float64 for o in outs)
    assert all(np.shape(o) == () for o in mod.kernels(1.0, 2.0, 0.5, *extra))
    with mpmath.workdps(30):
        am = np.array([[mpmath.mpf(x)] for x in (0.5, 1.0, 2.0)], dtype=object)
        cm = np.full((h, h), mpmath.mpf(1) / 4, dtype=object)
        extra_m = ([mpmath.mpf(1), mpmath.mpf(1)],) if mod.PARAMETERS else ()
        outs_m = mod.kernels(am, am.T, cm, *extra_m)
        for o, f in zip(outs_m, outs, strict=True):
            assert o.shape == (h, h) and isinstance(o[0, 0], mpmath.mpf)
            np.testing.assert_allclose(o.astype(float), f, rtol=1e-14)
    with pytest.raises(ValueError, match="do not broadcast"):
        mod.kernels(np.ones(3), np.ones(4), np.ones(3), *extra)


def test_closed_form_refuses_exact_numbers_and_wrong_parameters():
    with pytest.raises(TypeError, match="not rational"):
        _erf_module("erf").kernels(Fraction(1), Fraction(1), Fraction(1, 2))
    with pytest.raises(ValueError, match="expected 2 parameters"):
        _erf_module("erf_family").kernels(1.0, 1.0, 0.5, [1.0])


def test_closed_form_printer():
    from symhess.codegen.printer import ClosedFormPrinter

    printer = ClosedFormPrinter()
    with pytest.raises(ValueError, match="no printer"):
        printer.doprint(A ** sympy.Rational(1, 3))
    with pytest.raises(ValueError, match="no printer"):
        printer.doprint(sympy.gamma(A))
    with pytest.raises(ValueError, match="float literal"):
        printer.doprint(A * sympy.Float(0.5))
    assert printer.doprint(A ** sympy.Rational(-3, 2)) == "_e.sqrt(a)**(-3)"
    assert printer.doprint(2 * sympy.pi * A / 3) == "(_e.rational(2, 3))*_e.pi*a"
    assert printer.doprint(sympy.asin(A)) == "_e.asin(a)"


@pytest.mark.parametrize("source", ["z + z**2/2 - z**5/7", "erf(2*z)"])
def test_extra_kernels_leave_the_six_kernels_code_unchanged(source):
    """``extra_kernels`` has its own common-subexpression pass: the function ``kernels`` is
    the same text with or without it, and the module lists what it adds."""
    import dataclasses

    spec = activation_spec(activation(source), "mine")
    with_extra = render(spec)
    without = render(dataclasses.replace(spec, extra_kernels={}))
    six = with_extra.split("def kernels")[1].split("def extra_kernels")[0]
    assert six.rstrip() == without.split("def kernels")[1].rstrip()
    assert "EXTRA_OUTPUTS = ('K40',)" in with_extra and "EXTRA_OUTPUTS" not in without


# ----------------------------------------------------------------------------- pair families
def _pair(p):
    return importlib.import_module(f"symhess.generated.poly_pair_deg{p}")


@pytest.mark.parametrize("p", FAMILY_DEGREES)
def test_pair_family_exact_and_equal_to_the_run_time_pair_kernels(p):
    # generated from the symbolic pair kernels (Isserlis); the run-time route sums the same
    # kernels over a moment table from Stein's recursion: both exact, so equal as rationals
    from symhess.kernels.means import pair_kernels
    from symhess.symbolic.means import pair_coefficient_symbols, pair_family_kernels
    from symhess.symbolic.names import MEAN_NAMES

    rng = np.random.default_rng(200 + p)

    def fractions(n):
        return [
            Fraction(int(x), int(y))
            for x, y in zip(rng.integers(-9, 10, n), rng.integers(1, 7, n), strict=True)
        ]

    s, t = fractions(p + 1), fractions(p + 1)
    a, b, c = Fraction(7, 5), Fraction(3, 4), Fraction(-2, 9)
    got = _pair(p).kernels(a, b, c, s, t)
    assert all(isinstance(g, Fraction) for g in got)
    assert list(got) == list(pair_kernels(a, b, c, s, t))
    if p <= 3:
        ss, ts = pair_coefficient_symbols(p)
        K = pair_family_kernels(p)
        subs = {A: a, B: b, C: c} | dict(zip(ss, s, strict=True)) | dict(zip(ts, t, strict=True))
        for name, g in zip(MEAN_NAMES, got, strict=True):
            assert sympy.Rational(g.numerator, g.denominator) == K[name].subs(subs), name
    q = lambda x: flint.fmpq(x.numerator, x.denominator)  # noqa: E731
    got_q = _pair(p).kernels(q(a), q(b), q(c), [q(x) for x in s], [q(x) for x in t])
    assert [Fraction(int(g.p), int(g.q)) for g in got_q] == list(got)
    with mpmath.workdps(60):
        m = lambda x: mpmath.mpf(x.numerator) / x.denominator  # noqa: E731
        got_m = _pair(p).kernels(m(a), m(b), m(c), [m(x) for x in s], [m(x) for x in t])
        for g, e in zip(got_m, got, strict=True):
            assert abs(g - m(e)) <= mpmath.mpf(10) ** -55 * max(1, abs(g))


@pytest.mark.parametrize("p", [1, 2, 8])
def test_pair_family_broadcasts_and_checks_its_inputs(p):
    mod = _pair(p)
    h = 4
    a = np.arange(1.0, h + 1)[:, None]
    c = np.full((h, h), 0.3)
    s = [np.arange(1.0, h + 1)[:, None]] * (p + 1)  # one list per row unit
    t = [np.arange(1.0, h + 1)[None, :]] * (p + 1)  # one per column unit
    assert all(np.shape(o) == (h, h) for o in mod.kernels(a, a.T, c, s, t))
    assert all(
        np.shape(o) == () for o in mod.kernels(1.0, 2.0, 0.5, [1.0] * (p + 1), [1.0] * (p + 1))
    )
    with pytest.raises(ValueError, match="two lists"):
        mod.kernels(1.0, 1.0, 0.5, [1.0] * p, [1.0] * (p + 1))
    tree = ast.parse((GENERATED / f"poly_pair_deg{p}.py").read_text())
    assert _float_literals(tree) == []


def test_pair_family_names_are_reserved(tmp_path):
    with pytest.raises(SymhessError, match="reserved"):
        write_activation_module(activation("z**2"), "poly_pair_deg2", tmp_path)
