"""Kernel matrices of a teacher: the six ``K_pq`` evaluated on all pairs of hidden units."""

from __future__ import annotations

import numpy as np

from .kernels import KERNEL_NAMES
from .registry import Kernels

_SYMMETRIC = ("K00", "K11", "K22")


def kernel_matrices(
    kernels: Kernels, W: np.ndarray, U: np.ndarray | None = None, *, system: str = "float64"
) -> dict[str, np.ndarray]:
    """``K_pq[i, k] = K_pq(|w_i|^2, |u_k|^2, w_i . u_k)`` for rows ``w_i`` of W, ``u_k`` of U.

    Parameters
    ----------
    kernels : Kernels
        From :func:`symhess.registry.resolve`.
    W : ndarray, shape (h, d)
        In the number system ``system`` (float64, or an object array).
    U : ndarray, shape (h2, d), optional
        Second set of rows; defaults to ``W``.
    system : str
        Number system of ``W`` and ``U`` (see :mod:`symhess.numbers`).

    Returns
    -------
    dict of str to ndarray, each of shape (h, h2)
        Keyed by :data:`symhess.kernels.KERNEL_NAMES`. For ``U is None`` the matrices are
        made exactly symmetric where the kernel is (``K00, K11, K22``) and ``K13 = K31.T``:
        the maths says so, and exact symmetry of the Hessian depends on it.
    """
    same = U is None
    U = W if same else U
    C = W.dot(U.T)
    a = np.array([w.dot(w) for w in W], dtype=W.dtype)[:, None]
    b = a.T if same else np.array([u.dot(u) for u in U], dtype=U.dtype)[None, :]
    if same:
        C = (C + C.T) / 2
        C[np.diag_indices_from(C)] = a[:, 0]
    out = dict(zip(KERNEL_NAMES, kernels(a, b, C, system), strict=True))
    if same:
        for name in _SYMMETRIC:
            K = out[name]
            out[name] = (K + K.T) / 2
        out["K13"] = np.ascontiguousarray(out["K31"].T)
    return out
