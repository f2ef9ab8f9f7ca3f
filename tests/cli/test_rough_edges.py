"""Every rough edge a newcomer found: one line on stderr, exit status 2, no traceback, and
nothing that is not a regular file replaced - even with --force."""

from __future__ import annotations

import json
import os
import socket
import stat

import numpy as np
import pytest

import symhess
from symhess.cli import main

# a numpy warning would be an extra line on stderr: make it fail the test
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")


def run(argv, capsys):
    code = main(argv)
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code, err, *fragments):
    assert code == 2, err
    assert err.startswith("symhess: error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err
    for fragment in fragments:
        assert fragment in err, (fragment, err)


@pytest.fixture
def teachers(tmp_path):
    empty = tmp_path / "empty.npz"
    empty.write_bytes(b"")
    npy = tmp_path / "t.npy"
    np.save(npy, np.zeros(3))
    huge = tmp_path / "huge.npz"
    t = symhess.sample_teacher(4, 3, seed=0)
    np.savez(huge, W=t.W * 1e200, v=t.v)
    return {"empty": empty, "npy": npy, "huge": huge}


@pytest.mark.parametrize(
    "key, fragment",
    [("empty", "not an .npz archive"), ("npy", "single array (.npy)"), ("huge", "not finite")],
)
def test_bad_teacher_files(teachers, key, fragment, capsys):
    code, _, err = run(["analyze", "z", "--teacher", str(teachers[key])], capsys)
    assert_one_line_error(code, err, fragment)


@pytest.mark.parametrize("expr", ["1e300*z", "1e200*z**2"])
def test_activations_that_overflow_float64(expr, capsys):
    code, _, err = run(["analyze", expr], capsys)
    assert_one_line_error(code, err, "not finite in float64")


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["rmt", "density", "--phi", "0.5", "--eps", "1e300"], "at most 1e+12"),
        (["rmt", "density", "--phi", "1e300", "--eps", "0.1"], "at most 1e+09"),
        (["analyze", "--d", "1000000000", "--h", "2"], "a teacher with h x d"),
        (["rank", "z**2", "--d", "2", "--h", "2", "--dps", "100000"], "from 20 to 1000"),
    ],
)
def test_sizes_are_checked_before_anything_is_allocated(argv, fragment, capsys):
    code, _, err = run(argv, capsys)
    assert_one_line_error(code, err, fragment)


def test_critical_points_do_not_print_the_minimizer_law_where_it_does_not_apply(capsys):
    argv = ["rmt", "critical-points", "--phi", "5", "--starts", "1", "--max-steps", "2"]
    code, out, _ = run(argv, capsys)
    assert code == 0
    assert "(1 - phi)^2 / 2 =" not in out and "hold for phi < 1 only" in out


def _special_files(tmp_path):
    """A FIFO, a symbolic link, a socket and (where allowed) a character device, each
    standing where an output file would go, and a way to check each is still itself."""
    made = {}
    fifo = tmp_path / "fifo.npy"
    os.mkfifo(fifo)
    made[fifo] = stat.S_ISFIFO
    target = tmp_path / "target.npy"
    target.write_bytes(b"precious")
    link = tmp_path / "link.npy"
    link.symlink_to(target)
    made[link] = stat.S_ISLNK
    sock = tmp_path / "sock.npy"
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(sock))
    made[sock] = stat.S_ISSOCK
    device = tmp_path / "null.npy"
    try:  # a private copy of /dev/null: if it were replaced, only this copy would be
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        made[device] = stat.S_ISCHR
    except (PermissionError, OSError):
        pass
    return made, server


def test_output_paths_never_replace_what_is_not_a_regular_file(tmp_path, capsys):
    made, server = _special_files(tmp_path)
    try:
        for path, kind in made.items():
            for force in ([], ["--force"]):
                argv = ["hessian", "z", "--d", "2", "--h", "2", "--out", str(path), *force]
                code, _, err = run(argv, capsys)
                assert_one_line_error(code, err, "never replaces anything else")
                assert kind(os.lstat(path).st_mode), f"{path.name} was replaced"
        assert (tmp_path / "target.npy").read_bytes() == b"precious"
    finally:
        server.close()


@pytest.mark.parametrize(
    "out, fragment",
    [("", "output path is empty"), ("DIR", "is a directory"), ("no/H.npy", "does not exist")],
)
def test_output_paths_each_get_their_own_message(tmp_path, out, fragment, capsys):
    (tmp_path / "DIR").mkdir()
    target = str(tmp_path / out) if out else ""
    code, _, err = run(["hessian", "z", "--d", "2", "--h", "2", "--out", target, "--force"], capsys)
    assert_one_line_error(code, err, fragment)


def test_generate_creates_the_output_folder_and_refuses_grammar_names(tmp_path, capsys):
    folder = tmp_path / "new" / "kernels"
    code, _, _ = run(["generate", "z**2", "--name", "sq", "--out", str(folder)], capsys)
    assert code == 0 and (folder / "sq.py").is_file()
    for name in ("erf", "tanh", "relu", "pi", "z"):
        code, _, err = run(["generate", "z**2", "--name", name, "--out", str(folder)], capsys)
        assert_one_line_error(code, err, "name of the activation grammar")


def test_plots_are_written_in_the_format_their_suffix_names(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    argv = ["spectrum", "z", "--d", "3", "--h", "3", "--teachers", "2", "--plot"]
    code, _, _ = run([*argv, str(tmp_path / "s.jpg")], capsys)
    assert code == 0 and (tmp_path / "s.jpg").read_bytes()[:3] == b"\xff\xd8\xff"
    code, _, _ = run([*argv, str(tmp_path / "s.pdf")], capsys)
    assert code == 0 and (tmp_path / "s.pdf").read_bytes()[:4] == b"%PDF"
    code, _, err = run([*argv, str(tmp_path / "s.xyz")], capsys)
    assert_one_line_error(code, err, "suffix .xyz")
    assert not (tmp_path / "s.xyz").exists()


def test_summarize_accepts_what_symhess_returns_and_refuses_the_rest():
    t = symhess.sample_teacher(3, 2, seed=0)
    float_rank = symhess.summarize(symhess.hessian("z**2", t.W, t.v)).rank
    assert symhess.summarize(symhess.hessian("z**2", t.W, t.v, system="fmpq")).rank == float_rank
    assert symhess.summarize(symhess.hessian("z**2", t.W, t.v, system="mpmath")).rank == float_rank
    H = symhess.hessian("z**2", t.W, t.v)
    H[0, 1] += 1.0
    with pytest.raises(symhess.SymhessError, match="not symmetric"):
        symhess.summarize(H)
    H = symhess.hessian("z**2", t.W, t.v)
    H[0, 0] = np.nan
    with pytest.raises(symhess.SymhessError, match="NaN or infinite"):
        symhess.summarize(H)


def test_rank_json_carries_decided_reference_and_agreement(capsys):
    code, out, _ = run(["rank", "erf(z)", "--d", "1", "--h", "2", "--json"], capsys)
    assert code == 0
    report = json.loads(out)
    assert report["reference"] == "certified" and report["reference_rank"] == 4
    # float64 sees 3 eigenvalues above its noise and cannot decide (the fourth, ~1e-19 of the
    # largest, is below it): "between 3 and 4" is consistent with mpmath's decided 4 and the
    # proof in ball arithmetic
    assert report["rank"] == {"float": 3, "mpmath": 4, "certified": 4} and report["agree"]
    assert report["decided"] == {"float": False, "mpmath": True, "certified": True}
