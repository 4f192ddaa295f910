"""Every bad-input path: the exception type, a message that names the argument, and
never a Rust panic (``pyo3_runtime.PanicException``) reaching Python."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest
import scipy.sparse
from conftest import assert_raises, is_panic
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import entrostat as es
from entrostat.tokenizers import token_stream_metrics

GOOD = np.array([0, 1, 1, 2, 0, 1])
GOOD2 = np.array([1, 1, 0, 0, 1, 0])
FLOATS = np.array([0.0, 1.0, 1.0])
NANS = np.array([0.0, np.nan, 1.0])
EMPTY = np.array([], dtype=np.int64)
CUBE = np.zeros((2, 2, 2), dtype=np.int64)
SCALAR = np.int64(3)
SHORT = np.array([0, 1])
STRINGS = np.array(["a", "b"])
OBJECTS = np.array([1, 2], dtype=object)
COMPLEX = np.array([1 + 0j, 2 + 0j])

# Functions of one label array ``x``; (name, callable(x)).
ONE_ARRAY = [
    ("entropy", lambda x: es.entropy(x)),
    ("entropy_nsb", lambda x: es.entropy(x, estimator="nsb")),
    ("renyi_entropy", lambda x: es.renyi_entropy(x, 2)),
    ("tsallis_entropy", lambda x: es.tsallis_entropy(x, 2)),
    ("Counts", lambda x: es.Counts(x)),
    ("Counts.update", lambda x: es.Counts(GOOD).update(x)),
]
# Functions taking several label arrays, with the argument name each position carries.
MULTI = [
    ("joint_entropy", lambda a, b: es.joint_entropy(a, b), ("xs\\[0\\]", "xs\\[1\\]")),
    ("conditional_entropy", lambda a, b: es.conditional_entropy(a, b), ("x", "given")),
    ("mutual_info", lambda a, b: es.mutual_info(a, b), ("x", "y")),
    ("normalized_mutual_info", lambda a, b: es.normalized_mutual_info(a, b), ("x", "y")),
    ("conditional_mutual_info", lambda a, b: es.conditional_mutual_info(a, b, GOOD), ("x", "y")),
    ("conditional_mutual_info[given]",
     lambda a, b: es.conditional_mutual_info(GOOD, a, b), ("y", "given")),
]
SEQUENCE = [
    ("block_entropy", lambda s: es.block_entropy(s, 2)),
    ("conditional_block_entropy", lambda s: es.conditional_block_entropy(s, 2)),
    ("NgramCounts", lambda s: es.NgramCounts(2, s)),
    ("NgramCounts.update", lambda s: es.NgramCounts(2, GOOD).update(s)),
]


def _ids(cases):
    return [c[0] for c in cases]


# ---------------------------------------------------------------------------
# labels
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("name,fn", ONE_ARRAY, ids=_ids(ONE_ARRAY))
def test_labels_one_array(name, fn):
    assert_raises(TypeError, r"^x: .*integer", fn, FLOATS)
    assert_raises(TypeError, r"^x: .*integer", fn, NANS)
    assert_raises(TypeError, r"^x: .*integer", fn, STRINGS)
    assert_raises(TypeError, r"^x: ", fn, OBJECTS)
    assert_raises(TypeError, r"^x: ", fn, COMPLEX)
    assert_raises(ValueError, r"^x: .*dimension", fn, CUBE)
    assert_raises(ValueError, r"^x: .*dimension", fn, SCALAR)
    if "Counts" in name:
        # Counts takes 1-D chunks only; an empty 1-D chunk is a no-op
        assert_raises(ValueError, r"^x: .*1-D", fn, GOOD.reshape(3, 2))
        assert fn(EMPTY) is not None
    else:
        assert_raises(ValueError, r"^x: .*empty", fn, EMPTY)
        assert_raises(ValueError, r"^x: .*empty", fn, np.zeros((3, 0), dtype=np.int64))
        assert_raises(ValueError, r"^x: .*empty", fn, np.zeros((0, 2), dtype=np.int64))


def test_float_labels_message_explains():
    err = assert_raises(TypeError, "NaN", es.entropy, NANS)
    assert "float64" in str(err)


# (name, the argument's name, a call that passes its argument where that name goes)
RAGGED_CALLS = [
    ("entropy", "x", lambda r: es.entropy(r)),
    ("renyi_entropy", "x", lambda r: es.renyi_entropy(r, 2)),
    ("mutual_info", "y", lambda r: es.mutual_info([1, 2], r)),
    ("conditional_entropy", "given", lambda r: es.conditional_entropy([1, 2], r)),
    ("joint_entropy", "xs\\[1\\]", lambda r: es.joint_entropy([1, 2], r)),
    ("block_entropy", "seq", lambda r: es.block_entropy(r, 2)),
    ("Counts", "x", lambda r: es.Counts(r)),
    ("Counts.update", "x", lambda r: es.Counts(GOOD).update(r)),
    ("NgramCounts", "seq", lambda r: es.NgramCounts(2, r)),
    ("entropy_from_counts", "counts", lambda r: es.entropy_from_counts(r)),
]


@pytest.mark.parametrize("name,arg,fn", RAGGED_CALLS, ids=_ids(RAGGED_CALLS))
def test_ragged_nested_lists_name_the_argument(name, arg, fn):
    """A ragged nested list cannot become an array; the message names the argument
    (NumPy's own, "setting an array element with a sequence", names none)."""
    what = "counts" if arg == "counts" else "integer labels"
    for ragged in ([[1, 2], [3]], [[1], [2, 3]], [1, [2]], [[[1]], [2]]):
        assert_raises(ValueError, rf"^{arg}: expected a rectangular array of {what}, got a "
                      "ragged nested sequence", fn, ragged)


_P = np.array([0.2, 0.3, 0.5])
_X = np.linspace(0.0, 1.0, 40).reshape(20, 2)
# (the argument's name, a call that passes its argument there), one or more per family
ARRAY_LIKE_CALLS = [
    ("x", lambda a: es.entropy(a)),
    ("given", lambda a: es.conditional_entropy(GOOD, a)),
    ("q", lambda a: es.kl_divergence(_P, a)),
    ("p", lambda a: es.js_divergence(a, _P)),
    ("y", lambda a: es.kl_divergence_labels(GOOD, a)),
    ("x", lambda a: es.differential_entropy(a)),
    ("y", lambda a: es.knn.mutual_info(_X, a)),
    ("x", lambda a: es.cs_divergence_samples(a, _X)),
    ("logits", lambda a: es.varentropy(a)),
    ("weights", lambda a: es.attention_entropy(a)),
    ("hidden", lambda a: es.linear_cross_entropy(a, _X)),
    ("ids", lambda a: token_stream_metrics(a, vocab_size=10)),
]


class _DeviceArray:
    """Stands for a CuPy array: it refuses NumPy's implicit copy to the host."""

    shape, ndim = (3,), 1

    def __array__(self, *args, **kwargs):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. Please use "
                        "`.get()` to construct a NumPy array explicitly.")


