"""``sweep``: BPE trained across vocabulary sizes and training-data scales.

Measures the trend of "An Information-Theoretic Perspective on LLM Tokenizers" on a
laptop: as the tokenizer's training data grows, unigram entropy rises and the
higher-order conditional entropies fall (docs/tokenizers.md, "A recorded sweep", says
how much of it shows at a few MiB). Every (vocabulary, scale) pair is trained on a
prefix of the same training stream and evaluated on the same held-out corpora.
"""

from __future__ import annotations

import hashlib
import math
import os
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from .. import _validate
from ._corpora import TextCorpus
from ._default import default_corpus
from ._evaluate import _arg, _sweep_corpora, _train_key, evaluate
from ._loaders import load_tokenizer
from ._report import Report


def parse_size(text: str) -> int:
    """``"4M"`` -> 4 * 2**20; also K and G suffixes, or a plain number of bytes."""
    t = text.strip().upper().removesuffix("B")
    scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(t[-1:], 1)
    digits = t[:-1] if scale > 1 else t
    try:
        value = float(digits)
    except ValueError:
        raise ValueError(f"expected a size such as 512K, 4M or 1G, got {text!r}") from None
    size = value * scale
    if not math.isfinite(size):
        raise ValueError(f"expected a finite size such as 512K or 4M, got {text!r}")
    if not size >= 1:
        raise ValueError(f"expected a size of at least 1 byte, got {text!r}")
    return int(size)


