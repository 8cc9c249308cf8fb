//! Property tests: every attribute survives build → parse unchanged; integrity and fingerprint
//! hold for any message; parsing arbitrary or mutilated bytes never panics.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use proptest::prelude::*;
use rtc_stun::{
    AddressFamily, Attribute, AttributeType, AttributeTypeList, Class, Error, ErrorCode,
    IntegrityKey, Message, MessageBuilder, Method, PasswordAlgorithm, PasswordAlgorithmId,
    PasswordAlgorithmList, TransactionId,
};

/// An owned attribute, so that proptest can generate it; `view` borrows it as an [`Attribute`].
#[derive(Debug, Clone)]
enum Owned {
    Address(u8, SocketAddr),
    Text(u8, String),
    UserHash([u8; 32]),
    U32(u8, u32),
    U64(u8, u64),
    ErrorCode(u16, String),
    AddressErrorCode(AddressFamily, u16, String),
    PasswordAlgorithm(u16, Vec<u8>),
    PasswordAlgorithms(Vec<u8>),
    UnknownAttributes(Vec<u8>),
    Flag(u8),
    EvenPort(bool),
    RequestedTransport(u8),
    Family(u8, AddressFamily),
    ChannelNumber(u16),
    Icmp(u8, u8, u32),
    Data(Vec<u8>),
    Unknown(u16, Vec<u8>),
}

impl Owned {
    fn view(&self) -> Attribute<'_> {
        match self {
            Self::Address(k, a) => match k % 9 {
                0 => Attribute::MappedAddress(*a),
                1 => Attribute::XorMappedAddress(*a),
                2 => Attribute::AlternateServer(*a),
                3 => Attribute::XorPeerAddress(*a),
                4 => Attribute::XorRelayedAddress(*a),
                5 => Attribute::SourceAddress(*a),
                6 => Attribute::ChangedAddress(*a),
                7 => Attribute::ResponseOrigin(*a),
                _ => Attribute::OtherAddress(*a),
            },
            Self::Text(k, s) => match k % 5 {
                0 => Attribute::Username(s),
                1 => Attribute::Realm(s),
                2 => Attribute::Nonce(s),
                3 => Attribute::Software(s),
                _ => Attribute::AlternateDomain(s),
            },
            Self::UserHash(h) => Attribute::UserHash(h),
            Self::U32(k, v) => match k % 5 {
                0 => Attribute::Priority(*v),
                1 => Attribute::Lifetime(*v),
                2 => Attribute::ConnectionId(*v),
                3 => Attribute::ChangeRequest(*v),
                _ => Attribute::Priority(v.rotate_left(7)),
            },
            Self::U64(k, v) => match k % 3 {
                0 => Attribute::IceControlled(*v),
                1 => Attribute::IceControlling(*v),
                _ => Attribute::ReservationToken(*v),
            },
            Self::ErrorCode(c, r) => Attribute::ErrorCode(ErrorCode::new(*c, r)),
            Self::AddressErrorCode(f, c, r) => {
                Attribute::AddressErrorCode(*f, ErrorCode::new(*c, r))
            }
            Self::PasswordAlgorithm(a, p) => Attribute::PasswordAlgorithm(PasswordAlgorithm {
                algorithm: PasswordAlgorithmId(*a),
                parameters: p,
            }),
            Self::PasswordAlgorithms(b) => {
                Attribute::PasswordAlgorithms(PasswordAlgorithmList::new(b).unwrap())
            }
            Self::UnknownAttributes(b) => {
                Attribute::UnknownAttributes(AttributeTypeList::new(b).unwrap())
            }
            Self::Flag(k) => match k % 2 {
                0 => Attribute::UseCandidate,
                _ => Attribute::DontFragment,
            },
            Self::EvenPort(r) => Attribute::EvenPort(*r),
            Self::RequestedTransport(p) => Attribute::RequestedTransport(*p),
            Self::Family(k, f) => match k % 2 {
                0 => Attribute::RequestedAddressFamily(*f),
                _ => Attribute::AdditionalAddressFamily(*f),
            },
            Self::ChannelNumber(n) => Attribute::ChannelNumber(*n),
            Self::Icmp(t, c, d) => Attribute::Icmp {
                icmp_type: *t,
                code: *c,
                data: *d,
            },
            Self::Data(d) => Attribute::Data(d),
            Self::Unknown(t, v) => Attribute::Unknown {
                attribute: AttributeType(*t),
                value: v,
            },
        }
    }
}

