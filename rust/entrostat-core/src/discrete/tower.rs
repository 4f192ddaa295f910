//! Entropies of every order 2..=K from one table of padded K-grams.
//!
//! The tokenizer report needs H(t_j | t_1 .. t_{j-1}) for every j up to K. Rather than one
//! table (and one pass over the stream) per order, each document is counted with K-1
//! `END` symbols appended, ids being coded from 1 up so that `END` = 0 is no id: every
//! position of a document then starts exactly one K-window. Summing the K-window counts
//! by their j-prefix gives the counts of the padded j-windows; those that do not end in
//! `END` are exactly the document's j-grams (one per j-window), and summing those by
//! their (j-1)-prefix gives the contexts over the same j-windows. The table is partitioned
//! by first symbol, so prefixes of every length, and so every level, are summed partition
//! by partition. A partition of mostly distinct K-grams is radix sorted, after which the
//! windows sharing a j-prefix are contiguous for every j, and one scan closes the groups
//! of every level; a repetitive one is counted in a hash table and each level's prefixes
//! are summed in a table of that level's own.

use super::fingerprint::Fingerprint;
use super::ngrams::{pack, NgramCounts, Table, MAX_ORDER};
use super::partition::{Key, PartitionCounts, Scratch, SortedCounts};
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use hashbrown::HashMap;
use rayon::prelude::*;

/// The padding symbol (ids are coded from 1 up).
pub const END: u64 = 0;

/// Fingerprints of one level j: of the j-gram counts and of their (j-1)-prefixes.
pub type Level = (Fingerprint, Fingerprint);

/// What the windows give: the fingerprint of the symbol counts (level 1: the windows
/// summed by first symbol, `END` left out) and the levels j = 2..=K.
pub type Tower = (Fingerprint, Vec<Level>);

/// Open groups of equal prefixes while scanning one partition's K-grams in key order.
/// Symbol 1 is the most significant, so the keys sharing a j-prefix are contiguous for
/// every j, and a group is complete as soon as a key with another prefix arrives.
struct Groups {
    /// `windows[j]`: padded K-windows in the open j-prefix group (j = 1..=K).
    windows: [u64; MAX_ORDER + 1],
    /// `real[j]`: of those, the windows whose (j+1)-prefix is a real (j+1)-gram.
    real: [u64; MAX_ORDER + 1],
    /// Per level j (index j - 2), the j-grams and the prefixes seen once: most of them,
    /// tallied here rather than in the fingerprints (one memory cell updated per group).
    once: [(u64, u64); MAX_ORDER],
}

impl Groups {
    /// Close the open groups of levels `from..=k` of `key` (the last key of those groups;
    /// `first_real`: its first symbol is no `END`).
    #[inline]
    fn close<K: Key>(
        &mut self,
        key: K,
        first_real: bool,
        (from, k, w): (usize, usize, u32),
        tower: &mut Tower,
    ) {
        let (symbols, levels) = (&mut tower.0, &mut tower.1[..]);
        let end_mask = K::low_mask(w);
        for j in (from..=k).rev() {
            let n = std::mem::take(&mut self.windows[j]);
            self.windows[j - 1] += n;
            if j == 1 && first_real {
                symbols.add(n, 1); // the windows of a symbol (no END): its count
            }
            if j >= 2 && key.shr((k - j) as u32 * w).and(end_mask) != K::ZERO {
                // A real j-gram (its last symbol is no `END`).
                if n == 1 {
                    self.once[j - 2].0 += 1;
                } else {
                    levels[j - 2].0.add(n, 1);
                }
                self.real[j - 1] += n;
            }
            if j < k {
                match std::mem::take(&mut self.real[j]) {
                    1 => self.once[j - 1].1 += 1,
                    r => levels[j - 1].1.add(r, 1),
                }
            }
        }
    }
}

