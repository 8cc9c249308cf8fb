//! The `stun` interop layer: rtc-stun's example client against coturn, and coturn's and
//! Debian's STUN clients against rtc-stun's example server.
//!
//! Our side is `crates/rtc-stun/examples/{stun_server,stun_client}.rs`:
//! - `stun_server ADDR` prints `listening on ADDR` and answers Binding requests until killed;
//! - `stun_client [--long-term USER:PASS --realm REALM] ADDR` prints `mapped address: IP:PORT`
//!   (or `long-term credentials: ok ...`) and exits 0, non-zero on error or timeout.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::Path;
use std::thread;
use std::time::Duration;

use super::{CaseResult, Layer, PEER_TIMEOUT, Session};
use crate::util::{self, Background, Captured, Result};

/// Registered in [`super::LAYERS`].
pub(super) const LAYER: Layer = Layer {
    name: "stun",
    run,
    versions,
    flags: &[],
};

const COTURN_PORT: u16 = 3478;
const OUR_PORT: u16 = 3479;
const USER: &str = "test";
const PASSWORD: &str = "secret";
const REALM: &str = "interop.test";

fn versions() -> Vec<String> {
    let turnserver = std::process::Command::new("turnserver")
        .arg("--version")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .filter(|v| !v.is_empty());
    let mut coturn = super::deb_version("coturn");
    if let Some(v) = turnserver {
        coturn.push_str(&format!(" (`turnserver --version`: {v})"));
    }
    vec![coturn, super::deb_version("stun-client")]
}

fn run(session: &Session) -> Result<Vec<CaseResult>> {
    util::ensure_programs(&[
        ("turnserver", "coturn"),
        ("turnutils_stunclient", "coturn"),
        ("stun", "stun-client"),
    ])?;
    // Built outside the namespace (it has no network for crates.io).
    util::run(util::cargo().args(["build", "-p", "rtc-stun", "--examples", "--locked"]))?;
    let examples = util::target_dir().join("debug/examples");
    let our_server = examples.join("stun_server");
    let our_client = examples.join("stun_client");
    for binary in [&our_server, &our_client] {
        if !binary.is_file() {
            return Err(format!(
                "{} is missing after building the rtc-stun examples",
                binary.display()
            ));
        }
    }

    let mut results = Vec::new();
    coturn_cases(session, &our_client, &mut results)?;
    our_server_cases(session, &our_server, &mut results)?;
    Ok(results)
}

const CASE_BINDING: &str = "rtc-stun client → coturn (Binding)";
const CASE_LONG_TERM: &str = "rtc-stun client → coturn (long-term credentials, MD5)";
const CASE_WRONG_PASSWORD: &str = "rtc-stun client → coturn (wrong password refused)";
const CASE_TURNUTILS: &str = "coturn turnutils_stunclient → rtc-stun server";
const CASE_STUN_CLIENT: &str = "Debian stun client → rtc-stun server";

/// coturn as the server, our example client against it.
fn coturn_cases(session: &Session, client: &Path, results: &mut Vec<CaseResult>) -> Result {
    let peer = "coturn turnserver";
    let mut coturn = spawn_coturn(session, COTURN_PORT, (49160, 49200), None)?;
    if let Err(e) = wait_for_coturn(session, &mut coturn) {
        for case in [CASE_BINDING, CASE_LONG_TERM, CASE_WRONG_PASSWORD] {
            results.push(CaseResult::not_run(case, peer, &e));
        }
        return Ok(());
    }

    let target = format!("127.0.0.1:{COTURN_PORT}");
    results.push(CaseResult::judge(
        CASE_BINDING,
        peer,
        session.run_peer(client, &[&target]),
        |out| {
            if !out.success() {
                return Err("stun_client failed".to_owned());
            }
            let addr = out
                .stdout
                .lines()
                .find_map(|l| l.trim().strip_prefix("mapped address:"))
                .ok_or("no `mapped address:` line")?;
            let addr = loopback_addr(addr)?;
            Ok(format!("mapped address {addr}"))
        },
    ));

    let credentials = format!("{USER}:{PASSWORD}");
    results.push(CaseResult::judge(
        CASE_LONG_TERM,
        peer,
        session.run_peer(
            client,
            &["--long-term", &credentials, "--realm", REALM, &target],
        ),
        |out| {
            if !out.success() {
                return Err("stun_client failed".to_owned());
            }
            out.stdout
                .lines()
                .map(str::trim)
                .find(|l| l.starts_with("long-term credentials: ok"))
                .map(str::to_owned)
                .ok_or_else(|| "no `long-term credentials: ok` line".to_owned())
        },
    ));

    // The negative control: with a wrong password coturn must refuse our MESSAGE-INTEGRITY
    // (401 again), so the case above cannot pass by coturn not checking it.
    let wrong = format!("{USER}:not-{PASSWORD}");
    results.push(CaseResult::judge(
        CASE_WRONG_PASSWORD,
        peer,
        session.run_peer(client, &["--long-term", &wrong, "--realm", REALM, &target]),
        |out| {
            let all = format!("{}{}", out.stdout, out.stderr);
            if out.success() {
                return Err("stun_client succeeded with a wrong password".to_owned());
            }
            if all.contains("authenticated Allocate refused: 401") {
                Ok("coturn answered 401 to the wrong key".to_owned())
            } else {
                Err(format!("failed, but not with 401: {}", all.trim()))
            }
        },
    ));
    Ok(())
}

