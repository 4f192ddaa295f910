"""``evaluate``: every tokenizer on every corpus, streamed in batches, into a Report.

Documents are read in batches, encoded with the tokenizer's batch encoder (HF
``encode_batch`` and tiktoken's batch encoder run in parallel in native code), and the
ids go to the core as one NumPy buffer per batch with document offsets. Nothing holds
more than a batch of text or ids, so corpora larger than memory stream through.
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from .. import _validate
from .._core import __version__, num_threads, text_sizes_batch
from ._corpora import IdCorpus, TextCorpus, load_corpus, train_test_split
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
    counts = _TextCounts()
    encode_s = count_s = 0.0
    task = progress.task(f"{tok.name} on {corpus.name}", corpus.total_bytes())
    try:
        for texts in corpus.batches(max_bytes=batch_bytes):
            if not texts:
                continue
            t0 = time.perf_counter()
            ids, offsets = tok.encode_batch(texts)
            t1 = time.perf_counter()
            stats.update(ids, offsets)
            raw = counts.add(texts)
            if roundtrip and tok.can_decode:
                decoded = tok.decode_batch(ids, offsets)
                counts.n_roundtrip += sum(a == b for a, b in zip(decoded, texts, strict=True))
            t2 = time.perf_counter()
            encode_s += t1 - t0
            count_s += t2 - t1
            progress.advance(task, raw)
    finally:
        progress.done(task)
    return counts, encode_s, count_s


def _count_shards(corpus: IdCorpus, stats: TokenStats, progress: _Progress) -> float:
    task = progress.task(f"ids of {corpus.name}", corpus.n_tokens())
    t0 = time.perf_counter()
    try:
        for chunk, new_document in corpus.chunks():
            stats.update(chunk, new_document=new_document)
            progress.advance(task, int(chunk.shape[0]))
    finally:
        progress.done(task)
    return time.perf_counter() - t0


def _train_key(train: TextCorpus) -> str:
    return hashlib.sha256(f"{train.fingerprint()}|{__version__}".encode()).hexdigest()[:16]


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
    batch_bytes: int = 1 << 20,
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
    corpora : iterable of str or path, optional
        Text files, folders, globs, JSONL (``field``), or id shards (.npy, .bin with
        ``dtype``). Default: the built-in corpus (standard-library code and docstrings,
        and the system's gettext catalogs as parallel text), ``default_size`` "small"
        or "full".
    orders : sequence of int, default (1, 2, 3, 4)
        Orders of the conditional entropies.
    alpha : float, default 2.5
        Order of the Renyi entropy and efficiency.
    estimator : str, default "plugin"
        Estimator of the Shannon and conditional entropies.
    train : str or path, optional
        Corpus the ``bpe:N``/``unigram:N``/``wordpiece:N`` tokenizers learn from. Default:
        the training split of the corpora (every text corpus is then split 90/10 and all
        tokenizers are evaluated on the held-out 10%).
    reference : str, optional
        Name of the corpus that parity is measured against (default: the built-in
        corpus's English parallel text).
    vocab_size : int, optional
        Vocabulary size of pre-tokenised shards (default: largest id + 1).
    cache_dir : path, optional
        Where trained tokenizers are cached (default ``~/.cache/entrostat``).
    roundtrip : bool, default True
        Decode every batch and count the documents that round-trip exactly.
    pretrained : bool, default True
        With ``tokenizers=None``, include the installed pretrained tokenizers.
    progress : bool, default False
        Progress bars (bytes and bytes/s) on stderr.

    Returns
    -------
    Report
        One entry per (tokenizer, corpus), plus one per id-shard corpus.
    """
    wanted = _orders(orders)
    alpha = _validate.order_param(alpha, "alpha")
    estimator = _validate.estimator(estimator)
    say = log or (lambda _msg: None)
    description = None
    if corpora is None:
        default = default_corpus(default_size)
        texts: list[TextCorpus] = list(default.test)
        shards: list[IdCorpus] = []
        train_corpus: TextCorpus | None = default.train
        reference = reference if reference is not None else default.reference
        description = default.description
    else:
        texts, shards = [], []
        for spec in corpora:
            c = spec if isinstance(spec, (TextCorpus, IdCorpus)) else load_corpus(
                spec, field=field, dtype=dtype
            )
            (shards if isinstance(c, IdCorpus) else texts).append(c)
        if not texts and not shards:
            raise ValueError("corpora: expected at least one corpus")
        train_corpus = None
        if train is not None:
            train_corpus = train if isinstance(train, TextCorpus) else load_corpus(train)
            if not isinstance(train_corpus, TextCorpus):
                raise ValueError("train: expected a text corpus, got token-id shards")
    if tokenizers is None:  # id shards need no tokenizer: defaults only for text
        specs = default_tokenizers(pretrained=pretrained) if texts else []
    else:
        specs = list(tokenizers)
    if not specs and not shards:
        raise ValueError("tokenizers: expected at least one tokenizer")
    if train_corpus is None and any(_needs_training(s) for s in specs):
        if not texts:
            raise ValueError(
                "train: trained tokenizers (bpe:N, unigram:N, wordpiece:N) need a text "
                "corpus to learn from"
            )
        splits = [train_test_split(c) for c in texts]
        train_corpus = TextCorpus.from_texts(
            (d for tr, _ in splits for d in tr.documents()), name="train"
        )
        texts = [te for _, te in splits]
    key = _train_key(train_corpus) if train_corpus is not None else None

    entries: list[Entry] = []
    with _Progress(progress) as bar:
        for spec in specs:
            t0 = time.perf_counter()
            tok = load_tokenizer(
                spec,
                train_texts=(train_corpus.documents if train_corpus is not None else None),
                train_key=key,
                cache_dir=cache_dir,
            )
            say(f"{tok.name}: ready in {time.perf_counter() - t0:.1f} s (|V| = {tok.vocab_size})")
            for corpus in texts:
                stats = TokenStats(max(wanted), vocab_size=tok.vocab_size)
                sizes, enc_s, count_s = _encode_corpus(
                    tok, corpus, stats, roundtrip=roundtrip, batch_bytes=batch_bytes, progress=bar
                )
                if stats.n_tokens == 0:
                    raise ValueError(f"corpora: {corpus.name} holds no text")
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
                        tokenizer=tok.name,
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
