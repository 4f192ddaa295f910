"""Dask arrays in, Dask (lazy) out: the discrete family against its NumPy path.

Merged per-block counts are the counts of the whole array, so every result equals the
NumPy path's on the computed arrays (up to the order of floating-point sums).
"""

import numpy as np
import pytest

import entrostat as es

da = pytest.importorskip("dask.array")
dask = pytest.importorskip("dask")
from dask.delayed import Delayed  # noqa: E402

ESTIMATORS = ["plugin", "miller_madow", "grassberger", "chao_shen", "jackknife", "shrink", "nsb"]


def close(lazy, eager):
    assert isinstance(lazy, Delayed)
    got = lazy.compute()
    if isinstance(eager, es.Estimate):
        assert isinstance(got, es.Estimate)
        assert got.n == eager.n
        np.testing.assert_allclose([got.value, got.stderr], [eager.value, eager.stderr],
                                   rtol=1e-12, atol=1e-14)
    else:
        assert type(got) is type(eager)
        np.testing.assert_allclose(got, eager, rtol=1e-12, atol=1e-14)


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(5)
    n = 6_007
    x = rng.integers(0, 40, n)
    y = (x * 3 + rng.integers(0, 4, n)) % 37
    z = rng.integers(-6, 6, n).astype(np.int8)
    return x, y, z


# Uneven chunks, one chunk, chunks of a few rows (merges at every level of the tree).
CHUNKS = [1_999, 6_007, 97]


@pytest.mark.parametrize("chunks", CHUNKS)
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_entropy_equals_the_numpy_path(data, chunks, estimator):
    x = data[0]
    close(es.entropy(da.from_array(x, chunks=chunks), estimator=estimator, base=2),
          es.entropy(x, estimator=estimator, base=2))


@pytest.mark.parametrize("dtype", [np.int8, np.uint16, np.int64, np.uint64, np.bool_])
def test_entropy_of_every_integer_dtype(dtype):
    rng = np.random.default_rng(1)
    if dtype == np.uint64:
        x = np.uint64(2**64 - 1) - rng.integers(0, 30, 5_000).astype(np.uint64)
    elif dtype == np.int64:
        x = rng.integers(-(2**62), 2**62, 5_000) // 2**58 * 2**58
    else:
        x = rng.integers(0, 2, 5_000).astype(dtype) if dtype == np.bool_ else (
            rng.integers(-100 if np.dtype(dtype).kind == "i" else 0, 100, 5_000).astype(dtype))
    close(es.entropy(da.from_array(x, chunks=777)), es.entropy(x))


def test_joint_symbols_of_a_2d_array_split_in_columns(data):
    x, y, z = data
    table = np.stack([x, y, z.astype(np.int64)], axis=1)
    lazy = da.from_array(table, chunks=(1_000, 2))  # columns across two blocks
    close(es.entropy(lazy, estimator="miller_madow"), es.entropy(table, estimator="miller_madow"))
    close(es.joint_entropy(lazy[:, :2], da.from_array(z, chunks=5_000)),
          es.joint_entropy(table[:, :2], z))


@pytest.mark.parametrize("chunks", CHUNKS)
def test_information_measures_equal_the_numpy_path(data, chunks):
    x, y, z = data
    dx = da.from_array(x, chunks=chunks)
    dy = da.from_array(y, chunks=1_234)  # other chunks: aligned to dx's
    dz = da.from_array(z, chunks=chunks)
    close(es.mutual_info(dx, dy, base=2), es.mutual_info(x, y, base=2))
    close(es.conditional_entropy(dx, dz), es.conditional_entropy(x, z))
    close(es.conditional_mutual_info(dx, dz, dy), es.conditional_mutual_info(x, z, y))
    close(es.joint_entropy(dx, dy, dz), es.joint_entropy(x, y, z))
    for method in ["arithmetic", "geometric", "min", "max"]:
        close(es.normalized_mutual_info(dx, dy, method=method),
              es.normalized_mutual_info(x, y, method=method))
    for est in ["miller_madow", "jackknife"]:
        close(es.mutual_info(dx, dy, estimator=est), es.mutual_info(x, y, estimator=est))
        close(es.normalized_mutual_info(dx, dz, estimator=est),
              es.normalized_mutual_info(x, z, estimator=est))


