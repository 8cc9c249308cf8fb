//! SCTP Payload Protocol Identifiers of WebRTC (RFC 8831 §6.6, §8; RFC 8832 §8.1).

/// The Payload Protocol Identifier of an SCTP user message: how the receiver reads its payload.
/// Data channels demultiplex DCEP from user data by it (RFC 8832 §6) and tell strings from
/// binary data by it (RFC 8831 §6.6).
///
/// Any value can arrive; RFC 8831 §6.6 says a receiver SHOULD close the channel on one it does
/// not support ([`Ppid::is_webrtc`] is false).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ppid(pub u32);

impl Ppid {
    /// 50, WebRTC DCEP: the payload is a DCEP message (RFC 8832 §8.1).
    pub const DCEP: Self = Self(50);
    /// 51, WebRTC String: a non-empty UTF-8 string (RFC 8831 §6.6).
    pub const STRING: Self = Self(51);
    /// 52, WebRTC Binary Partial, deprecated: a fragment of binary data, the message continues
    /// in the next user message (RFC 8831 §6.6, §8).
    pub const BINARY_PARTIAL: Self = Self(52);
    /// 53, WebRTC Binary: non-empty binary data (RFC 8831 §6.6).
    pub const BINARY: Self = Self(53);
    /// 54, WebRTC String Partial, deprecated: a fragment of a string, the message continues in
    /// the next user message (RFC 8831 §6.6, §8).
    pub const STRING_PARTIAL: Self = Self(54);
    /// 56, WebRTC String Empty: an empty string, sent as one byte the receiver ignores
    /// (RFC 8831 §6.6).
    pub const STRING_EMPTY: Self = Self(56);
    /// 57, WebRTC Binary Empty: empty binary data, sent as one byte the receiver ignores
    /// (RFC 8831 §6.6).
    pub const BINARY_EMPTY: Self = Self(57);

    /// One of the seven PPIDs above.
    pub const fn is_webrtc(self) -> bool {
        matches!(self.0, 50..=54 | 56 | 57)
    }

    /// 52 or 54: the PPID-based fragmentation that RFC 8831 §6.6 deprecates. Old peers may
    /// still send it on reliable ordered channels.
    pub const fn is_deprecated(self) -> bool {
        matches!(self.0, 52 | 54)
    }

    /// User data that is text: [`Ppid::STRING`], [`Ppid::STRING_PARTIAL`],
    /// [`Ppid::STRING_EMPTY`].
    pub const fn is_string(self) -> bool {
        matches!(self.0, 51 | 54 | 56)
    }

    /// User data that is binary: [`Ppid::BINARY`], [`Ppid::BINARY_PARTIAL`],
    /// [`Ppid::BINARY_EMPTY`].
    pub const fn is_binary(self) -> bool {
        matches!(self.0, 52 | 53 | 57)
    }

    /// [`Ppid::STRING_EMPTY`] or [`Ppid::BINARY_EMPTY`]: RFC 8831 §6.6 says the receiver MUST
    /// ignore the payload (SCTP cannot carry an empty user message, so one byte is sent) and
    /// deliver an empty message.
    pub const fn is_empty_message(self) -> bool {
        matches!(self.0, 56 | 57)
    }
}

impl From<u32> for Ppid {
    fn from(value: u32) -> Self {
        Self(value)
    }
}

impl From<Ppid> for u32 {
    fn from(ppid: Ppid) -> Self {
        ppid.0
    }
}

#[cfg(test)]
mod tests {
    use super::Ppid;

    #[test]
    fn classes_partition_user_data() {
        for v in 0..100 {
            let p = Ppid(v);
            assert!(!(p.is_string() && p.is_binary()));
            assert_eq!(
                p.is_webrtc(),
                p == Ppid::DCEP || p.is_string() || p.is_binary()
            );
            assert!(!p.is_deprecated() || p.is_webrtc());
            assert!(!p.is_empty_message() || p.is_webrtc());
        }
        assert_eq!(Ppid::STRING_PARTIAL.0, 54);
        assert_eq!(Ppid::BINARY_PARTIAL.0, 52);
    }
}
