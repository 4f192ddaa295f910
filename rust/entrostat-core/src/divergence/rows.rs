//! Divergences between discrete distributions, one per pair of rows.
//!
//! Each row is read twice while it sits in cache: a first pass sums it and checks that
//! every entry is finite and non-negative, a second pass adds up the divergence's terms
//! on the normalised rows (or on the rows as given when `normalize` is false, after
//! checking that they sum to one). Zero handling follows SciPy's `rel_entr`: a term with
//! p_i = 0 is 0, and p_i > 0 where q_i = 0 makes KL and cross-entropy infinite. Rows run
//! in parallel; sums are kept in f64 whatever the input type. Formulas:
//! docs/estimators.md.

use super::fastlog::ln;
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::pool;
use ndarray::{ArrayView1, ArrayView2, Axis};
use rayon::prelude::*;

/// Lanes of the accumulators: wide enough for two AVX2 registers of f64.
const LANES: usize = 8;
/// Rows per cancellation check.
const ROWS_PER_CHECK: usize = 64;

/// Which divergence to compute.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Divergence {
    Kl,
    CrossEntropy,
    Js,
    /// Renyi divergence of order alpha >= 0 (1: KL, inf: log max p/q).
    Renyi(f64),
    CauchySchwarz,
    Hellinger,
    TotalVariation,
}

/// Entry types of probability rows.
#[cfg(target_arch = "x86_64")]
pub trait Prob: Copy + Send + Sync + 'static + super::fastlog::avx2::Load4 {
    fn f64(self) -> f64;
}

/// Entry types of probability rows.
#[cfg(not(target_arch = "x86_64"))]
pub trait Prob: Copy + Send + Sync + 'static {
    fn f64(self) -> f64;
}

impl Prob for f32 {
    #[inline(always)]
    fn f64(self) -> f64 {
        self as f64
    }
}

impl Prob for f64 {
    #[inline(always)]
    fn f64(self) -> f64 {
        self
    }
}

/// Sum of `term(p_i, q_i)` over a pair of rows, in `LANES` independent accumulators so
/// that the loop vectorises (one sum would fix the order of every addition).
#[inline(always)]
fn lane_sum<T: Prob>(p: &[T], q: &[T], term: impl Fn(f64, f64) -> f64) -> f64 {
    let mut acc = [0.0f64; LANES];
    let (pc, qc) = (p.chunks_exact(LANES), q.chunks_exact(LANES));
    let (pr, qr) = (pc.remainder(), qc.remainder());
    for (a, b) in pc.zip(qc) {
        for j in 0..LANES {
            acc[j] += term(a[j].f64(), b[j].f64());
        }
    }
    for (j, (a, b)) in pr.iter().zip(qr).enumerate() {
        acc[j] += term(a.f64(), b.f64());
    }
    // Pairwise, so the lanes' order does not depend on the row length.
    let h = [
        acc[0] + acc[4],
        acc[1] + acc[5],
        acc[2] + acc[6],
        acc[3] + acc[7],
    ];
    (h[0] + h[2]) + (h[1] + h[3])
}

/// Sum and smallest entry of a row (a NaN makes the sum NaN, an inf makes it inf).
#[inline(always)]
fn sum_min<T: Prob>(x: &[T]) -> (f64, f64) {
    let mut sum = [0.0f64; LANES];
    let mut min = [f64::INFINITY; LANES];
    let chunks = x.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for j in 0..LANES {
            let v = c[j].f64();
            sum[j] += v;
            min[j] = if v < min[j] { v } else { min[j] };
        }
    }
    for (j, v) in rest.iter().enumerate() {
        sum[j] += v.f64();
        min[j] = min[j].min(v.f64());
    }
    let s = (sum[0] + sum[4] + sum[2] + sum[6]) + (sum[1] + sum[5] + sum[3] + sum[7]);
    (s, min.iter().copied().fold(f64::INFINITY, f64::min))
}

