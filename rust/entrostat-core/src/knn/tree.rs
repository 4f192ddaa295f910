//! A kd-tree over n points in d dimensions: k-nearest-neighbour and radius-count
//! queries under the max-norm or the Euclidean norm.
//!
//! Layout: the points are copied into tree order (row-major), and every node covers a
//! contiguous range of them, split at the middle of its range along its widest
//! dimension. The shape therefore depends on n alone, so nodes are stored in pre-order
//! with a known subtree size, which lets both halves be built in parallel on disjoint
//! slices. Each node keeps its bounding box: a query prunes a node whose box is farther
//! than the current k-th distance, and a count adds a node whose box lies wholly inside
//! the radius without visiting its points.
//!
//! Distances are compared in a "reduced" form that is monotone in the true distance:
//! the max-norm itself, or the squared Euclidean norm (no square root per pair).

use crate::cancel::Cancel;
use crate::error::{Error, Result};
use rayon::prelude::*;

/// The norm neighbours are measured in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// max_j |a_j - b_j| (Chebyshev); the KSG family works in it.
    Max,
    /// sqrt(sum_j (a_j - b_j)^2).
    Euclidean,
}

impl std::str::FromStr for Metric {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "max" | "chebyshev" => Ok(Metric::Max),
            "euclidean" => Ok(Metric::Euclidean),
            other => Err(Error::value(
                "metric",
                format!("expected \"max\" or \"euclidean\", got {other:?}"),
            )),
        }
    }
}

impl Metric {
    /// Reduced distance between two rows of equal length.
    #[inline]
    pub fn reduced(self, a: &[f64], b: &[f64]) -> f64 {
        match self {
            Metric::Max => MaxNorm::reduced::<0>(a, b),
            Metric::Euclidean => EuclideanNorm::reduced::<0>(a, b),
        }
    }

    /// Reduced form of a true distance.
    #[inline]
    pub fn reduce(self, r: f64) -> f64 {
        match self {
            Metric::Max => r,
            Metric::Euclidean => r * r,
        }
    }

    /// True distance from its reduced form.
    #[inline]
    pub fn expand(self, r: f64) -> f64 {
        match self {
            Metric::Max => r,
            Metric::Euclidean => r.sqrt(),
        }
    }
}

/// max of two finite floats as one `maxsd` (f64::max also orders NaNs, which costs a
/// compare and a blend per call; the inputs here are checked finite).
#[inline(always)]
fn fmax(a: f64, b: f64) -> f64 {
    if a > b {
        a
    } else {
        b
    }
}

/// A norm as a type, so the query loops are compiled once per norm without a branch
/// per pair. `D` is the dimension when known at compile time (the loops unroll), 0 when
/// it is only known at run time.
trait Norm {
    /// Combine one coordinate's absolute offset into the running reduced distance.
    fn add(acc: f64, t: f64) -> f64;

    #[inline(always)]
    fn reduced<const D: usize>(a: &[f64], b: &[f64]) -> f64 {
        let d = if D == 0 { a.len() } else { D };
        let (a, b) = (&a[..d], &b[..d]);
        let mut acc = 0.0;
        for j in 0..d {
            acc = Self::add(acc, (a[j] - b[j]).abs());
        }
        acc
    }

    /// Reduced distance from `q` to the nearest point of the box [lo, hi].
    #[inline(always)]
    fn to_box<const D: usize>(q: &[f64], lo: &[f64], hi: &[f64]) -> f64 {
        let d = if D == 0 { q.len() } else { D };
        let (q, lo, hi) = (&q[..d], &lo[..d], &hi[..d]);
        let mut acc = 0.0;
        for j in 0..d {
            acc = Self::add(acc, fmax(fmax(lo[j] - q[j], q[j] - hi[j]), 0.0));
        }
        acc
    }

    /// Reduced distance from `q` to the farthest point of the box [lo, hi].
    #[inline(always)]
    fn to_box_far<const D: usize>(q: &[f64], lo: &[f64], hi: &[f64]) -> f64 {
        let d = if D == 0 { q.len() } else { D };
        let (q, lo, hi) = (&q[..d], &lo[..d], &hi[..d]);
        let mut acc = 0.0;
        for j in 0..d {
            acc = Self::add(acc, fmax(q[j] - lo[j], hi[j] - q[j]));
        }
        acc
    }
}

