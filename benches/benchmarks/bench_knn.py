"""Benchmarks of the k-nearest-neighbour estimators, each beside its best-known alternative.

``time_entrostat`` methods call entrostat; the other ``time_*`` methods of the same class
compute the same number with scikit-learn or with a SciPy ``cKDTree`` script on the same
data (``MixedMutualInfo``: the cKDTree script for ``gao``, scikit-learn's
``mutual_info_classif`` for ``ross``). ``track_speedup*`` methods time both sides in the
same process, interleaved, and return (alternative time) / (entrostat time), the fastest
run of each; the slow
scikit-learn ``feature_mi`` comparison is measured once per run in ``setup_cache``.

The cKDTree scripts are the fastest straightforward SciPy route: joint k-NN radii from
``query(..., k=[k + 1], workers=-1)`` and neighbour counts from
``query_ball_point(..., r=np.nextafter(eps, 0), p=inf, return_length=True, workers=-1)``
(strict counts), then the digamma sums. They prepare the data as entrostat does
(each column divided by its standard deviation, then ``1e-10 * std * N(0, 1)`` noise drawn
from ``default_rng(0)`` argument by argument), so both sides compute the same number;
``setup_cache`` asserts that they agree to 1e-6 (scikit-learn draws its own 1e-10 noise,
which only moves near-ties, so it agrees to ~1e-8).

Data come from ``np.random.default_rng(0)``. entrostat uses all cores
(``ENTROSTAT_NUM_THREADS``); cKDTree uses all cores too (``workers=-1``), scikit-learn's
``mutual_info_regression`` runs on one (its ``n_jobs=-1`` was slower on 2 cores).
"""

from __future__ import annotations

import time

import numpy as np
from scipy.spatial import cKDTree
from scipy.special import digamma, gammaln

from entrostat import knn
from entrostat.divergence import kl_divergence_knn

K = 3
JITTER = 1e-10


def rng():
    return np.random.default_rng(0)


def gaussian_pair(n, rho=0.6):
    """n draws of a standard bivariate Gaussian with correlation rho, as two 1-D arrays."""
    gen = rng()
    x = gen.normal(size=n)
    return x, rho * x + np.sqrt(1 - rho**2) * gen.normal(size=n)


def sklearn_mi_regression():
    """scikit-learn's mutual_info_regression, imported in setup (a test dependency:
    missing is a failure, never a silently skipped comparison)."""
    from sklearn.feature_selection import mutual_info_regression

    return mutual_info_regression


def sklearn_mi_classif():
    """scikit-learn's mutual_info_classif (Ross's estimator for a continuous feature and
    class labels), imported in setup like ``sklearn_mi_regression``."""
    from sklearn.feature_selection import mutual_info_classif

    return mutual_info_classif


def prepare(*arrays, standardize=True, jitter=JITTER, seed=0):
    """Copies of the arrays as (n, d) float64, prepared as entrostat.knn does: each column
    divided by its standard deviation, then ``jitter * std * N(0, 1)`` noise drawn from
    ``default_rng(seed)``, argument by argument. Also returns sum(log std)."""
    gen = np.random.default_rng(seed)
    out, log_scale = [], 0.0
    for a in arrays:
        a = np.array(a, dtype=np.float64).reshape(len(a), -1)
        if standardize:
            scale = a.std(axis=0)
            a /= scale
            log_scale += float(np.sum(np.log(scale)))
        a += (jitter * a.std(axis=0)) * gen.standard_normal(a.shape)
        out.append(a)
    return out, log_scale


def kth_radius(points, queries, k, p=2.0):
    """Distance from each query to its k-th nearest point (cKDTree, all cores)."""
    return cKDTree(points).query(queries, k=[k], p=p, workers=-1)[0][:, 0]


def strict_counts(points, radius):
    """Number of points strictly within ``radius[i]`` of point i (itself included),
    max-norm."""
    return cKDTree(points).query_ball_point(points, np.nextafter(radius, 0), p=np.inf,
                                            return_length=True, workers=-1)


def ckdtree_ksg1(x, y, k=K):
    """KSG estimator 1 (nats): psi(k) + psi(n) - <psi(n_x + 1) + psi(n_y + 1)>."""
    (x, y), _ = prepare(x, y)
    n = x.shape[0]
    xy = np.hstack([x, y])
    eps = kth_radius(xy, xy, k + 1, p=np.inf)
    nx1, ny1 = strict_counts(x, eps), strict_counts(y, eps)   # n_x + 1, n_y + 1
    return digamma(k) + digamma(n) - np.mean(digamma(nx1) + digamma(ny1))


