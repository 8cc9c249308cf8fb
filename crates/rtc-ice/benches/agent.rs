//! ICE agent costs: a connectivity check answered (parse, authenticate, respond), a whole check
//! round trip between two agents, and the memory an agent takes (printed, from a counting
//! allocator). Run with `cargo xtask bench agent`.
#![allow(missing_docs, clippy::disallowed_methods)]

use std::alloc::System;
use std::hint::black_box;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use rtc_ice::{Agent, Candidate, Config, Credentials};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Two agents with one host candidate each, credentials and candidates exchanged.
fn pair(now: Instant) -> (Agent, Agent) {
    let ca = Credentials {
        ufrag: "aaaa".into(),
        pwd: "aaaaaaaaaaaaaaaaaaaaaaaa".into(),
    };
    let cb = Credentials {
        ufrag: "bbbb".into(),
        pwd: "bbbbbbbbbbbbbbbbbbbbbbbb".into(),
    };
    let mut a = Agent::new(Config::new(true), ca.clone());
    let mut b = Agent::new(Config::new(false), cb.clone());
    a.add_local_candidate(now, Candidate::host(addr("10.0.0.1:5000"), 65535, 1));
    b.add_local_candidate(now, Candidate::host(addr("10.0.0.2:6000"), 65535, 1));
    a.set_remote_credentials(now, cb);
    b.set_remote_credentials(now, ca);
    a.add_remote_candidate(now, b.local_candidates()[0].clone());
    b.add_remote_candidate(now, a.local_candidates()[0].clone());
    (a, b)
}

/// Runs two agents until both have selected a pair; returns the time reached.
fn connect(a: &mut Agent, b: &mut Agent, mut t: Instant) -> Instant {
    for _ in 0..200 {
        while let Some(x) = a.poll_transmit() {
            b.handle_packet(t, x.destination, x.source, &x.contents);
        }
        while let Some(x) = b.poll_transmit() {
            a.handle_packet(t, x.destination, x.source, &x.contents);
        }
        if a.selected_pair().is_some() && b.selected_pair().is_some() {
            break;
        }
        t += Duration::from_millis(10);
        a.handle_timeout(t);
        b.handle_timeout(t);
    }
    t
}

fn benches(c: &mut Criterion) {
    let now = Instant::now();
    // Memory: what one agent holds after connecting (1 local and 1 remote candidate).
    let region = Region::new(GLOBAL);
    let (mut a, mut b) = pair(now);
    connect(&mut a, &mut b, now);
    let stats = region.change();
    println!(
        "ice: two connected agents hold {} bytes ({} bytes each), {} allocations made",
        stats
            .bytes_allocated
            .saturating_sub(stats.bytes_deallocated),
        stats
            .bytes_allocated
            .saturating_sub(stats.bytes_deallocated)
            / 2,
        stats.allocations
    );
    assert!(a.selected_pair().is_some() && b.selected_pair().is_some());

    // A check from A, as bytes, answered by B again and again.
    let (mut a, mut b) = pair(now);
    a.handle_timeout(now);
    let check = a.poll_transmit().expect("a check");
    let mut g = c.benchmark_group("ice: connectivity checks");
    g.throughput(Throughput::Elements(1));
    g.bench_function(
        "rtc: answer a check (parse, authenticate, respond)",
        |bench| {
            bench.iter(|| {
                b.handle_packet(
                    now,
                    check.destination,
                    check.source,
                    black_box(&check.contents),
                );
                black_box(b.poll_transmit())
            })
        },
    );
    g.bench_function(
        "rtc: check round trip (send, answer, process the answer)",
        |bench| {
            let (mut a, mut b) = pair(now);
            let mut t = connect(&mut a, &mut b, now);
            bench.iter(|| {
                // The pair's consent check: one request, one answer.
                t += Duration::from_secs(5);
                a.handle_timeout(t);
                while let Some(x) = a.poll_transmit() {
                    b.handle_packet(t, x.destination, x.source, &x.contents);
                }
                while let Some(x) = b.poll_transmit() {
                    a.handle_packet(t, x.destination, x.source, &x.contents);
                }
            })
        },
    );
    g.finish();
}

criterion_group!(agent, benches);
criterion_main!(agent);
