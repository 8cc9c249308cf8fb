//! The `sdp` interop layer: live offers and answers from real WebRTC stacks, each checked by
//! rtc-sdp's `sdp_check` example.
//!
//! The peers are scripts in `interop/sdp/` that run inside the namespace: Chromium (headless,
//! driven by playwright-core), @roamhq/wrtc, node-datachannel, aiortc and Pion. Each takes
//! `offers` (print its own offers) and `LABEL=FILE` (answer the offer in FILE, printed as
//! `answer-to-LABEL`) and prints one JSON line per SDP (see `interop/sdp/common.js`). The runs:
//! 1. wrtc, node-datachannel, aiortc and Pion make their offers;
//! 2. Chromium makes its offers and answers theirs;
//! 3. they answer Chromium's offers.
//!
//! Every SDP is kept byte for byte as `<peer>-<name>.sdp` and given to our side,
//! `crates/rtc-sdp/examples/sdp_check.rs`: `sdp_check FILE...` prints `ok FILE: ...` or
//! `FAIL FILE: reason` for each file (offers are the files named `*-offer*.sdp`, answers
//! `*-answer*.sdp`) and exits non-zero when any fails. One row per SDP: a capture that failed,
//! or whose peer could not be installed, is a failed row.
//!
//! `--save` also copies every capture to `crates/rtc-sdp/tests/corpus/` and rewrites the
//! captures table of the README there.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use super::{CaseResult, Layer, Session};
use crate::util::{self, Captured, Result};

/// Registered in [`super::LAYERS`].
pub(super) const LAYER: Layer = Layer {
    name: "sdp",
    run,
    versions,
    flags: &["--save"],
};

/// The Chromium script launches a browser (slow on a cold start); the others take a second.
const CHROMIUM_TIMEOUT: Duration = Duration::from_secs(90);
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(30);
const GO_BUILD_TIMEOUT: Duration = Duration::from_secs(600);
const CHECK_TIMEOUT: Duration = Duration::from_secs(60);

/// Where Debian's golang-github-pion-webrtc.v3-dev puts Pion's sources.
pub(super) const PION_SOURCES: &str = "/usr/share/gocode/src/github.com/pion/webrtc";
pub(super) const PION_DEB: &str = "golang-github-pion-webrtc.v3-dev";

const CAPTURES_START: &str = "<!-- captures -->";
const CAPTURES_END: &str = "<!-- /captures -->";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Peer {
    Chromium,
    Wrtc,
    NodeDatachannel,
    Aiortc,
    Pion,
}

/// An answer a peer is asked for: `answer-to-LABEL`, to `offer` (peer, name).
struct Answer {
    label: &'static str,
    offer: (Peer, &'static str),
}

impl Peer {
    const OTHERS: [Self; 4] = [Self::Wrtc, Self::NodeDatachannel, Self::Aiortc, Self::Pion];

    /// The file name prefix.
    fn id(self) -> &'static str {
        match self {
            Self::Chromium => "chromium",
            Self::Wrtc => "wrtc",
            Self::NodeDatachannel => "node-datachannel",
            Self::Aiortc => "aiortc",
            Self::Pion => "pion",
        }
    }

