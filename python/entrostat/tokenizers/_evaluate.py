"""``evaluate``: every tokenizer on every corpus, streamed in batches, into a Report.

Documents are read in batches, encoded with the tokenizer's batch encoder (HF
``encode_batch`` and tiktoken's batch encoder run in parallel in native code), and the
ids go to the core as one NumPy buffer per batch with document offsets; a batch is
counted on a worker thread while the next one encodes. Nothing holds more than two
batches of text and ids, so corpora larger than memory stream through.
"""

from __future__ import annotations

import copy
import hashlib
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .. import _validate
from .._core import __version__, num_threads, text_sizes_batch
from ._corpora import (
    IdCorpus,
    TextCorpus,
    _expand,
    _is_jsonl,
    _is_shard,
    _load,
    _training_split,
)
from ._default import default_corpus
from ._loaders import Tokenizer, available_pretrained, load_tokenizer
from ._metrics import TokenStats, _orders
from ._report import Entry, Report

DEFAULT_TOKENIZERS = ("bytes", "bpe:1000", "bpe:4000", "bpe:16000", "bpe:32000")
TRAINED_KINDS = ("bpe:", "unigram:", "wordpiece:")
IDS_TOKENIZER = "ids"  # the tokenizer column of pre-tokenised shards


@dataclass
class _TextCounts:
    """Sizes of the text that was encoded."""

    n_bytes: int = 0
    n_chars: int = 0
    n_words: int = 0
    n_docs: int = 0
    n_roundtrip: int = 0

    def add(self, texts: Sequence[str]) -> int:
        # One pass in the core: str.split() alone would cost ~8% of a fast encoder's time.
        raw, chars, words = text_sizes_batch(list(texts))
        self.n_bytes += raw
        self.n_chars += chars
        self.n_words += words
        self.n_docs += len(texts)
        return raw


#: How error messages name the arguments: the Python names unless the CLI maps them to
#: its flags (``{"train": "--train", ...}``) with :func:`_arg_names`.
_ARG_NAMES: ContextVar[dict[str, str] | None] = ContextVar("entrostat_arg_names", default=None)


@contextmanager
def _arg_names(names: dict[str, str]) -> Iterator[None]:
    token = _ARG_NAMES.set(names)
    try:
        yield
    finally:
        _ARG_NAMES.reset(token)


def _arg(name: str) -> str:
    """``name`` as the caller spelled it (an argument name, or a CLI flag)."""
    return (_ARG_NAMES.get() or {}).get(name, name)


def _arg_value(name: str, value: Any) -> str:
    """``field='body'`` for an argument, ``--field body`` for a CLI flag."""
    label = _arg(name)
    return f"{label} {value}" if label.startswith("-") else f"{label}={value!r}"


def _needs_training(spec) -> bool:
    return isinstance(spec, str) and spec.startswith(TRAINED_KINDS)


def default_tokenizers(*, pretrained: bool = True) -> list[str]:
    """Bytes, BPE trained at 1k/4k/16k/32k, and the pretrained tokenizers installed."""
    specs = list(DEFAULT_TOKENIZERS)
    if pretrained:
        specs += sorted(available_pretrained())
    return specs


class _Progress:
    """A rich progress bar on stderr (bytes and bytes/s), or nothing."""

    def __init__(self, enabled: bool):
        self.bar = None
        if enabled:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                DownloadColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                DownloadColumn(),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=Console(file=sys.stderr),
                transient=True,
            )

    def __enter__(self):
        if self.bar is not None:
            self.bar.__enter__()
        return self

    def __exit__(self, *exc):
        if self.bar is not None:
            self.bar.__exit__(*exc)

    def task(self, label: str, total: int | None):
        if self.bar is None:
            return None
        return self.bar.add_task(label, total=total)

    def advance(self, task, n: int) -> None:
        if self.bar is not None and task is not None:
            self.bar.advance(task, n)

    def done(self, task) -> None:
        if self.bar is not None and task is not None:
            self.bar.remove_task(task)


