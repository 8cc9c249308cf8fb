//! The `sctp` interop layer: rtc-sctp and rtc-datachannel against usrsctp (Debian's
//! `libusrsctp-examples`: `ekr_server`, `ekr_client`) and aiortc (`interop/sctp/aiortc_peer.py`
//! in the interop venv), over raw SCTP in UDP (one SCTP packet per datagram, no DTLS), plus
//! rtc-sctp against Google's dcsctp in memory (`crates/rtc-sctp/tests/dcsctp.rs`).
//! interop/sctp/README.md documents both third-party peers.
//!
//! Our side is `crates/rtc-datachannel/examples/dc_peer.rs` (debug build):
//! ```text
//! dc_peer --mode sctp-connect|sctp-listen|dc-client|dc-server --local IP:PORT --remote IP:PORT
//!         [--sctp-port P] [--remote-sctp-port P] [--dtls-role client|server] [--timeout SECONDS]
//! ```
//! printing `MESSAGE stream=.. ppid=.. len=.. data=".."`, `OPEN id=..`, `CHANNEL-CLOSED id=..`,
//! `CLOSED <reason>` as things happen and, last, `RESULT {json}` with `"ok"` (exit 0 when true).
//!
//! The cases (each with its own UDP ports, both processes in the layer's namespace):
//! 1. `sctp-connect` → `ekr_server` (SCTP port 5001): messages of 1, 100, 1200, 5000 and 65536
//!    bytes on stream 1 with PPID 39, then SHUTDOWN. ekr_server is a discard sink that prints
//!    `Msg of length N received via ... on stream S with SSN n and TSN t, PPID p, context 0.` per
//!    message; it never exits and its stdout is lost when killed unless line-buffered (`stdbuf
//!    -oL`). Passes when ours ends with SHUTDOWN and ekr_server printed exactly what we sent,
//!    in order (SSN 0, 1, ...).
//! 2. `ekr_client` → `sctp-listen` (SCTP port 5001, any source port): ekr_client sends one
//!    80-byte message of `A`s on stream 1 with PPID 39 and shuts down, exiting 0 about 1 s
//!    after it started. Passes when it exited 0, its packet dump (stderr) shows the SHUTDOWN-ACK
//!    it got from us, and ours received that one message and closed by SHUTDOWN.
//! 3. to 6. the data channel scenario of interop/sctp/README.md with aiortc: the client opens four
//!    in-band channels (RFC 8832 DCEP; reliable, unordered, maxRetransmits 0, maxPacketLifeTime
//!    1000) and one negotiated channel (id 100), sends 16 messages on each (empty ones, 64 KiB
//!    ones), the server echoes them, the client closes every channel (RFC 6525 stream resets
//!    both ways) and ends the association (ours: SHUTDOWN; aiortc: ABORT). Ours as client and as
//!    server, then both again with the DTLS roles swapped, which flips the stream id parity of
//!    the in-band channels (DTLS client even, server odd). Each side checks everything it
//!    receives and prints `RESULT`; both must be ok, and the in-band ids must have the parity of
//!    the opener's DTLS role.
//! 7. `cargo test -p rtc-sctp --test dcsctp` (outside the namespace: no network is involved):
//!    passes when the tests pass; its `DCSCTP ...` lines are the detail.
//!
//! The usrsctp and aiortc cases take about 10 s together; the dcsctp case is mostly compiling.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread;
use std::time::Duration;

use serde_json::Value;

use super::dtls::{udp_bound, wait_until};
use super::sdp::venv_version;
use super::{CaseResult, Layer, PEER_TIMEOUT, Session};
use crate::util::{self, Captured, Result};

/// Registered in [`super::LAYERS`].
pub(super) const LAYER: Layer = Layer {
    name: "sctp",
    run,
    versions,
    flags: &[],
};

