//! Candidates (RFC 8445 §5.1): kinds, transports (UDP, and TCP per RFC 6544), priorities,
//! foundations, and their `a=candidate` form (RFC 8839 §5.1, RFC 6544 §4.5) through rtc-sdp.

use std::net::{IpAddr, SocketAddr};

pub use rtc_sdp::attributes::TcpType;

/// The port an active TCP candidate is signalled with (RFC 6544 §4.5: "the port(s) MUST be set
/// to 9 (i.e., Discard)"); its connections go out from ephemeral ports.
pub const TCP_ACTIVE_PORT: u16 = 9;

/// How a candidate carries packets: UDP datagrams, or RFC 4571 frames on TCP connections
/// (RFC 6544) with the candidate's connection type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// UDP.
    Udp,
    /// TCP: `active` opens connections, `passive` accepts them, `so` does simultaneous open
    /// (RFC 6544 §3).
    Tcp(TcpType),
}

impl Transport {
    /// Whether this is TCP.
    pub const fn is_tcp(self) -> bool {
        matches!(self, Self::Tcp(_))
    }

    /// The TCP connection type, for TCP.
    pub const fn tcp_type(self) -> Option<TcpType> {
        match self {
            Self::Udp => None,
            Self::Tcp(t) => Some(t),
        }
    }

    /// The transport token in `a=candidate` (`udp`, `tcp`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Udp => "udp",
            Self::Tcp(_) => "tcp",
        }
    }

    /// Whether a local candidate on `self` may be paired with a remote one on `remote`:
    /// UDP with UDP; TCP active with passive, passive with active, so with so (RFC 6544 §6.2).
    pub const fn pairs_with(self, remote: Self) -> bool {
        matches!(
            (self, remote),
            (Self::Udp, Self::Udp)
                | (Self::Tcp(TcpType::Active), Self::Tcp(TcpType::Passive))
                | (Self::Tcp(TcpType::Passive), Self::Tcp(TcpType::Active))
                | (Self::Tcp(TcpType::So), Self::Tcp(TcpType::So))
        )
    }

    /// The transport of a peer's address learned from a check on a local candidate on `self`
    /// (RFC 6544 §7.2: a connection accepted on a passive candidate comes from the peer's
    /// active one).
    pub(crate) const fn counterpart(self) -> Self {
        match self {
            Self::Udp => Self::Udp,
            Self::Tcp(TcpType::Active) => Self::Tcp(TcpType::Passive),
            Self::Tcp(TcpType::Passive) => Self::Tcp(TcpType::Active),
            Self::Tcp(TcpType::So) => Self::Tcp(TcpType::So),
        }
    }
}

/// The kind of a candidate (RFC 8445 §5.1.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CandidateKind {
    /// An address of the host.
    Host,
    /// The host's address as a STUN server saw it.
    ServerReflexive,
    /// An address learned from a connectivity check (RFC 8445 §7.2.5.3.1, §7.3.1.3).
    PeerReflexive,
    /// An address on a TURN relay.
    Relayed,
}

impl CandidateKind {
    /// RFC 8445 §5.1.2.2's recommended type preferences: host 126, peer-reflexive 110,
    /// server-reflexive 100, relayed 0.
    pub const fn type_preference(self) -> u32 {
        match self {
            Self::Host => 126,
            Self::PeerReflexive => 110,
            Self::ServerReflexive => 100,
            Self::Relayed => 0,
        }
    }

    /// The type preference of a TCP candidate of this kind. RFC 6544 §4.2 lets the preferred
    /// transport's types rank higher: for RTP "it is RECOMMENDED that UDP candidates are
    /// preferred over TCP candidates", and relayed candidates stay below every other type.
    /// So every TCP type but relayed sits below every UDP type but relayed: host 90,
    /// peer-reflexive 80 (libwebrtc's values), server-reflexive 70, relayed 0.
    pub const fn tcp_type_preference(self) -> u32 {
        match self {
            Self::Host => 90,
            Self::PeerReflexive => 80,
            Self::ServerReflexive => 70,
            Self::Relayed => 0,
        }
    }

    /// The type preference on `transport`: [`CandidateKind::type_preference`] for UDP,
    /// [`CandidateKind::tcp_type_preference`] for TCP.
    pub const fn type_preference_on(self, transport: Transport) -> u32 {
        match transport {
            Transport::Udp => self.type_preference(),
            Transport::Tcp(_) => self.tcp_type_preference(),
        }
    }

