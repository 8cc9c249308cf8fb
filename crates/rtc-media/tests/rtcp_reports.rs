//! RTCP report statistics: fraction and cumulative lost over known sequences (RFC 3550 §A.3),
//! the interarrival jitter against §A.8 computed here, the SR's counts and RTP timestamp, and
//! the RTT from an SR/RR round trip across links with known delays (§6.4.1), through the
//! wire format.

mod support;

use std::time::{Duration, Instant};

use proptest::prelude::*;
use rtc_media::reports::{ReceiverStats, SenderStats, compact_ntp, round_trip_time};
use rtc_media::rtcp::{Compound, CompoundWriter, ReceiverReport, RtcpPacket};
use rtc_media::{List, RtpHeader, RtpPacket};
use support::{Link, Rng};

fn record_all(stats: &mut ReceiverStats, now: Instant, seqs: impl IntoIterator<Item = u16>) {
    for seq in seqs {
        assert!(stats.record(now, seq, 0), "{seq} refused");
    }
}

#[test]
fn fraction_and_cumulative_lost_over_known_sequences() {
    let now = support::origin();
    let mut stats = ReceiverStats::new(0xABCD, 90_000);
    let first = 65_400u16;
    let seq = |i: u32| first.wrapping_add(i as u16);

    // Interval 1: 100 packets, 3 lost.
    record_all(
        &mut stats,
        now,
        (0..100).filter(|i| ![10, 20, 30].contains(i)).map(seq),
    );
    let b = stats.report_block(now);
    assert_eq!(b.ssrc, 0xABCD);
    assert_eq!(
        (b.fraction_lost, b.cumulative_lost),
        (((3u32 << 8) / 100) as u8, 3)
    );
    assert_eq!(b.extended_highest_sequence, u32::from(first) + 99);

    // Interval 2, across the wrap: 100 more, 10 lost, one received 3 more times, and the
    // last ten in reverse order.
    let mut seqs: Vec<u16> = (100..190)
        .filter(|i| !(160..170).contains(i))
        .map(seq)
        .collect();
    seqs.extend([seq(150), seq(150), seq(150)]);
    seqs.extend((190..200).rev().map(seq));
    record_all(&mut stats, now, seqs);
    let b = stats.report_block(now);
    // Expected 100, received 93: 7 lost in the interval, 10 in all.
    assert_eq!(
        (b.fraction_lost, b.cumulative_lost),
        (((7u32 << 8) / 100) as u8, 10)
    );
    // 65400 + 199 = 65599: one cycle.
    assert_eq!(b.extended_highest_sequence, (1 << 16) + u32::from(seq(199)));

    // Interval 3: nothing new, 5 duplicates: no fraction (none expected), 5 fewer lost.
    record_all(&mut stats, now, [seq(199); 5]);
    let b = stats.report_block(now);
    assert_eq!((b.fraction_lost, b.cumulative_lost), (0, 5));

    // Interval 4: more duplicates than packets: the fraction is 0, never negative.
    record_all(&mut stats, now, [seq(200), seq(200), seq(200), seq(201)]);
    let b = stats.report_block(now);
    assert_eq!((b.fraction_lost, b.cumulative_lost), (0, 3));

    // Interval 5: everything but the last packet of 50 lost.
    record_all(&mut stats, now, [seq(251)]);
    let b = stats.report_block(now);
    assert_eq!(
        (b.fraction_lost, b.cumulative_lost),
        (((49u32 << 8) / 50) as u8, 3 + 49)
    );
    assert_eq!(stats.packets_expected(), 252);
}

#[test]
fn cumulative_lost_is_clamped_to_24_bits() {
    let now = support::origin();
    let mut stats = ReceiverStats::new(1, 90_000);
    // Jumps just below MAX_DROPOUT: 2998 lost each time.
    let mut seq = 0u16;
    for _ in 0..3000 {
        assert!(stats.record(now, seq, 0));
        seq = seq.wrapping_add(2999);
    }
    assert_eq!(stats.cumulative_lost(), 2999 * 2999 - 2999);
    let b = stats.report_block(now);
    assert_eq!(b.cumulative_lost, 0x7F_FFFF);
    assert_eq!(b.fraction_lost, 255);
    // The report block writes and parses back.
    let blocks = [b];
    let rr = ReceiverReport {
        ssrc: 2,
        reports: List::new(&blocks),
        ..Default::default()
    };
    let mut buf = [0u8; 64];
    let len = rr.emit(&mut buf).unwrap();
    match RtcpPacket::parse(&buf[..len]).unwrap() {
        RtcpPacket::ReceiverReport(back) => assert_eq!(back.reports.iter().next(), Some(b)),
        other => panic!("{other:?}"),
    }
}

