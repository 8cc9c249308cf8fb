#![no_main]
//! Arbitrary datagrams into an ICE agent that has credentials and candidates on both sides:
//! STUN that does not parse, does not authenticate or answers nothing must be dropped, never
//! panic; a real check from the peer (made by a second agent) is mixed in so authenticated
//! paths run too. Input: datagrams behind 2-byte lengths, time advancing between them.
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtc_ice::{Agent, Candidate, Config, Credentials};

fuzz_target!(|data: &[u8]| {
    let now = Instant::now();
    let a_addr: SocketAddr = "10.0.0.1:5000".parse().unwrap();
    let b_addr: SocketAddr = "10.0.0.2:6000".parse().unwrap();
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
    b.add_local_candidate(now, Candidate::host(b_addr, 65535, 1));
    a.set_remote_credentials(now, cb);
    b.set_remote_credentials(now, ca);
    a.add_remote_candidate(now, Candidate::host(b_addr, 65535, 1));
    a.handle_timeout(now);
    let check = a.poll_transmit().map(|t| t.contents).unwrap_or_default();
    let mut rest = data;
    let mut t = now;
    let mut i = 0u32;
    while rest.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([rest[0], rest[1]])).min(rest.len() - 2);
        let datagram = &rest[2..2 + len];
        rest = &rest[2 + len..];
        // Every third input is the real check with its bytes overlaid by the fuzzer's.
        let bytes: Vec<u8> = if i % 3 == 2 {
            let mut c = check.clone();
            for (x, y) in c.iter_mut().zip(datagram) {
                *x ^= *y;
            }
            c
        } else {
            datagram.to_vec()
        };
        i += 1;
        let _ = b.handle_packet(t, b_addr, a_addr, &bytes);
        while b.poll_transmit().is_some() {}
        while b.poll_event().is_some() {}
        t += Duration::from_millis(u64::from(len as u8));
        if b.poll_timeout().is_some_and(|d| d <= t) {
            b.handle_timeout(t);
        }
    }
    let _ = b.selected_pair();
});
