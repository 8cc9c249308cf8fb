//! Save to disk: what a peer (a browser's camera and microphone) sends goes into an IVF file
//! (VP8) and an Ogg file (Opus), as Pion's and webrtc-rs's examples of the name do.
//!
//! ```text
//! cargo run -p rtc --example save_to_disk -- [--offer] [--out DIR] [--frames N]
//! ```
//!
//! It writes `DIR/received.ivf` and `DIR/received.ogg` (DIR defaults to `.`) as frames come,
//! and ends them (IVF frame count, last Ogg page) when it stops: once it has N video frames
//! (default 300, 10 s at 30 fps) and 50 audio frames and the peer said `complete`, or when
//! the peer says `done` or stdin ends. `ffplay DIR/received.ivf` plays the result.
//!
//! Signalling is one JSON object per line on stdin and stdout (`shared/media.rs`): it answers
//! the peer's offer, or offers to receive audio and video with `--offer`. It says `complete`
//! when it has the frames, and `done` last.
#![allow(clippy::disallowed_methods)] // a binary with a clock

#[path = "shared/media.rs"]
mod media;

use std::path::PathBuf;
use std::process::ExitCode;

use rtc::{
    MediaKind, PeerConnectionEvent, RTCPeerConnectionState, RTCRtpTransceiverDirection,
    RTCRtpTransceiverInit,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use media::Progress;

#[tokio::main]
async fn main() -> ExitCode {
    let mut offer = false;
    let mut out = PathBuf::from(".");
    let mut frames = 300;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let ok = match arg.as_str() {
            "--offer" => {
                offer = true;
                true
            }
            "--out" => args.next().map(|dir| out = PathBuf::from(dir)).is_some(),
            "--frames" => args
                .next()
                .and_then(|n| n.parse().ok())
                .map(|n| frames = n)
                .is_some(),
            _ => false,
        };
        if !ok {
            eprintln!("usage: save_to_disk [--offer] [--out DIR] [--frames N]");
            return ExitCode::from(2);
        }
    }
    let mut lines = media::stdin_lines();
    let outcome = save(offer, &out, frames, &mut lines).await;
    media::done(&outcome, &mut lines).await
}

async fn save(
    offer: bool,
    out: &std::path::Path,
    wanted: usize,
    lines: &mut mpsc::UnboundedReceiver<Value>,
) -> Result<String, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let pc = media::peer_connection().await?;
    if offer {
        // Receive-only sections; answering, the peer's offer makes them.
        for kind in [MediaKind::Video, MediaKind::Audio] {
            let init = RTCRtpTransceiverInit {
                direction: RTCRtpTransceiverDirection::RecvOnly,
                ..RTCRtpTransceiverInit::default()
            };
            pc.add_transceiver(kind, init)
                .await
                .map_err(|e| e.to_string())?;
        }
        media::offer(&pc).await?;
    }
    let (updates, mut progress) = mpsc::unbounded_channel();
    let mut recordings = Vec::new();
    let (mut video, mut audio) = (Progress::default(), Progress::default());
    let mut complete = false;
    let mut peer_complete = false;
    let outcome = loop {
        if !complete && video.frames >= wanted && video.keyframes > 0 && audio.frames >= 50 {
            complete = true;
            media::say(
                json!({"type": "complete", "videoFrames": video.frames, "audioFrames": audio.frames}),
            );
        }
        if complete && peer_complete {
            break Ok(());
        }
        tokio::select! {
            line = lines.recv() => {
                let Some(v) = line else { break Ok(()) };
                match media::apply(&pc, &v).await?.as_str() {
                    "complete" => peer_complete = true,
                    "done" if v["ok"] == true => break Ok(()),
                    "done" => break Err(format!("the peer failed: {v}")),
                    _ => {}
                }
            }
            event = pc.next_event() => match event {
                Some(PeerConnectionEvent::IceCandidate(c)) => media::say_candidate(&c),
                Some(PeerConnectionEvent::Track(track)) => {
                    let file = out.join(match track.kind() {
                        MediaKind::Video => "received.ivf",
                        MediaKind::Audio => "received.ogg",
                    });
                    eprintln!("saving {:?} (mid {}) to {}", track.kind(), track.mid(), file.display());
                    recordings.push(media::record(track, &file, updates.clone())?);
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
            Some((kind, p)) = progress.recv() => match kind {
                MediaKind::Video => video = p,
                MediaKind::Audio => audio = p,
            },
        }
    };
    // The files are whole before `done`, whatever the outcome.
    for r in &recordings {
        r.lock().map_err(|_| "a recording panicked")?.finish()?;
    }
    pc.close().await;
    outcome?;
    if !complete {
        return Err(format!(
            "stopped with {} video frames ({} keyframes) and {} audio frames, not {wanted} and 50",
            video.frames, video.keyframes, audio.frames
        ));
    }
    Ok(format!(
        "saved {} {} frames ({} keyframes) to received.ivf and {} {} packets to received.ogg in {}",
        video.frames,
        video.codec,
        video.keyframes,
        audio.frames,
        audio.codec,
        out.display()
    ))
}