/// Starts coturn on 127.0.0.1:`port` with long-term credentials `test:secret` in realm
/// `interop.test`, relaying from `ports`, loopback peers allowed (the shared interop notes'
/// command line). With `tls`, also TLS on `tls_port` with the certificate and key files given.
/// Shared by the `stun` and `turn` layers.
pub(super) fn spawn_coturn(
    session: &Session,
    port: u16,
    ports: (u16, u16),
    tls: Option<(u16, &Path, &Path)>,
) -> Result<Background> {
    let tmp = session.tmp();
    let tls_args = match tls {
        Some((tls_port, cert, key)) => vec![
            format!("--tls-listening-port={tls_port}"),
            format!("--cert={}", cert.display()),
            format!("--pkey={}", key.display()),
        ],
        None => vec!["--no-tls".to_owned()],
    };
    Background::spawn(
        "coturn",
        session.command("turnserver").args(tls_args).args([
            "-n".to_owned(),
            "--listening-ip=127.0.0.1".to_owned(),
            "--relay-ip=127.0.0.1".to_owned(),
            format!("--listening-port={port}"),
            "--lt-cred-mech".to_owned(),
            format!("--user={USER}:{PASSWORD}"),
            format!("--realm={REALM}"),
            "--no-dtls".to_owned(),
            "--allow-loopback-peers".to_owned(),
            "--no-cli".to_owned(),
            "--fingerprint".to_owned(),
            format!("--min-port={}", ports.0),
            format!("--max-port={}", ports.1),
            format!("--userdb={}", tmp.join(format!("turndb-{port}")).display()),
            format!(
                "--pidfile={}",
                tmp.join(format!("turnserver-{port}.pid")).display()
            ),
            "--log-file=stdout".to_owned(),
            "--simple-log".to_owned(),
        ]),
        &tmp.join(format!("turnserver-{port}.log")),
    )
}

/// coturn takes a moment to open its sockets: probe it with its own client until it answers
/// (an unanswered probe blocks, hence the short deadline per probe).
fn wait_for_coturn(session: &Session, coturn: &mut Background) -> Result {
    thread::sleep(Duration::from_millis(300));
    for _ in 0..8 {
        if let Some(status) = coturn.exited() {
            return Err(format!(
                "coturn exited ({status}) at start; its last output: {}",
                coturn.log_tail(10)
            ));
        }
        let probe = util::run_with_timeout(
            session.command("turnutils_stunclient").args([
                "-p",
                &COTURN_PORT.to_string(),
                "127.0.0.1",
            ]),
            Duration::from_secs(2),
        )?;
        if reflexive_addr(&probe.stdout).is_some() {
            println!("coturn is answering");
            return Ok(());
        }
    }
    Err(format!(
        "coturn did not answer a Binding request within ~20 s; its last output: {}",
        coturn.log_tail(10)
    ))
}

