//! One ICE agent on one UDP socket: the peer `cargo xtask interop ice` runs against aioice
//! (interop/ice/README.md). The sans-IO agent driven by a blocking socket and the clock, its
//! signalling through files.
//!
//! ```text
//! ice_peer --role controlling|controlled --signal-dir DIR [--local 127.0.0.1:0]
//!          [--name rtc-ice] [--peer aioice] [--hold SECONDS] [--consent-interval SECONDS]
//!          [--timeout SECONDS] [--stun-server IP:PORT[,IP:PORT...]]... [--lite] [--verbose]
//!          [--turn-server IP:PORT --turn-user USER --turn-pass PASSWORD]
//! ```
//!
//! `--lite` makes an ICE lite agent (`Config::lite()`, controlled only, no checks of its own);
//! its signal file then says `"lite": true`, for the peer's `a=ice-lite`.
//!
//! `--stun-server` (repeatable, or a comma list) goes into `Config::stun_servers`: the agent
//! sends a Binding request from the socket to each and turns every new mapped address into a
//! server-reflexive candidate (`cargo xtask interop nat` runs it behind real NATs,
//! interop/nat/README.md).
//!
//! `--turn-server` (with `--turn-user` and `--turn-pass`, UDP, long-term credentials) goes
//! into `Config::turn_servers`: the agent allocates a relayed candidate on it (emitted before
//! `GatheringComplete`, so it is in the signal file). When the selected pair's local end is
//! that relayed candidate, the data below goes through `Agent::send_data` (wrapped for the
//! TURN server) and comes back from `Agent::poll_relayed_data` (the agent consumes the TURN
//! server's datagrams); otherwise it is sent and received on the socket directly.
//!
//! 1. Binds `--local`, adds its host candidate and, with STUN servers, waits for the agent's
//!    `GatheringComplete` (its `LocalCandidate`s are the server-reflexive candidates). Then
//!    writes `DIR/NAME.json` (`{"ufrag", "pwd", "candidates": ["candidate:..."]}`, every
//!    candidate gathered, written whole by a rename) and waits for `DIR/PEER.json`, answering
//!    checks meanwhile; then gives the agent the peer's credentials, candidates and
//!    end-of-candidates (`set_remote_end_of_candidates`: the peer's file holds all of them, so
//!    the agent may declare failure once every pair failed).
//! 2. Once the agent selected a pair and is connected, sends `NAME hello` from the socket to
//!    the selected remote address (a datagram that is not STUN: the agent hands it back).
//! 3. Holds the connection for `--hold` seconds, answering the peer's checks and sending
//!    consent checks every `--consent-interval` seconds, then sends `NAME bye`.
//! 4. Exits once the peer's `PEER hello` and `PEER bye` have arrived, from the selected remote.
//!
//! The run ends early, with `"outcome": "failed"`, when the agent's state becomes `Failed`
//! (every pair failed after end-of-candidates, or consent lost), and with `"outcome":
//! "timeout"` at `--timeout`; `"connected"` is the normal end.
//!
//! With `--verbose`, every datagram in and out is dumped on stderr (`<`/`>`, STUN decoded).
//! The last line of stdout is `RESULT {"ok": true|false, ...}`; the exit code says the same.
//! Besides the STUN counts it holds the candidates (ours, the peer's), what each STUN server
//! saw (`gathering.mapped`), the checks per destination and the peer's requests per source,
//! and the selected pair with the kind of both ends: the remote's is the kind of the peer's
//! candidate at the selected remote address (`prflx` when it was learned from a check); ours
//! the kind of our candidate at the address the peer reported in its answers to our checks
//! on the pair (XOR-MAPPED-ADDRESS, RFC 8445 §7.2.5.3.1): `srflx` behind a NAT that kept the
//! mapping the STUN server saw, `prflx` when the NAT mapped us differently toward the peer.

#![allow(clippy::disallowed_methods)]

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs;
use std::io::ErrorKind;
use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rtc_ice::{Agent, Candidate, CandidateKind, Config, Credentials, Event, IceState, TurnServer};
use rtc_stun::{Attribute, Class, Message, TransactionId};
use serde_json::{Value, json};

/// How long one wait on the socket lasts at most (the signal file and the phases are checked
/// between waits).
const TICK: Duration = Duration::from_millis(10);

