"""``evaluate`` / ``sweep``: metrics of tokenizers on corpora, checked against direct
computations on the same ids, and invariants (chunking, shards == encoded text)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from conftest import assert_same_metrics

from entrostat import _reference as ref
from entrostat.tokenizers import (
    Report,
    TextCorpus,
    evaluate,
    load_tokenizer,
    sweep,
    token_stream_metrics,
)
from entrostat.tokenizers._sweep import human_size, parse_size, plot_sweep

TEXT = (
    "Tokenizers are compressors. A good one turns bytes into few tokens, spreads its "
    "vocabulary well, and leaves structure for the model to learn. Ünïcödé text too: "
    "naïve café, 東京, Москва."
)


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ENTROSTAT_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _docs(n=60, seed=0):
    rng = np.random.default_rng(seed)
    words = TEXT.split()
    return [" ".join(rng.choice(words, size=rng.integers(3, 30))) for _ in range(n)]


def test_bytes_tokenizer_metrics_equal_direct_computation(tmp_path):
    docs = _docs()
    corpus = TextCorpus.from_texts(docs, name="docs")
    report = evaluate(["bytes"], [corpus], orders=(1, 2, 3))
    (entry,) = report.entries
    m = entry.metrics
    raw = [d.encode() for d in docs]
    ids = [np.frombuffer(r, dtype=np.uint8) for r in raw]
    want = ref.token_metrics(ids, 256, orders=(1, 2, 3))
    assert m.n_tokens == m.n_bytes == sum(map(len, raw))
    assert m.bytes_per_token == 1.0
    assert m.n_chars == sum(map(len, docs)) and m.n_words == sum(len(d.split()) for d in docs)
    assert m.n_documents == len(docs) and m.roundtrip_share == 1.0
    for k in (1, 2, 3):
        assert m.conditional_entropy[k] == pytest.approx(want["conditional_entropy"][k], rel=1e-10)
        assert m.bits_per_byte[k] == pytest.approx(m.conditional_entropy[k], rel=1e-12)
    assert m.renyi_efficiency == pytest.approx(want["renyi_efficiency"], rel=1e-12)
    assert entry.encode_seconds is not None and entry.metrics_seconds is not None


def test_batches_do_not_change_the_metrics():
    docs = _docs(200, seed=1)
    corpus = TextCorpus.from_texts(docs, name="docs")
    one = evaluate(["chars"], [corpus], batch_bytes=1 << 24).entries[0].metrics
    many = evaluate(["chars"], [corpus], batch_bytes=100).entries[0].metrics
    assert_same_metrics(one, many)


def test_id_shards_equal_encoding_the_same_text(tmp_path):
    # One paragraph (no blank line): one document, as one .npy shard is.
    text = " ".join(_docs(30, seed=2))
    (tmp_path / "a.txt").write_text(text, encoding="utf-8")
    np.save(tmp_path / "a.npy", np.frombuffer(text.encode(), dtype=np.uint8))
    from_text = evaluate(["bytes"], [str(tmp_path / "a.txt")], roundtrip=False)
    from_ids = evaluate(None, [str(tmp_path / "a.npy")], vocab_size=256)
    a, b = from_text.entries[0].metrics, from_ids.entries[0].metrics
    assert from_ids.entries[0].tokenizer == "ids"
    assert a.n_tokens == b.n_tokens and a.n_documents == b.n_documents == 1
    for k in a.conditional_entropy:
        assert a.conditional_entropy[k] == pytest.approx(b.conditional_entropy[k], rel=1e-12)
    assert a.renyi_entropy == pytest.approx(b.renyi_entropy, rel=1e-12)
    assert a.coverage_tokens == b.coverage_tokens
    assert b.n_bytes is None and b.bits_per_byte is None


def test_hf_tokenizer_ids_are_what_the_tokenizer_gives(tmp_path, cache):
    docs = _docs(80, seed=3)
    corpus = TextCorpus.from_texts(docs, name="docs")
    tok = load_tokenizer("bpe:300", train_texts=lambda: iter(docs), train_key="t")
    report = evaluate([tok], [corpus], orders=(1, 2))
    ids, offsets = tok.encode_batch(docs)
    m = report.entries[0].metrics
    direct = token_stream_metrics(
        ids, vocab_size=tok.vocab_size, offsets=offsets, orders=(1, 2),
        n_bytes=sum(len(d.encode()) for d in docs),
    )
    assert m.conditional_entropy == direct.conditional_entropy
    assert m.bytes_per_token == direct.bytes_per_token and m.roundtrip_share == 1.0


def test_parity_is_relative_to_the_reference_corpus():
    en = TextCorpus.from_texts(["hello world"] * 10, name="en", group="parallel", language="en")
    de = TextCorpus.from_texts(["hallo welt!!"] * 10, name="de", group="parallel", language="de")
    report = evaluate(["bytes", "chars"], [en, de], reference="en", orders=(1,))
    by = {(e.tokenizer, e.corpus): e for e in report.entries}
    assert by["bytes", "en"].parity == 1.0 and by["bytes", "de"].parity == 1.0
    assert by["chars", "en"].parity == 1.0
    assert report.meta["reference"] == "en"


def test_trained_tokenizers_learn_from_the_training_split_only(cache):
    docs = _docs(100, seed=4)
    corpus = TextCorpus.from_texts(docs, name="docs")
    report = evaluate(["bpe:280", "bytes"], [corpus], orders=(1,))
    entries = {e.tokenizer: e for e in report.entries}
    # Every tokenizer is evaluated on the same held-out split: fewer bytes than the corpus.
    n_bytes = {e.metrics.n_bytes for e in report.entries}
    assert len(n_bytes) == 1 and n_bytes.pop() < sum(len(d.encode()) for d in docs)
    assert entries["bpe:280"].metrics.bytes_per_token > 1.0
    assert list(cache.glob("tokenizers/bpe-280-*.json")), "the trained tokenizer is cached"


def test_report_json_is_valid_and_round_trips():
    corpus = TextCorpus.from_texts(_docs(20, seed=5), name="docs")
    report = evaluate(["bytes", "chars"], [corpus], orders=(1, 2))
    doc = json.loads(report.to_json())
    assert doc["schema"] == "entrostat.tokenizers.report" and doc["schema_version"] == 1
    assert {e["tokenizer"] for e in doc["entries"]} == {"bytes", "chars"}
    back = Report.from_json(report.to_json())
    assert [e.metrics for e in back.entries] == [e.metrics for e in report.entries]


def test_sweep_on_a_small_corpus(tmp_path, cache):
    rng = np.random.default_rng(6)
    words = [f"w{i}" for i in range(400)]
    train = TextCorpus.from_texts(
        [" ".join(rng.choice(words, 50, p=None)) for _ in range(400)], name="train"
    )
    test = [TextCorpus.from_texts([" ".join(rng.choice(words, 50)) for _ in range(30)],
                                  name="test", group="prose")]
    report = sweep([300, 600], [4 << 10, 16 << 10], train=train, test=test, orders=(1, 2))
    plan = report.meta["sweep"]
    assert [p["tokenizer"] for p in plan] == [
        "bpe:300@4K", "bpe:600@4K", "bpe:300@16K", "bpe:600@16K"]
    assert all(p["used_bytes"] <= p["train_bytes"] for p in plan)
    assert len(report.entries) == 4
    h = {e.tokenizer: e.metrics for e in report.entries}
    # A larger vocabulary learnt from the same text compresses at least as well.
    assert h["bpe:600@16K"].bytes_per_token >= h["bpe:300@16K"].bytes_per_token
    plot_sweep(report, tmp_path / "sweep.png")
    assert (tmp_path / "sweep.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_sizes_parse_and_print():
    assert parse_size("4M") == 4 << 20 and parse_size("512k") == 512 << 10
    assert parse_size("1G") == 1 << 30 and parse_size("1000") == 1000
    assert human_size(4 << 20) == "4M" and human_size(1000) == "1000B"
    for bad in ("", "M", "-1M", "x"):
        with pytest.raises(ValueError, match="size"):
            parse_size(bad)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"tokenizers": ["nope"]}, ValueError, "tokenizer: unknown spec"),
        ({"tokenizers": ["bytes"], "orders": (0,)}, ValueError, "orders"),
        ({"tokenizers": ["bytes"], "alpha": -1.0}, ValueError, "alpha"),
        ({"tokenizers": ["bytes"], "estimator": "x"}, ValueError, "estimator"),
        ({"tokenizers": []}, ValueError, "tokenizers"),
        ({"tokenizers": ["bytes"], "batch_bytes": 0}, ValueError,
         "batch_bytes: expected an integer >= 1, got 0"),
        ({"tokenizers": ["bytes"], "batch_bytes": 1.5}, TypeError,
         "batch_bytes: expected an integer, got float"),
    ],
)
def test_errors(kwargs, exc, match):
    corpus = TextCorpus.from_texts(["a b c"], name="x")
    with pytest.raises(exc, match=match):
        evaluate(corpora=[corpus], **kwargs)


def test_missing_corpus_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        evaluate(["bytes"], [str(tmp_path / "nope.txt")])


def test_empty_text_is_an_error():
    with pytest.raises(ValueError, match="holds no text"):
        evaluate(["bytes"], [TextCorpus.from_texts([""], name="empty")])


def test_nan_free_metrics_on_real_text():
    corpus = TextCorpus.from_texts(_docs(50, seed=7), name="docs")
    m = evaluate(["bytes"], [corpus]).entries[0].metrics
    assert all(math.isfinite(v) for v in m.conditional_entropy.values())


def test_any_object_with_encode_works_without_decode():
    class WordHasher:
        n_vocab = 64

        def encode(self, text):
            return [sum(map(ord, w)) % 64 for w in text.split()]

    docs = _docs(30, seed=8)
    m = evaluate([WordHasher()], [TextCorpus.from_texts(docs, name="d")]).entries[0].metrics
    assert m.roundtrip_share is None and m.vocab_size == 64
    assert m.fertility == 1.0  # one token per whitespace-separated word
    assert m.n_tokens == sum(len(d.split()) for d in docs)


def test_an_error_while_counting_a_batch_reaches_the_caller(monkeypatch):
    # A batch is counted on a worker thread while the next one encodes; an error there
    # still surfaces from evaluate, as itself.
    from entrostat.tokenizers import _evaluate

    class FailingStats(_evaluate.TokenStats):
        def update(self, ids, offsets=None, **kwargs):
            if self.n_documents >= 20:
                raise ValueError("ids: counting failed on purpose")
            return super().update(ids, offsets, **kwargs)

    corpus = TextCorpus.from_texts(_docs(60, seed=3), name="d")
    monkeypatch.setattr(_evaluate, "TokenStats", FailingStats)
    with pytest.raises(ValueError, match="counting failed on purpose"):
        evaluate(["chars"], [corpus], batch_bytes=200)


# ------------------------------------------------------------ options, names, reference


@pytest.fixture
def mixed(tmp_path):
    """A text file, a JSONL file (field "body"), an int32 .npy and a uint16 .bin shard."""
    (tmp_path / "a.txt").write_text("ab cd\n\nef\n", encoding="utf-8")  # 2 docs, 7 bytes
    (tmp_path / "x.jsonl").write_text(
        '{"body": "hello"}\n{"body": "héllo"}\n', encoding="utf-8"  # 5 + 6 bytes
    )
    np.save(tmp_path / "i.npy", np.array([1, 2, 3, 1, 2], dtype=np.int32))
    np.array([7, 7, 8], dtype=np.uint16).tofile(tmp_path / "s.bin")
    return tmp_path


def _by_corpus(report):
    return {e.corpus: (e.tokenizer, e.metrics.n_tokens) for e in report.entries}


def test_dtype_applies_to_bin_shards_only(mixed):
    report = evaluate(["bytes"], [mixed / "a.txt", mixed / "s.bin"], dtype="uint16",
                      roundtrip=False)
    assert _by_corpus(report) == {"a.txt": ("bytes", 7), "s.bin": ("ids", 3)}
    # A .npy keeps its own dtype (int32) next to a .bin read as uint16.
    report = evaluate(None, [mixed / "i.npy", mixed / "s.bin"], dtype="uint16")
    assert _by_corpus(report) == {"i.npy": ("ids", 5), "s.bin": ("ids", 3)}


def test_field_applies_to_jsonl_only(mixed):
    report = evaluate(["bytes"], [mixed / "a.txt", mixed / "x.jsonl"], field="body",
                      roundtrip=False)
    assert _by_corpus(report) == {"a.txt": ("bytes", 7), "x.jsonl": ("bytes", 11)}


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dtype": "uint16"}, r"dtype='uint16' applies to raw \.bin .*none of the corpora"),
        ({"field": "body"}, r"field='body' applies to JSONL .*none of the corpora"),
        ({"reference": "nope"},
         r"reference: no corpus is named 'nope'; the corpora are 'a.txt', 'i.npy'$"),
        ({"reference": "i.npy"}, r"reference: 'i.npy' is token-id shards"),
    ],
)
def test_options_no_corpus_can_use_are_errors(mixed, kwargs, match):
    with pytest.raises(ValueError, match=match):
        evaluate(["bytes"], [mixed / "a.txt", mixed / "i.npy"], **kwargs)


def test_corpora_of_one_name_are_told_apart(tmp_path):
    for folder, text in (("x", "héllo wörld"), ("y", "hello world")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.txt").write_text(text, encoding="utf-8")
    paths = [tmp_path / "x" / "a.txt", tmp_path / "y" / "a.txt"]
    report = evaluate(["chars"], paths, reference="y/a.txt", roundtrip=False)
    parity = {e.corpus: e.parity for e in report.entries}
    # chars: 11 tokens for 13 bytes (x) and for 11 bytes (y).
    assert parity == {"x/a.txt": pytest.approx(11 / 13), "y/a.txt": 1.0}
    # The same file twice, and in-memory corpora of one name: #2, #3; callers' objects keep
    # their names.
    t = TextCorpus.from_texts(["ab"], name="t")
    report = evaluate(["bytes"], [paths[0], paths[0], t, t], orders=(1,))
    assert [e.corpus for e in report.entries] == ["a.txt", "a.txt#2", "t", "t#2"]
    assert t.name == "t"


def test_duplicate_paths_keep_folder_tails(tmp_path):
    for folder in ("x", "y"):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "a.txt").write_text("ab cd", encoding="utf-8")
    x, y = tmp_path / "x" / "a.txt", tmp_path / "y" / "a.txt"
    t = TextCorpus.from_texts(["ab"], name="a.txt")
    report = evaluate(["bytes"], [x, y, x, t], orders=(1,), roundtrip=False)
    # The same path twice gets #2; the in-memory corpus keeps its name.
    assert [e.corpus for e in report.entries] == ["x/a.txt", "y/a.txt", "x/a.txt#2", "a.txt"]


class _NoSize(TextCorpus):
    """A corpus whose size must not be asked for (it would cost a full pass)."""

    def documents(self):
        return iter(["ab cd", "ef"])

    def total_bytes(self):
        raise AssertionError("total_bytes called without a progress bar")

    def fingerprint(self):
        return "nosize"


def test_sizes_only_for_progress_bars():
    report = evaluate(["bytes"], [_NoSize("n")], orders=(1,), progress=False)
    assert report.entries[0].metrics.n_bytes == 7


def test_train_with_the_default_corpus_is_an_error(tmp_path):
    (tmp_path / "a.txt").write_text("ab cd\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"^train: only with corpora; the built-in corpus"):
        evaluate(["bytes"], train=tmp_path / "a.txt")


def test_field_applies_to_a_jsonl_train(mixed, cache):
    report = evaluate(["bpe:260"], [mixed / "a.txt"], train=mixed / "x.jsonl", field="body",
                      orders=(1,), roundtrip=False)
    assert _by_corpus(report).keys() == {"a.txt"}


@pytest.mark.parametrize("name", ["en", "en:test"])
def test_reference_by_corpus_or_held_out_name(cache, name):
    en = TextCorpus.from_texts([f"hello world {i % 10}" for i in range(60)], name="en")
    de = TextCorpus.from_texts([f"hällo wörld {i % 10}" for i in range(60)], name="de")
    report = evaluate(["bpe:270", "chars"], [en, de], reference=name, orders=(1,))
    assert report.meta["reference"] == "en:test"
    assert {e.corpus: e.parity for e in report.entries if e.tokenizer == "chars"} == {
        "en:test": 1.0, "de:test": pytest.approx(13 / 15)}
    with pytest.raises(ValueError, match=r"the corpora are 'en' \('en:test'\), 'de' "):
        evaluate(["bpe:270"], [en, de], reference="fr", orders=(1,))


def test_reference_survives_the_training_split(cache):
    en = TextCorpus.from_texts([f"hello world {i % 10}" for i in range(60)], name="en")
    de = TextCorpus.from_texts([f"hällo wörld {i % 10}" for i in range(60)], name="de")
    report = evaluate(["bpe:270", "chars"], [en, de], reference="en", orders=(1,))
    ref_name = report.meta["reference"]
    assert ref_name.startswith("en")  # the held-out side of "en"
    by = {(e.tokenizer, e.corpus == ref_name): e.parity for e in report.entries}
    assert by["chars", True] == by["bpe:270", True] == 1.0
    # Every "de" document has 13 characters in 15 bytes, every "en" one 13 in 13.
    assert by["chars", False] == pytest.approx(13 / 15)


def test_sweep_needs_text(mixed, cache):
    text = TextCorpus.from_texts(["ab cd"] * 5, name="t")
    with pytest.raises(ValueError, match=r"train: \S*i\.npy is a token-id shard"):
        sweep([300], [1024], train=str(mixed / "i.npy"), test=[text])
    with pytest.raises(ValueError, match=r"test: \S*i\.npy is a token-id shard"):
        sweep([300], [1024], train=text, test=[mixed / "a.txt", mixed / "i.npy"])
    with pytest.raises(TypeError, match="train: expected a TextCorpus or a path"):
        sweep([300], [1024], train=3, test=[text])
    # Lone values are refused, not iterated (a path's characters are no corpora).
    for lone in (str(mixed / "a.txt"), mixed / "a.txt", text):
        with pytest.raises(TypeError, match=r"^test: expected a sequence of corpora, got "):
            sweep([300], [1024], train=text, test=lone)
    with pytest.raises(TypeError, match=r"^vocab_sizes: expected a sequence of integers, "
                       r"got a single str$"):
        sweep("300", [1024], train=text, test=[text])
    with pytest.raises(TypeError, match=r"^train_bytes: expected a sequence of integers, "
                       r"got int$"):
        sweep([300], 1024, train=text, test=[text])


def test_evaluate_refuses_lone_specs_and_options_no_corpus_uses(tmp_path, cache):
    text = tmp_path / "a.txt"
    text.write_text("ab cd\n\nef\n")
    shard = tmp_path / "i.npy"
    np.save(shard, np.array([1, 2, 3], dtype=np.int32))
    with pytest.raises(TypeError, match=r"corpora: expected a list, got a single str"):
        evaluate(["bytes"], str(text))
    with pytest.raises(TypeError, match=r"corpora: expected a list, got a single PosixPath"):
        evaluate(["bytes"], text)
    with pytest.raises(TypeError, match=r"tokenizers: expected a list, got a single str"):
        evaluate("bytes", [text])
    with pytest.raises(TypeError, match=r"tokenizers: expected a list, got int"):
        evaluate(5, [text])
    with pytest.raises(ValueError, match=r"vocab_size=5 applies to token-id shards"):
        evaluate(["bytes"], [text], vocab_size=5)
    with pytest.raises(ValueError, match=r"tokenizers: every corpus is a token-id shard"):
        evaluate(["bytes"], [shard])
    with pytest.raises(TypeError, match="roundtrip"):
        evaluate(["bytes"], [text], roundtrip="no")
    with pytest.raises(TypeError, match="log: expected a callable"):
        evaluate(["bytes"], [text], log=5)
    # Tokenizers of one name are told apart, as corpora are.
    report = evaluate(["bytes", "bytes"], [text], orders=(1,))
    assert [e.tokenizer for e in report.entries] == ["bytes", "bytes#2"]


def test_shard_errors_name_the_shard(tmp_path, cache):
    neg = tmp_path / "neg.npy"
    np.save(neg, np.array([1, -2], dtype=np.int64))
    with pytest.raises(ValueError, match=r"corpora: token shard neg.npy: token ids must be non"):
        evaluate(corpora=[neg])
    big = tmp_path / "big.npy"
    np.save(big, np.array([1, 6], dtype=np.int64))
    with pytest.raises(ValueError, match=r"token shard big.npy: token id 6 is outside the vocab"):
        evaluate(corpora=[big], vocab_size=3)
    empty = tmp_path / "empty.npy"
    np.save(empty, np.zeros(0, dtype=np.int64))
    with pytest.raises(ValueError, match=r"token shard empty.npy: no tokens were counted"):
        evaluate(corpora=[empty])
