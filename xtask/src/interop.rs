//! `cargo xtask interop [LAYER]`: runs our protocol stacks against real third-party peers.
//!
//! Every layer runs in its own loopback-only network namespace (`rtc-interop-<pid>`), so
//! nothing leaves the machine and fixed ports never clash with anything on the host. Missing
//! peers are installed (Debian, PyPI, npm; see shared INTEROP notes), never skipped. Each
//! child process has a deadline, so a hung peer fails its case instead of hanging CI. The
//! results go to the terminal as a matrix and to docs/interop.md.
//!
//! To add a layer: write `interop/<layer>.rs` with a `pub(super) const LAYER: Layer` and list
//! it in [`LAYERS`]. A layer may accept `--flags` (listed in its `flags`); it reads them with
//! [`Session::flag`].

mod datachannel;
mod demo;
mod dtls;
mod ice;
mod media;
mod nat;
mod sctp;
mod sdp;
mod srtp;
mod stun;
mod turn;

use std::ffi::OsStr;
use std::fs;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::util::{self, Captured, Result, TempDir};

/// The layers, in the order `cargo xtask interop` runs them.
const LAYERS: &[Layer] = &[
    stun::LAYER,
    sdp::LAYER,
    srtp::LAYER,
    dtls::LAYER,
    sctp::LAYER,
    ice::LAYER,
    nat::LAYER,
    turn::LAYER,
    datachannel::LAYER,
    media::LAYER,
    demo::LAYER,
];

/// How long any one peer process may run before it is killed and its case fails.
pub(crate) const PEER_TIMEOUT: Duration = Duration::from_secs(20);

const NOTES_START: &str = "<!-- notes -->";
const NOTES_END: &str = "<!-- /notes -->";
const DEFAULT_NOTES: &str = "<!-- notes -->
Hand-written notes (kept when the file is regenerated).
<!-- /notes -->";

/// A protocol layer's interop suite.
pub(crate) struct Layer {
    /// The name on the command line: `cargo xtask interop NAME`.
    pub(crate) name: &'static str,
    /// Installs the peers, builds our binaries and runs the cases. An `Err` is a setup
    /// failure (a peer cannot be installed, our code does not build) and fails the layer.
    pub(crate) run: fn(&Session) -> Result<Vec<CaseResult>>,
    /// The peers' versions for the report (`coturn 4.6.1-1`, ...).
    pub(crate) versions: fn() -> Vec<String>,
    /// The `--flags` it understands (`cargo xtask interop LAYER --flag`).
    pub(crate) flags: &'static [&'static str],
}

/// One row of the result matrix.
#[derive(Debug, Clone)]
pub(crate) struct CaseResult {
    /// What is tested, e.g. "rtc-stun client → coturn (Binding)".
    pub(crate) case: String,
    /// The third-party program on the other side.
    pub(crate) peer: String,
    /// Whether it passed.
    pub(crate) passed: bool,
    /// What was seen (the mapped address) or why it failed.
    pub(crate) detail: String,
}

impl CaseResult {
    /// Judges a peer run: `verdict` returns the detail of a pass or the reason for a failure.
    /// The peer's output is echoed to the terminal either way, for the CI log.
    pub(crate) fn judge(
        case: &str,
        peer: &str,
        run: Result<Captured>,
        verdict: impl FnOnce(&Captured) -> Result<String>,
    ) -> Self {
        let outcome = run.and_then(|out| {
            print_output(&out);
            verdict(&out).map_err(|reason| {
                let last = out
                    .stderr
                    .lines()
                    .chain(out.stdout.lines())
                    .rfind(|l| !l.trim().is_empty())
                    .unwrap_or("(no output)")
                    .trim()
                    .to_owned();
                format!("{reason}; {}; last output: {last}", out.describe())
            })
        });
        let (passed, detail) = match outcome {
            Ok(detail) => (true, detail),
            Err(reason) => (false, reason),
        };
        println!("{} {case}: {detail}", if passed { "PASS" } else { "FAIL" });
        Self {
            case: case.to_owned(),
            peer: peer.to_owned(),
            passed,
            detail,
        }
    }