/// RFC 3550 §A.8 computed here: arrival in timestamp units (counted from the first packet's
/// arrival), transit, |D|, J += (|D| - J)/16.
fn reference_jitter(clock_rate: u32, packets: &[(u64, u32)]) -> f64 {
    let mut jitter = 0.0;
    let mut last: Option<u32> = None;
    let base = packets.first().map_or(0, |p| p.0);
    for &(arrival_ns, ts) in packets {
        let since = u128::from(arrival_ns - base);
        let arrival = (since * u128::from(clock_rate) / 1_000_000_000) as u32;
        let transit = arrival.wrapping_sub(ts);
        if let Some(prev) = last {
            let d = f64::from((transit.wrapping_sub(prev) as i32).unsigned_abs());
            jitter += (d - jitter) / 16.0;
        }
        last = Some(transit);
    }
    jitter
}

#[test]
fn jitter_matches_the_rfc_estimate() {
    let start = support::origin();
    let mut rng = Rng::new(3);
    // 8 kHz audio, 20 ms packets, 0-30 ms of network delay, timestamps wrapping.
    let mut packets = Vec::new();
    let mut stats = ReceiverStats::new(7, 8000);
    for i in 0..2000u64 {
        let ts = (u32::MAX - 50_000).wrapping_add((i as u32).wrapping_mul(160));
        let arrival = i * 20_000_000 + rng.below(30_000_000);
        packets.push((arrival, ts));
        stats.record(start + Duration::from_nanos(arrival), i as u16, ts);
    }
    let reference = reference_jitter(8000, &packets);
    assert_eq!(stats.jitter(), reference);
    // About a third of the delay range in timestamp units (30 ms = 240 units).
    assert!((60.0..100.0).contains(&reference), "{reference}");
    assert_eq!(stats.report_block(start).jitter, reference as u32);
    assert_eq!(
        stats.jitter_duration(),
        Duration::from_secs_f64(reference / 8000.0)
    );
    // A steady stream has none.
    let mut steady = ReceiverStats::new(7, 90_000);
    for i in 0..100u32 {
        steady.record(
            start + Duration::from_millis(u64::from(i) * 33),
            i as u16,
            i * 2970,
        );
    }
    assert_eq!(steady.jitter(), 0.0);
}

proptest! {
    #[test]
    fn jitter_matches_the_rfc_estimate_for_any_arrivals(
        packets in proptest::collection::vec((0u64..10_000_000_000, any::<u32>()), 1..200),
        clock_rate in prop_oneof![Just(8000u32), Just(48_000), Just(90_000)],
    ) {
        let start = support::origin();
        let mut stats = ReceiverStats::new(7, clock_rate);
        let mut sorted = packets.clone();
        sorted.sort_by_key(|p| p.0);
        for (i, &(arrival, ts)) in sorted.iter().enumerate() {
            stats.record(start + Duration::from_nanos(arrival), i as u16, ts);
        }
        prop_assert_eq!(stats.jitter(), reference_jitter(clock_rate, &sorted));
    }

    /// Cumulative lost is expected less received for any sequence without restarts.
    #[test]
    fn cumulative_lost_is_expected_less_received(
        steps in proptest::collection::vec(-50i32..200, 1..300),
        first in any::<u16>(),
    ) {
        let now = support::origin();
        let mut stats = ReceiverStats::new(1, 90_000);
        let mut ext = i64::from(first) + (1 << 20);
        let (mut low, mut high) = (ext, ext);
        for (i, step) in steps.iter().enumerate() {
            if i > 0 {
                ext = (ext + i64::from(*step)).max(high - 99);
            }
            prop_assert!(stats.record(now, ext as u16, 0));
            low = low.min(ext);
            high = high.max(ext);
        }
        prop_assert_eq!(stats.packets_received(), steps.len() as u64);
        prop_assert_eq!(stats.packets_expected() as i64, high - low + 1);
        prop_assert_eq!(stats.cumulative_lost(), high - low + 1 - steps.len() as i64);
    }
}

#[test]
fn sender_report_counts_and_extrapolates_the_rtp_timestamp() {
    let start = support::origin();
    let mut stats = SenderStats::new(0x5EED, 90_000);
    let mut buf = [0u8; 1500];
    for i in 0..10u16 {
        let header = RtpHeader::new(96, i, 90_000 + u32::from(i) * 3000, 0x5EED);
        // 100 bytes of payload and 7 of padding: the octet count is payload only.
        let len = header.emit_packet(&[0; 100], 7, &mut buf).unwrap();
        stats.on_sent(
            start + Duration::from_millis(u64::from(i) * 33),
            &RtpPacket::parse(&buf[..len]).unwrap(),
        );
    }
    let at = start + Duration::from_millis(9 * 33 + 500);
    let sr = stats.sender_report(at, 0x1234_5678_9ABC_DEF0);
    assert_eq!(
        (sr.ssrc, sr.packet_count, sr.octet_count),
        (0x5EED, 10, 1000)
    );
    assert_eq!(sr.ntp_timestamp, 0x1234_5678_9ABC_DEF0);
    // The last packet (timestamp 117000) went 500 ms earlier: 45000 ticks of 90 kHz.
    assert_eq!(sr.rtp_timestamp, 117_000 + 45_000);
    assert_eq!((stats.packets_sent(), stats.octets_sent()), (10, 1000));
}

