//! Goodbye (RFC 3550 §6.6).

use super::{Body, RawRtcp, emit_packet, packet_len, packet_type};
use crate::list::List;
use crate::wire::{Reader, Writer, padded4};
use crate::{ParseError, WriteError};

/// BYE (RFC 3550 §6.6): sources leaving, and an optional reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Goodbye<'a> {
    /// The SSRCs and CSRCs leaving, at most 31.
    pub sources: List<'a, u32>,
    /// The reason for leaving (UTF-8 text, up to 255 bytes).
    pub reason: Option<&'a [u8]>,
}

impl<'a> Goodbye<'a> {
    /// Reads the packet: SC sources, then a length-prefixed reason padded to 32 bits.
    pub fn parse(raw: &RawRtcp<'a>) -> Result<Self, ParseError> {
        let mut body = raw.body;
        let sources = List::parse_count(&mut body, usize::from(raw.count))?;
        let mut reason = None;
        if !body.is_empty() {
            let mut r = Reader::new(body, "BYE reason");
            let len = r.u8()?;
            reason = Some(r.take(usize::from(len))?);
            // At most the zero padding to the next 32-bit boundary follows.
            let pad = padded4(1 + usize::from(len)) - 1 - usize::from(len);
            if r.remaining() > pad {
                return Err(ParseError::TrailingBytes {
                    what: "BYE reason",
                    count: r.remaining() - pad,
                });
            }
        }
        Ok(Self { sources, reason })
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

impl Body for Goodbye<'_> {
    fn packet_type(&self) -> u8 {
        packet_type::BYE
    }
    fn count(&self) -> Result<u8, WriteError> {
        let count = self.sources.len();
        if count > 31 {
            return Err(WriteError::TooMany {
                what: "BYE sources",
                count,
            });
        }
        Ok(count as u8)
    }
    fn body_len(&self) -> usize {
        self.sources.encoded_len() + self.reason.map_or(0, |r| padded4(1 + r.len()))
    }
    fn write_body(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let at = self.sources.write(out)?;
        let mut w = Writer::new(out.get_mut(at..).unwrap_or_default());
        if let Some(reason) = self.reason {
            let len = u8::try_from(reason.len()).map_err(|_| WriteError::TooLong {
                what: "BYE reason",
                length: reason.len(),
            })?;
            w.u8(len)?;
            w.bytes(reason)?;
            w.zeros(padded4(1 + reason.len()) - 1 - reason.len())?;
        }
        Ok(at + w.position())
    }
}