@pytest.mark.parametrize("arg,fn", ARRAY_LIKE_CALLS, ids=[c[0] for c in ARRAY_LIKE_CALLS])
def test_sparse_and_device_arrays_name_the_argument(arg, fn):
    """np.asarray wraps a SciPy sparse matrix as a 0-d object array (the checks then spoke
    of a scalar or of dtype object), and a CuPy array refuses to become one with a message
    that names no argument: both are refused naming the argument and what to pass
    (``entropy_from_counts`` reads sparse counts: see its tests)."""
    for sparse in (scipy.sparse.csr_matrix(_X), scipy.sparse.coo_array(_X)):
        name = type(sparse).__name__
        assert_raises(TypeError, rf"^{arg}: expected a dense array of .*, got a SciPy sparse "
                      rf"{name}; pass {arg}\.toarray\(\)$", fn, sparse)
    where = re.escape(f"({_DeviceArray.__module__}.{_DeviceArray.__qualname__})")
    assert_raises(TypeError, rf"^{arg}: could not be converted to a NumPy array of .* "
                  rf"{where}: Implicit conversion.*\.get\(\)", fn, _DeviceArray())


@pytest.mark.parametrize("empty", [[], np.array([]), np.array([], dtype=np.float32),
                                   np.array([], dtype=bool), np.array([], dtype=np.uint16)],
                         ids=["list", "float64", "float32", "bool", "uint16"])
def test_empty_input_of_any_numeric_dtype(empty):
    """``[]`` is float64 and an empty mask is bool, but neither holds a float or bool
    label: updates skip them like an empty integer chunk, and functions that need data
    say that it is empty, not that its dtype is wrong."""
    c = es.Counts(empty)
    assert (c.n, c.support) == (0, 0)
    assert es.Counts(GOOD).update(empty) == es.Counts(GOOD)
    nc = es.NgramCounts(2, empty)
    assert (nc.n, nc.length, nc.support) == (0, 0, 0)
    # the stream continues across the empty chunk: [0, 1], [], [1] has the 2-grams 01, 11
    nc.update([0, 1]).update(empty).update([1])
    assert nc == es.NgramCounts(2, np.array([0, 1, 1]))
    assert nc.support == 2
    assert_raises(ValueError, r"^x: must not be empty$", es.entropy, empty)
    assert_raises(ValueError, r"^x: must not be empty$", es.renyi_entropy, empty, 2)
    assert_raises(ValueError, r"^y: must not be empty$", es.mutual_info, GOOD, empty)
    assert_raises(ValueError, r"^seq: must not be empty$", es.block_entropy, empty, 2)
    if np.asarray(empty).dtype != bool:  # bool is never a dtype of counts
        assert_raises(ValueError, r"^counts: must not be empty$", es.entropy_from_counts, empty)


def test_empty_chunks_that_are_not_labels():
    # an empty chunk of two dimensions is still not 1-D, nor are empty strings labels
    assert_raises(ValueError, r"^x: expected a 1-D array, got 2 dimension", es.Counts,
                  np.zeros((0, 2), dtype=np.int64))
    assert_raises(ValueError, r"^seq: expected a 1-D array, got 2 dimension", es.NgramCounts,
                  2, [[]])
    assert_raises(TypeError, r"^x: .*integer labels, got dtype <U1", es.Counts,
                  np.array([], dtype="U1"))


@pytest.mark.parametrize("fn,arg", [
    (es.entropy, "x"), (es.Counts, "x"), (lambda s: es.block_entropy(s, 1), "seq"),
    (lambda s: es.NgramCounts(1, s), "seq"), (lambda s: es.mutual_info([0] * len(s), s), "y"),
], ids=["entropy", "Counts", "block_entropy", "NgramCounts", "mutual_info"])
def test_python_integers_that_fit_no_one_dtype(fn, arg):
    """NumPy stores [-1, 2**64 - 1] as float64 (int64 and uint64 each hold only one of
    them): the message says so instead of calling them float labels."""
    for values, lo, hi in (([-1, 2**64 - 1], -1, 2**64 - 1),
                           ([3, -(2**63), 2**63, 7], -(2**63), 2**63)):
        assert_raises(ValueError, rf"^{arg}: the labels do not fit one integer dtype: "
                      rf"negative values \(down to {lo}\) together with values >= 2\*\*63 "
                      rf"\(up to {hi}\)", fn, values)
    assert_raises(ValueError, rf"^{arg}: the label 18446744073709551616 does not fit in 64 bits",
                  fn, [1, 2**64])
    assert_raises(ValueError, rf"^{arg}: the label -9223372036854775809 does not fit in 64 bits",
                  fn, [-(2**63) - 1, 0])


def test_integers_that_numpy_made_float_name_a_dtype_that_holds_them():
    # [2**63, 0] is float64 to NumPy, though uint64 holds both
    assert_raises(TypeError, r"^x: expected an array of integer labels, got dtype float64 "
                  r"holding integers; .*np\.asarray\(x, dtype=np\.uint64\)", es.entropy,
                  [2**63, 0])
    assert es.entropy(np.asarray([2**63, 0], dtype=np.uint64)) == math.log(2)
    # a signed and an unsigned NumPy scalar also give float64
    assert_raises(TypeError, r"^x: .*holding integers; .*dtype=np\.int64\)", es.entropy,
                  [np.int8(-1), np.uint64(5)])
    assert_raises(TypeError, r"^x: .*got dtype object holding integers", es.entropy,
                  np.array([1, 2], dtype=object))
    # fractional values and NaN are float labels, whether from a list or an array
    for bad in ([1.5, 2], [1.0, 2.0], [0, np.nan], np.array([1.0, 2.0])):
        assert_raises(TypeError, r"^x: .*got dtype float64 \(labels must be integers; NaN and "
                      "fractional", es.entropy, bad)


@pytest.mark.parametrize("name,fn,args", MULTI, ids=_ids(MULTI))
def test_labels_multi(name, fn, args):
    first, second = args
    assert_raises(TypeError, rf"^{first}: .*integer", fn, FLOATS, GOOD[:3])
    assert_raises(TypeError, rf"^{second}: .*integer", fn, GOOD, NANS.repeat(2))
    assert_raises(ValueError, rf"^{first}: .*empty", fn, EMPTY, EMPTY)
    assert_raises(ValueError, rf"^{second}: .*empty", fn, GOOD, EMPTY)
    assert_raises(ValueError, rf"^{first}: .*dimension", fn, CUBE, GOOD[:2])
    assert_raises(ValueError, rf"^{second}: .*dimension", fn, GOOD[:2], CUBE)
    # mismatched lengths name the later argument
    assert_raises(ValueError, rf"^{second}: .*{GOOD.size}", fn, GOOD, GOOD[:-1])


