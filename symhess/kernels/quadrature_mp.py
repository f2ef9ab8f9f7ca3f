"""Kernels of smooth activations at high precision: the ``"mpmath"`` number system.

The float64 routes of ``symhess.kernels.quadrature`` - the diagonal 1-D rule and the Mehler series -
carried out in python-flint ``arb`` ball arithmetic at ``mpmath.mp.prec + 32`` bits, and
returned as ``mpmath.mpf`` midpoints. Pure-Python mpmath (no gmpy2 here) is ~5x slower than
``arb`` per operation and has no matrix product in C; ``arb_mat`` does the Hermite
projections.

The tolerance defaults to ``10^-(dps - 5)`` of each entry's Cauchy-Schwarz scale: far below
the mpmath rank's threshold ``10^(-dps/2)``, and each entry carries its estimate as in
float64. Pairs whose Mehler series would need more than :data:`MP_MAX_TERMS` terms at this
precision (rows nearly parallel at large weights) are refused with the reason: a 2-D rule in
``arb`` would cost ~1e5 function evaluations per pair at 50 digits.

Findings the code depends on (docs/theory.md, section 5):

* the Hermite recurrence keeps midpoints only: it is stable in floating point, but ball
  arithmetic's bound on it grows like ``(|t| + sqrt n)^n / sqrt(n!)`` (radius 800 at
  ``n = 256, t = 20`` while the midpoints are accurate to 1e-60);
* parity folding (``psi_n(-t) = (-1)^n psi_n(t)``) halves the nodes, halvings visit only the
  new nodes, and the next Hermite order is extrapolated from the tails instead of doubled.
"""

from __future__ import annotations

import math

import flint
import mpmath
import numpy as np

from ..activation import Activation
from ..activation.evaluate import arb_derivative_evaluator, derivative_evaluator
from ..base.systems import arb_to_mpf, to_arb
from ..errors import SymhessError
from ..symbolic.names import KERNEL_NAMES
from .evaluator import KernelValues
from .smooth import SAFETY, check_finite, domain, feature_frequency, kernel_orders

__all__ = ["MP_MAX_TERMS", "mp_evaluate"]

MP_MAX_TERMS = 2048
"""Most Mehler terms per pair at high precision."""

MP_MAX_NODES = 2**14
"""Most nodes (per half-line) of the 1-D rule at high precision."""

_GUARD_BITS = 32


# ----------------------------------------------------------------------------- helpers
def _upper(x: flint.arb) -> float:
    """A float upper bound of ``|x|`` (midpoint plus radius)."""
    return float(abs(x).upper()) if x.is_finite() else math.inf


def _geometric(change: float, previous: float) -> float:
    """The scalar ``_geometric`` of ``symhess.kernels.quadrature``: ``change^2 / previous`` once the
    changes fall 10x per halving, else ``change``."""
    if math.isfinite(previous) and previous > 0 and change <= 0.1 * previous:
        return change * change / previous
    return change


# ----------------------------------------------------------------------------- the routes
def _half_line_rows(t: list, N: int) -> list[list]:
    """``psi[n][k] = He_n(t_k) exp(-t_k^2/4) / sqrt(n!)`` for ``n <= N`` (lists of arb).

    Each step keeps only the midpoint: the forward recurrence is stable in floating point,
    but ball arithmetic's bound on it grows like ``(|t| + sqrt(n))^n / sqrt(n!)`` (the
    wrapping effect: radius 800 at ``n = 256, t = 20`` with balls, ~1e-60 with midpoints).
    """
    rows = [[(-(x * x) / 4).exp().mid() for x in t]]
    if N >= 1:
        rows.append([(x * g).mid() for x, g in zip(t, rows[0], strict=True)])
    for n in range(1, N):
        sn, sn1 = flint.arb(n).sqrt(), flint.arb(n + 1).sqrt()
        prev, cur = rows[n - 1], rows[n]
        rows.append([((x * c - sn * p) / sn1).mid() for x, c, p in zip(t, cur, prev, strict=True)])
    return rows


