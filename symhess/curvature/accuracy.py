"""How far a computed Hessian may be from the true one: kernel errors and rounding.

With ``E_pq[i, k]`` a bound on the error of ``K_pq[i, k]``, every block of ``Delta H`` (the
block formula of :mod:`.dense`) is bounded in spectral norm::

    ||Delta H_WW[i, k]|| <= |v_i v_k| (E11 + |w_i|^2 E31 + 2 |w_i| |w_k| E22 + |w_k|^2 E13)
    ||Delta H_Wv[i, k]|| <= |v_i| (|w_i| E20 + |w_k| E11)
    |Delta H_vv[i, k]|   <= E00

and with biases (the blocks of :mod:`.dense`)::

    ||Delta H_bW[i, k]|| <= |v_i v_k| (|w_i| E21 + |w_k| E12)
    |Delta H_bv[i, k]|   <= |v_i| E10,     |Delta H_bb[i, k]| <= |v_i v_k| E11

(``||w_i w_i^T|| = |w_i|^2``, ``||w_i w_k^T + w_k w_i^T|| <= 2 |w_i| |w_k|``), and the
spectral norm of a block matrix is at most that of the ``2h x 2h`` matrix ``B`` of its block
norms (``|x^T A y| <= sum |x_I| ||A_IJ|| |y_J|``): ``O(h^2)`` work, no Hessian needed, so the
matrix-free operator has it too. ``||B||_2`` itself is bounded from above by the
Collatz-Wielandt ratio ``max_i (B x)_i / x_i`` of a positive vector ``x`` (power iteration
makes it tight).

Rounding: each entry of a float64 Hessian is a sum of products of a kernel value and weights,
so its rounding error is at most ``gamma`` times the same sum of absolute values, ``gamma`` a
small multiple of the unit roundoff (:data:`ROUNDING_FACTOR`). The matrix of those absolute
sums has the same block structure with ``|K_pq|`` in place of ``E_pq``. This is what catches
cancellation among the Stein terms: for ``erf(1e10 z)`` the diagonal ``K31, K22, K13`` are of
order ``alpha^3`` and cancel to ``O(alpha)`` entries, so float64 keeps no digit of them.

Eigenvalues of the computed matrix then lie within ``bound`` of the true ones (Weyl), plus
the eigensolver's own backward error ``P eps ||H||`` (added by the consumers that compute
eigenvalues, see :func:`noise`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..errors import SymhessError

__all__ = ["ROUNDING_FACTOR", "HessianError", "block_norm_bound", "hessian_error", "noise"]

ROUNDING_FACTOR = 64
"""``gamma / u``: rounding of one Hessian entry relative to the sum of its terms' absolute
values, in units of the working precision's unit roundoff ``u``. Generous on purpose: the
kernel modules' own rounding and the assembly's few operations (the rank-2 factorisation of
each block, then the products) are measured below 10 (tests/curvature/test_accuracy.py)."""

_POWER_STEPS = 30
_FLOAT_EPS = float(np.finfo(np.float64).eps)


def block_norm_bound(M: dict, W, v, bisector=None) -> float:
    """An upper bound of ``||A||_2`` for a Hessian-shaped ``A`` whose kernels are bounded by
    ``M`` entrywise (see the module docstring).

    Parameters
    ----------
    M : dict of str to ndarray, each (h, h)
        Non-negative bounds at ``[i, k]`` for ``K00, K11, K20, K22, K31, K13``; with
        ``K10`` (biases) also ``K10, K21, K12``, and the matrix bounded is ``3h x 3h`` in
        blocks. With ``KR`` (the ReLU family's regular part with biases, ``v_i v_k (KR_ik
        u_i u_i^T + KR_ki u_k u_k^T)`` for unit ``u``) that part is added.
    W : ndarray, shape (h, d)
    v : ndarray, shape (h,)
    bisector : ndarray, shape (h, h), optional
        For the ReLU family's bisector form (:mod:`.dense`), the bound of ``KB``: the rank-2
        part of a block is then ``v_i v_k KB (b b^T - n n^T)`` with unit ``b, n``, of norm at
        most ``2 |v_i v_k| KB``, in place of the ``K31, K22, K13`` terms.

    Returns
    -------
    float
        0 when every bound is 0.
    """
    W = np.asarray(W, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    h = W.shape[0]
    E = {}
    bias = "K10" in M
    names = ("K00", "K11", "K20", "K22", "K31", "K13") + (("K10", "K21", "K12") if bias else ())
    names += ("KR",) if "KR" in M else ()
    for name in names:
        e = np.abs(np.asarray(M[name], dtype=np.float64))
        if e.shape != (h, h) or not np.all(np.isfinite(e)):
            raise SymhessError(f"kernel bound {name} must be a finite ({h}, {h}) array")
        E[name] = e
    n = np.sqrt(np.einsum("ij,ij->i", W, W))
    av = np.abs(v)
    with np.errstate(over="ignore", invalid="ignore"):
        if bisector is None:
            rank2 = (
                (n * n)[:, None] * E["K31"]
                + 2 * np.outer(n, n) * E["K22"]
                + (n * n)[None, :] * E["K13"]
            )
        else:
            rank2 = 2 * np.abs(np.asarray(bisector, dtype=np.float64))
        if "KR" in E:
            rank2 = rank2 + E["KR"] + E["KR"].T
        ww = np.outer(av, av) * (E["K11"] + rank2)
        wv = av[:, None] * (n[:, None] * E["K20"] + n[None, :] * E["K11"])
        if bias:
            bw = np.outer(av, av) * (n[:, None] * E["K21"] + n[None, :] * E["K12"])
            bv = av[:, None] * E["K10"]
            bb = np.outer(av, av) * E["K11"]
    if bias:
        B = np.block([[ww, wv, bw.T], [wv.T, E["K00"], bv.T], [bw, bv, bb]])
    else:
        B = np.block([[ww, wv], [wv.T, E["K00"]]])
    B = np.maximum(B, B.T)
    if not np.all(np.isfinite(B)):
        return float("inf")
    return _perron_upper(B)


def _perron_upper(B: np.ndarray) -> float:
    """An upper bound of the largest eigenvalue of a symmetric non-negative matrix:
    ``max_i (B x)_i / x_i`` (Collatz-Wielandt) after a few power steps from ``x = 1``.
    Rows that are zero are left out (their ratio is 0)."""
    if B.size == 0:
        return 0.0
    top = float(B.max())
    if top == 0.0:
        return 0.0
    B = B / top
    x = np.ones(B.shape[0])
    for _ in range(_POWER_STEPS):
        y = B @ x
        y = np.maximum(y, 1e-300 * y.max())  # a zero row must not make x vanish
        x = y / y.max()
    y = B @ x
    return float(np.max(y / x)) * top


@dataclass(frozen=True)
class HessianError:
    """A bound on ``||H_computed - H_true||_2``, and what it is made of.

    Attributes
    ----------
    kernel : float
        From the kernels' error estimates (quadrature); 0 for exact kernels.
    rounding : float
        From the rounding of every entry in the working precision (the Stein terms'
        absolute values times ``ROUNDING_FACTOR`` units of roundoff); 0 in exact arithmetic.
    scale : float
        ``||H_abs||_2`` bound of the matrix of absolute terms (what ``rounding`` is
        relative to).
    kernel_relative : float
        Largest relative error estimate of the kernels (0 for exact kernels).
    tolerance : float or None
        The quadrature tolerance (``None`` for exact kernels).
    system : str
    stats : dict
        How the kernels were computed (quadrature routes).
    """

    kernel: float
    rounding: float
    scale: float
    kernel_relative: float = 0.0
    tolerance: float | None = None
    system: str = "float64"
    stats: dict = field(default_factory=dict)

    @property
    def bound(self) -> float:
        """``kernel + rounding``: every eigenvalue of the computed matrix lies within this
        of one of the true matrix (Weyl), before the eigensolver's own error."""
        return self.kernel + self.rounding

    @property
    def exact_kernels(self) -> bool:
        return self.tolerance is None

    def describe(self) -> str:
        """One line for reports."""
        parts = []
        if self.tolerance is not None:
            parts.append(
                f"kernels {self.kernel:.1e} (quadrature estimate {self.kernel_relative:.1e} of "
                f"each entry's scale, tolerance {self.tolerance:.0e})"
            )
        parts.append(f"rounding {self.rounding:.1e}")
        return f"||H - H_true||_2 <= {self.bound:.2e}: " + " + ".join(parts)


