"""Kernel matrices: the six ``K_pq`` evaluated on all pairs of hidden units.

:func:`kernel_matrices` evaluates them at once; :func:`kernel_matrices_bounded` in row blocks
when the kernel modules' intermediates for all ``h^2`` pairs would take too much memory;
:func:`diagonal_kernels` only on the diagonal ``a = b = c = |w_i|^2`` (``O(h d)``).
"""

from __future__ import annotations

import numpy as np

from ..base import memory
from ..kernels import Kernels
from ..symbolic.names import EXTRA_NAMES, KERNEL_NAMES

# Peak h x h arrays while the generated kernel modules run: their common subexpressions are
# all alive at the end (measured 9 for sigma = z and 121 for a degree-8 polynomial).
KERNEL_EVAL_MATRICES = 130

_SYMMETRIC = ("K00", "K11", "K22")


def kernel_matrices(
    kernels: Kernels, W: np.ndarray, U: np.ndarray | None = None, *, system: str = "float64"
) -> dict[str, np.ndarray]:
    """``K_pq[i, k] = K_pq(|w_i|^2, |u_k|^2, w_i . u_k)`` for rows ``w_i`` of W, ``u_k`` of U.

    Parameters
    ----------
    kernels : Kernels
        From :func:`symhess.kernels.resolve`.
    W : ndarray, shape (h, d)
        In the number system ``system`` (float64, or an object array).
    U : ndarray, shape (h2, d), optional
        Second set of rows; defaults to ``W``.
    system : str
        Number system of ``W`` and ``U`` (see :mod:`symhess.base.systems`).

    Returns
    -------
    dict of str to ndarray, each of shape (h, h2)
        Keyed by :data:`symhess.symbolic.names.KERNEL_NAMES`. For ``U is None`` the matrices are
        made exactly symmetric where the kernel is (``K00, K11, K22``) and ``K13 = K31.T``:
        the maths says so, and exact symmetry of the Hessian depends on it. Kernels with a
        vector route (:meth:`~symhess.kernels.Kernels.pair_matrices`, the ReLU family) return
        its matrices instead: the six kernels, already exactly symmetric, plus ``KB`` and the
        pair geometry that the bisector form of the Hessian is assembled from.
    """
    vectors = kernels.pair_matrices(W, U, system)
    if vectors is not None:
        return vectors
    same = U is None
    U = W if same else U
    with np.errstate(over="ignore", invalid="ignore"):  # the kernels refuse non-finite input
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


def extra_kernel_matrices(
    kernels: Kernels, W: np.ndarray, U: np.ndarray, *, system: str = "float64", names=EXTRA_NAMES
) -> dict[str, np.ndarray]:
    """Kernels beyond the six (``K40``) on all pairs ``(w_i, u_m)``, where ``U`` starts with
    the rows of ``W`` (``U = [W; W_teacher]``).

    The self pairs ``u_i = w_i`` are taken at ``c = a = b = |w_i|^2`` exactly, as in
    :func:`kernel_matrices`; no symmetrisation (``K40`` is not symmetric in its arguments).

    Returns
    -------
    dict of str to ndarray, each of shape (h, len(U))
    """
    h = W.shape[0]
    a = np.array([w.dot(w) for w in W], dtype=W.dtype)
    b = np.concatenate([a, np.array([u.dot(u) for u in U[h:]], dtype=U.dtype)])
    C = W.dot(U.T)
    C[np.arange(h), np.arange(h)] = a
    return kernels.extra(a[:, None], b[None, :], C, system, names)


def kernel_matrices_bounded(
    kernels: Kernels, W: np.ndarray, reserved: float = 0.0
) -> dict[str, np.ndarray]:
    """:func:`kernel_matrices` of ``W`` with ``W``, in row blocks if the kernel module's
    intermediates for all ``h^2`` pairs at once would take too much memory.

    ``reserved`` bytes of the scratch budget are kept for the caller's own arrays.

    The blocks are made exactly symmetric the same way (``K00, K11, K22`` averaged with their
    transposes, ``K13 = K31^T``) and the diagonals use ``c = a`` exactly.
    """
    vectors = kernels.pair_matrices(W)
    if vectors is not None:  # a few h x h matrices: no intermediates to bound
        return vectors
    h = W.shape[0]
    budget = max(256 * 2**20, memory.scratch_budget() - reserved)
    rows = max(1, int(min(h, budget // (8 * KERNEL_EVAL_MATRICES * h))))
    if rows >= h:
        return kernel_matrices(kernels, W)
    a = np.einsum("ij,ij->i", W, W)
    out = {name: np.empty((h, h)) for name in KERNEL_NAMES}
    for start in range(0, h, rows):
        block = slice(start, min(h, start + rows))
        C = W[block] @ W.T
        local = np.arange(block.stop - block.start)
        C[local, local + start] = a[block]
        values = kernels(a[block, None], a[None, :], C, "float64")
        for name, value in zip(out, values, strict=True):
            out[name][block] = value
    for name in ("K00", "K11", "K22"):
        K = out[name]
        K += K.T
        K *= 0.5
    out["K13"] = np.ascontiguousarray(out["K31"].T)
    return out


def diagonal_kernels(kernels: Kernels, W: np.ndarray) -> dict[str, np.ndarray]:
    """The kernels at ``a = b = c = |w_i|^2``: the diagonals of the kernel matrices, ``O(h d)``."""
    a = np.einsum("ij,ij->i", W, W)
    values = kernels(a, a, a, "float64")
    return dict(zip(KERNEL_NAMES, values, strict=True))
