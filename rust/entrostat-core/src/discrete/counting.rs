//! Counting labels: parallel over chunks, each thread keeping its own histogram
//! (dense while the key range is small, hashed otherwise), merged at the end.
//! Extra memory is O(alphabet x threads); the input is never copied (strided views are
//! staged through a chunk-sized buffer).

use super::histogram::Histogram;
use crate::cancel::Cancel;
use crate::error::Result;
use crate::labels::{Label, Labels};
use crate::{pool, with_labels};
use ndarray::{s, ArrayView1};
use rayon::prelude::*;

/// Labels per chunk: small enough to stay in L2 between the min/max and counting passes.
pub const CHUNK: usize = 1 << 16;

/// Count the labels of a view of any integer dtype.
pub fn count_labels(x: &Labels<'_>, cancel: &Cancel) -> Result<Histogram> {
    with_labels!(x, v => count_view(v.view(), cancel))
}

/// Count the labels of a typed view.
pub fn count_view<T: Label>(x: ArrayView1<'_, T>, cancel: &Cancel) -> Result<Histogram> {
    let n = x.len();
    let n_chunks = n.div_ceil(CHUNK);
    pool::install(|| {
        (0..n_chunks)
            .into_par_iter()
            .try_fold(
                || (Histogram::default(), Vec::<T>::new()),
                |(mut hist, mut buf), c| {
                    cancel.check()?;
                    let chunk = x.slice(s![c * CHUNK..((c + 1) * CHUNK).min(n)]);
                    match chunk.as_slice() {
                        Some(sl) => count_slice(&mut hist, sl, n)?,
                        None => {
                            buf.clear();
                            buf.extend(chunk.iter().copied());
                            count_slice(&mut hist, &buf, n)?;
                        }
                    }
                    Ok((hist, buf))
                },
            )
            .map(|r| r.map(|(h, _)| h))
            .try_reduce(Histogram::default, |a, b| a.merge(b))
    })
}

/// Count keys given directly (already-encoded symbols).
pub fn count_keys(keys: &[u64], cancel: &Cancel) -> Result<Histogram> {
    count_view(ArrayView1::from(keys), cancel)
}

/// Min and max key of a non-empty slice, in one vectorisable pass.
#[inline]
fn key_range<T: Label>(sl: &[T]) -> (u64, u64) {
    let mut lo = sl[0].key();
    let mut hi = lo;
    for &v in sl {
        let k = v.key();
        lo = lo.min(k);
        hi = hi.max(k);
    }
    (lo, hi)
}

fn count_slice<T: Label>(hist: &mut Histogram, sl: &[T], expected_n: usize) -> Result<()> {
    if sl.is_empty() {
        return Ok(());
    }
    let (lo, hi) = key_range(sl);
    // Grows the dense table, or turns it into a hash map once the range is too wide.
    hist.reserve_range(lo, hi, expected_n)?;
    match hist {
        Histogram::Dense { offset, counts } => dense_add(counts, *offset, sl),
        Histogram::Hashed(m) => {
            m.reserve(sl.len().min(CHUNK));
            for &v in sl {
                *m.entry(v.key()).or_insert(0) += 1;
            }
        }
    }
    Ok(())
}

/// The hot loop: four interleaved sub-counters hide the store-to-load latency when the
/// same label repeats (a single dominant symbol would otherwise serialise the loop).
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
