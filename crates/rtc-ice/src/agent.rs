//! The ICE agent (RFC 8445), sans-IO: candidates in, connectivity checks out through
//! [`Agent::poll_transmit`], a selected pair out through [`Agent::poll_event`].

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtc_crypto::CryptoProvider;
use rtc_stun::{
    Attribute, Class, ErrorCode, IntegrityKey, Message, MessageBuilder, Method, TransactionId,
};

use rtc_turn::TurnClient;
use rtc_turn::client::{ClientConfig as TurnClientConfig, ClientEvent as TurnEvent};

use crate::candidate::{Candidate, CandidateKind, candidate_priority, pair_priority};

/// A username fragment and password (RFC 8445 §5.3, `a=ice-ufrag` / `a=ice-pwd`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The username fragment.
    pub ufrag: String,
    /// The password.
    pub pwd: String,
}

impl Credentials {
    /// Random credentials from `provider`: 8 and 24 characters of the ICE alphabet (RFC 8839
    /// §5.4 asks for at least 4 and 22).
    pub fn random(provider: &CryptoProvider) -> Self {
        const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        let mut bytes = [0u8; 32];
        let _ = (provider.fill_random)(&mut bytes);
        let text: String = bytes
            .iter()
            .map(|b| char::from(ALPHABET[usize::from(b & 63)]))
            .collect();
        Self {
            ufrag: text[..8].to_owned(),
            pwd: text[8..].to_owned(),
        }
    }
}

/// How the agent behaves.
#[derive(Debug, Clone)]
pub struct Config {
    /// Start as the controlling agent (the offerer, RFC 8445 §6.1.1); a role conflict may
    /// change it.
    pub controlling: bool,
    /// Ta: one new check per this interval (RFC 8445 §14.2: 50 ms).
    pub ta: Duration,
    /// First retransmission time of a check; doubled each time (RFC 8489 §6.2.1 with ICE's
    /// RTO of RFC 8445 §14.3).
    pub check_rto: Duration,
    /// Transmissions of a check before its pair fails (Rc, RFC 8489 §6.2.1: 7).
    pub check_attempts: u32,
    /// The controlling agent nominates this long after its first valid pair, or at once when
    /// every pair is done (regular nomination, RFC 8445 §8.1.1).
    pub nomination_delay: Duration,
    /// Consent checks on the selected pair (RFC 7675 §5.1: about every 5 s).
    pub consent_interval: Duration,
    /// Consent expires without a response for this long (RFC 7675 §5.1: 30 s).
    pub consent_timeout: Duration,
    /// TURN servers (UDP) to allocate relayed candidates on (RFC 8445 §5.1.1.2, RFC 8656): an
    /// allocation from every host candidate's base on each server of its address family.
    pub turn_servers: Vec<TurnServer>,
    /// Hide host addresses behind random mDNS names (`<uuid>.local`) in the candidates we
    /// signal ([`Event::RegisterHostname`] tells the driver what its mDNS responder must
    /// answer), as browsers do.
    pub mdns_hostnames: bool,
    /// ICE lite (RFC 8445 §2.5): only host candidates, no checks of our own, always
    /// controlled; a pair is selected when the full peer nominates it. For servers with a
    /// public address.
    pub lite: bool,
    /// STUN servers to learn server-reflexive candidates from (RFC 8445 §5.1.1.2): a Binding
    /// request from every host candidate's base to each server of its address family.
    pub stun_servers: Vec<SocketAddr>,
    /// Tie breaker and transaction ids come from here.
    pub provider: &'static CryptoProvider,
}

impl Config {
    /// RFC values with the default crypto provider.
    pub fn new(controlling: bool) -> Self {
        Self {
            controlling,
            ta: Duration::from_millis(50),
            check_rto: Duration::from_millis(250),
            check_attempts: 7,
            nomination_delay: Duration::from_millis(200),
            consent_interval: Duration::from_secs(5),
            consent_timeout: Duration::from_secs(30),
            stun_servers: Vec::new(),
            lite: false,
            mdns_hostnames: false,
            turn_servers: Vec::new(),
            provider: rtc_crypto::default_provider(),
        }
    }

    /// An ICE lite agent (RFC 8445 §2.5): controlled, answering checks only.
    pub fn lite() -> Self {
        Self {
            lite: true,
            ..Self::new(false)
        }
    }
}

/// A TURN server and the long-term credentials to use on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnServer {
    /// Its address (UDP).
    pub address: SocketAddr,
    /// Username.
    pub username: String,
    /// Password.
    pub password: String,
}

/// The agent's connection state (a subset of W3C `RTCIceTransportState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IceState {
    /// Waiting for the peer's credentials and candidates.
    New,
    /// Checking pairs.
    Checking,
    /// A pair is selected.
    Connected,
    /// Every pair failed and the peer said it has no more candidates, or consent expired.
    Failed,
}

/// Something the driver should know.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The state changed.
    StateChanged(IceState),
    /// Media goes from `local` (a local base: the socket) to `remote`.
    SelectedPair {
        /// Our base address.
        local: SocketAddr,
        /// The peer's address.
        remote: SocketAddr,
    },
    /// A candidate gathered (server-reflexive): signal it to the peer (trickle, RFC 8838).
    LocalCandidate(Candidate),
    /// Every gathering transaction has finished: signal end-of-candidates.
    GatheringComplete,
    /// A host candidate got an mDNS name ([`Config::mdns_hostnames`]): the driver's mDNS
    /// responder must answer for `name` with `address`.
    RegisterHostname {
        /// The `….local` name.
        name: String,
        /// The address it stands for.
        address: std::net::IpAddr,
    },
    /// The peer signalled a candidate with an mDNS host name (`….local`): resolve it (the
    /// driver does the multicast DNS) and call [`Agent::resolved`] with the address.
    ResolveHostname(String),
    /// A role conflict (RFC 8445 §7.3.1.1) changed our role.
    RoleChanged {
        /// Whether we are now controlling.
        controlling: bool,
    },
}

