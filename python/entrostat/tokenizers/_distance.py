"""Normalised compression distance (NCD) between texts and corpora.

``NCD(a, b) = (C(ab) - min(C(a), C(b))) / max(C(a), C(b))`` where ``C(x)`` is the length in
bytes of ``x`` compressed by a real compressor (Cilibrasi & Vitanyi 2005). It is near 0 when
one input explains the other and near 1 (slightly above with some compressors) when they
share nothing. It approximates the normalised information distance only as far as the
compressor can see ``a`` while it compresses the ``b`` half of ``ab``: the compressor's
window must cover ``len(a) + len(b)``.

References
----------
R. Cilibrasi and P. M. B. Vitanyi, "Clustering by compression", IEEE Transactions on
Information Theory 51(4), 1523-1545 (2005).

M. Cebrian, M. Alfonseca and A. Ortega, "Common pitfalls using the normalized compression
distance: what to watch out for in a compressor", Communications in Information and
Systems 5(4), 367-384 (2005).
"""

from __future__ import annotations

import bz2
import errno
import lzma
import math
import os
import pathlib
import zlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from .. import _validate

__all__ = ["CODECS", "DEFAULT_LEVELS", "compression_distance", "rank_by_distance"]

#: Codecs understood by ``codec=``.
CODECS = ("gzip", "bz2", "lzma", "zstd")
#: Level used when ``level=None``. zstd 9 runs at ~20 MB/s with a long window and keeps most
#: of the separation between candidates that level 19 gives at ~1 MB/s (docs/tokenizers.md).
DEFAULT_LEVELS = {"gzip": 9, "bz2": 9, "lzma": 6, "zstd": 9}
_LEVEL_RANGES = {"gzip": (1, 9), "bz2": (1, 9), "lzma": (0, 9), "zstd": (1, 22)}
DEFAULT_MAX_BYTES = 8 << 20
_LZMA_DICT_MIN = 1 << 12
_LZMA_DICT_MAX = 3 << 29  # 1.5 GiB: the largest dictionary liblzma accepts
_READ_CHUNK = 1 << 20

#: What a text argument may be: text, bytes, a path (file or folder) or documents.
Source = str | bytes | bytearray | memoryview | os.PathLike | Iterable[str | bytes]


# --------------------------------------------------------------------------- compressors


def _check_level(codec: str, level: int | None) -> int:
    if level is None:
        return DEFAULT_LEVELS[codec]
    lo, hi = _LEVEL_RANGES[codec]
    if isinstance(level, bool) or not isinstance(level, int) or not lo <= level <= hi:
        raise ValueError(f"level for codec={codec!r} must be an integer in [{lo}, {hi}], "
                         f"got {level!r}")
    return level


def _zstd_sizer(level: int) -> Callable[[bytes], int]:
    try:
        import zstandard
    except ImportError as err:
        raise ImportError(
            'codec="zstd" needs the zstandard package: pip install "entrostat[tokenizers]" '
            '(or pass codec="lzma", which has a long window too)') from err

    def size(data: bytes) -> int:
        # A window covering the whole input, so that C(ab) sees all of a while coding b;
        # long-distance matching finds the far repeats the level's hash tables forget.
        window_log = min(max(math.ceil(math.log2(len(data))), zstandard.WINDOWLOG_MIN),
                         zstandard.WINDOWLOG_MAX)
        params = zstandard.ZstdCompressionParameters.from_level(
            level, window_log=window_log, enable_ldm=True, source_size=len(data))
        # A fresh single-threaded compressor per call: deterministic, and safe to use from
        # several threads (python-zstandard releases the GIL while compressing).
        return len(zstandard.ZstdCompressor(compression_params=params).compress(data))

    return size


def _lzma_size(data: bytes, level: int) -> int:
    # The dictionary (LZMA's window) is sized to the input rather than the preset's 8 MiB:
    # it must cover ab, and a smaller one saves memory (~10x the dictionary) on small inputs.
    dict_size = min(max(1 << math.ceil(math.log2(len(data))), _LZMA_DICT_MIN), _LZMA_DICT_MAX)
    filters = [{"id": lzma.FILTER_LZMA2, "preset": level, "dict_size": dict_size}]
    # Raw LZMA2: no container header or checksum to add noise to small inputs.
    return len(lzma.compress(data, format=lzma.FORMAT_RAW, filters=filters))