struct MaxNorm;
struct EuclideanNorm;

impl Norm for MaxNorm {
    #[inline(always)]
    fn add(acc: f64, t: f64) -> f64 {
        fmax(acc, t)
    }
}

impl Norm for EuclideanNorm {
    #[inline(always)]
    fn add(acc: f64, t: f64) -> f64 {
        acc + t * t
    }
}

/// Points per leaf: small enough to prune well, large enough to amortise the descent.
const LEAF: usize = 12;
/// Subtrees at least this large are built on two threads.
const PAR_BUILD: usize = 1 << 14;
/// Queries per parallel task (and per cancellation check).
pub const QUERY_CHUNK: usize = 1 << 10;

/// What `nearest_all` keeps per query.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// The k-th reduced distance only.
    Kth,
    /// All k neighbours (reduced distances and tree positions), nearest first.
    All,
}

/// Neighbours of a batch of queries; `width` entries per query (1 for `Keep::Kth`).
#[derive(Clone, Debug)]
pub struct Batch {
    width: usize,
    dist: Vec<f64>,
    pos: Vec<u32>,
}

impl Batch {
    /// Reduced distance of query i's k-th neighbour.
    #[inline]
    pub fn kth(&self, i: usize) -> f64 {
        self.dist[(i + 1) * self.width - 1]
    }
    /// Tree positions of query i's neighbours (with `Keep::All`), nearest first.
    pub fn positions(&self, i: usize) -> impl Iterator<Item = usize> + '_ {
        self.pos[i * self.width..(i + 1) * self.width]
            .iter()
            .map(|&p| p as usize)
    }
}

#[derive(Clone, Copy, Debug, Default)]
struct Node {
    start: u32,
    end: u32,
    /// Pre-order position of the right child; 0 for a leaf.
    right: u32,
}

/// Number of nodes of the subtree over `len` points.
fn subtree_nodes(len: usize) -> usize {
    if len <= LEAF {
        1
    } else {
        1 + subtree_nodes(len / 2) + subtree_nodes(len - len / 2)
    }
}

/// A kd-tree over borrowed rows, with its own copy of them in tree order.
pub struct KdTree {
    d: usize,
    n: usize,
    /// Rows in tree order, row-major.
    points: Vec<f64>,
    /// Original row of each tree position.
    index: Vec<u32>,
    nodes: Vec<Node>,
    /// Per node: d lower then d upper bounds.
    bounds: Vec<f64>,
}

/// The k nearest candidates so far, sorted by reduced distance (ascending).
#[derive(Clone, Debug)]
pub struct Neighbours {
    k: usize,
    len: usize,
    dist: Vec<f64>,
    pos: Vec<u32>,
}

impl Neighbours {
    pub fn new(k: usize) -> Self {
        Neighbours {
            k,
            len: 0,
            dist: vec![f64::INFINITY; k],
            pos: vec![0; k],
        }
    }
    pub(super) fn clear(&mut self, k: usize) {
        if self.dist.len() < k {
            self.dist.resize(k, f64::INFINITY);
            self.pos.resize(k, 0);
        }
        self.k = k;
        self.len = 0;
    }
    /// Current pruning bound: the k-th reduced distance, or infinity until k are found.
    #[inline(always)]
    pub(super) fn bound(&self) -> f64 {
        if self.len < self.k {
            f64::INFINITY
        } else {
            self.dist[self.k - 1]
        }
    }
    /// Insert a candidate closer than the bound, keeping the list sorted (later equal
    /// distances after earlier ones).
    #[inline(always)]
    pub(super) fn insert(&mut self, dist: f64, pos: u32) {
        let mut at = self.len.min(self.k - 1);
        while at > 0 && self.dist[at - 1] > dist {
            self.dist[at] = self.dist[at - 1];
            self.pos[at] = self.pos[at - 1];
            at -= 1;
        }
        self.dist[at] = dist;
        self.pos[at] = pos;
        self.len = (self.len + 1).min(self.k);
    }
    /// Reduced distance of the k-th neighbour (infinity if fewer were found).
    pub fn kth(&self) -> f64 {
        self.bound()
    }
    /// Reduced distance of the nearest neighbour found, if any.
    fn first(&self) -> Option<f64> {
        (self.len > 0).then(|| self.dist[0])
    }
    /// Tree positions of the neighbours found, nearest first.
    pub fn positions(&self) -> impl Iterator<Item = usize> + '_ {
        self.pos[..self.len].iter().map(|&p| p as usize)
    }
}

