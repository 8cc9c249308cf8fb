//! STUN, side by side: build an ICE connectivity check (Binding request with USERNAME, PRIORITY,
//! ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY and FINGERPRINT), then parse it, check
//! FINGERPRINT and MESSAGE-INTEGRITY and read USERNAME.
//!
//! Each stack is used the fastest way its API allows: keys and reusable message objects are made
//! once, outside the timed loop. Before timing, every stack's output is checked by the others.
//!
//! A `floor` row in each group is not a stack: it is the cryptography every stack has to do for
//! this message, alone and in its fastest form (see [`floor`]), for what the ratios can reach.

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};

const USERNAME: &str = "evtj:h6vY";
const PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";
const TID: [u8; 12] = *b"0123456789ab";
const PRIORITY: u32 = 0x6e00_01ff;
const TIE_BREAKER: u64 = 0x932f_f9b1_5126_3b36;

mod ours {
    use super::*;
    use rtc_stun::{
        Attribute, Class, IceCheck, IceRole, IntegrityKey, Message, MessageBuilder, Method,
        TransactionId,
    };

    /// Through `IceCheck`, our writer for exactly this message.
    pub(crate) fn build(buf: &mut [u8], key: &IntegrityKey) -> usize {
        IceCheck {
            transaction_id: TransactionId::new(TID),
            username: USERNAME,
            priority: PRIORITY,
            role: IceRole::Controlling(TIE_BREAKER),
            use_candidate: true,
        }
        .write(buf, key)
        .unwrap()
    }

    /// Attribute by attribute, through `MessageBuilder`.
    pub(crate) fn build_with_builder(buf: &mut [u8], key: &IntegrityKey) -> usize {
        let mut b = MessageBuilder::new(
            buf,
            Class::Request,
            Method::BINDING,
            TransactionId::new(TID),
        )
        .unwrap();
        b.add(&Attribute::Username(USERNAME))
            .unwrap()
            .add(&Attribute::Priority(PRIORITY))
            .unwrap()
            .add(&Attribute::IceControlling(TIE_BREAKER))
            .unwrap()
            .add(&Attribute::UseCandidate)
            .unwrap()
            .add_message_integrity_and_fingerprint(key)
            .unwrap();
        b.len()
    }

    /// Parse (FINGERPRINT checked), verify MESSAGE-INTEGRITY, read USERNAME.
    pub(crate) fn parse_verify(bytes: &[u8], key: &IntegrityKey) -> usize {
        let m = Message::parse_verified(bytes, key).unwrap();
        assert!(m.has_fingerprint());
        m.username().unwrap().len()
    }
}

mod webrtc_rs {
    use super::*;
    use webrtc_rs_stun::agent::TransactionId;
    use webrtc_rs_stun::attributes::{
        ATTR_ICE_CONTROLLING, ATTR_PRIORITY, ATTR_USE_CANDIDATE, ATTR_USERNAME,
    };
    use webrtc_rs_stun::fingerprint::FINGERPRINT;
    use webrtc_rs_stun::integrity::MessageIntegrity;
    use webrtc_rs_stun::message::{BINDING_REQUEST, Getter, Message, Setter};
    use webrtc_rs_stun::textattrs::TextAttribute;

    pub(crate) struct Stack {
        pub(crate) message: Message,
        username: TextAttribute,
        pub(crate) integrity: MessageIntegrity,
    }

    pub(crate) fn stack() -> Stack {
        Stack {
            message: Message::new(),
            username: TextAttribute::new(ATTR_USERNAME, USERNAME.to_owned()),
            integrity: MessageIntegrity::new_short_term_integrity(PASSWORD.to_owned()),
        }
    }

    pub(crate) fn build(s: &mut Stack) -> usize {
        let m = &mut s.message;
        m.reset();
        m.set_type(BINDING_REQUEST);
        m.transaction_id = TransactionId(TID);
        m.write_header();
        s.username.add_to(m).unwrap();
        m.add(ATTR_PRIORITY, &PRIORITY.to_be_bytes());
        m.add(ATTR_ICE_CONTROLLING, &TIE_BREAKER.to_be_bytes());
        m.add(ATTR_USE_CANDIDATE, &[]);
        s.integrity.add_to(m).unwrap();
        FINGERPRINT.add_to(m).unwrap();
        m.raw.len()
    }

