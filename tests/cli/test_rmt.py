"""``symhess rmt density|index|critical-points``: output, plots, one-line errors."""

from __future__ import annotations

import pytest

from symhess.cli import main
from symhess.rmt import theory as rd


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_density(capsys, tmp_path):
    plot = tmp_path / "d.png"
    code, out, err = run(
        ["rmt", "density", "--phi", "0.5", "--eps", "0.2", "--sample", "200", "--plot", str(plot)],
        capsys,
    )
    assert code == 0, err
    assert "mass       1.000000000000" in out
    assert f"alpha = {rd.index(0.2, phi=0.5):.6g}" in out
    assert f"eps_c      {rd.eps_c(0.5):.6g}" in out
    assert "sampled    2 matrices 200 x 200" in out
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    # the plot is not overwritten without --force
    code, _, err = run(["rmt", "density", "--plot", str(plot)], capsys)
    assert code == 2 and err.startswith("symhess: error:") and err.count("\n") == 1


def test_density_phi_above_one(capsys):
    code, out, _ = run(["rmt", "density", "--phi", "2", "--eps", "0.01"], capsys)
    assert code == 0
    assert "phi >= 1" in out and "0.25" in out
    assert out.count("[") == 2  # two pieces of support


def test_index(capsys, tmp_path):
    plot = tmp_path / "i.png"
    code, out, err = run(
        ["rmt", "index", "--phi", "0.5,2", "--eps", "0.3", "--plot", str(plot)], capsys
    )
    assert code == 0, err
    assert f"alpha(eps = 0.3) = {rd.index(0.3, phi=0.5):.6g}" in out
    assert f"{rd.alpha_0(0.5):.4g}" in out
    assert plot.exists()


def test_critical_points(capsys, tmp_path):
    plot = tmp_path / "c.png"
    argv = ["rmt", "critical-points", "--phi", "0.5", "--d", "2", "--o", "2", "--hidden", "3"]
    argv += ["--starts", "6", "--max-steps", "2000", "--list", "--plot", str(plot)]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "critical points from 6 searches" in out
    assert "critical only if |grad L| <= 1e-10" in out
    assert plot.exists()


@pytest.mark.parametrize(
    "argv, message",
    [
        (["rmt"], "say what"),
        (["rmt", "density", "--phi", "-1"], "--phi must be a number > 0"),
        (["rmt", "density", "--eps", "nan"], "--eps must be a number > 0"),
        (["rmt", "index", "--phi", "0.5,x"], "--phi must be a number > 0"),
        (["rmt", "density", "--sample", "100", "--repeats", "1"], "at least 2"),
        (["rmt", "critical-points", "--starts", "0"], "--starts must be a positive"),
    ],
)
def test_errors(argv, message, capsys):
    code, out, err = run(argv, capsys)
    assert code == 2
    assert err.startswith("symhess: error:") and message in err and err.count("\n") == 1
