"""Closed-form kernels of the ReLU family ``sigma(z) = alpha*z + beta*relu(z)``, ``beta != 0``.

The family covers ``relu`` (``alpha, beta = 0, 1``), ``leaky_relu(z, a)`` (``a, 1 - a``),
``abs(z) = -z + 2 relu(z)`` (``-1, 2``) and neural-tangents' ``ABRelu(a, b)`` (``a, b - a``).
For ``(u, w) ~ N(0, [[a, c], [c, b]])``, ``D = a b - c^2`` and ``theta = atan2(sqrt(D), c)``
(the angle between the two weight vectors), with ``g = beta^2 / (2 pi)`` and
``lin = alpha^2 + alpha beta`` (docs/theory.md, "ReLU and piecewise-linear activations")::

    K00 = lin c + g (sqrt(D) + (pi - theta) c)        K11 = lin + g (pi - theta)
    K20 = g sqrt(D) / a                               K22 = g / sqrt(D)
    K31 = -g c / (a sqrt(D))                          K13 = -g c / (b sqrt(D))

``K22, K31, K13`` are distributional (``sigma''`` is ``beta`` times a Dirac delta) and grow
like ``1 / sin(theta)`` as the weight vectors become parallel, but the Hessian only sees them
through the rank-2 part of a ``d x d`` block, ``[w_i w_k] M [w_i w_k]^T``, which equals
``KB (b b^T - n n^T)`` with ``KB = g sin(theta)`` and ``b, n`` the unit bisector and
anti-bisector of ``w_i, w_k``: it vanishes on the diagonal ``i = k`` and for parallel and
antiparallel pairs. Two ways to evaluate:

* :func:`relu_kernels` - the ``(a, b, c)`` contract every kernel provider has (float64 and
  mpmath). Where ``D <= 64 eps a b`` the pair is taken as parallel or antiparallel and the
  split ``K22 = K31 = K13 = 0`` is returned (the exact value of the combination that enters
  the Hessian), with ``K20 = 0`` and ``theta = 0`` or ``pi``: no 0/0, no infinity, no NaN.
  The Gram matrix knows ``theta`` only to ``~eps / theta``, so near-parallel pairs carry an
  error up to ``~sqrt(eps)`` through this route;
* :func:`pair_matrices` - from the weight vectors themselves (float64, mpmath and ``arb``
  balls): ``|u_i + u_k| = 2 cos(theta/2)`` and ``|u_i - u_k| = 2 sin(theta/2)`` of the unit
  rows, each from the vectors where the cosine would cancel, so every angle, 0 and ``pi``
  included, is accurate to a few ulps. The curvature layer assembles the Hessian and its
  operator from these (the "bisector form").
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy

from ..activation import Activation
from ..base import systems
from ..errors import SymhessError
from .evaluator import Kernels, _parameter
from .relu_means import relu_mean_kernels, relu_mean_pair_matrices

__all__ = [
    "RELU_SYSTEMS",
    "ReluKernels",
    "ReluResidual",
    "degenerate_tolerance",
    "pair_geometry",
    "pair_matrices",
    "relu_kernels",
    "residual_blocks",
    "resolve_relu",
]

RELU_SYSTEMS = ("float64", "mpmath", "arb")
"""Number systems of the ReLU family: ``"arb"`` through :func:`pair_matrices` only."""

_CHUNK_ELEMENTS = 1 << 20  # vector differences formed at once by the float64 geometry


def degenerate_tolerance(system: str):
    """``sin(theta)^2`` at or below which :func:`relu_kernels` takes a pair as parallel."""
    # D = ab - c^2 of an exactly parallel pair, computed from rounded Gram entries, is a few
    # eps ab (measured 1.3 eps for w_k = 2 w_i in d = 3); 64 eps leaves room for longer sums.
    if system == "float64":
        return 64 * np.finfo(np.float64).eps
    return 64 * mpmath.eps


def _tools(system: str):
    """``pi``, ``sqrt`` and ``atan2`` acting elementwise in ``system``."""
    if system == "float64":
        return np.pi, np.sqrt, np.arctan2
    if system == "mpmath":
        return +mpmath.pi, np.frompyfunc(mpmath.sqrt, 1, 1), np.frompyfunc(mpmath.atan2, 2, 1)
    if system == "arb":
        import flint

        return (
            flint.arb.pi(),
            np.frompyfunc(lambda x: x.sqrt(), 1, 1),
            np.frompyfunc(flint.arb.atan2, 2, 1),
        )
    raise SymhessError(
        f"the ReLU family's kernels evaluate in {', '.join(RELU_SYSTEMS)}, not {system!r}"
    )


def relu_kernels(a, b, c, s):
    """The six kernels of ``alpha*z + beta*relu(z)`` at ``(a, b, c)``.

    Parameters
    ----------
    a, b, c : array_like, broadcastable
        Variances and covariance of ``(u, w)``, ``a, b > 0``: float64, or (object arrays of)
        ``mpmath.mpf``.
    s : sequence of two numbers
        ``(alpha, beta)`` in the same number system, ``beta != 0``.

    Returns
    -------
    tuple of ndarray
        ``(K00, K11, K20, K22, K31, K13)`` of the broadcast shape; ``K22 = K31 = K13 = 0``
        where the pair is (numerically) parallel or antiparallel.
    """
    alpha, beta = s
    mp = any(
        isinstance(x, mpmath.mpf) or (isinstance(x, np.ndarray) and x.dtype == object)
        for x in (a, b, c)
    )
    system = "mpmath" if mp else "float64"
    pi, sqrt, atan2 = _tools(system)
    dtype = object if mp else np.float64
    a, b, c = np.broadcast_arrays(*(np.asarray(x, dtype=dtype) for x in (a, b, c)))
    if np.any(a <= 0) or np.any(b <= 0):
        raise SymhessError(
            "a hidden unit has a zero weight vector: the kernels of the ReLU family need "
            "|w_i| > 0 (the loss is not twice differentiable there)"
        )
    ab = a * b
    D = ab - c * c
    degenerate = D <= degenerate_tolerance(system) * ab
    # A literal zero, not 0 * D: D < 0 would give -0.0, and atan2(-0.0, c < 0) = -pi.
    zero = 0.0 if system == "float64" else mpmath.mpf(0)
    D = np.where(degenerate, zero, D)
    root = sqrt(D)
    theta = atan2(root, c)
    lin = alpha * alpha + alpha * beta
    g = beta * beta / (2 * pi)
    K00 = lin * c + g * (root + (pi - theta) * c)
    K11 = lin + g * (pi - theta) + 0 * c
    K20 = g * root / a
    one = 1.0 if system == "float64" else mpmath.mpf(1)
    safe = np.where(degenerate, one, root)  # never divided by where degenerate
    K22 = np.where(degenerate, zero, g / safe)
    K31 = np.where(degenerate, zero, -g * c / (a * safe))
    K13 = np.where(degenerate, zero, -g * c / (b * safe))
    return K00, K11, K20, K22, K31, K13


# ----------------------------------------------------------------------------- geometry
def _is_zero(x, system: str) -> bool:
    """Whether ``x`` is exactly 0; a ball that contains 0 without being 0 is refused."""
    if system != "arb":
        return x == 0
    if x.is_zero():
        return True
    if x.contains(0):
        import flint

        raise SymhessError(
            "two hidden units are parallel or antiparallel, or too close to it to be told "
            f"apart with {flint.ctx.prec} bits of ball arithmetic; raise the precision"
        )
    return False


def _norms(W: np.ndarray, system: str) -> np.ndarray:
    if system == "float64":
        return np.linalg.norm(W, axis=1)
    _, sqrt, _ = _tools(system)
    return sqrt((W * W).sum(axis=1))


def _unit_rows(W: np.ndarray, system: str) -> tuple[np.ndarray, np.ndarray]:
    r = _norms(W, system)
    if any(_is_zero(x, system) for x in r):
        raise SymhessError(
            "a hidden unit has a zero weight vector w_i: ReLU-type losses are not twice "
            "differentiable there (the Hessian grows like 1/|w_i| nearby)"
        )
    return r, W / r[:, None]


def _float_lengths(U: np.ndarray, V: np.ndarray, rows: np.ndarray, cols: np.ndarray, c):
    """``|u - v|`` and ``|u + v|`` for the pairs ``(rows, cols)``; the one that the cosine would
    give with cancellation (``2 - 2c`` or ``2 + 2c`` below 1) from the vectors themselves."""
    s = np.sqrt(np.maximum(2 + 2 * c, 0.0))
    dn = np.sqrt(np.maximum(2 - 2 * c, 0.0))
    step = max(1, _CHUNK_ELEMENTS // max(1, U.shape[1]))
    for flag, out, sign in ((c > 0.5, dn, -1.0), (c < -0.5, s, 1.0)):
        (idx,) = np.nonzero(flag)
        for start in range(0, idx.size, step):
            sel = idx[start : start + step]
            out[sel] = np.linalg.norm(U[rows[sel]] + sign * V[cols[sel]], axis=1)
    return s, dn


def pair_geometry(W: np.ndarray, V: np.ndarray | None = None, system: str = "float64") -> dict:
    """Norms, unit rows and the half-angle lengths of every pair of rows.

    With ``u_i = w_i / |w_i|`` (rows of ``W``) and ``v_k`` the unit rows of ``V`` (default
    ``W``): ``S[i, k] = |u_i + v_k| = 2 cos(theta/2)`` and ``Dn[i, k] = |u_i - v_k| =
    2 sin(theta/2)``, each accurate to a few ulps (see :func:`_float_lengths`; in mpmath and
    ``arb`` both from the vectors).

    Parameters
    ----------
    W : ndarray, shape (h, d)
        float64, or an object array of ``mpf`` / ``arb``.
    V : ndarray, shape (h2, d), optional
    system : {"float64", "mpmath", "arb"}

    Returns
    -------
    dict
        ``r`` (h,), ``U`` (h, d), ``rv`` (h2,), ``V`` (h2, d) unit rows; ``S``, ``Dn``,
        ``cos``, ``sin``, ``theta`` (h, h2). For ``V is None`` all exactly symmetric, with
        ``Dn = 0`` and ``S = 2`` on the diagonal.

    Raises
    ------
    SymhessError
        A zero row; in ``arb``, a pair whose ``S`` or ``Dn`` ball contains 0 without being 0.
    """
    same = V is None
    r, U = _unit_rows(W, system)
    rv, Vu = (r, U) if same else _unit_rows(V, system)
    h, h2 = U.shape[0], Vu.shape[0]
    if same:
        rows, cols = np.triu_indices(h, 1)
    else:
        rows, cols = (x.ravel() for x in np.indices((h, h2)))
    if system == "float64":
        c = np.einsum("pd,pd->p", U[rows], Vu[cols]) if rows.size else np.zeros(0)
        s, dn = _float_lengths(U, Vu, rows, cols, c)
        S, Dn = np.full((h, h2), 2.0), np.zeros((h, h2))
    else:
        _, sqrt, _ = _tools(system)
        diff = U[rows] - Vu[cols]
        summ = U[rows] + Vu[cols]
        empty = np.array([], dtype=object)
        dn = sqrt((diff * diff).sum(axis=1)) if rows.size else empty
        s = sqrt((summ * summ).sum(axis=1)) if rows.size else empty
        for x in (*dn, *s):
            _is_zero(x, system)  # refuses an undecidable ball
        S = np.full((h, h2), systems.scalar(2, system), dtype=object)
        Dn = np.full((h, h2), systems.scalar(0, system), dtype=object)
    S[rows, cols] = s
    Dn[rows, cols] = dn
    if same:
        S[cols, rows] = s
        Dn[cols, rows] = dn
    theta = 2 * _tools(system)[2](Dn, S)
    return {
        "r": r,
        "U": U,
        "rv": rv,
        "V": Vu,
        "S": S,
        "Dn": Dn,
        "cos": (S * S - Dn * Dn) / 4,
        "sin": S * Dn / 2,
        "theta": theta,
    }


def pair_matrices(W, V=None, *, alpha, beta, system: str = "float64") -> dict:
    """Kernel matrices of the family for all pairs of rows, from the vectors.

    Parameters
    ----------
    W : ndarray, shape (h, d)
    V : ndarray, shape (h2, d), optional
        Second set of rows (default ``W``); kernels are ``K(|w_i|^2, |v_k|^2, w_i . v_k)``.
    alpha, beta : numbers of ``system``
    system : {"float64", "mpmath", "arb"}

    Returns
    -------
    dict
        The six kernels (h, h2), keyed by :data:`~symhess.symbolic.names.KERNEL_NAMES`
        (``K22, K31, K13`` set to 0 where ``sin(theta) = 0`` exactly), ``KB = beta^2
        sin(theta) / (2 pi)`` (the rank-2 part of a block, docs/theory.md), and the
        :func:`pair_geometry` entries.
    """
    pi, _, _ = _tools(system)
    geo = pair_geometry(W, V, system)
    r, rv, theta, sin, cos = geo["r"], geo["rv"], geo["theta"], geo["sin"], geo["cos"]
    lin = alpha * alpha + alpha * beta
    g = beta * beta / (2 * pi)
    rr = np.multiply.outer(r, rv)
    out = dict(geo)
    out["K00"] = rr * (lin * cos + g * (sin + (pi - theta) * cos))
    out["K11"] = lin + g * (pi - theta)
    out["K20"] = g * sin * (rv[None, :] / r[:, None])
    out["KB"] = g * sin
    if system == "float64":
        nz = sin != 0
        safe = np.where(nz, sin, 1.0)
        out["K22"] = np.where(nz, g / (rr * safe), 0.0)
        out["K31"] = np.where(nz, -g * cos / ((r * r)[:, None] * safe), 0.0)
        out["K13"] = np.where(nz, -g * cos / ((rv * rv)[None, :] * safe), 0.0)
    else:
        zero = systems.scalar(0, system)
        nz = np.frompyfunc(lambda x: not _is_zero(x, system), 1, 1)(sin).astype(bool)
        one = systems.scalar(1, system)
        safe = np.where(nz, sin, one)
        out["K22"] = np.where(nz, g / (rr * safe), zero)
        out["K31"] = np.where(nz, -g * cos / ((r * r)[:, None] * safe), zero)
        out["K13"] = np.where(nz, -g * cos / ((rv * rv)[None, :] * safe), zero)
    return out


# ----------------------------------------------------------------------------- provider
class ReluKernels(Kernels):
    """Kernels of ``alpha*z + beta*relu(z)``: the ``(a, b, c)`` contract (float64, mpmath)
    and :meth:`pair_matrices` from the vectors (float64, mpmath, arb).

    Attributes
    ----------
    family : (sympy.Expr, sympy.Expr)
        ``(alpha, beta)``.
    """

    vector_route = True

    def __init__(self, act: Activation):
        self.family = act.relu_family
        alpha, beta = self.family
        origin = (
            f"closed form of the ReLU family alpha*z + beta*relu(z), alpha = {alpha}, "
            f"beta = {beta} (symhess.kernels.relu)"
        )
        super().__init__(
            act,
            origin,
            relu_kernels,
            self.family,
            RELU_SYSTEMS,
            means=self._means,
            means_origin="closed form of the ReLU family with means, Owen's T "
            "(symhess.kernels.relu_means)",
            means_systems=("float64", "mpmath"),
        )

    def _means(self, a, b, c, m1, m2, system):
        return relu_mean_kernels(a, b, c, m1, m2, self.parameters(system), system)

    def __call__(self, a, b, c, system: str = "float64"):
        self.check_system(system)
        if system == "arb":
            raise SymhessError(
                "the (a, b, c) kernels of the ReLU family cannot tell a parallel pair in ball "
                "arithmetic; use pair_matrices (kernel_matrices does)"
            )
        return super().__call__(a, b, c, system)

    def parameters(self, system: str = "float64") -> tuple:
        """``(alpha, beta)`` as numbers of ``system``."""
        self.check_system(system)
        return tuple(_parameter(x, system) for x in self.family)

    def pair_matrices(self, W, V=None, system: str = "float64", *, b=None, c=None) -> dict:
        """:func:`pair_matrices` of ``W`` (and ``V``) with this activation's ``alpha, beta``.

        With biases ``b`` (of the rows of ``W``) and ``c`` (of the rows of ``V``; default
        ``b``), the kernels with means (:func:`~.relu_means.relu_mean_pair_matrices`): the
        ten kernels, ``KB`` of the bisector form and the regular part ``KR``.
        """
        if b is None:
            alpha, beta = self.parameters(system)
            return pair_matrices(W, V, alpha=alpha, beta=beta, system=system)
        self.check_means(system)
        alpha, beta = self.parameters(system)
        geo = pair_geometry(W, V, system)
        return relu_mean_pair_matrices(geo, b, b if c is None else c, alpha, beta, system)

    @property
    def even(self) -> bool:
        """``sigma(-z) = sigma(z)`` (``2 alpha + beta = 0``, e.g. ``abs``)."""
        alpha, beta = self.family
        return sympy.simplify(2 * alpha + beta) == 0


def resolve_relu(act: Activation) -> ReluKernels | None:
    """The registry's provider for the ReLU family (``None`` for any other activation)."""
    if act.relu_family is None:
        return None
    return ReluKernels(act)


