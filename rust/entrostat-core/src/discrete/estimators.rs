//! Entropy estimators on a vector of counts. All results are in nats.
//! Formulas and references: docs/estimators.md.

use super::fingerprint::Fingerprint;
use crate::error::{Error, Result};
use crate::special::{digamma, ln_gamma_ratio, trigamma};
use std::str::FromStr;

/// Bins as groups of (count, multiplicity): a vector of counts (each bin once), or a
/// fingerprint (how many bins hold each count), which is far shorter when millions of
/// bins share a few count values (n-grams). Every estimator is a sum over bins of a
/// function of the count and a few totals, so both forms give the same numbers.
pub trait Bins {
    /// `f(acc, count, multiplicity)` over the groups, in order.
    fn fold_bins<A>(&self, init: A, f: impl FnMut(A, f64, f64) -> A) -> A;

    /// Sum of `f(count) * multiplicity` over groups with a nonzero count.
    fn sum_nonzero(&self, mut f: impl FnMut(f64) -> f64) -> f64 {
        self.fold_bins(0.0, |s, c, m| if c > 0.0 { s + m * f(c) } else { s })
    }

    /// Number of bins with a nonzero count.
    fn nonzero(&self) -> f64 {
        self.sum_nonzero(|_| 1.0)
    }

    /// Sum of n log n over the bins.
    fn sum_c_log_c(&self) -> f64 {
        self.sum_nonzero(|c| c * c.ln())
    }
}

impl Bins for [f64] {
    fn fold_bins<A>(&self, init: A, mut f: impl FnMut(A, f64, f64) -> A) -> A {
        self.iter().fold(init, |a, &c| f(a, c, 1.0))
    }

    /// Counted, not summed as floats (a serial chain of additions).
    fn nonzero(&self) -> f64 {
        self.iter().filter(|&&c| c > 0.0).count() as f64
    }

    /// Vectorised: a count vector has a term per bin (a fingerprint one per distinct count).
    fn sum_c_log_c(&self) -> f64 {
        crate::divergence::fastlog::sum_x_ln_x(self)
    }
}

/// (count, multiplicity) pairs.
struct Groups<'a>(&'a [(f64, f64)]);

impl Bins for Groups<'_> {
    fn fold_bins<A>(&self, init: A, mut f: impl FnMut(A, f64, f64) -> A) -> A {
        self.0.iter().fold(init, |a, &(c, m)| f(a, c, m))
    }
}

/// The Shannon-entropy estimators the library offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Estimator {
    Plugin,
    MillerMadow,
    Grassberger,
    ChaoShen,
    Jackknife,
    Shrink,
    Nsb,
}

impl Estimator {
    pub const NAMES: [&'static str; 7] = [
        "plugin",
        "miller_madow",
        "grassberger",
        "chao_shen",
        "jackknife",
        "shrink",
        "nsb",
    ];
}

impl FromStr for Estimator {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s {
            "plugin" => Estimator::Plugin,
            "miller_madow" => Estimator::MillerMadow,
            "grassberger" => Estimator::Grassberger,
            "chao_shen" => Estimator::ChaoShen,
            "jackknife" => Estimator::Jackknife,
            "shrink" => Estimator::Shrink,
            "nsb" => Estimator::Nsb,
            other => {
                return Err(Error::value(
                    "estimator",
                    format!(
                        "expected one of {}, got {other:?}",
                        Estimator::NAMES.join(", ")
                    ),
                ))
            }
        })
    }
}

/// An entropy estimate in nats; `stderr` where the estimator provides one (NSB).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub stderr: Option<f64>,
}

impl Estimate {
    fn point(value: f64) -> Self {
        Estimate {
            value,
            stderr: None,
        }
    }
}

/// Largest total of whole-number counts: 2^53, past which float64 skips integers.
const MAX_EXACT_TOTAL: f64 = 9_007_199_254_740_992.0;

/// Whether a count (>= 0) is a whole number, without a libm `trunc` (x86-64's baseline
/// has no rounding instruction): below 2^52, adding 2^52 rounds to an integer.
#[inline(always)]
fn is_whole(c: f64) -> bool {
    const TWO52: f64 = 4_503_599_627_370_496.0;
    c >= TWO52 || (c + TWO52) - TWO52 == c
}

