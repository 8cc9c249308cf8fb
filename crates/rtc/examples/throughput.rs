//! Data channel throughput between two peer connections of this process over loopback UDP:
//! `cargo run --release -p rtc --example throughput -- [MiB] [message bytes]`.
#![allow(clippy::disallowed_methods)]

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Instant;

use rtc::{PeerConnectionEvent, RTCConfiguration, RTCDataChannelInit, RTCPeerConnection};

fn config() -> RTCConfiguration {
    RTCConfiguration {
        bind_ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        ..RTCConfiguration::default()
    }
}

fn forward(
    from: Arc<RTCPeerConnection>,
    to: Arc<RTCPeerConnection>,
    channels: Option<tokio::sync::mpsc::UnboundedSender<rtc::RTCDataChannel>>,
) {
    tokio::spawn(async move {
        while let Some(e) = from.next_event().await {
            match e {
                PeerConnectionEvent::IceCandidate(c) => {
                    let _ = to.add_ice_candidate(c).await;
                }
                PeerConnectionEvent::IceConnectionStateChange(s)
                    if std::env::var_os("TIMING").is_some() =>
                {
                    eprintln!("{:?} ice {s:?}", std::time::SystemTime::now());
                }
                PeerConnectionEvent::ConnectionStateChange(s)
                    if std::env::var_os("TIMING").is_some() =>
                {
                    eprintln!("{:?} connection {s:?}", std::time::SystemTime::now());
                }
                PeerConnectionEvent::DataChannel(ch) => {
                    if let Some(tx) = &channels {
                        let _ = tx.send(ch);
                    }
                }
                _ => {}
            }
        }
    });
}

#[tokio::main]
async fn main() -> Result<(), rtc::Error> {
    let args: Vec<String> = std::env::args().collect();
    let mib: usize = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(64);
    let size: usize = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(65536);
    let start = Instant::now();
    if std::env::var_os("TIMING").is_some() {
        eprintln!("{:?} start", std::time::SystemTime::now());
    }
    let a = Arc::new(RTCPeerConnection::new(config()).await?);
    let b = Arc::new(RTCPeerConnection::new(config()).await?);
    let chat = a
        .create_data_channel("bulk", RTCDataChannelInit::default())
        .await?;
    let offer = a.create_offer().await?;
    a.set_local_description(offer.clone()).await?;
    b.set_remote_description(offer).await?;
    let answer = b.create_answer().await?;
    b.set_local_description(answer.clone()).await?;
    a.set_remote_description(answer).await?;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    forward(a.clone(), b.clone(), None);
    forward(b.clone(), a.clone(), Some(tx));
    let mut remote = rx.recv().await.ok_or(rtc::Error::Closed)?;
    chat.opened().await?;
    if std::env::var_os("TIMING").is_some() {
        eprintln!("{:?} open", std::time::SystemTime::now());
    }
    let setup = start.elapsed();
    let total = mib * 1024 * 1024;
    let count = total / size;
    let sender = chat.sender();
    let t0 = Instant::now();
    let writer = tokio::spawn(async move {
        let message = bytes::Bytes::from(vec![0x5a; size]);
        for _ in 0..count {
            sender.send(message.clone()).await?;
        }
        Ok::<_, rtc::Error>(())
    });
    let mut received = 0usize;
    while received < count * size {
        let Some(m) = remote.recv().await else { break };
        received += m.data.len();
    }
    let secs = t0.elapsed().as_secs_f64();
    writer.await.map_err(|_| rtc::Error::Closed)??;
    println!(
        "setup {:.1} ms; {} MiB in {} B messages: {:.2} s, {:.1} MB/s",
        setup.as_secs_f64() * 1e3,
        mib,
        size,
        secs,
        received as f64 / secs / 1e6
    );
    a.close().await;
    b.close().await;
    Ok(())
}
