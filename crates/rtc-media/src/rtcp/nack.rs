//! Generic NACK (RFC 4585 §6.2.1).

use super::{Body, RawRtcp, emit_packet, feedback_type, packet_len, packet_type};
use crate::list::{List, ListItem, Sealed};
use crate::wire::{Reader, Writer};
use crate::{ParseError, WriteError};

/// One generic NACK entry: a lost packet and a bitmask of the 16 after it (RFC 4585 §6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NackPair {
    /// PID: the sequence number of a lost packet.
    pub packet_id: u16,
    /// BLP: bit i set when packet `packet_id + i + 1` is lost too.
    pub lost_bitmask: u16,
}

impl NackPair {
    /// The sequence numbers it reports lost, in order.
    pub fn sequence_numbers(self) -> impl Iterator<Item = u16> {
        std::iter::once(self.packet_id).chain(
            (0..16u16)
                .filter(move |i| self.lost_bitmask & (1 << i) != 0)
                .map(move |i| self.packet_id.wrapping_add(i + 1)),
        )
    }
}

impl Sealed for NackPair {}

impl ListItem<'_> for NackPair {
    fn read(bytes: &mut &[u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(bytes, "generic NACK");
        let pair = Self {
            packet_id: r.u16()?,
            lost_bitmask: r.u16()?,
        };
        *bytes = r.rest();
        Ok(pair)
    }
    fn encoded_len(&self) -> usize {
        4
    }
    fn write(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let mut w = Writer::new(out);
        w.u16(self.packet_id)?;
        w.u16(self.lost_bitmask)?;
        Ok(4)
    }
}

/// Groups lost sequence numbers, in increasing order (modulo 2^16), into NACK entries: each
/// entry covers its first number and the 16 after it.
pub fn nack_pairs(lost: impl IntoIterator<Item = u16>) -> impl Iterator<Item = NackPair> {
    let mut lost = lost.into_iter().peekable();
    std::iter::from_fn(move || {
        let first = lost.next()?;
        let mut pair = NackPair {
            packet_id: first,
            lost_bitmask: 0,
        };
        while let Some(&next) = lost.peek() {
            let diff = next.wrapping_sub(first);
            if diff == 0 {
                // A repeat: already covered.
                lost.next();
                continue;
            }
            if diff > 16 {
                break;
            }
            pair.lost_bitmask |= 1 << (diff - 1);
            lost.next();
        }
        Some(pair)
    })
}

/// Generic NACK: RTPFB with FMT 1 (RFC 4585 §6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Nack<'a> {
    /// The sender of the feedback.
    pub sender_ssrc: u32,
    /// The media source whose packets are lost.
    pub media_ssrc: u32,
    /// The entries, at least one.
    pub pairs: List<'a, NackPair>,
}

impl<'a> Nack<'a> {
    /// Reads the packet.
    pub fn parse(raw: &RawRtcp<'a>) -> Result<Self, ParseError> {
        let mut r = Reader::new(raw.body, "generic NACK packet");
        let sender_ssrc = r.u32()?;
        let media_ssrc = r.u32()?;
        let fci = r.rest();
        if fci.is_empty() {
            // RFC 4585 §6.2.1: at least one NACK.
            return Err(ParseError::Truncated {
                what: "generic NACK packet",
                needed: 12,
                available: raw.body.len(),
            });
        }
        Ok(Self {
            sender_ssrc,
            media_ssrc,
            pairs: List::parse(fci)?,
        })
    }

    /// Every sequence number reported lost.
    pub fn sequence_numbers(&self) -> impl Iterator<Item = u16> + 'a {
        self.pairs.iter().flat_map(NackPair::sequence_numbers)
    }

    /// Bytes it takes.
    pub fn encoded_len(&self) -> usize {
        packet_len(self)
    }

    /// Writes it at the start of `out`.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        if self.pairs.is_empty() {
            return Err(WriteError::InvalidField("generic NACK without entries"));
        }
        emit_packet(self, out)
    }
}

impl Body for Nack<'_> {
    fn packet_type(&self) -> u8 {
        packet_type::RTPFB
    }
    fn count(&self) -> Result<u8, WriteError> {
        Ok(feedback_type::NACK)
    }
    fn body_len(&self) -> usize {
        8 + self.pairs.encoded_len()
    }
    fn write_body(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let mut w = Writer::new(out);
        w.u32(self.sender_ssrc)?;
        w.u32(self.media_ssrc)?;
        Ok(8 + self.pairs.write(out.get_mut(8..).unwrap_or_default())?)
    }
}
