"""Argument checks shared by the public modules: every message names the argument."""

from __future__ import annotations

import math
import operator
import os
import sys
from collections.abc import Callable
from numbers import Real
from typing import Any, NoReturn

import numpy as np

ESTIMATORS = ("plugin", "miller_madow", "grassberger", "chao_shen", "jackknife", "shrink", "nsb")


def unmasked(x, name: str) -> None:
    """A TypeError for a masked array with masked entries: ``np.asarray`` would drop the
    mask and count the hidden values."""
    if isinstance(x, np.ma.MaskedArray) and np.ma.is_masked(x):
        raise TypeError(
            f"{name}: masked arrays are not supported (the mask would be ignored); pass "
            f"{name}.compressed() or {name}.filled(value)"
        )


def as_array(x, name: str, what: str) -> np.ndarray:
    """``np.asarray(x)``, with NumPy's message for a ragged nested list ("setting an array
    element with a sequence") replaced by one that names the argument; masked arrays with
    masked entries are refused (:func:`unmasked`)."""
    unmasked(x, name)
    kind = type(x)
    if is_scipy_sparse(x):
        # np.asarray would wrap it as a 0-d object array, and the checks would then speak
        # of a scalar or of dtype object.
        raise TypeError(
            f"{name}: expected a dense array of {what}, got a SciPy sparse {kind.__name__}; "
            f"pass {name}.toarray()"
        )
    try:
        return np.asarray(x)
    except ValueError as err:
        if "inhomogeneous" in str(err) or "sequence" in str(err):
            raise ValueError(
                f"{name}: expected a rectangular array of {what}, got a ragged nested "
                "sequence (its rows have different lengths)"
            ) from None
        raise ValueError(f"{name}: could not be converted to an array of {what}: {err}") from None
    except TypeError as err:
        # e.g. a CuPy array, which refuses an implicit copy to the host
        raise TypeError(
            f"{name}: could not be converted to a NumPy array of {what} "
            f"({kind.__module__}.{kind.__qualname__}): {err}"
        ) from None


def counts_dtype(dtype: np.dtype, name: str = "counts") -> None:
    """Counts are integers or floats (not bool)."""
    if dtype.kind not in "iuf" or dtype == np.bool_:
        raise TypeError(f"{name}: expected a numeric array of counts, got dtype {dtype}")


def is_scipy_sparse(x) -> bool:
    """Whether ``x`` is a SciPy sparse matrix or array (subclasses included). SciPy is not
    imported: no sparse object exists before ``scipy.sparse`` is."""
    sparse = sys.modules.get("scipy.sparse")
    return sparse is not None and bool(sparse.issparse(x))


def labels(x, name: str = "x", *, max_ndim: int = 2) -> np.ndarray:
    """An integer array of 1 (or up to ``max_ndim``) dimensions, not empty. No copy
    unless the core could not read it in place (see ``native_aligned``)."""
    return _labels(as_array(x, name, "integer labels"), x, name, max_ndim)


def _labels(arr: np.ndarray, x, name: str, max_ndim: int) -> np.ndarray:
    """The checks of ``labels`` on ``arr = np.asarray(x)``."""
    if arr.size == 0:
        # [] is float64 and an empty bool array is bool: report the emptiness, not the dtype
        if arr.ndim == 0 or arr.ndim > max_ndim:
            bad_ndim(arr, name, max_ndim)
        raise ValueError(f"{name}: must not be empty")
    if arr.dtype == np.bool_:
        arr = arr.view(np.uint8)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "O" or (arr.dtype.kind == "f" and not isinstance(x, np.ndarray)
                                     and bool(np.all(np.isfinite(arr) & (arr == np.round(arr))))):
            _integers_without_a_dtype(x, arr.dtype, name)
        not_labels(arr.dtype, name)
    if arr.ndim == 0 or arr.ndim > max_ndim:
        bad_ndim(arr, name, max_ndim)
    return native_aligned(arr)


def not_labels(dtype: np.dtype, name: str) -> NoReturn:
    """Refuse a dtype that holds no integer labels."""
    hint = ""
    if dtype.kind == "f":
        hint = " (labels must be integers; NaN and fractional values are not labels)"
    raise TypeError(f"{name}: expected an array of integer labels, got dtype {dtype}{hint}")


def chunk(x, name: str) -> np.ndarray | None:
    """A 1-D chunk of labels for a streaming ``update``, or None for an empty chunk.

    ``[]`` converts to float64 and an empty mask is bool: with no element there is no
    float or bool label, so these count as empty labels, as an empty integer array does.
    """
    arr = as_array(x, name, "integer labels")
    if arr.ndim == 1 and arr.size == 0:
        if arr.dtype.kind in "iufb":
            return None
        raise TypeError(f"{name}: expected an array of integer labels, got dtype {arr.dtype}")
    return _labels(arr, x, name, 1)


