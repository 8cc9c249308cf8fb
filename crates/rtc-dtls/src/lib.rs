//! Sans-IO DTLS 1.2 (RFC 6347) as WebRTC uses it: the key exchange that keys SRTP (RFC 5764)
//! and the secure transport that carries SCTP (RFC 8261).
//!
//! - Cipher suites TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, _AES_256_GCM_SHA384 and
//!   _CHACHA20_POLY1305_SHA256; X25519 and P-256 key exchange; ECDSA P-256 certificates
//!   ([`Certificate::generate`] makes the self-signed one browsers use).
//! - Extensions: use_srtp, extended_master_secret (required), renegotiation_info
//!   (renegotiation refused), supported_groups, ec_point_formats, signature_algorithms;
//!   unknown ones ignored, so DTLS 1.3-capable clients (Chromium) get a 1.2 answer.
//! - Fragmentation and reassembly, MTU-sized flights, retransmission with back-off, optional
//!   HelloVerifyRequest cookies, a replay window, alerts, close_notify.
//! - The peer's certificate must match its SDP fingerprint ([`Fingerprint`]); keying material
//!   ([`Connection::export_keying_material`], [`Connection::srtp_keying_material`]) is only
//!   given out once it does.
//! - Crypto from [`rtc_crypto`]'s provider: RustCrypto by default, `ring` with the `ring`
//!   feature.
//!
//! ```
//! use std::sync::Arc;
//! use rtc_dtls::{Certificate, Config, Connection, Event, FingerprintAlgorithm, Role};
//!
//! # // The driver owns the clock and passes it in as `now` (tests/handshake.rs runs this flow).
//! # fn run(now: std::time::Instant) -> Result<(), rtc_dtls::Error> {
//! let (a, b) = (Certificate::generate()?, Certificate::generate()?);
//! let (fa, fb) = (a.fingerprint(FingerprintAlgorithm::Sha256), b.fingerprint(FingerprintAlgorithm::Sha256));
//! let mut client = Connection::new(Arc::new(Config::new(a)?), Role::Client, now)?;
//! let mut server = Connection::new(Arc::new(Config::new(b)?), Role::Server, now)?;
//! client.set_remote_fingerprints(vec![fb])?;
//! server.set_remote_fingerprints(vec![fa])?;
//! // A lossless in-memory link: shuttle datagrams until both are connected.
//! for _ in 0..10 {
//!     while let Some(d) = client.poll_transmit() { server.handle_datagram(now, &d)?; }
//!     while let Some(d) = server.poll_transmit() { client.handle_datagram(now, &d)?; }
//! }
//! assert!(client.is_connected() && server.is_connected());
//! assert_eq!(client.srtp_keying_material()?, server.srtp_keying_material()?);
//! client.send(b"hello")?;
//! while let Some(d) = client.poll_transmit() { server.handle_datagram(now, &d)?; }
//! assert_eq!(server.poll_event(), Some(Event::Connected));
//! assert_eq!(server.poll_event(), Some(Event::ApplicationData(b"hello".to_vec())));
//! # Ok(())
//! # }
//! ```

mod certificate;
mod codec;
mod config;
mod connection;
mod error;
pub mod message;
mod suite;

pub use certificate::{Certificate, Fingerprint, FingerprintAlgorithm};
pub use config::Config;
pub use connection::{Connection, Event, MAX_PLAINTEXT, Role, SrtpKeyingMaterial, State};
pub use error::{DecodeError, Error};
pub use rtc_crypto::KeyExchangeGroup;
pub use suite::{CipherSuite, SrtpProfile};
