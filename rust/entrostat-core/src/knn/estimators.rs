//! The k-NN estimators: Kozachenko-Leonenko entropy, KSG mutual information (1 and 2),
//! Frenzel-Pompe conditional MI, Gao et al.'s mixed MI, Ross's continuous-discrete MI
//! and the Wang-Kulkarni-Verdu KL divergence. Formulas: docs/estimators.md.
//!
//! Every estimator is a mean of per-point terms; points are visited in the tree order of
//! the sample they query (neighbouring queries share the tree's cache lines).

use super::grid::Grid;
use super::space::Space;
use super::tree::{map_positions, KdTree, Keep, Metric};
use crate::cancel::Cancel;
use crate::error::{Error, Result};
use crate::special::{digamma, digamma_int, ln_gamma};

/// Row-major samples: `rows.len() == n * d`.
#[derive(Clone, Copy, Debug)]
pub struct Sample<'a> {
    pub rows: &'a [f64],
    pub d: usize,
}

impl<'a> Sample<'a> {
    pub fn new(rows: &'a [f64], d: usize) -> Self {
        Sample { rows, d }
    }
    pub fn n(&self) -> usize {
        self.rows.len().checked_div(self.d).unwrap_or(0)
    }
    fn row(&self, i: usize) -> &'a [f64] {
        &self.rows[i * self.d..(i + 1) * self.d]
    }
}

/// Reject an unusable sample: no columns, a ragged buffer, non-finite values.
fn check_sample(s: &Sample<'_>, arg: &'static str) -> Result<()> {
    if s.d == 0 || s.rows.len() % s.d != 0 {
        return Err(Error::value(
            arg,
            "expected a 2-D array with at least one column",
        ));
    }
    if s.rows.iter().any(|v| !v.is_finite()) {
        return Err(Error::value(arg, "contains NaN or infinity"));
    }
    Ok(())
}

/// `k` must leave at least one other point: 1 <= k < n, and n >= 2.
fn check_k(k: usize, n: usize, arg: &'static str) -> Result<()> {
    if n < 2 {
        return Err(Error::value(
            arg,
            format!("expected at least 2 samples, got {n}"),
        ));
    }
    if k == 0 || k >= n {
        return Err(Error::value(
            "k",
            format!("expected 1 <= k < n_samples = {n}, got k = {k}"),
        ));
    }
    Ok(())
}

fn check_same_n(samples: &[(&Sample<'_>, &'static str)]) -> Result<usize> {
    let n = samples[0].0.n();
    for (s, arg) in &samples[1..] {
        if s.n() != n {
            return Err(Error::value(
                arg,
                format!(
                    "expected {n} samples (as in {}), got {}",
                    samples[0].1,
                    s.n()
                ),
            ));
        }
    }
    Ok(n)
}

