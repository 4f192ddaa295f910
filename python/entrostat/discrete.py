"""Entropies of discrete data: labels, joint symbols, token streams and histograms.

Every function counts in the Rust core (dense tables for small label ranges, hash tables
otherwise, in parallel, with the GIL released) and returns NumPy floats in nats unless
``base`` is given. Given Dask arrays, the functions of labels return a ``dask.delayed``
result instead, counted block by block (``entrostat._dask``), and ``entropy_from_counts``
a lazy Dask array of the entropies of a batch of histograms (a ``dask.delayed`` for one
histogram); ``Counts.update`` and ``NgramCounts.update`` count a Dask array block by
block at once. Estimators and their references are listed in ``docs/estimators.md``.
"""

from __future__ import annotations

import math
from functools import partial

import numpy as np

from . import _core
from . import _validate as check
from ._dispatch import any_dask, is_dask
from ._results import Estimate, normal_interval

__all__ = [
    "entropy",
    "entropy_from_counts",
    "renyi_entropy",
    "tsallis_entropy",
    "joint_entropy",
    "conditional_entropy",
    "mutual_info",
    "conditional_mutual_info",
    "normalized_mutual_info",
    "block_entropy",
    "conditional_block_entropy",
    "Counts",
    "NgramCounts",
]

_NMI_METHODS = ("arithmetic", "geometric", "min", "max")


def _dask():
    """The Dask backend, imported (with dask) only when a Dask array comes."""
    from . import _dask

    return _dask


def _result(pair, unit: float, n: int, estimator: str):
    """NSB gives an Estimate with its posterior standard deviation; others a float64."""
    value, stderr = pair
    if estimator == "nsb":
        v, s = value / unit, stderr / unit
        return Estimate(value=v, stderr=s, ci=normal_interval(v, s), n=n)
    return np.float64(value / unit)


def entropy(x, *, estimator: str = "plugin", base: float | None = None, n_bins: int | None = None):
    r"""Shannon entropy of integer labels.

    .. math:: H(X) = -\sum_x p(x) \log p(x)

    estimated from the counts of the distinct values of ``x``.

    Parameters
    ----------
    x : array_like of int, shape (n,) or (n, d)
        Labels of any integer dtype (negative values allowed). A 2-D array is read as
        ``n`` joint symbols of ``d`` columns.
    estimator : {"plugin", "miller_madow", "grassberger", "chao_shen", "jackknife", \
"shrink", "nsb"}
        Plug-in (maximum likelihood) or a bias-corrected estimator; see
        ``docs/estimators.md``.
    base : float, optional
        Logarithm base; natural log (nats) by default, 2 for bits.
    n_bins : int, optional
        Alphabet size used by ``shrink`` and ``nsb``; defaults to the number of distinct
        observed symbols.

    Returns
    -------
    numpy.float64, or Estimate for ``estimator="nsb"`` (with its posterior standard
    deviation as ``stderr``).

    Examples
    --------
    >>> import numpy as np, entrostat as es
    >>> float(es.entropy(np.array([0, 1, 0, 1]), base=2))
    1.0
    """
    est = check.estimator(estimator)
    unit = check.log_base(base)
    if is_dask(x):
        return _dask().entropy(x, est, unit, check.n_bins(n_bins))
    arr = check.labels(x)
    return _result(_core.entropy(arr, est, check.n_bins(n_bins)), unit, arr.shape[0], est)


