//! Chunks (RFC 9260 §3.2, §3.3, and the extensions): [`RawChunk`] frames one, [`Chunk`] is
//! its typed, borrowed form, which parses from and writes to bytes.

mod control;
mod data;
mod init;
mod sack;

use std::fmt;

pub use control::{
    Abort, CookieEcho, Heartbeat, OperationError, Pad, ReConfig, Shutdown, ShutdownComplete,
    UnknownChunk,
};
pub use data::{DATA_HEADER_LEN, Data, I_DATA_HEADER_LEN, IData, PpidOrFsn};
pub use init::Init;
pub use sack::{ForwardTsn, ForwardTsnStream, GapAckBlock, IForwardTsn, IForwardTsnStream, Sack};

use crate::cause::ErrorCauses;
use crate::codec::{Cursor, MAX_TLV_LEN, Reader, TLV_HEADER_LEN, be16, padded, padding, split_tlv};
use crate::param::Params;
use crate::{ChunkType, ParseError, WriteError};

/// Length of a chunk header: type, flags, length.
pub const CHUNK_HEADER_LEN: usize = TLV_HEADER_LEN;

/// One chunk as framed in a packet: header and value, its padding left out. Its length field
/// has been checked against the bytes; its value has not been decoded ([`RawChunk::decode`]).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct RawChunk<'a> {
    bytes: &'a [u8],
}

impl<'a> RawChunk<'a> {
    /// Frames the chunk at the start of `bytes`: returns it and the bytes after its padding.
    /// The padding may be missing when nothing follows (RFC 9260 §3.2: a robust receiver
    /// accepts the last chunk with or without it).
    pub fn split(bytes: &'a [u8]) -> Result<(Self, &'a [u8]), ParseError> {
        let (chunk, rest) = split_tlv(bytes, "chunk")?;
        Ok((Self { bytes: chunk }, rest))
    }

    /// The chunk type.
    pub fn chunk_type(&self) -> ChunkType {
        ChunkType(self.bytes.first().copied().unwrap_or(0))
    }

    /// The chunk flags.
    pub fn flags(&self) -> u8 {
        self.bytes.get(1).copied().unwrap_or(0)
    }

    /// The chunk length field: header and value, without padding.
    pub fn len(&self) -> usize {
        usize::from(be16(self.bytes, 2))
    }

    /// Always false: a chunk has at least its header.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The value, without header and padding.
    pub fn value(&self) -> &'a [u8] {
        self.bytes.get(CHUNK_HEADER_LEN..).unwrap_or(&[])
    }

    /// Header and value, without padding: what an Unrecognized Chunk Type cause carries
    /// (RFC 9260 §3.3.10.6).
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Decodes the chunk. A type this crate does not know gives [`Chunk::Unknown`].
    pub fn decode(&self) -> Result<Chunk<'a>, ParseError> {
        let flags = self.flags();
        let value = self.value();
        Ok(match self.chunk_type() {
            ChunkType::DATA => Chunk::Data(Data::decode(flags, value)?),
            ChunkType::INIT => Chunk::Init(Init::decode(value, "INIT chunk")?),
            ChunkType::INIT_ACK => Chunk::InitAck(Init::decode(value, "INIT ACK chunk")?),
            ChunkType::SACK => Chunk::Sack(Sack::decode(value)?),
            ChunkType::HEARTBEAT => Chunk::Heartbeat(Heartbeat::decode(value, "HEARTBEAT chunk")?),
            ChunkType::HEARTBEAT_ACK => {
                Chunk::HeartbeatAck(Heartbeat::decode(value, "HEARTBEAT ACK chunk")?)
            }
            ChunkType::ABORT => Chunk::Abort(Abort::decode(flags, value)?),
            ChunkType::SHUTDOWN => Chunk::Shutdown(Shutdown::decode(value)?),
            ChunkType::SHUTDOWN_ACK => {
                Reader::new(value, "SHUTDOWN ACK chunk").expect_len(0)?;
                Chunk::ShutdownAck
            }
            ChunkType::ERROR => Chunk::Error(OperationError {
                causes: ErrorCauses::parse(value)?,
            }),
            ChunkType::COOKIE_ECHO => Chunk::CookieEcho(CookieEcho { cookie: value }),
            ChunkType::COOKIE_ACK => {
                Reader::new(value, "COOKIE ACK chunk").expect_len(0)?;
                Chunk::CookieAck
            }
            ChunkType::SHUTDOWN_COMPLETE => {
                Reader::new(value, "SHUTDOWN COMPLETE chunk").expect_len(0)?;
                Chunk::ShutdownComplete(ShutdownComplete {
                    reflected_tag: flags & 0x01 != 0,
                })
            }
            ChunkType::FORWARD_TSN => Chunk::ForwardTsn(ForwardTsn::decode(value)?),
            ChunkType::RE_CONFIG => Chunk::ReConfig(ReConfig {
                params: Params::parse(value)?,
            }),
            ChunkType::I_DATA => Chunk::IData(IData::decode(flags, value)?),
            ChunkType::I_FORWARD_TSN => Chunk::IForwardTsn(IForwardTsn::decode(value)?),
            ChunkType::PAD => Chunk::Pad(Pad { len: value.len() }),
            chunk_type => Chunk::Unknown(UnknownChunk {
                chunk_type,
                flags,
                value,
            }),
        })
    }
}