fn socket_addr() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<[u8; 4]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)),
        (any::<[u8; 16]>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port)),
    ]
}

fn family() -> impl Strategy<Value = AddressFamily> {
    prop_oneof![Just(AddressFamily::V4), Just(AddressFamily::V6)]
}

fn password_algorithms() -> impl Strategy<Value = Vec<u8>> {
    prop::collection::vec(
        (any::<u16>(), prop::collection::vec(any::<u8>(), 0..9)),
        0..4,
    )
    .prop_map(|algs| {
        let mut out = Vec::new();
        for (a, p) in algs {
            out.extend_from_slice(&a.to_be_bytes());
            out.extend_from_slice(&(p.len() as u16).to_be_bytes());
            out.extend_from_slice(&p);
            out.resize(out.len().next_multiple_of(4), 0);
        }
        out
    })
}

fn owned() -> impl Strategy<Value = Owned> {
    prop_oneof![
        (any::<u8>(), socket_addr()).prop_map(|(k, a)| Owned::Address(k, a)),
        (any::<u8>(), "\\PC{0,40}").prop_map(|(k, s)| Owned::Text(k, s)),
        any::<[u8; 32]>().prop_map(Owned::UserHash),
        (any::<u8>(), any::<u32>()).prop_map(|(k, v)| Owned::U32(k, v)),
        (any::<u8>(), any::<u64>()).prop_map(|(k, v)| Owned::U64(k, v)),
        (300u16..700, "\\PC{0,30}").prop_map(|(c, r)| Owned::ErrorCode(c, r)),
        (family(), 300u16..700, "\\PC{0,30}")
            .prop_map(|(f, c, r)| Owned::AddressErrorCode(f, c, r)),
        (any::<u16>(), prop::collection::vec(any::<u8>(), 0..12))
            .prop_map(|(a, p)| Owned::PasswordAlgorithm(a, p)),
        password_algorithms().prop_map(Owned::PasswordAlgorithms),
        prop::collection::vec(any::<u8>(), 0..8).prop_map(|mut v| {
            v.truncate(v.len() & !1);
            Owned::UnknownAttributes(v)
        }),
        any::<u8>().prop_map(Owned::Flag),
        any::<bool>().prop_map(Owned::EvenPort),
        any::<u8>().prop_map(Owned::RequestedTransport),
        (any::<u8>(), family()).prop_map(|(k, f)| Owned::Family(k, f)),
        any::<u16>().prop_map(Owned::ChannelNumber),
        (any::<u8>(), any::<u8>(), any::<u32>()).prop_map(|(t, c, d)| Owned::Icmp(t, c, d)),
        prop::collection::vec(any::<u8>(), 0..64).prop_map(Owned::Data),
        (any::<u16>(), prop::collection::vec(any::<u8>(), 0..40))
            .prop_filter_map("unknown types only", |(t, v)| {
                (!AttributeType(t).is_known()).then_some(Owned::Unknown(t, v))
            }),
    ]
}

fn class() -> impl Strategy<Value = Class> {
    prop_oneof![
        Just(Class::Request),
        Just(Class::Indication),
        Just(Class::Success),
        Just(Class::Error),
    ]
}

fn build(
    buf: &mut [u8],
    class: Class,
    method: u16,
    tid: [u8; 12],
    attrs: &[Owned],
) -> Result<usize, Error> {
    let method = Method::new(method)?;
    let mut b = MessageBuilder::new(buf, class, method, TransactionId::new(tid))?;
    for a in attrs {
        b.add(&a.view())?;
    }
    Ok(b.len())
}