def entropy_from_counts(
    counts,
    *,
    estimator: str = "plugin",
    axis: int = -1,
    base: float | None = None,
    n_bins: int | None = None,
):
    r"""Entropy of histograms, batched over every axis but ``axis``.

    Parameters
    ----------
    counts : array_like, shape (..., K, ...), or SciPy sparse matrix / array
        Non-negative finite counts (zeros allowed). The plug-in estimator also takes
        unnormalised weights; every other estimator needs whole-number counts. A sparse
        matrix (e.g. a document-term matrix, shape (M, K)) is read as it is stored,
        never densified: its rows (``axis=-1``) or columns (``axis=0``), the entries not
        stored being zero bins (a 1-D sparse array is one histogram).
    estimator : str
        As in :func:`entropy`.
    axis : int
        Axis holding the bins.
    base : float, optional
        Logarithm base (default e).
    n_bins : int, optional
        Alphabet size for ``shrink`` / ``nsb``; default: the length of ``axis``.

    Returns
    -------
    numpy.float64 for 1-D input, else an array of the batch shape; for NSB an Estimate
    (1-D input) or a tuple ``(values, stderrs)`` of arrays.

    Notes
    -----
    int64, uint64 and float64 counts are read where they lie, without a copy (rows too short
    for the fingerprint path, under 256 bins or 4096 for the plug-in and Miller-Madow, are
    estimated on a float64 copy of the row); other integer types are widened to 64 bits,
    other float types to float64, as is an array whose bins are not the last contiguous
    axis, with one copy. A negative integer count is quoted exactly in the error.
    """
    est = check.estimator(estimator)
    unit = check.log_base(base)
    if is_dask(counts):
        check.n_bins(n_bins)
        return _dask().entropy_from_counts(counts, est, axis, base, n_bins)
    if check.is_scipy_sparse(counts):
        values, stderr, stored = _entropy_of_sparse(counts, est, axis, n_bins)
        batch = values.shape if counts.ndim == 2 else ()
    else:
        arr = check.counts(counts)
        moved = np.moveaxis(arr, check.axis(axis, arr.ndim), -1)
        batch = moved.shape[:-1]
        stored = np.ascontiguousarray(moved, dtype=_core_counts_dtype(arr.dtype))
        stored = stored.reshape(-1, moved.shape[-1])
        values, stderr = _core.entropy_from_counts(stored, est, check.n_bins(n_bins))
    values = values / unit
    if est == "nsb":
        stderr = stderr / unit
        if not batch:
            n = int(stored.sum())
            return Estimate(float(values[0]), float(stderr[0]),
                            normal_interval(float(values[0]), float(stderr[0])), n)
        return values.reshape(batch), stderr.reshape(batch)
    return values[0] if not batch else values.reshape(batch)


def _core_counts_dtype(dtype: np.dtype) -> type:
    """The dtype the core reads counts of ``dtype`` in: integers as 64-bit integers
    (np.bincount's int64 as it is), anything else as float64."""
    return {"i": np.int64, "u": np.uint64}.get(dtype.kind, np.float64)


def _entropy_of_sparse(counts, est: str, axis, n_bins):
    """Entropies of the rows (or columns) of a SciPy sparse count matrix, or of a 1-D
    sparse array, from its stored entries as CSR (CSC for columns; a matrix already in
    that form is not copied): (values, stderrs or None, the stored counts). Arguments
    are checked in the order of the dense path."""
    check.counts_dtype(counts.dtype)
    if 0 in counts.shape:
        raise ValueError("counts: must not be empty")
    along = check.axis(axis, counts.ndim) % counts.ndim
    k = check.n_bins(n_bins)
    # Histograms as the compressed rows of m (CSR), or its compressed columns (CSC).
    if counts.ndim == 1:
        m, bins = counts.reshape((1, counts.shape[0])).tocsr(), counts.shape[0]
    elif along == 1:
        m, bins = counts.tocsr(), counts.shape[1]
    else:
        m, bins = counts.tocsc(), counts.shape[0]
    if not m.has_canonical_format:
        # Duplicate entries of one cell are one bin: summed, never in the caller's matrix.
        if m is counts:
            m = m.copy()
        m.sum_duplicates()
    # SciPy allows data longer than the entries stored; the pointers end where they do.
    data = m.data[:m.indptr[-1]]
    data = np.ascontiguousarray(data, dtype=_core_counts_dtype(data.dtype))
    indptr = np.ascontiguousarray(m.indptr, dtype=np.int64)
    values, stderr = _core.entropy_from_sparse_rows(data.reshape(1, -1), indptr, bins, est, k)
    return values, stderr, data


