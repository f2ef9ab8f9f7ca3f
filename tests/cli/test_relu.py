"""Every command accepts the ReLU family with its defaults (exit 0), and its bad input is one
line with exit status 2."""

from __future__ import annotations

import re

import numpy as np
import pytest

from symhess.cli import main


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_analyze_with_defaults(capsys):
    code, out, err = run(["analyze", "relu(z)"], capsys)
    assert code == 0, err
    assert "closed form of the ReLU family" in out
    assert "K11 = (pi - acos(c/sqrt(a*b)))/(2*pi)" in out
    assert "rank (float64)         24" in out and "certified     24" in out
    assert "rescaling     24  exact  holds" in out


def test_analyze_at_the_arjevani_field_teacher(capsys, tmp_path):
    path = tmp_path / "af.npz"
    np.savez(path, W=np.eye(6), v=np.ones(6))
    code, out, err = run(["analyze", "leaky_relu(z, 0.1)", "--teacher", str(path)], capsys)
    assert code == 0, err
    assert "closed form at W = I, v = 1 (Arjevani-Field" in out
    deviation = float(out.split("largest deviation of the dense eigenvalues: ")[1].split()[0])
    assert deviation < 1e-13


@pytest.mark.parametrize(
    "argv",
    [
        ["rank", "relu(z)", "--d", "3", "--h", "3"],
        ["rank", "abs(z)", "--d", "2", "--h", "3", "--method", "exact"],
        ["sweep", "relu(z)", "--d", "1:3", "--h", "1:2", "--jobs", "1"],
        ["spectrum", "relu(z)", "--d", "4", "--h", "3", "--teachers", "5"],
        ["eigs", "leaky_relu(z, 0.2)", "--d", "5", "--h", "4"],
        ["density", "abs(z)", "--d", "5", "--h", "4", "--probes", "4", "--steps", "10"],
        ["dynamics", "relu(z)", "--d", "3", "--h", "2", "--steps", "200"],
        ["kernels", "leaky_relu(z, 0.1)"],
    ],
)
def test_commands_accept_relu(argv, capsys):
    code, out, err = run(argv, capsys)
    assert code == 0, err


def test_analyze_and_rank_of_a_quadrature_activation(capsys):
    # tanh's kernels are integrated in arb for the mpmath method (they were float64 only, and
    # the method was skipped): analyze and rank --method all run it
    code, out, err = run(["analyze", "tanh(z)", "--d", "3", "--h", "2"], capsys)
    assert code == 0, err
    assert "\n  mpmath " in out and "skipped: exact (not a polynomial activation)" in out
    code, out, err = run(["rank", "tanh(z)", "--d", "2", "--h", "2"], capsys)
    assert code == 0, err
    assert "float64" in out and "\n  mpmath " in out


def test_sweep_default_method_is_routed_to_certified(capsys):
    code, out, err = run(["sweep", "relu(z)", "--d", "2", "--h", "1:2", "--jobs", "1"], capsys)
    assert code == 0, err
    assert "method certified" in out and "routed to the certified method" in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["analyze", "relu(z)*tanh(z)"], "not of the form alpha\\*z \\+ beta\\*relu\\(z\\)"),
        (["analyze", "relu(z + 1)"], "no bias inside"),
        (["rank", "tanh(z)", "--d", "2", "--h", "2", "--method", "certified"], "ball arithmetic"),
        (["rank", "relu(z)", "--d", "2", "--h", "2", "--prec", "9000"], "--prec must be"),
        (["quadrature", "relu(z)"], "closed forms"),
        (["generate", "abs(z)", "--name", "a"], "ReLU family .*nothing to generate"),
        (["hessian", "relu(z)", "--teacher", "ZERO", "--out", "h.npy"], "zero weight vector"),
    ],
)
def test_bad_input_is_one_line(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if "ZERO" in argv:
        np.savez(tmp_path / "zero.npz", W=np.array([[1.0, 0.0], [0.0, 0.0]]), v=np.ones(2))
        argv = [a.replace("ZERO", "zero.npz") for a in argv]
    code, out, err = run(argv, capsys)
    assert code == 2
    assert err.startswith("symhess: error:") and err.count("\n") == 1
    assert re.search(message, err), err