/// The error for the first count that is negative, not finite, or (when `integral`) not
/// a whole number.
#[cold]
fn first_invalid(counts: &[f64], integral: bool) -> Error {
    for &c in counts {
        if !c.is_finite() || c < 0.0 {
            return Error::value(
                "counts",
                format!("expected finite non-negative counts, got {c}"),
            );
        }
        if integral && c.fract() != 0.0 {
            return Error::value(
                "counts",
                format!("this estimator needs whole-number counts, got {c}"),
            );
        }
    }
    // Not reached: the callers found an invalid count.
    Error::value("counts", "expected finite non-negative counts")
}

/// Check that counts are finite and non-negative (and whole numbers when `integral`);
/// returns their total.
pub fn validate_counts(counts: &[f64], integral: bool) -> Result<f64> {
    checked_counts(counts, integral).map(|(total, _)| total)
}

/// [`validate_counts`], and whether every count is a whole number.
fn checked_counts(counts: &[f64], integral: bool) -> Result<(f64, bool)> {
    // One branch-free pass that vectorises (a branch and a libm `trunc` per count cost
    // more than the entropy); the first offending count is looked for only on failure.
    let mut sums = [0.0f64; 8];
    let (mut bad, mut fractional) = (false, false);
    let mut lanes = |block: &[f64]| {
        for (s, &c) in sums.iter_mut().zip(block) {
            *s += c;
            bad |= !(0.0..=f64::MAX).contains(&c);
            fractional |= !is_whole(c);
        }
    };
    let chunks = counts.chunks_exact(8);
    let tail = chunks.remainder();
    chunks.for_each(&mut lanes);
    lanes(tail);
    if bad || (integral && fractional) {
        return Err(first_invalid(counts, integral));
    }
    // Pairwise, so the total does not depend on where the tail starts.
    let total =
        ((sums[0] + sums[4]) + (sums[2] + sums[6])) + ((sums[1] + sums[5]) + (sums[3] + sums[7]));
    check_total(total, integral)?;
    Ok((total, !fractional))
}

/// The checks of valid counts' total.
fn check_total(total: f64, integral: bool) -> Result<()> {
    if total <= 0.0 {
        return Err(Error::value("counts", "the counts sum to zero"));
    }
    if !total.is_finite() {
        return Err(Error::value(
            "counts",
            "the counts sum past the largest float64; rescale them",
        ));
    }
    // Whole numbers are exact in float64 only up to 2^53; past that the bias corrections'
    // sums lose every digit (a jackknife of [1e200, 1e200] gave -460 nats).
    if integral && total > MAX_EXACT_TOTAL {
        return Err(Error::value(
            "counts",
            format!(
                "this estimator needs whole-number counts, exact in float64 up to 2^53; \
                 they sum to {total:e} (the plug-in estimator takes any scale)"
            ),
        ));
    }
    Ok(())
}

/// Plug-in (maximum-likelihood) entropy: log N - (1/N) sum n log n.
pub fn plugin<B: Bins + ?Sized>(counts: &B, total: f64) -> f64 {
    if counts.nonzero() <= 1.0 {
        return 0.0; // one symbol: exactly zero, not ln N - (N ln N)/N rounded
    }
    let h = total.ln() - counts.sum_c_log_c() / total;
    // Rounding can leave -1e-16 for a single bin; NaN must stay visible.
    if h < 0.0 {
        0.0
    } else {
        h
    }
}

/// Plug-in entropy of weights of any magnitude: tiny (subnormal) or huge weights are first
/// scaled by their maximum, which leaves the distribution unchanged.
fn plugin_scaled(counts: &[f64], total: f64) -> f64 {
    if (1e-150..=1e150).contains(&total) {
        return plugin(counts, total);
    }
    let max = counts.iter().copied().fold(0.0, f64::max);
    let scaled: Vec<f64> = counts.iter().map(|&c| c / max).collect();
    plugin(&scaled[..], scaled.iter().sum())
}

/// Miller-Madow: plug-in + (m - 1) / (2N), m = number of nonzero bins.
pub fn miller_madow<B: Bins + ?Sized>(counts: &B, total: f64) -> f64 {
    plugin(counts, total) + (counts.nonzero() - 1.0) / (2.0 * total)
}