const USRSCTP_DEB: &str = "libusrsctp-examples";
const EKR_SERVER: &str = "/usr/lib/usrsctp/ekr_server";
const EKR_CLIENT: &str = "/usr/lib/usrsctp/ekr_client";
/// The SCTP port ekr_server listens on and ekr_client connects to (fixed in the examples).
const EKR_SCTP_PORT: &str = "5001";
/// The message sizes of `dc_peer --mode sctp-connect` (its RESULT's `sent` says the same).
const SIZES: [u64; 5] = [1, 100, 1200, 5000, 65536];
/// What ekr_client sends: one message of 80 `A`s on stream 1 with PPID 39.
const EKR_CLIENT_MESSAGE: (u64, u64, u64) = (80, 39, 1);
/// The data channel scenario's channels, with how many messages each carries each way.
const LABELS: [&str; 5] = ["reliable", "unordered", "rexmit", "lifetime", "negotiated"];
const MESSAGES_PER_CHANNEL: u64 = 16;
const NEGOTIATED_ID: u64 = 100;
/// dc_peer's own `--timeout` (seconds) against usrsctp and in the data channel scenario.
const SCTP_TIMEOUT: &str = "10";
const DC_TIMEOUT: &str = "12";
/// ekr_client retransmits its INIT for minutes when nobody answers.
const EKR_CLIENT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a peer may take to bind its socket (or print `READY`) after it was started.
const START_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the side started first may take to exit once the other one is done.
const EXIT_GRACE: Duration = Duration::from_secs(5);
/// Compiling dcsctp and the test on a loaded 2-core machine.
const DCSCTP_TIMEOUT: Duration = Duration::from_secs(900);
const DCSCTP_TEST: &str = "crates/rtc-sctp/tests/dcsctp.rs";
/// The UDP ports of case N are `PORT_BASE + 10 * N` (the first side) and `... + 1`.
const PORT_BASE: u16 = 46_000;

fn versions() -> Vec<String> {
    vec![
        super::deb_version(USRSCTP_DEB),
        format!("aiortc {}", venv_version("aiortc")),
        dcsctp_version(),
    ]
}

/// What the cases share.
struct Ctx<'a> {
    session: &'a Session,
    dc_peer: PathBuf,
    /// ekr_server and ekr_client are installed, or why not.
    usrsctp: Result,
    /// The venv's python, or why there is none.
    python: Result<PathBuf>,
    /// "aiortc 1.16.0".
    aiortc: String,
}

fn run(session: &Session) -> Result<Vec<CaseResult>> {
    let usrsctp = install_usrsctp();
    let interop = util::repo_root().join("interop");
    let venv = interop.join(".venv");
    let python = util::pip_install(&venv, &interop.join("requirements.txt"))
        .map(|()| venv.join("bin/python"));
    // Built outside the namespace (it has no network for crates.io).
    util::run(util::cargo().args([
        "build",
        "-p",
        "rtc-datachannel",
        "--example",
        "dc_peer",
        "--locked",
    ]))?;
    let dc_peer = util::target_dir().join("debug/examples/dc_peer");
    if !dc_peer.is_file() {
        return Err(format!(
            "{} is missing after building the example",
            dc_peer.display()
        ));
    }
    let ctx = Ctx {
        session,
        dc_peer,
        usrsctp,
        python,
        aiortc: format!("aiortc {}", venv_version("aiortc")),
    };

    let mut results = Vec::new();
    let mut case =
        |index: u16, name: &str, peer: &str, outcome: &dyn Fn(&Path, u16) -> Result<String>| {
            println!("\n--- {name}");
            let dir = session.tmp().join(format!("case{index}"));
            let outcome = fs::create_dir_all(&dir)
                .map_err(|e| format!("cannot create {}: {e}", dir.display()))
                .and_then(|()| outcome(&dir, PORT_BASE + 10 * index));
            results.push(CaseResult::verdict(name, peer, outcome));
        };
    case(
        1,
        "rtc-sctp client → usrsctp ekr_server: 5 messages of 1 B to 64 KiB, SHUTDOWN",
        "usrsctp ekr_server",
        &|dir, port| {
            ctx.usrsctp.clone()?;
            ours_to_ekr_server(&ctx, dir, port)
        },
    );
    case(
        2,
        "usrsctp ekr_client → rtc-sctp listener: 1 message, the peer's SHUTDOWN",
        "usrsctp ekr_client",
        &|dir, port| {
            ctx.usrsctp.clone()?;
            ekr_client_to_ours(&ctx, dir, port)
        },
    );
    let dc_cases = [
        (3, Side::Client, false),
        (4, Side::Server, false),
        (5, Side::Client, true),
        (6, Side::Server, true),
    ];
    for (index, ours, swapped) in dc_cases {
        let name = dc_case_name(ours, swapped);
        let peer = format!("{} {}", ctx.aiortc, ours.other());
        case(index, &name, &peer, &|dir, port| {
            data_channels(&ctx, dir, port, ours, swapped)
        });
    }
    println!("\n--- rtc-sctp ↔ dcsctp in memory");
    results.push(dcsctp_case());
    Ok(results)
}

/// Installs Debian's usrsctp examples when they are missing; `stdbuf` (coreutils) is needed
/// to line-buffer ekr_server's stdout.
fn install_usrsctp() -> Result {
    if !Path::new(EKR_SERVER).is_file() || !Path::new(EKR_CLIENT).is_file() {
        util::apt_install(&[USRSCTP_DEB])?;
    }
    for program in [EKR_SERVER, EKR_CLIENT] {
        if !Path::new(program).is_file() {
            return Err(format!(
                "{program} is missing after installing the Debian package `{USRSCTP_DEB}`"
            ));
        }
    }
    util::ensure_programs(&[("stdbuf", "coreutils")])
}

