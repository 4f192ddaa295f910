"""Type stubs of the Rust extension ``entrostat._core`` (checked by mypy.stubtest)."""

from collections.abc import Iterable
from typing import Any, final

import numpy as np
import numpy.typing as npt

__all__ = [
    "Counts",
    "NgramCounts",
    "TokenBytes",
    "TokenStats",
    "cs_divergence_samples",
    "cs_mutual_info",
    "divergence_of_rows",
    "entropy",
    "entropy_from_counts",
    "entropy_from_sparse_rows",
    "feature_mi",
    "float_field_entropy",
    "generalized_entropy_from_counts",
    "joint_entropies",
    "kl_divergence_knn",
    "kl_zhang_grabchak",
    "linear_cross_entropy",
    "logit_stats",
    "knn_entropy",
    "ksg_conditional_mutual_info",
    "ksg_mutual_info",
    "mixed_mutual_info",
    "ngram_entropy_pair",
    "num_threads",
    "prob_row_entropy",
    "renyi_entropy",
    "ross_mutual_info",
    "soft_cross_entropy",
    "text_sizes_batch",
    "tsallis_entropy",
    "__version__",
]

__version__: str

def num_threads() -> int: ...
def entropy(
    x: npt.NDArray[np.integer[Any]], estimator: str = "plugin", n_bins: float | None = None
) -> tuple[float, float | None]: ...
def joint_entropies(
    xs: list[npt.NDArray[np.integer[Any]]], subsets: list[list[int]], estimator: str = "plugin"
) -> list[tuple[float, float | None]]: ...
def renyi_entropy(x: npt.NDArray[np.integer[Any]], alpha: float) -> float: ...
def tsallis_entropy(x: npt.NDArray[np.integer[Any]], q: float) -> float: ...
def entropy_from_counts(
    counts: npt.NDArray[np.float64] | npt.NDArray[np.int64] | npt.NDArray[np.uint64],
    estimator: str = "plugin",
    n_bins: float | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64] | None]: ...
def entropy_from_sparse_rows(
    data: npt.NDArray[np.float64] | npt.NDArray[np.int64] | npt.NDArray[np.uint64],
    indptr: npt.NDArray[np.int64],
    n_cols: int,
    estimator: str = "plugin",
    n_bins: float | None = None,
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64] | None]: ...
def generalized_entropy_from_counts(
    counts: npt.NDArray[np.float64], kind: str, order: float
) -> npt.NDArray[np.float64]: ...
def ngram_entropy_pair(
    seq: npt.NDArray[np.integer[Any]], order: int, estimator: str = "plugin"
) -> tuple[tuple[float, float | None], tuple[float, float | None]]: ...

@final
class Counts:
    def __new__(cls) -> Counts: ...
    def update(self, x: npt.NDArray[np.integer[Any]]) -> None: ...
    def merge(self, other: Counts) -> None: ...
    @property
    def n(self) -> int: ...
    @property
    def support(self) -> int: ...
    @property
    def domain(self) -> str | None: ...
    def entropy(
        self, estimator: str, n_bins: float | None = None
    ) -> tuple[float, float | None]: ...
    def count_vector(self) -> npt.NDArray[np.float64]: ...
    def items(self) -> tuple[npt.NDArray[np.integer[Any]], npt.NDArray[np.uint64]]: ...
    @staticmethod
    def from_items(
        values: npt.NDArray[np.integer[Any]], counts: npt.NDArray[np.uint64], domain: str | None
    ) -> Counts: ...
    def copy(self) -> Counts: ...

@final
class NgramCounts:
    def __new__(cls, order: int) -> NgramCounts: ...
    def update(self, x: npt.NDArray[np.integer[Any]]) -> None: ...
    def merge(self, other: NgramCounts) -> None: ...
    @property
    def order(self) -> int: ...
    @property
    def length(self) -> int: ...
    @property
    def n(self) -> int: ...
    @property
    def support(self) -> int: ...
    @property
    def sign_flags(self) -> int: ...
    @property
    def head(self) -> npt.NDArray[np.uint64]: ...
    @property
    def tail(self) -> npt.NDArray[np.uint64]: ...
    def entropies(
        self, estimator: str
    ) -> tuple[tuple[float, float | None], tuple[float, float | None]]: ...
    def items(self) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.uint64]]: ...
    @staticmethod
    def from_parts(
        order: int,
        ngrams: npt.NDArray[np.uint64],
        counts: npt.NDArray[np.uint64],
        head: list[int],
        tail: list[int],
        length: int,
        sign_flags: int,
    ) -> NgramCounts: ...
    def copy(self) -> NgramCounts: ...