/// Grassberger (2003): log N - (1/N) sum n G(n), G(n) = psi(n) + (-1)^n/2 (psi((n+1)/2) - psi(n/2)).
pub fn grassberger<B: Bins + ?Sized>(counts: &B, total: f64) -> f64 {
    let g = |n: f64| {
        let sign = if n % 2.0 == 0.0 { 1.0 } else { -1.0 };
        digamma(n) + 0.5 * sign * (digamma((n + 1.0) / 2.0) - digamma(n / 2.0))
    };
    total.ln() - counts.sum_nonzero(|c| c * g(c)) / total
}

/// Chao-Shen (2003): coverage-adjusted Horvitz-Thompson estimator.
pub fn chao_shen<B: Bins + ?Sized>(counts: &B, total: f64) -> f64 {
    let mut f1 = counts.sum_nonzero(|c| if c == 1.0 { 1.0 } else { 0.0 });
    if f1 == total {
        f1 = total - 1.0;
    }
    let coverage = 1.0 - f1 / total;
    counts.sum_nonzero(|c| {
        let pa = coverage * c / total;
        let inclusion = 1.0 - (1.0 - pa).powf(total);
        -pa * pa.ln() / inclusion
    })
}

/// Delete-one jackknife of the plug-in estimate, grouped by bin (the N leave-one-out
/// estimates take one value per nonzero bin). Written as H - (N-1)/N sum_i n_i d_i with
/// d_i = H_{-i} - H, which avoids the cancellation of N H - (N-1)/N sum_i n_i H_{-i}.
pub fn jackknife<B: Bins + ?Sized>(counts: &B, total: f64) -> f64 {
    if total <= 1.0 || counts.nonzero() <= 1.0 {
        return 0.0; // every leave-one-out sample has one symbol too
    }
    let n = total;
    let s = counts.sum_c_log_c();
    // c ln c - (c-1) ln(c-1), without subtracting two nearly equal large numbers.
    let step = |c: f64| {
        if c > 1.0 {
            c.ln() - (c - 1.0) * (-1.0 / c).ln_1p()
        } else {
            0.0
        }
    };
    let base = (-1.0 / n).ln_1p() - s / (n * (n - 1.0));
    let weighted_d = counts.sum_nonzero(|c| c * (base + step(c) / (n - 1.0)));
    plugin(counts, total) - (n - 1.0) / n * weighted_d
}

/// James-Stein shrinkage towards the uniform distribution over `n_bins` bins
/// (Hausser and Strimmer, 2009).
pub fn shrink<B: Bins + ?Sized>(counts: &B, total: f64, n_bins: f64) -> f64 {
    let target = 1.0 / n_bins;
    // Every bin given, zeros included.
    let all = |f: &dyn Fn(f64) -> f64| counts.fold_bins(0.0, |s, c, m| s + m * f(c));
    let observed = all(&|_| 1.0);
    // Bins beyond the given counts (n_bins > len) are empty: p_ml = 0 there.
    let unseen = (n_bins - observed).max(0.0);
    let sum_p2 = all(&|c| (c / total).powi(2));
    let sum_dev2 = all(&|c| (target - c / total).powi(2)) + unseen * target * target;
    let lambda = if total <= 1.0 || sum_dev2 == 0.0 {
        1.0
    } else {
        ((1.0 - sum_p2) / ((total - 1.0) * sum_dev2)).clamp(0.0, 1.0)
    };
    let h = |p: f64| if p > 0.0 { -p * p.ln() } else { 0.0 };
    let seen = all(&|c| h(lambda * target + (1.0 - lambda) * c / total));
    seen + unseen * h(lambda * target)
}

/// The counts' fingerprint: (count value, number of bins with that count), zeros included.
fn fingerprint<B: Bins + ?Sized>(counts: &B, n_bins: f64) -> Vec<(f64, f64)> {
    let mut sorted: Vec<(f64, f64)> = counts.fold_bins(Vec::new(), |mut v, c, m| {
        if c > 0.0 {
            v.push((c, m));
        }
        v
    });
    sorted.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
    let mut fp: Vec<(f64, f64)> = Vec::new();
    for (c, mult) in sorted {
        match fp.last_mut() {
            Some((v, m)) if *v == c => *m += mult,
            _ => fp.push((c, mult)),
        }
    }
    let zeros = n_bins - fp.iter().map(|(_, m)| m).sum::<f64>();
    if zeros > 0.0 {
        fp.push((0.0, zeros));
    }
    fp
}

