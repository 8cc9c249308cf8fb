//! RTP, side by side with webrtc-rs's `rtp` 0.17 (the webrtc 0.17 era) and `rtc-rtp` 0.21:
//!
//! - header parse: a 1200-byte video packet as WebRTC sends it (12-byte header, a one-byte
//!   extension block with MID, abs-send-time and the transport-wide sequence number), read
//!   for the sequence number, timestamp, SSRC and transport-wide sequence number;
//! - packet build: the same packet written from a header value and a payload;
//! - VP8 packetize a 10 kB frame into 1200-byte payloads (15-bit picture ids), and
//!   depacketize those payloads back into the frame;
//! - H.264 packetize the first access unit of `crates/rtc-media/tests/data/h264.h264` (SPS,
//!   PPS, SEI and an IDR slice, Annex B) into 1200-byte payloads, and depacketize them back.
//!
//! Each stack is used the fastest way its API allows. Ours writes into a caller's buffer and
//! hands payloads to a callback; webrtc-rs parses into owned structs and packetizes into a
//! `Vec<Bytes>`. Their depacketizers return one payload's worth at a time, so their frame is
//! put together here by appending to a reused buffer (what their sample builder does); ours
//! returns the frame. Before timing, every stack's output is checked by the others.

use std::hint::black_box;

use bytes::{Bytes, BytesMut};
use criterion::{Criterion, criterion_group, criterion_main};
use rtc_media::codecs::{H264Depacketizer, H264Packetizer, Vp8Depacketizer, Vp8Packetizer};
use rtc_media::files::{AnnexBCodec, AnnexBReader, nal_units};
use rtc_media::{
    Depacketizer, ExtensionValue, HeaderExtension, HeaderExtensions, PacketInfo, Packetizer,
    RtpHeader, RtpPacket,
};

const SSRC: u32 = 0x1234_5678;
const MTU: usize = 1200;
const PAYLOAD_LEN: usize = 1200 - 12 - 16;
const TWCC_ID: u8 = 3;
const H264_STREAM: &[u8] = include_bytes!("../../crates/rtc-media/tests/data/h264.h264");

/// The packet the header benches use, as ours writes it.
fn packet_bytes() -> Vec<u8> {
    let mut twcc = [0u8; 2];
    ExtensionValue::TransportCc(4321).emit(&mut twcc).unwrap();
    let elements = [
        HeaderExtension::new(1, b"0"),
        HeaderExtension::new(2, &[0x12, 0x34, 0x56]),
        HeaderExtension::new(TWCC_ID, &twcc),
    ];
    let header = RtpHeader {
        marker: true,
        extensions: HeaderExtensions::auto(&elements),
        ..RtpHeader::new(96, 1000, 90_000, SSRC)
    };
    let payload: Vec<u8> = (0..PAYLOAD_LEN).map(|i| i as u8).collect();
    let mut buf = vec![0u8; 1500];
    let len = header.emit_packet(&payload, 0, &mut buf).unwrap();
    buf.truncate(len);
    buf
}

/// A 10 kB VP8 keyframe's worth of bytes (the payload format does not look inside).
fn vp8_frame() -> Vec<u8> {
    let mut frame: Vec<u8> = (0..10_000u32).map(|i| (i * 7 + 3) as u8).collect();
    frame[0] = 0x10; // P bit clear: a keyframe.
    frame
}

/// The first access unit of the fixture (the keyframe).
fn h264_access_unit() -> Vec<u8> {
    AnnexBReader::new(H264_STREAM, AnnexBCodec::H264)
        .next()
        .unwrap()
        .data
        .to_vec()
}

/// NAL units of an Annex B stream, without the access unit delimiters and filler data that
/// webrtc-rs's packetizers drop.
fn nals(stream: &[u8]) -> Vec<Vec<u8>> {
    nal_units(stream)
        .map(|n| n.data.to_vec())
        .filter(|n| !matches!(n.first().map(|b| b & 0x1F), Some(9 | 12)))
        .collect()
}

mod ours {
    use super::*;

