//! The ICE agent (RFC 8445), sans-IO: candidates in, connectivity checks out through
//! [`Agent::poll_transmit`], a selected pair out through [`Agent::poll_event`].
//!
//! Split by concern: this file has the types, the candidates and the check list; `checks` the
//! connectivity checks (sending and answering them, valid pairs, nomination, the timers);
//! `gather` server-reflexive and relayed candidates (STUN and TURN servers); `tcp` what
//! ICE-TCP (RFC 6544) adds on the driver's side of the agent.

mod checks;
mod gather;
mod tcp;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtc_crypto::CryptoProvider;
use rtc_stun::{IntegrityKey, TransactionId};

use rtc_turn::TurnClient;

use crate::candidate::{Candidate, CandidateKind, TcpType, Transport, pair_priority};

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
    /// How long a check over TCP waits for its response before its pair fails. TCP checks
    /// are not retransmitted (RFC 6544 §7.1: TCP delivers them); RFC 8489 §6.2.2's 39.5 s
    /// for reliable transports is far longer than a peer that accepted the connection takes
    /// to answer, so 8 s. A connection the driver cannot open fails the check at once
    /// ([`Agent::tcp_closed`]).
    pub tcp_check_timeout: Duration,
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
            tcp_check_timeout: Duration::from_secs(8),
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
    /// Media goes from `local` (a local base: the socket) to `remote`, over `transport`
    /// (for TCP, on the connection for (`local`, `remote`), see [`Transmit`]).
    SelectedPair {
        /// Our base address.
        local: SocketAddr,
        /// The peer's address.
        remote: SocketAddr,
        /// UDP, or TCP with our candidate's connection type.
        transport: Transport,
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

/// A datagram to send from the local address `source` to `destination`.
///
/// - [`Transport::Udp`]: send `contents` from the socket bound to `source`.
/// - [`Transport::Tcp`] (RFC 6544): send `contents` as one RFC 4571 frame
///   ([`crate::tcp::encode`]) on the TCP connection for (`source`, `destination`). `source` is
///   the base of one of our TCP candidates: a passive candidate's listening address (the
///   connection is one accepted there from `destination`), or an active candidate's IP with
///   port 9 (a connection the driver opened). With no such connection, `Tcp(TcpType::Active)`
///   asks the driver to open one from `source`'s IP and an ephemeral port to `destination`
///   (RFC 6544 §7.1) and send once it is up; a passive or so candidate cannot open
///   connections, so the datagram is dropped. A connection that cannot be opened, or that
///   closes, is reported with [`Agent::tcp_closed`]; every frame that arrives on one goes to
///   [`Agent::handle_tcp_packet`] with the same (`source`, `destination`) as its key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The local socket (a candidate's base).
    pub source: SocketAddr,
    /// Where to.
    pub destination: SocketAddr,
    /// The STUN message (or, from [`Agent::send_data`], the application's datagram).
    pub contents: Vec<u8>,
    /// UDP, or TCP with the connection type of our candidate (what the driver may do when
    /// there is no connection yet).
    pub transport: Transport,
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
    /// In the valid list (RFC 8445 §7.2.5.3.2): a check succeeded and produced this pair.
    valid: bool,
    /// The valid pair the last successful check on this pair produced: itself, or the pair
    /// whose local candidate is the mapped address the peer saw (§7.2.5.3.2).
    valid_pair: Option<usize>,
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

    /// The candidates of the selected pair: (ours, the peer's). Ours is the valid pair's
    /// (RFC 8445 §7.2.5.3.2): the candidate at the address the peer saw our checks come from
    /// (server- or peer-reflexive behind a NAT; for an active TCP candidate, the
    /// peer-reflexive one of the connection's ephemeral port), or the one the pair was formed
    /// with when the peer nominated it before a check of ours on it succeeded (a lite agent).
    pub fn selected_candidates(&self) -> Option<(&Candidate, &Candidate)> {
        self.selected.map(|i| {
            let p = &self.pairs[i];
            (
                &self.local_candidates[p.local],
                &self.remote_candidates[p.remote],
            )
        })
    }

    /// Our candidates so far: the ones to signal to the peer, and the peer-reflexive ones
    /// learned from its answers (RFC 8445 §7.2.5.3.1; not signalled).
    pub fn local_candidates(&self) -> &[Candidate] {
        &self.local_candidates
    }

    /// The peer's candidates: signalled, resolved, or learned from its checks
    /// (peer-reflexive, RFC 8445 §7.3.1.3).
    pub fn remote_candidates(&self) -> &[Candidate] {
        &self.remote_candidates
    }

    /// The peer's credentials (from its SDP).
    pub fn set_remote_credentials(&mut self, now: Instant, remote: Credentials) {
        let key = IntegrityKey::short_term(&remote.pwd);
        self.remote = Some((remote, key));
        self.start(now);
    }

    /// Adds a local candidate (host addresses come from the driver, UDP or TCP; reflexive and
    /// relayed ones from gathering) and pairs it with the peer's. A UDP host candidate starts
    /// gathering from the configured STUN and TURN servers.
    pub fn add_local_candidate(&mut self, now: Instant, candidate: Candidate) {
        if let Some(l) = self.local_candidates.iter().position(|c| {
            c.address == candidate.address
                && c.base == candidate.base
                && c.transport.is_tcp() == candidate.transport.is_tcp()
        }) {
            // A peer-reflexive candidate learned first (RFC 8445 §7.2.5.3.1) gives way to the
            // gathered one at the same address, keeping its pairs.
            if self.local_candidates[l].kind == CandidateKind::PeerReflexive
                && candidate.kind != CandidateKind::PeerReflexive
            {
                self.local_candidates[l] = candidate;
                for i in 0..self.pairs.len() {
                    if self.pairs[i].local == l {
                        self.pairs[i].priority = self.pair_priority(l, self.pairs[i].remote);
                    }
                }
            }
            return;
        }
        let (kind, base, component) = (candidate.kind, candidate.base, candidate.component);
        let mut candidate = candidate;
        if kind == CandidateKind::Host && self.config.mdns_hostnames && candidate.hostname.is_none()
        {
            candidate.hostname = Some(self.mdns_name(base.ip()));
        }
        let udp_host = kind == CandidateKind::Host && candidate.transport == Transport::Udp;
        self.local_candidates.push(candidate);
        let l = self.local_candidates.len() - 1;
        for r in 0..self.remote_candidates.len() {
            self.add_pair(l, r, false);
        }
        if udp_host {
            self.start_gathering(now, base, component);
        }
        self.start(now);
    }

    /// The mDNS name of our address `ip`: the one it already has, or a new random one (an
    /// RFC 4122 version 4 UUID from the provider's random) the driver's responder is told of.
    fn mdns_name(&mut self, ip: std::net::IpAddr) -> String {
        if let Some(name) = self
            .local_candidates
            .iter()
            .find(|c| c.address.ip() == ip)
            .and_then(|c| c.hostname.clone())
        {
            return name;
        }
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
            address: ip,
        });
        name
    }

    /// Adds a candidate of the peer's (from its SDP or trickled, RFC 8838).
    pub fn add_remote_candidate(&mut self, now: Instant, candidate: Candidate) {
        if let Some(existing) = self.remote_candidates.iter_mut().find(|c| {
            c.address == candidate.address && c.transport.is_tcp() == candidate.transport.is_tcp()
        }) {
            // A peer-reflexive candidate learned first keeps its pairs; the signalled one
            // gives its kind and priority (RFC 8445 §7.3.1.3 note).
            if existing.kind == CandidateKind::PeerReflexive {
                *existing = candidate;
            }
            return;
        }
        let (ip, udp) = (
            candidate.address.ip(),
            candidate.transport == Transport::Udp,
        );
        self.remote_candidates.push(candidate);
        let r = self.remote_candidates.len() - 1;
        for l in 0..self.local_candidates.len() {
            self.add_pair(l, r, false);
        }
        // Our relays (UDP) can reach the peer's UDP candidates only.
        for k in 0..self.relays.len() {
            if udp && self.relays[k].relayed.is_some() && !self.relays[k].client.has_permission(ip)
            {
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
                if name.ends_with(".local") && (parsed.is_udp() || parsed.is_tcp()) =>
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

    /// Pairs our candidate `l` with the peer's `r` (RFC 8445 §6.1.2), or finds the pair that
    /// already covers them. `triggered`: for a check the peer's request triggers (§7.3.1.4),
    /// which goes over the connection the request came on.
    fn add_pair(&mut self, l: usize, r: usize, triggered: bool) -> Option<usize> {
        let (local, remote) = (&self.local_candidates[l], &self.remote_candidates[r]);
        if local.component != remote.component
            || local.address.is_ipv4() != remote.address.is_ipv4()
            || !local.transport.pairs_with(remote.transport)
        {
            return None;
        }
        // RFC 6544 §6.2: pairs whose local candidate is passive are pruned (it cannot open a
        // connection). So-so pairs would need the driver to open simultaneously: not checked
        // either. Both answer, and check back, over a connection the peer opened.
        if !triggered
            && matches!(
                local.transport,
                Transport::Tcp(TcpType::Passive | TcpType::So)
            )
        {
            return None;
        }
        // RFC 8445 §6.1.2.4 pruning: a reflexive local candidate is replaced by its base, so
        // a pair with the same base and remote already covers it.
        let (base, tcp) = (local.base, local.transport.is_tcp());
        if let Some(i) = self.pairs.iter().position(|p| {
            let c = &self.local_candidates[p.local];
            p.remote == r && c.base == base && c.transport.is_tcp() == tcp
        }) {
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
            valid: false,
            valid_pair: None,
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
        // Nomination is due once a valid pair exists (after a TCP connection of the valid
        // list closed, there may be none for a while).
        // With every pair done it is due at once (§8.1.1), not after the delay.
        let nominate = match (self.controlling, self.first_valid, self.nominated()) {
            (true, Some(t), false) if self.best_valid().is_some() => {
                let all_done = self
                    .pairs
                    .iter()
                    .all(|p| matches!(p.state, PairState::Succeeded | PairState::Failed));
                Some(if all_done {
                    t
                } else {
                    t + self.config.nomination_delay
                })
            }
            _ => None,
        };
        [self.next_check, retransmits, nominate, self.consent_at]
            .into_iter()
            .flatten()
            .min()
    }

    /// A valid pair is nominated, or a nominating check is in flight.
    fn nominated(&self) -> bool {
        self.pairs
            .iter()
            .any(|p| (p.nominated && p.valid) || p.nominating)
    }

    /// Application data (DTLS, SRTP) to send on the selected pair: the datagram to put on the
    /// socket (or, for a TCP pair, to frame onto its connection, see [`Transmit`]), wrapped
    /// for the TURN server when the pair's local candidate is relayed (ChannelData once the
    /// channel is bound, a Send indication before). `None` without a selected pair, or when
    /// the relay cannot send yet.
    pub fn send_data(&mut self, now: Instant, data: &[u8]) -> Option<Transmit> {
        let (local, remote) = self.selected_pair()?;
        let transport = self.selected_candidates()?.0.transport;
        let relay = self
            .relays
            .iter()
            .position(|r| r.relayed == Some(local))
            .filter(|_| transport == Transport::Udp);
        let Some(r) = relay else {
            return Some(Transmit {
                source: local,
                destination: remote,
                contents: data.to_vec(),
                transport,
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
            transport: Transport::Udp,
        })
    }

    /// [`Agent::send_data`] for a datagram the caller owns: on a direct pair the bytes move into
    /// the [`Transmit`] without a copy (media sends one per RTP packet).
    pub fn send_data_owned(&mut self, now: Instant, data: Vec<u8>) -> Option<Transmit> {
        let (local, remote) = self.selected_pair()?;
        let transport = self.selected_candidates()?.0.transport;
        let relayed = self.relays.iter().any(|r| r.relayed == Some(local));
        if relayed && transport == Transport::Udp {
            return self.send_data(now, &data);
        }
        Some(Transmit {
            source: local,
            destination: remote,
            contents: data,
            transport,
        })
    }

    /// Application data that arrived through a relay (what [`Agent::handle_packet`] took from
    /// the TURN server and found not to be STUN): (peer, bytes).
    pub fn poll_relayed_data(&mut self) -> Option<(SocketAddr, Vec<u8>)> {
        self.relayed_data.pop_front()
    }

    /// ICE restart (RFC 8445 §9): new local credentials, the peer's and its candidates
    /// forgotten; our candidates stay, except the peer-reflexive ones learned from the old
    /// session's answers. Until a new pair is selected, the old one keeps carrying media.
    pub fn restart(&mut self, local: Credentials) {
        self.local_key = IntegrityKey::short_term(&local.pwd);
        self.local = local;
        self.remote = None;
        self.local_candidates
            .retain(|c| c.kind != CandidateKind::PeerReflexive);
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
