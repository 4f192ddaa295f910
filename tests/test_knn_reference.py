"""The pure-NumPy k-nearest-neighbour references in ``entrostat._reference``, checked on
their own (no Rust): against independent k-d-tree computations written here with
``scipy.spatial.cKDTree``, against scikit-learn's KSG-1 and Ross estimators, against
hand-worked small cases (duplicates, ties), and against closed forms (Gaussian entropy, MI,
CMI and KL; uniform and exponential entropies) at moderate n with fixed seeds."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.spatial import cKDTree
from scipy.special import digamma, gammaln
from sklearn.feature_selection._mutual_info import _compute_mi_cc, _compute_mi_cd

from entrostat import _reference as ref

EXACT = {"rtol": 1e-12, "atol": 1e-12}
P = {"max": np.inf, "euclidean": 2}


def _log_ball(d, metric):
    return d * math.log(2) if metric == "max" else d / 2 * math.log(math.pi) - gammaln(d / 2 + 1)


def _below(r):
    """Largest float below ``r``: a ball query of radius _below(r) counts distance < r."""
    return np.nextafter(r, 0)


def _count_within(tree, points, radius, p=np.inf):
    """#{j: dist(points_i, tree_j) <= radius_i} for every i (the point itself included)."""
    return np.asarray(tree.query_ball_point(points, radius, p=p, return_length=True))


def _kth(tree, points, k, p=np.inf):
    """Distance from each point of the tree's own data to its k-th other point."""
    return tree.query(points, k + 1, p=p)[0][:, k]


def _gauss(rng, cov, n):
    return rng.multivariate_normal(np.zeros(len(cov)), cov, size=n)


# ------------------------------------------------------------------ k-d tree oracles (exact)


@pytest.mark.parametrize("metric", ["max", "euclidean"])
@pytest.mark.parametrize(("d", "k"), [(1, 1), (1, 4), (3, 1), (3, 5)])
def test_entropy_matches_kdtree(rng, metric, d, k):
    x = rng.normal(size=(500, d)) * rng.uniform(0.5, 2.0, size=d)
    r = _kth(cKDTree(x), x, k, P[metric])
    want = digamma(500) - digamma(k) + _log_ball(d, metric) + d * np.mean(np.log(r))
    np.testing.assert_allclose(ref.knn_entropy(x, k, metric), want, **EXACT)


@pytest.mark.parametrize("k", [1, 3, 6])
def test_ksg1_matches_kdtree(rng, k):
    x = rng.normal(size=(600, 2))
    y = x[:, :1] ** 3 + rng.normal(size=(600, 1))
    eps = _kth(cKDTree(np.hstack([x, y])), np.hstack([x, y]), k)
    nx = _count_within(cKDTree(x), x, _below(eps)) - 1
    ny = _count_within(cKDTree(y), y, _below(eps)) - 1
    want = digamma(k) + digamma(600) - np.mean(digamma(nx + 1) + digamma(ny + 1))
    np.testing.assert_allclose(ref.ksg_mutual_info(x, y, k, 1), want, **EXACT)


@pytest.mark.parametrize("k", [1, 3, 6])
def test_ksg2_matches_kdtree(rng, k):
    x = rng.normal(size=(600, 1))
    y = np.hstack([np.sin(2 * x), x]) + rng.normal(size=(600, 2))
    xy = np.hstack([x, y])
    _, idx = cKDTree(xy).query(xy, k + 1, p=np.inf)
    nbrs = idx[:, 1:]  # continuous data: the point itself is the unique nearest
    assert np.all(idx[:, 0] == np.arange(600))
    eps_x = np.max(np.abs(x[nbrs] - x[:, None, :]).max(axis=2), axis=1)
    eps_y = np.max(np.abs(y[nbrs] - y[:, None, :]).max(axis=2), axis=1)
    nx = _count_within(cKDTree(x), x, eps_x) - 1
    ny = _count_within(cKDTree(y), y, eps_y) - 1
    want = digamma(k) - 1 / k + digamma(600) - np.mean(digamma(nx) + digamma(ny))
    np.testing.assert_allclose(ref.ksg_mutual_info(x, y, k, 2), want, **EXACT)


