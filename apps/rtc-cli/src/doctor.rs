//! `rtc doctor`: what will and will not work from this machine, after test.webrtc.org.
//!
//! It checks, each with a time limit: the signaling server (join a throwaway room); a STUN
//! Binding transaction (RFC 8489 §6.2) and the mapped address against the local one (a NAT
//! or not); a TURN allocation with the given credentials (RFC 8656 §7), a permission and a
//! datagram relayed to a local socket and back; and the candidates a peer connection
//! gathers with those servers (host, srflx, relay). Then a summary of what that means.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use rtc::{
    PeerConnectionEvent, RTCConfiguration, RTCDataChannelInit, RTCIceGatheringState, RTCIceServer,
    RTCPeerConnection,
};
use rtc_stun::{Class, ClientEvent, Message, MessageBuilder, Method, StunClient, TransactionId};
use rtc_turn::client::{ClientConfig, ClientEvent as TurnEvent, Failure};
use rtc_turn::{Transport, TurnClient};
use serde_json::json;
use tokio::net::UdpSocket;

use crate::signaling::client::SignalingClient;

/// `rtc doctor`.
#[derive(Debug, Clone)]
pub struct DoctorOptions {
    /// The signaling server's WebSocket URL; `None` skips that check.
    pub server: Option<String>,
    /// The STUN server, `HOST:PORT`.
    pub stun: Option<String>,
    /// The TURN server, `HOST:PORT` (UDP).
    pub turn: Option<String>,
    /// TURN username.
    pub user: String,
    /// TURN password.
    pub password: String,
    /// How long each check may take.
    pub timeout: Duration,
}

/// One check's outcome.
#[derive(Debug, Clone)]
pub struct Check {
    /// What was checked.
    pub name: String,
    /// Whether it worked.
    pub ok: bool,
    /// What was seen, or why it failed.
    pub detail: String,
}

/// Every check and what they mean.
#[derive(Debug, Clone, Default)]
pub struct DoctorReport {
    /// The checks, in order.
    pub checks: Vec<Check>,
    /// Local addresses (non-loopback).
    pub interfaces: Vec<IpAddr>,
    /// Candidates gathered by type: host, srflx, relay.
    pub candidates: [usize; 3],
    /// The summary lines.
    pub summary: Vec<String>,
}

impl DoctorReport {
    /// Whether every check passed.
    pub fn all_ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    /// The report as text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let interfaces: Vec<String> = self.interfaces.iter().map(ToString::to_string).collect();
        let _ = writeln!(
            out,
            "local addresses: {}",
            if interfaces.is_empty() {
                "none but loopback".to_owned()
            } else {
                interfaces.join(", ")
            }
        );
        for check in &self.checks {
            let _ = writeln!(
                out,
                "[{}] {}: {}",
                if check.ok { " ok " } else { "FAIL" },
                check.name,
                check.detail
            );
        }
        let _ = writeln!(out, "\nwhat this means:");
        for line in &self.summary {
            let _ = writeln!(out, "  - {line}");
        }
        out
    }

    fn push(&mut self, name: &str, outcome: Result<String, String>) {
        let (ok, detail) = match outcome {
            Ok(d) => (true, d),
            Err(d) => (false, d),
        };
        self.checks.push(Check {
            name: name.to_owned(),
            ok,
            detail,
        });
    }
}

