"""The symhess command: the main job, its outputs, and one-line errors with status 2."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import symhess
from symhess.cli import main


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_analyze_default(capsys):
    code, out, err = run(["analyze"], capsys)
    assert code == 0, err
    assert "sigma(z) = z**2/2 + z" in out
    assert "P = h*d + h = 28" in out
    assert "K00 = a*b/4 + c**2/2 + c" in out
    # z + z^2/2 at d = 6, h = 4: eq. (14) gives h(d+1) - h(h-1)/2 = 22
    assert "rank (float64)         22" in out


def test_kernels_command(capsys):
    code, out, _ = run(["kernels", "z**2"], capsys)
    assert code == 0
    assert "K00 = a*b + 2*c**2" in out
    code, out, _ = run(["kernels", "z**2", "--latex"], capsys)
    assert "K_{00} = a b + 2 c^{2}" in out


def test_hessian_file_equals_python_call(tmp_path, capsys):
    teacher = tmp_path / "t.npz"
    out = tmp_path / "H.npy"
    assert (
        run(["teacher", "--d", "4", "--h", "3", "--seed", "5", "--out", str(teacher)], capsys)[0]
        == 0
    )
    code, _, err = run(
        ["hessian", "z + z**3/3", "--teacher", str(teacher), "--out", str(out)], capsys
    )
    assert code == 0, err
    t = symhess.load_teacher(teacher)
    assert np.array_equal(np.load(out), symhess.hessian("z + z**3/3", t.W, t.v))
    # Random teachers by seed are the same as sample_teacher's
    out2 = tmp_path / "H2.npy"
    assert (
        run(["hessian", "z", "--d", "3", "--h", "2", "--seed", "4", "--out", str(out2)], capsys)[0]
        == 0
    )
    t = symhess.sample_teacher(3, 2, seed=4)
    assert np.array_equal(np.load(out2), symhess.hessian("z", t.W, t.v))


def test_hessian_refuses_to_overwrite(tmp_path, capsys):
    out = tmp_path / "H.npy"
    out.write_bytes(b"precious")
    code, _, err = run(["hessian", "z", "--d", "2", "--h", "2", "--out", str(out)], capsys)
    assert code == 2 and "--force" in err
    assert out.read_bytes() == b"precious"
    code, _, _ = run(["hessian", "z", "--d", "2", "--h", "2", "--out", str(out), "--force"], capsys)
    assert code == 0 and np.load(out).shape == (6, 6)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["kernels", ""], "empty activation"),
        (["kernels", "z**"], "operand"),
        (["kernels", "y + 1"], "unknown name 'y'"),
        (["kernels", "z**-1"], "negative power"),
        (["kernels", "z**0.5"], "not an integer"),
        (["kernels", "1/z"], "division by an expression in z"),
        (["kernels", "__import__('os')"], "unexpected character"),
        (["kernels", "z**41"], "maximum degree"),
        (["analyze", "--d", "0"], "--d must be a positive integer"),
        (["analyze", "--h", "-1"], "--h must be a positive integer"),
        (["analyze", "--d", "two"], "--d must be a positive integer"),
        (["analyze", "--teacher", "missing.npz"], "does not exist"),
        (["hessian", "z", "--out", "x.npy"], "give the sizes"),
        (["analyze", "--kernels", "/no/such/dir"], "does not exist"),
        (["frobnicate"], "invalid choice"),
        (["hessian", "z", "--d", "1000", "--h", "1000", "--out", "H.npy"], "GiB"),
    ],
)
def test_bad_input_is_one_line_and_status_2(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(argv, capsys)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("symhess: error: ")
    assert message in err


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"W": np.ones((2, 3))}, "no array v"),
        ({"W": np.ones((2, 3)), "v": np.ones(4)}, "2 rows"),
        ({"W": np.array([[np.inf]]), "v": np.ones(1)}, "NaN or infinite"),
    ],
)
def test_bad_teacher_file(arrays, message, tmp_path, capsys):
    path = tmp_path / "t.npz"
    np.savez(path, **arrays)
    code, _, err = run(["analyze", "--teacher", str(path)], capsys)
    assert code == 2 and message in err and err.count("\n") == 1


def test_console_script_runs_as_a_process():
    """The installed entry point: status 2 and no traceback on bad input."""
    proc = subprocess.run(
        [sys.executable, "-m", "symhess.cli", "kernels", "1/z"], capture_output=True, text=True
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and proc.stderr.count("\n") == 1


def test_analyze_erf_reports_closed_forms_clusters_and_rank(capsys):
    code, out, err = run(["analyze", "erf(z)", "--d", "5", "--h", "4"], capsys)
    assert code == 0, err
    assert "K00 = 2*atan(2*c/sqrt(4*a*b + 2*a + 2*b - 4*c**2 + 1))/pi" in out
    assert "upper bulk" in out and "clusters of |lambda|" in out
    assert "rank of the Hessian" in out and "mpmath" in out


def test_analyze_includes_rank_table_with_predictions(capsys):
    code, out, _ = run(["analyze", "z + z**2/2", "--d", "4", "--h", "2"], capsys)
    assert code == 0
    # eq. (14) for h < d: h(d+1) - h(h-1)/2 = 2*5 - 1 = 9, and the exact count must equal it
    assert "exact" in out and "eq14" in out
    eq14 = next(line for line in out.splitlines() if line.strip().startswith("eq14"))
    assert eq14.split()[1] == "9" and "holds" in eq14


def test_kernels_of_erf_and_of_quadrature_only_activations(capsys):
    code, out, _ = run(["kernels", "erf(z)"], capsys)
    assert code == 0 and out.startswith("K00 = 2*atan(")
    code, _, err = run(["kernels", "tanh(z)"], capsys)
    assert code == 2 and "try: symhess quadrature 'tanh(z)'" in err


def test_analyze_switches_to_the_operator_when_dense_does_not_fit(capsys, monkeypatch):
    import symhess.base.memory

    # pretend only 4 MiB are free: P = 110 still fits densely, P = 650 does not (and is above
    # the size where the eigensolver itself would go dense)
    monkeypatch.setattr(symhess.base.memory, "available_memory", lambda: 4 * 2**20)
    code, out, err = run(["analyze", "z + z**2/2", "--d", "25", "--h", "25"], capsys)
    assert code == 0, err
    assert "matrix-free operator" in out and "exact trace" in out
    assert "rank: not computed" in out
    code, out, _ = run(["analyze", "z + z**2/2", "--d", "10", "--h", "10"], capsys)
    assert code == 0 and "LAPACK eigvalsh" in out


def test_spectrum_switches_to_the_operator_when_dense_does_not_fit(capsys, monkeypatch, tmp_path):
    import symhess.base.memory

    monkeypatch.setattr(symhess.base.memory, "available_memory", lambda: 2**20)
    png = tmp_path / "s.png"
    argv = ["spectrum", "erf(z)", "--d", "20", "--h", "20", "--teachers", "2", "--plot", str(png)]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "matrix-free" in out and "stochastic Lanczos quadrature" in out
    assert png.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    "command, sizes",
    [
        ("rank", (6, 4)),
        ("spectrum", (10, 10)),
        ("dynamics", (4, 3)),
        ("eigs", (100, 100)),
        ("density", (40, 40)),
        ("analyze", (6, 4)),
        ("flow", (3, 2)),
        ("critical-points", (3, 2)),
    ],
)
def test_every_teacher_command_has_default_sizes_named_in_its_help(command, sizes):
    from symhess.cli.entry import build_parser

    parser = build_parser()
    args = parser.parse_args([command, "z"])
    got = getattr(args, "default_sizes", None) or (args.d, args.h)
    assert tuple(got) == sizes
    sub = next(a for a in parser._actions if a.dest == "command").choices[command]
    text = sub.format_help()
    assert f"(default {sizes[0]})" in text and f"(default {sizes[1]})" in text


def test_rank_runs_with_its_defaults(capsys):
    code, out, err = run(["rank", "z**2", "--method", "exact"], capsys)
    assert code == 0, err
    assert "d = 6, h = 4" in out


def test_sweep_runs_with_its_default_grid(capsys):
    code, out, err = run(["sweep", "z**2", "--method", "exact"], capsys)
    assert code == 0, err
    assert "25 points: 25 equal an exact prediction" in out


def test_options_are_never_abbreviated(capsys):
    """``spectrum --teacher`` (a command without that option) must not be read as its
    ``--teachers``."""
    code, _, err = run(["spectrum", "z", "--teacher", "T.npz"], capsys)
    assert code == 2
    assert "unrecognized arguments: --teacher" in err and "\n" not in err.strip()


def test_rank_with_biases_of_a_quadrature_activation_runs_with_its_defaults(capsys):
    """'all' leaves out mpmath, whose quadrature has no means, and says so."""
    code, out, err = run(["rank", "tanh(z)", "--d", "2", "--h", "2", "--bias"], capsys)
    assert code == 0, err
    assert "no mpmath rank" in out and "float64" in out
