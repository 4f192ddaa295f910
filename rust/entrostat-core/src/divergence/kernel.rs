//! Cauchy-Schwarz divergence and quadratic mutual information of continuous samples,
//! estimated with Gaussian (Parzen window) kernels.
//!
//! With Parzen estimates `p = 1/n sum_i G_s(. - x_i)`, `q = 1/m sum_j G_s(. - y_j)` the
//! integrals of the Cauchy-Schwarz divergence are means of Gaussians of width `s*sqrt(2)`
//! over pairs of points:
//!
//! ```text
//! V_xy = 1/(nm) sum_ij k(x_i, y_j),  V_xx = 1/n^2 sum_ij k(x_i, x_j),  V_yy likewise,
//! k(a, b) = exp(-|a - b|^2 / (4 s^2)),     D_CS = log V_xx + log V_yy - 2 log V_xy
//! ```
//!
//! (the normalising constants of the Gaussians cancel in `D_CS`). The exact sums are
//! computed tile by tile: a block of rows of one sample against a block of the other,
//! packed into a lane-major panel so that the distance and `exp` loops vectorise. Tiles
//! run in parallel on the crate's pool, one task per row block (symmetric sums visit each
//! unordered pair of blocks once), Ctrl-C is checked between tiles, and memory stays
//! O(block * d) per thread. Partial sums are combined in a fixed order, so the results do
//! not depend on the number of threads.
//!
//! `exp` is a branch-free range reduction (`t = n ln2 + r`, `|r| <= ln2/2`, Cody-Waite
//! split of ln 2) and a degree-10 near-minimax polynomial of `e^r` (3.3e-16 relative),
//! scaled by `2^n` through the exponent bits; kernel values below 1e-307 (pairs more
//! than ~53 sigma apart) count as 0. On x86-64 the hot loops are compiled twice, generic
//! and with AVX2+FMA, and chosen at run time. Distances use the difference form
//! `sum_k (a_k - b_k)^2` (no cancellation); the expanded form `|a|^2 + |b|^2 - 2 a.b`
//! was measured no faster here, since the FMA ports are shared with the polynomial.
//!
//! The random-Fourier-feature method (Rahimi & Recht 2007) replaces each sum by inner
//! products of mean feature vectors: `k(a, b) = E_w cos(w.(a - b))` with
//! `w ~ N(0, I / (2 s^2))`, so with `D` frequencies
//! `V_xy ~ 1/D sum_k Re(mu_x[k] conj(mu_y[k]))`, `mu_x[k] = 1/n sum_i exp(i w_k.x_i)`.

// Fixed-length loops over lanes index several arrays at once; they are what vectorises.
#![allow(clippy::needless_range_loop)]

use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::pool;
use ndarray::ArrayView2;
use rayon::prelude::*;
use std::str::FromStr;

/// Width of the lane-major panels (values processed together by the vector loops).
const LANES: usize = 16;
type Lanes = [f64; LANES];

// ------------------------------------------------------------------------- bandwidth

/// How the kernel width `sigma` is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bandwidth {
    /// `sigma = sigma_bar * (4 / ((d + 2) N))^(1 / (d + 4))` (Silverman 1986, eq. 4.14).
    Silverman,
    /// `sigma = sigma_bar * N^(-1 / (d + 4))` (Scott 1992).
    Scott,
    /// A given positive width.
    Fixed(f64),
}

impl FromStr for Bandwidth {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "silverman" => Ok(Bandwidth::Silverman),
            "scott" => Ok(Bandwidth::Scott),
            other => Err(Error::value(
                "bandwidth",
                format!("expected \"silverman\", \"scott\" or a positive number, got {other:?}"),
            )),
        }
    }
}