def unit_roundoff(system: str) -> float:
    """The unit roundoff of a number system (0 for the exact ones)."""
    if system == "float64":
        return _FLOAT_EPS
    if system == "mpmath":
        import mpmath

        return float(mpmath.mpf(2) ** (-mpmath.mp.prec))
    return 0.0


def _as_float(x) -> np.ndarray:
    x = np.asarray(x)
    if x.dtype == object:
        return np.vectorize(lambda t: float(abs(t)), otypes=[float])(x)
    return np.abs(x.astype(np.float64))


def hessian_error(K, W, v, system: str = "float64") -> HessianError:
    """The :class:`HessianError` of the Hessian assembled from kernel matrices ``K``.

    Parameters
    ----------
    K : KernelMatrices (or dict of str to ndarray)
        From :func:`symhess.curvature.matrices.kernel_matrices`; its ``errors`` (``None``
        for exact kernels) give :attr:`HessianError.kernel`.
    W : ndarray, shape (h, d)
        In any number system (converted to float64 for the bound).
    v : ndarray, shape (h,)
    system : str
        The number system the Hessian was computed in (its unit roundoff scales the rounding
        term).
    """
    Wf, vf = _as_float(W), _as_float(v)
    names = ("K00", "K11", "K20", "K22", "K31", "K13")
    names += tuple(name for name in ("K10", "K21", "K12", "KR") if name in K)
    absK = {name: _as_float(K[name]) for name in names}
    # the ReLU family is assembled in its bisector form: its terms are those (no 1/sin)
    bisector = _as_float(K["KB"]) if "KB" in K else None
    scale = block_norm_bound(absK, Wf, vf, bisector)
    rounding = ROUNDING_FACTOR * unit_roundoff(system) * scale
    errors = getattr(K, "errors", None)
    if errors is None:
        return HessianError(0.0, rounding, scale, system=system)
    kernel = block_norm_bound(errors, Wf, vf)
    return HessianError(
        kernel,
        rounding,
        scale,
        getattr(K, "error_estimate", 0.0),
        getattr(K, "tol", None),
        system,
        dict(getattr(K, "stats", {})),
    )


def noise(error: HessianError | float | None, P: int, norm: float, u: float = _FLOAT_EPS) -> float:
    """How far any computed eigenvalue may be from a true one: the Hessian's error bound plus
    the eigensolver's backward error ``P u ||H||``.

    Parameters
    ----------
    error : HessianError, float or None
        The Hessian's error bound (``None``: rounding of an exact matrix only).
    P : int
        Size of the matrix.
    norm : float
        ``||H||_2`` (the largest ``|lambda|``).
    u : float
        Unit roundoff of the eigensolver's arithmetic.
    """
    bound = 0.0 if error is None else float(getattr(error, "bound", error))
    return bound + P * u * float(norm)
