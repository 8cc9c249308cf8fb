//! `a=sctp-port` and `a=max-message-size` (RFC 8841 §5, §6).

use std::fmt;

use super::TypedAttribute;
use super::syntax::number;
use crate::AttributeError;

/// `a=sctp-port:5000`: the SCTP port of the data channel association (RFC 8841 §5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SctpPort(pub u16);

impl SctpPort {
    /// The port every browser writes (RFC 8841 leaves it free; 5000 is the convention).
    pub const DEFAULT: Self = Self(5000);
}

impl TypedAttribute<'_> for SctpPort {
    const NAME: &'static str = "sctp-port";

    fn parse(value: &str) -> Result<Self, AttributeError> {
        // RFC 8841 §5.2: sctp-port-value = 1*5(DIGIT)
        if value.is_empty() {
            return Err(AttributeError::MissingValue);
        }
        number(value, "sctp port").map(Self)
    }
}

impl fmt::Display for SctpPort {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// `a=max-message-size:262144`: the largest message the endpoint can receive, in bytes
/// (RFC 8841 §6).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MaxMessageSize(pub u64);

impl MaxMessageSize {
    /// RFC 8841 §6.1: without the attribute, the limit is 64 KiB.
    pub const DEFAULT: Self = Self(65536);

    /// RFC 8841 §6.1: 0 means the endpoint accepts messages of any size.
    pub const fn is_unlimited(self) -> bool {
        self.0 == 0
    }

    /// The limit in bytes, or `None` when unlimited.
    pub const fn limit(self) -> Option<u64> {
        if self.0 == 0 { None } else { Some(self.0) }
    }
}

impl TypedAttribute<'_> for MaxMessageSize {
    const NAME: &'static str = "max-message-size";

    fn parse(value: &str) -> Result<Self, AttributeError> {
        // RFC 8841 §6.2: max-message-size-value = 1*DIGIT; leading zeroes MUST NOT be used
        if value.is_empty() {
            return Err(AttributeError::MissingValue);
        }
        number(value, "max message size").map(Self)
    }
}

impl fmt::Display for MaxMessageSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
