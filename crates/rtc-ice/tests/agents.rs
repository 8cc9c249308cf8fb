//! Two agents on a virtual network with virtual time: every role combination, loss, role
//! conflict, trickled and late candidates, restart, consent expiry, garbage.

#![allow(clippy::disallowed_methods)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtc_ice::{Agent, Candidate, CandidateKind, Config, Credentials, Event, IceState};

struct Net {
    a: Agent,
    b: Agent,
    now: Instant,
    wire: VecDeque<(Instant, SocketAddr, SocketAddr, Vec<u8>)>,
    /// Addresses that belong to A (the rest are B's).
    a_addrs: Vec<SocketAddr>,
    loss: u64,
    count: u64,
    blackhole: bool,
    a_events: Vec<Event>,
    b_events: Vec<Event>,
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

impl Net {
    fn new(a_controlling: bool, b_controlling: bool) -> Self {
        let now = Instant::now();
        let provider = rtc_crypto::default_provider();
        Self {
            a: Agent::new(Config::new(a_controlling), Credentials::random(provider)),
            b: Agent::new(Config::new(b_controlling), Credentials::random(provider)),
            now,
            wire: VecDeque::new(),
            a_addrs: Vec::new(),
            loss: 0,
            count: 0,
            blackhole: false,
            a_events: Vec::new(),
            b_events: Vec::new(),
        }
    }

    /// Host candidates for both and credentials exchanged (signalling).
    fn setup(&mut self, a_hosts: &[&str], b_hosts: &[&str], exchange_candidates: bool) {
        let now = self.now;
        for h in a_hosts {
            self.a_addrs.push(addr(h));
            self.a
                .add_local_candidate(now, Candidate::host(addr(h), 65535, 1));
        }
        for h in b_hosts {
            self.b
                .add_local_candidate(now, Candidate::host(addr(h), 65535, 1));
        }
        let (ca, cb) = (
            self.a.local_credentials().clone(),
            self.b.local_credentials().clone(),
        );
        self.a.set_remote_credentials(now, cb);
        self.b.set_remote_credentials(now, ca);
        if exchange_candidates {
            for c in self.b.local_candidates().to_vec() {
                self.a.add_remote_candidate(now, c);
            }
            for c in self.a.local_candidates().to_vec() {
                self.b.add_remote_candidate(now, c);
            }
        }
    }

    fn step(&mut self) -> bool {
        for from_a in [true, false] {
            loop {
                let t = if from_a {
                    self.a.poll_transmit()
                } else {
                    self.b.poll_transmit()
                };
                let Some(t) = t else { break };
                self.count += 1;
                let r = (self.count.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) % 1000;
                if self.blackhole || r < self.loss {
                    continue;
                }
                self.wire.push_back((
                    self.now + Duration::from_millis(10),
                    t.source,
                    t.destination,
                    t.contents,
                ));
            }
        }
        while let Some(e) = self.a.poll_event() {
            self.a_events.push(e);
        }
        while let Some(e) = self.b.poll_event() {
            self.b_events.push(e);
        }
        let next = [
            self.wire.front().map(|w| w.0),
            self.a.poll_timeout(),
            self.b.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else { return false };
        self.now = self.now.max(next);
        while self.wire.front().is_some_and(|w| w.0 <= self.now) {
            let (_, from, to, bytes) = self.wire.pop_front().unwrap();
            if self.a_addrs.contains(&to) {
                assert!(self.a.handle_packet(self.now, to, from, &bytes));
            } else {
                assert!(self.b.handle_packet(self.now, to, from, &bytes));
            }
        }
        if self.a.poll_timeout().is_some_and(|t| t <= self.now) {
            self.a.handle_timeout(self.now);
        }
        if self.b.poll_timeout().is_some_and(|t| t <= self.now) {
            self.b.handle_timeout(self.now);
        }
        true
    }

    fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Self) -> bool) -> bool {
        let end = self.now + limit;
        while !done(self) {
            if self.now > end || !self.step() {
                return done(self);
            }
        }
        true
    }

    fn connected(&self) -> bool {
        self.a.state() == IceState::Connected && self.b.state() == IceState::Connected
    }
}

