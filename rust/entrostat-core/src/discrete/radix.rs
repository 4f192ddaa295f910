//! LSD radix sort of items by an unsigned integer key, for the cache-sized partitions of
//! `partition::Counter`: a few sequential passes over the items instead of a hash probe
//! (a likely cache miss or branch miss) per item.

use super::partition::Key;

/// Bits of a digit that splits a large slice (256 buckets, so that the write streams
/// stay in the L1 cache).
const DIGIT: u32 = 8;
const BUCKETS: usize = 1 << DIGIT;
/// Bits of the widest LSD digit: slices are L2-resident, so more buckets cost less than
/// another pass over the slice.
const MAX_LSD_DIGIT: u32 = 11;
/// Slices of at most this many bytes are sorted by LSD passes (they and their scratch
/// stay in the L2 cache); larger ones are first split by their highest varying digit.
const LSD_MAX_BYTES: usize = 192 << 10;
const _: () = assert!(LSD_MAX_BYTES < u32::MAX as usize, "LSD counts fit in u32");
/// Slices this short are sorted by comparisons.
const SHORT: usize = 48;
/// Slices of fewer than this many items per LSD pass their keys need are sorted by
/// comparisons too (measured on a Xeon, 39-bit keys, so 4 passes: comparisons win below
/// about 2500 items, radix passes above).
const SHORT_PER_PASS: usize = 640;

/// Sort `items` ascending by `key(item)` (not stable across equal keys; `tmp` is reused
/// scratch). Only the bits up to the highest bit in which keys differ are sorted on, and
/// a digit that every item shares costs no pass.
pub fn sort_by_key<T: Copy, K: Key>(
    items: &mut [T],
    tmp: &mut Vec<T>,
    key: impl Fn(&T) -> K + Copy,
) {
    let n = items.len();
    if n < 2 {
        return;
    }
    // Every slot of `tmp` is overwritten before it is read (a reused buffer is only resized).
    if tmp.len() < n {
        tmp.resize(n, items[0]);
    }
    sort_slice(items, &mut tmp[..n], key);
}

/// Sort `items` (result in `items`), `tmp` being scratch of the same length.
fn sort_slice<T: Copy, K: Key>(items: &mut [T], tmp: &mut [T], key: impl Fn(&T) -> K + Copy) {
    let n = items.len();
    if n <= SHORT {
        items.sort_unstable_by_key(key);
        return;
    }
    let first = key(&items[0]);
    let diff = items
        .iter()
        .fold(K::ZERO, |acc, t| acc.or(key(t).xor(first)));
    let top = K::BITS - diff.leading_zeros();
    if top == 0 {
        return; // all keys equal
    }
    if n < SHORT_PER_PASS * top.div_ceil(MAX_LSD_DIGIT) as usize {
        items.sort_unstable_by_key(key);
        return;
    }
    if std::mem::size_of_val(items) <= LSD_MAX_BYTES {
        lsd(items, tmp, key, top);
        return;
    }
    // Split by the highest varying digit, then sort each bucket (in `tmp`, with the same
    // range of `items` as scratch) and copy it back.
    let shift = top.saturating_sub(DIGIT);
    let digit = |t: &T| (key(t).shr(shift).low64() as usize) & (BUCKETS - 1);
    let mut at = [0usize; BUCKETS + 1];
    for t in items.iter() {
        at[digit(t) + 1] += 1;
    }
    for d in 0..BUCKETS {
        at[d + 1] += at[d];
    }
    let starts = at;
    for t in items.iter() {
        let d = digit(t);
        tmp[at[d]] = *t;
        at[d] += 1;
    }
    for d in 0..BUCKETS {
        let range = starts[d]..starts[d + 1];
        sort_slice(&mut tmp[range.clone()], &mut items[range.clone()], key);
        items[range.clone()].copy_from_slice(&tmp[range]);
    }
}

/// LSD passes over the digits below bit `top` (result in `items`). The bits are split
/// evenly into as few digits of at most `MAX_LSD_DIGIT` bits as cover them: compact
/// Zipf 3-grams of a 128k vocabulary (47 varying bits) take 5 passes of 10 bits, not 6
/// of 8 (measured on a Xeon, 24k keys of 39 bits at a time: 1.4-2x faster than 8-bit
/// passes that placed their source's two halves at once, with their own offsets, which
/// cost a histogram of the first half in every pass, against chains of placements on
/// skewed digits; whole summaries of 10^8 Zipf ids, 2-4%).
fn lsd<T: Copy, K: Key>(items: &mut [T], tmp: &mut [T], key: impl Fn(&T) -> K, top: u32) {
    let n = items.len();
    let passes = top.div_ceil(MAX_LSD_DIGIT);
    let width = top.div_ceil(passes);
    let buckets = 1usize << width;
    let mask = (buckets - 1) as u64;
    let passes = passes as usize;
    // Every pass's histogram from one read of the items.
    let mut hist = vec![0u32; buckets * passes];
    // Literal pass counts, so that each call's loop over passes unrolls (a count known
    // only at run time cost 2-3 ns a key on a 39-bit key).
    match passes {
        1 => histograms(items, &key, width, 1, &mut hist),
        2 => histograms(items, &key, width, 2, &mut hist),
        3 => histograms(items, &key, width, 3, &mut hist),
        4 => histograms(items, &key, width, 4, &mut hist),
        5 => histograms(items, &key, width, 5, &mut hist),
        6 => histograms(items, &key, width, 6, &mut hist),
        _ => histograms(items, &key, width, passes, &mut hist),
    }
    let last = n - 1;
    let (mut src, mut dst) = (items, tmp);
    let mut in_tmp = false;
    for (p, at) in hist.chunks_exact_mut(buckets).enumerate() {
        if at.iter().any(|&c| c as usize == n) {
            continue; // every item has the same digit here
        }
        let mut sum = 0;
        for c in at.iter_mut() {
            (*c, sum) = (sum, sum + *c);
        }
        let shift = p as u32 * width;
        for t in src.iter() {
            let d = (key(t).shr(shift).low64() & mask) as usize;
            // The clamp keeps the write in bounds whatever `key` does (an impure `key`
            // could give other digits than it counted); for a pure one it never acts.
            // SAFETY: `d <= mask < at.len()`, and `i <= n - 1 < dst.len()`. (Checked
            // indexes cost a third of the pass.)
            unsafe {
                let at = at.get_unchecked_mut(d);
                let i = (*at as usize).min(last);
                *dst.get_unchecked_mut(i) = *t;
                *at += 1;
            }
        }
        std::mem::swap(&mut src, &mut dst);
        in_tmp = !in_tmp;
    }
    if in_tmp {
        // `src` is the scratch slice now: copy the result back.
        dst.copy_from_slice(src);
    }
}

