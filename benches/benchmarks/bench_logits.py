"""Benchmarks of ``entrostat.logits``, each beside the NumPy / SciPy route to the same numbers.

``time_entrostat`` calls entrostat; the other ``time_*`` methods of the same class compute
the same quantities with NumPy / SciPy on the same data, so the ratio of two lines of
``asv run`` output is the speed-up; ``LogitsStats.track_speedup_vs_numpy_chunked`` times
both sides in the same process, interleaved, and returns (NumPy time) / (entrostat time)
against the faster NumPy route (the whole-array one is slower still). ``peakmem_*``
methods include the data (see ``peakmem_data_only``): the whole-array NumPy route builds
several temporaries as large as the logits, the row-chunked one and entrostat do not.

Data come from ``np.random.default_rng(0)``; the large arrays repeat a block of freshly drawn
rows (values do not change the work done, and drawing 10^8 numbers would dominate setup).
``setup`` checks on a slice that entrostat and the alternative give the same numbers.
``asv run --quick --bench bench_logits`` takes about a minute on 2 idle cores.
"""

from __future__ import annotations

import time

import ml_dtypes
import numpy as np
import scipy.special

from entrostat import logits as lg

ROWS, VOCAB = 4096, 32_000
CHUNK_ROWS = 64


def rng():
    return np.random.default_rng(0)


