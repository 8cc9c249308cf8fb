//! A virtual network for two DTLS connections: virtual time, seeded loss, reordering and
//! duplication.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use rtc_crypto::CryptoProvider;
use rtc_dtls::{Certificate, Config, Connection, Event, FingerprintAlgorithm, Role};

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
}

/// Link behaviour.
#[derive(Clone, Copy)]
pub(crate) struct Link {
    pub(crate) loss: f64,
    pub(crate) reorder: f64,
    pub(crate) duplicate: f64,
    pub(crate) delay: Duration,
}

impl Link {
    pub(crate) const PERFECT: Self = Self {
        loss: 0.0,
        reorder: 0.0,
        duplicate: 0.0,
        delay: Duration::from_millis(10),
    };
}

pub(crate) struct Pair {
    pub(crate) client: Connection,
    pub(crate) server: Connection,
    pub(crate) now: Instant,
    /// Datagrams in flight: (arrival time, to_server, bytes).
    in_flight: Vec<(Instant, bool, Vec<u8>)>,
    pub(crate) client_events: Vec<Event>,
    pub(crate) server_events: Vec<Event>,
    pub(crate) delivered: usize,
}

pub(crate) fn config(provider: &'static CryptoProvider) -> (Config, rtc_dtls::Fingerprint) {
    let cert = Certificate::generate().expect("certificate");
    let fp = cert.fingerprint(FingerprintAlgorithm::Sha256);
    let mut config = Config::with_provider(cert, provider).expect("config");
    config.initial_retransmit_timeout = Duration::from_millis(200);
    config.max_retransmissions = 12;
    (config, fp)
}

impl Pair {
    pub(crate) fn new(client: Config, server: Config) -> Self {
        Self::with_fingerprints(client, server, true)
    }

    pub(crate) fn with_fingerprints(client: Config, server: Config, set: bool) -> Self {
        let now = Instant::now();
        let cfp = client
            .certificate()
            .fingerprint(FingerprintAlgorithm::Sha256);
        let sfp = server
            .certificate()
            .fingerprint(FingerprintAlgorithm::Sha256);
        let mut client = Connection::new(Arc::new(client), Role::Client, now).expect("client");
        let mut server = Connection::new(Arc::new(server), Role::Server, now).expect("server");
        if set {
            client.set_remote_fingerprints(vec![sfp]).expect("fp");
            server.set_remote_fingerprints(vec![cfp]).expect("fp");
        }
        Self {
            client,
            server,
            now,
            in_flight: Vec::new(),
            client_events: Vec::new(),
            server_events: Vec::new(),
            delivered: 0,
        }
    }

    fn collect(&mut self, link: Link, rng: &mut Rng) {
        for (to_server, conn) in [(true, &mut self.client), (false, &mut self.server)] {
            while let Some(d) = conn.poll_transmit() {
                if rng.chance(link.loss) {
                    continue;
                }
                let mut at = self.now + link.delay;
                if rng.chance(link.reorder) {
                    at += Duration::from_millis(rng.next() % 40);
                }
                if rng.chance(link.duplicate) {
                    self.in_flight.push((at + link.delay, to_server, d.clone()));
                }
                self.in_flight.push((at, to_server, d));
            }
        }
        while let Some(e) = self.client.poll_event() {
            self.client_events.push(e);
        }
        while let Some(e) = self.server.poll_event() {
            self.server_events.push(e);
        }
    }

    /// Runs until both are connected (or `limit` of virtual time passes); whether they did.
    pub(crate) fn run(&mut self, link: Link, seed: u64, limit: Duration) -> bool {
        let mut rng = Rng::new(seed);
        let end = self.now + limit;
        loop {
            self.collect(link, &mut rng);
            if self.client.is_connected() && self.server.is_connected() && self.in_flight.is_empty()
            {
                return true;
            }
            let next_arrival = self.in_flight.iter().map(|(t, _, _)| *t).min();
            let next = [
                next_arrival,
                self.client.poll_timeout(),
                self.server.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next else {
                return self.client.is_connected() && self.server.is_connected();
            };
            if next > end {
                return false;
            }
            self.now = self.now.max(next);
            let now = self.now;
            let (due, later): (Vec<_>, Vec<_>) =
                self.in_flight.drain(..).partition(|(t, _, _)| *t <= now);
            self.in_flight = later;
            for (_, to_server, d) in due {
                self.delivered += 1;
                let target = if to_server {
                    &mut self.server
                } else {
                    &mut self.client
                };
                let _ = target.handle_datagram(now, &d);
            }
            self.client.handle_timeout(now);
            self.server.handle_timeout(now);
        }
    }

    /// Moves datagrams both ways without loss until nothing is left.
    pub(crate) fn settle(&mut self) {
        self.run(Link::PERFECT, 1, Duration::from_secs(5));
        let mut rng = Rng::new(2);
        for _ in 0..20 {
            self.collect(Link::PERFECT, &mut rng);
            if self.in_flight.is_empty() {
                break;
            }
            let pending: Vec<_> = self.in_flight.drain(..).collect();
            for (_, to_server, d) in pending {
                let target = if to_server {
                    &mut self.server
                } else {
                    &mut self.client
                };
                let _ = target.handle_datagram(self.now, &d);
            }
        }
        self.collect(Link::PERFECT, &mut rng);
    }
}
