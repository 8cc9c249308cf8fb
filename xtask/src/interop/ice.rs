//! The `ice` interop layer: rtc-ice's agent against aioice (aiortc's pure-Python ICE, in the
//! interop venv), connectivity checks over loopback in both roles. interop/ice/README.md
//! describes the protocol and what aioice does on the wire.
//!
//! Our side is `crates/rtc-ice/examples/ice_peer.rs` (debug build), theirs
//! `interop/ice/aioice_peer.py`; both take
//! ```text
//! --role controlling|controlled --signal-dir DIR --hold SECONDS --consent-interval SECONDS
//! --timeout SECONDS --verbose
//! ```
//! Each binds one UDP socket on 127.0.0.1 (an ephemeral port), offers its host candidate in
//! `DIR/<name>.json` (`{"ufrag", "pwd", "candidates"}`; the names are `rtc-ice` and `aioice`),
//! reads the other's, and connects. Once connected, each sends `<name> hello` over the selected
//! pair, holds the connection for `--hold` seconds (answering the other's consent checks,
//! sending its own), sends `<name> bye` and ends once the other's hello and bye arrived. Each
//! prints `RESULT {json}` last on stdout (the selected pair, roles, STUN counts) and exits 0
//! when ok; `--verbose` dumps every datagram on stderr.
//!
//! The cases, both processes started together in the layer's namespace:
//! 1. ours controlling, aioice controlled (we nominate by regular nomination);
//! 2. aioice controlling (aggressive nomination: USE-CANDIDATE on every check), ours controlled;
//! 3. both start controlling and 4. both start controlled: the role conflict (RFC 8445
//!    §7.3.1.1) must leave the agent with the larger tie breaker controlling;
//! 5. ours an ICE lite agent (`--lite`; its signal file says `"lite": true`, aioice gets
//!    `remote_is_lite`), aioice controlling: aioice then uses regular nomination, and ours must
//!    send no request at all.
//!
//! A case passes when both RESULTs are ok, both sides selected the same pair (mirrored), the
//! roles end as expected, the controlled side saw the controlling side's USE-CANDIDATE, data
//! went both ways over the pair before and after the hold, and each side had at least the
//! case's number of consent checks answered during the hold. The consent interval is
//! shortened to 1 s on both sides (RFC 7675's 5 s would need a longer hold for the same
//! checks). About 13 s for the five cases.
//!
//! Then the ICE-TCP rows (RFC 6544, `ice_tcp.rs`): two of our agents over real loopback TCP,
//! since aioice has no ICE-TCP.

use std::fs;
use std::path::Path;
use std::process::Command;
use std::thread;

use serde_json::Value;

#[path = "ice_tcp.rs"]
mod tcp;

use super::sdp::venv_version;
use super::{CaseResult, Layer, PEER_TIMEOUT, Session};
use crate::util::{self, Captured, Result};

/// Registered in [`super::LAYERS`].
pub(super) const LAYER: Layer = Layer {
    name: "ice",
    run,
    versions,
    flags: &[],
};

/// The names of the sides: their signal files, and the first word of their datagrams.
const OURS: &str = "rtc-ice";
const THEIRS: &str = "aioice";
/// Each side's own deadline (seconds), below [`PEER_TIMEOUT`].
const SIDE_TIMEOUT: &str = "15";
/// The consent interval of both sides during the cases (seconds).
const CONSENT_INTERVAL: &str = "1";

fn versions() -> Vec<String> {
    vec![format!("aioice {}", venv_version("aioice"))]
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Role {
    Controlling,
    Controlled,
}

impl Role {
    fn as_str(self) -> &'static str {
        match self {
            Self::Controlling => "controlling",
            Self::Controlled => "controlled",
        }
    }
}

/// One case: the roles the sides start with and how long they hold the connection.
struct Case {
    name: &'static str,
    ours: Role,
    theirs: Role,
    /// Seconds.
    hold: &'static str,
    /// Consent checks each side must have had answered during the hold (aioice's only with
    /// a lite agent, which sends none).
    consent_min: u64,
    /// Ours is an ICE lite agent.
    lite: bool,
}

