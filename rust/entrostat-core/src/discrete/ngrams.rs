//! Exact n-gram counts of symbol streams, mergeable across chunks (n-grams that cross a
//! chunk boundary included) and sharded by the hash of each n-gram's prefix, so that
//! threads build disjoint tables and conditional entropies need no global group-by.
//!
//! An n-gram of order k is packed into a `u128` with `w = min(64, 128 / k)` bits per
//! symbol (last symbol lowest) while every symbol is below 2^w; otherwise the table
//! switches to "wide" keys holding the symbols themselves. Symbols are the labels' 64-bit
//! two's-complement patterns, so the keys do not depend on how the stream was chunked.
//! Memory is proportional to the number of distinct n-grams, never to V^k.

use super::counting::CHUNK;
use super::joint::column_range;
use super::table::CountTable;
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::labels::{bits64, Domain, Label, Labels};
use crate::{pool, with_labels};
use hashbrown::HashMap;
use ndarray::{s, ArrayView1};
use rayon::prelude::*;

/// Longest n-gram order supported.
pub const MAX_ORDER: usize = 8;
/// Fixed number of shards, so that tables built anywhere can be merged shard by shard.
const SHARDS: usize = 16;

#[derive(Debug, Clone)]
enum Table {
    Narrow(Vec<CountTable<[u64; 2]>>),
    Wide(Vec<HashMap<Box<[u64]>, u64>>),
}

/// Streaming, mergeable counts of the n-grams of order `order` of a symbol stream.
#[derive(Debug, Clone)]
pub struct NgramCounts {
    order: usize,
    width: u32,
    table: Table,
    /// Symbols seen in total.
    len: u64,
    /// First and last `order - 1` symbols of the stream (fewer while it is shorter).
    head: Vec<u64>,
    tail: Vec<u64>,
    /// Which ambiguous symbol codes the stream holds: bit 0 negative labels, bit 1
    /// unsigned labels >= 2^63 (the two share 64-bit patterns, so they must not mix).
    sign_flags: u8,
}

const NEGATIVE: u8 = 1;
const HUGE_UNSIGNED: u8 = 2;

fn check_flags(flags: u8, arg: &'static str) -> Result<u8> {
    if flags == NEGATIVE | HUGE_UNSIGNED {
        return Err(Error::value(
            arg,
            "a label does not fit the labels counted so far (negative labels cannot be \
             counted together with labels above 2^63 - 1)",
        ));
    }
    Ok(flags)
}

#[inline(always)]
fn mix(h: u64) -> usize {
    // Fibonacci hashing: the top bits of a multiply spread any input over the shards.
    (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60) as usize
}

#[inline(always)]
fn shard_of_narrow(prefix: u128) -> usize {
    mix((prefix as u64) ^ ((prefix >> 64) as u64).rotate_left(29))
}

/// N-grams are sharded by their prefix; unigrams (empty prefix) by the symbol itself.
#[inline(always)]
fn shard_key(key: u128, w: usize, order: usize) -> u128 {
    if order == 1 {
        key
    } else {
        key >> w
    }
}

fn shard_of_wide(prefix: &[u64]) -> usize {
    mix(prefix.iter().fold(0u64, |h, &s| {
        h.rotate_left(23) ^ s.wrapping_mul(0xA24B_AED4_963E_E407)
    }))
}

pub fn check_order(order: usize) -> Result<()> {
    if order == 0 || order > MAX_ORDER {
        return Err(Error::value(
            "order",
            format!("expected an integer in 1..={MAX_ORDER}, got {order}"),
        ));
    }
    Ok(())
}

impl NgramCounts {
    pub fn new(order: usize) -> Result<Self> {
        check_order(order)?;
        Ok(NgramCounts {
            order,
            width: (128 / order as u32).min(64),
            table: Table::Narrow(vec![CountTable::new(); SHARDS]),
            len: 0,
            head: Vec::new(),
            tail: Vec::new(),
            sign_flags: 0,
        })
    }

