//! Unit tests of the TURN client through its public API, on virtual time: malformed and stray
//! input, the first Allocate, request ordering around allocation and close.
#![allow(clippy::disallowed_methods)] // `Instant::now()` only picks the origin of virtual time

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtc_stun::{Attribute, AttributeType, Class, Message, MessageBuilder, Method, TransactionId};
use rtc_turn::client::{ClientConfig, ClientEvent, ClientState, Failure};
use rtc_turn::{CHANNEL_MIN, Error, Transport, TurnClient};

const SERVER: &str = "192.0.2.100:3478";

fn client() -> TurnClient {
    TurnClient::new(
        SERVER.parse().unwrap(),
        Transport::Udp,
        "alice".into(),
        "secret".into(),
        ClientConfig::default(),
        [3; 32],
    )
}

fn allocate_request(client: &mut TurnClient, now: Instant) -> Vec<u8> {
    client.allocate(now).unwrap();
    let t = client.poll_transmit().unwrap();
    assert_eq!(t.destination, SERVER.parse().unwrap());
    t.contents.to_vec()
}

#[test]
fn first_allocate_is_unauthenticated_and_asks_for_udp() {
    let mut c = TurnClient::new(
        SERVER.parse().unwrap(),
        Transport::Udp,
        "alice".into(),
        "secret".into(),
        ClientConfig {
            lifetime: Some(Duration::from_secs(1200)),
            software: Some("rtc-turn test".into()),
            ..ClientConfig::default()
        },
        [3; 32],
    );
    let bytes = allocate_request(&mut c, Instant::now());
    let m = Message::parse(&bytes).unwrap();
    assert_eq!((m.class(), m.method()), (Class::Request, Method::ALLOCATE));
    assert_eq!(
        m.get(AttributeType::REQUESTED_TRANSPORT),
        Some(Attribute::RequestedTransport(17))
    );
    assert_eq!(
        m.get(AttributeType::LIFETIME),
        Some(Attribute::Lifetime(1200))
    );
    assert_eq!(m.software(), Some("rtc-turn test"));
    assert!(!m.has_integrity());
    assert!(m.has_fingerprint());
    assert_eq!(c.state(), ClientState::Allocating);
    assert_eq!(c.allocate(Instant::now()), Err(Error::AlreadyStarted));
}

#[test]
fn garbage_is_not_turn() {
    let mut c = client();
    let now = Instant::now();
    assert_eq!(c.handle_input(now, &[0x80, 1, 2, 3]), Err(Error::NotTurn));
    assert_eq!(c.handle_input(now, &[0xFF; 40]), Err(Error::NotTurn));
    // RFC 8656 §12: 0x5000-0xFFFF is reserved, not a channel.
    assert_eq!(c.handle_input(now, &[0x50, 0, 0, 0]), Err(Error::NotTurn));
    assert!(matches!(
        c.handle_input(now, &[]),
        Err(Error::Stun(rtc_stun::Error::Truncated { .. }))
    ));
    assert!(matches!(
        c.handle_input(now, &[0, 1, 0, 0, 1, 2, 3]),
        Err(Error::Stun(_))
    ));
    assert!(c.poll_event().is_none());
}

#[test]
fn truncated_or_unbound_channel_data_is_rejected() {
    let mut c = client();
    let now = Instant::now();
    assert!(matches!(
        c.handle_input(now, &[0x40, 0x00]),
        Err(Error::ChannelDataTruncated {
            needed: 4,
            available: 2
        })
    ));
    assert_eq!(
        c.handle_input(now, &[0x40, 0x00, 0x00, 0x08, 1, 2, 3]),
        Err(Error::ChannelDataTruncated {
            needed: 12,
            available: 7
        })
    );
    assert_eq!(
        c.handle_input(now, &[0x40, 0x01, 0x00, 0x01, 1]),
        Err(Error::ChannelNotBound(0x4001))
    );
}

