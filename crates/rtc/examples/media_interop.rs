//! The Rust peer of `cargo xtask interop media` (interop/media/README.md): play-from-disk and
//! save-to-disk at once. It sends VP8 from an IVF file and Opus from an Ogg file (looped, on
//! the clock) and writes what the peer sends to `OUT/received.ivf` and `OUT/received.ogg`,
//! signalling with one JSON object per line on stdin and stdout as `dc_interop` does.
//!
//! ```text
//! media_interop --offer|--answer --out DIR [--video FILE.ivf] [--audio FILE.ogg]
//!               [--frames N] [--timeout SECONDS]
//! ```
//!
//! Lines: `offer`, `answer`, `candidate` as in dc_interop; `{"type":"complete",...}` when the
//! peer has what it needs from us (its side says so) or we have `--frames` video frames and
//! 50 audio frames from it; `{"type":"done","ok":..,"detail":..}` last. The files are written
//! before `done`.
#![allow(clippy::disallowed_methods)] // a binary with a clock

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtc::rtc_media::codecs::opus_packet_samples;
use rtc::rtc_media::files::{
    IvfHeader, IvfReader, IvfWriter, OggOpusReader, OggOpusWriter, OpusHead, OpusTags, fourcc,
};
use rtc::{
    MediaKind, PeerConnectionEvent, RTCConfiguration, RTCIceCandidateInit, RTCPeerConnection,
    RTCPeerConnectionState, RTCSdpType, RTCSessionDescription, Sample, TrackLocal, TrackRemote,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

const VIDEO: &[u8] = include_bytes!("../../rtc-media/tests/data/vp8.ivf");
const AUDIO: &[u8] = include_bytes!("../../rtc-media/tests/data/opus.ogg");

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
        video: VIDEO.to_vec(),
        audio: AUDIO.to_vec(),
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

fn say(v: Value) {
    println!("{v}");
}

/// Sends the IVF file's frames, looped, at its frame rate.
async fn play_video(track: TrackLocal, file: Vec<u8>) -> Result<u64, String> {
    let reader = IvfReader::new(&file).map_err(|e| format!("IVF: {e}"))?;
    let header = *reader.header();
    let frames: Vec<Vec<u8>> = reader
        .map(|f| f.map(|f| f.data.to_vec()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("IVF: {e}"))?;
    if frames.is_empty() {
        return Err("IVF: no frame".into());
    }
    let period = Duration::from_secs_f64(
        f64::from(header.timebase_numerator.max(1)) / f64::from(header.timebase_denominator.max(1)),
    );
    let mut tick = tokio::time::interval(period);
    let mut sent = 0u64;
    loop {
        for f in &frames {
            tick.tick().await;
            let sample = Sample {
                data: Bytes::copy_from_slice(f),
                duration: period,
            };
            if let Err(e) = track.write_sample(sample).await {
                if matches!(e, rtc::Error::Closed) {
                    return Ok(sent);
                }
                continue;
            }
            sent += 1;
        }
    }
}

/// Sends the Ogg file's Opus packets, looped, each after the last one's duration.
async fn play_audio(track: TrackLocal, file: Vec<u8>) -> Result<u64, String> {
    let reader = OggOpusReader::new(&file).map_err(|e| format!("Ogg: {e}"))?;
    let packets: Vec<Vec<u8>> = reader
        .map(|p| p.map(|p| p.data.to_vec()))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("Ogg: {e}"))?;
    if packets.is_empty() {
        return Err("Ogg: no packet".into());
    }
    let start = tokio::time::Instant::now();
    let mut at = Duration::ZERO;
    let mut sent = 0u64;
    loop {
        for p in &packets {
            let samples = opus_packet_samples(p).unwrap_or(960);
            let duration = Duration::from_micros(u64::from(samples) * 1_000_000 / 48_000);
            tokio::time::sleep_until(start + at).await;
            at += duration;
            let sample = Sample {
                data: Bytes::copy_from_slice(p),
                duration,
            };
            if let Err(e) = track.write_sample(sample).await {
                if matches!(e, rtc::Error::Closed) {
                    return Ok(sent);
                }
                continue;
            }
            sent += 1;
        }
    }
}

/// What a remote track delivered: frames (keyframes among them) and the file they make.
#[derive(Debug, Default)]
struct Saved {
    frames: usize,
    keyframes: usize,
    codec: String,
    file: Vec<u8>,
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

/// Writes a remote track's frames into an IVF (VP8) or Ogg (Opus) file as they come;
/// reports counts on `progress`.
async fn save(mut track: TrackRemote, progress: mpsc::UnboundedSender<(MediaKind, Saved)>) {
    let kind = track.kind();
    let mut saved = Saved::default();
    let mut ivf: Option<IvfWriter> = None;
    let mut ogg: Option<OggOpusWriter> = None;
    let mut first_ts: Option<u32> = None;
    while let Some(frame) = track.recv().await {
        saved.codec = frame.codec.name().to_owned();
        match kind {
            MediaKind::Video => {
                if ivf.is_none() {
                    // An IVF file starts with a keyframe, for the decoder.
                    let Some((w, h)) = vp8_size(&frame.data) else {
                        track.request_keyframe();
                        continue;
                    };
                    let header = IvfHeader::new(fourcc::VP8, w, h, 90_000);
                    ivf = Some(IvfWriter::new(header, &mut saved.file));
                }
                let first = *first_ts.get_or_insert(frame.timestamp);
                let ts = u64::from(frame.timestamp.wrapping_sub(first));
                if let Some(w) = ivf.as_mut()
                    && w.write_frame(ts, &frame.data, &mut saved.file).is_ok()
                {
                    saved.frames += 1;
                    saved.keyframes += usize::from(frame.keyframe);
                }
            }
            MediaKind::Audio => {
                if ogg.is_none() {
                    let tags = OpusTags {
                        vendor: "rtc media_interop".to_owned(),
                        comments: Vec::new(),
                    };
                    ogg =
                        OggOpusWriter::new(7, &OpusHead::new(2, 312), &tags, &mut saved.file).ok();
                }
                if let Some(w) = ogg.as_mut()
                    && w.write_packet(&frame.data, &mut saved.file).is_ok()
                {
                    saved.frames += 1;
                }
            }
        }
        if saved.frames % 10 == 0 {
            let snapshot = Saved {
                frames: saved.frames,
                keyframes: saved.keyframes,
                codec: saved.codec.clone(),
                file: saved.file.clone(),
            };
            if progress.send((kind, snapshot)).is_err() {
                return;
            }
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
    // stdin's lines, read on a thread of their own.
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

async fn run(args: &Args, lines: &mut mpsc::UnboundedReceiver<Value>) -> Result<String, String> {
    let config = RTCConfiguration {
        bind_ip: Some([127, 0, 0, 1].into()),
        ..RTCConfiguration::default()
    };
    let pc = Arc::new(
        RTCPeerConnection::new(config)
            .await
            .map_err(|e| e.to_string())?,
    );
    let video = pc
        .add_track(MediaKind::Video, "rtc", "rtc-video")
        .await
        .map_err(|e| e.to_string())?;
    let audio = pc
        .add_track(MediaKind::Audio, "rtc", "rtc-audio")
        .await
        .map_err(|e| e.to_string())?;

    if args.offer {
        let offer = pc.create_offer().await.map_err(|e| e.to_string())?;
        pc.set_local_description(offer.clone())
            .await
            .map_err(|e| e.to_string())?;
        say(json!({"type": "offer", "sdp": offer.sdp}));
    }

    let (progress_tx, mut progress) = mpsc::unbounded_channel();
    let deadline = tokio::time::sleep(args.timeout);
    tokio::pin!(deadline);
    let started = Instant::now();
    let mut players_started = false;
    let mut peer_complete: Option<Value> = None;
    let mut saved_video = Saved::default();
    let mut saved_audio = Saved::default();
    let mut said_complete = false;
    let mut players = Vec::new();
    loop {
        if !said_complete
            && saved_video.frames >= args.frames
            && saved_video.keyframes > 0
            && saved_audio.frames >= 50
        {
            said_complete = true;
            say(
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
                match v["type"].as_str() {
                    Some("offer") | Some("answer") => {
                        let kind = if v["type"] == "offer" { RTCSdpType::Offer } else { RTCSdpType::Answer };
                        let sdp = v["sdp"].as_str().unwrap_or_default().to_owned();
                        let desc = RTCSessionDescription { sdp_type: kind, sdp };
                        pc.set_remote_description(desc).await.map_err(|e| format!("remote {kind:?}: {e}"))?;
                        if kind == RTCSdpType::Offer {
                            let answer = pc.create_answer().await.map_err(|e| e.to_string())?;
                            pc.set_local_description(answer.clone()).await.map_err(|e| e.to_string())?;
                            say(json!({"type": "answer", "sdp": answer.sdp}));
                        }
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
                    Some("done") if v["ok"] != true => {
                        return Err(format!("the peer failed: {v}"));
                    }
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
                        eprintln!("track {:?} mid {} {:?}", track.kind(), track.mid(), track.info());
                        tokio::spawn(save(track, progress_tx.clone()));
                    }
                    Some(PeerConnectionEvent::ConnectionStateChange(s)) => {
                        eprintln!("connection {s:?} after {:?}", started.elapsed());
                        if s == RTCPeerConnectionState::Connected && !players_started {
                            players_started = true;
                            let codec = video.codec().await;
                            eprintln!("sending video as {:?}, audio as {:?}", codec.as_ref().map(|c| c.name().to_owned()), audio.codec().await.map(|c| c.name().to_owned()));
                            if codec.as_ref().is_some_and(|c| c.name().eq_ignore_ascii_case("VP8")) {
                                players.push(tokio::spawn(play_video(video.clone(), args.video.clone())));
                            }
                            players.push(tokio::spawn(play_audio(audio.clone(), args.audio.clone())));
                        }
                        if s == RTCPeerConnectionState::Failed {
                            return Err("connection failed".into());
                        }
                    }
                    Some(PeerConnectionEvent::KeyframeRequest(_)) => {}
                    Some(_) => {}
                    None => return Err("the peer connection ended".into()),
                }
            }
            p = progress.recv() => {
                if let Some((kind, saved)) = p {
                    match kind {
                        MediaKind::Video => saved_video = saved,
                        MediaKind::Audio => saved_audio = saved,
                    }
                }
            }
        }
    }
    std::fs::create_dir_all(&args.out).map_err(|e| e.to_string())?;
    std::fs::write(args.out.join("received.ivf"), &saved_video.file).map_err(|e| e.to_string())?;
    std::fs::write(args.out.join("received.ogg"), &saved_audio.file).map_err(|e| e.to_string())?;
    let stats = pc.get_stats().await.map_err(|e| e.to_string())?;
    let _ = stats;
    for p in players {
        p.abort();
    }
    pc.close().await;
    Ok(format!(
        "received {} video frames ({} keyframes, {}) and {} audio frames ({}) in {:.1} s; the peer: {}",
        saved_video.frames,
        saved_video.keyframes,
        saved_video.codec,
        saved_audio.frames,
        saved_audio.codec,
        started.elapsed().as_secs_f64(),
        peer_complete.map(|v| v.to_string()).unwrap_or_default()
    ))
}
