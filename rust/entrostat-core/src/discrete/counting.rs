//! Counting labels.
//!
//! Dense path (small key ranges): parallel over chunks, each thread keeping its own
//! table; extra memory O(alphabet x threads), the input is never copied (strided views
//! are staged through a chunk-sized buffer).
//!
//! Hashed path (wide key ranges): blocks of keys are first scattered by hash into
//! per-thread shard buffers, then each shard's table is filled by one thread. Every
//! table receives its keys in one burst and stays in cache, which is what makes hashing
//! competitive with sorting; extra memory is the tables plus one block of keys.

use super::histogram::{empty_shards, shard_of, Histogram, Shards, SHARDS};
use super::table::CountTable;
use super::zeroed::ZeroedBuf;
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::labels::{key_range, Label, Labels};
use crate::{pool, with_labels};
use ndarray::{s, ArrayView1};
use rayon::prelude::*;

/// Labels per chunk: small enough to stay in L2 between the min/max and counting passes.
pub const CHUNK: usize = 1 << 16;
/// Labels below which counting runs on one thread; an update this small is also added
/// straight into the table it accumulates into, when it fits (a table of its own, zeroed
/// and merged, would cost more than the counting).
const SERIAL: usize = 4 * CHUNK;
/// Labels per block of the hashed path (32 MiB of keys in flight); small in unit tests,
/// so that they go through several blocks.
const BLOCK: usize = if cfg!(test) { 1 << 12 } else { 1 << 22 };

/// Count the labels of a view of any integer dtype.
pub fn count_labels(x: &Labels<'_>, cancel: &Cancel) -> Result<Histogram> {
    with_labels!(x, v => count_view(v.view(), cancel))
}

/// Count keys given directly (already-encoded symbols).
pub fn count_keys(keys: &[u64], cancel: &Cancel) -> Result<Histogram> {
    count_view(ArrayView1::from(keys), cancel)
}

/// Count the labels of a typed view: dense while the key range allows, else hashed.
pub fn count_view<T: Label>(x: ArrayView1<'_, T>, cancel: &Cancel) -> Result<Histogram> {
    match count_dense(x.view(), cancel) {
        Ok(h) => Ok(h),
        Err(Abort::TooWide) => count_hashed(x, cancel),
        Err(Abort::Failed(e)) => Err(e),
    }
}

/// Add a small view of labels straight into a dense `hist` when they all fall inside its
/// key range, which is then exactly what counting them apart and merging would give.
/// Returns false, with nothing added, when the view is large or a label falls outside.
pub fn add_within_dense(hist: &mut Histogram, x: &Labels<'_>) -> bool {
    with_labels!(x, v => add_view_within_dense(hist, v.view()))
}

fn add_view_within_dense<T: Label>(hist: &mut Histogram, x: ArrayView1<'_, T>) -> bool {
    let Histogram::Dense { offset, counts } = hist else {
        return false;
    };
    if x.is_empty() || x.len() >= SERIAL || counts.is_empty() {
        return false;
    }
    let contiguous;
    let sl = match x.as_slice() {
        Some(sl) => sl,
        None => {
            contiguous = x.to_vec();
            &contiguous[..]
        }
    };
    let (lo, hi) = key_range(sl);
    if lo < *offset || hi - *offset >= counts.len() as u64 {
        return false;
    }
    dense_add(counts, *offset, sl);
    true
}

/// Why the dense path stopped.
pub(crate) enum Abort {
    /// The key range is too wide for dense tables: switch to hashing.
    TooWide,
    Failed(Error),
}

impl From<Error> for Abort {
    fn from(e: Error) -> Self {
        Abort::Failed(e)
    }
}

/// Run `part` over one contiguous range of `0..n` per thread (a single range for small
/// inputs) and merge the histograms: exactly one dense table per thread is zeroed and
/// merged (a work-stealing fold would make one per stolen job).
pub(crate) fn count_in_parts<F>(n: usize, part: F) -> std::result::Result<Histogram, Abort>
where
    F: Fn(std::ops::Range<usize>) -> std::result::Result<Histogram, Abort> + Sync,
{
    let parts = if n < SERIAL {
        1
    } else {
        pool::num_threads().max(1)
    };
    let per = n.div_ceil(parts);
    pool::install(|| {
        (0..parts)
            .into_par_iter()
            .map(|p| part((p * per).min(n)..((p + 1) * per).min(n)))
            .try_reduce(Histogram::default, |a, b| Ok(a.merge(b)?))
    })
}

