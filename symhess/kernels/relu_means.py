"""Kernels with means of the ReLU family ``sigma(z) = alpha*z + beta*relu(z)``, closed form.

With ``X = m1 + u``, ``Y = m2 + w`` (``(u, w) ~ N(0, [[a, c], [c, b]])``), write
``u = r1 Z1``, ``w = r2 Z2`` with unit normals of correlation ``rho = cos(theta)``,
``s = sin(theta)``, and ``h1 = m1/r1``, ``h2 = m2/r2``, ``e1 = (h1 - rho h2)/s``,
``e2 = (h2 - rho h1)/s`` (``e2`` is the standardised mean of ``Y`` given ``X = 0``). For
``relu`` itself (docs/theory.md, "Biases"), from Stein's identity
``E[X g] = m1 E[g] + a E[d_X g] + c E[d_Y g]`` and the law of ``Y`` given ``X = 0``::

    R11 = Phi2 = P(X > 0, Y > 0) = Phi2(h1, h2; rho)            (Owen's T, :mod:`.gauss`)
    R10 = E[1(X>0) Y+] = m2 Phi2 + r2 rho phi(h1) Phi(e2) + r2 phi(h2) Phi(e1)
    R20 = E[delta(X) Y+] = (phi(h1)/r1) r2 s [e2 Phi(e2) + phi(e2)]
    R00 = E[X+ Y+] = m1 R10 + a R20 + c Phi2
    R21 = phi(h1) Phi(e2) / r1,   R22 = phi(h1) phi(e2) / (r1 r2 s)  (the density at 0)
    R31 = -(phi(h1)/a) [h1 Phi(e2) + (rho/s) phi(e2)]

and ``R01, R12, R13`` by symmetry; at ``m1 = m2 = 0`` these are Cho and Saul's arc-cosine
kernels. The family adds the linear part: with the one-dimensional
``E_q(m, r) = E[relu^(q)(m + r Z)]`` (``E_0 = m Phi(h) + r phi(h)``, ``E_1 = Phi(h)``,
``E_2 = phi(h)/r``, ``E_3 = -h phi(h)/r^2``)::

    K_pq = alpha^2 L_pq + alpha beta (LR_pq + RL_pq) + beta^2 R_pq,
    L_00 = c + m1 m2,  L_10 = m2,  L_01 = m1,  L_11 = 1  (others 0),
    LR_0q = m1 E_q(Y) + c E_(q+1)(Y),  LR_1q = E_q(Y)  (p >= 2: 0),  RL likewise.

For the Hessian the rank-2 part of a ``d x d`` block, ``[w_i w_k] [[K31, K22], [K22, K13]]
[w_i w_k]^T``, splits into the bisector form of the bias-free kernels, now with
``KB = beta^2 s phi(h1) phi(e2)`` (it vanishes with ``sin(theta)`` like ``beta^2 s / 2pi`` at
``m = 0``), and a regular part ``KR_ik u_i u_i^T + KR_ki u_k u_k^T`` with
``KR = a (K31 + (c/a) K22) = -h1 phi(h1) (alpha beta + beta^2 Phi(e2))``, bounded at every
angle: nothing divides by a vanishing ``sin(theta)``.

Degenerate pairs (``s = 0``: the diagonal, and exactly parallel or antiparallel rows - every
pair when ``d = 1``) live on a line, ``X = m1 + r1 Z``, ``Y = m2 + tau Z``, ``tau = +-r2``: both
units are active on an interval ``I`` of ``Z`` with truncated moments ``P = E[1_I]``,
``M1 = E[Z 1_I]``, ``M2 = E[Z^2 1_I]``; the relu part is replaced by *effective* kernels whose
Stein combinations give the exact blocks (``E[1_i 1_k x x^T] = P I + (M2 - P) u_i u_i^T``,
``E[1_i 1_k x] = M1 u_i``, ``E[1_i x relu(z_k)] = (m2 M1 + tau M2) u_i``), split evenly
between ``(i, k)`` and ``(k, i)``: ``R31 = (M2 - P)/(2a)``, ``R13 = (M2 - P)/(2b)``,
``R22 = 0``, ``R21 = M1/(2 r1)``, ``R12 = M1/(2 tau)``, ``R20 = (m2 M1 + tau (M2 - P))/r1``.
"""

