r"""Divergences between discrete distributions, batched over rows.

Every function takes two arrays of probabilities or counts, broadcasts them against each
other as NumPy does, and reduces along ``axis`` (default the last): ``10^5`` rows of
``32 000`` entries in one call, no Python loop and no temporary of the full array. Rows
are normalised to sum to one (``normalize=True``, the default) or checked to do so.
Zero handling follows :func:`scipy.special.rel_entr`: a term with :math:`p_i = 0` is 0,
and :math:`p_i > 0` where :math:`q_i = 0` makes KL and cross-entropy infinite. Results
are float64 in nats unless ``base=`` is given. On continuous samples:
:func:`cs_divergence_samples` and :func:`cs_mutual_info` (Gaussian kernels), and
:func:`kl_divergence_knn` (k-nearest neighbours, Wang-Kulkarni-Verdu). Formulas and
references: ``docs/estimators.md``.
"""

from __future__ import annotations

from numbers import Real

import numpy as np

from . import _core
from . import _validate as check
from ._kernel import cs_divergence_samples, cs_mutual_info
from ._knn_divergence import kl_divergence_knn
from .discrete import Counts

__all__ = [
    "kl_divergence",
    "cross_entropy",
    "js_divergence",
    "js_distance",
    "renyi_divergence",
    "cs_divergence",
    "hellinger",
    "total_variation",
    "kl_divergence_labels",
    "js_divergence_labels",
    "cross_entropy_labels",
    "cs_divergence_samples",
    "cs_mutual_info",
    "kl_divergence_knn",
]

#: How far from 1 a row may sum with ``normalize=False``, by the dtype given (integers
#: sum exactly): about what rounding each value to that precision leaves in a sum.
SUM_TOLERANCE = {"f8": 1e-6, "f4": 1e-4, "f2": 1e-2}


def _float_array(a, name: str) -> tuple[np.ndarray, float]:
    """``(array as the core reads it, its SUM_TOLERANCE)``; the tolerance is that of the
    dtype given, as float16 is read as float32 and float32 beside float64 as float64."""
    arr = check.as_array(a, name, "probabilities or counts")
    tolerance = SUM_TOLERANCE.get(f"{arr.dtype.kind}{arr.dtype.itemsize}", 1e-6)
    return _as_float(arr, name), tolerance


def _as_float(arr: np.ndarray, name: str) -> np.ndarray:
    if arr.ndim == 0:
        raise ValueError(f"{name}: expected at least 1 dimension, got a scalar")
    if arr.dtype.kind in "iu":
        return arr.astype(np.float64)
    if arr.dtype == np.float16:
        return arr.astype(np.float32)
    if arr.dtype.kind != "f" or arr.dtype.itemsize > 8:
        raise TypeError(
            f"{name}: expected an array of probabilities or counts (float or integer), "
            f"got dtype {arr.dtype}"
        )
    return check.native_aligned(arr)


def _rowwise(p, q, kind: str, *, axis, normalize, alpha: float = 1.0) -> np.ndarray | np.float64:
    """The divergence of every pair of rows along ``axis``, in nats."""
    (pa, tol_p), (qa, tol_q) = _float_array(p, "p"), _float_array(q, "q")
    if pa.dtype != qa.dtype:  # float32 with float64: compute on float64
        pa, qa = pa.astype(np.float64), qa.astype(np.float64)
    try:
        pb, qb = np.broadcast_arrays(pa, qa)
    except ValueError:
        raise ValueError(
            f"p, q: shapes {pa.shape} and {qa.shape} cannot be broadcast together"
        ) from None
    axis = check.axis(axis, pb.ndim)
    pm, qm = np.moveaxis(pb, axis, -1), np.moveaxis(qb, axis, -1)
    normalize = check.flag(normalize, "normalize")
    k = pm.shape[-1]
    if k == 0:
        raise ValueError("p: rows along axis are empty")
    batch = pm.shape[:-1]
    rows = int(np.prod(batch, dtype=np.int64))
    if rows == 0:
        return np.empty(batch)
    # A view for 1-D and 2-D input (broadcast rows keep a zero stride); one copy only
    # when leading broadcast axes cannot be merged.
    p2, q2 = pm.reshape(rows, k), qm.reshape(rows, k)
    out = _core.divergence_of_rows(p2, q2, kind, alpha, bool(normalize),
                                   (tol_p, tol_q))
    return out[0] if not batch else out.reshape(batch)


def _in_base(value, base):
    return value / check.log_base(base)


