r"""k-nearest-neighbour estimators for continuous and mixed samples.

Differential entropy (Kozachenko-Leonenko), mutual information (Kraskov-Stoegbauer-
Grassberger), conditional mutual information (Frenzel-Pompe), transfer entropy, mutual
information of discrete-continuous mixtures (Gao-Kannan-Oh-Viswanath) and of a continuous
variable with class labels (Ross), and per-feature mutual information in the manner of
scikit-learn's ``mutual_info_regression`` / ``mutual_info_classif``. The k-NN searches,
counts and digamma sums run in the Rust core, in parallel, with the GIL released. The
Wang-Kulkarni-Verdu estimator of the KL divergence between two samples is
:func:`entrostat.divergence.kl_divergence_knn`.

Every estimator returns an :class:`entrostat.Estimate` in nats (``base=`` divides by
:math:`\log(\text{base})`); :func:`feature_mi` returns an array.

Preparation of the data, in this order:

1. checks: real-valued 1-D ``(n,)`` or 2-D ``(n, d)`` arrays (1-D is one column), finite,
   at least two rows, equal row counts, no constant column where the estimator assumes a
   density, and ``1 <= k < n``;
2. ``standardize=True`` divides each column by its standard deviation (``ddof=0``), so that
   the max-norm weighs the coordinates alike. Mutual information does not change under
   rescaling of a coordinate; for entropy, :math:`\sum_j \log s_j` is added back
   (:math:`h(aX) = h(X) + \log|a|`);
3. ``jitter > 0`` adds ``jitter * s * N(0, 1)`` noise, ``s`` the larger of the column's
   standard deviation and its mean absolute value (so that the noise survives rounding
   where values sit far from 0; scikit-learn takes ``max(1, mean |x|)`` of the
   standardised column), drawn from
   ``numpy.random.default_rng(seed)`` argument by argument (x, then y, then z), which breaks
   ties between repeated values as Kraskov et al. recommend. Without it (``jitter=0``),
   the mutual-information estimators that count points strictly inside the k-th
   neighbour distance (KSG, conditional MI, transfer entropy, and Ross's for class
   labels, which has no jitter) refuse data in which a point has k or more exact copies
   (a ``ValueError``): that distance is 0 there and the estimate would not depend on the
   data. Entropy and KL divergence handle such ties as their Notes say; Gao's mixed
   estimator takes repeated values as information.

Uncertainty, optional and seeded:

* ``ci=level`` gives a standard error and a normal interval by the disjoint-subsample
  scheme of Holmes & Nemenman [7]_: 5 random splittings of the rows into 4 equal parts
  (``n % 4`` rows left out of each), the estimator on each part, and
  :math:`\widehat{\mathrm{Var}}(\hat I_n) = \frac14 \cdot \frac15\sum_{s=1}^{5}
  \mathrm{Var}_s(\hat I_{n/4})`, the sample variance (``ddof=1``) of the four part
  estimates averaged over splittings and scaled by :math:`1/4` since the variance of these
  estimators falls as :math:`1/n`. Needs ``n // 4 > k``.
* ``permutations=N`` gives a permutation p-value
  :math:`p = (1 + \#\{b : \hat I^{(b)} \ge \hat I\}) / (N + 1)`, where the
  :math:`\hat I^{(b)}` are the estimates after a random permutation of the rows of one
  argument (which one is said by each function), on the same prepared data.

The splittings use ``default_rng([seed, 1])`` and the permutations ``default_rng([seed,
2])``; equal seeds give equal results, whatever the number of threads.

References
----------
.. [1] L. F. Kozachenko, N. N. Leonenko, "Sample estimate of the entropy of a random
   vector", *Problems of Information Transmission* 23 (2), 95-101, 1987.
.. [2] A. Kraskov, H. Stoegbauer, P. Grassberger, "Estimating mutual information",
   *Physical Review E* 69, 066138, 2004.
.. [3] S. Frenzel, B. Pompe, "Partial mutual information for coupling analysis of
   multivariate time series", *Physical Review Letters* 99, 204101, 2007.
.. [4] W. Gao, S. Kannan, S. Oh, P. Viswanath, "Estimating mutual information for
   discrete-continuous mixtures", *NeurIPS* 2017.
.. [5] B. C. Ross, "Mutual information between discrete and continuous data sets",
   *PLoS ONE* 9 (2), e87357, 2014.
.. [6] T. Schreiber, "Measuring information transfer", *Physical Review Letters* 85,
   461-464, 2000.
.. [7] C. M. Holmes, I. Nemenman, "Estimation of mutual information for real-valued data
   with error bars and controlled bias", *Physical Review E* 100, 022404, 2019.
"""

from __future__ import annotations

import dataclasses
import math
from numbers import Real

import numpy as np

from . import _core
from . import _scaling as scaling
from . import _validate as check
from ._results import Estimate, normal_interval

__all__ = [
    "differential_entropy",
    "mutual_info",
    "conditional_mutual_info",
    "mutual_info_mixed",
    "transfer_entropy",
    "feature_mi",
]

#: Accepted ``metric=`` names and the core's name for each.
_METRICS = {"euclidean": "euclidean", "max": "max", "chebyshev": "max"}
#: ``method=`` of :func:`mutual_info` and the KSG variant number.
_KSG_METHODS = {"ksg1": 1, "ksg2": 2}
_MIXED_METHODS = ("gao", "ross")
#: Holmes-Nemenman subsampling: number of random splittings, parts per splitting.
_SPLITTINGS = 5
_PARTS = 4


# ------------------------------------------------------------------------ argument checks


