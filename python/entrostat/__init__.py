"""entrostat: information-theoretic statistics at scale, with a Rust core.

Entropies of labels, token streams and histograms (``entrostat.discrete``) and
divergences between distributions (``entrostat.divergence``), all re-exported here.
Results are in nats unless ``base=`` is given.
"""

from . import discrete, divergence
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
    kl_divergence_labels,
    renyi_divergence,
    total_variation,
)

__all__ = [
    "__version__",
    "num_threads",
    "discrete",
    "divergence",
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
    "kl_divergence_labels",
    "renyi_divergence",
    "total_variation",
]
