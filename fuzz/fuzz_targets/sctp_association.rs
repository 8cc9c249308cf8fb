#![no_main]
//! Arbitrary SCTP packets into associations: a fresh one (waiting for an INIT), one that has
//! sent its INIT, and an established one with data in both directions. Each input is a
//! selector byte, then packets behind 2-byte lengths, with time advancing between them. The
//! packets get the association's ports and verification tag and a correct CRC32c (unless
//! the selector says otherwise), so they reach the chunk handlers. Nothing may panic; the
//! association keeps working or ends with an event.
use std::sync::Arc;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtc_sctp::{Association, Config, SendOptions, State};

fn pump(a: &mut Association, b: &mut Association, now: Instant) {
    let mut buf = vec![0u8; 2048];
    for _ in 0..8 {
        while let Some(n) = a.poll_transmit(now, &mut buf) {
            b.handle_packet(now, &buf[..n]);
        }
        while let Some(n) = b.poll_transmit(now, &mut buf) {
            a.handle_packet(now, &buf[..n]);
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, mut rest)) = data.split_first() else {
        return;
    };
    let now = Instant::now();
    let config = Arc::new(Config::new());
    let mut peer = Association::new(config.clone(), now);
    let mut target = Association::new(config, now);
    match selector % 3 {
        0 => {}
        1 => target.connect(now),
        _ => {
            peer.connect(now);
            pump(&mut peer, &mut target, now);
            assert_eq!(target.state(), State::Established);
            let _ = peer.send(now, 1, 53, vec![1u8; 3000], &SendOptions::default());
            let _ = target.send(now, 2, 51, vec![2u8; 100], &SendOptions::default());
        }
    }
    let tag = if selector % 3 == 0 {
        0
    } else {
        target.local_tag()
    };
    let fix_header = selector & 0x80 == 0;
    let mut t = now;
    let mut buf = vec![0u8; 2048];
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]])).min(rest.len() - 2);
        let mut packet = rest[2..2 + len].to_vec();
        rest = &rest[2 + len..];
        if fix_header && packet.len() >= 12 {
            packet[0..2].copy_from_slice(&5000u16.to_be_bytes());
            packet[2..4].copy_from_slice(&5000u16.to_be_bytes());
            // Keep a zero tag for INITs; give everything else the target's tag.
            if packet.get(12) != Some(&1) {
                packet[4..8].copy_from_slice(&tag.to_be_bytes());
            }
            rtc_sctp::write_checksum(&mut packet);
        }
        target.handle_packet(t, &packet);
        while target.poll_transmit(t, &mut buf).is_some() {}
        while target.poll_event().is_some() {}
        t += Duration::from_millis(u64::from(len as u8) * 10);
        if target.poll_timeout().is_some_and(|d| d <= t) {
            target.handle_timeout(t);
        }
    }
    let _ = target.stats();
});
