"""The ``entrostat`` command line.

``entrostat entropy FILE...`` counts the labels (or n-grams) of each file chunk by chunk
with :class:`entrostat.Counts` / :class:`entrostat.NgramCounts`, so that a file of 10^9
labels is never held in memory, and prints one row per file.

Input formats, told apart by content and name:

- ``.npy`` (recognised by its magic bytes): memory-mapped, integer dtypes, 1-D.
- raw binary token shards: ``.bin`` files, and every non-``.npy`` file when ``--dtype``
  is given; memory-mapped with that dtype.
- text (anything else): one integer per line; blank lines, ``#`` comments and one header
  line at the top (starting with a letter) are skipped.

Bad input exits with status 2 and one line ``entrostat: error: ...`` on stderr.
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

from . import _validate
from ._cli_tokenizers import add_commands
from ._core import __version__
from .discrete import Counts, NgramCounts

__all__ = ["main"]

PROG = "entrostat"
CHUNK_LABELS = 1 << 24  # labels per chunk: 64 MiB of int32, 128 MiB of int64
PROGRESS_MIN_BYTES = 64 << 20  # off a terminal, a progress line only for inputs this big
MAX_ORDER = 8
FORMATS = ("table", "json", "csv", "markdown")
_NPY_MAGIC = b"\x93NUMPY"
_ZIP_MAGIC = b"PK\x03\x04"
_MAX_LINE_BYTES = 1 << 20
_INTEGER = re.compile(rb"[+-]?[0-9]+")


class InputError(Exception):
    """Bad input: reported as one ``entrostat: error:`` line, exit status 2."""


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (raised, then printed by ``main``)."""

    def error(self, message):  # noqa: D401 - argparse API
        raise _UsageError(message)


# --------------------------------------------------------------------------- arguments


def _dtype_arg(text: str) -> np.dtype:
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


def _base_arg(text: str) -> float | None:
    if text.strip().lower() == "e":
        return None
    try:
        b = float(text)
    except ValueError:
        b = math.nan
    if not (b > 0 and math.isfinite(b)) or b == 1.0:
        raise argparse.ArgumentTypeError(
            f"expected a positive number other than 1, or 'e', got {text!r}"
        )
    return None if b == math.e else b