/// Checked total of one row.
fn row_total<T: Prob>(x: &[T], arg: &'static str, normalize: bool, tol: f64) -> Result<f64> {
    let (sum, min) = sum_min(x);
    if sum.is_nan() || min < 0.0 || (sum.is_infinite() && !all_finite(x)) {
        return Err(Error::value(
            arg,
            "expected finite non-negative probabilities or counts",
        ));
    }
    if sum.is_infinite() && !normalize {
        return Err(Error::value(
            arg,
            "a row sums past the largest float, not 1 (pass normalize=True to normalise rows)",
        ));
    }
    if sum <= 0.0 {
        return Err(Error::value(arg, "a row sums to zero"));
    }
    if !normalize && (sum - 1.0).abs() > tol {
        return Err(Error::value(
            arg,
            format!("a row sums to {sum}, not 1 (pass normalize=True to normalise rows)"),
        ));
    }
    Ok(sum)
}

/// Whether every entry is finite (asked only on the error path).
#[cold]
fn all_finite<T: Prob>(x: &[T]) -> bool {
    x.iter().all(|v| v.f64().is_finite())
}

/// 2^600: scales a row whose total overflows (down) or whose reciprocal does (up).
const SCALE: f64 = 4.149515568880993e180;

/// A row and the multiplier that normalises it, as f64: scaled by an exact power of two
/// first when the total or its reciprocal would overflow or be subnormal (entries near
/// the largest float, or all of them subnormal).
#[cold]
fn rescaled<T: Prob>(x: &[T], total: f64) -> (Vec<f64>, f64) {
    let s = if total > 1.0 { 1.0 / SCALE } else { SCALE };
    let row: Vec<f64> = x.iter().map(|v| v.f64() * s).collect();
    let (sum, _) = sum_min(&row);
    (row, 1.0 / sum)
}

/// KL term p ln(p / q) (0 where p = 0).
#[inline(always)]
fn kl_term(a: f64, b: f64) -> f64 {
    let t = a * ln(a / b);
    if a > 0.0 {
        t
    } else {
        0.0
    }
}

/// Cross-entropy term -p ln q (0 where p = 0).
#[inline(always)]
fn cross_term(a: f64, b: f64) -> f64 {
    let t = -a * ln(b);
    if a > 0.0 {
        t
    } else {
        0.0
    }
}

/// Twice the JS term: p ln(p / m) + q ln(q / m), m = (p + q) / 2.
#[inline(always)]
fn js_term(a: f64, b: f64) -> f64 {
    let m = 0.5 * (a + b);
    kl_term(a, m) + kl_term(b, m)
}

/// sum over p_i > 0 of p_i ln(p_i / q_i), on rows scaled by `sp`, `sq` (1/totals).
#[inline(always)]
fn kl_terms<T: Prob>(p: &[T], q: &[T], sp: f64, sq: f64) -> f64 {
    lane_sum(p, q, |a, b| kl_term(a * sp, b * sq))
}

/// -sum over p_i > 0 of p_i ln q_i.
#[inline(always)]
fn cross_terms<T: Prob>(p: &[T], q: &[T], sp: f64, sq: f64) -> f64 {
    lane_sum(p, q, |a, b| cross_term(a * sp, b * sq))
}

/// sum of p_i ln(2 p_i / (p_i + q_i)) + q_i ln(2 q_i / (p_i + q_i)) (zero terms dropped).
#[inline(always)]
fn js_terms<T: Prob>(p: &[T], q: &[T], sp: f64, sq: f64) -> f64 {
    lane_sum(p, q, |a, b| js_term(a * sp, b * sq))
}

/// Divergence-specific dispatch of the second pass (inlined into each CPU variant).
#[inline(always)]
fn terms<T: Prob>(kind: Divergence, p: &[T], q: &[T], sp: f64, sq: f64) -> f64 {
    match kind {
        // KL and JS are >= 0 (Gibbs); only rounding of the normalised rows takes them below.
        Divergence::Kl => kl_terms(p, q, sp, sq).max(0.0),
        Divergence::CrossEntropy => cross_terms(p, q, sp, sq),
        Divergence::Js => (0.5 * js_terms(p, q, sp, sq)).max(0.0),
        Divergence::Renyi(alpha) => renyi(p, q, sp, sq, alpha),
        Divergence::CauchySchwarz => {
            // On the normalised rows: the raw squares of entries near 1e160 (or 1e-170)
            // overflow (or vanish), and the divergence does not depend on the scale.
            let pq = lane_sum(p, q, |a, b| (a * sp) * (b * sq));
            let pp = lane_sum(p, p, |a, _| (a * sp) * (a * sp));
            let qq = lane_sum(q, q, |b, _| (b * sq) * (b * sq));
            // Cauchy-Schwarz makes it >= 0; only rounding can take it below.
            (pp.ln() + qq.ln() - 2.0 * pq.ln()).max(0.0)
        }
        Divergence::Hellinger => {
            let s = lane_sum(p, q, |a, b| {
                let d = (a * sp).sqrt() - (b * sq).sqrt();
                d * d
            });
            (0.5 * s).sqrt()
        }
        Divergence::TotalVariation => 0.5 * lane_sum(p, q, |a, b| (a * sp - b * sq).abs()),
    }
}

