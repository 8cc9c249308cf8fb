//! The `nat` interop layer: two rtc-ice agents behind real NATs (Linux netfilter in network
//! namespaces), each gathering a server-reflexive candidate from a STUN server on the
//! "internet", then connecting through both NATs. interop/nat/README.md has the details.
//!
//! Topology, built for each case and torn down after it (a guard deletes the namespaces on
//! every path, failures and panics included; namespaces of killed runs are removed by the
//! next run). The names are `rtc-nat-<xtask pid>-<case>-<role>`:
//! ```text
//!   host-a 10.0.1.2 ─ lan 10.0.1.1 [nat-a] wan 203.0.113.1 ─┐
//!                                                           ├─ br0 203.0.113.10 [pub]: STUN :3478, :3479
//!                                                           │  (case 4: TURN :3480)
//!   host-b 10.0.2.2 ─ lan 10.0.2.1 [nat-b] wan 203.0.113.2 ─┘
//! ```
//! Every link is a veth pair; `pub` bridges the routers' wan links and holds the STUN servers.
//! The hosts' default route is their router; the routers forward (`net.ipv4.ip_forward=1`),
//! masquerade what leaves on `wan` and drop unsolicited packets arriving on `wan` (`INPUT
//! -i wan -m conntrack --ctstate NEW -j DROP`, as a home router's firewall does). Without that
//! drop, a peer's check that reaches the router before our first packet toward the peer
//! leaves a conntrack entry that makes the router map our later packets to a new port, and
//! hole punching fails every time (README: "Why the routers drop unsolicited packets";
//! `--plain-masquerade` runs without it).
//!
//! Cases (our `ice_peer` example in host-a, controlling, and host-b, controlled, each with
//! both STUN ports as `--stun-server`; they exchange their candidates through files once
//! gathering completed):
//! 1. endpoint-independent mapping (`MASQUERADE`: Linux keeps the source port), our rtc-stun
//!    server: both must select the same srflx ↔ srflx pair and get data through it;
//! 2. the same with two coturn instances as the STUN servers;
//! 3. symmetric NATs (`MASQUERADE --random-fully`: a new random port per destination): with no
//!    relay there is no path, and both agents must end cleanly in `Failed` (every pair failed
//!    after the peer's end-of-candidates), with no pair selected and the reason visible;
//! 4. the same symmetric NATs with coturn as a TURN server in pub (203.0.113.10:3480,
//!    long-term credentials, relaying from 203.0.113.10): each agent also gets
//!    `--turn-server`, allocates a relayed candidate and signals it; both must select a pair
//!    with a relayed end (checked through the relay) and get the data both ways, through
//!    `send_data` / `poll_relayed_data` on the side whose end is relayed.
//!
//! The mapping behaviour is checked, not assumed: each side's two STUN servers must have seen
//! the same mapped address in cases 1 and 2 and different ones in case 3, and the routers'
//! conntrack tables (`/proc/net/nf_conntrack`) show the port used toward each destination.
//! About 35 s: case 3 waits for the agent's RFC timers (7 transmissions per check, ~24 s).

use std::fmt::Write as _;
use std::fs;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::{CaseResult, Layer, Session};
use crate::util::{self, Background, Captured, Result};

/// Registered in [`super::LAYERS`].
pub(super) const LAYER: Layer = Layer {
    name: "nat",
    run,
    versions,
    flags: &[PLAIN_MASQUERADE],
};

/// Routers without the drop of unsolicited inbound packets (reproduces the port clash).
const PLAIN_MASQUERADE: &str = "--plain-masquerade";

/// Namespace names: `rtc-nat-<pid>-<case>-<role>`.
const NS_PREFIX: &str = "rtc-nat-";
const STUN_IP: Ipv4Addr = Ipv4Addr::new(203, 0, 113, 10);
const STUN_PORTS: [u16; 2] = [3478, 3479];
/// Case 4's TURN server (coturn) in pub, on [`STUN_IP`], and its long-term credentials.
const TURN_PORT: u16 = 3480;
const TURN_USER: &str = "user";
const TURN_PASS: &str = "pass";
const TURN_REALM: &str = "interop.test";
/// Each agent's own deadline (seconds); case 3 needs ~24 s for every pair to fail.
const SIDE_TIMEOUT: &str = "30";
/// The process deadline of a side, above [`SIDE_TIMEOUT`].
const SIDE_DEADLINE: Duration = Duration::from_secs(35);
const HOLD: &str = "1";
const CONSENT_INTERVAL: &str = "1";

