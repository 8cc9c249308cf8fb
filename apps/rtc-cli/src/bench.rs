//! `rtc bench`: two peer connections of this process over loopback UDP, one reliable ordered
//! data channel, and the throughput for each message size (signaling is in-process, so the
//! figures are the stack's: ICE, DTLS, SCTP and the facade's driver).

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtc::{
    PeerConnectionEvent, RTCConfiguration, RTCDataChannel, RTCDataChannelInit, RTCPeerConnection,
};
use tokio::sync::mpsc;

use crate::Error;

/// `rtc bench`.
#[derive(Debug, Clone)]
pub struct BenchOptions {
    /// MiB to move per message size.
    pub mib: usize,
    /// Message sizes in bytes.
    pub sizes: Vec<usize>,
}

impl Default for BenchOptions {
    fn default() -> Self {
        Self {
            mib: 64,
            sizes: vec![1024, 64 * 1024],
        }
    }
}

/// One measured size.
#[derive(Debug, Clone)]
pub struct BenchResult {
    /// Message size in bytes.
    pub message_size: usize,
    /// Messages sent.
    pub messages: usize,
    /// Bytes delivered.
    pub bytes: usize,
    /// From the first send to the last byte received.
    pub elapsed: Duration,
    /// Connection setup (offer to open channel) for this run.
    pub setup: Duration,
}

impl BenchResult {
    /// MiB/s.
    pub fn mib_per_second(&self) -> f64 {
        self.bytes as f64 / 1_048_576.0 / self.elapsed.as_secs_f64().max(1e-9)
    }

    /// Messages per second.
    pub fn messages_per_second(&self) -> f64 {
        self.messages as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Candidates of one side to the other, and the other's channels to `channels`.
fn forward(
    from: Arc<RTCPeerConnection>,
    to: Arc<RTCPeerConnection>,
    channels: Option<mpsc::UnboundedSender<RTCDataChannel>>,
) {
    tokio::spawn(async move {
        while let Some(event) = from.next_event().await {
            match event {
                PeerConnectionEvent::IceCandidate(c) => {
                    let _ = to.add_ice_candidate(c).await;
                }
                PeerConnectionEvent::DataChannel(dc) => {
                    if let Some(tx) = &channels {
                        let _ = tx.send(dc);
                    }
                }
                _ => {}
            }
        }
    });
}

/// Runs every size on a fresh pair of connections.
pub async fn run_bench(options: &BenchOptions) -> Result<Vec<BenchResult>, Error> {
    // Made once, before the clock starts (W3C generateCertificate()).
    let certificate = rtc::rtc_dtls::Certificate::generate().map_err(rtc::Error::from)?;
    let mut results = Vec::new();
    for &size in &options.sizes {
        results.push(run_one(&certificate, size.max(1), options.mib.max(1)).await?);
    }
    Ok(results)
}

async fn run_one(
    certificate: &rtc::rtc_dtls::Certificate,
    size: usize,
    mib: usize,
) -> Result<BenchResult, Error> {
    let config = || RTCConfiguration {
        bind_ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        certificate: Some(certificate.clone()),
        ..RTCConfiguration::default()
    };
    let setup_start = Instant::now();
    let a = Arc::new(RTCPeerConnection::new(config()).await?);
    let b = Arc::new(RTCPeerConnection::new(config()).await?);
    let channel = a
        .create_data_channel("bench", RTCDataChannelInit::default())
        .await?;
    let offer = a.create_offer().await?;
    a.set_local_description(offer.clone()).await?;
    b.set_remote_description(offer).await?;
    let answer = b.create_answer().await?;
    b.set_local_description(answer.clone()).await?;
    a.set_remote_description(answer).await?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    forward(a.clone(), b.clone(), None);
    forward(b.clone(), a.clone(), Some(tx));
    let mut remote = rx
        .recv()
        .await
        .ok_or_else(|| Error::Peer("the channel never reached the other side".into()))?;
    channel.opened().await?;
    let setup = setup_start.elapsed();

    let total = mib * 1024 * 1024;
    let count = total.div_ceil(size);
    let sender = channel.sender();
    let start = Instant::now();
    let writer = tokio::spawn(async move {
        let message = Bytes::from(vec![0x5a; size]);
        for _ in 0..count {
            sender.send(message.clone()).await?;
        }
        Ok::<_, rtc::Error>(())
    });
    let mut received = 0usize;
    while received < count * size {
        let Some(message) = remote.recv().await else {
            break;
        };
        received += message.data.len();
    }
    let elapsed = start.elapsed();
    writer
        .await
        .map_err(|e| Error::Peer(format!("sender task: {e}")))??;
    a.close().await;
    b.close().await;
    if received < count * size {
        return Err(Error::Peer(format!(
            "the channel closed after {received} of {} bytes",
            count * size
        )));
    }
    Ok(BenchResult {
        message_size: size,
        messages: count,
        bytes: received,
        elapsed,
        setup,
    })
}