/// Case 1: `dc_peer --mode sctp-connect` against `ekr_server`.
fn ours_to_ekr_server(ctx: &Ctx<'_>, dir: &Path, port: u16) -> Result<String> {
    let (ekr_port, our_port) = (port, port + 1);
    let mut server = Proc::spawn(
        "usrsctp ekr_server",
        ctx.session.command("stdbuf").args([
            "-oL",
            EKR_SERVER,
            "127.0.0.1",
            &ekr_port.to_string(),
            "127.0.0.1",
            &our_port.to_string(),
        ]),
        &dir.join("ekr_server"),
    )?;
    // Bound, then a moment for `usrsctp_listen`: an INIT before it would be answered by ABORT.
    server.wait_bound(ekr_port)?;
    thread::sleep(Duration::from_millis(300));
    let ours = util::run_with_timeout(
        ctx.session.command(&ctx.dc_peer).args([
            "--mode",
            "sctp-connect",
            "--local",
            &format!("127.0.0.1:{our_port}"),
            "--remote",
            &format!("127.0.0.1:{ekr_port}"),
            "--remote-sctp-port",
            EKR_SCTP_PORT,
            "--timeout",
            SCTP_TIMEOUT,
        ]),
        PEER_TIMEOUT,
    )?;
    // ekr_server prints each message once it is complete, before its SACK goes out; it never
    // exits by itself.
    let server = server.finish(Duration::ZERO);
    print_side("rtc-sctp dc_peer", &ours);
    print_side("ekr_server", &server);

    let mut problems = Vec::new();
    let result = our_result(&ours, &mut problems);
    let sent: Vec<u64> = result
        .as_ref()
        .and_then(|r| r.get("sent")?.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(Value::as_u64)
        .collect();
    if result.is_some() && sent != SIZES {
        problems.push(format!("dc_peer says it sent {sent:?}, expected {SIZES:?}"));
    }
    let closed = closed_reason(result.as_ref());
    if result.is_some() && closed != "Shutdown" {
        problems.push(format!("our association closed by {closed}, not Shutdown"));
    }
    let printed: Vec<EkrMessage> = server
        .stdout
        .lines()
        .filter_map(EkrMessage::parse)
        .collect();
    let lengths: Vec<u64> = printed.iter().map(|m| m.len).collect();
    if lengths != SIZES {
        problems.push(format!(
            "ekr_server printed messages of {lengths:?} bytes, expected {SIZES:?}"
        ));
    }
    for (i, m) in printed.iter().enumerate() {
        if (m.stream, m.ppid, m.ssn) != (1, 39, i as u64) {
            problems.push(format!(
                "ekr_server's message {i}: stream {} PPID {} SSN {}, expected stream 1 PPID 39 \
                 SSN {i}",
                m.stream, m.ppid, m.ssn
            ));
        }
    }
    let (sent_packets, received_packets) = dump_counts(&server.stderr);
    verdict(
        problems,
        format!(
            "ekr_server printed {} messages of {} bytes in order (stream 1, PPID 39, SSN 0..{}); \
             our association closed by {closed} ({received_packets} packets to usrsctp, \
             {sent_packets} back)",
            printed.len(),
            lengths
                .iter()
                .map(u64::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            printed.len().saturating_sub(1),
        ),
    )
}

/// Case 2: `ekr_client` against `dc_peer --mode sctp-listen`.
fn ekr_client_to_ours(ctx: &Ctx<'_>, dir: &Path, port: u16) -> Result<String> {
    let (our_port, ekr_port) = (port, port + 1);
    let mut ours = Proc::spawn(
        "rtc-sctp dc_peer",
        ctx.session.command(&ctx.dc_peer).args([
            "--mode",
            "sctp-listen",
            "--local",
            &format!("127.0.0.1:{our_port}"),
            "--remote",
            &format!("127.0.0.1:{ekr_port}"),
            "--sctp-port",
            EKR_SCTP_PORT,
            "--timeout",
            SCTP_TIMEOUT,
        ]),
        &dir.join("ours"),
    )?;
    ours.wait_bound(our_port)?;
    let client = util::run_with_timeout(
        ctx.session.command(EKR_CLIENT).args([
            "127.0.0.1",
            &ekr_port.to_string(),
            "127.0.0.1",
            &our_port.to_string(),
        ]),
        EKR_CLIENT_TIMEOUT,
    )?;
    let ours = ours.finish(EXIT_GRACE);
    print_side("rtc-sctp dc_peer", &ours);
    print_side("ekr_client", &client);

    let mut problems = Vec::new();
    if !client.success() {
        problems.push(format!("ekr_client: {}", client.describe()));
    }
    // usrsctp dumps every packet on stderr: a received one holding a SHUTDOWN-ACK chunk is
    // our answer to its SHUTDOWN.
    let shutdown_ack = client
        .stderr
        .lines()
        .filter_map(dumped_packet)
        .any(|(received, bytes)| received && bytes.len() == 16 && bytes[12] == 0x08);
    if !shutdown_ack {
        problems.push("ekr_client's packet dump shows no SHUTDOWN-ACK from us".to_owned());
    }
    let result = our_result(&ours, &mut problems);
    let received: Vec<(u64, u64, u64)> = result
        .as_ref()
        .and_then(|r| r.get("received")?.as_array().cloned())
        .unwrap_or_default()
        .iter()
        .map(|m| {
            let field = |k: &str| m.get(k).and_then(Value::as_u64).unwrap_or(u64::MAX);
            (field("len"), field("ppid"), field("stream"))
        })
        .collect();
    if result.is_some() && received != [EKR_CLIENT_MESSAGE] {
        problems.push(format!(
            "we received (len, ppid, stream) {received:?}, expected [{EKR_CLIENT_MESSAGE:?}]"
        ));
    }
    let data_ok = ours
        .stdout
        .lines()
        .filter_map(|l| l.strip_prefix("MESSAGE "))
        .any(|l| l.contains("data=\"AAAAAAAAAAAAAAAA\""));
    if result.is_some() && !data_ok {
        problems.push("the message does not start with 16 `A`s".to_owned());
    }
    let closed = closed_reason(result.as_ref());
    if result.is_some() && closed != "Shutdown" {
        problems.push(format!("our association closed by {closed}, not Shutdown"));
    }
    let (sent_packets, received_packets) = dump_counts(&client.stderr);
    verdict(
        problems,
        format!(
            "we received 1 message of 80 `A`s (stream 1, PPID 39) from ekr_client's ephemeral \
             port and answered its SHUTDOWN (closed: {closed}); ekr_client exited 0 \
             ({sent_packets} packets sent, {received_packets} received)"
        ),
    )
}

/// Which side of the data channel scenario is ours.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Client,
    Server,
}

impl Side {
    fn name(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Server => "server",
        }
    }

    fn other(self) -> &'static str {
        match self {
            Self::Client => "server",
            Self::Server => "client",
        }
    }
}

