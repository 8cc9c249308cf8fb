//! Owned models of every chunk, parameter and error cause, with proptest strategies, and a way
//! to borrow them as the crate's types (which point into the caller's data).

#![allow(dead_code, unreachable_pub)]

use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::collection::vec;
use proptest::prelude::*;
use rtc_sctp::*;

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..=max)
}

#[derive(Debug, Clone)]
pub enum OwnedParam {
    HeartbeatInfo(Vec<u8>),
    Ipv4(Ipv4Addr),
    Ipv6(Ipv6Addr),
    StateCookie(Vec<u8>),
    Unrecognized(Vec<u8>),
    CookiePreservative(u32),
    HostName(Vec<u8>),
    AddressTypes(Vec<u16>),
    OutgoingReset(u32, u32, u32, Vec<u16>),
    IncomingReset(u32, Vec<u16>),
    SsnTsnReset(u32),
    Response(u32, u32, Option<(u32, u32)>),
    AddOutgoing(u32, u16),
    AddIncoming(u32, u16),
    Ecn,
    ZeroChecksum(u32),
    Random(Vec<u8>),
    ChunkList(Vec<u8>),
    Hmac(Vec<u16>),
    Padding(usize),
    Extensions(Vec<u8>),
    ForwardTsnSupported,
    Unknown(u16, Vec<u8>),
}

impl OwnedParam {
    pub fn as_param(&self) -> Param<'_> {
        match self {
            Self::HeartbeatInfo(b) => Param::HeartbeatInfo(b),
            Self::Ipv4(a) => Param::Ipv4Address(*a),
            Self::Ipv6(a) => Param::Ipv6Address(*a),
            Self::StateCookie(b) => Param::StateCookie(b),
            Self::Unrecognized(b) => Param::UnrecognizedParameter(b),
            Self::CookiePreservative(v) => Param::CookiePreservative { increment_ms: *v },
            Self::HostName(b) => Param::HostNameAddress(b),
            Self::AddressTypes(l) => Param::SupportedAddressTypes(WireList::new(l)),
            Self::OutgoingReset(a, b, c, l) => {
                Param::OutgoingSsnResetRequest(OutgoingSsnResetRequest {
                    request_sequence: *a,
                    response_sequence: *b,
                    last_assigned_tsn: *c,
                    streams: WireList::new(l),
                })
            }
            Self::IncomingReset(a, l) => Param::IncomingSsnResetRequest(IncomingSsnResetRequest {
                request_sequence: *a,
                streams: WireList::new(l),
            }),
            Self::SsnTsnReset(a) => Param::SsnTsnResetRequest {
                request_sequence: *a,
            },
            Self::Response(a, r, t) => Param::ReconfigResponse(ReconfigResponse {
                response_sequence: *a,
                result: ReconfigResult(*r),
                next_tsns: t.map(|(s, r)| NextTsns {
                    sender_next_tsn: s,
                    receiver_next_tsn: r,
                }),
            }),
            Self::AddOutgoing(a, n) => Param::AddOutgoingStreams(AddStreamsRequest {
                request_sequence: *a,
                new_streams: *n,
            }),
            Self::AddIncoming(a, n) => Param::AddIncomingStreams(AddStreamsRequest {
                request_sequence: *a,
                new_streams: *n,
            }),
            Self::Ecn => Param::EcnCapable,
            Self::ZeroChecksum(e) => Param::ZeroChecksumAcceptable { edmid: *e },
            Self::Random(b) => Param::Random(b),
            Self::ChunkList(b) => Param::ChunkList(b),
            Self::Hmac(l) => Param::RequestedHmacAlgorithms(WireList::new(l)),
            Self::Padding(len) => Param::Padding { len: *len },
            Self::Extensions(b) => Param::SupportedExtensions(b),
            Self::ForwardTsnSupported => Param::ForwardTsnSupported,
            Self::Unknown(t, b) => Param::Unknown {
                param_type: ParamType(*t),
                value: b,
            },
        }
    }
}