fn versions() -> Vec<String> {
    let kernel = Command::new("uname")
        .arg("-r")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "?".to_owned());
    vec![
        format!("Linux {kernel} netfilter"),
        super::deb_version("iptables"),
        super::deb_version("coturn"),
    ]
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mapping {
    /// `MASQUERADE`: one public port per internal socket while it is free.
    EndpointIndependent,
    /// `MASQUERADE --random-fully`: a random public port per destination.
    Symmetric,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum StunServer {
    /// `cargo run -p rtc-stun --example stun_server`.
    Ours,
    Coturn,
}

struct Case {
    name: &'static str,
    peer: &'static str,
    mapping: Mapping,
    server: StunServer,
    /// coturn as a TURN server in pub, given to both agents.
    turn: bool,
}

const CASES: [Case; 4] = [
    Case {
        name: "endpoint-independent-mapping NATs (MASQUERADE) both sides, rtc-stun STUN server: \
               srflx ↔ srflx pair selected by both, data both ways",
        peer: "Linux netfilter NAT ×2 (+ rtc-stun stun_server)",
        mapping: Mapping::EndpointIndependent,
        server: StunServer::Ours,
        turn: false,
    },
    Case {
        name: "endpoint-independent-mapping NATs (MASQUERADE) both sides, coturn STUN server: \
               srflx ↔ srflx pair selected by both, data both ways",
        peer: "Linux netfilter NAT ×2 + coturn turnserver",
        mapping: Mapping::EndpointIndependent,
        server: StunServer::Coturn,
        turn: false,
    },
    Case {
        name: "symmetric NATs (MASQUERADE --random-fully) both sides, no relay: no path, both \
               agents fail cleanly (case 4 adds a TURN relay)",
        peer: "Linux netfilter NAT ×2 (+ rtc-stun stun_server)",
        mapping: Mapping::Symmetric,
        server: StunServer::Ours,
        turn: false,
    },
    Case {
        name: "symmetric NATs (MASQUERADE --random-fully) both sides, coturn TURN relay (UDP, \
               long-term credentials): relayed candidates gathered, a pair with a relayed end \
               selected by both, data both ways through the relay",
        peer: "Linux netfilter NAT ×2 + coturn turnserver (TURN) (+ rtc-stun stun_server)",
        mapping: Mapping::Symmetric,
        server: StunServer::Ours,
        turn: true,
    },
];

/// The two sides: (role in the namespace names and signal files, LAN address, router's
/// public address, ICE role).
const SIDES: [Side; 2] = [
    Side {
        name: "a",
        host: Ipv4Addr::new(10, 0, 1, 2),
        router_lan: Ipv4Addr::new(10, 0, 1, 1),
        public: Ipv4Addr::new(203, 0, 113, 1),
        role: "controlling",
    },
    Side {
        name: "b",
        host: Ipv4Addr::new(10, 0, 2, 2),
        router_lan: Ipv4Addr::new(10, 0, 2, 1),
        public: Ipv4Addr::new(203, 0, 113, 2),
        role: "controlled",
    },
];

struct Side {
    name: &'static str,
    host: Ipv4Addr,
    router_lan: Ipv4Addr,
    public: Ipv4Addr,
    role: &'static str,
}

struct Binaries {
    ice_peer: PathBuf,
    stun_server: PathBuf,
    stun_client: PathBuf,
}

fn run(session: &Session) -> Result<Vec<CaseResult>> {
    util::ensure_programs(&[
        ("iptables", "iptables"),
        ("turnserver", "coturn"),
        ("ip", "iproute2"),
    ])?;
    remove_stale_namespaces();
    // Built outside the namespaces (they have no network for crates.io).
    util::run(util::cargo().args([
        "build",
        "-p",
        "rtc-ice",
        "--example",
        "ice_peer",
        "-p",
        "rtc-stun",
        "--example",
        "stun_server",
        "--example",
        "stun_client",
        "--locked",
    ]))?;
    let examples = util::target_dir().join("debug/examples");
    let binaries = Binaries {
        ice_peer: examples.join("ice_peer"),
        stun_server: examples.join("stun_server"),
        stun_client: examples.join("stun_client"),
    };
    for binary in [
        &binaries.ice_peer,
        &binaries.stun_server,
        &binaries.stun_client,
    ] {
        if !binary.is_file() {
            return Err(format!(
                "{} is missing after building the examples",
                binary.display()
            ));
        }
    }
    let iptables = pick_iptables()?;
    let wan_filter = !session.flag(PLAIN_MASQUERADE);
    let mut results = Vec::new();
    for (index, case) in CASES.iter().enumerate() {
        let name = if wan_filter {
            case.name.to_owned()
        } else {
            format!(
                "{} [{PLAIN_MASQUERADE}: no drop of unsolicited packets]",
                case.name
            )
        };
        println!("\n--- {name}");
        let started = Instant::now();
        let dir = session.tmp().join(format!("case{}", index + 1));
        let outcome = fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))
            .and_then(|()| {
                let net = Topology::create(index + 1, case.mapping, &iptables, wan_filter)?;
                run_case(&net, &binaries, &dir, case)
            });
        println!("({} s)", started.elapsed().as_secs());
        results.push(CaseResult::verdict(&name, case.peer, outcome));
    }
    Ok(results)
}

/// `ip netns exec NS program`.
fn in_ns(ns: &str, program: impl AsRef<std::ffi::OsStr>) -> Command {
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", ns]).arg(program);
    cmd
}

/// The iptables variant that works inside a namespace here: nft first (Debian's default),
/// then legacy. Tried on a scratch namespace with the rules the routers need.
fn pick_iptables() -> Result<String> {
    let mut tried = Vec::new();
    for variant in ["iptables-nft", "iptables-legacy"] {
        if util::which(variant).is_none() {
            tried.push(format!("{variant}: not installed"));
            continue;
        }
        let mut probe = Namespaces::new(format!("{NS_PREFIX}{}-probe", std::process::id()));
        let ns = probe.add("x")?;
        let works = [
            "-t nat -A POSTROUTING -o lo -j MASQUERADE",
            "-t nat -A POSTROUTING -o lo -j MASQUERADE --random-fully",
            "-A INPUT -i lo -m conntrack --ctstate NEW -j DROP",
        ]
        .iter()
        .all(|rule| util::succeeds(in_ns(&ns, variant).args(rule.split_whitespace())));
        if works {
            println!("using {variant}");
            return Ok(variant.to_owned());
        }
        tried.push(format!("{variant}: the NAT rules were refused"));
    }
    Err(format!(
        "no iptables variant works in a network namespace here ({})",
        tried.join("; ")
    ))
}

/// Deletes `rtc-nat-<pid>-...` namespaces whose run is gone (killed before its guard ran).
fn remove_stale_namespaces() {
    let Ok(output) = Command::new("ip").args(["netns", "list"]).output() else {
        return;
    };
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Some(name) = line.split_whitespace().next() else {
            continue;
        };
        let Some(pid) = name
            .strip_prefix(NS_PREFIX)
            .and_then(|rest| rest.split('-').next())
        else {
            continue;
        };
        if pid.parse::<u32>().is_ok() && !Path::new("/proc").join(pid).exists() {
            let _ = util::run(Command::new("ip").args(["netns", "delete", name]));
        }
    }
}

/// Network namespaces deleted (in reverse order) when dropped.
struct Namespaces {
    prefix: String,
    created: Vec<String>,
}

impl Namespaces {
    fn new(prefix: String) -> Self {
        Self {
            prefix,
            created: Vec::new(),
        }
    }

    /// Creates `<prefix>-<role>` with its loopback up; returns the name.
    fn add(&mut self, role: &str) -> Result<String> {
        let name = format!("{}-{role}", self.prefix);
        util::run(Command::new("ip").args(["netns", "add", &name]))?;
        self.created.push(name.clone());
        ip(&name, "link set dev lo up")?;
        Ok(name)
    }
}

impl Drop for Namespaces {
    fn drop(&mut self) {
        for name in self.created.drain(..).rev() {
            if let Err(e) = util::run(Command::new("ip").args(["netns", "delete", &name])) {
                eprintln!("warning: {e}");
            }
        }
    }
}