/// An SR goes over a link with one-way delay `there`; the peer holds it `hold` and answers with
/// an RR over a link with delay `back`: the RTT is `there + back`, to DLSR's 1/65536 s.
#[test]
fn rtt_from_an_sr_rr_round_trip_across_links() {
    let start = support::origin();
    let mut sender = SenderStats::new(0xA, 48_000);
    let mut receiver = ReceiverStats::new(0xA, 48_000);
    let mut there = Link::new(1, 0.0, Duration::from_millis(30), Duration::ZERO);
    let mut back = Link::new(2, 0.0, Duration::from_millis(45), Duration::ZERO);
    // The sender's wall clock and ours differ arbitrarily: only its own NTP values come back.
    let ntp_at =
        |t: Instant| 0xDEAD_BEEF_0000_0000u64 + ((t - start).as_nanos() as u64 * 4295 / 1000);
    let mut buf = [0u8; 200];

    // An SR every second; the one sent at 1 s is lost; RRs go 100 ms after each SR arrives.
    let mut rtts = Vec::new();
    for k in 0..4u32 {
        let now = start + Duration::from_secs(u64::from(k));
        let sr = sender.sender_report(now, ntp_at(now));
        let mut w = CompoundWriter::new(&mut buf, 1200);
        w.push(&RtcpPacket::SenderReport(sr)).unwrap();
        let bytes = w.finish().to_vec();
        if k != 1 {
            there.send(now, &bytes);
        }
        let Some((arrived, bytes)) = there.receive(now + Duration::from_secs(1)) else {
            continue;
        };
        for p in Compound::parse(&bytes).unwrap().iter() {
            if let RtcpPacket::SenderReport(sr) = p.unwrap() {
                receiver.handle_sender_report(arrived, &sr);
            }
        }
        // The peer answers 100 ms + k ms later.
        let answer = arrived + Duration::from_millis(100 + u64::from(k));
        let blocks = [receiver.report_block(answer)];
        assert_eq!(blocks[0].last_sender_report, compact_ntp(ntp_at(now)));
        let rr = RtcpPacket::ReceiverReport(ReceiverReport {
            ssrc: 0xB,
            reports: List::new(&blocks),
            ..Default::default()
        });
        let len = rr.emit(&mut buf).unwrap();
        back.send(answer, &buf[..len]);
        let (arrived, bytes) = back.receive(answer + Duration::from_secs(1)).unwrap();
        if let RtcpPacket::ReceiverReport(rr) = RtcpPacket::parse(&bytes).unwrap() {
            for block in rr.reports.iter() {
                rtts.push(sender.handle_report_block(arrived, &block).unwrap());
                // The formula on NTP values agrees.
                let formula = round_trip_time(
                    ntp_at(arrived),
                    block.last_sender_report,
                    block.delay_since_last_sender_report,
                )
                .unwrap();
                assert!(formula.abs_diff(Duration::from_millis(75)) < Duration::from_micros(50));
            }
        }
    }
    assert_eq!(rtts.len(), 3);
    for rtt in rtts {
        assert!(
            rtt.abs_diff(Duration::from_millis(75)) < Duration::from_micros(16),
            "{rtt:?}"
        );
    }
    let last = sender.rtt().unwrap();
    assert!(last.abs_diff(Duration::from_millis(75)) < Duration::from_micros(16));

    // A block about another SSRC, or one without LSR, or naming an SR we never sent, is not a
    // measurement.
    let now = start + Duration::from_secs(10);
    let mut block = receiver.report_block(now);
    block.ssrc = 0xB;
    assert_eq!(sender.handle_report_block(now, &block), None);
    block.ssrc = 0xA;
    block.last_sender_report = 0;
    assert_eq!(sender.handle_report_block(now, &block), None);
    block.last_sender_report = 0x1234_5678;
    assert_eq!(sender.handle_report_block(now, &block), None);
}

#[test]
fn report_block_without_a_sender_report_has_no_lsr() {
    let start = support::origin();
    let mut receiver = ReceiverStats::new(3, 90_000);
    receiver.record(start, 1, 0);
    let b = receiver.report_block(start + Duration::from_secs(5));
    assert_eq!(
        (b.last_sender_report, b.delay_since_last_sender_report),
        (0, 0)
    );
    // A fresh source reports nothing received and nothing lost.
    let b = ReceiverStats::new(4, 90_000).report_block(start);
    assert_eq!(
        (
            b.extended_highest_sequence,
            b.cumulative_lost,
            b.fraction_lost
        ),
        (0, 0, 0)
    );
}
