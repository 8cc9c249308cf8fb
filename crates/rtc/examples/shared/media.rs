//! What the media examples share (`play_from_disk`, `save_to_disk`, `reflect` and
//! `media_interop` include this file with `#[path = "shared/media.rs"] mod media;`):
//!
//! - signalling: one JSON object per line on stdin and stdout, the W3C shapes
//!   (`{"type":"offer","sdp":..}`, `{"type":"answer",..}`,
//!   `{"type":"candidate","candidate":{"candidate":..,"sdpMid":..,"sdpMLineIndex":..}}`), plus
//!   `{"type":"complete",..}` when a side has what it came for and `{"type":"done","ok":..}`
//!   when it stops;
//! - playing: VP8 frames from an IVF file and Opus packets from an Ogg file, looped on the
//!   clock;
//! - saving: a remote VP8 track into an IVF file, an Opus track into an Ogg file, as frames
//!   come.
#![allow(dead_code)] // each example uses a part

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use rtc::rtc_media::codecs::opus_packet_samples;
use rtc::rtc_media::files::{
    IvfHeader, IvfReader, IvfWriter, OggOpusReader, OggOpusWriter, OpusHead, OpusTags, fourcc,
};
use rtc::{
    MediaFrame, MediaKind, RTCConfiguration, RTCIceCandidateInit, RTCPeerConnection, RTCSdpType,
    RTCSessionDescription, Sample, TrackLocal, TrackRemote,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;

/// The fixtures played when no file is given: 10 frames of VP8 (160x120, 30 fps, a keyframe
/// every 5) and 0.2 s of Opus, made by ffmpeg (crates/rtc-media/tests/data/README.md).
pub(crate) const VIDEO: &[u8] = include_bytes!("../../../rtc-media/tests/data/vp8.ivf");
pub(crate) const AUDIO: &[u8] = include_bytes!("../../../rtc-media/tests/data/opus.ogg");

// ---- Signalling

/// Prints a signalling line.
pub(crate) fn say(v: Value) {
    println!("{v}");
}

/// stdin's JSON lines, read on a thread of their own; the channel ends with stdin.
pub(crate) fn stdin_lines() -> mpsc::UnboundedReceiver<Value> {
    let (tx, rx) = mpsc::unbounded_channel();
    std::thread::spawn(move || {
        for line in std::io::stdin().lines() {
            let Ok(line) = line else { break };
            if let Ok(v) = serde_json::from_str::<Value>(&line)
                && tx.send(v).is_err()
            {
                break;
            }
        }
    });
    rx
}

/// A peer connection with host candidates on loopback only (the browser is on this machine).
pub(crate) async fn peer_connection() -> Result<RTCPeerConnection, String> {
    let config = RTCConfiguration {
        bind_ip: Some([127, 0, 0, 1].into()),
        ..RTCConfiguration::default()
    };
    RTCPeerConnection::new(config)
        .await
        .map_err(|e| e.to_string())
}

/// Creates, sets and says our offer.
pub(crate) async fn offer(pc: &RTCPeerConnection) -> Result<(), String> {
    let offer = pc.create_offer().await.map_err(|e| e.to_string())?;
    pc.set_local_description(offer.clone())
        .await
        .map_err(|e| e.to_string())?;
    say(json!({"type": "offer", "sdp": offer.sdp}));
    Ok(())
}

/// Says one of our candidates (an empty one ends them).
pub(crate) fn say_candidate(c: &RTCIceCandidateInit) {
    say(json!({"type": "candidate", "candidate": {
        "candidate": c.candidate, "sdpMid": c.sdp_mid,
        "sdpMLineIndex": c.sdp_m_line_index, "usernameFragment": c.username_fragment,
    }}));
}

/// Applies a signalling line from the peer: an offer (answered at once), an answer or a
/// candidate. Returns the line's type, for the caller's `complete` and `done`.
pub(crate) async fn apply(pc: &RTCPeerConnection, v: &Value) -> Result<String, String> {
    let kind = v["type"].as_str().unwrap_or_default().to_owned();
    match kind.as_str() {
        "offer" | "answer" => {
            let sdp_type = if kind == "offer" {
                RTCSdpType::Offer
            } else {
                RTCSdpType::Answer
            };
            let sdp = v["sdp"].as_str().unwrap_or_default().to_owned();
            pc.set_remote_description(RTCSessionDescription { sdp_type, sdp })
                .await
                .map_err(|e| format!("remote {kind}: {e}"))?;
            if sdp_type == RTCSdpType::Offer {
                let answer = pc.create_answer().await.map_err(|e| e.to_string())?;
                pc.set_local_description(answer.clone())
                    .await
                    .map_err(|e| e.to_string())?;
                say(json!({"type": "answer", "sdp": answer.sdp}));
            }
        }
        "candidate" => {
            let c = &v["candidate"];
            let init = RTCIceCandidateInit {
                candidate: c["candidate"].as_str().unwrap_or_default().to_owned(),
                sdp_mid: c["sdpMid"].as_str().map(str::to_owned),
                sdp_m_line_index: c["sdpMLineIndex"]
                    .as_u64()
                    .and_then(|i| u16::try_from(i).ok()),
                username_fragment: c["usernameFragment"].as_str().map(str::to_owned),
            };
            if let Err(e) = pc.add_ice_candidate(init).await {
                eprintln!("candidate refused: {e}");
            }
        }
        _ => {}
    }
    Ok(kind)
}

/// Says `done` with the outcome, then waits (10 s at most) for the peer's `done` or the end
/// of stdin, so that the peer can finish on its side before our connection goes.
pub(crate) async fn done(
    outcome: &Result<String, String>,
    lines: &mut mpsc::UnboundedReceiver<Value>,
) -> std::process::ExitCode {
    let (ok, detail) = match outcome {
        Ok(d) => (true, d.clone()),
        Err(e) => (false, e.clone()),
    };
    let errors = if ok { vec![] } else { vec![detail.clone()] };
    say(json!({"type": "done", "ok": ok, "detail": detail, "errors": errors}));
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(v) = lines.recv().await {
            if v["type"] == "done" {
                break;
            }
        }
    })
    .await;
    if ok {
        std::process::ExitCode::SUCCESS
    } else {
        std::process::ExitCode::FAILURE
    }
}