def ckdtree_cmi(x, y, z, k=K):
    """Frenzel-Pompe I(X;Y|Z) (nats): psi(k) + <psi(n_z+1) - psi(n_xz+1) - psi(n_yz+1)>."""
    (x, y, z), _ = prepare(x, y, z)
    return cmi_of_prepared(x, y, z, k)


def ckdtree_transfer_entropy(source, target, k=K):
    """Transfer entropy with lag 1 and history 1, I(T_t; S_{t-1} | T_{t-1}) (nats): the
    two series prepared (source first), then the Frenzel-Pompe CMI of the windows."""
    (s, t), _ = prepare(source, target)
    return cmi_of_prepared(t[1:], s[:-1], t[:-1], k)


def ckdtree_mixed_mi(x, y, k=K):
    """Gao-Kannan-Oh-Viswanath MI (nats) as in the authors' code, max-norm, on columns
    divided by their standard deviation (no jitter: repeated values are information):
    mean[psi(kt_i) + log n - psi(n_x) - psi(n_y)], rho_i the k-th joint neighbour distance;
    where rho_i = 0, kt_i, n_x, n_y count the points at distance 0, else kt_i = k and n_x,
    n_y count the points strictly within rho_i (itself included)."""
    (x, y), _ = prepare(x, y, jitter=0.0)
    n = x.shape[0]
    xy = np.hstack([x, y])
    rho = kth_radius(xy, xy, k + 1, p=np.inf)
    kt = np.full(n, float(k))
    atoms = np.flatnonzero(rho == 0)
    if atoms.size:
        kt[atoms] = cKDTree(xy).query_ball_point(xy[atoms], 0.0, p=np.inf,
                                                 return_length=True, workers=-1)
    nx, ny = strict_counts(x, rho), strict_counts(y, rho)
    return float(np.mean(digamma(kt) + np.log(n) - digamma(nx) - digamma(ny)))


def cmi_of_prepared(x, y, z, k=K):
    """The Frenzel-Pompe digamma sums on prepared (n, d) arrays."""
    xyz = np.hstack([x, y, z])
    eps = kth_radius(xyz, xyz, k + 1, p=np.inf)
    nz1 = strict_counts(z, eps)
    nxz1 = strict_counts(np.hstack([x, z]), eps)
    nyz1 = strict_counts(np.hstack([y, z]), eps)
    return digamma(k) + np.mean(digamma(nz1) - digamma(nxz1) - digamma(nyz1))


def ckdtree_entropy(x, k=K):
    """Kozachenko-Leonenko entropy (nats), Euclidean:
    psi(n) - psi(k) + log V_d + d <log r_i>, plus sum(log std) for the standardisation."""
    (x,), log_scale = prepare(x)
    n, d = x.shape
    r = kth_radius(x, x, k + 1)
    log_ball = 0.5 * d * np.log(np.pi) - gammaln(0.5 * d + 1)
    return digamma(n) - digamma(k) + log_ball + d * np.mean(np.log(r)) + log_scale


def ckdtree_kl_divergence(x, y, k=1):
    """Wang-Kulkarni-Verdu D(p || q) (nats), Euclidean, on the raw data (entrostat's
    kl_divergence_knn neither standardises nor jitters by default):
    (d / n) sum log(nu_i / rho_i) + log(m / (n - 1))."""
    n, d = x.shape
    rho = kth_radius(x, x, k + 1)
    nu = kth_radius(y, x, k)
    return d * np.mean(np.log(nu / rho)) + np.log(y.shape[0] / (n - 1))


def best_time(fn, repeat):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def speedup(alternative, ours, repeat=3, ours_per_round=1):
    """(fastest time of ``alternative``) / (fastest time of ``ours``) over ``repeat``
    interleaved rounds (fewer where the alternative is slow, to keep the run short). Each
    round runs the alternative once and ``ours`` ``ours_per_round`` times: a call many
    times shorter than the alternative is more exposed to a moment of machine noise, so
    its fastest-of figure takes a few samples per round."""
    t_alt, t_ours = [], []
    for _ in range(repeat):
        t_alt.append(best_time(alternative, 1))
        t_ours.append(best_time(ours, ours_per_round))
    return min(t_alt) / min(t_ours)


