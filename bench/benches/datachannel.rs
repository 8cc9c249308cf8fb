//! Data channels end to end, side by side: two peer connections of the same stack in this
//! process over loopback UDP, one reliable, ordered channel (harness and stack settings:
//! `rtc_bench_compare::datachannel`). Ours (the `rtc` facade with ring) against webrtc-rs
//! `webrtc` 0.21 and str0m 0.25; `cargo xtask bench datachannel` runs node-datachannel and
//! @roamhq/wrtc through interop/bench/datachannel.js in the same run, under the same group
//! names.
//!
//! - Throughput (criterion): one iteration is a transfer of [`CHUNK`] (32 MiB) in 1 KiB or
//!   64 KiB messages on a pair connected beforehand, timed from the first send to the last
//!   message received; `Throughput::Bytes`, so the per-second column is MiB/s.
//! - The whole 256 MiB ([`FULL`]) once per stack and message size, on a fresh pair (so it
//!   includes the ramp-up after the handshake): a figure for `cargo xtask bench`, printed too.
//! - Setup: 200 times (50 for webrtc-rs, see [`setups_of`]; after [`WARM_UP_SETUPS`] untimed), the time from
//!   `createDataChannel` + `createOffer` to the channel being open at both ends, with the peer
//!   connections and certificates made beforehand; p50 and p99 as figures.
//!
//! The figures (everything but criterion's groups) are made when the bench runs with no
//! filter or one naming `datachannel`. Memory per idle peer connection is the other bench,
//! benches/datachannel_idle.rs (it needs a counting global allocator).
#![allow(clippy::disallowed_methods)]

use std::time::Duration;

use criterion::{Criterion, SamplingMode, Throughput};
use rtc_bench_compare::datachannel::{Certificates, Pair, Stack, setup, time_transfers};
use rtc_bench_compare::figures::{Unit, criterion_filter, percentile, record};

/// Bytes per criterion iteration.
const CHUNK: usize = 32 << 20;
/// Bytes of the one-off transfer.
const FULL: usize = 256 << 20;
/// Message sizes.
const SIZES: [usize; 2] = [1 << 10, 64 << 10];
/// Timed setups per stack (after [`WARM_UP_SETUPS`]): 200, and 50 for webrtc-rs, whose setups
/// take most of a second each (timers, not CPU).
fn setups_of(stack: Stack) -> usize {
    if stack == Stack::WebrtcRs { 50 } else { 200 }
}
const WARM_UP_SETUPS: usize = 5;

/// `DATACHANNEL_STACK=<name>` limits the setup and whole-transfer figures to the stack of that
/// name (as the tables print it, e.g. `rtc`), to look at one stack without the others' minutes.
fn chosen(stacks: &[Stack]) -> Vec<Stack> {
    match std::env::var("DATACHANNEL_STACK") {
        Ok(name) => stacks
            .iter()
            .copied()
            .filter(|s| s.name() == name)
            .collect(),
        Err(_) => stacks.to_vec(),
    }
}

fn throughput_group(size: usize) -> String {
    format!(
        "datachannel: {} MiB in {} KiB messages, reliable ordered, loopback UDP",
        CHUNK >> 20,
        size >> 10
    )
}

fn full_group(size: usize) -> String {
    format!(
        "datachannel: {} MiB in {} KiB messages once, fresh connection",
        FULL >> 20,
        size >> 10
    )
}

fn setup_group(percentile: u32) -> String {
    format!("datachannel: setup, createOffer to open at both ends, p{percentile}")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// Setup latency percentiles of each stack.
fn setups(rt: &tokio::runtime::Runtime, certificates: &Certificates) {
    for stack in chosen(&Stack::EACH) {
        let count = setups_of(stack);
        let mut times = Vec::with_capacity(count);
        for i in 0..WARM_UP_SETUPS + count {
            // As an application's code runs: in a task on the runtime, not on `block_on`'s
            // thread (from there every call into a stack's tasks wakes a parked worker).
            let certificates = certificates.clone();
            let (elapsed, pair) = rt.block_on(async move {
                tokio::spawn(async move { setup(stack, &certificates).await })
                    .await
                    .expect("the setup task")
            });
            rt.block_on(pair.close());
            if i >= WARM_UP_SETUPS {
                times.push(elapsed.as_nanos() as f64);
            }
        }
        for p in [50, 99] {
            record(
                &setup_group(p),
                stack.name(),
                percentile(&times, f64::from(p)),
                Unit::Nanoseconds,
                None,
            );
        }
    }
}

/// One [`FULL`] transfer per stack and message size, each on a fresh pair.
fn full_transfers(rt: &tokio::runtime::Runtime, certificates: &Certificates) {
    for size in SIZES {
        for stack in chosen(&Stack::ALL) {
            let (_, mut pair) = rt.block_on(setup(stack, certificates));
            let elapsed = rt.block_on(pair.transfer(size, FULL / size));
            rt.block_on(pair.close());
            record(
                &full_group(size),
                stack.name(),
                elapsed.as_nanos() as f64,
                Unit::Nanoseconds,
                Some(FULL as u64),
            );
        }
    }
}

fn main() {
    // A 32 MiB iteration takes 0.1-2 s here: 10 samples of the same iteration count, over
    // 5 s. The command line overrides these.
    let mut c = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .configure_from_args();
    let listing = std::env::args().any(|a| a == "--list");
    let selected = criterion_filter()
        .is_none_or(|f| f.contains("datachannel") || "datachannel".contains(f.as_str()));
    let rt = runtime();
    let certificates = Certificates::new();

    if selected && !listing {
        setups(&rt, &certificates);
        full_transfers(&rt, &certificates);
    }

    for size in SIZES {
        let mut g = c.benchmark_group(throughput_group(size));
        g.throughput(Throughput::Bytes(CHUNK as u64));
        g.sampling_mode(SamplingMode::Flat);
        for stack in Stack::ALL {
            // Connected on first use: not when the filter or `--list` skips it.
            let mut pair: Option<Pair> = None;
            g.bench_function(stack.name(), |b| {
                let pair = pair.get_or_insert_with(|| rt.block_on(setup(stack, &certificates)).1);
                b.iter_custom(|iters| rt.block_on(time_transfers(pair, size, CHUNK / size, iters)));
            });
            if let Some(pair) = pair {
                rt.block_on(pair.close());
            }
        }
        g.finish();
    }
    c.final_summary();
}