impl Bandwidth {
    /// The kernel width for the pooled `samples` (all with the same number of columns).
    ///
    /// The rules use `N` = the total number of rows, `d` = the number of columns and
    /// `sigma_bar` = the root of the mean over columns of the pooled sample variances
    /// (`ddof = 1`), so one isotropic width serves every sample.
    pub fn resolve(self, samples: &[ArrayView2<'_, f64>]) -> Result<f64> {
        let (name, factor) = match self {
            Bandwidth::Fixed(s) => return check_sigma(s, None),
            Bandwidth::Silverman => ("silverman", silverman_factor as fn(f64, f64) -> f64),
            Bandwidth::Scott => ("scott", scott_factor as fn(f64, f64) -> f64),
        };
        let (n, d, mean_var) = pooled_moments(samples).1;
        check_sigma(mean_var.sqrt() * factor(n as f64, d as f64), Some(name))
    }
}

fn silverman_factor(n: f64, d: f64) -> f64 {
    (4.0 / ((d + 2.0) * n)).powf(1.0 / (d + 4.0))
}

fn scott_factor(n: f64, d: f64) -> f64 {
    n.powf(-1.0 / (d + 4.0))
}

/// A width whose `1 / (4 sigma^2)` is a positive finite number.
fn check_sigma(sigma: f64, rule: Option<&str>) -> Result<f64> {
    let scale = 0.25 / (sigma * sigma);
    if sigma.is_finite() && sigma > 0.0 && scale.is_finite() && scale > 0.0 {
        return Ok(sigma);
    }
    Err(Error::value(
        "bandwidth",
        match rule {
            Some(r) => format!(
                "the {r:?} rule gives {sigma:e} (the pooled sample has no usable spread); pass a positive number"
            ),
            None => format!("expected a positive finite number (1e-150..1e150), got {sigma:e}"),
        },
    ))
}

/// Per-column pooled means, and (rows, columns, mean over columns of the variances).
fn pooled_moments(samples: &[ArrayView2<'_, f64>]) -> (Vec<f64>, (usize, usize, f64)) {
    let d = samples.first().map_or(0, |s| s.ncols());
    let n: usize = samples.iter().map(|s| s.nrows()).sum();
    let mut mean = vec![0.0; d];
    for s in samples {
        for row in s.rows() {
            for (m, &v) in mean.iter_mut().zip(row) {
                *m += v;
            }
        }
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    let mut ss = vec![0.0; d];
    for s in samples {
        for row in s.rows() {
            for ((acc, &m), &v) in ss.iter_mut().zip(&mean).zip(row) {
                *acc += (v - m) * (v - m);
            }
        }
    }
    let denom = (n.max(2) - 1) as f64;
    let mean_var = ss.iter().map(|s| s / denom).sum::<f64>() / d.max(1) as f64;
    (mean, (n, d, mean_var))
}

/// At least 2 rows, at least 1 column, every value finite.
fn check_samples(a: &ArrayView2<'_, f64>, arg: &'static str) -> Result<()> {
    if a.nrows() < 2 {
        return Err(Error::value(
            arg,
            format!("expected at least 2 samples (rows), got {}", a.nrows()),
        ));
    }
    if a.ncols() == 0 {
        return Err(Error::value(arg, "expected at least 1 column, got 0"));
    }
    for (i, row) in a.rows().into_iter().enumerate() {
        if let Some(j) = row.iter().position(|v| !v.is_finite()) {
            return Err(Error::value(
                arg,
                format!("contains NaN or infinity (row {i}, column {j})"),
            ));
        }
    }
    Ok(())
}

// ------------------------------------------------------------------------- vector math

/// `a * b + c`, fused where the build has FMA.
#[inline(always)]
fn madd<const FMA: bool>(a: f64, b: f64, c: f64) -> f64 {
    if FMA {
        a.mul_add(b, c)
    } else {
        a * b + c
    }
}

const SHIFTER: f64 = 6755399441055744.0; // 1.5 * 2^52: x + SHIFTER rounds x to an integer
const LOG2E: f64 = std::f64::consts::LOG2_E;
const LN2_HI: f64 = 0.6931471806019545; // ln 2 to 32 bits: n * LN2_HI is exact
const LN2_LO: f64 = -4.2009150726810846e-11; // ln 2 - LN2_HI
/// Below this `e^t` is near the smallest normal number (2.2e-308) and counts as 0
/// (`n >= -1021` keeps `p * 2^n` normal for the polynomial's range of `p`).
const EXP_MIN: f64 = -707.5;
/// Near-minimax polynomial of degree 10 for `e^r` on `|r| <= ln2/2`: the Chebyshev
/// interpolant computed in 200-bit arithmetic, coefficients rounded to f64; its relative
/// error is 3.3e-16 (1.7e-17 for degree 11).
const EXP_POLY: [f64; 11] = [
    1.0,
    1.0000000000000067,
    0.5000000000000006,
    0.16666666666554406,
    0.04166666666657314,
    0.008333333385667782,
    0.0013888888932488599,
    0.00019841170270440067,
    2.4801504346997686e-05,
    2.764018079620985e-06,
    2.7626357241447223e-07,
];

/// `e^t` for `t <= 0` without branches or tables: relative error < 1e-15 down to
/// `t = -707.5`; below (results under 1e-307), 0. Inlined into loops over
/// lanes, it vectorises.
#[inline(always)]
fn exp_impl<const FMA: bool>(t: f64) -> f64 {
    let k = madd::<FMA>(t, LOG2E, SHIFTER);
    let n = k - SHIFTER;
    let r = madd::<FMA>(-n, LN2_HI, t);
    let r = madd::<FMA>(-n, LN2_LO, r);
    let mut p = EXP_POLY[10];
    for &c in EXP_POLY[..10].iter().rev() {
        p = madd::<FMA>(p, r, c);
    }
    // p * 2^n by adding n to the exponent field of p (exact while the result is
    // normal): the low bits of k hold n, so k.to_bits() << 52 is n << 52 modulo 2^64.
    let v = f64::from_bits(p.to_bits().wrapping_add(k.to_bits() << 52));
    if t >= EXP_MIN {
        v
    } else {
        0.0
    }
}

const TWO_OVER_PI: f64 = std::f64::consts::FRAC_2_PI;
// pi/2 in three parts of 33, 33 and 53 bits: q * PIO2_1 and q * PIO2_2 are exact for
// |q| < 2^20.
const PIO2_1: f64 = 1.5707963267341256;
const PIO2_2: f64 = 6.077100506303966e-11;
const PIO2_3: f64 = 2.0222662487959506e-21;

/// `(sin t, cos t)` without branches: `t = q pi/2 + r`, `|r| <= pi/4`, Taylor
/// polynomials to degree 15 (sin) and 16 (cos), quadrant chosen by selects. Accurate to
/// a few ulp while `|t| < 2^20 pi/2`; bounded (|.| <= 1 + 1e-15) beyond.
#[inline(always)]
fn sincos_impl<const FMA: bool>(t: f64) -> (f64, f64) {
    let k = madd::<FMA>(t, TWO_OVER_PI, SHIFTER);
    let q = k - SHIFTER;
    let quadrant = k.to_bits();
    let r = madd::<FMA>(-q, PIO2_1, t);
    let r = madd::<FMA>(-q, PIO2_2, r);
    let r = madd::<FMA>(-q, PIO2_3, r);
    let z = r * r;
    // sin r = r + r z (-1/3! + z (1/5! - ...)), to r^15.
    let mut s = -1.0 / 1307674368000.0;
    s = madd::<FMA>(s, z, 1.0 / 6227020800.0);
    s = madd::<FMA>(s, z, -1.0 / 39916800.0);
    s = madd::<FMA>(s, z, 1.0 / 362880.0);
    s = madd::<FMA>(s, z, -1.0 / 5040.0);
    s = madd::<FMA>(s, z, 1.0 / 120.0);
    s = madd::<FMA>(s, z, -1.0 / 6.0);
    let sin_r = madd::<FMA>(s * z, r, r);
    // cos r = 1 - z/2 + z^2 (1/4! - ...), to r^16.
    let mut c = 1.0 / 20922789888000.0;
    c = madd::<FMA>(c, z, -1.0 / 87178291200.0);
    c = madd::<FMA>(c, z, 1.0 / 479001600.0);
    c = madd::<FMA>(c, z, -1.0 / 3628800.0);
    c = madd::<FMA>(c, z, 1.0 / 40320.0);
    c = madd::<FMA>(c, z, -1.0 / 720.0);
    c = madd::<FMA>(c, z, 1.0 / 24.0);
    let cos_r = madd::<FMA>(c * z, z, madd::<FMA>(z, -0.5, 1.0));
    // Quadrant q mod 4: (sin, cos) = (s, c), (c, -s), (-s, -c), (-c, s).
    let swap = quadrant & 1 == 1;
    let (s0, c0) = if swap { (cos_r, sin_r) } else { (sin_r, cos_r) };
    let sign_s = (quadrant & 2) << 62;
    let sign_c = (quadrant.wrapping_add(1) & 2) << 62;
    (
        f64::from_bits(s0.to_bits() ^ sign_s),
        f64::from_bits(c0.to_bits() ^ sign_c),
    )
}

/// `e^t` (scalar entry point of the vectorised kernel, for tests and callers).
pub fn exp(t: f64) -> f64 {
    exp_impl::<false>(t)
}

/// `(sin t, cos t)` of the random-feature kernel (scalar entry point).
pub fn sincos(t: f64) -> (f64, f64) {
    sincos_impl::<false>(t)
}

/// Sum of a lane accumulator, as a balanced tree.
#[inline(always)]
fn lane_sum(a: &Lanes) -> f64 {
    let mut h = [0.0; LANES / 2];
    for l in 0..LANES / 2 {
        h[l] = a[l] + a[l + LANES / 2];
    }
    let q = [h[0] + h[4], h[1] + h[5], h[2] + h[6], h[3] + h[7]];
    (q[0] + q[2]) + (q[1] + q[3])
}

/// Pairwise (cascade) sum: error O(log n) ulp instead of O(n).
fn pairwise_sum(v: &[f64]) -> f64 {
    if v.len() <= 16 {
        return v.iter().sum();
    }
    let (a, b) = v.split_at(v.len() / 2);
    pairwise_sum(a) + pairwise_sum(b)
}

// ------------------------------------------------------------------------- packing

/// Rows `start..start + len` of `a`, row-major, into `buf`.
fn pack_rows(a: &ArrayView2<'_, f64>, start: usize, len: usize, buf: &mut Vec<f64>) {
    buf.clear();
    for row in a.slice(ndarray::s![start..start + len, ..]).rows() {
        buf.extend(row.iter().copied());
    }
}

/// Rows `start..start + len` of `a` as a lane-major panel: chunks of `LANES` rows, each
/// stored column by column (`[chunk][column][lane]`), minus `center` when given. Lanes
/// past the last row hold `pad`. Returns the number of chunks.
fn pack_panel(
    a: &ArrayView2<'_, f64>,
    start: usize,
    len: usize,
    center: Option<&[f64]>,
    pad: f64,
    buf: &mut Vec<f64>,
) -> usize {
    let d = a.ncols();
    let chunks = len.div_ceil(LANES);
    buf.clear();
    buf.resize(chunks * d * LANES, pad);
    for (i, row) in a
        .slice(ndarray::s![start..start + len, ..])
        .rows()
        .into_iter()
        .enumerate()
    {
        let (c, l) = (i / LANES, i % LANES);
        let base = c * d * LANES + l;
        for (k, &v) in row.iter().enumerate() {
            buf[base + k * LANES] = v - center.map_or(0.0, |m| m[k]);
        }
    }
    chunks
}

/// Rows per block: a panel of `block * d` values stays within ~32 KiB (L1).
fn block_rows(d: usize) -> usize {
    ((4096 / d.max(1)) / LANES * LANES).clamp(LANES, 256)
}

// ------------------------------------------------------------------------- exact tiles

/// Squared distances from `row` to the `LANES` points of one panel chunk.
#[inline(always)]
fn dist_chunk<const FMA: bool>(row: &[f64], chunk: &[f64]) -> Lanes {
    let mut acc = [0.0; LANES];
    for (k, &xk) in row.iter().enumerate() {
        let col = &chunk[k * LANES..k * LANES + LANES];
        for l in 0..LANES {
            let t = col[l] - xk;
            acc[l] = madd::<FMA>(t, t, acc[l]);
        }
    }
    acc
}

/// Squared distances from two rows to the `LANES` points of one panel chunk (each
/// panel value loaded once; twice the independent work per iteration for the CPU to
/// overlap).
#[inline(always)]
fn dist_chunk2<const FMA: bool>(r0: &[f64], r1: &[f64], chunk: &[f64]) -> (Lanes, Lanes) {
    let mut a0 = [0.0; LANES];
    let mut a1 = [0.0; LANES];
    for (k, (&u, &v)) in r0.iter().zip(r1).enumerate() {
        let col = &chunk[k * LANES..k * LANES + LANES];
        for l in 0..LANES {
            let t0 = col[l] - u;
            let t1 = col[l] - v;
            a0[l] = madd::<FMA>(t0, t0, a0[l]);
            a1[l] = madd::<FMA>(t1, t1, a1[l]);
        }
    }
    (a0, a1)
}

/// `sum_ij exp(neg_scale * |r_i - p_j|^2)` over the rows of a packed tile and the points
/// of a panel (padding lanes hold +inf and contribute exactly 0). Rows go in pairs.
#[inline(always)]
fn tile_sum_impl<const FMA: bool>(rows: &[f64], panel: &[f64], d: usize, neg_scale: f64) -> f64 {
    let mut acc0 = [0.0; LANES];
    let mut acc1 = [0.0; LANES];
    let mut pairs = rows.chunks_exact(2 * d);
    for two in &mut pairs {
        let (r0, r1) = two.split_at(d);
        for chunk in panel.chunks_exact(d * LANES) {
            let (d0, d1) = dist_chunk2::<FMA>(r0, r1, chunk);
            for l in 0..LANES {
                acc0[l] += exp_impl::<FMA>(d0[l] * neg_scale);
                acc1[l] += exp_impl::<FMA>(d1[l] * neg_scale);
            }
        }
    }
    let last = pairs.remainder();
    if !last.is_empty() {
        for chunk in panel.chunks_exact(d * LANES) {
            let dist = dist_chunk::<FMA>(last, chunk);
            for l in 0..LANES {
                acc0[l] += exp_impl::<FMA>(dist[l] * neg_scale);
            }
        }
    }
    lane_sum(&acc0) + lane_sum(&acc1)
}

/// Mutual-information tile: adds the kernel row sums of x and y to `rx`, `ry` and returns
/// `sum_ij kx_ij ky_ij`.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
fn tile_mi_impl<const FMA: bool>(
    xrows: &[f64],
    yrows: &[f64],
    xpanel: &[f64],
    ypanel: &[f64],
    (dx, dy): (usize, usize),
    (nsx, nsy): (f64, f64),
    rx: &mut [f64],
    ry: &mut [f64],
) -> f64 {
    let mut joint = [0.0; LANES];
    let rows = xrows.chunks_exact(dx).zip(yrows.chunks_exact(dy));
    for ((xr, yr), (sx, sy)) in rows.zip(rx.iter_mut().zip(ry.iter_mut())) {
        let mut ax = [0.0; LANES];
        let mut ay = [0.0; LANES];
        let chunks = xpanel
            .chunks_exact(dx * LANES)
            .zip(ypanel.chunks_exact(dy * LANES));
        for (xc, yc) in chunks {
            let ddx = dist_chunk::<FMA>(xr, xc);
            let ddy = dist_chunk::<FMA>(yr, yc);
            for l in 0..LANES {
                let kx = exp_impl::<FMA>(ddx[l] * nsx);
                let ky = exp_impl::<FMA>(ddy[l] * nsy);
                ax[l] += kx;
                ay[l] += ky;
                joint[l] = madd::<FMA>(kx, ky, joint[l]);
            }
        }
        *sx += lane_sum(&ax);
        *sy += lane_sum(&ay);
    }
    lane_sum(&joint)
}

/// Random-feature tile: for each frequency `w_f` (rows of `freqs`), adds
/// `sum_i cos(w_f . p_i)` and `sum_i sin(w_f . p_i)` over the `valid` points of a panel.
#[inline(always)]
fn tile_rff_impl<const FMA: bool>(
    panel: &[f64],
    valid: usize,
    freqs: &[f64],
    d: usize,
    cos_sums: &mut [f64],
    sin_sums: &mut [f64],
) {
    let chunks = panel.len() / (d * LANES);
    for ((w, cs), ss) in freqs
        .chunks_exact(d)
        .zip(cos_sums.iter_mut())
        .zip(sin_sums.iter_mut())
    {
        let mut ac = [0.0; LANES];
        let mut asn = [0.0; LANES];
        for (c, chunk) in panel.chunks_exact(d * LANES).enumerate() {
            let mut theta = [0.0; LANES];
            for (k, &wk) in w.iter().enumerate() {
                let col = &chunk[k * LANES..k * LANES + LANES];
                for l in 0..LANES {
                    theta[l] = madd::<FMA>(wk, col[l], theta[l]);
                }
            }
            let live = if c + 1 == chunks {
                valid - c * LANES
            } else {
                LANES
            };
            for l in 0..LANES {
                let (s, co) = sincos_impl::<FMA>(theta[l]);
                let keep = l < live;
                ac[l] += if keep { co } else { 0.0 };
                asn[l] += if keep { s } else { 0.0 };
            }
        }
        *cs += lane_sum(&ac);
        *ss += lane_sum(&asn);
    }
}

// ------------------------------------------------------------------------- dispatch

/// Instruction set the hot loops run with, detected once per call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Isa {
    /// Portable build (SSE2 on x86-64, NEON on aarch64).
    Generic,
    /// x86-64 with AVX2 and FMA.
    Avx2Fma,
}

impl Isa {
    /// The best instruction set of this CPU.
    pub fn detect() -> Isa {
        #[cfg(target_arch = "x86_64")]
        {
            if is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma") {
                return Isa::Avx2Fma;
            }
        }
        Isa::Generic
    }
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    //! AVX2+FMA builds of the tiles; callers check the CPU first.
    use super::*;

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn tile_sum(rows: &[f64], panel: &[f64], d: usize, neg_scale: f64) -> f64 {
        tile_sum_impl::<true>(rows, panel, d, neg_scale)
    }

    #[allow(clippy::too_many_arguments)]
    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn tile_mi(
        xrows: &[f64],
        yrows: &[f64],
        xpanel: &[f64],
        ypanel: &[f64],
        dims: (usize, usize),
        scales: (f64, f64),
        rx: &mut [f64],
        ry: &mut [f64],
    ) -> f64 {
        tile_mi_impl::<true>(xrows, yrows, xpanel, ypanel, dims, scales, rx, ry)
    }

    #[target_feature(enable = "avx2,fma")]
    pub unsafe fn tile_rff(
        panel: &[f64],
        valid: usize,
        freqs: &[f64],
        d: usize,
        cos_sums: &mut [f64],
        sin_sums: &mut [f64],
    ) {
        tile_rff_impl::<true>(panel, valid, freqs, d, cos_sums, sin_sums)
    }
}

fn tile_sum(isa: Isa, rows: &[f64], panel: &[f64], d: usize, neg_scale: f64) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if isa == Isa::Avx2Fma {
        // SAFETY: Isa::Avx2Fma is only produced after detecting AVX2 and FMA.
        return unsafe { avx2::tile_sum(rows, panel, d, neg_scale) };
    }
    let _ = isa;
    tile_sum_impl::<false>(rows, panel, d, neg_scale)
}

