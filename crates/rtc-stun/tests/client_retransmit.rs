//! Client transactions on virtual time: RFC 8489 §6.2.1 retransmission schedule, timeouts,
//! matching by transaction id, and a client and server wired together over a lossy link.

#![allow(clippy::disallowed_methods)] // `Instant::now()` only picks the origin of virtual time
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtc_stun::{
    BindingServer, Class, ClientConfig, ClientEvent, Error, Message, MessageBuilder, Method,
    ServerConfig, StunClient, TransactionId, Transport,
};

const SERVER: &str = "192.0.2.10:3478";
const CLIENT: &str = "198.51.100.7:50000";

fn request(buf: &mut [u8], id: u8) -> usize {
    MessageBuilder::new(
        buf,
        Class::Request,
        Method::BINDING,
        TransactionId::new([id; 12]),
    )
    .unwrap()
    .len()
}

/// Runs the client alone (every request lost) and returns the send times, in ms from start, and
/// when the timeout was reported.
fn send_times(config: ClientConfig, transport: Transport) -> (Vec<u128>, u128) {
    let start = Instant::now();
    let mut now = start;
    let mut client = StunClient::new(config);
    let mut buf = [0u8; 64];
    let len = request(&mut buf, 1);
    let id = client
        .start(now, SERVER.parse().unwrap(), transport, &buf[..len])
        .unwrap();
    let mut sends = Vec::new();
    loop {
        while let Some(t) = client.poll_transmit() {
            assert_eq!(t.contents, &buf[..len]);
            sends.push((now - start).as_millis());
        }
        if let Some(ClientEvent::TimedOut(done)) = client.poll_event() {
            assert_eq!(done, id);
            assert_eq!(client.in_flight(), 0);
            assert_eq!(client.poll_timeout(), None);
            return (sends, (now - start).as_millis());
        }
        now = client.poll_timeout().expect("a timer while in flight");
        client.handle_timeout(now);
    }
}

#[test]
fn udp_schedule_matches_rfc_8489_example() {
    // RFC 8489 §6.2.1: with RTO 500 ms, Rc 7, Rm 16: sends at 0, 500, 1500, 3500, 7500, 15500
    // and 31500 ms; failure at 39500 ms.
    let (sends, timeout) = send_times(ClientConfig::default(), Transport::Unreliable);
    assert_eq!(sends, [0, 500, 1500, 3500, 7500, 15500, 31500]);
    assert_eq!(timeout, 39500);
}

#[test]
fn schedule_follows_configured_rto_and_counts() {
    let config = ClientConfig {
        rto: Duration::from_millis(100),
        max_requests: 3,
        rm: 4,
        ..ClientConfig::default()
    };
    let (sends, timeout) = send_times(config, Transport::Unreliable);
    assert_eq!(sends, [0, 100, 300]);
    assert_eq!(timeout, 700);
}

#[test]
fn reliable_transport_sends_once_and_waits_ti() {
    let (sends, timeout) = send_times(ClientConfig::default(), Transport::Reliable);
    assert_eq!(sends, [0]);
    assert_eq!(timeout, 39500);
}

#[test]
fn spurious_and_early_timeouts_do_nothing() {
    let mut now = Instant::now();
    let mut client = StunClient::default();
    let mut buf = [0u8; 64];
    let len = request(&mut buf, 2);
    client
        .start(
            now,
            SERVER.parse().unwrap(),
            Transport::Unreliable,
            &buf[..len],
        )
        .unwrap();
    assert!(client.poll_transmit().is_some());
    let due = client.poll_timeout().unwrap();
    for _ in 0..5 {
        now += Duration::from_millis(10);
        client.handle_timeout(now);
        assert!(client.poll_transmit().is_none());
        assert_eq!(client.poll_timeout(), Some(due));
    }
}

#[test]
fn response_completes_only_its_transaction() {
    let now = Instant::now();
    let mut client = StunClient::default();
    let mut a = [0u8; 64];
    let mut b = [0u8; 64];
    let (la, lb) = (request(&mut a, 0xA), request(&mut b, 0xB));
    let server: SocketAddr = SERVER.parse().unwrap();
    let ida = client
        .start(now, server, Transport::Unreliable, &a[..la])
        .unwrap();
    let idb = client
        .start(now, server, Transport::Unreliable, &b[..lb])
        .unwrap();
    assert_eq!(
        client.start(now, server, Transport::Unreliable, &a[..la]),
        Err(Error::DuplicateTransaction)
    );
    assert_eq!(client.in_flight(), 2);

    let mut out = [0u8; 64];
    let len = MessageBuilder::new(&mut out, Class::Success, Method::BINDING, idb)
        .unwrap()
        .len();
    let response = Message::parse(&out[..len]).unwrap();
    assert_eq!(client.handle_response(now, &response), Ok(idb));
    // A duplicate response no longer matches.
    assert_eq!(
        client.handle_response(now, &response),
        Err(Error::UnmatchedResponse)
    );
    assert_eq!(client.in_flight(), 1);

    // A request with a live transaction's id is not a response.
    let request_a = Message::parse(&a[..la]).unwrap();
    assert_eq!(
        client.handle_response(now, &request_a),
        Err(Error::UnmatchedResponse)
    );
    assert!(client.cancel(ida));
    assert!(!client.cancel(ida));
    assert_eq!(client.in_flight(), 0);
}