/// `ip -n NS ARGS` (the words of `args`).
fn ip(ns: &str, args: &str) -> Result {
    util::run(
        Command::new("ip")
            .args(["-n", ns])
            .args(args.split_whitespace()),
    )
}

/// `ip netns exec NS PROGRAM ARGS` (the words of `args`).
fn exec(ns: &str, program: &str, args: &str) -> Result {
    util::run(in_ns(ns, program).args(args.split_whitespace()))
}

/// The namespaces of one case.
struct Topology {
    pub_ns: String,
    routers: [String; 2],
    hosts: [String; 2],
    /// Held for its `Drop`: deletes the namespaces.
    _namespaces: Namespaces,
}

impl Topology {
    fn create(case: usize, mapping: Mapping, iptables: &str, wan_filter: bool) -> Result<Self> {
        let mut namespaces = Namespaces::new(format!("{NS_PREFIX}{}-{case}", std::process::id()));
        let pub_ns = namespaces.add("pub")?;
        ip(&pub_ns, "link add br0 type bridge")?;
        ip(&pub_ns, &format!("addr add {STUN_IP}/24 dev br0"))?;
        ip(&pub_ns, "link set dev br0 up")?;
        // The rest of the internet: a default route to a gateway that does not exist (a
        // permanent neighbour entry, so no ARP failure either) on a veth link whose other end
        // (`void`) drops what arrives. Without it, a TURN relay's send to a peer's private
        // host candidate fails at once with ENETUNREACH, after which coturn's relay forwards
        // nothing more: the allocation is dead (README: "The TURN case").
        ip(&pub_ns, "link add internet type veth peer name void")?;
        ip(&pub_ns, "link set dev void up")?;
        ip(&pub_ns, "addr add 198.51.100.1/30 dev internet")?;
        ip(&pub_ns, "link set dev internet up")?;
        ip(
            &pub_ns,
            "neigh add 198.51.100.2 lladdr 02:00:00:00:00:02 dev internet nud permanent",
        )?;
        ip(&pub_ns, "route add default via 198.51.100.2 dev internet")?;
        let (mut routers, mut hosts) = (Vec::new(), Vec::new());
        for side in &SIDES {
            let router = namespaces.add(&format!("nat-{}", side.name))?;
            let host = namespaces.add(&format!("host-{}", side.name))?;
            let name = side.name;
            // wan: the router's link into pub, whose end there (`a`, `b`) is on the bridge.
            ip(
                &router,
                &format!("link add wan type veth peer name {name} netns {pub_ns}"),
            )?;
            ip(&pub_ns, &format!("link set dev {name} master br0"))?;
            ip(&pub_ns, &format!("link set dev {name} up"))?;
            ip(&router, &format!("addr add {}/24 dev wan", side.public))?;
            ip(&router, "link set dev wan up")?;
            // lan: the router's link to its host (`eth0` there).
            ip(
                &router,
                &format!("link add lan type veth peer name eth0 netns {host}"),
            )?;
            ip(&router, &format!("addr add {}/24 dev lan", side.router_lan))?;
            ip(&router, "link set dev lan up")?;
            ip(&host, &format!("addr add {}/24 dev eth0", side.host))?;
            ip(&host, "link set dev eth0 up")?;
            ip(&host, &format!("route add default via {}", side.router_lan))?;
            exec(&router, "sysctl", "-qw net.ipv4.ip_forward=1")?;
            exec(
                &router,
                iptables,
                match mapping {
                    Mapping::EndpointIndependent => "-t nat -A POSTROUTING -o wan -j MASQUERADE",
                    Mapping::Symmetric => {
                        "-t nat -A POSTROUTING -o wan -j MASQUERADE --random-fully"
                    }
                },
            )?;
            if wan_filter {
                exec(
                    &router,
                    iptables,
                    "-A INPUT -i wan -m conntrack --ctstate NEW -j DROP",
                )?;
            }
            routers.push(router);
            hosts.push(host);
        }
        let two = |v: Vec<String>| -> [String; 2] {
            let mut it = v.into_iter();
            [it.next().unwrap_or_default(), it.next().unwrap_or_default()]
        };
        Ok(Self {
            pub_ns,
            routers: two(routers),
            hosts: two(hosts),
            _namespaces: namespaces,
        })
    }

    /// A router's UDP conntrack entries of its host: (destination, public port used).
    fn mappings(&self, side: usize) -> Vec<(SocketAddr, u16)> {
        let path = "/proc/net/nf_conntrack";
        let Ok(out) = in_ns(&self.routers[side], "cat").arg(path).output() else {
            return Vec::new();
        };
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        println!("  --- {} {path}:", self.routers[side]);
        for line in text.lines() {
            println!("  | {line}");
        }
        parse_conntrack(&text, SIDES[side].host)
    }
}

/// `(destination, mapped port)` of the UDP entries in `/proc/net/nf_conntrack` whose original
/// source is `host`: the reply direction's destination port is the port the NAT chose.
fn parse_conntrack(text: &str, host: Ipv4Addr) -> Vec<(SocketAddr, u16)> {
    let host = host.to_string();
    text.lines()
        .filter(|l| l.split_whitespace().nth(2) == Some("udp"))
        .filter_map(|l| {
            let fields: Vec<(&str, &str)> = l
                .split_whitespace()
                .filter_map(|f| f.split_once('='))
                .collect();
            let get = |key: &str, nth: usize| {
                fields
                    .iter()
                    .filter(|(k, _)| *k == key)
                    .nth(nth)
                    .map(|(_, v)| *v)
            };
            if get("src", 0)? != host {
                return None;
            }
            let dst: IpAddr = get("dst", 0)?.parse().ok()?;
            let dport: u16 = get("dport", 0)?.parse().ok()?;
            let mapped: u16 = get("dport", 1)?.parse().ok()?;
            Some((SocketAddr::new(dst, dport), mapped))
        })
        .collect()
}

