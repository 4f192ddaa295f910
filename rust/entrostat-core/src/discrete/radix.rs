//! LSD radix sort of items by an unsigned integer key, for the cache-sized partitions of
//! `partition::Counter`: a few sequential passes over the items instead of a hash probe
//! (a likely cache miss or branch miss) per item.

use super::partition::Key;

/// Bits per digit: 256 buckets, so that every pass's write streams and its histogram
/// stay in the L1 cache.
const DIGIT: u32 = 8;
const BUCKETS: usize = 1 << DIGIT;
/// Slices of at most this many bytes are sorted by LSD passes (they and their scratch
/// stay in the L2 cache); larger ones are first split by their highest varying digit.
const LSD_MAX_BYTES: usize = 192 << 10;
const _: () = assert!(LSD_MAX_BYTES < u32::MAX as usize, "LSD counts fit in u32");
/// Slices this short are sorted by comparisons.
const SHORT: usize = 48;

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

/// LSD passes over the digits below bit `top` (result in `items`).
fn lsd<T: Copy, K: Key>(items: &mut [T], tmp: &mut [T], key: impl Fn(&T) -> K, top: u32) {
    let n = items.len();
    let passes = top.div_ceil(DIGIT) as usize;
    // Every pass's histogram from one read of the items, in two copies filled by
    // alternate items: skewed keys (Zipf-like symbols) put most items in a few buckets,
    // and one copy would chain every increment of a bucket on the previous one.
    let mut two = vec![[0u32; BUCKETS]; 2 * passes];
    let (even, odd) = two.split_at_mut(passes);
    let mut pairs = items.chunks_exact(2);
    for pair in &mut pairs {
        let (a, b) = (key(&pair[0]), key(&pair[1]));
        for p in 0..passes {
            even[p][digit(a, p)] += 1;
            odd[p][digit(b, p)] += 1;
        }
    }
    for t in pairs.remainder() {
        let k = key(t);
        for (p, h) in even.iter_mut().enumerate() {
            h[digit(k, p)] += 1;
        }
    }
    for (e, o) in even.iter_mut().zip(odd.iter()) {
        for (a, b) in e.iter_mut().zip(o) {
            *a += b;
        }
    }
    let hist = even;
    let half = n / 2;
    let (mut src, mut dst) = (items, tmp);
    let mut in_tmp = false;
    for (p, h) in hist.iter().enumerate() {
        if h.iter().any(|&c| c as usize == n) {
            continue; // every item has the same digit here
        }
        // The source's two halves are placed at once, each with its own offsets (a
        // bucket's items from the first half before those from the second, so the pass
        // stays stable): with skewed keys most items go to a few buckets, and one offset
        // per bucket would chain every placement on the previous one.
        let (lo, hi) = src.split_at(half);
        let mut first = [[0u32; BUCKETS]; 2];
        let mut pairs = lo.chunks_exact(2);
        for pair in &mut pairs {
            first[0][digit(key(&pair[0]), p)] += 1;
            first[1][digit(key(&pair[1]), p)] += 1;
        }
        for t in pairs.remainder() {
            first[0][digit(key(t), p)] += 1;
        }
        let mut at_lo = [0usize; BUCKETS];
        let mut at_hi = [0usize; BUCKETS];
        let mut sum = 0;
        for d in 0..BUCKETS {
            at_lo[d] = sum;
            at_hi[d] = sum + (first[0][d] + first[1][d]) as usize;
            sum += h[d] as usize;
        }
        let last = n - 1;
        for (a, b) in lo.iter().zip(hi) {
            let (da, db) = (digit(key(a), p), digit(key(b), p));
            // The clamps keep the writes in bounds whatever `key` does (an impure `key`
            // could give other digits than it counted); for a pure one they never act.
            let (i, j) = (at_lo[da].min(last), at_hi[db].min(last));
            // SAFETY: `i, j <= n - 1 < dst.len()`. (A checked index costs a third of the pass.)
            unsafe {
                *dst.get_unchecked_mut(i) = *a;
                *dst.get_unchecked_mut(j) = *b;
            }
            at_lo[da] += 1;
            at_hi[db] += 1;
        }
        if let Some(t) = hi.get(half) {
            let i = at_hi[digit(key(t), p)].min(last);
            // SAFETY: as above.
            unsafe { *dst.get_unchecked_mut(i) = *t };
        }
        std::mem::swap(&mut src, &mut dst);
        in_tmp = !in_tmp;
    }
    if in_tmp {
        // `src` is the scratch slice now: copy the result back.
        dst.copy_from_slice(src);
    }
}

#[inline(always)]
fn digit<K: Key>(k: K, pass: usize) -> usize {
    (k.shr(pass as u32 * DIGIT).low64() as usize) & (BUCKETS - 1)
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
    fn assert_sorts(mut keys: Vec<u64>, tmp: &mut Vec<u64>, what: &str) {
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
