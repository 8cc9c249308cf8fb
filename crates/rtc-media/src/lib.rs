//! RTP and RTCP for WebRTC: wire formats, header extensions, payload formats, media files,
//! and the media logic of a receiver and a sender (jitter buffer, NACK/PLI, RTX, report
//! statistics, transport-wide CC feedback).
//!
//! This crate contains no networking code and reads no clock: time comes in as `now:
//! Instant` arguments, wall-clock time (NTP, for SRs) as a value the caller passes. Parsers
//! borrow the bytes they are given and check them once; writers fill a caller's buffer.
//! Nothing the network sends panics: malformed input is a [`ParseError`].
//!
//! Wire formats and payloads:
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
//! Media logic, each a state machine fed with `now` and polled:
//!
//! - [`jitter_buffer`]: per SSRC, reorders packets (sequence numbers extended to 64 bits,
//!   [`SequenceUnwrapper`]), groups them into frames, plays each at its playout time through a
//!   depacketizer; the delay follows the RFC 3550 §A.8 jitter of the frames within bounds;
//!   frames incomplete at their time are skipped and counted.
//! - [`nack`]: generic NACKs (RFC 4585) for missing packets, once per RTT, with attempt and
//!   age limits; rate-limited PLIs while a keyframe is needed.
//! - [`rtx`]: RFC 4588 retransmission: a send-side packet history answering NACKs with RTX
//!   packets, and the receive side's unwrapping (padding-only probes ignored).
//! - [`reports`]: receiver statistics (RFC 3550 §A.3 loss, §A.8 jitter, LSR/DLSR) making
//!   report blocks, sender statistics making SRs, the RTT from report blocks (§6.4.1).
//! - [`transport_cc`]: transport-wide CC feedback generation, and the sender's mapping of
//!   feedback to send times (bandwidth estimation itself is not here yet).
//! - [`receive`]: all of the receive side for one stream, composed: [`ReceiveStream`].
//!
//! A receive loop, in the code that owns the socket and the clock:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use rtc_media::codecs::Vp8Depacketizer;
//! use rtc_media::{JitterBufferConfig, MediaKind, ReceiveConfig, ReceiveStream, RtpPacket};
//!
//! let jb = JitterBufferConfig::new(MediaKind::Video, 90_000);
//! let mut stream = ReceiveStream::new(ReceiveConfig::new(0xAAAA, 1, jb), Vp8Depacketizer::new());
//! # let start = Instant::now();
//! # let datagrams = vec![(start, vec![
//! #     0x80, 0xE0, 0, 1, 0, 0, 0, 90, 0, 0, 0xAA, 0xAA, 0x10, 0x00, 0x9d, 0x01, 0x2a, 0x10, 0, 0x10, 0,
//! # ])];
//! # let (mut frames, mut feedback) = (0, 0);
//! # let mut now = start;
//! for (arrived, datagram) in &datagrams {
//!     stream.handle_rtp(*arrived, &RtpPacket::parse(datagram)?)?;
//!     # now = *arrived;
//! }
//! // Whenever the socket is quiet until `stream.poll_timeout()`:
//! # now += Duration::from_millis(200);
//! stream.handle_timeout(now);
//! while let Some(frame) = stream.poll_frame(now) {
//!     // decode(frame.data, frame.keyframe)
//!     # frames += 1;
//! }
//! while let Some(rtcp) = stream.poll_feedback(now) {
//!     // send rtcp.emit(&mut buf) to the sender (NACK, PLI)
//!     # feedback += 1;
//! }
//! # assert_eq!((frames, feedback), (1, 0));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Lower down, the wire formats and a depacketizer on their own:
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
//! Not here yet (docs/media.md): bandwidth estimation (GCC) on the transport-wide feedback, a
//! composed send stream, FEC (RFC 5109/8627), RTCP XR for receive-only RTT.

#![forbid(unsafe_code)]

pub mod codecs;
mod error;
mod extension;
pub mod files;
pub mod jitter_buffer;
mod list;
pub mod nack;
pub mod receive;
pub mod reports;
pub mod rtcp;
mod rtp;
pub mod rtx;
mod seq;
pub mod transport_cc;
mod wire;

pub use codecs::{Depacketizer, Frame, PacketInfo, Packetizer};
pub use error::{ParseError, WriteError};
pub use extension::{
    AbsSendTime, AudioLevel, ExtensionKind, ExtensionMap, ExtensionValue, ExtensionValues,
    PlayoutDelay, VideoOrientation, uri,
};
pub use jitter_buffer::{JitterBuffer, JitterBufferConfig, MediaKind, MediaPacket};
pub use list::{List, ListItem, ListIter};
pub use receive::{ReceiveConfig, ReceiveStream};
pub use rtp::{
    ExtensionForm, ExtensionIter, ExtensionWriter, HeaderExtension, HeaderExtensions,
    ONE_BYTE_PROFILE, RTP_FIXED_HEADER_LEN, RTP_VERSION, RtpHeader, RtpPacket, TWO_BYTE_PROFILE,
    set_padding,
};
pub use seq::SequenceUnwrapper;
