//! The association on a virtual network: handshake, data, reliability, resets, shutdown.

#![allow(clippy::disallowed_methods)]

mod net;

use std::time::Duration;

use bytes::Bytes;
use net::{Link, Net};
use rtc_sctp::{CloseReason, Config, Event, Reliability, SendOptions, State};

const PPID_BINARY: u32 = 53;

/// `len` bytes that depend on `seed`, which the first four hold (when there is room).
fn pattern(seed: u32, len: usize) -> Bytes {
    let mut v: Vec<u8> = (0..len)
        .map(|i| (i as u32).wrapping_mul(31).wrapping_add(seed) as u8)
        .collect();
    if len >= 4 {
        v[..4].copy_from_slice(&seed.to_be_bytes());
    }
    v.into()
}

fn messages_of(events: &mut Vec<Event>) -> Vec<rtc_sctp::Message> {
    Net::take_messages(events)
}

#[test]
fn handshake_one_side_initiates() {
    let mut net = Net::pair(Link::PERFECT, 1);
    net.connect(false);
    assert_eq!(net.a_events, vec![Event::Connected]);
    assert_eq!(net.b_events, vec![Event::Connected]);
    assert_eq!(net.a.peer_tag(), net.b.local_tag());
    assert_eq!(net.b.peer_tag(), net.a.local_tag());
    assert!(net.a.peer_supports_partial_reliability() && net.a.peer_supports_stream_reset());
    assert!(net.b.peer_supports_partial_reliability() && net.b.peer_supports_stream_reset());
}

#[test]
fn handshake_both_initiate_at_once() {
    // What WebRTC peers do: both send INIT when DTLS is up (RFC 9260 §5.2.1, §5.2.4).
    for seed in 0..20 {
        let mut net = Net::pair(Link::PERFECT, seed);
        net.connect(true);
        assert_eq!(net.a.peer_tag(), net.b.local_tag(), "seed {seed}");
        assert_eq!(net.b.peer_tag(), net.a.local_tag(), "seed {seed}");
        let now = net.now;
        net.a
            .send(
                now,
                0,
                PPID_BINARY,
                pattern(1, 100),
                &SendOptions::default(),
            )
            .unwrap();
        net.b
            .send(
                now,
                1,
                PPID_BINARY,
                pattern(2, 100),
                &SendOptions::default(),
            )
            .unwrap();
        assert!(net.run_until(Duration::from_secs(5), |n| {
            n.a_events.iter().any(|e| matches!(e, Event::Message(_)))
                && n.b_events.iter().any(|e| matches!(e, Event::Message(_)))
        }));
        assert_eq!(
            net.a_events
                .iter()
                .filter(|e| **e == Event::Connected)
                .count(),
            1
        );
        assert_eq!(
            net.b_events
                .iter()
                .filter(|e| **e == Event::Connected)
                .count(),
            1
        );
    }
}

#[test]
fn handshake_survives_loss() {
    for seed in 0..10 {
        let link = Link {
            loss: 0.3,
            ..Link::PERFECT
        };
        let mut net = Net::pair(link, seed);
        net.connect(seed % 2 == 0);
    }
}

#[test]
fn handshake_times_out_without_a_peer() {
    let mut net = Net::pair(
        Link {
            loss: 1.0,
            ..Link::PERFECT
        },
        3,
    );
    let now = net.now;
    net.a.connect(now);
    net.run_until(Duration::from_secs(3600), |n| {
        n.a.state() == State::Terminated
    });
    assert_eq!(
        net.a_events,
        vec![Event::Closed(CloseReason::HandshakeTimeout)]
    );
}

#[test]
fn messages_both_ways_every_size_in_order() {
    let mut net = Net::pair(Link::PERFECT, 2);
    net.connect(true);
    let sizes = [
        1usize, 2, 3, 4, 5, 100, 1100, 1160, 1161, 1200, 2400, 10_000, 65_536, 262_144,
    ];
    let now = net.now;
    for (i, &len) in sizes.iter().enumerate() {
        net.a
            .send(
                now,
                3,
                PPID_BINARY,
                pattern(i as u32, len),
                &SendOptions::default(),
            )
            .unwrap();
        net.b
            .send(
                now,
                4,
                PPID_BINARY,
                pattern(100 + i as u32, len),
                &SendOptions::default(),
            )
            .unwrap();
    }
    let mut got_a = Vec::new();
    let mut got_b = Vec::new();
    assert!(net.run_until(Duration::from_secs(30), |n| {
        got_b.extend(messages_of(&mut n.b_events));
        got_a.extend(messages_of(&mut n.a_events));
        got_a.len() == sizes.len() && got_b.len() == sizes.len()
    }));
    for (i, &len) in sizes.iter().enumerate() {
        assert_eq!(got_b[i].data, pattern(i as u32, len));
        assert_eq!(got_b[i].stream, 3);
        assert_eq!(got_a[i].data, pattern(100 + i as u32, len));
    }
}

