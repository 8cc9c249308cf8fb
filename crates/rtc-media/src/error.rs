//! The crate's errors: [`ParseError`] for bytes that came from elsewhere (the network, a file),
//! [`WriteError`] for what the local caller asked to write or packetize.

/// Why received bytes are not a well-formed RTP packet, RTCP packet, header extension, payload
/// or media file.
///
/// `what` names the structure at fault ("RTP header", "SDES chunk", "FU-A packet"...). None of
/// the variants carries a `String`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Fewer bytes than a header needs, or than a length or count field announces.
    #[error("{what} truncated: need {needed} bytes, have {available}")]
    Truncated {
        /// The structure that is cut short.
        what: &'static str,
        /// Bytes it needs.
        needed: usize,
        /// Bytes that were there.
        available: usize,
    },
    /// A version field other than the one this crate reads (RTP and RTCP: 2, RFC 3550 §5.1).
    #[error("{what} has unsupported version {version}")]
    BadVersion {
        /// The structure.
        what: &'static str,
        /// The version found.
        version: u8,
    },
    /// A length field of a form its definition does not allow (an RTCP packet shorter than
    /// its fixed part, a list that is not a whole number of entries).
    #[error("{what} has invalid length {length}")]
    BadLength {
        /// The structure whose length is wrong.
        what: &'static str,
        /// The length found, in bytes.
        length: usize,
    },
    /// Bytes are left after a structure that must fill its container.
    #[error("{count} bytes after the {what}")]
    TrailingBytes {
        /// The structure.
        what: &'static str,
        /// How many bytes are left.
        count: usize,
    },
    /// A field holds a value it may not hold (named).
    #[error("invalid {0}")]
    InvalidField(&'static str),
    /// A well-formed structure this crate does not implement (H.264 interleaved mode, H.265
    /// PACI, a VP9 picture with more spatial layers than the descriptor can say...).
    #[error("unsupported {0}")]
    Unsupported(&'static str),
    /// An Ogg page whose CRC does not match its bytes (RFC 3533 §6).
    #[error("Ogg page checksum mismatch: page carries {received:#010x}, computed {computed:#010x}")]
    BadChecksum {
        /// The CRC in the page header.
        received: u32,
        /// The CRC of the page.
        computed: u32,
    },
}

/// Why something could not be written or packetized. These are the local caller's mistakes (a
/// buffer too small, a value too large for its field, a frame that is not what its codec
/// produces), never the peer's.
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
    /// Something longer than its length field can say.
    #[error("{what} of {length} bytes is too long for its length field")]
    TooLong {
        /// What is too long.
        what: &'static str,
        /// Its length in bytes.
        length: usize,
    },
    /// A list with more entries than its count field can say.
    #[error("{what} has {count} entries, more than its count field allows")]
    TooMany {
        /// The list.
        what: &'static str,
        /// Its number of entries.
        count: usize,
    },
    /// A field value out of its range (named): a payload type above 127, a one-byte header
    /// extension id outside 1..=14...
    #[error("invalid {0}")]
    InvalidField(&'static str),
    /// The largest payload the packetizer may emit cannot hold even its payload header and one
    /// byte of media (or, for codecs that cannot fragment, the whole frame).
    #[error("payload limit of {limit} bytes is too small: need {needed}")]
    PayloadLimitTooSmall {
        /// The limit given.
        limit: usize,
        /// The least that would work.
        needed: usize,
    },
    /// The frame given to a packetizer is not what its codec produces (named): an Annex B
    /// access unit without a NAL unit, an AV1 temporal unit with a malformed OBU...
    #[error("invalid frame: {0}")]
    InvalidFrame(&'static str),
}