const CASES: [Case; 5] = [
    Case {
        name: "rtc-ice controlling ↔ aioice controlled: checks, regular nomination, data both \
               ways, 3 s of consent checks",
        ours: Role::Controlling,
        theirs: Role::Controlled,
        hold: "3",
        consent_min: 2,
        lite: false,
    },
    Case {
        name: "aioice controlling ↔ rtc-ice controlled: aggressive nomination, data both ways, \
               3 s of consent checks",
        ours: Role::Controlled,
        theirs: Role::Controlling,
        hold: "3",
        consent_min: 2,
        lite: false,
    },
    Case {
        name: "both start controlling: role conflict repaired (larger tie breaker controls), \
               data both ways",
        ours: Role::Controlling,
        theirs: Role::Controlling,
        hold: "1",
        consent_min: 0,
        lite: false,
    },
    Case {
        name: "both start controlled: role conflict repaired (larger tie breaker controls), \
               data both ways",
        ours: Role::Controlled,
        theirs: Role::Controlled,
        hold: "1",
        consent_min: 0,
        lite: false,
    },
    Case {
        name: "aioice controlling ↔ rtc-ice ICE lite: regular nomination toward a lite peer, \
               no checks from ours, data both ways, 2 s of aioice's consent checks",
        ours: Role::Controlled,
        theirs: Role::Controlling,
        hold: "2",
        consent_min: 1,
        lite: true,
    },
];

fn run(session: &Session) -> Result<Vec<CaseResult>> {
    let interop = util::repo_root().join("interop");
    let venv = interop.join(".venv");
    util::pip_install(&venv, &interop.join("requirements.txt"))?;
    let python = venv.join("bin/python");
    // Built outside the namespace (it has no network for crates.io).
    util::run(util::cargo().args([
        "build",
        "-p",
        "rtc-ice",
        "--example",
        "ice_peer",
        "--locked",
    ]))?;
    let ice_peer = util::target_dir().join("debug/examples/ice_peer");
    if !ice_peer.is_file() {
        return Err(format!(
            "{} is missing after building the example",
            ice_peer.display()
        ));
    }
    let script = interop.join("ice/aioice_peer.py");
    let peer = format!("aioice {}", venv_version("aioice"));
    let mut results = Vec::new();
    for (index, case) in CASES.iter().enumerate() {
        println!("\n--- {}", case.name);
        let dir = session.tmp().join(format!("case{}", index + 1));
        let outcome = fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))
            .and_then(|()| run_case(session, &ice_peer, &python, &script, &dir, case));
        results.push(CaseResult::verdict(case.name, &peer, outcome));
    }
    results.extend(tcp::run(session)?);
    Ok(results)
}

/// Runs both sides of `case` at once and judges them.
fn run_case(
    session: &Session,
    ice_peer: &Path,
    python: &Path,
    script: &Path,
    dir: &Path,
    case: &Case,
) -> Result<String> {
    let common = |cmd: &mut Command, role: Role, name: &str, peer: &str| {
        cmd.arg("--role")
            .arg(role.as_str())
            .arg("--signal-dir")
            .arg(dir)
            .args(["--name", name, "--peer", peer, "--hold", case.hold])
            .args([
                "--consent-interval",
                CONSENT_INTERVAL,
                "--timeout",
                SIDE_TIMEOUT,
            ])
            .arg("--verbose");
    };
    let mut ours = session.command(ice_peer);
    common(&mut ours, case.ours, OURS, THEIRS);
    if case.lite {
        ours.arg("--lite");
    }
    let mut theirs = session.command(python);
    theirs.arg(script);
    common(&mut theirs, case.theirs, THEIRS, OURS);
    let (ours, theirs) = run_both(&mut ours, &mut theirs);
    let (ours, theirs) = (ours?, theirs?);
    print_side("rtc-ice ice_peer", &ours);
    print_side("aioice", &theirs);
    judge(case, &ours, &theirs)
}