fn dc_case_name(ours: Side, swapped: bool) -> String {
    let pair = match ours {
        Side::Client => "rtc-datachannel client → aiortc server",
        Side::Server => "aiortc client → rtc-datachannel server",
    };
    let roles = if swapped {
        "client is DTLS server: odd DCEP ids"
    } else {
        "client is DTLS client: even DCEP ids"
    };
    format!("{pair}: 5 channels × 16 messages echoed, stream resets ({roles})")
}

/// Cases 3 to 6: the data channel scenario, ours as `ours`, the DTLS roles swapped or not.
fn data_channels(
    ctx: &Ctx<'_>,
    dir: &Path,
    port: u16,
    ours: Side,
    swapped: bool,
) -> Result<String> {
    let python = ctx.python.clone()?;
    let script = util::repo_root().join("interop/sctp/aiortc_peer.py");
    // The server is started first, on `port`; the client on `port + 1`.
    let (server_port, client_port) = (port, port + 1);
    let (our_port, aiortc_port) = match ours {
        Side::Server => (server_port, client_port),
        Side::Client => (client_port, server_port),
    };
    // The DTLS role each side believes it has (the parity of the in-band ids follows the
    // client's: even for a DTLS client).
    let dtls_role = |side: Side| match (side, swapped) {
        (Side::Client, false) | (Side::Server, true) => "client",
        (Side::Client, true) | (Side::Server, false) => "server",
    };
    let mut our_cmd = ctx.session.command(&ctx.dc_peer);
    our_cmd.args([
        "--mode",
        if ours == Side::Client {
            "dc-client"
        } else {
            "dc-server"
        },
        "--local",
        &format!("127.0.0.1:{our_port}"),
        "--remote",
        &format!("127.0.0.1:{aiortc_port}"),
        "--timeout",
        DC_TIMEOUT,
    ]);
    let their_side = if ours == Side::Client {
        Side::Server
    } else {
        Side::Client
    };
    let mut aiortc_cmd = ctx.session.command(&python);
    aiortc_cmd.arg(&script).args([
        "--role",
        their_side.name(),
        "--local-port",
        &aiortc_port.to_string(),
        "--remote-port",
        &our_port.to_string(),
    ]);
    if swapped {
        our_cmd.args(["--dtls-role", dtls_role(ours)]);
        aiortc_cmd.args(["--dtls-role", dtls_role(their_side)]);
    }

    let (ours_out, aiortc_out) = match ours {
        Side::Client => {
            let mut server = Proc::spawn("aiortc server", &mut aiortc_cmd, &dir.join("aiortc"))?;
            server.wait_line("READY ")?;
            let client = util::run_with_timeout(&mut our_cmd, PEER_TIMEOUT)?;
            (client, server.finish(EXIT_GRACE))
        }
        Side::Server => {
            let mut server =
                Proc::spawn("rtc-datachannel dc_peer", &mut our_cmd, &dir.join("ours"))?;
            server.wait_bound(our_port)?;
            let client = util::run_with_timeout(&mut aiortc_cmd, PEER_TIMEOUT)?;
            (server.finish(EXIT_GRACE), client)
        }
    };
    print_side("rtc-datachannel dc_peer", &ours_out);
    print_side("aiortc", &aiortc_out);

    let mut problems = Vec::new();
    let our_result = our_result(&ours_out, &mut problems);
    let their_result = match result_json(&aiortc_out.stdout) {
        Some(r) if aiortc_out.success() && r.get("ok") == Some(&Value::Bool(true)) => Some(r),
        Some(r) => {
            problems.push(format!(
                "aiortc: {}, RESULT not ok: {}",
                aiortc_out.describe(),
                r.get("reason")
                    .map_or_else(|| "no reason".to_owned(), Value::to_string)
            ));
            None
        }
        None => {
            problems.push(format!(
                "aiortc printed no RESULT ({}): {}",
                aiortc_out.describe(),
                util::tail(&aiortc_out.stderr, 3)
            ));
            None
        }
    };
    let (Some(ours_r), Some(theirs_r)) = (our_result, their_result) else {
        return verdict(problems, String::new());
    };

    // The in-band channels' ids have the parity of the opener's (the client's) DTLS role.
    let parity = u64::from(dtls_role(Side::Client) == "server");
    let mut ids = Vec::new();
    let (mut our_count, mut their_count) = (0, 0);
    for label in LABELS {
        let ours_ch = ours_r.get("channels").and_then(|c| c.get(label));
        let theirs_ch = theirs_r.get("channels").and_then(|c| c.get(label));
        let id = ours_ch.and_then(|c| c.get("id")?.as_u64());
        let their_id = theirs_ch.and_then(|c| c.get("id")?.as_u64());
        match id {
            Some(id) if Some(id) != their_id => {
                problems.push(format!("{label}: our id {id}, aiortc's {their_id:?}"))
            }
            Some(id) if label == "negotiated" && id != NEGOTIATED_ID => {
                problems.push(format!("negotiated: id {id}, expected {NEGOTIATED_ID}"));
            }
            Some(id) if label != "negotiated" && id % 2 != parity => problems.push(format!(
                "{label}: id {id} has the wrong parity for a DTLS {} opener",
                dtls_role(Side::Client)
            )),
            Some(id) => ids.push(format!("{label} {id}")),
            None => problems.push(format!("{label}: not in our RESULT")),
        }
        let received = ours_ch
            .and_then(|c| c.get("received")?.as_u64())
            .unwrap_or(0);
        // aiortc's client counts echoes, its server what it received.
        let their_received = theirs_ch
            .and_then(|c| {
                c.get(if ours == Side::Client {
                    "received"
                } else {
                    "echoed"
                })?
                .as_u64()
            })
            .unwrap_or(0);
        let their_closed = theirs_ch.and_then(|c| c.get("closed")?.as_bool()) == Some(true);
        if received != MESSAGES_PER_CHANNEL || their_received != MESSAGES_PER_CHANNEL {
            problems.push(format!(
                "{label}: we received {received}, aiortc {their_received} of \
                 {MESSAGES_PER_CHANNEL}"
            ));
        }
        if !their_closed {
            problems.push(format!("{label}: aiortc did not see it closed"));
        }
        our_count += received;
        their_count += their_received;
    }
    let channels_closed = ours_out
        .stdout
        .lines()
        .filter(|l| l.starts_with("CHANNEL-CLOSED "))
        .count();
    if channels_closed != LABELS.len() {
        problems.push(format!(
            "we saw {channels_closed} channels closed, expected {}",
            LABELS.len()
        ));
    }
    let our_end = ours_out
        .stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("CLOSED "))
        .unwrap_or("(not closed)")
        .trim()
        .to_owned();
    let their_end = theirs_r
        .get("association_end")
        .and_then(Value::as_str)
        .unwrap_or("?");
    let expected_end = match ours {
        // We SHUTDOWN; aiortc answers SHUTDOWN-ACK.
        Side::Client => ("Shutdown", "shutdown"),
        // aiortc cannot SHUTDOWN: it sends ABORT.
        Side::Server => ("PeerAbort", "abort-sent"),
    };
    if !our_end.starts_with(expected_end.0) || their_end != expected_end.1 {
        problems.push(format!(
            "association ended: ours {our_end}, aiortc {their_end}; expected {} and {}",
            expected_end.0, expected_end.1
        ));
    }
    let flow = match ours {
        Side::Client => {
            format!("aiortc received {their_count} and echoed them, we got {our_count} back")
        }
        Side::Server => {
            format!("we received {our_count} and echoed them, aiortc got {their_count} back")
        }
    };
    verdict(
        problems,
        format!(
            "ids {}; {flow}; all {} closed by stream resets both ways; association ended: \
             ours {our_end}, aiortc {their_end}",
            ids.join(", "),
            LABELS.len()
        ),
    )
}

