//! `TurnClient` wired to `TurnServer` in-process on virtual time: the 401 dance, permissions and
//! Send/Data indications, channels and ChannelData both ways, refreshes past the first
//! lifetime, close, stale nonces, loss over UDP, framing over TCP, forbidden peers, forged
//! responses, timeouts, and malformed input.
#![allow(clippy::disallowed_methods)] // `Instant::now()` only picks the origin of virtual time

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use proptest::prelude::*;
use rtc_stun::{
    Attribute, Class, IntegrityKey, Message, MessageBuilder, Method, PasswordAlgorithmId,
};
use rtc_turn::client::{
    ClientConfig, ClientEvent, ClientState, Failure, SEND_OVERHEAD, TurnClient,
};
use rtc_turn::credentials::{rest_password, rest_username};
use rtc_turn::server::Credentials;
use rtc_turn::{
    Error, FiveTuple, ServerConfig, ServerEvent, Transport, TurnServer, frame_len, is_channel_data,
};

const CLIENT: &str = "192.0.2.1:40000";
const SERVER: &str = "192.0.2.100:3478";
/// Loopback, which the server relays to only with `allow_loopback_peers`.
const PEER: &str = "127.0.0.1:6000";
const OTHER_PEER: &str = "127.0.0.1:6001";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn server_config() -> ServerConfig {
    ServerConfig {
        credentials: Credentials {
            users: [("alice".to_owned(), "secret".to_owned())].into(),
            ..Credentials::default()
        },
        allow_loopback_peers: true,
        relay_ports: 50000..=50010,
        ..ServerConfig::default()
    }
}

/// Decides whether the n-th message one way (counted from 0) gets through.
type Filter = Box<dyn FnMut(usize, &[u8]) -> bool>;

/// A client, a server and the peers behind the relay, on one virtual clock.
struct Net {
    start: Instant,
    now: Instant,
    client: TurnClient,
    server: TurnServer,
    tuple: FiveTuple,
    /// Relayed addresses whose sockets the driver has open.
    relays: Vec<SocketAddr>,
    /// Client events, in order.
    events: Vec<ClientEvent>,
    /// Datagrams that reached peers: (relayed address, peer, bytes).
    at_peers: Vec<(SocketAddr, SocketAddr, Vec<u8>)>,
    /// What the client delivered: (peer, bytes).
    received: Vec<(SocketAddr, Vec<u8>)>,
    /// Everything the server sent the client, whole frames, before any loss.
    to_client: Vec<Vec<u8>>,
    /// Everything the client sent the server, before any loss.
    to_server: Vec<Vec<u8>>,
    client_errors: Vec<Error>,
    server_errors: Vec<Error>,
    up: Filter,
    down: Filter,
    /// TCP byte streams being reassembled.
    up_stream: Vec<u8>,
    down_stream: Vec<u8>,
}

impl Net {
    fn new(config: ServerConfig, transport: Transport, password: &str) -> Self {
        Self::with_client_config(config, transport, password, ClientConfig::default())
    }

    fn with_client_config(
        config: ServerConfig,
        transport: Transport,
        password: &str,
        client_config: ClientConfig,
    ) -> Self {
        let start = Instant::now();
        let tuple = FiveTuple {
            client: addr(CLIENT),
            server: addr(SERVER),
            transport,
        };
        Self {
            start,
            now: start,
            client: TurnClient::new(
                tuple.server,
                transport,
                "alice".into(),
                password.into(),
                client_config,
                [5; 32],
            ),
            server: TurnServer::new(config, [7; 16]),
            tuple,
            relays: Vec::new(),
            events: Vec::new(),
            at_peers: Vec::new(),
            received: Vec::new(),
            to_client: Vec::new(),
            to_server: Vec::new(),
            client_errors: Vec::new(),
            server_errors: Vec::new(),
            up: Box::new(|_, _| true),
            down: Box::new(|_, _| true),
            up_stream: Vec::new(),
            down_stream: Vec::new(),
        }
    }

    fn udp() -> Self {
        Self::new(server_config(), Transport::Udp, "secret")
    }

    fn elapsed(&self) -> Duration {
        self.now - self.start
    }

    /// Moves every message until nothing moves.
    fn pump(&mut self) {
        loop {
            let mut moved = false;
            while let Some(t) = self.client.poll_transmit() {
                assert_eq!(t.destination, self.tuple.server);
                assert_eq!(t.transport, self.tuple.transport);
                let bytes = t.contents.to_vec();
                self.deliver_up(&bytes);
                moved = true;
            }
            while let Some(event) = self.server.poll_event() {
                match event {
                    ServerEvent::RelayOpened(relay) => self.relays.push(relay),
                    ServerEvent::RelayClosed(relay) => self.relays.retain(|r| *r != relay),
                }
                moved = true;
            }
            let mut down = Vec::new();
            while let Some(t) = self.server.poll_transmit() {
                if t.source == self.tuple.server {
                    assert_eq!(t.destination, self.tuple.client);
                    assert_eq!(t.transport, self.tuple.transport);
                    down.push(t.contents.to_vec());
                } else {
                    assert!(self.relays.contains(&t.source), "sent from a closed relay");
                    assert_eq!(t.transport, Transport::Udp);
                    self.at_peers
                        .push((t.source, t.destination, t.contents.to_vec()));
                }
                moved = true;
            }
            for bytes in down {
                self.deliver_down(&bytes);
            }
            while let Some(event) = self.client.poll_event() {
                self.events.push(event);
                moved = true;
            }
            if !moved {
                return;
            }
        }
    }

