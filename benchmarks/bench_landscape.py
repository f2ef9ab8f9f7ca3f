"""Loss + gradient + Hessian away from the optimum at d = h_s = h_t = 50 (P = 2550): symhess's
exact Landscape against autodiff (torch) of a Monte Carlo loss with 1e5 samples.

The student is the teacher plus noise (a generic point: the residual part of the Hessian is
not zero). torch differentiates the sample mean of (f - f_t)^2 / 2 in float64: the gradient by
one backward pass, Hessian columns by Hessian-vector products (double backward). A full
Hessian needs P = 2550 of them - about an hour on two cores - so by default ``--columns``
(64) random columns are computed, their time is scaled to P and their error is measured
against the exact columns; ``--columns 2550`` does them all.

Without torch (it is not a dependency of symhess: ``pip install torch`` for this script only),
the script compares with a hand-written Monte Carlo gradient instead and skips the Hessian.

For relu the Monte Carlo loss's autodiff Hessian misses the Dirac part of the exact one
(``sigma'' = delta``: zero at every sample), so only the loss and gradient are compared.

Run: python benchmarks/bench_landscape.py [--columns N] [--samples N]
[--activation erf|tanh|relu]
Timings are wall times on this machine in one run; errors are relative to the exact values
(Frobenius / 2-norm over what was compared) and the Monte Carlo standard error is printed next
to them.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import scipy.special
from _timing import machine

import symhess


def exact(ls, W, v, op_products: int = 10):
    """symhess: loss, gradient, dense Hessian and the operator (build + products), timed."""
    out = {}
    start = time.perf_counter()
    out["loss"] = ls.loss(W, v)
    out["grad"] = ls.gradient(W, v)
    out["t_loss_grad"] = time.perf_counter() - start
    start = time.perf_counter()
    out["H"] = ls.hessian(W, v)
    out["t_hessian"] = time.perf_counter() - start
    start = time.perf_counter()
    op = ls.operator(W, v)
    X = np.random.default_rng(0).standard_normal((op.shape[0], op_products))
    Y = op @ X
    out["t_operator"] = time.perf_counter() - start
    out["op_error"] = float(np.linalg.norm(Y - out["H"] @ X) / np.linalg.norm(out["H"] @ X))
    return out


def torch_route(activation, W, v, Wt, vt, samples, columns, seed):
    import torch

    torch.set_default_dtype(torch.float64)
    sigma = {"erf": torch.erf, "tanh": torch.tanh, "relu": torch.relu}[activation]
    if activation == "relu":
        columns = 0  # autodiff of the sample mean has no Dirac part: nothing to compare
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(samples, W.shape[1], generator=gen)
    Wt_, vt_ = torch.tensor(Wt), torch.tensor(vt)
    target = sigma(x @ Wt_.T) @ vt_
    h, d = W.shape

    def loss(theta):
        Ws, vs = theta[: h * d].reshape(h, d), theta[h * d :]
        r = sigma(x @ Ws.T) @ vs - target
        return 0.5 * torch.mean(r * r)

    theta = torch.tensor(np.concatenate([W.ravel(), v]), requires_grad=True)
    out = {}
    start = time.perf_counter()
    L = loss(theta)
    (g,) = torch.autograd.grad(L, theta, create_graph=True)
    out["t_loss_grad"] = time.perf_counter() - start
    out["loss"], out["grad"] = float(L.detach()), g.detach().numpy().copy()
    # per-sample loss for its standard error
    with torch.no_grad():
        r = sigma(x @ theta[: h * d].reshape(h, d).T) @ theta[h * d :] - target
        out["loss_se"] = float((0.5 * r * r).std() / np.sqrt(samples))
    P = theta.numel()
    if columns == 0:
        return out
    cols = np.sort(np.random.default_rng(seed).choice(P, size=min(columns, P), replace=False))
    H = np.empty((P, cols.size))
    start = time.perf_counter()
    for k, j in enumerate(cols):
        e = torch.zeros(P)
        e[j] = 1.0
        (hv,) = torch.autograd.grad(g, theta, grad_outputs=e, retain_graph=True)
        H[:, k] = hv.numpy()
    out["t_columns"] = time.perf_counter() - start
    out["t_hessian"] = out["t_columns"] * P / cols.size
    out["cols"], out["H_cols"] = cols, H
    return out


def hand_gradient(activation, W, v, Wt, vt, samples, seed):
    """Monte Carlo gradient written out: dL/dv = mean(r sigma(z)), dL/dW = mean(r v sigma'(z) x)."""
    funcs = {
        "erf": (scipy.special.erf, lambda z: 2 / np.sqrt(np.pi) * np.exp(-z * z)),
        "tanh": (np.tanh, lambda z: 1 - np.tanh(z) ** 2),
        "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
    }
    s, ds = funcs[activation]
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, W.shape[1]))
    start = time.perf_counter()
    z = x @ W.T
    r = s(z) @ v - s(x @ Wt.T) @ vt
    loss = 0.5 * np.mean(r * r)
    gv = s(z).T @ r / samples
    gW = ((ds(z) * r[:, None]) * v[None, :]).T @ x / samples
    seconds = time.perf_counter() - start
    return {"loss": loss, "grad": np.concatenate([gW.ravel(), gv]), "t_loss_grad": seconds}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--d", type=int, default=50)
    parser.add_argument("--h", type=int, default=50, help="teacher and student width")
    parser.add_argument("--samples", type=int, default=100_000)
    parser.add_argument("--columns", type=int, default=64)
    parser.add_argument("--activation", choices=("erf", "tanh", "relu"), default="erf")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    t = symhess.sample_teacher(args.d, args.h, seed=args.seed)
    rng = np.random.default_rng(args.seed + 1)
    W = t.W + 0.3 * rng.standard_normal(t.W.shape) / np.sqrt(args.d)
    v = t.v + 0.3 * rng.standard_normal(t.v.shape) / np.sqrt(args.h)
    ls = symhess.Landscape(f"{args.activation}(z)", t.W, t.v)
    P = W.size + v.size
    print(machine())
    print(
        f"{args.activation}, d = {args.d}, h_s = h_t = {args.h}, P = {P}; student = teacher + "
        f"noise; Monte Carlo with {args.samples:g} samples"
    )
    ex = exact(ls, W, v)
    R = ls.hessian(W, v, part="residual")
    print(
        f"symhess     loss + gradient {ex['t_loss_grad']:.3f} s, dense Hessian "
        f"{ex['t_hessian']:.2f} s, operator build + 10 products {ex['t_operator']:.3f} s "
        f"(operator vs dense {ex['op_error']:.1e}); |R|_F / |H|_F = "
        f"{np.linalg.norm(R) / np.linalg.norm(ex['H']):.2f}"
    )
    for note in ls.notes():
        print(f"            {note.strip()}")
    try:
        import torch  # noqa: F401
    except ImportError:
        print("torch is not installed: hand-written Monte Carlo gradient instead (no Hessian)")
        mc = hand_gradient(args.activation, W, v, t.W, t.v, args.samples, args.seed)
        label = "hand MC"
    else:
        mc = torch_route(args.activation, W, v, t.W, t.v, args.samples, args.columns, args.seed)
        label = "torch"
    g_err = np.linalg.norm(mc["grad"] - ex["grad"]) / np.linalg.norm(ex["grad"])
    l_err = abs(mc["loss"] - ex["loss"]) / ex["loss"]
    line = (
        f"{label:<11} loss + gradient {mc['t_loss_grad']:.3f} s "
        f"(x{mc['t_loss_grad'] / ex['t_loss_grad']:.1f} symhess); loss error {l_err:.1e}"
    )
    if "loss_se" in mc:
        line += f" ({abs(mc['loss'] - ex['loss']) / mc['loss_se']:.1f} standard errors)"
    print(line + f", gradient error {g_err:.1e}")
    if "H_cols" in mc:
        exact_cols = ex["H"][:, mc["cols"]]
        h_err = np.linalg.norm(mc["H_cols"] - exact_cols) / np.linalg.norm(exact_cols)
        print(
            f"{label:<11} {mc['cols'].size} Hessian columns (Hessian-vector products) "
            f"{mc['t_columns']:.1f} s -> full Hessian ~{mc['t_hessian']:.0f} s "
            f"(x{mc['t_hessian'] / ex['t_hessian']:.0f} symhess's exact dense Hessian); "
            f"Hessian error {h_err:.1e} (relative Frobenius over those columns)"
        )
    print("Timings are from one run on a shared machine: re-measure on a quiet one.")


if __name__ == "__main__":
    main()
