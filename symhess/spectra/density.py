"""Spectral density by stochastic Lanczos quadrature (SLQ), from ``H @ x`` alone.

For a unit probe ``q`` (Rademacher or Gaussian, normalised), ``m`` Lanczos steps give a
tridiagonal ``T = U diag(theta) U^T``; the measure ``sum_k U_0k^2 delta(theta_k)`` is the
``m``-point Gauss quadrature of ``q^T f(H) q``, exact for polynomials ``f`` of degree below
``2 m``. Since ``E[q q^T] = I / P``, averaging the measures of independent probes estimates
the spectral measure ``(1/P) sum_i delta(lambda_i)``.

The probes run in lock step: one product with a block of probe vectors per Lanczos step, so
the BLAS works on one wide product instead of many narrow ones. Every probe is drawn from
its own seed (``SeedSequence(seed).spawn``), so results do not depend on the block size.
Full reorthogonalisation (classical Gram-Schmidt, twice) keeps the Ritz values free of
ghost copies; it needs the whole Lanczos basis, ``steps x P`` numbers per probe in the block.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import eigh_tridiagonal

from ..base import memory
from ..base.progress import progress
from ..base.threads import solver_threads
from ..errors import SymhessError

PROBES = ("rademacher", "gaussian")


@dataclass(frozen=True)
class SpectralDensity:
    """The SLQ estimate of the eigenvalue distribution of a ``P x P`` symmetric operator.

    Attributes
    ----------
    nodes : ndarray, shape (n,)
        Ritz values of all probes.
    weights : ndarray, shape (n,)
        Their quadrature weights divided by the number of probes; they sum to 1.
    P : int
        Size of the operator.
    probes, steps : int
        Number of probes and the Lanczos steps asked for (a probe stops earlier when its
        Krylov space is exhausted: then its quadrature is exact).
    reorthogonalized : bool
        Whether full reorthogonalisation was used.
    probe_index : ndarray of int, shape (n,)
        Which probe each node came from.
    """

    nodes: np.ndarray
    weights: np.ndarray
    P: int
    probes: int
    steps: int
    reorthogonalized: bool
    probe_index: np.ndarray | None = None

    def histogram(self, bins, range=None) -> tuple[np.ndarray, np.ndarray]:
        """Expected number of eigenvalues per bin.

        Parameters
        ----------
        bins : int or ndarray
            As for :func:`numpy.histogram`.
        range : (float, float), optional
            For an int ``bins``; default: the nodes' range (give the eigenvalues' range when
            comparing with them, so that no eigenvalue falls outside the edges).

        Returns
        -------
        counts : ndarray, shape (nbins,)
            ``P`` times the SLQ weight in each bin; compare with ``numpy.histogram`` of the
            eigenvalues on the same edges.
        edges : ndarray, shape (nbins + 1,)
        """
        counts, edges = np.histogram(self.nodes, bins=bins, range=range, weights=self.weights)
        return self.P * counts, edges

    def bin_counts(self, edges) -> tuple[np.ndarray, np.ndarray]:
        """Expected eigenvalues per bin and the standard error of each from the probe spread.

        Parameters
        ----------
        edges : array_like, shape (nbins + 1,)
            Increasing bin edges; nodes outside them are not counted.

        Returns
        -------
        counts, errors : ndarray, shape (nbins,)
        """
        edges = np.asarray(edges, dtype=np.float64)
        if self.probe_index is None or self.probes < 2:
            counts, _ = self.histogram(edges)
            return counts, np.full(counts.size, np.nan)
        bins = np.searchsorted(edges, self.nodes, side="right") - 1
        inside = (bins >= 0) & (bins < edges.size - 1) | (self.nodes == edges[-1])
        bins = np.minimum(bins, edges.size - 2)
        per_probe = np.zeros((self.probes, edges.size - 1))
        np.add.at(per_probe, (self.probe_index[inside], bins[inside]), self.weights[inside])
        per_probe *= self.P * self.probes
        return per_probe.mean(axis=0), per_probe.std(axis=0, ddof=1) / np.sqrt(self.probes)

    def density(self, grid, width: float) -> np.ndarray:
        """Eigenvalues per unit of ``lambda``: the nodes smoothed by a Gaussian of std ``width``.

        Parameters
        ----------
        grid : array_like, shape (g,)
        width : float

        Returns
        -------
        ndarray, shape (g,)
            Integrates to ``P`` over the real line.
        """
        if not width > 0:
            raise SymhessError(f"width must be positive, got {width}")
        grid = np.asarray(grid, dtype=np.float64)
        z = (grid[:, None] - self.nodes[None, :]) / width
        kernel = np.exp(-0.5 * z * z) / (width * np.sqrt(2 * np.pi))
        return self.P * (kernel @ self.weights)

    def cdf(self, x) -> np.ndarray:
        """Estimated fraction of eigenvalues ``<= x`` (a step function at the nodes).

        Parameters
        ----------
        x : array_like

        Returns
        -------
        ndarray, shape of ``x``
        """
        order = np.argsort(self.nodes, kind="stable")
        nodes, cum = self.nodes[order], np.cumsum(self.weights[order])
        pos = np.searchsorted(nodes, np.asarray(x, dtype=np.float64), side="right")
        return np.where(pos > 0, cum[np.maximum(pos - 1, 0)], 0.0)

    def trace(self) -> float:
        """The Hutchinson estimate of ``trace(H)`` carried by the quadrature."""
        return float(self.P * np.dot(self.weights, self.nodes))

    def trace_samples(self) -> np.ndarray:
        """``P q^T H q`` for each probe ``q``, shape ``(probes,)``; their mean is :meth:`trace`."""
        if self.probe_index is None:
            raise SymhessError("this density does not record which probe each node came from")
        per_probe = np.bincount(
            self.probe_index, weights=self.weights * self.nodes, minlength=self.probes
        )
        return self.P * self.probes * per_probe

    def trace_error(self) -> float:
        """Standard error of :meth:`trace` from the spread over probes (nan for one probe)."""
        samples = self.trace_samples()
        if samples.size < 2:
            return float("nan")
        return float(np.std(samples, ddof=1) / np.sqrt(samples.size))

    def wasserstein(self, eigenvalues) -> float:
        """Wasserstein-1 distance to the distribution of the given eigenvalues."""
        from scipy.stats import wasserstein_distance

        return float(
            wasserstein_distance(self.nodes, np.asarray(eigenvalues), u_weights=self.weights)
        )


def pool_densities(densities: list[SpectralDensity]) -> SpectralDensity:
    """One density from several operators of the same size (e.g. many teachers), each
    weighted equally: the estimate of the pooled eigenvalue distribution."""
    if not densities:
        raise SymhessError("nothing to pool")
    P = densities[0].P
    if any(dens.P != P for dens in densities):
        raise SymhessError("can only pool densities of operators of the same size")
    n = len(densities)
    equal = len({dens.probes for dens in densities}) == 1  # per-probe samples stay comparable
    offsets = np.cumsum([0] + [dens.probes for dens in densities])
    index = [
        None if dens.probe_index is None else dens.probe_index + offset
        for dens, offset in zip(densities, offsets, strict=False)
    ]
    return SpectralDensity(
        np.concatenate([dens.nodes for dens in densities]),
        np.concatenate([dens.weights / n for dens in densities]),
        P,
        int(offsets[-1]),
        max(dens.steps for dens in densities),
        all(dens.reorthogonalized for dens in densities),
        np.concatenate(index) if equal and all(i is not None for i in index) else None,
    )


def basis_bytes(P: int, steps: int, block: int) -> int:
    """Bytes of the Lanczos bases of ``block`` probes with full reorthogonalisation."""
    return 8 * block * (steps + 1) * P


def slq(
    op,
    *,
    probes: int = 30,
    steps: int = 80,
    probe: str = "rademacher",
    seed: int = 0,
    reorthogonalize: bool | None = None,
    block: int | None = None,
    show_progress: bool | None = None,
    threads: int | None = None,
) -> SpectralDensity:
    """Stochastic Lanczos quadrature of a symmetric operator.

    Parameters
    ----------
    op : LinearOperator or ndarray, shape (P, P)
        Symmetric; only ``op @ X`` with ``X`` of shape ``(P, m)`` is used.
    probes : int
        Independent probe vectors (the estimate's noise falls like ``1/sqrt(probes)``).
    steps : int
        Lanczos steps per probe (nodes per probe); capped at ``P``.
    probe : {"rademacher", "gaussian"}
    seed : int
    reorthogonalize : bool, optional
        Full reorthogonalisation. By default on when one probe's basis fits in the scratch
        budget (:func:`symhess.base.memory.scratch_budget`), else off (the Ritz values may
        then repeat, but the quadrature stays close).
    block : int, optional
        Probes run together in one block product; by default as many as fit the memory.
    show_progress : bool, optional
        Force the progress bar on or off (default: on when stderr is a terminal).
    threads : int, optional
        numpy's BLAS threads (:func:`symhess.base.threads.solver_threads`).

    Returns
    -------
    SpectralDensity
    """
    P = op.shape[0]
    if op.shape != (P, P):
        raise SymhessError(f"the operator must be square, got shape {op.shape}")
    for name, value in (("probes", probes), ("steps", steps)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise SymhessError(f"{name} must be a positive integer, got {value!r}")
    if probe not in PROBES:
        raise SymhessError(f"unknown probe {probe!r}; choose one of {', '.join(PROBES)}")
    steps = min(int(steps), P)
    budget = memory.scratch_budget()
    if reorthogonalize is None:
        reorthogonalize = basis_bytes(P, steps, 1) <= budget
    elif reorthogonalize and basis_bytes(P, steps, 1) > budget:
        raise SymhessError(
            f"full reorthogonalisation needs {basis_bytes(P, steps, 1) / 2**30:.1f} GiB per "
            f"probe (P = {P}, {steps} steps); use fewer steps or reorthogonalize=False"
        )
    if block is None:
        per_probe = basis_bytes(P, steps, 1) if reorthogonalize else 8 * 4 * P
        block = int(max(1, min(probes, 16, budget // per_probe)))
    seeds = np.random.SeedSequence(seed).spawn(int(probes))
    nodes, weights, index = [], [], []
    bar = progress(total=int(probes), desc="SLQ probes", unit="probe", show=show_progress)
    with solver_threads(threads), bar:
        for start in range(0, probes, block):
            rngs = [np.random.default_rng(s) for s in seeds[start : start + block]]
            Z = np.stack([_probe(rng, P, probe) for rng in rngs], axis=1)
            runs = _lanczos_block(op, Z, steps, reorthogonalize)
            for offset, (alpha, beta) in enumerate(runs):
                theta, U = _tridiagonal_eigh(alpha, beta)
                nodes.append(theta)
                weights.append(U[0] ** 2)
                index.append(np.full(theta.size, start + offset))
            bar.update(len(rngs))
    nodes = np.concatenate(nodes)
    weights = np.concatenate(weights) / probes
    return SpectralDensity(
        nodes, weights, P, int(probes), steps, bool(reorthogonalize), np.concatenate(index)
    )


def _probe(rng: np.random.Generator, P: int, kind: str) -> np.ndarray:
    if kind == "rademacher":
        z = rng.integers(0, 2, size=P).astype(np.float64) * 2 - 1
    else:
        z = rng.standard_normal(P)
    return z / np.linalg.norm(z)


def _tridiagonal_eigh(alpha: np.ndarray, beta: np.ndarray):
    if alpha.size == 1:
        return alpha.copy(), np.ones((1, 1))
    return eigh_tridiagonal(alpha, beta)


def _lanczos_block(op, Q0: np.ndarray, steps: int, reorthogonalize: bool):
    """Lanczos on every column of ``Q0`` (unit vectors, shape ``(P, b)``) in lock step.

    Returns a list of ``(alpha, beta)`` per column: the diagonal (length ``j``) and
    off-diagonal (length ``j - 1``) of its tridiagonal matrix.
    """
    P, b = Q0.shape
    alpha = np.zeros((b, steps))
    beta = np.zeros((b, steps))  # beta[:, j] couples steps j and j + 1
    length = np.full(b, steps)
    if reorthogonalize:
        basis = np.empty((b, steps, P))  # one contiguous basis per probe, for batched gemv
        basis[:, 0] = Q0.T
    prev = np.zeros((P, b))
    q = Q0.copy()
    active = np.arange(b)
    scale = np.zeros(b)  # running size of T, for the breakdown test
    for j in range(steps):
        w = np.asarray(op @ q)
        if w.shape != q.shape:
            w = w.reshape(q.shape)
        if j:
            w -= beta[active, j - 1] * prev
        a = np.einsum("pb,pb->b", q, w)
        alpha[active, j] = a
        w -= a * q
        if reorthogonalize:
            w = _reorthogonalize(w, basis, active, j)
        if j == steps - 1:
            break
        nb = np.linalg.norm(w, axis=0)
        scale[active] = np.maximum(scale[active], np.abs(a) + nb)
        done = nb <= 1e-12 * np.maximum(scale[active], np.finfo(float).tiny)
        length[active[done]] = j + 1
        keep = ~done
        if not np.any(keep):
            break
        beta[active[keep], j] = nb[keep]
        prev = q[:, keep]
        q = w[:, keep] / nb[keep]
        active = active[keep]
        if reorthogonalize:
            basis[active, j + 1] = q.T
    return [(alpha[i, : length[i]], beta[i, : length[i] - 1]) for i in range(b)]


def _reorthogonalize(w: np.ndarray, basis: np.ndarray, active: np.ndarray, j: int) -> np.ndarray:
    """Remove from each column of ``w`` its components along its probe's first ``j + 1``
    basis vectors: classical Gram-Schmidt, repeated once when the first pass cancelled most
    of the vector ("twice is enough", Kahan-Parlett). Memory-bound gemv per probe: a loop
    over probes beat batched ``matmul`` and ``einsum`` (measured 0.29 s vs 0.44 s and
    0.66 s for 16 probes x 80 steps at P = 1980)."""
    rows = np.ascontiguousarray(w.T)
    for n, probe in enumerate(active):
        Q = basis[probe, : j + 1]
        r = rows[n]
        before = np.linalg.norm(r)
        r -= (Q @ r) @ Q
        if np.linalg.norm(r) < 0.7071 * before:
            r -= (Q @ r) @ Q
    return rows.T
