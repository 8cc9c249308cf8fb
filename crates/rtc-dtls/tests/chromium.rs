//! A real Chromium ClientHello (captured on this machine, see tests/data/README.md: 1413 bytes
//! in two fragments in two datagrams, offering DTLS 1.3 with an X25519MLKEM768 key share) fed
//! to our server: it must answer with a DTLS 1.2 ServerHello flight.

#![allow(clippy::disallowed_methods)] // `Instant::now()` only picks the origin of virtual time

use std::sync::Arc;
use std::time::Instant;

use rtc_dtls::message::{
    CertificateMsg, ClientHello, ContentType, DTLS1_2, HandshakeFragment, HandshakeType,
    HelloVerifyRequest, Record, ServerHello, ServerKeyExchange, UseSrtp, extension,
};
use rtc_dtls::{Certificate, Config, Connection, Role};

const HELLO_1: &[u8] = include_bytes!("data/chromium_client_hello_1.bin");
const HELLO_2: &[u8] = include_bytes!("data/chromium_client_hello_2.bin");

fn server(cookie: bool) -> Connection {
    let mut config = Config::new(Certificate::generate().unwrap()).unwrap();
    config.cookie_exchange = cookie;
    Connection::new(Arc::new(config), Role::Server, Instant::now()).unwrap()
}

/// Every handshake message (type, seq, whole body) in the datagrams, reassembled.
fn messages(datagrams: &[Vec<u8>]) -> Vec<(HandshakeType, u16, Vec<u8>)> {
    let mut out: Vec<(HandshakeType, u16, Vec<u8>)> = Vec::new();
    for d in datagrams {
        let (records, err) = Record::parse_datagram(d);
        assert_eq!(err, None);
        for r in records {
            assert_eq!(r.epoch, 0);
            assert_eq!(r.content_type, ContentType::Handshake);
            for f in HandshakeFragment::parse_all(r.fragment).unwrap() {
                match out.iter_mut().find(|m| m.1 == f.message_seq) {
                    Some(m) => {
                        let end = f.fragment_offset as usize + f.fragment.len();
                        m.2[f.fragment_offset as usize..end].copy_from_slice(f.fragment);
                    }
                    None => {
                        let mut body = vec![0; f.length as usize];
                        let end = f.fragment_offset as usize + f.fragment.len();
                        body[f.fragment_offset as usize..end].copy_from_slice(f.fragment);
                        out.push((f.msg_type, f.message_seq, body));
                    }
                }
            }
        }
    }
    out
}

fn chromium_hello() -> ClientHello {
    let msgs = messages(&[HELLO_1.to_vec(), HELLO_2.to_vec()]);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].0, HandshakeType::ClientHello);
    assert_eq!(msgs[0].2.len(), 1413);
    ClientHello::parse(&msgs[0].2).unwrap()
}

#[test]
fn capture_parses_and_round_trips() {
    let hello = chromium_hello();
    assert_eq!(hello.version, DTLS1_2);
    assert!(hello.cipher_suites.contains(&0xc02b));
    assert!(hello.extension(extension::KEY_SHARE).is_some());
    let mut body = Vec::new();
    hello.write(&mut body);
    let msgs = messages(&[HELLO_1.to_vec(), HELLO_2.to_vec()]);
    assert_eq!(body, msgs[0].2);
}

