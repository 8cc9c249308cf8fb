#![no_main]
//! The receive pipeline on virtual time: a `ReceiveStream` (RTX unwrapping, reception
//! statistics, NACK and PLI generation, the jitter buffer in front of a depacketizer) and a
//! transport-wide CC receiver, driven by operations read from the input.
//!
//! The first byte picks the setup: bit 0 audio or video, bits 1-2 the depacketizer, bit 3 a
//! NACK configuration with small limits, bit 4 a 16-packet buffer (overflow), bits 5-7 the
//! minimum delay. Then operations, each an opcode byte and its fields: a media packet (sequence
//! and timestamp steps, marker, padding, payload), an RTX packet (OSN, payload type, payload,
//! possibly padding only), raw bytes as an RTP packet, time passing, API calls (RTT, keyframe
//! request, SR, report blocks) and polls.
//!
//! Nothing may panic; every feedback packet written parses back to itself; after everything
//! due at `now` was polled, no `poll_timeout` says `now` or earlier (a spurious wake-up would
//! spin a driver); the buffer never holds more than its capacity.
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtc_media::codecs::{
    Av1Depacketizer, H264Depacketizer, OpusDepacketizer, Vp8Depacketizer, Vp9Depacketizer,
};
use rtc_media::jitter_buffer::{JitterBufferConfig, MediaKind};
use rtc_media::nack::NackConfig;
use rtc_media::receive::{ReceiveConfig, ReceiveStream};
use rtc_media::rtcp::{RtcpPacket, SenderReport};
use rtc_media::rtx::{RtxPayloadType, RtxReceiver};
use rtc_media::transport_cc::TwccReceiver;
use rtc_media::{Depacketizer, RtpHeader, RtpPacket};

const MEDIA: u32 = 0x1111;
const RTX: u32 = 0x2222;
const LOCAL: u32 = 0x3333;
const PT: RtxPayloadType = RtxPayloadType {
    original: 96,
    rtx: 97,
};

struct Input<'a>(&'a [u8]);

impl<'a> Input<'a> {
    fn u8(&mut self) -> Option<u8> {
        let (&b, rest) = self.0.split_first()?;
        self.0 = rest;
        Some(b)
    }

    fn u16(&mut self) -> Option<u16> {
        Some(u16::from_be_bytes([self.u8()?, self.u8()?]))
    }

    fn bytes(&mut self, len: usize) -> &'a [u8] {
        let (head, rest) = self.0.split_at(len.min(self.0.len()));
        self.0 = rest;
        head
    }
}

