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

In float64 the kernels come from one evaluation over the stacked rows ``R = (W, W_t)``,
``L = 1/2 u^T K00(R, R) u`` with ``u = (v, -v_t)``, by
:class:`~symhess.kernels.consistent.ConsistentRule`: for quadrature kernels one Mehler rule
for every entry, so the terms cancel consistently and the loss stays accurate relative to
itself down to its rounding floor (entry-wise rules would leave ~1e-12 of absolute noise).
"""

from __future__ import annotations

import numpy as np

from ..base import systems
from ..curvature.matrices import kernel_matrices
from ..errors import SymhessError
from ..kernels import Kernels
from ..kernels.consistent import ConsistentRule
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
        self.rule = ConsistentRule(kernels)

    def session(self):
        """A block of many evaluations (a training run); see
        :meth:`~symhess.kernels.consistent.ConsistentRule.session`."""
        return self.rule.session()

    @property
    def route(self) -> str:
        """How the kernels of the last evaluation were computed."""
        return self.rule.route

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
            ``eps`` times the summed magnitude of the cancelling terms (plus the kernels'
            own error when they could not be evaluated by one consistent rule): values of
            ``L`` below a few hundred times this are noise.
        """
        h = W.shape[0]
        R = np.concatenate([W, self.teacher.W])
        u = np.concatenate([v, -self.teacher.v])
        K, errors = self.rule(R)
        Ku = K["K00"] @ u
        loss = 0.5 * (u @ Ku)
        gv = Ku[:h]
        gW = v[:, None] * ((K["K20"][:h] @ u)[:, None] * W + (K["K11"][:h] * u[None, :]) @ R)
        au = np.abs(u)
        floor = EPS * (au @ np.abs(K["K00"]) @ au)
        if errors is not None and not self.rule.route.startswith("one Mehler"):
            floor += au @ errors["K00"] @ au
        return float(loss), gW, gv, float(floor)

    def gradient(self, W, v) -> tuple[np.ndarray, np.ndarray]:
        """``(dL/dW (h, d), dL/dv (h,))``."""
        W, v = self._check(W, v)
        return self.value_and_gradient(W, v)[1:3]
