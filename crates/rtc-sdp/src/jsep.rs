//! The JSEP objects signaling carries, with the browsers' JSON shapes (W3C WebRTC §4.8.1,
//! §4.8.2): `RTCSessionDescriptionInit` and `RTCIceCandidateInit`.

use serde::{Deserialize, Serialize};

use crate::attributes::{Candidate, TypedAttribute};
use crate::{AttributeError, Error, SessionDescription};

/// `RTCSdpType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SdpType {
    /// `"offer"`.
    Offer,
    /// `"pranswer"`.
    Pranswer,
    /// `"answer"`.
    Answer,
    /// `"rollback"`.
    Rollback,
}

/// `RTCSessionDescriptionInit`: `{"type": "offer", "sdp": "v=0\r\n..."}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RtcSessionDescriptionInit {
    /// `type`.
    #[serde(rename = "type")]
    pub sdp_type: SdpType,
    /// `sdp`; empty for a rollback, where browsers may leave it out.
    #[serde(default)]
    pub sdp: String,
}

impl RtcSessionDescriptionInit {
    /// An offer.
    pub fn offer(sdp: impl Into<String>) -> Self {
        Self {
            sdp_type: SdpType::Offer,
            sdp: sdp.into(),
        }
    }

    /// An answer.
    pub fn answer(sdp: impl Into<String>) -> Self {
        Self {
            sdp_type: SdpType::Answer,
            sdp: sdp.into(),
        }
    }

    /// Parses the `sdp` member.
    pub fn parse(&self) -> Result<SessionDescription<'_>, Error> {
        SessionDescription::parse(&self.sdp)
    }
}

/// `RTCIceCandidateInit`:
/// `{"candidate": "candidate:...", "sdpMid": "0", "sdpMLineIndex": 0, "usernameFragment": "..."}`.
/// Absent members deserialize to `None`; `None` serializes to `null`, as browsers'
/// `RTCIceCandidate.toJSON()` does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RtcIceCandidateInit {
    /// `candidate:...`, or empty for end-of-candidates.
    #[serde(default)]
    pub candidate: String,
    /// The media section's `a=mid`.
    #[serde(default)]
    pub sdp_mid: Option<String>,
    /// The media section's index.
    #[serde(default, rename = "sdpMLineIndex")]
    pub sdp_m_line_index: Option<u16>,
    /// The ICE ufrag the candidate belongs to.
    #[serde(default)]
    pub username_fragment: Option<String>,
}

impl RtcIceCandidateInit {
    /// True for the end-of-candidates signal: an empty `candidate`.
    pub fn is_end_of_candidates(&self) -> bool {
        self.candidate.is_empty()
    }

    /// The typed candidate, or `None` for end-of-candidates.
    pub fn parse_candidate(&self) -> Result<Option<Candidate<'_>>, AttributeError> {
        if self.is_end_of_candidates() {
            return Ok(None);
        }
        Candidate::parse_init(&self.candidate).map(Some)
    }

    /// The init object for a candidate of the media section `mid` at `index`.
    pub fn from_candidate(
        candidate: &Candidate<'_>,
        mid: Option<&str>,
        index: Option<u16>,
        ufrag: Option<&str>,
    ) -> Self {
        Self {
            candidate: format!("{}:{candidate}", Candidate::NAME),
            sdp_mid: mid.map(str::to_owned),
            sdp_m_line_index: index,
            username_fragment: ufrag.map(str::to_owned),
        }
    }
}
