//! The jitter buffer on virtual time: reordering (across the sequence number wrap), duplicates,
//! late packets, frames skipped at their deadline, the delay following the jitter estimate
//! (checked against RFC 3550 §A.8 computed here), overflow and sender restarts; and a
//! proptest: packets of any frames, arriving in any order within the delay, come out as the
//! same frames in order.

mod support;

use std::time::{Duration, Instant};

use proptest::prelude::*;
use rtc_media::codecs::{
    H264Depacketizer, H264Packetizer, OpusDepacketizer, Vp8Depacketizer, Vp8Packetizer,
};
use rtc_media::jitter_buffer::{
    Insertion, JitterBuffer, JitterBufferConfig, MediaKind, MediaPacket,
};
use rtc_media::{Depacketizer, Packetizer};
use support::Rng;

/// A packet to deliver at `at` after the start.
#[derive(Debug, Clone)]
struct Arrival {
    at: Duration,
    seq: u16,
    ts: u32,
    marker: bool,
    payload: Vec<u8>,
}

impl Arrival {
    fn packet(&self) -> MediaPacket<'_> {
        MediaPacket {
            sequence_number: self.seq,
            timestamp: self.ts,
            marker: self.marker,
            payload: &self.payload,
            retransmission: false,
        }
    }
}