impl fmt::Debug for RawChunk<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RawChunk")
            .field("type", &self.chunk_type())
            .field("flags", &format_args!("{:#04x}", self.flags()))
            .field("len", &self.len())
            .finish()
    }
}

/// A chunk, decoded from received bytes or built to be written.
///
/// Control chunks' reserved flags are ignored on receipt and written as zeros (RFC 9260
/// §3.2), so a parsed chunk writes back to the same value, not always the same bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Chunk<'a> {
    /// DATA (0).
    Data(Data<'a>),
    /// INIT (1).
    Init(Init<'a>),
    /// INIT ACK (2).
    InitAck(Init<'a>),
    /// SACK (3).
    Sack(Sack<'a>),
    /// HEARTBEAT (4).
    Heartbeat(Heartbeat<'a>),
    /// HEARTBEAT ACK (5).
    HeartbeatAck(Heartbeat<'a>),
    /// ABORT (6).
    Abort(Abort<'a>),
    /// SHUTDOWN (7).
    Shutdown(Shutdown),
    /// SHUTDOWN ACK (8).
    ShutdownAck,
    /// ERROR (9).
    Error(OperationError<'a>),
    /// COOKIE ECHO (10).
    CookieEcho(CookieEcho<'a>),
    /// COOKIE ACK (11).
    CookieAck,
    /// SHUTDOWN COMPLETE (14).
    ShutdownComplete(ShutdownComplete),
    /// FORWARD TSN (192, RFC 3758).
    ForwardTsn(ForwardTsn<'a>),
    /// RE-CONFIG (130, RFC 6525).
    ReConfig(ReConfig<'a>),
    /// I-DATA (64, RFC 8260).
    IData(IData<'a>),
    /// I-FORWARD-TSN (194, RFC 8260).
    IForwardTsn(IForwardTsn<'a>),
    /// PAD (132, RFC 4820).
    Pad(Pad),
    /// Any other type.
    Unknown(UnknownChunk<'a>),
}

impl<'a> Chunk<'a> {
    /// Parses exactly one chunk: `bytes` holds its header and value, and optionally its
    /// padding; anything more is [`ParseError::TrailingBytes`].
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let (raw, rest) = RawChunk::split(bytes)?;
        if !rest.is_empty() {
            return Err(ParseError::TrailingBytes { count: rest.len() });
        }
        raw.decode()
    }

    /// The chunk type.
    pub fn chunk_type(&self) -> ChunkType {
        match self {
            Self::Data(_) => ChunkType::DATA,
            Self::Init(_) => ChunkType::INIT,
            Self::InitAck(_) => ChunkType::INIT_ACK,
            Self::Sack(_) => ChunkType::SACK,
            Self::Heartbeat(_) => ChunkType::HEARTBEAT,
            Self::HeartbeatAck(_) => ChunkType::HEARTBEAT_ACK,
            Self::Abort(_) => ChunkType::ABORT,
            Self::Shutdown(_) => ChunkType::SHUTDOWN,
            Self::ShutdownAck => ChunkType::SHUTDOWN_ACK,
            Self::Error(_) => ChunkType::ERROR,
            Self::CookieEcho(_) => ChunkType::COOKIE_ECHO,
            Self::CookieAck => ChunkType::COOKIE_ACK,
            Self::ShutdownComplete(_) => ChunkType::SHUTDOWN_COMPLETE,
            Self::ForwardTsn(_) => ChunkType::FORWARD_TSN,
            Self::ReConfig(_) => ChunkType::RE_CONFIG,
            Self::IData(_) => ChunkType::I_DATA,
            Self::IForwardTsn(_) => ChunkType::I_FORWARD_TSN,
            Self::Pad(_) => ChunkType::PAD,
            Self::Unknown(u) => u.chunk_type,
        }
    }

    fn flags(&self) -> u8 {
        match self {
            Self::Data(d) => d.flags(),
            Self::IData(d) => d.flags(),
            Self::Abort(a) => a.flags(),
            Self::ShutdownComplete(s) => s.flags(),
            Self::Unknown(u) => u.flags,
            _ => 0,
        }
    }

    fn value_len(&self) -> Result<usize, WriteError> {
        Ok(match self {
            Self::Data(d) => d.value_len(),
            Self::Init(i) | Self::InitAck(i) => i.value_len()?,
            Self::Sack(s) => s.value_len()?,
            Self::Heartbeat(h) | Self::HeartbeatAck(h) => h.value_len()?,
            Self::Abort(Abort { causes, .. }) | Self::Error(OperationError { causes }) => {
                causes.wire_len()?
            }
            Self::Shutdown(_) => 4,
            Self::ShutdownAck | Self::CookieAck | Self::ShutdownComplete(_) => 0,
            Self::CookieEcho(c) => c.cookie.len(),
            Self::ForwardTsn(f) => f.value_len(),
            Self::ReConfig(r) => r.params.wire_len()?,
            Self::IData(d) => d.value_len(),
            Self::IForwardTsn(f) => f.value_len(),
            Self::Pad(p) => p.len,
            Self::Unknown(u) => u.value.len(),
        })
    }

    fn emit_value(&self, c: &mut Cursor<'_>) {
        match self {
            Self::Data(d) => d.emit_value(c),
            Self::Init(i) | Self::InitAck(i) => i.emit_value(c),
            Self::Sack(s) => s.emit_value(c),
            Self::Heartbeat(h) | Self::HeartbeatAck(h) => h.emit_value(c),
            Self::Abort(Abort { causes, .. }) | Self::Error(OperationError { causes }) => {
                causes.emit(c)
            }
            Self::Shutdown(s) => c.u32(s.cumulative_tsn_ack),
            Self::ShutdownAck | Self::CookieAck | Self::ShutdownComplete(_) => {}
            Self::CookieEcho(e) => c.bytes(e.cookie),
            Self::ForwardTsn(f) => f.emit_value(c),
            Self::ReConfig(r) => r.params.emit(c),
            Self::IData(d) => d.emit_value(c),
            Self::IForwardTsn(f) => f.emit_value(c),
            Self::Pad(p) => c.zeros(p.len),
            Self::Unknown(u) => c.bytes(u.value),
        }
    }

    /// The chunk length field: header and value, without padding. Fails when a length or
    /// count does not fit its field.
    pub fn encoded_len(&self) -> Result<usize, WriteError> {
        let len = CHUNK_HEADER_LEN + self.value_len()?;
        if len > MAX_TLV_LEN {
            return Err(WriteError::TooLong {
                what: "chunk",
                length: len,
            });
        }
        Ok(len)
    }

    /// Bytes the chunk takes in a packet: [`Chunk::encoded_len`] rounded up to 4.
    pub fn padded_len(&self) -> Result<usize, WriteError> {
        Ok(padded(self.encoded_len()?))
    }

    /// Writes the chunk and its zero padding at the start of `out`; returns the bytes written
    /// ([`Chunk::padded_len`]).
    pub fn emit(&self, out: &mut [u8]) -> Result<usize, WriteError> {
        let len = self.encoded_len()?;
        let total = padded(len);
        let Some(out) = out.get_mut(..total) else {
            return Err(WriteError::BufferTooSmall {
                needed: total,
                available: out.len(),
            });
        };
        self.emit_exact(len, out);
        Ok(total)
    }

    /// Appends the chunk and its zero padding to `out`; returns the bytes appended.
    pub fn emit_vec(&self, out: &mut Vec<u8>) -> Result<usize, WriteError> {
        let len = self.encoded_len()?;
        let total = padded(len);
        let start = out.len();
        out.resize(start + total, 0);
        self.emit_exact(len, &mut out[start..]);
        Ok(total)
    }

    /// Writes into `out`, which is exactly `padded(len)` bytes, `len` from `encoded_len`.
    pub(crate) fn emit_exact(&self, len: usize, out: &mut [u8]) {
        let mut c = Cursor::new(out);
        c.u8(self.chunk_type().0);
        c.u8(self.flags());
        c.u16(len as u16);
        self.emit_value(&mut c.sub(len - CHUNK_HEADER_LEN));
        c.zeros(padding(len));
    }
}

macro_rules! from_struct {
    ($($variant:ident($ty:ty)),* $(,)?) => {
        $(
            impl<'a> From<$ty> for Chunk<'a> {
                fn from(c: $ty) -> Self {
                    Self::$variant(c)
                }
            }
        )*
    };
}

from_struct! {
    Data(Data<'a>),
    Sack(Sack<'a>),
    Abort(Abort<'a>),
    Shutdown(Shutdown),
    Error(OperationError<'a>),
    CookieEcho(CookieEcho<'a>),
    ShutdownComplete(ShutdownComplete),
    ForwardTsn(ForwardTsn<'a>),
    ReConfig(ReConfig<'a>),
    IData(IData<'a>),
    IForwardTsn(IForwardTsn<'a>),
    Pad(Pad),
    Unknown(UnknownChunk<'a>),
}
