//! Exact n-gram counts of symbol streams, mergeable across chunks (n-grams that cross a
//! chunk boundary included), with document boundaries that no n-gram crosses.
//!
//! Design. An n-gram of order k is packed into one integer key, last symbol lowest: a
//! `u64` with `w = 64 / k` bits per symbol (k = 1: the symbol itself) while every symbol
//! fits, else a `u128` with `w = min(64, 128 / k)`, else "wide" keys holding the symbols
//! (hash maps; the table converts once, when a symbol first does not fit). Symbols are the
//! labels' 64-bit two's-complement patterns, so keys do not depend on chunking or dtype.
//! Counting is radix-partitioned (`partition`): each batch of windows is scanned in
//! parallel and its keys are scattered into 4096 partitions by their (k-1)-prefix (or
//! their first symbol, for a counter partitioned by first symbol; see `Key::part`);
//! later (when pending keys outnumber the stored pairs and 256 MiB and a sample shows most
//! of them are repeats, when they reach 1 GiB, or when counts are read) each partition is
//! counted in a hash table that stays in the L2 cache and kept as compact (key, count)
//! pairs. Partitioning by prefix keeps every n-gram with its prefix, so the prefix counts
//! of `fingerprints` are partition-local. Memory: 16 (u64 keys) or 32 bytes per distinct
//! n-gram, plus pending keys (8 or 16 bytes each): about 256 MiB plus one batch when most
//! are repeats, otherwise a few times the distinct n-grams' memory (at most 1 GiB or the
//! pairs' memory); never proportional to the input or to V^k.

use super::fingerprint::Fingerprint;
use super::joint::column_range;
use super::partition::{Counter, Key, Run, Scan, Scratch};
use crate::cancel::{Cancel, NEVER};
use crate::error::{Error, Result};
use crate::labels::{bits64, Domain, Label, Labels};
use crate::{pool, with_labels};
use hashbrown::HashMap;
use ndarray::{s, ArrayView1};
use rayon::prelude::*;

/// Longest n-gram order supported.
pub const MAX_ORDER: usize = 8;
/// Fixed number of shards of the wide tables, so that they merge shard by shard.
const WIDE_SHARDS: usize = 16;
/// Symbols scanned between cancellation checks.
const CHECK_EVERY: usize = 1 << 16;
/// Windows per parallel batch (each thread scatters its share into one run).
const BATCH: usize = 1 << 24;
/// Fewer windows than this are counted on the calling thread.
const SMALL: usize = 1 << 16;

type WideShards = Vec<HashMap<Box<[u64]>, u64>>;

#[derive(Debug, Clone)]
pub(super) enum Table {
    /// Keys packed in a `u64`, `width64(k)` bits per symbol.
    N64(Counter<u64>),
    /// Keys packed in a `u128`, `width128(k)` bits per symbol.
    N128(Counter<u128>),
    Wide(WideShards),
}

fn width64(k: usize) -> u32 {
    if k == 1 {
        64
    } else {
        64 / k as u32
    }
}

fn width128(k: usize) -> u32 {
    (128 / k as u32).min(64)
}

fn fits(max_symbol: u64, w: u32) -> bool {
    w >= 64 || max_symbol < 1u64 << w
}

/// Partition key of an n-gram key (`key >> shift`): its (k-1)-prefix, or its first symbol
/// (`by_first`); unigrams (empty prefix) the symbol itself.
fn shift_of(k: usize, w: u32, by_first: bool) -> u32 {
    if k == 1 {
        0
    } else if by_first {
        w * (k as u32 - 1)
    } else {
        w
    }
}

/// Streaming, mergeable counts of the n-grams of order `order` of a symbol stream.
#[derive(Debug, Clone)]
pub struct NgramCounts {
    order: usize,
    pub(super) table: Table,
    /// Partitions hold every n-gram of a first symbol (else of a (k-1)-prefix), so that
    /// the prefixes of every length are partition-local (see `tower`).
    by_first: bool,
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

/// What `NgramCounts::settle` needs to undo a change.
pub(crate) struct Checkpoint {
    /// Pending runs of the held counter before the change.
    mark: usize,
    /// A copy of wide tables.
    wide: Option<WideShards>,
    head: Vec<u64>,
    tail: Vec<u64>,
    len: u64,
    sign_flags: u8,
}

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

fn shard_of_wide(prefix: &[u64]) -> usize {
    let h = prefix.iter().fold(0u64, |h, &s| {
        h.rotate_left(23) ^ s.wrapping_mul(0xA24B_AED4_963E_E407)
    });
    (h.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60) as usize
}

pub fn check_order(order: usize) -> Result<()> {
    if order == 0 || order > MAX_ORDER {
        return Err(Error::value(
            "order",
            format!("expected an integer between 1 and {MAX_ORDER}, got {order}"),
        ));
    }
    Ok(())
}

/// The key of a row of `k` symbols, `w` bits each.
pub(super) fn pack<K: Key>(row: &[u64], w: u32) -> K {
    row.iter().fold(K::ZERO, |acc, &s| {
        if w >= K::BITS {
            K::from_u64(s)
        } else {
            acc.shl_or(w, s)
        }
    })
}

/// Append the `k` symbols of `key` (`w` bits each) to `out`.
fn unpack<K: Key>(key: K, k: usize, w: u32, out: &mut Vec<u64>) {
    let mask = if w >= 64 { u64::MAX } else { (1u64 << w) - 1 };
    for j in (0..k).rev() {
        let shift = w * j as u32;
        let sym = if shift >= K::BITS {
            0
        } else {
            key.shr(shift).low64()
        };
        out.push(sym & mask);
    }
}

/// Every (key, count) pair of a counter, in no order.
fn all_pairs<K: Key>(c: &Counter<K>) -> Vec<(K, u64)> {
    let mut parts = c
        .par_partitions(&NEVER, Vec::new, |v: &mut Vec<(K, u64)>, p| {
            v.extend_from_slice(p)
        })
        .expect("a counter that cannot be interrupted");
    let mut all = parts.pop().unwrap_or_default();
    all.reserve(parts.iter().map(|p| p.len()).sum());
    for p in parts {
        all.extend(p);
    }
    all
}

/// The windows of order `k` whose starts lie in `lo..hi` and that lie within one segment
/// of `syms` (`breaks`, sorted, are where segments start), as keys of `w` bits per symbol;
/// their partition keys are `key >> shift`.
struct Windows<'a, T> {
    syms: &'a [T],
    breaks: &'a [usize],
    lo: usize,
    hi: usize,
    k: usize,
    w: u32,
    shift: u32,
    cancel: &'a Cancel,
}

