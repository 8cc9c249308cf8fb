//! Reflect: every frame the peer sends comes back to it on a track of ours (the same codec,
//! the sender's timing), and its keyframe requests go back to it too. Signalling is one JSON
//! object per line on stdin and stdout, as `media_interop` (offer, answer, candidate); this
//! side answers, or offers with `--offer`.
//!
//! ```text
//! cargo run -p rtc --example reflect [-- --offer]
//! ```
#![allow(clippy::disallowed_methods)] // a binary with a clock

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use rtc::{
    MediaKind, PeerConnectionEvent, RTCConfiguration, RTCIceCandidateInit, RTCPeerConnection,
    RTCSdpType, RTCSessionDescription, Sample, TrackLocal, TrackRemote,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// Sends what `remote` receives on `local`, each frame lasting until the next one's RTP
/// timestamp (the last one's duration for the first).
async fn reflect(mut remote: TrackRemote, local: TrackLocal) {
    let mut previous: Option<(u32, rtc::MediaFrame)> = None;
    while let Some(frame) = remote.recv().await {
        if let Some((clock, last)) = previous.take() {
            let ticks = frame.timestamp.wrapping_sub(last.timestamp);
            let duration = Duration::from_micros(u64::from(ticks) * 1_000_000 / u64::from(clock));
            let sample = Sample {
                data: last.data.into(),
                duration: duration.min(Duration::from_millis(200)),
            };
            if let Err(e) = local.write_sample(sample).await {
                if matches!(e, rtc::Error::Closed) {
                    return;
                }
            }
        }
        previous = Some((frame.codec.clock_rate.max(1), frame));
    }
}

fn say(v: Value) {
    println!("{v}");
}

#[tokio::main]
async fn main() -> Result<(), rtc::Error> {
    let offer = std::env::args().any(|a| a == "--offer");
    let (lines_tx, mut lines) = mpsc::unbounded_channel::<Value>();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if let Ok(v) = serde_json::from_str::<Value>(&line)
                && lines_tx.send(v).is_err()
            {
                break;
            }
        }
    });
    let config = RTCConfiguration {
        bind_ip: Some([127, 0, 0, 1].into()),
        ..RTCConfiguration::default()
    };
    let pc = Arc::new(RTCPeerConnection::new(config).await?);
    let mut ours: HashMap<MediaKind, TrackLocal> = HashMap::new();
    for (kind, id) in [
        (MediaKind::Video, "reflected-video"),
        (MediaKind::Audio, "reflected-audio"),
    ] {
        ours.insert(kind, pc.add_track(kind, "reflect", id).await?);
    }
    if offer {
        let o = pc.create_offer().await?;
        pc.set_local_description(o.clone()).await?;
        say(json!({"type": "offer", "sdp": o.sdp}));
    }
    // Keyframe requests for our track of a kind go to the peer's track of that kind.
    let mut requesters: HashMap<MediaKind, rtc::KeyframeRequester> = HashMap::new();
    loop {
        tokio::select! {
            line = lines.recv() => {
                let Some(v) = line else { break };
                match v["type"].as_str() {
                    Some(kind @ ("offer" | "answer")) => {
                        let sdp_type = if kind == "offer" { RTCSdpType::Offer } else { RTCSdpType::Answer };
                        let sdp = v["sdp"].as_str().unwrap_or_default().to_owned();
                        pc.set_remote_description(RTCSessionDescription { sdp_type, sdp }).await?;
                        if sdp_type == RTCSdpType::Offer {
                            let a = pc.create_answer().await?;
                            pc.set_local_description(a.clone()).await?;
                            say(json!({"type": "answer", "sdp": a.sdp}));
                        }
                    }
                    Some("candidate") => {
                        let c = &v["candidate"];
                        let _ = pc.add_ice_candidate(RTCIceCandidateInit {
                            candidate: c["candidate"].as_str().unwrap_or_default().to_owned(),
                            sdp_mid: c["sdpMid"].as_str().map(str::to_owned),
                            sdp_m_line_index: c["sdpMLineIndex"].as_u64().and_then(|i| u16::try_from(i).ok()),
                            username_fragment: c["usernameFragment"].as_str().map(str::to_owned),
                        }).await;
                    }
                    _ => {}
                }
            }
            event = pc.next_event() => match event {
                Some(PeerConnectionEvent::IceCandidate(c)) => say(json!({"type": "candidate", "candidate": {
                    "candidate": c.candidate, "sdpMid": c.sdp_mid, "sdpMLineIndex": c.sdp_m_line_index,
                }})),
                Some(PeerConnectionEvent::Track(track)) => {
                    let kind = track.kind();
                    eprintln!("reflecting {kind:?} (mid {})", track.mid());
                    requesters.insert(kind, track.keyframe_requester());
                    if let Some(local) = ours.get(&kind) {
                        tokio::spawn(reflect(track, local.clone()));
                    }
                }
                Some(PeerConnectionEvent::KeyframeRequest(id)) => {
                    let kind = ours.iter().find(|(_, t)| t.transceiver() == id).map(|(k, _)| *k);
                    if let Some(r) = kind.and_then(|k| requesters.get(&k)) {
                        r.request_keyframe();
                    }
                }
                Some(PeerConnectionEvent::ConnectionStateChange(s)) => eprintln!("connection {s:?}"),
                Some(_) => {}
                None => break,
            }
        }
    }
    pc.close().await;
    Ok(())
}