/// What a query ignores: its own position, and (for the positive radius) exact copies.
#[derive(Clone, Copy)]
struct Skip {
    pos: usize,
    zeros: bool,
}

impl KdTree {
    /// Build over `rows` (row-major, `d` columns).
    pub fn build(rows: &[f64], d: usize) -> Result<Self> {
        if d == 0 {
            return Err(Error::value("x", "expected at least one column"));
        }
        let n = rows.len() / d;
        if n > u32::MAX as usize / 2 {
            return Err(Error::value("x", "more than 2^31 rows are not supported"));
        }
        let count = subtree_nodes(n.max(1));
        let mut nodes = vec![Node::default(); count];
        let mut bounds = vec![0.0; count * 2 * d];
        let (points, perm) = crate::pool::install(|| match d {
            1 => build_fixed::<1>(rows, &mut nodes, &mut bounds),
            2 => build_fixed::<2>(rows, &mut nodes, &mut bounds),
            3 => build_fixed::<3>(rows, &mut nodes, &mut bounds),
            4 => build_fixed::<4>(rows, &mut nodes, &mut bounds),
            _ => build_indirect(rows, d, &mut nodes, &mut bounds),
        });
        Ok(KdTree {
            d,
            n,
            points,
            index: perm,
            nodes,
            bounds,
        })
    }

