"""Input and output shared by the ``entrostat`` commands: argument types, the progress
line, label files read chunk by chunk, and results rendered as a table, JSON, CSV or
markdown.

Label files, told apart by content and name:

- ``.npy`` (recognised by its magic bytes): memory-mapped, integer dtypes, 1-D.
- raw binary token shards: ``.bin`` files, and every non-``.npy`` file when ``--dtype``
  is given; memory-mapped with that dtype.
- text (anything else): one integer per line; blank lines, ``#`` comments and one header
  line at the top (starting with a letter) are skipped.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import re
import shutil
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from typing import NoReturn

import numpy as np

PROG = "entrostat"
CHUNK_LABELS = 1 << 24  # labels per chunk: 64 MiB of int32, 128 MiB of int64
PROGRESS_MIN_BYTES = 64 << 20  # off a terminal, a progress line only for inputs this big
FORMATS = ("table", "json", "csv", "markdown")
NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"
_MAX_LINE_BYTES = 1 << 20
_INTEGER = re.compile(rb"[+-]?[0-9]+")
#: Names that say "text" even when --dtype is given (which reads other files as raw binary).
TEXT_SUFFIXES = (".txt", ".csv", ".tsv")
MAX_CHUNK = 1 << 30  # labels per chunk: 8 GiB of int64 at most


class InputError(Exception):
    """Bad input: reported as one ``entrostat: error:`` line, exit status 2."""


# --------------------------------------------------------------------------- arguments


def dtype_arg(text: str) -> np.dtype:
    try:
        dt = np.dtype(text)
    except (TypeError, ValueError):
        dt = None
    if dt is None or dt.kind not in "iu":
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an integer dtype (expected one of uint8, uint16, uint32, "
            "uint64, int8, int16, int32, int64)"
        )
    return dt


def parse_float(text: str) -> float:
    """``float(text)``, or NaN where the text is no number (every check then fails)."""
    try:
        return float(text)
    except ValueError:
        return math.nan


def base_arg(text: str) -> float | None:
    if text.strip().lower() == "e":
        return None
    b = parse_float(text)
    if not (b > 0 and math.isfinite(b)) or b == 1.0:
        raise argparse.ArgumentTypeError(
            f"expected a positive number other than 1, or 'e', got {text!r}"
        )
    return None if b == math.e else b


def chunk_arg(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    if n > MAX_CHUNK:
        raise argparse.ArgumentTypeError(f"expected at most {MAX_CHUNK} (2^30), got {n}")
    return n


# --------------------------------------------------------------------------- progress


class Progress:
    """A one-line progress display on stderr, redrawn with '\\r'.

    Drawn only after half a second of work (so quick files stay silent), at most a few
    times per second on a terminal and every few seconds elsewhere.
    """

    def __init__(self, label: str, total: int, enabled: bool, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.label = label
        self.total = max(int(total), 1)
        self.enabled = enabled
        self.tty = isatty(self.stream)
        self.interval = 0.25 if self.tty else 5.0
        self.start = time.perf_counter()
        self.last = self.start + 0.5 - self.interval
        self.drawn = 0

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.last < self.interval:
            return
        self.last = now
        elapsed = max(now - self.start, 1e-9)
        pct = min(100.0, 100.0 * done / self.total)
        line = (f"{PROG}: {self.label}  {pct:5.1f}%  {done / 1e6:,.0f}/{self.total / 1e6:,.0f} MB"
                f"  {done / 1e6 / elapsed:,.1f} MB/s")
        width = shutil.get_terminal_size((80, 24)).columns - 1 if self.tty else 200
        line = line[:width]
        pad = " " * max(0, self.drawn - len(line))
        self.stream.write("\r" + line + pad)
        self.stream.flush()
        self.drawn = len(line)

    def close(self) -> None:
        if self.drawn:
            self.stream.write("\r" + " " * self.drawn + "\r" if self.tty else "\n")
            self.stream.flush()
            self.drawn = 0


def show_progress(args, nbytes: int) -> bool:
    """A progress line unless ``--no-progress``: on a terminal, or for big inputs."""
    return not args.no_progress and (isatty(sys.stderr) or nbytes > PROGRESS_MIN_BYTES)


def isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


# --------------------------------------------------------------------------- inputs


class Source:
    """One input file: how to read it, and its labels chunk by chunk."""

    def __init__(self, path: str, kind: str, nbytes: int, array: np.ndarray | None = None):
        self.path = path
        self.kind = kind  # "npy", "raw" or "text"
        self.nbytes = nbytes
        self.array = array

    def chunks(self, chunk: int) -> Iterator[tuple[np.ndarray, int]]:
        """Yield (labels, bytes read so far)."""
        if self.kind == "text":
            yield from _text_chunks(self.path, max(chunk * 4, 64))
            return
        arr = self.array
        assert arr is not None
        item = arr.dtype.itemsize
        for start in range(0, arr.shape[0], chunk):
            stop = min(start + chunk, arr.shape[0])
            yield np.asarray(arr[start:stop]), stop * item


def check_file(path: str) -> None:
    """A regular file that exists (pipes are read twice, so they cannot serve)."""
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, not a file")
    if not os.path.isfile(path):
        raise InputError(f"{path}: not a regular file (pipes and devices cannot be read "
                         "in chunks; save the data to a file)")


def open_source(path: str, dtype: np.dtype | None) -> Source:
    check_file(path)
    nbytes = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8192)
    if head.startswith(NPY_MAGIC):
        return _open_npy(path, nbytes)
    if head.startswith(_ZIP_MAGIC) and path.lower().endswith(".npz"):
        raise InputError(f"{path}: .npz archives are not supported; np.save one array to .npy")
    if nbytes == 0:
        raise InputError(f"{path}: empty file")
    if dtype is not None and not path.lower().endswith(TEXT_SUFFIXES):
        return _open_raw(path, nbytes, dtype)
    if path.lower().endswith(".npy"):
        raise InputError(f"{path}: not a .npy file (no NumPy header)")
    if path.lower().endswith(".bin"):
        raise InputError(f"{path}: raw binary needs --dtype (e.g. --dtype uint16)")
    if b"\x00" in head:
        raise InputError(
            f"{path}: unknown format: binary data, neither .npy nor text "
            "(for a raw token shard give --dtype)"
        )
    return Source(path, "text", nbytes)


def load_npy(source, path: str) -> np.ndarray | None:
    """A .npy array: memory-mapped when ``source`` is a path (a header promising more
    data than the file holds is then an error, not an allocation of that size), else read
    from the stream. ``None`` for an empty array (it cannot be memory-mapped)."""
    mmap = "r" if isinstance(source, str) else None
    try:
        return np.load(source, mmap_mode=mmap, allow_pickle=False)
    except (ValueError, OSError, EOFError, MemoryError) as err:
        if "empty" in str(err).lower():
            return None
        raise InputError(f"{path}: unreadable .npy file ({one_line(err)})") from None


def _open_npy(path: str, nbytes: int) -> Source:
    arr = load_npy(path, path)
    if arr is None:
        raise InputError(f"{path}: empty array")
    dt = arr.dtype
    if dt.kind == "f":
        raise InputError(f"{path}: float data ({dt}); labels must be integers")
    if dt.kind not in "iub":
        raise InputError(f"{path}: dtype {dt} is not an integer dtype; labels must be integers")
    if arr.ndim != 1:
        raise InputError(f"{path}: expected a 1-D array of labels, got shape {arr.shape}")
    if arr.shape[0] == 0:
        raise InputError(f"{path}: empty array")
    if dt.kind == "b":
        arr = arr.view(np.uint8)
    return Source(path, "npy", nbytes, arr)


def _open_raw(path: str, nbytes: int, dtype: np.dtype) -> Source:
    if nbytes % dtype.itemsize:
        raise InputError(
            f"{path}: size {nbytes} bytes is not a multiple of the {dtype.itemsize}-byte "
            f"items of --dtype {dtype.name}"
        )
    arr = np.memmap(path, dtype=dtype, mode="r")
    return Source(path, "raw", nbytes, arr)


def _text_chunks(path: str, block_bytes: int) -> Iterator[tuple[np.ndarray, int]]:
    with open(path, "rb") as f:
        carry = b""
        line_no = 1  # number of the first line of the next block
        first = True
        while True:
            data = f.read(block_bytes)
            if data:
                buf = carry + data
                cut = buf.rfind(b"\n") + 1
                if cut == 0:
                    if len(buf) > _MAX_LINE_BYTES:
                        raise InputError(f"{path}:{line_no}: line too long; expected one "
                                         "integer per line")
                    carry = buf
                    continue
                buf, carry = buf[:cut], buf[cut:]
            else:
                buf, carry = carry, b""
                if not buf:
                    return
            if b"\x00" in buf:
                raise InputError(f"{path}: unknown format: binary data in a text file "
                                 "(for a raw token shard give --dtype)")
            if first:
                buf, skipped = skip_header(buf)
                line_no += skipped
                first = False
            values = _parse_lines(buf, path, line_no)
            line_no += buf.count(b"\n")
            yield values, f.tell() - len(carry)


def skip_header(buf: bytes) -> tuple[bytes, int]:
    """Drop a header line (the first line that is neither blank nor a comment, if it
    starts with a letter or a quote): (the rest, the number of lines dropped)."""
    pos = 0
    skipped = 0
    while pos < len(buf):
        end = buf.find(b"\n", pos)
        end = len(buf) if end < 0 else end + 1
        line = buf[pos:end].strip()
        if line and not line.startswith(b"#"):
            if line[:1].isalpha() or line[:1] in (b'"', b"'"):
                return buf[end:], skipped + 1
            break
        pos = end
        skipped += 1
    return buf, 0


def _parse_lines(buf: bytes, path: str, line_no: int) -> np.ndarray:
    for dtype in (np.int64, np.uint64):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)  # "input contained no data"
                arr = np.loadtxt(io.BytesIO(buf), dtype=dtype, ndmin=2, comments="#")
        except ValueError:
            continue
        if arr.size == 0:
            return np.empty(0, dtype=np.int64)
        if arr.shape[1] == 1:
            return arr[:, 0]
        break
    _raise_bad_line(buf, path, line_no)


def _raise_bad_line(buf: bytes, path: str, line_no: int) -> NoReturn:
    """Find the first line that is not one integer and say where it is."""
    for i, raw in enumerate(buf.split(b"\n")):
        text = raw.split(b"#", 1)[0].strip()
        if not text:
            continue
        shown = text[:40].decode("utf-8", "replace")
        if not _INTEGER.fullmatch(text):
            raise InputError(f"{path}:{line_no + i}: expected one integer per line, "
                             f"got {shown!r}")
        v = int(text)
        if not -(1 << 63) <= v < (1 << 64):
            raise InputError(f"{path}:{line_no + i}: {shown} is out of the 64-bit range")
    last = line_no + max(buf.count(b"\n") - 1, 0)
    raise InputError(f"{path}: lines {line_no}..{last}: labels mix negative values and "
                     "values above 2**63 - 1")


def one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


def file_error(path: str, err: BaseException) -> InputError:
    """A library error met while counting the labels of ``path``, as one line naming the
    file (the chunk argument's name, ``x`` or ``seq``, means nothing on the command line)."""
    msg = re.sub(r"^(x|seq): ", "", one_line(err))
    return InputError(f"{path}: {msg}")


def unit_name(base: float | None) -> str:
    if base is None:
        return "nats"
    if base == 2:
        return "bits"
    if base == 10:
        return "hartleys"
    return f"log{base:g}"


# --------------------------------------------------------------------------- output


def check_output(path: str | None, what: str = "--output") -> None:
    """Fail before any work when the file of option ``what`` cannot be written."""
    if path is None:
        return
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise InputError(f"{what} {path}: directory {parent} does not exist")
    if os.path.isdir(path):
        raise InputError(f"{what} {path}: is a directory")


def add_file_options(p) -> None:
    """The options of the commands that read label files: base, dtype, output, chunks."""
    p.add_argument(
        "-b", "--base", type=base_arg, default=None, metavar="B",
        help="logarithm base: 2 for bits, 'e' for nats (default: e)",
    )
    p.add_argument(
        "--dtype", type=dtype_arg, default=None, metavar="DT",
        help="read non-.npy label files as raw binary of this integer dtype "
        "(uint8, uint16, ..., int64; '>u2' for big-endian); required for .bin",
    )
    p.add_argument(
        "-f", "--format", default="table", choices=FORMATS, metavar="FMT",
        help="output format: table, json, csv or markdown (default: table)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write results here, not stdout")
    p.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    p.add_argument(
        "--chunk-size", type=chunk_arg, default=CHUNK_LABELS, metavar="N",
        help=f"labels per chunk (memory use ~ N x itemsize; default: {CHUNK_LABELS})",
    )


def _json_value(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _cell(value, is_float: bool) -> str:
    if value is None:
        return "-"
    return f"{value:.6f}" if is_float else str(value)


def render(rows: list[dict], fmt: str, *, floats: Sequence[str], hidden: Sequence[str] = (),
           unit: str | None = None, unitless: Sequence[str] = (), title: str | None = None,
           text: Sequence[str] = ("file",)) -> str:
    """Rows (dicts with the same keys) as ``fmt``.

    JSON and CSV hold every column, floats in full (JSON writes inf and NaN as null).
    ``None`` is null in JSON, empty in CSV and ``-`` in the table and markdown.
    The table and markdown drop the ``hidden`` columns, print the ``floats`` columns with
    six decimals (headed ``name [unit]`` when ``unit`` is given, but for the
    ``unitless`` ones), left-align the ``text``
    columns, and markdown starts with ``title`` as a comment.
    """
    if fmt == "json":
        return json.dumps([{k: _json_value(v) for k, v in r.items()} for r in rows],
                          indent=2) + "\n"
    cols = list(rows[0])
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(cols)
        for r in rows:
            writer.writerow([repr(r[c]) if isinstance(r[c], float) else r[c] for c in cols])
        return out.getvalue()
    cols = [c for c in cols if c not in hidden]
    suffix = f" [{unit}]" if unit is not None else ""
    head = [c + suffix if c in floats and c not in unitless else c for c in cols]
    body = [[_cell(r[c], c in floats) for c in cols] for r in rows]
    if fmt == "markdown":
        lines = ["| " + " | ".join(head) + " |",
                 "|" + "|".join("---" if c in text else "---:" for c in cols) + "|"]
        lines += ["| " + " | ".join(b) + " |" for b in body]
        comment = f"<!-- {title} -->\n" if title else ""
        return comment + "\n".join(lines) + "\n"
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]

    def line(cells):
        return "  ".join(c.ljust(w) if col in text else c.rjust(w)
                         for c, w, col in zip(cells, widths, cols, strict=True)).rstrip()

    return "\n".join([line(head)] + [line(b) for b in body]) + "\n"
