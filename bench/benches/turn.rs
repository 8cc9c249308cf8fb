//! TURN relay throughput, side by side: datagrams relayed per second by our example server
//! (`crates/rtc-turn/examples/turn_server.rs`, release build) and by coturn, over loopback UDP,
//! in the same run.
//!
//! One client allocates on each server with our `TurnClient`, binds a channel to a local UDP
//! peer and sends 100-byte ChannelData messages in bursts of 64; the time until the peer has
//! received a burst is the measure (so a figure is a burst's latency divided by its size: what a
//! server sustains when loaded by one client). Lost datagrams are waited for 50 ms and counted;
//! the cross-check before timing requires none. `cargo xtask bench` builds the server first.
#![allow(clippy::disallowed_methods)]

use std::net::{SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use rtc_bench_compare::figures::criterion_filter;
use rtc_turn::client::{ClientConfig, ClientEvent};
use rtc_turn::{Transport, TurnClient};

const BURST: usize = 64;
const PAYLOAD: [u8; 100] = [0x5A; 100];

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ours(port: u16) -> Server {
    let bin = std::env::var_os("RTC_TURN_SERVER_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/release/examples/turn_server"),
        PathBuf::from,
    );
    let child = Command::new(&bin)
        .args([
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--user",
            "bench:bench",
        ])
        .args([
            "--realm",
            "bench",
            "--ports",
            "49500-49899",
            "--allow-loopback-peers",
        ])
        .args(["--user-quota", "1000"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e} (build it: cargo build --release -p rtc-turn --example turn_server)",
                bin.display()
            )
        });
    Server(child)
}

