//! Entropy of rows of probabilities (attention weights), in any float format.
//!
//! Each row is normalised by its sum, as `scipy.stats.entropy` does (attention rows in
//! float16 sum to 1 only within rounding): H = -sum p_i ln p_i with p_i = x_i / sum x and
//! 0 ln 0 = 0. Two passes per row: the largest entry (with the check that every entry is
//! finite and non-negative), then the sums of the entries scaled by a power of two, with
//! logarithms taken relative to the largest one (so that a one-hot row gives exactly 0).

use super::format::Format;
use super::lanes::Rows;
use crate::cancel::Cancel;
use crate::divergence::fastlog::ln;
use crate::error::{Error, Result};
use crate::pool;
use rayon::prelude::*;

const LANES: usize = 8;

/// Largest entry of a row and whether every entry is finite and >= 0.
#[inline(always)]
fn checked_max<F: Format>(row: &[F::Raw]) -> (f64, bool) {
    let mut max = [0.0f64; LANES];
    let mut ok = [true; LANES];
    for (i, &r) in row.iter().enumerate() {
        let v = F::to_f64(r);
        max[i % LANES] = if v > max[i % LANES] {
            v
        } else {
            max[i % LANES]
        };
        ok[i % LANES] &= (0.0..f64::INFINITY).contains(&v);
    }
    (
        max.iter().copied().fold(0.0, f64::max),
        ok.iter().all(|&b| b),
    )
}

/// Two powers of two whose product brings the largest entry `max` (finite, > 0) into
/// [1, 4): entries times them lie in [0, 4), so no sum overflows and no entry near the
/// largest underflows; scaling by powers of two is exact. Two factors because a subnormal
/// `max` needs up to 2^1074, past the largest power of two (2^1023); the second is 1 for
/// every other row.
#[inline(always)]
fn scale_of(max: f64) -> (f64, f64) {
    let pow2 = |k: i64| f64::from_bits(((k + 1023) as u64) << 52);
    let normal = max >= f64::MIN_POSITIVE;
    let bits = if normal { max } else { max * pow2(54) }.to_bits();
    let e = ((bits >> 52) & 0x7ff) as i64 - 1023 - if normal { 0 } else { 54 };
    let k = (-e).clamp(-1022, 1023);
    (pow2(k), pow2((-e - k).max(0)))
}

/// `(sum u, sum u (ln u - l))` over u = x * s1 * s2 (0 ln 0 = 0), `l` = ln of the
/// largest u.
#[inline(always)]
fn scaled_sums<F: Format>(row: &[F::Raw], (s1, s2): (f64, f64), l: f64) -> (f64, f64) {
    let mut s = [0.0f64; LANES];
    let mut t = [0.0f64; LANES];
    let chunks = row.chunks_exact(LANES);
    let rest = chunks.remainder();
    for c in chunks {
        for j in 0..LANES {
            let u = F::to_f64(c[j]) * s1 * s2;
            let term = u * (ln(u) - l);
            s[j] += u;
            t[j] += if u > 0.0 { term } else { 0.0 };
        }
    }
    for &r in rest {
        let u = F::to_f64(r) * s1 * s2;
        s[0] += u;
        t[0] += if u > 0.0 { u * (ln(u) - l) } else { 0.0 };
    }
    (s.iter().sum(), t.iter().sum())
}

/// Whether a row with this largest entry and range check holds non-negative weights
/// with a positive sum.
#[inline(always)]
fn is_weights(max: f64, ok: bool) -> bool {
    ok && max > 0.0
}

/// H = ln(S / m) - T / S with S = sum u, T = sum u ln(u / m) (u = x scaled, m the largest
/// u): the entropy of x / sum x. Relative to m, a one-hot row has S = m and T = 0 exactly.
#[inline(always)]
fn entropy_of_sums(s: f64, t: f64, m: f64) -> f64 {
    let h = (s / m).ln() - t / s;
    if h < 0.0 {
        0.0
    } else {
        h
    }
}

fn row_entropy<F: Format>(row: &[F::Raw]) -> Option<f64> {
    let (max, ok) = checked_max::<F>(row);
    if !is_weights(max, ok) {
        return None;
    }
    let scale = scale_of(max);
    let m = max * scale.0 * scale.1;
    let (s, t) = scaled_sums::<F>(row, scale, ln(m));
    Some(entropy_of_sums(s, t, m))
}

