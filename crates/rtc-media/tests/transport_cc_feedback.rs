//! Transport-wide CC feedback round trip: the receiver records arrivals, its feedback packets
//! are written, parsed back and matched by the sender to what it sent; every arrival comes
//! back (to the 250 µs tick), every loss is reported, across sequence number wraps, gaps
//! longer than a 16-bit delta, reordering and the size limit.

mod support;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use rtc_media::rtcp::RtcpPacket;
use rtc_media::transport_cc::{PacketFeedback, TwccReceiver, TwccSender};
use support::Rng;

/// Sends `packets` (transport sequence number, send offset, arrival offset or lost), polling
/// the receiver whenever it says so; every feedback goes through bytes. Returns what the
/// sender learnt, by extended sequence number, and the feedback packets' sizes.
fn round_trip(
    start: Instant,
    packets: &[(u16, Duration, Option<Duration>)],
    max_len: Option<usize>,
    interval: Option<Duration>,
) -> (
    BTreeMap<u64, PacketFeedback>,
    Vec<usize>,
    TwccReceiver,
    TwccSender,
) {
    let mut sender = TwccSender::new();
    let mut receiver = TwccReceiver::new(0xFEED, 0x1234);
    if let Some(len) = max_len {
        receiver.set_max_packet_len(len);
    }
    if let Some(interval) = interval {
        receiver.set_interval(interval);
    }
    let mut events: Vec<(Duration, usize)> = Vec::new();
    for &(seq, sent, _) in packets {
        sender.on_sent(start + sent, seq, 1000 + usize::from(seq % 100));
    }
    for (i, (_, _, arrival)) in packets.iter().enumerate() {
        if let Some(at) = arrival {
            events.push((*at, i));
        }
    }
    events.sort();
    let mut learnt = BTreeMap::new();
    let mut sizes = Vec::new();
    let mut buf = vec![0u8; 70_000];
    let mut poll = |receiver: &mut TwccReceiver, sender: &mut TwccSender, now: Instant| {
        while let Some(feedback) = receiver.poll_feedback(now) {
            let len = feedback.emit(&mut buf).unwrap();
            assert_eq!(len, feedback.encoded_len());
            sizes.push(len);
            let RtcpPacket::TransportCc(parsed) = RtcpPacket::parse(&buf[..len]).unwrap() else {
                panic!("not transport-cc");
            };
            assert_eq!((parsed.sender_ssrc, parsed.media_ssrc), (0xFEED, 0x1234));
            for r in sender.handle_feedback(&parsed) {
                assert!(
                    learnt.insert(r.sequence_number, *r).is_none(),
                    "reported twice"
                );
            }
        }
    };
    for (at, i) in events {
        let now = start + at;
        while let Some(due) = receiver.poll_timeout().filter(|&d| d < now) {
            poll(&mut receiver, &mut sender, due);
        }
        receiver.record(now, packets[i].0);
    }
    while let Some(due) = receiver.poll_timeout() {
        poll(&mut receiver, &mut sender, due);
    }
    (learnt, sizes, receiver, sender)
}

/// Checks that what the sender learnt is what happened: arrivals to the 250 µs tick (on the
/// receiver's clock, which starts at its first arrival), losses as losses. Returns how many
/// packets were reported lost but did arrive (after the report).
fn check(
    packets: &[(u16, Duration, Option<Duration>)],
    learnt: &BTreeMap<u64, PacketFeedback>,
    start: Instant,
) -> u64 {
    let mut arrived_after_report = 0;
    let first_arrival = packets.iter().filter_map(|p| p.2).min().unwrap();
    let learnt: Vec<&PacketFeedback> = learnt.values().collect();
    // Extended numbers are consecutive from the first reported.
    for w in learnt.windows(2) {
        assert_eq!(w[1].sequence_number, w[0].sequence_number + 1);
    }
    let first = learnt[0].sequence_number;
    let base = packets
        .iter()
        .position(|p| p.0 == learnt[0].sequence_number as u16)
        .unwrap();
    for (k, r) in learnt.iter().enumerate() {
        let (seq, sent, arrival) = packets[base + k];
        assert_eq!(r.sequence_number, first + k as u64);
        assert_eq!(r.sequence_number as u16, seq);
        assert_eq!(r.sent_at, start + sent);
        assert_eq!(r.size, 1000 + usize::from(seq % 100));
        let want = arrival.map(|a| ((a - first_arrival).as_micros() as i64 / 250) * 250);
        if r.arrival_micros.is_none() && want.is_some() {
            arrived_after_report += 1;
        } else {
            assert_eq!(r.arrival_micros, want, "sequence number {seq}");
        }
    }
    arrived_after_report
}

