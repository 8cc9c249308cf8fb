#![no_main]
//! Arbitrary client frames, peer datagrams and timer ticks into the TURN server core, and
//! arbitrary server input into a TURN client: typed errors only, and everything the server sends
//! is well formed.
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtc_turn::client::ClientConfig;
use rtc_turn::server::Credentials;
use rtc_turn::{FiveTuple, ServerConfig, Transport, TurnClient, TurnServer};

fuzz_target!(|data: &[u8]| {
    let start = Instant::now();
    let server_addr: SocketAddr = "192.0.2.100:3478".parse().unwrap();
    let mut server = TurnServer::new(
        ServerConfig {
            credentials: Credentials {
                users: [("u".to_owned(), "p".to_owned())].into(),
                shared_secret: Some(b"s".to_vec()),
            },
            relay_ports: 50000..=50003,
            ..ServerConfig::default()
        },
        [1; 16],
    );
    let mut client = TurnClient::new(
        server_addr,
        Transport::Udp,
        "u".to_owned(),
        "p".to_owned(),
        ClientConfig::default(),
        [2; 32],
    );
    let _ = client.allocate(start);
    // Chunks: [delay x 16 ms][kind][len u16][bytes].
    let mut rest = data;
    let mut now = start;
    while rest.len() >= 4 {
        now += Duration::from_millis(u64::from(rest[0]) * 16);
        let kind = rest[1];
        let len = usize::from(u16::from_be_bytes([rest[2], rest[3]])).min(rest.len() - 4);
        let bytes = &rest[4..4 + len];
        rest = &rest[4 + len..];
        let tuple = FiveTuple {
            client: SocketAddr::from(([192, 0, 2, 1], 1000 + u16::from(kind % 3))),
            server: server_addr,
            transport: if kind & 4 == 0 {
                Transport::Udp
            } else {
                Transport::Tcp
            },
        };
        match kind % 4 {
            0 | 1 => {
                let _ = server.handle_client(now, tuple, bytes);
            }
            2 => {
                let relay = SocketAddr::from(([127, 0, 0, 1], 50000 + u16::from(kind >> 6)));
                let _ = server.handle_peer(now, relay, "198.51.100.1:9".parse().unwrap(), bytes);
            }
            _ => {
                let _ = client.handle_input(now, bytes);
            }
        }
        server.handle_timeout(now);
        client.handle_timeout(now);
        while let Some(t) = server.poll_transmit() {
            // To clients (from the listening address): STUN or ChannelData, well formed.
            if t.source == server_addr && !rtc_turn::is_channel_data(t.contents) {
                assert!(rtc_stun::Message::parse(t.contents).is_ok());
            }
        }
        while server.poll_event().is_some() {}
        while client.poll_transmit().is_some() {}
        while client.poll_event().is_some() {}
    }
});
