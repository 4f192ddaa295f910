//! Core errors to Python exceptions.

use entrostat_core::Error;
use pyo3::exceptions::{PyKeyboardInterrupt, PyMemoryError, PyTypeError, PyValueError};
use pyo3::PyErr;

pub fn to_py(e: Error) -> PyErr {
    match e {
        Error::Value { .. } => PyValueError::new_err(e.to_string()),
        Error::Type { .. } => PyTypeError::new_err(e.to_string()),
        Error::Memory(_) => PyMemoryError::new_err(e.to_string()),
        Error::Interrupted => PyKeyboardInterrupt::new_err("interrupted"),
    }
}
