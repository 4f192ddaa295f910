"""Dask arrays in, Dask (lazy) out, for the discrete family.

Given a Dask array, a function of :mod:`entrostat.discrete` builds a graph instead of
computing: each block is counted by the core (a :class:`~entrostat.Counts`, or an
:class:`~entrostat.NgramCounts` for n-grams), the counts are merged in a tree of fan-in
``SPLIT_EVERY`` (neighbouring blocks together; n-gram counts in stream order, so that the
n-grams across block seams are counted), and the estimator runs once on the merged
counts. The result is a ``dask.delayed.Delayed`` (``entropy_from_counts`` of a batch of
histograms: a lazy Dask array): its ``compute()`` gives what the NumPy path gives for the
computed arrays (merged counts are the counts of the concatenation; only the order of
floating-point sums may differ).

Joint symbols (2-D arrays, or several arrays) are coded block by block into one uint64
label, column after column (``_Joint``): where the key widths of the code so far and of
the next column add up to 64 bits at most (two int32 arrays, three int16 ones), packed
side by side, in the pass that counts them; else by ``_pair_codes`` from each side's
distinct values (mixed radix over the two value ranges where their product fits 64
bits, else over the ranks of the values), which a first counting pass gives.

Memory: a worker holds a block and the counts, never the whole array, except in the
two-pass case, where Dask keeps the input blocks between the passes (across the
cluster's workers; on one machine, an array larger than its memory should come as
32-bit labels, or be persisted on a cluster).
"""

from __future__ import annotations

import dask
import dask.array as da
import numpy as np

from . import _pair_codes
from . import _validate as check
from ._dispatch import is_dask
from .discrete import Counts, NgramCounts, _nmi_of, _result
from .discrete import entropy_from_counts as eager_entropy_from_counts


def _delayed(f):
    """Pure: equal arguments give equal graph keys, so a column counted for two terms
    (or two calls computed together) is counted once."""
    return dask.delayed(f, pure=True)


# ----------------------------------------------------------------------------- inputs


def _dask_labels(x, name: str, max_ndim: int) -> da.Array:
    """The checks of ``_validate.labels`` that need no data: dtype, dimensions, and
    emptiness where the shape is known. Values are checked by the core per block."""
    if x.dtype.kind not in "iub":
        check.not_labels(x.dtype, name)
    if x.ndim == 0 or x.ndim > max_ndim:
        check.bad_ndim(x, name, max_ndim)
    if 0 in x.shape:
        raise ValueError(f"{name}: must not be empty")
    if x.dtype == np.bool_:
        x = x.astype(np.uint8)
    return x


def _aligned(xs, names: list[str]) -> list[da.Array]:
    """Dask versions of ``xs`` (NumPy inputs wrapped) in the row chunks of the first Dask
    one, each 2-D array with all its columns in one block."""
    lead, lead_name = next((x, nm) for x, nm in zip(xs, names, strict=True) if is_dask(x))
    arrays = []
    for x, name in zip(xs, names, strict=True):
        if is_dask(x):
            arrays.append(_dask_labels(x, name, 2))
            continue
        arr = check.labels(x, name)
        if np.isnan(lead.shape[0]):
            raise ValueError(
                f"{name}: a NumPy array cannot be aligned with the blocks of {lead_name}, "
                f"whose sizes are unknown; call {lead_name}.compute_chunk_sizes()"
            )
        if arr.shape[0] != lead.shape[0]:
            # A stand-in of its shape (from_array would fail first, with Dask's message):
            # the check below reports the mismatch as it does between Dask arrays.
            arrays.append(da.zeros(arr.shape, dtype=arr.dtype))
            continue
        arrays.append(da.from_array(arr, chunks=(lead.chunks[0],) + arr.shape[1:]))
    lengths = [a.shape[0] for a in arrays]
    if not any(np.isnan(n) for n in lengths):
        for a, name in zip(arrays[1:], names[1:], strict=True):
            if a.shape[0] != lengths[0]:
                raise ValueError(
                    f"{name}: expected {lengths[0]} observations (the length of "
                    f"{names[0]}), got {a.shape[0]}"
                )
    rows = arrays[0].chunks[0]
    out = []
    for a, name in zip(arrays, names, strict=True):
        if a.chunks[0] != rows:
            if any(np.isnan(c) for c in a.chunks[0] + rows):
                raise ValueError(
                    f"{name}: Dask arrays of unknown chunk sizes must come in the same "
                    f"chunks as {names[0]}; call .compute_chunk_sizes() on both"
                )
            a = a.rechunk({0: rows})
        if a.ndim == 2 and a.numblocks[1] > 1:
            a = a.rechunk({1: -1})
        out.append(a)
    return out


