//! Audio and video between two peer connections on virtual time: negotiation of
//! transceivers, SRTP keyed by DTLS, frames through packetization, the jitter buffer and
//! NACK/RTX under loss, keyframe requests, and bad SRTP from the network.

mod common;

use std::time::Duration;

use common::{Net, Peer};
use rtc_peer::{Config, Direction, Event, MediaKind, TrackInfo, TransceiverId};

fn pair() -> Net {
    Net::new(
        Peer::new(Config::default(), "10.0.0.1:5000"),
        Peer::new(Config::default(), "10.0.0.2:6000"),
    )
}

fn track(id: &str) -> TrackInfo {
    TrackInfo {
        stream_id: "stream".to_owned(),
        track_id: id.to_owned(),
    }
}

/// A VP8 frame the depacketizer takes: a keyframe (P bit clear, start code) every
/// `key_every`, payload bytes that name the frame.
fn vp8_frame(i: usize, len: usize, key: bool) -> Vec<u8> {
    let mut f = vec![0u8; len];
    if key {
        f[..6].copy_from_slice(&[0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a]);
    } else {
        f[0] = 0x11;
    }
    for (j, b) in f.iter_mut().enumerate().skip(6) {
        *b = (i * 31 + j) as u8;
    }
    f
}

fn frames_of(p: &Peer, id: TransceiverId) -> Vec<Vec<u8>> {
    p.events
        .iter()
        .filter_map(|e| match e {
            Event::MediaFrame { transceiver, frame } if *transceiver == id => {
                Some(frame.data.clone())
            }
            _ => None,
        })
        .collect()
}

fn track_event(p: &Peer, kind: MediaKind) -> Option<(TransceiverId, Option<TrackInfo>)> {
    p.events.iter().find_map(|e| match e {
        Event::Track {
            transceiver,
            kind: k,
            track,
            ..
        } if *k == kind => Some((*transceiver, track.clone())),
        _ => None,
    })
}

/// Writes `count` video frames (one every 30 ms) and, with `audio`, audio frames (every
/// 10 ms) from `a`, on the clock.
fn send(net: &mut Net, video: TransceiverId, audio: Option<TransceiverId>, count: usize) {
    for i in 0..count {
        let now = net.now;
        net.a
            .pc
            .write_frame(
                now,
                video,
                &vp8_frame(i, 3000, i % 10 == 0),
                Duration::from_millis(30),
            )
            .unwrap();
        for _ in 0..3 {
            if let Some(audio) = audio {
                let now = net.now;
                net.a
                    .pc
                    .write_frame(now, audio, &[i as u8; 100], Duration::from_millis(10))
                    .unwrap();
            }
            net.advance(Duration::from_millis(10));
        }
    }
}

fn connected_av() -> (Net, TransceiverId, TransceiverId) {
    let mut net = pair();
    let video = net.a.pc.add_track(MediaKind::Video, track("cam")).unwrap();
    let audio = net.a.pc.add_track(MediaKind::Audio, track("mic")).unwrap();
    net.negotiate();
    assert!(net.connect(), "connected in {:?}", net.elapsed());
    (net, video, audio)
}

#[test]
fn video_and_audio_frames_arrive_whole_and_in_order() {
    let (mut net, video, audio) = connected_av();
    let offer = net.a.pc.local_description().unwrap().sdp;
    assert!(
        offer.contains("m=video 9 UDP/TLS/RTP/SAVPF 96 97"),
        "{offer}"
    );
    assert!(offer.contains("a=group:BUNDLE 0 1"), "{offer}");
    let answer = net.b.pc.remote_description().unwrap().sdp.clone();
    assert!(answer.contains("a=msid:stream cam"), "{answer}");

    let (remote_video, info) = track_event(&net.b, MediaKind::Video).expect("video track event");
    assert_eq!(info, Some(track("cam")));
    let (remote_audio, _) = track_event(&net.b, MediaKind::Audio).expect("audio track event");
    let (_, mid, _, current) = net.b.pc.transceiver_info(remote_video).unwrap();
    assert_eq!(mid, Some("0"));
    assert_eq!(current, Some(Direction::RecvOnly));
    assert_eq!(net.a.pc.send_codec(video).unwrap().name(), "VP8");
    assert_eq!(net.a.pc.send_codec(audio).unwrap().name(), "opus");

    send(&mut net, video, Some(audio), 30);
    net.run_until(Duration::from_secs(1), |_| false);
    let got = frames_of(&net.b, remote_video);
    let want: Vec<Vec<u8>> = (0..30).map(|i| vp8_frame(i, 3000, i % 10 == 0)).collect();
    assert_eq!(got.len(), want.len());
    assert!(got == want, "video frames differ");
    let audio_frames = frames_of(&net.b, remote_audio);
    assert_eq!(audio_frames.len(), 90, "audio frames");
    assert!(audio_frames.iter().all(|f| f.len() == 100));
    assert_eq!(net.b.pc.media_counters().srtp_dropped, 0);
}

