"""``symhess rmt``: Pennington-Bahri random-matrix geometry of the loss at critical points.

``density``: the free convolution of Marchenko-Pastur and the semicircle, optionally against
sampled matrices; ``index``: the fraction of negative eigenvalues against the energy, with
the critical energy and the 3/2 law; ``critical-points``: critical points of a small tanh
network, their energy and index against the theory.
"""

from __future__ import annotations

import math

from .options import Parser, check_plot, number, numbers, positive, seed


def register(sub):
    p = sub.add_parser(
        "rmt",
        help="random-matrix loss geometry at critical points (Pennington & Bahri 2017)",
        description=__doc__.split("\n\n")[1].replace("``", ""),
    )
    rsub = p.add_subparsers(dest="rmt_command", metavar="WHAT", parser_class=Parser)
    p.set_defaults(func=lambda args: _missing(p))

    d = rsub.add_parser("density", help="spectral density of H0 + H1 (and sampled matrices)")
    d.add_argument("--phi", type=number("--phi", 0.0), default=0.5, help="parameters / data (0.5)")
    d.add_argument("--eps", type=number("--eps", 0.0), default=0.1, help="energy (default 0.1)")
    d.add_argument(
        "--sample",
        type=positive("--sample"),
        metavar="N",
        help="also sample N x N matrices H0 + H1 and compare (N >= 2000 recommended)",
    )
    d.add_argument("--repeats", type=positive("--repeats"), default=2, help="matrices (2)")
    d.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
    d.add_argument("--plot", metavar="OUT.png", help="write the density plot")
    d.add_argument("--force", action="store_true", help="overwrite an existing plot file")
    d.set_defaults(func=run_density)

    i = rsub.add_parser("index", help="index alpha(eps, phi), critical energy, 3/2 law")
    i.add_argument(
        "--phi",
        type=numbers("--phi"),
        default=[0.25, 0.5, 0.75, 2.0],
        help="comma-separated ratios (default 0.25,0.5,0.75,2)",
    )
    i.add_argument("--eps", type=numbers("--eps"), help="also print alpha at these energies")
    i.add_argument("--eps-max", type=number("--eps-max", 0.0), default=0.5, help="plot range (0.5)")
    i.add_argument("--plot", metavar="OUT.png", help="write the index plot")
    i.add_argument("--force", action="store_true", help="overwrite an existing plot file")
    i.set_defaults(func=run_index)

    c = rsub.add_parser(
        "critical-points", help="critical points of a small tanh network against the theory"
    )
    c.add_argument(
        "--phi",
        type=numbers("--phi"),
        default=[0.25, 0.5, 0.75],
        help="comma-separated ratios parameters / residuals (default 0.25,0.5,0.75)",
    )
    c.add_argument("--d", type=positive("--d"), default=3, help="input dimension (3)")
    c.add_argument("--o", type=positive("--o"), default=3, help="output dimension (3)")
    c.add_argument("--hidden", type=positive("--hidden"), default=6, help="hidden units (6)")
    c.add_argument("--starts", type=positive("--starts"), default=100, help="per phi (100)")
    c.add_argument(
        "--max-steps",
        type=positive("--max-steps"),
        default=20000,
        help="gradient-descent steps before a search, log-uniform up to this (20000)",
    )
    c.add_argument(
        "--tol",
        type=number("--tol", 0.0),
        default=1e-10,
        help="a point is critical if |grad L| <= TOL (default 1e-10)",
    )
    c.add_argument("--seed", type=seed, default=0, help="random seed (default 0)")
    c.add_argument("--list", action="store_true", help="print every critical point")
    c.add_argument("--plot", metavar="OUT.png", help="write index-vs-energy and minimizer plots")
    c.add_argument("--force", action="store_true", help="overwrite an existing plot file")
    c.set_defaults(func=run_critical)


def _missing(parser):
    from ..errors import SymhessError

    raise SymhessError("say what: symhess rmt density|index|critical-points (see --help)")


MODEL = (
    "H = H0 + H1: Marchenko-Pastur (ratio phi, mean eigenvalue 1) freely convolved with the "
    "semicircle of variance 2 eps"
)


