//! Connectivity checks (RFC 8445 §7): sending them on the timers, answering the peer's, valid
//! pairs (with local peer-reflexive candidates, §7.2.5.3), nomination (§8.1), consent
//! freshness (RFC 7675).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtc_stun::{
    Attribute, Class, ErrorCode, IceCheck, IceRole, Message, MessageBuilder, Method, TransactionId,
};

use super::{Agent, Event, IceState, Pair, PairState};
use crate::candidate::{Candidate, CandidateKind, Transport};

/// Local peer-reflexive candidates kept at most (each comes from an authenticated answer
/// naming an address that is none of ours; a bound keeps a misbehaving peer from growing the
/// list without end).
const MAX_LOCAL_PEER_REFLEXIVE: usize = 64;

impl Agent {
    /// Runs what is due: the next check (one per Ta), retransmissions, nomination, consent.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.gather_timeout(now);
        if matches!(self.state, IceState::New | IceState::Failed)
            || self.remote.is_none()
            || self.config.lite
        {
            return;
        }
        // Retransmissions (RFC 8489 §6.2.1), failing the pair after the last one (on TCP,
        // after `tcp_check_timeout` without any).
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
        // Regular nomination by the controlling agent (RFC 8445 §8.1.1; RFC 6544 §8 requires
        // it with TCP candidates).
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

    /// The best pair of the valid list (RFC 8445 §7.2.5.3.2).
    pub(super) fn best_valid(&self) -> Option<usize> {
        self.pairs
            .iter()
            .enumerate()
            .filter(|(_, p)| p.valid)
            .max_by_key(|(_, p)| p.priority)
            .map(|(i, _)| i)
    }

    pub(super) fn check_failed(&mut self) {
        if self.state == IceState::Checking
            && self.remote_end_of_candidates
            && !self.pairs.is_empty()
            && self.pairs.iter().all(|p| p.state == PairState::Failed)
        {
            self.set_state(IceState::Failed);
        }
    }

    /// PRIORITY of a check from our candidate `l` (RFC 8445 §7.1.1): what a peer-reflexive
    /// candidate learned from it would get, our local preference and component with the
    /// peer-reflexive type preference of its transport.
    fn check_priority(&self, l: usize) -> u32 {
        let c = &self.local_candidates[l];
        (CandidateKind::PeerReflexive.type_preference_on(c.transport) << 24)
            | (c.priority & 0x00ff_ffff)
    }

    /// Sends (or resends) a Binding request on pair `i` (RFC 8445 §7.2.4).
    pub(super) fn send_check(&mut self, now: Instant, i: usize, nominate: bool) {
        let priority = self.check_priority(self.pairs[i].local);
        let transport = self.local_candidates[self.pairs[i].local].transport;
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
        if transport.is_tcp() {
            // RFC 6544 §7.1: TCP delivers the check, so it is not retransmitted; without an
            // answer in time the pair fails.
            pair.attempts = self.config.check_attempts;
            pair.retransmit_at = Some(now + self.config.tcp_check_timeout);
        } else {
            pair.attempts += 1;
            let backoff = self.config.check_rto * 2u32.saturating_pow(pair.attempts.min(8) - 1);
            pair.retransmit_at = Some(now + backoff.min(Duration::from_secs(8)));
        }
        if pair.state != PairState::Succeeded {
            pair.state = PairState::InProgress;
        }
        self.transactions.insert(tid, i);
        let source = self.local_candidates[pair.local].base;
        let destination = self.remote_candidates[pair.remote].address;
        let username = format!("{}:{}", remote.ufrag, self.local.ufrag);
        let check = IceCheck {
            transaction_id: tid,
            username: &username,
            priority,
            role: if self.controlling {
                IceRole::Controlling(self.tie_breaker)
            } else {
                IceRole::Controlled(self.tie_breaker)
            },
            use_candidate: nominate && self.controlling,
        };
        let mut buf = [0u8; 256];
        let Ok(len) = check.write(&mut buf, key) else {
            return;
        };
        let contents = buf[..len].to_vec();
        if !self.emit(now, source, destination, contents, transport) {
            // Through a relay without a permission yet: asked for; the check goes again
            // soon without counting this attempt.
            let pair = &mut self.pairs[i];
            pair.attempts -= 1;
            pair.retransmit_at = Some(now + self.config.ta);
        }
    }

