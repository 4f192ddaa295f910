//! Joint symbols: several label columns of equal length encoded as one `u64` code per row.
//!
//! Columns are packed in mixed radix (value - min) while the product of their ranges fits
//! in 64 bits; when it would not, the codes so far are first renumbered densely
//! (factorised), which keeps the encoding exact for any number of columns.

use super::counting::{count_in_parts, count_keys, count_slice_dense, Abort, CHUNK};
use super::histogram::{dense_fits, Histogram};
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::labels::{key_range, Label, Labels};
use crate::{pool, with_labels};
use hashbrown::HashMap;
use ndarray::{s, ArrayView1};
use rayon::prelude::*;

/// Min and max key of a column (parallel over chunks).
pub fn column_range(x: &Labels<'_>, cancel: &Cancel) -> Result<(u64, u64)> {
    with_labels!(x, v => view_range(v.view(), cancel))
}

fn view_range<T: Label>(x: ArrayView1<'_, T>, cancel: &Cancel) -> Result<(u64, u64)> {
    let n = x.len();
    pool::install(|| {
        (0..n.div_ceil(CHUNK))
            .into_par_iter()
            .map(|c| {
                cancel.check()?;
                let chunk = x.slice(s![c * CHUNK..((c + 1) * CHUNK).min(n)]);
                Ok(match chunk.as_slice() {
                    Some(sl) if !sl.is_empty() => key_range(sl),
                    _ => chunk.iter().fold((u64::MAX, 0u64), |(lo, hi), v| {
                        let k = v.key();
                        (lo.min(k), hi.max(k))
                    }),
                })
            })
            .try_reduce(|| (u64::MAX, 0), |a, b| Ok((a.0.min(b.0), a.1.max(b.1))))
    })
}

/// codes[i] = codes[i] * radix + (key(x[i]) - lo), in parallel.
fn push_column(
    codes: &mut [u64],
    x: &Labels<'_>,
    lo: u64,
    radix: u64,
    cancel: &Cancel,
) -> Result<()> {
    with_labels!(x, v => push_view(codes, v.view(), lo, radix, cancel))
}

fn push_view<T: Label>(
    codes: &mut [u64],
    x: ArrayView1<'_, T>,
    lo: u64,
    radix: u64,
    cancel: &Cancel,
) -> Result<()> {
    pool::install(|| {
        codes
            .par_chunks_mut(CHUNK)
            .enumerate()
            .try_for_each(|(c, out)| {
                cancel.check()?;
                let chunk = x.slice(s![c * CHUNK..c * CHUNK + out.len()]);
                for (o, v) in out.iter_mut().zip(chunk.iter()) {
                    *o = o.wrapping_mul(radix) + (v.key() - lo);
                }
                Ok(())
            })
    })
}

/// Renumber codes densely in order of first appearance; returns the number of distinct codes.
pub fn factorize(codes: &mut [u64], cancel: &Cancel) -> Result<u64> {
    let mut ids: HashMap<u64, u64> = HashMap::new();
    for chunk in codes.chunks_mut(CHUNK) {
        cancel.check()?;
        for c in chunk {
            let next = ids.len() as u64;
            *c = *ids.entry(*c).or_insert(next);
        }
    }
    Ok(ids.len() as u64)
}