def _columns(a: da.Array) -> list[list]:
    """The columns of a 1-D or 2-D array, each as its list of delayed row blocks."""
    blocks = a.to_delayed().ravel().tolist()
    if a.ndim == 1:
        return [blocks]
    return [[_delayed(_column)(b, j) for b in blocks] for j in range(a.shape[1])]


def _column(block: np.ndarray, j: int) -> np.ndarray:
    return np.ascontiguousarray(block[:, j])


# ----------------------------------------------------------------------------- counting


# States merged per task: a tree of this fan-in (Dask's reductions use 4-8): few levels
# of copies, and the merges of one level run in parallel.
SPLIT_EVERY = 8


def _unequal_blocks(m: int, n: int) -> str:
    return (f"blocks of {m} and {n} rows meet: the arrays differ in length or in chunk "
            "sizes (call .compute_chunk_sizes() on each, and rechunk one to the other's "
            "chunks)")


def _not_empty(counts: Counts, name: str) -> Counts:
    """``counts``, checked to hold a label (an array of unknown size can turn out empty)."""
    if counts.n == 0:
        raise ValueError(f"{name}: must not be empty")
    return counts


def _tree(parts: list, merge):
    """Merge delayed states ``SPLIT_EVERY`` at a time, neighbours together (stream order
    is kept)."""
    while len(parts) > 1:
        parts = [_delayed(merge)(*parts[i:i + SPLIT_EVERY])
                 for i in range(0, len(parts), SPLIT_EVERY)]
    return parts[0]


def _count_block(block: np.ndarray, name: str) -> Counts:
    counts = Counts()
    arr = check.chunk(block, name)  # (errors name the argument, not Counts' "x")
    if arr is not None:
        counts._inner.update(arr)
    return counts


def _merge(first, *rest):
    """A new state holding all, in order (``first`` itself is never changed: a task must
    not change its inputs, which the scheduler may hand to other tasks too)."""
    if not rest:
        return first
    merged = first.merge(rest[0])
    for state in rest[1:]:
        merged += state
    return merged


def _counts(blocks: list, name: str):
    return _tree([_delayed(_count_block)(b, name) for b in blocks], _merge)


def counts_of(x, name: str):
    """Delayed counts of a 1-D Dask array of labels."""
    return _counts(_dask_labels(x, name, 1).to_delayed().ravel().tolist(), name)


def _values(counts: Counts) -> np.ndarray:
    return counts.counts()[0]


