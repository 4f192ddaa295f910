//! Special functions the estimators need: digamma, trigamma, log-gamma.

/// log Gamma(x) for x > 0.
#[inline]
pub fn ln_gamma(x: f64) -> f64 {
    libm::lgamma(x)
}

/// log Gamma(a + n) - log Gamma(a) for a > 0, n >= 0, accurate also when a is huge
/// (where the two log-gammas agree in most of their digits): Stirling's series in the
/// difference form (a - 1/2) ln(1 + n/a) + n ln(a + n) - n + corrections.
pub fn ln_gamma_ratio(a: f64, n: f64) -> f64 {
    if n == 0.0 {
        return 0.0;
    }
    if a < 1e4 {
        return ln_gamma(a + n) - ln_gamma(a);
    }
    let b = a + n;
    let series = |x: f64| {
        let r = 1.0 / x;
        r * (1.0 / 12.0 - r * r * (1.0 / 360.0 - r * r / 1260.0))
    };
    (a - 0.5) * (n / a).ln_1p() + n * b.ln() - n + series(b) - series(a)
}

/// Digamma psi(x) for x > 0: recurrence up to x >= 10, then the asymptotic series.
pub fn digamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 10.0 {
        acc -= 1.0 / x;
        x += 1.0;
    }
    let r = 1.0 / x;
    let r2 = r * r;
    let series = r2
        * (1.0 / 12.0
            - r2 * (1.0 / 120.0
                - r2 * (1.0 / 252.0
                    - r2 * (1.0 / 240.0 - r2 * (1.0 / 132.0 - r2 * (691.0 / 32760.0))))));
    acc + x.ln() - 0.5 * r - series
}

/// Arguments below this have their digamma in a table.
const DIGAMMA_TABLE: usize = 1 << 12;

/// Digamma of a positive integer: `digamma(m as f64)` exactly, from a table for small m
/// (the k-NN estimators take it of a count per point, and small counts are the costly
/// ones: up to ten recurrence steps each).
#[inline]
pub fn digamma_int(m: usize) -> f64 {
    static TABLE: std::sync::OnceLock<Vec<f64>> = std::sync::OnceLock::new();
    if m < DIGAMMA_TABLE {
        let table = TABLE.get_or_init(|| (0..DIGAMMA_TABLE).map(|i| digamma(i as f64)).collect());
        table[m]
    } else {
        digamma(m as f64)
    }
}

/// Trigamma psi'(x) for x > 0: recurrence up to x >= 10, then the asymptotic series.
pub fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 10.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let r = 1.0 / x;
    let r2 = r * r;
    let series = r
        + 0.5 * r2
        + r * r2
            * (1.0 / 6.0
                - r2 * (1.0 / 30.0 - r2 * (1.0 / 42.0 - r2 * (1.0 / 30.0 - r2 * (5.0 / 66.0)))));
    acc + series
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digamma_int_equals_digamma() {
        for m in (1..10_000)
            .step_by(7)
            .chain([DIGAMMA_TABLE - 1, DIGAMMA_TABLE, 1 << 40])
        {
            assert_eq!(
                digamma_int(m).to_bits(),
                digamma(m as f64).to_bits(),
                "m={m}"
            );
        }
    }

    #[test]
    fn digamma_known_values() {
        let euler = 0.577_215_664_901_532_9;
        assert!((digamma(1.0) + euler).abs() < 1e-14);
        assert!((digamma(0.5) + euler + 2.0 * 2f64.ln()).abs() < 1e-13);
        // psi(x+1) = psi(x) + 1/x
        for &x in &[1e-6, 0.3, 2.5, 17.0, 1e6] {
            assert!((digamma(x + 1.0) - digamma(x) - 1.0 / x).abs() < 1e-9 * (1.0 + 1.0 / x));
        }
    }

    #[test]
    fn ln_gamma_ratio_is_stable() {
        for &(a, n) in &[(0.3, 5.0), (2e4, 3.0), (5e4, 1e5), (1e12, 7.0)] {
            // Direct sum of logs for integer n is exact enough to compare.
            if n == (n as u64) as f64 && n < 1e4 {
                let direct: f64 = (0..n as u64).map(|i| (a + i as f64).ln()).sum();
                assert!((ln_gamma_ratio(a, n) - direct).abs() < 1e-9 * direct.abs().max(1.0));
            } else {
                let diff = ln_gamma(a + n) - ln_gamma(a);
                assert!((ln_gamma_ratio(a, n) - diff).abs() < 1e-6 * diff.abs());
            }
        }
    }

    #[test]
    fn trigamma_known_values() {
        let pi2_6 = std::f64::consts::PI.powi(2) / 6.0;
        assert!((trigamma(1.0) - pi2_6).abs() < 1e-13);
        assert!((trigamma(0.5) - 3.0 * pi2_6).abs() < 1e-12);
        for &x in &[0.3, 2.5, 17.0, 1e4] {
            assert!((trigamma(x) - trigamma(x + 1.0) - 1.0 / (x * x)).abs() < 1e-12);
        }
    }
}