/// Runs every check that has a server.
pub async fn run_doctor(options: &DoctorOptions) -> DoctorReport {
    let mut report = DoctorReport {
        interfaces: if_addrs::get_if_addrs()
            .map(|all| {
                all.into_iter()
                    .map(|i| i.ip())
                    .filter(|ip| !ip.is_loopback())
                    .collect()
            })
            .unwrap_or_default(),
        ..DoctorReport::default()
    };
    let limit = options.timeout;

    let mut signaling_ok = None;
    if let Some(url) = &options.server {
        let outcome = timed(limit, "signaling", check_signaling(url)).await;
        signaling_ok = Some(outcome.is_ok());
        report.push(&format!("signaling {url}"), outcome);
    }

    let stun = match &options.stun {
        Some(s) => Some(resolve(s).await),
        None => None,
    };
    let mut mapped = None;
    if let (Some(name), Some(addr)) = (&options.stun, &stun) {
        let outcome = match addr {
            Ok(addr) => timed(limit, "STUN", stun_binding(*addr))
                .await
                .map(|(m, local, rtt)| {
                    mapped = Some((m, local));
                    format!(
                        "mapped address {m} (local {local}), {:.1} ms",
                        rtt.as_secs_f64() * 1e3
                    )
                }),
            Err(e) => Err(e.clone()),
        };
        report.push(&format!("STUN binding {name}"), outcome);
    }

    let turn = match &options.turn {
        Some(s) => Some(resolve(s).await),
        None => None,
    };
    let mut relay_ok = false;
    if let (Some(name), Some(addr)) = (&options.turn, &turn) {
        let outcome = match addr {
            Ok(addr) => {
                timed(
                    limit,
                    "TURN",
                    turn_allocate(*addr, &options.user, &options.password),
                )
                .await
            }
            Err(e) => Err(e.clone()),
        };
        relay_ok = outcome.is_ok();
        report.push(
            &format!("TURN allocation {name} as {:?}", options.user),
            outcome,
        );
    }

    // Gathering with the servers that resolved.
    let mut ice_servers = Vec::new();
    if let Some(Ok(addr)) = &stun {
        ice_servers.push(RTCIceServer {
            urls: vec![format!("stun:{addr}")],
            ..RTCIceServer::default()
        });
    }
    if let Some(Ok(addr)) = &turn {
        ice_servers.push(RTCIceServer {
            urls: vec![format!("turn:{addr}?transport=udp")],
            username: options.user.clone(),
            credential: options.password.clone(),
        });
    }
    let loopback_servers = [&stun, &turn]
        .into_iter()
        .flatten()
        .flatten()
        .any(|a| a.ip().is_loopback());
    let gathered = gather(ice_servers, loopback_servers, limit).await;
    let outcome = gathered.and_then(|(counts, lines, complete)| {
        report.candidates = counts;
        let detail = format!(
            "{} host, {} srflx, {} relay{}{}",
            counts[0],
            counts[1],
            counts[2],
            if lines.is_empty() {
                String::new()
            } else {
                format!(" ({})", lines.join("; "))
            },
            if complete {
                String::new()
            } else {
                format!("; gathering not complete after {} s", limit.as_secs_f64())
            }
        );
        if counts[0] > 0 {
            Ok(detail)
        } else {
            Err(detail)
        }
    });
    report.push("candidate gathering", outcome);

    report.summary = summary(&report, signaling_ok, mapped, relay_ok);
    report
}

fn summary(
    report: &DoctorReport,
    signaling_ok: Option<bool>,
    mapped: Option<(SocketAddr, SocketAddr)>,
    relay_ok: bool,
) -> Vec<String> {
    let mut lines = Vec::new();
    match signaling_ok {
        Some(true) => lines.push("the signaling server works: peers can find each other".into()),
        Some(false) => lines
            .push("the signaling server cannot be used: no call can be set up through it".into()),
        None => {}
    }
    let [host, srflx, relay] = report.candidates;
    if host > 0 {
        lines.push(format!(
            "{host} host candidate(s): direct connections work with peers on the same network"
        ));
    } else {
        lines.push("no host candidate: direct connections will not work".into());
    }
    match mapped {
        Some((m, local)) if m.ip() == local.ip() => lines.push(format!(
            "no NAT between this machine and the STUN server (mapped {m} = local address)"
        )),
        Some((m, _)) => lines.push(format!(
            "behind a NAT (mapped address {m}): peers elsewhere reach this machine through \
             srflx candidates if the NAT keeps one mapping per local port (most home routers; \
             not symmetric NATs)"
        )),
        None => {}
    }
    let no_nat = mapped.is_some_and(|(m, local)| m.ip() == local.ip());
    if srflx == 0 && no_nat {
        lines.push(
            "no srflx candidate, and none needed: the STUN server sees this machine's own \
             address (a srflx equal to a host candidate is not signalled, RFC 8445 §5.1.3)"
                .into(),
        );
    } else if srflx == 0 {
        lines.push(
            "no srflx candidate: peers behind other NATs can only be reached through a relay"
                .into(),
        );
    }
    if relay > 0 && relay_ok {
        lines.push(
            "relay works: calls succeed through NATs and firewalls that let UDP reach the \
             TURN server"
                .into(),
        );
    } else {
        lines.push(
            "no relay: peers behind symmetric NATs or UDP-blocking firewalls will fail to \
             connect"
                .into(),
        );
    }
    lines
}

