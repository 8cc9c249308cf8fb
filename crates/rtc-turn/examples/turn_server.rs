//! A TURN server on UDP and TCP, driving [`rtc_turn::TurnServer`]: one thread polls (mio) the
//! UDP socket and every relay socket and owns the server core, so a relayed datagram costs
//! two system calls and no thread hop; TCP and TLS connections have reader threads that hand
//! frames to the loop through a channel and wake it.
//!
//! ```text
//! cargo run -p rtc-turn --example turn_server -- --listen 127.0.0.1:3478 --user test:secret \
//!     --realm interop.test --relay-ip 127.0.0.1 --ports 49160-49200 --allow-loopback-peers
//! ```
//!
//! Options: `--listen ADDR` (UDP and TCP), `--tls ADDR` (TLS over TCP, with a self-signed
//! certificate made at start-up), `--user USER:PASSWORD` (repeatable),
//! `--secret SECRET` (REST API credentials), `--realm REALM`, `--relay-ip IP`, `--ports LO-HI`,
//! `--allow-loopback-peers`, `--allow-private-peers`, `--max-allocations N`, `--user-quota N`
//! (allocations per user, 10 by default).
#![allow(clippy::disallowed_methods)] // the driver owns the clock

use std::collections::HashMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::mpsc::{self, Receiver, Sender};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use mio::net::UdpSocket;
use mio::{Events, Interest, Poll, Token, Waker};

use rtc_turn::server::Credentials;
use rtc_turn::{FiveTuple, ServerConfig, ServerEvent, Transport, TurnServer, frame_len};

type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

/// What the socket threads hand the loop that owns the server.
enum Input {
    Client(FiveTuple, Vec<u8>),
    TcpOpened(SocketAddr, TcpStream),
    TlsOpened(SocketAddr, Sender<Vec<u8>>),
    TcpClosed(FiveTuple),
}

struct Args {
    listen: SocketAddr,
    tls: Option<SocketAddr>,
    config: ServerConfig,
}

fn parse_args() -> Result<Args> {
    let mut listen: SocketAddr = "127.0.0.1:3478".parse()?;
    let mut tls = None;
    let mut config = ServerConfig {
        software: Some(concat!("rtc-turn ", env!("CARGO_PKG_VERSION")).to_owned()),
        credentials: Credentials::default(),
        ..ServerConfig::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("{arg} needs a value"));
        match arg.as_str() {
            "--listen" => listen = value()?.parse()?,
            "--tls" => tls = Some(value()?.parse()?),
            "--user" => {
                let v = value()?;
                let (u, p) = v.split_once(':').ok_or("--user takes USER:PASSWORD")?;
                config.credentials.users.insert(u.to_owned(), p.to_owned());
            }
            "--secret" => config.credentials.shared_secret = Some(value()?.into_bytes()),
            "--realm" => config.realm = value()?,
            "--relay-ip" => config.relay_ip = value()?.parse()?,
            "--ports" => {
                let v = value()?;
                let (lo, hi) = v.split_once('-').ok_or("--ports takes LO-HI")?;
                config.relay_ports = lo.parse()?..=hi.parse()?;
            }
            "--max-allocations" => config.max_allocations = value()?.parse()?,
            "--user-quota" => config.max_allocations_per_user = value()?.parse()?,
            "--allow-loopback-peers" => config.allow_loopback_peers = true,
            "--allow-private-peers" => config.allow_private_peers = true,
            other => return Err(format!("unknown option {other}").into()),
        }
    }
    Ok(Args {
        listen,
        tls,
        config,
    })
}

/// The loop's channel: a sender that wakes the poll after each message.
#[derive(Clone)]
struct Tx {
    tx: Sender<Input>,
    waker: Arc<Waker>,
}

impl Tx {
    fn send(&self, input: Input) -> std::result::Result<(), ()> {
        self.tx.send(input).map_err(|_| ())?;
        self.waker.wake().map_err(|_| ())
    }
}

fn spawn_tcp(listener: TcpListener, tx: Tx) {
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (Ok(client), Ok(server)) = (stream.peer_addr(), stream.local_addr()) else {
                continue;
            };
            let tuple = FiveTuple {
                client,
                server,
                transport: Transport::Tcp,
            };
            let Ok(writer) = stream.try_clone() else {
                continue;
            };
            if tx.send(Input::TcpOpened(client, writer)).is_err() {
                return;
            }
            let tx = tx.clone();
            thread::spawn(move || read_tcp(stream, tuple, tx));
        }
    });
}

