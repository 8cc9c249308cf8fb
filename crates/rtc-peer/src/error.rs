//! Why a peer connection call was refused.

use crate::SignalingState;

/// An error of the peer connection API. Faults of the peer on the network never come back as
/// errors from `handle_*` calls: they are dropped and counted, or they fail the connection
/// (see [`crate::Event`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The description cannot be applied in this signaling state (W3C WebRTC §4.4.1.5).
    #[error("a {kind} cannot be set as {side} description in signaling state {state:?}")]
    InvalidState {
        /// The description's type.
        kind: &'static str,
        /// "local" or "remote".
        side: &'static str,
        /// The state it was tried in.
        state: SignalingState,
    },
    /// The session description does not parse.
    #[error("SDP: {0}")]
    Sdp(#[from] rtc_sdp::Error),
    /// The description breaks a rule of JSEP or of a specification it relies on.
    #[error("SDP: {0}")]
    Invalid(#[from] rtc_sdp::validate::ValidationError),
    /// The description lacks something a WebRTC peer must send.
    #[error("SDP: {0}")]
    Missing(&'static str),
    /// A local description that is not the one we created last (JSEP §5.4: only our own
    /// offer or answer, unmodified, may be set).
    #[error("the local description is not the last offer or answer created")]
    NotOurDescription,
    /// An answer's `a=setup` does not fit the offer's (RFC 8842 §5).
    #[error("a=setup:{0} is not a valid answer to the offer")]
    SetupRole(&'static str),
    /// The remote fingerprint does not parse or uses an unknown hash.
    #[error("bad a=fingerprint")]
    Fingerprint,
    /// The candidate does not parse, or names a section we do not have.
    #[error("bad ICE candidate: {0}")]
    Candidate(&'static str),
    /// The data channel call was refused.
    #[error(transparent)]
    Channel(#[from] rtc_datachannel::ChannelError),
    /// No such data channel.
    #[error("no data channel {0}")]
    NoChannel(u64),
    /// The label or protocol is longer than 65535 bytes, or the id is above 65534.
    #[error("invalid data channel parameters: {0}")]
    ChannelParameters(&'static str),
    /// The message is longer than the peer accepts (its `a=max-message-size`).
    #[error("message of {len} bytes exceeds the peer's maximum of {max}")]
    MessageTooLong {
        /// The message's length.
        len: usize,
        /// The peer's limit.
        max: usize,
    },
    /// The certificate could not be made or used.
    #[error("DTLS: {0}")]
    Dtls(#[from] rtc_dtls::Error),
    /// Media cannot be sent or received on this transceiver yet, or the frame was refused.
    #[error("media: {0}")]
    MediaNotReady(&'static str),
    /// No transceiver with this handle.
    #[error("no transceiver {0}")]
    NoTransceiver(u64),
    /// The peer connection is closed.
    #[error("the peer connection is closed")]
    Closed,
}
