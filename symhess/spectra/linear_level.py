"""The linear Hermite level of the Hessian at the optimum: ``Z``, ``Z^T Z`` and ``Z^T H Z``.

By Stein's lemma the degree-1 Hermite coefficient of ``f`` is ``beta = sum_i v_i g(a_i) w_i``
(``a_i = |w_i|^2``, ``g(a) = E[sigma'(sqrt(a) xi)]``), and ``H = Z Z^T + (the other degrees)``
with ``Z = (d beta / d theta)^T`` (``P x d``)::

    Z[(i, j), l] = v_i (g_i delta_jl + 2 g'_i W_ij W_il),     Z[hd + i, l] = g_i W_il.

``Z`` is never formed at scale: ``Z u`` and ``Z^T x`` cost ``O(h d)`` per vector, and both
``d x d`` matrices have closed forms in ``O(h^2)`` entrywise work plus two matrix products
(docs/theory.md, "The largest eigenvalues"), with ``p = W u``, ``C = W W^T``::

    Z^T Z   = (sum_i v_i^2 g_i^2) I + W^T diag(g^2 + 4 v^2 g g' + 4 v^2 g'^2 a) W
    Z^T H Z = s I + W^T Phi W

where ``s`` and the ``h x h`` matrix ``Phi`` come from the operator's scaled kernel matrices
(:attr:`symhess.curvature.HessianOperator.blocks`). The top of an erf or tanh Hessian is a
band of ``d`` eigenvalues that ``Z`` nearly spans, which is what
:func:`symhess.spectra.extreme_eigenvalues` exploits for the largest eigenvalues and
:mod:`.preconditioners` for the smallest.
"""

from __future__ import annotations

import numpy as np

from ..errors import SymhessError

__all__ = ["LinearLevel", "linear_level_basis"]


