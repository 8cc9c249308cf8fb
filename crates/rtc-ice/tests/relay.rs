//! Relayed candidates: an agent that cannot reach its peer directly allocates on a TURN
//! server (rtc-turn's server core) and connects through it, on a virtual network.

#![allow(clippy::disallowed_methods)]

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtc_ice::{Agent, Candidate, CandidateKind, Config, Credentials, Event, IceState, TurnServer};
use rtc_turn::{FiveTuple, ServerConfig, Transport};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

const A: &str = "203.0.113.2:5000";
const B: &str = "192.0.2.9:6000";
const TURN: &str = "198.51.100.1:3478";

/// One packet on the wire: (arrival, source, destination, bytes).
type Packet = (Instant, SocketAddr, SocketAddr, Vec<u8>);

#[test]
fn connects_through_a_turn_relay_when_direct_paths_are_blocked() {
    let mut now = Instant::now();
    let provider = rtc_crypto::default_provider();
    let mut users = HashMap::new();
    users.insert("user".to_owned(), "secret".to_owned());
    let mut server = rtc_turn::TurnServer::new(
        ServerConfig {
            relay_ip: addr(TURN).ip(),
            relay_ports: 50000..=50100,
            allow_private_peers: true,
            credentials: rtc_turn::server::Credentials {
                users,
                shared_secret: None,
            },
            ..ServerConfig::default()
        },
        [7; 16],
    );
    let mut config = Config::new(true);
    config.turn_servers = vec![TurnServer {
        address: addr(TURN),
        username: "user".into(),
        password: "secret".into(),
    }];
    let mut a = Agent::new(config, Credentials::random(provider));
    let mut b = Agent::new(Config::new(false), Credentials::random(provider));
    a.add_local_candidate(now, Candidate::host(addr(A), 65535, 1));
    b.add_local_candidate(now, Candidate::host(addr(B), 65535, 1));
    let (ca, cb) = (a.local_credentials().clone(), b.local_credentials().clone());
    a.set_remote_credentials(now, cb);
    b.set_remote_credentials(now, ca);
    a.add_remote_candidate(now, b.local_candidates()[0].clone());
    b.add_remote_candidate(now, a.local_candidates()[0].clone());
    let mut wire: VecDeque<Packet> = VecDeque::new();
    let mut relayed = None;
    let mut complete = false;
    let end = now + Duration::from_secs(30);
    while !(a.state() == IceState::Connected && b.state() == IceState::Connected) {
        assert!(now < end, "stalled: {a:?} {b:?} {:?}", server.stats());
        let delay = now + Duration::from_millis(10);
        while let Some(t) = a.poll_transmit() {
            wire.push_back((delay, t.source, t.destination, t.contents));
        }
        while let Some(t) = b.poll_transmit() {
            wire.push_back((delay, t.source, t.destination, t.contents));
        }
        while let Some(t) = server.poll_transmit() {
            wire.push_back((delay, t.source, t.destination, t.contents.to_vec()));
        }
        while server.poll_event().is_some() {}
        while let Some(e) = a.poll_event() {
            match e {
                Event::LocalCandidate(c) if c.kind == CandidateKind::Relayed => {
                    relayed = Some(c.address);
                    b.add_remote_candidate(now, c);
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
            server.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
        .expect("something to do");
        now = now.max(next);
        while wire.front().is_some_and(|w| w.0 <= now) {
            let (_, from, to, bytes) = wire.pop_front().unwrap();
            let direct = (from.ip() == addr(A).ip() && to.ip() == addr(B).ip())
                || (from.ip() == addr(B).ip() && to.ip() == addr(A).ip());
            if direct {
                continue; // a firewall between A and B
            }
            if to == addr(TURN) {
                let tuple = FiveTuple {
                    client: from,
                    server: to,
                    transport: Transport::Udp,
                };
                let _ = server.handle_client(now, tuple, &bytes);
            } else if to.ip() == addr(TURN).ip() {
                let _ = server.handle_peer(now, to, from, &bytes);
            } else if to == addr(A) {
                a.handle_packet(now, to, from, &bytes);
            } else if to == addr(B) {
                b.handle_packet(now, to, from, &bytes);
            }
        }
        if a.poll_timeout().is_some_and(|t| t <= now) {
            a.handle_timeout(now);
        }
        if b.poll_timeout().is_some_and(|t| t <= now) {
            b.handle_timeout(now);
        }
        if server.poll_timeout().is_some_and(|t| t <= now) {
            server.handle_timeout(now);
        }
    }
    // Application data both ways over the relayed pair (through a channel once bound).
    let mut got_a = Vec::new();
    let mut got_b = Vec::new();
    let end = now + Duration::from_secs(5);
    let mut sent = 0;
    while (got_a.len() < 3 || got_b.len() < 3) && now < end {
        if sent < 3 {
            let t = a
                .send_data(now, format!("a{sent}").as_bytes())
                .expect("A sends");
            wire.push_back((
                now + Duration::from_millis(10),
                t.source,
                t.destination,
                t.contents,
            ));
            let t = b
                .send_data(now, format!("b{sent}").as_bytes())
                .expect("B sends");
            wire.push_back((
                now + Duration::from_millis(10),
                t.source,
                t.destination,
                t.contents,
            ));
            sent += 1;
        }
        for x in std::iter::from_fn(|| a.poll_transmit()).collect::<Vec<_>>() {
            wire.push_back((
                now + Duration::from_millis(10),
                x.source,
                x.destination,
                x.contents,
            ));
        }
        for x in std::iter::from_fn(|| b.poll_transmit()).collect::<Vec<_>>() {
            wire.push_back((
                now + Duration::from_millis(10),
                x.source,
                x.destination,
                x.contents,
            ));
        }
        while let Some(t) = server.poll_transmit() {
            wire.push_back((
                now + Duration::from_millis(10),
                t.source,
                t.destination,
                t.contents.to_vec(),
            ));
        }
        now += Duration::from_millis(10);
        while wire.front().is_some_and(|w| w.0 <= now) {
            let (_, from, to, bytes) = wire.pop_front().unwrap();
            if to == addr(TURN) {
                let tuple = FiveTuple {
                    client: from,
                    server: to,
                    transport: Transport::Udp,
                };
                let _ = server.handle_client(now, tuple, &bytes);
            } else if to.ip() == addr(TURN).ip() {
                let _ = server.handle_peer(now, to, from, &bytes);
            } else if to == addr(A) {
                if !a.handle_packet(now, to, from, &bytes) {
                    panic!("A gets its data through the relay only");
                }
            } else if to == addr(B) && !b.handle_packet(now, to, from, &bytes) {
                got_b.push(bytes);
            }
        }
        while let Some((_, data)) = a.poll_relayed_data() {
            got_a.push(data);
        }
    }
    assert_eq!(got_a, vec![b"b0".to_vec(), b"b1".to_vec(), b"b2".to_vec()]);
    assert_eq!(got_b, vec![b"a0".to_vec(), b"a1".to_vec(), b"a2".to_vec()]);
    let relayed = relayed.expect("a relayed candidate");
    assert!(complete);
    assert_eq!(relayed.ip(), addr(TURN).ip());
    assert_eq!(a.selected_pair(), Some((relayed, addr(B))));
    let (ours, theirs) = a.selected_candidates().unwrap();
    assert_eq!(
        (ours.kind, theirs.kind),
        (CandidateKind::Relayed, CandidateKind::Host)
    );
    assert_eq!(
        b.selected_candidates().unwrap().1.kind,
        CandidateKind::Relayed
    );
    assert_eq!(b.selected_pair(), Some((addr(B), relayed)));
}
