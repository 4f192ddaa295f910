"""k-nearest-neighbour estimators (``entrostat.knn`` and ``divergence.kl_divergence_knn``):
agreement with the brute-force reference and with scikit-learn, closed forms for
Gaussian, uniform and exponential samples, invariances, ties, seeds, units and every
bad-input path."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from conftest import assert_raises
from scipy.special import digamma

import entrostat as es
from entrostat import _reference as ref
from entrostat import knn
from entrostat.divergence import kl_divergence_knn

RTOL = 1e-12
#: Exact comparisons with the reference: no standardising, no noise.
RAW = {"standardize": False, "jitter": 0.0}


def correlated(rng, n, cov):
    """n rows of a zero-mean Gaussian with covariance ``cov``."""
    return rng.multivariate_normal(np.zeros(len(cov)), cov, size=n)


def random_cov(rng, d):
    a = rng.normal(size=(d, d))
    return a @ a.T + 0.5 * np.eye(d)


def labels_of(column):
    return np.unique(column, return_inverse=True)[1].reshape(-1)


def ref_feature_mi(X, y, k, mask, discrete_target):
    """scikit-learn's per-column dispatch, on the reference estimators, clipped at 0."""
    out = []
    for j in range(X.shape[1]):
        c = X[:, j]
        if mask[j] and discrete_target:
            v = ref.mutual_info(labels_of(c), labels_of(y))
        elif discrete_target:
            v = ref.ross_mutual_info(c, labels_of(y), k)
        elif mask[j]:
            v = ref.ross_mutual_info(y, labels_of(c), k)
        else:
            v = ref.ksg_mutual_info(c, y, k, 1)
        out.append(max(v, 0.0))
    return np.array(out)


# ------------------------------------------------------------------ against the reference


@pytest.mark.parametrize("metric", ["euclidean", "max"])
@pytest.mark.parametrize(("n", "d", "k"), [(2, 1, 1), (17, 1, 3), (200, 1, 1), (180, 3, 4),
                                           (120, 6, 2)])
def test_entropy_matches_reference(rng, metric, n, d, k):
    x = rng.normal(size=(n, d)) * rng.uniform(0.5, 3.0, size=d)
    got = es.differential_entropy(x, k, metric=metric, **RAW)
    np.testing.assert_allclose(got.value, ref.knn_entropy(x, k, metric), rtol=RTOL)
    assert got.n == n and math.isnan(got.stderr) and got.pvalue is None


@pytest.mark.parametrize("metric", ["euclidean", "max"])
def test_entropy_standardized_adds_log_scale_back(rng, metric):
    x = rng.normal(size=(150, 2)) * [0.01, 40.0] + [3.0, -7.0]
    s = x.std(axis=0)
    want = ref.knn_entropy(x / s, 3, metric) + np.log(s).sum()
    got = es.differential_entropy(x, metric=metric, jitter=0.0)
    np.testing.assert_allclose(got.value, want, rtol=RTOL)


@pytest.mark.parametrize("method", ["ksg1", "ksg2"])
@pytest.mark.parametrize(("n", "dx", "dy", "k"), [(3, 1, 1, 1), (25, 1, 1, 3), (250, 1, 1, 5),
                                                  (160, 2, 3, 3), (90, 4, 1, 8)])
def test_mutual_info_matches_reference(rng, method, n, dx, dy, k):
    x = rng.normal(size=(n, dx))
    y = x[:, :1] * rng.normal(size=dy) + rng.normal(size=(n, dy))
    got = knn.mutual_info(x, y, k, method=method, **RAW)
    want = ref.ksg_mutual_info(x, y, k, {"ksg1": 1, "ksg2": 2}[method])
    np.testing.assert_allclose(got.value, want, rtol=RTOL)


