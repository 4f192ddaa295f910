//! A branch-free natural logarithm that vectorises.
//!
//! `f64::ln` calls libm one element at a time; the divergence kernels take a logarithm
//! per element of rows of tens of thousands of entries, so the log is most of their
//! cost. This one is written without branches (special cases are selected afterwards),
//! so that LLVM turns a loop over lanes into SIMD code, and its result is within about
//! one ulp of `f64::ln`.
//!
//! Method (the classic reduction of Tang and of fdlibm's `log`): write x = 2^e m with
//! m in [sqrt(2)/2, sqrt(2)), f = m - 1, s = f / (2 + f); then
//! ln(m) = f - f^2/2 + s (f^2/2 + R(s^2)), with R the minimax polynomial of
//! 2 atanh(s)/s - 2 - ... on |s| <= 0.1716 (coefficients below, from fdlibm), and
//! ln(x) = e ln 2 + ln(m), ln 2 split into a high part exact in e * ln2_hi and a low part.

// Bit patterns, so that the constants are exactly fdlibm's.
const LN2_HI: f64 = f64::from_bits(0x3fe6_2e42_fee0_0000);
const LN2_LO: f64 = f64::from_bits(0x3dea_39ef_3579_3c76);
const LG: [f64; 7] = [
    f64::from_bits(0x3fe5_5555_5555_5593),
    f64::from_bits(0x3fd9_9999_9997_fa04),
    f64::from_bits(0x3fd2_4924_9422_9359),
    f64::from_bits(0x3fcc_71c5_1d8e_78af),
    f64::from_bits(0x3fc7_4664_96cb_03de),
    f64::from_bits(0x3fc3_9a09_d078_c69f),
    f64::from_bits(0x3fc2_f112_df3e_5244),
];
/// 2^54, to bring subnormal inputs into the normal range.
const TWO54: f64 = 18_014_398_509_481_984.0;
/// 2^52.
const TWO52: f64 = 4_503_599_627_370_496.0;

/// ln(x) for x >= 0 (0 gives -inf, inf gives inf); NaN and negative inputs give
/// unspecified values (callers validate first).
#[inline(always)]
pub fn ln(x: f64) -> f64 {
    let sub = x < f64::MIN_POSITIVE;
    let xs = if sub { x * TWO54 } else { x };
    let bits = xs.to_bits();
    // The biased exponent as a float without an integer-to-float conversion (AVX2 has
    // none for 64-bit lanes): its 11 bits OR-ed into the mantissa of 2^52, minus 2^52.
    let biased = f64::from_bits(0x4330_0000_0000_0000 | (bits >> 52) & 0x7ff) - TWO52;
    // Mantissa in [1, 2), then folded into [sqrt(2)/2, sqrt(2)).
    let m1 = f64::from_bits((bits & 0x000f_ffff_ffff_ffff) | 0x3ff0_0000_0000_0000);
    let big = m1 > std::f64::consts::SQRT_2;
    let m = if big { m1 * 0.5 } else { m1 };
    let ef = biased - if sub { 1023.0 + 54.0 } else { 1023.0 } + if big { 1.0 } else { 0.0 };
    let f = m - 1.0;
    let s = f / (2.0 + f);
    let z = s * s;
    let w = z * z;
    // Even and odd parts of R, as fdlibm splits them for a shorter dependency chain.
    let t1 = w * (LG[1] + w * (LG[3] + w * LG[5]));
    let t2 = z * (LG[0] + w * (LG[2] + w * (LG[4] + w * LG[6])));
    let r = t2 + t1;
    let hfsq = 0.5 * f * f;
    let lnm = f - (hfsq - (s * (hfsq + r) + ef * LN2_LO));
    let y = ef * LN2_HI + lnm;
    if x == 0.0 {
        f64::NEG_INFINITY
    } else if x == f64::INFINITY {
        f64::INFINITY
    } else {
        y
    }
}

