//! Fused linear cross-entropy: softmax statistics of `hidden @ weight.T` without the
//! [N, V] logit matrix.
//!
//! Tokens are split into blocks (parallel over blocks); each block walks the vocabulary
//! in chunks, multiplies its hidden rows by one chunk of weight rows into a small tile
//! (the `gemm` crate, which picks AVX2 / AVX-512 kernels at run time), and folds the
//! tile into each token's running sums. The sums are kept relative to the running
//! maximum m of the token's logits: S0 = sum e^(x-m), S1 = sum e^(x-m) (x-m),
//! S2 = sum e^(x-m) (x-m)^2. When a chunk raises the maximum to m' (d = m - m',
//! r = e^d) they move to the new shift exactly:
//!   S0' = r S0,  S1' = r (S1 + d S0),  S2' = r (S2 + 2 d S1 + d^2 S0).
//! Extra memory: one tile of block x chunk logits per thread.

use super::exp::exp_neg;
use super::format::Format;
use super::rows::{check_targets, entropy_varentropy, shifted_sums_dispatch, Targets};
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::pool;
use ndarray::ArrayView2;
use rayon::prelude::*;

/// Element types the matrix product takes.
pub trait Real: Format<Raw = Self> + Default {
    /// The multiplicative identity.
    const ONE: Self;
}
impl Real for f32 {
    const ONE: Self = 1.0;
}
impl Real for f64 {
    const ONE: Self = 1.0;
}

/// Most tokens per block (the tile's rows).
const MAX_BLOCK: usize = 256;
/// Fewest tokens per block, below which the product loses its efficiency.
const MIN_BLOCK: usize = 16;

/// Statistics of one token's logit row, in nats (`nll` 0 without a target).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TokenStat {
    pub entropy: f64,
    pub varentropy: f64,
    pub logsumexp: f64,
    pub nll: f64,
}

/// Running shifted sums of one token.
#[derive(Debug, Clone, Copy)]
struct Running {
    max: f64,
    s: [f64; 3],
    target_logit: f64,
}

impl Running {
    const EMPTY: Running = Running {
        max: f64::NEG_INFINITY,
        s: [0.0; 3],
        target_logit: f64::NAN,
    };

    /// Fold in one chunk of logits whose largest entry is `chunk_max` (finite).
    #[inline(always)]
    fn add<T: Real>(&mut self, chunk: &[T], chunk_max: f64) {
        if chunk_max > self.max {
            let d = self.max - chunk_max;
            let r = exp_neg(d);
            self.s = if r > 0.0 {
                let [s0, s1, s2] = self.s;
                [
                    r * s0,
                    r * (s1 + d * s0),
                    r * (s2 + 2.0 * d * s1 + d * d * s0),
                ]
            } else {
                // The old mass is below e^-708 of the new maximum's: it adds nothing (and
                // d * d, or d itself, may overflow).
                [0.0; 3]
            };
            self.max = chunk_max;
        }
        let t = shifted_sums_dispatch::<T>(chunk, self.max, 1.0);
        for (a, b) in self.s.iter_mut().zip(t) {
            *a += b;
        }
    }

    fn finish(&self, has_target: bool) -> TokenStat {
        let (entropy, varentropy) = entropy_varentropy(self.s);
        let logsumexp = self.max + self.s[0].ln();
        TokenStat {
            entropy,
            varentropy,
            logsumexp,
            nll: if has_target {
                logsumexp - self.target_logit
            } else {
                0.0
            },
        }
    }
}

/// Largest entry of a tile row, or None if it holds NaN or an infinity.
#[inline(always)]
fn finite_max<T: Real>(row: &[T]) -> Option<f64> {
    let mut max = f64::NEG_INFINITY;
    let mut finite = true;
    for &v in row {
        let v = T::to_f64(v);
        max = if v > max { v } else { max };
        finite &= v.is_finite();
    }
    finite.then_some(max)
}

fn check_finite<T: Real>(a: &ArrayView2<'_, T>, arg: &'static str) -> Result<()> {
    if a.iter().all(|&v| T::to_f64(v).is_finite()) {
        Ok(())
    } else {
        Err(Error::value(
            arg,
            "expected finite values (found NaN or inf)",
        ))
    }
}

/// One block of tokens `[b0, b0 + rows)` against the whole vocabulary.
#[allow(clippy::too_many_arguments)]
fn block_stats<T: Real>(
    hidden: &ArrayView2<'_, T>,
    weight: &ArrayView2<'_, T>,
    b0: usize,
    rows: usize,
    chunk: usize,
    targets: Option<&[Option<usize>]>,
    tile: &mut Vec<T>,
    cancel: &Cancel,
) -> Result<Vec<TokenStat>> {
    let (vocab, dim) = weight.dim();
    let mut run = vec![Running::EMPTY; rows];
    let (hs, ws) = (hidden.strides(), weight.strides());
    for c0 in (0..vocab).step_by(chunk) {
        cancel.check()?;
        let cols = chunk.min(vocab - c0);
        tile.clear();
        tile.resize(rows * cols, T::default());
        // SAFETY: the row offsets stay inside the views (b0 + rows <= N, c0 + cols <= V);
        // the strides are the views' own; the tile holds rows x cols elements.
        unsafe {
            gemm::gemm(
                rows,
                cols,
                dim,
                tile.as_mut_ptr(),
                1,
                cols as isize,
                false,
                hidden.as_ptr().offset(b0 as isize * hs[0]),
                hs[1],
                hs[0],
                weight.as_ptr().offset(c0 as isize * ws[0]),
                ws[0],
                ws[1],
                T::default(),
                T::ONE,
                false,
                false,
                false,
                gemm::Parallelism::None,
            );
        }
        for (i, (r, logits)) in run.iter_mut().zip(tile.chunks_exact(cols)).enumerate() {
            let max = finite_max(logits).ok_or_else(|| {
                Error::value(
                    "hidden",
                    format!("the logits of token {} overflow (not finite)", b0 + i),
                )
            })?;
            r.add(logits, max);
            if let Some(Some(t)) = targets.map(|t| t[b0 + i]) {
                if (c0..c0 + cols).contains(&t) {
                    r.target_logit = T::to_f64(logits[t - c0]);
                }
            }
        }
    }
    Ok(run
        .iter()
        .enumerate()
        .map(|(i, r)| r.finish(matches!(targets.map(|t| t[b0 + i]), Some(Some(_)))))
        .collect())
}

