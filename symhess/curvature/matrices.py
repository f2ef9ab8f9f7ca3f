"""Kernel matrices: the six ``K_pq`` evaluated on all pairs of hidden units.

:func:`kernel_matrices` evaluates them at once; :func:`kernel_matrices_bounded` in row blocks
when the kernel modules' intermediates for all ``h^2`` pairs would take too much memory;
:func:`diagonal_kernels` only on the diagonal ``a = b = c = |w_i|^2`` (``O(h d)``).

The matrices come as :class:`KernelMatrices`: a dict ``name -> (h, h2) array`` that also
carries the kernels' error estimates (quadrature) or ``None`` (exact kernels).

With biases ``b`` every function takes the kernels with means at ``(m1, m2) = (b_i, b_k)``
and returns the ten matrices of :data:`~symhess.symbolic.names.MEAN_NAMES` (with their error
estimates, as without biases). When every bias is exactly zero, the six bias-free matrices
come from the bias-free route (so that the ``W``, ``v`` blocks of a Hessian with ``b = 0`` are
bit for bit those without biases) and only ``K10, K01, K21, K12`` from the kernels with means.
"""

from __future__ import annotations

import numpy as np

from ..base import memory
from ..kernels import Kernels
from ..symbolic.names import BIAS_NAMES, EXTRA_NAMES, KERNEL_NAMES, MEAN_NAMES


class KernelMatrices(dict):
    """Kernel matrices ``{name: ndarray (h, h2)}``, with their error estimates.

    A plain dict of the values (so that code indexing ``K["K11"]`` keeps working), plus:

    Attributes
    ----------
    errors : dict of str to ndarray (h, h2), or None
        Estimated absolute error of every entry; ``None`` for kernels exact up to the
        rounding of their number system (polynomials, closed forms).
    tol : float or None
        The tolerance the quadrature held each entry to, relative to its scale.
    error_estimate : float
        Largest relative error estimate over the matrices (0 for exact kernels).
    stats : dict
        How the entries were computed (quadrature routes), see
        :func:`symhess.kernels.quadrature.describe_stats`.
    """

    def __init__(self, values=(), errors=None, tol=None, error_estimate=0.0, stats=None):
        super().__init__(values)
        self.errors = errors
        self.tol = tol
        self.error_estimate = float(error_estimate)
        self.stats = stats or {}

    @property
    def exact(self) -> bool:
        return self.errors is None


def _full(x, shape):
    """``x`` as an array of ``shape`` (a kernel constant in some argument comes back with
    fewer dimensions)."""
    x = np.asarray(x)
    return x if x.shape == shape else np.broadcast_to(x, shape).copy()


def _symmetrised_errors(E: dict) -> dict:
    """Errors of the symmetrised matrices: an average of two entries is within the larger
    of their two estimates; ``K13 = K31^T`` carries ``E31^T``."""
    out = {name: np.asarray(e, dtype=np.float64) for name, e in E.items()}
    for name in _SYMMETRIC:
        out[name] = np.maximum(out[name], out[name].T)
    out["K13"] = np.ascontiguousarray(out["K31"].T)
    if "K10" in out:  # with biases: K01 = K10^T, K12 = K21^T on the same rows
        out["K01"] = np.ascontiguousarray(out["K10"].T)
        out["K12"] = np.ascontiguousarray(out["K21"].T)
    return out


# Peak h x h arrays while the generated kernel modules run: their common subexpressions are
# all alive at the end (measured 9 for sigma = z and 121 for a degree-8 polynomial). Modules
# with more local variables (high degrees: over a thousand at degree 16) count those.
KERNEL_EVAL_MATRICES = 130

_SYMMETRIC = ("K00", "K11", "K22")


