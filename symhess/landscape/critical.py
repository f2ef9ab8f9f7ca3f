"""Critical points of the teacher-student population loss: classification, search, survey.

* :func:`classify` - gradient, loss, dense Hessian spectrum at a point: ``"global minimum"``,
  ``"local minimum"``, ``"saddle"`` or ``"not critical"`` (a point whose measured
  ``|grad L|`` is above the tolerance is never called critical), with index, rank, nullity
  and the spectral gap that separates the zeros; ``"non-smooth"`` for a critical point where
  the loss is not twice differentiable (a ReLU-family row at ``w_i = 0``), without them.
* :func:`find_critical_point` - gradient flow, then Newton polishing; if polishing fails the
  flow goes on ten times longer (twice), then the failure is stated.
* :func:`critical_points` - the Pennington-Bahri question on a landscape symhess knows
  exactly: ``grad L = 0`` solved from many random starts (least squares, then Newton), each
  point's loss and index; failures are counted and kept with their reasons.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.linalg

from ..base.progress import progress, scope
from ..curvature.anywhere import Landscape
from ..errors import SymhessError
from ..spectra.zeros import critical_point_tolerance
from ..teacher import check_size
from .flow import FlowResult, gradient_flow, initial_student
from .newton import NewtonResult, critical_search, newton_polish

KINDS = ("global minimum", "local minimum", "saddle", "non-smooth", "not critical")
GRAD_TOL = 1e-12
"""``|grad L|`` at or below which a point counts as critical (2-norm)."""
WEAK_GAP = 1e3
"""A spectral gap below this makes the rank (and index) uncertain in float64; it is flagged."""


@dataclass
class CriticalPoint:
    """A point classified by its measured gradient, loss and Hessian spectrum.

    Attributes
    ----------
    theta : ndarray, shape (P,)
    kind : {"global minimum", "local minimum", "saddle", "non-smooth", "not critical"}
        ``"non-smooth"``: ``|grad L|`` within the tolerance, but the loss is not twice
        differentiable there (:meth:`~symhess.curvature.anywhere.Landscape.nonsmooth_rows`):
        no Hessian, so ``eigenvalues`` is empty and ``index``, ``nullity``, ``rank`` are
        ``None`` (also for a ``"not critical"`` point there).
    loss : float
    loss_floor : float
        Rounding floor of the loss (plus the kernels' error bound when quadrature could not
        serve every entry by one consistent rule,
        :meth:`~symhess.curvature.anywhere.Landscape.loss_floor`): a loss within 100 floors
        of 0 is 0.
    grad_norm, grad_tol : float
    eigenvalues : ndarray, shape (P,), ascending
    zero_tol : float
        ``|lambda| <= zero_tol`` counts as zero
        (:func:`~symhess.spectra.zeros.critical_point_tolerance`).
    index, nullity, rank : int or None
        Negative, zero and non-zero eigenvalues.
    gap : float
        Smallest ``|lambda|`` counted non-zero over the largest counted zero (``inf`` when
        nothing is zero): how clearly the zeros are separated.
    notes : list of str
    """

    theta: np.ndarray
    kind: str
    loss: float
    loss_floor: float
    grad_norm: float
    grad_tol: float
    eigenvalues: np.ndarray
    zero_tol: float
    index: int
    nullity: int
    rank: int
    gap: float
    notes: list = field(default_factory=list)

    @property
    def params(self) -> int:
        return int(self.theta.size)

    def summary(self) -> str:
        """One line: kind, loss, |grad|, rank, index, nullity, gap."""
        if self.index is None:
            return (
                f"{self.kind}: loss {self.loss:.3e}, |grad L| {self.grad_norm:.1e}, "
                f"P {self.params}, no Hessian ({self.notes[0]})"
            )
        gap = "-" if not np.isfinite(self.gap) else f"{self.gap:.1e}"
        return (
            f"{self.kind}: loss {self.loss:.3e}, |grad L| {self.grad_norm:.1e}, "
            f"P {self.params}, rank {self.rank}, index {self.index}, nullity {self.nullity}, "
            f"gap {gap}"
        )


def classify(landscape: Landscape, theta, *, grad_tol: float = GRAD_TOL) -> CriticalPoint:
    """Classify ``theta`` from its measured gradient, loss and dense Hessian spectrum.

    ``"global minimum"``: critical, index 0 and loss within 100 rounding floors of 0 (the loss
    is never negative, so this is a certificate up to rounding). ``"local minimum"``:
    critical, index 0, loss above that; with zero eigenvalues it is a minimum by the
    second-order test only (noted). ``"saddle"``: index > 0 (no local maximum exists: the
    Gauss-Newton part is PSD and the residual part has zero trace in ``v``).

    Parameters
    ----------
    landscape : Landscape
    theta : array_like, shape (P,)
    grad_tol : float
        A point with ``|grad L| > grad_tol`` is ``"not critical"``, whatever its spectrum.
    """
    theta = np.asarray(theta, dtype=float)
    W, v = landscape.split(theta)
    g = landscape.gradient(W, v)
    gn = float(np.linalg.norm(g))
    loss = landscape.loss(W, v)
    floor = landscape.loss_floor(W, v)  # includes the kernels' error where it applies
    rows = landscape.nonsmooth_rows(W, v)
    if rows:
        norms = ", ".join(f"{np.linalg.norm(W[i]):.1e}" for i in rows)
        note = (
            f"student row(s) {', '.join(map(str, rows))} at w_i = 0 (|w_i| = {norms}): the ReLU "
            "family's loss is not twice differentiable there, so the Hessian, index and rank "
            "are not defined"
        )
        kind = "not critical" if gn > grad_tol else "non-smooth"
        notes = [note] + ([f"|grad L| = {gn:.2e} > {grad_tol:g}"] if gn > grad_tol else [])
        return CriticalPoint(
            theta, kind, loss, floor, gn, grad_tol, np.empty(0), float("nan"),
            None, None, None, float("nan"), notes,
        )  # fmt: skip
    lam = scipy.linalg.eigvalsh(landscape.hessian(W, v))
    tol = critical_point_tolerance(lam, gn)
    absl = np.abs(lam)
    index = int(np.sum(lam < -tol))
    zero, nonzero = absl[absl <= tol], absl[absl > tol]
    nullity = int(zero.size)
    rank = int(lam.size - nullity)
    if zero.size and nonzero.size:
        gap = float(nonzero.min()) / max(float(zero.max()), 1e-300)
    else:
        gap = float("inf")
    notes = []
    if gn > grad_tol:
        kind = "not critical"
        notes.append(f"|grad L| = {gn:.2e} > {grad_tol:g}")
    elif index > 0:
        kind = "saddle"
    elif loss <= 100 * floor:
        kind = "global minimum"
    else:
        kind = "local minimum"
        if nullity:
            notes.append(f"{nullity} zero eigenvalues: a minimum by the second-order test only")
    if zero.size and gap < WEAK_GAP:
        notes.append(f"weak spectral gap {gap:.1e}: rank {rank} is uncertain in float64")
    err = landscape.hessian_error(W, v)
    if err:
        notes.append(f"kernels by quadrature: Hessian entries within {err:.1e}")
    return CriticalPoint(
        theta, kind, loss, floor, gn, grad_tol, lam, tol, index, nullity, rank, gap, notes
    )


@dataclass
class Search:
    """Flow, polishing and classification from one start.

    Attributes
    ----------
    flow : FlowResult or None
    newton : NewtonResult or None
    point : CriticalPoint or None
        ``None`` when no critical point was reached; ``message`` says why.
    message : str
    """

    flow: FlowResult | None
    newton: NewtonResult | None
    point: CriticalPoint | None
    message: str

    @property
    def found(self) -> bool:
        return self.point is not None and self.point.kind != "not critical"


def find_critical_point(
    landscape: Landscape,
    W0,
    v0,
    *,
    t_max: float = 1e3,
    extensions: int = 2,
    tol: float = GRAD_TOL,
    show_progress: bool | None = None,
    **flow_options,
) -> Search:
    """Gradient flow from ``(W0, v0)``, Newton polishing to ``|grad L| <= tol``, classification.

    If polishing fails, the flow goes on from where it stopped for ten times as long (near
    degenerate minima it converges only algebraically), up to ``extensions`` times; then the
    failure is stated with the loss, its floor and ``|theta|`` where it ended.

    Parameters
    ----------
    landscape : Landscape
    W0 : array_like, shape (h_s, d)
    v0 : array_like, shape (h_s,)
    t_max : float
        Flow time of the first segment.
    extensions : int
    tol : float
    show_progress : bool, optional
    **flow_options
        Passed to :func:`~symhess.landscape.flow.gradient_flow`.
    """
    W, v = landscape.check(W0, v0)
    h = W.shape[0]
    span, flow, newton = float(t_max), None, None
    with scope(show_progress):
        for _ in range(extensions + 1):
            flow = gradient_flow(landscape, W, v, span, **flow_options)
            if flow.status in ("diverged", "failed"):
                return Search(flow, None, None, flow.message)
            newton = newton_polish(landscape, flow.theta[-1], tol=tol)
            if newton.converged:
                point = classify(landscape, newton.theta, grad_tol=tol)
                return Search(flow, newton, point, newton.message)
            W, v = landscape.split(flow.theta[-1], h)
            span *= 10
    Wn, vn = landscape.split(newton.theta, h)
    total = t_max * (10 ** (extensions + 1) - 1) / 9
    message = (
        f"{newton.message} (after flowing for t = {total:g}; loss there "
        f"{landscape.loss(Wn, vn):.2e}, rounding floor {landscape.loss_floor(Wn, vn):.1e}, "
        f"|theta| {np.linalg.norm(newton.theta):.3g})"
    )
    return Search(flow, newton, None, message)


@dataclass
class Survey:
    """Critical points found by solving ``grad L = 0`` from many starts.

    Attributes
    ----------
    points : list of CriticalPoint
        One per start that converged (``kind`` is never ``"not critical"`` here).
    distinct : list of CriticalPoint
        One point per critical value: points with the same index whose losses agree to
        ``1e-9`` relative (or within rounding) count once - permuted hidden units, sign
        flips of odd activations and points of one connected manifold of critical points
        (the loss is constant on it) all give the same loss.
    failures : list of str
        One line per start that reached no critical point, with the reason.
    starts : int
    h : int
        Student width.
    """

    points: list
    distinct: list
    failures: list
    starts: int
    h: int

    def counts(self) -> dict[str, int]:
        """How many distinct points of each kind."""
        return {kind: sum(p.kind == kind for p in self.distinct) for kind in KINDS[:4]}


def critical_points(
    landscape: Landscape,
    h_s: int,
    *,
    starts: int = 20,
    seed: int = 0,
    scale: float = 1.0,
    max_nfev: int = 300,
    tol: float = GRAD_TOL,
    show_progress: bool | None = None,
) -> Survey:
    """Critical points of the loss from random starts, of every index.

    Each start is a random student (``W ~ N(0, scale^2/d)``, ``v ~ N(0, scale^2/h_s)``, the
    paper's variances at ``scale = 1``); :func:`~symhess.landscape.newton.critical_search`
    solves ``grad L = 0`` from it (least squares on ``|grad L|^2``, then Newton), which
    converges to saddles as well as minima. Every point that converged is classified from its
    measured gradient and spectrum; every start that did not is a failure with its reason.

    Parameters
    ----------
    landscape : Landscape
    h_s : int
        Student width.
    starts : int
    seed : int
        Start ``k`` uses the seed ``seed + k``.
    scale : float
        Scale of the random starts.
    max_nfev : int
        Least-squares evaluations per start.
    tol : float
        ``|grad L|`` of a critical point.
    show_progress : bool, optional
        A bar over the starts.

    Returns
    -------
    Survey
    """
    h_s = check_size("the student width", h_s)
    starts = check_size("starts", starts)
    if not (np.isfinite(scale) and scale > 0):
        raise SymhessError(f"scale must be a positive number, got {scale!r}")
    points, failures = [], []
    bar = progress(range(starts), desc="critical points", unit="start", show=show_progress)
    with scope(False if show_progress is False else None):
        for k in bar:
            W0, v0 = initial_student(landscape.W_t, landscape.v_t, h_s, "random", seed=seed + k)
            W0, v0 = scale * W0, scale * v0
            try:
                res = critical_search(landscape, landscape.flat(W0, v0), tol=tol, max_nfev=max_nfev)
            except SymhessError as exc:  # e.g. a start run off to weights no kernel resolves
                failures.append(f"start {k}: stopped: {exc}")
                continue
            if not res.converged:
                failures.append(f"start {k}: {res.message}")
                continue
            try:
                point = classify(landscape, res.theta, grad_tol=tol)
            except SymhessError as exc:  # e.g. a ReLU row rounded to exactly 0
                failures.append(f"start {k}: converged to a point that cannot be classified: {exc}")
                continue
            if point.kind == "not critical":  # cannot happen after a measured convergence
                failures.append(f"start {k}: {point.notes[0]}")
                continue
            points.append(point)
            bar.set_postfix_str(f"found {len(points)}")
    return Survey(points, _distinct(points), failures, starts, h_s)


def _distinct(points: list) -> list:
    """One point per (index, loss): the first of each, in order of loss."""
    out: list = []
    for p in sorted(points, key=lambda q: (q.loss, -1 if q.index is None else q.index)):
        tol = 1e-9 * abs(p.loss) + 100 * p.loss_floor
        if not any(q.index == p.index and abs(q.loss - p.loss) <= tol for q in out):
            out.append(p)
    return out
