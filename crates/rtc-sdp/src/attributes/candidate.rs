//! `a=candidate` (RFC 8839 §5.1, RFC 6544 §4.5 for TCP) and the `candidate:` strings of
//! `RTCIceCandidateInit` (RFC 8829 §3.5.2.1).

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use super::TypedAttribute;
use super::syntax::{is_ice_chars, is_token, is_vchars, number, opt_number, owned};
use crate::AttributeError;

/// The candidate type (RFC 8839 §5.1: `candidate-types = "host" / "srflx" / "prflx" / "relay" /
/// token`).
///
/// Parsing is case-sensitive (browsers write lowercase); an [`CandidateType::Other`] is valid when
/// it is a token that is not one of the four known names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CandidateType<'a> {
    /// `host`.
    Host,
    /// `srflx`: server reflexive.
    ServerReflexive,
    /// `prflx`: peer reflexive.
    PeerReflexive,
    /// `relay`.
    Relay,
    /// Any other token, as written.
    Other(Cow<'a, str>),
}

impl<'a> CandidateType<'a> {
    /// The name as written in SDP.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Host => "host",
            Self::ServerReflexive => "srflx",
            Self::PeerReflexive => "prflx",
            Self::Relay => "relay",
            Self::Other(name) => name,
        }
    }

    fn parse(s: &'a str) -> Result<Self, AttributeError> {
        Ok(match s {
            "host" => Self::Host,
            "srflx" => Self::ServerReflexive,
            "prflx" => Self::PeerReflexive,
            "relay" => Self::Relay,
            "" => return Err(AttributeError::MissingField("candidate type")),
            other if is_token(other) => Self::Other(Cow::Borrowed(other)),
            _ => return Err(AttributeError::InvalidField("candidate type")),
        })
    }

    /// The same type, owning its text.
    pub fn into_owned(self) -> CandidateType<'static> {
        match self {
            Self::Host => CandidateType::Host,
            Self::ServerReflexive => CandidateType::ServerReflexive,
            Self::PeerReflexive => CandidateType::PeerReflexive,
            Self::Relay => CandidateType::Relay,
            Self::Other(name) => CandidateType::Other(owned(name)),
        }
    }
}

impl fmt::Display for CandidateType<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The `tcptype` extension of a TCP candidate (RFC 6544 §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpType {
    /// `active`: opens outgoing connections only.
    Active,
    /// `passive`: accepts incoming connections only.
    Passive,
    /// `so`: simultaneous open.
    So,
}

impl TcpType {
    /// The name as written in SDP.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Passive => "passive",
            Self::So => "so",
        }
    }
}

impl fmt::Display for TcpType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `a=candidate:842163049 1 udp 1677729535 192.0.2.3 61665 typ srflx raddr 10.0.1.1 rport 8998
/// generation 0`: an ICE candidate (RFC 8839 §5.1).
///
/// Everything after `typ <type>` is kept in `extensions`, in the order written, including
/// `raddr` and `rport` (read them with [`Candidate::related_address`] and
/// [`Candidate::related_port`]): that keeps every browser's ordering and unknown extensions
/// lossless.
///
/// Valid when `foundation` is 1 or more ice-chars (letters, digits, `+`, `/`), `component` is in
/// 1..=256, `transport` is a token, `address` is visible ASCII, the extension names are tokens and
/// their values visible ASCII, and `raddr`/`rport` values, if present, are an address and a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate<'a> {
    /// The foundation: equal for candidates of the same type, base and server.
    pub foundation: Cow<'a, str>,
    /// The component: 1 for RTP, 2 for RTCP.
    pub component: u16,
    /// The transport, as written (`udp`, `UDP`, `tcp`, `TCP`).
    pub transport: Cow<'a, str>,
    /// The priority (RFC 8445 §5.1.2).
    pub priority: u32,
    /// The address: an IPv4 or IPv6 address, or a hostname (mDNS `….local`, RFC 8839 §5.1 and
    /// draft-ietf-mmusic-mdns-ice-candidates).
    pub address: Cow<'a, str>,
    /// The port (9 for TCP active candidates, RFC 6544 §4.5).
    pub port: u16,
    /// The candidate type.
    pub kind: CandidateType<'a>,
    /// The pairs after the type, in order: `raddr`, `rport`, `tcptype`, `generation`, `ufrag`,
    /// `network-id`, `network-cost`, and any other.
    pub extensions: Vec<(Cow<'a, str>, Cow<'a, str>)>,
}

