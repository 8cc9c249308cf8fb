//! Candidates (RFC 8445 §5.1): kinds, priorities, foundations, and their `a=candidate` form
//! (RFC 8839 §5.1) through rtc-sdp.

use std::net::{IpAddr, SocketAddr};

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
    /// The transport address.
    pub address: SocketAddr,
    /// The base (RFC 8445 §5.1.1.1): the local address checks are sent from. For the peer's
    /// candidates, the address itself.
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
    /// A host candidate on `address`; `local_preference` ranks the host's interfaces (65535 for
    /// the only or preferred one, RFC 8445 §5.1.2.1).
    pub fn host(address: SocketAddr, local_preference: u16, component: u16) -> Self {
        Self {
            kind: CandidateKind::Host,
            address,
            base: address,
            related: None,
            priority: candidate_priority(CandidateKind::Host, local_preference, component),
            foundation: foundation(CandidateKind::Host, address.ip(), None),
            component,
            hostname: None,
        }
    }

    /// A server-reflexive candidate: `mapped` as the STUN server `server` saw `base`.
    pub fn server_reflexive(
        mapped: SocketAddr,
        base: SocketAddr,
        server: SocketAddr,
        local_preference: u16,
        component: u16,
    ) -> Self {
        Self {
            kind: CandidateKind::ServerReflexive,
            address: mapped,
            base,
            related: Some(base),
            priority: candidate_priority(
                CandidateKind::ServerReflexive,
                local_preference,
                component,
            ),
            foundation: foundation(CandidateKind::ServerReflexive, base.ip(), Some(server.ip())),
            component,
            hostname: None,
        }
    }

    /// A peer-reflexive candidate at `address` with the priority its check carried.
    pub fn peer_reflexive(
        address: SocketAddr,
        base: SocketAddr,
        priority: u32,
        component: u16,
    ) -> Self {
        Self {
            kind: CandidateKind::PeerReflexive,
            address,
            base,
            related: None,
            priority,
            foundation: foundation(CandidateKind::PeerReflexive, address.ip(), None),
            component,
            hostname: None,
        }
    }

    /// The `a=candidate` form (RFC 8839 §5.1), UDP.
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
            "udp",
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
        c
    }

    /// The peer's candidate from its `a=candidate` form. TCP candidates and host names are
    /// refused with a typed error (the agent's driver resolves mDNS names and calls
    /// [`Candidate::from_sdp_resolved`]).
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
        if !c.is_udp() {
            return Err(CandidateError::UnsupportedTransport(
                c.transport.to_string(),
            ));
        }
        let kind = match c.kind {
            rtc_sdp::attributes::CandidateType::Host => CandidateKind::Host,
            rtc_sdp::attributes::CandidateType::ServerReflexive => CandidateKind::ServerReflexive,
            rtc_sdp::attributes::CandidateType::PeerReflexive => CandidateKind::PeerReflexive,
            rtc_sdp::attributes::CandidateType::Relay => CandidateKind::Relayed,
            rtc_sdp::attributes::CandidateType::Other(ref other) => {
                return Err(CandidateError::UnknownType(other.to_string()));
            }
        };
        if c.port == 0 {
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
    /// Not UDP (ICE-TCP, RFC 6544, is not implemented yet).
    #[error("transport {0} not supported")]
    UnsupportedTransport(String),
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
/// share a foundation. A short stable hash of those (FNV-1a), in decimal.
pub(crate) fn foundation(kind: CandidateKind, base: IpAddr, server: Option<IpAddr>) -> String {
    let mut h: u32 = 0x811c_9dc5;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h ^= u32::from(b);
            h = h.wrapping_mul(0x0100_0193);
        }
    };
    eat(kind.as_str().as_bytes());
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
        let tcp = rtc_sdp::attributes::Candidate::parse_init(
            "candidate:2 1 tcp 1518280447 10.0.0.2 9 typ host tcptype active",
        )
        .unwrap();
        assert!(matches!(
            Candidate::from_sdp(&tcp),
            Err(CandidateError::UnsupportedTransport(_))
        ));
    }
}
