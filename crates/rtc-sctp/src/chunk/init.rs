//! INIT (RFC 9260 §3.3.2) and INIT ACK (§3.3.3): the same fixed fields, then parameters.

use crate::codec::{Cursor, Reader};
use crate::param::{Param, Params};
use crate::{ParseError, WriteError};

/// The fixed fields and parameters of an INIT or INIT ACK chunk.
///
/// Parsing checks the layout only. The values RFC 9260 forbids (an Initiate Tag of 0, an
/// a_rwnd below 1500, zero streams) each call for their own reaction (§3.3.2: discard, or
/// ABORT with the Initiate Tag as Verification Tag), so they are the association's to judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Init<'a> {
    /// Initiate Tag: the Verification Tag the peer must put in every packet it sends.
    pub initiate_tag: u32,
    /// Advertised Receiver Window Credit.
    pub a_rwnd: u32,
    /// Number of Outbound Streams (OS).
    pub outbound_streams: u16,
    /// Number of Inbound Streams (MIS).
    pub inbound_streams: u16,
    /// Initial TSN.
    pub initial_tsn: u32,
    /// The optional and variable-length parameters; an INIT ACK must hold a State Cookie.
    pub params: Params<'a>,
}

impl<'a> Init<'a> {
    /// The first State Cookie parameter's cookie (the mandatory parameter of INIT ACK,
    /// RFC 9260 §3.3.3). Parameters that do not decode are passed over.
    pub fn state_cookie(&self) -> Option<&'a [u8]> {
        self.params.iter().find_map(|p| match p {
            Ok(Param::StateCookie(cookie)) => Some(cookie),
            _ => None,
        })
    }

    /// The chunk types of the first Supported Extensions parameter (RFC 5061 §4.2.7), empty
    /// when there is none.
    pub fn supported_extensions(&self) -> &'a [u8] {
        self.params
            .iter()
            .find_map(|p| match p {
                Ok(Param::SupportedExtensions(types)) => Some(types),
                _ => None,
            })
            .unwrap_or(&[])
    }

    pub(crate) fn decode(value: &'a [u8], what: &'static str) -> Result<Self, ParseError> {
        let mut r = Reader::new(value, what);
        Ok(Self {
            initiate_tag: r.u32()?,
            a_rwnd: r.u32()?,
            outbound_streams: r.u16()?,
            inbound_streams: r.u16()?,
            initial_tsn: r.u32()?,
            params: Params::parse(r.rest())?,
        })
    }

    pub(crate) fn value_len(&self) -> Result<usize, WriteError> {
        Ok(16 + self.params.wire_len()?)
    }

    pub(crate) fn emit_value(&self, c: &mut Cursor<'_>) {
        c.u32(self.initiate_tag);
        c.u32(self.a_rwnd);
        c.u16(self.outbound_streams);
        c.u16(self.inbound_streams);
        c.u32(self.initial_tsn);
        self.params.emit(c);
    }
}
