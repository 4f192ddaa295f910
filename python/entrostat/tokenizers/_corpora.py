"""Corpora for evaluating tokenizers as compressors: streamed text and pre-tokenised ids.

A :class:`TextCorpus` is a re-iterable stream of documents (``str``); every call to
:meth:`TextCorpus.documents` starts over, so a corpus can be encoded once per tokenizer
without ever sitting in memory. An :class:`IdCorpus` holds token ids that were encoded
elsewhere (``.npy`` arrays or raw ``.bin`` shards), memory-mapped and read in slices.

:func:`load_corpus` turns a path, folder or glob pattern into one of the two, and
:func:`train_test_split` splits a text corpus reproducibly without materialising it.

Document conventions
--------------------
* Plain text files: a document is a paragraph, i.e. a maximal run of non-blank lines
  (a blank line holds only whitespace). Lines are split at ``"\\n"`` after universal-newline
  translation (``"\\r\\n"`` and ``"\\r"`` read as ``"\\n"``); a paragraph's lines are joined
  with ``"\\n"`` and keep their indentation. Paragraphs longer than ``_MAX_DOC_CHARS``
  characters are cut into consecutive pieces of that length. Files are decoded as UTF-8
  (a leading byte-order mark is dropped) with ``errors="replace"``.
* JSONL files (``.jsonl``, ``.jsonl.gz``): a document is the string under ``field`` of each
  non-blank line.
* Token shards: each *file* is one document; see :meth:`IdCorpus.chunks`.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from numbers import Real
from pathlib import Path

import numpy as np

from .. import _validate

__all__ = ["IdCorpus", "TextCorpus", "load_corpus", "train_test_split"]

#: Characters read from a text file per step (bounds the memory of a streamed file).
_BLOCK_CHARS = 1 << 20
#: Paragraphs longer than this many characters are cut into pieces of this length.
_MAX_DOC_CHARS = 1 << 20
#: Leading bytes inspected for a NUL byte when deciding whether a file is binary.
_SNIFF_BYTES = 8192
#: Default JSONL key holding a document's text.
_DEFAULT_FIELD = "text"

_SHARD_SUFFIXES = (".npy", ".bin")
_JSONL_SUFFIXES = (".jsonl", ".jsonl.gz")
_GLOB_CHARS = frozenset("*?[")
# A blank line of a region made of complete lines: only whitespace, then its newline.
_BLANK_LINE = re.compile(r"^[^\S\n]*\n", re.MULTILINE)


def _sha256(parts: Iterable[bytes]) -> str:
    """Hex SHA-256 of length-prefixed parts (so ``["ab", "c"]`` and ``["a", "bc"]`` differ)."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.hexdigest()


def _utf8(text: str) -> bytes:
    # surrogatepass: strings built in memory may hold lone surrogates (e.g. from JSON).
    return text.encode("utf-8", "surrogatepass")


# --------------------------------------------------------------------------- text corpora