#[test]
fn arrivals_and_losses_come_back_to_the_sender() {
    let start = support::origin();
    let mut rng = Rng::new(17);
    // 3000 packets, 2 ms apart, across the wrap; 5% lost; 10-40 ms of delay (reordering).
    let packets: Vec<_> = (0..3000u32)
        .map(|i| {
            let sent = Duration::from_millis(u64::from(i) * 2);
            let arrival = (!rng.chance(0.05))
                .then(|| sent + Duration::from_micros(10_000 + rng.below(30_000)));
            ((64_000 + i) as u16, sent, arrival)
        })
        .collect();
    let (learnt, sizes, receiver, sender) = round_trip(start, &packets, None, None);
    // Everything up to the last packet received is reported once.
    let last_received = packets.iter().rposition(|p| p.2.is_some()).unwrap();
    let first_received = packets.iter().position(|p| p.2.is_some()).unwrap();
    assert_eq!(learnt.len(), last_received - first_received + 1);
    // Reordered packets that arrive after their number was reported lost are counted late;
    // every other arrival comes back exactly.
    let late = check(&packets, &learnt, start);
    assert_eq!(late, receiver.stats().late);
    // About one feedback per 100 ms, none over the limit.
    assert!(
        (55..=70).contains(&sizes.len()),
        "{} feedbacks",
        sizes.len()
    );
    assert!(sizes.iter().all(|&s| s <= 1200));
    assert_eq!(receiver.stats().feedbacks, sizes.len() as u64);
    assert_eq!(sender.stats().feedbacks_lost, 0);
    assert_eq!(sender.stats().unknown, 0);
    let lost_reported = learnt
        .values()
        .filter(|r| r.arrival_micros.is_none())
        .count() as u64;
    let lost_really = packets[..=last_received]
        .iter()
        .filter(|p| p.2.is_none())
        .count() as u64;
    assert_eq!(lost_reported, lost_really + late);
    assert!(lost_really > 100);
}

#[test]
fn gaps_longer_than_a_delta_and_bursts_over_the_size_limit_split_feedback() {
    let start = support::origin();
    let mut packets = Vec::new();
    // A burst of 2000 packets in 10 ms, then 20 s of silence, then 3 more.
    for i in 0..2000u16 {
        let t = Duration::from_micros(u64::from(i) * 5);
        packets.push((i, t, Some(t + Duration::from_millis(20))));
    }
    for i in 2000..2003u16 {
        let t = Duration::from_secs(20) + Duration::from_millis(u64::from(i - 2000));
        packets.push((i, t, Some(t + Duration::from_millis(20))));
    }
    // One report for all: the 20 s gap does not fit a delta, the burst not one packet.
    let (learnt, sizes, receiver, _) =
        round_trip(start, &packets, Some(300), Some(Duration::from_secs(60)));
    assert_eq!(learnt.len(), 2003);
    assert_eq!(check(&packets, &learnt, start), 0);
    assert!(sizes.iter().all(|&s| s <= 300), "{sizes:?}");
    // 2000 packets at one byte of delta each, over 250-odd bytes per feedback.
    assert!(sizes.len() >= 2000 / 280, "{} feedbacks", sizes.len());
    assert_eq!(receiver.stats().duplicates, 0);
}

