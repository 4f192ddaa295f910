"""entrostat.logits: entropy, varentropy, cross-entropy and per-row statistics of logits
against the NumPy/SciPy reference and closed forms (every input dtype, axis and memory
layout, nan_policy, masked and extreme rows), the token / attention / RL helpers, the fused
linear cross-entropy, the bit-field entropies of float arrays, invariants (Hypothesis) and
every error path."""

from __future__ import annotations

import dataclasses
import math

import ml_dtypes
import numpy as np
import pytest
import scipy.special
import scipy.stats
from conftest import assert_raises
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_allclose, assert_array_equal

from entrostat import _reference as ref
from entrostat import logits as lg
from entrostat.divergence import kl_divergence

BF16 = ml_dtypes.bfloat16
LN2 = math.log(2.0)
F64 = {"rtol": 1e-10, "atol": 1e-12}
LOW = {"rtol": 1e-5, "atol": 1e-5}  # float32 / float16 / bfloat16 inputs vs the float64 oracle
KINDS = ("random", "peaked", "flat", "masked", "extreme", "offset")
SETTINGS = settings(max_examples=60, deadline=None)


def make_logits(kind, shape=(6, 50), seed=0):
    """Rows of logits of one kind; "masked" rows hold -inf entries (never a whole row)."""
    g = np.random.default_rng(seed)
    x = g.normal(scale=3.0, size=shape)
    if kind == "peaked":
        idx = g.integers(shape[-1], size=shape[:-1])
        np.put_along_axis(x, idx[..., None], 12.0 + x.max(), axis=-1)
    elif kind == "flat":
        x = np.full(shape, 1.5)
    elif kind == "masked":
        x[g.random(shape) < 0.4] = -np.inf
        x[..., 0] = g.normal(size=shape[:-1])
    elif kind == "extreme":
        x *= 1e4 / 3.0
    elif kind == "offset":
        x += 1e4 * np.where(g.random(shape[:-1]) < 0.5, 1.0, -1.0)[..., None]
    return x


def finite_targets(x, g):
    """One target per row, drawn among the row's finite logits."""
    score = np.where(np.isfinite(x), g.random(x.shape), -1.0)
    return score.argmax(axis=-1)


def cast(x, how):
    """``x`` in a reduced-precision form, the keyword arguments it needs, and the float64
    values the library should see."""
    if how == "float32":
        a, kw = x.astype(np.float32), {}
    elif how == "float16":
        a, kw = x.astype(np.float16), {}
    elif how == "bfloat16":
        a, kw = x.astype(BF16), {}
    elif how == "bfloat16_bits":
        a, kw = x.astype(BF16).view(np.uint16), {"dtype": "bfloat16"}
    else:  # float16_bits
        a, kw = x.astype(np.float16).view(np.uint16), {"dtype": "float16"}
    typed = a.view(BF16 if kw.get("dtype") == "bfloat16" else np.float16) if kw else a
    return a, kw, typed.astype(np.float32).astype(np.float64)


# --------------------------------------------------------------------------- entropy


@pytest.mark.parametrize("kind", KINDS)
def test_entropy_and_varentropy_match_reference(kind):
    x = make_logits(kind)
    h = lg.entropy(x)
    assert h.dtype == np.float64 and h.shape == (6,)
    assert_allclose(h, ref.logits_entropy(x), **F64)
    v = lg.varentropy(x)
    assert v.dtype == np.float64 and v.shape == (6,)
    assert_allclose(v, ref.logits_varentropy(x), rtol=1e-9, atol=1e-12)
    assert np.all(v >= 0)


