//! Gathering (RFC 8445 §5.1.1.2): server-reflexive candidates from STUN servers, relayed ones
//! from TURN servers (RFC 8656), and sending through a relay.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtc_stun::{Class, Message, MessageBuilder, Method, TransactionId};
use rtc_turn::TurnClient;
use rtc_turn::client::{ClientConfig as TurnClientConfig, ClientEvent as TurnEvent};

use super::{Agent, Event, Gather, IceState, Relay, Transmit, TurnServer};
use crate::candidate::{Candidate, CandidateKind, Transport, candidate_priority};

impl Agent {
    /// Starts gathering from the UDP host candidate with base `base`: a Binding request to
    /// each STUN server and an allocation on each TURN server of its address family.
    pub(super) fn start_gathering(&mut self, now: Instant, base: SocketAddr, component: u16) {
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

    /// Gathering's timers: TURN clients' and STUN retransmissions (RFC 8489 §6.2.1), giving
    /// up on a server after the last one.
    pub(super) fn gather_timeout(&mut self, now: Instant) {
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
    }

    pub(super) fn new_tid(&self) -> TransactionId {
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
            transport: Transport::Udp,
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
    pub(super) fn flush_relay(&mut self, r: usize) {
        let relay = &mut self.relays[r];
        while let Some(t) = relay.client.poll_transmit() {
            self.transmits.push_back(Transmit {
                source: relay.base,
                destination: t.destination,
                contents: t.contents.to_vec(),
                transport: Transport::Udp,
            });
        }
    }

    /// Handles relay `r`'s events: an allocation becomes a relayed candidate (and its mapped
    /// address a server-reflexive one), permissions let checks go.
    pub(super) fn relay_events(&mut self, now: Instant, r: usize) {
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
                        transport: Transport::Udp,
                        address: relayed,
                        base: relayed,
                        related: mapped,
                        priority: candidate_priority(CandidateKind::Relayed, 65535, component),
                        foundation: crate::candidate::foundation(
                            CandidateKind::Relayed,
                            Transport::Udp,
                            base.ip(),
                            Some(server.ip()),
                        ),
                        component,
                        hostname: None,
                    };
                    self.events.push_back(Event::LocalCandidate(c.clone()));
                    self.add_local_candidate(now, c);
                    // Permissions for the peer's UDP candidates known so far.
                    let peers: Vec<std::net::IpAddr> = self
                        .remote_candidates
                        .iter()
                        .filter(|c| c.transport == Transport::Udp)
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

    /// Queues a datagram from local address `source`: directly (UDP, or TCP on the
    /// driver's connection), or through the TURN relay when `source` is a relayed address (a
    /// Send indication or ChannelData to the server). False when the relay cannot send to
    /// `destination` yet (no permission).
    pub(super) fn emit(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        contents: Vec<u8>,
        transport: Transport,
    ) -> bool {
        let relay = self
            .relays
            .iter()
            .position(|r| r.relayed == Some(source))
            .filter(|_| transport == Transport::Udp);
        let Some(r) = relay else {
            self.transmits.push_back(Transmit {
                source,
                destination,
                contents,
                transport,
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
                    transport: Transport::Udp,
                });
                true
            }
            Err(_) => false,
        }
    }

    pub(super) fn on_gather_response(&mut self, now: Instant, local: SocketAddr, m: &Message<'_>) {
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
        // A peer-reflexive candidate at the same address (learned from a check's answer
        // first) is replaced by this one, which is signalled.
        if !self.local_candidates.iter().any(|x| {
            x.address == c.address
                && x.transport == Transport::Udp
                && x.kind != CandidateKind::PeerReflexive
        }) {
            self.events.push_back(Event::LocalCandidate(c.clone()));
            self.add_local_candidate(now, c);
        }
    }
}
