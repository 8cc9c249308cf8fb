//! The other control chunks: HEARTBEAT and HEARTBEAT ACK (RFC 9260 §3.3.5, §3.3.6), ABORT
//! (§3.3.7), SHUTDOWN (§3.3.8), ERROR (§3.3.10), COOKIE ECHO (§3.3.11), SHUTDOWN COMPLETE
//! (§3.3.13), RE-CONFIG (RFC 6525 §3.1), PAD (RFC 4820 §3) and chunks of unknown type.

use crate::cause::ErrorCauses;
use crate::codec::{Cursor, Reader, TLV_HEADER_LEN, be16, check_tlv_len, split_tlv};
use crate::param::Params;
use crate::{ChunkType, ParamType, ParseError, UnrecognizedAction, WriteError};

/// The T bit of ABORT and SHUTDOWN COMPLETE.
const FLAG_T: u8 = 0x01;

/// A HEARTBEAT or HEARTBEAT ACK chunk: one Heartbeat Info parameter (RFC 9260 §3.3.5,
/// §3.3.6). The acknowledgement echoes the request's info unchanged.
///
/// Parsing takes the first Heartbeat Info parameter of the chunk and fails without one; other
/// parameters (none is defined) are not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heartbeat<'a> {
    /// The sender-specific heartbeat information (its time and destination, and a nonce of at
    /// least 64 bits when used for path verification).
    pub info: &'a [u8],
}

impl<'a> Heartbeat<'a> {
    pub(crate) fn decode(value: &'a [u8], chunk: &'static str) -> Result<Self, ParseError> {
        let mut rest = value;
        while !rest.is_empty() {
            let (param, next) = split_tlv(rest, "parameter")?;
            if ParamType(be16(param, 0)) == ParamType::HEARTBEAT_INFO {
                return Ok(Self {
                    info: param.get(TLV_HEADER_LEN..).unwrap_or(&[]),
                });
            }
            rest = next;
        }
        Err(ParseError::MissingParameter {
            chunk,
            parameter: "Heartbeat Info",
        })
    }

    pub(crate) fn value_len(&self) -> Result<usize, WriteError> {
        let len = TLV_HEADER_LEN + self.info.len();
        check_tlv_len("Heartbeat Info parameter", len)?;
        Ok(len)
    }

    pub(crate) fn emit_value(&self, c: &mut Cursor<'_>) {
        c.tlv_header(ParamType::HEARTBEAT_INFO.0, self.info.len());
        c.bytes(self.info);
    }
}

/// An ABORT chunk (RFC 9260 §3.3.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Abort<'a> {
    /// T bit: the Verification Tag is the one received (reflected), not the peer's.
    pub reflected_tag: bool,
    /// Zero or more error causes.
    pub causes: ErrorCauses<'a>,
}

impl<'a> Abort<'a> {
    pub(crate) fn decode(flags: u8, value: &'a [u8]) -> Result<Self, ParseError> {
        Ok(Self {
            reflected_tag: flags & FLAG_T != 0,
            causes: ErrorCauses::parse(value)?,
        })
    }

    pub(crate) fn flags(&self) -> u8 {
        if self.reflected_tag { FLAG_T } else { 0 }
    }
}

/// A SHUTDOWN chunk (RFC 9260 §3.3.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shutdown {
    /// Cumulative TSN Ack.
    pub cumulative_tsn_ack: u32,
}

impl Shutdown {
    pub(crate) fn decode(value: &[u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(value, "SHUTDOWN chunk");
        r.expect_len(4)?;
        Ok(Self {
            cumulative_tsn_ack: r.u32()?,
        })
    }
}

/// An ERROR (Operation Error) chunk (RFC 9260 §3.3.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OperationError<'a> {
    /// The error causes (the RFC says one or more; an empty list parses).
    pub causes: ErrorCauses<'a>,
}

/// A COOKIE ECHO chunk (RFC 9260 §3.3.11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CookieEcho<'a> {
    /// The State Cookie exactly as received in the INIT ACK.
    pub cookie: &'a [u8],
}

/// A SHUTDOWN COMPLETE chunk (RFC 9260 §3.3.13).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShutdownComplete {
    /// T bit: the Verification Tag is the one received (reflected), not the peer's.
    pub reflected_tag: bool,
}

impl ShutdownComplete {
    pub(crate) fn flags(&self) -> u8 {
        if self.reflected_tag { FLAG_T } else { 0 }
    }
}

/// A RE-CONFIG chunk (RFC 6525 §3.1): one or two re-configuration parameters. Which
/// combinations are allowed (§3.1's list of ten) is the association's to check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReConfig<'a> {
    /// The request and response parameters.
    pub params: Params<'a>,
}

/// A PAD chunk (RFC 4820 §3): padding for path MTU probes (RFC 8261 §6.2). The receiver
/// ignores the padding; it is written as zeros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pad {
    /// Length of the padding data (the chunk's value).
    pub len: usize,
}

/// A chunk of a type this crate does not parse, kept with its type so the association can
/// apply the upper-two-bits rule (RFC 9260 §3.2) with [`UnknownChunk::action`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnknownChunk<'a> {
    /// The chunk type.
    pub chunk_type: ChunkType,
    /// The chunk flags.
    pub flags: u8,
    /// The chunk value, without padding.
    pub value: &'a [u8],
}

impl UnknownChunk<'_> {
    /// What RFC 9260 §3.2 says to do with it.
    pub fn action(&self) -> UnrecognizedAction {
        self.chunk_type.unrecognized_action()
    }
}