def bad_ndim(arr, name: str, max_ndim: int) -> NoReturn:
    """Refuse an array (NumPy or Dask) of 0 or more than ``max_ndim`` dimensions."""
    shape = "1-D" if max_ndim == 1 else f"1-D or up to {max_ndim}-D"
    raise ValueError(f"{name}: expected a {shape} array, got {arr.ndim} dimension(s)")


def _integers_without_a_dtype(x, dtype: np.dtype, name: str) -> None:
    """Explain integer labels that NumPy stored as ``dtype`` (float64 or object): Python
    integers beyond int64 or uint64, negative ones beside ones >= 2**63, or NumPy scalars
    of mixed signedness. Returns if ``x`` holds something other than integers.

    Runs on the error path only, so it may look at the elements one by one.
    """
    values = np.asarray(x, dtype=object).ravel().tolist()
    if dtype.kind == "O" and any(isinstance(v, (list, tuple, np.ndarray)) for v in values):
        raise ValueError(
            f"{name}: expected a rectangular array of integer labels, got a ragged nested "
            "sequence (its rows have different lengths)"
        )
    if not all(isinstance(v, (int, np.integer)) for v in values):
        return
    ints = [int(v) for v in values]
    lo, hi = min(ints), max(ints)
    if lo < -(2**63) or hi > 2**64 - 1:
        bad = lo if lo < -(2**63) else hi
        raise ValueError(
            f"{name}: the label {bad} does not fit in 64 bits (labels must lie in "
            "[-2**63, 2**64 - 1])"
        )
    if lo < 0 and hi >= 2**63:
        raise ValueError(
            f"{name}: the labels do not fit one integer dtype: negative values (down to {lo}) "
            f"together with values >= 2**63 (up to {hi}) fit neither int64 nor uint64, so "
            f"NumPy stored them as {dtype}"
        )
    fits = "int64" if hi < 2**63 else "uint64"
    raise TypeError(
        f"{name}: expected an array of integer labels, got dtype {dtype} holding integers; "
        f"pass them with an integer dtype, e.g. np.asarray({name}, dtype=np.{fits})"
    )


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


# Values that iterate but are one item: their characters (or bytes) would be taken
# for documents, file names or specs.
_LONE = (str, bytes, bytearray, memoryview, os.PathLike)


def listed(value: Any, name: str, what: str, *, hint: Callable[[Any], str] | None = None
           ) -> list[Any]:
    """``value`` as a list; a lone str, bytes or path is a TypeError, not iterated.

    Messages read ``{name}: expected {what}, got a single str{hint(value)}`` and
    ``{name}: expected {what}, got int`` for what does not iterate (``hint`` is called
    only for the message).
    """
    if isinstance(value, _LONE):
        extra = hint(value) if hint is not None else ""
        raise TypeError(f"{name}: expected {what}, got a single {type(value).__name__}{extra}")
    try:
        items = iter(value)
    except TypeError:
        raise TypeError(f"{name}: expected {what}, got {type(value).__name__}") from None
    return list(items)  # outside the try: an iterator's own TypeError stays its own


def documents(value: Any, name: str, what: str) -> list[str]:
    """``value`` as a list of str documents (``listed``, then every item checked:
    ``{name}[i]: expected a str document, got bytes``)."""
    docs = listed(value, name, what)
    for index, doc in enumerate(docs):
        if not isinstance(doc, str):
            raise TypeError(f"{name}[{index}]: expected a str document, got {type(doc).__name__}")
    return docs


def axis(value, ndim: int) -> int:
    """An axis of an array of ``ndim`` dimensions (negative counts from the end)."""
    if isinstance(value, (bool, np.bool_)):
        raise TypeError("axis: expected an integer, got bool")
    try:
        value = operator.index(value)
    except TypeError:
        raise TypeError(f"axis: expected an integer, got {type(value).__name__}") from None
    if not -ndim <= value < ndim:
        raise ValueError(f"axis: {value} is out of range for an array of {ndim} dimensions")
    return value


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
    arr = as_array(c, name, "counts")
    counts_array(arr, name)
    return arr


def counts_array(arr, name: str = "counts") -> None:
    """The checks of :func:`counts` that need no values (so a Dask array passes them
    without being computed; a size unknown until then is not refused)."""
    counts_dtype(arr.dtype, name)
    if arr.ndim == 0:
        raise ValueError(f"{name}: expected at least 1 dimension, got a scalar")
    if 0 in arr.shape:
        raise ValueError(f"{name}: must not be empty")
