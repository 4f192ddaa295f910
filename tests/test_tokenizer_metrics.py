"""Token-stream metrics: against the NumPy reference, closed forms and invariants."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from conftest import assert_same_metrics as assert_same
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.integrate import IntegrationWarning

from entrostat import _reference as ref
from entrostat.tokenizers import COVERAGE_SHARES, TokenMetrics, TokenStats, token_stream_metrics

ESTIMATORS = ["plugin", "miller_madow", "grassberger", "chao_shen", "jackknife", "shrink", "nsb"]


def _docs(rng, n_docs, vocab, max_len=60):
    return [rng.integers(0, vocab, size=rng.integers(0, max_len)) for _ in range(n_docs)]


def _offsets(docs):
    return np.concatenate([[0], np.cumsum([len(d) for d in docs])]).astype(np.int64)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_matches_reference_with_documents(estimator):
    rng = np.random.default_rng(1)
    docs = _docs(rng, 40, 23)
    ids = np.concatenate(docs).astype(np.uint16)
    got = token_stream_metrics(
        ids, vocab_size=30, offsets=_offsets(docs), orders=(1, 2, 3, 4), estimator=estimator
    )
    with warnings.catch_warnings():
        # The reference integrates NSB's posterior with quad, which may flag roundoff on
        # near-degenerate count vectors; the comparison below still holds it to 1e-9.
        warnings.simplefilter("ignore", IntegrationWarning)
        want = ref.token_metrics(docs, 30, orders=(1, 2, 3, 4), estimator=estimator)
    for key in ("n_tokens", "n_types", "vocab_used", "hapax_share", "coverage_tokens"):
        assert getattr(got, key) == want[key], key
    for key in ("unigram_entropy", "renyi_entropy", "shannon_efficiency", "renyi_efficiency"):
        assert getattr(got, key) == pytest.approx(want[key], rel=1e-10, abs=1e-12), key
    assert got.renyi_efficiency_types == pytest.approx(want["renyi_efficiency_types"], rel=1e-10)
    for k in (1, 2, 3, 4):
        assert got.conditional_entropy[k] == pytest.approx(
            want["conditional_entropy"][k], rel=1e-9, abs=1e-9
        ), k
    assert got.n_documents == len(docs)


def test_byte_tokenizer_on_ascii():
    text = "the quick brown fox jumps over the lazy dog " * 20
    raw = text.encode()
    ids = np.frombuffer(raw, dtype=np.uint8)
    m = token_stream_metrics(ids, vocab_size=256, n_bytes=len(raw), n_chars=len(text))
    assert m.bytes_per_token == 1.0 and m.chars_per_token == 1.0
    _, counts = np.unique(ids, return_counts=True)
    p = counts / counts.sum()
    assert m.unigram_entropy == pytest.approx(-(p * np.log2(p)).sum(), rel=1e-12)
    assert m.shannon_efficiency == pytest.approx(m.unigram_entropy / 8.0, rel=1e-12)
    assert m.bits_per_byte[1] == pytest.approx(m.unigram_entropy, rel=1e-12)


def test_two_letter_alphabet_closed_forms():
    # "ab" repeated: H1 = 1 bit, next symbol fully determined by the previous one.
    ids = np.tile(np.array([0, 1], dtype=np.int32), 500)
    m = token_stream_metrics(ids, vocab_size=2, orders=(1, 2, 3), n_words=250)
    assert m.unigram_entropy == pytest.approx(1.0, abs=1e-12)
    assert m.conditional_entropy[2] == pytest.approx(0.0, abs=1e-12)
    assert m.conditional_entropy[3] == pytest.approx(0.0, abs=1e-12)
    assert m.renyi_entropy == pytest.approx(1.0, abs=1e-12)  # uniform: every order agrees
    assert m.shannon_efficiency == pytest.approx(1.0) and m.vocab_used == 1.0
    assert m.fertility == 4.0 and m.coverage_tokens == {0.5: 1, 0.9: 2, 0.99: 2}
    # i.i.d. fair bits: H(t | previous) -> 1 bit as the sample grows.
    rng = np.random.default_rng(0)
    coin = rng.integers(0, 2, size=200_000)
    m = token_stream_metrics(coin, vocab_size=2, orders=(1, 2, 3))
    assert all(abs(h - 1.0) < 1e-3 for h in m.conditional_entropy.values())


def test_renyi_efficiency_against_tokenization_scorer():
    scorer = pytest.importorskip("tokenization_scorer")  # a test dependency: always present
    rng = np.random.default_rng(5)
    docs = [[f"t{t}" for t in rng.zipf(1.5, size=50) % 300] for _ in range(20)]
    vocab = {tok: i for i, tok in enumerate(sorted({t for d in docs for t in d}))}
    ids = np.array([vocab[t] for d in docs for t in d], dtype=np.uint32)
    m = token_stream_metrics(ids, vocab_size=1000, alpha=2.5)
    import contextlib
    import io

    with contextlib.redirect_stderr(io.StringIO()):  # the scorer prints its settings
        by_types = scorer.score(docs, metric="renyi", power=2.5)
        by_vocab = scorer.score(docs, metric="renyi", power=2.5, vocab=1000)
        shannon = scorer.score(docs, metric="shannon", vocab=1000)
    assert m.renyi_efficiency_types == pytest.approx(by_types, rel=1e-12)
    assert m.renyi_efficiency == pytest.approx(by_vocab, rel=1e-12)
    assert m.shannon_efficiency == pytest.approx(shannon, rel=1e-12)


@pytest.mark.parametrize("alpha", [0.0, 0.5, 1.0, 2.5, math.inf])
def test_renyi_orders(alpha):
    rng = np.random.default_rng(2)
    ids = rng.integers(0, 50, size=3000)
    m = token_stream_metrics(ids, vocab_size=50, alpha=alpha)
    _, c = np.unique(ids, return_counts=True)
    want = ref.renyi_entropy_from_counts(c, alpha) / math.log(2)
    assert m.renyi_entropy == pytest.approx(want, rel=1e-12)


def test_chunked_and_merged_equal_whole():
    rng = np.random.default_rng(3)
    docs = _docs(rng, 30, 17, max_len=90)
    ids = np.concatenate(docs)
    whole = TokenStats(4).update(ids, _offsets(docs)).metrics(vocab_size=17)
    # One document per update.
    per_doc = TokenStats(4)
    for d in docs:
        per_doc.update(d)
    assert_same(per_doc.metrics(vocab_size=17), whole)
    # Each document streamed in chunks of 7 tokens.
    chunked = TokenStats(4)
    for d in docs:
        pieces = [d[i : i + 7] for i in range(0, max(len(d), 1), 7)]
        chunked.update(pieces[0])
        for p in pieces[1:]:
            chunked.update(p, new_document=False)
    assert_same(chunked.metrics(vocab_size=17), whole)
    # Two halves merged.
    a = TokenStats(4).update(np.concatenate(docs[:13]), _offsets(docs[:13]))
    b = TokenStats(4).update(np.concatenate(docs[13:]), _offsets(docs[13:]))
    assert_same(a.merge(b).metrics(vocab_size=17), whole)
    assert a.n_documents == len(docs)


def test_merges_recode_ids_whatever_order_they_were_seen_in():
    # N-gram keys hold dense codes given in order of first sight, so two accumulators code
    # the same ids differently; merged, one's counts are recoded into the other's codes.
    # 40 000 types each, 80 000 together: the merged 4-gram keys no longer fit 64 bits.
    rng = np.random.default_rng(12)
    first = rng.permutation(40_000).astype(np.uint32) * 3
    second = rng.permutation(np.arange(40_000, 80_000)).astype(np.uint32) * 3
    docs = [first[:25_000], second[:15_000], first[25_000:], second[15_000:]]
    whole = TokenStats(4).update(np.concatenate(docs), _offsets(docs)).metrics()
    a = TokenStats(4).update(np.concatenate(docs[:2]), _offsets(docs[:2]))
    b = TokenStats(4).update(np.concatenate(docs[2:]), _offsets(docs[2:]))
    assert_same(a.merge(b).metrics(), whole)
    # Merged into an empty accumulator (no recoding), then continued.
    c = TokenStats(4).merge(TokenStats(4).update(np.concatenate(docs[:2]), _offsets(docs[:2])))
    c.update(np.concatenate(docs[2:]), _offsets(docs[2:]))
    assert_same(c.metrics(), whole)
    # Every token is distinct: H1 = log2(80 000), and a 3-gram fixes what follows it.
    assert whole.unigram_entropy == pytest.approx(math.log2(80_000), rel=1e-12)
    assert whole.conditional_entropy[4] == pytest.approx(0.0, abs=1e-9)


def test_metrics_do_not_depend_on_id_values():
    # Ids are coded in order of first sight (a flat table below 2^24, a hash map above),
    # so relabelling the ids one to one leaves every metric as it was.
    rng = np.random.default_rng(13)
    docs = _docs(rng, 40, 300, max_len=200)
    low = rng.choice(2**24, size=150, replace=False).astype(np.uint64)
    high = np.unique(rng.integers(2**24, 2**64 - 1, size=160, dtype=np.uint64))[:150]
    labels = rng.permutation(np.concatenate([low, high]))
    vocab = 2**64 - 1
    want = TokenStats(4).update(np.concatenate(docs), _offsets(docs)).metrics(vocab_size=vocab)
    relabelled = [labels[d] for d in docs]
    got = TokenStats(4).update(np.concatenate(relabelled), _offsets(relabelled))
    assert_same(got.metrics(vocab_size=vocab), want)
    # Two halves coded apart, then merged (one side recoded).
    a = TokenStats(4).update(np.concatenate(relabelled[:20]), _offsets(relabelled[:20]))
    b = TokenStats(4).update(np.concatenate(relabelled[20:]), _offsets(relabelled[20:]))
    assert_same(a.merge(b).metrics(vocab_size=vocab), want)


def test_continuing_a_long_stream_equals_one_call():
    rng = np.random.default_rng(4)
    ids = rng.integers(0, 9, size=5000)
    whole = token_stream_metrics(ids, vocab_size=9, orders=(1, 2, 3, 4))
    s = TokenStats(4)
    for i, start in enumerate(range(0, 5000, 333)):
        s.update(ids[start : start + 333], new_document=i == 0)
    assert_same(s.metrics(vocab_size=9), whole)
    assert s.n_documents == 1


def test_short_documents_give_nan_for_missing_orders():
    m = TokenStats(3).update([1, 2, 3, 4], [0, 1, 2, 3, 4]).metrics(vocab_size=5)
    assert m.conditional_entropy[1] == pytest.approx(2.0)
    assert math.isnan(m.conditional_entropy[2]) and math.isnan(m.conditional_entropy[3])


def test_counts_fields_and_json_form():
    m = token_stream_metrics(np.arange(10), vocab_size=16, n_bytes=40, n_chars=30, n_words=5)
    assert isinstance(m, TokenMetrics)
    assert (m.bytes_per_token, m.chars_per_token, m.fertility) == (4.0, 3.0, 2.0)
    assert m.hapax_share == 1.0 and m.vocab_used == 10 / 16
    assert m.coverage_tokens == {0.5: 5, 0.9: 9, 0.99: 10}
    d = m.to_dict()
    assert set(d["conditional_entropy"]) == {"1", "2", "3"}
    assert set(d["coverage_tokens"]) == {str(s) for s in COVERAGE_SHARES}
    none = token_stream_metrics(np.arange(10), vocab_size=16)
    assert none.bytes_per_token is None and none.bits_per_byte is None and none.fertility is None


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"ids": [0, 1, -1], "vocab_size": 4}, ValueError, "ids: token ids must be non-negative"),
        ({"ids": [0, 1, 4], "vocab_size": 4}, ValueError, "ids: token id 4 is outside"),
        ({"ids": [0.5, 1.0], "vocab_size": 4}, TypeError, "ids: expected an array of integer"),
        ({"ids": [], "vocab_size": 4}, ValueError, "ids: must not be empty"),
        ({"ids": [[0, 1]], "vocab_size": 4}, ValueError, "ids: expected a 1-D"),
        ({"ids": [0, 1], "vocab_size": 0}, ValueError, "vocab_size"),
        ({"ids": [0, 1], "vocab_size": 4, "orders": (0,)}, ValueError, "orders"),
        ({"ids": [0, 1], "vocab_size": 4, "orders": (9,)}, ValueError, "orders"),
        ({"ids": [0, 1], "vocab_size": 4, "alpha": -1}, ValueError, "alpha"),
        ({"ids": [0, 1], "vocab_size": 4, "estimator": "x"}, ValueError, "estimator"),
        ({"ids": [0, 1], "vocab_size": 4, "offsets": [0, 3]}, ValueError, "offsets"),
        ({"ids": [0, 1], "vocab_size": 4, "offsets": [1, 2]}, ValueError, "offsets"),
        ({"ids": [0, 1], "vocab_size": 4, "offsets": [0, 2, 1, 2]}, ValueError, "offsets"),
        ({"ids": [0, 1], "vocab_size": 4, "n_bytes": -1}, ValueError, "n_bytes"),
    ],
)
def test_errors_name_the_argument(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        token_stream_metrics(**kwargs)


def test_rejected_update_changes_nothing_and_merge_checks():
    s = TokenStats(3, vocab_size=5).update([0, 1, 2])
    with pytest.raises(ValueError, match="outside the vocabulary"):
        s.update([1, 7])
    assert s.n_tokens == 3
    with pytest.raises(ValueError, match="ids: expected a rectangular array"):
        s.update([[1, 2], [3]])
    with pytest.raises(ValueError, match="ids: the labels do not fit one integer dtype"):
        s.update([-1, 2**64 - 1])
    assert s.update([]).n_tokens == 3  # an empty document adds nothing
    with pytest.raises(ValueError, match="max_order"):
        s.merge(TokenStats(2))
    with pytest.raises(TypeError, match="other"):
        s.merge(object())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="no tokens"):
        TokenStats(2).metrics(vocab_size=3)
    with pytest.raises(ValueError, match="vocab_size"):
        s.metrics(vocab_size=2)
    with pytest.raises(ValueError, match="orders"):
        s.metrics(orders=(4,))
    with pytest.raises(ValueError, match="new_document: False continues the last document"):
        s.update([1, 2], [0, 2], new_document=False)
    assert s.n_tokens == 3


@pytest.mark.parametrize("max_order", [1, 2, 4])
def test_pickled_and_copied_stats_continue_as_the_original(max_order):
    import copy
    import pickle

    rng = np.random.default_rng(8)
    docs = _docs(rng, 12, 40, max_len=80)
    ids = np.concatenate(docs)
    whole = TokenStats(max_order, vocab_size=40).update(ids, _offsets(docs))
    # The first 7 documents, the 7th left open mid-way, then restored and continued.
    cut = int(_offsets(docs)[6]) + len(docs[6]) // 2
    first = TokenStats(max_order, vocab_size=40).update(
        ids[:cut], np.append(_offsets(docs[:6]), cut)
    )
    start_7 = _offsets(docs)[7]
    for restored in (pickle.loads(pickle.dumps(first)), copy.deepcopy(first), first.copy()):
        assert restored.vocab_size == 40
        restored.update(ids[cut:start_7], new_document=False)
        restored.update(ids[start_7:], _offsets(docs[7:]))
        assert_same(restored.metrics(), whole.metrics())
    assert first.n_tokens == cut  # the copies are independent
    # States whose open document is shorter than max_order - 1, or closed (merged, or an
    # empty document last): the tail of the open document is shorter than the head.
    for stats in (
        TokenStats(max_order).update(ids[:9], [0, 8, 9]),
        TokenStats(max_order).update(ids[:30]).merge(TokenStats(max_order).update(ids[30:60])),
        TokenStats(max_order).update(ids[:30]).update([]),
    ):
        assert_same(pickle.loads(pickle.dumps(stats)).metrics(), stats.metrics())


def test_merge_with_itself_and_vocabulary_checks():
    ids = np.array([3, 1, 4, 1, 5, 9, 2, 6])
    doubled = TokenStats(3).update(ids).merge(TokenStats(3).update(ids))
    s = TokenStats(3).update(ids)
    assert_same(s.merge(s).metrics(), doubled.metrics())
    assert s.n_documents == 2
    with pytest.raises(ValueError, match="other: its vocab_size 100 differs .* 10"):
        TokenStats(3, vocab_size=10).merge(TokenStats(3, vocab_size=100))
    with pytest.raises(ValueError, match="other: its vocab_size 10 is not above the token id 50"):
        TokenStats(3).update([50]).merge(TokenStats(3, vocab_size=10))
    loose = TokenStats(3).update([50, 60])
    with pytest.raises(ValueError, match="other: token id 60 is outside the vocabulary of size 10"):
        TokenStats(3, vocab_size=10).merge(loose)
    # Without a vocab_size of its own, the merged counts take the other's.
    big = TokenStats(3, vocab_size=100).update([50, 60])
    assert TokenStats(3).update([1, 2]).merge(big).vocab_size == 100


def test_corrupted_state_is_refused():
    from entrostat import _core

    s = TokenStats(3).update([5, 6, 7, 5, 6])
    state = s._inner.state()
    for key, value, match in [
        ("max_id", 99, "max_id"),
        ("ids", np.array([5, 5, 7], dtype=np.uint64), "repeat"),
        ("ngrams", np.zeros((2, 2), dtype=np.uint64), "columns"),
        ("counts", np.array([1.5]), "uint64 array"),
        ("n_tokens", "many", "wrong type"),
        ("unigram_domain", "complex", "^state\\['unigram_domain'\\]: expected 'signed', "
         "'unsigned' or None"),
    ]:
        bad = dict(state, **{key: value})
        with pytest.raises(ValueError, match=match):
            _core.TokenStats.from_state(bad)
    with pytest.raises(ValueError, match='missing "ids"'):
        _core.TokenStats.from_state({k: v for k, v in state.items() if k != "ids"})


_SPACES = "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u200a\u2028\u2029\u202f\u205f\u3000"


@given(st.lists(st.text(alphabet=st.sampled_from("ab\u00e9\u6771\U0001f600\u200b\ud800" + _SPACES)
                        | st.characters(), max_size=40), max_size=8))
@settings(max_examples=200, deadline=None)
def test_text_sizes_equal_python(texts):
    from entrostat._core import text_sizes_batch

    want = (
        sum(len(t.encode("utf-8", "surrogatepass")) for t in texts),
        sum(len(t) for t in texts),
        sum(len(t.split()) for t in texts),
    )
    assert text_sizes_batch(texts) == want