    /// The name in `a=candidate` (`host`, `srflx`, `prflx`, `relay`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Host => "host",
            Self::ServerReflexive => "srflx",
            Self::PeerReflexive => "prflx",
            Self::Relayed => "relay",
        }
    }
}

/// RFC 8445 §5.1.2.1: `2^24 * type preference + 2^8 * local preference + (256 - component)`.
pub const fn candidate_priority(kind: CandidateKind, local_preference: u16, component: u16) -> u32 {
    let component = if component == 0 { 1 } else { component };
    let component = if component > 256 { 256 } else { component };
    (kind.type_preference() << 24) + ((local_preference as u32) << 8) + (256 - component as u32)
}

/// RFC 6544 §4.2's local preference of a TCP candidate: `2^13 * direction-pref + other-pref`,
/// direction-pref 6 for active, 4 for passive, 2 for so on host and relayed candidates, and 6
/// for so, 4 for active, 2 for passive on server-reflexive (and NAT-assisted) ones;
/// `other_preference` (at most 8191, larger values are clamped) ranks the host's addresses
/// (8191 for the only one).
pub const fn tcp_local_preference(
    kind: CandidateKind,
    tcp_type: TcpType,
    other_preference: u16,
) -> u16 {
    let direction: u16 = match (kind, tcp_type) {
        (CandidateKind::ServerReflexive, TcpType::So) => 6,
        (CandidateKind::ServerReflexive, TcpType::Active) => 4,
        (CandidateKind::ServerReflexive, TcpType::Passive) => 2,
        (_, TcpType::Active) => 6,
        (_, TcpType::Passive) => 4,
        (_, TcpType::So) => 2,
    };
    let other = if other_preference > 8191 {
        8191
    } else {
        other_preference
    };
    (direction << 13) + other
}

/// The priority of a TCP candidate: RFC 8445 §5.1.2.1's formula with the TCP type preference
/// ([`CandidateKind::tcp_type_preference`]) and RFC 6544 §4.2's local preference
/// ([`tcp_local_preference`]).
pub const fn tcp_candidate_priority(
    kind: CandidateKind,
    tcp_type: TcpType,
    other_preference: u16,
    component: u16,
) -> u32 {
    let component = if component == 0 { 1 } else { component };
    let component = if component > 256 { 256 } else { component };
    (kind.tcp_type_preference() << 24)
        + ((tcp_local_preference(kind, tcp_type, other_preference) as u32) << 8)
        + (256 - component as u32)
}

/// RFC 8445 §6.1.2.3: `2^32 * min(G, D) + 2 * max(G, D) + (G > D ? 1 : 0)`, with G the
/// controlling agent's candidate priority and D the controlled agent's.
pub const fn pair_priority(controlling: u32, controlled: u32) -> u64 {
    let (g, d) = (controlling as u64, controlled as u64);
    let (min, max) = if g < d { (g, d) } else { (d, g) };
    (min << 32) + 2 * max + if g > d { 1 } else { 0 }
}

/// A candidate, ours or the peer's.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Candidate {
    /// Its kind.
    pub kind: CandidateKind,
    /// UDP, or TCP with its connection type (RFC 6544).
    pub transport: Transport,
    /// The transport address. An active TCP candidate's port is 9 ([`TCP_ACTIVE_PORT`],
    /// RFC 6544 §4.5): its connections go out from ephemeral ports.
    pub address: SocketAddr,
    /// The base (RFC 8445 §5.1.1.1): the local address checks are sent from (for TCP, what
    /// identifies the connections: see [`crate::Transmit`]). For the peer's candidates, the
    /// address itself.
    pub base: SocketAddr,
    /// The related address (`raddr`/`rport`) of reflexive and relayed candidates.
    pub related: Option<SocketAddr>,
    /// RFC 8445 §5.1.2 priority.
    pub priority: u32,
    /// RFC 8445 §5.1.1.3 foundation.
    pub foundation: String,
    /// The component (1: RTP or everything with rtcp-mux and BUNDLE).
    pub component: u16,
    /// An mDNS name (`….local`) signalled instead of the address, to keep a host address
    /// private (draft-ietf-mmusic-mdns-ice-candidates); the driver's mDNS responder answers
    /// for it.
    pub hostname: Option<String>,
}

