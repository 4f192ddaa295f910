//! `TokenStats`: one accumulator for everything the tokenizer report needs from a token
//! stream: the token counts and the n-grams of orders 2..=max_order, counted within
//! documents (no n-gram spans two documents), streaming and mergeable. Every order, and
//! the token counts, come from one table of padded max_order-grams (`discrete::tower`):
//! one pass over the stream whatever the order.

use super::alphabet::Alphabet;
use crate::cancel::Cancel;
use crate::discrete::accumulator::Counts;
use crate::discrete::estimators::{
    entropy_from_counts, entropy_from_fingerprint, renyi_from_counts, Estimate, Estimator,
};
use crate::discrete::joint::column_range;
use crate::discrete::ngrams::{check_order, NgramCounts, NgramParts};
use crate::discrete::tower::END;
use crate::error::{Error, Result};
use crate::labels::{Domain, Label, Labels};
use crate::with_labels;
use ndarray::s;

/// Symbols coded per piece, so that the codes never cost more than a slice of the input.
#[cfg(not(test))]
const PIECE: usize = 1 << 24;
/// Small pieces in the tests, so that updates span several.
#[cfg(test)]
const PIECE: usize = 1 << 12;

#[derive(Debug, Clone)]
pub struct TokenStats {
    max_order: usize,
    /// Token counts by id, for max_order 1 only: with n-grams, the tower sums the windows
    /// by first symbol into the same counts (`summary`), which costs no pass over the ids.
    unigrams: Counts,
    n_tokens: u64,
    /// Padded n-grams of order max_order (none for max_order 1): ids coded by `alphabet`
    /// (1, 2, ... in order of first sight), each closed document followed by
    /// max_order - 1 `END`s (0).
    ngrams: Option<NgramCounts>,
    /// The codes of the ids in `ngrams` (empty for max_order 1).
    alphabet: Alphabet,
    /// Whether the last document holds tokens and is not closed (padded) yet.
    open: bool,
    n_documents: u64,
    max_id: Option<u64>,
}

/// The state of a [`TokenStats`] as plain values (what pickling writes).
#[derive(Debug, Clone, PartialEq)]
pub struct TokenStatsParts {
    pub max_order: usize,
    /// The ids in code order (`ids[c - 1]` has code `c`); empty for max_order 1.
    pub ids: Vec<u64>,
    /// For max_order 1: the token counts, (key, count) sorted by key, and the domain of
    /// the keys.
    pub unigrams: (Option<Domain>, Vec<(u64, u64)>),
    /// For max_order 2 and more: the padded n-grams of codes.
    pub ngrams: Option<NgramParts>,
    pub n_tokens: u64,
    pub open: bool,
    pub n_documents: u64,
    pub max_id: Option<u64>,
}

/// What the report needs from the counts (entropies in nats).
#[derive(Debug, Clone)]
pub struct TokenSummary {
    pub n_tokens: u64,
    pub n_documents: u64,
    pub n_types: u64,
    pub n_hapax: u64,
    pub unigram: Estimate,
    pub renyi: f64,
    /// H(t_k | previous order-1 tokens) for orders 1..=max_order; NaN where the documents
    /// hold no n-gram of that order.
    pub conditional: Vec<f64>,
    /// Fewest types whose occurrences cover each requested share of the tokens.
    pub coverage: Vec<u64>,
}

impl TokenStats {
    pub fn new(max_order: usize) -> Result<Self> {
        check_order(max_order)?;
        Ok(TokenStats {
            max_order,
            unigrams: Counts::new(),
            n_tokens: 0,
            ngrams: if max_order > 1 {
                Some(NgramCounts::by_first_symbol(max_order)?)
            } else {
                None
            },
            alphabet: Alphabet::default(),
            open: false,
            n_documents: 0,
            max_id: None,
        })
    }

    pub fn max_order(&self) -> usize {
        self.max_order
    }
    pub fn n_tokens(&self) -> u64 {
        self.n_tokens
    }
    pub fn n_documents(&self) -> u64 {
        self.n_documents
    }
    /// Largest token id seen.
    pub fn max_id(&self) -> Option<u64> {
        self.max_id
    }