def test_mismatched_lengths_every_position():
    a, b, c = GOOD, GOOD2, GOOD[:4]
    assert_raises(ValueError, r"^xs\[2\]: expected 6 observations", es.joint_entropy, a, b, c)
    assert_raises(ValueError, r"^y: .*6", es.conditional_mutual_info, a, c, b)
    assert_raises(ValueError, r"^given: .*6", es.conditional_mutual_info, a, b, c)
    assert_raises(ValueError, r"^given: .*6", es.conditional_entropy, a, c)
    # a 2-D argument counts rows
    assert_raises(ValueError, r"^y: ", es.mutual_info, a, np.zeros((5, 2), dtype=np.int64))
    assert_raises(ValueError, r"^xs: expected at least one array", es.joint_entropy)


@pytest.mark.parametrize("name,fn", SEQUENCE, ids=_ids(SEQUENCE))
def test_labels_sequence(name, fn):
    assert_raises(TypeError, r"^seq: .*integer", fn, FLOATS)
    assert_raises(TypeError, r"^seq: .*integer", fn, NANS)
    assert_raises(ValueError, r"^seq: .*1-D", fn, GOOD.reshape(3, 2))
    assert_raises(ValueError, r"^seq: .*dimension", fn, CUBE)
    if name.startswith("NgramCounts"):
        assert fn(EMPTY) is not None  # an empty chunk is a no-op
    else:
        assert_raises(ValueError, r"^seq: .*empty", fn, EMPTY)
        # shorter than the order
        assert_raises(ValueError, r"^seq: .*order 2", fn, np.array([5]))


@pytest.mark.parametrize("fn", [es.block_entropy, es.conditional_block_entropy])
def test_sequence_shorter_than_order(fn):
    for order in range(2, 9):
        assert_raises(ValueError, rf"^seq: a sequence of {order - 1} symbols .*order {order}",
                      fn, np.arange(order - 1), order)
        assert fn(np.arange(order), order) == 0.0


# ---------------------------------------------------------------------------
# counts
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("estimator", ["plugin", "miller_madow", "nsb"])
def test_bad_counts(estimator):
    f = es.entropy_from_counts
    kw = {"estimator": estimator}
    assert_raises(ValueError, r"^counts: .*non-negative.*-1", f, np.array([1, -1, 2]), **kw)
    assert_raises(ValueError, r"^counts: .*NaN", f, np.array([1.0, np.nan]), **kw)
    assert_raises(ValueError, r"^counts: .*inf", f, np.array([1.0, np.inf]), **kw)
    assert_raises(ValueError, r"^counts: .*inf", f, np.array([1.0, -np.inf]), **kw)
    assert_raises(ValueError, r"^counts: .*sum to zero", f, np.array([0, 0, 0]), **kw)
    assert_raises(ValueError, r"^counts: .*sum to zero", f, np.array([[1, 2], [0, 0]]), **kw)
    assert_raises(ValueError, r"^counts: .*empty", f, np.array([], dtype=np.float64), **kw)
    assert_raises(ValueError, r"^counts: .*empty", f, np.zeros((3, 0)), **kw)
    assert_raises(ValueError, r"^counts: .*scalar", f, np.float64(3.0), **kw)
    assert_raises(TypeError, r"^counts: .*bool", f, np.array([True, False]), **kw)
    assert_raises(TypeError, r"^counts: .*object", f, np.array([1, None]), **kw)
    assert_raises(TypeError, r"^counts: ", f, np.array(["1", "2"]), **kw)
    assert_raises(TypeError, r"^counts: .*complex", f, np.array([1 + 1j]), **kw)
    # NaN hidden in a batch
    assert_raises(ValueError, r"^counts: ", f, np.array([[1.0, 2.0], [np.nan, 1.0]]), axis=0, **kw)
    assert_raises(ValueError, r"^axis: 2 is out of range for an array of 2 dimensions$", f,
                  np.ones((2, 3)), axis=2, **kw)
    assert_raises(ValueError, r"^axis: -2 is out of range for an array of 1 dimensions$", f,
                  np.ones(3), axis=-2, **kw)


@pytest.mark.parametrize("at", [0, 5, 20, 39])
def test_bad_counts_in_long_rows_name_the_first_offender(at):
    # Rows longer than the validation's lanes, the offender in the lanes or in the tail.
    f = es.entropy_from_counts
    for bad, pattern in [(np.nan, r"got NaN$"), (np.inf, r"got inf$"), (-3.0, r"got -3$")]:
        row = np.ones(40)
        row[at] = bad
        if at < 39:
            row[at + 1] = 2.5  # a later fractional count does not take precedence
        assert_raises(ValueError, r"^counts: expected finite non-negative counts, " + pattern,
                      f, row, estimator="miller_madow")
        assert_raises(ValueError, r"^counts: expected finite non-negative counts, " + pattern,
                      f, row)
    row = np.ones(40)
    row[at] = 2.5
    if at < 39:
        row[at + 1] = -1.0
    assert_raises(ValueError, r"^counts: this estimator needs whole-number counts, got 2\.5$",
                  f, row, estimator="jackknife")
    if at < 39:  # plug-in takes weights: the negative count is the error
        assert_raises(ValueError, r"non-negative counts, got -1$", f, row)
    row = np.arange(40.0)
    row[at] = 2.0**60  # whole beyond 2^52 (the exactness limit is checked on the total)
    assert_raises(ValueError, r"exact in float64 up to 2\^53", f, row, estimator="miller_madow")


@pytest.mark.parametrize("bad", [1.5, "a", None, (0, 1)], ids=repr)
def test_bad_axis_type_names_the_argument(bad):
    """A non-integer axis is refused with a message that names ``axis``, as an
    out-of-range one is (above), rather than NumPy's moveaxis messages ("'float' object
    is not iterable", "`source` and `destination` arguments must have the same number of
    elements"), which name nothing."""
    assert_raises((TypeError, ValueError), r"^axis: ", es.entropy_from_counts, np.ones((2, 3)),
                  axis=bad)