@pytest.mark.parametrize(("dz", "k"), [(1, 1), (1, 4), (2, 3)])
def test_cmi_matches_kdtree(rng, dz, k):
    n = 500
    z = rng.normal(size=(n, dz))
    x = z[:, :1] + rng.normal(size=(n, 1))
    y = z.sum(axis=1, keepdims=True) + 0.5 * x + rng.normal(size=(n, 1))
    xyz = np.hstack([x, y, z])
    eps = _below(_kth(cKDTree(xyz), xyz, k))
    xz, yz = np.hstack([x, z]), np.hstack([y, z])
    n_xz = _count_within(cKDTree(xz), xz, eps) - 1
    n_yz = _count_within(cKDTree(yz), yz, eps) - 1
    n_z = _count_within(cKDTree(z), z, eps) - 1
    want = digamma(k) + np.mean(digamma(n_z + 1) - digamma(n_xz + 1) - digamma(n_yz + 1))
    np.testing.assert_allclose(ref.ksg_conditional_mutual_info(x, y, z, k), want, **EXACT)


@pytest.mark.parametrize("k", [1, 3, 10])
def test_mixed_matches_kdtree_with_atoms(rng, k):
    # X discrete; Y continuous for half of the rows and an atom at 0 for the rest, so
    # many joint points are duplicates and many k-NN radii are zero.
    n = 600
    x = rng.integers(0, 3, size=(n, 1)).astype(float)
    y = np.where(rng.random((n, 1)) < 0.5, 0.0, x + rng.normal(size=(n, 1)))
    xy = np.hstack([x, y])
    tree = cKDTree(xy)
    rho = _kth(tree, xy, k)  # the multiset of distances does not depend on tie order
    atom = rho == 0
    assert np.any(atom) and np.any(~atom)
    # Counts include the point itself: at distance 0 where rho = 0, strictly within rho
    # otherwise.
    kt = np.where(atom, _count_within(tree, xy, 0.0), k)
    tx, ty = cKDTree(x), cKDTree(y)
    nx = np.where(atom, _count_within(tx, x, 0.0), _count_within(tx, x, _below(rho)))
    ny = np.where(atom, _count_within(ty, y, 0.0), _count_within(ty, y, _below(rho)))
    assert np.all(kt[atom] > k)
    want = np.mean(digamma(kt) + np.log(n) - digamma(nx) - digamma(ny))
    np.testing.assert_allclose(ref.mixed_mutual_info(x, y, k), want, **EXACT)


def _ross_kdtree(x, labels, k):
    values, counts = np.unique(labels, return_counts=True)
    keep = np.isin(labels, values[counts > 1])
    x, labels = x[keep], labels[keep]
    n = len(x)
    radius, k_c, size = np.empty(n), np.empty(n), np.empty(n)
    for c in np.unique(labels):
        rows = labels == c
        kc = min(k, rows.sum() - 1)
        radius[rows] = _kth(cKDTree(x[rows]), x[rows], kc)
        k_c[rows], size[rows] = kc, rows.sum()
    tree = cKDTree(x)
    m = np.where(radius > 0, _count_within(tree, x, _below(radius)), _count_within(tree, x, 0.0))
    return digamma(n) + np.mean(digamma(k_c)) - np.mean(digamma(size)) - np.mean(digamma(m))


@pytest.mark.parametrize("k", [1, 3, 7])
def test_ross_matches_kdtree_multidimensional(rng, k):
    n = 500
    labels = rng.integers(0, 4, size=n)
    labels[:2] = [10, 11]  # two singletons: dropped
    labels[2:6] = 12  # a small class: k_c = min(k, 3)
    x = np.column_stack([labels % 4 + rng.normal(size=n), rng.normal(size=n)])
    x[100:140] = np.round(x[100:140])  # duplicates: some zero radii
    np.testing.assert_allclose(ref.ross_mutual_info(x, labels, k), _ross_kdtree(x, labels, k),
                               **EXACT)


def _positive_radius_kdtree(tree, points, k, p, self_in_tree):
    """The positive k-NN radius rule from a full sorted distance list per point."""
    dist = tree.query(points, tree.n, p=p)[0]
    if self_in_tree:
        dist = dist[:, 1:]  # drop one zero: the point itself
    radius, count = dist[:, k - 1].copy(), np.full(len(points), float(k))
    for i in np.flatnonzero(radius == 0):
        radius[i] = dist[i][dist[i] > 0][0]
        count[i] = np.sum(dist[i] <= radius[i])
    return radius, count


