//! NACK generation on its own: requests once per RTT, a limit of attempts, of age and of
//! missing packets (then a keyframe instead), the wrap, the packet size limit, and PLI rate
//! limiting.

mod support;

use std::time::Duration;

use rtc_media::nack::{KeyframeRequester, NackConfig, NackGenerator};
use rtc_media::rtcp::{Nack, RtcpPacket};

fn sequence_numbers(nack: &Nack<'_>) -> Vec<u16> {
    nack.sequence_numbers().collect()
}

#[test]
fn missing_packets_are_asked_for_once_per_rtt_until_they_come() {
    let start = support::origin();
    let mut nack = NackGenerator::new(1, 2, NackConfig::default());
    nack.set_rtt(Duration::from_millis(40));
    for seq in [65_530u16, 65_531, 2, 3] {
        nack.on_packet(start, seq);
    }
    // 65532..=65535, 0, 1: across the wrap, one entry.
    let want: Vec<u16> = vec![65_532, 65_533, 65_534, 65_535, 0, 1];
    let packet = nack.poll_nack(start).unwrap();
    assert_eq!(packet.pairs.len(), 1);
    assert_eq!(sequence_numbers(&packet), want);
    assert!(nack.poll_nack(start + Duration::from_millis(39)).is_none());
    assert_eq!(nack.poll_timeout(), Some(start + Duration::from_millis(40)));
    // Two of them come (one reordered, one retransmitted).
    nack.on_packet(start + Duration::from_millis(20), 65_533);
    nack.on_packet(start + Duration::from_millis(30), 0);
    let packet = nack.poll_nack(start + Duration::from_millis(40)).unwrap();
    assert_eq!(sequence_numbers(&packet), [65_532, 65_534, 65_535, 1]);
    assert_eq!(nack.stats().recovered, 2);
    assert_eq!(nack.missing(), 4);
    assert!(nack.is_missing(1) && !nack.is_missing(0));
    // Written and parsed back, the same request.
    let packet = nack.poll_nack(start + Duration::from_millis(80)).unwrap();
    let mut buf = [0u8; 64];
    let len = packet.emit(&mut buf).unwrap();
    match RtcpPacket::parse(&buf[..len]).unwrap() {
        RtcpPacket::Nack(back) => {
            assert_eq!((back.sender_ssrc, back.media_ssrc), (1, 2));
            assert_eq!(sequence_numbers(&back), [65_532, 65_534, 65_535, 1]);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_packet_is_given_up_after_max_attempts_and_a_keyframe_asked_for() {
    let start = support::origin();
    let config = NackConfig {
        max_attempts: 3,
        default_rtt: Duration::from_millis(10),
        ..NackConfig::default()
    };
    let mut nack = NackGenerator::new(1, 2, config);
    nack.on_packet(start, 10);
    nack.on_packet(start, 12);
    let mut sent = 0;
    for ms in 0..100 {
        if nack.poll_nack(start + Duration::from_millis(ms)).is_some() {
            sent += 1;
        }
    }
    assert_eq!(sent, 3);
    assert_eq!(nack.missing(), 0);
    assert_eq!(nack.stats().abandoned, 1);
    assert_eq!(nack.stats().requests, 3);
    assert!(nack.take_keyframe_request());
    assert!(!nack.take_keyframe_request());
    assert_eq!(nack.poll_timeout(), None);
}

#[test]
fn initial_delay_waits_for_reordered_packets() {
    let start = support::origin();
    let config = NackConfig {
        initial_delay: Duration::from_millis(15),
        ..NackConfig::default()
    };
    let mut nack = NackGenerator::new(1, 2, config);
    nack.on_packet(start, 1);
    nack.on_packet(start, 3);
    assert!(nack.poll_nack(start + Duration::from_millis(14)).is_none());
    assert_eq!(nack.poll_timeout(), Some(start + Duration::from_millis(15)));
    nack.on_packet(start + Duration::from_millis(10), 2);
    assert!(nack.poll_nack(start + Duration::from_millis(15)).is_none());
    assert_eq!(nack.stats().requests, 0);
}

#[test]
fn too_old_too_many_and_too_large_gaps_are_given_up() {
    let start = support::origin();
    let config = NackConfig {
        max_packet_age: 100,
        max_missing: 50,
        ..NackConfig::default()
    };
    let mut nack = NackGenerator::new(1, 2, config);
    nack.on_packet(start, 0);
    nack.on_packet(start, 30); // 29 missing
    nack.on_packet(start, 60); // 58 missing: over 50, the oldest 8 go
    assert_eq!(nack.missing(), 50);
    assert!(nack.take_keyframe_request());
    assert!(!nack.is_missing(8) && nack.is_missing(9));
    // 120 is 100 ahead of 20: older ones are too old now (and of the rest, only the newest
    // 50 stay).
    nack.on_packet(start, 120);
    assert!(!nack.is_missing(19));
    assert_eq!(nack.missing(), 50);
    assert!(nack.is_missing(119) && nack.is_missing(70) && !nack.is_missing(69));
    // A gap larger than the age limit: everything is given up for a keyframe.
    nack.on_packet(start, 300);
    assert_eq!(nack.missing(), 0);
    assert!(nack.take_keyframe_request());
    // And the sequence goes on from there.
    nack.on_packet(start, 302);
    assert!(nack.is_missing(301));
}

#[test]
fn discard_before_stops_requests_the_jitter_buffer_no_longer_wants() {
    let start = support::origin();
    let mut nack = NackGenerator::new(1, 2, NackConfig::default());
    nack.on_packet(start, 100);
    nack.on_packet(start, 110);
    nack.discard_before(105);
    let packet = nack.poll_nack(start).unwrap();
    assert_eq!(sequence_numbers(&packet), [105, 106, 107, 108, 109]);
}

#[test]
fn one_nack_packet_holds_at_most_250_entries() {
    let start = support::origin();
    let mut nack = NackGenerator::new(1, 2, NackConfig::default());
    // Every other packet lost: one entry covers 9 of them (PID and 8 bits of every 2).
    let mut seq = 0u16;
    nack.on_packet(start, seq);
    for _ in 0..2990 {
        seq += 2;
        nack.on_packet(start, seq);
    }
    assert_eq!(nack.missing(), 1000);
    let first = nack.poll_nack(start).unwrap();
    assert_eq!(first.pairs.len(), 112);
    let total: usize = first.sequence_numbers().count();
    assert_eq!(total, 1000);
    // Runs of 17 lost, one entry each (PID and 16 bits): 400 entries, over two packets.
    let config = NackConfig {
        max_missing: 10_000,
        ..NackConfig::default()
    };
    let mut nack = NackGenerator::new(1, 2, config);
    let mut seq = 0u16;
    nack.on_packet(start, seq);
    for _ in 0..400 {
        seq += 18;
        nack.on_packet(start, seq);
    }
    let mut counts = Vec::new();
    while let Some(p) = nack.poll_nack(start) {
        assert_eq!(p.encoded_len(), 12 + p.pairs.len() * 4);
        counts.push((p.pairs.len(), p.sequence_numbers().count()));
    }
    assert_eq!(counts, [(250, 250 * 17), (150, 150 * 17)]);
}

#[test]
fn pli_is_repeated_per_interval_until_a_keyframe() {
    let start = support::origin();
    let mut pli = KeyframeRequester::new(1, 2, Duration::from_millis(300));
    assert_eq!(pli.poll_timeout(), None);
    assert!(pli.poll_pli(start).is_none());
    pli.request(start + Duration::from_millis(10));
    assert_eq!(pli.poll_timeout(), Some(start + Duration::from_millis(10)));
    let mut times = Vec::new();
    for ms in 10..1000u64 {
        let now = start + Duration::from_millis(ms);
        if ms == 700 {
            pli.keyframe_received();
        }
        if pli.poll_pli(now).is_some() {
            times.push(ms);
        }
    }
    assert_eq!(times, [10, 310, 610]);
    assert_eq!(pli.sent(), 3);
    assert!(!pli.is_pending());
}