/// Moves the complete STUN and ChannelData frames (RFC 8656 §12.5) out of `pending` to the
/// loop; false when the stream holds something else and must be closed.
fn forward_frames(pending: &mut Vec<u8>, tuple: FiveTuple, tx: &Tx) -> bool {
    loop {
        match frame_len(pending) {
            Ok(Some(len)) => {
                let frame: Vec<u8> = pending.drain(..len).collect();
                if tx.send(Input::Client(tuple, frame)).is_err() {
                    return false;
                }
            }
            Ok(None) => return true,
            Err(_) => return false,
        }
    }
}

fn read_tcp(mut stream: TcpStream, tuple: FiveTuple, tx: Tx) {
    let mut pending = Vec::new();
    let mut buf = [0u8; 16_384];
    while let Ok(n) = stream.read(&mut buf) {
        if n == 0 {
            break;
        }
        pending.extend_from_slice(&buf[..n]);
        if !forward_frames(&mut pending, tuple, &tx) {
            break;
        }
    }
    let _ = tx.send(Input::TcpClosed(tuple));
}

/// TLS over TCP: one thread per connection owns the TLS session, reading frames for the loop
/// and writing what the loop hands it.
fn spawn_tls(listener: TcpListener, config: Arc<rustls::ServerConfig>, tx: Tx) {
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let (Ok(client), Ok(server)) = (stream.peer_addr(), stream.local_addr()) else {
                continue;
            };
            let Ok(connection) = rustls::ServerConnection::new(config.clone()) else {
                continue;
            };
            let tuple = FiveTuple {
                client,
                server,
                transport: Transport::Tcp,
            };
            let (out_tx, out_rx) = mpsc::channel::<Vec<u8>>();
            if tx.send(Input::TlsOpened(client, out_tx)).is_err() {
                return;
            }
            let tx = tx.clone();
            thread::spawn(move || {
                let _ = stream.set_read_timeout(Some(Duration::from_millis(5)));
                let mut tls = rustls::StreamOwned::new(connection, stream);
                let mut pending = Vec::new();
                let mut buf = [0u8; 16_384];
                loop {
                    match tls.read(&mut buf) {
                        Ok(0) => break,
                        Ok(n) => {
                            pending.extend_from_slice(&buf[..n]);
                            if !forward_frames(&mut pending, tuple, &tx) {
                                break;
                            }
                        }
                        Err(e)
                            if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                        Err(_) => break,
                    }
                    while let Ok(frame) = out_rx.try_recv() {
                        if tls.write_all(&frame).is_err() {
                            let _ = tx.send(Input::TcpClosed(tuple));
                            return;
                        }
                    }
                }
                let _ = tx.send(Input::TcpClosed(tuple));
            });
        }
    });
}

/// A rustls server configuration with a self-signed certificate for `name`.
fn tls_config(name: &str) -> Result<Arc<rustls::ServerConfig>> {
    let certified = rcgen::generate_simple_self_signed(vec![name.to_owned()])?;
    let cert = certified.cert.der().clone();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(certified.key_pair.serialize_der().into());
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()?
    .with_no_client_auth()
    .with_single_cert(vec![cert], key)?;
    Ok(Arc::new(config))
}

const UDP: Token = Token(0);
const WAKE: Token = Token(1);
/// Relay sockets get tokens from here on.
const FIRST_RELAY: usize = 2;

