"""Corpus readers (``entrostat.tokenizers._corpora``) and the built-in default corpus.

Text readers are checked against a plain whole-file reference split, token shards against
``np.load`` / ``np.fromfile``, the ``.mo`` reader against :mod:`gettext`, and the default
corpus against the invariants it promises (alignment, held-out disjointness, determinism).
"""

from __future__ import annotations

import gettext
import gzip
import json
import mmap
import os
import random
import struct
import weakref
from pathlib import Path

import numpy as np
import pytest

from entrostat.tokenizers import _corpora as C
from entrostat.tokenizers import _default as D
from entrostat.tokenizers._corpora import IdCorpus, TextCorpus, load_corpus, train_test_split

# ------------------------------------------------------------------------------ helpers


def reference_paragraphs(text: str) -> list[str]:
    """Maximal runs of non-blank lines, joined with newlines (the documented convention)."""
    paragraphs, lines = [], []
    for line in text.split("\n"):
        if line.strip():
            lines.append(line)
        elif lines:
            paragraphs.append("\n".join(lines))
            lines = []
    if lines:
        paragraphs.append("\n".join(lines))
    return paragraphs


def read_whole(path: Path) -> str:
    with open(path, encoding="utf-8-sig", errors="replace", newline=None) as file:
        return file.read()


def random_text(rng: random.Random, n_pieces: int) -> str:
    pieces = ["word", " ", "\n", "\n", "\r\n", "\r", "  \n", "\t\n", "é", "日本", "    indent"]
    return "".join(rng.choice(pieces) for _ in range(n_pieces))


def write_mo(path: Path, entries: dict[bytes, bytes]) -> None:
    """Write a little-endian GNU .mo file (as CPython's Tools/i18n/msgfmt.py does)."""
    keys = sorted(entries)
    ids = strs = b""
    spans = []
    for key in keys:
        spans.append((len(ids), len(key), len(strs), len(entries[key])))
        ids += key + b"\0"
        strs += entries[key] + b"\0"
    ids_start = 7 * 4 + 16 * len(keys)
    strs_start = ids_start + len(ids)
    id_table, str_table = [], []
    for id_at, id_len, str_at, str_len in spans:
        id_table += [id_len, id_at + ids_start]
        str_table += [str_len, str_at + strs_start]
    header = struct.pack("<7I", 0x950412DE, 0, len(keys), 28, 28 + 8 * len(keys), 0, 0)
    body = struct.pack(f"<{len(id_table)}I", *id_table) + struct.pack(
        f"<{len(str_table)}I", *str_table
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header + body + ids + strs)


def is_memory_mapped(array: np.ndarray) -> bool:
    """Whether ``array`` is a read-only view whose memory belongs to an ``mmap``."""
    base = array
    while isinstance(base, np.ndarray):
        base = base.base
    return isinstance(base, mmap.mmap) and not array.flags.writeable


MO_HEADER = b"Content-Type: text/plain; charset=UTF-8\n"


# ------------------------------------------------------------------------- text files


def test_paragraphs_equal_reference_split(tmp_path):
    text = (
        "\n  \nFirst line\n    indented second\n\n\n\t\nSecond para\r\nwith CRLF\r\n \r\n"
        "Third\rold mac\r\rFourth ends without newline  "
    )
    path = tmp_path / "doc.txt"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())  # with a byte-order mark
    docs = list(load_corpus(path).documents())
    assert docs == reference_paragraphs(read_whole(path))
    assert docs[0] == "First line\n    indented second"
    assert docs[-1] == "Fourth ends without newline  "
    assert not docs[0].startswith("\ufeff")


def test_invalid_utf8_is_replaced(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"caf\xe9 ok\n\nnext")
    assert list(load_corpus(path).documents()) == ["caf\ufffd ok", "next"]


@pytest.mark.parametrize("block_chars", [1, 2, 3, 7, 64])
def test_streaming_in_small_blocks_matches_whole_read(tmp_path, block_chars):
    rng = random.Random(block_chars)
    path = tmp_path / "random.txt"
    path.write_text(random_text(rng, 3000), encoding="utf-8", newline="")
    expected = reference_paragraphs(read_whole(path))
    assert len(expected) > 50
    assert list(C._read_paragraphs(path, block_chars=block_chars)) == expected


