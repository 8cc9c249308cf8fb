//! The `srtp` interop layer: rtc-srtp against libsrtp2 (Debian's `libsrtp2-dev`), byte for
//! byte, in every protection profile and with every crypto backend.
//!
//! Two programs:
//! - `interop/srtp/harness.c`: libsrtp behind a line protocol on stdin/stdout (see its header),
//!   compiled with gcc into `target/interop/srtp-harness`;
//! - `crates/rtc-srtp/examples/srtp_crosscheck.rs`, built with `--features ring` so both
//!   backends (RustCrypto and ring) are compiled in: it drives the harness with seeded random
//!   sessions (sequence wraps, CSRCs, one- and two-byte header extensions, RTP and RTCP
//!   compound packets) and checks that our protect output equals libsrtp's and that each side
//!   unprotects the other's, plus forgeries, replays, the replay window's edge and unencrypted
//!   SRTCP. It prints `ok PROFILE BACKEND: ...` per profile and backend, or `FAIL PROFILE
//!   BACKEND: ...` with a hex dump of the case and stops (exit status 1).
//!
//! One row per profile and backend. No network is involved; the cross-check runs in the
//! layer's namespace like every other peer, which also proves it needs none. It takes about
//! 10 s (debug build). libsrtp missing and not installable is a setup failure, never a skip.

use std::fs;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use super::{CaseResult, Layer, Session};
use crate::util::{self, Captured, Result};

/// Registered in [`super::LAYERS`].
pub(super) const LAYER: Layer = Layer {
    name: "srtp",
    run,
    versions,
    flags: &[],
};

/// The Debian packages: libsrtp's headers and library, and pkg-config for its flags.
const LIBSRTP_DEV: &str = "libsrtp2-dev";
const LIBSRTP_RUNTIME: &str = "libsrtp2-1";

/// ~10 s on an idle machine; a loaded 2-core one is several times slower.
const CROSSCHECK_TIMEOUT: Duration = Duration::from_secs(180);

/// The profiles and backends the cross-check reports, in its order.
const PROFILES: [&str; 4] = [
    "SRTP_AES128_CM_HMAC_SHA1_80",
    "SRTP_AES128_CM_HMAC_SHA1_32",
    "SRTP_AEAD_AES_128_GCM",
    "SRTP_AEAD_AES_256_GCM",
];
/// `rtc_crypto::RUST_CRYPTO.name` and `rtc_crypto::RING.name`.
const BACKENDS: [&str; 2] = ["RustCrypto", "ring"];

fn versions() -> Vec<String> {
    vec![format!(
        "{} ({} backend)",
        super::deb_version(LIBSRTP_DEV),
        libsrtp_backend()
    )]
}

/// Which crypto library Debian's libsrtp2 was built with, from its package's dependencies:
/// NSS (Debian 12), OpenSSL, or libsrtp's own ciphers (no AES-GCM then).
fn libsrtp_backend() -> &'static str {
    let depends = Command::new("dpkg-query")
        .args(["-W", "-f=${Depends}", LIBSRTP_RUNTIME])
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if depends.contains("libnss3") {
        "NSS"
    } else if depends.contains("libssl") {
        "OpenSSL"
    } else if depends.is_empty() {
        "unknown"
    } else {
        "built-in"
    }
}

fn run(session: &Session) -> Result<Vec<CaseResult>> {
    let mut missing = Vec::new();
    if !util::deb_installed(LIBSRTP_DEV) {
        missing.push(LIBSRTP_DEV);
    }
    if util::which("pkg-config").is_none() {
        missing.push("pkg-config");
    }
    if util::which("gcc").is_none() {
        missing.push("gcc");
    }
    util::apt_install(&missing).map_err(|e| format!("cannot install libsrtp: {e}"))?;
    if !util::deb_installed(LIBSRTP_DEV) {
        return Err(format!(
            "{LIBSRTP_DEV} is still not installed after `apt-get install`"
        ));
    }

    let harness = build_harness()?;
    // Built outside the namespace (it has no network for crates.io).
    util::run(util::cargo().args([
        "build",
        "-p",
        "rtc-srtp",
        "--features",
        "ring",
        "--example",
        "srtp_crosscheck",
        "--locked",
    ]))?;
    let crosscheck = util::target_dir().join("debug/examples/srtp_crosscheck");
    if !crosscheck.is_file() {
        return Err(format!(
            "{} is missing after building the example",
            crosscheck.display()
        ));
    }

    let out = util::run_with_timeout(
        session.command(&crosscheck).arg(&harness),
        CROSSCHECK_TIMEOUT,
    )?;
    print_tail(&out);
    let peer = format!("libsrtp2 {} ({})", libsrtp_version(&out), libsrtp_backend());
    Ok(rows(&out, &peer))
}

