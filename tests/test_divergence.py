"""entrostat.divergence on distributions: SciPy agreement, zero handling, broadcasting,
closed forms, invariants (Hypothesis) and every error path."""

import math

import numpy as np
import pytest
import scipy.spatial.distance as ssd
import scipy.special
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import entrostat as es
from entrostat import _reference as ref


def rows(seed, shape, zeros_p=0.0, zeros_q=0.0, dtype=np.float64):
    g = np.random.default_rng(seed)
    p = g.random(shape)
    q = g.random(shape)
    p[g.random(shape) < zeros_p] = 0.0
    q[g.random(shape) < zeros_q] = 0.0
    return p.astype(dtype), q.astype(dtype)


def normalized(a):
    return a / a.sum(axis=-1, keepdims=True)


def test_rows_normalised_in_their_own_precision_pass_normalize_false():
    # Thirds rounded to float16 sum to 0.99976: float16's rounding, not unnormalised rows.
    third16 = np.full(3, 1 / 3, dtype=np.float16)
    assert abs(float(third16.astype(np.float64).sum()) - 1) > 1e-4
    p16 = third16.astype(np.float64)  # used as given: sum p log(p / q), p not rescaled
    q = np.array([0.5, 0.25, 0.25])
    assert es.kl_divergence(third16, q, normalize=False) == pytest.approx(
        np.sum(p16 * np.log(p16 / q)), rel=1e-12)
    assert es.kl_divergence(third16, third16, normalize=False) == 0.0
    # A float32 row beside a float64 one keeps float32's tolerance (it is read as float64).
    third32 = (np.arange(1, 8) / 28).astype(np.float32)
    third32[0] += 5e-6  # 5e-6 off: within 1e-4, not within 1e-6
    np.testing.assert_allclose(
        es.kl_divergence(third32, np.arange(1, 8) / 28, normalize=False),
        scipy.special.rel_entr(third32.astype(np.float64), np.arange(1, 8) / 28).sum(),
        rtol=1e-9, atol=1e-12)
    with pytest.raises(ValueError, match="^p: a row sums to 1.0[0-9]*, not 1"):
        es.kl_divergence(np.array([0.5, 0.52], np.float16), [0.5, 0.5], normalize=False)
    # Each side keeps its own tolerance: a float64 row beside float32 / float16 ones is
    # still held to 1e-6.
    for low in (np.float32, np.float16):
        with pytest.raises(ValueError, match="^p: a row sums to 1.0000499+, not 1"):
            es.kl_divergence(np.array([0.5, 0.50005]), np.array([0.5, 0.5], low),
                             normalize=False)
        with pytest.raises(ValueError, match="^q: a row sums to 1.0000499+, not 1"):
            es.kl_divergence(np.array([0.5, 0.5], low), np.array([0.5, 0.50005]),
                             normalize=False)


@pytest.mark.parametrize("zp,zq", [(0.0, 0.0), (0.3, 0.0), (0.0, 0.3), (0.3, 0.3)])
def test_kl_and_cross_entropy_match_scipy(zp, zq):
    p, q = rows(1, (40, 257), zp, zq)
    p[:, 0] += 0.1  # no all-zero row
    q[:, 0] += 0.1
    want = scipy.stats.entropy(p, q, axis=-1)
    np.testing.assert_allclose(es.kl_divergence(p, q), want, rtol=1e-12, atol=1e-15)
    pn, qn = normalized(p), normalized(q)
    np.testing.assert_allclose(es.kl_divergence(pn, qn, normalize=False),
                               scipy.special.rel_entr(pn, qn).sum(-1), rtol=1e-12, atol=1e-15)
    ce = -scipy.special.xlogy(pn, qn).sum(-1)
    np.testing.assert_allclose(es.cross_entropy(p, q), ce, rtol=1e-12)
    h = scipy.stats.entropy(p, axis=-1)
    finite = np.isfinite(want)
    np.testing.assert_allclose(es.cross_entropy(p, q)[finite], (h + want)[finite], rtol=1e-12)


def test_js_matches_scipy_and_is_bounded():
    p, q = rows(2, (30, 100), 0.4, 0.4)
    p[:, 0] += 1
    q[:, 1] += 1
    for base in (None, 2.0):
        want = ssd.jensenshannon(p, q, axis=-1, base=base)
        np.testing.assert_allclose(es.js_distance(p, q, base=base), want, rtol=1e-12)
    js = es.js_divergence(p, q)
    assert np.all((js >= 0) & (js <= math.log(2) + 1e-15))
    disjoint = es.js_divergence([1.0, 0.0], [0.0, 1.0])
    assert disjoint == pytest.approx(math.log(2), rel=1e-15)