@pytest.mark.parametrize("call", [
    lambda axis: es.entropy_from_counts(np.ones((2, 3)), axis=axis),
    lambda axis: es.kl_divergence(np.ones((2, 3)), np.ones((2, 3)), axis=axis),
    lambda axis: es.logits.entropy(np.ones((2, 3)), axis=axis),
])
def test_axis_errors_read_alike_in_every_family(call):
    assert_raises(ValueError, r"^axis: 5 is out of range for an array of 2 dimensions$", call, 5)
    assert_raises(TypeError, r"^axis: expected an integer, got bool$", call, True)
    assert_raises(TypeError, r"^axis: expected an integer, got float$", call, 1.0)


@pytest.mark.parametrize("estimator", ["miller_madow", "grassberger", "chao_shen", "jackknife",
                                       "shrink", "nsb"])
def test_fractional_counts_need_plugin(estimator):
    assert_raises(ValueError, r"^counts: .*whole-number.*1\.5", es.entropy_from_counts,
                  np.array([1.5, 2.0]), estimator=estimator)
    # whole numbers stored as floats are fine, and plug-in takes any weights
    assert es.entropy_from_counts(np.array([1.0, 2.0]), estimator=estimator) is not None
    assert es.entropy_from_counts(np.array([1.5, 2.0])) > 0
    # Past 2^53 whole numbers are not exact in float64 (a jackknife of [1e200, 1e200]
    # gave -460 nats): refused; the plug-in estimator takes any scale.
    for huge in ([1e200, 1e200], [5e305, 5e305], [2.0**52, 2.0**52 + 2]):
        assert_raises(ValueError, r"^counts: .*exact in float64 up to 2\^53",
                      es.entropy_from_counts, np.array(huge), estimator=estimator)
        assert np.isclose(es.entropy_from_counts(np.array(huge)), np.log(2))
    assert np.isclose(es.entropy_from_counts(np.array([2.0**52, 2.0**52]), estimator=estimator),
                      np.log(2), atol=1e-12)