/// `gcc harness.c` with libsrtp's flags from pkg-config, into `target/interop/`.
fn build_harness() -> Result<PathBuf> {
    let source = harness_source();
    let dir = util::target_dir().join("interop");
    fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let binary = dir.join("srtp-harness");
    let flags =
        util::stdout_of(Command::new("pkg-config").args(["--cflags", "--libs", "libsrtp2"]))?;
    util::run(
        Command::new("gcc")
            .args(["-O2", "-Wall", "-Wextra", "-o"])
            .arg(&binary)
            .arg(&source)
            .args(flags.split_whitespace()),
    )?;
    Ok(binary)
}

/// The cross-check's output for the CI log: all of it but the long hex lines of a failure
/// dump, which are shortened (the full ones are in the example's own output when run by hand).
fn print_tail(out: &Captured) {
    for line in out.stdout.lines().chain(out.stderr.lines()) {
        if line.chars().count() > 400 {
            let short: String = line.chars().take(400).collect();
            println!("  | {short}...");
        } else {
            println!("  | {line}");
        }
    }
    println!("  --- {}", out.describe());
}

/// The `libsrtp: libsrtp2 2.5.0` line's version.
fn libsrtp_version(out: &Captured) -> String {
    out.stdout
        .lines()
        .find_map(|l| l.strip_prefix("libsrtp: "))
        .map(|v| v.trim().trim_start_matches("libsrtp2").trim().to_owned())
        .unwrap_or_else(|| "(version not reported)".to_owned())
}

/// One row per profile and backend from the cross-check's output.
fn rows(out: &Captured, peer: &str) -> Vec<CaseResult> {
    let lines: Vec<&str> = out.stdout.lines().collect();
    let setup = lines
        .iter()
        .find_map(|l| l.strip_prefix("FAIL setup: "))
        .map(str::trim);
    let mut first_failure = None;
    let mut results = Vec::new();
    for profile in PROFILES {
        for backend in BACKENDS {
            let case = format!("rtc-srtp ⇄ libsrtp: {profile} ({backend})");
            let prefix = format!("{profile} {backend}: ");
            let ok = lines
                .iter()
                .find_map(|l| l.strip_prefix("ok ")?.strip_prefix(&prefix));
            let failed = lines.iter().enumerate().find_map(|(i, l)| {
                let reason = l.strip_prefix("FAIL ")?.strip_prefix(&prefix)?;
                Some((i, reason))
            });
            let outcome = match (ok, failed) {
                (Some(detail), None) => Ok(detail.trim().to_owned()),
                (_, Some((at, reason))) => {
                    first_failure.get_or_insert(case.clone());
                    Err(failure_detail(reason, &lines[at + 1..]))
                }
                (None, None) => Err(match (&setup, &first_failure) {
                    (Some(e), _) => format!("not run: the cross-check could not start: {e}"),
                    (None, Some(case)) => {
                        format!("not run: the cross-check stopped at the failure of {case}")
                    }
                    (None, None) => format!(
                        "no result: the cross-check ended ({}) without a line for it; last \
                         output: {}",
                        out.describe(),
                        last_line(out)
                    ),
                }),
            };
            results.push(CaseResult::verdict(&case, peer, outcome));
        }
    }
    if results.iter().all(|r| r.passed) && !out.success() {
        results.push(CaseResult::verdict(
            "rtc-srtp ⇄ libsrtp: the cross-check exits 0",
            peer,
            Err(format!(
                "every profile passed, but it ended with {}; last output: {}",
                out.describe(),
                last_line(out)
            )),
        ));
    }
    results
}

/// A failure's reason with the dump lines that identify the case (seed, session, key, where
/// the bytes differ); the hex of the packets stays in the log.
fn failure_detail(reason: &str, following: &[&str]) -> String {
    let mut detail = reason.trim().to_owned();
    for line in following.iter().take_while(|l| l.starts_with("  ")) {
        let line = line.trim();
        if line.starts_with("case:") || line.starts_with("master key") || line.contains("differ") {
            detail.push_str("; ");
            detail.push_str(line);
        }
    }
    detail.push_str(" (packets as hex in the log)");
    detail
}

