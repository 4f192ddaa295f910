"""Benchmarks of the Dask backend (``entrostat._dask``), beside Dask's own routes.

Dask arrays of 2 x 10^7 Zipf-like labels (vocabulary 50 000) in 20 blocks, computed on
Dask's default (threaded) scheduler: entrostat's lazy ``entropy`` and ``mutual_info``
(per-block counts from the core, merged by a tree) against the same numbers from Dask
and NumPy: ``da.bincount`` for a histogram (the fastest Dask route for small
non-negative labels), and for the pairs, whose 2.5 x 10^9 possible values no dense
histogram holds, ``np.unique(return_counts=True)`` per block on int64 pair keys, merged
eight at a time (entrostat's tree) by ``np.unique`` with summed counts.
(``da.unique(return_counts=True)`` took 20 s for 2 x 10^6 labels: not the alternative.)
"""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np
import scipy.stats

import entrostat as es

from .bench_discrete import VOCAB, rng, zipf_tokens

N = 2 * 10**7
BLOCK = 10**6


def dask_bincount_entropy(x):
    """Plug-in entropy (nats) of non-negative labels below VOCAB, lazily."""
    return dask.delayed(scipy.stats.entropy)(da.bincount(x, minlength=VOCAB))


def _block_pairs(x, y):
    return np.unique(x.astype(np.int64) * VOCAB + y, return_counts=True)


def _merge_pairs(*parts):
    keys, inverse = np.unique(np.concatenate([p[0] for p in parts]), return_inverse=True)
    return keys, np.bincount(inverse, weights=np.concatenate([p[1] for p in parts]))


def dask_numpy_mutual_info(x, y):
    parts = [dask.delayed(_block_pairs)(a, b)
             for a, b in zip(x.to_delayed().ravel(), y.to_delayed().ravel(), strict=True)]
    while len(parts) > 1:  # the tree of entrostat's Dask path: fan-in 8
        parts = [dask.delayed(_merge_pairs)(*parts[i:i + 8]) for i in range(0, len(parts), 8)]
    hx, hy, joint = dask.compute(dask_bincount_entropy(x), dask_bincount_entropy(y), parts[0])
    return hx + hy - scipy.stats.entropy(joint[1])


class DaskDiscrete:
    timeout = 600
    number = 1
    repeat = (1, 3, 30.0)

    def setup(self):
        gen = rng()
        x = zipf_tokens(gen, N)
        y = (x + zipf_tokens(gen, N) % 7) % VOCAB
        self.x = da.from_array(x, chunks=BLOCK)
        self.y = da.from_array(y, chunks=BLOCK)
        h = es.entropy(self.x).compute()
        assert np.isclose(h, dask_bincount_entropy(self.x).compute(), rtol=1e-9)
        mi = es.mutual_info(self.x, self.y).compute()
        assert np.isclose(mi, dask_numpy_mutual_info(self.x, self.y), rtol=1e-9)

    def time_entrostat_entropy(self):
        es.entropy(self.x).compute()

    def time_dask_bincount_entropy(self):
        dask_bincount_entropy(self.x).compute()

    def time_entrostat_mutual_info(self):
        es.mutual_info(self.x, self.y).compute()

    def time_dask_numpy_mutual_info(self):
        dask_numpy_mutual_info(self.x, self.y)
