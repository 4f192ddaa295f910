//! Radix-partitioned exact counting of integer keys (`u64` or `u128`), built for inputs
//! whose distinct keys do not fit any cache.
//!
//! Every key belongs to one of [`PARTS`] partitions, picked by its *partition key*
//! (`key >> shift`; for n-grams the prefix or the first symbol): the key's low 12 bits xor
//! a hash of the bits above them ([`Key::part`]), so that one partition's keys sort without
//! those 12 bits ([`compact_sort_key`]). Partitions come in [`GROUPS`] groups, the unit of
//! parallel work. A [`Counter`] holds
//!
//! * the counted state: the distinct `(key, count)` pairs, stored compactly, partition
//!   after partition, in a few large buffers (one per worker of the last rewrite);
//! * pending keys: [`Run`]s of keys grouped by partition (a two-pass counting sort of
//!   each batch of input), not yet counted.
//!
//! Counting a partition adds its stored pairs and its pending keys into a small hash table
//! ([`Scratch`]) that stays in the L2 cache (a partition expected to hold more keys than
//! fit is first split by another part of the key hash), then writes the pairs out: no
//! probe goes to DRAM, which probes into one large table would do for almost every new
//! key. Pending keys are counted into the state ("flushed") only once they outnumber the
//! stored pairs and a constant and a sample shows that most are repeats (a flush rewrites
//! the state, and frees memory only then), or once they reach 1 GiB; queries
//! ([`Counter::par_partitions`]) combine stored and pending keys on the fly. Large buffers
//! ask for transparent huge pages: in a virtual machine, touching fresh memory page by
//! page costs more than filling it. The partition layout is a fixed constant, so counters
//! built anywhere merge partition by partition.

use super::radix;
use super::table::prefetch;
use crate::cancel::{Cancel, NEVER};
use crate::error::Result;
use crate::pool;
use rayon::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

/// log2 of the number of partitions.
pub const PART_BITS: u32 = 12;
/// Number of partitions (fixed, so that counters built anywhere merge partition by partition).
pub const PARTS: usize = 1 << PART_BITS;
/// Number of groups of partitions (each group is one allocation and one unit of work).
pub const GROUPS: usize = 64;
const PER_GROUP: usize = PARTS / GROUPS;

/// Keys that can be counted: plain unsigned integers.
pub trait Key: Copy + Eq + Ord + Send + Sync + std::fmt::Debug + 'static {
    const ZERO: Self;
    const BITS: u32;
    fn from_u64(v: u64) -> Self;
    /// The low 64 bits.
    fn low64(self) -> u64;
    /// `(self << w) | v` (`w < BITS`).
    fn shl_or(self, w: u32, v: u64) -> Self;
    fn and(self, mask: Self) -> Self;
    fn or(self, other: Self) -> Self;
    fn xor(self, other: Self) -> Self;
    fn leading_zeros(self) -> u32;
    fn shr(self, w: u32) -> Self;
    /// All ones in the low `bits` bits (`bits <= BITS`).
    fn low_mask(bits: u32) -> Self;
    /// `self << w` (`w < BITS`).
    fn shl(self, w: u32) -> Self;
    /// Well-mixed hash for table slots (top bits used).
    fn slot_hash(self) -> u64;
    /// The bits above the low `PART_BITS`, folded to 64 bits.
    fn high_fold(self) -> u64;
    /// The partition of a partition key `x`: its low `PART_BITS` bits xor a hash of the
    /// bits above them, rotated by half so that the lowest bits pick the group. So the
    /// partitions spread any input (labels that are all multiples of 4096 too), small
    /// consecutive keys (the most frequent token ids) fall in different groups (units of
    /// parallel work), and within one partition `x >> PART_BITS` determines `x`, which lets
    /// a partition's keys be sorted without those low bits ([`compact_sort_key`]).
    /// Independent of `slot_hash`.
    #[inline(always)]
    fn part(self) -> usize {
        const HALF: u32 = PART_BITS / 2;
        let spread = self.high_fold().wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - PART_BITS);
        let v = ((self.low64() ^ spread) as usize) & (PARTS - 1);
        ((v << HALF) | (v >> HALF)) & (PARTS - 1)
    }
}

/// The key by which one partition's keys sort (partition keys `key >> shift`): `key`
/// without the low `PART_BITS` bits of its partition key. Within a partition those bits
/// follow from the bits above them ([`Key::part`]), so this maps the partition's keys one
/// to one and in the same order, with `PART_BITS` fewer bits for a radix sort to pass over.
#[inline(always)]
pub fn compact_sort_key<K: Key>(key: K, shift: u32) -> K {
    if shift + PART_BITS >= K::BITS {
        return key;
    }
    key.shr(shift + PART_BITS)
        .shl(shift)
        .or(key.and(K::low_mask(shift)))
}

#[inline(always)]
fn fold_mul(a: u64, b: u64) -> u64 {
    let m = (a as u128) * (b as u128);
    (m as u64) ^ ((m >> 64) as u64)
}

/// The parts of `Key` that are plain integer operations, alike for every width.
macro_rules! integer_key_ops {
    ($t:ty) => {
        const ZERO: Self = 0;
        const BITS: u32 = <$t>::BITS;
        #[inline(always)]
        fn from_u64(v: u64) -> Self {
            v as $t
        }
        #[inline(always)]
        fn low64(self) -> u64 {
            self as u64
        }
        #[inline(always)]
        fn shl_or(self, w: u32, v: u64) -> Self {
            (self << w) | v as $t
        }
        #[inline(always)]
        fn and(self, mask: Self) -> Self {
            self & mask
        }
        #[inline(always)]
        fn or(self, other: Self) -> Self {
            self | other
        }
        #[inline(always)]
        fn xor(self, other: Self) -> Self {
            self ^ other
        }
        #[inline(always)]
        fn leading_zeros(self) -> u32 {
            <$t>::leading_zeros(self)
        }
        #[inline(always)]
        fn shr(self, w: u32) -> Self {
            self >> w
        }
        #[inline(always)]
        fn shl(self, w: u32) -> Self {
            self << w
        }
        fn low_mask(bits: u32) -> Self {
            if bits >= <$t>::BITS {
                <$t>::MAX
            } else {
                (1 << bits) - 1
            }
        }
    };
}

impl Key for u64 {
    integer_key_ops!(u64);
    #[inline(always)]
    fn slot_hash(self) -> u64 {
        fold_mul(self ^ 0x2D35_8DCC_AA6C_78A5, 0x8BB8_4B93_962E_ACC9)
    }
    #[inline(always)]
    fn high_fold(self) -> u64 {
        self >> PART_BITS
    }
}

impl Key for u128 {
    integer_key_ops!(u128);
    #[inline(always)]
    fn slot_hash(self) -> u64 {
        let hi = fold_mul(
            (self >> 64) as u64 ^ 0x1656_67B1_9E37_79F9,
            0xC2B2_AE3D_27D4_EB4F,
        );
        fold_mul(
            self as u64 ^ hi ^ 0x2D35_8DCC_AA6C_78A5,
            0x8BB8_4B93_962E_ACC9,
        )
    }
    #[inline(always)]
    fn high_fold(self) -> u64 {
        let high = self >> PART_BITS;
        (high as u64) ^ ((high >> 64) as u64).wrapping_mul(0xA24B_AED4_963E_E407)
    }
}