/// Case 7: rtc-sctp against dcsctp, both in one test process.
fn dcsctp_case() -> CaseResult {
    let case = "rtc-sctp ↔ dcsctp in memory (cargo test -p rtc-sctp --test dcsctp)";
    let peer = dcsctp_version();
    let exists = util::repo_root().join(DCSCTP_TEST).is_file();
    let run = util::run_with_timeout(
        util::cargo().args([
            "test",
            "-p",
            "rtc-sctp",
            "--test",
            "dcsctp",
            "--locked",
            "--",
            "--nocapture",
        ]),
        DCSCTP_TIMEOUT,
    );
    CaseResult::judge(case, &peer, run, |out| {
        let summary = dcsctp_summary(&out.stdout);
        if !exists {
            return Err(format!("{DCSCTP_TEST} does not exist (yet)"));
        }
        match summary {
            Some(summary) if out.success() => Ok(summary),
            _ => Err(format!(
                "no `test result: ok`{}",
                if out.success() {
                    ""
                } else {
                    " (cargo test failed)"
                }
            )),
        }
    })
}

/// The test's `DCSCTP ...` lines and its `test result: ok. ...` line, joined; `None` without
/// a `test result: ok`.
fn dcsctp_summary(stdout: &str) -> Option<String> {
    let result = stdout
        .lines()
        .filter_map(|l| l.find("test result: ").map(|at| l[at..].trim()))
        .next_back()?;
    if !result.starts_with("test result: ok") {
        return None;
    }
    // With --nocapture, a test's output may follow `test NAME ... ` on the same line.
    let mut lines: Vec<&str> = stdout
        .lines()
        .filter_map(|l| l.find("DCSCTP ").map(|at| l[at..].trim()))
        .collect();
    lines.push(result);
    Some(lines.join("; "))
}

