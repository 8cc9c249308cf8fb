//! The crate's one error type.

use crate::AttributeType;

/// Everything that can go wrong in `rtc-stun`.
///
/// The variants fall in three groups: the peer sent bytes that are not a valid STUN message
/// ([`Error::is_invalid_message`]), the peer's message is well formed but fails a security check
/// (integrity, fingerprint), and the local caller misused the API (a buffer too small, an
/// attribute added after the message was sealed). None carries a `String`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---- invalid message: what the network sent cannot be a STUN message ----
    /// Fewer bytes than the STUN header (20) or than the header's length field announces.
    #[error("STUN message truncated: need {needed} bytes, have {available}")]
    Truncated {
        /// Bytes the message needs.
        needed: usize,
        /// Bytes that were there.
        available: usize,
    },
    /// More bytes after the message than its length field accounts for.
    #[error("{0} bytes of trailing data after the STUN message")]
    TrailingData(usize),
    /// The two most significant bits of the first byte are not zero (RFC 8489 §5).
    #[error("first two bits are not zero: not a STUN message")]
    NotStun,
    /// The magic cookie 0x2112A442 is missing (RFC 8489 §5).
    #[error("magic cookie missing: not an RFC 8489 STUN message")]
    NoMagicCookie,
    /// The message length is not a multiple of 4 (RFC 8489 §5).
    #[error("message length {0} is not a multiple of 4")]
    UnalignedLength(usize),
    /// An attribute header or value runs past the end of the message.
    #[error("attribute {attribute} at offset {offset} runs past the end of the message")]
    AttributeOverrun {
        /// The attribute's type.
        attribute: AttributeType,
        /// Offset of its header in the message.
        offset: usize,
    },
    /// A known attribute has a length its definition does not allow.
    #[error("attribute {attribute} has invalid length {length}")]
    InvalidAttributeLength {
        /// The attribute's type.
        attribute: AttributeType,
        /// The length found.
        length: usize,
    },
    /// An address attribute names an unknown address family (RFC 8489 §14.1).
    #[error("attribute {attribute} has unknown address family {family:#04x}")]
    UnknownAddressFamily {
        /// The attribute's type.
        attribute: AttributeType,
        /// The family byte found.
        family: u8,
    },
    /// A text attribute (USERNAME, REALM, NONCE, SOFTWARE, reason phrase...) is not UTF-8.
    #[error("attribute {0} is not valid UTF-8")]
    InvalidUtf8(AttributeType),
    /// An ERROR-CODE or ADDRESS-ERROR-CODE holds a class outside 3..=6 or a number over 99.
    #[error("attribute {attribute} holds invalid error code {class}{number:02}")]
    InvalidErrorCode {
        /// The attribute's type.
        attribute: AttributeType,
        /// The hundreds digit found.
        class: u8,
        /// The number found.
        number: u8,
    },
    /// An attribute follows FINGERPRINT, which must be last (RFC 8489 §14.7).
    #[error("attribute {0} follows FINGERPRINT")]
    AttributeAfterFingerprint(AttributeType),

    // ---- the peer's message fails a check ----
    /// The FINGERPRINT attribute does not match the message's CRC-32 (RFC 8489 §14.7).
    #[error("FINGERPRINT does not match the message")]
    FingerprintMismatch,
    /// Integrity was asked for but the message carries no MESSAGE-INTEGRITY(-SHA256).
    #[error("message has no MESSAGE-INTEGRITY or MESSAGE-INTEGRITY-SHA256")]
    MissingIntegrity,
    /// The message's HMAC does not match the key (RFC 8489 §14.5, §14.6).
    #[error("MESSAGE-INTEGRITY does not match")]
    IntegrityMismatch,
    /// A response arrived for a request this side never sent, or sent to another peer.
    #[error("response matches no outstanding transaction")]
    UnmatchedResponse,

    // ---- local API misuse ----
    /// The caller's buffer cannot hold what is being written.
    #[error("buffer too small: need {needed} bytes, have {available}")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// An attribute value longer than the attribute's definition or the 16-bit length allows.
    #[error("value of {length} bytes is too long for attribute {attribute}")]
    ValueTooLong {
        /// The attribute's type.
        attribute: AttributeType,
        /// The length given.
        length: usize,
    },
    /// Attributes cannot be added once MESSAGE-INTEGRITY(-SHA256) or FINGERPRINT sealed the message.
    #[error("attribute {0} added after MESSAGE-INTEGRITY or FINGERPRINT")]
    MessageSealed(AttributeType),
    /// The method does not fit in 12 bits.
    #[error("method {0:#x} does not fit in 12 bits")]
    InvalidMethod(u16),
    /// An error code outside 300..=699.
    #[error("error code {0} is outside 300..=699")]
    InvalidErrorCodeValue(u16),
    /// The client was asked to send something that is not a STUN request.
    #[error("only requests can start a client transaction")]
    NotARequest,
    /// The client already runs its configured maximum of transactions.
    #[error("too many transactions in flight ({0})")]
    TooManyTransactions(usize),
    /// The client already runs a transaction with this id.
    #[error("a transaction with this id is already in flight")]
    DuplicateTransaction,
}

impl Error {
    /// True when the error says the bytes received are not a well-formed STUN message, as opposed
    /// to a failed check or a local mistake.
    pub fn is_invalid_message(&self) -> bool {
        matches!(
            self,
            Self::Truncated { .. }
                | Self::TrailingData(_)
                | Self::NotStun
                | Self::NoMagicCookie
                | Self::UnalignedLength(_)
                | Self::AttributeOverrun { .. }
                | Self::InvalidAttributeLength { .. }
                | Self::UnknownAddressFamily { .. }
                | Self::InvalidUtf8(_)
                | Self::InvalidErrorCode { .. }
                | Self::AttributeAfterFingerprint(_)
        )
    }
}