fn last_line(out: &Captured) -> String {
    out.stderr
        .lines()
        .chain(out.stdout.lines())
        .rfind(|l| !l.trim().is_empty())
        .map_or_else(|| "(no output)".to_owned(), |l| l.trim().to_owned())
}

fn harness_source() -> PathBuf {
    util::repo_root().join("interop/srtp/harness.c")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt as _;
    use std::process::ExitStatus;

    fn captured(code: i32, stdout: &str) -> Captured {
        Captured {
            status: Some(ExitStatus::from_raw(code << 8)),
            stdout: stdout.to_owned(),
            stderr: String::new(),
        }
    }

    fn all_ok() -> String {
        let mut out = "libsrtp: libsrtp2 2.5.0\nseed: 0x53525450\n".to_owned();
        for profile in PROFILES {
            for backend in BACKENDS {
                out.push_str(&format!(
                    "ok {profile} {backend}: 2000 RTP + 500 RTCP packets byte-equal both ways\n"
                ));
            }
        }
        out
    }

    #[test]
    fn every_profile_and_backend_passes() {
        let out = captured(0, &all_ok());
        assert_eq!(libsrtp_version(&out), "2.5.0");
        let rows = rows(&out, "libsrtp2 2.5.0 (NSS)");
        assert_eq!(rows.len(), 8);
        assert!(rows.iter().all(|r| r.passed), "{rows:?}");
        assert!(rows[7].case.contains("SRTP_AEAD_AES_256_GCM (ring)"));
        assert!(rows[7].detail.starts_with("2000 RTP + 500 RTCP"));
    }

    #[test]
    fn a_mismatch_fails_its_row_and_the_rest_are_not_run() {
        let text = "libsrtp: libsrtp2 2.5.0\n\
            ok SRTP_AES128_CM_HMAC_SHA1_80 RustCrypto: fine\n\
            FAIL SRTP_AES128_CM_HMAC_SHA1_80 ring: protect_rtp: ours differs from libsrtp's\n  \
            case: seed 0x1, session 2, ssrcs [8aaadbaa]\n  \
            master key||salt (16+14 bytes): 0d9d\n  \
            ours (3 bytes): 010203\n  \
            libsrtp (3 bytes): 010204\n  \
            ours and libsrtp differ first at byte 2\n";
        let rows = rows(&captured(1, text), "libsrtp2");
        assert_eq!(rows.len(), 8);
        assert!(rows[0].passed);
        assert!(!rows[1].passed);
        let detail = &rows[1].detail;
        assert!(detail.contains("ours differs"), "{detail}");
        assert!(detail.contains("seed 0x1, session 2"), "{detail}");
        assert!(detail.contains("differ first at byte 2"), "{detail}");
        assert!(!detail.contains("010203"), "{detail}");
        assert!(rows[2..].iter().all(|r| !r.passed));
        assert!(
            rows[2].detail.contains("stopped at the failure of"),
            "{}",
            rows[2].detail
        );
    }

    #[test]
    fn setup_failure_and_silent_exit() {
        let rows = rows(
            &captured(2, "FAIL setup: cannot start the harness x: not found\n"),
            "libsrtp2",
        );
        assert!(
            rows.iter()
                .all(|r| !r.passed && r.detail.contains("could not start"))
        );

        // All rows fine but a non-zero exit: an extra failing row.
        let rows = rows_of(&captured(1, &all_ok()));
        assert_eq!(rows.len(), 9);
        assert!(!rows[8].passed);

        // Killed at the deadline half-way.
        let half: String = all_ok().lines().take(5).map(|l| format!("{l}\n")).collect();
        let out = Captured {
            status: None,
            stdout: half,
            stderr: String::new(),
        };
        let rows = rows_of(&out);
        assert!(rows[2].passed);
        assert!(
            !rows[3].passed && rows[3].detail.contains("timed out"),
            "{}",
            rows[3].detail
        );
    }

    fn rows_of(out: &Captured) -> Vec<CaseResult> {
        rows(out, "libsrtp2")
    }

    #[test]
    fn the_harness_source_is_there() {
        assert!(harness_source().is_file());
    }
}