#[test]
fn duplicates_late_packets_and_lost_feedback_are_counted() {
    let start = support::origin();
    let mut receiver = TwccReceiver::new(1, 2);
    let mut sender = TwccSender::new();
    for seq in 0..10u16 {
        sender.on_sent(start, seq, 100);
    }
    // 5 arrives before 3 and 4 (reordered before the first feedback): fine.
    receiver.record(start, 5);
    receiver.record(start, 3);
    receiver.record(start, 3);
    receiver.record(start, 4);
    assert_eq!(receiver.stats().duplicates, 1);
    let at = start + Duration::from_millis(100);
    let first = receiver.poll_feedback(at).unwrap();
    assert_eq!(first.base_sequence_number, 3);
    assert_eq!(first.feedback_packet_count, 0);
    let arrivals: Vec<_> = first.arrivals().map(|(s, a)| (s, a.is_some())).collect();
    assert_eq!(arrivals, [(3, true), (4, true), (5, true)]);
    let mut first_bytes = vec![0u8; first.encoded_len()];
    first.emit(&mut first_bytes).unwrap();
    // Nothing new: no feedback.
    assert!(
        receiver
            .poll_feedback(at + Duration::from_millis(200))
            .is_none()
    );
    assert_eq!(receiver.poll_timeout(), None);
    // 2 comes after its number range was reported: late.
    receiver.record(at, 2);
    assert_eq!(receiver.stats().late, 1);
    // Feedback 1 is lost; the sender sees the gap in the count at feedback 2.
    receiver.record(at, 6);
    let _lost = receiver
        .poll_feedback(at + Duration::from_millis(100))
        .unwrap();
    receiver.record(at + Duration::from_millis(150), 8);
    let due = receiver.poll_timeout().unwrap();
    assert_eq!(due, at + Duration::from_millis(200));
    let third = receiver.poll_feedback(due).unwrap();
    assert_eq!(third.feedback_packet_count, 2);
    let mut bytes = vec![0u8; third.encoded_len()];
    third.emit(&mut bytes).unwrap();
    let RtcpPacket::TransportCc(third) = RtcpPacket::parse(&bytes).unwrap() else {
        panic!()
    };
    let RtcpPacket::TransportCc(first) = RtcpPacket::parse(&first_bytes).unwrap() else {
        panic!()
    };
    assert_eq!(sender.handle_feedback(&first).len(), 3);
    let results = sender.handle_feedback(&third).to_vec();
    assert_eq!(sender.stats().feedbacks_lost, 1);
    let seqs: Vec<_> = results
        .iter()
        .map(|r| (r.sequence_number as u16, r.arrival_micros.is_some()))
        .collect();
    assert_eq!(seqs, [(7, false), (8, true)]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn any_arrivals_round_trip(
        first in any::<u16>(),
        gaps in proptest::collection::vec((0u64..3_000_000, proptest::option::weighted(0.8, 0u64..200_000)), 1..400),
    ) {
        let start = support::origin();
        let mut sent = Duration::ZERO;
        let packets: Vec<_> = gaps
            .iter()
            .enumerate()
            .map(|(i, &(gap, delay))| {
                sent += Duration::from_micros(gap);
                (first.wrapping_add(i as u16), sent, delay.map(|d| sent + Duration::from_micros(d)))
            })
            .collect();
        prop_assume!(packets.iter().any(|p| p.2.is_some()));
        let (learnt, sizes, receiver, _) = round_trip(start, &packets, None, None);
        prop_assert!(sizes.iter().all(|&s| s <= 1200));
        // With delays up to 200 ms, packets may arrive after their number was reported lost;
        // everything else comes back exactly.
        let late = check(&packets, &learnt, start);
        let last = packets.iter().rposition(|p| p.2.is_some()).unwrap();
        let first_reported = learnt.values().next().unwrap().sequence_number as u16;
        let from = packets.iter().position(|p| p.0 == first_reported).unwrap();
        // A packet numbered before the first one reported arrived after that report (had it
        // come before, the report would have started at it): late too, though outside what
        // the sender learnt.
        let before = packets[..from].iter().filter(|p| p.2.is_some()).count() as u64;
        prop_assert_eq!(late + before, receiver.stats().late);
        prop_assert_eq!(learnt.len(), last - from + 1);
    }
}