@pytest.mark.parametrize("dtype", [np.int64, np.int8, np.float64])
@pytest.mark.parametrize("n", [3, 5000])
def test_negative_counts_name_the_first(dtype, n):
    # the same message whatever the dtype (float64 holds these small values exactly), in
    # short rows and in fingerprinted long ones
    c = np.ones(n, dtype=dtype)
    c[n // 2], c[-1] = -7, -2
    for estimator in ("plugin", "jackknife"):
        assert_raises(ValueError, r"^counts: expected finite non-negative counts, got -7$",
                      es.entropy_from_counts, c, estimator=estimator)
    assert_raises(ValueError, r"^counts: the counts sum to zero$", es.entropy_from_counts,
                  np.zeros(n, dtype=dtype))


def test_counts_methods_on_nothing_counted():
    for obj in (es.Counts(), es.NgramCounts(3)):
        assert_raises(ValueError, r"^counts: nothing has been counted yet$", obj.entropy)
    assert_raises(ValueError, r"^counts: nothing has been counted yet$",
                  es.NgramCounts(2).conditional_entropy)
    # symbols were seen, but fewer than the order: no n-gram is complete
    for order, seen in ((3, 2), (8, 7)):
        obj = es.NgramCounts(order, np.arange(seen))
        for method in (obj.entropy, obj.conditional_entropy):
            assert_raises(ValueError, rf"^counts: no {order}-gram has been counted yet \(the "
                          rf"{seen} symbols seen are fewer than the order\)", method)
    assert_raises(ValueError, r"^counts: no 2-gram has been counted yet \(the 1 symbol seen is "
                  r"fewer than the order\)", es.NgramCounts(2, [5]).entropy)
    assert_raises(ValueError, r"^counts: ", es.Counts().renyi_entropy, 2)
    assert_raises(ValueError, r"^counts: ", es.Counts().tsallis_entropy, 2)


# ---------------------------------------------------------------------------
# parameters
# ---------------------------------------------------------------------------

ESTIMATOR_CALLS = [
    ("entropy", lambda e: es.entropy(GOOD, estimator=e)),
    ("entropy_from_counts", lambda e: es.entropy_from_counts(np.array([1, 2]), estimator=e)),
    ("joint_entropy", lambda e: es.joint_entropy(GOOD, GOOD2, estimator=e)),
    ("conditional_entropy", lambda e: es.conditional_entropy(GOOD, GOOD2, estimator=e)),
    ("mutual_info", lambda e: es.mutual_info(GOOD, GOOD2, estimator=e)),
    ("conditional_mutual_info",
     lambda e: es.conditional_mutual_info(GOOD, GOOD2, GOOD, estimator=e)),
    ("normalized_mutual_info", lambda e: es.normalized_mutual_info(GOOD, GOOD2, estimator=e)),
    ("block_entropy", lambda e: es.block_entropy(GOOD, 2, estimator=e)),
    ("conditional_block_entropy", lambda e: es.conditional_block_entropy(GOOD, 2, estimator=e)),
    ("Counts.entropy", lambda e: es.Counts(GOOD).entropy(estimator=e)),
    ("NgramCounts.entropy", lambda e: es.NgramCounts(2, GOOD).entropy(estimator=e)),
    ("NgramCounts.conditional_entropy",
     lambda e: es.NgramCounts(2, GOOD).conditional_entropy(estimator=e)),
]


@pytest.mark.parametrize("name,fn", ESTIMATOR_CALLS, ids=_ids(ESTIMATOR_CALLS))
def test_unknown_estimator(name, fn):
    for bad in ("ML", "Plugin", "", "nsb ", None, 3):
        assert_raises(ValueError, r"^estimator: expected one of plugin, .*nsb", fn, bad)


BASE_CALLS = [
    ("entropy", lambda b: es.entropy(GOOD, base=b)),
    ("entropy_nsb", lambda b: es.entropy(GOOD, estimator="nsb", base=b)),
    ("entropy_from_counts", lambda b: es.entropy_from_counts(np.array([1, 2]), base=b)),
    ("renyi_entropy", lambda b: es.renyi_entropy(GOOD, 2, base=b)),
    ("joint_entropy", lambda b: es.joint_entropy(GOOD, GOOD2, base=b)),
    ("conditional_entropy", lambda b: es.conditional_entropy(GOOD, GOOD2, base=b)),
    ("mutual_info", lambda b: es.mutual_info(GOOD, GOOD2, base=b)),
    ("conditional_mutual_info", lambda b: es.conditional_mutual_info(GOOD, GOOD2, GOOD, base=b)),
    ("block_entropy", lambda b: es.block_entropy(GOOD, 2, base=b)),
    ("conditional_block_entropy", lambda b: es.conditional_block_entropy(GOOD, 2, base=b)),
    ("Counts.entropy", lambda b: es.Counts(GOOD).entropy(base=b)),
    ("Counts.renyi_entropy", lambda b: es.Counts(GOOD).renyi_entropy(2, base=b)),
    ("NgramCounts.entropy", lambda b: es.NgramCounts(2, GOOD).entropy(base=b)),
    ("NgramCounts.conditional_entropy",
     lambda b: es.NgramCounts(2, GOOD).conditional_entropy(base=b)),
]


@pytest.mark.parametrize("name,fn", BASE_CALLS, ids=_ids(BASE_CALLS))
def test_bad_base(name, fn):
    for bad in (0, 0.0, -2, 1, 1.0, np.float64(1.0), math.inf, math.nan):
        assert_raises(ValueError, r"^base: ", fn, bad)
    for bad in ("2", b"2", [2], True, 2 + 0j):
        assert_raises(TypeError, r"^base: ", fn, bad)
    assert fn(2) is not None and fn(0.5) is not None


ORDER_PARAM_CALLS = [
    ("renyi_entropy", "alpha", lambda a: es.renyi_entropy(GOOD, a)),
    ("Counts.renyi_entropy", "alpha", lambda a: es.Counts(GOOD).renyi_entropy(a)),
    ("tsallis_entropy", "q", lambda q: es.tsallis_entropy(GOOD, q)),
    ("Counts.tsallis_entropy", "q", lambda q: es.Counts(GOOD).tsallis_entropy(q)),
]


@pytest.mark.parametrize("name,arg,fn", ORDER_PARAM_CALLS, ids=_ids(ORDER_PARAM_CALLS))
def test_bad_alpha_q(name, arg, fn):
    for bad in (-1, -0.5, -1e-300, -math.inf, math.nan, np.float64(-2)):
        assert_raises(ValueError, rf"^{arg}: .*>= 0", fn, bad)
    for bad in ("2", None, True, [2], 1j):
        assert_raises(TypeError, rf"^{arg}: ", fn, bad)
    assert fn(0) is not None and fn(math.inf) is not None


ORDER_CALLS = [
    ("block_entropy", lambda k: es.block_entropy(np.arange(20), k)),
    ("conditional_block_entropy", lambda k: es.conditional_block_entropy(np.arange(20), k)),
    ("NgramCounts", lambda k: es.NgramCounts(k)),
]


@pytest.mark.parametrize("name,fn", ORDER_CALLS, ids=_ids(ORDER_CALLS))
def test_bad_order(name, fn):
    for bad in (0, 9, -1, 100, np.int64(9)):
        assert_raises(ValueError, r"^order: expected an integer in 1\.\.8", fn, bad)
    for bad in (2.0, 2.5, "2", None, True, np.float64(2)):
        assert_raises(TypeError, r"^order: expected an integer", fn, bad)
    assert fn(np.int32(8)) is not None and fn(1) is not None


# (name, call, the number of bins the call has counted: the smallest valid n_bins)
N_BINS_CALLS = [
    ("entropy_shrink", lambda k: es.entropy(np.arange(5), estimator="shrink", n_bins=k), 5),
    ("entropy_nsb", lambda k: es.entropy(np.arange(5), estimator="nsb", n_bins=k), 5),
    ("entropy_plugin", lambda k: es.entropy(np.arange(5), n_bins=k), 5),
    ("entropy_2d", lambda k: es.entropy(np.arange(10).reshape(5, 2), estimator="shrink",
                                        n_bins=k), 5),
    # the explicit zero is a bin: len(counts) = 6
    ("entropy_from_counts",
     lambda k: es.entropy_from_counts(np.array([1, 1, 0, 1, 1, 1]), estimator="nsb", n_bins=k),
     6),
    ("entropy_from_counts_plugin",
     lambda k: es.entropy_from_counts(np.array([1, 1, 0, 1, 1]), n_bins=k), 5),
    ("entropy_from_counts_batched",
     lambda k: es.entropy_from_counts(np.ones((2, 5)), estimator="shrink", n_bins=k), 5),
    ("entropy_from_counts_batched_axis0",
     lambda k: es.entropy_from_counts(np.ones((5, 2)), estimator="nsb", axis=0, n_bins=k), 5),
    ("Counts.entropy",
     lambda k: es.Counts(np.arange(5)).entropy(estimator="shrink", n_bins=k), 5),
]


@pytest.mark.parametrize("name,fn,k", N_BINS_CALLS, ids=_ids(N_BINS_CALLS))
def test_bad_n_bins(name, fn, k):
    for bad in (1, 2, k - 1):
        assert_raises(ValueError,
                      rf"^n_bins: must be at least the number of bins counted \({k}\), got {bad}",
                      fn, bad)
    for bad in (0, -3):
        assert_raises(ValueError, r"^n_bins: ", fn, bad)
    for bad in (5.0, 5.5, "5", True, np.float64(5)):
        assert_raises(TypeError, r"^n_bins: ", fn, bad)
    assert fn(k) is not None and fn(np.int64(50)) is not None


def test_unknown_nmi_method():
    for bad in ("mean", "Arithmetic", "", None, "sqrt"):
        assert_raises(ValueError, r"^method: expected one of arithmetic, geometric, min, max",
                      es.normalized_mutual_info, GOOD, GOOD2, method=bad)


# ---------------------------------------------------------------------------
# Counts / NgramCounts operations
# ---------------------------------------------------------------------------


def test_counts_merge_with_non_counts():
    c = es.Counts(GOOD)
    for bad in (3, GOOD, es.NgramCounts(1, GOOD), None, "x"):
        assert_raises(TypeError, r"^other: expected Counts", c.merge, bad)
    with pytest.raises(TypeError, match="unsupported operand"):
        c + 3
    with pytest.raises(TypeError, match="unsupported operand"):
        c + es.NgramCounts(1, GOOD)


def test_ngramcounts_merge_errors():
    a = es.NgramCounts(2, GOOD)
    assert_raises(ValueError, r"^other: expected order 2, got order 3", a.merge,
                  es.NgramCounts(3, GOOD))
    assert_raises(ValueError, r"^other: expected order 2", lambda: a + es.NgramCounts(1))
    for bad in (3, GOOD, es.Counts(GOOD), None):
        assert_raises(TypeError, r"^other: expected NgramCounts", a.merge, bad)
    with pytest.raises(TypeError, match="unsupported operand"):
        a + es.Counts(GOOD)
    # the failed merges changed nothing
    assert a == es.NgramCounts(2, GOOD)


def test_counts_update_error_leaves_state():
    c = es.Counts(GOOD)
    assert_raises(TypeError, r"^x: ", c.update, FLOATS)
    assert_raises(ValueError, r"^x: ", c.update, CUBE)
    assert c == es.Counts(GOOD)
    n = es.NgramCounts(3, GOOD)
    assert_raises(TypeError, r"^seq: ", n.update, FLOATS)
    assert n == es.NgramCounts(3, GOOD)


def test_corrupt_pickle_state_is_rejected():
    n = es.NgramCounts(3, np.array([1, 2, 3, 1, 2]))
    state = n.__getstate__()
    for change in ({"order": 2}, {"head": [1]}, {"length": 100},
                   {"counts": np.array([1], dtype=np.uint64)}, {"order": 0}, {"order": 9}):
        bad = {**state, **change}
        obj = es.NgramCounts.__new__(es.NgramCounts)
        with pytest.raises(ValueError, match="state|order"):
            obj.__setstate__(bad)
    c = es.Counts(GOOD)
    cstate = c.__getstate__()
    obj = es.Counts.__new__(es.Counts)
    with pytest.raises(ValueError, match="^domain: expected 'signed', 'unsigned' or None, "
                       "got \"complex\"$"):
        obj.__setstate__({**cstate, "domain": "complex"})
    with pytest.raises(ValueError, match="same length"):
        obj.__setstate__({**cstate, "counts": np.array([1], dtype=np.uint64)})
    with pytest.raises(ValueError, match="order: expected an integer between 1 and 8, got 9"):
        es.NgramCounts.__new__(es.NgramCounts).__setstate__({**state, "order": 9})
    # Counts whose sum passes 2**64 - 1 would wrap: refused.
    huge = np.full(len(cstate["counts"]), 2**63, dtype=np.uint64)
    with pytest.raises(ValueError, match="state: the counts add up to more than 2\\^64 - 1"):
        obj.__setstate__({**cstate, "counts": huge})


# ---------------------------------------------------------------------------
# fuzzing: whatever comes in, only TypeError / ValueError (never a panic)
# ---------------------------------------------------------------------------

_dtypes = st.sampled_from([np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32,
                           np.int64, np.uint64, np.float64, np.float32, np.bool_, ">i4", ">u8",
                           np.complex128])
_arrays = hnp.arrays(
    dtype=_dtypes,
    shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5),
)