/// Sum of x ln x over the entries x > 0 (the others add nothing): the sum behind plug-in
/// entropies of count vectors, four lanes at a time with AVX2 + FMA where the CPU has them
/// (libm's `ln`, one count at a time, made `entropy_from_counts` slower than NumPy).
pub fn sum_x_ln_x(x: &[f64]) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU supports the features the function was compiled for.
        return unsafe { sum_x_ln_x_avx2(x) };
    }
    x.iter()
        .map(|&c| if c > 0.0 { c * ln(c) } else { 0.0 })
        .sum()
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn sum_x_ln_x_avx2(x: &[f64]) -> f64 {
    // -sum over x > 0 of x ln x, with the row kernel of cross-entropies (p = q = x).
    let neg = |a: f64, b: f64| if a > 0.0 { -a * ln(b) } else { 0.0 };
    -avx2::row_sum(x, x, 1.0, 1.0, |a, b| avx2::neg_xlog(a, b), neg, |v| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_libm_within_two_ulps() {
        let mut worst = 0.0f64;
        let mut x = 1e-310f64;
        while x < 1e300 {
            for v in [x, x * 1.000_000_1, x * 1.414_3, x * 1.9] {
                let want = v.ln();
                let got = ln(v);
                let ulp = (want.abs() * f64::EPSILON).max(f64::MIN_POSITIVE);
                worst = worst.max((got - want).abs() / ulp);
            }
            x *= 1.37;
        }
        // Near 1, ln is tiny: compare relative to the result.
        for i in 1..10_000 {
            let v = 1.0 + (i as f64 - 5000.0) * 1e-7;
            let want = v.ln();
            let err = (ln(v) - want).abs();
            assert!(
                err <= 4.0 * f64::EPSILON * want.abs(),
                "ln({v}): {} vs {want}",
                ln(v)
            );
        }
        assert!(worst <= 2.0, "worst error {worst} ulps");
        assert_eq!(ln(0.0), f64::NEG_INFINITY);
        assert_eq!(ln(f64::INFINITY), f64::INFINITY);
        assert_eq!(ln(1.0), 0.0);
        assert!((ln(5e-324) - 5e-324f64.ln()).abs() < 1e-12);
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn four_lanes_match_libm() {
        use std::arch::x86_64::{_mm256_loadu_pd, _mm256_storeu_pd};
        if !(std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma"))
        {
            return; // nothing to compare on this CPU: the scalar path is tested above
        }
        let mut xs = vec![
            0.0,
            f64::INFINITY,
            5e-324,
            1e-310,
            1.0,
            f64::MAX,
            f64::MIN_POSITIVE,
        ];
        let mut x = 1e-300f64;
        while x < 1e300 {
            xs.extend([x, x * 1.414_3, x * 0.999_999]);
            x *= 1.71;
        }
        while xs.len() % 4 != 0 {
            xs.push(2.0);
        }
        for chunk in xs.chunks_exact(4) {
            let mut out = [0.0f64; 4];
            // SAFETY: the CPU has AVX2 and FMA (checked above); both arrays hold 4 f64.
            unsafe {
                _mm256_storeu_pd(out.as_mut_ptr(), avx2::ln4(_mm256_loadu_pd(chunk.as_ptr())))
            };
            for (&v, &got) in chunk.iter().zip(&out) {
                let want = v.ln();
                if want.is_infinite() {
                    assert_eq!(got, want, "ln({v})");
                } else {
                    let ulp = (want.abs() * f64::EPSILON).max(f64::MIN_POSITIVE);
                    assert!((got - want).abs() <= 2.0 * ulp, "ln({v}): {got} vs {want}");
                }
            }
        }
    }
}

/// The same logarithm on four lanes with AVX2 and FMA intrinsics (the auto-vectoriser
/// does not manage the exponent extraction), and row sums built on it.
#[cfg(target_arch = "x86_64")]
pub mod avx2 {
    use super::{LG, LN2_HI, LN2_LO, TWO52, TWO54};
    use std::arch::x86_64::*;

    /// Entry types loaded four at a time as f64 lanes.
    pub trait Load4: Copy {
        /// # Safety
        /// `ptr` must point to four readable values; the CPU must have AVX2.
        unsafe fn load4(ptr: *const Self) -> __m256d;
    }

    impl Load4 for f64 {
        #[inline(always)]
        unsafe fn load4(ptr: *const Self) -> __m256d {
            _mm256_loadu_pd(ptr)
        }
    }

    impl Load4 for f32 {
        #[inline(always)]
        unsafe fn load4(ptr: *const Self) -> __m256d {
            _mm256_cvtps_pd(_mm_loadu_ps(ptr))
        }
    }

    /// ln of four lanes, as `super::ln` (x >= 0; 0 gives -inf, inf gives inf).
    ///
    /// # Safety
    /// The CPU must have AVX2 and FMA.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn ln4(x: __m256d) -> __m256d {
        let set = _mm256_set1_pd;
        let sub = _mm256_cmp_pd::<_CMP_LT_OQ>(x, set(f64::MIN_POSITIVE));
        let xs = _mm256_blendv_pd(x, _mm256_mul_pd(x, set(TWO54)), sub);
        let bits = _mm256_castpd_si256(xs);
        let exp_bits = _mm256_and_si256(_mm256_srli_epi64::<52>(bits), _mm256_set1_epi64x(0x7ff));
        let biased = _mm256_sub_pd(
            _mm256_castsi256_pd(_mm256_or_si256(
                exp_bits,
                _mm256_set1_epi64x(0x4330_0000_0000_0000),
            )),
            set(TWO52),
        );
        let mant = _mm256_or_si256(
            _mm256_and_si256(bits, _mm256_set1_epi64x(0x000f_ffff_ffff_ffff)),
            _mm256_set1_epi64x(0x3ff0_0000_0000_0000),
        );
        let m1 = _mm256_castsi256_pd(mant);
        let big = _mm256_cmp_pd::<_CMP_GT_OQ>(m1, set(std::f64::consts::SQRT_2));
        let m = _mm256_blendv_pd(m1, _mm256_mul_pd(m1, set(0.5)), big);
        let bias = _mm256_blendv_pd(set(1023.0), set(1023.0 + 54.0), sub);
        let ef = _mm256_add_pd(_mm256_sub_pd(biased, bias), _mm256_and_pd(big, set(1.0)));
        let f = _mm256_sub_pd(m, set(1.0));
        let s = _mm256_div_pd(f, _mm256_add_pd(set(2.0), f));
        let z = _mm256_mul_pd(s, s);
        let w = _mm256_mul_pd(z, z);
        let fma = |a, b, c| _mm256_fmadd_pd(a, b, c);
        let t1 = _mm256_mul_pd(w, fma(w, fma(w, set(LG[5]), set(LG[3])), set(LG[1])));
        let t2 = _mm256_mul_pd(
            z,
            fma(
                w,
                fma(w, fma(w, set(LG[6]), set(LG[4])), set(LG[2])),
                set(LG[0]),
            ),
        );
        let r = _mm256_add_pd(t1, t2);
        let hfsq = _mm256_mul_pd(set(0.5), _mm256_mul_pd(f, f));
        let inner = fma(s, _mm256_add_pd(hfsq, r), _mm256_mul_pd(ef, set(LN2_LO)));
        let lnm = _mm256_sub_pd(f, _mm256_sub_pd(hfsq, inner));
        let y = fma(ef, set(LN2_HI), lnm);
        let zero = _mm256_cmp_pd::<_CMP_EQ_OQ>(x, set(0.0));
        let inf = _mm256_cmp_pd::<_CMP_EQ_OQ>(x, set(f64::INFINITY));
        let y = _mm256_blendv_pd(y, set(f64::NEG_INFINITY), zero);
        _mm256_blendv_pd(y, set(f64::INFINITY), inf)
    }

    /// The sum of the four lanes of `v`, pairwise: (v0 + v2) + (v1 + v3).
    ///
    /// # Safety
    /// The CPU must have AVX (every caller is compiled for AVX2 and inlines this).
    #[inline(always)]
    pub unsafe fn lanes_sum(v: __m256d) -> f64 {
        let mut lanes = [0.0f64; 4];
        _mm256_storeu_pd(lanes.as_mut_ptr(), v);
        (lanes[0] + lanes[2]) + (lanes[1] + lanes[3])
    }

    /// Sum over lanes of `term(p * sp, q * sq)`, the rows' tails done by `scalar`.
    ///
    /// # Safety
    /// The CPU must have AVX2 and FMA; `p` and `q` have the same length.
    #[inline(always)]
    pub unsafe fn row_sum<T: Load4>(
        p: &[T],
        q: &[T],
        sp: f64,
        sq: f64,
        term: impl Fn(__m256d, __m256d) -> __m256d,
        scalar: impl Fn(f64, f64) -> f64,
        to_f64: impl Fn(T) -> f64,
    ) -> f64 {
        let n = p.len().min(q.len());
        let (vp, vq) = (_mm256_set1_pd(sp), _mm256_set1_pd(sq));
        let mut acc = [_mm256_setzero_pd(); 2];
        let mut i = 0;
        while i + 8 <= n {
            for (k, a) in acc.iter_mut().enumerate() {
                let j = i + 4 * k;
                let x = _mm256_mul_pd(T::load4(p.as_ptr().add(j)), vp);
                let y = _mm256_mul_pd(T::load4(q.as_ptr().add(j)), vq);
                *a = _mm256_add_pd(*a, term(x, y));
            }
            i += 8;
        }
        let mut total = lanes_sum(_mm256_add_pd(acc[0], acc[1]));
        for j in i..n {
            total += scalar(to_f64(p[j]) * sp, to_f64(q[j]) * sq);
        }
        total
    }

    /// `x * ln(x / y)` where x > 0, else 0.
    ///
    /// # Safety
    /// The CPU must have AVX2 and FMA.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn xlog_ratio(x: __m256d, y: __m256d) -> __m256d {
        let t = _mm256_mul_pd(x, ln4(_mm256_div_pd(x, y)));
        let on = _mm256_cmp_pd::<_CMP_GT_OQ>(x, _mm256_setzero_pd());
        _mm256_and_pd(t, on)
    }

    /// `-x * ln(y)` where x > 0, else 0.
    ///
    /// # Safety
    /// The CPU must have AVX2 and FMA.
    #[inline]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn neg_xlog(x: __m256d, y: __m256d) -> __m256d {
        let t = _mm256_mul_pd(x, ln4(y));
        let on = _mm256_cmp_pd::<_CMP_GT_OQ>(x, _mm256_setzero_pd());
        _mm256_and_pd(_mm256_sub_pd(_mm256_setzero_pd(), t), on)
    }
}
