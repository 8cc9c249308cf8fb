//! The Rust peer of `cargo xtask interop datachannel` (interop/datachannel/README.md): one
//! peer connection on 127.0.0.1 that runs the data channel scenario against another stack,
//! signalling with one JSON object per line on stdin and stdout (the xtask relays the lines
//! between the two sides). Logs go to stderr.
//!
//! ```text
//! dc_interop --offer|--answer [--big BYTES] [--timeout SECONDS]
//! ```
//!
//! The lines, in both directions:
//! - `{"type":"offer","sdp":"..."}`, `{"type":"answer","sdp":"..."}`;
//! - `{"type":"candidate","candidate":{"candidate":"...","sdpMid":"0","sdpMLineIndex":0,
//!   "usernameFragment":"..."}}`, an empty `candidate` (or `null`) for end-of-candidates;
//! - `{"type":"complete"}`: every message of this side was echoed back intact and every message
//!   of the peer arrived intact (and was echoed);
//! - `{"type":"done","ok":true|false,"detail":"...","errors":[...]}`: the last line of a side.
//!
//! The scenario: the offerer creates two in-band channels, `ordered` (ordered, reliable) and
//! `unordered` (unordered, reliable); both sides create `negotiated` (negotiated, id 5). On
//! each channel each side sends a text and a binary message of 1 B, 16 KiB and `--big` bytes
//! (256 KiB, or a peer's smaller `a=max-message-size`), the first byte `R` from us and `P`
//! from the peer and the rest a fixed pattern; each side echoes the peer's messages back and
//! compares both what it receives and what comes back byte for byte. Once both sides said
//! `complete`, the offerer closes the three channels and both sides must see every channel
//! close. Then each side prints `done` and waits for stdin to end before it closes the peer
//! connection.
#![allow(clippy::disallowed_methods)] // a binary with a clock

use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtc::{
    PeerConnectionEvent, RTCConfiguration, RTCDataChannel, RTCDataChannelInit, RTCIceCandidateInit,
    RTCPeerConnection, RTCPeerConnectionState, RTCSdpType, RTCSessionDescription,
};
use serde_json::{Value, json};
use tokio::sync::{mpsc, watch};

/// The negotiated channel's id (both sides create it).
const NEGOTIATED_ID: u16 = 5;
/// What our messages start with; the peer's start with `P`.
const OURS: u8 = b'R';
const THEIRS: u8 = b'P';
/// How long to wait for stdin to end after `done`.
const LINGER: Duration = Duration::from_secs(10);

/// The channels of the scenario: label, ordered, negotiated id.
const CHANNELS: [(&str, bool, Option<u16>); 3] = [
    ("ordered", true, None),
    ("unordered", false, None),
    ("negotiated", true, Some(NEGOTIATED_ID)),
];

/// The message `origin` sends of this kind: `origin`, then `a`..`z` repeated (text) or
/// `(7 i + 3) mod 256` (binary, every byte value, not UTF-8).
fn message(origin: u8, is_string: bool, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| match (i, is_string) {
            (0, _) => origin,
            (i, true) => b'a' + (i % 26) as u8,
            (i, false) => ((i * 7 + 3) & 0xff) as u8,
        })
        .collect()
}

/// The kinds each side sends on each channel, in order: (text?, length).
fn kinds(big: usize) -> Vec<(bool, usize)> {
    let sizes = [1, 16 * 1024, big];
    [true, false]
        .into_iter()
        .flat_map(|s| sizes.map(|len| (s, len)))
        .collect()
}

fn kind_name((is_string, len): (bool, usize)) -> String {
    format!("{} {len} B", if is_string { "text" } else { "binary" })
}

struct Args {
    offer: bool,
    big: usize,
    timeout: Duration,
}

fn parse_args() -> Result<Args, String> {
    let mut offer = None;
    let mut big = 256 * 1024;
    let mut timeout = Duration::from_secs(50);
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--offer" => offer = Some(true),
            "--answer" => offer = Some(false),
            "--big" => {
                big = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&b| b > 16 * 1024)
                    .ok_or("--big needs a size above 16384")?;
            }
            "--timeout" => {
                timeout = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .map(Duration::from_secs_f64)
                    .ok_or("--timeout needs seconds")?;
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        offer: offer
            .ok_or("usage: dc_interop --offer|--answer [--big BYTES] [--timeout SECONDS]")?,
        big,
        timeout,
    })
}

/// Milliseconds since the start, for the log.
fn log(start: Instant, text: &str) {
    eprintln!("[{:7.3}] {text}", start.elapsed().as_secs_f64());
}

