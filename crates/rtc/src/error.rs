//! The facade's error: the core's, or I/O.

/// Why a call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The peer connection refused the call (state, SDP, channel...).
    #[error(transparent)]
    Peer(#[from] rtc_peer::Error),
    /// The socket could not be made.
    #[error("socket: {0}")]
    Io(#[from] std::io::Error),
    /// A bad configuration (an ICE server URL that does not parse or resolve).
    #[error("configuration: {0}")]
    Config(String),
    /// The peer connection (or the channel) is closed.
    #[error("closed")]
    Closed,
}
