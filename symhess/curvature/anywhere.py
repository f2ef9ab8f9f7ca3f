"""The loss landscape anywhere: exact loss, gradient and Hessian of a student of any width.

Teacher ``f_t(x) = sum_m v_t,m sigma(w_t,m . x)`` (``h_t`` rows), student
``f(x) = sum_i v_i sigma(w_i . x)`` (``h_s`` rows, any ``h_s >= 1``), ``x ~ N(0, I_d)``,
``L = 1/2 E[(f - f_t)^2]``, parameters ``theta = (vec W row-major, v)``, ``P_s = h_s d + h_s``.

All rows ``U = [W; W_t]`` with signed weights ``c = [v; -v_t]`` make the residual
``r(x) = f - f_t = sum_m c_m sigma(u_m . x)``. With the cross kernels
``X_pq[i, m] = K_pq(|w_i|^2, |u_m|^2, w_i . u_m)`` (self pairs at ``a = b = c``) Stein's lemma
gives (docs/theory.md, "The Hessian anywhere: Gauss-Newton and residual parts")::

    L        = 1/2 c^T K00(U, U) c
    dL/dv_i  = (X00 c)_i                                   = E[r sigma(z_i)]
    dL/dw_i  = v_i rho_i,  rho_i = (X20 c)_i w_i + sum_m c_m X11[i,m] u_m = E[r sigma'(z_i) x]

    H = G + R,   G = E[g g^T]  (the optimum's block formula with the student's kernels)
    R_vv = 0,  R_Wv[(i,j), k] = delta_ik rho_i[j]
    R_WW[(i,j),(k,l)] = delta_ik v_i [alpha_i delta_jl + beta_i W_ij W_il + W_ij g_il
                                      + g_ij W_il + (M_i)_jl]
    alpha = X20 c,  beta = X40 c,  g = (X31 o c^T) U,  M_i = U^T diag(c o X22[i, :]) U

With biases (student ``b``, teacher ``b_t``; ``f(x) = sum_i v_i sigma(w_i . x + b_i)``) every
kernel is taken with means (the biases of its two rows, docs/theory.md, "Biases"), the
parameters are ``W`` row-major, ``v``, then ``b`` (``P_s = h_s d + 2 h_s``), ``G`` is the
optimum's block formula with biases, and Stein's lemma adds::

    dL/db_i  = v_i (X10 c)_i                               = v_i E[r sigma'(z_i)]
    R_bv[i, i] = (X10 c)_i,   R_bb[i, i] = v_i (X20 c)_i,
    R_bW[i, (i, j)] = v_i [(X30 c)_i W_ij + ((X21 o c^T) U)_ij]

(every other ``R_b.`` entry is zero: ``R`` stays block diagonal in the neurons). ``K30`` and
``K40`` with means come from :meth:`symhess.kernels.Kernels.evaluate_mean_extra`; the ReLU
family has neither, and a Landscape with biases refuses it. With every bias exactly zero the
``W``, ``v`` part is the bias-free Landscape's, bit for bit.

``K40`` is the one kernel beyond the six (:meth:`symhess.kernels.Kernels.extra`). ``R`` is
block diagonal in the student's neurons, and zero wherever ``f = f_t`` (each coefficient is
``E[r * something]``): at the teacher ``H = G`` is :func:`symhess.hessian`.

The ReLU family ``alpha z + beta relu(z)`` has no ``K40`` (its ``sigma''`` is a Dirac delta):
``G`` is assembled in the bisector form from the vectors
(:func:`symhess.kernels.relu.pair_matrices`), ``R_WW``'s blocks come from
:class:`symhess.kernels.relu.ReluResidual` (docs/theory.md, "Where the loss is (not) twice
differentiable") and ``rho`` is the formula above. Zero student rows are refused: there the
loss is not twice differentiable.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field

import mpmath
import numpy as np
from scipy.sparse.linalg import LinearOperator

from ..base import memory, systems
from ..errors import SymhessError
from ..kernels.consistent import ConsistentRule
from ..kernels.relu import ReluKernels, ReluResidual
from ..symbolic.names import BIAS_NAMES, KERNEL_NAMES, MEAN_EXTRA_NAMES
from ..teacher import check_biases, check_weights
from .dense import assemble, check_memory
from .matrices import _all_zero, _full, extra_gram, extra_kernel_matrices, kernel_matrices
from .matrix_free import HessianOperator, operator_bytes

EPS = float(np.finfo(np.float64).eps)
NONSMOOTH_RTOL = float(np.sqrt(EPS))
"""A ReLU-family student row with ``|w_i|`` at most this times the largest teacher row norm
is taken to be at ``w_i = 0``, where the loss is not twice differentiable
(:meth:`Landscape.nonsmooth_rows`)."""
PARTS = ("full", "gauss-newton", "residual")
_CROSS = ("K00", "K11", "K20", "K22", "K31")

# A dense Hessian away from the optimum holds H and the residual's scratch (about as much).
DENSE_COPIES = 2.2

# Scratch bytes one block of operator products may use.
_MATMAT_BUDGET = 512 * 2**20


def _content(x: np.ndarray | None):
    """A hashable cache key of an array's values (``None`` stays ``None``): its bytes, or for
    exact and mpmath numbers (object arrays) the tuple of its entries."""
    if x is None:
        return None
    return x.tobytes() if x.dtype != object else tuple(x.ravel())


@dataclass
class _State:
    """Kernel matrices at one student point, in one number system."""

    W: np.ndarray  # (h, d)
    v: np.ndarray  # (h,)
    Wt: np.ndarray  # (h_t, d)
    vt: np.ndarray  # (h_t,)
    S: dict  # the six student-student kernel matrices (h, h), exactly symmetric
    T: dict  # the six student-teacher kernel matrices (h, h_t)
    system: str
    errors: dict = field(default_factory=dict)  # "S", "T", "K40": per-entry error estimates
    X: dict = field(default_factory=dict)  # cross kernels on all rows (h, h + h_t), lazy
    ms: np.ndarray | None = None  # with biases: the means of the student rows (h,)
    mt: np.ndarray | None = None  # and of the teacher rows (h_t,)

    @property
    def kernel_error(self) -> float:
        """Largest estimated absolute error of any kernel entry (0 for exact kernels)."""
        return max(
            (float(np.max(e, initial=0.0)) for m in self.errors.values() for e in m.values()),
            default=0.0,
        )

    @property
    def U(self) -> np.ndarray:
        return np.concatenate([self.W, self.Wt], axis=0)

    @property
    def c(self) -> np.ndarray:
        return np.concatenate([self.v, -self.vt])

    def cross(self, name: str) -> np.ndarray:
        if name not in self.X:
            self.X[name] = np.concatenate([self.S[name], self.T[name]], axis=1)
        return self.X[name]


class Landscape:
    """Exact population loss, gradient and Hessian of any student against a fixed teacher.

    Parameters
    ----------
    activation : str, coefficient list, Activation or Kernels
        As for :func:`symhess.hessian`: polynomials (exact in every number system),
        ``beta * erf(alpha z)`` (closed form, float64 and mpmath), the ReLU family
        ``alpha z + beta relu(z)`` - ``relu``, ``leaky_relu(z, a)``, ``abs`` - (closed form,
        float64 and mpmath; no zero rows), any other smooth activation by quadrature
        (float64, with an error estimate).
    W_t : array_like, shape (h_t, d)
        Teacher first-layer weights.
    v_t : array_like, shape (h_t,)
        Teacher second-layer weights.
    b_t : array_like, shape (h_t,), optional
        Teacher biases, ``f_t(x) = sum_m v_t,m sigma(w_t,m . x + b_t,m)``. The student's
        biases are the ``b`` argument of :meth:`loss`, :meth:`gradient` and :meth:`hessian`
        (``None``: a student without biases, ``P_s = h_s d + h_s``; with ``b``, ``P_s = h_s d
        + 2 h_s`` in the order ``W`` row-major, ``v``, ``b``). Not for the ReLU family (its
        ``K30``, ``K40`` are not functions).
    kernel_dirs : sequence of paths, optional
        Extra folders with generated kernel modules.

    Notes
    -----
    Every method takes a student ``W`` (shape ``(h_s, d)``, its own width ``h_s >= 1``) and
    ``v`` (shape ``(h_s,)``) and refuses, in one line, a different ``d``, no rows, or
    non-finite entries. Parameters are ordered ``W`` row-major, then ``v``.

    >>> import numpy as np, symhess
    >>> t = symhess.sample_teacher(d=3, h=2, seed=0)
    >>> ls = symhess.Landscape("erf(z)", t.W, t.v)
    >>> W, v = np.vstack([t.W, np.ones(3)]), np.append(t.v, 0.5)  # a wider student
    >>> ls.hessian(W, v).shape
    (12, 12)
    """

    def __init__(self, activation, W_t, v_t, b_t=None, *, kernel_dirs=None):
        from ..kernels import resolve

        self.kernels = resolve(activation, kernel_dirs)
        self.relu = isinstance(self.kernels, ReluKernels)
        W_t, v_t = check_weights(W_t, v_t)
        self.b_t = None if b_t is None else check_biases(b_t, W_t.shape[0])
        if self.b_t is not None:
            self._check_bias_kernels()
        if self.relu:
            zero = _zero_rows(W_t)
            if zero:
                raise SymhessError(
                    f"teacher row {zero[0]} is zero: it adds nothing to f_t (sigma(0) = 0 in the "
                    "ReLU family) and has no direction; drop it"
                )
        self.W_t, self.v_t = W_t, v_t
        self.h_t, self.d = W_t.shape
        self._cache: tuple | None = None
        self._teacher: dict = {}
        self.last_kernel_error = 0.0
        # float64 loss and gradient: one consistent rule over the stacked rows [W; W_t] (for
        # quadrature kernels one Mehler rule for every entry, so that the loss's terms cancel
        # consistently); the ReLU family's vector route is accurate as it is.
        self.rule = None if self.relu else ConsistentRule(self.kernels)
        self._last: tuple | None = None
        self._bias_cache: tuple | None = None

    # ------------------------------------------------------------------ input
    def check(self, W, v) -> tuple[np.ndarray, np.ndarray]:
        """Validate a student; return ``(W, v)`` as arrays (float64 unless exact)."""
        arr = np.asarray(W)
        if arr.ndim == 2 and arr.shape[0] == 0:
            raise SymhessError("the student has no hidden units (W has 0 rows)")
        W, v = check_weights(W, v)
        if W.shape[1] != self.d:
            raise SymhessError(
                f"the student's W has {W.shape[1]} columns but the teacher's input dimension "
                f"is {self.d}"
            )
        if self.relu:
            zero = _zero_rows(W)
            if zero:
                raise SymhessError(
                    f"student row {zero[0]} is zero: the loss of the ReLU family is not twice "
                    "differentiable at w_i = 0 (not even differentiable when v_i != 0: "
                    "sigma'(0) is undefined), and its Hessian grows like 1/|w_i| nearby "
                    "(docs/theory.md, section 11.7); move the row off 0"
                )
        return W, v

    def nonsmooth_rows(self, W, v) -> list[int]:
        """Student rows where the loss is not twice differentiable, to float64 accuracy.

        For the ReLU family: the rows with ``|w_i| <= sqrt(eps) max_k |w_t,k|`` (at
        ``w_i = 0`` the loss is not twice differentiable, nor differentiable when
        ``v_i != 0``; docs/theory.md, section 11.7), where a critical point has no index or
        rank. Searches for critical points converge to such rows (the origin is a critical
        point in the non-smooth sense). Empty for smooth activations.
        """
        if not self.relu:
            return []
        W = np.asarray(W, dtype=float)
        scale = float(np.max(np.linalg.norm(np.asarray(self.W_t, dtype=float), axis=1)))
        return [int(i) for i in np.flatnonzero(np.linalg.norm(W, axis=1) <= NONSMOOTH_RTOL * scale)]

    def split(self, theta, h: int | None = None) -> tuple[np.ndarray, np.ndarray]:
        """``(W, v)`` from a flat parameter vector of length ``h (d + 1)``."""
        theta = np.asarray(theta)
        if theta.ndim != 1:
            raise SymhessError(f"theta must be a vector, got shape {theta.shape}")
        if h is None:
            h, rem = divmod(theta.shape[0], self.d + 1)
            if rem or h < 1:
                raise SymhessError(f"{theta.shape[0]} parameters is not h (d + 1) for d = {self.d}")
        elif theta.shape[0] != h * (self.d + 1):
            raise SymhessError(
                f"theta has {theta.shape[0]} entries, not h (d + 1) = {h * (self.d + 1)}"
            )
        return theta[: h * self.d].reshape(h, self.d), theta[h * self.d :]

    @staticmethod
    def flat(W, v, b=None) -> np.ndarray:
        """``theta = (vec W row-major, v)``, or ``(vec W row-major, v, b)`` with biases."""
        W, v = np.asarray(W), np.asarray(v)
        parts = [W.reshape(-1), v] + ([] if b is None else [np.asarray(b)])
        return np.concatenate(parts)

    # ------------------------------------------------------------------ kernels
    def _state(self, W, v, system: str) -> _State:
        W, v = self.check(W, v)
        systems.check_system(system)
        key = (system, mpmath.mp.dps, W.shape, _content(W), _content(v))
        if self._cache is not None and self._cache[0] == key:
            return self._cache[1]
        self.kernels.check_system(system)
        Wn, vn = systems.array(W, system), systems.array(v, system)
        Wt, vt = self._teacher_arrays(system)
        S = kernel_matrices(self.kernels, Wn, system=system)
        T = kernel_matrices(self.kernels, Wn, Wt, system=system)
        errors = {
            name: m.errors
            for name, m in (("S", S), ("T", T))
            if getattr(m, "errors", None) is not None
        }
        state = _State(Wn, vn, Wt, vt, S, T, system, errors)
        self.last_kernel_error = state.kernel_error
        self._cache = (key, state)
        return state

    def _teacher_arrays(self, system: str):
        key = ("weights", system, mpmath.mp.dps)
        if key not in self._teacher:
            self._teacher[key] = (
                systems.array(self.W_t, system),
                systems.array(self.v_t, system),
            )
        return self._teacher[key]

    def _with_extra(self, st: _State) -> _State:
        """Add ``X["K40"]`` (only the Hessian's residual part needs it); for the ReLU family
        its residual blocks (:class:`~symhess.kernels.relu.ReluResidual`) instead."""
        if self.relu:
            if "relu" not in st.X:
                pairs = {
                    "U": st.S["U"],
                    "r": st.S["r"],
                    "rv": np.concatenate([st.S["rv"], st.T["rv"]]),
                    "sin": st.cross("sin"),
                }
                beta = self.kernels.parameters(st.system)[1]
                st.X["relu"] = ReluResidual(pairs, st.U, st.c, st.v, beta, st.system)
            return st
        if "K40" not in st.X:
            extra = extra_kernel_matrices(self.kernels, st.W, st.U, system=st.system)
            st.X.update(extra)
            if extra.errors is not None:
                st.errors["K40"] = extra.errors
            self.last_kernel_error = st.kernel_error
        return st

    # ------------------------------------------------------------------ loss and gradient
    def session(self):
        """A block of many float64 evaluations (a training run, a flow): see
        :meth:`symhess.kernels.consistent.ConsistentRule.session`."""
        return self.rule.session() if self.rule is not None else contextlib.nullcontext()

    @property
    def route(self) -> str:
        """How the kernels of the last float64 loss and gradient were computed."""
        return self.rule.route if self.rule is not None else self.kernels.origin

    def _stacked(self, W, v) -> dict:
        """Kernels of the stacked rows ``R = [W; W_t]`` (float64) with ``u = [v; -v_t]``:
        ``K00`` of shape (n, n), ``K11, K20`` with at least the student's ``h`` rows, and
        their errors (or ``None``); ``n = h + h_t``."""
        W, v = self.check(W, v)
        W, v = np.asarray(W, dtype=np.float64), np.asarray(v, dtype=np.float64)
        key = (W.shape, W.tobytes(), v.tobytes())
        if self._last is not None and self._last[0] == key:
            return self._last[1]
        R = np.concatenate([W, self.W_t.astype(np.float64)])
        u = np.concatenate([v, -self.v_t.astype(np.float64)])
        if self.rule is not None:
            with np.errstate(over="ignore", invalid="ignore"):  # the kernels name overflow
                K, errors = self.rule(R)
        else:  # the ReLU family: from the vectors (student rows against all rows)
            st = self._state(W, v, "float64")
            Ktt = self._teacher_kernels("float64")["K00"]
            top = np.concatenate([st.S["K00"], st.T["K00"]], axis=1)
            bottom = np.concatenate([st.T["K00"].T, Ktt], axis=1)
            # K11, K20 only for the student's rows: the gradient needs no more
            K = {
                "K00": np.concatenate([top, bottom]),
                "K11": st.cross("K11"),
                "K20": st.cross("K20"),
            }
            errors = None
        out = {"W": W, "v": v, "R": R, "u": u, "K": K, "errors": errors}
        self._last = (key, out)
        return out

    def _teacher_kernels(self, system: str) -> dict:
        key = ("kernels", system, mpmath.mp.dps)
        if key not in self._teacher:
            Wt, _ = self._teacher_arrays(system)
            self._teacher[key] = kernel_matrices(self.kernels, Wt, system=system)
        return self._teacher[key]

    def loss(self, W, v, b=None, *, system: str = "float64"):
        """``L(W, v) = 1/2 E[(f - f_t)^2]``: a float, or a number of ``system``.

        With biases (``b``, or the teacher's ``b_t``) from the kernel matrices with means in
        every system (float64 too), unless every bias is zero: then exactly as without.

        In float64 from one evaluation over the stacked rows (:meth:`value_and_gradient`),
        in other systems from the kernel matrices of the student against itself and the
        teacher.

        Parameters
        ----------
        W : array_like, shape (h_s, d)
        v : array_like, shape (h_s,)
        b : array_like, shape (h_s,), optional
            The student's biases.
        system : {"float64", "mpmath", "fraction", "fmpq"}
        """
        if self._biased(b):
            return self._bias_loss(W, v, b, system)
        if system == "float64":
            return self._value_and_gradient(W, v)[0]
        st = self._state(W, v, system)
        Ktt = self._teacher_kernels(system)["K00"]
        return (
            st.v.dot(st.S["K00"]).dot(st.v)
            - 2 * st.v.dot(st.T["K00"]).dot(st.vt)
            + st.vt.dot(Ktt).dot(st.vt)
        ) / 2

    def loss_floor(self, W, v) -> float:
        """``eps`` times the summed magnitude of the loss's cancelling terms (plus the kernels'
        own error when they could not be evaluated by one consistent rule): values of ``L``
        below a few hundred times this are noise."""
        self._bias_free_only("loss_floor")
        return self._value_and_gradient(W, v)[3]

    def _rho(self, st: _State) -> np.ndarray:
        """``rho_i = E[r sigma'(z_i) x]``, shape (h, d)."""
        S, T = st.S, st.T
        return (
            (S["K20"].dot(st.v) - T["K20"].dot(st.vt))[:, None] * st.W
            + (S["K11"] * st.v[None, :]).dot(st.W)
            - (T["K11"] * st.vt[None, :]).dot(st.Wt)
        )

    def gradient(self, W, v, b=None, *, system: str = "float64") -> np.ndarray:
        """``dL/dtheta``, shape ``(h_s d + h_s,)``: ``W`` row-major, then ``v`` (then ``b``,
        shape ``(h_s d + 2 h_s,)``, with student biases)."""
        if self._biased(b):
            return self._bias_gradient(W, v, b, system)
        if system == "float64":
            _, gW, gv, _ = self._value_and_gradient(W, v)
            return np.concatenate([gW.reshape(-1), gv])
        st = self._state(W, v, system)
        gW = st.v[:, None] * self._rho(st)
        gv = st.S["K00"].dot(st.v) - st.T["K00"].dot(st.vt)
        return np.concatenate([gW.reshape(-1), gv])

    def value_and_gradient(self, W, v) -> tuple[float, np.ndarray, np.ndarray, float]:
        """:meth:`_value_and_gradient`, for a Landscape without biases (the flows and
        searches move ``W`` and ``v``; with biases use :meth:`loss` and :meth:`gradient`)."""
        self._bias_free_only("value_and_gradient")
        return self._value_and_gradient(W, v)

    def _value_and_gradient(self, W, v) -> tuple[float, np.ndarray, np.ndarray, float]:
        """``(L, dL/dW, dL/dv, floor)`` in float64 from one kernel evaluation.

        With ``R = [W; W_t]``, ``u = [v; -v_t]`` and the kernels of the stacked rows
        (:class:`~symhess.kernels.consistent.ConsistentRule`)::

            L = 1/2 u^T K00 u,   dL/dv = (K00 u)[:h],
            dL/dW = v_i ((K20 u)_i w_i + sum_m u_m K11[i, m] r_m)

        Returns
        -------
        L : float
        gW : ndarray, shape (h_s, d)
        gv : ndarray, shape (h_s,)
        floor : float
            ``eps`` times the summed magnitude of the cancelling terms, plus the kernels'
            errors when the rule could not serve every entry consistently.
        """
        ev = self._stacked(W, v)
        W, v, R, u, K, errors = ev["W"], ev["v"], ev["R"], ev["u"], ev["K"], ev["errors"]
        h = W.shape[0]
        Ku = K["K00"] @ u
        loss = 0.5 * (u @ Ku)
        gv = Ku[:h]
        gW = v[:, None] * ((K["K20"][:h] @ u)[:, None] * W + (K["K11"][:h] * u[None, :]) @ R)
        au = np.abs(u)
        floor = EPS * (au @ np.abs(K["K00"]) @ au)
        if errors is not None and not self.route.startswith("one Mehler"):
            floor += au @ errors["K00"] @ au
        return float(loss), gW, gv, float(floor)

    def gradient_floor(self, W, v) -> float:
        """``eps`` times the 2-norm of the gradient formula with every term by its magnitude:
        ``|grad L|`` below a few times this is rounding noise."""
        self._bias_free_only("gradient_floor")
        ev = self._stacked(W, v)
        W, v, R, u, K = ev["W"], ev["v"], ev["R"], ev["u"], ev["K"]
        h = W.shape[0]
        au, aR = np.abs(u), np.abs(R)
        K = {n: np.abs(K[n][:h]) for n in ("K00", "K11", "K20")}
        rho = (K["K20"] @ au)[:, None] * np.abs(W) + (K["K11"] * au[None, :]) @ aR
        gW = np.abs(v)[:, None] * rho
        gv = K["K00"] @ au
        return float(EPS * np.sqrt(np.sum(gW**2) + np.sum(gv**2)))

    # ------------------------------------------------------------------ Hessian
    def _residual_blocks(self, st: _State):
        """``R_WW``'s diagonal blocks ``(h, d, d)``, exactly symmetric, and ``rho`` ``(h, d)``."""
        if "relu" in st.X:
            return st.X["relu"].blocks(), self._rho(st)
        W, v, U, c = st.W, st.v, st.U, st.c
        d = W.shape[1]
        alpha = st.cross("K20").dot(c)
        beta = st.cross("K40").dot(c)
        g = (st.cross("K31") * c[None, :]).dot(U)
        E = st.cross("K22") * c[None, :]  # (h, h + h_t)
        M = np.matmul(U.T[None, :, :] * E[:, None, :], U)  # M_i = U^T diag(E_i) U
        M = (M + np.swapaxes(M, 1, 2)) / 2  # exactly symmetric whatever the summation order
        ww = W[:, :, None] * W[:, None, :]  # commutative products: symmetric
        wg = W[:, :, None] * g[:, None, :]
        blocks = beta[:, None, None] * ww + (wg + np.swapaxes(wg, 1, 2)) + M
        diag = np.arange(d)
        blocks[:, diag, diag] = blocks[:, diag, diag] + alpha[:, None]
        blocks = v[:, None, None] * blocks
        return blocks, self._rho(st)

    def hessian(self, W, v, b=None, *, part: str = "full", system: str = "float64") -> np.ndarray:
        """The Hessian ``d^2 L / dtheta^2`` (or one of its parts) as a dense matrix.

        Parameters
        ----------
        W : array_like, shape (h_s, d)
        v : array_like, shape (h_s,)
        b : array_like, shape (h_s,), optional
            The student's biases (then ``P_s = h_s d + 2 h_s``, ``b`` last).
        part : {"full", "gauss-newton", "residual"}
            ``G = E[g g^T]`` with ``g = df/dtheta`` (PSD), ``R = E[r d^2 f/dtheta^2]``
            (zero where the student computes the teacher's function), or ``G + R``.
        system : {"float64", "mpmath", "fraction", "fmpq"}

        Returns
        -------
        ndarray, shape (P_s, P_s), P_s = h_s d + h_s (h_s d + 2 h_s with biases)
            Exactly symmetric: float64, or an object array of the system's numbers.
        """
        check_part(part)
        if self._biased(b):
            return self._bias_hessian(W, v, b, part, system)
        W, v = self.check(W, v)
        h, d = W.shape
        if system == "float64":
            check_memory(h, d, DENSE_COPIES)
        st = self._state(W, v, system)
        hd, P = h * d, h * d + h
        if part == "residual":
            H = systems.zeros((P, P), system)
        else:
            H = assemble(st.S, st.W, st.v)
        if part == "gauss-newton":
            return H
        blocks, rho = self._residual_blocks(self._with_extra(st))
        for i in range(h):  # h blocks of d x d: a loop over neurons, not over entries
            rows = slice(i * d, (i + 1) * d)
            H[rows, rows] = H[rows, rows] + blocks[i]
            H[rows, hd + i] = H[rows, hd + i] + rho[i]
            H[hd + i, rows] = H[hd + i, rows] + rho[i]
        return H

    def operator(self, W, v, *, part: str = "full") -> LandscapeOperator:
        """The Hessian as a symmetric ``LinearOperator`` (float64), never formed.

        ``O((h_s + h_t) h_s d)`` work per product; the Gauss-Newton part is
        :class:`symhess.curvature.matrix_free.HessianOperator` (``O(h_s^2 d)``).

        Parameters
        ----------
        W : array_like, shape (h_s, d)
        v : array_like, shape (h_s,)
        part : {"full", "gauss-newton", "residual"}
        """
        check_part(part)
        self._bias_free_only("operator", "Landscape.hessian(W, v, b) (dense)")
        W, v = self.check(W, v)
        if W.dtype == object or v.dtype == object:
            raise SymhessError("the Hessian operator works in float64; give float weights")
        h, d = W.shape
        memory.require(
            operator_bytes(h, d) + 8 * 14 * h * (h + self.h_t),
            f"the landscape Hessian operator for h_s = {h}, h_t = {self.h_t}, d = {d}",
            "use fewer hidden units",
        )
        st = self._with_extra(self._state(W, v, "float64"))
        return LandscapeOperator(st, self._rho(st), part)

    def hessian_error(self, W, v, b=None) -> float:
        """A bound on ``max |H_ab|``'s error from the kernels' error estimates (quadrature),
        else 0.

        Every entry of ``H`` is a linear combination of kernel values; replacing each kernel
        entry by its error estimate and each coefficient by its magnitude bounds the entry's
        error.
        """
        if self._biased(b):
            return self._bias_hessian_error(W, v, b)
        if self.relu:  # closed forms from the vectors: rounding only
            self.check(W, v)
            return 0.0
        st = self._with_extra(self._state(W, v, "float64"))
        if not st.errors:
            return 0.0

        def bound_of(which, like):
            E = st.errors.get(which)
            return {k: (E[k] if E is not None else np.zeros_like(x)) for k, x in like.items()}

        S = bound_of("S", {k: st.S[k] for k in KERNEL_NAMES})
        T = bound_of("T", {k: st.T[k] for k in KERNEL_NAMES})
        # Magnitudes everywhere: c = [|v|; |v_t|] (v_t enters with a minus sign), U = |U|.
        bound = _State(np.abs(st.W), np.abs(st.v), np.abs(st.Wt), -np.abs(st.vt), S, T, "float64")
        bound.X["K40"] = bound_of("K40", {"K40": st.X["K40"]})["K40"]
        G = assemble(S, bound.W, bound.v)
        blocks, rho = self._residual_blocks(bound)
        return float(np.max(np.abs(G)) + max(np.max(np.abs(blocks)), np.max(np.abs(rho))))

    # ------------------------------------------------------------------ biases
    def _biased(self, b) -> bool:
        """Whether a call involves biases (the student's ``b`` or the teacher's ``b_t``)."""
        return b is not None or self.b_t is not None

    def _check_bias_kernels(self) -> None:
        if self.relu:
            raise SymhessError(
                "the Landscape with biases needs K30 and K40 with means, which the ReLU family "
                "does not have (its sigma'' is a Dirac delta); use it without biases"
            )
        self.kernels.check_means("float64")

    def _bias_free_only(self, what: str, instead: str = "loss, gradient and hessian") -> None:
        if self.b_t is not None:
            raise SymhessError(
                f"Landscape.{what} works without biases only; this teacher has biases b_t "
                f"(use {instead} with the student's b)"
            )

    def _bias_state(self, W, v, b, system: str) -> _State:
        """Kernel matrices with means (the ten of the student against itself and against the
        teacher) at one student point; ``b = None``: a student without biases (means 0)."""
        self._check_bias_kernels()
        W, v = self.check(W, v)
        h = W.shape[0]
        b = None if b is None else check_biases(b, h)
        systems.check_system(system)
        key = (system, mpmath.mp.dps, W.shape, _content(W), _content(v), _content(b))
        if self._bias_cache is not None and self._bias_cache[0] == key:
            return self._bias_cache[1]
        self.kernels.check_means(system)
        Wn, vn = systems.array(W, system), systems.array(v, system)
        Wt, vt = self._teacher_arrays(system)
        ms = systems.array(np.zeros(h) if b is None else b, system)
        mt = systems.array(np.zeros(self.h_t) if self.b_t is None else self.b_t, system)
        S = kernel_matrices(self.kernels, Wn, system=system, b=ms)
        T = kernel_matrices(self.kernels, Wn, Wt, system=system, b=ms, b_u=mt)
        errors = {
            name: m.errors
            for name, m in (("S", S), ("T", T))
            if getattr(m, "errors", None) is not None
        }
        st = _State(Wn, vn, Wt, vt, S, T, system, errors, ms=ms, mt=mt)
        self.last_kernel_error = st.kernel_error
        self._bias_cache = (key, st)
        return st

    @staticmethod
    def _zero_biases(st: _State) -> bool:
        return _all_zero(st.ms) and _all_zero(st.mt)

    def _with_bias_extra(self, st: _State) -> _State:
        """Add ``X30`` and ``X40`` with means on all rows ``U = [W; W_t]`` (self pairs at
        ``c = a = b``, the same mean); with every bias zero ``X40`` by the bias-free route."""
        if "K30" in st.X:
            return st
        W, U = st.W, st.U
        h = W.shape[0]
        m_all = np.concatenate([st.ms, st.mt])
        zero = self._zero_biases(st)
        a, bb, C = extra_gram(W, U)
        names = ("K30",) if zero else MEAN_EXTRA_NAMES
        res = self.kernels.evaluate_mean_extra(
            a[:, None], bb[None, :], C, st.ms[:, None], m_all[None, :], st.system, names
        )
        shape = (h, U.shape[0])
        for name, x in zip(names, res.values, strict=True):
            st.X[name] = _full(x, shape)
        if res.errors is not None:
            st.errors["X"] = {n: _full(e, shape) for n, e in zip(names, res.errors, strict=True)}
        if zero:  # the W, v part bit for bit as without biases
            self._with_extra(st)
        self.last_kernel_error = st.kernel_error
        return st

    def _teacher_bias_k00(self, system: str):
        key = ("kernels with means", system, mpmath.mp.dps)
        if key not in self._teacher:
            Wt, _ = self._teacher_arrays(system)
            mt = systems.array(np.zeros(self.h_t) if self.b_t is None else self.b_t, system)
            self._teacher[key] = kernel_matrices(self.kernels, Wt, system=system, b=mt)["K00"]
        return self._teacher[key]

    def _bias_loss(self, W, v, b, system: str):
        st = self._bias_state(W, v, b, system)
        if system == "float64" and self._zero_biases(st):
            return self._value_and_gradient(W, v)[0]
        Ktt = self._teacher_bias_k00(system)
        value = (
            st.v.dot(st.S["K00"]).dot(st.v)
            - 2 * st.v.dot(st.T["K00"]).dot(st.vt)
            + st.vt.dot(Ktt).dot(st.vt)
        ) / 2
        return float(value) if system == "float64" else value

    def _bias_gradient(self, W, v, b, system: str) -> np.ndarray:
        st = self._bias_state(W, v, b, system)
        if system == "float64" and self._zero_biases(st):
            _, gW, gv, _ = self._value_and_gradient(W, v)
        else:
            gW = st.v[:, None] * self._rho(st)
            gv = st.S["K00"].dot(st.v) - st.T["K00"].dot(st.vt)
        parts = [gW.reshape(-1), gv]
        if b is not None:
            parts.append(st.v * st.cross("K10").dot(st.c))  # dL/db_i = v_i E[r sigma'(z_i)]
        return np.concatenate(parts)

    def _bias_residual(self, st: _State):
        """The residual's bias entries: ``R_bv`` and ``R_bb`` (diagonal, shape (h,)) and
        ``R_bW`` (row ``i`` against the block of neuron ``i``, shape (h, d))."""
        c, U = st.c, st.U
        rbv = st.cross("K10").dot(c)
        rbb = st.v * st.cross("K20").dot(c)
        rbW = st.v[:, None] * (
            st.cross("K30").dot(c)[:, None] * st.W + (st.cross("K21") * c[None, :]).dot(U)
        )
        return rbv, rbb, rbW

    def _bias_hessian(self, W, v, b, part: str, system: str) -> np.ndarray:
        W, v = self.check(W, v)
        h, d = W.shape
        has_b = b is not None
        if system == "float64":
            check_memory(h, d, DENSE_COPIES, bias=has_b)
        st = self._bias_state(W, v, b, system)
        hd, P0 = h * d, h * d + h
        P = P0 + h * has_b
        if part == "residual":
            H = systems.zeros((P, P), system)
        else:
            K = st.S if has_b else {name: st.S[name] for name in KERNEL_NAMES}
            H = assemble(K, st.W, st.v)
        if part == "gauss-newton":
            return H
        st = self._with_bias_extra(st)
        blocks, rho = self._residual_blocks(st)
        for i in range(h):  # h blocks of d x d: a loop over neurons, not over entries
            rows = slice(i * d, (i + 1) * d)
            H[rows, rows] = H[rows, rows] + blocks[i]
            H[rows, hd + i] = H[rows, hd + i] + rho[i]
            H[hd + i, rows] = H[hd + i, rows] + rho[i]
        if has_b:
            rbv, rbb, rbW = self._bias_residual(st)
            for i in range(h):
                rows = slice(i * d, (i + 1) * d)
                H[P0 + i, rows] = H[P0 + i, rows] + rbW[i]
                H[rows, P0 + i] = H[rows, P0 + i] + rbW[i]
                H[P0 + i, hd + i] = H[P0 + i, hd + i] + rbv[i]
                H[hd + i, P0 + i] = H[hd + i, P0 + i] + rbv[i]
                H[P0 + i, P0 + i] = H[P0 + i, P0 + i] + rbb[i]
        return H

    def _bias_hessian_error(self, W, v, b) -> float:
        """:meth:`hessian_error` with biases: every kernel entry replaced by its error estimate
        and every coefficient by its magnitude, bias entries included."""
        st = self._with_bias_extra(self._bias_state(W, v, b, "float64"))
        if not st.errors:
            return 0.0
        has_b = b is not None

        def bound_of(which, like):
            E = st.errors.get(which)
            return {
                k: (E[k] if E is not None and k in E else np.zeros_like(x)) for k, x in like.items()
            }

        names = KERNEL_NAMES + (BIAS_NAMES if has_b else ())
        S = bound_of("S", {k: st.S[k] for k in names})
        T = bound_of("T", {k: st.T[k] for k in names})
        bound = _State(np.abs(st.W), np.abs(st.v), np.abs(st.Wt), -np.abs(st.vt), S, T, "float64")
        X = bound_of("X", {k: st.X[k] for k in MEAN_EXTRA_NAMES})
        bound.X["K30"] = X["K30"]
        bound.X["K40"] = bound_of("K40", {"K40": st.X["K40"]})["K40"] + X["K40"]
        G = assemble(S, bound.W, bound.v)
        blocks, rho = self._residual_blocks(bound)
        residual = [np.max(np.abs(blocks)), np.max(np.abs(rho))]
        if has_b:
            residual += [float(np.max(np.abs(x))) for x in self._bias_residual(bound)]
        return float(np.max(np.abs(G)) + max(residual))

    def notes(self) -> list[str]:
        """How the kernels were computed (quadrature rule and error estimate), for reports."""
        return self.kernels.notes()


def _zero_rows(W: np.ndarray) -> list[int]:
    """Indices of the rows of ``W`` that are exactly zero (any number system)."""
    return [int(i) for i in np.flatnonzero(~np.any(np.asarray(W != 0, dtype=bool), axis=1))]


def check_part(part: str) -> str:
    if part not in PARTS:
        raise SymhessError(f"unknown part {part!r}; choose one of {', '.join(PARTS)}")
    return part


class LandscapeOperator(LinearOperator):
    """``H @ x`` away from the optimum: the Gauss-Newton operator plus the residual part.

    With ``X`` (``h x d``) the ``W`` part and ``y`` the ``v`` part of a vector::

        (R x)_{W,i} = v_i [alpha_i X_i + beta_i w_i (w_i . X_i) + w_i (g_i . X_i)
                           + g_i (w_i . X_i) + sum_m c_m X22[i,m] u_m (u_m . X_i)] + rho_i y_i
        (R x)_{v,i} = rho_i . X_i

    The sum over ``m`` is ``((X U^T) o (X22 o c^T)) U``: two ``(h x d) (d x (h + h_t))``
    products, ``O((h_s + h_t) h_s d)`` per vector.

    Attributes
    ----------
    h, d, P : int
    part : str
    products : int
        Vectors multiplied so far.
    """

    def __init__(self, st: _State, rho: np.ndarray, part: str):
        h, d = st.W.shape
        P = h * d + h
        super().__init__(dtype=np.float64, shape=(P, P))
        self.h, self.d, self.P = h, d, P
        self.part = part
        self._gn = HessianOperator(st.S, st.W, st.v) if part != "residual" else None
        c, U = st.c, st.U
        self._W, self._v, self._U = st.W, st.v, U
        self._rho = rho
        self._relu = st.X.get("relu")
        if self._relu is None:
            self._alpha = st.cross("K20") @ c
            self._beta = st.cross("K40") @ c
            self._g = (st.cross("K31") * c[None, :]) @ U
            self._E = st.cross("K22") * c[None, :]
        self.products = 0

    def _adjoint(self):
        return self

    def _transpose(self):
        return self

    def _matvec(self, x):
        return self._matmat(np.asarray(x).reshape(-1, 1)).reshape(-1)

    def _matmat(self, X):
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[0] != self.P:
            raise SymhessError(f"expected vectors of length P = {self.P}, got shape {X.shape}")
        if np.iscomplexobj(X):
            return self._matmat(X.real) + 1j * self._matmat(X.imag)
        X = np.ascontiguousarray(X, dtype=np.float64)
        m = X.shape[1]
        out = self._gn @ X if self._gn is not None else np.zeros((self.P, m))
        if self.part != "gauss-newton":
            per_vector = 8 * (2 * self.h * self._U.shape[0] + 6 * self.h * self.d)
            step = max(1, _MATMAT_BUDGET // per_vector)
            for start in range(0, m, step):
                cols = slice(start, min(m, start + step))
                out[:, cols] += self._residual(X[:, cols])
        self.products += m
        return out

    def _residual(self, X: np.ndarray) -> np.ndarray:
        """``R @ X`` for ``X`` of shape ``(P, m)``."""
        h, d = self.h, self.d
        hd = h * d
        W, v, U = self._W, self._v, self._U
        Xr = X[:hd].reshape(h, d, -1)
        y = X[hd:]  # (h, m)
        out = np.empty_like(X)
        out[hd:] = np.einsum("ij,ijb->ib", self._rho, Xr)
        if self._relu is not None:
            RW = self._relu.matmat(Xr) + self._rho[:, :, None] * y[:, None, :]
            out[:hd] = RW.reshape(hd, -1)
            return out
        wx = np.einsum("ij,ijb->ib", W, Xr)  # w_i . X_i
        gx = np.einsum("ij,ijb->ib", self._g, Xr)
        T = np.matmul(Xr.transpose(0, 2, 1), U.T)  # (h, m, h + h_t): X_i . u_m
        T *= self._E[:, None, :]
        sumU = np.matmul(T, U).transpose(0, 2, 1)  # (h, d, m)
        RW = (
            self._alpha[:, None, None] * Xr
            + W[:, :, None] * (self._beta[:, None] * wx + gx)[:, None, :]
            + self._g[:, :, None] * wx[:, None, :]
            + sumU
        ) * v[:, None, None] + self._rho[:, :, None] * y[:, None, :]
        out[:hd] = RW.reshape(hd, -1)
        return out