    /// What its script prints for `offers`.
    fn own(self) -> &'static [&'static str] {
        match self {
            // A second peer connection of the page answers the simulcast offer.
            Self::Chromium => &[
                "offer-av-data",
                "offer-data",
                "offer-simulcast",
                "answer-to-chromium-simulcast",
            ],
            Self::Wrtc | Self::Aiortc => &["offer-av-data"],
            Self::NodeDatachannel => &["offer-av-data", "offer-data"],
            Self::Pion => &["offer-av-data", "offer-simulcast"],
        }
    }

    /// The answers it makes to other peers' offers.
    fn answers(self) -> &'static [Answer] {
        const TO_CHROMIUM: Answer = Answer {
            label: "chromium",
            offer: (Peer::Chromium, "offer-av-data"),
        };
        match self {
            Self::Chromium => &[
                Answer {
                    label: "wrtc",
                    offer: (Self::Wrtc, "offer-av-data"),
                },
                Answer {
                    label: "node-datachannel",
                    offer: (Self::NodeDatachannel, "offer-av-data"),
                },
                Answer {
                    label: "aiortc",
                    offer: (Self::Aiortc, "offer-av-data"),
                },
                Answer {
                    label: "pion",
                    offer: (Self::Pion, "offer-av-data"),
                },
                Answer {
                    label: "pion-simulcast",
                    offer: (Self::Pion, "offer-simulcast"),
                },
            ],
            Self::Wrtc | Self::Aiortc => &[TO_CHROMIUM],
            Self::NodeDatachannel => &[
                TO_CHROMIUM,
                Answer {
                    label: "chromium-data",
                    offer: (Self::Chromium, "offer-data"),
                },
            ],
            Self::Pion => &[
                TO_CHROMIUM,
                Answer {
                    label: "chromium-simulcast",
                    offer: (Self::Chromium, "offer-simulcast"),
                },
            ],
        }
    }

    /// How the README names the program that printed the SDP.
    fn script(self) -> &'static str {
        match self {
            Self::Chromium => "node interop/sdp/chromium.js",
            Self::Wrtc => "node interop/sdp/wrtc.js",
            Self::NodeDatachannel => "node interop/sdp/ndc.js",
            Self::Aiortc => "interop/.venv/bin/python interop/sdp/aiortc_peer.py",
            // `go build` of interop/sdp/pion/main.go (see `build_pion`).
            Self::Pion => "pion-sdp",
        }
    }

    fn timeout(self) -> Duration {
        if self == Self::Chromium {
            CHROMIUM_TIMEOUT
        } else {
            SCRIPT_TIMEOUT
        }
    }

    /// Name and version, for the matrix.
    pub(super) fn version(self) -> String {
        match self {
            Self::Chromium => chromium_version(),
            Self::Wrtc => format!("@roamhq/wrtc {}", npm_version("@roamhq/wrtc")),
            Self::NodeDatachannel => {
                format!("node-datachannel {}", npm_version("node-datachannel"))
            }
            Self::Aiortc => format!("aiortc {}", venv_version("aiortc")),
            Self::Pion => format!("Pion {}", deb_version_only(PION_DEB)),
        }
    }
}

fn interop_dir() -> PathBuf {
    util::repo_root().join("interop")
}

fn file_name(peer: Peer, name: &str) -> String {
    format!("{}-{name}.sdp", peer.id())
}

/// One expected SDP: where it was written, or why there is none.
struct Capture {
    peer: Peer,
    name: String,
    /// The command line that printed it, for the corpus README.
    command: String,
    outcome: Result<PathBuf>,
}

impl Capture {
    fn file(&self) -> String {
        file_name(self.peer, &self.name)
    }
}

/// All expected SDPs, in the order of the matrix.
struct Captures {
    dir: PathBuf,
    all: Vec<Capture>,
}

impl Captures {
    fn new(dir: PathBuf) -> Self {
        let mut all = Vec::new();
        for peer in [Peer::Chromium].into_iter().chain(Peer::OTHERS) {
            let own = peer.own().iter().map(|name| (*name).to_owned());
            let answers = peer
                .answers()
                .iter()
                .map(|a| format!("answer-to-{}", a.label));
            for name in own.chain(answers) {
                all.push(Capture {
                    peer,
                    name,
                    command: String::new(),
                    outcome: Err("not run".to_owned()),
                });
            }
        }
        Self { dir, all }
    }

    fn get_mut(&mut self, peer: Peer, name: &str) -> Option<&mut Capture> {
        self.all
            .iter_mut()
            .find(|c| c.peer == peer && c.name == name)
    }

    fn path(&self, peer: Peer, name: &str) -> Option<&Path> {
        self.all
            .iter()
            .find(|c| c.peer == peer && c.name == name)
            .and_then(|c| c.outcome.as_deref().ok())
    }

    /// Marks every SDP of `peer` as failed (its install failed).
    fn fail_peer(&mut self, peer: Peer, reason: &str) {
        for capture in self.all.iter_mut().filter(|c| c.peer == peer) {
            capture.outcome = Err(reason.to_owned());
        }
    }
}

