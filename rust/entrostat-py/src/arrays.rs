//! Borrowing NumPy integer arrays of any dtype as core `Labels` views (no copies;
//! strided arrays are read through their strides).

use entrostat_core::labels::Domain;
use entrostat_core::Labels;
use numpy::{PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;

macro_rules! label_arrays {
    ($($t:ty => $var:ident),*) => {
        /// A borrowed 1-D integer array of one of the supported dtypes.
        pub enum LabelArray<'py> { $($var(PyReadonlyArray1<'py, $t>)),* }
        /// A borrowed 2-D integer array (rows are joint symbols).
        pub enum LabelArray2<'py> { $($var(PyReadonlyArray2<'py, $t>)),* }

        impl<'py> LabelArray<'py> {
            fn try_from(obj: &Bound<'py, PyAny>) -> Option<Self> {
                $(if let Ok(a) = obj.extract::<PyReadonlyArray1<'py, $t>>() {
                    return Some(LabelArray::$var(a));
                })*
                None
            }
            pub fn view(&self) -> Labels<'_> {
                match self { $(LabelArray::$var(a) => Labels::from(a.as_array())),* }
            }
        }

        impl<'py> LabelArray2<'py> {
            fn try_from(obj: &Bound<'py, PyAny>) -> Option<Self> {
                $(if let Ok(a) = obj.extract::<PyReadonlyArray2<'py, $t>>() {
                    return Some(LabelArray2::$var(a));
                })*
                None
            }
            /// One view per column.
            pub fn columns(&self) -> Vec<Labels<'_>> {
                match self {
                    $(LabelArray2::$var(a) => {
                        let v = a.as_array();
                        (0..v.ncols()).map(|j| Labels::from(v.clone().index_axis_move(ndarray::Axis(1), j))).collect()
                    }),*
                }
            }
        }
    };
}
label_arrays!(i8 => I8, i16 => I16, i32 => I32, i64 => I64, u8 => U8, u16 => U16, u32 => U32, u64 => U64);

/// A saved state's domain name ("signed", "unsigned" or None); errors name `arg`.
pub fn parse_domain(name: Option<&str>, arg: &str) -> PyResult<Option<Domain>> {
    name.map(|n| {
        Domain::from_name(n).ok_or_else(|| {
            PyValueError::new_err(format!(
                "{arg}: expected 'signed', 'unsigned' or None, got {n:?}"
            ))
        })
    })
    .transpose()
}

pub fn describe(obj: &Bound<'_, PyAny>) -> String {
    match obj.cast::<numpy::PyUntypedArray>() {
        Ok(a) => format!(
            "an array of dtype {} with {} dimension(s)",
            a.dtype(),
            a.ndim()
        ),
        Err(_) => obj
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_default(),
    }
}

/// Labels given as a 1-D array, or a 2-D (n, d) array whose rows are joint symbols.
pub enum AnyLabels<'py> {
    One(LabelArray<'py>),
    Rows(LabelArray2<'py>),
}

impl<'py> AnyLabels<'py> {
    pub fn extract(obj: &Bound<'py, PyAny>, arg: &str) -> PyResult<Self> {
        if let Some(a) = LabelArray::try_from(obj) {
            return Ok(AnyLabels::One(a));
        }
        if let Some(a) = LabelArray2::try_from(obj) {
            return Ok(AnyLabels::Rows(a));
        }
        let msg = format!(
            "{arg}: expected a 1-D or 2-D array of integer labels (int8..int64, uint8..uint64), got {}",
            describe(obj)
        );
        match obj.cast::<numpy::PyUntypedArray>() {
            Ok(a) if a.ndim() > 2 || a.ndim() == 0 => Err(PyValueError::new_err(msg)),
            _ => Err(PyTypeError::new_err(msg)),
        }
    }

    /// Columns whose rows form the symbols (one column for 1-D input).
    pub fn columns(&self) -> Vec<Labels<'_>> {
        match self {
            AnyLabels::One(a) => vec![a.view()],
            AnyLabels::Rows(a) => a.columns(),
        }
    }

    /// Number of observations (rows).
    pub fn len(&self) -> usize {
        match self {
            AnyLabels::One(a) => a.view().len(),
            AnyLabels::Rows(a) => a.columns().first().map_or(0, |c| c.len()),
        }
    }
}

/// A strictly 1-D label array.
pub fn labels_1d<'py>(obj: &Bound<'py, PyAny>, arg: &str) -> PyResult<LabelArray<'py>> {
    LabelArray::try_from(obj).ok_or_else(|| {
        PyTypeError::new_err(format!(
            "{arg}: expected a 1-D array of integer labels (int8..int64, uint8..uint64), got {}",
            describe(obj)
        ))
    })
}
