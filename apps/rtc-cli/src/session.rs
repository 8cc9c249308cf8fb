//! A Rust peer in a signaling room: it joins, makes its peer connection, negotiates and
//! trickles candidates, and hands the application what happens as [`SessionEvent`]s.
//!
//! The rule every peer of the demo follows (the page too): **the newcomer offers**. The
//! server's `joined` says `initiator: true` when others were in the room first; that peer
//! creates the `chat` channel (so the offer has a data section; RFC 8832 channels opened
//! later need no renegotiation) and sends the offer. The first peer waits for an offer and
//! answers. Audio and video sections of a browser's offer are rejected by `rtc` today (port 0
//! in the answer, JSEP RFC 8829 §5.3.1) until media lands.

use std::net::IpAddr;
use std::sync::Arc;

use rtc::{
    PeerConnectionEvent, RTCConfiguration, RTCDataChannel, RTCDataChannelInit, RTCIceCandidateInit,
    RTCPeerConnection, RTCPeerConnectionState, RTCSdpType, RTCSessionDescription,
};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use crate::Error;
use crate::signaling::client::{Joined, SignalingClient};

/// The label of the channel the offerer opens for chat.
pub const CHAT_LABEL: &str = "chat";

/// Where and how a Rust peer joins.
#[derive(Debug, Clone)]
pub struct PeerOptions {
    /// The signaling server's WebSocket URL (`ws://127.0.0.1:8080/ws`).
    pub server: String,
    /// The room.
    pub room: String,
    /// The local IP for the peer connection's socket (the facade's choice when `None`: the
    /// first non-loopback IPv4 address).
    pub bind_ip: Option<IpAddr>,
    /// Use the STUN and TURN servers the signaling server recommends.
    pub use_ice_servers: bool,
    /// A certificate made beforehand (a new one per connection when `None`).
    pub certificate: Option<rtc::rtc_dtls::Certificate>,
    /// Send and receive audio and video (a video and an audio track of ours, negotiated in
    /// the offer or answer): `echo` reflects what it receives on them.
    pub media: bool,
}

impl PeerOptions {
    /// Defaults for `server` and `room`.
    pub fn new(server: impl Into<String>, room: impl Into<String>) -> Self {
        Self {
            server: server.into(),
            room: room.into(),
            bind_ip: None,
            use_ice_servers: true,
            certificate: None,
            media: false,
        }
    }
}

/// What happens in a session.
#[derive(Debug)]
#[non_exhaustive]
pub enum SessionEvent {
    /// Another peer joined the room (we wait for its offer).
    PeerJoined(String),
    /// The peer connection is connected (DTLS done).
    Connected,
    /// The peer opened a data channel.
    DataChannel(RTCDataChannel),
    /// The peer left the room (or its socket closed).
    PeerLeft(String),
    /// The connection failed, or negotiation did.
    Failed(String),
    /// The peer connection closed.
    Closed,
    /// A remote audio or video track (with [`PeerOptions::media`], or a peer's offer).
    Track(rtc::TrackRemote),
    /// The peer asks for a keyframe on one of our tracks.
    KeyframeRequest(rtc::TransceiverId),
}

/// A peer connection in a room, with the task that relays its signaling.
#[derive(Debug)]
pub struct Session {
    /// The peer connection.
    pub pc: Arc<RTCPeerConnection>,
    /// What the server said to `join`.
    pub joined: Joined,
    /// The `chat` channel, when we offered (the answerer gets it as a
    /// [`SessionEvent::DataChannel`]).
    pub chat: Option<RTCDataChannel>,
    /// Our video and audio tracks, with [`PeerOptions::media`].
    pub tracks: Vec<rtc::TrackLocal>,
    events: mpsc::UnboundedReceiver<SessionEvent>,
    signaling: mpsc::UnboundedSender<String>,
    pump: JoinHandle<()>,
}

