"""Benchmarks of ``entrostat.divergence`` on distributions, each beside SciPy / NumPy.

``time_entrostat`` calls entrostat; the other ``time_*`` methods of the same class
compute the same numbers with SciPy or NumPy on the same rows, so the ratio of two lines
of ``asv run`` output is the speed-up. ``peakmem_*`` methods include the data (see
``peakmem_data_only``): SciPy's route builds a temporary as large as the input.
Rows are Dirichlet-like (uniform draws normalised) from ``np.random.default_rng(0)``.
"""

from __future__ import annotations

import numpy as np
import scipy.spatial.distance
import scipy.special
import scipy.stats

import entrostat as es


def prob_rows(rows, cols, dtype, seed):
    """``rows`` probability vectors of ``cols`` entries (normalised uniform draws)."""
    x = np.random.default_rng(seed).random((rows, cols), dtype=dtype)
    x /= x.sum(axis=-1, keepdims=True)
    return x


class KLDivergenceRows:
    """kl_divergence of 10^4 x 32 000 float32 rows (summing to one) vs rel_entr + sum."""

    timeout = 900
    number = 1
    repeat = (1, 3, 60.0)

    def setup(self):
        self.p = prob_rows(10**4, 32_000, np.float32, 0)
        self.q = prob_rows(10**4, 32_000, np.float32, 1)

    def time_entrostat(self):
        es.kl_divergence(self.p, self.q, normalize=False)

    def time_scipy_rel_entr(self):
        scipy.special.rel_entr(self.p, self.q).sum(axis=-1)

    def peakmem_entrostat(self):
        es.kl_divergence(self.p, self.q, normalize=False)

    def peakmem_scipy_rel_entr(self):
        scipy.special.rel_entr(self.p, self.q).sum(axis=-1)

    def peakmem_data_only(self):
        pass


class RowDivergences:
    """The other divergences on 2 000 x 32 000 float64 rows (normalised by both sides)."""

    params = ["js_divergence", "js_distance", "cross_entropy", "cs_divergence", "hellinger",
              "total_variation"]
    param_names = ["divergence"]
    timeout = 600
    number = 1
    repeat = (1, 3, 30.0)

    def setup(self, divergence):
        self.p = prob_rows(2_000, 32_000, np.float64, 2)
        self.q = prob_rows(2_000, 32_000, np.float64, 3)

    def time_entrostat(self, divergence):
        getattr(es, divergence)(self.p, self.q)

    def time_scipy_numpy(self, divergence):
        p, q = self.p, self.q
        if divergence == "js_divergence":
            scipy.spatial.distance.jensenshannon(p, q, axis=-1) ** 2
        elif divergence == "js_distance":
            scipy.spatial.distance.jensenshannon(p, q, axis=-1)
        elif divergence == "cross_entropy":
            -scipy.special.xlogy(p, q).sum(axis=-1)
        elif divergence == "cs_divergence":
            -np.log((p * q).sum(-1) ** 2 / ((p * p).sum(-1) * (q * q).sum(-1)))
        elif divergence == "hellinger":
            np.sqrt(0.5 * ((np.sqrt(p) - np.sqrt(q)) ** 2).sum(-1))
        else:
            0.5 * np.abs(p - q).sum(-1)


class RenyiDivergence:
    """renyi_divergence(alpha=2.5) of 2 000 x 32 000 float64 rows vs NumPy powers."""

    timeout = 600
    number = 1
    repeat = (1, 3, 30.0)

    def setup(self):
        self.p = prob_rows(2_000, 32_000, np.float64, 4)
        self.q = prob_rows(2_000, 32_000, np.float64, 5)

    def time_entrostat(self):
        es.renyi_divergence(self.p, self.q, 2.5)

    def time_numpy(self):
        np.log((self.p**2.5 * self.q**-1.5).sum(-1)) / 1.5


def zipf_labels(n, vocab, seed):
    """n Zipf-like labels in [0, vocab) (int32, as token ids come)."""
    from .bench_discrete import zipf_tokens

    return zipf_tokens(np.random.default_rng(seed), n, vocab)


def bincount_pair(x, y, pseudocount):
    """The NumPy route to two label histograms over a shared alphabet: ``np.bincount``
    (the fastest for small non-negative labels), plus the pseudo-count, restricted to the
    values seen in either sample."""
    m = int(max(x.max(), y.max())) + 1
    px = np.bincount(x, minlength=m) + pseudocount
    py = np.bincount(y, minlength=m) + pseudocount
    seen = (px > pseudocount) | (py > pseudocount)
    return px[seen], py[seen]


class LabelDivergences:
    """kl_divergence_labels (pseudo-count 0.5), js_divergence_labels and
    cross_entropy_labels (pseudo-count 1) between two samples of 10^7 Zipf-like labels over
    50 000 values, vs ``np.bincount`` histograms and ``scipy.stats.entropy`` /
    ``scipy.spatial.distance.jensenshannon`` / ``scipy.special.xlogy``."""

    params = ["kl", "js", "cross_entropy"]
    param_names = ["divergence"]
    timeout = 300
    number = 1
    repeat = (1, 5, 30.0)

    def setup(self, divergence):
        self.x = zipf_labels(10**7, 50_000, 6)
        self.y = zipf_labels(10**7, 50_000, 7)
        ours, theirs = self._entrostat(divergence), self._numpy_scipy(divergence)
        if not abs(ours - theirs) <= 1e-12 * abs(theirs) + 1e-15:
            raise AssertionError(f"{divergence}: entrostat {ours!r}, NumPy/SciPy {theirs!r}")

    def _entrostat(self, divergence):
        x, y = self.x, self.y
        if divergence == "kl":
            return es.kl_divergence_labels(x, y, pseudocount=0.5)
        if divergence == "js":
            return es.js_divergence_labels(x, y)
        return es.cross_entropy_labels(x, y, pseudocount=1.0)

    def _numpy_scipy(self, divergence):
        if divergence == "kl":
            return scipy.stats.entropy(*bincount_pair(self.x, self.y, 0.5))
        if divergence == "js":
            return scipy.spatial.distance.jensenshannon(*bincount_pair(self.x, self.y, 0)) ** 2
        px, py = bincount_pair(self.x, self.y, 1.0)
        return -scipy.special.xlogy(px / px.sum(), py / py.sum()).sum()

    def time_entrostat(self, divergence):
        self._entrostat(divergence)

    def time_numpy_scipy(self, divergence):
        self._numpy_scipy(divergence)
