//! The one error type of the core. The binding maps each variant to a Python exception.

use std::fmt;

/// Why a computation could not produce a value.
#[derive(Debug, Clone, PartialEq)]
pub enum Error {
    /// A value is out of its domain (mapped to `ValueError`). `arg` names the argument.
    Value { arg: &'static str, msg: String },
    /// An input has a type the function does not take (mapped to `TypeError`).
    Type { arg: &'static str, msg: String },
    /// The work needs more memory than can be reserved (mapped to `MemoryError`).
    Memory(String),
    /// The caller asked to stop (Ctrl-C); mapped to `KeyboardInterrupt`.
    Interrupted,
}

impl Error {
    pub fn value(arg: &'static str, msg: impl Into<String>) -> Self {
        Error::Value {
            arg,
            msg: msg.into(),
        }
    }
    pub fn type_(arg: &'static str, msg: impl Into<String>) -> Self {
        Error::Type {
            arg,
            msg: msg.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Value { arg, msg } | Error::Type { arg, msg } => write!(f, "{arg}: {msg}"),
            Error::Memory(msg) => write!(f, "out of memory: {msg}"),
            Error::Interrupted => write!(f, "interrupted"),
        }
    }
}

impl std::error::Error for Error {}

pub type Result<T> = std::result::Result<T, Error>;
