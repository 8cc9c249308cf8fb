//! The JSON shapes browsers give and take: `RTCSessionDescriptionInit` and `RTCIceCandidateInit`.

use rtc_sdp::jsep::{RtcIceCandidateInit, RtcSessionDescriptionInit, SdpType};

#[test]
fn session_description_init_matches_the_browser_shape() {
    // `JSON.stringify(pc.localDescription)` in Chromium.
    let json = r#"{"type":"offer","sdp":"v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"}"#;
    let init: RtcSessionDescriptionInit = serde_json::from_str(json).unwrap();
    assert_eq!(init.sdp_type, SdpType::Offer);
    assert_eq!(init.parse().unwrap().origin.session_version, "2");
    assert_eq!(serde_json::to_string(&init).unwrap(), json);
    for (text, ty) in [
        ("offer", SdpType::Offer),
        ("pranswer", SdpType::Pranswer),
        ("answer", SdpType::Answer),
        ("rollback", SdpType::Rollback),
    ] {
        let init: RtcSessionDescriptionInit =
            serde_json::from_str(&format!(r#"{{"type":"{text}"}}"#)).unwrap();
        assert_eq!(init.sdp_type, ty);
        assert_eq!(init.sdp, "");
    }
    assert!(serde_json::from_str::<RtcSessionDescriptionInit>(r#"{"type":"Offer"}"#).is_err());
    assert!(serde_json::from_str::<RtcSessionDescriptionInit>(r#"{"sdp":"v=0"}"#).is_err());
}

#[test]
fn ice_candidate_init_matches_the_browser_shape() {
    // `JSON.stringify(event.candidate)` in Chromium 156.
    let json = r#"{"candidate":"candidate:1467250027 1 udp 2122260223 127.0.0.1 46243 typ host generation 0 ufrag EsAw network-id 1","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"EsAw"}"#;
    let init: RtcIceCandidateInit = serde_json::from_str(json).unwrap();
    assert_eq!(init.sdp_mid.as_deref(), Some("0"));
    assert_eq!(init.sdp_m_line_index, Some(0));
    assert_eq!(init.username_fragment.as_deref(), Some("EsAw"));
    let candidate = init.parse_candidate().unwrap().unwrap();
    assert_eq!(candidate.port, 46243);
    assert_eq!(candidate.ufrag(), Some("EsAw"));
    assert_eq!(serde_json::to_string(&init).unwrap(), json);
    let rebuilt = RtcIceCandidateInit::from_candidate(&candidate, Some("0"), Some(0), Some("EsAw"));
    assert_eq!(rebuilt, init);

    // End of candidates, and the members a browser may leave null or out.
    let end: RtcIceCandidateInit =
        serde_json::from_str(r#"{"candidate":"","sdpMid":null,"sdpMLineIndex":null}"#).unwrap();
    assert!(end.is_end_of_candidates());
    assert_eq!(end.parse_candidate(), Ok(None));
    assert_eq!(end.username_fragment, None);
    assert_eq!(
        serde_json::to_string(&end).unwrap(),
        r#"{"candidate":"","sdpMid":null,"sdpMLineIndex":null,"usernameFragment":null}"#
    );
    let bad: RtcIceCandidateInit = serde_json::from_str(r#"{"candidate":"candidate:x"}"#).unwrap();
    assert!(bad.parse_candidate().is_err());
}