def renyi_entropy(x, alpha: float, *, base: float | None = None):
    r"""Rényi entropy of order ``alpha`` of the empirical distribution of labels.

    .. math:: H_\alpha(X) = \frac{1}{1-\alpha} \log \sum_x p(x)^\alpha

    ``alpha = 0`` is the log of the support size (Hartley), ``alpha = 1`` Shannon and
    ``alpha = inf`` the min-entropy :math:`-\log \max_x p(x)`, each computed exactly.
    ``x`` is as in :func:`entropy`. Reference: Rényi (1961).
    """
    a = check.order_param(alpha, "alpha")
    unit = check.log_base(base)
    if is_dask(x):
        return _dask().generalized(x, "renyi", a, unit)
    return np.float64(_core.renyi_entropy(check.labels(x), a) / unit)


def tsallis_entropy(x, q: float):
    r"""Tsallis entropy of index ``q`` of the empirical distribution of labels.

    .. math:: S_q(X) = \frac{1 - \sum_x p(x)^q}{q - 1}

    ``q = 1`` gives the Shannon entropy in nats. The Tsallis entropy has no logarithm, so
    it takes no ``base``. Reference: Tsallis (1988).
    """
    qq = check.order_param(q, "q")
    if is_dask(x):
        return _dask().generalized(x, "tsallis", qq, 1.0)
    return np.float64(_core.tsallis_entropy(check.labels(x), qq))


def _terms(xs, names, subsets, est):
    arrays = [check.labels(x, nm) for x, nm in zip(xs, names, strict=True)]
    check.same_length(arrays, names)
    pairs = _core.joint_entropies(arrays, subsets, est)
    return [v for v, _ in pairs]


def _combined(xs, names, subsets, estimator, f):
    """``f`` of the entropies (nats) of the joint symbols of each subset of the arguments;
    with a Dask argument, a delayed ``f`` of delayed entropies."""
    est = check.estimator(estimator)
    if any_dask(*xs):
        dask_backend = _dask()
        return dask_backend.combine(f, *dask_backend.joint_terms(xs, names, subsets, est))
    return f(*_terms(xs, names, subsets, est))


def _scaled(unit: float, h: float) -> np.float64:
    return np.float64(h / unit)


def _difference(unit: float, hxy: float, hy: float) -> np.float64:
    return np.float64((hxy - hy) / unit)


def _mi(est: str, unit: float, hx: float, hy: float, hxy: float) -> np.float64:
    return np.float64(_plugin_clip(hx + hy - hxy, est) / unit)


def _cmi(est: str, unit: float, hxz: float, hyz: float, hxyz: float, hz: float) -> np.float64:
    return np.float64(_plugin_clip(hxz + hyz - hxyz - hz, est) / unit)


def joint_entropy(*xs, estimator: str = "plugin", base: float | None = None):
    r"""Joint entropy :math:`H(X_1, \dots, X_m)` of equal-length label arrays.

    Each argument is 1-D, or 2-D (n, d) meaning d columns. Rows across all arguments
    form the joint symbols.
    """
    if not xs:
        raise ValueError("xs: expected at least one array")
    names = [f"xs[{i}]" for i in range(len(xs))]
    unit = check.log_base(base)
    return _combined(xs, names, [list(range(len(xs)))], estimator, partial(_scaled, unit))


def conditional_entropy(x, given, *, estimator: str = "plugin", base: float | None = None):
    r"""Conditional entropy :math:`H(X \mid Y) = H(X, Y) - H(Y)`."""
    unit = check.log_base(base)
    return _combined([x, given], ["x", "given"], [[0, 1], [1]], estimator,
                     partial(_difference, unit))