#[test]
fn too_large_and_invalid_stream_refused() {
    let mut net = Net::pair(Link::PERFECT, 2);
    let now = net.now;
    assert_eq!(
        net.a
            .send(now, 0, 0, pattern(0, 1), &SendOptions::default()),
        Err(rtc_sctp::SendError::NotEstablished)
    );
    let mut small = Config::new();
    small.inbound_streams = 4;
    let mut net = Net::new(Config::new(), small, Link::PERFECT, 3);
    net.connect(false);
    let now = net.now;
    assert!(matches!(
        net.a
            .send(now, 0, 0, pattern(0, 262_145), &SendOptions::default()),
        Err(rtc_sctp::SendError::TooLarge { .. })
    ));
    assert_eq!(
        net.a
            .send(now, 4, 0, pattern(0, 1), &SendOptions::default()),
        Err(rtc_sctp::SendError::InvalidStream)
    );
    net.a
        .send(now, 3, 0, pattern(0, 1), &SendOptions::default())
        .unwrap();
}

#[test]
fn unordered_messages_arrive_out_of_order_under_reordering() {
    let link = Link {
        reorder: 0.5,
        jitter: Duration::from_millis(30),
        ..Link::PERFECT
    };
    let mut net = Net::pair(link, 4);
    net.connect(false);
    let now = net.now;
    let options = SendOptions {
        unordered: true,
        ..SendOptions::default()
    };
    for i in 0..200u32 {
        net.a
            .send(
                now,
                1,
                PPID_BINARY,
                Bytes::from(i.to_be_bytes().to_vec()),
                &options,
            )
            .unwrap();
    }
    let mut got = Vec::new();
    assert!(net.run_until(Duration::from_secs(30), |n| {
        got.extend(messages_of(&mut n.b_events));
        got.len() == 200
    }));
    let order: Vec<u32> = got
        .iter()
        .map(|m| u32::from_be_bytes(m.data[..].try_into().unwrap()))
        .collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(sorted, (0..200).collect::<Vec<_>>());
    assert_ne!(
        order, sorted,
        "reordering should show with unordered delivery"
    );
    assert!(got.iter().all(|m| m.unordered));
}

#[test]
fn ordered_delivery_under_loss_reordering_duplication() {
    for seed in 0..4 {
        let mut net = Net::pair(Link::HOSTILE, seed);
        net.connect(true);
        let now = net.now;
        for i in 0..300u32 {
            let len = 1 + (i as usize * 977) % 5000;
            net.a
                .send(
                    now,
                    (i % 3) as u16,
                    PPID_BINARY,
                    pattern(i, len),
                    &SendOptions::default(),
                )
                .unwrap();
        }
        let mut got = Vec::new();
        assert!(
            net.run_until(Duration::from_secs(600), |n| {
                got.extend(messages_of(&mut n.b_events));
                got.len() == 300
            }),
            "seed {seed}: {} of 300, {:?}",
            got.len(),
            net.a.stats()
        );
        for stream in 0..3u16 {
            let per: Vec<_> = got.iter().filter(|m| m.stream == stream).collect();
            let expect: Vec<u32> = (0..300).filter(|i| i % 3 == u32::from(stream)).collect();
            assert_eq!(per.len(), expect.len());
            for (m, &i) in per.iter().zip(&expect) {
                assert_eq!(
                    m.data,
                    pattern(i, 1 + (i as usize * 977) % 5000),
                    "seed {seed} stream {stream} message {i}"
                );
            }
        }
        assert!(net.a.stats().duplicate_tsns + net.b.stats().duplicate_tsns > 0 || seed > 0);
    }
}