#[test]
fn stray_stun_messages_are_rejected() {
    let mut c = client();
    let now = Instant::now();
    let request = allocate_request(&mut c, now);
    let tid = Message::parse(&request).unwrap().transaction_id();
    let mut buf = [0u8; 256];

    // A response to a request never sent.
    let other = TransactionId::new([9; 12]);
    let len = MessageBuilder::new(&mut buf, Class::Success, Method::ALLOCATE, other)
        .unwrap()
        .len();
    assert_eq!(
        c.handle_input(now, &buf[..len]),
        Err(Error::Stun(rtc_stun::Error::UnmatchedResponse))
    );

    // An error response without ERROR-CODE: discarded, the transaction goes on.
    let len = MessageBuilder::new(&mut buf, Class::Error, Method::ALLOCATE, tid)
        .unwrap()
        .len();
    assert_eq!(
        c.handle_input(now, &buf[..len]),
        Err(Error::MissingAttribute(AttributeType::ERROR_CODE))
    );
    assert_eq!(c.state(), ClientState::Allocating);

    // A request from the server.
    let len = MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, other)
        .unwrap()
        .len();
    assert_eq!(
        c.handle_input(now, &buf[..len]),
        Err(Error::UnexpectedMessage {
            class: Class::Request,
            method: Method::BINDING
        })
    );

    // A Data indication without XOR-PEER-ADDRESS, then one from a peer with no permission.
    let len = MessageBuilder::new(&mut buf, Class::Indication, Method::DATA, other)
        .unwrap()
        .len();
    assert_eq!(
        c.handle_input(now, &buf[..len]),
        Err(Error::MissingAttribute(AttributeType::XOR_PEER_ADDRESS))
    );
    let mut b = MessageBuilder::new(&mut buf, Class::Indication, Method::DATA, other).unwrap();
    b.add(&Attribute::XorPeerAddress(
        "198.51.100.1:9".parse().unwrap(),
    ))
    .unwrap()
    .add(&Attribute::Data(b"x"))
    .unwrap();
    let len = b.len();
    assert_eq!(c.handle_input(now, &buf[..len]), Err(Error::NoPermission));
    assert!(c.poll_event().is_none());
}

#[test]
fn a_401_without_nonce_fails_the_allocation() {
    let mut c = client();
    let now = Instant::now();
    let request = allocate_request(&mut c, now);
    let tid = Message::parse(&request).unwrap().transaction_id();
    let mut buf = [0u8; 256];
    let mut b = MessageBuilder::new(&mut buf, Class::Error, Method::ALLOCATE, tid).unwrap();
    b.add(&Attribute::ErrorCode(rtc_stun::ErrorCode::UNAUTHENTICATED))
        .unwrap();
    let len = b.len();
    assert_eq!(c.handle_input(now, &buf[..len]), Ok(None));
    assert_eq!(
        c.poll_event(),
        Some(ClientEvent::AllocationFailed(Failure::ErrorResponse(401)))
    );
    assert_eq!(c.state(), ClientState::Failed);
    assert!(c.poll_transmit().is_none());
    assert_eq!(c.poll_timeout(), None);
}

#[test]
fn requests_wait_for_the_allocation_and_stop_after_close() {
    let mut c = client();
    let now = Instant::now();
    let peer: SocketAddr = "198.51.100.1:9".parse().unwrap();
    assert_eq!(
        c.send_to(now, peer, b"x", &mut [0; 64]),
        Err(Error::NoAllocation)
    );
    c.create_permission(now, peer.ip()).unwrap();
    assert_eq!(c.bind_channel(now, peer), Ok(CHANNEL_MIN));
    assert_eq!(c.bind_channel(now, peer), Ok(CHANNEL_MIN));
    // Nothing goes out before Allocate.
    assert!(c.poll_transmit().is_none());
    c.close(now).unwrap();
    assert_eq!(c.poll_event(), Some(ClientEvent::Closed));
    assert_eq!(c.state(), ClientState::Closed);
    assert_eq!(
        c.create_permission(now, peer.ip()),
        Err(Error::NoAllocation)
    );
    assert_eq!(c.bind_channel(now, peer), Err(Error::NoAllocation));
    assert_eq!(c.allocate(now), Err(Error::AlreadyStarted));
}