fn check_server_flight(datagrams: &[Vec<u8>], hello: &ClientHello) {
    assert!(!datagrams.is_empty());
    for d in datagrams {
        assert!(d.len() <= 1200, "datagram of {} bytes", d.len());
    }
    let msgs = messages(datagrams);
    let types: Vec<HandshakeType> = msgs.iter().map(|m| m.0).collect();
    assert_eq!(
        types,
        [
            HandshakeType::ServerHello,
            HandshakeType::Certificate,
            HandshakeType::ServerKeyExchange,
            HandshakeType::CertificateRequest,
            HandshakeType::ServerHelloDone
        ]
    );
    let sh = ServerHello::parse(&msgs[0].2).unwrap();
    assert_eq!(sh.version, DTLS1_2, "a 1.2 server answers 1.2");
    assert_eq!(sh.cipher_suite, 0xc02b);
    assert!(sh.extension(extension::EXTENDED_MASTER_SECRET).is_some());
    assert_eq!(
        sh.extension(extension::RENEGOTIATION_INFO),
        Some(&[0u8][..])
    );
    assert!(sh.extension(extension::SUPPORTED_VERSIONS).is_none());
    assert!(sh.extension(extension::KEY_SHARE).is_none());
    let srtp = UseSrtp::parse(sh.extension(extension::USE_SRTP).unwrap()).unwrap();
    assert_eq!(
        srtp.profiles,
        [0x0007],
        "AEAD_AES_128_GCM, which Chromium offers"
    );
    let offered = UseSrtp::parse(hello.extension(extension::USE_SRTP).unwrap()).unwrap();
    assert!(offered.profiles.contains(&srtp.profiles[0]));
    let cert = CertificateMsg::parse(&msgs[1].2).unwrap();
    assert_eq!(cert.chain.len(), 1);
    let ske = ServerKeyExchange::parse(&msgs[2].2).unwrap();
    assert_eq!(ske.group, 29, "X25519, Chromium's first classical group");
    assert_eq!(ske.public.len(), 32);
    assert_eq!(ske.signed.scheme, 0x0403);
}

#[test]
fn server_answers_chromium_with_a_dtls12_flight() {
    let hello = chromium_hello();
    let now = Instant::now();
    // In order, and with the fragments swapped.
    for order in [[HELLO_1, HELLO_2], [HELLO_2, HELLO_1]] {
        let mut server = server(false);
        server.handle_datagram(now, order[0]).unwrap();
        assert!(
            server.poll_transmit().is_none(),
            "half a hello gets no answer"
        );
        server.handle_datagram(now, order[1]).unwrap();
        let flight: Vec<Vec<u8>> = std::iter::from_fn(|| server.poll_transmit()).collect();
        check_server_flight(&flight, &hello);
        let msgs = messages(&flight);
        assert_eq!(
            msgs[0].1, 0,
            "ServerHello takes the ClientHello's message_seq"
        );
    }
}

#[test]
fn server_with_cookies_sends_hello_verify_request_to_chromium() {
    let now = Instant::now();
    let mut server = server(true);
    server.handle_datagram(now, HELLO_1).unwrap();
    server.handle_datagram(now, HELLO_2).unwrap();
    let out: Vec<Vec<u8>> = std::iter::from_fn(|| server.poll_transmit()).collect();
    assert_eq!(out.len(), 1);
    let (records, _) = Record::parse_datagram(&out[0]);
    assert_eq!(
        records[0].sequence, 1,
        "RFC 6347 §4.2.1: HelloVerifyRequest takes the hello's record sequence number"
    );
    let msgs = messages(&out);
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].0, HandshakeType::HelloVerifyRequest);
    let hvr = HelloVerifyRequest::parse(&msgs[0].2).unwrap();
    assert!(!hvr.cookie.is_empty() && hvr.cookie.len() <= 255);

    // Chromium's second hello: the same one with the cookie and message_seq 1.
    let mut hello = chromium_hello();
    hello.cookie = hvr.cookie;
    let mut body = Vec::new();
    hello.write(&mut body);
    let mut datagrams = Vec::new();
    for (i, chunk) in body.chunks(1100).enumerate() {
        let mut hs = Vec::new();
        HandshakeFragment {
            msg_type: HandshakeType::ClientHello,
            length: body.len() as u32,
            message_seq: 1,
            fragment_offset: (i * 1100) as u32,
            fragment: chunk,
        }
        .write(&mut hs);
        let mut d = Vec::new();
        Record {
            content_type: ContentType::Handshake,
            version: 0xfeff,
            epoch: 0,
            sequence: 2 + i as u64,
            fragment: &hs,
        }
        .write(&mut d);
        datagrams.push(d);
    }
    for d in &datagrams {
        server.handle_datagram(now, d).unwrap();
    }
    let flight: Vec<Vec<u8>> = std::iter::from_fn(|| server.poll_transmit()).collect();
    check_server_flight(&flight, &hello);
    assert_eq!(
        messages(&flight)[0].1,
        1,
        "ServerHello seq 1 after the cookie"
    );
}