def _encode_corpus(
    tok: Tokenizer,
    corpus: TextCorpus,
    stats: TokenStats,
    *,
    roundtrip: bool,
    batch_bytes: int,
    progress: _Progress,
) -> tuple[_TextCounts, float, float]:
    """Encode and count ``corpus``; returns its sizes, the seconds spent in the encoder and
    the seconds the counting added (the part not hidden behind encoding, decoding for the
    round trip included)."""
    counts = _TextCounts()
    encode_s = count_s = 0.0
    # Only for a bar: a split of an in-memory corpus counts its bytes in a full pass.
    total = corpus.total_bytes() if progress.bar is not None else None
    task = progress.task(f"{tok.name} on {corpus.name}", total)

    # Round trips that compare bytes in the core are checked on the counting thread, behind
    # the next batch's encoding (such tokenizers let the few documents whose bytes differ
    # be decoded meanwhile); other tokenizers decode on this thread, as their decoder may
    # not be safe to call while the same tokenizer encodes.
    roundtrip = bool(roundtrip) and tok.can_decode
    bytewise = roundtrip and tok.decodes_bytewise
    if bytewise:
        tok._spelling_table()  # built here, not competing with the first batch's encoding

    def count(ids: Any, offsets: Any, texts: Sequence[str]) -> int:
        stats.update(ids, offsets)
        if bytewise:
            counts.n_roundtrip += int(tok.roundtrip_from(texts, ids, offsets).sum())
        return counts.add(texts)

    # A batch is counted (in the core, without the GIL) while the next one encodes: the
    # encoders leave part of the cores idle (GIL hand-offs, building lists of ids), which
    # the counting fills. One batch at a time and in order, so the counts are those of a
    # serial run.
    with ThreadPoolExecutor(1, thread_name_prefix="entrostat-count") as pool:
        pending: Future[int] | None = None
        try:
            for texts in corpus.batches(max_bytes=batch_bytes):
                if not texts:
                    continue
                t0 = time.perf_counter()
                ids, offsets = tok.encode_batch(texts)
                t1 = time.perf_counter()
                if roundtrip and not bytewise:
                    counts.n_roundtrip += int(tok.roundtrip_from(texts, ids, offsets).sum())
                if pending is not None:
                    progress.advance(task, pending.result())
                pending = pool.submit(count, ids, offsets, texts)
                encode_s += t1 - t0
                count_s += time.perf_counter() - t1
            if pending is not None:
                t1 = time.perf_counter()
                progress.advance(task, pending.result())
                count_s += time.perf_counter() - t1
        finally:
            progress.done(task)
    return counts, encode_s, count_s


def _count_shards(corpus: IdCorpus, stats: TokenStats, progress: _Progress) -> float:
    task = progress.task(f"ids of {corpus.name}", corpus.n_tokens())
    t0 = time.perf_counter()
    try:
        for chunk, new_document in corpus.chunks():
            with _naming_shard(corpus):
                stats.update(chunk, new_document=new_document)
            progress.advance(task, int(chunk.shape[0]))
    finally:
        progress.done(task)
    return time.perf_counter() - t0


@contextmanager
def _naming_shard(corpus: IdCorpus) -> Iterator[None]:
    """The core's ``ids: ...`` errors, naming the shard corpus they come from."""
    try:
        yield
    except ValueError as err:
        msg = str(err).removeprefix("ids: ")
        raise ValueError(f"{_arg('corpora')}: token shard {corpus.name}: {msg}") from None


def _listed(value: Any, name: str) -> list[Any]:
    """``value`` as a list; a lone str, bytes or path is refused rather than iterated
    (its characters would be taken for corpora or tokenizer specs)."""
    return _validate.listed(
        value, _arg(name), "a list", hint=lambda lone: f" ({lone!r}); wrap it in a list"
    )


def _train_key(train: TextCorpus) -> str:
    return hashlib.sha256(f"{train.fingerprint()}|{__version__}".encode()).hexdigest()[:16]


