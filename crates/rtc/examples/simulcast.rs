//! Receiving simulcast: answers a peer's offer whose video has several layers (`a=rid`
//! send, `a=simulcast:send`, as a browser makes with `addTransceiver(track, {sendEncodings:
//! [{rid: 'q', scaleResolutionDownBy: 4}, ...]})`), gets one remote track per layer and writes
//! each layer's VP8 frames to `OUT/<rid>.ivf`. An SFU would forward one of them; this one
//! keeps them all, so that the layers can be compared.
//!
//! ```text
//! cargo run -p rtc --example simulcast -- [--out DIR] [--frames N]
//! ```
//!
//! Signalling is one JSON object per line on stdin and stdout (`shared/media.rs`): the
//! peer's offer in, our answer out. It says `complete` once every layer has N frames
//! (default 30), and `done` last, after the files are whole. `cargo xtask interop media`
//! drives it against Chromium.
#![allow(clippy::disallowed_methods)] // a binary with a clock

#[path = "shared/media.rs"]
mod media;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use rtc::{PeerConnectionEvent, RTCPeerConnectionState};
use serde_json::{Value, json};
use tokio::sync::mpsc;

#[tokio::main]
async fn main() -> ExitCode {
    let mut out = PathBuf::from(".");
    let mut frames = 30;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let ok = match arg.as_str() {
            "--out" => args.next().map(|dir| out = PathBuf::from(dir)).is_some(),
            "--frames" => args
                .next()
                .and_then(|n| n.parse().ok())
                .map(|n| frames = n)
                .is_some(),
            _ => false,
        };
        if !ok {
            eprintln!("usage: simulcast [--out DIR] [--frames N]");
            return ExitCode::from(2);
        }
    }
    let mut lines = media::stdin_lines();
    let outcome = receive(&out, frames, &mut lines).await;
    media::done(&outcome, &mut lines).await
}

/// Frames written per layer, as `rid: N`.
fn summary(layers: &BTreeMap<String, usize>) -> String {
    let each: Vec<String> = layers.iter().map(|(r, n)| format!("{r}: {n}")).collect();
    each.join(", ")
}

async fn receive(
    out: &Path,
    wanted: usize,
    lines: &mut mpsc::UnboundedReceiver<Value>,
) -> Result<String, String> {
    std::fs::create_dir_all(out).map_err(|e| format!("{}: {e}", out.display()))?;
    let pc = media::peer_connection().await?;
    let started = Instant::now();
    // Frames written per layer (every layer the answer took has an entry).
    let mut layers: BTreeMap<String, usize> = BTreeMap::new();
    let (updates, mut progress) = mpsc::unbounded_channel::<(String, usize)>();
    let mut recordings = Vec::new();
    let mut complete = false;
    let mut peer_complete = false;
    let outcome = loop {
        if !complete && !layers.is_empty() && layers.values().all(|n| *n >= wanted) {
            complete = true;
            media::say(json!({"type": "complete", "layers": summary(&layers)}));
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
                    // One track per layer; a peer without simulcast gives one without a rid.
                    let rid = track.rid().unwrap_or("single").to_owned();
                    let file = out.join(format!("{rid}.ivf"));
                    eprintln!("layer {rid} (mid {}) to {}", track.mid(), file.display());
                    layers.insert(rid.clone(), 0);
                    let (tx, mut rx) = mpsc::unbounded_channel();
                    recordings.push(media::record(track, &file, tx)?);
                    let updates = updates.clone();
                    tokio::spawn(async move {
                        while let Some((_, p)) = rx.recv().await {
                            if updates.send((rid.clone(), p.frames)).is_err() {
                                return;
                            }
                        }
                    });
                }
                Some(PeerConnectionEvent::ConnectionStateChange(state)) => {
                    eprintln!("connection {state:?} after {:?}", started.elapsed());
                    if state == RTCPeerConnectionState::Failed {
                        break Err("the connection failed".to_owned());
                    }
                }
                Some(_) => {}
                None => break Err("the peer connection ended".to_owned()),
            },
            Some((rid, frames)) = progress.recv() => {
                layers.insert(rid, frames);
            }
        }
    };
    for r in &recordings {
        r.lock().map_err(|_| "a recording panicked")?.finish()?;
    }
    pc.close().await;
    outcome?;
    if !complete {
        return Err(format!(
            "stopped with {} (want {wanted} frames in each layer)",
            summary(&layers)
        ));
    }
    Ok(format!(
        "{} layers in {:.1} s, frames {} saved to {}",
        layers.len(),
        started.elapsed().as_secs_f64(),
        summary(&layers),
        out.display()
    ))
}
