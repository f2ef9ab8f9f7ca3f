"""The commands of smooth activations: defaults that finish, errors that travel, refusals."""

from __future__ import annotations

import re

import numpy as np
import pytest

from symhess.cli import main


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def one_line(code, err, *fragments):
    assert code == 2 and err.startswith("symhess: error: ") and err.count("\n") == 1, err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


@pytest.mark.parametrize("expr", ["tanh(z)", "sin(z)", "gelu(z)", "sigmoid(z)", "z + 0.1*tanh(z)"])
def test_analyze_with_defaults(expr, capsys):
    """It exited 2 on the mpmath rank (quadrature was float64 only)."""
    code, out, err = run(["analyze", expr], capsys)
    assert code == 0, err
    assert "error bound            ||H - H_true||_2 <=" in out and "kernel routes" in out
    assert "positive semi-definite yes" in out
    mpmath_line = next(line for line in out.splitlines() if line.startswith("  mpmath"))
    assert "28 eigenvalues above the noise reach the proven bound 28: decided" in mpmath_line


def test_rank_and_sweep_with_every_method(capsys):
    code, out, err = run(["rank", "tanh(z)", "--d", "3", "--h", "2", "--method", "all"], capsys)
    assert code == 0, err
    assert "no exact rank: the activation is not a polynomial" in out
    assert "float64" in out and re.search(r"\n  mpmath +8 ", out) and "the methods agree" in out
    code, out, err = run(["sweep", "tanh(z)", "--d", "1:2", "--h", "1", "--jobs", "1"], capsys)
    assert code == 0, err
    assert "method float, mpmath" in out  # the default for a non-polynomial: all that apply


def test_tolerance_option(capsys):
    code, out, err = run(["analyze", "tanh(z)", "--d", "2", "--h", "2", "--tol", "1e-8"], capsys)
    assert code == 0, err
    assert "tolerance 1e-08" in out
    code, _, err = run(["analyze", "z + z**2", "--tol", "1e-8"], capsys)
    one_line(code, err, "--tol sets the quadrature tolerance", "exact up to rounding")
    code, _, err = run(["rank", "tanh(z)", "--d", "2", "--h", "2", "--tol", "1e-14"], capsys)
    one_line(code, err, "tolerance must be in [1e-13, 1)")


def test_hessian_command_states_its_error(tmp_path, capsys):
    out_path = tmp_path / "H.npy"
    code, out, err = run(
        ["hessian", "tanh(z)", "--d", "3", "--h", "2", "--out", str(out_path)], capsys
    )
    assert code == 0, err
    assert "||H - H_true||_2 <=" in out and np.load(out_path).shape == (8, 8)


def test_a_hessian_without_a_correct_digit_is_refused(capsys):
    """erf(1e10*z) printed lambda_min = -4.3e13 with exit 0: float64 keeps no digit of it."""
    code, _, err = run(["analyze", "erf(1e10*z)"], capsys)
    one_line(code, err, "keeps no correct digit")


def test_a_violation_of_semi_definiteness_is_flagged(monkeypatch, capsys):
    """Should a computed Hessian ever be indefinite beyond its stated error, analyze says so
    and exits 1 (simulated: the kernels' estimates are made to lie)."""
    import symhess.report.analyze as report

    real = report.hessian

    def lying(*args, **kwargs):
        H, err = real(*args, **kwargs)
        H = H.copy()
        H[0, 0] -= 10.0  # far beyond the bound
        return H, err

    monkeypatch.setattr(report, "hessian", lying)
    code, out, _ = run(["analyze", "tanh(z)", "--d", "2", "--h", "2"], capsys)
    assert code == 1
    assert "positive semi-definite VIOLATED" in out and "do not trust" in out


def test_dynamics_prints_its_kernel_route(capsys):
    code, out, err = run(["dynamics", "tanh(z)", "--d", "2", "--h", "2", "--steps", "200"], capsys)
    assert code == 0, err
    assert "kernels      one Mehler rule for every entry" in out and "each entry to 1e-12" in out