/// Ask for transparent huge pages behind a large buffer that is about to be filled. Fresh
/// memory costs one page fault per 4 KiB page otherwise, which in a virtual machine costs
/// more than filling the page (huge pages: one fault per 2 MiB).
pub fn advise_huge<T>(v: &Vec<T>) {
    const HUGE: usize = 2 << 20;
    let bytes = v.capacity() * std::mem::size_of::<T>();
    if bytes < 2 * HUGE {
        return;
    }
    let start = v.as_ptr() as usize;
    let (lo, hi) = (
        (start + HUGE - 1) & !(HUGE - 1),
        (start + bytes) & !(HUGE - 1),
    );
    #[cfg(target_os = "linux")]
    if hi > lo {
        // SAFETY: [lo, hi) lies inside the vector's allocation and is page aligned;
        // MADV_HUGEPAGE only changes how the kernel backs those pages, never their
        // contents, so no Rust value is affected. Failure (no THP) is harmless.
        unsafe {
            libc::madvise(lo as *mut libc::c_void, hi - lo, libc::MADV_HUGEPAGE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (lo, hi);
}

/// An empty vector with room for `cap` elements, huge pages when large.
pub fn with_capacity<T>(cap: usize) -> Vec<T> {
    let v = Vec::with_capacity(cap);
    advise_huge(&v);
    v
}

/// Reusable buffers for sub-partitions.
struct SubBuffers<K> {
    keys: Vec<K>,
    mine: Vec<(K, u64)>,
    theirs: Vec<(K, u64)>,
}

impl<K> Default for SubBuffers<K> {
    fn default() -> Self {
        SubBuffers {
            keys: Vec::new(),
            mine: Vec::new(),
            theirs: Vec::new(),
        }
    }
}

/// An open-addressing (linear probing) table of counts, reused across partitions: sized
/// for one partition, so that it stays in cache. A zero count marks an empty slot.
pub struct Scratch<K: Key> {
    slots: Vec<(K, u64)>,
    /// log2 of the capacity in use (a prefix of `slots`); all other slots are empty.
    bits: u32,
    len: usize,
    /// Output buffer of `drain`.
    out: Vec<(K, u64)>,
    /// Buffers of `combine`'s sub-partitions.
    subs: SubBuffers<K>,
    /// New distinct keys per incoming key, as seen in the last partitions (for sizing).
    ratio: f64,
}

impl<K: Key> Default for Scratch<K> {
    fn default() -> Self {
        Scratch {
            slots: Vec::new(),
            bits: 0,
            len: 0,
            out: Vec::new(),
            subs: SubBuffers::default(),
            ratio: 0.5,
        }
    }
}

/// Tables of more than `1 << PREFETCH_BITS` slots (128 KiB of `u64` keys) prefetch the
/// slot of a key a few keys ahead; smaller ones sit in the L1 or L2 cache, where the
/// prefetch only costs a second hash per key (metrics of the 50 MB report: 0.2185 s ->
/// 0.2115 s of CPU, median of 10 fresh processes).
const PREFETCH_BITS: u32 = 13;

impl<K: Key> Scratch<K> {
    /// Empty the table (it must be drained) and size it for about `expect` keys (it
    /// grows past that as needed: a table sized for far more keys than it receives would
    /// spill out of the cache).
    pub fn reset(&mut self, expect: usize) {
        debug_assert_eq!(self.len, 0);
        let cap = (expect + expect / 3 + 16).next_power_of_two();
        if self.slots.len() < cap {
            self.slots = vec![(K::ZERO, 0); cap];
        }
        self.bits = cap.trailing_zeros();
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Expected distinct keys after adding `incoming` keys to `distinct` known ones: about
    /// the share seen new lately are new.
    pub fn expect(&self, distinct: usize, incoming: usize) -> usize {
        distinct + (incoming as f64 * self.ratio) as usize
    }

    /// `reset` for `distinct` known keys plus `incoming` keys.
    pub fn reset_for(&mut self, distinct: usize, incoming: usize) {
        self.reset(self.expect(distinct, incoming));
    }

    /// Learn the share of new keys: the table held `base` keys before `incoming` more.
    pub fn learn(&mut self, base: usize, incoming: usize) {
        if incoming > 0 {
            let r = self.len.saturating_sub(base) as f64 / incoming as f64;
            self.ratio = 0.5 * self.ratio + 0.5 * r.min(1.0);
        }
    }

    fn grow(&mut self) {
        let live = self.drain().to_vec();
        self.reset(live.len() * 2);
        for (k, c) in live {
            self.add_new(k, c);
        }
    }

    /// Add a key known to be absent (the pairs of one partition are distinct).
    #[inline(always)]
    pub fn add_new(&mut self, key: K, c: u64) {
        if 4 * self.len >= 3 << self.bits {
            self.grow();
        }
        let mask = (1usize << self.bits) - 1;
        let mut i = (key.slot_hash() >> (64 - self.bits)) as usize;
        while self.slots[i].1 != 0 {
            i = (i + 1) & mask;
        }
        self.slots[i] = (key, c);
        self.len += 1;
    }

    /// Add one to the count of each key.
    pub fn add_keys(&mut self, mut keys: &[K]) {
        // As `add_all`, specialised for slices (indexing beats a second iterator).
        const AHEAD: usize = 8;
        while !keys.is_empty() {
            let limit = (3usize << self.bits) / 4;
            if self.len >= limit {
                self.grow();
                continue;
            }
            let (now, rest) = keys.split_at((limit - self.len).min(keys.len()));
            keys = rest;
            let bits = self.bits;
            let mask = (1usize << bits) - 1;
            let slots = &mut self.slots[..=mask];
            let mut len = self.len;
            let far = bits > PREFETCH_BITS;
            for (j, &key) in now.iter().enumerate() {
                if far {
                    if let Some(&next) = now.get(j + AHEAD) {
                        prefetch(&slots[(next.slot_hash() >> (64 - bits)) as usize]);
                    }
                }
                let mut i = (key.slot_hash() >> (64 - bits)) as usize;
                loop {
                    let (k, n) = slots[i];
                    if std::hint::black_box((n == 0) | (k == key)) {
                        slots[i] = (key, n + 1);
                        len += (n == 0) as usize;
                        break;
                    }
                    i = (i + 1) & mask;
                }
            }
            self.len = len;
        }
    }

    /// Add each `(key, count)` (counts > 0).
    pub fn add_pairs(&mut self, pairs: &[(K, u64)]) {
        self.add_all(pairs.iter().copied(), pairs.len());
    }

    /// Add each count to the count of its key's prefix `key >> shift` (`n` pairs).
    pub fn add_prefixes<'a>(
        &mut self,
        pairs: impl Iterator<Item = &'a (K, u64)> + Clone,
        n: usize,
        shift: u32,
    ) {
        self.add_all(pairs.map(|&(k, c)| (k.shr(shift), c)), n);
    }

    /// Add `n` (key, count > 0) pairs, the table's fields in locals; slots of tables past
    /// `PREFETCH_BITS` are prefetched a few keys ahead (the tables of frequent partitions
    /// can reach the L3 cache).
    #[inline(always)]
    fn add_all(&mut self, pairs: impl Iterator<Item = (K, u64)> + Clone, n: usize) {
        const AHEAD: usize = 8;
        let mut pairs = pairs;
        let mut left = n;
        while left > 0 {
            let limit = (3usize << self.bits) / 4;
            if self.len >= limit {
                self.grow();
                continue;
            }
            let now = (limit - self.len).min(left);
            left -= now;
            let bits = self.bits;
            let mask = (1usize << bits) - 1;
            let slots = &mut self.slots[..=mask];
            let mut len = self.len;
            // Only far tables read ahead: a near one's keys are hashed once.
            let mut ahead = (bits > PREFETCH_BITS).then(|| pairs.clone().skip(AHEAD));
            for (key, c) in pairs.by_ref().take(now) {
                if let Some((next, _)) = ahead.as_mut().and_then(|a| a.next()) {
                    prefetch(&slots[(next.slot_hash() >> (64 - bits)) as usize]);
                }
                let mut i = (key.slot_hash() >> (64 - bits)) as usize;
                loop {
                    let (k, n) = slots[i];
                    // "Empty or this key" as one branch (well predicted: only probing past
                    // another key mispredicts); `black_box` keeps the compiler from
                    // splitting it into two branches, one of which (is the key new?) is a
                    // coin toss.
                    if std::hint::black_box((n == 0) | (k == key)) {
                        slots[i] = (key, n + c);
                        len += (n == 0) as usize;
                        break;
                    }
                    i = (i + 1) & mask;
                }
            }
            self.len = len;
        }
    }

    /// The (key, count) pairs of the table, in table order, left in place.
    pub fn live(&self) -> impl Iterator<Item = &(K, u64)> {
        self.slots[..1usize << self.bits]
            .iter()
            .filter(|slot| slot.1 != 0)
    }

    /// Empty the table.
    pub fn clear(&mut self) {
        if self.len > 0 {
            self.slots[..1usize << self.bits].fill((K::ZERO, 0));
        }
        self.len = 0;
    }

    /// Append the (key, count) pairs of the table to `dest`, in table order; the table is
    /// left empty. (`drain` without the copy out of its own buffer.)
    pub fn drain_into(&mut self, dest: &mut Vec<(K, u64)>) {
        let cap = 1usize << self.bits;
        if self.len > 0 {
            // Writes land at `j` <= live slots seen so far <= `len`: room for `len + 1`.
            dest.reserve(self.len + 1);
            let at = dest.len();
            let spare = &mut dest.spare_capacity_mut()[..self.len + 1];
            // Branch-free compaction: every slot is written at `j`, only live ones advance it.
            let mut j = 0;
            for slot in &self.slots[..cap] {
                spare[j].write(*slot);
                j += (slot.1 != 0) as usize;
            }
            // SAFETY: each of the first `j` spare slots was last written with a live slot
            // (`j` moves past a position only after such a write).
            unsafe { dest.set_len(at + j) };
        }
        self.clear();
    }

    /// The (key, count) pairs of the table, in table order (valid until the next change);
    /// the table is left empty.
    pub fn drain(&mut self) -> &[(K, u64)] {
        let mut out = std::mem::take(&mut self.out);
        out.clear();
        self.drain_into(&mut out);
        self.out = out;
        &self.out
    }
}

/// Keys grouped by partition: partition `q` holds `keys[offsets[q]..offsets[q + 1]]`.
///
/// In plain 4 KiB pages, not huge pages: a run lives as long as its counter, and its
/// memory is fresh. In this project's virtual machines a fresh huge page is cold: 64 MiB
/// of them took 65-135 ms to touch the first time in a process and 6 ms when reused at
/// once (4 KiB pages: 28 ms), as if the host had taken the free 2 MiB blocks back (free
/// page reporting), while small pages come from memory the guest used lately. Runs of
/// the 50 MB report 2 MiB-aligned and advised took 0.31-0.41 s of update CPU against
/// 0.17-0.24 s in plain pages, 3 s after the previous report had freed its memory.
#[derive(Clone)]
pub struct Run<K: Key> {
    keys: Vec<K>,
    offsets: Vec<u32>,
}

/// A source of keys that can be enumerated twice, identically (the two passes of a
/// counting sort); `shift` turns a key into its partition key (`key >> shift`).
pub trait Scan<K: Key> {
    fn shift(&self) -> u32;
    fn scan<F: FnMut(K)>(&self, f: F) -> crate::Result<()>;
}

/// Keys of a slice.
pub struct SliceScan<'a, K> {
    pub keys: &'a [K],
    pub shift: u32,
}

impl<K: Key> Scan<K> for SliceScan<'_, K> {
    fn shift(&self) -> u32 {
        self.shift
    }
    fn scan<F: FnMut(K)>(&self, f: F) -> crate::Result<()> {
        self.keys.iter().copied().for_each(f);
        Ok(())
    }
}

impl<K: Key> Run<K> {
    /// Group the keys of `source` by partition: one pass counts, a second places.
    pub fn build<S: Scan<K>>(source: &S) -> crate::Result<Run<K>> {
        let shift = source.shift();
        let mut sizes = vec![0u32; PARTS];
        source.scan(|key| sizes[key.shr(shift).part()] += 1)?;
        let mut offsets = Vec::with_capacity(PARTS + 1);
        let mut at = Vec::with_capacity(PARTS);
        let mut total = 0u32;
        for &s in &sizes {
            offsets.push(total);
            at.push(total as usize);
            total += s;
        }
        offsets.push(total);
        // Placed without zeroing first (writing twice costs twice), in plain pages: see
        // `Run` on why no huge pages.
        let mut keys = Vec::<K>::with_capacity(total as usize);
        let slots = &mut keys.spare_capacity_mut()[..total as usize];
        source.scan(|key| {
            let q = key.shr(shift).part();
            slots[at[q]].write(key);
            at[q] += 1;
        })?;
        // Each partition's cursor ends where the next partition starts: every slot of
        // `0..total` was written exactly once (a scan that differed from the first would
        // leave a cursor elsewhere).
        assert!(
            at.iter()
                .zip(&offsets[1..])
                .all(|(&a, &end)| a == end as usize),
            "a key source enumerated different keys twice"
        );
        // SAFETY: the first `total` slots are initialised (checked just above).
        unsafe { keys.set_len(total as usize) };
        Ok(Run { keys, offsets })
    }

    pub fn len(&self) -> usize {
        self.keys.len()
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    #[inline]
    fn part(&self, q: usize) -> &[K] {
        &self.keys[self.offsets[q] as usize..self.offsets[q + 1] as usize]
    }

    fn group_len(&self, g: usize) -> usize {
        (self.offsets[(g + 1) * PER_GROUP] - self.offsets[g * PER_GROUP]) as usize
    }
}

/// Where the pairs of one group lie: `chunks[chunk][start..ends[PER_GROUP - 1]]`,
/// partition `s` of the group ending at `ends[s]` (no `ends`: no pairs).
#[derive(Clone, Default)]
struct GroupLoc {
    chunk: usize,
    start: usize,
    ends: Vec<usize>,
}

/// Exact counts of keys, partitioned (see the module documentation).
#[derive(Clone)]
pub struct Counter<K: Key> {
    /// Stored pairs, in a few large buffers (one per worker of the last rewrite: large
    /// enough to be mapped afresh, so that they get huge pages).
    chunks: Vec<Vec<(K, u64)>>,
    groups: Vec<GroupLoc>,
    runs: Vec<Run<K>>,
    /// Keys of small batches, not yet grouped by partition.
    loose: Vec<K>,
    /// Partition key of a key: `key >> shift`.
    shift: u32,
    /// Distinct keys stored.
    stored: usize,
    /// Pending keys at which to sample their distinct share next (see `add_runs`).
    next_check: usize,
    /// Pending keys are not counted (flushed) while held, so they can be rolled back.
    held: bool,
    /// Distinct keys, stored and pending (counted on demand, while keys are pending).
    support: OnceLock<usize>,
}

impl<K: Key> std::fmt::Debug for Counter<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Counter(stored={}, pending={})",
            self.stored,
            self.pending()
        )
    }
}

