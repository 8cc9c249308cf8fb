//! A STUN client on a UDP socket, driving [`rtc_stun::StunClient`].
//!
//! ```text
//! cargo run -p rtc-stun --example stun_client -- 127.0.0.1:3478
//! mapped address: 127.0.0.1:40312
//! ```
//!
//! With `--long-term USER:PASSWORD [--realm REALM]` it proves long-term credentials against a
//! TURN server instead (RFC 8489 §9.2): an Allocate request is challenged with 401, repeated with
//! USERNAME, REALM, NONCE and MESSAGE-INTEGRITY, and the success response's MESSAGE-INTEGRITY is
//! verified with the same key; the allocation is then released with a Refresh of lifetime 0.
#![allow(clippy::disallowed_methods)] // an example owns its clock

use std::net::{SocketAddr, UdpSocket};
use std::time::Instant;

use rtc_stun::{
    Attribute, Class, ClientEvent, IntegrityKey, Message, MessageBuilder, Method,
    PasswordAlgorithmId, StunClient, TransactionId, Transport,
};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut server, mut long_term, mut realm) = (None, None, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--long-term" => long_term = args.next(),
            "--realm" => realm = args.next(),
            _ => server = Some(arg),
        }
    }
    let server: SocketAddr = server
        .as_deref()
        .unwrap_or("127.0.0.1:3478")
        .parse()
        .map_err(|e| format!("server address: {e}"))?;
    let bind = if server.is_ipv4() {
        "0.0.0.0:0"
    } else {
        "[::]:0"
    };
    let socket = UdpSocket::bind(bind)?;
    let mut client = StunClient::default();

    let Some(credentials) = long_term else {
        let mut buf = [0u8; 64];
        let request =
            MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, random_tid()?)?
                .add_fingerprint()?
                .len();
        let response = transact(&socket, &mut client, server, &buf[..request])?;
        let response = Message::parse(&response)?;
        let mapped = response
            .mapped_address()
            .ok_or("response has no (XOR-)MAPPED-ADDRESS")?;
        println!("mapped address: {mapped}");
        return Ok(());
    };

    let (username, password) = credentials
        .split_once(':')
        .ok_or("--long-term takes USER:PASSWORD")?;
    let mut buf = [0u8; 512];
    let mut b = MessageBuilder::new(&mut buf, Class::Request, Method::ALLOCATE, random_tid()?)?;
    b.add(&Attribute::RequestedTransport(17))?;
    let len = b.finish().len();
    let challenge = transact(&socket, &mut client, server, &buf[..len])?;
    let challenge = Message::parse(&challenge)?;
    let code = challenge.error_code().map(|e| e.code);
    if code != Some(401) {
        return Err(format!("expected a 401 challenge, got {code:?}").into());
    }
    let server_realm = challenge.realm().ok_or("401 without REALM")?;
    let nonce = challenge.nonce().ok_or("401 without NONCE")?;
    if let Some(expected) = &realm {
        if expected != server_realm {
            return Err(format!("server realm {server_realm:?}, expected {expected:?}").into());
        }
    }
    let key = IntegrityKey::long_term(username, server_realm, password, PasswordAlgorithmId::MD5)
        .ok_or("MD5 is supported")?;

    let mut b = MessageBuilder::new(&mut buf, Class::Request, Method::ALLOCATE, random_tid()?)?;
    b.add(&Attribute::RequestedTransport(17))?
        .add(&Attribute::Username(username))?
        .add(&Attribute::Realm(server_realm))?
        .add(&Attribute::Nonce(nonce))?
        .add_message_integrity(&key)?
        .add_fingerprint()?;
    let len = b.finish().len();
    let response = transact(&socket, &mut client, server, &buf[..len])?;
    let response = Message::parse(&response)?;
    if let Some(e) = response.error_code() {
        return Err(format!("authenticated Allocate refused: {} {}", e.code, e.reason).into());
    }
    response
        .verify_integrity(&key)
        .map_err(|e| format!("response integrity: {e}"))?;
    let relayed = match response.get(rtc_stun::AttributeType::XOR_RELAYED_ADDRESS) {
        Some(Attribute::XorRelayedAddress(a)) => a,
        _ => return Err("success response without XOR-RELAYED-ADDRESS".into()),
    };
    let mapped = response.mapped_address().ok_or("no XOR-MAPPED-ADDRESS")?;
    println!(
        "long-term credentials: ok (realm {server_realm}, relayed {relayed}, mapped {mapped}, response MESSAGE-INTEGRITY verified)"
    );

    // Release the allocation (RFC 8656 §7.2: Refresh with LIFETIME 0), authenticated too.
    let mut b = MessageBuilder::new(&mut buf, Class::Request, Method::REFRESH, random_tid()?)?;
    b.add(&Attribute::Lifetime(0))?
        .add(&Attribute::Username(username))?
        .add(&Attribute::Realm(server_realm))?
        .add(&Attribute::Nonce(nonce))?
        .add_message_integrity(&key)?;
    let len = b.finish().len();
    let refreshed = transact(&socket, &mut client, server, &buf[..len])?;
    let refreshed = Message::parse(&refreshed)?;
    if refreshed.class() == Class::Success {
        refreshed.verify_integrity(&key)?;
        println!("allocation released");
    }
    Ok(())
}

fn random_tid() -> Result<TransactionId> {
    let mut id = [0u8; 12];
    getrandom::fill(&mut id).map_err(|e| format!("getrandom: {e}"))?;
    Ok(TransactionId::new(id))
}

/// Runs one transaction to completion and returns the response's bytes.
fn transact(
    socket: &UdpSocket,
    client: &mut StunClient,
    server: SocketAddr,
    request: &[u8],
) -> Result<Vec<u8>> {
    let id = client.start(Instant::now(), server, Transport::Unreliable, request)?;
    let mut buf = [0u8; 2048];
    loop {
        while let Some(t) = client.poll_transmit() {
            socket.send_to(t.contents, t.destination)?;
        }
        if let Some(ClientEvent::TimedOut(timed_out)) = client.poll_event() {
            if timed_out == id {
                return Err(format!("no response from {server}").into());
            }
        }
        let Some(deadline) = client.poll_timeout() else {
            return Err("no transaction in flight".into());
        };
        let wait = deadline.saturating_duration_since(Instant::now());
        if wait.is_zero() {
            client.handle_timeout(Instant::now());
            continue;
        }
        socket.set_read_timeout(Some(wait))?;
        match socket.recv_from(&mut buf) {
            Ok((n, from)) => {
                let Ok(message) = Message::parse(&buf[..n]) else {
                    eprintln!("ignoring {n} bytes from {from}: not STUN");
                    continue;
                };
                if client.handle_response(Instant::now(), &message) == Ok(id) {
                    return Ok(buf[..n].to_vec());
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                client.handle_timeout(Instant::now());
            }
            Err(e) => return Err(e.into()),
        }
    }
}