#[test]
fn refuses_non_requests_and_too_many_transactions() {
    let now = Instant::now();
    let server: SocketAddr = SERVER.parse().unwrap();
    let mut client = StunClient::new(ClientConfig {
        max_transactions: 2,
        ..ClientConfig::default()
    });
    let mut buf = [0u8; 64];
    let len = MessageBuilder::new(
        &mut buf,
        Class::Indication,
        Method::BINDING,
        TransactionId::new([1; 12]),
    )
    .unwrap()
    .len();
    assert_eq!(
        client.start(now, server, Transport::Unreliable, &buf[..len]),
        Err(Error::NotARequest)
    );
    for id in 0..2 {
        let len = request(&mut buf, id);
        client
            .start(now, server, Transport::Unreliable, &buf[..len])
            .unwrap();
    }
    let len = request(&mut buf, 9);
    assert_eq!(
        client.start(now, server, Transport::Unreliable, &buf[..len]),
        Err(Error::TooManyTransactions(2))
    );
    assert!(matches!(
        client.start(now, server, Transport::Unreliable, &buf[..len - 1]),
        Err(e) if e.is_invalid_message()
    ));
}

/// Deterministic pseudo-random loss (xorshift), so the test is reproducible.
struct Loss(u64);

impl Loss {
    fn drop(&mut self, percent: u64) -> bool {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % 100 < percent
    }
}

/// A client and the binding server over a link with 50 ms one-way delay and `loss_percent` loss
/// in each direction. Returns how long the transaction took, or `None` if it timed out.
fn exchange_over_lossy_link(seed: u64, loss_percent: u64) -> Option<Duration> {
    let start = Instant::now();
    let mut now = start;
    let delay = Duration::from_millis(50);
    let mut loss = Loss(seed | 1);
    let server_addr: SocketAddr = SERVER.parse().unwrap();
    let client_addr: SocketAddr = CLIENT.parse().unwrap();
    let mut client = StunClient::default();
    let mut server = BindingServer::new(ServerConfig::default());
    let mut buf = [0u8; 64];
    let len = request(&mut buf, 7);
    let id = client
        .start(now, server_addr, Transport::Unreliable, &buf[..len])
        .unwrap();
    // In-flight datagrams: (arrival time, to server?, bytes).
    let mut wire: Vec<(Instant, bool, Vec<u8>)> = Vec::new();
    loop {
        while let Some(t) = client.poll_transmit() {
            assert_eq!(t.destination, server_addr);
            if !loss.drop(loss_percent) {
                wire.push((now + delay, true, t.contents.to_vec()));
            }
        }
        if let Some(ClientEvent::TimedOut(_)) = client.poll_event() {
            return None;
        }
        let next_wire = wire.iter().map(|w| w.0).min();
        now = match (next_wire, client.poll_timeout()) {
            (Some(a), Some(b)) => a.min(b),
            (a, b) => a.or(b)?,
        };
        client.handle_timeout(now);
        let (due, later): (Vec<_>, Vec<_>) = wire.drain(..).partition(|w| w.0 <= now);
        wire = later;
        for (_, to_server, bytes) in due {
            if to_server {
                server.handle_input(client_addr, &bytes).unwrap();
                while let Some(t) = server.poll_transmit() {
                    assert_eq!(t.destination, client_addr);
                    if !loss.drop(loss_percent) {
                        wire.push((now + delay, false, t.contents.to_vec()));
                    }
                }
            } else {
                let response = Message::parse(&bytes).unwrap();
                if client.handle_response(now, &response) == Ok(id) {
                    assert_eq!(response.xor_mapped_address(), Some(client_addr));
                    return Some(now - start);
                }
            }
        }
    }
}

#[test]
fn binding_succeeds_over_a_clean_link_in_one_round_trip() {
    assert_eq!(
        exchange_over_lossy_link(1, 0),
        Some(Duration::from_millis(100))
    );
}

#[test]
fn retransmissions_carry_a_binding_through_heavy_loss() {
    // With 40% loss each way a round trip survives with probability 0.36; seven tries fail with
    // probability 0.64^7 ≈ 4%. Over 200 seeds nearly all must succeed, some only after
    // retransmitting, and late ones after the RTO doubled.
    let outcomes: Vec<_> = (1..=200)
        .map(|s| exchange_over_lossy_link(s * 7919, 40))
        .collect();
    let ok = outcomes.iter().flatten().count();
    let retransmitted = outcomes
        .iter()
        .flatten()
        .filter(|d| **d > Duration::from_millis(100))
        .count();
    assert!(ok >= 180, "only {ok} of 200 succeeded");
    assert!(
        retransmitted >= 50,
        "only {retransmitted} needed a retransmission"
    );
    assert!(
        outcomes
            .iter()
            .flatten()
            .all(|d| *d < Duration::from_millis(39_500))
    );
}
