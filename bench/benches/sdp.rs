//! SDP, side by side: parse and serialize a Chromium offer with audio, video and a data channel
//! (captured on this machine by `cargo xtask interop sdp --save`).
//!
//! Mozilla's `webrtc-sdp` (Firefox's parser) types every attribute while parsing; webrtc-rs's
//! `sdp` and `rtc-sdp` keep attributes as key/value strings, as ours does until asked. So ours
//! runs twice: plain, and "typed", which also parses every attribute it has a type for.

use std::hint::black_box;
use std::io::Cursor;

use criterion::{Criterion, criterion_group, criterion_main};

const OFFER: &str = include_str!("../../crates/rtc-sdp/tests/corpus/chromium-offer-av-data.sdp");

/// Parses with rtc-sdp and walks every typed attribute it knows.
fn ours_typed(sdp: &str) -> usize {
    let sd = rtc_sdp::SessionDescription::parse(sdp).unwrap();
    let mut n = sd.groups().filter(Result::is_ok).count();
    n += sd.fingerprints().filter(Result::is_ok).count();
    for m in &sd.media {
        n += m.rtpmaps().filter(Result::is_ok).count();
        n += m.fmtps().filter(Result::is_ok).count();
        n += m.rtcp_fbs().filter(Result::is_ok).count();
        n += m.extmaps().filter(Result::is_ok).count();
        n += m.ssrcs().filter(Result::is_ok).count();
        n += m.ssrc_groups().filter(Result::is_ok).count();
        n += m.candidates().filter(Result::is_ok).count();
        n += m.msids().filter(Result::is_ok).count();
        n += m.fingerprints().filter(Result::is_ok).count();
        n += usize::from(m.setup().is_ok_and(|s| s.is_some()));
        n += usize::from(m.rtcp().is_ok_and(|s| s.is_some()));
        n += usize::from(m.sctp_port().is_ok_and(|s| s.is_some()));
    }
    n
}

fn benches(c: &mut Criterion) {
    // Cross-checks: every parser accepts the offer, and ours writes it back byte for byte.
    let ours = rtc_sdp::SessionDescription::parse(OFFER).unwrap();
    assert_eq!(ours.to_string(), OFFER);
    assert_eq!(ours.to_sdp_string(), OFFER);
    assert!(ours_typed(OFFER) > 50);
    let mozilla = mozilla_webrtc_sdp::parse_sdp(OFFER, false).unwrap();
    let webrtc =
        webrtc_rs_sdp::SessionDescription::unmarshal(&mut Cursor::new(OFFER.as_bytes())).unwrap();
    let rtc = webrtc_rs_rtc_sdp::description::session::SessionDescription::unmarshal(
        &mut Cursor::new(OFFER.as_bytes()),
    )
    .unwrap();
    assert_eq!(webrtc.media_descriptions.len(), ours.media.len());
    assert_eq!(rtc.media_descriptions.len(), ours.media.len());
    assert_eq!(mozilla.media.len(), ours.media.len());

    let mut g = c.benchmark_group("sdp: parse Chromium audio+video+data offer");
    g.bench_function("rtc", |b| {
        b.iter(|| {
            rtc_sdp::SessionDescription::parse(black_box(OFFER))
                .unwrap()
                .media
                .len()
        })
    });
    g.bench_function("rtc (typed: every known attribute parsed)", |b| {
        b.iter(|| ours_typed(black_box(OFFER)))
    });
    g.bench_function("Mozilla webrtc-sdp 0.3", |b| {
        b.iter(|| {
            mozilla_webrtc_sdp::parse_sdp(black_box(OFFER), false)
                .unwrap()
                .media
                .len()
        })
    });
    g.bench_function("webrtc-rs sdp 0.17", |b| {
        b.iter(|| {
            webrtc_rs_sdp::SessionDescription::unmarshal(&mut Cursor::new(
                black_box(OFFER).as_bytes(),
            ))
            .unwrap()
            .media_descriptions
            .len()
        })
    });
    g.bench_function("webrtc-rs rtc-sdp 0.21", |b| {
        b.iter(|| {
            webrtc_rs_rtc_sdp::description::session::SessionDescription::unmarshal(
                &mut Cursor::new(black_box(OFFER).as_bytes()),
            )
            .unwrap()
            .media_descriptions
            .len()
        })
    });
    g.finish();

    let mut g = c.benchmark_group("sdp: serialize Chromium audio+video+data offer");
    g.bench_function("rtc", |b| b.iter(|| black_box(&ours).to_sdp_string().len()));
    g.bench_function("Mozilla webrtc-sdp 0.3", |b| {
        b.iter(|| black_box(&mozilla).to_string().len())
    });
    g.bench_function("webrtc-rs sdp 0.17", |b| {
        b.iter(|| black_box(&webrtc).marshal().len())
    });
    g.bench_function("webrtc-rs rtc-sdp 0.21", |b| {
        b.iter(|| black_box(&rtc).marshal().len())
    });
    g.finish();

    let mut g = c.benchmark_group("sdp: parse and serialize Chromium audio+video+data offer");
    g.bench_function("rtc", |b| {
        b.iter(|| {
            rtc_sdp::SessionDescription::parse(black_box(OFFER))
                .unwrap()
                .to_sdp_string()
                .len()
        })
    });
    g.bench_function("Mozilla webrtc-sdp 0.3", |b| {
        b.iter(|| {
            mozilla_webrtc_sdp::parse_sdp(black_box(OFFER), false)
                .unwrap()
                .to_string()
                .len()
        })
    });
    g.bench_function("webrtc-rs sdp 0.17", |b| {
        b.iter(|| {
            webrtc_rs_sdp::SessionDescription::unmarshal(&mut Cursor::new(
                black_box(OFFER).as_bytes(),
            ))
            .unwrap()
            .marshal()
            .len()
        })
    });
    g.bench_function("webrtc-rs rtc-sdp 0.21", |b| {
        b.iter(|| {
            webrtc_rs_rtc_sdp::description::session::SessionDescription::unmarshal(
                &mut Cursor::new(black_box(OFFER).as_bytes()),
            )
            .unwrap()
            .marshal()
            .len()
        })
    });
    g.finish();
}

criterion_group!(sdp, benches);
criterion_main!(sdp);