def _samples(a, name: str, *, allow_bool: bool = False, min_rows: int = 2) -> np.ndarray:
    """A finite float64 copy of shape (n, d), C-contiguous; 1-D input is one column."""
    arr = check.as_array(a, name, "real numbers")
    kinds = "fiub" if allow_bool else "fiu"
    if arr.dtype.kind not in kinds:
        what = "real numbers" if allow_bool else "real numbers (float or integer)"
        raise TypeError(f"{name}: expected an array of {what}, got dtype {arr.dtype}")
    if arr.ndim == 0:
        raise ValueError(f"{name}: expected a 1-D (n,) or 2-D (n, d) array, got a scalar")
    if arr.ndim > 2:
        raise ValueError(
            f"{name}: expected a 1-D (n,) or 2-D (n, d) array, got {arr.ndim} dimensions "
            f"(shape {arr.shape})"
        )
    if arr.shape[0] == 0:
        raise ValueError(f"{name}: must not be empty")
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    if arr.shape[1] == 0:
        raise ValueError(f"{name}: expected at least 1 column, got 0")
    if arr.shape[0] < min_rows:
        raise ValueError(
            f"{name}: expected at least {min_rows} samples (rows), got {arr.shape[0]}"
        )
    out = np.array(arr, dtype=np.float64, order="C", copy=True)
    bad = ~np.isfinite(out)
    if bad.any():
        row, col = np.argwhere(bad)[0]
        raise ValueError(
            f"{name}: contains NaN or infinity (first at row {row}, column {col}); "
            "remove or impute those samples"
        )
    return out


def _no_constant_column(arr: np.ndarray, name: str) -> None:
    constant = np.flatnonzero(np.all(arr == arr[0], axis=0))
    if constant.size:
        j = int(constant[0])
        raise ValueError(
            f"{name}: column {j} is constant (every value is {arr[0, j]!r}); a continuous "
            "k-NN estimator needs every column to vary (drop constant columns)"
        )


def _same_rows(arrays, names) -> None:
    check.same_length(arrays, names)


def _neighbours(k, n: int, samples: str | None = None) -> int:
    """k checked against the n samples; ``samples`` describes them where more than their
    number sets n (``transfer_entropy``: the embedding)."""
    k = check.positive_int(k, "k")
    if k >= n:
        what = samples or f"{n} samples"
        raise ValueError(f"k: expected an integer in 1..{n - 1} (fewer than the {what}), got {k}")
    return k


def _jitter(value) -> float:
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"jitter: expected a real number >= 0, got {type(value).__name__}")
    v = float(value)
    if not (math.isfinite(v) and v >= 0):
        raise ValueError(f"jitter: expected a finite number >= 0, got {value!r}")
    return v


def _seed(value) -> int:
    return check.positive_int(value, "seed", low=0, high=2**64 - 1)


def _level(value) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(
            f"ci: expected None or a confidence level in (0, 1), got {type(value).__name__}"
        )
    v = float(value)
    # 0.5 + v / 2 must stay below 1 for the normal quantile (v = 1 - 2^-53 rounds to 1).
    if not 0.0 < v < 1.0 or 0.5 + v / 2.0 >= 1.0:
        raise ValueError(f"ci: expected a confidence level in (0, 1) such as 0.95, got {value!r}")
    return v


def _permutations(value) -> int:
    return check.positive_int(value, "permutations", low=0)


def _metric(value) -> str:
    if not isinstance(value, str) or value not in _METRICS:
        raise ValueError(f"metric: expected 'euclidean' or 'max' ('chebyshev'), got {value!r}")
    return _METRICS[value]


def _class_labels(y, name: str) -> np.ndarray:
    """Class labels of any sortable dtype as int64 codes 0..c-1, shape (n,)."""
    arr = check.as_array(y, name, "class labels")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of class labels, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name}: must not be empty")
    if arr.dtype.kind == "c" or arr.dtype.kind in "mMV":
        raise TypeError(
            f"{name}: expected class labels (integers or strings), got dtype {arr.dtype}"
        )
    if arr.dtype.kind == "f":
        if not np.isfinite(arr).all():
            raise ValueError(f"{name}: class labels contain NaN or infinity")
        if np.any(arr != np.round(arr)):
            raise ValueError(
                f"{name}: expected class labels, got non-integer floats; for a continuous "
                "target use mutual_info or method='gao'"
            )
    try:
        _, codes = np.unique(arr, return_inverse=True)
    except TypeError:
        raise TypeError(f"{name}: class labels must be mutually comparable values") from None
    return np.ascontiguousarray(codes.reshape(-1), dtype=np.int64)


# ------------------------------------------------------------------------ data preparation


def _prepare(arr: np.ndarray, standardize: bool, jitter: float, rng) -> float:
    """Standardise and jitter ``arr`` in place; return the sum of the log scale factors."""
    spread = _spread(arr)
    varying = spread > 0
    log_scale = 0.0
    if standardize:
        arr /= np.where(varying, spread, 1.0)
        log_scale = float(np.sum(np.log(spread[varying])))
        # A standardised column has spread 1 (0 if it was constant).
        spread = varying.astype(np.float64)
    if jitter > 0:
        # Relative to the column's spread, or to its magnitude where values sit far from 0
        # (1e7 + integers: noise of 1e-10 times the spread would round away and leave
        # the ties), as scikit-learn's max(1, mean |x|) of the standardised column.
        size = np.where(varying, np.maximum(spread, np.mean(np.abs(arr), axis=0)), 0.0)
        noise = rng.standard_normal(arr.shape)
        noise *= jitter * size
        arr += noise
    return log_scale


