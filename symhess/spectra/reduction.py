"""Row-space reduction: the exact Hessian spectrum at the optimum when ``d > h``.

Every ``d x d`` block of ``H_WW`` is ``A_ik I_d`` plus a matrix whose rows and columns lie in
the row space ``R = span(w_1, ..., w_h)`` of ``W``, and every column of ``H_Wv`` lies in
``R`` (docs/theory.md, "Row-space reduction (d > h)"). With ``Q`` (``d x h``) an orthonormal
basis of a space containing ``R`` (the economic QR of ``W^T``, whatever the rank of ``W``)
and ``T = diag(I_h (x) Q, I_h)``::

    spec(H) = spec(T^T H T)   (size h^2 + h)
            + spec(A), each eigenvalue repeated d - h times,   A = (v v^T) o K11.

``T^T H T`` is the Hessian of the rotated teacher ``(W Q, v)`` in dimension ``h`` (the kernels
depend on ``W W^T`` alone), so it is assembled by the ordinary dense assembly from the same
``h x h`` kernel matrices, and its products cost ``O(h^3)`` instead of ``O(h^2 d)``. ``H`` is
never formed: ``O(h^2 d)`` for ``W W^T`` and the QR, ``O(h^4)`` for the reduced matrix,
``O(h^6)`` for all its eigenvalues (LAPACK).

The reduction applies when ``d > h`` (:func:`applies`); for ``d <= h`` it would change
nothing, and every command then takes its ordinary route.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.linalg

from ..base import memory, progress
from ..base.threads import describe as blas_threads
from ..base.threads import lapack_threads, solver_threads
from ..curvature.accuracy import HessianError, hessian_error
from ..curvature.dense import assemble, check_size
from ..curvature.matrices import kernel_matrices
from ..curvature.matrix_free import HessianOperator
from ..errors import SymhessError
from ..kernels import resolve
from ..teacher import check_weights
from .extremes import WHICH, Extremes, extreme_eigenvalues

__all__ = [
    "ReducedSpectrum",
    "applies",
    "describe",
    "reduced_bytes",
    "reduced_extremes",
    "reduced_fits",
    "reduced_hessian",
    "reduced_operator",
    "reduced_size",
    "reduced_spectrum",
    "row_space_basis",
]


def applies(h: int, d: int) -> bool:
    """Whether the row-space reduction shrinks the problem: ``d > h``."""
    return d > h


def reduced_size(h: int, d: int) -> int:
    """Size of the reduced matrix, ``h min(h, d) + h``."""
    return h * min(h, d) + h


def describe(h: int, d: int) -> list[str]:
    """Two lines saying what the reduction does for these sizes (for reports)."""
    return [
        f"d > h: exact row-space reduction - H is orthogonally similar to the Hessian of the "
        f"rotated teacher (W Q, v), size h^2 + h = {reduced_size(h, d):,},",
        f"plus A = (v v^T) o K11 (h x h) with each eigenvalue repeated d - h = {d - h:,} times",
    ]


def _check(W, v) -> tuple[np.ndarray, np.ndarray]:
    W, v = check_weights(W, v)
    if W.dtype == object or v.dtype == object:
        raise SymhessError("the row-space reduction works in float64; give float weights")
    W, v = W.astype(np.float64), v.astype(np.float64)
    h, d = W.shape
    if not applies(h, d):
        raise SymhessError(f"the row-space reduction needs d > h, got d = {d}, h = {h}")
    return W, v


def row_space_basis(W: np.ndarray) -> np.ndarray:
    """An orthonormal basis ``Q`` of a space containing the row space of ``W``.

    Parameters
    ----------
    W : ndarray, shape (h, d), ``d > h``

    Returns
    -------
    ndarray, shape (d, h)
        ``Q^T Q = I_h`` and ``W Q Q^T = W`` up to rounding (economic QR of ``W^T``; it spans
        the row space and, if ``W`` is rank deficient, some more directions, which the
        reduction allows).
    """
    h, d = W.shape
    if not applies(h, d):
        raise SymhessError(f"the row-space reduction needs d > h, got d = {d}, h = {h}")
    Q, _ = np.linalg.qr(W.T)
    return Q


def reduced_hessian(
    K: dict[str, np.ndarray], W: np.ndarray, v: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``T^T H T``, the bulk matrix ``A`` and the basis ``Q``, without forming ``H``.

    Parameters
    ----------
    K : dict of str to ndarray, each (h, h)
        Kernel matrices of ``W`` (:func:`symhess.curvature.kernel_matrices`).
    W : ndarray, shape (h, d), ``d > h``
    v : ndarray, shape (h,)

    Returns
    -------
    R : ndarray, shape (h^2 + h, h^2 + h)
        The Hessian of the rotated teacher ``(W Q, v)`` with the kernel matrices ``K``:
        parameters ``(W Q)[i, a]`` at ``i*h + a``, then ``v``.
    A : ndarray, shape (h, h)
        ``(v v^T) o K11``; each of its eigenvalues is an eigenvalue of ``H`` ``d - h`` times.
    Q : ndarray, shape (d, h)
    """
    Q = row_space_basis(W)
    A = np.multiply.outer(v, v) * K["K11"]
    return assemble(rotated(K, Q), W @ Q, v), A, Q


