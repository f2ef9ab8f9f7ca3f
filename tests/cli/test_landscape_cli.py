"""symhess flow, critical-points and wider: their reports, JSON, plots and one-line errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

import symhess
from symhess.cli import main


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def test_flow_reaches_and_certifies_a_global_minimum(capsys, tmp_path):
    plot = tmp_path / "flow.png"
    code, out, err = run(["flow", "erf(z)", "--d", "2", "--h", "2", "--plot", str(plot)], capsys)
    assert code == 0, err
    assert "result       global minimum" in out and "polish       converged" in out
    assert "Hessian along the flow" in out and plot.stat().st_size > 1000


def test_flow_of_a_wider_polynomial_student_compares_with_the_teacher(capsys):
    code, out, err = run(
        ["flow", "z + z**2/2", "--d", "2", "--h", "1", "--student-h", "2", "--json"], capsys
    )
    assert code == 0, err
    data = json.loads(out)
    assert data["point"]["kind"] == "global minimum"
    assert data["student_h"] == 2 and data["teacher"]["rank"] == 3
    # exact ranks along the flow, full Hessian and its Gauss-Newton part (<= N = 2 + 3 = 5)
    assert all(s["exact_rank_gauss_newton"] <= 5 for s in data["spectra"])
    assert data["point"]["rank"] <= 5
    t = np.array(data["flow"]["t"])
    assert t[0] == 0 and np.all(np.diff(t) > 0)


def test_flow_spectra_at_chosen_times(capsys):
    code, out, err = run(["flow", "z + z**2/2", "--d", "2", "--h", "1", "--at", "1,10"], capsys)
    assert code == 0, err
    table = out.split("Hessian along the flow")[1].splitlines()[2:]
    assert [float(row.split()[0]) for row in table] == [1.0, 10.0]
    code, _, err = run(["flow", "erf(z)", "--at", "1e4"], capsys)
    assert code == 2 and "after --t-max" in err


def test_flow_states_a_divergence(capsys, tmp_path):
    """x^2 y by a 2-neuron z^3 student: the weights grow without bound (border rank)."""
    teacher = tmp_path / "t.npz"
    symhess.Teacher(
        W=np.array([[1.0, 1.0], [1.0, -1.0], [0.0, 1.0]]), v=np.array([1 / 6, -1 / 6, -1 / 3])
    ).save(teacher)
    code, out, err = run(
        [
            "flow",
            "z**3",
            "--teacher",
            str(teacher),
            "--student-h",
            "2",
            "--start-seed",
            "1",
            "--t-max",
            "1e3",
        ],
        capsys,
    )
    assert code == 0, err
    assert "polish       FAILED" in out and "result       no critical point reached" in out
    assert "running off to infinity" in out


def test_critical_points_lists_minima_and_saddles(capsys, tmp_path):
    plot = tmp_path / "cp.png"
    code, out, err = run(
        ["critical-points", "erf(z)", "--d", "2", "--h", "2", "--starts", "4", "--plot", str(plot)],
        capsys,
    )
    assert code == 0, err
    assert "distinct" in out and "saddle" in out and plot.exists()
    code, out, _ = run(
        ["critical-points", "z + z**2/2", "--d", "2", "--h", "1", "--starts", "4", "--json"],
        capsys,
    )
    data = json.loads(out)
    assert len(data["points"]) + len(data["failures"]) == 4
    assert all(p["grad_norm"] <= 1e-12 for p in data["points"])


def test_wider_table(capsys):
    code, out, err = run(["wider", "z + z**2/2", "--d", "2", "--h", "1", "--extra", "1,2"], capsys)
    assert code == 0, err
    assert "rank r_t = 3" in out and "generic h_s" in out
    code, out, _ = run(
        ["wider", "erf(z)", "--d", "2", "--h", "1", "--extra", "2", "--json"], capsys
    )
    data = json.loads(out)
    assert data["teacher_rank"] == 3
    assert data["rows"][0]["rank"] == {"zeroed": 5, "split": 3, "zeroed at w = 0": 3}


def test_relu_family_with_defaults(capsys, tmp_path):
    """flow, critical-points and wider for relu with their defaults: the flow ends at a global
    minimum of rank P - h; the survey names the non-smooth points at w_i = 0 instead of
    classifying them; the table has no rank at w = 0 and says why."""
    code, out, err = run(["flow", "relu(z)", "--json"], capsys)
    assert code == 0, err
    point = json.loads(out)["point"]
    assert point["kind"] == "global minimum" and point["rank"] == 6
    code, out, err = run(["critical-points", "relu(z)", "--plot", str(tmp_path / "cp.png")], capsys)
    assert code == 0, err
    assert "non-smooth" in out and "not twice differentiable" in out and "  saddle " in out
    code, out, err = run(["wider", "abs(z)", "--json"], capsys)
    assert code == 0, err
    row = json.loads(out)["rows"][0]
    assert row["rank"] == {"zeroed": 7, "split": 6, "zeroed at w = 0": None}
    teacher = tmp_path / "t.npz"
    symhess.Teacher(W=np.array([[1.0, 0.0], [0.0, 0.0]]), v=np.array([1.0, 1.0])).save(teacher)
    code, _, err = run(["flow", "relu(z)", "--teacher", str(teacher)], capsys)
    assert code == 2 and "teacher row 1 is zero" in err and err.count("\n") == 1, err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["flow", "erf(z)", "--student-h", "0"], "--student-h must be a positive integer"),
        (["flow", "erf(z)", "--noise", "-1"], "--noise must be a number >= 0"),
        (["flow", "erf(z)", "--init", "zeros"], "invalid choice"),
        (["flow", "erf(z)", "--t-max", "0"], "--t-max must be a number > 0"),
        (["flow", "erf(z)", "--t-max", "nan"], "--t-max must be a number"),
        (["flow", "erf(z)", "--method", "RK45"], "invalid choice"),
        (["flow", "erf(", "--d", "2"], "erf("),
        (["critical-points", "erf(z)", "--starts", "0"], "--starts must be a positive integer"),
        (["wider", "erf(z)", "--extra", "1,x"], "--extra must be positive integers"),
        (["wider", "erf(z)", "--method", "exact"], "polynomial"),
        (["wider", "tanh(z)", "--method", "exact"], "polynomial"),
    ],
)
def test_bad_input_is_one_line_and_status_2(argv, message, capsys):
    code, out, err = run(argv, capsys)
    assert code == 2 and message in err and err.count("\n") == 1, err
