//! The `dtls` interop layer: rtc-dtls against OpenSSL 3's `s_server` and `s_client` in DTLS 1.2,
//! both ways: ECDHE-ECDSA with AES-128-GCM, AES-256-GCM and ChaCha20-Poly1305, X25519 and P-256,
//! mutual certificate authentication with self-signed P-256 certificates checked by SHA-256
//! fingerprint (as WebRTC does), use_srtp and the RFC 5705 exporter (`EXTRACTOR-dtls_srtp`),
//! HelloVerifyRequest cookies, application data both ways and close_notify. One case refuses a
//! peer whose certificate does not match `--peer-fingerprint`.
//!
//! Our side is `crates/rtc-dtls/examples/dtls_peer.rs`, built without features (the default
//! crypto provider):
//! ```text
//! dtls_peer --role client --connect ADDR | --role server --listen ADDR
//!           [--suite aes128gcm|aes256gcm|chacha20] [--group x25519|p256] [--srtp] [--cookie]
//!           [--cert-out PATH] [--peer-fingerprint HEX:WITH:COLONS] [--message TEXT]
//! ```
//! printing `CIPHER <IANA name>`, `SRTP <OpenSSL's profile name>`, `EXPORT <hex>` (the exporter
//! output, 2 × (key + salt) bytes of the profile: 60 for the CM profiles, 56 and 88 for AEAD),
//! `RECV <text>` per message, `DONE`; or `ERROR <reason>` and a non-zero exit.
//!
//! Each case gets fresh ports, so a peer that lingers cannot disturb the next one. The OpenSSL
//! side logs the handshake messages (`-msg -msgfile`), which show the cookie exchange and the
//! server's ECDHE group. Verdicts: both sides name the same cipher suite (the one asked for)
//! and SRTP profile, print the same keying material, each received the other's message, each
//! saw the certificate the other has (ours: `--peer-fingerprint` of OpenSSL's certificate;
//! OpenSSL's: the certificate it printed has the fingerprint of our `--cert-out` file), the
//! ECDHE group is the one asked for, and the cookie exchange happened or not as asked. The
//! cases take about 5 s (13 s with `--stand-in`).
//!
//! `--stand-in` runs `interop/dtls/openssl_peer.py` (OpenSSL behind dtls_peer's command line)
//! instead of the example, to check the layer itself: the rows are then marked `[stand-in]`.
//! The layer's OpenSSL command lines, waits and verdicts were validated that way, OpenSSL 3.0.19
//! against itself (all rows pass; the stand-in server cannot skip the cookie exchange, which the
//! `no cookie` rows then allow).
//!
//! What was established about OpenSSL 3.0.19 (Debian 12's `3.0.19-1~deb12u2`):
//! - Cookies: `s_server -dtls1_2` over UDP always sets `SSL_OP_COOKIE_EXCHANGE`, so it always
//!   sends a HelloVerifyRequest; there is no option to turn it off. `-listen` moves the exchange
//!   to the stateless `DTLSv1_listen` before the connection exists. Both are run (one row each).
//! - Datagrams: without `-listen` the server's socket is unconnected, the MTU query fails and it
//!   falls back to the minimum: 228-byte datagrams, with Certificate (387 bytes), ServerKeyExchange
//!   and NewSessionTicket split into handshake fragments and several records per datagram. With
//!   `-listen` the socket is connected and the whole flight goes in one datagram (~730 bytes).
//!   `s_client` sends each flight in one datagram (the loopback MTU is 65536).
//! - Key export: `-keymatexport EXTRACTOR-dtls_srtp -keymatexportlen N` prints
//!   `Keying material: HEX` after the handshake (no context). The exporter output of a shorter
//!   length is a prefix of a longer one, so OpenSSL exports 88 bytes and the prefix of the
//!   profile's length is compared. `SRTP Extension negotiated, profile=NAME` and `CIPHER is`
//!   (`s_server`) or `Cipher is` (`s_client`) name the rest; `s_client` adds `Server Temp Key`.
//! - SRTP: the server picks the first profile of its own `-use_srtp` list that the client offers.
//! - Groups: OpenSSL checks a peer's ECDSA key against its own `-groups` list and, as a server,
//!   its certificate's curve against the client's supported_groups: with P-256 certificates,
//!   `-groups X25519` alone fails (`wrong curve` at the client's CertificateVerify, or `no shared
//!   cipher` when the client lists only X25519). So OpenSSL always lists both and `-serverpref`
//!   makes the server's order pick the ECDHE group; our client gets no `--group` (it must list
//!   secp256r1 anyway).
//! - Mutual authentication: `s_server -Verify 1` requests a client certificate and fails without
//!   one; without `-verify_return_error` a self-signed one is accepted (verify error 18 is only
//!   printed). `s_client` does not verify unless asked and sends `-cert` when requested.
//! - Ending: `s_server` and `s_client` read application data from stdin (a line each) and print
//!   what they receive. `s_server` must not be given stdin before the handshake is over: it
//!   then drives the handshake from `SSL_write` and prints no summary (no cipher, no keying
//!   material), so the message is written once the summary is out. End of stdin makes either one send close_notify and stop (unless
//!   `-quiet`/`-ign_eof`); `s_server -naccept 1` also exits after the peer's close_notify or a
//!   failed handshake. A stdin line starting with `q` (or `Q`) makes `s_server` close instead of
//!   sending it: the messages start with `hello`.
//! - Logs: `-trace` decodes DTLS, but it decodes each fragment of a fragmented Certificate
//!   on its own, fails, and leaves ASN.1 errors on OpenSSL's error queue; `s_server` then takes
//!   the peer's close_notify for an error (`ERROR` instead of `DONE`). `-msg` does not decode
//!   DTLS in 3.0 (`Not TLS data or unknown version`) but dumps each message, type byte first.
//! - What our side must do for OpenSSL: answer `s_client`'s TLS_EMPTY_RENEGOTIATION_INFO_SCSV
//!   with an empty renegotiation_info in the ServerHello (OpenSSL 3 clients abort with `unsafe
//!   legacy renegotiation disabled` otherwise; seen by stripping it in a proxy). Extended master
//!   secret is offered by OpenSSL both ways but not required by either. `s_client` also offers
//!   encrypt_then_mac, session_ticket, ec_point_formats (3 formats) and 20 signature
//!   algorithms; `s_server` sends a NewSessionTicket when the client offered session_ticket.

use std::fs;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::{CaseResult, Layer, PEER_TIMEOUT, Session};
use crate::util::{self, Captured, Result};

/// Registered in [`super::LAYERS`].
pub(super) const LAYER: Layer = Layer {
    name: "dtls",
    run,
    versions,
    flags: &[STAND_IN],
};

/// Plays our side with OpenSSL (`interop/dtls/openssl_peer.py`), to check the layer itself.
const STAND_IN: &str = "--stand-in";

