//! Payload-specific feedback (RFC 4585 §6.3): PLI, FIR (RFC 5104 §4.3.1) and REMB
//! (draft-alvestrand-rmcat-remb-03 §2.2).

use super::{Body, RawRtcp, emit_packet, feedback_type, packet_len, packet_type};
use crate::list::{List, ListItem, Sealed};
use crate::wire::{Reader, Writer};
use crate::{ParseError, WriteError};

/// The two SSRCs every feedback message starts with (RFC 4585 §6.1).
fn read_ssrcs<'a>(
    raw: &RawRtcp<'a>,
    what: &'static str,
) -> Result<(u32, u32, Reader<'a>), ParseError> {
    let mut r = Reader::new(raw.body, what);
    let sender = r.u32()?;
    let media = r.u32()?;
    Ok((sender, media, r))
}

/// Picture loss indication: PSFB with FMT 1 and no FCI (RFC 4585 §6.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PictureLossIndication {
    /// The sender of the feedback.
    pub sender_ssrc: u32,
    /// The media source that should send a keyframe.
    pub media_ssrc: u32,
}

impl PictureLossIndication {
    /// Reads the packet.
    pub fn parse(raw: &RawRtcp<'_>) -> Result<Self, ParseError> {
        let (sender_ssrc, media_ssrc, r) = read_ssrcs(raw, "PLI packet")?;
        r.finish()?;
        Ok(Self {
            sender_ssrc,
            media_ssrc,
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

impl Body for PictureLossIndication {
    fn packet_type(&self) -> u8 {
        packet_type::PSFB
    }
    fn count(&self) -> Result<u8, WriteError> {
        Ok(feedback_type::PLI)
    }
    fn body_len(&self) -> usize {
        8
    }
    fn write_body(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let mut w = Writer::new(out);
        w.u32(self.sender_ssrc)?;
        w.u32(self.media_ssrc)?;
        Ok(8)
    }
}

/// One FIR entry (RFC 5104 §4.3.1.1): the source asked for a decoder refresh point and the
/// request's command sequence number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FirEntry {
    /// The media sender asked.
    pub ssrc: u32,
    /// The command sequence number (repeated requests keep it).
    pub sequence_number: u8,
}

impl Sealed for FirEntry {}

impl ListItem<'_> for FirEntry {
    fn read(bytes: &mut &[u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(bytes, "FIR entry");
        let ssrc = r.u32()?;
        let sequence_number = r.u8()?;
        r.take(3)?;
        *bytes = r.rest();
        Ok(Self {
            ssrc,
            sequence_number,
        })
    }
    fn encoded_len(&self) -> usize {
        8
    }
    fn write(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let mut w = Writer::new(out);
        w.u32(self.ssrc)?;
        w.u8(self.sequence_number)?;
        w.zeros(3)?;
        Ok(8)
    }
}

/// Full intra request: PSFB with FMT 4 (RFC 5104 §4.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Fir<'a> {
    /// The sender of the feedback.
    pub sender_ssrc: u32,
    /// Unused by FIR (RFC 5104 §4.3.1.2: set to 0); kept as received.
    pub media_ssrc: u32,
    /// The requests, at least one.
    pub entries: List<'a, FirEntry>,
}

impl<'a> Fir<'a> {
    /// Reads the packet.
    pub fn parse(raw: &RawRtcp<'a>) -> Result<Self, ParseError> {
        let (sender_ssrc, media_ssrc, r) = read_ssrcs(raw, "FIR packet")?;
        let fci = r.rest();
        if fci.is_empty() {
            return Err(ParseError::Truncated {
                what: "FIR packet",
                needed: 16,
                available: raw.body.len(),
            });
        }
        Ok(Self {
            sender_ssrc,
            media_ssrc,
            entries: List::parse(fci)?,
        })
    }

    /// Bytes it takes.
    pub fn encoded_len(&self) -> usize {
        packet_len(self)
    }

    /// Writes it at the start of `out`.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        if self.entries.is_empty() {
            return Err(WriteError::InvalidField("FIR without entries"));
        }
        emit_packet(self, out)
    }
}