/// `dcsctp 0.1.16` from the root Cargo.lock, as rtc-sctp's tests use it.
fn dcsctp_version() -> String {
    let lock = fs::read_to_string(util::repo_root().join("Cargo.lock")).unwrap_or_default();
    lock_version(&lock, "dcsctp").map_or_else(
        || "dcsctp (not in Cargo.lock)".to_owned(),
        |v| format!("dcsctp {v}"),
    )
}

/// The version of `name` in a Cargo.lock (the first entry).
fn lock_version(lock: &str, name: &str) -> Option<String> {
    let wanted = format!("name = \"{name}\"");
    lock.split("[[package]]").find_map(|block| {
        let mut lines = block.lines().map(str::trim);
        lines.clone().any(|l| l == wanted).then_some(())?;
        lines.find_map(|l| {
            l.strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
                .map(str::to_owned)
        })
    })
}

/// The JSON of the last `RESULT {...}` line.
fn result_json(stdout: &str) -> Option<Value> {
    stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("RESULT "))
        .and_then(|json| serde_json::from_str(json).ok())
}

/// dc_peer's RESULT when it exited 0 with `"ok": true`; the problem otherwise.
fn our_result(out: &Captured, problems: &mut Vec<String>) -> Option<Value> {
    match result_json(&out.stdout) {
        Some(r) if out.success() && r.get("ok") == Some(&Value::Bool(true)) => Some(r),
        Some(r) => {
            let errors = r
                .get("errors")
                .filter(|e| e.as_array().is_some_and(|a| !a.is_empty()))
                .map(|e| format!(", errors {e}"))
                .unwrap_or_default();
            // `closed` is in the sctp modes' RESULT, `errors` in the data channel modes'.
            let closed = r
                .get("closed")
                .map(|_| format!(", closed by {}", closed_reason(Some(&r))))
                .unwrap_or_default();
            problems.push(format!(
                "dc_peer: {}, RESULT ok={}{closed}{errors}",
                out.describe(),
                r.get("ok").unwrap_or(&Value::Null),
            ));
            None
        }
        None => {
            problems.push(format!(
                "dc_peer printed no RESULT ({}): {}",
                out.describe(),
                util::tail(&format!("{}{}", out.stdout, out.stderr), 3)
            ));
            None
        }
    }
}

