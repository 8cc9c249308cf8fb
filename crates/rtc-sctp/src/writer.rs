//! [`PacketWriter`]: bundles chunks into one packet in the caller's buffer (RFC 9260 §6.10) and
//! seals it with the CRC32c (§6.8).

use crate::WriteError;
use crate::chunk::Chunk;
use crate::codec::{Cursor, padded};
use crate::packet::{COMMON_HEADER_LEN, write_checksum};

/// Writes one packet into a caller's buffer: the common header, then chunks as long as they fit
/// the size limit, then the checksum. Nothing is allocated; each chunk is written once, in
/// place.
///
/// ```
/// use rtc_sctp::{Chunk, Data, Packet, PacketWriter, Sack, WireList};
///
/// let mut buf = [0u8; 1200];
/// let mut packet = PacketWriter::new(&mut buf, 1200, 5000, 5000, 0x1234_5678)?;
/// packet.push(&Chunk::Sack(Sack {
///     cumulative_tsn_ack: 41,
///     a_rwnd: 131_072,
///     gap_ack_blocks: WireList::default(),
///     duplicate_tsns: WireList::default(),
/// }))?;
/// let message = b"hello";
/// // DATA_HEADER_LEN plus the payload, padded, must fit in `remaining()`.
/// assert!(packet.remaining() >= rtc_sctp::DATA_HEADER_LEN + message.len());
/// packet.push(&Chunk::Data(Data {
///     tsn: 42,
///     stream_id: 0,
///     ssn: 0,
///     ppid: 51, // WebRTC String (RFC 8831 §8)
///     unordered: false,
///     beginning: true,
///     end: true,
///     immediate: false,
///     user_data: message,
/// }))?;
/// let bytes = packet.finish();
/// assert_eq!(Packet::parse(bytes)?.chunks().count(), 2);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct PacketWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
    limit: usize,
    chunks: usize,
}

impl<'b> PacketWriter<'b> {
    /// Starts a packet in `buf`, at most `max_len` bytes long (the path MTU less the DTLS,
    /// UDP and IP overhead; RFC 8831 §5 starts at 1200 for IP). Every chunk is padded to 4,
    /// so the limit is rounded down to a multiple of 4.
    pub fn new(
        buf: &'b mut [u8],
        max_len: usize,
        source_port: u16,
        destination_port: u16,
        verification_tag: u32,
    ) -> Result<Self, WriteError> {
        let limit = max_len.min(buf.len()) & !3;
        if limit < COMMON_HEADER_LEN {
            return Err(WriteError::BufferTooSmall {
                needed: COMMON_HEADER_LEN,
                available: max_len.min(buf.len()),
            });
        }
        let mut c = Cursor::new(&mut buf[..COMMON_HEADER_LEN]);
        c.u16(source_port);
        c.u16(destination_port);
        c.u32(verification_tag);
        c.u32(0);
        Ok(Self {
            buf,
            len: COMMON_HEADER_LEN,
            limit,
            chunks: 0,
        })
    }

    /// Bytes left for chunks, their headers and padding included. Always a multiple of 4: a
    /// DATA chunk with up to `remaining() - DATA_HEADER_LEN` bytes of user data fits.
    pub fn remaining(&self) -> usize {
        self.limit - self.len
    }

    /// True when `chunk` fits in what is left.
    pub fn fits(&self, chunk: &Chunk<'_>) -> bool {
        chunk.padded_len().is_ok_and(|n| n <= self.remaining())
    }

    /// Appends `chunk` with its padding. When it does not fit, fails with
    /// [`WriteError::DoesNotFit`] and leaves the packet as it was.
    pub fn push(&mut self, chunk: &Chunk<'_>) -> Result<(), WriteError> {
        let len = chunk.encoded_len()?;
        let total = padded(len);
        if total > self.remaining() {
            return Err(WriteError::DoesNotFit {
                needed: total,
                remaining: self.remaining(),
            });
        }
        chunk.emit_exact(len, &mut self.buf[self.len..self.len + total]);
        self.len += total;
        self.chunks += 1;
        Ok(())
    }

    /// Number of chunks written.
    pub fn chunk_count(&self) -> usize {
        self.chunks
    }

    /// True when no chunk has been written: such a packet is not worth sending.
    pub fn is_empty(&self) -> bool {
        self.chunks == 0
    }

    /// Length of the packet so far.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Computes and stores the CRC32c; returns the packet.
    pub fn finish(self) -> &'b [u8] {
        let packet = &mut self.buf[..self.len];
        write_checksum(packet);
        packet
    }

    /// Leaves the checksum zero; returns the packet. Only for a peer that announced Zero
    /// Checksum Acceptable with the DTLS method ([`crate::Param::ZeroChecksumAcceptable`]);
    /// RFC 9653 keeps the CRC32c on some packets even then (an INIT, for one, is sent before
    /// anything is negotiated).
    pub fn finish_without_checksum(self) -> &'b [u8] {
        &self.buf[..self.len]
    }
}
