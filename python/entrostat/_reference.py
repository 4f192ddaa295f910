"""Pure NumPy/SciPy reference implementations: the test oracle for ``entrostat``.

Every function here is written for clarity, not speed, and is used only by the
test-suite to check the fast Rust path.  Nothing in the public API imports it.

All results are in nats (natural logarithm).  Conventions:

* ``counts`` are 1-D non-negative integer counts; zero entries are allowed and
  count as bins (they matter for ``K`` in the "shrink" and "nsb" estimators).
* Labels ``x`` are 1-D integer arrays, or 2-D ``(n, d)`` arrays whose rows are
  joint symbols.  Only observed symbols form bins, so ``K`` is the number of
  distinct observed symbols.
* A total count of zero gives entropy ``0.0`` for every estimator.
"""

import numpy as np
import scipy.special
from scipy import integrate
from scipy.special import digamma, gammaln, logsumexp, polygamma

ESTIMATORS = (
    "plugin",
    "miller_madow",
    "grassberger",
    "chao_shen",
    "jackknife",
    "shrink",
    "nsb",
)


# ---------------------------------------------------------------------------
# helpers
# ---------------------------------------------------------------------------


def _as_counts(counts, n_bins=None):
    """Validate counts and pad them with zeros to ``n_bins`` bins."""
    c = np.asarray(counts)
    if c.ndim != 1 or c.size == 0:
        raise ValueError("counts must be a non-empty 1-D array")
    if np.any(c < 0):
        raise ValueError("counts must be non-negative")
    if np.any(c != np.round(c)):
        raise ValueError("counts must be integers")
    c = c.astype(np.float64)
    if n_bins is not None:
        if n_bins < c.size:
            raise ValueError("n_bins is smaller than len(counts)")
        c = np.concatenate([c, np.zeros(int(n_bins) - c.size)])
    return c


def _plugin_of_probs(p):
    """-sum p log p over the nonzero entries of ``p``."""
    p = p[p > 0]
    return float(-np.sum(p * np.log(p)))


def _plugin(c):
    n = c.sum()
    return 0.0 if n == 0 else _plugin_of_probs(c / n)


def _nonempty(x, name="x"):
    x = np.asarray(x)
    if x.size == 0 or x.shape[0] == 0:
        raise ValueError(f"{name} must not be empty")
    if x.ndim not in (1, 2):
        raise ValueError(f"{name} must be 1-D or 2-D")
    return x


# ---------------------------------------------------------------------------
# counts and entropy estimators
# ---------------------------------------------------------------------------


def counts_of(x):
    """Counts of each distinct symbol.

    Parameters
    ----------
    x : array_like
        1-D integer labels, or 2-D ``(n, d)`` array whose rows are symbols.

    Returns
    -------
    numpy.ndarray
        1-D int64 array of the (nonzero) counts of each distinct symbol.
    """
    x = _nonempty(x)
    axis = 0 if x.ndim == 2 else None
    _, counts = np.unique(x, axis=axis, return_counts=True)
    return counts.astype(np.int64)


def _grassberger_G(n):
    """Grassberger (2003) G(n) = psi(n) + (-1)^n / 2 (psi((n+1)/2) - psi(n/2))."""
    sign = np.where(n % 2 == 0, 1.0, -1.0)
    return digamma(n) + 0.5 * sign * (digamma((n + 1) / 2) - digamma(n / 2))


def entropy_from_counts(counts, estimator="plugin", n_bins=None):
    """Entropy (nats) of a count vector.

    Parameters
    ----------
    counts : array_like
        1-D non-negative counts; zeros are allowed and count as bins.
    estimator : str
        One of ``ESTIMATORS``.  For ``"nsb"`` only the posterior mean is
        returned (see :func:`nsb`).
    n_bins : int, optional
        Total number of bins K (>= len(counts)); missing bins are empty.
        Defaults to ``len(counts)``.  Used only by "shrink" and "nsb".

    Returns
    -------
    float
    """
    c = _as_counts(counts, n_bins)
    N = c.sum()
    K = c.size
    if N == 0:
        return 0.0
    nz = c[c > 0]
    m = nz.size

    if estimator == "plugin":
        return _plugin(c)

    if estimator == "miller_madow":
        return _plugin(c) + (m - 1) / (2 * N)

    if estimator == "grassberger":
        return float(np.log(N) - np.sum(nz * _grassberger_G(nz)) / N)

    if estimator == "chao_shen":
        f1 = np.sum(nz == 1)
        if f1 == N:
            f1 = N - 1
        C = 1 - f1 / N
        pa = C * nz / N
        return float(-np.sum(pa * np.log(pa) / (1 - (1 - pa) ** N)))

    if estimator == "jackknife":
        if N == 1:
            return 0.0
        # leaving out one observation from bin i gives the same entropy for
        # all n_i observations in that bin
        leave_one_out = 0.0
        for i in np.flatnonzero(c):
            d = c.copy()
            d[i] -= 1
            leave_one_out += c[i] * _plugin(d)
        return float(N * _plugin(c) - (N - 1) / N * leave_one_out)

    if estimator == "shrink":
        t = 1.0 / K
        p_ml = c / N
        denom = (N - 1) * np.sum((t - p_ml) ** 2)
        if N == 1 or denom == 0:
            lam = 1.0
        else:
            lam = float(np.clip((1 - np.sum(p_ml**2)) / denom, 0.0, 1.0))
        return _plugin_of_probs(lam * t + (1 - lam) * p_ml)

    if estimator == "nsb":
        return nsb(c)[0]

    raise ValueError(f"unknown estimator {estimator!r}; expected one of {ESTIMATORS}")


