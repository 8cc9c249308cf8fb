//! `getStats()` (W3C WebRTC §8, the identifiers of webrtc-stats): one report with the peer
//! connection, its transport, the selected candidate pair and its candidates, our local
//! candidates, the certificates and the data channels.

use base64::Engine as _;
use rtc_datachannel::DataChannels;
use rtc_dtls::Role;
use rtc_ice::{Agent, Candidate, CandidateKind};

use crate::PeerConnection;
use crate::peer::{ChannelId, DataChannelState, IceConnectionState, PeerConnectionState};

/// Counters the connection keeps for its stats.
#[derive(Debug, Default, Clone)]
pub(crate) struct Counters {
    pub(crate) packets_sent: u64,
    pub(crate) bytes_sent: u64,
    pub(crate) packets_received: u64,
    pub(crate) bytes_received: u64,
    /// Datagrams dropped: not ours, malformed, unauthenticated.
    pub(crate) dropped: u64,
    pub(crate) data_channels_opened: u64,
    pub(crate) data_channels_closed: u64,
    /// The last closed channels (W3C keeps stats objects of closed channels).
    pub(crate) closed_channels: Vec<ClosedChannel>,
}

#[derive(Debug, Clone)]
pub(crate) struct ClosedChannel {
    pub(crate) id: ChannelId,
    pub(crate) label: String,
    pub(crate) protocol: String,
    pub(crate) stream: Option<u16>,
    pub(crate) messages_sent: u64,
    pub(crate) bytes_sent: u64,
    pub(crate) messages_received: u64,
    pub(crate) bytes_received: u64,
}

pub(crate) struct ChannelStatsInput<'a> {
    pub(crate) id: ChannelId,
    pub(crate) label: &'a str,
    pub(crate) protocol: &'a str,
    pub(crate) stream: Option<u16>,
    pub(crate) state: DataChannelState,
    pub(crate) messages_sent: u64,
    pub(crate) bytes_sent: u64,
    pub(crate) messages_received: u64,
    pub(crate) bytes_received: u64,
}

pub(crate) struct Parts<'a> {
    pub(crate) agent: Option<&'a Agent>,
    pub(crate) dtls: Option<&'a rtc_dtls::Connection>,
    pub(crate) data: Option<&'a DataChannels>,
    pub(crate) fingerprint: &'a rtc_dtls::Fingerprint,
    pub(crate) channels: Vec<ChannelStatsInput<'a>>,
    pub(crate) counters: &'a Counters,
    pub(crate) ice_state: IceConnectionState,
    pub(crate) connection_state: PeerConnectionState,
    pub(crate) dtls_role: Option<Role>,
    pub(crate) controlling: bool,
    pub(crate) ufrag: &'a str,
}

/// `RTCPeerConnectionStats`.
#[derive(Debug, Clone, PartialEq)]
pub struct PeerConnectionStats {
    /// `"P"`.
    pub id: String,
    /// `dataChannelsOpened`.
    pub data_channels_opened: u64,
    /// `dataChannelsClosed`.
    pub data_channels_closed: u64,
}

/// `RTCTransportStats`.
#[derive(Debug, Clone, PartialEq)]
pub struct TransportStats {
    /// `"T01"`.
    pub id: String,
    /// `packetsSent` (every datagram: STUN, DTLS).
    pub packets_sent: u64,
    /// `packetsReceived`.
    pub packets_received: u64,
    /// `bytesSent`.
    pub bytes_sent: u64,
    /// `bytesReceived`.
    pub bytes_received: u64,
    /// Datagrams dropped (not ours, malformed, unauthenticated); not a W3C member.
    pub packets_dropped: u64,
    /// `iceRole`: `"controlling"` or `"controlled"`.
    pub ice_role: &'static str,
    /// `iceLocalUsernameFragment`.
    pub ice_local_username_fragment: String,
    /// `iceState`.
    pub ice_state: &'static str,
    /// `dtlsState`: `"new"`, `"connecting"`, `"connected"`, `"closed"`, `"failed"`.
    pub dtls_state: &'static str,
    /// `dtlsRole`: `"client"`, `"server"` or `"unknown"`.
    pub dtls_role: &'static str,
    /// `tlsVersion` (`"FEFD"` for DTLS 1.2).
    pub tls_version: Option<String>,
    /// `dtlsCipher`, the IANA name.
    pub dtls_cipher: Option<String>,
    /// `srtpCipher`.
    pub srtp_cipher: Option<String>,
    /// `selectedCandidatePairId`.
    pub selected_candidate_pair_id: Option<String>,
    /// `localCertificateId`.
    pub local_certificate_id: String,
    /// `remoteCertificateId`.
    pub remote_certificate_id: Option<String>,
}

