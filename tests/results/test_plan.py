"""Grids, the cost model, and the estimate that guards long sweeps."""

from __future__ import annotations

import numpy as np
import pytest

from symhess.cli import main
from symhess.errors import SymhessError
from symhess.results import Store, plan
from symhess.results.plan import (
    CostModel,
    Estimate,
    calibration_tasks,
    check_confirmed,
    duration,
    estimate,
    fit_cost,
    grid_tasks,
)


def test_fit_recovers_a_known_cost():
    P = np.array([6, 12, 20, 30, 42, 56, 72, 110])
    true = (2e-3, 1e-6, 1e-8)
    t = true[0] + true[1] * P**2 + true[2] * P**3
    m = fit_cost("exact", P, t)
    assert np.allclose(m.coefficients, true, rtol=1e-6, atol=1e-12)
    assert m.samples == len(P)
    assert fit_cost("exact", [10, 10], [1.0, 1.0]).samples == 0  # one size: the defaults


def test_estimate_sums_the_model_over_pending_points():
    tasks = grid_tasks(["z**2"], [1, 2, 3], [1, 2], (0, 1), ("exact",))
    model = CostModel("exact", (1.0, 0.0, 0.0), 5)  # one second a point
    e = estimate(tasks, {"exact": model}, 4)
    assert (e.points, e.cpu, e.wall, e.workers) == (12, 12.0, 3.0, 4)
    single = estimate(tasks[:1], {"exact": CostModel("exact", (0, 0, 1.0), 5)}, 4)
    assert single.wall == single.cpu == tasks[0].params ** 3  # one point cannot be split


def test_calibration_takes_doubling_sizes_of_unsampled_methods():
    tasks = grid_tasks(["z**2"], range(1, 9), range(1, 9), (0,), ("exact", "float"))
    chosen = calibration_tasks(tasks, {"float": plan.MIN_SAMPLES})
    sizes = [t.params for t in chosen]
    assert {t.method for t in chosen} == {"exact"}
    assert sizes == sorted(sizes)
    assert all(b >= 2 * a for a, b in zip(sizes, sizes[1:], strict=False))


def test_confirmation_gate():
    e = Estimate(100, 8000.0, 2, 4000.0, 10)
    with pytest.raises(SymhessError, match="about 1.1 h on 2 workers.*--yes"):
        check_confirmed(e, False, 1800)
    check_confirmed(e, True, 1800)
    assert [duration(x) for x in (42, 300, 7200, 3e5)] == ["42 s", "5.0 min", "2.0 h", "3.5 days"]


def test_long_sweep_needs_yes(tmp_path, capsys, monkeypatch):
    """The estimate is printed and --yes needed; the calibration points stay stored, and the
    run with --yes computes only the rest."""
    monkeypatch.setattr(plan, "CONFIRM_SECONDS", 1e-6)
    db = tmp_path / "r.sqlite"
    argv = ["sweep", "z + z**3", "--d", "1:4", "--h", "1:4", "--jobs", "1", "--db", str(db)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("symhess: error: estimate: ") and "--yes" in err
    assert err.count("\n") == 1
    with Store(db) as s:
        calibrated = s.count()
        assert 0 < calibrated < 16  # only the timed calibration points, kept
    assert main(argv + ["--yes"]) == 0
    out = capsys.readouterr().out
    assert f"{16 - calibrated} points computed, {calibrated} already stored, of 16" in out


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"activations": []}, "at least one activation"),
        ({"ds": [0, 1]}, "positive d and h"),
        ({"ds": range(1, 102), "hs": range(1, 102)}, "at most 10000"),
        ({"seeds": [-1]}, "non-negative"),
        ({"methods": ("exact",), "activations": ["tanh(z)"]}, "needs a polynomial"),
        ({"methods": ("magic",)}, "unknown rank method"),
    ],
)
def test_grid_refusals(kwargs, message):
    args = {"activations": ["z**2"], "ds": [1], "hs": [1], "seeds": (0,), "methods": ("exact",)}
    args.update(kwargs)
    with pytest.raises(SymhessError, match=message):
        grid_tasks(args["activations"], args["ds"], args["hs"], args["seeds"], args["methods"])