/// Counters holding at most this many keys and pairs are read in one piece.
const SMALL_ALL: usize = 1 << 12;
/// Loose keys are grouped into a run once they are this many.
const LOOSE_MAX: usize = 1 << 16;
/// Pending keys are always counted once they take this many bytes and outnumber the
/// stored pairs.
const FLUSH_MAX: usize = 1 << 30;
/// From this many bytes of pending keys (and once they outnumber the stored pairs), a
/// sample of partitions tells whether fewer than half of them are distinct: counting them
/// then frees memory, so they are counted; otherwise they cost no more memory pending
/// than counted (8 bytes per key against 16 per pair), and counting them would only
/// rewrite the state, so they wait (sampled again when they have doubled). So pending
/// keys take at most a constant plus a few times the distinct keys' memory. 256 MiB:
/// with 64 MiB, the 4-grams of 50 MB of code (12.8 M tokens, mostly repeats) were flushed
/// once mid-stream, which cost more than the whole summary saved (the report's metric
/// time rose by a third). Tests use a smaller value, so that they stay small.
#[cfg(not(test))]
const CHECK_MIN: usize = 256 << 20;
#[cfg(test)]
const CHECK_MIN: usize = 64 << 20;

/// Run `work(state, g)` for every group on a few workers that take groups from a shared
/// queue, largest first (`size(g)` estimates the work), and return the workers' states.
fn on_groups<S: Send>(
    size: impl Fn(usize) -> usize,
    init: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, usize) + Sync,
) -> Vec<S> {
    let sizes: Vec<usize> = (0..GROUPS).map(size).collect();
    let mut order: Vec<usize> = (0..GROUPS).collect();
    order.sort_by_key(|&g| std::cmp::Reverse(sizes[g]));
    let total: usize = sizes.iter().sum();
    let workers = if total < 1 << 14 {
        1
    } else {
        pool::num_threads().clamp(1, GROUPS)
    };
    let next = AtomicUsize::new(0);
    let worker = |_| {
        let mut state = init();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= GROUPS {
                break;
            }
            work(&mut state, order[i]);
        }
        state
    };
    if workers == 1 {
        vec![worker(0)]
    } else {
        pool::install(|| (0..workers).into_par_iter().map(worker).collect())
    }
}

