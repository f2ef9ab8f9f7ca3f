"""What the Hessian predicts for learning near the optimum (docs/theory.md, "Dynamics near
the optimum").

* :func:`predicted_loss` ``E L(t) = (s^2/2) sum_k lambda_k exp(-2 lambda_k t)`` for
  ``delta(0) ~ N(0, s^2 I)``, eigenvalues zero up to rounding dropped; with ``lr`` the exact
  discrete-step version ``(s^2/2) sum_k lambda_k (1 - lr lambda_k)^(2 t / lr)``;
* :func:`late_rate`: the slope of ``-log L`` over the last part of a run, to compare with
  ``2 lambda_min`` (flow) or ``-2 log(1 - lr lambda_min) / lr`` (discrete steps).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import SymhessError
from ..spectra.zeros import drop_zeros


def predicted_loss(eigenvalues, noise: float, t, lr: float | None = None) -> np.ndarray:
    """``E L(t)`` for ``delta(0) ~ N(0, s^2 I)`` near the optimum (paper eq. 7).

    Parameters
    ----------
    eigenvalues : array_like, shape (P,) or fewer
        Hessian eigenvalues; those zero up to rounding (:func:`symhess.spectra.zeros.drop_zeros`)
        are dropped, so that rounding noise neither adds a constant plateau nor (if
        negative) a growing term.
    noise : float
        ``s``.
    t : array_like
        Times.
    lr : float, optional
        Learning rate of discrete gradient descent: use ``(1 - lr lambda)^(2 t/lr)``
        instead of ``exp(-2 lambda t)``.

    Returns
    -------
    ndarray, shape of ``t``
    """
    lam = drop_zeros(np.asarray(eigenvalues, dtype=float))
    t = np.asarray(t, dtype=float)
    if lr is None:
        decay = np.exp(-2 * np.multiply.outer(t, lam))
    else:
        base = 1 - lr * lam
        if np.any(np.abs(base) >= 1):
            raise SymhessError(
                f"lr = {lr:g} is not below 2 / lambda_max = {2 / lam.max():.6g}: "
                "gradient descent does not converge"
            )
        decay = np.abs(base) ** (2 * np.multiply.outer(t, np.ones_like(lam)) / lr)
    return noise**2 / 2 * (decay @ lam)


def discrete_rate(lam_min: float, lr: float) -> float:
    """Late-time decay rate of ``L`` for discrete steps: ``-2 log|1 - lr lambda_min| / lr``."""
    return float(-2 * np.log(abs(1 - lr * lam_min)) / lr)


@dataclass(frozen=True)
class RateFit:
    """A straight-line fit of ``log L`` against ``t``.

    Attributes
    ----------
    rate : float
        Minus the slope: ``L ~ exp(-rate t)``.
    t0, t1 : float
        The time window fitted.
    points : int
    """

    rate: float
    t0: float
    t1: float
    points: int


def late_rate(t, loss, floor=None, start: float = 2 / 3) -> RateFit:
    """Fit ``log L = c - rate t`` on the last part of a run.

    Parameters
    ----------
    t, loss : array_like, shape (n,)
    floor : array_like, shape (n,), optional
        Rounding floor of each loss value: points below ``100 floor`` are left out.
    start : float
        Fit the times from ``start * t_max`` on (default: the last third).
    """
    t = np.asarray(t, dtype=float)
    loss = np.asarray(loss, dtype=float)
    keep = (t >= start * t.max()) & (loss > 0)
    if floor is not None:
        keep &= loss > 100 * np.asarray(floor, dtype=float)
    if keep.sum() < 3:
        raise SymhessError(
            "fewer than 3 usable points in the late-time window (the loss fell to its "
            "rounding floor): use fewer steps, a smaller lr, or a larger noise"
        )
    slope, _ = np.polyfit(t[keep], np.log(loss[keep]), 1)
    return RateFit(float(-slope), float(t[keep].min()), float(t[keep].max()), int(keep.sum()))
