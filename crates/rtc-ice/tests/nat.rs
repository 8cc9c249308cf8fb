//! Server-reflexive gathering through a STUN server (rtc-stun's binding server) and a
//! connection through an endpoint-independent NAT, on a virtual network.

#![allow(clippy::disallowed_methods)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtc_ice::{Agent, Candidate, CandidateKind, Config, Credentials, Event, IceState};
use rtc_stun::{BindingServer, ServerConfig};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

const A_PRIVATE: &str = "192.168.0.2:5000";
const A_PUBLIC: &str = "203.0.113.5:40000";
const STUN: &str = "198.51.100.1:3478";
const B: &str = "198.51.100.9:6000";

/// One packet on the wire: (arrival, source, destination, bytes).
type Packet = (Instant, SocketAddr, SocketAddr, Vec<u8>);

#[test]
fn gathers_server_reflexive_and_connects_through_a_cone_nat() {
    let now = Instant::now();
    let provider = rtc_crypto::default_provider();
    let mut config = Config::new(true);
    config.stun_servers = vec![addr(STUN)];
    let mut a = Agent::new(config, Credentials::random(provider));
    let mut b = Agent::new(Config::new(false), Credentials::random(provider));
    let mut stun = BindingServer::new(ServerConfig::default());
    let mut wire: VecDeque<Packet> = VecDeque::new();
    let mut now = now;
    a.add_local_candidate(now, Candidate::host(addr(A_PRIVATE), 65535, 1));
    b.add_local_candidate(now, Candidate::host(addr(B), 65535, 1));
    let (ca, cb) = (a.local_credentials().clone(), b.local_credentials().clone());
    a.set_remote_credentials(now, cb);
    b.set_remote_credentials(now, ca);
    a.add_remote_candidate(now, b.local_candidates()[0].clone());
    // A's host candidate is signalled too: unreachable from B (private).
    b.add_remote_candidate(now, a.local_candidates()[0].clone());
    let mut gathered = Vec::new();
    let mut complete = false;
    let end = now + Duration::from_secs(20);
    while !(a.state() == IceState::Connected && b.state() == IceState::Connected) {
        assert!(now < end, "stalled: {a:?} {b:?}");
        // Outgoing, through the NAT for A (endpoint-independent mapping and filtering).
        while let Some(t) = a.poll_transmit() {
            assert_eq!(t.source, addr(A_PRIVATE));
            wire.push_back((
                now + Duration::from_millis(10),
                addr(A_PUBLIC),
                t.destination,
                t.contents,
            ));
        }
        while let Some(t) = b.poll_transmit() {
            wire.push_back((
                now + Duration::from_millis(10),
                t.source,
                t.destination,
                t.contents,
            ));
        }
        while let Some(t) = stun.poll_transmit() {
            wire.push_back((
                now + Duration::from_millis(10),
                addr(STUN),
                t.destination,
                t.contents.to_vec(),
            ));
        }
        while let Some(e) = a.poll_event() {
            match e {
                Event::LocalCandidate(c) => {
                    // Trickled to B through signalling.
                    b.add_remote_candidate(now, c.clone());
                    gathered.push(c);
                }
                Event::GatheringComplete => complete = true,
                _ => {}
            }
        }
        while b.poll_event().is_some() {}
        let next = [
            wire.front().map(|w| w.0),
            a.poll_timeout(),
            b.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
        .expect("something to do");
        now = now.max(next);
        while wire.front().is_some_and(|w| w.0 <= now) {
            let (_, from, to, bytes) = wire.pop_front().unwrap();
            if to == addr(STUN) {
                let _ = stun.handle_input(from, &bytes);
            } else if to == addr(A_PUBLIC) {
                assert!(a.handle_packet(now, addr(A_PRIVATE), from, &bytes));
            } else if to == addr(B) {
                assert!(b.handle_packet(now, to, from, &bytes));
            }
            // Anything to A's private address is lost on the public network.
        }
        if a.poll_timeout().is_some_and(|t| t <= now) {
            a.handle_timeout(now);
        }
        if b.poll_timeout().is_some_and(|t| t <= now) {
            b.handle_timeout(now);
        }
    }
    assert!(complete, "gathering completed");
    assert_eq!(gathered.len(), 1);
    assert_eq!(gathered[0].kind, CandidateKind::ServerReflexive);
    assert_eq!(gathered[0].address, addr(A_PUBLIC));
    assert_eq!(gathered[0].related, Some(addr(A_PRIVATE)));
    assert_eq!(a.selected_pair(), Some((addr(A_PRIVATE), addr(B))));
    assert_eq!(b.selected_pair(), Some((addr(B), addr(A_PUBLIC))));
    // The valid pair is on the server-reflexive candidate B's answers named (RFC 8445
    // §7.2.5.3.2), whichever of the STUN server's and B's answers came first.
    let (ours, _) = a.selected_candidates().unwrap();
    assert_eq!(
        (ours.kind, ours.address),
        (CandidateKind::ServerReflexive, addr(A_PUBLIC))
    );
    assert!(
        !a.local_candidates()
            .iter()
            .any(|c| c.kind == CandidateKind::PeerReflexive)
    );
}

#[test]
fn learns_a_local_peer_reflexive_candidate_behind_a_nat_without_a_stun_server() {
    // A behind the same endpoint-independent NAT, no STUN server: only B's answers (their
    // XOR-MAPPED-ADDRESS) tell A its public address (RFC 8445 §7.2.5.3.1).
    for a_controlling in [true, false] {
        let mut now = Instant::now();
        let provider = rtc_crypto::default_provider();
        let mut a = Agent::new(Config::new(a_controlling), Credentials::random(provider));
        let mut b = Agent::new(Config::new(!a_controlling), Credentials::random(provider));
        let host = Candidate::host(addr(A_PRIVATE), 65535, 1);
        a.add_local_candidate(now, host.clone());
        b.add_local_candidate(now, Candidate::host(addr(B), 65535, 1));
        let (ca, cb) = (a.local_credentials().clone(), b.local_credentials().clone());
        a.set_remote_credentials(now, cb);
        b.set_remote_credentials(now, ca);
        a.add_remote_candidate(now, b.local_candidates()[0].clone());
        b.add_remote_candidate(now, host.clone());
        let mut wire: VecDeque<Packet> = VecDeque::new();
        let mut a_events = Vec::new();
        let end = now + Duration::from_secs(20);
        while !(a.state() == IceState::Connected && b.state() == IceState::Connected) {
            assert!(now < end, "stalled: {a:?} {b:?}");
            let at = now + Duration::from_millis(10);
            while let Some(t) = a.poll_transmit() {
                wire.push_back((at, addr(A_PUBLIC), t.destination, t.contents));
            }
            while let Some(t) = b.poll_transmit() {
                wire.push_back((at, t.source, t.destination, t.contents));
            }
            a_events.extend(std::iter::from_fn(|| a.poll_event()));
            while b.poll_event().is_some() {}
            let next = [
                wire.front().map(|w| w.0),
                a.poll_timeout(),
                b.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min()
            .expect("something to do");
            now = now.max(next);
            while wire.front().is_some_and(|w| w.0 <= now) {
                let (_, from, to, bytes) = wire.pop_front().unwrap();
                if to == addr(A_PUBLIC) {
                    assert!(a.handle_packet(now, addr(A_PRIVATE), from, &bytes));
                } else if to == addr(B) {
                    assert!(b.handle_packet(now, to, from, &bytes));
                }
            }
            if a.poll_timeout().is_some_and(|t| t <= now) {
                a.handle_timeout(now);
            }
            if b.poll_timeout().is_some_and(|t| t <= now) {
                b.handle_timeout(now);
            }
        }
        let learned: Vec<&Candidate> = a
            .local_candidates()
            .iter()
            .filter(|c| c.kind == CandidateKind::PeerReflexive)
            .collect();
        assert_eq!(learned.len(), 1, "controlling {a_controlling}");
        let prflx = learned[0];
        assert_eq!(prflx.address, addr(A_PUBLIC));
        assert_eq!(prflx.base, addr(A_PRIVATE));
        // The priority A's checks carried in PRIORITY (RFC 8445 §7.1.1).
        assert_eq!(prflx.priority, (110 << 24) | (host.priority & 0x00ff_ffff));
        // The valid pair, and so the selected one, is on it; media goes from the base.
        assert_eq!(a.selected_candidates().unwrap().0, prflx);
        assert_eq!(a.selected_pair(), Some((addr(A_PRIVATE), addr(B))));
        assert_eq!(b.selected_pair(), Some((addr(B), addr(A_PUBLIC))));
        // B, not behind a NAT, learned none of its own, and A's public address as the
        // peer's.
        assert!(
            !b.local_candidates()
                .iter()
                .any(|c| c.kind == CandidateKind::PeerReflexive)
        );
        assert_eq!(b.selected_candidates().unwrap().1.address, addr(A_PUBLIC));
        // Not signalled (RFC 8445 §7.2.5.3.1 leaves that optional), and forgotten by a
        // restart.
        a_events.extend(std::iter::from_fn(|| a.poll_event()));
        assert!(
            !a_events
                .iter()
                .any(|e| matches!(e, Event::LocalCandidate(_)))
        );
        a.restart(Credentials::random(provider));
        assert_eq!(a.local_candidates(), [host]);
    }
}