/// Runs two commands at the same time, each with the peer deadline.
fn run_both(a: &mut Command, b: &mut Command) -> (Result<Captured>, Result<Captured>) {
    thread::scope(|s| {
        let a = s.spawn(|| util::run_with_timeout(a, PEER_TIMEOUT));
        let b = s.spawn(|| util::run_with_timeout(b, PEER_TIMEOUT));
        let join = |h: thread::ScopedJoinHandle<'_, Result<Captured>>| {
            h.join()
                .unwrap_or_else(|_| Err("the thread running a side panicked".to_owned()))
        };
        (join(a), join(b))
    })
}

/// A side's RESULT when it exited 0 with `"ok": true`; the problem otherwise.
fn side_result(who: &str, out: &Captured, problems: &mut Vec<String>) -> Option<Value> {
    let result = out
        .stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("RESULT "))
        .and_then(|json| serde_json::from_str::<Value>(json).ok());
    match result {
        Some(r) if out.success() && r.get("ok") == Some(&Value::Bool(true)) => Some(r),
        Some(r) => {
            problems.push(format!(
                "{who}: {}, RESULT not ok: errors {}",
                out.describe(),
                r.get("errors").unwrap_or(&Value::Null)
            ));
            None
        }
        None => {
            problems.push(format!(
                "{who} printed no RESULT ({}): {}",
                out.describe(),
                util::tail(&format!("{}{}", out.stdout, out.stderr), 3)
            ));
            None
        }
    }
}

fn text<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_str)
        .unwrap_or("?")
}

fn number(v: &Value, path: &[&str]) -> u64 {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_u64)
        .unwrap_or(0)
}

fn list_len(v: &Value, path: &[&str]) -> usize {
    path.iter()
        .try_fold(v, |v, k| v.get(k))
        .and_then(Value::as_array)
        .map_or(0, Vec::len)
}

/// The role the side with this tie breaker must end in: RFC 8445 §7.3.1.1 leaves the larger
/// tie breaker controlling, whichever roles both started with.
fn expected_roles(
    case: &Case,
    ours_tb: Option<u64>,
    theirs_tb: Option<u64>,
) -> Option<(Role, Role)> {
    if case.ours != case.theirs {
        return Some((case.ours, case.theirs));
    }
    let (ours_tb, theirs_tb) = (ours_tb?, theirs_tb?);
    Some(if ours_tb >= theirs_tb {
        (Role::Controlling, Role::Controlled)
    } else {
        (Role::Controlled, Role::Controlling)
    })
}

fn tie_breaker(r: &Value) -> Option<u64> {
    u64::from_str_radix(r.get("tie_breaker")?.as_str()?, 16).ok()
}