def _call_or_expected_error(fn, *args, **kwargs):
    try:
        fn(*args, **kwargs)
    except (TypeError, ValueError):
        pass
    except BaseException as err:  # noqa: BLE001
        assert not is_panic(err), f"a Rust panic reached Python: {err!r}"
        raise


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=_arrays, y=_arrays,
       order=st.integers(-1, 10),
       alpha=st.one_of(st.floats(allow_nan=True), st.integers(-3, 3)),
       estimator=st.sampled_from(["plugin", "miller_madow", "grassberger", "chao_shen",
                                  "jackknife", "shrink", "nsb", "bogus"]),
       n_bins=st.one_of(st.none(), st.integers(-2, 40)))
def test_fuzz_never_panics(x, y, order, alpha, estimator, n_bins):
    _call_or_expected_error(es.entropy, x, estimator=estimator, n_bins=n_bins)
    _call_or_expected_error(es.entropy_from_counts, x, estimator=estimator, n_bins=n_bins)
    _call_or_expected_error(es.entropy_from_counts, x, axis=0, estimator=estimator)
    _call_or_expected_error(es.renyi_entropy, x, alpha)
    _call_or_expected_error(es.tsallis_entropy, x, alpha)
    _call_or_expected_error(es.joint_entropy, x, y, estimator=estimator)
    _call_or_expected_error(es.mutual_info, x, y, estimator=estimator)
    _call_or_expected_error(es.conditional_mutual_info, x, y, x, estimator=estimator)
    _call_or_expected_error(es.normalized_mutual_info, x, y, estimator=estimator)
    _call_or_expected_error(es.block_entropy, x, order, estimator=estimator)
    _call_or_expected_error(es.conditional_block_entropy, x, order, estimator=estimator)
    _call_or_expected_error(lambda: es.Counts(x).update(y).entropy(estimator=estimator))
    _call_or_expected_error(lambda: es.Counts(x) + es.Counts(y))
    _call_or_expected_error(lambda: (es.NgramCounts(order, x) + es.NgramCounts(order, y))
                            .conditional_entropy(estimator=estimator))


def test_fields_of_structured_arrays_are_read_as_their_values():
    # Strides of 6 bytes are not a multiple of 4: a NumPy view handed to the core as-is
    # would be read at the wrong offsets (a silent wrong number), so the layer copies it.
    s = np.zeros(1000, dtype=[("a", "<i4"), ("b", "<i2")])
    s["a"] = np.arange(1000) % 7
    want = es.entropy(np.ascontiguousarray(s["a"]))
    assert es.entropy(s["a"]) == want
    p = np.zeros((3, 50), dtype=[("a", "<f4"), ("b", "<i2")])
    p["a"] = np.random.default_rng(0).random((3, 50)) + 0.1
    q = np.ascontiguousarray(p["a"])
    np.testing.assert_array_equal(es.kl_divergence(p["a"], q[::-1]),
                                  es.kl_divergence(q, q[::-1]))


def test_kernel_estimators_read_structured_fields_as_their_values():
    g = np.random.default_rng(1)
    x, y = g.normal(size=50), g.normal(0.5, 1.0, size=60)
    s = np.zeros(50, dtype=[("a", "i1"), ("v", "f8")])
    s["v"] = x
    want = es.cs_divergence_samples(x, y, bandwidth=1.0)
    assert es.cs_divergence_samples(s["v"], y, bandwidth=1.0) == want


def test_token_stats_code_ids_by_value_whatever_the_dtype():
    from entrostat.tokenizers import TokenStats

    ids = np.random.default_rng(2).integers(0, 5, size=400)
    one = TokenStats(3).update(ids.astype(np.uint32)).metrics().conditional_entropy
    mixed = (TokenStats(3).update(ids[:200].astype(np.int64))
             .update(ids[200:].astype(np.uint64), new_document=False)
             .metrics().conditional_entropy)
    assert mixed == one
    big = np.where(ids == 3, 2**63 - 1, ids).astype(np.int64)
    renamed = np.where(ids == 3, 7, ids).astype(np.uint64)
    assert (TokenStats(3).update(big).metrics().conditional_entropy
            == TokenStats(3).update(renamed).metrics().conditional_entropy)


def test_label_divergences_keep_labels_above_2_to_53_apart():
    x = np.array([2**53, 2**53 + 1, 2**53 + 1])
    y = np.array([2**53, 2**53 + 1, 2**53], dtype=np.uint64)
    assert math.isclose(es.kl_divergence_labels(x, y), math.log(2) / 3, rel_tol=1e-12)
    assert es.js_divergence_labels(x, y) > 0


