"""Command line of the tokenizer report: ``entrostat tokenizers eval|sweep`` and
``entrostat corpus distance``. Registered by :mod:`entrostat.cli`; the heavy imports
(HF tokenizers, rich, matplotlib) happen only when a command runs.
"""

from __future__ import annotations

import argparse
import functools
import os
import re
import sys

from . import _validate
from ._cli_io import check_output

FORMATS = ("table", "json", "csv", "markdown")
CODECS = ("gzip", "bz2", "lzma", "zstd")


def _int_list(text: str) -> list[int]:
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return value


def _orders_arg(text: str) -> list[int]:
    values = _int_list(text)
    if any(v > 8 for v in values):
        raise argparse.ArgumentTypeError(f"orders must be in 1..8, got {text!r}")
    return values


def _parse_size(text: str) -> int:
    from .tokenizers._sweep import parse_size

    try:
        return parse_size(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _sizes_arg(text: str) -> list[int]:
    sizes = [_parse_size(v) for v in text.split(",") if v.strip()]
    if not sizes:
        raise argparse.ArgumentTypeError(f"expected sizes such as 1M,4M, got {text!r}")
    return sizes


def _size_arg(text: str) -> int:
    if "," in text:
        raise argparse.ArgumentTypeError(f"expected one size such as 512K or 4M, got {text!r}")
    return _parse_size(text)


def _alpha_arg(text: str) -> float:
    try:
        return _validate.order_param(float(text), "alpha")
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def _output_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "-f", "--format", default="table", choices=FORMATS, metavar="FMT",
        help="table (default), json, csv or markdown",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the report here, not stdout")
    p.add_argument("--plot", metavar="PNG", help="draw the metrics into this PNG (matplotlib)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")


def _metric_options(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--orders", type=_orders_arg, default=[1, 2, 3, 4], metavar="K,K",
        help="conditional-entropy orders (default: 1,2,3,4)",
    )
    p.add_argument(
        "--alpha", type=_alpha_arg, default=2.5, metavar="A",
        help="Renyi order of the efficiency (default: 2.5)",
    )
    p.add_argument(
        "-e", "--estimator", default="plugin", choices=_validate.ESTIMATORS, metavar="E",
        help=f"entropy estimator: {', '.join(_validate.ESTIMATORS)} (default: plugin)",
    )
    p.add_argument(
        "--cache-dir", metavar="DIR",
        help="where trained tokenizers are cached (default: $ENTROSTAT_CACHE_DIR, else "
        "$XDG_CACHE_HOME/entrostat, else ~/.cache/entrostat)",
    )


def add_commands(commands) -> None:
    """Register ``tokenizers`` and ``corpus`` on the top-level subparsers."""
    tok = commands.add_parser(
        "tokenizers",
        help="tokenizers measured as compressors (the tokenizer report)",
        description="Tokenizers measured as compressors.",
    )
    sub = tok.add_subparsers(dest="tokenizers_command", metavar="COMMAND", title="commands")
    tok.set_defaults(run=_missing(tok, "eval, sweep"))

    p = sub.add_parser(
        "eval",
        help="evaluate tokenizers on corpora (default: the built-in corpus)",
        description=(
            "Bytes per token, fertility, round trips, Shannon and Renyi efficiency, "
            "conditional entropies of orders 1..4, bits per byte, vocabulary use and "
            "per-language parity of each tokenizer on each corpus. With no arguments: "
            "the built-in corpus (Python standard library code and docstrings, and the "
            "system's gettext catalogs as parallel text) and the default tokenizers "
            "(bytes, BPE trained here at 1k/4k/16k/32k, and the pretrained tokenizers of "
            "the installed 'entrostat[tokenizers]' extra)."
        ),
        epilog=(
            "Tokenizer specs: bytes, chars, hf:PATH (tokenizer.json), tiktoken:NAME or "
            "tiktoken:FILE, sp:PATH (sentencepiece), bpe:N, unigram:N, wordpiece:N "
            "(trained on the corpora's training split), pretrained:NAME. Corpora: text "
            "files, folders, globs, JSONL (--field), token-id shards (.npy, .bin with "
            "--dtype). Bad input exits with status 2."
        ),
    )
    p.add_argument(
        "-t", "--tokenizer", action="append", metavar="SPEC", dest="tokenizers",
        help="tokenizer spec (repeatable; default: the default set)",
    )
    p.add_argument(
        "-c", "--corpus", action="append", metavar="PATH", dest="corpora",
        help="corpus (repeatable; default: the built-in corpus)",
    )
    p.add_argument("--field", metavar="KEY", help="JSONL field holding the text (default: text)")
    p.add_argument("--dtype", metavar="DT", help="integer dtype of raw .bin id shards")
    p.add_argument(
        "--vocab-size", type=_positive_int, metavar="N", help="vocabulary size of id shards"
    )
    p.add_argument("--train", metavar="PATH", help="corpus the trained tokenizers learn from")
    p.add_argument(
        "--reference", metavar="NAME",
        help="corpus that parity is relative to (a --corpus name, e.g. a.txt)",
    )
    p.add_argument(
        "--full", action="store_true",
        help="the full built-in corpus (slower) rather than its small version",
    )
    p.add_argument("--no-pretrained", action="store_true", help="default set without pretrained")
    p.add_argument("--no-roundtrip", action="store_true", help="skip decode round-trip checks")
    _metric_options(p)
    _output_options(p)
    p.set_defaults(run=_naming_flags(_cmd_eval))

    p = sub.add_parser(
        "sweep",
        help="BPE across vocabulary sizes and training-data scales",
        description=(
            "Train byte-level BPE at every vocabulary size on the first N bytes of the "
            "training text for every scale N, evaluate each on held-out text, and report "
            "H1, H(t|k prev), Renyi efficiency and bits per byte against scale."
        ),
    )
    p.add_argument(
        "--vocab", type=_int_list, default=[1000, 4000, 16000, 64000], metavar="V,V",
        help="vocabulary sizes (default: 1000,4000,16000,64000)",
    )
    p.add_argument(
        "--train-bytes", type=_sizes_arg, default=[1 << 20, 4 << 20, 16 << 20],
        metavar="S,S", help="training-data sizes, e.g. 1M,4M,16M (the default)",
    )
    p.add_argument("--train", metavar="PATH", help="training text (default: built-in, full)")
    p.add_argument(
        "-c", "--corpus", action="append", metavar="PATH", dest="corpora",
        help="held-out evaluation corpus (repeatable; default: built-in code and prose)",
    )
    _metric_options(p)
    _output_options(p)
    p.set_defaults(run=_naming_flags(_cmd_sweep))

    corpus = commands.add_parser(
        "corpus", help="corpus-level tools", description="Corpus-level tools."
    )
    csub = corpus.add_subparsers(dest="corpus_command", metavar="COMMAND", title="commands")
    corpus.set_defaults(run=_missing(corpus, "distance"))
    p = csub.add_parser(
        "distance",
        help="normalised compression distance to a target corpus",
        description=(
            "Normalised compression distance NCD(TARGET, CANDIDATE) = (C(xy) - min(C(x), "
            "C(y))) / max(C(x), C(y)) for each candidate (files, folders or globs), closest "
            "first: compression-based selection of data close to a target domain."
        ),
    )
    p.add_argument("target", metavar="TARGET", help="target corpus (file or folder)")
    p.add_argument(
        "candidates", nargs="+", metavar="CANDIDATE",
        help="candidate files or folders, or glob patterns (quoted; each match is ranked)",
    )
    p.add_argument(
        "--codec", default="zstd", choices=CODECS, metavar="C",
        help="compressor: gzip, bz2, lzma or zstd (default: zstd)",
    )
    p.add_argument(
        "--max-bytes", type=_size_arg, default=None, metavar="S",
        help="bytes read from each input, e.g. 512K or 4M (default: 8M)",
    )
    p.add_argument(
        "-f", "--format", default="table", choices=FORMATS, metavar="FMT",
        help="table (default), json, csv or markdown",
    )
    p.add_argument("-o", "--output", metavar="FILE", help="write the result here, not stdout")
    p.set_defaults(run=_naming_flags(_cmd_distance))


def _missing(parser: argparse.ArgumentParser, choices: str):
    def run(args):
        raise ValueError(f"missing command (choose from {choices}); see '{parser.prog} --help'")

    return run


def _log(enabled: bool):
    if not enabled:
        return None

    def say(msg: str) -> None:
        sys.stderr.write(f"entrostat: {msg}\n")
        sys.stderr.flush()

    return say


def _check_plot(path: str | None) -> None:
    """Up front, so that a run is not thrown away at the end: the --plot path, matplotlib
    installed, and a file suffix that matplotlib can write (none: it writes PNG)."""
    if path is None:
        return
    check_output(path, "--plot")
    from .tokenizers._report import _import_matplotlib

    _import_matplotlib("--plot")  # ImportError naming the extra: one line, exit 2
    from matplotlib.backend_bases import FigureCanvasBase

    # savefig picks the writer from the suffix, case-insensitively, as here.
    suffix = os.path.splitext(path)[1][1:].lower()
    formats = FigureCanvasBase.get_supported_filetypes()
    if suffix and suffix not in formats:
        raise ValueError(
            f"--plot {path}: matplotlib cannot write .{suffix} files; use one of "
            f"{', '.join(sorted(formats))}"
        )


def _render(report, fmt: str) -> str:
    if fmt == "json":
        return report.to_json() + "\n"
    if fmt == "csv":
        return report.to_csv()
    if fmt == "markdown":
        return report.to_markdown()
    return report.to_table()


def _progress_enabled(args) -> bool:
    return not args.no_progress and sys.stderr.isatty()


#: The CLI flags that error messages of evaluate, sweep and rank_by_distance name instead
#: of the arguments: through ``_arg_names``, and by :func:`_naming_flags` for the rest.
_FLAGS = {
    "corpora": "--corpus", "test": "--corpus", "train": "--train", "field": "--field",
    "dtype": "--dtype", "reference": "--reference", "tokenizers": "--tokenizer",
    "vocab_size": "--vocab-size", "vocab_sizes": "--vocab", "train_bytes": "--train-bytes",
    "orders": "--orders", "alpha": "--alpha", "estimator": "--estimator",
    "cache_dir": "--cache-dir", "codec": "--codec", "max_bytes": "--max-bytes",
}

# "vocab_size: ...", "vocab_sizes, train_bytes: ...", "max_bytes must ...": the argument
# names a library error starts with.
_LEADING_NAMES = re.compile(r"[a-z_]+(?:, [a-z_]+)*(?=:| must )")


def _naming_flags(cmd):
    """``cmd`` with the argument names that start its ValueError/TypeError messages
    replaced by the CLI flags (``vocab_size: ...`` -> ``--vocab-size: ...``)."""

    @functools.wraps(cmd)
    def run(args):
        try:
            return cmd(args)
        except (ValueError, TypeError) as err:
            msg = str(err)
            match = _LEADING_NAMES.match(msg)
            names = match.group().split(", ") if match else []
            if not any(n in _FLAGS for n in names):
                raise
            flags = ", ".join(_FLAGS.get(n, n) for n in names)
            kind = ValueError if isinstance(err, ValueError) else TypeError
            raise kind(flags + msg[match.end():]) from err

    return run


def _cmd_eval(args) -> str:
    from .tokenizers import evaluate
    from .tokenizers._evaluate import _arg_names

    check_output(args.output, "--output")
    _check_plot(args.plot)
    with _arg_names(_FLAGS):
        report = evaluate(
            args.tokenizers,
            args.corpora,
            orders=args.orders,
            alpha=args.alpha,
            estimator=args.estimator,
            train=args.train,
            reference=args.reference,
            field=args.field,
            dtype=args.dtype,
            vocab_size=args.vocab_size,
            default_size="full" if args.full else "small",
            cache_dir=args.cache_dir,
            roundtrip=not args.no_roundtrip,
            pretrained=not args.no_pretrained,
            progress=_progress_enabled(args),
            log=_log(not args.no_progress),
        )
    if args.plot:
        report.plot(args.plot)
    return _render(report, args.format)


def _cmd_sweep(args) -> str:
    from .tokenizers import sweep
    from .tokenizers._evaluate import _arg_names
    from .tokenizers._sweep import plot_sweep

    check_output(args.output, "--output")
    _check_plot(args.plot)
    with _arg_names(_FLAGS):  # sweep opens --train and --corpus as text, naming the flags
        report = sweep(
            args.vocab,
            args.train_bytes,
            train=args.train,
            test=args.corpora,
            orders=args.orders,
            alpha=args.alpha,
            estimator=args.estimator,
            cache_dir=args.cache_dir,
            progress=_progress_enabled(args),
            log=_log(not args.no_progress),
        )
    if args.plot:
        plot_sweep(report, args.plot)
    return _render(report, args.format)


def _expand_candidates(specs: list[str]) -> list[str]:
    """Candidate paths: an existing path as is, a glob pattern as its matches (sorted);
    each file or folder once, in the order first named."""
    from .tokenizers._corpora import _glob

    out: list[str] = []
    for spec in specs:
        if os.path.exists(spec):
            out.append(spec)
        elif (matches := _glob(spec)) is not None:
            if not matches:
                raise FileNotFoundError(f"candidate pattern {spec!r} matches no files")
            out += matches
        else:
            raise FileNotFoundError(2, "No such file or directory", spec)
    return list(dict.fromkeys(out))


def _cmd_distance(args) -> str:
    import csv
    import io
    import json

    from .tokenizers import rank_by_distance

    check_output(args.output, "--output")
    if not os.path.exists(args.target):
        raise FileNotFoundError(2, "No such file or directory", args.target)
    candidates = _expand_candidates(args.candidates)
    kwargs = {} if args.max_bytes is None else {"max_bytes": args.max_bytes}
    ranking = rank_by_distance(candidates, args.target, codec=args.codec, **kwargs)
    rows = [{"rank": i + 1, "candidate": c, "ncd": d} for i, (c, d) in enumerate(ranking)]
    if args.format == "json":
        doc = {"target": args.target, "codec": args.codec, "ranking": rows}
        return json.dumps(doc, indent=2) + "\n"
    if args.format == "csv":
        out = io.StringIO()
        w = csv.DictWriter(out, fieldnames=["rank", "candidate", "ncd"], lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        return out.getvalue()
    width = max(len("candidate"), *(len(r["candidate"]) for r in rows))
    if args.format == "markdown":
        lines = ["| rank | candidate | NCD |", "|---:|---|---:|"]
        lines += [f"| {r['rank']} | {r['candidate']} | {r['ncd']:.4f} |" for r in rows]
        return "\n".join(lines) + "\n"
    head = f"NCD to {args.target} ({args.codec})\n"
    lines = [f"{'rank':>4}  {'candidate':<{width}}  {'NCD':>7}"]
    lines += [f"{r['rank']:>4}  {r['candidate']:<{width}}  {r['ncd']:>7.4f}" for r in rows]
    return head + "\n".join(lines) + "\n"