    pub(crate) fn parse(bytes: &[u8]) -> u64 {
        let p = RtpPacket::parse(bytes).unwrap();
        let twcc = p.extension(TWCC_ID).unwrap();
        let twcc = u16::from_be_bytes([twcc[0], twcc[1]]);
        u64::from(p.sequence_number())
            + u64::from(p.timestamp())
            + u64::from(p.ssrc())
            + u64::from(twcc)
            + p.payload().len() as u64
    }

    pub(crate) fn packetize(p: &mut dyn Packetizer, frame: &[u8]) -> usize {
        let mut total = 0;
        p.packetize(frame, MTU, &mut |payload, _| total += payload.len())
            .unwrap();
        total
    }

    pub(crate) fn payloads(p: &mut dyn Packetizer, frame: &[u8]) -> Vec<(Vec<u8>, bool)> {
        let mut out = Vec::new();
        p.packetize(frame, MTU, &mut |payload, m| {
            out.push((payload.to_vec(), m))
        })
        .unwrap();
        out
    }

    /// Pushes one frame's payloads (marker on the last), numbering on from `seq`.
    pub(crate) fn depacketize(
        d: &mut dyn Depacketizer,
        payloads: &[Vec<u8>],
        seq: &mut u16,
        ts: &mut u32,
    ) -> usize {
        *ts = ts.wrapping_add(3000);
        let mut len = 0;
        for (i, p) in payloads.iter().enumerate() {
            let info = PacketInfo {
                sequence_number: *seq,
                timestamp: *ts,
                marker: i + 1 == payloads.len(),
            };
            *seq = seq.wrapping_add(1);
            if let Some(frame) = d.push(p, info).unwrap() {
                len = frame.data.len();
            }
        }
        len
    }
}

mod webrtc_rs {
    use super::*;
    use webrtc_rs_rtp::codecs::h264::{H264Packet, H264Payloader};
    use webrtc_rs_rtp::codecs::vp8::{Vp8Packet, Vp8Payloader};
    use webrtc_rs_rtp::header::Header;
    use webrtc_rs_rtp::packet::Packet;
    use webrtc_rs_rtp::packetizer::{Depacketizer, Payloader};
    use webrtc_rs_util17::marshal::{Marshal, Unmarshal};

    pub(crate) fn parse(bytes: &Bytes) -> u64 {
        let mut buf = bytes.clone();
        let h = Header::unmarshal(&mut buf).unwrap();
        let twcc = h.get_extension(TWCC_ID).unwrap();
        let twcc = u16::from_be_bytes([twcc[0], twcc[1]]);
        u64::from(h.sequence_number)
            + u64::from(h.timestamp)
            + u64::from(h.ssrc)
            + u64::from(twcc)
            + buf.len() as u64
    }

    pub(crate) fn packet(bytes: &[u8]) -> Packet {
        Packet::unmarshal(&mut Bytes::copy_from_slice(bytes)).unwrap()
    }

    pub(crate) fn build(packet: &Packet, out: &mut [u8]) -> usize {
        packet.marshal_to(out).unwrap()
    }

    pub(crate) fn vp8_payloader() -> Vp8Payloader {
        let mut p = Vp8Payloader::default();
        p.enable_picture_id = true;
        p
    }

    pub(crate) fn h264_payloader() -> H264Payloader {
        H264Payloader::default()
    }

    pub(crate) fn packetize(p: &mut dyn Payloader, frame: &Bytes) -> Vec<Bytes> {
        p.payload(MTU, frame).unwrap()
    }

    pub(crate) fn vp8_depacketizer() -> Vp8Packet {
        Vp8Packet::default()
    }

    pub(crate) fn h264_depacketizer() -> H264Packet {
        H264Packet::default()
    }

    /// Depacketizes each payload and appends the output to `frame`.
    pub(crate) fn depacketize(
        d: &mut dyn Depacketizer,
        payloads: &[Bytes],
        frame: &mut BytesMut,
    ) -> usize {
        frame.clear();
        for p in payloads {
            frame.extend_from_slice(&d.depacketize(p).unwrap());
        }
        frame.len()
    }
}

