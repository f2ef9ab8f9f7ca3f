"""The BLAS thread policy: which library is limited, when, and that results do not change."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.sparse.linalg import eigsh

import symhess
from symhess.base import threads
from symhess.curvature import operator
from symhess.errors import SymhessError


def counts(owner):
    return [
        lib["num_threads"]
        for lib in threads.blas_libraries()
        if lib["owner"] == owner and lib.get("user_api") == "blas"
    ]


def test_libraries_have_owners():
    owners = {lib["owner"] for lib in threads.blas_libraries()}
    assert owners & {"numpy", "other"}


def test_limits_apply_inside_and_are_restored():
    before = counts("numpy"), counts("scipy")
    with threads.blas_limits(numpy=2, scipy=1):
        assert all(n == 2 for n in counts("numpy"))
        assert all(n == 1 for n in counts("scipy"))
        with threads.solver_threads(1) as line:
            assert all(n == 1 for n in counts("numpy"))
            assert "1" in line and line.startswith("BLAS threads:")
        assert all(n == 2 for n in counts("numpy"))
    assert (counts("numpy"), counts("scipy")) == before


def test_scipy_gets_one_thread_in_solvers():
    with threads.blas_limits(scipy=2), threads.solver_threads(2):
        assert all(n == 1 for n in counts("scipy"))
        assert all(n == 2 for n in counts("numpy"))


def test_numpy_threads_follow_the_environment_then_the_idle_cores(monkeypatch):
    monkeypatch.setenv(threads.ENV_VAR, "3")
    assert threads.numpy_threads() == 3
    assert threads.numpy_threads(2) == 2
    monkeypatch.delenv(threads.ENV_VAR)
    monkeypatch.setattr(threads, "_LAST", {})
    monkeypatch.setattr(threads, "_others_busy", lambda: 0.0)
    assert threads.numpy_threads() == threads.cores()
    monkeypatch.setattr(threads, "_LAST", {})
    monkeypatch.setattr(threads, "_others_busy", lambda: 50.0)
    assert threads.numpy_threads() == 1
    # without /proc/stat: the load average
    monkeypatch.setattr(threads, "_LAST", {})
    monkeypatch.setattr(threads, "_others_busy", lambda: None)
    monkeypatch.setattr(threads.os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert threads.numpy_threads() == threads.cores()


def test_own_threads_do_not_count_as_other_load():
    """While this process keeps a core busy, the others' load it measures stays below it."""
    import threading

    stop = threading.Event()

    def spin():
        while not stop.is_set():
            pass

    worker = threading.Thread(target=spin)
    worker.start()
    try:
        others = threads._others_busy()
    finally:
        stop.set()
        worker.join()
    if others is None:
        pytest.skip("no /proc/stat")
    total_busy = others  # others only; our spinning thread is subtracted
    assert total_busy < threads.cores()


@pytest.mark.parametrize("bad", ["0", "two", "-1"])
def test_bad_environment_is_one_line(monkeypatch, bad):
    monkeypatch.setenv(threads.ENV_VAR, bad)
    with pytest.raises(SymhessError, match=threads.ENV_VAR):
        threads.numpy_threads()


def test_eigenvalues_do_not_depend_on_the_threads():
    t = symhess.sample_teacher(30, 30, seed=0)
    op = operator("erf(z)", t.W, t.v)
    v0 = np.random.default_rng(0).standard_normal(op.P)
    found = []
    for n in (1, 2):
        with threads.solver_threads(n):
            found.append(np.sort(eigsh(op, k=5, which="LA", v0=v0, ncv=20)[0]))
    np.testing.assert_allclose(found[0], found[1], rtol=1e-12)


def test_solvers_report_their_setting():
    t = symhess.sample_teacher(30, 30, seed=0)
    res = symhess.extreme_eigenvalues(operator("erf(z)", t.W, t.v), 3, threads=1)
    assert res.threads.startswith("BLAS threads:")