impl Candidate {
    /// A UDP host candidate on `address`; `local_preference` ranks the host's interfaces
    /// (65535 for the only or preferred one, RFC 8445 §5.1.2.1).
    pub fn host(address: SocketAddr, local_preference: u16, component: u16) -> Self {
        Self {
            kind: CandidateKind::Host,
            transport: Transport::Udp,
            address,
            base: address,
            related: None,
            priority: candidate_priority(CandidateKind::Host, local_preference, component),
            foundation: foundation(CandidateKind::Host, Transport::Udp, address.ip(), None),
            component,
            hostname: None,
        }
    }

    /// A TCP host candidate (RFC 6544 §5.1). `passive` (and `so`): `address` is the listening
    /// socket's, where the driver accepts connections. `active`: only `address`'s IP counts,
    /// the candidate gets port 9 (RFC 6544 §4.5) and the driver opens its connections from
    /// that IP and an ephemeral port when the agent sends on them. `other_preference` (at
    /// most 8191) ranks the host's addresses (RFC 6544 §4.2: 8191 for the only one).
    pub fn tcp_host(
        address: SocketAddr,
        tcp_type: TcpType,
        other_preference: u16,
        component: u16,
    ) -> Self {
        let address = match tcp_type {
            TcpType::Active => SocketAddr::new(address.ip(), TCP_ACTIVE_PORT),
            TcpType::Passive | TcpType::So => address,
        };
        let transport = Transport::Tcp(tcp_type);
        Self {
            kind: CandidateKind::Host,
            transport,
            address,
            base: address,
            related: None,
            priority: tcp_candidate_priority(
                CandidateKind::Host,
                tcp_type,
                other_preference,
                component,
            ),
            foundation: foundation(CandidateKind::Host, transport, address.ip(), None),
            component,
            hostname: None,
        }
    }

    /// A server-reflexive UDP candidate: `mapped` as the STUN server `server` saw `base`.
    pub fn server_reflexive(
        mapped: SocketAddr,
        base: SocketAddr,
        server: SocketAddr,
        local_preference: u16,
        component: u16,
    ) -> Self {
        Self {
            kind: CandidateKind::ServerReflexive,
            transport: Transport::Udp,
            address: mapped,
            base,
            related: Some(base),
            priority: candidate_priority(
                CandidateKind::ServerReflexive,
                local_preference,
                component,
            ),
            foundation: foundation(
                CandidateKind::ServerReflexive,
                Transport::Udp,
                base.ip(),
                Some(server.ip()),
            ),
            component,
            hostname: None,
        }
    }

    /// A peer-reflexive candidate at `address` on `transport` with the priority its check
    /// carried (RFC 8445 §7.2.5.3.1, §7.3.1.3).
    pub fn peer_reflexive(
        address: SocketAddr,
        base: SocketAddr,
        priority: u32,
        component: u16,
        transport: Transport,
    ) -> Self {
        Self {
            kind: CandidateKind::PeerReflexive,
            transport,
            address,
            base,
            related: None,
            priority,
            foundation: foundation(CandidateKind::PeerReflexive, transport, base.ip(), None),
            component,
            hostname: None,
        }
    }

