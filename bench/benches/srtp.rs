//! SRTP, side by side: protect and unprotect a 1200-byte RTP packet in AES_CM_128_HMAC_SHA1_80
//! and AEAD_AES_128_GCM, with both of our crypto backends, against webrtc-rs's `webrtc-srtp`
//! 0.17 and `rtc-srtp` 0.21, and against the raw primitives on the same bytes (the floor).
//!
//! "rtc" is ours with the `ring` provider (ring's AES-GCM; AES-CM is the same code in both),
//! "rtc (RustCrypto)" with the pure-Rust one. Ours works in place, so each of its iterations first copies the packet into the buffer (a
//! 1.2 kB `memcpy`, counted against us); the others take `&[u8]` and return a new buffer.
//! Unprotecting needs a fresh index every time (replay protection), so every stack decrypts a
//! ring of 256 packets with consecutive sequence numbers and gets a new receiving context every
//! 256 packets (a cost amortised to about a nanosecond).

#![allow(clippy::disallowed_methods)] // a benchmark times itself

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use rtc_crypto::CryptoProvider;
use rtc_srtp::{ProtectionProfile, SrtpConfig, SrtpContext};

const PAYLOAD: usize = 1200 - 12;
const RING_SIZE: usize = 256;
const KEY16: [u8; 16] = [0x11; 16];
const SALT14: [u8; 14] = [0x22; 14];
const SALT12: [u8; 12] = [0x22; 12];

fn rtp(seq: u16) -> Vec<u8> {
    let mut p = vec![0x80, 96];
    p.extend_from_slice(&seq.to_be_bytes());
    p.extend_from_slice(&[0, 0, 0x10, 0, 0xCA, 0xFE, 0xBA, 0xBE]);
    p.extend((0..PAYLOAD).map(|i| i as u8));
    p
}

fn salt(profile: ProtectionProfile) -> &'static [u8] {
    if profile.is_aead() { &SALT12 } else { &SALT14 }
}

fn ours(profile: ProtectionProfile, provider: &CryptoProvider) -> SrtpContext {
    SrtpContext::new(
        profile,
        &KEY16,
        salt(profile),
        SrtpConfig::default(),
        provider,
    )
    .unwrap()
}

fn webrtc(profile: ProtectionProfile) -> webrtc_rs_srtp::context::Context {
    let p = match profile {
        ProtectionProfile::AeadAes128Gcm => {
            webrtc_rs_srtp::protection_profile::ProtectionProfile::AeadAes128Gcm
        }
        _ => webrtc_rs_srtp::protection_profile::ProtectionProfile::Aes128CmHmacSha1_80,
    };
    webrtc_rs_srtp::context::Context::new(&KEY16, salt(profile), p, None, None).unwrap()
}

struct RtcRs {
    provider: std::sync::Arc<dyn webrtc_rs_rtc_srtp::crypto::RTCCryptoProvider>,
}

impl RtcRs {
    fn context(&self, profile: ProtectionProfile) -> webrtc_rs_rtc_srtp::context::Context {
        let p = match profile {
            ProtectionProfile::AeadAes128Gcm => {
                webrtc_rs_rtc_srtp::protection_profile::ProtectionProfile::AeadAes128Gcm
            }
            _ => webrtc_rs_rtc_srtp::protection_profile::ProtectionProfile::Aes128CmHmacSha1_80,
        };
        webrtc_rs_rtc_srtp::context::Context::new(
            &KEY16,
            salt(profile),
            p,
            None,
            None,
            self.provider.crypto(),
        )
        .unwrap()
    }
}

/// Times `decrypt` over rings of packets, with a fresh receiver every ring.
fn unprotect_loop<C>(
    iters: u64,
    ring: &[Vec<u8>],
    mut make: impl FnMut() -> C,
    mut decrypt: impl FnMut(&mut C, &[u8]),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut done = 0u64;
    while done < iters {
        let mut rx = make();
        let n = (iters - done).min(ring.len() as u64) as usize;
        let start = Instant::now();
        for packet in &ring[..n] {
            decrypt(&mut rx, black_box(packet));
        }
        total += start.elapsed();
        done += n as u64;
    }
    total
}