/// Softmax statistics of every row of `hidden @ weight.T` (hidden [N, D], weight
/// [V, D]), computed `chunk` vocabulary entries at a time.
pub fn linear_cross_entropy<T: Real>(
    hidden: ArrayView2<'_, T>,
    weight: ArrayView2<'_, T>,
    targets: Option<Targets<'_>>,
    chunk: usize,
    cancel: &Cancel,
) -> Result<Vec<TokenStat>> {
    let (n, dim) = hidden.dim();
    let (vocab, wdim) = weight.dim();
    if wdim != dim {
        return Err(Error::value(
            "weight",
            format!(
                "expected shape (V, {dim}) to match hidden's {dim} columns, got ({vocab}, {wdim})"
            ),
        ));
    }
    if vocab == 0 {
        return Err(Error::value(
            "weight",
            "expected at least one row (vocabulary entry), got 0",
        ));
    }
    if dim == 0 {
        return Err(Error::value(
            "hidden",
            "expected at least one column, got 0",
        ));
    }
    if chunk == 0 {
        return Err(Error::value(
            "chunk",
            "expected a positive number of vocabulary entries",
        ));
    }
    check_finite(&hidden, "hidden")?;
    check_finite(&weight, "weight")?;
    let ids = targets.map(|t| check_targets(&t, n, vocab)).transpose()?;
    let chunk = chunk.min(vocab);
    let threads = pool::num_threads().max(1);
    let block = n.div_ceil(threads).clamp(MIN_BLOCK, MAX_BLOCK);
    let starts: Vec<usize> = (0..n).step_by(block).collect();
    let blocks = pool::install(|| {
        starts
            .par_iter()
            .map_init(Vec::new, |tile, &b0| {
                let rows = block.min(n - b0);
                block_stats(
                    &hidden,
                    &weight,
                    b0,
                    rows,
                    chunk,
                    ids.as_deref(),
                    tile,
                    cancel,
                )
            })
            .collect::<Result<Vec<_>>>()
    })?;
    Ok(blocks.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cancel::NEVER;
    use crate::logits::rows::{logit_stats, Options};
    use ndarray::Array2;

    #[test]
    fn a_maximum_far_above_the_old_one_drops_its_mass() {
        let h = Array2::from_elem((1, 1), 1.0);
        let w = Array2::from_shape_vec((3, 1), vec![-1e155, 0.0, -1.0]).unwrap();
        let one = linear_cross_entropy(h.view(), w.view(), None, 1, &NEVER).unwrap();
        let all = linear_cross_entropy(h.view(), w.view(), None, 4, &NEVER).unwrap();
        assert!((one[0].varentropy - all[0].varentropy).abs() < 1e-15);
        assert!(all[0].varentropy > 0.19);
    }

    #[test]
    fn chunked_product_matches_materialised_logits() {
        let (n, d, v) = (37, 5, 23);
        let h = Array2::from_shape_fn((n, d), |(i, j)| ((i * 7 + j * 3) as f64 * 0.37).sin());
        let w = Array2::from_shape_fn((v, d), |(i, j)| {
            ((i * 5 + j * 11) as f64 * 0.53).cos() * 3.0
        });
        let logits = h.dot(&w.t());
        let ids =
            ndarray::Array1::from_shape_fn(n, |i| if i % 5 == 0 { -100 } else { (i % v) as i64 });
        let t = Targets {
            ids: ids.view(),
            ignore_index: -100,
        };
        let view = logits.view();
        let rows = crate::logits::lanes::Rows::new(&view, "logits").unwrap();
        let want = logit_stats::<f64>(&rows, Some(t), &Options::default(), &NEVER).unwrap();
        for chunk in [1, 4, 7, 23, 100] {
            let got = linear_cross_entropy(h.view(), w.view(), Some(t), chunk, &NEVER).unwrap();
            for (a, b) in got.iter().zip(&want) {
                assert!((a.entropy - b.entropy).abs() < 1e-12, "chunk {chunk}");
                assert!((a.varentropy - b.varentropy).abs() < 1e-11, "chunk {chunk}");
                assert!((a.logsumexp - b.logsumexp).abs() < 1e-12, "chunk {chunk}");
                assert!((a.nll - b.nll).abs() < 1e-12, "chunk {chunk}");
            }
        }
    }
}
