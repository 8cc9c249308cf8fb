//! Two peer connections on virtual time open data channels and exchange messages.

mod common;

use std::time::Duration;

use common::{Net, Peer};
use rtc_peer::{
    Config, DataChannelInit, DataChannelState, Event, IceGatheringState, PeerConnectionState,
    SignalingState,
};

fn pair() -> Net {
    Net::new(
        Peer::new(Config::default(), "10.0.0.1:5000"),
        Peer::new(Config::default(), "10.0.0.2:6000"),
    )
}

#[test]
fn offerer_channel_opens_and_carries_messages_both_ways() {
    let mut net = pair();
    let now = net.now;
    let chat = net
        .a
        .pc
        .create_data_channel(now, "chat", DataChannelInit::default())
        .unwrap();
    assert!(net.a.pc.poll_event() == Some(Event::NegotiationNeeded));
    net.negotiate();
    assert_eq!(net.a.pc.signaling_state(), SignalingState::Stable);
    assert_eq!(net.b.pc.signaling_state(), SignalingState::Stable);
    assert!(net.connect(), "connected in {:?}", net.elapsed());
    assert!(
        net.run_until(Duration::from_secs(5), |n| n.b.announced("chat").is_some()
            && n.a.has(|e| *e == Event::ChannelOpen(chat)))
    );
    let remote = net.b.announced("chat").unwrap();
    assert_eq!(net.a.pc.channel_state(chat), DataChannelState::Open);
    assert_eq!(net.b.pc.channel_label(remote), Some("chat"));
    // The offerer answered actpass with the answerer's active: the answerer is the DTLS
    // client and opened on even ids; our channel came from the server, odd.
    assert_eq!(net.a.pc.channel_stream_id(chat).map(|s| s % 2), Some(1));

    let now = net.now;
    net.a.pc.send_text(now, chat, "hello").unwrap();
    net.a
        .pc
        .send_binary(now, chat, vec![7u8; 16 * 1024])
        .unwrap();
    net.a
        .pc
        .send_binary(now, chat, vec![9u8; 256 * 1024])
        .unwrap();
    net.a.pc.send_text(now, chat, "").unwrap();
    net.b.pc.send_text(now, remote, "hi back").unwrap();
    assert!(
        net.run_until(Duration::from_secs(10), |n| n.b.messages(remote).len() == 4
            && n.a.messages(chat).len() == 1)
    );
    let got = net.b.messages(remote);
    assert_eq!(got[0], b"hello");
    assert_eq!(got[1], vec![7u8; 16 * 1024]);
    assert_eq!(got[2], vec![9u8; 256 * 1024]);
    assert!(got[3].is_empty());
    assert_eq!(net.a.messages(chat), vec![b"hi back".to_vec()]);
    let binary: Vec<bool> = net
        .b
        .events
        .iter()
        .filter_map(|e| match e {
            Event::ChannelMessage { binary, .. } => Some(*binary),
            _ => None,
        })
        .collect();
    assert_eq!(binary, [false, true, true, false]);
    assert_eq!(net.a.pc.ice_gathering_state(), IceGatheringState::Complete);
}

#[test]
fn answerer_opens_channels_after_connection_and_negotiated_ones_pair_up() {
    let mut net = pair();
    let now = net.now;
    let first = net
        .a
        .pc
        .create_data_channel(now, "first", DataChannelInit::default())
        .unwrap();
    let neg_a = net
        .a
        .pc
        .create_data_channel(
            now,
            "negotiated",
            DataChannelInit {
                negotiated: Some(100),
                ..DataChannelInit::default()
            },
        )
        .unwrap();
    net.negotiate();
    assert!(net.connect());
    let now = net.now;
    let neg_b = net
        .b
        .pc
        .create_data_channel(
            now,
            "negotiated",
            DataChannelInit {
                negotiated: Some(100),
                ..DataChannelInit::default()
            },
        )
        .unwrap();
    let unordered = net
        .b
        .pc
        .create_data_channel(
            now,
            "unordered",
            DataChannelInit {
                ordered: false,
                max_retransmits: Some(0),
                protocol: "proto".into(),
                ..DataChannelInit::default()
            },
        )
        .unwrap();
    assert!(net.run_until(
        Duration::from_secs(5),
        |n| n.a.announced("unordered").is_some()
            && n.b.has(|e| *e == Event::ChannelOpen(unordered))
            && n.a.has(|e| *e == Event::ChannelOpen(first))
    ));
    let on_a = net.a.announced("unordered").unwrap();
    assert_eq!(net.a.pc.channel_protocol(on_a), Some("proto"));
    assert_eq!(
        net.b.pc.channel_stream_id(unordered).map(|s| s % 2),
        Some(0)
    );
    let now = net.now;
    net.b.pc.send_text(now, unordered, "u").unwrap();
    net.a.pc.send_text(now, neg_a, "n-a").unwrap();
    net.b.pc.send_text(now, neg_b, "n-b").unwrap();
    assert!(
        net.run_until(Duration::from_secs(5), |n| n.a.messages(on_a).len() == 1
            && n.b.messages(neg_b).len() == 1
            && n.a.messages(neg_a).len() == 1)
    );
    assert_eq!(net.b.messages(neg_b), vec![b"n-a".to_vec()]);
    assert_eq!(net.a.messages(neg_a), vec![b"n-b".to_vec()]);
}

