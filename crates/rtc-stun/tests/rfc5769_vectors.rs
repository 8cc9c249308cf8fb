//! RFC 5769 test vectors: parse, verify, and rebuild each one byte for byte.

use std::net::SocketAddr;

use rtc_stun::{
    Attribute, Class, Error, IntegrityKey, Message, MessageBuilder, Method, PasswordAlgorithmId,
    TransactionId,
};

fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s
        .split_whitespace()
        .map(|b| u8::from_str_radix(b, 16).unwrap())
        .collect();
    digits
}

const PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";
const TID: [u8; 12] = [
    0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
];

// RFC 5769 §2.1
fn sample_request() -> Vec<u8> {
    hex("00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
         80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
         00 24 00 04 6e 00 01 ff
         80 29 00 08 93 2f f9 b1 51 26 3b 36
         00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
         00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
         80 28 00 04 e5 7a 3b cf")
}

// RFC 5769 §2.2
fn sample_ipv4_response() -> Vec<u8> {
    hex("01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
         80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
         00 20 00 08 00 01 a1 47 e1 12 a6 43
         00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
         80 28 00 04 c0 7d 4c 96")
}

// RFC 5769 §2.3
fn sample_ipv6_response() -> Vec<u8> {
    hex("01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
         80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
         00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
         00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
         80 28 00 04 c8 fb 0b 4c")
}

// RFC 5769 §2.4
fn sample_long_term_request() -> Vec<u8> {
    hex("00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
         00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
         00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
         00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
         00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66")
}

#[test]
fn sample_request_parses_and_verifies() {
    let bytes = sample_request();
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(m.class(), Class::Request);
    assert_eq!(m.method(), Method::BINDING);
    assert_eq!(m.transaction_id(), TransactionId::new(TID));
    assert_eq!(m.software(), Some("STUN test client"));
    assert_eq!(m.username(), Some("evtj:h6vY"));
    assert_eq!(
        m.get(rtc_stun::AttributeType::PRIORITY),
        Some(Attribute::Priority(0x6e0001ff))
    );
    assert_eq!(
        m.get(rtc_stun::AttributeType::ICE_CONTROLLED),
        Some(Attribute::IceControlled(0x932ff9b151263b36))
    );
    assert!(m.has_fingerprint());
    m.verify_integrity(&IntegrityKey::short_term(PASSWORD))
        .unwrap();
    assert_eq!(
        m.verify_integrity(&IntegrityKey::short_term("wrong")),
        Err(Error::IntegrityMismatch)
    );
}

#[test]
fn sample_request_is_rebuilt_byte_for_byte() {
    let key = IntegrityKey::short_term(PASSWORD);
    let mut buf = [0u8; 256];
    let mut b = MessageBuilder::new(
        &mut buf,
        Class::Request,
        Method::BINDING,
        TransactionId::new(TID),
    )
    .unwrap();
    b.add(&Attribute::Software("STUN test client"))
        .unwrap()
        .add(&Attribute::Priority(0x6e0001ff))
        .unwrap()
        .add(&Attribute::IceControlled(0x932ff9b151263b36))
        .unwrap()
        .add(&Attribute::Username("evtj:h6vY"))
        .unwrap();
    // The vector pads USERNAME with spaces, which the HMAC covers: write the same padding to
    // reproduce its MESSAGE-INTEGRITY exactly.
    let len = b.len();
    buf[len - 3..len].copy_from_slice(b"   ");
    let mut b = resume(&mut buf, len);
    b.add_message_integrity(&key)
        .unwrap()
        .add_fingerprint()
        .unwrap();
    assert_eq!(b.finish(), &sample_request()[..]);
}

/// Continues the message in `buf[..len]` after its padding was edited in place.
fn resume(buf: &mut [u8], len: usize) -> MessageBuilder<'_> {
    MessageBuilder::resume(buf, len).unwrap()
}

#[test]
fn sample_ipv4_response_parses_and_verifies() {
    let bytes = sample_ipv4_response();
    let m = Message::parse(&bytes).unwrap();
    assert_eq!(m.class(), Class::Success);
    assert_eq!(m.software(), Some("test vector"));
    let expected: SocketAddr = "192.0.2.1:32853".parse().unwrap();
    assert_eq!(m.xor_mapped_address(), Some(expected));
    assert_eq!(m.mapped_address(), Some(expected));
    m.verify_integrity(&IntegrityKey::short_term(PASSWORD))
        .unwrap();
}

#[test]
fn sample_ipv6_response_parses_and_verifies() {
    let bytes = sample_ipv6_response();
    let m = Message::parse(&bytes).unwrap();
    let expected: SocketAddr = "[2001:db8:1234:5678:11:2233:4455:6677]:32853"
        .parse()
        .unwrap();
    assert_eq!(m.xor_mapped_address(), Some(expected));
    m.verify_integrity(&IntegrityKey::short_term(PASSWORD))
        .unwrap();
}

#[test]
fn responses_are_rebuilt_byte_for_byte() {
    let key = IntegrityKey::short_term(PASSWORD);
    for (vector, addr) in [
        (sample_ipv4_response(), "192.0.2.1:32853"),
        (
            sample_ipv6_response(),
            "[2001:db8:1234:5678:11:2233:4455:6677]:32853",
        ),
    ] {
        let mut buf = [0u8; 256];
        let mut b = MessageBuilder::new(
            &mut buf,
            Class::Success,
            Method::BINDING,
            TransactionId::new(TID),
        )
        .unwrap();
        b.add(&Attribute::Software("test vector")).unwrap();
        let len = b.len();
        buf[len - 1] = b' '; // the vector pads SOFTWARE with a space
        let mut b = resume(&mut buf, len);
        b.add(&Attribute::XorMappedAddress(addr.parse().unwrap()))
            .unwrap()
            .add_message_integrity(&key)
            .unwrap()
            .add_fingerprint()
            .unwrap();
        assert_eq!(b.finish(), &vector[..]);
    }
}

#[test]
fn long_term_request_verifies_with_saslprep_password() {
    let bytes = sample_long_term_request();
    let m = Message::parse(&bytes).unwrap();
    let username = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}";
    assert_eq!(m.username(), Some(username));
    assert_eq!(m.nonce(), Some("f//499k954d6OL34oL9FSTvy64sA"));
    assert_eq!(m.realm(), Some("example.org"));
    assert!(!m.has_fingerprint());
    let key = IntegrityKey::long_term(
        username,
        "example.org",
        "The\u{00AD}M\u{00AA}tr\u{2168}",
        PasswordAlgorithmId::MD5,
    )
    .unwrap();
    m.verify_integrity(&key).unwrap();
    // The same key from the already-prepared password.
    let key = IntegrityKey::long_term(
        username,
        "example.org",
        "TheMatrIX",
        PasswordAlgorithmId::MD5,
    )
    .unwrap();
    m.verify_integrity(&key).unwrap();
}

#[test]
fn long_term_request_is_rebuilt_byte_for_byte() {
    let username = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}";
    let key = IntegrityKey::long_term(
        username,
        "example.org",
        "TheMatrIX",
        PasswordAlgorithmId::MD5,
    )
    .unwrap();
    let tid = TransactionId::new([
        0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e,
    ]);
    let mut buf = [0u8; 256];
    let mut b = MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, tid).unwrap();
    b.add(&Attribute::Username(username))
        .unwrap()
        .add(&Attribute::Nonce("f//499k954d6OL34oL9FSTvy64sA"))
        .unwrap()
        .add(&Attribute::Realm("example.org"))
        .unwrap()
        .add_message_integrity(&key)
        .unwrap();
    assert_eq!(b.finish(), &sample_long_term_request()[..]);
}

