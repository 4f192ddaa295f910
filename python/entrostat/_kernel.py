"""Cauchy-Schwarz divergence and quadratic mutual information of continuous samples.

Gaussian-kernel (Parzen window) estimators from information theoretic learning. Pair
sums run blockwise in the Rust core (memory O(block x d), never an n x m matrix), in
parallel, with the GIL released and Ctrl-C checked between blocks.

References
----------
.. [1] J. C. Principe, *Information Theoretic Learning: Renyi's Entropy and Kernel
   Perspectives*, Springer, 2010 (ch. 2 and 3: quadratic information potentials,
   Cauchy-Schwarz divergence and quadratic mutual information).
.. [2] R. Jenssen, J. C. Principe, D. Erdogmus, T. Eltoft, "The Cauchy-Schwarz divergence
   and Parzen windowing: connections to graph theory and Mercer kernels", *Journal of the
   Franklin Institute* 343 (6), 614-629, 2006.
.. [3] A. Rahimi, B. Recht, "Random features for large-scale kernel machines", *NeurIPS*
   2007.
.. [4] B. W. Silverman, *Density Estimation for Statistics and Data Analysis*, Chapman &
   Hall, 1986 (eq. 4.14); D. W. Scott, *Multivariate Density Estimation*, Wiley, 1992.
"""

from __future__ import annotations

import math
from numbers import Real

import numpy as np

from . import _core
from . import _scaling as scaling
from . import _validate as check

__all__ = ["cs_divergence_samples", "cs_mutual_info"]

_RULES = ("silverman", "scott")
_METHODS = ("exact", "rff")


def _samples(a, name: str) -> np.ndarray:
    """A finite-checked-later float64 array of shape (n, d): 1-D input is (n, 1).

    float64 input is used as is (any strides, no copy); other real dtypes (float16,
    float32, integers) are converted to float64 in one copy.
    """
    arr = check.as_array(a, name, "real numbers")
    if arr.dtype == np.bool_ or arr.dtype.kind not in "fiu":
        raise TypeError(f"{name}: expected an array of real numbers, got dtype {arr.dtype}")
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    elif arr.ndim != 2:
        raise ValueError(
            f"{name}: expected a 1-D (n,) or 2-D (n, d) array, got {arr.ndim} dimension(s)"
        )
    if arr.shape[0] < 2:
        raise ValueError(f"{name}: expected at least 2 samples (rows), got {arr.shape[0]}")
    if arr.shape[1] < 1:
        raise ValueError(f"{name}: expected at least 1 column, got 0")
    if arr.dtype != np.float64:
        arr = arr.astype(np.float64)
    return check.native_aligned(arr)


def _scaled_bandwidth(sigma: float, e: int) -> tuple[float, int]:
    """``(sigma / 2**e, e)``, or ``(sigma, 0)`` where the width divided would leave the
    range the core accepts (1e-150..1e150): the samples are then used as given, and the
    core judges the width the user gave."""
    try:
        scaled = math.ldexp(sigma, -e)
    except OverflowError:
        return sigma, 0
    return (scaled, e) if 1e-150 <= scaled <= 1e150 else (sigma, 0)


def _bandwidth(bandwidth):
    if isinstance(bandwidth, str):
        if bandwidth not in _RULES:
            raise ValueError(
                f"bandwidth: expected 'silverman', 'scott' or a positive number, got {bandwidth!r}"
            )
        return bandwidth
    if isinstance(bandwidth, bool) or not isinstance(bandwidth, Real):
        raise TypeError(
            "bandwidth: expected 'silverman', 'scott' or a positive number, "
            f"got {type(bandwidth).__name__}"
        )
    b = float(bandwidth)
    if not (math.isfinite(b) and b > 0):
        raise ValueError(f"bandwidth: expected a positive finite number, got {bandwidth!r}")
    return b