# ---------------------------------------------------------------------------
# NSB
# ---------------------------------------------------------------------------


def _nsb_log_weight(log_b, v, m, K, N):
    """Log of (dxi/dbeta * likelihood(beta) * beta), up to a constant.

    The bins are given by their distinct counts ``v`` and multiplicities ``m``. The
    factor beta is the Jacobian of integrating over log(beta).
    """
    b = np.exp(log_b)
    dxi = K * polygamma(1, K * b + 1) - polygamma(1, b + 1)
    log_dxi = np.log(dxi) if dxi > 0 else -np.inf
    loglik = (
        gammaln(K * b)
        - gammaln(N + K * b)
        + np.sum(m * (gammaln(v + b) - gammaln(b)))
    )
    return float(log_dxi + loglik + log_b)


def _nsb_moments_given_beta(b, v, m):
    """Posterior E[H | beta] and E[H^2 | beta] (Wolpert & Wolf 1995); bins given as
    distinct counts ``v`` (zeros included) with multiplicities ``m``."""
    a = v + b
    A = np.sum(m * a)
    mean = digamma(A + 1) - np.sum(m * a / A * digamma(a + 1))

    # sum over i != k of a_i a_k [(d_i d_k) - psi1(A+2)], with
    # d_i = psi(a_i + 1) - psi(A + 2), written as (full sum) - (diagonal)
    d = digamma(a + 1) - digamma(A + 2)
    t1 = polygamma(1, A + 2)
    ad = a * d
    off_diag = (np.sum(m * ad) ** 2 - np.sum(m * ad**2)) - t1 * (A**2 - np.sum(m * a**2))
    diag = np.sum(
        m * a * (a + 1)
        * ((digamma(a + 2) - digamma(A + 2)) ** 2 + polygamma(1, a + 2) - t1)
    )
    second = (off_diag + diag) / (A * (A + 1))
    return float(mean), float(second)


def nsb(counts, n_bins=None):
    """Nemenman-Shafee-Bialek entropy estimate (nats).

    Parameters
    ----------
    counts : array_like
        1-D non-negative counts; zeros are allowed and count as bins.
    n_bins : int, optional
        Total number of bins K (>= len(counts)); defaults to ``len(counts)``.

    Returns
    -------
    (float, float)
        Posterior mean and posterior standard deviation of the entropy.

    Notes
    -----
    The prior is a Dirichlet(beta) on K bins mixed over beta with weight
    d xi / d beta, xi(beta) = psi(K beta + 1) - psi(beta + 1) (the prior
    expected entropy).  The integral over beta is done over log(beta) with
    ``scipy.integrate.quad``.
    """
    c = _as_counts(counts, n_bins)
    K = c.size
    N = c.sum()
    if K == 1 or N == 0:
        return 0.0, 0.0

    # locate the posterior mass of log(beta) on a coarse grid
    grid = np.linspace(-25.0, 20.0, 2001)
    v, m = np.unique(c, return_counts=True)
    v, m = v.astype(np.float64), m.astype(np.float64)
    logw = np.array([_nsb_log_weight(g, v, m, K, N) for g in grid])
    top = np.nanmax(logw)
    keep = grid[logw > top - 50]
    lo, hi = keep.min(), keep.max()
    step = grid[1] - grid[0]
    lo, hi = max(lo - step, grid[0]), min(hi + step, grid[-1])
    mode = grid[np.nanargmax(logw)]

    def integrand(log_b, power):
        w = np.exp(_nsb_log_weight(log_b, v, m, K, N) - top)
        if power == 0:
            return w
        m1, m2 = _nsb_moments_given_beta(np.exp(log_b), v, m)
        return w * (m1 if power == 1 else m2)

    def integral(power):
        pts = [mode] if lo < mode < hi else None
        val, _ = integrate.quad(
            integrand, lo, hi, args=(power,), points=pts, limit=500,
            epsabs=0.0, epsrel=1e-10,
        )
        return val

    z = integral(0)
    mean = integral(1) / z
    second = integral(2) / z
    return float(mean), float(np.sqrt(max(second - mean**2, 0.0)))


# ---------------------------------------------------------------------------
# generalised entropies
# ---------------------------------------------------------------------------


def renyi_entropy_from_counts(counts, alpha):
    """Renyi entropy (nats) of the plug-in distribution.

    ``alpha = 0``: log of the number of nonzero bins; ``alpha = 1``: Shannon;
    ``alpha = inf``: -log max p; otherwise ``log(sum p^alpha) / (1 - alpha)``.
    """
    c = _as_counts(counts)
    if c.sum() == 0:
        return 0.0
    p = c[c > 0] / c.sum()
    if alpha == 0:
        return float(np.log(p.size))
    if alpha == 1:
        return _plugin_of_probs(p)
    if np.isinf(alpha):
        return float(-np.log(p.max()))
    if abs(alpha - 1) < 0.5:
        # log sum p^alpha = log1p(sum p expm1((alpha-1) log p)): no cancellation near 1.
        b = alpha - 1
        return float(-np.log1p(np.sum(p * np.expm1(b * np.log(p)))) / b)
    # log sum p^alpha as a log-sum-exp, so that large alpha does not underflow.
    return float(logsumexp(alpha * np.log(p)) / (1 - alpha))