    /// The pickled state.
    pub fn to_parts(&self) -> TokenStatsParts {
        TokenStatsParts {
            max_order: self.max_order,
            ids: self.alphabet.ids().to_vec(),
            unigrams: (
                self.unigrams.domain(),
                self.unigrams.histogram().sorted_items(),
            ),
            ngrams: self.ngrams.as_ref().map(NgramCounts::to_parts),
            n_tokens: self.n_tokens,
            open: self.open,
            n_documents: self.n_documents,
            max_id: self.max_id,
        }
    }

    /// Rebuild from `to_parts()`, checking that the parts agree with one another.
    pub fn from_parts(parts: &TokenStatsParts) -> Result<Self> {
        let bad = |why: &str| {
            Err(Error::value(
                "state",
                format!("inconsistent TokenStats state: {why}"),
            ))
        };
        let mut me = TokenStats::new(parts.max_order)?;
        for (i, &id) in parts.ids.iter().enumerate() {
            if id == u64::MAX || me.alphabet.code_or_add(id)? as usize != i + 1 {
                return bad("the ids of the codes repeat or are out of range");
            }
        }
        let codes = parts.ids.len() as u64;
        match (&parts.ngrams, parts.max_order) {
            (None, 1) => {
                let (domain, items) = &parts.unigrams;
                if !parts.ids.is_empty() {
                    return bad("ids are coded for max_order 1");
                }
                let sorted = items.windows(2).all(|w| w[0].0 < w[1].0);
                if !sorted
                    || items.iter().any(|&(_, c)| c == 0)
                    || domain.is_none() != items.is_empty()
                {
                    return bad(
                        "the token counts are not sorted, distinct and non-zero, with a domain",
                    );
                }
                me.unigrams = Counts::from_items(*domain, items)?;
                if me.unigrams.total() != parts.n_tokens {
                    return bad("the token counts do not add up to n_tokens");
                }
                // Keys sort as their values do: the first is the smallest id, the last the
                // largest.
                let value = |&(k, _): &(u64, u64)| domain.map_or(k as i128, |d| d.value(k));
                if items.first().is_some_and(|it| value(it) < 0) {
                    return bad("a token id is negative");
                }
                if parts.max_id.map(i128::from) != items.last().map(value) {
                    return bad("max_id is not the largest id counted");
                }
            }
            (Some(ngrams), k) if k > 1 && ngrams.order == k => {
                let symbols = ngrams.ngrams.iter().chain(&ngrams.head).chain(&ngrams.tail);
                if symbols.copied().any(|c| c > codes) || !parts.unigrams.1.is_empty() {
                    return bad("an n-gram holds a code no id has, or unigrams are given");
                }
                if parts.max_id != parts.ids.iter().copied().max() {
                    return bad("max_id is not the largest id coded");
                }
                me.ngrams = Some(NgramCounts::from_parts_by_first(ngrams)?);
            }
            _ => return bad("n-grams given for max_order 1, or missing, or of another order"),
        }
        me.n_tokens = parts.n_tokens;
        me.open = parts.open;
        me.n_documents = parts.n_documents;
        me.max_id = parts.max_id;
        Ok(me)
    }

    /// Add token ids: `starts` (sorted, each <= len) are the positions where a new document
    /// begins; ids before the first start continue the last document seen. Ids must be
    /// non-negative and, when `vocab_size` is given, below it; nothing is counted otherwise.
    /// All or nothing: on an error (Ctrl-C included) the statistics stay as they were.
    pub fn update(
        &mut self,
        ids: &Labels<'_>,
        starts: &[usize],
        vocab_size: Option<u64>,
        cancel: &Cancel,
    ) -> Result<()> {
        let max_id = self.admit(ids, starts, vocab_size, cancel)?;
        // Only without n-grams are there unigram counts (a dense table of all ids) to copy.
        let unigrams = self.ngrams.is_none().then(|| self.unigrams.clone());
        let (n_documents, open, n_codes) = (self.n_documents, self.open, self.alphabet.len());
        let mut counted = self.count(ids, starts, cancel);
        if matches!(counted, Ok(false)) {
            // New ids outgrew the n-gram keys, and nothing was counted: code every id of
            // the update first (so that the table is widened before its checkpoint).
            (self.n_documents, self.open) = (n_documents, open);
            counted = with_labels!(ids, v => self.alphabet.learn(v.view(), cancel))
                .and_then(|()| self.count(ids, starts, cancel));
        }
        match counted {
            Ok(fits) => {
                debug_assert!(fits, "ids coded before counting always fit");
                self.max_id = self.max_id.max(max_id);
                self.n_tokens += ids.len() as u64;
                Ok(())
            }
            Err(e) => {
                if let Some(unigrams) = unigrams {
                    self.unigrams = unigrams;
                }
                (self.n_documents, self.open) = (n_documents, open);
                self.alphabet.truncate(n_codes);
                Err(e)
            }
        }
    }

