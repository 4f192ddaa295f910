//! k-th nearest-neighbour distances of points in the plane under the max-norm, found on
//! a grid of square cells: the KSG estimators of two scalar variables spend most of
//! their time here, and for them a grid beats the kd-tree (no descent, and the cells
//! around a point are read as a few contiguous runs).
//!
//! The points are counting-sorted into cells (row-major). Each cell gathers the 3 x 3
//! block of cells around it once, and each of its points takes its k-th distance from
//! that block when the distance is no larger than the one from the point to the block's
//! edge: every point outside is at least that far. Other points scan wider rings of
//! cells until the same holds. The cell size is chosen from the data so that a point's
//! own cell holds about two points on average; data too clumped for any grid (heavy
//! tails, one huge outlier) are left to the tree, which the caller learns from `None`.

use super::tree::{map_positions_with, Neighbours};
use crate::cancel::Cancel;
use crate::error::Result;
use rayon::prelude::*;

/// Average number of points in a point's own cell that the cell size aims for.
const TARGET_OCCUPANCY: f64 = 2.0;
/// Above this (points-weighted) mean occupancy the grid gives way to the tree.
const MAX_OCCUPANCY: f64 = 24.0;
/// Points per cell over the bounding box of the grid that measures the density.
const COARSE_OCCUPANCY: f64 = 16.0;
/// At most this many cells per point (memory: 4 bytes each).
const MAX_CELLS_PER_POINT: f64 = 8.0;

/// Points of the plane bucketed into square cells of side `h`, row-major over `gx`
/// columns and `gy` rows starting at (x0, y0).
pub struct Grid {
    x0: f64,
    y0: f64,
    h: f64,
    inv_h: f64,
    gx: usize,
    gy: usize,
    /// Points of cell c are `pts[start[c]..start[c + 1]]`.
    start: Vec<u32>,
    pts: Vec<[f64; 2]>,
    /// Original row of each point in cell order.
    row: Vec<u32>,
    /// Rounding slack of the cell index arithmetic, as a distance.
    slack: f64,
}

/// (min, max) of a column.
fn range(v: &[f64]) -> (f64, f64) {
    v.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &t| {
            (lo.min(t), hi.max(t))
        })
}

impl Grid {
    /// Cell coordinate of value `v` along an axis starting at `o` (clamped to the grid).
    #[inline(always)]
    fn cell(v: f64, o: f64, inv_h: f64, g: usize) -> usize {
        (((v - o) * inv_h) as usize).min(g - 1)
    }

    /// Columns and rows of cells of side `h` over a box of widths `w`, if at most `limit`.
    fn dims(w: (f64, f64), h: f64, limit: f64) -> Option<(usize, usize)> {
        let (gx, gy) = ((w.0 / h).floor() + 1.0, (w.1 / h).floor() + 1.0);
        // Also false for NaN (h = 0 or infinite widths): no grid.
        (gx * gy <= limit).then_some((gx as usize, gy as usize))
    }

    /// Cells of side `h`, or wider ones where `h` needs more than `limit` of them (a
    /// crowded middle in a wide box, or a long thin box), and their columns and rows.
    fn fit(w: (f64, f64), mut h: f64, limit: f64) -> Option<(f64, (usize, usize))> {
        for _ in 0..200 {
            if let Some(g) = Self::dims(w, h, limit) {
                return Some((h, g));
            }
            h *= 1.25;
        }
        None
    }

    /// Points per cell of a gx x gy grid of cells of side 1 / inv_h from `origin`, cell c
    /// counted at [c + 1] (index 0 left at 0, ready to become the cells' offsets).
    fn histogram(
        x: &[f64],
        y: &[f64],
        origin: (f64, f64),
        inv_h: f64,
        g: (usize, usize),
    ) -> Vec<u32> {
        let mut occ = vec![0u32; g.0 * g.1 + 1];
        for (&a, &b) in x.iter().zip(y) {
            occ[Self::cell_of(a, b, origin, inv_h, g) + 1] += 1;
        }
        occ
    }

    /// Row-major cell of the point (a, b).
    #[inline(always)]
    fn cell_of(a: f64, b: f64, origin: (f64, f64), inv_h: f64, g: (usize, usize)) -> usize {
        Self::cell(b, origin.1, inv_h, g.1) * g.0 + Self::cell(a, origin.0, inv_h, g.0)
    }

    /// The points-weighted mean occupancy sum(occ^2) / n of a histogram (how many points a
    /// random point shares its cell with, itself included).
    fn occupancy(histogram: &[u32], n: usize) -> f64 {
        let sq: f64 = histogram.iter().map(|&c| c as f64 * c as f64).sum();
        sq / n as f64
    }

