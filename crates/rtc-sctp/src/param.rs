//! Parameters (RFC 9260 §3.2.1): those of INIT and INIT ACK (§3.3.2.1, §3.3.3.1 and the
//! extensions WebRTC stacks send), the Heartbeat Info of HEARTBEAT (§3.3.5), and the
//! re-configuration requests and responses of RE-CONFIG (RFC 6525 §4).

use std::net::{Ipv4Addr, Ipv6Addr};

use crate::codec::{Cursor, Reader};
use crate::list::{TlvItem, TlvList, WireList};
use crate::{ParamType, ParseError};

/// The parameters of an INIT, INIT ACK or RE-CONFIG chunk.
pub type Params<'a> = TlvList<'a, Param<'a>>;

/// A parameter, decoded. Parameters this crate does not know are [`Param::Unknown`]; the
/// caller applies [`ParamType::unrecognized_action`] to them.
///
/// Parameters only to be recognized and skipped or rejected (Host Name Address, the AUTH
/// parameters of RFC 4895) keep their value as bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Param<'a> {
    /// Heartbeat Info (1, RFC 9260 §3.3.5): the sender-specific information, opaque.
    HeartbeatInfo(&'a [u8]),
    /// IPv4 Address (5, RFC 9260 §3.3.2.1.1). WebRTC runs over DTLS and ignores it.
    Ipv4Address(Ipv4Addr),
    /// IPv6 Address (6, RFC 9260 §3.3.2.1.2). WebRTC runs over DTLS and ignores it.
    Ipv6Address(Ipv6Addr),
    /// State Cookie (7, RFC 9260 §3.3.3.1.1), opaque.
    StateCookie(&'a [u8]),
    /// Unrecognized Parameter (8, RFC 9260 §3.3.3.1.2): a parameter from the INIT, copied with
    /// its type and length.
    UnrecognizedParameter(&'a [u8]),
    /// Cookie Preservative (9, RFC 9260 §3.3.2.1.3).
    CookiePreservative {
        /// Suggested cookie life-span increment, in milliseconds.
        increment_ms: u32,
    },
    /// Host Name Address (11, RFC 9260 §3.3.2.1.4): deprecated; an INIT or INIT ACK holding it
    /// is answered with ABORT. The host name as sent, null terminator included.
    HostNameAddress(&'a [u8]),
    /// Supported Address Types (12, RFC 9260 §3.3.2.1.5): parameter types of addresses.
    SupportedAddressTypes(WireList<'a, u16>),
    /// Outgoing SSN Reset Request (13, RFC 6525 §4.1).
    OutgoingSsnResetRequest(OutgoingSsnResetRequest<'a>),
    /// Incoming SSN Reset Request (14, RFC 6525 §4.2).
    IncomingSsnResetRequest(IncomingSsnResetRequest<'a>),
    /// SSN/TSN Reset Request (15, RFC 6525 §4.3).
    SsnTsnResetRequest {
        /// Re-configuration Request Sequence Number.
        request_sequence: u32,
    },
    /// Re-configuration Response (16, RFC 6525 §4.4).
    ReconfigResponse(ReconfigResponse),
    /// Add Outgoing Streams Request (17, RFC 6525 §4.5).
    AddOutgoingStreams(AddStreamsRequest),
    /// Add Incoming Streams Request (18, RFC 6525 §4.6).
    AddIncomingStreams(AddStreamsRequest),
    /// ECN Capable (0x8000, reserved by RFC 9260 §3.3.2), no value.
    EcnCapable,
    /// Zero Checksum Acceptable (0x8001, RFC 9653 §4): the sender accepts packets whose
    /// checksum is zero when the named alternate error detection method protects them.
    ZeroChecksumAcceptable {
        /// Error Detection Method Identifier; [`EDMID_DTLS`] for SCTP over DTLS.
        edmid: u32,
    },
    /// Random (0x8002, RFC 4895 §3.1), only to be recognized: AUTH is not implemented.
    Random(&'a [u8]),
    /// Chunk List (0x8003, RFC 4895 §3.2): chunk types, only to be recognized.
    ChunkList(&'a [u8]),
    /// Requested HMAC Algorithm (0x8004, RFC 4895 §3.3): HMAC identifiers, only to be
    /// recognized.
    RequestedHmacAlgorithms(WireList<'a, u16>),
    /// Padding (0x8005, RFC 4820 §3): `len` bytes of padding value, ignored by the receiver
    /// and written as zeros.
    Padding {
        /// Length of the padding value.
        len: usize,
    },
    /// Supported Extensions (0x8008, RFC 5061 §4.2.7): the chunk types the sender supports
    /// beyond RFC 9260 (see [`crate::ChunkType`]).
    SupportedExtensions(&'a [u8]),
    /// Forward-TSN-Supported (0xC000, RFC 3758 §3.1), no value.
    ForwardTsnSupported,
    /// A parameter type this crate does not know.
    Unknown {
        /// Its type.
        param_type: ParamType,
        /// Its value, without padding.
        value: &'a [u8],
    },
}

/// RFC 9653 §4: the Error Detection Method Identifier of SCTP over DTLS (RFC 8261).
pub const EDMID_DTLS: u32 = 1;

impl Param<'_> {
    /// The parameter's type.
    pub fn param_type(&self) -> ParamType {
        match self {
            Self::HeartbeatInfo(_) => ParamType::HEARTBEAT_INFO,
            Self::Ipv4Address(_) => ParamType::IPV4_ADDRESS,
            Self::Ipv6Address(_) => ParamType::IPV6_ADDRESS,
            Self::StateCookie(_) => ParamType::STATE_COOKIE,
            Self::UnrecognizedParameter(_) => ParamType::UNRECOGNIZED_PARAMETER,
            Self::CookiePreservative { .. } => ParamType::COOKIE_PRESERVATIVE,
            Self::HostNameAddress(_) => ParamType::HOST_NAME_ADDRESS,
            Self::SupportedAddressTypes(_) => ParamType::SUPPORTED_ADDRESS_TYPES,
            Self::OutgoingSsnResetRequest(_) => ParamType::OUTGOING_SSN_RESET_REQUEST,
            Self::IncomingSsnResetRequest(_) => ParamType::INCOMING_SSN_RESET_REQUEST,
            Self::SsnTsnResetRequest { .. } => ParamType::SSN_TSN_RESET_REQUEST,
            Self::ReconfigResponse(_) => ParamType::RECONFIG_RESPONSE,
            Self::AddOutgoingStreams(_) => ParamType::ADD_OUTGOING_STREAMS_REQUEST,
            Self::AddIncomingStreams(_) => ParamType::ADD_INCOMING_STREAMS_REQUEST,
            Self::EcnCapable => ParamType::ECN_CAPABLE,
            Self::ZeroChecksumAcceptable { .. } => ParamType::ZERO_CHECKSUM_ACCEPTABLE,
            Self::Random(_) => ParamType::RANDOM,
            Self::ChunkList(_) => ParamType::CHUNK_LIST,
            Self::RequestedHmacAlgorithms(_) => ParamType::REQUESTED_HMAC_ALGORITHM,
            Self::Padding { .. } => ParamType::PADDING,
            Self::SupportedExtensions(_) => ParamType::SUPPORTED_EXTENSIONS,
            Self::ForwardTsnSupported => ParamType::FORWARD_TSN_SUPPORTED,
            Self::Unknown { param_type, .. } => *param_type,
        }
    }
}

fn fixed<'a>(value: &'a [u8], len: usize, what: &'static str) -> Result<Reader<'a>, ParseError> {
    let r = Reader::new(value, what);
    r.expect_len(len)?;
    Ok(r)
}

impl<'a> TlvItem<'a> for Param<'a> {
    const WHAT: &'static str = "parameter";

    fn decode(tlv_type: u16, value: &'a [u8]) -> Result<Self, ParseError> {
        Ok(match ParamType(tlv_type) {
            ParamType::HEARTBEAT_INFO => Self::HeartbeatInfo(value),
            ParamType::IPV4_ADDRESS => {
                let mut r = fixed(value, 4, "IPv4 Address parameter")?;
                Self::Ipv4Address(Ipv4Addr::from(r.u32()?))
            }
            ParamType::IPV6_ADDRESS => {
                fixed(value, 16, "IPv6 Address parameter")?;
                let mut octets = [0u8; 16];
                octets.copy_from_slice(value);
                Self::Ipv6Address(Ipv6Addr::from(octets))
            }
            ParamType::STATE_COOKIE => Self::StateCookie(value),
            ParamType::UNRECOGNIZED_PARAMETER => Self::UnrecognizedParameter(value),
            ParamType::COOKIE_PRESERVATIVE => {
                let mut r = fixed(value, 4, "Cookie Preservative parameter")?;
                Self::CookiePreservative {
                    increment_ms: r.u32()?,
                }
            }
            ParamType::HOST_NAME_ADDRESS => Self::HostNameAddress(value),
            ParamType::SUPPORTED_ADDRESS_TYPES => Self::SupportedAddressTypes(WireList::parse(
                Reader::new(value, "Supported Address Types parameter"),
            )?),
            ParamType::OUTGOING_SSN_RESET_REQUEST => {
                let what = "Outgoing SSN Reset Request parameter";
                let mut r = Reader::new(value, what);
                Self::OutgoingSsnResetRequest(OutgoingSsnResetRequest {
                    request_sequence: r.u32()?,
                    response_sequence: r.u32()?,
                    last_assigned_tsn: r.u32()?,
                    streams: WireList::parse(r)?,
                })
            }
            ParamType::INCOMING_SSN_RESET_REQUEST => {
                let what = "Incoming SSN Reset Request parameter";
                let mut r = Reader::new(value, what);
                Self::IncomingSsnResetRequest(IncomingSsnResetRequest {
                    request_sequence: r.u32()?,
                    streams: WireList::parse(r)?,
                })
            }
            ParamType::SSN_TSN_RESET_REQUEST => {
                let mut r = fixed(value, 4, "SSN/TSN Reset Request parameter")?;
                Self::SsnTsnResetRequest {
                    request_sequence: r.u32()?,
                }
            }
            ParamType::RECONFIG_RESPONSE => {
                // RFC 6525 §4.4: 12 bytes, or 20 with both optional TSNs; never one of them.
                let mut r = Reader::new(value, "Re-configuration Response parameter");
                if value.len() != 8 && value.len() != 16 {
                    return Err(r.bad_length());
                }
                let response_sequence = r.u32()?;
                let result = ReconfigResult(r.u32()?);
                let next_tsns = if value.len() == 16 {
                    Some(NextTsns {
                        sender_next_tsn: r.u32()?,
                        receiver_next_tsn: r.u32()?,
                    })
                } else {
                    None
                };
                Self::ReconfigResponse(ReconfigResponse {
                    response_sequence,
                    result,
                    next_tsns,
                })
            }
            ParamType::ADD_OUTGOING_STREAMS_REQUEST => Self::AddOutgoingStreams(
                AddStreamsRequest::decode(value, "Add Outgoing Streams Request parameter")?,
            ),
            ParamType::ADD_INCOMING_STREAMS_REQUEST => Self::AddIncomingStreams(
                AddStreamsRequest::decode(value, "Add Incoming Streams Request parameter")?,
            ),
            ParamType::ECN_CAPABLE => {
                fixed(value, 0, "ECN Capable parameter")?;
                Self::EcnCapable
            }
            ParamType::ZERO_CHECKSUM_ACCEPTABLE => {
                let mut r = fixed(value, 4, "Zero Checksum Acceptable parameter")?;
                Self::ZeroChecksumAcceptable { edmid: r.u32()? }
            }
            ParamType::RANDOM => Self::Random(value),
            ParamType::CHUNK_LIST => Self::ChunkList(value),
            ParamType::REQUESTED_HMAC_ALGORITHM => Self::RequestedHmacAlgorithms(WireList::parse(
                Reader::new(value, "Requested HMAC Algorithm parameter"),
            )?),
            ParamType::PADDING => Self::Padding { len: value.len() },
            ParamType::SUPPORTED_EXTENSIONS => Self::SupportedExtensions(value),
            ParamType::FORWARD_TSN_SUPPORTED => {
                fixed(value, 0, "Forward-TSN-Supported parameter")?;
                Self::ForwardTsnSupported
            }
            param_type => Self::Unknown { param_type, value },
        })
    }

    fn tlv_type(&self) -> u16 {
        self.param_type().0
    }

    fn value_len(&self) -> usize {
        match self {
            Self::HeartbeatInfo(b)
            | Self::StateCookie(b)
            | Self::UnrecognizedParameter(b)
            | Self::HostNameAddress(b)
            | Self::Random(b)
            | Self::ChunkList(b)
            | Self::SupportedExtensions(b)
            | Self::Unknown { value: b, .. } => b.len(),
            Self::Ipv4Address(_)
            | Self::CookiePreservative { .. }
            | Self::SsnTsnResetRequest { .. }
            | Self::ZeroChecksumAcceptable { .. } => 4,
            Self::Ipv6Address(_) => 16,
            Self::SupportedAddressTypes(l) | Self::RequestedHmacAlgorithms(l) => l.wire_len(),
            Self::OutgoingSsnResetRequest(p) => 12 + p.streams.wire_len(),
            Self::IncomingSsnResetRequest(p) => 4 + p.streams.wire_len(),
            Self::ReconfigResponse(p) => {
                if p.next_tsns.is_some() {
                    16
                } else {
                    8
                }
            }
            Self::AddOutgoingStreams(_) | Self::AddIncomingStreams(_) => 8,
            Self::EcnCapable | Self::ForwardTsnSupported => 0,
            Self::Padding { len } => *len,
        }
    }

    fn emit_value(&self, out: &mut [u8]) {
        let mut c = Cursor::new(out);
        match self {
            Self::HeartbeatInfo(b)
            | Self::StateCookie(b)
            | Self::UnrecognizedParameter(b)
            | Self::HostNameAddress(b)
            | Self::Random(b)
            | Self::ChunkList(b)
            | Self::SupportedExtensions(b)
            | Self::Unknown { value: b, .. } => c.bytes(b),
            Self::Ipv4Address(a) => c.bytes(&a.octets()),
            Self::Ipv6Address(a) => c.bytes(&a.octets()),
            Self::CookiePreservative { increment_ms } => c.u32(*increment_ms),
            Self::SsnTsnResetRequest { request_sequence } => c.u32(*request_sequence),
            Self::ZeroChecksumAcceptable { edmid } => c.u32(*edmid),
            Self::SupportedAddressTypes(l) | Self::RequestedHmacAlgorithms(l) => l.emit(&mut c),
            Self::OutgoingSsnResetRequest(p) => {
                c.u32(p.request_sequence);
                c.u32(p.response_sequence);
                c.u32(p.last_assigned_tsn);
                p.streams.emit(&mut c);
            }
            Self::IncomingSsnResetRequest(p) => {
                c.u32(p.request_sequence);
                p.streams.emit(&mut c);
            }
            Self::ReconfigResponse(p) => {
                c.u32(p.response_sequence);
                c.u32(p.result.0);
                if let Some(t) = p.next_tsns {
                    c.u32(t.sender_next_tsn);
                    c.u32(t.receiver_next_tsn);
                }
            }
            Self::AddOutgoingStreams(p) | Self::AddIncomingStreams(p) => {
                c.u32(p.request_sequence);
                c.u16(p.new_streams);
                c.u16(0);
            }
            Self::EcnCapable | Self::ForwardTsnSupported => {}
            Self::Padding { len } => c.zeros(*len),
        }
    }
}

/// Outgoing SSN Reset Request (RFC 6525 §4.1): the sender resets some or all of its outgoing
/// streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutgoingSsnResetRequest<'a> {
    /// Re-configuration Request Sequence Number.
    pub request_sequence: u32,
    /// Re-configuration Response Sequence Number: the incoming request this answers, or the
    /// next expected request sequence number minus 1.
    pub response_sequence: u32,
    /// Sender's Last Assigned TSN.
    pub last_assigned_tsn: u32,
    /// The streams to reset; empty means all.
    pub streams: WireList<'a, u16>,
}

/// Incoming SSN Reset Request (RFC 6525 §4.2): the sender asks the peer to reset some or all
/// of the peer's outgoing streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IncomingSsnResetRequest<'a> {
    /// Re-configuration Request Sequence Number.
    pub request_sequence: u32,
    /// The streams to reset; empty means all.
    pub streams: WireList<'a, u16>,
}

/// Re-configuration Response (RFC 6525 §4.4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReconfigResponse {
    /// The request's sequence number.
    pub response_sequence: u32,
    /// The outcome.
    pub result: ReconfigResult,
    /// Sender's and Receiver's Next TSN, only in answers to an SSN/TSN Reset Request.
    pub next_tsns: Option<NextTsns>,
}

/// The optional fields of a Re-configuration Response (RFC 6525 §4.4): both or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextTsns {
    /// The TSN the sender of the response uses for its next DATA chunk.
    pub sender_next_tsn: u32,
    /// The TSN the receiver of the response must use for its next DATA chunk.
    pub receiver_next_tsn: u32,
}

/// Result of a re-configuration request (RFC 6525 §4.4, table 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReconfigResult(pub u32);

impl ReconfigResult {
    /// 0: Success - Nothing to do.
    pub const SUCCESS_NOTHING_TO_DO: Self = Self(0);
    /// 1: Success - Performed.
    pub const SUCCESS_PERFORMED: Self = Self(1);
    /// 2: Denied.
    pub const DENIED: Self = Self(2);
    /// 3: Error - Wrong SSN.
    pub const ERROR_WRONG_SSN: Self = Self(3);
    /// 4: Error - Request already in progress.
    pub const ERROR_REQUEST_ALREADY_IN_PROGRESS: Self = Self(4);
    /// 5: Error - Bad Sequence Number.
    pub const ERROR_BAD_SEQUENCE_NUMBER: Self = Self(5);
    /// 6: In progress.
    pub const IN_PROGRESS: Self = Self(6);
}

/// Add Outgoing or Incoming Streams Request (RFC 6525 §4.5, §4.6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddStreamsRequest {
    /// Re-configuration Request Sequence Number.
    pub request_sequence: u32,
    /// Number of streams to add.
    pub new_streams: u16,
}

impl AddStreamsRequest {
    fn decode(value: &[u8], what: &'static str) -> Result<Self, ParseError> {
        let mut r = fixed(value, 8, what)?;
        Ok(Self {
            request_sequence: r.u32()?,
            new_streams: r.u16()?,
        })
    }
}
