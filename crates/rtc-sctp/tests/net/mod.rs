//! A virtual network for two SCTP associations: virtual time, per-direction delay, seeded
//! loss, reordering and duplication, and a hook to corrupt packets.

#![allow(dead_code, clippy::disallowed_methods)]

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtc_sctp::{Association, Config, Event};

/// xorshift64*: deterministic per seed.
pub(crate) struct Rng(u64);

impl Rng {
    pub(crate) fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Link behaviour, one direction.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Link {
    pub(crate) loss: f64,
    /// Probability that a packet takes up to `jitter` longer (and so is reordered).
    pub(crate) reorder: f64,
    pub(crate) jitter: Duration,
    pub(crate) duplicate: f64,
    pub(crate) delay: Duration,
}

impl Link {
    pub(crate) const PERFECT: Self = Self {
        loss: 0.0,
        reorder: 0.0,
        jitter: Duration::ZERO,
        duplicate: 0.0,
        delay: Duration::from_millis(5),
    };

    /// The fault profile: 10% loss, reordering, duplication, 50 ms RTT.
    pub(crate) const HOSTILE: Self = Self {
        loss: 0.10,
        reorder: 0.05,
        jitter: Duration::from_millis(20),
        duplicate: 0.02,
        delay: Duration::from_millis(25),
    };
}

/// A packet on the wire: (arrival, sequence, to_b, bytes).
type InFlight = Reverse<(Instant, u64, bool, Vec<u8>)>;
/// Rewrites packets as they go out: (to_b, packet, rng).
pub(crate) type Tamper = Box<dyn FnMut(bool, &mut Vec<u8>, &mut Rng)>;

pub(crate) struct Net {
    pub(crate) a: Association,
    pub(crate) b: Association,
    pub(crate) now: Instant,
    pub(crate) a_to_b: Link,
    pub(crate) b_to_a: Link,
    pub(crate) rng: Rng,
    /// (arrival, sequence, to_b, bytes)
    heap: BinaryHeap<InFlight>,
    seq: u64,
    pub(crate) a_events: Vec<Event>,
    pub(crate) b_events: Vec<Event>,
    /// Called on each packet put on the wire, with `to_b`; may rewrite it.
    pub(crate) tamper: Option<Tamper>,
    pub(crate) packets: u64,
    /// B's application reads its events (true by default).
    pub(crate) read_b: bool,
    buf: Vec<u8>,
}

impl Net {
    pub(crate) fn new(config_a: Config, config_b: Config, link: Link, seed: u64) -> Self {
        let now = Instant::now();
        Self {
            a: Association::new(Arc::new(config_a), now),
            b: Association::new(Arc::new(config_b), now),
            now,
            a_to_b: link,
            b_to_a: link,
            rng: Rng::new(seed),
            heap: BinaryHeap::new(),
            seq: 0,
            a_events: Vec::new(),
            b_events: Vec::new(),
            tamper: None,
            packets: 0,
            read_b: true,
            buf: vec![0u8; 65_536],
        }
    }

    pub(crate) fn pair(link: Link, seed: u64) -> Self {
        Self::new(Config::new(), Config::new(), link, seed)
    }

    fn flush(&mut self) {
        for to_b in [true, false] {
            loop {
                let assoc = if to_b { &mut self.a } else { &mut self.b };
                let Some(n) = assoc.poll_transmit(self.now, &mut self.buf) else {
                    break;
                };
                let mut packet = self.buf[..n].to_vec();
                self.packets += 1;
                let link = if to_b { self.a_to_b } else { self.b_to_a };
                if let Some(t) = self.tamper.as_mut() {
                    t(to_b, &mut packet, &mut self.rng);
                }
                if self.rng.chance(link.loss) {
                    continue;
                }
                let copies = if self.rng.chance(link.duplicate) {
                    2
                } else {
                    1
                };
                for _ in 0..copies {
                    let mut at = self.now + link.delay;
                    if self.rng.chance(link.reorder) && !link.jitter.is_zero() {
                        at += Duration::from_micros(self.rng.below(link.jitter.as_micros() as u64));
                    }
                    self.seq += 1;
                    self.heap
                        .push(Reverse((at, self.seq, to_b, packet.clone())));
                }
            }
        }
        while let Some(e) = self.a.poll_event() {
            self.a_events.push(e);
        }
        while self.read_b
            && let Some(e) = self.b.poll_event()
        {
            self.b_events.push(e);
        }
    }

    /// One step: send what is due, then advance to the next arrival or timer. False when
    /// nothing is left to happen.
    pub(crate) fn step(&mut self) -> bool {
        self.flush();
        let next_packet = self.heap.peek().map(|Reverse((t, ..))| *t);
        let next = [next_packet, self.a.poll_timeout(), self.b.poll_timeout()]
            .into_iter()
            .flatten()
            .min();
        let Some(next) = next else {
            return false;
        };
        self.now = self.now.max(next);
        while let Some(Reverse((t, ..))) = self.heap.peek() {
            if *t > self.now {
                break;
            }
            let Reverse((_, _, to_b, packet)) = self.heap.pop().expect("peeked");
            if to_b {
                self.b.handle_packet(self.now, &packet);
            } else {
                self.a.handle_packet(self.now, &packet);
            }
        }
        if self.a.poll_timeout().is_some_and(|t| t <= self.now) {
            self.a.handle_timeout(self.now);
        }
        if self.b.poll_timeout().is_some_and(|t| t <= self.now) {
            self.b.handle_timeout(self.now);
        }
        self.flush();
        true
    }

    /// Steps until `done` holds or `limit` of virtual time passes; returns `done`'s verdict.
    pub(crate) fn run_until(
        &mut self,
        limit: Duration,
        mut done: impl FnMut(&mut Self) -> bool,
    ) -> bool {
        let end = self.now + limit;
        loop {
            if done(self) {
                return true;
            }
            if self.now > end || !self.step() {
                return done(self);
            }
        }
    }

    /// Connects (A initiates; with `both`, B too) and runs until both are up.
    pub(crate) fn connect(&mut self, both: bool) {
        let now = self.now;
        self.a.connect(now);
        if both {
            self.b.connect(now);
        }
        let ok = self.run_until(Duration::from_secs(60), |n| {
            n.a.is_established() && n.b.is_established()
        });
        assert!(ok, "no association: {:?} / {:?}", self.a, self.b);
    }

    pub(crate) fn take_messages(events: &mut Vec<Event>) -> Vec<rtc_sctp::Message> {
        let mut out = Vec::new();
        events.retain(|e| match e {
            Event::Message(m) => {
                out.push(m.clone());
                false
            }
            _ => true,
        });
        out
    }
}