proptest! {
    #[test]
    fn every_attribute_round_trips(
        class in class(),
        method in 0u16..0x1000,
        tid in any::<[u8; 12]>(),
        attrs in prop::collection::vec(owned(), 0..10),
    ) {
        let mut buf = vec![0u8; 4096];
        let len = build(&mut buf, class, method, tid, &attrs).unwrap();
        let m = Message::parse(&buf[..len]).unwrap();
        prop_assert_eq!(m.class(), class);
        prop_assert_eq!(m.method().value(), method);
        prop_assert_eq!(m.transaction_id(), TransactionId::new(tid));
        let parsed: Vec<_> = m.attributes().collect();
        let expected: Vec<_> = attrs.iter().map(Owned::view).collect();
        prop_assert_eq!(parsed, expected);
        // Emitting the parsed attributes again gives the same bytes.
        let mut again = vec![0u8; 4096];
        let mut b = MessageBuilder::new(&mut again, class, m.method(), m.transaction_id()).unwrap();
        for a in m.attributes() {
            b.add(&a).unwrap();
        }
        prop_assert_eq!(b.finish(), &buf[..len]);
    }

    #[test]
    fn integrity_and_fingerprint_hold_for_any_message(
        attrs in prop::collection::vec(owned(), 0..6),
        password in "\\PC{0,24}",
        sha1 in any::<bool>(),
        sha256 in any::<bool>(),
        fingerprint in any::<bool>(),
        tid in any::<[u8; 12]>(),
    ) {
        let key = IntegrityKey::short_term(&password);
        let other = IntegrityKey::short_term(&format!("{password}x"));
        let mut buf = vec![0u8; 4096];
        let len = build(&mut buf, Class::Request, 1, tid, &attrs).unwrap();
        let mut b = MessageBuilder::resume(&mut buf, len).unwrap();
        if sha1 { b.add_message_integrity(&key).unwrap(); }
        if sha256 { b.add_message_integrity_sha256(&key).unwrap(); }
        if fingerprint { b.add_fingerprint().unwrap(); }
        // Once sealed, ordinary attributes are refused.
        if sha1 || sha256 || fingerprint {
            prop_assert!(matches!(b.add(&Attribute::Priority(1)), Err(Error::MessageSealed(_))));
        }
        let len = b.len();
        let m = Message::parse(&buf[..len]).unwrap();
        prop_assert_eq!(m.has_fingerprint(), fingerprint);
        if sha1 || sha256 {
            prop_assert_eq!(m.verify_integrity(&key), Ok(()));
            prop_assert_eq!(m.verify_integrity(&other), Err(Error::IntegrityMismatch));
        } else {
            prop_assert_eq!(m.verify_integrity(&key), Err(Error::MissingIntegrity));
        }
        let expected: Vec<_> = attrs.iter().map(Owned::view).collect();
        let ordinary: Vec<_> = m.attributes().take(expected.len()).collect();
        prop_assert_eq!(ordinary, expected);
    }

    /// `add_message_integrity_and_fingerprint` writes what the two calls write, refuses what
    /// they refuse, and writes nothing when the buffer cannot hold both attributes.
    #[test]
    fn integrity_and_fingerprint_in_one_call_are_the_two_calls(
        attrs in prop::collection::vec(owned(), 0..6),
        password in "\\PC{0,24}",
        tid in any::<[u8; 12]>(),
        short_by in 0usize..30,
    ) {
        let key = IntegrityKey::short_term(&password);
        let mut two = vec![0u8; 4096];
        let len = build(&mut two, Class::Request, 1, tid, &attrs).unwrap();
        let mut one = two.clone();
        let unsealed = two[..len].to_vec();
        let mut b = MessageBuilder::resume(&mut two, len).unwrap();
        b.add_message_integrity(&key).unwrap().add_fingerprint().unwrap();
        let two_len = b.len();
        let mut b = MessageBuilder::resume(&mut one, len).unwrap();
        b.add_message_integrity_and_fingerprint(&key).unwrap();
        prop_assert!(matches!(b.add(&Attribute::Priority(1)), Err(Error::MessageSealed(_))));
        prop_assert!(matches!(b.add_fingerprint(), Err(Error::MessageSealed(_))));
        prop_assert_eq!(b.len(), two_len);
        prop_assert_eq!(&one[..two_len], &two[..two_len]);
        // After MESSAGE-INTEGRITY, or in too small a buffer, it is refused.
        let mut sealed = unsealed.clone();
        sealed.resize(4096, 0);
        let mut b = MessageBuilder::resume(&mut sealed, len).unwrap();
        b.add_message_integrity(&key).unwrap();
        prop_assert!(matches!(
            b.add_message_integrity_and_fingerprint(&key),
            Err(Error::MessageSealed(_))
        ));
        let mut small = unsealed.clone();
        small.resize(len + 32 - short_by.clamp(1, 32), 0);
        let mut b = MessageBuilder::resume(&mut small, len).unwrap();
        let refused = matches!(
            b.add_message_integrity_and_fingerprint(&key),
            Err(Error::BufferTooSmall { .. })
        );
        prop_assert!(refused);
        prop_assert_eq!(b.len(), len);
        prop_assert_eq!(&small[..len], &unsealed[..]);
    }

    /// `Message::parse_verified` gives the outcome of `parse` then `verify_integrity`, for any
    /// message with or without integrity and fingerprint, any key, and any flipped byte.
    #[test]
    fn parse_verified_is_parse_then_verify(
        attrs in prop::collection::vec(owned(), 0..6),
        sha1 in any::<bool>(),
        sha256 in any::<bool>(),
        fingerprint in any::<bool>(),
        right_key in any::<bool>(),
        flip in any::<Option<(prop::sample::Index, u8)>>(),
        tid in any::<[u8; 12]>(),
    ) {
        let key = IntegrityKey::short_term("VOkJxbRl1RmTxUk/WvJxBt");
        let mut buf = vec![0u8; 4096];
        let len = build(&mut buf, Class::Request, 1, tid, &attrs).unwrap();
        let mut b = MessageBuilder::resume(&mut buf, len).unwrap();
        if sha1 && fingerprint && !sha256 {
            b.add_message_integrity_and_fingerprint(&key).unwrap();
        } else {
            if sha1 { b.add_message_integrity(&key).unwrap(); }
            if sha256 { b.add_message_integrity_sha256(&key).unwrap(); }
            if fingerprint { b.add_fingerprint().unwrap(); }
        }
        let len = b.len();
        let mut bytes = buf[..len].to_vec();
        if let Some((at, bits)) = flip {
            let at = at.index(bytes.len());
            bytes[at] ^= bits.max(1);
        }
        let check = if right_key { key } else { IntegrityKey::short_term("wrong") };
        let separate = Message::parse(&bytes).and_then(|m| m.verify_integrity(&check).map(|()| m));
        let together = Message::parse_verified(&bytes, &check);
        prop_assert_eq!(together.is_ok(), separate.is_ok());
        match (together, separate) {
            (Ok(a), Ok(b)) => {
                prop_assert_eq!(a.as_bytes(), b.as_bytes());
                prop_assert_eq!(a.username(), b.username());
            }
            (Err(a), Err(b)) => prop_assert_eq!(a, b),
            _ => unreachable!(),
        }
    }

    #[test]
    fn every_truncation_is_a_typed_error(
        attrs in prop::collection::vec(owned(), 1..6),
        tid in any::<[u8; 12]>(),
    ) {
        let mut buf = vec![0u8; 4096];
        let len = build(&mut buf, Class::Success, 1, tid, &attrs).unwrap();
        for cut in 0..len {
            let e = Message::parse(&buf[..cut]).unwrap_err();
            prop_assert!(e.is_invalid_message(), "{e:?}");
        }
        let mut longer = buf[..len].to_vec();
        longer.push(0);
        prop_assert_eq!(Message::parse(&longer).unwrap_err(), Error::TrailingData(1));
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        if let Ok(m) = Message::parse_allow_rfc3489(&bytes) {
            let _ = format!("{m:?}");
            let _ = m.verify_integrity(&IntegrityKey::short_term("x"));
        }
    }

    #[test]
    fn arbitrary_attribute_bodies_never_panic(
        tid in any::<[u8; 12]>(),
        body in prop::collection::vec((any::<u16>(), prop::collection::vec(any::<u8>(), 0..24)), 0..6),
        known in prop::sample::select(vec![0x0001u16, 0x0009, 0x000A, 0x0014, 0x001C, 0x001D,
            0x0020, 0x8001, 0x8002, 0x8004, 0x0018, 0x0025]),
    ) {
        // Raw attribute bodies, many with known types and wrong values.
        let mut bytes = vec![0, 1, 0, 0];
        bytes.extend_from_slice(&0x2112_A442u32.to_be_bytes());
        bytes.extend_from_slice(&tid);
        for (i, (t, v)) in body.iter().enumerate() {
            let t = if i % 2 == 0 { known } else { *t };
            bytes.extend_from_slice(&t.to_be_bytes());
            bytes.extend_from_slice(&(v.len() as u16).to_be_bytes());
            bytes.extend_from_slice(v);
            bytes.resize(bytes.len().next_multiple_of(4), 0);
        }
        let len = (bytes.len() - 20) as u16;
        bytes[2..4].copy_from_slice(&len.to_be_bytes());
        match Message::parse(&bytes) {
            Ok(m) => { let _ = m.attributes().count(); }
            Err(e) => prop_assert!(e.is_invalid_message() || e == Error::FingerprintMismatch, "{e:?}"),
        }
    }
}

