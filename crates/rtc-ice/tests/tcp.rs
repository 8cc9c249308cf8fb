//! ICE-TCP (RFC 6544) on a virtual network with virtual time: two agents whose drivers own
//! simulated TCP connections (opened for active candidates' transmits, accepted on passive
//! candidates' listening addresses, RFC 4571 frames delivered in small pieces), in every
//! combination of roles; UDP and TCP mixed; refused, silent and broken connections; and the
//! framer and decoder (proptest round trips over arbitrary splits).

#![allow(clippy::disallowed_methods)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use rtc_ice::tcp::{self, FrameDecoder, FramingError};
use rtc_ice::{
    Agent, Candidate, CandidateKind, Config, Credentials, Event, IceState, TCP_ACTIVE_PORT,
    TcpType, Transport,
};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

const LATENCY: Duration = Duration::from_millis(10);

/// A connection's key on one side: (our local key, the peer's address), as a driver keeps it.
type Key = (SocketAddr, SocketAddr);

struct Side {
    agent: Agent,
    /// Where this side accepts connections (its passive candidates).
    listening: Vec<SocketAddr>,
    /// Its UDP sockets.
    udp: Vec<SocketAddr>,
    /// Its open connections: key → index in `Net::conns`.
    conns: HashMap<Key, usize>,
    events: Vec<Event>,
    /// What arrived that is not STUN: (key or UDP (local, from), bytes).
    data: Vec<(Key, Vec<u8>)>,
    /// Connections this side opened.
    opened: usize,
    /// Transmits by transport.
    udp_sent: u64,
    tcp_sent: u64,
}

struct Conn {
    /// End 0 opened the connection, end 1 accepted it: (side, key on that side).
    ends: [(usize, Key); 2],
    decoders: [FrameDecoder; 2],
    open: bool,
}

enum Wire {
    Udp(SocketAddr, SocketAddr, Vec<u8>),
    /// Stream bytes on connection `conn` toward end `to`.
    Tcp {
        conn: usize,
        to: usize,
        bytes: Vec<u8>,
    },
    /// The driver of `side` learns the connection `key` failed or closed.
    Closed {
        side: usize,
        key: Key,
    },
}

struct Net {
    sides: [Side; 2],
    conns: Vec<Conn>,
    wire: VecDeque<(Instant, Wire)>,
    now: Instant,
    next_port: u16,
    udp_blocked: bool,
    /// Connection attempts get a reset (refused) instead of reaching a listener.
    refuse_tcp: bool,
    /// Connection attempts vanish (no answer, no reset).
    blackhole_tcp: bool,
    /// Stream bytes are delivered in pieces of this size.
    piece: usize,
}

fn side(controlling: bool) -> Side {
    let provider = rtc_crypto::default_provider();
    Side {
        agent: Agent::new(Config::new(controlling), Credentials::random(provider)),
        listening: Vec::new(),
        udp: Vec::new(),
        conns: HashMap::new(),
        events: Vec::new(),
        data: Vec::new(),
        opened: 0,
        udp_sent: 0,
        tcp_sent: 0,
    }
}

impl Net {
    fn new(a_controlling: bool, b_controlling: bool) -> Self {
        Self {
            sides: [side(a_controlling), side(b_controlling)],
            conns: Vec::new(),
            wire: VecDeque::new(),
            now: Instant::now(),
            next_port: 50000,
            udp_blocked: false,
            refuse_tcp: false,
            blackhole_tcp: false,
            piece: 7,
        }
    }

    fn a(&self) -> &Agent {
        &self.sides[0].agent
    }

    fn b(&self) -> &Agent {
        &self.sides[1].agent
    }

    /// Adds a candidate to side `s` (a driver would bind or listen for it).
    fn add(&mut self, s: usize, c: Candidate) {
        match c.transport {
            Transport::Udp => self.sides[s].udp.push(c.address),
            Transport::Tcp(TcpType::Passive) => self.sides[s].listening.push(c.address),
            Transport::Tcp(_) => {}
        }
        let now = self.now;
        self.sides[s].agent.add_local_candidate(now, c);
    }

