//! Typed views of the WebRTC attributes (`a=<name>:<value>`).
//!
//! Each type parses the text after `a=<name>:` and writes it back with [`std::fmt::Display`];
//! for every value a browser writes, `parse` then `to_string` gives back the same text (the
//! proptests and the corpus tests check this). Text fields borrow from the parsed SDP
//! (`Cow::Borrowed`) and can be owned when building.
//!
//! Numbers are strict: ASCII digits, no sign, no leading zeros (RFC 8866 §9 `integer`), so an
//! accepted number is always written back as read.
//!
//! Where a grammar lets the same value be spelled in several ways that the typed form does not
//! keep, `parse` accepts all of them and `Display` writes one canonical spelling; the raw line is
//! kept by the SDP layer, so the description as a whole stays lossless. These are:
//! - `a=msid-semantic: WMS` (Chrome's space after the colon): written without the space;
//! - the hash function of `a=fingerprint` and the role of `a=setup`, whose ABNF literals are
//!   case-insensitive (RFC 5234 §2.3): written in lowercase.
//!
//! A constructed value round-trips (`parse(&x.to_string()) == Ok(x)`) when it is valid for its
//! grammar; each type's docs say what "valid" adds to the field types (e.g. a payload type is at
//! most 127, a `CandidateType::Other` does not spell a known type).

use std::fmt;

use crate::AttributeError;

mod candidate;
mod dtls;
mod group;
mod ice;
mod rtp;
mod sctp;
mod simulcast;
mod ssrc;
mod syntax;

pub use candidate::{Candidate, CandidateType, TcpType};
pub use dtls::{Fingerprint, HashFunction, Setup};
pub use group::{Group, Msid, MsidSemantic};
pub use ice::IceOptions;
pub use rtp::{Direction, ExtMap, Fmtp, ProfileLevelId, Rtcp, RtcpFb, RtpMap};
pub use sctp::{MaxMessageSize, SctpPort};
pub use simulcast::{Rid, RidDirection, Simulcast, SimulcastRid, SimulcastStreams};
pub use ssrc::{Ssrc, SsrcGroup};

/// A WebRTC attribute with a typed value.
pub trait TypedAttribute<'a>: Sized + fmt::Display {
    /// The attribute's name, as in `a=<NAME>:<value>`.
    const NAME: &'static str;

    /// Parses the value: the text after `a=<NAME>:`.
    fn parse(value: &'a str) -> Result<Self, AttributeError>;
}