def test_pairs_of_values_over_the_whole_64_bit_range():
    # Value ranges whose product passes 2^64: pairs are coded by ranks.
    rng = np.random.default_rng(3)
    a = rng.choice(np.array([0, 7, 2**64 - 1], dtype=np.uint64), 3_000)
    b = rng.choice(np.array([-(2**63), 0, 2**63 - 1], dtype=np.int64), 3_000)
    c = (a % np.uint64(5)).astype(np.int16)
    da_, db, dc = (da.from_array(v, chunks=701) for v in (a, b, c))
    close(es.mutual_info(da_, db), es.mutual_info(a, b))
    close(es.joint_entropy(da_, db, dc), es.joint_entropy(a, b, c))
    close(es.conditional_mutual_info(da_, dc, db), es.conditional_mutual_info(a, c, b))


@pytest.mark.parametrize("dtypes", [(np.int32, np.uint32), (np.int16, np.int8, np.int16),
                                    (np.bool_, np.int8), (np.uint32, np.int64)])
def test_narrow_dtypes_are_packed_in_one_pass(dtypes):
    # Widths adding up to 64 bits or less are packed side by side; the last case pairs a
    # packed prefix with a 64-bit column through the distinct values.
    rng = np.random.default_rng(4)
    cols = [rng.integers(-(2**7) if np.dtype(t).kind == "i" else 0, 2**7, 4_000).astype(t)
            for t in dtypes]
    for c in cols:
        if c.dtype != np.bool_:  # the extremes of each dtype
            c[:2] = np.iinfo(c.dtype).min, np.iinfo(c.dtype).max
    lazy = [da.from_array(c, chunks=333) for c in cols]
    close(es.joint_entropy(*lazy), es.joint_entropy(*cols))
    close(es.mutual_info(lazy[0], lazy[-1]), es.mutual_info(cols[0], cols[-1]))
    close(es.conditional_entropy(lazy[-1], lazy[0]), es.conditional_entropy(cols[-1], cols[0]))


def _counting_source(n_blocks: int, size: int):
    """A Dask array whose blocks are made on demand, and the peak number alive at once."""
    import threading
    import weakref

    lock, live, peak = threading.Lock(), [0], [0]

    def released():
        with lock:
            live[0] -= 1

    def make(block_info=None):
        lo, hi = block_info[None]["array-location"][0]
        block = (np.arange(lo, hi) * 7919 % 1000).astype(np.int32)
        with lock:
            live[0] += 1
            peak[0] = max(peak[0], live[0])
        weakref.finalize(block, released)
        return block

    return da.map_blocks(make, chunks=((size,) * n_blocks,), dtype=np.int32), peak


def test_packed_pairs_never_hold_the_inputs():
    x, peak = _counting_source(24, 10_000)
    mi = es.mutual_info(x, x % 13).compute(scheduler="sync")
    whole = np.arange(240_000) * 7919 % 1000
    np.testing.assert_allclose(mi, es.mutual_info(whole, whole % 13), rtol=1e-12)
    assert peak[0] <= 2  # one block at a time (x, and x % 13 made from it)


def test_dask_and_numpy_arguments_mix(data):
    x, y, _ = data
    close(es.mutual_info(x, da.from_array(y, chunks=3_000)), es.mutual_info(x, y))
    close(es.conditional_entropy(da.from_array(x, chunks=3_000), y), es.conditional_entropy(x, y))


def test_constant_labelings_and_independence():
    const = da.zeros(1_000, dtype=np.int32, chunks=300)
    other = da.arange(1_000, chunks=300) % 7
    assert es.normalized_mutual_info(const, const).compute() == 1.0
    assert es.normalized_mutual_info(const, other).compute() == 0.0
    assert es.mutual_info(const, other).compute() == 0.0
    assert es.entropy(const).compute() == 0.0