fn signal(value: &Value) {
    // Rust's stdout is line-buffered: one line, one write.
    println!("{value}");
}

/// What the tasks tell the scenario.
enum Note {
    Line(String),
    StdinClosed,
    Event(PeerConnectionEvent),
    /// A channel's checks are all done (its summary), or one failed.
    Complete(&'static str),
    Error(String),
    /// The channel is closed; whether its checks were complete when it closed.
    Closed(&'static str, bool),
}

/// One channel's checks.
struct Check {
    label: &'static str,
    ordered: bool,
    kinds: Vec<(bool, usize)>,
    /// Our messages that came back intact.
    echoed: BTreeSet<(bool, usize)>,
    /// The peer's messages that arrived intact, in arrival order.
    received: Vec<(bool, usize)>,
}

impl Check {
    fn new(label: &'static str, ordered: bool, big: usize) -> Self {
        Self {
            label,
            ordered,
            kinds: kinds(big),
            echoed: BTreeSet::new(),
            received: Vec::new(),
        }
    }

    /// Checks a message: `Ok(true)` when it is the peer's and must be echoed.
    fn on_message(&mut self, is_string: bool, data: &[u8]) -> Result<bool, String> {
        let kind = (is_string, data.len());
        let what = format!("{}: {}", self.label, kind_name(kind));
        if !self.kinds.contains(&kind) {
            return Err(format!("{what}: no message of this kind was expected"));
        }
        let origin = *data.first().unwrap_or(&0);
        let expected = message(origin, is_string, data.len());
        if origin != OURS && origin != THEIRS {
            return Err(format!("{what}: starts with byte {origin:#04x}"));
        }
        if let Some(at) = data.iter().zip(&expected).position(|(a, b)| a != b) {
            return Err(format!(
                "{what} from {}: byte {at} is {:#04x}, expected {:#04x}",
                if origin == OURS {
                    "us (echo)"
                } else {
                    "the peer"
                },
                data[at],
                expected[at]
            ));
        }
        if origin == OURS {
            if !self.echoed.insert(kind) {
                return Err(format!("{what}: echoed twice"));
            }
            Ok(false)
        } else {
            if self.received.contains(&kind) {
                return Err(format!("{what}: the peer's message arrived twice"));
            }
            self.received.push(kind);
            if self.ordered
                && self.received.len() == self.kinds.len()
                && self.received != self.kinds
            {
                return Err(format!(
                    "{}: ordered channel delivered the peer's messages as {:?}",
                    self.label,
                    self.received
                        .iter()
                        .map(|k| kind_name(*k))
                        .collect::<Vec<_>>()
                ));
            }
            Ok(true)
        }
    }

    fn complete(&self) -> bool {
        self.echoed.len() == self.kinds.len() && self.received.len() == self.kinds.len()
    }

    fn progress(&self) -> String {
        format!(
            "{}: {}/{} echoed back, {}/{} of the peer's received",
            self.label,
            self.echoed.len(),
            self.kinds.len(),
            self.received.len(),
            self.kinds.len()
        )
    }
}

/// Runs one channel: sends our messages once it is open, checks and echoes what arrives,
/// closes it when told to, and reports its end.
async fn run_channel(
    mut dc: RTCDataChannel,
    label: &'static str,
    ordered: bool,
    big: usize,
    notes: mpsc::UnboundedSender<Note>,
    mut close: watch::Receiver<bool>,
    progress: watch::Sender<String>,
) {
    if let Err(e) = dc.opened().await {
        let _ = notes.send(Note::Error(format!("{label}: did not open: {e}")));
        let _ = notes.send(Note::Closed(label, false));
        return;
    }
    let sender = dc.sender();
    let sending = {
        let notes = notes.clone();
        tokio::spawn(async move {
            for (is_string, len) in kinds(big) {
                let data = message(OURS, is_string, len);
                let sent = if is_string {
                    let text = String::from_utf8(data).unwrap_or_default();
                    sender.send_text(&text).await
                } else {
                    sender.send(data).await
                };
                if let Err(e) = sent {
                    let what = kind_name((is_string, len));
                    let _ = notes.send(Note::Error(format!("{label}: sending {what}: {e}")));
                    return;
                }
            }
        })
    };
    let mut check = Check::new(label, ordered, big);
    let mut closing = false;
    loop {
        tokio::select! {
            m = dc.recv() => {
                let Some(m) = m else { break };
                match check.on_message(m.is_string, &m.data) {
                    Ok(true) => {
                        let echoed = if m.is_string {
                            dc.send_text(&m.text()).await
                        } else {
                            dc.send(m.data.clone()).await
                        };
                        if let Err(e) = echoed {
                            let _ = notes.send(Note::Error(format!("{label}: echo: {e}")));
                        }
                    }
                    Ok(false) => {}
                    Err(e) => {
                        let _ = notes.send(Note::Error(e));
                    }
                }
                let _ = progress.send(check.progress());
                if check.complete() {
                    let _ = notes.send(Note::Complete(label));
                }
            }
            changed = close.changed(), if !closing => {
                if changed.is_err() || *close.borrow() {
                    closing = true;
                    dc.close();
                }
            }
        }
    }
    sending.abort();
    let _ = notes.send(Note::Closed(label, check.complete()));
}

/// The remote description's `a=max-message-size` (RFC 8841 §6: 65536 when absent, 0 = any).
fn max_message_size(sdp: &str) -> usize {
    sdp.lines()
        .find_map(|l| l.trim().strip_prefix("a=max-message-size:"))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(65536)
}

#[derive(Default)]
struct Outcome {
    errors: Vec<String>,
    facts: Vec<String>,
}

struct Scenario {
    args: Args,
    start: Instant,
    pc: Arc<RTCPeerConnection>,
    notes_tx: mpsc::UnboundedSender<Note>,
    close_tx: watch::Sender<bool>,
    progress: BTreeMap<&'static str, watch::Receiver<String>>,
    channels: BTreeSet<&'static str>,
    complete: BTreeSet<&'static str>,
    closed: BTreeMap<&'static str, bool>,
    we_complete: bool,
    peer_complete: bool,
    close_sent: bool,
    connected: Option<Duration>,
    completed_at: Option<Duration>,
    stdin_closed: bool,
    out: Outcome,
}

impl Scenario {
    fn spawn_channel(&mut self, dc: RTCDataChannel, label: &'static str, ordered: bool) {
        if !self.channels.insert(label) {
            self.out.errors.push(format!("a second channel `{label}`"));
            return;
        }
        let (progress_tx, progress_rx) = watch::channel(format!("{label}: open not seen"));
        self.progress.insert(label, progress_rx);
        tokio::spawn(run_channel(
            dc,
            label,
            ordered,
            self.args.big,
            self.notes_tx.clone(),
            self.close_tx.subscribe(),
            progress_tx,
        ));
    }

    async fn create_channel(&mut self, label: &'static str, ordered: bool, id: Option<u16>) {
        let init = RTCDataChannelInit {
            ordered,
            negotiated: id,
            ..RTCDataChannelInit::default()
        };
        match self.pc.create_data_channel(label, init).await {
            Ok(dc) => self.spawn_channel(dc, label, ordered),
            Err(e) => self
                .out
                .errors
                .push(format!("createDataChannel({label}): {e}")),
        }
    }

    fn check_max_message_size(&mut self, sdp: &str) {
        let max = max_message_size(sdp);
        self.out
            .facts
            .push(format!("peer's a=max-message-size {max}"));
        if max != 0 && max < self.args.big {
            self.out.errors.push(format!(
                "the peer takes messages up to {max} bytes, the scenario sends {}",
                self.args.big
            ));
        }
    }

    async fn on_line(&mut self, line: &str) -> Result<(), String> {
        let value: Value =
            serde_json::from_str(line).map_err(|e| format!("bad signalling line {line:?}: {e}"))?;
        match value.get("type").and_then(Value::as_str) {
            Some("offer") if !self.args.offer => {
                let offer: RTCSessionDescription =
                    serde_json::from_value(value).map_err(|e| format!("bad offer: {e}"))?;
                self.check_max_message_size(&offer.sdp);
                self.pc
                    .set_remote_description(offer)
                    .await
                    .map_err(|e| format!("setRemoteDescription(offer): {e}"))?;
                let answer = self
                    .pc
                    .create_answer()
                    .await
                    .map_err(|e| format!("createAnswer: {e}"))?;
                self.pc
                    .set_local_description(answer.clone())
                    .await
                    .map_err(|e| format!("setLocalDescription(answer): {e}"))?;
                signal(&serde_json::to_value(&answer).map_err(|e| e.to_string())?);
                log(self.start, "answered");
                self.create_channel("negotiated", true, Some(NEGOTIATED_ID))
                    .await;
            }
            Some("answer") if self.args.offer => {
                let answer: RTCSessionDescription =
                    serde_json::from_value(value).map_err(|e| format!("bad answer: {e}"))?;
                if answer.sdp_type != RTCSdpType::Answer {
                    return Err("the answer is not of type answer".to_owned());
                }
                self.check_max_message_size(&answer.sdp);
                self.pc
                    .set_remote_description(answer)
                    .await
                    .map_err(|e| format!("setRemoteDescription(answer): {e}"))?;
                log(self.start, "answer set");
            }
            Some("candidate") => {
                let candidate = match value.get("candidate") {
                    None | Some(Value::Null) => RTCIceCandidateInit {
                        candidate: String::new(),
                        sdp_mid: None,
                        sdp_m_line_index: None,
                        username_fragment: None,
                    },
                    Some(c) => serde_json::from_value(c.clone())
                        .map_err(|e| format!("bad candidate {c}: {e}"))?,
                };
                // A candidate we cannot use (TCP, IPv6 without an address of ours) is
                // refused; so do browsers, and the others may still work.
                if let Err(e) = self.pc.add_ice_candidate(candidate.clone()).await {
                    log(
                        self.start,
                        &format!("addIceCandidate({:?}): {e}", candidate.candidate),
                    );
                }
            }
            Some("complete") => {
                log(self.start, "the peer is complete");
                self.peer_complete = true;
            }
            Some("done") => log(self.start, &format!("the peer is done: {value}")),
            _ => return Err(format!("unexpected signalling line {line}")),
        }
        Ok(())
    }

    fn on_event(&mut self, event: PeerConnectionEvent) {
        match event {
            PeerConnectionEvent::IceCandidate(c) => {
                signal(&json!({ "type": "candidate", "candidate": c }));
            }
            PeerConnectionEvent::DataChannel(dc) => {
                let label = match dc.label() {
                    "ordered" => "ordered",
                    "unordered" => "unordered",
                    other => {
                        self.out
                            .errors
                            .push(format!("unexpected in-band channel `{other}`"));
                        return;
                    }
                };
                log(self.start, &format!("datachannel `{label}`"));
                if self.args.offer {
                    self.out
                        .errors
                        .push(format!("the answerer opened channel `{label}`"));
                }
                self.spawn_channel(dc, label, label == "ordered");
            }
            PeerConnectionEvent::ConnectionStateChange(s) => {
                log(self.start, &format!("connection state {s:?}"));
                match s {
                    RTCPeerConnectionState::Connected if self.connected.is_none() => {
                        self.connected = Some(self.start.elapsed());
                    }
                    RTCPeerConnectionState::Failed => {
                        self.out.errors.push("the connection failed".to_owned());
                    }
                    RTCPeerConnectionState::Closed if self.closed.len() < CHANNELS.len() => {
                        self.out
                            .errors
                            .push("the connection closed before the channels".to_owned());
                    }
                    _ => {}
                }
            }
            PeerConnectionEvent::IceConnectionStateChange(s) => {
                log(self.start, &format!("ICE state {s:?}"));
            }
            _ => {}
        }
    }

    fn maybe_close(&mut self) {
        if self.args.offer && self.we_complete && self.peer_complete && !self.close_sent {
            self.close_sent = true;
            log(self.start, "both sides complete: closing the channels");
            let _ = self.close_tx.send(true);
        }
    }

    /// Runs until every channel has closed, a check failed or the time is up.
    async fn run(&mut self, notes: &mut mpsc::UnboundedReceiver<Note>) -> bool {
        if self.args.offer {
            for (label, ordered, id) in CHANNELS {
                self.create_channel(label, ordered, id).await;
            }
            match self.pc.create_offer().await {
                Ok(offer) => {
                    if let Err(e) = self.pc.set_local_description(offer.clone()).await {
                        self.out
                            .errors
                            .push(format!("setLocalDescription(offer): {e}"));
                        return false;
                    }
                    signal(&serde_json::to_value(&offer).unwrap_or_default());
                }
                Err(e) => {
                    self.out.errors.push(format!("createOffer: {e}"));
                    return false;
                }
            }
        }
        let deadline = tokio::time::sleep(self.args.timeout);
        tokio::pin!(deadline);
        loop {
            if !self.out.errors.is_empty() {
                return false;
            }
            if self.closed.len() == CHANNELS.len() {
                return true;
            }
            let note = tokio::select! {
                n = notes.recv() => n,
                () = &mut deadline => {
                    self.out.errors.push(format!(
                        "timed out after {} s",
                        self.args.timeout.as_secs_f64()
                    ));
                    return false;
                }
            };
            let Some(note) = note else { return false };
            match note {
                Note::Line(line) => {
                    if let Err(e) = self.on_line(&line).await {
                        self.out.errors.push(e);
                    }
                }
                Note::StdinClosed => {
                    self.stdin_closed = true;
                    log(self.start, "stdin closed");
                }
                Note::Event(e) => self.on_event(e),
                Note::Complete(label) => {
                    self.complete.insert(label);
                    if self.complete.len() == CHANNELS.len() && !self.we_complete {
                        self.we_complete = true;
                        self.completed_at = Some(self.start.elapsed());
                        log(self.start, "every channel is complete");
                        signal(&json!({ "type": "complete" }));
                    }
                }
                Note::Error(e) => self.out.errors.push(e),
                Note::Closed(label, complete) => {
                    log(self.start, &format!("channel `{label}` closed"));
                    // (The peer's `complete` line may come after its close: the relay is
                    // slower than the network.)
                    if !complete {
                        self.out
                            .errors
                            .push(format!("`{label}` closed before its messages were done"));
                    }
                    self.closed.insert(label, complete);
                }
            }
            self.maybe_close();
        }
    }

    fn report(&mut self, ok: bool) -> Value {
        if !ok {
            // Where each channel stood.
            for label in CHANNELS.map(|c| c.0) {
                match self.progress.get(label) {
                    Some(p) => self.out.facts.push(p.borrow().clone()),
                    None => self.out.facts.push(format!("{label}: never seen")),
                }
            }
            if !self.we_complete {
                self.out.facts.push("we were not complete".to_owned());
            }
            if !self.peer_complete {
                self.out
                    .facts
                    .push("the peer never said complete".to_owned());
            }
        }
        let secs =
            |d: Option<Duration>| d.map_or("-".to_owned(), |d| format!("{:.2} s", d.as_secs_f64()));
        let detail = format!(
            "connected after {}, messages done after {}, {} channels closed by {} after {:.2} s; {}",
            secs(self.connected),
            secs(self.completed_at),
            self.closed.len(),
            if self.args.offer { "us" } else { "the peer" },
            self.start.elapsed().as_secs_f64(),
            self.out.facts.join("; ")
        );
        json!({ "type": "done", "ok": ok && self.out.errors.is_empty(), "detail": detail, "errors": self.out.errors })
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let start = Instant::now();
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let config = RTCConfiguration {
        bind_ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        ..RTCConfiguration::default()
    };
    let pc = match RTCPeerConnection::new(config).await {
        Ok(pc) => Arc::new(pc),
        Err(e) => {
            signal(
                &json!({ "type": "done", "ok": false, "errors": [format!("RTCPeerConnection: {e}")] }),
            );
            return ExitCode::FAILURE;
        }
    };
    log(
        start,
        &format!(
            "{} on {}",
            if args.offer { "offerer" } else { "answerer" },
            pc.local_addr()
        ),
    );
    let (notes_tx, mut notes) = mpsc::unbounded_channel();
    {
        let notes = notes_tx.clone();
        // A plain thread: the workspace's tokio has no `io-std`.
        std::thread::spawn(move || {
            for line in std::io::stdin().lines() {
                let Ok(line) = line else { break };
                if !line.trim().is_empty() && notes.send(Note::Line(line)).is_err() {
                    return;
                }
            }
            let _ = notes.send(Note::StdinClosed);
        });
    }
    {
        let notes = notes_tx.clone();
        let pc = pc.clone();
        tokio::spawn(async move {
            while let Some(e) = pc.next_event().await {
                if notes.send(Note::Event(e)).is_err() {
                    return;
                }
            }
        });
    }
    let (close_tx, _) = watch::channel(false);
    let mut scenario = Scenario {
        args,
        start,
        pc: pc.clone(),
        notes_tx,
        close_tx,
        progress: BTreeMap::new(),
        channels: BTreeSet::new(),
        complete: BTreeSet::new(),
        closed: BTreeMap::new(),
        we_complete: false,
        peer_complete: false,
        close_sent: false,
        connected: None,
        completed_at: None,
        stdin_closed: false,
        out: Outcome::default(),
    };
    let ok = scenario.run(&mut notes).await;
    if let Ok(stats) = pc.get_stats().await {
        for pair in stats.of_kind("candidate-pair") {
            log(start, &format!("candidate pair {pair:?}"));
        }
    }
    let report = scenario.report(ok);
    let ok = report["ok"] == Value::Bool(true);
    log(start, &format!("done: {report}"));
    signal(&report);
    // Keep the connection up until the xtask has both sides' results (it closes stdin).
    let linger = tokio::time::sleep(LINGER);
    tokio::pin!(linger);
    while !scenario.stdin_closed {
        tokio::select! {
            n = notes.recv() => match n {
                Some(Note::StdinClosed) | None => break,
                _ => {}
            },
            () = &mut linger => break,
        }
    }
    pc.close().await;
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