/// How to start a peer's script.
struct Launcher {
    program: PathBuf,
    script: Option<PathBuf>,
}

fn run(session: &Session) -> Result<Vec<CaseResult>> {
    let dir = session.tmp().join("captures");
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let mut captures = Captures::new(dir);

    let launchers = install(session);
    let mut ready = BTreeMap::new();
    for (peer, launcher) in launchers {
        match launcher {
            Ok(launcher) => {
                ready.insert(peer.id(), (peer, launcher));
            }
            Err(e) => {
                println!("FAIL {}: cannot install or build it: {e}", peer.id());
                captures.fail_peer(peer, &format!("peer not installed: {e}"));
            }
        }
    }
    let launcher = |peer: Peer| ready.get(peer.id()).map(|(_, l)| l);

    println!("\n---- the others' offers");
    for peer in Peer::OTHERS {
        if let Some(l) = launcher(peer) {
            run_peer(session, peer, l, true, false, &mut captures);
        }
    }
    println!("\n---- Chromium's offers, and its answers to the others' offers");
    if let Some(l) = launcher(Peer::Chromium) {
        run_peer(session, Peer::Chromium, l, true, true, &mut captures);
    }
    println!("\n---- the others' answers to Chromium's offers");
    for peer in Peer::OTHERS {
        if let Some(l) = launcher(peer) {
            run_peer(session, peer, l, false, true, &mut captures);
        }
    }

    if session.flag("--save") {
        save(&captures)?;
    }
    Ok(check(&captures))
}

/// Installs what is missing (Debian packages in one apt-get run, the npm packages of
/// interop/package-lock.json, the aiortc venv) and builds the Pion program. Each peer gets
/// its launcher or the reason it has none.
fn install(session: &Session) -> Vec<(Peer, Result<Launcher>)> {
    let mut debs = Vec::new();
    if util::which("chromium").is_none() {
        debs.push("chromium");
    }
    if util::which("go").is_none() {
        debs.push("golang-go");
    }
    if !util::deb_installed(PION_DEB) {
        debs.push(PION_DEB);
    }
    let apt = util::apt_install(&debs).err();
    let missing = |what: &str| match &apt {
        Some(e) => format!("{what} is missing; installing it failed: {e}"),
        None => format!("{what} is missing"),
    };

    let interop = interop_dir();
    let npm = util::npm_install(&interop);
    let node = |script: &str| -> Result<Launcher> {
        npm.clone()?;
        Ok(Launcher {
            program: util::which("node").ok_or("`node` is not in PATH")?,
            script: Some(interop.join("sdp").join(script)),
        })
    };
    let chromium = if util::which("chromium").is_some() {
        node("chromium.js")
    } else {
        Err(missing("`chromium`"))
    };

    let venv = interop.join(".venv");
    let aiortc = util::pip_install(&venv, &interop.join("requirements.txt")).map(|()| Launcher {
        program: venv.join("bin/python"),
        script: Some(interop.join("sdp/aiortc_peer.py")),
    });

    let pion = if util::which("go").is_none() {
        Err(missing("`go`"))
    } else if !Path::new(PION_SOURCES).is_dir() {
        Err(missing(PION_SOURCES))
    } else {
        build_pion(session, "sdp/pion", "pion-sdp").map(|program| Launcher {
            program,
            script: None,
        })
    };

    vec![
        (Peer::Chromium, chromium),
        (Peer::Wrtc, node("wrtc.js")),
        (Peer::NodeDatachannel, node("ndc.js")),
        (Peer::Aiortc, aiortc),
        (Peer::Pion, pion),
    ]
}

