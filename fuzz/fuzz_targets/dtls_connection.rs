#![no_main]
//! Arbitrary datagrams into DTLS connections: a fresh server, a client that has sent its
//! ClientHello, and a connected server (epoch 1, decryption and replay window). Each input is
//! a selector byte, then datagrams behind 2-byte lengths, with time advancing between them.
//! Nothing may panic; non-fatal errors leave the connection usable.
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtc_dtls::{Certificate, Config, Connection, FingerprintAlgorithm, Role, State};

fn configs() -> &'static (Arc<Config>, Arc<Config>) {
    static CONFIGS: OnceLock<(Arc<Config>, Arc<Config>)> = OnceLock::new();
    CONFIGS.get_or_init(|| {
        let make = || {
            let mut c = Config::new(Certificate::generate().expect("certificate")).expect("config");
            c.mtu = 300;
            Arc::new(c)
        };
        (make(), make())
    })
}

fn connected_server(now: Instant) -> Connection {
    let (c, s) = configs();
    let mut client = Connection::new(c.clone(), Role::Client, now).expect("client");
    let mut server = Connection::new(s.clone(), Role::Server, now).expect("server");
    client
        .set_remote_fingerprints(vec![
            s.certificate().fingerprint(FingerprintAlgorithm::Sha256),
        ])
        .expect("fingerprint");
    server
        .set_remote_fingerprints(vec![
            c.certificate().fingerprint(FingerprintAlgorithm::Sha256),
        ])
        .expect("fingerprint");
    for _ in 0..6 {
        while let Some(d) = client.poll_transmit() {
            let _ = server.handle_datagram(now, &d);
        }
        while let Some(d) = server.poll_transmit() {
            let _ = client.handle_datagram(now, &d);
        }
    }
    assert!(server.is_connected());
    server
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, mut rest)) = data.split_first() else {
        return;
    };
    let now = Instant::now();
    let (c, s) = configs();
    let mut conn = match selector % 3 {
        0 => Connection::new(s.clone(), Role::Server, now).expect("server"),
        1 => Connection::new(c.clone(), Role::Client, now).expect("client"),
        _ => connected_server(now),
    };
    let mut t = now;
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]])).min(rest.len() - 2);
        let (datagram, tail) = rest[2..].split_at(len);
        rest = tail;
        t += Duration::from_millis(100);
        let before = conn.state();
        match conn.handle_datagram(t, datagram) {
            Ok(()) => {}
            Err(e) if e.is_fatal() => assert_eq!(conn.state(), State::Failed),
            Err(_) => assert!(conn.state() == before || conn.state() != State::Failed),
        }
        conn.handle_timeout(t);
        while conn.poll_transmit().is_some() {}
        while conn.poll_event().is_some() {}
        if matches!(conn.state(), State::Failed | State::Closed) {
            break;
        }
    }
});
