//! The `turn` interop layer: coturn's `turnutils_uclient` against rtc-turn's example server over
//! UDP and TCP (allocations, permissions, channels, data relayed between two clients), a wrong
//! password refused, and rtc-turn's example client against coturn over UDP and TCP (allocate,
//! permission, channel bind, data relayed to a peer and back).
//!
//! Our side is `crates/rtc-turn/examples/{turn_server,turn_client}.rs`:
//! - `turn_server --listen ADDR --user U:P --realm R --ports LO-HI --allow-loopback-peers`
//!   prints `listening on ADDR (UDP and TCP)` and serves until killed;
//! - `turn_server ... --tls ADDR` also serves TLS over TCP with a self-signed certificate;
//! - `turn_client [--tcp | --tls] --user U:P ADDR` allocates, relays to a UDP echo peer it runs itself,
//!   and prints `relayed N/N datagrams through RELAY (channel ...)` and exits 0 on success.

use std::path::Path;

use super::{CaseResult, Layer, PEER_TIMEOUT, Session};
use crate::util::{self, Background, Captured, Result};

/// Registered in [`super::LAYERS`].
pub(super) const LAYER: Layer = Layer {
    name: "turn",
    run,
    versions,
    flags: &[],
};

const OUR_PORT: u16 = 3480;
const OUR_TLS_PORT: u16 = 5350;
const COTURN_PORT: u16 = 3478;
const COTURN_TLS_PORT: u16 = 5349;
const USER: &str = "test";
const PASSWORD: &str = "secret";
const REALM: &str = "interop.test";

fn versions() -> Vec<String> {
    vec![super::deb_version("coturn")]
}

fn run(session: &Session) -> Result<Vec<CaseResult>> {
    util::ensure_programs(&[("turnserver", "coturn"), ("turnutils_uclient", "coturn")])?;
    util::run(util::cargo().args(["build", "-p", "rtc-turn", "--examples", "--locked"]))?;
    let examples = util::target_dir().join("debug/examples");
    let server = examples.join("turn_server");
    let client = examples.join("turn_client");
    for binary in [&server, &client] {
        if !binary.is_file() {
            return Err(format!("{} is missing after building", binary.display()));
        }
    }
    let mut results = Vec::new();
    our_server_cases(session, &server, &mut results)?;
    coturn_cases(session, &client, &mut results)?;
    Ok(results)
}

/// What `turnutils_uclient` prints at the end of a run, e.g.
/// ```text
/// 6: : start_mclient: tot_send_msgs=40, tot_recv_msgs=40
/// 6: : Total lost packets 0 (0.000000%), total send dropped 0 (0.000000%)
/// ```
/// and, when allocation fails, `ERROR: Cannot complete Allocation` (exit code 0 or 255).
fn uclient_verdict(out: &Captured) -> Result<String> {
    let text = format!("{}{}", out.stdout, out.stderr);
    if text.contains("Cannot complete Allocation") {
        return Err("allocation failed".to_owned());
    }
    let totals = text
        .lines()
        .rev()
        .find_map(|l| {
            l.split_once("tot_send_msgs=")
                .map(|(_, rest)| rest.to_owned())
        })
        .ok_or("no `tot_send_msgs=` line")?;
    let (sent, rest) = totals.split_once(',').ok_or("unreadable totals")?;
    let received = rest
        .split_once("tot_recv_msgs=")
        .map(|(_, r)| r.trim())
        .ok_or("unreadable totals")?;
    let sent: u64 = sent.trim().parse().map_err(|_| "unreadable sent count")?;
    let received: u64 = received.parse().map_err(|_| "unreadable received count")?;
    if sent == 0 || received != sent {
        return Err(format!("sent {sent}, received {received}"));
    }
    let lost = text
        .lines()
        .find(|l| l.contains("Total lost packets"))
        .map(str::trim)
        .unwrap_or("");
    Ok(format!(
        "{received}/{sent} messages relayed between two clients; {lost}"
    ))
}