proptest! {
    /// The builder writes the ICE check's attributes without its generic encoder; the bytes must
    /// be the ones the generic encoder writes for the same values.
    #[test]
    fn ice_check_fast_path_writes_what_the_generic_path_writes(
        username in "\\PC{0,40}",
        priority in any::<u32>(),
        tiebreaker in any::<u64>(),
        controlling in any::<bool>(),
        use_candidate in any::<bool>(),
        tid in any::<[u8; 12]>(),
    ) {
        let key = IntegrityKey::short_term("VOkJxbRl1RmTxUk/WvJxBt");
        let tid = TransactionId::new(tid);
        let (role, role_type) = if controlling {
            (Attribute::IceControlling(tiebreaker), AttributeType::ICE_CONTROLLING)
        } else {
            (Attribute::IceControlled(tiebreaker), AttributeType::ICE_CONTROLLED)
        };
        // Leftover bytes in the buffer must not leak into the padding.
        let mut typed = vec![0xAAu8; 1024];
        let mut b = MessageBuilder::new(&mut typed, Class::Request, Method::BINDING, tid).unwrap();
        b.add(&Attribute::Username(&username)).unwrap();
        b.add(&Attribute::Priority(priority)).unwrap();
        b.add(&role).unwrap();
        if use_candidate { b.add(&Attribute::UseCandidate).unwrap(); }
        b.add_message_integrity(&key).unwrap().add_fingerprint().unwrap();
        // Fast-path attributes are refused once the message is sealed, like any other.
        prop_assert!(matches!(b.add(&Attribute::Username("x")), Err(Error::MessageSealed(_))));
        prop_assert!(matches!(b.add(&Attribute::UseCandidate), Err(Error::MessageSealed(_))));
        let typed_len = b.len();

        let mut raw = vec![0x55u8; 1024];
        let mut b = MessageBuilder::new(&mut raw, Class::Request, Method::BINDING, tid).unwrap();
        b.add_raw(AttributeType::USERNAME, username.as_bytes()).unwrap();
        b.add_raw(AttributeType::PRIORITY, &priority.to_be_bytes()).unwrap();
        b.add_raw(role_type, &tiebreaker.to_be_bytes()).unwrap();
        if use_candidate { b.add_raw(AttributeType::USE_CANDIDATE, &[]).unwrap(); }
        b.add_message_integrity(&key).unwrap().add_fingerprint().unwrap();
        let raw_len = b.len();
        prop_assert_eq!(&typed[..typed_len], &raw[..raw_len]);

        let m = Message::parse(&typed[..typed_len]).unwrap();
        prop_assert_eq!(m.username(), Some(username.as_str()));
        prop_assert_eq!(m.verify_integrity(&key), Ok(()));
        prop_assert_eq!(Message::parse_verified(&typed[..typed_len], &key).map(|m| m.username()), Ok(Some(username.as_str())));
    }

    /// `username()` is the first USERNAME a receiver processes: not a later duplicate, and not
    /// one after MESSAGE-INTEGRITY (RFC 8489 §14.5).
    #[test]
    fn username_is_the_first_processed_one(
        first in "[a-z]{0,12}",
        second in "[a-z]{0,12}",
        before_integrity in any::<bool>(),
    ) {
        let key = IntegrityKey::short_term("pw");
        let mut buf = vec![0u8; 512];
        let mut b = MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, TransactionId::new([1; 12])).unwrap();
        if before_integrity {
            b.add(&Attribute::Username(&first)).unwrap();
            b.add(&Attribute::Username(&second)).unwrap();
        }
        b.add_message_integrity(&key).unwrap();
        let mut len = b.len();
        if !before_integrity {
            // Appended by hand after MESSAGE-INTEGRITY: ignored by receivers.
            let value = first.as_bytes();
            buf[len..len + 2].copy_from_slice(&AttributeType::USERNAME.0.to_be_bytes());
            buf[len + 2..len + 4].copy_from_slice(&(value.len() as u16).to_be_bytes());
            buf[len + 4..len + 4 + value.len()].copy_from_slice(value);
            let padded = value.len().next_multiple_of(4);
            buf[len + 4 + value.len()..len + 4 + padded].fill(0);
            len += 4 + padded;
            buf[2..4].copy_from_slice(&((len - 20) as u16).to_be_bytes());
        }
        let m = Message::parse(&buf[..len]).unwrap();
        let expected = before_integrity.then_some(first.as_str());
        prop_assert_eq!(m.username(), expected);
        prop_assert_eq!(m.username(), match m.get(AttributeType::USERNAME) {
            Some(Attribute::Username(s)) => Some(s),
            _ => None,
        });
    }
}
