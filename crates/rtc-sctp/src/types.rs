//! The registries: chunk types, parameter types and error cause codes, and what to do with a
//! type one does not recognize.

use std::fmt;

/// What RFC 9260 says to do with a chunk or parameter of a type the receiver does not
/// recognize: the two highest bits of the type decide (chunks §3.2, table 2; parameters
/// §3.2.1, table 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnrecognizedAction {
    /// `00`: stop processing (the rest of the packet for a chunk, the rest of the chunk's
    /// parameters for a parameter) and discard.
    Stop,
    /// `01`: stop processing as for `Stop`, and report it (an ERROR chunk with an
    /// Unrecognized Chunk Type cause; an Unrecognized Parameter).
    StopAndReport,
    /// `10`: skip it and go on.
    Skip,
    /// `11`: skip it, go on, and report it.
    SkipAndReport,
}

impl UnrecognizedAction {
    fn from_bits(bits: u8) -> Self {
        match bits & 0b11 {
            0b00 => Self::Stop,
            0b01 => Self::StopAndReport,
            0b10 => Self::Skip,
            _ => Self::SkipAndReport,
        }
    }

    /// True for `Stop` and `StopAndReport`.
    pub fn stops(self) -> bool {
        matches!(self, Self::Stop | Self::StopAndReport)
    }

    /// True for `StopAndReport` and `SkipAndReport`.
    pub fn reports(self) -> bool {
        matches!(self, Self::StopAndReport | Self::SkipAndReport)
    }
}