/// `RTCIceCandidatePairStats` (of the selected pair).
#[derive(Debug, Clone, PartialEq)]
pub struct CandidatePairStats {
    /// `"CP<local>_<remote>"`.
    pub id: String,
    /// `transportId`.
    pub transport_id: String,
    /// `localCandidateId`.
    pub local_candidate_id: String,
    /// `remoteCandidateId`.
    pub remote_candidate_id: String,
    /// `state`: `"succeeded"` for the selected pair.
    pub state: &'static str,
    /// `nominated`.
    pub nominated: bool,
}

/// `RTCIceCandidateStats`, local or remote.
#[derive(Debug, Clone, PartialEq)]
pub struct CandidateStats {
    /// `"I<foundation and address>"`.
    pub id: String,
    /// `transportId`.
    pub transport_id: String,
    /// `address` (the mDNS name when the address is hidden).
    pub address: String,
    /// `port`.
    pub port: u16,
    /// `protocol`: `"udp"`.
    pub protocol: &'static str,
    /// `candidateType`: `"host"`, `"srflx"`, `"prflx"`, `"relay"`.
    pub candidate_type: &'static str,
    /// `priority`.
    pub priority: u32,
    /// `foundation`.
    pub foundation: String,
}

/// `RTCCertificateStats`.
#[derive(Debug, Clone, PartialEq)]
pub struct CertificateStats {
    /// `"CF<fingerprint>"`.
    pub id: String,
    /// `fingerprint` (colon-separated uppercase hex).
    pub fingerprint: String,
    /// `fingerprintAlgorithm` (`"sha-256"`).
    pub fingerprint_algorithm: String,
    /// `base64Certificate` (the DER).
    pub base64_certificate: String,
}

/// `RTCDataChannelStats`.
#[derive(Debug, Clone, PartialEq)]
pub struct DataChannelStats {
    /// `"D<n>"`.
    pub id: String,
    /// `label`.
    pub label: String,
    /// `protocol`.
    pub protocol: String,
    /// `dataChannelIdentifier`: the SCTP stream id.
    pub data_channel_identifier: Option<u16>,
    /// `state`.
    pub state: &'static str,
    /// `messagesSent`.
    pub messages_sent: u64,
    /// `bytesSent`.
    pub bytes_sent: u64,
    /// `messagesReceived`.
    pub messages_received: u64,
    /// `bytesReceived`.
    pub bytes_received: u64,
}

/// One stats object (W3C `RTCStats` with its `type`).
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Stats {
    /// `"peer-connection"`.
    PeerConnection(PeerConnectionStats),
    /// `"transport"`.
    Transport(TransportStats),
    /// `"candidate-pair"`.
    CandidatePair(CandidatePairStats),
    /// `"local-candidate"`.
    LocalCandidate(CandidateStats),
    /// `"remote-candidate"`.
    RemoteCandidate(CandidateStats),
    /// `"certificate"`.
    Certificate(CertificateStats),
    /// `"data-channel"`.
    DataChannel(DataChannelStats),
}

