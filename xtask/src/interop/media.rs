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
//!
//! Then the user-facing examples, one part each, against Chromium in both offer roles:
//! `play_from_disk` to a receive-only page (getStats: our VP8 decoded, our Opus received),
//! `save_to_disk` of the page's camera and microphone (ffprobe decodes the files), and
//! `reflect` (the page decodes its own camera, sent back: the size it sends).

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

/// The examples of `rtc` the rows run, built together.
const EXAMPLES: [&str; 5] = [
    "media_interop",
    "play_from_disk",
    "save_to_disk",
    "reflect",
    "simulcast",
];

/// Simulcast: the layers Chromium sends (rid, width of its 1280x720 camera scaled down), and
/// the send-side estimate it must reach. Chromium starts at 300 kbit/s and, without
/// transport-cc feedback, stayed at 1.1 Mbit/s and never sent the full layer in 20 s; on our
/// feedback it reached 5.7 Mbit/s with all three layers in 3.7 s (2026-11-22, by hand). On a
/// loaded machine the climb is slower (1.67 Mbit/s after 11 s in one CI run, its encoder
/// starved), so Chromium waits for the estimate (`--min-estimate`, up to its timeout) before
/// it says `complete`.
const LAYERS: [(&str, u64); 3] = [("q", 320), ("h", 640), ("f", 1280)];
const SIMULCAST_ESTIMATE: f64 = 2_000_000.0;

/// One row: which example of ours against which peer, with what arguments, and which saved
/// files ffprobe must decode.
struct Row<'a> {
    case: String,
    peer: &'a Peer,
    example: &'static str,
    our_args: Vec<String>,
    their_args: Vec<String>,
    /// Where the row's files go (ours in it, the peer's in `OUT/PEER`).
    out: PathBuf,
    /// ffprobe checks what we saved: at least this many VP8 frames.
    our_files: Option<u64>,
    /// We saved simulcast layers, `OUT/<rid>.ivf`, each of its own size.
    layers: bool,
}

/// `media_interop` (play-from-disk and save-to-disk at once) against `peer`, we offering or
/// answering.
fn both_ways<'a>(session: &Session, peer: &'a Peer, we_offer: bool) -> Row<'a> {
    let name = peer.name;
    let (case, our_role, their_role) = if we_offer {
        (format!("rtc offers, {name} answers"), "--offer", "--answer")
    } else {
        (format!("{name} offers, rtc answers"), "--answer", "--offer")
    };
    let out = session.tmp().join(format!(
        "media-{name}-{}",
        if we_offer { "offer" } else { "answer" }
    ));
    let mut their_args = strings(&[
        their_role,
        "--frames",
        PEER_FRAMES,
        "--timeout",
        SIDE_TIMEOUT,
    ]);
    if peer.saves {
        their_args.extend(["--out".to_owned(), out.join(name).display().to_string()]);
    }
    Row {
        case: format!("{case}: VP8 + Opus both ways"),
        peer,
        example: "media_interop",
        our_args: strings(&[
            our_role,
            "--out",
            &out.display().to_string(),
            "--frames",
            FRAMES,
            "--timeout",
            SIDE_TIMEOUT,
        ]),
        their_args,
        out,
        our_files: Some(FRAMES.parse().unwrap_or(60)),
        layers: false,
    }
}

/// Chromium offers its camera in three simulcast layers; `simulcast` answers and saves each.
fn simulcast<'a>(session: &Session, chromium: &'a Peer) -> Row<'a> {
    let out = session.tmp().join("media-simulcast");
    Row {
        case: "chromium → simulcast: three layers (q, h, f) received by rid, each saved; \
               Chromium's estimate climbs on our transport-cc feedback (chromium offers)"
            .to_owned(),
        peer: chromium,
        example: "simulcast",
        our_args: strings(&["--out", &out.display().to_string(), "--frames", PEER_FRAMES]),
        their_args: strings(&[
            "--offer",
            "--mode",
            "simulcast",
            "--frames",
            PEER_FRAMES,
            "--timeout",
            SIDE_TIMEOUT,
            "--min-estimate",
            &SIMULCAST_ESTIMATE.to_string(),
        ]),
        out,
        our_files: None,
        layers: true,
    }
}

