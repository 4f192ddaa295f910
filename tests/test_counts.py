"""Counts: a streaming, mergeable, picklable label histogram; and the Estimate result type."""

from __future__ import annotations

import math
import operator
import pickle

import numpy as np
import pytest
import scipy.stats
from conftest import ESTIMATORS, INT_DTYPES, assert_raises, ref_entropy, tol
from numpy.testing import assert_allclose, assert_array_equal

import entrostat as es
from entrostat import _reference as ref


def _split(x, cuts):
    cuts = sorted(cuts)
    return [x[a:b] for a, b in zip([0, *cuts], [*cuts, len(x)], strict=False)]


def assert_counts_equal_unique(c: es.Counts, x: np.ndarray):
    values, counts = c.counts()
    want_v, want_c = np.unique(x, return_counts=True)
    assert_array_equal(values, want_v)
    assert_array_equal(counts, want_c)
    assert c.n == x.size
    assert c.support == want_v.size


# ---------------------------------------------------------------------------
# counting
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_chunked_update_equals_whole(rng, dtype):
    info = np.iinfo(dtype)
    x = rng.integers(max(int(info.min), -40), min(int(info.max), 40), 3000, endpoint=True)
    x = x.astype(dtype)
    x[:2] = [info.min, info.max]
    whole = es.Counts(x)
    assert_counts_equal_unique(whole, x)
    values, counts = whole.counts()
    assert values.dtype == (np.int64 if info.min < 0 else np.uint64)
    assert counts.dtype == np.uint64
    for _ in range(3):
        c = es.Counts()
        for piece in _split(x, rng.integers(0, x.size, 20)):  # empty pieces included
            assert c.update(piece) is c
        assert c == whole
        assert_counts_equal_unique(c, x)


def test_counts_wide_range_hashed(rng):
    vals = rng.integers(-(2**62), 2**62, 200)
    x = vals[rng.integers(0, 200, 10_000)]
    c = es.Counts()
    for piece in np.array_split(x, 7):
        c.update(piece)
    assert_counts_equal_unique(c, x)
    # dense first, then a chunk so wide that the table must switch to hashing
    small = rng.integers(0, 10, 500)
    c = es.Counts(small).update(np.array([-(2**60), 2**61]))
    assert_counts_equal_unique(c, np.concatenate([small, [-(2**60), 2**61]]))
    # uint64 across the whole range
    u = np.array([0, 2**64 - 1, 2**63, 2**63 - 1, 0], dtype=np.uint64)
    assert_counts_equal_unique(es.Counts(u), u)


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("high", [1000, 2**63])  # dense and hashed storage
def test_counts_entropy_is_the_entropy_of_the_labels(rng, estimator, high):
    x = rng.integers(0, high, 800, dtype=np.uint64)[rng.integers(0, 800, 20_000)]
    c = es.Counts(x[:7000]) + es.Counts(x[7000:])
    got, want = c.entropy(estimator=estimator), es.entropy(x, estimator=estimator)
    assert float(getattr(got, "value", got)) == float(getattr(want, "value", want))
    if estimator != "nsb":  # NSB against its (quadrature) reference: test_discrete_estimators
        assert float(want) == pytest.approx(ref_entropy(x, estimator), rel=1e-9)


def test_counts_strided_big_endian_bool(rng):
    x = rng.integers(-5, 5, 3000).astype(np.int32)
    assert_counts_equal_unique(es.Counts(x[::3]), x[::3])
    assert_counts_equal_unique(es.Counts(x[::-2]), x[::-2])
    assert_counts_equal_unique(es.Counts(x.astype(">i4")), x)
    b = rng.random(100) < 0.5
    assert_counts_equal_unique(es.Counts(b), b.astype(np.uint8))


@pytest.mark.parametrize("split", [0, 1, 500, 999, 1000])
def test_merge_equals_concatenation(rng, split):
    x = rng.integers(-30, 30, 1000)
    a, b = es.Counts(x[:split]), es.Counts(x[split:])
    merged = a.merge(b)
    assert merged == es.Counts(x)
    assert a + b == merged
    assert b + a == merged
    assert_counts_equal_unique(merged, x)
    # merge returns a new object and leaves its operands alone
    assert merged is not a and merged is not b
    assert a == es.Counts(x[:split]) and b == es.Counts(x[split:])