    pub fn len(&self) -> usize {
        self.n
    }
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }
    pub fn dim(&self) -> usize {
        self.d
    }
    /// Row at tree position `pos`.
    #[inline]
    pub fn row(&self, pos: usize) -> &[f64] {
        &self.points[pos * self.d..(pos + 1) * self.d]
    }
    /// Original row number of tree position `pos`.
    #[inline]
    pub fn original(&self, pos: usize) -> usize {
        self.index[pos] as usize
    }

    #[inline]
    fn node_box(&self, node: usize) -> (&[f64], &[f64]) {
        let b = &self.bounds[node * 2 * self.d..(node + 1) * 2 * self.d];
        b.split_at(self.d)
    }

    /// The `k` nearest points to `q` (never tree position `skip`, if given), into `out`.
    pub fn nearest(
        &self,
        q: &[f64],
        k: usize,
        metric: Metric,
        skip: Option<usize>,
        out: &mut Neighbours,
    ) {
        let skip = Skip {
            pos: skip.unwrap_or(usize::MAX),
            zeros: false,
        };
        match metric {
            Metric::Max => self.query_dim::<MaxNorm>(q, k, skip, out),
            Metric::Euclidean => self.query_dim::<EuclideanNorm>(q, k, skip, out),
        }
    }

    /// `query` with the dimension fixed at compile time where it is small.
    fn query_dim<N: Norm>(&self, q: &[f64], k: usize, skip: Skip, out: &mut Neighbours) {
        match self.d {
            1 => self.query::<N, 1>(q, k, skip, out),
            2 => self.query::<N, 2>(q, k, skip, out),
            3 => self.query::<N, 3>(q, k, skip, out),
            4 => self.query::<N, 4>(q, k, skip, out),
            _ => self.query::<N, 0>(q, k, skip, out),
        }
    }

    /// Reduced distance from `q` to its nearest point at a positive distance (skipping
    /// tree position `skip`), or None when every point coincides with `q`.
    pub fn nearest_positive(&self, q: &[f64], metric: Metric, skip: Option<usize>) -> Option<f64> {
        let mut out = Neighbours::new(1);
        let skip = Skip {
            pos: skip.unwrap_or(usize::MAX),
            zeros: true,
        };
        match metric {
            Metric::Max => self.query_dim::<MaxNorm>(q, 1, skip, &mut out),
            Metric::Euclidean => self.query_dim::<EuclideanNorm>(q, 1, skip, &mut out),
        }
        out.first()
    }

    fn query<N: Norm, const D: usize>(
        &self,
        q: &[f64],
        k: usize,
        skip: Skip,
        out: &mut Neighbours,
    ) {
        out.clear(k);
        if self.n == 0 || k == 0 {
            return;
        }
        if skip.pos >= self.n {
            self.search::<N, D>(0, q, skip, out);
            return;
        }
        // A query from one of the tree's own points starts in its own leaf and climbs:
        // the leaf gives a tight bound at once, and each ancestor's other child is then
        // searched only if its box is closer than the bound.
        let mut path = [0u32; 64];
        let mut depth = 0;
        let mut node = 0;
        loop {
            let nd = self.nodes[node];
            if nd.right == 0 {
                break;
            }
            path[depth] = node as u32;
            depth += 1;
            let right = nd.right as usize;
            node = if skip.pos < self.nodes[right].start as usize {
                node + 1
            } else {
                right
            };
        }
        self.scan::<N, D>(node, q, skip, out);
        let mut child = node;
        while depth > 0 {
            depth -= 1;
            let parent = path[depth] as usize;
            let right = self.nodes[parent].right as usize;
            let sibling = if child == right { parent + 1 } else { right };
            let (lo, hi) = self.node_box(sibling);
            if N::to_box::<D>(q, lo, hi) < out.bound() {
                self.search::<N, D>(sibling, q, skip, out);
            }
            child = parent;
        }
    }

    #[inline(always)]
    fn scan<N: Norm, const D: usize>(
        &self,
        leaf: usize,
        q: &[f64],
        skip: Skip,
        out: &mut Neighbours,
    ) {
        let nd = self.nodes[leaf];
        for pos in nd.start as usize..nd.end as usize {
            let dist = N::reduced::<D>(q, self.row(pos));
            if dist < out.bound() && pos != skip.pos && !(skip.zeros && dist == 0.0) {
                out.insert(dist, pos as u32);
            }
        }
    }

    fn search<N: Norm, const D: usize>(
        &self,
        node: usize,
        q: &[f64],
        skip: Skip,
        out: &mut Neighbours,
    ) {
        let nd = self.nodes[node];
        if nd.right == 0 {
            self.scan::<N, D>(node, q, skip, out);
            return;
        }
        let (left, right) = (node + 1, nd.right as usize);
        let near_left = {
            let (lo, hi) = self.node_box(left);
            N::to_box::<D>(q, lo, hi)
        };
        let near_right = {
            let (lo, hi) = self.node_box(right);
            N::to_box::<D>(q, lo, hi)
        };
        let ((first, d1), (second, d2)) = if near_left <= near_right {
            ((left, near_left), (right, near_right))
        } else {
            ((right, near_right), (left, near_left))
        };
        if d1 < out.bound() {
            self.search::<N, D>(first, q, skip, out);
        }
        if d2 < out.bound() {
            self.search::<N, D>(second, q, skip, out);
        }
    }

    /// All rows, in tree order.
    pub fn rows(&self) -> &[f64] {
        &self.points
    }

    /// The `k` nearest neighbours of every query, searched in parallel: the tree's own
    /// points in tree order (each skipping itself) when `queries` is None, else the rows
    /// of `queries`. (A tiled all-pairs scan was measured against this search up to
    /// d = 20 and never won: the bounding boxes keep pruning, and where they cannot the
    /// search costs about what the scan does.)
    pub fn nearest_all(
        &self,
        queries: Option<&[f64]>,
        k: usize,
        metric: Metric,
        keep: Keep,
        cancel: &Cancel,
    ) -> Result<Batch> {
        let nq = queries.map_or(self.n, |q| q.len() / self.d);
        let width = match keep {
            Keep::Kth => 1,
            Keep::All => k,
        };
        let mut batch = Batch {
            width,
            dist: vec![f64::INFINITY; nq * width],
            pos: vec![0; nq * width],
        };
        if nq == 0 || k == 0 {
            return Ok(batch);
        }
        crate::pool::install(|| {
            batch
                .dist
                .par_chunks_mut(width * QUERY_CHUNK)
                .zip(batch.pos.par_chunks_mut(width * QUERY_CHUNK))
                .enumerate()
                .try_for_each(|(c, (dist, pos))| {
                    cancel.check()?;
                    let first = c * QUERY_CHUNK;
                    let mut list = Neighbours::new(k);
                    for i in 0..dist.len() / width {
                        let q = match queries {
                            None => self.row(first + i),
                            Some(rows) => &rows[(first + i) * self.d..(first + i + 1) * self.d],
                        };
                        let skip = queries.is_none().then_some(first + i);
                        self.nearest(q, k, metric, skip, &mut list);
                        let at = i * width;
                        match keep {
                            Keep::Kth => dist[at] = list.kth(),
                            Keep::All => {
                                dist[at..at + list.len].copy_from_slice(&list.dist[..list.len]);
                                pos[at..at + list.len].copy_from_slice(&list.pos[..list.len]);
                            }
                        }
                    }
                    Ok(())
                })
        })?;
        Ok(batch)
    }

    /// Number of points within reduced distance `r` of `q`: `dist < r` when `strict`,
    /// else `dist <= r`. A point equal to `q` (itself included) is counted like any other.
    pub fn count_within(&self, q: &[f64], r: f64, metric: Metric, strict: bool) -> usize {
        if self.n == 0 {
            return 0;
        }
        match (metric, strict) {
            (Metric::Max, true) => self.count::<MaxNorm, true>(0, q, r),
            (Metric::Max, false) => self.count::<MaxNorm, false>(0, q, r),
            (Metric::Euclidean, true) => self.count::<EuclideanNorm, true>(0, q, r),
            (Metric::Euclidean, false) => self.count::<EuclideanNorm, false>(0, q, r),
        }
    }

    fn count<N: Norm, const STRICT: bool>(&self, node: usize, q: &[f64], r: f64) -> usize {
        let inside = |dist: f64| if STRICT { dist < r } else { dist <= r };
        let nd = self.nodes[node];
        let (lo, hi) = self.node_box(node);
        if !inside(N::to_box::<0>(q, lo, hi)) {
            return 0;
        }
        if inside(N::to_box_far::<0>(q, lo, hi)) {
            return (nd.end - nd.start) as usize;
        }
        if nd.right == 0 {
            return (nd.start as usize..nd.end as usize)
                .filter(|&pos| inside(N::reduced::<0>(q, self.row(pos))))
                .count();
        }
        self.count::<N, STRICT>(node + 1, q, r) + self.count::<N, STRICT>(nd.right as usize, q, r)
    }
}