/// Add every level of one partition's padded K-gram counts, in key order, to `tower`.
/// Keys may come in compact form (the counter is partitioned by first symbol, so its
/// shift is (k - 1) w): prefixes of one symbol or more compare alike, and the symbols
/// below the first are the same.
fn scan_sorted<K: Key>(sorted: SortedCounts<'_, K>, k: usize, w: u32, tower: &mut Tower) {
    let mut groups = Groups {
        windows: [0; MAX_ORDER + 1],
        real: [0; MAX_ORDER + 1],
        once: [(0, 0); MAX_ORDER],
    };
    let Some(mut prev) = sorted.first() else {
        return;
    };
    sorted.for_each(|key, c| {
        if key != prev {
            // The shortest prefix that differs: its groups and all longer ones are complete.
            let from = (1..=k)
                .find(|&j| key.shr((k - j) as u32 * w) != prev.shr((k - j) as u32 * w))
                .unwrap_or(k);
            let first_real = !sorted.partition_key_is_zero(prev, (k - 1) as u32 * w);
            groups.close(prev, first_real, (from, k, w), tower);
            prev = key;
        }
        groups.windows[k] += c;
    });
    let first_real = !sorted.partition_key_is_zero(prev, (k - 1) as u32 * w);
    groups.close(prev, first_real, (1, k, w), tower);
    for ((grams, prefixes), &(g, p)) in tower.1.iter_mut().zip(&groups.once) {
        grams.add(1, g);
        prefixes.add(1, p);
    }
}

/// One worker's buffers and results.
struct Worker<K: Key> {
    /// Symbol counts, and per level j = 2..=K (index j - 2).
    tower: Tower,
    /// The prefix tables of levels j = 2..=K (index j - 2): one per level, so that each
    /// learns how many distinct prefixes its level's j-grams have.
    sums: Vec<Scratch<K>>,
    ends: Vec<(K, u64)>,
    /// The padded windows of the level being summed, and of the next one.
    level: Vec<(K, u64)>,
    next: Vec<(K, u64)>,
}

impl<K: Key> Worker<K> {
    /// Every level of one partition, whichever way its counts come.
    fn visit(&mut self, counts: PartitionCounts<'_, K>, k: usize, w: u32) {
        match counts {
            PartitionCounts::Sorted(sorted) => scan_sorted(sorted, k, w, &mut self.tower),
            PartitionCounts::Distinct(pairs) => self.visit_pairs(pairs, k, w),
        }
    }

    fn new(k: usize) -> Self {
        Worker {
            tower: (Fingerprint::new(), vec![Level::default(); k - 1]),
            sums: (2..=k).map(|_| Scratch::default()).collect(),
            ends: Vec::new(),
            level: Vec::new(),
            next: Vec::new(),
        }
    }

    /// Every level of one partition, from its distinct padded K-gram pairs (in no order):
    /// each level's prefixes summed in a hash table.
    fn visit_pairs(&mut self, pairs: &[(K, u64)], k: usize, w: u32) {
        let last = K::low_mask(w);
        let (mut level, mut next) = (
            std::mem::take(&mut self.level),
            std::mem::take(&mut self.next),
        );
        for j in (2..=k).rev() {
            let cur: &[(K, u64)] = if j == k { pairs } else { &level };
            // The windows ending in END (few: only where documents end) are set apart;
            // the others are the real j-grams, read in place.
            self.ends.clear();
            self.ends
                .extend(cur.iter().filter(|p| p.0.and(last) == K::ZERO));
            let n_real = cur.len() - self.ends.len();
            let real = cur.iter().filter(|p| p.0.and(last) != K::ZERO);
            let (grams, prefixes) = &mut self.tower.1[j - 2];
            grams.extend(real.clone().map(|p| p.1));
            let sums = &mut self.sums[j - 2];
            sums.reset_for(0, n_real);
            sums.add_prefixes(real, n_real, w);
            sums.learn(0, n_real);
            prefixes.extend(sums.live().map(|p| p.1));
            // The padded (j-1)-windows: the prefixes of real j-grams plus those of the
            // windows ending in END.
            sums.add_prefixes(self.ends.iter(), self.ends.len(), w);
            if j > 2 {
                next.clear();
                sums.drain_into(&mut next);
                std::mem::swap(&mut level, &mut next);
            } else {
                // The padded 1-windows: each symbol's count (and END's).
                let symbols = sums.live().filter(|p| p.0 != K::ZERO);
                self.tower.0.extend(symbols.map(|p| p.1));
                sums.clear();
            }
        }
        (self.level, self.next) = (level, next);
    }
}

/// The padded windows of an open document: `tail` (its last symbols, at most k - 1) then
/// k - 1 `END`s, one window per symbol of `tail`.
fn open_windows(tail: &[u64], k: usize) -> Vec<Vec<u64>> {
    let mut seq = tail.to_vec();
    seq.extend(std::iter::repeat_n(END, k - 1));
    seq.windows(k)
        .take(tail.len())
        .map(|w| w.to_vec())
        .collect()
}