@pytest.mark.parametrize("alpha", [0.0, 0.5, 2.0, np.inf])
def test_renyi_and_tsallis(data, alpha):
    x = data[1]
    dx = da.from_array(x, chunks=4_000)
    close(es.renyi_entropy(dx, alpha, base=2), es.renyi_entropy(x, alpha, base=2))
    if np.isfinite(alpha):
        close(es.tsallis_entropy(dx, alpha), es.tsallis_entropy(x, alpha))


@pytest.mark.parametrize("order", [1, 2, 4])
@pytest.mark.parametrize("chunks", [1, 7, 5_000])
def test_ngrams_across_block_seams(data, order, chunks):
    # Chunks of one symbol: every n-gram crosses seams, merged in stream order.
    seq = data[0][:240] % 5
    dseq = da.from_array(seq, chunks=chunks)
    close(es.block_entropy(dseq, order), es.block_entropy(seq, order))
    close(es.conditional_block_entropy(dseq, order, estimator="grassberger", base=2),
          es.conditional_block_entropy(seq, order, estimator="grassberger", base=2))
    close(es.block_entropy(dseq, order, estimator="nsb"),
          es.block_entropy(seq, order, estimator="nsb"))


@pytest.mark.parametrize("estimator", ["plugin", "grassberger", "nsb"])
def test_entropy_from_counts_of_histograms_in_blocks(estimator):
    rng = np.random.default_rng(2)
    counts = rng.integers(0, 9, size=(20, 12, 40))
    for axis, chunks in [(-1, (7, 12, 13)), (0, (10, 4, 40)), (1, (20, 12, 40))]:
        lazy = es.entropy_from_counts(da.from_array(counts, chunks=chunks), axis=axis,
                                      estimator=estimator, base=2)
        eager = es.entropy_from_counts(counts, axis=axis, estimator=estimator, base=2)
        if estimator == "nsb":
            assert all(isinstance(part, da.Array) for part in lazy)
            lazy, eager = np.stack(dask.compute(*lazy)), np.stack(eager)
        else:
            assert isinstance(lazy, da.Array) and lazy.shape == eager.shape
            lazy = lazy.compute()
        np.testing.assert_allclose(lazy, eager, rtol=1e-12)
    close(es.entropy_from_counts(da.from_array(counts[0, 0], chunks=7), estimator=estimator),
          es.entropy_from_counts(counts[0, 0], estimator=estimator))
    with pytest.raises(TypeError, match=r"^counts: expected a numeric array of counts"):
        es.entropy_from_counts(da.zeros(4, dtype=bool, chunks=2))
    with pytest.raises(ValueError, match=r"^axis: 3 is out of range"):
        es.entropy_from_counts(da.from_array(counts), axis=3)
    bad = es.entropy_from_counts(da.from_array(-counts - 1, chunks=(10, 30, 40)))
    with pytest.raises(ValueError, match=r"^counts: .*negative"):
        bad.compute()


def test_streaming_counts_take_dask_chunks(data):
    x = data[0]
    c = es.Counts(x[:100]).update(da.from_array(x[100:], chunks=999))
    assert c == es.Counts(x)
    assert es.Counts(x).update(da.zeros(0, dtype=np.int64, chunks=5)) == es.Counts(x)
    ng = es.NgramCounts(3, x[:10]).update(da.from_array(x[10:], chunks=7)).update(x[:2])
    assert ng == es.NgramCounts(3, np.concatenate([x, x[:2]]))
    short = es.NgramCounts(3).update(da.from_array(x[:2], chunks=1)).update(x[2:5])
    assert short == es.NgramCounts(3, x[:5])
    with pytest.raises(TypeError, match=r"^x: expected an array of integer labels"):
        es.Counts().update(da.ones(4, chunks=2))
    with pytest.raises(ValueError, match=r"^seq: expected a 1-D array, got 2"):
        es.NgramCounts(2).update(da.zeros((3, 3), dtype=np.int8))


