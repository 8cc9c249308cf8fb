//! RTCP (RFC 3550 §6) and the feedback messages WebRTC uses: every packet type parses from a
//! borrowed [`RawRtcp`] into a typed struct whose lists are views over the received bytes, and
//! writes into a caller's buffer. [`Compound`] walks a compound packet (RFC 3550 §6.1) or a
//! reduced-size one (RFC 5506 §3); [`CompoundWriter`] bundles packets.

mod app;
mod bye;
mod ccfb;
mod nack;
mod psfb;
mod report;
mod sdes;
mod twcc;

pub use app::App;
pub use bye::Goodbye;
pub use ccfb::{CcfbMetric, CcfbReport, CongestionControlFeedback};
pub use nack::{Nack, NackPair, nack_pairs};
pub use psfb::{Fir, FirEntry, PictureLossIndication, Remb};
pub use report::{ReceiverReport, ReportBlock, SenderReport};
pub use sdes::{SdesChunk, SdesItem, SdesItemType, SourceDescription};
pub use twcc::{TransportCc, TwccIter, TwccStatus, TwccStatuses};

use std::iter::FusedIterator;

use crate::wire::{Writer, be16, byte};
use crate::{ParseError, WriteError};

/// RTCP packet types (RFC 3550 §12.1, RFC 4585 §6.1, RFC 3611).
pub mod packet_type {
    /// Sender report.
    pub const SR: u8 = 200;
    /// Receiver report.
    pub const RR: u8 = 201;
    /// Source description.
    pub const SDES: u8 = 202;
    /// Goodbye.
    pub const BYE: u8 = 203;
    /// Application-defined.
    pub const APP: u8 = 204;
    /// Transport-layer feedback (RFC 4585 §6.2).
    pub const RTPFB: u8 = 205;
    /// Payload-specific feedback (RFC 4585 §6.3).
    pub const PSFB: u8 = 206;
    /// Extended reports (RFC 3611).
    pub const XR: u8 = 207;
}

/// Feedback message types (the FMT field) of RTPFB and PSFB packets.
pub mod feedback_type {
    /// RTPFB: generic NACK (RFC 4585 §6.2.1).
    pub const NACK: u8 = 1;
    /// RTPFB: congestion control feedback (RFC 8888 §3.1).
    pub const CCFB: u8 = 11;
    /// RTPFB: transport-wide congestion control (draft-holmer-rmcat-transport-wide-cc §3.1).
    pub const TRANSPORT_CC: u8 = 15;
    /// PSFB: picture loss indication (RFC 4585 §6.3.1).
    pub const PLI: u8 = 1;
    /// PSFB: full intra request (RFC 5104 §4.3.1).
    pub const FIR: u8 = 4;
    /// PSFB: application layer feedback (RFC 4585 §6.4), which carries REMB.
    pub const AFB: u8 = 15;
}

/// Length of the RTCP common header (RFC 3550 §6.4.1).
pub const RTCP_HEADER_LEN: usize = 4;

/// One RTCP packet as framed on the wire: its common header fields and its body (what follows
/// the 4-byte header, padding removed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawRtcp<'a> {
    /// The 5-bit field after the P bit: a count (RC, SC) or a feedback type (FMT).
    pub count: u8,
    /// The packet type.
    pub packet_type: u8,
    /// The body (without the padding, if the P bit was set).
    pub body: &'a [u8],
}

impl<'a> RawRtcp<'a> {
    /// Splits the first RTCP packet off `bytes`: its framing checked (version 2, the length
    /// within `bytes`, the padding within the packet), its body not looked at.
    pub fn split(bytes: &'a [u8]) -> Result<(Self, &'a [u8]), ParseError> {
        if bytes.len() < RTCP_HEADER_LEN {
            return Err(ParseError::Truncated {
                what: "RTCP header",
                needed: RTCP_HEADER_LEN,
                available: bytes.len(),
            });
        }
        let b0 = byte(bytes, 0);
        let version = b0 >> 6;
        if version != 2 {
            return Err(ParseError::BadVersion {
                what: "RTCP header",
                version,
            });
        }
        // RFC 3550 §6.4.1: the length is in 32-bit words minus one, header included.
        let len = (usize::from(be16(bytes, 2)) + 1) * 4;
        let Some(packet) = bytes.get(..len) else {
            return Err(ParseError::Truncated {
                what: "RTCP packet",
                needed: len,
                available: bytes.len(),
            });
        };
        let mut body_end = len;
        if b0 & 0x20 != 0 {
            let count = usize::from(byte(packet, len - 1));
            if count == 0 || count > len - RTCP_HEADER_LEN {
                return Err(ParseError::InvalidField("RTCP padding length"));
            }
            body_end -= count;
        }
        let raw = Self {
            count: b0 & 0x1F,
            packet_type: byte(bytes, 1),
            body: packet.get(RTCP_HEADER_LEN..body_end).unwrap_or_default(),
        };
        Ok((raw, bytes.get(len..).unwrap_or_default()))
    }