fn merged(workers: impl IntoIterator<Item = Tower>, k: usize) -> Tower {
    let mut all = (Fingerprint::new(), vec![Level::default(); k - 1]);
    for (symbols, levels) in workers {
        all.0.merge(&symbols);
        for (a, b) in all.1.iter_mut().zip(&levels) {
            a.0.merge(&b.0);
            a.1.merge(&b.1);
        }
    }
    all
}

fn packed_levels<K: Key>(
    c: &super::partition::Counter<K>,
    extra: &[Vec<u64>],
    k: usize,
    w: u32,
    cancel: &Cancel,
) -> Result<Tower> {
    let extra: Vec<K> = extra.iter().map(|row| pack(row, w)).collect();
    let workers = c.par_partitions_adaptive(
        &extra,
        cancel,
        || Worker::new(k),
        |worker, counts| worker.visit(counts, k, w),
    )?;
    Ok(merged(workers.into_iter().map(|w| w.tower), k))
}

/// Wide keys (symbols past what packed keys hold): the same sums in global hash maps.
fn wide_levels(
    shards: &[HashMap<Box<[u64]>, u64>],
    extra: &[Vec<u64>],
    k: usize,
    cancel: &Cancel,
) -> Result<Tower> {
    let mut level: Vec<(Vec<u64>, u64)> = shards
        .par_iter()
        .flat_map_iter(|m| m.iter().map(|(row, &c)| (row.to_vec(), c)))
        .collect();
    level.extend(extra.iter().map(|row| (row.clone(), 1)));
    let mut out = vec![Level::default(); k - 1];
    for j in (2..=k).rev() {
        cancel.check()?;
        let (grams, prefixes) = &mut out[j - 2];
        let mut sums: HashMap<Vec<u64>, u64> = HashMap::new();
        let mut ends = Vec::new();
        for (mut row, c) in level {
            let real = row[j - 1] != END;
            row.truncate(j - 1);
            if real {
                grams.add(c, 1);
                *sums.entry(row).or_insert(0) += c;
            } else {
                ends.push((row, c));
            }
        }
        prefixes.extend(sums.values().copied());
        for (row, c) in ends {
            *sums.entry(row).or_insert(0) += c;
        }
        level = sums.into_iter().collect();
    }
    let mut symbols = Fingerprint::new();
    symbols.extend(level.iter().filter(|(row, _)| row[0] != END).map(|p| p.1));
    Ok((symbols, out))
}

