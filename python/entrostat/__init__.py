"""entrostat: information-theoretic statistics at scale, with a Rust core.

Entropies of labels, token streams and histograms (``entrostat.discrete``), all
re-exported here. Results are in nats unless ``base=`` is given.
"""

from . import discrete
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

__all__ = [
    "__version__",
    "num_threads",
    "discrete",
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
]
