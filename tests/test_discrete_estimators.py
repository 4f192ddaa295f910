"""Shannon, Rényi and Tsallis entropies of labels and of count arrays.

Every estimator is checked against ``entrostat._reference`` (and the plug-in one against
``scipy.stats.entropy``) on random and adversarial inputs: one symbol, all symbols
distinct, one element, the extremes of every integer dtype, negative labels, strided,
big-endian, boolean and 2-D (joint-symbol) arrays.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
import scipy.sparse
import scipy.stats
from conftest import (
    ATOL,
    ESTIMATORS,
    FAST_ESTIMATORS,
    INT_DTYPES,
    NSB_RTOL,
    RTOL,
    ref_entropy,
    ref_entropy_from_counts,
    ref_nsb,
    tol,
)
from numpy.testing import assert_allclose, assert_array_equal

import entrostat as es
from entrostat import _reference as ref

# ---------------------------------------------------------------------------
# data sets
# ---------------------------------------------------------------------------


def _datasets(rng: np.random.Generator) -> dict[str, np.ndarray]:
    return {
        "small_vocab": rng.integers(0, 6, 400),
        "medium_vocab": rng.integers(0, 60, 300),
        "zipf": rng.zipf(1.6, 500),
        "many_singletons": np.concatenate([np.arange(80), rng.integers(0, 5, 40)]),
        "negative": rng.integers(-50, -40, 200),
        "wide_range": rng.choice(rng.integers(-(2**62), 2**62, 30), 300),
        "single_symbol": np.full(25, 7),
        "all_distinct": rng.permutation(np.arange(-20, 30)),
        "one_element": np.array([42]),
        "two_elements": np.array([1, 2]),
    }


DATASET_NAMES = list(_datasets(np.random.default_rng(0)))


@pytest.mark.parametrize("name", DATASET_NAMES)
@pytest.mark.parametrize("estimator", FAST_ESTIMATORS)
def test_entropy_matches_reference(rng, name, estimator):
    x = _datasets(rng)[name]
    got = es.entropy(x, estimator=estimator)
    assert type(got) is np.float64
    assert_allclose(got, ref_entropy(x, estimator), **tol(estimator))


@pytest.mark.parametrize(
    "name", ["small_vocab", "medium_vocab", "many_singletons", "single_symbol", "all_distinct",
             "one_element", "two_elements"]
)
def test_entropy_nsb_matches_reference(rng, name):
    x = _datasets(rng)[name]
    got = es.entropy(x, estimator="nsb")
    assert isinstance(got, es.Estimate)
    mean, sd = ref_nsb(ref.counts_of(x))
    assert_allclose(got.value, mean, rtol=1e-6, atol=1e-9)
    assert_allclose(got.stderr, sd, rtol=1e-6, atol=1e-9)
    assert got.n == x.shape[0]
    lo, hi = got.ci
    assert_allclose([lo, hi], [got.value - 1.959963984540054 * got.stderr,
                               got.value + 1.959963984540054 * got.stderr], rtol=1e-12, atol=0)


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("n_bins_extra", [0, 1, 25])
def test_entropy_n_bins(rng, estimator, n_bins_extra):
    x = rng.integers(0, 12, 60)
    k = np.unique(x).size + n_bins_extra
    got = es.entropy(x, estimator=estimator, n_bins=k)
    assert_allclose(float(got), ref_entropy(x, estimator, n_bins=k), **tol(estimator))


def test_plugin_matches_scipy(rng):
    for n, k in [(1, 1), (10, 3), (1000, 17), (100_000, 300)]:
        x = rng.integers(0, k, n)
        _, counts = np.unique(x, return_counts=True)
        assert_allclose(es.entropy(x), scipy.stats.entropy(counts), rtol=RTOL_SCIPY, atol=1e-13)
        assert_allclose(es.entropy(x, base=2), scipy.stats.entropy(counts, base=2),
                        rtol=RTOL_SCIPY, atol=1e-13)


RTOL_SCIPY = 1e-10


@pytest.mark.parametrize("k", [1, 2, 4, 7, 256, 1000])
def test_uniform_closed_forms(k):
    x = np.tile(np.arange(k), 3)
    n = x.size
    assert_allclose(es.entropy(x), math.log(k), rtol=1e-14, atol=1e-15)
    assert_allclose(es.entropy(x, base=2), math.log2(k), rtol=1e-14, atol=1e-15)
    assert_allclose(es.entropy(x, estimator="miller_madow"), math.log(k) + (k - 1) / (2 * n),
                    rtol=1e-13, atol=1e-15)
    assert_allclose(es.renyi_entropy(x, 0), math.log(k), rtol=1e-14, atol=1e-15)
    assert_allclose(es.renyi_entropy(x, math.inf), math.log(k), rtol=1e-14, atol=1e-15)
    assert_allclose(es.tsallis_entropy(x, 0), k - 1, rtol=1e-14, atol=1e-15)
    assert_allclose(es.tsallis_entropy(x, 2), 1 - 1 / k, rtol=1e-13, atol=1e-15)


def test_uniform_over_four_is_two_bits():
    assert float(es.entropy(np.array([0, 1, 2, 3]), base=2)) == pytest.approx(2.0, rel=1e-15)
    assert float(es.entropy(np.array([0, 1, 0, 1]), base=2)) == pytest.approx(1.0, rel=1e-15)


@pytest.mark.parametrize("estimator", ["plugin", "miller_madow", "chao_shen", "jackknife",
                                       "shrink", "nsb"])
def test_single_symbol_is_exactly_zero(estimator):
    """One symbol, any number of times: exactly 0, as scipy.stats.entropy([n]) and the
    reference give (NMI relies on it: it detects a constant labeling by H == 0.0).

    The formula log N - N log N / N need not round to 0 in floating point (4.4e-16 for
    N = 23, 39, 43, 114, 122, ...; the jackknife's 3.3e-16 for N = 4), so every N up to
    300 and a few large ones are checked, through labels, counts and the streaming types.
    """
    for n in [*range(1, 301), 1000, 4099, 65_537]:
        x = np.zeros(n, dtype=np.int32)
        assert float(es.entropy(x, estimator=estimator)) == 0.0, n
        assert float(es.entropy_from_counts(np.array([n]), estimator=estimator)) == 0.0, n
        if estimator not in ("shrink", "nsb"):  # these two see the empty bins
            assert float(es.entropy_from_counts(np.array([0, n, 0]), estimator=estimator)) \
                == 0.0, n
        if estimator == "plugin":
            assert scipy.stats.entropy([n]) == 0.0
            assert es.renyi_entropy(x, 1) == 0.0, n
            assert es.tsallis_entropy(x, 1) == 0.0, n
            assert es.Counts(x).entropy() == 0.0, n
            assert es.block_entropy(x, 1) == 0.0, n


# ---------------------------------------------------------------------------
# dtypes, layouts and byte orders
# ---------------------------------------------------------------------------


def _extreme_labels(rng, dtype) -> np.ndarray:
    info = np.iinfo(dtype)
    middle = rng.integers(max(info.min, -1000), min(info.max, 1000), 40, endpoint=True)
    specials = [info.min, info.max, info.min + 1, info.max - 1, 0, info.max, info.min]
    x = np.concatenate([np.array(specials, dtype=dtype), middle.astype(dtype)])
    return rng.permutation(x).astype(dtype)


@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize("estimator", FAST_ESTIMATORS)
def test_dtype_extremes(rng, dtype, estimator):
    x = _extreme_labels(rng, dtype)
    assert x.dtype == dtype
    assert_allclose(es.entropy(x, estimator=estimator), ref_entropy(x, estimator), **tol(estimator))


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_dtype_does_not_change_entropy(rng, dtype):
    info = np.iinfo(dtype)
    base = rng.integers(0, min(int(info.max), 200), 500)
    want = es.entropy(base.astype(np.int64))
    assert_allclose(es.entropy(base.astype(dtype)), want, rtol=1e-13)
    # shifting labels (to the top of the range, or below zero) changes nothing
    top = np.array([int(info.max) - 200 + int(b) for b in base], dtype=dtype)
    assert_allclose(es.entropy(top), want, rtol=1e-13)
    if info.min < 0:
        bottom = np.array([int(info.min) + int(b) for b in base], dtype=dtype)
        assert_allclose(es.entropy(bottom), want, rtol=1e-13)


def test_negative_labels(rng):
    x = rng.integers(-5, 5, 1000)
    assert_allclose(es.entropy(x), ref_entropy(x), rtol=RTOL_SCIPY)
    assert_allclose(es.entropy(x - 10**15), es.entropy(x), rtol=1e-13)
    assert_allclose(es.entropy(-x), es.entropy(x), rtol=1e-13)


def test_wide_range_labels_hashed(rng):
    # labels spread far beyond the dense-table range: the core hashes them
    vals = rng.integers(np.iinfo(np.int64).min, np.iinfo(np.int64).max, 500, endpoint=True)
    x = vals[rng.integers(0, 500, 20_000)]
    for estimator in ("plugin", "miller_madow", "grassberger"):
        assert_allclose(es.entropy(x, estimator=estimator), ref_entropy(x, estimator), rtol=1e-9)
    u = rng.integers(0, 2**64 - 1, 300, dtype=np.uint64, endpoint=True)
    u[:2] = [0, np.iinfo(np.uint64).max]
    xu = u[rng.integers(0, 300, 5000)]
    assert_allclose(es.entropy(xu), ref_entropy(xu), rtol=1e-9)


@pytest.mark.parametrize("dtype", [np.int8, np.uint16, np.int32, np.int64, np.uint64])
def test_strided_and_reversed(rng, dtype):
    x = rng.integers(0, 30, 3001).astype(dtype)
    for view in (x[::3], x[1::7], x[::-1], x[::-5]):
        assert_allclose(es.entropy(view), ref_entropy(view.copy()), rtol=RTOL_SCIPY)
        assert_allclose(es.entropy(view, estimator="chao_shen"),
                        ref_entropy(view.copy(), "chao_shen"), rtol=RTOL_SCIPY)
    col = np.asfortranarray(rng.integers(0, 9, (500, 4)).astype(dtype))[:, 2]
    assert_allclose(es.entropy(col), ref_entropy(col.copy()), rtol=RTOL_SCIPY)


@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.int64, np.uint16, np.uint32, np.uint64])
def test_big_endian(rng, dtype):
    x = rng.integers(0, 50, 1000).astype(dtype)
    big = x.astype(np.dtype(dtype).newbyteorder(">"))
    assert not big.dtype.isnative
    assert_allclose(es.entropy(big), es.entropy(x), rtol=1e-14)
    assert_allclose(es.entropy(big), ref_entropy(x), rtol=RTOL_SCIPY)
    two_d = np.stack([x, x[::-1]], axis=1).astype(np.dtype(dtype).newbyteorder(">"))
    assert_allclose(es.entropy(two_d), ref_entropy(np.stack([x, x[::-1]], axis=1)), rtol=RTOL_SCIPY)
    assert_allclose(es.renyi_entropy(big, 2), es.renyi_entropy(x, 2), rtol=1e-14)
    assert_allclose(es.tsallis_entropy(big, 2), es.tsallis_entropy(x, 2), rtol=1e-14)
    # big-endian counts, too
    counts = np.bincount(rng.integers(0, 9, 300)).astype(">f8")
    assert_allclose(es.entropy_from_counts(counts), scipy.stats.entropy(counts.astype("<f8")),
                    rtol=RTOL_SCIPY)


def test_bool_labels(rng):
    b = rng.random(999) < 0.3
    assert_allclose(es.entropy(b), es.entropy(b.astype(np.uint8)), rtol=1e-15)
    assert_allclose(es.entropy(b), ref_entropy(b.astype(np.int64)), rtol=RTOL_SCIPY)
    assert es.entropy(np.ones(10, dtype=bool)) == 0.0
    two_d = rng.random((200, 3)) < 0.5
    assert_allclose(es.entropy(two_d), ref_entropy(two_d.astype(np.int64)), rtol=RTOL_SCIPY)


# ---------------------------------------------------------------------------
# 2-D (joint) symbols
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("estimator", FAST_ESTIMATORS)
def test_2d_rows_are_joint_symbols(rng, estimator):
    x = rng.integers(0, 4, (500, 3))
    assert_allclose(es.entropy(x, estimator=estimator), ref_entropy(x, estimator), **tol(estimator))
    assert_allclose(es.entropy(x, estimator=estimator),
                    es.joint_entropy(x[:, 0], x[:, 1], x[:, 2], estimator=estimator), rtol=1e-13)


@pytest.mark.parametrize("position", [0, 1, 2])
def test_2d_with_full_range_uint64_column(rng, position):
    n = 400
    full = rng.integers(0, 2**64 - 1, 20, dtype=np.uint64, endpoint=True)
    full[0], full[1] = 0, np.iinfo(np.uint64).max
    cols = [rng.integers(0, 3, n).astype(np.uint64), rng.integers(0, 5, n).astype(np.uint64)]
    cols.insert(position, full[rng.integers(0, 20, n)])
    x = np.stack(cols, axis=1)
    assert x.dtype == np.uint64
    assert_allclose(es.entropy(x), ref_entropy(x), rtol=RTOL_SCIPY)
    assert_allclose(es.entropy(x, estimator="grassberger"), ref_entropy(x, "grassberger"),
                    rtol=RTOL_SCIPY)


def test_2d_many_wide_columns(rng):
    # ten int64 columns spanning the whole int64 range: the joint code must factorise
    info = np.iinfo(np.int64)
    pool = np.array([info.min, info.max, 0, -1, 1, info.min + 1, info.max - 1], dtype=np.int64)
    x = pool[rng.integers(0, pool.size, (300, 10))]
    assert_allclose(es.entropy(x), ref_entropy(x), rtol=RTOL_SCIPY)
    # rows repeated: fewer distinct symbols than rows
    y = np.repeat(x[:30], 10, axis=0)
    assert_allclose(es.entropy(y), ref_entropy(y), rtol=RTOL_SCIPY)
    k = np.unique(x[:30], axis=0).shape[0]
    if k == 30:  # 30 distinct rows, each repeated 10 times: uniform
        assert_allclose(es.entropy(y), math.log(30), rtol=1e-14)
    # random full-range values, two per column: 2**10 possible rows, repeats in 2000 rows
    pools = rng.integers(info.min, info.max, (2, 10), endpoint=True)
    z = pools[rng.integers(0, 2, (2000, 10)), np.arange(10)]
    assert np.unique(z, axis=0).shape[0] < z.shape[0]
    for estimator in FAST_ESTIMATORS:
        assert_allclose(es.entropy(z, estimator=estimator), ref_entropy(z, estimator),
                        rtol=RTOL_SCIPY)
    assert_allclose(es.entropy(z[::3]), ref_entropy(z[::3].copy()), rtol=RTOL_SCIPY)


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_2d_extremes_every_dtype(rng, dtype):
    x = np.stack([_extreme_labels(rng, dtype), _extreme_labels(rng, dtype)], axis=1)
    assert_allclose(es.entropy(x), ref_entropy(x), rtol=RTOL_SCIPY)
    assert_allclose(es.entropy(np.asfortranarray(x)), ref_entropy(x), rtol=RTOL_SCIPY)
    assert_allclose(es.entropy(x[::2, ::-1]), ref_entropy(x[::2, ::-1].copy()), rtol=RTOL_SCIPY)


def test_2d_single_column_equals_1d(rng):
    x = rng.integers(-3, 3, 100)
    assert_allclose(es.entropy(x[:, None]), es.entropy(x), rtol=1e-14)


# ---------------------------------------------------------------------------
# entropy_from_counts
# ---------------------------------------------------------------------------


def _count_vectors(rng):
    return [
        np.bincount(rng.integers(0, 10, 200), minlength=13),  # trailing zeros
        np.array([0, 3, 0, 1, 7, 0]),
        np.array([1, 1, 1, 1, 1]),
        np.array([5]),
        np.array([0, 0, 9]),
        np.array([1, 0]),
        rng.integers(0, 4, 40),  # many zeros and small counts
        np.bincount(rng.zipf(1.4, 300) % 97),
        # counts from 0 to 10^6: small ones tallied densely, large ones hashed
        np.concatenate([rng.integers(0, 3, 500), rng.integers(1000, 1100, 50),
                        rng.integers(1, 10**6, 30), [1023, 1024, 1025]]),
    ]


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_from_counts_matches_reference(rng, estimator):
    for c in _count_vectors(rng):
        if c.sum() == 0 or (estimator in ("jackknife", "nsb") and c.sum() > 10**6):
            # At totals of 10^7 the references fail, not the estimators: the textbook
            # jackknife, N H - (N-1)/N sum n_i H_-i, cancels about log10(N H) digits
            # (checked in 40-digit decimals below instead), and SciPy's quadrature of the
            # NSB posterior warns of roundoff.
            continue
        got = es.entropy_from_counts(c, estimator=estimator)
        assert_allclose(float(got), ref_entropy_from_counts(c, estimator), **tol(estimator))
        # float counts holding whole numbers give the same result
        assert_allclose(float(es.entropy_from_counts(c.astype(np.float32), estimator=estimator)),
                        float(got), rtol=1e-14)


def test_from_counts_jackknife_of_large_totals_in_decimals(rng):
    from decimal import Decimal, localcontext

    c = _count_vectors(rng)[-1]  # counts up to 10^6, total ~10^7
    counts = [int(v) for v in c if v > 0]
    with localcontext() as ctx:
        ctx.prec = 40

        def xlnx(v):
            return Decimal(v) * Decimal(v).ln() if v > 1 else Decimal(0)

        n = sum(counts)
        s = sum(xlnx(v) for v in counts)
        h = Decimal(n).ln() - s / n
        # Leaving one count out of bin i: sum c ln c becomes s - v ln v + (v-1) ln(v-1).
        leave_one_out = sum(
            v * (Decimal(n - 1).ln() - (s - xlnx(v) + xlnx(v - 1)) / (n - 1)) for v in counts)
        want = float(n * h - Decimal(n - 1) / n * leave_one_out)
        want_plugin = float(h)
    assert float(es.entropy_from_counts(c, estimator="jackknife")) == pytest.approx(want,
                                                                                 rel=1e-13)
    assert float(es.entropy_from_counts(c)) == pytest.approx(want_plugin, rel=1e-14)


@pytest.mark.parametrize("estimator", ["shrink", "nsb"])
def test_from_counts_n_bins(rng, estimator):
    c = np.bincount(rng.integers(0, 8, 50))
    for extra in (0, 3, 100):
        k = c.size + extra
        got = es.entropy_from_counts(c, estimator=estimator, n_bins=k)
        assert_allclose(float(got), ref_entropy_from_counts(c, estimator, n_bins=k),
                        **tol(estimator))
        # explicit zeros == n_bins
        padded = np.concatenate([c, np.zeros(extra, dtype=c.dtype)])
        assert_allclose(float(es.entropy_from_counts(padded, estimator=estimator)), float(got),
                        rtol=1e-12)


@pytest.mark.parametrize("estimator", ["shrink", "nsb"])
def test_from_counts_n_bins_below_length(estimator):
    """n_bins between the support and len(counts) contradicts the count vector (its
    explicit zeros are bins): rejected, as the reference does.

    Regression: ``shrink`` used to shrink towards 1/n_bins over len(counts) bins, so the
    shrunk "probabilities" did not sum to one.
    """
    c = np.array([3, 0, 0, 1])
    with pytest.raises(ValueError):
        ref.entropy_from_counts(c, estimator, n_bins=2)
    with pytest.raises(ValueError, match=r"^n_bins: .*\(4\), got 2"):
        es.entropy_from_counts(c, estimator=estimator, n_bins=2)
    with pytest.raises(ValueError, match=r"^n_bins: .*\(4\), got 3"):
        es.entropy_from_counts(np.stack([c, c]), estimator=estimator, n_bins=3)


def test_from_counts_plugin_float_weights_match_scipy(rng):
    for _ in range(5):
        w = rng.random(20) * 10.0 ** rng.integers(-5, 5)
        w[rng.random(20) < 0.2] = 0.0
        assert_allclose(es.entropy_from_counts(w), scipy.stats.entropy(w), rtol=RTOL_SCIPY)
        assert_allclose(es.entropy_from_counts(w, base=2), scipy.stats.entropy(w, base=2),
                        rtol=RTOL_SCIPY)
    # normalised or not, same entropy
    w = rng.random(30)
    assert_allclose(es.entropy_from_counts(w), es.entropy_from_counts(w / w.sum()), rtol=1e-12)


def test_from_counts_plugin_huge_and_tiny_weights():
    """Finite weights whose total overflows float64: the exact value or a ValueError that
    names ``counts``, never a silent wrong number (regression: it returned 0.0)."""
    w = np.array([1e308, 1e308])
    try:
        got = es.entropy_from_counts(w)
    except ValueError as err:
        assert "counts" in str(err)
    else:
        assert_allclose(got, math.log(2), rtol=1e-12)
    # subnormal weights
    for w in (np.array([5e-324, 5e-324, 1e-320]), np.array([1e-310, 3e-310, 0.0])):
        assert_allclose(es.entropy_from_counts(w), scipy.stats.entropy(w), rtol=1e-9)


@pytest.mark.parametrize("dtype", [np.int8, np.uint8, np.int32, np.uint32, np.int64, np.uint64,
                                   np.float32, np.float64])
def test_from_counts_dtypes(rng, dtype):
    c = rng.integers(0, 100, 12)
    assert_allclose(es.entropy_from_counts(c.astype(dtype)), scipy.stats.entropy(c),
                    rtol=1e-10 if dtype != np.float32 else 1e-6)
    assert_allclose(es.entropy_from_counts(c.astype(dtype), estimator="grassberger"),
                    ref.entropy_from_counts(c, "grassberger"), rtol=RTOL)


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("n", [7, 300, 5000])
def test_from_counts_integer_rows_equal_float_rows(rng, estimator, n):
    # Integer counts are read in place (int64 / uint64, others widened): the same number,
    # bit for bit, as their float64 copy, short rows (per bin) and long ones (on the
    # fingerprint) alike, zero bins and counts past the fingerprint's dense tally included.
    c = np.minimum(np.expm1(rng.random(n) * np.log1p(1e5)), 1e5).astype(np.int64)
    c[::5] = 0
    c[1] = 3_000_000
    for n_bins in (None, 2 * n):
        want = es.entropy_from_counts(c.astype(np.float64), estimator=estimator, n_bins=n_bins)
        for dtype in (np.int64, np.uint64, np.int32, np.uint32, ">i8"):
            got = es.entropy_from_counts(c.astype(dtype), estimator=estimator, n_bins=n_bins)
            assert float(got) == float(want), (dtype, n_bins)
    batch = np.stack([c, c[::-1], np.roll(c, 3)])
    want_rows = es.entropy_from_counts(batch.astype(np.float64), estimator=estimator)
    for counts, axis in ((batch, -1), (batch.T, 0), (np.asfortranarray(batch), 1)):
        got = es.entropy_from_counts(counts, estimator=estimator, axis=axis)
        got = got[0] if estimator == "nsb" else got
        want_rows_v = want_rows[0] if estimator == "nsb" else want_rows
        assert_array_equal(got, want_rows_v)


def test_from_counts_int64_reaches_the_core_uncopied(monkeypatch):
    # np.bincount's int64 (and uint64) counts go to the core as they are, not as a float64
    # copy; other integer types are widened to 64 bits.
    seen = []
    core = es.discrete._core
    real = core.entropy_from_counts

    def spy(rows, *args):
        seen.append(rows)
        return real(rows, *args)

    monkeypatch.setattr(core, "entropy_from_counts", spy)
    for dtype, sent in ((np.int64, np.int64), (np.uint64, np.uint64), (np.int16, np.int64),
                        (np.uint8, np.uint64), (np.float32, np.float64)):
        c = np.arange(1, 9, dtype=dtype)
        es.entropy_from_counts(c)
        assert seen[-1].dtype == sent, dtype
        assert np.shares_memory(seen[-1], c) == (dtype == sent), dtype


def _sparse_counts(rng, shape=(12, 300)):
    """Counts with zeros in most bins, none of whose rows or columns is all zero."""
    d = rng.integers(0, 6, shape) * (rng.random(shape) < 0.25)
    d[np.arange(shape[1]) % shape[0], np.arange(shape[1])] += 1
    return d


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_from_counts_sparse_equals_dense(rng, estimator):
    # A SciPy sparse matrix's rows (or columns) are histograms whose unstored entries are
    # zero bins: the entropies of its dense form, in every format, dtype and axis.
    d = _sparse_counts(rng)
    for axis in (-1, 1, 0, -2):
        want = es.entropy_from_counts(d, estimator=estimator, axis=axis, n_bins=None)
        for fmt in ("csr", "csc", "coo", "bsr", "dia", "lil", "dok"):
            for dtype in (np.int64, np.uint8, np.float64, np.float32):
                with warnings.catch_warnings():  # DIA of many diagonals: slow, still valid
                    warnings.simplefilter("ignore", scipy.sparse.SparseEfficiencyWarning)
                    m = scipy.sparse.csr_matrix(d.astype(dtype)).asformat(fmt)
                got = es.entropy_from_counts(m, estimator=estimator, axis=axis)
                if estimator == "nsb":
                    assert_allclose(got[1], want[1], rtol=1e-10)
                    got, want_v = got[0], want[0]
                else:
                    want_v = want
                assert got.shape == want_v.shape
                assert_allclose(got, want_v, rtol=1e-12, atol=1e-14)
    # a 1-D sparse array is one histogram, as a 1-D dense one
    one = d[0].copy()
    want = es.entropy_from_counts(one, estimator=estimator)
    for vec in (scipy.sparse.coo_array(one), scipy.sparse.csr_array(one),
                scipy.sparse.dok_array(one)):
        assert vec.ndim == 1
        got = es.entropy_from_counts(vec, estimator=estimator)
        if estimator == "nsb":
            assert isinstance(got, es.Estimate) and got.n == want.n == one.sum()
            assert_allclose([got.value, got.stderr], [want.value, want.stderr], rtol=1e-10)
        else:
            assert np.ndim(got) == 0
            assert_allclose(float(got), float(want), rtol=1e-12)
    if estimator in ("shrink", "nsb"):
        # the alphabet is every column, or n_bins
        m = scipy.sparse.csr_array(d)
        for n_bins in (d.shape[1], 2 * d.shape[1]):
            got = es.entropy_from_counts(m, estimator=estimator, n_bins=n_bins)
            want = es.entropy_from_counts(d, estimator=estimator, n_bins=n_bins)
            assert_allclose(np.asarray(got), np.asarray(want), rtol=1e-12)


def test_from_counts_sparse_duplicates_and_explicit_zeros(rng):
    d = _sparse_counts(rng, (5, 40))
    rows, cols = np.nonzero(d)
    vals = d[rows, cols]
    # every entry split into two stored duplicates (counted as one bin), plus explicit zeros
    half = vals // 2
    data = np.r_[half, vals - half, np.zeros(7, dtype=vals.dtype)]
    r = np.r_[rows, rows, np.arange(7) % 5]
    c = np.r_[cols, cols, (np.arange(7) * 3) % 40]
    coo = scipy.sparse.coo_matrix((data, (r, c)), shape=d.shape)
    csr = scipy.sparse.csr_matrix((data, (r, c)), shape=d.shape)
    noncanonical = scipy.sparse.csr_matrix(
        (data[np.argsort(r, kind="stable")], c[np.argsort(r, kind="stable")],
         np.r_[0, np.cumsum(np.bincount(r, minlength=5))]), shape=d.shape)
    assert not noncanonical.has_canonical_format
    # data longer than the entries stored (SciPy allows it; the pointers end earlier)
    padded = csr.copy()
    padded.data, padded.indices = np.r_[csr.data, [99, 99]], np.r_[csr.indices, [0, 1]]
    assert padded.data.size > padded.indptr[-1]
    for estimator in FAST_ESTIMATORS:
        for axis in (-1, 0):
            want = es.entropy_from_counts(d, estimator=estimator, axis=axis)
            for m in (coo, csr, noncanonical, padded):
                assert_allclose(es.entropy_from_counts(m, estimator=estimator, axis=axis),
                                want, rtol=1e-12)
    assert not noncanonical.has_canonical_format  # summed on a copy, not in place


def test_from_counts_sparse_errors():
    m = scipy.sparse.csr_matrix
    with pytest.raises(ValueError, match=r"^counts: the counts sum to zero$"):
        es.entropy_from_counts(m(np.array([[1, 2], [0, 0]])))
    with pytest.raises(ValueError, match=r"^counts: expected finite non-negative counts, got -1$"):
        es.entropy_from_counts(m(np.array([[1, -1, 3]])))
    with pytest.raises(ValueError, match=r"^counts: expected finite non-negative counts, got NaN$"):
        es.entropy_from_counts(m(np.array([[1, np.nan, 3]])))
    with pytest.raises(ValueError, match=r"^n_bins: must be at least the number of bins "
                                         r"counted \(3\), got 2$"):
        es.entropy_from_counts(m(np.ones((2, 3))), estimator="shrink", n_bins=2)
    with pytest.raises(TypeError, match=r"^counts: expected a numeric array of counts, got "
                                        r"dtype bool$"):
        es.entropy_from_counts(m(np.ones((2, 3), dtype=bool)))
    with pytest.raises(ValueError, match=r"^counts: must not be empty$"):
        es.entropy_from_counts(m((0, 3)))
    with pytest.raises(ValueError, match=r"^axis: 2 is out of range"):
        es.entropy_from_counts(m(np.ones((2, 3))), axis=2)
    with pytest.raises(ValueError, match=r"^counts: .*whole-number.*1\.5"):
        es.entropy_from_counts(m(np.array([[1.5, 2.0]])), estimator="jackknife")
    # several wrong arguments at once: the error the dense form gives
    for dense, kwargs in ((np.ones((2, 3)), {"axis": 2, "n_bins": 0}),
                          (np.ones((2, 3)), {"axis": True, "n_bins": 1}),
                          (np.zeros((0, 3), dtype=bool), {}),
                          (np.array([[1, -1]]), {"n_bins": 1, "estimator": "shrink"}),
                          (np.array([[0, 0]]), {"n_bins": 1, "estimator": "shrink"})):
        with pytest.raises((TypeError, ValueError)) as want:
            es.entropy_from_counts(dense, **kwargs)
        with pytest.raises(want.type, match=f"^{re.escape(str(want.value))}$"):
            es.entropy_from_counts(m(dense), **kwargs)
    # row pointers the core cannot trust (SciPy's own checks keep them from the public API)
    data = np.arange(1, 6, dtype=np.int64).reshape(1, -1)
    for indptr in ([0, 3, 2, 5], [1, 5], [0, 6], [0, -1, 5]):
        with pytest.raises(ValueError, match=r"^counts: the sparse matrix"):
            es.discrete._core.entropy_from_sparse_rows(data, np.array(indptr), 9)


def test_from_counts_integer_extremes():
    # uint64 counts past int64 (plug-in: any scale) and int64's most negative value
    big = np.array([2**64 - 1, 2**63, 1], dtype=np.uint64)
    p = np.array([2**64 - 1, 2**63, 1], dtype=np.float64)
    assert_allclose(es.entropy_from_counts(big), scipy.stats.entropy(p), rtol=1e-14)
    assert_allclose(es.entropy_from_counts(np.full(5000, 2**62, dtype=np.uint64)),
                    math.log(5000), rtol=1e-12)
    with pytest.raises(ValueError, match=r"^counts: expected finite non-negative counts, "
                                         r"got -9223372036854775808$"):
        es.entropy_from_counts(np.array([3, np.iinfo(np.int64).min, 1]))
    with pytest.raises(ValueError, match=r"^counts: .*exact in float64 up to 2\^53"):
        es.entropy_from_counts(np.full(5000, 2**45, dtype=np.int64), estimator="jackknife")


def test_from_counts_list_input():
    assert_allclose(es.entropy_from_counts([1, 1, 1, 1]), math.log(4), rtol=1e-15)


@pytest.mark.parametrize("estimator", FAST_ESTIMATORS)
@pytest.mark.parametrize("shape,axis", [((6, 9), -1), ((6, 9), 1), ((6, 9), 0), ((6, 9), -2),
                                        ((3, 4, 5), 0), ((3, 4, 5), 1), ((3, 4, 5), 2),
                                        ((3, 4, 5), -1)])
def test_from_counts_batched(rng, estimator, shape, axis):
    counts = rng.integers(0, 6, shape)
    counts[..., 0] += 1  # no all-zero histogram along any axis
    counts[0, ...] += 1
    moved = np.moveaxis(counts, axis, -1)
    want = np.empty(moved.shape[:-1])
    for idx in np.ndindex(*want.shape):
        want[idx] = ref.entropy_from_counts(moved[idx], estimator)
    got = es.entropy_from_counts(counts, estimator=estimator, axis=axis)
    assert isinstance(got, np.ndarray)
    assert got.shape == want.shape
    assert_allclose(got, want, **tol(estimator))
    # the batched result equals one call per histogram
    for idx in np.ndindex(*want.shape):
        assert_allclose(es.entropy_from_counts(moved[idx], estimator=estimator), got[idx],
                        rtol=1e-14, atol=0)
    # float counts, and a non-contiguous (transposed) float64 array
    assert_allclose(es.entropy_from_counts(counts.astype(np.float64), estimator=estimator,
                                           axis=axis), got, rtol=1e-14)
    assert_allclose(es.entropy_from_counts(np.asfortranarray(counts.astype(np.float64)),
                                           estimator=estimator, axis=axis), got, rtol=1e-14)


def test_from_counts_batched_float_weights(rng):
    w = rng.random((4, 7, 3))
    got = es.entropy_from_counts(w, axis=1)
    assert got.shape == (4, 3)
    assert_allclose(got, scipy.stats.entropy(w, axis=1), rtol=RTOL_SCIPY)
    assert_allclose(es.entropy_from_counts(w, axis=1, base=2),
                    scipy.stats.entropy(w, axis=1, base=2), rtol=RTOL_SCIPY)


def test_from_counts_nsb_1d_returns_estimate(rng):
    c = np.bincount(rng.integers(0, 6, 40))
    e = es.entropy_from_counts(c, estimator="nsb")
    assert isinstance(e, es.Estimate)
    mean, sd = ref_nsb(c)
    assert_allclose([e.value, e.stderr], [mean, sd], rtol=1e-6)
    assert e.n == int(c.sum())
    assert e.ci[0] < e.value < e.ci[1]
    assert_allclose(e.ci, (e.value - 1.959963984540054 * e.stderr,
                           e.value + 1.959963984540054 * e.stderr), rtol=1e-12)
    assert e.pvalue is None


@pytest.mark.parametrize("axis", [0, -1])
def test_from_counts_nsb_batched_returns_values_and_stderrs(rng, axis):
    counts = rng.integers(0, 5, (3, 6))
    counts[:, 0] += 1
    counts[0, :] += 1
    out = es.entropy_from_counts(counts, estimator="nsb", axis=axis)
    assert isinstance(out, tuple) and len(out) == 2
    values, stderrs = out
    moved = np.moveaxis(counts, axis, -1)
    assert values.shape == stderrs.shape == moved.shape[:-1]
    for i, row in enumerate(moved):
        mean, sd = ref_nsb(row, row.size)
        assert_allclose(values[i], mean, rtol=1e-6)
        assert_allclose(stderrs[i], sd, rtol=1e-6)
        one = es.entropy_from_counts(row, estimator="nsb")
        assert one.value == values[i] and one.stderr == stderrs[i]
    v2, s2 = es.entropy_from_counts(counts, estimator="nsb", axis=axis, base=2)
    assert_allclose(v2, values / math.log(2), rtol=1e-14)
    assert_allclose(s2, stderrs / math.log(2), rtol=1e-14)


def test_nsb_edge_cases():
    # K = 1 and a single observation: the documented value 0 with stderr 0
    e = es.entropy_from_counts(np.array([5]), estimator="nsb")
    assert e.value == 0.0 and e.stderr == 0.0
    e = es.entropy(np.array([3, 3, 3]), estimator="nsb")
    assert e.value == 0.0 and e.stderr == 0.0
    # many samples: NSB approaches the plug-in value
    c = np.array([40_000, 30_000, 20_000, 10_000])
    e = es.entropy_from_counts(c, estimator="nsb")
    assert abs(e.value - scipy.stats.entropy(c)) < 1e-3
    assert 0 < e.stderr < 1e-2


@pytest.mark.parametrize("counts", [[5, 3, 1, 1], [1, 1], [2, 1]])
def test_nsb_large_alphabet_matches_reference(counts):
    """With many empty bins, K beta reaches ~1e12 on the integration range, where
    lgamma(K beta) - lgamma(N + K beta) must be taken as one stable difference.
    (The reference costs O(K) per integrand evaluation, so K stays at 1000 here.)"""
    c = np.array(counts)
    k = 1000
    got = es.entropy_from_counts(c, estimator="nsb", n_bins=k)
    want_mean, want_sd = ref_nsb(c, k)
    assert_allclose([got.value, got.stderr], [want_mean, want_sd], rtol=NSB_RTOL)
    # the same histogram with its zeros spelled out
    padded = es.entropy_from_counts(np.concatenate([c, np.zeros(k - c.size)]), estimator="nsb")
    assert_allclose([padded.value, padded.stderr], [got.value, got.stderr], rtol=1e-12)


@pytest.mark.parametrize("k", [10**6, 10**9, 10**12])
def test_nsb_huge_alphabet_stays_finite(k):
    """Far beyond what the reference can integrate: a finite estimate in [0, log K], a
    finite positive posterior sd, and the estimate grows with K for all-singleton data."""
    got = es.entropy_from_counts(np.array([1, 1]), estimator="nsb", n_bins=k)
    assert math.isfinite(got.value) and math.isfinite(got.stderr)
    assert 0.0 < got.value <= math.log(k)
    assert got.stderr > 0.0
    smaller = es.entropy_from_counts(np.array([1, 1]), estimator="nsb", n_bins=k // 10)
    assert smaller.value < got.value
    skewed = es.entropy_from_counts(np.array([50, 3, 1]), estimator="nsb", n_bins=k)
    assert math.isfinite(skewed.value) and 0.0 < skewed.value <= math.log(k)


# ---------------------------------------------------------------------------
# units
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("base", [2, 10, math.e, 0.5, 7.25])
def test_base_divides_by_log_base(rng, estimator, base):
    x = rng.integers(0, 7, 80)
    nats = es.entropy(x, estimator=estimator)
    other = es.entropy(x, estimator=estimator, base=base)
    if estimator == "nsb":
        assert_allclose(other.value, nats.value / math.log(base), rtol=1e-14)
        assert_allclose(other.stderr, nats.stderr / math.log(base), rtol=1e-14)
        if base > 1:
            assert_allclose(other.ci, np.array(nats.ci) / math.log(base), rtol=1e-12)
    else:
        assert_allclose(other, nats / math.log(base), rtol=1e-14)
    c = np.bincount(x)
    assert_allclose(float(es.entropy_from_counts(c, estimator=estimator, base=base)),
                    float(es.entropy_from_counts(c, estimator=estimator)) / math.log(base),
                    rtol=1e-14)


def test_base_accepts_numpy_and_int_scalars(rng):
    x = rng.integers(0, 5, 50)
    want = es.entropy(x) / math.log(2)
    for base in (2, 2.0, np.float64(2), np.int64(2), np.float32(2)):
        assert_allclose(es.entropy(x, base=base), want, rtol=1e-14)


# ---------------------------------------------------------------------------
# Rényi and Tsallis
# ---------------------------------------------------------------------------

ALPHAS = [0, 0.5, 1, 2, 2.5, math.inf]
QS = [0, 0.5, 1, 2]


@pytest.mark.parametrize("alpha", ALPHAS)
@pytest.mark.parametrize("name", ["small_vocab", "zipf", "single_symbol", "all_distinct",
                                  "one_element", "wide_range", "negative"])
def test_renyi_matches_reference(rng, alpha, name):
    x = _datasets(rng)[name]
    want = ref.renyi_entropy_from_counts(ref.counts_of(x), alpha)
    assert_allclose(es.renyi_entropy(x, alpha), want, rtol=RTOL, atol=ATOL)
    assert_allclose(es.renyi_entropy(x, alpha, base=2), want / math.log(2), rtol=RTOL, atol=ATOL)
    assert type(es.renyi_entropy(x, alpha)) is np.float64


@pytest.mark.parametrize("alpha", [0, 1, 2, math.inf])
def test_renyi_closed_forms(rng, alpha):
    x = rng.integers(0, 9, 300)
    _, c = np.unique(x, return_counts=True)
    p = c / c.sum()
    want = {0: math.log(c.size), 1: scipy.stats.entropy(c), 2: -math.log(np.sum(p**2)),
            math.inf: -math.log(p.max())}[alpha]
    assert_allclose(es.renyi_entropy(x, alpha), want, rtol=1e-12)
    # alpha as int, float and NumPy scalars
    assert_allclose(es.renyi_entropy(x, np.float64(alpha)), want, rtol=1e-12)


def test_renyi_on_joint_symbols(rng):
    x = rng.integers(0, 3, (300, 2))
    for alpha in ALPHAS:
        assert_allclose(es.renyi_entropy(x, alpha),
                        ref.renyi_entropy_from_counts(ref.counts_of(x), alpha), rtol=RTOL)


@pytest.mark.parametrize("alpha", [1000, 1100, 2000, 10**6])
def test_renyi_large_alpha_stays_finite(alpha):
    """H_alpha lies between H_inf and H_0 for every alpha.

    Regression: for alpha >~ 1075 with max p = 1/2, p**alpha underflowed to 0 and the
    result was log(0) / (1 - alpha) = +inf instead of log 2.
    """
    x = np.array([0, 1] * 10)
    h = float(es.renyi_entropy(x, alpha))
    assert math.isfinite(h)
    assert float(es.renyi_entropy(x, math.inf)) - 1e-12 <= h <= math.log(2) + 1e-12


@pytest.mark.parametrize("q", QS)
@pytest.mark.parametrize("name", ["small_vocab", "zipf", "single_symbol", "all_distinct",
                                  "one_element", "wide_range"])
def test_tsallis_matches_reference(rng, q, name):
    x = _datasets(rng)[name]
    want = ref.tsallis_entropy_from_counts(ref.counts_of(x), q)
    got = es.tsallis_entropy(x, q)
    assert type(got) is np.float64
    assert_allclose(got, want, rtol=RTOL, atol=ATOL)


def _renyi_tsallis_near_one(p: np.ndarray, a: float) -> tuple[float, float]:
    """Rényi and Tsallis entropies of ``p`` written without cancellation near order 1:
    sum p^a = 1 + sum p expm1((a - 1) log p), so both follow from that small sum exactly."""
    small = float(np.sum(p * np.expm1((a - 1.0) * np.log(p))))
    return math.log1p(small) / (1.0 - a), -small / (a - 1.0)


@pytest.mark.parametrize("eps", [1e-15, 1e-12, 1e-9, 1e-6, 1e-3])
@pytest.mark.parametrize("side", [-1, 1])
def test_renyi_tsallis_accurate_near_order_one(eps, side):
    """H_alpha and S_q are smooth in the order: near 1 they approach the Shannon entropy.

    Computing log(sum p^a) / (1 - a) directly cancels catastrophically as a -> 1 (an error
    of about 1e-16 / |a - 1|): at alpha = 1 - 1e-15 this gives 0.75 instead of 0.6639,
    larger than H at alpha = 0.999, against "H_alpha does not increase as alpha increases"
    (docs/estimators.md).
    """
    x = np.repeat(np.arange(5), [1, 2, 3, 4, 50])
    p = np.bincount(x) / x.size
    a = 1.0 + side * eps
    want_renyi, want_tsallis = _renyi_tsallis_near_one(p, a)
    shannon = float(es.entropy(x))
    # the closed form itself is consistent: within |a - 1| Var(log p) of H
    assert abs(want_renyi - shannon) <= eps * np.var(np.log(p)) + 1e-15
    assert_allclose(es.renyi_entropy(x, a), want_renyi, rtol=1e-9)
    assert_allclose(es.tsallis_entropy(x, a), want_tsallis, rtol=1e-9)
    c = es.Counts(x)
    assert_allclose(c.renyi_entropy(a), want_renyi, rtol=1e-9)
    assert_allclose(c.tsallis_entropy(a), want_tsallis, rtol=1e-9)
    # monotone across the whole neighbourhood of 1
    below, above = es.renyi_entropy(x, 1 - 1e-3), es.renyi_entropy(x, 1 + 1e-3)
    assert above <= es.renyi_entropy(x, a) <= below


def _exact_plugin_and_jackknife(counts: np.ndarray) -> tuple[float, float]:
    """Plug-in and jackknife entropies in 40-digit decimal arithmetic (an exact oracle for
    large N, where the float64 reference loses ~1e-8 to cancellation)."""
    from decimal import Decimal, localcontext

    values, mult = np.unique(counts[counts > 0].astype(np.int64), return_counts=True)
    with localcontext() as ctx:
        ctx.prec = 40

        def xlogx(v: int) -> Decimal:
            return Decimal(v) * Decimal(v).ln() if v > 1 else Decimal(0)

        n = int(np.sum(values * mult))
        s = sum(int(m) * xlogx(int(v)) for v, m in zip(values, mult, strict=True))
        h = Decimal(n).ln() - s / n
        loo = Decimal(0)
        for v, m in zip(values.tolist(), mult.tolist(), strict=True):
            s_minus = s - xlogx(v) + xlogx(v - 1)
            loo += m * v * ((Decimal(n - 1)).ln() - s_minus / (n - 1))
        jk = n * h - Decimal(n - 1) / n * loo
        return float(h), float(jk)


@pytest.mark.parametrize("shape", ["few_bins", "many_bins"])
def test_jackknife_large_sample_is_accurate(rng, shape):
    """The jackknife N H - (N-1)/N sum_i n_i H_{-i} cancels about log10(N) digits when
    evaluated as written; at N = 1e5 with 2e4 bins that leaves ~1e-8 relative error (the
    float64 reference shows it too). Compared here with exact decimal arithmetic."""
    if shape == "few_bins":
        counts = rng.integers(1, 20_000, 10)
    else:
        counts = np.bincount(rng.zipf(1.3, 100_000) % 20_000)
    want_h, want_jk = _exact_plugin_and_jackknife(counts)
    assert_allclose(es.entropy_from_counts(counts), want_h, rtol=1e-12)
    assert_allclose(es.entropy_from_counts(counts, estimator="jackknife"), want_jk, rtol=1e-11)
    x = np.repeat(np.arange(counts.size), counts)
    assert_allclose(es.entropy(x, estimator="jackknife"), want_jk, rtol=1e-11)


def test_tsallis_closed_forms(rng):
    x = rng.integers(0, 11, 500)
    _, c = np.unique(x, return_counts=True)
    p = c / c.sum()
    assert_allclose(es.tsallis_entropy(x, 0), c.size - 1, rtol=1e-13)
    assert_allclose(es.tsallis_entropy(x, 1), scipy.stats.entropy(c), rtol=1e-12)
    assert_allclose(es.tsallis_entropy(x, 2), 1 - np.sum(p**2), rtol=1e-12)
    # q = inf is allowed: sum p^q -> 0 (or 1 for a single symbol), divided by inf
    assert es.tsallis_entropy(x, math.inf) == 0.0
    assert es.tsallis_entropy(np.zeros(3, np.int8), 2) == 0.0


def test_tsallis_nonadditive_for_independent_product(rng):
    # S_q(A,B) = S_q(A) + S_q(B) + (1-q) S_q(A) S_q(B) exactly for a product distribution
    a, b = np.repeat(np.arange(3), [1, 2, 3]), np.repeat(np.arange(2), [3, 1])
    pairs = np.array([[i, j] for i in a for j in b])
    for q in (0.5, 2.0, 3.0):
        sa, sb = es.tsallis_entropy(a, q), es.tsallis_entropy(b, q)
        assert_allclose(es.tsallis_entropy(pairs, q), sa + sb + (1 - q) * sa * sb, rtol=1e-12)


# ---------------------------------------------------------------------------
# return types
# ---------------------------------------------------------------------------


def test_return_types(rng):
    x = rng.integers(0, 4, 30)
    for estimator in FAST_ESTIMATORS:
        assert type(es.entropy(x, estimator=estimator)) is np.float64
        assert type(es.entropy_from_counts(np.bincount(x), estimator=estimator)) is np.float64
    assert isinstance(es.entropy(x, estimator="nsb"), es.Estimate)


def test_inputs_are_not_modified(rng):
    x = rng.integers(-3, 3, 200)
    keep = x.copy()
    es.entropy(x, estimator="jackknife")
    es.renyi_entropy(x, 2)
    c = np.bincount(x + 3).astype(np.float64)
    ckeep = c.copy()
    es.entropy_from_counts(c, estimator="shrink", n_bins=20)
    assert_array_equal(x, keep)
    assert_array_equal(c, ckeep)


def test_readonly_and_memmap_like_inputs(rng, tmp_path):
    x = rng.integers(0, 10, 1000).astype(np.int16)
    x.flags.writeable = False
    assert_allclose(es.entropy(x), ref_entropy(x), rtol=RTOL_SCIPY)
    np.save(tmp_path / "x.npy", x)
    mm = np.load(tmp_path / "x.npy", mmap_mode="r")
    assert_allclose(es.entropy(mm), ref_entropy(x), rtol=RTOL_SCIPY)
    assert_allclose(es.entropy(mm[::2]), ref_entropy(x[::2]), rtol=RTOL_SCIPY)


def _jackknife_decimal(counts) -> float:
    """The delete-one jackknife of the plug-in entropy by its definition, in 50-digit
    decimal arithmetic (no cancellation at large N)."""
    from decimal import Decimal, getcontext

    getcontext().prec = 50
    c = [Decimal(int(v)) for v in counts if v > 0]
    n = sum(c)

    def xlogx(v):
        return v * v.ln() if v > 0 else Decimal(0)

    s = sum(xlogx(v) for v in c)
    h = n.ln() - s / n
    m = n - 1
    loo = sum(v * (m.ln() - (s - xlogx(v) + xlogx(v - 1)) / m) for v in c)
    return float(n * h - m / n * loo)


def test_jackknife_is_accurate_for_large_samples():
    """N H - (N-1)/N sum n_i H_-i cancels ~7 digits at N = 1e7; the core must not."""
    ranks = np.arange(1, 2001)
    counts = np.floor(1e7 / ranks).astype(np.int64)
    got = es.entropy_from_counts(counts, estimator="jackknife")
    assert abs(got - _jackknife_decimal(counts)) < 1e-10