/// A datagram to send from the local socket `source` to `destination`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The local socket (a candidate's base).
    pub source: SocketAddr,
    /// Where to.
    pub destination: SocketAddr,
    /// The STUN message.
    pub contents: Vec<u8>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PairState {
    /// Waits for a pair of the same foundation to succeed (RFC 8445 §6.1.2.6).
    Frozen,
    Waiting,
    InProgress,
    Succeeded,
    Failed,
}

#[derive(Debug)]
struct Pair {
    local: usize,
    remote: usize,
    priority: u64,
    state: PairState,
    /// A check of ours on this pair carried USE-CANDIDATE and succeeded, or the peer's did.
    nominated: bool,
    /// The peer sent USE-CANDIDATE on this pair (controlled side).
    peer_nominated: bool,
    /// The check in flight: its id, whether it nominates, transmissions, next retransmission.
    tid: Option<TransactionId>,
    nominating: bool,
    /// The role the check in flight claimed (for a 487 answer, RFC 8445 §7.2.5.1).
    sent_controlling: bool,
    attempts: u32,
    retransmit_at: Option<Instant>,
}

/// One ICE agent for one component (with BUNDLE and rtcp-mux, the only one).
pub struct Agent {
    config: Config,
    controlling: bool,
    tie_breaker: u64,
    local: Credentials,
    local_key: IntegrityKey,
    remote: Option<(Credentials, IntegrityKey)>,
    local_candidates: Vec<Candidate>,
    remote_candidates: Vec<Candidate>,
    remote_end_of_candidates: bool,
    pairs: Vec<Pair>,
    triggered: VecDeque<usize>,
    transactions: HashMap<TransactionId, usize>,
    next_check: Option<Instant>,
    first_valid: Option<Instant>,
    selected: Option<usize>,
    consent_at: Option<Instant>,
    last_consent: Option<Instant>,
    state: IceState,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    /// STUN messages dropped: malformed, wrong credentials, unknown transaction.
    dropped: u64,
    /// Gathering transactions: id → (base, server, transmissions, next retransmission).
    gathering: HashMap<TransactionId, Gather>,
    gathering_started: bool,
    /// TURN allocations: the host base they are made from, the client, and the relayed
    /// address once allocated.
    relays: Vec<Relay>,
    /// Application data that came through a relay: (peer, bytes).
    relayed_data: VecDeque<(SocketAddr, Vec<u8>)>,
    /// The peer's candidates waiting for their host name to be resolved.
    unresolved: Vec<(String, rtc_sdp::attributes::Candidate<'static>)>,
}

struct Relay {
    base: SocketAddr,
    component: u16,
    client: TurnClient,
    relayed: Option<SocketAddr>,
    /// Still gathering (allocation neither done nor failed).
    pending: bool,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("base", &self.base)
            .field("server", &self.client.server())
            .field("relayed", &self.relayed)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy)]
struct Gather {
    base: SocketAddr,
    server: SocketAddr,
    component: u16,
    attempts: u32,
    retransmit_at: Instant,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("controlling", &self.controlling)
            .field("state", &self.state)
            .field("local_candidates", &self.local_candidates.len())
            .field("remote_candidates", &self.remote_candidates.len())
            .field("pairs", &self.pairs.len())
            .field("selected", &self.selected_pair())
            .finish_non_exhaustive()
    }
}

impl Agent {
    /// A new agent with our credentials.
    pub fn new(config: Config, local: Credentials) -> Self {
        let mut tb = [0u8; 8];
        let _ = (config.provider.fill_random)(&mut tb);
        let local_key = IntegrityKey::short_term(&local.pwd);
        Self {
            controlling: config.controlling && !config.lite,
            tie_breaker: u64::from_be_bytes(tb),
            local,
            local_key,
            remote: None,
            local_candidates: Vec::new(),
            remote_candidates: Vec::new(),
            remote_end_of_candidates: false,
            pairs: Vec::new(),
            triggered: VecDeque::new(),
            transactions: HashMap::new(),
            next_check: None,
            first_valid: None,
            selected: None,
            consent_at: None,
            last_consent: None,
            state: IceState::New,
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            dropped: 0,
            gathering: HashMap::new(),
            gathering_started: false,
            relays: Vec::new(),
            relayed_data: VecDeque::new(),
            unresolved: Vec::new(),
            config,
        }
    }

    /// Our credentials.
    pub fn local_credentials(&self) -> &Credentials {
        &self.local
    }

    /// Whether we are controlling.
    pub fn is_controlling(&self) -> bool {
        self.controlling
    }

    /// The state.
    pub fn state(&self) -> IceState {
        self.state
    }

    /// STUN messages dropped so far (malformed, unauthenticated, unknown transactions).
    pub fn dropped(&self) -> u64 {
        self.dropped
    }

    /// The selected pair: (our base, the peer's address).
    pub fn selected_pair(&self) -> Option<(SocketAddr, SocketAddr)> {
        self.selected.map(|i| {
            let p = &self.pairs[i];
            (
                self.local_candidates[p.local].base,
                self.remote_candidates[p.remote].address,
            )
        })
    }

    /// The candidates of the selected pair: (ours, the peer's). Ours is the one the pair was
    /// formed with: a host candidate stands for the server-reflexive ones of its base (RFC
    /// 8445 §6.1.2.4), so look at the peer's view (its remote candidate) to learn the mapping.
    pub fn selected_candidates(&self) -> Option<(&Candidate, &Candidate)> {
        self.selected.map(|i| {
            let p = &self.pairs[i];
            (
                &self.local_candidates[p.local],
                &self.remote_candidates[p.remote],
            )
        })
    }

