"""Property-based tests (Hypothesis): identities and bounds that hold for every input."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import entrostat as es

SETTINGS = settings(max_examples=60, deadline=None)

_label_dtypes = st.sampled_from([np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32,
                                 np.int64, np.uint64])


@st.composite
def labels(draw, min_size=1, max_size=200, max_vocab=12):
    """1-D labels of any integer dtype with a small vocabulary drawn across the dtype range."""
    dtype = draw(_label_dtypes)
    info = np.iinfo(dtype)
    vocab = draw(st.lists(st.integers(int(info.min), int(info.max)), min_size=1,
                          max_size=max_vocab, unique=True))
    idx = draw(hnp.arrays(np.int64, st.integers(min_size, max_size),
                          elements=st.integers(0, len(vocab) - 1)))
    return np.array(vocab, dtype=dtype)[idx]


@st.composite
def label_pairs(draw, max_size=200):
    x = draw(labels(max_size=max_size))
    n = x.size
    y = draw(labels(min_size=n, max_size=n))
    return x, y


@st.composite
def sequences(draw, min_size=1, max_size=120):
    return draw(labels(min_size=min_size, max_size=max_size, max_vocab=4))


def _support(x) -> int:
    return np.unique(x, axis=0 if np.ndim(x) == 2 else None).shape[0]


@SETTINGS
@given(labels(max_vocab=30))
def test_plugin_between_zero_and_log_k(x):
    h = float(es.entropy(x))
    k = _support(x)
    assert -0.0 <= h <= math.log(k) + 1e-12
    if k == 1:
        assert h == 0.0


@SETTINGS
@given(label_pairs())
def test_mutual_info_identity_and_non_negative(xy):
    x, y = xy
    hx, hy, hxy = es.entropy(x), es.entropy(y), es.joint_entropy(x, y)
    mi = es.mutual_info(x, y)
    assert mi >= -1e-12
    assert math.isclose(mi, hx + hy - hxy, rel_tol=1e-9, abs_tol=1e-12)
    assert mi <= min(hx, hy) + 1e-12
    assert math.isclose(mi, es.mutual_info(y, x), rel_tol=1e-9, abs_tol=1e-12)
    assert hxy <= hx + hy + 1e-12
    assert hxy >= max(hx, hy) - 1e-12


@SETTINGS
@given(label_pairs())
def test_chain_rule(xy):
    x, y = xy
    lhs = es.joint_entropy(x, y)
    assert math.isclose(lhs, es.entropy(x) + es.conditional_entropy(y, x),
                        rel_tol=1e-9, abs_tol=1e-12)
    assert math.isclose(lhs, es.entropy(y) + es.conditional_entropy(x, y),
                        rel_tol=1e-9, abs_tol=1e-12)
    assert es.conditional_entropy(y, x) >= -1e-12
    # 2-D input is the same joint symbol
    stacked = np.stack([x.astype(np.int64), y.astype(np.int64)], axis=1) \
        if x.dtype.kind == y.dtype.kind == "i" else None
    if stacked is not None:
        assert math.isclose(es.entropy(stacked), lhs, rel_tol=1e-12, abs_tol=1e-14)


@SETTINGS
@given(labels(max_vocab=20), st.randoms(use_true_random=False),
       st.sampled_from(["plugin", "miller_madow", "grassberger", "chao_shen", "jackknife",
                        "shrink"]),
       st.sampled_from([np.int8, np.int64, np.uint64]))
def test_label_permutation_invariance(x, rnd, estimator, out_dtype):
    vals = np.unique(x)
    info = np.iinfo(out_dtype)
    targets = set()
    while len(targets) < vals.size:
        targets.add(rnd.randint(int(info.min), int(info.max)))
    targets = list(targets)
    rnd.shuffle(targets)
    mapping = dict(zip(vals.tolist(), targets, strict=True))
    y = np.array([mapping[v] for v in x.tolist()], dtype=out_dtype)
    assert math.isclose(es.entropy(y, estimator=estimator), es.entropy(x, estimator=estimator),
                        rel_tol=1e-9, abs_tol=1e-12)
    for alpha in (0, 0.5, 2, math.inf):
        assert math.isclose(es.renyi_entropy(y, alpha), es.renyi_entropy(x, alpha),
                            rel_tol=1e-9, abs_tol=1e-12)
    # MI of a bijective relabelling with the original is H
    assert math.isclose(es.mutual_info(x, y), es.entropy(x), rel_tol=1e-9, abs_tol=1e-12)


@SETTINGS
@given(labels(max_size=150), st.lists(st.integers(0, 150), max_size=6))
def test_counts_merge_equals_concatenate(x, cuts):
    cuts = sorted(c for c in cuts if c <= x.size)
    pieces = [x[a:b] for a, b in zip([0, *cuts], [*cuts, x.size], strict=False)]
    whole = es.Counts(x)
    merged = es.Counts()
    for p in pieces:
        merged = merged + es.Counts(p)
    streamed = es.Counts()
    for p in pieces:
        streamed.update(p)
    assert merged == whole
    assert streamed == whole
    values, counts = whole.counts()
    uv, uc = np.unique(x, return_counts=True)
    np.testing.assert_array_equal(values, uv)
    np.testing.assert_array_equal(counts, uc)
    assert math.isclose(merged.entropy(), es.entropy(x), rel_tol=1e-12, abs_tol=1e-14)


@SETTINGS
@given(sequences(max_size=60), st.integers(1, 8), st.lists(st.integers(0, 60), max_size=6))
def test_ngramcounts_merge_equals_concatenate(seq, order, cuts):
    cuts = sorted(c for c in cuts if c <= seq.size)
    pieces = [seq[a:b] for a, b in zip([0, *cuts], [*cuts, seq.size], strict=False)]
    whole = es.NgramCounts(order, seq)
    merged = es.NgramCounts(order)
    for p in pieces:
        merged = merged + es.NgramCounts(order, p)
    streamed = es.NgramCounts(order)
    for p in pieces:
        streamed.update(p)
    assert merged == whole
    assert streamed == whole
    assert whole.n == max(seq.size - order + 1, 0)
    if seq.size >= order:
        assert math.isclose(merged.entropy(), es.block_entropy(seq, order),
                            rel_tol=1e-12, abs_tol=1e-14)


@SETTINGS
@given(labels(), st.floats(min_value=1e-3, max_value=1e3).filter(lambda b: abs(b - 1) > 1e-6),
       st.sampled_from(["plugin", "miller_madow", "chao_shen", "shrink"]))
def test_base_conversion(x, base, estimator):
    nats = float(es.entropy(x, estimator=estimator))
    got = float(es.entropy(x, estimator=estimator, base=base))
    assert math.isclose(got, nats / math.log(base), rel_tol=1e-12, abs_tol=1e-300)
    assert math.isclose(float(es.entropy(x, base=2)) * math.log(2), float(es.entropy(x)),
                        rel_tol=1e-12, abs_tol=1e-15)


@SETTINGS
@given(sequences(min_size=1, max_size=120), st.integers(1, 8))
def test_conditional_block_entropy_bounds(seq, order):
    """Plug-in h_k is the empirical H(next | previous k-1) over the n - k + 1 windows:
    0 <= h_k <= H(the windows' last symbols).

    (The bound h_k <= H_1 of the whole sequence does *not* hold for finite samples:
    for seq = [0]*7 + [1] and k = 7, h_7 = log 2 > H_1 = H(7/8, 1/8).)
    """
    if seq.size < order:
        return
    h = float(es.conditional_block_entropy(seq, order))
    last = seq[order - 1:]
    assert -1e-12 <= h <= float(es.entropy(last)) + 1e-12
    assert h <= float(es.block_entropy(seq, order)) + 1e-12


def test_conditional_block_entropy_may_exceed_unigram_entropy():
    """Counterexample to "h_k <= H_1" for finite samples (see the property above)."""
    seq = np.array([0] * 7 + [1])
    assert math.isclose(es.conditional_block_entropy(seq, 7), math.log(2), rel_tol=1e-12)
    assert es.conditional_block_entropy(seq, 7) > es.entropy(seq)


@SETTINGS
@given(st.lists(st.integers(1, 50), min_size=1, max_size=30))
def test_renyi_non_increasing_in_alpha(counts):
    x = np.repeat(np.arange(len(counts)), counts)
    alphas = [0, 0.25, 0.5, 0.99, 1, 1.01, 1.5, 2, 3, 10, 100, math.inf]
    h = [float(es.renyi_entropy(x, a)) for a in alphas]
    for a, b in zip(h, h[1:], strict=False):
        assert b <= a + 1e-9 * max(1.0, abs(a))
    assert math.isclose(h[0], math.log(len(counts)), rel_tol=1e-12, abs_tol=1e-15)
    assert h[-1] >= -1e-15


@SETTINGS
@given(st.lists(st.integers(0, 30), min_size=1, max_size=25).filter(lambda c: sum(c) > 0),
       st.sampled_from(["plugin", "miller_madow", "grassberger", "chao_shen", "jackknife",
                        "shrink"]))
def test_from_counts_equals_entropy_of_labels(counts, estimator):
    c = np.array(counts)
    x = np.repeat(np.arange(c.size), c)
    nz = c[c > 0]
    assert math.isclose(es.entropy_from_counts(nz, estimator=estimator),
                        es.entropy(x, estimator=estimator), rel_tol=1e-12, abs_tol=1e-14)
    # bin order does not matter
    assert math.isclose(es.entropy_from_counts(c[::-1], estimator=estimator),
                        es.entropy_from_counts(c, estimator=estimator),
                        rel_tol=1e-12, abs_tol=1e-14)