    /// Check ids and document starts (nothing is changed); the largest id.
    fn admit(
        &self,
        ids: &Labels<'_>,
        starts: &[usize],
        vocab_size: Option<u64>,
        cancel: &Cancel,
    ) -> Result<Option<u64>> {
        let n = ids.len();
        if self.n_tokens.checked_add(n as u64).is_none() {
            return Err(Error::value(
                "ids",
                "the token count would overflow 64 bits",
            ));
        }
        if starts.windows(2).any(|w| w[0] > w[1]) || starts.last() > Some(&n) {
            return Err(Error::value(
                "offsets",
                format!("expected non-decreasing document offsets between 0 and {n}"),
            ));
        }
        if n > 0 {
            let (lo, hi) = column_range(ids, cancel)?;
            let (lo, hi) = (ids.domain().value(lo), ids.domain().value(hi));
            if lo < 0 {
                return Err(Error::value(
                    "ids",
                    format!("token ids must be non-negative, got {lo}"),
                ));
            }
            if hi >= u64::MAX as i128 {
                return Err(Error::value(
                    "ids",
                    format!("token ids must be below 2^64 - 1, got {hi}"),
                ));
            }
            if let Some(v) = vocab_size.filter(|&v| hi >= v as i128) {
                return Err(Error::value(
                    "ids",
                    format!("token id {hi} is outside the vocabulary of size {v}"),
                ));
            }
            return Ok(Some(hi as u64));
        }
        Ok(None)
    }

    /// Count checked ids (see `update`), giving new ids codes as they come; `Ok(false)`
    /// when those codes outgrew the n-gram table's keys (no n-gram is counted then).
    fn count(&mut self, ids: &Labels<'_>, starts: &[usize], cancel: &Cancel) -> Result<bool> {
        let n = ids.len();
        // A stream that starts without a document start still opens a document.
        let implicit = self.n_tokens() == 0 && n > 0 && starts.first() != Some(&0);
        self.n_documents += starts.len() as u64 + implicit as u64;
        let Some(counts) = &mut self.ngrams else {
            self.unigrams.update(ids, cancel)?;
            return Ok(true);
        };
        counts.make_fit(self.alphabet.len() as u64);
        let limit = counts.symbol_limit();
        let saved = counts.checkpoint();
        let counted = self.count_ngrams(ids, starts, limit, cancel);
        let counts = self.ngrams.as_mut().expect("checked above");
        counts.finish(saved, matches!(counted, Ok(true)));
        counted
    }

    /// Count the n-grams of `ids` piece by piece; `Ok(false)` as soon as a code exceeds
    /// `limit`.
    fn count_ngrams(
        &mut self,
        ids: &Labels<'_>,
        starts: &[usize],
        limit: u64,
        cancel: &Cancel,
    ) -> Result<bool> {
        let n = ids.len();
        // One buffer of codes for every piece (fresh memory costs a page fault per page),
        // with room for the END codes of the documents that close in it; plain pages, as
        // for `partition::Run` (a fresh huge page costs more here than it saves).
        let pads = (self.max_order - 1) * (starts.len() + 1);
        let mut codes = Vec::with_capacity(n.min(PIECE) + pads.min(PIECE));
        let mut breaks = Vec::new();
        for lo in (0..n.max(1)).step_by(PIECE) {
            let hi = (lo + PIECE).min(n);
            // Starts inside this piece; the first piece also takes a start at its end.
            let local: Vec<usize> = starts
                .iter()
                .filter(|&&p| p >= lo && (p < hi || (p == n && hi == n)))
                .map(|&p| p - lo)
                .collect();
            with_labels!(ids, v => self.padded_codes(v.slice(s![lo..hi]), &local, &mut codes, &mut breaks))?;
            let max_code = self.alphabet.len() as u64;
            if max_code > limit {
                return Ok(false);
            }
            if let Some(counts) = &mut self.ngrams {
                counts.update_slice(&codes, &breaks, max_code, cancel)?;
            }
        }
        Ok(true)
    }