/// Feeds the arrivals (in the order of their times) and plays frames whenever they are due;
/// returns (timestamp, data, when played) of each.
fn drive<D: Depacketizer>(
    jb: &mut JitterBuffer<D>,
    start: Instant,
    arrivals: &[Arrival],
) -> Vec<(u32, Vec<u8>, Duration)> {
    let mut arrivals = arrivals.to_vec();
    arrivals.sort_by_key(|a| a.at);
    let mut out = Vec::new();
    let mut next = 0;
    let mut now = start;
    loop {
        while let Some(a) = arrivals.get(next).filter(|a| start + a.at <= now) {
            jb.insert(now, a.packet());
            next += 1;
        }
        while let Some(f) = jb.poll_frame(now) {
            out.push((f.timestamp, f.data.to_vec(), now - start));
        }
        let wake = [arrivals.get(next).map(|a| start + a.at), jb.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        match wake {
            Some(t) => {
                assert!(t > now, "spurious wake-up");
                now = t;
            }
            None => return out,
        }
    }
}

/// Packetizes `frames` (frame i at timestamp i × 3000, sent at i × 33 ms), numbering packets
/// from `first_seq`.
fn video_packets(
    packetizer: &mut dyn Packetizer,
    frames: &[Vec<u8>],
    first_seq: u16,
    max_payload: usize,
) -> Vec<Arrival> {
    let mut seq = first_seq;
    let mut out = Vec::new();
    for (i, f) in frames.iter().enumerate() {
        packetizer
            .packetize(f, max_payload, &mut |p, marker| {
                out.push(Arrival {
                    at: Duration::from_millis(33 * i as u64),
                    seq,
                    ts: i as u32 * 3000,
                    marker,
                    payload: p.to_vec(),
                });
                seq = seq.wrapping_add(1);
            })
            .unwrap();
    }
    out
}

fn video(min_delay_ms: u64) -> JitterBufferConfig {
    JitterBufferConfig {
        min_delay: Duration::from_millis(min_delay_ms),
        ..JitterBufferConfig::new(MediaKind::Video, 90_000)
    }
}

fn audio_packet(seq: u16, at_ms: u64) -> Arrival {
    Arrival {
        at: Duration::from_millis(at_ms),
        seq,
        ts: u32::from(seq) * 960,
        marker: false,
        payload: vec![0xF8, seq as u8, (seq >> 8) as u8],
    }
}

#[test]
fn reordered_packets_across_the_wrap_play_in_order() {
    let start = support::origin();
    let mut rng = Rng::new(5);
    let frames: Vec<Vec<u8>> = (0..40).map(|_| rng.bytes(3000)).collect();
    let mut arrivals = video_packets(&mut Vp8Packetizer::new(), &frames, 65_500, 1000);
    // Each packet late by up to 40 ms: they overtake each other and whole frames.
    for a in &mut arrivals {
        a.at += Duration::from_millis(rng.below(40));
    }
    let mut jb = JitterBuffer::new(video(60), Vp8Depacketizer::new());
    let out = drive(&mut jb, start, &arrivals);
    let got: Vec<_> = out.iter().map(|(ts, d, _)| (*ts, d.clone())).collect();
    let want: Vec<_> = frames
        .iter()
        .enumerate()
        .map(|(i, f)| (i as u32 * 3000, f.clone()))
        .collect();
    assert_eq!(got, want);
    let stats = jb.stats();
    assert_eq!(stats.frames_skipped, 0);
    assert_eq!(stats.packets_received, arrivals.len() as u64);
    // Played in order, no earlier than the minimum delay after being sent, and not much later.
    let mut last = Duration::ZERO;
    for (i, (_, _, at)) in out.iter().enumerate() {
        let sent = Duration::from_micros(33_333 * i as u64);
        assert!(*at >= sent + Duration::from_millis(60), "{i}: {at:?}");
        assert!(*at <= sent + Duration::from_millis(300), "{i}: {at:?}");
        assert!(*at >= last);
        last = *at;
    }
}

#[test]
fn duplicates_and_late_packets_are_counted_and_dropped() {
    let start = support::origin();
    let config = JitterBufferConfig {
        min_delay: Duration::from_millis(40),
        ..JitterBufferConfig::new(MediaKind::Audio, 48_000)
    };
    let mut jb = JitterBuffer::new(config, OpusDepacketizer::new());
    let mut arrivals: Vec<Arrival> = (0..10)
        .map(|s| audio_packet(s, u64::from(s) * 20))
        .collect();
    // Packet 3 twice, packet 5 long after its frame played.
    arrivals.push(audio_packet(3, 61));
    arrivals.retain(|a| a.seq != 5);
    arrivals.push(audio_packet(5, 500));
    let out = drive(&mut jb, start, &arrivals);
    let seqs: Vec<u8> = out.iter().map(|(_, d, _)| d[1]).collect();
    assert_eq!(seqs, [0, 1, 2, 3, 4, 6, 7, 8, 9]);
    let s = jb.stats();
    assert_eq!(
        (s.packets_duplicate, s.packets_late, s.frames_skipped),
        (1, 1, 1)
    );
    assert_eq!(s.frames_delivered, 9);
    // Audio never asks for a keyframe.
    assert!(!jb.keyframe_needed());
}

#[test]
fn an_incomplete_frame_is_skipped_at_its_deadline_and_the_next_one_plays() {
    let start = support::origin();
    let mut rng = Rng::new(9);
    // H.264 access units of several NAL units each (STAP-A and FU-A).
    let frames: Vec<Vec<u8>> = (0..6)
        .map(|i| {
            let mut au = Vec::new();
            for nal in 0..3 {
                au.extend_from_slice(&[0, 0, 0, 1]);
                au.push(if i == 0 && nal == 0 { 0x67 } else { 0x41 });
                au.extend(rng.bytes(700).into_iter().map(|b| b | 1));
            }
            au
        })
        .collect();
    let mut arrivals = video_packets(&mut H264Packetizer::new(), &frames, 100, 500);
    // Frame 2 loses its second packet.
    let lost_index = arrivals.iter().position(|a| a.ts == 6000).unwrap() + 1;
    let lost = arrivals.remove(lost_index);
    let mut jb = JitterBuffer::new(video(50), H264Depacketizer::new());
    let out = drive(&mut jb, start, &arrivals);
    let played: Vec<u32> = out.iter().map(|(ts, _, _)| *ts).collect();
    assert_eq!(played, [0, 3000, 9000, 12_000, 15_000]);
    for (ts, data, _) in &out {
        assert_eq!(data, &frames[(*ts / 3000) as usize]);
    }
    let s = *jb.stats();
    assert_eq!((s.frames_skipped, s.frames_undecodable), (1, 0));
    // Frame 3 played although the frame before it never reached the depacketizer: the
    // buffer numbers what it hands on.
    assert_eq!(jb.depacketizer().frames_dropped(), 0);
    // The skip means the decoder needs a keyframe; none came after.
    assert!(jb.keyframe_needed());
    // The lost packet coming now is late.
    assert_eq!(
        jb.insert(start + Duration::from_secs(1), lost.packet()),
        Insertion::Late
    );
}

#[test]
fn a_frame_ends_at_a_new_timestamp_even_without_the_marker() {
    let start = support::origin();
    let mut jb = JitterBuffer::new(video(0), Vp8Depacketizer::new());
    // Two one-packet keyframes whose sender forgot the marker bit.
    for (seq, ts) in [(1u16, 0u32), (2, 3000)] {
        let payload = [0x10, 0x00, 0x9d, 0x01, 0x2a];
        let packet = MediaPacket {
            sequence_number: seq,
            timestamp: ts,
            marker: false,
            payload: &payload,
            retransmission: false,
        };
        assert_eq!(jb.insert(start, packet), Insertion::Buffered);
    }
    let frame = jb.poll_frame(start).unwrap();
    assert_eq!((frame.timestamp, frame.keyframe), (0, true));
    // The second one has nothing after it yet: not known complete.
    assert!(jb.poll_frame(start).is_none());
    assert_eq!(jb.len(), 1);
}

/// The delay follows RFC 3550 §A.8's estimate over the frames' transits, computed here from
/// the arrival times, within the bounds; it rises at once and falls gradually.
#[test]
fn delay_follows_the_interarrival_jitter_estimate() {
    let start = support::origin();
    let config = JitterBufferConfig {
        min_delay: Duration::from_millis(10),
        max_delay: Duration::from_millis(150),
        ..JitterBufferConfig::new(MediaKind::Audio, 48_000)
    };
    let mut jb = JitterBuffer::new(config, OpusDepacketizer::new());
    let mut rng = Rng::new(21);
    let mut reference = 0.0f64;
    let mut last_transit: Option<i64> = None;
    let mut arrivals_ns = Vec::new();
    // 20 ms packets with up to 15 ms of network delay variation (no reordering), then calm.
    for seq in 0..600u16 {
        let spread = if seq < 300 { 15_000_000 } else { 0 };
        let at = i64::from(seq) * 20_000_000 + 30_000_000 + (rng.next() % (spread + 1)) as i64;
        arrivals_ns.push(at);
        jb.insert(
            start + Duration::from_nanos(at as u64),
            audio_packet(seq, 0).packet(),
        );
        // A frame's transit is final when the next frame's first packet arrives.
        if seq > 0 {
            let prev = usize::from(seq - 1);
            let transit = arrivals_ns[prev] - i64::from(seq - 1) * 20_000_000;
            if let Some(last) = last_transit {
                reference += ((transit - last).abs() as f64 - reference) / 16.0;
            }
            last_transit = Some(transit);
        }
        let jitter = jb.jitter().as_nanos() as f64;
        assert!(
            (jitter - reference).abs() < 2.0,
            "{seq}: {jitter} vs {reference}"
        );
        while jb
            .poll_frame(start + Duration::from_nanos(at as u64))
            .is_some()
        {}
        if seq == 299 {
            // Noisy: 4 × J, about 4 × 5 ms.
            let want = Duration::from_nanos((4.0 * reference) as u64);
            assert!(
                jb.delay().abs_diff(want) < Duration::from_micros(1),
                "{:?}",
                jb.delay()
            );
            assert!(jb.delay() > Duration::from_millis(15));
        }
    }
    // Calm for 6 s: the target is back at the minimum and the delay came down to it, a
    // tenth of the elapsed time at a time.
    assert!(reference < 10_000.0);
    assert_eq!(jb.target_delay(), Duration::from_millis(10));
    assert_eq!(jb.delay(), Duration::from_millis(10));
    assert_eq!(jb.stats().frames_skipped, 0);

    // Wild jitter: capped at the maximum.
    let mut jb = JitterBuffer::new(config, OpusDepacketizer::new());
    for seq in 0..100u16 {
        let at = u64::from(seq) * 20 + if seq % 2 == 0 { 0 } else { 400 };
        jb.insert(
            start + Duration::from_millis(at),
            audio_packet(seq, 0).packet(),
        );
    }
    assert_eq!(jb.delay(), Duration::from_millis(150));
}

#[test]
fn packets_that_do_not_fit_push_the_oldest_frames_out() {
    let start = support::origin();
    let config = JitterBufferConfig {
        capacity: 16,
        min_delay: Duration::from_secs(10),
        max_delay: Duration::from_secs(10),
        ..JitterBufferConfig::new(MediaKind::Audio, 48_000)
    };
    let mut jb = JitterBuffer::new(config, OpusDepacketizer::new());
    for seq in 0..40 {
        assert_eq!(
            jb.insert(start, audio_packet(seq, 0).packet()),
            Insertion::Buffered
        );
        assert!(jb.len() <= 16);
    }
    assert_eq!(jb.stats().frames_skipped, 24);
    assert_eq!(jb.next_sequence_number(), Some(24));
    let first = jb.poll_frame(start + Duration::from_secs(20)).unwrap();
    assert_eq!(first.data[1], 24);
}

#[test]
fn a_restarted_sender_is_followed_after_two_packets_in_sequence() {
    let start = support::origin();
    let mut jb = JitterBuffer::new(
        JitterBufferConfig::new(MediaKind::Audio, 48_000),
        OpusDepacketizer::new(),
    );
    for seq in 1000..1010 {
        jb.insert(start, audio_packet(seq, 0).packet());
    }
    // One stray packet far away is discarded; a second in sequence after it is a restart.
    let at = start + Duration::from_millis(5);
    assert_eq!(
        jb.insert(at, audio_packet(20_000, 0).packet()),
        Insertion::Discarded
    );
    assert_eq!(
        jb.insert(at, audio_packet(5, 0).packet()),
        Insertion::Discarded
    );
    assert_eq!(
        jb.insert(at, audio_packet(6, 0).packet()),
        Insertion::Buffered
    );
    assert_eq!(jb.stats().restarts, 1);
    assert_eq!(jb.next_sequence_number(), Some(6));
    assert_eq!(jb.len(), 1);
    assert_eq!(jb.stats().packets_discarded, 2);
}

#[test]
fn retransmissions_are_left_out_of_the_delay_estimate() {
    let start = support::origin();
    let mut jb = JitterBuffer::new(
        JitterBufferConfig::new(MediaKind::Audio, 48_000),
        OpusDepacketizer::new(),
    );
    for seq in 0..50u16 {
        let at = start + Duration::from_millis(u64::from(seq) * 20);
        if seq % 5 == 2 {
            continue;
        }
        jb.insert(at, audio_packet(seq, 0).packet());
        if seq % 5 == 3 {
            // The missing one comes 150 ms late, as a retransmission.
            let mut p = audio_packet(seq - 1, 0);
            p.payload[0] = 0xF8;
            let mut packet = p.packet();
            packet.retransmission = true;
            jb.insert(at + Duration::from_millis(150), packet);
        }
    }
    assert_eq!(jb.jitter(), Duration::ZERO);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Frames of any sizes, their packets arriving in any order up to 100 ms late, with
    /// duplicates: with 120 ms of delay every frame plays once, whole, in order.
    #[test]
    fn any_order_within_the_delay_plays_every_frame(
        sizes in proptest::collection::vec(1usize..5000, 1..30),
        first_seq in any::<u16>(),
        seed in any::<u64>(),
    ) {
        let start = support::origin();
        let mut rng = Rng::new(seed);
        let frames: Vec<Vec<u8>> = sizes.iter().map(|&n| rng.bytes(n)).collect();
        let mut arrivals = video_packets(&mut Vp8Packetizer::with_picture_id(7), &frames, first_seq, 600);
        for a in &mut arrivals {
            a.at += Duration::from_millis(rng.below(100));
        }
        let duplicates: Vec<Arrival> = arrivals.iter().filter(|_| rng.chance(0.1)).cloned().collect();
        arrivals.extend(duplicates.into_iter().map(|mut a| { a.at += Duration::from_millis(rng.below(50)); a }));
        let mut jb = JitterBuffer::new(video(120), Vp8Depacketizer::new());
        let out = drive(&mut jb, start, &arrivals);
        let got: Vec<(u32, Vec<u8>)> = out.into_iter().map(|(ts, d, _)| (ts, d)).collect();
        let want: Vec<(u32, Vec<u8>)> = frames.iter().enumerate().map(|(i, f)| (i as u32 * 3000, f.clone())).collect();
        prop_assert_eq!(got, want);
        prop_assert_eq!(jb.stats().frames_skipped, 0);
        prop_assert!(jb.is_empty());
    }

    /// Any packets at any times: no panic, frames come out in sequence order, every packet is
    /// accounted for.
    #[test]
    fn arbitrary_input_is_handled(
        ops in proptest::collection::vec((any::<u16>(), any::<u32>(), any::<bool>(), 0u64..200, proptest::collection::vec(any::<u8>(), 0..20), any::<bool>()), 0..200),
        audio in any::<bool>(),
    ) {
        let start = support::origin();
        let kind = if audio { MediaKind::Audio } else { MediaKind::Video };
        let config = JitterBufferConfig { capacity: 64, ..JitterBufferConfig::new(kind, 90_000) };
        let mut jb = JitterBuffer::new(config, Vp8Depacketizer::new());
        let mut now = start;
        for (seq, ts, marker, step, payload, rtx) in ops {
            now += Duration::from_millis(step);
            let packet = MediaPacket { sequence_number: seq, timestamp: ts, marker, payload: &payload, retransmission: rtx };
            jb.insert(now, packet);
            prop_assert!(jb.len() <= 64);
            while jb.poll_frame(now).is_some() {}
            if let Some(t) = jb.poll_timeout() {
                prop_assert!(t > now, "due again at once");
            }
            jb.skip_overdue(now);
        }
    }
}
