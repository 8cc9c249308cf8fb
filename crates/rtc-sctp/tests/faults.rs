//! Faults on the virtual network (issue 6): 100 MB reliable and ordered through 10% loss,
//! reordering, duplication and a 50 ms RTT; malformed packets and chunks dropped without
//! harm.

#![allow(clippy::disallowed_methods)]

mod net;

use std::time::Duration;

use bytes::Bytes;
use net::{Link, Net};
use rtc_sctp::{Event, SendOptions, State};

/// Message `index`: 16 KiB whose bytes follow from the index (so order and content are
/// checked without keeping copies).
fn message(index: u64, len: usize) -> Bytes {
    let mut v = vec![0u8; len];
    let mut x = index.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    for chunk in v.chunks_mut(8) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let b = x.to_le_bytes();
        chunk.copy_from_slice(&b[..chunk.len()]);
    }
    v.into()
}

#[test]
fn hundred_megabytes_reliable_ordered_through_a_hostile_network() {
    const TOTAL: u64 = 100 * 1024 * 1024;
    const SIZE: usize = 16 * 1024;
    let mut net = Net::pair(Link::HOSTILE, 42);
    net.connect(true);
    let count = TOTAL / SIZE as u64;
    let start = net.now;
    let mut sent = 0u64;
    let mut received = 0u64;
    let mut bytes = 0u64;
    let ok = net.run_until(Duration::from_secs(24 * 3600), |n| {
        // Keep about 2 MiB queued, like an application watching bufferedAmount.
        while sent < count && n.a.buffered_total() < 2 * 1024 * 1024 {
            let now = n.now;
            n.a.send(now, 1, 53, message(sent, SIZE), &SendOptions::default())
                .expect("queue has room");
            sent += 1;
        }
        for e in n.b_events.drain(..) {
            if let Event::Message(m) = e {
                assert_eq!(
                    m.data,
                    message(received, SIZE),
                    "message {received} intact and in order"
                );
                received += 1;
                bytes += m.data.len() as u64;
            }
        }
        received == count
    });
    let stats = net.a.stats();
    eprintln!(
        "100 MB in {:?} of virtual time, {} packets; sender {stats:?}",
        net.now - start,
        net.packets
    );
    assert!(ok, "{received} of {count} messages; sender {stats:?}");
    assert_eq!(bytes, TOTAL);
    assert!(stats.fast_retransmits > 0);
    assert_eq!(net.a.state(), State::Established);
    assert_eq!(net.b.state(), State::Established);
}

#[test]
fn malformed_packets_and_chunks_are_dropped_and_the_association_survives() {
    // Bit flips are caught by the CRC32c: without DTLS underneath, no zero checksum.
    let mut config = rtc_sctp::Config::new();
    config.zero_checksum = false;
    let mut net = Net::new(config.clone(), config, Link::PERFECT, 7);
    net.connect(false);
    // From now on, one packet in five towards B is damaged in one of several ways.
    net.tamper = Some(Box::new(|to_b, packet: &mut Vec<u8>, rng| {
        if !to_b || !rng.chance(0.2) {
            return;
        }
        match rng.below(6) {
            // A flipped bit: the CRC32c catches it.
            0 => {
                let i = rng.below(packet.len() as u64) as usize;
                packet[i] ^= 1 << rng.below(8);
            }
            // Truncated.
            1 => packet.truncate(12 + rng.below(packet.len() as u64 - 12) as usize),
            // A chunk length beyond the packet, checksum fixed so it gets past the CRC.
            2 if packet.len() > 16 => {
                packet[14] = 0xff;
                packet[15] = 0xf0;
                rtc_sctp::write_checksum(packet);
            }
            // Garbage chunk value with a valid checksum.
            3 if packet.len() > 20 => {
                for b in &mut packet[16..] {
                    *b = rng.next() as u8;
                }
                rtc_sctp::write_checksum(packet);
            }
            // Wrong verification tag.
            4 => {
                packet[4] ^= 0x55;
                rtc_sctp::write_checksum(packet);
            }
            // An unknown chunk type asking to be skipped and reported, appended.
            _ => {
                packet.extend_from_slice(&[0xc5, 0, 0, 5, 0xaa, 0, 0, 0]);
                rtc_sctp::write_checksum(packet);
            }
        }
    }));
    let now = net.now;
    for i in 0..300u64 {
        net.a
            .send(
                now,
                0,
                53,
                message(i, 1 + (i as usize * 131) % 4000),
                &SendOptions::default(),
            )
            .unwrap();
    }
    let mut got = 0u64;
    let ok = net.run_until(Duration::from_secs(600), |n| {
        for e in n.b_events.drain(..) {
            if let Event::Message(m) = e {
                assert_eq!(m.data, message(got, 1 + (got as usize * 131) % 4000));
                got += 1;
            }
        }
        got == 300
    });
    assert!(ok, "{got} of 300; {:?}", net.b.stats());
    assert!(net.b.stats().packets_dropped > 10, "{:?}", net.b.stats());
    assert_eq!(net.a.state(), State::Established);
    assert_eq!(net.b.state(), State::Established);
}

#[test]
fn random_packets_never_panic_an_association() {
    // Arbitrary bytes with a valid checksum and the right ports and tag reach the chunk
    // handlers; none of it may panic or wedge the association.
    let mut net = Net::pair(Link::PERFECT, 9);
    net.connect(false);
    let tag = net.b.local_tag();
    let mut rng = net::Rng::new(99);
    for _ in 0..20_000 {
        let len = 16 + rng.below(200) as usize;
        let mut p: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        p[0..2].copy_from_slice(&5000u16.to_be_bytes());
        p[2..4].copy_from_slice(&5000u16.to_be_bytes());
        p[4..8].copy_from_slice(&tag.to_be_bytes());
        // A known chunk type most of the time, with a length that fits.
        let types = [0u8, 3, 4, 5, 6, 7, 8, 9, 10, 11, 14, 130, 192, 64, 194, 132];
        p[12] = types[rng.below(types.len() as u64) as usize];
        let clen = 4 + rng.below((len - 12 - 4) as u64 + 1) as u16;
        p[14..16].copy_from_slice(&clen.to_be_bytes());
        p.truncate(12 + ((usize::from(clen) + 3) & !3).min(len - 12));
        rtc_sctp::write_checksum(&mut p);
        let now = net.now;
        net.b.handle_packet(now, &p);
        if net.b.state() == State::Terminated {
            // An ABORT-like chunk may legitimately end it: start over.
            net = Net::pair(Link::PERFECT, rng.next());
            net.connect(false);
        }
        net.step();
    }
}