fn benches(c: &mut Criterion) {
    let rtc_rs = RtcRs {
        provider: webrtc_rs_rtc_srtp::crypto::default_provider().unwrap(),
    };
    let plain = rtp(1000);
    for (profile, name) in [
        (
            ProtectionProfile::Aes128CmHmacSha1_80,
            "AES_CM_128_HMAC_SHA1_80",
        ),
        (ProtectionProfile::AeadAes128Gcm, "AEAD_AES_128_GCM"),
    ] {
        // Cross-checks: every stack writes the same SRTP bytes for the same packet and keys.
        let mut buf = plain.clone();
        buf.resize(plain.len() + 16, 0);
        let len = ours(profile, &rtc_crypto::RUST_CRYPTO)
            .protect_rtp(&mut buf, plain.len())
            .unwrap();
        let reference = buf[..len].to_vec();
        let mut b2 = plain.clone();
        b2.resize(plain.len() + 16, 0);
        let l2 = ours(profile, &rtc_crypto::RING)
            .protect_rtp(&mut b2, plain.len())
            .unwrap();
        assert_eq!(&b2[..l2], &reference[..], "ring backend differs");
        assert_eq!(
            webrtc(profile).encrypt_rtp(&plain).unwrap().as_ref(),
            &reference[..]
        );
        assert_eq!(
            rtc_rs
                .context(profile)
                .encrypt_rtp(&plain)
                .unwrap()
                .as_ref(),
            &reference[..]
        );

        // Packets with consecutive sequence numbers, protected once, for the unprotect runs.
        let mut tx = ours(profile, &rtc_crypto::RUST_CRYPTO);
        let ring: Vec<Vec<u8>> = (0..RING_SIZE as u16)
            .map(|i| {
                let p = rtp(2000 + i);
                let mut b = p.clone();
                b.resize(p.len() + 16, 0);
                let n = tx.protect_rtp(&mut b, p.len()).unwrap();
                b.truncate(n);
                b
            })
            .collect();

        let mut g = c.benchmark_group(format!("srtp: protect 1200-byte RTP, {name}"));
        for provider in [&rtc_crypto::RUST_CRYPTO, &rtc_crypto::RING] {
            let label = if provider.name == "ring" {
                "rtc"
            } else {
                "rtc (RustCrypto)"
            };
            g.bench_function(label, |b| {
                let mut tx = ours(profile, provider);
                let mut buf = vec![0u8; plain.len() + 16];
                b.iter(|| {
                    buf[..plain.len()].copy_from_slice(black_box(&plain));
                    tx.protect_rtp(&mut buf, plain.len()).unwrap()
                })
            });
        }
        if profile.is_aead() {
            g.bench_function("raw ring AES-128-GCM seal (floor)", |b| {
                let key = ring::aead::LessSafeKey::new(
                    ring::aead::UnboundKey::new(&ring::aead::AES_128_GCM, &KEY16).unwrap(),
                );
                let mut buf = plain.clone();
                b.iter(|| {
                    buf.copy_from_slice(black_box(&plain));
                    let (header, payload) = buf.split_at_mut(12);
                    let nonce = ring::aead::Nonce::assume_unique_for_key([7; 12]);
                    key.seal_in_place_separate_tag(nonce, ring::aead::Aad::from(&*header), payload)
                        .unwrap()
                })
            });
        } else {
            g.bench_function("raw AES-128-CTR + HMAC-SHA1 (floor)", |b| {
                use aes_ctr_raw::*;
                let mac = hmac_key();
                let mut buf = plain.clone();
                b.iter(|| {
                    buf.copy_from_slice(black_box(&plain));
                    ctr_apply(&mut buf[12..]);
                    hmac_tag(&mac, &buf)
                })
            });
        }
        g.bench_function("webrtc-rs webrtc-srtp 0.17", |b| {
            let mut tx = webrtc(profile);
            b.iter(|| tx.encrypt_rtp(black_box(&plain)).unwrap())
        });
        g.bench_function("webrtc-rs rtc-srtp 0.21", |b| {
            let mut tx = rtc_rs.context(profile);
            b.iter(|| tx.encrypt_rtp(black_box(&plain)).unwrap())
        });
        g.finish();

        let mut g = c.benchmark_group(format!("srtp: unprotect 1200-byte RTP, {name}"));
        for provider in [&rtc_crypto::RUST_CRYPTO, &rtc_crypto::RING] {
            let label = if provider.name == "ring" {
                "rtc"
            } else {
                "rtc (RustCrypto)"
            };
            g.bench_function(label, |b| {
                let mut buf = vec![0u8; ring[0].len()];
                b.iter_custom(|iters| {
                    unprotect_loop(
                        iters,
                        &ring,
                        || ours(profile, provider),
                        |rx, packet| {
                            buf.copy_from_slice(packet);
                            rx.unprotect_rtp(&mut buf).unwrap();
                        },
                    )
                })
            });
        }
        g.bench_function("webrtc-rs webrtc-srtp 0.17", |b| {
            b.iter_custom(|iters| {
                unprotect_loop(
                    iters,
                    &ring,
                    || webrtc(profile),
                    |rx, packet| {
                        rx.decrypt_rtp(packet).unwrap();
                    },
                )
            })
        });
        g.bench_function("webrtc-rs rtc-srtp 0.21", |b| {
            b.iter_custom(|iters| {
                unprotect_loop(
                    iters,
                    &ring,
                    || rtc_rs.context(profile),
                    |rx, packet| {
                        rx.decrypt_rtp(packet).unwrap();
                    },
                )
            })
        });
        g.finish();
    }
}

/// The floor for AES-CM: RustCrypto's AES-128-CTR and HMAC-SHA1 (`hmac` crate) on the same
/// bytes, with no SRTP logic.
mod aes_ctr_raw {
    use aes::cipher::{KeyIvInit, StreamCipher};
    use hmac::Mac;

    pub(crate) type HmacSha1 = hmac::Hmac<sha1::Sha1>;

    pub(crate) fn hmac_key() -> HmacSha1 {
        <HmacSha1 as Mac>::new_from_slice(&[0x33; 20]).unwrap()
    }

    pub(crate) fn ctr_apply(data: &mut [u8]) {
        let mut c = ctr::Ctr128BE::<aes::Aes128>::new(&super::KEY16.into(), &[0x44; 16].into());
        c.apply_keystream(data);
    }

    pub(crate) fn hmac_tag(key: &HmacSha1, data: &[u8]) -> [u8; 10] {
        let mut m = key.clone();
        m.update(data);
        m.update(&[0, 0, 0, 0]);
        let tag = m.finalize().into_bytes();
        let mut out = [0u8; 10];
        out.copy_from_slice(&tag[..10]);
        out
    }
}

criterion_group!(srtp, benches);
criterion_main!(srtp);