fn coturn(port: u16) -> Server {
    let dir = std::env::temp_dir().join(format!("rtc-bench-coturn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let child = Command::new("turnserver")
        .args(["-n", "--listening-ip=127.0.0.1", "--relay-ip=127.0.0.1"])
        .arg(format!("--listening-port={port}"))
        .args([
            "--lt-cred-mech",
            "--user=bench:bench",
            "--realm=bench",
            "--no-tls",
            "--no-dtls",
        ])
        .args([
            "--allow-loopback-peers",
            "--no-cli",
            "--min-port=50000",
            "--max-port=50399",
        ])
        .arg(format!("--userdb={}", dir.join("db").display()))
        .arg(format!("--pidfile={}", dir.join("pid").display()))
        .args(["--log-file=stdout", "--simple-log", "--no-stdout-log"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("coturn's turnserver (apt-get install coturn)");
    Server(child)
}

struct Relay {
    client: TurnClient,
    socket: UdpSocket,
    peer: UdpSocket,
    peer_addr: SocketAddr,
    server: SocketAddr,
    out: Vec<u8>,
}

impl Relay {
    /// Allocates, creates the permission and binds the channel; retries while the server
    /// process starts.
    fn new(server: SocketAddr) -> Self {
        for _ in 0..50 {
            if let Some(relay) = Self::try_new(server) {
                return relay;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("no allocation on {server}");
    }

    fn try_new(server: SocketAddr) -> Option<Self> {
        let socket = UdpSocket::bind("127.0.0.1:0").ok()?;
        let peer = UdpSocket::bind("127.0.0.1:0").ok()?;
        let peer_addr = peer.local_addr().ok()?;
        let config = ClientConfig {
            timing: rtc_stun::ClientConfig {
                rto: Duration::from_millis(100),
                max_requests: 3,
                ..rtc_stun::ClientConfig::default()
            },
            ..ClientConfig::default()
        };
        let client = TurnClient::new(
            server,
            Transport::Udp,
            "bench".into(),
            "bench".into(),
            config,
            [3; 32],
        );
        let mut relay = Self {
            client,
            socket,
            peer,
            peer_addr,
            server,
            out: vec![0; 2048],
        };
        relay.client.allocate(Instant::now()).ok()?;
        relay.drive(|e| matches!(e, ClientEvent::Allocated { .. }))?;
        relay.client.bind_channel(Instant::now(), peer_addr).ok()?;
        relay.drive(|e| matches!(e, ClientEvent::ChannelBound { .. }))?;
        Some(relay)
    }

    fn drive(&mut self, done: impl Fn(&ClientEvent) -> bool) -> Option<()> {
        let deadline = Instant::now() + Duration::from_secs(3);
        let mut buf = [0u8; 2048];
        while Instant::now() < deadline {
            while let Some(t) = self.client.poll_transmit() {
                self.socket.send_to(t.contents, t.destination).ok()?;
            }
            while let Some(e) = self.client.poll_event() {
                if done(&e) {
                    return Some(());
                }
                if matches!(e, ClientEvent::AllocationFailed(_) | ClientEvent::Failed(_)) {
                    return None;
                }
            }
            self.socket
                .set_read_timeout(Some(Duration::from_millis(20)))
                .ok()?;
            match self.socket.recv(&mut buf) {
                Ok(n) => {
                    let _ = self.client.handle_input(Instant::now(), &buf[..n]);
                }
                Err(_) => self.client.handle_timeout(Instant::now()),
            }
        }
        None
    }

    /// Sends one burst and waits for it at the peer; returns how many arrived.
    fn burst(&mut self) -> usize {
        let n = self
            .client
            .send_to(Instant::now(), self.peer_addr, &PAYLOAD, &mut self.out)
            .expect("channel bound");
        for _ in 0..BURST {
            self.socket
                .send_to(&self.out[..n], self.server)
                .expect("send");
        }
        let mut buf = [0u8; 256];
        let _ = self.peer.set_read_timeout(Some(Duration::from_millis(50)));
        let mut received = 0;
        while received < BURST {
            match self.peer.recv(&mut buf) {
                Ok(_) => received += 1,
                Err(_) => break,
            }
        }
        received
    }
}

/// Resident memory of a process, from /proc (kB).
fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Memory per allocation: the server's resident memory before and after `n` clients allocate.
fn memory_per_allocation(name: &str, server: &Server, address: SocketAddr, n: usize) {
    let before = rss_kb(server.0.id());
    let relays: Vec<Relay> = (0..n).map(|_| Relay::new(address)).collect();
    std::thread::sleep(Duration::from_millis(200));
    let after = rss_kb(server.0.id());
    println!(
        "turn memory: {name}: resident {before} kB -> {after} kB with {n} allocations (each with a \
         permission and a channel): {:.0} bytes per allocation",
        (after.saturating_sub(before) * 1024) as f64 / n as f64
    );
    drop(relays);
}

fn benches(c: &mut Criterion) {
    // No servers (nor the example server's binary) when a name filter leaves this group out,
    // as `cargo xtask bench OTHER` runs every bench binary with OTHER as the filter.
    if criterion_filter().is_some_and(|f| !f.contains("turn") && !"turn".contains(f.as_str())) {
        return;
    }
    let our_server = ours(3580);
    let their_server = coturn(3581);
    // Warm both up with one allocation each, then measure memory with 300 more.
    drop(Relay::new("127.0.0.1:3580".parse().unwrap()));
    drop(Relay::new("127.0.0.1:3581".parse().unwrap()));
    memory_per_allocation("rtc", &our_server, "127.0.0.1:3580".parse().unwrap(), 300);
    memory_per_allocation(
        "coturn",
        &their_server,
        "127.0.0.1:3581".parse().unwrap(),
        300,
    );
    let mut relays = [
        ("rtc", Relay::new("127.0.0.1:3580".parse().unwrap())),
        ("coturn", Relay::new("127.0.0.1:3581".parse().unwrap())),
    ];
    // Cross-check: both relay a burst completely before anything is timed.
    for (name, relay) in &mut relays {
        assert_eq!(
            relay.burst(),
            BURST,
            "{name} lost datagrams in the cross-check"
        );
    }
    let mut g =
        c.benchmark_group("turn: relay one 100-byte datagram (UDP ChannelData, bursts of 64)");
    for (name, relay) in &mut relays {
        let mut lost = 0;
        g.bench_function(*name, |b| {
            b.iter_custom(|iters| {
                let bursts = iters.div_ceil(BURST as u64);
                let start = Instant::now();
                for _ in 0..bursts {
                    lost += BURST - relay.burst();
                }
                // `bursts * BURST` datagrams went through; report the time for `iters` of them.
                start
                    .elapsed()
                    .mul_f64(iters as f64 / (bursts * BURST as u64) as f64)
            })
        });
        if lost > 0 {
            eprintln!("{name}: {lost} datagrams lost during the measurement");
        }
    }
    g.finish();
    drop((our_server, their_server));
}

criterion_group!(turn, benches);
criterion_main!(turn);
