//! One socket serving several peer connections (an SFU's shape): each datagram goes to the
//! connection that accepts it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use rtc_peer::{Config, DataChannelInit, Event, PeerConnection, PeerConnectionState, Transmit};

#[test]
fn two_connections_on_one_socket_each_get_their_own_traffic() {
    #[allow(clippy::disallowed_methods)]
    let mut now = Instant::now();
    let shared: SocketAddr = "10.0.0.1:5000".parse().unwrap();
    let remotes: [SocketAddr; 2] = [
        "10.0.0.2:6000".parse().unwrap(),
        "10.0.0.3:7000".parse().unwrap(),
    ];
    // servers[i] on the shared socket talks to clients[i].
    let mut servers: Vec<PeerConnection> = (0..2)
        .map(|_| PeerConnection::new(Config::default()).unwrap())
        .collect();
    let mut clients: Vec<PeerConnection> = (0..2)
        .map(|_| PeerConnection::new(Config::default()).unwrap())
        .collect();
    let mut channels = Vec::new();
    for i in 0..2 {
        clients[i].add_host_address(now, remotes[i]);
        servers[i].add_host_address(now, shared);
        let ch = clients[i]
            .create_data_channel(now, &format!("to-server-{i}"), DataChannelInit::default())
            .unwrap();
        channels.push(ch);
        let offer = clients[i].create_offer().unwrap();
        clients[i].set_local_description(now, offer).unwrap();
        let offer = clients[i].local_description().unwrap();
        servers[i].set_remote_description(now, offer).unwrap();
        let answer = servers[i].create_answer().unwrap();
        servers[i].set_local_description(now, answer).unwrap();
        let answer = servers[i].local_description().unwrap();
        clients[i].set_remote_description(now, answer).unwrap();
    }
    let mut received: Vec<Vec<String>> = vec![Vec::new(), Vec::new()];
    let mut sent = [false, false];
    let mut misrouted = 0;
    let end = now + Duration::from_secs(20);
    while now < end && received.iter().any(Vec::is_empty) {
        let mut queue: Vec<Transmit> = Vec::new();
        for pc in servers.iter_mut().chain(clients.iter_mut()) {
            queue.extend(std::iter::from_fn(|| pc.poll_transmit()));
        }
        for t in queue {
            if t.destination == shared {
                // The demultiplexer: the first connection that accepts the datagram.
                let mut taken = false;
                for s in servers.iter_mut() {
                    if s.accepts(t.source, &t.contents) {
                        s.handle_input(now, shared, t.source, &t.contents);
                        taken = true;
                        break;
                    }
                }
                if !taken {
                    misrouted += 1;
                }
            } else if let Some(i) = remotes.iter().position(|r| *r == t.destination) {
                clients[i].handle_input(now, t.destination, t.source, &t.contents);
            }
        }
        for (i, s) in servers.iter_mut().enumerate() {
            while let Some(e) = s.poll_event() {
                if let Event::ChannelMessage { data, .. } = e {
                    received[i].push(String::from_utf8(data.to_vec()).unwrap());
                }
            }
        }
        for (i, c) in clients.iter_mut().enumerate() {
            while let Some(e) = c.poll_event() {
                if e == Event::ChannelOpen(channels[i]) && !sent[i] {
                    sent[i] = true;
                    c.send_text(now, channels[i], &format!("from client {i}"))
                        .unwrap();
                }
            }
        }
        now += Duration::from_millis(5);
        for pc in servers.iter_mut().chain(clients.iter_mut()) {
            if pc.poll_timeout().is_some_and(|t| t <= now) {
                pc.handle_timeout(now);
            }
        }
    }
    assert_eq!(received[0], ["from client 0"]);
    assert_eq!(received[1], ["from client 1"]);
    assert_eq!(misrouted, 0);
    for s in &servers {
        assert_eq!(s.connection_state(), PeerConnectionState::Connected);
        assert_eq!(s.selected_pair().map(|p| p.0), Some(shared));
    }
}