def _open(
    spec: Any,
    field: str | None,
    dtype: Any,
    used: set[str],
    expanded: tuple[str, list[Path], str] | None = None,
) -> TextCorpus | IdCorpus:
    """A corpus object as is, or a spec opened with ``field`` only where it has JSONL files
    and ``dtype`` only where it has raw ``.bin`` shards (a ``.npy`` carries its own dtype);
    the options that were applied are added to ``used``. ``expanded`` is
    ``(spec, *_expand(spec))`` when the caller has already listed the spec's files."""
    if isinstance(spec, (TextCorpus, IdCorpus)):
        return spec
    if expanded is None:
        text = os.fsdecode(os.fspath(spec))
        expanded = (text, *_expand(text))
    files = expanded[1]
    jsonl = field is not None and any(_is_jsonl(p) for p in files)
    raw = dtype is not None and any(p.suffix == ".bin" for p in files)
    used.update(name for name, on in (("field", jsonl), ("dtype", raw)) if on)
    return _load(*expanded, field=field if jsonl else None, dtype=dtype if raw else None)


def _check_used(field: str | None, dtype: Any, used: set[str]) -> None:
    """An option that no corpus can use is an error, not silently ignored."""
    if field is not None and "field" not in used:
        raise ValueError(
            f"{_arg_value('field', field)} applies to JSONL corpora (.jsonl, .jsonl.gz), "
            f"and none of the corpora (nor {_arg('train')}) has JSONL files"
        )
    if dtype is not None and "dtype" not in used:
        raise ValueError(
            f"{_arg_value('dtype', str(dtype))} applies to raw .bin token shards (a .npy "
            "carries its own dtype), and none of the corpora has .bin files"
        )


def _open_text(
    spec: Any, arg: str, field: str | None = None, used: set[str] | None = None
) -> TextCorpus:
    """A text corpus from ``spec`` (``field`` as in :func:`_open`), or ValueError naming
    ``arg`` for token-id shards."""
    if isinstance(spec, TextCorpus):
        return spec
    if isinstance(spec, IdCorpus):
        shards = spec.name
    elif isinstance(spec, (str, bytes, os.PathLike)):
        text = os.fsdecode(os.fspath(spec))
        expanded = (text, *_expand(text))
        found = [p for p in expanded[1] if _is_shard(p)]
        if not found:  # text: a TextCorpus, or load_corpus's own error
            return _open(spec, field, None, set() if used is None else used, expanded)
        shards = str(found[0])
    else:
        raise TypeError(f"{arg}: expected a TextCorpus or a path, got {type(spec).__name__}")
    raise ValueError(
        f"{arg}: {shards} is a token-id shard, but tokenizers are trained and evaluated "
        "on text (a text file, folder, glob or JSONL)"
    )


def _sweep_corpora(train: Any, test: Any) -> tuple[TextCorpus | None, list | None]:
    """``sweep``'s training and held-out corpora as text corpora with distinct names;
    errors name ``train`` and ``test`` as :func:`_arg` does (the CLI's flags there)."""
    train_arg, test_arg = _arg("train"), _arg("test")
    train = None if train is None else _open_text(train, train_arg)
    if test is not None:
        if isinstance(test, (TextCorpus, IdCorpus)):
            raise TypeError(
                f"{test_arg}: expected a sequence of corpora, got {type(test).__name__}"
            )
        given = _validate.listed(test, test_arg, "a sequence of corpora")
        test = _distinct_names([_open_text(c, test_arg) for c in given], given)
    return train, test


def _distinct_names(corpora: list, specs: Sequence[Any]) -> list:
    """The corpora, those whose names collide copied and renamed apart.

    A name taken from a path (``a.txt`` of ``x/a.txt`` and of ``y/a.txt``) grows the
    shortest tail of parent folders that tells the paths apart (``x/a.txt``,
    ``y/a.txt``); what is still equal after that (the same file twice, in-memory corpora
    of one name) gets ``#2``, ``#3``, ... in order. ``specs[i]`` is what ``corpora[i]``
    was opened from.
    """
    names = [c.name for c in corpora]
    for name in [n for n, k in Counter(names).items() if k > 1]:
        paths: dict[int, tuple[str, ...]] = {}  # position -> parts of the path it names
        for i in (i for i, n in enumerate(names) if n == name):
            spec = specs[i]
            if isinstance(spec, (str, bytes, os.PathLike)):
                path = os.path.abspath(os.fsdecode(os.fspath(spec)))
                if os.path.basename(path) == name:
                    paths[i] = Path(path).parts
        # The same path twice is told apart by #2 below, not by folders.
        distinct = list(dict.fromkeys(paths.values()))
        if len(distinct) < 2:
            continue
        for k in range(2, max(map(len, distinct)) + 1):
            tails = {p: os.path.join(*p[-k:]) for p in distinct}
            if len(set(tails.values())) == len(tails):
                for i, parts in paths.items():
                    names[i] = tails[parts]
                break
    seen: set[str] = set()
    for i, name in enumerate(names):
        n = 2
        while names[i] in seen:
            names[i] = f"{name}#{n}"
            n += 1
        seen.add(names[i])
    out = []
    for corpus, name in zip(corpora, names, strict=True):
        if name != corpus.name:
            corpus = copy.copy(corpus)  # never rename the caller's object
            corpus.name = name
        out.append(corpus)
    return out


