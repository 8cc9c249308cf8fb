//! SCTP and data channels over plain UDP (no DTLS): the peer `cargo xtask interop sctp` runs
//! against usrsctp's ekr examples and aiortc (interop/sctp/README.md). One SCTP packet per
//! datagram, the sans-IO loop driven by a blocking socket and the clock.
//!
//! ```text
//! dc_peer --mode MODE --local ADDR --remote ADDR [--sctp-port P] [--remote-sctp-port P]
//!         [--dtls-role client|server] [--timeout SECONDS]
//! ```
//!
//! Modes:
//! - `sctp-listen`: an association that waits for an INIT from any SCTP port; prints every
//!   message (`MESSAGE stream=.. ppid=.. len=.. data=<first bytes>`) until the peer ends it.
//! - `sctp-connect`: connects, sends messages of 1, 100, 1200, 5000 and 65536 bytes on
//!   stream 1 with PPID 39, then shuts down.
//! - `dc-client` / `dc-server`: the data channel scenario of interop/sctp/README.md (four
//!   in-band channels and a negotiated one, sixteen messages each, echoed, then closed).
//!
//! The last line is `RESULT {"ok": true|false, ...}`; the exit code says the same.

#![allow(clippy::disallowed_methods)]

use std::collections::BTreeMap;
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtc_datachannel::{ChannelOptions, ChannelType, DataChannels, DtlsRole, Event, Reliability};
use rtc_sctp::{Association, Config, SendOptions};

const NEGOTIATED_ID: u16 = 100;
const NEGOTIATED_LABEL: &str = "negotiated";

struct Args {
    mode: String,
    local: SocketAddr,
    remote: SocketAddr,
    sctp_port: u16,
    remote_sctp_port: u16,
    dtls_role: Option<DtlsRole>,
    timeout: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut map = BTreeMap::new();
    while let Some(k) = it.next() {
        let v = it.next().ok_or(format!("{k} needs a value"))?;
        map.insert(k, v);
    }
    let get = |k: &str| map.get(k).cloned();
    let addr = |k: &str| -> Result<SocketAddr, String> {
        get(k)
            .ok_or(format!("{k} missing"))?
            .parse()
            .map_err(|e| format!("{k}: {e}"))
    };
    let port = |k: &str, d: u16| -> Result<u16, String> {
        get(k).map_or(Ok(d), |v| v.parse().map_err(|e| format!("{k}: {e}")))
    };
    Ok(Args {
        mode: get("--mode").ok_or("--mode missing")?,
        local: addr("--local")?,
        remote: addr("--remote")?,
        sctp_port: port("--sctp-port", 5000)?,
        remote_sctp_port: port("--remote-sctp-port", 5000)?,
        dtls_role: match get("--dtls-role").as_deref() {
            Some("client") => Some(DtlsRole::Client),
            Some("server") => Some(DtlsRole::Server),
            None => None,
            Some(other) => return Err(format!("--dtls-role {other}")),
        },
        timeout: Duration::from_secs_f64(
            get("--timeout")
                .map_or(Ok(10.0), |v| v.parse::<f64>())
                .map_err(|e| format!("--timeout: {e}"))?,
        ),
    })
}

/// One message of the scenario: text or binary.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Msg {
    Text(String),
    Binary(Vec<u8>),
}

/// The sixteen messages the opener sends on `label` (interop/sctp/aiortc_peer.py `messages`).
fn messages(label: &str) -> Vec<Msg> {
    let mut m = vec![
        Msg::Text(format!("hello {label}")),
        Msg::Text(String::new()),
        Msg::Binary(Vec::new()),
        Msg::Binary((0..=255u8).collect()),
        Msg::Text("ünïcödé €𝄞".into()),
        Msg::Text("0123456789".repeat(300)),
        Msg::Binary((0..65536u32).map(|i| (i % 251) as u8).collect()),
    ];
    for i in m.len()..16 {
        m.push(Msg::Text(format!("{label} #{i}")));
    }
    m
}

/// The in-band channels the client opens, with their types.
fn dcep_channels() -> Vec<(&'static str, ChannelType)> {
    vec![
        ("reliable", ChannelType::RELIABLE),
        ("unordered", ChannelType::RELIABLE_UNORDERED),
        (
            "rexmit",
            ChannelType::new(false, Reliability::MaxRetransmits(0)),
        ),
        (
            "lifetime",
            ChannelType::new(true, Reliability::MaxLifetimeMs(1000)),
        ),
    ]
}

