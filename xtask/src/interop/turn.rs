//! The `turn` interop layer: coturn's `turnutils_uclient` against rtc-turn's example server over
//! UDP and TCP (allocations, permissions, channels, data relayed between two clients), a wrong
//! password refused, and rtc-turn's example client against coturn over UDP and TCP (allocate,
//! permission, channel bind, data relayed to a peer and back).
//!
//! Our side is `crates/rtc-turn/examples/{turn_server,turn_client}.rs`:
//! - `turn_server --listen ADDR --user U:P --realm R --ports LO-HI --allow-loopback-peers`
//!   prints `listening on ADDR (UDP and TCP)` and serves until killed;
//! - `turn_client [--tcp] --user U:P ADDR` allocates, relays to a UDP echo peer it runs itself,
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
const COTURN_PORT: u16 = 3478;
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
        ]),
        &session.tmp().join("turn_server.log"),
    )?;
    let cases = [
        (
            "coturn turnutils_uclient → rtc-turn server (UDP)",
            false,
            PASSWORD,
        ),
        (
            "coturn turnutils_uclient → rtc-turn server (TCP)",
            true,
            PASSWORD,
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
    let port = OUR_PORT.to_string();
    for (case, tcp, password) in cases {
        // -y: two clients allocate and send to each other's relayed address (permissions,
        // channels, ChannelData both ways); -n 10 -m 2: 10 messages from each of 2 pairs.
        let mut args = vec![
            "-p", &port, "-u", USER, "-w", password, "-y", "-n", "10", "-m", "2",
        ];
        args.extend(["-e", "127.0.0.1"]);
        if tcp {
            args.push("-t");
        }
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
    let tmp = session.tmp();
    let peer = "coturn turnserver";
    let cases = [
        ("rtc-turn client → coturn (UDP)", false),
        ("rtc-turn client → coturn (TCP)", true),
    ];
    let mut coturn = Background::spawn(
        "coturn",
        session.command("turnserver").args([
            "-n".to_owned(),
            "--listening-ip=127.0.0.1".to_owned(),
            "--relay-ip=127.0.0.1".to_owned(),
            format!("--listening-port={COTURN_PORT}"),
            "--lt-cred-mech".to_owned(),
            format!("--user={USER}:{PASSWORD}"),
            format!("--realm={REALM}"),
            "--no-tls".to_owned(),
            "--no-dtls".to_owned(),
            "--allow-loopback-peers".to_owned(),
            "--no-cli".to_owned(),
            "--fingerprint".to_owned(),
            "--min-port=49160".to_owned(),
            "--max-port=49200".to_owned(),
            format!("--userdb={}", tmp.join("turndb").display()),
            format!("--pidfile={}", tmp.join("turnserver.pid").display()),
            "--log-file=stdout".to_owned(),
            "--simple-log".to_owned(),
        ]),
        &tmp.join("turnserver.log"),
    )?;
    if let Err(e) = coturn.wait_for_line(|l| l.contains("Total General servers"), PEER_TIMEOUT) {
        for (case, _) in cases {
            results.push(CaseResult::not_run(case, peer, &e));
        }
        return Ok(());
    }
    let target = format!("127.0.0.1:{COTURN_PORT}");
    let user = format!("{USER}:{PASSWORD}");
    for (case, tcp) in cases {
        let mut args = vec!["--user", &user];
        if tcp {
            args.push("--tcp");
        }
        args.push(&target);
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
