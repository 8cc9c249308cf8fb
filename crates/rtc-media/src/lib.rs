//! RTP and RTCP for WebRTC: wire formats, header extensions, payload formats and media files.
//!
//! This crate contains no networking code and reads no clock. Parsers borrow the bytes they
//! are given and check them once; writers fill a caller's buffer. Nothing the network sends
//! panics: malformed input is a [`ParseError`].
//!
//! - RTP (RFC 3550 §5): [`RtpPacket`] is a view over a received packet (CSRCs, padding, the
//!   header extension block and its RFC 8285 one-byte and two-byte elements, all checked by
//!   [`RtpPacket::parse`]); [`RtpHeader`] writes a header, or a whole packet, into a buffer.
//! - Header extensions: [`ExtensionValue`] reads and writes the values WebRTC negotiates (MID,
//!   RID, repaired RID, abs-send-time, transport-wide sequence number, audio level, video
//!   orientation, playout delay), named by the [`uri`] constants; an [`ExtensionMap`] built
//!   from SDP's `a=extmap` lines maps ids to kinds.
//! - RTCP ([`rtcp`]): SR, RR, SDES, BYE, APP, generic NACK, transport-wide CC feedback,
//!   RFC 8888 CCFB, PLI, FIR and REMB, each parsed from and written to bytes; [`rtcp::Compound`]
//!   walks compound and reduced-size packets.
//! - Payload formats ([`codecs`]): a [`Packetizer`] splits a frame into RTP payloads, a
//!   [`Depacketizer`] collects the payloads of a frame and hands back the frame with its
//!   keyframe flag. Opus, G.711, VP8, VP9, H.264, H.265 and AV1.
//! - Media files ([`files`]): IVF, Ogg Opus and H.264/H.265 Annex B readers over bytes and
//!   writers onto a `Vec<u8>`.
//!
//! Receiving, in a loop that owns the socket and the clock:
//!
//! ```
//! use rtc_media::codecs::{Depacketizer, PacketInfo, Vp8Depacketizer};
//! use rtc_media::{ExtensionKind, ExtensionMap, RtpPacket};
//!
//! let mut extensions = ExtensionMap::new();
//! extensions.insert(1, ExtensionKind::Mid)?;
//! let mut vp8 = Vp8Depacketizer::new();
//!
//! # let datagrams: Vec<Vec<u8>> = vec![vec![
//! #     0x90, 0xE0, 0, 1, 0, 0, 0, 90, 0, 0, 0, 7, 0xBE, 0xDE, 0, 1, 0x10, b'0', 0, 0,
//! #     0x10, 0x00, 0x9d, 0x01, 0x2a, 0x10, 0, 0x10, 0,
//! # ]];
//! for datagram in &datagrams {
//!     let packet = RtpPacket::parse(datagram)?;
//!     let mid = extensions.values(&packet.extensions()).mid;
//!     assert_eq!(mid, Some("0"));
//!     if let Some(frame) = vp8.push(packet.payload(), PacketInfo::from(&packet))? {
//!         assert!(frame.keyframe);
//!         assert_eq!(frame.data, [0x00, 0x9d, 0x01, 0x2a, 0x10, 0, 0x10, 0]);
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Not here yet (docs/media.md): the jitter buffer, NACK generation and RTX, RTCP report
//! statistics, bandwidth estimation.

#![forbid(unsafe_code)]

pub mod codecs;
mod error;
mod extension;
pub mod files;
mod list;
pub mod rtcp;
mod rtp;
mod wire;

pub use codecs::{Depacketizer, Frame, PacketInfo, Packetizer};
pub use error::{ParseError, WriteError};
pub use extension::{
    AbsSendTime, AudioLevel, ExtensionKind, ExtensionMap, ExtensionValue, ExtensionValues,
    PlayoutDelay, VideoOrientation, uri,
};
pub use list::{List, ListItem, ListIter};
pub use rtp::{
    ExtensionForm, ExtensionIter, ExtensionWriter, HeaderExtension, HeaderExtensions,
    ONE_BYTE_PROFILE, RTP_FIXED_HEADER_LEN, RTP_VERSION, RtpHeader, RtpPacket, TWO_BYTE_PROFILE,
    set_padding,
};