    /// Client to server: one datagram, or over TCP bytes on the stream, cut in 7-byte segments
    /// and reframed with `frame_len`.
    fn deliver_up(&mut self, bytes: &[u8]) {
        let n = self.to_server.len();
        self.to_server.push(bytes.to_vec());
        if !(self.up)(n, bytes) {
            return;
        }
        let now = self.now;
        match self.tuple.transport {
            Transport::Udp => {
                if let Err(e) = self.server.handle_client(now, self.tuple, bytes) {
                    self.server_errors.push(e);
                }
            }
            Transport::Tcp => {
                for segment in bytes.chunks(7) {
                    self.up_stream.extend_from_slice(segment);
                    while let Some(len) = frame_len(&self.up_stream).unwrap() {
                        let frame: Vec<u8> = self.up_stream.drain(..len).collect();
                        if let Err(e) = self.server.handle_client(now, self.tuple, &frame) {
                            self.server_errors.push(e);
                        }
                    }
                }
            }
        }
    }

    /// Server to client, the same way.
    fn deliver_down(&mut self, bytes: &[u8]) {
        let n = self.to_client.len();
        self.to_client.push(bytes.to_vec());
        if !(self.down)(n, bytes) {
            return;
        }
        match self.tuple.transport {
            Transport::Udp => self.input(bytes),
            Transport::Tcp => {
                for segment in bytes.chunks(7) {
                    self.down_stream.extend_from_slice(segment);
                    while let Some(len) = frame_len(&self.down_stream).unwrap() {
                        let frame: Vec<u8> = self.down_stream.drain(..len).collect();
                        self.input(&frame);
                    }
                }
            }
        }
    }

    fn input(&mut self, bytes: &[u8]) {
        match self.client.handle_input(self.now, bytes) {
            Ok(Some(r)) => self.received.push((r.peer, r.data.to_vec())),
            Ok(None) => {}
            Err(e) => self.client_errors.push(e),
        }
    }

    /// Runs both timers up to `now + d`, moving messages at each wake-up.
    fn advance(&mut self, d: Duration) {
        let until = self.now + d;
        for _ in 0..100_000 {
            self.pump();
            let next = match (self.client.poll_timeout(), self.server.poll_timeout()) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            };
            match next {
                Some(t) if t <= until => {
                    self.now = self.now.max(t);
                    self.client.handle_timeout(self.now);
                    self.server.handle_timeout(self.now);
                }
                _ => {
                    self.now = until;
                    self.client.handle_timeout(self.now);
                    self.server.handle_timeout(self.now);
                    self.pump();
                    return;
                }
            }
        }
        panic!("timers do not settle");
    }

    fn allocate(&mut self) -> SocketAddr {
        self.client.allocate(self.now).unwrap();
        self.pump();
        self.relayed()
    }

    fn relayed(&self) -> SocketAddr {
        self.events
            .iter()
            .find_map(|e| match e {
                ClientEvent::Allocated { relayed, .. } => Some(*relayed),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no allocation: {:?}", self.events))
    }

    /// The client sends `data` to `peer`; returns what went on the wire.
    fn send(&mut self, peer: SocketAddr, data: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; data.len() + SEND_OVERHEAD];
        let n = self.client.send_to(self.now, peer, data, &mut out).unwrap();
        out.truncate(n);
        self.deliver_up(&out);
        self.pump();
        out
    }

    /// `peer` sends `data` to the relayed address.
    fn peer_send(&mut self, peer: SocketAddr, data: &[u8]) {
        let relay = self.relayed();
        self.server
            .handle_peer(self.now, relay, peer, data)
            .unwrap();
        self.pump();
    }

    fn count(&self, pred: impl Fn(&ClientEvent) -> bool) -> usize {
        self.events.iter().filter(|e| pred(e)).count()
    }
}

fn error_code(bytes: &[u8]) -> Option<u16> {
    let m = Message::parse(bytes).ok()?;
    (m.class() == Class::Error).then(|| m.error_code().map(|e| e.code))?
}

fn method_class(bytes: &[u8]) -> Option<(Method, Class)> {
    let m = Message::parse(bytes).ok()?;
    Some((m.method(), m.class()))
}