/// Posterior quantities of NSB at one concentration beta.
struct NsbPoint {
    log_weight: f64,
    mean: f64,
    second: f64,
}

fn nsb_point(fp: &[(f64, f64)], total: f64, k: f64, beta: f64) -> NsbPoint {
    let a_tot = total + k * beta;
    // Prior over beta is d xi / d beta (xi = prior mean entropy); integrate in log beta.
    let dxi = k * trigamma(k * beta + 1.0) - trigamma(beta + 1.0);
    let mut log_lik = -ln_gamma_ratio(k * beta, total);
    let psi_a2 = digamma(a_tot + 2.0);
    let tri_a2 = trigamma(a_tot + 2.0);
    let mut mean = digamma(a_tot + 1.0);
    // For the second moment: sum_i a_i u_i, sum_i a_i^2 u_i^2, sum a_i^2, and the diagonal.
    let (mut s_au, mut s_a2u2, mut s_a2, mut diag) = (0.0, 0.0, 0.0, 0.0);
    for &(c, mult) in fp {
        let a = c + beta;
        if c > 0.0 {
            log_lik += mult * ln_gamma_ratio(beta, c);
        }
        let psi_a1 = digamma(a + 1.0);
        mean -= mult * a / a_tot * psi_a1;
        let u = psi_a1 - psi_a2;
        s_au += mult * a * u;
        s_a2u2 += mult * a * a * u * u;
        s_a2 += mult * a * a;
        let v = digamma(a + 2.0) - psi_a2;
        diag += mult * a * (a + 1.0) * (v * v + trigamma(a + 2.0) - tri_a2);
    }
    let norm = a_tot * (a_tot + 1.0);
    let off_diag = (s_au * s_au - s_a2u2) - tri_a2 * (a_tot * a_tot - s_a2);
    NsbPoint {
        log_weight: log_lik + dxi.max(f64::MIN_POSITIVE).ln() + beta.ln(),
        mean,
        second: (off_diag + diag) / norm,
    }
}

/// Nemenman-Shafee-Bialek (2002): posterior mean and standard deviation of the entropy
/// under a mixture of Dirichlet priors flat in the prior expected entropy.
pub fn nsb<B: Bins + ?Sized>(counts: &B, total: f64, n_bins: f64) -> Estimate {
    if n_bins <= 1.0 {
        return Estimate {
            value: 0.0,
            stderr: Some(0.0),
        };
    }
    let fp = fingerprint(counts, n_bins);
    let eval = |t: f64| nsb_point(&fp, total, n_bins, t.exp());
    // Locate the posterior mass in t = log beta on a coarse grid, then integrate finely.
    let (t_lo, t_hi) = (-30.0_f64, 25.0_f64);
    let coarse = 221;
    let step = (t_hi - t_lo) / (coarse - 1) as f64;
    let lw: Vec<f64> = (0..coarse)
        .map(|i| eval(t_lo + i as f64 * step).log_weight)
        .collect();
    let max_lw = lw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let keep = |w: f64| w > max_lw - 50.0;
    let first = lw.iter().position(|&w| keep(w)).unwrap_or(0);
    let last = lw.iter().rposition(|&w| keep(w)).unwrap_or(coarse - 1);
    let a = t_lo + first.saturating_sub(1) as f64 * step;
    let b = t_lo + (last + 1).min(coarse - 1) as f64 * step;
    // Simpson's rule on a fine grid over [a, b].
    let fine = 801;
    let h = (b - a) / (fine - 1) as f64;
    let pts: Vec<NsbPoint> = (0..fine).map(|i| eval(a + i as f64 * h)).collect();
    let peak = pts
        .iter()
        .map(|p| p.log_weight)
        .fold(f64::NEG_INFINITY, f64::max);
    let (mut z, mut m1, mut m2) = (0.0, 0.0, 0.0);
    for (i, p) in pts.iter().enumerate() {
        let simpson = if i == 0 || i == fine - 1 {
            1.0
        } else if i % 2 == 1 {
            4.0
        } else {
            2.0
        };
        let w = simpson * (p.log_weight - peak).exp();
        z += w;
        m1 += w * p.mean;
        m2 += w * p.second;
    }
    let mean = m1 / z;
    let var = (m2 / z - mean * mean).max(0.0);
    Estimate {
        value: mean,
        stderr: Some(var.sqrt()),
    }
}