# ----------------------------------------------------------------------------- density
def run_density(args):
    import numpy as np

    from ..rmt import theory as rd

    if args.plot:
        check_plot(args.plot, args.force)
    phi, eps = args.phi, args.eps
    pieces = rd.support(phi=phi, eps=eps)
    total = float(rd.cdf(pieces[-1][1] + 1.0, phi=phi, eps=eps))
    alpha = rd.index(eps, phi=phi)
    print(f"model      {MODEL}")
    print(f"           phi = {phi:g}, eps = {eps:g}")
    print("support    " + " U ".join(f"[{lo:.6g}, {hi:.6g}]" for lo, hi in pieces))
    print(f"mass       {total:.12f}")
    print(f"index      alpha = {alpha:.6g}  (fraction of negative eigenvalues)")
    print(_critical_line(phi))
    eig = None
    if args.sample:
        from ..rmt import sampling as rs

        if args.repeats < 2:
            from ..errors import SymhessError

            raise SymhessError("--sample needs --repeats of at least 2 for the error bar")
        eig = rs.sample_eigenvalues(
            args.sample, phi=phi, eps=eps, repeats=args.repeats, seed=args.seed
        )
        check = rs.index_check(eig, phi=phi, eps=eps)
        verdict = "agrees" if check.agrees else "DISAGREES"
        print(
            f"sampled    {args.repeats} matrices {check.n} x {check.n}, realized ratio "
            f"phi = {check.phi:.6g}, seed {args.seed}"
        )
        print(
            f"           index {check.sampled:.6g} +- {check.standard_error:.2g} (SE over "
            f"matrices); theory {check.theory:.6g}; allowed 4 SE + 1/n = "
            f"{check.allowance:.2g}: {verdict}"
        )
        print(
            f"           KS distance {check.ks:.3g} = {check.ks * check.n:.2f}/n "
            "(rigid eigenvalues: a few /n is expected; iid bound 1.63/sqrt(N) would be "
            f"{1.63 / math.sqrt(eig.size):.3g})"
        )
    if args.plot:
        _plot_density(args.plot, args.force, phi, eps, pieces, alpha, eig, np)
        print(f"wrote {args.plot}")
    return 0


def _critical_line(phi):
    from ..rmt import theory as rd

    if phi < 1:
        return (
            f"eps_c      {rd.eps_c(phi):.6g}  (index 0 below; above, alpha ~ "
            f"{rd.alpha_0(phi):.4g} ((eps - eps_c)/eps_c)^(3/2))"
        )
    return (
        f"eps_c      0  (phi >= 1: index > 0 for every eps > 0, -> (1 - 1/phi)/2 = "
        f"{(1 - 1 / phi) / 2:.4g} as eps -> 0)"
    )


def _plot_density(path, force, phi, eps, pieces, alpha, eig, np):
    from ..report.plot import pyplot, save_figure
    from ..rmt import theory as rd

    plt = pyplot()
    lo, hi = pieces[0][0], pieces[-1][1]
    pad = 0.05 * (hi - lo)
    x = np.linspace(lo - pad, hi + pad, 1500)
    rho = rd.density(x, phi=phi, eps=eps)
    fig, ax = plt.subplots(figsize=(7, 4))
    if eig is not None:
        ax.hist(
            eig.ravel(),
            bins=120,
            density=True,
            color="0.75",
            label=f"sampled: {eig.shape[0]} matrices, n = {eig.shape[1]}",
        )
    ax.plot(x, rho, color="C0", lw=2, label="theory (free convolution)")
    neg = x <= 0
    ax.fill_between(x[neg], rho[neg], color="C3", alpha=0.4, label=f"theory index {alpha:.4g}")
    ax.axvline(0, color="k", lw=0.8)
    ax.set_xlabel("eigenvalue lambda")
    ax.set_ylabel("density rho(lambda)")
    ax.set_title(f"Marchenko-Pastur (phi = {phi:g}) + semicircle (variance 2 eps, eps = {eps:g})")
    ax.legend()
    save_figure(fig, path, force=force)


# ----------------------------------------------------------------------------- index
def run_index(args):
    import numpy as np

    from ..base.progress import progress
    from ..rmt import theory as rd

    if args.plot:
        check_plot(args.plot, args.force)
    print(f"model      {MODEL}")
    for phi in args.phi:
        print(f"\nphi = {phi:g}")
        print("  " + _critical_line(phi))
        if phi < 1:
            ec = rd.eps_c(phi)
            print("  (eps - eps_c)/eps_c     eps        alpha       3/2 law     law/alpha")
            for delta in (0.001, 0.01, 0.1, 0.5):
                e = ec * (1 + delta)
                a, law = rd.index(e, phi=phi), rd.three_halves_law(e, phi=phi)
                print(f"  {delta:<20g} {e:10.5g} {a:11.5g} {law:11.5g} {law / a:11.5f}")
        for e in args.eps or []:
            print(f"  alpha(eps = {e:g}) = {rd.index(e, phi=phi):.6g}")
    if args.plot:
        curves = {}
        for phi in progress(args.phi, desc="index curves", unit="phi"):
            eps = np.linspace(args.eps_max / 400, args.eps_max, 120)
            curves[phi] = (eps, rd.index(eps, phi=phi))
        _plot_index(args.plot, args.force, curves, np)
        print(f"\nwrote {args.plot}")
    return 0


