#![no_main]
//! Drive the Binding server and a client with transactions in flight with arbitrary datagrams
//! and timer calls: nothing may panic, and the client's bookkeeping must stay consistent.
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtc_stun::{
    BindingServer, Class, Message, MessageBuilder, Method, ServerConfig, StunClient, TransactionId,
    Transport,
};

fuzz_target!(|data: &[u8]| {
    let start = Instant::now();
    let peer: SocketAddr = "192.0.2.1:3478".parse().unwrap();
    let mut server = BindingServer::new(ServerConfig {
        software: Some("fuzz".into()),
        always_fingerprint: true,
    });
    let mut client = StunClient::default();
    let mut buf = [0u8; 32];
    for i in 0..4u8 {
        let len = MessageBuilder::new(
            &mut buf,
            Class::Request,
            Method::BINDING,
            TransactionId::new([i; 12]),
        )
        .unwrap()
        .len();
        client
            .start(start, peer, Transport::Unreliable, &buf[..len])
            .unwrap();
    }
    // Each chunk: one byte of elapsed milliseconds (x64), two bytes of length, then a datagram.
    let mut rest = data;
    let mut now = start;
    while rest.len() >= 3 {
        now += Duration::from_millis(u64::from(rest[0]) * 64);
        let len = usize::from(u16::from_be_bytes([rest[1], rest[2]])).min(rest.len() - 3);
        let datagram = &rest[3..3 + len];
        rest = &rest[3 + len..];
        let _ = server.handle_input(peer, datagram);
        while let Some(t) = server.poll_transmit() {
            // Everything the server sends is a valid STUN message.
            assert!(Message::parse_allow_rfc3489(t.contents).is_ok());
        }
        if let Ok(m) = Message::parse(datagram) {
            let _ = client.handle_response(now, &m);
        }
        client.handle_timeout(now);
        while client.poll_transmit().is_some() {}
        while client.poll_event().is_some() {}
        assert!(client.in_flight() <= 4);
        if client.in_flight() > 0 {
            assert!(client.poll_timeout().is_some());
        }
    }
});
