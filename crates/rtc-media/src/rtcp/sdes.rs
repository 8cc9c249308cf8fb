//! Source descriptions (RFC 3550 §6.5).

use super::{Body, RawRtcp, emit_packet, packet_len, packet_type};
use crate::list::{List, ListItem, Sealed};
use crate::wire::{Reader, Writer, padded4};
use crate::{ParseError, WriteError};

/// The most chunks one packet can count (the 5-bit SC field).
const MAX_CHUNKS: usize = 31;

/// SDES item types (RFC 3550 §6.5, §12.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SdesItemType {
    /// CNAME: canonical end-point identifier (§6.5.1).
    Cname,
    /// NAME: user name (§6.5.2).
    Name,
    /// EMAIL (§6.5.3).
    Email,
    /// PHONE (§6.5.4).
    Phone,
    /// LOC: geographic location (§6.5.5).
    Location,
    /// TOOL: application or tool name (§6.5.6).
    Tool,
    /// NOTE: notice or status (§6.5.7).
    Note,
    /// PRIV: private extension (§6.5.8); the value holds its prefix length and prefix.
    Private,
    /// Any other type (1..=255 but the above; RFC 7941's MID and RID items, say).
    Other(u8),
}

impl SdesItemType {
    /// The type from its number (0, the end marker, is not an item type).
    pub const fn from_u8(v: u8) -> Self {
        match v {
            1 => Self::Cname,
            2 => Self::Name,
            3 => Self::Email,
            4 => Self::Phone,
            5 => Self::Location,
            6 => Self::Tool,
            7 => Self::Note,
            8 => Self::Private,
            v => Self::Other(v),
        }
    }

    /// Its number.
    pub const fn as_u8(self) -> u8 {
        match self {
            Self::Cname => 1,
            Self::Name => 2,
            Self::Email => 3,
            Self::Phone => 4,
            Self::Location => 5,
            Self::Tool => 6,
            Self::Note => 7,
            Self::Private => 8,
            Self::Other(v) => v,
        }
    }
}

/// One SDES item: a type and up to 255 bytes of (UTF-8) text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SdesItem<'a> {
    /// The type.
    pub item_type: SdesItemType,
    /// The value.
    pub value: &'a [u8],
}

impl<'a> SdesItem<'a> {
    /// The value as text, if it is UTF-8.
    pub fn text(&self) -> Option<&'a str> {
        std::str::from_utf8(self.value).ok()
    }
}

impl Sealed for SdesItem<'_> {}

impl<'a> ListItem<'a> for SdesItem<'a> {
    fn read(bytes: &mut &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(bytes, "SDES item");
        let item_type = r.u8()?;
        if item_type == 0 {
            return Err(ParseError::InvalidField("SDES item type"));
        }
        let len = r.u8()?;
        let value = r.take(usize::from(len))?;
        *bytes = r.rest();
        Ok(Self {
            item_type: SdesItemType::from_u8(item_type),
            value,
        })
    }

    fn encoded_len(&self) -> usize {
        2 + self.value.len()
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let t = self.item_type.as_u8();
        if t == 0 {
            return Err(WriteError::InvalidField("SDES item type"));
        }
        let len = u8::try_from(self.value.len()).map_err(|_| WriteError::TooLong {
            what: "SDES item",
            length: self.value.len(),
        })?;
        let mut w = Writer::new(out);
        w.u8(t)?;
        w.u8(len)?;
        w.bytes(self.value)?;
        Ok(w.position())
    }
}

/// One SDES chunk: a source and its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SdesChunk<'a> {
    /// The SSRC or CSRC described.
    pub source: u32,
    /// Its items.
    pub items: List<'a, SdesItem<'a>>,
}

impl<'a> SdesChunk<'a> {
    /// The CNAME item's value, if any.
    pub fn cname(&self) -> Option<&'a [u8]> {
        self.items
            .iter()
            .find(|i| i.item_type == SdesItemType::Cname)
            .map(|i| i.value)
    }
}

impl Sealed for SdesChunk<'_> {}

impl<'a> ListItem<'a> for SdesChunk<'a> {
    fn read(bytes: &mut &'a [u8]) -> Result<Self, ParseError> {
        let start = *bytes;
        let mut r = Reader::new(start, "SDES chunk");
        let source = r.u32()?;
        let items_start = r.rest();
        // Items up to the null octet that ends the list (RFC 3550 §6.5).
        let mut rest = items_start;
        loop {
            match rest.first() {
                None => {
                    return Err(ParseError::Truncated {
                        what: "SDES chunk",
                        needed: start.len() + 1,
                        available: start.len(),
                    });
                }
                Some(0) => break,
                Some(_) => {
                    SdesItem::read(&mut rest)?;
                }
            }
        }
        let items_len = items_start.len() - rest.len();
        // The null octet, then null octets up to the next 32-bit boundary.
        let chunk_len = padded4(4 + items_len + 1);
        let mut r = Reader::new(start, "SDES chunk");
        r.take(chunk_len)?;
        *bytes = r.rest();
        Ok(Self {
            source,
            items: List::parse(items_start.get(..items_len).unwrap_or_default())?,
        })
    }

    fn encoded_len(&self) -> usize {
        padded4(4 + self.items.encoded_len() + 1)
    }

    fn write(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let len = self.encoded_len();
        let mut w = Writer::new(out);
        w.reserve(len)?;
        w.u32(self.source)?;
        let at = 4 + self.items.write(out.get_mut(4..).unwrap_or_default())?;
        let mut w = Writer::new(out.get_mut(at..).unwrap_or_default());
        w.zeros(len - at)?;
        Ok(len)
    }
}

/// SDES (RFC 3550 §6.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SourceDescription<'a> {
    /// The chunks, at most 31.
    pub chunks: List<'a, SdesChunk<'a>>,
}

impl<'a> SourceDescription<'a> {
    /// Reads the packet: SC chunks filling the body.
    pub fn parse(raw: &RawRtcp<'a>) -> Result<Self, ParseError> {
        let mut body = raw.body;
        let chunks = List::parse_count(&mut body, usize::from(raw.count))?;
        if !body.is_empty() {
            return Err(ParseError::TrailingBytes {
                what: "SDES chunks",
                count: body.len(),
            });
        }
        Ok(Self { chunks })
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

impl Body for SourceDescription<'_> {
    fn packet_type(&self) -> u8 {
        packet_type::SDES
    }
    fn count(&self) -> Result<u8, WriteError> {
        let count = self.chunks.len();
        if count > MAX_CHUNKS {
            return Err(WriteError::TooMany {
                what: "SDES chunks",
                count,
            });
        }
        Ok(count as u8)
    }
    fn body_len(&self) -> usize {
        self.chunks.encoded_len()
    }
    fn write_body(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        self.chunks.write(out)
    }
}
