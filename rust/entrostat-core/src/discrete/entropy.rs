//! Entropies of labels: count (directly for one column, through joint codes for several),
//! then estimate from the counts.

use super::counting::count_labels;
use super::estimators::{entropy_from_fingerprint, renyi_from_counts, tsallis_from_counts};
use super::estimators::{Estimate, Estimator};
use super::histogram::Histogram;
use super::joint::count_joint;
use super::ngrams::{count_ngrams, NgramCounts};
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::labels::Labels;
use ndarray::ArrayView2;

/// Apply `f` to every row of a 2-D count array, rows in parallel (a non-contiguous row is
/// copied once); `cancel` is checked before each row.
pub fn map_rows<E, T, F>(counts: ArrayView2<'_, E>, cancel: &Cancel, f: F) -> Result<Vec<T>>
where
    E: Copy + Sync,
    T: Send,
    F: Fn(&[E]) -> Result<T> + Sync,
{
    map_indexed(counts.nrows(), cancel, |i| {
        let row = counts.row(i);
        match row.as_slice() {
            Some(s) => f(s),
            None => f(&row.to_vec()),
        }
    })
}

/// Apply `f` to the segments `values[bounds[i]..bounds[i + 1]]` (the rows of a CSR
/// matrix: its data and row pointers), in parallel; `cancel` is checked before each.
pub fn map_segments<E, T, F>(
    values: &[E],
    bounds: &[usize],
    cancel: &Cancel,
    f: F,
) -> Result<Vec<T>>
where
    E: Sync,
    T: Send,
    F: Fn(&[E]) -> Result<T> + Sync,
{
    let ordered = bounds.windows(2).all(|w| w[0] <= w[1]);
    if !ordered || bounds.first() != Some(&0) || bounds.last() != Some(&values.len()) {
        return Err(Error::value(
            "counts",
            format!(
                "the sparse matrix's row pointers (indptr) must rise from 0 to the number \
                 of stored values ({})",
                values.len()
            ),
        ));
    }
    map_indexed(bounds.len() - 1, cancel, |i| {
        f(&values[bounds[i]..bounds[i + 1]])
    })
}

/// `one(i)` for every i below `n`, in parallel; `cancel` is checked before each. On
/// errors, the first failing row's error, in row order ([`crate::pool::try_map_in_order`]).
fn map_indexed<T, F>(n: usize, cancel: &Cancel, one: F) -> Result<Vec<T>>
where
    T: Send,
    F: Fn(usize) -> Result<T> + Sync,
{
    let one = |i: usize| {
        cancel.check()?;
        one(i)
    };
    if n < 2 {
        // Nothing to share out: handing one row to a pool thread (waking it, moving the
        // row to its cache) cost as much as the row's estimate.
        return (0..n).map(one).collect();
    }
    crate::pool::try_map_in_order(n, 1, || (), |_, i| one(i))
}

/// Histogram of the symbols formed by the rows of `cols` (one or more equal-length columns).
pub fn count_columns(cols: &[Labels<'_>], cancel: &Cancel) -> Result<Histogram> {
    match cols {
        [] => Err(Error::value("x", "expected at least one column")),
        [one] => count_labels(one, cancel),
        many => count_joint(many, cancel),
    }
}

/// Nonzero counts of a histogram, as the estimators take them.
pub fn count_vector(hist: &Histogram) -> Vec<f64> {
    hist.nonzero_counts()
        .into_iter()
        .map(|c| c as f64)
        .collect()
}

/// Shannon entropy (nats) of the symbols formed by the rows of `cols`. `n_bins` is the
/// alphabet size for shrink / NSB; by default the number of distinct observed symbols.
pub fn entropy_of_columns(
    cols: &[Labels<'_>],
    estimator: Estimator,
    n_bins: Option<f64>,
    cancel: &Cancel,
) -> Result<Estimate> {
    let fp = count_columns(cols, cancel)?.fingerprint();
    entropy_from_fingerprint(&fp, estimator, n_bins)
}

/// Renyi entropy of order alpha (nats) of the rows of `cols`.
pub fn renyi_of_columns(cols: &[Labels<'_>], alpha: f64, cancel: &Cancel) -> Result<f64> {
    renyi_from_counts(&count_vector(&count_columns(cols, cancel)?), alpha)
}

/// Tsallis entropy of index q of the rows of `cols`.
pub fn tsallis_of_columns(cols: &[Labels<'_>], q: f64, cancel: &Cancel) -> Result<f64> {
    tsallis_from_counts(&count_vector(&count_columns(cols, cancel)?), q)
}

/// Entropy of the order-grams of `seq` and of their (order-1)-prefixes over the same
/// windows; their difference is the conditional entropy of a symbol given its context.
pub fn ngram_entropies(
    seq: &Labels<'_>,
    order: usize,
    estimator: Estimator,
    cancel: &Cancel,
) -> Result<(Estimate, Estimate)> {
    if order == 1 && !seq.is_empty() {
        // Unigrams are labels: the label histogram (dense or hashed) needs memory for the
        // distinct symbols only, where n-gram counting holds pending keys per window.
        let fp = count_labels(seq, cancel)?.fingerprint();
        return Ok((
            entropy_from_fingerprint(&fp, estimator, None)?,
            no_context(estimator),
        ));
    }
    let counts = count_ngrams(seq, order, cancel)?;
    if counts.n_windows() == 0 {
        return Err(Error::value(
            "seq",
            format!(
                "a sequence of {} symbols has no n-gram of order {order}",
                counts.len()
            ),
        ));
    }
    entropies_of_ngrams(&counts, estimator, cancel)
}

/// Entropy of counted n-grams and of their prefixes (as `ngram_entropies`); at least one
/// window must have been counted.
pub fn entropies_of_ngrams(
    counts: &NgramCounts,
    estimator: Estimator,
    cancel: &Cancel,
) -> Result<(Estimate, Estimate)> {
    let (ngrams, prefixes) = counts.fingerprints(cancel)?;
    let block = entropy_from_fingerprint(&ngrams, estimator, None)?;
    // Unigrams have no context: the conditional entropy is the entropy itself, whatever
    // an estimator would make of the single "empty prefix" bin.
    let context = if counts.order() == 1 {
        no_context(estimator)
    } else {
        entropy_from_fingerprint(&prefixes, estimator, None)?
    };
    Ok((block, context))
}

/// The entropy of the empty context of unigrams: 0 (with a zero NSB stderr).
fn no_context(estimator: Estimator) -> Estimate {
    Estimate {
        value: 0.0,
        stderr: Some(0.0).filter(|_| estimator == Estimator::Nsb),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cancel::NEVER;

    #[test]
    fn segments_are_the_slices_between_pointers() {
        let values = [1u64, 2, 3, 4, 5, 6];
        let sums =
            |bounds: &[usize]| map_segments(&values, bounds, &NEVER, |s| Ok(s.iter().sum::<u64>()));
        assert_eq!(sums(&[0, 2, 2, 6]).unwrap(), vec![3, 0, 18]);
        assert_eq!(sums(&[0, 6]).unwrap(), vec![21]);
        // One pointer: no segment.
        assert_eq!(
            map_segments(&[0u64; 0], &[0], &NEVER, |_| Ok(1)).unwrap(),
            vec![]
        );
        for bad in [&[0usize, 3, 2, 6][..], &[1, 6], &[0, 7], &[0, 5], &[]] {
            let err = sums(bad).unwrap_err().to_string();
            assert!(
                err.starts_with("counts: the sparse matrix's row pointers"),
                "{err}"
            );
        }
        let stop = Cancel::new();
        stop.raise();
        let interrupted = map_segments(&values, &[0, 1, 6], &stop, |s| Ok(s.len()));
        assert_eq!(interrupted, Err(Error::Interrupted));
    }

    #[test]
    fn the_first_failing_row_is_reported() {
        // Every row from 3 on fails, each with its own message: always row 3's, however
        // the threads share the rows out.
        let bounds: Vec<usize> = (0..=4000).collect();
        let values = vec![0u8; 4000];
        for _ in 0..20 {
            let got = map_segments(&values, &bounds, &NEVER, |s| {
                let row = s.as_ptr() as usize - values.as_ptr() as usize;
                if row == 3 {
                    // Fails last: a collect keeping the first error met would give
                    // another row's (the other threads fail at once).
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                if row >= 3 {
                    Err(Error::value("counts", format!("row {row}")))
                } else {
                    Ok(row)
                }
            });
            assert_eq!(got.unwrap_err().to_string(), "counts: row 3");
        }
    }
}