class LinearLevel:
    """``Z`` of a Hessian operator, applied without being formed (module docstring).

    Parameters
    ----------
    op : HessianOperator
        With its ``kernels``.

    Attributes
    ----------
    a, g, gp : ndarray, shape (h,)
        ``|w_i|^2``, ``g(a_i)`` and ``g'(a_i)``.
    h, d, P : int

    Raises
    ------
    SymhessError
        An operator without kernels.
    """

    def __init__(self, op):
        if getattr(op, "kernels", None) is None:
            raise SymhessError("the linear Hermite level needs the operator's kernels")
        self.op = op
        self.W, self.v = op.W, op.v
        self.h, self.d = self.W.shape
        self.P = self.h * self.d + self.h
        self.a, self.g, self.gp = _g_and_derivative(op)
        self._hz_cache: dict[str, np.ndarray] | None = None

    def apply(self, U: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``Z U``: ``U`` of shape ``(d, m)`` to shape ``(P, m)``, ``O(h d m)``; written into
        ``out`` (shape ``(P, m)``, any layout) if given."""
        W, v, g, gp = self.W, self.v, self.g, self.gp
        h, d = self.h, self.d
        m = U.shape[1]
        WU = W @ U  # (h, m), p = W u per column
        if out is None:
            out = np.empty((self.P, m))
        for j in range(m):  # per column: no (h, d, m) temporaries
            Xw = out[: h * d, j].reshape(h, d)
            np.multiply((v * g)[:, None], U[None, :, j], out=Xw)
            Xw += W * ((2 * v * gp) * WU[:, j])[:, None]
        out[h * d :] = g[:, None] * WU
        return out

    def adjoint(self, X: np.ndarray) -> np.ndarray:
        """``Z^T X``: ``X`` of shape ``(P, m)`` to shape ``(d, m)``, ``O(h d m)``."""
        W, v, g, gp = self.W, self.v, self.g, self.gp
        h, d = self.h, self.d
        Xw = X[: h * d].reshape(h, d, X.shape[1])
        t = np.einsum("kjb,kj->kb", Xw, W)  # t_k = w_k . x_k
        out = np.einsum("i,ilb->lb", v * g, Xw)
        out += W.T @ ((2 * v * gp)[:, None] * t + g[:, None] * X[h * d :])
        return out

    def gram(self) -> np.ndarray:
        """``Z^T Z``, shape ``(d, d)``."""
        v, g, gp, a = self.v, self.g, self.gp, self.a
        c = g * g + 4 * v * v * g * gp + 4 * v * v * gp * gp * a
        E = (self.W.T * c) @ self.W
        E[np.diag_indices(self.d)] += np.sum((v * g) ** 2)
        return (E + E.T) / 2

    def projected(self) -> np.ndarray:
        """``Z^T H Z``, shape ``(d, d)``, from the operator's scaled kernel matrices.

        Raises
        ------
        SymhessError
            An operator without the product formula's matrices (the ReLU family's bisector
            form) or with bias blocks.
        """
        W, v, g, gp, a = self.W, self.v, self.g, self.gp, self.a
        hz = self._hz()
        alpha, beta, Q, Gvg = hz["alpha"], hz["beta"], hz["Q"], hz["Gvg"]
        c2, Mv, C = hz["c2"], hz["Mv"], hz["C"]
        vg, vgp = v * g, v * gp
        # Z^T applied to H Z u: the v g-weighted sum of the W rows, and W^T (2 v g' t' + g y)
        # with t'_i = w_i . (H Z u)_W,i
        M1 = np.diag(Q.T @ vg + vg * beta) + Gvg.T * vg[None, :] + vg[:, None] * c2
        T = np.diag(alpha + (Gvg * C).sum(axis=1) + beta * a) + Q * C + a[:, None] * c2
        Phi = M1 + (2 * vgp)[:, None] * T + g[:, None] * Mv
        F = W.T @ (Phi @ W)
        F = (F + F.T) / 2
        F[np.diag_indices(self.d)] += vg @ alpha
        return F

    def hessian_apply(self, U: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """``H Z U`` (shape ``(P, m)``) for ``U`` of shape ``(d, m)``, from the closed form::

            (H Z u)_W,i = alpha_i u + sum_k Q_ik p_k w_k + p_i (Gvg W)_i
                          + (beta_i p_i + (c2 p)_i) w_i
            (H Z u)_v   = Mv p,        p = W u,

        one ``(h x h) @ (h x d)`` product per column instead of the operator's three; written
        into ``out`` if given. Raises as :meth:`projected`.
        """
        W, h, d = self.W, self.h, self.d
        hz = self._hz()
        m = U.shape[1]
        Pm = W @ U  # (h, m)
        rows = hz["beta"][:, None] * Pm + hz["c2"] @ Pm  # the w_i coefficients
        if out is None:
            out = np.empty((self.P, m))
        for j in range(m):
            Xw = out[: h * d, j].reshape(h, d)
            np.matmul(hz["Q"], Pm[:, j, None] * W, out=Xw)
            Xw += hz["alpha"][:, None] * U[None, :, j]
            Xw += Pm[:, j, None] * hz["GW"]
            Xw += rows[:, j, None] * W
        out[h * d :] = hz["Mv"] @ Pm
        return out

    def _hz(self) -> dict[str, np.ndarray]:
        """The pieces of ``H Z u`` (:meth:`hessian_apply`), computed once: ``alpha``, ``beta``
        shape ``(h,)``; ``C = W W^T``, ``Q``, ``Gvg``, ``c2``, ``Mv`` shape ``(h, h)``; ``GW =
        Gvg W`` shape ``(h, d)``."""
        if self._hz_cache is not None:
            return self._hz_cache
        blocks = getattr(self.op, "blocks", None)
        if blocks is None or getattr(self.op, "bias", False):
            raise SymhessError("H Z needs the kernel form of the operator, without biases")
        A, B, G, D, V = blocks["A"], blocks["B"], blocks["G"], blocks["D"], blocks["V"]
        K20, K00 = blocks["K20"], blocks["K00"]
        W, v, g, gp, a = self.W, self.v, self.g, self.gp, self.a
        C = W @ W.T
        vg, vgp = v * g, v * gp
        tau = v * (g + 2 * gp * a)  # for x = Z u: t_k = w_k . x_k = tau_k p_k, y_k = g_k p_k
        Gvg = G * vg[None, :]
        self._hz_cache = {
            "C": C,
            "alpha": A @ vg,
            "beta": B @ vg,
            "Q": A * (2 * vgp)[None, :]
            + 2 * G * C * vgp[None, :]
            + D * tau[None, :]
            + V * g[None, :],
            "Gvg": Gvg,
            "GW": Gvg @ W,
            "c2": 2 * B * C * vgp[None, :] + G * tau[None, :] + (v[:, None] * K20) * g[None, :],
            "Mv": K20.T * (v * tau)[None, :]
            + np.diag(V.T @ vg)
            + 2 * V.T * C * vgp[None, :]
            + K00 * g[None, :],
        }
        return self._hz_cache


def _g_and_derivative(op) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(a, g, g')``: ``a_i = |w_i|^2``, ``g_i = g(a_i)``, ``g'_i = g'(a_i)``, with signs.

    Independent copies (``c = 0``) factor the kernels: ``K11(a, b, 0) = g(a) g(b)`` and, by the
    heat equation ``d/da E[F(sqrt(a) xi)] = E[F''(sqrt(a) xi)] / 2``, ``K31(a, b, 0) =
    2 g'(a) g(b)``. Against a reference unit ``r`` with the largest ``|g_r| =
    sqrt(K11(a_r, a_r, 0))`` this gives ``g_i = K11(a_i, a_r, 0) / g_r`` and ``g'_i =
    K31(a_i, a_r, 0) / (2 g_r)`` with their signs (``g`` changes sign, e.g. ``z - z**3/3`` at
    ``a = 1``, and ``g' != 0`` where ``g = 0``); the sign common to all units is immaterial
    (``Z -> -Z``). Where every ``g_i = 0`` there is no reference, and ``g' = 0``.
    """
    W = op.W
    a = np.einsum("ij,ij->i", W, W)
    zero = np.zeros_like(a)
    own = np.asarray(op.kernels(a, a, zero, "float64")[1], dtype=np.float64)
    r = int(np.argmax(own))
    g_r = np.sqrt(max(float(own[r]), 0.0))
    if not g_r > 0:
        return a, zero.copy(), zero.copy()
    K = op.kernels(a, np.full_like(a, a[r]), zero, "float64")
    g = np.asarray(K[1], dtype=np.float64) / g_r
    gp = np.asarray(K[4], dtype=np.float64) / (2 * g_r)
    return a, g, gp


def linear_level_basis(op) -> np.ndarray:
    """``Z`` (shape ``(P, d)``) formed: the parameter directions that move the linear Hermite
    part; ``Z Z^T`` is the degree-1 Hermite part of ``H`` and ``H - Z Z^T`` is positive
    semi-definite. For small operators and tests; :class:`LinearLevel` applies it at scale.

    Parameters
    ----------
    op : HessianOperator
        With its ``kernels``.
    """
    level = LinearLevel(op)
    return level.apply(np.eye(level.d))
