//! SACK (RFC 9260 §3.3.4), FORWARD TSN (RFC 3758 §3.2) and I-FORWARD-TSN (RFC 8260
//! §2.3.1): acknowledgement and its partial-reliability counterpart, their lists read in place.

use crate::codec::{Cursor, Reader, be16, be32};
use crate::list::{FixedItem, WireList};
use crate::{ParseError, WriteError};

/// A Gap Ack Block (RFC 9260 §3.3.4): TSNs from `cumulative_tsn_ack + start` to
/// `cumulative_tsn_ack + end`, both included, were received.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GapAckBlock {
    /// Start offset from the Cumulative TSN Ack.
    pub start: u16,
    /// End offset from the Cumulative TSN Ack.
    pub end: u16,
}

impl FixedItem for GapAckBlock {
    const SIZE: usize = 4;
    fn read(bytes: &[u8]) -> Self {
        Self {
            start: be16(bytes, 0),
            end: be16(bytes, 2),
        }
    }
    fn write(&self, out: &mut [u8]) {
        let mut c = Cursor::new(out);
        c.u16(self.start);
        c.u16(self.end);
    }
}

/// A SACK chunk (RFC 9260 §3.3.4). The gap ack blocks and duplicate TSNs are read from the
/// packet as they are iterated; to send, point them at the caller's slices
/// ([`WireList::new`]).
///
/// Parsing checks that the chunk length is exactly what the two counts say. Whether the
/// blocks are ordered and disjoint is the association's to judge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sack<'a> {
    /// Cumulative TSN Ack.
    pub cumulative_tsn_ack: u32,
    /// Advertised Receiver Window Credit.
    pub a_rwnd: u32,
    /// Gap Ack Blocks.
    pub gap_ack_blocks: WireList<'a, GapAckBlock>,
    /// Duplicate TSNs.
    pub duplicate_tsns: WireList<'a, u32>,
}

impl<'a> Sack<'a> {
    pub(crate) fn decode(value: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(value, "SACK chunk");
        let cumulative_tsn_ack = r.u32()?;
        let a_rwnd = r.u32()?;
        let gaps = usize::from(r.u16()?);
        let dups = usize::from(r.u16()?);
        r.expect_len(gaps * GapAckBlock::SIZE + dups * 4)?;
        let gap_ack_blocks = WireList::from_wire(r.take(gaps * GapAckBlock::SIZE)?);
        let duplicate_tsns = WireList::from_wire(r.rest());
        Ok(Self {
            cumulative_tsn_ack,
            a_rwnd,
            gap_ack_blocks,
            duplicate_tsns,
        })
    }

    pub(crate) fn value_len(&self) -> Result<usize, WriteError> {
        count16("SACK gap ack blocks", self.gap_ack_blocks.len())?;
        count16("SACK duplicate TSNs", self.duplicate_tsns.len())?;
        Ok(12 + self.gap_ack_blocks.wire_len() + self.duplicate_tsns.wire_len())
    }

    pub(crate) fn emit_value(&self, c: &mut Cursor<'_>) {
        c.u32(self.cumulative_tsn_ack);
        c.u32(self.a_rwnd);
        c.u16(self.gap_ack_blocks.len() as u16);
        c.u16(self.duplicate_tsns.len() as u16);
        self.gap_ack_blocks.emit(c);
        self.duplicate_tsns.emit(c);
    }
}

fn count16(what: &'static str, count: usize) -> Result<(), WriteError> {
    if count > usize::from(u16::MAX) {
        return Err(WriteError::TooManyEntries { what, count });
    }
    Ok(())
}

/// A stream entry of FORWARD TSN (RFC 3758 §3.2): the largest SSN skipped on an ordered stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ForwardTsnStream {
    /// Stream identifier.
    pub stream_id: u16,
    /// Largest Stream Sequence Number skipped.
    pub ssn: u16,
}

impl FixedItem for ForwardTsnStream {
    const SIZE: usize = 4;
    fn read(bytes: &[u8]) -> Self {
        Self {
            stream_id: be16(bytes, 0),
            ssn: be16(bytes, 2),
        }
    }
    fn write(&self, out: &mut [u8]) {
        let mut c = Cursor::new(out);
        c.u16(self.stream_id);
        c.u16(self.ssn);
    }
}

/// A FORWARD TSN chunk (RFC 3758 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardTsn<'a> {
    /// New Cumulative TSN.
    pub new_cumulative_tsn: u32,
    /// The ordered streams skipped, with their largest skipped SSN.
    pub streams: WireList<'a, ForwardTsnStream>,
}

impl<'a> ForwardTsn<'a> {
    pub(crate) fn decode(value: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(value, "FORWARD TSN chunk");
        Ok(Self {
            new_cumulative_tsn: r.u32()?,
            streams: WireList::parse(r)?,
        })
    }

    pub(crate) fn value_len(&self) -> usize {
        4 + self.streams.wire_len()
    }

    pub(crate) fn emit_value(&self, c: &mut Cursor<'_>) {
        c.u32(self.new_cumulative_tsn);
        self.streams.emit(c);
    }
}

/// A stream entry of I-FORWARD-TSN (RFC 8260 §2.3.1): the largest Message Identifier skipped
/// on a stream, for ordered or unordered messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IForwardTsnStream {
    /// Stream identifier.
    pub stream_id: u16,
    /// U bit: the MID is of unordered messages.
    pub unordered: bool,
    /// Largest Message Identifier skipped.
    pub message_id: u32,
}

impl FixedItem for IForwardTsnStream {
    const SIZE: usize = 8;
    fn read(bytes: &[u8]) -> Self {
        Self {
            stream_id: be16(bytes, 0),
            // 15 reserved bits, then U.
            unordered: be16(bytes, 2) & 1 != 0,
            message_id: be32(bytes, 4),
        }
    }
    fn write(&self, out: &mut [u8]) {
        let mut c = Cursor::new(out);
        c.u16(self.stream_id);
        c.u16(u16::from(self.unordered));
        c.u32(self.message_id);
    }
}

/// An I-FORWARD-TSN chunk (RFC 8260 §2.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IForwardTsn<'a> {
    /// New Cumulative TSN.
    pub new_cumulative_tsn: u32,
    /// The streams skipped, with their largest skipped MID.
    pub streams: WireList<'a, IForwardTsnStream>,
}

impl<'a> IForwardTsn<'a> {
    pub(crate) fn decode(value: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(value, "I-FORWARD-TSN chunk");
        Ok(Self {
            new_cumulative_tsn: r.u32()?,
            streams: WireList::parse(r)?,
        })
    }

    pub(crate) fn value_len(&self) -> usize {
        4 + self.streams.wire_len()
    }

    pub(crate) fn emit_value(&self, c: &mut Cursor<'_>) {
        c.u32(self.new_cumulative_tsn);
        self.streams.emit(c);
    }
}
