//! WebRTC for Rust: [`RTCPeerConnection`] and [`RTCDataChannel`] with the W3C shape and an
//! async API.
//!
//! Each peer connection is one tokio task that owns the sans-IO core ([`rtc_peer`]) and its
//! UDP socket; the handles send it commands over channels and get events back from
//! [`RTCPeerConnection::next_event`] (no callbacks, no shared locks). Dropping every handle,
//! or [`RTCPeerConnection::close`], ends the task and frees everything.
//!
//! ```no_run
//! use rtc::{RTCConfiguration, RTCPeerConnection, PeerConnectionEvent};
//!
//! # async fn run() -> Result<(), rtc::Error> {
//! let pc = RTCPeerConnection::new(RTCConfiguration::default()).await?;
//! let mut chat = pc.create_data_channel("chat", Default::default()).await?;
//! let offer = pc.create_offer().await?;
//! pc.set_local_description(offer.clone()).await?;
//! // ... send `offer` to the peer, and its answer back:
//! # let answer = offer;
//! pc.set_remote_description(answer).await?;
//! chat.opened().await?;
//! chat.send_text("hello").await?;
//! while let Some(message) = chat.recv().await {
//!     println!("{}", message.text());
//! }
//! # Ok(())
//! # }
//! ```

#![forbid(unsafe_code)]

mod config;
mod data_channel;
mod driver;
mod error;
mod media;

use tokio::net::UdpSocket;
use tokio::sync::{Mutex, mpsc, oneshot};

pub use config::{RTCConfiguration, RTCIceServer};
pub use data_channel::{
    ChannelId, DataChannelMessage, DataChannelSender, DataChannelState, RTCDataChannel,
    RTCDataChannelInit,
};
use driver::{Command, Driver};
pub use error::Error;
pub use media::{
    Codec, KeyframeRequester, MediaFrame, MediaKind, RTCRtpTransceiverDirection,
    RTCRtpTransceiverInit, Sample, TrackInfo, TrackLocal, TrackRemote, TransceiverId,
};
pub use rtc_peer::{
    IceConnectionState as RTCIceConnectionState, IceGatheringState as RTCIceGatheringState,
    PeerConnectionState as RTCPeerConnectionState, RtcIceCandidateInit as RTCIceCandidateInit,
    RtcSessionDescriptionInit as RTCSessionDescription, SdpType as RTCSdpType,
    SignalingState as RTCSignalingState, Stats, StatsReport,
};
pub use {rtc_dtls, rtc_media, rtc_peer, rtc_sdp};

/// What a peer connection tells the application (the W3C events).
#[derive(Debug)]
#[non_exhaustive]
pub enum PeerConnectionEvent {
    /// `icecandidate`: signal it to the peer; an empty `candidate` ends gathering.
    IceCandidate(RTCIceCandidateInit),
    /// `icegatheringstatechange`.
    IceGatheringStateChange(RTCIceGatheringState),
    /// `iceconnectionstatechange`.
    IceConnectionStateChange(RTCIceConnectionState),
    /// `connectionstatechange`.
    ConnectionStateChange(RTCPeerConnectionState),
    /// `signalingstatechange`.
    SignalingStateChange(RTCSignalingState),
    /// `negotiationneeded`.
    NegotiationNeeded,
    /// `datachannel`: the peer opened a channel.
    DataChannel(RTCDataChannel),
    /// `track`: a transceiver receives media.
    Track(TrackRemote),
    /// The peer asks for a keyframe on a transceiver we send on (PLI or FIR).
    KeyframeRequest(TransceiverId),
}

/// `RTCPeerConnection`.
#[derive(Debug)]
pub struct RTCPeerConnection {
    commands: mpsc::UnboundedSender<Command>,
    events: Mutex<mpsc::UnboundedReceiver<PeerConnectionEvent>>,
    local_addr: std::net::SocketAddr,
}