/// Starts the two STUN servers in pub and waits until both answer.
fn start_stun_servers(
    net: &Topology,
    binaries: &Binaries,
    dir: &Path,
    server: StunServer,
) -> Result<Vec<Background>> {
    let mut servers = Vec::new();
    for port in STUN_PORTS {
        let addr = SocketAddr::from((STUN_IP, port));
        let log = dir.join(format!("stun-{port}.log"));
        let background = match server {
            StunServer::Ours => Background::spawn(
                &format!("rtc-stun stun_server {addr}"),
                in_ns(&net.pub_ns, &binaries.stun_server).arg(addr.to_string()),
                &log,
            )?,
            StunServer::Coturn => Background::spawn(
                &format!("coturn {addr}"),
                in_ns(&net.pub_ns, "turnserver").args([
                    "-n".to_owned(),
                    format!("--listening-ip={STUN_IP}"),
                    format!("--relay-ip={STUN_IP}"),
                    format!("--listening-port={port}"),
                    // One listener each: the alternate port (RFC 5780) would be port + 1.
                    format!("--alt-listening-port={}", port + 1000),
                    "--no-tls".to_owned(),
                    "--no-dtls".to_owned(),
                    "--no-cli".to_owned(),
                    "--fingerprint".to_owned(),
                    "--lt-cred-mech".to_owned(),
                    "--user=test:secret".to_owned(),
                    "--realm=interop.test".to_owned(),
                    format!("--min-port={}", 49160 + (port - 3478) * 100),
                    format!("--max-port={}", 49200 + (port - 3478) * 100),
                    format!("--userdb={}", dir.join(format!("turndb-{port}")).display()),
                    format!(
                        "--pidfile={}",
                        dir.join(format!("turnserver-{port}.pid")).display()
                    ),
                    "--log-file=stdout".to_owned(),
                    "--simple-log".to_owned(),
                ]),
                &log,
            )?,
        };
        servers.push(background);
    }
    // Probe each from pub with our STUN client until it answers.
    for (port, background) in STUN_PORTS.iter().zip(&mut servers) {
        wait_answering(
            net,
            binaries,
            background,
            SocketAddr::from((STUN_IP, *port)),
        )?;
    }
    println!("STUN servers answering on {STUN_IP}:{STUN_PORTS:?}");
    Ok(servers)
}

/// Probes the server on `addr` (a Binding request from pub, our STUN client) until it
/// answers.
fn wait_answering(
    net: &Topology,
    binaries: &Binaries,
    background: &mut Background,
    addr: SocketAddr,
) -> Result {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = background.exited() {
            return Err(format!(
                "the server on {addr} exited ({status}); its last output: {}",
                background.log_tail(10)
            ));
        }
        let probe = util::run_with_timeout(
            in_ns(&net.pub_ns, &binaries.stun_client).arg(addr.to_string()),
            Duration::from_secs(3),
        )?;
        if probe.stdout.contains("mapped address:") {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "the server on {addr} did not answer; its last output: {}",
                background.log_tail(10)
            ));
        }
        thread::sleep(Duration::from_millis(200));
    }
}

/// Case 4's TURN server: coturn on [`STUN_IP`]:[`TURN_PORT`], long-term credentials,
/// relaying from [`STUN_IP`]. coturn 4.6 refuses loopback peers by default and denies no
/// other range unless `--denied-peer-ip` says so; the peers here are the routers' public
/// addresses and the relay itself (203.0.113.0/24, TEST-NET-3), allowed explicitly.
fn start_turn_server(net: &Topology, binaries: &Binaries, dir: &Path) -> Result<Background> {
    let addr = SocketAddr::from((STUN_IP, TURN_PORT));
    let mut background = Background::spawn(
        &format!("coturn TURN {addr}"),
        in_ns(&net.pub_ns, "turnserver").args([
            "-n".to_owned(),
            format!("--listening-ip={STUN_IP}"),
            format!("--relay-ip={STUN_IP}"),
            format!("--listening-port={TURN_PORT}"),
            format!("--alt-listening-port={}", TURN_PORT + 1000),
            "--no-tls".to_owned(),
            "--no-dtls".to_owned(),
            "--no-tcp-relay".to_owned(),
            "--no-cli".to_owned(),
            "--fingerprint".to_owned(),
            "--lt-cred-mech".to_owned(),
            format!("--user={TURN_USER}:{TURN_PASS}"),
            format!("--realm={TURN_REALM}"),
            "--allowed-peer-ip=203.0.113.0-203.0.113.255".to_owned(),
            "--min-port=49400".to_owned(),
            "--max-port=49450".to_owned(),
            format!("--userdb={}", dir.join("turndb-turn").display()),
            format!("--pidfile={}", dir.join("turnserver-turn.pid").display()),
            "--log-file=stdout".to_owned(),
            "--simple-log".to_owned(),
            "--verbose".to_owned(),
        ]),
        &dir.join("turn.log"),
    )?;
    wait_answering(net, binaries, &mut background, addr)?;
    println!("TURN server (coturn) answering on {addr}");
    Ok(background)
}

fn run_case(net: &Topology, binaries: &Binaries, dir: &Path, case: &Case) -> Result<String> {
    // Dropped (killed) before `net`.
    let _servers = start_stun_servers(net, binaries, dir, case.server)?;
    let turn = if case.turn {
        Some(start_turn_server(net, binaries, dir)?)
    } else {
        None
    };
    let stun = STUN_PORTS
        .iter()
        .map(|p| SocketAddr::from((STUN_IP, *p)).to_string())
        .collect::<Vec<_>>()
        .join(",");
    let mut commands: Vec<Command> = SIDES
        .iter()
        .zip(&net.hosts)
        .map(|(side, host)| {
            let peer = if side.name == "a" { "b" } else { "a" };
            let mut cmd = in_ns(host, &binaries.ice_peer);
            cmd.args(["--role", side.role])
                .args(["--local", &format!("{}:0", side.host)])
                .args(["--stun-server", &stun])
                .arg("--signal-dir")
                .arg(dir)
                .args(["--name", side.name, "--peer", peer])
                .args(["--hold", HOLD, "--consent-interval", CONSENT_INTERVAL])
                .args(["--timeout", SIDE_TIMEOUT, "--verbose"]);
            if case.turn {
                cmd.args([
                    "--turn-server",
                    &SocketAddr::from((STUN_IP, TURN_PORT)).to_string(),
                    "--turn-user",
                    TURN_USER,
                    "--turn-pass",
                    TURN_PASS,
                ]);
            }
            cmd
        })
        .collect();
    let (first, second) = commands.split_at_mut(1);
    let (a, b) = thread::scope(|s| {
        let a = s.spawn(|| util::run_with_timeout(&mut first[0], SIDE_DEADLINE));
        let b = s.spawn(|| util::run_with_timeout(&mut second[0], SIDE_DEADLINE));
        let join = |h: thread::ScopedJoinHandle<'_, Result<Captured>>| {
            h.join()
                .unwrap_or_else(|_| Err("the thread running a side panicked".to_owned()))
        };
        (join(a), join(b))
    });
    let (a, b) = (a?, b?);
    print_side("a (host-a, controlling)", &a);
    print_side("b (host-b, controlled)", &b);
    let mappings = [net.mappings(0), net.mappings(1)];
    let (a, b) = (side_result("a", &a)?, side_result("b", &b)?);
    if let Some(turn) = &turn {
        println!("  --- coturn TURN log (last lines):");
        for line in turn.log_tail(40).lines() {
            println!("  | {line}");
        }
    }
    match (case.mapping, case.turn) {
        (_, true) => judge_relayed(&a, &b, &mappings),
        (Mapping::EndpointIndependent, false) => judge_connected(&a, &b, &mappings),
        (Mapping::Symmetric, false) => judge_no_path(&a, &b, &mappings),
    }
}

