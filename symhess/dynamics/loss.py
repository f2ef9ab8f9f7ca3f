"""The exact population loss around a teacher and its gradient, from ``K00`` alone.

``L(W, v) = 1/2 E_x[(f(x) - f_teacher(x))^2]``, no sampling::

    L = 1/2 [v^T K(W,W) v - 2 v^T K(W,W_t) v_t + v_t^T K(W_t,W_t) v_t]

and its gradient from Price's theorem (``dK00/dc = K11``, ``dK00/da = K20/2``)::

    dL/dv   = K(W,W) v - K(W,W_t) v_t
    dL/dw_i = v_i sum_k [v_k (K20[i,k] w_i + K11[i,k] w_k)
                         - v_t,k (K20_t[i,k] w_i + K11_t[i,k] w_t,k)]

(kernels at ``(|w_i|^2, |w_k|^2, w_i . w_k)`` and at ``(|w_i|^2, |w_t,k|^2, w_i . w_t,k)``; the
diagonal ``i = k`` is covered because ``c_ii = |w_i|^2`` contributes ``dK/dc`` twice). Any
activation with kernels works (polynomials, erf, the ReLU family, quadrature). Derivation:
docs/theory.md, "Dynamics near the optimum".

The formulas live in one place, :class:`symhess.curvature.anywhere.Landscape` (which also gives
the Hessian anywhere); :class:`PopulationLoss` is the view of it the training loops use. In
float64 the kernels come from one evaluation over the stacked rows ``R = (W, W_t)``,
``L = 1/2 u^T K00(R, R) u`` with ``u = (v, -v_t)``, by
:class:`~symhess.kernels.consistent.ConsistentRule`: for quadrature kernels one Mehler rule
for every entry, so the terms cancel consistently and the loss stays accurate relative to
itself down to its rounding floor (entry-wise rules would leave ~1e-12 of absolute noise).
"""

from __future__ import annotations

import numpy as np

from ..curvature.anywhere import Landscape
from ..kernels import Kernels
from ..teacher import Teacher


class PopulationLoss:
    """The exact generalization error around a teacher, and its gradient.

    Parameters
    ----------
    kernels : Kernels
        From :func:`symhess.kernels.resolve`.
    teacher : Teacher
        Fixed target network (``W_t``: h_t x d, ``v_t``: h_t).

    Attributes
    ----------
    landscape : Landscape
        The same loss with its Hessian, for students of any width.
    rule : ConsistentRule or None
        The landscape's float64 rule (``None`` for the ReLU family, whose kernels come from
        the vectors).
    """

    def __init__(self, kernels: Kernels, teacher: Teacher):
        self.kernels = kernels
        self.teacher = teacher
        self.landscape = Landscape(kernels, teacher.W, teacher.v)
        self.rule = self.landscape.rule

    def session(self):
        """A block of many evaluations (a training run); see
        :meth:`~symhess.kernels.consistent.ConsistentRule.session`."""
        return self.landscape.session()

    @property
    def route(self) -> str:
        """How the kernels of the last evaluation were computed."""
        return self.landscape.route

    @property
    def tol(self) -> float | None:
        """The tolerance of the consistent quadrature rule (``None`` for exact kernels)."""
        return None if self.rule is None else self.rule.tol

    def __call__(self, W, v, system: str = "float64"):
        """``L(W, v)``: a float, or an mpmath number for ``system="mpmath"``.

        In float64 the terms cancel to ``L``: absolute rounding ``~ eps`` times their size
        (see :meth:`value_and_gradient`). ``system="mpmath"`` evaluates at the current
        ``mpmath.mp.dps`` (the weights enter with their exact binary values).
        """
        return self.landscape.loss(W, v, system=system)

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
        return self.landscape.value_and_gradient(W, v)

    def gradient(self, W, v) -> tuple[np.ndarray, np.ndarray]:
        """``(dL/dW (h, d), dL/dv (h,))``."""
        return self.landscape.value_and_gradient(W, v)[1:3]