fn count_dense<T: Label>(
    x: ArrayView1<'_, T>,
    cancel: &Cancel,
) -> std::result::Result<Histogram, Abort> {
    let n = x.len();
    count_in_parts(n, |range| {
        let mut hist = Histogram::default();
        let mut buf = Vec::<T>::new();
        let part = x.slice(s![range]);
        let len = part.len();
        for start in (0..len).step_by(CHUNK) {
            cancel.check()?;
            let chunk = part.slice(s![start..(start + CHUNK).min(len)]);
            let sl = match chunk.as_slice() {
                Some(sl) => sl,
                None => {
                    buf.clear();
                    buf.extend(chunk.iter().copied());
                    &buf[..]
                }
            };
            count_slice_dense(&mut hist, sl, n)?;
        }
        Ok(hist)
    })
}

pub(crate) fn count_slice_dense<T: Label>(
    hist: &mut Histogram,
    sl: &[T],
    expected_n: usize,
) -> std::result::Result<(), Abort> {
    if sl.is_empty() {
        return Ok(());
    }
    let (lo, hi) = key_range(sl);
    hist.reserve_range(lo, hi, expected_n)?;
    match hist {
        Histogram::Dense { offset, counts } => {
            dense_add(counts, *offset, sl);
            Ok(())
        }
        Histogram::Hashed(_) => Err(Abort::TooWide),
    }
}

/// The hot loop. For small tables four interleaved sub-counters hide the store-to-load
/// latency when the same label repeats (a dominant symbol would serialise the loop).
#[inline]
fn dense_add<T: Label>(counts: &mut [u64], offset: u64, sl: &[T]) {
    let idx = |v: T| (v.key() - offset) as usize;
    if counts.len() <= 1 << 10 {
        let k = counts.len();
        let mut sub = vec![0u32; 4 * k];
        for block in sl.chunks(4) {
            for (j, &v) in block.iter().enumerate() {
                sub[j * k + idx(v)] += 1;
            }
        }
        for (i, c) in counts.iter_mut().enumerate() {
            *c += (sub[i] + sub[k + i] + sub[2 * k + i] + sub[3 * k + i]) as u64;
        }
    } else {
        for &v in sl {
            counts[idx(v)] += 1;
        }
    }
}

/// One thread's piece of a block, its keys grouped by shard (a counting sort on the
/// shard id): shard `s` holds `keys[offsets[s]..offsets[s + 1]]`. Reused across blocks.
struct Scattered {
    keys: ZeroedBuf<u64>,
    offsets: Vec<usize>,
}

impl Scattered {
    fn new(keys: ZeroedBuf<u64>) -> Self {
        Scattered {
            keys,
            offsets: vec![0; SHARDS + 1],
        }
    }

    fn shard(&self, s: usize) -> &[u64] {
        &self.keys[self.offsets[s]..self.offsets[s + 1]]
    }

    /// Group `piece` (no longer than the buffer) by shard: one pass counts shard sizes,
    /// a second places the keys.
    fn fill<T: Label>(&mut self, piece: ArrayView1<'_, T>) {
        debug_assert!(piece.len() <= self.keys.len());
        let mut sizes = [0usize; SHARDS];
        piece.iter().for_each(|v| sizes[shard_of(v.key())] += 1);
        let mut at = [0usize; SHARDS];
        let mut total = 0;
        for s in 0..SHARDS {
            self.offsets[s] = total;
            at[s] = total;
            total += sizes[s];
        }
        self.offsets[SHARDS] = total;
        let keys = &mut self.keys[..total];
        let mut place = |v: &T| {
            let k = v.key();
            let s = shard_of(k);
            keys[at[s]] = k;
            at[s] += 1;
        };
        match piece.as_slice() {
            Some(sl) => sl.iter().for_each(&mut place),
            None => piece.iter().for_each(&mut place),
        }
    }
}

/// Shards whose tables are filled first from the first block: how many distinct keys
/// they get sizes all the other tables at once.
const PROBES: usize = 4;