#[test]
fn allocate_answers_the_401_challenge() {
    let mut net = Net::udp();
    let relayed = net.allocate();
    assert!((50000..=50010).contains(&relayed.port()));
    assert_eq!(net.relays, [relayed]);
    assert_eq!(
        net.events,
        [ClientEvent::Allocated {
            relayed,
            mapped: Some(addr(CLIENT)),
            lifetime: Duration::from_secs(600),
        }]
    );
    assert_eq!(net.client.state(), ClientState::Allocated);
    assert_eq!(net.client.relayed_address(), Some(relayed));
    assert_eq!(net.client.mapped_address(), Some(addr(CLIENT)));
    assert_eq!(net.server.stats().allocations, 1);
    // Two Allocates: without credentials, then with them after the 401.
    assert_eq!(net.to_server.len(), 2);
    assert_eq!(error_code(&net.to_client[0]), Some(401));
    let second = Message::parse(&net.to_server[1]).unwrap();
    assert_eq!(second.username(), Some("alice"));
    assert_eq!(second.realm(), Some("rtc"));
    assert!(second.nonce().is_some());
    let key = IntegrityKey::long_term("alice", "rtc", "secret", PasswordAlgorithmId::MD5).unwrap();
    second.verify_integrity(&key).unwrap();
    // The success response is signed and was checked.
    Message::parse(&net.to_client[1])
        .unwrap()
        .verify_integrity(&key)
        .unwrap();
    assert!(net.client_errors.is_empty(), "{:?}", net.client_errors);
}

#[test]
fn requested_lifetime_is_granted_and_kept() {
    let config = ClientConfig {
        lifetime: Some(Duration::from_secs(1200)),
        software: Some("rtc-turn".into()),
        ..ClientConfig::default()
    };
    let mut net = Net::with_client_config(server_config(), Transport::Udp, "secret", config);
    net.allocate();
    assert_eq!(net.client.lifetime(), Some(Duration::from_secs(1200)));
    // Refreshed at 1140 s (a minute early), asking for 1200 s again.
    net.advance(Duration::from_secs(1139));
    assert_eq!(net.count(|e| matches!(e, ClientEvent::Refreshed { .. })), 0);
    net.advance(Duration::from_secs(2));
    assert_eq!(
        net.events.last(),
        Some(&ClientEvent::Refreshed {
            lifetime: Duration::from_secs(1200)
        })
    );
}

#[test]
fn wrong_password_gets_401_and_no_allocation() {
    let mut net = Net::new(server_config(), Transport::Udp, "wrong");
    net.client.allocate(net.now).unwrap();
    net.pump();
    assert_eq!(
        net.events,
        [ClientEvent::AllocationFailed(Failure::ErrorResponse(401))]
    );
    assert_eq!(net.client.state(), ClientState::Failed);
    assert_eq!(net.server.stats().allocations, 0);
    assert!(net.relays.is_empty());
    // It gave up: one retry with credentials, no third attempt, no timers.
    assert_eq!(net.to_server.len(), 2);
    assert_eq!(net.client.poll_timeout(), None);
}

#[test]
fn send_and_data_indications_relay_through_a_permission() {
    let mut net = Net::udp();
    let relayed = net.allocate();
    let peer = addr(PEER);
    assert_eq!(
        net.client.send_to(net.now, peer, b"x", &mut [0; 64]),
        Err(Error::NoPermission)
    );
    net.client.create_permission(net.now, peer.ip()).unwrap();
    net.pump();
    assert_eq!(
        net.events.last(),
        Some(&ClientEvent::PermissionCreated(peer.ip()))
    );
    assert!(net.client.has_permission(peer.ip()));

    let wire = net.send(peer, b"ping");
    assert_eq!(method_class(&wire), Some((Method::SEND, Class::Indication)));
    assert_eq!(net.at_peers, [(relayed, peer, b"ping".to_vec())]);

    // Any port at the permitted address may answer (RFC 8656 §9).
    let other = addr(OTHER_PEER);
    net.peer_send(peer, b"pong");
    net.peer_send(other, b"");
    assert_eq!(
        net.received,
        [(peer, b"pong".to_vec()), (other, Vec::new())]
    );
    let last = net.to_client.last().unwrap();
    assert_eq!(method_class(last), Some((Method::DATA, Class::Indication)));
    assert!(net.client_errors.is_empty(), "{:?}", net.client_errors);
}

#[test]
fn channel_data_flows_both_ways_once_bound() {
    let mut net = Net::udp();
    let relayed = net.allocate();
    let peer = addr(PEER);
    let channel = net.client.bind_channel(net.now, peer).unwrap();
    assert_eq!(channel, 0x4000);
    assert_eq!(net.client.bind_channel(net.now, peer), Ok(0x4000));
    // Not confirmed yet: a Send indication.
    let mut out = [0u8; 64];
    let n = net
        .client
        .send_to(net.now, peer, b"early", &mut out)
        .unwrap();
    assert_eq!(
        method_class(&out[..n]),
        Some((Method::SEND, Class::Indication))
    );
    net.pump();
    assert!(
        net.events
            .contains(&ClientEvent::ChannelBound { peer, channel })
    );
    assert!(
        net.events
            .contains(&ClientEvent::PermissionCreated(peer.ip()))
    );
    assert_eq!(net.client.channel(net.now, peer), Some(channel));

    let wire = net.send(peer, b"hello");
    assert!(is_channel_data(&wire));
    // UDP: no padding.
    assert_eq!(wire, [0x40, 0x00, 0x00, 0x05, b'h', b'e', b'l', b'l', b'o']);
    assert_eq!(
        net.at_peers.last(),
        Some(&(relayed, peer, b"hello".to_vec()))
    );

    net.peer_send(peer, b"world");
    assert_eq!(net.received, [(peer, b"world".to_vec())]);
    let last = net.to_client.last().unwrap();
    assert!(is_channel_data(last));

    // A second peer gets the next number.
    assert_eq!(
        net.client.bind_channel(net.now, addr(OTHER_PEER)),
        Ok(0x4001)
    );
    net.pump();
    assert!(net.events.contains(&ClientEvent::ChannelBound {
        peer: addr(OTHER_PEER),
        channel: 0x4001
    }));
    assert!(net.client_errors.is_empty(), "{:?}", net.client_errors);
}