#[test]
fn connects_in_every_role_combination() {
    for (ac, bc) in [(true, false), (false, true), (true, true), (false, false)] {
        let mut net = Net::new(ac, bc);
        net.setup(&["10.0.0.1:5000"], &["10.0.0.2:6000"], true);
        assert!(
            net.run_until(Duration::from_secs(10), Net::connected),
            "{ac}/{bc}: {:?} {:?}",
            net.a,
            net.b
        );
        assert_ne!(
            net.a.is_controlling(),
            net.b.is_controlling(),
            "role conflict repaired"
        );
        assert_eq!(
            net.a.selected_pair(),
            Some((addr("10.0.0.1:5000"), addr("10.0.0.2:6000")))
        );
        assert_eq!(
            net.b.selected_pair(),
            Some((addr("10.0.0.2:6000"), addr("10.0.0.1:5000")))
        );
        if ac == bc {
            assert!(
                net.a_events
                    .iter()
                    .chain(&net.b_events)
                    .any(|e| matches!(e, Event::RoleChanged { .. })),
                "a conflict was detected"
            );
        }
    }
}

#[test]
fn a_single_pair_is_nominated_as_soon_as_it_succeeds() {
    // With every pair done, regular nomination needs no delay (RFC 8445 §8.1.1): check,
    // answer, nominating check, answer: two round trips of 20 ms, not Ta or 200 ms more.
    let mut net = Net::new(true, false);
    net.setup(&["10.0.0.1:5000"], &["10.0.0.2:6000"], true);
    let start = net.now;
    assert!(net.run_until(Duration::from_secs(10), Net::connected));
    let took = net.now - start;
    assert!(
        took <= Duration::from_millis(45),
        "connected after {took:?}"
    );
}

#[test]
fn picks_the_best_pair_among_several() {
    let mut net = Net::new(true, false);
    net.setup(
        &["10.0.0.1:5000", "192.168.1.1:5001"],
        &["10.0.0.2:6000", "192.168.1.2:6001"],
        true,
    );
    assert!(net.run_until(Duration::from_secs(10), Net::connected));
    let (a_sel, b_sel) = (
        net.a.selected_pair().unwrap(),
        net.b.selected_pair().unwrap(),
    );
    assert_eq!(a_sel.0, b_sel.1);
    assert_eq!(a_sel.1, b_sel.0);
}

#[test]
fn connects_through_loss() {
    for loss in [100, 300] {
        let mut net = Net::new(true, false);
        net.loss = loss;
        net.setup(&["10.0.0.1:5000"], &["10.0.0.2:6000"], true);
        assert!(
            net.run_until(Duration::from_secs(30), Net::connected),
            "loss {loss}: {:?} {:?}",
            net.a,
            net.b
        );
    }
}

#[test]
fn trickled_and_peer_reflexive_candidates() {
    // B learns none of A's candidates: A's checks make A a peer-reflexive candidate for B.
    let mut net = Net::new(true, false);
    net.setup(&["10.0.0.1:5000"], &["10.0.0.2:6000"], false);
    let now = net.now;
    for c in net.b.local_candidates().to_vec() {
        net.a.add_remote_candidate(now, c);
    }
    assert!(
        net.run_until(Duration::from_secs(10), Net::connected),
        "{:?} {:?}",
        net.a,
        net.b
    );
    // A late candidate arrives after the connection: nothing breaks.
    let now = net.now;
    net.b
        .add_remote_candidate(now, net.a.local_candidates()[0].clone());
    net.run_until(Duration::from_secs(1), |_| false);
    assert_eq!(net.b.state(), IceState::Connected);
}

#[test]
fn fails_when_nothing_answers_and_the_peer_is_done() {
    let mut net = Net::new(true, false);
    net.blackhole = true;
    net.setup(&["10.0.0.1:5000"], &["10.0.0.2:6000"], true);
    net.a.set_remote_end_of_candidates();
    assert!(net.run_until(Duration::from_secs(60), |n| n.a.state() == IceState::Failed));
}

#[test]
fn consent_expires_when_the_peer_goes_silent() {
    let mut net = Net::new(true, false);
    net.setup(&["10.0.0.1:5000"], &["10.0.0.2:6000"], true);
    assert!(net.run_until(Duration::from_secs(10), Net::connected));
    // Consent checks keep it alive for a while.
    net.run_until(Duration::from_secs(60), |_| false);
    assert_eq!(net.a.state(), IceState::Connected);
    net.blackhole = true;
    let start = net.now;
    assert!(net.run_until(Duration::from_secs(60), |n| n.a.state() == IceState::Failed));
    let took = net.now - start;
    assert!(
        took >= Duration::from_secs(25) && took <= Duration::from_secs(36),
        "{took:?}"
    );
}