    /// A UDP datagram that arrived on the local socket `local` from `from`. Returns false
    /// when it is not STUN (media or DTLS: the driver's). STUN that is malformed,
    /// unauthenticated or unexpected is dropped (counted in [`Agent::dropped`]).
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
                && !self.handle_direct(now, relayed, peer, &data, false)
            {
                // Not STUN: the application's, through `poll_relayed_data`.
                self.relayed_data.push_back((peer, data));
            }
            return true;
        }
        self.handle_direct(now, local, from, bytes, false)
    }

    /// A datagram (`tcp`: a frame off a TCP connection) for the agent itself.
    pub(super) fn handle_direct(
        &mut self,
        now: Instant,
        local: SocketAddr,
        from: SocketAddr,
        bytes: &[u8],
        tcp: bool,
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
            Class::Request => self.on_request(now, local, from, &message, tcp),
            Class::Success | Class::Error => self.on_response(now, local, from, &message, tcp),
            Class::Indication => {} // keepalive (RFC 8445 §11)
        }
        true
    }

    fn on_request(
        &mut self,
        now: Instant,
        local: SocketAddr,
        from: SocketAddr,
        m: &Message<'_>,
        tcp: bool,
    ) {
        // RFC 8445 §7.3: short-term credentials, USERNAME starting with our ufrag.
        let ours = m
            .username()
            .and_then(|u| u.split_once(':'))
            .is_some_and(|(l, _)| l == self.local.ufrag);
        if !ours || !m.has_fingerprint() || m.verify_integrity(&self.local_key).is_err() {
            self.dropped += 1;
            return;
        }
        let Some(l) = self
            .local_candidates
            .iter()
            .position(|c| c.base == local && c.transport.is_tcp() == tcp)
        else {
            self.dropped += 1;
            return;
        };
        let transport = self.local_candidates[l].transport;
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
                    .add_message_integrity_and_fingerprint(&self.local_key)?;
                Ok(b.finish().to_vec())
            })
        } else {
            MessageBuilder::new(&mut buf, Class::Success, Method::BINDING, tid).and_then(|mut b| {
                b.add(&Attribute::XorMappedAddress(from))?
                    .add_message_integrity_and_fingerprint(&self.local_key)?;
                Ok(b.finish().to_vec())
            })
        };
        if let Ok(contents) = reply {
            self.emit(now, local, from, contents, transport);
        }
        if conflict {
            return;
        }
        // The peer's address: a known candidate, or a new peer-reflexive one (§7.3.1.3; RFC
        // 6544 §7.2: a connection accepted on a passive candidate comes from the peer's
        // active candidate's ephemeral port).
        let r = match self
            .remote_candidates
            .iter()
            .position(|c| c.address == from && c.transport.is_tcp() == tcp)
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
                self.remote_candidates.push(Candidate::peer_reflexive(
                    from,
                    from,
                    priority,
                    component,
                    transport.counterpart(),
                ));
                self.remote_candidates.len() - 1
            }
        };
        let Some(i) = self.add_pair(l, r, true) else {
            return;
        };
        let use_candidate = m.attributes().any(|a| matches!(a, Attribute::UseCandidate));
        if self.config.lite {
            // §7.3.1.5 for a lite agent: no checks of its own; the pair the full agent
            // nominates is selected (and consent is the peer's to keep).
            self.pairs[i].state = PairState::Succeeded;
            self.pairs[i].valid = true;
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
                // §7.3.1.5: the valid pair this pair's check produced.
                let v = self.pairs[i].valid_pair.unwrap_or(i);
                self.nominate(now, v);
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

    fn on_response(
        &mut self,
        now: Instant,
        local: SocketAddr,
        from: SocketAddr,
        m: &Message<'_>,
        tcp: bool,
    ) {
        let tid = m.transaction_id();
        if self.gathering.contains_key(&tid) {
            if tcp {
                self.dropped += 1; // gathering is UDP
            } else {
                self.on_gather_response(now, local, m);
            }
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
        // §7.2.5.2.1: source and destination must be symmetric (for TCP: the answer came on
        // the connection the check went on).
        let ours = &self.local_candidates[l];
        if from != self.remote_candidates[r].address
            || local != ours.base
            || ours.transport.is_tcp() != tcp
        {
            self.pairs[i].state = PairState::Failed;
            return;
        }
        self.pairs[i].state = PairState::Succeeded;
        // §7.2.5.3.1, §7.2.5.3.2: the valid pair, on a new local peer-reflexive candidate
        // when the peer saw us at an address that is none of ours.
        let v = match m.xor_mapped_address() {
            Some(mapped) => self.valid_pair(i, mapped),
            None => i,
        };
        self.pairs[i].valid_pair = Some(v);
        // §7.2.5.3.3: both Succeeded.
        self.pairs[v].state = PairState::Succeeded;
        self.pairs[v].valid = true;
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
        if self.selected.is_some_and(|s| s == i || s == v) {
            self.last_consent = Some(now);
        }
        if self.first_valid.is_none() {
            self.first_valid = Some(now);
        }
        if (nominating && self.controlling) || (!self.controlling && self.pairs[i].peer_nominated) {
            self.nominate(now, v);
        }
    }

    /// The valid pair (RFC 8445 §7.2.5.3.2) for a successful check on pair `i` whose answer
    /// says the peer saw us at `mapped`: the pair whose local candidate is at `mapped`, made
    /// when it is not in the check list, with a new local peer-reflexive candidate when
    /// `mapped` is none of ours (§7.2.5.3.1: its base the base of the pair's local candidate,
    /// its priority the check's PRIORITY).
    fn valid_pair(&mut self, i: usize, mapped: SocketAddr) -> usize {
        let (l, r) = (self.pairs[i].local, self.pairs[i].remote);
        let local = &self.local_candidates[l];
        if mapped == local.address {
            return i;
        }
        let (base, transport, component) = (local.base, local.transport, local.component);
        let known = self
            .local_candidates
            .iter()
            .position(|c| c.address == mapped && c.transport.is_tcp() == transport.is_tcp());
        let vl = match known {
            Some(vl) if self.local_candidates[vl].base == base => vl,
            // An address of ours on another base: the checked pair stays the valid one.
            Some(_) => return i,
            None => {
                let learned = self
                    .local_candidates
                    .iter()
                    .filter(|c| c.kind == CandidateKind::PeerReflexive)
                    .count();
                if learned >= MAX_LOCAL_PEER_REFLEXIVE {
                    return i;
                }
                let priority = self.check_priority(l);
                self.local_candidates.push(Candidate::peer_reflexive(
                    mapped, base, priority, component, transport,
                ));
                self.local_candidates.len() - 1
            }
        };
        if vl == l {
            return i;
        }
        if let Some(v) = self
            .pairs
            .iter()
            .position(|p| p.local == vl && p.remote == r)
        {
            return v;
        }
        // §7.2.5.3.2 item 3: a pair not in the check list, prioritised from its candidates.
        let priority = self.pair_priority(vl, r);
        self.pairs.push(Pair {
            local: vl,
            remote: r,
            priority,
            state: PairState::Succeeded,
            nominated: false,
            peer_nominated: false,
            tid: None,
            nominating: false,
            sent_controlling: false,
            attempts: 0,
            retransmit_at: None,
            valid: true,
            valid_pair: None,
        });
        self.pairs.len() - 1
    }

    /// Pair `i` is nominated (§7.2.5.3.4, §8.1.1); the highest-priority nominated pair is
    /// selected, and one nominated after the selected one lost its connection (no longer
    /// valid, see [`Agent::tcp_closed`]) replaces it.
    fn nominate(&mut self, now: Instant, i: usize) {
        self.pairs[i].nominated = true;
        let better = self.selected.is_none_or(|s| {
            s != i && (self.pairs[i].priority > self.pairs[s].priority || !self.pairs[s].valid)
        });
        if better {
            self.selected = Some(i);
            self.last_consent = Some(now);
            self.consent_at = Some(now + self.config.consent_interval);
            let transport = self.local_candidates[self.pairs[i].local].transport;
            let Some((local, remote)) = self.selected_pair() else {
                return;
            };
            // A relayed pair gets a channel (RFC 8656 §12): 4 bytes of overhead instead of a
            // Send indication's 36.
            if let Some(r) = self
                .relays
                .iter()
                .position(|r| r.relayed == Some(local))
                .filter(|_| transport == Transport::Udp)
            {
                let _ = self.relays[r].client.bind_channel(now, remote);
                self.flush_relay(r);
            }
            self.events.push_back(Event::SelectedPair {
                local,
                remote,
                transport,
            });
            self.set_state(IceState::Connected);
        }
    }
}