@pytest.mark.parametrize("split", [0, 1, 500, 1000])
def test_iadd_merges_in_place(rng, split):
    x = rng.integers(-30, 30, 1000)
    a, b = es.Counts(x[:split]), es.Counts(x[split:])
    total = a
    total += b
    assert total is a  # in place
    assert a == es.Counts(x)
    assert b == es.Counts(x[split:])  # the right operand is unchanged
    a += a  # itself: every count doubled
    assert a == es.Counts(np.concatenate([x, x]))
    with pytest.raises(TypeError):
        a += np.array([1, 2])


def test_iadd_domain_error_leaves_the_histogram_unchanged():
    a = es.Counts(np.array([2**63], dtype=np.uint64))
    b = es.Counts(np.array([-1], dtype=np.int8))
    with pytest.raises(ValueError, match=r"^other: .*does not fit"):
        a += b
    assert a == es.Counts(np.array([2**63], dtype=np.uint64))


def test_merge_dense_with_hashed(rng):
    dense = rng.integers(0, 100, 2000)
    wide = rng.integers(-(2**50), 2**50, 50)[rng.integers(0, 50, 2000)]
    both = np.concatenate([dense, wide])
    assert es.Counts(dense) + es.Counts(wide) == es.Counts(both)
    assert es.Counts(wide) + es.Counts(dense) == es.Counts(both)
    assert_counts_equal_unique(es.Counts(wide) + es.Counts(dense), both)


def test_merge_with_empty():
    c = es.Counts(np.array([1, 2, 2]))
    assert c + es.Counts() == c
    assert es.Counts() + c == c
    assert (es.Counts() + es.Counts()).n == 0
    assert es.Counts().counts()[0].size == 0


def test_mixing_int8_then_uint16_chunks(rng):
    a = rng.integers(-128, 128, 500).astype(np.int8)
    b = rng.integers(0, 65536, 500).astype(np.uint16)
    want = np.concatenate([a.astype(np.int64), b.astype(np.int64)])
    c = es.Counts(a).update(b)
    assert_counts_equal_unique(c, want)
    assert c.counts()[0].dtype == np.int64
    assert es.Counts(a) + es.Counts(b) == c
    # non-negative int8 after uint16 fits the unsigned labels
    pos = np.abs(a.astype(np.int16)).clip(0, 127).astype(np.int8)
    c2 = es.Counts(b).update(pos)
    assert_counts_equal_unique(c2, np.concatenate([b.astype(np.int64), pos.astype(np.int64)]))


def test_merge_of_signed_and_unsigned_is_commutative(rng):
    """Counts(uint16) + Counts(int8 with negatives) holds labels that all fit in int64, so
    the order of the operands (or of the chunks) must not matter.

    Regression: the domain used to be fixed by the first operand, so ``b + a`` and
    ``Counts(uint16 chunk).update(int8 chunk with -1)`` raised ValueError.
    """
    a = np.array([-1, 5], dtype=np.int8)
    b = np.array([7, 65535], dtype=np.uint16)
    want = np.array([-1, 5, 7, 65535])
    assert_counts_equal_unique(es.Counts(a) + es.Counts(b), want)
    assert_counts_equal_unique(es.Counts(b) + es.Counts(a), want)
    assert_counts_equal_unique(es.Counts(b).update(a), want)


@pytest.mark.parametrize("first,second", [
    (np.array([2**63], dtype=np.uint64), np.array([-1], dtype=np.int8)),
    (np.array([-1], dtype=np.int8), np.array([2**63], dtype=np.uint64)),
    (np.array([-5, 3], dtype=np.int64), np.array([2**64 - 1], dtype=np.uint64)),
])
def test_signed_unsigned_mix_that_does_not_fit_raises(first, second):
    c = es.Counts(first)
    assert_raises(ValueError, r"^x: .*does not fit", c.update, second)
    # the failed update left the histogram unchanged
    assert c == es.Counts(first)
    a, b = es.Counts(first), es.Counts(second)
    assert_raises(ValueError, r"^other: .*does not fit", a.merge, b)
    assert_raises(ValueError, r"^other: .*does not fit", operator.add, a, b)
    # the failed merges left both operands unchanged
    assert a == es.Counts(first) and b == es.Counts(second)


def test_merge_domain_error_names_the_argument():
    """Every message names the argument: in Counts.merge that is ``other`` (regression:
    it used to name ``x``, which is not an argument of ``merge``)."""
    a = es.Counts(np.array([2**63], dtype=np.uint64))
    b = es.Counts(np.array([-1], dtype=np.int8))
    assert_raises(ValueError, r"^other\b", a.merge, b)