/// [`row_entropy`] four lanes at a time (auto-vectorisation gave no SIMD for the
/// logarithm of converted lanes: 17 ns an entry, slower than NumPy).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma,f16c")]
unsafe fn row_entropy_avx2<F: Format>(row: &[F::Raw]) -> Option<f64> {
    use crate::divergence::fastlog::avx2::{lanes_sum, ln4};
    use std::arch::x86_64::*;
    let n = row.len();
    let ptr = row.as_ptr();
    let body = n - n % 4;
    // Pass 1: the largest entry, and whether every entry is in [0, inf) (NaN fails both
    // ordered comparisons).
    let (zero, inf) = (_mm256_setzero_pd(), _mm256_set1_pd(f64::INFINITY));
    let (mut vmax, mut vok) = (zero, _mm256_castsi256_pd(_mm256_set1_epi64x(-1)));
    for i in (0..body).step_by(4) {
        let v = F::load4(ptr.add(i));
        vmax = _mm256_max_pd(vmax, v);
        let in_range = _mm256_and_pd(
            _mm256_cmp_pd::<_CMP_GE_OQ>(v, zero),
            _mm256_cmp_pd::<_CMP_LT_OQ>(v, inf),
        );
        vok = _mm256_and_pd(vok, in_range);
    }
    let mut lanes = [0.0f64; 4];
    _mm256_storeu_pd(lanes.as_mut_ptr(), vmax);
    let (tail_max, tail_ok) = checked_max::<F>(&row[body..]);
    let max = lanes.iter().copied().fold(tail_max, f64::max);
    if !is_weights(max, tail_ok && _mm256_movemask_pd(vok) == 0b1111) {
        return None;
    }
    // Pass 2: the sums, two accumulators of each for a shorter dependency chain. Every
    // entry, the tail too, goes through ln4, so that the largest entry's term is exactly 0.
    let scale = scale_of(max);
    let m = max * scale.0 * scale.1;
    let (v1, v2, vl) = (
        _mm256_set1_pd(scale.0),
        _mm256_set1_pd(scale.1),
        ln4(_mm256_set1_pd(m)),
    );
    let mut acc = Sums {
        s: [zero; 2],
        t: [zero; 2],
    };
    let mut i = 0;
    while i + 8 <= n {
        acc.add(F::load4(ptr.add(i)), 0, (v1, v2, vl));
        acc.add(F::load4(ptr.add(i + 4)), 1, (v1, v2, vl));
        i += 8;
    }
    let mut tail = [0.0f64; 8]; // zeros add nothing
    for (slot, &r) in tail.iter_mut().zip(&row[i..]) {
        *slot = F::to_f64(r);
    }
    acc.add(_mm256_loadu_pd(tail.as_ptr()), 0, (v1, v2, vl));
    acc.add(_mm256_loadu_pd(tail.as_ptr().add(4)), 1, (v1, v2, vl));
    Some(entropy_of_sums(
        lanes_sum(_mm256_add_pd(acc.s[0], acc.s[1])),
        lanes_sum(_mm256_add_pd(acc.t[0], acc.t[1])),
        m,
    ))
}

/// Two accumulators of S = sum u and of T = sum u (ln u - l), four lanes each.
#[cfg(target_arch = "x86_64")]
struct Sums {
    s: [std::arch::x86_64::__m256d; 2],
    t: [std::arch::x86_64::__m256d; 2],
}

#[cfg(target_arch = "x86_64")]
impl Sums {
    /// Add four entries `x` (as f64 lanes) to accumulator `k`, with `(s1, s2, l)` the
    /// two scale factors and ln of the largest scaled entry in every lane.
    ///
    /// # Safety
    /// The CPU has AVX2 and FMA (inlined into [`row_entropy_avx2`]).
    #[inline(always)]
    unsafe fn add(
        &mut self,
        x: std::arch::x86_64::__m256d,
        k: usize,
        (v1, v2, vl): (
            std::arch::x86_64::__m256d,
            std::arch::x86_64::__m256d,
            std::arch::x86_64::__m256d,
        ),
    ) {
        use crate::divergence::fastlog::avx2::ln4;
        use std::arch::x86_64::*;
        let u = _mm256_mul_pd(_mm256_mul_pd(x, v1), v2);
        let term = _mm256_mul_pd(u, _mm256_sub_pd(ln4(u), vl));
        let positive = _mm256_cmp_pd::<_CMP_GT_OQ>(u, _mm256_setzero_pd());
        self.s[k] = _mm256_add_pd(self.s[k], u);
        self.t[k] = _mm256_add_pd(self.t[k], _mm256_and_pd(term, positive));
    }
}

fn row_entropy_dispatch<F: Format>(row: &[F::Raw]) -> Option<f64> {
    #[cfg(target_arch = "x86_64")]
    if super::format::has_avx2() {
        // SAFETY: the CPU supports the features the function was compiled for.
        return unsafe { row_entropy_avx2::<F>(row) };
    }
    row_entropy::<F>(row)
}

