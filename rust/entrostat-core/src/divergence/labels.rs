//! Divergences estimated from two samples of labels, given as counts over a shared
//! alphabet.

use crate::discrete::estimators::validate_counts;
use crate::error::{Error, Result};
use crate::special::digamma;

/// Zhang and Grabchak's (2014) estimator of D_KL(P || Q) from counts `x` of a sample of P
/// (size n) and `y` of a sample of Q (size m), bin by bin over the same alphabet:
///
/// D = sum_k (x_k / n) (A_k - B_k), with
/// A_k = sum_{v=1}^{m-1} (1/v) prod_{j=1}^{v} (1 - y_k / (m - j + 1))  (estimates -log q_k)
/// B_k = sum_{v=1}^{n-1} (1/v) prod_{j=1}^{v} (1 - (x_k - 1) / (n - j))  (estimates -log p_k)
///
/// The products vanish past v = m - y_k (and n - x_k), and the sums telescope into
/// digammas: A_k = psi(m+1) - psi(y_k+1) - [y_k = 0] / m, B_k = psi(n) - psi(x_k). Finite
/// even where y_k = 0, its bias decays exponentially in the sample sizes.
pub fn kl_zhang_grabchak(x: &[f64], y: &[f64]) -> Result<f64> {
    if x.len() != y.len() {
        return Err(Error::value(
            "y",
            format!("{} bins in y but {} in x", y.len(), x.len()),
        ));
    }
    let named = |arg: &'static str| {
        move |e: Error| match e {
            Error::Value { msg, .. } => Error::value(arg, msg),
            other => other,
        }
    };
    let n = validate_counts(x, true).map_err(named("x"))?;
    let m = validate_counts(y, true).map_err(named("y"))?;
    let (psi_m1, psi_n) = (digamma(m + 1.0), digamma(n));
    let d: f64 = x
        .iter()
        .zip(y)
        .filter(|(&xk, _)| xk > 0.0)
        .map(|(&xk, &yk)| {
            let a = psi_m1 - digamma(yk + 1.0) - if yk == 0.0 { 1.0 / m } else { 0.0 };
            let b = psi_n - digamma(xk);
            xk / n * (a - b)
        })
        .sum();
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The estimator as its authors write it: sums of products.
    fn literal(x: &[f64], y: &[f64]) -> f64 {
        let (n, m) = (x.iter().sum::<f64>(), y.iter().sum::<f64>());
        let mut d = 0.0;
        for (&xk, &yk) in x.iter().zip(y) {
            if xk == 0.0 {
                continue;
            }
            let (mut a, mut pa) = (0.0, 1.0);
            for v in 1..m as usize {
                pa *= 1.0 - yk / (m - v as f64 + 1.0);
                a += pa / v as f64;
            }
            let (mut b, mut pb) = (0.0, 1.0);
            for v in 1..n as usize {
                pb *= 1.0 - (xk - 1.0) / (n - v as f64);
                b += pb / v as f64;
            }
            d += xk / n * (a - b);
        }
        d
    }

    #[test]
    fn digamma_form_equals_the_sums_of_products() {
        let x = [5.0, 0.0, 3.0, 12.0, 1.0, 1.0];
        let y = [2.0, 4.0, 0.0, 9.0, 1.0, 30.0];
        let got = kl_zhang_grabchak(&x, &y).unwrap();
        assert!(
            (got - literal(&x, &y)).abs() < 1e-12,
            "{got} vs {}",
            literal(&x, &y)
        );
        assert!((kl_zhang_grabchak(&[1.0], &[1.0]).unwrap()).abs() < 1e-15);
        assert!(kl_zhang_grabchak(&[1.0, 2.0], &[1.0]).is_err());
        let err = kl_zhang_grabchak(&[1.0, 2.0], &[1.5, 1.0]).unwrap_err();
        assert!(err.to_string().starts_with("y:"), "{err}");
        assert!(kl_zhang_grabchak(&[0.0, 0.0], &[1.0, 1.0]).is_err());
    }
}
