//! A DTLS 1.2 peer over UDP: the program `cargo xtask interop dtls` runs against OpenSSL.
//!
//! ```text
//! dtls_peer --role client --connect 127.0.0.1:PORT | --role server --listen 127.0.0.1:PORT
//!           [--suite aes128gcm|aes256gcm|chacha20] [--group x25519|p256] [--srtp]
//!           [--cookie] [--cert-out PATH] [--peer-fingerprint AB:CD:...] [--message TEXT]
//! ```
//!
//! Prints `CIPHER <IANA name>`, `SRTP <profile>` and `EXPORT <hex>` (RFC 5705
//! "EXTRACTOR-dtls_srtp", the profile's length) once connected, `RECV <text>` per message,
//! then `DONE`; on failure `ERROR <reason>` and exit status 1. A client sends its message,
//! waits for one from the server, then closes; a server sends its message once connected and
//! runs until the peer's close_notify (10 s at most).

#![allow(clippy::disallowed_methods)] // an example owns its clock

use std::net::{SocketAddr, UdpSocket};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtc_dtls::{
    Certificate, CipherSuite, Config, Connection, Event, Fingerprint, FingerprintAlgorithm,
    KeyExchangeGroup, Role, SrtpProfile,
};

struct Args {
    role: Role,
    addr: SocketAddr,
    suite: Option<CipherSuite>,
    group: Option<KeyExchangeGroup>,
    srtp: bool,
    cookie: bool,
    cert_out: Option<String>,
    peer_fingerprint: Option<String>,
    message: String,
}