struct Args {
    controlling: bool,
    local: SocketAddr,
    signal_dir: PathBuf,
    name: String,
    peer: String,
    hold: Duration,
    consent_interval: Option<Duration>,
    timeout: Duration,
    stun_servers: Vec<SocketAddr>,
    turn_server: Option<TurnServer>,
    lite: bool,
    verbose: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut it = std::env::args().skip(1);
    let mut map = BTreeMap::new();
    let (mut verbose, mut lite) = (false, false);
    let mut stun_servers = Vec::new();
    while let Some(k) = it.next() {
        match k.as_str() {
            "--verbose" => verbose = true,
            "--lite" => lite = true,
            "--stun-server" => {
                let v = it.next().ok_or("--stun-server needs IP:PORT")?;
                for addr in v.split(',').filter(|a| !a.trim().is_empty()) {
                    stun_servers.push(
                        addr.trim()
                            .parse::<SocketAddr>()
                            .map_err(|e| format!("--stun-server {addr:?}: {e}"))?,
                    );
                }
            }
            _ => {
                let v = it.next().ok_or(format!("{k} needs a value"))?;
                map.insert(k, v);
            }
        }
    }
    let get = |k: &str| map.get(k).cloned();
    let seconds = |k: &str, default: f64| -> Result<Duration, String> {
        let v = get(k).map_or(Ok(default), |v| {
            v.parse::<f64>().map_err(|e| format!("{k}: {e}"))
        })?;
        Duration::try_from_secs_f64(v).map_err(|e| format!("{k}: {e}"))
    };
    Ok(Args {
        controlling: match get("--role").as_deref() {
            Some("controlling") => true,
            Some("controlled") => false,
            other => return Err(format!("--role controlling|controlled, got {other:?}")),
        },
        local: get("--local")
            .unwrap_or_else(|| "127.0.0.1:0".to_owned())
            .parse()
            .map_err(|e| format!("--local: {e}"))?,
        signal_dir: get("--signal-dir").ok_or("--signal-dir missing")?.into(),
        name: get("--name").unwrap_or_else(|| "rtc-ice".to_owned()),
        peer: get("--peer").unwrap_or_else(|| "aioice".to_owned()),
        hold: seconds("--hold", 3.0)?,
        consent_interval: match get("--consent-interval") {
            Some(_) => Some(seconds("--consent-interval", 5.0)?),
            None => None,
        },
        timeout: seconds("--timeout", 15.0)?,
        turn_server: match (get("--turn-server"), get("--turn-user"), get("--turn-pass")) {
            (None, None, None) => None,
            (Some(address), Some(username), Some(password)) => Some(TurnServer {
                address: address
                    .parse()
                    .map_err(|e| format!("--turn-server {address:?}: {e}"))?,
                username,
                password,
            }),
            _ => return Err("--turn-server, --turn-user and --turn-pass go together".to_owned()),
        },
        stun_servers,
        lite,
        verbose,
    })
}

/// STUN traffic seen on the socket.
#[derive(Default)]
struct Stats {
    /// Binding requests to the STUN servers (gathering), with retransmissions.
    gathering_sent: u64,
    /// Datagrams to and from the TURN server: requests (Allocate, Refresh, CreatePermission,
    /// ChannelBind), indications (Send) and the rest (ChannelData); answers by class.
    turn_requests_sent: u64,
    turn_indications_sent: u64,
    turn_channel_data_sent: u64,
    turn_success_received: u64,
    turn_errors_received: Vec<u16>,
    turn_other_received: u64,
    /// Application data sent and received through the relay.
    relayed_data_sent: u64,
    relayed_data_received: u64,
    /// Connectivity and consent checks, with retransmissions.
    requests_sent: u64,
    use_candidate_sent: u64,
    requests_received: u64,
    use_candidate_received: u64,
    /// Requests of the peer without FINGERPRINT / PRIORITY (RFC 8445 §7.1.1, §7.3 want both).
    received_without_fingerprint: u64,
    received_without_priority: u64,
    success_sent: u64,
    errors_sent: u64,
    success_received: u64,
    errors_received: Vec<u16>,
    /// Our requests after the pair was selected (consent checks, RFC 7675) and their answers.
    consent_sent: u64,
    consent_answered: u64,
    consent_tids: HashSet<TransactionId>,
    /// The peer's requests after the pair was selected (its consent checks).
    peer_checks_after_connect: u64,
    /// The attribute names of the peer's first request, in order.
    first_peer_request: Vec<String>,
    /// Our tie breaker, from ICE-CONTROLLING / ICE-CONTROLLED of our first check.
    tie_breaker: Option<u64>,
}

