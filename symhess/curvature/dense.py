"""Dense assembly of the Hessian at the optimum from the six kernel matrices.

With every ``K`` taken at ``[i, k]`` (docs/theory.md, "The Stein reduction")::

    H_vv[i,k]         = K00
    H_Wv[(i,j),k]     = v_i (W_ij K20 + W_kj K11)
    H_WW[(i,j),(k,l)] = v_i v_k (delta_jl K11 + W_ij W_il K31
                                 + (W_ij W_kl + W_kj W_il) K22 + W_kj W_kl K13)

Parameters are ordered as in the paper: ``W`` row-major (``W[i, j]`` at ``i*d + j``), then ``v``.

With biases (``f(x) = sum_i v_i sigma(w_i . x + b_i)``) the kernels are taken with means
``(b_i, b_k)`` and ``b`` comes last (``b[i]`` at ``h*d + h + i``, ``P = h d + 2h``); Stein's
lemma is unchanged (``x`` is centred), and the bias blocks are (docs/theory.md, "Biases")::

    H_bb[i,k]         = v_i v_k K11
    H_bv[i,k]         = v_i K10
    H_bW[i,(k,l)]     = v_i v_k (W_il K21 + W_kl K12)

The ``W``, ``v`` blocks are assembled by the bias-free code into the top-left view of ``H``.

In float64 each ``d x d`` block of ``H_WW`` is ``A_ik I + [w_i w_k] M_ik [w_i w_k]^T`` with a
symmetric ``2 x 2`` matrix ``M_ik``. Writing ``M_ik = sum_a s_a q_a q_a^T`` (eigenvalues with
sign ``s_a``) turns every block into ``sum_a s_a z_a z_a^T``: batched matrix products with
inner dimension 2, split over the cores, write the blocks straight into ``H`` at about twice
the cost of writing ``H`` once. Blocks ``(i, k)`` and ``(k, i)`` are equal and use the same
factors, and each element is ``z_0[j] (s_0 z_0[l]) + z_1[j] (s_1 z_1[l])``,
so ``H`` comes out exactly symmetric without a symmetrising pass. In mpmath and exact
arithmetic the formula above is used as is.

For the ReLU family (kernel matrices with ``KB``, :mod:`symhess.kernels.relu`) the rank-2 part
of a block is taken in its *bisector form* instead (docs/theory.md, "ReLU and piecewise-linear
activations")::

    v_i v_k KB (b b^T - n n^T) = sgn(v_i v_k) (y1 y1^T - y2 y2^T),
    y1 = sqrt(|v_i v_k| KB) b,   y2 = sqrt(|v_i v_k| KB) n,

``b = (u_i + u_k)/|u_i + u_k|`` and ``n = (u_i - u_k)/|u_i - u_k|`` for the unit rows ``u``:
``KB = beta^2 sin(theta) / (2 pi)`` vanishes with the angle, so nothing is divided by a
vanishing ``sin(theta)`` (``y2 = 0`` where ``u_i = u_k``), every entry is accurate to a few ulps
at every angle, and ``y1, y2`` of ``(k, i)`` are ``y1, -y2`` of ``(i, k)`` bit for bit: ``H``
stays exactly symmetric.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import as_strided

from ..base import memory, progress, systems
from ..base.threads import pool_threads, pool_workers
from ..errors import SymhessError
from ..kernels import resolve
from ..teacher import check_biases, check_weights
from .accuracy import HessianError, hessian_error
from .matrices import kernel_matrices

DENSE_COPIES = 1.1
"""A dense Hessian build holds H and about a tenth more of temporaries."""


def hessian(
    activation,
    W,
    v,
    b=None,
    *,
    system: str = "float64",
    kernel_dirs=None,
    show_progress: bool | None = None,
    with_error: bool = False,
) -> np.ndarray | tuple[np.ndarray, HessianError]:
    """The Hessian of the generalization error at the teacher-student optimum.

    Parameters
    ----------
    activation : str, coefficient list or Activation
        E.g. ``"z + z**2/2"``, ``[0, 1, 0.5]``, or a name made by ``symhess generate``.
    W : array_like, shape (h, d)
        Teacher (= student) first-layer weights.
    v : array_like, shape (h,)
        Teacher second-layer weights.
    b : array_like, shape (h,), optional
        Hidden-unit biases, ``f(x) = sum_i v_i sigma(w_i . x + b_i)``. ``None``: no biases
        (``P = h d + h``). With ``b``, ``P = h d + 2h`` and the parameters are ordered ``W``
        row-major, ``v``, then ``b``; ``b = 0`` gives the bias-free ``W, v`` blocks bit for bit.
    system : {"float64", "mpmath", "fraction", "fmpq"}
        Number system. ``"mpmath"`` works at the current ``mpmath.mp.dps``; the exact
        systems take the weights' exact values (a float enters as its binary value).
    kernel_dirs : sequence of paths, optional
        Extra folders with generated kernel modules.
    show_progress : bool, optional
        Progress bars of long kernel evaluations (quadrature); ``None``: only on a terminal.
    with_error : bool
        Also return how far ``H`` may be from the true Hessian.

    Returns
    -------
    H : ndarray, shape (P, P), P = h d + h (h d + 2h with biases)
        float64, or an object array of the chosen system's numbers. Exactly symmetric.
    error : HessianError
        Only with ``with_error=True``: a bound on ``||H - H_true||_2`` from the kernels'
        error estimates (quadrature; every kernel entry to its tolerance or refused) and the
        rounding of the Stein terms in ``system`` (see :mod:`symhess.curvature.accuracy`).
        Eigenvalues of ``H`` lie within ``error.bound`` of the true ones, plus the
        eigensolver's ``P eps ||H||``.
    """
    systems.check_system(system)
    kernels = resolve(activation, kernel_dirs)
    W, v = check_weights(W, v)
    h, d = W.shape
    if b is not None:
        b = check_biases(b, h)
        kernels.check_means(system)
    if system == "float64":
        check_memory(h, d, bias=b is not None)
    W = systems.array(W, system)
    v = systems.array(v, system)
    if b is not None:
        b = systems.array(b, system)
    with progress.scope(show_progress):
        K = kernel_matrices(kernels, W, system=system, b=b)
    H = assemble(K, W, v)
    if system == "float64" and not np.isfinite(H).all():
        raise SymhessError(
            f"the Hessian of {kernels.activation.source!r} overflows float64 at these weights "
            f"(largest |W| = {np.max(np.abs(W)):.3g}, |v| = {np.max(np.abs(v)):.3g}); "
            "rescale them, or use the mpmath system"
        )
    error = hessian_error(K, W, v, system)
    check_digits(H, error, kernels.activation.source)
    if with_error:
        return H, error
    return H


def check_digits(H: np.ndarray, error: HessianError, source: str) -> None:
    """Refuse a Hessian whose error bound exceeds its own size: not one digit is right.

    ``||H||_F >= ||H||_2``, so a bound above it guarantees no digit (this is what
    ``erf(1e10*z)`` does in float64: its Stein terms of order ``alpha^3`` cancel to entries of
    order ``alpha``, and the rounding of the terms is larger than the result).
    """
    if error.bound == 0.0:
        return
    if H.dtype == object:
        size = float(np.sqrt(sum(float(abs(x)) ** 2 for x in H.ravel())))
    else:
        size = float(np.linalg.norm(H))
    check_size(size, error, source)


def check_size(size: float, error: HessianError, source: str) -> None:
    """:func:`check_digits` given ``||H||_F`` (e.g. from a matrix similar to ``H``)."""
    if error.bound >= size:
        raise SymhessError(
            f"the {error.system} Hessian of {source!r} keeps no correct digit at these "
            f"weights: its error bound {error.bound:.1e} exceeds its size {size:.1e} (the "
            f"Stein terms, up to {error.scale:.1e}, cancel); use smaller weights or more "
            "digits (system='mpmath')"
        )


def dense_bytes(h: int, d: int, copies: float = DENSE_COPIES, bias: bool = False) -> float:
    """Bytes of ``copies`` dense ``P x P`` float64 matrices, ``P = h d + h`` (``+ h`` with
    biases)."""
    P = h * d + h + h * bias
    return copies * 8.0 * P * P


def check_memory(h: int, d: int, copies: float = DENSE_COPIES, bias: bool = False) -> None:
    """Refuse a dense float64 Hessian that would not fit in memory, before allocating it."""
    memory.require(
        dense_bytes(h, d, copies, bias),
        f"a dense Hessian with P = {h * d + h + h * bias}",
        "use a smaller network, or the matrix-free operator",
    )


def assemble(K: dict[str, np.ndarray], W: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The Hessian from kernel matrices (see :func:`symhess.curvature.matrices.kernel_matrices`).

    Parameters
    ----------
    K : dict of str to ndarray, each (h, h)
        With ``K10`` (kernel matrices with biases) the Hessian has the bias blocks.
    W : ndarray, shape (h, d)
    v : ndarray, shape (h,)

    Returns
    -------
    ndarray, shape (P, P)
        ``P = h d + h``, or ``h d + 2h`` with biases (``b`` last).
    """
    h, d = W.shape
    P0 = h * d + h
    if "K10" not in K:
        if W.dtype == object:
            return _assemble_exact_formula(K, W, v)
        return _assemble_float(K, W, v)
    H = np.empty((P0 + h, P0 + h), dtype=W.dtype)
    if W.dtype == object:
        H[:P0, :P0] = _assemble_exact_formula(K, W, v)
    else:
        _assemble_float(K, W, v, out=H[:P0, :P0])
    _bias_blocks(K, W, v, H)
    return H