async fn timed<T>(
    limit: Duration,
    what: &str,
    work: impl Future<Output = Result<T, String>>,
) -> Result<T, String> {
    tokio::time::timeout(limit, work)
        .await
        .map_err(|_| format!("{what}: no result in {} s", limit.as_secs_f64()))?
}

async fn resolve(hostport: &str) -> Result<SocketAddr, String> {
    tokio::net::lookup_host(hostport)
        .await
        .map_err(|e| format!("cannot resolve {hostport}: {e}"))?
        .find(SocketAddr::is_ipv4)
        .ok_or_else(|| format!("{hostport} has no IPv4 address"))
}

async fn check_signaling(url: &str) -> Result<String, String> {
    let mut client = SignalingClient::connect(url)
        .await
        .map_err(|e| e.to_string())?;
    let room = format!("doctor-{}", std::process::id());
    let joined = client.join(&room).await.map_err(|e| e.to_string())?;
    let _ = client.send(&json!({ "type": "bye" }));
    let servers: Vec<String> = joined
        .ice_servers
        .iter()
        .flat_map(|s| s.urls.iter().cloned())
        .collect();
    Ok(format!(
        "joined room {room} as {}; ICE servers offered: {}",
        joined.id,
        if servers.is_empty() {
            "none".to_owned()
        } else {
            servers.join(", ")
        }
    ))
}

/// A socket bound to the local address that routes to `server`.
async fn socket_towards(server: SocketAddr) -> Result<UdpSocket, String> {
    let probe = UdpSocket::bind((Ipv4Addr::UNSPECIFIED, 0))
        .await
        .map_err(|e| e.to_string())?;
    probe
        .connect(server)
        .await
        .map_err(|e| format!("no route to {server}: {e}"))?;
    let local = probe.local_addr().map_err(|e| e.to_string())?.ip();
    UdpSocket::bind((local, 0))
        .await
        .map_err(|e| format!("cannot bind {local}: {e}"))
}

fn random<const N: usize>() -> Result<[u8; N], String> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| format!("getrandom: {e}"))?;
    Ok(bytes)
}

/// One Binding transaction: the mapped address, our local address, the round trip.
async fn stun_binding(server: SocketAddr) -> Result<(SocketAddr, SocketAddr, Duration), String> {
    let socket = socket_towards(server).await?;
    let local = socket.local_addr().map_err(|e| e.to_string())?;
    let mut client = StunClient::new(rtc_stun::ClientConfig {
        rto: Duration::from_millis(300),
        max_requests: 5,
        rm: 4,
        ..rtc_stun::ClientConfig::default()
    });
    let mut request = [0u8; 64];
    let len = {
        let mut builder = MessageBuilder::new(
            &mut request,
            Class::Request,
            Method::BINDING,
            TransactionId::new(random()?),
        )
        .map_err(|e| e.to_string())?;
        builder.add_fingerprint().map_err(|e| e.to_string())?;
        builder.len()
    };
    let start = Instant::now();
    let id = client
        .start(
            start,
            server,
            rtc_stun::Transport::Unreliable,
            &request[..len],
        )
        .map_err(|e| e.to_string())?;
    let mut buf = vec![0u8; 2048];
    loop {
        while let Some(t) = client.poll_transmit() {
            let _ = socket.send_to(t.contents, t.destination).await;
        }
        if let Some(ClientEvent::TimedOut(_)) = client.poll_event() {
            return Err(format!("no answer from {server}"));
        }
        let Some(deadline) = client.poll_timeout() else {
            return Err("no transaction in flight".to_owned());
        };
        tokio::select! {
            received = socket.recv_from(&mut buf) => {
                let Ok((n, _)) = received else { continue };
                let Ok(message) = Message::parse(&buf[..n]) else { continue };
                if client.handle_response(Instant::now(), &message) == Ok(id) {
                    if let Some(e) = message.error_code() {
                        return Err(format!("error response {} {}", e.code, e.reason));
                    }
                    let mapped = message
                        .mapped_address()
                        .ok_or("a response without XOR-MAPPED-ADDRESS")?;
                    return Ok((mapped, local, start.elapsed()));
                }
            }
            () = tokio::time::sleep_until(deadline.into()) => client.handle_timeout(Instant::now()),
        }
    }
}