# ----------------------------------------------------------------------------- residual
class ReluResidual:
    """The residual part ``R_WW`` of the family's Hessian away from the optimum (docs/theory.md,
    "Where the loss is (not) twice differentiable"), per student neuron ``i``::

        R_i = v_i beta^2 / (2 pi |w_i|) sum_n c_n (|q_in| (I - u_i u_i^T) + q_in q_in^T / |q_in|)

    over all rows ``y_n`` of ``Y = [W; Wt]`` with signed weights ``c = [v; -vt]``;
    ``q_in = y_n - (y_n . u_i) u_i`` and ``|q_in| = |y_n| sin(theta_in)`` (the last term 0 where
    ``q_in = 0``). As dense blocks (:meth:`blocks`, float64 or mpmath) or applied to vectors
    (:meth:`matmat`, float64, ``O(h n d)`` per vector, never forming a block).

    Parameters
    ----------
    pairs : dict
        :func:`pair_matrices` of ``W`` against ``Y`` (or the same entries joined from the
        student-student and student-teacher matrices): ``U`` and ``r`` (h, d), (h,) of the
        student, ``rv`` (n,), ``sin`` (h, n).
    Y : ndarray, shape (n, d)
        All rows, the student's first.
    c : ndarray, shape (n,)
        Signed output weights ``[v; -vt]``.
    v : ndarray, shape (h,)
    beta : number
        The family's ``beta`` (``sigma'' = beta delta``).
    system : {"float64", "mpmath"}
    """

    def __init__(self, pairs: dict, Y, c, v, beta, system: str = "float64"):
        if system not in ("float64", "mpmath"):
            raise SymhessError(
                "the residual part of the ReLU family's Hessian evaluates in float64 or "
                f"mpmath, not {system!r}"
            )
        pi, _, _ = _tools(system)
        self.system = system
        self.U, self.Y = pairs["U"], Y
        qn = pairs["rv"][None, :] * pairs["sin"]  # |q_in| = |y_n| sin(theta_in), accurate near 0
        nz = qn != 0
        if system == "float64":
            weight = np.where(nz, c[None, :] / np.where(nz, qn, 1.0), 0.0)
        else:
            nz = nz.astype(bool)
            one, zero = systems.scalar(1, system), systems.scalar(0, system)
            weight = np.where(nz, c[None, :] / np.where(nz, qn, one), zero)
        self.weight = weight  # (h, n)
        self.iso = (c[None, :] * qn).sum(axis=1)  # (h,)
        self.scale = v * beta * beta / (2 * pi * pairs["r"])  # (h,)
        self.P = self.U @ Y.T  # (h, n): y_n . u_i

    def blocks(self) -> np.ndarray:
        """``R_i`` for every student neuron, shape (h, d, d), exactly symmetric."""
        U, Y, P = self.U, self.Y, self.P
        h, d = U.shape
        Q = Y[None, :, :] - P[:, :, None] * U[:, None, :]  # q_in, (h, n, d)
        if self.system == "float64":
            outer = np.einsum("in,ina,inb->iab", self.weight, Q, Q)
            eye = np.eye(d)
        else:  # object arrays: matmul, not einsum
            outer = np.matmul(np.swapaxes(Q * self.weight[:, :, None], 1, 2), Q)
            eye = np.full((d, d), systems.scalar(0, self.system), dtype=object)
            eye[np.diag_indices(d)] = systems.scalar(1, self.system)
        perp = eye[None] - U[:, :, None] * U[:, None, :]
        R = self.scale[:, None, None] * (self.iso[:, None, None] * perp + outer)
        return (R + np.swapaxes(R, 1, 2)) / 2

    def matmat(self, X: np.ndarray) -> np.ndarray:
        """``R_i X_i`` for ``X`` of shape (h, d, m) (float64): ``q . x = y . x - p (u . x)``,
        so ``sum_n w_n q_n (q_n . x)`` is two ``(n x d)`` products per neuron."""
        U, Y, P = self.U, self.Y, self.P
        ux = np.einsum("ij,ijb->ib", U, X)  # (h, m)
        qx = np.matmul(Y[None, :, :], X) - P[:, :, None] * ux[:, None, :]  # (h, n, m)
        qx *= self.weight[:, :, None]
        s1 = np.matmul(Y.T[None, :, :], qx)  # sum_n w q.x y_n: (h, d, m)
        s2 = np.einsum("inb,in->ib", qx, P)  # sum_n w q.x p_n: (h, m)
        perp_x = X - U[:, :, None] * ux[:, None, :]
        return self.scale[:, None, None] * (
            self.iso[:, None, None] * perp_x + s1 - U[:, :, None] * s2[:, None, :]
        )