fn socket(args: &Args) -> std::io::Result<UdpSocket> {
    let s = socket2::Socket::new(
        socket2::Domain::for_address(args.local),
        socket2::Type::DGRAM,
        None,
    )?;
    // Bursts on loopback overflow the default receive buffer (interop/sctp/README.md).
    let _ = s.set_recv_buffer_size(4 * 1024 * 1024);
    s.bind(&args.local.into())?;
    let s: UdpSocket = s.into();
    s.connect(args.remote)?;
    Ok(s)
}

fn config(args: &Args, listen_any: bool) -> Arc<Config> {
    let mut c = Config::new();
    c.local_port = args.sctp_port;
    c.remote_port = if listen_any { 0 } else { args.remote_sctp_port };
    c.max_message_size = 65536;
    // Plain UDP: no DTLS to stand in for the CRC32c (RFC 9653).
    c.zero_checksum = false;
    Arc::new(c)
}

/// What the loop drives: an association or the data channels on one.
trait Endpoint {
    fn poll_timeout(&self) -> Option<Instant>;
    fn handle_packet(&mut self, now: Instant, packet: &[u8]);
    fn handle_timeout(&mut self, now: Instant);
    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize>;
}

impl Endpoint for Association {
    fn poll_timeout(&self) -> Option<Instant> {
        Self::poll_timeout(self)
    }
    fn handle_packet(&mut self, now: Instant, packet: &[u8]) {
        Self::handle_packet(self, now, packet);
    }
    fn handle_timeout(&mut self, now: Instant) {
        Self::handle_timeout(self, now);
    }
    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        Self::poll_transmit(self, now, buf)
    }
}

impl Endpoint for DataChannels {
    fn poll_timeout(&self) -> Option<Instant> {
        Self::poll_timeout(self)
    }
    fn handle_packet(&mut self, now: Instant, packet: &[u8]) {
        Self::handle_packet(self, now, packet);
    }
    fn handle_timeout(&mut self, now: Instant) {
        Self::handle_timeout(self, now);
    }
    fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        Self::poll_transmit(self, now, buf)
    }
}