#[test]
fn transport_wide_feedback_reports_every_packet() {
    let (mut net, video, audio) = connected_av();
    let offer = net.a.pc.local_description().unwrap().sdp;
    assert!(offer.contains("a=rtcp-fb:96 transport-cc"), "{offer}");
    assert!(
        offer.contains(
            "a=extmap:3 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
        ),
        "{offer}"
    );
    // 30 VP8 frames of 3000 bytes in 3 packets each, 90 Opus frames in one each.
    send(&mut net, video, Some(audio), 30);
    net.run_until(Duration::from_secs(1), |_| false);
    let (a, b) = (net.a.pc.media_counters(), net.b.pc.media_counters());
    // Feedback every 100 ms while packets arrive (draft-holmer §3.1).
    assert!(b.twcc_feedback_sent >= 9, "{b:?}");
    assert_eq!(a.twcc_feedback_received, b.twcc_feedback_sent, "{a:?}");
    assert_eq!(a.twcc_packets_received, 180, "{a:?}");
    assert_eq!(a.twcc_packets_lost, 0, "{a:?}");

    // With loss on the way, the feedback names packets lost.
    net.loss = 0.1;
    send(&mut net, video, Some(audio), 30);
    net.loss = 0.0;
    net.run_until(Duration::from_secs(1), |_| false);
    let a = net.a.pc.media_counters();
    assert!(a.twcc_packets_lost > 0, "{a:?}");
    assert!(a.twcc_packets_received > 180, "{a:?}");
}

/// Frames of 100 that arrive whole with 5% loss each way and 20 ms latency.
fn frames_through_loss(repair: bool) -> usize {
    let mut net = pair();
    let video = net.a.pc.add_track(MediaKind::Video, track("cam")).unwrap();
    if !repair {
        let mut vp8 = rtc_peer::default_codecs(MediaKind::Video);
        vp8.truncate(1);
        vp8[0].rtx_payload_type = None;
        vp8[0].feedback.retain(|f| !f.starts_with("nack"));
        net.a.pc.set_codec_preferences(video, vp8).unwrap();
    }
    net.negotiate();
    assert!(net.connect());
    let (remote_video, _) = track_event(&net.b, MediaKind::Video).unwrap();
    net.loss = 0.05;
    net.latency = Duration::from_millis(20);
    send(&mut net, video, None, 100);
    net.loss = 0.0;
    net.run_until(Duration::from_secs(2), |_| false);
    let got = frames_of(&net.b, remote_video);
    let want: Vec<Vec<u8>> = (0..100).map(|i| vp8_frame(i, 3000, i % 10 == 0)).collect();
    // Every frame that arrived is whole and in order; RTX brought back nearly all.
    let mut it = want.iter();
    for f in &got {
        assert!(it.any(|w| w == f), "a frame out of order or corrupted");
    }
    got.len()
}

#[test]
fn nack_and_rtx_repair_loss() {
    let repaired = frames_through_loss(true);
    let unrepaired = frames_through_loss(false);
    // Three packets a frame: without repair about one frame in seven loses one.
    assert!(repaired >= 97, "{repaired} of 100 frames with NACK and RTX");
    assert!(unrepaired <= 92, "{unrepaired} of 100 frames without");
}

#[test]
fn answerer_sends_back_and_keyframes_are_requested() {
    let mut net = pair();
    let video = net.a.pc.add_track(MediaKind::Video, track("cam")).unwrap();
    // The answerer adds its own track after the offer: the offer's transceiver is reused.
    let now = net.now;
    let offer = net.a.pc.create_offer().unwrap();
    net.a.pc.set_local_description(now, offer.clone()).unwrap();
    net.b.pc.set_remote_description(now, offer).unwrap();
    let back = net.b.pc.add_track(MediaKind::Video, track("back")).unwrap();
    assert_eq!(
        net.b.pc.transceivers(),
        [back],
        "the offer's transceiver was reused"
    );
    let answer = net.b.pc.create_answer().unwrap();
    assert!(answer.sdp.contains("a=sendrecv"), "{}", answer.sdp);
    net.b.pc.set_local_description(now, answer.clone()).unwrap();
    net.a.pc.set_remote_description(now, answer).unwrap();
    assert!(net.connect());
    let (at_a, info) = track_event(&net.a, MediaKind::Video).expect("track at the offerer");
    assert_eq!(at_a, video);
    assert_eq!(info, Some(track("back")));

    let now = net.now;
    for i in 0..3 {
        net.b
            .pc
            .write_frame(
                now,
                back,
                &vp8_frame(i, 500, i == 0),
                Duration::from_millis(33),
            )
            .unwrap();
    }
    net.run_until(Duration::from_secs(1), |n| {
        frames_of(&n.a, video).len() == 3
    });
    assert_eq!(frames_of(&net.a, video).len(), 3);

    let now = net.now;
    net.a.pc.request_keyframe(now, video);
    assert!(net.run_until(Duration::from_secs(1), |n| {
        n.b.has(|e| *e == Event::KeyframeRequest(back))
    }));
}

