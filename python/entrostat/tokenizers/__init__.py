"""Tokenizers measured as compressors: bytes per token, Shannon and Renyi efficiency,
conditional entropies of the token stream and vocabulary utilisation (all in bits).

Counting runs in the Rust core over NumPy buffers of token ids; the tokenizers
themselves (HF ``tokenizers``, tiktoken, sentencepiece, byte and character baselines,
BPE trained on the spot) live in Python.

- :func:`token_stream_metrics` / :class:`TokenStats`: metrics of token ids.
- :func:`evaluate`: every tokenizer on every corpus, into a :class:`Report`
  (table, JSON, CSV, markdown, plot); :func:`sweep`: BPE across vocabulary sizes and
  training-data scales.
- :func:`load_tokenizer`, :func:`load_corpus`, :func:`default_corpus`: the inputs.
- :func:`compression_distance`, :func:`rank_by_distance`: normalised compression
  distance between corpora.
"""

from ._corpora import IdCorpus, TextCorpus, load_corpus, train_test_split
from ._default import DefaultCorpus, default_corpus
from ._distance import compression_distance, rank_by_distance
from ._evaluate import default_tokenizers, evaluate
from ._loaders import Tokenizer, available_pretrained, default_cache_dir, load_tokenizer
from ._metrics import COVERAGE_SHARES, TokenMetrics, TokenStats, token_stream_metrics
from ._report import Entry, Report
from ._sweep import plot_sweep, sweep

__all__ = [
    "COVERAGE_SHARES",
    "DefaultCorpus",
    "Entry",
    "IdCorpus",
    "Report",
    "TextCorpus",
    "TokenMetrics",
    "TokenStats",
    "Tokenizer",
    "available_pretrained",
    "compression_distance",
    "default_cache_dir",
    "default_corpus",
    "default_tokenizers",
    "evaluate",
    "load_corpus",
    "load_tokenizer",
    "plot_sweep",
    "rank_by_distance",
    "sweep",
    "token_stream_metrics",
    "train_test_split",
]