def cs_divergence_samples(
    x,
    y,
    *,
    bandwidth="silverman",
    method: str = "exact",
    n_features: int = 2048,
    seed: int = 0,
    base: float | None = None,
):
    r"""Cauchy-Schwarz divergence between the distributions of two samples.

    .. math::

        D_{CS}(p \| q) = -\log \frac{\left(\int p\,q\right)^2}{\int p^2 \int q^2}

    estimated with Gaussian Parzen windows of width :math:`\sigma` on ``x ~ p`` (n points)
    and ``y ~ q`` (m points) [1]_ [2]_. Each integral of the Parzen densities is a mean of
    Gaussians of width :math:`\sigma\sqrt 2` over pairs of points,

    .. math::

        V_{xy} = \frac{1}{nm} \sum_{i,j} k(x_i, y_j), \quad
        V_{xx} = \frac{1}{n^2} \sum_{i,j} k(x_i, x_j), \quad
        k(a, b) = e^{-\lVert a - b \rVert^2 / (4 \sigma^2)},

    (:math:`V_{yy}` likewise, diagonal terms included), and
    :math:`\hat D = \log V_{xx} + \log V_{yy} - 2 \log V_{xy}`; the Gaussians'
    normalising constants cancel. :math:`\hat D` is the exact CS divergence between the
    two Parzen densities, so it is symmetric and :math:`\ge 0` (the kernel is positive
    definite: :math:`V_{xy}^2 \le V_{xx} V_{yy}`); a negative value from rounding is
    returned as 0. As n, m grow with fixed :math:`\sigma` it converges to the CS
    divergence between the smoothed densities :math:`p * G_\sigma` and
    :math:`q * G_\sigma`.

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d)
        Samples from p; 1-D input means d = 1. float64 is used without a copy (any
        strides); other real dtypes (float32, float16, integers) are converted to float64
        in one copy.
    y : array_like, shape (m,) or (m, d)
        Samples from q, with the same d.
    bandwidth : {"silverman", "scott"} or float
        Parzen window width :math:`\sigma`, one for both samples. The rules use the
        pooled sample (N = n + m rows, d columns) and
        :math:`\bar s = \sqrt{\tfrac{1}{d}\sum_k s_k^2}`, the root mean of the per-column
        pooled variances (ddof = 1):
        ``"silverman"``: :math:`\sigma = \bar s\,(4 / ((d + 2) N))^{1/(d + 4)}`
        (Silverman 1986, eq. 4.14; 1.06 :math:`\bar s N^{-1/5}` for d = 1);
        ``"scott"``: :math:`\sigma = \bar s\,N^{-1/(d + 4)}` (Scott 1992) [4]_.
    method : {"exact", "rff"}
        ``"exact"``: every pair, O((n + m)^2 d) time, blockwise in parallel (symmetric sums
        visit each unordered pair of blocks once). ``"rff"``: random Fourier features
        [3]_, O((n + m) n_features d) time: with frequencies
        :math:`w_k \sim N(0, I / (2\sigma^2))`,
        :math:`k(a, b) \approx \frac{1}{D}\sum_k \cos(w_k \cdot (a - b))`, so each
        :math:`V` is an inner product of mean feature vectors
        :math:`\mu_x[k] = \frac1n \sum_i e^{i w_k \cdot x_i}`. Each kernel value is
        unbiased with standard deviation at most :math:`1/\sqrt{2D}` (exact on the
        diagonal), so the :math:`V` carry absolute errors
        :math:`O(1/\sqrt{\text{n\_features}})` and :math:`\hat D` an error of about
        :math:`1/(V\sqrt{\text{n\_features}})`; use it for large samples where
        O((n + m)^2) is out of reach.
    n_features : int
        Number of random frequencies D for ``method="rff"`` (each gives a cosine and a
        sine feature), at most :math:`2^{28} / d` (the frequencies take 8 D d bytes).
    seed : int
        Seed of the frequencies for ``method="rff"``; equal seeds give equal results.
    base : float, optional
        Logarithm base; natural log (nats) by default.

    Returns
    -------
    numpy.float64

    Notes
    -----
    The exact sums are accurate to about 1e-15 relative (partial sums per tile,
    combined pairwise; ``exp`` is a vectorised polynomial with < 1e-15 relative error).
    Kernel values below 1e-307 (pairs more than about 53 :math:`\sigma` apart) count as
    0, so samples that far apart give ``inf``. Results do not depend on the number of threads.
    The samples (and a numeric bandwidth) are first divided by the power of two nearest
    their largest column range, which is exact: any scale from 1e-300 to 1e300 gives the
    value of the same data at scale 1.

    Examples
    --------
    >>> import numpy as np
    >>> from entrostat.divergence import cs_divergence_samples
    >>> rng = np.random.default_rng(0)
    >>> x, y = rng.normal(size=(500, 2)), rng.normal(1.0, 1.0, size=(400, 2))
    >>> d = cs_divergence_samples(x, y)
    >>> bool(d > 0)
    True
    """
    if method not in _METHODS:
        raise ValueError(f"method: expected 'exact' or 'rff', got {method!r}")
    bw = _bandwidth(bandwidth)
    features = check.positive_int(n_features, "n_features", high=2**28)
    s = check.positive_int(seed, "seed", low=0, high=2**64 - 1)
    unit = check.log_base(base)
    xs = _samples(x, "x")
    ys = xs if y is x else _samples(y, "y")
    if ys.shape[1] != xs.shape[1]:
        raise ValueError(
            f"y: expected {xs.shape[1]} column(s) (the dimension of x), got {ys.shape[1]}"
        )
    e = scaling.range_exponent(xs, ys)
    if isinstance(bw, float):
        bw, e = _scaled_bandwidth(bw, e)
    same = ys is xs
    xs = scaling.scaled(xs, e)
    ys = xs if same else scaling.scaled(ys, e)
    value, _sigma = _core.cs_divergence_samples(xs, ys, bw, method, features, s)
    return np.float64(value / unit)


