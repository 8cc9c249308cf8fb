//! Two peer connections on a virtual network and virtual time, with seeded loss.
#![allow(dead_code, unreachable_pub)]

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtc_peer::{ChannelId, Config, Event, PeerConnection, PeerConnectionState, Transmit};

pub struct Peer {
    pub pc: PeerConnection,
    pub addr: SocketAddr,
    pub events: Vec<Event>,
}

impl Peer {
    pub fn new(config: Config, addr: &str) -> Self {
        Self {
            pc: PeerConnection::new(config).expect("peer connection"),
            addr: addr.parse().unwrap(),
            events: Vec::new(),
        }
    }

    /// Messages received on `id`, in order.
    pub fn messages(&self, id: ChannelId) -> Vec<Vec<u8>> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::ChannelMessage { id: i, data, .. } if *i == id => Some(data.to_vec()),
                _ => None,
            })
            .collect()
    }

    /// The channel the peer announced with this label.
    pub fn announced(&self, label: &str) -> Option<ChannelId> {
        self.events.iter().find_map(|e| match e {
            Event::DataChannel { id, label: l, .. } if l == label => Some(*id),
            _ => None,
        })
    }

    pub fn has(&self, f: impl Fn(&Event) -> bool) -> bool {
        self.events.iter().any(f)
    }
}

/// A small xorshift generator: the same seed gives the same run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() % 1_000_000) as f64 / 1_000_000.0 < p
    }
}

pub struct Net {
    pub a: Peer,
    pub b: Peer,
    pub now: Instant,
    pub start: Instant,
    in_flight: VecDeque<(Instant, Transmit)>,
    pub latency: Duration,
    pub loss: f64,
    pub rng: Rng,
    /// Forward trickled candidates between the peers.
    pub trickle: bool,
    pub delivered: u64,
    /// Time does not jump past this in a step (see [`Net::advance`]).
    cap: Option<Instant>,
}

impl Net {
    pub fn new(a: Peer, b: Peer) -> Self {
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        let (mut a, mut b) = (a, b);
        a.pc.add_host_address(now, a.addr);
        b.pc.add_host_address(now, b.addr);
        Self {
            a,
            b,
            now,
            start: now,
            in_flight: VecDeque::new(),
            latency: Duration::from_millis(10),
            loss: 0.0,
            rng: Rng::new(7),
            trickle: true,
            delivered: 0,
            cap: None,
        }
    }

    /// The offer/answer exchange with `a` offering.
    pub fn negotiate(&mut self) {
        let now = self.now;
        let offer = self.a.pc.create_offer().unwrap();
        self.a.pc.set_local_description(now, offer.clone()).unwrap();
        self.b.pc.set_remote_description(now, offer).unwrap();
        let answer = self.b.pc.create_answer().unwrap();
        self.b
            .pc
            .set_local_description(now, answer.clone())
            .unwrap();
        self.a.pc.set_remote_description(now, answer).unwrap();
        self.drain_events();
    }

    fn drain_events(&mut self) {
        let now = self.now;
        while let Some(e) = self.a.pc.poll_event() {
            if let (true, Event::IceCandidate(c)) = (self.trickle, &e) {
                self.b.pc.add_ice_candidate(now, c).unwrap();
            }
            self.a.events.push(e);
        }
        while let Some(e) = self.b.pc.poll_event() {
            if let (true, Event::IceCandidate(c)) = (self.trickle, &e) {
                self.a.pc.add_ice_candidate(now, c).unwrap();
            }
            self.b.events.push(e);
        }
    }

    fn collect_transmits(&mut self) {
        for t in std::iter::from_fn(|| self.a.pc.poll_transmit())
            .chain(std::iter::from_fn(|| self.b.pc.poll_transmit()))
            .collect::<Vec<_>>()
        {
            if self.loss > 0.0 && self.rng.chance(self.loss) {
                continue;
            }
            self.in_flight.push_back((self.now + self.latency, t));
        }
    }

    /// One step: deliver what is due, fire timers, move time to the next thing.
    pub fn step(&mut self) {
        self.drain_events();
        self.collect_transmits();
        let now = self.now;
        while let Some((at, _)) = self.in_flight.front() {
            if *at > now {
                break;
            }
            let (_, t) = self.in_flight.pop_front().unwrap();
            self.delivered += 1;
            if t.destination == self.a.addr {
                self.a
                    .pc
                    .handle_input(now, t.destination, t.source, &t.contents);
            } else if t.destination == self.b.addr {
                self.b
                    .pc
                    .handle_input(now, t.destination, t.source, &t.contents);
            }
        }
        for pc in [&mut self.a.pc, &mut self.b.pc] {
            if pc.poll_timeout().is_some_and(|t| t <= now) {
                pc.handle_timeout(now);
            }
        }
        self.drain_events();
        self.collect_transmits();
        let next = [
            self.in_flight.front().map(|(t, _)| *t),
            self.a.pc.poll_timeout(),
            self.b.pc.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let next = match (next, self.cap) {
            (Some(n), Some(c)) => Some(n.min(c)),
            (n, c) => n.or(c),
        };
        if let Some(next) = next {
            self.now = self.now.max(next);
        }
    }

    /// Runs for exactly `d` of virtual time (a sender pacing itself on the clock).
    #[allow(dead_code)]
    pub fn advance(&mut self, d: Duration) {
        let target = self.now + d;
        self.cap = Some(target);
        while self.now < target {
            self.step();
        }
        self.step();
        self.cap = None;
    }

    /// Steps until `done` holds or `limit` of virtual time passes; returns whether it held.
    pub fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&Self) -> bool) -> bool {
        let end = self.now + limit;
        for _ in 0..5_000_000 {
            if done(self) {
                return true;
            }
            if self.now > end {
                return false;
            }
            self.step();
        }
        false
    }

    pub fn connect(&mut self) -> bool {
        self.run_until(Duration::from_secs(10), |n| {
            n.a.pc.connection_state() == PeerConnectionState::Connected
                && n.b.pc.connection_state() == PeerConnectionState::Connected
        })
    }

    pub fn elapsed(&self) -> Duration {
        self.now - self.start
    }
}
