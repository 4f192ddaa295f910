"""Cauchy-Schwarz divergence and quadratic mutual information of continuous samples
(``entrostat.divergence``), checked against the pure-NumPy reference, the closed form for
Gaussians, and their invariants."""

from __future__ import annotations

import math
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from entrostat import _core
from entrostat import _reference as ref
from entrostat import divergence as kern

cs_div = kern.cs_divergence_samples
cs_mi = kern.cs_mutual_info

RTOL = 1e-12


# --------------------------------------------------------------------- against the reference


@pytest.mark.parametrize("bandwidth", ["silverman", "scott", 0.3, 2])
@pytest.mark.parametrize(("n", "m", "d"), [(2, 3, 1), (57, 301, 1), (300, 129, 3), (260, 255, 8)])
def test_divergence_matches_reference(rng, n, m, d, bandwidth):
    x = rng.normal(size=(n, d))
    y = rng.normal(0.4, 1.3, size=(m, d))
    want = ref.cs_divergence_samples(x, y, bandwidth)
    np.testing.assert_allclose(cs_div(x, y, bandwidth=bandwidth), want, rtol=RTOL)


def test_one_dimensional_input_is_one_column(rng):
    x, y = rng.normal(size=200), rng.normal(0.5, 1.0, size=150)
    got = cs_div(x, y)
    assert got == cs_div(x[:, None], y[:, None])
    np.testing.assert_allclose(got, ref.cs_divergence_samples(x, y), rtol=RTOL)


def test_bandwidth_rules_match_formula(rng):
    x, y = rng.normal(size=(100, 3)), rng.normal(size=(50, 3)) * 2
    for rule in ("silverman", "scott"):
        _, sigma = _core.cs_divergence_samples(x, y, rule)
        np.testing.assert_allclose(sigma, ref.cs_bandwidth([x, y], rule), rtol=1e-14)
    pooled = np.concatenate([x, y])
    s = math.sqrt(np.mean(np.var(pooled, axis=0, ddof=1)))
    _, sigma = _core.cs_divergence_samples(x, y, "silverman")
    np.testing.assert_allclose(sigma, s * (4 / (5 * 150)) ** (1 / 7), rtol=1e-14)


def test_dtypes_and_strides(rng):
    x = rng.normal(size=(120, 2))
    y = rng.normal(0.5, 1.0, size=(90, 2))
    want = cs_div(x, y)
    np.testing.assert_allclose(cs_div(x.astype(np.float32), y), ref.cs_divergence_samples(
        x.astype(np.float32), y), rtol=RTOL)
    assert cs_div(np.asfortranarray(x), y) == pytest.approx(want, rel=1e-13)
    big = np.zeros((240, 4))
    big[::2, 1::2] = x
    assert cs_div(big[::2, 1::2], y) == pytest.approx(want, rel=1e-13)
    assert cs_div(x[::-1], y) == pytest.approx(want, rel=1e-13)
    assert cs_div(x.astype(">f8"), y) == pytest.approx(want, rel=1e-13)
    ints = rng.integers(0, 5, size=(50, 2))
    np.testing.assert_allclose(cs_div(ints, y), ref.cs_divergence_samples(ints, y), rtol=RTOL)


def test_base(rng):
    x, y = rng.normal(size=80), rng.normal(1.0, 1.0, size=80)
    np.testing.assert_allclose(cs_div(x, y, base=2), cs_div(x, y) / math.log(2), rtol=1e-15)
    np.testing.assert_allclose(cs_mi(x, y, base=2), cs_mi(x, y) / math.log(2), rtol=1e-15)
    assert isinstance(cs_div(x, y), np.float64)
    assert isinstance(cs_mi(x, y), np.float64)


# --------------------------------------------------------------------- invariants


def test_identical_samples_give_zero(rng):
    x = rng.normal(size=(300, 2))
    assert cs_div(x, x) == 0.0
    assert cs_div(x, x.copy()) == pytest.approx(0.0, abs=1e-13)
    assert cs_div(x, x, method="rff") == pytest.approx(0.0, abs=1e-13)


def test_symmetry_and_positivity(rng):
    x = rng.normal(size=(250, 3))
    y = rng.standard_t(4, size=(170, 3))
    dxy, dyx = cs_div(x, y), cs_div(y, x)
    assert dxy > 0
    assert dxy == pytest.approx(dyx, rel=1e-13)


