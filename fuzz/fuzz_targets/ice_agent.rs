#![no_main]
//! Arbitrary input into an ICE agent that has credentials and candidates on both sides (UDP
//! host, and TCP: the peer's active candidate, our passive one): STUN that does not parse,
//! does not authenticate or answers nothing must be dropped, never panic. Real checks from
//! the peer (made by a second agent, over UDP and over TCP) are mixed in so authenticated
//! paths run too.
//!
//! Input: records behind 2-byte lengths, time advancing between them. A record's first byte
//! says what the rest is: a UDP datagram, the real UDP check overlaid with it, bytes of the
//! TCP stream of a connection accepted on our passive candidate (RFC 4571 frames, split
//! wherever the records split them), the real TCP check overlaid with it and framed onto
//! that stream, or the connection closing.
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtc_ice::tcp::{self, FrameDecoder};
use rtc_ice::{Agent, Candidate, Config, Credentials, TcpType, Transport};

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let a_addr: SocketAddr = "10.0.0.1:5000".parse().unwrap();
    let b_addr: SocketAddr = "10.0.0.2:6000".parse().unwrap();
    let b_tcp: SocketAddr = "10.0.0.2:6001".parse().unwrap();
    // The port the peer's connection comes from (its active candidate's ephemeral port).
    let a_ephemeral: SocketAddr = "10.0.0.1:50000".parse().unwrap();
    let ca = Credentials {
        ufrag: "aaaa".into(),
        pwd: "aaaaaaaaaaaaaaaaaaaaaaaa".into(),
    };
    let cb = Credentials {
        ufrag: "bbbb".into(),
        pwd: "bbbbbbbbbbbbbbbbbbbbbbbb".into(),
    };
    let mut a = Agent::new(Config::new(true), ca.clone());
    let mut b = Agent::new(Config::new(false), cb.clone());
    a.add_local_candidate(now, Candidate::host(a_addr, 65535, 1));
    a.add_local_candidate(now, Candidate::tcp_host(a_addr, TcpType::Active, 8191, 1));
    b.add_local_candidate(now, Candidate::host(b_addr, 65535, 1));
    b.add_local_candidate(now, Candidate::tcp_host(b_tcp, TcpType::Passive, 8191, 1));
    a.set_remote_credentials(now, cb);
    b.set_remote_credentials(now, ca);
    for c in b.local_candidates().to_vec() {
        a.add_remote_candidate(now, c);
    }
    for c in a.local_candidates().to_vec() {
        b.add_remote_candidate(now, c);
    }
    // The peer's first checks: one UDP, one TCP (one per Ta).
    let (mut udp_check, mut tcp_check) = (Vec::new(), Vec::new());
    let mut t = now;
    for _ in 0..4 {
        a.handle_timeout(t);
        while let Some(x) = a.poll_transmit() {
            match x.transport {
                Transport::Udp if udp_check.is_empty() => udp_check = x.contents,
                Transport::Tcp(_) if tcp_check.is_empty() => tcp_check = x.contents,
                _ => {}
            }
        }
        t += Duration::from_millis(50);
    }
    let mut decoder = FrameDecoder::new();
    let mut rest = data;
    let mut t = now;
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]])).min(rest.len() - 2);
        let record = &rest[2..2 + len];
        rest = &rest[2 + len..];
        let (selector, bytes) = match record.split_first() {
            Some((s, bytes)) => (*s, bytes),
            None => (0, record),
        };
        let overlay = |check: &[u8]| {
            let mut c = check.to_vec();
            for (x, y) in c.iter_mut().zip(bytes) {
                *x ^= *y;
            }
            c
        };
        match selector % 5 {
            0 => {
                let _ = b.handle_packet(t, b_addr, a_addr, bytes);
            }
            1 => {
                let _ = b.handle_packet(t, b_addr, a_addr, &overlay(&udp_check));
            }
            kind @ (2 | 3) => {
                let stream = if kind == 2 {
                    bytes.to_vec()
                } else {
                    let check = overlay(&tcp_check);
                    let mut framed = vec![0u8; tcp::encoded_len(check.len())];
                    let n = tcp::encode(&check, &mut framed).expect("a check fits a frame");
                    framed.truncate(n);
                    framed
                };
                let decoded = decoder.decode(&stream, |frame| {
                    let _ = b.handle_tcp_packet(t, b_tcp, a_ephemeral, frame);
                });
                if decoded.is_err() {
                    // What a driver does: close the connection and say so.
                    decoder = FrameDecoder::new();
                    b.tcp_closed(t, b_tcp, a_ephemeral);
                }
            }
            _ => {
                decoder = FrameDecoder::new();
                b.tcp_closed(t, b_tcp, a_ephemeral);
            }
        }
        while b.poll_transmit().is_some() {}
        while b.poll_event().is_some() {}
        t += Duration::from_millis(u64::from(len as u8));
        if b.poll_timeout().is_some_and(|d| d <= t) {
            b.handle_timeout(t);
        }
    }
    let _ = b.selected_pair();
    let _ = b.send_data(t, b"data");
});