def test_feature_mi_codes_large_integer_labels_exactly():
    from sklearn.metrics import mutual_info_score

    g = np.random.default_rng(3)
    c = g.integers(0, 2, size=300)
    lab = np.where(g.random(300) < 0.8, c, 1 - c)
    col = np.where(c > 0, 2**53 + 1, 2**53).astype(np.int64)
    got = es.feature_mi(col, lab, discrete_features=True, discrete_target=True)
    assert math.isclose(got[0], mutual_info_score(c, lab), rel_tol=1e-12)
    assert_raises(ValueError, "discrete_features", es.feature_mi, g.normal(size=(20, 2)),
                  g.normal(size=20), discrete_features=np.array([2**64 - 1], np.uint64))


def test_knn_estimates_do_not_depend_on_the_data_scale():
    g = np.random.default_rng(4)
    xy = g.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=500)
    x, y = xy[:, :1], xy[:, 1:]
    mi = es.knn.mutual_info(x, y).value
    for scale in (1e154, 1e-200):
        assert math.isclose(es.knn.mutual_info(x * scale, y * scale).value, mi, rel_tol=1e-6)
    a, b = g.normal(size=(300, 2)), g.normal(0.5, 1.0, size=(300, 2))
    kl = es.kl_divergence_knn(a, b)
    assert math.isclose(es.kl_divergence_knn(a * 1e-160, b * 1e-160), kl, rel_tol=1e-9)
    h = es.differential_entropy(a, standardize=False).value
    got = es.differential_entropy(a * 1e300, standardize=False).value
    assert math.isclose(got, h + 2 * math.log(1e300), rel_tol=1e-9)
    # Subnormal data (2^-1040 times N(0, 1), ~30 significant bits left): scaled up by
    # ldexp of the data itself (a factor 2^1040 would overflow).
    tiny_a, tiny_b = np.ldexp(a, -1040), np.ldexp(b, -1040)
    assert math.isclose(es.kl_divergence_knn(tiny_a, tiny_b), kl, rel_tol=1e-7)
    got = es.differential_entropy(tiny_a, standardize=False).value
    assert math.isclose(got, h - 2 * 1040 * math.log(2), rel_tol=1e-9)


def test_divergences_of_extreme_rows_and_orders():
    # Renyi of a large finite order: the terms overflow, the log-domain sum does not.
    want = math.log(max(0.2 / 0.5, 0.8 / 0.5))
    got = es.renyi_divergence([0.2, 0.8], [0.5, 0.5], 2000)
    # log(0.2^2000 0.5^-1999 + 0.8^2000 0.5^-1999) / 1999, the first term below 1e-1200.
    exact = (1999 * math.log(2) + 2000 * math.log(0.8)) / 1999
    assert math.isclose(got, exact, rel_tol=1e-12)
    assert math.isclose(es.renyi_divergence([0.2, 0.8], [0.5, 0.5], 1e300), want, rel_tol=1e-12)
    assert es.renyi_divergence([0.5, 0.5], [1.0, 0.0], 3.0) == math.inf
    # Cauchy-Schwarz does not depend on the scale of the rows.
    base = es.cs_divergence([10.0, 1.0], [1.0, 10.0])
    for scale in (1e159, 1e-171):
        got = es.cs_divergence(np.array([10.0, 1.0]) * scale, np.array([1.0, 10.0]) * scale)
        assert math.isclose(got, base, rel_tol=1e-12)


@pytest.mark.parametrize("fn", [es.kl_divergence, es.js_divergence, es.cross_entropy,
                                es.cs_divergence, es.hellinger, es.total_variation,
                                lambda p, q: es.renyi_divergence(p, q, 2.5)])
def test_divergences_of_rows_whose_totals_overflow_or_underflow(fn):
    # Rows summing past the largest float, or to a subnormal total (1/total overflows),
    # normalise like any other: the divergence does not depend on the rows' scale.
    p, q = np.array([1.0, 3.0, 0.5]), np.array([2.0, 1.0, 1.0])
    base = fn(p, q)
    for sp, sq in [(5e307, 1.0), (1.0, 8e307), (1e-310, 1.0), (1e-320, 1e-315)]:
        assert math.isclose(fn(p * sp, q * sq), base, rel_tol=1e-9, abs_tol=1e-12), (sp, sq)
    # A total near the largest float has a subnormal reciprocal: rescaled too, so equal
    # rows still give exactly 0.
    assert es.kl_divergence([1e308, 5e307], [2.0, 1.0]) == 0.0
    assert es.renyi_divergence([1.2e308, 3e307], [1.2, 0.3], 2.0) == 0.0
    # Without normalisation such a row is not a distribution.
    assert_raises(ValueError, "^p: a row sums past the largest float", fn_no_norm(fn),
                  [1e308, 1e308], [0.5, 0.5])


def fn_no_norm(fn):
    return lambda p, q: es.kl_divergence(p, q, normalize=False)


def test_divergence_of_scalars_names_p_and_q():
    assert_raises(ValueError, r"^p: expected at least 1 dimension", es.kl_divergence, 1, 1)
    assert_raises(ValueError, r"^q: expected at least 1 dimension", es.js_distance, [0.5],
                  np.float64(0.5))


def test_nsb_alphabet_beyond_exact_floats_is_rejected():
    assert_raises(ValueError, "n_bins", es.entropy, [1, 2, 3, 3], estimator="nsb",
                  n_bins=10**309)
    assert math.isfinite(es.entropy([1, 2, 3, 3], estimator="nsb", n_bins=2**53))


def test_bool_and_share_arguments_are_checked():
    from entrostat.tokenizers import TokenStats
    stats = TokenStats().update(np.array([1, 2, 3]))
    assert_raises(TypeError, "^new_document: expected True or False", stats.update,
                  np.array([4]), new_document="no")
    assert_raises(TypeError, "^roundtrip_share: expected a share in", stats.metrics,
                  roundtrip_share="a")
    assert_raises(ValueError, "^roundtrip_share: expected a share in", stats.metrics,
                  roundtrip_share=1.5)
    assert stats.metrics(roundtrip_share=np.float32(0.5)).roundtrip_share == 0.5
    assert_raises(TypeError, "^normalize: expected True or False", es.kl_divergence,
                  [1, 2], [2, 1], normalize="yes")