fn describe_failure(failure: Failure) -> String {
    match failure {
        Failure::ErrorResponse(401) => "401: the credentials were refused".to_owned(),
        Failure::ErrorResponse(403) => "403: the server forbids relaying to this peer".to_owned(),
        Failure::ErrorResponse(code) => format!("error response {code}"),
        Failure::TimedOut => "no answer".to_owned(),
        other => format!("{other:?}"),
    }
}

const PROBE: &[u8] = b"rtc doctor: relayed out";
const REPLY: &[u8] = b"rtc doctor: relayed back";

/// Allocates, installs a permission for a local socket, and relays a datagram out to it and
/// its reply back.
async fn turn_allocate(server: SocketAddr, user: &str, password: &str) -> Result<String, String> {
    let socket = socket_towards(server).await?;
    let local_ip = socket.local_addr().map_err(|e| e.to_string())?.ip();
    let peer = UdpSocket::bind((local_ip, 0))
        .await
        .map_err(|e| e.to_string())?;
    let peer_addr = peer.local_addr().map_err(|e| e.to_string())?;
    let mut client = TurnClient::new(
        server,
        Transport::Udp,
        user.to_owned(),
        password.to_owned(),
        ClientConfig::default(),
        random()?,
    );
    let start = Instant::now();
    client.allocate(start).map_err(|e| e.to_string())?;
    let mut allocated = None;
    let mut buf = vec![0u8; 2048];
    let mut peer_buf = vec![0u8; 2048];
    let mut out = vec![0u8; 2048];
    let outcome = loop {
        let mut failed = None;
        while let Some(event) = client.poll_event() {
            match event {
                TurnEvent::Allocated {
                    relayed, lifetime, ..
                } => {
                    allocated = Some((relayed, lifetime));
                    if let Err(e) = client.create_permission(Instant::now(), peer_addr.ip()) {
                        failed = Some(format!("CreatePermission: {e}"));
                    }
                }
                TurnEvent::PermissionCreated(_) => {
                    match client.send_to(Instant::now(), peer_addr, PROBE, &mut out) {
                        Ok(n) => {
                            let _ = socket.send_to(&out[..n], server).await;
                        }
                        Err(e) => failed = Some(format!("Send indication: {e}")),
                    }
                }
                TurnEvent::AllocationFailed(f) => {
                    failed = Some(format!("Allocate: {}", describe_failure(f)));
                }
                TurnEvent::PermissionFailed { failure, .. } => {
                    failed = Some(format!("CreatePermission: {}", describe_failure(failure)));
                }
                TurnEvent::Failed(f) => failed = Some(describe_failure(f)),
                _ => {}
            }
        }
        if let Some(why) = failed {
            break Err(why);
        }
        // After the events: they may have queued requests (CreatePermission).
        while let Some(t) = client.poll_transmit() {
            let _ = socket.send_to(t.contents, t.destination).await;
        }
        let sleep = async {
            match client.poll_timeout() {
                Some(t) => tokio::time::sleep_until(t.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            received = socket.recv_from(&mut buf) => {
                let Ok((n, from)) = received else { continue };
                if from != server {
                    continue;
                }
                if let Ok(Some(data)) = client.handle_input(Instant::now(), &buf[..n]) {
                    if data.data == REPLY {
                        break Ok(start.elapsed());
                    }
                }
            }
            received = peer.recv_from(&mut peer_buf) => {
                let Ok((n, from)) = received else { continue };
                if &peer_buf[..n] == PROBE {
                    let _ = peer.send_to(REPLY, from).await;
                }
            }
            () = sleep => client.handle_timeout(Instant::now()),
        }
    };
    // Release the allocation (RFC 8656 §7: a Refresh with LIFETIME 0), without waiting long.
    if client.close(Instant::now()).is_ok() {
        while let Some(t) = client.poll_transmit() {
            let _ = socket.send_to(t.contents, t.destination).await;
        }
    }
    let elapsed = outcome?;
    let (relayed, lifetime) = allocated.ok_or("no allocation")?;
    Ok(format!(
        "relayed address {relayed} (lifetime {} s); a datagram relayed to {peer_addr} and its \
         reply back in {:.1} ms",
        lifetime.as_secs(),
        elapsed.as_secs_f64() * 1e3
    ))
}

/// Gathers with a peer connection for at most `limit`: candidates by type (host, srflx,
/// relay), their lines, and whether gathering completed.
async fn gather(
    ice_servers: Vec<RTCIceServer>,
    loopback_servers: bool,
    limit: Duration,
) -> Result<([usize; 3], Vec<String>, bool), String> {
    let deadline = tokio::time::Instant::now() + limit;
    let pc = RTCPeerConnection::new(RTCConfiguration {
        ice_servers,
        // Servers on this machine's loopback are reached from a loopback socket.
        bind_ip: loopback_servers.then_some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        ..RTCConfiguration::default()
    })
    .await
    .map_err(|e| e.to_string())?;
    let outcome = async {
        let _channel = pc
            .create_data_channel("doctor", RTCDataChannelInit::default())
            .await
            .map_err(|e| e.to_string())?;
        let offer = pc.create_offer().await.map_err(|e| e.to_string())?;
        pc.set_local_description(offer)
            .await
            .map_err(|e| e.to_string())?;
        let mut counts = [0usize; 3];
        let mut lines = Vec::new();
        let mut complete = false;
        // An unreachable server keeps gathering going for its whole STUN timeout: report
        // what came in time.
        while let Ok(Some(event)) = tokio::time::timeout_at(deadline, pc.next_event()).await {
            match event {
                PeerConnectionEvent::IceCandidate(c) if c.is_end_of_candidates() => {
                    complete = true;
                    break;
                }
                PeerConnectionEvent::IceCandidate(c) => {
                    let kind = candidate_type(&c.candidate);
                    match kind {
                        "host" => counts[0] += 1,
                        "srflx" | "prflx" => counts[1] += 1,
                        "relay" => counts[2] += 1,
                        _ => {}
                    }
                    if let Some(address) = candidate_address(&c.candidate) {
                        lines.push(format!("{kind} {address}"));
                    }
                }
                PeerConnectionEvent::IceGatheringStateChange(RTCIceGatheringState::Complete) => {
                    complete = true;
                    break;
                }
                _ => {}
            }
        }
        Ok((counts, lines, complete))
    }
    .await;
    pc.close().await;
    outcome
}

/// `typ X` of a `candidate:` line (RFC 8839 §5.1).
fn candidate_type(line: &str) -> &str {
    let mut words = line.split_whitespace();
    while let Some(w) = words.next() {
        if w == "typ" {
            return words.next().unwrap_or("?");
        }
    }
    "?"
}

/// `ADDRESS:PORT` of a `candidate:` line: its fifth and sixth fields.
fn candidate_address(line: &str) -> Option<String> {
    let fields: Vec<&str> = line.split_whitespace().collect();
    Some(format!("{}:{}", fields.get(4)?, fields.get(5)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn candidate_fields() {
        let line = "candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host";
        assert_eq!(candidate_type(line), "host");
        assert_eq!(candidate_address(line).as_deref(), Some("192.0.2.1:5000"));
        let relay = "candidate:3 1 udp 16777215 198.51.100.7 49160 typ relay raddr 0.0.0.0 rport 0";
        assert_eq!(candidate_type(relay), "relay");
        assert_eq!(candidate_type("candidate:x"), "?");
        assert_eq!(candidate_address("candidate:x 1"), None);
    }

    #[test]
    fn the_summary_says_what_fails_without_a_relay() {
        let report = DoctorReport {
            candidates: [1, 0, 0],
            ..DoctorReport::default()
        };
        let lines = summary(&report, Some(true), None, false);
        assert!(lines.iter().any(|l| l.starts_with("no relay")));
        assert!(lines.iter().any(|l| l.starts_with("no srflx")));
        assert!(lines.iter().any(|l| l.contains("signaling server works")));
    }
}