/// Columns side by side: row i of the result is the rows i of `parts`, concatenated.
fn concat(parts: &[&Sample<'_>]) -> (Vec<f64>, usize) {
    let n = parts[0].n();
    let d: usize = parts.iter().map(|p| p.d).sum();
    let mut out = Vec::with_capacity(n * d);
    for i in 0..n {
        for p in parts {
            out.extend_from_slice(p.row(i));
        }
    }
    (out, d)
}

/// log of the volume of the unit ball of `metric` in `d` dimensions.
pub fn ln_unit_ball(metric: Metric, d: usize) -> f64 {
    let d = d as f64;
    match metric {
        Metric::Max => d * std::f64::consts::LN_2,
        Metric::Euclidean => 0.5 * d * std::f64::consts::PI.ln() - ln_gamma(0.5 * d + 1.0),
    }
}

/// The positive k-NN radius of `q` in `tree` (true distance) and the number of points
/// it holds, from the k-th neighbour's reduced distance `kth`: that distance with count
/// k, or, when it is 0 (copies of q), the nearest positive distance with every point
/// inside it counted.
fn positive_radius(
    tree: &KdTree,
    q: &[f64],
    kth: f64,
    k: usize,
    metric: Metric,
    skip: Option<usize>,
) -> Option<(f64, usize)> {
    if kth > 0.0 {
        return Some((metric.expand(kth), k));
    }
    let r = tree.nearest_positive(q, metric, skip)?;
    let inside = tree.count_within(q, r, metric, false) - usize::from(skip.is_some());
    Some((metric.expand(r), inside))
}

/// `value(p)` of every tree position p of `tree`, placed at p's original row.
fn by_row(tree: &KdTree, value: impl Fn(usize) -> f64) -> Vec<f64> {
    let mut out = vec![0.0; tree.len()];
    for p in 0..tree.len() {
        out[tree.original(p)] = value(p);
    }
    out
}

/// 1 when a strict count inside `r` includes the point itself (r > 0), else 0.
fn own(r: f64) -> usize {
    usize::from(r > 0.0)
}

fn mean(terms: &[f64]) -> f64 {
    terms.iter().sum::<f64>() / terms.len() as f64
}

fn all_identical(arg: &'static str) -> Error {
    Error::value(
        arg,
        "all samples are identical; no positive neighbour distance exists",
    )
}

/// An error unless every k-th neighbour distance in `kth` is positive: a point with k or
/// more exact copies has none, and the KSG and Ross estimators, which count the points
/// strictly inside that distance, are not defined there (on such data they gave values
/// that did not depend on the data, or negative mutual information). `args` names the
/// joint samples.
fn no_copies(kth: impl ExactSizeIterator<Item = f64>, args: &'static str) -> Result<()> {
    let n = kth.len();
    match kth.filter(|&e| e == 0.0).count() {
        0 => Ok(()),
        copied => Err(copies_error(args, copied, n, "k or more exact copies")),
    }
}

fn copies_error(args: &'static str, copied: usize, n: usize, copies: &str) -> Error {
    Error::value(
        args,
        format!(
            "{copied} of the {n} points have {copies} (repeated values), so their k-th \
             neighbour is at distance 0; these estimators need distinct points: break the \
             ties with a little noise (jitter > 0 where the function has it), or use \
             mutual_info_mixed(method=\"gao\") for discrete values"
        ),
    )
}

/// Kozachenko-Leonenko differential entropy (nats):
/// psi(n) + log V_d + mean_i [d log r_i - psi(k_i)].
pub fn kl_entropy(x: Sample<'_>, k: usize, metric: Metric, cancel: &Cancel) -> Result<f64> {
    check_sample(&x, "x")?;
    let n = x.n();
    check_k(k, n, "x")?;
    let tree = KdTree::build(x.rows, x.d)?;
    let d = x.d as f64;
    let knn = tree.nearest_all(None, k, metric, Keep::Kth, cancel)?;
    let terms = map_positions(n, cancel, |p| {
        positive_radius(&tree, tree.row(p), knn.kth(p), k, metric, Some(p))
            .map(|(r, kp)| d * r.ln() - digamma_int(kp))
            .unwrap_or(f64::NAN)
    })?;
    if terms.iter().any(|t| t.is_nan()) {
        return Err(all_identical("x"));
    }
    Ok(digamma(n as f64) + ln_unit_ball(metric, x.d) + mean(&terms))
}

/// Which KSG estimator: 1 (strict counts inside the joint radius) or 2 (non-strict
/// counts inside each marginal's own radius).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ksg {
    One,
    Two,
}