    pub fn order(&self) -> usize {
        self.order
    }
    /// Symbols seen.
    pub fn len(&self) -> u64 {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
    /// N-gram windows counted: max(0, len - order + 1).
    pub fn n_windows(&self) -> u64 {
        (self.len + 1).saturating_sub(self.order as u64)
    }
    /// Distinct n-grams seen.
    pub fn support(&self) -> usize {
        match &self.table {
            Table::Narrow(s) => s.iter().map(|m| m.len()).sum(),
            Table::Wide(s) => s.iter().map(|m| m.len()).sum(),
        }
    }
    pub fn head(&self) -> &[u64] {
        &self.head
    }
    pub fn tail(&self) -> &[u64] {
        &self.tail
    }

    fn fits_narrow(&self, max_symbol: u64) -> bool {
        self.width == 64 || max_symbol < (1u64 << self.width)
    }

    fn make_wide(&mut self) {
        if let Table::Narrow(shards) = &self.table {
            let (w, k) = (self.width, self.order);
            let mask = if w == 64 { u64::MAX } else { (1u64 << w) - 1 };
            let mut wide: Vec<HashMap<Box<[u64]>, u64>> = vec![HashMap::new(); SHARDS];
            for m in shards {
                for (key, c) in m.iter() {
                    let key = join(key);
                    let syms: Box<[u64]> = (0..k)
                        .map(|j| ((key >> (w as usize * (k - 1 - j))) as u64) & mask)
                        .collect();
                    let shard = shard_of_wide(&syms[..k - 1]);
                    wide[shard].insert(syms, c);
                }
            }
            self.table = Table::Wide(wide);
        }
    }

    /// Count every window of `syms` (already-coded symbols) that lies within one segment;
    /// `breaks` (sorted) are the positions where a new segment (document) starts.
    fn count_windows(&mut self, syms: &[u64], breaks: &[usize], cancel: &Cancel) -> Result<()> {
        let k = self.order;
        if syms.len() < k {
            return Ok(());
        }
        let max_symbol = syms.iter().copied().max().unwrap_or(0);
        if !self.fits_narrow(max_symbol) {
            self.make_wide();
        }
        let groups = pool::num_threads().clamp(1, SHARDS);
        let w = self.width as usize;
        match &mut self.table {
            Table::Narrow(shards) => {
                let mask: u128 = if w * k >= 128 {
                    u128::MAX
                } else {
                    (1u128 << (w * k)) - 1
                };
                let mut owned: Vec<Vec<&mut CountTable<[u64; 2]>>> =
                    (0..groups).map(|_| Vec::new()).collect();
                for (i, m) in shards.iter_mut().enumerate() {
                    owned[i % groups].push(m);
                }
                pool::install(|| {
                    owned
                        .into_par_iter()
                        .enumerate()
                        .try_for_each(|(g, mut mine)| {
                            // Keys are staged per shard and added in batches, so that each
                            // batch's slots are prefetched together.
                            let mut staged: Vec<Vec<[u64; 2]>> =
                                (0..mine.len()).map(|_| Vec::with_capacity(STAGE)).collect();
                            let mut key: u128 = 0;
                            // Symbols of the current segment seen so far, capped at k.
                            let mut filled = 0usize;
                            let mut next_break = breaks.iter().copied().peekable();
                            for (c, piece) in syms.chunks(CHUNK).enumerate() {
                                cancel.check()?;
                                for (j, &sym) in piece.iter().enumerate() {
                                    key = ((key << w) | sym as u128) & mask;
                                    while next_break.next_if(|&b| b <= c * CHUNK + j).is_some() {
                                        filled = 0;
                                    }
                                    filled = (filled + 1).min(k);
                                    if filled < k {
                                        continue;
                                    }
                                    let shard = shard_of_narrow(shard_key(key, w, k));
                                    if shard % groups == g {
                                        let local = shard / groups;
                                        let buf = &mut staged[local];
                                        buf.push(split(key));
                                        if buf.len() == STAGE {
                                            mine[local].add_each(buf);
                                            buf.clear();
                                        }
                                    }
                                }
                            }
                            for (table, buf) in mine.iter_mut().zip(&staged) {
                                table.add_each(buf);
                            }
                            Ok(())
                        })
                })
            }
            Table::Wide(shards) => {
                let ends = breaks.iter().copied().chain([syms.len()]);
                let mut start = 0;
                for end in ends {
                    for win in syms[start..end.max(start)].windows(k) {
                        let shard = shard_of_wide(&win[..k - 1]);
                        *shards[shard].entry(win.into()).or_insert(0) += 1;
                    }
                    start = start.max(end);
                }
                cancel.check()
            }
        }
    }

    /// Append a contiguous piece of stream: n-grams crossing from what came before are counted.
    pub fn update_codes(&mut self, syms: &[u64], cancel: &Cancel) -> Result<()> {
        self.update_documents(syms, &[], cancel)
    }

    /// Append a piece of stream made of documents: `starts` (sorted, each <= `syms.len()`)
    /// are the positions where a new document begins, and no n-gram crosses into one. The
    /// symbols before the first start continue the last document seen before.
    pub fn update_documents(
        &mut self,
        syms: &[u64],
        starts: &[usize],
        cancel: &Cancel,
    ) -> Result<()> {
        if starts.windows(2).any(|w| w[0] > w[1]) || starts.last() > Some(&syms.len()) {
            return Err(Error::value(
                "offsets",
                "expected non-decreasing document starts within the ids",
            ));
        }
        let k = self.order;
        let first = starts.first().map_or(syms.len(), |&p| p);
        // Windows that start in the old tail and end in the continued document.
        let lead = first.min(k - 1);
        let mut boundary = self.tail.clone();
        boundary.extend_from_slice(&syms[..lead]);
        self.count_windows(&boundary, &[], cancel)?;
        self.count_windows(syms, starts, cancel)?;
        // Head: the first k-1 symbols of the whole stream.
        if self.head.len() < k - 1 {
            let need = (k - 1 - self.head.len()).min(syms.len());
            self.head.extend_from_slice(&syms[..need]);
        }
        // Tail: the last k-1 symbols of the last document.
        let mut tail = match starts.last() {
            Some(&p) => syms[p.max(syms.len().saturating_sub(k - 1))..].to_vec(),
            None => {
                let mut t = std::mem::take(&mut self.tail);
                t.extend_from_slice(&syms[syms.len().saturating_sub(k - 1)..]);
                t
            }
        };
        let cut = tail.len().saturating_sub(k - 1);
        self.tail = tail.split_off(cut);
        self.len += syms.len() as u64;
        Ok(())
    }

    /// Close the current document: the next update or merge starts a new one.
    pub fn end_document(&mut self) {
        self.tail.clear();
    }

    /// Append labels of any integer dtype.
    pub fn update(&mut self, x: &Labels<'_>, cancel: &Cancel) -> Result<()> {
        if x.is_empty() {
            return Ok(());
        }
        let (lo, hi) = column_range(x, cancel)?;
        let flags = match x.domain() {
            Domain::Signed if lo < 1 << 63 => NEGATIVE,
            Domain::Unsigned if hi >= 1 << 63 => HUGE_UNSIGNED,
            _ => 0,
        };
        self.sign_flags = check_flags(self.sign_flags | flags, "seq")?;
        // Code the stream piecewise so the codes never cost more than a slice of the input.
        const PIECE: usize = 1 << 24;
        let n = x.len();
        for start in (0..n).step_by(PIECE) {
            let end = (start + PIECE).min(n);
            let piece = with_labels!(x, v => codes_of(v.slice(s![start..end])));
            self.update_codes(&piece, cancel)?;
        }
        Ok(())
    }

    /// Bit flags of the ambiguous symbols seen (for pickling).
    pub fn sign_flags(&self) -> u8 {
        self.sign_flags
    }

    /// The counts of `self`'s stream followed by `other`'s stream.
    pub fn merge(mut self, mut other: NgramCounts, cancel: &Cancel) -> Result<NgramCounts> {
        if self.order != other.order {
            return Err(Error::value(
                "other",
                format!(
                    "cannot merge n-grams of order {} with order {}",
                    self.order, other.order
                ),
            ));
        }
        self.sign_flags = check_flags(self.sign_flags | other.sign_flags, "other")?;
        if other.len == 0 {
            return Ok(self);
        }
        if self.len == 0 {
            return Ok(other);
        }
        if matches!(other.table, Table::Wide(_)) {
            self.make_wide();
        }
        if matches!(self.table, Table::Wide(_)) {
            other.make_wide();
        }
        match (&mut self.table, other.table) {
            (Table::Narrow(a), Table::Narrow(b)) => {
                for (mine, theirs) in a.iter_mut().zip(&b) {
                    mine.absorb(theirs);
                }
            }
            (Table::Wide(a), Table::Wide(b)) => merge_shards(a, b),
            _ => unreachable!("both tables were made the same kind above"),
        }
        // Windows crossing the seam, then head / tail / len as for a streamed update.
        let k = self.order;
        let mut seam = self.tail.clone();
        seam.extend_from_slice(&other.head);
        self.count_windows(&seam, &[], cancel)?;
        if self.head.len() < k - 1 {
            let need = (k - 1 - self.head.len()).min(other.head.len());
            self.head.extend_from_slice(&other.head[..need]);
        }
        if other.len >= (k - 1) as u64 {
            self.tail = other.tail;
        } else {
            let mut t = std::mem::take(&mut self.tail);
            t.extend_from_slice(&other.tail);
            let cut = t.len().saturating_sub(k - 1);
            self.tail = t.split_off(cut);
        }
        self.len += other.len;
        Ok(self)
    }

    /// Counts of the distinct n-grams, and of their (order-1)-prefixes over the same windows.
    pub fn count_vectors(&self) -> (Vec<f64>, Vec<f64>) {
        let w = self.width as usize;
        let k = self.order;
        let per_shard: Vec<(Vec<f64>, Vec<f64>)> = pool::install(|| match &self.table {
            Table::Narrow(shards) => shards
                .par_iter()
                .map(|m| {
                    let mut prefixes: CountTable<[u64; 2]> = CountTable::new();
                    // At most one prefix per n-gram: size once rather than grow.
                    prefixes.reserve(m.len());
                    let pairs: Vec<([u64; 2], u64)> = m
                        .iter()
                        .map(|(key, c)| (split(join(key) >> w), c))
                        .collect();
                    prefixes.add_pairs(&pairs);
                    (
                        m.values().map(|c| c as f64).collect(),
                        prefixes.values().map(|c| c as f64).collect(),
                    )
                })
                .collect(),
            Table::Wide(shards) => shards
                .par_iter()
                .map(|m| {
                    let mut prefixes: HashMap<&[u64], u64> = HashMap::new();
                    for (key, &c) in m {
                        *prefixes.entry(&key[..k - 1]).or_insert(0) += c;
                    }
                    (
                        m.values().map(|&c| c as f64).collect(),
                        prefixes.values().map(|&c| c as f64).collect(),
                    )
                })
                .collect(),
        });
        let mut ngrams = Vec::with_capacity(self.support());
        let mut prefixes = Vec::new();
        for (a, b) in per_shard {
            ngrams.extend(a);
            prefixes.extend(b);
        }
        if k == 1 {
            // Every unigram has the empty prefix; shards split it, so total it here.
            prefixes = vec![self.n_windows() as f64];
        }
        (ngrams, prefixes)
    }

    /// Distinct n-grams as rows of `order` symbols (row-major) and their counts, sorted.
    pub fn items(&self) -> (Vec<u64>, Vec<u64>) {
        let k = self.order;
        let w = self.width as usize;
        let mask = if w == 64 { u64::MAX } else { (1u64 << w) - 1 };
        let mut rows: Vec<(Vec<u64>, u64)> = match &self.table {
            Table::Narrow(shards) => shards
                .iter()
                .flat_map(|m| m.iter())
                .map(|(key, c)| {
                    let key = join(key);
                    let syms = (0..k)
                        .map(|j| ((key >> (w * (k - 1 - j))) as u64) & mask)
                        .collect();
                    (syms, c)
                })
                .collect(),
            Table::Wide(shards) => shards
                .iter()
                .flat_map(|m| m.iter())
                .map(|(key, &c)| (key.to_vec(), c))
                .collect(),
        };
        rows.sort_unstable();
        let counts = rows.iter().map(|(_, c)| *c).collect();
        let flat = rows.into_iter().flat_map(|(s, _)| s).collect();
        (flat, counts)
    }

    /// Rebuild from `items()`, `head`, `tail` and `len` (the pickled state).
    pub fn from_parts(
        order: usize,
        ngrams: &[u64],
        counts: &[u64],
        head: Vec<u64>,
        tail: Vec<u64>,
        len: u64,
        sign_flags: u8,
    ) -> Result<Self> {
        let mut me = NgramCounts::new(order)?;
        let k = order;
        let consistent = ngrams.len() == counts.len() * k
            && head.len() == tail.len()
            && head.len() as u64 == len.min(k as u64 - 1)
            && counts.iter().sum::<u64>() == (len + 1).saturating_sub(k as u64);
        if !consistent {
            return Err(Error::value("state", "inconsistent NgramCounts state"));
        }
        if !me.fits_narrow(ngrams.iter().copied().max().unwrap_or(0)) {
            me.make_wide();
        }
        let w = me.width as usize;
        for (row, &c) in ngrams.chunks(k.max(1)).zip(counts) {
            match &mut me.table {
                Table::Narrow(shards) => {
                    let key = row.iter().fold(0u128, |acc, &s| (acc << w) | s as u128);
                    shards[shard_of_narrow(shard_key(key, w, k))].add(split(key), c);
                }
                Table::Wide(shards) => {
                    shards[shard_of_wide(&row[..k - 1])].insert(row.into(), c);
                }
            }
        }
        me.head = head;
        me.tail = tail;
        me.len = len;
        me.sign_flags = check_flags(sign_flags, "state")?;
        Ok(me)
    }
}

/// Keys staged per shard before a batched add.
const STAGE: usize = 64;

#[inline(always)]
fn split(k: u128) -> [u64; 2] {
    [k as u64, (k >> 64) as u64]
}

#[inline(always)]
fn join(k: [u64; 2]) -> u128 {
    k[0] as u128 | ((k[1] as u128) << 64)
}

fn merge_shards<K: std::hash::Hash + Eq>(a: &mut [HashMap<K, u64>], b: Vec<HashMap<K, u64>>) {
    for (mine, theirs) in a.iter_mut().zip(b) {
        let (mut big, small) = if mine.len() >= theirs.len() {
            (std::mem::take(mine), theirs)
        } else {
            (theirs, std::mem::take(mine))
        };
        big.reserve(small.len());
        for (k, c) in small {
            *big.entry(k).or_insert(0) += c;
        }
        *mine = big;
    }
}

/// The canonical symbol codes of a view (one pass; the n-gram kernels read codes).
pub fn codes_of<T: Label>(x: ArrayView1<'_, T>) -> Vec<u64> {
    match x.as_slice() {
        Some(sl) => sl.iter().map(|&v| bits64(v)).collect(),
        None => x.iter().map(|&v| bits64(v)).collect(),
    }
}

/// Count the n-grams of one sequence.
pub fn count_ngrams(x: &Labels<'_>, order: usize, cancel: &Cancel) -> Result<NgramCounts> {
    let mut counts = NgramCounts::new(order)?;
    counts.update(x, cancel)?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cancel::NEVER;

    fn brute(seq: &[u64], k: usize) -> Vec<(Vec<u64>, u64)> {
        let mut m: std::collections::BTreeMap<Vec<u64>, u64> = Default::default();
        for w in seq.windows(k) {
            *m.entry(w.to_vec()).or_default() += 1;
        }
        m.into_iter().collect()
    }

    fn as_rows(c: &NgramCounts) -> Vec<(Vec<u64>, u64)> {
        let (flat, counts) = c.items();
        flat.chunks(c.order())
            .map(|r| r.to_vec())
            .zip(counts)
            .collect()
    }

    #[test]
    fn chunked_equals_whole_for_every_split() {
        let seq: Vec<u64> = (0..200u64).map(|i| (i * i * 7 + i / 3) % 11).collect();
        for k in 1..=MAX_ORDER {
            let want = brute(&seq, k);
            for split in [0, 1, 2, 5, 99, 199, 200] {
                let mut a = NgramCounts::new(k).unwrap();
                a.update_codes(&seq[..split], &NEVER).unwrap();
                let mut b = NgramCounts::new(k).unwrap();
                b.update_codes(&seq[split..], &NEVER).unwrap();
                let merged = a.clone().merge(b, &NEVER).unwrap();
                assert_eq!(as_rows(&merged), want, "order {k} split {split} (merge)");
                a.update_codes(&seq[split..], &NEVER).unwrap();
                assert_eq!(as_rows(&a), want, "order {k} split {split} (update)");
            }
        }
    }

    #[test]
    fn tiny_pieces_and_wide_symbols() {
        let seq: Vec<u64> = (0..60u64)
            .map(|i| if i % 7 == 0 { u64::MAX - i } else { i % 5 })
            .collect();
        for k in [2, 3, 8] {
            let mut c = NgramCounts::new(k).unwrap();
            for piece in seq.chunks(1) {
                let one = {
                    let mut p = NgramCounts::new(k).unwrap();
                    p.update_codes(piece, &NEVER).unwrap();
                    p
                };
                c = c.merge(one, &NEVER).unwrap();
            }
            assert_eq!(as_rows(&c), brute(&seq, k));
            let (flat, counts) = c.items();
            let back = NgramCounts::from_parts(
                k,
                &flat,
                &counts,
                c.head.clone(),
                c.tail.clone(),
                c.len,
                0,
            )
            .unwrap();
            assert_eq!(as_rows(&back), brute(&seq, k));
        }
    }

    #[test]
    fn documents_never_share_an_ngram() {
        // Documents of lengths 0..9 (wide symbols every few docs), split across pieces
        // at every position: counts equal the sum of each document's own windows.
        let docs: Vec<Vec<u64>> = (0..10u64)
            .map(|d| {
                (0..d)
                    .map(|i| {
                        if d % 4 == 3 {
                            u64::MAX - i
                        } else {
                            (i * d) % 3
                        }
                    })
                    .collect()
            })
            .collect();
        let seq: Vec<u64> = docs.concat();
        let mut starts = vec![0usize];
        for d in &docs {
            starts.push(starts.last().unwrap() + d.len());
        }
        starts.pop();
        for k in [1, 2, 3, 5] {
            let mut want: std::collections::BTreeMap<Vec<u64>, u64> = Default::default();
            for d in &docs {
                for (row, c) in brute(d, k) {
                    *want.entry(row).or_default() += c;
                }
            }
            let want: Vec<_> = want.into_iter().collect();
            for cut in 0..=seq.len() {
                let mut c = NgramCounts::new(k).unwrap();
                let first: Vec<usize> = starts.iter().copied().filter(|&p| p <= cut).collect();
                let rest: Vec<usize> = starts
                    .iter()
                    .filter(|&&p| p > cut)
                    .map(|&p| p - cut)
                    .collect();
                c.update_documents(&seq[..cut], &first, &NEVER).unwrap();
                c.update_documents(&seq[cut..], &rest, &NEVER).unwrap();
                assert_eq!(as_rows(&c), want, "order {k} cut {cut}");
            }
        }
    }
}