    /// Our candidates so far (to signal to the peer).
    pub fn local_candidates(&self) -> &[Candidate] {
        &self.local_candidates
    }

    /// The peer's credentials (from its SDP).
    pub fn set_remote_credentials(&mut self, now: Instant, remote: Credentials) {
        let key = IntegrityKey::short_term(&remote.pwd);
        self.remote = Some((remote, key));
        self.start(now);
    }

    /// Adds a local candidate (host addresses come from the driver; reflexive and relayed
    /// ones from gathering) and pairs it with the peer's.
    pub fn add_local_candidate(&mut self, now: Instant, candidate: Candidate) {
        if self
            .local_candidates
            .iter()
            .any(|c| c.address == candidate.address && c.base == candidate.base)
        {
            return;
        }
        let (kind, base, component) = (candidate.kind, candidate.base, candidate.component);
        let mut candidate = candidate;
        if kind == CandidateKind::Host && self.config.mdns_hostnames && candidate.hostname.is_none()
        {
            // One name per address (RFC-style UUID v4 from the provider's random).
            let existing = self
                .local_candidates
                .iter()
                .find(|c| c.address.ip() == base.ip())
                .and_then(|c| c.hostname.clone());
            let name = existing.unwrap_or_else(|| {
                let mut b = [0u8; 16];
                let _ = (self.config.provider.fill_random)(&mut b);
                b[6] = (b[6] & 0x0f) | 0x40;
                b[8] = (b[8] & 0x3f) | 0x80;
                let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
                let name = format!(
                    "{}-{}-{}-{}-{}.local",
                    &h[..8],
                    &h[8..12],
                    &h[12..16],
                    &h[16..20],
                    &h[20..]
                );
                self.events.push_back(Event::RegisterHostname {
                    name: name.clone(),
                    address: base.ip(),
                });
                name
            });
            candidate.hostname = Some(name);
        }
        self.local_candidates.push(candidate);
        let l = self.local_candidates.len() - 1;
        for r in 0..self.remote_candidates.len() {
            self.add_pair(l, r);
        }
        if kind == CandidateKind::Host {
            let servers: Vec<SocketAddr> = self
                .config
                .stun_servers
                .iter()
                .copied()
                .filter(|s| s.is_ipv4() == base.is_ipv4())
                .collect();
            let turns: Vec<TurnServer> = self
                .config
                .turn_servers
                .iter()
                .filter(|t| t.address.is_ipv4() == base.is_ipv4())
                .cloned()
                .collect();
            for turn in turns {
                let mut seed = [0u8; 32];
                let _ = (self.config.provider.fill_random)(&mut seed);
                let mut client = TurnClient::new(
                    turn.address,
                    rtc_turn::Transport::Udp,
                    turn.username,
                    turn.password,
                    TurnClientConfig::default(),
                    seed,
                );
                if client.allocate(now).is_ok() {
                    self.gathering_started = true;
                    self.relays.push(Relay {
                        base,
                        component,
                        client,
                        relayed: None,
                        pending: true,
                    });
                    let r = self.relays.len() - 1;
                    self.flush_relay(r);
                }
            }
            for server in servers {
                self.gathering_started = true;
                let tid = self.new_tid();
                let g = Gather {
                    base,
                    server,
                    component,
                    attempts: 0,
                    retransmit_at: now,
                };
                self.gathering.insert(tid, g);
                self.send_gather(now, tid);
            }
        }
        self.start(now);
    }

    fn new_tid(&self) -> TransactionId {
        let mut b = [0u8; 12];
        let _ = (self.config.provider.fill_random)(&mut b);
        TransactionId::new(b)
    }

