//! Transport-wide congestion control feedback: RTPFB with FMT 15
//! (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).
//!
//! The statuses of a run of transport-wide sequence numbers are coded in 16-bit chunks: run
//! length chunks (§3.1.3) and status vector chunks of 14 one-bit or 7 two-bit symbols
//! (§3.1.4); each received packet then has a receive delta, 8 bits unsigned ("small") or 16 bits
//! signed ("large"), in 250 µs units (§3.1.5).

use std::fmt;
use std::iter::FusedIterator;

use super::{Body, RawRtcp, emit_packet, feedback_type, packet_len, packet_type};
use crate::wire::{Reader, Writer};
use crate::{ParseError, WriteError};

/// The status of one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TwccStatus {
    /// Not received (yet).
    NotReceived,
    /// Received, `delta` 250 µs ticks after the previous received packet (or the reference
    /// time, for the first). 0..=255 is written as a small delta, the rest as a large one.
    Received {
        /// The receive delta in 250 µs ticks.
        delta: i16,
    },
}

impl TwccStatus {
    /// The packet status symbol (§3.1.1): 0 not received, 1 small delta, 2 large or negative.
    const fn symbol(self) -> u8 {
        match self {
            Self::NotReceived => 0,
            Self::Received { delta } if delta >= 0 && delta <= 255 => 1,
            Self::Received { .. } => 2,
        }
    }

    /// The receive delta in microseconds, if received.
    pub const fn delta_micros(self) -> Option<i64> {
        match self {
            Self::NotReceived => None,
            Self::Received { delta } => Some(delta as i64 * 250),
        }
    }
}

/// The longest run a run length chunk says (13 bits).
const MAX_RUN: usize = 0x1FFF;

#[derive(Clone, Copy)]
enum Repr<'a> {
    /// Received: `count` statuses in `chunks`, their deltas in `deltas` (checked).
    Wire {
        count: u16,
        chunks: &'a [u8],
        deltas: &'a [u8],
    },
    Items(&'a [TwccStatus]),
}

/// The statuses of a [`TransportCc`], received or to write.
#[derive(Clone, Copy)]
pub struct TwccStatuses<'a> {
    repr: Repr<'a>,
}

impl<'a> TwccStatuses<'a> {
    /// Statuses to write, in sequence number order from the base sequence number.
    pub const fn new(items: &'a [TwccStatus]) -> Self {
        Self {
            repr: Repr::Items(items),
        }
    }

    /// Number of packets.
    pub fn len(&self) -> usize {
        match self.repr {
            Repr::Wire { count, .. } => usize::from(count),
            Repr::Items(items) => items.len(),
        }
    }

    /// True when there is no packet.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The statuses, in order.
    pub fn iter(&self) -> TwccIter<'a> {
        match self.repr {
            Repr::Wire {
                count,
                chunks,
                deltas,
            } => TwccIter(IterRepr::Wire(Decoder::new(count, chunks, deltas))),
            Repr::Items(items) => TwccIter(IterRepr::Items(items)),
        }
    }
}

impl Default for TwccStatuses<'_> {
    fn default() -> Self {
        Self::new(&[])
    }
}

impl<'a> From<&'a [TwccStatus]> for TwccStatuses<'a> {
    fn from(items: &'a [TwccStatus]) -> Self {
        Self::new(items)
    }
}

impl PartialEq for TwccStatuses<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for TwccStatuses<'_> {}

impl fmt::Debug for TwccStatuses<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Reads statuses from chunks and deltas.
#[derive(Clone, Copy)]
struct Decoder<'a> {
    left: u16,
    chunks: &'a [u8],
    deltas: &'a [u8],
    /// The current chunk and how many of its symbols are left.
    chunk: u16,
    in_chunk: usize,
}

impl<'a> Decoder<'a> {
    fn new(count: u16, chunks: &'a [u8], deltas: &'a [u8]) -> Self {
        Self {
            left: count,
            chunks,
            deltas,
            chunk: 0,
            in_chunk: 0,
        }
    }

    /// Symbols a chunk holds.
    fn chunk_len(chunk: u16) -> usize {
        if chunk & 0x8000 == 0 {
            usize::from(chunk & 0x1FFF)
        } else if chunk & 0x4000 == 0 {
            14
        } else {
            7
        }
    }

