//! An in-memory network on virtual time for driving two sans-IO SCTP associations against each
//! other (`benches/sctp.rs`).
//!
//! Every stack compared is sans-IO: it takes `now` and hands out packets, so the harness owns
//! the clock. Virtual time starts at the real `Instant` the pair is made and only moves when
//! nothing is left to do at the current instant: it then jumps to the earliest packet arrival or
//! timer, as quinn-proto's test `Pair` does. A transfer that takes 30 simulated seconds over a
//! 50 ms RTT link therefore costs only the CPU time of the protocol work.
//!
//! A stack plugs in through two traits: [`Stack`] makes a connected-to-be pair, [`Endpoint`]
//! is one side. [`Session`] runs the handshake and the transfer and checks that B received
//! exactly the bytes A sent, in order.
#![allow(clippy::disallowed_methods)] // `Instant::now` is the virtual clock's origin.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use bytes::Bytes;

/// One side of an association as the harness drives it.
///
/// Calls come in rounds at one virtual instant: the application's (`send_message`,
/// `buffered_amount`, `recv_message`), `handle_timeout` if `poll_timeout` is due,
/// `poll_transmit` until `None`, then at most one `handle_packet`. A driver processes its
/// stack's events where the stack needs it (for instance after each input) but leaves polling
/// for packets to the harness.
pub trait Endpoint {
    /// One SCTP packet from the peer (what one DTLS record would carry).
    fn handle_packet(&mut self, now: Instant, packet: Bytes);
    /// The next SCTP packet to send, if any.
    fn poll_transmit(&mut self, now: Instant) -> Option<Bytes>;
    /// When `handle_timeout` is due next; `None` when no timer is armed.
    fn poll_timeout(&mut self) -> Option<Instant>;
    /// Fires the timers due at `now`.
    fn handle_timeout(&mut self, now: Instant);
    /// Whether the association is established.
    fn is_connected(&mut self) -> bool;
    /// Queues one message, reliable and ordered, on the stream the bench uses. `false` when the
    /// stack refuses it for now (its own send buffer is full: back-pressure); the harness tries
    /// again in a later round.
    fn send_message(&mut self, now: Instant, message: &Bytes) -> bool;
    /// Bytes the application has queued on that stream and the stack still holds (what
    /// `RTCDataChannel.bufferedAmount` reports; stacks differ in whether sent but unacknowledged
    /// data still counts).
    fn buffered_amount(&mut self) -> usize;
    /// Hands the next complete received message to `on_message`, as one contiguous slice;
    /// `false` when no message is ready.
    fn recv_message(&mut self, on_message: &mut dyn FnMut(&[u8])) -> bool;
}

/// A stack under test: makes pairs of endpoints.
pub trait Stack {
    /// One side of an association.
    type Endpoint: Endpoint;
    /// A client `a` and a server `b` created at virtual time `now`, `a` having started to
    /// connect (its INIT waits in `poll_transmit`). Both use the settings of [`SCTP_MTU`] and
    /// [`RECEIVE_WINDOW`] where the stack has them.
    fn pair(&self, now: Instant) -> (Self::Endpoint, Self::Endpoint);
}

/// Largest SCTP packet: 1280 (IPv6 minimum MTU) − 40 (IPv6) − 8 (UDP) − 4 (TURN ChannelData)
/// − 37 (DTLS 1.2 record with AES-GCM). The default of dcSCTP and webrtc-rs `rtc-sctp` 0.21.
pub const SCTP_MTU: usize = 1191;
/// Receive window (a_rwnd) each side advertises: 1 MiB, the default of webrtc-rs `rtc-sctp`
/// and `sctp-proto`; at 50 ms RTT that allows 20 MiB/s, far above what 1% loss leaves.
pub const RECEIVE_WINDOW: usize = 1 << 20;

/// The link conditions, the same in both directions.
#[derive(Clone, Copy, Debug)]
pub struct Profile {
    /// Short name, used in group names and tables.
    pub name: &'static str,
    /// One-way delay.
    pub delay: Duration,
    /// Probability that a packet is lost, in each direction independently.
    pub loss: f64,
}

