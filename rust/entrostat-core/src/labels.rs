//! Integer labels of every NumPy integer dtype, as views, and their order-preserving keys.
//!
//! Kernels work on `u64` keys: unsigned values are taken as they are; signed values are
//! offset by 2^63 so that key order is value order and ranges stay contiguous.

use ndarray::ArrayView1;

const SIGN: u64 = 1 << 63;

/// An integer element type that can be counted.
pub trait Label: Copy + Send + Sync + Ord + 'static {
    const SIGNED: bool;
    /// Order-preserving map to `u64`.
    fn key(self) -> u64;
}

macro_rules! impl_label {
    (unsigned: $($t:ty),*) => {$(
        impl Label for $t {
            const SIGNED: bool = false;
            #[inline(always)]
            fn key(self) -> u64 { self as u64 }
        }
    )*};
    (signed: $($t:ty),*) => {$(
        impl Label for $t {
            const SIGNED: bool = true;
            #[inline(always)]
            fn key(self) -> u64 { (self as i64 as u64) ^ SIGN }
        }
    )*};
}
impl_label!(unsigned: u8, u16, u32, u64);
impl_label!(signed: i8, i16, i32, i64);

/// Smallest and largest key of a non-empty slice. They are taken in the labels' own type
/// (`key` preserves order), which vectorises where 64-bit keys would not: x86-64's
/// baseline has no vector min / max of 32- or 64-bit integers, so the AVX2 build of the
/// loop is picked at run time. A scalar loop here cost as much as the counting after it.
pub fn key_range<T: Label>(sl: &[T]) -> (u64, u64) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2.
        let (lo, hi) = unsafe { min_max_avx2(sl) };
        return (lo.key(), hi.key());
    }
    let (lo, hi) = min_max(sl);
    (lo.key(), hi.key())
}

#[inline(always)]
fn min_max<T: Label>(sl: &[T]) -> (T, T) {
    let first = sl[0];
    sl.iter()
        .fold((first, first), |(lo, hi), &v| (lo.min(v), hi.max(v)))
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn min_max_avx2<T: Label>(sl: &[T]) -> (T, T) {
    min_max(sl)
}

/// Which integer domain a key belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    Unsigned,
    Signed,
}

impl Domain {
    pub fn of<T: Label>() -> Self {
        if T::SIGNED {
            Domain::Signed
        } else {
            Domain::Unsigned
        }
    }
    /// Re-express a key of `self` in `other`, or `None` if the value does not fit there.
    pub fn convert(self, key: u64, other: Domain) -> Option<u64> {
        match (self, other) {
            (a, b) if a == b => Some(key),
            // unsigned value -> signed key: fits if value <= i64::MAX
            (Domain::Unsigned, Domain::Signed) => (key < SIGN).then_some(key ^ SIGN),
            // signed key -> unsigned value: fits if value >= 0
            (Domain::Signed, Domain::Unsigned) => (key >= SIGN).then_some(key ^ SIGN),
            _ => unreachable!(),
        }
    }
    /// The value a key stands for, as i128 (exact for both domains).
    pub fn value(self, key: u64) -> i128 {
        match self {
            Domain::Unsigned => key as i128,
            Domain::Signed => (key ^ SIGN) as i64 as i128,
        }
    }
    /// "signed" or "unsigned": the name saved states carry.
    pub fn name(self) -> &'static str {
        match self {
            Domain::Signed => "signed",
            Domain::Unsigned => "unsigned",
        }
    }
    /// The domain `name` gives (`None` for any other string).
    pub fn from_name(name: &str) -> Option<Self> {
        [Domain::Signed, Domain::Unsigned]
            .into_iter()
            .find(|d| d.name() == name)
    }
}