    /// Credentials and every candidate exchanged as `a=candidate` lines, end-of-candidates.
    fn signal(&mut self) {
        let now = self.now;
        for (from, to) in [(0, 1), (1, 0)] {
            let creds = self.sides[from].agent.local_credentials().clone();
            self.sides[to].agent.set_remote_credentials(now, creds);
            let lines: Vec<String> = self.sides[from]
                .agent
                .local_candidates()
                .iter()
                .map(|c| c.to_sdp().to_init_string())
                .collect();
            for line in lines {
                self.sides[to]
                    .agent
                    .add_remote_candidate_sdp(now, &line)
                    .unwrap_or_else(|e| panic!("{line}: {e}"));
            }
            self.sides[to].agent.set_remote_end_of_candidates();
        }
    }

    fn send(&mut self, s: usize, t: rtc_ice::Transmit) {
        let at = self.now + LATENCY;
        match t.transport {
            Transport::Udp => {
                self.sides[s].udp_sent += 1;
                if !self.udp_blocked {
                    self.wire
                        .push_back((at, Wire::Udp(t.source, t.destination, t.contents)));
                }
            }
            Transport::Tcp(tcp_type) => {
                self.sides[s].tcp_sent += 1;
                let key = (t.source, t.destination);
                let c = match self.sides[s].conns.get(&key) {
                    Some(&c) => c,
                    None if tcp_type == TcpType::Active => {
                        let peer = 1 - s;
                        if self.blackhole_tcp {
                            return;
                        }
                        if self.refuse_tcp || !self.sides[peer].listening.contains(&t.destination) {
                            self.wire.push_back((at, Wire::Closed { side: s, key }));
                            return;
                        }
                        // RFC 6544 §7.1: from the candidate's IP and an unallocated port.
                        let ephemeral = SocketAddr::new(t.source.ip(), self.next_port);
                        self.next_port += 1;
                        let peer_key = (t.destination, ephemeral);
                        self.conns.push(Conn {
                            ends: [(s, key), (peer, peer_key)],
                            decoders: [FrameDecoder::new(), FrameDecoder::new()],
                            open: true,
                        });
                        let c = self.conns.len() - 1;
                        self.sides[s].conns.insert(key, c);
                        self.sides[peer].conns.insert(peer_key, c);
                        self.sides[s].opened += 1;
                        c
                    }
                    None => {
                        // A passive candidate cannot open a connection.
                        self.wire.push_back((at, Wire::Closed { side: s, key }));
                        return;
                    }
                };
                let to = usize::from(self.conns[c].ends[0].0 == s);
                let mut frame = vec![0u8; tcp::encoded_len(t.contents.len())];
                let n = tcp::encode(&t.contents, &mut frame).unwrap();
                for piece in frame[..n].chunks(self.piece) {
                    self.wire.push_back((
                        at,
                        Wire::Tcp {
                            conn: c,
                            to,
                            bytes: piece.to_vec(),
                        },
                    ));
                }
            }
        }
    }

    /// Closes connection `c` (both drivers notice).
    fn break_connection(&mut self, c: usize) {
        self.conns[c].open = false;
        for (s, key) in self.conns[c].ends {
            self.sides[s].conns.remove(&key);
            self.wire
                .push_back((self.now + LATENCY, Wire::Closed { side: s, key }));
        }
    }

