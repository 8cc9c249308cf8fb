//! Memory per idle peer connection: [`PAIRS`] connected pairs (2 × [`PAIRS`] peer connections,
//! each pair with its data channel open, as in benches/datachannel.rs) held idle for
//! [`SETTLE`], for ours, webrtc-rs `webrtc` 0.21 and str0m 0.25.
//!
//! Two figures per stack, each divided by the number of peer connections:
//! - heap bytes still allocated, counted by a global allocator that wraps the system one
//!   (`stats_alloc`): bytes allocated minus bytes freed between just before the first pair
//!   is made and after the settle time (everything the application holds for them: the
//!   stack's state, its tasks and channels, our handles);
//! - growth of the process's resident memory (`/proc/self/statm`), which node stacks can be
//!   compared on too (interop/bench/datachannel.js measures theirs the same way).
//!
//! Each stack runs in a child process of its own (this binary again, with
//! `DATACHANNEL_IDLE_STACK` set), so memory one stack freed does not lower another's resident
//! growth; one pair is made and closed before the baseline (one-time initialisation is not
//! counted). A `harness = false` bench: it runs with no filter or one naming `datachannel`.
#![allow(clippy::disallowed_methods)]

use std::alloc::System;
use std::sync::Arc;
use std::time::Duration;

use rtc_bench_compare::datachannel::{Certificates, Stack, setup};
use rtc_bench_compare::figures::{Unit, criterion_filter, record};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// Connected pairs held at once.
const PAIRS: usize = 50;
/// Setups run concurrently.
const AT_ONCE: usize = 10;
/// How long they are left idle before memory is read.
const SETTLE: Duration = Duration::from_secs(2);
/// Set in a child process: the stack it measures.
const STACK_ENV: &str = "DATACHANNEL_IDLE_STACK";
const HEAP_GROUP: &str = "datachannel: heap per idle peer connection (counting allocator)";
const RSS_GROUP: &str = "datachannel: resident memory growth per idle peer connection";

/// Resident bytes of this process.
fn resident() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").expect("/proc/self/statm");
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .expect("resident pages");
    // 4 KiB pages on every Linux this runs on (x86-64, aarch64 defaults).
    pages * 4096
}

/// In the child: connects the pairs and prints `heap rss` per peer connection.
fn measure(stack: Stack) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    let certificates = Certificates::new();
    // One-time initialisation (crypto providers, lazy statics, the runtime's first tasks).
    let (_, pair) = rt.block_on(setup(stack, &certificates));
    rt.block_on(pair.close());
    rt.block_on(async { tokio::time::sleep(Duration::from_millis(200)).await });

    let rss_before = resident();
    let region = Region::new(GLOBAL);
    // Connected [`AT_ONCE`] at a time (webrtc-rs takes most of a second per setup, in timers).
    let certificates = Arc::new(certificates);
    let mut pairs = Vec::with_capacity(PAIRS);
    while pairs.len() < PAIRS {
        let batch: Vec<_> = (pairs.len()..PAIRS.min(pairs.len() + AT_ONCE))
            .map(|_| {
                let certificates = certificates.clone();
                rt.spawn(async move { setup(stack, &certificates).await.1 })
            })
            .collect();
        for task in batch {
            pairs.push(rt.block_on(task).expect("a setup"));
        }
    }
    rt.block_on(async { tokio::time::sleep(SETTLE).await });
    let change = region.change();
    let rss_after = resident();
    let held = change.bytes_allocated as f64 - change.bytes_deallocated as f64;
    let connections = (2 * PAIRS) as f64;
    println!(
        "idle-figures {} {}",
        held / connections,
        (rss_after as f64 - rss_before as f64) / connections
    );
    for pair in pairs {
        rt.block_on(pair.close());
    }
}

fn main() {
    if let Ok(name) = std::env::var(STACK_ENV) {
        let stack = Stack::ALL
            .into_iter()
            .find(|s| s.name() == name)
            .expect("a known stack");
        measure(stack);
        return;
    }
    let selected = criterion_filter()
        .is_none_or(|f| f.contains("datachannel") || "datachannel".contains(f.as_str()));
    if !selected || std::env::args().any(|a| a == "--list") {
        return;
    }
    let exe = std::env::current_exe().expect("this bench's path");
    for stack in Stack::EACH {
        let output = std::process::Command::new(&exe)
            .env(STACK_ENV, stack.name())
            .stderr(std::process::Stdio::inherit())
            .output()
            .expect("run the child");
        assert!(
            output.status.success(),
            "{}: {}",
            stack.name(),
            output.status
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        let figures: Vec<f64> = stdout
            .lines()
            .find_map(|l| l.strip_prefix("idle-figures "))
            .expect("the child's figures")
            .split_whitespace()
            .map(|v| v.parse().expect("a number"))
            .collect();
        record(HEAP_GROUP, stack.name(), figures[0], Unit::Bytes, None);
        record(RSS_GROUP, stack.name(), figures[1], Unit::Bytes, None);
    }
}