/// A small PRNG (xorshift64) for loss and message contents: seeded, no dependency.
#[derive(Clone, Debug)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator for `seed` (any value, 0 included).
    pub fn new(seed: u64) -> Self {
        // splitmix64's finaliser spreads close seeds apart; the state must not be 0.
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Self((z ^ (z >> 31)) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A uniform value in [0, 1).
    pub fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// One direction: a FIFO with a fixed delay and random loss. With one delay per direction,
/// arrival order is send order, so a queue delivers in order of arrival time.
#[derive(Debug)]
struct Link {
    delay: Duration,
    loss: f64,
    rng: XorShift,
    in_flight: VecDeque<(Instant, Bytes)>,
    stats: LinkStats,
}

/// What crossed one link.
#[derive(Clone, Copy, Debug, Default)]
pub struct LinkStats {
    /// Packets the sender handed to the link, dropped ones included.
    pub packets: u64,
    /// Their bytes (SCTP packets, no lower-layer headers).
    pub bytes: u64,
    /// Packets the link dropped.
    pub dropped: u64,
}

impl Link {
    fn new(profile: &Profile, seed: u64) -> Self {
        Self {
            delay: profile.delay,
            loss: profile.loss,
            rng: XorShift::new(seed),
            in_flight: VecDeque::new(),
            stats: LinkStats::default(),
        }
    }

    fn send(&mut self, now: Instant, packet: Bytes) {
        self.stats.packets += 1;
        self.stats.bytes += packet.len() as u64;
        if self.loss > 0.0 && self.rng.next_f64() < self.loss {
            self.stats.dropped += 1;
        } else {
            self.in_flight.push_back((now + self.delay, packet));
        }
    }

    fn recv(&mut self, now: Instant) -> Option<Bytes> {
        match self.in_flight.front() {
            Some((at, _)) if *at <= now => self.in_flight.pop_front().map(|(_, p)| p),
            _ => None,
        }
    }

    fn next_arrival(&self) -> Option<Instant> {
        self.in_flight.front().map(|(at, _)| *at)
    }
}

/// How long, in virtual time, the handshake may take before the harness gives up.
const HANDSHAKE_LIMIT: Duration = Duration::from_secs(60);
/// How long, in virtual time, a transfer may take before the harness calls it stalled.
const TRANSFER_LIMIT: Duration = Duration::from_secs(3600);

/// Two endpoints joined by a link in each direction, on virtual time.
pub struct Session<E> {
    /// The sender (the client, which connected).
    pub a: E,
    /// The receiver (the server).
    pub b: E,
    now: Instant,
    ab: Link,
    ba: Link,
}

/// The outcome of one transfer.
#[derive(Clone, Copy, Debug)]
pub struct Transfer {
    /// User bytes B received (and checked).
    pub bytes: u64,
    /// Virtual time from the first message queued to the last one received.
    pub elapsed: Duration,
    /// A → B during the transfer (DATA), B → A (SACKs).
    pub ab: LinkStats,
    /// B → A during the transfer.
    pub ba: LinkStats,
}

impl Transfer {
    /// Goodput in MiB per simulated second.
    pub fn goodput_mib_s(&self) -> f64 {
        self.bytes as f64 / (1 << 20) as f64 / self.elapsed.as_secs_f64()
    }
}

impl<E: Endpoint> Session<E> {
    /// Makes a pair of `stack` on a link of `profile` (loss drawn from `seed`) and runs the
    /// handshake to completion.
    ///
    /// # Panics
    /// If the association is not established within a minute of virtual time.
    pub fn connect<S: Stack<Endpoint = E>>(stack: &S, profile: &Profile, seed: u64) -> Self {
        let now = Instant::now();
        let (a, b) = stack.pair(now);
        let mut session = Self {
            a,
            b,
            now,
            ab: Link::new(profile, seed),
            ba: Link::new(profile, seed ^ 0x5555_5555_5555_5555),
        };
        session.run(HANDSHAKE_LIMIT, "handshake", |_, a, b| {
            a.is_connected() && b.is_connected()
        });
        session
    }

    /// Sends `messages` from A to B, keeping at most `send_cap` bytes in A's
    /// [`Endpoint::buffered_amount`], until B has received them all; checks every received
    /// message against the one sent in its place.
    ///
    /// # Panics
    /// If B receives anything else, or the transfer stalls (no progress for an hour of virtual
    /// time).
    pub fn transfer(&mut self, messages: &[Bytes], send_cap: usize) -> Transfer {
        let (ab, ba) = (self.ab.stats, self.ba.stats);
        let start = self.now;
        let mut sent = 0;
        let mut received = 0;
        self.run(TRANSFER_LIMIT, "transfer", |now, a, b| {
            while sent < messages.len() && a.buffered_amount() < send_cap {
                if !a.send_message(now, &messages[sent]) {
                    break;
                }
                sent += 1;
            }
            while b.recv_message(&mut |message| {
                let expected = messages
                    .get(received)
                    .unwrap_or_else(|| panic!("B received a message more than A sent"));
                assert_eq!(message.len(), expected.len(), "message {received}: length");
                assert!(message == &expected[..], "message {received}: content");
                received += 1;
            }) {}
            received == messages.len()
        });
        let delta = |now: LinkStats, before: LinkStats| LinkStats {
            packets: now.packets - before.packets,
            bytes: now.bytes - before.bytes,
            dropped: now.dropped - before.dropped,
        };
        Transfer {
            bytes: messages.iter().map(|m| m.len() as u64).sum(),
            elapsed: self.now - start,
            ab: delta(self.ab.stats, ab),
            ba: delta(self.ba.stats, ba),
        }
    }

    /// Runs rounds until `done` (called first in every round, with the current instant) says
    /// so. A round fires the timers that are due, moves every packet each side has to send onto
    /// its link, and delivers at most one arrived packet per direction, so each side sees its
    /// packets one at a time, as from a socket, and is polled after each. When a round
    /// delivers nothing, time jumps to the next arrival or timer.
    fn run(
        &mut self,
        limit: Duration,
        what: &str,
        mut done: impl FnMut(Instant, &mut E, &mut E) -> bool,
    ) {
        let deadline = self.now + limit;
        let mut idle_rounds = 0;
        loop {
            let now = self.now;
            if done(now, &mut self.a, &mut self.b) {
                return;
            }
            if self.a.poll_timeout().is_some_and(|t| t <= now) {
                self.a.handle_timeout(now);
            }
            if self.b.poll_timeout().is_some_and(|t| t <= now) {
                self.b.handle_timeout(now);
            }
            while let Some(packet) = self.a.poll_transmit(now) {
                self.ab.send(now, packet);
            }
            while let Some(packet) = self.b.poll_transmit(now) {
                self.ba.send(now, packet);
            }
            let mut delivered = false;
            if let Some(packet) = self.ab.recv(now) {
                self.b.handle_packet(now, packet);
                delivered = true;
            }
            if let Some(packet) = self.ba.recv(now) {
                self.a.handle_packet(now, packet);
                delivered = true;
            }
            if delivered {
                idle_rounds = 0;
                continue;
            }
            let next = [
                self.ab.next_arrival(),
                self.ba.next_arrival(),
                self.a.poll_timeout(),
                self.b.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            match next {
                Some(t) if t > now => {
                    assert!(
                        t <= deadline,
                        "{what} stalled: nothing moved for {limit:?} of virtual time \
                         (A→B {:?}, B→A {:?})",
                        self.ab.stats,
                        self.ba.stats
                    );
                    self.now = t;
                }
                // A timer was due and fired but is still due: give the application and the
                // stack a couple more rounds at this instant, then call it a bug.
                Some(_) => {
                    idle_rounds += 1;
                    assert!(
                        idle_rounds < 16,
                        "{what}: a timer stays due at the same instant after handle_timeout"
                    );
                }
                None => panic!(
                    "{what} deadlocked: no packet in flight and no timer armed (A→B {:?}, \
                     B→A {:?})",
                    self.ab.stats, self.ba.stats
                ),
            }
        }
    }
}

/// `count` distinct messages of `len` bytes: message `i` starts with `i` (little-endian u64)
/// and goes on with bytes drawn from a generator seeded with `i`, so a dropped, repeated or
/// reordered message, or a misplaced fragment, fails the content check.
pub fn messages(count: usize, len: usize) -> Vec<Bytes> {
    (0..count)
        .map(|i| {
            let mut rng = XorShift::new(i as u64);
            let mut message = Vec::with_capacity(len);
            message.extend_from_slice(&(i as u64).to_le_bytes());
            while message.len() < len {
                message.extend_from_slice(&rng.next_u64().to_le_bytes());
            }
            message.truncate(len);
            Bytes::from(message)
        })
        .collect()
}

/// The median of `values` (the lower middle one for an even count); `NaN` for none.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted
        .get(sorted.len().saturating_sub(1) / 2)
        .copied()
        .unwrap_or(f64::NAN)
}