mod rtc_rs {
    use super::*;
    use webrtc_rs_rtc_rtp::codec::h264::{H264Packet, H264Payloader};
    use webrtc_rs_rtc_rtp::codec::vp8::{Vp8Packet, Vp8Payloader};
    use webrtc_rs_rtc_rtp::header::Header;
    use webrtc_rs_rtc_rtp::packet::Packet;
    use webrtc_rs_rtc_rtp::packetizer::{Depacketizer, Payloader};
    use webrtc_rs_rtc_shared::marshal::{Marshal, Unmarshal};

    pub(crate) fn parse(bytes: &Bytes) -> u64 {
        let mut buf = bytes.clone();
        let h = Header::unmarshal(&mut buf).unwrap();
        let twcc = h.get_extension(TWCC_ID).unwrap();
        let twcc = u16::from_be_bytes([twcc[0], twcc[1]]);
        u64::from(h.sequence_number)
            + u64::from(h.timestamp)
            + u64::from(h.ssrc)
            + u64::from(twcc)
            + buf.len() as u64
    }

    pub(crate) fn packet(bytes: &[u8]) -> Packet {
        Packet::unmarshal(&mut Bytes::copy_from_slice(bytes)).unwrap()
    }

    pub(crate) fn build(packet: &Packet, out: &mut [u8]) -> usize {
        packet.marshal_to(out).unwrap()
    }

    pub(crate) fn vp8_payloader() -> Vp8Payloader {
        let mut p = Vp8Payloader::default();
        p.enable_picture_id = true;
        p
    }

    pub(crate) fn h264_payloader() -> H264Payloader {
        H264Payloader::default()
    }

    pub(crate) fn packetize(p: &mut dyn Payloader, frame: &Bytes) -> Vec<Bytes> {
        p.payload(MTU, frame).unwrap()
    }

    pub(crate) fn vp8_depacketizer() -> Vp8Packet {
        Vp8Packet::default()
    }

    pub(crate) fn h264_depacketizer() -> H264Packet {
        H264Packet::default()
    }

    pub(crate) fn depacketize(
        d: &mut dyn Depacketizer,
        payloads: &[Bytes],
        frame: &mut BytesMut,
    ) -> usize {
        frame.clear();
        for p in payloads {
            frame.extend_from_slice(&d.depacketize(p).unwrap());
        }
        frame.len()
    }
}

fn to_vecs(payloads: &[Bytes]) -> Vec<Vec<u8>> {
    payloads.iter().map(|p| p.to_vec()).collect()
}

fn header_benches(c: &mut Criterion) {
    let bytes = packet_bytes();
    let shared = Bytes::copy_from_slice(&bytes);
    let expected = ours::parse(&bytes);
    assert_eq!(
        webrtc_rs::parse(&shared),
        expected,
        "webrtc-rs rtp parsed differently"
    );
    assert_eq!(
        rtc_rs::parse(&shared),
        expected,
        "webrtc-rs rtc-rtp parsed differently"
    );

    // Each builds the packet from its own header value and payload: the same bytes.
    let ours_packet = RtpPacket::parse(&bytes).unwrap();
    let header = ours_packet.header();
    let payload = ours_packet.payload().to_vec();
    let webrtc_packet = webrtc_rs::packet(&bytes);
    let rtc_packet = rtc_rs::packet(&bytes);
    let mut out = [0u8; 1500];
    let len = webrtc_rs::build(&webrtc_packet, &mut out);
    assert_eq!(
        &out[..len],
        &bytes[..],
        "webrtc-rs rtp wrote different bytes"
    );
    let len = rtc_rs::build(&rtc_packet, &mut out);
    assert_eq!(
        &out[..len],
        &bytes[..],
        "webrtc-rs rtc-rtp wrote different bytes"
    );

    let mut g = c.benchmark_group("rtp: parse header of a 1200-byte packet (3 extensions)");
    g.bench_function("rtc", |b| b.iter(|| ours::parse(black_box(&bytes))));
    g.bench_function("webrtc-rs rtp 0.17", |b| {
        b.iter(|| webrtc_rs::parse(black_box(&shared)))
    });
    g.bench_function("webrtc-rs rtc-rtp 0.21", |b| {
        b.iter(|| rtc_rs::parse(black_box(&shared)))
    });
    g.finish();

    let mut g = c.benchmark_group("rtp: build a 1200-byte packet (3 extensions)");
    g.bench_function("rtc", |b| {
        b.iter(|| {
            black_box(&header)
                .emit_packet(black_box(&payload), 0, black_box(&mut out))
                .unwrap()
        })
    });
    g.bench_function("webrtc-rs rtp 0.17", |b| {
        b.iter(|| webrtc_rs::build(black_box(&webrtc_packet), black_box(&mut out)))
    });
    g.bench_function("webrtc-rs rtc-rtp 0.21", |b| {
        b.iter(|| rtc_rs::build(black_box(&rtc_packet), black_box(&mut out)))
    });
    g.finish();
}