    /// Fill `codes` with the codes of a piece (ids without one get the next) with `END`s
    /// closing each document that ends in it, and `breaks` with where documents start in
    /// `codes`.
    fn padded_codes<T: Label>(
        &mut self,
        piece: ndarray::ArrayView1<'_, T>,
        starts: &[usize],
        codes: &mut Vec<u32>,
        breaks: &mut Vec<usize>,
    ) -> Result<()> {
        const JOB: usize = 1 << 16;
        let pad = self.max_order - 1;
        breaks.clear();
        // Where each document's ids go: (first id, end of ids, first code).
        let mut segments = Vec::with_capacity(starts.len() + 1);
        let mut at = 0;
        let mut prev = 0;
        for &p in starts.iter().chain([&piece.len()]) {
            segments.push((prev, p, at));
            at += p - prev;
            if p == piece.len() && breaks.len() == starts.len() {
                break; // the ids after the last start: no document closes after them
            }
            self.open |= p > prev;
            if self.open {
                at += pad; // the END codes, zeros
                self.open = false;
            }
            breaks.push(at);
            prev = p;
        }
        self.open |= piece.len() > prev;
        codes.clear();
        codes.resize(at, END as u32);
        // Disjoint pieces of `codes` with their ids, at most `JOB` ids each.
        let mut jobs = Vec::new();
        let mut rest = &mut codes[..];
        let mut done = 0;
        for (lo, hi, out) in segments {
            for a in (lo..hi).step_by(JOB) {
                let b = (a + JOB).min(hi);
                let (_, tail) = std::mem::take(&mut rest).split_at_mut(out + (a - lo) - done);
                let (job, tail) = tail.split_at_mut(b - a);
                jobs.push((job, piece.slice(s![a..b])));
                rest = tail;
                done = out + (b - lo);
            }
        }
        // Codes by value, whatever the dtype (ids are checked non-negative), so that
        // chunks of signed and unsigned arrays code one id alike.
        self.alphabet.code_into(jobs)
    }

    /// Close the last document: pad it, so that the next tokens start a new one.
    fn end_document(&mut self, cancel: &Cancel) -> Result<()> {
        if let Some(counts) = &mut self.ngrams {
            if self.open {
                let pad = vec![END; self.max_order - 1];
                counts.update_documents(&pad, &[], cancel)?;
            }
            counts.end_document();
        }
        self.open = false;
        Ok(())
    }

    /// Add another accumulator's documents (they stay separate documents).
    pub fn merge(&mut self, other: &TokenStats, cancel: &Cancel) -> Result<()> {
        if other.max_order != self.max_order {
            return Err(Error::value(
                "other",
                format!(
                    "cannot merge token statistics of max_order {} with max_order {}",
                    other.max_order, self.max_order
                ),
            ));
        }
        let n_tokens = self.n_tokens.checked_add(other.n_tokens).ok_or_else(|| {
            Error::value("other", "the merged token count would overflow 64 bits")
        })?;
        let mut theirs = other.clone();
        theirs.end_document(cancel)?;
        // Codes gained without their counts (should a step below fail) change no result.
        let recoded = match theirs.ngrams.take() {
            Some(counts) => Some(self.adopt_codes(&other.alphabet, counts)?),
            None => None,
        };
        self.unigrams.merge(&other.unigrams)?;
        self.end_document(cancel)?;
        if let Some(counts) = recoded {
            let mine = self.ngrams.as_mut().expect("same max_order");
            mine.make_fit(self.alphabet.len() as u64);
            // What could fail is checked first: the merge below must not stop half done.
            mine.check_merge(&counts)?;
            let merged = std::mem::replace(mine, NgramCounts::by_first_symbol(self.max_order)?);
            *mine = merged.merge(counts, cancel)?;
        }
        self.n_documents += other.n_documents;
        self.n_tokens = n_tokens;
        self.max_id = self.max_id.max(other.max_id);
        Ok(())
    }

    /// `counts` (coded by `theirs`) coded by this accumulator's alphabet, which gains the
    /// ids it lacks. Alphabets that agree on the ids both have coded (one accumulator
    /// continued from the other's state, or an empty one) need no recoding.
    fn adopt_codes(&mut self, theirs: &Alphabet, counts: NgramCounts) -> Result<NgramCounts> {
        let agree = self.alphabet.agrees_with(theirs);
        let mut recode = vec![0u64; theirs.len() + 1]; // END stays 0
        for (code, &id) in theirs.ids().iter().enumerate() {
            recode[code + 1] = self.alphabet.code_or_add(id)? as u64;
        }
        Ok(if agree {
            counts
        } else {
            counts.relabel(|c| recode[c as usize])
        })
    }