/// Builds interop/`source`/main.go (`sdp/pion`, ...) against Debian's Pion sources in GOPATH
/// mode into the scratch directory as `output`. Debian installs Pion v3 without the `/v3`
/// directory its import path has, hence the symlink.
pub(super) fn build_pion(session: &Session, source: &str, output: &str) -> Result<PathBuf> {
    let gopath = session.tmp().join("gopath");
    let link = gopath.join("src/github.com/pion/webrtc/v3");
    if let Some(parent) = link.parent() {
        fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    }
    if fs::symlink_metadata(&link).is_err() {
        std::os::unix::fs::symlink(PION_SOURCES, &link)
            .map_err(|e| format!("cannot link {}: {e}", link.display()))?;
    }
    let out = session.tmp().join(output);
    let mut cmd = Command::new("go");
    cmd.env("GOPATH", format!("{}:/usr/share/gocode", gopath.display()))
        .env("GO111MODULE", "off")
        // The build cache survives the run (next to cargo's), so a warm run does not recompile
        // Pion.
        .env("GOCACHE", util::target_dir().join("interop-go-build"))
        .args(["build", "-o"])
        .arg(&out)
        .arg("main.go")
        .current_dir(interop_dir().join(source));
    let built = util::run_with_timeout(&mut cmd, GO_BUILD_TIMEOUT)?;
    if built.success() && out.is_file() {
        Ok(out)
    } else {
        Err(format!(
            "`go build` of interop/{source}/main.go failed ({}): {}",
            built.describe(),
            util::tail(&built.stderr, 10)
        ))
    }
}

/// Runs a peer's script once: its own offers when `own`, its answers to the offers captured
/// so far when `answers`; records each SDP it was asked for in `captures`.
fn run_peer(
    session: &Session,
    peer: Peer,
    launcher: &Launcher,
    own: bool,
    answers: bool,
    captures: &mut Captures,
) {
    let mut args: Vec<String> = Vec::new();
    // (name, the argument shown in the README)
    let mut wanted: Vec<(String, String)> = Vec::new();
    if own {
        args.push("offers".to_owned());
        wanted.extend(
            peer.own()
                .iter()
                .map(|n| ((*n).to_owned(), "offers".to_owned())),
        );
    }
    if answers {
        for answer in peer.answers() {
            let name = format!("answer-to-{}", answer.label);
            let (offerer, offer) = answer.offer;
            let offer_file = file_name(offerer, offer);
            match captures.path(offerer, offer) {
                Some(path) => {
                    args.push(format!("{}={}", answer.label, path.display()));
                    wanted.push((name, format!("{}={offer_file}", answer.label)));
                }
                None => {
                    if let Some(c) = captures.get_mut(peer, &name) {
                        c.outcome = Err(format!("not run: there is no {offer_file} to answer"));
                    }
                }
            }
        }
    }
    if wanted.is_empty() {
        return;
    }

    let mut cmd = session.command(&launcher.program);
    if let Some(script) = &launcher.script {
        cmd.arg(script);
    }
    cmd.args(&args).current_dir(util::repo_root());
    let out = util::run_with_timeout(&mut cmd, peer.timeout());
    let records = match &out {
        Ok(out) => {
            for line in out.stderr.lines() {
                println!("  | {line}");
            }
            println!("  --- {}", out.describe());
            parse_records(&out.stdout)
        }
        Err(_) => BTreeMap::new(),
    };
    for (name, shown) in wanted {
        let outcome = match (records.get(&name), &out) {
            (Some(Ok(sdp)), _) => {
                let path = captures.dir.join(file_name(peer, &name));
                check_type(&name, sdp).and_then(|()| {
                    fs::write(&path, sdp.as_bytes())
                        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                    Ok(path)
                })
            }
            (Some(Err(e)), _) => Err(format!("{} failed to make it: {e}", peer.id())),
            (None, Ok(out)) => Err(format!(
                "{} printed no {name} ({})",
                peer.id(),
                describe(out)
            )),
            (None, Err(e)) => Err(e.clone()),
        };
        match &outcome {
            Ok(path) => println!(
                "captured {} ({} bytes)",
                file_name(peer, &name),
                fs::metadata(path).map_or(0, |m| m.len())
            ),
            Err(e) => println!("no {}: {e}", file_name(peer, &name)),
        }
        if let Some(c) = captures.get_mut(peer, &name) {
            c.command = format!("{} {shown}", peer.script());
            c.outcome = outcome;
        }
    }
}

/// How a peer run ended, with its last error line (Node prints its version after the stack)
/// or else its last line of output.
fn describe(out: &Captured) -> String {
    let lines = || out.stderr.lines().map(str::trim).filter(|l| !l.is_empty());
    let last = lines()
        .rfind(|l| l.contains("Error") || l.contains("error:"))
        .or_else(|| lines().next_back())
        .unwrap_or("(no output on stderr)");
    format!("{}; last output: {last}", out.describe())
}