def assert_close(name, ours, theirs, tol=1e-6):
    if not abs(float(ours) - float(theirs)) <= tol:
        raise AssertionError(f"{name}: entrostat gives {ours!r}, the alternative {theirs!r}")


# --------------------------------------------------------------------------- KSG MI


class KsgMutualInfo:
    """knn.mutual_info(x, y, k=3, method="ksg1"): bivariate Gaussian, rho = 0.6 (exact
    MI 0.2231 nats), n = 10^5, vs sklearn mutual_info_regression(x[:, None], y,
    n_neighbors=3) and the cKDTree KSG-1 script."""

    timeout = 300
    number = 1
    repeat = (1, 3, 30.0)

    def setup_cache(self):
        x, y = gaussian_pair(10**5)
        ours = knn.mutual_info(x, y, k=K, method="ksg1").value
        assert_close("ksg1 vs cKDTree", ours, ckdtree_ksg1(x, y))
        sk = sklearn_mi_regression()(x[:, None], y, n_neighbors=K, random_state=0)[0]
        assert_close("ksg1 vs sklearn", ours, sk)
        assert_close("ksg1 vs exact", ours, -0.5 * np.log(1 - 0.36), tol=0.01)
        return x, y

    def setup(self, data):
        self.x, self.y = data
        self.mi_regression = sklearn_mi_regression()

    def _entrostat(self):
        knn.mutual_info(self.x, self.y, k=K, method="ksg1")

    def _sklearn(self):
        self.mi_regression(self.x[:, None], self.y, n_neighbors=K, random_state=0)

    def _ckdtree(self):
        ckdtree_ksg1(self.x, self.y)

    def time_entrostat(self, data):
        self._entrostat()

    def time_sklearn(self, data):
        self._sklearn()

    def time_scipy_ckdtree(self, data):
        self._ckdtree()

    def track_speedup_vs_sklearn(self, data):
        return speedup(self._sklearn, self._entrostat, repeat=3, ours_per_round=5)

    track_speedup_vs_sklearn.unit = "x"

    def track_speedup_vs_scipy_ckdtree(self, data):
        return speedup(self._ckdtree, self._entrostat, repeat=2)

    track_speedup_vs_scipy_ckdtree.unit = "x"


class KsgMutualInfoLarge:
    """knn.mutual_info(x, y, k=3) at n = 10^6 (rho = 0.6; target: < 2 s on 2 cores).
    The cKDTree script takes ~7x longer here and is left out to keep the run short."""

    timeout = 300
    number = 1
    repeat = (1, 3, 30.0)

    def setup(self):
        self.x, self.y = gaussian_pair(10**6)

    def time_entrostat(self):
        knn.mutual_info(self.x, self.y, k=K, method="ksg1")


# --------------------------------------------------------------------------- feature_mi


class FeatureMi:
    """knn.feature_mi(X, y, k=3): 50 continuous N(0, 1) columns, n = 10^5, y = sum of the
    first 5 columns + N(0, 1), vs sklearn mutual_info_regression(X, y, n_neighbors=3).

    scikit-learn takes ~35 s here, so ``setup_cache`` measures each side once, in the same
    process, and checks that they agree; the ``track_*`` methods report those numbers.
    """

    timeout = 600
    number = 1
    repeat = 1

    def setup_cache(self):
        gen = rng()
        X = gen.normal(size=(10**5, 50))
        y = X[:, :5].sum(axis=1) + gen.normal(size=10**5)
        t0 = time.perf_counter()
        ours = knn.feature_mi(X, y, k=K)
        t1 = time.perf_counter()
        theirs = sklearn_mi_regression()(X, y, n_neighbors=K, random_state=0)
        t2 = time.perf_counter()
        worst = np.argmax(np.abs(ours - theirs))
        assert_close(f"feature_mi column {worst} vs sklearn", ours[worst], theirs[worst])
        return {"entrostat": t1 - t0, "sklearn": t2 - t1}

    setup_cache.timeout = 600

    def track_entrostat_seconds(self, times):
        return times["entrostat"]

    track_entrostat_seconds.unit = "seconds"

    def track_sklearn_seconds(self, times):
        return times["sklearn"]

    track_sklearn_seconds.unit = "seconds"

    def track_speedup_vs_sklearn(self, times):
        return times["sklearn"] / times["entrostat"]

    track_speedup_vs_sklearn.unit = "x"


