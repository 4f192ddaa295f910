"""Metrics of a token stream, counted in the Rust core (``_core.TokenStats``).

A tokenizer is judged as a compressor: how many bytes each token carries, how evenly it
spreads its vocabulary (Shannon and Renyi efficiency), and how much structure is left
between consecutive tokens (conditional entropies of order 1..4). All entropies are in
bits.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from .. import _core, _validate

COVERAGE_SHARES = (0.5, 0.9, 0.99)


@dataclass(frozen=True)
class TokenMetrics:
    """Compression and entropy metrics of one tokenised corpus (entropies in bits).

    Fields that need a count that was not given (bytes, characters, words, round trips)
    are ``None``.

    Attributes
    ----------
    n_tokens, n_documents : int
        Tokens and documents counted.
    vocab_size : int
        The tokenizer's declared vocabulary size |V|.
    n_types : int
        Distinct token ids seen.
    n_bytes, n_chars, n_words : int or None
        UTF-8 bytes, Unicode characters and whitespace-separated words of the text.
    bytes_per_token, chars_per_token : float or None
        Compression: ``n_bytes / n_tokens`` and ``n_chars / n_tokens``.
    fertility : float or None
        Tokens per word, ``n_tokens / n_words``.
    roundtrip_share : float or None
        Share of documents with ``decode(encode(text)) == text``.
    unigram_entropy : float
        H1 = -sum_t p(t) log2 p(t) of the token frequencies (estimator as chosen).
    shannon_efficiency : float
        H1 / log2 |V|.
    shannon_efficiency_types : float
        H1 / log2 n_types (normalised by the types seen).
    alpha : float
        Order of the Renyi entropy.
    renyi_entropy : float
        H_alpha = log2(sum_t p(t)^alpha) / (1 - alpha) (plug-in).
    renyi_efficiency : float
        H_alpha / log2 |V| (tokenization-scorer's ``vocab=`` normalisation).
    renyi_efficiency_types : float
        H_alpha / log2 n_types (tokenization-scorer's default normalisation).
    estimator : str
        Estimator of the Shannon and conditional entropies.
    conditional_entropy : dict[int, float]
        ``{order: H(t_k | t_{k-order+1..k-1})}``; order 1 is H1. N-grams never cross
        documents.
    bits_per_byte : dict[int, float] or None
        ``{order: n_tokens * conditional_entropy[order] / n_bytes}``.
    vocab_used : float
        n_types / |V|.
    hapax_share : float
        Share of the seen types that occur exactly once.
    coverage_tokens : dict[float, int]
        ``{share: fewest types whose occurrences cover that share of all tokens}`` for
        shares 0.5, 0.9 and 0.99.
    """

    n_tokens: int
    n_documents: int
    vocab_size: int
    n_types: int
    n_bytes: int | None
    n_chars: int | None
    n_words: int | None
    bytes_per_token: float | None
    chars_per_token: float | None
    fertility: float | None
    roundtrip_share: float | None
    unigram_entropy: float
    shannon_efficiency: float
    shannon_efficiency_types: float
    alpha: float
    renyi_entropy: float
    renyi_efficiency: float
    renyi_efficiency_types: float
    estimator: str
    conditional_entropy: dict[int, float] = field(default_factory=dict)
    bits_per_byte: dict[int, float] | None = None
    vocab_used: float = math.nan
    hapax_share: float = math.nan
    coverage_tokens: dict[float, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """Plain-Python form (dict keys turned to strings, as JSON needs them)."""
        out = asdict(self)
        for name in ("conditional_entropy", "bits_per_byte", "coverage_tokens"):
            if out[name] is not None:
                out[name] = {str(k): v for k, v in out[name].items()}
        return out


_LN2 = math.log(2.0)
MAX_ORDER = 8


def _orders(orders) -> tuple[int, ...]:
    if isinstance(orders, (int, np.integer)) and not isinstance(orders, bool):
        orders = (int(orders),)
    try:
        out = tuple(sorted({_validate.positive_int(o, "orders", high=MAX_ORDER) for o in orders}))
    except TypeError as err:
        raise TypeError(f"orders: expected integers in 1..{MAX_ORDER}, got {orders!r}") from err
    if not out:
        raise ValueError("orders: expected at least one order")
    return out


def _starts(offsets, n: int, new_document: bool) -> np.ndarray:
    """Document starts from ``offsets`` (length documents + 1, 0 first, ``n`` last)."""
    if offsets is None:
        return np.zeros(1 if new_document else 0, dtype=np.uint64)
    if not new_document:
        raise ValueError(
            "new_document: False continues the last document, which offsets (starting at 0, "
            "a new document) cannot; give one or the other"
        )
    off = np.asarray(offsets)
    if off.dtype.kind not in "iu" or off.ndim != 1 or off.size == 0:
        raise ValueError(
            "offsets: expected a 1-D integer array of document offsets (documents + 1 entries)"
        )
    if off[0] != 0 or off[-1] != n or np.any(np.diff(off.astype(np.int64)) < 0):
        raise ValueError(
            f"offsets: expected non-decreasing offsets from 0 to len(ids) = {n}, "
            f"got {off[0]} .. {off[-1]}"
        )
    return off[:-1].astype(np.uint64)


class TokenStats:
    """Streaming, mergeable, picklable counts of a token stream, for :class:`TokenMetrics`.

    Counts the tokens and the n-grams of orders 2..``max_order`` within documents:
    no n-gram spans two documents. Update with batches of documents (ids concatenated,
    ``offsets`` delimiting them) or with chunks of one long document
    (``new_document=False`` continues the last one); merge accumulators built anywhere.

    Parameters
    ----------
    max_order : int, default 4
        Highest n-gram order counted (1..8).
    vocab_size : int, optional
        When given, ids at or above it are rejected by :meth:`update`.
    """

    def __init__(self, max_order: int = 4, vocab_size: int | None = None):
        order = _validate.positive_int(max_order, "max_order", high=MAX_ORDER)
        self.vocab_size = (
            None
            if vocab_size is None
            else _validate.positive_int(vocab_size, "vocab_size", high=2**64 - 1)
        )
        self._inner = _core.TokenStats(order)

    @property
    def max_order(self) -> int:
        return self._inner.max_order

    @property
    def n_tokens(self) -> int:
        return self._inner.n_tokens

    @property
    def n_documents(self) -> int:
        return self._inner.n_documents

    def update(self, ids, offsets=None, *, new_document: bool = True) -> TokenStats:
        """Add token ids (any integer dtype, non-negative).

        ``offsets`` (``len(documents) + 1`` entries, from 0 to ``len(ids)``) split ``ids``
        into documents. Without it, ``ids`` is one document, or, with
        ``new_document=False``, continues the last document seen (a long stream in chunks).
        """
        arr = _validate.chunk(ids, "ids")
        if arr is None:  # an empty document
            arr = np.zeros(0, dtype=np.uint32)
        starts = _starts(offsets, arr.shape[0], _validate.flag(new_document, "new_document"))
        self._inner.update(arr, starts, self.vocab_size)
        return self

    def merge(self, other: TokenStats) -> TokenStats:
        """Add ``other``'s documents (in place); returns self.

        The two must agree on ``vocab_size`` where both have one; the merged counts keep
        the one given, and every id counted must lie below it.
        """
        if not isinstance(other, TokenStats):
            raise TypeError(f"other: expected a TokenStats, got {type(other).__name__}")
        if other is self:
            other = self.copy()  # the core cannot read what it is writing
        vocab = self.vocab_size if self.vocab_size is not None else other.vocab_size
        if other.vocab_size is not None and other.vocab_size != vocab:
            raise ValueError(
                f"other: its vocab_size {other.vocab_size} differs from this "
                f"TokenStats' vocab_size {vocab}"
            )
        if vocab is not None:
            mine, theirs = self._inner.max_id, other._inner.max_id
            if theirs is not None and theirs >= vocab:
                raise ValueError(
                    f"other: token id {theirs} is outside the vocabulary of size {vocab}"
                )
            if mine is not None and mine >= vocab:
                raise ValueError(
                    f"other: its vocab_size {vocab} is not above the token id {mine} "
                    "counted here"
                )
        self._inner.merge(other._inner)
        self.vocab_size = vocab
        return self

    def copy(self) -> TokenStats:
        """An independent copy of the counts."""
        new = type(self).__new__(type(self))
        new.vocab_size = self.vocab_size
        new._inner = self._inner.copy()
        return new

    def __getstate__(self):
        return {"vocab_size": self.vocab_size, "counts": self._inner.state()}

    def __setstate__(self, state):
        self.vocab_size = state["vocab_size"]
        self._inner = _core.TokenStats.from_state(state["counts"])

    def metrics(
        self,
        *,
        vocab_size: int | None = None,
        orders=None,
        n_bytes: int | None = None,
        n_chars: int | None = None,
        n_words: int | None = None,
        roundtrip_share: float | None = None,
        alpha: float = 2.5,
        estimator: str = "plugin",
    ) -> TokenMetrics:
        """The :class:`TokenMetrics` of the tokens counted so far (entropies in bits).

        ``vocab_size`` defaults to the one given at construction, else to the largest id
        seen + 1; ``orders`` to 1..``max_order``.
        """
        if self.n_tokens == 0:
            raise ValueError("ids: no tokens were counted")
        vocab = vocab_size if vocab_size is not None else self.vocab_size
        if vocab is None:
            vocab = self._inner.max_id + 1
        vocab = _validate.positive_int(vocab, "vocab_size")
        if vocab <= self._inner.max_id:
            raise ValueError(
                f"vocab_size: {vocab} is not above the largest token id seen "
                f"({self._inner.max_id})"
            )
        wanted = tuple(range(1, self.max_order + 1)) if orders is None else _orders(orders)
        if wanted[-1] > self.max_order:
            raise ValueError(
                f"orders: order {wanted[-1]} exceeds max_order {self.max_order} of the counts"
            )
        alpha = _validate.order_param(alpha, "alpha")
        est = _validate.estimator(estimator)
        s = self._inner.summary(est, alpha, list(COVERAGE_SHARES), float(vocab))
        n = s["n_tokens"]
        h1 = s["unigram_entropy"] / _LN2
        h_alpha = s["renyi_entropy"] / _LN2
        cond = {k: s["conditional_entropy"][k - 1] / _LN2 for k in wanted}
        log_v = math.log2(vocab)
        log_types = math.log2(s["n_types"])
        counts = {"n_bytes": n_bytes, "n_chars": n_chars, "n_words": n_words}
        for name, value in counts.items():
            if value is not None:
                _validate.positive_int(value, name, low=0)
        if roundtrip_share is not None:
            roundtrip_share = _validate.share(roundtrip_share, "roundtrip_share")
        return TokenMetrics(
            n_tokens=n,
            n_documents=s["n_documents"],
            vocab_size=vocab,
            n_types=s["n_types"],
            n_bytes=n_bytes,
            n_chars=n_chars,
            n_words=n_words,
            bytes_per_token=_ratio(n_bytes, n),
            chars_per_token=_ratio(n_chars, n),
            fertility=_ratio(n, n_words),
            roundtrip_share=roundtrip_share,
            unigram_entropy=h1,
            shannon_efficiency=_ratio(h1, log_v),
            shannon_efficiency_types=_ratio(h1, log_types),
            alpha=alpha,
            renyi_entropy=h_alpha,
            renyi_efficiency=_ratio(h_alpha, log_v),
            renyi_efficiency_types=_ratio(h_alpha, log_types),
            estimator=est,
            conditional_entropy=cond,
            bits_per_byte=(
                None if not n_bytes else {k: n * h / n_bytes for k, h in cond.items()}
            ),
            vocab_used=s["n_types"] / vocab,
            hapax_share=s["n_hapax"] / s["n_types"],
            coverage_tokens=dict(zip(COVERAGE_SHARES, s["coverage"], strict=True)),
        )

    def __repr__(self) -> str:
        return (
            f"TokenStats(max_order={self.max_order}, n_tokens={self.n_tokens}, "
            f"n_documents={self.n_documents})"
        )


def _ratio(num, den):
    """num / den, None when a count is missing, NaN for 0 / 0 (e.g. log2 of one type)."""
    if num is None or den is None:
        return None
    if den == 0:
        return math.nan if num == 0 else math.inf
    return num / den


def token_stream_metrics(
    ids,
    *,
    vocab_size: int,
    offsets=None,
    n_bytes: int | None = None,
    n_chars: int | None = None,
    n_words: int | None = None,
    orders=(1, 2, 3),
    alpha: float = 2.5,
    estimator: str = "plugin",
) -> TokenMetrics:
    """Compression and entropy metrics of token ids (all entropies in bits).

    Counting runs in the Rust core in one call over the ids (no Python loop over tokens).

    Parameters
    ----------
    ids : array_like of int, shape (n,)
        Token ids, non-negative and below ``vocab_size``; documents concatenated.
    vocab_size : int
        The tokenizer's declared vocabulary size |V|.
    offsets : array_like of int, optional
        Document boundaries (documents + 1 entries, 0 first, ``len(ids)`` last); n-grams
        never span two documents. Default: one document.
    n_bytes, n_chars, n_words : int, optional
        Size of the text in UTF-8 bytes, characters and whitespace-separated words; the
        metrics that need them are None without them.
    orders : sequence of int, default (1, 2, 3)
        Orders of the conditional entropies H(t_k | t_{k-order+1..k-1}).
    alpha : float, default 2.5
        Order of the Renyi entropy and efficiency (Zouhar et al., 2023).
    estimator : str, default "plugin"
        Estimator of the Shannon and conditional entropies (see ``entrostat.entropy``).

    Returns
    -------
    TokenMetrics

    Notes
    -----
    Shannon efficiency is H1 / log2 |V|; Renyi efficiency is
    ``log2(sum_t p_t^alpha) / (1 - alpha) / log2 |V|`` (tokenization-scorer's
    definition with ``vocab=|V|``; the ``*_types`` fields divide by log2 of the number of
    types seen instead). Conditional entropies are differences of block entropies,
    ``H(t_1..t_k) - H(t_1..t_{k-1})`` over the same windows; ``bits_per_byte[k]`` is
    ``n_tokens * H_k / n_bytes``.

    References
    ----------
    Zouhar, V., Meister, C., Gastaldi, J. L., Du, L., Sachan, M., Cotterell, R. (2023).
    Tokenization and the Noiseless Channel. ACL 2023.
    """
    wanted = _orders(orders)
    stats = TokenStats(max(wanted), vocab_size=_validate.positive_int(vocab_size, "vocab_size"))
    arr = _validate.labels(ids, "ids", max_ndim=1)
    stats.update(arr, offsets)
    return stats.metrics(
        orders=wanted,
        n_bytes=n_bytes,
        n_chars=n_chars,
        n_words=n_words,
        alpha=alpha,
        estimator=estimator,
    )