def _units(
    deriv, a: list, N: int, nd: int, diag_pairs, tol: float, h0: float, L: float, source: str
):
    """Diagonal kernels and Hermite coefficients in arb, by a halving trapezoid rule.

    Each halving only visits the new nodes (``T_{h/2} = T_h / 2 + (h/2) sum_new``), and
    the symmetric grid is folded (``psi_n(-t) = (-1)^n psi_n(t)``): even orders see
    ``g(t) + g(-t)``, odd ones ``g(t) - g(-t)``, on ``t > 0`` only.

    ``nd`` derivatives; ``diag_pairs`` the ``(p, q)`` of the diagonal kernels (``p = q``
    included). Returns ``(D, dD, F, dF, tails, K)``: ``D[(p, q)][i]`` arb, ``dD[(p, q)][i]``
    float,
    ``F[p][i]`` a list of ``N + 1`` arb, ``dF[p][i]`` float (Euclidean over ``n``),
    ``tails[p][i][n]`` float upper estimates of ``sum_{j >= n} F_j^2``, and ``K`` (the rule
    has ``2 K + 1`` nodes on ``[-L, L]``).
    """
    m = len(a)
    r = [x.sqrt() for x in a]
    K = 2 * math.ceil(L / h0 / 2)
    L_arb = flint.arb(L)
    inv_sq2pi = 1 / (2 * flint.arb.pi()).sqrt()
    even_n = list(range(0, N + 1, 2))
    odd_n = list(range(1, N + 1, 2))
    SD = {pq: [flint.arb(0)] * m for pq in diag_pairs}  # sums of w(t) s_p s_q over the nodes
    SF = [[[flint.arb(0)] * (N + 1) for _ in range(m)] for _ in range(nd)]
    first = True
    target = SAFETY * tol
    prev_D = {pq: [math.inf] * m for pq in diag_pairs}  # changes one halving earlier
    prev_F = [[math.inf] * m for _ in range(nd)]
    while True:
        h = L_arb / K
        # new nodes on t > 0: all k at the first level, odd k afterwards; t = 0 once
        ks = range(1, K + 1) if first else range(1, K + 1, 2)
        t = [h * k for k in ks]
        plus = [[deriv(ri * x) for x in t] for ri in r]
        minus = [[deriv(-ri * x) for x in t] for ri in r]
        wD = [(-(x * x) / 2).exp() * inv_sq2pi for x in t]
        gw = [(-(x * x) / 4).exp() * inv_sq2pi for x in t]
        newD = {}
        for p, q in diag_pairs:
            newD[(p, q)] = [
                sum(
                    ((u[p] * u[q] + v[p] * v[q]) * w for u, v, w in zip(P, Q, wD, strict=True)),
                    flint.arb(0),
                )
                for P, Q in zip(plus, minus, strict=True)
            ]
        # folded rows: (g(t) + g(-t)) for even orders, (g(t) - g(-t)) for odd ones
        ev_rows, od_rows = [], []
        for p in range(nd):
            for i in range(m):
                ev_rows.append(
                    [(u[p] + v[p]) * w for u, v, w in zip(plus[i], minus[i], gw, strict=False)]
                )
                od_rows.append(
                    [(u[p] - v[p]) * w for u, v, w in zip(plus[i], minus[i], gw, strict=False)]
                )
        psi = _half_line_rows(t, N)
        pe = flint.arb_mat([psi[n] for n in even_n]).transpose()
        ev = flint.arb_mat(ev_rows) * pe
        newF = [[[flint.arb(0)] * (N + 1) for _ in range(m)] for _ in range(nd)]
        for p in range(nd):
            for i in range(m):
                row = newF[p][i]
                for j, n in enumerate(even_n):
                    row[n] = ev[p * m + i, j]
        if odd_n:
            po = flint.arb_mat([psi[n] for n in odd_n]).transpose()
            od = flint.arb_mat(od_rows) * po
            for p in range(nd):
                for i in range(m):
                    for j, n in enumerate(odd_n):
                        newF[p][i][n] = od[p * m + i, j]
        if first:  # the node t = 0: psi_n(0) = 0 for odd n
            psi0 = _half_line_rows([flint.arb(0)], N)
            for i in range(m):
                s0 = deriv(flint.arb(0) * r[i])
                for p in range(nd):
                    for n in even_n:
                        newF[p][i][n] += s0[p] * inv_sq2pi * psi0[n][0]
                for p, q in diag_pairs:
                    newD[(p, q)][i] += s0[p] * s0[q] * inv_sq2pi
        old_D = {pq: [h * 2 * x for x in SD[pq]] for pq in diag_pairs}  # T at step 2h
        old_F = [[[h * 2 * x for x in SF[p][i]] for i in range(m)] for p in range(nd)]
        SD = {pq: [x + y for x, y in zip(SD[pq], newD[pq], strict=True)] for pq in diag_pairs}
        SF = [
            [[x + y for x, y in zip(SF[p][i], newF[p][i], strict=True)] for i in range(m)]
            for p in range(nd)
        ]
        D = {pq: [h * x for x in SD[pq]] for pq in diag_pairs}
        F = [[[h * x for x in SF[p][i]] for i in range(m)] for p in range(nd)]
        if not first:
            diag = [
                [math.sqrt(max(float(D[(p, p)][i].mid()), 0.0)) for i in range(m)]
                for p in range(nd)
            ]
            change_D = {
                pq: [float(abs((x - y).mid())) for x, y in zip(D[pq], old_D[pq], strict=True)]
                for pq in diag_pairs
            }
            change_F = [
                [
                    math.sqrt(
                        sum(
                            float(abs((x - y).mid())) ** 2
                            for x, y in zip(F[p][i], old_F[p][i], strict=False)
                        )
                    )
                    for i in range(m)
                ]
                for p in range(nd)
            ]
            # the geometric estimate of the finer rule's error (see smooth._geometric)
            dD = {
                pq: [
                    _geometric(c, pc) + float(x.rad())
                    for c, pc, x in zip(change_D[pq], prev_D[pq], D[pq], strict=True)
                ]
                for pq in diag_pairs
            }
            dF = [
                [
                    _geometric(change_F[p][i], prev_F[p][i])
                    + max(float(x.rad()) for x in F[p][i]) * math.sqrt(N + 1)
                    for i in range(m)
                ]
                for p in range(nd)
            ]
            prev_D, prev_F = change_D, change_F
            ok = all(dF[p][i] <= target * diag[p][i] for p in range(nd) for i in range(m))
            ok &= all(
                dD[(p, q)][i] <= target * diag[p][i] * diag[q][i]
                for p, q in diag_pairs
                for i in range(m)
            )
            if ok:
                break
        if 2 * K > MP_MAX_NODES:
            raise SymhessError(
                f"high-precision kernels of {source!r}: the 1-D rule does not reach "
                f"{tol:.0e} with {2 * K + 1} nodes; use float64 or fewer digits"
            )
        first = False
        K *= 2
    tails = [[None] * m for _ in range(nd)]
    for p in range(nd):
        for i in range(m):
            sq = [x * x for x in F[p][i]]
            rest = D[(p, p)][i] - sum(sq, flint.arb(0))
            rest_f = max(float(rest.mid()), 0.0) + float(rest.rad()) + dD[(p, p)][i]
            rest_f += 2 * diag[p][i] * dF[p][i]
            acc = []
            run = rest_f
            for x in reversed(sq):
                run += float(x.mid())
                acc.append(run)
            tails[p][i] = acc[::-1] + [rest_f]
    return D, dD, F, dF, tails, K


