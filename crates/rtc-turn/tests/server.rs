//! The TURN server core on its own, request by request: authentication, each RFC 8656 error
//! code, reservations, REST credentials, quotas, the open-relay guard, rate limits and expiry.
#![allow(clippy::disallowed_methods)] // `Instant::now()` only picks the origin of virtual time

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtc_stun::{
    Attribute, AttributeType, Class, IntegrityKey, Message, MessageBuilder, Method,
    PasswordAlgorithmId, TransactionId,
};
use rtc_turn::credentials::{rest_password, rest_username};
use rtc_turn::server::{Credentials, RateLimit};
use rtc_turn::{ChannelData, FiveTuple, ServerConfig, ServerEvent, Transport, TurnServer};

const REALM: &str = "rtc";

fn tuple(port: u16) -> FiveTuple {
    FiveTuple {
        client: SocketAddr::from(([192, 0, 2, 1], port)),
        server: SocketAddr::from(([192, 0, 2, 100], 3478)),
        transport: Transport::Udp,
    }
}

fn server(config: ServerConfig) -> TurnServer {
    TurnServer::new(config, [9; 16])
}

fn config() -> ServerConfig {
    ServerConfig {
        credentials: Credentials {
            users: [("alice".to_owned(), "secret".to_owned())].into(),
            shared_secret: Some(b"rest-secret".to_vec()),
        },
        relay_ip: [203, 0, 113, 1].into(),
        relay_ports: 50000..=50009,
        ..ServerConfig::default()
    }
}

struct Client {
    tuple: FiveTuple,
    user: String,
    password: String,
    nonce: Option<String>,
    next: u8,
}

impl Client {
    fn new(port: u16, user: &str, password: &str) -> Self {
        Self {
            tuple: tuple(port),
            user: user.to_owned(),
            password: password.to_owned(),
            nonce: None,
            next: 0,
        }
    }

    fn key(&self) -> IntegrityKey {
        IntegrityKey::long_term(&self.user, REALM, &self.password, PasswordAlgorithmId::MD5)
            .unwrap()
    }

