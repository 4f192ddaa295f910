"""Benchmarks of ``entrostat.discrete``, each beside its best-known alternative.

Every class measures one public function (or one family) of ``entrostat.discrete``:
``time_entrostat*`` methods call entrostat, the other ``time_*`` methods of the same class
compute the same number with NumPy / SciPy / scikit-learn on the same data, so the ratio
of two lines of ``asv run`` output is the speed-up. ``peakmem_*`` classes carry a
``peakmem_data_only`` baseline (setup alone) to subtract.

Data are built in ``setup`` from ``np.random.default_rng(0)``. Token streams are Zipf-like
(rank r drawn with probability ~ 1 / (r + 1), as word frequencies in text) over a 50 000
symbol vocabulary. entrostat uses all cores (``ENTROSTAT_NUM_THREADS``); the NumPy
alternatives run on one.
"""

from __future__ import annotations

import numpy as np
import scipy.special
import scipy.stats

import entrostat as es
from entrostat import _reference

VOCAB = 50_000
ESTIMATORS = ("plugin", "miller_madow", "grassberger", "chao_shen", "jackknife", "shrink",
              "nsb")


def rng():
    return np.random.default_rng(0)


def zipf_tokens(gen, n, vocab=VOCAB):
    """n token ids in [0, vocab) with P(rank r) ~ 1 / (r + 1) (Zipf, exponent 1)."""
    u = gen.random(n)
    return np.minimum(np.expm1(u * np.log1p(vocab)), vocab - 1).astype(np.int32)


def plugin_of_counts(counts):
    """SciPy's plug-in entropy of a histogram (nats)."""
    return scipy.stats.entropy(counts)


def numpy_mutual_info(x, y, nx, ny):
    """I(X;Y) from a dense joint histogram (the fastest NumPy route for small ranges)."""
    hxy = plugin_of_counts(np.bincount(x * ny + y, minlength=nx * ny))
    return plugin_of_counts(np.bincount(x)) + plugin_of_counts(np.bincount(y)) - hxy


def numpy_ngram_keys(seq, order, vocab=VOCAB):
    """Pack the overlapping n-grams of ``seq`` into int64 keys (base-``vocab`` digits)."""
    s = seq.astype(np.int64)
    n = s.shape[0] - order + 1
    keys = s[:n].copy()
    for j in range(1, order):
        keys *= vocab
        keys += s[j:j + n]
    return keys


def numpy_block_entropy(seq, order):
    keys = numpy_ngram_keys(seq, order)
    return plugin_of_counts(np.unique(keys, return_counts=True)[1])