#[allow(clippy::too_many_arguments)]
fn tile_mi(
    isa: Isa,
    xrows: &[f64],
    yrows: &[f64],
    xpanel: &[f64],
    ypanel: &[f64],
    dims: (usize, usize),
    scales: (f64, f64),
    rx: &mut [f64],
    ry: &mut [f64],
) -> f64 {
    #[cfg(target_arch = "x86_64")]
    if isa == Isa::Avx2Fma {
        // SAFETY: Isa::Avx2Fma is only produced after detecting AVX2 and FMA.
        return unsafe { avx2::tile_mi(xrows, yrows, xpanel, ypanel, dims, scales, rx, ry) };
    }
    let _ = isa;
    tile_mi_impl::<false>(xrows, yrows, xpanel, ypanel, dims, scales, rx, ry)
}

fn tile_rff(
    isa: Isa,
    panel: &[f64],
    valid: usize,
    freqs: &[f64],
    d: usize,
    cos_sums: &mut [f64],
    sin_sums: &mut [f64],
) {
    #[cfg(target_arch = "x86_64")]
    if isa == Isa::Avx2Fma {
        // SAFETY: Isa::Avx2Fma is only produced after detecting AVX2 and FMA.
        return unsafe { avx2::tile_rff(panel, valid, freqs, d, cos_sums, sin_sums) };
    }
    let _ = isa;
    tile_rff_impl::<false>(panel, valid, freqs, d, cos_sums, sin_sums)
}