    /// Sends `method` with `attributes`, authenticated once a nonce is known; returns the
    /// response's bytes. A 401 or 438 teaches the nonce and the request is repeated.
    fn request(
        &mut self,
        s: &mut TurnServer,
        now: Instant,
        method: Method,
        attributes: &[Attribute<'_>],
    ) -> Vec<u8> {
        for _ in 0..2 {
            self.next += 1;
            let mut buf = [0u8; 512];
            let mut b = MessageBuilder::new(
                &mut buf,
                Class::Request,
                method,
                TransactionId::new([self.next; 12]),
            )
            .unwrap();
            for a in attributes {
                b.add(a).unwrap();
            }
            if let Some(nonce) = &self.nonce {
                b.add(&Attribute::Username(&self.user))
                    .unwrap()
                    .add(&Attribute::Realm(REALM))
                    .unwrap()
                    .add(&Attribute::Nonce(nonce))
                    .unwrap()
                    .add_message_integrity(&self.key())
                    .unwrap();
            }
            let len = b.len();
            s.handle_client(now, self.tuple, &buf[..len]).unwrap();
            let t = s.poll_transmit().unwrap();
            assert_eq!(
                (t.source, t.destination),
                (self.tuple.server, self.tuple.client)
            );
            let response = t.contents.to_vec();
            let m = Message::parse(&response).unwrap();
            match m.error_code().map(|e| e.code) {
                Some(401 | 438) if self.nonce.is_none() || m.error_code().unwrap().code == 438 => {
                    self.nonce = m.nonce().map(str::to_owned);
                }
                _ => return response,
            }
        }
        panic!("still challenged after learning the nonce");
    }
}

fn code(response: &[u8]) -> Option<u16> {
    Message::parse(response)
        .unwrap()
        .error_code()
        .map(|e| e.code)
}

fn relayed(response: &[u8]) -> SocketAddr {
    match Message::parse(response)
        .unwrap()
        .get(AttributeType::XOR_RELAYED_ADDRESS)
    {
        Some(Attribute::XorRelayedAddress(a)) => a,
        other => panic!("no relayed address: {other:?}"),
    }
}

fn allocate(c: &mut Client, s: &mut TurnServer, now: Instant) -> Vec<u8> {
    c.request(
        s,
        now,
        Method::ALLOCATE,
        &[Attribute::RequestedTransport(17)],
    )
}

#[test]
fn allocate_needs_credentials_and_signs_its_response() {
    let now = Instant::now();
    let mut s = server(config());
    let mut c = Client::new(1000, "alice", "secret");
    let response = allocate(&mut c, &mut s, now);
    assert_eq!(code(&response), None);
    let m = Message::parse(&response).unwrap();
    m.verify_integrity(&c.key()).unwrap();
    assert_eq!(m.xor_mapped_address(), Some(c.tuple.client));
    assert_eq!(
        relayed(&response).ip(),
        std::net::IpAddr::from([203, 0, 113, 1])
    );
    assert_eq!(
        s.poll_event(),
        Some(ServerEvent::RelayOpened(relayed(&response)))
    );
    assert_eq!(s.stats().allocations, 1);

    // Wrong password: 401 and nothing allocated.
    let mut bad = Client::new(1001, "alice", "guess");
    let response = allocate(&mut bad, &mut s, now);
    assert_eq!(code(&response), Some(401));
    assert_eq!(s.stats().allocations, 1);
}

#[test]
fn allocate_errors_follow_rfc_8656_section_7_2() {
    let now = Instant::now();
    let mut s = server(config());
    let mut c = Client::new(1000, "alice", "secret");
    allocate(&mut c, &mut s, now);
    // Same 5-tuple again: 437; the server keeps one allocation per 5-tuple.
    assert_eq!(code(&allocate(&mut c, &mut s, now)), Some(437));
    let mut c = Client::new(1001, "alice", "secret");
    let tcp = c.request(
        &mut s,
        now,
        Method::ALLOCATE,
        &[Attribute::RequestedTransport(6)],
    );
    assert_eq!(code(&tcp), Some(442));
    assert_eq!(
        code(&c.request(&mut s, now, Method::ALLOCATE, &[])),
        Some(400)
    );
    let df = [Attribute::RequestedTransport(17), Attribute::DontFragment];
    assert_eq!(
        code(&c.request(&mut s, now, Method::ALLOCATE, &df)),
        Some(420)
    );
    let v6 = [
        Attribute::RequestedTransport(17),
        Attribute::RequestedAddressFamily(rtc_stun::AddressFamily::V6),
    ];
    assert_eq!(
        code(&c.request(&mut s, now, Method::ALLOCATE, &v6)),
        Some(440)
    );
    let token = [
        Attribute::RequestedTransport(17),
        Attribute::ReservationToken(42),
    ];
    assert_eq!(
        code(&c.request(&mut s, now, Method::ALLOCATE, &token)),
        Some(508)
    );
}

#[test]
fn even_port_reserves_the_next_port_for_a_token() {
    let now = Instant::now();
    let mut s = server(config());
    let mut a = Client::new(1000, "alice", "secret");
    let response = a.request(
        &mut s,
        now,
        Method::ALLOCATE,
        &[Attribute::RequestedTransport(17), Attribute::EvenPort(true)],
    );
    let relay = relayed(&response);
    assert_eq!(relay.port() % 2, 0);
    let Some(Attribute::ReservationToken(token)) = Message::parse(&response)
        .unwrap()
        .get(AttributeType::RESERVATION_TOKEN)
    else {
        panic!("no RESERVATION-TOKEN");
    };
    let mut b = Client::new(1001, "alice", "secret");
    let response = b.request(
        &mut s,
        now,
        Method::ALLOCATE,
        &[
            Attribute::RequestedTransport(17),
            Attribute::ReservationToken(token),
        ],
    );
    assert_eq!(relayed(&response).port(), relay.port() + 1);
}

#[test]
fn rest_credentials_expire_with_the_wall_clock() {
    let now = Instant::now();
    let mut s = server(config());
    s.set_unix_time(now, 1_000_000);
    let user = rest_username(1_000_060, "bob");
    let mut c = Client::new(1000, &user, &rest_password(b"rest-secret", &user));
    assert_eq!(code(&allocate(&mut c, &mut s, now)), None);
    // A minute later the username has expired: 401.
    let later = now + Duration::from_secs(61);
    let user = rest_username(1_000_060, "carol");
    let mut c = Client::new(1001, &user, &rest_password(b"rest-secret", &user));
    assert_eq!(code(&allocate(&mut c, &mut s, later)), Some(401));
}

#[test]
fn quotas_apply_per_user_and_in_total() {
    let now = Instant::now();
    let mut s = server(ServerConfig {
        max_allocations_per_user: 2,
        ..config()
    });
    for port in 0..2 {
        let mut c = Client::new(1000 + port, "alice", "secret");
        assert_eq!(code(&allocate(&mut c, &mut s, now)), None);
    }
    let mut c = Client::new(2000, "alice", "secret");
    assert_eq!(code(&allocate(&mut c, &mut s, now)), Some(486));
    // The relay port range (10 ports) bounds the total too: 508 when it is exhausted.
    let mut s = server(ServerConfig {
        max_allocations_per_user: 100,
        ..config()
    });
    for port in 0..10 {
        let mut c = Client::new(1000 + port, "alice", "secret");
        assert_eq!(code(&allocate(&mut c, &mut s, now)), None);
    }
    let mut c = Client::new(3000, "alice", "secret");
    assert_eq!(code(&allocate(&mut c, &mut s, now)), Some(508));
}

#[test]
fn no_open_relay_and_data_flows_only_with_permission() {
    let now = Instant::now();
    let mut s = server(config());
    let mut c = Client::new(1000, "alice", "secret");
    let relay = relayed(&allocate(&mut c, &mut s, now));
    while s.poll_event().is_some() {}
    for forbidden in [
        "127.0.0.1:9",
        "10.0.0.1:9",
        "192.168.1.1:9",
        "169.254.0.1:9",
    ] {
        let peer: SocketAddr = forbidden.parse().unwrap();
        let r = c.request(
            &mut s,
            now,
            Method::CREATE_PERMISSION,
            &[Attribute::XorPeerAddress(peer)],
        );
        assert_eq!(code(&r), Some(403), "{forbidden}");
    }
    let peer: SocketAddr = "198.51.100.7:5000".parse().unwrap();
    // No permission yet: the peer's datagram is dropped.
    assert!(s.handle_peer(now, relay, peer, b"early").is_err());
    let r = c.request(
        &mut s,
        now,
        Method::CREATE_PERMISSION,
        &[Attribute::XorPeerAddress(peer)],
    );
    assert_eq!(code(&r), None);
    s.handle_peer(now, relay, peer, b"hello").unwrap();
    let t = s.poll_transmit().unwrap();
    let m = Message::parse(t.contents).unwrap();
    assert_eq!((m.class(), m.method()), (Class::Indication, Method::DATA));
    assert_eq!(m.get(AttributeType::DATA), Some(Attribute::Data(b"hello")));

    // A channel: ChannelData both ways. An invalid channel number is 400.
    let bad = [
        Attribute::ChannelNumber(0x3FFF),
        Attribute::XorPeerAddress(peer),
    ];
    assert_eq!(
        code(&c.request(&mut s, now, Method::CHANNEL_BIND, &bad)),
        Some(400)
    );
    let bind = [
        Attribute::ChannelNumber(0x4001),
        Attribute::XorPeerAddress(peer),
    ];
    assert_eq!(
        code(&c.request(&mut s, now, Method::CHANNEL_BIND, &bind)),
        None
    );
    let other: SocketAddr = "198.51.100.8:5000".parse().unwrap();
    let rebind = [
        Attribute::ChannelNumber(0x4001),
        Attribute::XorPeerAddress(other),
    ];
    assert_eq!(
        code(&c.request(&mut s, now, Method::CHANNEL_BIND, &rebind)),
        Some(400)
    );
    s.handle_peer(now, relay, peer, b"via channel").unwrap();
    let t = s.poll_transmit().unwrap();
    assert_eq!(
        ChannelData::parse(t.contents).unwrap(),
        ChannelData {
            channel: 0x4001,
            data: b"via channel"
        }
    );
    let mut buf = [0u8; 64];
    let n = ChannelData {
        channel: 0x4001,
        data: b"to peer",
    }
    .emit(&mut buf, false)
    .unwrap();
    s.handle_client(now, c.tuple, &buf[..n]).unwrap();
    let t = s.poll_transmit().unwrap();
    assert_eq!(
        (t.source, t.destination, t.contents),
        (relay, peer, &b"to peer"[..])
    );
    // An unbound channel is dropped with a typed error.
    let n = ChannelData {
        channel: 0x4002,
        data: b"x",
    }
    .emit(&mut buf, false)
    .unwrap();
    assert!(s.handle_client(now, c.tuple, &buf[..n]).is_err());

    // Another user cannot act on this allocation: 441.
    let mut mallory = Client::new(1000, "bob", "x");
    mallory.tuple = c.tuple;
    let (user, pass) = (
        rest_username(u64::MAX, "m"),
        rest_password(b"rest-secret", &rest_username(u64::MAX, "m")),
    );
    s.set_unix_time(now, 1);
    mallory.user = user;
    mallory.password = pass;
    let r = mallory.request(&mut s, now, Method::REFRESH, &[]);
    assert_eq!(code(&r), Some(441));
}

#[test]
fn rate_limit_drops_what_exceeds_the_bucket() {
    let now = Instant::now();
    let mut s = server(ServerConfig {
        rate_limit: Some(RateLimit {
            bytes_per_second: 1000,
            burst: 1000,
        }),
        allow_private_peers: true,
        ..config()
    });
    let mut c = Client::new(1000, "alice", "secret");
    let relay = relayed(&allocate(&mut c, &mut s, now));
    let peer: SocketAddr = "10.1.1.1:5000".parse().unwrap();
    c.request(
        &mut s,
        now,
        Method::CREATE_PERMISSION,
        &[Attribute::XorPeerAddress(peer)],
    );
    let sent = (0..20)
        .filter(|_| s.handle_peer(now, relay, peer, &[0; 100]).is_ok())
        .count();
    assert_eq!(sent, 10);
    assert!(
        s.handle_peer(now + Duration::from_millis(500), relay, peer, &[0; 100])
            .is_ok()
    );
    assert_eq!(s.stats().dropped_packets, 10);
}

#[test]
fn allocations_expire_and_refresh_zero_deletes() {
    let now = Instant::now();
    let mut s = server(config());
    let mut c = Client::new(1000, "alice", "secret");
    let relay = relayed(&allocate(&mut c, &mut s, now));
    assert_eq!(s.poll_event(), Some(ServerEvent::RelayOpened(relay)));
    let expiry = s.poll_timeout().unwrap();
    assert_eq!(expiry, now + Duration::from_secs(600));
    // Refresh moves the expiry; LIFETIME 0 deletes.
    let later = now + Duration::from_secs(500);
    assert_eq!(
        code(&c.request(&mut s, later, Method::REFRESH, &[Attribute::Lifetime(600)])),
        None
    );
    s.handle_timeout(now + Duration::from_secs(700));
    assert_eq!(s.stats().allocations, 1);
    assert_eq!(
        code(&c.request(&mut s, later, Method::REFRESH, &[Attribute::Lifetime(0)])),
        None
    );
    assert_eq!(s.stats().allocations, 0);
    assert_eq!(s.poll_event(), Some(ServerEvent::RelayClosed(relay)));
    // A second allocation simply times out.
    let mut c = Client::new(1001, "alice", "secret");
    let relay = relayed(&allocate(&mut c, &mut s, later));
    s.poll_event();
    s.handle_timeout(later + Duration::from_secs(601));
    assert_eq!(s.stats().allocations, 0);
    assert_eq!(s.poll_event(), Some(ServerEvent::RelayClosed(relay)));
    // Refresh without an allocation: 437.
    assert_eq!(
        code(&c.request(&mut s, later, Method::REFRESH, &[])),
        Some(437)
    );
}

#[test]
fn garbage_from_clients_and_peers_is_dropped_with_typed_errors() {
    let now = Instant::now();
    let mut s = server(config());
    let t = tuple(1000);
    for bytes in [
        &b""[..],
        b"\x00",
        b"\x40\x01\x00\x10ab",
        b"\x16\xfe\xfd",
        &[0u8; 20],
    ] {
        assert!(s.handle_client(now, t, bytes).is_err());
    }
    assert!(s.poll_transmit().is_none());
    assert!(
        s.handle_peer(
            now,
            "203.0.113.1:50000".parse().unwrap(),
            "1.2.3.4:5".parse().unwrap(),
            b"x"
        )
        .is_err()
    );
}
