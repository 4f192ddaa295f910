//! Entropy of the fields of floating-point numbers: how many bits of sign, exponent and
//! mantissa a tensor really carries, against its storage width.
//!
//! The values' bit patterns are counted once (a dense table of 65 536 bins for the 16-bit
//! formats, the hashed histogram for float32), and the fields' histograms are marginals
//! of that one histogram. All entropies are plug-in (empirical) entropies in bits.

use crate::cancel::Cancel;
use crate::discrete::counting::count_view;
use crate::discrete::estimators::plugin;
use crate::error::{Error, Result};
use hashbrown::HashMap;
use ndarray::ArrayView1;

/// A binary floating-point format, by its field widths.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloatFormat {
    Bf16,
    F16,
    F32,
}

impl FloatFormat {
    /// (exponent bits, mantissa bits); the sign is one bit.
    pub fn widths(self) -> (u32, u32) {
        match self {
            FloatFormat::Bf16 => (8, 7),
            FloatFormat::F16 => (5, 10),
            FloatFormat::F32 => (8, 23),
        }
    }
}

/// Empirical entropies (bits) of a tensor's fields and of its whole values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FieldEntropy {
    pub n: u64,
    pub sign: f64,
    pub exponent: f64,
    pub mantissa: f64,
    pub value: f64,
}

/// Plug-in entropy in bits of counts (zeros allowed).
fn entropy_bits(counts: impl Iterator<Item = u64>) -> f64 {
    let c: Vec<f64> = counts.filter(|&c| c > 0).map(|c| c as f64).collect();
    let total: f64 = c.iter().sum();
    plugin(&c[..], total) / std::f64::consts::LN_2
}

/// Field entropies from `(bit pattern, count)` pairs.
fn from_items(items: &[(u64, u64)], fmt: FloatFormat) -> FieldEntropy {
    let (e_bits, m_bits) = fmt.widths();
    let mut sign = [0u64; 2];
    let mut exponent = vec![0u64; 1 << e_bits];
    let mut mantissa: HashMap<u64, u64> = HashMap::new();
    let m_mask = (1u64 << m_bits) - 1;
    for &(v, c) in items {
        sign[(v >> (e_bits + m_bits)) as usize & 1] += c;
        exponent[((v >> m_bits) & ((1 << e_bits) - 1)) as usize] += c;
        *mantissa.entry(v & m_mask).or_insert(0) += c;
    }
    // In key order: the table's own order changes from run to run (a seeded hasher), and
    // so would the last bit of the sum.
    let mut mantissa: Vec<(u64, u64)> = mantissa.into_iter().collect();
    mantissa.sort_unstable_by_key(|&(m, _)| m);
    FieldEntropy {
        n: sign[0] + sign[1],
        sign: entropy_bits(sign.into_iter()),
        exponent: entropy_bits(exponent.into_iter()),
        mantissa: entropy_bits(mantissa.into_iter().map(|(_, c)| c)),
        value: entropy_bits(items.iter().map(|&(_, c)| c)),
    }
}

/// Field entropies of 16-bit floats given as their bit patterns.
pub fn float16_entropy(
    bits: ArrayView1<'_, u16>,
    fmt: FloatFormat,
    cancel: &Cancel,
) -> Result<FieldEntropy> {
    if fmt == FloatFormat::F32 {
        return Err(Error::value("fmt", "float32 values need 32-bit patterns"));
    }
    if bits.is_empty() {
        return Err(Error::value(
            "x",
            "expected at least one value, got an empty array",
        ));
    }
    Ok(from_items(&count_view(bits, cancel)?.sorted_items(), fmt))
}

/// Field entropies of float32 values given as their bit patterns.
pub fn float32_entropy(bits: ArrayView1<'_, u32>, cancel: &Cancel) -> Result<FieldEntropy> {
    if bits.is_empty() {
        return Err(Error::value(
            "x",
            "expected at least one value, got an empty array",
        ));
    }
    Ok(from_items(
        &count_view(bits, cancel)?.sorted_items(),
        FloatFormat::F32,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cancel::NEVER;

    #[test]
    fn fields_of_a_small_sample() {
        // 1.0, -1.0, 2.0, 1.5 in bfloat16: sign 1/4 negative, exponents {127: 3, 128: 1}.
        let v = [0x3f80u16, 0xbf80, 0x4000, 0x3fc0];
        let f = float16_entropy(ArrayView1::from(&v), FloatFormat::Bf16, &NEVER).unwrap();
        let h = |p: f64| -(p * p.log2() + (1.0 - p) * (1.0 - p).log2());
        assert_eq!(f.n, 4);
        assert!((f.sign - h(0.25)).abs() < 1e-12);
        assert!((f.exponent - h(0.25)).abs() < 1e-12);
        assert!((f.mantissa - h(0.25)).abs() < 1e-12);
        assert!((f.value - 2.0).abs() < 1e-12);
        let one = [0x3f80_0000u32; 3];
        let g = float32_entropy(ArrayView1::from(&one), &NEVER).unwrap();
        assert_eq!(
            (g.sign, g.exponent, g.mantissa, g.value),
            (0.0, 0.0, 0.0, 0.0)
        );
    }
}
