//! Data channels through a lossy network, and a peer that goes silent.

mod common;

use std::time::Duration;

use common::{Net, Peer};
use rtc_peer::{Config, DataChannelInit, PeerConnectionState};

#[test]
fn ten_percent_loss_delivers_every_message_in_order() {
    let mut net = Net::new(
        Peer::new(Config::default(), "10.0.0.1:5000"),
        Peer::new(Config::default(), "10.0.0.2:6000"),
    );
    net.loss = 0.10;
    net.latency = Duration::from_millis(25);
    let now = net.now;
    let chat = net
        .a
        .pc
        .create_data_channel(now, "bulk", DataChannelInit::default())
        .unwrap();
    net.negotiate();
    assert!(net.connect(), "connected through loss");
    assert!(net.run_until(Duration::from_secs(20), |n| n.b.announced("bulk").is_some()));
    let remote = net.b.announced("bulk").unwrap();
    let messages: Vec<Vec<u8>> = (0..300u32)
        .map(|i| {
            let len = 1 + (i as usize * 997) % 9000;
            (0..len).map(|j| (i as usize + j) as u8).collect()
        })
        .collect();
    let now = net.now;
    for m in &messages {
        net.a.pc.send_binary(now, chat, m.clone()).unwrap();
    }
    assert!(
        net.run_until(Duration::from_secs(120), |n| n.b.messages(remote).len()
            == messages.len()),
        "got {} of {}",
        net.b.messages(remote).len(),
        messages.len()
    );
    assert_eq!(net.b.messages(remote), messages);
    assert_eq!(net.a.pc.connection_state(), PeerConnectionState::Connected);
}

#[test]
fn a_peer_that_goes_silent_fails_the_connection_after_consent_expires() {
    let mut net = Net::new(
        Peer::new(Config::default(), "10.0.0.1:5000"),
        Peer::new(Config::default(), "10.0.0.2:6000"),
    );
    let now = net.now;
    net.a
        .pc
        .create_data_channel(now, "chat", DataChannelInit::default())
        .unwrap();
    net.negotiate();
    assert!(net.connect());
    // Everything is lost from now on.
    net.loss = 1.0;
    let silent = net.now;
    assert!(
        net.run_until(Duration::from_secs(60), |n| n.a.pc.connection_state()
            == PeerConnectionState::Failed)
    );
    let after = net.now - silent;
    // RFC 7675 §5.1: consent expires 30 s after the last answer.
    assert!(
        after >= Duration::from_secs(25) && after <= Duration::from_secs(45),
        "{after:?}"
    );
}