    /// A case judged by the caller: `outcome` is the detail of a pass or the reason for a
    /// failure.
    pub(crate) fn verdict(case: &str, peer: &str, outcome: Result<String>) -> Self {
        let (passed, detail) = match outcome {
            Ok(detail) => (true, detail),
            Err(reason) => (false, reason),
        };
        println!("{} {case}: {detail}", if passed { "PASS" } else { "FAIL" });
        Self {
            case: case.to_owned(),
            peer: peer.to_owned(),
            passed,
            detail,
        }
    }

    /// A case that could not run, e.g. because its server did not start.
    pub(crate) fn not_run(case: &str, peer: &str, reason: &str) -> Self {
        println!("FAIL {case}: {reason}");
        Self {
            case: case.to_owned(),
            peer: peer.to_owned(),
            passed: false,
            detail: reason.to_owned(),
        }
    }
}

fn print_output(out: &Captured) {
    for (name, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        if !text.trim().is_empty() {
            println!("  --- {name}:");
            for line in text.lines() {
                println!("  | {line}");
            }
        }
    }
    println!("  --- {}", out.describe());
}

/// What a layer's cases run in: a fresh network namespace and a scratch directory, both
/// removed when the layer is done.
pub(crate) struct Session {
    // The layer's children are dropped (killed) when its `run` returns, before these.
    netns: Netns,
    tmp: TempDir,
    flags: Vec<String>,
}

impl Session {
    /// `ip netns exec NS program`: a command that runs inside the namespace.
    pub(crate) fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.netns.name]).arg(program);
        cmd
    }

    /// Runs `program args...` in the namespace with the peer deadline.
    pub(crate) fn run_peer(&self, program: impl AsRef<OsStr>, args: &[&str]) -> Result<Captured> {
        util::run_with_timeout(self.command(program).args(args), PEER_TIMEOUT)
    }

    /// The scratch directory.
    pub(crate) fn tmp(&self) -> &Path {
        self.tmp.path()
    }

    /// Whether `--flag` was given on the command line (one of the layer's `flags`).
    pub(crate) fn flag(&self, flag: &str) -> bool {
        self.flags.iter().any(|f| f == flag)
    }
}

/// A network namespace holding only a loopback interface; deleted when dropped.
struct Netns {
    name: String,
}

impl Netns {
    fn create(name: &str) -> Result<Self> {
        util::run(Command::new("ip").args(["netns", "add", name]))?;
        let netns = Self {
            name: name.to_owned(),
        };
        util::run(
            Command::new("ip").args(["netns", "exec", name, "ip", "link", "set", "lo", "up"]),
        )?;
        Ok(netns)
    }
}

impl Drop for Netns {
    fn drop(&mut self) {
        if let Err(e) = util::run(Command::new("ip").args(["netns", "delete", &self.name])) {
            eprintln!("warning: {e}");
        }
    }
}

const NETNS_PREFIX: &str = "rtc-interop-";

/// Deletes `rtc-interop-<pid>` namespaces left by runs that were killed (their pid is gone).
fn remove_stale_namespaces() {
    let Ok(output) = Command::new("ip").args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Some(name) = line.split_whitespace().next() else {
            continue;
        };
        let Some(pid) = name.strip_prefix(NETNS_PREFIX) else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = util::run(Command::new("ip").args(["netns", "delete", name]));
        }
    }
}