impl Stats {
    /// The W3C `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::PeerConnection(_) => "peer-connection",
            Self::Transport(_) => "transport",
            Self::CandidatePair(_) => "candidate-pair",
            Self::LocalCandidate(_) => "local-candidate",
            Self::RemoteCandidate(_) => "remote-candidate",
            Self::Certificate(_) => "certificate",
            Self::DataChannel(_) => "data-channel",
        }
    }

    /// The W3C `id`, unique in a report and stable across reports.
    pub fn id(&self) -> &str {
        match self {
            Self::PeerConnection(s) => &s.id,
            Self::Transport(s) => &s.id,
            Self::CandidatePair(s) => &s.id,
            Self::LocalCandidate(s) | Self::RemoteCandidate(s) => &s.id,
            Self::Certificate(s) => &s.id,
            Self::DataChannel(s) => &s.id,
        }
    }
}

/// `RTCStatsReport`: the objects and the time they were taken at.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsReport {
    /// `timestamp`: milliseconds since the Unix epoch, as the caller gave it.
    pub timestamp: f64,
    /// The objects, each with its own id.
    pub stats: Vec<Stats>,
}

impl StatsReport {
    /// The object with this id.
    pub fn get(&self, id: &str) -> Option<&Stats> {
        self.stats.iter().find(|s| s.id() == id)
    }

    /// The objects of a W3C type.
    pub fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a Stats> + 'a {
        self.stats.iter().filter(move |s| s.kind() == kind)
    }
}

const TRANSPORT_ID: &str = "T01";

fn candidate_id(prefix: &str, c: &Candidate) -> String {
    format!("I{prefix}{}_{}", c.foundation, c.address)
}

fn candidate_stats(prefix: &str, c: &Candidate) -> CandidateStats {
    CandidateStats {
        id: candidate_id(prefix, c),
        transport_id: TRANSPORT_ID.to_owned(),
        address: c
            .hostname
            .clone()
            .unwrap_or_else(|| c.address.ip().to_string()),
        port: c.address.port(),
        protocol: "udp",
        candidate_type: match c.kind {
            CandidateKind::Host => "host",
            CandidateKind::ServerReflexive => "srflx",
            CandidateKind::PeerReflexive => "prflx",
            CandidateKind::Relayed => "relay",
        },
        priority: c.priority,
        foundation: c.foundation.clone(),
    }
}

fn certificate_stats(fingerprint: &rtc_dtls::Fingerprint, der: &[u8]) -> CertificateStats {
    CertificateStats {
        id: format!("CF{}", fingerprint.hex()),
        fingerprint: fingerprint.hex(),
        fingerprint_algorithm: fingerprint.algorithm.name().to_owned(),
        base64_certificate: base64::engine::general_purpose::STANDARD.encode(der),
    }
}

fn channel_state(s: DataChannelState) -> &'static str {
    match s {
        DataChannelState::Connecting => "connecting",
        DataChannelState::Open => "open",
        DataChannelState::Closing => "closing",
        DataChannelState::Closed => "closed",
    }
}