ROTATED_KEYS = ("U", "V")
"""Kernel-matrix entries that are rows in ``R^d`` rather than functions of ``(a, b, c)``: the
ReLU family's unit directions ``w_i / |w_i|`` (its bisector form, :mod:`symhess.kernels.relu`)."""


def rotated(K: dict, Q: np.ndarray) -> dict:
    """The kernel matrices of the rotated teacher ``(W Q, v)``: the same ``h x h`` matrices
    (they depend on ``W W^T`` only) and the direction rows of :data:`ROTATED_KEYS` times ``Q``.

    Parameters
    ----------
    K : dict of str to ndarray
        Kernel matrices of ``W``.
    Q : ndarray, shape (d, m)
        Orthonormal columns spanning the rows of ``W``.
    """
    out = dict(K)
    for key in ROTATED_KEYS:
        if key in out:
            out[key] = np.asarray(out[key], dtype=np.float64) @ Q
    return out


@dataclass(frozen=True)
class ReducedSpectrum:
    """The whole Hessian spectrum from the row-space reduction.

    Attributes
    ----------
    reduced : ndarray, shape (h^2 + h,)
        Eigenvalues of ``T^T H T``, ascending, each once.
    bulk : ndarray, shape (h,)
        Eigenvalues of ``A = (v v^T) o K11``, ascending, each ``multiplicity`` times in ``H``.
    multiplicity : int
        ``d - h``.
    d, h : int
    seconds : float
        Wall time of the computation.
    error : HessianError or None
        A bound on ``||H - H_true||_2`` from the kernels' errors and rounding
        (:func:`symhess.curvature.accuracy.hessian_error`): ``T^T H T`` and ``A`` are blocks
        of ``S^T H S`` with ``S`` orthogonal, so by Weyl every eigenvalue here is within it
        (plus the eigensolver's ``P eps ||H||``) of a true one.
    """

    reduced: np.ndarray
    bulk: np.ndarray
    multiplicity: int
    d: int
    h: int
    seconds: float = 0.0
    error: HessianError | None = None

    @property
    def params(self) -> int:
        return self.h * self.d + self.h

    def values(self) -> tuple[np.ndarray, np.ndarray]:
        """Eigenvalues with their multiplicities, ascending.

        Returns
        -------
        values : ndarray, shape (h^2 + 2h,)
        counts : ndarray of int, shape (h^2 + 2h,)
            ``counts.sum() == P``. Values are not merged: a reduced eigenvalue equal to a
            bulk one stays a separate entry.
        """
        values = np.concatenate([self.reduced, self.bulk])
        counts = np.concatenate(
            [np.ones(self.reduced.size, dtype=np.int64), np.full(self.h, self.multiplicity)]
        )
        order = np.argsort(values, kind="stable")
        return values[order], counts[order]

    def eigenvalues(self) -> np.ndarray:
        """All ``P`` eigenvalues of ``H``, ascending, shape ``(P,)`` (8 P bytes)."""
        values, counts = self.values()
        return np.repeat(values, counts)

    def extremes(self, k: int, which: str = "largest") -> np.ndarray:
        """The ``k`` largest (descending) or smallest (ascending) eigenvalues of ``H``."""
        values, counts = self.values()
        if which == "largest":
            values, counts = values[::-1], counts[::-1]
        last = int(np.searchsorted(np.cumsum(counts), k, side="left"))
        return np.repeat(values[: last + 1], counts[: last + 1])[:k]

    def trace(self) -> float:
        """``trace(H)`` from the eigenvalues."""
        return float(self.reduced.sum() + self.multiplicity * self.bulk.sum())


