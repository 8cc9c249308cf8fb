//! One ICE agent with TCP candidates (RFC 6544) on real sockets: the driver side of ICE-TCP,
//! and the peer `cargo xtask interop ice` runs against itself over loopback TCP
//! (interop/ice/README.md; aioice has no ICE-TCP).
//!
//! ```text
//! ice_tcp_peer --role controlling|controlled --tcptype active|passive|both --signal-dir DIR
//!              [--name rtc-ice-a] [--peer rtc-ice-b] [--ip 127.0.0.1] [--hold SECONDS]
//!              [--consent-interval SECONDS] [--timeout SECONDS] [--break-after SECONDS]
//!              [--verbose]
//! ```
//!
//! The driver: std sockets, non-blocking, polled every millisecond.
//!
//! - A passive candidate is a `TcpListener` on `--ip` (an ephemeral port); connections
//!   accepted there are keyed by (listening address, peer address). An active candidate is
//!   `Candidate::tcp_host(ip, Active)`: signalled with port 9, nothing bound.
//! - A `Transmit` with `Transport::Tcp` goes, framed with `rtc_ice::tcp::encode`, on the
//!   connection keyed by (`source`, `destination`). With none and `Tcp(Active)`, the driver
//!   connects from `source`'s IP (socket2: bind to port 0, then connect) and keys the new
//!   connection by (`source`, `destination`); with none otherwise, or when the connect fails,
//!   it calls `Agent::tcp_closed`.
//! - Bytes read from a connection go through its `rtc_ice::tcp::FrameDecoder`; each frame to
//!   `Agent::handle_tcp_packet` with the connection's key, and what the agent does not take
//!   (not STUN) is application data. End of stream, a read error or a framing error closes the
//!   connection and calls `Agent::tcp_closed`.
//! - Once a pair is selected, the other connections are closed (RFC 6544 §8) and reported
//!   with `Agent::tcp_closed` too.
//!
//! The run, with the same signal files as `ice_peer` (`DIR/NAME.json` =
//! `{"ufrag", "pwd", "candidates"}`, written whole by a rename): write ours, wait for the
//! peer's, give the agent its credentials, candidates and end-of-candidates. Once connected,
//! send `NAME hello` with `Agent::send_data` over the selected pair, hold for `--hold` seconds
//! (consent checks every `--consent-interval`), send `NAME bye`, and end once the peer's
//! `hello` and `bye` both arrived on the selected pair's connection. `--break-after S` closes
//! the selected pair's connection S seconds into the hold (and tells the agent), to show the
//! active end reopening it (RFC 6544 §11.1) and the pair being nominated again on the new
//! connection.
//!
//! The last line of stdout is `RESULT {json}`: `ok`, the selected pair (the agent's keys and
//! the connection's real endpoints), the candidates, connections opened and accepted, the
//! selected pairs in order, data sent and received, and STUN counts; the exit code says the
//! same.