#[test]
fn every_single_bit_flip_is_caught() {
    // Flipping any bit of the signed request must fail parsing, the fingerprint, or integrity.
    let key = IntegrityKey::short_term(PASSWORD);
    let original = sample_request();
    // Every byte up to the end of MESSAGE-INTEGRITY, and FINGERPRINT's value. (Flipping the
    // FINGERPRINT *type* turns it into an unknown optional attribute after MESSAGE-INTEGRITY,
    // which RFC 8489 §14.5 says to ignore: the message is still authentic.)
    let fingerprint_at = original.len() - 8;
    let covered = (0..fingerprint_at).chain(fingerprint_at + 4..original.len());
    for i in covered {
        for bit in 0..8 {
            let mut bytes = original.clone();
            bytes[i] ^= 1 << bit;
            let accepted = Message::parse(&bytes)
                .and_then(|m| m.verify_integrity(&key))
                .is_ok();
            // Padding bytes of USERNAME are covered by the HMAC too, so every flip is caught.
            assert!(!accepted, "flip of bit {bit} in byte {i} went unnoticed");
        }
    }
}

#[test]
fn userhash_matches_rfc_8489_appendix_b1() {
    // RFC 8489 Appendix B.1's USERHASH value. (The rest of that vector is known to be broken: its
    // length field counts 20 more bytes than it holds, so only the hash is checked here.)
    let username = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}";
    let expected = hex("4a 3c f3 8f ef 69 92 bd a9 52 c6 78 04 17 da 0f
                        24 81 94 15 56 9e 60 b2 05 c4 6e 41 40 7f 17 04");
    assert_eq!(
        rtc_stun::user_hash(username, "example.org").to_vec(),
        expected
    );
}