def _bias_blocks(K, W, v, H) -> None:
    """Write ``H_bb``, ``H_bv``, ``H_bW`` and their transposes into ``H`` (module docstring)."""
    h, d = W.shape
    hd = h * d
    P0 = hd + h
    vv = np.multiply.outer(v, v)
    H[P0:, P0:] = vv * K["K11"]
    Hbv = v[:, None] * K["K10"]
    H[P0:, hd:P0] = Hbv
    H[hd:P0, P0:] = Hbv.T
    # H_bW[i, (k, l)] = v_i v_k (W_il K21_ik + W_kl K12_ik)
    HbW = vv[:, :, None] * (
        W[:, None, :] * K["K21"][:, :, None] + W[None, :, :] * K["K12"][:, :, None]
    )
    HbW = HbW.reshape(h, hd)
    H[P0:, :hd] = HbW
    H[:hd, P0:] = HbW.T


def _block_views(H: np.ndarray, h: int, d: int) -> tuple[np.ndarray, np.ndarray]:
    """Views of ``H_WW`` as ``[i, k, j, l]`` blocks and of the block diagonals ``[i, k, j]``."""
    row, col = H.strides
    blocks = as_strided(H, shape=(h, h, d, d), strides=(d * row, d * col, row, col))
    diagonals = as_strided(H, shape=(h, h, d), strides=(d * row, d * col, row + col))
    return blocks, diagonals