/// Estimate the entropy (nats) of `counts` (zeros allowed). `n_bins` is the alphabet size
/// for shrink and NSB; by default the length of `counts`.
pub fn entropy_from_counts(
    counts: &[f64],
    estimator: Estimator,
    n_bins: Option<f64>,
) -> Result<Estimate> {
    let integral = estimator != Estimator::Plugin;
    let (total, whole) = checked_counts(counts, integral)?;
    let k = alphabet_size(n_bins, counts.len() as f64)?;
    // Each count fits u64 (total <= 2^53).
    if whole && total <= MAX_EXACT_TOTAL && counts.len() >= fingerprint_from(estimator) {
        let mut fp = Fingerprint::new();
        fp.extend_whole(counts);
        return Ok(on_fingerprint(&fp, total, estimator, k));
    }
    Ok(match estimator {
        // Weights that need not be whole numbers, nor sum below 2^53.
        Estimator::Plugin => Estimate::point(plugin_scaled(counts, total)),
        _ => estimate(counts, total, estimator, k),
    })
}

/// Rows of at least this many bins are estimated on their fingerprint. Every estimator is
/// a sum over bins of a function of the count: on the fingerprint it runs once per
/// distinct count (a Zipf histogram of 50 000 bins holds a few hundred), not once per
/// bin, which pays once building the fingerprint costs less than the per-bin terms (a few
/// microseconds: long rows for the plug-in estimators' cheap terms, shorter ones for
/// digammas and powers).
fn fingerprint_from(estimator: Estimator) -> usize {
    match estimator {
        Estimator::Plugin | Estimator::MillerMadow => 4096,
        _ => 256,
    }
}

/// `estimator` on the counts of `fp` (zero bins stay counted in `k`).
fn on_fingerprint(fp: &Fingerprint, total: f64, estimator: Estimator, k: f64) -> Estimate {
    let groups = fp.groups();
    estimate(&Groups(&groups), total, estimator, k)
}

/// Integer counts as NumPy holds them (`np.bincount` gives int64).
pub trait IntCount: Copy + Sync + std::fmt::Display {
    fn is_negative(self) -> bool;
    /// The count (when not negative).
    fn to_u64(self) -> u64;
}

impl IntCount for i64 {
    #[inline(always)]
    fn is_negative(self) -> bool {
        self < 0
    }
    #[inline(always)]
    fn to_u64(self) -> u64 {
        self as u64
    }
}

impl IntCount for u64 {
    #[inline(always)]
    fn is_negative(self) -> bool {
        false
    }
    #[inline(always)]
    fn to_u64(self) -> u64 {
        self
    }
}

/// [`entropy_from_counts`] of integer counts: the same estimate, without a float64 copy
/// of a row long enough for its fingerprint (short rows, and totals past 2^53, take the
/// float64 path). A negative count is quoted exactly (a float64 copy would round it).
pub fn entropy_from_int_counts<T: IntCount>(
    counts: &[T],
    estimator: Estimator,
    n_bins: Option<f64>,
) -> Result<Estimate> {
    let long = counts.len() >= fingerprint_from(estimator);
    let (total, negative) = if long {
        exact_total(counts)
    } else {
        (0, counts.iter().any(|c| c.is_negative()))
    };
    if negative {
        return Err(negative_count(counts));
    }
    // Rounded as the float path's sum of the same counts is (exact up to 2^53): both
    // paths accept the same rows.
    let total = total as f64;
    if !long || total > MAX_EXACT_TOTAL {
        let floats: Vec<f64> = counts.iter().map(|&c| c.to_u64() as f64).collect();
        return entropy_from_counts(&floats, estimator, n_bins);
    }
    check_total(total, estimator != Estimator::Plugin)?;
    let k = alphabet_size(n_bins, counts.len() as f64)?;
    let mut fp = Fingerprint::new();
    fp.extend(counts.iter().map(|&c| c.to_u64()));
    Ok(on_fingerprint(&fp, total, estimator, k))
}

