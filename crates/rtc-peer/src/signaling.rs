//! The W3C signaling state machine (WebRTC §4.3.1): which description may be set when.

use rtc_sdp::jsep::SdpType;

/// `RTCSignalingState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignalingState {
    /// No offer/answer exchange under way.
    Stable,
    /// Our offer is set as local description.
    HaveLocalOffer,
    /// The peer's offer is set as remote description.
    HaveRemoteOffer,
    /// The peer's offer and our provisional answer are set.
    HaveLocalPranswer,
    /// Our offer and the peer's provisional answer are set.
    HaveRemotePranswer,
    /// The peer connection is closed.
    Closed,
}

impl SignalingState {
    /// The W3C name (`"have-local-offer"`...).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Stable => "stable",
            Self::HaveLocalOffer => "have-local-offer",
            Self::HaveRemoteOffer => "have-remote-offer",
            Self::HaveLocalPranswer => "have-local-pranswer",
            Self::HaveRemotePranswer => "have-remote-pranswer",
            Self::Closed => "closed",
        }
    }

    /// The state after setting a description of `kind` on our side (`local`) or the peer's,
    /// or `None` when W3C WebRTC §4.4.1.5 forbids it (an InvalidStateError).
    pub(crate) fn next(self, local: bool, kind: SdpType) -> Option<Self> {
        use SdpType::{Answer, Offer, Pranswer, Rollback};
        Some(match (self, local, kind) {
            (Self::Stable | Self::HaveLocalOffer, true, Offer) => Self::HaveLocalOffer,
            (Self::Stable | Self::HaveRemoteOffer, false, Offer) => Self::HaveRemoteOffer,
            (Self::HaveLocalOffer, false, Answer) => Self::Stable,
            (Self::HaveLocalOffer | Self::HaveRemotePranswer, false, Pranswer) => {
                Self::HaveRemotePranswer
            }
            (Self::HaveRemotePranswer, false, Answer) => Self::Stable,
            (Self::HaveRemoteOffer | Self::HaveLocalPranswer, true, Answer) => Self::Stable,
            (Self::HaveRemoteOffer | Self::HaveLocalPranswer, true, Pranswer) => {
                Self::HaveLocalPranswer
            }
            // Rollback undoes our offer (local) or the peer's (remote), JSEP §4.1.8.2.
            (Self::HaveLocalOffer, true, Rollback) => Self::Stable,
            (Self::HaveRemoteOffer, false, Rollback) => Self::Stable,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use SdpType::*;
    use SignalingState::*;

    #[test]
    fn offer_answer_both_ways() {
        assert_eq!(Stable.next(true, Offer), Some(HaveLocalOffer));
        assert_eq!(HaveLocalOffer.next(false, Answer), Some(Stable));
        assert_eq!(Stable.next(false, Offer), Some(HaveRemoteOffer));
        assert_eq!(HaveRemoteOffer.next(true, Answer), Some(Stable));
    }

    #[test]
    fn pranswers_then_answer() {
        assert_eq!(
            HaveLocalOffer.next(false, Pranswer),
            Some(HaveRemotePranswer)
        );
        assert_eq!(
            HaveRemotePranswer.next(false, Pranswer),
            Some(HaveRemotePranswer)
        );
        assert_eq!(HaveRemotePranswer.next(false, Answer), Some(Stable));
        assert_eq!(
            HaveRemoteOffer.next(true, Pranswer),
            Some(HaveLocalPranswer)
        );
        assert_eq!(HaveLocalPranswer.next(true, Answer), Some(Stable));
    }

    #[test]
    fn rollback_and_forbidden_moves() {
        assert_eq!(HaveLocalOffer.next(true, Rollback), Some(Stable));
        assert_eq!(HaveRemoteOffer.next(false, Rollback), Some(Stable));
        assert_eq!(Stable.next(true, Answer), None);
        assert_eq!(Stable.next(false, Answer), None);
        assert_eq!(HaveLocalOffer.next(false, Offer), None);
        assert_eq!(HaveRemoteOffer.next(true, Offer), None);
        assert_eq!(Stable.next(true, Rollback), None);
        assert_eq!(Closed.next(true, Offer), None);
        assert_eq!(Closed.next(false, Offer), None);
    }
}