/// A worker's share of a rewrite: its buffer, the groups it wrote, its scratch table.
struct Rewrite<K: Key> {
    out: Vec<(K, u64)>,
    locs: Vec<(usize, GroupLoc)>,
    scratch: Scratch<K>,
}

impl<K: Key> Counter<K> {
    /// An empty counter whose keys are partitioned by `key >> shift`.
    pub fn new(shift: u32) -> Self {
        Counter {
            chunks: Vec::new(),
            groups: vec![GroupLoc::default(); GROUPS],
            runs: Vec::new(),
            loose: Vec::new(),
            shift,
            stored: 0,
            next_check: 0,
            held: false,
            support: OnceLock::new(),
        }
    }

    pub fn shift(&self) -> u32 {
        self.shift
    }

    /// Distinct keys stored (pending keys aside).
    pub fn stored(&self) -> usize {
        self.stored
    }

    /// Keys added but not yet counted.
    pub fn pending(&self) -> usize {
        self.runs.iter().map(|r| r.len()).sum::<usize>() + self.loose.len()
    }

    /// The stored pairs of partition `s` of group `g`.
    #[inline]
    fn part(&self, g: usize, s: usize) -> &[(K, u64)] {
        let loc = &self.groups[g];
        if loc.ends.is_empty() {
            return &[];
        }
        let start = if s == 0 { loc.start } else { loc.ends[s - 1] };
        &self.chunks[loc.chunk][start..loc.ends[s]]
    }

    fn group_len(&self, g: usize) -> usize {
        let loc = &self.groups[g];
        loc.ends.last().map_or(0, |&e| e - loc.start)
    }

    /// Count one key (small batches: grouped by partition later).
    #[inline]
    pub fn push(&mut self, key: K) {
        self.support.take();
        self.loose.push(key);
        if self.loose.len() >= LOOSE_MAX {
            self.group_loose();
            self.maybe_flush();
        }
    }

    fn group_loose(&mut self) {
        if !self.loose.is_empty() {
            let keys = std::mem::take(&mut self.loose);
            let run = Run::build(&SliceScan {
                keys: &keys,
                shift: self.shift,
            })
            .expect("scanning a slice cannot fail");
            self.runs.push(run);
        }
    }

    /// Count the keys of runs built elsewhere (with the same `shift`).
    pub fn add_runs(&mut self, runs: impl IntoIterator<Item = Run<K>>) {
        self.support.take();
        self.runs.extend(runs.into_iter().filter(|r| !r.is_empty()));
        self.maybe_flush();
    }

    /// Count the pending keys when they are many and mostly repeats, or past 1 GiB (see
    /// `CHECK_MIN`).
    fn maybe_flush(&mut self) {
        if self.held {
            return;
        }
        let size = std::mem::size_of::<K>();
        let pending = self.pending();
        if pending >= (FLUSH_MAX / size).max(self.stored) {
            self.flush();
        } else if pending >= (CHECK_MIN / size).max(self.stored).max(self.next_check) {
            if self.pending_distinct_share() < 0.5 {
                self.flush();
            } else {
                self.next_check = 2 * pending;
            }
        }
    }

    /// Estimated share of distinct keys among the pending keys (in runs): the mean share
    /// in the partitions that hold `SAMPLED` evenly spaced pending keys (so a partition is
    /// sampled in proportion to its size, as often as it holds sample points), each from
    /// at most `SAMPLE_CAP` of its keys. A part of a partition shows at least the whole's
    /// share, so the estimate errs towards keeping keys pending.
    fn pending_distinct_share(&self) -> f64 {
        const SAMPLED: usize = 32;
        const SAMPLE_CAP: usize = 1 << 16;
        let sizes: Vec<usize> = (0..PARTS)
            .map(|q| self.runs.iter().map(|r| r.part(q).len()).sum())
            .collect();
        let total: usize = sizes.iter().sum();
        if total == 0 {
            return 1.0;
        }
        let (mut q, mut below, mut sum) = (0, sizes[0], 0.0);
        let mut keys = Vec::new();
        for i in 0..SAMPLED {
            let point = (2 * i + 1) * total / (2 * SAMPLED);
            while below <= point {
                q += 1;
                below += sizes[q];
            }
            keys.clear();
            for r in &self.runs {
                let part = r.part(q);
                keys.extend_from_slice(&part[..part.len().min(SAMPLE_CAP - keys.len())]);
            }
            keys.sort_unstable();
            let n = keys.len();
            keys.dedup();
            sum += keys.len() as f64 / n as f64;
        }
        sum / SAMPLED as f64
    }

    /// Start a change that can be rolled back: pending keys are no longer counted into the
    /// stored pairs until `release`; returns the mark to give `rollback`.
    pub fn hold(&mut self) -> usize {
        self.group_loose();
        self.held = true;
        self.runs.len()
    }

    /// End a held change, keeping it.
    pub fn release(&mut self) {
        self.held = false;
        self.maybe_flush();
    }

    /// End a held change, dropping every key added since `hold` returned `mark`.
    pub fn rollback(&mut self, mark: usize) {
        self.support.take();
        self.runs.truncate(mark);
        self.loose.clear();
        self.held = false;
    }

    /// Count every pending key into the stored pairs.
    pub fn flush(&mut self) {
        self.group_loose();
        if self.runs.is_empty() {
            return;
        }
        let runs = std::mem::take(&mut self.runs);
        self.next_check = 0;
        self.rewrite(None, &runs);
    }

