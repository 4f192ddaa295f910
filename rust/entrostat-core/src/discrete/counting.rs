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
use super::zeroed::ZeroedBuf;
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::labels::{Label, Labels};
use crate::{pool, with_labels};
use ndarray::{s, ArrayView1};
use rayon::prelude::*;

/// Labels per chunk: small enough to stay in L2 between the min/max and counting passes.
pub const CHUNK: usize = 1 << 16;
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
    let parts = if n < 4 * CHUNK {
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

/// Min and max key of a non-empty slice, in one vectorisable pass.
#[inline]
fn key_range<T: Label>(sl: &[T]) -> (u64, u64) {
    sl.iter().fold((u64::MAX, 0), |(lo, hi), &v| {
        let k = v.key();
        (lo.min(k), hi.max(k))
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
    fn new() -> Self {
        Scattered {
            keys: ZeroedBuf::new(0),
            offsets: vec![0; SHARDS + 1],
        }
    }

    fn shard(&self, s: usize) -> &[u64] {
        &self.keys[self.offsets[s]..self.offsets[s + 1]]
    }

    /// Group `piece` by shard: one pass counts shard sizes, a second places the keys.
    /// The buffer is sized on first use by `capacity` (the largest piece), in the thread
    /// that fills it, so that threads zero their buffers in parallel.
    fn fill<T: Label>(&mut self, piece: ArrayView1<'_, T>, capacity: usize) {
        if self.keys.len() < piece.len() {
            self.keys = ZeroedBuf::new(capacity.max(piece.len()));
        }
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

/// Hash-count a view: per block, group keys by shard (parallel over pieces of the
/// block), then fill each shard's table (parallel over shards).
fn count_hashed<T: Label>(x: ArrayView1<'_, T>, cancel: &Cancel) -> Result<Histogram> {
    let n = x.len();
    let mut tables: Shards = empty_shards();
    let pieces = pool::num_threads().max(1);
    let capacity = n.min(BLOCK).div_ceil(pieces);
    let mut scattered: Vec<Scattered> = (0..pieces).map(|_| Scattered::new()).collect();
    pool::install(|| -> Result<()> {
        for start in (0..n).step_by(BLOCK) {
            cancel.check()?;
            let block = x.slice(s![start..(start + BLOCK).min(n)]);
            let len = block.len();
            let per = len.div_ceil(pieces);
            scattered.par_iter_mut().enumerate().for_each(|(p, sc)| {
                sc.fill(
                    block.slice(s![(p * per).min(len)..((p + 1) * per).min(len)]),
                    capacity,
                );
            });
            tables.par_iter_mut().enumerate().for_each(|(s, table)| {
                for sc in &scattered {
                    table.add_each(sc.shard(s));
                }
            });
        }
        Ok(())
    })?;
    Ok(Histogram::Hashed(tables))
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

    #[test]
    fn extremes_of_the_dtype() {
        let x = [i64::MIN, i64::MAX, 0, i64::MIN];
        let h = count_view(ArrayView1::from(&x), &NEVER).unwrap();
        let mut c = h.nonzero_counts();
        c.sort();
        assert_eq!(c, vec![1, 1, 2]);
    }
}
