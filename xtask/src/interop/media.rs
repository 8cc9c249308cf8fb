//! `cargo xtask interop media`: audio and video between the `rtc` facade's
//! `media_interop` example (play-from-disk: VP8 from IVF and Opus from Ogg; save-to-disk:
//! what it receives into IVF and Ogg) and Chromium with its fake camera and microphone, each
//! side offering once (interop/media/README.md). A row passes when Chromium's getStats shows
//! our video decoded and our audio received, and ffprobe decodes the files we wrote from
//! Chromium's camera and microphone. The same with aiortc (its decoder counts our frames; it
//! sends a synthetic VP8 picture and an Opus tone), and with Pion v3 (interop/media/pion,
//! built from Debian's Go sources): it plays the same IVF and Ogg fixtures to us, reads the
//! RTCP of its senders, and saves what we send with its ivfwriter and oggwriter; ffprobe
//! decodes its files too.

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

/// What Pion must have saved of ours: VP8 frames (ffprobe's count; Pion says `complete` at
/// [`PEER_FRAMES`] received) and Opus packets.
const PION_SAVED_FRAMES: u64 = 30;
const SAVED_PACKETS: u64 = 25;

fn versions() -> Vec<String> {
    vec![
        sdp::peer_provenance(SdpPeer::Chromium),
        sdp::peer_provenance(SdpPeer::Aiortc),
        sdp::peer_provenance(SdpPeer::Pion),
        format!("ffprobe: Debian `{}`", super::deb_version("ffmpeg")),
    ]
}

/// A peer of the layer: how to start it, or why it cannot be.
struct Peer {
    name: &'static str,
    version: String,
    launcher: Result<Launcher>,
    /// It saves what we send into `--out DIR` (received.ivf, received.ogg), for ffprobe.
    saves: bool,
}

/// The fixtures the peers that play from disk send (ours has them built in).
fn fixture(name: &str) -> String {
    util::repo_root()
        .join("crates/rtc-media/tests/data")
        .join(name)
        .display()
        .to_string()
}

/// Installs what is missing (Debian's Chromium, ffmpeg, Go and Pion sources in one apt-get
/// run, the npm packages of interop/package-lock.json, the aiortc venv) and builds the Pion
/// peer. Each peer gets its launcher or the reason it has none (its rows then fail with it).
fn install(session: &Session) -> Vec<Peer> {
    let mut debs = Vec::new();
    if util::which("chromium").is_none() {
        debs.push("chromium");
    }
    if util::which("ffprobe").is_none() {
        debs.push("ffmpeg");
    }
    if util::which("go").is_none() {
        debs.push("golang-go");
    }
    if !util::deb_installed(sdp::PION_DEB) {
        debs.push(sdp::PION_DEB);
    }
    let apt = util::apt_install(&debs).err();
    let missing = |what: &str| match &apt {
        Some(e) => format!("{what} is missing; installing it failed: {e}"),
        None => format!("{what} is missing"),
    };
    let interop = util::repo_root().join("interop");
    let chromium = if util::which("chromium").is_none() {
        Err(missing("`chromium`"))
    } else {
        util::npm_install(&interop).and_then(|()| {
            Ok(Launcher {
                program: util::which("node").ok_or("`node` is not in PATH")?,
                args: vec![interop.join("media/chromium.js").display().to_string()],
            })
        })
    };
    let venv = interop.join(".venv");
    let aiortc = util::pip_install(&venv, &interop.join("requirements.txt")).map(|()| Launcher {
        program: venv.join("bin/python"),
        args: vec![interop.join("media/aiortc_peer.py").display().to_string()],
    });
    let pion = if util::which("go").is_none() {
        Err(missing("`go`"))
    } else if !Path::new(sdp::PION_SOURCES).is_dir() {
        Err(missing(sdp::PION_SOURCES))
    } else {
        sdp::build_pion(session, "media/pion", "pion-media").map(|program| Launcher {
            program,
            args: vec![
                "--video".to_owned(),
                fixture("vp8.ivf"),
                "--audio".to_owned(),
                fixture("opus.ogg"),
            ],
        })
    };
    vec![
        Peer {
            name: "chromium",
            version: SdpPeer::Chromium.version(),
            launcher: chromium,
            saves: false,
        },
        Peer {
            name: "aiortc",
            version: SdpPeer::Aiortc.version(),
            launcher: aiortc,
            saves: false,
        },
        Peer {
            name: "pion",
            version: SdpPeer::Pion.version(),
            launcher: pion,
            saves: true,
        },
    ]
}