#[test]
fn refreshes_keep_allocation_permission_and_channel_past_their_lifetimes() {
    let mut net = Net::udp();
    net.allocate();
    let peer = addr(PEER);
    let other = addr(OTHER_PEER);
    net.client.create_permission(net.now, other.ip()).unwrap();
    let channel = net.client.bind_channel(net.now, peer).unwrap();
    net.pump();

    // 30 minutes: three times the allocation's and the channel's lifetime, six times a
    // permission's.
    net.advance(Duration::from_secs(1800));
    assert_eq!(net.elapsed(), Duration::from_secs(1800));
    assert_eq!(net.server.stats().allocations, 1);
    assert_eq!(net.client.state(), ClientState::Allocated);
    // Refreshed at 540, 1080 and 1620 s.
    assert_eq!(net.count(|e| matches!(e, ClientEvent::Refreshed { .. })), 3);
    assert_eq!(
        net.count(|e| matches!(
            e,
            ClientEvent::Failed(_)
                | ClientEvent::PermissionFailed { .. }
                | ClientEvent::ChannelBindFailed { .. }
        )),
        0
    );
    // Reported once each, refreshed silently.
    assert_eq!(
        net.count(|e| matches!(e, ClientEvent::ChannelBound { .. })),
        1
    );

    let wire = net.send(peer, b"still here");
    assert!(is_channel_data(&wire));
    assert_eq!(net.at_peers.last().unwrap().2, b"still here");
    net.peer_send(peer, b"me too");
    assert_eq!(net.received.last(), Some(&(peer, b"me too".to_vec())));
    assert_eq!(net.client.channel(net.now, peer), Some(channel));
    assert!(net.client_errors.is_empty(), "{:?}", net.client_errors);
}

#[test]
fn without_refresh_the_server_expires_the_allocation() {
    // The control for the test above: the server really does expire allocations at 600 s.
    let mut net = Net::udp();
    net.allocate();
    net.now += Duration::from_secs(601);
    net.server.handle_timeout(net.now);
    assert_eq!(net.server.stats().allocations, 0);
}

#[test]
fn close_frees_the_allocation() {
    let mut net = Net::udp();
    net.allocate();
    let peer = addr(PEER);
    net.client.bind_channel(net.now, peer).unwrap();
    net.pump();
    net.client.close(net.now).unwrap();
    assert_eq!(net.client.state(), ClientState::Closing);
    net.pump();
    assert_eq!(net.events.last(), Some(&ClientEvent::Closed));
    assert_eq!(net.client.state(), ClientState::Closed);
    assert_eq!(net.server.stats().allocations, 0);
    assert!(net.relays.is_empty());
    let refresh = Message::parse(net.to_server.last().unwrap()).unwrap();
    assert_eq!(refresh.method(), Method::REFRESH);
    assert_eq!(
        refresh.get(rtc_stun::AttributeType::LIFETIME),
        Some(Attribute::Lifetime(0))
    );
    assert_eq!(
        net.client.send_to(net.now, peer, b"x", &mut [0; 64]),
        Err(Error::NoAllocation)
    );
    assert_eq!(net.client.poll_timeout(), None);
    net.client.close(net.now).unwrap();
    net.advance(Duration::from_secs(3600));
    assert_eq!(net.count(|e| *e == ClientEvent::Closed), 1);
}

#[test]
fn close_survives_a_lost_response_through_437() {
    let mut net = Net::udp();
    net.allocate();
    // Lose the success response to the delete: the retransmission finds no allocation and
    // gets 437, which RFC 8656 §8.3 counts as success.
    let lost = net.to_client.len();
    net.down = Box::new(move |n, _| n != lost);
    net.client.close(net.now).unwrap();
    net.advance(Duration::from_secs(5));
    assert_eq!(error_code(net.to_client.last().unwrap()), Some(437));
    assert_eq!(net.events.last(), Some(&ClientEvent::Closed));
    assert_eq!(net.server.stats().allocations, 0);
}

#[test]
fn close_during_allocate_deletes_the_allocation_once_made() {
    let mut net = Net::udp();
    net.client.allocate(net.now).unwrap();
    net.client.close(net.now).unwrap();
    net.pump();
    assert_eq!(net.events, [ClientEvent::Closed]);
    assert_eq!(net.server.stats().allocations, 0);
    assert!(net.relays.is_empty());
}

