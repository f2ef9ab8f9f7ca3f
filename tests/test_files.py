"""Atomic writes: whole files or nothing, ordinary permissions, no temporaries left."""

from __future__ import annotations

import os
import stat

import pytest

from symhess import SymhessError
from symhess.files import atomic_write, atomic_write_text, refuse_overwrite


def test_mode_follows_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        path = atomic_write_text(tmp_path / "a.txt", "hello\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert path.read_text() == "hello\n"


def test_failure_leaves_the_old_file_and_no_temporary(tmp_path):
    path = tmp_path / "b.bin"
    path.write_bytes(b"old")

    def broken(f):
        f.write(b"half")
        raise RuntimeError("disk on fire")

    with pytest.raises(RuntimeError):
        atomic_write(path, broken)
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["b.bin"]


def test_refuse_overwrite(tmp_path):
    path = tmp_path / "c"
    refuse_overwrite(path, force=False)  # free: fine
    path.write_text("x")
    with pytest.raises(SymhessError, match="pass force=True"):  # the library names arguments
        refuse_overwrite(path, force=False)
    with pytest.raises(SymhessError, match="pass --force"):
        refuse_overwrite(path, force=False, how="--force")
    refuse_overwrite(path, force=True)


def test_missing_folder(tmp_path):
    with pytest.raises(SymhessError, match="does not exist"):
        atomic_write_text(tmp_path / "nope" / "d.txt", "x")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_never_replaces_what_is_not_a_regular_file(tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("kept")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    folder = tmp_path / "folder"
    folder.mkdir()
    for path in (link, pipe, folder):
        with pytest.raises(SymhessError, match="only writes regular files|is a directory"):
            refuse_overwrite(path, force=True)
        with pytest.raises(SymhessError, match="only writes regular files|is a directory"):
            atomic_write_text(path, "new")
    assert link.is_symlink() and target.read_text() == "kept"
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode) and folder.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "folder",
        "link.txt",
        "pipe",
        "target.txt",
    ]