/// Kraskov-Stoegbauer-Grassberger mutual information I(X; Y) (nats), max-norm.
pub fn ksg_mutual_info(
    x: Sample<'_>,
    y: Sample<'_>,
    k: usize,
    variant: Ksg,
    cancel: &Cancel,
) -> Result<f64> {
    check_sample(&x, "x")?;
    check_sample(&y, "y")?;
    let n = check_same_n(&[(&x, "x"), (&y, "y")])?;
    check_k(k, n, "x")?;
    // Two scalars: the joint search runs on a grid, built while the columns sort.
    let plane = variant == Ksg::One && x.d == 1 && y.d == 1;
    let (grid, (sx, sy)) = crate::pool::install(|| {
        rayon::join(
            || plane.then(|| Grid::build(x.rows, y.rows)).flatten(),
            || rayon::join(|| Space::build(x.rows, x.d), || Space::build(y.rows, y.d)),
        )
    });
    let (sx, sy) = (sx?, sy?);
    if let Some(grid) = grid {
        let eps = grid.kth_distances(k, cancel)?;
        return ksg1_from_radii(&sx, &sy, &eps, k, n, cancel);
    }
    let (joint, dj) = concat(&[&x, &y]);
    let tree = KdTree::build(&joint, dj)?;
    let keep = match variant {
        Ksg::One => Keep::Kth,
        Ksg::Two => Keep::All,
    };
    let knn = tree.nearest_all(None, k, Metric::Max, keep, cancel)?;
    let sums = match variant {
        Ksg::One => {
            let eps = by_row(&tree, |p| knn.kth(p));
            return ksg1_from_radii(&sx, &sy, &eps, k, n, cancel);
        }
        Ksg::Two => {
            no_copies((0..n).map(|p| knn.kth(p)), "x, y")?;
            // Each marginal's radius: the farthest of the k joint neighbours in it.
            let dx = x.d;
            let radii = map_positions(n, cancel, |p| {
                let (qx, qy) = tree.row(p).split_at(dx);
                let (mut ex, mut ey) = (0.0f64, 0.0f64);
                for j in knn.positions(p) {
                    let (nx, ny) = tree.row(j).split_at(dx);
                    ex = ex.max(Metric::Max.reduced(qx, nx));
                    ey = ey.max(Metric::Max.reduced(qy, ny));
                }
                (ex, ey)
            })?;
            let ex = by_row(&tree, |p| radii[p].0);
            let ey = by_row(&tree, |p| radii[p].1);
            let term = |c: usize, _| digamma_int(c - 1);
            sx.sum_counts(&ex, |_| false, term, cancel)?
                + sy.sum_counts(&ey, |_| false, term, cancel)?
        }
    };
    let base = digamma(k as f64) + digamma(n as f64) - sums / n as f64;
    Ok(match variant {
        Ksg::One => base,
        Ksg::Two => base - 1.0 / k as f64,
    })
}

/// KSG-1 from the joint k-th neighbour distances `eps` (by row): psi(k) + psi(n) -
/// mean_i [psi(n_x + 1) + psi(n_y + 1)], counts strictly inside eps_i, self excluded.
fn ksg1_from_radii(
    sx: &Space,
    sy: &Space,
    eps: &[f64],
    k: usize,
    n: usize,
    cancel: &Cancel,
) -> Result<f64> {
    no_copies(eps.iter().copied(), "x, y")?;
    let term = |c: usize, r: f64| digamma_int(c - own(r) + 1);
    let sums =
        sx.sum_counts(eps, |_| true, term, cancel)? + sy.sum_counts(eps, |_| true, term, cancel)?;
    Ok(digamma(k as f64) + digamma(n as f64) - sums / n as f64)
}

/// Frenzel-Pompe conditional mutual information I(X; Y | Z) (nats), max-norm:
/// psi(k) + mean_i [psi(n_z + 1) - psi(n_xz + 1) - psi(n_yz + 1)], strict counts.
pub fn ksg_conditional_mutual_info(
    x: Sample<'_>,
    y: Sample<'_>,
    z: Sample<'_>,
    k: usize,
    cancel: &Cancel,
) -> Result<f64> {
    check_sample(&x, "x")?;
    check_sample(&y, "y")?;
    check_sample(&z, "z")?;
    let n = check_same_n(&[(&x, "x"), (&y, "y"), (&z, "z")])?;
    check_k(k, n, "x")?;
    let (joint, dj) = concat(&[&x, &y, &z]);
    let (xz, dxz) = concat(&[&x, &z]);
    let (yz, dyz) = concat(&[&y, &z]);
    let tree = KdTree::build(&joint, dj)?;
    let (sxz, syz, sz) = (
        Space::build(&xz, dxz)?,
        Space::build(&yz, dyz)?,
        Space::build(z.rows, z.d)?,
    );
    let knn = tree.nearest_all(None, k, Metric::Max, Keep::Kth, cancel)?;
    let eps = by_row(&tree, |p| knn.kth(p));
    no_copies(eps.iter().copied(), "x, y, z")?;
    let term = |c: usize, r: f64| digamma_int(c - own(r) + 1);
    let sum = |s: &Space| s.sum_counts(&eps, |_| true, term, cancel);
    Ok(digamma(k as f64) + (sum(&sz)? - sum(&sxz)? - sum(&syz)?) / n as f64)
}

