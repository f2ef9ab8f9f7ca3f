"""The exact population loss around a teacher and its gradient, from ``K00`` alone.

``L(W, v) = 1/2 E_x[(f(x) - f_teacher(x))^2]``, no sampling::

    L = 1/2 [v^T K(W,W) v - 2 v^T K(W,W_t) v_t + v_t^T K(W_t,W_t) v_t]

and its gradient from Price's theorem (``dK00/dc = K11``, ``dK00/da = K20/2``)::

    dL/dv   = K(W,W) v - K(W,W_t) v_t
    dL/dw_i = v_i sum_k [v_k (K20[i,k] w_i + K11[i,k] w_k)
                         - v_t,k (K20_t[i,k] w_i + K11_t[i,k] w_t,k)]

(kernels at ``(|w_i|^2, |w_k|^2, w_i . w_k)`` and at ``(|w_i|^2, |w_t,k|^2, w_i . w_t,k)``; the
diagonal ``i = k`` is covered because ``c_ii = |w_i|^2`` contributes ``dK/dc`` twice). Any
activation with kernels works (polynomials, erf, quadrature). Derivation: docs/theory.md,
"Dynamics near the optimum".
"""

from __future__ import annotations

import numpy as np

from ..base import systems
from ..curvature.matrices import kernel_matrices
from ..errors import SymhessError
from ..kernels import Kernels
from ..spectra.zeros import EPS
from ..teacher import Teacher, check_weights


class PopulationLoss:
    """The exact generalization error around a teacher, and its gradient.

    Parameters
    ----------
    kernels : Kernels
        From :func:`symhess.kernels.resolve`.
    teacher : Teacher
        Fixed target network (``W_t``: h_t x d, ``v_t``: h_t).
    """

    def __init__(self, kernels: Kernels, teacher: Teacher):
        self.kernels = kernels
        self.teacher = teacher
        Wt, vt = teacher.W, teacher.v
        Ktt = kernel_matrices(kernels, Wt)["K00"]
        self._tt = float(vt @ Ktt @ vt)
        self._tt_abs = float(np.abs(vt) @ np.abs(Ktt) @ np.abs(vt))

    def _check(self, W, v):
        W, v = check_weights(W, v)
        if W.shape[1] != self.teacher.d:
            raise SymhessError(
                f"W has {W.shape[1]} columns but the teacher's input dimension is {self.teacher.d}"
            )
        return W, v

    def __call__(self, W, v, system: str = "float64"):
        """``L(W, v)``: a float, or an mpmath number for ``system="mpmath"``.

        In float64 the three terms cancel to ``L``: absolute rounding ``~ eps`` times their
        size (see :meth:`rounding_floor`). ``system="mpmath"`` evaluates at the current
        ``mpmath.mp.dps`` (the weights enter with their exact binary values).
        """
        W, v = self._check(W, v)
        if system == "float64":
            return self.value_and_gradient(W, v)[0]
        Wt, vt = (systems.array(x, system) for x in (self.teacher.W, self.teacher.v))
        W, v = systems.array(W, system), systems.array(v, system)
        Kss = kernel_matrices(self.kernels, W, system=system)["K00"]
        Kst = kernel_matrices(self.kernels, W, Wt, system=system)["K00"]
        Ktt = kernel_matrices(self.kernels, Wt, system=system)["K00"]
        return (v.dot(Kss).dot(v) - 2 * v.dot(Kst).dot(vt) + vt.dot(Ktt).dot(vt)) / 2

    def value_and_gradient(self, W, v) -> tuple[float, np.ndarray, np.ndarray, float]:
        """``(L, dL/dW, dL/dv, floor)`` in float64.

        Parameters
        ----------
        W : ndarray, shape (h, d)
        v : ndarray, shape (h,)

        Returns
        -------
        L : float
        gW : ndarray, shape (h, d)
        gv : ndarray, shape (h,)
        floor : float
            ``eps`` times the summed magnitude of the three cancelling terms: values of
            ``L`` below a few hundred times this are rounding noise.
        """
        Wt, vt = self.teacher.W, self.teacher.v
        S = kernel_matrices(self.kernels, W)
        X = kernel_matrices(self.kernels, W, Wt)
        Sv, Xv = S["K00"] @ v, X["K00"] @ vt
        loss = 0.5 * (v @ Sv - 2 * v @ Xv + self._tt)
        gv = Sv - Xv
        gW = v[:, None] * (
            ((S["K20"] @ v) - (X["K20"] @ vt))[:, None] * W
            + (S["K11"] * v[None, :]) @ W
            - (X["K11"] * vt[None, :]) @ Wt
        )
        av, avt = np.abs(v), np.abs(vt)
        floor = EPS * (av @ np.abs(S["K00"]) @ av + 2 * av @ np.abs(X["K00"]) @ avt + self._tt_abs)
        return float(loss), gW, gv, float(floor)

    def gradient(self, W, v) -> tuple[np.ndarray, np.ndarray]:
        """``(dL/dW (h, d), dL/dv (h,))``."""
        W, v = self._check(W, v)
        return self.value_and_gradient(W, v)[1:3]