impl<T: Label> Windows<'_, T> {
    fn each<K: Key, F: FnMut(K)>(&self, mut f: F) -> Result<()> {
        let (k, w, n) = (self.k, self.w, self.syms.len());
        let mask = K::low_mask(w * k as u32);
        // The segment holding window start `lo`, then the following ones.
        let mut bi = self.breaks.partition_point(|&b| b <= self.lo);
        let mut seg_start = if bi == 0 { 0 } else { self.breaks[bi - 1] };
        loop {
            let seg_end = self.breaks.get(bi).map_or(n, |&b| b.min(n));
            let a = self.lo.max(seg_start);
            let b = (seg_end + 1).saturating_sub(k).min(self.hi);
            for start in (a..b).step_by(CHECK_EVERY) {
                self.cancel.check()?;
                let end = (start + CHECK_EVERY).min(b);
                let piece = &self.syms[start..end + k - 1];
                if k == 1 {
                    piece.iter().for_each(|&s| f(K::from_u64(bits64(s))));
                } else {
                    let mut key = K::ZERO;
                    for &s in &piece[..k - 1] {
                        key = key.shl_or(w, bits64(s));
                    }
                    for &s in &piece[k - 1..] {
                        key = key.shl_or(w, bits64(s)).and(mask);
                        f(key);
                    }
                }
            }
            if bi >= self.breaks.len() || seg_end >= self.hi {
                return Ok(());
            }
            seg_start = seg_end;
            bi += 1;
        }
    }
}

impl<T: Label, K: Key> Scan<K> for Windows<'_, T> {
    fn shift(&self) -> u32 {
        self.shift
    }
    fn scan<F: FnMut(K)>(&self, f: F) -> Result<()> {
        self.each(f)
    }
}

/// Count the windows of `syms` (see [`Windows`]) into `counter`.
fn count_into<T: Label, K: Key>(
    counter: &mut Counter<K>,
    syms: &[T],
    breaks: &[usize],
    k: usize,
    w: u32,
    cancel: &Cancel,
) -> Result<()> {
    let n_windows = syms.len() + 1 - k;
    let shift = counter.shift();
    let windows = |lo: usize, hi: usize| Windows {
        syms,
        breaks,
        lo,
        hi,
        k,
        w,
        shift,
        cancel,
    };
    if n_windows < SMALL {
        return windows(0, n_windows).each(|key| counter.push(key));
    }
    let parts = pool::num_threads().max(1);
    for lo in (0..n_windows).step_by(BATCH) {
        let hi = (lo + BATCH).min(n_windows);
        let per = (hi - lo).div_ceil(parts);
        let runs: Vec<Run<K>> = pool::install(|| {
            (0..parts)
                .into_par_iter()
                .map(|p| {
                    let win = windows((lo + p * per).min(hi), (lo + (p + 1) * per).min(hi));
                    Run::build(&win)
                })
                .collect::<Result<_>>()
        })?;
        counter.add_runs(runs);
    }
    Ok(())
}

/// Fingerprints of the counts of the distinct n-grams of a counter and of their prefixes
/// (`key >> w`), gathered partition by partition: no vector of counts is ever built.
fn fingerprints_of<K: Key>(
    c: &Counter<K>,
    with_prefixes: bool,
    w: u32,
    cancel: &Cancel,
) -> Result<(Fingerprint, Fingerprint)> {
    let states = c.par_partitions(
        cancel,
        || {
            (
                Fingerprint::new(),
                Fingerprint::new(),
                Scratch::<K>::default(),
            )
        },
        |(grams, prefixes, scratch), pairs| {
            grams.extend(pairs.iter().map(|p| p.1));
            if with_prefixes {
                scratch.reset_for(0, pairs.len());
                scratch.add_prefixes(pairs.iter(), pairs.len(), w);
                scratch.learn(0, pairs.len());
                prefixes.extend(scratch.drain().iter().map(|p| p.1));
            }
        },
    )?;
    let (mut grams, mut prefixes) = (Fingerprint::new(), Fingerprint::new());
    for (g, p, _) in &states {
        grams.merge(g);
        prefixes.merge(p);
    }
    c.note_support(grams.bins() as usize);
    Ok((grams, prefixes))
}