def _spread(arr: np.ndarray) -> np.ndarray:
    """Standard deviation (ddof=0) of each column of ``arr``, also where squaring the
    values would overflow (above ~1e154) or underflow (below ~1e-154): such columns are
    measured on a copy scaled by an exact power of two."""
    exponent = scaling.magnitude_exponent(np.maximum(arr.max(axis=0), -arr.min(axis=0)))
    if not exponent.any():
        return arr.std(axis=0)
    return np.ldexp(np.ldexp(arr, -exponent).std(axis=0), exponent)


def _power_of_two_scale(*arrays: np.ndarray) -> float:
    """Where their largest magnitude lies outside [2^-450, 2^450], scale the arrays in
    place by one power of two (exact) that brings it into [0.5, 1), so that squared
    Euclidean distances neither overflow nor underflow; return the log of the factor
    removed (d log c: what an entropy loses). Ratios of distances, hence KL divergences,
    do not change. Safe data are left alone: scaling would flush values more than 2^1022
    below the largest to subnormals or zero (new copies)."""
    exponent = int(scaling.magnitude_exponent(max(float(np.abs(a).max()) for a in arrays)))
    if exponent == 0:
        return 0.0
    for a in arrays:
        # ldexp of the data, not a product with 2^-e: that factor overflows when the
        # data are subnormal (e below -1023).
        np.ldexp(a, -exponent, out=a)
    return arrays[0].shape[1] * exponent * math.log(2.0)


def _estimate(fn, arrays, *, k: int, level, permutations: int, permute: int,
              seed: int, unit: float, offset: float = 0.0) -> Estimate:
    """Run ``fn(*arrays)`` (nats) and wrap it, with optional interval and p-value."""
    n = arrays[0].shape[0]
    observed = fn(*arrays)
    stderr = math.nan
    if level is not None:
        stderr = _subsample_stderr(fn, arrays, k, seed)
    pvalue = None
    if permutations:
        rng = np.random.default_rng([seed, 2])
        hits = 0
        for _ in range(permutations):
            shuffled = list(arrays)
            shuffled[permute] = arrays[permute][rng.permutation(n)]
            if fn(*shuffled) >= observed:
                hits += 1
        pvalue = (1 + hits) / (permutations + 1)
    value = (observed + offset) / unit
    stderr /= unit
    interval = normal_interval(value, stderr, level) if level is not None else (math.nan,
                                                                               math.nan)
    return Estimate(value=value, stderr=stderr, ci=interval, n=n, pvalue=pvalue)


def _subsample_stderr(fn, arrays, k: int, seed: int) -> float:
    """Holmes-Nemenman standard error from disjoint quarters of the rows."""
    n = arrays[0].shape[0]
    m = n // _PARTS
    if m <= k:
        raise ValueError(
            f"ci: the subsample interval splits the {n} samples into {_PARTS} parts of {m}, "
            f"and each needs more than k = {k} samples; use ci=None, a smaller k or more "
            f"samples (at least {_PARTS * (k + 1)})"
        )
    rng = np.random.default_rng([seed, 1])
    variances = []
    for _ in range(_SPLITTINGS):
        order = rng.permutation(n)[: _PARTS * m].reshape(_PARTS, m)
        order.sort(axis=1)
        try:
            parts = [fn(*(a[idx] for a in arrays)) for idx in order]
        except ValueError as err:  # the whole sample passed: a quarter of it did not
            raise ValueError(
                f"ci: the subsample interval estimates on quarters of {m} samples, and one "
                f"failed ({err}); use ci=None, jitter > 0 or more samples"
            ) from None
        variances.append(np.var(parts, ddof=1))
    return math.sqrt(float(np.mean(variances)) / _PARTS)


def _common(k, n, standardize, jitter, seed, ci, permutations, base, samples=None):
    """Check the arguments every estimator shares (after the data); ``samples`` as in
    ``_neighbours``."""
    return (
        _neighbours(k, n, samples),
        check.flag(standardize, "standardize"),
        _jitter(jitter),
        _seed(seed),
        _level(ci),
        _permutations(permutations),
        check.log_base(base),
    )


# ------------------------------------------------------------------------ estimators


