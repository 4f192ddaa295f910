"""Benchmarks of the Cauchy-Schwarz estimators on continuous samples.

``time_entrostat*`` methods call entrostat; ``time_numpy_*`` methods of the same class
compute the same number with NumPy / SciPy on the same data (blocked
``scipy.spatial.distance.cdist(..., "sqeuclidean")`` + ``np.exp``, the fastest
straightforward route that fits in memory), so the ratio of two lines of ``asv run``
output is the speed-up. Data come from ``np.random.default_rng(0)``. entrostat uses all
cores (``ENTROSTAT_NUM_THREADS``); NumPy runs on one.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

from entrostat import _reference as ref
from entrostat import divergence as _kernel

BLOCK = 1024


def rng():
    return np.random.default_rng(0)


def blocked_kernel_sum(a, b, sigma):
    """sum_ij exp(-|a_i - b_j|^2 / (4 sigma^2)), BLOCK rows of ``a`` at a time."""
    scale = -0.25 / sigma**2
    return sum(float(np.exp(cdist(a[i:i + BLOCK], b, "sqeuclidean") * scale).sum())
               for i in range(0, a.shape[0], BLOCK))


def numpy_cs_divergence(x, y, sigma):
    vxx = blocked_kernel_sum(x, x, sigma) / x.shape[0] ** 2
    vyy = blocked_kernel_sum(y, y, sigma) / y.shape[0] ** 2
    vxy = blocked_kernel_sum(x, y, sigma) / (x.shape[0] * y.shape[0])
    return np.log(vxx) + np.log(vyy) - 2 * np.log(vxy)


def numpy_cs_mutual_info(x, y, sx, sy):
    n = x.shape[0]
    sj = rx_ry = tx = ty = 0.0
    for i in range(0, n, BLOCK):
        kx = np.exp(cdist(x[i:i + BLOCK], x, "sqeuclidean") * (-0.25 / sx**2))
        ky = np.exp(cdist(y[i:i + BLOCK], y, "sqeuclidean") * (-0.25 / sy**2))
        rx, ry = kx.sum(axis=1), ky.sum(axis=1)
        sj += float(np.einsum("ij,ij->", kx, ky))
        rx_ry += float(rx @ ry)
        tx += float(rx.sum())
        ty += float(ry.sum())
    return np.log(sj / n**2) + np.log(tx * ty / n**4) - 2 * np.log(rx_ry / n**3)


class CsDivergenceExact:
    """cs_divergence_samples(x, y): n = m = 20 000 points in d = 8, exact pair sums, vs
    blocked cdist + np.exp (same result to ~1e-15)."""

    timeout = 600
    number = 1
    repeat = (1, 3, 120.0)

    def setup(self):
        gen = rng()
        self.x = gen.normal(size=(20_000, 8))
        self.y = gen.normal(0.3, 1.2, size=(20_000, 8))
        self.sigma = ref.cs_bandwidth([self.x, self.y], "silverman")

    def time_entrostat(self):
        _kernel.cs_divergence_samples(self.x, self.y)

    def time_numpy_cdist(self):
        numpy_cs_divergence(self.x, self.y, self.sigma)


class CsDivergenceRff:
    """cs_divergence_samples(..., method="rff"): n = m = 10^6 points in d = 8 with 2048
    random frequencies (exact pair sums would take ~1000x longer)."""

    timeout = 600
    number = 1
    repeat = (1, 3, 120.0)

    def setup(self):
        gen = rng()
        self.x = gen.normal(size=(10**6, 8))
        self.y = gen.normal(0.3, 1.2, size=(10**6, 8))

    def time_entrostat_rff(self):
        _kernel.cs_divergence_samples(self.x, self.y, method="rff", n_features=2048)


class CsMutualInfo:
    """cs_mutual_info(x, y): n = 20 000 pairs, x in d = 4, y in d = 2, vs blocked cdist
    Gram rows with NumPy."""

    timeout = 600
    number = 1
    repeat = (1, 3, 120.0)

    def setup(self):
        gen = rng()
        self.x = gen.normal(size=(20_000, 4))
        self.y = np.sin(self.x[:, :2]) + 0.5 * gen.normal(size=(20_000, 2))
        self.sx = ref.cs_bandwidth([self.x], "silverman")
        self.sy = ref.cs_bandwidth([self.y], "silverman")

    def time_entrostat(self):
        _kernel.cs_mutual_info(self.x, self.y)

    def time_numpy_cdist(self):
        numpy_cs_mutual_info(self.x, self.y, self.sx, self.sy)