def cs_mutual_info(x, y, *, bandwidth="silverman", base: float | None = None):
    r"""Cauchy-Schwarz quadratic mutual information of paired continuous samples.

    .. math::

        I_{CS}(X; Y) = \log V_J + \log V_M - 2 \log V_C

    with Gaussian Gram matrices :math:`K^x_{ij} = e^{-\lVert x_i - x_j\rVert^2 /
    (4\sigma_x^2)}` and :math:`K^y` likewise [1]_:

    .. math::

        V_J = \frac{1}{n^2}\sum_{i,j} K^x_{ij} K^y_{ij}, \quad
        V_M = \Big(\frac{1}{n^2}\sum_{i,j} K^x_{ij}\Big)
              \Big(\frac{1}{n^2}\sum_{i,j} K^y_{ij}\Big), \quad
        V_C = \frac{1}{n^3}\sum_i \Big(\sum_j K^x_{ij}\Big)\Big(\sum_j K^y_{ij}\Big).

    This is the Cauchy-Schwarz divergence between the Parzen estimate of the joint
    density (product kernel) and the product of the Parzen marginals, so it is symmetric
    in x and y, :math:`\ge 0` (rounding below 0 is returned as 0), and 0 in the limit
    for independent variables (for finite n it is a small positive bias).

    Parameters
    ----------
    x : array_like, shape (n,) or (n, d_x)
    y : array_like, shape (n,) or (n, d_y)
        Paired samples (row i of x with row i of y). Dtypes as in
        :func:`cs_divergence_samples`.
    bandwidth : {"silverman", "scott"} or float
        Kernel width; a rule gives each variable its own :math:`\sigma_x`,
        :math:`\sigma_y` from its own sample (N = n, formulas as in
        :func:`cs_divergence_samples`); a number is used for both.
    base : float, optional
        Logarithm base; natural log (nats) by default.

    Returns
    -------
    numpy.float64

    Notes
    -----
    O(n^2 (d_x + d_y)) time, O(n) memory (kernel row sums and scalars), computed by row
    blocks in parallel; every ordered pair is evaluated once so that the row sums need no
    locking and the result does not depend on the number of threads.
    """
    bw = _bandwidth(bandwidth)
    unit = check.log_base(base)
    xs = _samples(x, "x")
    ys = _samples(y, "y")
    if ys.shape[0] != xs.shape[0]:
        raise ValueError(
            f"y: expected {xs.shape[0]} samples (the number of rows of x), got {ys.shape[0]}"
        )
    if isinstance(bw, float):  # one sigma for both: one scale for both
        bw, ex = _scaled_bandwidth(bw, scaling.range_exponent(xs, ys))
        ey = ex
    else:  # each rule's sigma follows its own sample's scale
        ex, ey = scaling.range_exponent(xs), scaling.range_exponent(ys)
    value, _sx, _sy = _core.cs_mutual_info(scaling.scaled(xs, ex), scaling.scaled(ys, ey), bw)
    return np.float64(value / unit)