/// The user-facing examples against Chromium, each side offering once (a page offers to
/// them in Pion's examples of the same names): `play_from_disk` to a receive-only page, a
/// page's camera and microphone to `save_to_disk`, and a page's camera and microphone back to
/// it through `reflect`.
fn examples<'a>(session: &Session, chromium: &'a Peer) -> Vec<Row<'a>> {
    let mut rows = Vec::new();
    for we_offer in [false, true] {
        let (our_role, their_role) = if we_offer {
            (Some("--offer"), "--answer")
        } else {
            (None, "--offer")
        };
        for (example, mode, what, our_files) in [
            (
                "play_from_disk",
                "receive",
                "chromium ← play_from_disk: our VP8 decoded and our Opus received by Chromium",
                None,
            ),
            (
                "save_to_disk",
                "send",
                "chromium → save_to_disk: Chromium's camera and microphone saved to IVF and Ogg",
                Some(FRAMES.parse().unwrap_or(60)),
            ),
            (
                "reflect",
                "reflect",
                "chromium ↔ reflect: Chromium's camera and microphone sent back, its own \
                 picture decoded",
                None,
            ),
        ] {
            let out = session.tmp().join(format!(
                "media-{example}-{}",
                if we_offer { "offer" } else { "answer" }
            ));
            let mut our_args: Vec<String> = our_role.into_iter().map(str::to_owned).collect();
            if our_files.is_some() {
                our_args.extend(strings(&[
                    "--out",
                    &out.display().to_string(),
                    "--frames",
                    FRAMES,
                ]));
            }
            let offerer = if we_offer { example } else { "chromium" };
            rows.push(Row {
                case: format!("{what} ({offerer} offers)"),
                peer: chromium,
                example,
                our_args,
                their_args: strings(&[
                    their_role,
                    "--mode",
                    mode,
                    "--frames",
                    PEER_FRAMES,
                    "--timeout",
                    SIDE_TIMEOUT,
                ]),
                out,
                our_files,
                layers: false,
            });
        }
    }
    rows
}

fn strings(args: &[&str]) -> Vec<String> {
    args.iter().map(|a| (*a).to_owned()).collect()
}

fn run(session: &Session) -> Result<Vec<CaseResult>> {
    let started = Instant::now();
    let peers = install(session);
    let ffprobe = util::which("ffprobe").ok_or("`ffprobe` is missing after installing ffmpeg")?;
    let mut build = util::cargo();
    build.args(["build", "-p", "rtc", "--locked"]);
    for example in EXAMPLES {
        build.args(["--example", example]);
    }
    util::run(&mut build)?;
    for example in EXAMPLES {
        let program = util::target_dir().join("debug/examples").join(example);
        if !program.is_file() {
            return Err(format!("{} is missing after the build", program.display()));
        }
    }
    println!(
        "setup (install, builds) took {}",
        util::format_elapsed(started.elapsed())
    );
    let mut rows = Vec::new();
    for peer in &peers {
        for we_offer in [true, false] {
            rows.push(both_ways(session, peer, we_offer));
        }
        if peer.name == "chromium" {
            rows.extend(examples(session, peer));
            rows.push(simulcast(session, peer));
        }
    }
    let mut results = Vec::new();
    for row in &rows {
        println!("\n--- {}", row.case);
        let row_started = Instant::now();
        let outcome = run_checked(session, &ffprobe, row);
        println!(
            "the row took {}",
            util::format_elapsed(row_started.elapsed())
        );
        results.push(CaseResult::verdict(&row.case, &row.peer.version, outcome));
    }
    println!(
        "\nthe media layer took {}",
        util::format_elapsed(started.elapsed())
    );
    Ok(results)
}