/// The JSON lines of a peer script: name -> SDP text or the error it reported. Other lines
/// (a library's log on stdout) are ignored.
fn parse_records(stdout: &str) -> BTreeMap<String, Result<String>> {
    let mut records = BTreeMap::new();
    for line in stdout.lines().filter(|l| l.starts_with('{')) {
        let Ok(value) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        let Some(name) = value.get("name").and_then(Value::as_str) else {
            continue;
        };
        let record = match (value.get("sdp"), value.get("error")) {
            (Some(Value::String(sdp)), _) => Ok(sdp.clone()),
            (_, Some(error)) => Err(error
                .as_str()
                .map_or_else(|| error.to_string(), str::to_owned)),
            _ => Err("a record with neither `sdp` nor `error`".to_owned()),
        };
        records.insert(name.to_owned(), record);
    }
    records
}

/// The checker takes offer or answer from the file name: the SDP must be what its name says.
fn check_type(name: &str, sdp: &str) -> Result {
    if sdp.is_empty() {
        return Err("the peer printed an empty SDP".to_owned());
    }
    let offer = name.starts_with("offer");
    if offer == name.starts_with("answer") {
        return Err(format!("`{name}` is neither an offer nor an answer"));
    }
    Ok(())
}

/// Runs `sdp_check` on every capture: one row each.
fn check(captures: &Captures) -> Vec<CaseResult> {
    let versions: BTreeMap<&str, String> = [Peer::Chromium]
        .into_iter()
        .chain(Peer::OTHERS)
        .map(|p| (p.id(), p.version()))
        .collect();
    let peer_name = |p: Peer| versions.get(p.id()).cloned().unwrap_or_default();

    let files: Vec<String> = captures
        .all
        .iter()
        .filter(|c| c.outcome.is_ok())
        .map(Capture::file)
        .collect();
    let lines = if files.is_empty() {
        Err("nothing was captured".to_owned())
    } else {
        run_checker(&captures.dir, &files)
    };

    captures
        .all
        .iter()
        .map(|c| {
            let file = c.file();
            let outcome = match (&c.outcome, &lines) {
                (Err(e), _) => Err(e.clone()),
                (Ok(_), Err(e)) => Err(e.clone()),
                (Ok(_), Ok((lines, how))) => checker_verdict(&file, lines, how),
            };
            CaseResult::verdict(&file, &peer_name(c.peer), outcome)
        })
        .collect()
}

/// Builds and runs `sdp_check FILE...` in `dir`: its output lines and how it ended.
fn run_checker(dir: &Path, files: &[String]) -> Result<(Vec<String>, String)> {
    let source = util::repo_root().join("crates/rtc-sdp/examples/sdp_check.rs");
    if !source.is_file() {
        return Err(format!(
            "our checker is missing: there is no {}",
            source.display()
        ));
    }
    // Built outside the namespace (it has no network for crates.io).
    util::run(util::cargo().args(["build", "-p", "rtc-sdp", "--examples", "--locked"]))
        .map_err(|e| format!("sdp_check does not build: {e}"))?;
    let checker = util::target_dir().join("debug/examples/sdp_check");
    let out = util::run_with_timeout(
        Command::new(&checker).args(files).current_dir(dir),
        CHECK_TIMEOUT,
    )?;
    for line in out.stdout.lines().chain(out.stderr.lines()) {
        println!("  | {line}");
    }
    println!("  --- {}", out.describe());
    let lines = out.stdout.lines().map(str::to_owned).collect();
    Ok((lines, out.describe()))
}

/// The checker's line for `file`: `ok FILE: ...` passes, `FAIL FILE: ...` fails.
fn checker_verdict(file: &str, lines: &[String], how: &str) -> Result<String> {
    let is_for = |line: &str, prefix: &str| {
        line.strip_prefix(prefix)
            .and_then(|rest| rest.strip_prefix(file))
            .is_some_and(|rest| rest.is_empty() || rest.starts_with(':'))
    };
    if let Some(line) = lines.iter().find(|l| is_for(l, "ok ")) {
        Ok(line.clone())
    } else if let Some(line) = lines.iter().find(|l| is_for(l, "FAIL ")) {
        Err(line.clone())
    } else {
        Err(format!("sdp_check printed no line for {file} ({how})"))
    }
}

