//! Errors, and the alerts they are reported to the peer with.

use crate::message::AlertDescription;

/// Why bytes could not be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// A field or vector runs past the end of its container.
    #[error("truncated")]
    Truncated,
    /// Bytes are left after the last field.
    #[error("trailing bytes")]
    TrailingBytes,
    /// A field holds a value it may not hold (named).
    #[error("invalid {0}")]
    Invalid(&'static str),
    /// A handshake message type this implementation does not know.
    #[error("unknown handshake message type {0}")]
    UnknownHandshakeType(u8),
    /// A record content type that is not one of DTLS 1.2's.
    #[error("unknown record content type {0}")]
    UnknownContentType(u8),
    /// A handshake message longer than this implementation accepts.
    #[error("handshake message of {0} bytes is too long")]
    TooLong(u32),
}

/// What went wrong in a connection.
///
/// [`Error::is_fatal`] tells whether the connection is over: a fatal error has been sent to the
/// peer as the alert [`Error::alert`]. Non-fatal errors are about one datagram or record, which
/// was dropped (RFC 6347 §4.1.2.7: invalid records are discarded silently).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A datagram or record could not be parsed and was dropped.
    #[error("malformed record: {0}")]
    Record(DecodeError),
    /// A record failed authentication (or was of an epoch we hold no keys for) and was dropped.
    #[error("record does not authenticate")]
    BadRecordMac,
    /// A record was a replay, or too old for the replay window, and was dropped.
    #[error("replayed record")]
    Replay,
    /// A handshake message could not be parsed (fatal).
    #[error("malformed {message}: {error}")]
    Decode {
        /// The message type.
        message: &'static str,
        /// What was wrong.
        error: DecodeError,
    },
    /// The peer sent a message the handshake does not allow here (fatal).
    #[error("unexpected {0}")]
    UnexpectedMessage(&'static str),
    /// No cipher suite, group, signature scheme or protocol version in common (fatal).
    #[error("no common {0}")]
    NoCommon(&'static str),
    /// The peer did not offer or accept a required extension (fatal).
    #[error("peer does not support {0}")]
    MissingExtension(&'static str),
    /// A field has a value the protocol forbids (fatal).
    #[error("illegal parameter: {0}")]
    IllegalParameter(&'static str),
    /// The peer's certificate is missing, unparseable or of an unsupported kind (fatal).
    #[error("bad certificate: {0}")]
    BadCertificate(String),
    /// The peer's certificate does not match the fingerprint from the SDP (fatal).
    #[error("certificate fingerprint mismatch: expected {expected}, got {actual}")]
    FingerprintMismatch {
        /// The fingerprint(s) we were told to expect.
        expected: String,
        /// The certificate's fingerprint with the expected algorithm.
        actual: String,
    },
    /// A signature or Finished message does not verify (fatal).
    #[error("{0} does not verify")]
    DecryptError(&'static str),
    /// The peer sent a fatal alert.
    #[error("peer sent fatal alert {0:?}")]
    PeerAlert(AlertDescription),
    /// The handshake did not complete: the peer stopped answering (retransmissions exhausted).
    #[error("handshake timed out")]
    Timeout,
    /// A crypto primitive failed.
    #[error("crypto: {0}")]
    Crypto(#[from] rtc_crypto::CryptoError),
    /// The connection is not in a state that allows the call.
    #[error("invalid state: {0}")]
    InvalidState(&'static str),
    /// The configuration cannot work (no cipher suite, no certificate...).
    #[error("configuration: {0}")]
    Config(String),
    /// Application data too long for one record.
    #[error("{0} bytes do not fit in one record")]
    TooLarge(usize),
}

impl Error {
    /// Whether this error ends the connection.
    pub fn is_fatal(&self) -> bool {
        !matches!(
            self,
            Self::Record(_) | Self::BadRecordMac | Self::Replay | Self::TooLarge(_)
        )
    }

    /// The alert sent to the peer for a fatal error (RFC 5246 §7.2.2).
    pub fn alert(&self) -> AlertDescription {
        match self {
            Self::Record(_) | Self::Decode { .. } => AlertDescription::DecodeError,
            Self::BadRecordMac | Self::Replay => AlertDescription::BadRecordMac,
            Self::UnexpectedMessage(_) => AlertDescription::UnexpectedMessage,
            Self::NoCommon(_) | Self::MissingExtension(_) => AlertDescription::HandshakeFailure,
            Self::IllegalParameter(_) => AlertDescription::IllegalParameter,
            Self::BadCertificate(_) | Self::FingerprintMismatch { .. } => {
                AlertDescription::BadCertificate
            }
            Self::DecryptError(_) => AlertDescription::DecryptError,
            Self::PeerAlert(_) | Self::Timeout | Self::InvalidState(_) | Self::Config(_) => {
                AlertDescription::InternalError
            }
            Self::Crypto(rtc_crypto::CryptoError::InvalidPublicKey) => {
                AlertDescription::IllegalParameter
            }
            Self::Crypto(_) => AlertDescription::InternalError,
            Self::TooLarge(_) => AlertDescription::RecordOverflow,
        }
    }

    pub(crate) fn decode(message: &'static str) -> impl FnOnce(DecodeError) -> Self {
        move |error| Self::Decode { message, error }
    }
}