def _rank2_factors(W: np.ndarray, Bm: np.ndarray, G: np.ndarray):
    """``Y[i,k]`` (shape (2, d)) and signs ``S[i,k]`` (shape (2,)) with
    ``Y^T diag(S) Y = [w_i w_k] M [w_i w_k]^T``, ``M = [[B_ik, G_ik], [G_ik, B_ki]]``.

    Each row of ``Y[i,k]`` is ``p w_i + q w_k``. For ``k > i`` the coefficients are taken from
    ``(i, k)`` with the roles swapped, so ``Y[k,i]`` is bit for bit ``Y[i,k]`` (floating-point
    addition commutes) and blocks ``(i, k)``, ``(k, i)`` come out identical.
    """
    h, d = W.shape
    D = Bm.T
    theta = 0.5 * np.arctan2(2 * G, Bm - D)
    cs, sn = np.cos(theta), np.sin(theta)
    lam1 = Bm * cs**2 + 2 * G * sn * cs + D * sn**2
    lam2 = Bm * sn**2 - 2 * G * sn * cs + D * cs**2
    r1, r2 = np.sqrt(np.abs(lam1)), np.sqrt(np.abs(lam2))
    # eigenvectors (cs, sn) and (-sn, cs): rows y1 = r1 (cs w_i + sn w_k), y2 = r2 (cs w_k - sn w_i)
    first = np.stack([r1 * cs, -r2 * sn])
    second = np.stack([r1 * sn, r2 * cs])
    signs = np.stack([np.sign(lam1), np.sign(lam2)], axis=-1)
    lower = np.tril_indices(h, -1)
    upper = (lower[1], lower[0])
    first[:, lower[0], lower[1]], second[:, lower[0], lower[1]] = (
        second[:, upper[0], upper[1]],
        first[:, upper[0], upper[1]],
    )
    signs[lower] = signs[upper]
    Y = np.empty((h, h, 2, d))
    scratch = np.empty((h, h, d))
    for a in range(2):
        np.multiply(first[a][:, :, None], W[:, None, :], out=Y[:, :, a, :])
        np.multiply(second[a][:, :, None], W[None, :, :], out=scratch)
        Y[:, :, a, :] += scratch
    return Y, signs


