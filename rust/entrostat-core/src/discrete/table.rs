//! `CountTable`: an open-addressing (linear probing) hash table from keys to counts,
//! built for counting: one add is a probe and an increment, and batches of adds first
//! prefetch every slot they will touch, so that tables far larger than the caches are
//! filled at memory-parallel speed rather than one cache miss at a time.
//!
//! A count of zero marks an empty slot, so zero counts are never stored.

use super::zeroed::{Zeroable, ZeroedBuf};

/// Keys the table can hold: plain integers with a well-mixed hash.
pub trait TableKey: Zeroable + Eq + Default + Send + Sync + Ord + std::fmt::Debug {
    fn hash(self) -> u64;
}

#[inline(always)]
fn fold_mul(a: u64, b: u64) -> u64 {
    let m = (a as u128) * (b as u128);
    (m as u64) ^ ((m >> 64) as u64)
}

impl TableKey for u64 {
    #[inline(always)]
    fn hash(self) -> u64 {
        fold_mul(self ^ 0x2D35_8DCC_AA6C_78A5, 0x8BB8_4B93_962E_ACC9)
    }
}

/// Re-placed and paired adds are staged in batches of this many before they touch the
/// table.
const BATCH: usize = 16;
/// How many keys ahead `add_each` prefetches: enough to cover a miss to memory.
const AHEAD: usize = 64;

#[derive(Debug, Clone, Default)]
pub struct CountTable<K: TableKey> {
    slots: ZeroedBuf<(K, u64)>,
    len: usize,
}

impl<K: TableKey> CountTable<K> {
    pub fn new() -> Self {
        CountTable {
            slots: ZeroedBuf::new(0),
            len: 0,
        }
    }

    /// An empty table over `slots`, fresh from `ZeroedBuf` (all zero: a zero count marks
    /// an empty slot); see [`CountTable::slots_for`].
    pub(crate) fn with_slots(slots: ZeroedBuf<(K, u64)>) -> Self {
        assert!(!slots.is_empty(), "a table needs slots");
        debug_assert!(slots.iter().all(|&(_, c)| c == 0), "slots must be empty");
        CountTable { slots, len: 0 }
    }

    /// How many slots hold `distinct` keys at a load factor of at most 1/2. Any number
    /// of slots works (a hash is mapped onto them by a multiply), so a table sized for a
    /// known count wastes no power-of-two rounding.
    pub fn slots_for(distinct: usize) -> usize {
        (distinct * 2).max(16)
    }

    /// Number of distinct keys.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    #[inline(always)]
    fn slot_of(&self, key: K) -> usize {
        ((key.hash() as u128 * self.slots.len() as u128) >> 64) as usize
    }

    /// Whether `extra` more distinct keys would take the load factor above 1/2.
    #[inline(always)]
    fn lacks_room(&self, extra: usize) -> bool {
        (self.len + extra) * 2 > self.slots.len()
    }

    /// Make room for `extra` more distinct keys at a load factor of at most 1/2.
    pub fn reserve(&mut self, extra: usize) {
        if self.lacks_room(extra) {
            // Grow geometrically, so that adds cost amortised O(1).
            self.resize(Self::slots_for(self.len + extra).max(2 * self.slots.len()));
        }
    }

    fn resize(&mut self, cap: usize) {
        let old = std::mem::replace(&mut self.slots, ZeroedBuf::new(cap));
        // Re-place the old entries in prefetched batches: the new table is larger than
        // the caches exactly when growing it is expensive.
        let live: Vec<(K, u64)> = old.iter().copied().filter(|&(_, c)| c > 0).collect();
        drop(old);
        for batch in live.chunks(BATCH) {
            let mut at = [0usize; BATCH];
            for (a, &(k, _)) in at.iter_mut().zip(batch) {
                *a = self.slot_of(k);
                prefetch(&self.slots[*a]);
            }
            for (&i, &(k, c)) in at.iter().zip(batch) {
                let mut i = i;
                while self.slots[i].1 != 0 {
                    i = next_slot(i, cap);
                }
                self.slots[i] = (k, c);
            }
        }
    }

    /// Add `c` to the count of `key`; the table must have room (see `reserve`).
    #[inline(always)]
    fn add_at(&mut self, mut i: usize, key: K, c: u64) {
        loop {
            let slot = &mut self.slots[i];
            if slot.1 == 0 {
                *slot = (key, c);
                self.len += 1;
                return;
            }
            if slot.0 == key {
                slot.1 += c;
                return;
            }
            i = next_slot(i, self.slots.len());
        }
    }

    /// Add `c` (> 0) to the count of `key`.
    #[inline]
    pub fn add(&mut self, key: K, c: u64) {
        if c == 0 {
            return;
        }
        self.reserve(1);
        let i = self.slot_of(key);
        self.add_at(i, key, c);
    }