def test_translation_invariance(rng):
    x = rng.normal(size=(200, 2))
    y = rng.normal(0.7, 1.0, size=(150, 2))
    shift = np.array([5.0, -3.0])
    d0 = cs_div(x, y, bandwidth=0.5)
    assert cs_div(x + shift, y + shift, bandwidth=0.5) == pytest.approx(d0, rel=1e-11)
    # The rules depend only on the spread, not the location.
    assert cs_div(x + shift, y + shift) == pytest.approx(cs_div(x, y), rel=1e-11)
    r0 = cs_div(x, y, bandwidth=0.5, method="rff")
    r1 = cs_div(x + shift, y + shift, bandwidth=0.5, method="rff")
    assert r1 == pytest.approx(r0, rel=1e-9)


@pytest.mark.parametrize("scale", [1e-300, 1e-160, 1e-155, 1e155, 1e160, 1e300])
def test_any_scale_gives_the_unit_scale_value(rng, scale):
    # Squared distances at 1e-155 pass below the smallest float (1e-310), at 1e155 above
    # the largest: the rules gave a bandwidth of 0 or inf and refused such samples.
    x = rng.normal(size=(120, 2))
    y = rng.normal(0.5, 1.0, size=(100, 2))
    z = x[:, :1] ** 2 + rng.normal(size=(120, 1))
    for method in ("exact", "rff"):
        assert cs_div(x * scale, y * scale, method=method) == pytest.approx(
            cs_div(x, y, method=method), rel=1e-12)
        assert cs_div(x * scale, y * scale, bandwidth=0.4 * scale, method=method) == (
            pytest.approx(cs_div(x, y, bandwidth=0.4, method=method), rel=1e-12))
    # Rules scale each variable by its own spread; a number, both by one.
    assert kern.cs_mutual_info(x * scale, z) == pytest.approx(kern.cs_mutual_info(x, z),
                                                              rel=1e-12)
    assert kern.cs_mutual_info(x * scale, z * scale, bandwidth=0.4 * scale) == pytest.approx(
        kern.cs_mutual_info(x, z, bandwidth=0.4), rel=1e-12)


def test_scaling_leaves_out_of_range_widths_and_large_values_alone(rng):
    x = rng.normal(size=(40, 2)) * 1e-10
    for func in (cs_div, kern.cs_mutual_info):
        # A width the core refuses is quoted as given (not as divided by the scale).
        with pytest.raises(ValueError, match=r"^bandwidth: .*\(1e-150\.\.1e150\), got 1e300$"):
            func(x, x, bandwidth=1e300)
        # A width that scaling would take past 1e150 is used as given (within range):
        # every kernel value is 1, so the divergence and the information are 0.
        assert func(x, x[::-1], bandwidth=1e145) == 0.0
    # A constant column beside one whose range is 1e-290: no value is scaled past the
    # float range (the rules' sums, or squares of 0.1's rounding in its mean, overflowed),
    # and where the constant's mean is exact, distinct samples are told apart.
    tiny = rng.random(60) * 1e-290
    for const in (1e10, 0.1, 12345.678):
        a = np.column_stack([np.full(60, const), tiny])
        b = np.column_stack([np.full(60, const), tiny + 5e-291])
        assert cs_div(a, a.copy()) == 0.0
        assert 0.0 <= cs_div(a, b) < math.inf
        assert 0.0 <= cs_div(a, b, bandwidth="scott") < math.inf
        assert 0.0 <= kern.cs_mutual_info(a, b[:, 1]) < math.inf
    a = np.column_stack([np.full(60, 1e10), tiny])
    assert cs_div(a, np.column_stack([np.full(60, 1e10), tiny + 5e-291])) > 0.0


def test_power_of_two_scales_change_no_bit(rng):
    x = rng.normal(size=(80, 3))
    y = rng.normal(0.3, 1.2, size=(90, 3))
    for e in (-40, 7, 60):
        assert cs_div(np.ldexp(x, e), np.ldexp(y, e)) == cs_div(x, y)
        assert kern.cs_mutual_info(np.ldexp(x, e), y[:80]) == kern.cs_mutual_info(x, y[:80])


def _smoothed_closed_form(m1, s1, m2, s2, sigma):
    d = len(m1)
    eye = sigma**2 * np.eye(d)
    return ref.cs_divergence_gaussians(m1, s1 + eye, m2, s2 + eye)