/// A one-line description of a datagram: STUN decoded, anything else quoted.
fn describe(bytes: &[u8]) -> String {
    if !rtc_stun::is_stun(bytes) {
        return format!("data {:?}", String::from_utf8_lossy(bytes));
    }
    let Ok(m) = Message::parse(bytes) else {
        return format!("malformed STUN ({} bytes)", bytes.len());
    };
    let mut out = format!(
        "{:?} {:?} tid={:?}",
        m.method(),
        m.class(),
        m.transaction_id()
    );
    for a in m.attributes() {
        let name = a.attribute_type().name().unwrap_or("?");
        let value = match a {
            Attribute::Username(u) => format!("={u:?}"),
            Attribute::Priority(p) => format!("={p}"),
            Attribute::IceControlling(t) | Attribute::IceControlled(t) => format!("={t:016x}"),
            Attribute::XorMappedAddress(a) | Attribute::MappedAddress(a) => format!("={a}"),
            Attribute::ErrorCode(e) => format!("={} {:?}", e.code, e.reason),
            _ => String::new(),
        };
        out.push_str(&format!(" {name}{value}"));
    }
    out
}

fn attribute_names(m: &Message<'_>) -> Vec<String> {
    m.attributes()
        .map(|a| a.attribute_type().name().unwrap_or("?").to_owned())
        .collect()
}

/// Writes our signal file whole: a temporary file renamed into place.
fn write_signal(dir: &Path, name: &str, value: &Value) -> Result<(), String> {
    let tmp = dir.join(format!(".{name}.json.tmp"));
    let path = dir.join(format!("{name}.json"));
    fs::write(&tmp, value.to_string())
        .map_err(|e| format!("cannot write {}: {e}", tmp.display()))?;
    fs::rename(&tmp, &path).map_err(|e| format!("cannot rename to {}: {e}", path.display()))
}

/// The peer's credentials and candidates, once its file exists.
fn read_signal(dir: &Path, peer: &str) -> Result<Option<(Credentials, Vec<Candidate>)>, String> {
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
    let mut candidates = Vec::new();
    for c in v
        .get("candidates")
        .and_then(Value::as_array)
        .ok_or(format!("{}: no `candidates`", path.display()))?
    {
        let s = c.as_str().ok_or("a candidate is not a string")?;
        let parsed = rtc_sdp::attributes::Candidate::parse_init(s)
            .map_err(|e| format!("candidate {s:?}: {e}"))?;
        candidates.push(Candidate::from_sdp(&parsed).map_err(|e| format!("candidate {s:?}: {e}"))?);
    }
    Ok(Some((creds, candidates)))
}

struct Peer {
    args: Args,
    socket: UdpSocket,
    local: SocketAddr,
    agent: Agent,
    /// Our credentials and `--lite`: the rest of the signal file (the candidates are added
    /// when it is written).
    signal: Value,
    /// Waiting for `GatheringComplete` before writing the signal file.
    gathering: bool,
    gathered_at: Option<Instant>,
    signal_written: bool,
    /// The peer's candidates from its signal file.
    remote_candidates: Vec<Candidate>,
    /// XOR-MAPPED-ADDRESS of the success responses by their source: what each STUN server
    /// and the peer saw of our socket.
    mapped: BTreeMap<SocketAddr, SocketAddr>,
    /// Our requests by transaction, for `requests_to`.
    request_destinations: HashMap<TransactionId, SocketAddr>,
    /// Our requests (checks, gathering) per destination: (sent, answered).
    requests_to: BTreeMap<SocketAddr, (u64, u64)>,
    /// The peer's checks per source address.
    requests_from: BTreeMap<SocketAddr, u64>,
    /// `connected`, `failed`, `timeout` or `error`, once the run ended.
    outcome: &'static str,
    stats: Stats,
    start: Instant,
    events: Vec<String>,
    errors: Vec<String>,
    selected: Option<(SocketAddr, SocketAddr)>,
    checks_started: Option<Instant>,
    connected_at: Option<Instant>,
    sent: Vec<String>,
    received: Vec<String>,
    /// Data from an address other than the selected remote.
    stray: Vec<String>,
}