    fn deliver(&mut self, w: Wire) {
        let now = self.now;
        match w {
            Wire::Udp(from, to, bytes) => {
                let Some(s) = self.sides.iter().position(|s| s.udp.contains(&to)) else {
                    return;
                };
                if !self.sides[s].agent.handle_packet(now, to, from, &bytes) {
                    self.sides[s].data.push(((to, from), bytes));
                }
            }
            Wire::Tcp { conn, to, bytes } => {
                let Self { sides, conns, .. } = self;
                let conn = &mut conns[conn];
                if !conn.open {
                    return;
                }
                let (s, key) = conn.ends[to];
                let side = &mut sides[s];
                conn.decoders[to]
                    .decode(&bytes, |frame| {
                        if !side.agent.handle_tcp_packet(now, key.0, key.1, frame) {
                            side.data.push((key, frame.to_vec()));
                        }
                    })
                    .expect("well-formed frames");
            }
            Wire::Closed { side, key } => {
                self.sides[side].conns.remove(&key);
                self.sides[side].agent.tcp_closed(now, key.0, key.1);
            }
        }
    }

    fn step(&mut self) -> bool {
        for s in 0..2 {
            while let Some(t) = self.sides[s].agent.poll_transmit() {
                self.send(s, t);
            }
            while let Some(e) = self.sides[s].agent.poll_event() {
                self.sides[s].events.push(e);
            }
        }
        let next = [
            self.wire.front().map(|w| w.0),
            self.a().poll_timeout(),
            self.b().poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else { return false };
        self.now = self.now.max(next);
        while self.wire.front().is_some_and(|w| w.0 <= self.now) {
            let (_, w) = self.wire.pop_front().unwrap();
            self.deliver(w);
        }
        let now = self.now;
        for s in 0..2 {
            let agent = &mut self.sides[s].agent;
            if agent.poll_timeout().is_some_and(|t| t <= now) {
                agent.handle_timeout(now);
            }
        }
        true
    }

    fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Self) -> bool) -> bool {
        let end = self.now + limit;
        while !done(self) {
            if self.now > end || !self.step() {
                break;
            }
        }
        for s in 0..2 {
            while let Some(e) = self.sides[s].agent.poll_event() {
                self.sides[s].events.push(e);
            }
        }
        done(self)
    }

    fn connected(&self) -> bool {
        self.a().state() == IceState::Connected && self.b().state() == IceState::Connected
    }

    /// Sends `text` from side `s` on its selected pair (`Agent::send_data`).
    fn send_data(&mut self, s: usize, text: &str) {
        let now = self.now;
        let t = self.sides[s]
            .agent
            .send_data(now, text.as_bytes())
            .expect("a selected pair");
        self.send(s, t);
    }

    fn received(&self, s: usize, text: &str) -> Option<Key> {
        self.sides[s]
            .data
            .iter()
            .find(|(_, d)| d == text.as_bytes())
            .map(|(k, _)| *k)
    }

    fn selected_events(&self, s: usize) -> Vec<(SocketAddr, SocketAddr, Transport)> {
        self.sides[s]
            .events
            .iter()
            .filter_map(|e| match e {
                Event::SelectedPair {
                    local,
                    remote,
                    transport,
                } => Some((*local, *remote, *transport)),
                _ => None,
            })
            .collect()
    }
}

const A_IP: &str = "10.0.0.1";
const B_IP: &str = "10.0.0.2";

fn tcp(ip: &str, port: u16, t: TcpType) -> Candidate {
    Candidate::tcp_host(SocketAddr::new(ip.parse().unwrap(), port), t, 8191, 1)
}

/// Side `active` has an active TCP candidate, the other a passive one on port 6000.
fn tcp_only(active: usize, a_controlling: bool) -> Net {
    let mut net = Net::new(a_controlling, !a_controlling);
    let ips = [A_IP, B_IP];
    net.add(active, tcp(ips[active], 0, TcpType::Active));
    net.add(1 - active, tcp(ips[1 - active], 6000, TcpType::Passive));
    net.signal();
    net
}

