//! What the network can do to a connection: fragments out of order, duplicated records,
//! records of a stale or unknown epoch, replays, garbage. None of it may panic or break the
//! connection; each is dropped with a typed, non-fatal error.

#![allow(clippy::disallowed_methods)] // `Instant::now()` only picks the origin of virtual time

mod support;

use std::time::Duration;

use rtc_dtls::message::{ContentType, Record};
use rtc_dtls::{Error, Event, State};
use support::{Link, Pair, Rng, config};

fn drain(conn: &mut rtc_dtls::Connection) -> Vec<Vec<u8>> {
    std::iter::from_fn(|| conn.poll_transmit()).collect()
}

fn small_mtu_pair() -> Pair {
    let provider = rtc_crypto::default_provider();
    let (mut c, _) = config(provider);
    let (mut s, _) = config(provider);
    c.mtu = 256;
    s.mtu = 256;
    Pair::new(c, s)
}

#[test]
fn flights_delivered_in_reverse_order() {
    let mut pair = small_mtu_pair();
    let now = pair.now;
    for _ in 0..4 {
        let mut to_server = drain(&mut pair.client);
        to_server.reverse();
        for d in &to_server {
            let _ = pair.server.handle_datagram(now, d);
        }
        let mut to_client = drain(&mut pair.server);
        to_client.reverse();
        for d in &to_client {
            let _ = pair.client.handle_datagram(now, d);
        }
    }
    assert!(pair.client.is_connected(), "{:?}", pair.client.state());
    assert!(pair.server.is_connected(), "{:?}", pair.server.state());
}

#[test]
fn every_datagram_twice() {
    let mut pair = small_mtu_pair();
    let now = pair.now;
    for _ in 0..4 {
        for d in drain(&mut pair.client) {
            let _ = pair.server.handle_datagram(now, &d);
            let _ = pair.server.handle_datagram(now, &d);
        }
        for d in drain(&mut pair.server) {
            let _ = pair.client.handle_datagram(now, &d);
            let _ = pair.client.handle_datagram(now, &d);
        }
    }
    assert!(pair.client.is_connected() && pair.server.is_connected());
    // Application data: the duplicate is a replay, dropped.
    pair.client.send(b"once").unwrap();
    let d = drain(&mut pair.client).remove(0);
    pair.server.handle_datagram(now, &d).unwrap();
    assert_eq!(pair.server.handle_datagram(now, &d), Err(Error::Replay));
    let data: Vec<Event> = std::iter::from_fn(|| pair.server.poll_event())
        .filter(|e| matches!(e, Event::ApplicationData(_)))
        .collect();
    assert_eq!(data, [Event::ApplicationData(b"once".to_vec())]);
    assert!(pair.server.is_connected());
}

