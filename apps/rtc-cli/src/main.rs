//! `rtc`: a WebRTC signaling server with a demo page, STUN and TURN servers, and
//! command-line peers. `rtc --help` and docs/demo.md say how to use it.
#![forbid(unsafe_code)]

use std::io::IsTerminal;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use rtc_cli::bench::{BenchOptions, run_bench};
use rtc_cli::doctor::{DoctorOptions, run_doctor};
use rtc_cli::echo::{EchoOptions, run_echo};
use rtc_cli::progress::bytes;
use rtc_cli::servers::{TurnOptions, start_stun, start_turn};
use rtc_cli::session::PeerOptions;
use rtc_cli::signaling::{IceServer, Limits, ServerConfig, serve};
use rtc_cli::transfer::{ReceiveOptions, SendOptions, receive_file, send_file};
use tracing_subscriber::EnvFilter;

const DEFAULT_SERVER: &str = "ws://127.0.0.1:8080/ws";

#[derive(Debug, Parser)]
#[command(
    name = "rtc",
    version,
    about = "WebRTC signaling server, demo page and command-line peers on the rtc stack",
    after_help = "Logs go to stderr; RUST_LOG overrides -v (e.g. RUST_LOG=rtc=debug)."
)]
struct Cli {
    /// More logs (-v: debug, -vv: trace).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Signaling server and demo page (HTTP), with a STUN server and a TURN server.
    Serve(ServeArgs),
    /// Send a file to the peer in a room (the page or `rtc receive`).
    Send(SendArgs),
    /// Receive one file from the peer in a room; exits non-zero unless its size and SHA-256
    /// match the sender's header.
    Receive(ReceiveArgs),
    /// Sit in a room and echo every data channel message, video frame and audio frame back.
    Echo(EchoArgs),
    /// Data channel throughput between two peer connections of this process over loopback.
    Bench(BenchArgs),
    /// Check signaling, STUN, TURN and candidate gathering, and say what will work.
    Doctor(DoctorArgs),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// HTTP and WebSocket address.
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The address peers reach the STUN and TURN servers at (and relayed addresses use);
    /// default: the listen address, or the first non-loopback IPv4 address when that is
    /// 0.0.0.0.
    #[arg(long)]
    public_ip: Option<IpAddr>,
    /// STUN port (UDP), on the listen IP.
    #[arg(long, default_value_t = 3478)]
    stun_port: u16,
    /// TURN port (UDP), on the listen IP.
    #[arg(long, default_value_t = 3479)]
    turn_port: u16,
    /// No STUN server.
    #[arg(long)]
    no_stun: bool,
    /// No TURN server.
    #[arg(long)]
    no_turn: bool,
    /// TURN user, USER:PASSWORD (long-term credentials; told to every client of the page).
    #[arg(long, default_value = "demo:demo")]
    turn_user: String,
    /// TURN realm.
    #[arg(long, default_value = "rtc")]
    turn_realm: String,
    /// Ports for relayed addresses, LO-HI.
    #[arg(long, default_value = "49160-49259")]
    relay_ports: String,
    /// Peers per room.
    #[arg(long, default_value_t = 2)]
    room_size: usize,
    /// Largest signaling message in bytes.
    #[arg(long, default_value_t = 64 * 1024)]
    max_message: usize,
    /// Rooms open at once.
    #[arg(long, default_value_t = 1000)]
    max_rooms: usize,
}

#[derive(Debug, Args)]
struct PeerArgs {
    /// The room.
    #[arg(long)]
    room: String,
    /// The signaling server's WebSocket URL.
    #[arg(long, default_value = DEFAULT_SERVER)]
    server: String,
    /// Local IP for the peer connection (default: the first non-loopback IPv4 address).
    #[arg(long)]
    bind: Option<IpAddr>,
    /// Do not use the STUN/TURN servers the signaling server recommends (host candidates
    /// only).
    #[arg(long)]
    no_ice_servers: bool,
}

impl PeerArgs {
    fn options(&self) -> PeerOptions {
        PeerOptions {
            bind_ip: self.bind,
            use_ice_servers: !self.no_ice_servers,
            ..PeerOptions::new(self.server.clone(), self.room.clone())
        }
    }
}

#[derive(Debug, Args)]
struct SendArgs {
    /// The file.
    file: PathBuf,
    #[command(flatten)]
    peer: PeerArgs,
    /// Give up after this many seconds (waiting for the peer included).
    #[arg(long)]
    timeout: Option<f64>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, Args)]