/// The second pass with AVX2 + FMA: the logarithmic sums four lanes at a time with
/// `fastlog::avx2`, the others auto-vectorised.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn terms_avx2<T: Prob>(kind: Divergence, p: &[T], q: &[T], sp: f64, sq: f64) -> f64 {
    use super::fastlog::avx2::{neg_xlog, row_sum, xlog_ratio};
    use std::arch::x86_64::{_mm256_add_pd, _mm256_mul_pd, _mm256_set1_pd};
    let f = |v: T| v.f64();
    match kind {
        Divergence::Kl => row_sum(p, q, sp, sq, |a, b| xlog_ratio(a, b), kl_term, f).max(0.0),
        Divergence::CrossEntropy => row_sum(p, q, sp, sq, |a, b| neg_xlog(a, b), cross_term, f),
        Divergence::Js => {
            let js = |a, b| {
                let m = _mm256_mul_pd(_mm256_set1_pd(0.5), _mm256_add_pd(a, b));
                _mm256_add_pd(xlog_ratio(a, m), xlog_ratio(b, m))
            };
            (0.5 * row_sum(p, q, sp, sq, js, js_term, f)).max(0.0)
        }
        _ => terms(kind, p, q, sp, sq),
    }
}

/// The second pass, compiled for AVX2 + FMA where the CPU has them.
fn terms_dispatch<T: Prob>(kind: Divergence, p: &[T], q: &[T], sp: f64, sq: f64) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports the features the function was compiled for.
        return unsafe { terms_avx2(kind, p, q, sp, sq) };
    }
    terms(kind, p, q, sp, sq)
}

/// sum over p > 0 of p exp(b1 ln(p / q)) on scaled rows (`term`: one such term, for the
/// scalar path and the rows' tails), with AVX2 + FMA where the CPU has them: libm's `exp`
/// and `ln`, one element at a time, made `renyi_divergence` slower than NumPy's powers.
fn power_sum<T: Prob>(
    p: &[T],
    q: &[T],
    sp: f64,
    sq: f64,
    b1: f64,
    term: impl Fn(f64, f64) -> f64,
) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports the features the function was compiled for.
        return unsafe { power_sum_avx2(p, q, sp, sq, b1, term) };
    }
    lane_sum(p, q, |a, b| term(a * sp, b * sq))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn power_sum_avx2<T: Prob>(
    p: &[T],
    q: &[T],
    sp: f64,
    sq: f64,
    b1: f64,
    term: impl Fn(f64, f64) -> f64,
) -> f64 {
    use super::fastlog::avx2::{ln4, row_sum};
    use crate::logits::exp::avx2::exp4_full;
    use std::arch::x86_64::*;
    let vb1 = _mm256_set1_pd(b1);
    let lanes = |a: __m256d, b: __m256d| {
        let t = _mm256_mul_pd(a, exp4_full(_mm256_mul_pd(vb1, ln4(_mm256_div_pd(a, b)))));
        _mm256_and_pd(t, _mm256_cmp_pd::<_CMP_GT_OQ>(a, _mm256_setzero_pd()))
    };
    row_sum(p, q, sp, sq, lanes, term, |v: T| v.f64())
}