    pub(crate) fn parse_verify(s: &mut Stack, bytes: &[u8]) -> usize {
        let m = &mut s.message;
        m.unmarshal_binary(bytes).unwrap();
        FINGERPRINT.check(m).unwrap();
        s.integrity.check(m).unwrap();
        let mut username = TextAttribute::new(ATTR_USERNAME, String::new());
        username.get_from(m).unwrap();
        username.text.len()
    }
}

mod rtc_rs {
    use super::*;
    use webrtc_rs_rtc_stun::attributes::{
        ATTR_ICE_CONTROLLING, ATTR_PRIORITY, ATTR_USE_CANDIDATE, ATTR_USERNAME,
    };
    use webrtc_rs_rtc_stun::crypto::{RTCCryptoProvider, default_provider};
    use webrtc_rs_rtc_stun::fingerprint::FINGERPRINT;
    use webrtc_rs_rtc_stun::integrity::MessageIntegrity;
    use webrtc_rs_rtc_stun::message::{BINDING_REQUEST, Getter, Message, Setter, TransactionId};
    use webrtc_rs_rtc_stun::textattrs::TextAttribute;

    pub(crate) struct Stack {
        pub(crate) message: Message,
        pub(crate) username: TextAttribute,
        pub(crate) provider: std::sync::Arc<dyn RTCCryptoProvider>,
    }

    pub(crate) fn stack() -> Stack {
        Stack {
            message: Message::new(),
            username: TextAttribute::new(ATTR_USERNAME, USERNAME.to_owned()),
            provider: default_provider().unwrap(),
        }
    }

    /// The integrity object borrows the provider, so the caller makes it once, outside the loop.
    pub(crate) fn integrity(s: &Stack) -> MessageIntegrity<'_> {
        MessageIntegrity::new_short_term_integrity_with_provider(
            PASSWORD.to_owned(),
            s.provider.crypto(),
        )
    }

    pub(crate) fn build(
        message: &mut Message,
        username: &TextAttribute,
        integrity: &MessageIntegrity<'_>,
    ) -> usize {
        let m = message;
        m.reset();
        m.set_type(BINDING_REQUEST);
        m.transaction_id = TransactionId(TID);
        m.write_header();
        username.add_to(m).unwrap();
        m.add(ATTR_PRIORITY, &PRIORITY.to_be_bytes());
        m.add(ATTR_ICE_CONTROLLING, &TIE_BREAKER.to_be_bytes());
        m.add(ATTR_USE_CANDIDATE, &[]);
        integrity.add_to(m).unwrap();
        FINGERPRINT.add_to(m).unwrap();
        m.raw.len()
    }

    pub(crate) fn parse_verify(s: &mut Stack, bytes: &[u8]) -> usize {
        let m = &mut s.message;
        m.unmarshal_binary(bytes).unwrap();
        FINGERPRINT.check(m).unwrap();
        MessageIntegrity::check(m, PASSWORD.as_bytes(), s.provider.crypto()).unwrap();
        let mut username = TextAttribute::new(ATTR_USERNAME, String::new());
        username.get_from(m).unwrap();
        username.text.len()
    }
}

/// The work no STUN stack can skip for this 92-byte check, timed alone: HMAC-SHA1 over the 60
/// bytes before MESSAGE-INTEGRITY with the key's pads already compressed (RFC 2104: two SHA-1
/// compressions for the inner hash, as 60 bytes and SHA-1's 9 bytes of padding exceed one block,
/// and one for the outer hash, each on the result of the one before), and the CRC-32 of the 84
/// bytes before FINGERPRINT (RFC 8489 §14.7). The blocks are ready-made: no message is written
/// or parsed, and no padding is laid out.
mod floor {
    use sha1::digest::generic_array::GenericArray;
    use sha1::digest::generic_array::typenum::U64;

    pub(crate) struct Work {
        pub(crate) blocks: [GenericArray<u8, U64>; 3],
        pub(crate) message: Vec<u8>,
    }

    pub(crate) fn work(message: &[u8]) -> Work {
        let mut blocks = [GenericArray::default(); 3];
        for (i, block) in blocks.iter_mut().enumerate() {
            for (j, byte) in block.iter_mut().enumerate() {
                *byte = message[(i * 64 + j) % message.len()];
            }
        }
        Work {
            blocks,
            message: message.to_vec(),
        }
    }