def differential_entropy(
    x,
    k: int = 3,
    *,
    metric: str = "euclidean",
    standardize: bool = True,
    jitter: float = 1e-10,
    seed: int = 0,
    ci: float | None = None,
    base: float | None = None,
) -> Estimate:
    r"""Differential entropy of a continuous sample, Kozachenko-Leonenko estimator.

    .. math::

        \hat h(X) = \psi(n) - \psi(k) + \log V_d + \frac{d}{n}\sum_{i=1}^{n} \log r_i

    where :math:`r_i` is the distance from :math:`x_i` to its k-th nearest neighbour
    among the other points, :math:`V_d` the volume of the unit ball of the metric
    (:math:`\pi^{d/2}/\Gamma(d/2 + 1)` for ``"euclidean"``, :math:`2^d` for ``"max"``) and
    :math:`\psi` the digamma function [1]_ [2]_. It estimates
    :math:`h(X) = -\int p(x) \log p(x)\,dx`, which may be negative.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)
        Samples of a d-dimensional continuous variable, one per row (float or integer
        dtype).
    k : int, default 3
        Number of neighbours, ``1 <= k < n``. Small k: less bias, more variance.
    metric : {"euclidean", "max"}, default "euclidean"
        Distance between points; ``"chebyshev"`` is another name for ``"max"``.
    standardize : bool, default True
        Divide each column by its standard deviation before the search and add
        :math:`\sum_j \log s_j` back, which is exact for the true entropy.
    jitter : float, default 1e-10
        Relative size of the Gaussian noise added to each column to break ties.
        Repeated points (zero k-NN distance) are handled without it too: the radius is
        then the nearest positive distance and :math:`k` the number of points within it.
    seed : int, default 0
        Seed of the jitter and of the subsample splittings.
    ci : float, optional
        Confidence level of the Holmes-Nemenman interval (see the module notes), e.g.
        0.95; needs ``n // 4 > k``.
    base : float, optional
        Logarithm base; natural log (nats) by default.

    Returns
    -------
    Estimate
        ``value`` and, with ``ci``, ``stderr`` and ``ci``; ``n`` the number of samples.

    Raises
    ------
    ValueError
        For a 3-D (or deeper) or empty array, fewer than 2 samples, NaN or infinity, a
        constant column, ``k`` outside ``1..n-1``, an unknown ``metric``, or ``ci``
        outside (0, 1).
    TypeError
        For non-numeric data or arguments of the wrong type.

    Notes
    -----
    The estimator is consistent for any fixed k; its bias shrinks like
    :math:`O(n^{-1/d})` for smooth densities and is small for Gaussians at moderate n.
    With tied points the exact definition is
    :math:`\psi(n) + \log V_d + \frac1n\sum_i [d \log r_i - \psi(k_i)]` with
    :math:`(r_i, k_i)` as described under ``jitter``.

    Examples
    --------
    >>> import numpy as np, entrostat as es
    >>> x = np.random.default_rng(0).normal(size=(2000, 2))
    >>> h = es.differential_entropy(x, ci=0.95)
    >>> print(f"{h.value:.3f} +- {h.stderr:.3f}; exact {np.log(2 * np.pi * np.e):.3f}")
    2.832 +- 0.0... exact 2.838
    """
    xs = _samples(x, "x")
    n = xs.shape[0]
    metric_ = _metric(metric)
    _no_constant_column(xs, "x")
    k, std, jit, s, level, _, unit = _common(k, n, standardize, jitter, seed, ci, 0, base)
    # Unstandardised data of huge or tiny magnitude: squared distances would overflow.
    offset = 0.0 if std else _power_of_two_scale(xs)
    offset += _prepare(xs, std, jit, np.random.default_rng(s))

    def fn(a):
        return _core.knn_entropy(a, k, metric_)

    return _estimate(fn, [xs], k=k, level=level, permutations=0, permute=0, seed=s,
                     unit=unit, offset=offset)


def mutual_info(
    x,
    y,
    k: int = 3,
    *,
    method: str = "ksg1",
    standardize: bool = True,
    jitter: float = 1e-10,
    seed: int = 0,
    ci: float | None = None,
    permutations: int = 0,
    base: float | None = None,
) -> Estimate:
    r"""Mutual information of two continuous variables, Kraskov-Stoegbauer-Grassberger.

    Distances are max-norm, :math:`\lVert (x, y) - (x', y') \rVert =
    \max(\lVert x - x' \rVert_\infty, \lVert y - y' \rVert_\infty)` in the joint space.
    Estimator 1 (``method="ksg1"``) takes :math:`\epsilon_i`, the distance from point
    :math:`i` to its k-th joint neighbour, and counts the points strictly closer than
    :math:`\epsilon_i` in each marginal space, :math:`n_x(i)` and :math:`n_y(i)`:

    .. math::

        \hat I_1 = \psi(k) + \psi(n) - \frac1n \sum_i
            \left[\psi(n_x(i) + 1) + \psi(n_y(i) + 1)\right].

    Estimator 2 (``method="ksg2"``) uses the marginal extents
    :math:`\epsilon_x(i), \epsilon_y(i)` of the k joint neighbours and counts points
    within them (inclusive):

    .. math::

        \hat I_2 = \psi(k) - \frac1k + \psi(n) - \frac1n \sum_i
            \left[\psi(n_x(i)) + \psi(n_y(i))\right].

    Both are nearly unbiased for independent variables and consistent in general [2]_.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d_x)
    y : array_like, shape (n,) or (n, d_y)
        Paired samples, row i of ``x`` with row i of ``y``.
    k : int, default 3
        Number of neighbours, ``1 <= k < n``. Kraskov et al. suggest 2 to 4 for small
        bias; larger k lowers the variance.
    method : {"ksg1", "ksg2"}, default "ksg1"
        KSG estimator 1 (scikit-learn's choice) or 2 (less bias for strongly dependent
        variables in higher dimensions).
    standardize : bool, default True
        Divide each column by its standard deviation, so that the max-norm weighs all
        coordinates alike. Mutual information itself does not change.
    jitter : float, default 1e-10
        Relative size of the Gaussian noise added to break ties between repeated values;
        use :func:`mutual_info_mixed` for data with genuine atoms.
    seed : int, default 0
        Seed of the jitter, the subsample splittings and the permutations.
    ci : float, optional
        Confidence level of the Holmes-Nemenman subsample interval, e.g. 0.95.
    permutations : int, default 0
        Number of random permutations of the rows of ``y`` for a p-value of independence.
    base : float, optional
        Logarithm base; natural log (nats) by default.

    Returns
    -------
    Estimate
        ``value`` (not clipped at 0: the estimate of independent variables scatters
        around 0, and clipping would bias averages and tests), and with ``ci``
        ``stderr`` and ``ci``, with ``permutations`` ``pvalue``.

    Raises
    ------
    ValueError
        For 3-D arrays, empty arrays, fewer than 2 samples, NaN or infinity, different
        numbers of rows, a constant column, ``k`` outside ``1..n-1``, an unknown
        ``method``, ``ci`` outside (0, 1) or negative ``permutations`` or ``jitter``.
    TypeError
        For non-numeric data or arguments of the wrong type.

    See Also
    --------
    conditional_mutual_info, mutual_info_mixed, feature_mi
    entrostat.mutual_info : mutual information of discrete labels.

    Notes
    -----
    Matches ``sklearn.feature_selection.mutual_info_regression`` on one feature with
    ``n_neighbors=k`` (which clips at 0 and uses its own 1e-10 noise). With KSG 2, the k
    joint neighbours of a point are only defined up to ties, so equal distances should
    be broken by ``jitter``.

    Examples
    --------
    >>> import numpy as np, entrostat as es
    >>> rng = np.random.default_rng(0)
    >>> x = rng.normal(size=3000)
    >>> y = 0.8 * x + 0.6 * rng.normal(size=3000)       # correlation 0.8
    >>> mi = es.knn.mutual_info(x, y, ci=0.95)
    >>> print(f"{mi.value:.3f}, 95% interval ({mi.ci[0]:.2f}, {mi.ci[1]:.2f})")
    0.518, 95% interval (0.48, 0.55)
    >>> print(f"exact: {-0.5 * np.log(1 - 0.8**2):.3f}")
    exact: 0.511
    """
    xs, ys = _samples(x, "x"), _samples(y, "y")
    _same_rows([xs, ys], ["x", "y"])
    if not isinstance(method, str) or method not in _KSG_METHODS:
        raise ValueError(f"method: expected 'ksg1' or 'ksg2', got {method!r}")
    variant = _KSG_METHODS[method]
    _no_constant_column(xs, "x")
    _no_constant_column(ys, "y")
    n = xs.shape[0]
    k, std, jit, s, level, perms, unit = _common(
        k, n, standardize, jitter, seed, ci, permutations, base)
    rng = np.random.default_rng(s)
    _prepare(xs, std, jit, rng)
    _prepare(ys, std, jit, rng)

    def fn(a, b):
        return _core.ksg_mutual_info(a, b, k, variant)

    return _estimate(fn, [xs, ys], k=k, level=level, permutations=perms, permute=1,
                     seed=s, unit=unit)


