"""Shared pytest options, and the BLAS thread setting of the test session."""

import os
import tempfile

import numpy  # noqa: F401  (load both BLAS libraries before limiting them)
import scipy.linalg  # noqa: F401
from threadpoolctl import threadpool_limits

# The suite runs on 2 cores shared with other work. A 2-thread OpenBLAS spins against the
# other processes: dense eigvalsh at P = 1,220 took 31-36 s with 2 threads and 5-7 s with 1
# at load 7, and no test's matrices are large enough for a second thread to pay off on a
# quiet machine either. So every BLAS runs on one thread for the whole session, and the
# solvers' own policy (symhess.base.threads) is told the same; the thread tests set their
# counts explicitly.
os.environ.setdefault("SYMHESS_BLAS_THREADS", "1")
_LIMITS = threadpool_limits(limits=1)

# Kernels derived on demand (degrees above 8) go into a fresh folder of this session, never
# into the user's cache: a test must neither depend on nor change what is cached there.
os.environ["SYMHESS_CACHE"] = tempfile.mkdtemp(prefix="symhess-test-cache-")


def pytest_addoption(parser):
    parser.addoption(
        "--update-generated",
        action="store_true",
        default=False,
        help="rewrite generated/ when the freshness test finds it out of date",
    )