def _reference_index(
    reference: str | None, corpora: Sequence[Any], held_out: Sequence[Any] | None = None
) -> int | None:
    """Position of the parity reference among ``corpora``; ValueError if it is not there.

    ``held_out`` is ``corpora`` after the training split (the same positions, the text
    corpora renamed ``NAME:test``): the reference may be either name.
    """
    if reference is None:
        return None
    names = [c.name for c in corpora]
    aliases = [c.name for c in held_out] if held_out is not None else names
    if reference in names:
        index = names.index(reference)
    elif reference in aliases:
        index = aliases.index(reference)
    else:
        listed = ", ".join(
            repr(n) if n == a else f"{n!r} ({a!r})" for n, a in zip(names, aliases, strict=True)
        )
        raise ValueError(
            f"{_arg('reference')}: no corpus is named {reference!r}; the corpora are {listed}"
        )
    if isinstance(corpora[index], IdCorpus):
        raise ValueError(
            f"{_arg('reference')}: {reference!r} is token-id shards, which have no byte "
            "count; parity needs a text corpus"
        )
    return index


def _add_parity(entries: list[Entry], reference: str | None) -> list[Entry]:
    """Tokens per byte of each corpus over that of the reference corpus, per tokenizer."""
    if reference is None:
        return entries
    ref_rate: dict[str, float] = {}
    for e in entries:
        if e.corpus == reference and e.metrics.n_bytes:
            ref_rate[e.tokenizer] = e.metrics.n_tokens / e.metrics.n_bytes
    out = []
    for e in entries:
        rate = ref_rate.get(e.tokenizer)
        if rate and e.metrics.n_bytes:
            e = replace(e, parity=(e.metrics.n_tokens / e.metrics.n_bytes) / rate)
        out.append(e)
    return out