/// The `closed` of dc_peer's sctp RESULT (`Shutdown`, `PeerAbort("...")`), or `(not closed)`.
fn closed_reason(result: Option<&Value>) -> String {
    result
        .and_then(|r| r.get("closed")?.as_str().map(str::to_owned))
        .unwrap_or_else(|| "(not closed)".to_owned())
}

fn verdict(problems: Vec<String>, detail: String) -> Result<String> {
    if problems.is_empty() {
        Ok(detail)
    } else {
        Err(problems.join("; "))
    }
}

/// A line ekr_server prints per message:
/// `Msg of length 80 received via 0x7ffe687a63e8:53322 on stream 1 with SSN 0 and TSN
/// 2164906171, PPID 39, context 0.`
#[derive(Debug, PartialEq, Eq)]
struct EkrMessage {
    len: u64,
    stream: u64,
    ssn: u64,
    ppid: u64,
}

impl EkrMessage {
    fn parse(line: &str) -> Option<Self> {
        let rest = line.trim().strip_prefix("Msg of length ")?;
        let number_after = |key: &str| -> Option<u64> {
            let (_, tail) = rest.split_once(key)?;
            tail.trim_start()
                .split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse()
                .ok()
        };
        Some(Self {
            len: rest.split_whitespace().next()?.parse().ok()?,
            stream: number_after(" on stream ")?,
            ssn: number_after(" with SSN ")?,
            ppid: number_after(", PPID ")?,
        })
    }
}

/// A packet of usrsctp's dump (`O|I HH:MM:SS.micro 0000 xx xx ... # SCTP_PACKET`): whether it
/// was received (`I`) and its bytes.
fn dumped_packet(line: &str) -> Option<(bool, Vec<u8>)> {
    let line = line.trim();
    let body = line.strip_suffix("# SCTP_PACKET")?;
    let mut words = body.split_whitespace();
    let received = match words.next()? {
        "I" => true,
        "O" => false,
        _ => return None,
    };
    let _time = words.next()?;
    if words.next()? != "0000" {
        return None;
    }
    let bytes: Option<Vec<u8>> = words.map(|b| u8::from_str_radix(b, 16).ok()).collect();
    Some((received, bytes?))
}

/// (sent, received) packets in a usrsctp dump.
fn dump_counts(dump: &str) -> (usize, usize) {
    dump.lines()
        .filter_map(dumped_packet)
        .fold(
            (0, 0),
            |(o, i), (received, _)| {
                if received { (o, i + 1) } else { (o + 1, i) }
            },
        )
}

/// A side's output for the CI log, usrsctp's packet dumps counted instead of printed.
fn print_side(name: &str, out: &Captured) {
    for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        let lines: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim().is_empty() && dumped_packet(l).is_none())
            .collect();
        let dumped = text.lines().filter(|l| dumped_packet(l).is_some()).count();
        if lines.is_empty() && dumped == 0 {
            continue;
        }
        println!("  --- {name} {stream}:");
        for line in lines {
            println!("  | {line}");
        }
        if dumped > 0 {
            println!("  | ({dumped} packet dump lines)");
        }
    }
    println!("  --- {name}: {}", out.describe());
}

/// A child started in the background, stdout and stderr to files (`LOG.out`, `LOG.err`);
/// killed and reaped when dropped.
struct Proc {
    name: String,
    child: Child,
    out: PathBuf,
    err: PathBuf,
    status: Option<ExitStatus>,
}

