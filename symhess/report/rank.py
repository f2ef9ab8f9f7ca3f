"""Text and JSON of rank reports, and the rank section of ``symhess analyze``."""

from __future__ import annotations

from ..base import memory
from ..kernels import resolve
from ..rank.measure import (
    DEFAULT_DPS,
    MAX_DPS,
    METHODS,
    MethodRank,
    RankReport,
    rank_bytes,
    rank_report,
)
from ..spectra.summary import SpectrumSummary
from ..teacher import Teacher

_LABEL = {"float": "float64", "mpmath": "mpmath", "exact": "exact", "certified": "certified"}


def _suggestion(r: MethodRank) -> str:
    """The --dps that might decide an undecided floating-point count."""
    if r.method == "mpmath" and r.dps:
        dps = r.suggested_dps if r.suggested_dps and r.suggested_dps > r.dps else 2 * r.dps
        return f"try --dps {min(dps, MAX_DPS)}"
    dps = max(DEFAULT_DPS, r.suggested_dps or 0)
    return f"try --method mpmath --dps {min(dps, MAX_DPS)}"


def _method_line(r: MethodRank) -> str:
    rank = "-" if r.rank is None else str(r.rank)
    text = f"  {_LABEL[r.method]:<9} {rank:>6}   {r.detail}"
    if r.gap_ratio is None or r.rank is None:
        return text
    if r.how == "proven":
        verdict = f"{r.rank} eigenvalues above the noise reach the proven bound {r.upper}: decided"
    elif r.how == "gap":
        where = f"above the {r.gap_below} smallest |lambda|" if r.gap_below else "at the noise"
        verdict = (
            f"largest gap x{r.gap_ratio:.2g} {where}, exactly at the noise: decided by the gap"
        )
        if r.method == "float":
            # a true eigenvalue below the noise looks exactly like a zero: evidence, not proof
            verdict += " (float64 evidence; mpmath or exact settle it)"
    else:
        below = r.upper - r.rank if r.upper is not None else 0
        verdict = (
            f"rank between {r.rank} and {r.upper}: NOT decided ({below} eigenvalue"
            f"{'s' if below != 1 else ''} at or below the noise may or may not be zero); "
            + _suggestion(r)
        )
    return f"{text}; {verdict}"


def skipped_lines(report: RankReport) -> list[str]:
    """``skipped: method (reason)`` for methods that refused this teacher."""
    return [f"  skipped: {m} ({reason})" for m, reason in report.skipped.items()]


def report_lines(report: RankReport) -> list[str]:
    """The rank table: each method's rank, then each prediction and whether it holds."""
    what = "with biases, " if report.bias else ""
    lines = [f"rank of the Hessian (effective number of parameters), {what}P = {report.params}:"]
    lines += [f"  note: {note}" for note in report.notes]
    lines += [_method_line(report.results[m]) for m in METHODS if m in report.results]
    lines += skipped_lines(report)
    if report.bias and report.rank_without_bias is not None:
        lines.append(
            f"  without biases at the same W, v: rank {report.rank_without_bias} of "
            f"P = {report.params - report.h} (gain {_gain(report)})"
        )
    if len(report.results) > 1:
        lines.append(
            "  the methods agree"
            if report.agree
            else f"  the methods DISAGREE: the {_LABEL[report.reference]} rank is the reference "
            "(exact over certified over mpmath over float64; float64 cannot see eigenvalues "
            "below its noise)"
        )
    holds = report.holds()
    if report.rank is None:
        lines.append("predictions (not checked: no method gave a rank):")
    else:
        lines.append(f"predictions (checked against the {_LABEL[report.reference]} rank):")
    width = max(len(q.name) for q in report.predictions)
    verdicts = {True: "holds", False: "FAILS", None: "-"}
    for q in report.predictions:
        verdict = verdicts[holds[q.name]]
        lines.append(f"  {q.name:<{width}} {q.value:>6}  {q.kind:<5}  {verdict:<5}  {q.source}")
    return lines


def _gain(report: RankReport) -> str:
    if report.rank is None or report.rank_without_bias is None:
        return "-"
    return f"{report.rank - report.rank_without_bias:+d}"


def report_json(report: RankReport) -> dict:
    """``{"params", "biases", "rank": {method: int or null}, "decided": {method: bool},
    "reference": method, "reference_rank": int or null, "agree": bool, "predictions": {name:
    {"value", "kind", "holds", "source"}}}``, and with biases ``"rank_without_bias"``;
    predictions are judged against the reference method's rank (``holds`` null without one;
    kinds ``exact``, ``bound`` and ``claim``). A null rank: the certified method proved
    none."""
    holds = report.holds()
    extra = {"rank_without_bias": report.rank_without_bias} if report.bias else {}
    return {
        "params": report.params,
        "biases": report.bias,
        **extra,
        "rank": {m: r.rank for m, r in report.results.items()},
        "decided": {m: r.decided for m, r in report.results.items()},
        "reference": report.reference,
        "reference_rank": report.rank,
        "agree": report.agree,
        "predictions": {
            q.name: {"value": q.value, "kind": q.kind, "holds": holds[q.name], "source": q.source}
            for q in report.predictions
        },
    }


# Above these sizes `symhess analyze` leaves the slow methods to `symhess rank`.
ANALYZE_MAX_P = {"mpmath": 150, "exact": 400, "certified": 150}


def rank_section(
    spec, teacher: Teacher, kernel_dirs=None, float_summary: SpectrumSummary | None = None
) -> list[str]:
    """The rank table for ``symhess analyze``, on the analyzed teacher itself.

    float64 always (from ``float_summary`` when given); mpmath (50 digits) for ``P <= 150``;
    exact for polynomial activations with ``P <= 400`` and certified (128-bit balls) for the
    ReLU family with ``P <= 150`` (the teacher's floats enter as their exact binary values).
    A teacher with biases gets the rank with biases (no certified method: the exact rank for
    polynomials, mpmath for erf and the ReLU family) and the rank without biases at the same
    ``W, v``, for the seed paper's claim.
    """
    kern = resolve(spec, kernel_dirs)
    act = kern.activation
    P = teacher.params
    bias = teacher.has_bias
    systems = kern.means_systems if bias else kern.systems
    methods = ["float"]
    skipped = []
    for m in ("mpmath", "exact", "certified"):
        if m == "exact" and not act.is_polynomial:
            skipped.append("exact (not a polynomial activation)")
        elif m == "certified" and ("arb" not in kern.systems or bias):
            continue  # only kernels in ball arithmetic have it: nothing to say otherwise
        elif m == "mpmath" and "mpmath" not in systems:
            what = "these kernels with means" if bias else "these kernels"
            skipped.append(f"mpmath ({what} evaluate in float64 only)")
        elif P > ANALYZE_MAX_P[m]:
            skipped.append(f"{m} (P > {ANALYZE_MAX_P[m]}; run symhess rank)")
        elif not memory.fits(rank_bytes(P, m)):
            skipped.append(f"{m} (needs {memory.format_bytes(rank_bytes(P, m))} of memory)")
        else:
            methods.append(m)
    report = rank_report(
        kern,
        teacher.W,
        teacher.v,
        methods,
        b=teacher.b,
        kernel_dirs=kernel_dirs,
        float_summary=float_summary,
        optional=("mpmath", "exact", "certified"),
    )
    lines = report_lines(report)
    if skipped:
        lines.insert(1 + len(report.results), "  skipped: " + "; ".join(skipped))
    return lines