pub fn param() -> impl Strategy<Value = OwnedParam> {
    let u16s = || vec(any::<u16>(), 0..8);
    prop_oneof![
        bytes(40).prop_map(OwnedParam::HeartbeatInfo),
        any::<[u8; 4]>().prop_map(|a| OwnedParam::Ipv4(a.into())),
        any::<[u8; 16]>().prop_map(|a| OwnedParam::Ipv6(a.into())),
        bytes(64).prop_map(OwnedParam::StateCookie),
        bytes(20).prop_map(OwnedParam::Unrecognized),
        any::<u32>().prop_map(OwnedParam::CookiePreservative),
        bytes(20).prop_map(OwnedParam::HostName),
        u16s().prop_map(OwnedParam::AddressTypes),
        (any::<u32>(), any::<u32>(), any::<u32>(), u16s())
            .prop_map(|(a, b, c, l)| OwnedParam::OutgoingReset(a, b, c, l)),
        (any::<u32>(), u16s()).prop_map(|(a, l)| OwnedParam::IncomingReset(a, l)),
        any::<u32>().prop_map(OwnedParam::SsnTsnReset),
        (any::<u32>(), 0u32..8, any::<Option<(u32, u32)>>())
            .prop_map(|(a, r, t)| OwnedParam::Response(a, r, t)),
        (any::<u32>(), any::<u16>()).prop_map(|(a, n)| OwnedParam::AddOutgoing(a, n)),
        (any::<u32>(), any::<u16>()).prop_map(|(a, n)| OwnedParam::AddIncoming(a, n)),
        Just(OwnedParam::Ecn),
        any::<u32>().prop_map(OwnedParam::ZeroChecksum),
        bytes(36).prop_map(OwnedParam::Random),
        bytes(6).prop_map(OwnedParam::ChunkList),
        u16s().prop_map(OwnedParam::Hmac),
        (0usize..20).prop_map(OwnedParam::Padding),
        bytes(8).prop_map(OwnedParam::Extensions),
        Just(OwnedParam::ForwardTsnSupported),
        (
            any::<u16>().prop_filter("known type", |t| ParamType(*t).name().is_none()),
            bytes(20)
        )
            .prop_map(|(t, b)| OwnedParam::Unknown(t, b)),
    ]
}

#[derive(Debug, Clone)]
pub enum OwnedCause {
    InvalidStream(u16),
    Missing(Vec<u16>),
    Stale(u32),
    OutOfResource,
    Unresolvable(Vec<u8>),
    UnrecognizedChunk(Vec<u8>),
    InvalidMandatory,
    UnrecognizedParams(Vec<u8>),
    NoUserData(u32),
    CookieWhileShuttingDown,
    Restart(Vec<u8>),
    UserAbort(Vec<u8>),
    Violation(Vec<u8>),
    Unknown(u16, Vec<u8>),
}

impl OwnedCause {
    pub fn as_cause(&self) -> ErrorCause<'_> {
        match self {
            Self::InvalidStream(s) => ErrorCause::InvalidStreamIdentifier { stream_id: *s },
            Self::Missing(l) => ErrorCause::MissingMandatoryParameter(WireList::new(l)),
            Self::Stale(s) => ErrorCause::StaleCookie { staleness_us: *s },
            Self::OutOfResource => ErrorCause::OutOfResource,
            Self::Unresolvable(b) => ErrorCause::UnresolvableAddress(b),
            Self::UnrecognizedChunk(b) => ErrorCause::UnrecognizedChunkType(b),
            Self::InvalidMandatory => ErrorCause::InvalidMandatoryParameter,
            Self::UnrecognizedParams(b) => ErrorCause::UnrecognizedParameters(b),
            Self::NoUserData(t) => ErrorCause::NoUserData { tsn: *t },
            Self::CookieWhileShuttingDown => ErrorCause::CookieReceivedWhileShuttingDown,
            Self::Restart(b) => ErrorCause::RestartWithNewAddresses(b),
            Self::UserAbort(b) => ErrorCause::UserInitiatedAbort(b),
            Self::Violation(b) => ErrorCause::ProtocolViolation(b),
            Self::Unknown(c, b) => ErrorCause::Unknown {
                code: CauseCode(*c),
                info: b,
            },
        }
    }
}

pub fn cause() -> impl Strategy<Value = OwnedCause> {
    prop_oneof![
        any::<u16>().prop_map(OwnedCause::InvalidStream),
        vec(any::<u16>(), 0..8).prop_map(OwnedCause::Missing),
        any::<u32>().prop_map(OwnedCause::Stale),
        Just(OwnedCause::OutOfResource),
        bytes(20).prop_map(OwnedCause::Unresolvable),
        bytes(20).prop_map(OwnedCause::UnrecognizedChunk),
        Just(OwnedCause::InvalidMandatory),
        bytes(20).prop_map(OwnedCause::UnrecognizedParams),
        any::<u32>().prop_map(OwnedCause::NoUserData),
        Just(OwnedCause::CookieWhileShuttingDown),
        bytes(20).prop_map(OwnedCause::Restart),
        bytes(20).prop_map(OwnedCause::UserAbort),
        bytes(20).prop_map(OwnedCause::Violation),
        (
            any::<u16>().prop_filter("known code", |c| CauseCode(*c).name().is_none()),
            bytes(20)
        )
            .prop_map(|(c, b)| OwnedCause::Unknown(c, b)),
    ]
}