fn run(session: &Session) -> Result<Vec<CaseResult>> {
    let started = Instant::now();
    let peers = install(session);
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
    println!(
        "setup (install, builds) took {}",
        util::format_elapsed(started.elapsed())
    );
    let mut results = Vec::new();
    for peer in &peers {
        let name = peer.name;
        for we_offer in [true, false] {
            let case = if we_offer {
                format!("rtc offers, {name} answers: VP8 + Opus both ways")
            } else {
                format!("{name} offers, rtc answers: VP8 + Opus both ways")
            };
            println!("\n--- {case}");
            let row_started = Instant::now();
            let out = session.tmp().join(format!(
                "media-{name}-{}",
                if we_offer { "offer" } else { "answer" }
            ));
            let theirs_out = out.join(name);
            let outcome = match &peer.launcher {
                Err(e) => Err(format!("{name} is not installed: {e}")),
                Ok(launcher) => {
                    let mut launcher = launcher.clone();
                    if peer.saves {
                        launcher
                            .args
                            .extend(["--out".to_owned(), theirs_out.display().to_string()]);
                    }
                    run_row(session, &ours, &launcher, name, we_offer, &out)
                }
            };
            let outcome = outcome
                .and_then(|detail| {
                    let want: u64 = FRAMES.parse().unwrap_or(60);
                    check_files(&ffprobe, &out, want, SAVED_PACKETS)
                        .map(|f| format!("{detail}; ffprobe decoded {f} of the files we saved"))
                })
                .and_then(|detail| {
                    if !peer.saves {
                        return Ok(detail);
                    }
                    check_files(&ffprobe, &theirs_out, PION_SAVED_FRAMES, SAVED_PACKETS)
                        .map(|f| format!("{detail}, {f} of the files {name} saved"))
                        .map_err(|e| format!("the files {name} saved: {e}"))
                });
            println!(
                "the row took {}",
                util::format_elapsed(row_started.elapsed())
            );
            results.push(CaseResult::verdict(&case, &peer.version, outcome));
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

/// ffprobe decodes every frame of the files in `dir`: at least `video` VP8 frames of
/// received.ivf and `audio` Opus packets of received.ogg. Says how many it decoded.
fn check_files(ffprobe: &PathBuf, dir: &Path, video: u64, audio: u64) -> Result<String> {
    let count = |file: &str| -> Result<(String, u64)> {
        let path = dir.join(file);
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
    let (video_codec, video_frames) = count("received.ivf")?;
    let (audio_codec, audio_packets) = count("received.ogg")?;
    if video_codec != "vp8" || video_frames < video {
        return Err(format!(
            "ffprobe decoded {video_frames} {video_codec} frames of received.ivf (want {video} vp8)"
        ));
    }
    if audio_codec != "opus" || audio_packets < audio {
        return Err(format!(
            "ffprobe decoded {audio_packets} {audio_codec} packets of received.ogg (want {audio} opus)"
        ));
    }
    Ok(format!(
        "{video_frames} VP8 frames and {audio_packets} Opus packets"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peers_and_fixtures_exist() {
        let dir = util::repo_root().join("interop/media");
        for file in ["README.md", "chromium.js", "aiortc_peer.py", "pion/main.go"] {
            assert!(dir.join(file).is_file(), "{file}");
        }
        for file in ["vp8.ivf", "opus.ogg"] {
            assert!(Path::new(&fixture(file)).is_file(), "{file}");
        }
        assert!(
            util::repo_root()
                .join("crates/rtc/examples/media_interop.rs")
                .is_file()
        );
    }
}