impl Session {
    /// Joins the room and starts negotiating: offers at once if others are there, else waits
    /// for an offer.
    pub async fn start(options: &PeerOptions) -> Result<Self, Error> {
        let mut client = SignalingClient::connect(&options.server).await?;
        let joined = client.join(&options.room).await?;
        info!(
            "joined room {:?} as {} ({} other peer(s) there)",
            joined.room, joined.id, joined.peers
        );
        let ice_servers = if options.use_ice_servers {
            joined.ice_servers.iter().map(|s| s.to_rtc()).collect()
        } else {
            Vec::new()
        };
        let pc = Arc::new(
            RTCPeerConnection::new(RTCConfiguration {
                ice_servers,
                bind_ip: options.bind_ip,
                certificate: options.certificate.clone(),
                ..RTCConfiguration::default()
            })
            .await?,
        );
        debug!("peer connection on {}", pc.local_addr());
        // Before any description: an offer of ours carries them, and a peer's offer reuses
        // them (W3C addTrack), so the answer sends back too.
        let mut tracks = Vec::new();
        if options.media {
            for (kind, id) in [
                (rtc::MediaKind::Video, "echo-video"),
                (rtc::MediaKind::Audio, "echo-audio"),
            ] {
                tracks.push(pc.add_track(kind, "rtc-echo", id).await?);
            }
        }
        let mut chat = None;
        if joined.initiator {
            chat = Some(
                pc.create_data_channel(CHAT_LABEL, RTCDataChannelInit::default())
                    .await?,
            );
            let offer = pc.create_offer().await?;
            pc.set_local_description(offer.clone()).await?;
            client.send(&json!({ "type": "offer", "sdp": offer.sdp }))?;
            info!("offer sent");
        } else {
            info!("waiting for a peer to join room {:?}", joined.room);
        }
        let (events_tx, events) = mpsc::unbounded_channel();
        let signaling = client.sender();
        let pump = tokio::spawn(pump(client, pc.clone(), events_tx));
        Ok(Self {
            pc,
            joined,
            chat,
            tracks,
            events,
            signaling,
            pump,
        })
    }

    /// The next event; `None` once the session is over.
    pub async fn next(&mut self) -> Option<SessionEvent> {
        self.events.recv().await
    }

    /// Waits until the connection is up; data channels the peer opens meanwhile are handed
    /// to `on_channel`.
    pub async fn connected(
        &mut self,
        mut on_channel: impl FnMut(RTCDataChannel),
    ) -> Result<(), Error> {
        loop {
            match self.next().await {
                Some(SessionEvent::Connected) => return Ok(()),
                Some(SessionEvent::DataChannel(dc)) => on_channel(dc),
                Some(SessionEvent::PeerJoined(id)) => info!("peer {id} joined"),
                // A peer's media (the page's camera) is not wanted here: dropping the track
                // drops its frames.
                Some(SessionEvent::Track(_) | SessionEvent::KeyframeRequest(_)) => {}
                Some(SessionEvent::PeerLeft(id)) => {
                    return Err(Error::Peer(format!(
                        "peer {id} left before the connection was up"
                    )));
                }
                Some(SessionEvent::Failed(why)) => return Err(Error::Peer(why)),
                Some(SessionEvent::Closed) | None => {
                    return Err(Error::Peer("the connection closed".to_owned()));
                }
            }
        }
    }

    /// Leaves the room (`bye`) and closes the peer connection.
    pub async fn close(self) {
        let _ = self.signaling.send(json!({ "type": "bye" }).to_string());
        self.pc.close().await;
        self.pump.abort();
    }
}

impl Drop for Session {
    /// Ends the relay task, which drops its signaling connection (the server tells the room)
    /// and the last handle on the peer connection (its task closes it).
    fn drop(&mut self) {
        self.pump.abort();
    }
}

/// Relays between the signaling connection and the peer connection until both are done.
async fn pump(
    mut client: SignalingClient,
    pc: Arc<RTCPeerConnection>,
    events: mpsc::UnboundedSender<SessionEvent>,
) {
    let mut signaling_open = true;
    loop {
        tokio::select! {
            message = client.recv(), if signaling_open => {
                let Some(message) = message else {
                    // The connection may carry on without the server.
                    warn!("the signaling server closed the connection");
                    signaling_open = false;
                    continue;
                };
                if let Err(e) = on_signal(&client, &pc, &events, &message).await {
                    let _ = events.send(SessionEvent::Failed(e));
                }
            }
            event = pc.next_event() => {
                let Some(event) = event else {
                    let _ = events.send(SessionEvent::Closed);
                    break;
                };
                on_event(&client, &events, event);
            }
        }
    }
}