def tsallis_entropy_from_counts(counts, q):
    """Tsallis entropy (nats) of the plug-in distribution.

    ``q = 1``: Shannon; otherwise ``(1 - sum p^q) / (q - 1)`` over nonzero p.
    """
    c = _as_counts(counts)
    if c.sum() == 0:
        return 0.0
    p = c[c > 0] / c.sum()
    if q == 1:
        return _plugin_of_probs(p)
    # 1 - sum p^q = -sum p expm1((q-1) log p): no cancellation as q -> 1.
    return float(-np.sum(p * np.expm1((q - 1) * np.log(p))) / (q - 1))


# ---------------------------------------------------------------------------
# entropies of label arrays
# ---------------------------------------------------------------------------


def entropy(x, estimator="plugin"):
    """Entropy of labels (1-D, or 2-D rows as joint symbols), in nats."""
    return entropy_from_counts(counts_of(x), estimator)


def joint_entropy(*xs, estimator="plugin"):
    """Joint entropy of equal-length 1-D label arrays, in nats."""
    if len(xs) == 0:
        raise ValueError("need at least one array")
    xs = [_nonempty(x) for x in xs]
    if len({len(x) for x in xs}) != 1:
        raise ValueError("arrays must have equal length")
    return entropy(np.column_stack(xs), estimator)


def conditional_entropy(x, given, estimator="plugin"):
    """H(x | given) = H(x, given) - H(given), in nats."""
    return joint_entropy(x, given, estimator=estimator) - entropy(given, estimator)


def mutual_info(x, y, estimator="plugin"):
    """I(x; y) = H(x) + H(y) - H(x, y), in nats."""
    return (
        entropy(x, estimator)
        + entropy(y, estimator)
        - joint_entropy(x, y, estimator=estimator)
    )


def conditional_mutual_info(x, y, given, estimator="plugin"):
    """I(x; y | z) = H(x, z) + H(y, z) - H(x, y, z) - H(z), in nats."""
    z = given
    return (
        joint_entropy(x, z, estimator=estimator)
        + joint_entropy(y, z, estimator=estimator)
        - joint_entropy(x, y, z, estimator=estimator)
        - entropy(z, estimator)
    )


def normalized_mutual_info(x, y, method="arithmetic", estimator="plugin"):
    """Normalised mutual information.

    ``MI / normaliser`` with the normaliser the ``"arithmetic"`` mean,
    ``"geometric"`` mean, ``"min"`` or ``"max"`` of H(x) and H(y).  As in
    scikit-learn: 1.0 if both x and y are constant, 0.0 if MI == 0.
    """
    x, y = _nonempty(x), _nonempty(y, "y")
    if len(x) != len(y):
        raise ValueError("x and y must have equal length")
    if len(counts_of(x)) == 1 and len(counts_of(y)) == 1:
        return 1.0
    mi = mutual_info(x, y, estimator)
    if mi == 0:
        return 0.0
    hx, hy = entropy(x, estimator), entropy(y, estimator)
    if method == "arithmetic":
        norm = (hx + hy) / 2
    elif method == "geometric":
        norm = np.sqrt(hx * hy)
    elif method == "min":
        norm = min(hx, hy)
    elif method == "max":
        norm = max(hx, hy)
    else:
        raise ValueError(f"unknown method {method!r}")
    return float(mi / norm)


# ---------------------------------------------------------------------------
# block entropies of a sequence
# ---------------------------------------------------------------------------


def ngrams(seq, order):
    """Sliding windows of length ``order``: shape ``(n - order + 1, order)``."""
    seq = _nonempty(seq, "seq")
    if seq.ndim != 1:
        raise ValueError("seq must be 1-D")
    if not 1 <= order <= len(seq):
        raise ValueError("order must be in [1, len(seq)]")
    return np.lib.stride_tricks.sliding_window_view(seq, order)


def block_entropy(seq, order, estimator="plugin"):
    """Entropy of the empirical distribution of the order-grams, in nats."""
    return entropy(ngrams(seq, order), estimator)


def conditional_block_entropy(seq, order, estimator="plugin"):
    """H(next symbol | previous order-1 symbols), in nats.

    ``H(ngrams) - H(prefixes)``, the prefixes being the first ``order - 1``
    columns of the same windows (both terms count n - order + 1 windows).
    For ``order == 1`` this is ``entropy(seq)``.
    """
    w = ngrams(seq, order)
    if order == 1:
        return entropy(seq, estimator)
    return entropy(w, estimator) - entropy(w[:, :-1], estimator)


# ---------------------------------------------------------------------------
# token-stream metrics (the tokenizer report), in bits
# ---------------------------------------------------------------------------


