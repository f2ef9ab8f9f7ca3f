"""The k largest or smallest eigenvalues of a symmetric operator, from products alone.

Largest: ARPACK's implicitly restarted Lanczos (``scipy.sparse.linalg.eigsh``, ``which="LA"``);
on teacher Hessians it needs ~100 products for k = 10, about a third of what LOBPCG needs.

Smallest: LOBPCG. For a Hessian operator that knows its kernels the preconditioner is the
Hermite preconditioner (:mod:`.preconditioners`: the unit blocks plus the exact linear
Hermite level, condition ~50 where the diagonal leaves ~6,500); LOBPCG runs in chunks until
every wanted pair has ``||H u - lambda u|| <= 1e-6 |lambda|``, then one or two steps of
inverse iteration (conjugate gradients with the same preconditioner) and a Rayleigh-Ritz
step with ``H`` remove the rounding-level components along the large eigenvalues, which no
product-based method can otherwise see below ``eps lambda_max``. Otherwise (a generic
operator, a linear activation, some ``v_i = 0``) the exact diagonal of ``H`` (Jacobi)
preconditions it; ARPACK's ``"SA"`` does not converge in thousands of restarts on a spectrum
that piles up at zero. Measured (erf, d = h = 100, P = 10,100, k = 10, load 7): Hermite
3,500 products and 9-16 s against 28,629 products and 75 s (quiet) for Jacobi
(``benchmarks/bench_smallest.py``).

Every solver runs inside :func:`symhess.base.threads.solver_threads`. Small operators are
multiplied by the identity and solved densely instead.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, cg, eigsh, lobpcg

from ..base import memory
from ..base.progress import progress
from ..base.threads import solver_threads
from ..errors import SymhessError
from .preconditioners import HermitePreconditioner
from .zeros import EPS

WHICH = ("largest", "smallest")
PRECONDITIONERS = ("hermite", "jacobi")

# LOBPCG runs in chunks of this many iterations, checking the relative residuals in between.
_CHUNK = 20
# LOBPCG stops at this relative residual; inverse iteration takes it from there.
_LOBPCG_RTOL = 1e-6
# Default relative residual of the Hermite route: eigenvalue errors are about its square
# times lambda / gap, and float64 products cannot resolve much below ~eps lambda_max / lambda.
_HERMITE_RTOL = 1e-6
# At most this many steps of inverse iteration polish LOBPCG's vectors.
_POLISH_STEPS = 2

# Up to this size the operator is turned into a dense matrix (P products) and solved by LAPACK.
DENSE_LIMIT = 600


@dataclass(frozen=True)
class Extremes:
    """Extreme eigenvalues and how they were found.

    Attributes
    ----------
    eigenvalues : ndarray, shape (k,)
        Largest first for ``which="largest"``, smallest first for ``"smallest"``.
    which : str
    method : str
    products : int
        Operator-vector products used.
    residual : float
        ``max_i ||H u_i - lambda_i u_i|| / scale`` over the returned pairs, with ``scale``
        the largest diagonal entry of ``H`` (a lower bound for ``lambda_max``).
    converged : bool
        Whether the solver met its tolerance; if not, the values are its best so far.
    seconds : float
    relative_residual : float
        ``max_i ||H u_i - lambda_i u_i|| / |lambda_i|``: each ``lambda_i`` is within this
        fraction of itself from an eigenvalue of ``H`` (``inf`` for a zero ``lambda_i``).
    threads : str
        The BLAS thread setting the solver ran with.
    vectors : ndarray, shape (P, k), optional
        The eigenvectors (unit columns), in the order of ``eigenvalues``.
    """

    eigenvalues: np.ndarray
    which: str
    method: str
    products: int
    residual: float
    converged: bool
    seconds: float
    relative_residual: float = float("nan")
    threads: str = ""
    vectors: np.ndarray | None = None


def solver_bytes(P: int, k: int, which: str) -> int:
    """Bytes the eigensolver allocates besides the operator (bases and blocks of vectors)."""
    if P <= DENSE_LIMIT:
        return 8 * 3 * P * P
    if which == "largest":
        return 8 * (_ncv(k, P) + 4) * P
    return 8 * 14 * _lobpcg_block(k) * P


def extreme_eigenvalues(
    op,
    k: int,
    which: str = "largest",
    *,
    tol: float | None = None,
    maxiter: int | None = None,
    seed: int = 0,
    show_progress: bool | None = None,
    threads: int | None = None,
    preconditioner: str | None = None,
) -> Extremes:
    """The ``k`` largest or smallest eigenvalues of a symmetric operator.

    Parameters
    ----------
    op : LinearOperator, shape (P, P)
        Symmetric; e.g. :func:`symhess.operator`. A :class:`~symhess.curvature.HessianOperator`
        with its kernels gets the Hermite preconditioner for the smallest eigenvalues; any
        operator with a ``diagonal()`` method the Jacobi preconditioner.
    k : int
        ``1 <= k <= P``.
    which : {"largest", "smallest"}
    tol : float, optional
        Largest: ARPACK's relative eigenvalue tolerance (default 1e-10). Smallest with the
        Hermite preconditioner: the relative residual ``||H u - lambda u|| / |lambda|`` of
        every pair (default 1e-6: an eigenvalue's relative error is then about
        ``1e-12 lambda / gap``); with the Jacobi preconditioner the residual norm over the
        largest diagonal entry (default 1e-8).
    maxiter : int, optional
        Solver iterations (ARPACK restarts or LOBPCG steps); default: the solver's own for
        ARPACK, 2000 for LOBPCG.
    seed : int
        Seed of the starting vector(s).
    show_progress : bool, optional
        Progress bar counting products (default: on when stderr is a terminal).
    threads : int, optional
        numpy's BLAS threads inside the solver (:func:`symhess.base.threads.solver_threads`;
        default: the idle cores, or ``SYMHESS_BLAS_THREADS``).
    preconditioner : {"hermite", "jacobi"}, optional
        For the smallest eigenvalues; default: Hermite when the operator allows it.

    Returns
    -------
    Extremes

    Raises
    ------
    SymhessError
        Bad ``k`` or ``which``, or solver memory that would not fit.
    """
    P = op.shape[0]
    if which not in WHICH:
        raise SymhessError(f"unknown which {which!r}; choose largest or smallest")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise SymhessError(f"k must be a positive integer, got {k!r}")
    if k > P:
        raise SymhessError(f"k = {k} exceeds the number of parameters P = {P}")
    hermite_default = tol is None and which == "smallest"
    if tol is None:
        tol = 1e-10 if which == "largest" else 1e-8
    if not tol > 0:
        raise SymhessError(f"tol must be positive, got {tol}")
    if preconditioner is not None and preconditioner not in PRECONDITIONERS:
        raise SymhessError(
            f"unknown preconditioner {preconditioner!r}; choose one of {', '.join(PRECONDITIONERS)}"
        )
    memory.require(
        solver_bytes(P, int(k), which),
        f"the eigensolver for k = {k} at P = {P}",
        "ask for fewer eigenvalues",
    )
    scale = _scale(op)
    counted = _Counted(op, show_progress)
    start = time.perf_counter()
    with solver_threads(threads) as blas, counted.bar:
        if P <= DENSE_LIMIT or (which == "smallest" and 5 * _lobpcg_block(k) >= P):
            lam, U, converged, method = _dense(counted, P)
        elif which == "largest":
            lam, U, converged, method = _arpack(counted, int(k), tol, maxiter, seed)
        else:
            M, why = _hermite(op, preconditioner)
            if M is not None:
                rtol = _HERMITE_RTOL if hermite_default else tol
                lam, U, converged, method = _lobpcg_hermite(
                    counted, M, int(k), rtol, maxiter, seed, scale
                )
            else:
                lam, U, converged, method = _lobpcg(op, counted, int(k), tol * scale, maxiter, seed)
                method += why
        order = np.argsort(lam)
        order = order[::-1][:k] if which == "largest" else order[:k]
        lam, U = lam[order], U[:, order]
        norms = np.linalg.norm(op @ U - U * lam, axis=0)
    seconds = time.perf_counter() - start
    residual = float(norms.max() / scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = float(np.max(norms / np.abs(lam)))
    if converged is None:
        converged = residual <= tol
    return Extremes(
        lam,
        which,
        method,
        counted.products,
        residual,
        bool(converged),
        seconds,
        relative_residual=relative,
        threads=blas,
        vectors=U,
    )


def _scale(op) -> float:
    if hasattr(op, "diagonal"):
        top = float(np.max(np.abs(op.diagonal())))
        if top > 0:
            return top
    return 1.0


def _ncv(k: int, P: int) -> int:
    # A basis of 30 rather than ARPACK's usual 2k+1 converges on the clustered top of these
    # spectra in fewer restarts: 162 instead of 199 products for k = 10 at d = h = 1000.
    return min(P - 1, max(2 * k + 1, 30))


def _lobpcg_block(k: int) -> int:
    # at least 10 guard vectors: the bottom of these spectra comes in tight clusters
    return k + max(k, 10)


class _Counted(LinearOperator):
    """The operator, counting the vectors it multiplies on a progress bar."""

    def __init__(self, op, show_progress):
        super().__init__(dtype=np.float64, shape=op.shape)
        self.op = op
        self.products = 0
        self.bar = progress(desc="eigensolver", unit="product", show=show_progress)

    def _matmat(self, X):
        self.products += X.shape[1]
        self.bar.update(X.shape[1])
        return np.asarray(self.op @ X)

    def _matvec(self, x):
        return self._matmat(np.asarray(x).reshape(-1, 1)).reshape(-1)

    def _adjoint(self):
        return self


def _dense(op, P):
    H = op @ np.eye(P)
    H = (H + H.T) / 2  # products are symmetric only up to rounding
    lam, U = np.linalg.eigh(H)
    return lam, U, True, f"dense LAPACK eigh (P = {P} <= {DENSE_LIMIT} or k close to P)"


def _arpack(op, k, tol, maxiter, seed):
    P = op.shape[0]
    v0 = np.random.default_rng(seed).standard_normal(P)
    ncv = _ncv(k, P)
    method = f"ARPACK eigsh (Lanczos, ncv = {ncv})"
    try:
        lam, U = eigsh(op, k=k, which="LA", v0=v0, ncv=ncv, tol=tol, maxiter=maxiter)
        return lam, U, True, method
    except ArpackNoConvergence as exc:
        if exc.eigenvalues.size == 0:
            raise SymhessError(
                f"ARPACK found none of the {k} largest eigenvalues in {maxiter} restarts; "
                "raise maxiter or loosen tol"
            ) from None
        return exc.eigenvalues, exc.eigenvectors, False, method


def _hermite(op, wanted):
    """The Hermite preconditioner if ``op`` allows it (and it is wanted), else ``None`` and
    why not, for the method line."""
    if wanted == "jacobi":
        return None, ""
    if getattr(op, "kernels", None) is None or not hasattr(op, "kernel_diagonals"):
        if wanted == "hermite":
            raise SymhessError("the Hermite preconditioner needs a Hessian operator")
        return None, ""
    try:
        return HermitePreconditioner(op), ""
    except SymhessError as exc:
        if wanted == "hermite":
            raise
        return None, f" (Hermite preconditioner not applicable: {exc})"


def _lobpcg_hermite(counted, M, k, tol, maxiter, seed, scale):
    """LOBPCG preconditioned by ``M`` in chunks, then inverse iteration (module docstring).

    Converged when every pair has ``||H u - lambda u|| <= tol |lambda|``, or, for a
    ``lambda`` that is zero up to rounding (``|lambda| <= P eps scale``), ``<= tol scale``.
    """
    P = counted.shape[0]
    block = _lobpcg_block(k)
    maxiter = 2000 if maxiter is None else maxiter
    floor = P * EPS * scale
    X = np.random.default_rng(seed).standard_normal((P, block))
    done, history = 0, []
    target = max(tol, _LOBPCG_RTOL)
    while done < maxiter:
        steps = min(_CHUNK, maxiter - done)
        with warnings.catch_warnings():
            # convergence is judged here, from the residuals of the k wanted pairs
            warnings.simplefilter("ignore")
            lam, X = lobpcg(counted, X, M=M, tol=1e-300, maxiter=steps, largest=False)
        done += steps
        order = np.argsort(lam)
        lam, X = lam[order], X[:, order]
        history.append(_scaled_residual(counted, X[:, :k], lam[:k], floor, scale))
        if history[-1] <= target:
            break
        if len(history) > 3 and history[-1] > 0.5 * history[-4]:
            break  # no progress in three chunks: rounding or a hard cluster
    lam, U = lam[:k], X[:, :k]
    rel = history[-1]
    polished = 0
    if tol < rel <= 1e-2 and np.all(lam > 10 * floor):
        # H is positive definite on these directions: inverse iteration by PCG is safe
        for _ in range(_POLISH_STEPS):
            Y = np.column_stack([_pcg(counted, M, U[:, j]) for j in range(k)])
            U, _ = np.linalg.qr(Y)
            G = U.T @ (counted @ U)
            lam, V = np.linalg.eigh((G + G.T) / 2)
            U = U @ V
            polished += 1
            rel = _scaled_residual(counted, U, lam, floor, scale)
            if rel <= tol:
                break
    method = f"LOBPCG with the Hermite preconditioner (block {block}, {done} iterations)" + (
        f", {polished} step(s) of inverse iteration by preconditioned CG" if polished else ""
    )
    return lam, U, bool(rel <= tol), method


def _scaled_residual(op, U, lam, floor, scale) -> float:
    """``max_j ||H u_j - lambda_j u_j||`` over ``|lambda_j|``, or over ``scale`` for a
    ``lambda_j`` that is zero up to rounding (``<= floor``)."""
    norms = np.linalg.norm(op @ U - U * lam, axis=0)
    return float(np.max(norms / np.where(np.abs(lam) > floor, np.abs(lam), scale)))


def _pcg(op, M, b):
    x, info = cg(op, b, rtol=1e-10, atol=0.0, M=M, maxiter=10 * op.shape[0])
    return x


def _lobpcg(op, counted, k, tol_abs, maxiter, seed):
    P = op.shape[0]
    block = _lobpcg_block(k)
    maxiter = 2000 if maxiter is None else maxiter
    M = None
    if hasattr(op, "diagonal"):
        diag = np.asarray(op.diagonal(), dtype=np.float64)
        floor = 1e-12 * max(float(np.max(np.abs(diag))), np.finfo(float).tiny)
        inv = 1.0 / np.maximum(np.abs(diag), floor)
        M = LinearOperator(
            op.shape,
            matvec=lambda x: inv * np.ravel(x),
            matmat=lambda X: inv[:, None] * X,
            dtype=np.float64,
        )
    X = np.random.default_rng(seed).standard_normal((P, block))
    with warnings.catch_warnings():
        # Non-convergence is judged below from the residuals of the k pairs returned; the
        # guard vectors beyond k may converge slowly and do not matter.
        warnings.filterwarnings("ignore", message="(?s).*not reaching the requested tolerance")
        lam, U = lobpcg(counted, X, M=M, tol=tol_abs, maxiter=maxiter, largest=False)
    pre = "Jacobi-preconditioned " if M is not None else ""
    return lam, U, None, f"{pre}LOBPCG (block {block}, at most {maxiter} iterations)"