/// Renyi divergence of order alpha on scaled rows (alpha = 1 is KL).
fn renyi<T: Prob>(p: &[T], q: &[T], sp: f64, sq: f64, alpha: f64) -> f64 {
    let pairs = || {
        p.iter()
            .zip(q)
            .map(move |(a, b)| (a.f64() * sp, b.f64() * sq))
    };
    if alpha == 1.0 {
        // KL, clamped at 0 as `Divergence::Kl` is.
        return kl_terms(p, q, sp, sq).max(0.0);
    }
    if alpha == 0.0 {
        // -log of the mass q puts on the support of p.
        let mass: f64 = pairs().filter(|(a, _)| *a > 0.0).map(|(_, b)| b).sum();
        return -mass.ln();
    }
    if alpha.is_infinite() {
        return pairs()
            .filter(|(a, _)| *a > 0.0)
            .map(|(a, b)| (a / b).ln())
            .fold(f64::NEG_INFINITY, f64::max);
    }
    let b1 = alpha - 1.0;
    // sum p^alpha q^(1-alpha) = sum p exp((alpha-1) ln(p/q)) over p > 0. A zero q gives
    // ln = inf: an infinite sum for alpha > 1, a zero term for alpha < 1, as it should.
    let ratio_pow = |a: f64, b: f64| {
        let t = a * (b1 * ln(a / b)).exp();
        if a > 0.0 {
            t
        } else {
            0.0
        }
    };
    if b1.abs() < 0.5 {
        // log1p(sum p expm1((alpha-1) ln(p/q))): no digits lost as alpha -> 1 (the sum of
        // p is one, so it is log sum p^alpha q^(1-alpha)).
        let s = lane_sum(p, q, |a, b| {
            let (a, b) = (a * sp, b * sq);
            let t = a * (b1 * ln(a / b)).exp_m1();
            if a > 0.0 {
                t
            } else {
                0.0
            }
        });
        return (s.ln_1p() / b1).max(0.0);
    }
    let s = power_sum(p, q, sp, sq, b1, ratio_pow);
    if s.is_finite() && s > 0.0 {
        return (s.ln() / b1).max(0.0);
    }
    // The terms overflowed or all underflowed (large |alpha - 1|): the same sum in the log
    // domain, log sum exp(ln p + (alpha - 1) ln(p / q)) over p > 0.
    let logs: Vec<f64> = pairs()
        .filter(|(a, _)| *a > 0.0)
        .map(|(a, b)| a.ln() + b1 * (a / b).ln())
        .collect();
    let top = logs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !top.is_finite() {
        // +inf: q = 0 under p with alpha > 1; -inf: no common support with alpha < 1.
        return (top / b1).max(0.0);
    }
    let rest: f64 = logs.iter().map(|l| (l - top).exp()).sum();
    ((top + rest.ln()) / b1).max(0.0)
}

/// The divergence between two rows; without `normalize`, their totals must be within
/// `tol[0]` (p) and `tol[1]` (q) of 1.
pub fn row_divergence<T: Prob>(
    p: &[T],
    q: &[T],
    kind: Divergence,
    normalize: bool,
    tol: [f64; 2],
) -> Result<f64> {
    if p.len() != q.len() {
        return Err(Error::value(
            "q",
            format!("rows have {} entries in p but {} in q", p.len(), q.len()),
        ));
    }
    if p.is_empty() {
        return Err(Error::value("p", "rows are empty"));
    }
    let tp = row_total(p, "p", normalize, tol[0])?;
    let tq = row_total(q, "q", normalize, tol[1])?;
    let (sp, sq) = if normalize {
        (1.0 / tp, 1.0 / tq)
    } else {
        (1.0, 1.0)
    };
    // A multiplier that is infinite (a subnormal total) or subnormal (a total near the
    // largest float) would cost the normalised entries their precision.
    let fits = |s: f64| s.is_finite() && s >= f64::MIN_POSITIVE;
    if fits(sp) && fits(sq) {
        return Ok(terms_dispatch(kind, p, q, sp, sq));
    }
    let widen = |x: &[T], s: f64| (x.iter().map(|v| v.f64()).collect::<Vec<f64>>(), s);
    let (p2, sp) = if fits(sp) {
        widen(p, sp)
    } else {
        rescaled(p, tp)
    };
    let (q2, sq) = if fits(sq) {
        widen(q, sq)
    } else {
        rescaled(q, tq)
    };
    Ok(terms_dispatch(kind, &p2, &q2, sp, sq))
}