/// Shannon entropy (nats) of every row of non-negative weights, each normalised by its
/// sum. A row with a negative or non-finite entry, or summing to 0, is an error.
pub fn prob_row_entropy<F: Format>(
    weights: &Rows<'_, F::Raw>,
    cancel: &Cancel,
) -> Result<Vec<f64>> {
    if weights.width() == 0 {
        return Err(Error::value(
            "weights",
            "expected at least one entry along the reduced axis, got 0",
        ));
    }
    pool::install(|| {
        (0..weights.len())
            .into_par_iter()
            .with_min_len(8)
            .map_init(Vec::new, |buf, r| {
                cancel.check()?;
                row_entropy_dispatch::<F>(weights.slice(r, buf)).ok_or_else(|| {
                    Error::value(
                        "weights",
                        format!(
                            "{} has a negative or non-finite entry, or sums to 0 \
                             (expected non-negative weights)",
                            weights.label(r)
                        ),
                    )
                })
            })
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cancel::NEVER;
    use ndarray::Array2;

    #[test]
    fn uniform_and_one_hot_rows() {
        let mut a = Array2::<f64>::zeros((2, 10));
        a.row_mut(0).fill(0.1);
        a[[1, 3]] = 2.0;
        let entropies = |a: &Array2<f64>| {
            let view = a.view();
            prob_row_entropy::<f64>(&Rows::new(&view, "weights").unwrap(), &NEVER)
        };
        let h = entropies(&a).unwrap();
        assert!((h[0] - 10f64.ln()).abs() < 1e-14);
        assert_eq!(h[1], 0.0);
        // Sums that overflow, or whose inverse would: the scale does not matter.
        let b = Array2::from_shape_vec((2, 2), vec![1e308, 1e308, 5e-324, 5e-324]).unwrap();
        for h in entropies(&b).unwrap() {
            assert!((h - 2f64.ln()).abs() < 1e-15);
        }
        a[[1, 4]] = -1.0;
        assert!(entropies(&a).is_err());
    }

    /// The AVX2 kernel (where the CPU has it) agrees with the scalar one on every row
    /// length (vector body and scalar tail), and both refuse a bad entry anywhere.
    #[test]
    fn simd_and_scalar_rows_agree() {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        };
        for n in 1..40 {
            let row: Vec<f64> = (0..n)
                .map(|i| if i % 7 == 3 { 0.0 } else { next() })
                .collect();
            let row32: Vec<f32> = row.iter().map(|&v| v as f32).collect();
            let want = row_entropy::<f64>(&row).unwrap();
            let got = row_entropy_dispatch::<f64>(&row).unwrap();
            assert!((got - want).abs() <= 1e-14 * want.max(1.0), "n = {n}");
            let want32 = row_entropy::<f32>(&row32).unwrap();
            let got32 = row_entropy_dispatch::<f32>(&row32).unwrap();
            assert!((got32 - want32).abs() <= 1e-14 * want32.max(1.0), "n = {n}");
            for bad in [-1e-300, f64::NAN, f64::INFINITY] {
                for at in [0, n / 2, n - 1] {
                    let mut r = row.clone();
                    r[at] = bad;
                    assert_eq!(row_entropy_dispatch::<f64>(&r), None, "n = {n}, at {at}");
                    assert_eq!(row_entropy::<f64>(&r), None);
                }
            }
        }
        // A row with one positive entry (of any value) has entropy exactly 0, wherever
        // the entry lies (vector body or tail).
        for n in 1..20 {
            for at in 0..n {
                for v in [0.7, 6.481895115742501, 3e-310, 1.7e308] {
                    let mut r = vec![0.0; n];
                    r[at] = v;
                    assert_eq!(row_entropy_dispatch::<f64>(&r), Some(0.0), "{n} {at} {v}");
                    assert_eq!(row_entropy::<f64>(&r), Some(0.0));
                }
            }
        }
        // An all-zero row has no distribution; a subnormal-only row has one.
        assert_eq!(row_entropy_dispatch::<f64>(&[0.0; 9]), None);
        let tiny = [
            5e-324, 5e-324, 1e-323, 0.0, 5e-324, 5e-324, 5e-324, 5e-324, 5e-324,
        ];
        let h = row_entropy_dispatch::<f64>(&tiny).unwrap();
        let p: Vec<f64> = tiny.iter().map(|&v| v / 5e-324 / 9.0).collect();
        let exact: f64 = -p
            .iter()
            .filter(|&&q| q > 0.0)
            .map(|&q| q * q.ln())
            .sum::<f64>();
        assert!((h - exact).abs() < 1e-14);
    }
}
