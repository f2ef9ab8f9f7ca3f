"""Polynomials of any degree: kernels derived once into the cache folder, checked like shipped
modules, and Hessians equal to the independent expansion route."""

from __future__ import annotations

import warnings

import mpmath
import numpy as np
import pytest
from symhess.codegen import rendering

import symhess
from symhess.base import cache
from symhess.cli import main
from symhess.errors import SymhessWarning
from symhess.kernels import derived
from tests.oracles import hessian_by_expansion


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    """An empty cache folder and no modules remembered in memory."""
    monkeypatch.setenv(cache.ENV_VAR, str(tmp_path / "cache"))
    monkeypatch.setattr(derived, "_MEMORY", {})
    return tmp_path / "cache"


@pytest.fixture
def renders(monkeypatch):
    """Counts the modules rendered (= derivations)."""
    calls = []
    original = derived.render

    def counting(spec):
        calls.append(spec.name)
        return original(spec)

    monkeypatch.setattr(derived, "render", counting)
    return calls


def coefficients(text):
    return [float(c) for c in symhess.parse_activation(text).coefficients]


@pytest.mark.parametrize(
    "expr, d, h",
    [("z - z**3 + z**5 + z**11", 3, 2), ("z + z**2/2 - z**16/1000", 2, 2), ("z**16 + z", 2, 3)],
)
def test_high_degree_hessians_equal_the_expansion_route(expr, d, h):
    """Acceptance: degree 11 and 16, against H = J G J^T from expanded polynomials."""
    t = symhess.rational_teacher(d, h, seed=1)
    H = symhess.hessian(expr, t.W, t.v)
    ref = hessian_by_expansion(coefficients(expr), t.W, t.v)
    np.testing.assert_allclose(H, ref, rtol=0, atol=1e-12 * np.abs(ref).max())
    # exact and mpmath systems at the same degree: the float64 Hessian is the rounded exact one
    exact = symhess.hessian(expr, t.W, t.v, system="fmpq")
    as_float = np.vectorize(lambda x: int(x.p) / int(x.q), otypes=[float])(exact)
    np.testing.assert_allclose(H, as_float, rtol=0, atol=1e-13 * np.abs(ref).max())
    with mpmath.workdps(40):
        Hm = symhess.hessian(expr, t.W, t.v, system="mpmath")
        gap = max(
            abs(Hm[i, j] - mpmath.mpf(int(exact[i, j].p)) / int(exact[i, j].q))
            for i in range(H.shape[0])
            for j in range(H.shape[0])
        )
        assert gap < mpmath.mpf(10) ** -35 * float(np.abs(ref).max())


def test_derived_once_then_read_from_the_cache(fresh_cache, renders):
    t = symhess.sample_teacher(3, 2, seed=0)
    first = symhess.hessian("z + z**12", t.W, t.v)
    assert renders == ["act_" + symhess.parse_activation("z + z**12").hash]
    assert len(list(fresh_cache.glob("act_*.py"))) == 1
    derived._MEMORY.clear()  # as a new process would start
    second = symhess.hessian("z + z**12", t.W, t.v)
    assert len(renders) == 1 and np.array_equal(first, second)
    # the same activation written differently is the same module
    symhess.hessian("z**12 + 1*z", t.W, t.v)
    assert len(renders) == 1


def test_dense_high_degree_derives_the_family_and_every_polynomial_reuses_it(fresh_cache, renders):
    dense = " + ".join(f"z**{k}/{k}" for k in range(1, 10))  # degree 9, every coefficient
    t = symhess.rational_teacher(2, 2, seed=2)
    H = symhess.hessian(dense, t.W, t.v)
    assert renders == ["poly_deg9"] and (fresh_cache / "poly_deg9.py").is_file()
    np.testing.assert_allclose(
        H, hessian_by_expansion(coefficients(dense), t.W, t.v), rtol=0, atol=1e-12 * np.abs(H).max()
    )
    kern = symhess.resolve("z**9 - z")  # sparse, but the family is cached: no derivation
    assert len(renders) == 1 and kern.origin.endswith("poly_deg9.py")