def token_metrics(docs, vocab_size, orders=(1, 2, 3), alpha=2.5, estimator="plugin"):
    """Metrics of a list of token-id documents, each computed directly (bits).

    Returns a dict with the keys of ``TokenMetrics`` that depend on the ids only.
    N-grams are the windows inside each document; conditional entropies are
    ``H(windows) - H(window prefixes)`` over all documents' windows.
    """
    docs = [np.asarray(d, dtype=np.int64) for d in docs]
    ids = np.concatenate(docs)
    _, counts = np.unique(ids, return_counts=True)
    ln2 = np.log(2.0)
    h1 = entropy_from_counts(counts, estimator, n_bins=vocab_size) / ln2
    h_alpha = renyi_entropy_from_counts(counts, alpha) / ln2
    cond = {}
    for k in orders:
        if k == 1:
            cond[k] = h1
            continue
        wins = [np.lib.stride_tricks.sliding_window_view(d, k) for d in docs if len(d) >= k]
        if not wins:
            cond[k] = np.nan
            continue
        w = np.concatenate(wins)
        cond[k] = (entropy(w, estimator) - entropy(w[:, :-1], estimator)) / ln2
    desc = np.sort(counts)[::-1]
    cum = np.cumsum(desc)
    coverage = {
        s: int(np.searchsorted(cum, s * ids.size, side="left") + 1)
        for s in (0.5, 0.9, 0.99)
    }
    return {
        "n_tokens": ids.size,
        "n_types": counts.size,
        "unigram_entropy": h1,
        "renyi_entropy": h_alpha,
        "shannon_efficiency": h1 / np.log2(vocab_size),
        "renyi_efficiency": h_alpha / np.log2(vocab_size),
        "renyi_efficiency_types": h_alpha / np.log2(counts.size),
        "conditional_entropy": cond,
        "vocab_used": counts.size / vocab_size,
        "hapax_share": float(np.mean(counts == 1)),
        "coverage_tokens": coverage,
    }


# --- divergences between distributions (rows along the last axis) -----------------------


def _normalized_rows(p, q):
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    return p / p.sum(-1, keepdims=True), q / q.sum(-1, keepdims=True)


def kl_divergence(p, q):
    """sum p log(p / q) per row (rel_entr: 0 for p = 0, inf for p > 0 = q)."""
    p, q = _normalized_rows(p, q)
    return scipy.special.rel_entr(p, q).sum(-1)


def cross_entropy(p, q):
    p, q = _normalized_rows(p, q)
    return -scipy.special.xlogy(p, q).sum(-1)


def js_divergence(p, q):
    p, q = _normalized_rows(p, q)
    m = 0.5 * (p + q)
    return 0.5 * (scipy.special.rel_entr(p, m).sum(-1) + scipy.special.rel_entr(q, m).sum(-1))


def renyi_divergence(p, q, alpha):
    """(1 / (alpha - 1)) log sum p^alpha q^(1 - alpha), with the limits at 0, 1 and inf."""
    p, q = _normalized_rows(p, q)
    on = p > 0
    if alpha == 1:
        return kl_divergence(p, q)
    if alpha == 0:
        return -np.log(np.where(on, q, 0).sum(-1))
    with np.errstate(divide="ignore"):
        if np.isinf(alpha):
            return np.log(np.where(on, p / q, 0).max(-1))
        terms = np.where(on, p ** alpha * q ** (1 - alpha), 0.0)
    return np.log(terms.sum(-1)) / (alpha - 1)


def cs_divergence(p, q):
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    return -np.log((p * q).sum(-1) ** 2 / ((p * p).sum(-1) * (q * q).sum(-1)))


def hellinger(p, q):
    p, q = _normalized_rows(p, q)
    return np.sqrt(0.5 * ((np.sqrt(p) - np.sqrt(q)) ** 2).sum(-1))


def total_variation(p, q):
    p, q = _normalized_rows(p, q)
    return 0.5 * np.abs(p - q).sum(-1)


def kl_zhang_grabchak(x_counts, y_counts):
    """Zhang and Grabchak's (2014) KL estimator, literally as sums of products."""
    x = np.asarray(x_counts, dtype=np.float64)
    y = np.asarray(y_counts, dtype=np.float64)
    n, m = int(x.sum()), int(y.sum())
    total = 0.0
    for xk, yk in zip(x, y, strict=True):
        if xk == 0:
            continue
        va = np.arange(1, m)
        a = (np.cumprod(1 - yk / (m - va + 1)) / va).sum()
        vb = np.arange(1, n)
        b = (np.cumprod(1 - (xk - 1) / (n - vb)) / vb).sum()
        total += xk / n * (a - b)
    return total


# ---------------------------------------------------------------------------
# Cauchy-Schwarz estimators on continuous samples (Gaussian kernels)
# ---------------------------------------------------------------------------


def _as_samples(a):
    a = np.asarray(a, dtype=np.float64)
    return a.reshape(-1, 1) if a.ndim == 1 else a


def cs_bandwidth(samples, rule="silverman"):
    """Kernel width from the pooled ``samples`` (list of (n_i, d) arrays), or ``rule`` if
    it is a number. silverman: s (4 / ((d + 2) N))^(1/(d+4)); scott: s N^(-1/(d+4)); s is
    the root mean over columns of the pooled variances (ddof=1), N the pooled rows."""
    if not isinstance(rule, str):
        return float(rule)
    pooled = np.concatenate([_as_samples(s) for s in samples])
    n, d = pooled.shape
    s = np.sqrt(np.mean(np.var(pooled, axis=0, ddof=1)))
    if rule == "silverman":
        return s * (4.0 / ((d + 2) * n)) ** (1.0 / (d + 4))
    if rule == "scott":
        return s * n ** (-1.0 / (d + 4))
    raise ValueError(rule)


def _gram(a, b, sigma):
    d2 = np.sum((a[:, None, :] - b[None, :, :]) ** 2, axis=-1)
    return np.exp(-d2 / (4.0 * sigma**2))