#[test]
fn stale_nonce_is_retried_transparently() {
    let config = ServerConfig {
        nonce_lifetime: Duration::from_secs(60),
        ..server_config()
    };
    let mut net = Net::new(config, Transport::Udp, "secret");
    net.allocate();
    net.advance(Duration::from_secs(120));
    let peer = addr(PEER);
    net.client.create_permission(net.now, peer.ip()).unwrap();
    net.pump();
    assert_eq!(
        net.events.last(),
        Some(&ClientEvent::PermissionCreated(peer.ip()))
    );
    let stale = net
        .to_client
        .iter()
        .filter(|m| error_code(m) == Some(438))
        .count();
    assert_eq!(stale, 1);
    // The refreshes run into stale nonces too, and go through.
    net.advance(Duration::from_secs(1200));
    assert!(net.count(|e| matches!(e, ClientEvent::Refreshed { .. })) >= 2);
    assert_eq!(
        net.count(|e| matches!(
            e,
            ClientEvent::Failed(_) | ClientEvent::PermissionFailed { .. }
        )),
        0
    );
    assert_eq!(net.server.stats().allocations, 1);
    assert!(
        net.to_client
            .iter()
            .filter(|m| error_code(m) == Some(438))
            .count()
            > stale
    );
}

#[test]
fn udp_loss_is_recovered_by_retransmission() {
    let mut net = Net::udp();
    // Lose the first Allocate twice, the authenticated one once, and its first success
    // response: the server answers the retransmission from the allocation it made.
    net.up = Box::new(|n, _| !matches!(n, 0 | 1 | 3));
    net.down = Box::new(|n, _| n != 1);
    net.client.allocate(net.now).unwrap();
    net.advance(Duration::from_secs(10));
    let relayed = net.relayed();
    assert_eq!(net.server.stats().allocations, 1);
    assert_eq!(net.relays, [relayed]);
    // First transaction: 2 sends lost, the third answered (401). Second: the first send lost,
    // the second answered but its response lost, the third answered again.
    assert_eq!(net.to_server.len(), 6);
    assert_eq!(net.count(|e| matches!(e, ClientEvent::Allocated { .. })), 1);

    // Lose every other message both ways from now on.
    net.up = Box::new(|n, _| n % 2 == 0);
    net.down = Box::new(|n, _| n % 2 == 1);
    let peer = addr(PEER);
    net.client.bind_channel(net.now, peer).unwrap();
    net.advance(Duration::from_secs(10));
    assert!(net.events.contains(&ClientEvent::ChannelBound {
        peer,
        channel: 0x4000
    }));
    assert!(
        net.events
            .contains(&ClientEvent::PermissionCreated(peer.ip()))
    );
}

#[test]
fn random_loss_both_ways() {
    // A fixed-seed LCG drops about 30% of the messages each way.
    fn lossy(seed: u64) -> Filter {
        let mut state = seed;
        Box::new(move |_, _| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) % 10 >= 3
        })
    }
    let mut net = Net::udp();
    net.up = lossy(1);
    net.down = lossy(2);
    net.client.allocate(net.now).unwrap();
    let peer = addr(PEER);
    net.client.bind_channel(net.now, peer).unwrap();
    net.advance(Duration::from_secs(1900));
    assert_eq!(
        net.client.state(),
        ClientState::Allocated,
        "{:?}",
        net.events
    );
    assert!(net.events.contains(&ClientEvent::ChannelBound {
        peer,
        channel: 0x4000
    }));
    assert!(net.count(|e| matches!(e, ClientEvent::Refreshed { .. })) >= 3);
    assert_eq!(net.server.stats().allocations, 1);
}

#[test]
fn a_lost_refresh_transaction_is_retried_before_expiry() {
    let mut net = Net::udp();
    net.allocate();
    let peer = addr(PEER);
    net.client.create_permission(net.now, peer.ip()).unwrap();
    net.pump();
    // Every send of the first Refresh and of the first CreatePermission refresh is lost: the
    // transactions time out 39.5 s later, with time left to try again.
    let (mut refreshes, mut permissions) = (0, 0);
    net.up = Box::new(move |_, bytes| match method_class(bytes) {
        Some((Method::REFRESH, Class::Request)) => {
            refreshes += 1;
            refreshes > 7
        }
        Some((Method::CREATE_PERMISSION, Class::Request)) => {
            permissions += 1;
            permissions > 7
        }
        _ => true,
    });
    net.advance(Duration::from_secs(700));
    assert_eq!(
        net.client.state(),
        ClientState::Allocated,
        "{:?}",
        net.events
    );
    assert_eq!(net.server.stats().allocations, 1);
    assert!(net.events.contains(&ClientEvent::Refreshed {
        lifetime: Duration::from_secs(600)
    }));
    assert_eq!(
        net.count(|e| matches!(e, ClientEvent::PermissionFailed { .. })),
        0
    );
    net.peer_send(peer, b"still permitted");
    assert_eq!(net.received.last().unwrap().1, b"still permitted");
}