// ------------------------------------------------------------------------- pair sums

/// `sum_ij exp(-|x_i - x_j|^2 * scale)` over all ordered pairs (diagonal included), each
/// unordered pair of blocks visited once.
pub fn kernel_sum_symmetric(
    x: &ArrayView2<'_, f64>,
    scale: f64,
    isa: Isa,
    cancel: &Cancel,
) -> Result<f64> {
    let (n, d) = x.dim();
    let b = block_rows(d);
    let nb = n.div_ceil(b);
    let parts: Vec<f64> = pool::install(|| {
        (0..nb)
            .into_par_iter()
            .map_init(
                || (Vec::new(), Vec::new()),
                |(rows, panel), bi| -> Result<f64> {
                    let i0 = bi * b;
                    pack_rows(x, i0, b.min(n - i0), rows);
                    let mut own = 0.0;
                    let mut off = Vec::with_capacity(nb - bi);
                    for bj in bi..nb {
                        cancel.check()?;
                        let j0 = bj * b;
                        pack_panel(x, j0, b.min(n - j0), None, f64::INFINITY, panel);
                        let s = tile_sum(isa, rows, panel, d, -scale);
                        if bj == bi {
                            own = s;
                        } else {
                            off.push(s);
                        }
                    }
                    Ok(own + 2.0 * pairwise_sum(&off))
                },
            )
            .collect::<Result<Vec<f64>>>()
    })?;
    Ok(pairwise_sum(&parts))
}