impl Peer {
    fn log(&self, line: &str) {
        if self.args.verbose {
            eprintln!("{:7.3} {line}", self.start.elapsed().as_secs_f64());
        }
    }

    fn flush(&mut self) -> Result<(), String> {
        while let Some(t) = self.agent.poll_transmit() {
            if self.is_turn_server(t.destination) {
                match Message::parse(&t.contents).map(|m| m.class()) {
                    Ok(Class::Request) => self.stats.turn_requests_sent += 1,
                    Ok(Class::Indication) => self.stats.turn_indications_sent += 1,
                    _ => self.stats.turn_channel_data_sent += 1,
                }
            } else if let Ok(m) = Message::parse(&t.contents) {
                match m.class() {
                    Class::Request if self.args.stun_servers.contains(&t.destination) => {
                        self.stats.gathering_sent += 1;
                        self.count_request(&m, t.destination);
                    }
                    Class::Request => {
                        self.stats.requests_sent += 1;
                        self.count_request(&m, t.destination);
                        self.stats.tie_breaker = self.stats.tie_breaker.or_else(|| {
                            m.attributes().find_map(|a| match a {
                                Attribute::IceControlling(t) | Attribute::IceControlled(t) => {
                                    Some(t)
                                }
                                _ => None,
                            })
                        });
                        if m.attributes().any(|a| matches!(a, Attribute::UseCandidate)) {
                            self.stats.use_candidate_sent += 1;
                        }
                        if self.connected_at.is_some() {
                            self.stats.consent_sent += 1;
                            self.stats.consent_tids.insert(m.transaction_id());
                        }
                    }
                    Class::Success => self.stats.success_sent += 1,
                    Class::Error => self.stats.errors_sent += 1,
                    Class::Indication => {}
                }
            }
            self.log(&format!("> {} {}", t.destination, describe(&t.contents)));
            self.socket
                .send_to(&t.contents, t.destination)
                .map_err(|e| format!("send to {}: {e}", t.destination))?;
        }
        Ok(())
    }

    fn is_turn_server(&self, addr: SocketAddr) -> bool {
        self.args
            .turn_server
            .as_ref()
            .is_some_and(|t| t.address == addr)
    }

    /// Whether our end of the selected pair is a relayed candidate (data then goes through
    /// the TURN server).
    fn relayed(&self) -> bool {
        self.agent
            .selected_candidates()
            .is_some_and(|(ours, _)| ours.kind == CandidateKind::Relayed)
    }

    fn count_request(&mut self, m: &Message<'_>, destination: SocketAddr) {
        self.requests_to.entry(destination).or_default().0 += 1;
        self.request_destinations
            .insert(m.transaction_id(), destination);
    }