#[test]
fn forged_and_garbage_srtp_is_dropped_and_media_carries_on() {
    let (mut net, video, _) = connected_av();
    let (remote_video, _) = track_event(&net.b, MediaKind::Video).unwrap();
    send(&mut net, video, None, 5);
    let now = net.now;
    let (to, from) = (net.b.addr, net.a.addr);
    let mut rng = common::Rng::new(3);
    for i in 0..200 {
        let len = 1 + (rng.next() % 300) as usize;
        let mut d: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        d[0] = 0x80 | (d[0] & 0x3F);
        if i % 2 == 0 && len > 1 {
            d[1] = 200; // an RTCP packet type
        }
        net.b.pc.handle_input(now, to, from, &d);
    }
    let counters = net.b.pc.media_counters();
    assert!(counters.srtp_dropped >= 150, "{counters:?}");
    send(&mut net, video, None, 10);
    net.run_until(Duration::from_secs(1), |_| false);
    assert_eq!(frames_of(&net.b, remote_video).len(), 15);
}

#[test]
fn sections_for_codecs_in_common_only() {
    let mut net = pair();
    let video = net.a.pc.add_track(MediaKind::Video, track("cam")).unwrap();
    let h264_only: Vec<_> = rtc_peer::default_codecs(MediaKind::Video)
        .into_iter()
        .filter(|c| c.name() == "H264")
        .collect();
    net.a.pc.set_codec_preferences(video, h264_only).unwrap();
    let vp8_only: Vec<_> = rtc_peer::default_codecs(MediaKind::Video)
        .into_iter()
        .filter(|c| c.name() == "VP8")
        .collect();
    let now = net.now;
    let offer = net.a.pc.create_offer().unwrap();
    assert!(
        offer
            .sdp
            .contains("m=video 9 UDP/TLS/RTP/SAVPF 102 103\r\n"),
        "{}",
        offer.sdp
    );
    net.a.pc.set_local_description(now, offer.clone()).unwrap();
    net.b.pc.set_remote_description(now, offer).unwrap();
    let theirs = net.b.pc.transceivers()[0];
    net.b.pc.set_codec_preferences(theirs, vp8_only).unwrap();
    let answer = net.b.pc.create_answer().unwrap();
    assert!(
        answer.sdp.contains("m=video 0 "),
        "rejected: {}",
        answer.sdp
    );
}

/// Chromium's offer with three simulcast layers (`a=rid:hi/mid/lo send`, `a=simulcast:send
/// hi;mid;lo`): the answer receives each of them (RFC 8853 §5.3), and the application gets
/// a track per layer.
#[test]
#[allow(clippy::disallowed_methods)] // a test picks its start time
fn a_simulcast_offer_is_answered_with_each_layer_received() {
    let offer = include_str!("../../rtc-sdp/tests/corpus/chromium-offer-simulcast.sdp");
    let mut p = Peer::new(Config::default(), "10.0.0.2:6000");
    let now = std::time::Instant::now();
    p.pc.set_remote_description(
        now,
        rtc_peer::RtcSessionDescriptionInit::offer(
            offer.replace("\r\n", "\n").replace('\n', "\r\n"),
        ),
    )
    .unwrap();
    let answer = p.pc.create_answer().unwrap().sdp;
    let video = &answer[answer.find("m=video").expect("a video section")..];
    assert!(
        video.contains(
            "a=rid:hi recv\r\na=rid:mid recv\r\na=rid:lo recv\r\na=simulcast:recv hi;mid;lo\r\n"
        ),
        "{video}"
    );
    assert!(
        video.contains("urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"),
        "{video}"
    );
    let audio = &answer[..answer.find("m=video").unwrap()];
    assert!(!audio.contains("a=simulcast"), "{audio}");
    let answer = p.pc.create_answer().unwrap();
    p.pc.set_local_description(now, answer).unwrap();
    while let Some(e) = p.pc.poll_event() {
        p.events.push(e);
    }
    let mut rids: Vec<Option<String>> = p
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Track {
                kind: MediaKind::Video,
                rid,
                ..
            } => Some(rid.clone()),
            _ => None,
        })
        .collect();
    rids.sort();
    assert_eq!(
        rids,
        [Some("hi".into()), Some("lo".into()), Some("mid".into())]
    );
}
