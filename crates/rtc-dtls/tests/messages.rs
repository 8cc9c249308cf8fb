//! Wire format round trips (proptest) and truncation: every message parses back from what it
//! writes, and every strict prefix of a message is a typed error.

use proptest::collection::vec;
use proptest::prelude::*;
use rtc_dtls::message::{
    CertificateMsg, CertificateRequest, ClientHello, ContentType, DigitallySigned, Extension,
    HandshakeFragment, HandshakeType, HelloVerifyRequest, Record, ServerHello, ServerKeyExchange,
    UseSrtp,
};

fn extensions() -> impl Strategy<Value = Vec<Extension>> {
    vec((any::<u16>(), vec(any::<u8>(), 0..40)), 0..8).prop_map(|list| {
        let mut seen = std::collections::HashSet::new();
        list.into_iter()
            .filter(|(t, _)| seen.insert(*t))
            .map(|(typ, data)| Extension { typ, data })
            .collect()
    })
}

fn client_hello() -> impl Strategy<Value = ClientHello> {
    (
        any::<u16>(),
        any::<[u8; 32]>(),
        vec(any::<u8>(), 0..=32),
        vec(any::<u8>(), 0..=255),
        vec(any::<u16>(), 1..30),
        vec(any::<u8>(), 1..4),
        extensions(),
    )
        .prop_map(
            |(
                version,
                random,
                session_id,
                cookie,
                cipher_suites,
                compression_methods,
                extensions,
            )| {
                ClientHello {
                    version,
                    random,
                    session_id,
                    cookie,
                    cipher_suites,
                    compression_methods,
                    extensions,
                }
            },
        )
}

fn server_hello() -> impl Strategy<Value = ServerHello> {
    (
        any::<u16>(),
        any::<[u8; 32]>(),
        vec(any::<u8>(), 0..=32),
        any::<u16>(),
        any::<u8>(),
        extensions(),
    )
        .prop_map(
            |(version, random, session_id, cipher_suite, compression_method, extensions)| {
                ServerHello {
                    version,
                    random,
                    session_id,
                    cipher_suite,
                    compression_method,
                    extensions,
                }
            },
        )
}

fn write<T>(value: &T, f: impl Fn(&T, &mut Vec<u8>)) -> Vec<u8> {
    let mut out = Vec::new();
    f(value, &mut out);
    out
}

fn assert_prefixes_fail<T, E>(bytes: &[u8], parse: impl Fn(&[u8]) -> Result<T, E>) {
    for n in 0..bytes.len() {
        assert!(parse(&bytes[..n]).is_err(), "prefix of {n} bytes parsed");
    }
}