from __future__ import annotations

import mpmath
import numpy as np

from ..errors import SymhessError
from ..symbolic.names import MEAN_NAMES
from .gauss import tools

__all__ = ["relu_mean_core", "relu_mean_kernels", "relu_mean_pair_matrices"]


def relu_mean_core(r1, r2, cos, sin, dn2, s2, m1, m2, degenerate, alpha, beta, system: str):
    """The ten kernels with means, ``KB`` and ``KR`` from the pair geometry.

    Parameters
    ----------
    r1, r2 : ndarray
        Row norms ``|w_i|``, ``|u_k|`` (broadcasting as ``(h, 1)`` and ``(1, h2)``).
    cos, sin : ndarray, shape (h, h2)
        Cosine and sine (``>= 0``) of the angle between the rows.
    dn2, s2 : ndarray, shape (h, h2)
        ``2 (1 - cos)`` and ``2 (1 + cos)``, each accurate where it is small.
    m1, m2 : ndarray
        Means (biases), broadcasting like ``r1``, ``r2``.
    degenerate : ndarray of bool, shape (h, h2)
        Pairs taken as exactly parallel or antiparallel.
    alpha, beta : numbers of ``system``
    system : {"float64", "mpmath"}

    Returns
    -------
    dict
        The ten kernels (:data:`~symhess.symbolic.names.MEAN_NAMES`), ``KB`` and ``KR``.
    """
    e = tools(system)
    arrays = np.broadcast_arrays(*(e.array(x) for x in (r1, r2, cos, sin, dn2, s2, m1, m2)))
    r1, r2, rho, s, dn2, s2, m1, m2 = arrays
    degenerate = np.broadcast_to(np.asarray(degenerate, dtype=bool), rho.shape)
    h1, h2 = m1 / r1, m2 / r2
    phi1, phi2 = e.phi(h1), e.phi(h2)
    a, b, c = r1 * r1, r2 * r2, r1 * r2 * rho
    R = _relu_general(h1, h2, m1, m2, r1, r2, rho, s, dn2, s2, phi1, phi2, degenerate, e)
    if np.any(degenerate):
        par = _relu_degenerate(h1, h2, m1, m2, r1, r2, rho, e)
        R = {n: e.where(degenerate, par[n], R[n]) for n in R}
    # the linear part: one-dimensional expectations of relu and its derivatives
    P1, P2 = e.Phi(h1), e.Phi(h2)
    E0x, E0y = m1 * P1 + r1 * phi1, m2 * P2 + r2 * phi2
    E2x, E2y = phi1 / r1, phi2 / r2
    E3x, E3y = -h1 * phi1 / a, -h2 * phi2 / b
    ab = alpha * beta
    aa = alpha * alpha
    bb = beta * beta
    out = {
        "K00": aa * (c + m1 * m2) + ab * (m1 * E0y + c * P2 + m2 * E0x + c * P1) + bb * R["K00"],
        "K11": aa + ab * (P1 + P2) + bb * R["K11"],
        "K20": ab * (m2 * E2x + c * E3x) + bb * R["K20"],
        "K22": bb * R["K22"],
        "K31": ab * E3x + bb * R["K31"],
        "K13": ab * E3y + bb * R["K13"],
        "K10": aa * m2 + ab * (E0y + m2 * P1 + c * E2x) + bb * R["K10"],
        "K01": aa * m1 + ab * (m1 * P2 + c * E2y + E0x) + bb * R["K01"],
        "K21": ab * E2x + bb * R["K21"],
        "K12": ab * E2y + bb * R["K12"],
        "KB": bb * R["KB"],
        "KR": -ab * h1 * phi1 + bb * R["KR"],
    }
    return out