    /// The typed packet.
    pub fn decode(&self) -> Result<RtcpPacket<'a>, ParseError> {
        use feedback_type as fb;
        use packet_type as pt;
        Ok(match (self.packet_type, self.count) {
            (pt::SR, _) => RtcpPacket::SenderReport(SenderReport::parse(self)?),
            (pt::RR, _) => RtcpPacket::ReceiverReport(ReceiverReport::parse(self)?),
            (pt::SDES, _) => RtcpPacket::SourceDescription(SourceDescription::parse(self)?),
            (pt::BYE, _) => RtcpPacket::Goodbye(Goodbye::parse(self)?),
            (pt::APP, _) => RtcpPacket::App(App::parse(self)?),
            (pt::RTPFB, fb::NACK) => RtcpPacket::Nack(Nack::parse(self)?),
            (pt::RTPFB, fb::TRANSPORT_CC) => RtcpPacket::TransportCc(TransportCc::parse(self)?),
            (pt::RTPFB, fb::CCFB) => {
                RtcpPacket::CongestionControlFeedback(CongestionControlFeedback::parse(self)?)
            }
            (pt::PSFB, fb::PLI) => {
                RtcpPacket::PictureLossIndication(PictureLossIndication::parse(self)?)
            }
            (pt::PSFB, fb::FIR) => RtcpPacket::Fir(Fir::parse(self)?),
            (pt::PSFB, fb::AFB) if Remb::matches(self) => RtcpPacket::Remb(Remb::parse(self)?),
            _ => RtcpPacket::Other(*self),
        })
    }
}

