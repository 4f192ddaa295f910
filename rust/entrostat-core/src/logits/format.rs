//! Element formats of logit and probability arrays: f64, f32, and the two 16-bit float
//! formats, which arrive as `u16` bit patterns (NumPy has no bfloat16 of its own).

#[cfg(target_arch = "x86_64")]
use crate::divergence::fastlog::avx2::Load4;
#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// A storage format whose elements convert to f64.
pub trait Format: Copy + Send + Sync + 'static {
    /// The stored element type.
    type Raw: Copy + Send + Sync + 'static;
    fn to_f64(raw: Self::Raw) -> f64;

    /// Four elements as f64 lanes.
    ///
    /// # Safety
    /// `ptr` points to four readable elements; the CPU has AVX2, FMA and F16C (the
    /// caller is compiled for them: this is inlined into it).
    #[cfg(target_arch = "x86_64")]
    unsafe fn load4(ptr: *const Self::Raw) -> __m256d;
}

impl Format for f64 {
    type Raw = f64;
    #[inline(always)]
    fn to_f64(raw: f64) -> f64 {
        raw
    }
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn load4(ptr: *const f64) -> __m256d {
        <f64 as Load4>::load4(ptr)
    }
}

impl Format for f32 {
    type Raw = f32;
    #[inline(always)]
    fn to_f64(raw: f32) -> f64 {
        raw as f64
    }
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn load4(ptr: *const f32) -> __m256d {
        <f32 as Load4>::load4(ptr)
    }
}

/// bfloat16: the top half of an f32.
#[derive(Debug, Clone, Copy)]
pub struct Bf16;

impl Format for Bf16 {
    type Raw = u16;
    #[inline(always)]
    fn to_f64(raw: u16) -> f64 {
        f32::from_bits((raw as u32) << 16) as f64
    }
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn load4(ptr: *const u16) -> __m256d {
        let halves = _mm_cvtepu16_epi32(_mm_loadl_epi64(ptr as *const __m128i));
        _mm256_cvtps_pd(_mm_castsi128_ps(_mm_slli_epi32::<16>(halves)))
    }
}

/// IEEE binary16.
#[derive(Debug, Clone, Copy)]
pub struct F16;

impl Format for F16 {
    type Raw = u16;
    #[inline(always)]
    fn to_f64(raw: u16) -> f64 {
        f16_to_f32(raw) as f64
    }
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    unsafe fn load4(ptr: *const u16) -> __m256d {
        _mm256_cvtps_pd(_mm_cvtph_ps(_mm_loadl_epi64(ptr as *const __m128i)))
    }
}

/// Whether the CPU runs the AVX2 kernels (AVX2, FMA and F16C, as every AVX2 CPU has).
#[cfg(target_arch = "x86_64")]
pub fn has_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
        && std::arch::is_x86_feature_detected!("fma")
        && std::arch::is_x86_feature_detected!("f16c")
}

/// 2^112: the ratio of the exponent biases of f32 (127) and f16 (15), as a power of two.
const F16_TO_F32_SCALE: f32 = f32::from_bits(0x7780_0000);

/// Exact binary16 to f32 conversion without branches (so that loops vectorise).
///
/// The exponent and mantissa bits moved to their f32 positions read as the value times
/// 2^-112, for normal and subnormal numbers alike; one multiplication restores the
/// scale. An all-ones exponent (inf, NaN) is widened to the f32 all-ones exponent.
#[inline(always)]
pub fn f16_to_f32(h: u16) -> f32 {
    let h = h as u32;
    let sign = (h & 0x8000) << 16;
    let mag = (h & 0x7fff) << 13;
    let scaled = f32::from_bits(mag) * F16_TO_F32_SCALE;
    let special = f32::from_bits(mag | 0x7f80_0000);
    let v = if h & 0x7c00 == 0x7c00 {
        special
    } else {
        scaled
    };
    f32::from_bits(v.to_bits() | sign)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference decoding of binary16 from its definition.
    fn decode(h: u16) -> f64 {
        let sign = if h & 0x8000 != 0 { -1.0 } else { 1.0 };
        let e = ((h >> 10) & 0x1f) as i32;
        let m = (h & 0x3ff) as f64;
        match e {
            0 => sign * m * 2f64.powi(-24),
            31 if m == 0.0 => sign * f64::INFINITY,
            31 => f64::NAN,
            _ => sign * (1.0 + m / 1024.0) * 2f64.powi(e - 15),
        }
    }

    #[test]
    fn every_f16_bit_pattern_converts_exactly() {
        for h in 0..=u16::MAX {
            let got = F16::to_f64(h);
            let want = decode(h);
            if want.is_nan() {
                assert!(got.is_nan(), "{h:#06x}");
            } else {
                assert_eq!(got, want, "{h:#06x}");
                assert_eq!(got.is_sign_negative(), h & 0x8000 != 0, "{h:#06x}");
            }
        }
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn lane_loads_match_scalar_conversion() {
        if !has_avx2() {
            return; // the scalar conversions are tested above
        }
        let mut out = [0.0f64; 4];
        for base in (0..=u16::MAX).step_by(4) {
            let raw = [base, base + 1, base + 2, base + 3];
            // SAFETY: four readable u16; the CPU has the features (checked above).
            unsafe { _mm256_storeu_pd(out.as_mut_ptr(), F16::load4(raw.as_ptr())) };
            for (r, o) in raw.iter().zip(out) {
                let want = F16::to_f64(*r);
                assert!(o == want || (o.is_nan() && want.is_nan()), "f16 {r:#06x}");
            }
            unsafe { _mm256_storeu_pd(out.as_mut_ptr(), Bf16::load4(raw.as_ptr())) };
            for (r, o) in raw.iter().zip(out) {
                let want = Bf16::to_f64(*r);
                assert!(o == want || (o.is_nan() && want.is_nan()), "bf16 {r:#06x}");
            }
        }
    }

    #[test]
    fn bf16_is_the_top_half_of_f32() {
        for v in [0.0f32, -1.5, 3.140625, f32::INFINITY, -f32::INFINITY, 1e-40] {
            let h = (v.to_bits() >> 16) as u16;
            assert_eq!(Bf16::to_f64(h), f32::from_bits((h as u32) << 16) as f64);
        }
        assert_eq!(Bf16::to_f64(0x3f80), 1.0);
        assert!(Bf16::to_f64(0x7fc0).is_nan());
    }
}