impl<'a> Candidate<'a> {
    /// A candidate without extensions.
    pub fn new(
        foundation: impl Into<Cow<'a, str>>,
        component: u16,
        transport: impl Into<Cow<'a, str>>,
        priority: u32,
        address: impl Into<Cow<'a, str>>,
        port: u16,
        kind: CandidateType<'a>,
    ) -> Self {
        Self {
            foundation: foundation.into(),
            component,
            transport: transport.into(),
            priority,
            address: address.into(),
            port,
            kind,
            extensions: Vec::new(),
        }
    }

    /// Parses a candidate as JavaScript carries it in `RTCIceCandidateInit.candidate`
    /// (`candidate:…`, RFC 8829 §3.5.2.1), also accepting `a=candidate:…` and the bare value.
    pub fn parse_init(s: &'a str) -> Result<Self, AttributeError> {
        let value = s
            .strip_prefix("a=candidate:")
            .or_else(|| s.strip_prefix("candidate:"))
            .unwrap_or(s);
        Self::parse(value)
    }

    /// The string for `RTCIceCandidateInit.candidate`: `candidate:` then the value.
    pub fn to_init_string(&self) -> String {
        format!("candidate:{self}")
    }

    /// Whether the transport is UDP (RFC 8839 §5.1: compared case-insensitively).
    pub fn is_udp(&self) -> bool {
        self.transport.eq_ignore_ascii_case("udp")
    }

    /// Whether the transport is TCP (RFC 6544 §4.5).
    pub fn is_tcp(&self) -> bool {
        self.transport.eq_ignore_ascii_case("tcp")
    }

    /// The value of the first extension named `name` (case-sensitive).
    pub fn extension(&self, name: &str) -> Option<&str> {
        self.extensions
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| &**value)
    }

    /// Sets extension `name`: replaces the value of the first one so named, or appends it.
    pub fn set_extension(&mut self, name: impl Into<Cow<'a, str>>, value: impl Into<Cow<'a, str>>) {
        let name = name.into();
        let value = value.into();
        match self.extensions.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.extensions.push((name, value)),
        }
    }

    /// The same candidate with extension `name` set (see [`Candidate::set_extension`]).
    #[must_use]
    pub fn with_extension(
        mut self,
        name: impl Into<Cow<'a, str>>,
        value: impl Into<Cow<'a, str>>,
    ) -> Self {
        self.set_extension(name, value);
        self
    }

    /// Removes every extension named `name`.
    pub fn remove_extension(&mut self, name: &str) {
        self.extensions.retain(|(n, _)| n != name);
    }

    /// Sets the related address and port. New ones go first, in grammar order (RFC 8839 §5.1:
    /// `[SP rel-addr] [SP rel-port] *(SP cand-extension)`); existing ones are replaced in place.
    pub fn set_related(&mut self, address: impl Into<Cow<'a, str>>, port: u16) {
        let port = Cow::Owned(port.to_string());
        let address = address.into();
        let has_rport = self.extension("rport").is_some();
        match self.extensions.iter_mut().find(|(n, _)| n == "raddr") {
            Some(slot) => slot.1 = address,
            None => self.extensions.insert(0, (Cow::Borrowed("raddr"), address)),
        }
        if has_rport {
            self.set_extension("rport", port);
        } else {
            let after_raddr = self
                .extensions
                .iter()
                .position(|(n, _)| n == "raddr")
                .map_or(0, |i| i + 1);
            self.extensions
                .insert(after_raddr, (Cow::Borrowed("rport"), port));
        }
    }

    /// The same candidate with a related address and port (see [`Candidate::set_related`]).
    #[must_use]
    pub fn with_related(mut self, address: impl Into<Cow<'a, str>>, port: u16) -> Self {
        self.set_related(address, port);
        self
    }

    /// `raddr`: the related address of a reflexive or relayed candidate.
    pub fn related_address(&self) -> Option<&str> {
        self.extension("raddr")
    }

    /// `rport`: the related port.
    pub fn related_port(&self) -> Option<u16> {
        self.extension("rport").and_then(opt_number)
    }

    /// `tcptype` (RFC 6544 §4.5).
    pub fn tcptype(&self) -> Option<TcpType> {
        match self.extension("tcptype")? {
            "active" => Some(TcpType::Active),
            "passive" => Some(TcpType::Passive),
            "so" => Some(TcpType::So),
            _ => None,
        }
    }

    /// `generation`: the ICE generation (a libwebrtc extension).
    pub fn generation(&self) -> Option<u32> {
        self.extension("generation").and_then(opt_number)
    }

    /// `ufrag`: the username fragment the candidate belongs to (libwebrtc; RFC 8838 §9 puts it there
    /// to match trickled candidates to ICE generations).
    pub fn ufrag(&self) -> Option<&str> {
        self.extension("ufrag")
    }

    /// `network-id` (libwebrtc).
    pub fn network_id(&self) -> Option<u32> {
        self.extension("network-id").and_then(opt_number)
    }

    /// `network-cost` (libwebrtc).
    pub fn network_cost(&self) -> Option<u32> {
        self.extension("network-cost").and_then(opt_number)
    }

    /// The address as an IP address; `None` for a hostname (e.g. mDNS).
    pub fn ip(&self) -> Option<IpAddr> {
        self.address.parse().ok()
    }

    /// Whether the address is an mDNS hostname (`….local`).
    pub fn is_mdns(&self) -> bool {
        self.address
            .rsplit_once('.')
            .is_some_and(|(host, tld)| !host.is_empty() && tld.eq_ignore_ascii_case("local"))
    }

    /// The same candidate, owning its text.
    pub fn into_owned(self) -> Candidate<'static> {
        Candidate {
            foundation: owned(self.foundation),
            component: self.component,
            transport: owned(self.transport),
            priority: self.priority,
            address: owned(self.address),
            port: self.port,
            kind: self.kind.into_owned(),
            extensions: self
                .extensions
                .into_iter()
                .map(|(n, v)| (owned(n), owned(v)))
                .collect(),
        }
    }
}