/// Hash-count a view: per block, group keys by shard (parallel over pieces of the
/// block), then fill each shard's table (parallel over shards).
///
/// The buffers of the pieces, and the tables of all shards but the probes, are each
/// carved from one allocation: 256 small tables growing one by one would fault
/// their memory in page by page while they are probed, which cost more than the counting
/// itself (and two threads allocating at once stalled each other for tens of ms).
fn count_hashed<T: Label>(x: ArrayView1<'_, T>, cancel: &Cancel) -> Result<Histogram> {
    let n = x.len();
    let mut tables: Shards = empty_shards();
    let pieces = pool::num_threads().max(1);
    let capacity = n.min(BLOCK).div_ceil(pieces);
    let mut scattered: Vec<Scattered> = ZeroedBuf::split(&vec![capacity; pieces])
        .into_iter()
        .map(Scattered::new)
        .collect();
    pool::install(|| -> Result<()> {
        for (b, start) in (0..n).step_by(BLOCK).enumerate() {
            cancel.check()?;
            let block = x.slice(s![start..(start + BLOCK).min(n)]);
            let len = block.len();
            let per = len.div_ceil(pieces);
            scattered.par_iter_mut().enumerate().for_each(|(p, sc)| {
                sc.fill(block.slice(s![(p * per).min(len)..((p + 1) * per).min(len)]));
            });
            let fill = |first: usize, tables: &mut [CountTable<u64>]| {
                tables.par_iter_mut().enumerate().for_each(|(s, table)| {
                    for sc in &scattered {
                        table.add_each(sc.shard(first + s));
                    }
                })
            };
            if b == 0 {
                let (probes, rest) = tables.split_at_mut(PROBES);
                fill(0, probes);
                let keys: Vec<usize> = (PROBES..SHARDS)
                    .map(|s| scattered.iter().map(|sc| sc.shard(s).len()).sum())
                    .collect();
                presize(rest, probes, &keys);
                fill(PROBES, rest);
            } else {
                fill(0, &mut tables);
            }
        }
        Ok(())
    })?;
    Ok(Histogram::Hashed(tables))
}

/// Give the empty `tables` room for as many distinct keys d as the fullest probe holds,
/// plus 4 sqrt(d) + 16 (hashing spreads keys evenly over the shards), but no
/// more than the keys they are about to get, all in one allocation. A table that
/// outgrows its room later moves to its own.
fn presize(tables: &mut [CountTable<u64>], probes: &[CountTable<u64>], keys: &[usize]) {
    let most = probes.iter().map(|t| t.len()).max().unwrap_or(0);
    let room = most + 4 * (most as f64).sqrt() as usize + 16;
    let slots: Vec<usize> = keys
        .iter()
        .map(|&k| CountTable::<u64>::slots_for(room.min(k)))
        .collect();
    for (table, buf) in tables.iter_mut().zip(ZeroedBuf::split(&slots)) {
        *table = CountTable::with_slots(buf);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cancel::NEVER;

    fn sorted(h: &Histogram) -> Vec<(u64, u64)> {
        h.sorted_items()
    }

    #[test]
    fn dense_and_hashed_agree() {
        let small: Vec<i32> = (0..300_000i64)
            .map(|i| (i * 7919 % 1000) as i32 - 500)
            .collect();
        let h = count_view(ArrayView1::from(&small), &NEVER).unwrap();
        assert!(matches!(h, Histogram::Dense { .. }));
        let hashed = count_hashed(ArrayView1::from(&small), &NEVER).unwrap();
        assert_eq!(sorted(&h), sorted(&hashed));
        assert_eq!(h.total(), 300_000);
    }

    #[test]
    fn wide_range_goes_hashed_and_counts_exactly() {
        let wide: Vec<u64> = (0..100_000u64)
            .map(|i| (i % 977).wrapping_mul(0x1234_5678_9ABC_DEF1))
            .collect();
        let h = count_view(ArrayView1::from(&wide), &NEVER).unwrap();
        assert!(matches!(h, Histogram::Hashed(_)));
        assert_eq!(h.support(), 977);
        assert_eq!(h.total(), 100_000);
        let strided = ArrayView1::from(&wide).slice_move(s![..;3]);
        let hs = count_view(strided, &NEVER).unwrap();
        assert_eq!(hs.total(), 100_000u64.div_ceil(3));
    }

    /// Tables sized from the probes of the first block must still count exactly when
    /// later blocks bring many more distinct keys, or when the probe shards get none.
    #[test]
    fn presized_tables_grow_and_count_exactly() {
        let mixed = |i: u64| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (i >> 7);
        let first: Vec<u64> = (0..4 * BLOCK as u64)
            .map(|i| mixed(i % 300))
            .filter(|&k| shard_of(k) >= PROBES)
            .take(BLOCK)
            .collect();
        let later = (0..3 * BLOCK as u64).map(|i| mixed(1000 + i / 2));
        let keys: Vec<u64> = first.iter().copied().chain(later).collect();
        let mut want = std::collections::BTreeMap::new();
        for &k in &keys {
            *want.entry(k).or_insert(0u64) += 1;
        }
        let h = count_hashed(ArrayView1::from(&keys), &NEVER).unwrap();
        let want: Vec<(u64, u64)> = want.into_iter().collect();
        assert_eq!(sorted(&h), want);
    }

    #[test]
    fn extremes_of_the_dtype() {
        let x = [i64::MIN, i64::MAX, 0, i64::MIN];
        let h = count_view(ArrayView1::from(&x), &NEVER).unwrap();
        let mut c = h.nonzero_counts();
        c.sort();
        assert_eq!(c, vec![1, 1, 2]);
    }
}