#[test]
fn max_retransmits_zero_gives_up_and_the_association_carries_on() {
    let link = Link {
        loss: 0.2,
        ..Link::PERFECT
    };
    let mut net = Net::pair(link, 5);
    net.connect(false);
    let now = net.now;
    let options = SendOptions {
        unordered: true,
        reliability: Reliability::MaxRetransmits(0),
    };
    for i in 0..500u32 {
        net.a
            .send(now, 2, PPID_BINARY, pattern(i, 300), &options)
            .unwrap();
    }
    net.run_until(Duration::from_secs(60), |n| n.a.buffered_total() == 0);
    assert_eq!(net.a.buffered_total(), 0, "{:?}", net.a.stats());
    let got = messages_of(&mut net.b_events);
    assert!(
        got.len() < 500 && got.len() > 300,
        "{} delivered",
        got.len()
    );
    // Reliable traffic still flows afterwards.
    let now = net.now;
    for i in 0..50u32 {
        net.a
            .send(
                now,
                2,
                PPID_BINARY,
                pattern(i, 300),
                &SendOptions::default(),
            )
            .unwrap();
    }
    let mut got = Vec::new();
    assert!(net.run_until(Duration::from_secs(60), |n| {
        got.extend(messages_of(&mut n.b_events));
        got.len() == 50
    }));
}

#[test]
fn ordered_partial_reliability_skips_with_forward_tsn() {
    let link = Link {
        loss: 0.2,
        ..Link::PERFECT
    };
    let mut net = Net::pair(link, 6);
    net.connect(false);
    let now = net.now;
    let options = SendOptions {
        unordered: false,
        reliability: Reliability::MaxRetransmits(1),
    };
    for i in 0..400u32 {
        net.a
            .send(now, 7, PPID_BINARY, pattern(i, 2000), &options)
            .unwrap();
    }
    net.run_until(Duration::from_secs(120), |n| n.a.buffered_total() == 0);
    assert_eq!(net.a.buffered_total(), 0, "{:?}", net.a.stats());
    net.run_until(Duration::from_secs(5), |_| false);
    let got = messages_of(&mut net.b_events);
    assert!(got.len() < 400, "some given up");
    assert!(got.len() > 300, "{} delivered", got.len());
    // In order, each intact: the index is recoverable from the pattern's first byte.
    let mut last = None;
    for m in &got {
        let i = u32::from_be_bytes(m.data[..4].try_into().unwrap());
        assert_eq!(m.data, pattern(i, 2000), "intact");
        assert!(last.is_none_or(|l| i > l), "out of order");
        last = Some(i);
    }
}

#[test]
fn max_lifetime_expires_queued_and_sent_messages() {
    let link = Link {
        loss: 0.5,
        delay: Duration::from_millis(50),
        ..Link::PERFECT
    };
    let mut net = Net::pair(Link::PERFECT, 7);
    net.connect(false);
    net.a_to_b = link;
    let now = net.now;
    let options = SendOptions {
        unordered: false,
        reliability: Reliability::MaxLifetime(Duration::from_millis(300)),
    };
    for i in 0..200u32 {
        net.a
            .send(now, 0, PPID_BINARY, pattern(i, 1000), &options)
            .unwrap();
    }
    net.run_until(Duration::from_secs(30), |n| n.a.buffered_total() == 0);
    assert_eq!(net.a.buffered_total(), 0);
    let got = messages_of(&mut net.b_events);
    assert!(got.len() < 200, "{} delivered", got.len());
    net.a_to_b = Link::PERFECT;
    let now = net.now;
    net.a
        .send(
            now,
            0,
            PPID_BINARY,
            pattern(9999, 10),
            &SendOptions::default(),
        )
        .unwrap();
    let mut more = Vec::new();
    assert!(net.run_until(Duration::from_secs(10), |n| {
        more.extend(messages_of(&mut n.b_events));
        more.iter().any(|m| m.data == pattern(9999, 10))
    }));
}

#[test]
fn stream_reset_closes_both_directions_and_ssns_restart() {
    let mut net = Net::pair(Link::PERFECT, 8);
    net.connect(true);
    let now = net.now;
    for i in 0..5u32 {
        net.a
            .send(
                now,
                10,
                PPID_BINARY,
                pattern(i, 50),
                &SendOptions::default(),
            )
            .unwrap();
    }
    net.a.reset_streams(&[10]).unwrap();
    assert_eq!(
        net.a
            .send(now, 10, PPID_BINARY, pattern(0, 1), &SendOptions::default()),
        Err(rtc_sctp::SendError::StreamResetting)
    );
    assert!(net.run_until(Duration::from_secs(5), |n| {
        n.a_events.contains(&Event::OutgoingStreamsReset(vec![10]))
            && n.b_events.contains(&Event::IncomingStreamsReset(vec![10]))
    }));
    // Every message before the reset arrived before the reset event.
    let idx = net
        .b_events
        .iter()
        .position(|e| *e == Event::IncomingStreamsReset(vec![10]))
        .unwrap();
    assert_eq!(
        net.b_events[..idx]
            .iter()
            .filter(|e| matches!(e, Event::Message(_)))
            .count(),
        5
    );
    // B closes its side; then the stream is reused from SSN 0.
    net.b.reset_streams(&[10]).unwrap();
    assert!(net.run_until(Duration::from_secs(5), |n| {
        n.a_events.contains(&Event::IncomingStreamsReset(vec![10]))
    }));
    net.a_events.clear();
    net.b_events.clear();
    let now = net.now;
    net.a
        .send(
            now,
            10,
            PPID_BINARY,
            pattern(77, 10),
            &SendOptions::default(),
        )
        .unwrap();
    let mut got = Vec::new();
    assert!(net.run_until(Duration::from_secs(5), |n| {
        got.extend(messages_of(&mut n.b_events));
        !got.is_empty()
    }));
    assert_eq!(got[0].data, pattern(77, 10));
}