impl<'a> TypedAttribute<'a> for Candidate<'a> {
    const NAME: &'static str = "candidate";

    fn parse(value: &'a str) -> Result<Self, AttributeError> {
        // RFC 8839 §5.1: candidate-attribute = "candidate" ":" foundation SP component-id SP
        //     transport SP priority SP connection-address SP port SP cand-type
        //     [SP rel-addr] [SP rel-port] *(SP cand-extension)
        if value.is_empty() {
            return Err(AttributeError::MissingValue);
        }
        let mut fields = value.split(' ');
        let mut next = |field| fields.next().ok_or(AttributeError::MissingField(field));

        // foundation = 1*32ice-char. The length limit is not enforced: some stacks write longer
        // foundations, and nothing depends on it.
        let foundation = next("foundation")?;
        if !is_ice_chars(foundation) {
            return Err(AttributeError::InvalidField("foundation"));
        }
        // component-id = 1*3DIGIT, 1..=256 (RFC 8839 §5.1).
        let component = number(next("component")?, "component")?;
        if !(1..=256).contains(&component) {
            return Err(AttributeError::InvalidField("component"));
        }
        // transport = "UDP" / transport-extension (token).
        let transport = next("transport")?;
        if !is_token(transport) {
            return Err(AttributeError::InvalidField("transport"));
        }
        // priority = 1*10DIGIT, a 32-bit value (RFC 8445 §5.1.2).
        let priority = number(next("priority")?, "priority")?;
        let address = next("connection address")?;
        if !is_vchars(address) {
            return Err(AttributeError::InvalidField("connection address"));
        }
        let port = number(next("port")?, "port")?;
        // cand-type = "typ" SP candidate-types
        if next("candidate type")? != "typ" {
            return Err(AttributeError::InvalidField("candidate type"));
        }
        let kind = CandidateType::parse(next("candidate type")?)?;

        // cand-extension = extension-att-name SP extension-att-value; rel-addr and rel-port have
        // the same shape and are kept among them, in place.
        let mut extensions = Vec::new();
        while let Some(name) = fields.next() {
            if !is_token(name) {
                return Err(AttributeError::InvalidField("extension name"));
            }
            let value = fields
                .next()
                .ok_or(AttributeError::MissingField("extension value"))?;
            if !is_vchars(value) {
                return Err(AttributeError::InvalidField("extension value"));
            }
            // rel-port = "rport" SP port
            if name == "rport" {
                number::<u16>(value, "related port")?;
            }
            extensions.push((Cow::Borrowed(name), Cow::Borrowed(value)));
        }
        Ok(Self {
            foundation: Cow::Borrowed(foundation),
            component,
            transport: Cow::Borrowed(transport),
            priority,
            address: Cow::Borrowed(address),
            port,
            kind,
            extensions,
        })
    }
}

impl fmt::Display for Candidate<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} {} {} {} {} typ {}",
            self.foundation,
            self.component,
            self.transport,
            self.priority,
            self.address,
            self.port,
            self.kind
        )?;
        for (name, value) in &self.extensions {
            write!(f, " {name} {value}")?;
        }
        Ok(())
    }
}
