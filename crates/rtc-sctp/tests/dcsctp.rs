//! Interop in memory with `dcsctp` (the Rust port of dcSCTP, the SCTP inside Chromium, by
//! its authors): handshakes either way, messages both ways (fragmented, ordered and
//! unordered), stream resets either way, shutdown either way, and data through loss.
//! `cargo xtask interop sctp` runs this file and reports its `DCSCTP` lines.

#![allow(clippy::disallowed_methods)]

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dcsctp::api::{
    DcSctpSocket, Message as DcMessage, Options, PpId, SendOptions as DcSendOptions, Socket,
    SocketEvent, SocketState, SocketTime, StreamId,
    ZERO_CHECKSUM_ALTERNATE_ERROR_DETECTION_METHOD_LOWER_LAYER_DTLS,
};
use rtc_sctp::{Association, CloseReason, Config, Event, SendOptions, State};

/// The two ends and the wire between them, on virtual time.
struct Pair {
    ours: Association,
    theirs: Socket,
    epoch: Instant,
    now: Instant,
    /// (arrival, to_theirs, packet)
    wire: VecDeque<(Instant, bool, Vec<u8>)>,
    delay: Duration,
    loss_per_mille: u64,
    rng: u64,
    our_events: Vec<Event>,
    their_events: Vec<SocketEvent>,
    their_messages: Vec<DcMessage>,
}

impl Pair {
    fn new(loss_per_mille: u64) -> Self {
        Self::with_options(
            loss_per_mille,
            Options {
                mtu: 1188,
                ..Options::default()
            },
        )
    }

    fn with_options(loss_per_mille: u64, options: Options) -> Self {
        let now = Instant::now();
        Self {
            ours: Association::new(Arc::new(Config::new()), now),
            theirs: Socket::new("dcsctp", &options),
            epoch: now,
            now,
            wire: VecDeque::new(),
            delay: Duration::from_millis(10),
            loss_per_mille,
            rng: 0x2545_F491_4F6C_DD1D,
            our_events: Vec::new(),
            their_events: Vec::new(),
            their_messages: Vec::new(),
        }
    }

    fn lost(&mut self) -> bool {
        self.rng ^= self.rng << 13;
        self.rng ^= self.rng >> 7;
        self.rng ^= self.rng << 17;
        self.rng % 1000 < self.loss_per_mille
    }

    fn their_time(&self) -> SocketTime {
        SocketTime::zero() + (self.now - self.epoch)
    }

    fn flush(&mut self) {
        let mut buf = vec![0u8; 2048];
        while let Some(n) = self.ours.poll_transmit(self.now, &mut buf) {
            if !self.lost() {
                self.wire
                    .push_back((self.now + self.delay, true, buf[..n].to_vec()));
            }
        }
        while let Some(e) = self.ours.poll_event() {
            self.our_events.push(e);
        }
        while let Some(e) = self.theirs.poll_event() {
            match e {
                SocketEvent::SendPacket(p) => {
                    if !self.lost() {
                        self.wire.push_back((self.now + self.delay, false, p));
                    }
                }
                other => self.their_events.push(other),
            }
        }
        while let Some(m) = self.theirs.get_next_message() {
            self.their_messages.push(m);
        }
    }

