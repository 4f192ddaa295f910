"""The ``entrostat`` command line.

``entrostat entropy FILE...`` counts the labels (or n-grams) of each file chunk by chunk
with :class:`entrostat.Counts` / :class:`entrostat.NgramCounts`, so that a file of 10^9
labels is never held in memory, and prints one row per file. ``entrostat divergence`` and
``entrostat mi`` live in :mod:`entrostat._cli_pairs`, the tokenizer report's commands in
:mod:`entrostat._cli_tokenizers`; the file formats and output in :mod:`entrostat._cli_io`.

Bad input exits with status 2 and one line ``entrostat: error: ...`` on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from . import _cli_pairs, _cli_tokenizers, _validate
from ._cli_io import (
    PROG,
    InputError,
    Progress,
    Source,
    add_file_options,
    check_output,
    file_error,
    one_line,
    open_source,
    render,
    show_progress,
    unit_name,
)
from ._core import __version__
from .discrete import Counts, NgramCounts

__all__ = ["main"]

MAX_ORDER = 8
TOTAL = "(total)"  # the file name of the --total row
COMMANDS = "entropy, divergence, mi, tokenizers, corpus"


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line (raised, then printed by ``main``)."""

    def error(self, message):  # noqa: D401 - argparse API
        raise _UsageError(message)


# --------------------------------------------------------------------------- arguments


def _order_arg(text: str) -> int:
    try:
        k = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected an integer in 1..{MAX_ORDER}, got {text!r}") from None
    if not 1 <= k <= MAX_ORDER:
        raise argparse.ArgumentTypeError(f"expected an integer in 1..{MAX_ORDER}, got {k}")
    return k


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
        "-k", "--order", type=_order_arg, default=1, metavar="K",
        help=f"n-gram order 1..{MAX_ORDER} (default: 1)",
    )
    p.add_argument(
        "--total", action="store_true",
        help=f"add a row '{TOTAL}': all files counted as one stream, in the order given "
        "(shards of one token stream; with --order K the K-grams across the seams count)",
    )
    add_file_options(p)
    p.set_defaults(run=_cmd_entropy)
    _cli_pairs.add_commands(commands)
    _cli_tokenizers.add_commands(commands)
    return parser


# --------------------------------------------------------------------------- entropy


def _count(src: Source, order: int, chunk: int, show: bool):
    counter = Counts() if order == 1 else NgramCounts(order)
    progress = Progress(src.path, src.nbytes, show)
    try:
        for values, done in src.chunks(chunk):
            counter.update(values)
            progress.update(done)
    finally:
        progress.close()
    return counter


def _entropy_row(name: str, counter, args) -> dict:
    k = args.order
    n = counter.n if k == 1 else counter.length
    if n == 0:
        raise InputError(f"{name}: no labels")
    if n < k:
        raise InputError(f"{name}: {n} label(s), fewer than --order {k}")
    h = counter.entropy(estimator=args.estimator, base=args.base)
    row = {"file": name, "n": int(n), "support": int(counter.support), "order": k,
           "estimator": args.estimator, "unit": unit_name(args.base), "entropy": float(h)}
    if args.estimator == "nsb":
        row["stderr"] = float(h.stderr)
    if k > 1:
        row["conditional_entropy"] = float(
            counter.conditional_entropy(estimator=args.estimator, base=args.base))
    return row


def _add_to_total(total, counter, path: str):
    """The running total of ``--total``: the files' counts merged in place, in order."""
    if total is None:
        return counter  # its row is written: the counter may become the total
    try:
        total += counter
    except ValueError as err:
        raise InputError(f"{path}: --total: {one_line(err)} (in the files before it)") from None
    return total


def _cmd_entropy(args) -> str:
    check_output(args.output)
    # Open (and check) every file before counting any, so a typo fails at once.
    sources = [open_source(path, args.dtype) for path in args.files]
    rows, total = [], None
    for src in sources:
        try:
            counter = _count(src, args.order, args.chunk_size, show_progress(args, src.nbytes))
            rows.append(_entropy_row(src.path, counter, args))
        except (ValueError, TypeError) as err:
            raise file_error(src.path, err) from None
        finally:
            src.array = None  # release the memory map
        if args.total:
            total = _add_to_total(total, counter, src.path)
    if args.total:
        rows.append(_entropy_row(TOTAL, total, args))
    r0 = rows[0]
    return render(rows, args.format, floats=("entropy", "stderr", "conditional_entropy"),
                  hidden=("order", "estimator", "unit"), unit=r0["unit"],
                  title=f"order {r0['order']}, estimator {r0['estimator']}")


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
        _error(one_line(err))
        return 2
    except SystemExit as exc:  # --help, --version
        return exc.code if isinstance(exc.code, int) else 0
    if args.command is None:
        _error(
            f"missing command (choose from {COMMANDS}); see 'entrostat --help'"
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
        _error(f"{where}{err.strerror or one_line(err)}")
        return 2
    except (ValueError, TypeError) as err:
        _error(one_line(err))
        return 2
    except ImportError as err:  # an optional extra is missing
        _error(one_line(err))
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
