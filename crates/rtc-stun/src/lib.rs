//! STUN, Session Traversal Utilities for NAT (RFC 8489), sans-IO.
//!
//! This crate contains no networking code, reads no clock and draws no randomness. The caller
//! owns the socket and the time: it passes `now` in, feeds received datagrams, and sends what the
//! state machines hand out. Transaction ids come from the caller, who must take them from a
//! cryptographically secure source (RFC 8489 §5).
//!
//! - [`Message`]: a zero-copy view over a received datagram, validated once by
//!   [`Message::parse`]; typed [`Attribute`]s, integrity checks ([`Message::verify_integrity`]),
//!   FINGERPRINT checked on parse.
//! - [`MessageBuilder`]: writes a message into a caller's buffer, with MESSAGE-INTEGRITY,
//!   MESSAGE-INTEGRITY-SHA256 and FINGERPRINT.
//! - [`IntegrityKey`]: short-term and long-term (MD5, SHA-256) credentials (RFC 8489 §9).
//! - [`StunClient`]: client transactions with RFC 8489 §6.2.1 retransmissions.
//! - [`BindingServer`]: the Binding server core.
//!
//! A client's run loop over a UDP socket (the same shape as every protocol crate of this stack):
//!
//! ```no_run
//! # // The driver owns the clock; it passes it in as `now`.
//! # fn run(now: impl Fn() -> std::time::Instant) -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Instant;
//! use rtc_stun::*;
//! # let tid = TransactionId::new([1; 12]);
//! let socket = std::net::UdpSocket::bind("0.0.0.0:0")?;
//! let server = "127.0.0.1:3478".parse()?;
//! let mut buf = [0u8; 1500];
//! let request = MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, tid)?.finish().to_vec();
//! let mut client = StunClient::default();
//! client.start(now(), server, Transport::Unreliable, &request)?;
//! loop {
//!     while let Some(t) = client.poll_transmit() {
//!         socket.send_to(t.contents, t.destination)?;
//!     }
//!     if let Some(ClientEvent::TimedOut(_)) = client.poll_event() {
//!         return Err("no answer".into());
//!     }
//!     let wait = client.poll_timeout().map(|t| t.saturating_duration_since(now()));
//!     socket.set_read_timeout(wait.filter(|w| !w.is_zero()))?;
//!     match socket.recv_from(&mut buf) {
//!         Ok((n, _from)) => {
//!             let Ok(response) = Message::parse(&buf[..n]) else { continue };
//!             if client.handle_response(now(), &response).is_ok() {
//!                 println!("mapped address: {:?}", response.mapped_address());
//!                 return Ok(());
//!             }
//!         }
//!         Err(_) => client.handle_timeout(now()),
//!     }
//! }
//! # }
//! ```

mod attribute;
mod builder;
mod client;
mod error;
mod ice_check;
mod integrity;
mod message;
mod server;

pub use attribute::{
    AddressFamily, Attribute, AttributeType, AttributeTypeList, PasswordAlgorithm,
    PasswordAlgorithmId, PasswordAlgorithmList,
};
pub use builder::MessageBuilder;
pub use client::{ClientConfig, ClientEvent, StunClient, Transmit, Transport};
pub use error::Error;
pub use ice_check::{IceCheck, IceRole};
pub use integrity::{FINGERPRINT_XOR, IntegrityKey, fingerprint, user_hash};
pub use message::{
    ATTRIBUTE_HEADER_LEN, Attributes, Class, ErrorCode, HEADER_LEN, MAGIC_COOKIE, Message, Method,
    TransactionId, is_stun,
};
pub use server::{BindingServer, Handled, ServerConfig, ServerTransmit};