def _plot_index(path, force, curves, np):
    from ..report.plot import pyplot, save_figure
    from ..rmt import theory as rd

    plt = pyplot()
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    top = max(float(alpha.max()) for _, alpha in curves.values())
    for k, (phi, (eps, alpha)) in enumerate(curves.items()):
        color = f"C{k}"
        ax1.plot(eps, alpha, color=color, lw=2, label=f"alpha(eps), phi = {phi:g}")
        if phi < 1:
            ec = rd.eps_c(phi)
            near = np.linspace(ec, 2 * ec, 50)
            ax1.plot(near, rd.three_halves_law(near, phi=phi), color="k", ls="--", lw=1)
            ax1.plot([ec], [0], "o", color=color, ms=5)
            delta = np.geomspace(1e-3, 1.0, 40)
            computed = rd.index(ec * (1 + delta), phi=phi)
            ax2.loglog(delta, computed, "o", color=color, ms=3, label=f"computed, phi = {phi:g}")
            ax2.loglog(delta, rd.alpha_0(phi) * delta**1.5, color=color, lw=1)
        else:
            ax1.axhline((1 - 1 / phi) / 2, color=color, ls=":", lw=1)
    ax1.plot([], [], "ko", ms=4, label="eps_c(phi)")
    ax1.plot([], [], "k--", lw=1, label="3/2 law up to 2 eps_c")
    ax1.plot([], [], "k:", lw=1, label="(1 - 1/phi)/2, phi > 1")
    ax1.set_ylim(-0.01, 1.1 * top)
    ax1.set_xlabel("energy eps")
    ax1.set_ylabel("index alpha (fraction of negative eigenvalues)")
    ax1.set_title("index of H0 + H1 against energy", fontsize=10)
    ax1.legend(fontsize=7)
    ax2.plot([], [], "k-", lw=1, label="alpha_0(phi) x^(3/2), alpha_0 derived")
    ax2.set_xlabel("x = (eps - eps_c) / eps_c")
    ax2.set_ylabel("index alpha")
    ax2.set_title("the 3/2 law near eps_c", fontsize=10)
    ax2.legend(fontsize=7)
    save_figure(fig, path, force=force)


# ----------------------------------------------------------------------------- critical points
def run_critical(args):
    import numpy as np

    from ..rmt import critical as rc
    from ..rmt import theory as rd

    if args.plot:
        check_plot(args.plot, args.force)
    print(
        "network    yhat = W2 tanh(W1 x), no biases; random task x ~ N(0, I_d), y ~ N(0, I_o); "
        "energy eps = |yhat - y|^2 / (2 m), m = samples * o"
    )
    print(
        f"search     gradient descent (log-uniform 1..{args.max_steps} steps) from "
        "W1 ~ N(0, 1/d), W2 ~ N(0, 1/h), then Levenberg-Marquardt on grad L = 0 (float64); "
        f"critical only if |grad L| <= {args.tol:g}"
    )
    experiments = []
    for k, phi in enumerate(args.phi):
        task = rc.random_task(d=args.d, o=args.o, hidden=args.hidden, phi=phi, seed=args.seed + k)
        ex = rc.run_experiment(
            task,
            starts=args.starts,
            seed=args.seed + 1000 + k,
            max_steps=args.max_steps,
            tol=args.tol,
        )
        experiments.append(ex)
        _print_experiment(ex, args.list, rd, np)
    total = sum(len(ex.critical) for ex in experiments)
    print(
        f"\ntotal      {total} critical points from {sum(len(ex.points) for ex in experiments)} "
        "searches"
    )
    if total == 0:
        print("           the search found no critical point: nothing is reported as one")
    if args.plot:
        _plot_critical(args.plot, args.force, experiments, np)
        print(f"wrote {args.plot}")
    return 0