/// `sum_ij exp(-|x_i - y_j|^2 * scale)` over all pairs.
pub fn kernel_sum_cross(
    x: &ArrayView2<'_, f64>,
    y: &ArrayView2<'_, f64>,
    scale: f64,
    isa: Isa,
    cancel: &Cancel,
) -> Result<f64> {
    let (n, d) = x.dim();
    let m = y.nrows();
    let b = block_rows(d);
    let (nbx, nby) = (n.div_ceil(b), m.div_ceil(b));
    let parts: Vec<f64> = pool::install(|| {
        (0..nbx)
            .into_par_iter()
            .map_init(
                || (Vec::new(), Vec::new()),
                |(rows, panel), bi| -> Result<f64> {
                    let i0 = bi * b;
                    pack_rows(x, i0, b.min(n - i0), rows);
                    let mut sums = Vec::with_capacity(nby);
                    for bj in 0..nby {
                        cancel.check()?;
                        let j0 = bj * b;
                        pack_panel(y, j0, b.min(m - j0), None, f64::INFINITY, panel);
                        sums.push(tile_sum(isa, rows, panel, d, -scale));
                    }
                    Ok(pairwise_sum(&sums))
                },
            )
            .collect::<Result<Vec<f64>>>()
    })?;
    Ok(pairwise_sum(&parts))
}

// ------------------------------------------------------------------------- estimators

/// How the pair sums of the divergence are computed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Method {
    /// All pairs, blockwise: O((n + m)^2 d) time, O(block d) memory per thread.
    Exact,
    /// Random Fourier features: O((n + m) n_features d) time.
    Rff { n_features: usize, seed: u64 },
}

/// A Cauchy-Schwarz divergence estimate and its parts (nats).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CsDivergence {
    /// `log V_xx + log V_yy - 2 log V_xy`, >= 0.
    pub value: f64,
    pub v_xx: f64,
    pub v_yy: f64,
    pub v_xy: f64,
    /// The kernel width used (Parzen window sigma).
    pub sigma: f64,
}

/// `log a + log b - 2 log c` of a Cauchy-Schwarz ratio, clamped at 0.
///
/// `c^2 <= a b` holds exactly for the sums here (each is an inner product of mean
/// feature vectors of a positive definite kernel, or of the Parzen densities), so a
/// negative result can only be rounding, of the order of 1e-16 times the terms.
fn cs_ratio(a: f64, b: f64, c: f64) -> f64 {
    (a.ln() + b.ln() - 2.0 * c.ln()).max(0.0)
}

fn same_view(x: &ArrayView2<'_, f64>, y: &ArrayView2<'_, f64>) -> bool {
    x.as_ptr() == y.as_ptr() && x.dim() == y.dim() && x.strides() == y.strides()
}

/// Gaussian-kernel estimate of the Cauchy-Schwarz divergence between the distributions
/// of the rows of `x` (n, d) and of `y` (m, d).
pub fn cs_divergence(
    x: &ArrayView2<'_, f64>,
    y: &ArrayView2<'_, f64>,
    bandwidth: Bandwidth,
    method: Method,
    cancel: &Cancel,
) -> Result<CsDivergence> {
    check_samples(x, "x")?;
    check_samples(y, "y")?;
    if x.ncols() != y.ncols() {
        return Err(Error::value(
            "y",
            format!(
                "expected {} columns (the dimension of x), got {}",
                x.ncols(),
                y.ncols()
            ),
        ));
    }
    let sigma = bandwidth.resolve(&[x.view(), y.view()])?;
    let scale = 0.25 / (sigma * sigma);
    let (n, m) = (x.nrows() as f64, y.nrows() as f64);
    let isa = Isa::detect();
    let (v_xx, v_yy, v_xy) = match method {
        Method::Exact if same_view(x, y) => {
            let v = kernel_sum_symmetric(x, scale, isa, cancel)? / (n * n);
            (v, v, v)
        }
        Method::Exact => {
            let sxx = kernel_sum_symmetric(x, scale, isa, cancel)?;
            let syy = kernel_sum_symmetric(y, scale, isa, cancel)?;
            let sxy = kernel_sum_cross(x, y, scale, isa, cancel)?;
            (sxx / (n * n), syy / (m * m), sxy / (n * m))
        }
        Method::Rff { n_features, seed } => {
            check_n_features(n_features, x.ncols())?;
            let center = pooled_moments(&[x.view(), y.view()]).0;
            let freqs = gaussian_frequencies(n_features, x.ncols(), sigma, seed);
            let (cx, sx) = mean_features(x, &center, &freqs, isa, cancel)?;
            let (cy, sy) = mean_features(y, &center, &freqs, isa, cancel)?;
            let dot = |a: (&[f64], &[f64]), b: (&[f64], &[f64])| {
                let t: Vec<f64> = (0..n_features)
                    .map(|k| a.0[k] * b.0[k] + a.1[k] * b.1[k])
                    .collect();
                pairwise_sum(&t) / n_features as f64
            };
            let (fx, fy) = ((&cx[..], &sx[..]), (&cy[..], &sy[..]));
            (dot(fx, fx), dot(fy, fy), dot(fx, fy))
        }
    };
    Ok(CsDivergence {
        value: cs_ratio(v_xx, v_yy, v_xy),
        v_xx,
        v_yy,
        v_xy,
        sigma,
    })
}