fn our_server_cases(session: &Session, server: &Path, results: &mut Vec<CaseResult>) -> Result {
    let listen = format!("127.0.0.1:{OUR_PORT}");
    let user = format!("{USER}:{PASSWORD}");
    let mut ours = Background::spawn(
        "rtc-turn turn_server",
        session.command(server).args([
            "--listen",
            &listen,
            "--user",
            &user,
            "--realm",
            REALM,
            "--ports",
            "49250-49290",
            "--allow-loopback-peers",
            "--tls",
            &format!("127.0.0.1:{OUR_TLS_PORT}"),
        ]),
        &session.tmp().join("turn_server.log"),
    )?;
    // (case, transport flags for turnutils_uclient: -t TCP, -t -S TLS; port)
    let tls_port = OUR_TLS_PORT.to_string();
    let port = OUR_PORT.to_string();
    let cases: [(&str, &[&str], &str); 3] = [
        (
            "coturn turnutils_uclient → rtc-turn server (UDP)",
            &[],
            &port,
        ),
        (
            "coturn turnutils_uclient → rtc-turn server (TCP)",
            &["-t"],
            &port,
        ),
        (
            "coturn turnutils_uclient → rtc-turn server (TLS)",
            &["-t", "-S"],
            &tls_port,
        ),
    ];
    let wrong = "coturn turnutils_uclient → rtc-turn server (wrong password refused)";
    let banner = format!("listening on {listen} (UDP and TCP)");
    if let Err(e) = ours.wait_for_line(|l| l.trim() == banner, PEER_TIMEOUT) {
        for (case, _, _) in cases {
            results.push(CaseResult::not_run(case, "coturn turnutils_uclient", &e));
        }
        results.push(CaseResult::not_run(wrong, "coturn turnutils_uclient", &e));
        return Ok(());
    }
    for (case, transport, case_port) in cases {
        // -y: two clients allocate and send to each other's relayed address (permissions,
        // channels, ChannelData both ways); -n 10 -m 2: 10 messages from each of 2 pairs.
        let mut args = vec![
            "-p", case_port, "-u", USER, "-w", PASSWORD, "-y", "-n", "10", "-m", "2",
        ];
        args.extend(["-e", "127.0.0.1"]);
        args.extend(transport);
        args.push("127.0.0.1");
        results.push(CaseResult::judge(
            case,
            "coturn turnutils_uclient",
            session.run_peer("turnutils_uclient", &args),
            uclient_verdict,
        ));
    }
    let args = [
        "-p",
        &port,
        "-u",
        USER,
        "-w",
        "wrong",
        "-y",
        "-n",
        "2",
        "-m",
        "1",
        "-e",
        "127.0.0.1",
        "127.0.0.1",
    ];
    results.push(CaseResult::judge(
        wrong,
        "coturn turnutils_uclient",
        session.run_peer("turnutils_uclient", &args),
        |out| match uclient_verdict(out) {
            Err(e) if e == "allocation failed" => {
                Ok("allocation refused (401), nothing relayed".to_owned())
            }
            Err(e) => Err(format!("failed, but not by refusing the allocation: {e}")),
            Ok(summary) => Err(format!("relayed with a wrong password: {summary}")),
        },
    ));
    drop(ours);
    Ok(())
}

fn coturn_cases(session: &Session, client: &Path, results: &mut Vec<CaseResult>) -> Result {
    let peer = "coturn turnserver";
    let cases = [
        ("rtc-turn client → coturn (UDP)", None),
        ("rtc-turn client → coturn (TCP)", Some("--tcp")),
        ("rtc-turn client → coturn (TLS)", Some("--tls")),
    ];
    // coturn needs a certificate for TLS: a self-signed P-256 one, as in the interop notes.
    let (cert, key) = (
        session.tmp().join("cert.pem"),
        session.tmp().join("key.pem"),
    );
    util::run(
        std::process::Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:prime256v1",
                "-nodes",
                "-days",
                "30",
                "-subj",
                "/CN=interop",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert),
    )?;
    let mut coturn = super::stun::spawn_coturn(
        session,
        COTURN_PORT,
        (49160, 49200),
        Some((COTURN_TLS_PORT, &cert, &key)),
    )?;
    if let Err(e) = coturn.wait_for_line(|l| l.contains("Total General servers"), PEER_TIMEOUT) {
        for (case, _) in cases {
            results.push(CaseResult::not_run(case, peer, &e));
        }
        return Ok(());
    }
    let target = format!("127.0.0.1:{COTURN_PORT}");
    let tls_target = format!("127.0.0.1:{COTURN_TLS_PORT}");
    let user = format!("{USER}:{PASSWORD}");
    for (case, transport) in cases {
        let mut args = vec!["--user", &user];
        if let Some(flag) = transport {
            args.push(flag);
        }
        args.push(if transport == Some("--tls") {
            &tls_target
        } else {
            &target
        });
        results.push(CaseResult::judge(
            case,
            peer,
            session.run_peer(client, &args),
            |out| {
                if !out.success() {
                    return Err(format!(
                        "turn_client failed: {}",
                        util::tail(&out.stderr, 3)
                    ));
                }
                out.stdout
                    .lines()
                    .map(str::trim)
                    .find(|l| l.starts_with("relayed "))
                    .map(str::to_owned)
                    .ok_or_else(|| "no `relayed ...` line".to_owned())
            },
        ));
    }
    drop(coturn);
    Ok(())
}