/// Gao-Kannan-Oh-Viswanath mutual information for discrete-continuous mixtures (nats),
/// in the form of the authors' released code: mean_i [psi(k_i) + log n - psi(n_x) -
/// psi(n_y)], counts taken strictly inside the k-th joint neighbour distance rho_i (self
/// included), or, where rho_i = 0, over the exact copies (k_i then counts joint copies).
pub fn mixed_mutual_info(x: Sample<'_>, y: Sample<'_>, k: usize, cancel: &Cancel) -> Result<f64> {
    check_sample(&x, "x")?;
    check_sample(&y, "y")?;
    let n = check_same_n(&[(&x, "x"), (&y, "y")])?;
    check_k(k, n, "x")?;
    let (joint, dj) = concat(&[&x, &y]);
    let tree = KdTree::build(&joint, dj)?;
    let (sx, sy) = (Space::build(x.rows, x.d)?, Space::build(y.rows, y.d)?);
    let knn = tree.nearest_all(None, k, Metric::Max, Keep::Kth, cancel)?;
    // rho > 0: strictly inside; rho = 0: the copies (distance <= 0), k_i counting them.
    let copies = map_positions(n, cancel, |p| {
        let rho = knn.kth(p);
        let kt = if rho > 0.0 {
            k
        } else {
            tree.count_within(tree.row(p), 0.0, Metric::Max, false)
        };
        digamma_int(kt)
    })?;
    let rho = by_row(&tree, |p| knn.kth(p));
    let term = |c: usize, _| digamma_int(c);
    let strict = |r: f64| r > 0.0;
    let nx = sx.sum_counts(&rho, strict, term, cancel)?;
    let ny = sy.sum_counts(&rho, strict, term, cancel)?;
    Ok(mean(&copies) + (n as f64).ln() - (nx + ny) / n as f64)
}

/// Dense codes 0..K of labels, in order of first sorted value, and K.
pub fn dense_codes<T: Ord + Copy>(labels: &[T]) -> (Vec<u32>, usize) {
    let mut order: Vec<u32> = (0..labels.len() as u32).collect();
    order.sort_unstable_by_key(|&i| labels[i as usize]);
    let mut codes = vec![0u32; labels.len()];
    let mut k = 0u32;
    for (at, w) in order.iter().enumerate() {
        if at > 0 && labels[order[at - 1] as usize] != labels[*w as usize] {
            k += 1;
        }
        codes[*w as usize] = k;
    }
    (codes, if labels.is_empty() { 0 } else { k as usize + 1 })
}