impl RTCPeerConnection {
    /// `new RTCPeerConnection(configuration)`: binds its UDP socket and starts its task on
    /// the current tokio runtime.
    pub async fn new(config: RTCConfiguration) -> Result<Self, Error> {
        let ip = config::bind_ip(&config);
        let socket = UdpSocket::bind((ip, config.bind_port)).await?;
        let local_addr = socket.local_addr()?;
        let (stun_servers, turn_servers) =
            config::resolve(&config.ice_servers, local_addr.is_ipv4()).await?;
        let core = rtc_peer::Config {
            certificate: config.certificate.clone(),
            stun_servers,
            turn_servers,
            ice_lite: config.ice_lite,
            ..rtc_peer::Config::default()
        };
        let mut pc = rtc_peer::PeerConnection::new(core)?;
        #[allow(clippy::disallowed_methods)]
        pc.add_host_address(std::time::Instant::now(), local_addr);
        let (commands, commands_rx) = mpsc::unbounded_channel();
        let (events_tx, events_rx) = mpsc::unbounded_channel();
        let driver = Driver::new(pc, socket, commands.downgrade(), events_tx)?;
        tokio::spawn(driver.run(commands_rx));
        Ok(Self {
            commands,
            events: Mutex::new(events_rx),
            local_addr,
        })
    }

    /// The local UDP socket's address.
    pub fn local_addr(&self) -> std::net::SocketAddr {
        self.local_addr
    }

    async fn ask<T>(
        &self,
        make: impl FnOnce(oneshot::Sender<Result<T, Error>>) -> Command,
    ) -> Result<T, Error> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(make(tx)).map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    /// `createOffer()`.
    pub async fn create_offer(&self) -> Result<RTCSessionDescription, Error> {
        self.ask(Command::CreateOffer).await
    }

    /// `createAnswer()`.
    pub async fn create_answer(&self) -> Result<RTCSessionDescription, Error> {
        self.ask(Command::CreateAnswer).await
    }

    /// `setLocalDescription(description)`.
    pub async fn set_local_description(
        &self,
        description: RTCSessionDescription,
    ) -> Result<(), Error> {
        self.ask(|r| Command::SetLocal(description, r)).await
    }

    /// `setRemoteDescription(description)`.
    pub async fn set_remote_description(
        &self,
        description: RTCSessionDescription,
    ) -> Result<(), Error> {
        self.ask(|r| Command::SetRemote(description, r)).await
    }

    /// `addIceCandidate(candidate)`.
    pub async fn add_ice_candidate(&self, candidate: RTCIceCandidateInit) -> Result<(), Error> {
        self.ask(|r| Command::AddCandidate(candidate, r)).await
    }

    /// `localDescription`, with the candidates gathered so far.
    pub async fn local_description(&self) -> Option<RTCSessionDescription> {
        let (tx, rx) = oneshot::channel();
        self.commands.send(Command::LocalDescription(tx)).ok()?;
        rx.await.ok().flatten()
    }

    /// `createDataChannel(label, init)`.
    pub async fn create_data_channel(
        &self,
        label: &str,
        init: RTCDataChannelInit,
    ) -> Result<RTCDataChannel, Error> {
        let label = label.to_owned();
        self.ask(|reply| Command::CreateChannel { label, init, reply })
            .await
    }

    /// `addTrack(track)`: a sender for a track of `kind` (`stream_id`/`track_id` go into
    /// `a=msid`). Negotiate afterwards.
    pub async fn add_track(
        &self,
        kind: MediaKind,
        stream_id: &str,
        track_id: &str,
    ) -> Result<TrackLocal, Error> {
        let info = TrackInfo {
            stream_id: stream_id.to_owned(),
            track_id: track_id.to_owned(),
        };
        let id = self.ask(|r| Command::AddTrack(kind, info, r)).await?;
        Ok(TrackLocal {
            id,
            kind,
            commands: self.commands.clone(),
        })
    }

    /// `addTransceiver(kind, init)`; a [`TrackLocal`] for it when `init` has a track.
    pub async fn add_transceiver(
        &self,
        kind: MediaKind,
        init: RTCRtpTransceiverInit,
    ) -> Result<TrackLocal, Error> {
        let id = self.ask(|r| Command::AddTransceiver(kind, init, r)).await?;
        Ok(TrackLocal {
            id,
            kind,
            commands: self.commands.clone(),
        })
    }

    /// `getStats()`.
    pub async fn get_stats(&self) -> Result<StatsReport, Error> {
        let (tx, rx) = oneshot::channel();
        self.commands
            .send(Command::Stats(tx))
            .map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)
    }

    /// The next event; `None` once the peer connection is closed.
    pub async fn next_event(&self) -> Option<PeerConnectionEvent> {
        self.events.lock().await.recv().await
    }

    /// `close()`: ends the channels, the transport and the task.
    pub async fn close(&self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Close(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}
