"""The Hessian as a matrix-free operator: ``H @ x`` from six ``h x h`` kernel matrices.

With ``X`` the ``h x d`` block of ``x`` (``W`` part, row-major) and ``y`` its ``v`` part,
``S = W X^T`` (``S_ik = w_i . x_k``), ``t_k = w_k . x_k`` and the kernel matrices scaled as
``A = vv o K11``, ``B = vv o K31``, ``G = vv o K22``, ``D = vv o K13 = B^T``,
``V = diag(v) K11`` (``vv = v v^T``, ``o`` the entrywise product), the block formula of
the Stein reduction (docs/theory.md) summed over ``(k, l)`` gives::

    (H x)_W = A X + (G o S + D diag(t) + V diag(y)) W + diag(c) W,
        c_i = sum_k B_ik S_ik + (G t)_i + v_i (K20 y)_i
    (H x)_v = K20^T (v o t) + sum_i V_ik S_ki + K00 y

Three ``(h x h) @ (h x d)``-sized matrix products (``S``, ``A X`` and ``N W``) and ``O(h^2)``
entrywise work: ``O(h^2 d)`` time and ``O(h^2 + h d)`` memory per vector; ``H`` is never
formed. A block of ``m`` vectors is done with the same three products, each ``m`` times
wider, so the BLAS gets one large product to spread over its threads instead of ``m`` small
ones.

For the ReLU family (kernel matrices with ``KB``) the rank-2 part of each block is applied in
its bisector form ``v_i v_k KB (b b^T - n n^T)`` (:mod:`symhess.curvature.dense`): with the unit
rows ``u_i``, ``Sh = U X^T``, ``th_k = u_k . x_k``, ``GT = vv o KB / |u_i + u_k|^2`` and
``GR = vv o KB / |u_i - u_k|^2`` (0 where ``u_i = u_k``), ``tp = GT o (Sh + th)``,
``rm = GR o (Sh - th)``::

    (H x)_W,i = (A X)_i + u_i (sum_k (tp - rm)_ik + |w_i| c_i) + sum_k N_ik u_k,
        N = tp + rm + V diag(y o |w|),   c_i = v_i (K20 y)_i
    (H x)_v   = K20^T (v o t) + sum_i V_ik |w_k| Sh_ki + K00 y

``rm`` is formed once and enters both sums, so its rounding (large where ``u_i ~ u_k``) is
multiplied by ``u_k - u_i``, which is as small: the product keeps full accuracy at every
angle. The same three matrix products per block of vectors.

With biases (``x = (X, y, y_b)``, ``z = v o y_b``; docs/theory.md, "Biases") the bias blocks
add, with ``K12 = K21^T`` and ``K01 = K10^T``::

    (H x)_W += diag(v) [K12 (z o W) + diag(K21 z) W]
    (H x)_v += K01 z
    (H x)_b  = v o [(K21 o S) v + K12 (v o t) + K10 y + K11 z]

(``(K21 o S) v`` is one more column of the batched product over ``S``), and for the ReLU
family the regular part ``KR`` of the rank-2 blocks adds ``u_i sum_k (vv o KR)_ik Sh_ik`` and
``sum_k (vv o KR)_ki th_k u_k`` to the bisector form: one more ``(h x h) @ (h x d)``-sized
product per block of vectors.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse.linalg import LinearOperator

from ..base import memory, progress
from ..errors import SymhessError
from ..kernels import resolve
from ..symbolic.names import MEAN_NAMES
from ..teacher import check_biases, check_weights
from .accuracy import HessianError, hessian_error
from .matrices import diagonal_kernels, kernel_matrices_bounded

# Bytes of scratch a block of vectors may use; larger blocks are done in slices.
_MATMAT_BUDGET = 512 * 2**20
# Bytes of the largest single temporary (``S`` or ``A X``, ``h x m x max(h, d)``): below glibc's
# largest mmap threshold (32 MiB) temporaries are reused from the heap instead of being mapped
# and page-faulted afresh on every call. At h = d = 300 a block of 20 is still one slice; at
# h = d = 1000 slices of 4 (blocks of 9 took 140-190 ms per vector, single vectors 110 ms).
_TEMPORARY_BUDGET = 32 * 10**6

# h x h float64 matrices the operator keeps (A, G, B and V^T side by side, D, V, K20, K00).
_STORED_MATRICES = 8


def operator(
    activation, W, v, b=None, *, kernel_dirs=None, show_progress: bool | None = None
) -> HessianOperator:
    """The Hessian at the optimum as a symmetric ``LinearOperator``, never formed.

    Parameters
    ----------
    activation : str, coefficient list, Activation or Kernels
        As for :func:`symhess.hessian`; a :class:`~symhess.kernels.Kernels` is used as is.
    W : array_like, shape (h, d)
    v : array_like, shape (h,)
    b : array_like, shape (h,), optional
        Hidden-unit biases (parameters ordered ``W``, ``v``, ``b``; ``P = h d + 2h``).
    kernel_dirs : sequence of paths, optional
        Extra folders with generated kernel modules.
    show_progress : bool, optional
        Progress bars of long kernel evaluations (quadrature); ``None``: only on a terminal.

    Returns
    -------
    HessianOperator
        Shape ``(P, P)``, ``P = h d + h`` (``h d + 2h`` with biases), float64;
        ``matvec``/``matmat`` cost ``O(h^2 d)`` per vector. Its
        :attr:`~HessianOperator.error` bounds ``||H - H_true||_2`` (kernel error estimates and
        rounding, as for ``hessian(..., with_error=True)``).

    Raises
    ------
    SymhessError
        Bad weights, or kernel matrices that alone would not fit in memory.
    """
    kernels = resolve(activation, kernel_dirs)  # a Kernels object passes through
    W, v = check_weights(W, v)
    if W.dtype == object or v.dtype == object:
        raise SymhessError("the Hessian operator works in float64; give float weights")
    h, d = W.shape
    bias = b is not None
    if bias:
        b = check_biases(b, h)
        if b.dtype == object:
            raise SymhessError("the Hessian operator works in float64; give float biases")
        kernels.check_means("float64")
    check_operator_memory(h, d, bias)
    with progress.scope(show_progress):
        K = kernel_matrices_bounded(kernels, W, reserved=operator_bytes(h, d, bias), b=b)
    return HessianOperator(K, W, v, error=hessian_error(K, W, v), kernels=kernels)


def operator_bytes(h: int, d: int, bias: bool = False) -> int:
    """Bytes the operator keeps: its kernel matrices and the weights (with biases five more
    ``h x h`` matrices: ``K10, K01, K11, K21 v, K12``, and ``KR`` for the ReLU family)."""
    return 8 * ((_STORED_MATRICES + 6 * bias) * h * h + h * d + h)


def matvec_bytes(h: int, d: int) -> int:
    """Scratch bytes of one product ``H @ x`` (``S``, the combined matrix ``N``, one
    temporary, and four ``h x d`` arrays)."""
    return 8 * (3 * h * h + 4 * h * d + 8 * h)


def build_bytes(h: int, d: int, bias: bool = False) -> int:
    """Peak bytes while the operator is built: the six (ten with biases) kernel matrices,
    ``v v^T`` and the operator's own matrices at once (row blocks keep the kernel modules'
    scratch small)."""
    return operator_bytes(h, d, bias) + 8 * (7 + 6 * bias) * h * h


def check_operator_memory(h: int, d: int, bias: bool = False) -> None:
    """Refuse, before allocating anything, kernel matrices that would not fit in memory."""
    memory.require(
        operator_memory(h, d, bias),
        f"the Hessian operator for h = {h}, d = {d} (its h x h kernel matrices)",
        "use fewer hidden units",
    )


def operator_memory(h: int, d: int, bias: bool = False) -> int:
    """Peak bytes of building the operator and of one product with it."""
    return max(build_bytes(h, d, bias), operator_bytes(h, d, bias) + matvec_bytes(h, d))


def _trace_from_diagonals(K: dict[str, np.ndarray], W: np.ndarray, v: np.ndarray) -> float:
    # H_WW[(i,j),(i,j)] = v_i^2 (K11 + W_ij^2 (K31 + 2 K22 + K13)) and H_vv[i,i] = K00, at [i, i];
    # with biases H_bb[i,i] = v_i^2 K11.
    return float(np.sum(_diagonal_from_diagonals(K, W, v)))


def _diagonal_from_diagonals(K: dict[str, np.ndarray], W: np.ndarray, v: np.ndarray) -> np.ndarray:
    quad = K["K31"] + 2 * K["K22"] + K["K13"]
    ww = (v * v)[:, None] * (K["K11"][:, None] + W * W * quad[:, None])
    parts = [ww.reshape(-1), K["K00"]]
    if "K10" in K:
        parts.append(v * v * K["K11"])
    return np.concatenate(parts)


def hessian_trace(activation, W, v, b=None, *, kernel_dirs=None) -> float:
    """``trace(H)`` from the kernels on the diagonal ``a = b = c = |w_i|^2`` alone, ``O(h d)``.

    Parameters
    ----------
    activation : str, coefficient list, Activation or Kernels
    W : array_like, shape (h, d)
    v : array_like, shape (h,)
    b : array_like, shape (h,), optional
        Hidden-unit biases.
    """
    kernels = resolve(activation, kernel_dirs)  # a Kernels object passes through
    W, v = check_weights(W, v)
    W, v = W.astype(np.float64), v.astype(np.float64)
    if b is not None:
        b = check_biases(b, W.shape[0]).astype(np.float64)
    return _trace_from_diagonals(diagonal_kernels(kernels, W, b), W, v)


class HessianOperator(LinearOperator):
    """``H @ x`` at ``O(h^2 d)`` per vector; see the module docstring for the formula.

    Parameters
    ----------
    K : dict of str to ndarray, each (h, h)
        Kernel matrices from :func:`symhess.curvature.matrices.kernel_matrices` (``K13 = K31^T``).
    W : ndarray, shape (h, d)
    v : ndarray, shape (h,)
    kernels : Kernels, optional
        The kernels ``K`` came from; solvers that build structured preconditioners from the
        kernels on the diagonal (:mod:`symhess.spectra.preconditioners`) need them.

    Attributes
    ----------
    h, d, P : int
    products : int
        Vectors multiplied so far (a block of ``m`` counts ``m``).
    error : HessianError or None
        A bound on ``||H - H_true||_2`` (kernel error estimates and rounding); set by
        :func:`operator`.
    kernels : Kernels or None
    kernel_diagonals : dict of str to ndarray, each (h,)
        ``K_pq[i, i]`` (the kernels at ``a = b = c = |w_i|^2``).
    K00 : ndarray, shape (h, h)
        The ``v``-block of ``H``.
    """

    def __init__(
        self,
        K: dict[str, np.ndarray],
        W: np.ndarray,
        v: np.ndarray,
        error: HessianError | None = None,
        kernels=None,
    ):
        W = np.ascontiguousarray(W, dtype=np.float64)
        v = np.ascontiguousarray(v, dtype=np.float64)
        h, d = W.shape
        self.bias = "K10" in K
        self.P0 = h * d + h
        P = self.P0 + h * self.bias
        super().__init__(dtype=np.float64, shape=(P, P))
        self.h, self.d, self.P = h, d, P
        self.W, self.v = W, v
        self._diag = {name: np.diagonal(K[name]).copy() for name in MEAN_NAMES if name in K}
        self.products = 0
        self.error = error
        self.kernels = kernels
        vv = np.multiply.outer(v, v)
        self._A = vv * K["K11"]
        self._K20 = np.ascontiguousarray(K["K20"])
        self._K00 = np.ascontiguousarray(K["K00"])
        if self.bias:
            self._K11 = np.ascontiguousarray(K["K11"])
            self._K10 = np.ascontiguousarray(K["K10"])
            self._K01 = np.ascontiguousarray(K["K01"])
            self._K12 = np.ascontiguousarray(K["K12"])
            self._K21 = np.ascontiguousarray(K["K21"])
        self._bisector = "KB" in K
        if self._bisector:
            self._init_bisector(K, vv)
            return
        self._G = vv * K["K22"]
        # B and V^T side by side (and K21 v with biases): one batched product gives all the
        # row sums over S.
        BV = np.empty((h, h, 2 + self.bias))
        np.multiply(vv, K["K31"], out=BV[:, :, 0])
        np.multiply(K["K11"], v[None, :], out=BV[:, :, 1])  # (V^T)_ki = K11_ki v_i
        if self.bias:
            np.multiply(K["K21"], v[None, :], out=BV[:, :, 2])  # K21_ik v_k
        self._BV = BV
        # Contiguous copies of D = B^T and V for the entrywise pass over S.
        self._D = np.ascontiguousarray(BV[:, :, 0].T)
        self._V = np.ascontiguousarray(BV[:, :, 1].T)

    def _init_bisector(self, K: dict[str, np.ndarray], vv: np.ndarray) -> None:
        S, Dn = K["S"], K["Dn"]
        coef = vv * K["KB"]
        self._U = np.ascontiguousarray(K["U"])
        self._r = np.ascontiguousarray(K["r"])
        self._GT = np.where(S > 0, coef / np.where(S > 0, S * S, 1.0), 0.0)
        self._GR = np.where(Dn > 0, coef / np.where(Dn > 0, Dn * Dn, 1.0), 0.0)
        self._V = K["K11"] * self.v[:, None]  # V_ik = v_i K11_ik
        self._VT = np.ascontiguousarray(self._V.T)
        self._regular = "KR" in K
        # Row sums over the intact Sh in one batched product: V^T, and with biases
        # vv o KR (regular part) and K21 v (bias block).
        sums = [self._VT]
        if self._regular:
            self._KR = vv * K["KR"]
            self._KRT = np.ascontiguousarray(self._KR.T)
            sums.append(self._KR)
        if self.bias:
            sums.append(K["K21"] * self.v[None, :])
        self._SUMS = np.stack(sums, axis=2)

    @property
    def kernel_diagonals(self) -> dict[str, np.ndarray]:
        return self._diag

    @property
    def K00(self) -> np.ndarray:
        return self._K00

    @property
    def blocks(self) -> dict[str, np.ndarray] | None:
        """The ``h x h`` matrices of the product formula (module docstring) - ``A``, ``B``,
        ``G``, ``D``, ``V``, ``K20``, ``K00`` - for structured solvers
        (:mod:`symhess.spectra.linear_level`); ``None`` for the ReLU family's bisector form.
        They describe the ``(W, v)`` part of ``H``; with biases the bias blocks come on top."""
        if self._bisector:
            return None
        return {
            "A": self._A,
            "B": self._BV[:, :, 0],
            "G": self._G,
            "D": self._D,
            "V": self._V,
            "K20": self._K20,
            "K00": self._K00,
        }

    # ------------------------------------------------------------------ structure
    def _adjoint(self):
        return self

    def _transpose(self):
        return self

    def trace(self) -> float:
        """Exact ``trace(H)`` from the kernels' diagonals, ``O(h d)``."""
        return _trace_from_diagonals(self._diag, self.W, self.v)

    def diagonal(self) -> np.ndarray:
        """The diagonal of ``H``, shape ``(P,)``, ``O(h d)``."""
        return _diagonal_from_diagonals(self._diag, self.W, self.v)

    @property
    def nbytes(self) -> int:
        return operator_bytes(self.h, self.d)

    def block_size(self) -> int:
        """How many vectors one product handles at a time within the scratch budget."""
        largest = 8 * self.h * max(self.h, self.d)
        return max(
            1, min(_MATMAT_BUDGET // matvec_bytes(self.h, self.d), _TEMPORARY_BUDGET // largest)
        )

    # ------------------------------------------------------------------ products
    def _matvec(self, x):
        return self._matmat(np.asarray(x).reshape(-1, 1)).reshape(-1)

    def _matmat(self, X):
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[0] != self.P:
            raise SymhessError(f"expected vectors of length P = {self.P}, got shape {X.shape}")
        if np.iscomplexobj(X):
            return self._matmat(X.real) + 1j * self._matmat(X.imag)
        if not (np.issubdtype(X.dtype, np.floating) or np.issubdtype(X.dtype, np.integer)):
            raise SymhessError(f"vectors must hold real numbers, got dtype {X.dtype}")
        if not np.all(np.isfinite(X)):
            raise SymhessError("the vector has NaN or infinite entries")
        m = X.shape[1]
        out = np.empty((self.P, m))
        step = self.block_size()
        for start in range(0, m, step):
            cols = slice(start, min(m, start + step))
            out[:, cols] = self._block(np.ascontiguousarray(X[:, cols], dtype=np.float64))
        self.products += m
        return out

    def _block(self, X: np.ndarray) -> np.ndarray:
        """``H @ X`` for ``X`` of shape ``(P, m)``, C-contiguous."""
        h, d, v = self.h, self.d, self.v
        hd, P0 = h * d, self.P0
        base = self._block_bisector if self._bisector else self._block_formula
        out, sb, t = base(X[:P0] if self.bias else X)
        if not self.bias:
            return out
        m = X.shape[1]
        W = self.W
        y = X[hd:P0]
        z = v[:, None] * X[P0:]  # (h, m)
        # (H x)_W += diag(v) [K12 (z o W) + diag(K21 z) W]
        term = np.matmul(self._K12[None], z.T[:, :, None] * W[None])  # (m, h, d)
        term += (self._K21 @ z).T[:, :, None] * W[None]
        term *= v[None, :, None]
        full = np.empty((self.P, m))
        full[:hd] = out[:hd] + term.transpose(1, 2, 0).reshape(hd, m)
        full[hd:P0] = out[hd:] + self._K01 @ z
        # (H x)_b = v o [(K21 o S) v + K12 (v o t) + K10 y + K11 z]
        full[P0:] = v[:, None] * (sb + self._K12 @ (v[:, None] * t) + self._K10 @ y + self._K11 @ z)
        return full

    def _block_formula(self, X: np.ndarray):
        """``H @ X`` without the bias blocks (module docstring), the sums ``(K21 o S) v`` of
        the bias block (``None`` without biases) and ``t_k = w_k . x_k``."""
        h, d, W, v = self.h, self.d, self.W, self.v
        hd = h * d
        m = X.shape[1]
        Xr = X[:hd].reshape(h, d, m)  # Xr[k, l, b] = X_kl of vector b
        y = X[hd:]  # (h, m)
        # S[i, b, k] = w_i . x_k (vector b): one product W (h x d) @ (d x m h)
        S = (W @ Xr.transpose(1, 2, 0).reshape(d, m * h)).reshape(h, m, h)
        t = np.einsum("kjb,kj->kb", Xr, W)  # t[k, b] = w_k . x_k
        # [i, b, 0] = sum_k B_ik S_ik; [k, b, 1] = sum_i V_ik S_ki;
        # with biases [i, b, 2] = sum_k K21_ik v_k S_ik
        sums = np.matmul(S, self._BV)
        # N[i, b, k] = G_ik S_ik + D_ik t_k + V_ik y_k  (D = B^T, V = (V^T)^T)
        N = S
        N *= self._G[:, None, :]
        scratch = np.multiply(self._D[:, None, :], t.T[None, :, :])
        N += scratch
        N += np.multiply(self._V[:, None, :], y.T[None, :, :], out=scratch)
        NW = (N.reshape(h * m, h) @ W).reshape(h, m, d)
        AX = (self._A @ Xr.reshape(h, d * m)).reshape(h, d, m)
        c = sums[:, :, 0] + self._G @ t + v[:, None] * (self._K20 @ y)  # (h, m)
        AX += NW.transpose(0, 2, 1)
        AX += W[:, :, None] * c[:, None, :]
        out = np.empty((hd + h, m))
        out[:hd] = AX.reshape(hd, m)
        out[hd:] = self._K20.T @ (v[:, None] * t) + sums[:, :, 1] + self._K00 @ y
        return out, (sums[:, :, 2] if self.bias else None), t

    def _block_bisector(self, X: np.ndarray):
        """:meth:`_block_formula` in the bisector form (ReLU family; module docstring)."""
        h, d, v, U, r = self.h, self.d, self.v, self._U, self._r
        hd = h * d
        m = X.shape[1]
        Xr = X[:hd].reshape(h, d, m)  # Xr[k, l, b] = X_kl of vector b
        y = X[hd:]  # (h, m)
        Sh = (U @ Xr.transpose(1, 2, 0).reshape(d, m * h)).reshape(h, m, h)  # [i, b, k]
        th = Sh[np.arange(h), :, np.arange(h)].T[None, :, :]  # [., b, k] = u_k . x_k
        out = np.empty((hd + h, m))
        # the row sums over Sh while it is intact: sum_i V_ik |w_k| Sh_ki (for (H x)_v), and
        # with biases sum_k (vv o KR)_ik Sh_ik and sum_k K21_ik v_k |w_i| Sh_ik
        sums = np.matmul(Sh, self._SUMS)  # (h, m, q)
        cross = sums[:, :, 0] * r[:, None]  # (h, m), [k, b]
        t = r[:, None] * th[0].T  # t_i = w_i . x_i, (h, m)
        out[hd:] = self._K20.T @ (v[:, None] * t) + cross + self._K00 @ y
        tp = Sh + th
        tp *= self._GT[:, None, :]
        rm = np.subtract(Sh, th, out=Sh)
        rm *= self._GR[:, None, :]
        n1 = tp.sum(axis=2) - rm.sum(axis=2)  # (h, m)
        N = tp
        N += rm
        N += self._V[:, None, :] * (y * r[:, None]).T[None, :, :]
        if self._regular:  # KR_ik u_i (u_i . x_k) + KR_ki u_k (u_k . x_k)
            n1 += sums[:, :, 1]
            N += self._KRT[:, None, :] * th
        NU = (N.reshape(h * m, h) @ U).reshape(h, m, d)
        AX = (self._A @ Xr.reshape(h, d * m)).reshape(h, d, m)
        c = n1 + r[:, None] * (v[:, None] * (self._K20 @ y))
        AX += NU.transpose(0, 2, 1)
        AX += U[:, :, None] * c[:, None, :]
        out[:hd] = AX.reshape(hd, m)
        sb = sums[:, :, -1] * r[:, None] if self.bias else None
        return out, sb, t