def test_file_larger_than_block_streams_like_whole_read(tmp_path):
    rng = random.Random(7)
    path = tmp_path / "large.txt"
    words = ["alpha", "β", "gamma"]

    def line() -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randrange(1, 40)))

    paragraphs = ["\n".join(line() for _ in range(rng.randrange(1, 6))) for _ in range(12_000)]
    text = "\n\n".join(paragraphs)
    path.write_text(text, encoding="utf-8")
    assert len(text) > 2 * C._BLOCK_CHARS
    docs = list(load_corpus(path).documents())
    assert docs == reference_paragraphs(text) == paragraphs


def test_long_paragraphs_are_cut_into_pieces(tmp_path):
    path = tmp_path / "long.txt"
    long_para = "x" * (2 * C._MAX_DOC_CHARS + 123)
    path.write_text(f"short\n\n{long_para}\n\ntail\n", encoding="utf-8")
    docs = list(load_corpus(path).documents())
    assert docs[0] == "short" and docs[-1] == "tail"
    pieces = docs[1:-1]
    assert [len(p) for p in pieces] == [C._MAX_DOC_CHARS, C._MAX_DOC_CHARS, 123]
    assert "".join(pieces) == long_para


@pytest.mark.parametrize("max_chars", [1, 3, 10])
def test_cutting_does_not_depend_on_block_size(tmp_path, max_chars):
    rng = random.Random(max_chars)
    path = tmp_path / "cut.txt"
    path.write_text(random_text(rng, 2000), encoding="utf-8", newline="")
    expected = [
        para[i : i + max_chars]
        for para in reference_paragraphs(read_whole(path))
        for i in range(0, len(para), max_chars)
    ]
    for block_chars in (1, 4, 1000, 1 << 20):
        got = list(C._read_paragraphs(path, block_chars=block_chars, max_chars=max_chars))
        assert got == expected


def test_text_corpus_fields_and_sizes(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("a\n\nb\n", encoding="utf-8")
    corpus = load_corpus(path)
    assert isinstance(corpus, TextCorpus)
    assert corpus.name == "notes.txt"
    assert load_corpus(path, name="mine").name == "mine"
    assert corpus.total_bytes() == path.stat().st_size
    # Re-iterable: each call starts over.
    assert list(corpus.documents()) == list(corpus.documents()) == ["a", "b"]


# ------------------------------------------------------------------------ folders, globs


def make_tree(root: Path) -> None:
    (root / "b").mkdir(parents=True)
    (root / "a" / "deep").mkdir(parents=True)
    (root / "z.txt").write_text("z1\n\nz2", encoding="utf-8")
    (root / "b" / "2.txt").write_text("b2", encoding="utf-8")
    (root / "b" / "1.md").write_text("b1", encoding="utf-8")
    (root / "a" / "deep" / "x.txt").write_text("ax", encoding="utf-8")
    (root / "a" / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR")
    (root / "a" / "late_nul.txt").write_bytes(b"y" * C._SNIFF_BYTES + b"\0")


def test_folder_reads_all_text_files_sorted_and_skips_binary(tmp_path):
    make_tree(tmp_path / "data")
    corpus = load_corpus(tmp_path / "data")
    rel = [p.relative_to(tmp_path / "data").as_posix() for p in corpus.paths]
    # Tree order; the PNG (a NUL byte up front) is skipped, a NUL after 8 KiB is not seen.
    assert rel == ["a/deep/x.txt", "a/late_nul.txt", "b/1.md", "b/2.txt", "z.txt"]
    assert list(corpus.documents()) == ["ax", "y" * C._SNIFF_BYTES + "\0", "b1", "b2", "z1", "z2"]


def test_glob_patterns(tmp_path):
    make_tree(tmp_path / "data")
    top = load_corpus(str(tmp_path / "data" / "*.txt"))
    assert [p.name for p in top.paths] == ["z.txt"]
    assert top.name == str(tmp_path / "data" / "*.txt")
    deep = load_corpus(str(tmp_path / "data" / "**" / "*.txt"))
    assert [p.relative_to(tmp_path / "data").as_posix() for p in deep.paths] == [
        "a/deep/x.txt",
        "a/late_nul.txt",
        "b/2.txt",
        "z.txt",
    ]
    # A pattern matching a folder reads the folder.
    folders = load_corpus(str(tmp_path / "data" / "[b]"))
    assert list(folders.documents()) == ["b1", "b2"]


def test_missing_path_and_empty_glob_name_the_spec(tmp_path):
    missing = tmp_path / "nope.txt"
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        load_corpus(missing)
    with pytest.raises(FileNotFoundError, match=r"\*\.zzz"):
        load_corpus(str(tmp_path / "*.zzz"))


def test_binary_file_given_explicitly_is_an_error(tmp_path):
    path = tmp_path / "blob.dat"
    path.write_bytes(b"abc\0def")
    with pytest.raises(ValueError, match="blob.dat"):
        load_corpus(path)


def test_folders_without_usable_files(tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="empty"):
        load_corpus(tmp_path / "empty")
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "x.dat").write_bytes(b"\0\1")
    with pytest.raises(ValueError, match="bin"):
        load_corpus(tmp_path / "bin")


# ---------------------------------------------------------------------------------- JSONL


def test_jsonl_field_extraction(tmp_path):
    records = [{"text": "one", "id": 1}, {"text": "two\n\nparagraphs", "body": "b"}]
    path = tmp_path / "docs.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n\n", encoding="utf-8")
    assert list(load_corpus(path).documents()) == ["one", "two\n\nparagraphs"]
    gz = tmp_path / "docs.jsonl.gz"
    with gzip.open(gz, "wt", encoding="utf-8") as file:
        file.write("\n".join(json.dumps({"body": f"doc {i}"}) for i in range(5)))
    corpus = load_corpus(gz, field="body")
    assert list(corpus.documents()) == [f"doc {i}" for i in range(5)]
    assert corpus.total_bytes() is None  # compressed size says nothing about the text


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "not valid JSON"),
        ('{"other": "x"}', "no field 'text'"),
        ('["text"]', "JSON object"),
        ('{"text": 3}', "not a string"),
    ],
)
def test_jsonl_bad_line_names_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "a"}\n\n' + line + "\n", encoding="utf-8")
    docs = load_corpus(path).documents()
    assert next(docs) == "a"
    with pytest.raises(ValueError, match=rf"bad\.jsonl, line 3: .*{message}"):
        next(docs)