/// SplitMix64 (Steele, Lea & Flood 2014): a small seeded generator for the frequencies.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform on (0, 1]: 53 random bits.
    fn open_unit(&mut self) -> f64 {
        ((self.next_u64() >> 11) + 1) as f64 * (1.0 / (1u64 << 53) as f64)
    }
}

/// Most frequency coordinates (n_features x d) the RFF method draws: 2 GiB of them.
const MAX_FREQUENCY_VALUES: usize = 1 << 28;

fn check_n_features(n_features: usize, d: usize) -> Result<()> {
    let limit = MAX_FREQUENCY_VALUES / d.max(1);
    if n_features == 0 || n_features > limit {
        return Err(Error::value(
            "n_features",
            format!(
                "expected an integer in 1..={limit} (n_features x d frequencies, d = {d}, \
                 at most 2^28), got {n_features}"
            ),
        ));
    }
    Ok(())
}

/// `n_features` frequencies of dimension `d`, rows of a row-major array, drawn from
/// `N(0, I / (2 sigma^2))` (the spectral density of `exp(-|a - b|^2 / (4 sigma^2))`) by
/// Box-Muller.
fn gaussian_frequencies(n_features: usize, d: usize, sigma: f64, seed: u64) -> Vec<f64> {
    let mut rng = SplitMix64(seed);
    let sd = 1.0 / (sigma * std::f64::consts::SQRT_2);
    let mut out = Vec::with_capacity(n_features * d + 1);
    while out.len() < n_features * d {
        let r = (-2.0 * rng.open_unit().ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * rng.open_unit()).sin_cos();
        out.push(r * c * sd);
        out.push(r * s * sd);
    }
    out.truncate(n_features * d);
    out
}

/// Mean over the rows `a_i` of `cos(w_f . (a_i - center))` and `sin(...)` for every
/// frequency `w_f`. Tasks: groups of rows x blocks of frequencies, combined in order.
fn mean_features(
    a: &ArrayView2<'_, f64>,
    center: &[f64],
    freqs: &[f64],
    isa: Isa,
    cancel: &Cancel,
) -> Result<(Vec<f64>, Vec<f64>)> {
    const GROUP: usize = 8192;
    const FBLOCK: usize = 256;
    let (n, d) = a.dim();
    let n_features = freqs.len() / d;
    let b = block_rows(d);
    let ng = n.div_ceil(GROUP);
    let nf = n_features.div_ceil(FBLOCK);
    let parts: Vec<(Vec<f64>, Vec<f64>)> = pool::install(|| {
        (0..ng * nf)
            .into_par_iter()
            .map_init(Vec::new, |panel, task| -> Result<(Vec<f64>, Vec<f64>)> {
                let (g, fb) = (task / nf, task % nf);
                let f0 = fb * FBLOCK;
                let f1 = (f0 + FBLOCK).min(n_features);
                let w = &freqs[f0 * d..f1 * d];
                let mut cs = vec![0.0; f1 - f0];
                let mut ss = vec![0.0; f1 - f0];
                let end = ((g + 1) * GROUP).min(n);
                let mut i0 = g * GROUP;
                while i0 < end {
                    cancel.check()?;
                    let len = b.min(end - i0);
                    pack_panel(a, i0, len, Some(center), 0.0, panel);
                    tile_rff(isa, panel, len, w, d, &mut cs, &mut ss);
                    i0 += len;
                }
                Ok((cs, ss))
            })
            .collect::<Result<Vec<_>>>()
    })?;
    let mut cos_mean = vec![0.0; n_features];
    let mut sin_mean = vec![0.0; n_features];
    let mut col = Vec::with_capacity(ng);
    for fb in 0..nf {
        let f0 = fb * FBLOCK;
        for (k, f) in (f0..(f0 + FBLOCK).min(n_features)).enumerate() {
            col.clear();
            col.extend((0..ng).map(|g| parts[g * nf + fb].0[k]));
            cos_mean[f] = pairwise_sum(&col) / n as f64;
            col.clear();
            col.extend((0..ng).map(|g| parts[g * nf + fb].1[k]));
            sin_mean[f] = pairwise_sum(&col) / n as f64;
        }
    }
    Ok((cos_mean, sin_mean))
}

/// A Cauchy-Schwarz quadratic mutual information estimate and its parts (nats).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CsMutualInfo {
    /// `log V_J + log V_M - 2 log V_C`, >= 0.
    pub value: f64,
    pub v_joint: f64,
    pub v_marginal: f64,
    pub v_cross: f64,
    pub sigma_x: f64,
    pub sigma_y: f64,
}

/// Cauchy-Schwarz quadratic mutual information of paired samples `x` (n, dx), `y` (n, dy)
/// from Gaussian Gram matrices, each variable with its own bandwidth:
/// `V_J = 1/n^2 sum_ij Kx_ij Ky_ij`, `V_M = (1/n^2 sum Kx)(1/n^2 sum Ky)`,
/// `V_C = 1/n^3 sum_i (sum_j Kx_ij)(sum_j Ky_ij)`. Every ordered pair is evaluated once
/// (rows blocks in parallel), so the memory is O(n) and the result thread-independent.
pub fn cs_mutual_info(
    x: &ArrayView2<'_, f64>,
    y: &ArrayView2<'_, f64>,
    bandwidth: Bandwidth,
    cancel: &Cancel,
) -> Result<CsMutualInfo> {
    check_samples(x, "x")?;
    check_samples(y, "y")?;
    let n = x.nrows();
    if y.nrows() != n {
        return Err(Error::value(
            "y",
            format!(
                "expected {n} samples (the number of rows of x), got {}",
                y.nrows()
            ),
        ));
    }
    let sigma_x = bandwidth.resolve(&[x.view()])?;
    let sigma_y = bandwidth.resolve(&[y.view()])?;
    let scales = (-0.25 / (sigma_x * sigma_x), -0.25 / (sigma_y * sigma_y));
    let dims = (x.ncols(), y.ncols());
    let b = block_rows(dims.0 + dims.1);
    let nb = n.div_ceil(b);
    let isa = Isa::detect();
    type Part = (Vec<f64>, Vec<f64>, f64);
    let parts: Vec<Part> = pool::install(|| {
        (0..nb)
            .into_par_iter()
            .map_init(
                || [Vec::new(), Vec::new(), Vec::new(), Vec::new()],
                |[xr, yr, xp, yp], bi| -> Result<Part> {
                    let i0 = bi * b;
                    let len = b.min(n - i0);
                    pack_rows(x, i0, len, xr);
                    pack_rows(y, i0, len, yr);
                    let mut rx = vec![0.0; len];
                    let mut ry = vec![0.0; len];
                    let mut joint = Vec::with_capacity(nb);
                    for bj in 0..nb {
                        cancel.check()?;
                        let j0 = bj * b;
                        let lj = b.min(n - j0);
                        pack_panel(x, j0, lj, None, f64::INFINITY, xp);
                        pack_panel(y, j0, lj, None, f64::INFINITY, yp);
                        joint.push(tile_mi(isa, xr, yr, xp, yp, dims, scales, &mut rx, &mut ry));
                    }
                    Ok((rx, ry, pairwise_sum(&joint)))
                },
            )
            .collect::<Result<Vec<Part>>>()
    })?;
    let rx: Vec<f64> = parts.iter().flat_map(|p| p.0.iter().copied()).collect();
    let ry: Vec<f64> = parts.iter().flat_map(|p| p.1.iter().copied()).collect();
    let joint: Vec<f64> = parts.iter().map(|p| p.2).collect();
    let cross: Vec<f64> = rx.iter().zip(&ry).map(|(a, b)| a * b).collect();
    let nf = n as f64;
    let n2 = nf * nf;
    let v_joint = pairwise_sum(&joint) / n2;
    let v_marginal = (pairwise_sum(&rx) / n2) * (pairwise_sum(&ry) / n2);
    let v_cross = pairwise_sum(&cross) / (n2 * nf);
    Ok(CsMutualInfo {
        value: cs_ratio(v_joint, v_marginal, v_cross),
        v_joint,
        v_marginal,
        v_cross,
        sigma_x,
        sigma_y,
    })
}