def _code_pair(a: np.ndarray, b: np.ndarray, va: np.ndarray, vb: np.ndarray,
               names: str) -> np.ndarray:
    """The joint codes of the pairs (a_i, b_i) (``_pair_codes``: the same in every block)."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"{names}: {_unequal_blocks(a.shape[0], b.shape[0])}")
    how = _pair_codes.plan(va, vb)
    if how is None:
        raise ValueError(
            f"{names}: {va.size} x {vb.size} distinct values give more pairs than 64-bit "
            "codes hold"
        )
    return _pair_codes.pair_codes(a, b, va, vb, how)


class _Joint:
    """Counts of the joint symbols of sets of columns, each set's built once.

    A set's code pairs the code of all but its last column with the last column: packed
    side by side (``_pack``) where the two key widths (the dtypes' bits, or the packed
    widths) add up to 64 bits at most, in the same pass as the counting; else coded from
    each side's distinct values (``_code_pair``), which needs a counting pass of both
    first, and Dask then holds the input blocks between the two passes."""

    def __init__(self, columns: list[list], names: list[str], widths: list[int]):
        self.names = names  # per column, the argument it belongs to
        self.blocks: dict[tuple[int, ...], list] = {(i,): c for i, c in enumerate(columns)}
        # Bits of each set's codes as unsigned keys (64: any uint64).
        self.widths: dict[tuple[int, ...], int] = {(i,): w for i, w in enumerate(widths)}
        self.counted: dict[tuple[int, ...], object] = {}

    def counts(self, subset: tuple[int, ...]):
        if subset not in self.counted:
            name = self.names[subset[0]]  # (equal lengths: one is empty when all are)
            tree = _counts(self.codes(subset), self._label(subset))
            self.counted[subset] = _delayed(_not_empty)(tree, name)
        return self.counted[subset]

    def _label(self, subset: tuple[int, ...]) -> str:
        return " and ".join(dict.fromkeys(self.names[i] for i in subset))

    def codes(self, subset: tuple[int, ...]) -> list:
        # Prefixes one column longer each time (a loop: hundreds of columns are fine).
        for end in range(2, len(subset) + 1):
            done, head, last = subset[:end], subset[:end - 1], subset[end - 1:end]
            if done in self.blocks:
                continue
            wa, wb = self.widths[head], self.widths[last]
            pairs = zip(self.blocks[head], self.blocks[last], strict=True)
            names = self._label(done)
            if wa + wb <= 64:
                self.blocks[done] = [_delayed(_pack)(a, b, wa, wb, names) for a, b in pairs]
                self.widths[done] = wa + wb
            else:
                va = _delayed(_values)(self.counts(head))
                vb = _delayed(_values)(self.counts(last))
                self.blocks[done] = [_delayed(_code_pair)(a, b, va, vb, names) for a, b in pairs]
                self.widths[done] = 64
        return self.blocks[subset]


def _unsigned_key(v: np.ndarray, width: int) -> np.ndarray:
    """Values of a ``width``-bit dtype as order-preserving keys below ``2^width``: signed
    values offset by ``2^(width - 1)`` (uint64 arithmetic, wrapping)."""
    out = v.astype(np.uint64)
    if v.dtype.kind == "i":
        out += np.uint64(1 << (width - 1))
    return out


def _pack(a: np.ndarray, b: np.ndarray, wa: int, wb: int, names: str) -> np.ndarray:
    """Exact joint codes ``key_a * 2^wb + key_b`` of pairs whose widths add up to at most
    64 bits."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(f"{names}: {_unequal_blocks(a.shape[0], b.shape[0])}")
    out = _unsigned_key(a, wa)
    if wb < 64:
        out <<= np.uint64(wb)
    out |= _unsigned_key(b, wb)
    return out


def _joint(xs, names: list[str]) -> tuple[_Joint, list[tuple[int, ...]]]:
    """The joint counter of ``xs`` and, per argument, the indices of its columns."""
    arrays = _aligned(xs, names)
    columns, owned, column_names, widths = [], [], [], []
    for a, name in zip(arrays, names, strict=True):
        cols = _columns(a)
        owned.append(tuple(range(len(columns), len(columns) + len(cols))))
        columns.extend(cols)
        column_names.extend([name] * len(cols))
        widths.extend([a.dtype.itemsize * 8] * len(cols))
    return _Joint(columns, column_names, widths), owned


def _term(joint: _Joint, owned, args: list[int], est: str):
    """Delayed entropy (nats) of the joint symbol of the arguments ``args``."""
    subset = tuple(sorted(i for a in args for i in owned[a]))
    return _delayed(_entropy_nats)(joint.counts(subset), est)


def _entropy_nats(counts: Counts, est: str) -> float:
    return counts._inner.entropy(est, None)[0]


# ----------------------------------------------------------------------------- the family


def entropy(x, est: str, unit: float, n_bins):
    joint, owned = _joint([x], ["x"])
    subset = owned[0]
    return _delayed(_counts_entropy)(joint.counts(subset), est, unit, n_bins)


def _counts_entropy(counts: Counts, est: str, unit: float, n_bins) -> object:
    return _result(counts._inner.entropy(est, n_bins), unit, counts.n, est)


def generalized(x, kind: str, order: float, unit: float):
    """Rényi (``kind="renyi"``) or Tsallis entropy of labels."""
    joint, owned = _joint([x], ["x"])
    return _delayed(_counts_generalized)(joint.counts(owned[0]), kind, order, unit)


def _counts_generalized(counts: Counts, kind: str, order: float, unit: float) -> np.float64:
    if kind == "renyi":
        return counts.renyi_entropy(order) / unit
    return counts.tsallis_entropy(order)