/// Entry point for `cargo xtask interop`.
pub(crate) fn main(args: &[String]) -> Result {
    let (flags, names): (Vec<String>, Vec<String>) =
        args.iter().cloned().partition(|a| a.starts_with("--"));
    let layers: Vec<&Layer> = match names.as_slice() {
        [] => LAYERS.iter().collect(),
        [name] => match LAYERS.iter().find(|l| l.name == name.as_str()) {
            Some(layer) => vec![layer],
            None => {
                return Err(format!(
                    "no interop layer `{name}`; the layers are: {}",
                    LAYERS.iter().map(|l| l.name).collect::<Vec<_>>().join(", ")
                ));
            }
        },
        _ => {
            return Err(format!(
                "usage: cargo xtask interop [LAYER] [--FLAG...], got {args:?}"
            ));
        }
    };
    if let Some(flag) = flags
        .iter()
        .find(|f| !layers.iter().any(|l| l.flags.contains(&f.as_str())))
    {
        let known: Vec<String> = layers
            .iter()
            .flat_map(|l| l.flags.iter().map(move |f| format!("{f} ({})", l.name)))
            .collect();
        return Err(format!(
            "no selected interop layer takes `{flag}`; the flags are: {}",
            if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            }
        ));
    }
    if !util::is_root() {
        return Err(
            "interop needs root: it creates network namespaces (`ip netns add`) and installs \
             peers with apt-get"
                .to_owned(),
        );
    }
    util::ensure_programs(&[("ip", "iproute2")])?;
    remove_stale_namespaces();

    let mut invocation = "cargo xtask interop".to_owned();
    for arg in names.iter().chain(&flags) {
        invocation.push(' ');
        invocation.push_str(arg);
    }
    let mut reports = Vec::new();
    for layer in &layers {
        println!("\n==== interop {}", layer.name);
        let layer_flags: Vec<String> = flags
            .iter()
            .filter(|f| layer.flags.contains(&f.as_str()))
            .cloned()
            .collect();
        let results = match run_layer(layer, layer_flags) {
            Ok(results) => results,
            Err(e) => vec![CaseResult::not_run("(setup)", "-", &e)],
        };
        reports.push((layer.name, (layer.versions)(), results));
    }

    print_matrix(&reports);
    let path = util::repo_root().join("docs/interop.md");
    let old = fs::read_to_string(&path).unwrap_or_default();
    let doc = render(&old, &invocation, &util::utc_date(), &reports);
    fs::create_dir_all(util::repo_root().join("docs"))
        .map_err(|e| format!("cannot create docs/: {e}"))?;
    fs::write(&path, doc).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!("wrote {}", path.display());

    let failed: Vec<String> = reports
        .iter()
        .flat_map(|(layer, _, results)| {
            results
                .iter()
                .filter(|r| !r.passed)
                .map(move |r| format!("{layer}: {}", r.case))
        })
        .collect();
    if failed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} interop case(s) failed: {}",
            failed.len(),
            failed.join("; ")
        ))
    }
}

fn run_layer(layer: &Layer, flags: Vec<String>) -> Result<Vec<CaseResult>> {
    let name = format!("{NETNS_PREFIX}{}", std::process::id());
    let tmp = TempDir::new(&format!("rtc-interop-{}", layer.name))?;
    let session = Session {
        netns: Netns::create(&name)?,
        tmp,
        flags,
    };
    (layer.run)(&session)
}

type Report = (&'static str, Vec<String>, Vec<CaseResult>);

fn print_matrix(reports: &[Report]) {
    let rows: Vec<[String; 4]> = reports
        .iter()
        .flat_map(|(layer, _, results)| {
            results.iter().map(move |r| {
                [
                    format!("{layer}: {}", r.case),
                    r.peer.clone(),
                    if r.passed { "pass" } else { "FAIL" }.to_owned(),
                    r.detail.clone(),
                ]
            })
        })
        .collect();
    let header = ["case", "peer", "result", "detail"].map(str::to_owned);
    let mut widths = [0usize; 4];
    for row in std::iter::once(&header).chain(&rows) {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |row: &[String; 4]| {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, w)| format!("{cell:<w$}"))
            .collect();
        println!("{}", cells.join(" | ").trim_end());
    };
    println!("\n==== interop results");
    line(&header);
    println!(
        "{}",
        widths
            .iter()
            .map(|w| "-".repeat(*w))
            .collect::<Vec<_>>()
            .join("-+-")
    );
    for row in &rows {
        line(row);
    }
    let passed = rows.iter().filter(|r| r[2] == "pass").count();
    println!("{passed} passed, {} failed", rows.len() - passed);
}