#[test]
fn tcp_only_agents_connect_active_to_passive_in_every_role() {
    for active in [0, 1] {
        for a_controlling in [true, false] {
            let case = format!("active side {active}, A controlling {a_controlling}");
            let mut net = tcp_only(active, a_controlling);
            assert!(
                net.run_until(Duration::from_secs(10), Net::connected),
                "{case}: {:?} {:?}",
                net.a(),
                net.b()
            );
            let passive = 1 - active;
            let ips = [A_IP, B_IP];
            let listen = SocketAddr::new(ips[passive].parse().unwrap(), 6000);
            let active_base = SocketAddr::new(ips[active].parse().unwrap(), TCP_ACTIVE_PORT);
            // One connection, opened by the active side from an ephemeral port.
            assert_eq!(net.conns.len(), 1, "{case}");
            assert_eq!(net.sides[active].opened, 1, "{case}");
            assert_eq!(net.sides[passive].opened, 0, "{case}");
            let ephemeral = net.conns[0].ends[1].1.1;
            assert_eq!(ephemeral.ip(), active_base.ip());
            assert_ne!(ephemeral.port(), TCP_ACTIVE_PORT);
            let (act, pas) = (&net.sides[active].agent, &net.sides[passive].agent);
            assert_eq!(act.selected_pair(), Some((active_base, listen)), "{case}");
            assert_eq!(pas.selected_pair(), Some((listen, ephemeral)), "{case}");
            // The active end's valid pair is on the local peer-reflexive candidate of the
            // connection's port (RFC 6544 §7.1); the passive end learned that port as a
            // peer-reflexive active candidate of the peer's (§7.2).
            let (ours, theirs) = act.selected_candidates().unwrap();
            assert_eq!(ours.kind, CandidateKind::PeerReflexive, "{case}");
            assert_eq!(
                (ours.address, ours.base, ours.transport),
                (ephemeral, active_base, Transport::Tcp(TcpType::Active))
            );
            assert_eq!(theirs.transport, Transport::Tcp(TcpType::Passive));
            let (ours, theirs) = pas.selected_candidates().unwrap();
            assert_eq!(ours.transport, Transport::Tcp(TcpType::Passive));
            assert_eq!(
                (theirs.kind, theirs.transport),
                (
                    CandidateKind::PeerReflexive,
                    Transport::Tcp(TcpType::Active)
                )
            );
            assert_eq!(
                net.selected_events(active),
                [(active_base, listen, Transport::Tcp(TcpType::Active))]
            );
            assert_eq!(
                net.selected_events(passive),
                [(listen, ephemeral, Transport::Tcp(TcpType::Passive))]
            );
            // Nothing went over UDP; data goes both ways over the connection.
            assert_eq!(net.sides[0].udp_sent + net.sides[1].udp_sent, 0);
            net.send_data(0, "a hello");
            net.send_data(1, "b hello");
            net.run_until(Duration::from_millis(100), |_| false);
            assert!(net.received(1, "a hello").is_some(), "{case}");
            assert!(net.received(0, "b hello").is_some(), "{case}");
            // Consent checks keep it up over the connection.
            net.run_until(Duration::from_secs(40), |_| false);
            assert!(net.connected(), "{case}");
            assert_eq!(net.conns.len(), 1);
        }
    }
}

#[test]
fn active_candidates_are_signalled_with_port_9() {
    let c = tcp(A_IP, 40000, TcpType::Active);
    let line = c.to_sdp().to_init_string();
    assert!(
        line.contains(" 10.0.0.1 9 typ host tcptype active"),
        "{line}"
    );
    let net = tcp_only(0, true);
    let remote = net.b().remote_candidates();
    assert_eq!(remote.len(), 1);
    assert_eq!(remote[0].address, addr("10.0.0.1:9"));
    assert_eq!(remote[0].transport, Transport::Tcp(TcpType::Active));
}

/// Both sides with a UDP host candidate and active and passive TCP ones.
fn mixed(udp_blocked: bool) -> Net {
    let mut net = Net::new(true, false);
    net.udp_blocked = udp_blocked;
    for (s, ip) in [(0, A_IP), (1, B_IP)] {
        let ip_addr = ip.parse().unwrap();
        net.add(s, Candidate::host(SocketAddr::new(ip_addr, 5000), 65535, 1));
        net.add(s, tcp(ip, 0, TcpType::Active));
        net.add(s, tcp(ip, 5001, TcpType::Passive));
    }
    net.signal();
    net
}

