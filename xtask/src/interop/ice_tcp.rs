//! The ICE-TCP rows of the `ice` interop layer (RFC 6544): two of our agents
//! (`crates/rtc-ice/examples/ice_tcp_peer.rs`, a driver on std TCP sockets with the crate's
//! RFC 4571 framer) connect over real loopback TCP in the layer's namespace. aioice has no
//! ICE-TCP, so both sides are ours (interop/ice/README.md).
//!
//! Each side binds a listener for a passive candidate and/or offers an active one (port 9),
//! exchanges `{"ufrag", "pwd", "candidates"}` signal files with the other, connects, sends
//! `<name> hello` over the selected pair's connection, holds it with consent checks every
//! 0.5 s, sends `<name> bye`, and prints `RESULT {json}`. A case passes when both RESULTs are
//! ok and both selected TCP pairs of complementary types on the same connection (its
//! endpoints mirrored, as each side's OS saw them), the active side opened the connections and
//! the passive side accepted them, consent checks were answered while connected, and in the
//! break case the active end reopened the connection and both sides selected a pair on the
//! new one.

use std::fs;
use std::path::Path;

use serde_json::Value;

use super::{CaseResult, Session, list_len, number, print_side, run_both, side_result, text};
use crate::util::{self, Captured, Result};

/// Who the other side is, for the report.
const PEER: &str = "rtc-ice ice_tcp_peer (ours: aioice has no ICE-TCP)";
const A: &str = "rtc-ice-a";
const B: &str = "rtc-ice-b";

/// One case: each side's role and TCP candidate types.
struct Case {
    name: &'static str,
    /// (role, tcptype) of A and B.
    a: (&'static str, &'static str),
    b: (&'static str, &'static str),
    hold: &'static str,
    /// A closes the selected pair's connection this many seconds into the hold.
    a_breaks_after: Option<&'static str>,
}

const CASES: [Case; 4] = [
    Case {
        name: "ICE-TCP over loopback: rtc-ice active controlling ↔ rtc-ice passive controlled \
               (RFC 4571 framing, regular nomination, data both ways, consent)",
        a: ("controlling", "active"),
        b: ("controlled", "passive"),
        hold: "2",
        a_breaks_after: None,
    },
    Case {
        name: "ICE-TCP over loopback: rtc-ice passive controlling ↔ rtc-ice active controlled",
        a: ("controlling", "passive"),
        b: ("controlled", "active"),
        hold: "2",
        a_breaks_after: None,
    },
    Case {
        name: "ICE-TCP over loopback: both offer active and passive candidates (a connection \
               each way), one pair selected on both",
        a: ("controlling", "both"),
        b: ("controlled", "both"),
        hold: "1",
        a_breaks_after: None,
    },
    Case {
        name: "ICE-TCP over loopback: the selected connection breaks 1 s into the hold; the \
               active end reopens it and the pair is nominated again",
        a: ("controlling", "active"),
        b: ("controlled", "passive"),
        hold: "3",
        a_breaks_after: Some("1"),
    },
];

/// Builds the example and runs the cases; appended to the `ice` layer's rows.
pub(super) fn run(session: &Session) -> Result<Vec<CaseResult>> {
    // Built outside the namespace (it has no network for crates.io).
    util::run(util::cargo().args([
        "build",
        "-p",
        "rtc-ice",
        "--example",
        "ice_tcp_peer",
        "--locked",
    ]))?;
    let peer = util::target_dir().join("debug/examples/ice_tcp_peer");
    if !peer.is_file() {
        return Err(format!("{} is missing after building it", peer.display()));
    }
    let mut results = Vec::new();
    for (index, case) in CASES.iter().enumerate() {
        println!("\n--- {}", case.name);
        let dir = session.tmp().join(format!("tcp{}", index + 1));
        let outcome = fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))
            .and_then(|()| run_case(session, &peer, &dir, case));
        results.push(CaseResult::verdict(case.name, PEER, outcome));
    }
    Ok(results)
}