# --------------------------------------------------------------------------- KL divergence


class KlDivergenceKnn:
    """kl_divergence_knn(x, y, k=1): x ~ N(0, I_4), y ~ N(0.5, I_4), n = m = 10^5
    (exact D = 0.5 nats; target: < 10 s), vs the cKDTree Wang-Kulkarni-Verdu script."""

    timeout = 300
    number = 1
    repeat = (1, 3, 30.0)

    def setup_cache(self):
        gen = rng()
        x = gen.normal(size=(10**5, 4))
        y = gen.normal(0.5, 1.0, size=(10**5, 4))
        ours = kl_divergence_knn(x, y, k=1)
        assert_close("kl_divergence_knn vs cKDTree", ours, ckdtree_kl_divergence(x, y))
        assert_close("kl_divergence_knn vs exact", ours, 0.5, tol=0.05)
        return x, y

    def setup(self, data):
        self.x, self.y = data

    def _entrostat(self):
        kl_divergence_knn(self.x, self.y, k=1)

    def _ckdtree(self):
        ckdtree_kl_divergence(self.x, self.y)

    def time_entrostat(self, data):
        self._entrostat()

    def time_scipy_ckdtree(self, data):
        self._ckdtree()

    def track_speedup_vs_scipy_ckdtree(self, data):
        return speedup(self._ckdtree, self._entrostat, repeat=2)

    track_speedup_vs_scipy_ckdtree.unit = "x"


# --------------------------------------------------------------------------- entropy, CMI


class DifferentialEntropy:
    """knn.differential_entropy(x, k=3) (Kozachenko-Leonenko, Euclidean): x ~ N(0, I_3),
    n = 10^5 (exact 4.2568 nats), vs the cKDTree script."""

    timeout = 300
    number = 1
    repeat = (1, 3, 30.0)

    def setup_cache(self):
        x = rng().normal(size=(10**5, 3))
        ours = knn.differential_entropy(x, k=K).value
        assert_close("differential_entropy vs cKDTree", ours, ckdtree_entropy(x))
        assert_close("differential_entropy vs exact", ours,
                     1.5 * np.log(2 * np.pi * np.e), tol=0.02)
        return x

    def setup(self, x):
        self.x = x

    def _entrostat(self):
        knn.differential_entropy(self.x, k=K)

    def _ckdtree(self):
        ckdtree_entropy(self.x)

    def time_entrostat(self, x):
        self._entrostat()

    def time_scipy_ckdtree(self, x):
        self._ckdtree()

    def track_speedup_vs_scipy_ckdtree(self, x):
        return speedup(self._ckdtree, self._entrostat)

    track_speedup_vs_scipy_ckdtree.unit = "x"


class ConditionalMutualInfo:
    """knn.conditional_mutual_info(x, y, z, k=3) (Frenzel-Pompe): z ~ N(0, 1),
    x = z + N(0, 1), y = z + N(0, 1) (exact I(X;Y|Z) = 0), n = 10^5, 1-D each, vs the
    cKDTree script (one 3-D k-NN query, ball counts in (x, z), (y, z) and z)."""

    timeout = 300
    number = 1
    repeat = (1, 3, 30.0)

    def setup_cache(self):
        gen = rng()
        z = gen.normal(size=10**5)
        x = z + gen.normal(size=10**5)
        y = z + gen.normal(size=10**5)
        ours = knn.conditional_mutual_info(x, y, z, k=K).value
        assert_close("conditional_mutual_info vs cKDTree", ours, ckdtree_cmi(x, y, z))
        assert_close("conditional_mutual_info vs exact", ours, 0.0, tol=0.02)
        return x, y, z

    def setup(self, data):
        self.x, self.y, self.z = data

    def _entrostat(self):
        knn.conditional_mutual_info(self.x, self.y, self.z, k=K)

    def _ckdtree(self):
        ckdtree_cmi(self.x, self.y, self.z)

    def time_entrostat(self, data):
        self._entrostat()

    def time_scipy_ckdtree(self, data):
        self._ckdtree()

    def track_speedup_vs_scipy_ckdtree(self, data):
        return speedup(self._ckdtree, self._entrostat, repeat=1)

    track_speedup_vs_scipy_ckdtree.unit = "x"