def _sizer(codec: str, level: int | None) -> Callable[[bytes], int]:
    """The function ``data -> len(compress(data))`` of ``codec`` at ``level``."""
    if codec not in CODECS:
        raise ValueError(f"unknown codec={codec!r}; choose from {', '.join(CODECS)}")
    level = _check_level(codec, level)
    if codec == "gzip":
        return lambda data: len(zlib.compress(data, level))
    if codec == "bz2":
        return lambda data: len(bz2.compress(data, level))
    if codec == "lzma":
        return lambda data: _lzma_size(data, level)
    return _zstd_sizer(level)


# --------------------------------------------------------------------------- inputs


def _check_max_bytes(max_bytes: int | None) -> int | None:
    if max_bytes is None:
        return None
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or max_bytes < 1:
        raise ValueError(f"max_bytes must be a positive integer or None, got {max_bytes!r}")
    return max_bytes


def _folder_files(root: str) -> list[str]:
    """Regular files under ``root``, recursively, sorted by relative path; hidden skipped."""
    found = []
    for folder, dirs, files in os.walk(root):
        # Hidden entries (.git, .DS_Store, ...) are repository or OS clutter, not corpus.
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            path = os.path.join(folder, name)
            if not name.startswith(".") and os.path.isfile(path):
                found.append(path)
    # Sorting on the path components makes the order independent of os.walk's order and
    # of the separator ("a/b" vs "a-b").
    return sorted(found, key=lambda p: os.path.relpath(p, root).split(os.sep))


def _read_files(paths: Iterable[str], limit: int | None) -> bytes:
    out = bytearray()
    for path in paths:
        with open(path, "rb") as f:
            while limit is None or len(out) < limit:
                want = _READ_CHUNK if limit is None else min(_READ_CHUNK, limit - len(out))
                chunk = f.read(want)
                if not chunk:
                    break
                out += chunk
        if limit is not None and len(out) >= limit:
            break
    return bytes(out)


def _read_path(path: os.PathLike, limit: int | None) -> bytes:
    name = os.fspath(path)
    if os.path.isdir(name):
        return _read_files(_folder_files(name), limit)
    if not os.path.exists(name):
        raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), name)
    return _read_files([name], limit)


def _read_documents(docs: Iterable[Any], name: str, limit: int | None) -> bytes:
    out = bytearray()
    for i, doc in enumerate(docs):
        if isinstance(doc, str):
            doc = doc.encode("utf-8", "surrogatepass")  # lone surrogates, as the corpora do
        elif not isinstance(doc, (bytes, bytearray, memoryview)):
            raise TypeError(f"{name}: documents must be str or bytes, "
                            f"item {i} is {type(doc).__name__}")
        if i:
            out += b"\n"  # so that the last word of one document does not fuse with the next
        out += doc
        if limit is not None and len(out) >= limit:
            break
    return bytes(out)


def _read_source(src: Any, name: str, limit: int | None) -> bytes:
    """The bytes of one input (at most ``limit`` of them, a prefix); ``name`` for errors."""
    if isinstance(src, str):
        # A character is at least one byte: cutting the characters first is exact and avoids
        # encoding a huge string for its first few megabytes.
        # surrogatepass: a str may hold lone surrogates (e.g. from JSON), as in the corpora.
        data = (src if limit is None else src[:limit]).encode("utf-8", "surrogatepass")
    elif isinstance(src, (bytes, bytearray, memoryview)):
        data = bytes(src)
    elif isinstance(src, os.PathLike):
        data = _read_path(src, limit)
    elif isinstance(src, Iterable):
        data = _read_documents(src, name, limit)
    else:
        raise TypeError(f"{name} must be text, bytes, a path or an iterable of documents, "
                        f"got {type(src).__name__}")
    if limit is not None:
        data = data[:limit]
    if not data:
        raise ValueError(f"{name} is empty: nothing to compress")
    return data


# --------------------------------------------------------------------------- distances


def _ncd(c_a: int, c_b: int, c_ab: int) -> float:
    return (c_ab - min(c_a, c_b)) / max(c_a, c_b)


def _pool(workers: int | None, tasks: int) -> ThreadPoolExecutor:
    if workers is None:
        workers = os.cpu_count() or 1
    elif isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"workers must be a positive integer or None, got {workers!r}")
    return ThreadPoolExecutor(max_workers=max(1, min(workers, tasks)))


