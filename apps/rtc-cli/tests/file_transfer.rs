//! `send` and `receive` as library calls through a room of an in-process signaling server,
//! over real peer connections on loopback: a 1 MiB random file arrives intact (compared by
//! SHA-256 and byte for byte) whichever side joins first, and a transfer whose content does
//! not match its header is refused by the receiver, which keeps no file.

use std::net::{IpAddr, Ipv4Addr};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rtc::RTCDataChannelInit;
use rtc_cli::Error;
use rtc_cli::session::{PeerOptions, Session};
use rtc_cli::signaling::{ServerConfig, ServerHandle, serve};
use rtc_cli::transfer::{
    FILE_LABEL, FileHeader, ReceiveOptions, SendOptions, hash_file, receive_file, send_file,
    send_over,
};
use sha2::{Digest, Sha256};

const LIMIT: Duration = Duration::from_secs(60);
const MIB: usize = 1024 * 1024;

async fn server() -> ServerHandle {
    serve(ServerConfig {
        listen: "127.0.0.1:0".parse().expect("an address"),
        ..ServerConfig::default()
    })
    .await
    .expect("the server binds port 0")
}

fn peer(server: &ServerHandle, room: &str) -> PeerOptions {
    PeerOptions {
        bind_ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        use_ice_servers: false,
        ..PeerOptions::new(server.ws_url(), room)
    }
}

/// A fresh directory under the system's temporary one.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("rtc-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

fn random_file(dir: &Path, name: &str, len: usize) -> (PathBuf, Vec<u8>) {
    let mut data = vec![0u8; len];
    getrandom::fill(&mut data).expect("random bytes");
    let path = dir.join(name);
    std::fs::write(&path, &data).expect("writes the file");
    (path, data)
}

fn sha256(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One side joins, then (200 ms later) the other, which makes the offer.
async fn transfer_one_mib(room: &str, receiver_first: bool) {
    let server = server().await;
    let dir = scratch(room);
    let (path, data) = random_file(&dir, "random.bin", MIB);
    let out = dir.join("out");
    let receive_options = ReceiveOptions::new(peer(&server, room), &out);
    let send_options = SendOptions::new(peer(&server, room), &path);
    let pause = || tokio::time::sleep(Duration::from_millis(200));
    let (send, receive) = if receiver_first {
        let receive = tokio::spawn(receive_file(receive_options));
        pause().await;
        (tokio::spawn(send_file(send_options)), receive)
    } else {
        let send = tokio::spawn(send_file(send_options));
        pause().await;
        (send, tokio::spawn(receive_file(receive_options)))
    };
    let (sent, received) = tokio::time::timeout(LIMIT, async { (send.await, receive.await) })
        .await
        .expect("the transfer finishes in time");
    let sent = sent.expect("the sender task").expect("the sender succeeds");
    let received = received
        .expect("the receiver task")
        .expect("the receiver succeeds");
    let expected = sha256(&data);
    assert_eq!(sent.sha256, expected);
    assert_eq!(received.sha256, expected);
    assert_eq!((sent.size, received.size), (MIB as u64, MIB as u64));
    let written = received.path.expect("the receiver wrote a file");
    assert_eq!(written, out.join("random.bin"));
    let copy = std::fs::read(&written).expect("reads the copy");
    assert_eq!(sha256(&copy), expected);
    assert!(copy == data, "byte for byte");
    // Nothing else is left in the output directory (no partial file).
    assert_eq!(std::fs::read_dir(&out).expect("lists").count(), 1);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_mib_arrives_intact_when_the_sender_offers() {
    transfer_one_mib("sender-offers", true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_mib_arrives_intact_when_the_receiver_offers() {
    transfer_one_mib("receiver-offers", false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_that_does_not_match_its_header_is_refused() {
    let server = server().await;
    let room = "corrupt";
    let dir = scratch(room);
    let (path, _) = random_file(&dir, "data.bin", 100_000);
    let out = dir.join("out");
    let receive = tokio::spawn(receive_file(ReceiveOptions::new(peer(&server, room), &out)));
    tokio::time::sleep(Duration::from_millis(200)).await;
    // A sender that lies about the content's hash.
    let (size, real) = hash_file(&path).await.expect("hashes");
    let wrong = "0".repeat(64);
    assert_ne!(real, wrong);
    let outcome = tokio::time::timeout(LIMIT, async {
        let mut session = Session::start(&peer(&server, room)).await.expect("joins");
        session.connected(|_| {}).await.expect("connects");
        let mut dc = session
            .pc
            .create_data_channel(FILE_LABEL, RTCDataChannelInit::default())
            .await
            .expect("a channel");
        dc.opened().await.expect("opens");
        let header = FileHeader {
            name: "data.bin".to_owned(),
            size,
            sha256: wrong.clone(),
        };
        let sent = send_over(&mut dc, &path, &header, false).await;
        let received = receive.await.expect("the receiver task");
        session.close().await;
        (sent, received)
    })
    .await
    .expect("in time");
    match outcome {
        (Err(Error::Transfer(sender)), Err(Error::Transfer(receiver))) => {
            assert!(receiver.contains("SHA-256 mismatch"), "{receiver}");
            assert!(receiver.contains(&real), "{receiver}");
            assert!(sender.contains("refused"), "{sender}");
            assert!(sender.contains("SHA-256 mismatch"), "{sender}");
        }
        other => panic!("both sides should fail: {other:?}"),
    }
    // The receiver kept nothing: no file, no partial file.
    assert_eq!(std::fs::read_dir(&out).expect("lists").count(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}