def _bisector_factors(K: dict[str, np.ndarray], vv: np.ndarray):
    """``Y[i,k]`` (shape (2, d)) and signs ``S[i,k]`` (shape (2,)) with
    ``Y^T diag(S) Y = v_i v_k KB (b b^T - n n^T)`` (the bisector form, module docstring)."""
    U, S, Dn = K["U"], K["S"], K["Dn"]
    scale = np.sqrt(np.abs(vv) * K["KB"])
    c1 = np.where(S > 0, scale / np.where(S > 0, S, 1.0), 0.0)
    c2 = np.where(Dn > 0, scale / np.where(Dn > 0, Dn, 1.0), 0.0)
    h, d = U.shape
    Y = np.empty((h, h, 2, d))
    np.add(U[:, None, :], U[None, :, :], out=Y[:, :, 0, :])
    Y[:, :, 0, :] *= c1[:, :, None]
    np.subtract(U[:, None, :], U[None, :, :], out=Y[:, :, 1, :])
    Y[:, :, 1, :] *= c2[:, :, None]
    sgn = np.sign(vv)
    return Y, np.stack([sgn, -sgn], axis=-1)


def _assemble_float(K, W, v, out=None):
    h, d = W.shape
    hd = h * d
    P = hd + h
    vv = np.multiply.outer(v, v)
    H = np.empty((P, P)) if out is None else out
    blocks, diagonals = _block_views(H, h, d)
    if "KB" in K:
        Y, signs = _bisector_factors(K, vv)
        if "KR" in K:  # biases: the regular part KR_ik u_i u_i^T + KR_ki u_k u_k^T
            Yr, sr = _rank2_factors(K["U"], vv * K["KR"], np.zeros_like(vv))
            Y, signs = np.concatenate([Y, Yr], axis=2), np.concatenate([signs, sr], axis=2)
    else:
        Y, signs = _rank2_factors(W, vv * K["K31"], vv * K["K22"])
    Z = Y * signs[:, :, :, None]  # a sign flip is exact
    Yt = np.swapaxes(Y, -1, -2)
    # Each block product is too small for BLAS to thread, so split the batch over the cores
    # ourselves (numpy releases the GIL); every element still comes from the same kernel.
    chunks = [slice(i, min(i + 8, h)) for i in range(0, h, 8)]
    if len(chunks) == 1:
        np.matmul(Yt, Z, out=blocks)
    else:
        with pool_threads():  # the pool is the parallelism: one BLAS thread per worker
            list(_pool().map(lambda s: np.matmul(Yt[s], Z[s], out=blocks[s]), chunks))
    diagonals += (vv * K["K11"])[:, :, None]
    Hwv = (
        v[:, None, None]
        * (W[:, :, None] * K["K20"][:, None, :] + W.T[None, :, :] * K["K11"][:, None, :])
    ).reshape(hd, h)
    H[:hd, hd:] = Hwv
    H[hd:, :hd] = Hwv.T
    H[hd:, hd:] = K["K00"]
    return H


