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


def hessian_monte_carlo(derivs, W, v, n: int, seed: int, chunk: int = 100_000):
    """``(mean, standard_error)`` of ``g g^T``, ``g = grad_theta f(x)``, over ``n`` inputs.

    ``g = (v_i sigma'(w_i . x) x_j for i, j row-major, sigma(w_i . x) for i)``, docs/theory.md
    section 1; shapes (P, P). ``derivs`` is ``[sigma, sigma', ...]`` as callables, or one
    callable returning that list (evaluated once per chunk).
    """
    from threadpoolctl import threadpool_limits

    rng = np.random.default_rng(seed)
    h, d = W.shape
    s1 = s2 = 0.0
    done = 0
    # one BLAS thread: threaded BLAS stalls for seconds when the cores are shared
    with threadpool_limits(1, user_api="blas"):
        while done < n:
            m = min(chunk, n - done)
            x = rng.standard_normal((m, d))
            z = x @ W.T
            if callable(derivs):
                f0, f1 = derivs(z)[:2]
            else:
                f0, f1 = derivs[0](z), derivs[1](z)
            gW = (v[None, :, None] * f1[:, :, None]) * x[:, None, :]
            g = np.concatenate([gW.reshape(m, h * d), f0], axis=1)
            s1 = s1 + g.T @ g
            g2 = g * g
            s2 = s2 + g2.T @ g2
            done += m
    mean = s1 / n
    var = np.maximum(s2 / n - mean**2, 0.0)
    return mean, np.sqrt(var / (n - 1))


# ----------------------------------------------------------------------------- by hand
def tanh_family(alpha: float):
    """``tanh(alpha z)`` and three derivatives, written out: with ``t = tanh(alpha z)``,
    ``t' = alpha (1 - t^2)``, ``t'' = -2 alpha^2 t (1 - t^2)``,
    ``t''' = alpha^3 (1 - t^2)(6 t^2 - 2)``."""

    def d(z):
        t = np.tanh(alpha * z)
        s = 1 - t * t
        return [t, alpha * s, -2 * alpha**2 * t * s, alpha**3 * s * (6 * t * t - 2)]

    return d


def sigmoid_all(z):
    """``sigmoid(z) = (1 + tanh(z/2)) / 2`` and three derivatives."""
    t = np.tanh(z / 2)
    s = 1 - t * t
    return [(1 + t) / 2, s / 4, -t * s / 4, s * (6 * t * t - 2) / 16]


def gelu_all(z):
    """``gelu = z Phi(z)``: ``Phi + z phi``, ``(2 - z^2) phi``, ``(z^3 - 4 z) phi``."""
    from scipy.special import ndtr

    phi = np.exp(-z * z / 2) / np.sqrt(2 * np.pi)
    return [z * ndtr(z), ndtr(z) + z * phi, (2 - z * z) * phi, (z**3 - 4 * z) * phi]


def erf_family(alpha: float):
    """``erf(alpha z)``: ``erf' = 2/sqrt(pi) exp(-z^2)`` and the chain rule."""
    from scipy.special import erf

    def d(z):
        g = 2 / np.sqrt(np.pi) * np.exp(-((alpha * z) ** 2))
        return [
            erf(alpha * z),
            alpha * g,
            -2 * alpha**3 * z * g,
            alpha**3 * g * (4 * alpha**2 * z * z - 2),
        ]

    return d


ALL_DERIVATIVES = {
    "tanh(z)": tanh_family(1.0),
    "tanh(5*z)": tanh_family(5.0),
    "sigmoid(z)": sigmoid_all,
    "gelu(z)": gelu_all,
    "erf(z)": erf_family(1.0),
    "erf(5*z)": erf_family(5.0),
}
"""``z -> [sigma, sigma', sigma'', sigma''']`` for each activation, by hand."""

PAIRS = {"K00": (0, 0), "K11": (1, 1), "K20": (2, 0), "K22": (2, 2), "K31": (3, 1), "K13": (1, 3)}


def brute_table(derivs, a, b, c, step, L=10.0, chunk=500) -> np.ndarray:
    """``T[p, q] = E[sigma^(p)(u) sigma^(q)(w)]`` for ``p, q = 0..3`` at one ``(a, b, c)``, by a
    brute-force tensor trapezoid rule of the given step on ``[-L, L]^2`` in ``(x, y)``,
    ``u = sqrt(a) x``, ``w = sqrt(b)(rho x + s y)``.

    Shares no code with symhess: no adaptivity, no Mehler series, no lattice, a fixed step.
    Rounding: numpy's pairwise sums keep it near 1e-16 of the scale.
    """
    rho = float(np.clip(c / np.sqrt(a * b), -1, 1)) if a * b > 0 else 0.0
    s = np.sqrt(max(1 - rho * rho, 0.0))
    n = int(round(L / step))
    x = step * np.arange(-n, n + 1)
    w = step * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)
    fu = np.array(derivs(np.sqrt(a) * x))
    inner = np.zeros((4, x.size))
    for start in range(0, x.size, chunk):
        xs = x[start : start + chunk]
        fw = derivs(np.sqrt(b) * (rho * xs[:, None] + s * x[None, :]))
        for q in range(4):
            inner[q, start : start + chunk] = fw[q] @ w
    return (fu * w) @ inner.T