/// A side's output for the CI log.
fn print_side(name: &str, out: &Captured) {
    for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        if text.trim().is_empty() {
            continue;
        }
        println!("  --- {name} {stream}:");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            println!("  | {line}");
        }
    }
    println!("  --- {name}: {}", out.describe());
}

/// The RESULT a side printed last; an error when there is none (it crashed or hung).
fn side_result(who: &str, out: &Captured) -> Result<Value> {
    out.stdout
        .lines()
        .rev()
        .find_map(|l| l.strip_prefix("RESULT "))
        .and_then(|json| serde_json::from_str::<Value>(json).ok())
        .ok_or_else(|| {
            format!(
                "{who} printed no RESULT ({}): {}",
                out.describe(),
                util::tail(&format!("{}{}", out.stdout, out.stderr), 3)
            )
        })
}

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("?")
}

fn number(v: &Value, pointer: &str) -> u64 {
    v.pointer(pointer).and_then(Value::as_u64).unwrap_or(0)
}

fn addr(v: &Value, pointer: &str) -> Option<SocketAddr> {
    v.pointer(pointer)?.as_str()?.parse().ok()
}

/// What each STUN server saw of a side: (server, mapped address), in server order.
fn stun_mapped(r: &Value) -> Vec<(String, String)> {
    r.pointer("/gathering/mapped")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("?").to_owned()))
                .collect()
        })
        .unwrap_or_default()
}

/// The side's public addresses as the STUN servers saw them, with a problem when there are
/// not one per server.
fn gathered(who: &str, r: &Value, problems: &mut Vec<String>) -> Vec<SocketAddr> {
    let mapped = stun_mapped(r);
    if mapped.len() != STUN_PORTS.len() {
        problems.push(format!(
            "{who}: {} of the {} STUN servers answered ({mapped:?})",
            mapped.len(),
            STUN_PORTS.len()
        ));
    }
    mapped.iter().filter_map(|(_, m)| m.parse().ok()).collect()
}

fn in_public_net(a: SocketAddr) -> bool {
    matches!(a.ip(), IpAddr::V4(ip) if ip.octets()[..3] == [203, 0, 113])
}

/// The public ports a router used toward each destination, for the detail: one port for
/// all of them (endpoint-independent), or each (`:port → dst`).
fn describe_mappings(router: &str, mappings: &[(SocketAddr, u16)]) -> String {
    let mut sorted = mappings.to_vec();
    sorted.sort();
    match sorted.as_slice() {
        [] => format!("{router}: no conntrack table"),
        [(_, port), rest @ ..] if rest.iter().all(|(_, p)| p == port) => format!(
            "{router} used :{port} toward all {} destinations ({})",
            sorted.len(),
            sorted
                .iter()
                .map(|(dst, _)| dst.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
        _ => {
            let mut out = format!("{router} used");
            for (i, (dst, port)) in sorted.iter().enumerate() {
                let _ = write!(out, "{} :{port} → {dst}", if i == 0 { "" } else { "," });
            }
            out
        }
    }
}

/// The problems, then what the routers' conntrack tables say (a port that changed toward
/// the peer explains most failures).
fn with_mappings(problems: Vec<String>, mappings: &[Vec<(SocketAddr, u16)>; 2]) -> String {
    format!(
        "{}; conntrack: {}; {}",
        problems.join("; "),
        describe_mappings("nat-a", &mappings[0]),
        describe_mappings("nat-b", &mappings[1])
    )
}

/// Cases 1 and 2: both connected over the same srflx ↔ srflx pair.
fn judge_connected(a: &Value, b: &Value, mappings: &[Vec<(SocketAddr, u16)>; 2]) -> Result<String> {
    let mut problems = Vec::new();
    for (who, r) in [("a", a), ("b", b)] {
        if r.get("ok") != Some(&Value::Bool(true)) {
            problems.push(format!(
                "{who}: outcome {}, errors {}",
                text(r, "/outcome"),
                r.get("errors").unwrap_or(&Value::Null)
            ));
        }
    }
    let mut seen = Vec::new();
    for ((who, r), side) in [("a", a), ("b", b)].into_iter().zip(&SIDES) {
        let mapped = gathered(who, r, &mut problems);
        // Endpoint-independent: both servers saw the same mapping, the router's public
        // address.
        if mapped.windows(2).any(|w| w[0] != w[1]) {
            problems.push(format!(
                "{who}: the STUN servers saw different mappings {mapped:?}: the NAT is not \
                 endpoint-independent"
            ));
        }
        if let Some(m) = mapped.first()
            && m.ip() != IpAddr::V4(side.public)
        {
            problems.push(format!(
                "{who}: mapped address {m} is not its router's {}",
                side.public
            ));
        }
        seen.push(mapped.first().copied());
    }
    let (Some(sa), Some(sb)) = (a.get("selected"), b.get("selected")) else {
        problems.push("a side selected no pair".to_owned());
        return Err(with_mappings(problems, mappings));
    };
    if sa.is_null() || sb.is_null() {
        problems.push("a side selected no pair".to_owned());
        return Err(with_mappings(problems, mappings));
    }
    for ((who, s), side) in [("a", sa), ("b", sb)].into_iter().zip(&SIDES) {
        let local = addr(s, "/local");
        if local.map(|l| l.ip()) != Some(IpAddr::V4(side.host)) {
            problems.push(format!(
                "{who}: selected local {:?} is not its base {}",
                local, side.host
            ));
        }
        for end in ["/local_kind", "/remote_kind"] {
            if text(s, end) != "srflx" {
                problems.push(format!(
                    "{who}: {} is {}, expected srflx",
                    &end[1..],
                    text(s, end)
                ));
            }
        }
        if !addr(s, "/remote").is_some_and(in_public_net) {
            problems.push(format!(
                "{who}: selected remote {} is not in 203.0.113.0/24",
                text(s, "/remote")
            ));
        }
    }
    // The same pair on both sides: each one's remote is the other's public address (as the
    // peer reported it and as the STUN servers saw it).
    let (ra, rb) = (addr(sa, "/remote"), addr(sb, "/remote"));
    let (ma, mb) = (addr(sa, "/local_mapped"), addr(sb, "/local_mapped"));
    if ra != mb || rb != ma || ra != seen[1] || rb != seen[0] {
        problems.push(format!(
            "not the same pair: a → {ra:?} (peer saw a as {ma:?}, STUN {:?}), b → {rb:?} (peer \
             saw b as {mb:?}, STUN {:?})",
            seen[0], seen[1]
        ));
    }
    if text(a, "/role") != "controlling" || text(b, "/role") != "controlled" {
        problems.push(format!(
            "roles ended a {}, b {}",
            text(a, "/role"),
            text(b, "/role")
        ));
    }
    if number(b, "/stun/use_candidate_received") == 0 {
        problems.push("b saw no USE-CANDIDATE".to_owned());
    }
    if !problems.is_empty() {
        return Err(with_mappings(problems, mappings));
    }
    Ok(format!(
        "pair a {} (srflx {}) ↔ b {} (srflx {}) selected by both, srflx ↔ srflx, and each \
         side's two STUN servers saw the same mapping (endpoint-independent: {}; {}); connected \
         in {} ms (a) / {} ms (b), `hello` and `bye` both ways over the pair; checks answered: \
         a {}/{}, b {}/{} (the host-address pairs cannot be routed, and a first srflx check that \
         reaches the other router before that side's own check is dropped there)",
        text(sa, "/local"),
        text(sb, "/remote"),
        text(sb, "/local"),
        text(sa, "/remote"),
        describe_mappings("nat-a", &mappings[0]),
        describe_mappings("nat-b", &mappings[1]),
        number(a, "/connected_ms"),
        number(b, "/connected_ms"),
        answered(a),
        number(a, "/stun/requests_sent"),
        answered(b),
        number(b, "/stun/requests_sent"),
    ))
}

/// A side's checks (not gathering requests) that were answered.
fn answered(r: &Value) -> u64 {
    let servers: Vec<&str> = r
        .pointer("/gathering/servers")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    r.get("requests_to")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter(|(to, _)| !servers.contains(&to.as_str()))
                .map(|(_, v)| number(v, "/answered"))
                .sum()
        })
        .unwrap_or(0)
}

