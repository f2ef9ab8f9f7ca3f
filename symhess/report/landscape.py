"""Text, JSON and plots for the landscape beyond the optimum: gradient flows with the Hessian
along them, critical-point surveys, and the ranks at the minima of wider students."""

from __future__ import annotations

import numpy as np

from ..landscape.critical import CriticalPoint, Survey
from ..landscape.flow import FlowResult
from ..landscape.newton import NewtonResult
from ..landscape.trajectory import SpectrumAt
from ..landscape.wider import KINDS, Structure, WiderReport
from ..rank.measure import MethodRank

_RANK_LABEL = {"float": "float64", "mpmath": "mpmath", "exact": "exact"}


# ----------------------------------------------------------------------------- flow
def flow_lines(flow: FlowResult, seconds: float | None = None) -> list[str]:
    took = f", {seconds:.1f} s" if seconds is not None else ""
    return [
        f"flow         {flow.status}: {flow.message} ({flow.nfev} gradients, {flow.njev} "
        f"Hessians{took})",
        f"loss         {flow.loss[0]:.4e} at t = 0 -> {flow.loss[-1]:.4e} at "
        f"t = {flow.t[-1]:.4g}; |grad L| {flow.grad_norm[0]:.2e} -> {flow.grad_norm[-1]:.2e}",
    ]


def escape_note(flow: FlowResult) -> str | None:
    """A note when, over the last two decades of time, the loss fell while ``|theta|`` grew by
    more than 10%: the student may be approaching a function it reaches only in the limit of
    infinite weights (polynomial networks: the set of functions they compute is not closed)."""
    if flow.t[-1] <= 0 or flow.t.size < 3:
        return None
    last = flow.t >= flow.t[-1] / 100
    first = int(np.argmax(last))
    norms = np.linalg.norm(flow.theta, axis=1)
    if flow.loss[-1] < flow.loss[first] and norms[-1] > 1.1 * norms[first]:
        return (
            f"|theta| grew from {norms[first]:.3g} to {norms[-1]:.3g} from t = "
            f"{flow.t[first]:.3g} to {flow.t[-1]:.3g} while the loss fell from "
            f"{flow.loss[first]:.2e} to {flow.loss[-1]:.2e}: the weights may be running off to "
            "infinity (a function reached only in the limit)"
        )
    return None


def newton_lines(res: NewtonResult) -> list[str]:
    routes = {r: res.steps.count(r) for r in dict.fromkeys(res.steps)}
    how = ", ".join(f"{r} {n}" for r, n in routes.items()) or "no step"
    seq = " ".join(f"{g:.1e}" for g in _thin(res.grad_norms, 12))
    verdict = "converged" if res.converged else "FAILED"
    return [
        f"polish       {verdict}: {res.message}",
        f"             |grad L| along the way: {seq} ({how})",
    ]