def logit_rows(rows, vocab, block=256):
    """``rows`` x ``vocab`` float32 logits (3 * N(0, 1)): ``block`` drawn rows, repeated."""
    x = (3.0 * rng().standard_normal((block, vocab), dtype=np.float32)).astype(np.float32)
    return np.tile(x, (rows // block, 1))


def numpy_stats(x, t):
    """entropy, varentropy, logsumexp, max_prob, nll and rank of each row of ``x`` (targets
    ``t``) with ``scipy.special.log_softmax`` and NumPy sums over the whole array."""
    lp = scipy.special.log_softmax(x, axis=-1)
    p = np.exp(lp)
    h = -(p * lp).sum(axis=-1)
    col = t[:, None]
    return {
        "entropy": h,
        "varentropy": (p * (lp + h[:, None]) ** 2).sum(axis=-1),
        "logsumexp": x[:, 0] - lp[:, 0],
        "max_prob": np.exp(lp.max(axis=-1)),
        "nll": -np.take_along_axis(lp, col, axis=-1)[:, 0],
        "rank": 1 + (x > np.take_along_axis(x, col, axis=-1)).sum(axis=-1),
    }


def numpy_stats_chunked(x, t, rows=CHUNK_ROWS):
    """``numpy_stats`` on blocks of ``rows`` rows (temporaries of ``rows`` x V only)."""
    parts = [numpy_stats(x[i : i + rows], t[i : i + rows]) for i in range(0, len(x), rows)]
    return {key: np.concatenate([part[key] for part in parts]) for key in parts[0]}


def assert_agree(name, ours, theirs, rtol=1e-4, atol=1e-4):
    for key, want in theirs.items():
        got = np.asarray(ours[key])
        if not np.allclose(got, want, rtol=rtol, atol=atol):
            worst = int(np.argmax(np.abs(got - want)))
            raise AssertionError(
                f"{name} {key}: entrostat gives {got.flat[worst]!r}, "
                f"the alternative {np.asarray(want).flat[worst]!r} (index {worst})"
            )


def best_time(fn):
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def speedup(alternative, ours, repeat=1):
    """(fastest time of ``alternative``) / (fastest time of ``ours``) over ``repeat``
    interleaved runs of each."""
    t_alt, t_ours = [], []
    for _ in range(repeat):
        t_alt.append(best_time(alternative))
        t_ours.append(best_time(ours))
    return min(t_alt) / min(t_ours)


# --------------------------------------------------------------------------- stats


class LogitsStats:
    """logits.stats(x, targets) of 4096 x 32 000 float32 logits (entropy, varentropy,
    logsumexp, max_prob, nll, rank) vs ``scipy.special.log_softmax`` + NumPy sums on the whole
    array, and the same NumPy code on blocks of 64 rows."""

    timeout = 600
    number = 1
    repeat = (1, 3, 60.0)

    def setup(self):
        self.x = logit_rows(ROWS, VOCAB)
        self.t = rng().integers(VOCAB, size=ROWS)
        head = slice(0, 2 * CHUNK_ROWS)
        ours = lg.stats(self.x[head], self.t[head])
        assert_agree("stats", ours, numpy_stats(self.x[head], self.t[head]))

    def _entrostat(self):
        lg.stats(self.x, self.t)

    def _numpy(self):
        numpy_stats(self.x, self.t)

    def _numpy_chunked(self):
        numpy_stats_chunked(self.x, self.t)

    def time_entrostat(self):
        self._entrostat()

    def time_numpy(self):
        self._numpy()

    def time_numpy_chunked(self):
        self._numpy_chunked()

    def track_speedup_vs_numpy_chunked(self):
        return speedup(self._numpy_chunked, self._entrostat)

    track_speedup_vs_numpy_chunked.unit = "x"

    def peakmem_entrostat(self):
        self._entrostat()

    def peakmem_numpy(self):
        self._numpy()

    def peakmem_numpy_chunked(self):
        self._numpy_chunked()

    def peakmem_data_only(self):
        pass


# --------------------------------------------------------------------------- linear CE


class LinearCrossEntropy:
    """logits.linear_cross_entropy(hidden, weight, targets) with hidden 8192 x 1024 and weight
    32 000 x 1024 float32 (default chunk), the logits never materialised, vs the matmul
    ``hidden @ weight.T`` alone (1 GiB of logits; a lower bound for any route that builds
    them), and the peak memory of both."""

    timeout = 600
    number = 1
    repeat = (1, 3, 60.0)

    def setup(self):
        n, d = 8192, 1024
        gen = rng()
        self.hidden = gen.standard_normal((n, d), dtype=np.float32)
        self.weight = gen.standard_normal((VOCAB, d), dtype=np.float32)
        self.weight *= np.float32(3.0 / np.sqrt(d))
        self.t = gen.integers(VOCAB, size=n)
        head = slice(0, CHUNK_ROWS)
        z = self.hidden[head].astype(np.float64) @ self.weight.T.astype(np.float64)
        lp = scipy.special.log_softmax(z, axis=-1)
        want = {
            "entropy": -(np.exp(lp) * lp).sum(axis=-1),
            "logsumexp": scipy.special.logsumexp(z, axis=-1),
            "cross_entropy": -np.take_along_axis(lp, self.t[head, None], axis=-1)[:, 0],
        }
        ours = lg.linear_cross_entropy(self.hidden[head], self.weight, self.t[head])
        assert_agree("linear_cross_entropy", ours, want)

    def time_entrostat(self):
        lg.linear_cross_entropy(self.hidden, self.weight, self.t)

    def time_numpy_matmul_only(self):
        self.hidden @ self.weight.T

    def peakmem_entrostat(self):
        lg.linear_cross_entropy(self.hidden, self.weight, self.t)

    def peakmem_numpy_matmul_only(self):
        self.hidden @ self.weight.T

    def peakmem_data_only(self):
        pass


# --------------------------------------------------------------------------- float_entropy


BF16_FIELDS = (2, 256, 128)  # sign, exponent, mantissa values of a bfloat16 bit pattern


def entropy_bits(counts):
    c = counts[counts > 0].astype(np.float64)
    p = c / c.sum()
    return float(-(p * np.log2(p)).sum())


def numpy_float_entropy(bits):
    """Sign, exponent, mantissa and value entropies (bits) of bfloat16 bit patterns from one
    ``np.bincount`` of the patterns (65 536 counts), summed down to each field."""
    counts = np.bincount(bits.ravel(), minlength=1 << 16).reshape(BF16_FIELDS)
    return {
        "sign_entropy": entropy_bits(counts.sum(axis=(1, 2))),
        "exponent_entropy": entropy_bits(counts.sum(axis=(0, 2))),
        "mantissa_entropy": entropy_bits(counts.sum(axis=(0, 1))),
        "value_entropy": entropy_bits(counts.ravel()),
    }


class FloatEntropyBfloat16:
    """logits.float_entropy of 10^8 bfloat16 values (weights-like N(0, 0.02^2); a uint16 view
    with fmt="bfloat16") vs a NumPy ``bincount`` of the bit patterns."""

    timeout = 600
    number = 1
    repeat = (1, 3, 60.0)

    def setup(self):
        block = (0.02 * rng().standard_normal(10**7, dtype=np.float32)).astype(ml_dtypes.bfloat16)
        self.bits = np.tile(block.view(np.uint16), 10)
        head = self.bits[: 10**6]
        r = lg.float_entropy(head, fmt="bfloat16")
        ours = {
            key: getattr(r, key)
            for key in ("sign_entropy", "exponent_entropy", "mantissa_entropy", "value_entropy")
        }
        assert_agree("float_entropy", ours, numpy_float_entropy(head), rtol=1e-9, atol=1e-9)

    def _entrostat(self):
        lg.float_entropy(self.bits, fmt="bfloat16")

    def _numpy(self):
        numpy_float_entropy(self.bits)

    def time_entrostat(self):
        self._entrostat()

    def time_numpy_bincount(self):
        self._numpy()


# --------------------------------------------------------------------------- per-token series


class HighEntropyTokens:
    """logits.high_entropy_tokens(x, 0.8) of 4096 x 32 000 float32 logits (the top 20%
    "forking" tokens) vs ``log_softmax`` entropies on blocks of 64 rows + ``np.quantile``."""

    timeout = 600
    number = 1
    repeat = (1, 3, 60.0)

    def setup(self):
        self.x = logit_rows(ROWS, VOCAB)
        head = self.x[: 2 * CHUNK_ROWS]
        ours = lg.high_entropy_tokens(head)
        theirs = self._numpy_of(head)
        assert_agree("high_entropy_tokens", {"entropy": ours.entropy, "mask": ours.mask},
                     {"entropy": theirs[0], "mask": theirs[1]})

    @staticmethod
    def _numpy_of(x):
        h = numpy_stats_chunked(x, np.zeros(len(x), dtype=np.int64))["entropy"]
        return h, h >= np.quantile(h, 0.8)

    def time_entrostat(self):
        lg.high_entropy_tokens(self.x)

    def time_numpy_chunked(self):
        self._numpy_of(self.x)


class AttentionEntropy:
    """logits.attention_entropy of 16 heads x 1024 x 1024 float32 attention rows (softmax
    of 3 * N(0, 1) scores) vs NumPy: each row divided by its sum, then -sum p log p with
    ``scipy.special.entr``."""

    timeout = 300
    number = 1
    repeat = (1, 3, 30.0)

    def setup(self):
        scores = logit_rows(16 * 1024, 1024).reshape(16, 1024, 1024)
        self.w = scipy.special.softmax(scores, axis=-1).astype(np.float32)
        head = self.w[:1]
        assert_agree("attention_entropy", {"h": lg.attention_entropy(head)},
                     {"h": self._numpy_of(head)}, rtol=1e-5, atol=1e-5)

    @staticmethod
    def _numpy_of(w):
        p = w / w.sum(axis=-1, keepdims=True)
        return scipy.special.entr(p).sum(axis=-1)

    def time_entrostat(self):
        lg.attention_entropy(self.w)

    def time_numpy(self):
        self._numpy_of(self.w)


class TokenSeries:
    """The O(n) per-token analyses on 64 sequences x 32 768 tokens (float64): the rolling
    mean entropy over a window of 256 tokens vs NumPy ``sliding_window_view(...).mean``,
    and the log-probability / advantage covariance (with a mask, top 10) vs the same
    centring in NumPy with ``argpartition``. Both sides are NumPy at heart (entrostat's
    rolling mean is running sums, O(n) whatever the window)."""

    params = ["rolling_entropy", "logprob_advantage_covariance"]
    param_names = ["analysis"]
    timeout = 300
    number = 1
    repeat = (1, 3, 30.0)

    def setup(self, analysis):
        gen = rng()
        self.h = gen.gamma(2.0, 1.0, size=(64, 32_768))
        self.lp = -gen.gamma(1.0, 1.0, size=(64, 32_768))
        self.adv = np.repeat(gen.normal(size=(64, 1)), 32_768, axis=1)
        self.mask = gen.random((64, 32_768)) < 0.9
        if analysis == "rolling_entropy":
            ours = lg.rolling_entropy(self.h[:2], 256)
            assert_agree("rolling_entropy", {"m": ours}, {"m": self._rolling(self.h[:2])},
                         rtol=1e-10, atol=1e-10)
        else:
            ours = lg.logprob_advantage_covariance(self.lp, self.adv, mask=self.mask)
            cov, top = self._covariance()
            assert_agree("logprob_advantage_covariance",
                         {"cov": ours.covariance, "top": ours.top_indices},
                         {"cov": cov, "top": top}, rtol=1e-10, atol=0)

    @staticmethod
    def _rolling(h):
        return np.lib.stride_tricks.sliding_window_view(h, 256, axis=-1).mean(axis=-1)

    def _covariance(self):
        m = self.mask
        prod = (self.lp - self.lp[m].mean()) * (self.adv - self.adv[m].mean())
        prod = np.where(m, prod, -np.inf).reshape(-1)
        top = np.argpartition(prod, -10)[-10:]
        return float(prod[m.reshape(-1)].mean()), top[np.argsort(-prod[top], kind="stable")]

    def time_entrostat(self, analysis):
        if analysis == "rolling_entropy":
            lg.rolling_entropy(self.h, 256)
        else:
            lg.logprob_advantage_covariance(self.lp, self.adv, mask=self.mask)

    def time_numpy(self, analysis):
        if analysis == "rolling_entropy":
            self._rolling(self.h)
        else:
            self._covariance()