impl PeerConnection {
    /// `getStats()`. `timestamp` is the wall-clock time in milliseconds since the Unix epoch
    /// (the driver's; this crate reads no clock).
    pub fn stats(&self, timestamp: f64) -> StatsReport {
        let p = self.stats_parts();
        let mut stats = Vec::new();
        stats.push(Stats::PeerConnection(PeerConnectionStats {
            id: "P".to_owned(),
            data_channels_opened: p.counters.data_channels_opened,
            data_channels_closed: p.counters.data_channels_closed,
        }));
        let local_cert = certificate_stats(p.fingerprint, self.local_certificate_der());
        let remote_cert = p.dtls.and_then(|d| d.peer_certificate()).map(|der| {
            let fp = rtc_dtls::Fingerprint::of(rtc_dtls::FingerprintAlgorithm::Sha256, der);
            certificate_stats(&fp, der)
        });
        let selected = p.agent.and_then(Agent::selected_candidates);
        let pair_id = selected.map(|(l, r)| {
            format!(
                "CP{}_{}",
                &candidate_id("L", l)[1..],
                &candidate_id("R", r)[1..]
            )
        });
        let dtls_state = match (p.dtls, p.connection_state) {
            (_, PeerConnectionState::Closed) => "closed",
            (Some(d), _) => match d.state() {
                rtc_dtls::State::Handshaking | rtc_dtls::State::AwaitingFingerprint => "connecting",
                rtc_dtls::State::Connected => "connected",
                rtc_dtls::State::Closed => "closed",
                rtc_dtls::State::Failed => "failed",
            },
            (None, _) => "new",
        };
        stats.push(Stats::Transport(TransportStats {
            id: TRANSPORT_ID.to_owned(),
            packets_sent: p.counters.packets_sent,
            packets_received: p.counters.packets_received,
            bytes_sent: p.counters.bytes_sent,
            bytes_received: p.counters.bytes_received,
            packets_dropped: p.counters.dropped,
            ice_role: if p.controlling {
                "controlling"
            } else {
                "controlled"
            },
            ice_local_username_fragment: p.ufrag.to_owned(),
            ice_state: match p.ice_state {
                IceConnectionState::New => "new",
                IceConnectionState::Checking => "checking",
                IceConnectionState::Connected => "connected",
                IceConnectionState::Failed => "failed",
                IceConnectionState::Closed => "closed",
            },
            dtls_state,
            dtls_role: match p.dtls_role {
                Some(Role::Client) => "client",
                Some(Role::Server) => "server",
                None => "unknown",
            },
            tls_version: p
                .dtls
                .filter(|d| d.is_connected())
                .map(|_| "FEFD".to_owned()),
            dtls_cipher: p
                .dtls
                .and_then(rtc_dtls::Connection::cipher_suite)
                .map(|s| format!("{s:?}")),
            srtp_cipher: p
                .dtls
                .and_then(rtc_dtls::Connection::srtp_profile)
                .map(|s| format!("{s:?}")),
            selected_candidate_pair_id: pair_id.clone(),
            local_certificate_id: local_cert.id.clone(),
            remote_certificate_id: remote_cert.as_ref().map(|c| c.id.clone()),
        }));
        if let (Some((l, r)), Some(id)) = (selected, pair_id) {
            stats.push(Stats::CandidatePair(CandidatePairStats {
                id,
                transport_id: TRANSPORT_ID.to_owned(),
                local_candidate_id: candidate_id("L", l),
                remote_candidate_id: candidate_id("R", r),
                state: "succeeded",
                nominated: true,
            }));
            stats.push(Stats::RemoteCandidate(candidate_stats("R", r)));
        }
        if let Some(agent) = p.agent {
            for c in agent.local_candidates() {
                stats.push(Stats::LocalCandidate(candidate_stats("L", c)));
            }
        }
        stats.push(Stats::Certificate(local_cert));
        if let Some(c) = remote_cert {
            stats.push(Stats::Certificate(c));
        }
        for c in &p.channels {
            stats.push(Stats::DataChannel(DataChannelStats {
                id: format!("D{}", c.id.0),
                label: c.label.to_owned(),
                protocol: c.protocol.to_owned(),
                data_channel_identifier: c.stream,
                state: channel_state(c.state),
                messages_sent: c.messages_sent,
                bytes_sent: c.bytes_sent,
                messages_received: c.messages_received,
                bytes_received: c.bytes_received,
            }));
        }
        for c in &p.counters.closed_channels {
            stats.push(Stats::DataChannel(DataChannelStats {
                id: format!("D{}", c.id.0),
                label: c.label.clone(),
                protocol: c.protocol.clone(),
                data_channel_identifier: c.stream,
                state: "closed",
                messages_sent: c.messages_sent,
                bytes_sent: c.bytes_sent,
                messages_received: c.messages_received,
                bytes_received: c.bytes_received,
            }));
        }
        let _ = p.data;
        StatsReport { timestamp, stats }
    }
}
