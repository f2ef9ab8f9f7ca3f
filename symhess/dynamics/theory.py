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
    return linearised_loss(lam, np.full(lam.size, float(noise) ** 2), t, lr)


def decay_rates(eigenvalues, lr: float | None = None) -> np.ndarray:
    """Rates ``r_k`` with ``L ~ sum_k w_k lambda_k exp(-r_k t)``: ``2 lambda_k`` for gradient
    flow, ``-2 log|1 - lr lambda_k| / lr`` for discrete steps.

    Parameters
    ----------
    eigenvalues : array_like, shape (k,)
        Positive eigenvalues.
    lr : float, optional
    """
    lam = np.asarray(eigenvalues, dtype=float)
    if lr is None:
        return 2 * lam
    base = np.abs(1 - lr * lam)
    if np.any(base >= 1):
        raise SymhessError(
            f"lr = {lr:g} is not below 2 / lambda_max = {2 / lam.max():.6g}: "
            "gradient descent does not converge"
        )
    return -2 * np.log(base) / lr


def linearised_loss(eigenvalues, weights, t, lr: float | None = None) -> np.ndarray:
    """``1/2 sum_k w_k lambda_k exp(-r_k t)``: the loss of the linearised dynamics.

    Parameters
    ----------
    eigenvalues : array_like, shape (k,)
        Positive Hessian eigenvalues.
    weights : array_like, shape (k,)
        Squared components of ``delta(0)`` along the eigenvectors (for one run), their mean
        over runs, or ``s^2`` each for the expectation over ``delta(0) ~ N(0, s^2 I)``.
    t : array_like
    lr : float, optional
        Discrete steps of size ``lr`` (:func:`decay_rates`).

    Returns
    -------
    ndarray, shape of ``t``
    """
    lam = np.asarray(eigenvalues, dtype=float)
    rates = decay_rates(lam, lr)
    t = np.asarray(t, dtype=float)
    return np.exp(-np.multiply.outer(t, rates)) @ (np.asarray(weights, dtype=float) * lam) / 2


def asymptotic_start(
    eigenvalues, weights, lr: float | None = None, tolerance: float = 0.01
) -> float:
    """The earliest time from which ``linearised_loss`` decays within ``tolerance`` of its
    late-time rate (the smallest rate ``r_min``), i.e. ``-d log L / dt <= (1 + tolerance)
    r_min``.

    ``-d log L / dt`` is a weighted mean of the rates with weights ``w_k lambda_k
    exp(-r_k t)``; its derivative is minus their weighted variance, so it falls
    monotonically and the time is found by bisection.

    Returns
    -------
    float
        ``0`` if the decay is within tolerance from the start; ``inf`` if it never is
        (no weight on the slowest direction).
    """
    lam = np.asarray(eigenvalues, dtype=float)
    rates = decay_rates(lam, lr)
    a = np.asarray(weights, dtype=float) * lam
    keep = a > 0
    if not keep.any():
        return float("inf")
    rates, a = rates[keep], a[keep]
    target = (1 + tolerance) * rates.min()

    def slope(t):
        e = a * np.exp(-(rates - rates.min()) * t)  # scaled: no underflow at late times
        return float(e @ rates / e.sum())

    if slope(0.0) <= target:
        return 0.0
    hi = 1.0 / rates.min()
    while slope(hi) > target:
        hi *= 2
        if hi * rates.min() > 1e6:
            return float("inf")
    lo = 0.0
    for _ in range(60):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if slope(mid) <= target else (mid, hi)
    return hi


def discrete_rate(lam_min: float, lr: float) -> float:
    """Late-time decay rate of ``L`` for discrete steps: ``-2 log|1 - lr lambda_min| / lr``."""
    return float(decay_rates([lam_min], lr)[0])


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


def late_rate(t, loss, floor=None, start: float = 2 / 3, t_start: float | None = None) -> RateFit:
    """Fit ``log L = c - rate t`` on the last part of a run.

    Parameters
    ----------
    t, loss : array_like, shape (n,)
    floor : array_like, shape (n,), optional
        Rounding floor of each loss value: points below ``100 floor`` are left out.
    start : float
        Fit the times from ``start * t_max`` on (default: the last third).
    t_start : float, optional
        Fit the times from ``t_start`` on instead (e.g. :func:`asymptotic_start`).
    """
    t = np.asarray(t, dtype=float)
    loss = np.asarray(loss, dtype=float)
    first = start * t.max() if t_start is None else t_start
    keep = (t >= first) & (loss > 0)
    if floor is not None:
        keep &= loss > 100 * np.asarray(floor, dtype=float)
    if keep.sum() < 3:
        raise SymhessError(
            "fewer than 3 usable points in the late-time window (the loss fell to its "
            "rounding floor): use fewer steps, a smaller lr, or a larger noise"
        )
    slope, _ = np.polyfit(t[keep], np.log(loss[keep]), 1)
    return RateFit(float(-slope), float(t[keep].min()), float(t[keep].max()), int(keep.sum()))
