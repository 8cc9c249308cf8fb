//! Receiving simulcast: answers a peer's offer whose video has several layers (`a=rid`
//! send, `a=simulcast:send`, as a browser makes with `addTransceiver(track, {sendEncodings:
//! [{rid: 'q', scaleResolutionDownBy: 4}, ...]})`), gets one remote track per layer and writes
//! each layer's VP8 frames to `OUT/<rid>.ivf`. An SFU would forward one of them; this one
//! keeps them all, so that the layers can be compared.
//!
//! ```text
//! simulcast --out DIR [--frames N] [--timeout SECONDS]
//! ```
//!
//! Signalling is one JSON object per line on stdin and stdout, as in `media_interop`:
//! `offer` in, `answer` out, `candidate` both ways, `{"type":"complete",...}` once every layer
//! has `--frames` frames, `{"type":"done","ok":..,"detail":..}` last (the files are written
//! before it). `cargo xtask interop media` drives it against Chromium.
#![allow(clippy::disallowed_methods)] // a binary with a clock

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use rtc::rtc_media::files::{IvfHeader, IvfWriter, fourcc};
use rtc::{
    PeerConnectionEvent, RTCConfiguration, RTCIceCandidateInit, RTCPeerConnection,
    RTCPeerConnectionState, RTCSdpType, RTCSessionDescription, TrackRemote,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

struct Args {
    out: PathBuf,
    frames: usize,
    timeout: Duration,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        out: PathBuf::from("target/simulcast"),
        frames: 30,
        timeout: Duration::from_secs(40),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--out" => a.out = PathBuf::from(value()?),
            "--frames" => a.frames = value()?.parse().map_err(|_| "--frames N")?,
            "--timeout" => {
                a.timeout = Duration::from_secs(value()?.parse().map_err(|_| "--timeout S")?)
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

fn say(v: Value) {
    println!("{v}");
}

/// VP8 keyframe dimensions (RFC 6386 §9.1): 14 bits each after the start code.
fn vp8_size(frame: &[u8]) -> Option<(u16, u16)> {
    if frame.len() < 10 || frame[0] & 1 != 0 || frame[3..6] != [0x9d, 0x01, 0x2a] {
        return None;
    }
    let w = u16::from_le_bytes([frame[6], frame[7]]) & 0x3fff;
    let h = u16::from_le_bytes([frame[8], frame[9]]) & 0x3fff;
    Some((w, h))
}

/// One layer as received so far.
#[derive(Debug, Default, Clone)]
struct Layer {
    frames: usize,
    size: Option<(u16, u16)>,
    file: Vec<u8>,
}

/// Writes a layer's frames into an IVF file, from its first keyframe on; reports every 10th
/// frame on `progress`.
async fn save(mut track: TrackRemote, progress: mpsc::UnboundedSender<(String, Layer)>) {
    let rid = track.rid().unwrap_or("-").to_owned();
    let mut layer = Layer::default();
    let mut ivf: Option<IvfWriter> = None;
    let mut first_ts = None;
    while let Some(frame) = track.recv().await {
        if !frame.codec.name().eq_ignore_ascii_case("VP8") {
            continue;
        }
        if let Some(size) = vp8_size(&frame.data) {
            layer.size = Some(size);
        }
        if ivf.is_none() {
            let Some((w, h)) = layer.size else {
                track.request_keyframe();
                continue;
            };
            ivf = Some(IvfWriter::new(
                IvfHeader::new(fourcc::VP8, w, h, 90_000),
                &mut layer.file,
            ));
        }
        let first = *first_ts.get_or_insert(frame.timestamp);
        let ts = u64::from(frame.timestamp.wrapping_sub(first));
        if let Some(w) = ivf.as_mut()
            && w.write_frame(ts, &frame.data, &mut layer.file).is_ok()
        {
            layer.frames += 1;
        }
        if layer.frames % 10 == 0 && progress.send((rid.clone(), layer.clone())).is_err() {
            return;
        }
    }
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
    let result = run(&args, &mut lines).await;
    let (ok, detail) = match &result {
        Ok(d) => (true, d.clone()),
        Err(e) => (false, e.clone()),
    };
    say(
        json!({"type": "done", "ok": ok, "detail": detail, "errors": if ok { vec![] } else { vec![detail.clone()] }}),
    );
    // Linger until the relay closes stdin, so the peer can finish.
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while lines.recv().await.is_some() {}
    })
    .await;
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn summary(layers: &BTreeMap<String, Layer>) -> String {
    layers
        .iter()
        .map(|(rid, l)| {
            let (w, h) = l.size.unwrap_or_default();
            format!("{rid}: {} frames {w}x{h}", l.frames)
        })
        .collect::<Vec<_>>()
        .join(", ")
}

async fn run(args: &Args, lines: &mut mpsc::UnboundedReceiver<Value>) -> Result<String, String> {
    let config = RTCConfiguration {
        bind_ip: Some([127, 0, 0, 1].into()),
        ..RTCConfiguration::default()
    };
    let pc = RTCPeerConnection::new(config)
        .await
        .map_err(|e| e.to_string())?;
    let (progress_tx, mut progress) = mpsc::unbounded_channel();
    let deadline = tokio::time::sleep(args.timeout);
    tokio::pin!(deadline);
    let started = Instant::now();
    // The layers the answer took, and what each delivered.
    let mut expected: Vec<String> = Vec::new();
    let mut layers: BTreeMap<String, Layer> = BTreeMap::new();
    let mut peer_complete: Option<Value> = None;
    let mut said_complete = false;
    loop {
        let all = !expected.is_empty()
            && expected
                .iter()
                .all(|r| layers.get(r).is_some_and(|l| l.frames >= args.frames));
        if all && !said_complete {
            said_complete = true;
            say(json!({"type": "complete", "layers": summary(&layers)}));
        }
        if said_complete && peer_complete.is_some() {
            break;
        }
        tokio::select! {
            () = &mut deadline => {
                return Err(format!(
                    "timeout after {:?}: layers {expected:?}, received {}; the peer {}",
                    started.elapsed(), summary(&layers),
                    peer_complete.as_ref().map_or("did not say complete".to_owned(), |v| format!("said {v}")),
                ));
            }
            line = lines.recv() => {
                let Some(v) = line else { return Err("stdin ended".into()) };
                match v["type"].as_str() {
                    Some("offer") => {
                        let sdp = v["sdp"].as_str().unwrap_or_default().to_owned();
                        let desc = RTCSessionDescription { sdp_type: RTCSdpType::Offer, sdp };
                        pc.set_remote_description(desc).await.map_err(|e| format!("remote offer: {e}"))?;
                        let answer = pc.create_answer().await.map_err(|e| e.to_string())?;
                        pc.set_local_description(answer.clone()).await.map_err(|e| e.to_string())?;
                        say(json!({"type": "answer", "sdp": answer.sdp}));
                    }
                    Some("candidate") => {
                        let c = &v["candidate"];
                        let init = RTCIceCandidateInit {
                            candidate: c["candidate"].as_str().unwrap_or_default().to_owned(),
                            sdp_mid: c["sdpMid"].as_str().map(str::to_owned),
                            sdp_m_line_index: c["sdpMLineIndex"].as_u64().and_then(|i| u16::try_from(i).ok()),
                            username_fragment: c["usernameFragment"].as_str().map(str::to_owned),
                        };
                        if let Err(e) = pc.add_ice_candidate(init).await {
                            eprintln!("candidate refused: {e}");
                        }
                    }
                    Some("complete") => peer_complete = Some(v),
                    Some("done") if v["ok"] != true => return Err(format!("the peer failed: {v}")),
                    _ => {}
                }
            }
            event = pc.next_event() => {
                match event {
                    Some(PeerConnectionEvent::IceCandidate(c)) => {
                        say(json!({"type": "candidate", "candidate": {
                            "candidate": c.candidate, "sdpMid": c.sdp_mid,
                            "sdpMLineIndex": c.sdp_m_line_index, "usernameFragment": c.username_fragment,
                        }}));
                    }
                    Some(PeerConnectionEvent::Track(track)) => {
                        eprintln!("track {:?} mid {} rid {:?}", track.kind(), track.mid(), track.rid());
                        if let Some(rid) = track.rid() {
                            expected.push(rid.to_owned());
                        }
                        tokio::spawn(save(track, progress_tx.clone()));
                    }
                    Some(PeerConnectionEvent::ConnectionStateChange(s)) => {
                        eprintln!("connection {s:?} after {:?}", started.elapsed());
                        if s == RTCPeerConnectionState::Failed {
                            return Err("connection failed".into());
                        }
                    }
                    Some(_) => {}
                    None => return Err("the peer connection ended".into()),
                }
            }
            p = progress.recv() => {
                if let Some((rid, layer)) = p {
                    layers.insert(rid, layer);
                }
            }
        }
    }
    std::fs::create_dir_all(&args.out).map_err(|e| e.to_string())?;
    for (rid, layer) in &layers {
        std::fs::write(args.out.join(format!("{rid}.ivf")), &layer.file)
            .map_err(|e| e.to_string())?;
    }
    pc.close().await;
    Ok(format!(
        "{} layers in {:.1} s: {}; the peer: {}",
        layers.len(),
        started.elapsed().as_secs_f64(),
        summary(&layers),
        peer_complete.map(|v| v.to_string()).unwrap_or_default()
    ))
}