    /// The next symbol, reading chunks as needed.
    fn symbol(&mut self) -> Result<u8, ParseError> {
        while self.in_chunk == 0 {
            let mut r = Reader::new(self.chunks, "transport-cc packet chunks");
            self.chunk = r.u16()?;
            self.chunks = r.rest();
            self.in_chunk = Self::chunk_len(self.chunk);
        }
        let c = self.chunk;
        let symbol = if c & 0x8000 == 0 {
            ((c >> 13) & 3) as u8
        } else if c & 0x4000 == 0 {
            ((c >> (self.in_chunk - 1)) & 1) as u8
        } else {
            ((c >> (2 * (self.in_chunk - 1))) & 3) as u8
        };
        self.in_chunk -= 1;
        Ok(symbol)
    }

    /// The next status; `None` after the last.
    fn step(&mut self) -> Result<Option<TwccStatus>, ParseError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        let mut r = Reader::new(self.deltas, "transport-cc receive deltas");
        let status = match self.symbol()? {
            0 => TwccStatus::NotReceived,
            1 => TwccStatus::Received {
                delta: i16::from(r.u8()?),
            },
            2 => TwccStatus::Received {
                delta: r.u16()? as i16,
            },
            _ => return Err(ParseError::InvalidField("transport-cc status symbol")),
        };
        self.deltas = r.rest();
        Ok(Some(status))
    }
}

#[derive(Clone, Copy)]
enum IterRepr<'a> {
    Wire(Decoder<'a>),
    Items(&'a [TwccStatus]),
}

/// Iterator over [`TwccStatuses`].
#[derive(Clone)]
pub struct TwccIter<'a>(IterRepr<'a>);

impl Iterator for TwccIter<'_> {
    type Item = TwccStatus;
    fn next(&mut self) -> Option<TwccStatus> {
        match &mut self.0 {
            // Checked when parsed; an error ends the iteration.
            IterRepr::Wire(d) => d.step().ok().flatten(),
            IterRepr::Items(items) => {
                let (first, rest) = items.split_first()?;
                *items = rest;
                Some(*first)
            }
        }
    }
}

impl FusedIterator for TwccIter<'_> {}

/// The chunks that code `items`, in order.
fn encode_chunks(items: &[TwccStatus]) -> impl Iterator<Item = u16> + '_ {
    let mut i = 0;
    std::iter::from_fn(move || {
        let rest = items.get(i..).filter(|r| !r.is_empty())?;
        let symbol = rest.first().map_or(0, |s| s.symbol());
        let run = rest
            .iter()
            .take(MAX_RUN)
            .take_while(|s| s.symbol() == symbol)
            .count();
        let one_bit = rest.iter().take(14).all(|s| s.symbol() <= 1);
        if run >= 14 || run == rest.len() || (!one_bit && run >= 7) {
            // §3.1.3: T = 0, the symbol, the run length.
            i += run;
            return Some(u16::from(symbol) << 13 | run as u16);
        }
        if one_bit {
            // §3.1.4: T = 1, S = 0, 14 one-bit symbols (unused ones 0).
            let mut chunk = 0x8000u16;
            for (k, s) in rest.iter().take(14).enumerate() {
                chunk |= u16::from(s.symbol()) << (13 - k);
            }
            i += rest.len().min(14);
            return Some(chunk);
        }
        // T = 1, S = 1, 7 two-bit symbols.
        let mut chunk = 0xC000u16;
        for (k, s) in rest.iter().take(7).enumerate() {
            chunk |= u16::from(s.symbol()) << (12 - 2 * k);
        }
        i += rest.len().min(7);
        Some(chunk)
    })
}

/// Transport-wide congestion control feedback (draft-holmer §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TransportCc<'a> {
    /// The sender of the feedback.
    pub sender_ssrc: u32,
    /// A media source (the draft leaves its choice open).
    pub media_ssrc: u32,
    /// The transport-wide sequence number of the first status.
    pub base_sequence_number: u16,
    /// The reference time: 24 bits signed, in 64 ms units.
    pub reference_time: i32,
    /// Counts feedback packets, to detect their loss.
    pub feedback_packet_count: u8,
    /// One status per sequence number from `base_sequence_number` on, at most 65535.
    pub statuses: TwccStatuses<'a>,
}