/// The packetize and depacketize groups of one codec.
struct Codec {
    name: &'static str,
    frame: Vec<u8>,
    /// Whether a depacketized frame must equal the input byte for byte (VP8), or have the same
    /// NAL units (H.264: start code lengths and the dropped delimiters differ).
    exact: bool,
}

fn same_frame(codec: &Codec, got: &[u8]) {
    if codec.exact {
        assert_eq!(got, &codec.frame[..], "{}: frame differs", codec.name);
    } else {
        assert_eq!(
            nals(got),
            nals(&codec.frame),
            "{}: NAL units differ",
            codec.name
        );
    }
}

fn codec_benches(c: &mut Criterion, codec: &Codec) {
    let vp8 = codec.name == "VP8";
    let new_ours_packetizer = || -> Box<dyn Packetizer> {
        if vp8 {
            Box::new(Vp8Packetizer::with_picture_id(0))
        } else {
            Box::new(H264Packetizer::new())
        }
    };
    let new_ours_depacketizer = || -> Box<dyn Depacketizer> {
        if vp8 {
            Box::new(Vp8Depacketizer::new())
        } else {
            Box::new(H264Depacketizer::new())
        }
    };
    let frame = Bytes::copy_from_slice(&codec.frame);

    // Cross-checks: every stack's payloads depacketize, by every stack, to the frame.
    let ours_payloads = ours::payloads(&mut *new_ours_packetizer(), &codec.frame);
    let (mut webrtc_payloader, mut rtc_payloader): (
        Box<dyn webrtc_rs_rtp::packetizer::Payloader>,
        Box<dyn webrtc_rs_rtc_rtp::packetizer::Payloader>,
    ) = if vp8 {
        (
            Box::new(webrtc_rs::vp8_payloader()),
            Box::new(rtc_rs::vp8_payloader()),
        )
    } else {
        (
            Box::new(webrtc_rs::h264_payloader()),
            Box::new(rtc_rs::h264_payloader()),
        )
    };
    let new_webrtc_depacketizer = || -> Box<dyn webrtc_rs_rtp::packetizer::Depacketizer> {
        if vp8 {
            Box::new(webrtc_rs::vp8_depacketizer())
        } else {
            Box::new(webrtc_rs::h264_depacketizer())
        }
    };
    let new_rtc_depacketizer = || -> Box<dyn webrtc_rs_rtc_rtp::packetizer::Depacketizer> {
        if vp8 {
            Box::new(rtc_rs::vp8_depacketizer())
        } else {
            Box::new(rtc_rs::h264_depacketizer())
        }
    };
    let webrtc_payloads = webrtc_rs::packetize(&mut *webrtc_payloader, &frame);
    let rtc_payloads = rtc_rs::packetize(&mut *rtc_payloader, &frame);
    let payload_sets: [(&str, Vec<Vec<u8>>); 3] = [
        (
            "rtc",
            ours_payloads.iter().map(|(p, _)| p.clone()).collect(),
        ),
        ("webrtc-rs rtp", to_vecs(&webrtc_payloads)),
        ("webrtc-rs rtc-rtp", to_vecs(&rtc_payloads)),
    ];
    for (who, payloads) in &payload_sets {
        assert!(
            payloads.iter().all(|p| p.len() <= MTU),
            "{who}: payload over the MTU"
        );
        let mut d = new_ours_depacketizer();
        let mut got = Vec::new();
        for (i, p) in payloads.iter().enumerate() {
            let info = PacketInfo {
                sequence_number: i as u16,
                timestamp: 3000,
                marker: i + 1 == payloads.len(),
            };
            if let Some(f) = d.push(p, info).unwrap() {
                got = f.data.to_vec();
            }
        }
        same_frame(codec, &got);
        let as_bytes: Vec<Bytes> = payloads.iter().map(|p| Bytes::copy_from_slice(p)).collect();
        let mut frame_buf = BytesMut::new();
        webrtc_rs::depacketize(&mut *new_webrtc_depacketizer(), &as_bytes, &mut frame_buf);
        same_frame(codec, &frame_buf);
        rtc_rs::depacketize(&mut *new_rtc_depacketizer(), &as_bytes, &mut frame_buf);
        same_frame(codec, &frame_buf);
    }

    let mut g = c.benchmark_group(format!(
        "rtp: {} packetize {} ({} bytes, 1200-byte payloads)",
        codec.name,
        if vp8 { "a frame" } else { "an access unit" },
        codec.frame.len()
    ));
    g.bench_function("rtc", |b| {
        let mut p = new_ours_packetizer();
        b.iter(|| ours::packetize(&mut *p, black_box(&codec.frame)))
    });
    g.bench_function("webrtc-rs rtp 0.17", |b| {
        b.iter(|| webrtc_rs::packetize(&mut *webrtc_payloader, black_box(&frame)))
    });
    g.bench_function("webrtc-rs rtc-rtp 0.21", |b| {
        b.iter(|| rtc_rs::packetize(&mut *rtc_payloader, black_box(&frame)))
    });
    g.finish();

    // Each depacketizes its own payloads. Frame after frame, as in the timed loops, each
    // gives the whole frame every time.
    let ours_payloads: Vec<Vec<u8>> = ours_payloads.into_iter().map(|(p, _)| p).collect();
    {
        let mut d = new_ours_depacketizer();
        let (mut seq, mut ts) = (0u16, 0u32);
        let ours_lens: Vec<usize> = (0..3)
            .map(|_| ours::depacketize(&mut *d, &ours_payloads, &mut seq, &mut ts))
            .collect();
        let mut frame = BytesMut::new();
        let mut d = new_webrtc_depacketizer();
        let webrtc_lens: Vec<usize> = (0..3)
            .map(|_| webrtc_rs::depacketize(&mut *d, &webrtc_payloads, &mut frame))
            .collect();
        let mut d = new_rtc_depacketizer();
        let rtc_lens: Vec<usize> = (0..3)
            .map(|_| rtc_rs::depacketize(&mut *d, &rtc_payloads, &mut frame))
            .collect();
        for lens in [ours_lens, webrtc_lens, rtc_lens] {
            assert!(
                lens[0] > 0 && lens.iter().all(|&l| l == lens[0]),
                "{lens:?}"
            );
        }
    }
    let mut g = c.benchmark_group(format!(
        "rtp: {} depacketize {} ({} bytes)",
        codec.name,
        if vp8 { "a frame" } else { "an access unit" },
        codec.frame.len()
    ));
    g.bench_function("rtc", |b| {
        let mut d = new_ours_depacketizer();
        let (mut seq, mut ts) = (0u16, 0u32);
        b.iter(|| ours::depacketize(&mut *d, black_box(&ours_payloads), &mut seq, &mut ts))
    });
    g.bench_function("webrtc-rs rtp 0.17", |b| {
        let mut d = new_webrtc_depacketizer();
        let mut frame = BytesMut::new();
        b.iter(|| webrtc_rs::depacketize(&mut *d, black_box(&webrtc_payloads), &mut frame))
    });
    g.bench_function("webrtc-rs rtc-rtp 0.21", |b| {
        let mut d = new_rtc_depacketizer();
        let mut frame = BytesMut::new();
        b.iter(|| rtc_rs::depacketize(&mut *d, black_box(&rtc_payloads), &mut frame))
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    header_benches(c);
    codec_benches(
        c,
        &Codec {
            name: "VP8",
            frame: vp8_frame(),
            exact: true,
        },
    );
    codec_benches(
        c,
        &Codec {
            name: "H.264",
            frame: h264_access_unit(),
            exact: false,
        },
    );
}

criterion_group!(rtp, benches);
criterion_main!(rtp);