def _thin(seq: list, n: int) -> list:
    if len(seq) <= n:
        return list(seq)
    return list(seq[: n // 2]) + list(seq[-(n - n // 2) :])


def point_lines(point: CriticalPoint) -> list[str]:
    if point.index is None:  # not twice differentiable here: no Hessian
        lines = [
            f"result       {point.kind}: loss {point.loss:.3e} (floor {point.loss_floor:.1e}), "
            f"|grad L| {point.grad_norm:.1e}",
            f"Hessian      P = {point.params}: not defined here",
        ]
        return lines + [f"note         {n}" for n in point.notes]
    gap = "no zero eigenvalue" if not np.isfinite(point.gap) else f"gap x{point.gap:.1e}"
    lines = [
        f"result       {point.kind}: loss {point.loss:.3e} (floor {point.loss_floor:.1e}), "
        f"|grad L| {point.grad_norm:.1e}",
        f"Hessian      P = {point.params}: rank {point.rank}, index {point.index} (negative), "
        f"nullity {point.nullity} (|lambda| <= {point.zero_tol:.1e}; {gap}); "
        f"lambda in [{point.eigenvalues[0]:.4e}, {point.eigenvalues[-1]:.4e}]",
    ]
    lines += [f"note         {n}" for n in point.notes]
    return lines


def wider_point_lines(
    point: CriticalPoint, teacher_rank: int, teacher_params: int, structure: Structure
) -> list[str]:
    """A wider student's global minimum against the teacher's rank at its own optimum."""
    diff = point.rank - teacher_rank
    lines = [
        f"wider        the teacher at its own optimum: P_t = {teacher_params}, rank "
        f"r_t = {teacher_rank}; here P_s = {point.params}, rank {point.rank} "
        f"(r_t {diff:+d}), {point.nullity} flat directions",
    ]
    lines += [f"             {line}" for line in structure.lines()]
    return lines


def spectra_lines(spectra: list[SpectrumAt], rows: int = 10) -> list[str]:
    if not spectra:
        return []
    exact = spectra[0].exact_rank is not None
    dense = spectra[0].eigenvalues is not None
    head = f"{'t':>10} {'loss':>11} {'|grad L|':>9} {'lambda_min':>11} {'lambda_max':>11}"
    if dense:
        head += f" {'negative':>8} {'rank':>5}"
    if exact:
        head += f" {'exact rank':>10} {'G rank':>6}"
    where = "dense, LAPACK" if dense else "operator: extreme eigenvalues (ARPACK/LOBPCG)"
    lines = [f"Hessian along the flow ({where}; ranks: float64 with P eps max|lambda|"]
    lines[0] += (
        ", exact over Q at the weights' binary values; G = Gauss-Newton part):" if exact else "):"
    )
    lines.append("  " + head)
    pick = np.unique(np.linspace(0, len(spectra) - 1, min(rows, len(spectra))).round().astype(int))
    for i in pick:
        s = spectra[i]
        row = (
            f"{s.t:>10.4g} {s.loss:>11.4e} {s.grad_norm:>9.2e} {s.smallest[0]:>11.4e} "
            f"{s.largest[0]:>11.4e}"
        )
        if dense:
            row += f" {s.index:>8} {s.rank:>5}"
        if exact:
            row += f" {s.exact_rank:>10} {s.exact_rank_gn:>6}"
        lines.append("  " + row)
    return lines


def flow_json(
    flow: FlowResult,
    spectra: list[SpectrumAt],
    newton: NewtonResult | None,
    point: CriticalPoint | None,
    extra: dict | None = None,
) -> dict:
    """Everything ``symhess flow --json`` prints, as plain JSON types."""
    out = {
        "flow": {
            "status": flow.status,
            "message": flow.message,
            "t": flow.t.tolist(),
            "loss": flow.loss.tolist(),
            "grad_norm": flow.grad_norm.tolist(),
            "nfev": flow.nfev,
            "njev": flow.njev,
            "theta_end": flow.theta[-1].tolist(),
        },
        "spectra": [
            {
                "t": s.t,
                "loss": s.loss,
                "grad_norm": s.grad_norm,
                "eigenvalues": None if s.eigenvalues is None else s.eigenvalues.tolist(),
                "smallest": s.smallest[:10].tolist(),
                "largest": s.largest[:10].tolist(),
                "index": s.index,
                "rank": s.rank,
                "exact_rank": s.exact_rank,
                "exact_rank_gauss_newton": s.exact_rank_gn,
            }
            for s in spectra
        ],
        "polish": None
        if newton is None
        else {
            "converged": newton.converged,
            "message": newton.message,
            "grad_norms": newton.grad_norms,
        },
        "point": None if point is None else point_json(point),
    }
    out.update(extra or {})
    return out


def point_json(point: CriticalPoint) -> dict:
    return {
        "kind": point.kind,
        "loss": point.loss,
        "loss_floor": point.loss_floor,
        "grad_norm": point.grad_norm,
        "params": point.params,
        "rank": point.rank,
        "index": point.index,
        "nullity": point.nullity,
        "zero_tol": point.zero_tol if np.isfinite(point.zero_tol) else None,
        "gap": point.gap if np.isfinite(point.gap) else None,
        "eigenvalues": point.eigenvalues.tolist(),
        "theta": point.theta.tolist(),
        "notes": point.notes,
    }


def plot_flow(fig, flow: FlowResult, spectra: list[SpectrumAt], title: str) -> None:
    """Two panels against time (log scale; ``t = 0`` drawn at a tenth of the first positive
    time): loss and ``|grad L|``; the Hessian's ``|eigenvalues|``, positive ones in blue and
    negative ones in red (the index is the number of red curves)."""
    ax1, ax2 = fig.subplots(2, 1, sharex=True)
    positive = flow.t[flow.t > 0]
    t0 = positive.min() / 10 if positive.size else 1e-3
    t = np.maximum(flow.t, t0)
    ax1.loglog(t, np.maximum(flow.loss, 1e-300), label="loss L(t)", color="tab:blue")
    ax1.loglog(t, np.maximum(flow.grad_norm, 1e-300), label="|grad L|", color="tab:orange")
    ax1.set_ylabel("loss, |grad L|")
    ax1.legend(fontsize=8)
    ax1.set_title(title, fontsize=10)
    if spectra:
        ts = np.array([max(s.t, t0) for s in spectra])
        if spectra[0].eigenvalues is not None:
            lam = np.array([s.eigenvalues for s in spectra])
        else:
            lam = np.hstack(
                [np.array([s.smallest for s in spectra]), np.array([s.largest for s in spectra])]
            )
        scale = float(np.max(np.abs(lam)))
        floor = scale * 1e-16
        pos = np.where(lam > 0, np.maximum(lam, floor), np.nan)
        neg = np.where(lam < 0, np.maximum(-lam, floor), np.nan)
        ax2.loglog(ts, pos, color="tab:blue", lw=0.8, alpha=0.8)
        ax2.loglog(ts, neg, color="tab:red", lw=1.0, ls="--")
        ax2.plot([], [], color="tab:blue", label="positive")
        ax2.plot([], [], color="tab:red", ls="--", label="negative")
        ax2.legend(fontsize=8)
    ax2.set_xlabel("time t (= steps x learning rate)")
    ax2.set_ylabel("|Hessian eigenvalues|")


# ----------------------------------------------------------------------------- survey
def survey_lines(survey: Survey) -> list[str]:
    found = len(survey.points)
    lines = [
        f"starts       {survey.starts} random students of width {survey.h}: {found} reached "
        f"a critical point (|grad L| <= {survey.points[0].grad_tol:g})"
        if found
        else f"starts       {survey.starts} random students of width {survey.h}: none reached a "
        "critical point",
        f"distinct     {len(survey.distinct)} critical values (index, loss):",
        f"  {'kind':<15} {'loss':>11} {'index':>5} {'rank':>5} {'nullity':>7} {'found':>5}",
    ]
    for p in survey.distinct:
        times = sum(
            q.index == p.index and abs(q.loss - p.loss) <= 1e-9 * abs(p.loss) + 100 * p.loss_floor
            for q in survey.points
        )
        index, rank, nullity = ("-" if x is None else x for x in (p.index, p.rank, p.nullity))
        lines.append(f"  {p.kind:<15} {p.loss:>11.4e} {index:>5} {rank:>5} {nullity:>7} {times:>5}")
    if any(p.index is None for p in survey.distinct):
        lines.append(
            "non-smooth   |grad L| within the tolerance with a student row at w_i = 0 (|w_i| <= "
            "sqrt(eps) max |w_t|): the ReLU family's loss is not twice differentiable there, so "
            "the Hessian, index and rank are not defined (docs/theory.md, section 11.7)"
        )
    if survey.failures:
        n = len(survey.failures)
        lines.append(f"failures     {n} start{'' if n == 1 else 's'} reached no critical point:")
        lines += [f"  {f}" for f in survey.failures[:8]]
        if len(survey.failures) > 8:
            lines.append(f"  ... and {len(survey.failures) - 8} more")
    return lines


def survey_json(survey: Survey) -> dict:
    return {
        "starts": survey.starts,
        "student_h": survey.h,
        "points": [point_json(p) for p in survey.points],
        "distinct": [
            {"kind": p.kind, "loss": p.loss, "index": p.index, "rank": p.rank}
            for p in survey.distinct
        ],
        "failures": survey.failures,
    }


def plot_survey(ax, survey: Survey, title: str) -> None:
    """Index against loss of every critical point found (the Pennington-Bahri plot)."""
    colors = {"global minimum": "tab:green", "local minimum": "tab:blue", "saddle": "tab:red"}
    for kind, color in colors.items():
        pts = [p for p in survey.points if p.kind == kind]
        if pts:
            ax.scatter(
                [p.loss for p in pts],
                [p.index / p.params for p in pts],
                color=color,
                label=f"{kind} ({len(pts)})",
                alpha=0.7,
            )
    ax.set_xscale("symlog", linthresh=1e-12)
    ax.set_xlabel("loss L at the critical point")
    ax.set_ylabel("index / P (fraction of negative eigenvalues)")
    nonsmooth = sum(p.index is None for p in survey.points)
    if nonsmooth:  # no index to draw: say so rather than leave them out silently
        title += f"\n{nonsmooth} non-smooth point(s) at w_i = 0 (no index) not drawn"
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)


# ----------------------------------------------------------------------------- wider
def _rank_cell(r: MethodRank | None) -> str:
    if r is None:
        return "-"
    return f"{r.rank}" + ("" if r.decided else "?")


def wider_lines(report: WiderReport) -> list[str]:
    t = report.teacher
    lines = [
        f"teacher      h_t = {report.h_t}, P_t = {report.teacher_params}: rank r_t = {t.rank} at "
        f"its own optimum ({_RANK_LABEL[report.method]}: {t.detail})",
        "ranks at global minima of wider students (h_e extra neurons; a float count is proven "
        "when it meets an upper bound: P, a theorem's, or r_t + h_e / r_t from the point's "
        "structure; '?' = a lower bound only):",
        f"  {'h_s':>4} {'h_e':>4} {'P_s':>5} {'r_t+h_e':>7}   "
        + "  ".join(f"{k:>15}" for k in KINDS)
        + f"  {'generic h_s':>11}",
    ]
    for row in report.rows:
        cells = "  ".join(f"{_rank_cell(row.ranks.get(k)):>15}" for k in KINDS)
        gen = _rank_cell(row.generic) if row.generic is not None else "-"
        lines.append(
            f"  {row.h_s:>4} {row.h_e:>4} {row.params:>5} {t.rank + row.h_e:>7}   {cells}  "
            f"{gen:>11}"
        )
    worst = max((max(r.residual.values(), default=0.0) for r in report.rows), default=0.0)
    lines += [
        f"residual     max |R| / max |H| at these points: {worst:.1e} (the student computes the "
        "teacher's function: H = E[g g^T])",
        "zeroed       extra neurons with v = 0 and a random w: each adds at most the one function "
        "sigma(w . x); its d input weights are flat directions of the manifold of minima",
        "split        a teacher neuron split into h_e + 1 copies (weights 1/2, 1/4, ...): copies "
        "add no function; h_e (d + 1) flat directions",
        "zeroed at w = 0   v = 0 and w = 0: sigma(0 . x) is a constant (0 for sigma(0) = 0)",
        "generic h_s  the rank of a random network of width h_s at its own optimum: the largest "
        "rank the wider architecture reaches",
    ]
    lines += report.notes
    return lines


def wider_json(report: WiderReport) -> dict:
    return {
        "method": report.method,
        "d": report.d,
        "teacher_h": report.h_t,
        "teacher_params": report.teacher_params,
        "teacher_rank": report.teacher.rank,
        "rows": [
            {
                "student_h": r.h_s,
                "extra": r.h_e,
                "params": r.params,
                "rank": {k: r.ranks[k].rank if k in r.ranks else None for k in KINDS},
                "decided": {k: r.ranks[k].decided if k in r.ranks else None for k in KINDS},
                "residual": r.residual,
                "generic_rank": None if r.generic is None else r.generic.rank,
            }
            for r in report.rows
        ],
    }