def brute_kernels(derivs, a, b, c, step, L=10.0) -> dict:
    """The six kernels at one ``(a, b, c)`` from :func:`brute_table`."""
    T = brute_table(derivs, a, b, c, step, L)
    return {name: float(T[p, q]) for name, (p, q) in PAIRS.items()}


def brute_diagonal(derivs, a, step, L=12.0) -> np.ndarray:
    """``T[p, q] = E[sigma^(p)(u) sigma^(q)(u)]`` at ``a = b = c``: a 1-D trapezoid rule."""
    n = int(round(L / step))
    x = step * np.arange(-n, n + 1)
    w = step * np.exp(-x * x / 2) / np.sqrt(2 * np.pi)
    f = np.array(derivs(np.sqrt(a) * x))
    return (f * w) @ f.T


def brute_kernel_matrices(derivs, W, step_for) -> dict:
    """Kernel matrices of the rows of ``W`` from :func:`brute_table` (the diagonal from
    :func:`brute_diagonal`); ``step_for(a, b)`` gives the step for a pair of variances."""
    h = W.shape[0]
    C = W @ W.T
    out = {name: np.zeros((h, h)) for name in PAIRS}
    for i in range(h):
        for k in range(i, h):
            a, b = C[i, i], C[k, k]
            if i == k:
                T = brute_diagonal(derivs, a, step_for(a, a))
            else:
                T = brute_table(derivs, a, b, C[i, k], step_for(a, b))
            for name, (p, q) in PAIRS.items():
                out[name][i, k] = T[p, q]
                out[name][k, i] = T[q, p]  # E[s^(p)(u_k) s^(q)(u_i)]
    return out


# ----------------------------------------------------------------------------- closed forms
def closed_kernels(source: str, a, b, c, dps: int = 40) -> dict:
    """Closed-form kernels evaluated in mpmath at the exact float inputs, written by hand:
    ``E[sin u sin w] = e^{-(a+b)/2} sinh c``, ``E[cos u cos w] = e^{-(a+b)/2} cosh c``,
    ``E[e^u e^w] = e^{(a+b)/2 + c}``, and for ``erf(alpha z)``
    ``K00 = (2/pi) asin(2 t c / sqrt((1+2ta)(1+2tb)))``, ``t = alpha^2``, with the other five
    by Price's theorem differentiated by mpmath.diff (at 40 digits far below 1e-13)."""
    import mpmath

    a, b, c = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in (a, b, c)))
    out = {name: np.empty(a.shape) for name in PAIRS}
    with mpmath.workdps(dps):
        for idx in np.ndindex(a.shape):
            vals = _CLOSED[source](*(mpmath.mpf(float(x[idx])) for x in (a, b, c)))
            for name, v in zip(PAIRS, vals, strict=True):
                out[name][idx] = float(v)
    return out


def _erf_closed(alpha):
    import mpmath

    t = mpmath.mpf(alpha) ** 2

    def k11(a, b, c):
        D = (1 + 2 * t * a) * (1 + 2 * t * b) - 4 * t * t * c * c
        return 4 * t / (mpmath.pi * mpmath.sqrt(D))

    def all6(a, b, c):
        k00 = (
            2 / mpmath.pi * mpmath.asin(2 * t * c / mpmath.sqrt((1 + 2 * t * a) * (1 + 2 * t * b)))
        )
        k20 = 2 * mpmath.diff(
            lambda x: (
                2
                / mpmath.pi
                * mpmath.asin(2 * t * c / mpmath.sqrt((1 + 2 * t * x) * (1 + 2 * t * b)))
            ),
            a,
        )
        k22 = mpmath.diff(lambda x: k11(a, b, x), c)
        k31 = 2 * mpmath.diff(lambda x: k11(x, b, c), a)
        k13 = 2 * mpmath.diff(lambda x: k11(a, x, c), b)
        return [k00, k11(a, b, c), k20, k22, k31, k13]

    return all6


def _sin(a, b, c):
    import mpmath

    E = mpmath.exp(-(a + b) / 2)
    s, ch = E * mpmath.sinh(c), E * mpmath.cosh(c)
    return [s, ch, -s, s, -ch, -ch]


def _cos(a, b, c):
    import mpmath

    E = mpmath.exp(-(a + b) / 2)
    s, ch = E * mpmath.sinh(c), E * mpmath.cosh(c)
    return [ch, s, -ch, ch, -s, -s]


def _exp(a, b, c):
    import mpmath

    return [mpmath.exp((a + b) / 2 + c)] * 6


_CLOSED = {
    "erf(z)": _erf_closed(1),
    "erf(5*z)": _erf_closed(5),
    "sin(z)": _sin,
    "cos(z)": _cos,
    "exp(z)": _exp,
}