def test_float32_rows_agree_with_float64():
    p, q = rows(3, (20, 5000))
    p32, q32 = p.astype(np.float32), q.astype(np.float32)
    for f in (es.kl_divergence, es.js_divergence, es.cs_divergence, es.hellinger,
              es.total_variation, es.cross_entropy):
        got = f(p32, q32)
        assert got.dtype == np.float64
        want = f(p32.astype(np.float64), q32.astype(np.float64))
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("kind", ["kl", "js", "cs", "hellinger", "tv", "renyi", "ce"])
def test_every_divergence_matches_the_reference(kind):
    p, q = rows(4, (25, 64), 0.2, 0.0)
    q += 0.01
    p[:, 0] += 0.5
    funcs = {
        "kl": (es.kl_divergence, ref.kl_divergence),
        "js": (es.js_divergence, ref.js_divergence),
        "cs": (es.cs_divergence, ref.cs_divergence),
        "hellinger": (es.hellinger, ref.hellinger),
        "tv": (es.total_variation, ref.total_variation),
        "ce": (es.cross_entropy, ref.cross_entropy),
    }
    if kind == "renyi":
        for alpha in (0.0, 0.3, 0.99, 1.0, 1.01, 2.0, 7.5, np.inf):
            np.testing.assert_allclose(es.renyi_divergence(p, q, alpha),
                                       ref.renyi_divergence(p, q, alpha), rtol=1e-10,
                                       atol=1e-14, err_msg=f"alpha={alpha}")
        return
    mine, theirs = funcs[kind]
    np.testing.assert_allclose(mine(p, q), theirs(p, q), rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("alpha, low", [(0.2, -300), (1.6, -300), (2.5, -300), (9.0, -300),
                                        (60.0, -300), (400.0, -300), (1.55, -3), (3.0, -20),
                                        (30.0, -5)])
def test_renyi_long_rows_across_the_exponential_range(alpha, low):
    # Rows long enough for the vector loop, with entries from 10^low to 1: the terms
    # p^alpha q^(1 - alpha) range from subnormal to past the largest float (then the
    # sum is redone in the log domain); the narrower ranges keep every term finite, so
    # that the vector sum itself is checked at large alpha. Against logsumexp.
    rng = np.random.default_rng(7)
    p = 10.0 ** rng.uniform(low, 0, (6, 203))
    q = 10.0 ** rng.uniform(low, 0, (6, 203))
    p[1, ::3] = 0.0  # zeros of p drop their terms
    q[2, 5] = 0.0  # q = 0 under p > 0: inf for alpha > 1, a zero term below
    p /= p.sum(-1, keepdims=True)
    q /= q.sum(-1, keepdims=True)
    with np.errstate(divide="ignore"):
        logs = np.where(p > 0, alpha * np.log(p) + (1 - alpha) * np.log(q), -np.inf)
    want = scipy.special.logsumexp(logs, axis=-1) / (alpha - 1)
    got = es.renyi_divergence(p, q, alpha)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert (got[2] == np.inf) == (alpha > 1)


def test_zero_handling_as_rel_entr():
    assert es.kl_divergence([0.5, 0.5, 0.0], [0.5, 0.0, 0.5]) == np.inf
    assert es.kl_divergence([0.5, 0.0, 0.5], [0.5, 0.25, 0.25]) == pytest.approx(
        0.5 * math.log(2), rel=1e-15)
    assert es.cross_entropy([1.0, 0.0], [0.0, 1.0]) == np.inf
    assert es.renyi_divergence([0.5, 0.5], [1.0, 0.0], 2.0) == np.inf
    assert es.renyi_divergence([0.5, 0.5], [1.0, 0.0], 0.5) == pytest.approx(math.log(2))
    assert es.renyi_divergence([0.5, 0.5], [1.0, 0.0], np.inf) == np.inf
    assert es.cs_divergence([1.0, 0.0], [0.0, 1.0]) == np.inf
    onehot = np.eye(4)
    np.testing.assert_array_equal(es.kl_divergence(onehot, onehot), np.zeros(4))
    np.testing.assert_array_equal(es.total_variation(onehot, onehot[::-1]), np.ones(4))


def test_denormal_probabilities():
    p = np.array([1.0, 5e-324, 1e-310, 0.0])
    q = np.array([1.0, 1e-320, 1e-300, 1e-300])
    # The exact value is ~2e-300: both round it to within 1e-308 of zero.
    assert es.kl_divergence(p, q) == pytest.approx(scipy.stats.entropy(p, q), abs=1e-300)
    assert es.kl_divergence(q, p) == np.inf
    r = np.array([0.5, 0.5, 1e-310, 5e-324])
    s = np.array([0.25, 0.75, 1e-320, 1e-300])
    assert es.kl_divergence(r, s) == pytest.approx(scipy.stats.entropy(r, s), rel=1e-12)
    assert es.js_divergence(r, s) == pytest.approx(ref.js_divergence(r, s), rel=1e-12)


def test_closed_forms():
    # Two Bernoulli distributions.
    a, b = 0.3, 0.6
    kl = a * math.log(a / b) + (1 - a) * math.log((1 - a) / (1 - b))
    assert es.kl_divergence([a, 1 - a], [b, 1 - b]) == pytest.approx(kl, rel=1e-14)
    r2 = math.log(a * a / b + (1 - a) ** 2 / (1 - b))
    assert es.renyi_divergence([a, 1 - a], [b, 1 - b], 2) == pytest.approx(r2, rel=1e-14)
    pq, pp, qq = a * b + (1 - a) * (1 - b), a * a + (1 - a) ** 2, b * b + (1 - b) ** 2
    cs = -math.log(pq**2 / (pp * qq))
    assert es.cs_divergence([a, 1 - a], [b, 1 - b]) == pytest.approx(cs, rel=1e-14)
    assert es.total_variation([a, 1 - a], [b, 1 - b]) == pytest.approx(abs(a - b), rel=1e-14)
    # Renyi of order 1/2 is -2 log of the Bhattacharyya coefficient; Hellinger^2 = 1 - BC.
    bc = math.sqrt(a * b) + math.sqrt((1 - a) * (1 - b))
    assert es.renyi_divergence([a, 1 - a], [b, 1 - b], 0.5) == pytest.approx(-2 * math.log(bc))
    assert es.hellinger([a, 1 - a], [b, 1 - b]) ** 2 == pytest.approx(1 - bc, rel=1e-12)


def test_axis_broadcasting_counts_and_base():
    p, q = rows(5, (6, 7, 50))
    got = es.kl_divergence(p, q[0], base=2)  # (6, 7, 50) against (7, 50)
    want = scipy.stats.entropy(p, np.broadcast_to(q[0], p.shape), axis=-1, base=2)
    np.testing.assert_allclose(got, want, rtol=1e-12)
    assert got.shape == (6, 7)
    moved = es.kl_divergence(np.moveaxis(p, -1, 0), np.moveaxis(q, -1, 0), axis=0)
    np.testing.assert_allclose(moved, scipy.stats.entropy(p, q, axis=-1), rtol=1e-12)
    counts_p, counts_q = np.array([3, 1, 0, 6]), np.array([1, 1, 1, 1], dtype=np.uint8)
    assert es.kl_divergence(counts_p, counts_q) == pytest.approx(
        scipy.stats.entropy(counts_p, counts_q), rel=1e-14)
    assert isinstance(es.kl_divergence([0.5, 0.5], [0.5, 0.5]), np.float64)
    assert es.kl_divergence(np.ones((0, 3)), np.ones((0, 3))).shape == (0,)


def test_labels_versions_use_the_shared_alphabet():
    g = np.random.default_rng(6)
    x = g.integers(-3, 5, 2000)
    y = g.integers(-3, 6, 3000)
    vals = np.union1d(x, y)
    cx = np.array([(x == v).sum() for v in vals], dtype=float) + 0.5
    cy = np.array([(y == v).sum() for v in vals], dtype=float) + 0.5
    assert es.kl_divergence_labels(x, y, pseudocount=0.5) == pytest.approx(
        scipy.stats.entropy(cx, cy), rel=1e-13)
    assert es.js_divergence_labels(x, y, pseudocount=0.5, base=2) == pytest.approx(
        ssd.jensenshannon(cx, cy, base=2) ** 2, rel=1e-12)
    assert es.cross_entropy_labels(x, y, pseudocount=0.5) == pytest.approx(
        -(normalized(cx) * np.log(normalized(cy))).sum(), rel=1e-13)
    assert es.kl_divergence_labels(y, x) == np.inf  # y holds 5, x does not
    assert es.kl_divergence_labels(x, x) == 0.0


def test_labels_versions_take_counts():
    """Histograms counted chunk by chunk (Counts) give the numbers of the arrays."""
    g = np.random.default_rng(7)
    x = g.integers(-3, 5, 2000)
    y = g.integers(-3, 6, 3000).astype(np.uint32) + np.uint32(3)
    cx = es.Counts(x[:700]).update(x[700:])
    cy = es.Counts()
    for chunk in np.array_split(y, 5):
        cy.update(chunk)
    for fn, kw in [(es.kl_divergence_labels, {"pseudocount": 0.5}),
                   (es.kl_divergence_labels, {"estimator": "zhang_grabchak"}),
                   (es.js_divergence_labels, {"base": 2}),
                   (es.cross_entropy_labels, {"pseudocount": 1.0})]:
        want = fn(x, y, **kw)
        assert fn(cx, cy, **kw) == want
        assert fn(x, cy, **kw) == want
        assert fn(cx, y, **kw) == want
    with pytest.raises(ValueError, match="y: expected a non-empty sample, got an empty Counts"):
        es.kl_divergence_labels(cx, es.Counts())


@pytest.mark.parametrize("call,match", [
    (lambda: es.kl_divergence([0.5, -0.5], [0.5, 0.5]), "p: expected finite non-negative"),
    (lambda: es.kl_divergence([0.5, 0.5], [np.nan, 0.5]), "q: expected finite non-negative"),
    (lambda: es.kl_divergence([0.5, np.inf], [0.5, 0.5]), "p: expected finite"),
    (lambda: es.kl_divergence([0.0, 0.0], [0.5, 0.5]), "p: a row sums to zero"),
    (lambda: es.kl_divergence([0.5, 0.6], [0.5, 0.5], normalize=False), "normalize=True"),
    (lambda: es.kl_divergence(np.ones((2, 3)), np.ones((3, 2))), "cannot be broadcast"),
    (lambda: es.kl_divergence(np.ones(3), np.ones(3), axis=1), "axis:"),
    (lambda: es.kl_divergence(np.ones((2, 0)), np.ones((2, 0))), "empty"),
    (lambda: es.kl_divergence(1.0, 1.0), "p: expected at least 1 dimension"),
    (lambda: es.renyi_divergence([1.0], [1.0], -1), "alpha:"),
    (lambda: es.kl_divergence([1.0], [1.0], base=1), "base:"),
    (lambda: es.kl_divergence_labels([1, 2], [1, 2], pseudocount=-1), "pseudocount:"),
    (lambda: es.kl_divergence_labels([], [1, 2]), "x: must not be empty"),
])
def test_errors_name_the_argument(call, match):
    with pytest.raises(ValueError, match=match):
        call()


@pytest.mark.parametrize("call,match", [
    (lambda: es.kl_divergence(np.array(["a"]), [1.0]), "p: expected an array of probabilities"),
    (lambda: es.kl_divergence([1.0], np.array([1 + 1j])), "q: expected an array"),
    (lambda: es.kl_divergence([1.0], [1.0], axis=0.5), "axis: expected an integer"),
    (lambda: es.kl_divergence([1.0], [1.0], normalize="yes"), "normalize:"),
    (lambda: es.renyi_divergence([1.0], [1.0], "2"), "alpha:"),
    (lambda: es.kl_divergence_labels([0.5], [1]), "x: expected an array of integer labels"),
])
def test_type_errors_name_the_argument(call, match):
    with pytest.raises(TypeError, match=match):
        call()


prob_rows = st.integers(2, 12).flatmap(
    lambda k: st.tuples(
        arrays(np.float64, k, elements=st.floats(0, 1e3, allow_subnormal=False)),
        arrays(np.float64, k, elements=st.floats(1e-3, 1e3, allow_subnormal=False)),
    )
).filter(lambda pq: pq[0].sum() > 0)


@settings(max_examples=150, deadline=None)
@given(prob_rows)
def test_invariants(pq):
    p, q = pq
    kl = es.kl_divergence(p, q)
    tv = es.total_variation(p, q)
    assert kl >= 0 and es.js_divergence(p, q) >= 0 and es.cs_divergence(p, q) >= 0
    assert tv <= math.sqrt(kl / 2) + 1e-12  # Pinsker
    assert es.js_divergence(p, q) <= math.log(2) + 1e-12
    assert es.js_divergence(p, q) == pytest.approx(es.js_divergence(q, p), abs=1e-14)
    assert es.cs_divergence(p, q) == pytest.approx(es.cs_divergence(q, p), abs=1e-12)
    assert es.hellinger(p, q) == pytest.approx(es.hellinger(q, p), abs=1e-14)
    assert es.kl_divergence(p, p) == pytest.approx(0, abs=1e-14)
    alphas = [0.0, 0.25, 0.5, 0.9, 1.0, 1.5, 2.0, 4.0, np.inf]
    r = [es.renyi_divergence(p, q, a) for a in alphas]
    assert all(b >= a - 1e-9 * max(1.0, abs(a)) for a, b in zip(r, r[1:], strict=False))


def test_zhang_grabchak_matches_its_sums_of_products():
    g = np.random.default_rng(7)
    x = g.integers(0, 6, 80)
    y = g.integers(1, 9, 50)  # misses 0, which x holds: plug-in KL is infinite
    vals = np.union1d(x, y)
    cx = np.array([(x == v).sum() for v in vals])
    cy = np.array([(y == v).sum() for v in vals])
    got = es.kl_divergence_labels(x, y, estimator="zhang_grabchak")
    assert got == pytest.approx(ref.kl_zhang_grabchak(cx, cy), rel=1e-11)
    assert np.isfinite(got) and es.kl_divergence_labels(x, y) == np.inf
    assert es.kl_divergence_labels(x, y, estimator="zhang_grabchak", base=2) == pytest.approx(
        got / math.log(2), rel=1e-14)


def test_zhang_grabchak_is_less_biased_than_plugin():
    # P and Q on 8 symbols, samples of 40 and 200: the plug-in estimate is biased upwards.
    p = np.array([0.3, 0.2, 0.15, 0.1, 0.1, 0.07, 0.05, 0.03])
    q = np.full(8, 1 / 8)
    true = float(scipy.stats.entropy(p, q))
    g = np.random.default_rng(8)
    plug, zg = [], []
    for _ in range(400):
        x = g.choice(8, 40, p=p)
        y = g.choice(8, 200, p=q)
        plug.append(es.kl_divergence_labels(x, y))
        zg.append(es.kl_divergence_labels(x, y, estimator="zhang_grabchak"))
    assert np.all(np.isfinite(plug))
    bias_plug, bias_zg = np.mean(plug) - true, np.mean(zg) - true
    assert bias_plug > 0.02  # the plug-in's known upward bias, ~ (K - 1) / (2n)
    assert abs(bias_zg) < bias_plug / 3


def test_zhang_grabchak_errors():
    with pytest.raises(ValueError, match="estimator:"):
        es.kl_divergence_labels([1, 2], [1, 2], estimator="nsb")
    with pytest.raises(ValueError, match="pseudocount: only the plugin"):
        es.kl_divergence_labels([1, 2], [1, 2], estimator="zhang_grabchak", pseudocount=1)


def _gaussian_rows(m1, s1, m2, s2):
    """Two 1-D Gaussian densities on a fine grid, as probability rows (the grid sums of
    smooth, fast-decaying densities match their integrals to near machine precision)."""
    grid = np.linspace(-30.0, 30.0, 60_001)
    p = scipy.stats.norm.pdf(grid, m1, s1)
    q = scipy.stats.norm.pdf(grid, m2, s2)
    return p / p.sum(), q / q.sum()


@pytest.mark.parametrize("m1, s1, m2, s2, alphas", [
    (0.0, 1.0, 1.0, 1.5, (0.5, 2.0, 3.0)),
    # s1 > s2: D_alpha is finite only for alpha < s1^2 / (s1^2 - s2^2) = 1.5625
    (0.5, 2.0, -1.0, 1.2, (0.25, 0.5, 1.25)),
])
def test_gaussian_closed_forms(m1, s1, m2, s2, alphas):
    p, q = _gaussian_rows(m1, s1, m2, s2)
    kl = math.log(s2 / s1) + (s1**2 + (m1 - m2) ** 2) / (2 * s2**2) - 0.5
    assert es.kl_divergence(p, q) == pytest.approx(kl, rel=1e-9)
    for alpha in alphas:
        # D_alpha(N1 || N2) = log(s2/s1) + log(s2^2/v)/(2(alpha-1)) + alpha dm^2/(2v),
        # v = alpha s2^2 + (1 - alpha) s1^2 > 0
        v = alpha * s2**2 + (1 - alpha) * s1**2
        want = (math.log(s2 / s1) + math.log(s2**2 / v) / (2 * (alpha - 1))
                + alpha * (m1 - m2) ** 2 / (2 * v))
        assert es.renyi_divergence(p, q, alpha) == pytest.approx(want, rel=1e-9)
    cs = ref.cs_divergence_gaussians([m1], [[s1**2]], [m2], [[s2**2]])
    assert es.cs_divergence(p, q) == pytest.approx(cs, rel=1e-9)