def test_field_only_applies_to_jsonl(tmp_path):
    path = tmp_path / "plain.txt"
    path.write_text("x", encoding="utf-8")
    with pytest.raises(ValueError, match="field='body'"):
        load_corpus(path, field="body")
    with pytest.raises(ValueError, match="dtype='uint16'"):
        load_corpus(path, dtype="uint16")


# --------------------------------------------------------------------------- token shards


def test_npy_chunks_equal_np_load_with_file_boundaries(tmp_path):
    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 1000, n, dtype=np.int32) for n in (20, 0, 7, 3)]
    for i, array in enumerate(arrays):
        np.save(tmp_path / f"shard{i}.npy", array)
    corpus = load_corpus(tmp_path)
    assert isinstance(corpus, IdCorpus)
    assert corpus.dtype == np.int32
    assert corpus.n_documents == 4
    assert corpus.n_tokens() == sum(a.size for a in arrays)
    assert corpus.max_id() == max(int(a.max()) for a in arrays if a.size)
    chunks = list(corpus.chunks(chunk_tokens=7))
    assert all(0 <= len(c) <= 7 for c, _ in chunks)
    assert all(is_memory_mapped(c) for c, _ in chunks if len(c))
    # Split the stream at the flags: one document per file, each equal to np.load.
    documents: list[list[np.ndarray]] = []
    for piece, starts in chunks:
        if starts:
            documents.append([])
        documents[-1].append(piece)
    assert len(documents) == len(arrays)
    for parts, path in zip(documents, corpus.paths, strict=True):
        np.testing.assert_array_equal(np.concatenate(parts), np.load(path))
    assert [len(c) for c, _ in chunks] == [7, 7, 6, 0, 7, 3]


def test_bin_shards_memory_mapped_with_dtype(tmp_path):
    values = np.arange(1, 50_000, 7, dtype=np.uint16)
    (tmp_path / "a.bin").write_bytes(values.tobytes())
    (tmp_path / "b.bin").write_bytes(values[::-1].astype(">u2").tobytes())
    little = load_corpus(tmp_path / "a.bin", dtype="uint16")
    pieces = [c for c, _ in little.chunks(1000)]
    assert all(is_memory_mapped(p) for p in pieces)
    np.testing.assert_array_equal(
        np.concatenate(pieces), np.fromfile(tmp_path / "a.bin", dtype=np.uint16)
    )
    big = load_corpus(tmp_path / "b.bin", dtype=">u2")
    (chunk, starts), *_ = big.chunks()
    assert starts and chunk.dtype.isnative
    np.testing.assert_array_equal(chunk, np.fromfile(tmp_path / "b.bin", dtype=">u2"))
    assert big.max_id() == int(values.max())


