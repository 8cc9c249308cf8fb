//! Play from disk: sends VP8 from an IVF file and Opus from an Ogg file to a peer (a browser),
//! looped on the clock, as Pion's and webrtc-rs's examples of the name do.
//!
//! ```text
//! cargo run -p rtc --example play_from_disk -- [--offer] [--video FILE.ivf] [--audio FILE.ogg]
//! ```
//!
//! Without files it plays the fixtures of crates/rtc-media/tests/data (built in). Make your
//! own with ffmpeg: `ffmpeg -i in.mp4 -c:v libvpx -b:v 1M -g 30 out.ivf` and
//! `ffmpeg -i in.mp4 -c:a libopus -vn out.ogg`.
//!
//! Signalling is one JSON object per line on stdin and stdout (`shared/media.rs`): it answers
//! the peer's offer, or offers first with `--offer`. It plays until the peer says `complete`
//! or `done`, or stdin ends; then it says `done`.
#![allow(clippy::disallowed_methods)] // a binary with a clock

#[path = "shared/media.rs"]
mod media;

use std::process::ExitCode;
use std::sync::Arc;

use rtc::{MediaKind, PeerConnectionEvent, RTCPeerConnectionState};
use serde_json::Value;
use tokio::sync::mpsc;

#[tokio::main]
async fn main() -> ExitCode {
    let mut offer = false;
    let mut video = media::VIDEO.to_vec();
    let mut audio = media::AUDIO.to_vec();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let file = match arg.as_str() {
            "--offer" => {
                offer = true;
                continue;
            }
            "--video" => &mut video,
            "--audio" => &mut audio,
            _ => {
                eprintln!("usage: play_from_disk [--offer] [--video FILE.ivf] [--audio FILE.ogg]");
                return ExitCode::from(2);
            }
        };
        match args.next().map(std::fs::read) {
            Some(Ok(bytes)) => *file = bytes,
            _ => {
                eprintln!("{arg}: cannot read the file");
                return ExitCode::from(2);
            }
        }
    }
    let mut lines = media::stdin_lines();
    let outcome = play(offer, video, audio, &mut lines).await;
    media::done(&outcome, &mut lines).await
}

async fn play(
    offer: bool,
    video: Vec<u8>,
    audio: Vec<u8>,
    lines: &mut mpsc::UnboundedReceiver<Value>,
) -> Result<String, String> {
    let pc = media::peer_connection().await?;
    // A track of each kind; answering, they take the sections of the peer's offer.
    let video_track = pc
        .add_track(MediaKind::Video, "rtc", "video")
        .await
        .map_err(|e| e.to_string())?;
    let audio_track = pc
        .add_track(MediaKind::Audio, "rtc", "audio")
        .await
        .map_err(|e| e.to_string())?;
    if offer {
        media::offer(&pc).await?;
    }
    let sent = Arc::new(media::Sent::default());
    let mut players = Vec::new();
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
                Some(PeerConnectionEvent::ConnectionStateChange(state)) => {
                    eprintln!("connection {state:?}");
                    if state == RTCPeerConnectionState::Connected && players.is_empty() {
                        // The file is VP8: it plays only if VP8 was negotiated.
                        let codec = video_track.codec().await.map(|c| c.name().to_owned());
                        if codec.as_deref().is_some_and(|c| c.eq_ignore_ascii_case("VP8")) {
                            players.push(tokio::spawn(media::play_video(video_track.clone(), video.clone(), Arc::clone(&sent))));
                        } else {
                            eprintln!("video negotiated as {codec:?}, not VP8: not playing it");
                        }
                        players.push(tokio::spawn(media::play_audio(audio_track.clone(), audio.clone(), Arc::clone(&sent))));
                    }
                    if state == RTCPeerConnectionState::Failed {
                        break Err("the connection failed".to_owned());
                    }
                }
                // The file has a keyframe every few frames; a live encoder would make one now.
                Some(PeerConnectionEvent::KeyframeRequest(_)) => eprintln!("keyframe requested"),
                Some(_) => {}
                None => break Err("the peer connection ended".to_owned()),
            },
        }
    };
    for p in players {
        // A player ends early only on a file it cannot read.
        if p.is_finished() {
            if let Ok(Err(e)) = p.await {
                return Err(e);
            }
        } else {
            p.abort();
        }
    }
    pc.close().await;
    outcome.map(|why| format!("{}; {why}", sent.describe()))
}
