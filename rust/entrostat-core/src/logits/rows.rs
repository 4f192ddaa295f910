//! Softmax statistics of logit rows without a probability matrix.
//!
//! Each row is read a few times while it sits in cache: its maximum m (and whether it
//! holds NaN or +inf), then with y_i = (x_i - m) / T and e_i = exp(y_i) the sums
//! S0 = sum e_i, S1 = sum e_i y_i, S2 = sum e_i y_i^2 in f64 lanes. With p_i = e_i / S0
//! and ln p_i = y_i - ln S0:
//!   log-sum-exp = m / T + ln S0,   max probability = 1 / S0,
//!   entropy H = ln S0 - S1 / S0,   varentropy Var_p(ln p) = S2 / S0 - (S1 / S0)^2,
//!   target NLL = ln S0 - y_t,      rank = 1 + #{j : x_j > x_t},
//! and the top-k mass sums the k largest e_i. Because the largest y is 0, S0 >= 1 and
//! every |y_i| that carries mass is at most about ln(vocabulary) + 40, so the centred
//! moments lose nothing to cancellation in f64. Entries of -inf (masked vocabulary) have
//! e_i = 0 and add nothing. An f64 row whose x_i - m overflow (a span beyond f64::MAX)
//! at T > 1 is divided by T first. Extra memory: one row buffer per thread, only for
//! strided rows. Formulas: docs/estimators.md.

use super::exp::{exp_neg, exp_neg_lanes, FLUSH};
use super::format::Format;
use super::lanes::Rows;
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::pool;
use ndarray::ArrayView1;
use rayon::prelude::*;
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// Independent accumulators per sum, so that loops vectorise.
const LANES: usize = 8;

/// What a row holding NaN or +inf (or no finite logit at all) gives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NanPolicy {
    /// A `ValueError` naming the first such row.
    Raise,
    /// NaN statistics for that row.
    Propagate,
}

/// Settings shared by every row.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Softmax temperature T > 0: the statistics are those of softmax(x / T).
    pub temperature: f64,
    pub nan_policy: NanPolicy,
    /// Also sum the k largest probabilities.
    pub top_k: Option<usize>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            temperature: 1.0,
            nan_policy: NanPolicy::Raise,
            top_k: None,
        }
    }
}

/// Class-index targets, one per row; rows whose target is `ignore_index` are skipped.
#[derive(Debug, Clone, Copy)]
pub struct Targets<'a> {
    pub ids: ArrayView1<'a, i64>,
    pub ignore_index: i64,
}

/// Statistics of one row, in nats. `nll` is 0 and `rank` 0 where there is no target
/// (or it is ignored); `top_k_mass` is NaN unless asked for.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RowStat {
    pub entropy: f64,
    pub varentropy: f64,
    pub logsumexp: f64,
    pub max_prob: f64,
    pub nll: f64,
    pub rank: i64,
    pub top_k_mass: f64,
}

impl RowStat {
    const NAN: RowStat = RowStat {
        entropy: f64::NAN,
        varentropy: f64::NAN,
        logsumexp: f64::NAN,
        max_prob: f64::NAN,
        nll: f64::NAN,
        rank: 0,
        top_k_mass: f64::NAN,
    };
}

/// Why a row has no statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Defect {
    None,
    NonFinite,
    AllMasked,
}

/// Largest entry of a row, and whether it holds NaN or +inf.
#[inline(always)]
fn row_max<F: Format>(row: &[F::Raw]) -> (f64, bool) {
    let mut max = [f64::NEG_INFINITY; LANES];
    let mut bad = [false; LANES];
    let chunks = row.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for j in 0..LANES {
            let v = F::to_f64(c[j]);
            max[j] = if v > max[j] { v } else { max[j] };
            bad[j] |= v.is_nan() | (v == f64::INFINITY);
        }
    }
    for (j, &r) in rest.iter().enumerate() {
        let v = F::to_f64(r);
        max[j] = if v > max[j] { v } else { max[j] };
        bad[j] |= v.is_nan() | (v == f64::INFINITY);
    }
    (
        max.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        bad.iter().any(|&b| b),
    )
}