const LABEL: &str = "EXTRACTOR-dtls_srtp";
/// The longest keying material a profile needs (AEAD_AES_256_GCM).
const EXPORT_LEN: usize = 88;
const OUR_CLIENT_MESSAGE: &str = "hello from rtc-dtls client";
const OUR_SERVER_MESSAGE: &str = "hello from rtc-dtls server";
const OPENSSL_CLIENT_MESSAGE: &str = "hello from openssl s_client";
const OPENSSL_SERVER_MESSAGE: &str = "hello from openssl s_server";
/// OpenSSL's ports are `OPENSSL_PORT + case`, ours `OUR_PORT + case`.
const OPENSSL_PORT: u16 = 44330;
const OUR_PORT: u16 = 44400;
/// How long a side may take to finish its handshake, and then to see the other's message.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a side may take to exit once the other one is done.
const EXIT_GRACE: Duration = Duration::from_secs(3);

/// A cipher suite by its three names.
struct Suite {
    /// `--suite` of dtls_peer.
    ours: &'static str,
    /// `-cipher` of OpenSSL, and what it prints.
    openssl: &'static str,
    /// What dtls_peer prints.
    iana: &'static str,
    label: &'static str,
}

const AES128: Suite = Suite {
    ours: "aes128gcm",
    openssl: "ECDHE-ECDSA-AES128-GCM-SHA256",
    iana: "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
    label: "AES-128-GCM",
};
const AES256: Suite = Suite {
    ours: "aes256gcm",
    openssl: "ECDHE-ECDSA-AES256-GCM-SHA384",
    iana: "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
    label: "AES-256-GCM",
};
const CHACHA20: Suite = Suite {
    ours: "chacha20",
    openssl: "ECDHE-ECDSA-CHACHA20-POLY1305",
    iana: "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    label: "ChaCha20-Poly1305",
};
const SUITES: [&Suite; 3] = [&AES128, &AES256, &CHACHA20];

/// An ECDHE group.
struct Group {
    /// `--group` of dtls_peer.
    ours: &'static str,
    /// `-groups` of OpenSSL: this group first, P-256 always (see the module notes).
    openssl: &'static str,
    /// How `s_client`'s `Server Temp Key:` line names it.
    temp_key: &'static str,
    /// Its NamedGroup code point, as in a ServerKeyExchange.
    code: u16,
    label: &'static str,
}

const X25519: Group = Group {
    ours: "x25519",
    openssl: "X25519:P-256",
    temp_key: "X25519",
    code: 0x001d,
    label: "X25519",
};
const P256: Group = Group {
    ours: "p256",
    openssl: "P-256:X25519",
    temp_key: "ECDH, prime256v1",
    code: 0x0017,
    label: "P-256",
};

/// SRTP protection profiles as OpenSSL names them, with the keying material they take from
/// the exporter: 2 × (master key + master salt).
const PROFILES: [(&str, usize); 4] = [
    ("SRTP_AEAD_AES_128_GCM", 56),
    ("SRTP_AEAD_AES_256_GCM", 88),
    ("SRTP_AES128_CM_SHA1_80", 60),
    ("SRTP_AES128_CM_SHA1_32", 60),
];

fn export_len(profile: &str) -> Option<usize> {
    PROFILES
        .iter()
        .find(|(name, _)| *name == profile)
        .map(|&(_, len)| len)
}

/// Who plays which role.
#[derive(Clone, Copy)]
enum Mode {
    /// Our client against `s_server`; `listen`: with `-listen` (stateless `DTLSv1_listen`);
    /// `wrong_fingerprint`: our client is given a fingerprint that is not the server's.
    OurClient {
        listen: bool,
        wrong_fingerprint: bool,
    },
    /// `s_client` against our server; `cookie`: our server is run with `--cookie`.
    OurServer { cookie: bool },
}

struct Case {
    mode: Mode,
    suite: &'static Suite,
    group: &'static Group,
    /// OpenSSL's `-use_srtp` list: the server's preference, or what the client offers.
    srtp: &'static [&'static str],
}

impl Case {
    fn name(&self) -> String {
        let what = format!("{}, {}", self.suite.label, self.group.label);
        match self.mode {
            Mode::OurClient {
                wrong_fingerprint: true,
                ..
            } => format!("rtc-dtls client → s_server: {what}, wrong --peer-fingerprint refused"),
            Mode::OurClient { listen, .. } => format!(
                "rtc-dtls client → s_server: {what}, {}",
                if listen {
                    "cookie by -listen, one-datagram flights"
                } else {
                    "cookie in the connection, 228-byte fragmented flights"
                }
            ),
            Mode::OurServer { cookie } => format!(
                "s_client → rtc-dtls server: {what}, {}",
                if cookie { "--cookie" } else { "no cookie" }
            ),
        }
    }

    fn peer(&self, openssl: &str) -> String {
        match self.mode {
            Mode::OurClient { .. } => format!("{openssl} s_server"),
            Mode::OurServer { .. } => format!("{openssl} s_client"),
        }
    }
}

/// The rows, in order.
fn cases() -> Vec<Case> {
    let client = |listen| Mode::OurClient {
        listen,
        wrong_fingerprint: false,
    };
    vec![
        Case {
            mode: client(false),
            suite: &AES128,
            group: &X25519,
            srtp: &["SRTP_AEAD_AES_128_GCM", "SRTP_AES128_CM_SHA1_80"],
        },
        Case {
            mode: client(true),
            suite: &AES128,
            group: &X25519,
            srtp: &["SRTP_AES128_CM_SHA1_80", "SRTP_AEAD_AES_128_GCM"],
        },
        Case {
            mode: client(false),
            suite: &AES256,
            group: &P256,
            srtp: &["SRTP_AEAD_AES_256_GCM", "SRTP_AEAD_AES_128_GCM"],
        },
        Case {
            mode: client(true),
            suite: &AES256,
            group: &P256,
            srtp: &["SRTP_AES128_CM_SHA1_32"],
        },
        Case {
            mode: client(false),
            suite: &CHACHA20,
            group: &X25519,
            srtp: &["SRTP_AES128_CM_SHA1_80"],
        },
        Case {
            mode: Mode::OurClient {
                listen: false,
                wrong_fingerprint: true,
            },
            suite: &AES128,
            group: &X25519,
            srtp: &["SRTP_AEAD_AES_128_GCM"],
        },
        Case {
            mode: Mode::OurServer { cookie: false },
            suite: &AES128,
            group: &X25519,
            srtp: &["SRTP_AEAD_AES_128_GCM", "SRTP_AES128_CM_SHA1_80"],
        },
        Case {
            mode: Mode::OurServer { cookie: true },
            suite: &AES128,
            group: &X25519,
            srtp: &["SRTP_AES128_CM_SHA1_80", "SRTP_AES128_CM_SHA1_32"],
        },
        Case {
            mode: Mode::OurServer { cookie: false },
            suite: &AES256,
            group: &P256,
            srtp: &["SRTP_AEAD_AES_256_GCM", "SRTP_AES128_CM_SHA1_32"],
        },
        Case {
            mode: Mode::OurServer { cookie: true },
            suite: &AES256,
            group: &P256,
            srtp: &[
                "SRTP_AEAD_AES_256_GCM",
                "SRTP_AEAD_AES_128_GCM",
                "SRTP_AES128_CM_SHA1_80",
                "SRTP_AES128_CM_SHA1_32",
            ],
        },
    ]
}