    /// Replace the stored pairs by themselves plus `other`'s stored pairs plus the keys of
    /// `runs`, group by group on a few workers.
    fn rewrite(&mut self, other: Option<&Counter<K>>, runs: &[Run<K>]) {
        let size = |g: usize| {
            self.group_len(g)
                + other.map_or(0, |o| o.group_len(g))
                + runs.iter().map(|r| r.group_len(g)).sum::<usize>()
        };
        let upper: usize = (0..GROUPS).map(size).sum();
        let parts = on_groups(
            size,
            || Rewrite {
                out: with_capacity(upper),
                locs: Vec::new(),
                scratch: Scratch::default(),
            },
            |w, g| {
                let start = w.out.len();
                let mut ends = Vec::with_capacity(PER_GROUP);
                for s in 0..PER_GROUP {
                    let theirs = other.map_or(&[][..], |o| o.part(g, s));
                    let q = g * PER_GROUP + s;
                    let keys = runs.iter().map(|r| r.part(q));
                    combine(&mut w.scratch, self.part(g, s), theirs, keys, &mut w.out);
                    ends.push(w.out.len());
                }
                let loc = GroupLoc {
                    chunk: 0,
                    start,
                    ends,
                };
                w.locs.push((g, loc));
            },
        );
        self.chunks.clear();
        for (c, mut w) in parts.into_iter().enumerate() {
            w.out.shrink_to_fit();
            for (g, mut loc) in w.locs {
                loc.chunk = c;
                self.groups[g] = loc;
            }
            self.chunks.push(w.out);
        }
        self.stored = self.chunks.iter().map(|c| c.len()).sum();
    }

    /// Add every count of `other` (built with the same `shift`).
    pub fn absorb(&mut self, mut other: Counter<K>) {
        self.support.take();
        debug_assert_eq!(self.shift, other.shift);
        self.flush();
        other.flush();
        if other.stored == 0 {
            return;
        }
        if self.stored == 0 {
            *self = other;
            return;
        }
        self.rewrite(Some(&other), &[]);
    }

    /// A counter holding `pairs` (counts of equal keys add up; zero counts are dropped).
    pub fn from_pairs(pairs: &[(K, u64)], shift: u32) -> Self {
        // Group the pairs by partition (a counting sort), as the one chunk of a raw
        // counter, then combine that with an empty counter.
        let mut sizes = vec![0usize; PARTS];
        for &(k, _) in pairs {
            sizes[k.shr(shift).part()] += 1;
        }
        let mut raw = Counter::new(shift);
        let mut at = Vec::with_capacity(PARTS);
        let mut end = 0;
        for (g, loc) in raw.groups.iter_mut().enumerate() {
            loc.start = end;
            for s in 0..PER_GROUP {
                at.push(end);
                end += sizes[g * PER_GROUP + s];
                loc.ends.push(end);
            }
        }
        let mut sorted = vec![(K::ZERO, 0); pairs.len()];
        for &(k, c) in pairs {
            let q = k.shr(shift).part();
            sorted[at[q]] = (k, c);
            at[q] += 1;
        }
        raw.chunks.push(sorted);
        raw.stored = pairs.len();
        let mut me = Counter::new(shift);
        me.rewrite(Some(&raw), &[]);
        me
    }

    /// Distinct keys counted.
    pub fn support(&self) -> usize {
        if self.pending() == 0 {
            return self.stored;
        }
        *self.support.get_or_init(|| {
            self.par_partitions(&NEVER, || 0usize, |n, pairs| *n += pairs.len())
                .expect("a counter that cannot be interrupted")
                .into_iter()
                .sum()
        })
    }

    /// Record the support found by a pass over every partition.
    pub fn note_support(&self, support: usize) {
        let _ = self.support.set(support);
    }

    /// Call `visit(state, pairs)` with the distinct `(key, count)` pairs of every partition
    /// (stored and pending keys combined, in no order; small counters pass all partitions
    /// in one call), on a few workers, each with its own `state` (returned). `cancel` is
    /// checked between groups of partitions.
    pub fn par_partitions<S: Send>(
        &self,
        cancel: &Cancel,
        init: impl Fn() -> S + Sync,
        visit: impl Fn(&mut S, &[(K, u64)]) + Sync,
    ) -> Result<Vec<S>> {
        self.par_partitions_with(&[], cancel, init, visit)
    }

    /// `par_partitions` as if the keys `extra` had been pushed too.
    pub fn par_partitions_with<S: Send>(
        &self,
        extra: &[K],
        cancel: &Cancel,
        init: impl Fn() -> S + Sync,
        visit: impl Fn(&mut S, &[(K, u64)]) + Sync,
    ) -> Result<Vec<S>> {
        self.each_partition(
            extra,
            cancel,
            init,
            || (Scratch::default(), Vec::new()),
            |state, (scratch, buf), old, keys, _| {
                if keys.iter().all(|k| k.is_empty()) {
                    if !old.is_empty() {
                        visit(state, old);
                    }
                    return;
                }
                buf.clear();
                combine(scratch, old, &[], keys.iter().copied(), buf);
                visit(state, buf);
            },
        )
    }

    /// Call `each(state, buffers, stored, keys, part)` for every partition, with its
    /// stored pairs and its pending keys (`extra` included, in several slices), on a few
    /// workers, each with its own `state` (returned) and `buffers`; small counters pass
    /// all partitions in one call (`part` is None then, the partition's index otherwise).
    /// Once `cancel` is raised, the groups left are skipped and `Interrupted` returned.
    fn each_partition<S: Send, B: Send>(
        &self,
        extra: &[K],
        cancel: &Cancel,
        init: impl Fn() -> S + Sync,
        buffers: impl Fn() -> B + Sync,
        each: impl Fn(&mut S, &mut B, &[(K, u64)], &[&[K]], Option<usize>) + Sync,
    ) -> Result<Vec<S>> {
        if self.stored + self.pending() + extra.len() <= SMALL_ALL {
            // Few keys: all of them at once (every partition at once is a partition).
            let stored: Vec<(K, u64)> = (0..PARTS)
                .flat_map(|q| self.part(q / PER_GROUP, q % PER_GROUP).iter().copied())
                .collect();
            let keys: Vec<&[K]> = self.runs.iter().map(|r| &r.keys[..]).collect();
            let keys = [&keys[..], &[&self.loose[..], extra]].concat();
            let mut state = init();
            each(&mut state, &mut buffers(), &stored, &keys, None);
            return Ok(vec![state]);
        }
        let loose_run = self.loose_run(extra);
        let runs: Vec<&Run<K>> = self.runs.iter().chain(loose_run.as_ref()).collect();
        let states = on_groups(
            |g| self.group_len(g) + runs.iter().map(|r| r.group_len(g)).sum::<usize>(),
            || (init(), buffers()),
            |(state, bufs), g| {
                if cancel.is_raised() {
                    return;
                }
                let mut keys = Vec::with_capacity(runs.len());
                for s in 0..PER_GROUP {
                    let q = g * PER_GROUP + s;
                    keys.clear();
                    keys.extend(runs.iter().map(|r| r.part(q)));
                    each(state, bufs, self.part(g, s), &keys, Some(q));
                }
            },
        );
        cancel.check()?;
        Ok(states.into_iter().map(|(s, _)| s).collect())
    }

    /// The loose keys and `extra`, grouped by partition (None when there are none).
    fn loose_run(&self, extra: &[K]) -> Option<Run<K>> {
        if self.loose.is_empty() && extra.is_empty() {
            return None;
        }
        let keys: Vec<K> = self.loose.iter().chain(extra).copied().collect();
        let run = Run::build(&SliceScan {
            keys: &keys,
            shift: self.shift,
        });
        Some(run.expect("scanning a slice cannot fail"))
    }

