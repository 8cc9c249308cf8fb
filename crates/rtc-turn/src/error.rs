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
    /// More than the 3 bytes of padding after a ChannelData message's data.
    #[error("{0} bytes of trailing data after ChannelData")]
    ChannelDataTrailing(usize),
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
    /// A TURN message lacks an attribute it must carry: a Data indication without
    /// XOR-PEER-ADDRESS or DATA (RFC 8656 §11.4), an error response without ERROR-CODE, a
    /// success response without what its method returns.
    #[error("message lacks attribute {0}")]
    MissingAttribute(rtc_stun::AttributeType),
    /// A well-formed STUN message the receiver has no use for: a server sent the client a
    /// request, or an indication other than Data.
    #[error("unexpected STUN {class:?} {method:?}")]
    UnexpectedMessage {
        /// The message's class.
        class: rtc_stun::Class,
        /// The message's method.
        method: rtc_stun::Method,
    },
    /// All 4096 channel numbers of the allocation are used (RFC 8656 §12); numbers are not
    /// reused, so a client cannot rebind too soon (§12: 5 minutes after expiry).
    #[error("no channel number left")]
    ChannelsExhausted,
    /// `allocate` was called on a client that already has, had or is getting an allocation:
    /// one client holds one allocation.
    #[error("allocate called twice")]
    AlreadyStarted,
    /// A buffer too small for what is written.
    #[error("buffer too small: need {needed} bytes, have {available}")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        available: usize,
    },
}