def residual_blocks(W, v, Wt, vt, *, alpha, beta) -> tuple[np.ndarray, np.ndarray]:
    """The residual part of the Hessian away from the optimum, per student neuron (float64).

    With the residual ``r = f - f_t = sum_n c_n sigma(y_n . x)`` over ``Y = [W; Wt]``,
    ``c = [v; -vt]`` (docs/theory.md, "Where the loss is (not) twice differentiable")::

        rho_i = E[r sigma'(w_i . x) x] = sum_n c_n (w_i K20(w_i, y_n) + y_n K11(w_i, y_n))
        R_i   = v_i E[r sigma''(w_i . x) x x^T]      (:class:`ReluResidual`)

    The full Hessian is ``G + R`` with ``G`` the formula at the optimum evaluated at the
    student (``symhess.hessian(act, W, v)``), ``R_Wv[(i, j), i] = rho_i[j]``, ``R_WW`` block
    ``(i, i) = R_i``, and ``R`` zero elsewhere; :class:`symhess.Landscape` assembles it.

    Parameters
    ----------
    W : ndarray, shape (h, d)
        Student rows, none zero (at ``w_i = 0`` the loss is not twice differentiable when
        ``v_i != 0``: ``R_i`` grows like ``1 / |w_i|``).
    v : ndarray, shape (h,)
    Wt : ndarray, shape (h_t, d)
    vt : ndarray, shape (h_t,)
    alpha, beta : float

    Returns
    -------
    rho : ndarray, shape (h, d)
    R : ndarray, shape (h, d, d)
        Every entry continuous wherever all student rows are non-zero (the loss is C^2 there).
    """
    W = np.asarray(W, dtype=np.float64)
    Y = np.vstack([W, np.asarray(Wt, dtype=np.float64)])
    v = np.asarray(v, dtype=np.float64)
    c = np.concatenate([v, -np.asarray(vt, dtype=np.float64)])
    K = pair_matrices(W, Y, alpha=alpha, beta=beta)
    rho = (K["K20"] @ c)[:, None] * W + (K["K11"] * c[None, :]) @ Y
    return rho, ReluResidual(K, Y, c, v, beta).blocks()