    /// As `par_partitions_with`, but a partition's counts come in key order
    /// ([`PartitionCounts::Sorted`]) when its keys are mostly distinct: radix sorting them
    /// (a few sequential passes) then costs less than a hash probe per key. Partitions of
    /// repetitive keys are hash-counted as before ([`PartitionCounts::Distinct`]). Sorted
    /// keys come in their compact form when a partition's keys are ([`KeyForm`]).
    pub fn par_partitions_adaptive<S: Send>(
        &self,
        extra: &[K],
        cancel: &Cancel,
        init: impl Fn() -> S + Sync,
        visit: impl Fn(&mut S, PartitionCounts<'_, K>) + Sync,
    ) -> Result<Vec<S>> {
        self.each_partition(
            extra,
            cancel,
            init,
            SortBuffers::default,
            |state, bufs, old, keys, part| {
                // Keys of one partition sort by their compact form; others as they are.
                let form = match part {
                    Some(q) if self.shift + PART_BITS < K::BITS => KeyForm::Compact {
                        shift: self.shift,
                        holds_zero: q == K::ZERO.part(),
                    },
                    _ => KeyForm::Full,
                };
                let counts = bufs.count(old, keys.iter().copied(), form);
                if !counts.is_empty() {
                    visit(state, counts);
                }
            },
        )
    }
}

/// One partition's counts, as `Counter::par_partitions_adaptive` gives them.
#[derive(Clone, Copy)]
pub enum PartitionCounts<'a, K> {
    /// In key order.
    Sorted(SortedCounts<'a, K>),
    /// Distinct `(key, count)` pairs, in no order.
    Distinct(&'a [(K, u64)]),
}

impl<K: Key> PartitionCounts<'_, K> {
    pub fn is_empty(&self) -> bool {
        match self {
            PartitionCounts::Sorted(s) => s.is_empty(),
            PartitionCounts::Distinct(p) => p.is_empty(),
        }
    }
}

/// How the keys of `SortedCounts` are written.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KeyForm {
    /// As they were counted.
    Full,
    /// One partition's keys, by `compact_sort_key(key, shift)`: mapped once before the
    /// sort rather than at every pass of it (a summary of 10^8 Zipf ids: 15% less time).
    /// Within a partition, `key >> s` for any `s <= shift` (prefixes that hold the whole
    /// partition key) compare as the full keys' do, and the bits below `shift` are the
    /// key's own; `holds_zero` says whether it is the partition of partition key 0.
    Compact { shift: u32, holds_zero: bool },
}

/// One partition's counts in key order: sorted keys (one count each, equal keys adjacent)
/// and sorted stored pairs (distinct keys), read merged, all written in `form`.
#[derive(Clone, Copy)]
pub struct SortedCounts<'a, K> {
    keys: &'a [K],
    pairs: &'a [(K, u64)],
    form: KeyForm,
}

impl<K: Key> SortedCounts<'_, K> {
    /// Whether `key` (written in this form) has partition key 0, `shift` being the
    /// counter's (`key >> shift` is the partition key).
    #[inline]
    pub fn partition_key_is_zero(&self, key: K, shift: u32) -> bool {
        match self.form {
            KeyForm::Full => key.shr(shift) == K::ZERO,
            // `key >> shift` is the partition key without its low `PART_BITS` bits, which
            // pick one partition key per partition: 0 only in the partition of 0.
            KeyForm::Compact { shift, holds_zero } => holds_zero && key.shr(shift) == K::ZERO,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.keys.is_empty() && self.pairs.is_empty()
    }

    /// The smallest key (in `form`, as every key handed out).
    pub fn first(&self) -> Option<K> {
        match (self.keys.first(), self.pairs.first()) {
            (Some(&k), Some(&(p, _))) => Some(k.min(p)),
            (Some(&k), None) => Some(k),
            (None, p) => p.map(|p| p.0),
        }
    }

    /// Call `f(key, count)` in ascending key order, keys written in `form`; a key may
    /// come several times in a row (its counts then add up).
    #[inline]
    pub fn for_each(&self, mut f: impl FnMut(K, u64)) {
        let (keys, pairs) = (self.keys, self.pairs);
        let (mut i, mut j) = (0, 0);
        while i < keys.len() && j < pairs.len() {
            if keys[i] <= pairs[j].0 {
                f(keys[i], 1);
                i += 1;
            } else {
                f(pairs[j].0, pairs[j].1);
                j += 1;
            }
        }
        keys[i..].iter().for_each(|&k| f(k, 1));
        pairs[j..].iter().for_each(|&(k, c)| f(k, c));
    }
}

/// One worker's buffers for sorted partitions.
struct SortBuffers<K: Key> {
    keys: Vec<K>,
    spare_keys: Vec<K>,
    pairs: Vec<(K, u64)>,
    spare_pairs: Vec<(K, u64)>,
    scratch: Scratch<K>,
    /// Distinct keys per incoming key in the last partitions.
    distinct: f64,
}

impl<K: Key> Default for SortBuffers<K> {
    fn default() -> Self {
        SortBuffers {
            keys: Vec::new(),
            spare_keys: Vec::new(),
            pairs: Vec::new(),
            spare_pairs: Vec::new(),
            scratch: Scratch::default(),
            distinct: 1.0,
        }
    }
}

/// Partitions are sorted while the last ones held at least this many distinct keys per
/// key, hash-counted otherwise. A sort costs the same per key however the keys repeat; a
/// table of few distinct keys stays in cache (measured on the tower: mostly distinct Zipf
/// 3-grams sort 1.4x faster than they hash; 4-grams of text, 27% distinct, hash 1.6x
/// faster than they sort).
const SORT_ABOVE: f64 = 0.5;

impl<K: Key> SortBuffers<K> {
    /// The counts of `pairs` (distinct keys, any order) plus one per key of `keys`: sorted
    /// when the last partitions were mostly distinct, hash-counted otherwise. Sorted keys
    /// are written in `form` (`KeyForm::Compact` only when all are one partition's).
    fn count<'a>(
        &mut self,
        pairs: &[(K, u64)],
        keys: impl Iterator<Item = &'a [K]> + Clone,
        form: KeyForm,
    ) -> PartitionCounts<'_, K> {
        let incoming: usize = keys.clone().map(|k| k.len()).sum();
        self.keys.clear();
        self.pairs.clear();
        if incoming > 0 && self.distinct < SORT_ABOVE {
            combine(&mut self.scratch, pairs, &[], keys, &mut self.pairs);
            self.learn(self.pairs.len() - pairs.len(), incoming);
            return PartitionCounts::Distinct(&self.pairs);
        }
        match form {
            KeyForm::Full => {
                for part in keys {
                    self.keys.extend_from_slice(part);
                }
                self.pairs.extend_from_slice(pairs);
            }
            KeyForm::Compact { shift, .. } => {
                for part in keys {
                    self.keys
                        .extend(part.iter().map(|&k| compact_sort_key(k, shift)));
                }
                self.pairs
                    .extend(pairs.iter().map(|&(k, c)| (compact_sort_key(k, shift), c)));
            }
        }
        radix::sort_by_key(&mut self.keys, &mut self.spare_keys, |&k| k);
        if incoming > 0 {
            let runs = 1 + self.keys.windows(2).filter(|w| w[0] != w[1]).count();
            self.learn(runs, incoming);
        }
        radix::sort_by_key(&mut self.pairs, &mut self.spare_pairs, |p| p.0);
        PartitionCounts::Sorted(SortedCounts {
            keys: &self.keys,
            pairs: &self.pairs,
            form,
        })
    }

    /// `new` distinct keys came with `incoming` keys.
    fn learn(&mut self, new: usize, incoming: usize) {
        self.distinct = 0.5 * self.distinct + 0.5 * (new as f64 / incoming as f64);
    }
}

/// Partitions expected to hold more distinct keys than this are counted in sub-partitions
/// (by another part of the key's hash) of about `SUB_TARGET` keys, so that every table
/// stays in the L2 cache even for the partition of a very frequent prefix.
const SUB_MAX: usize = 12 << 10;
const SUB_TARGET: usize = 2 << 10;
const MAX_SUBS: usize = 1 << 10;

