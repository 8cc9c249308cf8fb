#![no_main]
//! The peer connection's two inputs from the network: the peer's session description (first
//! byte even: the rest is its offer's text) and datagrams on the socket (first byte odd: a
//! connection that offered and took an answer with `a=setup:active`, so its DTLS server,
//! ICE agent and demultiplexer are all live, gets the rest as datagrams behind 2-byte
//! lengths, with time advancing between them). Neither may panic.
use std::net::SocketAddr;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use rtc_peer::{Config, DataChannelInit, PeerConnection, RtcSessionDescriptionInit};

fn config() -> Config {
    static CERT: OnceLock<rtc_dtls::Certificate> = OnceLock::new();
    Config {
        certificate: Some(CERT.get_or_init(|| rtc_dtls::Certificate::generate().unwrap()).clone()),
        ..Config::default()
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let now = Instant::now();
    let mut pc = PeerConnection::new(config()).unwrap();
    let local: SocketAddr = "10.0.0.1:5000".parse().unwrap();
    pc.add_host_address(now, local);
    if mode % 2 == 0 {
        let text = String::from_utf8_lossy(rest).into_owned();
        if pc
            .set_remote_description(now, RtcSessionDescriptionInit::offer(text))
            .is_ok()
        {
            if let Ok(answer) = pc.create_answer() {
                let _ = pc.set_local_description(now, answer);
            }
        }
        while pc.poll_transmit().is_some() {}
        return;
    }
    // A peer that answers as the DTLS client: its answer comes from a real second connection.
    pc.create_data_channel(now, "chat", DataChannelInit::default())
        .unwrap();
    let offer = pc.create_offer().unwrap();
    pc.set_local_description(now, offer.clone()).unwrap();
    let mut peer = PeerConnection::new(config()).unwrap();
    peer.add_host_address(now, "10.0.0.2:6000".parse().unwrap());
    peer.set_remote_description(now, offer).unwrap();
    let answer = peer.create_answer().unwrap();
    peer.set_local_description(now, answer).unwrap();
    pc.set_remote_description(now, peer.local_description().unwrap())
        .unwrap();
    let from: SocketAddr = "10.0.0.2:6000".parse().unwrap();
    let mut t = now;
    let mut input = rest;
    while input.len() >= 2 {
        let len = usize::from(u16::from_be_bytes([input[0], input[1]])).min(input.len() - 2);
        let (datagram, tail) = input[2..].split_at(len);
        pc.handle_input(t, local, from, datagram);
        t += Duration::from_millis(u64::from(len as u8));
        pc.handle_timeout(t);
        while pc.poll_transmit().is_some() {}
        while pc.poll_event().is_some() {}
        input = tail;
    }
});
