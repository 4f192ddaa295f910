"""Argument checks shared by the public modules: every message names the argument."""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

ESTIMATORS = ("plugin", "miller_madow", "grassberger", "chao_shen", "jackknife", "shrink", "nsb")


def labels(x, name: str = "x", *, max_ndim: int = 2) -> np.ndarray:
    """An integer array of 1 (or up to ``max_ndim``) dimensions, not empty. No copy
    unless the core could not read it in place (see ``native_aligned``)."""
    arr = np.asarray(x)
    if arr.size == 0:
        raise ValueError(f"{name}: must not be empty")
    if arr.dtype == np.bool_:
        arr = arr.view(np.uint8)
    if arr.dtype.kind not in "iu":
        hint = ""
        if arr.dtype.kind == "f":
            hint = " (labels must be integers; NaN and fractional values are not labels)"
        raise TypeError(f"{name}: expected an array of integer labels, got dtype {arr.dtype}{hint}")
    if arr.ndim == 0 or arr.ndim > max_ndim:
        shape = "1-D" if max_ndim == 1 else f"1-D or up to {max_ndim}-D"
        raise ValueError(f"{name}: expected a {shape} array, got {arr.ndim} dimension(s)")
    if arr.shape[0] == 0 or arr.size == 0:
        raise ValueError(f"{name}: must not be empty")
    return native_aligned(arr)


def native_aligned(arr: np.ndarray) -> np.ndarray:
    """``arr`` itself, or one copy where the core could not read it in place: a foreign
    byte order, or data or strides that are not multiples of the item alignment (a field
    of a structured array, a byte offset into a buffer), which NumPy views would hand to
    the core as wrong elements."""
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    return np.require(arr, requirements="A")


def same_length(arrays, names) -> None:
    n = arrays[0].shape[0]
    for a, nm in zip(arrays[1:], names[1:], strict=True):
        if a.shape[0] != n:
            raise ValueError(
                f"{nm}: expected {n} observations (the length of {names[0]}), got {a.shape[0]}"
            )


def estimator(name) -> str:
    if not isinstance(name, str) or name not in ESTIMATORS:
        raise ValueError(f"estimator: expected one of {', '.join(ESTIMATORS)}, got {name!r}")
    return name


def log_base(base) -> float:
    """The divisor that converts nats to ``base`` units (1.0 for nats)."""
    if base is None:
        return 1.0
    if isinstance(base, bool) or not isinstance(base, Real):
        raise TypeError(f"base: expected a positive real number, got {type(base).__name__}")
    b = float(base)
    if not (b > 0 and math.isfinite(b)) or b == 1.0:
        raise ValueError(f"base: expected a positive finite number other than 1, got {base!r}")
    return math.log(b)


def order_param(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name}: expected a real number >= 0, got {type(value).__name__}")
    v = float(value)
    if math.isnan(v) or v < 0:
        raise ValueError(f"{name}: expected a number >= 0 (inf allowed), got {value!r}")
    return v


def flag(value, name: str) -> bool:
    """A bool argument: True or False (NumPy bools too), nothing merely truthy."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected True or False, got {type(value).__name__}")
    return bool(value)


def share(value, name: str) -> float:
    """A proportion: a real number in [0, 1]."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name}: expected a share in [0, 1], got {type(value).__name__}")
    v = float(value)
    if not 0.0 <= v <= 1.0:
        raise ValueError(f"{name}: expected a share in [0, 1], got {value!r}")
    return v


def positive_int(value, name: str, *, low: int = 1, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name}: expected an integer, got {type(value).__name__}")
    v = int(value)
    if v < low or (high is not None and v > high):
        rng = f">= {low}" if high is None else f"in {low}..{high}"
        raise ValueError(f"{name}: expected an integer {rng}, got {v}")
    return v


def n_bins(value) -> float | None:
    if value is None:
        return None
    # Beyond 2^53 bins are not exact in float64 (and NSB's sums lose every digit).
    v = positive_int(value, "n_bins", high=2**53)
    return float(v)


def counts(c, name: str = "counts") -> np.ndarray:
    arr = np.asarray(c)
    if arr.dtype.kind not in "iuf" or arr.dtype == np.bool_:
        raise TypeError(f"{name}: expected a numeric array of counts, got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{name}: expected at least 1 dimension, got a scalar")
    if arr.size == 0:
        raise ValueError(f"{name}: must not be empty")
    return arr