#[test]
fn stream_reset_under_loss_is_deferred_until_data_arrives() {
    for seed in 0..6 {
        let mut net = Net::pair(Link::HOSTILE, seed);
        net.connect(false);
        let now = net.now;
        for i in 0..60u32 {
            net.a
                .send(
                    now,
                    2,
                    PPID_BINARY,
                    pattern(i, 3000),
                    &SendOptions::default(),
                )
                .unwrap();
        }
        net.a.reset_streams(&[2]).unwrap();
        let mut got = Vec::new();
        assert!(
            net.run_until(Duration::from_secs(120), |n| {
                got.extend(messages_of(&mut n.b_events));
                n.a_events.contains(&Event::OutgoingStreamsReset(vec![2]))
                    && n.b_events.contains(&Event::IncomingStreamsReset(vec![2]))
            }),
            "seed {seed}"
        );
        assert_eq!(
            got.len(),
            60,
            "seed {seed}: everything before the reset is delivered first"
        );
    }
}

#[test]
fn graceful_shutdown_delivers_everything_first() {
    let mut net = Net::pair(Link::HOSTILE, 9);
    net.connect(false);
    let now = net.now;
    for i in 0..100u32 {
        net.a
            .send(
                now,
                0,
                PPID_BINARY,
                pattern(i, 1500),
                &SendOptions::default(),
            )
            .unwrap();
    }
    net.a.shutdown(now);
    assert_eq!(
        net.a
            .send(now, 0, 0, pattern(0, 1), &SendOptions::default()),
        Err(rtc_sctp::SendError::NotEstablished)
    );
    let mut got = Vec::new();
    assert!(
        net.run_until(Duration::from_secs(300), |n| {
            got.extend(messages_of(&mut n.b_events));
            n.a.state() == State::Terminated && n.b.state() == State::Terminated
        }),
        "{:?} {:?}",
        net.a.state(),
        net.b.state()
    );
    assert_eq!(got.len(), 100);
    assert!(net.a_events.contains(&Event::Closed(CloseReason::Shutdown)));
    assert!(net.b_events.contains(&Event::Closed(CloseReason::Shutdown)));
    assert_eq!(net.a.poll_timeout(), None);
}

#[test]
fn abort_reaches_the_peer() {
    let mut net = Net::pair(Link::PERFECT, 10);
    net.connect(false);
    net.a.abort(b"bye");
    assert!(net.run_until(Duration::from_secs(1), |n| n.b.state() == State::Terminated));
    assert_eq!(
        net.a_events.last(),
        Some(&Event::Closed(CloseReason::LocalAbort))
    );
    assert!(matches!(
        net.b_events.last(),
        Some(Event::Closed(CloseReason::PeerAbort(_)))
    ));
}

#[test]
fn unreachable_peer_is_detected() {
    let mut net = Net::pair(Link::PERFECT, 11);
    net.connect(false);
    net.a_to_b = Link {
        loss: 1.0,
        ..Link::PERFECT
    };
    net.b_to_a = net.a_to_b;
    let now = net.now;
    net.a
        .send(now, 0, 0, pattern(0, 10), &SendOptions::default())
        .unwrap();
    assert!(net.run_until(Duration::from_secs(3600), |n| n.a.state()
        == State::Terminated));
    assert_eq!(
        net.a_events.last(),
        Some(&Event::Closed(CloseReason::PeerUnreachable))
    );
    // B, idle, finds out through its heartbeats.
    assert!(net.run_until(Duration::from_secs(3600), |n| n.b.state()
        == State::Terminated));
    assert_eq!(
        net.b_events.last(),
        Some(&Event::Closed(CloseReason::PeerUnreachable))
    );
}