/// A typed RTCP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RtcpPacket<'a> {
    /// SR (RFC 3550 §6.4.1).
    SenderReport(SenderReport<'a>),
    /// RR (RFC 3550 §6.4.2).
    ReceiverReport(ReceiverReport<'a>),
    /// SDES (RFC 3550 §6.5).
    SourceDescription(SourceDescription<'a>),
    /// BYE (RFC 3550 §6.6).
    Goodbye(Goodbye<'a>),
    /// APP (RFC 3550 §6.7).
    App(App<'a>),
    /// Generic NACK (RFC 4585 §6.2.1).
    Nack(Nack<'a>),
    /// Transport-wide congestion control feedback (draft-holmer §3.1).
    TransportCc(TransportCc<'a>),
    /// Congestion control feedback (RFC 8888 §3.1).
    CongestionControlFeedback(CongestionControlFeedback<'a>),
    /// PLI (RFC 4585 §6.3.1).
    PictureLossIndication(PictureLossIndication),
    /// FIR (RFC 5104 §4.3.1).
    Fir(Fir<'a>),
    /// REMB (draft-alvestrand-rmcat-remb §2.2).
    Remb(Remb<'a>),
    /// Any other packet (XR, TMMBR, SLI, other application feedback...), kept as framed.
    Other(RawRtcp<'a>),
}

impl<'a> RtcpPacket<'a> {
    /// Parses `bytes` as exactly one RTCP packet.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let (raw, rest) = RawRtcp::split(bytes)?;
        if !rest.is_empty() {
            return Err(ParseError::TrailingBytes {
                what: "RTCP packet",
                count: rest.len(),
            });
        }
        raw.decode()
    }

    /// Bytes it takes, header included.
    pub fn encoded_len(&self) -> usize {
        match self {
            Self::SenderReport(p) => p.encoded_len(),
            Self::ReceiverReport(p) => p.encoded_len(),
            Self::SourceDescription(p) => p.encoded_len(),
            Self::Goodbye(p) => p.encoded_len(),
            Self::App(p) => p.encoded_len(),
            Self::Nack(p) => p.encoded_len(),
            Self::TransportCc(p) => p.encoded_len(),
            Self::CongestionControlFeedback(p) => p.encoded_len(),
            Self::PictureLossIndication(p) => p.encoded_len(),
            Self::Fir(p) => p.encoded_len(),
            Self::Remb(p) => p.encoded_len(),
            Self::Other(p) => p.encoded_len(),
        }
    }

    /// Writes it at the start of `out`; returns its length.
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        match self {
            Self::SenderReport(p) => p.emit(out),
            Self::ReceiverReport(p) => p.emit(out),
            Self::SourceDescription(p) => p.emit(out),
            Self::Goodbye(p) => p.emit(out),
            Self::App(p) => p.emit(out),
            Self::Nack(p) => p.emit(out),
            Self::TransportCc(p) => p.emit(out),
            Self::CongestionControlFeedback(p) => p.emit(out),
            Self::PictureLossIndication(p) => p.emit(out),
            Self::Fir(p) => p.emit(out),
            Self::Remb(p) => p.emit(out),
            Self::Other(p) => p.emit(out),
        }
    }
}

/// What each packet type supplies to the common writer.
pub(crate) trait Body {
    /// The packet type.
    fn packet_type(&self) -> u8;
    /// The 5-bit count or FMT field.
    fn count(&self) -> Result<u8, WriteError>;
    /// Bytes of body (padding excluded).
    fn body_len(&self) -> usize;
    /// Writes the body at the start of `out` (exactly `body_len` bytes).
    fn write_body(&self, out: &mut [u8]) -> Result<usize, WriteError>;
}

/// The packet's length: header, body and padding to 32 bits.
pub(crate) fn packet_len(body: &impl Body) -> usize {
    crate::wire::padded4(RTCP_HEADER_LEN + body.body_len())
}

/// Writes a whole packet: header, body, and (when the body is not a multiple of 4 bytes)
/// padding with the P bit set, its last byte the count (RFC 3550 §6.4.1).
pub(crate) fn emit_packet(body: &impl Body, out: &mut [u8]) -> Result<usize, WriteError> {
    let len = packet_len(body);
    if out.len() < len {
        return Err(WriteError::BufferTooSmall {
            needed: len,
            available: out.len(),
        });
    }
    let words = u16::try_from(len / 4 - 1).map_err(|_| WriteError::TooLong {
        what: "RTCP packet",
        length: len,
    })?;
    let count = body.count()?;
    if count > 0x1F {
        return Err(WriteError::TooMany {
            what: "RTCP count field",
            count: usize::from(count),
        });
    }
    let padding = len - RTCP_HEADER_LEN - body.body_len();
    let mut w = Writer::new(out);
    w.u8(0x80 | if padding > 0 { 0x20 } else { 0 } | count)?;
    w.u8(body.packet_type())?;
    w.u16(words)?;
    let written = body.write_body(out.get_mut(RTCP_HEADER_LEN..).unwrap_or_default())?;
    if written != body.body_len() {
        return Err(WriteError::InvalidField("RTCP body length"));
    }
    if padding > 0 {
        let start = RTCP_HEADER_LEN + written;
        if let Some(pad) = out.get_mut(start..len) {
            pad.fill(0);
        }
        if let Some(last) = out.get_mut(len - 1) {
            *last = padding as u8;
        }
    }
    Ok(len)
}

impl Body for RawRtcp<'_> {
    fn packet_type(&self) -> u8 {
        self.packet_type
    }
    fn count(&self) -> Result<u8, WriteError> {
        Ok(self.count)
    }
    fn body_len(&self) -> usize {
        self.body.len()
    }
    fn write_body(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        Writer::new(out).bytes(self.body)?;
        Ok(self.body.len())
    }
}

impl RawRtcp<'_> {
    /// Bytes it takes when written: header and body, padded to 32 bits.
    pub fn encoded_len(&self) -> usize {
        packet_len(self)
    }

    /// Writes it at the start of `out` (padding, if any, is zeros ending in the count).
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        emit_packet(self, out)
    }
}

/// A compound RTCP packet (RFC 3550 §6.1) or a reduced-size one (RFC 5506 §3), its framing
/// checked: every packet is version 2 and lies within the bytes, its padding within the packet,
/// and they end exactly at the end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compound<'a> {
    bytes: &'a [u8],
}

impl<'a> Compound<'a> {
    /// Checks the framing of one or more RTCP packets. Any packet type may come first: this is
    /// what a receiver that negotiated `a=rtcp-rsize` (RFC 5506 §5) must accept, and compound
    /// packets are a special case of it. Padding is accepted on any packet (libwebrtc pads
    /// transport-wide CC feedback wherever it sits in a compound packet).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        if bytes.is_empty() {
            return Err(ParseError::Truncated {
                what: "RTCP packet",
                needed: RTCP_HEADER_LEN,
                available: 0,
            });
        }
        let mut rest = bytes;
        while !rest.is_empty() {
            rest = RawRtcp::split(rest)?.1;
        }
        Ok(Self { bytes })
    }

    /// [`Compound::parse`], and the validity checks of RFC 3550 §A.2 for full compound
    /// packets: the first packet is an SR or an RR (§6.1), and only the last one is padded
    /// (§6.4.1).
    pub fn parse_full(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let compound = Self::parse(bytes)?;
        match compound.raw().next() {
            Some(raw) if matches!(raw.packet_type, packet_type::SR | packet_type::RR) => {}
            _ => {
                return Err(ParseError::InvalidField(
                    "first packet of a compound RTCP packet (not SR or RR)",
                ));
            }
        }
        let mut rest = bytes;
        while let Ok((_, tail)) = RawRtcp::split(rest) {
            if rest.first().is_some_and(|b| b & 0x20 != 0) && !tail.is_empty() {
                return Err(ParseError::InvalidField(
                    "padding before the last RTCP packet",
                ));
            }
            rest = tail;
        }
        Ok(compound)
    }

    /// Whether this is a reduced-size packet (RFC 5506 §3): its first packet is not an SR or RR.
    pub fn is_reduced_size(&self) -> bool {
        !matches!(
            self.raw().next().map(|r| r.packet_type),
            Some(packet_type::SR | packet_type::RR)
        )
    }

    /// The bytes.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The packets as framed.
    pub fn raw(&self) -> RawIter<'a> {
        RawIter { rest: self.bytes }
    }

    /// The typed packets; one that does not decode is an error in its place, the others still
    /// come.
    pub fn iter(&self) -> CompoundIter<'a> {
        CompoundIter { raw: self.raw() }
    }
}

