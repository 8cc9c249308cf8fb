//! Error causes (RFC 9260 §3.3.10), carried by ABORT and ERROR chunks.

use crate::codec::{Cursor, Reader};
use crate::list::{TlvItem, TlvList, WireList};
use crate::{CauseCode, ParseError};

/// The error causes of an ABORT or ERROR chunk.
pub type ErrorCauses<'a> = TlvList<'a, ErrorCause<'a>>;

/// An error cause, decoded (RFC 9260 §3.3.10.1 to §3.3.10.13). Causes of other documents
/// (RFC 5061, RFC 4895...) are [`ErrorCause::Unknown`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ErrorCause<'a> {
    /// Invalid Stream Identifier (1, §3.3.10.1).
    InvalidStreamIdentifier {
        /// The stream identifier of the DATA chunk received in error.
        stream_id: u16,
    },
    /// Missing Mandatory Parameter (2, §3.3.10.2): the missing parameter types.
    MissingMandatoryParameter(WireList<'a, u16>),
    /// Stale Cookie (3, §3.3.10.3).
    StaleCookie {
        /// Measure of Staleness, in microseconds (0 when the sender does not say).
        staleness_us: u32,
    },
    /// Out of Resource (4, §3.3.10.4).
    OutOfResource,
    /// Unresolvable Address (5, §3.3.10.5): the address parameter, complete with type and
    /// length.
    UnresolvableAddress(&'a [u8]),
    /// Unrecognized Chunk Type (6, §3.3.10.6): the chunk, complete with its header.
    UnrecognizedChunkType(&'a [u8]),
    /// Invalid Mandatory Parameter (7, §3.3.10.7).
    InvalidMandatoryParameter,
    /// Unrecognized Parameters (8, §3.3.10.8): the parameters, complete with type and length.
    UnrecognizedParameters(&'a [u8]),
    /// No User Data (9, §3.3.10.9).
    NoUserData {
        /// The TSN of the DATA chunk received without user data.
        tsn: u32,
    },
    /// Cookie Received While Shutting Down (10, §3.3.10.10).
    CookieReceivedWhileShuttingDown,
    /// Restart of an Association with New Addresses (11, §3.3.10.11): the new address
    /// parameters, complete with type and length.
    RestartWithNewAddresses(&'a [u8]),
    /// User-Initiated Abort (12, §3.3.10.12): the upper layer's abort reason, opaque.
    UserInitiatedAbort(&'a [u8]),
    /// Protocol Violation (13, §3.3.10.13): additional information, opaque.
    ProtocolViolation(&'a [u8]),
    /// A cause code this crate does not know.
    Unknown {
        /// Its code.
        code: CauseCode,
        /// Its cause-specific information, without padding.
        info: &'a [u8],
    },
}

impl ErrorCause<'_> {
    /// The cause code.
    pub fn code(&self) -> CauseCode {
        match self {
            Self::InvalidStreamIdentifier { .. } => CauseCode::INVALID_STREAM_IDENTIFIER,
            Self::MissingMandatoryParameter(_) => CauseCode::MISSING_MANDATORY_PARAMETER,
            Self::StaleCookie { .. } => CauseCode::STALE_COOKIE,
            Self::OutOfResource => CauseCode::OUT_OF_RESOURCE,
            Self::UnresolvableAddress(_) => CauseCode::UNRESOLVABLE_ADDRESS,
            Self::UnrecognizedChunkType(_) => CauseCode::UNRECOGNIZED_CHUNK_TYPE,
            Self::InvalidMandatoryParameter => CauseCode::INVALID_MANDATORY_PARAMETER,
            Self::UnrecognizedParameters(_) => CauseCode::UNRECOGNIZED_PARAMETERS,
            Self::NoUserData { .. } => CauseCode::NO_USER_DATA,
            Self::CookieReceivedWhileShuttingDown => CauseCode::COOKIE_RECEIVED_WHILE_SHUTTING_DOWN,
            Self::RestartWithNewAddresses(_) => CauseCode::RESTART_WITH_NEW_ADDRESSES,
            Self::UserInitiatedAbort(_) => CauseCode::USER_INITIATED_ABORT,
            Self::ProtocolViolation(_) => CauseCode::PROTOCOL_VIOLATION,
            Self::Unknown { code, .. } => *code,
        }
    }
}

impl<'a> TlvItem<'a> for ErrorCause<'a> {
    const WHAT: &'static str = "error cause";

    fn decode(tlv_type: u16, value: &'a [u8]) -> Result<Self, ParseError> {
        Ok(match CauseCode(tlv_type) {
            CauseCode::INVALID_STREAM_IDENTIFIER => {
                let mut r = Reader::new(value, "Invalid Stream Identifier cause");
                r.expect_len(4)?;
                // The second half is reserved.
                Self::InvalidStreamIdentifier {
                    stream_id: r.u16()?,
                }
            }
            CauseCode::MISSING_MANDATORY_PARAMETER => {
                let mut r = Reader::new(value, "Missing Mandatory Parameter cause");
                let count = r.u32()?;
                let list: WireList<'a, u16> = WireList::parse(r)?;
                // The count field must agree with the length (Cause Length = 8 + N * 2).
                if u32::try_from(list.len()) != Ok(count) {
                    return Err(ParseError::InvalidField(
                        "number of missing parameters in Missing Mandatory Parameter cause",
                    ));
                }
                Self::MissingMandatoryParameter(list)
            }
            CauseCode::STALE_COOKIE => {
                let mut r = Reader::new(value, "Stale Cookie cause");
                r.expect_len(4)?;
                Self::StaleCookie {
                    staleness_us: r.u32()?,
                }
            }
            CauseCode::OUT_OF_RESOURCE => {
                Reader::new(value, "Out of Resource cause").expect_len(0)?;
                Self::OutOfResource
            }
            CauseCode::UNRESOLVABLE_ADDRESS => Self::UnresolvableAddress(value),
            CauseCode::UNRECOGNIZED_CHUNK_TYPE => Self::UnrecognizedChunkType(value),
            CauseCode::INVALID_MANDATORY_PARAMETER => {
                Reader::new(value, "Invalid Mandatory Parameter cause").expect_len(0)?;
                Self::InvalidMandatoryParameter
            }
            CauseCode::UNRECOGNIZED_PARAMETERS => Self::UnrecognizedParameters(value),
            CauseCode::NO_USER_DATA => {
                let mut r = Reader::new(value, "No User Data cause");
                r.expect_len(4)?;
                Self::NoUserData { tsn: r.u32()? }
            }
            CauseCode::COOKIE_RECEIVED_WHILE_SHUTTING_DOWN => {
                Reader::new(value, "Cookie Received While Shutting Down cause").expect_len(0)?;
                Self::CookieReceivedWhileShuttingDown
            }
            CauseCode::RESTART_WITH_NEW_ADDRESSES => Self::RestartWithNewAddresses(value),
            CauseCode::USER_INITIATED_ABORT => Self::UserInitiatedAbort(value),
            CauseCode::PROTOCOL_VIOLATION => Self::ProtocolViolation(value),
            code => Self::Unknown { code, info: value },
        })
    }

    fn tlv_type(&self) -> u16 {
        self.code().0
    }

    fn value_len(&self) -> usize {
        match self {
            Self::InvalidStreamIdentifier { .. }
            | Self::StaleCookie { .. }
            | Self::NoUserData { .. } => 4,
            Self::MissingMandatoryParameter(l) => 4 + l.wire_len(),
            Self::OutOfResource
            | Self::InvalidMandatoryParameter
            | Self::CookieReceivedWhileShuttingDown => 0,
            Self::UnresolvableAddress(b)
            | Self::UnrecognizedChunkType(b)
            | Self::UnrecognizedParameters(b)
            | Self::RestartWithNewAddresses(b)
            | Self::UserInitiatedAbort(b)
            | Self::ProtocolViolation(b)
            | Self::Unknown { info: b, .. } => b.len(),
        }
    }

    fn emit_value(&self, out: &mut [u8]) {
        let mut c = Cursor::new(out);
        match self {
            Self::InvalidStreamIdentifier { stream_id } => {
                c.u16(*stream_id);
                c.u16(0);
            }
            Self::MissingMandatoryParameter(l) => {
                c.u32(l.len() as u32);
                l.emit(&mut c);
            }
            Self::StaleCookie { staleness_us } => c.u32(*staleness_us),
            Self::NoUserData { tsn } => c.u32(*tsn),
            Self::OutOfResource
            | Self::InvalidMandatoryParameter
            | Self::CookieReceivedWhileShuttingDown => {}
            Self::UnresolvableAddress(b)
            | Self::UnrecognizedChunkType(b)
            | Self::UnrecognizedParameters(b)
            | Self::RestartWithNewAddresses(b)
            | Self::UserInitiatedAbort(b)
            | Self::ProtocolViolation(b)
            | Self::Unknown { info: b, .. } => c.bytes(b),
        }
    }
}