/// coturn's client and Debian's stun client against our example server.
fn our_server_cases(session: &Session, server: &Path, results: &mut Vec<CaseResult>) -> Result {
    let listen = format!("127.0.0.1:{OUR_PORT}");
    let mut ours = Background::spawn(
        "rtc-stun stun_server",
        session.command(server).arg(&listen),
        &session.tmp().join("stun_server.log"),
    )?;
    let banner = format!("listening on {listen}");
    if let Err(e) = ours.wait_for_line(|l| l.trim() == banner, PEER_TIMEOUT) {
        results.push(CaseResult::not_run(
            CASE_TURNUTILS,
            "coturn turnutils_stunclient",
            &e,
        ));
        results.push(CaseResult::not_run(
            CASE_STUN_CLIENT,
            "stun-client (stun)",
            &e,
        ));
        return Ok(());
    }

    // turnutils_stunclient sends an RFC 5389 Binding request (magic cookie, no attributes) and
    // prints, when it works, the XOR-MAPPED-ADDRESS twice, on stdout:
    //   0: : IPv4. UDP reflexive addr: 127.0.0.1:40808
    //   0: : IPv4. UDP reflexive addr: 127.0.0.1:40808
    // On a response without XOR-MAPPED-ADDRESS it prints `Cannot read the response` and still
    // exits 0; with no response it blocks forever. So only the printed address counts.
    let port = OUR_PORT.to_string();
    results.push(CaseResult::judge(
        CASE_TURNUTILS,
        "coturn turnutils_stunclient",
        session.run_peer("turnutils_stunclient", &["-p", &port, "127.0.0.1"]),
        |out| {
            let addr = reflexive_addr(&out.stdout).ok_or("no `UDP reflexive addr:` line")??;
            Ok(format!("reflexive address {addr}"))
        },
    ));

    // `stun` (Vovida STUN client 0.97) speaks RFC 3489: no magic cookie, and every request
    // carries CHANGE-REQUEST (0x0003), flags 0 in test I. It only understands MAPPED-ADDRESS
    // (0x0001), and `-p` is its *source* port: the server port goes in `HOST:PORT`. With `-v`
    // a working run prints (stdout and stderr mixed):
    //   Opened port 30678 with fd 3
    //   ...
    //   Received stun message: 84 bytes
    //   MappedAddress = 127.0.0.1:30678
    //   ...
    //   Received message of type 257  id=1        (0x0101: Binding success response)
    //   ...
    //   Primary: Open
    //   Return value is 0x000001
    // Its exit code is that NAT-type bit mask (1 = open), not success; unreachable is
    // `Primary: Blocked or could not reach STUN server` (0x1c). So the check is: a Binding
    // success response whose MappedAddress is 127.0.0.1 with one of the client's own ports.
    results.push(CaseResult::judge(
        CASE_STUN_CLIENT,
        "stun-client (stun)",
        session.run_peer("stun", &[&listen, "-v"]),
        stun_client_verdict,
    ));

    if let Some(status) = ours.exited() {
        results.push(CaseResult::not_run(
            "rtc-stun server stays up",
            "-",
            &format!(
                "stun_server exited ({status}) during the cases; its last output: {}",
                ours.log_tail(10)
            ),
        ));
    }
    Ok(())
}

fn stun_client_verdict(out: &Captured) -> Result<String> {
    let text = format!("{}\n{}", out.stdout, out.stderr);
    let own_ports: Vec<u16> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("Opened port "))
        .filter_map(|rest| rest.split_whitespace().next()?.parse().ok())
        .collect();
    if !text
        .lines()
        .any(|l| l.trim().starts_with("Received message of type 257"))
    {
        let errors: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| l.starts_with("ErrorCode"))
            .collect();
        return Err(if errors.is_empty() {
            "no Binding success response (type 257)".to_owned()
        } else {
            format!(
                "no Binding success response (type 257); error responses: {}",
                errors.join("; ")
            )
        });
    }
    let mapped: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("MappedAddress = "))
        .collect();
    let good = mapped.iter().find_map(|m| {
        let addr: SocketAddr = m.trim().parse().ok()?;
        (addr.ip() == Ipv4Addr::LOCALHOST && own_ports.contains(&addr.port())).then_some(addr)
    });
    let primary = text
        .lines()
        .map(str::trim)
        .find(|l| l.starts_with("Primary:"))
        .unwrap_or("no `Primary:` line");
    match good {
        Some(addr) => Ok(format!(
            "Binding success, MappedAddress {addr} (its source port); {primary}"
        )),
        None if mapped.is_empty() => Err(
            "Binding success without a MAPPED-ADDRESS it understands (RFC 3489 clients need \
             MAPPED-ADDRESS, 0x0001)"
                .to_owned(),
        ),
        None => Err(format!(
            "MappedAddress {} is not 127.0.0.1 with the client's port (ports {own_ports:?})",
            mapped.join(", ")
        )),
    }
}