def kl_divergence(p, q, *, axis: int = -1, normalize: bool = True, base: float | None = None):
    r"""Kullback-Leibler divergence of each row of ``p`` from the same row of ``q``.

    .. math:: D_{KL}(p \| q) = \sum_i p_i \log \frac{p_i}{q_i}

    Parameters
    ----------
    p, q : array_like
        Probabilities or counts (float32, float64 or integers), broadcast together.
    axis : int, default -1
        The axis holding the outcomes.
    normalize : bool, default True
        Normalise each row to sum to one; if False, rows must already sum to one
        (within 1e-6 for float64, 1e-4 for float32, 1e-2 for float16).
    base : float, optional
        Logarithm base (default e).

    Returns
    -------
    numpy.float64 for 1-D input, else a float64 array of the broadcast shape without
    ``axis``. ``inf`` where some :math:`p_i > 0` has :math:`q_i = 0`.

    Notes
    -----
    Equals ``scipy.stats.entropy(p, q, axis=axis)`` (normalised rows) and
    ``scipy.special.rel_entr(p, q).sum(axis)`` (rows that sum to one), computed in one
    pass per row pair with no temporary array.

    Examples
    --------
    >>> import numpy as np, entrostat as es
    >>> float(es.kl_divergence([0.5, 0.5], [0.25, 0.75], base=2))  # doctest: +ELLIPSIS
    0.2075...
    """
    return _in_base(_rowwise(p, q, "kl", axis=axis, normalize=normalize), base)


def cross_entropy(p, q, *, axis: int = -1, normalize: bool = True, base: float | None = None):
    r"""Cross-entropy :math:`H(p, q) = -\sum_i p_i \log q_i = H(p) + D_{KL}(p \| q)`.

    Arguments and result as :func:`kl_divergence`.
    """
    return _in_base(_rowwise(p, q, "cross_entropy", axis=axis, normalize=normalize), base)


def js_divergence(p, q, *, axis: int = -1, normalize: bool = True, base: float | None = None):
    r"""Jensen-Shannon divergence, symmetric and bounded by :math:`\log 2`.

    .. math:: JS(p, q) = \tfrac12 D_{KL}(p \| m) + \tfrac12 D_{KL}(q \| m),
       \quad m = \tfrac12 (p + q)

    Arguments and result as :func:`kl_divergence`; always finite.
    """
    return _in_base(_rowwise(p, q, "js", axis=axis, normalize=normalize), base)


def js_distance(p, q, *, axis: int = -1, normalize: bool = True, base: float | None = None):
    r"""Jensen-Shannon distance :math:`\sqrt{JS(p, q)}`, a metric.

    As :func:`scipy.spatial.distance.jensenshannon` (the divergence is taken in ``base``
    before the square root). Arguments as :func:`kl_divergence`.
    """
    return np.sqrt(js_divergence(p, q, axis=axis, normalize=normalize, base=base))


def renyi_divergence(p, q, alpha: float, *, axis: int = -1, normalize: bool = True,
                     base: float | None = None):
    r"""Rényi divergence of order :math:`\alpha \ge 0`.

    .. math:: D_\alpha(p \| q) = \frac{1}{\alpha - 1} \log \sum_i p_i^\alpha q_i^{1-\alpha}

    :math:`\alpha = 1` is the KL divergence, :math:`\alpha = 0` is
    :math:`-\log \sum_{i: p_i > 0} q_i`, :math:`\alpha = \infty` is
    :math:`\log \max_i p_i / q_i`, all exact. Non-decreasing in :math:`\alpha`.
    Arguments and result as :func:`kl_divergence`.

    References
    ----------
    T. van Erven and P. Harremoës, "Rényi divergence and Kullback-Leibler divergence",
    IEEE Trans. Inf. Theory 60(7), 2014.
    """
    a = check.order_param(alpha, "alpha")
    return _in_base(_rowwise(p, q, "renyi", axis=axis, normalize=normalize, alpha=a), base)


def cs_divergence(p, q, *, axis: int = -1, normalize: bool = True, base: float | None = None):
    r"""Cauchy-Schwarz divergence, symmetric, :math:`\ge 0`, zero iff :math:`p = q`.

    .. math:: D_{CS}(p \| q) = -\log \frac{(\sum_i p_i q_i)^2}{\sum_i p_i^2 \sum_i q_i^2}

    Invariant to scaling either row, so normalising does not change it (``normalize=False``
    still checks that rows sum to one). ``inf`` when the rows have disjoint supports.
    Arguments as :func:`kl_divergence`.

    References
    ----------
    J. C. Principe, *Information Theoretic Learning*, Springer, 2010, ch. 2.
    """
    return _in_base(_rowwise(p, q, "cs", axis=axis, normalize=normalize), base)


def hellinger(p, q, *, axis: int = -1, normalize: bool = True):
    r"""Hellinger distance, in [0, 1].

    .. math:: H(p, q) = \sqrt{\tfrac12 \sum_i (\sqrt{p_i} - \sqrt{q_i})^2}

    Arguments as :func:`kl_divergence` (no ``base``: not a logarithmic quantity).
    """
    return _rowwise(p, q, "hellinger", axis=axis, normalize=normalize)


def total_variation(p, q, *, axis: int = -1, normalize: bool = True):
    r"""Total variation distance :math:`\tfrac12 \sum_i |p_i - q_i|`, in [0, 1].

    Arguments as :func:`kl_divergence` (no ``base``).
    """
    return _rowwise(p, q, "total_variation", axis=axis, normalize=normalize)