/// The element types of count rows, each with its estimator entry point: float64
/// weights ([`entropy_from_counts`]) or integer counts ([`entropy_from_int_counts`]).
pub trait CountElement: Copy + Sync {
    fn entropy_of_row(row: &[Self], estimator: Estimator, n_bins: Option<f64>) -> Result<Estimate>;
}

impl CountElement for f64 {
    fn entropy_of_row(row: &[f64], estimator: Estimator, n_bins: Option<f64>) -> Result<Estimate> {
        entropy_from_counts(row, estimator, n_bins)
    }
}

impl CountElement for i64 {
    fn entropy_of_row(row: &[i64], estimator: Estimator, n_bins: Option<f64>) -> Result<Estimate> {
        entropy_from_int_counts(row, estimator, n_bins)
    }
}

impl CountElement for u64 {
    fn entropy_of_row(row: &[u64], estimator: Estimator, n_bins: Option<f64>) -> Result<Estimate> {
        entropy_from_int_counts(row, estimator, n_bins)
    }
}

/// The exact total of integer counts (meaningless if one is negative), and whether one
/// is: one branch-free pass summing 32-bit halves in u64 lanes (a u128 sum does not
/// vectorise); 2^32 halves below 2^32 each fit a u64.
fn exact_total<T: IntCount>(counts: &[T]) -> (u128, bool) {
    let (mut total, mut negative) = (0u128, false);
    for chunk in counts.chunks(u32::MAX as usize) {
        let (mut low, mut high) = (0u64, 0u64);
        for &c in chunk {
            negative |= c.is_negative();
            let v = c.to_u64();
            low += v & 0xffff_ffff;
            high += v >> 32;
        }
        total += u128::from(low) + (u128::from(high) << 32);
    }
    (total, negative)
}

/// The error for the first negative count.
#[cold]
fn negative_count<T: IntCount>(counts: &[T]) -> Error {
    let c = counts.iter().find(|c| c.is_negative());
    Error::value(
        "counts",
        format!(
            "expected finite non-negative counts, got {}",
            c.map_or(String::new(), T::to_string)
        ),
    )
}

/// Any estimator on whole-number counts summing to `total`, `k` bins in the alphabet.
pub(crate) fn estimate<B: Bins + ?Sized>(
    counts: &B,
    total: f64,
    estimator: Estimator,
    k: f64,
) -> Estimate {
    match estimator {
        Estimator::Plugin => Estimate::point(plugin(counts, total)),
        Estimator::MillerMadow => Estimate::point(miller_madow(counts, total)),
        Estimator::Grassberger => Estimate::point(grassberger(counts, total)),
        Estimator::ChaoShen => Estimate::point(chao_shen(counts, total)),
        Estimator::Jackknife => Estimate::point(jackknife(counts, total)),
        Estimator::Shrink => Estimate::point(shrink(counts, total, k)),
        Estimator::Nsb => nsb(counts, total, k),
    }
}

/// Estimate the entropy (nats) of the counts summarised by a fingerprint: the same number
/// as `entropy_from_counts` on the counts themselves, up to the order of the sums.
/// `n_bins` defaults to the number of nonzero bins.
pub fn entropy_from_fingerprint(
    fp: &Fingerprint,
    estimator: Estimator,
    n_bins: Option<f64>,
) -> Result<Estimate> {
    let groups = fp.groups();
    let groups = Groups(&groups);
    let total = groups.sum_nonzero(|c| c);
    if total <= 0.0 {
        return Err(Error::value("counts", "the counts sum to zero"));
    }
    let k = alphabet_size(n_bins, groups.nonzero())?;
    Ok(estimate(&groups, total, estimator, k))
}

