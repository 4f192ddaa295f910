//! Dense codes for token ids: each id gets the next code (1, 2, ...) when it is first
//! seen, so that n-gram keys pack by the number of types seen, not by the largest id.
//! The 100 277 ids of cl100k need 17 bits a symbol, and four symbols a `u128` key; the
//! ~41 000 types of 50 MB of Python sources fit 16 bits, and four of them a `u64` key
//! (a third less time for the counts of the tokenizer report). Code 0 is left for the
//! document padding (`tower::END`).

use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::labels::Label;
use crate::pool;
use hashbrown::HashMap;
use ndarray::{s, ArrayView1};
use rayon::prelude::*;

/// Ids below this are looked up in a flat table (4 bytes per id up to the largest id
/// seen: at most 64 MiB); larger ids in a hash map.
const DENSE_IDS: u64 = 1 << 24;
/// Ids per unit of parallel work when looking for new ids.
const CHUNK: usize = 1 << 16;

#[derive(Debug, Clone, Default)]
pub struct Alphabet {
    /// Code of each id below `DENSE_IDS` (0: not seen), as long as the largest such id.
    dense: Vec<u32>,
    /// Codes of larger ids.
    sparse: HashMap<u64, u32>,
    /// `ids[c - 1]`: the id of code `c`.
    ids: Vec<u64>,
}

/// The id (value) of a label: signed labels are checked non-negative by the caller.
#[inline(always)]
pub fn id_of<T: Label>(v: T) -> u64 {
    let flip = if T::SIGNED { 1u64 << 63 } else { 0 };
    v.key() ^ flip
}

/// Ids without a code, each once, in order of first sight (one piece of work's worth:
/// a fresh alphabet would otherwise note every occurrence of a chunk's ids).
#[derive(Default)]
struct NewIds {
    seen: hashbrown::HashSet<u64>,
    ids: Vec<u64>,
}

impl NewIds {
    fn note(&mut self, id: u64) {
        if self.seen.insert(id) {
            self.ids.push(id);
        }
    }
}

/// `out[i] = code(id of ids[i])`, and `miss(id)` where that is 0.
fn each_code<T: Label>(
    out: &mut [u32],
    ids: ArrayView1<'_, T>,
    code: impl Fn(u64) -> u32,
    mut miss: impl FnMut(u64),
) {
    let mut put = |(slot, &v): (&mut u32, &T)| {
        let id = id_of(v);
        *slot = code(id);
        if *slot == 0 {
            miss(id);
        }
    };
    match ids.as_slice() {
        Some(sl) => out.iter_mut().zip(sl).for_each(&mut put),
        None => out.iter_mut().zip(ids.iter()).for_each(&mut put),
    }
}

impl Alphabet {
    /// Number of codes given (the largest code).
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    /// The ids in code order (`ids()[c - 1]` has code `c`).
    pub fn ids(&self) -> &[u64] {
        &self.ids
    }

    /// The code of `id`, 0 if it has none.
    #[inline(always)]
    pub fn code(&self, id: u64) -> u32 {
        if id < DENSE_IDS {
            self.dense.get(id as usize).copied().unwrap_or(0)
        } else {
            self.sparse.get(&id).copied().unwrap_or(0)
        }
    }

    /// The code of `id`, given now if it has none.
    #[inline(always)]
    pub fn code_or_add(&mut self, id: u64) -> Result<u32> {
        match self.code(id) {
            0 => self.add(id),
            c => Ok(c),
        }
    }

    #[cold]
    fn add(&mut self, id: u64) -> Result<u32> {
        let code = u32::try_from(self.ids.len() + 1)
            .ok()
            .filter(|&c| c < u32::MAX)
            .ok_or_else(|| {
                Error::value(
                    "ids",
                    "more than 2^32 - 2 distinct token ids are not supported",
                )
            })?;
        if id < DENSE_IDS {
            if self.dense.len() <= id as usize {
                self.dense.resize(id as usize + 1, 0);
            }
            self.dense[id as usize] = code;
        } else {
            self.sparse.insert(id, code);
        }
        self.ids.push(id);
        Ok(code)
    }

