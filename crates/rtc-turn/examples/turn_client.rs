//! A TURN client run end to end: allocate on a server, relay datagrams to a UDP echo peer this
//! program runs itself, first in Send/Data indications, then over a channel, and close.
//!
//! ```text
//! cargo run -p rtc-turn --example turn_client -- --user test:secret 127.0.0.1:3478
//! relayed 10/10 datagrams through 127.0.0.1:49160 (5 in Send/Data indications, 5 on channel 0x4000)
//! ```
//! `--tcp` talks to the server over TCP (RFC 8656 §12.5 framing), `--tls` over TLS over TCP
//! (the server's certificate is not verified: this is a test tool for self-signed servers).
#![allow(clippy::disallowed_methods)] // the driver owns the clock

use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtc_turn::client::{ClientConfig, ClientEvent, SEND_OVERHEAD};
use rtc_turn::{Transport, TurnClient, frame_len};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// The connection to the server.
enum Conn {
    Udp(UdpSocket),
    Tcp(TcpStream, Vec<u8>),
    Tls(
        Box<rustls::StreamOwned<rustls::ClientConnection, TcpStream>>,
        Vec<u8>,
    ),
}

/// Accepts any server certificate: the interop servers' certificates are self-signed.
#[derive(Debug)]
struct AcceptAnyCertificate(Arc<rustls::crypto::CryptoProvider>);

impl rustls::client::danger::ServerCertVerifier for AcceptAnyCertificate {
    fn verify_server_cert(
        &self,
        _: &rustls::pki_types::CertificateDer<'_>,
        _: &[rustls::pki_types::CertificateDer<'_>],
        _: &rustls::pki_types::ServerName<'_>,
        _: &[u8],
        _: rustls::pki_types::UnixTime,
    ) -> std::result::Result<rustls::client::danger::ServerCertVerified, rustls::Error> {
        Ok(rustls::client::danger::ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &rustls::pki_types::CertificateDer<'_>,
        dss: &rustls::DigitallySignedStruct,
    ) -> std::result::Result<rustls::client::danger::HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

fn tls_connect(server: SocketAddr) -> Result<Conn> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AcceptAnyCertificate(provider)))
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("localhost")?;
    let connection = rustls::ClientConnection::new(Arc::new(config), name)?;
    let stream = TcpStream::connect(server)?;
    Ok(Conn::Tls(
        Box::new(rustls::StreamOwned::new(connection, stream)),
        Vec::new(),
    ))
}

impl Conn {
    fn send(&mut self, bytes: &[u8], to: SocketAddr) -> Result<()> {
        match self {
            Self::Udp(s) => {
                s.send_to(bytes, to)?;
            }
            Self::Tcp(s, _) => s.write_all(bytes)?,
            Self::Tls(s, _) => s.write_all(bytes)?,
        }
        Ok(())
    }

    /// The next datagram or frame, waiting at most `wait`.
    fn recv(&mut self, wait: Duration) -> Result<Option<Vec<u8>>> {
        let wait = Some(wait.max(Duration::from_millis(1)));
        match self {
            Self::Udp(s) => {
                s.set_read_timeout(wait)?;
                let mut buf = vec![0u8; 65_536];
                match s.recv(&mut buf) {
                    Ok(n) => {
                        buf.truncate(n);
                        Ok(Some(buf))
                    }
                    Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                        Ok(None)
                    }
                    Err(e) => Err(e.into()),
                }
            }
            Self::Tcp(s, pending) => {
                s.set_read_timeout(wait)?;
                read_frame(s, pending)
            }
            Self::Tls(s, pending) => {
                s.sock.set_read_timeout(wait)?;
                read_frame(s.as_mut(), pending)
            }
        }
    }
}