/// The alphabet size of the shrink and NSB estimators: `n_bins`, at least the `bins`
/// counted, which it defaults to.
pub fn alphabet_size(n_bins: Option<f64>, bins: f64) -> Result<f64> {
    let k = n_bins.unwrap_or(bins);
    if k.is_nan() || k < bins {
        return Err(Error::value(
            "n_bins",
            format!("must be at least the number of bins counted ({bins}), got {k}"),
        ));
    }
    Ok(k)
}

/// Renyi entropy of order alpha >= 0 (nats) of the plug-in distribution.
pub fn renyi_from_counts(counts: &[f64], alpha: f64) -> Result<f64> {
    check_order("alpha", alpha)?;
    let total = validate_counts(counts, false)?;
    let nz = counts.iter().filter(|&&c| c > 0.0);
    Ok(if alpha == 0.0 {
        (nz.count() as f64).ln()
    } else if alpha == 1.0 {
        plugin(counts, total)
    } else if alpha.is_infinite() {
        let max = nz.copied().fold(0.0, f64::max);
        -(max / total).ln()
    } else if (alpha - 1.0).abs() < 0.5 {
        // Near alpha = 1, log sum p^a = log1p(sum p expm1((a-1) ln p)) keeps the digits
        // that log(sum p^a) / (1 - a) would cancel.
        let b = alpha - 1.0;
        (-sum_p_expm1(counts, total, b).ln_1p() / b).max(0.0)
    } else {
        // log sum p^a = a log p_max + log sum (c / c_max)^a: no underflow for large a.
        let max = nz.clone().copied().fold(0.0, f64::max);
        let s: f64 = nz.map(|&c| (c / max).powf(alpha)).sum();
        let h = (alpha * (max / total).ln() + s.ln()) / (1.0 - alpha);
        if h < 0.0 {
            0.0
        } else {
            h
        }
    })
}

/// Tsallis entropy of index q >= 0 of the plug-in distribution (q = 1: Shannon, nats).
pub fn tsallis_from_counts(counts: &[f64], q: f64) -> Result<f64> {
    check_order("q", q)?;
    let total = validate_counts(counts, false)?;
    let nz = counts.iter().filter(|&&c| c > 0.0);
    Ok(if q == 1.0 {
        plugin(counts, total)
    } else if q == 0.0 {
        nz.count() as f64 - 1.0 // sum p^0 counts the support exactly
    } else if q.is_infinite() {
        0.0
    } else {
        // 1 - sum p^q = -sum p expm1((q-1) ln p): exact as q -> 1.
        -sum_p_expm1(counts, total, q - 1.0) / (q - 1.0)
    })
}

/// sum_i p_i expm1(b ln p_i) = sum_i p_i^(b+1) - 1, without losing digits as b -> 0.
fn sum_p_expm1(counts: &[f64], total: f64, b: f64) -> f64 {
    counts
        .iter()
        .filter(|&&c| c > 0.0)
        .map(|&c| {
            let p = c / total;
            p * (b * p.ln()).exp_m1()
        })
        .sum()
}