class TextCorpus:
    """A named, re-iterable stream of text documents.

    Subclasses implement :meth:`documents` and :meth:`fingerprint`; build instances with
    :meth:`from_texts`, :func:`load_corpus` or :func:`train_test_split`.

    Attributes
    ----------
    name : str
        Label of the corpus in reports.
    group : str or None
        Kind of text, e.g. ``"code"``, ``"prose"`` or ``"parallel"``.
    language : str or None
        Language code (``"en"``, ``"de"``, ``"pt_BR"``) for per-language parity.
    """

    def __init__(self, name: str, *, group: str | None = None, language: str | None = None):
        self.name = str(name)
        self.group = group
        self.language = language

    def documents(self) -> Iterator[str]:
        """Stream the documents; each call starts from the first document again.

        Returns
        -------
        Iterator[str]
        """
        raise NotImplementedError

    def __iter__(self) -> Iterator[str]:
        return self.documents()

    def batches(self, max_bytes: int = 1 << 20, max_docs: int = 4096) -> Iterator[list[str]]:
        """Group consecutive documents for batch encoding.

        A batch closes before a document that would take it past ``max_bytes`` UTF-8 bytes
        or ``max_docs`` documents; a single document larger than ``max_bytes`` forms a batch
        of its own. Concatenating the batches gives :meth:`documents`.

        Parameters
        ----------
        max_bytes : int
            Most UTF-8 bytes in a batch of several documents (at least 1).
        max_docs : int
            Most documents in a batch (at least 1).

        Returns
        -------
        Iterator[list[str]]
            Non-empty lists of documents, in order.

        Raises
        ------
        TypeError
            If ``max_bytes`` or ``max_docs`` is not an integer.
        ValueError
            If ``max_bytes`` or ``max_docs`` is below 1.
        """
        # Checked now, not at the first next(): the error points at the call.
        max_bytes = _validate.positive_int(max_bytes, "max_bytes")
        max_docs = _validate.positive_int(max_docs, "max_docs")
        return self._batches(max_bytes, max_docs)

    def _batches(self, max_bytes: int, max_docs: int) -> Iterator[list[str]]:
        batch: list[str] = []
        size = 0
        for doc in self.documents():
            # len(doc) is a lower bound on the UTF-8 size; encode only when it may matter.
            n = len(doc) if doc.isascii() else len(_utf8(doc))
            if batch and (size + n > max_bytes or len(batch) >= max_docs):
                yield batch
                batch, size = [], 0
            batch.append(doc)
            size += n
        if batch:
            yield batch

    def total_bytes(self) -> int | None:
        """Size for progress bars: UTF-8 bytes, or file sizes on disk; ``None`` if unknown."""
        return None

    def fingerprint(self) -> str:
        """Stable SHA-256 hex digest identifying the documents (a cache key).

        In-memory corpora hash their content; file corpora hash paths, sizes and
        modification times (cheap, and changes whenever a file is rewritten).
        """
        raise NotImplementedError

    @classmethod
    def from_texts(
        cls,
        texts: Iterable[str],
        name: str = "texts",
        group: str | None = None,
        language: str | None = None,
    ) -> TextCorpus:
        """An in-memory corpus of the given documents (the iterable is read once, now).

        Parameters
        ----------
        texts : Iterable[str]
            The documents.
        name, group, language
            See the class attributes.

        Returns
        -------
        TextCorpus

        Raises
        ------
        TypeError
            If ``texts`` is not an iterable (or is a single ``str``), or a document is not
            a ``str`` (the message gives its index).
        """
        return _MemoryCorpus(texts, name=name, group=group, language=language)

    def __repr__(self) -> str:
        extra = "".join(
            f", {key}={value!r}"
            for key, value in (("group", self.group), ("language", self.language))
            if value is not None
        )
        return f"{type(self).__name__}(name={self.name!r}{extra})"


class _MemoryCorpus(TextCorpus):
    """Documents held in a tuple."""

    def __init__(self, texts: Iterable[str], *, name: str, group=None, language=None):
        super().__init__(name, group=group, language=language)
        self._texts = tuple(_validate.documents(texts, "texts", "an iterable of str documents"))
        self._fingerprint: str | None = None
        self._bytes: int | None = None

    def documents(self) -> Iterator[str]:
        return iter(self._texts)

    def __len__(self) -> int:
        return len(self._texts)

    def total_bytes(self) -> int:
        if self._bytes is None:
            self._bytes = sum(len(_utf8(doc)) for doc in self._texts)
        return self._bytes

    def fingerprint(self) -> str:
        if self._fingerprint is None:
            self._fingerprint = _sha256(_utf8(doc) for doc in self._texts)
        return self._fingerprint


@dataclass(frozen=True)
class _TextFile:
    path: Path
    kind: str  # "text" (paragraphs) or "jsonl"


class _FileCorpus(TextCorpus):
    """Documents streamed from text and JSONL files, in the given file order."""

    def __init__(self, files: Sequence[_TextFile], *, field: str, name: str):
        super().__init__(name)
        self._files = tuple(files)
        self._field = field

    @property
    def paths(self) -> list[Path]:
        """The files read, in order."""
        return [f.path for f in self._files]

    def documents(self) -> Iterator[str]:
        for file in self._files:
            if file.kind == "jsonl":
                yield from _read_jsonl(file.path, self._field)
            else:
                yield from _read_paragraphs(file.path)

    def total_bytes(self) -> int | None:
        # A compressed file's size says little about its text: no estimate then.
        if any(f.path.name.endswith(".gz") for f in self._files):
            return None
        return sum(f.path.stat().st_size for f in self._files)

    def fingerprint(self) -> str:
        parts = [b"files", self._field.encode()]
        for file in self._files:
            stat = file.path.stat()
            parts += [
                os.fsencode(file.path.resolve()),
                file.kind.encode(),
                str(stat.st_size).encode(),
                str(stat.st_mtime_ns).encode(),
            ]
        return _sha256(parts)