def _bisector_blocks_exact(K, vv):
    """``v_i v_k KB (s s^T / |s|^2 - e e^T / |e|^2)`` per pair, ``[i, k, j, l]``, object arrays
    (mpmath or arb), ``s, e = u_i +- u_k``; the ``e`` term is 0 where ``e = 0`` exactly."""
    U, S, Dn = K["U"], K["S"], K["Dn"]
    zero = Dn[0, 0]  # the diagonal: an exact 0 of the number system
    one = S[0, 0] / 2
    nonzero = np.frompyfunc(lambda x: not x == 0, 1, 1)
    coef = vv * K["KB"]
    out = []
    for L, sign in ((S, 1), (Dn, -1)):
        nz = nonzero(L).astype(bool)
        c = np.where(nz, coef / np.where(nz, L * L, one), zero)
        x = U[:, None, :] + sign * U[None, :, :]
        out.append(c[:, :, None, None] * (x[:, :, :, None] * x[:, :, None, :]))
    return out[0] - out[1]


@lru_cache(maxsize=1)
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=pool_workers())


# A forked child inherits the cached pool but none of its threads: start a fresh one there.
os.register_at_fork(after_in_child=_pool.cache_clear)


def _assemble_exact_formula(K, W, v):
    """The block formula term by term, in object arrays (mpmath or exact rationals)."""
    h, d = W.shape
    hd = h * d
    vv = np.multiply.outer(v, v)
    A = vv * K["K11"]
    blk = lambda M: M[:, None, :, None]  # noqa: E731
    if "KB" in K:
        Hww = _bisector_blocks_exact(K, vv)
        if "KR" in K:  # biases: the regular part KR_ik u_i u_i^T + KR_ki u_k u_k^T
            U, R = K["U"], vv * K["KR"]
            uu = U[:, :, None] * U[:, None, :]  # [i, j, l]
            Hww = Hww + R[:, :, None, None] * uu[:, None] + R.T[:, :, None, None] * uu[None]
        Hww = Hww.transpose(0, 2, 1, 3)
    else:
        Bm, G, D = (vv * K[name] for name in ("K31", "K22", "K13"))
        Wij = W[:, :, None, None]  # W_ij
        Wil = W[:, None, None, :]  # W_il
        Wkj = W.T[None, :, :, None]  # W_kj
        Wkl = W[None, None, :, :]  # W_kl
        Hww = (blk(Bm) * (Wij * Wil) + blk(D) * (Wkj * Wkl)) + blk(G) * (Wij * Wkl + Wkj * Wil)
    eye = np.zeros((d, d), dtype=object)
    eye[np.diag_indices(d)] = 1
    Hww = Hww + blk(A) * eye[None, :, None, :]
    Hwv = v[:, None, None] * (
        W[:, :, None] * K["K20"][:, None, :] + W.T[None, :, :] * K["K11"][:, None, :]
    )
    H = np.empty((hd + h, hd + h), dtype=object)
    H[:hd, :hd] = Hww.reshape(hd, hd)
    H[:hd, hd:] = Hwv.reshape(hd, h)
    H[hd:, :hd] = Hwv.reshape(hd, h).T
    H[hd:, hd:] = K["K00"]
    return H
