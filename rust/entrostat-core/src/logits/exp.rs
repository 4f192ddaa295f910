//! A branch-free exponential for arguments <= 0, which auto-vectorises.
//!
//! Softmax statistics take one exponential per logit; `f64::exp` calls libm one element
//! at a time. Method: n = round(y / ln 2) by the 1.5 * 2^52 rounding trick (whose bit
//! pattern then holds n in its low bits), r = y - n ln 2 split into two parts of ln 2
//! (|r| <= ln(2)/2), e^r by its Taylor polynomial to degree 12 (truncation below 2e-16
//! relative on that interval), and 2^n built directly in the exponent bits. Results
//! below 2^-1021 are flushed to zero: softmax terms are at most 1 and are summed, so such
//! terms never change a sum. `avx2::exp4_full` applies the same reduction over the whole
//! range (overflow to inf, subnormal results), for the power sums of Renyi divergences.

const LOG2E: f64 = std::f64::consts::LOG2_E;
/// ln 2 split so that n * LN2_HI is exact for |n| < 2^20 (fdlibm's constants).
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
/// 1.5 * 2^52: adding it rounds to an integer held in the low mantissa bits.
const SHIFTER: f64 = 6_755_399_441_055_744.0;
/// Arguments below this give 0 (e^-708 is about 2^-1021.4, the edge of normal doubles).
pub const FLUSH: f64 = -708.0;

/// 1/k! for k = 0..=12, highest first for Horner's rule.
const TAYLOR: [f64; 13] = [
    1.0 / 479_001_600.0,
    1.0 / 39_916_800.0,
    1.0 / 3_628_800.0,
    1.0 / 362_880.0,
    1.0 / 40_320.0,
    1.0 / 5_040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    0.5,
    1.0,
    1.0,
];

/// e^y for y <= 0 (y = -inf gives 0; arguments below [`FLUSH`] give 0). Positive
/// arguments up to ln 2 / 2 are also exact to rounding; larger ones are not supported.
/// Callers have removed NaN.
#[inline(always)]
pub fn exp_neg(y: f64) -> f64 {
    let yc = if y < FLUSH { FLUSH } else { y };
    let k = yc * LOG2E + SHIFTER;
    let n = k - SHIFTER;
    let r = (yc - n * LN2_HI) - n * LN2_LO;
    let mut p = TAYLOR[0];
    for &c in &TAYLOR[1..] {
        p = p * r + c;
    }
    // The low 12 bits of k's pattern are n mod 4096; n + 1023 lies in [1, 1023].
    let scale = f64::from_bits(k.to_bits().wrapping_add(1023) << 52);
    if y < FLUSH {
        0.0
    } else {
        p * scale
    }
}

/// [`exp_neg`] of a block of lanes, written step by step over the lanes so that each
/// step compiles to a few SIMD instructions (a per-element call is a 25-deep dependency
/// chain that the auto-vectoriser leaves scalar).
#[inline(always)]
pub fn exp_neg_lanes<const L: usize>(y: &[f64; L]) -> [f64; L] {
    let mut yc = [0.0; L];
    let mut k = [0.0; L];
    let mut r = [0.0; L];
    let mut p = [TAYLOR[0]; L];
    for j in 0..L {
        yc[j] = if y[j] < FLUSH { FLUSH } else { y[j] };
        k[j] = yc[j] * LOG2E + SHIFTER;
        let n = k[j] - SHIFTER;
        r[j] = (yc[j] - n * LN2_HI) - n * LN2_LO;
    }
    for &c in &TAYLOR[1..] {
        for j in 0..L {
            p[j] = p[j] * r[j] + c;
        }
    }
    let mut out = [0.0; L];
    for j in 0..L {
        let scale = f64::from_bits(k[j].to_bits().wrapping_add(1023) << 52);
        out[j] = if y[j] < FLUSH { 0.0 } else { p[j] * scale };
    }
    out
}