def test_glob_of_shards_and_direct_construction(tmp_path):
    for i in (2, 1):
        np.arange(i * 10, dtype=np.int64).tofile(tmp_path / f"part{i}.bin")
    corpus = load_corpus(str(tmp_path / "part*.bin"), dtype=np.int64)
    assert [p.name for p in corpus.paths] == ["part1.bin", "part2.bin"]
    direct = IdCorpus([tmp_path / "part2.bin"], dtype="int64", name="p2")
    assert direct.name == "p2" and direct.n_tokens() == 20
    assert corpus.fingerprint() != direct.fingerprint()


@pytest.mark.parametrize("dtype", ["foo", "float32", "bool", "U4"])
def test_bad_dtype_is_named(tmp_path, dtype):
    (tmp_path / "x.bin").write_bytes(bytes(8))
    with pytest.raises(ValueError, match=rf"dtype '{dtype}'"):
        load_corpus(tmp_path / "x.bin", dtype=dtype)


def test_shard_errors_name_the_problem(tmp_path):
    (tmp_path / "odd.bin").write_bytes(bytes(7))
    with pytest.raises(ValueError, match="dtype is required"):
        load_corpus(tmp_path / "odd.bin")
    with pytest.raises(ValueError, match=r"odd\.bin.*multiple"):
        load_corpus(tmp_path / "odd.bin", dtype="uint16")
    (tmp_path / "corrupt.npy").write_bytes(b"garbage, not an array")
    with pytest.raises(ValueError, match=r"corrupt\.npy"):
        load_corpus(tmp_path / "corrupt.npy")
    np.save(tmp_path / "full.npy", np.arange(100, dtype=np.int32))
    (tmp_path / "cut.npy").write_bytes((tmp_path / "full.npy").read_bytes()[:-8])
    with pytest.raises(ValueError, match=r"cut\.npy.*truncated"):
        load_corpus(tmp_path / "cut.npy")
    np.save(tmp_path / "matrix.npy", np.zeros((2, 2), dtype=np.int32))
    with pytest.raises(ValueError, match=r"matrix\.npy.*1-D"):
        load_corpus(tmp_path / "matrix.npy")
    np.save(tmp_path / "floats.npy", np.zeros(3))
    with pytest.raises(ValueError, match=r"floats\.npy.*integers"):
        load_corpus(tmp_path / "floats.npy")
    with pytest.raises(ValueError, match="dtype 'int64' was given"):
        load_corpus(tmp_path / "full.npy", dtype="int64")
    with pytest.raises(ValueError, match="chunk_tokens"):
        next(load_corpus(tmp_path / "full.npy").chunks(0))


def test_negative_ids_and_empty_corpus(tmp_path):
    np.save(tmp_path / "neg.npy", np.array([3, -1], dtype=np.int16))
    with pytest.raises(ValueError, match=r"neg\.npy.*negative"):
        load_corpus(tmp_path / "neg.npy").max_id()
    np.save(tmp_path / "none.npy", np.zeros(0, dtype=np.int16))
    empty = load_corpus(tmp_path / "none.npy")
    assert [(len(c), s) for c, s in empty.chunks()] == [(0, True)]
    with pytest.raises(ValueError, match="no token ids"):
        empty.max_id()


def test_mixing_shards_and_text_is_an_error(tmp_path):
    np.save(tmp_path / "ids.npy", np.arange(3))
    (tmp_path / "readme.txt").write_text("hello", encoding="utf-8")
    with pytest.raises(ValueError, match="mixes token shards"):
        load_corpus(tmp_path)


# ------------------------------------------------------------------ in-memory and batches


def test_from_texts_fingerprint_and_sizes():
    corpus = TextCorpus.from_texts(["ab", "c", "é"], name="t", group="prose", language="en")
    assert (corpus.name, corpus.group, corpus.language) == ("t", "prose", "en")
    assert corpus.total_bytes() == 2 + 1 + 2
    same = TextCorpus.from_texts(iter(["ab", "c", "é"]))
    assert corpus.fingerprint() == same.fingerprint()
    assert len(corpus.fingerprint()) == 64
    assert corpus.fingerprint() != TextCorpus.from_texts(["a", "bc", "é"]).fingerprint()
    assert corpus.fingerprint() != TextCorpus.from_texts(["ab", "c", "e"]).fingerprint()
    with pytest.raises(TypeError, match=r"texts\[1\]"):
        TextCorpus.from_texts(["ok", b"bytes"])


