//! SCTP (RFC 9260) wire format for WebRTC data channels, with the extensions WebRTC stacks
//! negotiate: partial reliability (RFC 3758), stream reconfiguration (RFC 6525), I-DATA
//! (RFC 8260), padding (RFC 4820) and zero checksum (RFC 9653). SCTP runs over DTLS
//! (RFC 8261), so there are no IP addresses to speak of.
//!
//! This crate contains no networking code and reads no clock; the association draws its tags,
//! initial TSN and cookie key from the crypto provider (`rtc-crypto`). Two layers:
//!
//! - [`Association`]: the sans-IO association (handshake with an HMAC state cookie, DATA and
//!   SACK, fragmentation and reassembly, ordered and unordered streams, congestion control,
//!   retransmission, partial reliability, stream reset, heartbeats, shutdown and abort, zero
//!   checksum). Feed it packets ([`Association::handle_packet`]) and time
//!   ([`Association::handle_timeout`]); take packets ([`Association::poll_transmit`]) and
//!   events ([`Association::poll_event`]). docs/sctp.md lists what it implements.
//! - The wire format, below: views over received packets and writers into the caller's
//!   buffer.
//!
//! - [`Packet`]: a view over a received packet, checked once: common header, CRC32c
//!   ([`ChecksumPolicy`]: verified by default), chunk framing with RFC 9260 §3.2's padding.
//!   [`Packet::chunks`] yields [`RawChunk`]s; [`RawChunk::decode`] gives a typed [`Chunk`].
//! - [`Chunk`]: every chunk type as a borrowed struct; lists (gap ack blocks, duplicate TSNs,
//!   stream entries) are [`WireList`]s read in place, parameters and error causes are
//!   [`Params`] and [`ErrorCauses`] decoded while iterating. Unknown chunks and parameters
//!   keep their type for the upper-two-bits rule ([`UnrecognizedAction`]).
//! - Writing: [`Chunk::emit`] into a `&mut [u8]`, [`Chunk::emit_vec`] onto a `Vec<u8>`, and
//!   [`PacketWriter`] to bundle chunks up to a size limit and seal the packet with its CRC32c.
//!   The same structs are parsed and written; lists to write point at the caller's slices.
//!
//! Nothing on the DATA and SACK paths allocates. Nothing the network sends panics.
//!
//! ```
//! use rtc_sctp::{Chunk, Packet, PacketWriter, Sack, WireList};
//!
//! # fn handle(datagram: &[u8], out: &mut [u8]) -> Result<usize, Box<dyn std::error::Error>> {
//! // A packet that came out of DTLS: acknowledge its DATA.
//! let packet = Packet::parse(datagram)?;
//! let mut highest = None;
//! for raw in packet.chunks() {
//!     match raw.decode()? {
//!         Chunk::Data(data) => highest = Some(data.tsn),
//!         Chunk::Unknown(u) if u.action().stops() => break,
//!         _ => {}
//!     }
//! }
//! let header = packet.header();
//! let mut reply = PacketWriter::new(out, 1200, header.destination_port, header.source_port, 0xfeed)?;
//! if let Some(tsn) = highest {
//!     reply.push(&Chunk::Sack(Sack {
//!         cumulative_tsn_ack: tsn,
//!         a_rwnd: 131_072,
//!         gap_ack_blocks: WireList::default(),
//!         duplicate_tsns: WireList::default(),
//!     }))?;
//! }
//! Ok(reply.finish().len())
//! # }
//! ```

#![forbid(unsafe_code)]

mod association;
mod cause;
mod chunk;
mod codec;
mod error;
mod list;
mod packet;
mod param;
mod types;
mod writer;

pub use association::{
    Association, CloseReason, Config, Event, Message, Reliability, ResetError, SendError,
    SendOptions, State, Stats,
};
pub use cause::{ErrorCause, ErrorCauses};
pub use chunk::{
    Abort, CHUNK_HEADER_LEN, Chunk, CookieEcho, DATA_HEADER_LEN, Data, ForwardTsn,
    ForwardTsnStream, GapAckBlock, Heartbeat, I_DATA_HEADER_LEN, IData, IForwardTsn,
    IForwardTsnStream, Init, OperationError, Pad, PpidOrFsn, RawChunk, ReConfig, Sack, Shutdown,
    ShutdownComplete, UnknownChunk,
};
pub use error::{ParseError, WriteError};
pub use list::{FixedItem, RawTlv, RawTlvs, TlvItem, TlvIter, TlvList, WireList, WireListIter};
pub use packet::{
    COMMON_HEADER_LEN, ChecksumPolicy, Chunks, CommonHeader, Packet, crc32c, packet_checksum,
    write_checksum,
};
pub use param::{
    AddStreamsRequest, EDMID_DTLS, IncomingSsnResetRequest, NextTsns, OutgoingSsnResetRequest,
    Param, Params, ReconfigResponse, ReconfigResult,
};
pub use types::{CauseCode, ChunkType, ParamType, UnrecognizedAction};
pub use writer::PacketWriter;