/// `--save`: copies every capture into the corpus and updates the README's captures table
/// (a row for each file saved now; the rows of files not captured this time are kept).
fn save(captures: &Captures) -> Result {
    let corpus = util::repo_root().join("crates/rtc-sdp/tests/corpus");
    fs::create_dir_all(&corpus).map_err(|e| format!("cannot create {}: {e}", corpus.display()))?;
    let readme_path = corpus.join("README.md");
    let readme = fs::read_to_string(&readme_path).unwrap_or_default();
    let date = util::utc_date();
    let mut rows = Vec::new();
    for capture in &captures.all {
        let file = capture.file();
        let row = match &capture.outcome {
            Ok(path) => {
                let dest = corpus.join(&file);
                fs::copy(path, &dest)
                    .map_err(|e| format!("cannot copy to {}: {e}", dest.display()))?;
                println!("saved {}", dest.display());
                Some(format!(
                    "| `{file}` | {} | `{}` | {date} |",
                    util::md_cell(&peer_provenance(capture.peer)),
                    capture.command
                ))
            }
            Err(_) => old_row(&readme, &file).map(str::to_owned),
        };
        rows.extend(row);
    }
    let block = format!(
        "{CAPTURES_START}\n| file | peer | printed by (in the namespace of `cargo xtask interop sdp --save`) | captured (UTC) |\n|---|---|---|---|\n{}\n{CAPTURES_END}",
        rows.join("\n")
    );
    let text = match util::marked_block(&readme, CAPTURES_START, CAPTURES_END) {
        Some(old) => readme.replacen(old, &block, 1),
        None => format!("{readme}\n{block}\n"),
    };
    fs::write(&readme_path, text)
        .map_err(|e| format!("cannot write {}: {e}", readme_path.display()))?;
    println!("updated {}", readme_path.display());
    Ok(())
}

/// The README table row of `file` in the captures block, if any.
fn old_row<'a>(readme: &'a str, file: &str) -> Option<&'a str> {
    let block = util::marked_block(readme, CAPTURES_START, CAPTURES_END)?;
    let start = format!("| `{file}` |");
    block.lines().find(|l| l.starts_with(&start))
}

/// The peer with everything that made it, for the corpus README and the report (no commas:
/// the report joins the peers with them).
pub(super) fn peer_provenance(peer: Peer) -> String {
    match peer {
        Peer::Chromium => format!(
            "{} (Debian `{}`; headless, driven by playwright-core {})",
            chromium_version(),
            super::deb_version("chromium"),
            npm_version("playwright-core")
        ),
        Peer::Pion => format!(
            "Pion webrtc (Debian `{}`; built with Debian `{}`)",
            super::deb_version(PION_DEB),
            super::deb_version("golang-go")
        ),
        Peer::Aiortc => format!(
            "aiortc {} (aioice {}; {})",
            venv_version("aiortc"),
            venv_version("aioice"),
            python_version()
        ),
        Peer::Wrtc | Peer::NodeDatachannel => {
            format!("{} (Node {})", peer.version(), node_version())
        }
    }
}

fn versions() -> Vec<String> {
    [Peer::Chromium]
        .into_iter()
        .chain(Peer::OTHERS)
        .map(peer_provenance)
        .collect()
}

/// `chromium --version`'s "Chromium 156.0.8078.79", or "Chromium (not installed)".
pub(super) fn chromium_version() -> String {
    Command::new("chromium")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| {
            let text = String::from_utf8_lossy(&o.stdout).into_owned();
            let words: Vec<&str> = text.split_whitespace().take(2).collect();
            (words.len() == 2).then(|| words.join(" "))
        })
        .unwrap_or_else(|| "Chromium (not installed)".to_owned())
}