/// Build with the rows themselves as the items partitioned (small d): every select
/// pass then reads and moves contiguous memory.
fn build_fixed<const D: usize>(
    rows: &[f64],
    nodes: &mut [Node],
    bounds: &mut [f64],
) -> (Vec<f64>, Vec<u32>) {
    let mut items: Vec<([f64; D], u32)> = rows
        .chunks_exact(D)
        .zip(0u32..)
        .map(|(r, i)| (r.try_into().unwrap(), i))
        .collect();
    build_node(
        &mut items,
        &|it: &([f64; D], u32), j| it.0[j],
        D,
        0,
        nodes,
        bounds,
        0,
    );
    let points = items.iter().flat_map(|it| it.0).collect();
    let index = items.iter().map(|it| it.1).collect();
    (points, index)
}

/// Build over row numbers (any d): the select passes read the rows indirectly.
fn build_indirect(
    rows: &[f64],
    d: usize,
    nodes: &mut [Node],
    bounds: &mut [f64],
) -> (Vec<f64>, Vec<u32>) {
    let n = rows.len() / d;
    let mut perm: Vec<u32> = (0..n as u32).collect();
    let coord = |&i: &u32, j: usize| rows[i as usize * d + j];
    build_node(&mut perm, &coord, d, 0, nodes, bounds, 0);
    let mut points = vec![0.0; n * d];
    points
        .par_chunks_mut(d * QUERY_CHUNK)
        .zip(perm.par_chunks(QUERY_CHUNK))
        .for_each(|(out, ids)| {
            for (row, &i) in out.chunks_exact_mut(d).zip(ids) {
                let i = i as usize;
                row.copy_from_slice(&rows[i * d..(i + 1) * d]);
            }
        });
    (points, perm)
}