impl Body for Fir<'_> {
    fn packet_type(&self) -> u8 {
        packet_type::PSFB
    }
    fn count(&self) -> Result<u8, WriteError> {
        Ok(feedback_type::FIR)
    }
    fn body_len(&self) -> usize {
        8 + self.entries.encoded_len()
    }
    fn write_body(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let mut w = Writer::new(out);
        w.u32(self.sender_ssrc)?;
        w.u32(self.media_ssrc)?;
        Ok(8 + self.entries.write(out.get_mut(8..).unwrap_or_default())?)
    }
}

/// The identifier that makes an application layer feedback message a REMB.
const REMB_ID: &[u8; 4] = b"REMB";

/// Receiver estimated maximum bitrate: PSFB with FMT 15, "REMB" (draft-alvestrand-rmcat-remb
/// §2.2). The bitrate is `mantissa * 2^exponent` bits per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Remb<'a> {
    /// The sender of the feedback.
    pub sender_ssrc: u32,
    /// Always 0 (draft-alvestrand §2.2); kept as received.
    pub media_ssrc: u32,
    /// BR Exp: 6 bits.
    pub exponent: u8,
    /// BR Mantissa: 18 bits.
    pub mantissa: u32,
    /// The media sources the estimate applies to, at most 255.
    pub ssrcs: List<'a, u32>,
}

impl<'a> Remb<'a> {
    /// A REMB for `bitrate` bits per second (rounded down to 18 significant bits).
    pub fn new(sender_ssrc: u32, bitrate: u64, ssrcs: List<'a, u32>) -> Self {
        let mut exponent = 0u8;
        let mut mantissa = bitrate;
        while mantissa > 0x3FFFF {
            mantissa >>= 1;
            exponent += 1;
        }
        Self {
            sender_ssrc,
            media_ssrc: 0,
            exponent,
            mantissa: mantissa as u32,
            ssrcs,
        }
    }

    /// The bitrate in bits per second (saturating at `u64::MAX`).
    pub fn bitrate(&self) -> u64 {
        let m = u64::from(self.mantissa);
        if self.exponent >= 64 || m.leading_zeros() < u32::from(self.exponent) {
            return if m == 0 { 0 } else { u64::MAX };
        }
        m << self.exponent
    }

    /// Whether an application layer feedback message is a REMB.
    pub(crate) fn matches(raw: &RawRtcp<'_>) -> bool {
        raw.body.get(8..12) == Some(&REMB_ID[..])
    }

    /// Reads the packet.
    pub fn parse(raw: &RawRtcp<'a>) -> Result<Self, ParseError> {
        let (sender_ssrc, media_ssrc, mut r) = read_ssrcs(raw, "REMB packet")?;
        if r.take(4)? != REMB_ID {
            return Err(ParseError::InvalidField("REMB identifier"));
        }
        let num = r.u8()?;
        let br = r.u24()?;
        let mut rest = r.rest();
        let ssrcs = List::parse_count(&mut rest, usize::from(num))?;
        if !rest.is_empty() {
            return Err(ParseError::TrailingBytes {
                what: "REMB packet",
                count: rest.len(),
            });
        }
        Ok(Self {
            sender_ssrc,
            media_ssrc,
            exponent: (br >> 18) as u8,
            mantissa: br & 0x3FFFF,
            ssrcs,
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

impl Body for Remb<'_> {
    fn packet_type(&self) -> u8 {
        packet_type::PSFB
    }
    fn count(&self) -> Result<u8, WriteError> {
        Ok(feedback_type::AFB)
    }
    fn body_len(&self) -> usize {
        16 + self.ssrcs.encoded_len()
    }
    fn write_body(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        if self.exponent > 63 || self.mantissa > 0x3FFFF {
            return Err(WriteError::InvalidField("REMB bitrate"));
        }
        let count = self.ssrcs.len();
        let num = u8::try_from(count).map_err(|_| WriteError::TooMany {
            what: "REMB SSRCs",
            count,
        })?;
        let mut w = Writer::new(out);
        w.u32(self.sender_ssrc)?;
        w.u32(self.media_ssrc)?;
        w.bytes(REMB_ID)?;
        w.u8(num)?;
        w.u24(u32::from(self.exponent) << 18 | self.mantissa)?;
        Ok(16 + self.ssrcs.write(out.get_mut(16..).unwrap_or_default())?)
    }
}
