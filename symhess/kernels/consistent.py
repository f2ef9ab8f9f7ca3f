"""Kernel matrices of a set of rows, evaluated again and again as the rows move a little:
the per-step route of training on the exact population loss.

The loss ``L = 1/2 u^T K00 u`` (``u = (v, -v_teacher)`` over the stacked rows of student and
teacher) is a difference of terms of order one that cancel to ``O(|delta|^2)``. Evaluating
its kernels entry by entry with different rules (1-D on the diagonal, Mehler or 2-D off it,
each to ``1e-12`` of its scale) leaves errors of order ``1e-12`` that do not cancel, so the
loss near the optimum would be noise below ~1e-10. :class:`ConsistentRule` instead uses one
rule for every entry of every step: the Mehler series
``K_pq[i, k] = sum_{n <= N} rho_ik^n F^p_n(a_i) F^q_n(a_k)`` with the coefficients ``F`` from
one fixed 1-D trapezoid grid, the diagonal included (``rho = 1``). The truncated kernel is
itself positive semi-definite (a sum of Schur products of Gram matrices), so the computed loss
is ``1/2 sum_{n <= N} ||P_n (f - f_teacher)||^2`` on the discrete rule: non-negative, zero at
the teacher, smooth in the weights, and its error relative to the loss is of the order of the
tolerance (times the conditioning of the Hessian) rather than absolute.

The rule is checked at every call (coefficient change against the half-resolution rule, the
Parseval tail at ``rho = 1``, the domain) and rebuilt when the weights have moved out of its
reach; when no Mehler order up to ``max_terms`` serves the weights (nearly parallel rows at
large norms) every call falls back to the entry-wise evaluator, and says so in
:attr:`ConsistentRule.route`. Kernels that are exact up to rounding (polynomials, closed
forms) are evaluated as they are.

Cost per call for ``n`` rows: ``n`` 1-D rules and ``O(n^2 N)`` for the sums - about 0.3 ms at
``n = 6`` against ~20 ms for the entry-wise evaluator (benchmarks/bench_quadrature.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import numpy as np

from ..activation.evaluate import derivative_evaluator
from ..base.threads import one_thread
from ..symbolic.names import KERNEL_NAMES, ORDERS
from .evaluator import Kernels
from .quadrature import (
    _EPS,
    _SQRT2PI,
    TERM_LADDER,
    QuadratureKernels,
    SmoothEvaluator,
    _hermite_table,
    _trapezoid,
    _unit_moments,
)
from .smooth import SAFETY, kernel_orders

__all__ = ["ConsistentRule"]

_GROWTH = 1.25  # the rule is built for variances up to this factor above the current largest

CHECK_EVERY = 32
"""Calls between two full checks of the rule (the half-resolution coefficients, the
Parseval tails): the weights of a training run move by small steps, and the tails grow with
the variance, which the rule was built for with a margin (:data:`_GROWTH`); a variance beyond
it rebuilds the rule at once."""


class ConsistentRule:
    """Kernel matrices ``K[i, k]`` of the rows of ``R``, one consistent rule for all calls.

    Parameters
    ----------
    kernels : Kernels
    names : sequence of str
        The kernels wanted (default those of the population loss and its gradient).

    Call it with rows ``R`` of shape ``(n, d)``; it returns ``(values, errors)``: dicts of
    ``(n, n)`` arrays, ``K[i, k]`` at ``(|r_i|^2, |r_k|^2, r_i . r_k)`` with the diagonal at
    ``c = a`` exactly. ``errors`` is ``None`` for exact kernels and for the consistent Mehler
    rule (every entry within ``tol`` of its scale, checked every :data:`CHECK_EVERY` calls
    and whenever a variance leaves the rule's range); the entry-wise fallback returns its
    per-entry estimates.

    Attributes
    ----------
    route : str
        How the last call was computed.
    rebuilds : int
        How many times the Mehler rule was (re)built.
    """

    def __init__(self, kernels: Kernels, names=("K00", "K11", "K20")):
        self.kernels = kernels
        self.names = tuple(names)
        self.rebuilds = 0
        self.route = kernels.origin
        self._rule = None
        self._calls = 0
        self._held = False
        self._mehler = isinstance(kernels, QuadratureKernels)
        if self._mehler:
            pairs, needed = kernel_orders(self.names)
            self._pairs = pairs
            self._derivatives = derivative_evaluator(kernels.activation.expr, needed - 1)
            self._evaluator = SmoothEvaluator(
                self._derivatives,
                kernels.activation.source,
                kernels.tol,
                kernels.max_terms,
                self.names,
            )

    @contextlib.contextmanager
    def session(self) -> Iterator[None]:
        """Many calls in a row (a training run): BLAS on one thread for the whole block
        instead of per call (setting the limit costs ~0.3 ms, as much as a small call)."""
        if self._held or not self._mehler:
            yield
            return
        with one_thread():
            self._held = True
            try:
                yield
            finally:
                self._held = False

    @property
    def tol(self) -> float | None:
        return self.kernels.tol if self._mehler else None

    def __call__(self, R: np.ndarray):
        R = np.asarray(R, dtype=np.float64)
        a = np.einsum("ij,ij->i", R, R)
        C = R @ R.T
        C = (C + C.T) / 2
        C.flat[:: a.size + 1] = a
        if not self._mehler:
            values = self.kernels(a[:, None], a[None, :], C)
            out = dict(zip(KERNEL_NAMES, values, strict=True))
            return {n: _symmetric(out[n], n) for n in self.names}, None
        with contextlib.nullcontext() if self._held else one_thread():
            result = self._mehler_call(a, C)
            if result is not None:
                return result
            self.route = "entry-wise quadrature (no Mehler order serves every pair)"
            res = self._evaluator(a[:, None], a[None, :], C)
            values = dict(zip(self.names, res.values, strict=True))
            errors = dict(zip(self.names, res.errors, strict=True))
            return values, errors

    # ------------------------------------------------------------------ Mehler
    def _mehler_call(self, a, C):
        if self._rule is None or a.max(initial=0.0) > self._rule["a_max"]:
            self._build(a)
            if self._rule is None:
                return None
            self._calls = 0
        check = self._calls % CHECK_EVERY == 0
        self._calls += 1
        out = self._apply(a, C, check)
        if out is None:  # the weights moved out of the rule's reach: rebuild for them once
            self._build(a)
            if self._rule is None:
                return None
            self._calls = 1
            out = self._apply(a, C, True)
        return out

    def _build(self, a):
        ev = self._evaluator
        a_ext = np.append(a, _GROWTH * a.max(initial=0.0))
        target = 0.5 * SAFETY * ev.tol
        N = TERM_LADDER[2]
        units = None
        while True:
            units = _unit_moments(
                self._derivatives, a_ext, N, self._pairs, ev.tol, ev.omega, ev.source, units
            )
            D = np.einsum("ppm->pm", units.D)
            if np.all(units.tails[:, :, N + 1] <= target * D):
                break
            if N >= ev.max_terms:
                self._rule = None
                return
            N *= 2
        self.rebuilds += 1
        h, L = units.step, units.half_width
        K = round(L / h)
        t, wD, even = _trapezoid(K, h)
        half = h * np.arange(0, K + 1)  # t >= 0: psi_n(-t) = (-1)^n psi_n(t) folds the rest
        psi = _hermite_table(half, N)
        fold = np.full(K + 1, 1.0)
        fold[0] = 0.5  # t = 0 is counted once in g(t) + g(-t)
        self._rule = {
            "a_max": float(a_ext[-1]),
            "N": N,
            "K": K,
            "t": t,
            "psi_even": np.ascontiguousarray(psi[0::2].T * fold[:, None]),
            "psi_odd": np.ascontiguousarray(psi[1::2].T),
            "w4": h * np.exp(-(t**2) / 4) / _SQRT2PI,
            "wD": wD,
            "even": even,
        }
        self.route = f"one Mehler rule for every entry ({N} terms, {t.size} nodes)"

    @staticmethod
    def _project(g, rule, step: int = 1):
        """Hermite coefficients ``(r, N + 1)`` of the rows ``g`` (weighted integrand on the
        whole grid), folded on ``t >= 0``; ``step = 2`` is the half-resolution rule."""
        K, N = rule["K"], rule["N"]
        right, left = g[:, K:], g[:, K::-1]
        plus, minus = (right + left)[:, ::step], (right - left)[:, ::step]
        F = np.empty((g.shape[0], N + 1))
        F[:, 0::2] = plus @ rule["psi_even"][::step]
        F[:, 1::2] = minus @ rule["psi_odd"][::step]
        return F * step

    def _apply(self, a, C, check: bool):
        """Values (and ``None`` errors) from the frozen rule; ``None`` when ``check`` finds
        that the rule no longer meets the tolerance at these variances."""
        rule = self._rule
        N = rule["N"]
        if check:
            fvals, g = self._integrands(a)
            if fvals is None:
                return None
            F = self._project(g, rule).reshape(fvals.shape[0], a.size, N + 1)
            if not self._meets_tolerance(fvals, g, F):
                return None
            rule["cache"] = {}
        F = self._coefficients(a)
        if F is None:
            return None
        with np.errstate(divide="ignore", invalid="ignore"):
            rho = np.clip(C / np.sqrt(np.outer(a, a)), -1.0, 1.0)
        rho = np.where(np.outer(a, a) > 0, rho, 0.0)
        np.fill_diagonal(rho, np.where(a > 0, 1.0, 0.0))
        # rho^n by a running product: n eps relative, far below the terms' own accuracy
        powers = np.empty(rho.shape + (N + 1,))
        powers[..., 0] = 1.0
        np.cumprod(np.broadcast_to(rho[:, :, None], rho.shape + (N,)), axis=2, out=powers[..., 1:])
        values = {
            name: np.einsum("ikn,in,kn->ik", powers, F[p], F[q])
            for name, (p, q) in zip(self.names, self._pairs, strict=True)
        }
        return values, None

    def _integrands(self, a):
        """``sigma^(p)(sqrt(a_i) t)`` on the rule's grid, and the weighted rows to project."""
        rule = self._rule
        fvals = np.stack(self._derivatives(np.sqrt(a)[:, None] * rule["t"][None, :]))
        if not np.all(np.isfinite(fvals)):
            return None, None
        return fvals, fvals.reshape(-1, fvals.shape[-1]) * rule["w4"]

    def _coefficients(self, a):
        """``F[p, i, :]`` for the variances ``a``; rows seen before (the teacher's, which never
        move) come from a cache that is emptied at every full check."""
        rule = self._rule
        cache = rule.setdefault("cache", {})
        keys = [x.tobytes() for x in a]
        todo = [j for j, k in enumerate(keys) if k not in cache]
        if todo:
            fvals, g = self._integrands(a[todo])
            if fvals is None:
                return None
            F = self._project(g, rule).reshape(fvals.shape[0], len(todo), rule["N"] + 1)
            for j, col in zip(todo, range(len(todo)), strict=True):
                cache[keys[j]] = F[:, col]
            if len(cache) > 64 * a.size:  # a long run: keep only what is current
                rule["cache"] = cache = {k: cache[k] for k in keys}
        return np.stack([cache[k] for k in keys], axis=1)

    def _meets_tolerance(self, fvals, g, F) -> bool:
        """Every coefficient vector within the tolerance of the half-resolution rule's, and
        the Parseval tail beyond ``N`` small enough at ``rho = 1`` (the diagonal): then every
        entry is within the tolerance of its scale."""
        rule = self._rule
        N, even = rule["N"], rule["even"]
        target = SAFETY * self._evaluator.tol
        Fc = self._project(g, rule, 2).reshape(F.shape)
        dF = np.sqrt(np.sum((F - Fc) ** 2, axis=-1))
        sq = fvals**2
        D = sq @ rule["wD"]  # (nd, n): E[sigma^(p)(sqrt(a) t)^2]
        dD = np.abs(D - sq @ (rule["wD"] * even))
        scale = np.sqrt(np.abs(D))
        tail = np.maximum(D - np.sum(F**2, axis=-1), 0.0) + dD + 2 * scale * dF
        tail += 4 * (np.sqrt(rule["t"].size) + np.log2(N + 2)) * _EPS * D
        return bool(np.all(dF <= target * scale) and np.all(tail <= 0.5 * target * D))


def _symmetric(K, name):
    """Kernels symmetric in their arguments (``p = q``) made exactly symmetric."""
    p, q = ORDERS[name]
    return (K + K.T) / 2 if p == q else K
