"""``show_progress`` has one meaning everywhere: False hides every bar, True shows one.

Each long-running entry point is run twice on a tiny problem, with ``show_progress=True``
(a bar must appear on stderr, so the flag is not ignored or inverted) and with ``False``
(nothing may appear).
"""

from __future__ import annotations

import numpy as np
import pytest

import symhess
from symhess import results
from symhess.base import progress
from symhess.rmt import critical, sampling


def _teacher():
    return symhess.sample_teacher(3, 2, seed=0)


def _op():
    t = _teacher()
    return symhess.operator("erf(z)", t.W, t.v)


ENTRY_POINTS = {
    "extreme_eigenvalues": lambda show: symhess.extreme_eigenvalues(_op(), 2, show_progress=show),
    "slq": lambda show: symhess.slq(_op(), probes=2, steps=3, show_progress=show),
    "pooled_eigenvalues": lambda show: symhess.pooled_eigenvalues("z", 3, 2, 2, show_progress=show),
    "pooled_density": lambda show: symhess.pooled_density(
        "erf(z)", 3, 2, 2, probes=1, steps=3, show_progress=show
    ),
    "rank_report": lambda show: symhess.rank_report(
        "z**2", _teacher().W, _teacher().v, ("float",), show_progress=show
    ),
    "run_sweep": lambda show: results.run_sweep(
        ":memory:", ["z**2"], [1, 2], [1], jobs=1, calibrate=False, show_progress=show
    ),
    "run_atlas": lambda show: results.run_atlas(
        results.Store(":memory:"),
        (1,),
        (1, 2),
        (1,),
        engine=results.SerialEngine(),
        calibrate=False,
        show_progress=show,
    ),
    "sweep": lambda show: symhess.sweep(
        "z**2", [1, 2], [1], ("exact",), jobs=1, show_progress=show
    ),
    "gradient_descent": lambda show: symhess.gradient_descent(
        symhess.PopulationLoss(symhess.resolve("z"), _teacher()),
        np.full(8, 1e-3),
        0.1,
        3,
        show_progress=show,
    ),
    "experiment": lambda show: symhess.experiment(
        symhess.resolve("z"), _teacher(), steps=3, runs=2, show_progress=show
    ),
    "sample_eigenvalues": lambda show: sampling.sample_eigenvalues(
        20, phi=0.5, eps=0.1, repeats=2, seed=0, show_progress=show
    ),
    "run_experiment": lambda show: critical.run_experiment(
        critical.random_task(d=2, o=1, hidden=2, phi=0.5, seed=0),
        starts=1,
        seed=0,
        max_steps=2,
        max_nfev=5,
        show_progress=show,
    ),
}


@pytest.mark.parametrize("name", sorted(ENTRY_POINTS))
def test_show_progress_false_hides_and_true_shows(name, capsys):
    ENTRY_POINTS[name](True)
    assert capsys.readouterr().err, f"{name}(show_progress=True) showed no bar"
    ENTRY_POINTS[name](False)
    assert capsys.readouterr().err == "", f"{name}(show_progress=False) showed a bar"


def test_scope_passes_the_setting_to_nested_bars(capsys):
    with progress.scope(True):
        list(progress.progress(range(3), desc="inner"))
    assert "inner" in capsys.readouterr().err
    with progress.scope(False):
        list(progress.progress(range(3), desc="inner"))
    assert capsys.readouterr().err == ""
    # an explicit argument wins over the scope
    with progress.scope(False):
        list(progress.progress(range(3), desc="inner", show=True))
    assert "inner" in capsys.readouterr().err


@pytest.mark.parametrize("entry", ["hessian", "operator"])
def test_hessian_and_operator_pass_show_progress_to_kernel_evaluation(entry, monkeypatch):
    """Quadrature kernels open their bar with ``show=None``: they follow the caller's scope."""
    import symhess.kernels.quadrature as quadrature

    seen = []

    def spy(*args, **kwargs):
        seen.append(progress.shown(None))
        return progress.progress(*args, **kwargs)

    monkeypatch.setattr(quadrature, "progress", spy)
    t = _teacher()
    kern = symhess.quadrature_kernels("tanh(z)", tol=1e-10)
    build = getattr(symhess, entry)
    for show in (True, False, None):
        seen.clear()
        build(kern, t.W, t.v, show_progress=show)
        assert seen and set(seen) == {show}, (show, seen)
