//! Feeds captured ClientHello datagrams (raw UDP payloads, one file each, in order) to a fresh
//! rtc-dtls server and describes its answer: `cargo xtask interop dtls` runs it on a
//! ClientHello it has just captured from Chromium.
//!
//! ```text
//! answer_hello FILE...
//! ```
//!
//! Prints `FLIGHT <message types>` and `SERVERHELLO version=0xfefd suite=... group=...
//! srtp=... ems=yes renegotiation_info=yes`, exit status 0 when the answer is a complete DTLS
//! 1.2 server flight; `ERROR <reason>` and status 1 otherwise.

#![allow(clippy::disallowed_methods)] // an example owns its clock

use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use rtc_dtls::message::{
    ClientHello, DTLS1_2, HandshakeFragment, HandshakeType, Record, ServerHello, ServerKeyExchange,
    UseSrtp, extension,
};
use rtc_dtls::{Certificate, CipherSuite, Config, Connection, Role, SrtpProfile};

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            println!("ERROR {e}");
            ExitCode::FAILURE
        }
    }
}

/// Whole handshake messages (type, body) from datagrams, reassembled by message_seq.
fn messages(datagrams: &[Vec<u8>]) -> Result<Vec<(HandshakeType, Vec<u8>)>, String> {
    let mut out: Vec<(u16, HandshakeType, Vec<u8>)> = Vec::new();
    for d in datagrams {
        let (records, err) = Record::parse_datagram(d);
        if let Some(e) = err {
            return Err(format!("unparseable record: {e}"));
        }
        for r in records {
            let fragments = HandshakeFragment::parse_all(r.fragment).map_err(|e| e.to_string())?;
            for f in fragments {
                let at = f.fragment_offset as usize;
                let i = match out.iter().position(|m| m.0 == f.message_seq) {
                    Some(i) => i,
                    None => {
                        out.push((f.message_seq, f.msg_type, vec![0; f.length as usize]));
                        out.len() - 1
                    }
                };
                out[i].2[at..at + f.fragment.len()].copy_from_slice(f.fragment);
            }
        }
    }
    out.sort_by_key(|m| m.0);
    Ok(out.into_iter().map(|(_, t, b)| (t, b)).collect())
}

fn run() -> Result<(), String> {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        return Err("usage: answer_hello FILE...".into());
    }
    let datagrams: Vec<Vec<u8>> = files
        .iter()
        .map(|f| std::fs::read(f).map_err(|e| format!("{f}: {e}")))
        .collect::<Result<_, _>>()?;
    let hello = messages(&datagrams)?;
    let [(HandshakeType::ClientHello, body)] = hello.as_slice() else {
        return Err("the files do not hold exactly one ClientHello".into());
    };
    let ch = ClientHello::parse(body).map_err(|e| format!("ClientHello: {e}"))?;
    println!(
        "CLIENTHELLO {} bytes in {} datagram(s), {} suites, {} extensions",
        body.len(),
        datagrams.len(),
        ch.cipher_suites.len(),
        ch.extensions.len()
    );

    let config = Config::new(Certificate::generate().map_err(|e| e.to_string())?)
        .map_err(|e| e.to_string())?;
    let now = Instant::now();
    let mut server =
        Connection::new(Arc::new(config), Role::Server, now).map_err(|e| e.to_string())?;
    for d in &datagrams {
        server
            .handle_datagram(now, d)
            .map_err(|e| format!("our server refused the hello: {e}"))?;
    }
    let answer: Vec<Vec<u8>> = std::iter::from_fn(|| server.poll_transmit()).collect();
    let flight = messages(&answer)?;
    let types: Vec<&str> = flight.iter().map(|(t, _)| t.name()).collect();
    println!(
        "FLIGHT {} in {} datagram(s) of at most {} bytes",
        types.join(", "),
        answer.len(),
        answer.iter().map(Vec::len).max().unwrap_or(0)
    );
    let expected = [
        HandshakeType::ServerHello,
        HandshakeType::Certificate,
        HandshakeType::ServerKeyExchange,
        HandshakeType::CertificateRequest,
        HandshakeType::ServerHelloDone,
    ];
    if flight.iter().map(|(t, _)| *t).ne(expected) {
        return Err(format!("not a full server flight: {}", types.join(", ")));
    }
    let sh = ServerHello::parse(&flight[0].1).map_err(|e| format!("our ServerHello: {e}"))?;
    let suite = CipherSuite::from_id(sh.cipher_suite).ok_or("unknown suite")?;
    let ske = ServerKeyExchange::parse(&flight[2].1).map_err(|e| e.to_string())?;
    let group = match ske.group {
        29 => "x25519",
        23 => "secp256r1",
        _ => "other",
    };
    let srtp = sh
        .extension(extension::USE_SRTP)
        .and_then(|d| UseSrtp::parse(d).ok())
        .and_then(|u| u.profiles.first().copied())
        .and_then(SrtpProfile::from_id)
        .map_or("none", SrtpProfile::name);
    let yes = |b: bool| if b { "yes" } else { "no" };
    println!(
        "SERVERHELLO version={:#06x} suite={} group={group} srtp={srtp} ems={} renegotiation_info={}",
        sh.version,
        suite.name(),
        yes(sh.extension(extension::EXTENDED_MASTER_SECRET).is_some()),
        yes(sh.extension(extension::RENEGOTIATION_INFO).is_some()),
    );
    if sh.version != DTLS1_2 {
        return Err(format!(
            "answered version {:#06x}, not DTLS 1.2",
            sh.version
        ));
    }
    if ch.extension(extension::SUPPORTED_VERSIONS).is_some() {
        println!("NOTE the hello offered DTLS 1.3 (supported_versions); answered 1.2");
    }
    Ok(())
}
