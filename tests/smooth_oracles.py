"""Monte Carlo oracles for smooth activations, sharing no code with symhess's kernels.

The activation and its derivatives are given as numpy callables written by hand in the
tests (e.g. ``erf' = 2/sqrt(pi) exp(-z^2)``), never derived by symhess.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

Derivatives = Sequence[Callable[[np.ndarray], np.ndarray]]
"""``[sigma, sigma', sigma'', sigma''']`` as numpy functions."""


def kernels_monte_carlo(derivs: Derivatives, a, b, c, n: int, seed: int, chunk: int = 250_000):
    """``{name: (mean, standard_error)}`` of ``sigma^(p)(u) sigma^(q)(w)`` over ``n`` samples.

    ``(u, w) ~ N(0, [[a, c], [c, b]])``; names as in ``symhess.kernels.KERNEL_NAMES``.
    """
    orders = {"K00": (0, 0), "K11": (1, 1), "K20": (2, 0), "K22": (2, 2)}
    orders |= {"K31": (3, 1), "K13": (1, 3)}
    # u = sqrt(a) x, w = sqrt(b) (rho x + sqrt(1 - rho^2) y): also for rho = +-1 (i = k)
    rho = c / np.sqrt(a * b)
    L = np.array([[np.sqrt(a), 0.0], [np.sqrt(b) * rho, np.sqrt(b * max(1 - rho**2, 0.0))]])
    rng = np.random.default_rng(seed)
    s1 = dict.fromkeys(orders, 0.0)
    s2 = dict.fromkeys(orders, 0.0)
    done = 0
    while done < n:
        m = min(chunk, n - done)
        u, w = L @ rng.standard_normal((2, m))
        for name, (p, q) in orders.items():
            x = derivs[p](u) * derivs[q](w)
            s1[name] += x.sum()
            s2[name] += (x * x).sum()
        done += m
    out = {}
    for name in orders:
        mean = s1[name] / n
        var = max(s2[name] / n - mean**2, 0.0)
        out[name] = (mean, np.sqrt(var / (n - 1)))
    return out


def hessian_monte_carlo(derivs: Derivatives, W, v, n: int, seed: int, chunk: int = 100_000):
    """``(mean, standard_error)`` of ``g g^T``, ``g = grad_theta f(x)``, over ``n`` inputs.

    ``g = (v_i sigma'(w_i . x) x_j for i, j row-major, sigma(w_i . x) for i)``, math.md
    section 1; shapes (P, P).
    """
    rng = np.random.default_rng(seed)
    h, d = W.shape
    s1 = s2 = 0.0
    done = 0
    while done < n:
        m = min(chunk, n - done)
        x = rng.standard_normal((m, d))
        z = np.einsum("nj,ij->ni", x, W, optimize=False)
        gW = (v[None, :, None] * derivs[1](z)[:, :, None]) * x[:, None, :]
        g = np.concatenate([gW.reshape(m, h * d), derivs[0](z)], axis=1)
        # einsum without BLAS: threaded BLAS stalls for seconds when the cores are shared
        s1 = s1 + np.einsum("ni,nj->ij", g, g, optimize=False)
        g2 = g * g
        s2 = s2 + np.einsum("ni,nj->ij", g2, g2, optimize=False)
        done += m
    mean = s1 / n
    var = np.maximum(s2 / n - mean**2, 0.0)
    return mean, np.sqrt(var / (n - 1))
