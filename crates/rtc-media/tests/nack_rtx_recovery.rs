//! A VP8 stream across a lossy, jittery link on virtual time: the receiver's NACKs go back over
//! a lossy link, the sender answers from its packet history with RTX, the receiver unwraps
//! RTX into its jitter buffer. With 10% loss each way every frame comes out, whole and in
//! order; without NACK the losses become skipped frames and rate-limited PLIs.

mod support;

use std::time::{Duration, Instant};

use rtc_media::codecs::{Vp8Depacketizer, Vp8Packetizer};
use rtc_media::jitter_buffer::{JitterBufferConfig, MediaKind};
use rtc_media::nack::NackConfig;
use rtc_media::receive::{ReceiveConfig, ReceiveStream};
use rtc_media::reports::SenderStats;
use rtc_media::rtcp::{Compound, RtcpPacket};
use rtc_media::rtx::{RtxPayloadType, RtxReceiver, RtxSender, RtxSenderConfig};
use rtc_media::{Packetizer, RtpHeader, RtpPacket};
use support::{Link, Rng};

const MEDIA_SSRC: u32 = 0x1111_1111;
const RTX_SSRC: u32 = 0x2222_2222;
const LOCAL_SSRC: u32 = 0x3333_3333;
const PT: RtxPayloadType = RtxPayloadType {
    original: 96,
    rtx: 97,
};
const FRAME_INTERVAL: Duration = Duration::from_micros(33_333);

/// What came out of a run.
struct Outcome {
    sent: Vec<Vec<u8>>,
    /// (RTP timestamp, data, keyframe) of every frame played, in order.
    played: Vec<(u32, Vec<u8>, bool)>,
    receiver: ReceiveStream<Vp8Depacketizer>,
    history: RtxSender,
    /// Original media packets the forward link lost, by index (sequence number less the first).
    lost_originals: Vec<u32>,
    /// The lowest and highest index of the original media packets received.
    received_range: (u32, u32),
    plis: u64,
    nacks: u64,
    /// When the receiver sent each PLI, and played each keyframe.
    pli_times: Vec<Instant>,
    keyframe_times: Vec<Instant>,
}

fn frames(rng: &mut Rng, count: usize) -> Vec<Vec<u8>> {
    (0..count)
        .map(|i| {
            let len = 300 + rng.below(9_700) as usize;
            let mut f = rng.bytes(len);
            // A keyframe every second (RFC 7741 §4.3: P bit clear).
            if i % 30 == 0 {
                f[0] &= !1;
            } else {
                f[0] |= 1;
            }
            f
        })
        .collect()
}

/// What a run simulates.
struct Scenario {
    seed: u64,
    /// Loss each way.
    loss: f64,
    /// Forward delay is 20 ms plus up to this (packets sent together arrive in any order).
    jitter: Duration,
    nack: Option<NackConfig>,
    frames: usize,
}

const FIRST_SEQ: u16 = 65_000; // wraps during the run