def conditional_mutual_info(
    x,
    y,
    z,
    k: int = 3,
    *,
    standardize: bool = True,
    jitter: float = 1e-10,
    seed: int = 0,
    ci: float | None = None,
    permutations: int = 0,
    base: float | None = None,
) -> Estimate:
    r"""Conditional mutual information :math:`I(X; Y \mid Z)`, Frenzel-Pompe estimator.

    With :math:`\epsilon_i` the distance from point i to its k-th neighbour in the joint
    :math:`(x, y, z)` space (max-norm), and :math:`n_{xz}(i), n_{yz}(i), n_z(i)` the numbers
    of other points strictly within :math:`\epsilon_i` in the subspaces
    :math:`(x, z)`, :math:`(y, z)` and :math:`z` [3]_:

    .. math::

        \hat I(X; Y \mid Z) = \psi(k) + \frac1n \sum_i \left[\psi(n_z(i) + 1)
            - \psi(n_{xz}(i) + 1) - \psi(n_{yz}(i) + 1)\right].

    It is KSG estimator 1 applied to :math:`I(X; Y, Z) - I(X; Z)` with one radius per
    point, so the biases of the two terms largely cancel.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d_x)
    y : array_like, shape (n,) or (n, d_y)
    z : array_like, shape (n,) or (n, d_z)
        Paired samples, row i of each together.
    k : int, default 3
        Number of neighbours, ``1 <= k < n``.
    standardize, jitter, seed, ci, base
        As in :func:`mutual_info`; the jitter noise is drawn for x, then y, then z.
    permutations : int, default 0
        Number of random permutations of the rows of ``x`` for a p-value. A permutation
        makes x independent of (y, z) together, so this tests
        :math:`X \perp (Y, Z)` more than :math:`X \perp Y \mid Z`; treat it as a rough
        check.

    Returns
    -------
    Estimate
        In nats unless ``base`` is given; not clipped at 0.

    Raises
    ------
    ValueError, TypeError
        As in :func:`mutual_info`, naming the argument.

    See Also
    --------
    transfer_entropy : conditional mutual information of lagged time series.
    entrostat.conditional_mutual_info : the same quantity for discrete labels.

    Examples
    --------
    >>> import numpy as np, entrostat as es
    >>> rng = np.random.default_rng(1)
    >>> z = rng.normal(size=2000)
    >>> x, y = z + rng.normal(size=2000), z + rng.normal(size=2000)   # x, y meet only in z
    >>> bool(abs(es.knn.conditional_mutual_info(x, y, z).value) < 0.03)
    True
    """
    xs, ys, zs = _samples(x, "x"), _samples(y, "y"), _samples(z, "z")
    _same_rows([xs, ys, zs], ["x", "y", "z"])
    for arr, nm in ((xs, "x"), (ys, "y"), (zs, "z")):
        _no_constant_column(arr, nm)
    n = xs.shape[0]
    k, std, jit, s, level, perms, unit = _common(
        k, n, standardize, jitter, seed, ci, permutations, base)
    rng = np.random.default_rng(s)
    for arr in (xs, ys, zs):
        _prepare(arr, std, jit, rng)
    return _cmi(xs, ys, zs, k=k, level=level, permutations=perms, permute=0, seed=s,
                unit=unit)


def _cmi(xs, ys, zs, *, k, level, permutations, permute, seed, unit) -> Estimate:
    def fn(a, b, c):
        return _core.ksg_conditional_mutual_info(a, b, c, k)

    return _estimate(fn, [xs, ys, zs], k=k, level=level, permutations=permutations,
                     permute=permute, seed=seed, unit=unit)