/// Ross's mutual information between continuous `x` and discrete `labels` (dense codes
/// 0..n_labels), as scikit-learn computes it: rows whose label occurs once are dropped;
/// psi(n) + <psi(k_c)> - <psi(N_c)> - <psi(m_i)>, with m_i counting (strictly) the kept
/// rows within the distance to the k_c-th neighbour of the same label.
pub fn ross_mutual_info(
    x: Sample<'_>,
    labels: &[u32],
    n_labels: usize,
    k: usize,
    cancel: &Cancel,
) -> Result<f64> {
    check_sample(&x, "x")?;
    if labels.len() != x.n() {
        return Err(Error::value(
            "labels",
            format!(
                "expected {} labels (one per row of x), got {}",
                x.n(),
                labels.len()
            ),
        ));
    }
    if k == 0 {
        return Err(Error::value("k", "expected k >= 1, got 0"));
    }
    let mut size = vec![0usize; n_labels];
    for &c in labels {
        size[c as usize] += 1;
    }
    let kept: Vec<usize> = (0..labels.len())
        .filter(|&i| size[labels[i] as usize] > 1)
        .collect();
    let n = kept.len();
    if n < 2 {
        return Ok(0.0);
    }
    let d = x.d;
    let mut kept_rows = Vec::with_capacity(n * d);
    for &i in &kept {
        kept_rows.extend_from_slice(x.row(i));
    }
    let all = Space::build(&kept_rows, d)?;
    // Members of each label, as positions among the kept rows.
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); n_labels];
    for (at, &i) in kept.iter().enumerate() {
        members[labels[i] as usize].push(at);
    }
    let kept_row = |at: usize| &kept_rows[at * d..(at + 1) * d];
    let (mut sum_k, mut sum_size, mut sum_m) = (0.0, 0.0, 0.0);
    let mut copied = 0;
    for group in members.iter().filter(|g| !g.is_empty()) {
        let size = group.len();
        let kc = k.min(size - 1);
        let mut rows = Vec::with_capacity(size * d);
        for &at in group {
            rows.extend_from_slice(kept_row(at));
        }
        let tree = KdTree::build(&rows, d)?;
        let knn = tree.nearest_all(None, kc, Metric::Max, Keep::Kth, cancel)?;
        copied += (0..size).filter(|&p| knn.kth(p) == 0.0).count();
        if copied > 0 {
            continue; // the estimate is refused: only the copies are still counted
        }
        let m = map_positions(size, cancel, |p| {
            let q = tree.row(p);
            let r = knn.kth(p);
            all.count(q, r, r > 0.0) as f64
        })?;
        sum_k += size as f64 * digamma_int(kc);
        sum_size += size as f64 * digamma_int(size);
        sum_m += m.iter().map(|&c| digamma(c)).sum::<f64>();
    }
    if copied > 0 {
        return Err(copies_error(
            "x",
            copied,
            n,
            "k or more exact copies in their class (size - 1 for smaller classes)",
        ));
    }
    let nf = n as f64;
    Ok(digamma(nf) + (sum_k - sum_size - sum_m) / nf)
}

/// Wang-Kulkarni-Verdu estimate of D(p || q) (nats) from x ~ p (n, d) and y ~ q (m, d):
/// (d/n) sum log(nu_i / rho_i) + mean [psi(k_i) - psi(l_i)] + log(m / (n - 1)).
pub fn wkv_kl_divergence(
    x: Sample<'_>,
    y: Sample<'_>,
    k: usize,
    metric: Metric,
    cancel: &Cancel,
) -> Result<f64> {
    check_sample(&x, "x")?;
    check_sample(&y, "y")?;
    if x.d != y.d {
        return Err(Error::value(
            "y",
            format!("expected {} columns (as in x), got {}", x.d, y.d),
        ));
    }
    let (n, m) = (x.n(), y.n());
    check_k(k, n, "x")?;
    if k > m {
        return Err(Error::value(
            "k",
            format!("expected k <= the {m} samples of y, got k = {k}"),
        ));
    }
    let tx = KdTree::build(x.rows, x.d)?;
    let ty = KdTree::build(y.rows, y.d)?;
    let d = x.d as f64;
    let own_knn = tx.nearest_all(None, k, metric, Keep::Kth, cancel)?;
    let other_knn = ty.nearest_all(Some(tx.rows()), k, metric, Keep::Kth, cancel)?;
    let terms = map_positions(n, cancel, |p| {
        let q = tx.row(p);
        let own = positive_radius(&tx, q, own_knn.kth(p), k, metric, Some(p));
        let other = positive_radius(&ty, q, other_knn.kth(p), k, metric, None);
        match (own, other) {
            (Some((rho, ki)), Some((nu, li))) => {
                d * (nu.ln() - rho.ln()) + digamma_int(ki) - digamma_int(li)
            }
            (None, _) => f64::NAN,
            (_, None) => f64::NEG_INFINITY,
        }
    })?;
    if terms.iter().any(|t| t.is_nan()) {
        return Err(all_identical("x"));
    }
    if terms.contains(&f64::NEG_INFINITY) {
        return Err(Error::value(
            "y",
            "every sample of y coincides with a sample of x; no positive distance exists",
        ));
    }
    Ok(mean(&terms) + (m as f64 / (n - 1) as f64).ln())
}