#[test]
fn restart_reconnects_with_new_credentials() {
    let mut net = Net::new(true, false);
    net.setup(&["10.0.0.1:5000"], &["10.0.0.2:6000"], true);
    assert!(net.run_until(Duration::from_secs(10), Net::connected));
    let provider = rtc_crypto::default_provider();
    net.a.restart(Credentials::random(provider));
    net.b.restart(Credentials::random(provider));
    assert_eq!(net.a.state(), IceState::New);
    let now = net.now;
    let (ca, cb) = (
        net.a.local_credentials().clone(),
        net.b.local_credentials().clone(),
    );
    net.a.set_remote_credentials(now, cb);
    net.b.set_remote_credentials(now, ca);
    for c in net.b.local_candidates().to_vec() {
        net.a.add_remote_candidate(now, c);
    }
    for c in net.a.local_candidates().to_vec() {
        net.b.add_remote_candidate(now, c);
    }
    assert!(net.run_until(Duration::from_secs(10), Net::connected));
}

#[test]
fn garbage_and_unauthenticated_checks_are_dropped() {
    let mut net = Net::new(true, false);
    net.setup(&["10.0.0.1:5000"], &["10.0.0.2:6000"], true);
    let now = net.now;
    // Not STUN: the driver's.
    assert!(!net.b.handle_packet(
        now,
        addr("10.0.0.2:6000"),
        addr("10.0.0.1:5000"),
        &[0x80, 1, 2, 3]
    ));
    // STUN-looking garbage and a check with a wrong password: dropped.
    // A Binding request whose XOR-MAPPED-ADDRESS is empty: STUN framing, invalid content.
    let mut junk = vec![0u8; 24];
    junk[1] = 1;
    junk[3] = 4;
    junk[4..8].copy_from_slice(&0x2112_A442u32.to_be_bytes());
    junk[20..22].copy_from_slice(&0x0020u16.to_be_bytes());
    assert!(
        net.b
            .handle_packet(now, addr("10.0.0.2:6000"), addr("10.0.0.1:5000"), &junk)
    );
    let mut rogue = Agent::new(
        Config::new(true),
        Credentials {
            ufrag: "x".into(),
            pwd: "wrongwrongwrongwrongwrong".into(),
        },
    );
    rogue.add_local_candidate(now, Candidate::host(addr("10.0.0.9:1"), 65535, 1));
    rogue.set_remote_credentials(
        now,
        Credentials {
            ufrag: net.b.local_credentials().ufrag.clone(),
            pwd: "nope-nope-nope-nope-nope".into(),
        },
    );
    rogue.add_remote_candidate(now, Candidate::host(addr("10.0.0.2:6000"), 65535, 1));
    rogue.handle_timeout(now);
    let t = rogue.poll_transmit().expect("a check");
    assert!(
        net.b
            .handle_packet(now, addr("10.0.0.2:6000"), t.source, &t.contents)
    );
    assert!(net.b.dropped() >= 2);
    assert!(net.b.poll_transmit().is_none() || net.b.poll_transmit().is_none());
    assert!(net.run_until(Duration::from_secs(10), Net::connected));
    assert!(
        !net.b
            .local_candidates()
            .iter()
            .any(|c| c.kind == CandidateKind::PeerReflexive)
    );
}

#[test]
fn full_agent_connects_to_a_lite_agent() {
    let provider = rtc_crypto::default_provider();
    for full_controlling in [true, false] {
        let mut net = Net::new(full_controlling, false);
        // B is lite: controlled, answers only.
        net.b = Agent::new(Config::lite(), Credentials::random(provider));
        net.setup(&["10.0.0.1:5000"], &["10.0.0.2:6000"], true);
        assert!(
            net.run_until(Duration::from_secs(10), Net::connected),
            "{:?} {:?}",
            net.a,
            net.b
        );
        assert!(net.a.is_controlling() && !net.b.is_controlling());
        assert_eq!(
            net.b.selected_pair(),
            Some((addr("10.0.0.2:6000"), addr("10.0.0.1:5000")))
        );
    }
}