// ---- Playing

/// What the players sent so far.
#[derive(Debug, Default)]
pub(crate) struct Sent {
    pub(crate) video_frames: AtomicU64,
    pub(crate) audio_packets: AtomicU64,
}

impl Sent {
    pub(crate) fn describe(&self) -> String {
        format!(
            "sent {} VP8 frames and {} Opus packets",
            self.video_frames.load(Ordering::Relaxed),
            self.audio_packets.load(Ordering::Relaxed)
        )
    }
}

/// Sends the IVF file's frames on `track`, looped, one per tick of the file's timebase.
pub(crate) async fn play_video(
    track: TrackLocal,
    file: Vec<u8>,
    sent: Arc<Sent>,
) -> Result<(), String> {
    let reader = IvfReader::new(&file).map_err(|e| format!("IVF: {e}"))?;
    let header = *reader.header();
    let frames: Vec<Bytes> = reader
        .map(|f| f.map(|f| Bytes::copy_from_slice(f.data)))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("IVF: {e}"))?;
    if frames.is_empty() {
        return Err("IVF: no frame".into());
    }
    let period = Duration::from_secs_f64(
        f64::from(header.timebase_numerator.max(1)) / f64::from(header.timebase_denominator.max(1)),
    );
    let mut tick = tokio::time::interval(period);
    loop {
        for frame in &frames {
            tick.tick().await;
            let sample = Sample {
                data: frame.clone(),
                duration: period,
            };
            match track.write_sample(sample).await {
                Ok(()) => {
                    sent.video_frames.fetch_add(1, Ordering::Relaxed);
                }
                Err(rtc::Error::Closed) => return Ok(()),
                Err(_) => {} // not negotiated (yet): the next one
            }
        }
    }
}

/// Sends the Ogg file's Opus packets on `track`, looped, each after the last one's duration
/// (its TOC byte says how long it plays).
pub(crate) async fn play_audio(
    track: TrackLocal,
    file: Vec<u8>,
    sent: Arc<Sent>,
) -> Result<(), String> {
    let reader = OggOpusReader::new(&file).map_err(|e| format!("Ogg: {e}"))?;
    let packets: Vec<Bytes> = reader
        .map(|p| p.map(|p| Bytes::copy_from_slice(&p.data)))
        .collect::<Result<_, _>>()
        .map_err(|e| format!("Ogg: {e}"))?;
    if packets.is_empty() {
        return Err("Ogg: no packet".into());
    }
    let start = tokio::time::Instant::now();
    let mut at = Duration::ZERO;
    loop {
        for packet in &packets {
            let samples = opus_packet_samples(packet).unwrap_or(960);
            let duration = Duration::from_micros(u64::from(samples) * 1_000_000 / 48_000);
            tokio::time::sleep_until(start + at).await;
            at += duration;
            let sample = Sample {
                data: packet.clone(),
                duration,
            };
            match track.write_sample(sample).await {
                Ok(()) => {
                    sent.audio_packets.fetch_add(1, Ordering::Relaxed);
                }
                Err(rtc::Error::Closed) => return Ok(()),
                Err(_) => {}
            }
        }
    }
}

// ---- Saving

/// How far a recording is.
#[derive(Debug, Clone, Default)]
pub(crate) struct Progress {
    /// Frames written (VP8 frames or Opus packets).
    pub(crate) frames: usize,
    pub(crate) keyframes: usize,
    /// The codec the peer sends ("VP8", "opus").
    pub(crate) codec: String,
}

