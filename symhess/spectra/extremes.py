"""The k largest or smallest eigenvalues of a symmetric operator, from products alone.

Largest: for a Hessian operator that knows its kernels (no biases, not the ReLU family's bisector
form, ``2k <= d <= 2000``, ``d <= 4h``), Rayleigh-Ritz on the linear Hermite level plus blocks
of residuals and a Krylov chain from a random vector (:func:`_linear_level_top`; docs/theory.md,
"The largest eigenvalues"). The top of an erf or tanh Hessian is a band of ``d`` eigenvalues
that ``Z`` (:mod:`.linear_level`) nearly spans; ``Z^T H Z`` and ``H Z y`` have closed forms, so
the whole band enters the basis at the cost of about one product, and each block of residuals
cuts the residuals 100-700-fold. Measured (erf,
d = h = 1000, k = 10): 45 products against ARPACK's 172 (``benchmarks/bench_threads.py``).
Where the linear level does not dominate the top (polynomials with large higher Hermite
degrees), or the route has not converged after :data:`_LEVEL_ITERATIONS` blocks, ARPACK's
implicitly restarted Lanczos (``scipy.sparse.linalg.eigsh``, ``which="LA"``) takes over.

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
import scipy.linalg
from scipy.sparse.linalg import ArpackNoConvergence, LinearOperator, cg, eigsh, lobpcg

from ..base import memory
from ..base.progress import progress
from ..base.threads import solver_threads
from ..errors import SymhessError
from .linear_level import LinearLevel
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

# The linear-level route for the largest eigenvalues: random vectors in its first basis (what
# ARPACK's random start vector does: every eigenvector has a component to grow from), blocks of
# residuals before ARPACK takes over, and the largest d for which its dense (d + q)-size
# eigenproblem per block stays cheap next to the products.
_LEVEL_RANDOM = 1
_LEVEL_ITERATIONS = 8
_LEVEL_MAX_D = 2000
# The route goes on only while the linear level dominates: a relative residual of at most this
# from span(Z) alone, and not two blocks in a row that gain less than this factor (erf: 8e-3,
# then 100-700x per block; a polynomial whose top lies in other Hermite degrees: ~1, 1-3x).
_LEVEL_PROGRESS = 0.1
# Smallest eigenvalue of Z^T Z over its largest for the route: the basis Z L^{-T} is then
# orthonormal to ~eps / 1e-8 = 2e-8 at worst.
_LEVEL_CONDITION = 1e-8


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
    """Bytes the eigensolver may allocate besides the operator (bases and blocks of vectors);
    for the largest, the linear-level route's, which runs only when they are free (ARPACK's
    :func:`_least_bytes` are the requirement)."""
    if P <= DENSE_LIMIT or which != "largest":
        return _least_bytes(P, k, which)
    return max(_least_bytes(P, k, which), _level_bytes(P, k))


def _least_bytes(P: int, k: int, which: str) -> int:
    if P <= DENSE_LIMIT:
        return 8 * 3 * P * P
    if which == "largest":
        return 8 * (_ncv(k, P) + 4) * P
    return 8 * 14 * _lobpcg_block(k) * P


def _level_bytes(P: int, k: int, h: int = 0, d: int = 0) -> int:
    # K and H K (at most r + _LEVEL_ITERATIONS (k + r) columns each), five P x (k + r) blocks,
    # and the level's h x h pieces of H Z (about 10 with their temporaries) and h x d one
    r = _LEVEL_RANDOM
    return 8 * P * (2 * (r + _LEVEL_ITERATIONS * (k + r)) + 5 * (k + r)) + 8 * (10 * h * h + h * d)


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
        Largest: every pair has ``||H u - lambda u|| <= tol |lambda|`` (ARPACK's criterion;
        default 1e-10). Smallest with the
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
        _least_bytes(P, int(k), which),
        f"the eigensolver for k = {k} at P = {P}",
        "ask for fewer eigenvalues",
    )
    scale = _scale(op)
    counted = _Counted(op, show_progress)
    start = time.perf_counter()
    with solver_threads(threads) as blas, counted.bar:
        norms = None
        if P <= DENSE_LIMIT or (which == "smallest" and 5 * _lobpcg_block(k) >= P):
            lam, U, converged, method = _dense(counted, P)
        elif which == "largest":
            found, note = _linear_level_top(counted, op, int(k), tol, seed)
            if found is not None:
                lam, U, converged, method, norms = found
            else:
                lam, U, converged, method = _arpack(counted, int(k), tol, maxiter, seed)
                method = note + method
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
        if norms is None:
            norms = np.linalg.norm(op @ U - U * lam, axis=0)
        else:
            norms = norms[order]
    seconds = time.perf_counter() - start
    residual = float(norms.max() / scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = float(np.max(norms / np.abs(lam)))
    if converged is None:
        converged = residual <= tol
    if which == "largest" and "ARPACK" in method:
        lost = _lost_copies(op, lam)
        if lost:
            converged = False
            method += f"; {lost}"
            warnings.warn(lost, stacklevel=2)
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


def _linear_level_top(counted, op, k, tol, seed):
    """The ``k`` largest pairs by Rayleigh-Ritz on ``span(Z)`` plus blocks of residuals and a
    Krylov chain from random vectors.

    The basis is ``[Z L^{-T}, K]`` with ``Z^T Z = L L^T`` (closed form) and ``K`` orthonormal
    and orthogonal to ``Z``; its projected matrix needs ``Z^T H Z`` (closed form), ``Z^T (H K)``
    and ``K^T (H K)``, so the whole band of ``d`` directions costs no product. Each iteration
    takes the ``k`` top Ritz pairs, multiplies their ``Z``-parts in closed form (their
    residuals ``H u - theta u`` are then exact), and appends to ``K``

    * the residuals of the pairs not yet converged: a Galerkin residual is orthogonal to the
      basis, and its component outside ``span(Z)`` is the first term of the correction
      ``(theta - C)^{-1} r`` with ``C`` the small rest of ``H`` outside ``span(Z)``;
    * one more step of a Krylov chain started from :data:`_LEVEL_RANDOM` random vectors
      (``H`` times the chain's last vectors, already known). Orthogonal to the band, the chain
      is a block Lanczos on the rest of ``H``: an eigenvector outside ``span(Z)`` with an
      eigenvalue above the band (dead units, other Hermite degrees) grows in it and enters
      the top Ritz pairs, which the residual blocks alone would never see.

    Returns
    -------
    found : tuple or None
        ``(lam, U, converged, method, residual_norms)`` with ``lam`` shape ``(k,)`` (largest
        first), ``U`` shape ``(P, k)`` (orthonormal columns) and ``residual_norms`` shape
        ``(k,)``; ``None`` when the route does not apply or stopped (the caller runs ARPACK).
    note : str
        Why not, for the method line (empty when the route does not apply to this operator).
    """
    level = _level(op, k)
    if level is None:
        return None, ""
    d, P, r = level.d, level.P, _LEVEL_RANDOM
    cap = r + _LEVEL_ITERATIONS * (k + r)
    if not memory.fits(_level_bytes(P, k, level.h, d)):
        return None, "the linear-level route does not fit in memory; "
    E = level.gram()
    mu = np.linalg.eigvalsh(E)
    if not mu[-1] > 0:
        return None, "no linear Hermite level (Z = 0); "  # g = g' = 0, e.g. z**2
    if not mu[0] > _LEVEL_CONDITION * mu[-1]:
        # Z nearly rank-deficient: coordinates L^{-T} too inexact for an orthonormal basis
        cond = mu[-1] / mu[0] if mu[0] > 0 else np.inf
        return None, f"the linear-level route does not apply (cond Z^T Z = {cond:.1e}); "
    L = np.linalg.cholesky(E)
    Linv = scipy.linalg.solve_triangular(L, np.eye(d), lower=True)
    A0 = Linv @ level.projected() @ Linv.T
    A0 = (A0 + A0.T) / 2
    Einv = Linv.T @ Linv
    # Column-major, allocated once: K[:, :q] goes to the BLAS without a copy, and no array of
    # P x k is mapped and page-faulted afresh per iteration (each would cost ~0.1 s at P = 1e6);
    # small pages (memory.basis_array) fault predictably.
    K, HK = (memory.basis_array(P, cap) for _ in range(2))
    ZY, U = (memory.basis_array(P, k) for _ in range(2))
    R, T = (memory.basis_array(P, k + r) for _ in range(2))
    # The projected blocks, grown as columns are appended: L^{-1} Z^T H K and K^T H K
    ZHK, KHK = np.empty((d, cap)), np.empty((cap, cap))

    def multiply(X, out):
        # one vector at a time: at h = d = 1000 faster than any block (110 ms against 125-190)
        for j in range(X.shape[1]):
            out[:, j] = counted @ X[:, j]

    def append(m, q, passes):
        """Orthonormalise ``R[:, :m]`` against ``Z``, ``K[:, :q]`` and itself; store it in
        ``K``, ``H`` times it in ``HK`` and the projected blocks; the new number of columns.
        Residuals are orthogonal to the basis already (Galerkin), so one pass removes their
        rounding; random and Krylov vectors take two (twice is enough, Kahan-Parlett)."""
        X, tmp = R[:, :m], T[:, :m]
        for _ in range(passes):
            X -= level.apply(Einv @ level.adjoint(X), out=tmp)
            if q:
                X -= np.matmul(K[:, :q], K[:, :q].T @ X, out=tmp)
        X /= np.maximum(np.sqrt(np.einsum("ij,ij->j", X, X)), np.finfo(float).tiny)
        for _ in range(2):  # orthonormal from the m x m Gram matrix (SVQB), twice
            s, V = np.linalg.eigh(X.T @ X)
            keep = s > 1e-14 * max(s.max(), np.finfo(float).tiny)
            X = np.matmul(X, V[:, keep] / np.sqrt(s[keep]), out=tmp[:, : int(keep.sum())])
            X, tmp = tmp[:, : X.shape[1]], X
        new = slice(q, q + X.shape[1])
        K[:, new] = X
        multiply(K[:, new], HK[:, new])
        ZHK[:, new] = Linv @ level.adjoint(HK[:, new])
        KHK[: new.stop, new] = K[:, : new.stop].T @ HK[:, new]
        KHK[new, :q] = KHK[:q, new].T
        return new.stop

    R[:, :r] = np.random.default_rng(seed).standard_normal((P, r))
    q = append(r, 0, 2)
    chain = slice(0, q)  # the Krylov chain's newest vectors
    best, slow = 1.0, 0  # span(Z) alone must reach _LEVEL_PROGRESS
    for it in range(1, _LEVEL_ITERATIONS + 1):
        Kq, HKq = K[:, :q], HK[:, :q]
        M = np.block([[A0, ZHK[:, :q]], [ZHK[:, :q].T, KHK[:q, :q]]])
        theta, C = _top_pairs((M + M.T) / 2, k)
        Cz, Ck = Linv.T @ C[:d], np.ascontiguousarray(C[d:])
        level.apply(Cz, out=ZY)
        np.matmul(Kq, Ck, out=U)
        U += ZY  # the Ritz vectors
        Rk, Tk = R[:, :k], T[:, :k]
        level.hessian_apply(Cz, out=Rk)  # H Z Y in closed form: no product with the operator
        Rk += np.matmul(HKq, Ck, out=Tk)
        Rk -= np.multiply(U, theta, out=Tk)  # H u - theta u
        # |lambda - theta| <= ||H u - theta u|| / ||u|| for any u: the bound needs no exact
        # orthonormality of the basis (no P x k temporaries either)
        size = np.sqrt(np.einsum("ij,ij->j", U, U))
        norms = np.sqrt(np.einsum("ij,ij->j", Rk, Rk)) / size
        open_ = norms > tol * np.abs(theta)
        if not np.any(open_):
            method = (
                f"Rayleigh-Ritz on the linear Hermite level (d = {d}), {it - 1} block(s) of "
                f"residuals and a Krylov chain ({k} products H Z y per block in closed form)"
            )
            return (theta, U / size, True, method, norms), ""
        rel = float(np.max(norms / np.abs(theta)))
        slow = slow + 1 if rel > _LEVEL_PROGRESS * best else 0
        best = min(best, rel)
        m = int(open_.sum())
        if it == 1 and slow:
            why = "the linear Hermite level does not dominate the top of this spectrum"
        elif slow == 2:
            why = "two blocks gained less than 10x each"
        elif it == _LEVEL_ITERATIONS or q + m + r > cap:
            why = f"no convergence in {it} blocks"
        else:
            R[:, :m] = Rk[:, open_]
            q = append(m, q, 1)
            R[:, :r] = HK[:, chain]  # the chain's next Krylov step
            start = q
            q = append(chain.stop - chain.start, q, 2)
            chain = slice(start, q)
            continue
        break
    note = (
        f"the linear-level route stopped at relative residual {rel:.1e} after "
        f"{counted.products} products ({why}); then "
    )
    return None, note


def _lost_copies(op, lam: np.ndarray) -> str:
    """Why ``lam`` (largest first) misses copies of a known multiple eigenvalue, or ``""``.

    For ``d > h`` (no biases) each eigenvalue of ``A = (v v^T) o K11`` is an eigenvalue of
    ``H`` of multiplicity at least ``d - h`` (docs/theory.md, "Row-space reduction"). Lanczos
    from one start vector sees one copy per Krylov space and can converge with fewer.
    """
    blocks = getattr(op, "blocks", None)
    if blocks is None or getattr(op, "bias", False) or not op.d > op.h:
        return ""
    alphas = np.linalg.eigvalsh(blocks["A"])
    close = 1e-8 * max(float(np.max(np.abs(lam))), np.finfo(float).tiny)
    for alpha in alphas[alphas > lam[-1] + close]:
        above = int(np.sum(lam > alpha + close))
        copies = int(np.sum(np.abs(lam - alpha) <= close))
        if copies < min(op.d - op.h, lam.size - above):
            return (
                f"Lanczos returned {copies} of the {op.d - op.h} copies of the eigenvalue "
                f"{alpha:.6e}: the largest eigenvalues are incomplete; "
                "symhess.spectra.reduction.reduced_extremes is exact for d > h"
            )
    return ""


def _top_pairs(M: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest eigenpairs of the symmetric ``M``, largest first. LAPACK's subset
    drivers can return fewer pairs than asked where eigenvalues tie (a teacher with
    symmetries): then the whole spectrum by divide and conquer."""
    n = M.shape[0]
    theta, C = scipy.linalg.eigh(M, subset_by_index=[n - k, n - 1])
    if theta.size != k:
        theta, C = scipy.linalg.eigh(M, driver="evd")
        theta, C = theta[n - k :], C[:, n - k :]
    return theta[::-1], C[:, ::-1]


def _level(op, k) -> LinearLevel | None:
    """The operator's linear level if the linear-level route applies to it: the kernel form
    without biases, ``2k <= d <= _LEVEL_MAX_D`` and ``d <= 4h`` (else its dense ``(d + q)``-
    size eigenproblems per block cost more than ARPACK's ``O(h^2 d)`` products)."""
    if getattr(op, "blocks", None) is None or getattr(op, "bias", False):
        return None
    if getattr(op, "kernels", None) is None:
        return None
    if not (2 * k <= op.d <= _LEVEL_MAX_D and op.d <= 4 * op.h):
        return None
    try:
        return LinearLevel(op)
    except SymhessError:
        return None


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