def _order_arg(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer in 1..{MAX_ORDER}, got {text!r}") from None
    if not 1 <= k <= MAX_ORDER:
        raise argparse.ArgumentTypeError(f"expected an integer in 1..{MAX_ORDER}, got {k}")
    return k


def _chunk_arg(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        n = 0
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return n


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Information-theoretic statistics of large arrays and token streams.",
        epilog="Run 'entrostat COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")

    p = commands.add_parser(
        "entropy",
        help="entropy of the labels (or n-grams) of each file",
        description=(
            "Shannon entropy of the integer labels in each FILE, counted chunk by chunk "
            "(files larger than memory are fine). With --order K > 1: the block entropy "
            "of the overlapping K-grams and the conditional entropy of a label given "
            "the K-1 labels before it."
        ),
        epilog=(
            "Formats: .npy (memory-mapped, any integer dtype, 1-D); raw binary token shards "
            "(.bin, or any non-.npy file when --dtype is given), memory-mapped; text "
            "(other files): one integer per line, blank lines, '#' comments and one "
            "header line skipped. Columns: n = number of labels, support = distinct "
            "labels (or distinct K-grams), entropy = block entropy of order K (the "
            "entropy for K = 1), stderr = its NSB posterior standard deviation, "
            "conditional_entropy = H(x_t | K-1 previous labels). "
            "Bad input exits with status 2."
        ),
    )
    p.add_argument("files", nargs="+", metavar="FILE", help=".npy, raw binary or text file")
    p.add_argument(
        "-e", "--estimator", default="plugin", choices=_validate.ESTIMATORS, metavar="E",
        help=f"entropy estimator: {', '.join(_validate.ESTIMATORS)} (default: plugin)",
    )
    p.add_argument(
        "-b", "--base", type=_base_arg, default=None, metavar="B",
        help="logarithm base: 2 for bits, 'e' for nats (default: e)",
    )
    p.add_argument(
        "-k", "--order", type=_order_arg, default=1, metavar="K",
        help=f"n-gram order 1..{MAX_ORDER} (default: 1)",
    )
    p.add_argument(
        "--dtype", type=_dtype_arg, default=None, metavar="DT",
        help="read non-.npy files as raw binary of this integer dtype "
        "(uint8, uint16, ..., int64; '>u2' for big-endian); required for .bin",
    )
    p.add_argument(
        "-f", "--format", default="table", choices=FORMATS, metavar="FMT",
        help="output format: table, json, csv or markdown (default: table)",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write results here, not stdout")
    p.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    p.add_argument(
        "--chunk-size", type=_chunk_arg, default=CHUNK_LABELS, metavar="N",
        help=f"labels per chunk (memory use ~ N x itemsize; default: {CHUNK_LABELS})",
    )
    p.set_defaults(run=_cmd_entropy)
    add_commands(commands)
    return parser


# --------------------------------------------------------------------------- progress


class _Progress:
    """A one-line progress display on stderr, redrawn with '\\r'.

    Drawn only after half a second of work (so quick files stay silent), at most a few
    times per second on a terminal and every few seconds elsewhere.
    """

    def __init__(self, label: str, total: int, enabled: bool, stream=None):
        self.stream = stream if stream is not None else sys.stderr
        self.label = label
        self.total = max(int(total), 1)
        self.enabled = enabled
        self.tty = _isatty(self.stream)
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


def _isatty(stream) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


# --------------------------------------------------------------------------- inputs


class _Source:
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


def _open_source(path: str, dtype: np.dtype | None) -> _Source:
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory, not a file")
    nbytes = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(8192)
    if head.startswith(_NPY_MAGIC):
        return _open_npy(path, nbytes)
    if head.startswith(_ZIP_MAGIC) and path.lower().endswith(".npz"):
        raise InputError(f"{path}: .npz archives are not supported; np.save one array to .npy")
    if nbytes == 0:
        raise InputError(f"{path}: empty file")
    if dtype is not None:
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
    return _Source(path, "text", nbytes)


def _open_npy(path: str, nbytes: int) -> _Source:
    try:
        arr = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as err:
        if "empty" in str(err).lower():  # a 0-length array cannot be memory-mapped
            raise InputError(f"{path}: empty array") from None
        raise InputError(f"{path}: unreadable .npy file ({_one_line(err)})") from None
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
    return _Source(path, "npy", nbytes, arr)


def _open_raw(path: str, nbytes: int, dtype: np.dtype) -> _Source:
    if nbytes % dtype.itemsize:
        raise InputError(
            f"{path}: size {nbytes} bytes is not a multiple of the {dtype.itemsize}-byte "
            f"items of --dtype {dtype.name}"
        )
    arr = np.memmap(path, dtype=dtype, mode="r")
    return _Source(path, "raw", nbytes, arr)


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
                buf, skipped = _skip_header(buf)
                line_no += skipped
                first = False
            values = _parse_lines(buf, path, line_no)
            line_no += buf.count(b"\n")
            yield values, f.tell() - len(carry)


def _skip_header(buf: bytes) -> tuple[bytes, int]:
    """Drop a header line (the first non-blank line, if it starts with a letter)."""
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


def _one_line(err: BaseException) -> str:
    return " ".join(str(err).split()) or type(err).__name__


# --------------------------------------------------------------------------- entropy


def _unit(base: float | None) -> str:
    if base is None:
        return "nats"
    if base == 2:
        return "bits"
    if base == 10:
        return "hartleys"
    return f"log{base:g}"


def _count(src: _Source, order: int, chunk: int, show: bool):
    counter = Counts() if order == 1 else NgramCounts(order)
    progress = _Progress(src.path, src.nbytes, show)
    try:
        for values, done in src.chunks(chunk):
            counter.update(values)
            progress.update(done)
    finally:
        progress.close()
    return counter


def _entropy_row(src: _Source, args) -> dict:
    show = not args.no_progress and (_isatty(sys.stderr) or src.nbytes > PROGRESS_MIN_BYTES)
    counter = _count(src, args.order, args.chunk_size, show)
    k = args.order
    n = counter.n if k == 1 else counter.length
    if n == 0:
        raise InputError(f"{src.path}: no labels")
    if n < k:
        raise InputError(f"{src.path}: {n} label(s), fewer than --order {k}")
    h = counter.entropy(estimator=args.estimator, base=args.base)
    row = {"file": src.path, "n": int(n), "support": int(counter.support), "order": k,
           "estimator": args.estimator, "unit": _unit(args.base), "entropy": float(h)}
    if args.estimator == "nsb":
        row["stderr"] = float(h.stderr)
    if k > 1:
        row["conditional_entropy"] = float(
            counter.conditional_entropy(estimator=args.estimator, base=args.base))
    return row


def _cmd_entropy(args) -> str:
    if args.output is not None:
        parent = os.path.dirname(os.path.abspath(args.output))
        if not os.path.isdir(parent):
            raise InputError(f"--output {args.output}: directory {parent} does not exist")
        if os.path.isdir(args.output):
            raise InputError(f"--output {args.output}: is a directory")
    # Open (and check) every file before counting any, so a typo fails at once.
    sources = [_open_source(path, args.dtype) for path in args.files]
    rows = []
    for src in sources:
        try:
            rows.append(_entropy_row(src, args))
        except (ValueError, TypeError) as err:
            raise InputError(f"{src.path}: {_one_line(err)}") from None
        finally:
            src.array = None  # release the memory map
    return _render(rows, args.format)


# --------------------------------------------------------------------------- output

_TABLE_FLOATS = ("entropy", "stderr", "conditional_entropy")


def _columns(rows: list[dict], fmt: str) -> list[str]:
    cols = list(rows[0])
    if fmt in ("table", "markdown"):
        cols = [c for c in cols if c not in ("order", "estimator", "unit")]
    return cols


def _json_value(v):
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def _render(rows: list[dict], fmt: str) -> str:
    if fmt == "json":
        return json.dumps([{k: _json_value(v) for k, v in r.items()} for r in rows],
                          indent=2) + "\n"
    cols = _columns(rows, fmt)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(cols)
        for r in rows:
            writer.writerow([repr(r[c]) if isinstance(r[c], float) else r[c] for c in cols])
        return out.getvalue()
    r0 = rows[0]
    suffix = f" [{r0['unit']}]"
    head = [c + suffix if c in _TABLE_FLOATS else c for c in cols]
    body = [[f"{r[c]:.6f}" if c in _TABLE_FLOATS else str(r[c]) for c in cols] for r in rows]
    if fmt == "markdown":
        lines = ["| " + " | ".join(head) + " |",
                 "|" + "|".join("---" if c == "file" else "---:" for c in cols) + "|"]
        lines += ["| " + " | ".join(b) + " |" for b in body]
        title = f"order {r0['order']}, estimator {r0['estimator']}"
        return f"<!-- {title} -->\n" + "\n".join(lines) + "\n"
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]

    def line(cells):
        return "  ".join(c.ljust(w) if col == "file" else c.rjust(w)
                         for c, w, col in zip(cells, widths, cols, strict=True)).rstrip()

    return "\n".join([line(head)] + [line(b) for b in body]) + "\n"


# --------------------------------------------------------------------------- main


def _error(message: str) -> None:
    sys.stderr.write(f"{PROG}: error: {message}\n")
    sys.stderr.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 2 bad input)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except _UsageError as err:
        _error(_one_line(err))
        return 2
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else 0
    if args.command is None:
        _error(
            "missing command (choose from entropy, tokenizers, corpus); see 'entrostat --help'"
        )
        return 2
    try:
        text = args.run(args)
        if getattr(args, "output", None) is not None:
            with open(args.output, "w", encoding="utf-8", newline="") as f:
                f.write(text)
        else:
            sys.stdout.write(text)
            sys.stdout.flush()
    except InputError as err:
        _error(str(err))
        return 2
    except BrokenPipeError:  # e.g. `entrostat entropy ... | head -1`
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 1
    except OSError as err:
        where = f"{err.filename}: " if getattr(err, "filename", None) else ""
        _error(f"{where}{err.strerror or _one_line(err)}")
        return 2
    except (ValueError, TypeError) as err:
        _error(_one_line(err))
        return 2
    except ImportError as err:  # an optional extra is missing
        _error(_one_line(err))
        return 2
    except MemoryError:
        _error("out of memory (try a smaller --chunk-size)")
        return 1
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