#[test]
fn replay_window_accepts_late_records_once() {
    let mut pair = small_mtu_pair();
    assert!(pair.run(Link::PERFECT, 1, Duration::from_secs(5)));
    let now = pair.now;
    let mut records = Vec::new();
    for i in 0..100u32 {
        pair.client.send(&i.to_be_bytes()).unwrap();
        records.extend(drain(&mut pair.client));
    }
    // Newest first: the 64 newest are accepted late, older ones fall out of the window.
    let mut accepted = 0;
    let mut too_old = 0;
    for d in records.iter().rev() {
        match pair.server.handle_datagram(now, d) {
            Ok(()) => accepted += 1,
            Err(Error::Replay) => too_old += 1,
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!((accepted, too_old), (64, 36));
    for d in &records[90..] {
        assert_eq!(pair.server.handle_datagram(now, d), Err(Error::Replay));
    }
    assert!(pair.server.is_connected());
}

#[test]
fn stale_and_unknown_epochs_are_dropped() {
    let mut pair = small_mtu_pair();
    let now = pair.now;
    // Keep the client's first flight (epoch 0) to replay it later.
    let hello = drain(&mut pair.client);
    for d in &hello {
        pair.server.handle_datagram(now, d).unwrap();
    }
    assert!(pair.run(Link::PERFECT, 1, Duration::from_secs(5)));
    drain(&mut pair.server);

    // The old ClientHello again: a stale epoch-0 handshake message. The server resends its
    // last flight at most (it cannot know it is not a retransmission) and stays connected.
    for d in &hello {
        let _ = pair
            .server
            .handle_datagram(pair.now + Duration::from_secs(1), d);
    }
    assert!(pair.server.is_connected());

    // Epoch 0 application data and alerts after the handshake are unauthenticated: dropped.
    let mut plain = Vec::new();
    Record {
        content_type: ContentType::ApplicationData,
        version: 0xfefd,
        epoch: 0,
        sequence: 99,
        fragment: b"forged",
    }
    .write(&mut plain);
    assert!(matches!(
        pair.server.handle_datagram(now, &plain),
        Err(Error::Record(_))
    ));
    let mut alert = Vec::new();
    Record {
        content_type: ContentType::Alert,
        version: 0xfefd,
        epoch: 0,
        sequence: 100,
        fragment: &[2, 40],
    }
    .write(&mut alert);
    assert_eq!(pair.server.handle_datagram(now, &alert), Ok(()));
    assert!(
        pair.server.is_connected(),
        "a forged epoch-0 fatal alert is ignored"
    );

    // Epoch 2 (no such keys) and forged epoch 1 records: bad record MAC, dropped.
    for epoch in [1u16, 2, 0xffff] {
        let mut forged = Vec::new();
        Record {
            content_type: ContentType::ApplicationData,
            version: 0xfefd,
            epoch,
            sequence: 5,
            fragment: &[0u8; 40],
        }
        .write(&mut forged);
        assert_eq!(
            pair.server.handle_datagram(now, &forged),
            Err(Error::BadRecordMac)
        );
    }
    pair.client.send(b"still here").unwrap();
    for d in drain(&mut pair.client) {
        pair.server.handle_datagram(now, &d).unwrap();
    }
    assert!(
        std::iter::from_fn(|| pair.server.poll_event())
            .any(|e| e == Event::ApplicationData(b"still here".to_vec()))
    );
}

#[test]
fn garbage_datagrams_never_break_the_handshake() {
    // Random datagrams, truncated ones and record headers over random bytes are dropped: the
    // handshake always completes.
    let (connected, failed) = handshake_through_garbage(&[0, 2, 3]);
    assert_eq!((connected, failed), (50, 0));
    // A flipped bit in an unauthenticated epoch-0 message gets processed (the genuine copy
    // is then a duplicate) and the handshake fails at the Finished check or earlier, with an
    // alert, never a panic; bits flipped in epoch-1 records are dropped by the AEAD.
    let (connected, failed) = handshake_through_garbage(&[1]);
    assert_eq!(connected + failed, 50);
    assert!(failed > 0, "{connected} connected, {failed} failed");
}

/// Runs 50 handshakes, each datagram preceded by a damaged copy of one of `kinds`; how many
/// connected and how many failed cleanly.
fn handshake_through_garbage(kinds: &[u64]) -> (usize, usize) {
    let mut rng = Rng::new(7);
    let (mut connected, mut failed) = (0, 0);
    for _ in 0..50 {
        let mut pair = small_mtu_pair();
        let now = pair.now;
        for _ in 0..6 {
            for (from_client, d) in drain(&mut pair.client)
                .into_iter()
                .map(|d| (true, d))
                .chain(drain(&mut pair.server).into_iter().map(|d| (false, d)))
            {
                // Garbage of every kind: random bytes, a real datagram with flipped bytes or
                // cut short, a real record header over random content.
                let mut junk = d.clone();
                let kind = kinds[(rng.next() % kinds.len() as u64) as usize];
                if std::env::var("DTLS_DEBUG").is_ok() {
                    eprintln!("kind {kind}");
                }
                match kind {
                    0 => {
                        junk = (0..(rng.next() % 300)).map(|_| rng.next() as u8).collect();
                    }
                    1 => {
                        let i = (rng.next() as usize) % junk.len();
                        junk[i] ^= 1 << (rng.next() % 8);
                    }
                    2 => junk.truncate((rng.next() as usize) % junk.len()),
                    _ => {
                        for b in junk.iter_mut().skip(13) {
                            *b = rng.next() as u8;
                        }
                    }
                }
                let target = if from_client {
                    &mut pair.server
                } else {
                    &mut pair.client
                };
                // Garbage first: it may be dropped or, if it parses as a legitimate-looking
                // unauthenticated handshake message, fail the handshake cleanly; it must not
                // panic.
                let r1 = target.handle_datagram(now, &junk);
                if std::env::var("DTLS_DEBUG").is_ok() {
                    eprintln!(
                        "to_server={from_client} junk {} bytes -> {r1:?}",
                        junk.len()
                    );
                }
                if matches!(target.state(), State::Failed) {
                    break;
                }
                let r2 = target.handle_datagram(now, &d);
                if std::env::var("DTLS_DEBUG").is_ok() {
                    eprintln!(
                        "  real {} bytes -> {r2:?} state {:?}",
                        d.len(),
                        target.state()
                    );
                }
            }
        }
        // Flipped bits inside authenticated epoch-1 records never hurt; garbage in the
        // plaintext handshake can only fail it cleanly.
        // A corrupted hello can leave the two out of step (a flipped message_seq): then the
        // retransmission timers must end it one way or the other, never hang.
        if !(pair.client.is_connected() && pair.server.is_connected()) {
            pair.run(Link::PERFECT, 1, Duration::from_secs(600));
        }
        if pair.client.is_connected() && pair.server.is_connected() {
            connected += 1;
        } else {
            assert!(
                pair.client.state() == State::Failed || pair.server.state() == State::Failed,
                "neither connected nor failed: {:?} / {:?}",
                pair.client.state(),
                pair.server.state()
            );
            failed += 1;
        }
    }
    (connected, failed)
}

#[test]
fn garbage_after_the_handshake_is_dropped() {
    let mut pair = small_mtu_pair();
    assert!(pair.run(Link::PERFECT, 1, Duration::from_secs(5)));
    let now = pair.now;
    let mut rng = Rng::new(3);
    for _ in 0..2000 {
        let len = (rng.next() % 200) as usize;
        let mut junk: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        if len > 13 && rng.next() % 2 == 0 {
            // Look like a DTLS 1.2 record of epoch 1.
            junk[0] = 23;
            junk[1] = 0xfe;
            junk[2] = 0xfd;
            junk[3] = 0;
            junk[4] = 1;
            let body = (len - 13) as u16;
            junk[11..13].copy_from_slice(&body.to_be_bytes());
        }
        if let Err(e) = pair.server.handle_datagram(now, &junk) {
            assert!(!e.is_fatal(), "{e}");
        }
    }
    assert!(pair.server.is_connected());
    pair.client.send(b"after the storm").unwrap();
    for d in drain(&mut pair.client) {
        pair.server.handle_datagram(now, &d).unwrap();
    }
    assert!(
        std::iter::from_fn(|| pair.server.poll_event())
            .any(|e| e == Event::ApplicationData(b"after the storm".to_vec()))
    );
}