@pytest.mark.parametrize("metric", ["max", "euclidean"])
@pytest.mark.parametrize("k", [1, 3])
def test_entropy_zero_distance_rule_matches_kdtree(rng, metric, k):
    x = np.round(2 * rng.normal(size=(300, 2))) / 2  # many exact duplicates
    r, kk = _positive_radius_kdtree(cKDTree(x), x, k, P[metric], True)
    assert np.any(kk > k)
    want = digamma(300) + _log_ball(2, metric) + np.mean(2 * np.log(r) - digamma(kk))
    np.testing.assert_allclose(ref.knn_entropy(x, k, metric), want, **EXACT)


@pytest.mark.parametrize("metric", ["max", "euclidean"])
@pytest.mark.parametrize(("d", "k"), [(1, 1), (2, 1), (2, 4), (3, 2)])
def test_wkv_matches_kdtree(rng, metric, d, k):
    n, m = 400, 300
    x = rng.normal(size=(n, d))
    y = rng.normal(0.3, 1.5, size=(m, d))
    rho = _kth(cKDTree(x), x, k, P[metric])
    nu = cKDTree(y).query(x, [k], p=P[metric])[0][:, 0]
    want = d * np.mean(np.log(nu / rho)) + math.log(m / (n - 1))
    np.testing.assert_allclose(ref.kl_divergence_knn(x, y, k, metric), want, **EXACT)


@pytest.mark.parametrize("k", [1, 2])
def test_wkv_zero_distance_rule_matches_kdtree(rng, k):
    x = np.round(2 * rng.normal(size=(200, 2))) / 2
    y = np.round(2 * rng.normal(0.2, 1.0, size=(150, 2))) / 2  # shares many points with x
    rho, kk = _positive_radius_kdtree(cKDTree(x), x, k, 2, True)
    nu, ll = _positive_radius_kdtree(cKDTree(y), x, k, 2, False)
    assert np.any(kk > k) and np.any(ll > k)
    want = 2 * np.mean(np.log(nu / rho)) + np.mean(digamma(kk) - digamma(ll)) + math.log(150 / 199)
    np.testing.assert_allclose(ref.kl_divergence_knn(x, y, k, "euclidean"), want, **EXACT)


# ------------------------------------------------------------------ scikit-learn (1e-10)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("k", [1, 3, 5])
def test_ksg1_matches_sklearn(seed, k):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=800)
    y = np.sin(x) + 0.5 * rng.standard_t(3, size=800)
    want = _compute_mi_cc(x.copy(), y.copy(), k)
    assert want > 0.05  # scikit-learn clips at 0: compare on clearly dependent data
    np.testing.assert_allclose(ref.ksg_mutual_info(x, y, k, 1), want, rtol=1e-10, atol=1e-10)


