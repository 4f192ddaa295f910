"""``sweep``: BPE trained across vocabulary sizes and training-data scales.

Reproduces the trend of "An Information-Theoretic Perspective on LLM Tokenizers" on a
laptop: as the tokenizer's training data grows, unigram entropy rises and the
higher-order conditional entropies fall. Every (vocabulary, scale) pair is trained on a
prefix of the same training stream and evaluated on the same held-out corpora.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Sequence

from .. import _validate
from ._corpora import TextCorpus
from ._default import default_corpus
from ._evaluate import _train_key, evaluate
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
    if not value > 0:
        raise ValueError(f"expected a positive size, got {text!r}")
    return int(value * scale)


def human_size(n: int) -> str:
    for unit, scale in (("G", 1 << 30), ("M", 1 << 20), ("K", 1 << 10)):
        if n >= scale and n % (scale // 4) == 0:
            return f"{n / scale:g}{unit}"
    return f"{n}B"


def _prefix(train: TextCorpus, n_bytes: int) -> tuple[TextCorpus, int]:
    """The documents of ``train`` up to ``n_bytes`` of UTF-8 (the last one cut)."""

    def docs() -> Iterator[str]:
        left = n_bytes
        for d in train.documents():
            if left <= 0:
                return
            raw = d.encode("utf-8", "surrogatepass")
            if len(raw) > left:
                d = raw[:left].decode("utf-8", "ignore")
            left -= len(raw)
            yield d

    texts = list(docs())
    used = sum(len(d.encode("utf-8", "surrogatepass")) for d in texts)
    return TextCorpus.from_texts(texts, name=f"train[:{human_size(n_bytes)}]"), used


def sweep(
    vocab_sizes: Sequence[int] = (1000, 4000, 16000, 64000),
    train_bytes: Sequence[int] = (1 << 20, 4 << 20, 16 << 20),
    *,
    train: TextCorpus | None = None,
    test: Sequence[TextCorpus] | None = None,
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
        Training-data scales: each tokenizer learns from the first that many bytes of
        ``train``.
    train, test : TextCorpus, optional
        Training stream and held-out evaluation corpora. Default: the full built-in
        corpus (its training split, and its held-out code and prose).

    Returns
    -------
    Report
        Entries named ``bpe:V@SIZE``; ``meta["sweep"]`` lists vocabulary, requested and
        used training bytes per tokenizer.
    """
    vocab_sizes = [_validate.positive_int(v, "vocab_sizes", low=257) for v in vocab_sizes]
    train_bytes = [_validate.positive_int(b, "train_bytes") for b in train_bytes]
    if not vocab_sizes or not train_bytes:
        raise ValueError("vocab_sizes, train_bytes: expected at least one value each")
    if train is None or test is None:
        default = default_corpus("full")
        train = train if train is not None else default.train
        if test is None:
            test = [c for c in default.test if c.group in ("code", "prose")]
    say = log or (lambda _msg: None)
    tokenizers, plan = [], []
    for size, vocab in itertools.product(sorted(train_bytes), sorted(vocab_sizes)):
        prefix, used = _prefix(train, size)
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
            {"tokenizer": tok.name, "vocab_size": vocab, "train_bytes": size, "used_bytes": used}
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


def plot_sweep(report: Report, path: str | os.PathLike) -> None:
    """Metrics against training bytes, one line per vocabulary size (one panel each)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as err:  # pragma: no cover - the plot extra is a test dependency
        raise ImportError('plotting needs matplotlib: pip install "entrostat[plot]"') from err
    plan = {p["tokenizer"]: p for p in report.meta.get("sweep", [])}
    if not plan:
        raise ValueError("report: not a sweep report (no meta['sweep'])")
    orders = report.meta["orders"]
    panels = [("H1 (bits)", lambda m: m.unigram_entropy)]
    panels += [
        (f"H(t | {k - 1} prev) (bits)", lambda m, k=k: m.conditional_entropy[k])
        for k in orders
        if k > 1
    ]
    panels += [
        (f"Renyi efficiency (alpha={report.meta['alpha']:g})", lambda m: m.renyi_efficiency),
        (f"bits/byte (order {max(orders)})", lambda m: (m.bits_per_byte or {}).get(max(orders))),
    ]
    corpora = sorted({e.corpus for e in report.entries})
    cols = min(3, len(panels))
    rows = -(-len(panels) // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(4.2 * cols, 3.3 * rows), squeeze=False)
    vocabs = sorted({p["vocab_size"] for p in plan.values()})
    styles = ["-", "--", ":", "-."]
    for ax, (title, get) in zip(axes.flat, panels, strict=False):
        for ci, corpus in enumerate(corpora):
            for v in vocabs:
                pts = sorted(
                    (plan[e.tokenizer]["train_bytes"], get(e.metrics))
                    for e in report.entries
                    if e.corpus == corpus and plan[e.tokenizer]["vocab_size"] == v
                )
                xs = [x / (1 << 20) for x, y in pts if y is not None]
                ys = [y for _, y in pts if y is not None]
                label = f"{v} / {corpus}" if len(corpora) > 1 else f"|V| = {v}"
                ax.plot(xs, ys, styles[ci % len(styles)], marker="o", ms=3, label=label)
        ax.set_xscale("log", base=2)
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("training data (MiB)", fontsize=9)
        ax.tick_params(labelsize=8)
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=min(4, len(labels)), fontsize=8)
    fig.suptitle("BPE across vocabulary sizes and training-data scales", fontsize=11)
    fig.tight_layout(rect=(0, 0.06 + 0.02 * (len(labels) // 4), 1, 0.96))
    fig.savefig(path, dpi=120)
    plt.close(fig)