/// Runs a row, then ffprobe on the files it saved.
fn run_checked(session: &Session, ffprobe: &PathBuf, row: &Row<'_>) -> Result<String> {
    let name = row.peer.name;
    let theirs = row
        .peer
        .launcher
        .as_ref()
        .map_err(|e| format!("{name} is not installed: {e}"))?;
    let (mut detail, their_done) = run_row(session, row, theirs)?;
    if row.layers {
        let estimate = their_done["availableOutgoingBitrate"]
            .as_f64()
            .unwrap_or(0.0);
        if estimate < SIMULCAST_ESTIMATE {
            return Err(format!(
                "{name}'s send-side estimate reached {estimate} bit/s, not {SIMULCAST_ESTIMATE} \
                 (is our transport-cc feedback taken?); {detail}"
            ));
        }
        let f = check_layers(ffprobe, &row.out)?;
        detail = format!("{detail}; ffprobe decoded {f} of the layers we saved");
    }
    if let Some(frames) = row.our_files {
        let f = check_files(ffprobe, &row.out, frames, SAVED_PACKETS)?;
        detail = format!("{detail}; ffprobe decoded {f} of the files we saved");
    }
    if row.peer.saves {
        let f = check_files(
            ffprobe,
            &row.out.join(name),
            PION_SAVED_FRAMES,
            SAVED_PACKETS,
        )
        .map_err(|e| format!("the files {name} saved: {e}"))?;
        detail = format!("{detail}, {f} of the files {name} saved");
    }
    Ok(detail)
}

/// Runs the two sides; says what each said it did, and gives the peer's `done` line.
fn run_row(
    session: &Session,
    row: &Row<'_>,
    theirs: &Launcher,
) -> Result<(String, serde_json::Value)> {
    let name = row.peer.name;
    let mut our_cmd = session.command(util::target_dir().join("debug/examples").join(row.example));
    our_cmd.args(&row.our_args);
    let mut their_cmd = session.command(&theirs.program);
    their_cmd.args(&theirs.args).args(&row.their_args);
    let start = Instant::now();
    let mut sides = [
        Side::spawn(row.example, &mut our_cmd)?,
        Side::spawn(name, &mut their_cmd)?,
    ];
    let c = converse(&mut sides, start, ROW_TIMEOUT)?;
    let mut problems = Vec::new();
    let mut details = Vec::new();
    for (i, who) in [row.example, name].iter().enumerate() {
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
        let theirs = c.done[1].clone().unwrap_or_default();
        Ok((
            format!("{:.1} s. {}", c.elapsed.as_secs_f64(), details.join(" | ")),
            theirs,
        ))
    } else {
        Err(problems.join(" | "))
    }
}

/// ffprobe decodes each simulcast layer we saved, `DIR/<rid>.ivf`: at least [`PEER_FRAMES`]
/// VP8 frames of the width the layer has.
fn check_layers(ffprobe: &Path, dir: &Path) -> Result<String> {
    let want: u64 = PEER_FRAMES.parse().unwrap_or(30);
    let mut seen = Vec::new();
    for (rid, width) in LAYERS {
        let path = dir.join(format!("{rid}.ivf"));
        let text = util::stdout_of(std::process::Command::new(ffprobe).args([
            "-v",
            "error",
            "-count_frames",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=codec_name,width,height,nb_read_frames",
            "-of",
            "csv=p=0",
            &path.display().to_string(),
        ]))?;
        let line = text.lines().next().unwrap_or_default().trim().to_owned();
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [codec, w, h, frames] = fields[..] else {
            return Err(format!("ffprobe on {rid}.ivf: {line:?}"));
        };
        let frames: u64 = frames.parse().unwrap_or(0);
        if codec != "vp8" || w != width.to_string() || frames < want {
            return Err(format!(
                "ffprobe on layer {rid}: {line:?} (want vp8, width {width}, {want} frames)"
            ));
        }
        seen.push(format!("{rid} {w}x{h} {frames} frames"));
    }
    Ok(seen.join(", "))
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
        let examples = util::repo_root().join("crates/rtc/examples");
        for example in EXAMPLES {
            assert!(
                examples.join(format!("{example}.rs")).is_file(),
                "{example}"
            );
        }
        assert!(examples.join("shared/media.rs").is_file());
    }
}