/// The address in turnutils_stunclient's `... UDP reflexive addr: IP:PORT` line: `None` when
/// there is no such line, `Some(Err)` when it is not 127.0.0.1 with a port.
fn reflexive_addr(stdout: &str) -> Option<Result<SocketAddr>> {
    stdout
        .lines()
        .find_map(|l| l.split_once("UDP reflexive addr:"))
        .map(|(_, addr)| loopback_addr(addr))
}

/// Parses `IP:PORT` and checks it is 127.0.0.1 with a non-zero port.
fn loopback_addr(text: &str) -> Result<SocketAddr> {
    let text = text.split_whitespace().next().unwrap_or_default();
    let addr: SocketAddr = text
        .parse()
        .map_err(|_| format!("`{text}` is not an IP:PORT address"))?;
    if addr.ip() == Ipv4Addr::LOCALHOST && addr.port() != 0 {
        Ok(addr)
    } else {
        Err(format!("address {addr} is not 127.0.0.1 with a port"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::process::ExitStatusExt as _;
    use std::process::ExitStatus;

    fn captured(code: i32, stdout: &str, stderr: &str) -> Captured {
        Captured {
            status: Some(ExitStatus::from_raw(code << 8)),
            stdout: stdout.to_owned(),
            stderr: stderr.to_owned(),
        }
    }

    #[test]
    fn turnutils_output() {
        let ok = "0: : IPv4. UDP reflexive addr: 127.0.0.1:40808\n\
                  0: : IPv4. UDP reflexive addr: 127.0.0.1:40808\n";
        assert_eq!(
            reflexive_addr(ok),
            Some(Ok("127.0.0.1:40808".parse().expect("addr")))
        );
        assert_eq!(reflexive_addr("Cannot read the response\n"), None);
        assert!(matches!(
            reflexive_addr("0: : IPv4. UDP reflexive addr: 10.0.0.1:5\n"),
            Some(Err(_))
        ));
        assert!(matches!(
            reflexive_addr("0: : IPv4. UDP reflexive addr: 127.0.0.1:0\n"),
            Some(Err(_))
        ));
    }

    // Captured from `stun 127.0.0.1:3478 -v` against coturn 4.6.1 (abridged).
    const STUN_OK_STDOUT: &str =
        "STUN client version 0.97\nPrimary: Open\t\nReturn value is 0x000001\n";
    const STUN_OK_STDERR: &str = "Opened port 30678 with fd 3
Opened port 30679 with fd 4
Encoding stun message: 
Encoding ChangeRequest: 0

About to send msg of len 28 to 127.0.0.1:3478
Received stun message: 84 bytes
MappedAddress = 127.0.0.1:30678
SourceAddress = 127.0.0.1:3478
ChangedAddress = 127.0.0.1:3478
ServerName = Coturn-4.6.1 'Gorst'
Received message of type 257  id=1
Received stun message: 128 bytes
ErrorCode = 4 20 Unknown attribute: TURN server was configured without RFC 5780 support
ServerName = Coturn-4.6.1 'Gorst'
Received message of type 273  id=2
test I = 1
";

    #[test]
    fn stun_client_output() {
        let ok = captured(1, STUN_OK_STDOUT, STUN_OK_STDERR);
        let detail = stun_client_verdict(&ok).expect("passes");
        assert!(detail.contains("127.0.0.1:30678"), "{detail}");
        assert!(detail.contains("Primary: Open"), "{detail}");

        // Only XOR-MAPPED-ADDRESS (0x0020), which stun 0.97 misreads.
        let xor_only = STUN_OK_STDERR.replace(
            "MappedAddress = 127.0.0.1:30678",
            "XorMappedAddress = 0.0.0.0:0",
        );
        assert!(stun_client_verdict(&captured(16, STUN_OK_STDOUT, &xor_only)).is_err());

        // Wrong port: not the client's own.
        let wrong = STUN_OK_STDERR.replace("127.0.0.1:30678", "127.0.0.1:1234");
        assert!(stun_client_verdict(&captured(1, STUN_OK_STDOUT, &wrong)).is_err());

        let blocked = captured(
            28,
            "STUN client version 0.97\nPrimary: Blocked or could not reach STUN server\t\n",
            "Opened port 1 with fd 3\n",
        );
        assert!(stun_client_verdict(&blocked).is_err());
    }
}