# --------------------------------------------------------------------------- transfer entropy


class TransferEntropy:
    """knn.transfer_entropy(s, t) (lag 1, history 1, k=3): t_i = 0.6 s_{i-1} + 0.8 N(0, 1),
    n = 10^5, vs the cKDTree script (the same preparation of both series, then the
    Frenzel-Pompe CMI of the windows)."""

    timeout = 300
    number = 1
    repeat = (1, 3, 30.0)

    def setup_cache(self):
        gen = rng()
        s = gen.normal(size=10**5)
        t = np.empty_like(s)
        t[0] = 0.0
        t[1:] = 0.6 * s[:-1] + 0.8 * gen.normal(size=s.size - 1)
        ours = knn.transfer_entropy(s, t, k=K).value
        assert_close("transfer_entropy vs cKDTree", ours, ckdtree_transfer_entropy(s, t))
        # I(T_t; S_{t-1} | T_{t-1}) = -log(1 - 0.36) / 2 for this Gaussian process
        assert_close("transfer_entropy vs exact", ours, -0.5 * np.log(0.64), tol=0.02)
        return s, t

    def setup(self, data):
        self.s, self.t = data

    def _entrostat(self):
        knn.transfer_entropy(self.s, self.t, k=K)

    def _ckdtree(self):
        ckdtree_transfer_entropy(self.s, self.t)

    def time_entrostat(self, data):
        self._entrostat()

    def time_scipy_ckdtree(self, data):
        self._ckdtree()

    def track_speedup_vs_scipy_ckdtree(self, data):
        return speedup(self._ckdtree, self._entrostat, repeat=1)

    track_speedup_vs_scipy_ckdtree.unit = "x"


# --------------------------------------------------------------------------- mixed MI


class MixedMutualInfo:
    """knn.mutual_info_mixed(x, y, k=3).

    - ``gao``: x zero-inflated (exactly 0 with probability 0.3, else N(0, 1)), y =
      round(2 x) + a fair coin (discrete), n = 3 * 10^4, vs the cKDTree script of the
      authors' estimator (its ball counts in the discrete y meet thousands of ties, which
      is what makes it slow).
    - ``ross``: x continuous, y a class label (sign of x, flipped one time in five), n =
      10^5, vs sklearn mutual_info_classif(x[:, None], y, n_neighbors=3).
    """

    params = ["gao", "ross"]
    param_names = ["method"]
    timeout = 300
    number = 1
    repeat = (1, 2, 30.0)

    def setup_cache(self):
        gen = rng()
        n = 3 * 10**4
        x = np.where(gen.random(n) < 0.3, 0.0, gen.normal(size=n))
        y = np.round(2 * x) + gen.integers(0, 2, n)
        ours = knn.mutual_info_mixed(x, y, k=K).value
        assert_close("mutual_info_mixed vs cKDTree", ours, ckdtree_mixed_mi(x, y))
        xc = gen.normal(size=10**5)
        labels = (xc > 0).astype(np.int64) ^ (gen.random(xc.size) < 0.2)
        ours = knn.mutual_info_mixed(xc, labels, k=K, method="ross").value
        theirs = sklearn_mi_classif()(xc[:, None], labels, n_neighbors=K, random_state=0)[0]
        assert_close("mutual_info_mixed(ross) vs sklearn", ours, theirs)
        return {"gao": (x, y), "ross": (xc, labels)}

    def setup(self, data, method):
        self.x, self.y = data[method]
        self.method = method
        if method == "ross":
            self.classif = sklearn_mi_classif()

    def _entrostat(self):
        knn.mutual_info_mixed(self.x, self.y, k=K, method=self.method)

    def _alternative(self):
        if self.method == "gao":
            ckdtree_mixed_mi(self.x, self.y)
        else:
            self.classif(self.x[:, None], self.y, n_neighbors=K, random_state=0)

    def time_entrostat(self, data, method):
        self._entrostat()

    def time_alternative(self, data, method):
        self._alternative()

    def track_speedup(self, data, method):
        return speedup(self._alternative, self._entrostat, repeat=1, ours_per_round=3)

    track_speedup.unit = "x"