    /// A grid sized for `x`, `y`, or None when the data are too clumped or too
    /// elongated for one.
    pub fn build(x: &[f64], y: &[f64]) -> Option<Grid> {
        let n = x.len();
        if n > u32::MAX as usize / 2 {
            return None; // positions are u32
        }
        let (bx, by) = (range(x), range(y));
        let widths = (bx.1 - bx.0, by.1 - by.0);
        if !(widths.0 > 0.0 && widths.1 > 0.0 && widths.0.is_finite() && widths.1.is_finite()) {
            return None;
        }
        let origin = (bx.0, by.0);
        // Cell indices are u32.
        let max_cells = (MAX_CELLS_PER_POINT * n as f64).min(u32::MAX as f64 / 2.0);
        // The density a typical point sees, measured on a coarse grid (about 16 points
        // per cell over the box, small enough to stay in cache): occupancy / cell area.
        let coarse = (widths.0 * widths.1 * COARSE_OCCUPANCY / n as f64).sqrt();
        let (coarse, g) = Self::fit(widths, coarse, max_cells)?;
        let coarse_counts = Self::histogram(x, y, origin, 1.0 / coarse, g);
        let density = Self::occupancy(&coarse_counts, n) / (coarse * coarse);
        let (h, (gx, gy)) = Self::fit(widths, (TARGET_OCCUPANCY / density).sqrt(), max_cells)?;
        let inv_h = 1.0 / h;
        let cells = gx * gy;
        let mut start = Self::histogram(x, y, origin, inv_h, (gx, gy));
        // The measured occupancy: a grid this clumped scans too many points per query.
        if Self::occupancy(&start, n) > MAX_OCCUPANCY {
            return None;
        }
        // start[c + 1] becomes the end of cell c; each cell is then filled from its end
        // down, which leaves start[c + 1] at the beginning of cell c (one array, no copy).
        for c in 0..cells {
            start[c + 1] += start[c];
        }
        let mut pts = vec![[0.0; 2]; n];
        let mut row = vec![0u32; n];
        for (i, (&a, &b)) in x.iter().zip(y).enumerate() {
            let slot = &mut start[Self::cell_of(a, b, origin, inv_h, (gx, gy)) + 1];
            *slot -= 1;
            pts[*slot as usize] = [a, b];
            row[*slot as usize] = i as u32;
        }
        start.copy_within(1.., 0);
        start[cells] = n as u32;
        // Cell indices are exact to a few ulps of (v - origin) / h; a point may sit
        // that far across the edge of its cell.
        let reach = bx.0.abs().max(bx.1.abs()).max(by.0.abs()).max(by.1.abs());
        let slack = 1e-9 * h + 16.0 * f64::EPSILON * reach;
        Some(Grid {
            x0: origin.0,
            y0: origin.1,
            h,
            inv_h,
            gx,
            gy,
            start,
            pts,
            row,
            slack,
        })
    }

    /// Points of cells (cy, ca..=cb), a contiguous run.
    #[inline(always)]
    fn run(&self, cy: usize, ca: usize, cb: usize) -> std::ops::Range<usize> {
        let base = cy * self.gx;
        self.start[base + ca] as usize..self.start[base + cb + 1] as usize
    }

    #[inline(always)]
    fn scan(&self, q: [f64; 2], skip: usize, span: std::ops::Range<usize>, out: &mut Neighbours) {
        for at in span {
            let d = distance(self.pts[at], q);
            if d < out.bound() && at != skip {
                out.insert(d, at as u32);
            }
        }
    }

    /// k-th max-norm distance from the point at cell-order position `at` to the others.
    fn kth(&self, at: usize, k: usize, out: &mut Neighbours) -> f64 {
        out.clear(k);
        let q = self.pts[at];
        let cx = Self::cell(q[0], self.x0, self.inv_h, self.gx) as isize;
        let cy = Self::cell(q[1], self.y0, self.inv_h, self.gy) as isize;
        // Distances from q to the edges of its own cell.
        let left = q[0] - (self.x0 + cx as f64 * self.h);
        let right = self.x0 + (cx + 1) as f64 * self.h - q[0];
        let below = q[1] - (self.y0 + cy as f64 * self.h);
        let above = self.y0 + (cy + 1) as f64 * self.h - q[1];
        let edge = left.min(right).min(below).min(above) - self.slack;
        let (gx, gy) = (self.gx as isize, self.gy as isize);
        // Ring 1 (the 3 x 3 block around q's cell, three runs of cells) answers most
        // queries; wider rings add their perimeter.
        let (xa, xb) = ((cx - 1).max(0) as usize, (cx + 1).min(gx - 1) as usize);
        for yy in (cy - 1).max(0)..=(cy + 1).min(gy - 1) {
            self.scan(q, at, self.run(yy as usize, xa, xb), out);
        }
        let mut ring = 1isize;
        loop {
            let covered =
                cx - ring <= 0 && cx + ring >= gx - 1 && cy - ring <= 0 && cy + ring >= gy - 1;
            if covered || out.bound() <= edge + ring as f64 * self.h {
                return out.bound();
            }
            ring += 1;
            let (xa, xb) = (
                (cx - ring).max(0) as usize,
                (cx + ring).min(gx - 1) as usize,
            );
            for yy in [cy - ring, cy + ring] {
                if (0..gy).contains(&yy) {
                    self.scan(q, at, self.run(yy as usize, xa, xb), out);
                }
            }
            for yy in (cy - ring + 1).max(0)..=(cy + ring - 1).min(gy - 1) {
                for xx in [cx - ring, cx + ring] {
                    if (0..gx).contains(&xx) {
                        self.scan(q, at, self.run(yy as usize, xx as usize, xx as usize), out);
                    }
                }
            }
        }
    }
}