    fn on_datagram(&mut self, now: Instant, from: SocketAddr, bytes: &[u8]) {
        self.log(&format!("< {from} {}", describe(bytes)));
        if self.is_turn_server(from) {
            // The TURN server's answers, Data indications and ChannelData: all the agent's.
            match Message::parse(bytes) {
                Ok(m) if m.class() == Class::Success => self.stats.turn_success_received += 1,
                Ok(m) if m.class() == Class::Error => self
                    .stats
                    .turn_errors_received
                    .push(m.error_code().map_or(0, |e| e.code)),
                _ => self.stats.turn_other_received += 1,
            }
            let dropped = self.agent.dropped();
            if !self.agent.handle_packet(now, self.local, from, bytes) {
                self.stray.push(format!(
                    "{:?} from the TURN server {from}, not taken by the agent",
                    String::from_utf8_lossy(bytes)
                ));
            } else if self.agent.dropped() > dropped {
                self.log(&format!(
                    "  (the agent dropped it: {} so far)",
                    self.agent.dropped()
                ));
            }
            while let Some((peer, data)) = self.agent.poll_relayed_data() {
                let text = String::from_utf8_lossy(&data).into_owned();
                self.log(&format!("  relayed data from {peer}: {text:?}"));
                self.stats.relayed_data_received += 1;
                if self.selected.is_some_and(|(_, remote)| remote == peer) {
                    self.received.push(text);
                } else {
                    self.stray
                        .push(format!("{text:?} from {peer} (through the relay)"));
                }
            }
            return;
        }
        if let Ok(m) = Message::parse(bytes) {
            match m.class() {
                Class::Request => {
                    self.stats.requests_received += 1;
                    if self.stats.first_peer_request.is_empty() {
                        self.stats.first_peer_request = attribute_names(&m);
                    }
                    if m.attributes().any(|a| matches!(a, Attribute::UseCandidate)) {
                        self.stats.use_candidate_received += 1;
                    }
                    if !m.has_fingerprint() {
                        self.stats.received_without_fingerprint += 1;
                    }
                    if !m.attributes().any(|a| matches!(a, Attribute::Priority(_))) {
                        self.stats.received_without_priority += 1;
                    }
                    if self.connected_at.is_some() {
                        self.stats.peer_checks_after_connect += 1;
                    }
                    *self.requests_from.entry(from).or_default() += 1;
                }
                Class::Success => {
                    self.stats.success_received += 1;
                    if let Some(to) = self.request_destinations.get(&m.transaction_id()) {
                        self.requests_to.entry(*to).or_default().1 += 1;
                    }
                    if let Some(mapped) = m.xor_mapped_address().or_else(|| m.mapped_address()) {
                        self.mapped.insert(from, mapped);
                    }
                    if self.stats.consent_tids.remove(&m.transaction_id()) {
                        self.stats.consent_answered += 1;
                    }
                }
                Class::Error => self
                    .stats
                    .errors_received
                    .push(m.error_code().map_or(0, |e| e.code)),
                Class::Indication => {}
            }
        }
        let dropped = self.agent.dropped();
        if !self.agent.handle_packet(now, self.local, from, bytes) {
            let text = String::from_utf8_lossy(bytes).into_owned();
            if self.selected.is_some_and(|(_, remote)| remote == from) {
                self.received.push(text);
            } else {
                self.stray.push(format!("{text:?} from {from}"));
            }
        } else if self.agent.dropped() > dropped {
            self.log(&format!(
                "  (the agent dropped it: {} so far)",
                self.agent.dropped()
            ));
        }
    }

    fn on_events(&mut self, now: Instant) {
        while let Some(e) = self.agent.poll_event() {
            self.log(&format!("event {e:?}"));
            self.events.push(format!("{e:?}"));
            match e {
                Event::SelectedPair { local, remote, .. } => {
                    if let Some(old) = self.selected
                        && old != (local, remote)
                    {
                        self.errors.push(format!(
                            "selected pair changed from {old:?} to {local} → {remote}"
                        ));
                    }
                    self.selected = Some((local, remote));
                }
                Event::GatheringComplete => {
                    self.gathering = false;
                    self.gathered_at = Some(now);
                }
                _ => {}
            }
        }
        if self.connected_at.is_none()
            && self.selected.is_some()
            && self.agent.state() == IceState::Connected
        {
            self.connected_at = Some(now);
        }
    }

    fn send_data(&mut self, what: &str) -> Result<(), String> {
        let Some((_, remote)) = self.selected else {
            return Ok(());
        };
        let text = format!("{} {what}", self.args.name);
        if self.relayed() {
            let t = self
                .agent
                .send_data(Instant::now(), text.as_bytes())
                .ok_or("send_data: the agent has no selected pair")?;
            self.log(&format!(
                "> {} data {text:?} to {remote} through the relay",
                t.destination
            ));
            self.socket
                .send_to(&t.contents, t.destination)
                .map_err(|e| format!("send relayed data to {}: {e}", t.destination))?;
            self.stats.relayed_data_sent += 1;
        } else {
            self.log(&format!("> {remote} data {text:?}"));
            self.socket
                .send_to(text.as_bytes(), remote)
                .map_err(|e| format!("send data to {remote}: {e}"))?;
        }
        self.sent.push(text);
        Ok(())
    }

    fn has_received(&self, what: &str) -> bool {
        let wanted = format!("{} {what}", self.args.peer);
        self.received.contains(&wanted)
    }

    /// Writes our signal file with every candidate gathered so far.
    fn write_signal(&mut self) -> Result<(), String> {
        let candidates: Vec<String> = self
            .agent
            .local_candidates()
            .iter()
            .map(|c| c.to_sdp().to_init_string())
            .collect();
        let mut signal = self.signal.clone();
        signal["candidates"] = json!(candidates);
        self.log(&format!("signal: {signal}"));
        write_signal(&self.args.signal_dir, &self.args.name, &signal)?;
        self.signal_written = true;
        Ok(())
    }