    pub(crate) fn run(w: &Work) -> (u32, u32) {
        let mut state = [
            0x6745_2301,
            0xEFCD_AB89,
            0x98BA_DCFE,
            0x1032_5476,
            0xC3D2_E1F0,
        ];
        sha1::compress(&mut state, &w.blocks);
        (state[0], crc32fast::hash(&w.message[..84]))
    }
}

fn benches(c: &mut Criterion) {
    let key = rtc_stun::IntegrityKey::short_term(PASSWORD);
    let mut ours_buf = [0u8; 256];
    let ours_len = ours::build(&mut ours_buf, &key);
    let request = ours_buf[..ours_len].to_vec();
    let mut builder_buf = [0u8; 256];
    let builder_len = ours::build_with_builder(&mut builder_buf, &key);
    assert_eq!(
        builder_buf[..builder_len],
        request,
        "IceCheck and MessageBuilder differ"
    );

    let mut webrtc = webrtc_rs::stack();
    let mut rtc = rtc_rs::stack();

    // Cross-checks: all three write the same bytes, and each parses and verifies the others'.
    webrtc_rs::build(&mut webrtc);
    let webrtc_bytes = webrtc.message.raw.clone();
    let rtc_provider = rtc_rs::stack();
    let rtc_integrity = rtc_rs::integrity(&rtc_provider);
    rtc_rs::build(&mut rtc.message, &rtc.username, &rtc_integrity);
    let rtc_bytes = rtc.message.raw.clone();
    assert_eq!(
        webrtc_bytes, request,
        "webrtc-rs stun wrote different bytes"
    );
    assert_eq!(
        rtc_bytes, request,
        "webrtc-rs rtc-stun wrote different bytes"
    );
    assert_eq!(ours::parse_verify(&webrtc_bytes, &key), USERNAME.len());
    assert_eq!(
        webrtc_rs::parse_verify(&mut webrtc, &request),
        USERNAME.len()
    );
    assert_eq!(rtc_rs::parse_verify(&mut rtc, &request), USERNAME.len());

    let floor_work = floor::work(&request);
    assert_eq!(
        request.len(),
        92,
        "the floor is counted for a 92-byte check"
    );

    let mut g = c.benchmark_group("stun: build binding request (MESSAGE-INTEGRITY + FINGERPRINT)");
    g.bench_function("rtc", |b| {
        let mut out = [0u8; 256];
        b.iter(|| ours::build(black_box(&mut out), black_box(&key)))
    });
    g.bench_function("rtc, attribute by attribute (MessageBuilder)", |b| {
        let mut out = [0u8; 256];
        b.iter(|| ours::build_with_builder(black_box(&mut out), black_box(&key)))
    });
    g.bench_function("webrtc-rs stun 0.17", |b| {
        b.iter(|| webrtc_rs::build(black_box(&mut webrtc)))
    });
    g.bench_function("webrtc-rs rtc-stun 0.21", |b| {
        b.iter(|| {
            rtc_rs::build(
                black_box(&mut rtc.message),
                black_box(&rtc.username),
                black_box(&rtc_integrity),
            )
        })
    });
    g.bench_function("floor: the HMAC-SHA1 and CRC-32 alone (not a stack)", |b| {
        b.iter(|| floor::run(black_box(&floor_work)))
    });
    g.finish();

    let mut g = c.benchmark_group("stun: parse and verify binding request");
    g.bench_function("rtc", |b| {
        b.iter(|| ours::parse_verify(black_box(&request), black_box(&key)))
    });
    g.bench_function("webrtc-rs stun 0.17", |b| {
        b.iter(|| webrtc_rs::parse_verify(black_box(&mut webrtc), black_box(&request)))
    });
    g.bench_function("webrtc-rs rtc-stun 0.21", |b| {
        b.iter(|| rtc_rs::parse_verify(black_box(&mut rtc), black_box(&request)))
    });
    g.bench_function("floor: the HMAC-SHA1 and CRC-32 alone (not a stack)", |b| {
        b.iter(|| floor::run(black_box(&floor_work)))
    });
    g.finish();
}

criterion_group!(stun, benches);
criterion_main!(stun);