fn layer_markers(layer: &str) -> (String, String) {
    (
        format!("<!-- layer:{layer} -->"),
        format!("<!-- /layer:{layer} -->"),
    )
}

/// docs/interop.md: the notes block and the sections of layers not run now are kept; the
/// sections of the layers just run are rewritten.
fn render(old: &str, invocation: &str, date: &str, reports: &[Report]) -> String {
    let notes = util::marked_block(old, NOTES_START, NOTES_END).unwrap_or(DEFAULT_NOTES);
    let mut out = format!(
        "# Interop results\n\n{notes}\n\nEach section below is rewritten by `cargo xtask interop \
         LAYER` (or `cargo xtask ci`), which runs real third-party peers against our code in a \
         loopback-only network namespace; the section says when and with which peer versions.\n"
    );
    for layer in LAYERS {
        let (start, end) = layer_markers(layer.name);
        if let Some((_, versions, results)) =
            reports.iter().find(|(name, _, _)| *name == layer.name)
        {
            out.push_str(&format!("\n{start}\n## {}\n\n", layer.name));
            out.push_str(&format!("Run: `{invocation}` on {date} (UTC).\n\n"));
            if !versions.is_empty() {
                out.push_str(&format!("Peers: {}.\n\n", versions.join(", ")));
            }
            out.push_str("| case | peer | result | detail |\n|---|---|---|---|\n");
            for r in results {
                out.push_str(&format!(
                    "| {} | {} | {} | {} |\n",
                    util::md_cell(&r.case),
                    util::md_cell(&r.peer),
                    if r.passed { "pass" } else { "**FAIL**" },
                    util::md_cell(&r.detail)
                ));
            }
            out.push_str(&format!("{end}\n"));
        } else if let Some(block) = util::marked_block(old, &start, &end) {
            out.push_str(&format!("\n{block}\n"));
        }
    }
    out
}

/// The installed version of a Debian package (`dpkg-query`), or "not installed".
pub(crate) fn deb_version(package: &str) -> String {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", package])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|v| !v.is_empty())
        .map_or_else(
            || format!("{package} (not installed)"),
            |v| format!("{package} {v}"),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(case: &str, passed: bool) -> CaseResult {
        CaseResult {
            case: case.to_owned(),
            peer: "coturn".to_owned(),
            passed,
            detail: "a | b".to_owned(),
        }
    }

    #[test]
    fn report_keeps_notes_and_rewrites_layer() {
        let old = "# Interop results\n\n<!-- notes -->\nmine\n<!-- /notes -->\n\n\
                   <!-- layer:stun -->\nold\n<!-- /layer:stun -->\n";
        let reports = vec![(
            "stun",
            vec!["coturn 4.6.1-1".to_owned()],
            vec![row("x → y", true), row("z", false)],
        )];
        let doc = render(old, "cargo xtask interop stun", "2026-01-01", &reports);
        assert!(doc.contains("<!-- notes -->\nmine\n<!-- /notes -->"));
        assert!(!doc.contains("\nold\n"));
        assert!(doc.contains("| x → y | coturn | pass | a \\| b |"));
        assert!(doc.contains("| z | coturn | **FAIL** | a \\| b |"));
        assert!(doc.contains("Peers: coturn 4.6.1-1."));
        assert!(doc.contains("2026-01-01"));

        // A run of other layers keeps this one's section as it was.
        let kept = render(&doc, "cargo xtask interop other", "2026-02-02", &[]);
        assert!(kept.contains("| x → y | coturn | pass | a \\| b |"));
        assert!(kept.contains("2026-01-01"));
    }

    #[test]
    fn unknown_layer() {
        assert!(main(&["nope".to_owned()]).is_err());
    }

    #[test]
    fn unknown_flag() {
        let err = main(&["stun".to_owned(), "--save".to_owned()]).expect_err("stun has no flags");
        assert!(err.contains("--save"), "{err}");
        let err = main(&["--nope".to_owned()]).expect_err("no layer takes --nope");
        assert!(err.contains("--save (sdp)"), "{err}");
    }
}