    fn step(&mut self) -> bool {
        self.flush();
        let theirs = self.theirs.poll_timeout();
        let theirs = (theirs != SocketTime::infinite_future())
            .then(|| self.epoch + (theirs - SocketTime::zero()));
        let next = [
            self.wire.front().map(|w| w.0),
            self.ours.poll_timeout(),
            theirs,
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else { return false };
        self.now = self.now.max(next);
        self.theirs.advance_time(self.their_time());
        while self.wire.front().is_some_and(|w| w.0 <= self.now) {
            let (_, to_theirs, p) = self.wire.pop_front().expect("front");
            if to_theirs {
                self.theirs.handle_input(&p);
            } else {
                self.ours.handle_packet(self.now, &p);
            }
        }
        if self.ours.poll_timeout().is_some_and(|t| t <= self.now) {
            self.ours.handle_timeout(self.now);
        }
        self.flush();
        true
    }

    fn run_until(&mut self, what: &str, mut done: impl FnMut(&mut Self) -> bool) {
        let end = self.now + Duration::from_secs(300);
        while !done(self) {
            assert!(
                self.now < end && self.step(),
                "{what}: stalled; ours {:?}, dcsctp {:?}",
                self.ours,
                self.theirs.state()
            );
        }
    }

    fn connected(&mut self) {
        self.run_until("handshake", |p| {
            p.ours.is_established() && p.theirs.state() == SocketState::Connected
        });
    }

    fn our_messages(&mut self) -> Vec<rtc_sctp::Message> {
        let mut out = Vec::new();
        self.our_events.retain(|e| match e {
            Event::Message(m) => {
                out.push(m.clone());
                false
            }
            _ => true,
        });
        out
    }
}

fn payload(seed: u32, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (i as u32).wrapping_mul(7).wrapping_add(seed) as u8)
        .collect()
}

const SIZES: [usize; 7] = [1, 100, 1160, 1200, 5000, 65_536, 200_000];

/// Messages of every size both ways, ordered on stream 1 and unordered on stream 2.
fn exchange(p: &mut Pair) -> (usize, usize) {
    let now = p.now;
    p.theirs.advance_time(p.their_time());
    for (i, &len) in SIZES.iter().enumerate() {
        p.ours
            .send(now, 1, 53, payload(i as u32, len), &SendOptions::default())
            .expect("ours: send");
        p.ours
            .send(
                now,
                2,
                51,
                payload(100 + i as u32, len),
                &SendOptions {
                    unordered: true,
                    ..SendOptions::default()
                },
            )
            .expect("ours: send unordered");
        p.theirs
            .send(
                DcMessage::new(StreamId(1), PpId(53), payload(200 + i as u32, len)),
                &DcSendOptions::default(),
            )
            .expect("dcsctp: send");
        p.theirs
            .send(
                DcMessage::new(StreamId(2), PpId(51), payload(300 + i as u32, len)),
                &DcSendOptions {
                    unordered: true,
                    ..DcSendOptions::default()
                },
            )
            .expect("dcsctp: send unordered");
    }
    let mut ours = Vec::new();
    let n = SIZES.len() * 2;
    p.run_until("data", |p| {
        ours.extend(p.our_messages());
        ours.len() == n && p.their_messages.len() == n
    });
    // Ordered stream: in order; unordered stream: the same set.
    let mut ordered_ours: Vec<_> = ours
        .iter()
        .filter(|m| m.stream == 1)
        .map(|m| m.data.to_vec())
        .collect();
    let expect: Vec<_> = SIZES
        .iter()
        .enumerate()
        .map(|(i, &l)| payload(200 + i as u32, l))
        .collect();
    assert_eq!(ordered_ours, expect, "dcsctp → ours, ordered");
    let mut unordered: Vec<_> = ours
        .iter()
        .filter(|m| m.stream == 2)
        .map(|m| m.data.to_vec())
        .collect();
    let mut expect_u: Vec<_> = SIZES
        .iter()
        .enumerate()
        .map(|(i, &l)| payload(300 + i as u32, l))
        .collect();
    unordered.sort();
    expect_u.sort();
    assert_eq!(unordered, expect_u, "dcsctp → ours, unordered");
    assert!(
        ours.iter()
            .all(|m| m.ppid == if m.stream == 1 { 53 } else { 51 })
    );
    let theirs: Vec<_> = p.their_messages.drain(..).collect();
    let ordered_theirs: Vec<_> = theirs
        .iter()
        .filter(|m| m.stream_id == StreamId(1))
        .map(|m| m.payload.clone())
        .collect();
    let expect: Vec<_> = SIZES
        .iter()
        .enumerate()
        .map(|(i, &l)| payload(i as u32, l))
        .collect();
    assert_eq!(ordered_theirs, expect, "ours → dcsctp, ordered");
    let mut u: Vec<_> = theirs
        .iter()
        .filter(|m| m.stream_id == StreamId(2))
        .map(|m| m.payload.clone())
        .collect();
    let mut e: Vec<_> = SIZES
        .iter()
        .enumerate()
        .map(|(i, &l)| payload(100 + i as u32, l))
        .collect();
    u.sort();
    e.sort();
    assert_eq!(u, e, "ours → dcsctp, unordered");
    ordered_ours.clear();
    (n, n)
}

