//! The Binding server core: answers, rejections, classic RFC 3489 clients, and what it ignores.

use std::net::SocketAddr;

use rtc_stun::{
    Attribute, AttributeType, BindingServer, Class, Error, Handled, Message, MessageBuilder,
    Method, ServerConfig, TransactionId,
};

const CLIENT_V4: &str = "203.0.113.5:40000";
const CLIENT_V6: &str = "[2001:db8::5]:40000";

fn server() -> BindingServer {
    BindingServer::new(ServerConfig {
        software: Some("rtc-stun test".into()),
        always_fingerprint: false,
    })
}

fn respond(server: &mut BindingServer, from: SocketAddr, request: &[u8]) -> (Handled, Vec<u8>) {
    let handled = server.handle_input(from, request).unwrap();
    let out = server.poll_transmit().map(|t| {
        assert_eq!(t.destination, from);
        t.contents.to_vec()
    });
    assert!(server.poll_transmit().is_none());
    (handled, out.unwrap_or_default())
}

#[test]
fn answers_binding_with_xor_mapped_address_for_v4_and_v6() {
    let mut s = server();
    for from in [CLIENT_V4, CLIENT_V6] {
        let from: SocketAddr = from.parse().unwrap();
        let tid = TransactionId::new([3; 12]);
        let mut buf = [0u8; 64];
        let mut b = MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, tid).unwrap();
        b.add_fingerprint().unwrap();
        let (handled, out) = respond(&mut s, from, b.finish());
        assert_eq!(handled, Handled::Answered);
        let m = Message::parse(&out).unwrap();
        assert_eq!(m.class(), Class::Success);
        assert_eq!(m.method(), Method::BINDING);
        assert_eq!(m.transaction_id(), tid);
        assert_eq!(m.xor_mapped_address(), Some(from));
        assert_eq!(m.software(), Some("rtc-stun test"));
        // The request had FINGERPRINT, so the response has one too (checked by parse).
        assert!(m.has_fingerprint());
    }
}

#[test]
fn unknown_comprehension_required_attribute_gets_420() {
    let mut s = server();
    let mut buf = [0u8; 64];
    let mut b = MessageBuilder::new(
        &mut buf,
        Class::Request,
        Method::BINDING,
        TransactionId::new([4; 12]),
    )
    .unwrap();
    b.add_raw(AttributeType(0x7F01), b"x").unwrap();
    b.add_raw(AttributeType(0xC001), b"optional is fine")
        .unwrap();
    b.add_raw(AttributeType(0x7F01), b"listed once").unwrap();
    let (handled, out) = respond(&mut s, CLIENT_V4.parse().unwrap(), b.finish());
    assert_eq!(handled, Handled::Rejected(420));
    let m = Message::parse(&out).unwrap();
    assert_eq!(m.class(), Class::Error);
    assert_eq!(m.error_code().map(|e| e.code), Some(420));
    match m.get(AttributeType::UNKNOWN_ATTRIBUTES) {
        Some(Attribute::UnknownAttributes(list)) => {
            assert_eq!(list.iter().collect::<Vec<_>>(), [AttributeType(0x7F01)])
        }
        other => panic!("no UNKNOWN-ATTRIBUTES: {other:?}"),
    }
}

#[test]
fn other_methods_get_400_and_indications_and_responses_are_ignored() {
    let mut s = server();
    let from: SocketAddr = CLIENT_V4.parse().unwrap();
    let mut buf = [0u8; 64];
    let tid = TransactionId::new([5; 12]);
    let len = MessageBuilder::new(&mut buf, Class::Request, Method::ALLOCATE, tid)
        .unwrap()
        .len();
    let (handled, out) = respond(&mut s, from, &buf[..len]);
    assert_eq!(handled, Handled::Rejected(400));
    assert_eq!(
        Message::parse(&out).unwrap().error_code().map(|e| e.code),
        Some(400)
    );
    for class in [Class::Indication, Class::Success, Class::Error] {
        let len = MessageBuilder::new(&mut buf, class, Method::BINDING, tid)
            .unwrap()
            .len();
        let (handled, out) = respond(&mut s, from, &buf[..len]);
        assert_eq!(handled, Handled::Ignored);
        assert!(out.is_empty());
    }
}

#[test]
fn classic_rfc_3489_request_gets_mapped_address_and_its_cookie_back() {
    // An RFC 3489 Binding request: 128-bit transaction id, no magic cookie, CHANGE-REQUEST 0,
    // as the Debian `stun` client sends it.
    let mut request = vec![0x00, 0x01, 0x00, 0x08];
    request.extend_from_slice(&[0xde, 0xad, 0xbe, 0xef]);
    request.extend_from_slice(&[9; 12]);
    request.extend_from_slice(&[0x00, 0x03, 0x00, 0x04, 0, 0, 0, 0]);
    assert_eq!(Message::parse(&request).unwrap_err(), Error::NoMagicCookie);
    let mut s = server();
    let from: SocketAddr = CLIENT_V4.parse().unwrap();
    let (handled, out) = respond(&mut s, from, &request);
    assert_eq!(handled, Handled::Answered);
    assert_eq!(&out[4..20], &request[4..20], "whole 128-bit id echoed");
    let m = Message::parse_allow_rfc3489(&out).unwrap();
    assert!(m.is_rfc3489());
    assert_eq!(
        m.get(AttributeType::MAPPED_ADDRESS),
        Some(Attribute::MappedAddress(from))
    );
    assert_eq!(m.xor_mapped_address(), None);
    assert_eq!(m.software(), None);
    assert!(!m.has_fingerprint());
}

#[test]
fn garbage_is_dropped_with_a_typed_error_and_the_server_carries_on() {
    let mut s = server();
    let from: SocketAddr = CLIENT_V4.parse().unwrap();
    let cases: [&[u8]; 5] = [
        b"",
        b"\x16\xfe\xfd\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00",
        &[
            0, 1, 0, 4, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
        &[
            0, 1, 0, 3, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
        &[
            0, 1, 0, 4, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 6, 0, 9,
        ],
    ];
    for case in cases {
        let e = s.handle_input(from, case).unwrap_err();
        assert!(e.is_invalid_message(), "{e:?}");
        assert!(s.poll_transmit().is_none());
    }
    let mut buf = [0u8; 64];
    let len = MessageBuilder::new(
        &mut buf,
        Class::Request,
        Method::BINDING,
        TransactionId::new([1; 12]),
    )
    .unwrap()
    .len();
    assert_eq!(respond(&mut s, from, &buf[..len]).0, Handled::Answered);
}

#[test]
fn queued_responses_drain_in_order() {
    let mut s = server();
    let mut buf = [0u8; 64];
    for i in 0..5u8 {
        let from: SocketAddr = format!("203.0.113.{i}:1000").parse().unwrap();
        let len = MessageBuilder::new(
            &mut buf,
            Class::Request,
            Method::BINDING,
            TransactionId::new([i; 12]),
        )
        .unwrap()
        .len();
        s.handle_input(from, &buf[..len]).unwrap();
    }
    for i in 0..5u8 {
        let t = s.poll_transmit().unwrap();
        let m = Message::parse(t.contents).unwrap();
        assert_eq!(m.transaction_id(), TransactionId::new([i; 12]));
        assert_eq!(m.xor_mapped_address(), Some(t.destination));
    }
    assert!(s.poll_transmit().is_none());
}
