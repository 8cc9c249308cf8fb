//! DATA (RFC 9260 §3.3.1) and I-DATA (RFC 8260 §2.1): the hot path, parsed and written
//! without allocation or copies beyond the user data into the packet.

use crate::ParseError;
use crate::codec::{Cursor, Reader};

/// Length of a DATA chunk before its user data.
pub const DATA_HEADER_LEN: usize = 16;
/// Length of an I-DATA chunk before its user data.
pub const I_DATA_HEADER_LEN: usize = 20;

const FLAG_END: u8 = 0x01;
const FLAG_BEGINNING: u8 = 0x02;
const FLAG_UNORDERED: u8 = 0x04;
const FLAG_IMMEDIATE: u8 = 0x08;

/// A DATA chunk (RFC 9260 §3.3.1).
///
/// A DATA chunk without user data parses: RFC 9260 §6.2 has the receiver answer it with an
/// ABORT carrying a No User Data cause with its TSN, so the association needs the TSN.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Data<'a> {
    /// Transmission Sequence Number.
    pub tsn: u32,
    /// Stream Identifier.
    pub stream_id: u16,
    /// Stream Sequence Number (the receiver ignores it when `unordered`).
    pub ssn: u16,
    /// Payload Protocol Identifier, as the upper layer gave it (for data channels, RFC 8831
    /// §8 values).
    pub ppid: u32,
    /// U bit: unordered.
    pub unordered: bool,
    /// B bit: first fragment of a user message.
    pub beginning: bool,
    /// E bit: last fragment of a user message.
    pub end: bool,
    /// I bit: the sender asks for an immediate SACK (RFC 7053).
    pub immediate: bool,
    /// The user data.
    pub user_data: &'a [u8],
}

impl<'a> Data<'a> {
    pub(crate) fn decode(flags: u8, value: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(value, "DATA chunk");
        Ok(Self {
            tsn: r.u32()?,
            stream_id: r.u16()?,
            ssn: r.u16()?,
            ppid: r.u32()?,
            unordered: flags & FLAG_UNORDERED != 0,
            beginning: flags & FLAG_BEGINNING != 0,
            end: flags & FLAG_END != 0,
            immediate: flags & FLAG_IMMEDIATE != 0,
            user_data: r.rest(),
        })
    }

    pub(crate) fn flags(&self) -> u8 {
        data_flags(self.unordered, self.beginning, self.end, self.immediate)
    }

    pub(crate) fn value_len(&self) -> usize {
        DATA_HEADER_LEN - 4 + self.user_data.len()
    }

    pub(crate) fn emit_value(&self, c: &mut Cursor<'_>) {
        c.u32(self.tsn);
        c.u16(self.stream_id);
        c.u16(self.ssn);
        c.u32(self.ppid);
        c.bytes(self.user_data);
    }
}

fn data_flags(unordered: bool, beginning: bool, end: bool, immediate: bool) -> u8 {
    let mut flags = 0;
    if unordered {
        flags |= FLAG_UNORDERED;
    }
    if beginning {
        flags |= FLAG_BEGINNING;
    }
    if end {
        flags |= FLAG_END;
    }
    if immediate {
        flags |= FLAG_IMMEDIATE;
    }
    flags
}

/// The field of an I-DATA chunk that holds the PPID in a message's first fragment and the
/// Fragment Sequence Number in the others; the B bit says which (RFC 8260 §2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PpidOrFsn {
    /// B bit set: the first fragment, carrying the Payload Protocol Identifier (its FSN is 0).
    Ppid(u32),
    /// B bit clear: a later fragment, carrying its Fragment Sequence Number.
    Fsn(u32),
}

/// An I-DATA chunk (RFC 8260 §2.1), used instead of DATA when both ends announced it in
/// Supported Extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IData<'a> {
    /// Transmission Sequence Number.
    pub tsn: u32,
    /// Stream Identifier.
    pub stream_id: u16,
    /// Message Identifier.
    pub message_id: u32,
    /// PPID (first fragment, B bit set) or FSN (later fragments).
    pub ppid_or_fsn: PpidOrFsn,
    /// U bit: unordered.
    pub unordered: bool,
    /// E bit: last fragment of a user message.
    pub end: bool,
    /// I bit: the sender asks for an immediate SACK (RFC 7053).
    pub immediate: bool,
    /// The user data.
    pub user_data: &'a [u8],
}

impl<'a> IData<'a> {
    /// B bit: first fragment of a user message.
    pub fn beginning(&self) -> bool {
        matches!(self.ppid_or_fsn, PpidOrFsn::Ppid(_))
    }

    /// The Fragment Sequence Number (0 for the first fragment).
    pub fn fsn(&self) -> u32 {
        match self.ppid_or_fsn {
            PpidOrFsn::Ppid(_) => 0,
            PpidOrFsn::Fsn(fsn) => fsn,
        }
    }

    pub(crate) fn decode(flags: u8, value: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(value, "I-DATA chunk");
        let tsn = r.u32()?;
        let stream_id = r.u16()?;
        let _reserved = r.u16()?;
        let message_id = r.u32()?;
        let field = r.u32()?;
        Ok(Self {
            tsn,
            stream_id,
            message_id,
            ppid_or_fsn: if flags & FLAG_BEGINNING != 0 {
                PpidOrFsn::Ppid(field)
            } else {
                PpidOrFsn::Fsn(field)
            },
            unordered: flags & FLAG_UNORDERED != 0,
            end: flags & FLAG_END != 0,
            immediate: flags & FLAG_IMMEDIATE != 0,
            user_data: r.rest(),
        })
    }

    pub(crate) fn flags(&self) -> u8 {
        data_flags(self.unordered, self.beginning(), self.end, self.immediate)
    }

    pub(crate) fn value_len(&self) -> usize {
        I_DATA_HEADER_LEN - 4 + self.user_data.len()
    }

    pub(crate) fn emit_value(&self, c: &mut Cursor<'_>) {
        c.u32(self.tsn);
        c.u16(self.stream_id);
        c.u16(0);
        c.u32(self.message_id);
        c.u32(match self.ppid_or_fsn {
            PpidOrFsn::Ppid(v) | PpidOrFsn::Fsn(v) => v,
        });
        c.bytes(self.user_data);
    }
}