/// The state of an [`NgramCounts`] as plain vectors (what pickling writes).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NgramParts {
    pub order: usize,
    /// The distinct n-grams as rows of `order` symbols (row-major), sorted.
    pub ngrams: Vec<u64>,
    pub counts: Vec<u64>,
    /// The first `min(len, order - 1)` symbols of the stream, and as many last ones (for
    /// counts of documents, the last of the open document only: at most as many).
    pub head: Vec<u64>,
    pub tail: Vec<u64>,
    /// Symbols seen.
    pub len: u64,
    pub sign_flags: u8,
}

impl NgramCounts {
    pub fn new(order: usize) -> Result<Self> {
        Self::with_partitions(order, false)
    }

    /// Counts whose partitions hold every n-gram of a first symbol (see `by_first`).
    pub fn by_first_symbol(order: usize) -> Result<Self> {
        Self::with_partitions(order, true)
    }

    fn with_partitions(order: usize, by_first: bool) -> Result<Self> {
        check_order(order)?;
        Ok(NgramCounts {
            order,
            table: Table::N64(Counter::new(shift_of(order, width64(order), by_first))),
            by_first,
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
            Table::N64(c) => c.support(),
            Table::N128(c) => c.support(),
            Table::Wide(s) => s.iter().map(|m| m.len()).sum(),
        }
    }
    pub fn head(&self) -> &[u64] {
        &self.head
    }
    pub fn tail(&self) -> &[u64] {
        &self.tail
    }

    /// Symbols of a wide key that choose its shard.
    fn wide_prefix(&self) -> usize {
        if self.by_first {
            1
        } else {
            self.order - 1
        }
    }

    /// Bits per symbol of the packed keys (64 for wide keys).
    pub(super) fn width(&self) -> u32 {
        match &self.table {
            Table::N64(_) => width64(self.order),
            Table::N128(_) | Table::Wide(_) => width128(self.order),
        }
    }

    /// The largest symbol the table's keys hold.
    pub(crate) fn symbol_limit(&self) -> u64 {
        let w = match &self.table {
            Table::N64(_) => width64(self.order),
            Table::N128(_) => width128(self.order),
            Table::Wide(_) => 64,
        };
        if w >= 64 {
            u64::MAX
        } else {
            (1 << w) - 1
        }
    }

    /// Switch to a key representation that holds symbols up to `max_symbol`.
    pub(crate) fn make_fit(&mut self, max_symbol: u64) {
        let k = self.order;
        let rank = if fits(max_symbol, width64(k)) {
            0
        } else if fits(max_symbol, width128(k)) {
            1
        } else {
            2
        };
        self.raise_to(rank);
    }

    fn rank(&self) -> u8 {
        match self.table {
            Table::N64(_) => 0,
            Table::N128(_) => 1,
            Table::Wide(_) => 2,
        }
    }

    /// Convert the table to representation `rank` (0: u64 keys, 1: u128, 2: wide) when it
    /// is narrower (the conversion is exact: narrower keys always fit wider ones).
    fn raise_to(&mut self, rank: u8) {
        let k = self.order;
        if rank >= 1 {
            if let Table::N64(c) = &self.table {
                let (w, w2) = (width64(k), width128(k));
                let mut row = Vec::with_capacity(k);
                let pairs: Vec<(u128, u64)> = all_pairs(c)
                    .into_iter()
                    .map(|(key, n)| {
                        row.clear();
                        unpack(key, k, w, &mut row);
                        (pack(&row, w2), n)
                    })
                    .collect();
                let shift = shift_of(k, w2, self.by_first);
                self.table = Table::N128(Counter::from_pairs(&pairs, shift));
            }
        }
        if rank >= 2 && !matches!(self.table, Table::Wide(_)) {
            let (flat, counts) = self.items();
            let mut wide: WideShards = vec![HashMap::new(); WIDE_SHARDS];
            let plen = self.wide_prefix();
            for (row, n) in flat.chunks(k).zip(counts) {
                wide[shard_of_wide(&row[..plen])].insert(row.into(), n);
            }
            self.table = Table::Wide(wide);
        }
    }

    /// Count every window of `syms` that lies within one segment; `breaks` (sorted) are the
    /// positions where a new segment (document) starts; every symbol is <= `max_symbol`.
    fn count_windows<T: Label>(
        &mut self,
        syms: &[T],
        breaks: &[usize],
        max_symbol: u64,
        cancel: &Cancel,
    ) -> Result<()> {
        let k = self.order;
        if syms.len() < k {
            return Ok(());
        }
        self.make_fit(max_symbol);
        let plen = self.wide_prefix();
        match &mut self.table {
            Table::N64(c) => count_into(c, syms, breaks, k, width64(k), cancel),
            Table::N128(c) => count_into(c, syms, breaks, k, width128(k), cancel),
            Table::Wide(shards) => {
                let codes: Vec<u64> = syms.iter().map(|&v| bits64(v)).collect();
                let ends = breaks.iter().copied().chain([codes.len()]);
                let mut start = 0;
                for end in ends {
                    let segment = &codes[start..end.clamp(start, codes.len())];
                    for (i, win) in segment.windows(k).enumerate() {
                        if i % CHECK_EVERY == 0 {
                            cancel.check()?;
                        }
                        let shard = shard_of_wide(&win[..plen]);
                        *shards[shard].entry(win.into()).or_insert(0) += 1;
                    }
                    start = start.max(end);
                }
                cancel.check()
            }
        }
    }

    /// Count the windows of a few codes (stream seams).
    fn count_seam(&mut self, codes: &[u64], cancel: &Cancel) -> Result<()> {
        let max_symbol = codes.iter().copied().max().unwrap_or(0);
        self.count_windows(codes, &[], max_symbol, cancel)
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
        let max_symbol = if syms.len() < SMALL {
            syms.iter().copied().max()
        } else {
            pool::install(|| syms.par_iter().copied().max())
        };
        let max_symbol = max_symbol.unwrap_or(0);
        self.update_slice(syms, starts, max_symbol, cancel)
    }

    /// `update_documents` for symbols of any dtype, all at most `max_symbol` (a caller
    /// that knows it spares a pass).
    pub(crate) fn update_slice<T: Label>(
        &mut self,
        syms: &[T],
        starts: &[usize],
        max_symbol: u64,
        cancel: &Cancel,
    ) -> Result<()> {
        if starts.windows(2).any(|w| w[0] > w[1]) || starts.last() > Some(&syms.len()) {
            return Err(Error::value(
                "offsets",
                "expected non-decreasing document starts within the ids",
            ));
        }
        let k = self.order;
        let code = |s: &[T]| s.iter().map(|&v| bits64(v)).collect::<Vec<u64>>();
        let first = starts.first().map_or(syms.len(), |&p| p);
        // Windows that start in the old tail and end in the continued document.
        let lead = first.min(k - 1);
        let mut boundary = self.tail.clone();
        boundary.extend(code(&syms[..lead]));
        self.count_seam(&boundary, cancel)?;
        self.count_windows(syms, starts, max_symbol, cancel)?;
        // Head: the first k-1 symbols of the whole stream.
        if self.head.len() < k - 1 {
            let need = (k - 1 - self.head.len()).min(syms.len());
            self.head.extend(code(&syms[..need]));
        }
        // Tail: the last k-1 symbols of the last document.
        let mut tail = match starts.last() {
            Some(&p) => code(&syms[p.max(syms.len().saturating_sub(k - 1))..]),
            None => {
                let mut t = std::mem::take(&mut self.tail);
                t.extend(code(&syms[syms.len().saturating_sub(k - 1)..]));
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

    /// Append labels of any integer dtype. On an error (Ctrl-C included) part of `x` may
    /// have been counted: for counts that are thrown away then (one-shot entropies); see
    /// `update_whole`.
    pub fn update(&mut self, x: &Labels<'_>, cancel: &Cancel) -> Result<()> {
        if x.is_empty() {
            return Ok(());
        }
        let (flags, max_symbol) = self.admit(x, cancel)?;
        self.sign_flags = flags;
        with_labels!(x, v => self.update_view(v.view(), max_symbol, cancel))
    }

    /// `update`, all or nothing: on an error (Ctrl-C included) the counts stay as they
    /// were. Pending keys are not counted into the state during the update (they can be
    /// dropped), so its memory peaks at 8 or 16 bytes per window of `x`.
    pub fn update_whole(&mut self, x: &Labels<'_>, cancel: &Cancel) -> Result<()> {
        if x.is_empty() {
            return Ok(());
        }
        let (flags, max_symbol) = self.admit(x, cancel)?;
        self.make_fit(max_symbol);
        let saved = self.checkpoint();
        self.sign_flags = flags;
        let done = with_labels!(x, v => self.update_view(v.view(), max_symbol, cancel));
        self.settle(saved, done)
    }

    /// The sign flags and the largest symbol code of counts that took `x` too (nothing is
    /// changed).
    fn admit(&self, x: &Labels<'_>, cancel: &Cancel) -> Result<(u8, u64)> {
        let (lo, hi) = column_range(x, cancel)?;
        let flags = match x.domain() {
            Domain::Signed if lo < 1 << 63 => NEGATIVE,
            Domain::Unsigned if hi >= 1 << 63 => HUGE_UNSIGNED,
            _ => 0,
        };
        let flags = check_flags(self.sign_flags | flags, "seq")?;
        // Largest symbol code: negative labels have codes of 2^63 and more.
        let max_symbol = match x.domain() {
            Domain::Signed if lo < 1 << 63 => u64::MAX,
            domain => domain.value(hi) as u64,
        };
        Ok((flags, max_symbol))
    }

    /// Start a change that `settle` keeps or undoes. The table must already fit every
    /// symbol of the change (`make_fit`): a conversion moves the pending keys.
    pub(crate) fn checkpoint(&mut self) -> Checkpoint {
        let (mark, wide) = match &mut self.table {
            Table::N64(c) => (c.hold(), None),
            Table::N128(c) => (c.hold(), None),
            // Hash-map counts cannot drop what was added: keep a copy (symbols that
            // pass 128-bit keys: past 2^42 at order 3; TokenStats codes past 65 535 types
            // at order 8 and 262 143 at order 7, where each update copies the table).
            Table::Wide(shards) => (0, Some(shards.clone())),
        };
        Checkpoint {
            mark,
            wide,
            head: self.head.clone(),
            tail: self.tail.clone(),
            len: self.len,
            sign_flags: self.sign_flags,
        }
    }

    /// End the change started at `saved`: kept when `done` is `Ok`, undone otherwise.
    pub(crate) fn settle(&mut self, saved: Checkpoint, done: Result<()>) -> Result<()> {
        self.finish(saved, done.is_ok());
        done
    }

    /// End the change started at `saved`: kept or undone.
    pub(crate) fn finish(&mut self, saved: Checkpoint, keep: bool) {
        match (&mut self.table, keep) {
            (Table::N64(c), true) => c.release(),
            (Table::N128(c), true) => c.release(),
            (Table::N64(c), false) => c.rollback(saved.mark),
            (Table::N128(c), false) => c.rollback(saved.mark),
            (Table::Wide(shards), false) => *shards = saved.wide.expect("saved with the table"),
            (Table::Wide(_), true) => {}
        }
        if !keep {
            self.head = saved.head;
            self.tail = saved.tail;
            self.len = saved.len;
            self.sign_flags = saved.sign_flags;
        }
    }

    fn update_view<T: Label>(
        &mut self,
        x: ArrayView1<'_, T>,
        max_symbol: u64,
        cancel: &Cancel,
    ) -> Result<()> {
        if let Some(sl) = x.as_slice() {
            return self.update_slice(sl, &[], max_symbol, cancel);
        }
        // Strided: code the stream piecewise, so the codes cost a slice of the input.
        const PIECE: usize = 1 << 20;
        let n = x.len();
        for start in (0..n).step_by(PIECE) {
            let piece = codes_of(x.slice(s![start..(start + PIECE).min(n)]));
            self.update_slice(&piece, &[], max_symbol, cancel)?;
        }
        Ok(())
    }

    /// Bit flags of the ambiguous symbols seen (for pickling).
    pub fn sign_flags(&self) -> u8 {
        self.sign_flags
    }

    /// `Ok` when `other` can be merged into these counts (the only errors of `merge` other
    /// than cancellation), so that a caller can check before giving its counts away.
    pub fn check_merge(&self, other: &NgramCounts) -> Result<()> {
        if self.order != other.order {
            return Err(Error::value(
                "other",
                format!(
                    "cannot merge n-grams of order {} with order {}",
                    self.order, other.order
                ),
            ));
        }
        debug_assert_eq!(
            self.by_first, other.by_first,
            "merged counts share a layout"
        );
        if self.len.checked_add(other.len).is_none() {
            return Err(Error::value(
                "other",
                "the merged streams would be longer than 2^64 - 1 symbols",
            ));
        }
        check_flags(self.sign_flags | other.sign_flags, "other").map(|_| ())
    }

    /// The counts of `self`'s stream followed by `other`'s stream.
    pub fn merge(mut self, mut other: NgramCounts, cancel: &Cancel) -> Result<NgramCounts> {
        self.check_merge(&other)?;
        self.sign_flags |= other.sign_flags;
        if other.len == 0 {
            return Ok(self);
        }
        if self.len == 0 {
            return Ok(other);
        }
        // Bring both tables to the wider representation of the two.
        let rank = self.rank().max(other.rank());
        self.raise_to(rank);
        other.raise_to(rank);
        match (&mut self.table, other.table) {
            (Table::N64(a), Table::N64(b)) => a.absorb(b),
            (Table::N128(a), Table::N128(b)) => a.absorb(b),
            (Table::Wide(a), Table::Wide(b)) => merge_shards(a, b),
            _ => unreachable!("both tables were made the same kind above"),
        }
        // Windows crossing the seam, then head / tail / len as for a streamed update.
        let k = self.order;
        let mut seam = self.tail.clone();
        seam.extend_from_slice(&other.head);
        self.count_seam(&seam, cancel)?;
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

    /// Fingerprints of the counts of the distinct n-grams, and of their (order-1)-prefixes
    /// over the same windows (`cancel` checked between groups of partitions).
    pub fn fingerprints(&self, cancel: &Cancel) -> Result<(Fingerprint, Fingerprint)> {
        let k = self.order;
        let w = self.width();
        let (ngrams, mut prefixes) = match &self.table {
            Table::N64(c) => fingerprints_of(c, k > 1, w, cancel)?,
            Table::N128(c) => fingerprints_of(c, k > 1, w, cancel)?,
            Table::Wide(shards) => {
                let per_shard: Vec<(Fingerprint, Fingerprint)> = pool::install(|| {
                    shards
                        .par_iter()
                        .map(|m| {
                            cancel.check()?;
                            let mut prefixes: HashMap<&[u64], u64> = HashMap::new();
                            for (key, &c) in m {
                                *prefixes.entry(&key[..k - 1]).or_insert(0) += c;
                            }
                            let (mut a, mut b) = (Fingerprint::new(), Fingerprint::new());
                            a.extend(m.values().copied());
                            b.extend(prefixes.values().copied());
                            Ok((a, b))
                        })
                        .collect::<Result<_>>()
                })?;
                let (mut a, mut b) = (Fingerprint::new(), Fingerprint::new());
                for (x, y) in &per_shard {
                    a.merge(x);
                    b.merge(y);
                }
                (a, b)
            }
        };
        if k == 1 {
            // Every unigram has the empty prefix.
            prefixes = Fingerprint::new();
            prefixes.add(self.n_windows(), 1);
        }
        Ok((ngrams, prefixes))
    }

    /// Distinct n-grams as rows of `order` symbols (row-major) and their counts, sorted.
    pub fn items(&self) -> (Vec<u64>, Vec<u64>) {
        let k = self.order;
        let w = self.width();
        // Packed keys sort as their rows do (first symbol highest).
        fn rows_of<K: Key>(c: &Counter<K>, k: usize, w: u32) -> (Vec<u64>, Vec<u64>) {
            let mut pairs = all_pairs(c);
            pool::install(|| pairs.par_sort_unstable());
            let mut flat = Vec::with_capacity(pairs.len() * k);
            for &(key, _) in &pairs {
                unpack(key, k, w, &mut flat);
            }
            (flat, pairs.into_iter().map(|p| p.1).collect())
        }
        match &self.table {
            Table::N64(c) => rows_of(c, k, w),
            Table::N128(c) => rows_of(c, k, w),
            Table::Wide(shards) => {
                let mut rows: Vec<(&[u64], u64)> = shards
                    .iter()
                    .flat_map(|m| m.iter())
                    .map(|(key, &c)| (&key[..], c))
                    .collect();
                rows.sort_unstable();
                let counts = rows.iter().map(|&(_, c)| c).collect();
                let flat = rows
                    .into_iter()
                    .flat_map(|(s, _)| s.iter().copied())
                    .collect();
                (flat, counts)
            }
        }
    }

    /// The pickled state: `items()`, `head`, `tail`, `len` and the sign flags.
    pub fn to_parts(&self) -> NgramParts {
        let (ngrams, counts) = self.items();
        NgramParts {
            order: self.order,
            ngrams,
            counts,
            head: self.head.clone(),
            tail: self.tail.clone(),
            len: self.len,
            sign_flags: self.sign_flags,
        }
    }

    /// Rebuild from `to_parts()` (the pickled state).
    pub fn from_parts(parts: &NgramParts) -> Result<Self> {
        Self::from_parts_in(parts, false)
    }

    /// As `from_parts`, for counts of documents partitioned by first symbol (see
    /// `by_first_symbol` and `update_documents`).
    pub(crate) fn from_parts_by_first(parts: &NgramParts) -> Result<Self> {
        Self::from_parts_in(parts, true)
    }

    fn from_parts_in(parts: &NgramParts, documents: bool) -> Result<Self> {
        let mut me = NgramCounts::with_partitions(parts.order, documents)?;
        let k = parts.order;
        let total = super::histogram::checked_total(parts.counts.iter().copied())?;
        // A stream has one window per symbol past its first k - 1; documents have none
        // across their starts.
        let windows = parts.len.saturating_add(1).saturating_sub(k as u64);
        // Documents keep as tail only the last symbols of the open document (none once it
        // is closed), so it may be shorter than the head.
        let consistent = parts.ngrams.len() == parts.counts.len() * k
            && parts.head.len() as u64 == parts.len.min(k as u64 - 1)
            && if documents {
                parts.tail.len() <= parts.head.len() && total <= windows
            } else {
                parts.tail.len() == parts.head.len() && total == windows
            };
        if !consistent {
            return Err(Error::value("state", "inconsistent NgramCounts state"));
        }
        me.table = Self::table_of(k, documents, &parts.ngrams, &parts.counts);
        me.head = parts.head.clone();
        me.tail = parts.tail.clone();
        me.len = parts.len;
        me.sign_flags = check_flags(parts.sign_flags, "state")?;
        Ok(me)
    }

    /// The same counts with every symbol `s` written `map(s)` (`map` one to one).
    pub(crate) fn relabel(&self, map: impl Fn(u64) -> u64) -> NgramCounts {
        let (mut flat, counts) = self.items();
        flat.iter_mut().for_each(|s| *s = map(*s));
        NgramCounts {
            order: self.order,
            table: Self::table_of(self.order, self.by_first, &flat, &counts),
            by_first: self.by_first,
            len: self.len,
            head: self.head.iter().map(|&s| map(s)).collect(),
            tail: self.tail.iter().map(|&s| map(s)).collect(),
            sign_flags: self.sign_flags,
        }
    }

    /// A table of the rows `ngrams` (row-major, `k` symbols each) counted `counts` times,
    /// in the narrowest representation that holds them.
    fn table_of(k: usize, by_first: bool, ngrams: &[u64], counts: &[u64]) -> Table {
        let max_symbol = ngrams.iter().copied().max().unwrap_or(0);
        let rows = ngrams.chunks(k).zip(counts.iter().copied());
        if fits(max_symbol, width64(k)) {
            let w = width64(k);
            let pairs: Vec<(u64, u64)> = rows.map(|(r, c)| (pack(r, w), c)).collect();
            Table::N64(Counter::from_pairs(&pairs, shift_of(k, w, by_first)))
        } else if fits(max_symbol, width128(k)) {
            let w = width128(k);
            let pairs: Vec<(u128, u64)> = rows.map(|(r, c)| (pack(r, w), c)).collect();
            Table::N128(Counter::from_pairs(&pairs, shift_of(k, w, by_first)))
        } else {
            let plen = if by_first { 1 } else { k - 1 };
            let mut wide: WideShards = vec![HashMap::new(); WIDE_SHARDS];
            for (row, c) in rows.filter(|&(_, c)| c > 0) {
                *wide[shard_of_wide(&row[..plen])]
                    .entry(row.into())
                    .or_insert(0) += c;
            }
            Table::Wide(wide)
        }
    }
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
                check(&merged, &want, &format!("order {k} split {split} (merge)"));
                a.update_codes(&seq[split..], &NEVER).unwrap();
                check(&a, &want, &format!("order {k} split {split} (update)"));
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
            let back = NgramCounts::from_parts(&c.to_parts()).unwrap();
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

    /// A deterministic pseudo-random stream.
    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        }
    }

    /// Zipf-like symbols below `vocab` (many repeats, a long tail), shifted by `base`.
    fn zipfish(n: usize, vocab: u64, base: u64, seed: u64) -> Vec<u64> {
        let mut r = rng(seed);
        (0..n)
            .map(|_| {
                let u = (r() >> 11) as f64 / (1u64 << 53) as f64;
                base.wrapping_add(((1.0 / (u + 1e-9)).powf(0.9) as u64) % vocab)
            })
            .collect()
    }

    /// Windows of each document (documents given by `starts`) of order `k`.
    fn brute_docs(seq: &[u64], starts: &[usize], k: usize) -> Vec<(Vec<u64>, u64)> {
        let mut m: std::collections::BTreeMap<Vec<u64>, u64> = Default::default();
        let bounds: Vec<usize> = std::iter::once(0)
            .chain(starts.iter().copied())
            .chain([seq.len()])
            .collect();
        for w in bounds.windows(2) {
            for win in seq[w[0]..w[1].max(w[0])].windows(k) {
                *m.entry(win.to_vec()).or_default() += 1;
            }
        }
        m.into_iter().collect()
    }

    fn fingerprint_of(counts: impl IntoIterator<Item = u64>) -> Fingerprint {
        let mut f = Fingerprint::new();
        f.extend(counts);
        f
    }

    /// Everything `c` reports agrees with the windows in `want`.
    fn check(c: &NgramCounts, want: &[(Vec<u64>, u64)], what: &str) {
        let k = c.order();
        assert_eq!(as_rows(c), want, "{what}: items");
        assert_eq!(c.support(), want.len(), "{what}: support");
        let grams = fingerprint_of(want.iter().map(|p| p.1));
        let mut prefixes: std::collections::BTreeMap<&[u64], u64> = Default::default();
        for (row, n) in want {
            *prefixes.entry(&row[..k - 1]).or_default() += n;
        }
        let mut prefixes = fingerprint_of(prefixes.into_values());
        if k == 1 {
            prefixes = fingerprint_of([c.n_windows()]);
        }
        assert_eq!(
            c.fingerprints(&NEVER).unwrap(),
            (grams, prefixes),
            "{what}: fingerprints"
        );
    }

    #[test]
    fn large_streams_match_brute_force_in_every_representation() {
        // Long enough for the parallel, partitioned path; alphabets that fit u64 keys for
        // every order, u128 keys only, and neither (wide keys).
        let n = 150_000;
        let streams = [
            ("small", zipfish(n, 40, 0, 1)),
            ("vocab", zipfish(n, 60_000, 0, 2)),
            ("u128", zipfish(n, 5_000, 1 << 33, 3)),
            ("wide", zipfish(n, 3_000, u64::MAX - 2_999, 4)),
            // One prefix followed by many distinct symbols: a partition counted in parts.
            (
                "hot",
                (0..n as u64)
                    .map(|i| if i % 2 == 0 { 7 } else { i % 60_001 })
                    .collect(),
            ),
        ];
        for (name, seq) in &streams {
            for k in 1..=MAX_ORDER {
                let want = brute_docs(seq, &[], k);
                let mut c = NgramCounts::new(k).unwrap();
                c.update(&Labels::from(&seq[..]), &NEVER).unwrap();
                check(&c, &want, &format!("{name} order {k}"));
                // Pickled state round trip.
                let back = NgramCounts::from_parts(&c.to_parts()).unwrap();
                check(&back, &want, &format!("{name} order {k} from_parts"));
            }
        }
    }

    #[test]
    fn chunks_documents_and_flushes_agree() {
        let mut r = rng(7);
        let base = zipfish(200_000, 30_000, 0, 5);
        for k in [1, 2, 3, 4, 6] {
            // Documents of random lengths, some longer than a chunk, some empty.
            let mut starts = vec![];
            let mut p = 0;
            while p < base.len() {
                starts.push(p);
                p += (r() % 40_000) as usize * (r() % 4 != 0) as usize;
            }
            let want = brute_docs(&base, &starts, k);
            // Streamed in pieces of random sizes, documents cut anywhere.
            let mut c = NgramCounts::new(k).unwrap();
            let mut lo = 0;
            while lo < base.len() {
                let hi = (lo + (r() % 90_000) as usize).min(base.len());
                let local: Vec<usize> = starts
                    .iter()
                    .filter(|&&s| s >= lo && s <= hi)
                    .filter(|&&s| s < hi || hi == base.len())
                    .map(|&s| s - lo)
                    .collect();
                c.update_documents(&base[lo..hi], &local, &NEVER).unwrap();
                lo = hi;
            }
            check(&c, &want, &format!("order {k} streamed"));
            if let Table::N64(counter) = &mut c.table {
                counter.flush();
            }
            check(&c, &want, &format!("order {k} flushed"));
        }
    }

    #[test]
    fn merges_bring_representations_together() {
        let a = zipfish(90_000, 1_000, 0, 8);
        let b = zipfish(80_000, 1_000, 1 << 40, 9);
        let w = zipfish(70_000, 1_000, u64::MAX - 999, 10);
        let orders: [[&Vec<u64>; 3]; 4] = [[&a, &b, &w], [&b, &a, &w], [&w, &b, &a], [&b, &b, &a]];
        for k in [2, 3, 5] {
            for parts in orders {
                let whole: Vec<u64> = parts.iter().flat_map(|p| p.iter().copied()).collect();
                let want = brute_docs(&whole, &[], k);
                let counts: Vec<NgramCounts> = parts
                    .iter()
                    .map(|p| {
                        let mut c = NgramCounts::new(k).unwrap();
                        c.update_codes(p, &NEVER).unwrap();
                        c
                    })
                    .collect();
                let left = counts[0]
                    .clone()
                    .merge(counts[1].clone(), &NEVER)
                    .unwrap()
                    .merge(counts[2].clone(), &NEVER)
                    .unwrap();
                check(&left, &want, &format!("order {k} merged"));
                let right = counts[1].clone().merge(counts[2].clone(), &NEVER).unwrap();
                let right = counts[0].clone().merge(right, &NEVER).unwrap();
                check(&right, &want, &format!("order {k} merged right"));
            }
        }
    }

    #[test]
    fn strided_and_signed_labels() {
        let seq: Vec<i64> = zipfish(100_000, 500, 0, 11)
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                if i % 1000 == 8 {
                    -(v as i64) - 1
                } else {
                    v as i64
                }
            })
            .collect();
        let view = ndarray::ArrayView1::from(&seq[..]);
        let strided = view.slice(s![..;2]);
        let codes: Vec<u64> = strided.iter().map(|&v| v as u64).collect();
        for k in [1, 2, 3] {
            let mut c = NgramCounts::new(k).unwrap();
            c.update(&Labels::from(strided), &NEVER).unwrap();
            check(
                &c,
                &brute_docs(&codes, &[], k),
                &format!("order {k} strided"),
            );
            assert_eq!(c.sign_flags(), NEGATIVE);
        }
    }

    /// Reading entropies checks the cancel flag between groups of partitions: a raised
    /// flag gives `Interrupted` (pending keys and stored pairs alike), a clear one the
    /// fingerprints.
    #[test]
    fn raised_cancel_interrupts_fingerprints() {
        let seq: Vec<u64> = (0..200_000u64).map(|i| (i * 7919) % 5000).collect();
        let mut c = NgramCounts::new(3).unwrap();
        c.update(&Labels::from(&seq[..]), &NEVER).unwrap();
        let raised = Cancel::new();
        raised.raise();
        for flushed in [false, true] {
            if flushed {
                match &mut c.table {
                    Table::N64(counter) => counter.flush(),
                    _ => unreachable!("small symbols pack into u64 keys"),
                }
            }
            assert!(matches!(c.fingerprints(&raised), Err(Error::Interrupted)));
            let (grams, _) = c.fingerprints(&NEVER).unwrap();
            assert_eq!(grams.bins() as usize, brute(&seq, 3).len());
        }
        // Wide keys (symbols past 2^42 at order 3): counting and reading check it too.
        let wide: Vec<u64> = seq.iter().map(|&v| v + (1 << 50)).collect();
        let mut w = NgramCounts::new(3).unwrap();
        let labels = Labels::from(&wide[..]);
        assert!(matches!(
            w.update(&labels, &raised),
            Err(Error::Interrupted)
        ));
        w = NgramCounts::new(3).unwrap();
        w.update(&labels, &NEVER).unwrap();
        assert!(matches!(w.table, Table::Wide(_)));
        assert!(matches!(w.fingerprints(&raised), Err(Error::Interrupted)));
        assert_eq!(
            w.fingerprints(&NEVER).unwrap(),
            c.fingerprints(&NEVER).unwrap()
        );
    }

    /// A change started by `checkpoint` is undone by `settle` on an error (pending runs of
    /// several batches, loose keys, head, tail, length; copied wide tables too) and kept
    /// on success, equal to counting both pieces in one stream.
    #[test]
    fn settle_undoes_or_keeps_a_change() {
        for big in [0u64, 1 << 50] {
            let first: Vec<u64> = (0..100_000u64).map(|i| big + (i * 7919) % 5000).collect();
            let second: Vec<u64> = (0..300_000u64)
                .map(|i| big + (i * 104_729) % 70_000)
                .collect();
            let mut c = NgramCounts::new(3).unwrap();
            c.update(&Labels::from(&first[..]), &NEVER).unwrap();
            let before = (as_rows(&c), c.len(), c.head().to_vec(), c.tail().to_vec());
            for keep in [false, true] {
                c.make_fit(big + 70_000);
                let saved = c.checkpoint();
                c.update(&Labels::from(&second[..]), &NEVER).unwrap();
                let done = if keep {
                    Ok(())
                } else {
                    Err(Error::Interrupted)
                };
                assert_eq!(c.settle(saved, done).is_ok(), keep);
                if !keep {
                    let after = (as_rows(&c), c.len(), c.head().to_vec(), c.tail().to_vec());
                    assert_eq!(after, before, "big {big}: rolled back");
                }
            }
            let both = [&first[..], &second[..]].concat();
            let whole = count_ngrams(&Labels::from(&both[..]), 3, &NEVER).unwrap();
            assert_eq!(as_rows(&c), as_rows(&whole), "big {big}: kept");
            assert_eq!((c.len(), c.tail()), (whole.len(), whole.tail()));
        }
    }
}