#![allow(clippy::disallowed_methods)]

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::io::{ErrorKind, Read, Write};
use std::net::{IpAddr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rtc_ice::tcp::{self, FrameDecoder};
use rtc_ice::{
    Agent, Candidate, Config, Credentials, Event, IceState, TcpType, Transmit, Transport,
};
use rtc_stun::{Class, Message};
use serde_json::{Value, json};

/// (the agent's local key, the peer's address): how connections are kept.
type Key = (SocketAddr, SocketAddr);

struct Args {
    controlling: bool,
    active: bool,
    passive: bool,
    ip: IpAddr,
    signal_dir: PathBuf,
    name: String,
    peer: String,
    hold: Duration,
    consent_interval: Duration,
    timeout: Duration,
    break_after: Option<Duration>,
    verbose: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut map = BTreeMap::new();
    let mut verbose = false;
    while let Some(k) = it.next() {
        if k == "--verbose" {
            verbose = true;
            continue;
        }
        let v = it.next().ok_or(format!("{k} needs a value"))?;
        map.insert(k, v);
    }
    let get = |k: &str| map.get(k).cloned();
    let seconds = |k: &str, default: f64| -> Result<Duration, String> {
        let v = get(k).map_or(Ok(default), |v| {
            v.parse::<f64>().map_err(|e| format!("{k}: {e}"))
        })?;
        Duration::try_from_secs_f64(v).map_err(|e| format!("{k}: {e}"))
    };
    let (active, passive) = match get("--tcptype").as_deref() {
        Some("active") => (true, false),
        Some("passive") => (false, true),
        Some("both") => (true, true),
        other => return Err(format!("--tcptype active|passive|both, got {other:?}")),
    };
    Ok(Args {
        controlling: match get("--role").as_deref() {
            Some("controlling") => true,
            Some("controlled") => false,
            other => return Err(format!("--role controlling|controlled, got {other:?}")),
        },
        active,
        passive,
        ip: get("--ip")
            .unwrap_or_else(|| "127.0.0.1".to_owned())
            .parse()
            .map_err(|e| format!("--ip: {e}"))?,
        signal_dir: get("--signal-dir").ok_or("--signal-dir missing")?.into(),
        name: get("--name").unwrap_or_else(|| "rtc-ice-a".to_owned()),
        peer: get("--peer").unwrap_or_else(|| "rtc-ice-b".to_owned()),
        hold: seconds("--hold", 3.0)?,
        consent_interval: seconds("--consent-interval", 5.0)?,
        timeout: seconds("--timeout", 15.0)?,
        break_after: match get("--break-after") {
            Some(_) => Some(seconds("--break-after", 1.0)?),
            None => None,
        },
        verbose,
    })
}

/// One TCP connection of the driver's.
struct Conn {
    stream: TcpStream,
    decoder: FrameDecoder,
    /// Framed bytes not yet written.
    out: Vec<u8>,
    /// We opened it (for an active candidate), or accepted it.
    opened: bool,
}

#[derive(Default)]
struct Stats {
    requests_sent: u64,
    use_candidate_sent: u64,
    requests_received: u64,
    use_candidate_received: u64,
    success_received: u64,
    /// Requests sent and answers received while connected (consent checks, mostly).
    requests_sent_connected: u64,
    success_received_connected: u64,
    connections_opened: u64,
    connections_accepted: u64,
    connections_closed: u64,
    connect_failures: u64,
    frames_sent: u64,
    frames_received: u64,
}

struct Peer {
    args: Args,
    agent: Agent,
    listeners: Vec<(SocketAddr, TcpListener)>,
    conns: HashMap<Key, Conn>,
    signal_written: bool,
    remote_candidates: Vec<String>,
    selected: Option<(SocketAddr, SocketAddr, Transport)>,
    selections: Vec<Value>,
    connected_at: Option<Instant>,
    checks_started: Option<Instant>,
    broke: bool,
    sent: Vec<String>,
    received: Vec<String>,
    stray: Vec<String>,
    errors: Vec<String>,
    events: Vec<String>,
    stats: Stats,
    start: Instant,
    outcome: &'static str,
}

fn write_signal(dir: &Path, name: &str, value: &Value) -> Result<(), String> {
    let tmp = dir.join(format!(".{name}.json.tmp"));
    let path = dir.join(format!("{name}.json"));
    fs::write(&tmp, value.to_string()).map_err(|e| format!("write {}: {e}", tmp.display()))?;
    fs::rename(&tmp, &path).map_err(|e| format!("rename to {}: {e}", path.display()))
}

fn read_signal(dir: &Path, peer: &str) -> Result<Option<(Credentials, Vec<String>)>, String> {
    let path = dir.join(format!("{peer}.json"));
    let Ok(text) = fs::read_to_string(&path) else {
        return Ok(None);
    };
    let v: Value =
        serde_json::from_str(&text).map_err(|e| format!("{}: bad JSON: {e}", path.display()))?;
    let field = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or(format!("{}: no `{k}`", path.display()))
    };
    let creds = Credentials {
        ufrag: field("ufrag")?,
        pwd: field("pwd")?,
    };
    let candidates = v
        .get("candidates")
        .and_then(Value::as_array)
        .ok_or(format!("{}: no `candidates`", path.display()))?
        .iter()
        .map(|c| {
            c.as_str()
                .map(str::to_owned)
                .ok_or("a candidate is not a string")
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some((creds, candidates)))
}

/// Opens a connection from `from`'s IP (an ephemeral port) to `to` (RFC 6544 §7.1).
fn connect_from(from: IpAddr, to: SocketAddr) -> std::io::Result<TcpStream> {
    let domain = socket2::Domain::for_address(to);
    let socket = socket2::Socket::new(domain, socket2::Type::STREAM, None)?;
    socket.bind(&SocketAddr::new(from, 0).into())?;
    socket.connect_timeout(&to.into(), Duration::from_secs(1))?;
    let stream: TcpStream = socket.into();
    stream.set_nonblocking(true)?;
    stream.set_nodelay(true)?;
    Ok(stream)
}

fn describe(bytes: &[u8]) -> String {
    match Message::parse(bytes) {
        Ok(m) => format!("{:?} {:?}", m.method(), m.class()),
        Err(_) => format!("data {:?}", String::from_utf8_lossy(bytes)),
    }
}

impl Peer {
    fn log(&self, line: &str) {
        if self.args.verbose {
            eprintln!("{:7.3} {line}", self.start.elapsed().as_secs_f64());
        }
    }

    /// Puts a transmit on its connection (opening one for an active candidate).
    fn send(&mut self, now: Instant, t: Transmit) {
        let Transport::Tcp(tcp_type) = t.transport else {
            self.errors.push(format!(
                "a UDP transmit to {} (no UDP candidate)",
                t.destination
            ));
            return;
        };
        let key = (t.source, t.destination);
        if let Ok(m) = Message::parse(&t.contents)
            && m.class() == Class::Request
        {
            self.stats.requests_sent += 1;
            if self.connected_at.is_some() {
                self.stats.requests_sent_connected += 1;
            }
            if m.attributes()
                .any(|a| matches!(a, rtc_stun::Attribute::UseCandidate))
            {
                self.stats.use_candidate_sent += 1;
            }
        }
        if !self.conns.contains_key(&key) {
            if tcp_type != TcpType::Active {
                self.log(&format!(
                    "> {} no connection for a {tcp_type} candidate",
                    t.destination
                ));
                self.agent.tcp_closed(now, key.0, key.1);
                return;
            }
            match connect_from(t.source.ip(), t.destination) {
                Ok(stream) => {
                    self.log(&format!(
                        "connected {} → {} (for {})",
                        stream.local_addr().map_or("?".into(), |a| a.to_string()),
                        t.destination,
                        t.source
                    ));
                    self.stats.connections_opened += 1;
                    self.conns.insert(
                        key,
                        Conn {
                            stream,
                            decoder: FrameDecoder::new(),
                            out: Vec::new(),
                            opened: true,
                        },
                    );
                }
                Err(e) => {
                    self.log(&format!("connect to {} failed: {e}", t.destination));
                    self.stats.connect_failures += 1;
                    self.agent.tcp_closed(now, key.0, key.1);
                    return;
                }
            }
        }
        self.log(&format!("> {} {}", t.destination, describe(&t.contents)));
        let Some(conn) = self.conns.get_mut(&key) else {
            return;
        };
        let start = conn.out.len();
        conn.out
            .resize(start + tcp::encoded_len(t.contents.len()), 0);
        match tcp::encode(&t.contents, &mut conn.out[start..]) {
            Ok(_) => self.stats.frames_sent += 1,
            Err(e) => {
                conn.out.truncate(start);
                self.errors.push(format!("framing: {e}"));
            }
        }
    }

    fn flush(&mut self, now: Instant) {
        while let Some(t) = self.agent.poll_transmit() {
            self.send(now, t);
        }
        let mut closed = Vec::new();
        for (key, conn) in &mut self.conns {
            while !conn.out.is_empty() {
                match conn.stream.write(&conn.out) {
                    Ok(0) => {
                        closed.push(*key);
                        break;
                    }
                    Ok(n) => {
                        conn.out.drain(..n);
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(_) => {
                        closed.push(*key);
                        break;
                    }
                }
            }
        }
        for key in closed {
            self.close(now, key, "write failed");
        }
    }

    fn close(&mut self, now: Instant, key: Key, why: &str) {
        if let Some(conn) = self.conns.remove(&key) {
            let _ = conn.stream.shutdown(Shutdown::Both);
            self.stats.connections_closed += 1;
            self.log(&format!("closed {} ↔ {}: {why}", key.0, key.1));
            self.agent.tcp_closed(now, key.0, key.1);
        }
    }

    /// Accepts, reads and decodes: whether anything happened.
    fn poll_sockets(&mut self, now: Instant) -> bool {
        let mut busy = false;
        for (listen, listener) in &self.listeners {
            loop {
                match listener.accept() {
                    Ok((stream, from)) => {
                        busy = true;
                        let _ = stream.set_nonblocking(true);
                        let _ = stream.set_nodelay(true);
                        self.stats.connections_accepted += 1;
                        if self.args.verbose {
                            eprintln!("accepted {from} on {listen}");
                        }
                        self.conns.insert(
                            (*listen, from),
                            Conn {
                                stream,
                                decoder: FrameDecoder::new(),
                                out: Vec::new(),
                                opened: false,
                            },
                        );
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => {
                        self.errors.push(format!("accept on {listen}: {e}"));
                        break;
                    }
                }
            }
        }
        let mut buf = [0u8; 4096];
        let mut closed = Vec::new();
        let mut frames = Vec::new();
        for (key, conn) in &mut self.conns {
            loop {
                match conn.stream.read(&mut buf) {
                    Ok(0) => {
                        closed.push((*key, "end of stream".to_owned()));
                        break;
                    }
                    Ok(n) => {
                        busy = true;
                        let decoded = conn
                            .decoder
                            .decode(&buf[..n], |f| frames.push((*key, f.to_vec())));
                        if let Err(e) = decoded {
                            closed.push((*key, format!("framing: {e}")));
                            break;
                        }
                    }
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => {
                        closed.push((*key, format!("read: {e}")));
                        break;
                    }
                }
            }
        }
        for (key, frame) in frames {
            self.on_frame(now, key, &frame);
        }
        for (key, why) in closed {
            self.close(now, key, &why);
        }
        busy
    }

    fn on_frame(&mut self, now: Instant, key: Key, frame: &[u8]) {
        self.stats.frames_received += 1;
        if !self.conns.contains_key(&key) {
            // Read in the same batch as a frame that selected a pair, after which the
            // connection was closed (RFC 6544 §8): the agent already forgot it.
            self.log(&format!("< {} (closed) {}", key.1, describe(frame)));
            return;
        }
        self.log(&format!("< {} {}", key.1, describe(frame)));
        if let Ok(m) = Message::parse(frame) {
            match m.class() {
                Class::Request => {
                    self.stats.requests_received += 1;
                    if m.attributes()
                        .any(|a| matches!(a, rtc_stun::Attribute::UseCandidate))
                    {
                        self.stats.use_candidate_received += 1;
                    }
                }
                Class::Success => {
                    self.stats.success_received += 1;
                    if self.connected_at.is_some() {
                        self.stats.success_received_connected += 1;
                    }
                }
                _ => {}
            }
        }
        if !self.agent.handle_tcp_packet(now, key.0, key.1, frame) {
            // The frames before it (in this read) may have selected the pair it came on.
            self.on_events(now);
            let text = String::from_utf8_lossy(frame).into_owned();
            if self.selected.is_some_and(|(l, r, _)| (l, r) == key) {
                self.received.push(text);
            } else {
                self.stray
                    .push(format!("{text:?} on {} ↔ {}", key.0, key.1));
            }
        }
    }

    /// The selected pair's connection: (its local address, its peer's), as the OS sees it.
    fn endpoints(&self, key: Key) -> Option<(SocketAddr, SocketAddr)> {
        let conn = self.conns.get(&key)?;
        Some((
            conn.stream.local_addr().ok()?,
            conn.stream.peer_addr().ok()?,
        ))
    }

    fn on_events(&mut self, now: Instant) {
        let before = self.selected;
        while let Some(e) = self.agent.poll_event() {
            self.log(&format!("event {e:?}"));
            self.events.push(format!("{e:?}"));
            if let Event::SelectedPair {
                local,
                remote,
                transport,
            } = e
            {
                self.selected = Some((local, remote, transport));
                let (ours, theirs) = self.agent.selected_candidates().expect("selected");
                let endpoints = self.endpoints((local, remote));
                self.selections.push(json!({
                    "local": local.to_string(),
                    "remote": remote.to_string(),
                    "transport": format!("{transport:?}"),
                    "local_kind": ours.kind.as_str(),
                    "local_candidate": ours.address.to_string(),
                    "remote_kind": theirs.kind.as_str(),
                    "connection": endpoints.map(|(l, r)| json!([l.to_string(), r.to_string()])),
                    "at_ms": now.saturating_duration_since(self.start).as_millis() as u64,
                }));
            }
        }
        if self.connected_at.is_none()
            && self.selected.is_some()
            && self.agent.state() == IceState::Connected
        {
            self.connected_at = Some(now);
        }
        // RFC 6544 §8: once a pair is selected, the other connections go (and the agent is
        // told, so it drops their pairs without reopening them).
        if let Some((l, r, _)) = self.selected
            && self.selected != before
        {
            let unused: Vec<Key> = self
                .conns
                .keys()
                .copied()
                .filter(|k| *k != (l, r))
                .collect();
            for key in unused {
                self.close(now, key, "not the selected pair's (RFC 6544 §8)");
            }
        }
    }

    fn send_data(&mut self, now: Instant, what: &str) {
        let text = format!("{} {what}", self.args.name);
        match self.agent.send_data(now, text.as_bytes()) {
            Some(t) => {
                self.send(now, t);
                self.sent.push(text);
            }
            None => self
                .errors
                .push(format!("no selected pair to send {what:?}")),
        }
    }

    fn has_received(&self, what: &str) -> bool {
        self.received
            .contains(&format!("{} {what}", self.args.peer))
    }

    fn run(&mut self) -> Result<(), String> {
        let deadline = self.start + self.args.timeout;
        let mut have_remote = false;
        loop {
            let now = Instant::now();
            if now >= deadline {
                self.outcome = "timeout";
                return Err(format!(
                    "timed out after {:?} (state {:?}, selected {:?}, received {:?})",
                    self.args.timeout,
                    self.agent.state(),
                    self.selected,
                    self.received
                ));
            }
            if !self.signal_written {
                let candidates: Vec<String> = self
                    .agent
                    .local_candidates()
                    .iter()
                    .map(|c| c.to_sdp().to_init_string())
                    .collect();
                let creds = self.agent.local_credentials();
                let signal =
                    json!({"ufrag": creds.ufrag, "pwd": creds.pwd, "candidates": candidates});
                self.log(&format!("signal: {signal}"));
                write_signal(&self.args.signal_dir, &self.args.name, &signal)?;
                self.signal_written = true;
            }
            if !have_remote
                && let Some((creds, lines)) = read_signal(&self.args.signal_dir, &self.args.peer)?
            {
                have_remote = true;
                self.checks_started = Some(now);
                self.agent.set_remote_credentials(now, creds);
                for line in &lines {
                    self.agent
                        .add_remote_candidate_sdp(now, line)
                        .map_err(|e| format!("the peer's {line:?}: {e}"))?;
                }
                self.remote_candidates = lines;
                self.agent.set_remote_end_of_candidates();
            }
            if self.agent.poll_timeout().is_some_and(|t| t <= now) {
                self.agent.handle_timeout(now);
            }
            self.flush(now);
            self.on_events(now);
            if self.agent.state() == IceState::Failed {
                self.outcome = "failed";
                return Err(format!(
                    "ICE state Failed after {:.1} s",
                    self.start.elapsed().as_secs_f64()
                ));
            }
            if self.connected_at.is_some() && self.sent.is_empty() {
                self.send_data(now, "hello");
            }
            if let Some(at) = self.connected_at {
                if let Some(after) = self.args.break_after
                    && !self.broke
                    && now >= at + after
                    && let Some((l, r, _)) = self.selected
                {
                    self.broke = true;
                    self.close(now, (l, r), "--break-after");
                }
                let hold_over = now >= at + self.args.hold;
                if hold_over && !self.sent.iter().any(|s| s.ends_with(" bye")) {
                    if self.agent.state() != IceState::Connected {
                        self.errors.push(format!(
                            "state {:?} at the end of the hold",
                            self.agent.state()
                        ));
                    }
                    self.send_data(now, "bye");
                }
                if hold_over && self.has_received("hello") && self.has_received("bye") {
                    self.flush(now);
                    self.outcome = "connected";
                    return Ok(());
                }
            }
            self.flush(now);
            if !self.poll_sockets(now) {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
    }

    fn result(&self, outcome: Result<(), String>) -> Value {
        let mut errors = self.errors.clone();
        if let Err(e) = outcome {
            errors.push(e);
        }
        if self.selected.is_none() {
            errors.push("no pair selected".to_owned());
        }
        for what in ["hello", "bye"] {
            if !self.has_received(what) {
                errors.push(format!(
                    "no `{} {what}` on the selected pair's connection",
                    self.args.peer
                ));
            }
        }
        if !self.stray.is_empty() {
            errors.push(format!("data elsewhere: {:?}", self.stray));
        }
        let s = &self.stats;
        let selected = self.selected.map(|(l, r, t)| {
            json!({
                "local": l.to_string(),
                "remote": r.to_string(),
                "transport": format!("{t:?}"),
                "connection": self
                    .endpoints((l, r))
                    .map(|(a, b)| json!([a.to_string(), b.to_string()])),
                "opened_by_us": self.conns.get(&(l, r)).map(|c| c.opened),
            })
        });
        json!({
            "ok": errors.is_empty(),
            "outcome": self.outcome,
            "errors": errors,
            "role": if self.agent.is_controlling() { "controlling" } else { "controlled" },
            "state": format!("{:?}", self.agent.state()),
            "candidates": self
                .agent
                .local_candidates()
                .iter()
                .map(|c| c.to_sdp().to_init_string())
                .collect::<Vec<_>>(),
            "remote_candidates": self.remote_candidates,
            "selected": selected,
            "selections": self.selections,
            "connected_ms": match (self.checks_started, self.connected_at) {
                (Some(a), Some(b)) => json!(b.saturating_duration_since(a).as_millis() as u64),
                _ => Value::Null,
            },
            "broke": self.broke,
            "sent": self.sent,
            "received": self.received,
            "dropped": self.agent.dropped(),
            "tcp": {
                "connections_opened": s.connections_opened,
                "connections_accepted": s.connections_accepted,
                "connections_closed": s.connections_closed,
                "connect_failures": s.connect_failures,
                "frames_sent": s.frames_sent,
                "frames_received": s.frames_received,
            },
            "stun": {
                "requests_sent": s.requests_sent,
                "use_candidate_sent": s.use_candidate_sent,
                "requests_received": s.requests_received,
                "use_candidate_received": s.use_candidate_received,
                "success_received": s.success_received,
                "requests_sent_connected": s.requests_sent_connected,
                "success_received_connected": s.success_received_connected,
            },
            "events": self.events,
        })
    }
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("ice_tcp_peer: {e}");
            std::process::exit(2);
        }
    };
    let start = Instant::now();
    let mut config = Config::new(args.controlling);
    config.consent_interval = args.consent_interval;
    let creds = Credentials::random(config.provider);
    let mut agent = Agent::new(config, creds);
    let mut listeners = Vec::new();
    if args.passive {
        let bound = TcpListener::bind((args.ip, 0)).and_then(|l| {
            l.set_nonblocking(true)?;
            Ok((l.local_addr()?, l))
        });
        match bound {
            Ok((address, listener)) => {
                agent.add_local_candidate(
                    start,
                    Candidate::tcp_host(address, TcpType::Passive, 8191, 1),
                );
                listeners.push((address, listener));
            }
            Err(e) => {
                println!(
                    "RESULT {}",
                    json!({"ok": false, "errors": [format!("listen on {}: {e}", args.ip)]})
                );
                std::process::exit(1);
            }
        }
    }
    if args.active {
        agent.add_local_candidate(
            start,
            Candidate::tcp_host(SocketAddr::new(args.ip, 0), TcpType::Active, 8191, 1),
        );
    }
    let mut peer = Peer {
        args,
        agent,
        listeners,
        conns: HashMap::new(),
        signal_written: false,
        remote_candidates: Vec::new(),
        selected: None,
        selections: Vec::new(),
        connected_at: None,
        checks_started: None,
        broke: false,
        sent: Vec::new(),
        received: Vec::new(),
        stray: Vec::new(),
        errors: Vec::new(),
        events: Vec::new(),
        stats: Stats::default(),
        start,
        outcome: "error",
    };
    let outcome = peer.run();
    let result = peer.result(outcome);
    let ok = result.get("ok") == Some(&Value::Bool(true));
    println!("RESULT {result}");
    std::process::exit(if ok { 0 } else { 1 });
}