#[test]
fn closing_a_channel_closes_it_on_both_sides_and_the_connection_lives_on() {
    let mut net = pair();
    let now = net.now;
    let a1 = net
        .a
        .pc
        .create_data_channel(now, "one", DataChannelInit::default())
        .unwrap();
    let a2 = net
        .a
        .pc
        .create_data_channel(now, "two", DataChannelInit::default())
        .unwrap();
    net.negotiate();
    assert!(net.connect());
    assert!(net.run_until(Duration::from_secs(5), |n| n.b.announced("two").is_some()));
    let b1 = net.b.announced("one").unwrap();
    // Closed from the answerer's side.
    let now = net.now;
    net.b.pc.close_channel(now, b1).unwrap();
    assert!(net.run_until(
        Duration::from_secs(5),
        |n| n.a.has(|e| *e == Event::ChannelClosed(a1))
            && n.b.has(|e| *e == Event::ChannelClosed(b1))
    ));
    assert_eq!(net.a.pc.channel_state(a1), DataChannelState::Closed);
    assert!(net.a.pc.send_text(net.now, a1, "late").is_err());
    let now = net.now;
    net.a.pc.send_text(now, a2, "still here").unwrap();
    let b2 = net.b.announced("two").unwrap();
    assert!(net.run_until(Duration::from_secs(5), |n| n.b.messages(b2).len() == 1));
    assert_eq!(net.a.pc.connection_state(), PeerConnectionState::Connected);
}

#[test]
fn closing_the_peer_connection_tells_the_peer() {
    let mut net = pair();
    let now = net.now;
    net.a
        .pc
        .create_data_channel(now, "chat", DataChannelInit::default())
        .unwrap();
    net.negotiate();
    assert!(net.connect());
    assert!(net.run_until(Duration::from_secs(5), |n| n.b.announced("chat").is_some()));
    let b_chat = net.b.announced("chat").unwrap();
    let now = net.now;
    net.a.pc.close(now);
    assert!(net.a.pc.is_closed());
    assert_eq!(net.a.pc.signaling_state(), SignalingState::Closed);
    assert!(net.a.pc.create_offer().is_err());
    assert!(
        net.run_until(Duration::from_secs(5), |n| n.b.pc.connection_state()
            == PeerConnectionState::Closed)
    );
    assert!(net.b.has(|e| *e == Event::ChannelClosed(b_chat)));
    assert_eq!(net.a.pc.poll_timeout(), None);
}

#[test]
fn candidates_in_the_description_without_trickle() {
    let mut net = pair();
    net.trickle = false;
    let now = net.now;
    net.a
        .pc
        .create_data_channel(now, "chat", DataChannelInit::default())
        .unwrap();
    // Offer with its candidates: set, then read localDescription (gathering is complete
    // at once with host candidates only).
    let offer = net.a.pc.create_offer().unwrap();
    net.a.pc.set_local_description(now, offer).unwrap();
    let offer = net.a.pc.local_description().unwrap();
    assert!(offer.sdp.contains("a=candidate:"), "{}", offer.sdp);
    assert!(offer.sdp.contains("a=end-of-candidates"));
    net.b.pc.set_remote_description(now, offer).unwrap();
    let answer = net.b.pc.create_answer().unwrap();
    net.b.pc.set_local_description(now, answer).unwrap();
    let answer = net.b.pc.local_description().unwrap();
    net.a.pc.set_remote_description(now, answer).unwrap();
    assert!(net.connect());
}