def cs_divergence_samples(x, y, bandwidth="silverman"):
    """log V_xx + log V_yy - 2 log V_xy with V the means of exp(-|a-b|^2 / (4 sigma^2))
    over all pairs (diagonal included); full n x m matrices."""
    x, y = _as_samples(x), _as_samples(y)
    sigma = cs_bandwidth([x, y], bandwidth)
    vxx = _gram(x, x, sigma).mean()
    vyy = _gram(y, y, sigma).mean()
    vxy = _gram(x, y, sigma).mean()
    return float(np.log(vxx) + np.log(vyy) - 2.0 * np.log(vxy))


def cs_mutual_info(x, y, bandwidth="silverman"):
    """log V_J + log V_M - 2 log V_C from the Gram matrices of x and y (each its own
    bandwidth from its own sample)."""
    x, y = _as_samples(x), _as_samples(y)
    kx = _gram(x, x, cs_bandwidth([x], bandwidth))
    ky = _gram(y, y, cs_bandwidth([y], bandwidth))
    n = x.shape[0]
    vj = np.sum(kx * ky) / n**2
    vm = kx.mean() * ky.mean()
    vc = np.sum(kx.sum(axis=1) * ky.sum(axis=1)) / n**3
    return float(np.log(vj) + np.log(vm) - 2.0 * np.log(vc))


def cs_divergence_gaussians(m1, s1, m2, s2):
    """Closed-form D_CS between N(m1, S1) and N(m2, S2):
    -2 log N(m1; m2, S1 + S2) + log N(0; 0, 2 S1) + log N(0; 0, 2 S2)."""
    m1, m2 = np.atleast_1d(m1).astype(float), np.atleast_1d(m2).astype(float)
    s1, s2 = np.atleast_2d(s1).astype(float), np.atleast_2d(s2).astype(float)

    def log_normal(diff, cov):
        d = diff.size
        _, logdet = np.linalg.slogdet(cov)
        return -0.5 * (d * np.log(2 * np.pi) + logdet + diff @ np.linalg.solve(cov, diff))

    zero = np.zeros_like(m1)
    return float(-2.0 * log_normal(m1 - m2, s1 + s2) + log_normal(zero, 2 * s1)
                 + log_normal(zero, 2 * s2))


# ---------------------------------------------------------------------------
# k-nearest-neighbour estimators (continuous samples)
#
# Samples are (n, d) float64 arrays (1-D input is one column).  Everything is
# brute force on full distance matrices: O(n^2) time and memory.  A point is
# never its own neighbour; k-NN ties are broken by the lower index (stable
# argsort).  Metrics: "max" (||.||_inf) or "euclidean".  Joint spaces always
# use the max-norm: d((x, y), (x', y')) = max(||x - x'||, ||y - y'||).
# ---------------------------------------------------------------------------


def _points(a, name="x"):
    """``a`` as a float64 (n, d) array; 1-D becomes (n, 1)."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim == 1:
        a = a.reshape(-1, 1)
    if a.ndim != 2:
        raise ValueError(f"{name} must be 1-D or 2-D")
    return a


def _same_rows(*arrays):
    if len({a.shape[0] for a in arrays}) != 1:
        raise ValueError("samples must have the same number of rows")


def _check_k(k, n):
    if n < 2:
        raise ValueError("need at least 2 points")
    if k < 1 or k >= n:
        raise ValueError(f"k must satisfy 1 <= k < n = {n}, got {k}")


def _distances(a, b, metric="max"):
    """(len(a), len(b)) matrix of distances between the rows of ``a`` and ``b``."""
    if metric not in ("max", "euclidean"):
        raise ValueError(f"metric must be 'max' or 'euclidean', got {metric!r}")
    out = np.zeros((a.shape[0], b.shape[0]))
    for c in range(a.shape[1]):
        diff = np.abs(a[:, c, None] - b[None, :, c])
        if metric == "max":
            np.maximum(out, diff, out=out)
        else:
            out += diff * diff
    return out if metric == "max" else np.sqrt(out)


def _without_self(dist):
    """Copy of a square distance matrix with +inf on the diagonal (j != i)."""
    dist = dist.copy()
    np.fill_diagonal(dist, np.inf)
    return dist


def _kth_distance(dist, k):
    """Distance from each row's point to its k-th nearest column (excluded = inf)."""
    return np.sort(dist, axis=1)[:, k - 1]


def _log_unit_ball(d, metric):
    """log V_d: 2^d for the max-norm, pi^(d/2) / Gamma(d/2 + 1) for Euclidean."""
    if metric == "max":
        return d * np.log(2.0)
    return 0.5 * d * np.log(np.pi) - gammaln(0.5 * d + 1.0)


def _positive_knn_radius(dist, k):
    """Per row: (radius, count) of the "positive k-NN radius" rule.

    ``dist`` holds the distances from each query to the sample (+inf marks the
    query itself).  radius = k-th NN distance and count = k if that is > 0;
    otherwise radius = smallest positive distance and count = #{dist <= radius}.
    """
    radius = _kth_distance(dist, k)
    count = np.full(dist.shape[0], float(k))
    for i in np.flatnonzero(radius == 0):
        row = dist[i]
        positive = row[(row > 0) & np.isfinite(row)]
        if positive.size == 0:
            raise ValueError("all points coincide: no positive k-NN radius")
        radius[i] = positive.min()
        count[i] = np.count_nonzero(row <= radius[i])
    return radius, count