/// The sans-IO loop: datagrams in, timers, datagrams out. `step` runs after each input and
/// returns false to stop; false comes back when the deadline passed first.
fn drive<E: Endpoint>(
    sock: &UdpSocket,
    deadline: Instant,
    endpoint: &mut E,
    step: &mut dyn FnMut(&mut E, Instant) -> bool,
) -> bool {
    let mut buf = vec![0u8; 65536];
    let mut out = vec![0u8; 65536];
    loop {
        let now = Instant::now();
        let go_on = step(endpoint, now);
        // What the input and the step produced (the last step's SHUTDOWN COMPLETE or ABORT
        // too).
        while let Some(n) = endpoint.poll_transmit(now, &mut out) {
            let _ = sock.send(&out[..n]);
        }
        if !go_on {
            return true;
        }
        if now >= deadline {
            return false;
        }
        let wait = endpoint
            .poll_timeout()
            .unwrap_or(deadline)
            .min(deadline)
            .saturating_duration_since(now)
            .max(Duration::from_millis(1));
        sock.set_read_timeout(Some(wait)).expect("timeout");
        match sock.recv(&mut buf) {
            Ok(n) => endpoint.handle_packet(Instant::now(), &buf[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::ConnectionRefused
                ) => {}
            Err(e) => panic!("recv: {e}"),
        }
        let now = Instant::now();
        if endpoint.poll_timeout().is_some_and(|t| t <= now) {
            endpoint.handle_timeout(now);
        }
    }
}

fn result(ok: bool, fields: serde_json::Value) -> i32 {
    let mut v = fields;
    v["ok"] = serde_json::Value::Bool(ok);
    println!("RESULT {v}");
    if ok { 0 } else { 1 }
}

fn run_sctp(args: &Args, connect: bool) -> i32 {
    let sock = socket(args).expect("socket");
    let start = Instant::now();
    let mut assoc = Association::new(config(args, !connect), start);
    if connect {
        assoc.connect(start);
    }
    let sizes = [1usize, 100, 1200, 5000, 65536];
    let mut queued = false;
    let mut received = Vec::new();
    let mut closed = None;
    let ok = drive(&sock, start + args.timeout, &mut assoc, &mut |a, now| {
        while let Some(e) = a.poll_event() {
            match e {
                rtc_sctp::Event::Connected => println!("CONNECTED"),
                rtc_sctp::Event::Message(m) => {
                    let head =
                        String::from_utf8_lossy(&m.data[..m.data.len().min(16)]).into_owned();
                    println!(
                        "MESSAGE stream={} ppid={} len={} data={head:?}",
                        m.stream,
                        m.ppid,
                        m.data.len()
                    );
                    received.push((m.stream, m.ppid, m.data.len()));
                }
                rtc_sctp::Event::Closed(reason) => {
                    println!("CLOSED {reason:?}");
                    closed = Some(reason);
                }
                other => println!("EVENT {other:?}"),
            }
        }
        if connect && a.is_established() && !queued {
            for (i, &len) in sizes.iter().enumerate() {
                let data: Vec<u8> = (0..len).map(|j| b'a' + ((i + j) % 26) as u8).collect();
                a.send(now, 1, 39, data, &SendOptions::default())
                    .expect("send");
            }
            queued = true;
        }
        if connect && queued && a.is_established() && a.buffered_total() == 0 {
            a.shutdown(now);
        }
        closed.is_none()
    });
    let shutdown = closed == Some(rtc_sctp::CloseReason::Shutdown);
    result(
        ok && shutdown,
        serde_json::json!({
            "mode": args.mode,
            "received": received.iter().map(|r| serde_json::json!({"stream": r.0, "ppid": r.1, "len": r.2})).collect::<Vec<_>>(),
            "sent": if connect { sizes.to_vec() } else { Vec::new() },
            "closed": closed.map(|c| format!("{c:?}")),
            "stats": format!("{:?}", assoc.stats()),
        }),
    )
}

struct Scenario {
    client: bool,
    /// label -> channel id
    ids: BTreeMap<String, u16>,
    labels: BTreeMap<u16, String>,
    received: BTreeMap<String, Vec<Msg>>,
    sent: BTreeMap<String, usize>,
    closed: BTreeMap<String, bool>,
    errors: Vec<String>,
    closing: bool,
    ended: bool,
    peer_ended: bool,
}

impl Scenario {
    fn expected_type(label: &str) -> ChannelType {
        if label == NEGOTIATED_LABEL {
            return ChannelType::RELIABLE;
        }
        dcep_channels()
            .into_iter()
            .find(|(l, _)| *l == label)
            .map_or(ChannelType::RELIABLE, |(_, t)| t)
    }

    fn send(dc: &mut DataChannels, now: Instant, id: u16, m: &Msg) -> Result<(), String> {
        match m {
            Msg::Text(t) => dc.send_text(now, id, t),
            Msg::Binary(b) => dc.send_binary(now, id, Bytes::copy_from_slice(b)),
        }
        .map_err(|e| e.to_string())
    }

    fn compare(&self, label: &str) -> Option<String> {
        let expected = messages(label);
        let got = self.received.get(label).cloned().unwrap_or_default();
        if Self::expected_type(label).ordered {
            if got != expected {
                return Some(format!(
                    "{label}: {} messages, not the expected 16 in order",
                    got.len()
                ));
            }
        } else {
            let mut a = got.clone();
            let mut b = expected;
            a.sort();
            b.sort();
            if a != b {
                return Some(format!(
                    "{label}: {} messages, not the expected 16 (unordered)",
                    got.len()
                ));
            }
        }
        None
    }

    fn step(&mut self, dc: &mut DataChannels, now: Instant) -> bool {
        while let Some(e) = dc.poll_event() {
            match e {
                Event::Connected => println!("CONNECTED"),
                Event::ChannelOpen {
                    id,
                    label,
                    protocol,
                    remote,
                } => {
                    println!("OPEN id={id} label={label:?} protocol={protocol:?} remote={remote}");
                    if !self.client {
                        let t = dc.info(id).map(|i| i.2);
                        if t != Some(Self::expected_type(&label)) {
                            self.errors.push(format!("{label}: opened as {t:?}"));
                        }
                        if remote && id % 2 != dc.role().peer().parity() {
                            self.errors
                                .push(format!("{label}: id {id} of the wrong parity"));
                        }
                    }
                    self.ids.insert(label.clone(), id);
                    self.labels.insert(id, label.clone());
                    if self.client {
                        for m in messages(&label) {
                            if let Err(e) = Self::send(dc, now, id, &m) {
                                self.errors.push(format!("{label}: send: {e}"));
                            }
                        }
                        self.sent.insert(label, 16);
                    }
                }
                Event::Message { id, binary, data } => {
                    let label = self
                        .labels
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| format!("#{id}"));
                    let m = if binary {
                        Msg::Binary(data.to_vec())
                    } else {
                        Msg::Text(String::from_utf8_lossy(&data).into_owned())
                    };
                    if !self.client {
                        if let Err(e) = Self::send(dc, now, id, &m) {
                            self.errors.push(format!("{label}: echo: {e}"));
                        }
                    }
                    self.received.entry(label).or_default().push(m);
                }
                Event::ChannelClosed(id) => {
                    let label = self
                        .labels
                        .get(&id)
                        .cloned()
                        .unwrap_or_else(|| format!("#{id}"));
                    println!("CHANNEL-CLOSED id={id} label={label:?}");
                    self.closed.insert(label, true);
                }
                Event::Closed(reason) => {
                    println!("CLOSED {reason:?}");
                    self.peer_ended = true;
                    return false;
                }
                other => println!("EVENT {other:?}"),
            }
        }
        let all: Vec<String> = dcep_channels()
            .iter()
            .map(|(l, _)| l.to_string())
            .chain([NEGOTIATED_LABEL.to_string()])
            .collect();
        if self.client
            && !self.closing
            && all
                .iter()
                .all(|l| self.received.get(l).is_some_and(|r| r.len() >= 16))
        {
            for l in &all {
                if let Some(e) = self.compare(l) {
                    self.errors.push(e);
                }
                if let Some(&id) = self.ids.get(l) {
                    let _ = dc.close(id);
                }
            }
            self.closing = true;
        }
        if all
            .iter()
            .all(|l| self.closed.get(l).copied().unwrap_or(false))
        {
            if self.client && !self.ended {
                // Every channel closed: end the association (aiortc answers a SHUTDOWN).
                dc.association_mut().shutdown(now);
                self.ended = true;
            }
            if !self.client {
                for l in &all {
                    if let Some(e) = self.compare(l) {
                        self.errors.push(e);
                    }
                }
            }
        }
        true
    }
}