/// Build the subtree over `items` (tree positions `start..`; `coord(item, j)` reads
/// column j) into `nodes[0..]` / `bounds[0..]` (this subtree's pre-order slices); `at`
/// is the subtree root's global pre-order index.
fn build_node<T: Send, F: Fn(&T, usize) -> f64 + Sync>(
    items: &mut [T],
    coord: &F,
    d: usize,
    start: usize,
    nodes: &mut [Node],
    bounds: &mut [f64],
    at: usize,
) {
    let len = items.len();
    let (lo, hi) = bounds[..2 * d].split_at_mut(d);
    lo.fill(f64::INFINITY);
    hi.fill(f64::NEG_INFINITY);
    for it in items.iter() {
        for j in 0..d {
            let v = coord(it, j);
            lo[j] = lo[j].min(v);
            hi[j] = hi[j].max(v);
        }
    }
    if len <= LEAF {
        nodes[0] = Node {
            start: start as u32,
            end: (start + len) as u32,
            right: 0,
        };
        return;
    }
    let widest = (0..d)
        .max_by(|&a, &b| (hi[a] - lo[a]).total_cmp(&(hi[b] - lo[b])))
        .unwrap_or(0);
    let mid = len / 2;
    items.select_nth_unstable_by(mid, |a, b| coord(a, widest).total_cmp(&coord(b, widest)));
    let left_nodes = subtree_nodes(mid);
    nodes[0] = Node {
        start: start as u32,
        end: (start + len) as u32,
        right: (at + 1 + left_nodes) as u32,
    };
    let (left_items, right_items) = items.split_at_mut(mid);
    let (left_nodes_slice, right_nodes_slice) = nodes[1..].split_at_mut(left_nodes);
    let (left_bounds, right_bounds) = bounds[2 * d..].split_at_mut(left_nodes * 2 * d);
    let mut left = move || {
        build_node(
            left_items,
            coord,
            d,
            start,
            left_nodes_slice,
            left_bounds,
            at + 1,
        )
    };
    let mut right = move || {
        build_node(
            right_items,
            coord,
            d,
            start + mid,
            right_nodes_slice,
            right_bounds,
            at + 1 + left_nodes,
        )
    };
    if len >= PAR_BUILD {
        rayon::join(left, right);
    } else {
        left();
        right();
    }
}

/// Run `f(pos)` for every position 0..n in parallel chunks, collecting one value per
/// position (in order); checks `cancel` between chunks.
pub fn map_positions<T, F>(n: usize, cancel: &Cancel, f: F) -> Result<Vec<T>>
where
    T: Send + Default + Clone,
    F: Fn(usize) -> T + Sync,
{
    map_positions_with(n, cancel, || (), |pos, _| f(pos))
}

