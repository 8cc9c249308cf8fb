//! A closed and dropped peer connection frees everything: 1,000 cycles of connect, open a
//! channel, send, close, drop, and the heap does not grow.

mod common;

use std::alloc::System;
use std::time::Duration;

use common::{Net, Peer};
use rtc_peer::{Config, DataChannelInit, PeerConnectionState};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

fn cycle(config: &Config) {
    let mut net = Net::new(
        Peer::new(config.clone(), "10.0.0.1:5000"),
        Peer::new(config.clone(), "10.0.0.2:6000"),
    );
    let now = net.now;
    let chat = net
        .a
        .pc
        .create_data_channel(now, "chat", DataChannelInit::default())
        .unwrap();
    net.negotiate();
    assert!(net.connect());
    assert!(net.run_until(Duration::from_secs(5), |n| n.b.announced("chat").is_some()));
    let now = net.now;
    net.a.pc.send_binary(now, chat, vec![1u8; 1000]).unwrap();
    let remote = net.b.announced("chat").unwrap();
    assert!(net.run_until(Duration::from_secs(5), |n| n.b.messages(remote).len() == 1));
    let now = net.now;
    net.a.pc.close(now);
    assert!(
        net.run_until(Duration::from_secs(5), |n| n.b.pc.connection_state()
            == PeerConnectionState::Closed)
    );
    net.b.pc.close(net.now);
}

#[test]
fn a_thousand_connect_close_cycles_leave_the_heap_flat() {
    // One certificate for all (making 2,000 key pairs would only test rcgen).
    let config = Config {
        certificate: Some(rtc_dtls::Certificate::generate().unwrap()),
        ..Config::default()
    };
    for _ in 0..20 {
        cycle(&config);
    }
    let region = Region::new(GLOBAL);
    for _ in 0..1000 {
        cycle(&config);
    }
    let change = region.change();
    let net = change.bytes_allocated as i64 - change.bytes_deallocated as i64;
    println!(
        "1,000 cycles: {} allocations, {} bytes allocated, net {} bytes",
        change.allocations, change.bytes_allocated, net
    );
    // Flat: what is still allocated after 1,000 cycles is less than a single connection
    // holds (a leak of even one buffer per cycle would be tens of kilobytes at least).
    assert!(net.abs() < 16 * 1024, "net heap change {net} bytes");
}