def _print_experiment(ex, show_all, rd, np):
    t = ex.task
    crit = ex.critical
    print(
        f"\nphi = {t.phi:.4g}  (n = {t.n_params} parameters, m = {t.m} residuals: "
        f"{t.X.shape[0]} samples, d = {t.d}, o = {t.o}, h = {t.hidden})"
    )
    if crit:
        worst = max(p.grad_norm for p in crit)
        print(
            f"  critical   {len(crit)} of {len(ex.points)} searches; largest |grad L| {worst:.1e}"
        )
    else:
        print(f"  critical   none of {len(ex.points)} searches reached |grad L| <= {ex.tol:g}")
    if ex.failed:
        g = np.array([p.grad_norm for p in ex.points if not p.critical])
        print(
            f"  failed     {ex.failed} (ended at |grad L| from {g.min():.1e} to {g.max():.1e}, "
            f"median {np.median(g):.1e}: not critical points, not shown)"
        )
    energies = np.array([p.energy for p in crit])
    if crit:
        theory = [rd.index(p.energy, phi=t.phi) for p in crit]
        index = np.array([p.index for p in crit])
        print(
            f"  energy     {energies.min():.4f} .. {energies.max():.4f}; index "
            f"{index.min():.3f} .. {index.max():.3f}; theory alpha(eps, phi) at those energies "
            f"{min(theory):.3f} .. {max(theory):.3f}"
        )
    if show_all and crit:
        print("    energy     index  near-zero   |grad L|   alpha(eps, phi)")
        for p in sorted(crit, key=lambda q: q.energy):
            a = rd.index(p.energy, phi=t.phi)
            print(
                f"    {p.energy:.6f}  {p.index:6.3f}  {p.near_zero:9d}  {p.grad_norm:9.1e}  {a:.4f}"
            )
    mins = ex.minimizers
    if t.phi < 1:
        theory = (
            f"(1 - phi)^2 / 2 = {(1 - t.phi) ** 2 / 2:.4f}; theory eps_c(phi) = "
            f"{rd.eps_c(t.phi):.4f}"
        )
    else:
        theory = (
            "phi >= 1: at least as many parameters as residuals, so minimizers can reach "
            "energy 0 (the (1 - phi)^2 / 2 law and eps_c hold for phi < 1 only)"
        )
    if mins:
        low = min(p.energy for p in mins)
        print(f"  minimizers {len(mins)} of index 0, lowest energy {low:.4f}; {theory}")
    else:
        print(f"  minimizers none found; {theory}")


def _plot_critical(path, force, experiments, np):
    from ..report.plot import pyplot, save_figure
    from ..rmt import theory as rd

    plt = pyplot()
    fig, (ax1, ax2, ax3) = plt.subplots(1, 3, figsize=(15, 4.4))
    top = max([p.energy for ex in experiments for p in ex.critical] + [0.5])
    for k, ex in enumerate(experiments):
        phi, color = ex.task.phi, f"C{k}"
        eps = np.linspace(top / 300, top * 1.05, 100)
        ax1.plot(eps, rd.index(eps, phi=phi), color=color, lw=1.5, label=f"theory phi = {phi:.3g}")
        crit = ex.critical
        if crit:
            ax1.plot(
                [p.energy for p in crit],
                [p.index for p in crit],
                "o",
                color=color,
                mfc="none",
                label=f"critical points ({len(crit)})",
            )
    ax1.set_xlabel("energy eps (training loss)")
    ax1.set_ylabel("index (fraction of negative eigenvalues)")
    ax1.set_title("index vs energy: measured (o), theory alpha(eps, phi) (lines)", fontsize=10)
    ax1.legend(fontsize=7)

    grid = np.linspace(0.01, 0.99, 100)
    ax2.plot(grid, (1 - grid) ** 2 / 2, "k-", label="(1 - phi)^2 / 2")
    ax2.plot(grid, [rd.eps_c(g) for g in grid], "k--", lw=1, label="theory eps_c(phi)")
    for k, ex in enumerate(experiments):
        saddles = [p.energy for p in ex.critical if p.index > 0]
        ax2.plot([ex.task.phi] * len(saddles), saddles, ".", color="0.6", ms=4)
        mins = [p.energy for p in ex.minimizers]
        ax2.plot([ex.task.phi] * len(mins), mins, "s", color=f"C{k}", mfc="none", ms=7)
    ax2.plot([], [], "s", color="0.3", mfc="none", label="index-0 critical points")
    ax2.plot([], [], ".", color="0.6", label="saddles (index > 0)")
    ax2.set_xlabel("phi = parameters / residuals")
    ax2.set_ylabel("energy")
    ax2.set_title("energy of minimizers", fontsize=10)
    ax2.legend(fontsize=7)

    norms = np.array([p.grad_norm for ex in experiments for p in ex.points])
    tol = experiments[0].tol
    logs = np.log10(np.maximum(norms, 1e-300))
    logs = np.maximum(logs, -18)
    ax3.hist(logs, bins=40, color="0.6")
    ax3.axvline(np.log10(tol), color="C3", label=f"threshold {tol:g}")
    ax3.set_xlabel("log10 |grad L| at the end of each search (clipped at -18)")
    ax3.set_ylabel("searches")
    ax3.set_title("critical (left of threshold) vs failed searches", fontsize=10)
    ax3.legend(fontsize=7)
    save_figure(fig, path, force=force)