/// Append to `out` the pairs of one partition: `mine` (distinct stored pairs), plus
/// `theirs` (pairs that may repeat keys, or have zero counts), plus one per key of `keys`.
fn combine<'a, K: Key>(
    scratch: &mut Scratch<K>,
    mine: &[(K, u64)],
    theirs: &[(K, u64)],
    keys: impl Iterator<Item = &'a [K]> + Clone,
    out: &mut Vec<(K, u64)>,
) {
    let incoming: usize = keys.clone().map(|k| k.len()).sum();
    if incoming == 0 && theirs.is_empty() {
        out.extend_from_slice(mine);
        return;
    }
    let expect = scratch.expect(mine.len() + theirs.len() / 2, incoming);
    if expect <= SUB_MAX {
        count_one(scratch, mine, theirs, keys, incoming, out);
        return;
    }
    let subs = (expect / SUB_TARGET).next_power_of_two().min(MAX_SUBS);
    let sub_of = |k: K| (k.slot_hash() as usize) & (subs - 1);
    // Group everything by sub-partition (counting sorts into the worker's buffers).
    let mut bufs = std::mem::take(&mut scratch.subs);
    let key_ends = group_by(
        &mut bufs.keys,
        keys.flat_map(|k| k.iter().copied()),
        incoming,
        subs,
        |&k| sub_of(k),
    );
    let mine_ends = group_by(
        &mut bufs.mine,
        mine.iter().copied(),
        mine.len(),
        subs,
        |p| sub_of(p.0),
    );
    let theirs_ends = group_by(
        &mut bufs.theirs,
        theirs.iter().copied(),
        theirs.len(),
        subs,
        |p| sub_of(p.0),
    );
    for s in 0..subs {
        let range = |ends: &[usize]| if s == 0 { 0 } else { ends[s - 1] }..ends[s];
        let k = &bufs.keys[range(&key_ends)];
        count_one(
            scratch,
            &bufs.mine[range(&mine_ends)],
            &bufs.theirs[range(&theirs_ends)],
            std::iter::once(k),
            k.len(),
            out,
        );
    }
    scratch.subs = bufs;
}

/// Place the `n` items of `items` into `buf` grouped by `sub(item)` (< `subs`); returns
/// the end of each group.
fn group_by<T: Copy>(
    buf: &mut Vec<T>,
    items: impl Iterator<Item = T> + Clone,
    n: usize,
    subs: usize,
    sub: impl Fn(&T) -> usize,
) -> Vec<usize> {
    let mut ends = vec![0usize; subs];
    if n == 0 {
        return ends;
    }
    for item in items.clone() {
        ends[sub(&item)] += 1;
    }
    let mut at = Vec::with_capacity(subs);
    let mut total = 0;
    for e in ends.iter_mut() {
        at.push(total);
        total += *e;
        *e = total;
    }
    // Every element is overwritten: a reused buffer keeps its old contents.
    let first = items.clone().next().expect("n > 0 items");
    buf.truncate(n);
    buf.resize(n, first);
    for item in items {
        let s = sub(&item);
        buf[at[s]] = item;
        at[s] += 1;
    }
    ends
}