def mutual_info(x, y, *, estimator: str = "plugin", base: float | None = None):
    r"""Mutual information :math:`I(X; Y) = H(X) + H(Y) - H(X, Y)`.

    With the plug-in estimator this equals ``sklearn.metrics.mutual_info_score`` (and,
    like it, rounding below zero is clipped to 0). Bias-corrected estimators are applied
    to every term, so their result can be slightly negative for independent variables.
    """
    unit = check.log_base(base)
    return _combined([x, y], ["x", "y"], [[0], [1], [0, 1]], estimator,
                     partial(_mi, estimator, unit))


def _plugin_clip(value: float, estimator: str) -> float:
    """Plug-in (conditional) mutual information is >= 0; sums of entropies can round to
    -1e-16, which is clipped as scikit-learn does."""
    return max(value, 0.0) if estimator == "plugin" else value


def conditional_mutual_info(x, y, given, *, estimator: str = "plugin", base: float | None = None):
    r"""Conditional mutual information

    .. math:: I(X; Y \mid Z) = H(X, Z) + H(Y, Z) - H(X, Y, Z) - H(Z).
    """
    unit = check.log_base(base)
    subsets = [[0, 2], [1, 2], [0, 1, 2], [2]]
    return _combined([x, y, given], ["x", "y", "given"], subsets, estimator,
                     partial(_cmi, estimator, unit))


def normalized_mutual_info(x, y, *, method: str = "arithmetic", estimator: str = "plugin"):
    r"""Normalised mutual information :math:`I(X;Y) / \mathrm{mean}(H(X), H(Y))`.

    ``method`` picks the mean as in ``sklearn.metrics.normalized_mutual_info_score``
    (``average_method``): "arithmetic", "geometric", "min" or "max" (Vinh, Epps and
    Bailey, 2010). As in scikit-learn, two constant labelings give 1.0 and zero mutual
    information gives 0.0. The result has no unit, so there is no ``base``.
    """
    if method not in _NMI_METHODS:
        raise ValueError(f"method: expected one of {', '.join(_NMI_METHODS)}, got {method!r}")
    est = check.estimator(estimator)
    if any_dask(x, y):
        return _dask().nmi([x, y], ["x", "y"], method, est)
    hx, hy, hxy = _terms([x, y], ["x", "y"], [[0], [1], [0, 1]], est)
    if estimator == "plugin":
        x_const, y_const = hx == 0.0, hy == 0.0
    else:
        x_const = _core.renyi_entropy(check.labels(x), 0.0) == 0.0
        y_const = _core.renyi_entropy(check.labels(y, "y"), 0.0) == 0.0
    return _nmi_of(hx, hy, hxy, x_const, y_const, method, estimator)


def _nmi_of(hx: float, hy: float, hxy: float, x_const: bool, y_const: bool, method: str,
            estimator: str) -> np.float64:
    """NMI from the three entropies and whether each labeling is constant."""
    if x_const and y_const:
        return np.float64(1.0)
    # A constant labeling shares no information: exactly 0, not a rounding residue.
    mi = 0.0 if (x_const or y_const) else _plugin_clip(hx + hy - hxy, estimator)
    if mi == 0.0:
        return np.float64(0.0)
    norm = {
        "arithmetic": (hx + hy) / 2.0,
        "geometric": math.sqrt(max(hx, 0.0) * max(hy, 0.0)),
        "min": min(hx, hy),
        "max": max(hx, hy),
    }[method]
    return np.float64(mi / max(norm, np.finfo(np.float64).eps))


def _ngram_args(order, estimator) -> tuple[int, str]:
    """The checked order and estimator (the estimator checked first)."""
    est = check.estimator(estimator)
    return check.positive_int(order, "order", high=8), est


