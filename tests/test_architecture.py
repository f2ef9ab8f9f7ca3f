"""The package's layers, checked from the source: data flows one way and nothing imports in a
circle - function-level imports included, so that no lazy import can hide an upward edge.

The layers, lowest first (a module may import its own layer's package and anything below):

    errors -> base, files -> teacher -> activation -> elementary -> symbolic -> generated
    -> codegen -> kernels -> curvature -> spectra, rmt -> rank, dynamics -> landscape, results
    -> report -> symhess (the public API) -> cli

(``generated`` holds codegen's output; its modules import only ``elementary``.)

Packages on one level (spectra and rmt; rank and dynamics; landscape and results) do not
import each other.
``landscape`` (gradient flow, critical points, wider students away from the optimum) sits
above rank and dynamics: it measures ranks at the minima of wider students with the rank
methods, and nothing below needs it (the loss, gradient and Hessian anywhere live in
``curvature.anywhere``, where dynamics uses them). ``results`` (sweeps into a results
database, engines, the atlas) runs rank computations point by point and stores them, on the
same level.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

LAYERS = {
    "symhess.errors": 0,
    "symhess.base": 1,
    "symhess.files": 1,
    "symhess.teacher": 2,
    "symhess.activation": 3,
    "symhess.elementary": 4,
    "symhess.symbolic": 5,
    "symhess.generated": 6,
    "symhess.codegen": 7,
    "symhess.kernels": 8,
    "symhess.curvature": 9,
    "symhess.spectra": 10,
    "symhess.rmt": 10,
    "symhess.rank": 11,
    "symhess.dynamics": 11,
    # landscape (gradient flow, critical points, wider students) and results (sweeps into the
    # results database) both use the analysis layers below and neither needs the other:
    # siblings, one level above rank and dynamics and below report, which formats both.
    "symhess.landscape": 12,
    "symhess.results": 12,
    "symhess.report": 13,
    "symhess": 14,
    "symhess.cli": 15,
}

# Where each installed package lives in the repository.
FOLDERS = {"symhess": ROOT / "symhess", "symhess.codegen": ROOT / "codegen"}
FOLDERS["symhess.generated"] = ROOT / "generated"


def package_sources() -> dict[str, str]:
    """Module name -> source text, for every module symhess installs."""
    out = {}
    for package, folder in FOLDERS.items():
        for path in sorted(folder.rglob("*.py")):
            parts = list(path.relative_to(folder).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            name = ".".join([package, *parts])
            if package == "symhess" and name.split(".")[1:2] in (["codegen"], ["generated"]):
                continue
            out[name] = path.read_text(encoding="utf-8")
    return out


def unit(module: str) -> str:
    """The layer entry a module belongs to: the longest prefix listed in LAYERS."""
    parts = module.split(".")
    for k in range(len(parts), 0, -1):
        prefix = ".".join(parts[:k])
        if prefix in LAYERS:
            return prefix
    raise KeyError(f"{module} is in no layer: add its package to LAYERS")


def imports(module: str, source: str, known: set[str]) -> set[str]:
    """Modules of symhess that ``module`` imports anywhere in its source (functions too)."""
    is_package = any(m.startswith(module + ".") for m in known)
    out = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[: len(base) - node.level + (1 if is_package else 0)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            # ``from package import module`` imports the module itself
            targets = [
                f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in known else stem
                for alias in node.names
            ]
        else:
            continue
        out |= {t for t in targets if t == "symhess" or t.startswith("symhess.")}
    return out


def violations(sources: dict[str, str]) -> list[str]:
    """Every upward or sideways import between layers, and every import circle."""
    known = set(sources)
    graph = {m: imports(m, s, known) for m, s in sources.items()}
    problems = []
    for module, targets in graph.items():
        here = unit(module)
        for target in sorted(targets):
            there = unit(target)
            if there == here:
                continue
            if LAYERS[there] > LAYERS[here]:
                problems.append(f"upward import: {module} imports {target}")
            elif LAYERS[there] == LAYERS[here]:
                problems.append(f"sideways import: {module} imports {target}")
    problems += [f"import circle: {' -> '.join(c)}" for c in circles(graph)]
    return problems


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected part of the module graph with more than one module."""
    index, low, stack, on, found = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            part = []
            while True:
                w = stack.pop()
                on.discard(w)
                part.append(w)
                if w == v:
                    break
            if len(part) > 1 or v in graph.get(v, ()):
                found.append(sorted(part))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_every_module_is_in_a_layer():
    for module in package_sources():
        unit(module)


def test_no_upward_import_and_no_circle():
    problems = violations(package_sources())
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "module, line, expected",
    [
        ("symhess.kernels.registry", "def f():\n    from ..report import rank\n", "upward"),
        ("symhess.spectra.summary", "from symhess.rank import theory\n", "upward"),
        ("symhess.rank.measure", "from ..dynamics import loss\n", "sideways"),
        ("symhess.activation.core", "import symhess.cli\n", "upward"),
    ],
)
def test_the_check_catches_an_upward_import(module, line, expected):
    sources = package_sources()
    sources[module] += "\n" + line
    problems = violations(sources)
    assert any(p.startswith(expected) and module in p for p in problems), problems


def test_the_check_catches_a_circle():
    sources = package_sources()
    sources["symhess.spectra.zeros"] += "\nfrom .summary import summarize\n"
    assert any(p.startswith("import circle") for p in violations(sources))


def test_top_level_is_a_handful_of_leaves():
    modules = sorted(p.stem for p in (ROOT / "symhess").glob("*.py"))
    assert modules == ["__init__", "elementary", "errors", "files", "teacher"]


def test_every_subpackage_says_what_its_room_is_for():
    for init in sorted((ROOT / "symhess").glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
        assert doc and len(doc) > 40, f"{init} has no docstring saying what it holds"


def test_no_public_name_shadows_a_submodule_or_the_standard_library():
    import sys

    import symhess

    submodules = {m.split(".")[1] for m in package_sources() if m.count(".") >= 1}
    assert not set(symhess.__all__) & (submodules - {"rmt"}), "a public name hides a submodule"
    assert symhess.rmt.__name__ == "symhess.rmt"
    stdlib = set(sys.stdlib_module_names)
    names = {m.rsplit(".", 1)[-1] for m in package_sources()}
    assert not names & stdlib, f"modules named after the standard library: {names & stdlib}"
    for package in {m.rsplit(".", 1)[0] for m in package_sources() if m.count(".") >= 2}:
        module = __import__(package, fromlist=["__all__"])
        for name in getattr(module, "__all__", ()):
            assert f"{package}.{name}" not in package_sources(), f"{package}.{name} is shadowed"


def test_no_reference_to_the_private_notes():
    for folder in FOLDERS.values():
        for path in folder.rglob("*.py"):
            assert "math.md" not in path.read_text(encoding="utf-8"), path


def test_one_home_for_the_blas_thread_policy():
    """threadpoolctl is used in symhess/base/threads.py only: every solver, pool and
    quadrature limits BLAS threads through it."""
    users = sorted(
        name
        for name, text in package_sources().items()
        if any(
            isinstance(node, (ast.Import, ast.ImportFrom))
            and any(
                (getattr(node, "module", None) or alias.name).split(".")[0] == "threadpoolctl"
                for alias in node.names
            )
            for node in ast.walk(ast.parse(text))
        )
    )
    assert users == ["symhess.base.threads"], users
