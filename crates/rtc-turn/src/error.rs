//! The crate's error type.

/// What can go wrong in the TURN client or server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A STUN message that does not parse.
    #[error("STUN: {0}")]
    Stun(#[from] rtc_stun::Error),
    /// A ChannelData message shorter than its header or its length field says (RFC 8656 §12.4).
    #[error("ChannelData truncated: need {needed} bytes, have {available}")]
    ChannelDataTruncated {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
    /// A channel number outside 0x4000..=0x4FFF (RFC 8656 §12).
    #[error("channel number {0:#06x} outside 0x4000..=0x4FFF")]
    InvalidChannel(u16),
    /// Bytes that are neither STUN nor ChannelData (RFC 7983 demultiplexing).
    #[error("neither STUN nor ChannelData")]
    NotTurn,
    /// A datagram from a client that has no allocation here.
    #[error("no allocation for this client")]
    NoAllocation,
    /// A peer datagram or ChannelData with no permission for the peer (RFC 8656 §9).
    #[error("no permission for the peer")]
    NoPermission,
    /// ChannelData on a channel not bound.
    #[error("channel {0:#06x} not bound")]
    ChannelNotBound(u16),
    /// The allocation exceeded its rate limit; the datagram was dropped.
    #[error("rate limit exceeded")]
    RateLimited,
    /// A buffer too small for what is written.
    #[error("buffer too small: need {needed} bytes, have {available}")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
}