def joint_terms(xs, names: list[str], subsets: list[list[int]], est: str) -> list:
    """Delayed entropies (nats) of the joint symbols of each subset of arguments."""
    joint, owned = _joint(xs, names)
    return [_term(joint, owned, s, est) for s in subsets]


def combine(f, *args):
    """``f(*args)`` once the delayed arguments are computed."""
    return _delayed(f)(*args)


def _is_constant(counts: Counts) -> bool:
    return counts.support == 1


def nmi(xs, names, method: str, est: str):
    joint, owned = _joint(xs, names)
    hx, hy, hxy = (_term(joint, owned, s, est) for s in ([0], [1], [0, 1]))
    consts = [_delayed(_is_constant)(joint.counts(owned[i])) for i in range(2)]
    return _delayed(_nmi_of)(hx, hy, hxy, consts[0], consts[1], method, est)


def ngram_counts(seq, order: int, *, min_length: int):
    """Delayed n-gram counts of a 1-D Dask array, blocks merged in stream order; a
    sequence known to be shorter than ``min_length`` is refused."""
    arr = _dask_labels(seq, "seq", 1)
    n = arr.shape[0]
    if not np.isnan(n) and n < min_length:
        raise ValueError(f"seq: a sequence of {n} symbols has no n-gram of order {order}")
    blocks = arr.to_delayed().ravel().tolist()
    parts = [_delayed(_count_ngrams)(b, order) for b in blocks]
    return _tree(parts, _merge)


def _count_ngrams(block: np.ndarray, order: int) -> NgramCounts:
    return NgramCounts(order, block)


def _ngrams_checked(counts: NgramCounts) -> NgramCounts:
    if counts.n == 0:
        raise ValueError(
            f"seq: a sequence of {counts.length} symbols has no n-gram of order {counts.order}"
        )
    return counts


def block_entropy(seq, order: int, est: str, base):
    counts = _delayed(_ngrams_checked)(ngram_counts(seq, order, min_length=order))
    return _delayed(_block)(counts, est, base)


def _block(counts: NgramCounts, est: str, base):
    return counts.entropy(estimator=est, base=base)


def conditional_block_entropy(seq, order: int, est: str, base):
    counts = _delayed(_ngrams_checked)(ngram_counts(seq, order, min_length=order))
    return _delayed(_conditional)(counts, est, base)


def _conditional(counts: NgramCounts, est: str, base):
    return counts.conditional_entropy(estimator=est, base=base)


def entropy_from_counts(counts, est: str, axis: int, base, n_bins):
    """Entropies of the histograms along ``axis`` of a Dask array: a lazy array of the
    batch shape (for NSB a pair of them), or, for one histogram, a delayed result. Each
    block holds whole histograms (the bins axis is put in one chunk)."""
    check.counts_array(counts)
    along = check.axis(axis, counts.ndim) % counts.ndim
    if np.isnan(counts.shape[along]):
        raise ValueError(
            "counts: the length of the bins axis is unknown; call counts.compute_chunk_sizes()"
        )
    moved = da.moveaxis(counts, along, -1).rechunk({counts.ndim - 1: -1})
    if counts.ndim == 1:
        (block,) = moved.to_delayed().ravel().tolist()
        return _delayed(_histogram_entropies)(block, est, base, n_bins)
    batch_axis = moved.ndim - 1
    if est != "nsb":
        return moved.map_blocks(_histogram_entropies, est, base, n_bins,
                                drop_axis=batch_axis, dtype=np.float64)
    # Values and standard errors side by side in a new last axis, then taken apart.
    both = moved.map_blocks(_nsb_pairs, base, n_bins, dtype=np.float64,
                            chunks=moved.chunks[:-1] + ((2,),))
    return both[..., 0], both[..., 1]


def _histogram_entropies(block: np.ndarray, est: str, base, n_bins):
    if block.ndim > 1 and 0 in block.shape[:-1]:  # a block of no histogram
        empty = np.zeros(block.shape[:-1])
        return (empty, empty.copy()) if est == "nsb" else empty
    return eager_entropy_from_counts(block, estimator=est, axis=-1, base=base, n_bins=n_bins)


def _nsb_pairs(block: np.ndarray, base, n_bins) -> np.ndarray:
    values, stderrs = _histogram_entropies(block, "nsb", base, n_bins)
    return np.stack([values, stderrs], axis=-1)
