"""Exact rescaling of samples by powers of two, so that squared distances and the sums
of squares behind bandwidth rules neither overflow nor underflow float64.

A power of two divides without rounding: distances over a width (kernel estimators) and
ratios of distances (k-NN divergences) keep every bit, and k-NN entropies shift by the
known d log 2^e.
"""

from __future__ import annotations

import math

import numpy as np

# Magnitudes in [2^-450, 2^450] have squares (times up to 2^120 rows or dimensions) that
# neither overflow nor underflow to nothing.
_SAFE_MAGNITUDE = (2.0**-450, 2.0**450)


def magnitude_exponent(top):
    """For each largest magnitude in ``top``: 0 where it is 0 or already safe, else the
    power of two e with top / 2^e in [0.5, 1)."""
    top = np.asarray(top)
    safe = (top >= _SAFE_MAGNITUDE[0]) & (top <= _SAFE_MAGNITUDE[1])
    return np.where(safe, 0, np.frexp(top)[1])


def range_exponent(*arrays: np.ndarray) -> int:
    """e such that the arrays divided by 2**e have a largest column range near 1 (the
    ranges of a pooled sample where the arrays share their columns).

    Kernel values depend on distances over sigma only, and a power of two divides without
    rounding, so dividing the samples and sigma by 2**e changes no bit of the result for
    data of ordinary scale, while data at 1e-155 (squared distances below the smallest
    float) or 1e155 (above the largest) get the value they have at scale 1. No value
    divided by 2**e passes 2^500, so the rules' sums, and the squares of a constant
    column's deviations from its rounded mean (an ulp, 2^448 at most), stay finite.
    """
    bounds = [(a.min(axis=0), a.max(axis=0)) for a in arrays]
    if len({a.shape[1] for a in arrays}) == 1:  # one pooled sample
        bounds = [(np.min([b[0] for b in bounds], axis=0), np.max([b[1] for b in bounds], axis=0))]
    top = max(float(np.max(np.maximum(-lo, hi))) for lo, hi in bounds)
    if not math.isfinite(top):
        return 0  # NaN or inf: refused by the core, which names the row and column
    with np.errstate(over="ignore"):
        span = max(float(np.max(hi - lo)) for lo, hi in bounds)
    if span == 0:
        return 0  # constant samples: the rules' own error says so
    return max(math.frexp(span if math.isfinite(span) else top)[1],
               math.frexp(top)[1] - 500)


def scaled(arr: np.ndarray, e: int) -> np.ndarray:
    """``arr / 2**e`` (itself where e = 0)."""
    return arr if e == 0 else np.ldexp(arr, -e)
