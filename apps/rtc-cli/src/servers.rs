//! The STUN and TURN servers of `rtc serve`: tokio UDP sockets around the sans-IO cores
//! ([`rtc_stun::BindingServer`], [`rtc_turn::TurnServer`]).
//!
//! The TURN server speaks UDP to clients (RFC 8656 §3.1; no TCP/TLS here, the `rtc-turn`
//! example server has those). One task owns the core and the listening socket; each relayed
//! address has a socket whose reader task hands datagrams to the owner.

use std::collections::HashMap;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::ops::RangeInclusive;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use rtc_stun::{BindingServer, ServerConfig as StunConfig};
use rtc_turn::server::Credentials;
use rtc_turn::{FiveTuple, ServerConfig as TurnConfig, ServerEvent, Transport, TurnServer};
use tokio::net::UdpSocket;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

/// Datagrams from peers to relayed addresses, queued for the owner at most.
const RELAYED_QUEUE: usize = 4096;

/// A server task; dropping the handle stops it.
#[derive(Debug)]
pub struct ServerTask {
    /// The address it listens on.
    pub local_addr: SocketAddr,
    task: JoinHandle<()>,
}

impl Drop for ServerTask {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Binds a STUN Binding server (RFC 8489 §12) on `addr`.
pub async fn start_stun(addr: SocketAddr) -> io::Result<ServerTask> {
    let socket = UdpSocket::bind(addr).await?;
    let local_addr = socket.local_addr()?;
    let task = tokio::spawn(async move {
        let mut server = BindingServer::new(StunConfig {
            software: Some(concat!("rtc ", env!("CARGO_PKG_VERSION")).to_owned()),
            always_fingerprint: false,
        });
        let mut buf = vec![0u8; 2048];
        loop {
            let (n, from) = match socket.recv_from(&mut buf).await {
                Ok(r) => r,
                // An ICMP error from an earlier send (Linux reports them on the next call).
                Err(e) => {
                    debug!("stun: {e}");
                    continue;
                }
            };
            if let Err(e) = server.handle_input(from, &buf[..n]) {
                debug!("stun: dropped {n} bytes from {from}: {e}");
            }
            while let Some(t) = server.poll_transmit() {
                let _ = socket.try_send_to(t.contents, t.destination);
            }
        }
    });
    info!("STUN server on {local_addr} (UDP)");
    Ok(ServerTask { local_addr, task })
}

/// What the TURN server runs with.
#[derive(Debug, Clone)]
pub struct TurnOptions {
    /// Where clients talk to it (UDP).
    pub listen: SocketAddr,
    /// The address relayed transport addresses use.
    pub relay_ip: IpAddr,
    /// Their ports.
    pub relay_ports: RangeInclusive<u16>,
    /// Long-term credentials (RFC 8489 §9.2): user and password.
    pub users: Vec<(String, String)>,
    /// REALM.
    pub realm: String,
    /// Relay to loopback peers (needed when everything runs on one machine).
    pub allow_loopback_peers: bool,
    /// Relay to private addresses (needed on a LAN).
    pub allow_private_peers: bool,
}

/// Binds a TURN server (RFC 8656, UDP) and runs it in a task.
pub async fn start_turn(options: TurnOptions) -> io::Result<ServerTask> {
    let socket = Arc::new(UdpSocket::bind(options.listen).await?);
    let local_addr = socket.local_addr()?;
    let mut config = TurnConfig {
        realm: options.realm.clone(),
        software: Some(concat!("rtc ", env!("CARGO_PKG_VERSION")).to_owned()),
        credentials: Credentials::default(),
        relay_ip: options.relay_ip,
        relay_ports: options.relay_ports.clone(),
        allow_loopback_peers: options.allow_loopback_peers,
        allow_private_peers: options.allow_private_peers,
        ..TurnConfig::default()
    };
    for (user, password) in &options.users {
        config
            .credentials
            .users
            .insert(user.clone(), password.clone());
    }
    let mut secret = [0u8; 16];
    getrandom::fill(&mut secret).map_err(|e| io::Error::other(format!("getrandom: {e}")))?;
    let mut server = TurnServer::new(config, secret);
    let unix = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    server.set_unix_time(Instant::now(), unix);
    let task = tokio::spawn(run_turn(server, socket, local_addr));
    info!(
        "TURN server on {local_addr} (UDP), relaying from {} ports {}-{}",
        options.relay_ip,
        options.relay_ports.start(),
        options.relay_ports.end()
    );
    Ok(ServerTask { local_addr, task })
}

struct Relay {
    socket: Arc<UdpSocket>,
    reader: JoinHandle<()>,
}

impl Drop for Relay {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

async fn run_turn(mut server: TurnServer, socket: Arc<UdpSocket>, local_addr: SocketAddr) {
    let (relayed_tx, mut relayed) =
        mpsc::channel::<(SocketAddr, SocketAddr, Vec<u8>)>(RELAYED_QUEUE);
    let mut relays: HashMap<SocketAddr, Relay> = HashMap::new();
    let mut buf = vec![0u8; 65_536];
    loop {
        let timeout = server.poll_timeout();
        let sleep = async {
            match timeout {
                Some(t) => tokio::time::sleep_until(t.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            received = socket.recv_from(&mut buf) => match received {
                Ok((n, from)) => {
                    let tuple = FiveTuple { client: from, server: local_addr, transport: Transport::Udp };
                    if let Err(e) = server.handle_client(Instant::now(), tuple, &buf[..n]) {
                        debug!("turn: dropped {n} bytes from {from}: {e}");
                    }
                }
                Err(e) => debug!("turn: {e}"),
            },
            Some((relay, peer, data)) = relayed.recv() => {
                let _ = server.handle_peer(Instant::now(), relay, peer, &data);
            }
            () = sleep => server.handle_timeout(Instant::now()),
        }
        while let Some(event) = server.poll_event() {
            match event {
                ServerEvent::RelayOpened(addr) => match UdpSocket::bind(addr).await {
                    Ok(relay) => {
                        let relay = Arc::new(relay);
                        let reader =
                            tokio::spawn(read_relay(relay.clone(), addr, relayed_tx.clone()));
                        relays.insert(
                            addr,
                            Relay {
                                socket: relay,
                                reader,
                            },
                        );
                    }
                    Err(e) => {
                        warn!("turn: cannot bind relay {addr}: {e}");
                        server.relay_failed(addr);
                    }
                },
                ServerEvent::RelayClosed(addr) => {
                    relays.remove(&addr);
                }
            }
        }
        // UDP: what the socket cannot take now is lost, as on the wire.
        while let Some(t) = server.poll_transmit() {
            let sent = match relays.get(&t.source) {
                Some(relay) => relay.socket.try_send_to(t.contents, t.destination),
                None => socket.try_send_to(t.contents, t.destination),
            };
            if let Err(e) = sent {
                debug!("turn: send to {}: {e}", t.destination);
            }
        }
    }
}

async fn read_relay(
    socket: Arc<UdpSocket>,
    addr: SocketAddr,
    to_server: mpsc::Sender<(SocketAddr, SocketAddr, Vec<u8>)>,
) {
    let mut buf = vec![0u8; 65_536];
    loop {
        match socket.recv_from(&mut buf).await {
            Ok((n, peer)) => {
                if to_server
                    .send((addr, peer, buf[..n].to_vec()))
                    .await
                    .is_err()
                {
                    return;
                }
            }
            Err(e) => debug!("turn relay {addr}: {e}"),
        }
    }
}
