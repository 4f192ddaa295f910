"""Joint and conditional entropy, mutual information, CMI and NMI.

Plug-in results are checked against scikit-learn; every estimator against
``entrostat._reference``.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from conftest import FAST_ESTIMATORS, INT_DTYPES, ref_entropy
from numpy.testing import assert_allclose
from sklearn.metrics import mutual_info_score, normalized_mutual_info_score

import entrostat as es
from entrostat import _reference as ref

NMI_METHODS = ("arithmetic", "geometric", "min", "max")
RTOL = 1e-9
ATOL = 1e-12


def _dependent_pair(rng, n=600, kx=5, ky=4, noise=0.4):
    x = rng.integers(0, kx, n)
    y = np.where(rng.random(n) < noise, rng.integers(0, ky, n), x % ky)
    return x, y


def _pairs(rng):
    x, y = _dependent_pair(rng)
    xi, yi = rng.integers(0, 3, 400), rng.integers(0, 3, 400)
    xs = rng.integers(0, 50, 80)  # undersampled
    ys = rng.integers(0, 40, 80)
    wide = rng.integers(-(2**62), 2**62, 40)
    xw = wide[rng.integers(0, 40, 500)]
    yw = np.where(rng.random(500) < 0.5, xw // 3, rng.integers(0, 7, 500))
    return {
        "dependent": (x, y),
        "independent": (xi, yi),
        "undersampled": (xs, ys),
        "identical": (x, x.copy()),
        "relabelled": (x, 100 - 7 * x),
        "wide": (xw, yw),
        "mixed_dtypes": (x.astype(np.int8) - 3, y.astype(np.uint64) + np.uint64(2**63)),
    }


PAIR_NAMES = list(_pairs(np.random.default_rng(0)))


def _codes(a: np.ndarray) -> np.ndarray:
    """Labels renumbered 0..k-1 (same partition, so the same entropies).

    The reference stacks its arguments with ``np.column_stack``, which promotes
    int8 + uint64 to float64 and merges distinct labels near 2**63; it is fed
    renumbered labels so that it stays an exact oracle.
    """
    return np.unique(a, return_inverse=True)[1].reshape(-1)


# ---------------------------------------------------------------------------
# joint and conditional entropy
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("estimator", FAST_ESTIMATORS)
def test_joint_entropy_matches_reference(rng, estimator):
    a, b, c = rng.integers(0, 3, 300), rng.integers(-2, 2, 300), rng.integers(0, 4, 300)
    assert_allclose(es.joint_entropy(a, b, estimator=estimator),
                    ref.joint_entropy(a, b, estimator=estimator), rtol=RTOL, atol=ATOL)
    assert_allclose(es.joint_entropy(a, b, c, estimator=estimator),
                    ref.joint_entropy(a, b, c, estimator=estimator), rtol=RTOL, atol=ATOL)
    # one argument: plain entropy; a 2-D argument contributes its columns
    assert_allclose(es.joint_entropy(a, estimator=estimator), es.entropy(a, estimator=estimator),
                    rtol=1e-14)
    two_d = np.stack([b, c], axis=1)
    assert_allclose(es.joint_entropy(a, two_d, estimator=estimator),
                    ref.joint_entropy(a, b, c, estimator=estimator), rtol=RTOL, atol=ATOL)


def test_joint_entropy_nsb_matches_reference(rng):
    a, b = rng.integers(0, 3, 60), rng.integers(0, 3, 60)
    # joint_entropy returns a float even for NSB (the posterior mean)
    got = es.joint_entropy(a, b, estimator="nsb")
    assert type(got) is np.float64
    assert_allclose(got, ref_entropy(np.stack([a, b], axis=1), "nsb"), rtol=1e-6)


def test_joint_entropy_mixed_dtypes(rng):
    cols = [rng.integers(0, 3, 200).astype(dt) for dt in INT_DTYPES]
    cols[0] = cols[0] - 1  # int8 with negatives
    cols[-1] = cols[-1] + np.uint64(2**64 - 3)  # uint64 at the top of its range
    rows = Counter(zip(*(c.tolist() for c in cols), strict=True))  # exact Python ints
    want = ref.entropy_from_counts(np.array(list(rows.values())), "plugin")
    assert_allclose(es.joint_entropy(*cols), want, rtol=RTOL)


def test_joint_entropy_two_full_range_columns():
    """Two columns that each span the whole 64-bit range must stay distinct joint symbols.

    Regression: the joint encoder's radix * range product wrapped to 0 in u128 after a
    full-range first column, and four distinct rows came out as two symbols.
    """
    lo, hi = np.iinfo(np.int64).min, np.iinfo(np.int64).max
    x = np.array([lo, hi, lo, hi])
    y = np.array([lo, hi, hi, lo])
    assert_allclose(es.joint_entropy(x, y), math.log(4), rtol=1e-14)
    assert_allclose(es.entropy(np.stack([x, y], axis=1)), math.log(4), rtol=1e-14)
    u = np.array([0, 2**64 - 1, 0, 2**64 - 1], dtype=np.uint64)
    v = np.array([0, 2**64 - 1, 2**64 - 1, 0], dtype=np.uint64)
    assert_allclose(es.joint_entropy(u, v), math.log(4), rtol=1e-14)
    assert_allclose(es.mutual_info(x, y), 0.0, atol=1e-12)


@pytest.mark.parametrize("estimator", FAST_ESTIMATORS)
@pytest.mark.parametrize("name", PAIR_NAMES)
def test_conditional_entropy_matches_reference(rng, estimator, name):
    x, y = _pairs(rng)[name]
    got = es.conditional_entropy(x, y, estimator=estimator)
    assert type(got) is np.float64
    want = ref.conditional_entropy(_codes(x), _codes(y), estimator=estimator)
    assert_allclose(got, want, rtol=RTOL, atol=ATOL)
    # definition: H(X|Y) = H(X,Y) - H(Y)
    assert_allclose(got, es.joint_entropy(x, y, estimator=estimator)
                    - es.entropy(y, estimator=estimator), rtol=1e-12, atol=1e-12)


def test_conditional_entropy_of_a_function_is_zero(rng):
    y = rng.integers(0, 20, 500)
    assert_allclose(es.conditional_entropy(y % 4, y), 0.0, atol=1e-12)
    assert_allclose(es.conditional_entropy(y, y), 0.0, atol=1e-12)
    assert es.conditional_entropy(y, y % 4) > 0.5


# ---------------------------------------------------------------------------
# mutual information
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", PAIR_NAMES)
def test_mutual_info_plugin_matches_sklearn(rng, name):
    x, y = _pairs(rng)[name]
    got = es.mutual_info(x, y)
    assert type(got) is np.float64
    assert_allclose(got, mutual_info_score(x, y), rtol=1e-9, atol=1e-12)
    assert_allclose(es.mutual_info(x, y, base=2), mutual_info_score(x, y) / math.log(2),
                    rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("estimator", FAST_ESTIMATORS)
@pytest.mark.parametrize("name", PAIR_NAMES)
def test_mutual_info_matches_reference(rng, estimator, name):
    x, y = _pairs(rng)[name]
    assert_allclose(es.mutual_info(x, y, estimator=estimator),
                    ref.mutual_info(_codes(x), _codes(y), estimator=estimator),
                    rtol=RTOL, atol=1e-11)


def test_mutual_info_nsb_matches_reference(rng):
    x, y = _dependent_pair(rng, n=80, kx=3, ky=3)
    want = (ref_entropy(x, "nsb") + ref_entropy(y, "nsb")
            - ref_entropy(np.stack([x, y], axis=1), "nsb"))
    assert_allclose(es.mutual_info(x, y, estimator="nsb"), want, rtol=1e-6, atol=1e-8)


def test_mutual_info_identities(rng):
    x, y = _dependent_pair(rng)
    hx = es.entropy(x)
    assert_allclose(es.mutual_info(x, x), hx, rtol=1e-12)
    assert_allclose(es.mutual_info(x, y), es.mutual_info(y, x), rtol=1e-12)
    assert_allclose(es.mutual_info(x, y), hx - es.conditional_entropy(x, y), rtol=1e-12)
    assert_allclose(es.mutual_info(x, np.zeros_like(y)), 0.0, atol=1e-14)
    # 2-D arguments: I((x1, x2); y)
    x2 = rng.integers(0, 2, x.size)
    assert_allclose(es.mutual_info(np.stack([x, x2], axis=1), y),
                    mutual_info_score(x * 2 + x2, y), rtol=1e-9, atol=1e-12)


def test_mutual_info_big_endian_and_strided(rng):
    x, y = _dependent_pair(rng, n=1500)
    want = mutual_info_score(x[::3], y[::3])
    assert_allclose(es.mutual_info(x[::3], y[::3]), want, rtol=1e-9)
    assert_allclose(es.mutual_info(x[::3].astype(">i4"), y[::3].astype(">u2")), want, rtol=1e-9)


# ---------------------------------------------------------------------------
# conditional mutual information
# ---------------------------------------------------------------------------


def _triple(rng, n=800):
    z = rng.integers(0, 3, n)
    x = np.where(rng.random(n) < 0.5, z, rng.integers(0, 3, n))
    y = np.where(rng.random(n) < 0.5, (x + z) % 4, rng.integers(0, 4, n))
    return x, y, z


@pytest.mark.parametrize("estimator", FAST_ESTIMATORS)
def test_cmi_matches_reference(rng, estimator):
    x, y, z = _triple(rng)
    got = es.conditional_mutual_info(x, y, z, estimator=estimator)
    assert type(got) is np.float64
    assert_allclose(got, ref.conditional_mutual_info(x, y, z, estimator=estimator),
                    rtol=RTOL, atol=1e-11)
    # small, undersampled case
    xs, ys, zs = rng.integers(0, 5, 40), rng.integers(0, 5, 40), rng.integers(0, 3, 40)
    assert_allclose(es.conditional_mutual_info(xs, ys, zs, estimator=estimator),
                    ref.conditional_mutual_info(xs, ys, zs, estimator=estimator),
                    rtol=RTOL, atol=1e-11)


def test_conditional_cmi_nmi_nsb_match_reference(rng):
    """NSB applied to every term (posterior means), against the reference NSB."""
    x, y, z = _triple(rng, n=60)

    def h(*cols):
        return ref_entropy(np.stack(cols, axis=1) if len(cols) > 1 else cols[0], "nsb")

    nsb = {"rtol": 1e-6, "atol": 1e-8}
    got = es.conditional_entropy(x, z, estimator="nsb")
    assert type(got) is np.float64
    assert_allclose(got, h(x, z) - h(z), **nsb)
    assert_allclose(es.conditional_mutual_info(x, y, z, estimator="nsb"),
                    h(x, z) + h(y, z) - h(x, y, z) - h(z), **nsb)
    hx, hy, hxy = h(x), h(y), h(x, y)
    for method, norm in (("arithmetic", (hx + hy) / 2), ("geometric", math.sqrt(hx * hy)),
                         ("min", min(hx, hy)), ("max", max(hx, hy))):
        assert_allclose(es.normalized_mutual_info(x, y, method=method, estimator="nsb"),
                        (hx + hy - hxy) / norm, **nsb)


def test_cmi_identities(rng):
    x, y, z = _triple(rng)
    # constant condition: CMI == MI
    assert_allclose(es.conditional_mutual_info(x, y, np.zeros_like(z)), es.mutual_info(x, y),
                    rtol=1e-12)
    # chain rule: I(X; Y, Z) = I(X; Z) + I(X; Y | Z)
    yz = np.stack([y, z], axis=1)
    assert_allclose(es.mutual_info(x, yz),
                    es.mutual_info(x, z) + es.conditional_mutual_info(x, y, z), rtol=1e-10)
    # symmetric in x and y, non-negative with plug-in
    assert_allclose(es.conditional_mutual_info(x, y, z), es.conditional_mutual_info(y, x, z),
                    rtol=1e-12)
    assert es.conditional_mutual_info(x, y, z) >= -1e-12
    # X determined by Z: I(X; Y | Z) = 0
    assert_allclose(es.conditional_mutual_info(z % 2, y, z), 0.0, atol=1e-12)
    # base
    assert_allclose(es.conditional_mutual_info(x, y, z, base=2),
                    es.conditional_mutual_info(x, y, z) / math.log(2), rtol=1e-14)


def test_cmi_with_2d_given(rng):
    x, y, z = _triple(rng)
    w = rng.integers(0, 2, z.size)
    zw = np.stack([z, w], axis=1)
    assert_allclose(es.conditional_mutual_info(x, y, zw),
                    ref.conditional_mutual_info(x, y, z * 2 + w), rtol=RTOL, atol=1e-12)


# ---------------------------------------------------------------------------
# normalised mutual information
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", NMI_METHODS)
@pytest.mark.parametrize("name", PAIR_NAMES)
def test_nmi_plugin_matches_sklearn(rng, method, name):
    x, y = _pairs(rng)[name]
    got = es.normalized_mutual_info(x, y, method=method)
    assert type(got) is np.float64
    want = normalized_mutual_info_score(x, y, average_method=method)
    assert_allclose(got, want, rtol=1e-9, atol=1e-12)
    assert -1e-12 <= got <= 1 + 1e-12


@pytest.mark.parametrize("method", NMI_METHODS)
@pytest.mark.parametrize("estimator", FAST_ESTIMATORS)
def test_nmi_matches_reference(rng, method, estimator):
    x, y = _dependent_pair(rng, n=300)
    assert_allclose(es.normalized_mutual_info(x, y, method=method, estimator=estimator),
                    ref.normalized_mutual_info(x, y, method=method, estimator=estimator),
                    rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("method", NMI_METHODS)
def test_nmi_edge_cases_small(method):
    const = np.zeros(6, dtype=np.int64)
    other = np.array([0, 1, 2, 0, 1, 2])
    # both constant: 1.0 (as sklearn), even with different constants and dtypes
    assert es.normalized_mutual_info(const, const + 5, method=method) == 1.0
    assert es.normalized_mutual_info(const.astype(np.uint8), const.astype(np.int8),
                                     method=method) == 1.0
    # one constant: mutual information 0, so 0.0
    assert es.normalized_mutual_info(const, other, method=method) == 0.0
    assert es.normalized_mutual_info(other, const, method=method) == 0.0
    # a relabelling: 1.0
    assert_allclose(es.normalized_mutual_info(other, 10 - other, method=method), 1.0, rtol=1e-12)
    # the same edge cases with every other estimator, whose H of a constant need not be 0
    for estimator in ("miller_madow", "grassberger", "chao_shen", "jackknife", "shrink", "nsb"):
        kw = {"method": method, "estimator": estimator}
        assert es.normalized_mutual_info(const, const, **kw) == 1.0
        assert es.normalized_mutual_info(const, other, **kw) == 0.0
        assert es.normalized_mutual_info(other, const + 3, **kw) == 0.0


@pytest.mark.parametrize("method", NMI_METHODS)
def test_nmi_one_constant_labeling_many_symbols(method):
    """One constant labeling against many wide-ranging labels: sklearn gives 0.0.

    Regression: H(Y) and H(const, Y) were summed in different orders, the plug-in MI came
    out as +/-1e-15, and with the normaliser 0 ("min", "geometric") clamped to eps the
    result was about +/-4 .. 24 instead of 0.
    """
    y = np.repeat(np.arange(300, dtype=np.int64) * (2**30 // 300), np.arange(1, 301))
    x = np.zeros_like(y)
    assert normalized_mutual_info_score(x, y, average_method=method) == 0.0
    assert_allclose(es.normalized_mutual_info(x, y, method=method), 0.0, atol=1e-12)
    assert_allclose(es.normalized_mutual_info(y, x, method=method), 0.0, atol=1e-12)


def test_constant_labeling_every_length():
    """A constant labeling shares no information, for every sample size: MI exactly 0 and
    NMI 0.0 (1.0 against another constant), as scikit-learn gives.

    Every N from 2 to 299 is checked because log N - N log N / N rounds to 4.4e-16 for
    some of them (N = 23, 39, 43, ...): a constant labeling must still be recognised, or
    MI would be 4.4e-16 and NMI "min" 1.0 and "geometric" 2e-8 instead of 0.0.
    """
    for n in range(2, 300):
        x = np.zeros(n, dtype=np.int64)
        y = np.arange(n) % 3
        for method in NMI_METHODS:
            assert es.normalized_mutual_info(x, y, method=method) == 0.0, (n, method)
            assert es.normalized_mutual_info(y, x, method=method) == 0.0, (n, method)
            assert es.normalized_mutual_info(x, x + 1, method=method) == 1.0, (n, method)
        assert es.mutual_info(x, y) == mutual_info_score(x, y) == 0.0, n
        assert es.mutual_info(y, x) == 0.0, n


def test_nmi_ordering_of_methods(rng):
    x, y = _dependent_pair(rng, kx=6, ky=3)
    nmi = {m: es.normalized_mutual_info(x, y, method=m) for m in NMI_METHODS}
    assert nmi["max"] <= nmi["geometric"] + 1e-12
    assert nmi["max"] <= nmi["arithmetic"] + 1e-12
    assert nmi["arithmetic"] <= nmi["geometric"] + 1e-12  # AM >= GM
    assert nmi["geometric"] <= nmi["min"] + 1e-12
    # "min" reaches 1 when one labeling is a function of the other
    assert_allclose(es.normalized_mutual_info(x, x % 2, method="min"), 1.0, rtol=1e-12)