    /// Count each key once. The slot of each key is prefetched `AHEAD` keys before its
    /// probe, so that cache misses overlap; when the table grows, the slots in flight are
    /// computed again for the new size.
    pub fn add_each(&mut self, keys: &[K]) {
        if keys.is_empty() {
            return;
        }
        let mut ahead = [0usize; AHEAD];
        let aim = |t: &Self, ahead: &mut [usize; AHEAD], from: usize| {
            for (j, &k) in keys.iter().enumerate().skip(from).take(AHEAD) {
                ahead[j % AHEAD] = t.slot_of(k);
                prefetch(&t.slots[ahead[j % AHEAD]]);
            }
        };
        self.reserve(1);
        aim(self, &mut ahead, 0);
        for (j, &k) in keys.iter().enumerate() {
            if self.lacks_room(1) {
                self.reserve(1);
                aim(self, &mut ahead, j);
            }
            let i = ahead[j % AHEAD];
            if let Some(&next) = keys.get(j + AHEAD) {
                ahead[j % AHEAD] = self.slot_of(next);
                prefetch(&self.slots[ahead[j % AHEAD]]);
            }
            self.add_at(i, k, 1);
        }
    }

    /// Add each `(key, count)` pair, prefetching as `add_each` does.
    pub fn add_pairs(&mut self, pairs: &[(K, u64)]) {
        for batch in pairs.chunks(BATCH) {
            self.reserve(batch.len());
            let mut at = [0usize; BATCH];
            for (a, &(k, _)) in at.iter_mut().zip(batch) {
                *a = self.slot_of(k);
                prefetch(&self.slots[*a]);
            }
            for (&i, &(k, c)) in at.iter().zip(batch) {
                if c > 0 {
                    self.add_at(i, k, c);
                }
            }
        }
    }

    /// Count of `key` (0 when absent).
    pub fn get(&self, key: K) -> u64 {
        if self.slots.is_empty() {
            return 0;
        }
        let mut i = self.slot_of(key);
        loop {
            let (k, c) = self.slots[i];
            if c == 0 {
                return 0;
            }
            if k == key {
                return c;
            }
            i = next_slot(i, self.slots.len());
        }
    }

    /// (key, count) pairs, in table order.
    pub fn iter(&self) -> impl Iterator<Item = (K, u64)> + '_ {
        self.slots.iter().copied().filter(|&(_, c)| c > 0)
    }

    pub fn values(&self) -> impl Iterator<Item = u64> + '_ {
        self.slots.iter().map(|&(_, c)| c).filter(|&c| c > 0)
    }

    /// Add every count of `other`.
    pub fn absorb(&mut self, other: &CountTable<K>) {
        self.reserve(other.len);
        for (k, c) in other.iter() {
            let i = self.slot_of(k);
            self.add_at(i, k, c);
        }
    }
}

/// The slot probed after `i` in a table of `len` slots (linear probing, wrapping).
#[inline(always)]
fn next_slot(i: usize, len: usize) -> usize {
    if i + 1 == len {
        0
    } else {
        i + 1
    }
}

/// Ask for the cache line of `p` ahead of use.
#[inline(always)]
pub(crate) fn prefetch<T>(p: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint; it never faults, whatever the address.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>(p as *const T as *const i8);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_match_a_btreemap() {
        let keys: Vec<u64> = (0..50_000u64)
            .map(|i| (i * i) % 7919 * 0x1_0000_0001)
            .collect();
        let mut t = CountTable::new();
        t.add_each(&keys[..20_000]);
        for &k in &keys[20_000..] {
            t.add(k, 1);
        }
        let mut want = std::collections::BTreeMap::new();
        for &k in &keys {
            *want.entry(k).or_insert(0u64) += 1;
        }
        assert_eq!(t.len(), want.len());
        for (&k, &c) in &want {
            assert_eq!(t.get(k), c);
        }
        assert_eq!(t.get(12345), 0);
        let mut u: CountTable<u64> = CountTable::new();
        u.absorb(&t);
        u.absorb(&t);
        assert_eq!(u.values().sum::<u64>(), 100_000);
    }

    /// A table of an odd number of slots probes across its wrap-around, then grows.
    #[test]
    fn any_number_of_slots() {
        let mut t: CountTable<u64> = CountTable::with_slots(ZeroedBuf::new(37));
        let keys: Vec<u64> = (0..18u64).chain(0..300).map(|i| i * 0x9E37_79B9).collect();
        t.add_each(&keys);
        assert_eq!(t.len(), 300);
        for i in 0..300u64 {
            assert_eq!(t.get(i * 0x9E37_79B9), 1 + (i < 18) as u64);
        }
    }
}