fn versions() -> Vec<String> {
    vec![super::deb_version("openssl")]
}

/// What the cases share.
struct Ctx<'a> {
    session: &'a Session,
    /// Our program and the arguments before dtls_peer's own (the stand-in's script).
    ours: (PathBuf, Vec<String>),
    /// OpenSSL's self-signed P-256 certificate and key, and the certificate's fingerprint.
    cert: PathBuf,
    key: PathBuf,
    fingerprint: String,
    /// "OpenSSL 3.0.19".
    openssl: String,
    /// `--stand-in`: OpenSSL plays our side too.
    stand_in: bool,
}

impl Ctx<'_> {
    fn our_command(&self) -> Command {
        let mut cmd = self.session.command(&self.ours.0);
        cmd.args(&self.ours.1);
        cmd
    }
}

fn run(session: &Session) -> Result<Vec<CaseResult>> {
    util::ensure_programs(&[("openssl", "openssl")])?;
    let stand_in = session.flag(STAND_IN);
    let ours = if stand_in {
        util::ensure_programs(&[("python3", "python3")])?;
        let python = util::which("python3").ok_or("python3 is not in PATH")?;
        let script = util::repo_root().join("interop/dtls/openssl_peer.py");
        (python, vec![script.display().to_string()])
    } else {
        // Built outside the namespace (it has no network for crates.io).
        util::run(util::cargo().args([
            "build",
            "-p",
            "rtc-dtls",
            "--example",
            "dtls_peer",
            "--example",
            "answer_hello",
            "--locked",
        ]))?;
        let binary = util::target_dir().join("debug/examples/dtls_peer");
        if !binary.is_file() {
            return Err(format!(
                "{} is missing after building the example",
                binary.display()
            ));
        }
        (binary, Vec::new())
    };

    let (cert, key) = (
        session.tmp().join("openssl-cert.pem"),
        session.tmp().join("openssl-key.pem"),
    );
    util::run(
        Command::new("openssl")
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
                "/CN=openssl-interop",
            ])
            .arg("-keyout")
            .arg(&key)
            .arg("-out")
            .arg(&cert),
    )?;
    let fingerprint = cert_fingerprint(&cert)?;
    let version = util::stdout_of(Command::new("openssl").arg("version"))?;
    let openssl = version
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        .join(" ");
    let ctx = Ctx {
        session,
        ours,
        cert,
        key,
        fingerprint,
        openssl,
        stand_in,
    };

    let mut results = Vec::new();
    for (index, case) in cases().iter().enumerate() {
        let mut name = case.name();
        let mut peer = case.peer(&ctx.openssl);
        if stand_in {
            name = format!("[stand-in] {name}");
            peer = format!("{peer} (stand-in: OpenSSL on our side too)");
        }
        println!("\n--- {name}");
        let dir = session.tmp().join(format!("case{index}"));
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let offset = u16::try_from(index).unwrap_or(0);
        let outcome = match case.mode {
            Mode::OurClient { .. } => our_client_case(&ctx, case, &dir, OPENSSL_PORT + offset),
            Mode::OurServer { .. } => our_server_case(&ctx, case, &dir, OUR_PORT + offset),
        };
        results.push(CaseResult::verdict(&name, &peer, outcome));
    }
    if !stand_in {
        println!("\n--- Chromium ClientHello (captured now) → rtc-dtls server");
        let (peer, outcome) = chromium_hello_case(session);
        results.push(CaseResult::verdict(
            "Chromium ClientHello (captured live) → rtc-dtls server: DTLS 1.2 flight",
            &peer,
            outcome,
        ));
    }
    Ok(results)
}

/// How long capturing Chromium's hello may take (Chromium's start on a loaded machine).
const CAPTURE_TIMEOUT: Duration = Duration::from_secs(150);