fn run(args: Args) -> Result<()> {
    let Args {
        listen,
        tls,
        config,
    } = args;
    let mut poll = Poll::new()?;
    let mut udp = UdpSocket::bind(listen)?;
    poll.registry()
        .register(&mut udp, UDP, Interest::READABLE)?;
    let waker = Arc::new(Waker::new(poll.registry(), WAKE)?);
    let tcp = TcpListener::bind(listen)?;
    let (tx, rx): (Sender<Input>, Receiver<Input>) = mpsc::channel();
    let tx = Tx { tx, waker };
    spawn_tcp(tcp, tx.clone());
    if let Some(tls) = tls {
        spawn_tls(
            TcpListener::bind(tls)?,
            tls_config("localhost")?,
            tx.clone(),
        );
        println!("TLS on {tls}");
    }

    let mut secret = [0u8; 16];
    getrandom::fill(&mut secret).map_err(|e| format!("getrandom: {e}"))?;
    let mut server = TurnServer::new(config, secret);
    let unix = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    server.set_unix_time(Instant::now(), unix);
    println!("listening on {listen} (UDP and TCP)");

    let verbose = std::env::var_os("TURN_VERBOSE").is_some();
    let mut relays: HashMap<SocketAddr, (Token, UdpSocket)> = HashMap::new();
    let mut relay_tokens: HashMap<Token, SocketAddr> = HashMap::new();
    let mut next_token = FIRST_RELAY;
    let mut tcp_clients: HashMap<SocketAddr, TcpStream> = HashMap::new();
    let mut tls_clients: HashMap<SocketAddr, Sender<Vec<u8>>> = HashMap::new();
    let mut events = Events::with_capacity(256);
    let mut buf = vec![0u8; 65_536];
    loop {
        let wait = server
            .poll_timeout()
            .map(|t| t.saturating_duration_since(Instant::now()))
            .unwrap_or(Duration::from_secs(1));
        if let Err(e) = poll.poll(&mut events, Some(wait)) {
            if e.kind() != ErrorKind::Interrupted {
                return Err(e.into());
            }
        }
        let now = Instant::now();
        for event in &events {
            match event.token() {
                UDP => {
                    let server_addr = udp.local_addr()?;
                    // mio is edge-triggered: read until the socket would block.
                    while let Ok((n, from)) = udp.recv_from(&mut buf) {
                        let tuple = FiveTuple {
                            client: from,
                            server: server_addr,
                            transport: Transport::Udp,
                        };
                        if verbose {
                            match rtc_stun::Message::parse(&buf[..n]) {
                                Ok(m) => println!("{from} -> {m:?}"),
                                Err(_) => println!("{from} -> {n} bytes"),
                            }
                        }
                        if let Err(e) = server.handle_client(now, tuple, &buf[..n]) {
                            eprintln!("{from}: dropped: {e}");
                        }
                        flush(&mut server, &udp, &relays, &mut tcp_clients, &tls_clients);
                    }
                }
                WAKE => {
                    while let Ok(input) = rx.try_recv() {
                        match input {
                            Input::Client(tuple, data) => {
                                if let Err(e) = server.handle_client(now, tuple, &data) {
                                    eprintln!("{}: dropped: {e}", tuple.client);
                                }
                            }
                            Input::TcpOpened(client, stream) => {
                                tcp_clients.insert(client, stream);
                            }
                            Input::TlsOpened(client, writer) => {
                                tls_clients.insert(client, writer);
                            }
                            Input::TcpClosed(tuple) => {
                                tcp_clients.remove(&tuple.client);
                                tls_clients.remove(&tuple.client);
                                server.connection_closed(tuple);
                            }
                        }
                    }
                }
                token => {
                    let Some(&relay) = relay_tokens.get(&token) else {
                        continue;
                    };
                    while let Some(Ok((n, peer))) = relays
                        .get(&relay)
                        .map(|(_, socket)| socket.recv_from(&mut buf))
                    {
                        let _ = server.handle_peer(now, relay, peer, &buf[..n]);
                        flush(&mut server, &udp, &relays, &mut tcp_clients, &tls_clients);
                    }
                }
            }
        }
        if server.poll_timeout().is_some_and(|t| t <= now) {
            server.handle_timeout(now);
        }
        while let Some(event) = server.poll_event() {
            match event {
                ServerEvent::RelayOpened(addr) => match UdpSocket::bind(addr) {
                    Ok(mut socket) => {
                        let token = Token(next_token);
                        next_token += 1;
                        if poll
                            .registry()
                            .register(&mut socket, token, Interest::READABLE)
                            .is_ok()
                        {
                            relay_tokens.insert(token, addr);
                            relays.insert(addr, (token, socket));
                        } else {
                            server.relay_failed(addr);
                        }
                    }
                    Err(e) => {
                        eprintln!("cannot bind relay {addr}: {e}");
                        server.relay_failed(addr);
                    }
                },
                ServerEvent::RelayClosed(addr) => {
                    if let Some((token, mut socket)) = relays.remove(&addr) {
                        let _ = poll.registry().deregister(&mut socket);
                        relay_tokens.remove(&token);
                    }
                }
            }
        }
        flush(&mut server, &udp, &relays, &mut tcp_clients, &tls_clients);
    }
}

/// Sends what the server has queued.
fn flush(
    server: &mut TurnServer,
    udp: &UdpSocket,
    relays: &HashMap<SocketAddr, (Token, UdpSocket)>,
    tcp_clients: &mut HashMap<SocketAddr, TcpStream>,
    tls_clients: &HashMap<SocketAddr, Sender<Vec<u8>>>,
) {
    while let Some(t) = server.poll_transmit() {
        let sent = match (t.transport, relays.get(&t.source)) {
            (_, Some((_, relay))) => relay.send_to(t.contents, t.destination).map(|_| ()),
            (Transport::Udp, None) => udp.send_to(t.contents, t.destination).map(|_| ()),
            (Transport::Tcp, None) => match tcp_clients.get_mut(&t.destination) {
                Some(stream) => stream.write_all(t.contents),
                None => {
                    if let Some(writer) = tls_clients.get(&t.destination) {
                        let _ = writer.send(t.contents.to_vec());
                    }
                    Ok(())
                }
            },
        };
        if let Err(e) = sent {
            eprintln!("send to {} failed: {e}", t.destination);
        }
    }
}

fn main() -> Result<()> {
    run(parse_args()?)
}