def compression_distance(a: Source, b: Source, *, codec: str = "zstd", level: int | None = None,
                         max_bytes: int | None = DEFAULT_MAX_BYTES) -> float:
    """Normalised compression distance between two texts or corpora.

    ``NCD(a, b) = (C(ab) - min(C(a), C(b))) / max(C(a), C(b))`` with ``C`` the compressed
    length in bytes (Cilibrasi & Vitanyi 2005). About 0 for identical inputs, about 1 for
    unrelated ones; real compressors can take it a little below 0 or above 1.

    Parameters
    ----------
    a, b : str, bytes, os.PathLike or iterable of str/bytes
        ``str``: text (UTF-8). ``bytes``: used as is. A path (``pathlib.Path``; a plain
        ``str`` is text here, never a path -- unlike in :func:`rank_by_distance`, which
        ranks corpora on disk): a file's bytes, or for a folder the bytes of its
        regular files, recursively, concatenated in the order of their sorted relative paths
        (hidden files and folders, names starting with ``.``, skipped). An iterable of
        documents: their UTF-8 bytes joined by ``b"\\n"``.
    codec : {"zstd", "lzma", "gzip", "bz2"}
        The compressor. ``"zstd"`` (default; needs the ``zstandard`` package) and
        ``"lzma"`` get a window (zstd ``window_log``, LZMA2 dictionary) sized to cover the
        whole of ``ab``, so they suit corpora of megabytes; zstd also uses long-distance
        matching. ``"gzip"`` (zlib DEFLATE) only sees the last 32 KiB and ``"bz2"`` works
        on 900 kB blocks: on inputs much larger than that, ``ab`` cannot reuse ``a`` while
        coding ``b``, and the NCD of *any* two inputs tends to 1 -- meaningless. Use them
        for short texts only (or to compare with the literature). bz2 is a poor NCD
        compressor even within a block: ``NCD(x, x)`` is 0.3 to 0.5 on text (Cebrian et
        al. 2005), against under 0.05 for the others.
    level : int, optional
        Compression level; default ``DEFAULT_LEVELS[codec]``: zstd 9 (1..22), lzma 6
        (0..9; presets 6..9 differ only in dictionary size, which is set here anyway),
        gzip 9 and bz2 9 (1..9).
    max_bytes : int or None
        Use at most this many bytes of each input: its first ``max_bytes`` bytes (after
        the concatenation described above), so the result is deterministic. Default
        8 MiB. ``None`` reads everything; zstd's window stops at 2 GiB and LZMA's
        dictionary at 1.5 GiB, and LZMA compression needs about 10 times its dictionary
        in memory.

    Returns
    -------
    float
        The NCD.

    Raises
    ------
    ValueError
        Unknown ``codec``, a bad ``level`` or ``max_bytes``, an empty input (the message
        names ``a`` or ``b``).
    FileNotFoundError
        A path that does not exist.
    ImportError
        ``codec="zstd"`` without the ``zstandard`` package (``entrostat[tokenizers]``).

    References
    ----------
    R. Cilibrasi and P. M. B. Vitanyi, "Clustering by compression", IEEE Trans. Inf.
    Theory 51(4), 1523-1545 (2005).

    M. Cebrian, M. Alfonseca and A. Ortega, "Common pitfalls using the normalized
    compression distance: what to watch out for in a compressor", Communications in
    Information and Systems 5(4), 367-384 (2005): the window sizes of gzip and bzip2.

    Examples
    --------
    >>> from entrostat.tokenizers import compression_distance
    >>> near = compression_distance("the cat sat on the mat. " * 40, "the cat sat on a mat. " * 40)
    >>> far = compression_distance("the cat sat on the mat. " * 40, bytes(range(256)) * 4)
    >>> bool(near < far)
    True
    """
    size = _sizer(codec, level)
    limit = _check_max_bytes(max_bytes)
    data_a = _read_source(a, "a", limit)
    data_b = _read_source(b, "b", limit)
    # The three compressions are independent; the codecs release the GIL.
    with _pool(3, 3) as pool:
        c_a, c_b, c_ab = pool.map(size, (data_a, data_b, data_a + data_b))
    return _ncd(c_a, c_b, c_ab)