/// A row as a slice, copied into `buf` when its entries are not contiguous.
fn as_slice<'a, T: Prob>(row: ArrayView1<'a, T>, buf: &'a mut Vec<T>) -> &'a [T] {
    match row.to_slice() {
        Some(s) => s,
        None => {
            buf.clear();
            buf.extend(row.iter().copied());
            buf
        }
    }
}

/// The divergence between each row of `p` and the same row of `q` (equal shapes; rows
/// may be strided or repeated, as NumPy broadcasting makes them); `tol` as in
/// [`row_divergence`].
pub fn divergence_rows<T: Prob>(
    p: ArrayView2<'_, T>,
    q: ArrayView2<'_, T>,
    kind: Divergence,
    normalize: bool,
    tol: [f64; 2],
    cancel: &Cancel,
) -> Result<Vec<f64>> {
    if p.dim() != q.dim() {
        return Err(Error::value(
            "q",
            format!("shape {:?} does not match p's {:?}", q.dim(), p.dim()),
        ));
    }
    if let Divergence::Renyi(a) = kind {
        if a.is_nan() || a < 0.0 {
            return Err(Error::value(
                "alpha",
                format!("expected a number >= 0 (inf allowed), got {a}"),
            ));
        }
    }
    let rows = p.nrows();
    let mut out = vec![0.0; rows];
    pool::install(|| {
        out.par_chunks_mut(ROWS_PER_CHECK)
            .enumerate()
            .try_for_each_init(
                || (Vec::new(), Vec::new()),
                |(bp, bq), (c, chunk)| -> Result<()> {
                    cancel.check()?;
                    for (i, o) in chunk.iter_mut().enumerate() {
                        let r = c * ROWS_PER_CHECK + i;
                        let a = as_slice(p.index_axis(Axis(0), r), bp);
                        let b = as_slice(q.index_axis(Axis(0), r), bq);
                        *o = row_divergence(a, b, kind, normalize, tol)?;
                    }
                    Ok(())
                },
            )
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cancel::NEVER;
    use ndarray::Array2;

    fn direct(p: &[f64], q: &[f64], kind: Divergence) -> f64 {
        let (tp, tq): (f64, f64) = (p.iter().sum(), q.iter().sum());
        let pairs: Vec<(f64, f64)> = p.iter().zip(q).map(|(a, b)| (a / tp, b / tq)).collect();
        let xlogy = |x: f64, y: f64| if x == 0.0 { 0.0 } else { x * y.ln() };
        match kind {
            Divergence::Kl => pairs.iter().map(|&(a, b)| xlogy(a, a / b)).sum(),
            Divergence::CrossEntropy => pairs.iter().map(|&(a, b)| -xlogy(a, b)).sum(),
            Divergence::Js => {
                let h = |x: f64, m: f64| xlogy(x, x / m);
                pairs
                    .iter()
                    .map(|&(a, b)| 0.5 * (h(a, (a + b) / 2.0) + h(b, (a + b) / 2.0)))
                    .sum()
            }
            Divergence::Renyi(al) => {
                let s: f64 = pairs
                    .iter()
                    .filter(|(a, _)| *a > 0.0)
                    .map(|&(a, b)| a.powf(al) * b.powf(1.0 - al))
                    .sum();
                s.ln() / (al - 1.0)
            }
            Divergence::CauchySchwarz => {
                let pq: f64 = p.iter().zip(q).map(|(a, b)| a * b).sum();
                let pp: f64 = p.iter().map(|a| a * a).sum();
                let qq: f64 = q.iter().map(|b| b * b).sum();
                -(pq * pq / (pp * qq)).ln()
            }
            Divergence::Hellinger => (0.5
                * pairs
                    .iter()
                    .map(|&(a, b)| (a.sqrt() - b.sqrt()).powi(2))
                    .sum::<f64>())
            .sqrt(),
            Divergence::TotalVariation => {
                0.5 * pairs.iter().map(|&(a, b)| (a - b).abs()).sum::<f64>()
            }
        }
    }

    #[test]
    fn every_kind_matches_the_direct_formula() {
        let p: Vec<f64> = (0..37).map(|i| ((i * 7) % 11) as f64).collect();
        let q: Vec<f64> = (0..37).map(|i| 1.0 + ((i * 5) % 13) as f64).collect();
        for kind in [
            Divergence::Kl,
            Divergence::CrossEntropy,
            Divergence::Js,
            Divergence::Renyi(0.5),
            Divergence::Renyi(0.9),
            Divergence::Renyi(2.0),
            Divergence::CauchySchwarz,
            Divergence::Hellinger,
            Divergence::TotalVariation,
        ] {
            let got = row_divergence(&p, &q, kind, true, [0.0; 2]).unwrap();
            let want = direct(&p, &q, kind);
            assert!((got - want).abs() < 1e-13 * want.abs().max(1.0), "{kind:?}");
            let p32: Vec<f32> = p.iter().map(|&v| v as f32).collect();
            let q32: Vec<f32> = q.iter().map(|&v| v as f32).collect();
            let got32 = row_divergence(&p32, &q32, kind, true, [0.0; 2]).unwrap();
            assert!(
                (got32 - want).abs() < 1e-13 * want.abs().max(1.0),
                "{kind:?}"
            );
        }
    }

    #[test]
    fn zeros_infinities_and_errors() {
        let p = [0.5, 0.5, 0.0];
        let q = [0.5, 0.0, 0.5];
        assert_eq!(
            row_divergence(&p, &q, Divergence::Kl, true, [0.0; 2]).unwrap(),
            f64::INFINITY
        );
        assert_eq!(
            row_divergence(&p, &q, Divergence::Renyi(2.0), true, [0.0; 2]).unwrap(),
            f64::INFINITY
        );
        let js = row_divergence(&p, &q, Divergence::Js, true, [0.0; 2]).unwrap();
        assert!(js.is_finite() && js <= 2f64.ln());
        // q covers p: finite, and D(p||p) = 0.
        let r = [0.25, 0.5, 0.25];
        for kind in [Divergence::Kl, Divergence::Js, Divergence::CauchySchwarz] {
            assert!(row_divergence(&p, &r, kind, true, [0.0; 2])
                .unwrap()
                .is_finite());
            assert_eq!(row_divergence(&r, &r, kind, true, [0.0; 2]).unwrap(), 0.0);
        }
        let err = |p: &[f64], q: &[f64], normalize| {
            row_divergence(p, q, Divergence::Kl, normalize, [1e-9; 2])
                .unwrap_err()
                .to_string()
        };
        assert!(err(&[1.0, -1.0], &[1.0, 1.0], true).starts_with("p:"));
        assert!(err(&[1.0, 1.0], &[f64::NAN, 1.0], true).starts_with("q:"));
        assert!(err(&[0.0, 0.0], &[1.0, 1.0], true).contains("sums to zero"));
        assert!(err(&[1.0, 1.0], &[0.5, 0.5], false).contains("normalize=True"));
        assert!(err(&[1.0], &[0.5, 0.5], true).starts_with("q:"));
    }

    #[test]
    fn rows_in_parallel_and_broadcast() {
        let p = Array2::from_shape_fn((300, 19), |(i, j)| ((i + 3 * j) % 7) as f64 + 0.5);
        let q1 = ndarray::Array1::from_shape_fn(19, |j| (j % 5) as f64 + 1.0);
        let q = q1.broadcast((300, 19)).unwrap();
        let got = divergence_rows(p.view(), q, Divergence::Kl, true, [0.0; 2], &NEVER).unwrap();
        for (r, g) in got.iter().enumerate() {
            let want = direct(
                p.row(r).as_slice().unwrap(),
                q1.as_slice().unwrap(),
                Divergence::Kl,
            );
            assert!((g - want).abs() < 1e-13);
        }
        let t = p.t();
        assert!(divergence_rows(t, t, Divergence::Kl, true, [0.0; 2], &NEVER).is_ok());
        let bad = divergence_rows(p.view(), t, Divergence::Kl, true, [0.0; 2], &NEVER);
        assert!(bad.unwrap_err().to_string().starts_with("q:"));
    }
}