def test_stale_cached_module_is_derived_again(fresh_cache, renders):
    symhess.resolve("z + z**10")
    (path,) = fresh_cache.glob("act_*.py")
    path.write_text(path.read_text().replace("return (", "return  (", 1))  # a hand edit
    derived._MEMORY.clear()
    with pytest.warns(SymhessWarning, match="edited after it was generated"):
        kern = symhess.resolve("z + z**10")
    assert len(renders) == 2 and "return  (" not in path.read_text()
    assert kern(1.0, 1.0, 0.5)[0] == pytest.approx(symhess.resolve("z + z**10")(1.0, 1.0, 0.5)[0])


def test_foreign_file_in_the_cache_is_never_replaced(fresh_cache):
    act = symhess.parse_activation("z + z**10")
    fresh_cache.mkdir()
    foreign = fresh_cache / f"act_{act.hash}.py"
    foreign.write_text("my notes\n")
    with pytest.warns(SymhessWarning, match="in memory only"):
        kern = symhess.resolve("z + z**10")
    assert foreign.read_text() == "my notes\n"
    assert "in memory" in kern.origin


def test_unwritable_cache_falls_back_to_memory_with_a_warning(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    monkeypatch.setenv(cache.ENV_VAR, str(blocker / "cache"))
    monkeypatch.setattr(derived, "_MEMORY", {})
    with pytest.warns(SymhessWarning, match="kept in memory only"):
        kern = symhess.resolve("z + z**14")
    t = symhess.rational_teacher(2, 2, seed=0)
    ref = hessian_by_expansion(coefficients("z + z**14"), t.W, t.v)
    np.testing.assert_allclose(
        symhess.hessian(kern, t.W, t.v), ref, rtol=0, atol=1e-12 * np.abs(ref).max()
    )
    # the command line says it in one line and carries on
    monkeypatch.setattr(derived, "_MEMORY", {})
    code = main(["eigs", "z + z**14", "--d", "3", "--h", "2", "--k", "2"])
    out, err = capsys.readouterr()
    assert code == 0 and err.count("\n") == 1 and err.startswith("symhess: warning: ")


def test_a_long_derivation_is_announced_with_its_estimate(fresh_cache, monkeypatch):
    monkeypatch.setattr(derived, "activation_seconds", lambda act: 600.0)
    monkeypatch.setattr(derived, "derivation_seconds", lambda degree: 900.0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        symhess.resolve("z + z**10")
    assert any("about 10 minutes (estimate)" in str(w.message) for w in caught)


def test_generate_any_degree(tmp_path, capsys):
    """Acceptance: symhess generate "z - z**3 + z**5 + z**11" --name t --out DIR."""
    code = main(["generate", "z - z**3 + z**5 + z**11", "--name", "t", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0, err and (tmp_path / "t.py").is_file()
    kern = symhess.resolve("t", kernel_dirs=[tmp_path])
    assert kern.origin == str(tmp_path / "t.py")
    assert "arb" not in kern.systems  # a generated polynomial module claims no balls
    code = main(["analyze", "t", "--kernels", str(tmp_path), "--d", "3", "--h", "2"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "exact          8" in out
    t = symhess.rational_teacher(3, 2, seed=3)
    np.testing.assert_allclose(
        symhess.hessian(kern, t.W, t.v),
        hessian_by_expansion([0, 1, 0, -1, 0, 1, 0, 0, 0, 0, 0, 1], t.W, t.v),
        rtol=0,
        atol=1e-12 * np.abs(symhess.hessian(kern, t.W, t.v)).max(),
    )


def test_family_command_line(tmp_path):
    from symhess.codegen.__main__ import main as codegen_main

    assert codegen_main(["--family", "9", "--out", str(tmp_path)]) == 0
    text = (tmp_path / "poly_deg9.py").read_text()
    assert "# Regenerate: python -m symhess.codegen --family 9" in text
    assert rendering.render(symhess.codegen.family_spec(9)) == text


def test_estimates_grow_with_degree_and_terms():
    from symhess.codegen import activation_seconds, derivation_seconds

    assert derivation_seconds(24) > 5 * derivation_seconds(16) > 25 * derivation_seconds(8)
    sparse, dense = (
        symhess.parse_activation(e)
        for e in ("z + z**16", "+".join(f"z**{k}" for k in range(1, 17)))
    )
    assert activation_seconds(sparse) < 0.02 * activation_seconds(dense)
