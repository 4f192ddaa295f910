"""One exact uint64 code per pair of labels, given each side's sorted distinct values.

Mixed radix over the two value ranges, ``(a - min_a) * range_b + (b - min_b)``, where the
product of the ranges fits 64 bits (plain arithmetic, no search); otherwise the ranks of
the values among the distinct ones, ``rank_a * |V_b| + rank_b``. Used where pairs are
counted piece by piece with codes that must agree across pieces: the ``entrostat mi``
command (chunks of two files) and the Dask backend (blocks of two arrays).
"""

from __future__ import annotations

import numpy as np

Plan = tuple[int | None, int | None, int]


def plan(va: np.ndarray, vb: np.ndarray) -> Plan | None:
    """``(lo_a, lo_b, radix)``: offsets from the minima (``lo`` given) or ranks (None),
    and the multiplier of the first code; None when even ranks overflow 64 bits."""
    range_a, range_b = int(va[-1]) - int(va[0]) + 1, int(vb[-1]) - int(vb[0]) + 1
    if range_a * range_b <= 1 << 64 and range_b < 1 << 64:
        return int(va[0]), int(vb[0]), range_b
    if va.size * vb.size > 1 << 64:
        return None
    return None, None, int(vb.size)


def codes(values: np.ndarray, sorted_values: np.ndarray, lo: int | None) -> np.ndarray:
    """Each value's offset from ``lo`` (``lo`` given) or rank among ``sorted_values``, as
    a new uint64 array. Every value is one of ``sorted_values``."""
    if lo is None:
        v = values.astype(sorted_values.dtype, copy=False)  # exact: v is one of them
        return np.searchsorted(sorted_values, v).astype(np.uint64)
    # Wrapping uint64 arithmetic: the cast keeps a negative value's two's complement, and
    # (v - lo) mod 2^64 is the exact offset, below 2^64.
    out = values.astype(np.uint64)
    if lo % (1 << 64):
        out -= np.uint64(lo % (1 << 64))
    return out


def pair_codes(a: np.ndarray, b: np.ndarray, va: np.ndarray, vb: np.ndarray,
               how: Plan) -> np.ndarray:
    """The codes of the pairs ``(a[i], b[i])`` under ``how`` (from :func:`plan`)."""
    lo_a, lo_b, radix = how
    out = codes(a, va, lo_a)
    out *= np.uint64(radix)
    out += codes(b, vb, lo_b)
    return out
