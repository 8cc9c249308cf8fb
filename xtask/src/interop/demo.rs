//! The `demo` interop layer: the `rtc` application (apps/rtc-cli) with headless Chromium
//! on its embedded page, end to end through its signaling server, in the layer's network
//! namespace. interop/demo/README.md describes the rows.
//!
//! `rtc serve` runs with its STUN and TURN servers; `rtc echo`, `rtc receive` and `rtc send`
//! each wait in a room of their own; then interop/demo/demo.js (playwright-core) opens the
//! page in those rooms and:
//!
//! 1. types chat messages that the Rust echo peer must send back unchanged (the page offers
//!    audio and video too; the Rust peer rejects those sections today, which the row says);
//! 2. sends a 1 MiB random file from the page that `rtc receive` must write intact (its exit
//!    status, and the file compared byte for byte here);
//! 3. receives a 1 MiB random file from `rtc send` and checks its SHA-256 in the page;
//! 4. puts two pages in one room, relay only through `rtc serve`'s TURN server, and checks
//!    that each shows the other's (fake) camera and gets its chat.
//!
//! Video through the Rust peer is not tested: it has no media yet.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::sdp::{self, Peer as SdpPeer};
use super::{CaseResult, Layer, Session};
use crate::util::{self, Background, Result};

/// Registered in [`super::LAYERS`].
pub(super) const LAYER: Layer = Layer {
    name: "demo",
    run,
    versions,
    flags: &[],
};

/// `rtc serve`'s address in the namespace.
const LISTEN: &str = "127.0.0.1:8080";
const ECHO_ROOM: &str = "demo-echo";
const UPLOAD_ROOM: &str = "demo-upload";
const DOWNLOAD_ROOM: &str = "demo-download";
const VIDEO_ROOM: &str = "demo-video";
/// The files moved each way.
const FILE_SIZE: usize = 1024 * 1024;
/// How long demo.js may take for all its scenarios.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(240);
/// How long `rtc send` and `rtc receive` wait for the page.
const PEER_TIMEOUT_SECONDS: &str = "200";
/// After demo.js, how long `rtc send`/`rtc receive` may take to exit.
const EXIT_GRACE: Duration = Duration::from_secs(15);

fn versions() -> Vec<String> {
    vec![sdp::peer_provenance(SdpPeer::Chromium)]
}

fn demo_dir() -> PathBuf {
    util::repo_root().join("interop/demo")
}

/// Chromium and the npm packages (playwright-core): installed when missing, an error
/// otherwise.
fn install() -> Result {
    if util::which("chromium").is_none() {
        util::apt_install(&["chromium"])?;
    }
    if util::which("chromium").is_none() {
        return Err("`chromium` is not in PATH after installing Debian's chromium".to_owned());
    }
    util::npm_install(&util::repo_root().join("interop"))
}