def _scalar_pairs(rng, n):
    """Scalar (x, y) samples of several shapes: the grid search serves the smooth ones,
    the kd-tree the heavy-tailed and outlying ones, ties and copies included."""
    x = rng.normal(size=n)
    lattice = rng.integers(0, 12, size=(2, n)) * 0.25
    outlier = rng.uniform(size=(2, n))
    outlier[:, 0] = [1e9, -3.0]
    return {
        "gaussian": (x, 0.6 * x + 0.8 * rng.normal(size=n)),
        "uniform": (rng.uniform(size=n), rng.uniform(-5, 5, size=n) * 1e-3 + 1e4),
        "lattice ties": tuple(lattice),
        "copies": (np.repeat(x[: n // 4], 4), np.repeat(rng.normal(size=n // 4), 4)),
        "cauchy": tuple(rng.standard_cauchy(size=(2, n))),
        "outlier": tuple(outlier),
        "thin": (x, x * 1e-9 + rng.normal(size=n) * 1e-12),
    }


@pytest.mark.parametrize("shape", ["gaussian", "uniform", "lattice ties", "copies", "cauchy",
                                   "outlier", "thin"])
@pytest.mark.parametrize("k", [1, 3, 10])
def test_ksg1_of_scalars_matches_reference(rng, shape, k):
    x, y = _scalar_pairs(rng, 1200)[shape]
    if max(Counter(zip(x, y, strict=True)).values()) > k:
        # A point with k or more exact copies has no positive k-th neighbour distance.
        with pytest.raises(ValueError, match="x, y: .* have k or more exact copies"):
            knn.mutual_info(x, y, k, **RAW)
        return
    got = knn.mutual_info(x, y, k, **RAW)
    np.testing.assert_allclose(got.value, ref.ksg_mutual_info(x, y, k, 1), rtol=RTOL, atol=1e-12)


@pytest.mark.parametrize("method", ["ksg1", "ksg2"])
def test_mutual_info_standardizes_columns(rng, method):
    x = rng.normal(size=(140, 2)) * [1e-3, 5e2]
    y = np.sin(x[:, 0] * 1e3) + 0.3 * rng.normal(size=140)
    variant = {"ksg1": 1, "ksg2": 2}[method]
    want = ref.ksg_mutual_info(x / x.std(axis=0), y / y.std(), 3, variant)
    got = knn.mutual_info(x, y, method=method, jitter=0.0)
    np.testing.assert_allclose(got.value, want, rtol=RTOL)


@pytest.mark.parametrize(("n", "dx", "dy", "dz", "k"), [(4, 1, 1, 1, 1), (60, 1, 1, 1, 3),
                                                        (200, 1, 2, 2, 4), (120, 2, 1, 3, 6)])
def test_conditional_mutual_info_matches_reference(rng, n, dx, dy, dz, k):
    z = rng.normal(size=(n, dz))
    x = z[:, :1] + rng.normal(size=(n, dx))
    y = z[:, -1:] + 0.5 * x[:, :1] + rng.normal(size=(n, dy))
    got = knn.conditional_mutual_info(x, y, z, k, **RAW)
    np.testing.assert_allclose(got.value, ref.ksg_conditional_mutual_info(x, y, z, k),
                               rtol=RTOL)
    s = [a.std(axis=0) for a in (x, y, z)]
    std = knn.conditional_mutual_info(x, y, z, k, jitter=0.0)
    np.testing.assert_allclose(
        std.value, ref.ksg_conditional_mutual_info(x / s[0], y / s[1], z / s[2], k), rtol=RTOL)


@pytest.mark.parametrize(("n", "k"), [(5, 1), (80, 3), (240, 5)])
def test_mixed_mutual_info_matches_reference_continuous(rng, n, k):
    x = rng.normal(size=(n, 2))
    y = x[:, 0] ** 2 + rng.normal(size=n)
    got = es.mutual_info_mixed(x, y, k, standardize=False)
    np.testing.assert_allclose(got.value, ref.mixed_mutual_info(x, y, k), rtol=RTOL)


@pytest.mark.parametrize("k", [1, 3, 7])
def test_mixed_mutual_info_matches_reference_with_atoms(rng, k):
    # a discrete label, a continuous reading, and a reading that is 0 with probability 1/2
    n = 200
    label = rng.integers(0, 3, size=n)
    reading = label + rng.normal(size=n)
    zero_inflated = np.where(rng.random(n) < 0.5, 0.0, reading + 2)
    for x, y in [(label, reading), (label, zero_inflated), (np.c_[label, reading], label),
                 (label, label)]:
        got = es.mutual_info_mixed(x, y, k, standardize=False)
        np.testing.assert_allclose(got.value, ref.mixed_mutual_info(x, y, k), rtol=RTOL)
        xs, ys = (np.asarray(a, dtype=float) for a in (x, y))
        sx = xs.std(axis=0)
        sy = ys.std(axis=0)
        got = es.mutual_info_mixed(x, y, k)
        np.testing.assert_allclose(got.value, ref.mixed_mutual_info(xs / sx, ys / sy, k),
                                   rtol=RTOL)


@pytest.mark.parametrize("k", [1, 3, 10])
def test_ross_matches_reference(rng, k):
    n = 160
    labels = rng.integers(0, 4, size=n)
    labels[:3] = [7, 8, 8]          # a singleton class (dropped) and a class of two
    x = labels[:, None] + rng.normal(size=(n, 2))
    got = es.mutual_info_mixed(x, labels, k, method="ross", standardize=False)
    np.testing.assert_allclose(got.value, ref.ross_mutual_info(x, labels, k), rtol=RTOL)
    assert got.n == n - 1  # the singleton's sample is not behind the estimate
    got = es.mutual_info_mixed(x, labels, k, method="ross")
    np.testing.assert_allclose(got.value, ref.ross_mutual_info(x / x.std(axis=0), labels, k),
                               rtol=RTOL)


def test_ross_labels_of_any_dtype(rng):
    n = 120
    codes = rng.integers(0, 3, size=n)
    x = codes + rng.normal(size=n)
    want = es.mutual_info_mixed(x, codes, method="ross").value
    for labels in (np.array(["a", "b", "c"])[codes], codes.astype(float), codes + 100,
                   codes.reshape(-1, 1), list(codes), 2 - codes):
        assert es.mutual_info_mixed(x, labels, method="ross").value == want


def test_ross_with_fewer_than_two_kept_rows_is_zero():
    x = np.array([0.1, 0.5, 0.9, 1.3])
    assert es.mutual_info_mixed(x, [0, 1, 2, 3], k=1, method="ross").value == 0.0
    assert es.mutual_info_mixed(x, [0, 1, 2, 2], k=1, method="ross",
                                standardize=False).value == ref.ross_mutual_info(
        x, [0, 1, 2, 2], 1)


@pytest.mark.parametrize("metric", ["euclidean", "max"])
@pytest.mark.parametrize(("n", "m", "d", "k"), [(2, 1, 1, 1), (30, 50, 1, 3), (200, 120, 2, 1),
                                                (150, 160, 4, 5)])
def test_kl_divergence_matches_reference(rng, metric, n, m, d, k):
    x = rng.normal(size=(n, d))
    y = rng.normal(0.5, 1.5, size=(m, d))
    got = kl_divergence_knn(x, y, k, metric=metric)
    assert isinstance(got, np.float64)
    np.testing.assert_allclose(got, ref.kl_divergence_knn(x, y, k, metric), rtol=RTOL)


@pytest.mark.parametrize("discrete_target", [False, True])
def test_feature_mi_matches_reference(rng, discrete_target):
    n = 150
    X = rng.normal(size=(n, 4))
    X[:, 1] = rng.integers(0, 3, size=n)
    X[:, 3] = rng.integers(0, 2, size=n)
    if discrete_target:
        y = (X[:, 0] > 0).astype(float) + X[:, 1]
    else:
        y = X[:, 0] + X[:, 1] + rng.normal(size=n)
    mask = np.array([False, True, False, True])
    got = es.feature_mi(X, y, 3, discrete_features=mask, discrete_target=discrete_target, **RAW)
    np.testing.assert_allclose(got, ref_feature_mi(X, y, 3, mask, discrete_target),
                               rtol=RTOL, atol=1e-15)
    # the other spellings of the same mask
    for spec in ([1, 3], np.array([-3, -1])):
        again = es.feature_mi(X, y, 3, discrete_features=spec, discrete_target=discrete_target,
                              **RAW)
        np.testing.assert_array_equal(again, got)


def test_feature_mi_all_continuous_matches_mutual_info(rng):
    X = rng.normal(size=(200, 3))
    y = X @ [1.0, 0.5, 0.0] + rng.normal(size=200)
    got = es.feature_mi(X, y, 4, jitter=0.0)
    want = [max(knn.mutual_info(X[:, j], y, 4, jitter=0.0).value, 0.0) for j in range(3)]
    np.testing.assert_allclose(got, want, rtol=RTOL)
    np.testing.assert_array_equal(es.feature_mi(X, y, 4, discrete_features=False), es.feature_mi(
        X, y, 4, discrete_features="auto"))


# ------------------------------------------------------------------ scikit-learn


sklearn_fs = pytest.importorskip("sklearn.feature_selection")


@pytest.mark.parametrize("k", [1, 3, 6])
def test_feature_mi_matches_sklearn_regression(rng, k):
    n = 400
    X = rng.normal(size=(n, 3)) * [1.0, 20.0, 0.1]
    y = np.tanh(X[:, 0]) + 0.02 * X[:, 1] + 0.5 * rng.normal(size=n)
    want = sklearn_fs.mutual_info_regression(X, y, n_neighbors=k, random_state=0)
    np.testing.assert_allclose(es.feature_mi(X, y, k), want, rtol=1e-6, atol=1e-9)
    assert want[0] > 0.1
    single = knn.mutual_info(X[:, 0], y, k)
    np.testing.assert_allclose(single.value, want[0], rtol=1e-6)


@pytest.mark.parametrize("k", [1, 3, 6])
def test_feature_mi_matches_sklearn_classification(rng, k):
    n = 400
    X = rng.normal(size=(n, 3))
    y = (X[:, 0] + 0.5 * rng.normal(size=n) > 0).astype(int) + (X[:, 1] > 1.0)
    want = sklearn_fs.mutual_info_classif(X, y, n_neighbors=k, random_state=0)
    np.testing.assert_allclose(es.feature_mi(X, y, k, discrete_target=True), want,
                               rtol=1e-6, atol=1e-9)
    assert want[0] > 0.1
    single = es.mutual_info_mixed(X[:, 0], y, k, method="ross")
    np.testing.assert_allclose(single.value, want[0], rtol=1e-6)


def test_feature_mi_matches_sklearn_with_discrete_features(rng):
    n = 300
    X = rng.normal(size=(n, 3))
    X[:, 1] = rng.integers(0, 4, size=n)
    y_cont = X[:, 0] + X[:, 1] + rng.normal(size=n)
    y_disc = (X[:, 1] + (X[:, 2] > 0)).astype(int)
    for y, target, fn in [(y_cont, False, sklearn_fs.mutual_info_regression),
                          (y_disc, True, sklearn_fs.mutual_info_classif)]:
        want = fn(X, y, discrete_features=[1], n_neighbors=3, random_state=0)
        got = es.feature_mi(X, y, discrete_features=[1], discrete_target=target)
        np.testing.assert_allclose(got, want, rtol=1e-6, atol=1e-9)
        assert want[1] > 0.1


# ------------------------------------------------------------------ closed forms


def within_own_interval(est, truth):
    lo, hi = est.ci
    assert lo <= truth <= hi, f"{truth} outside [{lo}, {hi}] (value {est.value})"


@pytest.mark.parametrize("metric", ["euclidean", "max"])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_gaussian_entropy(metric, d):
    rng = np.random.default_rng(10 + d)
    cov = random_cov(rng, d)
    x = correlated(rng, 3000, cov)
    est = es.differential_entropy(x, metric=metric, ci=0.99)
    within_own_interval(est, ref.gaussian_entropy(cov))
    assert 0 < est.stderr < 0.05


def test_uniform_and_exponential_entropy():
    rng = np.random.default_rng(3)
    box = rng.uniform(size=(4000, 2)) * [0.5, 3.0]
    est = es.differential_entropy(box, ci=0.99)
    within_own_interval(est, ref.uniform_entropy([0.5, 3.0]))
    line = rng.uniform(-2.0, 5.0, size=4000)
    within_own_interval(es.differential_entropy(line, ci=0.99), ref.uniform_entropy(7.0))
    expo = rng.exponential(1 / 2.5, size=4000)
    within_own_interval(es.differential_entropy(expo, ci=0.99), ref.exponential_entropy(2.5))


@pytest.mark.parametrize("method", ["ksg1", "ksg2"])
@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_bivariate_gaussian_mutual_info(method, rho):
    rng = np.random.default_rng(int(rho * 10))
    cov = np.array([[1.0, rho], [rho, 1.0]])
    xy = correlated(rng, 3000, cov)
    est = knn.mutual_info(xy[:, 0], xy[:, 1], method=method, ci=0.99)
    truth = -0.5 * math.log(1 - rho**2)
    np.testing.assert_allclose(truth, ref.gaussian_mutual_info(cov, 1), atol=1e-15)
    within_own_interval(est, truth)


@pytest.mark.parametrize("method", ["ksg1", "ksg2"])
def test_multivariate_gaussian_mutual_info(method):
    rng = np.random.default_rng(7)
    cov = random_cov(rng, 4)
    sample = correlated(rng, 3000, cov)
    est = knn.mutual_info(sample[:, :2], sample[:, 2:], method=method, ci=0.99)
    within_own_interval(est, ref.gaussian_mutual_info(cov, 2))


@pytest.mark.parametrize("dz", [1, 2])
def test_gaussian_conditional_mutual_info(dz):
    rng = np.random.default_rng(20 + dz)
    cov = random_cov(rng, 2 + dz)
    s = correlated(rng, 3000, cov)
    est = knn.conditional_mutual_info(s[:, 0], s[:, 1], s[:, 2:], ci=0.99)
    within_own_interval(est, ref.gaussian_conditional_mutual_info(cov, [0], [1],
                                                                  list(range(2, 2 + dz))))


def test_mixed_and_ross_on_gaussian_mixture():
    # y in {0, 1} equally likely, x | y ~ N(2 y, 1): I = H(x) - H(x|y), H(x) by quadrature
    rng = np.random.default_rng(5)
    y = rng.integers(0, 2, size=3000)
    x = rng.normal(size=3000) + 2.0 * y
    grid = np.linspace(-8, 10, 20001)
    dens = 0.5 * (np.exp(-grid**2 / 2) + np.exp(-(grid - 2) ** 2 / 2)) / math.sqrt(2 * math.pi)
    h_x = -np.trapezoid(dens * np.log(dens), grid)
    truth = h_x - 0.5 * math.log(2 * math.pi * math.e)
    within_own_interval(es.mutual_info_mixed(x, y, method="ross", ci=0.99), truth)
    # The Gao estimator in the form of the authors' code has no fixed-k offset where the
    # classes do not overlap (the paper's formula is off by psi(k) - log(k + 1) there).
    within_own_interval(es.mutual_info_mixed(x, y, ci=0.99), truth)


def test_mixed_on_discrete_data_is_close_to_plugin():
    rng = np.random.default_rng(2)
    x = rng.integers(0, 3, size=3000)
    y = (x + (rng.random(3000) < 0.3)) % 3
    est = es.mutual_info_mixed(x, y)
    # every cell holds more than k rows, so each term is psi(N_xy) + log n - psi(N_x) -
    # psi(N_y); with psi(N) ~ log N - 1/(2N) this is the plug-in MI up to about
    # (rows + columns - cells) / (2n), which is 0 for these 3 + 3 - 6 cells
    assert abs(est.value - ref.mutual_info(x, y)) < 1e-4


def test_kl_divergence_closed_form():
    rng = np.random.default_rng(4)
    x = rng.normal(0.0, 1.0, size=(3000, 2))
    y = rng.normal(0.0, 1.0, size=(2500, 2)) * [1.5, 1.0] + [0.7, 0.0]
    truth = ref.gaussian_kl([0, 0], np.eye(2), [0.7, 0], np.diag([2.25, 1.0]))
    for metric in ("euclidean", "max"):
        assert abs(kl_divergence_knn(x, y, k=5, metric=metric) - truth) < 0.05
    same = rng.normal(0.0, 1.0, size=(3000, 2))
    assert abs(kl_divergence_knn(x, same, k=5)) < 0.05


def test_kl_divergence_error_shrinks_with_n():
    # D(N(0, I) || N(mu, diag(s^2))) in 3-D; mean absolute error over seeds at two sizes.
    mu, s2 = np.array([0.5, 0.0, -0.3]), np.array([2.0, 1.0, 0.5])
    truth = ref.gaussian_kl(np.zeros(3), np.eye(3), mu, np.diag(s2))

    def error(n, seed):
        rng = np.random.default_rng(seed)
        x = rng.normal(size=(n, 3))
        y = rng.normal(size=(n, 3)) * np.sqrt(s2) + mu
        return abs(kl_divergence_knn(x, y, k=3) - truth)

    small = np.mean([error(200, seed) for seed in range(6)])
    large = np.mean([error(8000, seed) for seed in range(6)])
    # the bias of the k-NN estimator decays slowly with n here (about -0.22 at n = 200,
    # -0.07 at n = 8000, -0.05 at n = 30000; seed spread 0.02 at n = 8000)
    assert large < 0.5 * small
    assert large < 0.1


def test_transfer_entropy_closed_form():
    # t_i = 0.5 t_{i-1} + 0.6 s_{i-lag} + e_i with Var e = 0.64 and s i.i.d. N(0, 1):
    # T = (1/2) log(Var(t | t_past) / Var(t | t_past, s_past)) = (1/2) log(1 / 0.64)
    rng = np.random.default_rng(6)
    for lag in (1, 3):
        n = 3000
        s = rng.normal(size=n)
        t = np.zeros(n)
        e = 0.8 * rng.normal(size=n)
        for i in range(lag, n):
            t[i] = 0.5 * t[i - 1] + 0.6 * s[i - lag] + e[i]
        truth = 0.5 * math.log(1 / 0.64)
        within_own_interval(es.transfer_entropy(s, t, lag=lag, ci=0.99), truth)
        assert abs(es.transfer_entropy(t, s, lag=lag).value) < 0.03
        # with the wrong lag there is nothing to find
        assert abs(es.transfer_entropy(s, t, lag=lag + 1).value) < 0.03


def test_transfer_entropy_is_cmi_of_the_embedding(rng):
    n, lag, h = 120, 2, 3
    s, t = rng.normal(size=n), rng.normal(size=(n, 2))
    start = max(h, lag + h - 1)
    now = t[start:]
    src = np.column_stack([s[start - d: n - d] for d in range(lag, lag + h)])
    past = np.column_stack([t[start - d: n - d] for d in range(1, h + 1)])
    got = es.transfer_entropy(s, t, lag=lag, history=h, **RAW)
    assert got.n == n - start
    np.testing.assert_allclose(got.value, ref.ksg_conditional_mutual_info(now, src, past, 3),
                               rtol=RTOL)


def test_error_shrinks_with_n():
    cov = np.array([[1.0, 0.7], [0.7, 1.0]])
    truth_mi = ref.gaussian_mutual_info(cov, 1)
    truth_h = ref.gaussian_entropy(cov)

    def mean_error(n):
        err_mi, err_h = [], []
        for seed in range(4):
            xy = correlated(np.random.default_rng(seed), n, cov)
            err_mi.append(abs(knn.mutual_info(xy[:, 0], xy[:, 1]).value - truth_mi))
            err_h.append(abs(es.differential_entropy(xy).value - truth_h))
        return np.mean(err_mi), np.mean(err_h)

    small, large = mean_error(100), mean_error(3000)
    assert large[0] < small[0] / 2 and large[1] < small[1] / 2


def test_interval_shrinks_with_n():
    cov = np.array([[1.0, 0.5], [0.5, 1.0]])
    xy = correlated(np.random.default_rng(0), 4000, cov)
    small = knn.mutual_info(xy[:400, 0], xy[:400, 1], ci=0.95)
    large = knn.mutual_info(xy[:, 0], xy[:, 1], ci=0.95)
    assert large.stderr < small.stderr / 2
    z = 1.959963984540054
    np.testing.assert_allclose(large.ci, (large.value - z * large.stderr,
                                          large.value + z * large.stderr), rtol=1e-12)


# ------------------------------------------------------------------ invariances and tests


def test_row_permutation_invariance(rng):
    n = 200
    x, z = rng.normal(size=(n, 2)), rng.normal(size=n)
    y = x[:, 0] + z + rng.normal(size=n)
    p = rng.permutation(n)
    pairs = [
        (lambda a, b, c: es.differential_entropy(a, jitter=0.0)),
        (lambda a, b, c: knn.mutual_info(a, b, jitter=0.0)),
        (lambda a, b, c: knn.mutual_info(a, b, method="ksg2", jitter=0.0)),
        (lambda a, b, c: knn.conditional_mutual_info(a, b, c, jitter=0.0)),
        (lambda a, b, c: es.mutual_info_mixed(a, b)),
        (lambda a, b, c: es.mutual_info_mixed(a, (b > 0).astype(int), method="ross")),
    ]
    for fn in pairs:
        np.testing.assert_allclose(fn(x[p], y[p], z[p]).value, fn(x, y, z).value, rtol=RTOL)
    np.testing.assert_allclose(kl_divergence_knn(x[p], y[::-1, None].repeat(2, 1)),
                               kl_divergence_knn(x, y[:, None].repeat(2, 1)), rtol=RTOL)


def test_mutual_info_is_symmetric(rng):
    x = rng.normal(size=(150, 2))
    y = x[:, 1] + rng.normal(size=150)
    for method in ("ksg1", "ksg2"):
        np.testing.assert_allclose(knn.mutual_info(x, y, method=method, jitter=0.0).value,
                                   knn.mutual_info(y, x, method=method, jitter=0.0).value,
                                   rtol=RTOL)


def test_entropy_scaling_and_shift(rng):
    x = rng.normal(size=(300, 2))
    base = es.differential_entropy(x, jitter=0.0).value
    moved = es.differential_entropy(x * [4.0, 0.25] + 100.0, jitter=0.0).value
    np.testing.assert_allclose(moved, base + math.log(4.0) + math.log(0.25), rtol=1e-10)
    raw = es.differential_entropy(3.0 * x, standardize=False, jitter=0.0).value
    np.testing.assert_allclose(raw, es.differential_entropy(x, **RAW).value + 2 * math.log(3),
                               rtol=1e-12)


def test_cmi_given_y_itself_is_zero(rng):
    x = rng.normal(size=500)
    y = x + rng.normal(size=500)
    # without jitter z is exactly y: n_xz = k - 1 and n_yz = n_z for every point
    est = knn.conditional_mutual_info(x, y, y, jitter=0.0)
    assert abs(est.value) < 1e-12
    # with jitter the copies differ by ~1e-10: the k-th joint neighbour then sits on the
    # boundary of the (x, z) ball half the time, a bias of order -1/(2k), not a failure
    assert abs(knn.conditional_mutual_info(x, y, y).value) < 0.15
    assert knn.mutual_info(x, y).value > 0.2


def test_permutation_pvalues():
    rng = np.random.default_rng(11)
    x, noise = rng.normal(size=300), rng.normal(size=300)
    independent = knn.mutual_info(x, noise, permutations=49)
    assert independent.pvalue > 0.1
    dependent = knn.mutual_info(x, x + noise, permutations=49)
    assert dependent.pvalue == 1 / 50
    assert knn.conditional_mutual_info(x, x + noise, noise, permutations=19).pvalue == 1 / 20
    assert knn.conditional_mutual_info(x, noise, x + noise, permutations=19).pvalue == 1 / 20
    assert knn.conditional_mutual_info(noise, rng.normal(size=300), x,
                                       permutations=49).pvalue > 0.05
    labels = (x > 0).astype(int)
    assert es.mutual_info_mixed(x, labels, method="ross", permutations=19).pvalue == 1 / 20
    assert es.mutual_info_mixed(noise, labels, method="ross", permutations=49).pvalue > 0.1
    assert es.mutual_info_mixed(x, labels, permutations=19).pvalue == 1 / 20


def test_permutation_pvalue_is_the_counted_fraction(monkeypatch):
    from entrostat import _core

    calls = []

    def fake(x, y, k, variant):
        calls.append(y[:, 0].copy())
        return [5.0, 1.0, 7.0, 5.0, 2.0][len(calls) - 1]

    monkeypatch.setattr(_core, "ksg_mutual_info", fake)
    est = knn.mutual_info(np.arange(10.0), np.arange(10.0) ** 2, permutations=4)
    assert est.value == 5.0 and est.pvalue == (1 + 2) / 5
    assert all(sorted(c) == sorted(calls[0]) for c in calls[1:])
    assert not np.array_equal(calls[1], calls[0])


def test_transfer_entropy_detects_direction():
    rng = np.random.default_rng(9)
    s = rng.normal(size=801)
    t = np.r_[0.0, 0.8 * s[:-1] + 0.6 * rng.normal(size=800)]
    assert es.transfer_entropy(s, t, permutations=19).pvalue == 1 / 20
    assert es.transfer_entropy(t, s, permutations=19).pvalue > 0.1


# ------------------------------------------------------------------ ties and duplicates


def test_duplicates_without_jitter_are_finite_and_match_reference(rng):
    base = rng.normal(size=(40, 2))
    x = np.repeat(base, 5, axis=0)              # every point five times: k-NN distance 0
    for metric in ("euclidean", "max"):
        h = es.differential_entropy(x, 3, metric=metric, **RAW)
        assert math.isfinite(h.value)
        np.testing.assert_allclose(h.value, ref.knn_entropy(x, 3, metric), rtol=RTOL)
        y = np.repeat(rng.normal(size=(30, 2)), 3, axis=0)
        d = kl_divergence_knn(x, y, 4, metric=metric)
        assert math.isfinite(d)
        np.testing.assert_allclose(d, ref.kl_divergence_knn(x, y, 4, metric), rtol=RTOL)
    # The KSG-type estimators count points strictly inside the k-th neighbour distance,
    # which is 0 for a point with k or more copies: refused without jitter (on independent
    # integers KSG-1 gave 9.7 nats and KSG-2 -3.8), estimated with the default jitter.
    grid = rng.integers(0, 4, size=(200, 2)).astype(float)   # many exact ties
    copies = "200 of the 200 points have k or more exact copies"
    for k in (1, 3):
        with pytest.raises(ValueError, match=f"^x, y: {copies}"):
            knn.mutual_info(grid[:, 0], grid[:, 0] + grid[:, 1], k, **RAW)
        with pytest.raises(ValueError, match=f"^x, y, z: {copies}"):
            knn.conditional_mutual_info(grid[:, 0], grid[:, 1], grid.sum(1), k, **RAW)
    with pytest.raises(ValueError, match=f"^x, y: {copies}"):
        knn.mutual_info(grid[:, 0], grid[:, 1], method="ksg2", **RAW)
    assert abs(knn.mutual_info(grid[:, 0], grid[:, 1]).value) < 0.1
    # The default jitter breaks ties far from 0 too (relative to 1e7, not to the spread).
    assert abs(knn.mutual_info(1e7 + grid[:, 0], 1e7 + grid[:, 1]).value) < 0.1
    labels = rng.integers(0, 2, 200)
    with pytest.raises(ValueError, match="^x: .* exact copies in their class"):
        es.mutual_info_mixed(grid[:, 0] + labels, labels, method="ross")
    with pytest.raises(ValueError, match="exact copies"):
        es.feature_mi(grid, labels, discrete_target=True, jitter=0.0)


def test_jitter_breaks_ties(rng):
    x = np.round(rng.normal(size=400), 1)
    y = x + np.round(rng.normal(size=400), 1)
    tied = knn.mutual_info(x, y, **RAW).value
    jittered = knn.mutual_info(x, y).value
    assert tied != jittered and math.isfinite(jittered)
    # the jitter is jitter * std * N(0, 1) after standardising, drawn for x then y
    g = np.random.default_rng(0)
    xs, ys = x / x.std(), y / y.std()
    xs = xs + 1e-10 * xs.std() * g.standard_normal(400)
    ys = ys + 1e-10 * ys.std() * g.standard_normal(400)
    np.testing.assert_allclose(jittered, ref.ksg_mutual_info(xs, ys, 3, 1), rtol=RTOL)


# ------------------------------------------------------------------ seeds, units, shapes


def test_seeds_make_results_reproducible(rng):
    x = np.round(rng.normal(size=(300, 2)), 2)
    y = x[:, 0] + rng.normal(size=300)
    calls = [
        lambda s: es.differential_entropy(x, ci=0.9, seed=s),
        lambda s: knn.mutual_info(x, y, ci=0.9, permutations=9, seed=s),
        lambda s: knn.conditional_mutual_info(x[:, 0], y, x[:, 1], ci=0.9, permutations=9,
                                              seed=s),
        lambda s: es.mutual_info_mixed(x, y, ci=0.9, permutations=9, seed=s),
        lambda s: es.transfer_entropy(y, x[:, 0], ci=0.9, permutations=9, seed=s),
    ]
    for fn in calls:
        a, b, c = fn(1), fn(1), fn(2)
        assert a == b
        assert (a.stderr, a.ci) != (c.stderr, c.ci)
    np.testing.assert_array_equal(es.feature_mi(x, y, seed=3), es.feature_mi(x, y, seed=3))
    assert kl_divergence_knn(x, y[:, None].repeat(2, 1), jitter=1e-6, seed=4) == \
        kl_divergence_knn(x, y[:, None].repeat(2, 1), jitter=1e-6, seed=4)


def test_base_divides_value_stderr_and_interval(rng):
    x = rng.normal(size=(200, 2))
    y = x[:, 0] + rng.normal(size=200)
    calls = [
        lambda **kw: es.differential_entropy(x, ci=0.9, **kw),
        lambda **kw: knn.mutual_info(x, y, ci=0.9, permutations=5, **kw),
        lambda **kw: knn.conditional_mutual_info(x[:, 0], y, x[:, 1], ci=0.9, **kw),
        lambda **kw: es.mutual_info_mixed(x, y, ci=0.9, **kw),
        lambda **kw: es.mutual_info_mixed(x, y > 0, method="ross", ci=0.9, **kw),
        lambda **kw: es.transfer_entropy(y, x[:, 0], ci=0.9, **kw),
    ]
    for fn in calls:
        nats, bits = fn(), fn(base=2)
        np.testing.assert_allclose(bits.value, nats.value / math.log(2), rtol=1e-14)
        np.testing.assert_allclose(bits.stderr, nats.stderr / math.log(2), rtol=1e-14)
        np.testing.assert_allclose(bits.ci, np.array(nats.ci) / math.log(2), rtol=1e-14)
        assert bits.pvalue == nats.pvalue
    np.testing.assert_allclose(es.feature_mi(x, y, base=10), es.feature_mi(x, y) / math.log(10),
                               rtol=1e-14)
    yy = rng.normal(size=(100, 2))
    np.testing.assert_allclose(kl_divergence_knn(x, yy, base=2),
                               kl_divergence_knn(x, yy) / math.log(2), rtol=1e-14)


def test_input_forms_agree(rng):
    x = rng.integers(-50, 50, size=200)
    y = x + rng.integers(-30, 30, size=200)
    want = knn.mutual_info(x.astype(float), y.astype(float)).value
    assert knn.mutual_info(x, y).value == want                  # integer dtype
    assert knn.mutual_info(x[:, None], y.reshape(-1, 1)).value == want
    assert knn.mutual_info(list(x), list(y)).value == want
    xf = rng.normal(size=(100, 2))
    strided = np.asfortranarray(xf)
    assert es.differential_entropy(strided).value == es.differential_entropy(xf).value
    assert es.differential_entropy(xf.astype(np.float32)).value == \
        es.differential_entropy(xf.astype(np.float32).astype(float)).value
    # the caller's arrays are never modified
    before = xf.copy()
    es.differential_entropy(xf)
    np.testing.assert_array_equal(xf, before)


def test_estimate_fields(rng):
    x = rng.normal(size=120)
    y = x + rng.normal(size=120)
    est = knn.mutual_info(x, y)
    assert isinstance(est, es.Estimate) and est.n == 120 and est.pvalue is None
    assert math.isnan(est.stderr) and all(math.isnan(v) for v in est.ci)
    assert float(est) == est.value and est > 0
    with_ci = knn.mutual_info(x, y, ci=0.8)
    assert with_ci.value == est.value and with_ci.ci[0] < est.value < with_ci.ci[1]


def test_top_level_exports():
    assert es.knn is knn
    for name in ("differential_entropy", "mutual_info_mixed", "transfer_entropy", "feature_mi",
                 "kl_divergence_knn", "knn"):
        assert name in es.__all__ and hasattr(es, name)
    # the top-level names stay the discrete estimators
    assert es.mutual_info is es.discrete.mutual_info
    assert es.conditional_mutual_info is es.discrete.conditional_mutual_info
    assert es.kl_divergence_knn is es.divergence.kl_divergence_knn
    assert "kl_divergence_knn" in es.divergence.__all__
    assert set(knn.__all__) <= set(dir(knn))


def test_feature_mi_constant_columns_give_zero(rng):
    X = np.column_stack([rng.normal(size=100), np.full(100, 3.0)])
    y = X[:, 0] + rng.normal(size=100)
    mi = es.feature_mi(X, y)
    assert mi[0] > 0.1 and mi[1] == 0.0
    assert es.feature_mi(X, y > 0, discrete_target=True)[1] == 0.0
    # A constant continuous target: nothing to learn from any column.
    assert list(es.feature_mi(X, np.full(100, -1.0))) == [0.0, 0.0]


# ------------------------------------------------------------------ bad input

GOOD = np.random.default_rng(0).normal(size=(20, 2))
GOOD1 = GOOD[:, 0] + 0.1 * np.random.default_rng(1).normal(size=20)
GOOD2 = GOOD[:, 1] * 2 + 0.1 * np.random.default_rng(2).normal(size=20)
LABELS = np.arange(20) % 3

# (name, callable taking the data array for the argument under test, argument name)
DATA_ARGS = [
    ("entropy", lambda a: es.differential_entropy(a), "x"),
    ("mi.x", lambda a: knn.mutual_info(a, GOOD1), "x"),
    ("mi.y", lambda a: knn.mutual_info(GOOD1, a), "y"),
    ("cmi.x", lambda a: knn.conditional_mutual_info(a, GOOD1, GOOD2), "x"),
    ("cmi.y", lambda a: knn.conditional_mutual_info(GOOD1, a, GOOD2), "y"),
    ("cmi.z", lambda a: knn.conditional_mutual_info(GOOD1, GOOD2, a), "z"),
    ("mixed.x", lambda a: es.mutual_info_mixed(a, GOOD1), "x"),
    ("mixed.y", lambda a: es.mutual_info_mixed(GOOD1, a), "y"),
    ("ross.x", lambda a: es.mutual_info_mixed(a, LABELS, method="ross"), "x"),
    ("te.source", lambda a: es.transfer_entropy(a, GOOD1), "source"),
    ("te.target", lambda a: es.transfer_entropy(GOOD1, a), "target"),
    ("feature_mi.X", lambda a: es.feature_mi(a, GOOD1), "X"),
    ("kl.x", lambda a: kl_divergence_knn(a, GOOD1), "x"),
]
BAD_DATA = [
    ("3-D", np.zeros((20, 2, 2)), ValueError, "2-D"),
    ("scalar", np.float64(1.0), ValueError, "scalar"),
    ("strings", np.array(["a"] * 20), TypeError, "dtype"),
    ("complex", np.ones(20, dtype=complex), TypeError, "dtype"),
    ("objects", np.array([1.0] * 20, dtype=object), TypeError, "dtype"),
    ("nan", np.r_[GOOD1[:-1], np.nan], ValueError, "NaN"),
    ("inf", np.r_[np.inf, GOOD1[1:]], ValueError, "infinity"),
    ("empty", np.array([]), ValueError, "empty"),
    ("empty-2d", np.zeros((0, 2)), ValueError, "empty"),
    ("no-columns", np.zeros((20, 0)), ValueError, "column"),
    ("one-row", np.array([[1.0, 2.0]]), ValueError, "at least 2"),
]


@pytest.mark.parametrize(("bad_name", "bad", "exc", "msg"), BAD_DATA, ids=[b[0] for b in BAD_DATA])
@pytest.mark.parametrize(("fn_name", "fn", "arg"), DATA_ARGS, ids=[d[0] for d in DATA_ARGS])
def test_bad_data(fn_name, fn, arg, bad_name, bad, exc, msg):
    err = assert_raises(exc, msg, fn, bad)
    assert str(err).startswith(f"{arg}:"), str(err)


@pytest.mark.parametrize(("fn_name", "fn", "arg"),
                         [d for d in DATA_ARGS if not d[0].startswith(("mixed", "feature"))],
                         ids=[d[0] for d in DATA_ARGS if not d[0].startswith(("mixed",
                                                                              "feature"))])
def test_constant_columns_rejected(fn_name, fn, arg):
    one_column = fn_name in ("te.source", "te.target", "kl.x")
    const = np.full(20, 2.5) if one_column else np.c_[GOOD1, np.full(20, 2.5)]
    assert_raises(ValueError, f"^{arg}: column {0 if one_column else 1} is constant", fn, const)


def test_mixed_allows_constant_and_boolean_columns():
    assert math.isfinite(es.mutual_info_mixed(np.c_[GOOD1, np.ones(20)], GOOD1 > 0).value)


def test_mismatched_lengths():
    a, b = GOOD1, GOOD2[:15]
    assert_raises(ValueError, "^y: expected 20", knn.mutual_info, a, b)
    assert_raises(ValueError, "^z: expected 20", knn.conditional_mutual_info, a, a * 2, b)
    assert_raises(ValueError, "^y: expected 20", es.mutual_info_mixed, a, b)
    assert_raises(ValueError, "^y: expected 20", es.mutual_info_mixed, a, LABELS[:15],
                  method="ross")
    assert_raises(ValueError, "^target: expected 20", es.transfer_entropy, a, b)
    assert_raises(ValueError, "^y: expected 20", es.feature_mi, GOOD, b)
    assert_raises(ValueError, "^y: expected 2 column", kl_divergence_knn, GOOD, GOOD1)


NEIGHBOUR_CALLS = [
    ("entropy", lambda k: es.differential_entropy(GOOD, k)),
    ("mi", lambda k: knn.mutual_info(GOOD1, GOOD2, k)),
    ("cmi", lambda k: knn.conditional_mutual_info(GOOD1, GOOD2, GOOD, k)),
    ("mixed", lambda k: es.mutual_info_mixed(GOOD1, GOOD2, k)),
    ("ross", lambda k: es.mutual_info_mixed(GOOD1, LABELS, k, method="ross")),
    ("te", lambda k: es.transfer_entropy(GOOD1, GOOD2, k=k)),
    ("feature_mi", lambda k: es.feature_mi(GOOD, GOOD1, k)),
    ("kl", lambda k: kl_divergence_knn(GOOD, GOOD[:5] + 1, k)),
]


@pytest.mark.parametrize(("name", "fn"), NEIGHBOUR_CALLS, ids=[c[0] for c in NEIGHBOUR_CALLS])
def test_bad_k(name, fn):
    too_many = {"te": 19, "kl": 6}.get(name, 20)
    for k in (0, -1, too_many, 1000):
        assert_raises(ValueError, "^k: ", fn, k)
    for k in (1.5, "3", None, True):
        assert_raises(TypeError, "^k: ", fn, k)
    assert math.isfinite(float(np.sum(fn(np.int64(1)))))


CI_CALLS = [
    ("entropy", lambda **kw: es.differential_entropy(GOOD, **kw)),
    ("mi", lambda **kw: knn.mutual_info(GOOD1, GOOD2, **kw)),
    ("cmi", lambda **kw: knn.conditional_mutual_info(GOOD1, GOOD2, GOOD, **kw)),
    ("mixed", lambda **kw: es.mutual_info_mixed(GOOD1, GOOD2, **kw)),
    ("ross", lambda **kw: es.mutual_info_mixed(GOOD1, LABELS, method="ross", **kw)),
    ("te", lambda **kw: es.transfer_entropy(GOOD1, GOOD2, **kw)),
]


def test_a_subsample_that_fails_is_blamed_on_ci():
    # 30 copies of 0 and 10 distinct values: the whole sample has positive distances, but
    # a quarter of it can be all zeros. The error named x, which the full call accepted.
    x = np.concatenate([np.zeros(30), np.random.default_rng(0).normal(size=10)])
    assert np.isfinite(es.knn.differential_entropy(x, k=1, jitter=0).value)
    assert_raises(ValueError, r"^ci: the subsample interval estimates on quarters of 10 "
                  r"samples, and one failed \(x: all samples are identical",
                  es.knn.differential_entropy, x, k=1, jitter=0, ci=0.9)


@pytest.mark.parametrize(("name", "fn"), CI_CALLS, ids=[c[0] for c in CI_CALLS])
def test_bad_common_arguments(name, fn):
    for ci in (0, 1, 1.5, -0.1, math.nan):
        assert_raises(ValueError, "^ci: ", fn, ci=ci)
    for ci in ("0.95", True):
        assert_raises(TypeError, "^ci: ", fn, ci=ci)
    assert_raises(ValueError, "^ci: .*parts", fn, ci=0.95, k=5)   # 20 rows: parts of 5
    for base in (1, 0, -2, math.inf):
        assert_raises(ValueError, "^base: ", fn, base=base)
    assert_raises(TypeError, "^base: ", fn, base="2")
    assert_raises(ValueError, "^seed: ", fn, seed=-1)
    assert_raises(TypeError, "^seed: ", fn, seed=1.5)
    assert_raises(TypeError, "^standardize: ", fn, standardize="yes")
    if name != "entropy":
        assert_raises(ValueError, "^permutations: ", fn, permutations=-1)
        assert_raises(TypeError, "^permutations: ", fn, permutations=2.0)
    if name not in ("mixed", "ross"):
        for jitter in (-1e-3, math.inf, math.nan):
            assert_raises(ValueError, "^jitter: ", fn, jitter=jitter)
        assert_raises(TypeError, "^jitter: ", fn, jitter="tiny")


def test_bad_strings():
    assert_raises(ValueError, "^metric: ", es.differential_entropy, GOOD, metric="manhattan")
    assert_raises(ValueError, "^metric: ", kl_divergence_knn, GOOD, GOOD, metric="l1")
    assert_raises(ValueError, "^metric: ", es.differential_entropy, GOOD, metric=None)
    assert_raises(ValueError, "^method: ", knn.mutual_info, GOOD1, GOOD2, method="ksg3")
    assert_raises(ValueError, "^method: ", es.mutual_info_mixed, GOOD1, GOOD2, method="ksg1")
    assert es.differential_entropy(GOOD, metric="chebyshev").value == \
        es.differential_entropy(GOOD, metric="max").value


def test_bad_transfer_entropy_arguments():
    for name in ("lag", "history"):
        assert_raises(ValueError, f"^{name}: ", es.transfer_entropy, GOOD1, GOOD2, **{name: 0})
        assert_raises(TypeError, f"^{name}: ", es.transfer_entropy, GOOD1, GOOD2, **{name: 1.0})
    assert_raises(ValueError, "^target: .*too short", es.transfer_entropy, GOOD1, GOOD2,
                  lag=10, history=10)
    n = len(GOOD1)
    assert_raises(ValueError, rf"^k: expected an integer in 1\.\.2 \(fewer than the 3 embedded "
                  rf"samples that lag={n - 3}, history=1 leave of {n} values\), got 3$",
                  es.transfer_entropy, GOOD1, GOOD2, lag=n - 3, k=3)


def test_bad_labels():
    assert_raises(ValueError, "^y: .*non-integer", es.mutual_info_mixed, GOOD1, GOOD2,
                  method="ross")
    assert_raises(ValueError, "^y: .*NaN", es.mutual_info_mixed, GOOD1,
                  np.r_[np.nan, LABELS[1:]], method="ross")
    assert_raises(ValueError, "^y: .*1-D", es.mutual_info_mixed, GOOD1, GOOD, method="ross")
    assert_raises(TypeError, "^y: ", es.mutual_info_mixed, GOOD1, LABELS + 0j, method="ross")
    assert_raises(ValueError, "^y: .*non-integer", es.feature_mi, GOOD, GOOD1,
                  discrete_target=True)
    assert_raises(ValueError, "^y: .*1-D", es.feature_mi, GOOD, GOOD)
    assert_raises(TypeError, "^discrete_target: ", es.feature_mi, GOOD, LABELS,
                  discrete_target="yes")


def test_bad_discrete_features():
    assert_raises(ValueError, "^discrete_features: ", es.feature_mi, GOOD, GOOD1,
                  discrete_features="all")
    assert_raises(ValueError, "^discrete_features: .*shape", es.feature_mi, GOOD, GOOD1,
                  discrete_features=[True, False, True])
    assert_raises(ValueError, "^discrete_features: .*out of range", es.feature_mi, GOOD, GOOD1,
                  discrete_features=[2])
    assert_raises(ValueError, "^discrete_features: .*out of range", es.feature_mi, GOOD, GOOD1,
                  discrete_features=[-3])
    assert_raises(TypeError, "^discrete_features: ", es.feature_mi, GOOD, GOOD1,
                  discrete_features=[0.5])


def test_bad_kl_arguments():
    assert_raises(ValueError, "^k: .*at most 5", kl_divergence_knn, GOOD, GOOD[:5] + 1, 6)
    assert_raises(ValueError, "^y: .*empty", kl_divergence_knn, GOOD, np.zeros((0, 2)))
    assert_raises(ValueError, "^y: column 1 is constant", kl_divergence_knn, GOOD,
                  np.c_[GOOD1, np.ones(20)])
    # a single row of y is allowed (k = 1), unless it coincides with a point of x
    assert math.isfinite(kl_divergence_knn(GOOD, GOOD[:1] + 0.5, 1))
    assert_raises(ValueError, "^y: ", kl_divergence_knn, GOOD, GOOD[:1], 1)
    assert_raises(ValueError, "^jitter: ", kl_divergence_knn, GOOD, GOOD, jitter=-1.0)


# ------------------------------------------------------------------ large inputs


@pytest.mark.slow
def test_large_sample_against_closed_forms():
    rng = np.random.default_rng(123)
    cov = random_cov(rng, 3)
    s = correlated(rng, 200_000, cov)
    assert abs(es.differential_entropy(s).value - ref.gaussian_entropy(cov)) < 0.01
    assert abs(knn.mutual_info(s[:, 0], s[:, 1:]).value - ref.gaussian_mutual_info(cov, 1)) \
        < 0.01
    truth = ref.gaussian_conditional_mutual_info(cov, [0], [1], [2])
    assert abs(knn.conditional_mutual_info(s[:, 0], s[:, 1], s[:, 2]).value - truth) < 0.01
    want = sklearn_fs.mutual_info_regression(s[:20_000, :2], s[:20_000, 2], random_state=0)
    np.testing.assert_allclose(es.feature_mi(s[:20_000, :2], s[:20_000, 2]), want, rtol=1e-6)


def test_digamma_sum_identity_large_k():
    # KL entropy without ties: psi(n) - psi(k) + log V_d + d/n sum log r_i, at k = n - 1
    rng = np.random.default_rng(8)
    x = rng.normal(size=(2000, 1))
    h = es.differential_entropy(x, 1999, **RAW).value
    r = np.abs(x - x.T).max(axis=1)
    want = digamma(2000) - digamma(1999) + math.log(2) + np.mean(np.log(r))
    np.testing.assert_allclose(h, want, rtol=1e-12)


def test_kl_divergence_knn_of_one_sample_twice_is_the_documented_offset(rng):
    # y = x: each point's k-th neighbour in y is its (k-1)-th in x, so the estimate is
    # d * mean log(rho_{k-1} / rho_k) + log(n / (n - 1)), about -1/(k - 1); for k = 1
    # the tie rule gives psi(1) - psi(2) = -1 exactly.
    x = rng.normal(size=(3000, 2))
    n = len(x)
    assert math.isclose(kl_divergence_knn(x, x, 1), -1 + math.log(n / (n - 1)), rel_tol=1e-12)
    for k in (3, 5):
        assert abs(kl_divergence_knn(x, x, k) + 1 / (k - 1)) < 0.03


def test_preparation_keeps_tiny_values_apart_from_zero(rng):
    # A column holding 1 beside 5e-324 and 0: no power-of-two prescale may flush the tiny
    # values into copies of 0 (copies change the zero-distance rules), and
    # standardize=False leaves the data as given.
    x = rng.normal(size=300)
    x[:4] = [1.0, 5e-324, 0.0, 1e-310]
    y = x + rng.normal(size=300)
    np.testing.assert_allclose(knn.mutual_info(x, y, **RAW).value,
                               ref.ksg_mutual_info(x, y, 3, 1), rtol=RTOL)
    want = ref.ksg_mutual_info(x / x.std(), y / y.std(), 3, 1)
    np.testing.assert_allclose(knn.mutual_info(x, y, jitter=0.0).value, want, rtol=RTOL)
    big = x * 1e300  # prescaled for the spread only: the division still rounds once
    want = ref.ksg_mutual_info(big / np.ldexp(np.ldexp(big, -998).std(), 998), y / y.std(),
                               3, 1)
    np.testing.assert_allclose(knn.mutual_info(big, y, jitter=0.0).value, want, rtol=RTOL)