impl<'a> TransportCc<'a> {
    /// Reads the packet: chunks covering the packet status count, a delta for each received
    /// packet, then at most 3 bytes of zero padding.
    pub fn parse(raw: &RawRtcp<'a>) -> Result<Self, ParseError> {
        let mut r = Reader::new(raw.body, "transport-cc packet");
        let sender_ssrc = r.u32()?;
        let media_ssrc = r.u32()?;
        let base_sequence_number = r.u16()?;
        let count = r.u16()?;
        let reference = r.u24()?;
        let feedback_packet_count = r.u8()?;
        let rest = r.rest();

        // Walk the chunks to find where they end and how many delta bytes follow.
        let mut chunks_len = 0;
        let mut covered = 0usize;
        let mut delta_len = 0usize;
        while covered < usize::from(count) {
            let mut cr = Reader::new(
                rest.get(chunks_len..).unwrap_or_default(),
                "transport-cc packet chunks",
            );
            let chunk = cr.u16()?;
            chunks_len += 2;
            let n = Decoder::chunk_len(chunk).min(usize::from(count) - covered);
            let mut d = Decoder {
                left: n as u16,
                chunks: &[],
                deltas: &[],
                chunk,
                in_chunk: Decoder::chunk_len(chunk),
            };
            for _ in 0..n {
                delta_len += match d.symbol()? {
                    0 => 0,
                    1 => 1,
                    2 => 2,
                    _ => return Err(ParseError::InvalidField("transport-cc status symbol")),
                };
            }
            covered += n;
        }
        let chunks = rest.get(..chunks_len).unwrap_or_default();
        let after = rest.get(chunks_len..).unwrap_or_default();
        let mut dr = Reader::new(after, "transport-cc receive deltas");
        let deltas = dr.take(delta_len)?;
        // The draft pads with zero bytes to 32 bits (libwebrtc uses the P bit instead).
        if dr.remaining() > 3 {
            return Err(ParseError::TrailingBytes {
                what: "transport-cc packet",
                count: dr.remaining(),
            });
        }
        Ok(Self {
            sender_ssrc,
            media_ssrc,
            base_sequence_number,
            reference_time: ((reference << 8) as i32) >> 8,
            feedback_packet_count,
            statuses: TwccStatuses {
                repr: Repr::Wire {
                    count,
                    chunks,
                    deltas,
                },
            },
        })
    }

    /// The reference time in microseconds.
    pub const fn reference_time_micros(&self) -> i64 {
        self.reference_time as i64 * 64_000
    }

    /// Each packet's sequence number and, if received, its arrival time in microseconds on
    /// the feedback sender's clock (the reference time plus the deltas so far).
    pub fn arrivals(&self) -> impl Iterator<Item = (u16, Option<i64>)> + 'a {
        let base = self.base_sequence_number;
        let mut time = self.reference_time_micros();
        self.statuses.iter().enumerate().map(move |(i, s)| {
            let seq = base.wrapping_add(i as u16);
            match s.delta_micros() {
                Some(d) => {
                    time += d;
                    (seq, Some(time))
                }
                None => (seq, None),
            }
        })
    }

    /// Bytes it takes.
    pub fn encoded_len(&self) -> usize {
        packet_len(self)
    }

    /// Writes it at the start of `out` (padded with the P bit, as libwebrtc does).
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        emit_packet(self, out)
    }

    fn chunks_and_deltas_len(&self) -> (usize, usize) {
        match self.statuses.repr {
            Repr::Wire { chunks, deltas, .. } => (chunks.len(), deltas.len()),
            Repr::Items(items) => (
                2 * encode_chunks(items).count(),
                items.iter().map(|s| usize::from(s.symbol())).sum(),
            ),
        }
    }
}

impl Body for TransportCc<'_> {
    fn packet_type(&self) -> u8 {
        packet_type::RTPFB
    }
    fn count(&self) -> Result<u8, WriteError> {
        Ok(feedback_type::TRANSPORT_CC)
    }
    fn body_len(&self) -> usize {
        let (c, d) = self.chunks_and_deltas_len();
        16 + c + d
    }
    fn write_body(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let count = self.statuses.len();
        let count = u16::try_from(count).map_err(|_| WriteError::TooMany {
            what: "transport-cc statuses",
            count,
        })?;
        if !(-(1 << 23)..(1 << 23)).contains(&self.reference_time) {
            return Err(WriteError::InvalidField("transport-cc reference time"));
        }
        let mut w = Writer::new(out);
        w.u32(self.sender_ssrc)?;
        w.u32(self.media_ssrc)?;
        w.u16(self.base_sequence_number)?;
        w.u16(count)?;
        w.u24(self.reference_time as u32 & 0x00FF_FFFF)?;
        w.u8(self.feedback_packet_count)?;
        match self.statuses.repr {
            Repr::Wire { chunks, deltas, .. } => {
                w.bytes(chunks)?;
                w.bytes(deltas)?;
            }
            Repr::Items(items) => {
                for chunk in encode_chunks(items) {
                    w.u16(chunk)?;
                }
                for s in items {
                    match (s.symbol(), *s) {
                        (1, TwccStatus::Received { delta }) => w.u8(delta as u8)?,
                        (2, TwccStatus::Received { delta }) => w.u16(delta as u16)?,
                        _ => {}
                    }
                }
            }
        }
        Ok(w.position())
    }
}