/// Chunk types [`RawChunk::decode`] turns into a typed variant (ECNE, CWR, AUTH and ASCONF are
/// named but stay unknown).
pub const DECODED_TYPES: &[u8] = &[
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 64, 130, 132, 192, 194,
];

#[derive(Debug, Clone)]
pub enum OwnedChunk {
    Data {
        tsn: u32,
        stream_id: u16,
        ssn: u16,
        ppid: u32,
        flags: [bool; 4],
        user_data: Vec<u8>,
    },
    Init(bool, [u32; 3], [u16; 2], Vec<OwnedParam>),
    Sack(u32, u32, Vec<(u16, u16)>, Vec<u32>),
    Heartbeat(bool, Vec<u8>),
    Abort(bool, Vec<OwnedCause>),
    Shutdown(u32),
    ShutdownAck,
    Error(Vec<OwnedCause>),
    CookieEcho(Vec<u8>),
    CookieAck,
    ShutdownComplete(bool),
    ForwardTsn(u32, Vec<(u16, u16)>),
    ReConfig(Vec<OwnedParam>),
    IData {
        tsn: u32,
        stream_id: u16,
        message_id: u32,
        first: bool,
        field: u32,
        flags: [bool; 3],
        user_data: Vec<u8>,
    },
    IForwardTsn(u32, Vec<(u16, bool, u32)>),
    Pad(usize),
    Unknown(u8, u8, Vec<u8>),
}