// ------------------------------------------------------------------------- tests

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cancel::NEVER;
    use ndarray::Array2;

    fn sample(n: usize, d: usize, seed: u64, shift: f64) -> Array2<f64> {
        let mut rng = SplitMix64(seed);
        Array2::from_shape_fn((n, d), |(_, k)| {
            let r = (-2.0 * rng.open_unit().ln()).sqrt();
            r * (std::f64::consts::TAU * rng.open_unit()).cos() * (1.0 + 0.3 * k as f64) + shift
        })
    }

    fn brute(a: &Array2<f64>, b: &Array2<f64>, scale: f64) -> f64 {
        // Neumaier-compensated, so the oracle is accurate to a few ulp.
        let (mut s, mut comp) = (0.0f64, 0.0f64);
        for ra in a.rows() {
            for rb in b.rows() {
                let d2: f64 = ra.iter().zip(rb).map(|(u, v)| (u - v) * (u - v)).sum();
                let v = (-d2 * scale).exp();
                let t = s + v;
                comp += if s.abs() >= v.abs() {
                    (s - t) + v
                } else {
                    (v - t) + s
                };
                s = t;
            }
        }
        s + comp
    }

    fn rel(a: f64, b: f64) -> f64 {
        (a - b).abs() / b.abs().max(1e-300)
    }

    fn isas() -> Vec<Isa> {
        let mut v = vec![Isa::Generic];
        if Isa::detect() != Isa::Generic {
            v.push(Isa::detect());
        }
        v
    }

    #[test]
    fn exp_matches_std() {
        let mut worst: f64 = 0.0;
        let mut t = -760.0;
        while t <= 0.0 {
            for isa in isas() {
                let got = match isa {
                    Isa::Generic => exp_impl::<false>(t),
                    Isa::Avx2Fma => exp_impl::<true>(t),
                };
                if t >= EXP_MIN {
                    worst = worst.max(rel(got, t.exp()));
                } else {
                    assert_eq!(got, 0.0, "t = {t}");
                }
            }
            t += 0.00731;
        }
        assert!(worst < 1e-15, "worst relative error {worst:e}");
        assert_eq!(exp(0.0), 1.0);
        assert_eq!(exp(-0.0), 1.0);
        assert_eq!(exp(f64::NEG_INFINITY), 0.0);
        assert!(rel(exp(EXP_MIN), EXP_MIN.exp()) < 1e-15);
    }

    #[test]
    fn sincos_matches_std() {
        let mut t = -3000.0;
        while t < 3000.0 {
            let (s, c) = sincos(t);
            assert!((s - t.sin()).abs() < 2e-15 * t.abs().max(1.0), "sin {t}");
            assert!((c - t.cos()).abs() < 2e-15 * t.abs().max(1.0), "cos {t}");
            t += 0.0731;
        }
        assert_eq!(sincos(0.0), (0.0, 1.0));
    }

    #[test]
    fn sums_match_brute_force() {
        // n, m not multiples of the block or of the lane width; d = 1 and d > 1.
        for &(n, m, d) in &[
            (3, 2, 1),
            (37, 301, 1),
            (300, 17, 3),
            (513, 260, 8),
            (70, 90, 40),
        ] {
            let x = sample(n, d, 1, 0.0);
            let y = sample(m, d, 2, 0.7);
            let scale = 0.37;
            for isa in isas() {
                let sxx = kernel_sum_symmetric(&x.view(), scale, isa, &NEVER).unwrap();
                let sxy = kernel_sum_cross(&x.view(), &y.view(), scale, isa, &NEVER).unwrap();
                let (bxx, bxy) = (brute(&x, &x, scale), brute(&x, &y, scale));
                assert!(rel(sxx, bxx) < 1e-13, "{n} {d} {isa:?}");
                assert!(rel(sxy, bxy) < 1e-13, "{n} {m} {d} {isa:?}");
            }
        }
    }

    #[test]
    fn divergence_properties() {
        let x = sample(200, 2, 3, 0.0);
        let y = sample(150, 2, 4, 0.5);
        let d = |a: &Array2<f64>, b: &Array2<f64>| {
            cs_divergence(
                &a.view(),
                &b.view(),
                Bandwidth::Fixed(0.4),
                Method::Exact,
                &NEVER,
            )
            .unwrap()
            .value
        };
        let dxy = d(&x, &y);
        assert!(dxy > 0.0);
        assert!(rel(d(&y, &x), dxy) < 1e-13);
        assert_eq!(d(&x, &x), 0.0);
        let (xs, ys) = (&x + 3.5, &y + 3.5);
        assert!(rel(d(&xs, &ys), dxy) < 1e-11);
        let v = x.view();
        let same = cs_divergence(&v, &v, Bandwidth::Silverman, Method::Exact, &NEVER).unwrap();
        assert_eq!(same.value, 0.0);
    }

    #[test]
    fn rff_approaches_exact() {
        let x = sample(400, 2, 5, 0.0);
        let y = sample(300, 2, 6, 1.0);
        let bw = Bandwidth::Fixed(0.5);
        let exact = cs_divergence(&x.view(), &y.view(), bw, Method::Exact, &NEVER).unwrap();
        let rff = |f, seed| {
            let method = Method::Rff {
                n_features: f,
                seed,
            };
            cs_divergence(&x.view(), &y.view(), bw, method, &NEVER).unwrap()
        };
        let big = rff(20000, 1);
        assert!((big.v_xy - exact.v_xy).abs() < 0.02, "{big:?} {exact:?}");
        assert!((big.value - exact.value).abs() < 0.05, "{big:?} {exact:?}");
        assert_eq!(rff(64, 7), rff(64, 7));
        assert_ne!(rff(64, 7).value, rff(64, 8).value);
        // The features' diagonal is exact: k(a, a) = cos^2 + sin^2 = 1.
        let one = sample(2, 1, 9, 0.0);
        let r = cs_divergence(
            &one.view(),
            &one.view(),
            bw,
            Method::Rff {
                n_features: 3,
                seed: 0,
            },
            &NEVER,
        )
        .unwrap();
        assert!(r.value.abs() < 1e-14);
        for isa in isas() {
            let c = pooled_moments(&[x.view()]).0;
            let f = gaussian_frequencies(5, 2, 0.5, 3);
            let (cm, sm) = mean_features(&x.view(), &c, &f, isa, &NEVER).unwrap();
            for k in 0..5 {
                let (mut a, mut b) = (0.0, 0.0);
                for row in x.rows() {
                    let t: f64 = (0..2).map(|j| f[k * 2 + j] * (row[j] - c[j])).sum();
                    a += t.cos();
                    b += t.sin();
                }
                assert!((cm[k] - a / 400.0).abs() < 1e-14 && (sm[k] - b / 400.0).abs() < 1e-14);
            }
        }
    }

    #[test]
    fn mutual_info_matches_brute_force() {
        for &(n, dx, dy) in &[(5, 1, 1), (301, 2, 1), (530, 1, 3)] {
            let x = sample(n, dx, 7, 0.0);
            let mut y = sample(n, dy, 8, 0.0);
            for (i, mut row) in y.rows_mut().into_iter().enumerate() {
                row[0] += x[[i, 0]];
            }
            let got = cs_mutual_info(&x.view(), &y.view(), Bandwidth::Scott, &NEVER).unwrap();
            let (sx, sy) = (0.25 / got.sigma_x.powi(2), 0.25 / got.sigma_y.powi(2));
            let kern = |a: &Array2<f64>, i: usize, j: usize, s: f64| {
                let d2: f64 = a
                    .row(i)
                    .iter()
                    .zip(a.row(j))
                    .map(|(u, v)| (u - v) * (u - v))
                    .sum();
                (-d2 * s).exp()
            };
            let (mut vj, mut tx, mut ty, mut vc) = (0.0, 0.0, 0.0, 0.0);
            for i in 0..n {
                let (mut rx, mut ry) = (0.0, 0.0);
                for j in 0..n {
                    let (a, b) = (kern(&x, i, j, sx), kern(&y, i, j, sy));
                    vj += a * b;
                    rx += a;
                    ry += b;
                }
                tx += rx;
                ty += ry;
                vc += rx * ry;
            }
            let nf = n as f64;
            let want =
                (vj / nf / nf).ln() + (tx * ty / nf.powi(4)).ln() - 2.0 * (vc / nf.powi(3)).ln();
            assert!(
                (got.value - want).abs() < 1e-12 * want.abs().max(1.0),
                "{n}"
            );
            let swapped = cs_mutual_info(&y.view(), &x.view(), Bandwidth::Scott, &NEVER).unwrap();
            assert!(rel(swapped.value, got.value) < 1e-14);
        }
    }

    #[test]
    fn bandwidth_rules_and_errors() {
        let x = sample(100, 3, 11, 0.0);
        let (_, (n, d, var)) = pooled_moments(&[x.view()]);
        let s = Bandwidth::Silverman.resolve(&[x.view()]).unwrap();
        assert!(rel(s, var.sqrt() * (4.0 / (5.0 * n as f64)).powf(1.0 / 7.0)) < 1e-15);
        let s = Bandwidth::Scott.resolve(&[x.view()]).unwrap();
        assert!(rel(s, var.sqrt() * (n as f64).powf(-1.0 / (d as f64 + 4.0))) < 1e-15);
        assert!("gauss".parse::<Bandwidth>().is_err());
        assert!(Bandwidth::Fixed(-1.0).resolve(&[x.view()]).is_err());
        let flat = Array2::<f64>::zeros((10, 2));
        assert!(Bandwidth::Silverman.resolve(&[flat.view()]).is_err());
        let mut bad = x.clone();
        bad[[3, 1]] = f64::NAN;
        let e = cs_divergence(
            &bad.view(),
            &x.view(),
            Bandwidth::Scott,
            Method::Exact,
            &NEVER,
        );
        assert!(matches!(e, Err(Error::Value { arg: "x", .. })));
        let one = sample(1, 3, 1, 0.0);
        let e = cs_divergence(
            &x.view(),
            &one.view(),
            Bandwidth::Scott,
            Method::Exact,
            &NEVER,
        );
        assert!(matches!(e, Err(Error::Value { arg: "y", .. })));
        let y2 = sample(10, 2, 1, 0.0);
        let e = cs_divergence(
            &x.view(),
            &y2.view(),
            Bandwidth::Scott,
            Method::Exact,
            &NEVER,
        );
        assert!(matches!(e, Err(Error::Value { arg: "y", .. })));
        let e = cs_mutual_info(&x.view(), &y2.view(), Bandwidth::Scott, &NEVER);
        assert!(matches!(e, Err(Error::Value { arg: "y", .. })));
        let stop = Cancel::new();
        stop.raise();
        let e = cs_divergence(&x.view(), &x.view(), Bandwidth::Scott, Method::Exact, &stop);
        assert_eq!(e, Err(Error::Interrupted));
    }
}