class _SplitCorpus(TextCorpus):
    """One side of :func:`train_test_split`: filters the parent's stream by index hash."""

    def __init__(self, parent: TextCorpus, *, test_share: float, seed: int, test: bool):
        side = "test" if test else "train"
        super().__init__(f"{parent.name}:{side}", group=parent.group, language=parent.language)
        self._parent = parent
        self._test_share = test_share
        self._seed = seed
        self._test = test
        self._bytes: int | None = None

    def documents(self) -> Iterator[str]:
        for index, doc in enumerate(self._parent.documents()):
            if _is_test(self._seed, index, self._test_share) == self._test:
                yield doc

    def total_bytes(self) -> int | None:
        """Exact for an in-memory parent; otherwise the parent's size times the side's
        share (the split is by document, so this is an estimate, enough for a progress
        bar), or ``None`` when the parent's size is unknown."""
        if isinstance(self._parent, _MemoryCorpus):
            if self._bytes is None:
                self._bytes = sum(len(_utf8(doc)) for doc in self.documents())
            return self._bytes
        total = self._parent.total_bytes()
        if total is None:
            return None
        return round(total * (self._test_share if self._test else 1.0 - self._test_share))

    def fingerprint(self) -> str:
        params = f"split:{self._seed}:{self._test_share!r}:{int(self._test)}"
        return _sha256([self._parent.fingerprint().encode(), params.encode()])


class _ConcatCorpus(TextCorpus):
    """Corpora read one after another; each is streamed again on every iteration."""

    def __init__(self, parts: Sequence[TextCorpus], *, name: str):
        super().__init__(name)
        self._parts = tuple(parts)

    def documents(self) -> Iterator[str]:
        for part in self._parts:
            yield from part.documents()

    def total_bytes(self) -> int | None:
        sizes = [part.total_bytes() for part in self._parts]
        return None if None in sizes else sum(sizes)

    def fingerprint(self) -> str:
        return _sha256([b"concat", *(part.fingerprint().encode() for part in self._parts)])


def _is_test(seed: int, index: int, test_share: float) -> bool:
    """Whether document ``index`` goes to the test side (a hash, so it streams)."""
    digest = hashlib.blake2b(f"{seed}:{index}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") < test_share * 2.0**64