#[test]
fn mixed_udp_and_tcp_prefers_udp() {
    let mut net = mixed(false);
    assert!(net.run_until(Duration::from_secs(10), Net::connected));
    // Let every check finish: TCP pairs succeed too, UDP stays selected.
    net.run_until(Duration::from_secs(2), |_| false);
    assert_eq!(
        net.a().selected_pair(),
        Some((addr("10.0.0.1:5000"), addr("10.0.0.2:5000")))
    );
    assert_eq!(
        net.b().selected_pair(),
        Some((addr("10.0.0.2:5000"), addr("10.0.0.1:5000")))
    );
    assert_eq!(
        net.a().selected_candidates().unwrap().0.transport,
        Transport::Udp
    );
    assert!(net.sides[0].tcp_sent > 0 && net.sides[1].tcp_sent > 0);
    assert!(!net.conns.is_empty(), "TCP pairs were checked too");
    assert_eq!(net.selected_events(0).len(), 1);
    assert_eq!(net.selected_events(0)[0].2, Transport::Udp);
    // The drivers close the TCP connections the selected pair does not use (RFC 6544 §8):
    // the agents do not reopen them.
    let opened = net.conns.len();
    for c in 0..opened {
        net.break_connection(c);
    }
    net.run_until(Duration::from_secs(10), |_| false);
    assert_eq!(net.conns.len(), opened, "nothing reopened");
    assert!(net.connected());
    assert_eq!(net.selected_events(0).len(), 1);
}

#[test]
fn mixed_falls_back_to_tcp_when_udp_is_blocked() {
    let mut net = mixed(true);
    assert!(
        net.run_until(Duration::from_secs(30), Net::connected),
        "{:?} {:?}",
        net.a(),
        net.b()
    );
    let (a_local, _) = net.a().selected_candidates().unwrap();
    let (b_local, _) = net.b().selected_candidates().unwrap();
    assert!(a_local.transport.is_tcp() && b_local.transport.is_tcp());
    // The two sides agree on the connection.
    let (al, ar) = net.a().selected_pair().unwrap();
    let (bl, br) = net.b().selected_pair().unwrap();
    let c = net.sides[0].conns[&(al, ar)];
    assert_eq!(net.sides[1].conns[&(bl, br)], c);
    net.send_data(0, "over tcp");
    net.run_until(Duration::from_millis(100), |_| false);
    assert_eq!(net.received(1, "over tcp"), Some((bl, br)));
}

#[test]
fn a_refused_connection_fails_the_pair_at_once() {
    let mut net = tcp_only(0, true);
    net.refuse_tcp = true;
    let start = net.now;
    assert!(net.run_until(Duration::from_secs(30), |n| n.a().state()
        == IceState::Failed));
    let took = net.now - start;
    // One connection attempt, its reset after a round trip: far below the check timeout.
    assert!(took < Duration::from_millis(100), "{took:?}");
}

#[test]
fn a_silent_connection_attempt_fails_after_the_tcp_check_timeout() {
    let mut net = tcp_only(0, true);
    net.blackhole_tcp = true;
    let start = net.now;
    assert!(net.run_until(Duration::from_secs(30), |n| n.a().state()
        == IceState::Failed));
    let took = net.now - start;
    let timeout = Config::new(true).tcp_check_timeout;
    assert!(
        took >= timeout && took < timeout + Duration::from_secs(1),
        "{took:?}"
    );
    // Not retransmitted (RFC 6544 §7.1).
    assert_eq!(net.sides[0].tcp_sent, 1);
}