/// Captures a ClientHello from headless Chromium now (`interop/dtls/capture_client_hello.sh`,
/// which makes its own namespace and installs what it lacks) and feeds it to our server
/// (`answer_hello` example): passes when the answer is a complete DTLS 1.2 server flight.
fn chromium_hello_case(session: &Session) -> (String, Result<String>) {
    let mut peer = "Chromium".to_owned();
    let outcome = (|| {
        let dir = session.tmp().join("chromium-hello");
        fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let script = util::repo_root().join("interop/dtls/capture_client_hello.sh");
        let capture =
            util::run_with_timeout(Command::new("sh").arg(&script).arg(&dir), CAPTURE_TIMEOUT)?;
        if !capture.success() {
            return Err(format!(
                "capture failed ({}): {}",
                capture.describe(),
                util::tail(&format!("{}{}", capture.stdout, capture.stderr), 5)
            ));
        }
        let readme = fs::read_to_string(dir.join("README.md")).unwrap_or_default();
        if let Some(version) = readme
            .lines()
            .find_map(|l| l.strip_prefix("- Chromium: "))
            .and_then(|v| v.split_whitespace().next())
        {
            peer = format!("Chromium {version}");
        }
        let mut files: Vec<PathBuf> = fs::read_dir(&dir)
            .map_err(|e| format!("{}: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "bin"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err("the capture wrote no ClientHello".into());
        }
        let binary = util::target_dir().join("debug/examples/answer_hello");
        let out = util::run_with_timeout(session.command(&binary).args(&files), PEER_TIMEOUT)?;
        for line in out.stdout.lines() {
            println!("  | {line}");
        }
        let answer = out
            .stdout
            .lines()
            .find_map(|l| l.strip_prefix("SERVERHELLO "))
            .map(str::to_owned);
        match (out.success(), answer) {
            (true, Some(answer)) if answer.contains("version=0xfefd") => {
                let hello = out
                    .stdout
                    .lines()
                    .find_map(|l| l.strip_prefix("CLIENTHELLO "))
                    .unwrap_or("");
                Ok(format!("hello: {hello}; answer: {answer}"))
            }
            _ => Err(format!(
                "no DTLS 1.2 answer: {}",
                util::tail(&format!("{}{}", out.stdout, out.stderr), 3)
            )),
        }
    })();
    (peer, outcome)
}

/// `openssl x509 -fingerprint -sha256`: `AB:CD:...`, as in an SDP `a=fingerprint`.
fn cert_fingerprint(pem: &Path) -> Result<String> {
    let out = util::stdout_of(
        Command::new("openssl")
            .args(["x509", "-noout", "-fingerprint", "-sha256", "-in"])
            .arg(pem),
    )?;
    parse_fingerprint(&out).ok_or_else(|| format!("no fingerprint in `{}`", out.trim()))
}

/// `sha256 Fingerprint=AB:CD:...` (OpenSSL 3 says `SHA256 Fingerprint=`): the hex.
fn parse_fingerprint(text: &str) -> Option<String> {
    text.lines()
        .find_map(|l| l.split_once("Fingerprint="))
        .map(|(_, hex)| hex.trim().to_uppercase())
        .filter(|hex| hex.len() == 95)
}

/// The fingerprint of the certificate OpenSSL printed after `marker` (`Client certificate`,
/// `Server certificate`): the certificate our side presented.
fn seen_fingerprint(openssl_stdout: &str, marker: &str, dir: &Path) -> Result<String> {
    let pem = certificate_after(openssl_stdout, marker)
        .ok_or_else(|| format!("OpenSSL printed no `{marker}`"))?;
    let path = dir.join("seen-cert.pem");
    fs::write(&path, pem).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    cert_fingerprint(&path)
}

/// The first PEM certificate after the line `marker`.
fn certificate_after(text: &str, marker: &str) -> Option<String> {
    let mut lines = text.lines().skip_while(|l| l.trim() != marker).skip(1);
    let mut pem = String::new();
    let first = lines.next()?.trim();
    if first != "-----BEGIN CERTIFICATE-----" {
        return None;
    }
    pem.push_str(first);
    pem.push('\n');
    for line in lines {
        pem.push_str(line.trim());
        pem.push('\n');
        if line.trim() == "-----END CERTIFICATE-----" {
            return Some(pem);
        }
    }
    None
}

/// Our client against `openssl s_server`.
fn our_client_case(ctx: &Ctx<'_>, case: &Case, dir: &Path, port: u16) -> Result<String> {
    let Mode::OurClient {
        listen,
        wrong_fingerprint,
    } = case.mode
    else {
        return Err("not a client case".to_owned());
    };
    let addr = format!("127.0.0.1:{port}");
    let msgs = dir.join("s_server.msg");
    let mut cmd = ctx.session.command("openssl");
    cmd.args(["s_server", "-dtls1_2", "-accept", &addr])
        .arg("-cert")
        .arg(&ctx.cert)
        .arg("-key")
        .arg(&ctx.key)
        .args(["-Verify", "1", "-naccept", "1"])
        .args(["-cipher", case.suite.openssl])
        .args(["-groups", case.group.openssl, "-serverpref"])
        .args(["-use_srtp", &case.srtp.join(":")])
        .args(["-keymatexport", LABEL, "-keymatexportlen"])
        .arg(EXPORT_LEN.to_string())
        .args(["-msg", "-msgfile"])
        .arg(&msgs);
    if listen {
        cmd.arg("-listen");
    }
    let mut server = Proc::spawn("openssl s_server", &mut cmd, &dir.join("s_server"), true)?;
    if !wait_until(PEER_TIMEOUT, || {
        server.stdout().lines().any(|l| l.trim() == "ACCEPT") || server.exited()
    }) || server.exited()
    {
        return Err(format!(
            "s_server did not start: {}",
            util::tail(&server.output(), 5)
        ));
    }

    let cert_out = dir.join("ours-cert.pem");
    let fingerprint = if wrong_fingerprint {
        wrong(&ctx.fingerprint)
    } else {
        ctx.fingerprint.clone()
    };
    let mut cmd = ctx.our_command();
    cmd.args(["--role", "client", "--connect", &addr])
        .args(["--suite", case.suite.ours, "--srtp"])
        .arg("--cert-out")
        .arg(&cert_out)
        .args(["--peer-fingerprint", &fingerprint])
        .args(["--message", OUR_CLIENT_MESSAGE]);
    let mut ours = Proc::spawn(
        "rtc-dtls dtls_peer client",
        &mut cmd,
        &dir.join("ours"),
        false,
    )?;

    // s_server's summary ends with its keying material: then it may send.
    let handshake = wait_until(HANDSHAKE_TIMEOUT, || {
        server.stdout().contains("Keying material: ") || server.exited() || ours.exited()
    }) && server.stdout().contains("Keying material: ");
    if handshake {
        // Fails only when s_server is gone, which the verdict reports.
        let _ = server.send_line(OPENSSL_SERVER_MESSAGE);
    }
    let ours = ours.finish(PEER_TIMEOUT);
    // s_server -naccept 1 exits after our close_notify (or the failed handshake).
    let server = server.finish(EXIT_GRACE);
    let msgs = fs::read_to_string(&msgs).unwrap_or_default();
    print_case_output(&ours, &server, "s_server");

    if wrong_fingerprint {
        return refusal_verdict(&ours, &server);
    }
    let ours_fp = cert_fingerprint(&cert_out).map_err(|e| format!("our --cert-out: {e}"));
    let seen_fp = seen_fingerprint(&server.stdout, "Client certificate", dir);
    let mut problems = Vec::new();
    let detail = check_pair(case, &ours, &server, &mut problems);
    check_fingerprints(ours_fp, seen_fp, &mut problems);
    match server_key_exchange_group(&msgs) {
        Some(code) if code == case.group.code => {}
        code => problems.push(format!(
            "s_server's ServerKeyExchange uses group {code:04x?}, not {} ({:04x})",
            case.group.label, case.group.code
        )),
    }
    // s_server's own HelloVerifyRequest shows in its -msg log; DTLSv1_listen's (-listen) does
    // not. Either way it goes on only with the cookie echoed.
    if !listen && hello_verify_requests(&msgs, ">>>") == 0 {
        problems.push("s_server's -msg log shows no HelloVerifyRequest".to_owned());
    }
    // `DONE` follows our message on the same line when that has no newline.
    if !server
        .stdout
        .lines()
        .any(|l| l.trim_end().ends_with("DONE"))
    {
        problems.push("s_server saw no close_notify (no `DONE`)".to_owned());
    }
    verdict(
        problems,
        format!("{detail}; HelloVerifyRequest cookie echoed ({})", {
            if listen {
                "-listen"
            } else {
                "in the connection"
            }
        }),
    )
}

/// `s_client` against our server.
fn our_server_case(ctx: &Ctx<'_>, case: &Case, dir: &Path, port: u16) -> Result<String> {
    let Mode::OurServer { cookie } = case.mode else {
        return Err("not a server case".to_owned());
    };
    let addr = format!("127.0.0.1:{port}");
    let cert_out = dir.join("ours-cert.pem");
    let mut cmd = ctx.our_command();
    cmd.args(["--role", "server", "--listen", &addr])
        .args([
            "--suite",
            case.suite.ours,
            "--group",
            case.group.ours,
            "--srtp",
        ])
        .arg("--cert-out")
        .arg(&cert_out)
        .args(["--peer-fingerprint", &ctx.fingerprint])
        .args(["--message", OUR_SERVER_MESSAGE]);
    if cookie {
        cmd.arg("--cookie");
    }
    let mut ours = Proc::spawn(
        "rtc-dtls dtls_peer server",
        &mut cmd,
        &dir.join("ours"),
        false,
    )?;
    if !wait_until(PEER_TIMEOUT, || {
        ours.exited() || udp_bound(ours.child.id(), port)
    }) || ours.exited()
    {
        return Err(format!(
            "our server did not bind {addr}: {}",
            util::tail(&ours.output(), 5)
        ));
    }

    let msgs = dir.join("s_client.msg");
    let mut cmd = ctx.session.command("openssl");
    cmd.args(["s_client", "-dtls1_2", "-connect", &addr])
        .arg("-cert")
        .arg(&ctx.cert)
        .arg("-key")
        .arg(&ctx.key)
        .args(["-cipher", case.suite.openssl])
        .args(["-groups", "X25519:P-256"])
        .args(["-use_srtp", &case.srtp.join(":")])
        .args(["-keymatexport", LABEL, "-keymatexportlen"])
        .arg(EXPORT_LEN.to_string())
        .args(["-msg", "-msgfile"])
        .arg(&msgs);
    let mut client = Proc::spawn("openssl s_client", &mut cmd, &dir.join("s_client"), true)?;
    let handshake = wait_until(HANDSHAKE_TIMEOUT, || {
        client.stdout().contains("Keying material: ") || client.exited() || ours.exited()
    }) && client.stdout().contains("Keying material: ");
    if handshake {
        let _ = client.send_line(OPENSSL_CLIENT_MESSAGE);
        // Our server's message, then end of stdin: s_client sends close_notify and exits.
        wait_until(HANDSHAKE_TIMEOUT, || {
            client.stdout().contains(OUR_SERVER_MESSAGE) || client.exited() || ours.exited()
        });
    }
    client.close_stdin();
    let client = client.finish(EXIT_GRACE);
    let ours = ours.finish(PEER_TIMEOUT);
    let msgs = fs::read_to_string(&msgs).unwrap_or_default();
    print_case_output(&ours, &client, "s_client");

    let ours_fp = cert_fingerprint(&cert_out).map_err(|e| format!("our --cert-out: {e}"));
    let seen_fp = seen_fingerprint(&client.stdout, "Server certificate", dir);
    let mut problems = Vec::new();
    let detail = check_pair(case, &ours, &client, &mut problems);
    check_fingerprints(ours_fp, seen_fp, &mut problems);
    let temp_key = client
        .stdout
        .lines()
        .find_map(|l| l.trim().strip_prefix("Server Temp Key: "))
        .unwrap_or("(none)");
    if !temp_key.starts_with(case.group.temp_key) {
        problems.push(format!(
            "s_client's Server Temp Key is {temp_key}, not {}",
            case.group.temp_key
        ));
    }
    let verifies = hello_verify_requests(&msgs, "<<<");
    let cookie_detail = match (cookie, verifies) {
        (true, 0) => {
            problems.push("--cookie, but s_client got no HelloVerifyRequest".to_owned());
            ""
        }
        (true, _) => "HelloVerifyRequest sent, cookie echoed",
        (false, 0) => "no HelloVerifyRequest",
        // OpenSSL's s_server, standing in for ours, always sends one.
        (false, _) if ctx.stand_in => "a HelloVerifyRequest all the same (stand-in s_server)",
        (false, n) => {
            problems.push(format!(
                "no --cookie, but s_client got {n} HelloVerifyRequest(s)"
            ));
            ""
        }
    };
    verdict(problems, format!("{detail}; {cookie_detail}"))
}

fn verdict(problems: Vec<String>, detail: String) -> Result<String> {
    if problems.is_empty() {
        Ok(detail)
    } else {
        Err(problems.join("; "))
    }
}

/// A fingerprint that is not `fingerprint`: every byte inverted.
fn wrong(fingerprint: &str) -> String {
    fingerprint
        .split(':')
        .map(|byte| {
            u8::from_str_radix(byte, 16).map_or_else(|_| "00".to_owned(), |b| format!("{:02X}", !b))
        })
        .collect::<Vec<_>>()
        .join(":")
}

/// The negative case: our client must fail, say why, and send no application data.
fn refusal_verdict(ours: &Captured, server: &Captured) -> Result<String> {
    let lines = OurLines::parse(&ours.stdout);
    let mut problems = Vec::new();
    match ours.status {
        None => problems.push("our client timed out instead of failing".to_owned()),
        Some(s) if s.success() => problems.push("our client exited 0".to_owned()),
        Some(_) => {}
    }
    let error = lines.error.clone().unwrap_or_default();
    if !error.to_lowercase().contains("fingerprint") {
        problems.push(format!(
            "no `ERROR ...fingerprint...` line (ERROR: {})",
            lines.error.as_deref().unwrap_or("none")
        ));
    }
    if server.stdout.contains(OUR_CLIENT_MESSAGE) {
        problems.push("s_server received our application data".to_owned());
    }
    verdict(
        problems,
        format!(
            "refused ({}): ERROR {error}; s_server: {}",
            ours.describe(),
            last_error(server)
        ),
    )
}

fn check_fingerprints(ours: Result<String>, seen: Result<String>, problems: &mut Vec<String>) {
    match (ours, seen) {
        (Ok(ours), Ok(seen)) if ours == seen => {}
        (Ok(ours), Ok(seen)) => problems.push(format!(
            "OpenSSL saw a certificate with fingerprint {seen}, our --cert-out has {ours}"
        )),
        (Err(e), _) | (_, Err(e)) => problems.push(e),
    }
}

/// The checks common to both directions; the detail of a pass.
fn check_pair(
    case: &Case,
    ours: &Captured,
    openssl: &Captured,
    problems: &mut Vec<String>,
) -> String {
    let (our_message, their_message) = match case.mode {
        Mode::OurClient { .. } => (OUR_CLIENT_MESSAGE, OPENSSL_SERVER_MESSAGE),
        Mode::OurServer { .. } => (OUR_SERVER_MESSAGE, OPENSSL_CLIENT_MESSAGE),
    };
    let lines = OurLines::parse(&ours.stdout);
    let theirs = OpensslSummary::parse(&openssl.stdout);
    if let Some(error) = &lines.error {
        problems.push(format!("rtc-dtls: ERROR {error}"));
    }
    if !ours.success() {
        problems.push(format!("rtc-dtls {}", ours.describe()));
    }
    if !openssl.success() {
        problems.push(format!(
            "OpenSSL {}: {}",
            openssl.describe(),
            last_error(openssl)
        ));
    }
    if !lines.done {
        problems.push("rtc-dtls printed no DONE".to_owned());
    }

    // Cipher suite: the one asked for, on both sides.
    let their_cipher = theirs
        .cipher
        .as_deref()
        .map(|c| SUITES.iter().find(|s| s.openssl == c).map_or(c, |s| s.iana));
    if lines.cipher.as_deref() != Some(case.suite.iana) {
        problems.push(format!(
            "rtc-dtls CIPHER {}, expected {}",
            lines.cipher.as_deref().unwrap_or("(none)"),
            case.suite.iana
        ));
    }
    if their_cipher != Some(case.suite.iana) {
        problems.push(format!(
            "OpenSSL's cipher is {}, expected {}",
            theirs.cipher.as_deref().unwrap_or("(none)"),
            case.suite.openssl
        ));
    }

    // SRTP profile: the same on both sides; s_server's first choice when it is the server.
    let profile = theirs.srtp.clone().unwrap_or_default();
    if lines.srtp.as_deref() != theirs.srtp.as_deref() {
        problems.push(format!(
            "SRTP profile: rtc-dtls {}, OpenSSL {}",
            lines.srtp.as_deref().unwrap_or("(none)"),
            theirs.srtp.as_deref().unwrap_or("(none)")
        ));
    }
    let expected_profile = match case.mode {
        Mode::OurClient { .. } => case.srtp.first().copied(),
        Mode::OurServer { .. } => case.srtp.iter().copied().find(|p| *p == profile),
    };
    if expected_profile != Some(profile.as_str()) {
        problems.push(format!(
            "SRTP profile {profile:?} is not the expected one of {:?}",
            case.srtp
        ));
    }

    // Keying material: ours equals the prefix of OpenSSL's of the profile's length.
    let mut exported = 0;
    match (export_len(&profile), &lines.export, &theirs.material) {
        (Some(len), Some(ours_hex), Some(theirs_hex)) => {
            if ours_hex.len() != 2 * len {
                problems.push(format!(
                    "rtc-dtls EXPORT has {} bytes, {profile} needs {len}",
                    ours_hex.len() / 2
                ));
            } else if theirs_hex.len() < 2 * len
                || !ours_hex.eq_ignore_ascii_case(&theirs_hex[..2 * len])
            {
                problems.push(format!(
                    "keying material differs: rtc-dtls {ours_hex}, OpenSSL {}",
                    &theirs_hex[..theirs_hex.len().min(2 * len)]
                ));
            } else {
                exported = len;
            }
        }
        (_, ours_hex, theirs_hex) => problems.push(format!(
            "no keying material to compare (rtc-dtls EXPORT: {}, OpenSSL: {})",
            if ours_hex.is_some() { "yes" } else { "none" },
            if theirs_hex.is_some() { "yes" } else { "none" }
        )),
    }

    // Application data both ways.
    if !lines.recv.iter().any(|r| r.trim_end() == their_message) {
        problems.push(format!(
            "rtc-dtls did not receive {their_message:?} (RECV: {:?})",
            lines.recv
        ));
    }
    if !openssl.stdout.contains(our_message) {
        problems.push(format!("OpenSSL did not print {our_message:?}"));
    }

    format!(
        "{}, {}, {profile}: {exported}-byte EXPORT equal on both sides; messages both ways; \
         fingerprints checked both ways",
        case.suite.iana, case.group.label
    )
}

/// The last error of an OpenSSL run, shortened: `80EB...:error:0A000412:SSL
/// routines:dtls1_read_bytes:sslv3 alert bad certificate:../ssl/record/rec_layer_d1.c:619:SSL
/// alert number 42` becomes `dtls1_read_bytes:sslv3 alert bad certificate`.
fn last_error(out: &Captured) -> String {
    let error = |l: &&str| l.contains("error:") || l.contains("alert");
    let line = out
        .stderr
        .lines()
        .rfind(error)
        .or_else(|| out.stdout.lines().rfind(error))
        .map_or("no error line", str::trim);
    line.split_once(":SSL routines:")
        .map(|(_, rest)| rest.split(":../").next().unwrap_or(rest))
        .unwrap_or(line)
        .to_owned()
}

/// What dtls_peer printed.
#[derive(Debug, Default)]
struct OurLines {
    cipher: Option<String>,
    srtp: Option<String>,
    export: Option<String>,
    recv: Vec<String>,
    done: bool,
    error: Option<String>,
}

impl OurLines {
    fn parse(stdout: &str) -> Self {
        let mut out = Self::default();
        for line in stdout.lines() {
            let (word, rest) = line.split_once(' ').unwrap_or((line.trim(), ""));
            match word {
                "CIPHER" => out.cipher = Some(rest.trim().to_owned()),
                "SRTP" => out.srtp = Some(rest.trim().to_owned()),
                "EXPORT" => out.export = Some(rest.trim().to_owned()),
                "RECV" => out.recv.push(rest.to_owned()),
                "DONE" => out.done = true,
                "ERROR" => out.error = Some(rest.trim().to_owned()),
                _ => {}
            }
        }
        out
    }
}

/// What `s_server` or `s_client` printed about the connection.
#[derive(Debug, Default)]
struct OpensslSummary {
    /// OpenSSL's name: `ECDHE-ECDSA-AES128-GCM-SHA256`.
    cipher: Option<String>,
    srtp: Option<String>,
    /// Uppercase hex.
    material: Option<String>,
}

impl OpensslSummary {
    fn parse(stdout: &str) -> Self {
        let mut out = Self::default();
        for line in stdout.lines().map(str::trim) {
            // s_server: `CIPHER is X`; s_client: `New, TLSv1.2, Cipher is X`.
            if let Some((_, cipher)) = line
                .split_once("CIPHER is ")
                .or_else(|| line.split_once("Cipher is "))
            {
                let cipher = cipher.trim();
                if out.cipher.is_none() && cipher != "(NONE)" {
                    out.cipher = Some(cipher.to_owned());
                }
            } else if let Some(profile) = line.strip_prefix("SRTP Extension negotiated, profile=") {
                out.srtp = Some(profile.trim().to_owned());
            } else if let Some(hex) = line.strip_prefix("Keying material: ") {
                out.material = Some(hex.trim().to_owned());
            }
        }
        out
    }
}

/// How many HelloVerifyRequests an OpenSSL `-msg` log shows going `direction` (`<<<` received,
/// `>>>` sent). OpenSSL 3.0 does not decode DTLS there: each handshake message is a line
/// `<<< Not TLS data or unknown version (version=65277, content_type=22) [length 0023]` and a hex
/// dump whose first byte is the message type (3).
fn hello_verify_requests(msgs: &str, direction: &str) -> usize {
    let lines: Vec<&str> = msgs.lines().collect();
    lines
        .windows(2)
        .filter(|pair| {
            pair[0].starts_with(direction)
                && pair[0].contains("content_type=22)")
                && pair[1].trim_start().starts_with("03 ")
        })
        .count()
}

/// The named group of the ServerKeyExchange a `-msg` log shows sent (`>>>`): its dump starts
/// `0c LL LL LL SS SS OO OO OO FF FF FF 03 GG GG`, the handshake header, then curve_type 3
/// (named_curve) and the group.
fn server_key_exchange_group(msgs: &str) -> Option<u16> {
    let lines: Vec<&str> = msgs.lines().collect();
    lines.windows(2).find_map(|pair| {
        if !(pair[0].starts_with(">>>") && pair[0].contains("content_type=22)")) {
            return None;
        }
        let bytes: Vec<u8> = pair[1]
            .split_whitespace()
            .map_while(|b| u8::from_str_radix(b, 16).ok())
            .collect();
        match bytes.as_slice() {
            [0x0c, _, _, _, _, _, _, _, _, _, _, _, 3, hi, lo, ..] => {
                Some(u16::from_be_bytes([*hi, *lo]))
            }
            _ => None,
        }
    })
}

/// Whether a UDP socket on 127.0.0.1:`port` is open in the network namespace of process `pid`
/// (`/proc/PID/net/udp`), once that process runs the program (`ip netns exec` has exec'd).
pub(super) fn udp_bound(pid: u32, port: u16) -> bool {
    let proc = Path::new("/proc").join(pid.to_string());
    if fs::read_to_string(proc.join("comm")).is_ok_and(|comm| comm.trim() == "ip") {
        return false;
    }
    fs::read_to_string(proc.join("net/udp")).is_ok_and(|table| udp_table_has(&table, port))
}

/// Whether `/proc/net/udp` text lists a socket bound to 127.0.0.1:`port`.
fn udp_table_has(table: &str, port: u16) -> bool {
    let wanted = format!("0100007F:{port:04X}");
    table
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(1))
        .any(|local| local == wanted)
}