def train_test_split(
    corpus: TextCorpus, test_share: float = 0.1, seed: int = 0
) -> tuple[TextCorpus, TextCorpus]:
    """Split a corpus into training and held-out documents, reproducibly and lazily.

    Document ``i`` goes to the test side when a hash of ``(seed, i)`` falls below
    ``test_share``; nothing is read until the sides are iterated, and the two sides
    partition the documents.

    Parameters
    ----------
    corpus : TextCorpus
        Corpus to split.
    test_share : float
        Expected share of documents held out, strictly between 0 and 1.
    seed : int
        Changes which documents are held out.

    Returns
    -------
    (TextCorpus, TextCorpus)
        The training and the test side, named ``"<name>:train"`` and ``"<name>:test"``.

    Raises
    ------
    TypeError
        If ``corpus`` is not a :class:`TextCorpus`, ``test_share`` not a real number or
        ``seed`` not an integer.
    ValueError
        If ``test_share`` is not strictly between 0 and 1 (NaN included).
    """
    if not isinstance(corpus, TextCorpus):
        raise TypeError(f"corpus: expected a TextCorpus, got {type(corpus).__name__}")
    expected = "test_share: expected a number strictly between 0 and 1"
    if isinstance(test_share, bool) or not isinstance(test_share, Real):
        raise TypeError(f"{expected}, got {type(test_share).__name__}")
    share = float(test_share)
    if not 0.0 < share < 1.0:  # also false for NaN
        raise ValueError(f"{expected}, got {test_share!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer):
        raise TypeError(f"seed: expected an integer, got {type(seed).__name__}")
    seed = int(seed)
    return (
        _SplitCorpus(corpus, test_share=share, seed=seed, test=False),
        _SplitCorpus(corpus, test_share=share, seed=seed, test=True),
    )


def _training_split(
    corpora: Sequence[TextCorpus], test_share: float = 0.1, seed: int = 0
) -> tuple[TextCorpus, list[TextCorpus]]:
    """Split each corpus with :func:`train_test_split` (same share and seed for all).

    Returns the training sides read one after another as one corpus named ``"train"``,
    and the held-out sides in the order of ``corpora``. Nothing is read now, and nothing
    is kept: every iteration streams the documents from the corpora again, so corpora
    larger than memory can train tokenizers. The fingerprint (the trained-tokenizer
    cache key) comes from the corpora's fingerprints and the split's settings.
    """
    splits = [train_test_split(c, test_share, seed) for c in corpora]
    return _ConcatCorpus([tr for tr, _ in splits], name="train"), [te for _, te in splits]


# ------------------------------------------------------------------------------ readers


class _ParagraphSplitter:
    """Incremental paragraph splitter: feed text blocks, get finished paragraphs.

    Only complete lines are classified as blank or not (the unfinished last line waits
    for the next block), so the paragraphs do not depend on where blocks end. Long
    paragraphs are cut at multiples of ``max_chars`` from their start, which likewise
    does not depend on when the cut happens.
    """

    def __init__(self, max_chars: int):
        self._max = max_chars
        self._open = ""  # lines of the current paragraph, each ending in "\n"
        self._pending = ""  # the unfinished last line
        self._in_line = False  # the current line's start was already moved to _open

    def feed(self, block: str) -> Iterator[str]:
        self._pending += block
        end = self._pending.rfind("\n") + 1
        if end == 0:
            # An over-long unfinished line with content cannot be blank: move it into the
            # paragraph so memory stays bounded (whitespace-only ones must wait).
            pending = self._pending
            if len(pending) > self._max and (self._in_line or pending.strip()):
                self._open += self._pending
                self._pending = ""
                self._in_line = True
                yield from self._cut_open()
            return
        region, self._pending = self._pending[:end], self._pending[end:]
        yield from self._region(region)

    def finish(self) -> Iterator[str]:
        if self._pending or self._in_line:
            # The text's last line has no newline: end it here.
            region, self._pending = self._pending + "\n", ""
            yield from self._region(region)
        yield from self._close()

    def _region(self, region: str) -> Iterator[str]:
        """Handle text made of complete lines (``region`` ends with a newline)."""
        if self._in_line:
            # The rest of a line already known to have content.
            cut = region.index("\n") + 1
            self._open += region[:cut]
            region = region[cut:]
            self._in_line = False
        parts = _BLANK_LINE.split(region)
        self._open += parts[0]
        if len(parts) > 1:
            yield from self._close()
            for part in parts[1:-1]:
                self._open = part
                yield from self._close()
            self._open = parts[-1]
        yield from self._cut_open()

    def _cut_open(self) -> Iterator[str]:
        """Emit full ``max_chars`` pieces of the open paragraph that more text follows."""
        text, max_chars = self._open, self._max
        if len(text) <= max_chars:
            return
        start = 0
        while len(text) - start > max_chars:
            yield text[start : start + max_chars]
            start += max_chars
        self._open = text[start:]

    def _close(self) -> Iterator[str]:
        """Emit the rest of the finished paragraph (without its final newline)."""
        yield from self._cut_open()
        text, self._open = self._open, ""
        if text.endswith("\n"):
            text = text[:-1]
        if text:
            yield text


def _paragraphs(blocks: Iterable[str], max_chars: int = _MAX_DOC_CHARS) -> Iterator[str]:
    """Paragraphs of the text made of ``blocks`` (see the module docstring)."""
    splitter = _ParagraphSplitter(max_chars)
    for block in blocks:
        yield from splitter.feed(block)
    yield from splitter.finish()


def _text_blocks(path: Path, block_chars: int = _BLOCK_CHARS) -> Iterator[str]:
    # newline=None: universal newlines, so "\r\n" split across blocks is still one "\n".
    with open(path, encoding="utf-8-sig", errors="replace", newline=None) as file:
        while block := file.read(block_chars):
            yield block


def _read_paragraphs(
    path: Path, block_chars: int = _BLOCK_CHARS, max_chars: int = _MAX_DOC_CHARS
) -> Iterator[str]:
    """Stream the paragraphs of a text file, ``block_chars`` characters at a time."""
    return _paragraphs(_text_blocks(path, block_chars), max_chars)


def _read_jsonl(path: Path, field: str) -> Iterator[str]:
    """Stream the ``field`` strings of a JSONL (optionally gzip-compressed) file."""
    compressed = path.name.endswith(".gz")
    try:
        if compressed:
            file = gzip.open(path, "rt", encoding="utf-8", errors="replace")
        else:
            file = open(path, encoding="utf-8", errors="replace")
        with file:
            for lineno, line in enumerate(file, start=1):
                if line.strip():
                    yield _jsonl_field(line, field, path, lineno)
    except (EOFError, gzip.BadGzipFile) as exc:
        raise ValueError(f"{path}: corrupt gzip data ({exc})") from None


def _jsonl_field(line: str, field: str, path: Path, lineno: int) -> str:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{path}, line {lineno}: not valid JSON ({exc.msg})") from None
    if not isinstance(record, dict):
        raise ValueError(f"{path}, line {lineno}: expected a JSON object, got {line[:40]!r}")
    if field not in record:
        raise ValueError(f"{path}, line {lineno}: no field {field!r} (keys: {sorted(record)})")
    value = record[field]
    if not isinstance(value, str):
        raise ValueError(
            f"{path}, line {lineno}: field {field!r} is {type(value).__name__}, not a string"
        )
    return value


def _looks_binary(path: Path) -> bool:
    with open(path, "rb") as file:
        return b"\0" in file.read(_SNIFF_BYTES)


# --------------------------------------------------------------------------- token shards


@dataclass(frozen=True)
class _Shard:
    """A token file: ``length`` items of ``dtype`` starting ``offset`` bytes in."""

    path: Path
    dtype: np.dtype
    offset: int
    length: int

    def open(self) -> np.ndarray:
        if self.length == 0:
            # mmap cannot map zero bytes.
            return np.empty(0, dtype=self.dtype)
        return np.memmap(
            self.path, dtype=self.dtype, mode="r", offset=self.offset, shape=(self.length,)
        )


def _parse_dtype(dtype: str | np.dtype) -> np.dtype:
    """An integer NumPy dtype, or ValueError naming ``dtype``."""
    try:
        parsed = np.dtype(dtype)
    except (TypeError, ValueError):
        raise ValueError(f"dtype {dtype!r} is not a NumPy dtype") from None
    if parsed.kind not in "iu":
        raise ValueError(f"dtype {dtype!r} is not an integer dtype (token ids are integers)")
    return parsed


def _npy_shard(path: Path) -> _Shard:
    """Read a ``.npy`` header (without mapping the data) and check the file size."""
    fmt = np.lib.format
    try:
        with open(path, "rb") as file:
            version = fmt.read_magic(file)
            if version == (1, 0):
                shape, _fortran, dtype = fmt.read_array_header_1_0(file)
            elif version == (2, 0):
                shape, _fortran, dtype = fmt.read_array_header_2_0(file)
            else:
                raise ValueError(f"unsupported .npy format version {version}")
            offset = file.tell()
    except (ValueError, OSError, EOFError, SyntaxError) as exc:
        raise ValueError(f"cannot read {path} as a .npy array: {exc}") from None
    if len(shape) != 1:
        raise ValueError(f"{path}: token arrays must be 1-D, got shape {shape}")
    if dtype.kind not in "iu":
        raise ValueError(f"{path}: token ids must be integers, got dtype {dtype}")
    needed = offset + shape[0] * dtype.itemsize
    if path.stat().st_size < needed:
        raise ValueError(f"{path}: truncated .npy file ({path.stat().st_size} < {needed} bytes)")
    return _Shard(path, dtype, offset, int(shape[0]))


def _bin_shard(path: Path, dtype: np.dtype) -> _Shard:
    size = path.stat().st_size
    if size % dtype.itemsize:
        raise ValueError(
            f"{path}: size {size} bytes is not a multiple of the {dtype.itemsize}-byte "
            f"items of dtype {dtype}"
        )
    return _Shard(path, dtype, 0, size // dtype.itemsize)


def _shard_paths(paths: Sequence[str | os.PathLike]) -> list[Path]:
    """``IdCorpus``'s ``paths`` as a non-empty list of :class:`~pathlib.Path`; errors name
    ``paths``.

    A lone path is refused, as ``sweep(test=...)`` refuses a lone corpus: iterating a
    ``str`` would read each character as a file name.
    """
    expected = "a sequence of shard paths"
    items = _validate.listed(paths, "paths", expected, hint=lambda _: "; pass [path] for one file")
    if not items:
        raise ValueError(f"paths: expected {expected}, got an empty one (an IdCorpus needs a file)")
    out = []
    for index, item in enumerate(items):
        try:
            out.append(Path(os.fsdecode(item)))
        except TypeError:
            raise TypeError(
                f"paths[{index}]: expected a path (str or os.PathLike), "
                f"got {type(item).__name__}"
            ) from None
    return out


class IdCorpus:
    """Pre-tokenised token ids in ``.npy`` or raw ``.bin`` files, memory-mapped.

    Each file is one document: n-grams must not cross files, which :meth:`chunks` makes
    explicit with a flag on the first chunk of every file.

    Parameters
    ----------
    paths : sequence of path-like
        Shard files, in reading order (``.npy`` or ``.bin``); a single file too is given
        as a one-element list (or opened with :func:`load_corpus`).
    dtype : str or numpy.dtype, optional
        Item type of the ``.bin`` files (required for them); ``.npy`` files carry their own
        and must agree with it when given.
    name : str, optional
        Label in reports (default: the first file's name).

    Attributes
    ----------
    name : str
    paths : list[pathlib.Path]
    dtype : numpy.dtype
        The common item type of all files.

    Raises
    ------
    TypeError
        If ``paths`` is a single path (a ``str``, ``bytes`` or path-like) or not a
        sequence, or holds something that is not a path.
    ValueError
        If ``paths`` is empty, or a file is not a readable shard (see :func:`load_corpus`).
    FileNotFoundError
        If a file does not exist.
    """

    group: str | None = None
    language: str | None = None

    def __init__(
        self,
        paths: Sequence[str | os.PathLike],
        dtype: str | np.dtype | None = None,
        name: str | None = None,
    ):
        self.paths = _shard_paths(paths)
        declared = None if dtype is None else _parse_dtype(dtype)
        self._shards = [self._shard(path, declared) for path in self.paths]
        dtypes = {shard.dtype for shard in self._shards}
        if len(dtypes) > 1:
            found = ", ".join(sorted(str(d) for d in dtypes))
            raise ValueError(f"shards have different dtypes ({found}); convert them to one dtype")
        self.dtype = dtypes.pop()
        self.name = name if name is not None else self.paths[0].name
        self._max_id: int | None = None

    @staticmethod
    def _shard(path: Path, declared: np.dtype | None) -> _Shard:
        if not path.is_file():
            raise FileNotFoundError(f"token shard not found: {str(path)!r}")
        if path.suffix == ".npy":
            shard = _npy_shard(path)
            if declared is not None and shard.dtype != declared:
                raise ValueError(
                    f"dtype {str(declared)!r} was given but {path} holds {shard.dtype}"
                )
            return shard
        if path.suffix == ".bin":
            if declared is None:
                raise ValueError(f"dtype is required to read the raw token shard {path}")
            return _bin_shard(path, declared)
        raise ValueError(f"{path}: token shards must end in .npy or .bin")

    @property
    def n_documents(self) -> int:
        """Documents, i.e. files."""
        return len(self._shards)

    def n_tokens(self) -> int:
        """Total number of token ids (from the file headers/sizes; nothing is read)."""
        return sum(shard.length for shard in self._shards)

    def chunks(self, chunk_tokens: int = 1 << 24) -> Iterator[tuple[np.ndarray, bool]]:
        """Stream the ids as ``(tokens, starts_new_document)`` pairs.

        ``tokens`` is a 1-D read-only view into the memory-mapped file (native byte order:
        a non-native file is converted chunk by chunk), at most ``chunk_tokens`` long.
        ``starts_new_document`` is ``True`` on the first chunk of each file and ``False``
        on the chunks that continue it, so a consumer resets its n-gram context exactly
        when it is ``True``. Every file yields at least one chunk (an empty array for an
        empty file), so the number of ``True`` flags equals :attr:`n_documents`.

        Parameters
        ----------
        chunk_tokens : int
            Most ids per chunk (at least 1).

        Returns
        -------
        Iterator[tuple[numpy.ndarray, bool]]

        Raises
        ------
        TypeError
            If ``chunk_tokens`` is not an integer.
        ValueError
            If ``chunk_tokens`` is below 1.
        """
        # Checked now, not at the first next(): the error points at the call.
        return self._chunks(_validate.positive_int(chunk_tokens, "chunk_tokens"))

    def _chunks(self, step: int) -> Iterator[tuple[np.ndarray, bool]]:
        for shard in self._shards:
            data = shard.open()
            native = data.dtype.newbyteorder("=")
            if shard.length == 0:
                yield np.empty(0, dtype=native), True
                continue
            for start in range(0, shard.length, step):
                piece = data[start : start + step]
                if not piece.dtype.isnative:
                    piece = piece.astype(native)
                # asarray: a plain ndarray view, not the memmap subclass.
                yield np.asarray(piece), start == 0
            del data

    def max_id(self) -> int:
        """Largest id (a chunked scan, cached), for the vocabulary size when none is given.

        Raises
        ------
        ValueError
            If the corpus holds no ids, or holds negative ids (naming the file).
        """
        if self._max_id is None:
            best = -1
            for shard in self._shards:
                data = shard.open()
                for start in range(0, shard.length, 1 << 24):
                    piece = data[start : start + (1 << 24)]
                    if int(piece.min()) < 0:
                        raise ValueError(f"{shard.path}: negative token ids")
                    best = max(best, int(piece.max()))
                del data
            if best < 0:
                raise ValueError(f"corpus {self.name!r} holds no token ids")
            self._max_id = best
        return self._max_id

    def fingerprint(self) -> str:
        """SHA-256 hex of the paths, sizes, modification times and dtype (a cache key)."""
        parts = [b"ids", str(self.dtype).encode()]
        for path in self.paths:
            stat = path.stat()
            parts += [
                os.fsencode(path.resolve()),
                str(stat.st_size).encode(),
                str(stat.st_mtime_ns).encode(),
            ]
        return _sha256(parts)

    def __repr__(self) -> str:
        return (
            f"IdCorpus(name={self.name!r}, files={len(self.paths)}, dtype={self.dtype}, "
            f"n_tokens={self.n_tokens()})"
        )


# ------------------------------------------------------------------------------ loading


def _walk(folder: Path) -> list[Path]:
    """Regular files under ``folder``, recursively, in sorted (tree) order."""
    files = [p for p in folder.rglob("*") if p.is_file()]
    return sorted(files, key=lambda p: p.relative_to(folder).parts)


def _glob(spec: str) -> list[str] | None:
    """Sorted matches of ``spec`` as a glob pattern (``~`` expanded, ``**`` recursive),
    or ``None`` when ``spec`` has no glob characters."""
    if not _GLOB_CHARS.intersection(spec):
        return None
    return sorted(glob.glob(os.path.expanduser(spec), recursive=True))


def _expand(spec: str) -> tuple[list[Path], str]:
    """Files named by ``spec`` and what it named: ``"file"``, ``"folder"`` or ``"glob"``."""
    path = Path(spec).expanduser()
    if path.is_file():
        return [path], "file"
    if path.is_dir():
        files = _walk(path)
        if not files:
            raise ValueError(f"corpus folder {spec!r} holds no files")
        return files, "folder"
    matches = _glob(spec)
    if matches is not None:
        files: list[Path] = []
        for match in matches:
            found = Path(match)
            files += _walk(found) if found.is_dir() else [found] if found.is_file() else []
        # A directory and a pattern inside it may both match the same file.
        files = list(dict.fromkeys(files))
        if not files:
            raise FileNotFoundError(f"corpus pattern {spec!r} matches no files")
        return files, "glob"
    raise FileNotFoundError(f"corpus path {spec!r} does not exist")


def _is_shard(path: Path) -> bool:
    return path.suffix in _SHARD_SUFFIXES


def _is_jsonl(path: Path) -> bool:
    return path.name.endswith(_JSONL_SUFFIXES)


def load_corpus(
    spec: str | os.PathLike,
    *,
    field: str | None = None,
    dtype: str | np.dtype | None = None,
    name: str | None = None,
) -> TextCorpus | IdCorpus:
    """Open a corpus from a file, a folder or a glob pattern.

    * a text file: one document per paragraph (see the module docstring);
    * ``.jsonl`` / ``.jsonl.gz``: one document per line, the string under ``field``;
    * ``.npy`` (1-D integer array) or ``.bin`` (raw ids of ``dtype``): an :class:`IdCorpus`;
    * a folder: every regular file below it, recursively, in sorted order, skipping files
      that look binary (a NUL byte in the first 8 KiB) unless they are token shards;
    * a glob pattern (``data/*.txt``, ``data/**/*.jsonl``): the matching files, sorted, with
      matching folders read as above.

    Parameters
    ----------
    spec : str or path-like
        What to read.
    field : str, optional
        JSONL key of the text (default ``"text"``); only for corpora with JSONL files.
    dtype : str or numpy.dtype, optional
        Integer item type of ``.bin`` shards (required for them); only for token shards.
    name : str, optional
        Label in reports (default: the file or folder name, or the pattern).

    Returns
    -------
    TextCorpus or IdCorpus

    Raises
    ------
    FileNotFoundError
        The path does not exist or the pattern matches nothing.
    ValueError
        Unknown or non-integer ``dtype``, a ``.bin`` shard without ``dtype``, a corrupt
        ``.npy`` file, shards mixed with text, a binary text file, or an argument that
        does not apply to the files found.
    """
    spec_str = os.fsdecode(os.fspath(spec))
    return _load(spec_str, *_expand(spec_str), field=field, dtype=dtype, name=name)


def _load(
    spec_str: str,
    files: list[Path],
    kind: str,
    *,
    field: str | None = None,
    dtype: str | np.dtype | None = None,
    name: str | None = None,
) -> TextCorpus | IdCorpus:
    """:func:`load_corpus` of the files that ``_expand(spec_str)`` gave (no second walk)."""
    if name is not None:
        label = name
    else:
        label = spec_str if kind == "glob" else Path(spec_str).name or spec_str
    shards = [p for p in files if _is_shard(p)]
    texts = [p for p in files if not _is_shard(p)]
    if shards:
        texts = [p for p in texts if not _looks_binary(p)]
        if texts:
            raise ValueError(
                f"{spec_str!r} mixes token shards ({shards[0]}) and text files ({texts[0]}); "
                "load them as separate corpora"
            )
        if field is not None:
            raise ValueError(f"field={field!r} applies to JSONL text, not to token shards")
        return IdCorpus(shards, dtype=dtype, name=label)
    if dtype is not None:
        raise ValueError(f"dtype={dtype!r} applies to token shards (.npy/.bin), not to text")
    return _text_corpus(spec_str, texts, kind != "file", field, label)


def _text_corpus(
    spec: str, files: list[Path], collection: bool, field: str | None, label: str
) -> TextCorpus:
    entries = []
    for path in files:
        if _is_jsonl(path):
            entries.append(_TextFile(path, "jsonl"))
        elif _looks_binary(path):
            if not collection:
                raise ValueError(f"{path} looks binary (a NUL byte in its first 8 KiB)")
        else:
            entries.append(_TextFile(path, "text"))
    if not entries:
        raise ValueError(f"{spec!r} holds no text files (all look binary)")
    if field is not None and not any(e.kind == "jsonl" for e in entries):
        raise ValueError(f"field={field!r} applies to JSONL files, and {spec!r} has none")
    return _FileCorpus(entries, field=_DEFAULT_FIELD if field is None else field, name=label)