/// `len` bytes from a xorshift generator seeded by the clock and the process (the content
/// only has to differ from run to run and from the other file).
fn random_bytes(len: usize, salt: u64) -> Vec<u8> {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    let mut x =
        nanos ^ (u64::from(std::process::id()) << 32) ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x |= 1;
    let mut out = Vec::with_capacity(len + 8);
    while out.len() < len {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(len);
    out
}

fn run(session: &Session) -> Result<Vec<CaseResult>> {
    let started = Instant::now();
    install()?;
    // Built outside the namespace (it has no network for crates.io).
    util::run(util::cargo().args(["build", "-p", "rtc-cli", "--bin", "rtc", "--locked"]))?;
    let rtc = util::target_dir().join("debug/rtc");
    if !rtc.is_file() {
        return Err(format!("{} is missing after the build", rtc.display()));
    }
    let tmp = session.tmp();
    let upload = tmp.join("upload.bin");
    let download = tmp.join("download.bin");
    let received_dir = tmp.join("received");
    fs::write(&upload, random_bytes(FILE_SIZE, 1))
        .map_err(|e| format!("cannot write {}: {e}", upload.display()))?;
    fs::write(&download, random_bytes(FILE_SIZE, 2))
        .map_err(|e| format!("cannot write {}: {e}", download.display()))?;
    let ws = format!("ws://{LISTEN}/ws");

    let mut serve = Background::spawn(
        "rtc serve",
        session.command(&rtc).args(["serve", "--listen", LISTEN]),
        &tmp.join("serve.log"),
    )?;
    serve.wait_for_line(|l| l.contains("open http://"), Duration::from_secs(20))?;
    let joined = |l: &str| l.contains("joined room");
    let mut echo = Background::spawn(
        "rtc echo",
        session
            .command(&rtc)
            .args(["echo", "--room", ECHO_ROOM, "--server", &ws]),
        &tmp.join("echo.log"),
    )?;
    echo.wait_for_line(joined, Duration::from_secs(20))?;
    let mut receive = Background::spawn(
        "rtc receive",
        session
            .command(&rtc)
            .args([
                "receive",
                "--room",
                UPLOAD_ROOM,
                "--server",
                &ws,
                "--quiet",
                "--timeout",
                PEER_TIMEOUT_SECONDS,
                "--out",
            ])
            .arg(&received_dir),
        &tmp.join("receive.log"),
    )?;
    receive.wait_for_line(joined, Duration::from_secs(20))?;
    let mut send = Background::spawn(
        "rtc send",
        session.command(&rtc).arg("send").arg(&download).args([
            "--room",
            DOWNLOAD_ROOM,
            "--server",
            &ws,
            "--quiet",
            "--timeout",
            PEER_TIMEOUT_SECONDS,
        ]),
        &tmp.join("send.log"),
    )?;
    send.wait_for_line(joined, Duration::from_secs(20))?;
    println!(
        "setup (install, build, rtc serve/echo/receive/send) took {}",
        util::format_elapsed(started.elapsed())
    );

    let script = util::run_with_timeout(
        session
            .command(util::which("node").ok_or("`node` is not in PATH")?)
            .arg(demo_dir().join("demo.js"))
            .args(["--url", &format!("http://{LISTEN}")])
            .args(["--echo-room", ECHO_ROOM])
            .args(["--upload-room", UPLOAD_ROOM])
            .arg("--upload")
            .arg(&upload)
            .args(["--download-room", DOWNLOAD_ROOM])
            .arg("--download")
            .arg(&download)
            .args(["--video-room", VIDEO_ROOM])
            .current_dir(demo_dir()),
        SCRIPT_TIMEOUT,
    );
    let script = match script {
        Ok(out) => out,
        Err(e) => return Err(format!("demo.js did not run: {e}")),
    };
    println!("  --- demo.js stderr:");
    for line in script.stderr.lines() {
        println!("  | {line}");
    }
    println!("  --- demo.js: {}", script.describe());
    let scenarios: Vec<Value> = script
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v.get("scenario").is_some())
        .collect();
    let scenario = |name: &str| -> Result<String> {
        let found = scenarios
            .iter()
            .find(|v| v["scenario"] == name)
            .ok_or_else(|| {
                format!(
                    "demo.js reported nothing for `{name}` ({}; last stderr line: {})",
                    script.describe(),
                    script.stderr.lines().last().unwrap_or("(none)")
                )
            })?;
        let detail = found["detail"].as_str().unwrap_or("").to_owned();
        if found["ok"] == true {
            Ok(detail)
        } else {
            Err(detail)
        }
    };

    let receive_exit = wait_exit(&mut receive, EXIT_GRACE);
    let send_exit = wait_exit(&mut send, EXIT_GRACE);
    for (name, log) in [
        ("rtc serve", serve.log_tail(30)),
        ("rtc echo", echo.log_tail(30)),
        ("rtc receive", receive.log_tail(30)),
        ("rtc send", send.log_tail(30)),
    ] {
        println!("  --- {name} (last lines):");
        for line in log.lines() {
            println!("  | {line}");
        }
    }

    let peer = sdp::peer_provenance(SdpPeer::Chromium);
    let chromium = SdpPeer::Chromium.version();
    let mut results = vec![CaseResult::verdict(
        "page chat ↔ rtc echo (Rust peer)",
        &chromium,
        scenario("echo"),
    )];
    let upload_outcome = scenario("upload").and_then(|page| {
        let exit = receive_exit?;
        let written = received_dir.join("upload.bin");
        same_file(&upload, &written)?;
        Ok(format!(
            "{page}; rtc receive {exit} and wrote {} identical to the page's file \
             (compared byte for byte)",
            written.display()
        ))
    });
    results.push(CaseResult::verdict(
        "page → rtc receive (1 MiB file)",
        &chromium,
        upload_outcome,
    ));
    let download_outcome = scenario("download").and_then(|page| {
        let exit = send_exit?;
        Ok(format!("{page}; rtc send {exit}"))
    });
    results.push(CaseResult::verdict(
        "rtc send → page (1 MiB file)",
        &chromium,
        download_outcome,
    ));
    results.push(CaseResult::verdict(
        "page ↔ page: video and chat, relay only through rtc serve's TURN",
        &chromium,
        scenario("video"),
    ));
    println!("\nChromium: {peer}");
    println!(
        "the demo layer took {}",
        util::format_elapsed(started.elapsed())
    );
    Ok(results)
}

/// Waits for a background command to exit: `Ok("exited 0")`, or why not.
fn wait_exit(child: &mut Background, grace: Duration) -> Result<String> {
    let deadline = Instant::now() + grace;
    loop {
        if let Some(status) = child.exited() {
            return if status.success() {
                Ok("exited 0".to_owned())
            } else {
                Err(format!(
                    "exited with {status}; its last lines: {}",
                    child.log_tail(5).replace('\n', " / ")
                ))
            };
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "still running {} s after the page was done; its last lines: {}",
                grace.as_secs(),
                child.log_tail(5).replace('\n', " / ")
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn same_file(original: &Path, copy: &Path) -> Result {
    let a = fs::read(original).map_err(|e| format!("cannot read {}: {e}", original.display()))?;
    let b = fs::read(copy).map_err(|e| format!("cannot read {}: {e}", copy.display()))?;
    if a.len() != b.len() {
        return Err(format!(
            "{} has {} bytes, the original {}",
            copy.display(),
            b.len(),
            a.len()
        ));
    }
    match a.iter().zip(&b).position(|(x, y)| x != y) {
        Some(at) => Err(format!(
            "{} differs from the original at byte {at}",
            copy.display()
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_exist() {
        for file in ["README.md", "demo.js"] {
            assert!(demo_dir().join(file).is_file(), "{file}");
        }
        assert!(util::repo_root().join("apps/rtc-cli/web/app.js").is_file());
    }

    #[test]
    fn random_files_differ() {
        let a = random_bytes(1000, 1);
        let b = random_bytes(1000, 2);
        assert_eq!(a.len(), 1000);
        assert_ne!(a, b);
        assert!(a.iter().any(|&x| x != a[0]));
    }

    #[test]
    fn comparing_files() {
        let dir = util::TempDir::new("xtask-demo-test").expect("a temporary directory");
        let (x, y, z) = (
            dir.path().join("x"),
            dir.path().join("y"),
            dir.path().join("z"),
        );
        fs::write(&x, b"abc").expect("writes");
        fs::write(&y, b"abc").expect("writes");
        fs::write(&z, b"abd").expect("writes");
        assert!(same_file(&x, &y).is_ok());
        assert!(same_file(&x, &z).is_err_and(|e| e.contains("byte 2")));
    }
}