def test_merges_that_would_wrap_are_refused_and_change_nothing():
    """Restored states may hold counts near 2**64; merging two of them would wrap (u64
    counts), so it is a ValueError naming ``other``, and both operands stay as they were."""
    big = es.Counts.__new__(es.Counts)
    big.__setstate__({"values": np.array([1, 2]), "counts": np.array([2**63, 1], dtype=np.uint64),
                      "domain": "signed"})
    with pytest.raises(ValueError, match=r"^other: the merged counts would add up to more than"):
        big + big
    assert big.n == 2**63 + 1 and big.counts()[1].tolist() == [2**63, 1]
    # So is an update (it wrapped to n = 0, every count lost).
    full = es.Counts.__new__(es.Counts)
    full.__setstate__({"values": np.array([1]), "counts": np.array([2**64 - 2], dtype=np.uint64),
                       "domain": "signed"})
    full.update(np.array([1]))
    with pytest.raises(ValueError, match=r"^x: the counts would add up to more than 2\^64 - 1"):
        full.update(np.array([1]))
    assert full.n == 2**64 - 1
    long = es.NgramCounts.__new__(es.NgramCounts)
    long.__setstate__({"order": 3, "ngrams": np.array([[1, 2, 3]], dtype=np.uint64),
                       "counts": np.array([2**63 - 2], dtype=np.uint64), "head": [1, 2],
                       "tail": [2, 3], "length": 2**63, "sign_flags": 0})
    with pytest.raises(ValueError, match=r"^other: the merged streams would be longer than"):
        long + long
    assert long.length == 2**63 and long.n == 2**63 - 2
    # A refused merge of the core object (conflicting labels) leaves it intact too.
    neg = es.NgramCounts(2, np.array([-1, -2, -3]))
    huge = es.NgramCounts(2, np.array([2**63, 2**63 + 1], dtype=np.uint64))
    with pytest.raises(ValueError, match=r"^other: a label does not fit"):
        neg._inner.merge(huge._inner)
    assert neg == es.NgramCounts(2, np.array([-1, -2, -3]))


def test_token_bytes_checks_its_arguments():
    from entrostat._core import TokenBytes
    table = TokenBytes([b"ab", None, b"c"])
    ids, texts = np.array([0, 2], dtype=np.uint32), ["abc"]
    assert table.spell_batch(texts, ids, np.array([0, 2])).tolist() == [True]
    assert_raises(TypeError, "^pieces: expected bytes or None at index 1, got str", TokenBytes,
                  [b"a", "b"])
    # Offsets of any integer dtype; too few or many, not from 0 to len(ids), decreasing.
    assert table.spell_batch(texts, ids, np.array([0, 2], dtype=np.int32)).tolist() == [True]
    for offsets, n_texts in (([0, 1], 1), ([0, 3], 1), ([1, 2], 1), ([0, 2, 2], 1),
                             ([0, 2, 0, 2], 3)):
        assert_raises(ValueError, "^offsets: expected", table.spell_batch, texts * n_texts,
                      ids, np.array(offsets, dtype=np.uint16))
    assert_raises(TypeError, "^offsets: expected a 1-D array of integer", table.spell_batch,
                  texts, ids, np.array([0.0, 2.0]))
    assert_raises(TypeError, "^texts: expected a sequence of str, not a single str",
                  table.spell_batch, "abc", ids, np.array([0, 2]))
    assert_raises(ValueError, "^offsets: expected non-negative", table.spell_batch, texts,
                  ids, np.array([-1, 2]))
    assert_raises(TypeError, "^ids: expected a 1-D array of integer labels",
                  table.spell_batch, texts, ids.astype(float), np.array([0, 2]))
    assert_raises(TypeError, "^texts: expected str at index 0, got bytes", table.spell_batch,
                  [b"abc"], ids, np.array([0, 2]))
    assert_raises(TypeError, "^texts: expected a sequence of str, got int", table.spell_batch,
                  3, ids, np.array([0, 2]))


def test_ragged_samples_confidence_levels_and_pseudocounts_are_named():
    """Found by a review of bad input: NumPy's own message for ragged lists, the
    statistics module's for a level that rounds 0.5 + level / 2 to 1, and a str
    pseudocount that float() accepted."""
    from entrostat import knn
    from entrostat.divergence import cs_divergence_samples, kl_divergence_knn

    ragged = [[1.0, 2.0], [3.0]]
    for call, name in [
        (lambda: knn.mutual_info(ragged, [1.0, 2.0]), "x"),
        (lambda: knn.differential_entropy(ragged), "x"),
        (lambda: kl_divergence_knn([[0.0], [1.0]], ragged), "y"),
        (lambda: cs_divergence_samples(ragged, [[1.0, 2.0]]), "x"),
        (lambda: es.kl_divergence([[0.5, 0.5], [1.0]], [0.5, 0.5]), "p"),
    ]:
        assert_raises(ValueError, rf"^{name}: expected a rectangular array", call)
    x = np.random.default_rng(0).normal(size=200)
    assert_raises(ValueError, r"^ci: expected a confidence level in \(0, 1\)",
                  knn.differential_entropy, x, ci=0.9999999999999999)
    assert knn.differential_entropy(x, ci=0.999).ci is not None
    for bad in ("1", b"1", 1 + 0j):
        assert_raises(TypeError, r"^pseudocount: expected a number >= 0",
                      es.divergence.kl_divergence_labels, [0, 1], [0, 1], pseudocount=bad)
    assert es.divergence.kl_divergence_labels([0, 1], [0, 1], pseudocount=np.float32(1)) == 0


_MASKED = np.ma.masked_array([1.0, 2.0, 3.0, 2.0, 5.0, 1.0], mask=[0, 0, 1, 0, 0, 0])
_MASKED_LABELS = np.ma.masked_array([1, 2, 2, 1, 3, 1], mask=[0, 0, 1, 0, 0, 0])


@pytest.mark.parametrize("name, call", [
    ("x", lambda: es.entropy(_MASKED_LABELS)),
    ("counts", lambda: es.entropy_from_counts(_MASKED)),
    ("p", lambda: es.kl_divergence(_MASKED, np.ones(6))),
    ("x", lambda: es.Counts().update(_MASKED_LABELS)),
    ("x", lambda: es.knn.differential_entropy(_MASKED, k=1)),
    ("y", lambda: es.mutual_info_mixed(np.arange(6.0), _MASKED_LABELS, k=1, method="ross")),
    ("logits", lambda: es.logits.entropy(_MASKED)),
    ("h", lambda: es.logits.rolling_entropy(_MASKED, 2)),
    ("x", lambda: es.logits.float_entropy(_MASKED.astype(np.float32))),
])
def test_masked_entries_are_refused_not_ignored(name, call):
    # np.asarray drops the mask: the hidden values would be counted silently.
    assert_raises(TypeError, rf"^{name}: masked arrays are not supported", call)


def test_masked_arrays_without_masked_entries_are_plain_arrays():
    full = np.ma.masked_array([1, 2, 2, 1], mask=False)
    assert es.entropy(full) == es.entropy(np.array([1, 2, 2, 1]))