fn run(scenario: Scenario) -> Outcome {
    let Scenario {
        seed,
        loss,
        jitter,
        nack,
        frames: frame_count,
    } = scenario;
    let start = support::origin();
    let mut rng = Rng::new(seed);
    let sent = frames(&mut rng, frame_count);
    let mut forward = Link::new(seed + 1, loss, Duration::from_millis(20), jitter);
    let mut back = Link::new(seed + 2, loss, Duration::from_millis(20), Duration::ZERO);

    let jitter_buffer = JitterBufferConfig {
        min_delay: Duration::from_millis(500),
        ..JitterBufferConfig::new(MediaKind::Video, 90_000)
    };
    let mut config = ReceiveConfig::new(MEDIA_SSRC, LOCAL_SSRC, jitter_buffer);
    config.rtx = Some(RtxReceiver::new(MEDIA_SSRC, RTX_SSRC, vec![PT]));
    config.nack = nack;
    let mut receiver = ReceiveStream::new(config, Vp8Depacketizer::new());
    receiver.set_rtt(Duration::from_millis(50));
    let mut history = RtxSender::new(RtxSenderConfig {
        first_sequence_number: 40_000,
        ..RtxSenderConfig::new(MEDIA_SSRC, RTX_SSRC, vec![PT])
    });
    history.set_rtt(Duration::from_millis(50));
    let mut sender_stats = SenderStats::new(MEDIA_SSRC, 90_000);
    let mut packetizer = Vp8Packetizer::with_picture_id(1234);

    let mut seq = FIRST_SEQ;
    let mut lost_originals = Vec::new();
    let mut received_range = (u32::MAX, 0);
    let mut played = Vec::new();
    let (mut plis, mut nacks) = (0, 0);
    let (mut pli_times, mut keyframe_times) = (Vec::new(), Vec::new());
    let mut buf = [0u8; 1500];
    let mut now = start;
    let mut next_frame = 0;
    let frame_time = |i: usize| start + FRAME_INTERVAL * i as u32;
    let end = frame_time(frame_count) + Duration::from_secs(3);
    for _round in 0.. {
        // The sender's frames.
        while next_frame < sent.len() && frame_time(next_frame) <= now {
            let ts = next_frame as u32 * 3000;
            let mut payloads = Vec::new();
            packetizer
                .packetize(&sent[next_frame], 1100, &mut |p, m| {
                    payloads.push((p.to_vec(), m))
                })
                .unwrap();
            for (payload, marker) in payloads {
                let header = RtpHeader {
                    marker,
                    ..RtpHeader::new(PT.original, seq, ts, MEDIA_SSRC)
                };
                let len = header.emit_packet(&payload, 0, &mut buf).unwrap();
                let packet = RtpPacket::parse(&buf[..len]).unwrap();
                history.on_sent(now, &packet);
                sender_stats.on_sent(now, &packet);
                if !forward.send(now, &buf[..len]) {
                    lost_originals.push(u32::from(seq.wrapping_sub(FIRST_SEQ)));
                }
                seq = seq.wrapping_add(1);
            }
            next_frame += 1;
        }
        // Media and RTX arriving.
        while let Some((_, bytes)) = forward.receive(now) {
            let packet = RtpPacket::parse(&bytes).unwrap();
            if packet.ssrc() == MEDIA_SSRC {
                let index = u32::from(packet.sequence_number().wrapping_sub(FIRST_SEQ));
                received_range = (received_range.0.min(index), received_range.1.max(index));
            }
            assert!(receiver.handle_rtp(now, &packet).unwrap());
        }
        receiver.handle_timeout(now);
        while let Some(frame) = receiver.poll_frame(now) {
            played.push((frame.timestamp, frame.data.to_vec(), frame.keyframe));
            if frame.keyframe {
                keyframe_times.push(now);
            }
        }
        while let Some(feedback) = receiver.poll_feedback(now) {
            if matches!(feedback, RtcpPacket::PictureLossIndication(_)) {
                pli_times.push(now);
            }
            let len = feedback.emit(&mut buf).unwrap();
            back.send(now, &buf[..len]);
        }
        // Feedback arriving at the sender.
        while let Some((_, bytes)) = back.receive(now) {
            for packet in Compound::parse(&bytes).unwrap().iter() {
                match packet.unwrap() {
                    RtcpPacket::Nack(n) => {
                        nacks += 1;
                        history.handle_nack(now, &n);
                    }
                    RtcpPacket::PictureLossIndication(p) => {
                        assert_eq!((p.sender_ssrc, p.media_ssrc), (LOCAL_SSRC, MEDIA_SSRC));
                        plis += 1;
                    }
                    other => panic!("unexpected feedback {other:?}"),
                }
            }
        }
        while let Some(rtx) = history.poll_retransmission(now) {
            assert_eq!(rtx.header.ssrc, RTX_SSRC);
            let len = rtx.emit(&mut buf).unwrap();
            forward.send(now, &buf[..len]);
        }
        // On to the next event; nothing may be due already (a spurious wake-up would spin).
        let next = [
            (next_frame < sent.len()).then(|| frame_time(next_frame)),
            forward.next_arrival(),
            back.next_arrival(),
            receiver.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next.filter(|&n| n <= end) else {
            break;
        };
        assert!(next > now, "due again at {:?}", next - start);
        now = next;
    }
    Outcome {
        sent,
        played,
        receiver,
        history,
        lost_originals,
        received_range,
        plis,
        nacks,
        pli_times,
        keyframe_times,
    }
}

#[test]
fn reordering_within_the_nack_delay_asks_for_nothing() {
    let o = run(Scenario {
        seed: 3,
        loss: 0.0,
        jitter: Duration::from_millis(10),
        nack: Some(NackConfig {
            initial_delay: Duration::from_millis(11),
            ..NackConfig::default()
        }),
        frames: 150,
    });
    assert_eq!(o.played.len(), 150);
    assert_eq!(o.nacks, 0);
    // Without that delay, the same reordering makes NACKs (and needless retransmissions).
    let o = run(Scenario {
        seed: 3,
        loss: 0.0,
        jitter: Duration::from_millis(10),
        nack: Some(NackConfig::default()),
        frames: 150,
    });
    assert_eq!(o.played.len(), 150);
    assert!(o.nacks > 0);
    assert!(o.history.stats().retransmitted > 0);
}

fn timestamps(o: &Outcome) -> Vec<u32> {
    o.played.iter().map(|(ts, _, _)| *ts).collect()
}

#[test]
fn clean_link_plays_every_frame_without_feedback() {
    let o = run(Scenario {
        seed: 1,
        loss: 0.0,
        jitter: Duration::ZERO,
        nack: Some(NackConfig::default()),
        frames: 150,
    });
    assert_eq!(o.played.len(), 150);
    for (i, (ts, data, key)) in o.played.iter().enumerate() {
        assert_eq!(
            (*ts, data, *key),
            (i as u32 * 3000, &o.sent[i], i % 30 == 0)
        );
    }
    assert_eq!(o.nacks, 0);
    assert_eq!(o.plis, 0);
    let jb = o.receiver.jitter_buffer().stats();
    assert_eq!(
        (jb.frames_skipped, jb.packets_late, jb.packets_duplicate),
        (0, 0, 0)
    );
}

#[test]
fn ten_percent_loss_each_way_is_repaired_by_nack_and_rtx() {
    for seed in [7, 8, 9] {
        let mut o = run(Scenario {
            seed,
            loss: 0.10,
            jitter: Duration::from_millis(10),
            nack: Some(NackConfig::default()),
            frames: 300,
        });
        // Every frame, whole, in order.
        let expected: Vec<u32> = (0..300).map(|i| i * 3000).collect();
        assert_eq!(timestamps(&o), expected, "seed {seed}");
        for (i, (_, data, _)) in o.played.iter().enumerate() {
            assert_eq!(data, &o.sent[i], "seed {seed} frame {i}");
        }
        let jb = *o.receiver.jitter_buffer().stats();
        assert_eq!(jb.frames_skipped, 0, "seed {seed}");
        assert_eq!(o.plis, 0, "seed {seed}");
        // The repairs: about 10% of ~1600 packets lost, each asked for and retransmitted.
        assert!(o.lost_originals.len() > 100, "seed {seed}");
        let nack = *o.receiver.nack_stats().unwrap();
        assert!(
            nack.recovered >= o.lost_originals.len() as u64 - 1,
            "seed {seed}"
        );
        assert_eq!(nack.abandoned, 0, "seed {seed}");
        let rtx = o.history.stats();
        assert!(
            rtx.retransmitted >= o.lost_originals.len() as u64,
            "seed {seed}"
        );
        assert!(o.nacks > 0);
        // The media stream's report counts the network's losses between the first and the
        // highest packet received (RTX is reported apart).
        let block = o
            .receiver
            .report_block(support::origin() + Duration::from_secs(60));
        let (first, highest) = o.received_range;
        let counted = o
            .lost_originals
            .iter()
            .filter(|&&i| (first..=highest).contains(&i))
            .count();
        assert_eq!(block.cumulative_lost, counted as i32, "seed {seed}");
        assert_eq!(
            block.extended_highest_sequence,
            (1 << 16) + highest + u32::from(FIRST_SEQ) - 65_536,
            "seed {seed}"
        );
        let rtx_block = o.receiver.rtx_report_block(support::origin()).unwrap();
        assert_eq!(rtx_block.ssrc, RTX_SSRC);
        assert!(o.receiver.rtx_stats().unwrap().packets_received() > 100);
    }
}

#[test]
fn loss_without_nack_skips_frames_and_asks_for_keyframes() {
    let o = run(Scenario {
        seed: 11,
        loss: 0.05,
        jitter: Duration::from_millis(10),
        nack: None,
        frames: 300,
    });
    let jb = *o.receiver.jitter_buffer().stats();
    assert!(jb.frames_skipped > 20, "{jb:?}");
    // A skip counts the frames of a gap as one: a frame lost whole next to another is not
    // counted on its own.
    assert!(jb.frames_delivered + jb.frames_skipped <= 300, "{jb:?}");
    assert!(jb.frames_delivered + jb.frames_skipped >= 295, "{jb:?}");
    // Every frame played is one that was sent, unchanged, in order.
    let mut last = None;
    for (ts, data, _) in &o.played {
        assert_eq!(data, &o.sent[(ts / 3000) as usize]);
        assert!(last < Some(*ts));
        last = Some(*ts);
    }
    // PLIs are rate limited: two within 500 ms only when a keyframe came between them (it
    // ended one loss episode, and a loss started another).
    assert!(o.plis > 0);
    assert_eq!(o.receiver.plis_sent(), o.pli_times.len() as u64);
    assert!(o.plis <= o.receiver.plis_sent()); // some were lost on the way
    for pair in o.pli_times.windows(2) {
        let keyframe_between = o
            .keyframe_times
            .iter()
            .any(|&k| k > pair[0] && k <= pair[1]);
        assert!(
            pair[1] - pair[0] >= Duration::from_millis(500) || keyframe_between,
            "PLIs {:?} apart",
            pair[1] - pair[0]
        );
    }
    assert_eq!(o.nacks, 0);
    assert_eq!(o.history.stats().retransmitted, 0);
}

#[test]
fn rtx_padding_is_ignored() {
    let start = support::origin();
    let config = ReceiveConfig {
        rtx: Some(RtxReceiver::new(MEDIA_SSRC, RTX_SSRC, vec![PT])),
        ..ReceiveConfig::new(
            MEDIA_SSRC,
            LOCAL_SSRC,
            JitterBufferConfig::new(MediaKind::Video, 90_000),
        )
    };
    let mut receiver = ReceiveStream::new(config, Vp8Depacketizer::new());
    let mut buf = [0u8; 300];
    // Padding only: 224 bytes of padding, no OSN (libwebrtc's bandwidth probes).
    let len = RtpHeader::new(PT.rtx, 5, 0, RTX_SSRC)
        .emit_packet(&[], 224, &mut buf)
        .unwrap();
    let packet = RtpPacket::parse(&buf[..len]).unwrap();
    assert!(receiver.handle_rtp(start, &packet).unwrap());
    assert_eq!(receiver.rtx_padding_packets(), 1);
    assert!(receiver.jitter_buffer().is_empty());
    // One byte of payload cannot hold an OSN; an unknown RTX payload type is refused too.
    let len = RtpHeader::new(PT.rtx, 6, 0, RTX_SSRC)
        .emit_packet(&[1], 0, &mut buf)
        .unwrap();
    let packet = RtpPacket::parse(&buf[..len]).unwrap();
    assert!(receiver.handle_rtp(start, &packet).is_err());
    let len = RtpHeader::new(55, 7, 0, RTX_SSRC)
        .emit_packet(&[0, 1, 2], 0, &mut buf)
        .unwrap();
    let packet = RtpPacket::parse(&buf[..len]).unwrap();
    assert!(receiver.handle_rtp(start, &packet).is_err());
    // Another SSRC is not this stream's.
    let len = RtpHeader::new(96, 7, 0, 0x5555)
        .emit_packet(&[0, 1, 2], 0, &mut buf)
        .unwrap();
    let packet = RtpPacket::parse(&buf[..len]).unwrap();
    assert!(!receiver.handle_rtp(start, &packet).unwrap());
    assert!(receiver.jitter_buffer().is_empty());
    assert_eq!(receiver.rtx_stats().unwrap().packets_received(), 3);
}

/// The packet history: retransmissions keep the original's timestamp, marker, CSRCs and
/// extensions, drop its padding, get their own sequence numbers; requests within an RTT of the
/// last retransmission, for packets too old or never kept, are not answered.
#[test]
fn history_answers_nacks_once_per_rtt_and_within_age() {
    use rtc_media::rtcp::{Nack, NackPair};
    use rtc_media::{HeaderExtension, HeaderExtensions, List};

    let start = support::origin();
    let mut history = RtxSender::new(RtxSenderConfig {
        capacity: 4,
        max_age: Duration::from_millis(500),
        first_sequence_number: 65_535,
        ..RtxSenderConfig::new(MEDIA_SSRC, RTX_SSRC, vec![PT])
    });
    history.set_rtt(Duration::from_millis(100));
    let mut buf = [0u8; 1500];
    let mid = [HeaderExtension::new(1, b"v")];
    let csrcs = [7u32, 8];
    for seq in 100..106u16 {
        let header = RtpHeader {
            marker: seq % 2 == 0,
            csrcs: List::new(&csrcs),
            extensions: HeaderExtensions::auto(&mid),
            ..RtpHeader::new(PT.original, seq, u32::from(seq) * 10, MEDIA_SSRC)
        };
        let len = header.emit_packet(&[seq as u8; 50], 20, &mut buf).unwrap();
        history.on_sent(start, &RtpPacket::parse(&buf[..len]).unwrap());
    }
    let nack = |ids: &[u16]| -> Vec<NackPair> {
        rtc_media::rtcp::nack_pairs(ids.iter().copied()).collect()
    };
    let pairs = nack(&[101, 102, 104, 105]);
    let request = Nack {
        sender_ssrc: LOCAL_SSRC,
        media_ssrc: MEDIA_SSRC,
        pairs: List::new(&pairs),
    };
    // 101 was pushed out (4 kept: 102..=105).
    let at = start + Duration::from_millis(10);
    assert_eq!(history.handle_nack(at, &request), 3);
    let mut got = Vec::new();
    while let Some(rtx) = history.poll_retransmission(at) {
        let len = rtx.emit(&mut buf).unwrap();
        let p = RtpPacket::parse(&buf[..len]).unwrap();
        assert_eq!(
            (p.ssrc(), p.payload_type(), p.padding_len()),
            (RTX_SSRC, PT.rtx, 0)
        );
        assert_eq!(p.csrcs(), List::new(&csrcs));
        assert_eq!(p.extension(1), Some(&b"v"[..]));
        let osn = u16::from_be_bytes([p.payload()[0], p.payload()[1]]);
        assert_eq!(p.payload()[2..], [osn as u8; 50]);
        assert_eq!(
            (p.timestamp(), p.marker()),
            (u32::from(osn) * 10, osn % 2 == 0)
        );
        got.push((p.sequence_number(), osn));
    }
    assert_eq!(got, [(65_535, 102), (0, 104), (1, 105)]);
    // Asked again within the RTT: nothing; after it: again.
    assert_eq!(
        history.handle_nack(at + Duration::from_millis(50), &request),
        0
    );
    assert_eq!(history.stats().too_soon, 3);
    assert_eq!(
        history.handle_nack(at + Duration::from_millis(110), &request),
        3
    );
    // Duplicate requests before the retransmission queue once.
    assert_eq!(
        history.handle_nack(at + Duration::from_millis(110), &request),
        0
    );
    while history
        .poll_retransmission(at + Duration::from_millis(110))
        .is_some()
    {}
    // Past the age limit: nothing.
    assert_eq!(
        history.handle_nack(start + Duration::from_millis(600), &request),
        0
    );
    // A NACK about another SSRC is not ours.
    let other = Nack {
        media_ssrc: 9,
        ..request
    };
    assert_eq!(history.handle_nack(at, &other), 0);
    let stats = history.stats();
    assert_eq!(stats.retransmitted, 6);
    assert_eq!(stats.requested, 4 * 5);
}

/// The RTX receiver rewrites an RTX packet into the original, byte for byte.
#[test]
fn rtx_unwraps_to_the_original_packet() {
    use rtc_media::{HeaderExtension, HeaderExtensions};
    let start = support::origin();
    let mut history = RtxSender::new(RtxSenderConfig::new(MEDIA_SSRC, RTX_SSRC, vec![PT]));
    let ext = [HeaderExtension::new(3, &[1, 2, 3])];
    let original = RtpHeader {
        marker: true,
        extensions: HeaderExtensions::auto(&ext),
        ..RtpHeader::new(PT.original, 777, 123_456, MEDIA_SSRC)
    };
    let mut sent = [0u8; 200];
    let len = original.emit_packet(b"payload", 0, &mut sent).unwrap();
    let sent = &sent[..len];
    history.on_sent(start, &RtpPacket::parse(sent).unwrap());
    let pairs = [rtc_media::rtcp::NackPair {
        packet_id: 777,
        lost_bitmask: 0,
    }];
    history.handle_nack(
        start,
        &rtc_media::rtcp::Nack {
            sender_ssrc: 1,
            media_ssrc: MEDIA_SSRC,
            pairs: (&pairs).into(),
        },
    );
    let rtx = history.poll_retransmission(start).unwrap();
    assert_eq!(rtx.original_sequence_number, 777);
    let mut wire = [0u8; 200];
    let len = rtx.emit(&mut wire).unwrap();
    assert_eq!(len, rtx.encoded_len());
    let receiver = RtxReceiver::new(MEDIA_SSRC, RTX_SSRC, vec![PT]);
    let packet = RtpPacket::parse(&wire[..len]).unwrap();
    let unwrapped = receiver.unwrap(&packet).unwrap().unwrap();
    let mut back = [0u8; 200];
    let n = unwrapped.emit(&mut back).unwrap();
    assert_eq!(&back[..n], sent);
    assert!(unwrapped.media_packet().retransmission);
    let _: Instant = start;
}