@pytest.mark.parametrize("d", [1, 2])
def test_gaussian_closed_form(rng, d):
    # With a fixed width the Parzen estimate converges to D_CS(p * G_s, q * G_s), the
    # divergence between N(m, S + s^2 I): the closed form for two Gaussians.
    m1, m2 = np.zeros(d), np.full(d, 0.8)
    s1 = np.eye(d)
    s2 = np.diag(np.linspace(0.5, 1.5, d))
    sigma = 0.4
    want = _smoothed_closed_form(m1, s1, m2, s2, sigma)
    # Sampling error is O(1 / sqrt(n)): about 0.013 (d = 1) and 0.033 (d = 2) at
    # n = 2000, 0.4x that at n = 8000 (measured over repeated draws); the bias is O(1/n).
    for n, tol in ((2000, 0.15), (8000, 0.06)):
        x = rng.multivariate_normal(m1, s1, size=n)
        y = rng.multivariate_normal(m2, s2, size=n)
        assert cs_div(x, y, bandwidth=sigma) == pytest.approx(want, rel=tol)


@pytest.mark.slow
def test_gaussian_closed_form_large(rng):
    m1, m2, s1, s2 = np.zeros(2), np.array([1.0, 0.0]), np.eye(2), np.diag([0.5, 2.0])
    want = _smoothed_closed_form(m1, s1, m2, s2, 0.3)
    x = rng.multivariate_normal(m1, s1, size=20_000)
    y = rng.multivariate_normal(m2, s2, size=20_000)
    assert cs_div(x, y, bandwidth=0.3) == pytest.approx(want, rel=0.02)


def test_rff_approximates_exact(rng):
    x = rng.normal(size=(800, 2))
    y = rng.normal(1.0, 1.0, size=(600, 2))
    exact = cs_div(x, y, bandwidth=0.7)
    # Kernel errors are O(1 / sqrt(n_features)); V ~ 0.3 here, so D is within a few
    # 1 / (V sqrt(D)) ~ 0.03 at 4096 frequencies, and closer with more.
    errs = [abs(cs_div(x, y, bandwidth=0.7, method="rff", n_features=f, seed=s) - exact)
            for f in (4096,) for s in range(4)]
    assert max(errs) < 0.1
    assert np.mean(errs) < 0.05
    many = cs_div(x, y, bandwidth=0.7, method="rff", n_features=50_000, seed=1)
    assert abs(many - exact) < 0.02
    a = cs_div(x, y, method="rff", n_features=64, seed=3)
    assert a == cs_div(x, y, method="rff", n_features=64, seed=3)
    assert a != cs_div(x, y, method="rff", n_features=64, seed=4)
    assert cs_div(x, y, method="rff", n_features=64) >= 0


# --------------------------------------------------------------------- mutual information


@pytest.mark.parametrize("bandwidth", ["silverman", "scott", 0.5])
@pytest.mark.parametrize(("n", "dx", "dy"), [(2, 1, 1), (131, 1, 2), (300, 3, 1)])
def test_mutual_info_matches_reference(rng, n, dx, dy, bandwidth):
    x = rng.normal(size=(n, dx))
    y = rng.normal(size=(n, dy))
    y[:, 0] += x[:, 0]
    want = ref.cs_mutual_info(x, y, bandwidth)
    np.testing.assert_allclose(cs_mi(x, y, bandwidth=bandwidth), want, rtol=RTOL, atol=1e-15)


def test_mutual_info_independent_and_dependent(rng):
    n = 1500
    x = rng.normal(size=n)
    indep = cs_mi(x, rng.normal(size=n))
    dep = cs_mi(x, x + 0.05 * rng.normal(size=n))
    assert 0 <= indep < 0.01
    assert dep > 0.5
    assert dep > 50 * indep


def test_mutual_info_symmetric(rng):
    x = rng.normal(size=(400, 2))
    y = np.sin(x[:, :1]) + 0.3 * rng.normal(size=(400, 1))
    assert cs_mi(x, y) == pytest.approx(cs_mi(y, x), rel=1e-14)


# --------------------------------------------------------------------- errors


