//! Data channels between two `DataChannels` over an in-memory link with virtual time.

#![allow(clippy::disallowed_methods)]

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rtc_datachannel::{
    ChannelOptions, ChannelState, ChannelType, DataChannels, DtlsRole, Event, Reliability,
};
use rtc_sctp::Config;

struct Pair {
    client: DataChannels,
    server: DataChannels,
    now: Instant,
    wire: VecDeque<(Instant, bool, Vec<u8>)>,
    client_events: Vec<Event>,
    server_events: Vec<Event>,
    loss_per_mille: Option<u64>,
    count: u64,
}

impl Pair {
    fn new() -> Self {
        let now = Instant::now();
        let config = Arc::new(Config::new());
        Self {
            client: DataChannels::new(config.clone(), DtlsRole::Client, now),
            server: DataChannels::new(config, DtlsRole::Server, now),
            now,
            wire: VecDeque::new(),
            client_events: Vec::new(),
            server_events: Vec::new(),
            loss_per_mille: None,
            count: 0,
        }
    }

    fn step(&mut self) -> bool {
        let mut buf = vec![0u8; 2048];
        for to_server in [true, false] {
            let side = if to_server {
                &mut self.client
            } else {
                &mut self.server
            };
            while let Some(n) = side.poll_transmit(self.now, &mut buf) {
                self.count += 1;
                // Seeded pseudo-random loss (a periodic pattern could always hit the same
                // packet of a round).
                let r = (self.count.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) % 1000;
                if self.loss_per_mille.is_some_and(|p| r < p) {
                    continue;
                }
                self.wire.push_back((
                    self.now + Duration::from_millis(5),
                    to_server,
                    buf[..n].to_vec(),
                ));
            }
        }
        while let Some(e) = self.client.poll_event() {
            self.client_events.push(e);
        }
        while let Some(e) = self.server.poll_event() {
            self.server_events.push(e);
        }
        let next = [
            self.wire.front().map(|w| w.0),
            self.client.poll_timeout(),
            self.server.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min();
        let Some(next) = next else { return false };
        self.now = self.now.max(next);
        while self.wire.front().is_some_and(|w| w.0 <= self.now) {
            let (_, to_server, p) = self.wire.pop_front().unwrap();
            if to_server {
                self.server.handle_packet(self.now, &p);
            } else {
                self.client.handle_packet(self.now, &p);
            }
        }
        if self.client.poll_timeout().is_some_and(|t| t <= self.now) {
            self.client.handle_timeout(self.now);
        }
        if self.server.poll_timeout().is_some_and(|t| t <= self.now) {
            self.server.handle_timeout(self.now);
        }
        true
    }

    fn run_until(&mut self, mut done: impl FnMut(&mut Self) -> bool) {
        let end = self.now + Duration::from_secs(120);
        while !done(self) {
            let before = self.now;
            assert!(
                self.now < end && self.step(),
                "stalled at {:?}: {} / {} events; client {:?}; server {:?}",
                before - (end - Duration::from_secs(120)),
                self.client_events.len(),
                self.server_events.len(),
                self.client.association(),
                self.server.association()
            );
        }
    }

    fn connect(&mut self) {
        let now = self.now;
        self.client.connect(now);
        self.server.connect(now);
        self.run_until(|p| {
            p.client_events.contains(&Event::Connected)
                && p.server_events.contains(&Event::Connected)
        });
    }
}

fn options(label: &str, channel_type: ChannelType) -> ChannelOptions {
    ChannelOptions {
        label: label.into(),
        protocol: "proto".into(),
        channel_type,
        ..ChannelOptions::default()
    }
}

fn messages(events: &mut Vec<Event>, id: u16) -> Vec<(bool, Vec<u8>)> {
    let mut out = Vec::new();
    events.retain(|e| match e {
        Event::Message {
            id: i,
            binary,
            data,
        } if *i == id => {
            out.push((*binary, data.to_vec()));
            false
        }
        _ => true,
    });
    out
}

#[test]
fn in_band_channels_of_every_type_both_ways() {
    let mut p = Pair::new();
    p.connect();
    let types = [
        ChannelType::RELIABLE,
        ChannelType::RELIABLE_UNORDERED,
        ChannelType::new(false, Reliability::MaxRetransmits(0)),
        ChannelType::new(true, Reliability::MaxRetransmits(3)),
        ChannelType::new(true, Reliability::MaxLifetimeMs(1000)),
        ChannelType::new(false, Reliability::MaxLifetimeMs(10_000)),
    ];
    let now = p.now;
    let mut ids = Vec::new();
    for (i, t) in types.iter().enumerate() {
        let c = p.client.open(now, options(&format!("c{i}"), *t)).unwrap();
        let s = p.server.open(now, options(&format!("s{i}"), *t)).unwrap();
        assert_eq!(c % 2, 0, "DTLS client opens even ids");
        assert_eq!(s % 2, 1, "DTLS server opens odd ids");
        ids.push((c, s, *t));
    }
    p.run_until(|p| {
        p.server_events
            .iter()
            .filter(|e| matches!(e, Event::ChannelOpen { remote: true, .. }))
            .count()
            == 6
            && p.client_events
                .iter()
                .filter(|e| matches!(e, Event::ChannelOpen { remote: true, .. }))
                .count()
                == 6
    });
    for &(c, s, t) in &ids {
        assert_eq!(p.server.info(c).unwrap().2, t);
        assert_eq!(p.client.info(s).unwrap().2, t);
        assert_eq!(p.server.info(c).unwrap().1, "proto");
    }
    let now = p.now;
    for &(c, s, _) in &ids {
        p.client.send_text(now, c, "hello").unwrap();
        p.client.send_text(now, c, "").unwrap();
        p.client.send_binary(now, c, vec![1u8, 2, 3]).unwrap();
        p.client.send_binary(now, c, Vec::new()).unwrap();
        p.client.send_binary(now, c, vec![7u8; 100_000]).unwrap();
        p.server.send_text(now, s, "back").unwrap();
    }
    p.run_until(|p| {
        p.server_events
            .iter()
            .filter(|e| matches!(e, Event::Message { .. }))
            .count()
            == 30
            && p.client_events
                .iter()
                .filter(|e| matches!(e, Event::Message { .. }))
                .count()
                == 6
    });
    for &(c, s, t) in &ids {
        let got = messages(&mut p.server_events, c);
        let expected = vec![
            (false, b"hello".to_vec()),
            (false, Vec::new()),
            (true, vec![1, 2, 3]),
            (true, Vec::new()),
            (true, vec![7u8; 100_000]),
        ];
        if t.ordered {
            assert_eq!(got, expected);
        } else {
            let mut a = got.clone();
            let mut b = expected.clone();
            a.sort();
            b.sort();
            assert_eq!(a, b);
        }
        assert_eq!(
            messages(&mut p.client_events, s),
            vec![(false, b"back".to_vec())]
        );
    }
}

#[test]
fn channels_opened_before_the_association_open_when_it_is_up() {
    let mut p = Pair::new();
    let now = p.now;
    let id = p
        .client
        .open(now, options("early", ChannelType::RELIABLE))
        .unwrap();
    assert_eq!(p.client.state(id), Some(ChannelState::Connecting));
    assert!(p.client.send_text(now, id, "x").is_err());
    p.connect();
    p.run_until(|p| {
        p.server_events
            .iter()
            .any(|e| matches!(e, Event::ChannelOpen { label, .. } if label == "early"))
    });
    assert_eq!(p.client.state(id), Some(ChannelState::Open));
}

#[test]
fn negotiated_channels_need_no_dcep() {
    let mut p = Pair::new();
    p.connect();
    let now = p.now;
    let neg = ChannelOptions {
        negotiated: Some(100),
        ..options("neg", ChannelType::RELIABLE_UNORDERED)
    };
    assert_eq!(p.client.open(now, neg.clone()).unwrap(), 100);
    assert_eq!(p.server.open(now, neg.clone()).unwrap(), 100);
    assert!(p.server.open(now, neg).is_err(), "id taken");
    p.client.send_text(now, 100, "n").unwrap();
    p.run_until(|p| {
        p.server_events
            .iter()
            .any(|e| matches!(e, Event::Message { id: 100, .. }))
    });
    assert!(
        !p.server_events
            .iter()
            .any(|e| matches!(e, Event::ChannelOpen { remote: true, .. }))
    );
}

#[test]
fn closing_resets_both_streams_and_frees_the_id() {
    let mut p = Pair::new();
    p.connect();
    let now = p.now;
    let id = p
        .client
        .open(now, options("c", ChannelType::RELIABLE))
        .unwrap();
    p.run_until(|p| p.server.state(id) == Some(ChannelState::Open));
    for i in 0..20 {
        p.client.send_text(now, id, &format!("m{i}")).unwrap();
    }
    p.client.close(id).unwrap();
    assert_eq!(p.client.state(id), Some(ChannelState::Closing));
    p.run_until(|p| {
        p.client_events.contains(&Event::ChannelClosed(id))
            && p.server_events.contains(&Event::ChannelClosed(id))
    });
    assert_eq!(
        messages(&mut p.server_events, id).len(),
        20,
        "queued messages go before the reset"
    );
    assert_eq!(p.client.state(id), None);
    // The id is free again, and its SSNs start over.
    let now = p.now;
    let again = p
        .client
        .open(now, options("again", ChannelType::RELIABLE))
        .unwrap();
    assert_eq!(again, id);
    p.client.send_text(now, again, "fresh").unwrap();
    p.run_until(|p| {
        p.server_events
            .iter()
            .any(|e| matches!(e, Event::Message { .. }))
    });
    assert_eq!(
        messages(&mut p.server_events, id),
        vec![(false, b"fresh".to_vec())]
    );
}

#[test]
fn wrong_parity_open_and_data_on_unknown_streams_are_refused() {
    let mut p = Pair::new();
    p.connect();
    let now = p.now;
    // The client opens a negotiated channel on an odd id without the server knowing:
    // its data arrives on a stream with no channel.
    let stray = ChannelOptions {
        negotiated: Some(7),
        ..options("stray", ChannelType::RELIABLE)
    };
    p.client.open(now, stray).unwrap();
    p.client.send_text(now, 7, "who?").unwrap();
    p.run_until(|p| p.server.protocol_errors() > 0);
    p.run_until(|p| p.client_events.contains(&Event::ChannelClosed(7)));
    assert!(
        !p.server_events
            .iter()
            .any(|e| matches!(e, Event::Message { .. }))
    );
}

#[test]
fn channels_survive_loss() {
    let mut p = Pair::new();
    p.loss_per_mille = Some(100);
    p.connect();
    let now = p.now;
    let id = p
        .client
        .open(now, options("lossy", ChannelType::RELIABLE))
        .unwrap();
    for i in 0..200u32 {
        p.client
            .send_binary(now, id, i.to_be_bytes().repeat(500))
            .unwrap();
    }
    p.run_until(|p| {
        p.server_events
            .iter()
            .filter(|e| matches!(e, Event::Message { .. }))
            .count()
            == 200
    });
    let got = messages(&mut p.server_events, id);
    for (i, (_, data)) in got.iter().enumerate() {
        assert_eq!(*data, (i as u32).to_be_bytes().repeat(500));
    }
}
