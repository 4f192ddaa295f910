"""Kullback-Leibler divergence between two continuous samples by k-nearest neighbours.

References
----------
.. [1] Q. Wang, S. R. Kulkarni, S. Verdu, "Divergence estimation for multidimensional
   densities via k-nearest-neighbor distances", *IEEE Transactions on Information
   Theory* 55 (5), 2392-2405, 2009.
.. [2] F. Perez-Cruz, "Kullback-Leibler divergence estimation of continuous
   distributions", *IEEE International Symposium on Information Theory*, 2008.
"""

from __future__ import annotations

import numpy as np

from . import _core
from . import _validate as check
from .knn import _jitter, _metric, _no_constant_column, _power_of_two_scale, _samples, _seed

__all__ = ["kl_divergence_knn"]


def kl_divergence_knn(
    x,
    y,
    k: int = 1,
    *,
    metric: str = "euclidean",
    jitter: float = 0.0,
    seed: int = 0,
    base: float | None = None,
) -> np.float64:
    r"""Kullback-Leibler divergence :math:`D(p \| q)` from samples ``x ~ p`` and ``y ~ q``.

    The Wang-Kulkarni-Verdu k-NN estimator [1]_ [2]_:

    .. math::

        \hat D(p \| q) = \frac{d}{n} \sum_{i=1}^{n} \log \frac{\nu_i}{\rho_i}
            + \log \frac{m}{n - 1},

    where :math:`\rho_i` is the distance from :math:`x_i` to its k-th nearest neighbour
    among the other points of ``x`` and :math:`\nu_i` the distance to its k-th nearest
    neighbour in ``y`` (n points of ``x``, m of ``y``, dimension d). It is consistent for
    any fixed k as n and m grow, and can be negative for finite samples.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)
        Samples from p (float or integer dtype); 1-D means d = 1.
    y : array_like, shape (m,) or (m, d)
        Samples from q, with the same d.
    k : int, default 1
        Number of neighbours: ``1 <= k < n`` and ``k <= m``.
    metric : {"euclidean", "max"}, default "euclidean"
        Distance between points (``"chebyshev"`` is another name for ``"max"``).
    jitter : float, default 0.0
        Relative size of Gaussian noise added to break ties: ``jitter`` times the pooled
        standard deviation of each column times N(0, 1), drawn from
        ``numpy.random.default_rng(seed)`` for ``x`` and then ``y``.
    seed : int, default 0
        Seed of the jitter.
    base : float, optional
        Logarithm base; natural log (nats) by default.

    Returns
    -------
    numpy.float64

    Raises
    ------
    ValueError
        For 3-D or empty arrays, fewer than 2 rows in ``x`` (1 in ``y``), NaN or infinity,
        different dimensions, a constant column, ``k`` out of range or an unknown
        ``metric``.
    TypeError
        For non-numeric data or arguments of the wrong type.

    Notes
    -----
    Repeated points need no jitter: where a k-NN distance is 0, the radius becomes the
    nearest positive distance and the count the number of points within it, and the
    estimator gains the term :math:`\frac1n\sum_i [\psi(k_i) - \psi(l_i)]` (0 without
    ties).

    ``x`` and ``y`` must be independent samples. Points of ``x`` repeated in ``y`` are
    atoms the two distributions share, and the estimate reflects them: passing the same
    sample twice gives about :math:`-1/(k - 1)` (each point's k-th neighbour in ``y`` is
    its (k-1)-th in ``x``), or -1 for k = 1, not 0. To check an estimate of
    :math:`D(p \| p)`, draw two samples from p.

    Examples
    --------
    >>> import numpy as np
    >>> from entrostat.divergence import kl_divergence_knn
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(0, 1, size=4000), rng.normal(1, 1, size=4000)
    >>> bool(abs(kl_divergence_knn(x, y, k=5) - 0.5) < 0.1)   # true value 0.5 nats
    True
    """
    xs = _samples(x, "x")
    ys = _samples(y, "y", min_rows=1)
    if ys.shape[1] != xs.shape[1]:
        raise ValueError(
            f"y: expected {xs.shape[1]} column(s) (the dimension of x), got {ys.shape[1]}"
        )
    metric_ = _metric(metric)
    _no_constant_column(xs, "x")
    if ys.shape[0] > 1:
        _no_constant_column(ys, "y")
    n, m = xs.shape[0], ys.shape[0]
    k = check.positive_int(k, "k")
    if k >= n:
        raise ValueError(
            f"k: expected an integer in 1..{n - 1} (fewer than the {n} samples of x), got {k}"
        )
    if k > m:
        raise ValueError(f"k: expected at most {m} (the number of samples of y), got {k}")
    jit = _jitter(jitter)
    s = _seed(seed)
    unit = check.log_base(base)
    _power_of_two_scale(xs, ys)  # a common factor: the divergence does not change
    if jit > 0:
        scale = jit * np.concatenate([xs, ys]).std(axis=0)
        rng = np.random.default_rng(s)
        xs += scale * rng.standard_normal(xs.shape)
        ys += scale * rng.standard_normal(ys.shape)
    return np.float64(_core.kl_divergence_knn(xs, ys, k, metric_) / unit)