def _dask_ngrams(seq, order, estimator, base, conditional: bool):
    """block_entropy / conditional_block_entropy of a Dask array (lazy)."""
    k, est = _ngram_args(order, estimator)
    check.log_base(base)
    run = _dask().conditional_block_entropy if conditional else _dask().block_entropy
    return run(seq, k, est, base)


def _ngram_pair(seq, order, estimator):
    k, est = _ngram_args(order, estimator)
    arr = check.labels(seq, "seq", max_ndim=1)
    if arr.shape[0] < k:
        raise ValueError(f"seq: a sequence of {arr.shape[0]} symbols has no n-gram of order {k}")
    return _core.ngram_entropy_pair(arr, k, est), arr.shape[0] - k + 1, est


def block_entropy(seq, order: int, *, estimator: str = "plugin", base: float | None = None):
    r"""Entropy of the overlapping n-grams (blocks) of length ``order`` of one sequence.

    .. math:: H_k = -\sum_{w \in V^k} p(w) \log p(w)

    over the :math:`n - k + 1` windows of ``seq``. Orders 1..8, vocabularies up to
    :math:`2^{64}`: n-grams are packed or hashed, never a dense :math:`V^k` table.
    """
    if is_dask(seq):
        return _dask_ngrams(seq, order, estimator, base, conditional=False)
    ((h, se), _), n, est = _ngram_pair(seq, order, estimator)
    return _result((h, se), check.log_base(base), n, est)


def conditional_block_entropy(seq, order: int, *, estimator: str = "plugin",
                              base: float | None = None):
    r"""Entropy of a symbol given the ``order - 1`` symbols before it.

    .. math:: h_k = H(x_t \mid x_{t-k+1}, \dots, x_{t-1}) = H_k - H'_{k-1}

    where :math:`H'_{k-1}` is the entropy of the (k-1)-prefixes of the same n - k + 1
    windows, so that with the plug-in estimator :math:`0 \le h_k \le H(x_t)` holds exactly,
    :math:`H(x_t)` being the entropy of the windows' last symbols. ``order = 1`` is the
    entropy of the symbols.
    """
    if is_dask(seq):
        return _dask_ngrams(seq, order, estimator, base, conditional=True)
    ((h, _), (hp, _)), _, _ = _ngram_pair(seq, order, estimator)
    return np.float64((h - hp) / check.log_base(base))


def _merge_chunk(mine, counted, name: str) -> None:
    """Merge the counts of a chunk counted elsewhere (a Dask array's), in place; an error
    names the chunk's argument, as ``update`` does, not the merge's ``other``."""
    try:
        mine.merge(counted)
    except ValueError as err:
        message = str(err)
        if message.startswith("other: "):
            message = f"{name}: " + message[len("other: "):]
        raise ValueError(message) from None