/// The length shared by all columns.
fn common_length(cols: &[Labels<'_>]) -> Result<usize> {
    let n = cols.first().map_or(0, |c| c.len());
    match cols.iter().position(|c| c.len() != n) {
        None => Ok(n),
        Some(bad) => Err(Error::value(
            "xs",
            format!(
                "all inputs must have the same length; input 0 has {n}, input {bad} has {}",
                cols[bad].len()
            ),
        )),
    }
}

/// One exact `u64` code per row of the given equal-length columns.
pub fn joint_codes(cols: &[Labels<'_>], cancel: &Cancel) -> Result<Vec<u64>> {
    let n = common_length(cols)?;
    let mut codes = Vec::new();
    codes
        .try_reserve_exact(n)
        .map_err(|_| Error::Memory(format!("joint codes of {n} rows")))?;
    codes.resize(n, 0u64);
    if n == 0 {
        return Ok(codes);
    }
    // `radix` = number of distinct values the codes so far can take (an upper bound).
    // Products are checked: two full 64-bit ranges multiply past u128.
    let fits = |a: u128, b: u128| a.checked_mul(b).is_some_and(|p| p <= u64::MAX as u128 + 1);
    let mut radix: u128 = 1;
    for col in cols {
        let (lo, hi) = column_range(col, cancel)?;
        let range = (hi - lo) as u128 + 1;
        if !fits(radix, range) {
            radix = factorize(&mut codes, cancel)? as u128;
        }
        if !fits(radix, range) {
            // A column of very wide range: renumber it too, then pack.
            let mut own = joint_codes(std::slice::from_ref(col), cancel)?;
            let distinct = factorize(&mut own, cancel)?;
            // Both factors are at most n, so this only fails beyond 2^32 rows.
            if !fits(radix, distinct as u128) {
                return Err(Error::value(
                    "xs",
                    "too many distinct rows to encode jointly",
                ));
            }
            push_column(
                &mut codes,
                &Labels::U64(ArrayView1::from(&own)),
                0,
                distinct,
                cancel,
            )?;
            radix *= distinct as u128;
            continue;
        }
        // range == 2^64 only when radix == 1: the multiply by radix wraps harmlessly to 0.
        push_column(&mut codes, col, lo, range as u64, cancel)?;
        radix *= range;
    }
    Ok(codes)
}

/// Histogram of the joint symbols of `cols`. When the product of the column ranges is
/// small enough for a dense table, rows are encoded chunk by chunk into a cache-resident
/// buffer and counted at once (no n-sized code array); otherwise through `joint_codes`.
pub fn count_joint(cols: &[Labels<'_>], cancel: &Cancel) -> Result<Histogram> {
    let n = common_length(cols)?;
    let mut ranges = Vec::with_capacity(cols.len());
    let mut product: u128 = 1;
    for col in cols {
        let (lo, hi) = column_range(col, cancel)?;
        let range = (hi - lo) as u128 + 1;
        product = product.saturating_mul(range);
        ranges.push((lo, range as u64));
    }
    if n == 0 || product > u64::MAX as u128 || !dense_fits(0, (product - 1) as u64, n) {
        return count_keys(&joint_codes(cols, cancel)?, cancel);
    }
    let counted = count_in_parts(n, |range| {
        let mut hist = Histogram::default();
        let mut buf: Vec<u64> = Vec::with_capacity(CHUNK);
        for start in range.clone().step_by(CHUNK) {
            cancel.check()?;
            let end = (start + CHUNK).min(range.end);
            buf.clear();
            buf.resize(end - start, 0);
            for (col, &(lo, radix)) in cols.iter().zip(&ranges) {
                with_labels!(col, v => encode_into(&mut buf, v.slice(s![start..end]), lo, radix));
            }
            count_slice_dense(&mut hist, &buf, n)?;
        }
        Ok(hist)
    });
    match counted {
        Ok(h) => Ok(h),
        Err(Abort::Failed(e)) => Err(e),
        // Cannot happen (the whole range was checked dense), but stay exact if it does.
        Err(Abort::TooWide) => count_keys(&joint_codes(cols, cancel)?, cancel),
    }
}

#[inline]
fn encode_into<T: Label>(codes: &mut [u64], x: ArrayView1<'_, T>, lo: u64, radix: u64) {
    let step = |(o, v): (&mut u64, &T)| *o = o.wrapping_mul(radix) + (v.key() - lo);
    match x.as_slice() {
        Some(sl) => codes.iter_mut().zip(sl).for_each(step),
        None => codes.iter_mut().zip(x.iter()).for_each(step),
    }
}