def test_file_fingerprint_changes_with_content(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("first version", encoding="utf-8")
    before = load_corpus(path).fingerprint()
    assert load_corpus(path).fingerprint() == before
    path.write_text("second, longer version", encoding="utf-8")
    assert load_corpus(path).fingerprint() != before
    # Same size, later modification time.
    size_before = load_corpus(path).fingerprint()
    path.write_text("second, longer VERSION", encoding="utf-8")
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert load_corpus(path).fingerprint() != size_before


def test_batches_concatenate_to_documents_within_limits():
    rng = random.Random(3)
    docs = ["x" * rng.randrange(0, 50) + "ü" * rng.randrange(0, 5) for _ in range(500)]
    docs.append("y" * 500)  # larger than max_bytes: a batch of its own
    corpus = TextCorpus.from_texts(docs)
    batches = list(corpus.batches(max_bytes=200, max_docs=9))
    assert [d for batch in batches for d in batch] == docs
    for batch in batches:
        size = sum(len(d.encode()) for d in batch)
        assert 1 <= len(batch) <= 9
        assert size <= 200 or len(batch) == 1
    with pytest.raises(ValueError, match="max_bytes"):
        next(corpus.batches(max_bytes=0))
    with pytest.raises(ValueError, match="max_docs"):
        next(corpus.batches(max_docs=0))


# ----------------------------------------------------------------------- train/test split


def test_split_is_a_deterministic_partition():
    docs = [f"doc {i}" for i in range(4000)]
    corpus = TextCorpus.from_texts(docs, name="c", group="g", language="en")
    train, test = train_test_split(corpus, test_share=0.2, seed=5)
    train_docs, test_docs = list(train.documents()), list(test.documents())
    assert set(train_docs).isdisjoint(test_docs)
    assert sorted(train_docs + test_docs, key=lambda d: int(d[4:])) == docs
    # Order is kept on each side.
    train_set = set(train_docs)
    assert train_docs == [d for d in docs if d in train_set]
    # Binomial(4000, 0.2): sd ~ 25, so 6 sd.
    assert abs(len(test_docs) - 800) < 150
    again_train, again_test = train_test_split(corpus, test_share=0.2, seed=5)
    assert list(again_test.documents()) == test_docs
    assert again_test.fingerprint() == test.fingerprint() != train.fingerprint()
    _, other = train_test_split(corpus, test_share=0.2, seed=6)
    assert list(other.documents()) != test_docs
    assert (test.name, test.group, test.language) == ("c:test", "g", "en")


def test_split_streams_file_corpora(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("\n\n".join(f"p{i}" for i in range(300)), encoding="utf-8")
    train, test = train_test_split(load_corpus(path), test_share=0.5)
    merged = sorted(list(train.documents()) + list(test.documents()), key=lambda d: int(d[1:]))
    assert merged == [f"p{i}" for i in range(300)]


class _Doc(str):
    """A document that can be weakly referenced, so a test can count the live ones."""


class _Tracked(TextCorpus):
    """``n`` distinct documents made on the fly (like a file corpus: nothing is kept),
    recording how many of them were alive at once at most."""

    def __init__(self, n: int, name: str = "tracked"):
        super().__init__(name)
        self.n = n
        self.passes = 0
        self.peak = 0
        self._live = weakref.WeakSet()

    def documents(self):
        self.passes += 1
        for i in range(self.n):
            doc = _Doc(f"doc {i} of {self.name}: " + "abc " * (i % 7))
            self._live.add(doc)
            self.peak = max(self.peak, len(self._live))
            yield doc
            del doc

    def fingerprint(self) -> str:
        return f"tracked-{self.name}-{self.n}"


def test_training_split_partitions_each_corpus_and_repeats(tmp_path):
    path = tmp_path / "p.txt"
    path.write_text("\n\n".join(f"file paragraph {i}" for i in range(150)), encoding="utf-8")
    corpora = [TextCorpus.from_texts([f"mem {i}" for i in range(200)], name="m"),
               load_corpus(path)]
    train, held_out = C._training_split(corpora)
    train_docs = list(train.documents())
    assert list(train.documents()) == train_docs  # a second pass gives the same documents
    assert train.name == "train" and [h.name for h in held_out] == ["m:test", "p.txt:test"]
    for corpus, test in zip(corpora, held_out, strict=True):
        docs = list(corpus.documents())
        test_docs = list(test.documents())
        assert test_docs == list(test.documents())
        mine = [d for d in train_docs if d in set(docs)]
        assert set(mine).isdisjoint(test_docs)
        # Union, in order: each document on exactly one side (all documents are distinct).
        assert sorted(mine + test_docs, key=docs.index) == docs
        assert 0 < len(test_docs) < len(docs) // 3
    # The same rule as train_test_split with its defaults, so results are unchanged.
    assert train_docs == [d for c in corpora for d in train_test_split(c)[0].documents()]
    # Fingerprint: stable, from the corpora and the split, and not that of a held-out side.
    before = train.fingerprint()
    assert C._training_split(corpora)[0].fingerprint() == before
    assert train.fingerprint() not in {h.fingerprint() for h in held_out}
    assert C._training_split(corpora[:1])[0].fingerprint() != train.fingerprint()
    path.write_text("changed\n", encoding="utf-8")
    os.utime(path, ns=(1, 1))
    assert train.fingerprint() != before  # a rewritten file retrains the tokenizers


def test_training_split_streams_and_keeps_nothing():
    corpora = [_Tracked(3000, "a"), _Tracked(1000, "b")]
    train, held_out = C._training_split(corpora)
    train.fingerprint()
    assert [c.passes for c in corpora] == [0, 0]  # building it reads nothing
    n_train = sum(1 for _ in train.documents())
    n_test = sum(1 for h in held_out for _ in h.documents())
    assert n_train + n_test == 4000 and n_train > 3000
    assert [c.passes for c in corpora] == [2, 2]
    # Held in memory (a list or tuple of the training documents), ~3600 would stay alive.
    assert max(c.peak for c in corpora) <= 3  # the ones in the loops' variables
    assert sum(1 for _ in train.documents()) == n_train
    assert [c.passes for c in corpora] == [3, 3]  # streamed from the corpora again


def test_evaluate_trains_on_a_streamed_split(tmp_path, monkeypatch):
    pytest.importorskip("tokenizers")
    from entrostat.tokenizers import _loaders, evaluate

    monkeypatch.setattr(_loaders, "_TRAIN_BATCH", 100)  # the trainer holds one batch
    corpus = _Tracked(2000)
    report = evaluate(["bpe:300"], [corpus], orders=(1, 2), cache_dir=tmp_path,
                      batch_bytes=2048, roundtrip=False)
    (entry,) = report.entries
    assert entry.corpus == "tracked:test" and entry.metrics.n_documents < 400
    # A materialised training split keeps its ~1800 documents alive at once (measured:
    # 1934); the stream holds a training batch or two (measured: 201) and a small
    # encoding batch. Half the split leaves room for a trainer that reads ahead.
    assert corpus.peak < 900, corpus.peak


def test_split_and_concat_sizes(tmp_path):
    docs = ["ab", "é", "xyz", "", "ü" * 5] * 40
    train, test = train_test_split(TextCorpus.from_texts(docs), test_share=0.3)
    for side in (train, test):  # in memory: exact
        assert side.total_bytes() == sum(len(d.encode()) for d in side.documents())
    path = tmp_path / "p.txt"
    path.write_text("\n\n".join(docs), encoding="utf-8")
    size = path.stat().st_size
    train, test = train_test_split(load_corpus(path), test_share=0.3)
    # From files: the expected share of the file size, without reading the file.
    assert (train.total_bytes(), test.total_bytes()) == (round(size * 0.7), round(size * 0.3))
    assert train_test_split(_Tracked(5))[0].total_bytes() is None  # size unknown
    both, _ = C._training_split([TextCorpus.from_texts(docs), load_corpus(path)])
    assert both.total_bytes() == (
        sum(len(d.encode()) for d in train_test_split(TextCorpus.from_texts(docs))[0])
        + round(size * 0.9)
    )
    assert C._training_split([load_corpus(path), _Tracked(5)])[0].total_bytes() is None


@pytest.mark.parametrize("share", [0, 1, 1.5, -0.1])
def test_split_rejects_bad_share(share):
    with pytest.raises(ValueError, match="test_share"):
        train_test_split(TextCorpus.from_texts(["a"]), test_share=share)


def test_split_rejects_non_corpus():
    with pytest.raises(TypeError, match="corpus"):
        train_test_split(["a", "b"])


# ------------------------------------------------------------------------- .mo catalogs


def test_read_mo_matches_gettext_and_skips_non_translations(tmp_path):
    entries = {
        b"": MO_HEADER,
        b"Open": "Öffnen".encode(),
        b"menu\x04Quit": b"Beenden",
        b"apple\x00apples": b"Apfel\x00\xc3\x84pfel",  # plural: skipped
        b"Same": b"Same",  # untranslated: skipped
        b"Empty": b"",  # untranslated: skipped
        b"translator-credits": b"Someone",  # not a translation
    }
    path = tmp_path / "de" / "LC_MESSAGES" / "demo.mo"
    write_mo(path, entries)
    messages = D._read_mo(path)
    assert messages == {"Open": "Öffnen", "menu\x04Quit": "Beenden"}
    with open(path, "rb") as file:
        reference = gettext.GNUTranslations(file)
    assert reference.gettext("Open") == messages["Open"]
    assert reference.pgettext("menu", "Quit") == messages["menu\x04Quit"]
    (tmp_path / "broken.mo").write_bytes(b"\x95\x04\x12\xde" + bytes(3))
    assert D._read_mo(tmp_path / "broken.mo") == {}


def test_read_mo_matches_gettext_on_system_catalogs():
    languages = D._scan_languages(D._locale_roots())
    files = sorted(path for lang in languages.values() for path in lang.files.values())
    if not files:
        # The documented fallback: no catalogs, no parallel text.
        assert D._parallel(D._locale_roots(), D._PLANS["small"]) is None
        return
    for path in files[:: max(1, len(files) // 12)]:
        with open(path, "rb") as file:
            reference = gettext.GNUTranslations(file)
        for key, text in D._read_mo(path).items():
            context, _, msgid = key.rpartition("\x04")
            got = reference.pgettext(context, msgid) if context else reference.gettext(msgid)
            assert got == text, (path, key)


def synthetic_locale(root: Path) -> dict[str, list[str]]:
    """Catalogs of three languages (plus an English variant and a script variant)."""
    msgids = [f"Message number {i}" for i in range(30)]
    translations = {
        "de": {m: f"Nachricht {m[15:]}" for m in msgids},
        "fr": {m: f"Message numéro {m[15:]}" for m in msgids},
        "sr": {m: f"Порука {m[15:]}" for m in msgids},
        "sr@latin": {m: f"Poruka {m[15:]}" for m in msgids},
        "en_GB": {m: f"Message no. {m[15:]}" for m in msgids},
    }
    translations["de"]["Only German"] = "Nur Deutsch"
    del translations["fr"][msgids[3]]  # not translated in every language: dropped
    for folder, table in translations.items():
        entries = {b"": MO_HEADER}
        entries.update({k.encode(): v.encode() for k, v in table.items()})
        entries[b"ctx\x04Message number 99"] = f"{folder} 99".encode()
        write_mo(root / folder / "LC_MESSAGES" / "demo.mo", entries)
    kept = sorted([m for m in msgids if m != msgids[3]] + ["ctx\x04Message number 99"])
    return {
        "en": [k.rpartition("\x04")[2] for k in kept],
        **{
            lang: [translations[lang].get(k, f"{lang} 99") for k in kept]
            for lang in ("de", "fr", "sr")
        },
    }


def test_parallel_alignment_on_synthetic_catalogs(tmp_path):
    expected = synthetic_locale(tmp_path)
    parallel = D._parallel([tmp_path], D._PLANS["small"])
    assert parallel is not None
    # en_GB is English (the msgid side); sr@latin only stands in when "sr" is missing.
    assert sorted(parallel.languages) == ["de", "fr", "sr"]
    for language, texts in expected.items():
        assert parallel.texts(language) == texts
    assert {p.parent.parent.name for p in parallel.sources("sr")} == {"sr"}


@pytest.fixture
def fake_stdlib(monkeypatch):
    """Stand-in library sources, so the catalog tests skip parsing the real library."""
    files = [
        (
            f"mod{i}.py",
            f'"""Module number {i}, whose docstring is long enough to count."""\nX = {i}\n',
        )
        for i in range(40)
    ]
    monkeypatch.setattr(D, "_sample_sources", lambda root, plan: files)
    return files


def test_default_corpus_without_catalogs_falls_back(tmp_path, fake_stdlib):
    corpus = D._build("small", D._stdlib_root(), [tmp_path])
    assert corpus.reference is None
    assert [c.name for c in corpus.test] == ["code", "prose"]
    assert "no parallel text" in corpus.description
    # The fake files were split, not lost.
    n_code = sum(1 for d in corpus.train.documents() if d.startswith('"""'))
    assert n_code + len(list(corpus.test[0].documents())) == len(fake_stdlib)


def test_default_corpus_with_synthetic_catalogs(tmp_path, fake_stdlib):
    expected = synthetic_locale(tmp_path)
    corpus = D._build("small", D._stdlib_root(), [tmp_path])
    assert corpus.reference == "parallel:en"
    parallel = {c.language: list(c.documents()) for c in corpus.test if c.group == "parallel"}
    assert parallel == expected
    names = [c.name for c in corpus.test][2:]
    assert names == ["parallel:en", "parallel:de", "parallel:fr", "parallel:sr"]


def test_interleave_keeps_order_and_shares_in_prefixes():
    code = [f"c{i:02d}" + "x" * (i % 7) * 10 for i in range(40)]
    prose = [f"p{i:02d}" + "y" * (i % 3) for i in range(90)]
    merged = D._interleave(code, prose)
    assert [d for d in merged if d[0] == "c"] == code
    assert [d for d in merged if d[0] == "p"] == prose
    total = sum(map(len, merged))
    share = sum(map(len, code)) / total
    done = code_done = 0
    for doc in merged:
        done += len(doc)
        code_done += len(doc) if doc[0] == "c" else 0
        if done >= 0.2 * total:
            assert abs(code_done / done - share) < 0.1


def test_default_corpus_rejects_unknown_size():
    with pytest.raises(ValueError, match="size"):
        D.default_corpus("medium")


# ------------------------------------------------------------------- the default corpus


@pytest.fixture(scope="module")
def small():
    return D.default_corpus("small")


def test_default_corpus_layout(small):
    names = [c.name for c in small.test]
    assert names[:2] == ["code", "prose"]
    assert [c.group for c in small.test[:2]] == ["code", "prose"]
    parallel = small.test[2:]
    if small.reference is None:
        assert parallel == []
        assert D._parallel(D._locale_roots(), D._PLANS["small"]) is None
    else:
        assert small.reference == "parallel:en" == names[2]
        languages = [c.language for c in parallel]
        assert languages[0] == "en" and languages[1:] == sorted(languages[1:])
        assert 1 <= len(languages) - 1 <= 8
        assert all(c.group == "parallel" and c.name == f"parallel:{c.language}" for c in parallel)
        assert not any(lang.startswith("en") for lang in languages[1:])
    for corpus in [small.train, *small.test]:
        docs = list(corpus.documents())
        assert docs and all(isinstance(d, str) and d.strip() for d in docs), corpus.name
    assert small.description


def test_default_corpus_sizes(small):
    train = small.train.total_bytes()
    # Enough text for BPE to reach a 32k vocabulary, small enough for CI.
    assert 3_000_000 <= train <= 8_000_000
    for corpus in small.test:
        assert 10_000 <= corpus.total_bytes() <= 1_000_000, corpus.name


def test_default_parallel_is_aligned_and_english_is_msgid(small):
    if small.reference is None:
        return  # covered by test_default_corpus_layout: no catalogs, no parallel text
    parallel = D._parallel(D._locale_roots(), D._PLANS["small"])
    corpora = {c.language: list(c.documents()) for c in small.test if c.group == "parallel"}
    assert len({len(docs) for docs in corpora.values()}) == 1
    assert corpora["en"] == parallel.texts("en")
    readers: dict[Path, gettext.GNUTranslations] = {}
    for language in parallel.languages:
        assert corpora[language] == parallel.texts(language)
        for key, text, source in zip(
            parallel.keys, corpora[language], parallel.sources(language), strict=True
        ):
            if source not in readers:
                with open(source, "rb") as file:
                    readers[source] = gettext.GNUTranslations(file)
            context, _, msgid = key.rpartition("\x04")
            reader = readers[source]
            # gettext itself maps this English msgid to this translation.
            got = reader.pgettext(context, msgid) if context else reader.gettext(msgid)
            assert got == text != msgid


def test_default_code_and_prose_are_held_out(small):
    train = set(small.train.documents())
    code, prose = (set(c.documents()) for c in small.test[:2])
    assert train.isdisjoint(code) and train.isdisjoint(prose)
    assert all(len(doc) >= D.MIN_DOCSTRING_CHARS for doc in prose)
    # Code documents are whole standard-library files (found by size, then compared).
    by_size: dict[int, list[Path]] = {}
    for folder, _, names in os.walk(D._stdlib_root()):
        if "site-packages" not in Path(folder).parts:
            for name in names:
                if name.endswith(".py"):
                    path = Path(folder, name)
                    by_size.setdefault(path.stat().st_size, []).append(path)

    def is_source_file(doc: str) -> bool:
        # Bytes, not text: a candidate of the same size may not be UTF-8 (koi8-r test data).
        data = doc.encode()
        return any(path.read_bytes() == data for path in by_size.get(len(data), []))

    assert all(is_source_file(doc) for doc in code)
    assert any(is_source_file(doc) for doc in train)  # the training side has code too


def test_default_corpus_is_deterministic(small):
    again = D.default_corpus("small")
    assert again.train.fingerprint() == small.train.fingerprint()
    assert list(again.train.documents()) == list(small.train.documents())
    assert [c.name for c in again.test] == [c.name for c in small.test]
    for first, second in zip(small.test, again.test, strict=True):
        assert list(first.documents()) == list(second.documents())
    assert again.description == small.description