def knn_entropy(x, k=3, metric="euclidean"):
    """Kozachenko-Leonenko differential entropy (nats):
    psi(n) + log V_d + mean_i[d log r_i - psi(k_i)], (r_i, k_i) the positive k-NN radius."""
    x = _points(x)
    n, d = x.shape
    _check_k(k, n)
    r, kk = _positive_knn_radius(_without_self(_distances(x, x, metric)), k)
    return float(digamma(n) + _log_unit_ball(d, metric) + np.mean(d * np.log(r) - digamma(kk)))


def ksg_mutual_info(x, y, k=3, variant=1):
    """Kraskov-Stoegbauer-Grassberger MI (nats), estimator 1 or 2, max-norm.

    1: psi(k) + psi(n) - mean[psi(n_x + 1) + psi(n_y + 1)], strict counts within eps_i.
    2: psi(k) - 1/k + psi(n) - mean[psi(n_x) + psi(n_y)], non-strict counts within
       eps_x(i), eps_y(i), the marginal spreads of the k joint neighbours.
    """
    x, y = _points(x, "x"), _points(y, "y")
    _same_rows(x, y)
    n = x.shape[0]
    _check_k(k, n)
    dx = _without_self(_distances(x, x))
    dy = _without_self(_distances(y, y))
    joint = np.maximum(dx, dy)
    if variant == 1:
        eps = _kth_distance(joint, k)
        nx = np.sum(dx < eps[:, None], axis=1)
        ny = np.sum(dy < eps[:, None], axis=1)
        return float(digamma(k) + digamma(n) - np.mean(digamma(nx + 1) + digamma(ny + 1)))
    if variant == 2:
        nbrs = np.argsort(joint, axis=1, kind="stable")[:, :k]
        eps_x = np.take_along_axis(dx, nbrs, axis=1).max(axis=1)
        eps_y = np.take_along_axis(dy, nbrs, axis=1).max(axis=1)
        nx = np.sum(dx <= eps_x[:, None], axis=1)
        ny = np.sum(dy <= eps_y[:, None], axis=1)
        return float(digamma(k) - 1.0 / k + digamma(n) - np.mean(digamma(nx) + digamma(ny)))
    raise ValueError(f"variant must be 1 or 2, got {variant!r}")


def ksg_conditional_mutual_info(x, y, z, k=3):
    """Frenzel-Pompe I(X;Y|Z) (nats), max-norm: eps_i = k-th NN distance in (x, y, z);
    psi(k) + mean[psi(n_z + 1) - psi(n_xz + 1) - psi(n_yz + 1)], strict counts."""
    x, y, z = _points(x, "x"), _points(y, "y"), _points(z, "z")
    _same_rows(x, y, z)
    n = x.shape[0]
    _check_k(k, n)
    dx = _without_self(_distances(x, x))
    dy = _without_self(_distances(y, y))
    dz = _without_self(_distances(z, z))
    eps = _kth_distance(np.maximum(np.maximum(dx, dy), dz), k)[:, None]
    n_xz = np.sum(np.maximum(dx, dz) < eps, axis=1)
    n_yz = np.sum(np.maximum(dy, dz) < eps, axis=1)
    n_z = np.sum(dz < eps, axis=1)
    return float(digamma(k) + np.mean(digamma(n_z + 1) - digamma(n_xz + 1) - digamma(n_yz + 1)))


def mixed_mutual_info(x, y, k=3):
    """Gao-Kannan-Oh-Viswanath MI for discrete-continuous mixtures (nats), max-norm, as in
    the authors' released code: mean[psi(kt_i) + log n - psi(n_x) - psi(n_y)] with
    rho_i = k-th joint NN distance (j != i).  If rho_i > 0: kt_i = k and n_x, n_y count
    the points strictly within rho_i; if rho_i = 0: kt_i, n_x, n_y count the points at
    distance 0 (joint, in x, in y).  Every count includes the point itself."""
    x, y = _points(x, "x"), _points(y, "y")
    _same_rows(x, y)
    n = x.shape[0]
    _check_k(k, n)
    dx = _distances(x, x)  # zero diagonal: the point itself is counted
    dy = _distances(y, y)
    joint = np.maximum(dx, dy)
    rho = _kth_distance(_without_self(joint), k)
    atom = rho == 0
    r = rho[:, None]
    kt = np.where(atom, np.sum(joint == 0, axis=1), k)
    nx = np.where(atom, np.sum(dx == 0, axis=1), np.sum(dx < r, axis=1))
    ny = np.where(atom, np.sum(dy == 0, axis=1), np.sum(dy < r, axis=1))
    return float(np.mean(digamma(kt) + np.log(n) - digamma(nx) - digamma(ny)))


def ross_mutual_info(x, labels, k=3):
    """Ross (2014) MI between continuous ``x`` and discrete ``labels`` (nats), max-norm,
    as scikit-learn's ``_compute_mi_cd``.  Rows whose label occurs once are dropped;
    psi(n) + mean psi(k_c) - mean psi(N_c) - mean psi(m_i), k_c = min(k, N_c - 1)."""
    x = _points(x)
    labels = np.asarray(labels).ravel()
    _same_rows(x, labels.reshape(-1, 1))
    _check_k(k, x.shape[0])
    _, inverse, sizes = np.unique(labels, return_inverse=True, return_counts=True)
    keep = sizes[inverse] > 1
    x, inverse = x[keep], inverse[keep]
    n = x.shape[0]
    if n < 2:
        return 0.0
    dist = _distances(x, x)
    k_c = np.empty(n)
    size_c = sizes[inverse].astype(np.float64)
    radius = np.empty(n)
    for c in np.unique(inverse):
        rows = np.flatnonzero(inverse == c)
        kc = min(k, rows.size - 1)
        own = _without_self(dist[np.ix_(rows, rows)])
        radius[rows] = _kth_distance(own, kc)
        k_c[rows] = kc
    # m_i counts every kept row, the point itself included.
    m = np.where(
        radius > 0,
        np.sum(dist < radius[:, None], axis=1),
        np.sum(dist == 0, axis=1),
    )
    return float(digamma(n) + np.mean(digamma(k_c)) - np.mean(digamma(size_c))
                 - np.mean(digamma(m)))