def mutual_info_mixed(
    x,
    y,
    k: int = 3,
    *,
    method: str = "gao",
    standardize: bool = True,
    seed: int = 0,
    ci: float | None = None,
    permutations: int = 0,
    base: float | None = None,
) -> Estimate:
    r"""Mutual information of discrete, continuous or mixed variables.

    ``method="gao"`` (Gao, Kannan, Oh, Viswanath [4]_) takes any columns in ``x`` and
    ``y`` -- continuous, discrete, or a mixture of the two, such as a measurement that is
    exactly 0 with positive probability. It is computed as in the authors' released code
    (not the paper's formula; see Notes). With :math:`\rho_i` the distance from point i
    to its k-th nearest other point in the joint max-norm space:

    .. math::

        \hat I = \frac1n \sum_i \left[\psi(\tilde k_i) + \log n
            - \psi(n_x(i)) - \psi(n_y(i))\right].

    Where :math:`\rho_i > 0`, :math:`\tilde k_i = k` and :math:`n_x(i), n_y(i)` count
    the points strictly within :math:`\rho_i` in each marginal space; where
    :math:`\rho_i = 0` (point i is an atom repeated more than k times),
    :math:`\tilde k_i, n_x(i), n_y(i)` count the points at distance 0 from point i in
    the joint and in each marginal space. Every count includes point i itself. On
    continuous data this is KSG-1 with :math:`\log n` for :math:`\psi(n)`; on discrete
    data it is a digamma form of the plug-in estimate. Repeated values are information
    here, so there is no jitter.

    ``method="ross"`` (Ross [5]_) is for a continuous ``x`` and a class label ``y``, as
    ``sklearn.feature_selection.mutual_info_classif``. Labels that occur only once are
    dropped; for the remaining :math:`n` points, with :math:`N_i` the size of point i's
    class, :math:`k_i = \min(k, N_i - 1)`, :math:`d_i` the distance to its
    :math:`k_i`-th neighbour within its class, and :math:`m_i` the number of points of
    any class strictly within :math:`d_i` (point i included):

    .. math::

        \hat I = \psi(n) + \langle \psi(k_i) \rangle - \langle \psi(N_i) \rangle
            - \langle \psi(m_i) \rangle.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d_x)
        Real (or boolean) samples; for ``"ross"`` continuous, without constant columns.
    y : array_like, shape (n,) or (n, d_y)
        For ``"gao"`` real samples like ``x``. For ``"ross"`` a 1-D array of class
        labels of any sortable dtype (integers, strings; floats must be whole numbers).
    k : int, default 3
        Number of neighbours, ``1 <= k < n``; for ``"ross"`` capped at the class size
        minus one.
    method : {"gao", "ross"}, default "gao"
        The estimator; mutual information is symmetric, so put the continuous variable
        in ``x`` for ``"ross"``.
    standardize : bool, default True
        Divide each non-constant column of ``x`` (and of ``y`` for ``"gao"``) by its
        standard deviation.
    seed : int, default 0
        Seed of the subsample splittings and permutations.
    ci : float, optional
        Confidence level of the Holmes-Nemenman subsample interval.
    permutations : int, default 0
        Number of random permutations of ``y`` (the labels for ``"ross"``) for a p-value.
    base : float, optional
        Logarithm base; natural log (nats) by default.

    Returns
    -------
    Estimate
        Not clipped at 0. For ``"ross"``, ``n`` counts the samples of classes of two or
        more (those the estimate uses).

    Raises
    ------
    ValueError, TypeError
        As in :func:`mutual_info`; for ``"gao"`` constant columns are allowed, for
        ``"ross"`` float labels must be whole numbers.

    Notes
    -----
    The ``"gao"`` estimator follows the authors' released code rather than the formula
    printed in the paper, which has :math:`\log(n_x(i) + 1)` and :math:`\log(n_y(i) +
    1)` with the other points counted within :math:`\rho_i` inclusive. That form has a
    fixed offset on discrete-continuous pairs: where a continuous x meets a discrete y
    whose classes do not overlap, inside a class the continuous count is k while the
    discrete one is the class size, so :math:`\psi(k)` no longer cancels and the
    estimate is shifted by :math:`\psi(k) - \log(k + 1)` (-0.46 nats at k = 3) however
    large n is (it fades only as k grows). With the strict, self-including counts and
    digammas above the continuous count is exactly k, :math:`\psi(k)` cancels, and the
    estimate there is :math:`\log n - \langle \psi(N_c) \rangle`, the class entropy up
    to O(1/n).

    Examples
    --------
    >>> import numpy as np, entrostat as es
    >>> rng = np.random.default_rng(0)
    >>> label = rng.integers(0, 2, size=2000)
    >>> x = rng.normal(size=2000) + 4 * label           # two classes, N(0, 1) and N(4, 1)
    >>> print(f"{es.mutual_info_mixed(x, label, method='ross').value:.3f}")   # exact: 0.633
    0.646
    >>> print(f"{es.mutual_info_mixed(x, label).value:.3f}")
    0.647
    """
    if not isinstance(method, str) or method not in _MIXED_METHODS:
        raise ValueError(f"method: expected 'gao' or 'ross', got {method!r}")
    if method == "ross":
        xs = _samples(x, "x")
        labels = _class_labels(y, "y")
        _same_rows([xs, labels], ["x", "y"])
        _no_constant_column(xs, "x")
    else:
        xs = _samples(x, "x", allow_bool=True)
        ys = _samples(y, "y", allow_bool=True)
        _same_rows([xs, ys], ["x", "y"])
    n = xs.shape[0]
    k, std, _, s, level, perms, unit = _common(
        k, n, standardize, 0.0, seed, ci, permutations, base)
    _prepare(xs, std, 0.0, None)
    if method == "ross":
        def fn(a, lab):
            return _core.ross_mutual_info(a, lab, k)

        arrays = [xs, labels]
    else:
        _prepare(ys, std, 0.0, None)

        def fn(a, b):
            return _core.mixed_mutual_info(a, b, k)

        arrays = [xs, ys]
    est = _estimate(fn, arrays, k=k, level=level, permutations=perms, permute=1, seed=s,
                    unit=unit)
    if method == "ross":  # n: the samples behind the estimate, not those dropped
        kept = int(np.count_nonzero(np.bincount(labels)[labels] > 1))
        est = dataclasses.replace(est, n=kept)
    return est