_STR_IS_PATH = ("rank_by_distance reads a str as a path; pass texts as a mapping "
                "{name: text} (candidates) or as bytes / a list of documents (target)")


def _missing(path: str) -> FileNotFoundError:
    return FileNotFoundError(errno.ENOENT, f"{os.strerror(errno.ENOENT)} ({_STR_IS_PATH})", path)


def _as_path(src: Any) -> Any:
    """In :func:`rank_by_distance`, a plain ``str`` names a file or folder."""
    if isinstance(src, (str, os.PathLike)):
        if not os.path.exists(src):  # a mistyped path fails before any compression
            raise _missing(os.fspath(src))
        return pathlib.Path(src)
    return src


def _labelled(candidates: Any) -> list[tuple[str, Any, str]]:
    """``(label, source, argument name)`` of each candidate."""
    if isinstance(candidates, Mapping):
        return [(str(k), v, f"candidates[{k!r}]") for k, v in candidates.items()]
    listed = _validate.listed(
        candidates, "candidates", "a sequence of paths or a mapping name -> source"
    )
    out = []
    for i, c in enumerate(listed):
        if not isinstance(c, (str, os.PathLike)):
            raise TypeError(f"candidates[{i}] is {type(c).__name__}; a sequence holds paths "
                            "-- pass a mapping name -> source for texts, bytes or documents")
        out.append((os.fspath(c), _as_path(c), f"candidates[{i}]"))
    return out


def rank_by_distance(candidates: Sequence[str | os.PathLike] | Mapping[str, Source],
                     target: Source, *, codec: str = "zstd", level: int | None = None,
                     max_bytes: int | None = DEFAULT_MAX_BYTES,
                     workers: int | None = None) -> list[tuple[str, float]]:
    """Candidate corpora sorted by their compression distance to ``target``, closest first.

    The distance of candidate ``c`` is ``compression_distance(c, target, ...)``, computed
    with ``C(c + target)``: how much of the target the candidate explains. ``C(target)``
    is computed once; candidates are read and compressed in parallel threads.

    Parameters
    ----------
    candidates : sequence of str / os.PathLike, or mapping str -> source
        A sequence holds paths of files or folders (a ``str`` is a path here, unlike in
        :func:`compression_distance`), each labelled by ``os.fspath``. A mapping
        ``{label: source}`` takes any source that :func:`compression_distance` takes
        (there a ``str`` is a text).
    target : str, os.PathLike, bytes or iterable of documents
        The target corpus; a ``str`` is a path (pass a text as ``[text]`` or bytes).
    codec, level, max_bytes
        As in :func:`compression_distance`; ``max_bytes`` applies to each candidate and
        to the target.
    workers : int, optional
        Threads compressing candidates in parallel (the codecs release the GIL); default
        the number of CPUs. Each holds a candidate and candidate + target in memory.

    Returns
    -------
    list of (str, float)
        ``(label, NCD)`` pairs, increasing NCD; ties keep the candidates' order.

    Raises
    ------
    ValueError, FileNotFoundError, ImportError
        As :func:`compression_distance`; errors name ``target`` or ``candidates[i]``.
        Missing paths are reported before any compression.

    Examples
    --------
    >>> rank_by_distance(["corpora/code", "corpora/wiki"], "my_domain/")  # doctest: +SKIP
    [('corpora/code', 0.93), ('corpora/wiki', 0.99)]
    """
    size = _sizer(codec, level)
    limit = _check_max_bytes(max_bytes)
    labelled = _labelled(candidates)
    if not labelled:
        raise ValueError("candidates is empty: nothing to rank")
    for _, src, _ in labelled:
        if isinstance(src, os.PathLike) and not os.path.exists(src):
            raise _missing(os.fspath(src))
    data_t = _read_source(_as_path(target), "target", limit)

    def distance(item: tuple[str, Any, str], c_t: int) -> float:
        data_c = _read_source(item[1], item[2], limit)
        return _ncd(size(data_c), c_t, size(data_c + data_t))

    with _pool(workers, len(labelled)) as pool:
        c_t = size(data_t)
        distances = list(pool.map(lambda item: distance(item, c_t), labelled))
    ranked = sorted(zip((lab for lab, _, _ in labelled), distances, strict=True),
                    key=lambda pair: pair[1])
    return ranked