/// The `K` smallest of a stream of distances, kept sorted without branches (each value
/// sinks through the list by min/max pairs); two lists fed alternately halve the
/// dependency chain.
#[derive(Clone, Copy)]
struct Smallest<const K: usize>([f64; K]);

impl<const K: usize> Smallest<K> {
    fn new() -> Self {
        Smallest([f64::INFINITY; K])
    }
    #[inline(always)]
    fn push(&mut self, mut d: f64) {
        for t in self.0.iter_mut() {
            let lo = if d < *t { d } else { *t };
            d = if d < *t { *t } else { d };
            *t = lo;
        }
    }
    /// The K-th smallest of the values pushed into `self` and `other` together.
    fn kth_of_both(&self, other: &Self) -> f64 {
        let mut both = *self;
        for &d in &other.0 {
            both.push(d);
        }
        both.0[K - 1]
    }
}

impl Grid {
    /// k-th distances of the points of the cells of grid row `cy`, in cell order, into
    /// `out`: each cell gathers its 3 x 3 block once, and each of its points takes the
    /// (k+1)-th smallest distance to the block (the first is itself, at 0). A point whose
    /// answer is farther than the block reaches is searched ring by ring instead.
    fn strip_kth<const K1: usize>(
        &self,
        cy: usize,
        out: &mut [f64],
        block: &mut Vec<[f64; 2]>,
        list: &mut Neighbours,
    ) {
        let base = self.start[cy * self.gx] as usize;
        let (ya, yb) = (cy.saturating_sub(1), (cy + 1).min(self.gy - 1));
        for cx in 0..self.gx {
            let own = self.run(cy, cx, cx);
            if own.is_empty() {
                continue;
            }
            let (xa, xb) = (cx.saturating_sub(1), (cx + 1).min(self.gx - 1));
            block.clear();
            for yy in ya..=yb {
                block.extend_from_slice(&self.pts[self.run(yy, xa, xb)]);
            }
            let reach_x = (
                self.x0 + cx as f64 * self.h,
                self.x0 + (cx + 1) as f64 * self.h,
            );
            let reach_y = (
                self.y0 + cy as f64 * self.h,
                self.y0 + (cy + 1) as f64 * self.h,
            );
            for at in own {
                let q = self.pts[at];
                let (mut even, mut odd) = (Smallest::<K1>::new(), Smallest::<K1>::new());
                let mut pairs = block.chunks_exact(2);
                for pair in &mut pairs {
                    even.push(distance(pair[0], q));
                    odd.push(distance(pair[1], q));
                }
                for &p in pairs.remainder() {
                    even.push(distance(p, q));
                }
                let kth = even.kth_of_both(&odd);
                let edge = (q[0] - reach_x.0)
                    .min(reach_x.1 - q[0])
                    .min(q[1] - reach_y.0)
                    .min(reach_y.1 - q[1])
                    - self.slack;
                out[at - base] = if kth <= edge + self.h {
                    kth
                } else {
                    self.kth(at, K1 - 1, list)
                };
            }
        }
    }
}

#[inline(always)]
fn distance(p: [f64; 2], q: [f64; 2]) -> f64 {
    let (a, b) = ((p[0] - q[0]).abs(), (p[1] - q[1]).abs());
    if a > b {
        a
    } else {
        b
    }
}

impl Grid {
    /// Max-norm distance from each point (x_i, y_i) to its k-th nearest other point, by
    /// original row. Requires 1 <= k < n.
    pub fn kth_distances(&self, k: usize, cancel: &Cancel) -> Result<Vec<f64>> {
        let n = self.pts.len();
        let by_position = match k {
            1 => self.by_strips::<2>(cancel)?,
            2 => self.by_strips::<3>(cancel)?,
            3 => self.by_strips::<4>(cancel)?,
            4 => self.by_strips::<5>(cancel)?,
            5 => self.by_strips::<6>(cancel)?,
            6 => self.by_strips::<7>(cancel)?,
            7 => self.by_strips::<8>(cancel)?,
            8 => self.by_strips::<9>(cancel)?,
            _ => map_positions_with(
                n,
                cancel,
                || Neighbours::new(k),
                |at, list| self.kth(at, k, list),
            )?,
        };
        let mut out = vec![0.0; n];
        for (&row, &r) in self.row.iter().zip(&by_position) {
            out[row as usize] = r;
        }
        Ok(out)
    }