#[test]
fn server_silence_times_out() {
    let mut net = Net::udp();
    net.up = Box::new(|_, _| false);
    net.client.allocate(net.now).unwrap();
    net.advance(Duration::from_secs(60));
    assert_eq!(
        net.events,
        [ClientEvent::AllocationFailed(Failure::TimedOut)]
    );
    // RFC 8489 §6.2.1: 7 sends, given up at 39.5 s.
    assert_eq!(net.to_server.len(), 7);
    assert_eq!(net.client.poll_timeout(), None);
}

#[test]
fn tcp_frames_are_padded_and_never_retransmitted() {
    let mut net = Net::new(server_config(), Transport::Tcp, "secret");
    let relayed = net.allocate();
    let peer = addr(PEER);
    net.client.bind_channel(net.now, peer).unwrap();
    net.pump();
    assert!(net.events.contains(&ClientEvent::ChannelBound {
        peer,
        channel: 0x4000
    }));

    // 5 bytes of data: 4 + 5 padded to 12 on a stream (RFC 8656 §12.5).
    let wire = net.send(peer, b"hello");
    assert_eq!(wire.len(), 12);
    assert_eq!(
        &wire[..9],
        [0x40, 0x00, 0x00, 0x05, b'h', b'e', b'l', b'l', b'o']
    );
    assert_eq!(&wire[9..], [0, 0, 0]);
    assert_eq!(
        net.at_peers.last(),
        Some(&(relayed, peer, b"hello".to_vec()))
    );
    net.peer_send(peer, b"abc");
    net.peer_send(peer, b"defgh");
    assert_eq!(
        net.received,
        [(peer, b"abc".to_vec()), (peer, b"defgh".to_vec())]
    );
    assert_eq!(net.to_client.last().unwrap().len(), 12);

    // A Send indication to another permitted peer, and its Data indication back.
    let other = "127.0.0.2:7000".parse().unwrap();
    net.client
        .create_permission(net.now, IpAddr::from([127, 0, 0, 2]))
        .unwrap();
    net.pump();
    let wire = net.send(other, b"via indication");
    assert_eq!(method_class(&wire), Some((Method::SEND, Class::Indication)));
    net.peer_send(other, b"back");
    assert_eq!(net.received.last(), Some(&(other, b"back".to_vec())));

    // Refreshes over TCP too; every request went out exactly once.
    net.advance(Duration::from_secs(1200));
    assert_eq!(net.client.state(), ClientState::Allocated);
    let requests = net
        .to_server
        .iter()
        .filter(|m| method_class(m).is_some_and(|(_, c)| c == Class::Request))
        .count();
    let mut ids: Vec<_> = net
        .to_server
        .iter()
        .filter_map(|m| Message::parse(m).ok())
        .filter(|m| m.class() == Class::Request)
        .map(|m| m.transaction_id())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), requests);
    assert!(net.client_errors.is_empty(), "{:?}", net.client_errors);
    assert!(net.server_errors.is_empty(), "{:?}", net.server_errors);
}

#[test]
fn tcp_request_times_out_after_one_send() {
    let mut net = Net::new(server_config(), Transport::Tcp, "secret");
    net.up = Box::new(|_, _| false);
    net.client.allocate(net.now).unwrap();
    net.advance(Duration::from_secs(60));
    assert_eq!(
        net.events,
        [ClientEvent::AllocationFailed(Failure::TimedOut)]
    );
    assert_eq!(net.to_server.len(), 1);
}

#[test]
fn forbidden_peer_gets_403() {
    let config = ServerConfig {
        allow_loopback_peers: false,
        ..server_config()
    };
    let mut net = Net::new(config, Transport::Udp, "secret");
    net.allocate();
    let peer = addr(PEER);
    net.client.create_permission(net.now, peer.ip()).unwrap();
    net.pump();
    assert_eq!(
        net.events.last(),
        Some(&ClientEvent::PermissionFailed {
            peer: peer.ip(),
            failure: Failure::ErrorResponse(403)
        })
    );
    assert!(!net.client.has_permission(peer.ip()));
    let channel = net.client.bind_channel(net.now, peer).unwrap();
    net.pump();
    assert!(net.events.contains(&ClientEvent::ChannelBindFailed {
        peer,
        channel,
        failure: Failure::ErrorResponse(403)
    }));
    assert_eq!(
        net.client.send_to(net.now, peer, b"x", &mut [0; 64]),
        Err(Error::NoPermission)
    );
    // The allocation itself is fine.
    assert_eq!(net.client.state(), ClientState::Allocated);
    assert_eq!(net.server.stats().allocations, 1);
}

#[test]
fn allocation_lost_on_the_server_is_reported() {
    let mut net = Net::udp();
    net.allocate();
    // The server forgets the allocation (as after a restart or a closed connection); the next
    // request gets 437 Allocation Mismatch (RFC 8656 §5).
    net.server.connection_closed(net.tuple);
    net.pump();
    net.client
        .create_permission(net.now, addr(PEER).ip())
        .unwrap();
    net.pump();
    assert_eq!(
        net.events.last(),
        Some(&ClientEvent::Failed(Failure::ErrorResponse(437)))
    );
    assert_eq!(net.client.state(), ClientState::Failed);
    assert_eq!(net.client.poll_timeout(), None);
}

