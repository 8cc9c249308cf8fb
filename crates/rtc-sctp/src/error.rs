//! The crate's errors: [`ParseError`] for bytes the peer sent, [`WriteError`] for what the local
//! caller asked to write.

/// Why received bytes are not a well-formed SCTP packet, chunk, parameter or error cause.
///
/// `what` names the structure at fault ("common header", "SACK chunk", "IPv4 Address
/// parameter"...). None of the variants carries a `String`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Fewer bytes than a header needs, or than a length field announces.
    #[error("{what} truncated: need {needed} bytes, have {available}")]
    Truncated {
        /// The structure that is cut short.
        what: &'static str,
        /// Bytes it needs.
        needed: usize,
        /// Bytes that were there.
        available: usize,
    },
    /// A length field below the structure's minimum, or of a form its definition does not
    /// allow (a fixed-size chunk or parameter of another size, a list that is not a whole
    /// number of entries, a SACK whose counts disagree with its length).
    #[error("{what} has invalid length {length}")]
    BadLength {
        /// The structure whose length is wrong.
        what: &'static str,
        /// The length found: the length field of the chunk, parameter or error cause (4-byte
        /// header included, padding excluded).
        length: usize,
    },
    /// Bytes are left after the chunk that [`crate::Chunk::parse`] was given, past its padding.
    #[error("{count} bytes after the chunk")]
    TrailingBytes {
        /// How many.
        count: usize,
    },
    /// The CRC32c does not match the packet (RFC 9260 §6.8).
    #[error("checksum mismatch: packet carries {received:#010x}, computed {computed:#010x}")]
    BadChecksum {
        /// The CRC32c value in the common header.
        received: u32,
        /// The CRC32c of the packet.
        computed: u32,
    },
    /// A packet with a common header and no chunk.
    #[error("packet has no chunks")]
    NoChunks,
    /// A field holds a value it may not hold (named).
    #[error("invalid {0}")]
    InvalidField(&'static str),
    /// A chunk lacks a parameter it must carry.
    #[error("{chunk} lacks its {parameter} parameter")]
    MissingParameter {
        /// The chunk.
        chunk: &'static str,
        /// The missing parameter.
        parameter: &'static str,
    },
}

/// Why a chunk or packet could not be written. These are the local caller's mistakes (a buffer
/// too small, a value too long for its length field) or a full packet, never the peer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The output buffer cannot hold what is being written.
    #[error("buffer too small: need {needed} bytes, have {available}")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// [`crate::PacketWriter`]: the chunk does not fit in what is left of the packet; the packet
    /// is unchanged and can be finished and sent, the chunk goes in the next one.
    #[error("chunk of {needed} bytes does not fit in the {remaining} bytes left in the packet")]
    DoesNotFit {
        /// Bytes the chunk takes, padding included.
        needed: usize,
        /// Bytes left before the packet's size limit.
        remaining: usize,
    },
    /// A chunk, parameter or error cause longer than its 16-bit length field can say.
    #[error("{what} of {length} bytes is longer than a 16-bit length allows")]
    TooLong {
        /// What is too long.
        what: &'static str,
        /// Its length in bytes.
        length: usize,
    },
    /// A list with more entries than its 16-bit count field can say (SACK gap blocks and
    /// duplicate TSNs).
    #[error("{what} has {count} entries, more than a 16-bit count allows")]
    TooManyEntries {
        /// The list.
        what: &'static str,
        /// Its number of entries.
        count: usize,
    },
}