/// Polls `done` every 20 ms for up to `timeout`; whether it became true.
pub(super) fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if done() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// Both sides' output for the CI log: ours in full, OpenSSL's without its long base64 and
/// hex dump lines.
fn print_case_output(ours: &Captured, openssl: &Captured, name: &str) {
    for (who, out) in [("rtc-dtls", ours), (name, openssl)] {
        for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            if text.trim().is_empty() {
                continue;
            }
            println!("  --- {who} {stream}:");
            for line in text.lines() {
                if who == "rtc-dtls" || !is_dump(line) {
                    println!("  | {line}");
                }
            }
        }
        println!("  --- {who}: {}", out.describe());
    }
}

/// A line of base64 (certificates, sessions) or of a hex dump (`0010 - 67 00 47 ...`).
fn is_dump(line: &str) -> bool {
    let t = line.trim();
    let base64 = t.len() >= 60 && !t.contains(' ');
    let hex_dump = t.len() > 7
        && t.as_bytes()[..4].iter().all(u8::is_ascii_hexdigit)
        && t[4..].starts_with(" - ");
    base64 || hex_dump
}

/// A child whose stdout and stderr go to files (`LOG.out`, `LOG.err`), optionally fed on
/// stdin; killed and reaped when dropped.
struct Proc {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    out: PathBuf,
    err: PathBuf,
    status: Option<ExitStatus>,
}

