"""Deciding when the dense Hessian would not fit, the operator report, and the commands."""

from __future__ import annotations

import re

import numpy as np
import pytest

import symhess
from symhess.cli import main
from symhess.report.operator_report import operator_section
from symhess.spectra.summary import dense_spectrum_bytes, dense_spectrum_fits


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_dense_fits():
    assert dense_spectrum_fits(10, 10)
    assert not dense_spectrum_fits(1000, 1000)  # P ~ 1e6: 8 TB per copy
    assert dense_spectrum_bytes(1, 1) == pytest.approx(2.2 * 8 * 4)


def test_operator_section_agrees_with_dense():
    t = symhess.sample_teacher(30, 30, seed=0)
    H = symhess.hessian("z - z**3/3", t.W, t.v)
    exact = np.linalg.eigvalsh(H)
    lines = operator_section("z - z**3/3", t, k=3, probes=8, steps=30)
    text = "\n".join(lines)
    assert "matrix-free operator" in lines[0] and re.search(r"\d (GiB|MiB)", lines[0])
    largest = [float(x) for x in re.search(r"largest eigenvalues\s+(.*)", text)[1].split(", ")]
    np.testing.assert_allclose(largest, exact[::-1][:3], rtol=1e-6)
    trace = float(re.search(r"exact trace\s+(\S+)", text)[1])
    assert trace == pytest.approx(np.trace(H), rel=1e-6)
    assert "error bound            ||H - H_true||_2 <=" in text
    counts = [float(m) for m in re.findall(r"^ {6}.*?\s(\S+) \+- \S+$", text, flags=re.M)]
    assert len(counts) == 7 and sum(counts) == pytest.approx(H.shape[0], rel=1e-9)


def test_eigs_command(capsys):
    t = symhess.sample_teacher(30, 30, seed=2)
    exact = np.linalg.eigvalsh(symhess.hessian("z + z**2/2", t.W, t.v))
    code, out, err = run(
        ["eigs", "z + z**2/2", "--d", "30", "--h", "30", "--seed", "2", "--k", "3"], capsys
    )
    assert code == 0, err
    assert "P = h*d + h = 930" in out and "ARPACK" in out and "memory" in out
    got = [float(x) for x in re.findall(r"^ +(\S+e[+-]\d+)$", out, flags=re.M)]
    np.testing.assert_allclose(got, exact[::-1][:3], rtol=1e-10)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["eigs", "z", "--d", "2", "--h", "2", "--k", "7"], "k = 7 exceeds"),
        (["eigs", "z", "--d", "2", "--h", "2", "--k", "0"], "--k must be a positive"),
        (["eigs", "z", "--d", "100000", "--h", "100000"], "needs .* GiB"),
        (["density", "z", "--d", "100000", "--h", "100000"], "needs .* GiB"),
        (["density", "z", "--d", "300", "--h", "300", "--exact"], "--exact needs"),
        (["density", "z", "--d", "3", "--h", "2", "--probes", "0"], "--probes"),
    ],
)
def test_one_line_errors(argv, message, capsys):
    code, out, err = run(argv, capsys)
    assert code == 2
    assert re.search(message, err) and err.count("\n") == 1, err


def test_density_command_with_exact_and_plot(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "density.png"
    argv = [
        "density",
        "z + z**2/2",
        "--d",
        "10",
        "--h",
        "12",
        "--probes",
        "10",
        "--steps",
        "40",
        "--exact",
        "--bins",
        "6",
        "--plot",
        str(png),
    ]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert png.stat().st_size > 1000
    assert "Wasserstein-1 distance" in out
    rows = re.findall(r"^\[.*\)\s+(\S+)\s+\S+\s+(\d+)$", out, flags=re.M)
    slq_counts, exact_counts = np.array(rows, dtype=float).T
    assert exact_counts.sum() == 132 and slq_counts.sum() == pytest.approx(132, rel=1e-6)
    code, _, err = run(argv, capsys)
    assert code == 2 and "exists" in err
    code, out, err = run([*argv, "--force", "--log"], capsys)
    assert code == 0, err
    assert "zero up to rounding" in out


def test_density_for_d_above_h_is_exact_by_the_reduction(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    png = tmp_path / "reduced.png"
    argv = ["density", "erf(z)", "--d", "12", "--h", "4", "--bins", "5", "--plot", str(png)]
    code, out, err = run(argv, capsys)
    assert code == 0, err
    assert "row-space reduction" in out and "SLQ not needed" in out
    counts = [int(x) for x in re.findall(r"^\[.*\)\s+(\d+)$", out, flags=re.M)]
    assert sum(counts) == 52 and png.stat().st_size > 1000
    t = symhess.sample_teacher(12, 4, seed=0)
    dense = np.linalg.eigvalsh(symhess.hessian("erf(z)", t.W, t.v))
    pad = 1e-9 * max(dense[-1] - dense[0], abs(dense[-1]))
    edges = np.linspace(dense[0] - pad, dense[-1] + pad, 6)
    assert counts == np.histogram(dense, edges)[0].tolist()  # an independent route: dense H


def test_pooled_density_matches_the_pooled_exact_eigenvalues():
    """The same teachers as symhess.spectra.pooled_eigenvalues; erf is full rank, so nothing
    is dropped."""
    from scipy.stats import wasserstein_distance

    from symhess.report.operator_report import density_lines
    from symhess.spectra.pooled import pooled_density
    from symhess.spectra.pooled import pooled_eigenvalues as pool

    kern = symhess.resolve("erf(z)")
    exact = pool(kern, 12, 10, 6, seed=3).eigenvalues
    assert exact.size == 6 * 130
    other = pool(kern, 12, 10, 6, seed=3, pool_id=1).eigenvalues
    dens = pooled_density(kern, 12, 10, 6, seed=3, probes=4, steps=40)
    assert dens.probes == 24 and dens.weights.sum() == pytest.approx(1)
    w1 = dens.wasserstein(exact)
    assert w1 < 0.5 * wasserstein_distance(exact, other), w1
    assert abs(dens.trace() / dens.P - exact.mean()) < 4 * dens.trace_error() / dens.P
    text = "\n".join(density_lines(dens))
    assert "24 probes x 40 steps" in text and "quantiles" in text


def test_plot_density(tmp_path):
    pytest.importorskip("matplotlib")
    from symhess.curvature import operator
    from symhess.report.operator_report import plot_density
    from symhess.report.plot import pyplot, save_figure
    from symhess.spectra import slq

    t = symhess.sample_teacher(8, 8, seed=0)
    dens = slq(operator("erf(z)", t.W, t.v), probes=4, steps=20)
    plt = pyplot()
    for log in (False, True):
        fig, ax = plt.subplots()
        plot_density(ax, dens, bins=20, log=log)
        save_figure(fig, tmp_path / f"d{log}.png")
        assert (tmp_path / f"d{log}.png").stat().st_size > 1000