fn run_case(session: &Session, program: &Path, dir: &Path, case: &Case) -> Result<String> {
    let side = |name: &str, peer: &str, (role, tcptype): (&str, &str)| {
        let mut cmd = session.command(program);
        cmd.args(["--role", role, "--tcptype", tcptype, "--signal-dir"])
            .arg(dir)
            .args(["--name", name, "--peer", peer, "--hold", case.hold])
            .args(["--consent-interval", "0.5", "--timeout", "15", "--verbose"]);
        cmd
    };
    let mut a = side(A, B, case.a);
    if let Some(after) = case.a_breaks_after {
        a.args(["--break-after", after]);
    }
    let mut b = side(B, A, case.b);
    let (a, b) = run_both(&mut a, &mut b);
    let (a, b) = (a?, b?);
    print_side("rtc-ice ice_tcp_peer A", &a);
    print_side("rtc-ice ice_tcp_peer B", &b);
    judge(case, &a, &b)
}

/// The connection a side's last selection was on: [local, peer] as its OS saw them.
fn last_connection(r: &Value) -> Option<(String, String)> {
    let c = r.get("selections")?.as_array()?.last()?.get("connection")?;
    Some((
        c.get(0)?.as_str()?.to_owned(),
        c.get(1)?.as_str()?.to_owned(),
    ))
}