impl<'a> IntoIterator for Compound<'a> {
    type Item = Result<RtcpPacket<'a>, ParseError>;
    type IntoIter = CompoundIter<'a>;
    fn into_iter(self) -> CompoundIter<'a> {
        self.iter()
    }
}

/// Iterator over the packets of a [`Compound`], as framed.
#[derive(Debug, Clone)]
pub struct RawIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for RawIter<'a> {
    type Item = RawRtcp<'a>;
    fn next(&mut self) -> Option<RawRtcp<'a>> {
        // Framing checked by `Compound::parse`; an error ends the iteration.
        let (raw, rest) = RawRtcp::split(self.rest).ok()?;
        self.rest = rest;
        Some(raw)
    }
}

impl FusedIterator for RawIter<'_> {}

/// Iterator over the typed packets of a [`Compound`].
#[derive(Debug, Clone)]
pub struct CompoundIter<'a> {
    raw: RawIter<'a>,
}

impl<'a> Iterator for CompoundIter<'a> {
    type Item = Result<RtcpPacket<'a>, ParseError>;
    fn next(&mut self) -> Option<Self::Item> {
        self.raw.next().map(|raw| raw.decode())
    }
}

impl FusedIterator for CompoundIter<'_> {}

/// Bundles RTCP packets into a caller's buffer, up to a size limit.
#[derive(Debug)]
pub struct CompoundWriter<'o> {
    out: &'o mut [u8],
    len: usize,
    limit: usize,
}

impl<'o> CompoundWriter<'o> {
    /// A writer into `out` that keeps the compound packet within `limit` bytes.
    pub fn new(out: &'o mut [u8], limit: usize) -> Self {
        let limit = limit.min(out.len());
        Self { out, len: 0, limit }
    }

    /// Appends a packet; when it does not fit, nothing is written and the error says so.
    pub fn push(&mut self, packet: &RtcpPacket<'_>) -> Result<(), WriteError> {
        let needed = packet.encoded_len();
        if self.len + needed > self.limit {
            return Err(WriteError::BufferTooSmall {
                needed: self.len + needed,
                available: self.limit,
            });
        }
        let end = self.len + needed;
        let dst = self.out.get_mut(self.len..end).unwrap_or_default();
        self.len += packet.emit(dst)?;
        Ok(())
    }

    /// Bytes written so far.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// True when nothing was written.
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The compound packet.
    pub fn finish(self) -> &'o [u8] {
        let Self { out, len, .. } = self;
        out.get(..len).unwrap_or_default()
    }
}
