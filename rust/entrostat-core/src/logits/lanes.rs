//! The rows of an array of any shape along its last axis, as 1-D views (no copies: a
//! batch of sequences sliced `logits[:, :-1]` is read where it lies).

use crate::error::{Error, Result};
use ndarray::{ArrayView, ArrayView1, Axis, Dimension};

/// One view per row, in C order of the leading axes.
#[derive(Debug, Clone)]
pub struct Rows<'a, T> {
    views: Vec<ArrayView1<'a, T>>,
    width: usize,
    lead: Vec<usize>,
}

impl<'a, T: Copy> Rows<'a, T> {
    /// The rows of `a` along its last axis; `arg` names the array in errors.
    pub fn new<D: Dimension>(a: &'a ArrayView<'_, T, D>, arg: &'static str) -> Result<Self> {
        let Some(last) = a.ndim().checked_sub(1) else {
            return Err(Error::value(
                arg,
                "expected at least 1 dimension, got a scalar",
            ));
        };
        Ok(Rows {
            views: a.lanes(Axis(last)).into_iter().collect(),
            width: a.len_of(Axis(last)),
            lead: a.shape()[..last].to_vec(),
        })
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.views.len()
    }

    pub fn is_empty(&self) -> bool {
        self.views.is_empty()
    }

    /// Entries per row.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Shape of the leading axes (the shape of a per-row result).
    pub fn lead(&self) -> &[usize] {
        &self.lead
    }

    /// Row `r` as a slice: borrowed when contiguous, else gathered into `buf`.
    #[inline]
    pub fn slice<'b>(&'b self, r: usize, buf: &'b mut Vec<T>) -> &'b [T] {
        let row = &self.views[r];
        if let Some(s) = row.as_slice() {
            return s;
        }
        buf.clear();
        buf.extend(row.iter().copied());
        buf
    }

    /// "row 5", or "row (1, 2)" for several leading axes: where row `r` lies.
    pub fn label(&self, r: usize) -> String {
        if self.lead.len() <= 1 {
            return format!("row {r}");
        }
        let mut index = vec![0; self.lead.len()];
        let mut rest = r;
        for (i, &n) in index.iter_mut().zip(&self.lead).rev() {
            *i = rest % n.max(1);
            rest /= n.max(1);
        }
        let parts: Vec<String> = index.iter().map(|i| i.to_string()).collect();
        format!("row ({})", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::{s, Array3};

    #[test]
    fn sliced_batches_are_read_in_place() {
        let a = Array3::from_shape_fn((2, 4, 3), |(i, j, k)| (i * 100 + j * 10 + k) as f64);
        let v = a.slice(s![.., ..3, ..]);
        let rows = Rows::new(&v, "x").unwrap();
        assert_eq!(
            (rows.len(), rows.width(), rows.lead()),
            (6, 3, &[2usize, 3][..])
        );
        let mut buf = Vec::new();
        assert_eq!(rows.slice(4, &mut buf), &[110.0, 111.0, 112.0]);
        assert_eq!(rows.label(4), "row (1, 1)");
        let t = a.view().reversed_axes();
        let rows = Rows::new(&t, "x").unwrap();
        assert_eq!(rows.slice(1, &mut buf), &[10.0, 110.0]);
    }
}
