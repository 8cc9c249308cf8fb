//! The media send path, side by side: one 10 kB VP8 frame into SRTP packets (AEAD_AES_128_GCM),
//! criterion's per-second column counting packets.
//!
//! - ours: `rtc_peer::PeerConnection::write_frame` on a connection negotiated and connected in
//!   memory (so the whole path: VP8 packetizer, RTP header with the MID extension, RTX history,
//!   sender statistics, SRTP with the DTLS-exported keys and the negotiated profile, the ICE
//!   agent's datagram on the selected pair), the datagrams taken with `poll_transmit`;
//! - webrtc-rs `rtp` 0.17 + `webrtc-srtp` 0.17 (what webrtc 0.17 runs under its track writer):
//!   its packetizer with the VP8 payloader, each packet marshalled and `encrypt_rtp`-ed;
//! - webrtc-rs `rtc-rtp` 0.21 + `rtc-srtp` 0.21 (its sans-IO stack), the same.
//!
//! The other stacks' figures are their send path's core without I/O or interceptors: a lower
//! bound on what their peer connections do per packet.
#![allow(clippy::disallowed_methods)] // a benchmark owns its clock

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtc_peer::{
    Config, Event, MediaKind, PeerConnection, PeerConnectionState, TrackInfo, TransceiverId,
};

/// The frame: 10 kB, a VP8 keyframe's first bytes.
fn frame() -> Vec<u8> {
    let mut f: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + 3) as u8).collect();
    f[..6].copy_from_slice(&[0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a]);
    f
}

const MTU: usize = 1200;
const KEY16: [u8; 16] = [0x11; 16];
const SALT12: [u8; 12] = [0x22; 12];

/// Two of our connections negotiated and connected in memory; `a` sends video.
fn connected() -> (PeerConnection, TransceiverId, Instant) {
    let mut now = Instant::now();
    let a_addr: SocketAddr = "10.0.0.1:5000".parse().unwrap();
    let b_addr: SocketAddr = "10.0.0.2:6000".parse().unwrap();
    let mut a = PeerConnection::new(Config::default()).unwrap();
    let mut b = PeerConnection::new(Config::default()).unwrap();
    a.add_host_address(now, a_addr);
    b.add_host_address(now, b_addr);
    let video = a
        .add_track(
            MediaKind::Video,
            TrackInfo {
                stream_id: "s".into(),
                track_id: "v".into(),
            },
        )
        .unwrap();
    let offer = a.create_offer().unwrap();
    a.set_local_description(now, offer.clone()).unwrap();
    b.set_remote_description(now, offer).unwrap();
    let answer = b.create_answer().unwrap();
    b.set_local_description(now, answer.clone()).unwrap();
    a.set_remote_description(now, answer).unwrap();
    for _ in 0..100_000 {
        let mut moved = false;
        while let Some(e) = a.poll_event() {
            if let Event::IceCandidate(c) = e {
                b.add_ice_candidate(now, &c).unwrap();
            }
        }
        while let Some(e) = b.poll_event() {
            if let Event::IceCandidate(c) = e {
                a.add_ice_candidate(now, &c).unwrap();
            }
        }
        while let Some(t) = a.poll_transmit() {
            b.handle_input(now, b_addr, t.source, &t.contents);
            moved = true;
        }
        while let Some(t) = b.poll_transmit() {
            a.handle_input(now, a_addr, t.source, &t.contents);
            moved = true;
        }
        if a.connection_state() == PeerConnectionState::Connected
            && b.connection_state() == PeerConnectionState::Connected
            && a.send_codec(video).is_some()
        {
            return (a, video, now);
        }
        if !moved {
            let next = [a.poll_timeout(), b.poll_timeout()]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(now + Duration::from_millis(10));
            now = now.max(next);
            a.handle_timeout(now);
            b.handle_timeout(now);
        }
    }
    panic!("the in-memory pair did not connect");
}