/// Just the version of an installed Debian package (or "(not installed)").
pub(super) fn deb_version_only(package: &str) -> String {
    let full = super::deb_version(package);
    full.strip_prefix(package)
        .map_or(full.clone(), |v| v.trim().to_owned())
}

/// The version of an npm package in interop/node_modules.
pub(super) fn npm_version(package: &str) -> String {
    let path = interop_dir()
        .join("node_modules")
        .join(package)
        .join("package.json");
    fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str::<Value>(&text).ok())
        .and_then(|v| v.get("version").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| "(not installed)".to_owned())
}

/// The version of a Python package in interop/.venv (from its `NAME-VERSION.dist-info`).
pub(super) fn venv_version(package: &str) -> String {
    let lib = interop_dir().join(".venv/lib");
    let prefix = format!("{package}-");
    fs::read_dir(lib)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|python| fs::read_dir(python.path().join("site-packages")).ok())
        .flatten()
        .flatten()
        .find_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            name.strip_prefix(&prefix)?
                .strip_suffix(".dist-info")
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "(not installed)".to_owned())
}

fn program_output(program: &Path, args: &[&str]) -> Option<String> {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text).trim().to_owned()
        })
}

fn node_version() -> String {
    program_output(Path::new("node"), &["--version"]).unwrap_or_else(|| "(not found)".to_owned())
}

fn python_version() -> String {
    program_output(&interop_dir().join(".venv/bin/python"), &["--version"])
        .unwrap_or_else(|| "Python (not found)".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_answer_is_to_an_expected_offer() {
        let captures = Captures::new(PathBuf::new());
        for c in &captures.all {
            let file = c.file();
            assert!(
                file.contains("-offer") != file.contains("-answer"),
                "{file}"
            );
        }
        for peer in [Peer::Chromium].into_iter().chain(Peer::OTHERS) {
            for answer in peer.answers() {
                let (offerer, offer) = answer.offer;
                assert!(offerer.own().contains(&offer), "{offer}");
                assert!(offer.starts_with("offer"), "{offer}");
            }
        }
        let mut files: Vec<String> = captures.all.iter().map(Capture::file).collect();
        let count = files.len();
        files.sort();
        files.dedup();
        assert_eq!(files.len(), count, "file names are unique");
    }

    #[test]
    fn records() {
        let stdout = "noise\n\
            {\"name\":\"offer-av-data\",\"type\":\"offer\",\"sdp\":\"v=0\\r\\ns=-\\r\\n\"}\n\
            {\"name\":\"answer-to-x\",\"type\":\"answer\",\"error\":\"boom\"}\n\
            {\"not\":\"a record\"}\n";
        let records = parse_records(stdout);
        assert_eq!(records.len(), 2);
        assert_eq!(records["offer-av-data"], Ok("v=0\r\ns=-\r\n".to_owned()));
        assert_eq!(records["answer-to-x"], Err("boom".to_owned()));
    }

    #[test]
    fn checker_lines() {
        let lines = vec![
            "ok pion-offer-av-data.sdp: 3 media sections".to_owned(),
            "FAIL pion-offer-simulcast.sdp: line 12: bad rid".to_owned(),
            "ok pion-offer-av-data.sdp.bak: not this one".to_owned(),
        ];
        assert_eq!(
            checker_verdict("pion-offer-av-data.sdp", &lines, "exit status 1"),
            Ok(lines[0].clone())
        );
        assert_eq!(
            checker_verdict("pion-offer-simulcast.sdp", &lines, "exit status 1"),
            Err(lines[1].clone())
        );
        assert!(checker_verdict("aiortc-offer-av-data.sdp", &lines, "exit status 1").is_err());
    }

    #[test]
    fn readme_rows_are_kept() {
        let readme = "# Corpus\n\n<!-- captures -->\n| file | peer | by | date |\n|---|---|---|---|\n\
                      | `pion-offer-av-data.sdp` | Pion | `x` | 2026-01-01 |\n<!-- /captures -->\n";
        assert_eq!(
            old_row(readme, "pion-offer-av-data.sdp"),
            Some("| `pion-offer-av-data.sdp` | Pion | `x` | 2026-01-01 |")
        );
        assert_eq!(old_row(readme, "pion-offer-simulcast.sdp"), None);
    }
}
