"""The seed paper's figures 2-5, regenerated from fixed seeds, and the plots of the
``spectrum`` and ``dynamics`` commands.

* figure 2 - linear network: pooled Hessian eigenvalues against the chi-square x
  Marchenko-Pastur law (:mod:`symhess.spectra.linear_law`), for ``h >= d`` and for ``h < d``
  (mixed);
* figure 3 - linear network: the loss while learning from a perturbed teacher against
  ``E L(t) = (s^2/2) sum_k lambda_k exp(-2 lambda_k t)`` and ``exp(-2 lambda_min t)``;
* figure 4 - quadratic activation, ``d = h`` growing: a bulk near zero and one outlier;
* figure 5 - erf, ``d = h`` growing: a bulk moving to zero and an upper bulk that stays;
* figure 6 (not in the paper) - ReLU next to erf for growing ``d = h``: random teachers, and
  the Arjevani-Field teacher ``W = I``, ``v = 1`` with its closed-form spectrum;
* figure 7 (not in the paper) - the rank without and with biases over ``(d, h)``, the paper's
  "+1" judged in each cell (:mod:`symhess.report.biases`).

Every builder returns a :class:`Figure` (matplotlib figure with its caption drawn under the
axes, the caption text, and summary lines to print). matplotlib is only imported through
:func:`symhess.report.plot.pyplot`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..curvature.dense import hessian
from ..dynamics import Experiment, discrete_rate, experiment
from ..errors import SymhessError
from ..kernels import resolve
from ..spectra.arjevani_field import arjevani_field_spectrum
from ..spectra.clustering import clusters
from ..spectra.linear_law import LinearComparison, compare_linear
from ..spectra.pooled import EigenvaluePool, pooled_eigenvalues
from ..teacher import sample_teacher
from .biases import figure7
from .plot import Figure, add_caption, pyplot
from .spectra import comparison_lines

THEORY = dict(color="black", lw=1.6)
MEASURED = dict(color="tab:blue", alpha=0.45)
SIZE_COLORS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")


# ----------------------------------------------------------------------------- spectra
def plot_linear_spectrum(
    ax, comparison: LinearComparison, bins: int = 80, log: bool = False
) -> None:
    """Histogram of the pooled eigenvalues with the law's density (and, for ``h < d``, its
    two parts); ``log``: logarithmic eigenvalue axis."""
    p, law = comparison.pool, comparison.law
    lo, hi = law.support(1e-5)
    lo = min(lo, p.eigenvalues.min())
    hi = max(hi, p.eigenvalues.max())
    space = np.geomspace if log else np.linspace
    if log:
        ax.set_xscale("log")
    ax.hist(
        p.eigenvalues,
        bins=space(lo, hi, bins + 1),
        density=True,
        **MEASURED,
        label=f"measured: {p.teachers} teachers, {p.eigenvalues.size} eigenvalues",
    )
    x = space(lo, hi, 1200)
    ax.plot(x, law.pdf(x), **THEORY, label="theory: chi-square * Marchenko-Pastur")
    if law.zero_weight:
        chi_part = law.zero_weight * law.chi2.pdf(x / law.scale) / law.scale
        ax.plot(
            x,
            chi_part,
            ls="--",
            color="tab:red",
            lw=1.2,
            label=f"{law.zero_weight:.2g} x bare chi-square",
        )
        ax.plot(
            x,
            law.pdf(x) - chi_part,
            ls=":",
            color="tab:green",
            lw=1.4,
            label=f"{1 - law.zero_weight:.2g} x convolution",
        )
    ax.set_xlabel("Hessian eigenvalue $\\lambda$")
    ax.set_ylabel("density")
    ax.set_title(
        f"d = {p.d}, h = {p.h}: KS {comparison.ks:.4f} (floor {comparison.floor:.4f})",
        fontsize=10,
    )
    ax.legend(fontsize=8)


def log_histogram(eigenvalues: np.ndarray, teachers: int, edges: np.ndarray) -> np.ndarray:
    """Eigenvalues per teacher in each bin of ``edges`` (``|lambda|``, log-spaced)."""
    counts, _ = np.histogram(np.abs(eigenvalues), bins=edges)
    return counts / teachers


def plot_log_spectra(ax, pools: list[EigenvaluePool], bins_per_decade: int = 12) -> None:
    """Step lines of the pooled ``|lambda|`` on log-log axes, one colour per pool."""
    allv = np.abs(np.concatenate([p.eigenvalues for p in pools]))
    lo, hi = np.log10(allv.min()), np.log10(allv.max())
    edges = 10 ** np.linspace(
        np.floor(lo), np.ceil(hi), int(np.ceil(hi) - np.floor(lo)) * bins_per_decade + 1
    )
    for k, p in enumerate(pools):
        per = log_histogram(p.eigenvalues, p.teachers, edges)
        shown = np.where(per > 0, per, np.nan)  # gaps where no eigenvalue was seen
        ax.stairs(
            shown,
            edges,
            color=SIZE_COLORS[k % len(SIZE_COLORS)],
            lw=1.6,
            label=f"d = h = {p.d}: {p.teachers} teachers, rank {int(np.median(p.counts))}"
            f" of P = {p.params}",
        )
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("Hessian eigenvalue $\\lambda$ (non-zero)")
    ax.set_ylabel("eigenvalues per teacher per bin")
    ax.legend(fontsize=8)


def plot_linear_histogram(ax, p: EigenvaluePool, bins: int = 80, log: bool = False) -> None:
    """Plain histogram of a pool (no theory), linear or log ``x``."""
    vals = np.abs(p.eigenvalues) if log else p.eigenvalues
    if log:
        edges = np.geomspace(vals.min(), vals.max(), bins + 1)
        ax.set_xscale("log")
    else:
        edges = np.linspace(vals.min(), vals.max(), bins + 1)
    ax.hist(vals, bins=edges, **MEASURED, label=f"measured: {p.teachers} teachers")
    ax.set_xlabel("Hessian eigenvalue $\\lambda$ (non-zero)")
    ax.set_ylabel("count")
    ax.legend(fontsize=8)


# ----------------------------------------------------------------------------- dynamics
def plot_dynamics(ax, ex: Experiment, label: str, color: str = "tab:blue") -> None:
    """The measured loss, the prediction and the ``exp(-2 lambda_min t)`` asymptote."""
    if ex.runs > 1:
        for row in ex.losses[: min(ex.runs, 5)]:
            ax.plot(ex.t, row, color=color, lw=0.5, alpha=0.35)
    ax.plot(ex.t, ex.mean_loss, color=color, lw=2.2, label=label)
    ax.plot(
        ex.t,
        ex.prediction(discrete=True),
        **THEORY,
        ls="--",
        label="theory: $(s^2/2)\\sum_k \\lambda_k (1 - \\eta\\lambda_k)^{2t/\\eta}$",
    )
    ax.plot(
        ex.t,
        ex.asymptote(),
        color="tab:red",
        lw=1.2,
        ls=":",
        label=f"$c\\,e^{{-2\\lambda_{{min}} t}}$, $\\lambda_{{min}}$ = {ex.lam_min:.4g}",
    )
    ax.set_yscale("log")
    ax.set_xlabel("time t = steps x learning rate")
    ax.set_ylabel("population loss L(t)")
    ax.legend(fontsize=8)


def _relative(value: float, reference: float) -> str:
    ratio = value / reference
    return f"{ratio - 1:+.2%}" if 0.5 < ratio < 2 else f"x{ratio:.3g}"


def dynamics_lines(ex: Experiment) -> list[str]:
    """Text summary: eigenvalues, run, fitted late-time rate next to the theory."""
    end = int(np.flatnonzero(ex.t <= max(ex.usable_end(), ex.t[0]))[-1])
    own = ex.run_prediction()[end]
    lines = [
        f"Hessian      P = {ex.params}, {ex.eigenvalues.size} non-zero eigenvalues, "
        f"lambda_min = {ex.lam_min:.6g}, lambda_max = {ex.lam_max:.6g}",
        f"run          {ex.method}; {ex.runs} run(s), noise s = {ex.noise:g}, lr = {ex.lr:.6g}, "
        f"{ex.steps} steps, t_final = {ex.t[-1]:.6g}",
        f"loss         start {ex.mean_loss[0]:.4e}; at t = {ex.t[end]:.4g} "
        + ("(the end)" if end == ex.t.size - 1 else "(the last point above the rounding floor)")
        + f" {ex.mean_loss[end]:.4e}, linearised prediction "
        + (
            f"from these runs' own start {own:.4e} ({_relative(ex.mean_loss[end], own)})"
            if ex.weights_measured
            else f"{own:.4e}"
        ),
        f"             E L(t) over delta(0) ~ N(0, s^2 I) there: "
        f"{ex.prediction(discrete=True)[end]:.4e} (an average: one run differs by its start)",
    ]
    if ex.route:
        lines.insert(2, f"kernels      {ex.route}")
    try:
        fit, asymptotic = ex.fit()
    except SymhessError as exc:
        return lines + [f"late-time rate  not fitted: {exc}"]
    flow, disc = 2 * ex.lam_min, discrete_rate(ex.lam_min, ex.lr)
    window = ex.window_rate(fit)
    where = (
        "from where the linearised loss decays within 1 % of its asymptote"
        if asymptotic
        else "the last third of the usable run"
    )
    lines += [
        f"late-time rate fitted over t in [{fit.t0:.4g}, {fit.t1:.4g}] ({fit.points} points, "
        f"{where}): {fit.rate:.6g}",
        f"  linearised prediction over that window    {window:.6g}   "
        f"({_relative(fit.rate, window)})",
        f"  -2 log(1 - lr lambda_min)/lr (discrete)   {disc:.6g}   ({_relative(fit.rate, disc)})",
        f"  2 lambda_min (gradient flow)              {flow:.6g}   ({_relative(fit.rate, flow)})",
    ]
    if not asymptotic:
        start, end = ex.late_start(), ex.usable_end()
        reason = (
            f"the loss reaches its rounding floor at t = {end:.4g}"
            if end < 0.99 * float(ex.t[-1])
            else f"the run ends at t = {end:.4g}"
        )
        lines.append(
            f"note: the late-time regime (decay within 1 % of 2 lambda_min) starts at "
            f"t = {start:.4g} and {reason}: the window still holds larger eigenvalues, so "
            "compare with the linearised prediction over it, not with the asymptote"
        )
    return lines


# ----------------------------------------------------------------------------- the figures
def figure2(teachers: int = 400, sizes=((100, 200), (200, 100)), seed: int = 0) -> Figure:
    """Linear network spectra: ``h >= d`` (convolution) and ``h < d`` (mixture)."""
    plt = pyplot()
    kern = resolve("z")
    fig, axes = plt.subplots(1, len(sizes), figsize=(5.5 * len(sizes), 4.2))
    summary = []
    for ax, (d, h) in zip(np.atleast_1d(axes), sizes, strict=True):
        c = compare_linear(kern, d, h, teachers, seed=seed)
        plot_linear_spectrum(ax, c)
        summary += [f"d = {d}, h = {h}, {teachers} teachers (seed {seed}):"]
        summary += ["  " + line for line in comparison_lines(c)]
    caption = (
        "Figure 2. Non-zero Hessian eigenvalues of the linear network sigma(z) = z at the "
        "optimum, pooled over random normal teachers (W_ij ~ N(0, 1/d), v_i ~ N(0, 1/h)), "
        "computed from the d x d reduction ||v||^2 I + W^T W. Bars: measurement; black: the "
        "law (1/h) chi^2_h convolved with the scaled Marchenko-Pastur law of W^T W. For h < d "
        "(right) it is a mixture: weight (d-h)/d on the bare scaled chi-square (red dashed) "
        "plus the convolution (green dotted). KS: distance of the pool to the law; floor: "
        "two-sample KS distance between two independent pools of the same size."
    )
    add_caption(fig, caption, width=int(55 * len(sizes) * 0.9))
    return Figure(fig, caption, summary)


def figure3(
    d: int = 10,
    h: int = 20,
    seed: int = 3,
    noise: float = 1e-3,
    batch: int = 16,
    gd_runs: int | None = None,
) -> Figure:
    """Linear network dynamics: exact gradient descent and SGD against the theory."""
    plt = pyplot()
    kern = resolve("z")
    teacher = sample_teacher(d, h, seed=seed)
    runs = teacher.params if gd_runs is None else gd_runs
    gd = experiment(kern, teacher, noise=noise, runs=runs, seed=seed, design="orthogonal")
    sg = experiment(
        kern, teacher, noise=noise, runs=1, seed=seed, batch=batch, lr=gd.lr, steps=gd.steps
    )
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    plot_dynamics(axes[0], gd, f"gradient descent, mean of {runs} runs")
    axes[0].set_title("exact population loss, gradient descent", fontsize=10)
    plot_dynamics(axes[1], sg, f"SGD, batch {batch}, one run", color="tab:green")
    axes[1].set_title("SGD on fresh Gaussian inputs (as in the paper)", fontsize=10)
    caption = (
        f"Figure 3. Learning near the optimum, linear network d = {d}, h = {h} (teacher seed "
        f"{seed}), student = teacher + noise of standard deviation s = {noise:g}, time = steps "
        f"x learning rate (lr = {gd.lr:.3g} = 0.1/lambda_max). Left: gradient descent on the "
        f"exact population loss, averaged over {runs} runs whose initial perturbations are "
        "orthogonal (so the average of the quadratic loss equals the Gaussian expectation); "
        f"right: one SGD run with {batch} fresh Gaussian inputs per step. Black dashed: the "
        "linearised prediction (s^2/2) sum_k lambda_k (1 - eta lambda_k)^(2t/eta), eta = lr, "
        "from the Hessian's non-zero eigenvalues (the discrete-step form of (s^2/2) sum_k "
        "lambda_k exp(-2 lambda_k t)); red dotted: c exp(-2 lambda_min t) with c chosen to "
        "meet the measured curve at the final time, as in the paper."
    )
    add_caption(fig, caption, width=120)
    summary = ["gradient descent:"] + ["  " + s for s in dynamics_lines(gd)]
    summary += ["SGD:"] + ["  " + s for s in dynamics_lines(sg)]
    return Figure(fig, caption, summary)


@dataclass(frozen=True)
class SizeStats:
    """What the log-spectrum figures say about one pool (one size ``d = h``)."""

    pool: EigenvaluePool
    ranks: tuple[int, ...]
    largest: float
    largest_over_next: float
    upper_bulk: tuple[int, ...]
    upper_range: tuple[float, float]
    median: float

    @classmethod
    def of(cls, p: EigenvaluePool) -> SizeStats:
        per = p.per_teacher()
        tops = [clusters(e)[-1] for e in per]
        return cls(
            p,
            tuple(sorted({int(c) for c in p.counts})),
            float(np.mean([e[-1] for e in per])),
            float(np.mean([e[-1] / e[-2] for e in per])),
            tuple(sorted({c.size for c in tops})),
            (min(c.low for c in tops), max(c.high for c in tops)),
            float(np.median(p.eigenvalues)),
        )

    def line(self) -> str:
        p = self.pool
        return (
            f"d = h = {p.d}: {p.teachers} teachers; non-zero eigenvalues per teacher "
            f"{_listing(self.ranks)} of P = {p.params}; median {self.median:.3e}; largest "
            f"{self.largest:.4g} on average, x{self.largest_over_next:.3g} the next one; top "
            f"cluster (after a gap of >= 0.5 decade) holds {_listing(self.upper_bulk)}"
        )


def _listing(values) -> str:
    return ", ".join(str(v) for v in values)


def _log_spectra_figure(spec: str, sizes, teachers, seed: int, mark_largest: bool):
    plt = pyplot()
    kern = resolve(spec)
    pools = [
        pooled_eigenvalues(kern, n, n, t, seed=seed) for n, t in zip(sizes, teachers, strict=True)
    ]
    stats = [SizeStats.of(p) for p in pools]
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    plot_log_spectra(ax, pools)
    if mark_largest:
        for k, st in enumerate(stats):
            ax.plot(
                st.largest,
                0.97 - 0.05 * k,
                "v",
                ms=9,
                color=SIZE_COLORS[k % len(SIZE_COLORS)],
                transform=ax.get_xaxis_transform(),
                clip_on=False,
            )
        ax.plot([], [], "v", ms=9, color="gray", label="mean largest eigenvalue (the outlier)")
        ax.legend(fontsize=8)
    ax.set_title(f"sigma(z) = {kern.activation.short}, d = h", fontsize=10)
    common = (
        f"d = h = {_listing(sizes)}, pooled over {_listing(teachers)} random normal teachers "
        f"(seed {seed}), from the dense Hessian (LAPACK eigvalsh; eigenvalues within "
        "P eps max|lambda| of zero left out). Each line counts eigenvalues per teacher in "
        "log-spaced bins; breaks in a line are bins where no eigenvalue was seen."
    )
    return fig, stats, common, [st.line() for st in stats]


def figure4(
    sizes=(10, 20, 40), teachers=(40, 10, 3), seed: int = 0, activation: str = "z + z**2"
) -> Figure:
    """Quadratic network spectra for growing ``d = h``: bulk near zero and an outlier."""
    fig, stats, common, summary = _log_spectra_figure(activation, sizes, teachers, seed, True)
    ranks = _listing(r for st in stats for r in st.ranks)
    expected = _listing(n + n * (n + 1) // 2 for n in sizes)
    caption = (
        f"Figure 4. Non-zero Hessian eigenvalues of the quadratic network sigma(z) = "
        f"{activation} at the optimum, {common} Measured: the median eigenvalue falls "
        f"({_listing(f'{st.median:.2g}' for st in stats)}) while the largest one (triangles; "
        f"mean {_listing(f'{st.largest:.3g}' for st in stats)}) grows with h and moves away "
        f"from the rest (x{_listing(f'{st.largest_over_next:.2g}' for st in stats)} the next "
        f"eigenvalue). Rank per teacher {ranks}; d + d(d+1)/2 = {expected} (paper eq. 14). "
        "The paper's quadratic coefficient is not legible in our copy: sigma = z + z^2 is our "
        "choice."
    )
    add_caption(fig, caption, width=95)
    return Figure(fig, caption, summary)


def figure5(
    sizes=(10, 20, 40), teachers=(40, 10, 3), seed: int = 0, activation: str = "erf(z)"
) -> Figure:
    """erf network spectra for growing ``d = h``: a bulk moving to zero and an upper bulk."""
    fig, stats, common, summary = _log_spectra_figure(activation, sizes, teachers, seed, False)
    ranks = _listing(r for st in stats for r in st.ranks)
    lo = min(st.upper_range[0] for st in stats)
    hi = max(st.upper_range[1] for st in stats)
    equal = all(st.upper_bulk == (st.pool.d,) for st in stats)
    caption = (
        f"Figure 5. Non-zero Hessian eigenvalues of the network sigma(z) = {activation} at the "
        f"optimum, {common} Measured: the lower bulk moves towards zero as the network grows "
        f"(median {_listing(f'{st.median:.2g}' for st in stats)}) while the upper bulk stays "
        f"in [{lo:.2g}, {hi:.2g}]; it holds "
        f"{_listing('/'.join(map(str, st.upper_bulk)) for st in stats)} eigenvalues"
        f"{' (= d = h in every teacher)' if equal else ''}. Non-zero eigenvalues per teacher "
        f"{ranks}"
        + (
            ": full rank P in float64."
            if all(st.ranks == (st.pool.params,) for st in stats)
            else "."
        )
    )
    add_caption(fig, caption, width=95)
    return Figure(fig, caption, summary)


def plot_closed_form_growth(ax, spec: str, ds, checked) -> float:
    """Closed-form eigenvalues at ``W = I``, ``v = 1`` against ``d = h`` (lines, one per
    family, width by multiplicity), with the dense eigenvalues at ``checked`` sizes (crosses).

    Returns the largest relative deviation of the dense eigenvalues from the closed form.
    """
    families: dict[tuple[str, int], list[tuple[int, float, int]]] = {}
    for d in ds:
        rank_in_label: dict[str, int] = {}
        for e in arjevani_field_spectrum(spec, d):
            if e.value == 0:
                continue
            k = rank_in_label.get(e.label, 0)
            rank_in_label[e.label] = k + 1
            families.setdefault((e.label, k), []).append((d, float(e.value), e.multiplicity))
    colors = {"trivial": "tab:red", "standard": "tab:blue", "[d-2,2]": "tab:green"}
    colors["[d-2,1,1]"] = "tab:purple"
    for (label, k), points in sorted(families.items()):
        x, y, m = (np.array(t) for t in zip(*points, strict=True))
        ax.plot(
            x,
            y,
            color=colors[label],
            lw=0.8 + 1.2 * (m[-1] > 1) + 1.0 * (m[-1] > x[-1]),
            label=f"theory: {label}" if k == 0 else None,
        )
    worst = 0.0
    for n, d in enumerate(checked):
        lam = np.linalg.eigvalsh(hessian(spec, np.eye(d), np.ones(d)))
        ref = np.sort(
            np.concatenate(
                [np.full(e.multiplicity, float(e.value)) for e in arjevani_field_spectrum(spec, d)]
            )
        )
        nonzero = ref != 0
        worst = max(worst, float(np.max(np.abs(lam - ref)[nonzero] / ref[nonzero])))
        shown = np.unique(np.round(lam[nonzero], 12))
        ax.plot(
            np.full(shown.size, d),
            shown,
            "x",
            color="black",
            ms=6,
            label="dense eigenvalues (LAPACK)" if n == 0 else None,
        )
    ax.set_yscale("log")
    ax.set_xlabel("d = h")
    ax.set_ylabel("Hessian eigenvalue $\\lambda$ (non-zero)")
    ax.legend(fontsize=7, title="closed form, by symmetry type", title_fontsize=7)
    return worst


def figure6(
    sizes=(10, 20, 40),
    teachers=(40, 10, 3),
    seed: int = 0,
    closed_form_sizes=tuple(range(3, 41)),
    checked=(10, 20, 40),
) -> Figure:
    """ReLU spectra for growing ``d = h`` next to erf's, and the Arjevani-Field closed form."""
    plt = pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(16, 4.8))
    stats = {}
    for ax, spec in zip(axes[:2], ("erf(z)", "relu(z)"), strict=True):
        kern = resolve(spec)
        pools = [
            pooled_eigenvalues(kern, n, n, t, seed=seed)
            for n, t in zip(sizes, teachers, strict=True)
        ]
        stats[spec] = [SizeStats.of(p) for p in pools]
        plot_log_spectra(ax, pools)
        ax.set_title(f"sigma(z) = {kern.activation.short}, random teachers, d = h", fontsize=10)
    worst = plot_closed_form_growth(axes[2], "relu(z)", closed_form_sizes, checked)
    axes[2].set_title("relu(z) at W = I, v = 1: closed form (lines)", fontsize=10)
    erf, relu = stats["erf(z)"], stats["relu(z)"]
    relu_ranks = _listing(r for st in relu for r in st.ranks)
    expected = _listing(n * n for n in sizes)
    d_max = max(closed_form_sizes)
    at_max = arjevani_field_spectrum("relu(z)", d_max)
    growing = [e for e in at_max if float(e.value) > 1]
    rest = max(float(e.value) for e in at_max if float(e.value) <= 1)
    limits = sorted(
        float(e.value) for e in arjevani_field_spectrum("relu(z)", 10**6) if e.label == "standard"
    )[:2]
    caption = (
        f"Figure 6. Non-zero Hessian eigenvalues at the optimum for growing d = h = "
        f"{_listing(sizes)}, pooled over {_listing(teachers)} random normal teachers (seed "
        f"{seed}; dense Hessian, LAPACK eigvalsh, |lambda| <= P eps max|lambda| left out): "
        f"erf(z) (left) and relu(z) (middle). erf: full rank, a lower bulk moving towards zero "
        f"(median {_listing(f'{st.median:.2g}' for st in erf)}) and an upper bulk of "
        f"{_listing('/'.join(map(str, st.upper_bulk)) for st in erf)} eigenvalues. relu: rank "
        f"{relu_ranks} per teacher, = h d = {expected} (one flat direction per neuron, the "
        f"rescaling symmetry); its bulk moves towards zero too (median "
        f"{_listing(f'{st.median:.2g}' for st in relu)}); its top cluster holds "
        f"{_listing('/'.join(map(str, st.upper_bulk)) for st in relu)} eigenvalues and the "
        f"largest one grows (mean {_listing(f'{st.largest:.3g}' for st in relu)}; "
        f"x{_listing(f'{st.largest_over_next:.2g}' for st in relu)} the next one). Right: relu "
        f"at the Arjevani-Field teacher W = I, v = 1: the closed-form eigenvalues "
        f"(docs/theory.md) for d = h = {min(closed_form_sizes)}..{d_max}, line width by "
        f"multiplicity; crosses: symhess's dense eigenvalues at d = {_listing(checked)}, "
        f"within {worst:.1e} (relative) of the closed form. d + 1 eigenvalues grow linearly "
        f"with d (at d = {d_max}: "
        + ", ".join(f"{float(e.value):.3g} x {e.multiplicity}" for e in growing)
        + f"); the other d^2 - 1 non-zero ones are at most {rest:.3g}: 1/4 + 1/(2 pi) = "
        "0.409 (d(d-3)/2 times), 1/4 - 1/(2 pi) = 0.091 ((d-1)(d-2)/2 times) and two "
        f"standard ones (d - 1 times each) tending to {limits[1]:.3g} and {limits[0]:.3g}."
    )
    add_caption(fig, caption, width=150)
    summary = [f"{spec}: " + st.line() for spec, sts in stats.items() for st in sts]
    summary.append(f"relu at W = I: dense eigenvalues within {worst:.1e} of the closed form")
    return Figure(fig, caption, summary)


FIGURES = {2: figure2, 3: figure3, 4: figure4, 5: figure5, 6: figure6, 7: figure7}

QUICK = {
    2: dict(teachers=20, sizes=((20, 40), (40, 20))),
    3: dict(d=4, h=6, gd_runs=4, batch=8),
    4: dict(sizes=(4, 6), teachers=(4, 2)),
    5: dict(sizes=(4, 6), teachers=(4, 2)),
    6: dict(sizes=(4, 6), teachers=(4, 2), closed_form_sizes=tuple(range(3, 9)), checked=(4, 6)),
    7: dict(activations=("z**2", "z + z**2", "erf(z)", "relu(z)"), ds=(1, 2), hs=(1, 2, 3)),
}
"""Reduced sizes for a quick look (and the tests)."""


def build(number: int, quick: bool = False) -> Figure:
    """Build figure ``number`` (2-7) at the paper-like sizes, or reduced with ``quick``."""
    if number not in FIGURES:
        raise SymhessError(f"there is no figure {number}; choose one of 2, 3, 4, 5, 6, 7")
    return FIGURES[number](**(QUICK[number] if quick else {}))