def transfer_entropy(
    source,
    target,
    *,
    lag: int = 1,
    history: int = 1,
    k: int = 3,
    standardize: bool = True,
    jitter: float = 1e-10,
    seed: int = 0,
    ci: float | None = None,
    permutations: int = 0,
    base: float | None = None,
) -> Estimate:
    r"""Transfer entropy from ``source`` to ``target``, by the Frenzel-Pompe k-NN CMI.

    .. math::

        T_{S \to T} = I\left(T_t \,;\, S_{t-\ell-h+1}, \dots, S_{t-\ell}
            \;\middle|\; T_{t-h}, \dots, T_{t-1}\right)

    with lag :math:`\ell` and history length :math:`h` [6]_: the information the past of
    the source adds about the next value of the target beyond the target's own past.
    Each time t with all those values in range (:math:`t \ge \max(h, \ell + h - 1)`) gives
    one sample, and :func:`conditional_mutual_info` estimates the quantity from them.

    Parameters
    ----------
    source, target : array_like, shape (N,) or (N, d)
        Two series sampled at the same N times (a 2-D array is a multivariate series,
        time along the rows).
    lag : int, default 1
        Delay :math:`\ell \ge 1` from the most recent source value to the target value.
    history : int, default 1
        Number :math:`h \ge 1` of past values of each series (embedding dimension).
    k : int, default 3
        Number of neighbours, ``1 <= k < n`` for the n embedded samples.
    standardize : bool, default True
        Divide each series (column) by its standard deviation before embedding.
    jitter : float, default 1e-10
        Relative size of the noise added to each series (source first) before embedding,
        so that a value keeps the same noise at every lag.
    seed : int, default 0
        Seed of the jitter, the subsample splittings and the permutations.
    ci : float, optional
        Confidence level of the Holmes-Nemenman interval; the subsamples are random sets
        of embedded samples (rows), not stretches of time.
    permutations : int, default 0
        Number of random permutations of the source-history rows for a p-value (the
        shuffled-source surrogate, which keeps the target's own dynamics).
    base : float, optional
        Logarithm base; natural log (nats) by default.

    Returns
    -------
    Estimate
        ``n`` is the number of embedded samples, ``N - max(h, lag + h - 1)``.

    Raises
    ------
    ValueError, TypeError
        As in :func:`mutual_info`; also for ``lag`` or ``history`` below 1 or series too
        short for them.

    Examples
    --------
    >>> import numpy as np, entrostat as es
    >>> rng = np.random.default_rng(0)
    >>> s = rng.normal(size=3001)
    >>> t = np.empty(3001); t[0] = 0.0
    >>> t[1:] = 0.9 * s[:-1] + np.sqrt(1 - 0.81) * rng.normal(size=3000)
    >>> te = es.transfer_entropy(s, t)                  # true value -log(0.19)/2 = 0.83
    >>> bool(abs(te.value - 0.830) < 0.05)
    True
    >>> bool(es.transfer_entropy(t, s).value < 0.03)   # nothing flows back
    True
    """
    src, tgt = _samples(source, "source"), _samples(target, "target")
    _same_rows([src, tgt], ["source", "target"])
    lag = check.positive_int(lag, "lag")
    history = check.positive_int(history, "history")
    _no_constant_column(src, "source")
    _no_constant_column(tgt, "target")
    length = src.shape[0]
    start = max(history, lag + history - 1)
    n = length - start
    if n < 2:
        raise ValueError(
            f"target: a series of {length} values is too short for lag={lag}, "
            f"history={history}: needs at least {start + 2} values"
        )
    # Name the embedding in k's error: it, not the series length, sets the n compared with k.
    embedded = f"{n} embedded samples that lag={lag}, history={history} leave of {length} values"
    k, std, jit, s, level, perms, unit = _common(
        k, n, standardize, jitter, seed, ci, permutations, base, embedded)
    rng = np.random.default_rng(s)
    _prepare(src, std, jit, rng)
    _prepare(tgt, std, jit, rng)

    def window(series, delays):
        return np.ascontiguousarray(
            np.hstack([series[start - d: length - d] for d in delays]))

    now = window(tgt, [0])
    source_past = window(src, range(lag, lag + history))
    target_past = window(tgt, range(1, history + 1))
    return _cmi(now, source_past, target_past, k=k, level=level, permutations=perms,
                permute=1, seed=s, unit=unit)


