//! The `rtc` application: a signaling server with rooms, an embedded web page (video chat,
//! data channel chat, file transfer), STUN and TURN servers, and command-line peers built
//! on the [`rtc`] facade.
//!
//! Unlike the protocol crates this one is an application: it owns sockets, tasks and the
//! clock (tokio). Its pieces are library functions too, so tests (and other programs) can run
//! a server or a peer in-process:
//!
//! ```no_run
//! # async fn run() -> Result<(), rtc_cli::Error> {
//! use rtc_cli::signaling::{ServerConfig, serve};
//! use rtc_cli::transfer::{ReceiveOptions, receive_file};
//! use rtc_cli::session::PeerOptions;
//!
//! let server = serve(ServerConfig { listen: "127.0.0.1:0".parse().unwrap(), ..Default::default() }).await?;
//! let peer = PeerOptions::new(server.ws_url(), "room1");
//! let report = receive_file(ReceiveOptions::new(peer, "downloads")).await?;
//! println!("received {} ({} bytes)", report.name, report.size);
//! # Ok(())
//! # }
//! ```
//!
//! - [`signaling`]: the server (rooms over WebSocket, the page) and the client.
//! - [`session`]: a Rust peer in a room: joins, negotiates (the newcomer offers), trickles.
//! - [`transfer`]: the file protocol over a data channel (header, 16 KiB chunks, `done`,
//!   the receiver's verdict), shared with the page.
//! - [`echo`], [`mod@bench`], [`doctor`]: the other subcommands.
//! - [`servers`]: STUN and TURN servers on tokio sockets around the sans-IO cores.

#![forbid(unsafe_code)]
#![allow(clippy::disallowed_methods)] // an application: it owns the clock

pub mod bench;
pub mod doctor;
pub mod echo;
pub mod progress;
pub mod servers;
pub mod session;
pub mod signaling;
pub mod transfer;
pub mod web;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A file or socket operation.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// The peer connection.
    #[error("peer connection: {0}")]
    Rtc(#[from] rtc::Error),
    /// The signaling connection failed or closed.
    #[error("signaling: {0}")]
    Signaling(String),
    /// The signaling server refused a message.
    #[error("the signaling server refused: {reason} ({code})")]
    Refused {
        /// The server's error code (`room-full`, ...).
        code: String,
        /// Its explanation.
        reason: String,
    },
    /// The peer left or the connection failed.
    #[error("{0}")]
    Peer(String),
    /// A file transfer failed its checks or broke the protocol.
    #[error("transfer: {0}")]
    Transfer(String),
    /// Something did not happen in time.
    #[error("timed out: {0}")]
    Timeout(String),
}