/// The next STUN or ChannelData frame of a stream (RFC 8656 §12.5), if one is complete after
/// at most one read.
fn read_frame(stream: &mut impl Read, pending: &mut Vec<u8>) -> Result<Option<Vec<u8>>> {
    if let Some(len) = frame_len(pending)? {
        return Ok(Some(pending.drain(..len).collect()));
    }
    let mut buf = [0u8; 16_384];
    match stream.read(&mut buf) {
        Ok(0) => Err("server closed the connection".into()),
        Ok(n) => {
            pending.extend_from_slice(&buf[..n]);
            match frame_len(pending)? {
                Some(len) => Ok(Some(pending.drain(..len).collect())),
                None => Ok(None),
            }
        }
        Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Drives the client until `done` says so or 10 s pass; returns the data peers sent.
fn drive(
    client: &mut TurnClient,
    conn: &mut Conn,
    mut done: impl FnMut(&ClientEvent, usize) -> bool,
    received: &mut Vec<Vec<u8>>,
    want_data: usize,
) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        while let Some(t) = client.poll_transmit() {
            let (bytes, to) = (t.contents.to_vec(), t.destination);
            conn.send(&bytes, to)?;
        }
        while let Some(event) = client.poll_event() {
            if let ClientEvent::AllocationFailed(f) | ClientEvent::Failed(f) = event {
                return Err(format!("TURN failure: {f:?}").into());
            }
            if done(&event, received.len()) {
                return Ok(());
            }
        }
        if want_data > 0 && received.len() >= want_data {
            return Ok(());
        }
        let now = Instant::now();
        if now >= deadline {
            return Err("timed out".into());
        }
        let wait = client
            .poll_timeout()
            .map_or(Duration::from_millis(100), |t| {
                t.saturating_duration_since(now)
            })
            .min(Duration::from_millis(100));
        match conn.recv(wait)? {
            Some(bytes) => match client.handle_input(Instant::now(), &bytes) {
                Ok(Some(data)) => received.push(data.data.to_vec()),
                Ok(None) => {}
                Err(e) => eprintln!("ignored input: {e}"),
            },
            None => client.handle_timeout(Instant::now()),
        }
    }
}

fn main() -> Result<()> {
    let mut args = std::env::args().skip(1);
    let (mut user, mut tcp, mut tls, mut server) = (None, false, false, None);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--user" => user = args.next(),
            "--tcp" => tcp = true,
            "--tls" => tls = true,
            _ => server = Some(arg),
        }
    }
    let server: SocketAddr = server.as_deref().unwrap_or("127.0.0.1:3478").parse()?;
    let user = user.ok_or("--user USER:PASSWORD is required")?;
    let (username, password) = user.split_once(':').ok_or("--user takes USER:PASSWORD")?;

    // The peer: echoes every datagram back to where it came from (the relayed address).
    let peer_socket = UdpSocket::bind("127.0.0.1:0")?;
    let peer = peer_socket.local_addr()?;
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = peer_socket.recv_from(&mut buf) {
            let _ = peer_socket.send_to(&buf[..n], from);
        }
    });

    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).map_err(|e| format!("getrandom: {e}"))?;
    let (transport, mut conn) = if tls {
        (Transport::Tcp, tls_connect(server)?)
    } else if tcp {
        (
            Transport::Tcp,
            Conn::Tcp(TcpStream::connect(server)?, Vec::new()),
        )
    } else {
        (Transport::Udp, Conn::Udp(UdpSocket::bind("127.0.0.1:0")?))
    };
    let mut client = TurnClient::new(
        server,
        transport,
        username.to_owned(),
        password.to_owned(),
        ClientConfig::default(),
        seed,
    );
    let mut received = Vec::new();
    client.allocate(Instant::now())?;
    drive(
        &mut client,
        &mut conn,
        |e, _| matches!(e, ClientEvent::Allocated { .. }),
        &mut received,
        0,
    )?;
    let relayed = client.relayed_address().ok_or("no relayed address")?;

    client.create_permission(Instant::now(), peer.ip())?;
    drive(
        &mut client,
        &mut conn,
        |e, _| matches!(e, ClientEvent::PermissionCreated(_)),
        &mut received,
        0,
    )?;
    let mut out = vec![0u8; 1200 + SEND_OVERHEAD];
    for i in 0..5u8 {
        let n = client.send_to(Instant::now(), peer, &[i; 100], &mut out)?;
        conn.send(&out[..n], server)?;
    }
    drive(&mut client, &mut conn, |_, _| false, &mut received, 5)?;

    let channel = client.bind_channel(Instant::now(), peer)?;
    drive(
        &mut client,
        &mut conn,
        |e, _| matches!(e, ClientEvent::ChannelBound { .. }),
        &mut received,
        0,
    )?;
    for i in 5..10u8 {
        let n = client.send_to(Instant::now(), peer, &[i; 100], &mut out)?;
        conn.send(&out[..n], server)?;
    }
    drive(&mut client, &mut conn, |_, _| false, &mut received, 10)?;
    let expected: Vec<Vec<u8>> = (0..10u8).map(|i| vec![i; 100]).collect();
    let mut got = received.clone();
    got.sort();
    if got != expected {
        return Err(format!("echoes differ: got {} datagrams", received.len()).into());
    }
    println!(
        "relayed {}/10 datagrams through {relayed} (5 in Send/Data indications, 5 on channel {channel:#06x})",
        received.len()
    );
    client.close(Instant::now())?;
    drive(
        &mut client,
        &mut conn,
        |e, _| matches!(e, ClientEvent::Closed),
        &mut received,
        0,
    )?;
    println!("allocation closed");
    Ok(())
}