def test_nothing_is_computed_until_asked():
    calls = []

    def block(b):
        calls.append(len(b))
        return b

    lazy = da.from_array(np.arange(100) % 3, chunks=10).map_blocks(block, dtype=np.int64)
    result = es.mutual_info(lazy, lazy % 2)
    assert not any(calls) and isinstance(result, Delayed)  # (map_blocks probes with 0 rows)
    assert result.compute() == pytest.approx(float(es.mutual_info(np.arange(100) % 3,
                                                                   np.arange(100) % 3 % 2)))
    assert any(calls)


def test_shared_columns_are_counted_once(data):
    x, y, _ = data
    dx, dy = da.from_array(x, chunks=5_000), da.from_array(y, chunks=5_000)
    h, mi = es.entropy(dx), es.mutual_info(dx, dy)
    # dx's counts (its blocks counted, then merged) are the same graph keys in both.
    shared = set(h.dask) & set(mi.dask)
    assert any("count_block" in str(k) for k in shared)
    h_value, mi_value = dask.compute(h, mi)
    np.testing.assert_allclose([h_value, mi_value], [es.entropy(x), es.mutual_info(x, y)],
                               rtol=1e-12)


def test_arrays_sharing_blocks_computed_together(data):
    # `longer` reads the blocks of `dx` (their data keys are shared in one graph); results
    # computed together are each the NumPy value (no state is changed in place).
    x = data[0]
    dx = da.from_array(x, chunks=1_000)
    longer = da.concatenate([dx, dx[:3_000] + 1])
    h, h_longer, c_longer = dask.compute(es.entropy(dx), es.entropy(longer),
                                         es.block_entropy(longer, 2))
    whole = np.concatenate([x, x[:3_000] + 1])
    np.testing.assert_allclose([h, h_longer, c_longer],
                               [es.entropy(x), es.entropy(whole), es.block_entropy(whole, 2)],
                               rtol=1e-12)


def test_unknown_chunk_sizes(data):
    x, y, _ = data
    dx, dy = da.from_array(x, chunks=3_000), da.from_array(y, chunks=3_000)
    keep = dx > 5
    close(es.entropy(dx[keep]), es.entropy(x[x > 5]))
    close(es.mutual_info(dx[keep], dy[keep]), es.mutual_info(x[x > 5], y[x > 5]))
    # Blocks of unknown sizes that differ: found when the pairs are coded.
    unequal = es.mutual_info(dx[keep], dy[dy > 5])
    with pytest.raises(ValueError, match=r"^x and y: blocks of \d+ and \d+ rows meet"):
        unequal.compute()


def test_bad_input_is_refused_when_the_graph_is_built():
    good = da.arange(10, chunks=4)
    with pytest.raises(TypeError, match=r"^x: expected an array of integer labels, got dtype "
                                        r"float64 \(labels must be integers"):
        es.entropy(da.ones(5, chunks=2))
    with pytest.raises(ValueError, match=r"^x: expected a 1-D or up to 2-D array, got 3"):
        es.entropy(da.zeros((2, 2, 2), dtype=np.int32))
    with pytest.raises(ValueError, match=r"^x: must not be empty"):
        es.entropy(da.zeros(0, dtype=np.int32))
    with pytest.raises(ValueError, match=r"^y: expected 10 observations \(the length of x\), "
                                         r"got 9"):
        es.mutual_info(good, da.arange(9, chunks=4))
    with pytest.raises(ValueError, match=r"^estimator: expected one of"):
        es.entropy(good, estimator="mle")
    with pytest.raises(ValueError, match=r"^seq: a sequence of 5 symbols has no n-gram of "
                                         r"order 6"):
        es.block_entropy(da.arange(5, chunks=2), 6)
    with pytest.raises(ValueError, match=r"^seq: expected a 1-D array, got 2"):
        es.block_entropy(da.zeros((4, 2), dtype=np.int32), 2)
    with pytest.raises(ValueError, match=r"^method: expected one of"):
        es.normalized_mutual_info(good, good, method="mean")


