//! SRTP and SRTCP (RFC 3711; AES-GCM from RFC 7714) for the four WebRTC protection profiles,
//! sans-IO: no sockets, no clock; packets are protected and unprotected in place in the
//! caller's buffer.
//!
//! One [`SrtpContext`] per direction, made from the master key and salt DTLS-SRTP exports
//! (RFC 5764 §4.2): the local one protects what this side sends, the remote one unprotects what
//! the peer sends. Each tracks its SSRCs on demand, up to a limit: the rollover counter
//! (RFC 3711 Appendix A estimation on receive), the replay window, the SRTCP index.
//!
//! ```
//! use rtc_srtp::{ProtectionProfile, SrtpConfig, SrtpContext};
//!
//! let provider = rtc_crypto::default_provider();
//! let profile = ProtectionProfile::AeadAes128Gcm;
//! let (key, salt) = ([1u8; 16], [2u8; 12]);
//! let mut sender = SrtpContext::new(profile, &key, &salt, SrtpConfig::default(), provider)?;
//! let mut receiver = SrtpContext::new(profile, &key, &salt, SrtpConfig::default(), provider)?;
//!
//! let rtp = [0x80, 96, 0, 1, 0, 0, 0, 1, 0xCA, 0xFE, 0xBA, 0xBE, b'h', b'i'];
//! let mut buf = [0u8; 64];
//! buf[..rtp.len()].copy_from_slice(&rtp);
//! let len = sender.protect_rtp(&mut buf, rtp.len())?;
//! let len = receiver.unprotect_rtp(&mut buf[..len])?;
//! assert_eq!(&buf[..len], &rtp);
//! # Ok::<(), rtc_srtp::Error>(())
//! ```

mod context;
mod error;
mod kdf;
mod profile;
mod replay;

pub use context::{SrtpConfig, SrtpContext};
pub use error::Error;
pub use kdf::SessionKeys;
pub use profile::ProtectionProfile;