def human_size(n: int) -> str:
    for unit, scale in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= scale and n % (scale // 4) == 0:
            return f"{n / scale:g}{unit}"
    return f"{n}B"


class _Prefix(TextCorpus):
    """The documents of ``parent`` up to ``n_bytes`` of UTF-8 (the last one cut at a
    character boundary), streamed from ``parent`` on every pass, never held in memory."""

    def __init__(self, parent: TextCorpus, n_bytes: int):
        super().__init__(f"train[:{human_size(n_bytes)}]")
        self._parent = parent
        self._n_bytes = n_bytes
        self._used: int | None = None

    def documents(self) -> Iterator[str]:
        left = self._n_bytes
        for d in self._parent.documents():
            if left <= 0:
                return
            raw = d.encode("utf-8", "surrogatepass")
            if len(raw) > left:
                d = raw[:left].decode("utf-8", "ignore")
            left -= len(raw)
            yield d

    def total_bytes(self) -> int:
        """UTF-8 bytes actually taken (less than asked when the parent is shorter)."""
        if self._used is None:
            self._used = sum(len(d.encode("utf-8", "surrogatepass")) for d in self.documents())
        return self._used

    def fingerprint(self) -> str:
        # Keyed by the bytes used, not asked: sizes past the parent's end (or cut inside
        # one character) take the same text and share one trained tokenizer.
        parts = f"{self._parent.fingerprint()}|prefix:{self.total_bytes()}"
        return hashlib.sha256(parts.encode()).hexdigest()


def _int_list(values: Any, name: str, low: int) -> list[int]:
    """``values`` as a list of integers >= ``low``; a lone number (``sweep(300)``) is a
    TypeError naming ``name``, not Python's "'int' object is not iterable"."""
    listed = _validate.listed(values, name, "a sequence of integers")
    return [_validate.positive_int(v, name, low=low) for v in listed]


def _no_text(train: TextCorpus, size: int) -> str:
    """Why the first ``size`` bytes of ``train`` hold no text (``sweep``'s error)."""
    if not any(train.documents()):
        return (
            f"{_arg('train')}: the training corpus {train.name!r} holds no text (0 bytes); "
            "a tokenizer trained on it would know only the 256 single bytes"
        )
    # Text there, but the prefix cut its first character (up to 4 UTF-8 bytes) away.
    return (
        f"{_arg('train_bytes')}: the first {size} byte(s) of the training corpus "
        f"{train.name!r} hold no whole character; ask for at least 4 bytes"
    )


def sweep(
    vocab_sizes: Sequence[int] = (1000, 4000, 16000, 64000),
    train_bytes: Sequence[int] = (1 << 20, 4 << 20, 16 << 20),
    *,
    train: TextCorpus | str | os.PathLike | None = None,
    test: Sequence[TextCorpus | str | os.PathLike] | None = None,
    orders: Sequence[int] = (1, 2, 3, 4),
    alpha: float = 2.5,
    estimator: str = "plugin",
    cache_dir: str | os.PathLike | None = None,
    progress: bool = False,
    log: Callable[[str], None] | None = None,
) -> Report:
    """Train byte-level BPE at every vocabulary size and training scale, and evaluate each.

    Parameters
    ----------
    vocab_sizes : sequence of int
        Vocabulary sizes to train.
    train_bytes : sequence of int
        Training-data scales: each tokenizer learns from the first that many UTF-8
        bytes of ``train``, streamed (never held in memory); a scale past the end of
        ``train`` takes all of it, as ``used_bytes`` records.
    train : TextCorpus, str or path, optional
        Training stream: a text corpus, or a text file, folder, glob or JSONL file
        (opened with :func:`load_corpus`). Default: the full built-in corpus's training
        split.
    test : sequence of TextCorpus, str or path, optional
        Held-out evaluation corpora, each as ``train``; corpora of one name are told
        apart as in :func:`evaluate`. Default: the full built-in corpus's held-out code
        and prose.

    Returns
    -------
    Report
        Entries named ``bpe:V@SIZE``; ``meta["sweep"]`` lists vocabulary, requested and
        used training bytes per tokenizer.

    Raises
    ------
    TypeError
        If ``vocab_sizes`` or ``train_bytes`` is not a sequence of integers (a lone
        number included), or ``train``/``test`` is not a corpus or path.
    ValueError
        If a vocabulary size is below 257, a scale below 1 byte, either list is empty,
        ``train``/``test`` name token-id shards, or ``train`` holds no text.
    """
    train, test = _sweep_corpora(train, test)  # text only: ValueError naming train/test
    vocab_sizes = _int_list(vocab_sizes, "vocab_sizes", 257)
    train_bytes = _int_list(train_bytes, "train_bytes", 1)
    if not vocab_sizes or not train_bytes:
        raise ValueError("vocab_sizes, train_bytes: expected at least one value each")
    if train is None or test is None:
        default = default_corpus("full")
        train = train if train is not None else default.train
        if test is None:
            test = [c for c in default.test if c.group in ("code", "prose")]
    say = log or (lambda _msg: None)
    tokenizers, plan = [], []
    for size in sorted(train_bytes):
        prefix = _Prefix(train, size)
        used = prefix.total_bytes()  # one streamed pass, shared by every vocabulary size
        if used == 0:
            # Sizes ascend, so this stops before any training; BPE would otherwise return
            # a bare 256-byte vocabulary without complaint.
            raise ValueError(_no_text(train, size))
        for vocab in sorted(vocab_sizes):
            say(f"training bpe:{vocab} on {human_size(used)} of text")
            tok = load_tokenizer(
                f"bpe:{vocab}",
                train_texts=prefix.documents,
                train_key=_train_key(prefix),
                cache_dir=cache_dir,
            )
            tok.name = f"bpe:{vocab}@{human_size(size)}"
            tokenizers.append(tok)
            plan.append(
                {"tokenizer": tok.name, "vocab_size": vocab, "train_bytes": size,
                 "used_bytes": used}
            )
    report = evaluate(
        tokenizers,
        list(test),
        orders=orders,
        alpha=alpha,
        estimator=estimator,
        cache_dir=cache_dir,
        progress=progress,
        log=log,
    )
    report.meta["sweep"] = plan
    return report


def _size_label(n: float) -> str:
    """Bytes as a short tick label: 256K, 1M, 3.9M."""
    for unit, scale in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= scale:
            return f"{n / scale:.2g}{unit}" if n < 10 * scale else f"{n / scale:.0f}{unit}"
    return f"{n:.0f}B"


def _sweep_panels(report: Report) -> list[tuple[str, str, Callable[[Any], Any]]]:
    """(title, y label, metric getter) of each panel."""
    orders = list(report.meta.get("orders") or sorted(
        {k for e in report.entries for k in e.metrics.conditional_entropy}))
    alpha = report.meta.get("alpha")
    top = max(orders) if orders else None
    panels = [("Unigram entropy H1", "bits / token", lambda m: m.unigram_entropy)]
    panels += [
        (f"H(t | {k - 1} previous)", "bits / token",
         lambda m, k=k: m.conditional_entropy.get(k))
        for k in orders
        if k > 1
    ]
    # meta["alpha"] is a list when the entries disagree: no single value to show then.
    known = isinstance(alpha, int | float)
    renyi = "R\u00e9nyi efficiency" + (f" (\u03b1 = {alpha:g}, by |V|)" if known else "")
    panels.append((renyi, r"$H_\alpha\,/\,\log_2|V|$", lambda m: m.renyi_efficiency))
    if top is not None:
        panels.append((f"Bits per byte at order {top}", "bits / byte",
                       lambda m: (m.bits_per_byte or {}).get(top)))
    return panels


def plot_sweep(report: Report, path: str | os.PathLike, *, dpi: int = 150) -> None:
    """Metrics against the training bytes actually used, one panel per metric.

    One colour per vocabulary size, the same in every panel; with several held-out
    corpora, one line style and marker per corpus. A single legend explains both. Like
    :meth:`Report.plot`, it uses matplotlib's object API (no pyplot, no change to the
    global backend).

    Raises
    ------
    TypeError
        If ``report`` is not a :class:`Report`.
    ValueError
        If ``report`` is not a sweep report (no ``meta["sweep"]``) or has no entries.
    ImportError
        If matplotlib is not installed.
    """
    from ._report import _PLOT_STYLE, _import_matplotlib

    matplotlib = _import_matplotlib("plot_sweep")[0]
    fig = _sweep_figure(report)
    with matplotlib.rc_context(_PLOT_STYLE):
        fig.savefig(path, dpi=dpi)


def _sweep_figure(report: Report) -> Any:
    """The :class:`matplotlib.figure.Figure` that :func:`plot_sweep` saves."""
    from ._report import _PLOT_STYLE, _colours, _import_matplotlib

    matplotlib, Figure, _ = _import_matplotlib("plot_sweep")
    from matplotlib.lines import Line2D

    # After the import, so that a missing matplotlib is reported first, whatever is given.
    if not isinstance(report, Report):
        raise TypeError(f"report: expected a Report (from sweep), got {type(report).__name__}")
    plan = {p["tokenizer"]: p for p in report.meta.get("sweep", [])}
    entries = [e for e in report.entries if e.tokenizer in plan]
    if not plan or not entries:
        raise ValueError("report: not a sweep report (no meta['sweep'] entries to plot)")
    panels = _sweep_panels(report)
    corpora = list(dict.fromkeys(e.corpus for e in entries))
    vocabs = sorted({plan[e.tokenizer]["vocab_size"] for e in entries})
    colour = dict(zip(vocabs, _colours(matplotlib, len(vocabs)), strict=True))
    styles = [("-", "o"), ("--", "s"), (":", "^"), ("-.", "D")]
    style = {c: styles[i % len(styles)] for i, c in enumerate(corpora)}
    used = sorted({plan[e.tokenizer]["used_bytes"] for e in entries})
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    with matplotlib.rc_context(_PLOT_STYLE):
        fig = Figure(figsize=(4.3 * cols, 2.9 * rows + 0.6), layout="constrained")
        axes = fig.subplots(rows, cols, squeeze=False)
        for ax, (title, ylabel, get) in zip(axes.flat, panels, strict=False):
            for corpus in corpora:
                line, marker = style[corpus]
                for v in vocabs:
                    pts = sorted(
                        (plan[e.tokenizer]["used_bytes"], get(e.metrics))
                        for e in entries
                        if e.corpus == corpus and plan[e.tokenizer]["vocab_size"] == v
                    )
                    pts = [(x, y) for x, y in pts if y is not None]
                    if pts:
                        xs, ys = zip(*pts, strict=True)
                        ax.plot(xs, ys, line, marker=marker, markersize=4, linewidth=1.4,
                                color=colour[v], label=f"|V| = {v}, {corpus}")
            ax.set_xscale("log", base=2)
            # Ticks at the sizes trained on, labelled in K/M/G (log-2 ticks read badly).
            ax.set_xticks(used, [_size_label(u) for u in used])
            ax.minorticks_off()
            ax.set_title(title, loc="left")
            ax.set_ylabel(ylabel)
            ax.set_xlabel("training bytes used")
        for ax in list(axes.flat)[len(panels):]:
            ax.axis("off")
        handles = [Line2D([], [], color=colour[v], linewidth=2.5, label=f"|V| = {v}")
                   for v in vocabs]
        if len(corpora) > 1:
            handles += [Line2D([], [], color="0.3", linestyle=style[c][0], marker=style[c][1],
                               markersize=4, label=f"held-out: {c}") for c in corpora]
        # Below the panels: above them it would collide with the title.
        fig.legend(handles=handles, loc="outside lower center", frameon=False,
                   ncols=min(len(handles), 6))
        fig.suptitle("BPE across vocabulary sizes and training-data scales",
                     fontweight="bold")
    return fig
