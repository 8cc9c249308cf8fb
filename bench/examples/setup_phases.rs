use rtc::{PeerConnectionEvent, RTCConfiguration, RTCDataChannelInit, RTCPeerConnection};
use std::sync::Arc;
use std::time::Instant;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let cert = rtc::rtc_dtls::Certificate::generate().unwrap();
    let n: usize = std::env::args()
        .nth(1)
        .map(|s| s.parse().unwrap())
        .unwrap_or(20);
    let mut rows: Vec<Vec<(String, f64)>> = Vec::new();
    for _ in 0..n {
        rows.push(rt.block_on(async {
            let config = || RTCConfiguration {
                bind_ip: Some([127, 0, 0, 1].into()),
                certificate: Some(cert.clone()),
                ..Default::default()
            };
            let a = Arc::new(RTCPeerConnection::new(config()).await.unwrap());
            let b = Arc::new(RTCPeerConnection::new(config()).await.unwrap());
            let t0 = Instant::now();
            let marks = Arc::new(std::sync::Mutex::new(Vec::<(String, f64)>::new()));
            let mark = {
                let m = marks.clone();
                move |s: String| {
                    m.lock()
                        .unwrap()
                        .push((s, t0.elapsed().as_secs_f64() * 1e3))
                }
            };
            let local = a
                .create_data_channel("bulk", RTCDataChannelInit::default())
                .await
                .unwrap();
            mark("create_data_channel".into());
            let offer = a.create_offer().await.unwrap();
            mark("create_offer".into());
            a.set_local_description(offer.clone()).await.unwrap();
            mark("a.set_local".into());
            b.set_remote_description(offer).await.unwrap();
            mark("b.set_remote".into());
            let answer = b.create_answer().await.unwrap();
            mark("create_answer".into());
            b.set_local_description(answer.clone()).await.unwrap();
            mark("b.set_local".into());
            a.set_remote_description(answer).await.unwrap();
            mark("a.set_remote".into());
            let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
            for (name, from, to) in [("a", a.clone(), b.clone()), ("b", b.clone(), a.clone())] {
                let tx = tx.clone();
                let mark = mark.clone();
                tokio::spawn(async move {
                    while let Some(e) = from.next_event().await {
                        match e {
                            PeerConnectionEvent::IceCandidate(c) => {
                                let _ = to.add_ice_candidate(c).await;
                            }
                            PeerConnectionEvent::IceConnectionStateChange(s) => {
                                mark(format!("{name} ice {s:?}"))
                            }
                            PeerConnectionEvent::ConnectionStateChange(s) => {
                                mark(format!("{name} pc {s:?}"))
                            }
                            PeerConnectionEvent::DataChannel(ch) => {
                                mark(format!("{name} datachannel"));
                                let _ = tx.send(ch);
                            }
                            _ => {}
                        }
                    }
                });
            }
            let remote = rx.recv().await.unwrap();
            local.opened().await.unwrap();
            mark("local open".into());
            remote.opened().await.unwrap();
            mark("remote open".into());
            a.close().await;
            b.close().await;
            let v = marks.lock().unwrap().clone();
            v
        }));
    }
    // median per label
    let labels: Vec<String> = rows[0].iter().map(|(l, _)| l.clone()).collect();
    for l in labels {
        let mut v: Vec<f64> = rows
            .iter()
            .filter_map(|r| r.iter().find(|(x, _)| *x == l).map(|(_, t)| *t))
            .collect();
        v.sort_by(f64::total_cmp);
        println!("{:>30}: median {:.3} ms", l, v[v.len() / 2]);
    }
}