    /// Runs until the peer's `bye` arrived after our hold, the agent failed, or the deadline;
    /// sets `outcome` and returns the error that ended it.
    fn run(&mut self) -> Result<(), String> {
        let deadline = self.start + self.args.timeout;
        let mut have_remote = false;
        let mut buf = vec![0u8; 2048];
        self.outcome = "error";
        loop {
            let now = Instant::now();
            if now >= deadline {
                self.outcome = "timeout";
                return Err(format!(
                    "timed out after {:?} (state {:?}, {}selected {:?}, received {:?})",
                    self.args.timeout,
                    self.agent.state(),
                    if self.gathering {
                        "still gathering, "
                    } else {
                        ""
                    },
                    self.selected,
                    self.received
                ));
            }
            // Our candidates go out once gathering is over, then the peer's come in.
            if !self.signal_written && !self.gathering {
                self.write_signal()?;
            }
            if self.signal_written
                && !have_remote
                && let Some((creds, candidates)) =
                    read_signal(&self.args.signal_dir, &self.args.peer)?
            {
                have_remote = true;
                self.log(&format!(
                    "signal: the peer's ufrag {:?}, candidates {:?}",
                    creds.ufrag,
                    candidates
                        .iter()
                        .map(|c| c.to_sdp().to_init_string())
                        .collect::<Vec<_>>()
                ));
                self.checks_started = Some(now);
                self.agent.set_remote_credentials(now, creds);
                for c in &candidates {
                    self.agent.add_remote_candidate(now, c.clone());
                }
                self.remote_candidates = candidates;
                // The file holds all of the peer's candidates (it wrote it after gathering).
                self.agent.set_remote_end_of_candidates();
            }
            if self.agent.poll_timeout().is_some_and(|t| t <= now) {
                self.agent.handle_timeout(now);
            }
            self.flush()?;
            let was_connected = self.connected_at.is_some();
            self.on_events(now);
            if self.agent.state() == IceState::Failed {
                self.outcome = "failed";
                let when = self.start.elapsed().as_secs_f64();
                return Err(match self.connected_at {
                    Some(_) => format!("ICE state Failed after {when:.1} s: consent lost"),
                    None => format!(
                        "ICE state Failed after {when:.1} s: every pair failed and the peer's \
                         candidates ended ({} checks sent, {} answered, {} received from the \
                         peer)",
                        self.stats.requests_sent,
                        self.checks_answered(),
                        self.stats.requests_received
                    ),
                });
            }
            if !was_connected && self.connected_at.is_some() {
                self.send_data("hello")?;
            }
            if let Some(at) = self.connected_at {
                let hold_over = now >= at + self.args.hold;
                if hold_over && !self.sent.iter().any(|s| s.ends_with(" bye")) {
                    if self.agent.state() != IceState::Connected {
                        self.errors.push(format!(
                            "state {:?} at the end of the hold",
                            self.agent.state()
                        ));
                    }
                    self.send_data("bye")?;
                }
                if hold_over && self.has_received("hello") && self.has_received("bye") {
                    self.outcome = "connected";
                    return Ok(());
                }
            }
            let wake = self
                .agent
                .poll_timeout()
                .map_or(TICK, |t| t.saturating_duration_since(now))
                .clamp(Duration::from_millis(1), TICK);
            self.socket
                .set_read_timeout(Some(wake))
                .map_err(|e| format!("set_read_timeout: {e}"))?;
            match self.socket.recv_from(&mut buf) {
                Ok((n, from)) => {
                    let now = Instant::now();
                    let bytes = buf[..n].to_vec();
                    self.on_datagram(now, from, &bytes);
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                // A consent check to a peer that already closed its socket (ICMP unreachable).
                Err(e) if e.kind() == ErrorKind::ConnectionRefused => {
                    self.log(&format!("recv: {e}"));
                }
                Err(e) => return Err(format!("recv: {e}")),
            }
        }
    }

    /// The kind of our end of the selected pair and how the peer saw it: the candidate of ours
    /// at the XOR-MAPPED-ADDRESS of the peer's answers on the pair (RFC 8445 §7.2.5.3.1);
    /// `prflx` when that is none of ours. Without an answer (a lite agent sends no checks),
    /// the kind of the candidate at our base.
    fn local_kind(
        &self,
        local: SocketAddr,
        remote: SocketAddr,
    ) -> (&'static str, Option<SocketAddr>) {
        // Through the relay: our end is the relayed candidate (`selected_pair()` gives its
        // address), whatever the peer's answers (which came through the relay) say.
        if self.relayed() {
            return (CandidateKind::Relayed.as_str(), None);
        }
        let ours = |addr: SocketAddr| {
            self.agent
                .local_candidates()
                .iter()
                .find(|c| c.address == addr)
                .map(|c| c.kind.as_str())
        };
        match self.mapped.get(&remote) {
            Some(&mapped) => (
                ours(mapped).unwrap_or(CandidateKind::PeerReflexive.as_str()),
                Some(mapped),
            ),
            None => (ours(local).unwrap_or("?"), None),
        }
    }

    /// The kind of the peer's end of the selected pair: its signalled candidate at that
    /// address, or `prflx` (learned from its check, RFC 8445 §7.3.1.3).
    fn remote_kind(&self, remote: SocketAddr) -> &'static str {
        self.remote_candidates
            .iter()
            .find(|c| c.address == remote)
            .map_or(CandidateKind::PeerReflexive.as_str(), |c| c.kind.as_str())
    }