/// Drives the 401 round by hand and returns the authenticated Allocate, not yet delivered.
fn authenticated_allocate(net: &mut Net) -> Vec<u8> {
    net.client.allocate(net.now).unwrap();
    let first = net.client.poll_transmit().unwrap().contents.to_vec();
    net.server
        .handle_client(net.now, net.tuple, &first)
        .unwrap();
    let challenge = net.server.poll_transmit().unwrap().contents.to_vec();
    assert_eq!(net.client.handle_input(net.now, &challenge), Ok(None));
    net.client.poll_transmit().unwrap().contents.to_vec()
}

/// A success response to `request` signed with the wrong key.
fn forged_success(request: &[u8]) -> Vec<u8> {
    let tid = Message::parse(request).unwrap().transaction_id();
    let key = IntegrityKey::long_term("alice", "rtc", "guess", PasswordAlgorithmId::MD5).unwrap();
    let mut buf = [0u8; 256];
    let mut b = MessageBuilder::new(&mut buf, Class::Success, Method::ALLOCATE, tid).unwrap();
    b.add(&Attribute::XorRelayedAddress(
        "203.0.113.66:1234".parse().unwrap(),
    ))
    .unwrap()
    .add(&Attribute::Lifetime(3600))
    .unwrap();
    b.add_message_integrity(&key).unwrap();
    b.finish().to_vec()
}

#[test]
fn forged_response_is_discarded_and_the_real_one_accepted() {
    let mut net = Net::udp();
    let request = authenticated_allocate(&mut net);
    assert_eq!(
        net.client.handle_input(net.now, &forged_success(&request)),
        Err(Error::Stun(rtc_stun::Error::IntegrityMismatch))
    );
    assert_eq!(net.client.state(), ClientState::Allocating);
    assert!(net.client.poll_event().is_none());
    net.deliver_up(&request);
    net.pump();
    let relayed = net.relayed();
    assert_ne!(relayed, "203.0.113.66:1234".parse().unwrap());
}

#[test]
fn only_forged_responses_end_in_integrity_violation() {
    // UDP: retransmissions go on and the end is reported as an integrity violation.
    let mut net = Net::udp();
    let request = authenticated_allocate(&mut net);
    assert!(
        net.client
            .handle_input(net.now, &forged_success(&request))
            .is_err()
    );
    net.up = Box::new(|_, _| false);
    net.advance(Duration::from_secs(60));
    assert_eq!(
        net.events,
        [ClientEvent::AllocationFailed(Failure::IntegrityViolated)]
    );

    // TCP: the transaction ends at once (RFC 8489 §9.2.5).
    let mut net = Net::new(server_config(), Transport::Tcp, "secret");
    let request = authenticated_allocate(&mut net);
    assert!(
        net.client
            .handle_input(net.now, &forged_success(&request))
            .is_err()
    );
    assert_eq!(
        net.client.poll_event(),
        Some(ClientEvent::AllocationFailed(Failure::IntegrityViolated))
    );
}

#[test]
fn unsigned_answers_to_authenticated_requests_are_discarded() {
    // RFC 8489 §9.2.5: a 400 without MESSAGE-INTEGRITY never reaches the application.
    let mut net = Net::udp();
    let request = authenticated_allocate(&mut net);
    let tid = Message::parse(&request).unwrap().transaction_id();
    let mut buf = [0u8; 128];
    let mut b = MessageBuilder::new(&mut buf, Class::Error, Method::ALLOCATE, tid).unwrap();
    b.add(&Attribute::ErrorCode(rtc_stun::ErrorCode::BAD_REQUEST))
        .unwrap();
    let len = b.len();
    assert_eq!(
        net.client.handle_input(net.now, &buf[..len]),
        Err(Error::Stun(rtc_stun::Error::MissingIntegrity))
    );
    assert_eq!(net.client.state(), ClientState::Allocating);
}