    /// The `a=candidate` form (RFC 8839 §5.1; for TCP, RFC 6544 §4.5: transport `tcp` and
    /// `tcptype` after the related address).
    pub fn to_sdp(&self) -> rtc_sdp::attributes::Candidate<'static> {
        let kind = match self.kind {
            CandidateKind::Host => rtc_sdp::attributes::CandidateType::Host,
            CandidateKind::ServerReflexive => rtc_sdp::attributes::CandidateType::ServerReflexive,
            CandidateKind::PeerReflexive => rtc_sdp::attributes::CandidateType::PeerReflexive,
            CandidateKind::Relayed => rtc_sdp::attributes::CandidateType::Relay,
        };
        let mut c = rtc_sdp::attributes::Candidate::new(
            self.foundation.clone(),
            self.component,
            self.transport.as_str(),
            self.priority,
            self.hostname
                .clone()
                .unwrap_or_else(|| self.address.ip().to_string()),
            self.address.port(),
            kind,
        );
        if let Some(related) = self.related {
            c.extensions
                .push(("raddr".into(), related.ip().to_string().into()));
            c.extensions
                .push(("rport".into(), related.port().to_string().into()));
        }
        if let Some(tcp_type) = self.transport.tcp_type() {
            c.extensions
                .push(("tcptype".into(), tcp_type.as_str().into()));
        }
        c
    }

    /// The peer's candidate from its `a=candidate` form: UDP, or TCP with a `tcptype` (RFC
    /// 6544 §4.5). Other transports and host names are refused with a typed error (the
    /// agent's driver resolves mDNS names and calls [`Candidate::from_sdp_resolved`]).
    pub fn from_sdp(c: &rtc_sdp::attributes::Candidate<'_>) -> Result<Self, CandidateError> {
        let ip: IpAddr = c
            .address
            .parse()
            .map_err(|_| CandidateError::Hostname(c.address.to_string()))?;
        Self::from_sdp_resolved(c, ip)
    }

    /// Like [`Candidate::from_sdp`], with the address already resolved (an mDNS `.local`
    /// name, resolved by the driver).
    pub fn from_sdp_resolved(
        c: &rtc_sdp::attributes::Candidate<'_>,
        ip: IpAddr,
    ) -> Result<Self, CandidateError> {
        let transport = if c.is_udp() {
            Transport::Udp
        } else if c.is_tcp() {
            // RFC 6544 §4.5: `tcp-type-ext` is not optional.
            Transport::Tcp(c.tcptype().ok_or(CandidateError::MissingTcpType)?)
        } else {
            return Err(CandidateError::UnsupportedTransport(
                c.transport.to_string(),
            ));
        };
        let kind = match c.kind {
            rtc_sdp::attributes::CandidateType::Host => CandidateKind::Host,
            rtc_sdp::attributes::CandidateType::ServerReflexive => CandidateKind::ServerReflexive,
            rtc_sdp::attributes::CandidateType::PeerReflexive => CandidateKind::PeerReflexive,
            rtc_sdp::attributes::CandidateType::Relay => CandidateKind::Relayed,
            rtc_sdp::attributes::CandidateType::Other(ref other) => {
                return Err(CandidateError::UnknownType(other.to_string()));
            }
        };
        // An active TCP candidate's port is meaningless (RFC 6544 §3: "ignored by the peer");
        // some agents write 0 instead of 9.
        if c.port == 0 && transport != Transport::Tcp(TcpType::Active) {
            return Err(CandidateError::InvalidPort);
        }
        let address = SocketAddr::new(ip, c.port);
        let related = match (c.extension("raddr"), c.extension("rport")) {
            (Some(a), Some(p)) => match (a.parse::<IpAddr>(), p.parse::<u16>()) {
                (Ok(a), Ok(p)) => Some(SocketAddr::new(a, p)),
                _ => None,
            },
            _ => None,
        };
        Ok(Self {
            kind,
            transport,
            address,
            base: address,
            related,
            priority: c.priority,
            foundation: c.foundation.to_string(),
            component: c.component,
            hostname: None,
        })
    }
}

/// Why a peer's candidate cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CandidateError {
    /// Neither UDP nor TCP (`tls`, `ssltcp`, ...).
    #[error("transport {0} not supported")]
    UnsupportedTransport(String),
    /// A TCP candidate without `tcptype` (RFC 6544 §4.5 requires it).
    #[error("TCP candidate without tcptype")]
    MissingTcpType,
    /// A host name (mDNS `.local`): to be resolved by the driver.
    #[error("host name {0} must be resolved first")]
    Hostname(String),
    /// A candidate type this agent does not know.
    #[error("unknown candidate type {0}")]
    UnknownType(String),
    /// Port 0.
    #[error("port 0")]
    InvalidPort,
    /// Not a candidate line (rtc-sdp refused it).
    #[error("malformed candidate")]
    Malformed,
}