struct ReceiveArgs {
    #[command(flatten)]
    peer: PeerArgs,
    /// Directory for the file.
    #[arg(long, default_value = ".")]
    out: PathBuf,
    /// Largest file taken, in bytes.
    #[arg(long, default_value_t = 64 << 30)]
    max_size: u64,
    /// Give up after this many seconds (waiting for the peer included).
    #[arg(long)]
    timeout: Option<f64>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

#[derive(Debug, Args)]
struct EchoArgs {
    #[command(flatten)]
    peer: PeerArgs,
    /// Exit when the first peer leaves instead of waiting for the next.
    #[arg(long)]
    once: bool,
}

#[derive(Debug, Args)]
struct BenchArgs {
    /// MiB moved per message size.
    #[arg(long, default_value_t = 64)]
    mib: usize,
    /// Message sizes in bytes, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "1024,65536")]
    sizes: Vec<usize>,
}

#[derive(Debug, Args)]
struct DoctorArgs {
    /// The signaling server's WebSocket URL.
    #[arg(long, default_value = DEFAULT_SERVER)]
    server: String,
    /// Skip the signaling check.
    #[arg(long)]
    no_server: bool,
    /// STUN server, HOST:PORT.
    #[arg(long, default_value = "127.0.0.1:3478")]
    stun: String,
    /// TURN server, HOST:PORT (UDP).
    #[arg(long, default_value = "127.0.0.1:3479")]
    turn: String,
    /// TURN credentials, USER:PASSWORD.
    #[arg(long, default_value = "demo:demo")]
    user: String,
    /// Seconds each check may take.
    #[arg(long, default_value_t = 8.0)]
    timeout: f64,
}

fn seconds(value: Option<f64>) -> Result<Option<Duration>, String> {
    value
        .map(|s| Duration::try_from_secs_f64(s).map_err(|e| format!("--timeout {s}: {e}")))
        .transpose()
}

fn init_logs(verbose: u8) {
    let default = match verbose {
        0 => "rtc_cli=info,warn",
        1 => "rtc_cli=debug,rtc=debug,info",
        _ => "trace",
    };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(cli.verbose);
    let outcome = match cli.command {
        Command::Serve(args) => run_serve(args).await,
        Command::Send(args) => run_send(args).await,
        Command::Receive(args) => run_receive(args).await,
        Command::Echo(args) => run_echo(EchoOptions {
            peer: PeerOptions {
                media: true,
                ..args.peer.options()
            },
            once: args.once,
        })
        .await
        .map_err(|e| e.to_string()),
        Command::Bench(args) => bench(args).await,
        Command::Doctor(args) => doctor(args).await,
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The first non-loopback IPv4 address of the host.
fn host_ipv4() -> Option<IpAddr> {
    if_addrs::get_if_addrs().ok().and_then(|addrs| {
        addrs
            .into_iter()
            .map(|i| i.ip())
            .find(|ip| ip.is_ipv4() && !ip.is_loopback())
    })
}

fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_private() || v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xfe00) == 0xfc00,
    }
}

async fn run_serve(args: ServeArgs) -> Result<(), String> {
    let public_ip = args.public_ip.unwrap_or_else(|| {
        if args.listen.ip().is_unspecified() {
            host_ipv4().unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST))
        } else {
            args.listen.ip()
        }
    });
    let (user, password) = args
        .turn_user
        .split_once(':')
        .ok_or("--turn-user takes USER:PASSWORD")?;
    let (lo, hi) = args
        .relay_ports
        .split_once('-')
        .and_then(|(lo, hi)| Some((lo.parse::<u16>().ok()?, hi.parse::<u16>().ok()?)))
        .filter(|(lo, hi)| lo <= hi)
        .ok_or("--relay-ports takes LO-HI")?;
    let mut ice_servers = Vec::new();
    let mut tasks = Vec::new();
    if !args.no_stun {
        let stun = start_stun(SocketAddr::new(args.listen.ip(), args.stun_port))
            .await
            .map_err(|e| format!("STUN server on port {}: {e}", args.stun_port))?;
        ice_servers.push(IceServer {
            urls: vec![format!(
                "stun:{}",
                SocketAddr::new(public_ip, stun.local_addr.port())
            )],
            ..IceServer::default()
        });
        tasks.push(stun);
    }
    if !args.no_turn {
        let turn = start_turn(TurnOptions {
            listen: SocketAddr::new(args.listen.ip(), args.turn_port),
            relay_ip: public_ip,
            relay_ports: lo..=hi,
            users: vec![(user.to_owned(), password.to_owned())],
            realm: args.turn_realm.clone(),
            // On one machine (loopback) or a LAN the peers are at such addresses; elsewhere
            // the server refuses to relay into its own networks.
            allow_loopback_peers: public_ip.is_loopback(),
            allow_private_peers: is_private(public_ip),
        })
        .await
        .map_err(|e| format!("TURN server on port {}: {e}", args.turn_port))?;
        ice_servers.push(IceServer {
            urls: vec![format!(
                "turn:{}?transport=udp",
                SocketAddr::new(public_ip, turn.local_addr.port())
            )],
            username: Some(user.to_owned()),
            credential: Some(password.to_owned()),
        });
        tasks.push(turn);
    }
    let server = serve(ServerConfig {
        listen: args.listen,
        limits: Limits {
            room_size: args.room_size.max(1),
            max_message: args.max_message.max(1024),
            max_rooms: args.max_rooms.max(1),
        },
        ice_servers: ice_servers.clone(),
    })
    .await
    .map_err(|e| format!("cannot listen on {}: {e}", args.listen))?;
    let shown = if args.listen.ip().is_unspecified() {
        SocketAddr::new(public_ip, server.local_addr().port())
    } else {
        server.local_addr()
    };
    for s in &ice_servers {
        println!("ICE server: {}", s.urls.join(", "));
    }
    println!("signaling: ws://{shown}/ws");
    println!(
        "open http://{shown}/r/demo in two browser tabs (or one, plus `rtc echo --room demo`)"
    );
    server.wait().await.map_err(|e| e.to_string())
}

