//! SDP, the Session Description Protocol (RFC 8866), as WebRTC uses it (RFC 8829, JSEP).
//!
//! - [`SessionDescription::parse`] borrows from the text and checks the grammar of every line
//!   and the line order of RFC 8866 §5; writing it back ([`std::fmt::Display`]) gives the same
//!   bytes for well-formed input, unknown attributes and their order included.
//! - [`attributes`] has typed views of the WebRTC attributes (candidates, fingerprints, rtpmap,
//!   fmtp, extmap, rid, simulcast...); [`MediaDescription`] and [`SessionDescription`] have
//!   accessors that apply them, with the attribute's line number in errors.
//! - [`jsep`] has the JSON objects signaling carries (`RTCSessionDescriptionInit`,
//!   `RTCIceCandidateInit`).
//! - [`validate`] checks offers and answers against the rules of RFC 8829 and the specs it uses.
//!
//! Like every protocol crate of this stack it does no I/O.
//!
//! ```
//! use rtc_sdp::SessionDescription;
//!
//! let text = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n\
//!             m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n\
//!             a=mid:0\r\na=sctp-port:5000\r\n";
//! let sdp = SessionDescription::parse(text)?;
//! assert_eq!(sdp.media[0].mid(), Some("0"));
//! assert_eq!(sdp.to_string(), text);
//! # Ok::<(), rtc_sdp::Error>(())
//! ```

pub mod attributes;
mod error;
pub mod jsep;
mod media;
mod session;
pub mod validate;

pub use error::{AttributeError, Error, ErrorKind};
pub use session::{
    Attribute, Bandwidth, Connection, LineEnding, MediaDescription, Origin, SessionDescription,
    Timing,
};
