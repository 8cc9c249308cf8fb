//! `cargo xtask interop media`: audio and video between the `rtc` facade's
//! `media_interop` example (play-from-disk: VP8 from IVF and Opus from Ogg; save-to-disk:
//! what it receives into IVF and Ogg) and Chromium with its fake camera and microphone, each
//! side offering once (interop/media/README.md). A row passes when Chromium's getStats shows
//! our video decoded and our audio received, and ffprobe decodes the files we wrote from
//! Chromium's camera and microphone. The same with aiortc (its decoder counts our frames; it
//! sends a synthetic VP8 picture and an Opus tone).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use super::datachannel::{Launcher, Side, converse};
use super::sdp::{self, Peer as SdpPeer};
use super::{CaseResult, Layer, Session};
use crate::util::{self, Result};

/// Registered in [`super::LAYERS`].
pub(super) const LAYER: Layer = Layer {
    name: "media",
    run,
    versions,
    flags: &[],
};

/// A row's limit, and the sides' own (a little earlier, so their `done` says where they were).
const ROW_TIMEOUT: Duration = Duration::from_secs(60);
const SIDE_TIMEOUT: &str = "45";
/// Video frames each side must have: decoded by Chromium, received (and saved) by us.
const FRAMES: &str = "60";
const PEER_FRAMES: &str = "30";

fn versions() -> Vec<String> {
    vec![
        sdp::peer_provenance(SdpPeer::Chromium),
        sdp::peer_provenance(SdpPeer::Aiortc),
        format!("ffprobe: Debian `{}`", super::deb_version("ffmpeg")),
    ]
}

fn run(session: &Session) -> Result<Vec<CaseResult>> {
    let started = Instant::now();
    let mut debs = Vec::new();
    if util::which("chromium").is_none() {
        debs.push("chromium");
    }
    if util::which("ffprobe").is_none() {
        debs.push("ffmpeg");
    }
    util::apt_install(&debs)?;
    let interop = util::repo_root().join("interop");
    util::npm_install(&interop)?;
    let node = util::which("node").ok_or("`node` is not in PATH")?;
    let ffprobe = util::which("ffprobe").ok_or("`ffprobe` is missing after installing ffmpeg")?;
    util::run(util::cargo().args([
        "build",
        "-p",
        "rtc",
        "--example",
        "media_interop",
        "--locked",
    ]))?;
    let ours = util::target_dir().join("debug/examples/media_interop");
    if !ours.is_file() {
        return Err(format!("{} is missing after the build", ours.display()));
    }
    let ours = Launcher {
        program: ours,
        args: Vec::new(),
    };
    let chromium = Launcher {
        program: node,
        args: vec![interop.join("media/chromium.js").display().to_string()],
    };
    let venv = interop.join(".venv");
    util::pip_install(&venv, &interop.join("requirements.txt"))?;
    let aiortc = Launcher {
        program: venv.join("bin/python"),
        args: vec![interop.join("media/aiortc_peer.py").display().to_string()],
    };
    let peers = [
        ("chromium", SdpPeer::Chromium.version(), chromium),
        ("aiortc", SdpPeer::Aiortc.version(), aiortc),
    ];
    println!(
        "setup (install, builds) took {}",
        util::format_elapsed(started.elapsed())
    );
    let mut results = Vec::new();
    for (name, version, launcher) in &peers {
        for we_offer in [true, false] {
            let case = if we_offer {
                format!("rtc offers, {name} answers: VP8 + Opus both ways")
            } else {
                format!("{name} offers, rtc answers: VP8 + Opus both ways")
            };
            println!("\n--- {case}");
            let out = session.tmp().join(format!(
                "media-{name}-{}",
                if we_offer { "offer" } else { "answer" }
            ));
            let outcome = run_row(session, &ours, launcher, name, we_offer, &out)
                .and_then(|detail| check_files(&ffprobe, &out).map(|f| format!("{detail}; {f}")));
            results.push(CaseResult::verdict(&case, version, outcome));
        }
    }
    println!(
        "\nthe media layer took {}",
        util::format_elapsed(started.elapsed())
    );
    Ok(results)
}

fn run_row(
    session: &Session,
    ours: &Launcher,
    theirs: &Launcher,
    name: &str,
    we_offer: bool,
    out: &Path,
) -> Result<String> {
    let (our_role, their_role) = if we_offer {
        ("--offer", "--answer")
    } else {
        ("--answer", "--offer")
    };
    let mut our_cmd = session.command(&ours.program);
    our_cmd.args(&ours.args).args([
        our_role,
        "--out",
        &out.display().to_string(),
        "--frames",
        FRAMES,
        "--timeout",
        SIDE_TIMEOUT,
    ]);
    let mut their_cmd = session.command(&theirs.program);
    their_cmd.args(&theirs.args).args([
        their_role,
        "--frames",
        PEER_FRAMES,
        "--timeout",
        SIDE_TIMEOUT,
    ]);
    let start = Instant::now();
    let mut sides = [
        Side::spawn("rtc", &mut our_cmd)?,
        Side::spawn(name, &mut their_cmd)?,
    ];
    let c = converse(&mut sides, start, ROW_TIMEOUT)?;
    let mut problems = Vec::new();
    let mut details = Vec::new();
    for (i, who) in ["rtc", name].iter().enumerate() {
        match &c.done[i] {
            Some(done) if done["ok"] == true => {
                details.push(format!(
                    "{who}: {}",
                    done["detail"].as_str().unwrap_or("ok")
                ));
            }
            Some(done) => problems.push(format!("{who} failed: {done}")),
            None => problems.push(format!("{who} said no `done` ({})", c.exits[i])),
        }
    }
    if c.timed_out {
        problems.push(format!("timed out after {} s", ROW_TIMEOUT.as_secs()));
    }
    if problems.is_empty() {
        Ok(format!(
            "{:.1} s. {}",
            c.elapsed.as_secs_f64(),
            details.join(" | ")
        ))
    } else {
        Err(problems.join(" | "))
    }
}

/// ffprobe decodes every frame of what we saved: the VP8 IVF file at least [`FRAMES`]
/// frames, the Ogg Opus file at least 25 packets.
fn check_files(ffprobe: &PathBuf, out: &Path) -> Result<String> {
    let count = |file: &str| -> Result<(String, u64)> {
        let path = out.join(file);
        let text = util::stdout_of(std::process::Command::new(ffprobe).args([
            "-v",
            "error",
            "-count_frames",
            "-show_entries",
            "stream=codec_name,nb_read_frames",
            "-of",
            "csv=p=0",
            &path.display().to_string(),
        ]))?;
        let line = text.lines().next().unwrap_or_default().trim().to_owned();
        let (codec, frames) = line
            .split_once(',')
            .ok_or(format!("ffprobe on {file}: {line:?}"))?;
        let frames = frames
            .trim()
            .parse()
            .map_err(|_| format!("ffprobe on {file}: {line:?}"))?;
        Ok((codec.to_owned(), frames))
    };
    let (video_codec, video) = count("received.ivf")?;
    let (audio_codec, audio) = count("received.ogg")?;
    let want: u64 = FRAMES.parse().unwrap_or(60);
    if video_codec != "vp8" || video < want {
        return Err(format!(
            "ffprobe decoded {video} {video_codec} frames of received.ivf (want {want} vp8)"
        ));
    }
    if audio_codec != "opus" || audio < 25 {
        return Err(format!(
            "ffprobe decoded {audio} {audio_codec} packets of received.ogg (want 25 opus)"
        ));
    }
    Ok(format!(
        "ffprobe decoded {video} VP8 frames and {audio} Opus packets of the saved files"
    ))
}