def reduced_bytes(h: int, d: int) -> float:
    """Peak bytes of :func:`reduced_spectrum`: the reduced matrix (LAPACK works on it in
    place), the divide-and-conquer workspace, the kernel matrices and the ``h x d`` arrays."""
    n = reduced_size(h, d)
    return 8.0 * (n * n + 2 * n * n // 8 + 12 * n + 6 * h * d + 20 * h * h)


def reduced_fits(h: int, d: int) -> bool:
    """Whether the reduction applies and its dense reduced matrix fits in memory."""
    return applies(h, d) and memory.fits(reduced_bytes(h, d))


def reduced_spectrum(
    activation, W, v, *, kernel_dirs=None, threads: int | None = None, show_progress=None
) -> ReducedSpectrum:
    """All eigenvalues of the Hessian at the optimum for ``d > h``, from an
    ``(h^2 + h)``-size matrix and an ``h x h`` one.

    Parameters
    ----------
    activation : str, coefficient list, Activation or Kernels
    W : array_like, shape (h, d), ``d > h``
    v : array_like, shape (h,)
    kernel_dirs : sequence of paths, optional
    threads : int, optional
        BLAS threads for LAPACK (:func:`symhess.base.threads.lapack_threads`; default the
        cores other processes leave idle).
    show_progress : bool, optional
        Progress bars of long kernel evaluations (quadrature).

    Returns
    -------
    ReducedSpectrum

    Raises
    ------
    SymhessError
        ``d <= h``, exact-number weights, or a reduced matrix that would not fit in memory.
    """
    start = time.perf_counter()
    kernels = resolve(activation, kernel_dirs)
    W, v = _check(W, v)
    h, d = W.shape
    memory.require(
        reduced_bytes(h, d),
        f"the reduced Hessian for h = {h} (size h^2 + h = {reduced_size(h, d)})",
        "use fewer hidden units, or the matrix-free operator (symhess eigs, symhess density)",
    )
    with progress.scope(show_progress):
        K = kernel_matrices(kernels, W)
    R, A, _ = reduced_hessian(K, W, v)
    error = hessian_error(K, W, v)
    # ||H||_F^2 = ||T^T H T||_F^2 + (d - h) ||A||_F^2 (S^T H S is block diagonal): a bound
    # above it leaves no correct digit, refused as the dense route refuses it
    size = float(np.sqrt(np.linalg.norm(R) ** 2 + (d - h) * np.linalg.norm(A) ** 2))
    check_size(size, error, kernels.activation.source)
    with lapack_threads(threads):  # scipy's LAPACK alone: it gets the idle cores
        reduced = scipy.linalg.eigvalsh(R, overwrite_a=True, check_finite=False, driver="evd")
        del R
        bulk = np.linalg.eigvalsh(A)
    return ReducedSpectrum(reduced, bulk, d - h, d, h, time.perf_counter() - start, error)


def reduced_operator(kernels, W: np.ndarray, v: np.ndarray) -> tuple[HessianOperator, np.ndarray]:
    """The reduced problem matrix-free: ``(HessianOperator of (W Q, v), A)``.

    Products cost ``O(h^3)`` instead of ``O(h^2 d)``; the extreme eigenvalues of ``H`` are those
    of this operator merged with ``eig(A)`` (each ``d - h`` times).

    Parameters
    ----------
    kernels : Kernels
    W : ndarray, shape (h, d), ``d > h``
    v : ndarray, shape (h,)
    """
    W, v = _check(W, v)
    K = kernel_matrices(kernels, W)
    Q = row_space_basis(W)
    A = np.multiply.outer(v, v) * K["K11"]
    return HessianOperator(rotated(K, Q), W @ Q, v, kernels=kernels), A


DENSE_SMALLEST_MAX = 4000
"""Reduced sizes ``h^2 + h`` up to which the smallest eigenvalues come from LAPACK on the whole
reduced matrix (h <= 62: a few seconds) instead of LOBPCG on the reduced operator."""


def reduced_extremes(
    activation,
    W,
    v,
    k: int = 10,
    which: str = "largest",
    *,
    kernel_dirs=None,
    tol: float | None = None,
    maxiter: int | None = None,
    seed: int = 0,
    threads: int | None = None,
    show_progress: bool | None = None,
) -> tuple[Extremes, np.ndarray]:
    """The ``k`` largest or smallest eigenvalues of ``H`` for ``d > h``: those of the reduced
    operator (:func:`symhess.spectra.extremes.extreme_eigenvalues`, products ``O(h^3)``)
    merged with ``eig(A)``, each ``d - h`` times.

    Returns
    -------
    result : Extremes
        ``eigenvalues`` of ``H`` (largest or smallest first, with multiplicities);
        ``products``, ``residual``, ``relative_residual`` and ``converged`` are the reduced
        solver's (the bulk is exact up to LAPACK's rounding); ``vectors`` is ``None``.
    from_bulk : ndarray of bool, shape (k,)
        Which of the eigenvalues are eigenvalues of ``A`` (each ``d - h`` times in ``H``).
    """
    if which not in WHICH:
        raise SymhessError(f"unknown which {which!r}; choose largest or smallest")
    kernels = resolve(activation, kernel_dirs)
    W, v = _check(W, v)
    h, d = W.shape
    P = h * d + h
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise SymhessError(f"k must be a positive integer, got {k!r}")
    if k > P:
        raise SymhessError(f"k = {k} exceeds the number of parameters P = {P}")
    if which == "smallest" and reduced_size(h, d) <= DENSE_SMALLEST_MAX:
        # the bottom of the reduced spectrum is clustered near zero, where LOBPCG's relative
        # residuals stall; LAPACK on the whole reduced matrix is exact and takes seconds here
        spec = reduced_spectrum(kernels, W, v, threads=threads, show_progress=show_progress)
        values, counts = spec.values()
        flags = np.concatenate([np.zeros(spec.reduced.size, bool), np.ones(h, bool)])
        flags = flags[np.argsort(np.concatenate([spec.reduced, spec.bulk]), kind="stable")]
        out = spec.extremes(k, "smallest")
        from_bulk = np.repeat(flags, counts)[:k]
        n = reduced_size(h, d)
        floor = n * np.finfo(float).eps * float(np.max(np.abs(values), initial=0.0))
        if spec.error is not None:  # the kernels' errors and the rounding of the Stein terms
            floor += spec.error.bound
        method = (
            f"LAPACK eigvalsh of the whole reduced matrix (size {n:,}; at most "
            f"{DENSE_SMALLEST_MAX:,}: exact, no iteration) + eig(A)"
        )
        return (
            Extremes(
                out, which, method, 0, floor, True, spec.seconds, float("nan"), blas_threads()
            ),
            from_bulk,
        )
    op, A = reduced_operator(kernels, W, v)
    res = extreme_eigenvalues(
        op,
        int(min(k, op.shape[0])),
        which,
        tol=tol,
        maxiter=maxiter,
        seed=seed,
        threads=threads,
        show_progress=show_progress,
    )
    with solver_threads(threads):
        bulk = np.linalg.eigvalsh(A)
    values = np.concatenate([res.eigenvalues, bulk])
    counts = np.concatenate([np.ones(res.eigenvalues.size, dtype=np.int64), np.full(h, d - h)])
    flags = np.concatenate([np.zeros(res.eigenvalues.size, bool), np.ones(h, bool)])
    order = np.argsort(values, kind="stable")
    if which == "largest":
        order = order[::-1]
    # Only the solver's k values are known among the reduced eigenvalues: a merged list is
    # right as long as it does not run past them, which k values of it never do.
    out = np.repeat(values[order], counts[order])[:k]
    from_bulk = np.repeat(flags[order], counts[order])[:k]
    method = (
        f"{res.method} on the reduced operator (size {op.shape[0]:,}, O(h^3) per product) + eig(A)"
    )
    merged = Extremes(
        out,
        which,
        method,
        res.products,
        res.residual,
        res.converged,
        res.seconds,
        relative_residual=res.relative_residual,
        threads=res.threads,
    )
    return merged, from_bulk
