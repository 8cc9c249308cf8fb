//! Application-defined packets (RFC 3550 §6.7).

use super::{Body, RawRtcp, emit_packet, packet_len, packet_type};
use crate::wire::{Reader, Writer};
use crate::{ParseError, WriteError};

/// APP (RFC 3550 §6.7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct App<'a> {
    /// The 5-bit subtype.
    pub subtype: u8,
    /// The sender.
    pub ssrc: u32,
    /// The four ASCII characters naming the application.
    pub name: [u8; 4],
    /// Application-dependent data (a multiple of 32 bits; otherwise written with padding).
    pub data: &'a [u8],
}

impl<'a> App<'a> {
    /// Reads the packet.
    pub fn parse(raw: &RawRtcp<'a>) -> Result<Self, ParseError> {
        let mut r = Reader::new(raw.body, "APP packet");
        let ssrc = r.u32()?;
        let name = r.array()?;
        Ok(Self {
            subtype: raw.count,
            ssrc,
            name,
            data: r.rest(),
        })
    }

    /// Bytes it takes.
    pub fn encoded_len(&self) -> usize {
        packet_len(self)
    }

    /// Writes it at the start of `out`.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        emit_packet(self, out)
    }
}

impl Body for App<'_> {
    fn packet_type(&self) -> u8 {
        packet_type::APP
    }
    fn count(&self) -> Result<u8, WriteError> {
        if self.subtype > 31 {
            return Err(WriteError::InvalidField("APP subtype"));
        }
        Ok(self.subtype)
    }
    fn body_len(&self) -> usize {
        8 + self.data.len()
    }
    fn write_body(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let mut w = Writer::new(out);
        w.u32(self.ssrc)?;
        w.bytes(&self.name)?;
        w.bytes(self.data)?;
        Ok(w.position())
    }
}