/// The container a recording writes.
enum Container {
    /// Waiting for the first keyframe (an IVF file starts with one, for the decoder).
    Ivf(Option<(IvfHeader, IvfWriter)>),
    Ogg(OggOpusWriter),
}

/// A remote track written to a file as its frames come: VP8 into IVF, Opus into Ogg.
pub(crate) struct Recording {
    path: PathBuf,
    file: File,
    container: Container,
    first_timestamp: Option<u32>,
    progress: Progress,
    finished: bool,
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

impl Recording {
    /// Creates `path` for a track of `kind`: an IVF file for video, Ogg for audio.
    pub(crate) fn create(kind: MediaKind, path: &Path) -> Result<Self, String> {
        let mut file =
            File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))?;
        let container = match kind {
            MediaKind::Video => Container::Ivf(None),
            MediaKind::Audio => {
                let tags = OpusTags {
                    vendor: "rtc".to_owned(),
                    comments: Vec::new(),
                };
                let mut out = Vec::new();
                let writer = OggOpusWriter::new(7, &OpusHead::new(2, 312), &tags, &mut out)
                    .map_err(|e| e.to_string())?;
                file.write_all(&out).map_err(|e| e.to_string())?;
                Container::Ogg(writer)
            }
        };
        Ok(Self {
            path: path.to_owned(),
            file,
            container,
            first_timestamp: None,
            progress: Progress::default(),
            finished: false,
        })
    }

    /// Writes a frame; `false` when it was left out (video before the first keyframe: ask
    /// the sender for one).
    pub(crate) fn write(&mut self, frame: &MediaFrame) -> Result<bool, String> {
        if self.finished {
            return Ok(false);
        }
        self.progress.codec = frame.codec.name().to_owned();
        let mut out = Vec::new();
        match &mut self.container {
            Container::Ivf(writer) => {
                if writer.is_none() {
                    let Some((w, h)) = vp8_size(&frame.data) else {
                        return Ok(false);
                    };
                    let header = IvfHeader::new(fourcc::VP8, w, h, 90_000);
                    *writer = Some((header, IvfWriter::new(header, &mut out)));
                }
                let first = *self.first_timestamp.get_or_insert(frame.timestamp);
                let ts = u64::from(frame.timestamp.wrapping_sub(first));
                if let Some((_, w)) = writer.as_mut() {
                    w.write_frame(ts, &frame.data, &mut out)
                        .map_err(|e| e.to_string())?;
                }
                self.progress.keyframes += usize::from(frame.keyframe);
            }
            Container::Ogg(writer) => {
                writer
                    .write_packet(&frame.data, &mut out)
                    .map_err(|e| e.to_string())?;
            }
        }
        self.file
            .write_all(&out)
            .map_err(|e| format!("{}: {e}", self.path.display()))?;
        self.progress.frames += 1;
        Ok(true)
    }

    /// Ends the file: the IVF header gets its frame count, the Ogg stream its last page.
    pub(crate) fn finish(&mut self) -> Result<(), String> {
        if std::mem::replace(&mut self.finished, true) {
            return Ok(());
        }
        let mut out = Vec::new();
        match &mut self.container {
            Container::Ivf(Some((header, writer))) => {
                header.frame_count = writer.frames();
                self.file
                    .seek(SeekFrom::Start(0))
                    .and_then(|_| self.file.write_all(&header.to_bytes()))
                    .map_err(|e| e.to_string())?;
            }
            Container::Ivf(None) => {}
            Container::Ogg(writer) => writer.clone().finish(&mut out),
        }
        self.file
            .write_all(&out)
            .and_then(|()| self.file.flush())
            .map_err(|e| format!("{}: {e}", self.path.display()))
    }

    pub(crate) fn progress(&self) -> Progress {
        self.progress.clone()
    }
}

/// Records `track` into `path` on a task of its own; every frame written is reported on
/// `updates`. Finish the returned recording (under its lock) to end the file.
pub(crate) fn record(
    mut track: TrackRemote,
    path: &Path,
    updates: mpsc::UnboundedSender<(MediaKind, Progress)>,
) -> Result<Arc<Mutex<Recording>>, String> {
    let kind = track.kind();
    let recording = Arc::new(Mutex::new(Recording::create(kind, path)?));
    let shared = Arc::clone(&recording);
    tokio::spawn(async move {
        while let Some(frame) = track.recv().await {
            let Ok(mut r) = shared.lock() else { return };
            match r.write(&frame) {
                Ok(true) => {
                    if updates.send((kind, r.progress())).is_err() {
                        return;
                    }
                }
                Ok(false) if !r.finished => track.request_keyframe(),
                Ok(false) => return,
                Err(e) => {
                    eprintln!("{e}");
                    return;
                }
            }
        }
    });
    Ok(recording)
}
