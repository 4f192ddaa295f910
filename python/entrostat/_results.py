"""Result types: an estimate that carries its uncertainty and behaves like a float."""

from __future__ import annotations

import math
import numbers
import operator
from dataclasses import dataclass

import numpy as np


def _binary(op):
    def forward(self, other):
        return op(self.value, float(other)) if _is_number(other) else NotImplemented

    def reverse(self, other):
        return op(float(other), self.value) if _is_number(other) else NotImplemented

    return forward, reverse


def _is_number(x) -> bool:
    """Real numbers (Python, NumPy, another Estimate); never strings."""
    return isinstance(x, (numbers.Real, np.number, Estimate))


@dataclass(frozen=True, eq=False)
class Estimate:
    """A point estimate with its uncertainty.

    Attributes
    ----------
    value : float
        The estimate.
    stderr : float
        Its standard error (for NSB: the posterior standard deviation), NaN if unknown.
    ci : tuple of float
        A (low, high) interval; for NSB, value +/- 1.96 stderr.
    n : int
        Number of observations behind the estimate.
    pvalue : float or None
        Permutation-test p-value, where one was asked for.

    ``float(est)`` gives ``est.value``, and arithmetic and comparisons use it, so an
    Estimate can stand wherever a float is expected.
    """

    value: float
    stderr: float = math.nan
    ci: tuple[float, float] = (math.nan, math.nan)
    n: int = 0
    pvalue: float | None = None

    def __float__(self) -> float:
        return float(self.value)

    def __repr__(self) -> str:
        return f"Estimate(value={self.value:.6g}, stderr={self.stderr:.3g}, n={self.n})"

    __add__, __radd__ = _binary(operator.add)
    __sub__, __rsub__ = _binary(operator.sub)
    __mul__, __rmul__ = _binary(operator.mul)
    __truediv__, __rtruediv__ = _binary(operator.truediv)
    __pow__, __rpow__ = _binary(operator.pow)
    __floordiv__, __rfloordiv__ = _binary(operator.floordiv)
    __mod__, __rmod__ = _binary(operator.mod)
    __divmod__, __rdivmod__ = _binary(divmod)

    def __format__(self, spec: str) -> str:
        return format(self.value, spec)

    def __round__(self, ndigits=None):
        return round(self.value, ndigits)

    def __int__(self) -> int:
        return int(self.value)

    def __trunc__(self) -> int:
        return math.trunc(self.value)

    def __floor__(self) -> int:
        return math.floor(self.value)

    def __ceil__(self) -> int:
        return math.ceil(self.value)

    def __bool__(self) -> bool:
        return bool(self.value)

    def __array__(self, dtype=None, copy=None):
        """NumPy sees the value, so ufuncs such as ``np.log(est)`` work."""
        return np.asarray(self.value, dtype=dtype)

    def __neg__(self) -> float:
        return -self.value

    def __abs__(self) -> float:
        return abs(self.value)

    def __eq__(self, other):
        if isinstance(other, Estimate):
            return (self.value, self.stderr, self.ci, self.n, self.pvalue) == (
                other.value, other.stderr, other.ci, other.n, other.pvalue)
        return self.value == float(other) if _is_number(other) else NotImplemented

    def __hash__(self) -> int:
        return hash(self.value)

    def __lt__(self, other):
        return self.value < float(other) if _is_number(other) else NotImplemented

    def __le__(self, other):
        return self.value <= float(other) if _is_number(other) else NotImplemented

    def __gt__(self, other):
        return self.value > float(other) if _is_number(other) else NotImplemented

    def __ge__(self, other):
        return self.value >= float(other) if _is_number(other) else NotImplemented


def normal_interval(value: float, stderr: float, level: float = 0.95) -> tuple[float, float]:
    """Two-sided normal interval value +/- z * stderr."""
    from statistics import NormalDist

    z = NormalDist().inv_cdf(0.5 + level / 2.0)
    return (value - z * stderr, value + z * stderr)
