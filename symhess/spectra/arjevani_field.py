"""The Hessian spectrum at the Arjevani-Field teacher ``W = I_d``, ``v = 1`` in closed form.

For ``sigma(z) = alpha z + beta relu(z)`` (the ReLU family, ``beta != 0``), ``d = h >= 3``,
write (docs/theory.md, "ReLU and piecewise-linear activations")::

    kappa = (alpha + beta/2)^2,   mu = beta^2 / 4,   g = beta^2 / (2 pi),
    A = kappa + mu + g (d - 1),   B = mu + g + kappa (d - 1),
    a = sqrt((d - 2)/2),   b = sqrt(d/2),   s = sqrt(d - 1).

Permuting the neurons and the input coordinates together fixes the teacher, so the symmetric
group ``S_d`` commutes with ``H``; on its isotypic components ``H`` acts as a scalar or a small
matrix (Schur's lemma):

v trained (``P = d^2 + d``)::

    0                                          d times        one rescaling per neuron
    mu + g                                     d(d-3)/2       [d-2, 2]
    mu - g                                     (d-1)(d-2)/2   [d-2, 1, 1]
    eig [[2A, sqrt2 kappa s], [., B]]          once each      trivial
    eig kappa m m^T + diag(2(mu-g), mu+g, mu-g), m = (sqrt2, a, -b)     d-1 times each  standard

v fixed (``P = d^2``)::

    mu + g                                     d(d-3)/2
    mu - g                                     d(d-1)/2       [d-2, 1, 1] and one standard copy
    eig [[A, kappa s], [., B]]                 once each
    eig [[kappa (d+2)/2 + mu - g, kappa sqrt((d+2)/2) a], [., kappa a^2 + mu + g]]  d-1 times each

Small blocks are solved without cancellation: the larger eigenvalue of a ``2 x 2`` directly and
the smaller as determinant / larger, with each determinant written as a sum of positive terms;
for the ``3 x 3`` the largest by the trigonometric formula and the other two from the
elementary symmetric functions (sums of positive terms too). Every eigenvalue keeps full
relative accuracy at any ``d`` (the plain trigonometric formula lost 4e-13 at d = 50).
"""

from __future__ import annotations

from dataclasses import dataclass

import mpmath
import numpy as np

from ..activation import Activation, activation
from ..errors import SymhessError

__all__ = ["ClosedFormEigenvalue", "arjevani_field_spectrum", "expand"]


@dataclass(frozen=True)
class ClosedFormEigenvalue:
    """One eigenvalue of the closed form, with its multiplicity and where it comes from.

    Attributes
    ----------
    value : float or mpmath.mpf
    multiplicity : int
    label : str
        The isotypic component (``"trivial"``, ``"standard"``, ``"[d-2,2]"``,
        ``"[d-2,1,1]"``) or ``"rescaling"`` for the zeros.
    """

    value: object
    multiplicity: int
    label: str


def _ctx(system: str):
    if system == "float64":
        return np.pi, np.sqrt, np.cos, np.arccos, float
    if system == "mpmath":
        return +mpmath.pi, mpmath.sqrt, mpmath.cos, mpmath.acos, mpmath.mpf
    raise SymhessError(f"the closed form evaluates in float64 or mpmath, not {system!r}")


def _number(x, system: str):
    """A SymPy constant (or a number) in ``system``."""
    if system == "float64":
        return float(x)
    if hasattr(x, "evalf"):
        return mpmath.mpf(x.evalf(mpmath.mp.dps + 10))
    return mpmath.mpf(x)


def sym2_eigenvalues(p, r, q, det, system: str = "float64") -> list:
    """Eigenvalues (ascending) of ``[[p, r], [r, q]]``, ``p, q > 0``, with determinant ``det``
    given in a cancellation-free form: the larger directly, the smaller as ``det / larger``."""
    _, sqrt, _, _, _ = _ctx(system)
    hi = (p + q) / 2 + sqrt((p - q) ** 2 / 4 + r * r)
    return [det / hi, hi]


def sym3_eigenvalues(M, system: str = "float64") -> list:
    """Eigenvalues (ascending) of a real symmetric ``3 x 3`` matrix, trigonometric formula.

    ``M = q I + p B`` with ``q = tr M / 3``, ``p^2 = tr((M - q I)^2) / 6``; the eigenvalues of
    ``B`` are ``2 cos(phi + 2 pi j / 3)``, ``phi = acos(det(B) / 2) / 3``.
    """
    pi, sqrt, cos, acos, num = _ctx(system)
    m = [[num(M[i][j]) for j in range(3)] for i in range(3)]
    q = (m[0][0] + m[1][1] + m[2][2]) / 3
    off = m[0][1] ** 2 + m[0][2] ** 2 + m[1][2] ** 2
    p = sqrt(((m[0][0] - q) ** 2 + (m[1][1] - q) ** 2 + (m[2][2] - q) ** 2 + 2 * off) / 6)
    if p == 0:
        return [q, q, q]
    B = [[(m[i][j] - (q if i == j else 0)) / p for j in range(3)] for i in range(3)]
    det = (
        B[0][0] * (B[1][1] * B[2][2] - B[1][2] * B[2][1])
        - B[0][1] * (B[1][0] * B[2][2] - B[1][2] * B[2][0])
        + B[0][2] * (B[1][0] * B[2][1] - B[1][1] * B[2][0])
    )
    phi = acos(min(max(det / 2, -1), 1)) / 3
    return sorted(q + 2 * p * cos(phi + 2 * pi * j / 3) for j in range(3))