#[test]
fn we_connect_exchange_reset_and_shut_down() {
    let mut p = Pair::new(0);
    let now = p.now;
    p.ours.connect(now);
    p.connected();
    let (a, _b) = exchange(&mut p);
    // Our reset of stream 1: dcsctp reports the incoming reset, we the outgoing one.
    p.ours.reset_streams(&[1]).expect("reset");
    p.run_until("our reset", |p| {
        p.our_events.contains(&Event::OutgoingStreamsReset(vec![1]))
            && p.their_events.iter().any(
                |e| matches!(e, SocketEvent::OnIncomingStreamReset(s) if s == &vec![StreamId(1)]),
            )
    });
    // dcsctp's reset of its stream 2.
    p.theirs
        .reset_streams(&[StreamId(2)])
        .expect("dcsctp reset");
    p.run_until("dcsctp reset", |p| {
        p.our_events.contains(&Event::IncomingStreamsReset(vec![2]))
            && p.their_events.iter().any(
                |e| matches!(e, SocketEvent::OnStreamsResetPerformed(s) if s == &vec![StreamId(2)]),
            )
    });
    let now = p.now;
    p.ours.shutdown(now);
    p.run_until("our shutdown", |p| {
        p.ours.state() == State::Terminated
            && p.their_events
                .iter()
                .any(|e| matches!(e, SocketEvent::OnClosed()))
    });
    assert!(p.our_events.contains(&Event::Closed(CloseReason::Shutdown)));
    println!(
        "DCSCTP rtc-sctp connects: {a} messages each way (1 B to 200 kB, ordered and unordered), stream resets both ways, SHUTDOWN: ok"
    );
}

#[test]
fn dcsctp_connects_and_shuts_down() {
    let mut p = Pair::new(0);
    p.theirs.connect();
    p.connected();
    let (a, _) = exchange(&mut p);
    p.theirs.shutdown();
    p.run_until("dcsctp shutdown", |p| {
        p.ours.state() == State::Terminated
            && p.their_events
                .iter()
                .any(|e| matches!(e, SocketEvent::OnClosed()))
    });
    assert!(p.our_events.contains(&Event::Closed(CloseReason::Shutdown)));
    println!("DCSCTP dcsctp connects: {a} messages each way, its SHUTDOWN: ok");
}

#[test]
fn both_connect_at_once() {
    let mut p = Pair::new(0);
    let now = p.now;
    p.ours.connect(now);
    p.theirs.connect();
    p.connected();
    let (a, _) = exchange(&mut p);
    println!("DCSCTP both connect at once (INIT collision): {a} messages each way: ok");
}

#[test]
fn data_through_loss() {
    let mut p = Pair::new(50);
    p.delay = Duration::from_millis(25);
    let now = p.now;
    p.ours.connect(now);
    p.connected();
    let (a, _) = exchange(&mut p);
    println!("DCSCTP 5% loss each way, 50 ms RTT: {a} messages each way intact: ok");
}

#[test]
fn zero_checksum_with_dcsctp() {
    // RFC 9653 with the DTLS method on both sides: negotiated, data both ways.
    let mut p = Pair::with_options(
        0,
        Options {
            mtu: 1188,
            zero_checksum_alternate_error_detection_method:
                ZERO_CHECKSUM_ALTERNATE_ERROR_DETECTION_METHOD_LOWER_LAYER_DTLS,
            ..Options::default()
        },
    );
    let now = p.now;
    p.ours.connect(now);
    p.connected();
    assert!(p.ours.uses_zero_checksum());
    let (a, _) = exchange(&mut p);
    println!(
        "DCSCTP zero checksum (RFC 9653, DTLS method) negotiated both ways: {a} messages each way: ok"
    );
}