fn judge(case: &Case, ours: &Captured, theirs: &Captured) -> Result<String> {
    let mut problems = Vec::new();
    let ours = side_result("rtc-ice", ours, &mut problems);
    let theirs = side_result("aioice", theirs, &mut problems);
    let (Some(o), Some(t)) = (ours, theirs) else {
        return Err(problems.join("; "));
    };

    // The same pair on both sides, mirrored.
    let (ol, or) = (
        text(&o, &["selected", "local"]),
        text(&o, &["selected", "remote"]),
    );
    let (tl, tr) = (
        text(&t, &["selected", "local"]),
        text(&t, &["selected", "remote"]),
    );
    if (ol, or) != (tr, tl) {
        problems.push(format!(
            "different pairs: ours {ol} → {or}, aioice's {tl} → {tr}"
        ));
    }

    // Roles.
    let (ours_tb, theirs_tb) = (tie_breaker(&o), tie_breaker(&t));
    let (our_role, their_role) = (text(&o, &["role"]), text(&t, &["role"]));
    match expected_roles(case, ours_tb, theirs_tb) {
        Some((want_ours, want_theirs)) => {
            if (our_role, their_role) != (want_ours.as_str(), want_theirs.as_str()) {
                problems.push(format!(
                    "roles ended ours {our_role}, aioice {their_role}; expected {} and {} \
                     (tie breakers ours {}, aioice {})",
                    want_ours.as_str(),
                    want_theirs.as_str(),
                    text(&o, &["tie_breaker"]),
                    text(&t, &["tie_breaker"]),
                ));
            }
        }
        None => problems.push("a side did not report its tie breaker".to_owned()),
    }
    let role_changes: Vec<&str> = o
        .get("events")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter(|e| e.starts_with("RoleChanged"))
        .collect();
    if role_changes.len() > 1 {
        problems.push(format!("our role changed more than once: {role_changes:?}"));
    }

    // Nomination: aioice as controlled must have seen our USE-CANDIDATE; as controlling it
    // nominates with its first check (aggressive).
    let nomination = match (our_role, their_role) {
        ("controlling", _) => {
            let seen = number(&t, &["stun", "use_candidate_received"]);
            if seen == 0 {
                problems.push("aioice saw no USE-CANDIDATE from us".to_owned());
            }
            format!(
                "we nominated (regular nomination: {} USE-CANDIDATE check(s), aioice saw {seen})",
                number(&o, &["stun", "use_candidate_sent"])
            )
        }
        _ if case.lite => {
            let seen = number(&o, &["stun", "use_candidate_received"]);
            let sent = number(&o, &["stun", "requests_sent"]);
            let first_nominates = o
                .pointer("/stun/first_peer_request")
                .and_then(Value::as_array)
                .is_none_or(|a| a.iter().any(|n| n == "USE-CANDIDATE"));
            if seen == 0 || first_nominates {
                problems.push(format!(
                    "aioice did not nominate by regular nomination toward our lite agent (we \
                     saw {seen} USE-CANDIDATE; its first check carried one: {first_nominates})"
                ));
            }
            if sent > 0 {
                problems.push(format!(
                    "our lite agent sent {sent} requests, expected none"
                ));
            }
            format!(
                "aioice nominated by regular nomination (a first check without USE-CANDIDATE, \
                 then {seen} with); our lite agent sent no request"
            )
        }
        _ => {
            let seen = number(&o, &["stun", "use_candidate_received"]);
            if seen == 0 {
                problems.push("we saw no USE-CANDIDATE from aioice".to_owned());
            }
            // Its requests are checks (with retransmissions) and consent checks.
            let checks = number(&t, &["stun", "requests_sent"])
                .saturating_sub(number(&t, &["stun", "consent_sent"]));
            format!(
                "aioice nominated (aggressive: USE-CANDIDATE on {} of its {checks} checks, we \
                 saw {seen}{})",
                number(&t, &["stun", "use_candidate_sent"]),
                if o.pointer("/stun/first_peer_request")
                    .and_then(Value::as_array)
                    .is_some_and(|a| a.iter().any(|n| n == "USE-CANDIDATE"))
                {
                    ", on the first"
                } else {
                    ""
                }
            )
        }
    };

    // Conflicts: 487s each way.
    let conflict = if case.ours == case.theirs {
        format!(
            "; tie breakers ours {} aioice {}: 487 sent by us {}, by aioice {}, our role changes \
             {}",
            text(&o, &["tie_breaker"]),
            text(&t, &["tie_breaker"]),
            number(&o, &["stun", "errors_sent"]),
            list_len(&t, &["stun", "errors_sent"]),
            role_changes.len()
        )
    } else {
        String::new()
    };

    // Consent during the hold.
    let (ours_sent, ours_ok) = (
        number(&o, &["stun", "consent_sent"]),
        number(&o, &["stun", "consent_answered"]),
    );
    let (theirs_sent, theirs_ok, theirs_failed) = (
        number(&t, &["stun", "consent_sent"]),
        number(&t, &["stun", "consent_answered"]),
        number(&t, &["stun", "consent_failed"]),
    );
    let min = case.consent_min;
    if !case.lite && ours_ok < min {
        problems.push(format!(
            "aioice answered {ours_ok} of our {ours_sent} consent checks, expected at least {min}"
        ));
    }
    if theirs_ok < min || theirs_failed > 0 {
        problems.push(format!(
            "we answered {theirs_ok} of aioice's {theirs_sent} consent checks ({theirs_failed} \
             failed), expected at least {min} and no failure"
        ));
    }
    for (who, r) in [("our", &o), ("aioice's", &t)] {
        if number(r, &["stun", "received_without_fingerprint"]) > 0 {
            problems.push(format!("{who} side got checks without FINGERPRINT"));
        }
    }

    let dropped = number(&o, &["dropped"]);
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    Ok(format!(
        "pair {ol} ↔ {or} on both sides (connected in {} ms ours, {} ms aioice); ours \
         {our_role}, aioice {their_role}; {nomination}; `hello` and `bye` both ways over the \
         pair around a {} s hold; consent answered: ours {ours_ok}/{ours_sent}, aioice's \
         {theirs_ok}/{theirs_sent}{conflict}; STUN dropped by our agent: {dropped}",
        number(&o, &["connected_ms"]),
        number(&t, &["connected_ms"]),
        case.hold,
    ))
}