async fn on_signal(
    client: &SignalingClient,
    pc: &RTCPeerConnection,
    events: &mpsc::UnboundedSender<SessionEvent>,
    message: &Value,
) -> Result<(), String> {
    let kind = message.get("type").and_then(Value::as_str).unwrap_or("");
    let from = message
        .get("from")
        .or_else(|| message.get("id"))
        .and_then(Value::as_str)
        .unwrap_or("?")
        .to_owned();
    match kind {
        "offer" => {
            let offer = description(RTCSdpType::Offer, message)?;
            pc.set_remote_description(offer)
                .await
                .map_err(|e| format!("setRemoteDescription(offer from {from}): {e}"))?;
            let answer = pc
                .create_answer()
                .await
                .map_err(|e| format!("createAnswer: {e}"))?;
            pc.set_local_description(answer.clone())
                .await
                .map_err(|e| format!("setLocalDescription(answer): {e}"))?;
            // Sent before any of our candidates: they are only read from the events after
            // this returns.
            client
                .send(&json!({ "type": "answer", "sdp": answer.sdp }))
                .map_err(|e| e.to_string())?;
            info!("answered the offer of peer {from}");
        }
        "answer" => {
            let answer = description(RTCSdpType::Answer, message)?;
            pc.set_remote_description(answer)
                .await
                .map_err(|e| format!("setRemoteDescription(answer from {from}): {e}"))?;
            info!("peer {from} answered");
        }
        "candidate" => {
            let candidate = match message.get("candidate") {
                None | Some(Value::Null) => RTCIceCandidateInit {
                    candidate: String::new(),
                    sdp_mid: None,
                    sdp_m_line_index: None,
                    username_fragment: None,
                },
                Some(c) => serde_json::from_value(c.clone())
                    .map_err(|e| format!("bad candidate from {from}: {e}"))?,
            };
            // A candidate we cannot use (TCP, another address family) is refused; the
            // others may still work, as in browsers.
            if let Err(e) = pc.add_ice_candidate(candidate.clone()).await {
                debug!("addIceCandidate({:?}): {e}", candidate.candidate);
            }
        }
        "peer-joined" => {
            let _ = events.send(SessionEvent::PeerJoined(from));
        }
        "peer-left" => {
            let _ = events.send(SessionEvent::PeerLeft(from));
        }
        "error" => {
            let reason = message
                .get("reason")
                .and_then(Value::as_str)
                .unwrap_or("(no reason)");
            warn!("the signaling server refused a message: {reason}");
        }
        other => debug!("signaling message {other:?} ignored"),
    }
    Ok(())
}

fn description(kind: RTCSdpType, message: &Value) -> Result<RTCSessionDescription, String> {
    let sdp = message
        .get("sdp")
        .and_then(Value::as_str)
        .ok_or("a description without sdp")?;
    Ok(RTCSessionDescription {
        sdp_type: kind,
        sdp: sdp.to_owned(),
    })
}

fn on_event(
    client: &SignalingClient,
    events: &mpsc::UnboundedSender<SessionEvent>,
    event: PeerConnectionEvent,
) {
    match event {
        PeerConnectionEvent::IceCandidate(c) => {
            let candidate = if c.is_end_of_candidates() {
                Value::Null
            } else {
                serde_json::to_value(&c).unwrap_or(Value::Null)
            };
            let _ = client.send(&json!({ "type": "candidate", "candidate": candidate }));
        }
        PeerConnectionEvent::DataChannel(dc) => {
            let _ = events.send(SessionEvent::DataChannel(dc));
        }
        PeerConnectionEvent::ConnectionStateChange(state) => {
            debug!("connection state {state:?}");
            let event = match state {
                RTCPeerConnectionState::Connected => SessionEvent::Connected,
                RTCPeerConnectionState::Failed => {
                    SessionEvent::Failed("the connection failed (ICE or DTLS)".to_owned())
                }
                RTCPeerConnectionState::Closed => SessionEvent::Closed,
                _ => return,
            };
            let _ = events.send(event);
        }
        PeerConnectionEvent::IceConnectionStateChange(state) => {
            debug!("ICE state {state:?}");
        }
        PeerConnectionEvent::Track(track) => {
            let _ = events.send(SessionEvent::Track(track));
        }
        PeerConnectionEvent::KeyframeRequest(id) => {
            let _ = events.send(SessionEvent::KeyframeRequest(id));
        }
        _ => {}
    }
}
