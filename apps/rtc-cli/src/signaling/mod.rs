//! The signaling server (rooms over WebSocket, after apprtc) and the client the CLI peers use.
//!
//! - [`rooms`]: the protocol as a synchronous state machine.
//! - [`server`]: the axum server: `/ws`, the embedded page at `/` and `/r/NAME`,
//!   `/config.json`.
//! - [`client`]: a WebSocket client for the CLI's own peers.

pub mod client;
pub mod rooms;
pub mod server;

use serde::{Deserialize, Serialize};

pub use rooms::{Limits, PeerId, Refusal, Rooms};
pub use server::{ServerConfig, ServerHandle, serve};

/// W3C `RTCIceServer` in its JSON shape, as the server tells it to clients (`joined` and
/// `/config.json`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IceServer {
    /// `stun:` and `turn:` URLs (RFC 7064, RFC 7065).
    pub urls: Vec<String>,
    /// The TURN username.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// The TURN password.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

impl IceServer {
    /// As the facade's configuration wants it.
    pub fn to_rtc(&self) -> rtc::RTCIceServer {
        rtc::RTCIceServer {
            urls: self.urls.clone(),
            username: self.username.clone().unwrap_or_default(),
            credential: self.credential.clone().unwrap_or_default(),
        }
    }
}