#[test]
fn malformed_input_after_allocation_is_typed_and_harmless() {
    let mut net = Net::udp();
    net.allocate();
    let peer = addr(PEER);
    net.client.bind_channel(net.now, peer).unwrap();
    net.pump();
    let now = net.now;
    let c = &mut net.client;
    // Truncated ChannelData on a bound channel.
    assert_eq!(
        c.handle_input(now, &[0x40, 0x00, 0x00, 0x10, 1, 2]),
        Err(Error::ChannelDataTruncated {
            needed: 20,
            available: 6
        })
    );
    // UDP ChannelData may be padded.
    assert_eq!(
        c.handle_input(now, &[0x40, 0x00, 0x00, 0x01, 9, 0, 0, 0]),
        Ok(Some(rtc_turn::client::Received { peer, data: &[9] }))
    );
    assert_eq!(
        c.handle_input(now, &[0x4F, 0xFF, 0x00, 0x00]),
        Err(Error::ChannelNotBound(0x4FFF))
    );
    // A DTLS record (RFC 7983: 20-63) and an RTP packet (128-191) are not TURN.
    assert_eq!(
        c.handle_input(now, &[0x16, 0xFE, 0xFD, 0, 0]),
        Err(Error::NotTurn)
    );
    assert_eq!(
        c.handle_input(now, &[0x80, 0x60, 0, 1]),
        Err(Error::NotTurn)
    );
    assert!(matches!(
        c.handle_input(now, &[0, 1, 0, 4, 0x21, 0x12, 0xA4, 0x42]),
        Err(Error::Stun(_))
    ));
    assert_eq!(c.state(), ClientState::Allocated);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200), first in 0u8..0x50) {
        let mut net = Net::udp();
        net.allocate();
        net.client.bind_channel(net.now, addr(PEER)).unwrap();
        net.pump();
        let mut input = bytes.clone();
        let _ = net.client.handle_input(net.now, &input);
        // Also with a first byte that looks like STUN or ChannelData.
        if let Some(b) = input.first_mut() {
            *b = first;
        }
        let _ = net.client.handle_input(net.now, &input);
        // A valid response's header on a random body.
        let mut stun = net.to_client[1][..20].to_vec();
        stun.extend_from_slice(&bytes);
        let _ = net.client.handle_input(net.now, &stun);
        prop_assert_eq!(net.client.state(), ClientState::Allocated);
    }
}

#[test]
fn rest_api_credentials_allocate() {
    let config = ServerConfig {
        credentials: Credentials {
            shared_secret: Some(b"north".to_vec()),
            ..Credentials::default()
        },
        ..server_config()
    };
    let mut net = Net::new(config, Transport::Udp, "unused");
    net.server.set_unix_time(net.now, 1_700_000_000);
    let username = rest_username(1_700_003_600, "alice");
    let password = rest_password(b"north", &username);
    net.client = TurnClient::new(
        addr(SERVER),
        Transport::Udp,
        username,
        password,
        ClientConfig::default(),
        [6; 32],
    );
    net.allocate();
    assert_eq!(net.server.stats().allocations, 1);
}

#[test]
fn peer_of_the_other_family_gets_443() {
    let mut net = Net::udp();
    net.allocate();
    let peer: IpAddr = "::1".parse().unwrap();
    net.client.create_permission(net.now, peer).unwrap();
    net.pump();
    assert_eq!(
        net.events.last(),
        Some(&ClientEvent::PermissionFailed {
            peer,
            failure: Failure::ErrorResponse(443)
        })
    );
}

#[test]
fn removed_permission_is_no_longer_refreshed() {
    let mut net = Net::udp();
    net.allocate();
    let peer = addr(PEER);
    net.client.bind_channel(net.now, peer).unwrap();
    net.pump();
    assert!(net.client.remove_permission(peer.ip()));
    assert!(!net.client.remove_permission(peer.ip()));
    assert_eq!(net.client.channel(net.now, peer), None);
    assert_eq!(
        net.client.send_to(net.now, peer, b"x", &mut [0; 64]),
        Err(Error::NoPermission)
    );
    net.advance(Duration::from_secs(700));
    let sent = |method| {
        net.to_server
            .iter()
            .filter(|m| method_class(m) == Some((method, Class::Request)))
            .count()
    };
    assert_eq!(sent(Method::CREATE_PERMISSION), 1);
    assert_eq!(sent(Method::CHANNEL_BIND), 1);
    // The server let both lapse; the allocation lives on.
    let relayed = net.relayed();
    assert_eq!(
        net.server.handle_peer(net.now, relayed, peer, b"late"),
        Err(Error::NoPermission)
    );
    assert_eq!(net.client.state(), ClientState::Allocated);
}

/// Server bug, kept as the failing case: RFC 8656 §5 wants a retransmitted request to get
/// the same answer, but the server checks the nonce's age before it recognises the
/// retransmission of the Allocate that created the allocation. When the success response is
/// lost and the nonce goes stale before the retransmission, the client gets 438, retries in a
/// new transaction, and gets 437: the client reports failure while the server keeps the
/// allocation (and refuses the 5-tuple) until it expires.
#[test]
fn allocate_retransmission_after_the_nonce_went_stale_still_succeeds() {
    let config = ServerConfig {
        nonce_lifetime: Duration::from_secs(10),
        ..server_config()
    };
    let mut net = Net::new(config, Transport::Udp, "secret");
    // Up: 0 is the unauthenticated Allocate (401 at 0 s); the authenticated one is sent at
    // 0, 0.5, 1.5, 3.5 s (lost), 7.5 s (allocates), 15.5 s (nonce 15 s old: 438).
    net.up = Box::new(|n, _| !matches!(n, 1..=4));
    // Down: 0 is the 401, 1 the success at 7.5 s (lost).
    net.down = Box::new(|n, _| n != 1);
    net.client.allocate(net.now).unwrap();
    net.advance(Duration::from_secs(60));
    assert_eq!(net.server.stats().allocations, 1);
    assert_eq!(
        net.client.state(),
        ClientState::Allocated,
        "{:?}",
        net.events
    );
}