    /// `strip_kth` over every grid row in parallel: k-th distances by cell-order position.
    fn by_strips<const K1: usize>(&self, cancel: &Cancel) -> Result<Vec<f64>> {
        let mut out = vec![0.0; self.pts.len()];
        let mut strips = Vec::with_capacity(self.gy);
        let mut rest = out.as_mut_slice();
        for cy in 0..self.gy {
            let len = self.run(cy, 0, self.gx - 1).len();
            let (strip, tail) = rest.split_at_mut(len);
            strips.push((cy, strip));
            rest = tail;
        }
        crate::pool::install(|| {
            strips.into_par_iter().with_min_len(8).try_for_each_init(
                || (Vec::new(), Neighbours::new(K1 - 1)),
                |(block, list), (cy, strip)| {
                    cancel.check()?;
                    self.strip_kth::<K1>(cy, strip, block, list);
                    Ok(())
                },
            )
        })?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cancel::NEVER;

    fn lcg(seed: u64) -> impl FnMut() -> f64 {
        let mut s = seed;
        move || {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((s >> 11) as f64 + 0.5) / (1u64 << 53) as f64
        }
    }

    fn brute(x: &[f64], y: &[f64], k: usize) -> Vec<f64> {
        (0..x.len())
            .map(|i| {
                let mut d: Vec<f64> = (0..x.len())
                    .filter(|&j| j != i)
                    .map(|j| (x[i] - x[j]).abs().max((y[i] - y[j]).abs()))
                    .collect();
                d.sort_by(f64::total_cmp);
                d[k - 1]
            })
            .collect()
    }

    fn check(x: &[f64], y: &[f64], ks: &[usize]) {
        let grid = Grid::build(x, y).unwrap_or_else(|| panic!("no grid for n={}", x.len()));
        for &k in ks.iter().filter(|&&k| k < x.len()) {
            let got = grid.kth_distances(k, &NEVER).unwrap();
            assert_eq!(got, brute(x, y, k), "k={k} n={}", x.len());
        }
    }

    #[test]
    fn kth_distances_equal_brute_force() {
        let mut u = lcg(7);
        // Gaussian-like (sum of uniforms), uniform, and a scaled, shifted copy.
        for n in [2usize, 3, 10, 200, 3000] {
            let x: Vec<f64> = (0..n).map(|_| u() + u() + u() - 1.5).collect();
            let y: Vec<f64> = (0..n).map(|_| u() * 4.0).collect();
            check(&x, &y, &[1, 2, 3, 9.min(n - 1), 12.min(n - 1)]);
            let xs: Vec<f64> = x.iter().map(|v| 1e6 + v * 1e-3).collect();
            check(&xs, &y, &[1, 3.min(n - 1)]);
        }
    }

    #[test]
    fn ties_and_copies_equal_brute_force() {
        // Points on a lattice (many equal distances) and exact copies (distance 0).
        let x: Vec<f64> = (0..900).map(|i| (i % 30) as f64 * 0.5).collect();
        let y: Vec<f64> = (0..900).map(|i| ((i / 30) % 7) as f64).collect();
        check(&x, &y, &[1, 3, 8, 20, 40]);
    }

    #[test]
    fn sparse_outliers_need_wide_rings() {
        let mut u = lcg(3);
        let mut x: Vec<f64> = (0..2000).map(|_| u()).collect();
        let mut y: Vec<f64> = (0..2000).map(|_| u()).collect();
        x.extend([6.0, -3.0, 0.5]);
        y.extend([0.5, 4.0, -3.0]);
        check(&x, &y, &[1, 3, 5]);
    }

    #[test]
    fn unsuitable_data_get_no_grid() {
        let mut u = lcg(5);
        let x: Vec<f64> = (0..1000).map(|_| u()).collect();
        let flat = vec![2.0; 1000];
        assert!(Grid::build(&x, &flat).is_none());
        assert!(Grid::build(&flat, &x).is_none());
        // One far outlier squeezes everything else into a few cells.
        let mut y: Vec<f64> = (0..1000).map(|_| u()).collect();
        y[0] = 1e12;
        assert!(Grid::build(&x, &y).is_none());
        let huge: Vec<f64> = x.iter().map(|v| (v - 0.5) * 1e308 * 1.9).collect();
        assert!(Grid::build(&huge, &huge).is_none());
    }
}