def evaluate(
    tokenizers: Iterable[Any] | None = None,
    corpora: Iterable[Any] | None = None,
    *,
    orders: Sequence[int] = (1, 2, 3, 4),
    alpha: float = 2.5,
    estimator: str = "plugin",
    train: Any = None,
    reference: str | None = None,
    field: str | None = None,
    dtype: Any = None,
    vocab_size: int | None = None,
    default_size: str = "small",
    cache_dir: str | os.PathLike | None = None,
    roundtrip: bool = True,
    pretrained: bool = True,
    batch_bytes: int = 4 << 20,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
) -> Report:
    """Evaluate tokenizers as compressors on corpora.

    Parameters
    ----------
    tokenizers : iterable of str or tokenizer objects, optional
        Specs (``bytes``, ``chars``, ``hf:PATH``, ``tiktoken:NAME``, ``sp:PATH``,
        ``bpe:N``, ``unigram:N``, ``wordpiece:N``, ``pretrained:NAME``) or objects with
        ``encode``/``encode_batch``. Default: ``bytes``, BPE trained at 1k, 4k, 16k and
        32k, and the pretrained tokenizers of the installed ``tokenizers`` extra.
    corpora : iterable of str, path, TextCorpus or IdCorpus, optional
        Text files, folders, globs, JSONL (``field``), or id shards (.npy, .bin with
        ``dtype``). Default: the built-in corpus (standard-library code and docstrings,
        and the system's gettext catalogs as parallel text), ``default_size`` "small"
        or "full". Corpora of one name are told apart in the report: names taken from
        paths by their parent folders (``x/a.txt``, ``y/a.txt``), others by ``#2``, ``#3``.
    orders : sequence of int, default (1, 2, 3, 4)
        Orders of the conditional entropies.
    alpha : float, default 2.5
        Order of the Renyi entropy and efficiency.
    estimator : str, default "plugin"
        Estimator of the Shannon and conditional entropies.
    train : str or path, optional
        Corpus the ``bpe:N``/``unigram:N``/``wordpiece:N`` tokenizers learn from. Default:
        the training split of the corpora (every text corpus is then split 90/10 and all
        tokenizers are evaluated on the held-out 10%, named ``NAME:test``). Only with
        ``corpora``: the built-in corpus has its own training split (a ValueError).
    reference : str, optional
        Name of the corpus that parity is measured against, as given or as its held-out
        part (``a.txt`` or ``a.txt:test``; default: the built-in corpus's English
        parallel text); a name that is not among the corpora, or names a token-id shard,
        is a ValueError.
    field : str, optional
        JSONL key of the text (default ``"text"``), applied to the corpora (and ``train``)
        that have JSONL files; a ValueError if none has.
    dtype : str or numpy.dtype, optional
        Item type of raw ``.bin`` id shards, applied to the corpora that have ``.bin``
        files (a ``.npy`` carries its own dtype); a ValueError if none has.
    vocab_size : int, optional
        Vocabulary size of pre-tokenised shards (default: largest id + 1).
    cache_dir : path, optional
        Where trained tokenizers are cached (default ``~/.cache/entrostat``).
    roundtrip : bool, default True
        Count the documents that round-trip exactly (``decode(encode(text)) == text``).
        Tokenizers that decode bytewise (``bytes``, ``tiktoken:``, byte-level BPE) compare
        their tokens' bytes with the text in the core and decode only the documents that
        differ; others decode every batch.
    pretrained : bool, default True
        With ``tokenizers=None``, include the installed pretrained tokenizers.
    batch_bytes : int, default 4 MiB
        Text per encoder call (at most 4096 documents; a larger document is a batch of
        its own). Fewer, larger batches cost fewer calls into the encoder and the counts:
        on 50 MB of Python sources with cl100k, 4 MiB batches took 0.27-0.29 s of counting
        against 0.30-0.35 s for 1 MiB ones (counted one after the other). A batch is
        counted while the next one encodes, so memory holds two batches of text and
        their ids, and Ctrl-C waits for the batch being counted.
    progress : bool, default False
        Progress bars (bytes and bytes/s) on stderr.

    Returns
    -------
    Report
        One entry per (tokenizer, corpus), plus one per id-shard corpus.
    """
    wanted = _orders(orders)
    batch_bytes = _validate.positive_int(batch_bytes, "batch_bytes")
    alpha = _validate.order_param(alpha, "alpha")
    estimator = _validate.estimator(estimator)
    roundtrip = _validate.flag(roundtrip, "roundtrip")
    pretrained = _validate.flag(pretrained, "pretrained")
    if vocab_size is not None:
        vocab_size = _validate.positive_int(vocab_size, _arg("vocab_size"), high=2**64 - 1)
    if log is not None and not callable(log):
        raise TypeError(f"log: expected a callable taking a str, got {type(log).__name__}")
    say = log or (lambda _msg: None)
    description = None
    used: set[str] = set()  # the options (field, dtype) that some corpus takes
    if corpora is None:
        if train is not None:
            raise ValueError(
                f"{_arg('train')}: only with {_arg('corpora')}; the built-in corpus has its own "
                "training split"
            )
        default = default_corpus(default_size)
        texts: list[TextCorpus] = list(default.test)
        shards: list[IdCorpus] = []
        train_corpus: TextCorpus | None = default.train
        reference = reference if reference is not None else default.reference
        description = default.description
    else:
        given = _listed(corpora, "corpora")
        opened = _distinct_names([_open(c, field, dtype, used) for c in given], given)
        texts = [c for c in opened if isinstance(c, TextCorpus)]
        shards = [c for c in opened if isinstance(c, IdCorpus)]
        if not texts and not shards:
            raise ValueError(f"{_arg('corpora')}: expected at least one corpus")
        train_corpus = None
        if train is not None:
            train_corpus = _open_text(train, _arg("train"), field, used)
    _check_used(field, dtype, used)
    if vocab_size is not None and not shards:
        raise ValueError(
            f"{_arg_value('vocab_size', vocab_size)} applies to token-id shards (a text "
            "corpus takes its tokenizer's), and none of the corpora is one"
        )
    given_corpora = [*texts, *shards]
    if tokenizers is None:  # id shards need no tokenizer: defaults only for text
        specs = default_tokenizers(pretrained=pretrained) if texts else []
    else:
        specs = _listed(tokenizers, "tokenizers")
        if specs and not texts:
            raise ValueError(
                f"{_arg('tokenizers')}: every corpus is a token-id shard, counted as it is; "
                "tokenizers apply to text corpora only"
            )
    if not specs and not shards:
        raise ValueError(f"{_arg('tokenizers')}: expected at least one tokenizer")
    if train_corpus is None and any(_needs_training(s) for s in specs):
        if not texts:
            raise ValueError(
                f"{_arg('train')}: trained tokenizers (bpe:N, unigram:N, wordpiece:N) need "
                "a text corpus to learn from"
            )
        # Lazy: both sides stream from the corpora on every pass, never held in memory.
        train_corpus, texts = _training_split(texts)
    ref_index = _reference_index(reference, given_corpora, [*texts, *shards])
    if ref_index is not None:  # the report names the held-out side of a split
        reference = [*texts, *shards][ref_index].name
    key = _train_key(train_corpus) if train_corpus is not None else None

    entries: list[Entry] = []
    names: Counter[str] = Counter()  # tokenizers of one name get #2, #3, ... in the report
    with _Progress(progress) as bar:
        for spec in specs:
            t0 = time.perf_counter()
            tok = load_tokenizer(
                spec,
                train_texts=(train_corpus.documents if train_corpus is not None else None),
                train_key=key,
                cache_dir=cache_dir,
            )
            names[tok.name] += 1
            name = tok.name if names[tok.name] == 1 else f"{tok.name}#{names[tok.name]}"
            say(f"{name}: ready in {time.perf_counter() - t0:.1f} s (|V| = {tok.vocab_size})")
            for corpus in texts:
                stats = TokenStats(max(wanted), vocab_size=tok.vocab_size)
                sizes, enc_s, count_s = _encode_corpus(
                    tok, corpus, stats, roundtrip=roundtrip, batch_bytes=batch_bytes, progress=bar
                )
                if stats.n_tokens == 0:
                    raise ValueError(f"{_arg('corpora')}: {corpus.name} holds no text")
                t1 = time.perf_counter()
                metrics = stats.metrics(
                    orders=wanted,
                    n_bytes=sizes.n_bytes,
                    n_chars=sizes.n_chars,
                    n_words=sizes.n_words,
                    roundtrip_share=(
                        sizes.n_roundtrip / sizes.n_docs if roundtrip and tok.can_decode else None
                    ),
                    alpha=alpha,
                    estimator=estimator,
                )
                count_s += time.perf_counter() - t1
                entries.append(
                    Entry(
                        tokenizer=name,
                        corpus=corpus.name,
                        group=corpus.group,
                        language=corpus.language,
                        metrics=metrics,
                        encode_seconds=enc_s,
                        metrics_seconds=count_s,
                    )
                )
        for corpus in shards:
            stats = TokenStats(max(wanted), vocab_size=vocab_size)
            count_s = _count_shards(corpus, stats, bar)
            t1 = time.perf_counter()
            with _naming_shard(corpus):
                metrics = stats.metrics(orders=wanted, alpha=alpha, estimator=estimator)
            entries.append(
                Entry(
                    tokenizer=IDS_TOKENIZER,
                    corpus=corpus.name,
                    group=None,
                    language=None,
                    metrics=metrics,
                    encode_seconds=None,
                    metrics_seconds=count_s + time.perf_counter() - t1,
                )
            )
    return Report.create(
        _add_parity(entries, reference),
        corpus=description,
        notes=[
            "parity = tokens per byte of the corpus / tokens per byte of the reference "
            "corpus, per tokenizer (bytes also carry each script's UTF-8 length)",
            "n-grams never span two documents",
        ],
        reference=reference,
        default_size=default_size if corpora is None else None,
        threads=num_threads(),
    )