/// The first chunk of a received packet, for tests of the chunk coding.
#[cfg(test)]
fn first_chunk(tcc: &TransportCc<'_>) -> Option<u16> {
    match tcc.statuses.repr {
        Repr::Wire { chunks, .. } => Some(crate::wire::be16(chunks, 0)),
        Repr::Items(items) => encode_chunks(items).next(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::RtcpPacket;

    fn tcc_with_chunk(count: u16, chunk: u16, deltas: &[u8]) -> Vec<u8> {
        let mut b = vec![0x8F, 205, 0, 0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 10];
        b.extend_from_slice(&count.to_be_bytes());
        b.extend_from_slice(&[0, 0, 1, 7]);
        b.extend_from_slice(&chunk.to_be_bytes());
        b.extend_from_slice(deltas);
        while b.len() % 4 != 0 {
            b.push(0);
        }
        let words = (b.len() / 4 - 1) as u16;
        b[2..4].copy_from_slice(&words.to_be_bytes());
        b
    }

    fn parse(bytes: &[u8]) -> TransportCc<'_> {
        match RtcpPacket::parse(bytes).unwrap() {
            RtcpPacket::TransportCc(t) => t,
            other => panic!("{other:?}"),
        }
    }

    // draft-holmer §3.1.3, example 1: a run of 221 "not received".
    #[test]
    fn run_length_chunk_example() {
        let bytes = tcc_with_chunk(221, 0b0000_0000_1101_1101, &[]);
        let t = parse(&bytes);
        assert_eq!(t.base_sequence_number, 10);
        assert_eq!(t.reference_time, 1);
        assert_eq!(t.feedback_packet_count, 7);
        assert_eq!(t.statuses.len(), 221);
        assert!(t.statuses.iter().all(|s| s == TwccStatus::NotReceived));
        assert_eq!(first_chunk(&t), Some(0x00DD));
        // Written back from the statuses, the same chunk.
        let items: Vec<_> = t.statuses.iter().collect();
        let again = TransportCc {
            statuses: TwccStatuses::new(&items),
            ..t
        };
        assert_eq!(first_chunk(&again), Some(0x00DD));
        let mut out = vec![0u8; again.encoded_len()];
        again.emit(&mut out).unwrap();
        // The same packet, padded with the P bit rather than with zeros.
        assert_eq!(parse(&out), t);
        assert_eq!(out.len(), bytes.len());
        assert_eq!((out[0], out[out.len() - 1]), (0xAF, 2));
        assert_eq!(out[1..out.len() - 2], bytes[1..bytes.len() - 2]);
    }

    // draft-holmer §3.1.4, example 1: a one-bit vector, 1 lost, 5 received, 3 lost, 3
    // received, 2 lost.
    #[test]
    fn one_bit_status_vector_example() {
        let bytes = tcc_with_chunk(14, 0b1001_1111_0001_1100, &[1, 2, 3, 4, 5, 6, 7, 8]);
        let t = parse(&bytes);
        let received: Vec<bool> = t
            .statuses
            .iter()
            .map(|s| s != TwccStatus::NotReceived)
            .collect();
        let want = [0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0].map(|b| b == 1);
        assert_eq!(received, want);
        let arrivals: Vec<_> = t.arrivals().filter_map(|(_, a)| a).collect();
        assert_eq!(arrivals[0], 64_000 + 250);
        assert_eq!(arrivals[7], 64_000 + 250 * 36);
    }

    // draft-holmer §3.1.4, example 2, with the reserved symbol replaced by a large delta: a
    // two-bit vector.
    #[test]
    fn two_bit_status_vector() {
        let bytes = tcc_with_chunk(7, 0b1100_1001_0101_0000, &[0xFF, 0x38, 9, 8, 7]);
        let t = parse(&bytes);
        let statuses: Vec<_> = t.statuses.iter().collect();
        assert_eq!(
            statuses,
            [
                TwccStatus::NotReceived,
                TwccStatus::Received { delta: -200 },
                TwccStatus::Received { delta: 9 },
                TwccStatus::Received { delta: 8 },
                TwccStatus::Received { delta: 7 },
                TwccStatus::NotReceived,
                TwccStatus::NotReceived,
            ]
        );
        // The reserved symbol (11) is refused.
        let bad = tcc_with_chunk(7, 0b1111_0000_0000_0000, &[]);
        assert!(RtcpPacket::parse(&bad).is_err());
    }
}