fn benches(c: &mut Criterion) {
    let frame = frame();
    let frame_bytes = Bytes::from(frame.clone());

    // Packets per frame, for the throughput column (checked per stack below).
    let (mut pc, video, mut now) = connected();
    pc.write_frame(now, video, &frame, Duration::from_millis(33))
        .unwrap();
    let ours_packets = std::iter::from_fn(|| pc.poll_transmit()).count();
    assert!(ours_packets >= 9, "{ours_packets} packets");

    let mut g = c.benchmark_group("media_send: a 10 kB VP8 frame to SRTP packets (AES-128-GCM)");
    g.throughput(Throughput::Elements(ours_packets as u64));
    g.bench_function("rtc (ours): PeerConnection::write_frame", |b| {
        b.iter(|| {
            now += Duration::from_millis(33);
            pc.write_frame(now, video, black_box(&frame), Duration::from_millis(33))
                .unwrap();
            let mut bytes = 0;
            while let Some(t) = pc.poll_transmit() {
                bytes += t.contents.len();
            }
            bytes
        });
    });

    {
        use webrtc_rs_rtp::codecs::vp8::Vp8Payloader;
        use webrtc_rs_rtp::packetizer::{Packetizer, new_packetizer};
        use webrtc_rs_rtp::sequence::new_random_sequencer;
        use webrtc_rs_util17::marshal::Marshal;
        let mut p = new_packetizer(
            MTU,
            96,
            0x1234_5678,
            Box::new({
                let mut vp8 = Vp8Payloader::default();
                vp8.enable_picture_id = true;
                vp8
            }),
            Box::new(new_random_sequencer()),
            90_000,
        );
        let mut srtp = webrtc_rs_srtp::context::Context::new(
            &KEY16,
            &SALT12,
            webrtc_rs_srtp::protection_profile::ProtectionProfile::AeadAes128Gcm,
            None,
            None,
        )
        .unwrap();
        let packets = p.packetize(&frame_bytes, 2970).unwrap().len();
        assert!(packets.abs_diff(ours_packets) <= 1, "{packets} packets");
        g.bench_function("webrtc-rs rtp 0.17 + webrtc-srtp 0.17", |b| {
            b.iter(|| {
                let mut bytes = 0;
                for packet in p.packetize(black_box(&frame_bytes), 2970).unwrap() {
                    let plain = packet.marshal().unwrap();
                    bytes += srtp.encrypt_rtp(&plain).unwrap().len();
                }
                bytes
            });
        });
    }

    {
        use webrtc_rs_rtc_rtp::codec::vp8::Vp8Payloader;
        use webrtc_rs_rtc_rtp::packetizer::{Packetizer, new_packetizer};
        use webrtc_rs_rtc_rtp::sequence::new_random_sequencer;
        use webrtc_rs_rtc_shared::marshal::Marshal;
        let start = Instant::now();
        let mut p = new_packetizer(
            start,
            MTU,
            96,
            0x1234_5678,
            Box::new({
                let mut vp8 = Vp8Payloader::default();
                vp8.enable_picture_id = true;
                vp8
            }),
            Box::new(new_random_sequencer()),
            90_000,
        );
        let provider = webrtc_rs_rtc_srtp::crypto::default_provider().unwrap();
        let mut srtp = webrtc_rs_rtc_srtp::context::Context::new(
            &KEY16,
            &SALT12,
            webrtc_rs_rtc_srtp::protection_profile::ProtectionProfile::AeadAes128Gcm,
            None,
            None,
            provider.crypto(),
        )
        .unwrap();
        let packets = p.packetize(start, &frame_bytes, 2970).unwrap().len();
        assert!(packets.abs_diff(ours_packets) <= 1, "{packets} packets");
        g.bench_function("webrtc-rs rtc-rtp 0.21 + rtc-srtp 0.21", |b| {
            b.iter(|| {
                let mut bytes = 0;
                for packet in p.packetize(start, black_box(&frame_bytes), 2970).unwrap() {
                    let plain = packet.marshal().unwrap();
                    bytes += srtp.encrypt_rtp(&plain).unwrap().len();
                }
                bytes
            });
        });
    }
    g.finish();
}

criterion_group!(media_send, benches);
criterion_main!(media_send);