def _next_order(N, failing, idx_a, idx_b, rho, pairs, D, tails, target) -> int:
    """The Hermite order to try next: the failing pairs' truncation bounds extrapolated
    log-linearly from the tails on ``[N/2, N]``, plus a quarter (the tails of sigmoid-like
    functions decay like ``exp(-c sqrt(n))``, slower than the local slope says), at least
    doubling only when the extrapolation has nothing to say; capped at ``MP_MAX_TERMS``.
    Each pass costs as much as its order, so guessing right saves the passes between.
    """
    best = N
    for j in failing:
        i, k = idx_a[j], idx_b[j]
        lr = math.log(max(min(_upper(rho[j]), 1.0), 1e-300))
        for p, q in pairs:
            scale = math.sqrt(max(float(D[(p, p)][i].mid()) * float(D[(q, q)][k].mid()), 0))
            logs = []
            for t in (tails[p][i], tails[q][k]):
                lo, hi = max(t[N // 2], 1e-300), max(t[N], 1e-300)
                logs.append((math.log(hi), (math.log(hi) - math.log(lo)) / (N - N // 2)))
            slope = lr + 0.5 * (logs[0][1] + logs[1][1])  # d/dn of the log bound
            now = lr * (N + 1) + 0.5 * (logs[0][0] + logs[1][0])
            goal = math.log(max(target * scale, 1e-300))
            if now <= goal:
                continue
            if slope >= 0:
                best = max(best, 2 * N)
            else:
                best = max(best, N + 1.25 * (now - goal) / -slope)
    return min(MP_MAX_TERMS, max(N + 64, 64 * math.ceil(best / 64)))


def mp_evaluate(
    act: Activation, a, b, c, tol: float | None = None, names=KERNEL_NAMES
) -> KernelValues:
    """The six kernels at broadcast ``(a, b, c)`` in mpmath, with error estimates.

    Parameters
    ----------
    act : Activation
    a, b, c : array_like of mpmath numbers (or exact rationals, floats)
        Broadcasting to a shape ``S``; ``c^2 <= a b``.
    tol : float, optional
        Relative tolerance per entry; default ``10^-(mp.dps - 5)``.
    names : sequence of str
        The kernels to compute (default the six of the Hessian).

    Returns
    -------
    KernelValues
        ``values`` are object arrays of ``mpf``; ``errors`` and ``scales`` float arrays.
    """
    dps = mpmath.mp.dps
    tol = 10.0 ** (-(dps - 5)) if tol is None else float(tol)
    a, b, c = np.broadcast_arrays(*(np.asarray(x, dtype=object) for x in (a, b, c)))
    shape = a.shape
    a, b, c = a.ravel(), b.ravel(), c.ravel()
    saved = flint.ctx.prec
    flint.ctx.prec = mpmath.mp.prec + _GUARD_BITS
    try:
        return _evaluate(act, a, b, c, shape, tol, dps, tuple(names))
    finally:
        flint.ctx.prec = saved


def _evaluate(act, a, b, c, shape, tol, dps, names):
    source = act.source
    pairs, nd = kernel_orders(names)
    diag_pairs = sorted(set(pairs) | {(p, p) for p in range(nd)})
    fderiv = derivative_evaluator(act.expr, nd - 1)
    check_finite(fderiv, source)
    omega = feature_frequency(fderiv)
    deriv = arb_derivative_evaluator(act.expr, nd - 1)
    A = [to_arb(x) for x in a]
    B = [to_arb(x) for x in b]
    Cc = [to_arb(x) for x in c]
    keys = {}
    units = []
    for x in A + B:
        key = x.mid().man_exp()
        if key not in keys:
            keys[key] = len(units)
            units.append(x)
    idx_a = [keys[x.mid().man_exp()] for x in A]
    idx_b = [keys[x.mid().man_exp()] for x in B]
    for x, y, z in zip(A, B, Cc, strict=True):
        if x < 0 or y < 0 or z * z > x * y * (1 + flint.arb(2) ** -40):
            raise SymhessError("(a, b, c) is not a covariance matrix")
    amax = max(float(x.mid()) for x in units)
    L = domain(fderiv, amax, tol, source)
    # the float64 rule's first step, shrunk by the ratio of digits asked for
    h0 = min(0.5, 1.0 / (omega * max(1.0, math.sqrt(amax))))  # halvings + geometric test
    n_pairs = len(A)
    rho = []
    for x, y, z in zip(A, B, Cc, strict=True):
        xy = x * y
        rho.append(z / xy.sqrt() if xy > 0 else flint.arb(0))
    diag = [ia == ib and z == x for ia, ib, z, x in zip(idx_a, idx_b, Cc, A, strict=True)]
    off = [j for j in range(n_pairs) if not diag[j]]
    target = 0.5 * SAFETY * tol
    N = 128
    while True:
        D, dD, F, dF, tails, K = _units(deriv, units, N, nd, diag_pairs, tol, h0, L, source)
        need = {}
        for j in off:
            i, k = idx_a[j], idx_b[j]
            r = min(_upper(rho[j]), 1.0)
            need[j] = None
            for nt in range(8, N + 1, 8):
                good = True
                for p, q in pairs:
                    bound = r ** (nt + 1) * math.sqrt(tails[p][i][nt + 1] * tails[q][k][nt + 1])
                    scale = math.sqrt(max(float(D[(p, p)][i].mid()) * float(D[(q, q)][k].mid()), 0))
                    if bound > target * scale:
                        good = False
                        break
                if good:
                    need[j] = nt
                    break
        if all(v is not None for v in need.values()) or N >= MP_MAX_TERMS:
            break
        N = _next_order(
            N, [j for j, v in need.items() if v is None], idx_a, idx_b, rho, pairs, D, tails, target
        )
    bad = [j for j, v in need.items() if v is None]
    if bad:
        j = bad[0]
        raise SymhessError(
            f"high-precision kernels of {source!r} at {dps} digits: a pair of hidden units "
            f"with a = {float(A[j].mid()):.3g}, b = {float(B[j].mid()):.3g}, "
            f"rho = {float(rho[j].mid()):.4f} needs more than {MP_MAX_TERMS} Mehler terms "
            "(rows nearly parallel or weights too large); use float64 kernels"
        )
    values = [np.empty(n_pairs, dtype=object) for _ in pairs]
    errors = [np.zeros(n_pairs) for _ in pairs]
    scales = [np.zeros(n_pairs) for _ in pairs]
    eps = 2.0 ** -(flint.ctx.prec - _GUARD_BITS)
    for j in range(n_pairs):
        i, k = idx_a[j], idx_b[j]
        for jj, (p, q) in enumerate(pairs):
            sp = math.sqrt(max(float(D[(p, p)][i].mid()), 0.0))
            sq = math.sqrt(max(float(D[(q, q)][k].mid()), 0.0))
            scales[jj][j] = sp * sq
            if diag[j]:
                v = D[(p, q) if (p, q) in D else (q, p)][i]
                err = dD[(p, q) if (p, q) in dD else (q, p)][i]
            else:
                nt = need[j]
                Fi, Gk = F[p][i], F[q][k]
                acc = Fi[nt] * Gk[nt]
                for m in range(nt - 1, -1, -1):
                    acc = acc * rho[j] + Fi[m] * Gk[m]
                v = acc
                r = min(_upper(rho[j]), 1.0)
                trunc = r ** (nt + 1) * math.sqrt(tails[p][i][nt + 1] * tails[q][k][nt + 1])
                err = trunc + dF[p][i] * sq + sp * dF[q][k] + dF[p][i] * dF[q][k]
            values[jj][j] = arb_to_mpf(v)
            errors[jj][j] = err + float(v.rad()) + 4 * eps * sp * sq
    rel = max(
        float(np.max(e / np.maximum(s, 1e-300), initial=0.0))
        for e, s in zip(errors, scales, strict=True)
    )
    if rel > tol:
        raise SymhessError(
            f"high-precision kernels of {source!r}: error estimate {rel:.1e} above {tol:.0e}"
        )
    stats = {
        "entries": n_pairs,
        "units": len(units),
        "hermite_order": N,
        "unit_rule": {"nodes": 2 * K + 1, "half_width": L},
        "digits": dps,
        "diagonal": sum(diag),
        "mehler_terms": {},
        "bivariate": 0,
    }
    for v in need.values():
        stats["mehler_terms"][v] = stats["mehler_terms"].get(v, 0) + 1
    return KernelValues(
        tuple(v.reshape(shape) for v in values),
        tuple(e.reshape(shape) for e in errors),
        tuple(s.reshape(shape) for s in scales),
        tol,
        stats,
        names,
    )