/// Whether a finite entry x of a row whose largest entry is `max` has x - max overflow
/// (x < max - f64::MAX): only f64 rows reach such spans, and only for a max of at least
/// half an ulp of f64::MAX (2^970; below it x - max >= -f64::MAX - 2^970 rounds to
/// -f64::MAX), so ordinary rows skip the pass.
#[inline(always)]
fn span_overflows<F: Format>(row: &[F::Raw], max: f64) -> bool {
    const HALF_ULP_OF_MAX: f64 = 9.9792015476736e291; // 2^970
    if std::mem::size_of::<F::Raw>() < 8 || max < HALF_ULP_OF_MAX {
        return false;
    }
    // The least entry above -inf (masked entries are -inf and never overflow).
    let mut low = [f64::INFINITY; LANES];
    let chunks = row.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for j in 0..LANES {
            let v = F::to_f64(c[j]);
            let v = if v > f64::NEG_INFINITY {
                v
            } else {
                f64::INFINITY
            };
            low[j] = if v < low[j] { v } else { low[j] };
        }
    }
    let low = rest
        .iter()
        .map(|&r| F::to_f64(r))
        .filter(|&v| v > f64::NEG_INFINITY)
        .chain(low)
        .fold(f64::INFINITY, f64::min);
    low < max - f64::MAX
}

/// Statistics of softmax(x / T) for a row whose differences x - m overflow while
/// (x - m) / T need not (T > 1): from the entries divided by T, at temperature 1, where
/// no difference overflows (those that still do stand for probabilities below e^-MAX).
#[cold]
#[inline(never)]
fn row_stat_divided<F: Format>(
    row: &[F::Raw],
    target: Option<usize>,
    opts: &Options,
) -> (RowStat, Defect) {
    let inv_t = 1.0 / opts.temperature;
    let divided: Vec<f64> = row.iter().map(|&r| F::to_f64(r) * inv_t).collect();
    let unit = Options {
        temperature: 1.0,
        ..*opts
    };
    row_stat_dispatch::<f64>(&divided, target, &unit)
}

/// Pairwise total of lane accumulators (fixed order, whatever the row length).
#[inline(always)]
fn lanes_total(a: &[f64; LANES]) -> f64 {
    ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]))
}

/// `[S0, S1, S2]`: sums of e^y, y e^y and y^2 e^y over y = (x - shift) * inv_t, for rows
/// whose entries are all <= shift and none NaN. Terms below e^FLUSH count as 0.
#[inline(always)]
pub(crate) fn shifted_sums<F: Format>(row: &[F::Raw], shift: f64, inv_t: f64) -> [f64; 3] {
    let mut s = [[0.0f64; LANES]; 3];
    let chunks = row.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        add_block::<F>(c, shift, inv_t, &mut s);
    }
    if !rest.is_empty() {
        add_block::<F>(rest, shift, inv_t, &mut s);
    }
    [lanes_total(&s[0]), lanes_total(&s[1]), lanes_total(&s[2])]
}

/// One block of up to `LANES` entries into the lane sums. A plain function, not a
/// closure: closures are compiled apart and would lose the caller's AVX2 features.
#[inline(always)]
fn add_block<F: Format>(raw: &[F::Raw], shift: f64, inv_t: f64, s: &mut [[f64; LANES]; 3]) {
    // Missing lanes of a short block hold y = -inf: e = 0 and they add nothing.
    let mut y = [f64::NEG_INFINITY; LANES];
    for (yj, &r) in y.iter_mut().zip(raw) {
        *yj = (F::to_f64(r) - shift) * inv_t;
    }
    let e = exp_neg_lanes(&y);
    for j in 0..LANES {
        // Clamped so that a masked entry (-inf) gives 0 * finite, not 0 * inf.
        let yc = if y[j] < FLUSH { FLUSH } else { y[j] };
        let ye = yc * e[j];
        s[0][j] += e[j];
        s[1][j] += ye;
        s[2][j] += ye * yc;
    }
}

