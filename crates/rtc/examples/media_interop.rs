//! The Rust peer of `cargo xtask interop media` (interop/media/README.md): play-from-disk and
//! save-to-disk at once. It sends VP8 from an IVF file and Opus from an Ogg file (looped, on
//! the clock) and writes what the peer sends to `OUT/received.ivf` and `OUT/received.ogg`,
//! signalling with one JSON object per line on stdin and stdout as `dc_interop` does.
//! `play_from_disk`, `save_to_disk` and `reflect` are the same parts one at a time, as an
//! application would use them.
//!
//! ```text
//! media_interop --offer|--answer --out DIR [--video FILE.ivf] [--audio FILE.ogg]
//!               [--frames N] [--timeout SECONDS]
//! ```
//!
//! Lines: `offer`, `answer`, `candidate` as in dc_interop; `{"type":"complete",...}` when we
//! have `--frames` video frames (a keyframe among them) and 50 audio frames from the peer;
//! `{"type":"done","ok":..,"detail":..}` once the peer said `complete` too. The files are
//! complete before `done`.
#![allow(clippy::disallowed_methods)] // a binary with a clock

#[path = "shared/media.rs"]
mod media;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtc::{MediaKind, PeerConnectionEvent, RTCPeerConnectionState};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use media::{Progress, Sent};

struct Args {
    offer: bool,
    out: PathBuf,
    video: Vec<u8>,
    audio: Vec<u8>,
    frames: usize,
    timeout: Duration,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        offer: false,
        out: PathBuf::from("target/media-interop"),
        video: media::VIDEO.to_vec(),
        audio: media::AUDIO.to_vec(),
        frames: 60,
        timeout: Duration::from_secs(40),
    };
    let mut role = None;
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--offer" => role = Some(true),
            "--answer" => role = Some(false),
            "--out" => a.out = PathBuf::from(value()?),
            "--video" => a.video = std::fs::read(value()?).map_err(|e| e.to_string())?,
            "--audio" => a.audio = std::fs::read(value()?).map_err(|e| e.to_string())?,
            "--frames" => a.frames = value()?.parse().map_err(|_| "--frames N")?,
            "--timeout" => {
                a.timeout = Duration::from_secs(value()?.parse().map_err(|_| "--timeout S")?)
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    a.offer = role.ok_or("--offer or --answer")?;
    Ok(a)
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let mut lines = media::stdin_lines();
    let result = run(&args, &mut lines).await;
    media::done(&result, &mut lines).await
}

async fn run(args: &Args, lines: &mut mpsc::UnboundedReceiver<Value>) -> Result<String, String> {
    std::fs::create_dir_all(&args.out).map_err(|e| e.to_string())?;
    let pc = Arc::new(media::peer_connection().await?);
    let video = pc
        .add_track(MediaKind::Video, "rtc", "rtc-video")
        .await
        .map_err(|e| e.to_string())?;
    let audio = pc
        .add_track(MediaKind::Audio, "rtc", "rtc-audio")
        .await
        .map_err(|e| e.to_string())?;
    if args.offer {
        media::offer(&pc).await?;
    }

    let (progress_tx, mut progress) = mpsc::unbounded_channel();
    let deadline = tokio::time::sleep(args.timeout);
    tokio::pin!(deadline);
    let started = Instant::now();
    let sent = Arc::new(Sent::default());
    let mut players = Vec::new();
    let mut recordings = Vec::new();
    let mut peer_complete: Option<Value> = None;
    let mut saved_video = Progress::default();
    let mut saved_audio = Progress::default();
    let mut said_complete = false;
    loop {
        if !said_complete
            && saved_video.frames >= args.frames
            && saved_video.keyframes > 0
            && saved_audio.frames >= 50
        {
            said_complete = true;
            media::say(
                json!({"type": "complete", "videoFrames": saved_video.frames, "audioFrames": saved_audio.frames}),
            );
        }
        if said_complete && peer_complete.is_some() {
            break;
        }
        tokio::select! {
            () = &mut deadline => {
                return Err(format!(
                    "timeout after {:?}: received {} video frames ({} keyframes, {}), {} audio frames ({}); the peer {}",
                    started.elapsed(), saved_video.frames, saved_video.keyframes, saved_video.codec,
                    saved_audio.frames, saved_audio.codec,
                    peer_complete.as_ref().map_or("did not say complete".to_owned(), |v| format!("said {v}")),
                ));
            }
            line = lines.recv() => {
                let Some(v) = line else { return Err("stdin ended".into()) };
                match media::apply(&pc, &v).await?.as_str() {
                    "complete" => peer_complete = Some(v),
                    "done" if v["ok"] != true => return Err(format!("the peer failed: {v}")),
                    _ => {}
                }
            }
            event = pc.next_event() => match event {
                Some(PeerConnectionEvent::IceCandidate(c)) => media::say_candidate(&c),
                Some(PeerConnectionEvent::Track(track)) => {
                    eprintln!("track {:?} mid {} {:?}", track.kind(), track.mid(), track.info());
                    let file = match track.kind() {
                        MediaKind::Video => "received.ivf",
                        MediaKind::Audio => "received.ogg",
                    };
                    recordings.push(media::record(track, &args.out.join(file), progress_tx.clone())?);
                }
                Some(PeerConnectionEvent::ConnectionStateChange(s)) => {
                    eprintln!("connection {s:?} after {:?}", started.elapsed());
                    if s == RTCPeerConnectionState::Connected && players.is_empty() {
                        let codec = video.codec().await;
                        eprintln!("sending video as {:?}, audio as {:?}", codec.as_ref().map(|c| c.name().to_owned()), audio.codec().await.map(|c| c.name().to_owned()));
                        if codec.as_ref().is_some_and(|c| c.name().eq_ignore_ascii_case("VP8")) {
                            players.push(tokio::spawn(media::play_video(video.clone(), args.video.clone(), Arc::clone(&sent))));
                        }
                        players.push(tokio::spawn(media::play_audio(audio.clone(), args.audio.clone(), Arc::clone(&sent))));
                    }
                    if s == RTCPeerConnectionState::Failed {
                        return Err("connection failed".into());
                    }
                }
                Some(_) => {}
                None => return Err("the peer connection ended".into()),
            },
            Some((kind, p)) = progress.recv() => match kind {
                MediaKind::Video => saved_video = p,
                MediaKind::Audio => saved_audio = p,
            },
        }
    }
    for r in &recordings {
        r.lock().map_err(|_| "a recording panicked")?.finish()?;
    }
    for p in players {
        p.abort();
    }
    pc.close().await;
    Ok(format!(
        "received {} video frames ({} keyframes, {}) and {} audio frames ({}) in {:.1} s, {}; the peer: {}",
        saved_video.frames,
        saved_video.keyframes,
        saved_video.codec,
        saved_audio.frames,
        saved_audio.codec,
        started.elapsed().as_secs_f64(),
        sent.describe(),
        peer_complete.map(|v| v.to_string()).unwrap_or_default()
    ))
}
