"""The atlas end to end: a small one through the command, read back from the store, against
the interpolation oracle (no Hessian) at its deficit points."""

from __future__ import annotations

import pytest

from symhess.cli import main
from symhess.rank.measure import rational_teacher
from symhess.report.atlas import markdown, report_lines
from symhess.results import SerialEngine, Store, run_atlas
from symhess.results.atlas import AtlasPoint

from ..rank_oracles import interpolation_rank

ARGV = ["atlas", "--degrees", "0..4", "--d", "2", "--h", "1:5", "--jobs", "1"]


def test_small_atlas_command(tmp_path, capsys):
    db, md = tmp_path / "atlas.sqlite", tmp_path / "atlas.md"
    assert main([*ARGV, "--db", str(db), "--markdown", str(md)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("atlas: 150 points, 30 supports, d in 2..2, h in 1..5; every rank exact")
    assert "(150 certified modulo a prime, 0 over Q)" in out
    assert "the rank is the smallest proven bound (so the generic rank) at 150 of 150" in out
    assert "{0,2,4}       (2,3) 8/9 [product]" in out
    assert "{2,3,4}       (2,4) 11/12 [homogenized_ah]" in out
    assert "{0,1,2,3,4}   (2,5) 14/15 [homogenized_ah]" in out
    assert md.read_text().splitlines()[2] == "| {0,2,4} | (2,3) 8<9 | product |"
    # the deficits, by the oracle: the rank of the interpolation matrix at the same teacher
    W = {h: rational_teacher(2, h, 0).W.tolist() for h in (3, 4, 5)}
    assert interpolation_rank({0, 2, 4}, W[3]) == 8
    assert interpolation_rank({2, 3, 4}, W[4]) == 11
    assert interpolation_rank({0, 1, 2, 3, 4}, W[5]) == 14
    # a second run reads everything back; the sweeps table records both
    assert main([*ARGV, "--db", str(db)]) == 0
    assert "atlas: 150 points" in capsys.readouterr().out
    with Store(db, readonly=True) as s:
        assert s.count() == 150 and s.sweep_states() == ["done", "done"]
    assert main([*ARGV, "--db", str(db), "--markdown", str(md)]) == 2  # exists: --force
    assert "--force" in capsys.readouterr().err


def test_points_below_every_proven_bound_get_a_second_seed(monkeypatch):
    """Without the mixed-degree predictions, z + z^3 at d = 5, h = 6 falls below every proven
    bound: the atlas recomputes it at seed 1 and reports both ranks."""
    import symhess.results.atlas as atlas_mod

    real = atlas_mod._points

    def without_mixed(store, tasks):
        return [
            AtlasPoint(**{**p.__dict__, "proven": p.older, "reached": None})
            for p in real(store, tasks)
        ]

    monkeypatch.setattr(atlas_mod, "_points", without_mixed)
    with Store(":memory:") as s:
        points = run_atlas(s, (1, 3), (5,), (6,), engine=SerialEngine(), show_progress=False)
        assert s.count() == 3 + 1  # {1}, {3}, {1,3} at seed 0, and {1,3} again at seed 1
    at = {p.support: p for p in points}[(1, 3)]
    assert (at.rank, at.proven, at.confirm) == (35, 36, 35)
    lines = report_lines(points)
    assert "  1 points lie below every proven bound:" in lines
    assert "    {1,3} d=5 h=6: rank 35, bound 36; seed 1: 35" in lines


def test_a_rank_above_a_proven_bound_is_an_error():
    p = AtlasPoint((1, 3), 5, 6, 36, 36, "Q", 36, 35)
    assert any(line.startswith("  ERROR: 1 ranks exceed") for line in report_lines([p]))
    assert markdown([p]).count("\n") == 2  # no row: nothing below the older bound


@pytest.mark.parametrize(
    "argv, message",
    [
        (["atlas", "--degrees", "0..41"], "degrees in 0..40"),
        (["atlas", "--degrees", "x"], "needs degrees like"),
        (["atlas", "--d", "0"], "--d must be a positive integer"),
        (["atlas", "--jobs", "0"], "--jobs must be a positive integer"),
        (["atlas", "--timeout", "-1"], "--timeout must be a number > 0"),
    ],
)
def test_atlas_bad_input(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("symhess: error: ") and err.count("\n") == 1 and message in err
