//! Protect and unprotect a 1200-byte RTP packet in every profile with the default provider
//! (`--features ring` for ring's AES-GCM). The side-by-side runs against other stacks and the
//! raw-primitive floors are in `bench/benches/srtp.rs`; `cargo xtask bench` runs both.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rtc_srtp::{ProtectionProfile, SrtpConfig, SrtpContext};

fn benches(c: &mut Criterion) {
    let provider = rtc_crypto::default_provider();
    let mut packet = vec![0x80, 96, 0, 1, 0, 0, 0x10, 0, 0xCA, 0xFE, 0xBA, 0xBE];
    packet.extend((0..1188).map(|i| i as u8));
    let mut g = c.benchmark_group(format!("rtc-srtp ({})", provider.name));
    for profile in ProtectionProfile::ALL {
        let key = vec![1u8; profile.key_len()];
        let salt = vec![2u8; profile.salt_len()];
        let context =
            || SrtpContext::new(profile, &key, &salt, SrtpConfig::default(), provider).unwrap();
        g.bench_function(format!("protect 1200-byte RTP {profile:?}"), |b| {
            let mut tx = context();
            let mut buf = vec![0u8; packet.len() + 16];
            b.iter(|| {
                buf[..packet.len()].copy_from_slice(black_box(&packet));
                tx.protect_rtp(&mut buf, packet.len()).unwrap()
            })
        });
        g.bench_function(
            format!("protect + unprotect 1200-byte RTP {profile:?}"),
            |b| {
                let (mut tx, mut rx) = (context(), context());
                let mut buf = vec![0u8; packet.len() + 16];
                let mut seq = 0u16;
                b.iter(|| {
                    seq = seq.wrapping_add(1);
                    buf[..packet.len()].copy_from_slice(black_box(&packet));
                    buf[2..4].copy_from_slice(&seq.to_be_bytes());
                    let n = tx.protect_rtp(&mut buf, packet.len()).unwrap();
                    rx.unprotect_rtp(&mut buf[..n]).unwrap()
                })
            },
        );
    }
    g.finish();
}

criterion_group!(srtp, benches);
criterion_main!(srtp);
