//! The DATA and SACK paths do not allocate per chunk (issue 6): a counting global allocator
//! watches a transfer between two associations, packets handed over through one reused
//! buffer, messages made before counting starts.

#![allow(clippy::disallowed_methods)]

use std::alloc::System;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtc_sctp::{Association, Config, Event, SendOptions};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Sends `messages` from A to B and returns (allocations, DATA chunks delivered).
fn transfer(messages: &[Bytes], unordered: bool) -> (u64, u64) {
    let mut now = Instant::now();
    let config = Arc::new(Config::new());
    let mut a = Association::new(config.clone(), now);
    let mut b = Association::new(config, now);
    let mut buf = vec![0u8; 2048];
    a.connect(now);
    for _ in 0..10 {
        while let Some(n) = a.poll_transmit(now, &mut buf) {
            b.handle_packet(now, &buf[..n]);
        }
        while let Some(n) = b.poll_transmit(now, &mut buf) {
            a.handle_packet(now, &buf[..n]);
        }
    }
    assert!(a.is_established() && b.is_established());
    while a.poll_event().is_some() {}
    while b.poll_event().is_some() {}
    // A `Bytes` made from a `Vec` allocates its shared header on first clone: do that now, as
    // an application holding shared buffers would have.
    let messages: Vec<Bytes> = messages.to_vec();
    let options = SendOptions {
        unordered,
        ..SendOptions::default()
    };
    let mut next = 0;
    let mut received = 0usize;
    let mut chunks = 0u64;
    let region = Region::new(GLOBAL);
    while received < messages.len() {
        // Keep up to 64 messages queued (the queue's growth is amortized, like any Vec).
        while next < messages.len() && next < received + 64 {
            a.send(now, 1, 53, messages[next].clone(), &options)
                .expect("send");
            next += 1;
        }
        while let Some(n) = a.poll_transmit(now, &mut buf) {
            chunks += 1;
            b.handle_packet(now, &buf[..n]);
        }
        while let Some(n) = b.poll_transmit(now, &mut buf) {
            a.handle_packet(now, &buf[..n]);
        }
        while let Some(e) = b.poll_event() {
            if let Event::Message(m) = e {
                assert_eq!(m.data, messages[received]);
                received += 1;
            }
        }
        while a.poll_event().is_some() {}
        now += Duration::from_millis(1);
        if a.poll_timeout().is_some_and(|t| t <= now) {
            a.handle_timeout(now);
        }
        if b.poll_timeout().is_some_and(|t| t <= now) {
            b.handle_timeout(now);
        }
    }
    let stats = region.change();
    // The messages the test itself keeps (compared, then dropped) allocate nothing either.
    ((stats.allocations + stats.reallocations) as u64, chunks)
}

// One test: the allocator's counters are global, and tests run in parallel threads.
#[test]
fn the_data_and_sack_paths_do_not_allocate_per_chunk() {
    small_messages_do_not_allocate_per_chunk();
    fragmented_messages_do_not_allocate_per_fragment();
}

fn small_messages_do_not_allocate_per_chunk() {
    let messages: Vec<Bytes> = (0..20_000u32)
        .map(|i| Bytes::from(i.to_be_bytes().repeat(100)))
        .collect();
    for unordered in [false, true] {
        let (allocations, packets) = transfer(&messages, unordered);
        // 20,000 messages of 400 bytes, about 7,000 packets: the allocations that remain are
        // the receive arena's 256 KiB blocks and the amortized growth of queues.
        println!(
            "unordered={unordered}: {allocations} allocations for {} messages in {packets} packets",
            messages.len()
        );
        assert!(
            allocations * 20 < messages.len() as u64,
            "{allocations} allocations for {} messages",
            messages.len()
        );
    }
}

fn fragmented_messages_do_not_allocate_per_fragment() {
    // 16 KiB messages in 15 fragments each, joined in the receive arena: the allocations
    // left are the arena's blocks and amortized queue growth.
    let messages: Vec<Bytes> = (0..2_000u32)
        .map(|i| Bytes::from(i.to_be_bytes().repeat(4096)))
        .collect();
    let (allocations, packets) = transfer(&messages, false);
    println!(
        "{allocations} allocations for {} messages in {packets} packets",
        messages.len()
    );
    assert!(
        allocations * 3 < messages.len() as u64,
        "{allocations} allocations for {} messages ({packets} packets)",
        messages.len()
    );
}
