"""Tokenizers measured as compressors: bytes per token, Shannon and Renyi efficiency,
conditional entropies of the token stream and vocabulary utilisation (all in bits).

Counting runs in the Rust core over NumPy buffers of token ids; the tokenizers
themselves (HF ``tokenizers``, tiktoken, sentencepiece, byte and character baselines,
BPE trained on the spot) live in Python.
"""

from ._metrics import COVERAGE_SHARES, TokenMetrics, TokenStats, token_stream_metrics

__all__ = ["COVERAGE_SHARES", "TokenMetrics", "TokenStats", "token_stream_metrics"]
