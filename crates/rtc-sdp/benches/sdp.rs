//! Parse and write a Chromium offer with audio, video and a data channel. The side-by-side
//! comparison with other parsers is in `bench/benches/sdp.rs`; `cargo xtask bench` runs both.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use rtc_sdp::SessionDescription;

const OFFER: &str = include_str!("../tests/corpus/chromium-offer-av-data.sdp");

fn benches(c: &mut Criterion) {
    let parsed = SessionDescription::parse(OFFER).unwrap();
    let mut g = c.benchmark_group("rtc-sdp");
    g.bench_function("parse Chromium offer", |b| {
        b.iter(|| {
            SessionDescription::parse(black_box(OFFER))
                .unwrap()
                .media
                .len()
        })
    });
    g.bench_function("write Chromium offer", |b| {
        b.iter(|| black_box(&parsed).to_sdp_string().len())
    });
    g.bench_function("parse every typed attribute of Chromium offer", |b| {
        b.iter(|| {
            let sd = SessionDescription::parse(black_box(OFFER)).unwrap();
            sd.media
                .iter()
                .map(|m| {
                    m.rtpmaps().count()
                        + m.fmtps().count()
                        + m.rtcp_fbs().count()
                        + m.extmaps().count()
                        + m.candidates().count()
                        + m.ssrcs().count()
                })
                .sum::<usize>()
        })
    });
    g.finish();
}

criterion_group!(sdp, benches);
criterion_main!(sdp);
