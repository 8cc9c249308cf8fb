//! The W3C signaling rules: what may be set when, rollback, and descriptions browsers accept.

use rtc_peer::{
    Config, DataChannelInit, Error, PeerConnection, RtcSessionDescriptionInit, SdpType,
    SignalingState,
};

#[allow(clippy::disallowed_methods)]
fn now() -> std::time::Instant {
    std::time::Instant::now()
}

#[test]
fn an_answer_in_stable_and_an_offer_during_an_offer_are_invalid_state() {
    let mut a = PeerConnection::new(Config::default()).unwrap();
    let mut b = PeerConnection::new(Config::default()).unwrap();
    a.create_data_channel(now(), "x", DataChannelInit::default())
        .unwrap();
    let offer = a.create_offer().unwrap();
    assert!(matches!(
        b.set_remote_description(now(), RtcSessionDescriptionInit::answer(offer.sdp.clone())),
        Err(Error::InvalidState { .. })
    ));
    a.set_local_description(now(), offer.clone()).unwrap();
    // Glare: a remote offer while ours is pending.
    b.create_data_channel(now(), "y", DataChannelInit::default())
        .unwrap();
    let other = b.create_offer().unwrap();
    assert!(matches!(
        a.set_remote_description(now(), other),
        Err(Error::InvalidState { .. })
    ));
    assert!(matches!(a.create_answer(), Err(Error::InvalidState { .. })));
}

#[test]
fn only_our_last_description_may_be_set_locally() {
    let mut a = PeerConnection::new(Config::default()).unwrap();
    a.create_data_channel(now(), "x", DataChannelInit::default())
        .unwrap();
    let offer = a.create_offer().unwrap();
    let edited = RtcSessionDescriptionInit::offer(offer.sdp.replace("a=mid:0", "a=mid:9"));
    assert_eq!(
        a.set_local_description(now(), edited),
        Err(Error::NotOurDescription)
    );
    assert_eq!(a.signaling_state(), SignalingState::Stable);
}

#[test]
fn rollback_returns_to_stable_and_a_new_offer_follows() {
    let mut a = PeerConnection::new(Config::default()).unwrap();
    a.create_data_channel(now(), "x", DataChannelInit::default())
        .unwrap();
    let offer = a.create_offer().unwrap();
    a.set_local_description(now(), offer).unwrap();
    assert_eq!(a.signaling_state(), SignalingState::HaveLocalOffer);
    a.set_local_description(
        now(),
        RtcSessionDescriptionInit {
            sdp_type: SdpType::Rollback,
            sdp: String::new(),
        },
    )
    .unwrap();
    assert_eq!(a.signaling_state(), SignalingState::Stable);
    let again = a.create_offer().unwrap();
    a.set_local_description(now(), again).unwrap();
    assert_eq!(a.signaling_state(), SignalingState::HaveLocalOffer);
}

#[test]
fn our_offer_passes_the_jsep_checks_and_has_what_browsers_need() {
    let mut a = PeerConnection::new(Config::default()).unwrap();
    a.create_data_channel(now(), "x", DataChannelInit::default())
        .unwrap();
    let offer = a.create_offer().unwrap();
    let parsed = rtc_sdp::SessionDescription::parse(&offer.sdp).unwrap();
    rtc_sdp::validate::offer(&parsed).unwrap();
    for needed in [
        "a=group:BUNDLE 0",
        "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
        "a=setup:actpass",
        "a=fingerprint:sha-256 ",
        "a=sctp-port:5000",
        "a=max-message-size:262144",
        "a=ice-options:trickle",
    ] {
        assert!(
            offer.sdp.contains(needed),
            "{needed} missing from\n{}",
            offer.sdp
        );
    }
    // The answer to a browser's offer with audio and video takes all three sections: the
    // media ones receive only (no track of ours), in one BUNDLE group.
    let browser_offer = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
a=group:BUNDLE 0 1 2\r\na=msid-semantic: WMS\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n\
a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=ice-options:trickle\r\n\
a=fingerprint:sha-256 01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F:20\r\n\
a=setup:actpass\r\na=mid:0\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:111 opus/48000/2\r\n\
m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n\
a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=ice-options:trickle\r\n\
a=fingerprint:sha-256 01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F:20\r\n\
a=setup:actpass\r\na=mid:1\r\na=sendrecv\r\na=rtcp-mux\r\na=rtpmap:96 VP8/90000\r\n\
m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n\
a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\na=ice-options:trickle\r\n\
a=fingerprint:sha-256 01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F:20\r\n\
a=setup:actpass\r\na=mid:2\r\na=sctp-port:5000\r\na=max-message-size:262144\r\n";
    let mut b = PeerConnection::new(Config::default()).unwrap();
    b.set_remote_description(now(), RtcSessionDescriptionInit::offer(browser_offer))
        .unwrap();
    let answer = b.create_answer().unwrap();
    let offer = rtc_sdp::SessionDescription::parse(browser_offer).unwrap();
    let parsed = rtc_sdp::SessionDescription::parse(&answer.sdp).unwrap();
    rtc_sdp::validate::answer(&offer, &parsed).unwrap();
    assert_eq!(parsed.media.len(), 3);
    assert!(parsed.media.iter().all(|m| m.port == 9));
    assert!(answer.sdp.contains("a=group:BUNDLE 0 1 2\r\n"));
    assert!(answer.sdp.contains("m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"));
    assert!(answer.sdp.contains("m=video 9 UDP/TLS/RTP/SAVPF 96\r\n"));
    assert_eq!(answer.sdp.matches("a=recvonly").count(), 2);
    assert!(answer.sdp.contains("a=setup:active"));
    b.set_local_description(now(), answer).unwrap();
    assert_eq!(b.signaling_state(), SignalingState::Stable);
}

/// Pion v3 signals every candidate with `"sdpMid": ""` (and `"sdpMLineIndex": 0`): taken as no
/// mid, as libwebrtc does. A mid we do not have is still refused.
#[test]
fn an_empty_sdp_mid_is_no_mid() {
    let mut a = PeerConnection::new(Config::default()).unwrap();
    let mut b = PeerConnection::new(Config::default()).unwrap();
    a.create_data_channel(now(), "x", DataChannelInit::default())
        .unwrap();
    let offer = a.create_offer().unwrap();
    a.set_local_description(now(), offer.clone()).unwrap();
    b.set_remote_description(now(), offer).unwrap();
    let candidate = |mid: &str| rtc_peer::RtcIceCandidateInit {
        candidate: "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host".into(),
        sdp_mid: Some(mid.into()),
        sdp_m_line_index: Some(0),
        username_fragment: None,
    };
    assert_eq!(b.add_ice_candidate(now(), &candidate("")), Ok(()));
    assert!(matches!(
        b.add_ice_candidate(now(), &candidate("7")),
        Err(Error::Candidate(_))
    ));
}

/// The SCTP INIT carries no Zero Checksum Acceptable parameter by default: pion/sctp before
/// 2024 drops a whole INIT or INIT ACK with it (see `Config::default`).
#[test]
fn zero_checksum_is_not_announced_by_default() {
    assert!(!Config::default().sctp.zero_checksum);
}