def _relu_general(h1, h2, m1, m2, r1, r2, rho, s, dn2, s2, phi1, phi2, degenerate, e):
    """The relu kernels of non-degenerate pairs (module docstring); placeholders elsewhere."""
    pos = np.asarray(rho >= 0, dtype=bool)
    one_minus, one_plus = dn2 / 2, s2 / 2  # 1 - rho, 1 + rho without cancellation
    # h2 - rho h1 and h1 - rho h2, from the difference or sum of h1, h2
    n2 = e.where(pos, (h2 - h1) + one_minus * h1, (h2 + h1) - one_plus * h1)
    n1 = e.where(pos, (h1 - h2) + one_minus * h2, (h1 + h2) - one_plus * h2)
    ss = e.where(degenerate, e.one, s)
    e1, e2 = n1 / ss, n2 / ss
    P1, P2 = e.Phi(e1), e.Phi(e2)
    q1, q2 = e.phi(e1), e.phi(e2)
    F2 = _bvn(h1, h2, e1, e2, rho, ss, e)
    a, c = r1 * r1, r1 * r2 * rho
    K10 = m2 * F2 + r2 * rho * phi1 * P2 + r2 * phi2 * P1
    K20 = phi1 / r1 * r2 * (n2 * P2 + ss * q2)
    dens = phi1 * q2  # = phi(h2) phi(e1) = r1 r2 s times the density of (X, Y) at (0, 0)
    return {
        "K00": m1 * K10 + a * K20 + c * F2,
        "K11": F2,
        "K20": K20,
        "K22": dens / (r1 * r2 * ss),
        "K31": -(phi1 / a) * (h1 * P2 + rho / ss * q2),
        "K13": -(phi2 / (r2 * r2)) * (h2 * P1 + rho / ss * q1),
        "K10": K10,
        "K01": m1 * F2 + r1 * rho * phi2 * P1 + r1 * phi1 * P2,
        "K21": phi1 * P2 / r1,
        "K12": phi2 * P1 / r2,
        "KB": s * dens,
        "KR": -h1 * phi1 * P2,
    }


def _bvn(h1, h2, e1, e2, rho, s, e):
    """``Phi2(h1, h2; rho)`` by Owen's T: ``a_h = e2 / h1``, ``a_k = e1 / h2``."""
    z1 = np.asarray(h1 == 0, dtype=bool)
    z2 = np.asarray(h2 == 0, dtype=bool)
    axis = z1 | z2
    k = h1 + h2
    on_axis = e.Phi(k) / 2 - e.T(k, -rho / s)
    if np.all(axis):
        return on_axis
    h1s = e.where(z1, e.one, h1)
    h2s = e.where(z2, e.one, h2)
    opposite = np.asarray(h1 * h2 < 0, dtype=bool)
    general = (e.Phi(h1) + e.Phi(h2)) / 2 - e.T(h1, e2 / h1s) - e.T(h2, e1 / h2s) - opposite / 2
    return e.where(axis, on_axis, general)


def _relu_degenerate(h1, h2, m1, m2, r1, r2, rho, e):
    """Effective relu kernels of pairs on one line (module docstring)."""
    pos = np.asarray(rho > 0, dtype=bool)
    inf = np.inf if e.system == "float64" else mpmath.inf
    lo = e.where(pos, e.where(h1 < h2, -h1, -h2), -h1)
    hi = e.where(pos, inf + 0 * h1, h2)
    hi = e.where(hi < lo, lo, hi)  # an empty interval
    phi_lo = e.phi(lo)
    P = e.Phi(hi) - e.Phi(lo)
    M1 = phi_lo - e.phi(hi)
    M2 = P + lo * phi_lo - e.where(pos, 0 * h1, hi * e.phi(e.where(pos, 0 * h1, hi)))
    tau = e.where(pos, r2, -r2)
    zero = 0 * P
    return {
        "K00": m1 * m2 * P + (m1 * tau + m2 * r1) * M1 + r1 * tau * M2,
        "K11": P,
        "K20": (m2 * M1 + tau * (M2 - P)) / r1,
        "K22": zero,
        "K31": (M2 - P) / (2 * r1 * r1),
        "K13": (M2 - P) / (2 * r2 * r2),
        "K10": m2 * P + tau * M1,
        "K01": m1 * P + r1 * M1,
        "K21": M1 / (2 * r1),
        "K12": M1 / (2 * tau),
        "KB": zero,
        "KR": (M2 - P) / 2,
    }