def numpy_conditional_block_entropy(seq, order):
    keys = numpy_ngram_keys(seq, order)
    h = plugin_of_counts(np.unique(keys, return_counts=True)[1])
    hp = plugin_of_counts(np.unique(keys // VOCAB, return_counts=True)[1])
    return h - hp


def numpy_estimator(counts, estimator):
    """Vectorised NumPy/SciPy versions of the estimators (docs/estimators.md); counts > 0."""
    c = counts.astype(np.float64)
    n = c.sum()
    k = c.size
    p = c / n
    plugin = -np.sum(p * np.log(p))
    if estimator == "plugin":
        return plugin
    if estimator == "miller_madow":
        return plugin + (k - 1) / (2 * n)
    if estimator == "grassberger":
        sign = np.where(c % 2 == 0, 1.0, -1.0)
        g = scipy.special.digamma(c) + 0.5 * sign * (
            scipy.special.digamma((c + 1) / 2) - scipy.special.digamma(c / 2))
        return np.log(n) - np.sum(c * g) / n
    if estimator == "chao_shen":
        f1 = min(np.sum(c == 1), n - 1)
        pa = (1 - f1 / n) * p
        return -np.sum(pa * np.log(pa) / (1 - (1 - pa) ** n))
    if estimator == "jackknife":
        # H_J = H - (N-1)/N sum_i c_i (H_{-i} - H), the differences written out so that
        # nothing of size N * H cancels (accurate to ~1e-10 at N = 10^8).
        xlogx = scipy.special.xlogy(c, c)
        step = (xlogx - scipy.special.xlogy(c - 1, c - 1)) / (n - 1)
        diff = np.log1p(-1 / n) - xlogx.sum() / (n * (n - 1)) + step
        return plugin - (n - 1) / n * np.sum(c * diff)
    if estimator == "shrink":
        t = 1.0 / k
        lam = np.clip((1 - np.sum(p * p)) / ((n - 1) * np.sum((t - p) ** 2)), 0.0, 1.0)
        q = lam * t + (1 - lam) * p
        return -np.sum(q * np.log(q))
    if estimator == "nsb":
        return _reference.nsb(c)[0]
    raise ValueError(estimator)


def sklearn_metrics():
    """scikit-learn's metrics, imported in setup (a test dependency: missing is a failure,
    never a silently skipped comparison)."""
    from sklearn import metrics

    return metrics


# --------------------------------------------------------------------------- entropy


class PluginEntropyDense:
    """entropy(x): int32 labels in [0, 50 000) (dense counting), vs SciPy on np.bincount.

    ``time_numpy_sum`` (one pass over the data) is the memory-throughput yardstick.
    """

    params = [10**6, 10**8]
    param_names = ["n"]
    timeout = 600
    number = 1
    repeat = (1, 5, 30.0)

    def setup(self, n):
        self.x = rng().integers(0, VOCAB, n, dtype=np.int32)

    def time_entrostat(self, n):
        es.entropy(self.x)

    def time_scipy_bincount(self, n):
        scipy.stats.entropy(np.bincount(self.x))

    def time_numpy_sum(self, n):
        self.x.sum()


class HashedEntropy:
    """entropy(x): 10^7 uint64 labels, 10^6 distinct values spread over the uint64 range
    (hashed counting), vs np.unique(return_counts=True) + SciPy."""

    timeout = 600
    number = 1
    repeat = (1, 5, 30.0)

    def setup(self):
        gen = rng()
        values = gen.integers(0, 2**64 - 1, 10**6, dtype=np.uint64, endpoint=True)
        self.x = values[gen.integers(0, values.size, 10**7)]

    def time_entrostat(self):
        es.entropy(self.x)

    def time_numpy_unique_scipy(self):
        scipy.stats.entropy(np.unique(self.x, return_counts=True)[1])


class EntropyFromCountsBatched:
    """entropy_from_counts: 1000 histograms of 5000 bins at once, vs scipy.stats.entropy."""

    params = ["int64", "float64"]
    param_names = ["dtype"]

    def setup(self, dtype):
        self.counts = rng().poisson(3.0, (1000, 5000)).astype(dtype)

    def time_entrostat(self, dtype):
        es.entropy_from_counts(self.counts, axis=-1)

    def time_scipy(self, dtype):
        scipy.stats.entropy(self.counts, axis=-1)


class Estimators:
    """Every estimator on the histogram of 10^6 Zipf tokens (~30 000 distinct symbols).

    ``time_entrostat_counts`` (entropy_from_counts) vs ``time_numpy_counts`` (vectorised
    NumPy/SciPy formulas; NSB: the SciPy-quadrature reference); ``time_entrostat_labels``
    adds the counting (entropy(x, estimator=...)).
    """

    params = list(ESTIMATORS)
    param_names = ["estimator"]
    timeout = 300

    def setup(self, estimator):
        self.x = zipf_tokens(rng(), 10**6)
        counts = np.bincount(self.x)
        self.counts = counts[counts > 0]

    def time_entrostat_counts(self, estimator):
        es.entropy_from_counts(self.counts, estimator=estimator)

    def time_numpy_counts(self, estimator):
        numpy_estimator(self.counts, estimator)

    def time_entrostat_labels(self, estimator):
        es.entropy(self.x, estimator=estimator)


class SparseRows:
    """entropy_from_counts of a SciPy CSR document-term matrix (200 000 documents, 50 000
    terms, ~50 stored counts per document, 10^7 in all), read as stored, vs NumPy on the
    stored counts (np.add.reduceat of c ln c and of c per row; no dense form fits)."""

    timeout = 300

    def setup(self):
        import scipy.sparse

        g = rng()
        rows, cols = 200_000, VOCAB
        indptr = np.r_[0, np.cumsum(g.poisson(50, rows))]
        terms = g.integers(0, cols, indptr[-1])
        counts = g.integers(1, 20, indptr[-1])
        self.m = scipy.sparse.csr_matrix((counts, terms, indptr), shape=(rows, cols))
        self.m.sum_duplicates()

    def time_entrostat(self):
        es.entropy_from_counts(self.m)

    def time_numpy_reduceat(self):
        numpy_sparse_row_entropy(self.m)


def numpy_sparse_row_entropy(m):
    """Plug-in entropy (nats) of each row of a CSR count matrix with no empty row."""
    c = m.data.astype(np.float64)
    starts = m.indptr[:-1]
    n = np.add.reduceat(c, starts)
    return np.log(n) - np.add.reduceat(c * np.log(c), starts) / n


class RenyiEntropy:
    """renyi_entropy(x, alpha): 10^7 labels in [0, 50 000), vs NumPy on np.bincount."""

    params = [0.5, 2.0, float("inf")]
    param_names = ["alpha"]
    timeout = 300

    def setup(self, alpha):
        self.x = rng().integers(0, VOCAB, 10**7, dtype=np.int32)

    def time_entrostat(self, alpha):
        es.renyi_entropy(self.x, alpha)

    def time_numpy_bincount(self, alpha):
        c = np.bincount(self.x)
        p = c[c > 0] / self.x.size
        if np.isinf(alpha):
            return -np.log(p.max())
        return np.log(np.sum(p**alpha)) / (1 - alpha)


class TsallisEntropy:
    """tsallis_entropy(x, q=2): 10^7 labels in [0, 50 000), vs NumPy on np.bincount."""

    timeout = 300

    def setup(self):
        self.x = rng().integers(0, VOCAB, 10**7, dtype=np.int32)

    def time_entrostat(self):
        es.tsallis_entropy(self.x, 2.0)

    def time_numpy_bincount(self):
        c = np.bincount(self.x)
        p = c[c > 0] / self.x.size
        return (1 - np.sum(p**2)) / (2.0 - 1)


# --------------------------------------------------------------------------- joint


class JointEntropy2D:
    """joint_entropy of a (10^7, 2) int32 array (columns in [0, 1000)), vs NumPy:
    np.ravel_multi_index + np.bincount + SciPy (the fastest route for small ranges)."""

    timeout = 300

    def setup(self):
        self.xy = rng().integers(0, 1000, (10**7, 2), dtype=np.int32)

    def time_entrostat(self):
        es.joint_entropy(self.xy)

    def time_numpy_ravel_bincount(self):
        codes = np.ravel_multi_index((self.xy[:, 0], self.xy[:, 1]), (1000, 1000))
        scipy.stats.entropy(np.bincount(codes))


class ConditionalEntropy:
    """conditional_entropy(x, given=y): 10^7 labels (x in [0, 1000), y in [0, 500)),
    vs H(X,Y) - H(Y) from np.bincount."""

    timeout = 300

    def setup(self):
        gen = rng()
        self.x = gen.integers(0, 1000, 10**7)
        self.y = (self.x // 2 + gen.integers(0, 50, 10**7)) % 500

    def time_entrostat(self):
        es.conditional_entropy(self.x, self.y)

    def time_numpy_bincount(self):
        hxy = plugin_of_counts(np.bincount(self.x * 500 + self.y))
        return hxy - plugin_of_counts(np.bincount(self.y))


class _MutualInfoData:
    params = [10**6, 10**7]
    param_names = ["n"]
    timeout = 600
    number = 1
    repeat = (1, 3, 30.0)

    def setup(self, n):
        self.metrics = sklearn_metrics()
        gen = rng()
        self.x = gen.integers(0, 1000, n)
        self.y = (self.x // 2 + gen.integers(0, 50, n)) % 500


class MutualInfo(_MutualInfoData):
    """mutual_info(x, y): x in [0, 1000), y a noisy function of x in [0, 500), vs
    sklearn.metrics.mutual_info_score and a NumPy joint bincount."""

    def time_entrostat(self, n):
        es.mutual_info(self.x, self.y)

    def time_sklearn(self, n):
        self.metrics.mutual_info_score(self.x, self.y)

    def time_numpy_bincount(self, n):
        numpy_mutual_info(self.x, self.y, 1000, 500)


class NormalizedMutualInfo(_MutualInfoData):
    """normalized_mutual_info(x, y) (arithmetic mean), vs
    sklearn.metrics.normalized_mutual_info_score."""

    def time_entrostat(self, n):
        es.normalized_mutual_info(self.x, self.y)

    def time_sklearn(self, n):
        self.metrics.normalized_mutual_info_score(self.x, self.y)


class ConditionalMutualInfo:
    """conditional_mutual_info(x, y, given=z): 10^7 labels, x, y in [0, 100), z in [0, 50),
    vs H(X,Z) + H(Y,Z) - H(X,Y,Z) - H(Z) from np.bincount."""

    timeout = 300

    def setup(self):
        gen = rng()
        self.z = gen.integers(0, 50, 10**7)
        self.x = (self.z + gen.integers(0, 60, 10**7)) % 100
        self.y = (self.z * 2 + gen.integers(0, 60, 10**7)) % 100

    def time_entrostat(self):
        es.conditional_mutual_info(self.x, self.y, self.z)

    def time_numpy_bincount(self):
        x, y, z = self.x, self.y, self.z
        xz = plugin_of_counts(np.bincount(x * 50 + z))
        yz = plugin_of_counts(np.bincount(y * 50 + z))
        xyz = plugin_of_counts(np.bincount((x * 100 + y) * 50 + z))
        return xz + yz - xyz - plugin_of_counts(np.bincount(z))


# --------------------------------------------------------------------------- n-grams


class NgramEntropyOrder3:
    """block_entropy and conditional_block_entropy of order 3 on 10^7 Zipf tokens
    (50 000 vocabulary), vs NumPy: trigrams packed into int64 keys, then
    np.unique(return_counts=True) (and the same for the bigram prefixes).

    ``time_entrostat_ngramcounts_10_chunks``: the streaming NgramCounts fed 10 chunks.
    """

    timeout = 600
    number = 1
    repeat = (1, 3, 60.0)

    def setup(self):
        self.seq = zipf_tokens(rng(), 10**7)

    def time_entrostat_block_entropy(self):
        es.block_entropy(self.seq, 3)

    def time_numpy_block_entropy(self):
        numpy_block_entropy(self.seq, 3)

    def time_entrostat_conditional_block_entropy(self):
        es.conditional_block_entropy(self.seq, 3)

    def time_numpy_conditional_block_entropy(self):
        numpy_conditional_block_entropy(self.seq, 3)

    def time_entrostat_ngramcounts_10_chunks(self):
        counts = es.NgramCounts(3)
        for chunk in np.array_split(self.seq, 10):
            counts.update(chunk)
        counts.conditional_entropy()


# --------------------------------------------------------------------------- streaming


class CountsStreaming:
    """Counts.update over 10 chunks of 10^7 labels in [0, 50 000), then .entropy(), vs
    accumulating np.bincount(chunk, minlength=...) + SciPy; and one-shot entropy(x)."""

    timeout = 300

    def setup(self):
        self.x = rng().integers(0, VOCAB, 10**7, dtype=np.int32)
        self.chunks = np.array_split(self.x, 10)

    def time_entrostat_counts_update(self):
        counts = es.Counts()
        for chunk in self.chunks:
            counts.update(chunk)
        counts.entropy()

    def time_numpy_bincount_accumulate(self):
        total = np.zeros(VOCAB, dtype=np.int64)
        for chunk in self.chunks:
            total += np.bincount(chunk, minlength=VOCAB)
        scipy.stats.entropy(total)

    def time_entrostat_one_shot(self):
        es.entropy(self.x)


# --------------------------------------------------------------------------- memory


class PeakMemDenseEntropy:
    """Peak RSS of entropy(x) on 10^8 int32 labels (400 MB) vs SciPy on np.bincount
    (which converts the labels to intp first). Subtract peakmem_data_only."""

    timeout = 600

    def setup(self):
        self.x = rng().integers(0, VOCAB, 10**8, dtype=np.int32)

    def peakmem_data_only(self):
        pass

    def peakmem_entrostat(self):
        es.entropy(self.x)

    def peakmem_scipy_bincount(self):
        scipy.stats.entropy(np.bincount(self.x))


class PeakMemConditionalBlockEntropy:
    """Peak RSS of conditional_block_entropy(seq, 3) on 10^7 Zipf tokens vs the NumPy
    packed-key np.unique route. Subtract peakmem_data_only."""

    timeout = 600

    def setup(self):
        self.seq = zipf_tokens(rng(), 10**7)

    def peakmem_data_only(self):
        pass

    def peakmem_entrostat(self):
        es.conditional_block_entropy(self.seq, 3)

    def peakmem_entrostat_ngramcounts_10_chunks(self):
        counts = es.NgramCounts(3)
        for chunk in np.array_split(self.seq, 10):
            counts.update(chunk)
        counts.conditional_entropy()

    def peakmem_numpy_unique(self):
        numpy_conditional_block_entropy(self.seq, 3)