def kl_divergence_knn(x, y, k=1, metric="euclidean"):
    """Wang-Kulkarni-Verdu D(p || q) (nats) from x ~ p (n, d) and y ~ q (m, d):
    (d/n) sum log(nu_i / rho_i) + mean[psi(k_i) - psi(l_i)] + log(m / (n - 1)),
    (rho_i, k_i) the positive k-NN radius of x_i in x, (nu_i, l_i) that in y."""
    x, y = _points(x, "x"), _points(y, "y")
    (n, d), m = x.shape, y.shape[0]
    if y.shape[1] != d:
        raise ValueError("x and y must have the same number of columns")
    _check_k(k, n)
    if k > m:
        raise ValueError(f"k must be <= m = {m}, got {k}")
    rho, k_i = _positive_knn_radius(_without_self(_distances(x, x, metric)), k)
    nu, l_i = _positive_knn_radius(_distances(x, y, metric), k)
    return float(d * np.mean(np.log(nu / rho)) + np.mean(digamma(k_i) - digamma(l_i))
                 + np.log(m / (n - 1)))


# --- closed forms used by the k-NN tests ------------------------------------


def gaussian_entropy(cov):
    """Differential entropy of N(mu, cov): (1/2) log det(2 pi e cov)."""
    cov = np.atleast_2d(np.asarray(cov, dtype=np.float64))
    _, logdet = np.linalg.slogdet(2 * np.pi * np.e * cov)
    return float(0.5 * logdet)


def _logdet(cov, idx):
    idx = np.asarray(idx, dtype=np.intp)
    if idx.size == 0:
        return 0.0
    return np.linalg.slogdet(cov[np.ix_(idx, idx)])[1]


def gaussian_mutual_info(cov, dx):
    """I(X;Y) for jointly Gaussian (X, Y), X the first ``dx`` coordinates:
    -(1/2) log(det S / (det S_xx det S_yy)) (the same for the correlation matrix)."""
    cov = np.atleast_2d(np.asarray(cov, dtype=np.float64))
    ix, iy = np.arange(dx), np.arange(dx, cov.shape[0])
    return float(-0.5 * (_logdet(cov, np.arange(cov.shape[0])) - _logdet(cov, ix)
                         - _logdet(cov, iy)))


def gaussian_conditional_mutual_info(cov, ix, iy, iz):
    """I(X;Y|Z) for a Gaussian vector, X, Y, Z given by index lists:
    (1/2) log(det S_xz det S_yz / (det S_z det S_xyz)); empty Z gives I(X;Y)."""
    cov = np.atleast_2d(np.asarray(cov, dtype=np.float64))
    ix, iy, iz = (list(np.atleast_1d(i).astype(int)) for i in (ix, iy, iz))
    return float(0.5 * (_logdet(cov, ix + iz) + _logdet(cov, iy + iz) - _logdet(cov, iz)
                        - _logdet(cov, ix + iy + iz)))


def gaussian_kl(m1, s1, m2, s2):
    """D(N(m1, S1) || N(m2, S2)) =
    (1/2)[tr(S2^-1 S1) + (m2 - m1)' S2^-1 (m2 - m1) - d + log det S2 - log det S1]."""
    m1, m2 = np.atleast_1d(m1).astype(float), np.atleast_1d(m2).astype(float)
    s1, s2 = np.atleast_2d(s1).astype(float), np.atleast_2d(s2).astype(float)
    diff = m2 - m1
    trace = np.trace(np.linalg.solve(s2, s1))
    maha = diff @ np.linalg.solve(s2, diff)
    logdet = np.linalg.slogdet(s2)[1] - np.linalg.slogdet(s1)[1]
    return float(0.5 * (trace + maha - m1.size + logdet))


def uniform_entropy(widths):
    """Entropy of the uniform distribution on a box with side lengths ``widths``."""
    return float(np.sum(np.log(np.atleast_1d(widths).astype(float))))


def exponential_entropy(rate):
    """Entropy of the exponential distribution with the given rate: 1 - log(rate)."""
    return float(1.0 - np.log(rate))


# --- logits ---------------------------------------------------------------------------------
# rows of unnormalised log-probabilities along the last axis, computed in float64 on the whole
# array (scipy.special.log_softmax); -inf logits are masked entries (p = 0, their terms are 0).


def _log_probs(logits, temperature=1.0):
    return scipy.special.log_softmax(np.asarray(logits, dtype=np.float64) / temperature, axis=-1)


def _finite(lp):
    """``lp`` with its -inf entries (p = 0) replaced by 0, so that p * lp is 0 there."""
    return np.where(np.isneginf(lp), 0.0, lp)


def logits_entropy(logits, temperature=1.0):
    """-sum p log p, p = softmax(logits / T)."""
    lp = _log_probs(logits, temperature)
    return -np.sum(np.exp(lp) * _finite(lp), axis=-1)