# ---------------------------------------------------------------------------
# pickling
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("data", [
    None,
    np.array([-3, -3, 0, 7], dtype=np.int8),
    np.array([0, 2**64 - 1, 2**63], dtype=np.uint64),
    np.array([np.iinfo(np.int64).min, np.iinfo(np.int64).max, 0]),
    np.arange(0, 2**40, 2**40 // 5000, dtype=np.uint64),  # hashed
    np.arange(3000, dtype=np.uint16),  # dense
])
def test_pickle_round_trip(data):
    c = es.Counts(data)
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        back = pickle.loads(pickle.dumps(c, protocol=protocol))
        assert back == c
        assert (back.n, back.support) == (c.n, c.support)
        for got, want in zip(back.counts(), c.counts(), strict=True):
            assert_array_equal(got, want)
            assert got.dtype == want.dtype
    back = pickle.loads(pickle.dumps(c))
    if data is not None:
        assert_allclose(back.entropy(), c.entropy(), rtol=1e-12)
    # the domain survives: continuing to count works (or fails) the same way
    if data is None:
        assert back.update(np.array([-1])) == es.Counts(np.array([-1]))
    elif data.dtype.kind == "i":
        back.update(np.array([-1], dtype=np.int8))
        assert back == c.merge(es.Counts(np.array([-1], dtype=np.int8)))
    elif int(data.max()) >= 2**63:
        assert_raises(ValueError, "does not fit", back.update, np.array([-1], dtype=np.int8))


def test_copy_semantics():
    import copy

    c = es.Counts(np.array([1, 2, 2]))
    d = copy.deepcopy(c)
    d.update(np.array([3]))
    assert c.n == 3 and d.n == 4
    with pytest.raises(TypeError):
        hash(c)
    assert (c == 3) is False
    assert repr(c) == "Counts(n=3, support=2)"


# ---------------------------------------------------------------------------
# estimates from Counts
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_counts_entropy_matches_functions(rng, estimator):
    x = rng.integers(-4, 8, 150)
    c = es.Counts()
    for piece in np.array_split(x, 4):
        c.update(piece)
    got = c.entropy(estimator=estimator)
    want = es.entropy(x, estimator=estimator)
    assert_allclose(float(got), float(want), rtol=1e-12)
    assert_allclose(float(got), ref_entropy(x, estimator), **tol(estimator))
    assert_allclose(float(c.entropy(estimator=estimator, base=2)), float(want) / math.log(2),
                    rtol=1e-12)
    if estimator in ("shrink", "nsb"):
        k = c.support + 10
        assert_allclose(float(c.entropy(estimator=estimator, n_bins=k)),
                        float(es.entropy(x, estimator=estimator, n_bins=k)), rtol=1e-12)
    if estimator == "nsb":
        assert isinstance(got, es.Estimate) and got.n == x.size
        assert_allclose(got.stderr, want.stderr, rtol=1e-12)
    else:
        assert type(got) is np.float64


@pytest.mark.parametrize("alpha", [0, 0.5, 1, 2, 2.5, math.inf])
def test_counts_renyi(rng, alpha):
    x = rng.integers(0, 9, 400)
    c = es.Counts(x[:100]) + es.Counts(x[100:])
    assert_allclose(c.renyi_entropy(alpha), es.renyi_entropy(x, alpha), rtol=1e-12)
    assert_allclose(c.renyi_entropy(alpha),
                    ref.renyi_entropy_from_counts(ref.counts_of(x), alpha), rtol=1e-9)
    assert_allclose(c.renyi_entropy(alpha, base=2), es.renyi_entropy(x, alpha, base=2), rtol=1e-12)


@pytest.mark.parametrize("q", [0, 0.5, 1, 2])
def test_counts_tsallis(rng, q):
    x = rng.integers(0, 9, 400)
    c = es.Counts(x[:100]) + es.Counts(x[100:])
    assert_allclose(c.tsallis_entropy(q), es.tsallis_entropy(x, q), rtol=1e-12)
    assert_allclose(c.tsallis_entropy(q),
                    ref.tsallis_entropy_from_counts(ref.counts_of(x), q), rtol=1e-9)


def test_counts_entropy_of_uniform_closed_form():
    c = es.Counts(np.arange(4, dtype=np.uint8)).update(np.arange(4, dtype=np.uint8))
    assert_allclose(c.entropy(), math.log(4), rtol=1e-15)
    assert_allclose(c.entropy(base=2), 2.0, rtol=1e-15)


# ---------------------------------------------------------------------------
# Estimate behaves like a float
# ---------------------------------------------------------------------------


@pytest.fixture
def est(rng):
    e = es.entropy(rng.integers(0, 5, 60), estimator="nsb")
    assert isinstance(e, es.Estimate)
    return e


def test_estimate_float_and_arithmetic(est):
    v = est.value
    assert float(est) == v
    assert isinstance(float(est), float)
    for op in (operator.add, operator.sub, operator.mul, operator.truediv, operator.pow):
        assert op(est, 2.0) == op(v, 2.0)
        assert op(3.0, est) == op(3.0, v)
        assert op(est, 2) == op(v, 2)
        assert op(est, np.float64(1.5)) == pytest.approx(op(v, 1.5), rel=1e-15)
        assert op(est, est) == op(v, v)
    assert -est == -v
    assert abs(est) == abs(v)
    assert math.isclose(est, v)
    assert math.exp(est) == math.exp(v)
    assert np.float64(float(est)) == v
    assert est + 1 > est
    assert sum([est, est]) == 2 * v


def test_estimate_comparisons(est):
    v = est.value
    assert est < v + 1 and est <= v and est > v - 1 and est >= v
    assert not (est < v) and not (est > v)
    assert est <= est and est >= est
    assert max(est, v - 1) is est
    assert sorted([v + 1, est, v - 1])[1] is est


def test_estimate_equality_with_its_value(est):
    """"comparisons use [the value], so an Estimate can stand wherever a float is
    expected" (Estimate docstring).

    Regression: the dataclass-generated ``__eq__`` compared Estimates only, so
    ``est == float(est)`` was False while ``<=`` and ``>=`` both held.
    """
    v = float(est)
    assert est <= v and est >= v
    assert est == v
    assert not (est != v)
    assert v == est


def test_estimate_format_spec(est):
    """An Estimate "can stand wherever a float is expected" (its docstring); the commonest
    place is a format string: format specs such as f"{h:.3f}" format its value as they
    format the float."""
    v = float(est)
    for spec in (".3f", "g", ".2e", "8.4f"):
        assert format(est, spec) == format(v, spec)
    assert f"{est:.3f}" == f"{v:.3f}"


def test_estimate_round_int_floordiv_mod(est):
    """round(), int(), math.floor/ceil, //, % and divmod give on an Estimate what they
    give on its float value."""
    v = float(est)
    assert round(est, 3) == round(v, 3)
    assert round(est) == round(v)
    assert int(est) == int(v)
    assert est // 0.5 == v // 0.5
    assert est % 0.5 == v % 0.5
    assert divmod(est, 0.5) == divmod(v, 0.5)
    assert math.floor(est) == math.floor(v) and math.ceil(est) == math.ceil(v)


def test_estimate_numpy_ufuncs(est):
    """NumPy ufuncs (np.log, np.exp, np.sqrt, np.isclose) and float64 arrays take an
    Estimate as they take its float value, as math.log does."""
    v = float(est)
    assert math.log(est) == math.log(v)
    assert np.log(est) == np.log(v)
    assert np.exp(est) == np.exp(v)
    assert np.sqrt(est) == np.sqrt(v)
    assert np.isclose(est, v)
    assert np.asarray([est, est], dtype=np.float64).tolist() == [v, v]


def test_estimate_does_not_take_strings(est):
    """An Estimate, like a float, does not add, multiply, order or equal a string: it
    does not convert the string with float(), so est + "1" and est < "abc" raise
    TypeError and est == str(value) is False."""
    v = float(est)
    with pytest.raises(TypeError):
        est + "1"
    with pytest.raises(TypeError):
        "1" + est
    with pytest.raises(TypeError):
        est * "2"
    assert (est == str(v)) is False
    assert est != str(v)
    with pytest.raises(TypeError):
        operator.lt(est, "2")
    with pytest.raises(TypeError):
        operator.ge(est, "abc")
    with pytest.raises(TypeError):
        operator.lt(est, None)


def test_estimate_fields(est):
    assert est.ci[0] <= est.value <= est.ci[1]
    assert est.n == 60
    assert est.pvalue is None
    assert "Estimate(value=" in repr(est)
    plain = es.Estimate(1.0)
    assert math.isnan(plain.stderr) and plain.n == 0
    with pytest.raises(AttributeError):
        est.value = 0.0  # frozen
    assert_allclose(scipy.stats.norm.ppf(0.975) * est.stderr, est.ci[1] - est.value, rtol=1e-12)