impl Proc {
    fn spawn(name: &str, cmd: &mut Command, log: &Path, stdin: bool) -> Result<Self> {
        let out = log.with_extension("out");
        let err = log.with_extension("err");
        let create = |path: &Path| {
            fs::File::create(path).map_err(|e| format!("cannot create {}: {e}", path.display()))
        };
        let (stdout, stderr) = (create(&out)?, create(&err)?);
        util::echo(cmd);
        let mut child = cmd
            .stdin(if stdin { Stdio::piped() } else { Stdio::null() })
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot start {name} (`{}`): {e}", util::display(cmd)))?;
        Ok(Self {
            name: name.to_owned(),
            stdin: child.stdin.take(),
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

    fn stdout(&self) -> String {
        Self::read(&self.out)
    }

    /// stdout and stderr, for error messages.
    fn output(&self) -> String {
        format!("{}{}", self.stdout(), Self::read(&self.err))
    }

    fn exited(&mut self) -> bool {
        if self.status.is_none() {
            self.status = self.child.try_wait().ok().flatten();
        }
        self.status.is_some()
    }

    fn send_line(&mut self, line: &str) -> Result {
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| format!("{}: stdin is closed", self.name))?;
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("{}: cannot write to stdin: {e}", self.name))
    }

    fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits up to `timeout` for it to exit by itself (closing its stdin first), killing it
    /// then; what it printed and how it ended (`status: None` when killed).
    fn finish(mut self, timeout: Duration) -> Captured {
        let exited = wait_until(timeout, || self.exited());
        if !exited {
            println!("stopping {} (pid {})", self.name, self.child.id());
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
        self.close_stdin();
        Captured {
            status: if exited { self.status } else { None },
            stdout: self.stdout(),
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
    use std::os::unix::process::ExitStatusExt as _;

    fn captured(code: i32, stdout: &str) -> Captured {
        Captured {
            status: Some(ExitStatus::from_raw(code << 8)),
            stdout: stdout.to_owned(),
            stderr: String::new(),
        }
    }

    const MATERIAL: &str = "4266C2A2699FCE23571C2249DB8C86D52973065C32C4BFA421F0FA547BBF68C1467E2C6B\
                            4B3242F4446D5E2C64A5E9E51F27ED90DF5DB8BB3D0A4503428B4C8E573D32FCEAF67D\
                            FC15E8D1FAA8830D62D541B01FF5864F12";

    /// What s_server 3.0.19 printed in a run (abridged).
    fn s_server_stdout(message: &str) -> String {
        format!(
            "Using default temp DH parameters\nACCEPT\nClient certificate\n\
             -----BEGIN CERTIFICATE-----\nMIIBeTCC\n-----END CERTIFICATE-----\n\
             subject=CN = interop\nShared groups: x25519:secp256r1\n\
             CIPHER is ECDHE-ECDSA-AES128-GCM-SHA256\n\
             SRTP Extension negotiated, profile=SRTP_AEAD_AES_128_GCM\n\
             Secure Renegotiation IS supported\nKeying material exporter:\n    \
             Label: 'EXTRACTOR-dtls_srtp'\n    Length: 88 bytes\n    \
             Keying material: {MATERIAL}\n{message}DONE\nshutting down SSL\nCONNECTION CLOSED\n"
        )
    }

    fn ours_stdout(profile: &str, hex: &str, recv: &str) -> String {
        format!(
            "CIPHER TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\nSRTP {profile}\nEXPORT {hex}\n\
             RECV {recv}\nDONE\n"
        )
    }

    fn first_case() -> Case {
        cases().remove(0)
    }

    #[test]
    fn parses_openssl_and_ours() {
        let summary = OpensslSummary::parse(&s_server_stdout(""));
        assert_eq!(
            summary.cipher.as_deref(),
            Some("ECDHE-ECDSA-AES128-GCM-SHA256")
        );
        assert_eq!(summary.srtp.as_deref(), Some("SRTP_AEAD_AES_128_GCM"));
        assert_eq!(summary.material.as_deref(), Some(MATERIAL));
        // s_client's spelling, with the `(NONE)` of a failed handshake ignored.
        let client = OpensslSummary::parse(
            "New, (NONE), Cipher is (NONE)\nNew, TLSv1.2, Cipher is ECDHE-ECDSA-AES256-GCM-SHA384\n\
             SSL-Session:\n    Cipher    : ECDHE-ECDSA-AES256-GCM-SHA384\n",
        );
        assert_eq!(
            client.cipher.as_deref(),
            Some("ECDHE-ECDSA-AES256-GCM-SHA384")
        );

        let ours =
            OurLines::parse("CIPHER X\nRECV two words \nRECV again\nERROR bad thing\nDONE\n");
        assert_eq!(ours.cipher.as_deref(), Some("X"));
        assert_eq!(ours.recv, ["two words ", "again"]);
        assert_eq!(ours.error.as_deref(), Some("bad thing"));
        assert!(ours.done);

        assert_eq!(
            certificate_after(&s_server_stdout(""), "Client certificate").as_deref(),
            Some("-----BEGIN CERTIFICATE-----\nMIIBeTCC\n-----END CERTIFICATE-----\n")
        );
        assert_eq!(certificate_after("nothing", "Client certificate"), None);
        let fp = format!("sha256 Fingerprint={}\n", ["ab"; 32].join(":"));
        assert_eq!(parse_fingerprint(&fp), Some(["AB"; 32].join(":")));
        assert_eq!(wrong("00:FF:5A"), "FF:00:A5");
        assert_eq!(MATERIAL.len(), 2 * EXPORT_LEN);
        assert!(is_dump(
            "    0010 - f4 69 40 58 00 31 41 c9-10 28 50 d6 35 31 c9 f9   .i@X"
        ));
        assert!(!is_dump("    Keying material: 4266C2A2"));
    }

    #[test]
    fn a_matching_pair_passes_and_mismatches_fail() {
        let case = first_case();
        let server = captured(0, &s_server_stdout("hello from rtc-dtls client\n"));
        let good = captured(
            0,
            &ours_stdout(
                "SRTP_AEAD_AES_128_GCM",
                &MATERIAL[..112],
                "hello from openssl s_server",
            ),
        );
        let mut problems = Vec::new();
        let detail = check_pair(&case, &good, &server, &mut problems);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(detail.contains("56-byte EXPORT"), "{detail}");

        // Different keying material, a missing message, the wrong profile length.
        let mut bad_hex = MATERIAL[..112].to_owned();
        bad_hex.replace_range(0..2, "00");
        for (ours, needle) in [
            (
                ours_stdout(
                    "SRTP_AEAD_AES_128_GCM",
                    &bad_hex,
                    "hello from openssl s_server",
                ),
                "keying material differs",
            ),
            (
                ours_stdout("SRTP_AEAD_AES_128_GCM", &MATERIAL[..112], "other"),
                "did not receive",
            ),
            (
                ours_stdout(
                    "SRTP_AEAD_AES_128_GCM",
                    &MATERIAL[..120],
                    "hello from openssl s_server",
                ),
                "EXPORT has 60 bytes",
            ),
            (
                ours_stdout(
                    "SRTP_AES128_CM_SHA1_80",
                    &MATERIAL[..120],
                    "hello from openssl s_server",
                ),
                "SRTP profile: rtc-dtls SRTP_AES128_CM_SHA1_80",
            ),
        ] {
            let mut problems = Vec::new();
            check_pair(&case, &captured(0, &ours), &server, &mut problems);
            assert!(
                problems.iter().any(|p| p.contains(needle)),
                "{needle}: {problems:?}"
            );
        }

        // OpenSSL did not get our message; our side failed.
        let mut problems = Vec::new();
        check_pair(
            &case,
            &captured(1, "ERROR handshake failed\n"),
            &captured(0, &s_server_stdout("")),
            &mut problems,
        );
        let all = problems.join("; ");
        assert!(all.contains("ERROR handshake failed"), "{all}");
        assert!(all.contains("exit status 1"), "{all}");
        assert!(all.contains("OpenSSL did not print"), "{all}");
    }

    #[test]
    fn openssl_errors_are_shortened() {
        let out = Captured {
            status: Some(ExitStatus::from_raw(0)),
            stdout: "ACCEPT\nERROR\n".to_owned(),
            stderr: "verify return:1\n4080BAE4167F0000:error:0A000412:SSL routines:\
                     dtls1_read_bytes:sslv3 alert bad certificate:../ssl/record/rec_layer_d1.c:\
                     619:SSL alert number 42\n"
                .to_owned(),
        };
        assert_eq!(
            last_error(&out),
            "dtls1_read_bytes:sslv3 alert bad certificate"
        );
    }

    #[test]
    fn the_refusal_case() {
        let server = captured(0, "ACCEPT\nERROR\n");
        let refused = captured(1, "ERROR peer certificate fingerprint mismatch\n");
        assert!(refusal_verdict(&refused, &server).is_ok());
        let other = captured(1, "ERROR timeout\n");
        assert!(refusal_verdict(&other, &server).is_err());
        let accepted = captured(0, &ours_stdout("SRTP_AEAD_AES_128_GCM", "00", "x"));
        assert!(refusal_verdict(&accepted, &server).is_err());
    }

    #[test]
    fn traces_and_sockets() {
        // s_client 3.0.19's -msg log of a handshake with a cookie exchange (abridged).
        let msgs = ">>> Not TLS data or unknown version (version=65277, content_type=22) \
                    [length 00c0]\n    01 00 00 b4 00 00 00 00 00 00 00 b4 fe fd 5b 16\n\
                    <<< Not TLS data or unknown version (version=0, content_type=256) \
                    [length 000d]\n    16 fe ff 00 00 00 00 00 00 00 00 00 23\n\
                    <<< Not TLS data or unknown version (version=65277, content_type=22) \
                    [length 0023]\n    03 00 00 17 00 00 00 00 00 00 00 17 fe ff 14 91\n\
                    <<< Not TLS data or unknown version (version=65277, content_type=22) \
                    [length 0049]\n    02 00 00 3d 00 01 00 00 00 00 00 3d fe fd 8a bd\n";
        assert_eq!(hello_verify_requests(msgs, "<<<"), 1);
        assert_eq!(hello_verify_requests(msgs, ">>>"), 0);
        assert_eq!(server_key_exchange_group(msgs), None);
        let sent = ">>> Not TLS data or unknown version (version=65277, content_type=22) \
                    [length 009c]\n    0c 00 00 90 00 03 00 00 00 00 00 90 03 00 17 41\n";
        assert_eq!(server_key_exchange_group(sent), Some(0x0017));

        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when \
                     retrnsmt   uid  timeout inode ref pointer drops\n\
                     1234: 0100007F:AD9C 00000000:0000 07 00000000:00000000 00:00000000 \
                     00000000     0        0 1 2 0000000000000000 0\n";
        assert!(udp_table_has(table, 0xAD9C));
        assert!(!udp_table_has(table, 4433));
    }

    #[test]
    fn cases_are_consistent() {
        let cases = cases();
        assert_eq!(cases.len(), 10);
        for case in &cases {
            assert!(!case.srtp.is_empty());
            assert!(
                case.srtp.iter().all(|p| export_len(p).is_some()),
                "{}",
                case.name()
            );
        }
        // Ports stay apart.
        assert!(OPENSSL_PORT + u16::try_from(cases.len()).unwrap() < OUR_PORT);
        assert!(
            util::repo_root()
                .join("interop/dtls/openssl_peer.py")
                .is_file()
        );
    }
}