    /// Our checks (not gathering requests) that were answered.
    fn checks_answered(&self) -> u64 {
        self.requests_to
            .iter()
            .filter(|(to, _)| !self.args.stun_servers.contains(to) && !self.is_turn_server(**to))
            .map(|(_, (_, answered))| answered)
            .sum()
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
                    "no `{} {what}` from the selected remote",
                    self.args.peer
                ));
            }
        }
        if !self.stray.is_empty() {
            errors.push(format!("data from elsewhere: {:?}", self.stray));
        }
        let ms = |a: Option<Instant>, b: Option<Instant>| match (a, b) {
            (Some(a), Some(b)) => json!(b.saturating_duration_since(a).as_millis() as u64),
            _ => Value::Null,
        };
        let s = &self.stats;
        let sdp = |c: &Candidate| c.to_sdp().to_init_string();
        let requests_from: BTreeMap<String, u64> = self
            .requests_from
            .iter()
            .map(|(from, n)| (from.to_string(), *n))
            .collect();
        // What each STUN server saw of our socket.
        let gathered: BTreeMap<String, String> = self
            .args
            .stun_servers
            .iter()
            .filter_map(|s| Some((s.to_string(), self.mapped.get(s)?.to_string())))
            .collect();
        let requests_to: BTreeMap<String, Value> = self
            .requests_to
            .iter()
            .map(|(to, (sent, answered))| {
                (to.to_string(), json!({"sent": sent, "answered": answered}))
            })
            .collect();
        let selected = self.selected.map(|(l, r)| {
            let (local_kind, local_mapped) = self.local_kind(l, r);
            json!({
                "local": l.to_string(),
                "remote": r.to_string(),
                "local_kind": local_kind,
                "local_mapped": local_mapped.map(|a| a.to_string()),
                "remote_kind": self.remote_kind(r),
            })
        });
        json!({
            "ok": errors.is_empty(),
            "outcome": self.outcome,
            "errors": errors,
            "role": if self.agent.is_controlling() { "controlling" } else { "controlled" },
            "state": format!("{:?}", self.agent.state()),
            "local": self.local.to_string(),
            "candidate": self.agent.local_candidates().first().map(sdp),
            "candidates": self.agent.local_candidates().iter().map(sdp).collect::<Vec<_>>(),
            "remote_candidates": self.remote_candidates.iter().map(sdp).collect::<Vec<_>>(),
            "gathering": {
                "servers": self.args.stun_servers.iter().map(ToString::to_string).collect::<Vec<_>>(),
                "mapped": gathered,
                "complete_ms": ms(Some(self.start), self.gathered_at),
            },
            "selected": selected,
            "connected_ms": ms(self.checks_started, self.connected_at),
            "elapsed_ms": self.start.elapsed().as_millis() as u64,
            "sent": self.sent,
            "received": self.received,
            "dropped": self.agent.dropped(),
            "tie_breaker": s.tie_breaker.map(|t| format!("{t:016x}")),
            "requests_to": requests_to,
            "requests_from": requests_from,
            "turn": {
                "server": self.args.turn_server.as_ref().map(|t| t.address.to_string()),
                "relayed": self
                    .agent
                    .local_candidates()
                    .iter()
                    .filter(|c| c.kind == CandidateKind::Relayed)
                    .map(|c| c.address.to_string())
                    .collect::<Vec<_>>(),
                "requests_sent": s.turn_requests_sent,
                "indications_sent": s.turn_indications_sent,
                "channel_data_sent": s.turn_channel_data_sent,
                "success_received": s.turn_success_received,
                "errors_received": s.turn_errors_received,
                "other_received": s.turn_other_received,
                "data_sent": s.relayed_data_sent,
                "data_received": s.relayed_data_received,
            },
            "stun": {
                "gathering_sent": s.gathering_sent,
                "requests_sent": s.requests_sent,
                "use_candidate_sent": s.use_candidate_sent,
                "requests_received": s.requests_received,
                "use_candidate_received": s.use_candidate_received,
                "received_without_fingerprint": s.received_without_fingerprint,
                "received_without_priority": s.received_without_priority,
                "success_sent": s.success_sent,
                "errors_sent": s.errors_sent,
                "success_received": s.success_received,
                "errors_received": s.errors_received,
                "consent_sent": s.consent_sent,
                "consent_answered": s.consent_answered,
                "peer_checks_after_connect": s.peer_checks_after_connect,
                "first_peer_request": s.first_peer_request,
            },
            "events": self.events,
        })
    }
}

