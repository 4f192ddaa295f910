"""Bad input to corpora and the sweep: each error is a ValueError (bad value) or TypeError
(wrong type) whose message starts with the argument's name, raised at the call (not at
the first ``next``), instead of Python's bare conversion errors."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import numpy as np
import pytest

from entrostat.tokenizers import IdCorpus, TextCorpus, plot_sweep, sweep, train_test_split


@pytest.fixture
def shard(tmp_path) -> Path:
    path = tmp_path / "ids.npy"
    np.save(path, np.arange(5, dtype=np.int32))
    return path


@contextlib.contextmanager
def _raises(kind: type[Exception], name: str):
    """Exactly ``kind`` (no subclass), with a message that starts with ``name``."""
    with pytest.raises(kind, match=rf"^{re.escape(name)}: expected ") as err:
        yield err
    assert err.type is kind


# ------------------------------------------------------------------------------ IdCorpus


@pytest.mark.parametrize("as_type", [str, Path, lambda p: str(p).encode()])
def test_id_corpus_refuses_a_lone_path(shard, as_type):
    # A str used to be read character by character ("token shard not found: '/'").
    with _raises(TypeError, "paths") as err:
        IdCorpus(as_type(shard))
    assert "[path]" in str(err.value)
    assert IdCorpus([as_type(shard)]).n_tokens() == 5  # the one-element list works


def test_id_corpus_paths_must_be_a_sequence_of_paths(shard):
    with _raises(TypeError, "paths"):
        IdCorpus(None)
    with _raises(TypeError, "paths[1]"):
        IdCorpus([shard, 7])
    with _raises(ValueError, "paths"):
        IdCorpus([])
    assert IdCorpus(iter([shard, shard])).n_documents == 2


@pytest.mark.parametrize("bad", ["a", 2.5, float("nan"), None, True])
def test_chunks_needs_an_integer_at_the_call(shard, bad):
    with _raises(TypeError, "chunk_tokens"):
        IdCorpus([shard]).chunks(bad)  # no next(): checked when called


def test_chunks_needs_a_positive_size(shard):
    with _raises(ValueError, "chunk_tokens"):
        IdCorpus([shard]).chunks(0)
    assert [len(c) for c, _ in IdCorpus([shard]).chunks(np.int64(2))] == [2, 2, 1]


# ---------------------------------------------------------------------------- TextCorpus


@pytest.mark.parametrize("arg", ["max_bytes", "max_docs"])
@pytest.mark.parametrize("bad", ["x", float("nan"), float("inf"), 2.5, None, True])
def test_batches_need_integers_at_the_call(arg, bad):
    corpus = TextCorpus.from_texts(["a", "b"])
    with _raises(TypeError, arg):
        corpus.batches(**{arg: bad})  # no next(): checked when called


@pytest.mark.parametrize("arg", ["max_bytes", "max_docs"])
def test_batches_need_positive_limits(arg):
    with _raises(ValueError, arg):
        TextCorpus.from_texts(["a"]).batches(**{arg: -1})


@pytest.mark.parametrize("bad", [None, 5, "one document", b"bytes"])
def test_from_texts_needs_an_iterable_of_str(bad):
    with _raises(TypeError, "texts"):
        TextCorpus.from_texts(bad)


def test_from_texts_names_the_index_of_a_non_str_document():
    with _raises(TypeError, "texts[2]") as err:
        TextCorpus.from_texts(["a", "b", None])
    assert "NoneType" in str(err.value)
    assert list(TextCorpus.from_texts(d for d in ["a", "b"])) == ["a", "b"]


# -------------------------------------------------------------------------------- split


@pytest.mark.parametrize("bad", ["x", "0.1", None, True])
def test_split_share_must_be_a_number(bad):
    with _raises(TypeError, "test_share"):
        train_test_split(TextCorpus.from_texts(["a"]), bad)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), 0.0, 1.0])
def test_split_share_must_lie_strictly_between_0_and_1(bad):
    with _raises(ValueError, "test_share"):
        train_test_split(TextCorpus.from_texts(["a"]), bad)


def test_split_names_corpus_and_seed(shard):
    with _raises(TypeError, "corpus"):
        train_test_split(IdCorpus([shard]))
    with _raises(TypeError, "seed"):
        train_test_split(TextCorpus.from_texts(["a"]), 0.5, seed=1.0)
    train, test = train_test_split(TextCorpus.from_texts(["a", "b"]), np.float64(0.5))
    assert sorted([*train, *test]) == ["a", "b"]


# -------------------------------------------------------------------------------- sweep


_TEST = [TextCorpus.from_texts(["held out text"], name="held")]


@pytest.mark.parametrize(("args", "name"), [
    ((300, [1024]), "vocab_sizes"),
    (([300], 1024), "train_bytes"),
    (("300", [1024]), "vocab_sizes"),
])
def test_sweep_sizes_must_be_sequences(args, name):
    with _raises(TypeError, name):
        sweep(*args, train=TextCorpus.from_texts(["some text"]), test=_TEST)


@pytest.mark.parametrize("train", [[], [""], ["", ""]])
def test_sweep_refuses_a_training_corpus_without_text(train):
    said = []
    with pytest.raises(ValueError, match=r"^train: .*'hollow' holds no text") as err:
        sweep([300], [1024], train=TextCorpus.from_texts(train, name="hollow"), test=_TEST,
              log=said.append)
    assert err.type is ValueError
    assert said == []  # refused before training anything


def test_sweep_refuses_an_empty_training_file(tmp_path):
    path = tmp_path / "blank.txt"
    path.write_text("\n   \n\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"^train: .*'blank\.txt' holds no text") as err:
        sweep([300], [1024], train=path, test=_TEST)
    assert err.type is ValueError


def test_sweep_names_train_bytes_when_the_prefix_cuts_every_character():
    # The text is there, but 1 byte cannot hold "é" (2 bytes).
    with pytest.raises(ValueError, match=r"^train_bytes: .*no whole character") as err:
        sweep([300], [1, 1024], train=TextCorpus.from_texts(["éé"]), test=_TEST)
    assert err.type is ValueError


def test_plot_sweep_needs_a_report(tmp_path):
    pytest.importorskip("matplotlib")
    with _raises(TypeError, "report"):
        plot_sweep(5, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