def test_lengths_unknown_until_computed_are_checked_then():
    dx = da.arange(40, chunks=10)
    short = dx[dx < 35]  # 35 rows in 4 blocks, their sizes unknown
    odd = da.arange(40, chunks=20)[da.arange(40, chunks=20) < 38]  # 2 blocks
    with pytest.raises(ValueError, match=r"^y: Dask arrays of unknown chunk sizes must come "
                                         r"in the same chunks as x"):
        es.mutual_info(short, odd)
    with pytest.raises(ValueError, match=r"^y: expected 35 observations \(the length of x\), "
                                         r"got 38"):
        es.mutual_info(short.compute_chunk_sizes(), odd.compute_chunk_sizes())
    seq = dx[dx < 2]  # two symbols, length unknown when the graph is built
    with pytest.raises(ValueError, match=r"^seq: a sequence of 2 symbols has no n-gram of "
                                         r"order 3"):
        es.block_entropy(seq, 3).compute()


def test_tasks_and_states_travel_between_processes(data):
    # What a cluster does: tasks and counts pickled to other processes and back.
    x, y, _ = data
    dx, dy = da.from_array(x, chunks=2_000), da.from_array(y, chunks=2_000)
    with dask.config.set(scheduler="processes", num_workers=2):
        mi, h3 = dask.compute(es.mutual_info(dx, dy), es.conditional_block_entropy(dx, 3))
    np.testing.assert_allclose([mi, h3], [es.mutual_info(x, y),
                                          es.conditional_block_entropy(x, 3)], rtol=1e-12)


def test_importing_entrostat_imports_no_dask():
    import subprocess
    import sys

    code = ("import sys, numpy as np, entrostat as es; es.entropy(np.arange(5)); "
            "es.mutual_info(np.arange(5), np.arange(5)); "
            "assert 'dask' not in sys.modules, 'dask imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_edge_cases_of_blocks_and_arguments():
    counts = np.arange(60).reshape(10, 6) % 5 + 1
    with_empty_block = da.from_array(counts, chunks=((5, 0, 5), 6))
    np.testing.assert_allclose(es.entropy_from_counts(with_empty_block).compute(),
                               es.entropy_from_counts(counts), rtol=1e-12)
    ones = np.ones((4, 5))
    np.testing.assert_allclose(
        es.entropy_from_counts(da.from_array(ones), estimator="shrink", n_bins=50).compute(),
        es.entropy_from_counts(ones, estimator="shrink", n_bins=50), rtol=1e-12)
    # Hundreds of joint columns (the prefixes are built in a loop, not by recursion).
    wide = np.random.default_rng(0).integers(0, 2, (60, 520)).astype(np.int8)
    close(es.entropy(da.from_array(wide, chunks=(60, 260))), es.entropy(wide))

    x = da.from_array(np.arange(10) % 3, chunks=3)
    nothing = x[x > 100]  # empty, which is known only once computed
    with pytest.raises(ValueError, match=r"^x: must not be empty"):
        es.entropy(nothing).compute()
    with pytest.raises(ValueError, match=r"^x: must not be empty"):
        es.mutual_info(nothing, nothing + 1).compute()
    with pytest.raises(ValueError, match=r"^y: a NumPy array cannot be aligned with the blocks "
                                         r"of x, whose sizes are unknown"):
        es.mutual_info(x[x >= 0], np.arange(10) % 4)
    with pytest.raises(ValueError, match=r"^y: expected 10 observations \(the length of x\), "
                                         r"got 9"):
        es.mutual_info(x, np.arange(9))
    with pytest.raises(ValueError, match=r"^counts: the length of the bins axis is unknown"):
        es.entropy_from_counts(x[x > 0])
    with pytest.raises(TypeError, match=r"^y: masked arrays are not supported"):
        es.mutual_info(x, da.ma.masked_where(x == 1, x)).compute()
    big = np.array([2**63], np.uint64)
    with pytest.raises(ValueError, match=r"^x: a label does not fit"):
        es.Counts(big).update(da.from_array(np.array([-1, 2])))
    with pytest.raises(ValueError, match=r"^seq: a label does not fit"):
        es.NgramCounts(2, big).update(da.from_array(np.array([-1, 2])))
