//! Errors: where the SDP is broken and why.

/// An SDP that cannot be parsed: the 1-based line number and the reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("SDP line {line}: {kind}")]
pub struct Error {
    /// 1-based line number (0 when the problem is the whole description, e.g. it is empty).
    pub line: usize,
    /// What is wrong there.
    pub kind: ErrorKind,
}

/// Why an SDP line is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The description holds no lines at all.
    #[error("empty description")]
    Empty,
    /// A line is empty (RFC 8866 §5 has no blank lines).
    #[error("empty line")]
    EmptyLine,
    /// A line is not `<type>=<value>` with a single lowercase letter as type.
    #[error("not a `<type>=<value>` line")]
    Malformed,
    /// A line type RFC 8866 does not define.
    #[error("unknown line type `{0}`")]
    UnknownType(char),
    /// A line appears where RFC 8866 §5's order does not allow it, or more often than allowed.
    #[error("`{0}=` line out of order or repeated")]
    OutOfOrder(char),
    /// The description does not start with `v=`.
    #[error("description does not start with `v=`")]
    MissingVersion,
    /// `v=` holds something other than 0.
    #[error("unsupported protocol version (only v=0 exists)")]
    UnsupportedVersion,
    /// A mandatory session-level line is missing.
    #[error("missing mandatory `{0}=` line")]
    MissingLine(char),
    /// A field of an `o=`, `c=`, `b=`, `t=` or `m=` line is missing.
    #[error("`{line_type}=` line lacks its {field}")]
    MissingField {
        /// The line type.
        line_type: char,
        /// The field.
        field: &'static str,
    },
    /// A field of an `o=`, `c=`, `b=`, `t=` or `m=` line is not valid.
    #[error("`{line_type}=` line has an invalid {field}")]
    InvalidField {
        /// The line type.
        line_type: char,
        /// The field.
        field: &'static str,
    },
    /// A typed attribute's value does not follow its grammar.
    #[error("attribute `a={name}`: {error}")]
    Attribute {
        /// The attribute's name.
        name: &'static str,
        /// What is wrong with its value.
        error: AttributeError,
    },
}

/// Why a typed attribute's value is rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttributeError {
    /// The attribute needs a value (`a=name:value`) and has none.
    #[error("value missing")]
    MissingValue,
    /// A required field is missing.
    #[error("{0} missing")]
    MissingField(&'static str),
    /// A field does not follow the grammar.
    #[error("invalid {0}")]
    InvalidField(&'static str),
    /// Text follows the last field the grammar allows.
    #[error("unexpected trailing data")]
    TrailingData,
}