@pytest.mark.parametrize("vocab", [1, 2, 3, 17, 64, 65, 1000, 50257])
@pytest.mark.parametrize("value", [0.0, -3.5, 1e4])
def test_uniform_rows_have_entropy_log_v_and_zero_varentropy(vocab, value):
    x = np.full((2, vocab), value)
    assert_allclose(lg.entropy(x), math.log(vocab), rtol=1e-12, atol=1e-15)
    v = lg.varentropy(x)
    assert np.all(v >= 0)
    assert_allclose(v, 0.0, atol=1e-10)
    assert_allclose(lg.entropy(x.astype(np.float32)), math.log(vocab), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("vocab", [1, 3, 31, 257, 4099])
def test_odd_vocabulary_sizes(vocab):
    x = make_logits("masked" if vocab > 1 else "random", (5, vocab), seed=vocab)
    assert_allclose(lg.entropy(x), ref.logits_entropy(x), **F64)
    assert_allclose(lg.varentropy(x), ref.logits_varentropy(x), rtol=1e-9, atol=1e-12)


def test_one_dimensional_input_gives_a_scalar():
    x = make_logits("random", (40,))
    h = lg.entropy(x)
    assert np.shape(h) == ()
    assert float(h) == pytest.approx(float(ref.logits_entropy(x)), rel=1e-10)


def test_temperature():
    x = make_logits("random", (8, 30), seed=1)
    prev = None
    for t in (0.25, 0.5, 1.0, 2.0, 7.0):
        h = lg.entropy(x, temperature=t)
        assert_allclose(h, ref.logits_entropy(x, t), **F64)
        assert_allclose(
            lg.varentropy(x, temperature=t), ref.logits_varentropy(x, t), rtol=1e-9, atol=1e-12
        )
        assert_allclose(h, lg.entropy(x / t), rtol=1e-12, atol=1e-14)
        if prev is not None:  # entropy of softmax(x / T) increases with T
            assert np.all(h > prev)
        prev = h


@pytest.mark.parametrize("base", [2.0, 10.0])
def test_base(base):
    x = make_logits("masked", (7, 25), seed=2)
    lb = math.log(base)
    assert_allclose(lg.entropy(x, base=base), ref.logits_entropy(x) / lb, **F64)
    assert_allclose(
        lg.varentropy(x, base=base), ref.logits_varentropy(x) / lb**2, rtol=1e-9, atol=1e-12
    )
    flat = np.zeros((1, 16))
    assert_allclose(lg.entropy(flat, base=2), 4.0, rtol=1e-14)


def test_axis_and_three_dimensional_input():
    x = make_logits("random", (3, 4, 20), seed=3)
    for axis in (0, 1, 2, -1, -2, -3):
        want_h = ref.logits_entropy(np.moveaxis(x, axis, -1))
        got = lg.entropy(x, axis=axis)
        assert got.shape == want_h.shape
        assert_allclose(got, want_h, **F64)
        assert_allclose(
            lg.varentropy(x, axis=axis),
            ref.logits_varentropy(np.moveaxis(x, axis, -1)),
            rtol=1e-9,
            atol=1e-12,
        )
    m = make_logits("masked", (3, 4, 20), seed=4)
    assert lg.entropy(m).shape == (3, 4)
    assert_allclose(lg.entropy(m), ref.logits_entropy(m), **F64)


def test_non_contiguous_inputs():
    x = make_logits("masked", (8, 100), seed=5)
    views = {
        "every other column": (x[:, ::2], -1),
        "strided rows and columns": (x[::2, 1::3], -1),
        "reversed columns": (x[:, ::-1], -1),
        "transpose, axis=0": (x.T, 0),
        "fortran order": (np.asfortranarray(x), -1),
        "float32 strided": (x.astype(np.float32)[:, ::3], -1),
    }
    for name, (v, axis) in views.items():
        base = np.moveaxis(np.asarray(v, dtype=np.float64), axis, -1)
        got = lg.entropy(v, axis=axis)
        assert_allclose(
            got, ref.logits_entropy(base), **(F64 if v.dtype == np.float64 else LOW), err_msg=name
        )
        assert_allclose(
            lg.varentropy(v, axis=axis),
            ref.logits_varentropy(base),
            **({"rtol": 1e-9, "atol": 1e-12} if v.dtype == np.float64 else LOW),
            err_msg=name,
        )


HOWS = ("float32", "float16", "bfloat16", "bfloat16_bits", "float16_bits")


@pytest.mark.parametrize("how", HOWS)
@pytest.mark.parametrize("kind", KINDS)
def test_reduced_precision_inputs_match_the_upcast_values(kind, how):
    x = make_logits(kind, (5, 40), seed=6)
    a, kw, x64 = cast(x, how)
    g = np.random.default_rng(7)
    t = finite_targets(x64, g)
    assert_allclose(lg.entropy(a, **kw), ref.logits_entropy(x64), **LOW)
    assert_allclose(lg.varentropy(a, **kw), ref.logits_varentropy(x64), **LOW)
    assert_allclose(lg.cross_entropy(a, t, **kw), ref.logits_cross_entropy(x64, t), **LOW)
    s = lg.stats(a, t, top_k=3, **kw)
    want = ref.logits_stats(x64, t, top_k=3)
    for key in ("entropy", "varentropy", "logsumexp", "max_prob", "nll", "top_k_mass"):
        assert_allclose(s[key], want[key], err_msg=key, **LOW)
    assert_array_equal(s["rank"], want["rank"])


def test_bit_views_equal_typed_arrays():
    x = make_logits("masked", (4, 33), seed=8)
    bf = x.astype(BF16)
    assert_array_equal(lg.entropy(bf.view(np.uint16), dtype="bfloat16"), lg.entropy(bf))
    f16 = x.astype(np.float16)
    assert_array_equal(lg.varentropy(f16.view(np.uint16), dtype="float16"), lg.varentropy(f16))


def test_large_vocabulary_reduced_precision():
    x = make_logits("random", (3, 50257), seed=9)
    for how in ("float32", "bfloat16"):
        a, kw, x64 = cast(x, how)
        assert_allclose(lg.entropy(a, **kw), ref.logits_entropy(x64), **LOW)
        assert_allclose(lg.varentropy(a, **kw), ref.logits_varentropy(x64), **LOW)


# --------------------------------------------------------------------------- cross-entropy


def test_cross_entropy_integer_targets_and_reductions():
    g = np.random.default_rng(10)
    x = make_logits("masked", (12, 30), seed=10)
    t = finite_targets(x, g)
    t[[2, 7]] = -100
    want = ref.logits_cross_entropy(x, t)
    for dt in (np.int64, np.int32):
        got = lg.cross_entropy(x, t.astype(dt))
        assert got.dtype == np.float64 and got.shape == (12,)
        assert_allclose(got, want, **F64)
        assert got[2] == 0.0 and got[7] == 0.0
    keep = t != -100
    assert float(lg.cross_entropy(x, t, reduction="mean")) == pytest.approx(
        want[keep].mean(), rel=1e-12
    )
    assert float(lg.cross_entropy(x, t, reduction="sum")) == pytest.approx(want.sum(), rel=1e-12)
    want_t = ref.logits_cross_entropy(x, t, -100, 0.5)
    assert_allclose(lg.cross_entropy(x, t, temperature=0.5), want_t, **F64)
    assert_allclose(lg.cross_entropy(x, t, base=2), want / LN2, **F64)
    # a custom ignore_index; -100 is then an out-of-range target
    t5 = np.where(t == -100, 5, t)
    assert_allclose(
        lg.cross_entropy(x, t5, ignore_index=5), ref.logits_cross_entropy(x, t5, 5), **F64
    )
    assert_raises(ValueError, "targets", lg.cross_entropy, x, t, ignore_index=5)


def test_cross_entropy_all_ignored():
    x = make_logits("random", (4, 10))
    t = np.full(4, -100)
    assert_array_equal(lg.cross_entropy(x, t), np.zeros(4))
    assert math.isnan(float(lg.cross_entropy(x, t, reduction="mean")))
    assert float(lg.cross_entropy(x, t, reduction="sum")) == 0.0


def test_cross_entropy_axis():
    g = np.random.default_rng(11)
    x = make_logits("random", (3, 9, 5), seed=11)
    t = g.integers(9, size=(3, 5))
    got = lg.cross_entropy(x, t, axis=1)
    assert got.shape == (3, 5)
    assert_allclose(got, ref.logits_cross_entropy(np.moveaxis(x, 1, -1), t), **F64)


def test_cross_entropy_matches_torch():
    torch = pytest.importorskip("torch")
    g = np.random.default_rng(12)
    x = make_logits("random", (16, 40), seed=12)
    t = g.integers(40, size=16)
    t[3] = -100
    xt, tt = torch.from_numpy(x), torch.from_numpy(t)
    for reduction in ("none", "mean", "sum"):
        want = torch.nn.functional.cross_entropy(xt, tt, reduction=reduction).numpy()
        got = lg.cross_entropy(x, t, reduction=reduction)
        assert_allclose(got, want, rtol=1e-12, atol=1e-14, err_msg=reduction)
    q = g.dirichlet(np.full(40, 0.5), size=16)
    for reduction in ("none", "mean", "sum"):
        want = torch.nn.functional.cross_entropy(xt, torch.from_numpy(q), reduction=reduction)
        assert_allclose(
            lg.cross_entropy(x, q, reduction=reduction),
            want.numpy(),
            rtol=1e-12,
            atol=1e-14,
            err_msg=f"soft {reduction}",
        )
    x3 = make_logits("random", (2, 40, 7), seed=13)
    t3 = g.integers(40, size=(2, 7))
    want = torch.nn.functional.cross_entropy(
        torch.from_numpy(x3), torch.from_numpy(t3), reduction="none"
    ).numpy()
    assert_allclose(lg.cross_entropy(x3, t3, axis=1), want, rtol=1e-12, atol=1e-14)


def test_soft_cross_entropy_is_entropy_plus_kl():
    g = np.random.default_rng(14)
    x = make_logits("random", (10, 64), seed=14)
    q = g.dirichlet(np.full(64, 0.3), size=10)
    got = lg.cross_entropy(x, q)
    p = scipy.special.softmax(x, axis=-1)
    h = scipy.stats.entropy(q, axis=-1)
    assert_allclose(got, h + scipy.special.rel_entr(q, p).sum(axis=-1), rtol=1e-12, atol=1e-12)
    assert_allclose(got, h + kl_divergence(q, p), rtol=1e-12, atol=1e-12)
    assert_allclose(got, ref.logits_soft_cross_entropy(x, q), rtol=1e-12, atol=1e-12)
    # q is not renormalised (as torch)
    assert_allclose(lg.cross_entropy(x, 2.0 * q), 2.0 * got, rtol=1e-12)
    assert float(lg.cross_entropy(x, q, reduction="mean")) == pytest.approx(got.mean(), rel=1e-12)
    # a one-hot q is the integer-target cross-entropy
    t = g.integers(64, size=10)
    assert_allclose(lg.cross_entropy(x, np.eye(64)[t]), lg.cross_entropy(x, t), **F64)


def test_soft_cross_entropy_with_masked_logits():
    g = np.random.default_rng(15)
    x = make_logits("masked", (6, 20), seed=15)
    q = np.where(np.isfinite(x), g.random(x.shape), 0.0)
    q /= q.sum(axis=-1, keepdims=True)
    got = lg.cross_entropy(x, q)
    assert np.all(np.isfinite(got))
    assert_allclose(got, ref.logits_soft_cross_entropy(x, q), **F64)
    masked = np.argwhere(np.isneginf(x[3]))[0, 0]
    q[3, masked] = 0.1
    got = lg.cross_entropy(x, q)
    assert got[3] == np.inf
    assert np.all(np.isfinite(np.delete(got, 3)))


def test_soft_targets_errors_name_the_first_bad_row():
    # rows are shared out among threads; the message is always the first bad row's
    x = np.random.default_rng(17).normal(size=(4000, 8))
    q = np.full(x.shape, 1 / 8)
    # (the second thread starts at the middle row: a collect that kept the first error
    # found reported row 2001)
    q[2001, 1], q[1990, 2], q[3999, 0] = -1.0, np.nan, np.inf
    for _ in range(10):
        assert_raises(ValueError, r"^targets: row 1990 of the soft targets has a negative or "
                      r"non-finite entry$", lg.cross_entropy, x, q)


# --------------------------------------------------------------------------- stats


def test_stats_match_reference_and_the_single_functions():
    g = np.random.default_rng(16)
    x = make_logits("masked", (9, 40), seed=16)
    t = finite_targets(x, g)
    t[4] = -100
    s = lg.stats(x, t, top_k=5)
    assert set(s) == {"entropy", "varentropy", "logsumexp", "max_prob", "nll", "rank", "top_k_mass"}
    want = ref.logits_stats(x, t, top_k=5)
    for key in ("entropy", "logsumexp", "max_prob", "nll", "top_k_mass"):
        assert s[key].dtype == np.float64 and s[key].shape == (9,), key
        assert_allclose(s[key], want[key], err_msg=key, **F64)
    assert_allclose(s["varentropy"], want["varentropy"], rtol=1e-9, atol=1e-12)
    assert s["rank"].dtype == np.int64
    assert_array_equal(s["rank"], want["rank"])
    assert s["nll"][4] == 0.0 and s["rank"][4] == 0
    assert_allclose(s["entropy"], lg.entropy(x), rtol=1e-12, atol=1e-15)
    assert_allclose(s["varentropy"], lg.varentropy(x), rtol=1e-12, atol=1e-15)
    assert_allclose(s["nll"], lg.cross_entropy(x, t), rtol=1e-12, atol=1e-15)
    assert set(lg.stats(x)) == {"entropy", "varentropy", "logsumexp", "max_prob"}
    assert set(lg.stats(x, top_k=2)) == {
        "entropy",
        "varentropy",
        "logsumexp",
        "max_prob",
        "top_k_mass",
    }


def test_many_rows_match_reference():
    """Enough rows for the work to be split between threads."""
    g = np.random.default_rng(30)
    x = make_logits("masked", (5000, 64), seed=30)
    t = finite_targets(x, g)
    t[::7] = -100
    s = lg.stats(x, t, top_k=40)
    want = ref.logits_stats(x, t, top_k=40)
    for key in ("entropy", "logsumexp", "max_prob", "nll", "top_k_mass"):
        assert_allclose(s[key], want[key], err_msg=key, **F64)
    assert_allclose(s["varentropy"], want["varentropy"], rtol=1e-9, atol=1e-12)
    assert_array_equal(s["rank"], want["rank"])
    assert float(lg.cross_entropy(x, t, reduction="sum")) == pytest.approx(
        want["nll"].sum(), rel=1e-12
    )


def test_target_on_a_masked_logit_has_infinite_nll():
    x = np.array([[0.0, -np.inf, 1.0], [2.0, 0.5, -np.inf]])
    t = np.array([1, 0])
    nll = lg.cross_entropy(x, t)
    assert nll[0] == np.inf
    assert nll[1] == pytest.approx(float(ref.logits_cross_entropy(x[1:], t[1:])[0]), rel=1e-14)
    s = lg.stats(x, t)
    assert s["nll"][0] == np.inf
    assert_array_equal(s["rank"], [3, 1])


def test_stats_rank_counts_strictly_larger_logits():
    x = np.tile([1.0, 2.0, 2.0, 0.0, -np.inf, 0.5], (5, 1))
    s = lg.stats(x, np.array([1, 2, 0, 3, 5]))
    assert_array_equal(s["rank"], [1, 1, 3, 5, 4])
    a = make_logits("random", (6, 30), seed=17)
    assert_array_equal(lg.stats(a, a.argmax(axis=-1))["rank"], np.ones(6))
    assert_array_equal(lg.stats(a, a.argmin(axis=-1))["rank"], np.full(6, 30))


def test_stats_top_k_mass_limits():
    x = make_logits("masked", (5, 12), seed=18)
    assert_allclose(lg.stats(x, top_k=1)["top_k_mass"], lg.stats(x)["max_prob"], rtol=1e-12)
    assert_allclose(lg.stats(x, top_k=12)["top_k_mass"], 1.0, rtol=1e-12)
    for k in (2, 7):
        assert_allclose(
            lg.stats(x, top_k=k)["top_k_mass"], ref.logits_stats(x, top_k=k)["top_k_mass"], **F64
        )


def test_stats_temperature_and_base():
    g = np.random.default_rng(19)
    x = make_logits("random", (6, 20), seed=19)
    t = g.integers(20, size=6)
    s = lg.stats(x, t, temperature=2.0, top_k=3)
    want = ref.logits_stats(x, t, top_k=3, temperature=2.0)
    for key in ("entropy", "logsumexp", "max_prob", "nll", "top_k_mass"):
        assert_allclose(s[key], want[key], err_msg=key, **F64)
    assert_allclose(s["logsumexp"], scipy.special.logsumexp(x / 2.0, axis=-1), **F64)
    b = lg.stats(x, t, base=2)
    plain = lg.stats(x, t)
    assert_allclose(b["entropy"], plain["entropy"] / LN2, **F64)
    assert_allclose(b["varentropy"], plain["varentropy"] / LN2**2, **F64)
    assert_allclose(b["logsumexp"], plain["logsumexp"], rtol=1e-14)  # natural log, unscaled
    assert_allclose(b["max_prob"], plain["max_prob"], rtol=1e-14)
    assert_allclose(b["nll"], lg.cross_entropy(x, t, base=2), **F64)
    assert_array_equal(b["rank"], plain["rank"])


# --------------------------------------------------------------------------- nan_policy


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_nan_policy(bad):
    g = np.random.default_rng(20)
    x = make_logits("random", (5, 20), seed=20)
    t = g.integers(20, size=5)
    x[2, 7] = bad
    for f in (
        lg.entropy,
        lg.varentropy,
        lambda a, **k: lg.cross_entropy(a, t, **k),
        lambda a, **k: lg.stats(a, t, **k),
    ):
        assert_raises(ValueError, r"row 2\b", f, x)
    ok = np.arange(5) != 2
    h = lg.entropy(x, nan_policy="propagate")
    assert np.isnan(h[2])
    assert_allclose(h[ok], ref.logits_entropy(x[ok]), **F64)
    v = lg.varentropy(x, nan_policy="propagate")
    assert np.isnan(v[2]) and np.all(np.isfinite(v[ok]))
    nll = lg.cross_entropy(x, t, nan_policy="propagate")
    assert np.isnan(nll[2])
    assert_allclose(nll[ok], ref.logits_cross_entropy(x[ok], t[ok]), **F64)
    assert math.isnan(float(lg.cross_entropy(x, t, reduction="mean", nan_policy="propagate")))
    s = lg.stats(x, t, nan_policy="propagate")
    assert np.isnan(s["entropy"][2]) and np.isnan(s["nll"][2])
    assert_allclose(s["entropy"][ok], h[ok], rtol=1e-12)


def test_row_of_only_masked_logits():
    x = make_logits("random", (4, 10), seed=21)
    x[1] = -np.inf
    assert_raises(ValueError, "no finite logit", lg.entropy, x)
    assert_raises(ValueError, "no finite logit", lg.stats, x)
    h = lg.entropy(x, nan_policy="propagate")
    assert np.isnan(h[1])
    ok = np.arange(4) != 1
    assert_allclose(h[ok], ref.logits_entropy(x[ok]), **F64)


# --------------------------------------------------------------------------- bad input


X = make_logits("random", (4, 10), seed=22)
T = np.array([1, 2, 3, 4])
BAD = {
    "target == V": (ValueError, "targets", lambda: lg.cross_entropy(X, np.array([1, 2, 10, 4]))),
    "target -1": (ValueError, "targets", lambda: lg.cross_entropy(X, np.array([1, -1, 3, 4]))),
    "stats target": (ValueError, "targets", lambda: lg.stats(X, np.array([1, 2, 3, 11]))),
    "targets shape": (ValueError, "", lambda: lg.cross_entropy(X, np.array([1, 2, 3]))),
    "targets 2-D": (ValueError, "", lambda: lg.cross_entropy(X, np.ones((4, 2), dtype=int))),
    "soft shape": (ValueError, "", lambda: lg.cross_entropy(X, np.full((4, 9), 0.1))),
    "soft negative": (ValueError, "", lambda: lg.cross_entropy(X, np.full((4, 10), -0.1))),
    "soft nan": (ValueError, "", lambda: lg.cross_entropy(X, np.full((4, 10), np.nan))),
    "empty vocabulary": (ValueError, "", lambda: lg.entropy(np.zeros((3, 0)))),
    "empty vocabulary stats": (ValueError, "", lambda: lg.stats(np.zeros((3, 0)))),
    "int64 logits": (TypeError, "", lambda: lg.entropy(np.zeros((3, 4), dtype=np.int64))),
    "int32 logits": (TypeError, "", lambda: lg.varentropy(np.zeros((3, 4), dtype=np.int32))),
    "top_k 0": (ValueError, "top_k", lambda: lg.stats(X, top_k=0)),
    "top_k V+1": (ValueError, "top_k", lambda: lg.stats(X, top_k=11)),
    "reduction": (ValueError, "reduction", lambda: lg.cross_entropy(X, T, reduction="avg")),
    "nan_policy": (ValueError, "nan_policy", lambda: lg.entropy(X, nan_policy="omit")),
    "temperature 0": (ValueError, "temperature", lambda: lg.entropy(X, temperature=0.0)),
    "temperature < 0": (ValueError, "temperature", lambda: lg.entropy(X, temperature=-1.0)),
    "axis": ((ValueError, IndexError), "", lambda: lg.entropy(X, axis=2)),
    "window 0": (ValueError, "window", lambda: lg.rolling_entropy(np.ones(5), 0)),
    "window n+1": (ValueError, "window", lambda: lg.rolling_entropy(np.ones(5), 6)),
    "quantile 1.5": (ValueError, "quantile", lambda: lg.high_entropy_tokens(X, quantile=1.5)),
    "quantile < 0": (ValueError, "quantile", lambda: lg.high_entropy_tokens(X, quantile=-0.1)),
    "quantile nan": (ValueError, "quantile", lambda: lg.high_entropy_tokens(X, quantile=np.nan)),
    "attention negative": (
        ValueError,
        "weights",
        lambda: lg.attention_entropy(np.array([[0.5, -0.1, 0.6]])),
    ),
    "attention nan": (
        ValueError,
        "weights",
        lambda: lg.attention_entropy(np.array([[0.5, np.nan, 0.5]])),
    ),
    "attention inf": (
        ValueError,
        "weights",
        lambda: lg.attention_entropy(np.array([[0.5, np.inf, 0.5]])),
    ),
    "attention zero row": (
        ValueError,
        "weights",
        lambda: lg.attention_entropy(np.array([[0.5, 0.5], [0.0, 0.0]])),
    ),
    "covariance shapes": (
        ValueError,
        "",
        lambda: lg.logprob_advantage_covariance(np.zeros(5), np.zeros(6)),
    ),
    "covariance mask shape": (
        ValueError,
        "",
        lambda: lg.logprob_advantage_covariance(
            np.zeros(5), np.zeros(5), mask=np.ones(4, dtype=bool)
        ),
    ),
    "linear D": (ValueError, "", lambda: lg.linear_cross_entropy(np.ones((3, 4)), np.ones((5, 3)))),
    "linear chunk": (
        ValueError,
        "chunk",
        lambda: lg.linear_cross_entropy(np.ones((3, 4)), np.ones((5, 4)), chunk=0),
    ),
    "linear target": (
        ValueError,
        "targets",
        lambda: lg.linear_cross_entropy(np.ones((3, 4)), np.ones((5, 4)), np.array([0, 5, 1])),
    ),
    "fmt unknown": (
        ValueError,
        "fmt",
        lambda: lg.float_entropy(np.zeros(4, np.uint16), fmt="float8"),
    ),
    "fmt missing": ((TypeError, ValueError), "", lambda: lg.float_entropy(np.zeros(4, np.uint16))),
    "fmt a list": (
        ValueError,
        "fmt",
        lambda: lg.float_entropy(np.zeros(4, np.uint16), fmt=["bfloat16"]),
    ),
    "fmt width": (
        (TypeError, ValueError),
        "",
        lambda: lg.float_entropy(np.zeros(4, np.uint16), fmt="float32"),
    ),
    "float64 values": ((TypeError, ValueError), "", lambda: lg.float_entropy(np.zeros(4))),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input(case):
    exc, match, fn = BAD[case]
    assert_raises(exc, match, fn)


# --------------------------------------------------------------------------- token helpers


def test_high_entropy_tokens():
    g = np.random.default_rng(23)
    x = make_logits("random", (6, 40, 25), seed=23) * g.uniform(0.05, 2.0, size=(6, 40, 1))
    r = lg.high_entropy_tokens(x, quantile=0.8)
    assert dataclasses.is_dataclass(r)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.threshold = 0.0
    h = ref.logits_entropy(x)
    assert r.entropy.shape == (6, 40)
    assert_allclose(r.entropy, h, **F64)
    assert r.threshold == pytest.approx(np.quantile(h, 0.8), rel=1e-10)
    assert r.mask.dtype == np.bool_ and r.mask.shape == (6, 40)
    assert_array_equal(r.mask, r.entropy >= r.threshold)
    assert r.share == pytest.approx(r.mask.mean(), rel=1e-12)
    assert 0.19 <= r.share <= 0.21
    assert r.mean == pytest.approx(h.mean(), rel=1e-10)
    assert r.std == pytest.approx(h.std(), rel=1e-9)
    assert r.median == pytest.approx(np.median(h), rel=1e-10)
    assert set(r.quantiles) == {0.1, 0.25, 0.5, 0.75, 0.9, 0.99}
    for q, v in r.quantiles.items():
        assert v == pytest.approx(np.quantile(h, q), rel=1e-10), q
    r2 = lg.high_entropy_tokens(x, quantile=0.5, base=2, temperature=1.5)
    h2 = ref.logits_entropy(x, 1.5) / LN2
    assert_allclose(r2.entropy, h2, **F64)
    assert r2.threshold == pytest.approx(np.median(h2), rel=1e-10)


def test_rolling_entropy():
    g = np.random.default_rng(24)
    h = g.random(1000) * 5
    for w in (1, 2, 10, 999, 1000):
        got = lg.rolling_entropy(h, w)
        assert got.shape == (1000 - w + 1,)
        assert_allclose(got, ref.rolling_mean(h, w), rtol=1e-10, atol=1e-12)
    # running sums of deviations from the mean leave ~eps * their size of absolute error
    assert_allclose(lg.rolling_entropy(h, 1), h, rtol=1e-12, atol=1e-12)
    # A large common offset: running sums of the raw values (1e14 after 1e5 steps) kept
    # only 1e-2 of the window means' variation; of the deviations, about 1e-6.
    big = 1e9 + g.random(100_000)
    got = lg.rolling_entropy(big, 10)
    assert np.max(np.abs(got - ref.rolling_mean(big, 10))) < 1e-5
    # Values near the float limit: no running sum overflows (inf and NaN before), and the
    # scale such a row needs is its own (a row of 1e-20 beside it keeps its digits).
    assert_allclose(lg.rolling_entropy(np.full(4, 1e308), 2), np.full(3, 1e308), rtol=1e-15)
    mixed = lg.rolling_entropy(np.array([[1e308] * 4, [1e-20, 3e-20, 7e-20, 1e-20]]), 2)
    assert_allclose(mixed, [[1e308] * 3, [2e-20, 5e-20, 4e-20]], rtol=1e-15)
    # Means rounded past a row's largest value (1 - 2^-53 of its scale) stay finite (they
    # read inf), and none falls below its smallest (a 0 read -2e292); the error of the
    # running sums is a few ulps of the row's largest value.
    top = np.finfo(np.float64).max
    for row in ([top, 0.0, 1e300], [top] * 5 + [0.0] * 3, [top, top, -top / 7, -top / 7]):
        got = lg.rolling_entropy(np.array(row), 1)
        assert np.isfinite(got).all() and got.min() >= min(row) and got.max() <= max(row)
        assert_allclose(got, row, rtol=0, atol=1e-15 * top)
    # An empty batch gives an empty result of the windowed shape.
    assert lg.rolling_entropy(np.zeros((0, 10)), 3).shape == (0, 8)
    assert lg.rolling_entropy(np.zeros((10, 0)), 3, axis=0).shape == (8, 0)
    assert_allclose(lg.rolling_entropy(h, 1000), [h.mean()], rtol=1e-12)
    h2 = g.random((4, 30))
    assert_allclose(lg.rolling_entropy(h2, 7), ref.rolling_mean(h2, 7), rtol=1e-10)
    got = lg.rolling_entropy(h2, 3, axis=0)
    assert got.shape == (2, 30)
    assert_allclose(got, np.moveaxis(ref.rolling_mean(h2.T, 3), -1, 0), rtol=1e-10)


def test_attention_entropy():
    g = np.random.default_rng(25)
    w = scipy.special.softmax(2.0 * g.normal(size=(3, 4, 16)), axis=-1)
    w[0, 0, :5] = 0.0
    want = scipy.stats.entropy(w, axis=-1)
    assert_allclose(lg.attention_entropy(w), want, rtol=1e-12, atol=1e-14)
    assert_allclose(lg.attention_entropy(3.0 * w), want, rtol=1e-12, atol=1e-14)
    assert_allclose(lg.attention_entropy(w, base=2), want / LN2, rtol=1e-12, atol=1e-14)
    assert_allclose(
        lg.attention_entropy(w, axis=1), scipy.stats.entropy(w, axis=1), rtol=1e-12, atol=1e-14
    )
    assert_allclose(lg.attention_entropy(np.ones((2, 8))), math.log(8), rtol=1e-14)
    onehot = np.eye(5)
    assert_array_equal(lg.attention_entropy(onehot), np.zeros(5))
    for dt in (np.float32, np.float16, BF16):
        wd = w.astype(dt)
        assert_allclose(
            lg.attention_entropy(wd),
            ref.attention_entropy(wd.astype(np.float64)),
            err_msg=str(dt),
            **LOW,
        )


def test_logprob_advantage_covariance():
    g = np.random.default_rng(26)
    lp = -g.exponential(size=(4, 25))
    adv = np.repeat(g.normal(size=(4, 1)), 25, axis=1) + 0.1 * g.normal(size=(4, 25))
    mask = g.random((4, 25)) < 0.7
    r = lg.logprob_advantage_covariance(lp, adv, mask=mask, top=7)
    assert dataclasses.is_dataclass(r)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.covariance = 0.0
    cov, per, order = ref.logprob_advantage_covariance(lp, adv, mask)
    assert r.covariance == pytest.approx(cov, rel=1e-12, abs=1e-15)
    assert r.per_token.shape == (4, 25)
    assert np.all(np.isnan(r.per_token[~mask]))
    assert_allclose(r.per_token, per, rtol=1e-12, atol=1e-15)
    assert_array_equal(r.top_indices, order[:7])
    vals = r.per_token[np.unravel_index(r.top_indices, lp.shape)]
    assert np.all(np.diff(vals) <= 0) and np.all(mask.ravel()[r.top_indices])
    full = lg.logprob_advantage_covariance(lp, adv)
    assert full.covariance == pytest.approx(
        np.cov(lp.ravel(), adv.ravel(), ddof=0)[0, 1], rel=1e-12
    )
    assert len(full.top_indices) == 10
    assert_array_equal(full.top_indices, ref.logprob_advantage_covariance(lp, adv)[2][:10])
    one_d = lg.logprob_advantage_covariance(lp.ravel(), adv.ravel(), mask=mask.ravel(), top=7)
    assert one_d.covariance == pytest.approx(cov, rel=1e-12, abs=1e-15)
    assert_array_equal(one_d.top_indices, order[:7])


def test_logprob_advantage_covariance_large_batches_ties_and_layout():
    """Past the block size the top tokens come from block maxima: the same tokens as a
    full sort by (-product, position), ties included; the layout of the input does not
    change the covariance."""
    g = np.random.default_rng(261)
    lp = -g.integers(0, 3, (16, 5000)).astype(float)  # few distinct products: many ties
    adv = g.integers(0, 2, (16, 5000)).astype(float)
    mask = g.random((16, 5000)) < 0.6
    for m in (mask, None):
        r = lg.logprob_advantage_covariance(lp, adv, mask=m, top=50)
        per = r.per_token.ravel()
        counted = np.flatnonzero(np.ones(per.size, bool) if m is None else m.ravel())
        want = counted[np.lexsort((counted, -per[counted]))][:50]
        assert_array_equal(r.top_indices, want)
    fortran = lg.logprob_advantage_covariance(np.asfortranarray(lp), np.asfortranarray(adv))
    assert fortran.covariance == lg.logprob_advantage_covariance(lp, adv).covariance
    with pytest.raises(ValueError, match="overflow"):
        lg.logprob_advantage_covariance(np.array([-1.7e308, -1.7e308, -1.0]), np.ones(3))
    # -inf log-probabilities of uncounted padding take the gathering path: same numbers
    padded = lp.copy()
    padded[~mask] = -np.inf
    r_pad = lg.logprob_advantage_covariance(padded, adv, mask=mask, top=50)
    r = lg.logprob_advantage_covariance(lp, adv, mask=mask, top=50)
    assert r_pad.covariance == pytest.approx(r.covariance, rel=1e-12)
    assert_array_equal(r_pad.top_indices, r.top_indices)
    assert_allclose(r_pad.per_token, r.per_token, rtol=1e-12, atol=1e-15)
    padded[mask.nonzero()[0][0], mask.nonzero()[1][0]] = -np.inf  # now a counted token
    with pytest.raises(ValueError, match="finite values on counted tokens"):
        lg.logprob_advantage_covariance(padded, adv, mask=mask)


# --------------------------------------------------------------------------- fused linear CE


@pytest.mark.parametrize("chunk", [7, 32, 101, 500])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_linear_cross_entropy_matches_materialised_logits(dtype, chunk):
    g = np.random.default_rng(27)
    n, d, v = 37, 16, 101
    hidden = g.normal(size=(n, d)).astype(dtype)
    weight = (0.5 * g.normal(size=(v, d))).astype(dtype)
    t = g.integers(v, size=n)
    t[[3, 20]] = -100
    got = lg.linear_cross_entropy(hidden, weight, t, chunk=chunk)
    want = ref.linear_cross_entropy(hidden, weight, t)
    assert set(got) - {"varentropy"} == {"entropy", "logsumexp", "cross_entropy"}
    tol = F64 if dtype == np.float64 else {"rtol": 1e-4, "atol": 1e-5}
    if "varentropy" in got:  # an extra key beyond the spec: check it as well
        z = hidden.astype(np.float64) @ weight.T.astype(np.float64)
        want["varentropy"] = ref.logits_varentropy(z)
    for key in want:
        assert got[key].shape == (n,), key
        assert_allclose(got[key], want[key], err_msg=key, **tol)
    assert got["cross_entropy"][3] == 0.0 and got["cross_entropy"][20] == 0.0


@pytest.mark.parametrize("chunk", [1, 299, 300, 10_000])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_linear_cross_entropy_many_tokens(dtype, chunk):
    """More tokens than one block, so that blocks of tokens run on several threads."""
    g = np.random.default_rng(31)
    n, d, v = 700, 8, 300
    hidden = g.normal(size=(n, d)).astype(dtype)
    weight = g.normal(size=(v, d)).astype(dtype)
    t = g.integers(v, size=n)
    t[[5, 699]] = -100
    got = lg.linear_cross_entropy(hidden, weight, t, chunk=chunk)
    want = ref.linear_cross_entropy(hidden, weight, t)
    tol = F64 if dtype == np.float64 else {"rtol": 1e-4, "atol": 1e-5}
    for key in want:
        assert_allclose(got[key], want[key], err_msg=key, **tol)


def test_linear_cross_entropy_non_contiguous_inputs():
    g = np.random.default_rng(32)
    hidden = g.normal(size=(50, 16))
    weight = g.normal(size=(40, 32))
    want = ref.linear_cross_entropy(hidden, weight[:, ::2])
    got = lg.linear_cross_entropy(np.asfortranarray(hidden), weight[:, ::2])
    for key in want:
        assert_allclose(got[key], want[key], err_msg=key, **F64)


def test_linear_cross_entropy_defaults_and_base():
    g = np.random.default_rng(28)
    hidden = g.normal(size=(9, 8))
    weight = g.normal(size=(50, 8))
    got = lg.linear_cross_entropy(hidden, weight)
    assert set(got) - {"varentropy"} == {"entropy", "logsumexp"}
    want = ref.linear_cross_entropy(hidden, weight)
    for key in want:
        assert_allclose(got[key], want[key], err_msg=key, **F64)
    t = g.integers(50, size=9)
    b = lg.linear_cross_entropy(hidden, weight, t, base=2, chunk=16)
    assert_allclose(b["entropy"], want["entropy"] / LN2, **F64)
    assert_allclose(b["logsumexp"], want["logsumexp"], **F64)  # natural log, as in stats
    if "varentropy" in b:
        assert_allclose(
            b["varentropy"],
            ref.logits_varentropy(hidden @ weight.T) / LN2**2,
            rtol=1e-9,
            atol=1e-12,
        )
    assert_allclose(b["cross_entropy"], ref.logits_cross_entropy(hidden @ weight.T, t) / LN2, **F64)
    t[0] = 7
    custom = lg.linear_cross_entropy(hidden, weight, t, ignore_index=7)
    assert custom["cross_entropy"][0] == 0.0


# --------------------------------------------------------------------------- float bit fields


FMTS = {
    "bfloat16": (BF16, np.uint16, 16),
    "float16": (np.float16, np.uint16, 16),
    "float32": (np.float32, np.uint32, 32),
}


def check_float_entropy(r, want, total):
    for key, value in want.items():
        got = getattr(r, key)
        if isinstance(value, float):
            assert got == pytest.approx(value, rel=1e-12, abs=1e-12), key
        else:
            assert got == value, key
    assert r.total_bits == total
    assert r.sign_bits + r.exponent_bits + r.mantissa_bits == total
    for field in ("sign", "exponent", "mantissa"):
        h = getattr(r, f"{field}_entropy")
        assert -1e-12 <= h <= getattr(r, f"{field}_bits") + 1e-12, field
        assert r.value_entropy >= h - 1e-9, field
    assert r.value_entropy <= r.sign_entropy + r.exponent_entropy + r.mantissa_entropy + 1e-9
    assert r.value_entropy <= math.log2(r.n) + 1e-9
    assert r.exponent_coded_bits == pytest.approx(
        r.sign_bits + r.exponent_entropy + r.mantissa_bits, rel=1e-14
    )


@pytest.mark.parametrize("fmt", list(FMTS))
def test_float_entropy_matches_reference(fmt):
    typ, bits_t, total = FMTS[fmt]
    g = np.random.default_rng(29)
    x = 0.02 * g.standard_t(4, size=(60, 50))
    x[0, :10] = 0.0
    a = x.astype(typ)
    bits = a.view(bits_t)
    want = ref.float_fields_entropy(bits, fmt)
    check_float_entropy(lg.float_entropy(a), want, total)
    check_float_entropy(lg.float_entropy(bits, fmt=fmt), want, total)
    check_float_entropy(
        lg.float_entropy(a[:, ::3]), ref.float_fields_entropy(bits[:, ::3], fmt), total
    )
    # Bit patterns in the other byte order are the same values.
    swapped = bits.astype(bits.dtype.newbyteorder(">" if bits.dtype.isnative else "<"))
    check_float_entropy(lg.float_entropy(swapped, fmt=fmt), want, total)
    r = lg.float_entropy(a)
    assert dataclasses.is_dataclass(r)
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.n = 0


def test_float_entropy_is_the_same_on_every_call():
    # The mantissa histogram lives in a hash table whose order changes between calls;
    # its counts are summed in key order, so the result does not (to the last bit).
    for a in (np.random.default_rng(0).normal(size=1000).astype(ml_dtypes.bfloat16),
              np.random.default_rng(3).normal(size=20_000).astype(np.float32)):
        first = lg.float_entropy(a)
        bits = a.view(np.uint16 if a.itemsize == 2 else np.uint32)
        fmt = first.fmt
        for _ in range(4):
            assert lg.float_entropy(a) == first
            assert lg.float_entropy(bits, fmt=fmt) == first
            assert lg.float_entropy(bits.copy(), fmt=fmt) == first


def test_bit_patterns_of_either_byte_order_with_dtype():
    x = make_logits("random", (4, 33), seed=5).astype(ml_dtypes.bfloat16)
    bits = x.view(np.uint16)
    want = lg.entropy(x)
    assert_allclose(lg.entropy(bits.astype(">u2"), dtype="bfloat16"), want, rtol=0)
    assert_allclose(lg.entropy(bits.astype("<u2"), dtype="bfloat16"), want, rtol=0)


def test_float_entropy_many_values():
    g = np.random.default_rng(33)
    for typ, bits_t, fmt in ((np.float32, np.uint32, "float32"), (BF16, np.uint16, "bfloat16")):
        a = (0.02 * g.standard_normal(10**6)).astype(typ)
        want = ref.float_fields_entropy(a.view(bits_t), fmt)
        check_float_entropy(lg.float_entropy(a), want, FMTS[fmt][2])


def test_float_entropy_closed_forms():
    r = lg.float_entropy(np.tile(np.array([1.0, -1.0], dtype=BF16), 50))
    assert (r.fmt, r.n, r.sign_bits, r.exponent_bits, r.mantissa_bits) == ("bfloat16", 100, 1, 8, 7)
    assert r.sign_entropy == pytest.approx(1.0, rel=1e-14)
    assert r.exponent_entropy == 0.0 and r.mantissa_entropy == 0.0
    assert r.value_entropy == pytest.approx(1.0, rel=1e-14)
    r = lg.float_entropy(np.array([1.0, 2.0, 4.0, 8.0] * 5, dtype=np.float16))
    assert (r.fmt, r.exponent_bits, r.mantissa_bits) == ("float16", 5, 10)
    assert r.exponent_entropy == pytest.approx(2.0, rel=1e-14)
    assert r.value_entropy == pytest.approx(2.0, rel=1e-14)
    assert r.sign_entropy == 0.0 and r.mantissa_entropy == 0.0
    assert r.exponent_coded_bits == pytest.approx(1 + 2.0 + 10, rel=1e-14)
    for typ, _, total in FMTS.values():
        c = lg.float_entropy(np.full((7, 3), 0.3, dtype=typ))
        assert c.n == 21 and c.total_bits == total
        assert (c.sign_entropy, c.exponent_entropy, c.mantissa_entropy, c.value_entropy) == (
            0.0,
            0.0,
            0.0,
            0.0,
        )
        assert c.exponent_coded_bits == c.sign_bits + c.mantissa_bits


# --------------------------------------------------------------------------- properties


@st.composite
def logits_and_targets(draw):
    x = draw(
        hnp.arrays(
            np.float64,
            hnp.array_shapes(min_dims=2, max_dims=2, max_side=12),
            elements=st.floats(-60, 60, allow_nan=False),
        )
    )
    t = draw(hnp.arrays(np.int64, x.shape[0], elements=st.integers(0, x.shape[1] - 1)))
    return x, t


@SETTINGS
@given(logits_and_targets(), st.floats(-1e3, 1e3))
def test_property_bounds(xt, shift):
    x, t = xt
    v = x.shape[1]
    s = lg.stats(x, t)
    h = s["entropy"]
    assert np.all(h >= -1e-12) and np.all(h <= math.log(v) + 1e-12)
    assert np.all(s["varentropy"] >= 0)
    surprisal_of_mode = -np.log(s["max_prob"])
    assert np.all(h >= surprisal_of_mode - 1e-9)
    assert np.all(s["nll"] >= surprisal_of_mode - 1e-9)
    assert np.all((s["max_prob"] >= 1 / v - 1e-12) & (s["max_prob"] <= 1 + 1e-12))
    assert np.all((s["rank"] >= 1) & (s["rank"] <= v))
    m = x.max(axis=1)
    assert np.all((s["logsumexp"] >= m - 1e-12) & (s["logsumexp"] <= m + math.log(v) + 1e-9))
    assert_allclose(lg.entropy(x + shift), h, rtol=1e-9, atol=1e-9)


# ------------------------------------------------------------------ layouts and edges


def test_sliced_batches_are_read_in_place_and_errors_name_the_position():
    x = make_logits("random", shape=(3, 5, 40), seed=7)
    view = x[:, :-1]  # the usual "drop the last position" slice: not C-contiguous
    want = ref.logits_entropy(np.ascontiguousarray(view).reshape(-1, 40)).reshape(3, 4)
    assert_allclose(lg.entropy(view), want, **F64)
    # (5, 40, 3) reduced along axis 1: entry [j, i] is the entropy of x[i, j].
    assert_allclose(lg.entropy(x.transpose(1, 2, 0), axis=1),
                    ref.logits_entropy(x.reshape(-1, 40)).reshape(3, 5).T, **F64)
    bad = x.copy()
    bad[1, 2, 7] = np.nan
    with pytest.raises(ValueError, match=r"logits: row \(1, 2\)"):
        lg.entropy(bad)


def test_fields_of_structured_arrays_and_foreign_byte_order():
    s = np.zeros(50, dtype=[("a", "<f4"), ("b", "<i2")])
    s["a"] = np.linspace(0.5, 3.0, 50)
    field = s["a"]  # stride 6: not a multiple of the item size
    assert_allclose(lg.attention_entropy(field[None]), ref.attention_entropy(
        np.asarray(field, dtype=np.float64)[None]), **LOW)
    assert_allclose(lg.entropy(field), ref.logits_entropy(
        np.asarray(field, dtype=np.float64)[None])[0], **LOW)
    fe = lg.float_entropy(field)
    want = lg.float_entropy(np.ascontiguousarray(field))
    assert dataclasses.astuple(fe) == dataclasses.astuple(want)
    h16 = make_logits("random", seed=3).astype(np.float16)
    assert_array_equal(lg.entropy(h16.astype(">f2")), lg.entropy(h16))
    w = np.abs(h16)
    assert_array_equal(lg.attention_entropy(w.astype(">f2")), lg.attention_entropy(w))
    hid = np.ones((4, 3), dtype=">f4")
    wt = np.arange(15, dtype=">f4").reshape(5, 3)
    got = lg.linear_cross_entropy(hid, wt)["entropy"]
    assert_allclose(got, lg.entropy(hid.astype(np.float32) @ wt.astype(np.float32).T), **LOW)


def test_attention_one_hot_rows_are_exactly_zero():
    for dt, tiny in ((np.float64, 3e-310), (np.float32, 1e-40)):  # subnormal in each
        w = np.zeros((3, 37), dtype=dt)
        w[0, 1], w[1, 36], w[2, 20] = 0.7, 6.481895115742501, tiny
        assert_array_equal(lg.attention_entropy(w), np.zeros(3))


def test_attention_rows_of_any_scale():
    w = np.array([[1e308, 1e308], [5e-324, 5e-324], [1e-310, 3e-310]])
    want = [LN2, LN2, scipy.stats.entropy([1.0, 3.0])]
    assert_allclose(lg.attention_entropy(w), want, rtol=1e-12)


def test_temperature_above_one_on_rows_whose_span_overflows():
    # x - max overflows in these rows (spans beyond f64::MAX) while x / T does not: the
    # statistics are those of softmax(x / T), as if the row were divided first.
    x = np.array([[1e308, -1e308, 0.0, 1e308, -np.inf],
                  [1.5e308, -1.7e308, 3.0, -np.inf, 2.0]])
    targets = np.array([1, 1])
    q = np.array([[0.0, 0.5, 0.5, 0.0, 0.0], [0.2, 0.3, 0.0, 0.0, 0.5]])
    for t in (1e308, 1e306, 3.0):
        y = x / t  # spans below f64::MAX: SciPy computes these exactly
        logp = scipy.special.log_softmax(y, axis=-1)
        p = np.exp(logp)
        assert_allclose(lg.entropy(x, temperature=t), -np.sum(p * np.where(p > 0, logp, 0), -1),
                        rtol=1e-12, atol=1e-300)
        assert_allclose(lg.varentropy(x, temperature=t), lg.varentropy(y), rtol=1e-12)
        got = lg.stats(x, targets, temperature=t, top_k=2)
        want = lg.stats(y, targets, top_k=2)
        for key in ("entropy", "logsumexp", "max_prob", "nll", "rank", "top_k_mass"):
            assert_allclose(got[key], want[key], rtol=1e-12, err_msg=key)
        assert_allclose(got["nll"], -logp[[0, 1], targets], rtol=1e-12)
        assert_allclose(lg.cross_entropy(x, q, temperature=t, reduction="none"),
                        -np.sum(q * np.where(q > 0, logp, 0), -1), rtol=1e-12)
    # T = 1e308: the entries +-1e308 weigh e^1 and e^-1 (they were lost to -inf).
    assert lg.entropy(x[:1], temperature=1e308)[0] == pytest.approx(
        scipy.stats.entropy(scipy.special.softmax([1.0, -1.0, 0.0, 1.0])), rel=1e-12)
    # T <= 1: those differences are below -f64::MAX either way (probability 0).
    assert_allclose(lg.entropy(x, temperature=1.0), [LN2, 0.0], atol=1e-15)


def test_temperature_whose_inverse_overflows_is_rejected():
    with pytest.raises(ValueError, match="temperature"):
        lg.entropy(np.zeros((2, 3)), temperature=1e-310)


def test_ignored_targets_count_zero_in_nan_rows():
    x = np.array([[np.nan, 0.0], [0.0, 1.0]])
    got = lg.cross_entropy(x, [-100, 1], nan_policy="propagate", reduction="mean")
    assert_allclose(got, -scipy.special.log_softmax([0.0, 1.0])[1], **F64)
    nll = lg.stats(x, [0, 1], nan_policy="propagate")["nll"]
    assert np.isnan(nll[0]) and np.isfinite(nll[1])


def test_linear_maximum_far_above_the_previous_one():
    h = np.ones((1, 1))
    w = np.array([[-1e155], [0.0], [-1.0]])
    one, whole = (lg.linear_cross_entropy(h, w, chunk=c) for c in (1, 4))
    assert_allclose(one["varentropy"], whole["varentropy"], **F64)
    assert_allclose(whole["varentropy"], lg.varentropy(np.array([[-1e155, 0.0, -1.0]])), **F64)


def test_bfloat16_soft_targets_and_argument_ranges():
    x = make_logits("random", seed=5)
    q = scipy.special.softmax(make_logits("random", seed=6), axis=-1)
    got = lg.cross_entropy(x, q.astype(BF16))
    assert_allclose(got, ref.logits_soft_cross_entropy(x, q.astype(BF16).astype(np.float64)),
                    **F64)
    assert_raises(ValueError, "ignore_index", lg.cross_entropy, x, np.zeros(6, int),
                  ignore_index=2**70)
    big_chunk = lg.linear_cross_entropy(np.ones((2, 3)), np.ones((4, 3)), chunk=2**64)
    assert_allclose(big_chunk["entropy"], math.log(4), **F64)
    assert_raises(ValueError, "logits", lg.high_entropy_tokens, np.zeros((0, 4)))
    assert_raises(TypeError, "quantile", lg.high_entropy_tokens, x, "x")
    assert_raises(TypeError, "axis", lg.rolling_entropy, np.ones(5), 2, axis=1.5)