#[test]
fn a_broken_connection_is_reopened_by_the_active_end() {
    for a_controlling in [true, false] {
        let case = format!("A (active) controlling {a_controlling}");
        let mut net = tcp_only(0, a_controlling);
        assert!(
            net.run_until(Duration::from_secs(10), Net::connected),
            "{case}"
        );
        let (_, old_remote) = net.b().selected_pair().unwrap();
        net.break_connection(0);
        // The active end reopens at once and both sides move to the new connection.
        let moved = |n: &Net| {
            n.b().selected_pair().is_some_and(|(_, r)| r != old_remote)
                && n.a()
                    .selected_candidates()
                    .is_some_and(|(l, _)| l.address != old_remote)
        };
        assert!(
            net.run_until(Duration::from_secs(10), moved),
            "{case}: {:?} {:?}",
            net.a(),
            net.b()
        );
        assert_eq!(net.conns.len(), 2, "{case}");
        assert_eq!(net.sides[0].opened, 2);
        let new_remote = net.conns[1].ends[1].1.1;
        assert_eq!(
            net.b().selected_pair(),
            Some((addr("10.0.0.2:6000"), new_remote))
        );
        assert_eq!(
            net.a().selected_pair(),
            Some((addr("10.0.0.1:9"), addr("10.0.0.2:6000")))
        );
        assert_eq!(
            net.a().selected_candidates().unwrap().0.address,
            new_remote,
            "{case}: the valid pair is on the new connection's port"
        );
        assert!(net.connected(), "{case}");
        net.send_data(0, "again");
        net.send_data(1, "again too");
        net.run_until(Duration::from_millis(100), |_| false);
        assert!(net.received(1, "again").is_some(), "{case}");
        assert!(net.received(0, "again too").is_some(), "{case}");
        // It stays up: consent over the new connection.
        net.run_until(Duration::from_secs(40), |_| false);
        assert!(net.connected(), "{case}");
    }
}

#[test]
fn an_answer_queued_for_a_closed_connection_is_dropped_not_sent_on_a_new_one() {
    // The race of a driver closing the connections the selection does not use (RFC 6544 §8)
    // while a check that came on one is answered: the answer belongs to that connection
    // (RFC 8489 §6.3.1.2) and must not make the driver open another from the active candidate.
    let mut net = tcp_only(0, true);
    assert!(net.run_until(Duration::from_secs(10), Net::connected));
    // B (passive) checks A (active) on the connection: a consent check, taken off B's queue.
    let request = loop {
        let at = net.b().poll_timeout().expect("consent checks are due");
        net.now = net.now.max(at);
        let now = net.now;
        net.sides[1].agent.handle_timeout(now);
        if let Some(t) = net.sides[1].agent.poll_transmit() {
            break t;
        }
    };
    assert!(matches!(
        request.transport,
        Transport::Tcp(TcpType::Passive)
    ));
    let key = (addr("10.0.0.1:9"), addr("10.0.0.2:6000"));
    assert!(net.sides[0].conns.contains_key(&key));
    let now = net.now;
    let a = &mut net.sides[0].agent;
    assert!(a.handle_tcp_packet(now, key.0, key.1, &request.contents));
    // The driver closes the connection before it polls the answer.
    a.tcp_closed(now, key.0, key.1);
    let mut queued = Vec::new();
    while let Some(t) = a.poll_transmit() {
        queued.push(t);
    }
    let answers: Vec<_> = queued
        .iter()
        .filter(|t| {
            rtc_stun::Message::parse(&t.contents)
                .is_ok_and(|m| m.class() != rtc_stun::Class::Request)
        })
        .collect();
    assert!(answers.is_empty(), "answers still queued: {answers:?}");
}

#[test]
fn a_broken_connection_the_active_end_cannot_reopen_ends_in_failure() {
    let mut net = tcp_only(0, true);
    assert!(net.run_until(Duration::from_secs(10), Net::connected));
    net.refuse_tcp = true;
    net.break_connection(0);
    let start = net.now;
    assert!(net.run_until(Duration::from_secs(60), |n| {
        n.a().state() == IceState::Failed && n.b().state() == IceState::Failed
    }));
    // Consent freshness (RFC 7675): 30 s without an answer.
    let took = net.now - start;
    assert!(
        took >= Duration::from_secs(25) && took <= Duration::from_secs(36),
        "{took:?}"
    );
}