/// Add the digits of `passes` passes of `width` bits of every item's key to `hist`
/// (`passes` histograms of `2^width` buckets, one after another). Inlined, so that a
/// literal `passes` unrolls the loop over them.
#[inline(always)]
fn histograms<T, K: Key>(
    items: &[T],
    key: &impl Fn(&T) -> K,
    width: u32,
    passes: usize,
    hist: &mut [u32],
) {
    let buckets = 1usize << width;
    let mask = (buckets - 1) as u64;
    assert_eq!(hist.len(), passes * buckets, "one histogram per pass");
    for t in items {
        let k = key(t);
        for p in 0..passes {
            let d = (k.shr(p as u32 * width).low64() & mask) as usize;
            // SAFETY: `p < passes` and `d <= mask < buckets`, so the index is below
            // `hist.len()`.
            unsafe { *hist.get_unchecked_mut(p * buckets + d) += 1 };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A seeded stream of pseudo-random words (an LCG, its state folded by `fold` bits).
    fn stream(seed: u64, fold: u32) -> impl FnMut() -> u64 {
        let mut state = seed;
        move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            state ^ (state >> fold)
        }
    }

    /// `sort_by_key` on `keys` gives what the standard library's sort gives.
    fn assert_sorts<K: Key>(mut keys: Vec<K>, tmp: &mut Vec<K>, what: &str) {
        let mut want = keys.clone();
        want.sort_unstable();
        sort_by_key(&mut keys, tmp, |&k| k);
        assert_eq!(keys, want, "{what}");
    }

    #[test]
    fn sorts_like_the_standard_library() {
        let mut next = stream(3, 31);
        let mut tmp = Vec::new();
        for (n, bits) in [
            (0, 8),
            (1, 8),
            (5, 64),
            (33, 3),
            (1000, 51),
            (70_000, 64),
            (3000, 17),
            (1001, 40),
            (4097, 24),
        ] {
            let mask = if bits == 64 {
                u64::MAX
            } else {
                (1 << bits) - 1
            };
            let keys: Vec<u64> = (0..n).map(|_| next() & mask).collect();
            assert_sorts(keys, &mut tmp, &format!("n {n} bits {bits}"));
            // Pairs sorted by their first field, wide keys.
            let mut pairs: Vec<(u128, u64)> = (0..n)
                .map(|i| {
                    (
                        ((next() as u128) << 64 | next() as u128) >> (128 - 2 * bits),
                        i as u64,
                    )
                })
                .collect();
            let mut want: Vec<u128> = pairs.iter().map(|p| p.0).collect();
            want.sort_unstable();
            let mut tmp2 = Vec::new();
            sort_by_key(&mut pairs, &mut tmp2, |p| p.0);
            assert_eq!(pairs.iter().map(|p| p.0).collect::<Vec<_>>(), want);
        }
    }

    #[test]
    fn splits_large_slices_then_sorts_buckets_by_passes() {
        // 100k keys (800 KB, over `LSD_MAX_BYTES`) whose top digit takes 8 values: the
        // split leaves buckets of ~12.5k keys (under it), each sorted by 3 LSD passes.
        let mut next = stream(13, 29);
        let keys: Vec<u64> = (0..100_000)
            .map(|_| (next() % 8) << 40 | (next() & 0xFFFF_FFFF))
            .collect();
        assert_sorts(keys, &mut Vec::new(), "split, then passes");
    }

    #[test]
    fn sorts_wide_keys_in_many_passes() {
        // 128-bit keys, few enough bytes for LSD passes only: 12 passes of 11 bits.
        let mut next = stream(5, 33);
        for n in [7700, 8000] {
            let keys: Vec<u128> = (0..n)
                .map(|_| (next() as u128) << 64 | next() as u128)
                .collect();
            assert_sorts(keys, &mut Vec::new(), &format!("n {n}"));
        }
    }

    #[test]
    fn sorts_skewed_keys() {
        // Most keys small (most digits 0, as Zipf-like symbols give), odd and even sizes.
        let mut next = stream(11, 29);
        let mut tmp = Vec::new();
        for n in [49, 50, 999, 24_001, 100_000] {
            // A middle digit that every key shares (its pass is skipped).
            let keys: Vec<u64> = (0..n).map(|_| (next() & 0xFF00FF) | 0x5A00).collect();
            assert_sorts(keys, &mut tmp, &format!("shared digit, n {n}"));
            let keys: Vec<u64> = (0..n)
                .map(|_| {
                    let k = next() >> 25;
                    if next() % 5 == 0 {
                        k
                    } else {
                        k >> 33
                    }
                })
                .collect();
            assert_sorts(keys, &mut tmp, &format!("n {n}"));
        }
    }
}
