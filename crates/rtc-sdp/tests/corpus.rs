//! The corpus: real SDPs captured from Chromium, libwebrtc (@roamhq/wrtc), libdatachannel
//! (node-datachannel), aiortc and Pion on this machine by `cargo xtask interop sdp --save`, and
//! public ones from Firefox and Safari (provenance in tests/corpus/README.md). Each must
//! round-trip byte for byte, have every typed attribute written back exactly, and pass the JSEP
//! checks for its role.

#[path = "support/check.rs"]
mod check;

use std::path::PathBuf;

fn corpus() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sdp"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_corpus_sdp_round_trips_types_and_validates() {
    let files = corpus();
    let peers = [
        "chromium",
        "wrtc",
        "node-datachannel",
        "aiortc",
        "pion",
        "firefox",
        "safari",
    ];
    for peer in peers {
        assert!(
            files
                .iter()
                .any(|f| f.file_name().unwrap().to_str().unwrap().starts_with(peer)),
            "no SDP from {peer} in the corpus"
        );
    }
    let mut failures = Vec::new();
    for file in &files {
        let path = file.to_str().unwrap();
        match check::check(path) {
            Ok(summary) => println!("ok {path}: {summary}"),
            Err(reason) => failures.push(format!("{path}: {reason}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn load(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(name);
    std::fs::read_to_string(path).unwrap()
}

#[test]
fn chromium_offer_typed_view() {
    use rtc_sdp::SessionDescription;
    use rtc_sdp::attributes::{CandidateType, HashFunction, Setup, TcpType};

    let text = load("chromium-offer-av-data.sdp");
    let sd = SessionDescription::parse(&text).unwrap();
    let kinds: Vec<&str> = sd.media.iter().map(|m| &*m.media).collect();
    assert_eq!(kinds, ["audio", "video", "application"]);
    let bundle = sd.bundle_group().unwrap().unwrap();
    assert_eq!(bundle.mids, ["0", "1", "2"]);
    assert!(sd.msid_semantic().unwrap().is_some());
    for m in &sd.media {
        assert!(m.ice_options().unwrap().unwrap().trickle());
        assert_eq!(m.setup().unwrap(), Some(Setup::ActPass));
        let fp = m.fingerprints().next().unwrap().unwrap();
        assert_eq!(fp.hash, HashFunction::Sha256);
        assert_eq!(fp.bytes().unwrap().len(), 32);
        assert!(m.ice_ufrag().is_some() && m.ice_pwd().is_some());
    }
    let audio = &sd.media[0];
    assert!(audio.rtcp_mux() && audio.rtcp_rsize());
    let opus = audio.rtpmap(111).unwrap().unwrap();
    assert_eq!(
        (&*opus.encoding, opus.clock_rate, opus.channels),
        ("opus", 48000, Some(2))
    );
    let fmtp = audio.fmtp("111").unwrap().unwrap();
    assert_eq!(fmtp.minptime(), Some(10));
    assert_eq!(fmtp.useinbandfec(), Some(true));
    assert!(
        audio
            .rtcp_fbs()
            .any(|fb| fb.unwrap().kind == "transport-cc")
    );
    assert!(audio.extmaps().count() >= 3);
    let candidates: Vec<_> = audio.candidates().map(Result::unwrap).collect();
    assert!(
        candidates
            .iter()
            .all(|c| c.kind == CandidateType::Host && c.network_id().is_some())
    );
    assert!(
        candidates
            .iter()
            .any(|c| c.is_udp() && c.ip().is_some_and(|ip| ip.is_loopback()))
    );
    assert!(
        candidates
            .iter()
            .any(|c| c.tcptype() == Some(TcpType::Active))
    );

    let video = &sd.media[1];
    // Chromium pairs every video codec with an RTX payload type whose fmtp names it in apt=.
    let rtx: Vec<_> = video
        .rtpmaps()
        .map(Result::unwrap)
        .filter(|r| r.encoding == "rtx")
        .collect();
    assert!(!rtx.is_empty());
    for r in &rtx {
        let apt = video
            .fmtp(&r.payload_type.to_string())
            .unwrap()
            .unwrap()
            .apt()
            .unwrap();
        assert!(video.rtpmap(apt).unwrap().is_some());
    }
    assert!(
        video
            .fmtps()
            .map(Result::unwrap)
            .any(|f| f.profile_level_id().is_some())
    );
    assert!(
        video
            .ssrc_groups()
            .map(Result::unwrap)
            .any(|g| g.semantics == "FID")
    );

    let data = &sd.media[2];
    assert_eq!(data.protocol, "UDP/DTLS/SCTP");
    assert_eq!(data.formats, ["webrtc-datachannel"]);
    assert_eq!(data.sctp_port().unwrap(), Some(5000));
    assert_eq!(data.max_message_size().unwrap(), Some(262144));
}

#[test]
fn chromium_simulcast_offer_typed_view() {
    use rtc_sdp::SessionDescription;
    use rtc_sdp::attributes::RidDirection;

    let text = load("chromium-offer-simulcast.sdp");
    let sd = SessionDescription::parse(&text).unwrap();
    let video = sd.media.iter().find(|m| m.media == "video").unwrap();
    let rids: Vec<_> = video.rids().map(Result::unwrap).collect();
    let ids: Vec<&str> = rids.iter().map(|r| &*r.id).collect();
    assert_eq!(ids, ["hi", "mid", "lo"]);
    assert!(rids.iter().all(|r| r.direction == RidDirection::Send));
    let simulcast = video.simulcast().unwrap().unwrap();
    let send = simulcast.send.unwrap();
    let streams: Vec<&str> = send
        .0
        .iter()
        .map(|alternatives| &*alternatives[0].id)
        .collect();
    assert_eq!(streams, ["hi", "mid", "lo"]);
    assert!(simulcast.recv.is_none());
}

#[test]
fn other_stacks_typed_views() {
    use rtc_sdp::SessionDescription;

    // libdatachannel lists its ICE options with a comma.
    let text = load("node-datachannel-offer-data.sdp");
    let sd = SessionDescription::parse(&text).unwrap();
    let options = sd
        .ice_options()
        .unwrap()
        .or_else(|| sd.media[0].ice_options().unwrap())
        .unwrap();
    assert!(options.ice2() && options.trickle());

    for name in [
        "aiortc-offer-av-data.sdp",
        "pion-offer-av-data.sdp",
        "wrtc-offer-av-data.sdp",
    ] {
        let text = load(name);
        let sd = SessionDescription::parse(&text).unwrap();
        let data = sd
            .media
            .iter()
            .find(|m| m.media == "application")
            .unwrap_or_else(|| panic!("{name}: no data section"));
        assert_eq!(data.sctp_port().unwrap(), Some(5000), "{name}");
        let audio = sd.media.iter().find(|m| m.media == "audio").unwrap();
        let opus = audio
            .rtpmaps()
            .map(Result::unwrap)
            .find(|r| r.encoding.eq_ignore_ascii_case("opus"))
            .unwrap();
        assert_eq!(opus.clock_rate, 48000, "{name}");
        assert!(
            audio.candidates().count() > 0 || sd.media[0].candidates().count() > 0,
            "{name}"
        );
    }
}
