//! Two peer connections in one process over loopback UDP, signalling through channels.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use rtc::{
    PeerConnectionEvent, RTCConfiguration, RTCDataChannelInit, RTCPeerConnection,
    RTCPeerConnectionState,
};

fn config() -> RTCConfiguration {
    RTCConfiguration {
        bind_ip: Some(IpAddr::V4(Ipv4Addr::LOCALHOST)),
        ..RTCConfiguration::default()
    }
}

/// Forwards `from`'s candidates to `to` and returns its announced channels and states.
fn pump(
    from: Arc<RTCPeerConnection>,
    to: Arc<RTCPeerConnection>,
) -> (
    tokio::sync::mpsc::UnboundedReceiver<rtc::RTCDataChannel>,
    tokio::sync::watch::Receiver<RTCPeerConnectionState>,
) {
    let (chan_tx, chan_rx) = tokio::sync::mpsc::unbounded_channel();
    let (state_tx, state_rx) = tokio::sync::watch::channel(RTCPeerConnectionState::New);
    tokio::spawn(async move {
        while let Some(e) = from.next_event().await {
            match e {
                PeerConnectionEvent::IceCandidate(c) => {
                    let _ = to.add_ice_candidate(c).await;
                }
                PeerConnectionEvent::DataChannel(ch) => {
                    let _ = chan_tx.send(ch);
                }
                PeerConnectionEvent::ConnectionStateChange(s) => {
                    let _ = state_tx.send(s);
                }
                _ => {}
            }
        }
    });
    (chan_rx, state_rx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_peers_exchange_messages_over_loopback() {
    let a = Arc::new(RTCPeerConnection::new(config()).await.unwrap());
    let b = Arc::new(RTCPeerConnection::new(config()).await.unwrap());
    let mut chat = a
        .create_data_channel("chat", RTCDataChannelInit::default())
        .await
        .unwrap();
    let offer = a.create_offer().await.unwrap();
    a.set_local_description(offer.clone()).await.unwrap();
    b.set_remote_description(offer).await.unwrap();
    let answer = b.create_answer().await.unwrap();
    b.set_local_description(answer.clone()).await.unwrap();
    a.set_remote_description(answer).await.unwrap();
    let (_, mut a_state) = pump(a.clone(), b.clone());
    let (mut b_channels, _) = pump(b.clone(), a.clone());

    let mut remote = tokio::time::timeout(Duration::from_secs(10), b_channels.recv())
        .await
        .expect("datachannel event")
        .unwrap();
    assert_eq!(remote.label(), "chat");
    tokio::time::timeout(Duration::from_secs(10), chat.opened())
        .await
        .unwrap()
        .unwrap();
    a_state
        .wait_for(|s| *s == RTCPeerConnectionState::Connected)
        .await
        .unwrap();

    chat.send_text("hello").await.unwrap();
    let big = vec![42u8; 256 * 1024];
    chat.send(big.clone()).await.unwrap();
    let m = remote.recv().await.unwrap();
    assert!(m.is_string);
    assert_eq!(m.text(), "hello");
    let m = remote.recv().await.unwrap();
    assert!(!m.is_string);
    assert_eq!(m.data, big);
    remote.send_text("back").await.unwrap();
    assert_eq!(chat.recv().await.unwrap().text(), "back");

    // 8 MiB through the back-pressure of bufferedAmount.
    let sender = chat.sender();
    let writer = tokio::spawn(async move {
        for i in 0..512u32 {
            sender.send(vec![i as u8; 16 * 1024]).await.unwrap();
        }
    });
    for i in 0..512u32 {
        let m = remote.recv().await.unwrap();
        assert_eq!(m.data.len(), 16 * 1024);
        assert_eq!(m.data[0], i as u8);
    }
    writer.await.unwrap();

    let stats = a.get_stats().await.unwrap();
    assert!(stats.of_kind("candidate-pair").count() == 1);
    assert!(stats.of_kind("data-channel").count() == 1);

    remote.close();
    assert!(chat.recv().await.is_none(), "closed by the peer");
    a.close().await;
    b.close().await;
}