@final
class TokenStats:
    def __new__(cls, max_order: int) -> TokenStats: ...
    def update(
        self,
        ids: npt.NDArray[np.integer[Any]],
        starts: npt.NDArray[np.uint64],
        vocab_size: int | None = None,
    ) -> None: ...
    def merge(self, other: TokenStats) -> None: ...
    @property
    def max_order(self) -> int: ...
    @property
    def n_tokens(self) -> int: ...
    @property
    def n_documents(self) -> int: ...
    @property
    def max_id(self) -> int | None: ...
    def summary(
        self,
        estimator: str = "plugin",
        alpha: float = 2.5,
        shares: list[float] = ...,
        n_bins: float | None = None,
    ) -> dict[str, Any]: ...
    def copy(self) -> TokenStats: ...
    def state(self) -> dict[str, Any]: ...
    @staticmethod
    def from_state(state: dict[str, Any]) -> TokenStats: ...

def text_sizes_batch(texts: list[str]) -> tuple[int, int, int]: ...
@final
class TokenBytes:
    def __new__(cls, pieces: Iterable[bytes | None]) -> TokenBytes: ...
    def __len__(self) -> int: ...
    def spell_batch(
        self,
        texts: Iterable[str],
        ids: npt.NDArray[np.integer[Any]],
        offsets: npt.NDArray[np.integer[Any]],
    ) -> npt.NDArray[np.bool_]: ...

def divergence_of_rows(
    p: npt.NDArray[np.floating],
    q: npt.NDArray[np.floating],
    kind: str,
    alpha: float = 1.0,
    normalize: bool = True,
    tol: tuple[float, float] = ...,
) -> npt.NDArray[np.float64]: ...

def kl_zhang_grabchak(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> float: ...

def cs_divergence_samples(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    bandwidth: str | float,
    method: str = "exact",
    n_features: int = 2048,
    seed: int = 0,
) -> tuple[float, float]: ...
def cs_mutual_info(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    bandwidth: str | float,
) -> tuple[float, float, float]: ...

# k-NN estimators: float64 C-contiguous (n, d) arrays, prepared by knn.py (standardised
# and jittered where the estimator asks for it: kl_divergence_knn's inputs are neither,
# mixed and Ross MI get no jitter); Ross labels are 1-D int64, feature_mi's y is 1-D and
# its discrete columns are left raw.
def knn_entropy(x: npt.NDArray[np.float64], k: int, metric: str) -> float: ...
def ksg_mutual_info(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], k: int, variant: int
) -> float: ...
def ksg_conditional_mutual_info(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    z: npt.NDArray[np.float64],
    k: int,
) -> float: ...
def mixed_mutual_info(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], k: int
) -> float: ...
def ross_mutual_info(
    x: npt.NDArray[np.float64], labels: npt.NDArray[np.int64], k: int
) -> float: ...
def kl_divergence_knn(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], k: int, metric: str
) -> float: ...
def feature_mi(
    x: npt.NDArray[np.float64],
    y: npt.NDArray[np.float64],
    k: int,
    discrete_features: npt.NDArray[np.bool_],
    discrete_target: bool,
) -> npt.NDArray[np.float64]: ...

# Logit statistics: N-D arrays of any strides with the reduced axis last, results
# flattened to 1-D (logits.py reshapes them); fmt is "float64", "float32", or
# "bfloat16" / "float16" for uint16 bit patterns. float_field_entropy takes 1-D bit
# patterns (uint16 for "bfloat16" / "float16", uint32 for "float32");
# linear_cross_entropy takes 2-D float32 or float64 arrays and no fmt.
def logit_stats(
    logits: npt.NDArray[Any],
    fmt: str,
    targets: npt.NDArray[np.int64] | None = None,
    ignore_index: int = ...,
    temperature: float = 1.0,
    top_k: int | None = None,
    nan_policy: str = "raise",
) -> dict[str, npt.NDArray[Any]]: ...
def soft_cross_entropy(
    logits: npt.NDArray[Any],
    fmt: str,
    q: npt.NDArray[np.floating[Any]],
    temperature: float = 1.0,
    nan_policy: str = "raise",
) -> npt.NDArray[np.float64]: ...
def prob_row_entropy(weights: npt.NDArray[Any], fmt: str) -> npt.NDArray[np.float64]: ...
def linear_cross_entropy(
    hidden: npt.NDArray[np.floating[Any]],
    weight: npt.NDArray[np.floating[Any]],
    targets: npt.NDArray[np.int64] | None = None,
    ignore_index: int = ...,
    chunk: int = 4096,
) -> dict[str, npt.NDArray[np.float64]]: ...
def float_field_entropy(
    bits: npt.NDArray[np.unsignedinteger[Any]], fmt: str
) -> tuple[int, float, float, float, float]: ...