/// `combine` with one table.
fn count_one<'a, K: Key>(
    scratch: &mut Scratch<K>,
    mine: &[(K, u64)],
    theirs: &[(K, u64)],
    keys: impl Iterator<Item = &'a [K]>,
    incoming: usize,
    out: &mut Vec<(K, u64)>,
) {
    scratch.reset_for(mine.len() + theirs.len() / 2, incoming);
    for &(k, c) in mine {
        scratch.add_new(k, c);
    }
    if theirs.iter().all(|p| p.1 > 0) {
        scratch.add_pairs(theirs);
    } else {
        let nonzero: Vec<(K, u64)> = theirs.iter().copied().filter(|p| p.1 > 0).collect();
        scratch.add_pairs(&nonzero);
    }
    let base = scratch.len();
    for part in keys {
        scratch.add_keys(part);
    }
    scratch.learn(base, incoming);
    scratch.drain_into(out);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn sorted<K: Key>(c: &Counter<K>) -> Vec<(K, u64)> {
        let mut all: Vec<(K, u64)> = c
            .par_partitions(&NEVER, Vec::new, |v, p| v.extend_from_slice(p))
            .unwrap()
            .concat();
        all.sort_unstable();
        all
    }

    fn brute<K: Key>(keys: &[K]) -> Vec<(K, u64)> {
        let mut want = BTreeMap::new();
        for &k in keys {
            *want.entry(k).or_insert(0u64) += 1;
        }
        want.into_iter().collect()
    }

    fn run_of<K: Key>(keys: &[K], shift: u32) -> Run<K> {
        Run::build(&SliceScan { keys, shift }).unwrap()
    }

    /// Within one partition, compact sort keys are one to one and in key order, for
    /// partition keys that are small, multiples of 4096, or wide; and multiples of 4096
    /// spread over the partitions.
    fn check_compact<K: Key>(xs: impl Iterator<Item = K>, shift: u32) {
        let mut by_part: BTreeMap<usize, Vec<K>> = BTreeMap::new();
        for x in xs {
            for low in [0u64, 1, 12_345, (1 << shift) - 1] {
                by_part
                    .entry(x.part())
                    .or_default()
                    .push(x.shl_or(shift, low));
            }
        }
        for keys in by_part.values_mut() {
            keys.sort_unstable();
            keys.dedup();
            let compact: Vec<K> = keys.iter().map(|&k| compact_sort_key(k, shift)).collect();
            assert!(compact.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
        }
    }

    #[test]
    fn compact_sort_keys_keep_a_partitions_order() {
        let small = 0..20_000u64;
        let multiples = (0..4096u64).map(|i| i << 12);
        let wide = (0..3000u64).map(|i| i.wrapping_mul(0x9E37_79B9) & ((1 << 44) - 1));
        check_compact(small.chain(multiples.clone()).chain(wide), 20);
        let wide128 = (0..3000u128).map(|i| i.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 30);
        check_compact((0..5000u128).chain(wide128), 30);
        let parts: std::collections::HashSet<usize> = multiples.map(|x| x.part()).collect();
        assert!(parts.len() > PARTS / 2, "{} partitions", parts.len());
        // Small consecutive partition keys (frequent token ids; 2-gram prefixes of one
        // symbol) fall in different groups.
        let groups = |xs: &mut dyn Iterator<Item = u64>| -> usize {
            let g: std::collections::HashSet<usize> = xs.map(|x| x.part() / PER_GROUP).collect();
            g.len()
        };
        assert_eq!(groups(&mut (0..GROUPS as u64)), GROUPS);
        assert_eq!(
            groups(&mut (0..GROUPS as u64).map(|s2| 7 << 17 | s2)),
            GROUPS
        );
        // A key too wide to drop bits from sorts as itself.
        assert_eq!(compact_sort_key(u64::MAX, 60), u64::MAX);
    }

    #[test]
    fn compact_keys_tell_partition_key_zero() {
        // Partition keys 0 and others of the same high bits (every pk < 4096 shares them
        // with 0), in keys of 20 low bits; only pk 0 reads as zero, in either form.
        let shift = 20;
        let zero_part = 0u64.part();
        for pk in (0..5000u64).chain([1 << 12, 0x12345, 1 << 40]) {
            for low in [0u64, 1, (1 << shift) - 1] {
                let key = pk << shift | low;
                let q = pk.part();
                let full = SortedCounts::<u64> {
                    keys: &[],
                    pairs: &[],
                    form: KeyForm::Full,
                };
                let compact = SortedCounts::<u64> {
                    form: KeyForm::Compact {
                        shift,
                        holds_zero: q == zero_part,
                    },
                    ..full
                };
                assert_eq!(full.partition_key_is_zero(key, shift), pk == 0, "pk {pk}");
                let c = compact_sort_key(key, shift);
                assert_eq!(compact.partition_key_is_zero(c, shift), pk == 0, "pk {pk}");
            }
        }
    }

    #[test]
    fn counts_match_a_btreemap_through_runs_loose_flushes_and_merges() {
        // Shift 40: keys share partitions in blocks, and one prefix (0) holds most keys,
        // so that sub-partitioned counting is exercised too.
        let keys: Vec<u64> = (0..400_000u64)
            .map(|i| match i % 3 {
                0 => (i * i) % 50_021,
                _ => ((i * 7919) % 1_000) << 40 | (i % 977),
            })
            .collect();
        let want = brute(&keys);
        let shift = 40;
        let mut a = Counter::new(shift);
        for &k in &keys[..1000] {
            a.push(k);
        }
        a.add_runs([run_of(&keys[1000..150_000], shift)]);
        assert_eq!(sorted(&a), brute(&keys[..150_000]));
        a.flush();
        assert_eq!(a.pending(), 0);
        assert_eq!(sorted(&a), brute(&keys[..150_000]));
        a.add_runs([
            run_of(&keys[150_000..200_000], shift),
            run_of(&keys[200_000..210_000], shift),
        ]);
        let mut b = Counter::new(shift);
        for &k in &keys[210_000..] {
            b.push(k);
        }
        let mut merged = a.clone();
        merged.absorb(b.clone());
        assert_eq!(sorted(&merged), want);
        assert_eq!(merged.support(), want.len());
        // Pending keys counted on the fly agree with flushed ones.
        let mut c = a.clone();
        c.add_runs([run_of(&keys[210_000..], shift)]);
        assert_eq!(c.support(), want.len());
        assert_eq!(sorted(&c), want);
        c.flush();
        assert_eq!(sorted(&c), want);
        assert_eq!(c.stored(), want.len());
        let back = Counter::from_pairs(&want, shift);
        assert_eq!(sorted(&back), want);
        // Repeated keys and zero counts in raw pairs.
        let mut raw = want.clone();
        raw.extend(want.iter().map(|&(k, _)| (k, 0)));
        raw.extend(want.iter().rev());
        let twice = Counter::from_pairs(&raw, shift);
        let want2: Vec<(u64, u64)> = want.iter().map(|&(k, c)| (k, 2 * c)).collect();
        assert_eq!(sorted(&twice), want2);
        let mut empty = Counter::new(shift);
        empty.absorb(Counter::new(shift));
        assert_eq!(empty.support(), 0);
        empty.absorb(twice);
        assert_eq!(sorted(&empty), want2);
    }

    #[test]
    fn wide_keys_and_scratch_growth() {
        let keys: Vec<u128> = (0..100_000u128)
            .map(|i| (i % 7_001) << 70 | (i % 3))
            .collect();
        let mut c = Counter::new(64);
        for &k in &keys {
            c.push(k);
        }
        assert_eq!(sorted(&c), brute(&keys));
        let mut s: Scratch<u128> = Scratch::default();
        s.reset(0);
        for k in 0..10_000u128 {
            s.add_pairs(&[(k << 64, 2)]);
        }
        s.add_keys(&[3 << 64, 3 << 64]);
        s.add_pairs(&[(5 << 64, 1), (1 << 100, 7)]);
        assert_eq!(s.len(), 10_001);
        let drained = s.drain().to_vec();
        assert_eq!(drained.len(), 10_001);
        assert_eq!(drained.iter().map(|p| p.1).sum::<u64>(), 20_010);
        assert_eq!(s.len(), 0);
        assert!(s.drain().is_empty());
        // `drain_into` appends the same pairs after what `dest` holds; `clear` empties.
        s.reset(0);
        let mut want = Vec::new();
        for &(k, c) in &drained {
            s.add_pairs(&[(k, c)]);
            want.push((k, c));
        }
        let mut dest = vec![(9u128, 9u64)];
        s.drain_into(&mut dest);
        assert_eq!(dest[0], (9, 9));
        let mut got = dest[1..].to_vec();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want);
        assert_eq!(s.len(), 0);
        s.drain_into(&mut dest);
        assert_eq!(dest.len(), 1 + want.len());
        // Prefixes `key >> 100`: 0 for all but one key.
        s.add_prefixes(want.iter(), want.len(), 100);
        let mut sums: Vec<(u128, u64)> = s.live().copied().collect();
        sums.sort_unstable();
        assert_eq!(sums, vec![(0, 20_003), (1, 7)]);
        s.clear();
        assert!(s.is_empty() && s.live().next().is_none());
    }

    /// A key source whose second pass differs from its first.
    struct Fickle {
        passes: std::cell::Cell<u32>,
    }

    impl Scan<u64> for Fickle {
        fn shift(&self) -> u32 {
            0
        }
        fn scan<F: FnMut(u64)>(&self, mut f: F) -> crate::Result<()> {
            let pass = self.passes.get();
            self.passes.set(pass + 1);
            (0..1000u64).for_each(|k| f(k + 7 * pass as u64));
            Ok(())
        }
    }

    /// `Run::build` places keys into memory it has not zeroed: a source that enumerates
    /// other keys the second time must stop it before any unwritten key is read.
    #[test]
    #[should_panic(expected = "enumerated different keys")]
    fn a_source_that_changes_between_passes_is_caught() {
        let _ = Run::<u64>::build(&Fickle {
            passes: std::cell::Cell::new(0),
        });
    }

    /// Pending keys are counted once they exceed `CHECK_MIN` and most are repeats (the
    /// memory then follows the distinct keys), and stay pending while most are distinct;
    /// the counts are exact either way.
    #[test]
    fn repeated_pending_keys_are_counted_and_distinct_ones_wait() {
        let batch = 1usize << 20;
        let batches = CHECK_MIN / 8 / batch + 2;
        // Few distinct keys: 1999 values, a third of them below 1000, the rest spread.
        let repeated = |i: usize| ((i * 7919) % 1000) as u64 * if i % 3 == 0 { 1 } else { 4099 };
        let distinct = |i: usize| (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 8;
        for (name, key, flushed) in [
            ("repeated", &repeated as &dyn Fn(usize) -> u64, true),
            ("distinct", &distinct, false),
        ] {
            let mut c = Counter::<u64>::new(0);
            let mut all = Vec::new();
            for b in 0..batches {
                let keys: Vec<u64> = (b * batch..(b + 1) * batch).map(key).collect();
                c.add_runs([run_of(&keys, 0)]);
                all.extend(keys);
            }
            assert_eq!(c.pending() < batch * batches, flushed, "{name}: {c:?}");
            assert_eq!(
                c.pending() < CHECK_MIN / 8 + batch,
                flushed,
                "{name}: {c:?}"
            );
            all.sort_unstable();
            let mut want: Vec<(u64, u64)> = Vec::new();
            for k in all {
                match want.last_mut() {
                    Some(last) if last.0 == k => last.1 += 1,
                    _ => want.push((k, 1)),
                }
            }
            assert_eq!(c.support(), want.len(), "{name}");
            assert_eq!(sorted(&c), want, "{name}");
        }
        // Keys pushed one at a time (small updates) are held to the same policy.
        let mut c = Counter::<u64>::new(0);
        for i in 0..batch * batches {
            c.push(repeated(i));
        }
        assert!(c.pending() < CHECK_MIN / 8 + LOOSE_MAX, "pushed: {c:?}");
        // `repeated` has period 3000.
        let distinct: std::collections::BTreeSet<u64> = (0..3000).map(repeated).collect();
        assert_eq!(c.support(), distinct.len());
    }
}
