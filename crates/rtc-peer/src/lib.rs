//! A WebRTC peer connection, sans-IO: [`PeerConnection`] composes the stack's protocol crates
//! — JSEP offers and answers through rtc-sdp (RFC 8829, with the W3C signaling states), the
//! ICE agent of rtc-ice, DTLS 1.2 from rtc-dtls (its peer checked against `a=fingerprint`)
//! and data channels from rtc-datachannel on rtc-sctp — over one 5-tuple, demultiplexed by
//! the first byte (RFC 7983, [`demux`]).
//!
//! Like every protocol crate of this stack it has no sockets, no threads and no clock: the
//! driver (the `rtc` facade's tokio task, or your own loop) gives it the time, its host
//! addresses and every datagram, and sends what it returns. One socket can serve many peer
//! connections: [`PeerConnection::accepts`] says whose a datagram is.
//!
//! ```
//! use std::time::Instant;
//! use rtc_peer::{Config, DataChannelInit, Event, PeerConnection};
//!
//! # fn main() -> Result<(), rtc_peer::Error> {
//! let now = Instant::now(); // the driver's clock
//! let mut pc = PeerConnection::new(Config::default())?;
//! pc.add_host_address(now, "192.0.2.1:50000".parse().unwrap());
//! let chat = pc.create_data_channel(now, "chat", DataChannelInit::default())?;
//! let offer = pc.create_offer()?;
//! pc.set_local_description(now, offer.clone())?;
//! // Send `offer` to the peer, give its answer to set_remote_description, then loop:
//! //   handle_input(now, local, from, datagram) for each datagram of the socket,
//! //   handle_timeout(now) at poll_timeout(), send every poll_transmit(),
//! //   and act on poll_event() (ChannelOpen(chat), ChannelMessage { .. }, ...).
//! while let Some(event) = pc.poll_event() {
//!     if let Event::IceCandidate(candidate) = event {
//!         println!("signal {}", candidate.candidate);
//!     }
//! }
//! # let _ = chat;
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

mod config;
pub mod demux;
mod error;
pub mod media;
mod peer;
mod sdp;
mod signaling;
mod stats;

pub use config::{Config, TurnServer};
pub use error::Error;
pub use media::MediaCounters;
pub use media::{Codec, MediaFrame, TrackInfo, TransceiverId, TransceiverInit, default_codecs};
pub use peer::{
    ChannelId, DataChannelInit, DataChannelState, Event, IceConnectionState, IceGatheringState,
    PeerConnection, PeerConnectionState, Transmit,
};
pub use rtc_datachannel::{ChannelError, Priority};
pub use rtc_media::MediaKind;
pub use rtc_sdp::attributes::Direction;
pub use rtc_sdp::jsep::{RtcIceCandidateInit, RtcSessionDescriptionInit, SdpType};
pub use signaling::SignalingState;
pub use stats::{
    CandidatePairStats, CandidateStats, CertificateStats, DataChannelStats, PeerConnectionStats,
    Stats, StatsReport, TransportStats,
};