fn run_dc(args: &Args, client: bool) -> i32 {
    let sock = socket(args).expect("socket");
    let start = Instant::now();
    let role = args.dtls_role.unwrap_or(if client {
        DtlsRole::Client
    } else {
        DtlsRole::Server
    });
    let mut dc = DataChannels::new(config(args, false), role, start);
    dc.connect(start);
    if client {
        for (label, t) in dcep_channels() {
            dc.open(
                start,
                ChannelOptions {
                    label: label.into(),
                    channel_type: t,
                    ..ChannelOptions::default()
                },
            )
            .expect("open");
        }
    }
    dc.open(
        start,
        ChannelOptions {
            label: NEGOTIATED_LABEL.into(),
            negotiated: Some(NEGOTIATED_ID),
            ..ChannelOptions::default()
        },
    )
    .expect("open negotiated");
    let mut sc = Scenario {
        client,
        ids: BTreeMap::new(),
        labels: BTreeMap::new(),
        received: BTreeMap::new(),
        sent: BTreeMap::new(),
        closed: BTreeMap::new(),
        errors: Vec::new(),
        closing: false,
        ended: false,
        peer_ended: false,
    };
    // The negotiated channel is known on both sides from the start.
    sc.labels.insert(NEGOTIATED_ID, NEGOTIATED_LABEL.into());
    let finished = drive(&sock, start + args.timeout, &mut dc, &mut |d, now| {
        sc.step(d, now)
    });
    let all_closed = sc.closed.len() == 5 && sc.closed.values().all(|c| *c);
    if !finished {
        sc.errors.push(format!("timeout after {:?}", args.timeout));
    }
    if !all_closed {
        sc.errors.push(format!("closed channels: {:?}", sc.closed));
    }
    let ok = sc.errors.is_empty();
    result(
        ok,
        serde_json::json!({
            "mode": args.mode,
            "channels": sc.received.iter().map(|(l, r)| (l.clone(), serde_json::json!({"id": sc.ids.get(l), "received": r.len(), "sent": sc.sent.get(l)}))).collect::<serde_json::Map<_, _>>(),
            "errors": sc.errors,
            "association_ended": sc.peer_ended,
            "stats": format!("{:?}", dc.association().stats()),
        }),
    )
}

fn main() {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("dc_peer: {e}");
            std::process::exit(2);
        }
    };
    let code = match args.mode.as_str() {
        "sctp-listen" => run_sctp(&args, false),
        "sctp-connect" => run_sctp(&args, true),
        "dc-client" => run_dc(&args, true),
        "dc-server" => run_dc(&args, false),
        other => {
            eprintln!("dc_peer: unknown mode {other}");
            2
        }
    };
    std::process::exit(code);
}