fuzz_target!(|data: &[u8]| {
    let mut input = Input(data);
    let Some(mode) = input.u8() else {
        return;
    };
    let video = mode & 1 == 0;
    let depacketizer: Box<dyn Depacketizer> = match ((mode >> 1) & 3, video) {
        (0, _) => Box::new(Vp8Depacketizer::new()),
        (1, _) => Box::new(H264Depacketizer::new()),
        (2, _) => Box::new(Av1Depacketizer::new()),
        (_, true) => Box::new(Vp9Depacketizer::new()),
        (_, false) => Box::new(OpusDepacketizer::new()),
    };
    let kind = if video {
        MediaKind::Video
    } else {
        MediaKind::Audio
    };
    let capacity = if mode & 0x10 != 0 { 16 } else { 2048 };
    let jitter_buffer = JitterBufferConfig {
        capacity,
        min_delay: Duration::from_millis(u64::from(mode >> 5) * 40),
        ..JitterBufferConfig::new(kind, 90_000)
    };
    let mut config = ReceiveConfig::new(MEDIA, LOCAL, jitter_buffer);
    config.rtx = Some(RtxReceiver::new(MEDIA, RTX, vec![PT]));
    if mode & 0x08 != 0 {
        config.nack = Some(NackConfig {
            max_attempts: 3,
            max_packet_age: 300,
            max_missing: 40,
            initial_delay: Duration::from_millis(5),
            ..NackConfig::default()
        });
    }
    let mut stream = ReceiveStream::new(config, depacketizer);
    let mut twcc = TwccReceiver::new(LOCAL, MEDIA);
    twcc.set_max_packet_len(200);
    let start = Instant::now();
    let mut now = start;
    let (mut seq, mut ts, mut transport_seq) = (0u16, 0u32, 0u16);
    let mut buf = [0u8; 600];

    while let Some(op) = input.u8() {
        match op % 8 {
            // A media packet: control (bits 0-1: sequence step 1, 2, 0 or back 3; bit 2: next
            // timestamp; bit 3: marker; bit 4: 10 bytes of padding; bit 5: a jump of the
            // next byte's value), payload length, payload.
            0..=2 => {
                let (Some(control), Some(len)) = (input.u8(), input.u8()) else {
                    break;
                };
                seq = match control & 3 {
                    0 => seq.wrapping_add(1),
                    1 => seq.wrapping_add(2),
                    2 => seq,
                    _ => seq.wrapping_sub(3),
                };
                if control & 0x20 != 0 {
                    let jump = input.u8().unwrap_or(0);
                    seq = seq.wrapping_add(u16::from(jump) << 8);
                }
                if control & 4 != 0 {
                    ts = ts.wrapping_add(3000);
                }
                let payload = input.bytes(usize::from(len));
                let header = RtpHeader {
                    marker: control & 8 != 0,
                    ..RtpHeader::new(PT.original, seq, ts, MEDIA)
                };
                let padding = if control & 0x10 != 0 { 10 } else { 0 };
                let len = header.emit_packet(payload, padding, &mut buf).unwrap();
                let packet = RtpPacket::parse(&buf[..len]).unwrap();
                assert!(stream.handle_rtp(now, &packet).unwrap());
                transport_seq = transport_seq.wrapping_add(1 + u16::from(control >> 6));
                twcc.record(now, transport_seq);
            }
            // An RTX packet: OSN, control (bit 0: marker; bit 1: an unknown payload type;
            // bit 2: padding only), payload length, payload (the OSN is written before it).
            3 => {
                let (Some(osn), Some(control), Some(len)) = (input.u16(), input.u8(), input.u8())
                else {
                    break;
                };
                let mut payload = osn.to_be_bytes().to_vec();
                payload.extend_from_slice(input.bytes(usize::from(len)));
                let pt = if control & 2 != 0 { 55 } else { PT.rtx };
                let header = RtpHeader {
                    marker: control & 1 != 0,
                    ..RtpHeader::new(pt, u16::from(control) << 8 | u16::from(len), ts, RTX)
                };
                let len = if control & 4 != 0 {
                    header.emit_packet(&[], 32, &mut buf).unwrap()
                } else {
                    header.emit_packet(&payload, 0, &mut buf).unwrap()
                };
                let packet = RtpPacket::parse(&buf[..len]).unwrap();
                let _ = stream.handle_rtp(now, &packet);
            }
            // Raw bytes as an RTP packet (any SSRC, any header).
            4 => {
                let Some(len) = input.u8() else {
                    break;
                };
                let bytes = input.bytes(usize::from(len));
                if let Ok(packet) = RtpPacket::parse(bytes) {
                    let _ = stream.handle_rtp(now, &packet);
                }
            }
            // Time passes (up to about 65 s).
            5 => {
                let Some(ms) = input.u16() else {
                    break;
                };
                now += Duration::from_millis(u64::from(ms));
                stream.handle_timeout(now);
            }
            // API calls.
            6 => {
                let Some(arg) = input.u8() else {
                    break;
                };
                match arg % 4 {
                    0 => stream.set_rtt(Duration::from_millis(u64::from(arg) * 2)),
                    1 => stream.request_keyframe(now),
                    2 => {
                        let sr = SenderReport {
                            ssrc: if arg & 4 != 0 { RTX } else { MEDIA },
                            ntp_timestamp: u64::from(arg) << 40 | 0x1234_5678,
                            ..SenderReport::default()
                        };
                        stream.handle_sender_report(now, &sr);
                    }
                    _ => {
                        let block = stream.report_block(now);
                        assert_eq!(block.ssrc, MEDIA);
                        let _ = stream.rtx_report_block(now);
                    }
                }
            }
            // Everything due now.
            _ => drain(&mut stream, &mut twcc, now, capacity),
        }
    }
    drain(&mut stream, &mut twcc, now, capacity);
    now += Duration::from_secs(30);
    stream.handle_timeout(now);
    drain(&mut stream, &mut twcc, now, capacity);
});

fn drain(
    stream: &mut ReceiveStream<Box<dyn Depacketizer>>,
    twcc: &mut TwccReceiver,
    now: Instant,
    capacity: usize,
) {
    let mut out = [0u8; 1500];
    while let Some(frame) = stream.poll_frame(now) {
        assert!(!frame.data.is_empty());
    }
    while let Some(feedback) = stream.poll_feedback(now) {
        let len = feedback.emit(&mut out).unwrap();
        assert_eq!(RtcpPacket::parse(&out[..len]).unwrap(), feedback);
    }
    while let Some(feedback) = twcc.poll_feedback(now) {
        let packet = RtcpPacket::TransportCc(feedback);
        let len = packet.emit(&mut out).unwrap();
        assert!(len <= 200);
        assert_eq!(RtcpPacket::parse(&out[..len]).unwrap(), packet);
    }
    if let Some(t) = stream.poll_timeout() {
        assert!(t > now, "receive stream due again at once");
    }
    if let Some(t) = twcc.poll_timeout() {
        assert!(t > now, "transport-cc due again at once");
    }
    assert!(stream.jitter_buffer().len() <= capacity);
}
