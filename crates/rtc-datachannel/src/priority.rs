//! Data channel priorities (RFC 8831 §6.4).

/// The priority of a data channel (RFC 8831 §6.4), carried in DATA_CHANNEL_OPEN (RFC 8832
/// §5.1): a weight for the weighted-fair-queuing stream scheduler of RFC 8260 §3.6, so a
/// channel of priority 512 gets twice the share of one of 256.
///
/// Any 16-bit value may arrive on the wire and is kept as is; RFC 8831 says WebRTC SHOULD use
/// one of the four constants. Their W3C `RTCPriorityType` names (as browsers map them) are
/// given with each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Priority(pub u16);

impl Priority {
    /// 128, "below normal" (W3C `"very-low"`).
    pub const BELOW_NORMAL: Self = Self(128);
    /// 256, "normal" (W3C `"low"`, the W3C default).
    pub const NORMAL: Self = Self(256);
    /// 512, "high" (W3C `"medium"`).
    pub const HIGH: Self = Self(512);
    /// 1024, "extra high" (W3C `"high"`).
    pub const EXTRA_HIGH: Self = Self(1024);
}

impl Default for Priority {
    /// [`Priority::NORMAL`].
    fn default() -> Self {
        Self::NORMAL
    }
}

impl From<u16> for Priority {
    fn from(value: u16) -> Self {
        Self(value)
    }
}

impl From<Priority> for u16 {
    fn from(priority: Priority) -> Self {
        priority.0
    }
}