class Counts:
    """A streaming, mergeable, picklable histogram of integer labels.

    Counting chunk by chunk (``update``) or merging histograms built elsewhere (``merge``,
    ``+``, or ``+=`` in place) gives exactly the counts of the concatenated data. Storage
    is a dense table while the label range is small and a hash table otherwise, chosen
    automatically.

    Parameters
    ----------
    x : array_like of int, optional
        A first chunk of labels.

    Examples
    --------
    >>> import numpy as np, entrostat as es
    >>> c = es.Counts(np.array([1, 2, 2])) + es.Counts(np.array([3]))
    >>> c.n, c.support
    (4, 3)
    """

    __slots__ = ("_inner",)

    def __init__(self, x=None):
        self._inner = _core.Counts()
        if x is not None:
            self.update(x)

    def update(self, x) -> Counts:
        """Count a chunk of 1-D labels in place; returns ``self``. An empty chunk (``[]``
        or an empty array of any numeric dtype) changes nothing. A Dask array is counted
        block by block on its scheduler (never gathered whole), then added."""
        if is_dask(x):
            if x.size != 0:  # (nan, not 0, while chunk sizes are unknown)
                _merge_chunk(self._inner, _dask().counts_of(x, "x").compute()._inner, "x")
            return self
        arr = check.chunk(x, "x")
        if arr is not None:
            self._inner.update(arr)
        return self

    def merge(self, other: Counts) -> Counts:
        """A new histogram holding the counts of both."""
        if not isinstance(other, Counts):
            raise TypeError(f"other: expected Counts, got {type(other).__name__}")
        out = Counts()
        out._inner = self._inner.copy()
        out._inner.merge(other._inner)
        return out

    def __add__(self, other):
        if not isinstance(other, Counts):
            return NotImplemented
        return self.merge(other)

    def __iadd__(self, other):
        """``a += b``: add ``b``'s counts into ``a`` in place (no copy of ``a``); on a
        domain error ``a`` is left unchanged."""
        if not isinstance(other, Counts):
            return NotImplemented
        self._inner.merge(other._inner.copy() if other is self else other._inner)
        return self

    @property
    def n(self) -> int:
        """Number of labels counted."""
        return self._inner.n

    @property
    def support(self) -> int:
        """Number of distinct labels seen."""
        return self._inner.support

    def counts(self):
        """``(values, counts)``: the distinct labels (sorted) and how often each occurred."""
        return self._inner.items()

    def entropy(self, *, estimator: str = "plugin", base: float | None = None,
                n_bins: int | None = None):
        """Shannon entropy of the counted labels (as :func:`entropy`)."""
        est = check.estimator(estimator)
        unit = check.log_base(base)
        if self.n == 0:
            raise ValueError("counts: nothing has been counted yet")
        return _result(self._inner.entropy(est, check.n_bins(n_bins)), unit, self.n, est)

    def renyi_entropy(self, alpha: float, *, base: float | None = None):
        """Rényi entropy of order ``alpha`` (as :func:`renyi_entropy`)."""
        a = check.order_param(alpha, "alpha")
        unit = check.log_base(base)
        vec = self._inner.count_vector().reshape(1, -1)
        return np.float64(_core.generalized_entropy_from_counts(vec, "renyi", a)[0] / unit)

    def tsallis_entropy(self, q: float):
        """Tsallis entropy of index ``q`` (as :func:`tsallis_entropy`)."""
        qq = check.order_param(q, "q")
        vec = self._inner.count_vector().reshape(1, -1)
        return np.float64(_core.generalized_entropy_from_counts(vec, "tsallis", qq)[0])

    def __eq__(self, other):
        if not isinstance(other, Counts):
            return NotImplemented
        (va, ca), (vb, cb) = self.counts(), other.counts()
        return np.array_equal(va, vb) and np.array_equal(ca, cb)

    __hash__ = None  # mutable

    def __getstate__(self):
        values, counts = self.counts()
        return {"values": values, "counts": counts, "domain": self._inner.domain}

    def __setstate__(self, state):
        self._inner = _core.Counts.from_items(state["values"], state["counts"], state["domain"])

    def __repr__(self) -> str:
        return f"Counts(n={self.n}, support={self.support})"