@pytest.mark.parametrize("func", [cs_div, cs_mi])
def test_bad_values(rng, func):
    x = rng.normal(size=(10, 2))
    for bad_value in (np.nan, np.inf, -np.inf):
        bad = x.copy()
        bad[3, 1] = bad_value
        with pytest.raises(ValueError, match=r"x: contains NaN or infinity \(row 3, column 1\)"):
            func(bad, x)
        with pytest.raises(ValueError, match="y: contains NaN or infinity"):
            func(x, bad)
    with pytest.raises(ValueError, match="x: expected a 1-D .* got 3 dimension"):
        func(np.zeros((4, 2, 2)), x)
    with pytest.raises(ValueError, match="y: expected a 1-D .* got 0 dimension"):
        func(x, np.float64(1.0))
    with pytest.raises(ValueError, match="x: expected at least 2 samples"):
        func(x[:1], x)
    with pytest.raises(ValueError, match="y: expected at least 2 samples"):
        func(x, np.zeros(0))
    with pytest.raises(ValueError, match="x: expected at least 1 column"):
        func(np.zeros((5, 0)), x)
    with pytest.raises(TypeError, match="x: expected an array of real numbers"):
        func(x.astype(complex), x)
    with pytest.raises(TypeError, match="y: expected an array of real numbers"):
        func(x, x > 0)
    with pytest.raises(TypeError, match="x: expected an array of real numbers"):
        func(np.array([["a", "b"], ["c", "d"]]), x)
    for bw in ("gauss", -1.0, 0.0, np.nan, np.inf):
        with pytest.raises(ValueError, match="bandwidth"):
            func(x, x, bandwidth=bw)
    for bw in (None, True, [1.0]):
        with pytest.raises(TypeError, match="bandwidth"):
            func(x, x, bandwidth=bw)
    with pytest.raises(ValueError, match="base"):
        func(x, x, base=1)
    with pytest.raises(ValueError, match="bandwidth: the \"silverman\" rule gives"):
        func(np.ones((5, 2)), np.ones((5, 2)))


def test_divergence_specific_errors(rng):
    x = rng.normal(size=(10, 2))
    with pytest.raises(ValueError, match=r"y: expected 2 column\(s\) .* got 3"):
        cs_div(x, rng.normal(size=(10, 3)))
    with pytest.raises(ValueError, match="y: expected 2 column"):
        cs_div(x, rng.normal(size=10))
    with pytest.raises(ValueError, match="method: expected 'exact' or 'rff'"):
        cs_div(x, x, method="fast")
    with pytest.raises(ValueError, match="n_features"):
        cs_div(x, x, method="rff", n_features=0)
    with pytest.raises(TypeError, match="n_features"):
        cs_div(x, x, method="rff", n_features=2.5)
    # Huge counts of frequencies are refused before any allocation (10^12 aborted the
    # process on a failed allocation; 2^63 overflowed n_features * d in a panic).
    for huge in (10**12, 2**63, 10**40):
        with pytest.raises(ValueError, match="n_features: expected an integer in 1..268435456"):
            cs_div(x, x, method="rff", n_features=huge)
    d = x.shape[1]
    with pytest.raises(ValueError, match=rf"n_features: expected an integer in 1..={2**28 // d} "):
        cs_div(x, x, method="rff", n_features=2**28 // d + 1)
    with pytest.raises(ValueError, match="seed"):
        cs_div(x, x, method="rff", seed=-1)
    # The core checks on its own as well (direct calls).
    with pytest.raises(ValueError, match="bandwidth: expected a positive finite number"):
        _core.cs_divergence_samples(x, x, -2.0)
    with pytest.raises(ValueError, match="method"):
        _core.cs_divergence_samples(x, x, "scott", "fast")
    with pytest.raises(TypeError, match="bandwidth"):
        _core.cs_divergence_samples(x, x, None)
    with pytest.raises(ValueError, match=r"y: expected 2 columns"):
        _core.cs_divergence_samples(x, x[:, :1].copy(), 1.0)


def test_mutual_info_mismatched_n(rng):
    x = rng.normal(size=(10, 2))
    with pytest.raises(ValueError, match="y: expected 10 samples .* got 9"):
        cs_mi(x, rng.normal(size=9))
    with pytest.raises(ValueError, match="y: expected 10 samples"):
        _core.cs_mutual_info(x, rng.normal(size=(9, 1)), "scott")


def test_tiny_kernel_values_give_inf_not_error(rng):
    x = rng.normal(size=(20, 1))
    assert cs_div(x, x + 1000.0, bandwidth=0.5) == np.inf


LONG_JOB = textwrap.dedent(
    """
    import numpy as np
    from entrostat import divergence as _kernel
    x = np.random.default_rng(0).normal(size=(60_000, 8))
    print("started", flush=True)
    _kernel.cs_divergence_samples(x, x + 0.1)
    """
)


def test_ctrl_c_interrupts_exact_sums():
    # One call takes ~30 s on two cores; Ctrl-C is checked between tiles.
    proc = subprocess.Popen([sys.executable, "-c", LONG_JOB], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "started"
        time.sleep(0.5)
        start = time.perf_counter()
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        waited = time.perf_counter() - start
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0
    assert "KeyboardInterrupt" in err
    assert waited < 10
