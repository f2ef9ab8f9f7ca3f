"""A non-editable install carries every module, under symhess.* only."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel_files(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "-q",
            "-w",
            str(out),
        ],
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        pytest.fail(f"building the wheel failed:\n{proc.stdout}\n{proc.stderr}")
    (wheel,) = out.glob("symhess-*.whl")
    with zipfile.ZipFile(wheel) as z:
        return set(z.namelist())


def test_every_module_is_in_the_wheel(wheel_files):
    expected = set()
    for folder, package in (
        ("symhess", "symhess"),
        ("codegen", "symhess/codegen"),
        ("generated", "symhess/generated"),
    ):
        for path in (ROOT / folder).rglob("*.py"):
            expected.add(f"{package}/{path.relative_to(ROOT / folder).as_posix()}")
    missing = sorted(expected - wheel_files)
    assert not missing, f"not installed by 'pip install .': {missing}"


def test_no_generic_top_level_names(wheel_files):
    top = {name.split("/")[0] for name in wheel_files}
    assert {t for t in top if not t.startswith("symhess")} == set(), top
