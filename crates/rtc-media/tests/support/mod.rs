//! Test support: a seeded random source and a one-way link on virtual time with delay, jitter
//! (which reorders) and loss.

#![allow(dead_code, clippy::disallowed_methods)] // `Instant::now` is only the origin of time.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

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

    /// Uniform in [0, 1).
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// Uniform in `0..n`.
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    pub(crate) fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next() as u8).collect()
    }
}

/// The origin of virtual time.
pub(crate) fn origin() -> Instant {
    Instant::now()
}

/// One direction of a link: each datagram is lost with probability `loss`, else delivered
/// after `delay` plus a uniform `0..jitter`.
pub(crate) struct Link {
    pub(crate) loss: f64,
    pub(crate) delay: Duration,
    pub(crate) jitter: Duration,
    rng: Rng,
    queue: BinaryHeap<Reverse<(Instant, u64, Vec<u8>)>>,
    sent: u64,
    pub(crate) dropped: u64,
}

impl Link {
    pub(crate) fn new(seed: u64, loss: f64, delay: Duration, jitter: Duration) -> Self {
        Self {
            loss,
            delay,
            jitter,
            rng: Rng::new(seed),
            queue: BinaryHeap::new(),
            sent: 0,
            dropped: 0,
        }
    }

    /// Sends `bytes` at `now`; false if the link lost it.
    pub(crate) fn send(&mut self, now: Instant, bytes: &[u8]) -> bool {
        self.sent += 1;
        if self.rng.chance(self.loss) {
            self.dropped += 1;
            return false;
        }
        let jitter = self.jitter.mul_f64(self.rng.unit());
        self.queue.push(Reverse((
            now + self.delay + jitter,
            self.sent,
            bytes.to_vec(),
        )));
        true
    }

    /// When the next datagram arrives.
    pub(crate) fn next_arrival(&self) -> Option<Instant> {
        self.queue.peek().map(|Reverse((at, _, _))| *at)
    }

    /// The next datagram that has arrived by `now`, with its arrival time.
    pub(crate) fn receive(&mut self, now: Instant) -> Option<(Instant, Vec<u8>)> {
        if self.next_arrival()? > now {
            return None;
        }
        self.queue.pop().map(|Reverse((at, _, b))| (at, b))
    }
}
