"""Teacher networks: sampling with the paper's variances, validation, ``.npz`` files.

A teacher may carry hidden-unit biases, ``f(x) = sum_i v_i sigma(w_i . x + b_i)``; the
parameters of a network with biases are ordered ``W`` row-major, then ``v``, then ``b``.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .base import memory
from .errors import SymhessError
from .files import atomic_write, refuse_overwrite

DISTRIBUTIONS = ("normal", "uniform", "rademacher")


DEFAULT_BIAS_VARIANCE = "1/d"
"""The default variance of a random teacher's biases (:func:`default_bias_variance`)."""


def default_bias_variance(d: int) -> float:
    """``1/d``: the variance of one first-layer weight.

    A bias is the weight of a constant input ``x_0 = 1``, so with this variance
    ``(w_i, b_i)`` is a vector of ``d + 1`` i.i.d. entries - the homogenised view in which the
    rank theory with biases is stated (docs/theory.md, "Biases"), and what PyTorch's
    ``nn.Linear`` draws by default (bias and weights from the same ``U(-1/sqrt(d),
    1/sqrt(d))``). The mean ``b_i`` of the pre-activation is then ``~ 1/sqrt(d)`` against
    its spread ``|w_i| ~ 1``: comparable at small ``d``, a perturbation at large ``d``; pass
    ``bias=1.0`` for offsets of the order of the spread at every width.
    """
    return 1.0 / d


@dataclass(frozen=True)
class Teacher:
    """Weights of a two-layer network ``f(x) = sum_i v_i sigma(w_i . x + b_i)``.

    Attributes
    ----------
    W : ndarray, shape (h, d)
        First-layer weights, rows ``w_i``.
    v : ndarray, shape (h,)
        Second-layer weights.
    b : ndarray, shape (h,), or None
        Hidden-unit biases; ``None`` for a network without biases (the paper's setting).
    """

    W: np.ndarray
    v: np.ndarray
    b: np.ndarray | None = None

    @property
    def h(self) -> int:
        return self.W.shape[0]

    @property
    def d(self) -> int:
        return self.W.shape[1]

    @property
    def has_bias(self) -> bool:
        return self.b is not None

    @property
    def params(self) -> int:
        """``P = h d + h``, or ``h d + 2h`` with biases."""
        return self.h * self.d + self.h + (self.h if self.has_bias else 0)

    def save(self, path: str | os.PathLike, *, force: bool = False) -> Path:
        """Write ``path`` (``.npz`` with arrays ``W``, ``v`` and, with biases, ``b``)
        atomically."""
        refuse_overwrite(path, force)
        arrays = {"W": self.W, "v": self.v}
        if self.has_bias:
            arrays["b"] = self.b
        return atomic_write(path, lambda f: np.savez(f, **arrays))


def check_size(name: str, value) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise SymhessError(f"{name} must be a positive integer, got {value!r}")
    if value < 1:
        raise SymhessError(f"{name} must be a positive integer, got {value}")
    return int(value)


def check_weights(W, v) -> tuple[np.ndarray, np.ndarray]:
    """Validate shapes and finiteness; return ``(W, v)`` as arrays (float64 unless exact).

    Raises
    ------
    SymhessError
        Naming the problem: dimensions, disagreeing shapes, NaN or infinite entries.
    """
    W = np.asarray(W)
    v = np.asarray(v)
    if W.ndim != 2 or W.shape[0] < 1 or W.shape[1] < 1:
        raise SymhessError(f"W must be a non-empty h x d matrix, got shape {W.shape}")
    if v.ndim != 1:
        raise SymhessError(f"v must be a vector of length h, got shape {v.shape}")
    if v.shape[0] != W.shape[0]:
        raise SymhessError(f"W has {W.shape[0]} rows (hidden units) but v has {v.shape[0]} entries")
    for name, arr in (("W", W), ("v", v)):
        if arr.dtype == object:
            continue
        if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
            raise SymhessError(f"{name} must hold real numbers, got dtype {arr.dtype}")
        if not np.all(np.isfinite(arr)):
            raise SymhessError(f"{name} has NaN or infinite entries")
    if W.dtype != object:
        W = W.astype(np.float64)
    if v.dtype != object:
        v = v.astype(np.float64)
    return W, v


