//! Whatever arrives on the socket, the connection neither panics nor breaks.

mod common;

use std::time::Duration;

use common::{Net, Peer, Rng};
use rtc_peer::{Config, DataChannelInit, PeerConnectionState, Stats};

#[test]
fn garbage_before_and_after_connection_is_dropped_and_counted() {
    let mut net = Net::new(
        Peer::new(Config::default(), "10.0.0.1:5000"),
        Peer::new(Config::default(), "10.0.0.2:6000"),
    );
    let now = net.now;
    let chat = net
        .a
        .pc
        .create_data_channel(now, "chat", DataChannelInit::default())
        .unwrap();
    let mut rng = Rng::new(99);
    let attacker = "10.0.0.66:4444".parse().unwrap();
    let garbage = |pc: &mut rtc_peer::PeerConnection, now, local, rng: &mut Rng| {
        for _ in 0..300 {
            let len = (rng.next() % 1400) as usize;
            let mut d: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
            if let Some(first) = d.first_mut() {
                // Every demultiplexing range in turn: STUN, DTLS, TURN channel, RTP.
                *first = [0u8, 1, 22, 23, 64, 128, 200][(rng.next() % 7) as usize];
            }
            pc.handle_input(now, local, attacker, &d);
        }
    };
    let (a_addr, b_addr) = (net.a.addr, net.b.addr);
    garbage(&mut net.a.pc, now, a_addr, &mut rng);
    net.negotiate();
    garbage(&mut net.b.pc, now, b_addr, &mut rng);
    assert!(net.connect());
    assert!(net.run_until(Duration::from_secs(5), |n| n.b.announced("chat").is_some()));
    let now = net.now;
    garbage(&mut net.a.pc, now, a_addr, &mut rng);
    garbage(&mut net.b.pc, now, b_addr, &mut rng);
    net.a.pc.send_text(now, chat, "still fine").unwrap();
    let remote = net.b.announced("chat").unwrap();
    assert!(net.run_until(Duration::from_secs(5), |n| n.b.messages(remote).len() == 1));
    assert_eq!(net.a.pc.connection_state(), PeerConnectionState::Connected);
    let report = net.a.pc.stats(0.0);
    let dropped = report
        .stats
        .iter()
        .find_map(|s| match s {
            Stats::Transport(t) => Some(t.packets_dropped),
            _ => None,
        })
        .unwrap();
    assert!(dropped >= 500, "dropped {dropped}");
    // The attacker's address is not one this connection accepts on a shared socket.
    assert!(!net.a.pc.accepts(attacker, &[22, 254, 253]));
}

#[test]
fn bad_descriptions_and_candidates_are_refused_with_errors() {
    let mut pc = rtc_peer::PeerConnection::new(Config::default()).unwrap();
    #[allow(clippy::disallowed_methods)]
    let now = std::time::Instant::now();
    for sdp in [
        "",
        "v=0\r\n",
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n",
        "garbage\u{0}\u{ff}",
    ] {
        assert!(
            pc.set_remote_description(now, rtc_peer::RtcSessionDescriptionInit::offer(sdp))
                .is_err()
        );
    }
    assert_eq!(pc.signaling_state(), rtc_peer::SignalingState::Stable);
    let bad = rtc_peer::RtcIceCandidateInit {
        candidate: "candidate:nonsense".into(),
        sdp_mid: Some("0".into()),
        sdp_m_line_index: Some(0),
        username_fragment: None,
    };
    assert!(pc.add_ice_candidate(now, &bad).is_err());
}
