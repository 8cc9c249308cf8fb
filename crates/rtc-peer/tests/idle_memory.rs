//! What an idle, connected peer connection with one open data channel holds on the heap.

mod common;

use std::alloc::System;
use std::time::Duration;

use common::{Net, Peer};
use rtc_peer::{Config, DataChannelInit};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

#[test]
fn an_idle_connection_with_a_channel_holds_under_50_kib() {
    let config = Config {
        certificate: Some(rtc_dtls::Certificate::generate().unwrap()),
        ..Config::default()
    };
    let region = Region::new(GLOBAL);
    let mut nets = Vec::new();
    for _ in 0..20 {
        let mut net = Net::new(
            Peer::new(config.clone(), "10.0.0.1:5000"),
            Peer::new(config.clone(), "10.0.0.2:6000"),
        );
        let now = net.now;
        net.a
            .pc
            .create_data_channel(now, "chat", DataChannelInit::default())
            .unwrap();
        net.negotiate();
        assert!(net.connect());
        assert!(net.run_until(Duration::from_secs(5), |n| n.b.announced("chat").is_some()));
        // Idle for a while: consent checks, SCTP heartbeats.
        let until = net.now + Duration::from_secs(30);
        net.run_until(Duration::from_secs(31), |n| n.now >= until);
        // The test's own record of events is not the connection's.
        net.a.events = Vec::new();
        net.b.events = Vec::new();
        nets.push(net);
    }
    let change = region.change();
    let held = change.bytes_allocated as i64 - change.bytes_deallocated as i64;
    let per_connection = held / 40;
    println!("{per_connection} bytes per idle peer connection (40 connections)");
    assert!(
        per_connection < 50 * 1024,
        "{per_connection} bytes per connection"
    );
    drop(nets);
}