def kernel_matrices(
    kernels: Kernels,
    W: np.ndarray,
    U: np.ndarray | None = None,
    *,
    system: str = "float64",
    b: np.ndarray | None = None,
    b_u: np.ndarray | None = None,
) -> KernelMatrices:
    """``K_pq[i, k] = K_pq(|w_i|^2, |u_k|^2, w_i . u_k)`` for rows ``w_i`` of W, ``u_k`` of U.

    Parameters
    ----------
    kernels : Kernels
        From :func:`symhess.kernels.resolve`.
    W : ndarray, shape (h, d)
        In the number system ``system`` (float64, or an object array).
    U : ndarray, shape (h2, d), optional
        Second set of rows; defaults to ``W``.
    system : str
        Number system of ``W`` and ``U`` (see :mod:`symhess.base.systems`).
    b, b_u : ndarray, shape (h,) and (h2,), optional
        Biases of the rows of ``W`` and ``U`` (kernels with means at ``(b_i, b_u[k])``);
        ``b_u`` defaults to ``b`` when ``U is None`` and is required otherwise.

    Returns
    -------
    KernelMatrices
        A dict of str to ndarray, each of shape (h, h2), with the error estimates; keyed by
        :data:`symhess.symbolic.names.KERNEL_NAMES` (with biases
        :data:`~symhess.symbolic.names.MEAN_NAMES`, ``K01 = K10^T`` and ``K12 = K21^T`` for
        ``U is None``). For ``U is None`` the matrices are made exactly symmetric where the
        kernel is (``K00, K11, K22``) and ``K13 = K31.T``: the maths says so, and exact
        symmetry of the Hessian depends on it. Kernels with a
        vector route (:meth:`~symhess.kernels.Kernels.pair_matrices`, the ReLU family) return
        its matrices instead: the six kernels, already exactly symmetric, plus ``KB`` and the
        pair geometry that the bisector form of the Hessian is assembled from (exact kernels:
        no errors).
    """
    if b is not None:
        return _mean_matrices(kernels, W, U, system, b, b_u)
    vectors = kernels.pair_matrices(W, U, system)
    if vectors is not None:
        return vectors
    a, b, C = _gram(W, U)
    result = kernels.evaluate(a, b, C, system)
    shape = C.shape
    out = {n: _full(x, shape) for n, x in zip(KERNEL_NAMES, result.values, strict=True)}
    errors = None
    if result.errors is not None:
        errors = {n: _full(e, shape) for n, e in zip(KERNEL_NAMES, result.errors, strict=True)}
    if U is None:
        for name in _SYMMETRIC:
            K = out[name]
            out[name] = (K + K.T) / 2
        out["K13"] = np.ascontiguousarray(out["K31"].T)
        if errors is not None:
            errors = _symmetrised_errors(errors)
    return KernelMatrices(out, errors, result.tol, result.error_estimate, result.stats)


def extra_kernel_matrices(
    kernels: Kernels, W: np.ndarray, U: np.ndarray, *, system: str = "float64", names=EXTRA_NAMES
) -> KernelMatrices:
    """Kernels beyond the six (``K40``) on all pairs ``(w_i, u_m)``, where ``U`` starts with
    the rows of ``W`` (``U = [W; W_teacher]``).

    The self pairs ``u_i = w_i`` are taken at ``c = a = b = |w_i|^2`` exactly, as in
    :func:`kernel_matrices`; no symmetrisation (``K40`` is not symmetric in its arguments).

    Returns
    -------
    KernelMatrices
        Each of shape (h, len(U)), with the error estimates of quadrature kernels.
    """
    a, b, C = extra_gram(W, U)
    result = kernels.evaluate_extra(a[:, None], b[None, :], C, system, names)
    shape = C.shape
    out = {n: _full(x, shape) for n, x in zip(names, result.values, strict=True)}
    errors = None
    if result.errors is not None:
        errors = {n: _full(e, shape) for n, e in zip(names, result.errors, strict=True)}
    return KernelMatrices(out, errors, result.tol, result.error_estimate, result.stats)


def extra_gram(W, U):
    """``a`` (h,), ``b`` (len(U),) and ``C`` (h, len(U)) for the pairs ``(w_i, u_m)``, where
    ``U`` starts with the rows of ``W``: the self pairs at ``c = a = b = |w_i|^2`` exactly."""
    h = W.shape[0]
    with np.errstate(over="ignore", invalid="ignore"):  # the kernels refuse non-finite input
        a = np.array([w.dot(w) for w in W], dtype=W.dtype)
        b = np.concatenate([a, np.array([u.dot(u) for u in U[h:]], dtype=U.dtype)])
        C = W.dot(U.T)
    C[np.arange(h), np.arange(h)] = a
    return a, b, C