impl Proc {
    fn spawn(name: &str, cmd: &mut Command, log: &Path) -> Result<Self> {
        let out = log.with_extension("out");
        let err = log.with_extension("err");
        let create = |path: &Path| {
            fs::File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))
        };
        let (stdout, stderr) = (create(&out)?, create(&err)?);
        util::echo(cmd);
        let child = cmd
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start {name} (`{}`): {e}", util::display(cmd)))?;
        Ok(Self {
            name: name.to_owned(),
            child,
            out,
            err,
            status: None,
        })
    }

    fn read(path: &Path) -> String {
        fs::read(path)
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
            .unwrap_or_default()
    }

    fn exited(&mut self) -> bool {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status.is_some()
    }

    fn not_ready(&mut self, what: &str) -> String {
        let state = if self.exited() {
            "exited"
        } else {
            "still running"
        };
        format!(
            "{} did not {what} within {} s ({state}): {}",
            self.name,
            START_TIMEOUT.as_secs(),
            util::tail(
                &format!("{}{}", Self::read(&self.out), Self::read(&self.err)),
                3
            )
        )
    }

    /// Waits until it has a UDP socket bound to 127.0.0.1:`port`.
    fn wait_bound(&mut self, port: u16) -> Result {
        let pid = self.child.id();
        if wait_until(START_TIMEOUT, || udp_bound(pid, port) || self.exited()) && !self.exited() {
            Ok(())
        } else {
            Err(self.not_ready(&format!("bind UDP port {port}")))
        }
    }

    /// Waits until a line of its stdout starts with `prefix`.
    fn wait_line(&mut self, prefix: &str) -> Result {
        let out = self.out.clone();
        let seen = || Self::read(&out).lines().any(|l| l.starts_with(prefix));
        if wait_until(START_TIMEOUT, || seen() || self.exited()) && seen() {
            Ok(())
        } else {
            Err(self.not_ready(&format!("print `{}`", prefix.trim())))
        }
    }

    /// Waits up to `timeout` for it to exit by itself, killing it then; what it printed and
    /// how it ended (`status: None` when killed).
    fn finish(mut self, timeout: Duration) -> Captured {
        let exited = wait_until(timeout, || self.exited());
        if !exited {
            println!("stopping {} (pid {})", self.name, self.child.id());
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        Captured {
            status: if exited { self.status } else { None },
            stdout: Self::read(&self.out),
            stderr: Self::read(&self.err),
        }
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        if !self.exited() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_ekr_server_lines() {
        let line = "Msg of length 65536 received via 0x7fffae66c8c8:5000 on stream 1 with SSN 4 \
                    and TSN 915407326, PPID 39, context 0.";
        assert_eq!(
            EkrMessage::parse(line),
            Some(EkrMessage {
                len: 65536,
                stream: 1,
                ssn: 4,
                ppid: 39
            })
        );
        assert_eq!(
            EkrMessage::parse("I 12:00:00.000001 0000 00 # SCTP_PACKET"),
            None
        );
    }

    #[test]
    fn parses_dumps() {
        let ack = "I 10:41:07.311240 0000 13 89 d1 4a 71 75 48 74 00 00 00 00 08 00 00 04 \
                   # SCTP_PACKET";
        let (received, bytes) = dumped_packet(ack).expect("a dump line");
        assert!(received);
        assert_eq!((bytes.len(), bytes[12]), (16, 0x08));
        let sent = "O 10:41:07.311240 0000 13 89 # SCTP_PACKET";
        assert_eq!(dump_counts(&format!("\n{ack}\n{sent}\nother\n")), (1, 1));
        assert_eq!(dumped_packet("Msg of length 1 received"), None);
    }

    #[test]
    fn reads_results_and_versions() {
        let out = "CONNECTED\nRESULT {\"ok\":true,\"closed\":\"Shutdown\"}\n";
        let result = result_json(out).expect("json");
        assert_eq!(closed_reason(Some(&result)), "Shutdown");
        assert_eq!(closed_reason(None), "(not closed)");

        let lock = "[[package]]\nname = \"dcsctp-proto\"\nversion = \"9.9.9\"\n\n[[package]]\n\
                    name = \"dcsctp\"\nversion = \"0.1.16\"\nsource = \"registry\"\n";
        assert_eq!(lock_version(lock, "dcsctp").as_deref(), Some("0.1.16"));
        assert_eq!(lock_version(lock, "nope"), None);

        let test_out = "running 2 tests\ntest a ... DCSCTP rtc-sctp → dcsctp: 10 messages\nok\n\
                        DCSCTP dcsctp → rtc-sctp: 10 messages\n\
                        test result: ok. 2 passed; 0 failed; 0 ignored\n";
        assert_eq!(
            dcsctp_summary(test_out).as_deref(),
            Some(
                "DCSCTP rtc-sctp → dcsctp: 10 messages; DCSCTP dcsctp → rtc-sctp: 10 messages; \
                 test result: ok. 2 passed; 0 failed; 0 ignored"
            )
        );
        assert_eq!(
            dcsctp_summary("test result: FAILED. 1 passed; 1 failed"),
            None
        );
    }

    #[test]
    fn case_names_and_ports() {
        assert!(dc_case_name(Side::Server, true).contains("odd"));
        assert!(dc_case_name(Side::Client, false).contains("even"));
        assert!(
            util::repo_root()
                .join("interop/sctp/aiortc_peer.py")
                .is_file()
        );
        // Case 7 uses no ports; cases 1..=6 each take two, 10 apart.
        assert!(PORT_BASE.checked_add(10 * 7).is_some());
    }
}