/// A side's output for the CI log.
fn print_side(name: &str, out: &Captured) {
    for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        if text.trim().is_empty() {
            continue;
        }
        println!("  --- {name} {stream}:");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            println!("  | {line}");
        }
    }
    println!("  --- {name}: {}", out.describe());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_exist() {
        let root = util::repo_root();
        for f in [
            "interop/ice/aioice_peer.py",
            "interop/ice/README.md",
            "crates/rtc-ice/examples/ice_peer.rs",
            "crates/rtc-ice/examples/ice_tcp_peer.rs",
        ] {
            assert!(root.join(f).is_file(), "{f} is missing");
        }
    }

    #[test]
    fn larger_tie_breaker_controls() {
        let both = &CASES[2];
        assert_eq!(
            expected_roles(both, Some(5), Some(3)),
            Some((Role::Controlling, Role::Controlled))
        );
        assert_eq!(
            expected_roles(&CASES[3], Some(3), Some(5)),
            Some((Role::Controlled, Role::Controlling))
        );
        assert_eq!(
            expected_roles(&CASES[0], None, None),
            Some((Role::Controlling, Role::Controlled))
        );
        assert_eq!(expected_roles(both, None, Some(1)), None);
    }

    #[test]
    fn judges_a_mirrored_pair() {
        let side = |role: &str, local: &str, remote: &str, tb: &str, extra: &str| Captured {
            status: Some(std::os::unix::process::ExitStatusExt::from_raw(0)),
            stdout: format!(
                "RESULT {{\"ok\":true,\"role\":\"{role}\",\"tie_breaker\":\"{tb}\",\
                 \"selected\":{{\"local\":\"{local}\",\"remote\":\"{remote}\"}},\
                 \"stun\":{{\"consent_sent\":3,\"consent_answered\":3,\
                 \"use_candidate_received\":1{extra}}},\"events\":[]}}\n"
            ),
            stderr: String::new(),
        };
        let a = "127.0.0.1:1000";
        let b = "127.0.0.1:2000";
        let ours = side("controlling", a, b, "05", "");
        let theirs = side("controlled", b, a, "03", "");
        let detail = judge(&CASES[0], &ours, &theirs).expect("passes");
        assert!(detail.contains("regular nomination"), "{detail}");

        let crossed = side("controlled", b, a, "03", "");
        let wrong = side("controlled", a, "127.0.0.1:3000", "03", "");
        assert!(judge(&CASES[0], &ours, &wrong).is_err());
        // Both controlling, ours has the larger tie breaker but ended controlled.
        let lost = side("controlled", a, b, "05", "");
        assert!(judge(&CASES[2], &lost, &crossed).is_err());
    }
}