def _gram(W, U):
    """``a`` (h, 1), ``b`` (1, h2) and ``C`` (h, h2); ``C`` exactly symmetric with ``c_ii =
    a_i`` when ``U is None``."""
    same = U is None
    U = W if same else U
    with np.errstate(over="ignore", invalid="ignore"):  # the kernels refuse non-finite input
        C = W.dot(U.T)
        a = np.array([w.dot(w) for w in W], dtype=W.dtype)[:, None]
        bb = a.T if same else np.array([u.dot(u) for u in U], dtype=U.dtype)[None, :]
    if same:
        C = (C + C.T) / 2
        C[np.diag_indices_from(C)] = a[:, 0]
    return a, bb, C


def _all_zero(b) -> bool:
    return all(x == 0 for x in np.asarray(b).reshape(-1))


def _mean_matrices(kernels, W, U, system, b, b_u) -> KernelMatrices:
    """:func:`kernel_matrices` with biases (the ten kernels with means)."""
    kernels.check_means(system)
    same = U is None
    if not same and b_u is None:
        raise ValueError("kernel matrices between two sets of rows need the biases of both")
    m2 = b if same else b_u
    shape = (W.shape[0], (W if same else U).shape[0])
    vectors = kernels.pair_matrices(W, U, system, b=b, c=m2)
    errors, worst, tol, stats = None, 0.0, None, {}
    if vectors is not None:  # exact kernels from the weight vectors (the ReLU family)
        out = dict(vectors)
    else:
        a, bb, C = _gram(W, U)
        result = kernels.evaluate_means(a, bb, C, b[:, None], m2[None, :], system)
        out = {n: _full(x, shape) for n, x in zip(MEAN_NAMES, result.values, strict=True)}
        if result.errors is not None:
            errors = {n: _full(e, shape) for n, e in zip(MEAN_NAMES, result.errors, strict=True)}
        worst, tol, stats = result.error_estimate, result.tol, result.stats
    if _all_zero(b) and _all_zero(m2):  # the bit-for-bit contract with the bias-free route
        base = kernel_matrices(kernels, W, U, system=system)
        out = {**base, **{name: out[name] for name in BIAS_NAMES}}
        base_errors = getattr(base, "errors", None)
        if errors is not None or base_errors is not None:
            zero = {n: np.zeros(shape) for n in MEAN_NAMES}
            errors = {
                **(base_errors or zero),
                **{name: (errors or zero)[name] for name in BIAS_NAMES},
            }
            worst = max(worst, getattr(base, "error_estimate", 0.0))
            tol = tol if tol is not None else getattr(base, "tol", None)
        if not same:
            return KernelMatrices(out, errors, tol, worst, stats)
    elif not same:
        return KernelMatrices(out, errors, tol, worst, stats)
    else:
        for name in (*_SYMMETRIC, "KB"):
            if name in out:
                K = out[name]
                out[name] = (K + K.T) / 2
        out["K13"] = np.ascontiguousarray(out["K31"].T)
    out["K01"] = np.ascontiguousarray(out["K10"].T)
    out["K12"] = np.ascontiguousarray(out["K21"].T)
    if errors is not None:
        errors = _symmetrised_errors(errors)
    return KernelMatrices(out, errors, tol, worst, stats)