def check_biases(b, h: int) -> np.ndarray:
    """Validate a bias vector for ``h`` hidden units; return it as an array (float64 unless
    it holds exact numbers).

    Raises
    ------
    SymhessError
        Naming the problem: not a vector of length ``h``, not real, NaN or infinite entries.
    """
    arr = np.asarray(b)
    if arr.ndim != 1 or arr.shape[0] != h:
        raise SymhessError(
            f"b must be a vector of length h = {h} (one bias per hidden unit), got shape "
            f"{arr.shape}"
        )
    if arr.dtype == object:
        return arr
    if not (np.issubdtype(arr.dtype, np.floating) or np.issubdtype(arr.dtype, np.integer)):
        raise SymhessError(f"b must hold real numbers, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise SymhessError("b has NaN or infinite entries")
    return arr.astype(np.float64)


def bias_variance(bias, d: int) -> float | None:
    """The variance ``sample_teacher`` draws biases with: ``None`` (no biases) for
    ``bias=None`` or ``False``, :func:`default_bias_variance` for ``True``, else ``bias``
    itself, a finite number ``>= 0``."""
    if bias is None or bias is False:
        return None
    if bias is True:
        return default_bias_variance(d)
    if isinstance(bias, (int, float, np.integer, np.floating)) and np.isfinite(bias) and bias >= 0:
        return float(bias)
    raise SymhessError(
        f"bias must be True (variance {DEFAULT_BIAS_VARIANCE}), a finite variance >= 0, or "
        f"None, got {bias!r}"
    )


def sample_teacher(
    d: int, h: int, seed: int | None = None, dist: str = "normal", bias=None
) -> Teacher:
    """A random teacher with the paper's variances: ``Var W_ij = 1/d``, ``Var v_i = 1/h``.

    Parameters
    ----------
    d, h : int
        Input dimension and number of hidden units.
    seed : int, optional
        Seed for ``numpy.random.default_rng``; the same seed gives the same teacher.
    dist : {"normal", "uniform", "rademacher"}
        Zero-mean distribution of every weight, scaled to the variances above.
    bias : None, bool or float
        Hidden-unit biases: ``None`` or ``False`` draws none (the paper's setting);
        ``True`` draws them with the default variance ``Var b_i = 1/d``
        (:func:`default_bias_variance`: the variance of one first-layer weight); a number is
        the variance (``0``: zero biases). Same distribution ``dist``, from a stream of
        their own: ``W`` and ``v`` are those of the teacher without biases and the same seed.

    Returns
    -------
    Teacher
    """
    d, h = check_size("d", d), check_size("h", h)
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0
    ):
        raise SymhessError(f"seed must be a non-negative integer, got {seed!r}")
    if dist not in DISTRIBUTIONS:
        raise SymhessError(
            f"unknown distribution {dist!r}; choose one of {', '.join(DISTRIBUTIONS)}"
        )
    # the draw and its scaling hold about three h x d arrays at once
    memory.require(
        3 * 8.0 * (h * d + h), f"a teacher with h x d = {h} x {d} weights", "use a smaller network"
    )
    rng = np.random.default_rng(seed)

    def draw(shape, var):
        if dist == "normal":
            return rng.normal(0.0, np.sqrt(var), size=shape)
        if dist == "uniform":
            r = np.sqrt(3 * var)
            return rng.uniform(-r, r, size=shape)
        return rng.choice([-1.0, 1.0], size=shape) * np.sqrt(var)

    var = bias_variance(bias, d)
    W = draw((h, d), 1.0 / d)
    v = draw((h,), 1.0 / h)
    if var is None:
        return Teacher(W=W, v=v)
    # the biases' own stream (draw() reads rng when called): W, v stay those without biases
    rng = np.random.default_rng(None if seed is None else [seed, 0xB1A5])
    return Teacher(W=W, v=v, b=draw((h,), var))


def load_teacher(path: str | os.PathLike) -> Teacher:
    """Read a teacher ``.npz`` with arrays ``W`` (h x d), ``v`` (h,) and optionally ``b``
    (h,), the biases."""
    path = Path(path)
    if not path.is_file():
        raise SymhessError(f"teacher file {str(path)!r} does not exist")
    try:
        data = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError, zipfile.BadZipFile):
        raise SymhessError(f"cannot read teacher file {str(path)!r}: not an .npz archive") from None
    if not isinstance(data, np.lib.npyio.NpzFile):
        raise SymhessError(
            f"teacher file {str(path)!r} holds a single array (.npy); a teacher is an .npz "
            "archive with arrays W (h x d) and v (h,), e.g. numpy.savez(path, W=W, v=v)"
        )
    with data:
        missing = [k for k in ("W", "v") if k not in data.files]
        if missing:
            raise SymhessError(
                f"teacher file {str(path)!r} has no array {' or '.join(missing)} "
                f"(found: {', '.join(data.files) or 'none'})"
            )
        try:
            W, v = data["W"], data["v"]
            b = data["b"] if "b" in data.files else None
        except (OSError, ValueError, EOFError, zipfile.BadZipFile):
            raise SymhessError(f"cannot read the arrays of teacher file {str(path)!r}") from None
    W, v = check_weights(W, v)
    if b is not None:
        try:
            b = check_biases(b, W.shape[0])
        except SymhessError as exc:
            raise SymhessError(f"teacher file {str(path)!r}: {exc}") from None
    return Teacher(W=W, v=v, b=b)
