//! Reflect: every frame the peer sends comes back to it on a track of ours (the same codec,
//! the sender's timing), and its keyframe requests go back to it too. Signalling is one JSON
//! object per line on stdin and stdout (`shared/media.rs`, as `play_from_disk` and
//! `save_to_disk`); this side answers, or offers with `--offer`. It reflects until the peer
//! says `complete` or `done`, or stdin ends; then it says `done`.
//!
//! ```text
//! cargo run -p rtc --example reflect [-- --offer]
//! ```
#![allow(clippy::disallowed_methods)] // a binary with a clock

#[path = "shared/media.rs"]
mod media;

use std::collections::HashMap;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use rtc::{
    MediaKind, PeerConnectionEvent, RTCPeerConnectionState, Sample, TrackLocal, TrackRemote,
};
use serde_json::Value;
use tokio::sync::mpsc;

/// Sends what `remote` receives on `local`, each frame lasting until the next one's RTP
/// timestamp (the last one's duration for the first); counts them in `sent`.
async fn reflect(mut remote: TrackRemote, local: TrackLocal, sent: Arc<AtomicU64>) {
    let mut previous: Option<(u32, rtc::MediaFrame)> = None;
    while let Some(frame) = remote.recv().await {
        if let Some((clock, last)) = previous.take() {
            let ticks = frame.timestamp.wrapping_sub(last.timestamp);
            let duration = Duration::from_micros(u64::from(ticks) * 1_000_000 / u64::from(clock));
            let sample = Sample {
                data: last.data.into(),
                duration: duration.min(Duration::from_millis(200)),
            };
            match local.write_sample(sample).await {
                Ok(()) => {
                    sent.fetch_add(1, Ordering::Relaxed);
                }
                Err(rtc::Error::Closed) => return,
                Err(_) => {}
            }
        }
        previous = Some((frame.codec.clock_rate.max(1), frame));
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let offer = std::env::args().any(|a| a == "--offer");
    let mut lines = media::stdin_lines();
    let outcome = run(offer, &mut lines).await;
    media::done(&outcome, &mut lines).await
}

async fn run(offer: bool, lines: &mut mpsc::UnboundedReceiver<Value>) -> Result<String, String> {
    let pc = media::peer_connection().await?;
    let mut ours: HashMap<MediaKind, TrackLocal> = HashMap::new();
    for (kind, id) in [
        (MediaKind::Video, "reflected-video"),
        (MediaKind::Audio, "reflected-audio"),
    ] {
        let track = pc
            .add_track(kind, "reflect", id)
            .await
            .map_err(|e| e.to_string())?;
        ours.insert(kind, track);
    }
    if offer {
        media::offer(&pc).await?;
    }
    let reflected: HashMap<MediaKind, Arc<AtomicU64>> = [MediaKind::Video, MediaKind::Audio]
        .into_iter()
        .map(|k| (k, Arc::new(AtomicU64::new(0))))
        .collect();
    // Keyframe requests for our track of a kind go to the peer's track of that kind.
    let mut requesters: HashMap<MediaKind, rtc::KeyframeRequester> = HashMap::new();
    let outcome = loop {
        tokio::select! {
            line = lines.recv() => {
                let Some(v) = line else { break Ok("stdin ended".to_owned()) };
                match media::apply(&pc, &v).await?.as_str() {
                    "complete" => break Ok(format!("the peer: {v}")),
                    "done" if v["ok"] == true => break Ok("the peer is done".to_owned()),
                    "done" => break Err(format!("the peer failed: {v}")),
                    _ => {}
                }
            }
            event = pc.next_event() => match event {
                Some(PeerConnectionEvent::IceCandidate(c)) => media::say_candidate(&c),
                Some(PeerConnectionEvent::Track(track)) => {
                    let kind = track.kind();
                    eprintln!("reflecting {kind:?} (mid {})", track.mid());
                    requesters.insert(kind, track.keyframe_requester());
                    if let (Some(local), Some(count)) = (ours.get(&kind), reflected.get(&kind)) {
                        tokio::spawn(reflect(track, local.clone(), Arc::clone(count)));
                    }
                }
                Some(PeerConnectionEvent::KeyframeRequest(id)) => {
                    let kind = ours.iter().find(|(_, t)| t.transceiver() == id).map(|(k, _)| *k);
                    if let Some(r) = kind.and_then(|k| requesters.get(&k)) {
                        r.request_keyframe();
                    }
                }
                Some(PeerConnectionEvent::ConnectionStateChange(state)) => {
                    eprintln!("connection {state:?}");
                    if state == RTCPeerConnectionState::Failed {
                        break Err("the connection failed".to_owned());
                    }
                }
                Some(_) => {}
                None => break Err("the peer connection ended".to_owned()),
            },
        }
    };
    pc.close().await;
    let count = |k| reflected[&k].load(Ordering::Relaxed);
    outcome.map(|why| {
        format!(
            "reflected {} video frames and {} audio frames; {why}",
            count(MediaKind::Video),
            count(MediaKind::Audio)
        )
    })
}