/// The same exponential on four lanes with AVX2 and FMA intrinsics.
#[cfg(target_arch = "x86_64")]
pub mod avx2 {
    use super::{FLUSH, LN2_HI, LN2_LO, LOG2E, SHIFTER, TAYLOR};
    use std::arch::x86_64::*;

    /// e^y on four lanes, as [`super::exp_neg`] (to within an ulp: FMA rounds once).
    ///
    /// # Safety
    /// The CPU must have AVX2 and FMA.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn exp4(y: __m256d) -> __m256d {
        let set = _mm256_set1_pd;
        let flush = set(FLUSH);
        // max_pd returns its second operand for -inf (and NaN): y clamped to FLUSH.
        let yc = _mm256_max_pd(y, flush);
        let (n, p) = reduce(yc);
        let keep = _mm256_cmp_pd::<_CMP_GE_OQ>(y, flush);
        _mm256_and_pd(_mm256_mul_pd(p, pow2(n)), keep)
    }

    /// The reduction of y (clamped by the caller): n = round(y / ln 2) as a double, and
    /// e^r for r = y - n ln 2 (|r| <= ln(2) / 2), so that e^y = 2^n e^r.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn reduce(y: __m256d) -> (__m256d, __m256d) {
        let set = _mm256_set1_pd;
        let n = _mm256_sub_pd(_mm256_fmadd_pd(y, set(LOG2E), set(SHIFTER)), set(SHIFTER));
        let r = _mm256_fnmadd_pd(n, set(LN2_HI), y);
        let r = _mm256_fnmadd_pd(n, set(LN2_LO), r);
        let mut p = set(TAYLOR[0]);
        for &c in &TAYLOR[1..] {
            p = _mm256_fmadd_pd(p, r, set(c));
        }
        (n, p)
    }

    /// 2^n for lanes holding integers n in [-1022, 1023] (as doubles): n + 1.5 * 2^52
    /// holds n in its low bits, which, biased by 1023, become the exponent field.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn pow2(n: __m256d) -> __m256d {
        let k = _mm256_castpd_si256(_mm256_add_pd(n, _mm256_set1_pd(SHIFTER)));
        let biased = _mm256_add_epi64(k, _mm256_set1_epi64x(1023));
        _mm256_castsi256_pd(_mm256_slli_epi64::<52>(biased))
    }

    /// e^y on four lanes over the whole range, within an ulp or two of libm's `exp`:
    /// inf from about 709.78 (and for inf), subnormal results down to about -745, 0 below
    /// (and for -inf), NaN for NaN. The reduction is that of [`exp4`]; 2^n is applied as
    /// two factors 2^floor(n/2) and 2^(n - floor(n/2)), each a normal number, so that the
    /// product rounds once where it overflows or becomes subnormal.
    ///
    /// # Safety
    /// The CPU must have AVX2 and FMA.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn exp4_full(y: __m256d) -> __m256d {
        let set = _mm256_set1_pd;
        // Clamped so that n stays within [-1443, 1024]: beyond, e^y is 0 or inf anyway.
        let yc = _mm256_min_pd(_mm256_max_pd(y, set(-1000.0)), set(710.0));
        let (n, p) = reduce(yc);
        let half = _mm256_floor_pd(_mm256_mul_pd(n, set(0.5)));
        let e = _mm256_mul_pd(_mm256_mul_pd(p, pow2(half)), pow2(_mm256_sub_pd(n, half)));
        // min / max turned NaN into a bound: give NaN back.
        let nan = _mm256_cmp_pd::<_CMP_UNORD_Q>(y, y);
        _mm256_blendv_pd(e, y, nan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_libm_on_the_negative_axis() {
        let mut y = 0.0f64;
        while y > FLUSH {
            for v in [y, y * 0.999_999_9, y - 0.123_456_7] {
                if v <= FLUSH {
                    continue;
                }
                let want = v.exp();
                let got = exp_neg(v);
                assert!(
                    (got - want).abs() <= 4.0 * f64::EPSILON * want,
                    "exp({v}): {got} vs {want}"
                );
            }
            y = y * 1.05 - 1e-3;
        }
        assert_eq!(exp_neg(0.0), 1.0);
        assert_eq!(exp_neg(f64::NEG_INFINITY), 0.0);
        assert_eq!(exp_neg(-1e300), 0.0);
        assert_eq!(exp_neg(FLUSH - 1.0), 0.0);
        let ys = [
            0.0,
            -0.5,
            -1e-300,
            -3.7,
            -700.0,
            -709.0,
            f64::NEG_INFINITY,
            -40.0,
        ];
        let lanes = exp_neg_lanes(&ys);
        for (y, e) in ys.iter().zip(lanes) {
            assert_eq!(e, exp_neg(*y));
        }
        #[cfg(target_arch = "x86_64")]
        if crate::logits::format::has_avx2() {
            use std::arch::x86_64::{_mm256_loadu_pd, _mm256_storeu_pd};
            for block in ys.chunks_exact(4) {
                let mut out = [0.0f64; 4];
                // SAFETY: four readable f64; the CPU has the features (checked above).
                unsafe {
                    _mm256_storeu_pd(
                        out.as_mut_ptr(),
                        avx2::exp4(_mm256_loadu_pd(block.as_ptr())),
                    )
                };
                for (y, e) in block.iter().zip(out) {
                    let want = exp_neg(*y);
                    assert!((e - want).abs() <= 2.0 * f64::EPSILON * want, "exp4({y})");
                }
            }
        }
        let small = exp_neg(-0.3);
        assert!((small - (-0.3f64).exp()).abs() <= 2.0 * f64::EPSILON);
    }

    #[test]
    #[cfg(target_arch = "x86_64")]
    fn full_range_lanes_match_libm() {
        use std::arch::x86_64::{_mm256_loadu_pd, _mm256_storeu_pd};
        if !crate::logits::format::has_avx2() {
            return;
        }
        let exp4 = |block: &[f64]| {
            let mut out = [0.0f64; 4];
            // SAFETY: four readable f64; the CPU has the features (checked above).
            unsafe {
                _mm256_storeu_pd(
                    out.as_mut_ptr(),
                    avx2::exp4_full(_mm256_loadu_pd(block.as_ptr())),
                )
            };
            out
        };
        let mut ys = vec![
            0.0,
            -0.0,
            1.0,
            -1.0,
            709.78,
            709.782_712_893_384,
            709.79,
            710.0,
            1e300,
            f64::INFINITY,
            -708.4,
            -708.5,
            -720.0,
            -744.4,
            -745.1,
            -745.2,
            -1e300,
            f64::NEG_INFINITY,
            1e-300,
            -1e-300,
        ];
        let mut y = 1e-3;
        while y < 720.0 {
            ys.extend([y, -y, y * 1.000_000_1 + 0.123_456_7, -y - 0.765_432_1]);
            y *= 1.07;
        }
        while ys.len() % 4 != 0 {
            ys.push(0.5);
        }
        for block in ys.chunks_exact(4) {
            for (y, got) in block.iter().zip(exp4(block)) {
                let want = y.exp();
                if want.is_infinite() || want == 0.0 {
                    assert_eq!(got, want, "exp({y})");
                } else if want < f64::MIN_POSITIVE {
                    // Subnormal: within an ulp of the subnormal grid.
                    assert!(
                        (got - want).abs() <= 5e-324,
                        "exp({y}): {got:e} vs {want:e}"
                    );
                } else {
                    assert!(
                        (got - want).abs() <= 4.0 * f64::EPSILON * want,
                        "exp({y}): {got} vs {want}"
                    );
                }
            }
        }
        let nan = exp4(&[f64::NAN, 0.0, f64::NAN, 1.0]);
        assert!(nan[0].is_nan() && nan[2].is_nan() && nan[1] == 1.0);
    }
}
