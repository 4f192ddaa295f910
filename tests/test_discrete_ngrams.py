"""Block entropies of sequences and streaming n-gram counts (NgramCounts)."""

from __future__ import annotations

import math
import pickle

import numpy as np
import pytest
from conftest import FAST_ESTIMATORS, INT_DTYPES, markov_sequence, ref_nsb, sliding_rows
from numpy.testing import assert_allclose, assert_array_equal

import entrostat as es
from entrostat import _reference as ref

ORDERS = list(range(1, 9))
RTOL = 1e-9
ATOL = 1e-12


@pytest.fixture
def chain(rng):
    """A 3-symbol Markov chain: n-grams of every order up to 8 repeat."""
    return markov_sequence(rng, 1500, 3)


# ---------------------------------------------------------------------------
# block_entropy / conditional_block_entropy vs the reference
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("estimator", FAST_ESTIMATORS)
def test_block_entropy_matches_reference(chain, order, estimator):
    got = es.block_entropy(chain, order, estimator=estimator)
    assert type(got) is np.float64
    assert_allclose(got, ref.block_entropy(chain, order, estimator=estimator), rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("estimator", FAST_ESTIMATORS)
def test_conditional_block_entropy_matches_reference(chain, order, estimator):
    got = es.conditional_block_entropy(chain, order, estimator=estimator)
    assert type(got) is np.float64
    assert_allclose(got, ref.conditional_block_entropy(chain, order, estimator=estimator),
                    rtol=RTOL, atol=1e-11)


@pytest.mark.parametrize("order", [1, 2, 5])
def test_block_entropy_nsb(rng, order):
    seq = markov_sequence(rng, 120, 3)
    got = es.block_entropy(seq, order, estimator="nsb")
    assert isinstance(got, es.Estimate)
    assert got.n == seq.size - order + 1
    mean, sd = ref_nsb(ref.counts_of(ref.ngrams(seq, order)))
    assert_allclose([got.value, got.stderr], [mean, sd], rtol=1e-6, atol=1e-9)
    cond = es.conditional_block_entropy(seq, order, estimator="nsb")
    assert type(cond) is np.float64
    if order > 1:
        prefixes = ref.ngrams(seq, order)[:, :-1]
        want = mean - ref_nsb(ref.counts_of(prefixes))[0]
        assert_allclose(cond, want, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("order", ORDERS)
def test_conditional_block_entropy_definition(chain, order):
    w = ref.ngrams(chain, order)
    h = es.block_entropy(chain, order)
    if order == 1:
        assert_allclose(es.conditional_block_entropy(chain, 1), es.entropy(chain), rtol=1e-13)
    else:
        assert_allclose(es.conditional_block_entropy(chain, order), h - es.entropy(w[:, :-1]),
                        rtol=1e-10, atol=1e-12)
        # plug-in h_k is a conditional entropy of the windows: never negative, and at most
        # the entropy of the windows' last symbols
        hk = es.conditional_block_entropy(chain, order)
        assert -1e-12 <= hk <= es.entropy(w[:, -1]) + 1e-12
    assert_allclose(es.block_entropy(chain, order), es.entropy(w), rtol=1e-12)


def test_block_entropy_iid_and_periodic(rng):
    # period 4 (3, 1, 4, 1) with 4m windows: H_k = log 4 for k >= 2 (4 equally frequent
    # blocks), h_k = 0 once the context fixes the next symbol (k >= 3)
    for k in ORDERS:
        seq = np.tile(np.array([3, 1, 4, 1]), 50)[: 4 * 40 + k - 1]
        if k == 1:
            assert_allclose(es.block_entropy(seq, 1), 1.5 * math.log(2), rtol=1e-12)
        else:
            assert_allclose(es.block_entropy(seq, k), math.log(4), rtol=1e-12)
        if k >= 3:
            assert_allclose(es.conditional_block_entropy(seq, k), 0.0, atol=1e-12)
        if k == 2:  # after a 1, the next symbol is 3 or 4 with equal frequency
            assert_allclose(es.conditional_block_entropy(seq, 2), 0.5 * math.log(2), rtol=1e-12)
    seq = np.tile(np.array([3, 1, 4, 1]), 100)
    # block entropy of order = len(seq): one window
    assert es.block_entropy(seq[:8], 8) == 0.0
    assert es.conditional_block_entropy(seq[:8], 8) == 0.0


@pytest.mark.parametrize("order", ORDERS)
def test_base_two(chain, order):
    assert_allclose(es.block_entropy(chain, order, base=2),
                    es.block_entropy(chain, order) / math.log(2), rtol=1e-14)
    assert_allclose(es.conditional_block_entropy(chain, order, base=2),
                    es.conditional_block_entropy(chain, order) / math.log(2),
                    rtol=1e-14, atol=1e-15)


# ---------------------------------------------------------------------------
# large vocabularies: the core's wide path
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("top", [2**40, 2**63 - 1])
@pytest.mark.parametrize("order", [1, 2, 3, 5, 8])
def test_large_vocab(rng, top, order):
    vocab = rng.integers(0, top, 4, endpoint=True)
    vocab[0] = top
    seq = vocab[markov_sequence(rng, 800, 4)]
    for estimator in ("plugin", "miller_madow", "chao_shen"):
        assert_allclose(es.block_entropy(seq, order, estimator=estimator),
                        ref.block_entropy(seq, order, estimator=estimator), rtol=RTOL, atol=ATOL)
        assert_allclose(es.conditional_block_entropy(seq, order, estimator=estimator),
                        ref.conditional_block_entropy(seq, order, estimator=estimator),
                        rtol=RTOL, atol=1e-11)
    # a bijective relabelling onto small symbols changes nothing (narrow vs wide tables)
    small = np.unique(seq, return_inverse=True)[1].reshape(-1)
    assert_allclose(es.block_entropy(seq, order), es.block_entropy(small, order), rtol=1e-12)
    assert_allclose(es.conditional_block_entropy(seq, order),
                    es.conditional_block_entropy(small, order), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("order", ORDERS)
def test_symbols_at_the_packing_width(rng, order):
    """Symbols just below and at 2**w, w = min(64, 128 // order) bits per packed symbol."""
    w = min(64, 128 // order)
    edge = [2**w - 1, 2**w - 2, 0, 1] if w == 64 else [2**w - 1, 2**w, 0, 1]
    vocab = np.array(edge, dtype=np.uint64)
    seq = vocab[markov_sequence(rng, 400, 4)]
    codes = sliding_rows(seq, order)
    assert_allclose(es.block_entropy(seq, order), ref.entropy(codes), rtol=RTOL, atol=ATOL)
    assert_allclose(es.conditional_block_entropy(seq, order),
                    ref.entropy(codes) - (ref.entropy(codes[:, :-1]) if order > 1 else 0.0),
                    rtol=RTOL, atol=1e-11)


@pytest.mark.parametrize("dtype", INT_DTYPES)
@pytest.mark.parametrize("order", [1, 3, 8])
def test_every_dtype(rng, dtype, order):
    info = np.iinfo(dtype)
    vocab = np.array([info.min, info.max, 0, info.max // 2], dtype=dtype)
    seq = vocab[markov_sequence(rng, 500, 4)]
    want = ref.block_entropy(seq.astype(np.int64) if info.min < 0 else seq, order)
    assert_allclose(es.block_entropy(seq, order), want, rtol=RTOL, atol=ATOL)
    assert_allclose(es.conditional_block_entropy(seq, order),
                    ref.conditional_block_entropy(seq, order), rtol=RTOL, atol=1e-11)


@pytest.mark.parametrize("order", ORDERS)
def test_int8_negative_symbols(rng, order):
    seq = (markov_sequence(rng, 600, 5) - 3).astype(np.int8)
    assert seq.min() < 0
    assert_allclose(es.block_entropy(seq, order), ref.block_entropy(seq, order), rtol=RTOL,
                    atol=ATOL)
    assert_allclose(es.conditional_block_entropy(seq, order),
                    ref.conditional_block_entropy(seq, order), rtol=RTOL, atol=1e-11)
    # the same values as int64: identical n-grams
    assert_allclose(es.block_entropy(seq.astype(np.int64), order), es.block_entropy(seq, order),
                    rtol=1e-13)


def test_strided_big_endian_bool(rng):
    seq = markov_sequence(rng, 3000, 3)
    for order in (1, 2, 4, 8):
        want = ref.block_entropy(seq[::3].copy(), order)
        assert_allclose(es.block_entropy(seq[::3], order), want, rtol=RTOL)
        assert_allclose(es.block_entropy(seq[::3].astype(">i8"), order), want, rtol=RTOL)
        assert_allclose(es.block_entropy(seq[::-1], order), ref.block_entropy(seq[::-1].copy(),
                        order), rtol=RTOL)
    b = rng.random(500) < 0.3
    assert_allclose(es.block_entropy(b, 3), ref.block_entropy(b.astype(np.int64), 3), rtol=RTOL)


# ---------------------------------------------------------------------------
# NgramCounts
# ---------------------------------------------------------------------------


def _rows_and_counts(seq, order):
    rows, counts = np.unique(sliding_rows(seq, order), axis=0, return_counts=True)
    return rows, counts


@pytest.mark.parametrize("order", ORDERS)
def test_ngramcounts_counts_match_sliding_windows(rng, order):
    seq = (markov_sequence(rng, 300, 4) - 1).astype(np.int16)  # includes -1
    nc = es.NgramCounts(order, seq)
    grams, counts = nc.counts()
    rows, want = _rows_and_counts(seq, order)
    assert grams.dtype == np.uint64 and grams.shape == (rows.shape[0], order)
    assert_array_equal(grams, rows)
    assert_array_equal(counts, want)
    assert nc.n == seq.size - order + 1
    assert nc.length == seq.size
    assert nc.support == rows.shape[0]
    assert nc.order == order
    # negative symbols come back as two's-complement patterns
    assert set(grams.view(np.int64).ravel().tolist()) <= set(seq.tolist())
    assert repr(nc) == f"NgramCounts(order={order}, n={nc.n}, support={nc.support})"


@pytest.mark.parametrize("order", ORDERS)
def test_ngramcounts_wide_symbols_counts(rng, order):
    vocab = np.array([0, 2**40, 2**63 - 1, 5], dtype=np.int64)
    seq = vocab[markov_sequence(rng, 200, 4)]
    grams, counts = es.NgramCounts(order, seq).counts()
    rows, want = _rows_and_counts(seq, order)
    assert_array_equal(grams, rows)
    assert_array_equal(counts, want)


@pytest.mark.parametrize("order", ORDERS)
def test_ngramcounts_entropy_matches_functions(chain, order):
    nc = es.NgramCounts(order, chain)
    for estimator in ("plugin", "miller_madow", "chao_shen"):
        assert_allclose(nc.entropy(estimator=estimator),
                        es.block_entropy(chain, order, estimator=estimator), rtol=1e-12)
        assert_allclose(nc.conditional_entropy(estimator=estimator),
                        es.conditional_block_entropy(chain, order, estimator=estimator),
                        rtol=1e-10, atol=1e-12)
    assert_allclose(nc.entropy(base=2), es.block_entropy(chain, order, base=2), rtol=1e-12)
    assert_allclose(nc.conditional_entropy(base=2),
                    es.conditional_block_entropy(chain, order, base=2), rtol=1e-10, atol=1e-12)
    e = nc.entropy(estimator="nsb")
    assert isinstance(e, es.Estimate) and e.n == nc.n
    assert_allclose(e.value, es.block_entropy(chain, order, estimator="nsb").value, rtol=1e-12)


def _assert_same_stream(a: es.NgramCounts, b: es.NgramCounts) -> None:
    """Equal counts *and* the same stream ends: ``==`` compares counts and length only, so
    the first and last order - 1 symbols (which decide the n-grams across a later seam)
    are checked by extending both streams on either side."""
    assert a == b
    probe = es.NgramCounts(a.order, np.array([7, 8, 7, 9, 8, 7, 7, 9, 8]))
    assert a + probe == b + probe
    assert probe + a == probe + b


def _split(seq, cuts):
    cuts = sorted(cuts)
    return [seq[a:b] for a, b in zip([0, *cuts], [*cuts, len(seq)], strict=False)]


@pytest.mark.parametrize("order", ORDERS)
def test_ngramcounts_chunked_update_equals_whole(rng, order):
    seq = markov_sequence(rng, 400, 3)
    whole = es.NgramCounts(order, seq)
    for _ in range(5):
        cuts = rng.integers(0, seq.size, rng.integers(1, 40))
        nc = es.NgramCounts(order)
        for piece in _split(seq, cuts):  # includes empty and 1-symbol pieces
            assert nc.update(piece) is nc
        _assert_same_stream(nc, whole)
        assert nc.n == whole.n and nc.length == whole.length
        assert_allclose(nc.entropy(), whole.entropy(), rtol=1e-12)
    # one symbol at a time
    nc = es.NgramCounts(order)
    for s in seq[:60]:
        nc.update(np.array([s]))
    assert nc == es.NgramCounts(order, seq[:60])


@pytest.mark.parametrize("order", ORDERS)
def test_ngramcounts_add_equals_concatenation_every_split(rng, order):
    seq = markov_sequence(rng, 24, 3)
    for cut in range(seq.size + 1):  # pieces shorter than order - 1 included
        a, b = es.NgramCounts(order, seq[:cut]), es.NgramCounts(order, seq[cut:])
        whole = es.NgramCounts(order, seq)
        assert a + b == whole, cut
        _assert_same_stream(a + b, whole)
        assert a.merge(b) == whole
        # the operands are unchanged
        assert a == es.NgramCounts(order, seq[:cut])
        assert b == es.NgramCounts(order, seq[cut:])


@pytest.mark.parametrize("order", ORDERS)
def test_ngramcounts_iadd_appends_in_place(rng, order):
    seq = markov_sequence(rng, 40, 3)
    for cut in (0, 1, 17, seq.size):
        a, b = es.NgramCounts(order, seq[:cut]), es.NgramCounts(order, seq[cut:])
        total = a
        total += b
        assert total is a
        _assert_same_stream(a, es.NgramCounts(order, seq))
        assert b == es.NgramCounts(order, seq[cut:])
    a = es.NgramCounts(order, seq)
    a += a  # itself: the stream twice, the seam included
    assert a == es.NgramCounts(order, np.concatenate([seq, seq]))
    with pytest.raises(ValueError, match="other: expected order"):
        a += es.NgramCounts(order % 8 + 1)
    with pytest.raises(TypeError):
        a += es.Counts(seq)


def test_ngramcounts_iadd_domain_error_leaves_it_unchanged():
    a = es.NgramCounts(2, np.array([-1, 4, -1]))
    b = es.NgramCounts(2, np.array([2**64 - 1, 3], dtype=np.uint64))
    with pytest.raises(ValueError, match="^other"):
        a += b
    assert a == es.NgramCounts(2, np.array([-1, 4, -1]))


@pytest.mark.parametrize("order", ORDERS)
def test_ngramcounts_many_tiny_pieces_merged(rng, order):
    seq = markov_sequence(rng, 50, 3)
    cuts = rng.integers(0, seq.size, 30)
    parts = [es.NgramCounts(order, p) for p in _split(seq, cuts)]
    left = parts[0]
    for p in parts[1:]:
        left = left + p
    _assert_same_stream(left, es.NgramCounts(order, seq))
    # right-to-left association gives the same
    right = parts[-1]
    for p in parts[-2::-1]:
        right = p + right
    assert right == es.NgramCounts(order, seq)
    # merged counts keep streaming correctly
    extra = markov_sequence(rng, 20, 3)
    left.update(extra)
    assert left == es.NgramCounts(order, np.concatenate([seq, extra]))


@pytest.mark.parametrize("order", [2, 3, 8])
def test_ngramcounts_merge_narrow_with_wide(rng, order):
    small = markov_sequence(rng, 40, 3)
    big = np.array([2**62, 1, 2**41, 7], dtype=np.int64)[markov_sequence(rng, 40, 4)]
    for a, b in ((small, big), (big, small)):
        merged = es.NgramCounts(order, a) + es.NgramCounts(order, b)
        assert merged == es.NgramCounts(order, np.concatenate([a, b]))
        streamed = es.NgramCounts(order, a).update(b)
        assert streamed == merged
        rows, want = _rows_and_counts(np.concatenate([a, b]), order)
        grams, counts = merged.counts()
        assert_array_equal(grams, rows)
        assert_array_equal(counts, want)


@pytest.mark.parametrize("order", [1, 2, 8])
def test_ngramcounts_mixed_dtype_chunks(rng, order):
    seq = markov_sequence(rng, 100, 4) - 2
    nc = es.NgramCounts(order)
    nc.update(seq[:30].astype(np.int8)).update(seq[30:60].astype(np.int64))
    nc.update(seq[60:].astype(np.int32))
    assert nc == es.NgramCounts(order, seq)


@pytest.mark.parametrize("order", [1, 2, 3])
@pytest.mark.parametrize("negative,unsigned", [
    (np.array([-1], dtype=np.int8), np.array([2**64 - 1], dtype=np.uint64)),
    (np.array([np.iinfo(np.int64).min], dtype=np.int64), np.array([2**63], dtype=np.uint64)),
])
def test_ngramcounts_signed_and_unsigned_symbols_stay_distinct(order, negative, unsigned):
    """-1 (int8) and 2**64 - 1 (uint64) are different labels; so are -2**63 and 2**63.

    Both are the same 64-bit pattern, so counting them as one symbol would be silently
    wrong: the stream [-1, 2**64 - 1] (an int8 chunk, then a uint64 chunk) would get
    entropy 0 and support 1 instead of log 2 and support 2. Either outcome that keeps
    the labels apart is accepted, by ``update`` and by ``+``: a ValueError naming the
    argument (as Counts raises "x: a label does not fit the labels counted so far"), or
    the right counts.
    """
    # the stream: `order` copies of the negative label, then `order` of the unsigned one;
    # its order + 1 windows are all different
    first, second = np.repeat(negative, order), np.repeat(unsigned, order)
    want_support = order + 1
    nc = es.NgramCounts(order, first)
    try:
        nc.update(second)
    except ValueError as err:
        assert str(err).startswith("seq: "), err
    else:
        assert nc.support == want_support
        assert_allclose(nc.entropy(), math.log(want_support), rtol=1e-12)
    a, b = es.NgramCounts(order, first), es.NgramCounts(order, second)
    try:
        merged = a + b
    except ValueError as err:
        assert str(err).startswith("other: "), err
    else:
        assert merged.support == want_support
        assert_allclose(merged.entropy(), math.log(want_support), rtol=1e-12)


@pytest.mark.parametrize("vocab", ["small", "wide"])
def test_long_sequence_matches_reference(rng, vocab):
    """10^5 symbols: the parallel counting path, orders 1..8, against the reference's
    counts (computed once per order)."""
    seq = markov_sequence(rng, 100_000, 6)
    if vocab == "wide":
        seq = np.array([-(2**63), 2**63 - 1, -1, 0, 2**40, 7], dtype=np.int64)[seq]
    for order in (1, 2, 5, 8):
        windows = ref.ngrams(seq, order)
        grams = ref.counts_of(windows)
        prefixes = ref.counts_of(windows[:, :-1]) if order > 1 else None
        for estimator in ("plugin", "miller_madow", "grassberger", "chao_shen", "shrink"):
            want = ref.entropy_from_counts(grams, estimator)
            assert_allclose(es.block_entropy(seq, order, estimator=estimator), want, rtol=RTOL)
            cond = want - (ref.entropy_from_counts(prefixes, estimator) if order > 1 else 0.0)
            if order == 1:
                cond = ref.entropy(seq, estimator)
            assert_allclose(es.conditional_block_entropy(seq, order, estimator=estimator), cond,
                            rtol=RTOL, atol=1e-11)
        nc = es.NgramCounts(order)
        for piece in np.array_split(seq, 7):
            nc.update(piece)
        got_rows, got_counts = nc.counts()
        rows, counts = _rows_and_counts(seq, order)
        assert_array_equal(got_rows, rows)
        assert_array_equal(got_counts, counts)


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("length", [0, 1, 5, 7, 200])
def test_ngramcounts_pickle_round_trip(rng, order, length):
    vocab = np.array([-3, 0, 2**40, 9], dtype=np.int64)
    seq = vocab[markov_sequence(rng, max(length, 1), 4)][:length]
    nc = es.NgramCounts(order, seq)
    back = pickle.loads(pickle.dumps(nc))
    _assert_same_stream(back, nc)
    assert (back.order, back.n, back.length, back.support) == (nc.order, nc.n, nc.length,
                                                                 nc.support)
    # head and tail travel too: continuing the stream gives the same as without pickling
    more = vocab[markov_sequence(rng, 30, 4)]
    assert back.update(more) == nc.update(more)
    assert es.NgramCounts(order, more) + pickle.loads(pickle.dumps(es.NgramCounts(order, seq))) \
        == es.NgramCounts(order, np.concatenate([more, seq]))


def test_ngramcounts_empty_and_short():
    nc = es.NgramCounts(3)
    assert (nc.n, nc.length, nc.support) == (0, 0, 0)
    nc.update(np.array([], dtype=np.int64))
    assert nc.length == 0
    nc.update(np.array([1, 2]))
    assert (nc.n, nc.length, nc.support) == (0, 2, 0)
    grams, counts = nc.counts()
    assert grams.shape == (0, 3) and counts.size == 0
    nc.update(np.array([3]))
    assert (nc.n, nc.support) == (1, 1)
    assert es.NgramCounts(3) + nc == nc
    assert nc + es.NgramCounts(3) == nc
    assert nc != es.NgramCounts(2, np.array([1, 2, 3]))
    assert (nc == 3) is False
    with pytest.raises(TypeError):
        hash(nc)


@pytest.mark.parametrize("estimator", FAST_ESTIMATORS)
def test_order_one_conditional_is_the_symbol_entropy(estimator):
    """h_1 = H_1: "order = 1 is the entropy of the symbols" (docstring, docs/estimators.md).

    Regression (grassberger): h_1 used to be H_1 - H_G([N]), and Grassberger's estimate of
    a one-bin histogram is log N - G(N) != 0 (off by about 0.0365 nats for [0, 1]).
    """
    seq = np.array([0, 1])
    want = es.entropy(seq, estimator=estimator)
    assert_allclose(es.conditional_block_entropy(seq, 1, estimator=estimator), want,
                    rtol=1e-12, atol=1e-15)
    assert_allclose(es.NgramCounts(1, seq).conditional_entropy(estimator=estimator), want,
                    rtol=1e-12, atol=1e-15)