def kernel_matrices_bounded(
    kernels: Kernels, W: np.ndarray, reserved: float = 0.0, b: np.ndarray | None = None
) -> KernelMatrices:
    """:func:`kernel_matrices` of ``W`` with ``W`` (float64), in row blocks if the kernel
    module's intermediates for all ``h^2`` pairs at once would take too much memory.

    ``reserved`` bytes of the scratch budget are kept for the caller's own arrays; ``b`` are
    the biases (the kernels with means, as in :func:`kernel_matrices`).

    The blocks are made exactly symmetric the same way (``K00, K11, K22`` averaged with their
    transposes, ``K13 = K31^T``) and the diagonals use ``c = a`` exactly.
    """
    if b is not None:
        kernels.check_means("float64")
        if _all_zero(b) or kernels.vector_route:
            # the bias-free route, or vectors: a few h x h matrices, no intermediates to bound
            return kernel_matrices(kernels, W, b=b)
    else:
        vectors = kernels.pair_matrices(W)
        if vectors is not None:  # a few h x h matrices: no intermediates to bound
            return vectors
    h = W.shape[0]
    budget = max(256 * 2**20, memory.scratch_budget() - reserved)
    arrays = max(KERNEL_EVAL_MATRICES, getattr(kernels, "local_arrays", None) or 0)
    rows = max(1, int(min(h, budget // (8 * arrays * h))))
    if rows >= h:
        return kernel_matrices(kernels, W, b=b)
    a = np.einsum("ij,ij->i", W, W)
    names = KERNEL_NAMES if b is None else MEAN_NAMES
    out = {name: np.empty((h, h)) for name in names}
    errors = None
    worst, stats = 0.0, {}
    for start in range(0, h, rows):
        block = slice(start, min(h, start + rows))
        C = W[block] @ W.T
        local = np.arange(block.stop - block.start)
        C[local, local + start] = a[block]
        if b is None:
            result = kernels.evaluate(a[block, None], a[None, :], C, "float64")
        else:
            result = kernels.evaluate_means(
                a[block, None], a[None, :], C, b[block, None], b[None, :], "float64"
            )
        for name, value in zip(out, result.values, strict=True):
            out[name][block] = value
        if result.errors is not None:
            if errors is None:
                errors = {name: np.empty((h, h)) for name in names}
            for name, e in zip(errors, result.errors, strict=True):
                errors[name][block] = e
            worst = max(worst, result.error_estimate)
            stats = _merge_stats(stats, result.stats)
    for name in ("K00", "K11", "K22"):
        K = out[name]
        K += K.T
        K *= 0.5
    out["K13"] = np.ascontiguousarray(out["K31"].T)
    if b is not None:
        out["K01"] = np.ascontiguousarray(out["K10"].T)
        out["K12"] = np.ascontiguousarray(out["K21"].T)
    if errors is not None:
        errors = _symmetrised_errors(errors)
    return KernelMatrices(out, errors, getattr(kernels, "tol", None), worst, stats)


def _merge_stats(total: dict, part: dict) -> dict:
    """Route counts of row blocks added up (largest nodes and orders kept)."""
    if not total:
        return {k: (dict(v) if isinstance(v, dict) else v) for k, v in part.items()}
    for key, value in part.items():
        if key in ("entries", "diagonal", "bivariate"):
            total[key] = total.get(key, 0) + value
        elif key == "mehler_terms":
            for n, count in value.items():
                total[key][n] = total[key].get(n, 0) + count
        elif key in ("hermite_order", "bivariate_nodes_max", "units"):
            total[key] = max(total.get(key, 0), value)
        elif key == "unit_rule" and value["nodes"] > total[key]["nodes"]:
            total[key] = dict(value)
    return total


def diagonal_kernels(
    kernels: Kernels, W: np.ndarray, b: np.ndarray | None = None
) -> KernelMatrices:
    """The kernels at ``a = b = c = |w_i|^2`` (and ``m1 = m2 = b_i`` with biases): the
    diagonals of the kernel matrices, ``O(h d)``."""
    a = np.einsum("ij,ij->i", W, W)
    if b is not None and not _all_zero(b):
        result = kernels.evaluate_means(a, a, a, b, b, "float64")
        return _diagonal(result, MEAN_NAMES)
    out = _diagonal(kernels.evaluate(a, a, a, "float64"), KERNEL_NAMES)
    if b is None:
        return out
    extra = _diagonal(kernels.evaluate_means(a, a, a, b, b, "float64"), MEAN_NAMES)
    values = {**out, **{name: extra[name] for name in BIAS_NAMES}}
    errors = None
    if out.errors is not None or extra.errors is not None:
        zero = {n: np.zeros_like(a) for n in MEAN_NAMES}
        errors = {
            **(out.errors or zero),
            **{name: (extra.errors or zero)[name] for name in BIAS_NAMES},
        }
    worst = max(out.error_estimate, extra.error_estimate)
    return KernelMatrices(values, errors, out.tol or extra.tol, worst, out.stats)


def _diagonal(result, names) -> KernelMatrices:
    errors = None
    if result.errors is not None:
        errors = dict(zip(names, result.errors, strict=True))
    values = dict(zip(names, result.values, strict=True))
    return KernelMatrices(values, errors, result.tol, result.error_estimate, result.stats)