proptest! {
    #[test]
    fn client_hello_round_trips(hello in client_hello()) {
        let bytes = write(&hello, ClientHello::write);
        prop_assert_eq!(ClientHello::parse(&bytes).unwrap(), hello.clone());
        // Without extensions the block may be cut off entirely (RFC 5246 §7.4.1.2); any
        // other prefix is an error.
        for n in 0..bytes.len() {
            if let Ok(h) = ClientHello::parse(&bytes[..n]) {
                prop_assert!(h.extensions.is_empty());
                prop_assert!(!hello.extensions.is_empty());
            }
        }
    }

    #[test]
    fn server_hello_round_trips(hello in server_hello()) {
        let bytes = write(&hello, ServerHello::write);
        prop_assert_eq!(ServerHello::parse(&bytes).unwrap(), hello);
    }

    #[test]
    fn small_messages_round_trip(
        cookie in vec(any::<u8>(), 0..=255),
        chain in vec(vec(any::<u8>(), 1..300), 0..4),
        group in any::<u16>(),
        public in vec(any::<u8>(), 1..=255),
        scheme in any::<u16>(),
        signature in vec(any::<u8>(), 0..120),
        types in vec(any::<u8>(), 0..5),
        schemes in vec(any::<u16>(), 0..10),
        profiles in vec(any::<u16>(), 1..6),
        mki in vec(any::<u8>(), 0..=255),
    ) {
        let hvr = HelloVerifyRequest { version: 0xfeff, cookie };
        let bytes = write(&hvr, HelloVerifyRequest::write);
        prop_assert_eq!(HelloVerifyRequest::parse(&bytes).unwrap(), hvr);
        assert_prefixes_fail(&bytes, HelloVerifyRequest::parse);

        let cert = CertificateMsg { chain };
        let bytes = write(&cert, CertificateMsg::write);
        prop_assert_eq!(CertificateMsg::parse(&bytes).unwrap(), cert);
        assert_prefixes_fail(&bytes, CertificateMsg::parse);

        let signed = DigitallySigned { scheme, signature };
        let ske = ServerKeyExchange { group, public, signed: signed.clone() };
        let bytes = write(&ske, ServerKeyExchange::write);
        prop_assert_eq!(ServerKeyExchange::parse(&bytes).unwrap(), ske);
        assert_prefixes_fail(&bytes, ServerKeyExchange::parse);

        let bytes = write(&signed, DigitallySigned::write_body);
        prop_assert_eq!(DigitallySigned::parse_body(&bytes).unwrap(), signed);
        assert_prefixes_fail(&bytes, DigitallySigned::parse_body);

        let cr = CertificateRequest {
            certificate_types: types,
            signature_schemes: schemes,
            authorities: Vec::new(),
        };
        let bytes = write(&cr, CertificateRequest::write);
        prop_assert_eq!(CertificateRequest::parse(&bytes).unwrap(), cr);
        assert_prefixes_fail(&bytes, CertificateRequest::parse);

        let srtp = UseSrtp { profiles, mki };
        let bytes = write(&srtp, UseSrtp::write);
        prop_assert_eq!(UseSrtp::parse(&bytes).unwrap(), srtp);
        assert_prefixes_fail(&bytes, UseSrtp::parse);
    }

    #[test]
    fn records_and_fragments_round_trip(
        bodies in vec((0usize..11, any::<u16>(), vec(any::<u8>(), 0..200)), 1..4),
        epoch in any::<u16>(),
        sequence in 0u64..(1 << 48),
    ) {
        const TYPES: [HandshakeType; 11] = [
            HandshakeType::HelloRequest, HandshakeType::ClientHello, HandshakeType::ServerHello,
            HandshakeType::HelloVerifyRequest, HandshakeType::Certificate,
            HandshakeType::ServerKeyExchange, HandshakeType::CertificateRequest,
            HandshakeType::ServerHelloDone, HandshakeType::CertificateVerify,
            HandshakeType::ClientKeyExchange, HandshakeType::Finished,
        ];
        let mut payload = Vec::new();
        let mut fragments = Vec::new();
        for (t, seq, body) in &bodies {
            let f = HandshakeFragment {
                msg_type: TYPES[*t],
                length: body.len() as u32 + 7,
                message_seq: *seq,
                fragment_offset: 7,
                fragment: body,
            };
            f.write(&mut payload);
            fragments.push(f);
        }
        prop_assert_eq!(HandshakeFragment::parse_all(&payload).unwrap(), fragments);
        let record = Record {
            content_type: ContentType::Handshake,
            version: 0xfefd,
            epoch,
            sequence,
            fragment: &payload,
        };
        let mut datagram = Vec::new();
        record.write(&mut datagram);
        record.write(&mut datagram);
        let (records, err) = Record::parse_datagram(&datagram);
        prop_assert_eq!(err, None);
        prop_assert_eq!(records, vec![record, record]);
        // Cut anywhere inside the second record: the first survives, with an error.
        let one = datagram.len() / 2;
        for n in one + 1..datagram.len() {
            let (records, err) = Record::parse_datagram(&datagram[..n]);
            prop_assert_eq!(records.len(), 1);
            prop_assert!(err.is_some());
        }
    }
}

#[test]
fn fragment_past_its_message_is_rejected() {
    let mut bytes = Vec::new();
    HandshakeFragment {
        msg_type: HandshakeType::Certificate,
        length: 10,
        message_seq: 0,
        fragment_offset: 8,
        fragment: &[0; 4],
    }
    .write(&mut bytes);
    assert!(HandshakeFragment::parse_all(&bytes).is_err());
}
