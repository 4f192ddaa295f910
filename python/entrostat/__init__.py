"""entrostat: information-theoretic statistics at scale, with a Rust core.

Entropies of labels, token streams and histograms (``entrostat.discrete``), divergences
between distributions and between samples (``entrostat.divergence``), and k-nearest-
neighbour estimators for continuous and mixed data (``entrostat.knn``: differential
entropy, mutual information, conditional mutual information, transfer entropy, per-feature
mutual information), and token-level statistics of language models (``entrostat.logits``:
entropy, varentropy and cross-entropy of logit rows, fused linear cross-entropy, entropy of
number formats). Results are in nats unless ``base=`` is given.

The names ``mutual_info`` and ``conditional_mutual_info`` here are the discrete (label)
estimators; their k-NN counterparts for continuous samples are ``knn.mutual_info`` and
``knn.conditional_mutual_info``.
"""

from . import discrete, divergence, knn, logits
from ._core import __version__, num_threads
from ._results import Estimate
from .discrete import (
    Counts,
    NgramCounts,
    block_entropy,
    conditional_block_entropy,
    conditional_entropy,
    conditional_mutual_info,
    entropy,
    entropy_from_counts,
    joint_entropy,
    mutual_info,
    normalized_mutual_info,
    renyi_entropy,
    tsallis_entropy,
)
from .divergence import (
    cross_entropy,
    cross_entropy_labels,
    cs_divergence,
    cs_divergence_samples,
    cs_mutual_info,
    hellinger,
    js_distance,
    js_divergence,
    js_divergence_labels,
    kl_divergence,
    kl_divergence_knn,
    kl_divergence_labels,
    renyi_divergence,
    total_variation,
)
from .knn import differential_entropy, feature_mi, mutual_info_mixed, transfer_entropy
from .logits import (
    attention_entropy,
    float_entropy,
    high_entropy_tokens,
    linear_cross_entropy,
    logprob_advantage_covariance,
    rolling_entropy,
    varentropy,
)

__all__ = [
    "__version__",
    "num_threads",
    "discrete",
    "divergence",
    "knn",
    "logits",
    "Estimate",
    "Counts",
    "NgramCounts",
    "block_entropy",
    "conditional_block_entropy",
    "conditional_entropy",
    "conditional_mutual_info",
    "entropy",
    "entropy_from_counts",
    "joint_entropy",
    "mutual_info",
    "normalized_mutual_info",
    "renyi_entropy",
    "tsallis_entropy",
    "differential_entropy",
    "mutual_info_mixed",
    "transfer_entropy",
    "feature_mi",
    "attention_entropy",
    "float_entropy",
    "high_entropy_tokens",
    "linear_cross_entropy",
    "logprob_advantage_covariance",
    "rolling_entropy",
    "varentropy",
    "cross_entropy",
    "cross_entropy_labels",
    "cs_divergence",
    "cs_divergence_samples",
    "cs_mutual_info",
    "hellinger",
    "js_distance",
    "js_divergence",
    "js_divergence_labels",
    "kl_divergence",
    "kl_divergence_knn",
    "kl_divergence_labels",
    "renyi_divergence",
    "total_variation",
]