/// [`shifted_sums`] with AVX2 + FMA, four lanes per step (one step at a time: the
/// exponential's constants fill the registers, and a second interleaved step spilled).
///
/// # Safety
/// The CPU must have AVX2, FMA and F16C.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx2,fma,f16c")]
pub(crate) unsafe fn shifted_sums_avx2<F: Format>(
    row: &[F::Raw],
    shift: f64,
    inv_t: f64,
) -> [f64; 3] {
    use super::exp::avx2::exp4;
    use std::arch::x86_64::*;
    let (vs, vt, flush) = (
        _mm256_set1_pd(shift),
        _mm256_set1_pd(inv_t),
        _mm256_set1_pd(FLUSH),
    );
    let mut acc = [_mm256_setzero_pd(); 3];
    let n = row.len();
    let ptr = row.as_ptr();
    let mut i = 0;
    while i + 4 <= n {
        let y = _mm256_mul_pd(_mm256_sub_pd(F::load4(ptr.add(i)), vs), vt);
        let e = exp4(y);
        let yc = _mm256_max_pd(y, flush);
        let ye = _mm256_mul_pd(yc, e);
        acc[0] = _mm256_add_pd(acc[0], e);
        acc[1] = _mm256_add_pd(acc[1], ye);
        acc[2] = _mm256_fmadd_pd(ye, yc, acc[2]);
        i += 4;
    }
    let mut tail = [[0.0f64; LANES]; 3];
    if i < n {
        add_block::<F>(&row[i..], shift, inv_t, &mut tail);
    }
    let mut out = [0.0; 3];
    for (o, (a, t)) in out.iter_mut().zip(acc.iter().zip(&tail)) {
        *o = crate::divergence::fastlog::avx2::lanes_sum(*a) + lanes_total(t);
    }
    out
}

/// [`shifted_sums`] in the CPU's best variant, chosen at run time (inlined into a caller
/// compiled for AVX2, the AVX2 variant inlines too).
#[inline]
pub(crate) fn shifted_sums_dispatch<F: Format>(row: &[F::Raw], shift: f64, inv_t: f64) -> [f64; 3] {
    #[cfg(target_arch = "x86_64")]
    if super::format::has_avx2() {
        // SAFETY: the CPU supports the features the function was compiled for.
        return unsafe { shifted_sums_avx2::<F>(row, shift, inv_t) };
    }
    shifted_sums::<F>(row, shift, inv_t)
}

/// Entropy and varentropy (nats) from the shifted sums.
#[inline(always)]
pub(crate) fn entropy_varentropy(s: [f64; 3]) -> (f64, f64) {
    let mean = s[1] / s[0];
    // Both are >= 0 exactly; rounding can leave -1e-17 (a NaN must stay NaN).
    let h = s[0].ln() - mean;
    let v = s[2] / s[0] - mean * mean;
    (if h < 0.0 { 0.0 } else { h }, if v < 0.0 { 0.0 } else { v })
}

/// 1 + the number of entries strictly above `x`.
#[inline(always)]
fn rank_of<F: Format>(row: &[F::Raw], x: f64) -> i64 {
    let mut above = [0u64; LANES];
    let chunks = row.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for j in 0..LANES {
            above[j] += (F::to_f64(c[j]) > x) as u64;
        }
    }
    let tail = rest.iter().filter(|&&r| F::to_f64(r) > x).count() as u64;
    1 + (above.iter().sum::<u64>() + tail) as i64
}