fn parse_args() -> Result<Args, String> {
    let mut role = None;
    let mut addr = None;
    let mut args = Args {
        role: Role::Client,
        addr: "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?,
        suite: None,
        group: None,
        srtp: false,
        cookie: false,
        cert_out: None,
        peer_fingerprint: None,
        message: "hello from rtc-dtls".into(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--role" => {
                role = Some(match value()?.as_str() {
                    "client" => Role::Client,
                    "server" => Role::Server,
                    other => return Err(format!("unknown role {other}")),
                })
            }
            "--connect" | "--listen" => {
                addr = Some(value()?.parse().map_err(|e| format!("{arg}: {e}"))?)
            }
            "--suite" => {
                args.suite = Some(match value()?.as_str() {
                    "aes128gcm" => CipherSuite::EcdheEcdsaAes128GcmSha256,
                    "aes256gcm" => CipherSuite::EcdheEcdsaAes256GcmSha384,
                    "chacha20" => CipherSuite::EcdheEcdsaChacha20Poly1305Sha256,
                    other => return Err(format!("unknown suite {other}")),
                })
            }
            "--group" => {
                args.group = Some(match value()?.as_str() {
                    "x25519" => KeyExchangeGroup::X25519,
                    "p256" => KeyExchangeGroup::Secp256r1,
                    other => return Err(format!("unknown group {other}")),
                })
            }
            "--srtp" => args.srtp = true,
            "--cookie" => args.cookie = true,
            "--cert-out" => args.cert_out = Some(value()?),
            "--peer-fingerprint" => args.peer_fingerprint = Some(value()?),
            "--message" => args.message = value()?,
            other => return Err(format!("unknown argument {other}")),
        }
    }
    args.role = role.ok_or("--role is required")?;
    args.addr = addr.ok_or("--connect or --listen is required")?;
    Ok(args)
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => {
            println!("DONE");
            ExitCode::SUCCESS
        }
        Err(e) => {
            println!("ERROR {e}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let certificate = Certificate::generate().map_err(|e| e.to_string())?;
    if let Some(path) = &args.cert_out {
        std::fs::write(path, certificate.pem()).map_err(|e| format!("{path}: {e}"))?;
    }
    let mut config = Config::new(certificate).map_err(|e| e.to_string())?;
    if let Some(suite) = args.suite {
        config.cipher_suites = vec![suite];
    }
    if let Some(group) = args.group {
        config.groups = vec![group];
    }
    if !args.srtp {
        config.srtp_profiles.clear();
    } else {
        config.srtp_profiles = SrtpProfile::ALL.to_vec();
    }
    config.cookie_exchange = args.cookie;
    config.initial_retransmit_timeout = Duration::from_millis(500);

    let (socket, mut peer) = match args.role {
        Role::Client => {
            let s = UdpSocket::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
            (s, Some(args.addr))
        }
        Role::Server => (
            UdpSocket::bind(args.addr).map_err(|e| format!("bind {}: {e}", args.addr))?,
            None,
        ),
    };
    let start = Instant::now();
    let mut conn =
        Connection::new(Arc::new(config), args.role, start).map_err(|e| e.to_string())?;
    if let Some(fp) = &args.peer_fingerprint {
        let fp = if fp.contains(' ') {
            Fingerprint::parse(fp)
        } else {
            Fingerprint::parse(&format!("{} {fp}", FingerprintAlgorithm::Sha256.name()))
        }
        .map_err(|e| e.to_string())?;
        conn.set_remote_fingerprints(vec![fp])
            .map_err(|e| e.to_string())?;
    }

    let deadline = start + Duration::from_secs(10);
    let mut buf = vec![0u8; 65536];
    let mut received = 0usize;
    let mut connected = false;
    loop {
        while let Some(datagram) = conn.poll_transmit() {
            if let Some(to) = peer {
                socket.send_to(&datagram, to).map_err(|e| e.to_string())?;
            }
        }
        while let Some(event) = conn.poll_event() {
            match event {
                Event::Connected => {
                    connected = true;
                    if let Some(suite) = conn.cipher_suite() {
                        println!("CIPHER {}", suite.name());
                    }
                    if let Some(profile) = conn.srtp_profile() {
                        println!("SRTP {}", profile.name());
                        let material = conn
                            .export_keying_material(
                                "EXTRACTOR-dtls_srtp",
                                None,
                                profile.keying_material_len(),
                            )
                            .map_err(|e| e.to_string())?;
                        let hex: String = material.iter().map(|b| format!("{b:02X}")).collect();
                        println!("EXPORT {hex}");
                    }
                    conn.send(args.message.as_bytes())
                        .map_err(|e| e.to_string())?;
                }
                Event::ApplicationData(data) => {
                    println!("RECV {}", String::from_utf8_lossy(&data).trim_end());
                    received += 1;
                    if args.role == Role::Client {
                        conn.close();
                    }
                }
                Event::Closed => {
                    while let Some(datagram) = conn.poll_transmit() {
                        if let Some(to) = peer {
                            let _ = socket.send_to(&datagram, to);
                        }
                    }
                    if !connected {
                        return Err("closed before the handshake completed".into());
                    }
                    if received == 0 {
                        return Err("closed without receiving a message".into());
                    }
                    return Ok(());
                }
                Event::Failed(e) => {
                    while let Some(datagram) = conn.poll_transmit() {
                        if let Some(to) = peer {
                            let _ = socket.send_to(&datagram, to);
                        }
                    }
                    return Err(e.to_string());
                }
            }
        }
        let now = Instant::now();
        if now >= deadline {
            return Err(if connected {
                "timed out waiting for the peer".into()
            } else {
                "handshake timed out".into()
            });
        }
        let wake = conn.poll_timeout().unwrap_or(deadline).min(deadline);
        let wait = wake
            .saturating_duration_since(now)
            .max(Duration::from_millis(1));
        socket
            .set_read_timeout(Some(wait))
            .map_err(|e| e.to_string())?;
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => {
                if peer.is_none() {
                    peer = Some(from);
                }
                if peer == Some(from)
                    && let Err(e) = conn.handle_datagram(Instant::now(), &buf[..n])
                    && !e.is_fatal()
                {
                    eprintln!("dropped a datagram: {e}");
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => return Err(e.to_string()),
        }
        conn.handle_timeout(Instant::now());
    }
}