    /// Write the codes of the ids of each pair into its slice (as long as the ids); ids
    /// without a code get the next ones, in the order of the pairs and of the ids in each.
    /// The lookups run in parallel; the new ids (rare once a stream is under way) are
    /// coded after them, and the slices that had some are filled in again.
    pub fn code_into<T: Label>(
        &mut self,
        pairs: Vec<(&mut [u32], ArrayView1<'_, T>)>,
    ) -> Result<()> {
        let me = &*self;
        // Each pair with its ids that have no code, each once, in order.
        type LookedUp<'a, 'b, T> = Vec<(&'a mut [u32], ArrayView1<'b, T>, Vec<u64>)>;
        let looked_up: LookedUp<'_, '_, T> = pool::install(|| {
            pairs
                .into_par_iter()
                .map(|(out, ids)| {
                    let mut new = NewIds::default();
                    each_code(out, ids, |id| me.code(id), |id| new.note(id));
                    (out, ids, new.ids)
                })
                .collect()
        });
        let mut again = Vec::new();
        for (out, ids, new) in looked_up {
            for &id in &new {
                self.code_or_add(id)?;
            }
            if !new.is_empty() {
                again.push((out, ids));
            }
        }
        let me = &*self;
        pool::install(|| {
            again
                .into_par_iter()
                .for_each(|(out, ids)| each_code(out, ids, |id| me.code(id), |_| {}))
        });
        Ok(())
    }

    /// Give codes to the ids of `x` that have none, in order of first appearance. On an
    /// error (Ctrl-C included) the codes given by this call are taken back.
    pub fn learn<T: Label>(&mut self, x: ArrayView1<'_, T>, cancel: &Cancel) -> Result<()> {
        let before = self.len();
        let learned = self.learn_view(x, cancel);
        if learned.is_err() {
            self.truncate(before);
        }
        learned
    }

    fn learn_view<T: Label>(&mut self, x: ArrayView1<'_, T>, cancel: &Cancel) -> Result<()> {
        let n = x.len();
        // New ids are rare once a stream is under way: find them in parallel, then give
        // codes in stream order (so codes do not depend on the number of threads).
        let me = &*self;
        let fresh: Vec<Vec<u64>> = pool::install(|| {
            (0..n.div_ceil(CHUNK))
                .into_par_iter()
                .map(|c| {
                    cancel.check()?;
                    let chunk = x.slice(s![c * CHUNK..((c + 1) * CHUNK).min(n)]);
                    let mut new = NewIds::default();
                    for id in chunk.iter().map(|&v| id_of(v)) {
                        if me.code(id) == 0 {
                            new.note(id);
                        }
                    }
                    Ok(new.ids)
                })
                .collect::<Result<_>>()
        })?;
        for id in fresh.into_iter().flatten() {
            self.code_or_add(id)?;
        }
        Ok(())
    }

    /// Keep the first `n` codes only.
    pub fn truncate(&mut self, n: usize) {
        for id in self.ids.drain(n.min(self.ids.len())..) {
            if id < DENSE_IDS {
                self.dense[id as usize] = 0;
            } else {
                self.sparse.remove(&id);
            }
        }
    }

    /// Whether `self`'s codes and `other`'s agree on every id both have coded.
    pub fn agrees_with(&self, other: &Alphabet) -> bool {
        let n = self.len().min(other.len());
        self.ids[..n] == other.ids[..n]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cancel::NEVER;
    use ndarray::Array1;

    #[test]
    fn codes_follow_first_sight_and_roll_back() {
        let mut a = Alphabet::default();
        let big = DENSE_IDS + 5;
        a.learn(Array1::from(vec![7u64, 3, 7, big, 0, 3]).view(), &NEVER)
            .unwrap();
        assert_eq!(a.ids(), &[7, 3, big, 0]);
        assert_eq!([7, 3, big, 0, 1].map(|id| a.code(id)), [1, 2, 3, 4, 0]);
        a.learn(Array1::from(vec![-1i64 + 10, 2]).view(), &NEVER)
            .unwrap();
        assert_eq!(a.code(9), 5);
        assert_eq!(a.code(2), 6);
        a.truncate(2);
        assert_eq!([7, 3, big, 0, 9].map(|id| a.code(id)), [1, 2, 0, 0, 0]);
        assert_eq!(a.code_or_add(big).unwrap(), 3);
        let mut b = Alphabet::default();
        b.learn(Array1::from(vec![7u8, 3]).view(), &NEVER).unwrap();
        assert!(a.agrees_with(&b) && b.agrees_with(&a));
        b.learn(Array1::from(vec![1u8]).view(), &NEVER).unwrap();
        assert!(!a.agrees_with(&b));
    }

    #[test]
    fn parallel_learning_keeps_stream_order() {
        // Many chunks: codes are given in the order ids first appear in the stream.
        let x: Vec<u32> = (0..300_000u32).map(|i| (i * 7919) % 100_003).collect();
        let mut a = Alphabet::default();
        a.learn(Array1::from(x.clone()).view(), &NEVER).unwrap();
        let mut want = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for &v in &x {
            if seen.insert(v) {
                want.push(v as u64);
            }
        }
        assert_eq!(a.ids(), &want[..]);
    }
}