fn check_order(arg: &'static str, v: f64) -> Result<()> {
    if v.is_nan() || v < 0.0 {
        return Err(Error::value(
            arg,
            format!("expected a number >= 0 (inf allowed), got {v}"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(counts: &[f64], e: Estimator) -> f64 {
        entropy_from_counts(counts, e, None).unwrap().value
    }

    #[test]
    fn plugin_uniform_is_log_k() {
        assert!((h(&[5.0, 5.0, 5.0, 5.0], Estimator::Plugin) - 4f64.ln()).abs() < 1e-15);
        assert_eq!(h(&[7.0, 0.0, 0.0], Estimator::Plugin), 0.0);
    }

    #[test]
    fn corrections_add_to_plugin() {
        let c = [3.0, 1.0, 1.0, 5.0];
        let p = h(&c, Estimator::Plugin);
        assert!((h(&c, Estimator::MillerMadow) - p - 3.0 / 20.0).abs() < 1e-14);
        for e in [
            Estimator::Grassberger,
            Estimator::ChaoShen,
            Estimator::Jackknife,
            Estimator::Nsb,
        ] {
            assert!(
                h(&c, e) > p,
                "{e:?} should correct the plug-in bias upwards"
            );
        }
    }

    #[test]
    fn jackknife_matches_direct_leave_one_out() {
        let c = [3.0, 1.0, 2.0];
        let n = 6.0;
        let mut loo = 0.0;
        for i in 0..3 {
            let mut d = c.to_vec();
            d[i] -= 1.0;
            loo += c[i] * plugin(&d[..], n - 1.0);
        }
        let want = n * plugin(&c[..], n) - (n - 1.0) / n * loo;
        assert!((jackknife(&c[..], n) - want).abs() < 1e-13);
    }

    #[test]
    fn nsb_approaches_plugin_for_large_samples() {
        let c = [40000.0, 30000.0, 20000.0, 10000.0];
        let e = entropy_from_counts(&c, Estimator::Nsb, None).unwrap();
        assert!((e.value - h(&c, Estimator::Plugin)).abs() < 1e-3);
        assert!(e.stderr.unwrap() < 1e-2);
    }

    #[test]
    fn integer_counts_estimate_as_their_floats() {
        // Rows short (per bin) and long (fingerprint), zero bins and large counts in them,
        // the default alphabet and a larger one.
        for n in [5usize, 300, 5000] {
            let ints: Vec<i64> = (0..n as i64)
                .map(|i| (i * 7919) % 97 + (i % 3) * 40_000)
                .collect();
            let floats: Vec<f64> = ints.iter().map(|&c| c as f64).collect();
            let unsigned: Vec<u64> = ints.iter().map(|&c| c as u64).collect();
            for name in Estimator::NAMES {
                let e: Estimator = name.parse().unwrap();
                for k in [None, Some(2.0 * n as f64)] {
                    let want = entropy_from_counts(&floats, e, k).unwrap();
                    assert_eq!(entropy_from_int_counts(&ints, e, k).unwrap(), want);
                    assert_eq!(entropy_from_int_counts(&unsigned, e, k).unwrap(), want);
                }
            }
        }
        // Past i64 and past 2^53 in total (the plug-in takes any scale; the others refuse).
        let mut huge = vec![3u64; 5000];
        huge[7] = u64::MAX;
        let floats: Vec<f64> = huge.iter().map(|&c| c as f64).collect();
        let want = entropy_from_counts(&floats, Estimator::Plugin, None).unwrap();
        assert_eq!(
            entropy_from_int_counts(&huge, Estimator::Plugin, None).unwrap(),
            want
        );
        let err = entropy_from_int_counts(&huge, Estimator::Shrink, None).unwrap_err();
        assert!(err.to_string().contains("exact in float64 up to 2^53"));
        // The first negative count, exactly, in short and long rows.
        for n in [3usize, 5000] {
            let mut row = vec![1i64; n];
            (row[n / 2], row[n - 1]) = (i64::MIN, -4);
            let err = entropy_from_int_counts(&row, Estimator::Plugin, None).unwrap_err();
            assert_eq!(
                err.to_string(),
                "counts: expected finite non-negative counts, got -9223372036854775808"
            );
        }
    }

    #[test]
    fn errors_name_the_argument() {
        let err = entropy_from_counts(&[1.0, -1.0], Estimator::Plugin, None).unwrap_err();
        assert!(err.to_string().starts_with("counts:"));
        let err = entropy_from_counts(&[0.0, 0.0], Estimator::Plugin, None).unwrap_err();
        assert!(err.to_string().contains("sum to zero"));
        assert!("foo".parse::<Estimator>().is_err());
        assert!(renyi_from_counts(&[1.0], -0.5).is_err());
    }

    #[test]
    fn renyi_special_orders() {
        let c = [1.0, 2.0, 3.0, 0.0];
        let p = [1.0 / 6.0, 2.0 / 6.0, 3.0 / 6.0];
        assert!((renyi_from_counts(&c, 0.0).unwrap() - 3f64.ln()).abs() < 1e-15);
        assert!((renyi_from_counts(&c, f64::INFINITY).unwrap() + (0.5f64).ln()).abs() < 1e-15);
        let two = -(p.iter().map(|x| x * x).sum::<f64>()).ln();
        assert!((renyi_from_counts(&c, 2.0).unwrap() - two).abs() < 1e-14);
        assert!((tsallis_from_counts(&c, 0.0).unwrap() - 2.0).abs() < 1e-14);
    }
}