impl NgramCounts {
    /// For counts of padded documents (see the module documentation), built with
    /// `by_first_symbol`: the fingerprint of the symbol counts, and per order j = 2..=K
    /// the fingerprints of the j-gram counts and of their (j-1)-prefixes over the same
    /// windows. `open_tail` holds the last symbols of a
    /// document not yet closed, whose padded windows are not counted yet. `cancel` is
    /// checked between groups of partitions.
    pub fn padded_levels(&self, open_tail: &[u64], cancel: &Cancel) -> Result<Tower> {
        let k = self.order();
        if k < 2 {
            return Err(Error::value(
                "order",
                "the padded levels need order 2 or more",
            ));
        }
        let extra = open_windows(open_tail, k);
        match &self.table {
            Table::N64(c) => packed_levels(c, &extra, k, self.width(), cancel),
            Table::N128(c) => packed_levels(c, &extra, k, self.width(), cancel),
            Table::Wide(shards) => wide_levels(shards, &extra, k, cancel),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cancel::NEVER;
    use std::collections::BTreeMap;

    /// Per order j, the sorted counts of j-grams and of their prefixes, by brute force.
    fn brute(docs: &[Vec<u64>], k: usize) -> Vec<(Vec<u64>, Vec<u64>)> {
        (2..=k)
            .map(|j| {
                let mut grams: BTreeMap<&[u64], u64> = BTreeMap::new();
                let mut prefixes: BTreeMap<&[u64], u64> = BTreeMap::new();
                for d in docs {
                    for win in d.windows(j) {
                        *grams.entry(win).or_default() += 1;
                        *prefixes.entry(&win[..j - 1]).or_default() += 1;
                    }
                }
                let sorted = |m: BTreeMap<&[u64], u64>| {
                    let mut v: Vec<u64> = m.into_values().collect();
                    v.sort_unstable();
                    v
                };
                (sorted(grams), sorted(prefixes))
            })
            .collect()
    }

    fn expand(f: &Fingerprint) -> Vec<u64> {
        f.iter()
            .flat_map(|(c, m)| std::iter::repeat_n(c, m as usize))
            .collect()
    }

    /// The codes of `docs`, each padded but the last unless `close_last`, and their starts.
    fn codes_of(docs: &[Vec<u64>], k: usize, close_last: bool) -> (Vec<u64>, Vec<usize>) {
        let mut codes = Vec::new();
        let mut starts = Vec::new();
        for (i, d) in docs.iter().enumerate() {
            starts.push(codes.len());
            codes.extend(d.iter().map(|&s| s + 1));
            if close_last || i + 1 < docs.len() {
                codes.extend(std::iter::repeat_n(END, k - 1));
            }
        }
        (codes, starts)
    }

    /// Count `docs` padded, the last one left open.
    fn padded(docs: &[Vec<u64>], k: usize) -> (NgramCounts, Vec<u64>) {
        let mut c = NgramCounts::by_first_symbol(k).unwrap();
        let (codes, starts) = codes_of(docs, k, false);
        c.update_documents(&codes, &starts, &NEVER).unwrap();
        let tail = c.tail().to_vec();
        (c, tail)
    }

    /// A seeded generator of integers below its argument.
    fn below(seed: u64) -> impl FnMut(u64) -> u64 {
        let mut state = seed;
        move |m| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % m
        }
    }

    fn check_levels(c: &NgramCounts, tail: &[u64], docs: &[Vec<u64>], k: usize, what: &str) {
        let (symbols, got) = c.padded_levels(tail, &crate::cancel::NEVER).unwrap();
        let mut counts: BTreeMap<u64, u64> = BTreeMap::new();
        docs.iter()
            .flatten()
            .for_each(|&s| *counts.entry(s).or_default() += 1);
        let mut want_symbols: Vec<u64> = counts.into_values().collect();
        want_symbols.sort_unstable();
        assert_eq!(expand(&symbols), want_symbols, "{what} k {k} symbols");
        let want = brute(docs, k);
        assert_eq!(got.len(), want.len());
        for (j, ((g, p), (wg, wp))) in got.iter().zip(&want).enumerate() {
            assert_eq!(&expand(g), wg, "{what} k {k} order {}", j + 2);
            assert_eq!(&expand(p), wp, "{what} k {k} order {}", j + 2);
        }
    }

    #[test]
    fn every_level_matches_brute_force() {
        let mut next = below(7);
        // Short and long documents; alphabets for u64, u128 and wide keys.
        for (vocab, k) in [(5u64, 3usize), (300, 4), (70_000, 3), (1 << 40, 4), (9, 8)] {
            let docs: Vec<Vec<u64>> = (0..60)
                .map(|i| {
                    let len = if i % 7 == 0 { next(3) } else { 1 + next(5000) };
                    (0..len).map(|_| next(vocab) * next(3).min(1)).collect()
                })
                .collect();
            let (c, tail) = padded(&docs, k);
            check_levels(&c, &tail, &docs, k, &format!("vocab {vocab}"));
        }
    }

    #[test]
    fn stored_and_pending_counts_combine() {
        // Two counters merged (their pairs are stored), then more documents (pending
        // keys): each sorted partition merges stored pairs with sorted pending keys.
        let mut next = below(11);
        for (vocab, k, len) in [
            (40u64, 3usize, 3000u64),
            (70_000, 4, 4000),
            (5, 3, 2),
            (40, 2, 3000),
        ] {
            let docs: Vec<Vec<u64>> = (0..24)
                .map(|_| (0..1 + next(len)).map(|_| next(vocab)).collect())
                .collect();
            let (a, rest) = docs.split_at(8);
            let (b, c) = rest.split_at(8);
            let closed = |part: &[Vec<u64>]| {
                let mut counts = NgramCounts::by_first_symbol(k).unwrap();
                let (codes, starts) = codes_of(part, k, true);
                counts.update_documents(&codes, &starts, &NEVER).unwrap();
                counts.end_document();
                counts
            };
            let mut merged = closed(a).merge(closed(b), &NEVER).unwrap();
            let (codes, starts) = codes_of(c, k, false);
            merged.update_documents(&codes, &starts, &NEVER).unwrap();
            let tail = merged.tail().to_vec();
            check_levels(&merged, &tail, &docs, k, &format!("merged, vocab {vocab}"));
        }
    }
}