class NgramCounts:
    """Streaming, mergeable, picklable counts of the n-grams of order ``order``.

    ``update`` appends a chunk of the stream: n-grams that cross chunk boundaries are
    counted, so chunked counting equals counting the whole stream. ``a + b`` counts the
    stream of ``a`` followed by the stream of ``b`` (the seam's n-grams included); ``a += b``
    appends in place.

    Parameters
    ----------
    order : int
        N-gram length, 1..8.
    seq : array_like of int, optional
        A first chunk of the stream.
    """

    __slots__ = ("_inner",)

    def __init__(self, order: int, seq=None):
        self._inner = _core.NgramCounts(check.positive_int(order, "order", high=8))
        if seq is not None:
            self.update(seq)

    def update(self, seq) -> NgramCounts:
        """Append a chunk of 1-D labels to the stream; returns ``self``. An empty chunk
        (``[]`` or an empty array of any numeric dtype) changes nothing. A Dask array is
        counted block by block on its scheduler (seams included), then appended."""
        if is_dask(seq):
            if seq.size != 0:
                counted = _dask().ngram_counts(seq, self.order, min_length=0).compute()
                _merge_chunk(self._inner, counted._inner, "seq")
            return self
        arr = check.chunk(seq, "seq")
        if arr is not None:
            self._inner.update(arr)
        return self

    def merge(self, other: NgramCounts) -> NgramCounts:
        """Counts of this stream followed by ``other``'s stream (a new object)."""
        if not isinstance(other, NgramCounts):
            raise TypeError(f"other: expected NgramCounts, got {type(other).__name__}")
        if other.order != self.order:
            raise ValueError(f"other: expected order {self.order}, got order {other.order}")
        out = NgramCounts(self.order)
        out._inner = self._inner.copy()
        out._inner.merge(other._inner)
        return out

    def __add__(self, other):
        if not isinstance(other, NgramCounts):
            return NotImplemented
        return self.merge(other)

    def __iadd__(self, other):
        """``a += b``: append ``b``'s stream to ``a`` in place (no copy of ``a``)."""
        if not isinstance(other, NgramCounts):
            return NotImplemented
        if other.order != self.order:
            raise ValueError(f"other: expected order {self.order}, got order {other.order}")
        self._inner.merge(other._inner.copy() if other is self else other._inner)
        return self

    @property
    def order(self) -> int:
        return self._inner.order

    @property
    def n(self) -> int:
        """Number of n-gram windows counted."""
        return self._inner.n

    @property
    def length(self) -> int:
        """Number of symbols seen."""
        return self._inner.length

    @property
    def support(self) -> int:
        """Number of distinct n-grams seen."""
        return self._inner.support

    def counts(self):
        """``(ngrams, counts)``: an (support, order) array of n-grams (sorted) and counts.

        Symbols are given as uint64 two's-complement patterns (negative labels appear as
        large values; ``.view(np.int64)`` recovers them).
        """
        return self._inner.items()

    def entropy(self, *, estimator: str = "plugin", base: float | None = None):
        """Block entropy of the counted n-grams (as :func:`block_entropy`)."""
        est = check.estimator(estimator)
        unit = check.log_base(base)
        block, _ = self._inner.entropies(est)
        return _result(block, unit, self.n, est)

    def conditional_entropy(self, *, estimator: str = "plugin", base: float | None = None):
        """Entropy of the last symbol given the others (as :func:`conditional_block_entropy`)."""
        if self.order == 1:  # no context: the entropy itself
            return np.float64(float(self.entropy(estimator=estimator, base=base)))
        est = check.estimator(estimator)
        unit = check.log_base(base)
        (h, _), (hp, _) = self._inner.entropies(est)
        return np.float64((h - hp) / unit)

    def __eq__(self, other):
        if not isinstance(other, NgramCounts):
            return NotImplemented
        (ga, ca), (gb, cb) = self.counts(), other.counts()
        return (self.order == other.order and self.length == other.length
                and np.array_equal(ga, gb) and np.array_equal(ca, cb))

    __hash__ = None  # mutable

    def __getstate__(self):
        grams, counts = self.counts()
        return {"order": self.order, "ngrams": grams, "counts": counts,
                "head": self._inner.head.tolist(), "tail": self._inner.tail.tolist(),
                "length": self.length, "sign_flags": self._inner.sign_flags}

    def __setstate__(self, state):
        self._inner = _core.NgramCounts.from_parts(
            state["order"], state["ngrams"], state["counts"], state["head"], state["tail"],
            state["length"], state.get("sign_flags", 0),
        )

    def __repr__(self) -> str:
        return f"NgramCounts(order={self.order}, n={self.n}, support={self.support})"
