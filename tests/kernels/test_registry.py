"""Which kernel module an activation uses, and refusing stale ones."""

from __future__ import annotations

import numpy as np
import pytest

import symhess
from symhess import SymhessError, resolve
from symhess.cli import main


def test_polynomials_use_the_shipped_family():
    k = resolve("z + z**2/2")
    assert k.origin.endswith("poly_deg2.py")
    assert resolve("z**8").origin.endswith("poly_deg8.py")


def test_generated_module_found_by_hash_and_by_name(tmp_path, capsys):
    assert main(["generate", "(z+1)**3/6", "--name", "cubic", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "cubic.py" in out and "--kernels" in out
    # any spelling of the same activation finds the module
    k = resolve("z**3/6 + z**2/2 + z/2 + 1/6", [tmp_path])
    assert k.origin == str(tmp_path / "cubic.py")
    # by name, from the option or the environment variable
    assert resolve("cubic", [tmp_path]).origin == str(tmp_path / "cubic.py")
    t = symhess.sample_teacher(3, 2, seed=1)
    H_family = symhess.hessian("(z+1)**3/6", t.W, t.v)
    H_module = symhess.hessian("cubic", t.W, t.v, kernel_dirs=[tmp_path])
    np.testing.assert_allclose(H_module, H_family, rtol=1e-13, atol=1e-15)


def test_environment_variable(tmp_path, monkeypatch, capsys):
    main(["generate", "z**2 - 1", "--name", "quad", "--out", str(tmp_path)])
    capsys.readouterr()
    monkeypatch.setenv("SYMHESS_KERNELS", str(tmp_path))
    assert resolve("quad").origin == str(tmp_path / "quad.py")
    assert main(["analyze", "quad", "--d", "3", "--h", "2"]) == 0
    assert "quad.py" in capsys.readouterr().out


def _generate(tmp_path, expr="z + z**3", name="act"):
    assert main(["generate", expr, "--name", name, "--out", str(tmp_path)]) == 0
    return tmp_path / f"{name}.py"


def _replace_hash(text):
    old = next(line for line in text.splitlines() if line.startswith("# Hash: "))
    return text.replace(old, "# Hash: 0123456789abcdef")


@pytest.mark.parametrize(
    "edit, reason",
    [
        (lambda t: t.replace("generator version 1)", "generator version 0)"), "another version"),
        (lambda t: t.replace("    K00 = ", "    K00 = 2*", 1), "edited"),
        (_replace_hash, "hash does not match"),
    ],
)
def test_stale_modules_are_refused_with_the_command(tmp_path, capsys, edit, reason):
    path = _generate(tmp_path)
    capsys.readouterr()
    path.write_text(edit(path.read_text()))
    with pytest.raises(SymhessError, match=reason) as info:
        resolve("act", [tmp_path])
    assert "symhess generate 'z + z**3' --name act --force" in str(info.value)
    code = main(["analyze", "act", "--kernels", str(tmp_path)])
    assert code == 2 and reason in capsys.readouterr().err


def test_module_whose_source_no_longer_matches_is_stale(tmp_path):
    path = _generate(tmp_path)
    text = path.read_text()
    path.write_text(text.replace("# Source: z + z**3", "# Source: z + z**5"))
    with pytest.raises(SymhessError, match="stale"):
        resolve("act", [tmp_path])


def test_foreign_file_with_kernel_name(tmp_path):
    (tmp_path / "act.py").write_text("x = 1\n")
    with pytest.raises(SymhessError, match="not a symhess kernel module"):
        resolve("act", [tmp_path])


def test_unknown_name_is_a_grammar_error():
    with pytest.raises(SymhessError, match="unknown name 'nothing'"):
        resolve("nothing")