#[test]
fn a_full_active_agent_connects_to_a_lite_passive_one() {
    // RFC 6544 §4.4: a lite agent offers passive TCP host candidates only.
    let mut net = Net::new(true, false);
    let provider = rtc_crypto::default_provider();
    net.sides[1].agent = Agent::new(Config::lite(), Credentials::random(provider));
    net.add(0, tcp(A_IP, 0, TcpType::Active));
    net.add(1, tcp(B_IP, 6000, TcpType::Passive));
    net.signal();
    assert!(net.run_until(Duration::from_secs(10), Net::connected));
    let ephemeral = net.conns[0].ends[1].1.1;
    assert_eq!(
        net.b().selected_pair(),
        Some((addr("10.0.0.2:6000"), ephemeral))
    );
    assert_eq!(
        net.sides[1].tcp_sent, 2,
        "answers only: the check and the nomination"
    );
}

#[test]
fn garbage_frames_are_dropped_and_data_handed_back() {
    let mut net = tcp_only(0, true);
    let now = net.now;
    let (local, from) = (addr("10.0.0.2:6000"), addr("10.0.0.1:50999"));
    let b = &mut net.sides[1].agent;
    // Not STUN: the driver's.
    assert!(!b.handle_tcp_packet(now, local, from, &[0x17, 0xfe, 0xfd]));
    assert!(!b.handle_tcp_packet(now, local, from, &[]));
    // STUN-looking, not valid.
    let mut junk = vec![0u8; 20];
    junk[1] = 1;
    junk[4..8].copy_from_slice(&0x2112_A442u32.to_be_bytes());
    assert!(b.handle_tcp_packet(now, local, from, &junk));
    assert!(b.dropped() >= 1);
    // A closed connection nobody knows of changes nothing.
    b.tcp_closed(now, local, from);
    assert!(net.run_until(Duration::from_secs(10), Net::connected));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn frames_survive_any_split(
        frames in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..1200), 0..8),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..12),
    ) {
        let mut stream = Vec::new();
        for f in &frames {
            let mut buf = vec![0u8; tcp::encoded_len(f.len())];
            let n = tcp::encode(f, &mut buf).unwrap();
            prop_assert_eq!(n, buf.len());
            stream.extend_from_slice(&buf);
        }
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(stream.len() + 1)).collect();
        points.push(0);
        points.push(stream.len());
        points.sort_unstable();
        let mut decoder = FrameDecoder::new();
        let mut out = Vec::new();
        for w in points.windows(2) {
            decoder.decode(&stream[w[0]..w[1]], |f| out.push(f.to_vec())).unwrap();
        }
        prop_assert_eq!(out, frames);
        prop_assert_eq!(decoder.buffered(), 0);
    }

    #[test]
    fn any_stream_is_decoded_without_panic_and_within_bounds(
        stream in proptest::collection::vec(any::<u8>(), 0..3000),
        max in 0usize..2000,
        piece in 1usize..64,
    ) {
        let mut decoder = FrameDecoder::with_max_frame(max);
        let mut decoded = Vec::new();
        let mut error = None;
        for chunk in stream.chunks(piece) {
            if let Err(e) = decoder.decode(chunk, |f| decoded.push(f.to_vec())) {
                error = Some(e);
                break;
            }
            prop_assert!(decoder.buffered() <= tcp::HEADER_LEN + max);
        }
        // What came out re-encodes to a prefix of the stream.
        let mut again = Vec::new();
        for f in &decoded {
            prop_assert!(f.len() <= max);
            again.extend_from_slice(&tcp::header(f.len()).unwrap());
            again.extend_from_slice(f);
        }
        prop_assert_eq!(&stream[..again.len()], &again[..]);
        if let Some(e) = error {
            let rest = &stream[again.len()..];
            let length = usize::from(u16::from_be_bytes([rest[0], rest[1]]));
            prop_assert_eq!(e, FramingError::FrameTooLong { length, max });
            prop_assert!(length > max);
        }
    }
}