/// RFC 8445 §5.1.1.3: candidates of the same kind, from the same base IP and the same server,
/// over the same transport protocol, share a foundation. A short stable hash of those
/// (FNV-1a), in decimal. (UDP leaves the transport out of the hash, so UDP foundations are
/// what they were before TCP candidates existed.)
pub(crate) fn foundation(
    kind: CandidateKind,
    transport: Transport,
    base: IpAddr,
    server: Option<IpAddr>,
) -> String {
    let mut h: u32 = 0x811c_9dc5;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
    };
    eat(kind.as_str().as_bytes());
    if transport.is_tcp() {
        eat(b"tcp");
    }
    match base {
        IpAddr::V4(a) => eat(&a.octets()),
        IpAddr::V6(a) => eat(&a.octets()),
    }
    match server {
        Some(IpAddr::V4(a)) => eat(&a.octets()),
        Some(IpAddr::V6(a)) => eat(&a.octets()),
        None => {}
    }
    h.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priorities_follow_rfc_8445() {
        // Host, local preference 65535, component 1: 126 << 24 | 65535 << 8 | 255.
        assert_eq!(
            candidate_priority(CandidateKind::Host, 65535, 1),
            2_130_706_431
        );
        assert_eq!(candidate_priority(CandidateKind::Relayed, 0, 1), 255);
        assert!(
            candidate_priority(CandidateKind::PeerReflexive, 65535, 1)
                > candidate_priority(CandidateKind::ServerReflexive, 65535, 1)
        );
        assert_eq!(pair_priority(1, 2), (1 << 32) + 4);
        assert_eq!(pair_priority(2, 1), (1 << 32) + 4 + 1);
    }

    #[test]
    fn sdp_round_trip() {
        let host = Candidate::host("192.0.2.1:5000".parse().unwrap(), 65535, 1);
        let srflx = Candidate::server_reflexive(
            "198.51.100.7:40000".parse().unwrap(),
            "192.0.2.1:5000".parse().unwrap(),
            "203.0.113.1:3478".parse().unwrap(),
            65535,
            1,
        );
        for c in [host, srflx] {
            let text = c.to_sdp().to_init_string();
            let parsed = rtc_sdp::attributes::Candidate::parse_init(&text).unwrap();
            let back = Candidate::from_sdp(&parsed).unwrap();
            assert_eq!(back.address, c.address);
            assert_eq!(back.priority, c.priority);
            assert_eq!(back.foundation, c.foundation);
            assert_eq!(back.kind, c.kind);
            assert_eq!(back.related, c.related);
        }
        let mdns = rtc_sdp::attributes::Candidate::parse_init(
            "candidate:1 1 udp 2122260223 2f0f6e3c-1b7e-4a33-9c3a-62b1b3b7c2a1.local 52000 typ host",
        )
        .unwrap();
        assert!(matches!(
            Candidate::from_sdp(&mdns),
            Err(CandidateError::Hostname(_))
        ));
        let ok = Candidate::from_sdp_resolved(&mdns, "10.0.0.2".parse().unwrap()).unwrap();
        assert_eq!(ok.address, "10.0.0.2:52000".parse().unwrap());
    }

    #[test]
    fn tcp_priorities_follow_rfc_6544_and_stay_below_udp() {
        // RFC 6544 §4.2: 2^13 * direction-pref + other-pref.
        assert_eq!(
            tcp_local_preference(CandidateKind::Host, TcpType::Active, 8191),
            6 * 8192 + 8191
        );
        assert_eq!(
            tcp_local_preference(CandidateKind::Host, TcpType::Passive, 8191),
            4 * 8192 + 8191
        );
        assert_eq!(
            tcp_local_preference(CandidateKind::Host, TcpType::So, 9000),
            2 * 8192 + 8191
        );
        assert_eq!(
            tcp_local_preference(CandidateKind::ServerReflexive, TcpType::So, 0),
            6 * 8192
        );
        let active = tcp_candidate_priority(CandidateKind::Host, TcpType::Active, 8191, 1);
        assert_eq!(active, (90 << 24) + ((6 * 8192 + 8191) << 8) + 255);
        assert!(active > tcp_candidate_priority(CandidateKind::Host, TcpType::Passive, 8191, 1));
        // Every UDP type but relayed ranks above every TCP one.
        for kind in [
            CandidateKind::Host,
            CandidateKind::PeerReflexive,
            CandidateKind::ServerReflexive,
        ] {
            assert!(candidate_priority(kind, 0, 1) > active, "{kind:?}");
        }
        assert!(candidate_priority(CandidateKind::Relayed, 65535, 1) < active);
    }

    #[test]
    fn tcp_pairing_rules() {
        use Transport::{Tcp, Udp};
        assert!(Udp.pairs_with(Udp));
        assert!(Tcp(TcpType::Active).pairs_with(Tcp(TcpType::Passive)));
        assert!(Tcp(TcpType::Passive).pairs_with(Tcp(TcpType::Active)));
        assert!(Tcp(TcpType::So).pairs_with(Tcp(TcpType::So)));
        assert!(!Tcp(TcpType::Active).pairs_with(Tcp(TcpType::Active)));
        assert!(!Tcp(TcpType::Passive).pairs_with(Tcp(TcpType::So)));
        assert!(!Udp.pairs_with(Tcp(TcpType::Passive)));
        assert!(!Tcp(TcpType::Active).pairs_with(Udp));
    }

    #[test]
    fn tcp_sdp_round_trip() {
        let active =
            Candidate::tcp_host("192.0.2.1:5000".parse().unwrap(), TcpType::Active, 8191, 1);
        assert_eq!(active.address.port(), TCP_ACTIVE_PORT);
        let passive =
            Candidate::tcp_host("192.0.2.1:5001".parse().unwrap(), TcpType::Passive, 8191, 1);
        let udp = Candidate::host("192.0.2.1:5000".parse().unwrap(), 65535, 1);
        // RFC 8445 §5.1.1.3: the transport is part of the foundation.
        assert_ne!(active.foundation, udp.foundation);
        assert_eq!(active.foundation, passive.foundation);
        let text = active.to_sdp().to_init_string();
        assert!(
            text.ends_with(" 192.0.2.1 9 typ host tcptype active"),
            "{text}"
        );
        assert!(text.contains(" tcp "), "{text}");
        for c in [active, passive] {
            let text = c.to_sdp().to_init_string();
            let parsed = rtc_sdp::attributes::Candidate::parse_init(&text).unwrap();
            let back = Candidate::from_sdp(&parsed).unwrap();
            assert_eq!(back.transport, c.transport);
            assert_eq!(back.address, c.address);
            assert_eq!(back.priority, c.priority);
            assert_eq!(back.foundation, c.foundation);
        }
        // What browsers send: uppercase transport, and active with port 9 or 0.
        for line in [
            "candidate:2 1 TCP 1518280447 10.0.0.2 9 typ host tcptype active",
            "candidate:2 1 tcp 1518280447 10.0.0.2 0 typ host tcptype active generation 0",
        ] {
            let tcp = rtc_sdp::attributes::Candidate::parse_init(line).unwrap();
            let c = Candidate::from_sdp(&tcp).unwrap();
            assert_eq!(c.transport, Transport::Tcp(TcpType::Active), "{line}");
        }
        let srflx = rtc_sdp::attributes::Candidate::parse_init(
            "candidate:3 1 tcp 1518280447 198.51.100.2 40000 typ srflx raddr 10.0.0.2 rport 50000 tcptype so",
        )
        .unwrap();
        let c = Candidate::from_sdp(&srflx).unwrap();
        assert_eq!(c.transport, Transport::Tcp(TcpType::So));
        assert_eq!(c.related, Some("10.0.0.2:50000".parse().unwrap()));
        let back = c.to_sdp().to_init_string();
        assert!(
            back.ends_with("raddr 10.0.0.2 rport 50000 tcptype so"),
            "{back}"
        );
        // Refused: no tcptype, passive with port 0, other transports.
        for (line, want) in [
            (
                "candidate:2 1 tcp 1518280447 10.0.0.2 9 typ host",
                CandidateError::MissingTcpType,
            ),
            (
                "candidate:2 1 tcp 1518280447 10.0.0.2 9 typ host tcptype sideways",
                CandidateError::MissingTcpType,
            ),
            (
                "candidate:2 1 tcp 1518280447 10.0.0.2 0 typ host tcptype passive",
                CandidateError::InvalidPort,
            ),
            (
                "candidate:2 1 tls 1518280447 10.0.0.2 443 typ relay",
                CandidateError::UnsupportedTransport("tls".into()),
            ),
        ] {
            let parsed = rtc_sdp::attributes::Candidate::parse_init(line).unwrap();
            assert_eq!(Candidate::from_sdp(&parsed), Err(want), "{line}");
        }
    }
}