async fn run_send(args: SendArgs) -> Result<(), String> {
    let options = SendOptions {
        peer: args.peer.options(),
        path: args.file,
        progress: !args.quiet,
        timeout: seconds(args.timeout)?,
    };
    let report = send_file(options).await.map_err(|e| e.to_string())?;
    println!(
        "sent {} ({}) in {:.2} s, {:.1} MiB/s; the receiver verified SHA-256 {}",
        report.name,
        bytes(report.size),
        report.elapsed.as_secs_f64(),
        report.mib_per_second(),
        report.sha256
    );
    Ok(())
}

async fn run_receive(args: ReceiveArgs) -> Result<(), String> {
    let options = ReceiveOptions {
        peer: args.peer.options(),
        out_dir: args.out,
        max_size: args.max_size,
        progress: !args.quiet,
        timeout: seconds(args.timeout)?,
    };
    let report = receive_file(options).await.map_err(|e| e.to_string())?;
    println!(
        "received {} -> {} ({}) in {:.2} s, {:.1} MiB/s; SHA-256 {} verified",
        report.name,
        report
            .path
            .as_ref()
            .map_or_else(String::new, |p| p.display().to_string()),
        bytes(report.size),
        report.elapsed.as_secs_f64(),
        report.mib_per_second(),
        report.sha256
    );
    Ok(())
}

async fn bench(args: BenchArgs) -> Result<(), String> {
    let options = BenchOptions {
        mib: args.mib,
        sizes: args.sizes,
    };
    println!(
        "two rtc peer connections over loopback UDP, one reliable ordered channel, {} MiB per size{}",
        options.mib,
        if cfg!(debug_assertions) {
            " (a debug build: use --release for real figures)"
        } else {
            ""
        }
    );
    let results = run_bench(&options).await.map_err(|e| e.to_string())?;
    println!(
        "{:>12} | {:>9} | {:>8} | {:>8} | {:>12} | {:>8}",
        "message", "messages", "seconds", "MiB/s", "messages/s", "setup"
    );
    for r in results {
        println!(
            "{:>12} | {:>9} | {:>8.2} | {:>8.1} | {:>12.0} | {:>5.1} ms",
            bytes(r.message_size as u64),
            r.messages,
            r.elapsed.as_secs_f64(),
            r.mib_per_second(),
            r.messages_per_second(),
            r.setup.as_secs_f64() * 1e3
        );
    }
    Ok(())
}

async fn doctor(args: DoctorArgs) -> Result<(), String> {
    let (user, password) = args
        .user
        .split_once(':')
        .ok_or("--user takes USER:PASSWORD")?;
    let options = DoctorOptions {
        server: (!args.no_server).then_some(args.server),
        stun: Some(args.stun),
        turn: Some(args.turn),
        user: user.to_owned(),
        password: password.to_owned(),
        timeout: seconds(Some(args.timeout))?.unwrap_or(Duration::from_secs(8)),
    };
    let report = run_doctor(&options).await;
    print!("{}", report.render());
    if report.all_ok() {
        Ok(())
    } else {
        Err("some checks failed (see above)".to_owned())
    }
}