/// Case 3: no path; both ended in Failed (or their deadline) with nothing selected, and the
/// mapping visibly depends on the destination.
fn judge_no_path(a: &Value, b: &Value, mappings: &[Vec<(SocketAddr, u16)>; 2]) -> Result<String> {
    let mut problems = Vec::new();
    let mut details = Vec::new();
    for ((who, r), side) in [("a", a), ("b", b)].into_iter().zip(0..) {
        let outcome = text(r, "/outcome");
        if !matches!(outcome, "failed" | "timeout") {
            problems.push(format!(
                "{who}: outcome {outcome}, expected failed (no path without a relay); errors {}",
                r.get("errors").unwrap_or(&Value::Null)
            ));
        }
        if r.get("selected").is_some_and(|s| !s.is_null()) {
            problems.push(format!(
                "{who} selected a pair: {}",
                r.get("selected").unwrap_or(&Value::Null)
            ));
        }
        if r.get("received")
            .and_then(Value::as_array)
            .is_some_and(|a| !a.is_empty())
        {
            problems.push(format!(
                "{who} received data: {}",
                r.get("received").unwrap_or(&Value::Null)
            ));
        }
        let mapped = gathered(who, r, &mut problems);
        let ports: Vec<u16> = mapped.iter().map(SocketAddr::port).collect();
        if mapped.len() == STUN_PORTS.len() && mapped.windows(2).all(|w| w[0] == w[1]) {
            problems.push(format!(
                "{who}: both STUN servers saw {}: the NAT is not symmetric",
                mapped[0]
            ));
        }
        // The ports the router used toward the peer's candidates, none of them gathered.
        let toward_peer: Vec<String> = mappings[side]
            .iter()
            .filter(|(dst, _)| dst.ip() != IpAddr::V4(STUN_IP) && in_public_net(*dst))
            .map(|(dst, port)| {
                format!(
                    ":{port} → {dst}{}",
                    if ports.contains(port) {
                        " (a gathered port!)"
                    } else {
                        ""
                    }
                )
            })
            .collect();
        let from_peer = r
            .get("requests_from")
            .and_then(Value::as_object)
            .map_or(0, |m| m.len());
        details.push(format!(
            "{who}: {} at {:.1} s, {} checks sent, {} answered, checks from {from_peer} \
             address(es) of the peer arrived; STUN :3478/:3479 saw {who} as :{}, nat-{who} used \
             {} toward the peer's srflx candidates",
            if outcome == "failed" {
                "state Failed (every pair failed after end-of-candidates)"
            } else {
                "its deadline passed"
            },
            number(r, "/elapsed_ms") as f64 / 1000.0,
            number(r, "/stun/requests_sent"),
            answered(r),
            ports
                .iter()
                .map(u16::to_string)
                .collect::<Vec<_>>()
                .join("/:"),
            if toward_peer.is_empty() {
                "(no conntrack table)".to_owned()
            } else {
                toward_peer.join(", ")
            },
        ));
    }
    if !problems.is_empty() {
        return Err(problems.join("; "));
    }
    Ok(format!(
        "no path, as expected without a relay: no pair selected, no data, both ended cleanly \
         with a RESULT. The mapping depends on the destination, so no srflx port a side was \
         told is the one the other's packets come from, and each router drops them. {}",
        details.join(". ")
    ))
}