fn main() {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("ice_peer: {e}");
            std::process::exit(2);
        }
    };
    let start = Instant::now();
    let socket = match UdpSocket::bind(args.local) {
        Ok(s) => s,
        Err(e) => {
            println!(
                "RESULT {}",
                json!({"ok": false, "errors": [format!("bind {}: {e}", args.local)]})
            );
            std::process::exit(1);
        }
    };
    let local = socket.local_addr().expect("a bound socket has an address");
    if args.lite && args.controlling {
        eprintln!("ice_peer: an ICE lite agent is controlled (RFC 8445 §6.1.1)");
        std::process::exit(2);
    }
    if args.lite && (!args.stun_servers.is_empty() || args.turn_server.is_some()) {
        eprintln!("ice_peer: an ICE lite agent has host candidates only (RFC 8445 §2.5)");
        std::process::exit(2);
    }
    let mut config = if args.lite {
        Config::lite()
    } else {
        Config::new(args.controlling)
    };
    if let Some(interval) = args.consent_interval {
        config.consent_interval = interval;
    }
    config.stun_servers = args.stun_servers.clone();
    config.turn_servers = args.turn_server.iter().cloned().collect();
    // The agent gathers from the servers of the host candidate's family only.
    let gathering = args
        .stun_servers
        .iter()
        .chain(args.turn_server.as_ref().map(|t| &t.address))
        .any(|s| s.is_ipv4() == local.is_ipv4());
    let creds = Credentials::random(config.provider);
    let mut agent = Agent::new(config, creds.clone());
    // With STUN servers, this also queues the gathering requests.
    agent.add_local_candidate(start, Candidate::host(local, 65535, 1));
    let signal = json!({
        "ufrag": creds.ufrag,
        "pwd": creds.pwd,
        "lite": args.lite,
    });
    let mut peer = Peer {
        socket,
        local,
        agent,
        signal,
        gathering,
        gathered_at: None,
        signal_written: false,
        remote_candidates: Vec::new(),
        mapped: BTreeMap::new(),
        request_destinations: HashMap::new(),
        requests_to: BTreeMap::new(),
        requests_from: BTreeMap::new(),
        outcome: "error",
        stats: Stats::default(),
        start,
        events: Vec::new(),
        errors: Vec::new(),
        selected: None,
        checks_started: None,
        connected_at: None,
        sent: Vec::new(),
        received: Vec::new(),
        stray: Vec::new(),
        args,
    };
    peer.log(&format!(
        "bound {local}{}",
        if gathering {
            format!(", gathering from {:?}", peer.args.stun_servers)
        } else {
            String::new()
        }
    ));
    let outcome = peer.run();
    let result = peer.result(outcome);
    let ok = result.get("ok") == Some(&Value::Bool(true));
    println!("RESULT {result}");
    std::process::exit(if ok { 0 } else { 1 });
}