/// f64 ordered by `total_cmp`, for the top-k heap.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Ordered(f64);
impl Eq for Ordered {}
impl PartialOrd for Ordered {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ordered {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

/// The k largest entries of a row (a min-heap of size k; most entries fail the first
/// comparison with its smallest).
fn top_k_values<F: Format>(row: &[F::Raw], k: usize) -> Vec<f64> {
    let mut heap: BinaryHeap<Reverse<Ordered>> = BinaryHeap::with_capacity(k + 1);
    for &r in row {
        let v = F::to_f64(r);
        if heap.len() < k {
            heap.push(Reverse(Ordered(v)));
        } else if heap.peek().is_some_and(|Reverse(lo)| v > lo.0) {
            heap.pop();
            heap.push(Reverse(Ordered(v)));
        }
    }
    heap.into_iter().map(|Reverse(o)| o.0).collect()
}

/// Statistics of one row with no NaN check left to do.
#[inline(always)]
fn row_stat<F: Format>(row: &[F::Raw], target: Option<usize>, opts: &Options) -> (RowStat, Defect) {
    let (max, bad) = row_max::<F>(row);
    let inv_t = 1.0 / opts.temperature;
    if inv_t < 1.0 && !bad && span_overflows::<F>(row, max) {
        return row_stat_divided::<F>(row, target, opts);
    }
    if bad || max == f64::NEG_INFINITY {
        // Ignored (or absent) targets count 0 even in a NaN row, as they do elsewhere.
        let nan = RowStat {
            nll: if target.is_some() { f64::NAN } else { 0.0 },
            ..RowStat::NAN
        };
        let defect = if bad {
            Defect::NonFinite
        } else {
            Defect::AllMasked
        };
        return (nan, defect);
    }
    let s = shifted_sums_dispatch::<F>(row, max, inv_t);
    let (entropy, varentropy) = entropy_varentropy(s);
    let ln_s0 = s[0].ln();
    let (nll, rank) = match target {
        Some(t) => {
            let xt = F::to_f64(row[t]);
            (ln_s0 - (xt - max) * inv_t, rank_of::<F>(row, xt))
        }
        None => (0.0, 0),
    };
    let top_k_mass = match opts.top_k {
        Some(k) if k >= row.len() => 1.0,
        Some(k) => {
            let mass: f64 = top_k_values::<F>(row, k)
                .into_iter()
                .map(|v| exp_neg((v - max) * inv_t))
                .sum();
            (mass / s[0]).min(1.0)
        }
        None => f64::NAN,
    };
    let stat = RowStat {
        entropy,
        varentropy,
        logsumexp: max * inv_t + ln_s0,
        max_prob: 1.0 / s[0],
        nll,
        rank,
        top_k_mass,
    };
    (stat, Defect::None)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn row_stat_avx2<F: Format>(
    row: &[F::Raw],
    target: Option<usize>,
    opts: &Options,
) -> (RowStat, Defect) {
    row_stat::<F>(row, target, opts)
}

/// [`row_stat`] compiled for AVX2 + FMA where the CPU has them.
fn row_stat_dispatch<F: Format>(
    row: &[F::Raw],
    target: Option<usize>,
    opts: &Options,
) -> (RowStat, Defect) {
    #[cfg(target_arch = "x86_64")]
    if super::format::has_avx2() {
        // SAFETY: the CPU supports the features the function was compiled for.
        return unsafe { row_stat_avx2::<F>(row, target, opts) };
    }
    row_stat::<F>(row, target, opts)
}

/// Checks common to every row-wise function.
pub(crate) fn check_rows(width: usize, temperature: f64) -> Result<()> {
    if width == 0 {
        return Err(Error::value(
            "logits",
            "expected at least one entry along the vocabulary axis, got 0",
        ));
    }
    // 1 / T must be finite too: a subnormal T would make (x - max) / T = 0 * inf at the max.
    if !(temperature > 0.0 && temperature.is_finite() && (1.0 / temperature).is_finite()) {
        return Err(Error::value(
            "temperature",
            format!("expected a finite number > 0 whose inverse is finite, got {temperature}"),
        ));
    }
    Ok(())
}

/// Target indices as row positions (`None` for ignored rows), checked against the
/// vocabulary size.
pub(crate) fn check_targets(
    t: &Targets<'_>,
    rows: usize,
    vocab: usize,
) -> Result<Vec<Option<usize>>> {
    if t.ids.len() != rows {
        return Err(Error::value(
            "targets",
            format!("expected one target per row ({rows}), got {}", t.ids.len()),
        ));
    }
    t.ids
        .iter()
        .enumerate()
        .map(|(i, &id)| {
            if id == t.ignore_index {
                Ok(None)
            } else if id < 0 || id as u64 >= vocab as u64 {
                Err(Error::value(
                    "targets",
                    format!(
                        "entry {i} is {id}, outside [0, {vocab}) and not ignore_index ({})",
                        t.ignore_index
                    ),
                ))
            } else {
                Ok(Some(id as usize))
            }
        })
        .collect()
}

/// The error for a defective row (named by `row`, e.g. "row 3") under `NanPolicy::Raise`.
fn defect_error(row: &str, defect: Defect) -> Error {
    match defect {
        Defect::NonFinite => Error::value(
            "logits",
            format!(
                "{row} contains NaN or +inf (pass nan_policy='propagate' to get NaN \
                 for that row)"
            ),
        ),
        _ => Error::value(
            "logits",
            format!("{row} has no finite logit (every entry is -inf)"),
        ),
    }
}

/// Per-row results, or the first defective row's error under `NanPolicy::Raise`.
fn finish<T, R: Copy>(
    rows: Vec<(T, Defect)>,
    policy: NanPolicy,
    names: &Rows<'_, R>,
) -> Result<Vec<T>> {
    if policy == NanPolicy::Raise {
        if let Some((r, (_, d))) = rows
            .iter()
            .enumerate()
            .find(|(_, (_, d))| *d != Defect::None)
        {
            return Err(defect_error(&names.label(r), *d));
        }
    }
    Ok(rows.into_iter().map(|(s, _)| s).collect())
}

/// Softmax statistics of every row (the last axis) of a logit array.
pub fn logit_stats<F: Format>(
    logits: &Rows<'_, F::Raw>,
    targets: Option<Targets<'_>>,
    opts: &Options,
    cancel: &Cancel,
) -> Result<Vec<RowStat>> {
    check_rows(logits.width(), opts.temperature)?;
    let (rows, vocab) = (logits.len(), logits.width());
    if let Some(k) = opts.top_k {
        if k == 0 || k > vocab {
            return Err(Error::value(
                "top_k",
                format!("expected an integer in [1, {vocab}], got {k}"),
            ));
        }
    }
    let targets = targets
        .map(|t| check_targets(&t, rows, vocab))
        .transpose()?;
    let out = pool::install(|| {
        (0..rows)
            .into_par_iter()
            .with_min_len(4)
            .map_init(Vec::new, |buf, r| {
                cancel.check()?;
                let row = logits.slice(r, buf);
                let target = targets.as_ref().and_then(|t| t[r]);
                Ok(row_stat_dispatch::<F>(row, target, opts))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    finish(out, opts.nan_policy, logits)
}

/// Cross-entropy of one row against soft targets q: ln S0 * sum q - sum_{q_i > 0} q_i y_i.
#[inline(always)]
fn soft_row<F: Format, Q: Format>(
    row: &[F::Raw],
    q: &[Q::Raw],
    inv_t: f64,
) -> std::result::Result<(f64, Defect), ()> {
    if !q
        .iter()
        .all(|&w| (0.0..f64::INFINITY).contains(&Q::to_f64(w)))
    {
        return Err(());
    }
    let (max, bad) = row_max::<F>(row);
    if bad {
        return Ok((f64::NAN, Defect::NonFinite));
    }
    if inv_t < 1.0 && span_overflows::<F>(row, max) {
        // As `row_stat_divided` does (a cold path: rows beyond f64::MAX / 2).
        let divided: Vec<f64> = row.iter().map(|&r| F::to_f64(r) * inv_t).collect();
        return soft_row::<f64, Q>(&divided, q, 1.0);
    }
    if max == f64::NEG_INFINITY {
        return Ok((f64::NAN, Defect::AllMasked));
    }
    let (mut sum_q, mut sum_qy) = (0.0, 0.0);
    for (&x, &w) in row.iter().zip(q) {
        let w = Q::to_f64(w);
        let y = (F::to_f64(x) - max) * inv_t;
        sum_q += w;
        sum_qy += if w > 0.0 { w * y } else { 0.0 };
    }
    let s = shifted_sums_dispatch::<F>(row, max, inv_t);
    Ok((s[0].ln() * sum_q - sum_qy, Defect::None))
}

/// Cross-entropy -sum_i q_i ln softmax(x / T)_i of every row against a row of soft
/// targets (probabilities, not renormalised; q_i = 0 terms are 0 even where x_i = -inf).
pub fn soft_cross_entropy<F: Format, Q: Format>(
    logits: &Rows<'_, F::Raw>,
    q: &Rows<'_, Q::Raw>,
    opts: &Options,
    cancel: &Cancel,
) -> Result<Vec<f64>> {
    check_rows(logits.width(), opts.temperature)?;
    if q.lead() != logits.lead() || q.width() != logits.width() {
        return Err(Error::value(
            "targets",
            format!(
                "soft targets must have the shape of logits ({:?} rows of {}), got {:?} rows of {}",
                logits.lead(),
                logits.width(),
                q.lead(),
                q.width()
            ),
        ));
    }
    let inv_t = 1.0 / opts.temperature;
    // The first bad row's error, in row order.
    let out = pool::try_map_in_order(
        logits.len(),
        4,
        || (Vec::new(), Vec::new()),
        |(bx, bq), r| {
            cancel.check()?;
            let row = logits.slice(r, bx);
            let qr = q.slice(r, bq);
            soft_row::<F, Q>(row, qr, inv_t).map_err(|()| {
                Error::value(
                    "targets",
                    format!(
                        "{} of the soft targets has a negative or non-finite entry",
                        logits.label(r)
                    ),
                )
            })
        },
    )?;
    finish(out, opts.nan_policy, logits)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cancel::NEVER;
    use ndarray::Array2;

    /// Direct computation through log-softmax, for comparison.
    fn naive(row: &[f64]) -> (f64, f64, f64) {
        let m = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let lse = m + row.iter().map(|x| (x - m).exp()).sum::<f64>().ln();
        let logp: Vec<f64> = row.iter().map(|x| x - lse).collect();
        let h: f64 = logp
            .iter()
            .filter(|l| l.is_finite())
            .map(|l| -l.exp() * l)
            .sum();
        let v: f64 = logp
            .iter()
            .filter(|l| l.is_finite())
            .map(|l| l.exp() * (l + h) * (l + h))
            .sum();
        (h, v, lse)
    }

    #[test]
    fn rows_match_the_direct_computation() {
        let mut data = Vec::new();
        for r in 0..7 {
            for j in 0..37 {
                let x = ((r * 37 + j) as f64 * 0.618).sin() * (1.0 + 3.0 * r as f64);
                data.push(if j % 11 == 3 { f64::NEG_INFINITY } else { x });
            }
        }
        let a = Array2::from_shape_vec((7, 37), data).unwrap();
        let ids = ndarray::Array1::from_vec(vec![0i64, 1, 2, -100, 4, 5, 36]);
        let t = Targets {
            ids: ids.view(),
            ignore_index: -100,
        };
        let opts = Options {
            top_k: Some(5),
            ..Options::default()
        };
        let view = a.view();
        let rows = Rows::new(&view, "logits").unwrap();
        let got = logit_stats::<f64>(&rows, Some(t), &opts, &NEVER).unwrap();
        for (r, s) in got.iter().enumerate() {
            let row: Vec<f64> = a.row(r).to_vec();
            let (h, v, lse) = naive(&row);
            assert!((s.entropy - h).abs() < 1e-12, "{r}");
            assert!((s.varentropy - v).abs() < 1e-12, "{r}");
            assert!((s.logsumexp - lse).abs() < 1e-12, "{r}");
            if ids[r] >= 0 {
                let xt = row[ids[r] as usize];
                assert!((s.nll - (lse - xt)).abs() < 1e-12 || xt == f64::NEG_INFINITY);
                let above = row.iter().filter(|&&x| x > xt).count() as i64;
                assert_eq!(s.rank, above + 1);
            } else {
                assert_eq!((s.nll, s.rank), (0.0, 0));
            }
            let mut sorted = row.clone();
            sorted.sort_by(|a, b| b.total_cmp(a));
            let top: f64 = sorted[..5].iter().map(|x| (x - lse).exp()).sum();
            assert!((s.top_k_mass - top).abs() < 1e-12);
        }
    }

    #[test]
    fn uniform_rows_of_every_length() {
        for v in 1..40 {
            let a = Array2::<f32>::from_elem((2, v), 1.5);
            let view = a.view();
            let rows = Rows::new(&view, "logits").unwrap();
            for s in logit_stats::<f32>(&rows, None, &Options::default(), &NEVER).unwrap() {
                assert!((s.entropy - (v as f64).ln()).abs() < 1e-14, "{v}");
                assert_eq!(s.varentropy, 0.0, "{v}");
                assert!((s.max_prob - 1.0 / v as f64).abs() < 1e-15, "{v}");
            }
        }
    }

    #[test]
    fn defects_raise_or_propagate() {
        let a = Array2::from_shape_vec(
            (3, 2),
            vec![
                0.0,
                1.0,
                f64::NAN,
                1.0,
                f64::NEG_INFINITY,
                f64::NEG_INFINITY,
            ],
        )
        .unwrap();
        let view = a.view();
        let rows = Rows::new(&view, "logits").unwrap();
        let err = logit_stats::<f64>(&rows, None, &Options::default(), &NEVER).unwrap_err();
        assert!(err.to_string().contains("row 1"), "{err}");
        let opts = Options {
            nan_policy: NanPolicy::Propagate,
            ..Options::default()
        };
        let got = logit_stats::<f64>(&rows, None, &opts, &NEVER).unwrap();
        assert!(got[0].entropy.is_finite());
        assert!(got[1].entropy.is_nan() && got[2].entropy.is_nan());
    }
}