/// Case 4: symmetric NATs and a TURN relay: both connected over a pair with a relayed end,
/// the same pair seen from both sides, data both ways.
fn judge_relayed(a: &Value, b: &Value, mappings: &[Vec<(SocketAddr, u16)>; 2]) -> Result<String> {
    let mut problems = Vec::new();
    let sides = [("a", a), ("b", b)];
    for (who, r) in sides {
        if r.get("ok") != Some(&Value::Bool(true)) {
            problems.push(format!(
                "{who}: outcome {}, errors {}",
                text(r, "/outcome"),
                r.get("errors").unwrap_or(&Value::Null)
            ));
        }
        let mapped = gathered(who, r, &mut problems);
        if mapped.len() == STUN_PORTS.len() && mapped.windows(2).all(|w| w[0] == w[1]) {
            problems.push(format!(
                "{who}: both STUN servers saw {}: the NAT is not symmetric",
                mapped[0]
            ));
        }
        let relayed: Vec<&str> = r
            .pointer("/turn/relayed")
            .and_then(Value::as_array)
            .map(|v| v.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if relayed.is_empty()
            || relayed
                .iter()
                .any(|r| r.parse::<SocketAddr>().map(|a| a.ip()) != Ok(IpAddr::V4(STUN_IP)))
        {
            problems.push(format!(
                "{who}: relayed candidates {relayed:?}, expected one on {STUN_IP}; TURN errors \
                 {}",
                r.pointer("/turn/errors_received").unwrap_or(&Value::Null)
            ));
        }
    }
    let (sa, sb) = (
        a.get("selected").unwrap_or(&Value::Null),
        b.get("selected").unwrap_or(&Value::Null),
    );
    if sa.is_null() || sb.is_null() {
        problems.push("a side selected no pair".to_owned());
        return Err(with_mappings(problems, mappings));
    }
    for (who, s) in [("a", sa), ("b", sb)] {
        if text(s, "/local_kind") != "relay" && text(s, "/remote_kind") != "relay" {
            problems.push(format!(
                "{who}: selected {} ({}) → {} ({}): neither end is relayed",
                text(s, "/local"),
                text(s, "/local_kind"),
                text(s, "/remote"),
                text(s, "/remote_kind")
            ));
        }
    }
    // The same pair from both sides: a relayed end is the address the other side selected
    // as its remote (a non-relayed end is seen through the NAT, as the peer learned it).
    for ((who, s), (other, o)) in [(("a", sa), ("b", sb)), (("b", sb), ("a", sa))] {
        if text(s, "/local_kind") == "relay" && addr(s, "/local") != addr(o, "/remote") {
            problems.push(format!(
                "not the same pair: {who}'s relayed end {} is not {other}'s remote {}",
                text(s, "/local"),
                text(o, "/remote")
            ));
        }
    }
    for (who, r) in sides {
        let relayed_end = text(&r["selected"], "/local_kind") == "relay";
        let through = number(r, "/turn/data_sent") > 0 && number(r, "/turn/data_received") > 0;
        if relayed_end != through {
            problems.push(format!(
                "{who}: local end {}, but data through the relay: {} sent, {} received",
                text(&r["selected"], "/local_kind"),
                number(r, "/turn/data_sent"),
                number(r, "/turn/data_received")
            ));
        }
    }
    if text(a, "/role") != "controlling" || text(b, "/role") != "controlled" {
        problems.push(format!(
            "roles ended a {}, b {}",
            text(a, "/role"),
            text(b, "/role")
        ));
    }
    if !problems.is_empty() {
        return Err(with_mappings(problems, mappings));
    }
    let describe_side = |who: &str, r: &Value| {
        let s = &r["selected"];
        format!(
            "{who} selected {} ({}) → {} ({}), relayed candidate {}, connected in {} ms, data \
             {} sent / {} received through the relay; TURN: {} requests, {} Send indications, \
             {} ChannelData out, {} answers, errors {}",
            text(s, "/local"),
            text(s, "/local_kind"),
            text(s, "/remote"),
            text(s, "/remote_kind"),
            r.pointer("/turn/relayed").unwrap_or(&Value::Null),
            number(r, "/connected_ms"),
            number(r, "/turn/data_sent"),
            number(r, "/turn/data_received"),
            number(r, "/turn/requests_sent"),
            number(r, "/turn/indications_sent"),
            number(r, "/turn/channel_data_sent"),
            number(r, "/turn/success_received"),
            r.pointer("/turn/errors_received").unwrap_or(&Value::Null),
        )
    };
    Ok(format!(
        "through symmetric NATs (each side's two STUN servers saw different mappings; {}; {}), \
         a pair with a relayed end selected by both and `hello` and `bye` both ways. {}. {}",
        describe_mappings("nat-a", &mappings[0]),
        describe_mappings("nat-b", &mappings[1]),
        describe_side("a", a),
        describe_side("b", b),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readme_exists() {
        assert!(util::repo_root().join("interop/nat/README.md").is_file());
    }

    #[test]
    fn conntrack_mappings() {
        let table = "\
ipv4     2 udp      17 21 src=10.0.1.2 dst=203.0.113.2 sport=49102 dport=32165 [UNREPLIED] src=203.0.113.2 dst=203.0.113.1 sport=32165 dport=29913 mark=0 zone=0 use=2
ipv4     2 udp      17 6 src=10.0.1.2 dst=203.0.113.10 sport=49102 dport=3478 src=203.0.113.10 dst=203.0.113.1 sport=3478 dport=44889 mark=0 zone=0 use=2
ipv4     2 udp      17 25 src=203.0.113.2 dst=203.0.113.1 sport=43877 dport=52585 [UNREPLIED] src=203.0.113.1 dst=203.0.113.2 sport=52585 dport=43877 mark=0 zone=0 use=2
ipv4     2 tcp      6 5 src=10.0.1.2 dst=203.0.113.10 sport=1 dport=2 src=203.0.113.10 dst=203.0.113.1 sport=2 dport=1 mark=0 zone=0 use=2
";
        assert_eq!(
            parse_conntrack(table, Ipv4Addr::new(10, 0, 1, 2)),
            vec![
                ("203.0.113.2:32165".parse().expect("addr"), 29913),
                ("203.0.113.10:3478".parse().expect("addr"), 44889),
            ]
        );
    }

    fn side(selected: &str, mapped: &str) -> Value {
        serde_json::from_str(&format!(
            "{{\"ok\":true,\"outcome\":\"connected\",\"role\":\"ROLE\",\"selected\":{selected},\
             \"gathering\":{{\"servers\":[\"203.0.113.10:3478\",\"203.0.113.10:3479\"],\
             \"mapped\":{mapped}}},\"stun\":{{\"use_candidate_received\":1}}}}"
        ))
        .expect("json")
    }

    #[test]
    fn judges_a_srflx_pair() {
        let mapped =
            |ip: &str| format!("{{\"203.0.113.10:3478\":\"{ip}\",\"203.0.113.10:3479\":\"{ip}\"}}");
        let sel = |local: &str, remote: &str, seen: &str, kind: &str| {
            format!(
                "{{\"local\":\"{local}\",\"remote\":\"{remote}\",\"local_mapped\":\"{seen}\",\
                 \"local_kind\":\"{kind}\",\"remote_kind\":\"srflx\"}}"
            )
        };
        let (pa, pb) = ("203.0.113.1:4000", "203.0.113.2:5000");
        let a = side(&sel("10.0.1.2:4000", pb, pa, "srflx"), &mapped(pa))
            .to_string()
            .replace("ROLE", "controlling");
        let b = side(&sel("10.0.2.2:5000", pa, pb, "srflx"), &mapped(pb))
            .to_string()
            .replace("ROLE", "controlled");
        let (a, b): (Value, Value) = (
            serde_json::from_str(&a).expect("a"),
            serde_json::from_str(&b).expect("b"),
        );
        let none = [Vec::new(), Vec::new()];
        let detail = judge_connected(&a, &b, &none).expect("passes");
        assert!(detail.contains("srflx ↔ srflx"), "{detail}");

        // A peer-reflexive local end (the NAT mapped differently toward the peer) fails.
        let prflx: Value = serde_json::from_str(
            &a.to_string()
                .replace("\"local_kind\":\"srflx\"", "\"local_kind\":\"prflx\""),
        )
        .expect("json");
        assert!(judge_connected(&prflx, &b, &none).is_err());
        // Neither may a case where one side saw no pair.
        let failed = side("null", &mapped(pb))
            .to_string()
            .replace("ROLE", "controlled");
        let failed: Value = serde_json::from_str(&failed).expect("json");
        assert!(judge_connected(&a, &failed, &none).is_err());
        // Nor may the no-path case pass on it.
        assert!(judge_no_path(&a, &b, &none).is_err());
    }

    #[test]
    fn judges_a_relayed_pair() {
        let r = |selected: &str, mapped: (u16, u16), relayed: &str, data: u64| -> Value {
            serde_json::from_str(&format!(
                "{{\"ok\":true,\"outcome\":\"connected\",\"role\":\"ROLE\",\
                 \"selected\":{selected},\"gathering\":{{\"mapped\":{{\
                 \"203.0.113.10:3478\":\"203.0.113.1:{}\",\
                 \"203.0.113.10:3479\":\"203.0.113.1:{}\"}}}},\
                 \"turn\":{{\"relayed\":[\"{relayed}\"],\"data_sent\":{data},\
                 \"data_received\":{data}}}}}",
                mapped.0, mapped.1
            ))
            .expect("json")
        };
        let role = |v: Value, role: &str| -> Value {
            serde_json::from_str(&v.to_string().replace("ROLE", role)).expect("json")
        };
        let (relay_a, relay_b) = ("203.0.113.10:49401", "203.0.113.10:49402");
        let a = role(
            r(
                "{\"local\":\"10.0.1.2:4000\",\"local_kind\":\"prflx\",\
                 \"remote\":\"203.0.113.10:49402\",\"remote_kind\":\"relay\"}",
                (1, 2),
                relay_a,
                0,
            ),
            "controlling",
        );
        let b = role(
            r(
                "{\"local\":\"203.0.113.10:49402\",\"local_kind\":\"relay\",\
                 \"remote\":\"203.0.113.1:7\",\"remote_kind\":\"prflx\"}",
                (3, 4),
                relay_b,
                2,
            ),
            "controlled",
        );
        let none = [Vec::new(), Vec::new()];
        let detail = judge_relayed(&a, &b, &none).expect("passes");
        assert!(detail.contains("relayed end"), "{detail}");
        // The relayed side's data did not go through the relay: fails.
        let direct: Value =
            serde_json::from_str(&b.to_string().replace("\"data_sent\":2", "\"data_sent\":0"))
                .expect("json");
        assert!(judge_relayed(&a, &direct, &none).is_err());
        // Neither end relayed: fails.
        let srflx: Value = serde_json::from_str(
            &a.to_string()
                .replace("\"remote_kind\":\"relay\"", "\"remote_kind\":\"srflx\""),
        )
        .expect("json");
        assert!(judge_relayed(&srflx, &b, &none).is_err());
        // Not symmetric (both STUN servers saw the same mapping): fails.
        let same = role(
            r(
                "{\"local\":\"10.0.1.2:4000\",\"local_kind\":\"prflx\",\
                 \"remote\":\"203.0.113.10:49402\",\"remote_kind\":\"relay\"}",
                (1, 1),
                relay_a,
                0,
            ),
            "controlling",
        );
        assert!(judge_relayed(&same, &b, &none).is_err());
    }

    #[test]
    fn judges_no_path() {
        let r = |ports: (u16, u16)| -> Value {
            serde_json::from_str(&format!(
                "{{\"ok\":false,\"outcome\":\"failed\",\"selected\":null,\"received\":[],\
                 \"errors\":[\"ICE state Failed\"],\"requests_from\":{{}},\
                 \"gathering\":{{\"servers\":[\"203.0.113.10:3478\",\"203.0.113.10:3479\"],\
                 \"mapped\":{{\"203.0.113.10:3478\":\"203.0.113.1:{}\",\
                 \"203.0.113.10:3479\":\"203.0.113.1:{}\"}}}}}}",
                ports.0, ports.1
            ))
            .expect("json")
        };
        let none = [Vec::new(), Vec::new()];
        let detail = judge_no_path(&r((1, 2)), &r((3, 4)), &none).expect("passes");
        assert!(detail.contains("no path"), "{detail}");
        // The same mapping from both servers: not a symmetric NAT, the case cannot pass.
        assert!(judge_no_path(&r((1, 1)), &r((3, 4)), &none).is_err());
    }
}