    /// A Binding request to a STUN server, or its retransmission (RFC 8489 §6.2.1).
    fn send_gather(&mut self, now: Instant, tid: TransactionId) {
        let Some(g) = self.gathering.get_mut(&tid) else {
            return;
        };
        g.attempts += 1;
        let backoff = self.config.check_rto * 2u32.saturating_pow(g.attempts.min(8) - 1);
        g.retransmit_at = now + backoff.min(Duration::from_secs(8));
        let mut buf = [0u8; 64];
        let Ok(mut m) = MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, tid) else {
            return;
        };
        if m.add_fingerprint().is_err() {
            return;
        }
        self.transmits.push_back(Transmit {
            source: g.base,
            destination: g.server,
            contents: m.finish().to_vec(),
        });
    }

    fn finish_gather(&mut self, tid: TransactionId) {
        self.gathering.remove(&tid);
        self.maybe_gathering_complete();
    }

    fn maybe_gathering_complete(&mut self) {
        if self.gathering.is_empty()
            && self.relays.iter().all(|r| !r.pending)
            && self.gathering_started
        {
            self.gathering_started = false;
            self.events.push_back(Event::GatheringComplete);
        }
    }

    /// Sends what relay `r`'s TURN client has queued, from its base to its server.
    fn flush_relay(&mut self, r: usize) {
        let relay = &mut self.relays[r];
        while let Some(t) = relay.client.poll_transmit() {
            self.transmits.push_back(Transmit {
                source: relay.base,
                destination: t.destination,
                contents: t.contents.to_vec(),
            });
        }
    }

    /// Handles relay `r`'s events: an allocation becomes a relayed candidate (and its mapped
    /// address a server-reflexive one), permissions let checks go.
    fn relay_events(&mut self, now: Instant, r: usize) {
        while let Some(e) = self.relays[r].client.poll_event() {
            match e {
                TurnEvent::Allocated {
                    relayed, mapped, ..
                } => {
                    let (base, component, server) = (
                        self.relays[r].base,
                        self.relays[r].component,
                        self.relays[r].client.server(),
                    );
                    self.relays[r].relayed = Some(relayed);
                    self.relays[r].pending = false;
                    let c = Candidate {
                        kind: CandidateKind::Relayed,
                        address: relayed,
                        base: relayed,
                        related: mapped,
                        priority: candidate_priority(CandidateKind::Relayed, 65535, component),
                        foundation: crate::candidate::foundation(
                            CandidateKind::Relayed,
                            base.ip(),
                            Some(server.ip()),
                        ),
                        component,
                        hostname: None,
                    };
                    self.events.push_back(Event::LocalCandidate(c.clone()));
                    self.add_local_candidate(now, c);
                    // Permissions for the peer's candidates known so far.
                    let peers: Vec<std::net::IpAddr> = self
                        .remote_candidates
                        .iter()
                        .map(|c| c.address.ip())
                        .collect();
                    for ip in peers {
                        let _ = self.relays[r].client.create_permission(now, ip);
                    }
                    self.maybe_gathering_complete();
                }
                TurnEvent::AllocationFailed(_) => {
                    self.relays[r].pending = false;
                    self.maybe_gathering_complete();
                }
                // Checks waiting for the permission go at the next Ta.
                TurnEvent::PermissionCreated(_)
                    if self.next_check.is_none() && self.state == IceState::Checking =>
                {
                    self.next_check = Some(now);
                }
                _ => {}
            }
        }
        self.flush_relay(r);
    }

    /// Queues a datagram from local address `source`: directly, or through the TURN relay
    /// when `source` is a relayed address (a Send indication or ChannelData to the server).
    /// False when the relay cannot send to `destination` yet (no permission).
    fn emit(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        contents: Vec<u8>,
    ) -> bool {
        let Some(r) = self.relays.iter().position(|r| r.relayed == Some(source)) else {
            self.transmits.push_back(Transmit {
                source,
                destination,
                contents,
            });
            return true;
        };
        let relay = &mut self.relays[r];
        if !relay.client.has_permission(destination.ip()) {
            let _ = relay.client.create_permission(now, destination.ip());
            self.flush_relay(r);
            return false;
        }
        let mut out = vec![0u8; contents.len() + 64];
        match relay.client.send_to(now, destination, &contents, &mut out) {
            Ok(n) => {
                out.truncate(n);
                let (base, server) = (relay.base, relay.client.server());
                self.transmits.push_back(Transmit {
                    source: base,
                    destination: server,
                    contents: out,
                });
                true
            }
            Err(_) => false,
        }
    }

    fn on_gather_response(&mut self, now: Instant, local: SocketAddr, m: &Message<'_>) {
        let tid = m.transaction_id();
        let Some(g) = self.gathering.get(&tid).copied() else {
            return;
        };
        if local != g.base {
            self.dropped += 1;
            return;
        }
        self.finish_gather(tid);
        if m.class() != Class::Success {
            return;
        }
        let Some(mapped) = m.xor_mapped_address().or_else(|| m.mapped_address()) else {
            return;
        };
        if mapped == g.base {
            return; // no NAT: the host candidate already covers it
        }
        let c = Candidate::server_reflexive(mapped, g.base, g.server, 65535, g.component);
        if !self.local_candidates.iter().any(|x| x.address == c.address) {
            self.events.push_back(Event::LocalCandidate(c.clone()));
            self.add_local_candidate(now, c);
        }
    }

    /// Adds a candidate of the peer's (from its SDP or trickled, RFC 8838).
    pub fn add_remote_candidate(&mut self, now: Instant, candidate: Candidate) {
        if let Some(existing) = self
            .remote_candidates
            .iter_mut()
            .find(|c| c.address == candidate.address)
        {
            // A peer-reflexive candidate learned first keeps its pairs; the signalled one
            // gives its kind and priority (RFC 8445 §7.3.1.3 note).
            if existing.kind == CandidateKind::PeerReflexive {
                *existing = candidate;
            }
            return;
        }
        let ip = candidate.address.ip();
        self.remote_candidates.push(candidate);
        let r = self.remote_candidates.len() - 1;
        for l in 0..self.local_candidates.len() {
            self.add_pair(l, r);
        }
        for k in 0..self.relays.len() {
            if self.relays[k].relayed.is_some() && !self.relays[k].client.has_permission(ip) {
                let _ = self.relays[k].client.create_permission(now, ip);
                self.flush_relay(k);
            }
        }
        self.start(now);
    }

    /// A candidate of the peer's as signalled (`candidate:…`, RFC 8839 §5.1). One with an
    /// mDNS `.local` name waits for [`Agent::resolved`] ([`Event::ResolveHostname`]).
    pub fn add_remote_candidate_sdp(
        &mut self,
        now: Instant,
        line: &str,
    ) -> Result<(), crate::CandidateError> {
        let line = line.strip_prefix("a=").unwrap_or(line);
        let parsed = rtc_sdp::attributes::Candidate::parse_init(line)
            .map_err(|_| crate::CandidateError::Malformed)?;
        match Candidate::from_sdp(&parsed) {
            Ok(c) => {
                self.add_remote_candidate(now, c);
                Ok(())
            }
            Err(crate::CandidateError::Hostname(name))
                if name.ends_with(".local") && parsed.is_udp() =>
            {
                if self.unresolved.len() < 64 {
                    self.unresolved.push((name.clone(), parsed.into_owned()));
                    self.events.push_back(Event::ResolveHostname(name));
                }
                Ok(())
            }
            Err(e) => Err(e),
        }
    }

    /// The driver resolved `name` (from [`Event::ResolveHostname`]) to `ip`: the candidates
    /// waiting for it are added.
    pub fn resolved(&mut self, now: Instant, name: &str, ip: std::net::IpAddr) {
        let waiting: Vec<_> = self
            .unresolved
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, c)| c.clone())
            .collect();
        self.unresolved.retain(|(n, _)| n != name);
        for c in waiting {
            if let Ok(c) = Candidate::from_sdp_resolved(&c, ip) {
                self.add_remote_candidate(now, c);
            }
        }
    }

    /// The peer signalled end-of-candidates (RFC 8838 §4): failure may now be declared.
    pub fn set_remote_end_of_candidates(&mut self) {
        self.remote_end_of_candidates = true;
        self.check_failed();
    }

    fn add_pair(&mut self, l: usize, r: usize) -> Option<usize> {
        let (local, remote) = (&self.local_candidates[l], &self.remote_candidates[r]);
        if local.component != remote.component
            || local.address.is_ipv4() != remote.address.is_ipv4()
        {
            return None;
        }
        // RFC 8445 §6.1.2.4 pruning: a reflexive local candidate is replaced by its base, so
        // a pair with the same base and remote already covers it.
        let base = local.base;
        if let Some(i) = self
            .pairs
            .iter()
            .position(|p| p.remote == r && self.local_candidates[p.local].base == base)
        {
            return Some(i);
        }
        let priority = self.pair_priority(l, r);
        // §6.1.2.6: one pair per foundation starts waiting, the others frozen until it
        // succeeds.
        let key = self.foundation_key(l, r);
        let state = if self.pairs.iter().any(|p| {
            matches!(p.state, PairState::Waiting | PairState::InProgress)
                && self.foundation_key(p.local, p.remote) == key
        }) {
            PairState::Frozen
        } else {
            PairState::Waiting
        };
        self.pairs.push(Pair {
            local: l,
            remote: r,
            priority,
            state,
            nominated: false,
            peer_nominated: false,
            tid: None,
            nominating: false,
            sent_controlling: false,
            attempts: 0,
            retransmit_at: None,
        });
        Some(self.pairs.len() - 1)
    }

    fn foundation_key(&self, l: usize, r: usize) -> (&str, &str) {
        (
            &self.local_candidates[l].foundation,
            &self.remote_candidates[r].foundation,
        )
    }

    fn pair_priority(&self, l: usize, r: usize) -> u64 {
        let (ours, theirs) = (
            self.local_candidates[l].priority,
            self.remote_candidates[r].priority,
        );
        if self.controlling {
            pair_priority(ours, theirs)
        } else {
            pair_priority(theirs, ours)
        }
    }

    fn start(&mut self, now: Instant) {
        if self.state == IceState::New && self.remote.is_some() && !self.pairs.is_empty() {
            self.set_state(IceState::Checking);
        }
        if self.state == IceState::Checking && self.next_check.is_none() && !self.config.lite {
            self.next_check = Some(now);
        }
    }

    fn set_state(&mut self, state: IceState) {
        if self.state != state {
            self.state = state;
            self.events.push_back(Event::StateChanged(state));
        }
    }

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Agent::handle_timeout`] is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let retransmits = self
            .pairs
            .iter()
            .filter_map(|p| p.retransmit_at)
            .chain(self.gathering.values().map(|g| g.retransmit_at))
            .chain(self.relays.iter().filter_map(|r| r.client.poll_timeout()))
            .min();
        let nominate = match (self.controlling, self.first_valid, self.nominated()) {
            (true, Some(t), false) => Some(t + self.config.nomination_delay),
            _ => None,
        };
        [self.next_check, retransmits, nominate, self.consent_at]
            .into_iter()
            .flatten()
            .min()
    }

    fn nominated(&self) -> bool {
        self.pairs.iter().any(|p| p.nominated || p.nominating)
    }

    /// Runs what is due: the next check (one per Ta), retransmissions, nomination, consent.
    pub fn handle_timeout(&mut self, now: Instant) {
        for r in 0..self.relays.len() {
            if self.relays[r]
                .client
                .poll_timeout()
                .is_some_and(|t| t <= now)
            {
                self.relays[r].client.handle_timeout(now);
            }
            self.relay_events(now, r);
        }
        let due: Vec<TransactionId> = self
            .gathering
            .iter()
            .filter(|(_, g)| g.retransmit_at <= now)
            .map(|(t, _)| *t)
            .collect();
        for tid in due {
            if self.gathering[&tid].attempts >= self.config.check_attempts {
                self.finish_gather(tid);
            } else {
                self.send_gather(now, tid);
            }
        }
        if matches!(self.state, IceState::New | IceState::Failed)
            || self.remote.is_none()
            || self.config.lite
        {
            return;
        }
        // Retransmissions (RFC 8489 §6.2.1), failing the pair after the last one.
        for i in 0..self.pairs.len() {
            let Some(at) = self.pairs[i].retransmit_at else {
                continue;
            };
            if at > now {
                continue;
            }
            if self.pairs[i].attempts >= self.config.check_attempts {
                let p = &mut self.pairs[i];
                p.retransmit_at = None;
                if let Some(tid) = p.tid.take() {
                    self.transactions.remove(&tid);
                }
                if Some(i) == self.selected {
                    // Consent checks unanswered: handled by the consent timer.
                    continue;
                }
                p.state = PairState::Failed;
                p.nominating = false;
            } else {
                self.send_check(now, i, false);
            }
        }
        // Regular nomination by the controlling agent (RFC 8445 §8.1.1).
        if self.controlling && !self.nominated() {
            let all_done = self
                .pairs
                .iter()
                .all(|p| matches!(p.state, PairState::Succeeded | PairState::Failed));
            if let Some(first) = self.first_valid
                && (all_done || now >= first + self.config.nomination_delay)
                && let Some(best) = self.best_valid()
            {
                self.pairs[best].nominating = true;
                self.send_check(now, best, true);
            }
        }
        // One new check per Ta: triggered first, then the best waiting pair (§6.1.4.2).
        if self.next_check.is_some_and(|t| t <= now) {
            let next = loop {
                match self.triggered.pop_front() {
                    // A nominating check already in flight is not sent twice.
                    Some(i)
                        if self.pairs[i].state != PairState::Succeeded
                            || (self.pairs[i].nominating && self.pairs[i].tid.is_none()) =>
                    {
                        break Some(i);
                    }
                    Some(_) => continue,
                    None => break None,
                }
            }
            .or_else(|| {
                // The best waiting pair; with none, the best frozen one (§6.1.4.2).
                [PairState::Waiting, PairState::Frozen]
                    .into_iter()
                    .find_map(|state| {
                        self.pairs
                            .iter()
                            .enumerate()
                            .filter(|(_, p)| p.state == state)
                            .max_by_key(|(_, p)| p.priority)
                            .map(|(i, _)| i)
                    })
            });
            match next {
                Some(i) => {
                    let nominate = self.pairs[i].nominating;
                    self.send_check(now, i, nominate);
                    self.next_check = Some(now + self.config.ta);
                }
                None => self.next_check = None,
            }
        }
        // Consent freshness (RFC 7675).
        if let Some(at) = self.consent_at
            && at <= now
            && let Some(sel) = self.selected
        {
            if self
                .last_consent
                .is_some_and(|t| now.saturating_duration_since(t) >= self.config.consent_timeout)
            {
                self.consent_at = None;
                self.set_state(IceState::Failed);
                return;
            }
            self.send_check(now, sel, false);
            self.consent_at = Some(now + self.config.consent_interval);
        }
        self.check_failed();
    }

    fn best_valid(&self) -> Option<usize> {
        self.pairs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.state == PairState::Succeeded)
            .max_by_key(|(_, p)| p.priority)
            .map(|(i, _)| i)
    }

    fn check_failed(&mut self) {
        if self.state == IceState::Checking
            && self.remote_end_of_candidates
            && !self.pairs.is_empty()
            && self.pairs.iter().all(|p| p.state == PairState::Failed)
        {
            self.set_state(IceState::Failed);
        }
    }

    /// Sends (or resends) a Binding request on pair `i` (RFC 8445 §7.2.4).
    fn send_check(&mut self, now: Instant, i: usize, nominate: bool) {
        let Some((remote, key)) = &self.remote else {
            return;
        };
        let pair = &mut self.pairs[i];
        let retransmission = pair.tid.is_some() && pair.retransmit_at.is_some_and(|t| t <= now);
        let tid = match (retransmission, pair.tid) {
            (true, Some(tid)) => tid,
            _ => {
                if let Some(old) = pair.tid.take() {
                    self.transactions.remove(&old);
                }
                pair.attempts = 0;
                let mut b = [0u8; 12];
                let _ = (self.config.provider.fill_random)(&mut b);
                TransactionId::new(b)
            }
        };
        pair.tid = Some(tid);
        pair.sent_controlling = self.controlling;
        pair.attempts += 1;
        let backoff = self.config.check_rto * 2u32.saturating_pow(pair.attempts.min(8) - 1);
        pair.retransmit_at = Some(now + backoff.min(Duration::from_secs(8)));
        if pair.state != PairState::Succeeded {
            pair.state = PairState::InProgress;
        }
        self.transactions.insert(tid, i);
        let local = &self.local_candidates[pair.local];
        let destination = self.remote_candidates[pair.remote].address;
        // PRIORITY: what a peer-reflexive candidate learned from this check would get
        // (RFC 8445 §7.1.1): our local preference and component with the prflx type.
        let priority =
            (CandidateKind::PeerReflexive.type_preference() << 24) | (local.priority & 0x00ff_ffff);
        let username = format!("{}:{}", remote.ufrag, self.local.ufrag);
        let mut buf = [0u8; 256];
        let Ok(mut m) = MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, tid) else {
            return;
        };
        let role = if self.controlling {
            Attribute::IceControlling(self.tie_breaker)
        } else {
            Attribute::IceControlled(self.tie_breaker)
        };
        let built = m
            .add(&Attribute::Username(&username))
            .and_then(|m| m.add(&Attribute::Priority(priority)))
            .and_then(|m| m.add(&role))
            .and_then(|m| {
                if nominate && self.controlling {
                    m.add(&Attribute::UseCandidate)
                } else {
                    Ok(m)
                }
            })
            .and_then(|m| m.add_message_integrity(key))
            .and_then(|m| m.add_fingerprint());
        if built.is_err() {
            return;
        }
        let (source, contents) = (local.base, m.finish().to_vec());
        if !self.emit(now, source, destination, contents) {
            // Through a relay without a permission yet: asked for; the check goes again
            // soon without counting this attempt.
            let pair = &mut self.pairs[i];
            pair.attempts -= 1;
            pair.retransmit_at = Some(now + self.config.ta);
        }
    }

    /// A datagram that arrived on the local socket `local` from `from`. Returns false when it
    /// is not STUN (media or DTLS: the driver's). STUN that is malformed, unauthenticated or
    /// unexpected is dropped (counted in [`Agent::dropped`]).
    pub fn handle_packet(
        &mut self,
        now: Instant,
        local: SocketAddr,
        from: SocketAddr,
        bytes: &[u8],
    ) -> bool {
        // From a TURN server we allocated on: its responses, and peers' data relayed to us.
        let gathering_response = !self.gathering.is_empty()
            && Message::parse(bytes)
                .is_ok_and(|m| self.gathering.contains_key(&m.transaction_id()));
        if let Some(r) = self
            .relays
            .iter()
            .position(|r| r.base == local && r.client.server() == from)
            .filter(|_| !gathering_response)
        {
            let relayed = self.relays[r].relayed;
            let received = match self.relays[r].client.handle_input(now, bytes) {
                Ok(Some(rx)) => Some((rx.peer, rx.data.to_vec())),
                Ok(None) => None,
                Err(_) => {
                    self.dropped += 1;
                    None
                }
            };
            self.relay_events(now, r);
            if let (Some((peer, data)), Some(relayed)) = (received, relayed)
                && !self.handle_direct(now, relayed, peer, &data)
            {
                // Not STUN: the application's, through `poll_relayed_data`.
                self.relayed_data.push_back((peer, data));
            }
            return true;
        }
        self.handle_direct(now, local, from, bytes)
    }

    fn handle_direct(
        &mut self,
        now: Instant,
        local: SocketAddr,
        from: SocketAddr,
        bytes: &[u8],
    ) -> bool {
        if !rtc_stun::is_stun(bytes) {
            return false;
        }
        let Ok(message) = Message::parse(bytes) else {
            self.dropped += 1;
            return true;
        };
        if message.method() != Method::BINDING {
            self.dropped += 1;
            return true;
        }
        match message.class() {
            Class::Request => self.on_request(now, local, from, &message),
            Class::Success | Class::Error => self.on_response(now, local, from, &message),
            Class::Indication => {} // keepalive (RFC 8445 §11)
        }
        true
    }

    fn on_request(&mut self, now: Instant, local: SocketAddr, from: SocketAddr, m: &Message<'_>) {
        // RFC 8445 §7.3: short-term credentials, USERNAME starting with our ufrag.
        let ours = m
            .username()
            .and_then(|u| u.split_once(':'))
            .is_some_and(|(l, _)| l == self.local.ufrag);
        if !ours || !m.has_fingerprint() || m.verify_integrity(&self.local_key).is_err() {
            self.dropped += 1;
            return;
        }
        let Some(l) = self.local_candidates.iter().position(|c| c.base == local) else {
            self.dropped += 1;
            return;
        };
        // Role conflict (§7.3.1.1).
        let mut conflict = false;
        for attr in m.attributes() {
            match attr {
                Attribute::IceControlling(theirs) if self.controlling => {
                    if self.tie_breaker >= theirs {
                        conflict = true;
                    } else {
                        self.switch_role(false);
                    }
                }
                Attribute::IceControlled(theirs) if !self.controlling => {
                    // A lite agent is always controlled (RFC 8445 §6.1.1): the full peer
                    // is told to switch.
                    if self.config.lite {
                        conflict = true;
                    } else if self.tie_breaker >= theirs {
                        self.switch_role(true);
                    } else {
                        conflict = true;
                    }
                }
                _ => {}
            }
        }
        let tid = m.transaction_id();
        let mut buf = [0u8; 256];
        let reply = if conflict {
            MessageBuilder::new(&mut buf, Class::Error, Method::BINDING, tid).and_then(|mut b| {
                b.add(&Attribute::ErrorCode(ErrorCode::ROLE_CONFLICT))?
                    .add_message_integrity(&self.local_key)?
                    .add_fingerprint()?;
                Ok(b.finish().to_vec())
            })
        } else {
            MessageBuilder::new(&mut buf, Class::Success, Method::BINDING, tid).and_then(|mut b| {
                b.add(&Attribute::XorMappedAddress(from))?
                    .add_message_integrity(&self.local_key)?
                    .add_fingerprint()?;
                Ok(b.finish().to_vec())
            })
        };
        if let Ok(contents) = reply {
            self.emit(now, local, from, contents);
        }
        if conflict {
            return;
        }
        // The peer's address: a known candidate, or a new peer-reflexive one (§7.3.1.3).
        let r = match self
            .remote_candidates
            .iter()
            .position(|c| c.address == from)
        {
            Some(r) => r,
            None => {
                let priority = m
                    .attributes()
                    .find_map(|a| match a {
                        Attribute::Priority(p) => Some(p),
                        _ => None,
                    })
                    .unwrap_or(0);
                let component = self.local_candidates[l].component;
                self.remote_candidates
                    .push(Candidate::peer_reflexive(from, from, priority, component));
                self.remote_candidates.len() - 1
            }
        };
        let Some(i) = self.add_pair(l, r) else {
            return;
        };
        let use_candidate = m.attributes().any(|a| matches!(a, Attribute::UseCandidate));
        if self.config.lite {
            // §7.3.1.5 for a lite agent: no checks of its own; the pair the full agent
            // nominates is selected (and consent is the peer's to keep).
            self.pairs[i].state = PairState::Succeeded;
            if use_candidate {
                self.pairs[i].peer_nominated = true;
                self.nominate(now, i);
                self.consent_at = None;
            }
            return;
        }
        if use_candidate && !self.controlling {
            self.pairs[i].peer_nominated = true;
            if self.pairs[i].state == PairState::Succeeded {
                self.nominate(now, i);
            }
        }
        // Triggered check (§7.3.1.4), unless the pair already succeeded.
        if self.pairs[i].state != PairState::Succeeded {
            if self.pairs[i].state != PairState::InProgress {
                self.pairs[i].state = PairState::Waiting;
            }
            if !self.triggered.contains(&i) {
                self.triggered.push_back(i);
            }
            if self.remote.is_some() {
                self.start(now);
                if self.next_check.is_none() && !self.config.lite {
                    self.next_check = Some(now);
                }
            }
        }
    }

    fn switch_role(&mut self, controlling: bool) {
        self.controlling = controlling;
        for i in 0..self.pairs.len() {
            self.pairs[i].priority = self.pair_priority(self.pairs[i].local, self.pairs[i].remote);
        }
        self.events.push_back(Event::RoleChanged { controlling });
    }

    fn on_response(&mut self, now: Instant, local: SocketAddr, from: SocketAddr, m: &Message<'_>) {
        let tid = m.transaction_id();
        if self.gathering.contains_key(&tid) {
            self.on_gather_response(now, local, m);
            return;
        }
        let Some(&i) = self.transactions.get(&tid) else {
            self.dropped += 1;
            return;
        };
        let Some((_, key)) = &self.remote else {
            return;
        };
        if m.verify_integrity(key).is_err() {
            self.dropped += 1;
            return;
        }
        self.transactions.remove(&tid);
        let pair = &mut self.pairs[i];
        pair.tid = None;
        pair.retransmit_at = None;
        let nominating = std::mem::take(&mut pair.nominating);
        let l = pair.local;
        let r = pair.remote;
        if m.class() == Class::Error {
            if m.error_code().is_some_and(|e| e.code == 487) {
                // §7.2.5.1: take the role opposite to the one the check claimed, unless
                // already done (a crossing request may have switched it), and check again.
                let controlling = !self.pairs[i].sent_controlling;
                if self.controlling != controlling && !self.config.lite {
                    self.switch_role(controlling);
                }
                self.pairs[i].state = PairState::Waiting;
                self.triggered.push_back(i);
                self.start(now);
            } else {
                self.pairs[i].state = PairState::Failed;
            }
            self.check_failed();
            return;
        }
        // §7.2.5.2.1: source and destination must be symmetric.
        if from != self.remote_candidates[r].address || local != self.local_candidates[l].base {
            self.pairs[i].state = PairState::Failed;
            return;
        }
        self.pairs[i].state = PairState::Succeeded;
        // §7.2.5.3.3: pairs of the same foundation are unfrozen.
        let key = self.foundation_key(l, r);
        let thaw: Vec<usize> = (0..self.pairs.len())
            .filter(|&j| {
                self.pairs[j].state == PairState::Frozen
                    && self.foundation_key(self.pairs[j].local, self.pairs[j].remote) == key
            })
            .collect();
        for j in thaw {
            self.pairs[j].state = PairState::Waiting;
        }
        if Some(i) == self.selected {
            self.last_consent = Some(now);
        }
        if self.first_valid.is_none() {
            self.first_valid = Some(now);
        }
        if (nominating && self.controlling) || (!self.controlling && self.pairs[i].peer_nominated) {
            self.nominate(now, i);
        }
    }

    fn nominate(&mut self, now: Instant, i: usize) {
        self.pairs[i].nominated = true;
        let better = self
            .selected
            .is_none_or(|s| self.pairs[i].priority > self.pairs[s].priority);
        if better {
            self.selected = Some(i);
            self.last_consent = Some(now);
            self.consent_at = Some(now + self.config.consent_interval);
            let (local, remote) = self.selected_pair().expect("just selected");
            // A relayed pair gets a channel (RFC 8656 §12): 4 bytes of overhead instead of a
            // Send indication's 36.
            if let Some(r) = self.relays.iter().position(|r| r.relayed == Some(local)) {
                let _ = self.relays[r].client.bind_channel(now, remote);
                self.flush_relay(r);
            }
            self.events.push_back(Event::SelectedPair { local, remote });
            self.set_state(IceState::Connected);
        }
    }

    /// Application data (DTLS, SRTP) to send on the selected pair: the datagram to put on the
    /// socket, wrapped for the TURN server when the pair's local candidate is relayed
    /// (ChannelData once the channel is bound, a Send indication before). `None` without a
    /// selected pair, or when the relay cannot send yet.
    pub fn send_data(&mut self, now: Instant, data: &[u8]) -> Option<Transmit> {
        let (local, remote) = self.selected_pair()?;
        let Some(r) = self.relays.iter().position(|r| r.relayed == Some(local)) else {
            return Some(Transmit {
                source: local,
                destination: remote,
                contents: data.to_vec(),
            });
        };
        let relay = &mut self.relays[r];
        let mut out = vec![0u8; data.len() + 64];
        let n = relay.client.send_to(now, remote, data, &mut out).ok()?;
        out.truncate(n);
        Some(Transmit {
            source: relay.base,
            destination: relay.client.server(),
            contents: out,
        })
    }

    /// Application data that arrived through a relay (what [`Agent::handle_packet`] took from
    /// the TURN server and found not to be STUN): (peer, bytes).
    pub fn poll_relayed_data(&mut self) -> Option<(SocketAddr, Vec<u8>)> {
        self.relayed_data.pop_front()
    }

    /// ICE restart (RFC 8445 §9): new local credentials, the peer's and its candidates
    /// forgotten; our candidates stay. Until a new pair is selected, the old one keeps
    /// carrying media.
    pub fn restart(&mut self, local: Credentials) {
        self.local_key = IntegrityKey::short_term(&local.pwd);
        self.local = local;
        self.remote = None;
        self.remote_candidates.clear();
        self.remote_end_of_candidates = false;
        self.pairs.clear();
        self.triggered.clear();
        self.transactions.clear();
        self.next_check = None;
        self.first_valid = None;
        self.selected = None;
        self.consent_at = None;
        self.last_consent = None;
        self.set_state(IceState::New);
    }
}
