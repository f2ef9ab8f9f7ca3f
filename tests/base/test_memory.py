"""The memory policy's array helper (the budget rules are tested where they refuse)."""

from __future__ import annotations

import numpy as np

from symhess.base.memory import basis_array


def test_basis_array_is_a_writable_column_major_float_array():
    A = basis_array(1000, 3)
    assert A.shape == (1000, 3) and A.dtype == np.float64 and A.flags.f_contiguous
    A[:, 1] = np.arange(1000.0)
    assert A[999, 1] == 999.0 and A[:, 1:2].flags.f_contiguous
    assert (A[:, :2].T @ A[:, 1:2]).shape == (2, 1)
    assert basis_array(0, 3).shape == (0, 3)
