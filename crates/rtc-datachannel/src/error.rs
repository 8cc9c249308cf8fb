//! The crate's errors: [`DcepError`] for DCEP bytes the peer sent, [`WriteError`] for what the
//! local caller asked to write.

use core::fmt;

/// One of the two strings of a DATA_CHANNEL_OPEN message (RFC 8832 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextField {
    /// The Label field.
    Label,
    /// The Protocol field.
    Protocol,
}

impl fmt::Display for TextField {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Label => "label",
            Self::Protocol => "protocol",
        })
    }
}

/// Why the payload of an SCTP user message with PPID 50 is not a well-formed DCEP message.
///
/// Every variant is the peer's fault. RFC 8832 §6 prescribes one reaction for all of them when
/// the message was a DATA_CHANNEL_OPEN: close the data channel (reset the stream) and send no
/// DATA_CHANNEL_ACK.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DcepError {
    /// Fewer bytes than the fixed header needs, or than the Label Length and Protocol Length
    /// fields announce.
    #[error("{what} truncated: need {needed} bytes, have {available}")]
    Truncated {
        /// The message that is cut short ("DCEP message", "DATA_CHANNEL_OPEN").
        what: &'static str,
        /// Bytes it needs.
        needed: usize,
        /// Bytes that were there.
        available: usize,
    },
    /// Bytes left after the end of the message that its type and length fields define.
    #[error("{count} bytes after the end of the {what} message")]
    TrailingBytes {
        /// The message ("DATA_CHANNEL_OPEN", "DATA_CHANNEL_ACK").
        what: &'static str,
        /// How many bytes are left over.
        count: usize,
    },
    /// A Message Type that RFC 8832 §8.2.1 does not assign (0x00, 0x01 and 0xff are reserved,
    /// 0x04-0xfe unassigned).
    #[error("unknown DCEP message type {0:#04x}")]
    UnknownMessageType(u8),
    /// A known DCEP message, but not the one asked for ([`crate::DataChannelOpen::parse`] given
    /// an ACK, or the reverse).
    #[error("expected DCEP message type {expected:#04x}, found {found:#04x}")]
    UnexpectedMessageType {
        /// The type that was asked for.
        expected: u8,
        /// The type the bytes carry.
        found: u8,
    },
    /// A Channel Type that RFC 8832 §8.2.2 does not assign (0x7f and 0xff are reserved).
    #[error("unknown DCEP channel type {0:#04x}")]
    UnknownChannelType(u8),
    /// The label or protocol is not UTF-8, which RFC 8832 §5.1 requires of both.
    #[error("DATA_CHANNEL_OPEN {field} is not UTF-8 (valid up to byte {valid_up_to})")]
    InvalidUtf8 {
        /// Which string.
        field: TextField,
        /// The length of the longest valid UTF-8 prefix of the field.
        valid_up_to: usize,
    },
}

/// Why a DCEP message could not be written. These are the local caller's mistakes, never the
/// peer's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The output buffer is shorter than [`crate::Message::encoded_len`].
    #[error("buffer too small: need {needed} bytes, have {available}")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// A label or protocol longer than its 16-bit length field can say (RFC 8832 §5.1).
    #[error("{field} of {length} bytes is longer than the 65535 a 16-bit length allows")]
    TooLong {
        /// Which string.
        field: TextField,
        /// Its length in bytes.
        length: usize,
    },
}
