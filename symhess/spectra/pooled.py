"""Non-zero Hessian eigenvalues of many random teachers, pooled.

The eigenvalues of one teacher come from :func:`teacher_eigenvalues`, the single place that
decides *how* they are computed:

* a linear network ``sigma(z) = s_1 z`` uses the ``d x d`` reduction (docs/theory.md, "The
  linear network"):
  the non-zero eigenvalues of ``H`` are ``s_1^2`` times those of ``||v||^2 I_d + W^T W``
  (``H = s_1^2 J^T J`` with ``J`` the Jacobian of ``u = W^T v``, and ``J J^T`` is that matrix);
* for ``d > h`` every other activation uses the row-space reduction
  (:mod:`symhess.spectra.reduction`): all ``P`` eigenvalues, exactly, from the
  ``(h^2 + h)``-size Hessian of the rotated teacher and ``eig((v v^T) o K11)`` repeated
  ``d - h`` times;
* otherwise the dense Hessian is assembled (:func:`symhess.curvature.dense.assemble`) and
  all its eigenvalues taken with LAPACK ``eigvalsh``.

Eigenvalues that are zero up to rounding (``|lambda| <= P eps max|lambda|``, the rule of
``symhess analyze``) are dropped.

Swap the source by passing ``source=`` to :func:`pool`, or by changing
:func:`teacher_eigenvalues` (e.g. to a matrix-free solver for sizes that do not fit densely).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..base.progress import progress
from ..curvature.dense import assemble, check_memory
from ..curvature.matrices import kernel_matrices
from ..curvature.matrix_free import check_operator_memory, operator
from ..errors import SymhessError
from ..kernels import Kernels, resolve
from ..teacher import Teacher, bias_variance, check_size, sample_teacher
from . import reduction
from .density import SpectralDensity, pool_densities, slq
from .zeros import drop_zeros

EigenvalueSource = Callable[[Kernels, Teacher], np.ndarray]


def linear_scale(kernels: Kernels) -> float | None:
    """``s_1^2`` if the activation is ``s_1 z`` (no constant term), else ``None``."""
    coeffs = kernels.activation.coefficients
    if coeffs is None or len(coeffs) != 2 or coeffs[0] != 0:
        return None
    return float(coeffs[1]) ** 2


def reduced_linear_eigenvalues(W: np.ndarray, v: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """The ``d`` non-zero Hessian eigenvalues of a linear network, ascending.

    Parameters
    ----------
    W : ndarray, shape (h, d)
    v : ndarray, shape (h,)
    scale : float
        ``s_1^2`` for ``sigma(z) = s_1 z``.

    Returns
    -------
    ndarray, shape (d,)
        Eigenvalues of ``scale (||v||^2 I_d + W^T W)``, all positive for ``v != 0``.
    """
    M = W.T @ W
    M[np.diag_indices_from(M)] += v @ v
    return scale * np.linalg.eigvalsh(M)


def dense_eigenvalues(kernels: Kernels, teacher: Teacher) -> np.ndarray:
    """All ``P`` eigenvalues of the dense float64 Hessian, ascending (shape (P,))."""
    check_memory(teacher.h, teacher.d, bias=teacher.has_bias)
    K = kernel_matrices(kernels, teacher.W, b=teacher.b)
    return np.linalg.eigvalsh(assemble(K, teacher.W, teacher.v))


def teacher_eigenvalues(kernels: Kernels, teacher: Teacher) -> np.ndarray:
    """The non-zero Hessian eigenvalues of one teacher, ascending.

    The ``d x d`` reduction for linear networks without biases, the row-space reduction for
    ``d > h`` without biases, the dense Hessian otherwise (module docstring). This is the
    eigenvalue source every command uses.
    """
    scale = linear_scale(kernels)
    if scale is not None and not teacher.has_bias:
        return reduced_linear_eigenvalues(teacher.W, teacher.v, scale)
    if not teacher.has_bias and reduction.applies(teacher.h, teacher.d):
        rs = reduction.reduced_spectrum(kernels, teacher.W, teacher.v)
        return drop_zeros(rs.eigenvalues())
    return drop_zeros(dense_eigenvalues(kernels, teacher))


def source_of(kernels: Kernels, d: int, h: int, bias: bool = False) -> str:
    """Which route :func:`teacher_eigenvalues` takes for these sizes, in words."""
    if linear_scale(kernels) is not None and not bias:
        return "d x d reduction ||v||^2 I + W^T W (docs/theory.md, 'The linear network')"
    if not bias and reduction.applies(h, d):
        return (
            "row-space reduction (exact, d > h): eigvalsh of the (h^2 + h)-size reduced "
            f"Hessian + eig(A) x (d - h = {d - h})"
        )
    return "dense Hessian, LAPACK eigvalsh"


def teacher_seeds(seed: int, count: int, pool: int = 0) -> list[int]:
    """Seeds of the teachers of one pool: independent streams for different ``pool`` ids."""
    state = np.random.SeedSequence([seed, pool]).generate_state(count, dtype=np.uint32)
    return [int(s) for s in state]


@dataclass(frozen=True)
class EigenvaluePool:
    """Pooled non-zero eigenvalues of ``teachers`` random teachers.

    Attributes
    ----------
    eigenvalues : ndarray, shape (n,)
        All teachers' non-zero eigenvalues, concatenated (teacher by teacher, ascending
        within a teacher).
    counts : ndarray of int, shape (teachers,)
        Non-zero eigenvalues per teacher (the numerical rank).
    d, h : int
    activation : str
    dist : str
    bias : float or None
        The variance of the teachers' biases (``None``: no biases).
    """

    eigenvalues: np.ndarray
    counts: np.ndarray
    d: int
    h: int
    activation: str
    dist: str
    bias: float | None = None

    @property
    def teachers(self) -> int:
        return self.counts.size

    @property
    def params(self) -> int:
        return self.h * self.d + self.h + self.h * (self.bias is not None)

    def per_teacher(self) -> list[np.ndarray]:
        """The eigenvalues of each teacher, as a list of arrays."""
        return np.split(self.eigenvalues, np.cumsum(self.counts)[:-1])


def pooled_eigenvalues(
    spec,
    d: int,
    h: int,
    teachers: int,
    *,
    seed: int = 0,
    pool_id: int = 0,
    dist: str = "normal",
    kernel_dirs=None,
    source: EigenvalueSource | None = None,
    show_progress: bool | None = None,
    bias=None,
) -> EigenvaluePool:
    """Non-zero Hessian eigenvalues of ``teachers`` random teachers with the same sizes.

    Parameters
    ----------
    spec : str, coefficient list, Activation or Kernels
        The activation.
    d, h, teachers : int
    seed : int
        Teacher ``k`` is ``sample_teacher(d, h, teacher_seeds(seed, teachers, pool_id)[k])``.
    pool_id : int
        Another ``pool_id`` with the same ``seed`` gives an independent pool (for
        :func:`symhess.spectra.linear_law.ks_floor`).
    dist : {"normal", "uniform", "rademacher"}
    source : callable (Kernels, Teacher) -> ndarray, optional
        Eigenvalue source; :func:`teacher_eigenvalues` by default.
    show_progress : bool, optional
        Progress bar (``None``: only on a terminal).
    bias : None, True or float
        Teachers with biases, as :func:`symhess.teacher.sample_teacher` draws them.
    """
    kernels = resolve(spec, kernel_dirs)  # a Kernels object passes through
    d, h, teachers = check_size("d", d), check_size("h", h), check_size("teachers", teachers)
    var = bias_variance(bias, d)
    if var is not None:
        kernels.check_means("float64")
    source = teacher_eigenvalues if source is None else source
    parts = []
    for s in progress(
        teacher_seeds(seed, teachers, pool_id),
        desc=f"eigenvalues d={d} h={h}",
        unit="teacher",
        show=show_progress,
    ):
        t = sample_teacher(d, h, seed=s, dist=dist, bias=var)
        parts.append(np.asarray(source(kernels, t)))
    counts = np.array([p.size for p in parts])
    if not counts.any():
        raise SymhessError("every eigenvalue is zero up to rounding")
    act = kernels.activation.short
    return EigenvaluePool(np.concatenate(parts), counts, d, h, act, dist, var)


def pooled_density(
    activation,
    d: int,
    h: int,
    teachers: int,
    *,
    seed: int = 0,
    dist: str = "normal",
    probes: int = 4,
    steps: int = 60,
    kernel_dirs=None,
    show_progress: bool | None = None,
    bias=None,
) -> SpectralDensity:
    """The SLQ density pooled over the random teachers ``symhess spectrum`` would use.

    Teacher ``k`` is the one :func:`pooled_eigenvalues` draws
    (``teacher_seeds(seed, teachers)[k]``); each contributes ``probes`` probes, and the
    pooled measure weighs the teachers equally. Zero eigenvalues are included: quadrature
    nodes cannot separate a null space from small eigenvalues.

    Returns
    -------
    SpectralDensity
        With ``probes * teachers`` probes.
    """
    kern = resolve(activation, kernel_dirs)  # a Kernels object passes through
    d, h, teachers = check_size("d", d), check_size("h", h), check_size("teachers", teachers)
    var = bias_variance(bias, d)
    if var is not None:
        kern.check_means("float64")
    check_operator_memory(h, d, var is not None)
    parts = []
    for k, s in enumerate(
        progress(
            teacher_seeds(seed, teachers), desc="SLQ teachers", unit="teacher", show=show_progress
        )
    ):
        t = sample_teacher(d, h, seed=s, dist=dist, bias=var)
        op = operator(kern, t.W, t.v, t.b)
        parts.append(slq(op, probes=probes, steps=steps, seed=k, show_progress=False))
    return pool_densities(parts)