def logits_varentropy(logits, temperature=1.0):
    """sum p (-log p - H)^2 (the variance of the surprisal under p)."""
    lp = _log_probs(logits, temperature)
    h = logits_entropy(logits, temperature)
    return np.sum(np.exp(lp) * (_finite(lp) + h[..., None]) ** 2, axis=-1)


def logits_cross_entropy(logits, targets, ignore_index=-100, temperature=1.0):
    """-log softmax(logits / T)[target] per position; 0.0 where target == ignore_index."""
    lp = _log_probs(logits, temperature)
    t = np.asarray(targets, dtype=np.int64)
    ignored = t == ignore_index
    nll = -np.take_along_axis(lp, np.where(ignored, 0, t)[..., None], axis=-1)[..., 0]
    return np.where(ignored, 0.0, nll)


def logits_soft_cross_entropy(logits, q, temperature=1.0):
    """-sum q log softmax(logits / T) (q not renormalised); q = 0 on a masked logit gives 0."""
    lp = _log_probs(logits, temperature)
    q = np.asarray(q, dtype=np.float64)
    return -np.sum(q * np.where(q == 0, 0.0, lp), axis=-1)


def logits_stats(logits, targets=None, top_k=None, temperature=1.0, ignore_index=-100):
    """The dict of ``entrostat.logits.stats``, in nats."""
    z = np.asarray(logits, dtype=np.float64) / temperature
    lp = scipy.special.log_softmax(z, axis=-1)
    out = {
        "entropy": logits_entropy(z),
        "varentropy": logits_varentropy(z),
        "logsumexp": logsumexp(z, axis=-1),
        "max_prob": np.exp(lp.max(axis=-1)),
    }
    if targets is not None:
        t = np.asarray(targets, dtype=np.int64)
        ignored = t == ignore_index
        zt = np.take_along_axis(z, np.where(ignored, 0, t)[..., None], axis=-1)
        out["nll"] = logits_cross_entropy(z, t, ignore_index)
        out["rank"] = np.where(ignored, 0, 1 + np.sum(z > zt, axis=-1)).astype(np.int64)
    if top_k is not None:
        out["top_k_mass"] = np.sort(np.exp(lp), axis=-1)[..., -top_k:].sum(axis=-1)
    return out


def attention_entropy(weights):
    """Entropy of each row of weights normalised by its sum (0 log 0 = 0)."""
    w = np.asarray(weights, dtype=np.float64)
    p = w / w.sum(axis=-1, keepdims=True)
    return -scipy.special.xlogy(p, p).sum(axis=-1)


def rolling_mean(h, window):
    """Means of every ``window`` consecutive entries along the last axis ("valid")."""
    h = np.asarray(h, dtype=np.float64)
    return np.lib.stride_tricks.sliding_window_view(h, window, axis=-1).mean(axis=-1)


def logprob_advantage_covariance(logprobs, advantages, mask=None):
    """(covariance, per_token, order): per_token = (lp - mean lp)(A - mean A) over the counted
    tokens (NaN elsewhere), covariance its mean (ddof=0), order the flat indices of the counted
    tokens by per_token, largest first."""
    lp = np.asarray(logprobs, dtype=np.float64).ravel()
    a = np.asarray(advantages, dtype=np.float64).ravel()
    m = np.ones(lp.shape, bool) if mask is None else np.asarray(mask, dtype=bool).ravel()
    per = np.full(lp.shape, np.nan)
    per[m] = (lp[m] - lp[m].mean()) * (a[m] - a[m].mean())
    idx = np.flatnonzero(m)
    order = idx[np.argsort(-per[m], kind="stable")]
    shape = np.shape(logprobs)
    return float(per[m].mean()), per.reshape(shape), order


def linear_cross_entropy(hidden, weight, targets=None, ignore_index=-100):
    """entropy, logsumexp (and cross_entropy) of the materialised logits hidden @ weight.T."""
    z = np.asarray(hidden, dtype=np.float64) @ np.asarray(weight, dtype=np.float64).T
    out = {"entropy": logits_entropy(z), "logsumexp": logsumexp(z, axis=-1)}
    if targets is not None:
        out["cross_entropy"] = logits_cross_entropy(z, targets, ignore_index)
    return out


FLOAT_FIELDS = {"bfloat16": (1, 8, 7), "float16": (1, 5, 10), "float32": (1, 8, 23)}


def _entropy_bits(values):
    _, c = np.unique(values, return_counts=True)
    p = c / c.sum()
    return float(-np.sum(p * np.log2(p)))


def float_fields_entropy(bits, fmt):
    """Plug-in entropies (bits) of the sign, exponent and mantissa fields and of the whole
    bit patterns of ``bits`` (uint16 / uint32 views of values in format ``fmt``)."""
    s, e, m = FLOAT_FIELDS[fmt]
    b = np.asarray(bits).ravel().astype(np.uint64)
    exp_h = _entropy_bits((b >> m) & ((1 << e) - 1))
    return {
        "fmt": fmt,
        "n": b.size,
        "sign_bits": s,
        "exponent_bits": e,
        "mantissa_bits": m,
        "sign_entropy": _entropy_bits(b >> (e + m)),
        "exponent_entropy": exp_h,
        "mantissa_entropy": _entropy_bits(b & ((1 << m) - 1)),
        "value_entropy": _entropy_bits(b),
        "exponent_coded_bits": s + exp_h + m,
    }