/// A 1-D view of labels of any integer dtype (contiguous or strided).
#[derive(Debug, Clone)]
pub enum Labels<'a> {
    I8(ArrayView1<'a, i8>),
    I16(ArrayView1<'a, i16>),
    I32(ArrayView1<'a, i32>),
    I64(ArrayView1<'a, i64>),
    U8(ArrayView1<'a, u8>),
    U16(ArrayView1<'a, u16>),
    U32(ArrayView1<'a, u32>),
    U64(ArrayView1<'a, u64>),
}

/// Run `$body` with `$v` bound to the typed view inside a [`Labels`].
#[macro_export]
macro_rules! with_labels {
    ($labels:expr, $v:ident => $body:expr) => {
        match $labels {
            $crate::labels::Labels::I8($v) => $body,
            $crate::labels::Labels::I16($v) => $body,
            $crate::labels::Labels::I32($v) => $body,
            $crate::labels::Labels::I64($v) => $body,
            $crate::labels::Labels::U8($v) => $body,
            $crate::labels::Labels::U16($v) => $body,
            $crate::labels::Labels::U32($v) => $body,
            $crate::labels::Labels::U64($v) => $body,
        }
    };
}

impl Labels<'_> {
    pub fn len(&self) -> usize {
        with_labels!(self, v => v.len())
    }
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
    pub fn domain(&self) -> Domain {
        with_labels!(self, v => domain_of_view(v))
    }
}

fn domain_of_view<T: Label>(_: &ArrayView1<'_, T>) -> Domain {
    Domain::of::<T>()
}

macro_rules! impl_from_view {
    ($($t:ty => $var:ident),*) => {$(
        impl<'a> From<ArrayView1<'a, $t>> for Labels<'a> {
            fn from(v: ArrayView1<'a, $t>) -> Self { Labels::$var(v) }
        }
        impl<'a> From<&'a [$t]> for Labels<'a> {
            fn from(v: &'a [$t]) -> Self { Labels::$var(ArrayView1::from(v)) }
        }
    )*};
}
impl_from_view!(i8 => I8, i16 => I16, i32 => I32, i64 => I64, u8 => U8, u16 => U16, u32 => U32, u64 => U64);

/// The 64-bit two's-complement pattern of a label: the canonical n-gram symbol code, the
/// same for a value whatever its dtype (non-negative values are themselves).
#[inline(always)]
pub fn bits64<T: Label>(v: T) -> u64 {
    let k = v.key();
    if T::SIGNED {
        k ^ SIGN
    } else {
        k
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The range of the keys, one key at a time (what `key_range` vectorises).
    fn scalar_range<T: Label>(sl: &[T]) -> (u64, u64) {
        let keys = sl.iter().map(|v| v.key());
        (keys.clone().min().unwrap(), keys.max().unwrap())
    }

    fn check<T: Label + std::fmt::Debug>(values: &[T]) {
        // Every length and offset up to a few vector widths, so tails and heads are hit.
        for start in 0..values.len().min(9) {
            for end in start + 1..=values.len() {
                let sl = &values[start..end];
                assert_eq!(key_range(sl), scalar_range(sl), "{sl:?}");
            }
        }
    }

    #[test]
    fn key_range_matches_the_scalar_keys_for_every_dtype() {
        let pattern = |i: u64| i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let n = 70;
        check(
            &(0..n)
                .map(|i| pattern(i) as u8)
                .chain([0, u8::MAX])
                .collect::<Vec<_>>(),
        );
        check(
            &(0..n)
                .map(|i| pattern(i) as i8)
                .chain([i8::MIN, i8::MAX])
                .collect::<Vec<_>>(),
        );
        check(&(0..n).map(|i| pattern(i) as u16).collect::<Vec<_>>());
        check(
            &(0..n)
                .map(|i| pattern(i) as i16)
                .chain([i16::MIN])
                .collect::<Vec<_>>(),
        );
        check(
            &(0..n)
                .map(|i| pattern(i) as u32)
                .chain([u32::MAX])
                .collect::<Vec<_>>(),
        );
        check(
            &(0..n)
                .map(|i| pattern(i) as i32)
                .chain([-1, 0, i32::MIN])
                .collect::<Vec<_>>(),
        );
        check(&(0..n).map(pattern).chain([u64::MAX, 0]).collect::<Vec<_>>());
        check(
            &(0..n)
                .map(|i| pattern(i) as i64)
                .chain([i64::MIN, i64::MAX])
                .collect::<Vec<_>>(),
        );
        check(&[-5i32, -5, -5]);
    }
}