macro_rules! registry {
    (
        $(#[$tdoc:meta])* $ty:ident($repr:ty);
        $( $(#[$doc:meta])* $name:ident = $value:literal, $text:literal; )*
    ) => {
        $(#[$tdoc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $ty(pub $repr);

        impl $ty {
            $( $(#[$doc])* pub const $name: Self = Self($value); )*

            /// The registered name, if this crate knows the value.
            pub fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some($text), )*
                    _ => None,
                }
            }
        }

        impl fmt::Debug for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                match self.name() {
                    Some(name) => f.write_str(name),
                    None => write!(f, "{}({:#x})", stringify!($ty), self.0),
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                fmt::Debug::fmt(self, f)
            }
        }

        impl From<$repr> for $ty {
            fn from(v: $repr) -> Self {
                Self(v)
            }
        }

        impl From<$ty> for $repr {
            fn from(v: $ty) -> Self {
                v.0
            }
        }
    };
}

registry! {
    /// A chunk type (RFC 9260 §3.2, and the extensions' registrations).
    ChunkType(u8);
    /// Payload Data (RFC 9260 §3.3.1).
    DATA = 0, "DATA";
    /// Initiation (RFC 9260 §3.3.2).
    INIT = 1, "INIT";
    /// Initiation Acknowledgement (RFC 9260 §3.3.3).
    INIT_ACK = 2, "INIT ACK";
    /// Selective Acknowledgement (RFC 9260 §3.3.4).
    SACK = 3, "SACK";
    /// Heartbeat Request (RFC 9260 §3.3.5).
    HEARTBEAT = 4, "HEARTBEAT";
    /// Heartbeat Acknowledgement (RFC 9260 §3.3.6).
    HEARTBEAT_ACK = 5, "HEARTBEAT ACK";
    /// Abort (RFC 9260 §3.3.7).
    ABORT = 6, "ABORT";
    /// Shutdown (RFC 9260 §3.3.8).
    SHUTDOWN = 7, "SHUTDOWN";
    /// Shutdown Acknowledgement (RFC 9260 §3.3.9).
    SHUTDOWN_ACK = 8, "SHUTDOWN ACK";
    /// Operation Error (RFC 9260 §3.3.10).
    ERROR = 9, "ERROR";
    /// State Cookie (RFC 9260 §3.3.11).
    COOKIE_ECHO = 10, "COOKIE ECHO";
    /// Cookie Acknowledgement (RFC 9260 §3.3.12).
    COOKIE_ACK = 11, "COOKIE ACK";
    /// Reserved for ECN Echo (RFC 9260 §3.2); parsed as an unknown chunk.
    ECNE = 12, "ECNE";
    /// Reserved for Congestion Window Reduced (RFC 9260 §3.2); parsed as an unknown chunk.
    CWR = 13, "CWR";
    /// Shutdown Complete (RFC 9260 §3.3.13).
    SHUTDOWN_COMPLETE = 14, "SHUTDOWN COMPLETE";
    /// Authentication (RFC 4895); parsed as an unknown chunk.
    AUTH = 15, "AUTH";
    /// Payload Data supporting Interleaving (RFC 8260 §2.1).
    I_DATA = 64, "I-DATA";
    /// Address Configuration Acknowledgement (RFC 5061); parsed as an unknown chunk.
    ASCONF_ACK = 0x80, "ASCONF ACK";
    /// Re-configuration (RFC 6525 §3.1).
    RE_CONFIG = 130, "RE-CONFIG";
    /// Padding (RFC 4820 §3).
    PAD = 0x84, "PAD";
    /// Forward Cumulative TSN (RFC 3758 §3.2).
    FORWARD_TSN = 192, "FORWARD TSN";
    /// Address Configuration Change (RFC 5061); parsed as an unknown chunk.
    ASCONF = 0xC1, "ASCONF";
    /// I-FORWARD-TSN (RFC 8260 §2.3.1).
    I_FORWARD_TSN = 194, "I-FORWARD-TSN";
}

impl ChunkType {
    /// What a receiver that does not recognize this type does with the chunk (RFC 9260 §3.2,
    /// table 2: the two highest bits).
    pub fn unrecognized_action(self) -> UnrecognizedAction {
        UnrecognizedAction::from_bits(self.0 >> 6)
    }
}

registry! {
    /// A parameter type (RFC 9260 §3.2.1). Parameter types are unique across all chunks, so one
    /// registry serves INIT, INIT ACK, HEARTBEAT and RE-CONFIG.
    ParamType(u16);
    /// Heartbeat Info (RFC 9260 §3.3.5).
    HEARTBEAT_INFO = 1, "Heartbeat Info";
    /// IPv4 Address (RFC 9260 §3.3.2.1.1).
    IPV4_ADDRESS = 5, "IPv4 Address";
    /// IPv6 Address (RFC 9260 §3.3.2.1.2).
    IPV6_ADDRESS = 6, "IPv6 Address";
    /// State Cookie (RFC 9260 §3.3.3.1.1).
    STATE_COOKIE = 7, "State Cookie";
    /// Unrecognized Parameter (RFC 9260 §3.3.3.1.2).
    UNRECOGNIZED_PARAMETER = 8, "Unrecognized Parameter";
    /// Cookie Preservative (RFC 9260 §3.3.2.1.3).
    COOKIE_PRESERVATIVE = 9, "Cookie Preservative";
    /// Host Name Address, deprecated (RFC 9260 §3.3.2.1.4).
    HOST_NAME_ADDRESS = 11, "Host Name Address";
    /// Supported Address Types (RFC 9260 §3.3.2.1.5).
    SUPPORTED_ADDRESS_TYPES = 12, "Supported Address Types";
    /// Outgoing SSN Reset Request (RFC 6525 §4.1).
    OUTGOING_SSN_RESET_REQUEST = 13, "Outgoing SSN Reset Request";
    /// Incoming SSN Reset Request (RFC 6525 §4.2).
    INCOMING_SSN_RESET_REQUEST = 14, "Incoming SSN Reset Request";
    /// SSN/TSN Reset Request (RFC 6525 §4.3).
    SSN_TSN_RESET_REQUEST = 15, "SSN/TSN Reset Request";
    /// Re-configuration Response (RFC 6525 §4.4).
    RECONFIG_RESPONSE = 16, "Re-configuration Response";
    /// Add Outgoing Streams Request (RFC 6525 §4.5).
    ADD_OUTGOING_STREAMS_REQUEST = 17, "Add Outgoing Streams Request";
    /// Add Incoming Streams Request (RFC 6525 §4.6).
    ADD_INCOMING_STREAMS_REQUEST = 18, "Add Incoming Streams Request";
    /// Reserved for ECN Capable (RFC 9260 §3.3.2).
    ECN_CAPABLE = 0x8000, "ECN Capable";
    /// Zero Checksum Acceptable (RFC 9653 §4).
    ZERO_CHECKSUM_ACCEPTABLE = 0x8001, "Zero Checksum Acceptable";
    /// Random (RFC 4895 §3.1).
    RANDOM = 0x8002, "Random";
    /// Chunk List (RFC 4895 §3.2).
    CHUNK_LIST = 0x8003, "Chunk List";
    /// Requested HMAC Algorithm (RFC 4895 §3.3).
    REQUESTED_HMAC_ALGORITHM = 0x8004, "Requested HMAC Algorithm";
    /// Padding (RFC 4820 §3).
    PADDING = 0x8005, "Padding";
    /// Supported Extensions (RFC 5061 §4.2.7).
    SUPPORTED_EXTENSIONS = 0x8008, "Supported Extensions";
    /// Forward-TSN-Supported (RFC 3758 §3.1).
    FORWARD_TSN_SUPPORTED = 0xC000, "Forward-TSN-Supported";
}

impl ParamType {
    /// What a receiver that does not recognize this type does with the parameter (RFC 9260
    /// §3.2.1, table 3: the two highest bits).
    pub fn unrecognized_action(self) -> UnrecognizedAction {
        UnrecognizedAction::from_bits((self.0 >> 14) as u8)
    }
}

registry! {
    /// An error cause code (RFC 9260 §3.3.10, table 11).
    CauseCode(u16);
    /// Invalid Stream Identifier (RFC 9260 §3.3.10.1).
    INVALID_STREAM_IDENTIFIER = 1, "Invalid Stream Identifier";
    /// Missing Mandatory Parameter (RFC 9260 §3.3.10.2).
    MISSING_MANDATORY_PARAMETER = 2, "Missing Mandatory Parameter";
    /// Stale Cookie (RFC 9260 §3.3.10.3).
    STALE_COOKIE = 3, "Stale Cookie";
    /// Out of Resource (RFC 9260 §3.3.10.4).
    OUT_OF_RESOURCE = 4, "Out of Resource";
    /// Unresolvable Address (RFC 9260 §3.3.10.5).
    UNRESOLVABLE_ADDRESS = 5, "Unresolvable Address";
    /// Unrecognized Chunk Type (RFC 9260 §3.3.10.6).
    UNRECOGNIZED_CHUNK_TYPE = 6, "Unrecognized Chunk Type";
    /// Invalid Mandatory Parameter (RFC 9260 §3.3.10.7).
    INVALID_MANDATORY_PARAMETER = 7, "Invalid Mandatory Parameter";
    /// Unrecognized Parameters (RFC 9260 §3.3.10.8).
    UNRECOGNIZED_PARAMETERS = 8, "Unrecognized Parameters";
    /// No User Data (RFC 9260 §3.3.10.9).
    NO_USER_DATA = 9, "No User Data";
    /// Cookie Received While Shutting Down (RFC 9260 §3.3.10.10).
    COOKIE_RECEIVED_WHILE_SHUTTING_DOWN = 10, "Cookie Received While Shutting Down";
    /// Restart of an Association with New Addresses (RFC 9260 §3.3.10.11).
    RESTART_WITH_NEW_ADDRESSES = 11, "Restart of an Association with New Addresses";
    /// User-Initiated Abort (RFC 9260 §3.3.10.12).
    USER_INITIATED_ABORT = 12, "User-Initiated Abort";
    /// Protocol Violation (RFC 9260 §3.3.10.13).
    PROTOCOL_VIOLATION = 13, "Protocol Violation";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upper_two_bits_decide_the_action() {
        // RFC 6525 §3: RE-CONFIG (130) is skipped by receivers that do not know it.
        assert_eq!(
            ChunkType::RE_CONFIG.unrecognized_action(),
            UnrecognizedAction::Skip
        );
        // RFC 8260 §5.1: I-DATA is "01", §5.2: I-FORWARD-TSN is "11".
        assert_eq!(
            ChunkType::I_DATA.unrecognized_action(),
            UnrecognizedAction::StopAndReport
        );
        assert_eq!(
            ChunkType::I_FORWARD_TSN.unrecognized_action(),
            UnrecognizedAction::SkipAndReport
        );
        assert_eq!(
            ChunkType::DATA.unrecognized_action(),
            UnrecognizedAction::Stop
        );
        // RFC 6525 §4: the RE-CONFIG parameters stop processing when not understood.
        assert!(
            ParamType::OUTGOING_SSN_RESET_REQUEST
                .unrecognized_action()
                .stops()
        );
        assert_eq!(
            ParamType::FORWARD_TSN_SUPPORTED.unrecognized_action(),
            UnrecognizedAction::SkipAndReport
        );
        assert_eq!(
            ParamType::ECN_CAPABLE.unrecognized_action(),
            UnrecognizedAction::Skip
        );
        assert!(!UnrecognizedAction::Skip.reports());
    }

    #[test]
    fn names_and_debug() {
        assert_eq!(format!("{:?}", ChunkType::SACK), "SACK");
        assert_eq!(format!("{:?}", ChunkType(0x42)), "ChunkType(0x42)");
        assert_eq!(
            ParamType::SUPPORTED_EXTENSIONS.name(),
            Some("Supported Extensions")
        );
        assert_eq!(CauseCode(99).name(), None);
    }
}
