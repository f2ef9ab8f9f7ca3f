"""Teacher networks: sampling with the paper's variances, validation, ``.npz`` files."""

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


@dataclass(frozen=True)
class Teacher:
    """Weights of a two-layer network ``f(x) = sum_i v_i sigma(w_i . x)``.

    Attributes
    ----------
    W : ndarray, shape (h, d)
        First-layer weights, rows ``w_i``.
    v : ndarray, shape (h,)
        Second-layer weights.
    """

    W: np.ndarray
    v: np.ndarray

    @property
    def h(self) -> int:
        return self.W.shape[0]

    @property
    def d(self) -> int:
        return self.W.shape[1]

    @property
    def params(self) -> int:
        """``P = h d + h``."""
        return self.h * self.d + self.h

    def save(self, path: str | os.PathLike, *, force: bool = False) -> Path:
        """Write ``path`` (``.npz`` with arrays ``W`` and ``v``) atomically."""
        refuse_overwrite(path, force)
        return atomic_write(path, lambda f: np.savez(f, W=self.W, v=self.v))


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


def sample_teacher(d: int, h: int, seed: int | None = None, dist: str = "normal") -> Teacher:
    """A random teacher with the paper's variances: ``Var W_ij = 1/d``, ``Var v_i = 1/h``.

    Parameters
    ----------
    d, h : int
        Input dimension and number of hidden units.
    seed : int, optional
        Seed for ``numpy.random.default_rng``; the same seed gives the same teacher.
    dist : {"normal", "uniform", "rademacher"}
        Zero-mean distribution of every weight, scaled to the variances above.

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

    W = draw((h, d), 1.0 / d)
    v = draw((h,), 1.0 / h)
    return Teacher(W=W, v=v)


def load_teacher(path: str | os.PathLike) -> Teacher:
    """Read a teacher ``.npz`` with arrays ``W`` (h x d) and ``v`` (h,)."""
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
        except (OSError, ValueError, EOFError, zipfile.BadZipFile):
            raise SymhessError(f"cannot read the arrays of teacher file {str(path)!r}") from None
    W, v = check_weights(W, v)
    return Teacher(W=W, v=v)