def relu_mean_kernels(a, b, c, m1, m2, s, system: str = "float64") -> tuple:
    """The ten kernels with means of ``alpha*z + beta*relu(z)`` at ``(a, b, c, m1, m2)``.

    The ``(a, b, c)`` contract: a pair with ``ab - c^2 <= tol ab`` (``tol`` of
    :func:`symhess.kernels.relu.degenerate_tolerance`) is taken as parallel or antiparallel.
    The Hessian itself is assembled from :func:`relu_mean_pair_matrices`, accurate at every
    angle.

    Parameters
    ----------
    a, b, c, m1, m2 : array_like, broadcasting together (float64 or mpmath)
    s : (alpha, beta) in the same system
    system : {"float64", "mpmath"}

    Returns
    -------
    tuple of 10 in :data:`~symhess.symbolic.names.MEAN_NAMES` order
    """
    e = tools(system)
    a, b, c, m1, m2 = np.broadcast_arrays(*(e.array(x) for x in (a, b, c, m1, m2)))
    if np.any(a <= 0) or np.any(b <= 0):
        raise SymhessError(
            "a hidden unit has a zero weight vector: the kernels of the ReLU family need "
            "|w_i| > 0 (the loss is not twice differentiable there)"
        )
    r1, r2 = e.sqrt(a), e.sqrt(b)
    ab = a * b
    D = ab - c * c
    tol = 64 * (np.finfo(np.float64).eps if system == "float64" else mpmath.eps)
    degenerate = np.asarray(D <= tol * ab, dtype=bool)
    D = e.where(degenerate, e.zero, D)
    rho = c / (r1 * r2)
    rho = e.where(rho > 1, e.one, e.where(rho < -1, -e.one, rho))
    sin = e.sqrt(D / ab)
    # 2(1 - rho) = 2 sin^2 / (1 + rho) without cancellation for rho > 0; 2(1 + rho) likewise
    den_p = e.where(rho > 0, 1 + rho, e.one)
    den_m = e.where(rho < 0, 1 - rho, e.one)
    dn2 = e.where(rho > 0, 2 * sin * sin / den_p, 2 * (1 - rho))
    s2 = e.where(rho < 0, 2 * sin * sin / den_m, 2 * (1 + rho))
    out = relu_mean_core(r1, r2, rho, sin, dn2, s2, m1, m2, degenerate, *s, system)
    return tuple(out[n] for n in MEAN_NAMES)


def relu_mean_pair_matrices(geo: dict, m_rows, m_cols, alpha, beta, system: str) -> dict:
    """Kernel matrices with means from the pair geometry of
    :func:`symhess.kernels.relu.pair_geometry`: the ten kernels, ``KB``, ``KR`` and the
    geometry entries. A pair is degenerate where ``sin(theta) = 0`` exactly."""
    e = tools(system)
    S, Dn = geo["S"], geo["Dn"]
    sin = geo["sin"]
    degenerate = np.asarray(sin == 0, dtype=bool)
    out = relu_mean_core(
        geo["r"][:, None],
        geo["rv"][None, :],
        geo["cos"],
        sin,
        Dn * Dn,
        S * S,
        e.array(m_rows)[:, None],
        e.array(m_cols)[None, :],
        degenerate,
        alpha,
        beta,
        system,
    )
    return {**geo, **out}
