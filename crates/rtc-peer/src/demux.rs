//! RFC 7983 §7 (updated by RFC 9443 §3): one 5-tuple carries STUN, TURN channels, DTLS and
//! SRTP; the first byte says which.

/// What a datagram is, by its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// 0–3: STUN (RFC 8489).
    Stun,
    /// 20–63: DTLS records (RFC 7983 §7).
    Dtls,
    /// 64–79: TURN ChannelData (RFC 8656 §12, RFC 9443 §3).
    TurnChannel,
    /// 128–191: RTP or RTCP (protected by SRTP).
    Rtp,
    /// Anything else (or empty): dropped.
    Unknown,
}

/// Classifies a datagram (RFC 7983 §7, RFC 9443 §3).
pub fn classify(datagram: &[u8]) -> Protocol {
    match datagram.first() {
        Some(0..=3) => Protocol::Stun,
        Some(20..=63) => Protocol::Dtls,
        Some(64..=79) => Protocol::TurnChannel,
        Some(128..=191) => Protocol::Rtp,
        _ => Protocol::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_of_rfc_9443() {
        let cases = [
            (0u8, Protocol::Stun),
            (3, Protocol::Stun),
            (4, Protocol::Unknown),
            (19, Protocol::Unknown),
            (20, Protocol::Dtls),
            (22, Protocol::Dtls),
            (63, Protocol::Dtls),
            (64, Protocol::TurnChannel),
            (79, Protocol::TurnChannel),
            (80, Protocol::Unknown),
            (127, Protocol::Unknown),
            (128, Protocol::Rtp),
            (191, Protocol::Rtp),
            (192, Protocol::Unknown),
            (255, Protocol::Unknown),
        ];
        for (byte, want) in cases {
            assert_eq!(classify(&[byte, 0, 0]), want, "first byte {byte}");
        }
        assert_eq!(classify(&[]), Protocol::Unknown);
    }
}