#[test]
fn buffered_amount_and_low_threshold() {
    let mut net = Net::pair(Link::PERFECT, 12);
    net.connect(false);
    net.a.set_buffered_amount_low_threshold(5, 10_000);
    let now = net.now;
    for i in 0..100u32 {
        net.a
            .send(
                now,
                5,
                PPID_BINARY,
                pattern(i, 1000),
                &SendOptions::default(),
            )
            .unwrap();
    }
    assert_eq!(net.a.buffered_amount(5), 100_000);
    assert!(net.run_until(Duration::from_secs(10), |n| {
        n.a_events.contains(&Event::BufferedAmountLow(5))
    }));
    assert!(net.a.buffered_amount(5) <= 10_000);
    assert_eq!(
        net.a_events
            .iter()
            .filter(|e| **e == Event::BufferedAmountLow(5))
            .count(),
        1
    );
}

#[test]
fn send_buffer_back_pressure() {
    let mut config = Config::new();
    config.send_buffer = 100_000;
    let mut net = Net::new(config, Config::new(), Link::PERFECT, 13);
    net.connect(false);
    let now = net.now;
    let mut accepted = 0;
    while net
        .a
        .send(now, 0, 0, pattern(0, 10_000), &SendOptions::default())
        .is_ok()
    {
        accepted += 1;
    }
    assert_eq!(accepted, 10);
    assert_eq!(
        net.a
            .send(now, 0, 0, pattern(0, 10_000), &SendOptions::default()),
        Err(rtc_sctp::SendError::BufferFull)
    );
    assert!(net.run_until(Duration::from_secs(10), |n| n.a.buffered_total() == 0));
}

#[test]
fn receiver_window_holds_back_a_fast_sender() {
    let mut small = Config::new();
    small.receive_window = 64 * 1024;
    let mut net = Net::new(Config::new(), small, Link::PERFECT, 14);
    net.connect(false);
    let now = net.now;
    for i in 0..40u32 {
        net.a
            .send(
                now,
                0,
                PPID_BINARY,
                pattern(i, 16 * 1024),
                &SendOptions::default(),
            )
            .unwrap();
    }
    // B's application does not read: B's buffer may not grow past its window (plus a
    // packet or so of slack).
    net.read_b = false;
    net.run_until(Duration::from_secs(5), |_| false);
    let held = net.b.stats().receive_buffered;
    assert!(held <= 64 * 1024 + 1200, "{held} bytes held");
    assert!(held >= 48 * 1024, "{held} bytes held");
    // Reading reopens the window and everything arrives.
    net.read_b = true;
    let mut got = Vec::new();
    assert!(net.run_until(Duration::from_secs(60), |n| {
        got.extend(messages_of(&mut n.b_events));
        got.len() == 40
    }));
}

#[test]
fn zero_checksum_is_negotiated_and_used_only_for_data_packets() {
    // RFC 9653: both announce it by default (SCTP over DTLS); then SACK and DATA packets go
    // with a zero checksum, the handshake and control packets with a CRC32c.
    let mut net = Net::pair(Link::PERFECT, 15);
    let seen = std::rc::Rc::new(std::cell::RefCell::new((0u32, 0u32)));
    let s = seen.clone();
    net.tamper = Some(Box::new(move |_, p: &mut Vec<u8>, _| {
        let zero = p[8..12] == [0, 0, 0, 0];
        let mut seen = s.borrow_mut();
        // (zero-checksum packets, zero-checksum packets holding INIT/INIT ACK/COOKIE ECHO)
        if zero {
            seen.0 += 1;
            if matches!(p[12], 1 | 2 | 10) {
                seen.1 += 1;
            }
        }
    }));
    net.connect(true);
    assert!(net.a.uses_zero_checksum() && net.b.uses_zero_checksum());
    let now = net.now;
    net.a
        .send(
            now,
            0,
            PPID_BINARY,
            pattern(1, 50_000),
            &SendOptions::default(),
        )
        .unwrap();
    let mut got = Vec::new();
    assert!(net.run_until(Duration::from_secs(5), |n| {
        got.extend(messages_of(&mut n.b_events));
        !got.is_empty()
    }));
    assert_eq!(got[0].data, pattern(1, 50_000));
    let (zero, handshake_zero) = *seen.borrow();
    assert!(zero > 10, "{zero} packets with a zero checksum");
    assert_eq!(handshake_zero, 0);
    // Turned off on one side: nobody leaves the checksum out.
    let mut off = Config::new();
    off.zero_checksum = false;
    let mut net = Net::new(Config::new(), off, Link::PERFECT, 16);
    net.connect(true);
    assert!(!net.a.uses_zero_checksum() && !net.b.uses_zero_checksum());
}