fn judge(case: &Case, a: &Captured, b: &Captured) -> Result<String> {
    let mut problems = Vec::new();
    let ra = side_result("A", a, &mut problems);
    let rb = side_result("B", b, &mut problems);
    let (Some(ra), Some(rb)) = (ra, rb) else {
        return Err(problems.join("; "));
    };
    // Roles as started (no conflict between these).
    for (who, r, (role, _)) in [("A", &ra, case.a), ("B", &rb, case.b)] {
        if text(r, &["role"]) != role {
            problems.push(format!(
                "{who} ended {}, started {role}",
                text(r, &["role"])
            ));
        }
    }
    // TCP pairs of complementary types.
    let (ta, tb) = (
        text(&ra, &["selected", "transport"]),
        text(&rb, &["selected", "transport"]),
    );
    let complementary = matches!(
        (ta, tb),
        ("Tcp(Active)", "Tcp(Passive)") | ("Tcp(Passive)", "Tcp(Active)")
    );
    if !complementary {
        problems.push(format!("selected transports A {ta}, B {tb}"));
    }
    // The same connection on both sides.
    let (ca, cb) = (last_connection(&ra), last_connection(&rb));
    match (&ca, &cb) {
        (Some((al, ar)), Some((bl, br))) if al == br && ar == bl => {}
        _ => problems.push(format!(
            "the sides selected different connections: A {ca:?}, B {cb:?}"
        )),
    }
    // Who opened what: the active end opens, the passive end accepts.
    let active_side = if ta == "Tcp(Active)" { &ra } else { &rb };
    let passive_side = if ta == "Tcp(Active)" { &rb } else { &ra };
    let opened = number(active_side, &["tcp", "connections_opened"]);
    let accepted = number(passive_side, &["tcp", "connections_accepted"]);
    let both = case.a.1 == "both";
    // One connection, and one more after a break.
    let want = if case.a_breaks_after.is_some() { 2 } else { 1 };
    if opened != want || accepted != want {
        problems.push(format!(
            "the active end opened {opened} connection(s) and the passive end accepted \
             {accepted}; expected {want} each"
        ));
    }
    if both {
        for (who, r) in [("A", &ra), ("B", &rb)] {
            let (o, acc) = (
                number(r, &["tcp", "connections_opened"]),
                number(r, &["tcp", "connections_accepted"]),
            );
            if o != 1 || acc != 1 {
                problems.push(format!(
                    "{who} opened {o} and accepted {acc} connections; with active and passive \
                     candidates on both sides each should do one of each"
                ));
            }
        }
    } else if number(passive_side, &["tcp", "connections_opened"]) > 0 {
        problems.push("the passive-only side opened a connection".to_owned());
    }
    // Consent over the connection.
    for (who, r) in [("A", &ra), ("B", &rb)] {
        let (sent, answered) = (
            number(r, &["stun", "requests_sent_connected"]),
            number(r, &["stun", "success_received_connected"]),
        );
        if sent == 0 || answered == 0 {
            problems.push(format!(
                "{who}: {answered} of {sent} checks answered while connected"
            ));
        }
    }
    // The break: a second selection on a new connection, on both sides.
    let selections = (
        list_len(&ra, &["selections"]),
        list_len(&rb, &["selections"]),
    );
    if case.a_breaks_after.is_some() {
        if ra.get("broke") != Some(&Value::Bool(true)) {
            problems.push("A did not break the connection".to_owned());
        }
        if selections != (2, 2) {
            problems.push(format!(
                "selections A {}, B {}: expected a second one on the new connection",
                selections.0, selections.1
            ));
        }
        for (who, r) in [("A", &ra), ("B", &rb)] {
            if r.pointer("/selections/0/connection") == r.pointer("/selections/1/connection") {
                problems.push(format!("{who} selected the old connection again"));
            }
        }
    } else if selections != (1, 1) {
        problems.push(format!(
            "selections A {}, B {}: expected one each",
            selections.0, selections.1
        ));
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    let (al, ar) = ca.unwrap_or_default();
    Ok(format!(
        "connection {al} ↔ {ar}: A {ta} {}, B {tb} {} (connected in {} ms / {} ms); \
         connections opened by the active end {opened}, accepted by the passive end \
         {accepted}; `hello` and `bye` both ways over it; checks answered while connected: A \
         {}/{}, B {}/{}{}; STUN dropped: A {}, B {}",
        text(&ra, &["role"]),
        text(&rb, &["role"]),
        number(&ra, &["connected_ms"]),
        number(&rb, &["connected_ms"]),
        number(&ra, &["stun", "success_received_connected"]),
        number(&ra, &["stun", "requests_sent_connected"]),
        number(&rb, &["stun", "success_received_connected"]),
        number(&rb, &["stun", "requests_sent_connected"]),
        if case.a_breaks_after.is_some() {
            "; after the break both selected the pair again on the new connection"
        } else {
            ""
        },
        number(&ra, &["dropped"]),
        number(&rb, &["dropped"]),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn side(result: &str) -> Captured {
        Captured {
            status: Some(std::os::unix::process::ExitStatusExt::from_raw(0)),
            stdout: format!("RESULT {result}\n"),
            stderr: String::new(),
        }
    }

    fn result(role: &str, transport: &str, conn: [&str; 2], opened: u64, accepted: u64) -> String {
        format!(
            "{{\"ok\":true,\"role\":\"{role}\",\"selected\":{{\"transport\":\"{transport}\"}},\
             \"selections\":[{{\"connection\":[\"{}\",\"{}\"]}}],\"broke\":false,\
             \"tcp\":{{\"connections_opened\":{opened},\"connections_accepted\":{accepted}}},\
             \"stun\":{{\"requests_sent_connected\":3,\"success_received_connected\":3}}}}",
            conn[0], conn[1]
        )
    }

    #[test]
    fn judges_one_connection_seen_from_both_ends() {
        let (x, y) = ("127.0.0.1:40000", "127.0.0.1:5000");
        let a = side(&result("controlling", "Tcp(Active)", [x, y], 1, 0));
        let b = side(&result("controlled", "Tcp(Passive)", [y, x], 0, 1));
        let detail = judge(&CASES[0], &a, &b).expect("passes");
        assert!(detail.contains("connection 127.0.0.1:40000"), "{detail}");
        // Not mirrored: different connections.
        let other = side(&result(
            "controlled",
            "Tcp(Passive)",
            [y, "127.0.0.1:40001"],
            0,
            1,
        ));
        assert!(judge(&CASES[0], &a, &other).is_err());
        // Both active: not a valid pairing.
        let wrong = side(&result("controlled", "Tcp(Active)", [y, x], 0, 1));
        assert!(judge(&CASES[0], &a, &wrong).is_err());
        // The break case wants a second selection.
        assert!(judge(&CASES[3], &a, &b).is_err());
    }
}