impl OwnedChunk {
    /// Borrows the model as a [`Chunk`] (building the slices of typed entries it points at)
    /// and hands it to `f`.
    pub fn with_chunk<R>(&self, f: impl FnOnce(&Chunk<'_>) -> R) -> R {
        match self {
            Self::Data {
                tsn,
                stream_id,
                ssn,
                ppid,
                flags: [unordered, beginning, end, immediate],
                user_data,
            } => f(&Chunk::Data(Data {
                tsn: *tsn,
                stream_id: *stream_id,
                ssn: *ssn,
                ppid: *ppid,
                unordered: *unordered,
                beginning: *beginning,
                end: *end,
                immediate: *immediate,
                user_data,
            })),
            Self::Init(ack, [tag, a_rwnd, itsn], [os, mis], params) => {
                let params: Vec<Param<'_>> = params.iter().map(OwnedParam::as_param).collect();
                let init = Init {
                    initiate_tag: *tag,
                    a_rwnd: *a_rwnd,
                    outbound_streams: *os,
                    inbound_streams: *mis,
                    initial_tsn: *itsn,
                    params: Params::new(&params),
                };
                f(&if *ack {
                    Chunk::InitAck(init)
                } else {
                    Chunk::Init(init)
                })
            }
            Self::Sack(cum, a_rwnd, gaps, dups) => {
                let gaps: Vec<GapAckBlock> = gaps
                    .iter()
                    .map(|&(start, end)| GapAckBlock { start, end })
                    .collect();
                f(&Chunk::Sack(Sack {
                    cumulative_tsn_ack: *cum,
                    a_rwnd: *a_rwnd,
                    gap_ack_blocks: WireList::new(&gaps),
                    duplicate_tsns: WireList::new(dups),
                }))
            }
            Self::Heartbeat(ack, info) => {
                let hb = Heartbeat { info };
                f(&if *ack {
                    Chunk::HeartbeatAck(hb)
                } else {
                    Chunk::Heartbeat(hb)
                })
            }
            Self::Abort(t, causes) => {
                let causes: Vec<ErrorCause<'_>> = causes.iter().map(OwnedCause::as_cause).collect();
                f(&Chunk::Abort(Abort {
                    reflected_tag: *t,
                    causes: ErrorCauses::new(&causes),
                }))
            }
            Self::Shutdown(cum) => f(&Chunk::Shutdown(Shutdown {
                cumulative_tsn_ack: *cum,
            })),
            Self::ShutdownAck => f(&Chunk::ShutdownAck),
            Self::Error(causes) => {
                let causes: Vec<ErrorCause<'_>> = causes.iter().map(OwnedCause::as_cause).collect();
                f(&Chunk::Error(OperationError {
                    causes: ErrorCauses::new(&causes),
                }))
            }
            Self::CookieEcho(cookie) => f(&Chunk::CookieEcho(CookieEcho { cookie })),
            Self::CookieAck => f(&Chunk::CookieAck),
            Self::ShutdownComplete(t) => f(&Chunk::ShutdownComplete(ShutdownComplete {
                reflected_tag: *t,
            })),
            Self::ForwardTsn(cum, streams) => {
                let streams: Vec<ForwardTsnStream> = streams
                    .iter()
                    .map(|&(stream_id, ssn)| ForwardTsnStream { stream_id, ssn })
                    .collect();
                f(&Chunk::ForwardTsn(ForwardTsn {
                    new_cumulative_tsn: *cum,
                    streams: WireList::new(&streams),
                }))
            }
            Self::ReConfig(params) => {
                let params: Vec<Param<'_>> = params.iter().map(OwnedParam::as_param).collect();
                f(&Chunk::ReConfig(ReConfig {
                    params: Params::new(&params),
                }))
            }
            Self::IData {
                tsn,
                stream_id,
                message_id,
                first,
                field,
                flags: [unordered, end, immediate],
                user_data,
            } => f(&Chunk::IData(IData {
                tsn: *tsn,
                stream_id: *stream_id,
                message_id: *message_id,
                ppid_or_fsn: if *first {
                    PpidOrFsn::Ppid(*field)
                } else {
                    PpidOrFsn::Fsn(*field)
                },
                unordered: *unordered,
                end: *end,
                immediate: *immediate,
                user_data,
            })),
            Self::IForwardTsn(cum, streams) => {
                let streams: Vec<IForwardTsnStream> = streams
                    .iter()
                    .map(|&(stream_id, unordered, message_id)| IForwardTsnStream {
                        stream_id,
                        unordered,
                        message_id,
                    })
                    .collect();
                f(&Chunk::IForwardTsn(IForwardTsn {
                    new_cumulative_tsn: *cum,
                    streams: WireList::new(&streams),
                }))
            }
            Self::Pad(len) => f(&Chunk::Pad(Pad { len: *len })),
            Self::Unknown(t, flags, value) => f(&Chunk::Unknown(UnknownChunk {
                chunk_type: ChunkType(*t),
                flags: *flags,
                value,
            })),
        }
    }
}

pub fn chunk() -> impl Strategy<Value = OwnedChunk> {
    let params = || vec(param(), 0..6);
    let causes = || vec(cause(), 0..5);
    prop_oneof![
        (
            any::<u32>(),
            any::<u16>(),
            any::<u16>(),
            any::<u32>(),
            any::<[bool; 4]>(),
            bytes(64)
        )
            .prop_map(|(tsn, stream_id, ssn, ppid, flags, user_data)| {
                OwnedChunk::Data {
                    tsn,
                    stream_id,
                    ssn,
                    ppid,
                    flags,
                    user_data,
                }
            }),
        (
            any::<bool>(),
            any::<[u32; 3]>(),
            any::<[u16; 2]>(),
            params()
        )
            .prop_map(|(ack, a, b, p)| OwnedChunk::Init(ack, a, b, p)),
        (
            any::<u32>(),
            any::<u32>(),
            vec(any::<(u16, u16)>(), 0..12),
            vec(any::<u32>(), 0..12)
        )
            .prop_map(|(c, a, g, d)| OwnedChunk::Sack(c, a, g, d)),
        (any::<bool>(), bytes(48)).prop_map(|(ack, info)| OwnedChunk::Heartbeat(ack, info)),
        (any::<bool>(), causes()).prop_map(|(t, c)| OwnedChunk::Abort(t, c)),
        any::<u32>().prop_map(OwnedChunk::Shutdown),
        Just(OwnedChunk::ShutdownAck),
        causes().prop_map(OwnedChunk::Error),
        bytes(64).prop_map(OwnedChunk::CookieEcho),
        Just(OwnedChunk::CookieAck),
        any::<bool>().prop_map(OwnedChunk::ShutdownComplete),
        (any::<u32>(), vec(any::<(u16, u16)>(), 0..10))
            .prop_map(|(c, s)| OwnedChunk::ForwardTsn(c, s)),
        vec(param(), 0..3).prop_map(OwnedChunk::ReConfig),
        (
            any::<u32>(),
            any::<u16>(),
            any::<u32>(),
            any::<bool>(),
            any::<u32>(),
            any::<[bool; 3]>(),
            bytes(64)
        )
            .prop_map(
                |(tsn, stream_id, message_id, first, field, flags, user_data)| OwnedChunk::IData {
                    tsn,
                    stream_id,
                    message_id,
                    first,
                    field,
                    flags,
                    user_data,
                }
            ),
        (any::<u32>(), vec(any::<(u16, bool, u32)>(), 0..10))
            .prop_map(|(c, s)| OwnedChunk::IForwardTsn(c, s)),
        (0usize..40).prop_map(OwnedChunk::Pad),
        (
            any::<u8>().prop_filter("decoded type", |t| !DECODED_TYPES.contains(t)),
            any::<u8>(),
            bytes(40)
        )
            .prop_map(|(t, f, v)| OwnedChunk::Unknown(t, f, v)),
    ]
}