/// `map_positions` with scratch space: `init()` once per chunk, lent to every call of
/// `f(pos, scratch)` in it.
pub fn map_positions_with<T, S, I, F>(n: usize, cancel: &Cancel, init: I, f: F) -> Result<Vec<T>>
where
    T: Send + Default + Clone,
    I: Fn() -> S + Sync,
    F: Fn(usize, &mut S) -> T + Sync,
{
    let mut out = vec![T::default(); n];
    crate::pool::install(|| {
        out.par_chunks_mut(QUERY_CHUNK)
            .enumerate()
            .try_for_each(|(c, chunk)| {
                cancel.check()?;
                let mut scratch = init();
                for (i, slot) in chunk.iter_mut().enumerate() {
                    *slot = f(c * QUERY_CHUNK + i, &mut scratch);
                }
                Ok(())
            })
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg_points(n: usize, d: usize, seed: u64) -> Vec<f64> {
        let mut s = seed;
        (0..n * d)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 11) as f64 / (1u64 << 53) as f64 * 8.0).floor() / 4.0 + (s >> 60) as f64
            })
            .collect()
    }

    fn brute_kth(rows: &[f64], d: usize, i: usize, k: usize, m: Metric) -> f64 {
        let n = rows.len() / d;
        let q = &rows[i * d..(i + 1) * d];
        let mut ds: Vec<f64> = (0..n)
            .filter(|&j| j != i)
            .map(|j| m.reduced(q, &rows[j * d..(j + 1) * d]))
            .collect();
        ds.sort_by(f64::total_cmp);
        ds[k - 1]
    }

    #[test]
    fn kth_distance_and_counts_match_brute_force_with_ties() {
        for &(n, d) in &[
            (1usize, 1usize),
            (2, 1),
            (13, 2),
            (200, 3),
            (500, 5),
            (300, 1),
        ] {
            let rows = lcg_points(n, d, (n * 31 + d) as u64);
            let tree = KdTree::build(&rows, d).unwrap();
            for m in [Metric::Max, Metric::Euclidean] {
                let mut nb = Neighbours::new(1);
                for pos in 0..n {
                    let q = tree.row(pos).to_vec();
                    let i = tree.original(pos);
                    assert_eq!(q, &rows[i * d..(i + 1) * d]);
                    for k in 1..n.min(6) {
                        tree.nearest(&q, k, m, Some(pos), &mut nb);
                        assert_eq!(nb.kth(), brute_kth(&rows, d, i, k, m));
                    }
                    for r in [0.0, 0.25, 0.5, 1.3] {
                        let r = m.reduce(r);
                        for strict in [true, false] {
                            let expect = (0..n)
                                .filter(|&j| {
                                    let t = m.reduced(&q, &rows[j * d..(j + 1) * d]);
                                    if strict {
                                        t < r
                                    } else {
                                        t <= r
                                    }
                                })
                                .count();
                            assert_eq!(tree.count_within(&q, r, m, strict), expect);
                        }
                    }
                    let positive = (0..n)
                        .filter(|&j| j != i)
                        .map(|j| m.reduced(&q, &rows[j * d..(j + 1) * d]))
                        .filter(|&t| t > 0.0)
                        .min_by(f64::total_cmp);
                    assert_eq!(tree.nearest_positive(&q, m, Some(pos)), positive);
                }
            }
        }
    }

    #[test]
    fn nearest_all_equals_single_queries() {
        let mut s = 99u64;
        let mut uniform = |len: usize| -> Vec<f64> {
            (0..len)
                .map(|_| {
                    s = s
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    (s >> 11) as f64 / (1u64 << 53) as f64
                })
                .collect()
        };
        let cancel = Cancel::new();
        for &(n, d) in &[(2100usize, 12usize), (3000, 2)] {
            let rows = uniform(n * d);
            let others = uniform(300 * d);
            let tree = KdTree::build(&rows, d).unwrap();
            for m in [Metric::Max, Metric::Euclidean] {
                let own = tree.nearest_all(None, 3, m, Keep::All, &cancel).unwrap();
                let ext = tree
                    .nearest_all(Some(&others), 3, m, Keep::Kth, &cancel)
                    .unwrap();
                let mut nb = Neighbours::new(3);
                for pos in (0..n).step_by(7) {
                    tree.nearest(tree.row(pos), 3, m, Some(pos), &mut nb);
                    assert_eq!(own.kth(pos), nb.kth());
                    let mut got: Vec<usize> = own.positions(pos).collect();
                    let mut want: Vec<usize> = nb.positions().collect();
                    got.sort_unstable();
                    want.sort_unstable();
                    assert_eq!(got, want);
                }
                for i in 0..300 {
                    tree.nearest(&others[i * d..(i + 1) * d], 3, m, None, &mut nb);
                    assert_eq!(ext.kth(i), nb.kth());
                }
            }
        }
    }

    #[test]
    fn parallel_build_matches_layout() {
        let (n, d) = (40_000, 2);
        let rows = lcg_points(n, d, 7);
        let tree = KdTree::build(&rows, d).unwrap();
        let mut seen = vec![false; n];
        for pos in 0..n {
            seen[tree.original(pos)] = true;
        }
        assert!(seen.iter().all(|&s| s));
        assert_eq!(tree.nodes.len(), subtree_nodes(n));
        let mut nb = Neighbours::new(3);
        for pos in (0..n).step_by(997) {
            let q = tree.row(pos).to_vec();
            tree.nearest(&q, 3, Metric::Max, Some(pos), &mut nb);
            assert_eq!(
                nb.kth(),
                brute_kth(&rows, d, tree.original(pos), 3, Metric::Max)
            );
        }
    }
}