def dpr1_eigenvalues(delta, kappa, m, system: str = "float64") -> list:
    """Eigenvalues (ascending) of ``diag(delta) + kappa m m^T`` (``3 x 3``, ``delta > 0``,
    ``kappa >= 0``) without cancellation: the largest by :func:`sym3_eigenvalues`, the other
    two from ``e3 = det`` and ``e2`` (sums of positive terms): ``l1 l2 = e3 / l3``,
    ``l1 + l2 = (e2 - l1 l2) / l3``."""
    _, sqrt, _, _, _ = _ctx(system)
    d1, d2, d3 = delta
    q1, q2, q3 = (x * x for x in m)
    M = [[kappa * m[i] * m[j] + (delta[i] if i == j else 0) for j in range(3)] for i in range(3)]
    l3 = sym3_eigenvalues(M, system)[2]
    e3 = d1 * d2 * d3 + kappa * (q1 * d2 * d3 + q2 * d1 * d3 + q3 * d1 * d2)
    e2 = d1 * d2 + d1 * d3 + d2 * d3 + kappa * (q1 * (d2 + d3) + q2 * (d1 + d3) + q3 * (d1 + d2))
    p12 = e3 / l3
    s12 = (e2 - p12) / l3
    l2 = s12 / 2 + sqrt(max(s12 * s12 / 4 - p12, 0 * p12))
    return [p12 / l2, l2, l3]


def _family(spec) -> tuple:
    if isinstance(spec, tuple) and len(spec) == 2:
        return spec
    act = spec if isinstance(spec, Activation) else activation(spec)
    if act.relu_family is None:
        raise SymhessError(
            f"the Arjevani-Field closed form is for alpha*z + beta*relu(z); {act.short} is not "
            "of that form"
        )
    return act.relu_family


def arjevani_field_spectrum(
    spec, d: int, *, train_v: bool = True, system: str = "float64"
) -> list[ClosedFormEigenvalue]:
    """The Hessian's eigenvalues at ``W = I_d``, ``v = 1`` (``h = d``) with multiplicities.

    Parameters
    ----------
    spec : str, Activation, or (alpha, beta)
        A member of the ReLU family, e.g. ``"relu(z)"``, ``"leaky_relu(z, 0.1)"``, ``"abs(z)"``.
    d : int
        ``d = h >= 3``.
    train_v : bool
        ``True``: all ``d^2 + d`` parameters; ``False``: ``v`` fixed, the ``d^2`` of ``W``.
    system : {"float64", "mpmath"}
        mpmath at the current ``mpmath.mp.dps``.

    Returns
    -------
    list of ClosedFormEigenvalue
        Multiplicities sum to ``P``; see the module docstring for the formulas.
    """
    if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 3:
        raise SymhessError(f"the closed form needs d = h >= 3, got {d!r}")
    d = int(d)
    alpha, beta = (_number(x, system) for x in _family(spec))
    if beta == 0:
        raise SymhessError("beta = 0 is the linear network, not the ReLU family")
    pi, sqrt, _, _, num = _ctx(system)
    n = num(d)
    kappa = (alpha + beta / 2) ** 2
    mu = beta * beta / 4
    g = beta * beta / (2 * pi)
    A = kappa + mu + g * (n - 1)
    B = mu + g + kappa * (n - 1)
    a, b, s = sqrt((n - 2) / 2), sqrt(n / 2), sqrt(n - 1)
    # det of the trivial 2 x 2 (per factor 2 with v trained), the kappa^2 (d-1) terms
    # cancelled on paper: kappa (mu+g) + (mu + g(d-1)) (mu+g) + kappa (d-1) (mu + g(d-1)).
    det_trivial = (
        kappa * (mu + g) + (mu + g * (n - 1)) * (mu + g) + kappa * (n - 1) * (mu + g * (n - 1))
    )
    out = [
        ClosedFormEigenvalue(mu + g, d * (d - 3) // 2, "[d-2,2]"),
    ]
    if train_v:
        out.append(ClosedFormEigenvalue(mu - g, (d - 1) * (d - 2) // 2, "[d-2,1,1]"))
        out.append(ClosedFormEigenvalue(num(0), d, "rescaling"))
        for lam in sym2_eigenvalues(2 * A, sqrt(num(2)) * kappa * s, B, 2 * det_trivial, system):
            out.append(ClosedFormEigenvalue(lam, 1, "trivial"))
        m = [sqrt(num(2)), a, -b]
        for lam in dpr1_eigenvalues([2 * (mu - g), mu + g, mu - g], kappa, m, system):
            out.append(ClosedFormEigenvalue(lam, d - 1, "standard"))
    else:
        out.append(ClosedFormEigenvalue(mu - g, d * (d - 1) // 2, "[d-2,1,1] and standard"))
        for lam in sym2_eigenvalues(A, kappa * s, B, det_trivial, system):
            out.append(ClosedFormEigenvalue(lam, 1, "trivial"))
        c = sqrt((n + 2) / 2)
        det_standard = (
            kappa * (n + 2) / 2 * (mu + g) + kappa * (n - 2) / 2 * (mu - g) + (mu - g) * (mu + g)
        )
        p, q = kappa * c * c + mu - g, kappa * a * a + mu + g
        for lam in sym2_eigenvalues(p, kappa * c * a, q, det_standard, system):
            out.append(ClosedFormEigenvalue(lam, d - 1, "standard"))
    return [e for e in out if e.multiplicity > 0]


def expand(spectrum: list[ClosedFormEigenvalue]) -> np.ndarray:
    """The eigenvalues repeated by multiplicity, ascending, float64 (shape (P,))."""
    values = np.concatenate([np.full(e.multiplicity, float(e.value)) for e in spectrum])
    return np.sort(values)
