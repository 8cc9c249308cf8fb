//! The ICE connectivity-check request: build it with MESSAGE-INTEGRITY and FINGERPRINT, parse it,
//! and verify it. The side-by-side comparison with other stacks lives in `bench/` (run both with
//! `cargo xtask bench`).
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rtc_stun::{
    Attribute, Class, IceCheck, IceRole, IntegrityKey, Message, MessageBuilder, Method,
    TransactionId,
};

const USERNAME: &str = "evtj:h6vY";
const PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";

fn build(buf: &mut [u8], key: &IntegrityKey, tid: TransactionId) -> usize {
    let mut b = MessageBuilder::new(buf, Class::Request, Method::BINDING, tid).unwrap();
    b.add(&Attribute::Username(USERNAME))
        .unwrap()
        .add(&Attribute::Priority(0x6e00_01ff))
        .unwrap()
        .add(&Attribute::IceControlling(0x932f_f9b1_5126_3b36))
        .unwrap()
        .add(&Attribute::UseCandidate)
        .unwrap()
        .add_message_integrity_and_fingerprint(key)
        .unwrap();
    b.len()
}

fn benches(c: &mut Criterion) {
    let key = IntegrityKey::short_term(PASSWORD);
    let tid = TransactionId::new(*b"0123456789ab");
    let mut buf = [0u8; 256];
    let len = build(&mut buf, &key, tid);
    let request = buf[..len].to_vec();

    let mut g = c.benchmark_group("rtc-stun");
    g.bench_function("build binding request (MI + FINGERPRINT)", |b| {
        let mut out = [0u8; 256];
        b.iter(|| build(black_box(&mut out), black_box(&key), black_box(tid)))
    });
    g.bench_function("build ICE check (IceCheck::write)", |b| {
        let mut out = [0u8; 256];
        b.iter(|| {
            IceCheck {
                transaction_id: black_box(tid),
                username: USERNAME,
                priority: 0x6e00_01ff,
                role: IceRole::Controlling(0x932f_f9b1_5126_3b36),
                use_candidate: true,
            }
            .write(black_box(&mut out), black_box(&key))
            .unwrap()
        })
    });
    g.bench_function("parse binding request", |b| {
        b.iter(|| {
            Message::parse(black_box(&request))
                .unwrap()
                .transaction_id()
        })
    });
    g.bench_function("parse and verify binding request", |b| {
        b.iter(|| {
            let m = Message::parse_verified(black_box(&request), black_box(&key)).unwrap();
            m.username().map(str::len)
        })
    });
    g.bench_function("parse, then verify binding request (two calls)", |b| {
        b.iter(|| {
            let m = Message::parse(black_box(&request)).unwrap();
            m.verify_integrity(black_box(&key)).unwrap();
            m.username().map(str::len)
        })
    });
    g.finish();
}

criterion_group!(stun, benches);
criterion_main!(stun);