def _counted(x, name: str) -> Counts:
    """A sample of labels as a histogram: a :class:`Counts` as it is, an array counted."""
    if isinstance(x, Counts):
        if x.n == 0:
            raise ValueError(f"{name}: expected a non-empty sample, got an empty Counts")
        return x
    return Counts(check.labels(x, name, max_ndim=1))


def _label_counts(x, y, pseudocount) -> tuple[np.ndarray, np.ndarray]:
    """Counts of two label samples over the union of their values, plus a pseudo-count."""
    cx, cy = _counted(x, "x"), _counted(y, "y")
    (vx, nx), (vy, ny) = cx.counts(), cy.counts()
    if isinstance(pseudocount, (bool, str, bytes)) or not isinstance(pseudocount, Real):
        raise TypeError(f"pseudocount: expected a number >= 0, got {type(pseudocount).__name__}")
    a = float(pseudocount)
    if not (a >= 0 and np.isfinite(a)):
        raise ValueError(f"pseudocount: expected a finite number >= 0, got {pseudocount!r}")
    # One exact integer domain for the union: int64 with uint64 would meet in float64,
    # where labels above 2^53 merge.
    vx, vy = _common_integers(vx, vy)
    values = np.union1d(vx, vy)
    px = np.zeros(values.size)
    py = np.zeros(values.size)
    px[np.searchsorted(values, vx)] = nx
    py[np.searchsorted(values, vy)] = ny
    return px + a, py + a


def _common_integers(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two label arrays in one integer dtype that holds both exactly (Python ints,
    as an object array, when one holds negatives and the other values >= 2^63)."""
    dtype = np.result_type(a, b)
    if dtype.kind in "iu":
        return a.astype(dtype), b.astype(dtype)
    return a.astype(object), b.astype(object)


def kl_divergence_labels(x, y, *, estimator: str = "plugin", pseudocount: float = 0.0,
                         base: float | None = None):
    r"""KL divergence :math:`D_{KL}(P_x \| P_y)` estimated from two samples of labels.

    Both samples are counted (``entrostat.Counts``, or given as such) over the union of
    their values.

    - ``estimator="plugin"``: ``pseudocount`` is added to every count of that shared
      alphabet (additive smoothing; 1 is Laplace's rule) and :func:`kl_divergence` is
      taken between the two histograms: ``inf`` when ``x`` holds a value absent from
      ``y`` and ``pseudocount`` is 0. Biased upwards for small samples.
    - ``estimator="zhang_grabchak"``: the estimator of Zhang and Grabchak (2014), with
      :math:`x_k, y_k` the counts and :math:`n, m` the sample sizes,

      .. math:: \hat D = \sum_k \frac{x_k}{n} \Big[\psi(m+1) - \psi(y_k+1)
         - \frac{[y_k = 0]}{m} - \psi(n) + \psi(x_k)\Big],

      the digamma form of their sums of products. Always finite, with a bias that
      decays exponentially in :math:`\min(n, m)` on a finite alphabet; takes no
      pseudo-count.

    Parameters
    ----------
    x, y : array_like of int, shape (n,) and (m,), or Counts
        Labels of any integer dtype: samples of P and of Q; or their histograms as
        :class:`entrostat.Counts`, counted chunk by chunk from data too large to hold.
    estimator : {"plugin", "zhang_grabchak"}, default "plugin"
    pseudocount : float, default 0
        Added to every count of the shared alphabet (plug-in only).
    base : float, optional
        Logarithm base (default e).

    References
    ----------
    Z. Zhang and M. Grabchak, "Nonparametric estimation of Küllback-Leibler divergence",
    Neural Computation 26(11):2570-2593, 2014.
    """
    if estimator not in ("plugin", "zhang_grabchak"):
        raise ValueError(
            f"estimator: expected 'plugin' or 'zhang_grabchak', got {estimator!r}"
        )
    px, py = _label_counts(x, y, pseudocount)
    if estimator == "plugin":
        return kl_divergence(px, py, base=base)
    if pseudocount != 0:
        raise ValueError("pseudocount: only the plugin estimator takes a pseudo-count")
    return np.float64(_core.kl_zhang_grabchak(px, py) / check.log_base(base))


def js_divergence_labels(x, y, *, pseudocount: float = 0.0, base: float | None = None):
    """Plug-in Jensen-Shannon divergence between two samples of labels.

    As :func:`kl_divergence_labels`, with :func:`js_divergence`.
    """
    px, py = _label_counts(x, y, pseudocount)
    return js_divergence(px, py, base=base)


def cross_entropy_labels(x, y, *, pseudocount: float = 0.0, base: float | None = None):
    """Plug-in cross-entropy of the label distribution of ``y`` under that of ``x``.

    As :func:`kl_divergence_labels`, with :func:`cross_entropy`.
    """
    px, py = _label_counts(x, y, pseudocount)
    return cross_entropy(px, py, base=base)