#[test]
fn frozen_pairs_of_one_foundation_thaw_and_connect() {
    // Two host candidates on one address share a foundation: one pair starts frozen
    // (RFC 8445 §6.1.2.6) and is thawed by its sibling's success or checked when nothing
    // else waits.
    let mut net = Net::new(true, false);
    net.setup(
        &["10.0.0.1:5000", "10.0.0.1:5001"],
        &["10.0.0.2:6000", "10.0.0.2:6001"],
        true,
    );
    let a = net.a.local_candidates();
    assert_eq!(a[0].foundation, a[1].foundation);
    assert!(
        net.run_until(Duration::from_secs(10), Net::connected),
        "{:?} {:?}",
        net.a,
        net.b
    );
    let (a_sel, b_sel) = (
        net.a.selected_pair().unwrap(),
        net.b.selected_pair().unwrap(),
    );
    assert_eq!((a_sel.0, a_sel.1), (b_sel.1, b_sel.0));
}

#[test]
fn connects_over_ipv6_and_keeps_families_apart() {
    let mut net = Net::new(true, false);
    net.setup(
        &["[2001:db8::1]:5000", "10.0.0.1:5001"],
        &["[2001:db8::2]:6000"],
        true,
    );
    assert!(
        net.run_until(Duration::from_secs(10), Net::connected),
        "{:?} {:?}",
        net.a,
        net.b
    );
    assert_eq!(
        net.a.selected_pair(),
        Some((addr("[2001:db8::1]:5000"), addr("[2001:db8::2]:6000")))
    );
    assert_eq!(
        net.b.selected_pair(),
        Some((addr("[2001:db8::2]:6000"), addr("[2001:db8::1]:5000")))
    );
}

#[test]
fn mdns_candidates_wait_for_the_driver_to_resolve_them() {
    // What Chromium signals: host candidates behind mDNS names.
    let mut net = Net::new(true, false);
    net.setup(&["10.0.0.1:5000"], &["10.0.0.2:6000"], false);
    let now = net.now;
    let name = "3f1c2a9e-5b7d-4e0a-9c1b-2d3e4f5a6b7c.local";
    net.a
        .add_remote_candidate_sdp(
            now,
            &format!("candidate:1 1 udp 2122260223 {name} 6000 typ host generation 0"),
        )
        .unwrap();
    assert!(
        net.a
            .add_remote_candidate_sdp(now, "candidate:bogus")
            .is_err()
    );
    let mut asked = None;
    while let Some(e) = net.a.poll_event() {
        if let Event::ResolveHostname(n) = e {
            asked = Some(n);
        }
    }
    assert_eq!(asked.as_deref(), Some(name));
    net.a.resolved(now, name, "10.0.0.2".parse().unwrap());
    for c in net.a.local_candidates().to_vec() {
        net.b.add_remote_candidate(now, c);
    }
    assert!(net.run_until(Duration::from_secs(10), Net::connected));
    assert_eq!(
        net.a.selected_pair(),
        Some((addr("10.0.0.1:5000"), addr("10.0.0.2:6000")))
    );
}

#[test]
fn our_host_addresses_can_hide_behind_mdns_names() {
    let provider = rtc_crypto::default_provider();
    let mut net = Net::new(true, false);
    let mut config = Config::new(true);
    config.mdns_hostnames = true;
    net.a = Agent::new(config, Credentials::random(provider));
    net.setup(&["10.0.0.1:5000"], &["10.0.0.2:6000"], false);
    let now = net.now;
    // A's responder learns the name; B sees only the name and asks its driver.
    let mut registered = std::collections::HashMap::new();
    while let Some(e) = net.a.poll_event() {
        if let Event::RegisterHostname { name, address } = e {
            registered.insert(name, address);
        }
    }
    assert_eq!(registered.len(), 1);
    let line = net.a.local_candidates()[0].to_sdp().to_init_string();
    assert!(
        line.contains(".local") && !line.contains("10.0.0.1"),
        "{line}"
    );
    net.b.add_remote_candidate_sdp(now, &line).unwrap();
    while let Some(e) = net.b.poll_event() {
        if let Event::ResolveHostname(name) = e {
            net.b.resolved(now, &name, registered[&name]);
        }
    }
    for c in net.b.local_candidates().to_vec() {
        net.a.add_remote_candidate(now, c);
    }
    assert!(net.run_until(Duration::from_secs(10), Net::connected));
}