def _ross_data(rng, n, round_to=None):
    labels = rng.integers(0, 5, size=n)
    x = labels + rng.normal(size=n)
    if round_to is not None:  # duplicates: some k-NN radii are zero
        x = 2 * labels + np.round(rng.normal(size=n), round_to)
    labels[:1] = 9  # a singleton: dropped
    # A class with fewer than k + 1 rows.  Its points sit on a dyadic grid: for such
    # tiny classes scikit-learn switches to brute force, whose Euclidean distances
    # (via |a|^2 + |b|^2 - 2ab) are exact only for such values.
    labels[1:4] = 7
    x[1:4] = [0.5, 1.25, 3.0]
    return x, labels


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("k", [1, 3, 5])
def test_ross_matches_sklearn(seed, k):
    x, labels = _ross_data(np.random.default_rng(seed), 900)
    want = _compute_mi_cd(x.copy(), labels.copy(), k)
    assert want > 0.05  # scikit-learn clips at 0
    np.testing.assert_allclose(ref.ross_mutual_info(x, labels, k), want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize(("round_to", "k"), [(2, 1), (2, 3), (1, 3), (1, 8)])
def test_ross_matches_sklearn_with_duplicates(round_to, k):
    # Zero radii make Ross's estimate fall (psi(m_i) counts every tied point, psi(k) does
    # not); coarse grids with small k go negative, where scikit-learn's clip hides the
    # value, so the grids and k here keep it positive.
    x, labels = _ross_data(np.random.default_rng(5), 900, round_to=round_to)
    want = _compute_mi_cd(x.copy(), labels.copy(), k)
    assert want > 0.05
    np.testing.assert_allclose(ref.ross_mutual_info(x, labels, k), want, rtol=1e-10, atol=1e-10)


# ------------------------------------------------------------------ hand-worked cases


def test_entropy_duplicates_by_hand():
    # x = 0, 0, 1, 3; k = 1.  Radius (count): 0 -> 1 (2), 0 -> 1 (2), 1 -> 1 (1), 3 -> 2 (1).
    x = np.array([0.0, 0.0, 1.0, 3.0])
    want = digamma(4) + math.log(2) + np.mean(np.log([1, 1, 1, 2]) - digamma([2, 2, 1, 1]))
    np.testing.assert_allclose(ref.knn_entropy(x, 1, "max"), want, **EXACT)
    # k = 2: every second-neighbour distance is positive (1, 1, 1, 3), so every count is 2.
    want = digamma(4) + math.log(2) + np.mean(np.log([1, 1, 1, 3]) - digamma(2))
    np.testing.assert_allclose(ref.knn_entropy(x, 2, "max"), want, **EXACT)


def test_wkv_duplicates_by_hand():
    x = np.array([0.0, 0.0, 2.0])
    y = np.array([0.0, 0.0, 0.0, 1.0])
    # In x (k = 1): 0 -> 2 (2), 0 -> 2 (2), 2 -> 2 (1).  In y: 0 -> 1 (4), 0 -> 1 (4),
    # 2 -> 1 (1).
    rho, kk = np.array([2.0, 2.0, 2.0]), np.array([2, 2, 1])
    nu, ll = np.array([1.0, 1.0, 1.0]), np.array([4, 4, 1])
    want = np.mean(np.log(nu / rho)) + np.mean(digamma(kk) - digamma(ll)) + math.log(4 / 2)
    np.testing.assert_allclose(ref.kl_divergence_knn(x, y, 1, "euclidean"), want, **EXACT)


def test_ksg2_ties_go_to_the_lower_index():
    # Point 0 has two joint nearest neighbours at distance 1: point 1 (dx=1, dy=0) and
    # point 2 (dx=0, dy=1).  With k = 1 the lower index, point 1, is its neighbour.
    x = np.array([0.0, 1.0, 0.0, 5.0, 9.0])
    y = np.array([0.0, 0.0, 1.0, 7.0, 2.0])
    n, k = 5, 1
    nx = np.empty(n)
    ny = np.empty(n)
    for i in range(n):
        joint = [max(abs(x[j] - x[i]), abs(y[j] - y[i])) if j != i else np.inf for j in range(n)]
        j = int(np.argmin(joint))  # argmin returns the first (lowest) index among ties
        ex, ey = abs(x[j] - x[i]), abs(y[j] - y[i])
        nx[i] = sum(abs(x[m] - x[i]) <= ex for m in range(n) if m != i)
        ny[i] = sum(abs(y[m] - y[i]) <= ey for m in range(n) if m != i)
    assert (nx[0], ny[0]) == (2, 1)  # eps_x(0) = 1 covers points 1 and 2; eps_y(0) = 0
    want = digamma(k) - 1 / k + digamma(n) - np.mean(digamma(nx) + digamma(ny))
    np.testing.assert_allclose(ref.ksg_mutual_info(x, y, k, 2), want, **EXACT)


def test_mixed_by_hand():
    # Points (x, y) = (0, 0), (0, 0), (0, 1), (3, 1); k = 1.  Counts include the point.
    # 0, 1: rho = 0 (each other); kt = 2, n_x = #{x = 0} = 3, n_y = #{y = 0} = 2.
    # 2: rho = 1 (points 0 and 1); kt = 1, n_x = #{|x| < 1} = 3, n_y = #{|y - 1| < 1} = 2.
    # 3: rho = 3 (all others); kt = 1, n_x = #{|x - 3| < 3} = 1, n_y = #{|y - 1| < 3} = 4.
    x = np.array([0.0, 0.0, 0.0, 3.0])
    y = np.array([0.0, 0.0, 1.0, 1.0])
    kt, nx, ny = np.array([2, 2, 1, 1]), np.array([3, 3, 3, 1]), np.array([2, 2, 2, 4])
    want = np.mean(digamma(kt) + math.log(4) - digamma(nx) - digamma(ny))
    np.testing.assert_allclose(ref.mixed_mutual_info(x, y, 1), want, **EXACT)


def test_mixed_on_discrete_data_by_hand():
    # X = Y with 4 values, N_c rows each: every radius is 0, kt = n_x = n_y = N_c, so the
    # estimate is log n - mean psi(N_c), a digamma version of the plug-in entropy.
    sizes = np.array([5, 7, 9, 11])
    x = np.repeat(np.arange(4.0), sizes)
    n = sizes.sum()
    want = math.log(n) - np.sum(sizes / n * digamma(sizes))
    np.testing.assert_allclose(ref.mixed_mutual_info(x, x, 3), want, **EXACT)
    # A 2 x 3 table with every cell of at least k + 1 = 4 rows: every radius is 0, and
    # kt, n_x, n_y are the cell, row and column counts of i's cell.
    table = np.array([[4, 9, 5], [12, 6, 4]])
    a, b = np.indices(table.shape).reshape(2, -1)
    cells = table[a, b]
    x, y = np.repeat(a, cells).astype(float), np.repeat(b, cells).astype(float)
    n = table.sum()
    nxy, nx, ny = cells, table.sum(axis=1)[a], table.sum(axis=0)[b]
    want = np.sum(nxy / n * (digamma(nxy) + math.log(n) - digamma(nx) - digamma(ny)))
    np.testing.assert_allclose(ref.mixed_mutual_info(x, y, 3), want, **EXACT)


def test_mixed_on_continuous_data_is_ksg1_with_log_n(rng):
    # No radius is 0, so n_x, n_y are KSG-1's strict counts plus the point itself.
    x = rng.normal(size=(300, 2))
    y = x[:, :1] - x[:, 1:] ** 2 + rng.normal(size=(300, 1))
    for k in (1, 4):
        want = ref.ksg_mutual_info(x, y, k, 1) - digamma(300) + math.log(300)
        np.testing.assert_allclose(ref.mixed_mutual_info(x, y, k), want, **EXACT)


def test_ross_by_hand():
    # Class 0 at {0, 1, 3}, class 1 at {0.5, 4}, a singleton class 2 (dropped); k = 2.
    x = np.array([0.0, 1.0, 3.0, 0.5, 4.0, 100.0])
    labels = np.array([0, 0, 0, 1, 1, 2])
    # k_c = 2, 2, 2, 1, 1; radii 3, 2, 3, 3.5, 3.5; strict counts among the 5 kept points
    # (self included): 0 -> {0, 1, 0.5} = 3; 1 -> {0, 1, 0.5} = 3 (3 is at distance 2);
    # 3 -> {1, 3, 0.5, 4} = 4; 0.5 -> {0, 1, 3, 0.5} = 4; 4 -> {1, 3, 4} = 3.
    k_c = np.array([2, 2, 2, 1, 1])
    size = np.array([3, 3, 3, 2, 2])
    m = np.array([3, 3, 4, 4, 3])
    want = digamma(5) + np.mean(digamma(k_c)) - np.mean(digamma(size)) - np.mean(digamma(m))
    np.testing.assert_allclose(ref.ross_mutual_info(x, labels, 2), want, **EXACT)
    assert ref.ross_mutual_info(x[:3], [0, 1, 2], 1) == 0.0  # nothing kept


# ------------------------------------------------------------------ invariants (exact)


def test_entropy_scales_exactly(rng):
    x = rng.normal(size=(300, 2))
    for metric in ("max", "euclidean"):
        h = ref.knn_entropy(x, 3, metric)
        np.testing.assert_allclose(ref.knn_entropy(4 * x, 3, metric), h + 2 * math.log(4),
                                   **EXACT)


def test_one_dimensional_input_is_one_column(rng):
    x, y = rng.normal(size=200), rng.normal(size=200)
    assert ref.knn_entropy(x, 2, "max") == ref.knn_entropy(x[:, None], 2, "max")
    assert ref.ksg_mutual_info(x, y, 2, 2) == ref.ksg_mutual_info(x[:, None], y[:, None], 2, 2)
    assert ref.kl_divergence_knn(x, y, 2) == ref.kl_divergence_knn(x[:, None], y[:, None], 2)


def test_symmetry_and_row_order(rng):
    n = 300
    x = rng.normal(size=(n, 2))
    y = x[:, :1] + rng.normal(size=(n, 1))
    z = rng.normal(size=(n, 1))
    perm = rng.permutation(n)
    for variant in (1, 2):
        i = ref.ksg_mutual_info(x, y, 3, variant)
        np.testing.assert_allclose(ref.ksg_mutual_info(y, x, 3, variant), i, **EXACT)
        np.testing.assert_allclose(ref.ksg_mutual_info(x[perm], y[perm], 3, variant), i, **EXACT)
    c = ref.ksg_conditional_mutual_info(x, y, z, 3)
    np.testing.assert_allclose(ref.ksg_conditional_mutual_info(y, x, z, 3), c, **EXACT)
    mixed = ref.mixed_mutual_info(x, y, 3)
    np.testing.assert_allclose(ref.mixed_mutual_info(y, x, 3), mixed, **EXACT)
    np.testing.assert_allclose(ref.mixed_mutual_info(x[perm], y[perm], 3), mixed, **EXACT)


def test_common_power_of_two_rescaling_leaves_mi_unchanged(rng):
    # The joint max-norm mixes the variables' scales, so only a common factor leaves the
    # k-NN structure unchanged (standardising the columns first is the user's business).
    x, y, z = rng.normal(size=(3, 300, 1))
    y = y + x + z
    for variant in (1, 2):
        np.testing.assert_allclose(ref.ksg_mutual_info(8 * x, 8 * y, 3, variant),
                                   ref.ksg_mutual_info(x, y, 3, variant), **EXACT)
    assert abs(ref.ksg_mutual_info(8 * x, y, 3) - ref.ksg_mutual_info(x, y, 3)) > 1e-3
    np.testing.assert_allclose(ref.ksg_conditional_mutual_info(x / 2, y / 2, z / 2, 3),
                               ref.ksg_conditional_mutual_info(x, y, z, 3), **EXACT)
    np.testing.assert_allclose(ref.mixed_mutual_info(4 * x, 4 * y, 3),
                               ref.mixed_mutual_info(x, y, 3), **EXACT)


@pytest.mark.parametrize(
    "call",
    [
        lambda x: ref.knn_entropy(x, 0),
        lambda x: ref.knn_entropy(x, 10),
        lambda x: ref.knn_entropy(np.ones((10, 2)), 1),
        lambda x: ref.knn_entropy(x[:1], 1),
        lambda x: ref.knn_entropy(x, 1, "manhattan"),
        lambda x: ref.ksg_mutual_info(x, x[:9], 1),
        lambda x: ref.ksg_mutual_info(x, x, 1, variant=3),
        lambda x: ref.ksg_conditional_mutual_info(x, x, x[:5], 1),
        lambda x: ref.mixed_mutual_info(x, x, 10),
        lambda x: ref.kl_divergence_knn(x, x[:3], 4),
        lambda x: ref.kl_divergence_knn(x, np.ones((5, 1)), 1),
        lambda x: ref.kl_divergence_knn(x, np.ones((5, 2)), 1),
        lambda x: ref.knn_entropy(np.ones((2, 2, 2)), 1),
    ],
)
def test_invalid_inputs_raise(call):
    with pytest.raises(ValueError):
        call(np.arange(10.0).reshape(10, 1))


# ------------------------------------------------------------------ closed forms


def test_closed_forms():
    rho = 0.7
    cov = np.array([[1.0, rho], [rho, 1.0]])
    np.testing.assert_allclose(ref.gaussian_mutual_info(cov, 1), -0.5 * math.log(1 - rho**2))
    np.testing.assert_allclose(ref.gaussian_mutual_info(4 * cov, 1), -0.5 * math.log(1 - rho**2))
    np.testing.assert_allclose(ref.gaussian_entropy(2.0), 0.5 * math.log(2 * math.pi * math.e * 2))
    np.testing.assert_allclose(ref.gaussian_entropy(cov),
                               2 * ref.gaussian_entropy(1.0) - ref.gaussian_mutual_info(cov, 1))
    s = np.array([[2.0, 0.3, 0.5], [0.3, 1.0, 0.2], [0.5, 0.2, 1.5]])
    np.testing.assert_allclose(ref.gaussian_conditional_mutual_info(s, [0], [1], []),
                               ref.gaussian_mutual_info(s[:2, :2], 1))
    # chain rule: I(X; Y, Z) = I(X; Z) + I(X; Y | Z)
    np.testing.assert_allclose(
        ref.gaussian_mutual_info(s, 1),
        ref.gaussian_conditional_mutual_info(s, [0], [2], [])
        + ref.gaussian_conditional_mutual_info(s, [0], [1], [2]),
    )
    # 1-D KL: log(s2/s1) + (s1^2 + (m1 - m2)^2) / (2 s2^2) - 1/2
    want = math.log(2 / 1.5) + (1.5**2 + 0.25) / (2 * 4) - 0.5
    np.testing.assert_allclose(ref.gaussian_kl(0.5, 1.5**2, 0.0, 4.0), want)
    assert ref.gaussian_kl([1, 2], s[:2, :2], [1, 2], s[:2, :2]) == pytest.approx(0, abs=1e-15)
    assert ref.uniform_entropy([2.0, 0.5]) == pytest.approx(0.0, abs=1e-15)
    assert ref.exponential_entropy(2.0) == pytest.approx(1 - math.log(2))


# Statistical tolerances are about 3.5 standard deviations of the estimate (measured over
# seeds at these n and k) plus its bias; each still catches a wrong constant (log V_d,
# psi(k) vs log k, the -1/k of KSG-2, the log(m / (n - 1)) of WKV).
COV3 = np.array([[1.0, 0.6, 0.3], [0.6, 1.5, -0.4], [0.3, -0.4, 0.8]])


@pytest.mark.parametrize("metric", ["max", "euclidean"])
@pytest.mark.parametrize("d", [1, 3])
def test_entropy_of_gaussian(metric, d):
    cov = COV3[:d, :d]
    x = _gauss(np.random.default_rng(10 + d), cov, 2000)
    tol = {1: 0.08, 3: 0.15}[d]  # d = 3: sd ~0.04 and a bias of about -0.045
    assert abs(ref.knn_entropy(x, 3, metric) - ref.gaussian_entropy(cov)) < tol


def test_entropy_of_uniform_and_exponential():
    rng = np.random.default_rng(11)
    box = rng.uniform(size=(2000, 2)) * [2.0, 0.5]
    assert abs(ref.knn_entropy(box, 3, "max") - ref.uniform_entropy([2.0, 0.5])) < 0.07
    expo = rng.exponential(1 / 2.0, size=2000)
    assert abs(ref.knn_entropy(expo, 3, "max") - ref.exponential_entropy(2.0)) < 0.1


@pytest.mark.parametrize("variant", [1, 2])
@pytest.mark.parametrize("rho", [0.0, 0.5, 0.9])
def test_ksg_of_gaussian(variant, rho):
    cov = np.array([[1.0, rho], [rho, 1.0]])
    xy = _gauss(np.random.default_rng(20), cov, 2000)
    got = ref.ksg_mutual_info(xy[:, :1], xy[:, 1:], 3, variant)
    assert abs(got - ref.gaussian_mutual_info(cov, 1)) < 0.08


def test_ksg_of_gaussian_vectors():
    xyz = _gauss(np.random.default_rng(21), COV3, 2000)
    got = ref.ksg_mutual_info(xyz[:, :2], xyz[:, 2:], 4, 1)
    assert abs(got - ref.gaussian_mutual_info(COV3, 2)) < 0.08


def test_cmi_of_gaussian():
    xyz = _gauss(np.random.default_rng(22), COV3, 2000)
    x, y, z = xyz[:, :1], xyz[:, 1:2], xyz[:, 2:]
    want = ref.gaussian_conditional_mutual_info(COV3, [0], [1], [2])
    assert abs(ref.ksg_conditional_mutual_info(x, y, z, 4) - want) < 0.08


def test_cmi_of_conditionally_independent_pair():
    rng = np.random.default_rng(23)
    z = rng.normal(size=(2000, 1))
    x, y = z + rng.normal(size=(2000, 1)), z + rng.normal(size=(2000, 1))
    assert ref.ksg_mutual_info(x, y, 4) > 0.1  # dependent ...
    assert abs(ref.ksg_conditional_mutual_info(x, y, z, 4)) < 0.04  # ... but not given z


def _half_shifted_uniform(rng, n, shift):
    """Labels 0/1 with prob 1/2 each; Y | label ~ U[label * shift, label * shift + 1].
    For shift = 1/2, I = H(Y) - H(Y | label) = (1/2) log 2; for shift >= 1, I = log 2."""
    labels = rng.integers(0, 2, size=n)
    return labels, labels * shift + rng.uniform(size=n)


@pytest.mark.parametrize(("shift", "want"), [(0.5, 0.5 * math.log(2)), (2.0, math.log(2))])
def test_ross_on_discrete_continuous_pair(shift, want):
    labels, y = _half_shifted_uniform(np.random.default_rng(24), 2000, shift)
    assert abs(ref.ross_mutual_info(y, labels, 3) - want) < (0.04 if shift < 1 else 0.01)


@pytest.mark.parametrize("k", [1, 3, 10])
def test_mixed_has_no_fixed_k_offset_on_discrete_continuous_pair(k):
    # Disjoint supports (Y in [0, 1) for label 0, [2, 3) for label 1): points of the other
    # class are more than 1 away in the joint max-norm, points of the same class less
    # than 1, so rho_i in (0, 1) and kt = k; n_x = N_c (the whole class, the point
    # included) and n_y = k (the k - 1 points strictly closer than the k-th, and the point
    # itself).  The psi(k) terms cancel: the estimate is log n - mean psi(N_c), whatever
    # k, within O(1/n) of the truth log 2.  (The paper's log(n_x + 1), non-strict form
    # gives log 2 + psi(k) - log(k + 1) here instead.)
    labels, y = _half_shifted_uniform(np.random.default_rng(24), 2000, 2.0)
    size = np.bincount(labels)[labels]
    want = math.log(2000) - np.mean(digamma(size))
    got = ref.mixed_mutual_info(labels.astype(float), y, k)
    np.testing.assert_allclose(got, want, **EXACT)
    assert abs(got - math.log(2)) < 2e-3


def test_mixed_on_gaussian_and_discrete():
    cov = np.array([[1.0, 0.8], [0.8, 1.0]])
    xy = _gauss(np.random.default_rng(25), cov, 2000)
    assert abs(ref.mixed_mutual_info(xy[:, :1], xy[:, 1:], 3)
               - ref.gaussian_mutual_info(cov, 1)) < 0.1
    labels = np.random.default_rng(26).integers(0, 4, size=2000).astype(float)
    assert abs(ref.mixed_mutual_info(labels, labels, 3) - math.log(4)) < 0.01
    # continuous Y, discrete X with overlapping classes: I = (1/2) log 2 (see
    # _half_shifted_uniform)
    labels, y = _half_shifted_uniform(np.random.default_rng(27), 2000, 0.5)
    assert abs(ref.mixed_mutual_info(labels.astype(float), y, 3) - 0.5 * math.log(2)) < 0.04


@pytest.mark.parametrize(("d", "k"), [(1, 1), (2, 5)])
def test_wkv_of_gaussians(d, k):
    rng = np.random.default_rng(27 + d)
    m1, s1 = np.zeros(d), np.eye(d)
    m2, s2 = np.full(d, 0.5), 1.5 * np.eye(d) + 0.2
    x = rng.multivariate_normal(m1, s1, size=2000)
    y = rng.multivariate_normal(m2, s2, size=1500)
    want = ref.gaussian_kl(m1, s1, m2, s2)
    assert abs(ref.kl_divergence_knn(x, y, k, "euclidean") - want) < 0.1
    assert abs(ref.kl_divergence_knn(x, y, k, "max") - want) < 0.1
