//! TURN, Traversal Using Relays around NAT (RFC 8656), sans-IO: a client that holds an
//! allocation on a TURN server, and a server core.
//!
//! Neither opens a socket or reads a clock. The client ([`TurnClient`]) is fed what the server
//! sends and says what to send and when to wake up; the server ([`TurnServer`]) is fed what
//! clients and peers send, says what to send from which local address, and asks its driver to
//! open and close one UDP socket per relayed address.
//!
//! Both speak UDP and stream transports (TCP, TLS over TCP: the driver frames the stream with
//! [`frame_len`], RFC 8656 §12.5). Ephemeral "REST API" credentials are in [`credentials`].

mod channel_data;
pub mod client;
pub mod credentials;
mod error;
pub mod server;

pub use channel_data::{
    CHANNEL_MAX, CHANNEL_MIN, ChannelData, LEGACY_CHANNEL_MAX, frame_len, is_channel_data,
    is_legacy_channel, is_valid_channel,
};
pub use client::TurnClient;
pub use error::Error;
pub use server::{FiveTuple, ServerConfig, ServerEvent, ServerTransmit, TurnServer};

/// The transport between a TURN client and its server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP (the client retransmits requests).
    Udp,
    /// TCP or TLS over TCP (framed; no retransmission).
    Tcp,
}