    /// Entropies and vocabulary statistics. `n_bins` (the declared vocabulary size) is
    /// the alphabet size for the shrink and NSB estimators of the unigram entropy.
    pub fn summary(
        &self,
        estimator: Estimator,
        alpha: f64,
        shares: &[f64],
        n_bins: Option<f64>,
        cancel: &Cancel,
    ) -> Result<TokenSummary> {
        if self.n_tokens() == 0 {
            return Err(Error::value("ids", "no tokens were counted"));
        }
        if let Some(&bad) = shares.iter().find(|s| !(**s > 0.0 && **s <= 1.0)) {
            return Err(Error::value(
                "shares",
                format!("expected shares in (0, 1], got {bad}"),
            ));
        }
        let (mut counts, levels) = match &self.ngrams {
            Some(ngrams) => {
                let open_tail = if self.open { ngrams.tail() } else { &[] };
                let (symbols, levels) = ngrams.padded_levels(open_tail, cancel)?;
                let counts = symbols
                    .iter()
                    .flat_map(|(c, m)| std::iter::repeat_n(c, m as usize))
                    .collect();
                (counts, levels)
            }
            None => (self.unigrams.histogram().nonzero_counts(), Vec::new()),
        };
        let as_f64: Vec<f64> = counts.iter().map(|&c| c as f64).collect();
        let n_bins = n_bins.map(|b| b.max(as_f64.len() as f64));
        let unigram = entropy_from_counts(&as_f64, estimator, n_bins)?;
        let renyi = renyi_from_counts(&as_f64, alpha)?;
        let mut conditional = vec![unigram.value];
        for (grams, prefixes) in levels {
            conditional.push(if grams.bins() == 0 {
                f64::NAN // every document is shorter than the order
            } else {
                entropy_from_fingerprint(&grams, estimator, None)?.value
                    - entropy_from_fingerprint(&prefixes, estimator, None)?.value
            });
        }
        let n_hapax = counts.iter().filter(|&&c| c == 1).count() as u64;
        counts.sort_unstable_by(|a, b| b.cmp(a));
        let total = self.n_tokens() as f64;
        let coverage = shares
            .iter()
            .map(|&share| {
                let need = share * total;
                let mut covered = 0u64;
                let mut types = 0u64;
                for &c in &counts {
                    if covered as f64 >= need {
                        break;
                    }
                    covered += c;
                    types += 1;
                }
                types
            })
            .collect();
        Ok(TokenSummary {
            n_tokens: self.n_tokens(),
            n_documents: self.n_documents,
            n_types: counts.len() as u64,
            n_hapax,
            unigram,
            renyi,
            conditional,
            coverage,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cancel::NEVER;

    /// `n` distinct ids, none of them small.
    fn distinct(n: u32) -> impl Iterator<Item = u32> {
        (0..n).map(|i| (i * 7_919) % 1_000_003 + 5)
    }

    #[test]
    fn codes_that_outgrow_the_keys_in_a_later_piece_are_counted_once() {
        // 70 000 distinct ids in two documents of 35 000, then the same two again as one
        // more update. The 4-gram keys hold 16-bit codes: the first update outgrows them in
        // its 16th piece of 4 096 ids (pieces were counted before), is undone and counted
        // again with 128-bit keys.
        let first: Vec<u32> = distinct(70_000).collect();
        let mut stats = TokenStats::new(4).unwrap();
        for _ in 0..2 {
            stats
                .update(&Labels::from(&first[..]), &[0, 35_000], None, &NEVER)
                .unwrap();
        }
        let s = stats
            .summary(Estimator::Plugin, 2.0, &[0.5], None, &NEVER)
            .unwrap();
        assert_eq!((s.n_tokens, s.n_documents, s.n_types), (140_000, 4, 70_000));
        assert_eq!((s.n_hapax, s.coverage[0]), (0, 35_000));
        let ln = |x: f64| x.ln();
        // Every id twice: H1 = ln 70 000; every id has one successor, so every
        // conditional entropy is 0 (any piece counted twice would break both).
        // (sums of 70 000 terms: rounding to ~1e-12)
        assert!((s.unigram.value - ln(70_000.0)).abs() < 1e-10);
        assert!((s.renyi - ln(70_000.0)).abs() < 1e-10);
        for (order, value) in s.conditional.iter().enumerate().skip(1) {
            assert!(value.abs() < 1e-10, "order {}: {value}", order + 1);
        }
        assert_eq!(stats.alphabet.len(), 70_000);
        // The same counts in one update per document, and merged from two accumulators.
        let mut per_doc = TokenStats::new(4).unwrap();
        let mut other = TokenStats::new(4).unwrap();
        for doc in first.chunks(35_000) {
            per_doc
                .update(&Labels::from(doc), &[0], None, &NEVER)
                .unwrap();
            other
                .update(&Labels::from(doc), &[0], None, &NEVER)
                .unwrap();
        }
        per_doc.merge(&other, &NEVER).unwrap();
        let t = per_doc
            .summary(Estimator::Plugin, 2.0, &[0.5], None, &NEVER)
            .unwrap();
        assert_eq!((t.n_tokens, t.n_documents, t.n_types), (140_000, 4, 70_000));
        for (a, b) in s.conditional.iter().zip(&t.conditional) {
            assert!((a - b).abs() < 1e-10);
        }
    }

    #[test]
    fn state_round_trips_and_bad_states_are_refused() {
        let ids: Vec<u32> = (0..5_000u32)
            .map(|i| (i * i) % 97 + (i % 3) * 1_000)
            .collect();
        let summary = |t: &TokenStats| {
            let s = t.summary(Estimator::Plugin, 2.5, &[0.5, 0.9], None, &NEVER);
            format!("{:?}", s.unwrap())
        };
        for order in [1, 3] {
            // Three documents, the last one left open.
            let mut stats = TokenStats::new(order).unwrap();
            let doc_starts = [0, 1_000, 3_100];
            stats
                .update(&Labels::from(&ids[..4_000]), &doc_starts, None, &NEVER)
                .unwrap();
            let parts = stats.to_parts();
            let mut back = TokenStats::from_parts(&parts).unwrap();
            assert_eq!(back.to_parts(), parts, "order {order}");
            assert_eq!(summary(&back), summary(&stats), "order {order}");
            // Both continue the open document alike.
            for t in [&mut stats, &mut back] {
                t.update(&Labels::from(&ids[4_000..]), &[], None, &NEVER)
                    .unwrap();
            }
            assert_eq!(summary(&back), summary(&stats), "order {order}, continued");
            if order == 1 {
                let mut unsorted = stats.to_parts();
                unsorted.unigrams.1.reverse();
                assert!(TokenStats::from_parts(&unsorted).is_err());
            }
            let mut wrong = stats.to_parts();
            wrong.max_id = Some(7);
            assert!(TokenStats::from_parts(&wrong).is_err(), "order {order}");
            let mut wrong = stats.to_parts();
            wrong.max_order = 4 - order; // 3 for 1 and 1 for 3: n-grams of the wrong kind
            assert!(TokenStats::from_parts(&wrong).is_err(), "order {order}");
        }
        // Documents that leave the tail shorter than the head: closed by a merge, a last
        // document shorter than max_order - 1, an empty last document.
        let mut merged = TokenStats::new(3).unwrap();
        merged
            .update(&Labels::from(&ids[..50]), &[0], None, &NEVER)
            .unwrap();
        merged.merge(&merged.clone(), &NEVER).unwrap();
        let mut short = TokenStats::new(4).unwrap();
        short
            .update(&Labels::from(&ids[..60]), &[0, 59, 60], None, &NEVER)
            .unwrap();
        for t in [merged, short] {
            let back = TokenStats::from_parts(&t.to_parts()).unwrap();
            assert_eq!(summary(&back), summary(&t));
        }
        let mut stats = TokenStats::new(2).unwrap();
        stats
            .update(&Labels::from(&ids[..100]), &[0], None, &NEVER)
            .unwrap();
        let mut repeated = stats.to_parts();
        repeated.ids[1] = repeated.ids[0];
        assert!(TokenStats::from_parts(&repeated).is_err());
        let mut unknown_code = stats.to_parts();
        unknown_code.ids.pop();
        unknown_code.max_id = unknown_code.ids.iter().copied().max();
        assert!(TokenStats::from_parts(&unknown_code).is_err());
    }
}
