"""Figures and the spectrum / dynamics / figure commands, at reduced sizes.

The full-size figures are made by ``symhess figure N`` (docs/figures/); here every builder
runs at its ``--quick`` sizes, and the PNGs are checked to exist and decode, with labelled
axes and theory and measurement drawn as separate artists.
"""

from __future__ import annotations

import pytest

pytest.importorskip("matplotlib")

import matplotlib.image  # noqa: E402

from symhess.cli import main  # noqa: E402
from symhess.report import figures  # noqa: E402


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def labelled(fig):
    for ax in fig.axes:
        assert ax.get_xlabel() and ax.get_ylabel()
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert any("theory" in s or "d = h" in s for s in labels), labels


@pytest.mark.parametrize("number", [2, 3, 4, 5, 6])
def test_quick_figures_build_with_labels_and_captions(number):
    result = figures.build(number, quick=True)
    assert result.caption.startswith(f"Figure {number}.")
    assert result.summary
    labelled(result.fig)
    figures.pyplot().close(result.fig)


def test_figure2_legend_has_theory_and_measurement_apart():
    result = figures.build(2, quick=True)
    for ax in result.fig.axes:
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert any(s.startswith("measured") for s in labels)
        assert any(s.startswith("theory") for s in labels)
        assert "KS" in ax.get_title() and "floor" in ax.get_title()
    figures.pyplot().close(result.fig)


def test_figure_command_writes_png_and_refuses_overwrite(tmp_path, capsys):
    out = tmp_path / "f5.png"
    code, text, err = run(["figure", "5", "--quick", "--out", str(out)], capsys)
    assert code == 0, err
    assert "Figure 5." in text and f"wrote {out}" in text
    image = matplotlib.image.imread(out)
    assert image.shape[0] > 300 and image.shape[1] > 300
    code, _, err = run(["figure", "5", "--quick", "--out", str(out)], capsys)
    assert code == 2 and "exists" in err
    code, _, err = run(["figure", "8"], capsys)
    assert code == 2 and "no figure" in err


def test_spectrum_command_linear_prints_ks_and_floor(tmp_path, capsys):
    out = tmp_path / "s.png"
    argv = ["spectrum", "z", "--d", "20", "--h", "10", "--teachers", "10", "--plot", str(out)]
    code, text, err = run(argv, capsys)
    assert code == 0, err
    assert "KS distance to the law" in text and "sampling floor" in text
    assert "weight 0.5 on the bare chi-square" in text
    assert matplotlib.image.imread(out).ndim == 3
    code, text, err = run(argv[:-2] + ["--log", "--plot", str(tmp_path / "l.png")], capsys)
    assert code == 0, err


def test_spectrum_command_dense_path(capsys):
    code, text, err = run(
        ["spectrum", "z + z**2", "--d", "3", "--h", "4", "--teachers", "3"], capsys
    )
    assert code == 0, err
    assert "9..9 per teacher" in text  # rank d + d(d+1)/2, paper eq. (14)
    assert "KS" not in text


def test_dynamics_command(tmp_path, capsys):
    out = tmp_path / "d.png"
    argv = ["dynamics", "z", "--d", "3", "--h", "2", "--runs", "2", "--plot", str(out)]
    code, text, err = run(argv, capsys)
    assert code == 0, err
    assert "2 lambda_min (gradient flow)" in text and "(discrete)" in text
    assert matplotlib.image.imread(out).ndim == 3
    code, text, err = run(
        ["dynamics", "z", "--d", "3", "--h", "2", "--sgd", "--batch", "8", "--steps", "50"],
        capsys,
    )
    assert code == 0, err
    assert "SGD, 8 fresh Gaussian inputs" in text


@pytest.mark.parametrize(
    "argv, match",
    [
        (["dynamics", "z", "--d", "3", "--h", "2", "--batch", "8"], "--batch needs --sgd"),
        (["dynamics", "z", "--d", "3", "--h", "2", "--lr", "100"], "below 2 / lambda_max"),
        (["dynamics", "z", "--d", "3", "--h", "2", "--noise", "-1"], "--noise"),
        (["spectrum", "z", "--d", "3", "--h", "-1"], "--h"),
        (["spectrum", "z", "--d", "3", "--h", "2", "--teachers", "0"], "--teachers"),
    ],
)
def test_bad_input_is_one_line_error(argv, match, capsys):
    code, _, err = run(argv, capsys)
    assert code == 2
    assert err.startswith("symhess: error:") and match in err
    assert err.count("\n") == 1


def test_quick_figure7_tables_and_frames():
    # the rank without -> with biases; the paper's +1 framed where it holds
    result = figures.build(7, quick=True)
    assert result.caption.startswith("Figure 7.")
    text = "\n".join(result.summary)
    assert "| `z**2 + z` d\\h | 1 | 2 | 3 |" in text and "| 2 | 3→4= | 5→6= | 5→6= |" in text
    assert "z**2 + z: the paper's +1 holds in every cell" in text
    assert "z**2: the paper's +1 holds in h = 1 only" in text
    panels = [ax for ax in result.fig.axes if ax.get_title()]
    assert len(panels) == 4 and all(ax.get_xlabel() == "h" for ax in panels)
    framed = {ax.get_title(): len(ax.patches) for ax in panels}
    assert framed["z**2 + z (exact)"] == 6 and framed["z**2 (exact)"] == 2
    figures.pyplot().close(result.fig)