def _discrete_mask(value, p: int) -> np.ndarray:
    """scikit-learn's ``discrete_features`` as a boolean mask of the p columns."""
    if isinstance(value, str):
        if value != "auto":
            raise ValueError(
                "discrete_features: expected 'auto', a bool, a boolean mask or an array of "
                f"column indices, got {value!r}"
            )
        return np.zeros(p, dtype=bool)
    if isinstance(value, (bool, np.bool_)):
        return np.full(p, bool(value))
    arr = np.asarray(value)
    if arr.dtype == np.bool_:
        if arr.shape != (p,):
            raise ValueError(
                f"discrete_features: a boolean mask needs shape ({p},) (one per column of X), "
                f"got {arr.shape}"
            )
        return arr.copy()
    if arr.dtype.kind in "iu" and arr.ndim <= 1:
        flat = arr.reshape(-1)
        # Checked before any cast: a uint64 index above 2^63 would wrap to a negative one.
        bad = (flat < -p) | (flat >= p) if arr.dtype.kind == "i" else flat >= p
        if bad.any():
            raise ValueError(
                f"discrete_features: column index {int(flat[bad][0])} is out of range for X "
                f"with {p} columns"
            )
        idx = flat.astype(np.int64)
        mask = np.zeros(p, dtype=bool)
        mask[idx] = True
        return mask
    raise TypeError(
        "discrete_features: expected 'auto', a bool, a boolean mask or an array of column "
        f"indices, got {type(value).__name__} of dtype {arr.dtype}"
    )


def feature_mi(
    X,
    y,
    k: int = 3,
    *,
    discrete_features="auto",
    discrete_target: bool = False,
    standardize: bool = True,
    jitter: float = 1e-10,
    seed: int = 0,
    base: float | None = None,
) -> np.ndarray:
    r"""Mutual information between each column of ``X`` and a target ``y``.

    The k-NN counterpart of ``sklearn.feature_selection.mutual_info_regression``
    (``discrete_target=False``) and ``mutual_info_classif`` (``discrete_target=True``),
    with the columns computed in parallel in the Rust core. For each feature:

    * continuous feature, continuous target: KSG estimator 1 [2]_ (as :func:`mutual_info`);
    * continuous feature, discrete target, or the reverse: the Ross estimator [5]_ (as
      :func:`mutual_info_mixed` with ``method="ross"``);
    * both discrete: the plug-in mutual information of the two label sequences.

    Each value is clipped at 0, as scikit-learn does, which suits ranking features.

    Parameters
    ----------
    X : array_like, shape (n, p) or (n,)
        Features (float, integer or boolean); 1-D means one feature. Discrete columns
        are read as labels (equal values are one label).
    y : array_like, shape (n,)
        Target: real values, or class labels of any sortable dtype with
        ``discrete_target=True``.
    k : int, default 3
        Number of neighbours, ``1 <= k < n`` (scikit-learn's ``n_neighbors``).
    discrete_features : "auto", bool, array of bool (p,) or array of int, default "auto"
        Which columns are discrete: all of them (True), none (False or ``"auto"``, as
        scikit-learn decides for a dense X), a mask, or column indices.
    discrete_target : bool, default False
        Whether ``y`` holds class labels.
    standardize : bool, default True
        Divide each continuous column (and a continuous ``y``) by its standard
        deviation; constant columns are left as they are (their value is 0).
    jitter : float, default 1e-10
        Relative size of the noise added to continuous columns (then to a continuous
        ``y``) to break ties.
    seed : int, default 0
        Seed of the jitter.
    base : float, optional
        Logarithm base; natural log (nats) by default.

    Returns
    -------
    numpy.ndarray of float64, shape (p,)
        The MI of each column with ``y``, clipped at 0; exactly 0 for a constant
        continuous column, and for every column when a continuous ``y`` is constant.

    Raises
    ------
    ValueError, TypeError
        As in :func:`mutual_info`, and for ``discrete_features`` masks of the wrong length
        or indices out of range. Constant columns are allowed here.

    Notes
    -----
    Agrees with scikit-learn at equal ``k`` up to the effect of the two noise draws
    (1e-10 relative), which only matters for tied values.

    Examples
    --------
    >>> import numpy as np, entrostat as es
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(1000, 3))
    >>> y = X[:, 0] + 0.1 * rng.normal(size=1000)       # only column 0 matters
    >>> mi = es.feature_mi(X, y)
    >>> [bool(v > 1.0) for v in mi], bool(mi[1:].max() < 0.05)
    ([True, False, False], True)
    """
    Xs = _samples(X, "X", allow_bool=True)
    n, p = Xs.shape
    target = check.flag(discrete_target, "discrete_target")
    mask = _discrete_mask(discrete_features, p)
    raw = check.as_array(X, "X", "samples")
    if raw.dtype.kind in "iu" and mask.any():
        # Discrete integer columns as exact codes: float64 would merge labels above 2^53.
        cols = raw.reshape(n, -1)[:, mask]
        codes = [np.unique(c, return_inverse=True)[1].reshape(-1) for c in cols.T]
        Xs[:, mask] = np.stack(codes, axis=1)
    if target:
        ys = _class_labels(y, "y").astype(np.float64)
    else:
        arr = check.as_array(y, "y", "target values")
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        if arr.ndim != 1:
            raise ValueError(f"y: expected a 1-D array (n,) of targets, got shape {arr.shape}")
        ys = _samples(arr, "y")[:, 0].copy()
    _same_rows([Xs, ys], ["X", "y"])
    k = _neighbours(k, n)
    std = check.flag(standardize, "standardize")
    jit = _jitter(jitter)
    s = _seed(seed)
    unit = check.log_base(base)
    rng = np.random.default_rng(s)
    continuous = ~mask
    if continuous.any():
        block = Xs[:, continuous]
        _prepare(block, std, jit, rng)
        Xs[:, continuous] = block
    if not target:
        col = ys.reshape(-1, 1)
        _prepare(col, std, jit, rng)
        ys = col[:, 0]
    values = _core.feature_mi(np.ascontiguousarray(Xs), np.ascontiguousarray(ys), k,
                              np.ascontiguousarray(mask), target)
    return np.asarray(values, dtype=np.float64) / unit
