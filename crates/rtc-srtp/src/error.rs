//! The crate's error type.

/// What can go wrong protecting or unprotecting a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    // ---- the packet received is not valid ----
    /// Shorter than its headers, CSRC list, header extension and tag say it must be.
    #[error("packet of {0} bytes is too short")]
    TooShort(usize),
    /// Not RTP/RTCP version 2.
    #[error("not an RTP/RTCP version 2 packet")]
    BadVersion,
    /// The authentication tag does not verify (RFC 3711 §3.3, RFC 7714 §6).
    #[error("authentication failed")]
    AuthenticationFailed,
    /// The packet index was already received (RFC 3711 §3.3.2).
    #[error("replayed packet (index {0})")]
    Replayed(u64),
    /// The packet index is older than the replay window reaches.
    #[error("packet index {0} is older than the replay window")]
    TooOld(u64),
    /// A new SSRC would exceed the configured number of streams.
    #[error("more than {0} SSRCs")]
    TooManyStreams(usize),
    /// The SRTCP index is exhausted (2^31 packets): rekey (RFC 3711 §9.2).
    #[error("SRTCP index exhausted: rekey")]
    IndexExhausted,

    // ---- local misuse ----
    /// The caller's buffer has no room for the tag (and SRTCP index).
    #[error("buffer too small: need {needed} bytes, have {available}")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// Master key or salt of the wrong length for the profile.
    #[error("{what} of {got} bytes; the profile needs {expected}")]
    KeyLength {
        /// "master key" or "master salt".
        what: &'static str,
        /// The length given.
        got: usize,
        /// The profile's length.
        expected: usize,
    },
    /// The crypto backend refused a key.
    #[error("crypto backend: {0}")]
    Crypto(#[from] rtc_crypto::CryptoError),
}
