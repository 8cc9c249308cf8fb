//! [`PeerConnection`]: JSEP, ICE, DTLS and data channels composed over one 5-tuple.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use rtc_datachannel::{ChannelOptions, ChannelType, DataChannels, DtlsRole, Priority};
use rtc_dtls::{FingerprintAlgorithm, Role};
use rtc_ice::{Agent, Candidate, Credentials, IceState};
use rtc_media::MediaKind;
use rtc_sdp::SessionDescription;
use rtc_sdp::attributes::{Direction, Setup};
use rtc_sdp::jsep::{RtcIceCandidateInit, RtcSessionDescriptionInit, SdpType};

use crate::demux::{Protocol, classify};
use crate::media::engine::{MediaEvent, MediaState};
use crate::media::{MediaFrame, TrackInfo, TransceiverId, TransceiverInit};
use crate::sdp::{self, LocalParams, Remote, Section, SectionKind};
use crate::stats::Counters;
use crate::{Config, Error, SignalingState};

/// A datagram to send from the local socket `source` to `destination`.
pub use rtc_ice::Transmit;

/// A data channel of this peer connection: a handle that stays the same from
/// `create_data_channel` to its close (its SCTP stream id is known once the DTLS role is).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ChannelId(pub u64);

/// How to open a data channel (W3C `RTCDataChannelInit`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataChannelInit {
    /// In-order delivery (default true).
    pub ordered: bool,
    /// `maxRetransmits`: partially reliable with at most this many retransmissions.
    pub max_retransmits: Option<u16>,
    /// `maxPacketLifeTime` in milliseconds: partially reliable with a lifetime.
    pub max_packet_life_time: Option<u16>,
    /// The sub-protocol.
    pub protocol: String,
    /// `negotiated` with its `id`: the application creates the channel on both sides, no
    /// DCEP.
    pub negotiated: Option<u16>,
    /// RFC 8831 §6.4 priority.
    pub priority: Priority,
}

impl Default for DataChannelInit {
    fn default() -> Self {
        Self {
            ordered: true,
            max_retransmits: None,
            max_packet_life_time: None,
            protocol: String::new(),
            negotiated: None,
            priority: Priority::default(),
        }
    }
}

/// `RTCDataChannelState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataChannelState {
    /// Not open yet.
    Connecting,
    /// Messages flow.
    Open,
    /// Being closed.
    Closing,
    /// Closed.
    Closed,
}

/// `RTCIceConnectionState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IceConnectionState {
    /// Nothing to check yet.
    New,
    /// Checking pairs.
    Checking,
    /// A pair is selected.
    Connected,
    /// No pair works, or consent expired.
    Failed,
    /// The peer connection is closed.
    Closed,
}

/// `RTCIceGatheringState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IceGatheringState {
    /// Not started (no local description yet).
    New,
    /// Gathering server-reflexive or relayed candidates.
    Gathering,
    /// Done: every candidate has been signalled.
    Complete,
}

/// `RTCPeerConnectionState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerConnectionState {
    /// Nothing under way.
    New,
    /// ICE or DTLS is being set up.
    Connecting,
    /// ICE and DTLS are up.
    Connected,
    /// ICE or DTLS failed.
    Failed,
    /// Closed, by us or by the peer's DTLS close_notify.
    Closed,
}

/// What the application should know, in the order it happened (the W3C events).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// `icecandidate`: a local candidate to signal; `candidate` is empty at the end of
    /// gathering (end-of-candidates).
    IceCandidate(RtcIceCandidateInit),
    /// `icegatheringstatechange`.
    IceGatheringStateChange(IceGatheringState),
    /// `iceconnectionstatechange`.
    IceConnectionStateChange(IceConnectionState),
    /// `connectionstatechange`.
    ConnectionStateChange(PeerConnectionState),
    /// `signalingstatechange`.
    SignalingStateChange(SignalingState),
    /// `negotiationneeded`: create an offer (the first data channel needs an `m=application`).
    NegotiationNeeded,
    /// `datachannel`: the peer opened a channel in band.
    DataChannel {
        /// Its handle.
        id: ChannelId,
        /// Its label.
        label: String,
        /// Its sub-protocol.
        protocol: String,
    },
    /// A channel's `open`.
    ChannelOpen(ChannelId),
    /// A channel's `message`.
    ChannelMessage {
        /// The channel.
        id: ChannelId,
        /// Binary, or UTF-8 text as the peer sent it.
        binary: bool,
        /// The message.
        data: Bytes,
    },
    /// A channel's `bufferedamountlow`.
    BufferedAmountLow(ChannelId),
    /// A channel's `close`.
    ChannelClosed(ChannelId),
    /// The driver's mDNS responder must answer for `name` with `address`.
    RegisterHostname {
        /// The `….local` name.
        name: String,
        /// The address.
        address: std::net::IpAddr,
    },
    /// Resolve this mDNS name of the peer's and call [`PeerConnection::resolved`].
    ResolveHostname(String),
    /// `track`: a transceiver receives media now (W3C WebRTC §5.4 "set the RTCSessionDescription").
    Track {
        /// The transceiver.
        transceiver: TransceiverId,
        /// Audio or video.
        kind: MediaKind,
        /// Its mid.
        mid: String,
        /// The peer's msid for it, if it said.
        track: Option<TrackInfo>,
        /// The simulcast layer (RFC 8851 rid) for a transceiver that receives simulcast: one
        /// event per layer, and its frames carry the same [`MediaFrame::rid`].
        rid: Option<String>,
    },
    /// A frame of a remote track, in playout order.
    MediaFrame {
        /// The transceiver it came on.
        transceiver: TransceiverId,
        /// The frame.
        frame: MediaFrame,
    },
    /// The peer asks for a keyframe on a transceiver we send on (PLI or FIR).
    KeyframeRequest(TransceiverId),
}

#[derive(Debug)]
struct ChannelEntry {
    /// The SCTP stream, once known.
    stream: Option<u16>,
    label: String,
    options: ChannelOptions,
    state: DataChannelState,
    /// Created here, waiting for the data channel layer (no DTLS role yet).
    pending_open: bool,
    pending_threshold: Option<usize>,
    messages_sent: u64,
    bytes_sent: u64,
    messages_received: u64,
    bytes_received: u64,
}

/// DTLS datagrams that arrived before the DTLS connection was made, at most.
const MAX_EARLY_DTLS: usize = 16;
/// A buffer large enough for any SCTP packet we send.
const SCTP_BUF: usize = 1500;

/// A WebRTC peer connection, sans-IO: the application calls the W3C methods
/// ([`PeerConnection::create_offer`], [`PeerConnection::set_remote_description`],
/// [`PeerConnection::create_data_channel`]...), the driver gives it its host addresses, every
/// datagram of its sockets and the time, and sends what [`PeerConnection::poll_transmit`]
/// returns.
pub struct PeerConnection {
    config: Config,
    dtls_config: Arc<rtc_dtls::Config>,
    fingerprint: rtc_dtls::Fingerprint,
    credentials: Credentials,
    session_id: u64,
    session_version: u64,
    signaling: SignalingState,
    /// Our sections as last negotiated (stable), and the ones of a pending offer or answer.
    sections: Vec<Section>,
    /// The last offer and answer we created (JSEP §5.4: only those may be set locally) with
    /// their sections.
    last_offer: Option<(String, Vec<Section>)>,
    last_answer: Option<(String, Vec<Section>)>,
    /// The local and remote descriptions: current (stable) and pending.
    current_local: Option<RtcSessionDescriptionInit>,
    pending_local: Option<(RtcSessionDescriptionInit, Vec<Section>)>,
    current_remote: Option<RtcSessionDescriptionInit>,
    pending_remote: Option<RtcSessionDescriptionInit>,
    remote: Option<Remote>,
    /// The remote offer's text while it waits for our answer.
    host_addresses: Vec<SocketAddr>,
    agent: Option<Agent>,
    controlling: bool,
    gathering_started: bool,
    local_candidates: Vec<String>,
    ice_state: IceConnectionState,
    gathering_state: IceGatheringState,
    connection_state: PeerConnectionState,
    dtls_role: Option<Role>,
    dtls: Option<rtc_dtls::Connection>,
    dtls_closed: bool,
    dtls_failed: bool,
    early_dtls: Vec<Vec<u8>>,
    data: Option<DataChannels>,
    channels: BTreeMap<ChannelId, ChannelEntry>,
    streams: HashMap<u16, ChannelId>,
    next_channel: u64,
    /// Where we have sent to, and who sent us checks with our ufrag: the datagrams this
    /// connection accepts on a shared socket.
    peers: HashSet<SocketAddr>,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    negotiation_needed: bool,
    closed: bool,
    pub(crate) counters: Counters,
    pub(crate) media: MediaState,
}

impl std::fmt::Debug for PeerConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PeerConnection")
            .field("signaling", &self.signaling)
            .field("ice", &self.ice_state)
            .field("connection", &self.connection_state)
            .field("channels", &self.channels.len())
            .finish_non_exhaustive()
    }
}

impl PeerConnection {
    /// A new peer connection. Makes a certificate when the configuration has none.
    pub fn new(config: Config) -> Result<Self, Error> {
        let dtls_config = config.dtls_config()?;
        let fingerprint = dtls_config
            .certificate()
            .fingerprint(FingerprintAlgorithm::Sha256);
        let credentials = Credentials::random(config.provider);
        let mut id = [0u8; 8];
        let _ = (config.provider.fill_random)(&mut id);
        let mut cname = [0u8; 12];
        let _ = (config.provider.fill_random)(&mut cname);
        let cname =
            base64::Engine::encode(&base64::engine::general_purpose::STANDARD_NO_PAD, cname);
        Ok(Self {
            dtls_config,
            fingerprint,
            credentials,
            // RFC 8829 §5.2.1: a 64-bit value below 2^63.
            session_id: u64::from_be_bytes(id) >> 1,
            session_version: 1,
            signaling: SignalingState::Stable,
            sections: Vec::new(),
            last_offer: None,
            last_answer: None,
            current_local: None,
            pending_local: None,
            current_remote: None,
            pending_remote: None,
            remote: None,
            host_addresses: Vec::new(),
            agent: None,
            controlling: false,
            gathering_started: false,
            local_candidates: Vec::new(),
            ice_state: IceConnectionState::New,
            gathering_state: IceGatheringState::New,
            connection_state: PeerConnectionState::New,
            dtls_role: None,
            dtls: None,
            dtls_closed: false,
            dtls_failed: false,
            early_dtls: Vec::new(),
            data: None,
            channels: BTreeMap::new(),
            streams: HashMap::new(),
            next_channel: 0,
            peers: HashSet::new(),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            negotiation_needed: false,
            closed: false,
            counters: Counters::default(),
            media: MediaState::new(cname),
            config,
        })
    }

    // ----- getters -----

    /// `signalingState`.
    pub fn signaling_state(&self) -> SignalingState {
        self.signaling
    }

    /// `iceConnectionState`.
    pub fn ice_connection_state(&self) -> IceConnectionState {
        self.ice_state
    }

    /// `iceGatheringState`.
    pub fn ice_gathering_state(&self) -> IceGatheringState {
        self.gathering_state
    }

    /// `connectionState`.
    pub fn connection_state(&self) -> PeerConnectionState {
        self.connection_state
    }

    /// Our certificate's SHA-256 fingerprint (what `a=fingerprint` says).
    pub fn fingerprint(&self) -> &rtc_dtls::Fingerprint {
        &self.fingerprint
    }

    /// `localDescription`: the pending one if any, else the current one, with the candidates
    /// gathered so far (W3C WebRTC §4.4.1.6).
    pub fn local_description(&self) -> Option<RtcSessionDescriptionInit> {
        let (kind, sections) = match (&self.pending_local, &self.current_local) {
            (Some((d, sections)), _) => (d.sdp_type, sections.as_slice()),
            (None, Some(d)) => (d.sdp_type, self.sections.as_slice()),
            (None, None) => return None,
        };
        Some(RtcSessionDescriptionInit {
            sdp_type: kind,
            sdp: self.write_description(kind, sections, true),
        })
    }

    /// `remoteDescription`: the pending one if any, else the current one.
    pub fn remote_description(&self) -> Option<&RtcSessionDescriptionInit> {
        self.pending_remote
            .as_ref()
            .or(self.current_remote.as_ref())
    }

    /// The selected candidate pair: (our socket, the peer's address).
    pub fn selected_pair(&self) -> Option<(SocketAddr, SocketAddr)> {
        self.agent.as_ref()?.selected_pair()
    }

    /// The selected pair's candidates, ours and the peer's.
    pub fn selected_candidates(&self) -> Option<(&Candidate, &Candidate)> {
        self.agent.as_ref()?.selected_candidates()
    }

    /// Our ICE username fragment (new after an ICE restart).
    pub fn local_ufrag(&self) -> &str {
        self.agent
            .as_ref()
            .map_or(&self.credentials.ufrag, |a| &a.local_credentials().ufrag)
    }

    /// A channel's label, or `None` for an unknown channel.
    pub fn channel_label(&self, id: ChannelId) -> Option<&str> {
        self.channels.get(&id).map(|c| c.label.as_str())
    }

    /// A channel's sub-protocol.
    pub fn channel_protocol(&self, id: ChannelId) -> Option<&str> {
        self.channels.get(&id).map(|c| c.options.protocol.as_str())
    }

    /// A channel's SCTP stream id (W3C `id`), once the DTLS role has decided it.
    pub fn channel_stream_id(&self, id: ChannelId) -> Option<u16> {
        self.channels.get(&id)?.stream
    }

    /// A channel's ordering and reliability.
    pub fn channel_type(&self, id: ChannelId) -> Option<ChannelType> {
        self.channels.get(&id).map(|c| c.options.channel_type)
    }

    /// A channel's `readyState` (`Closed` for an unknown channel).
    pub fn channel_state(&self, id: ChannelId) -> DataChannelState {
        self.channels
            .get(&id)
            .map_or(DataChannelState::Closed, |c| c.state)
    }

    /// A channel's `bufferedAmount`: bytes queued and not yet sent.
    pub fn buffered_amount(&self, id: ChannelId) -> usize {
        match (self.channels.get(&id).and_then(|c| c.stream), &self.data) {
            (Some(stream), Some(data)) => data.buffered_amount(stream),
            _ => 0,
        }
    }

    /// The peer's `a=max-message-size` (0: no limit).
    pub fn remote_max_message_size(&self) -> usize {
        self.remote
            .as_ref()
            .map_or(sdp::DEFAULT_MAX_MESSAGE_SIZE, |r| r.max_message_size)
    }

    /// Whether a datagram that arrived on a socket shared by several peer connections is
    /// this one's: a STUN request with our ufrag, or anything from an address we talk to.
    pub fn accepts(&self, from: SocketAddr, datagram: &[u8]) -> bool {
        if self.closed {
            return false;
        }
        if self.peers.contains(&from) {
            return true;
        }
        if classify(datagram) == Protocol::Stun {
            if let Some(u) = rtc_stun::Message::parse(datagram)
                .ok()
                .and_then(|m| m.username())
            {
                return u.split(':').next() == Some(self.local_ufrag());
            }
        }
        false
    }

    // ----- the W3C signaling methods -----

    /// `createOffer()`: our sections (the data channel section once a channel exists),
    /// `a=setup:actpass` (RFC 8842 §5.2).
    pub fn create_offer(&mut self) -> Result<RtcSessionDescriptionInit, Error> {
        self.check_open()?;
        if matches!(
            self.signaling,
            SignalingState::HaveRemoteOffer | SignalingState::HaveLocalPranswer
        ) {
            return Err(Error::InvalidState {
                kind: "offer",
                side: "local",
                state: self.signaling,
            });
        }
        let mut sections = self.sections.clone();
        let has_data = sections.iter().any(|s| s.kind == SectionKind::Application);
        // New transceivers get their sections (and mids) before the data section, as
        // browsers order them when both are added before the first offer.
        let fresh: Vec<TransceiverId> = self
            .media
            .transceivers
            .iter()
            .filter(|t| t.mid.is_none() && !t.stopped)
            .map(|t| t.id)
            .collect();
        for id in fresh {
            let mid = next_mid(&sections);
            if let Some(t) = self.media.get_mut(id) {
                t.mid = Some(mid.clone());
            }
            sections.push(Section {
                mid,
                kind: SectionKind::Media(id),
            });
        }
        if !has_data && !self.channels.is_empty() {
            sections.push(Section {
                mid: next_mid(&sections),
                kind: SectionKind::Application,
            });
        }
        self.session_version += 1;
        let sdp = self.write_description(SdpType::Offer, &sections, false);
        self.last_offer = Some((sdp.clone(), sections));
        Ok(RtcSessionDescriptionInit::offer(sdp))
    }

    /// `createAnswer()`: takes the peer's data channel section, rejects the others (media
    /// comes with transceivers), `a=setup:active` unless the peer must be the client.
    pub fn create_answer(&mut self) -> Result<RtcSessionDescriptionInit, Error> {
        self.check_open()?;
        if !matches!(
            self.signaling,
            SignalingState::HaveRemoteOffer | SignalingState::HaveLocalPranswer
        ) {
            return Err(Error::InvalidState {
                kind: "answer",
                side: "local",
                state: self.signaling,
            });
        }
        let remote = self.remote.as_ref().ok_or(Error::Missing("remote offer"))?;
        let mut taken = false;
        let sections: Vec<Section> = remote
            .sections
            .iter()
            .map(|r| {
                let media = r.av.as_ref().filter(|_| !r.rejected).and_then(|m| {
                    self.media
                        .by_mid(&r.mid)
                        .filter(|t| !t.stopped && t.kind == m.kind && t.accepts(m))
                        .map(|t| t.id)
                });
                let kind = if let Some(id) = media {
                    SectionKind::Media(id)
                } else if r.is_data && !r.rejected && !taken {
                    taken = true;
                    SectionKind::Application
                } else {
                    SectionKind::Rejected {
                        media: r.media.clone(),
                        protocol: r.protocol.clone(),
                        formats: r.formats.clone(),
                    }
                };
                Section {
                    mid: r.mid.clone(),
                    kind,
                }
            })
            .collect();
        self.session_version += 1;
        let sdp = self.write_description(SdpType::Answer, &sections, false);
        self.last_answer = Some((sdp.clone(), sections));
        Ok(RtcSessionDescriptionInit::answer(sdp))
    }

    /// `setLocalDescription(description)`: our last offer or answer, unchanged, or a
    /// rollback. Starts gathering.
    pub fn set_local_description(
        &mut self,
        now: Instant,
        description: RtcSessionDescriptionInit,
    ) -> Result<(), Error> {
        self.check_open()?;
        let kind = description.sdp_type;
        let next = self.signaling.next(true, kind).ok_or(Error::InvalidState {
            kind: kind_name(kind),
            side: "local",
            state: self.signaling,
        })?;
        match kind {
            SdpType::Rollback => {
                self.pending_local = None;
                self.set_signaling(next);
                return Ok(());
            }
            SdpType::Offer => {
                let sections = match &self.last_offer {
                    Some((sdp, sections)) if *sdp == description.sdp => sections.clone(),
                    _ => return Err(Error::NotOurDescription),
                };
                self.ensure_agent(now, true);
                self.pending_local = Some((description, sections));
            }
            SdpType::Answer | SdpType::Pranswer => {
                let sections = match &self.last_answer {
                    Some((sdp, sections)) if *sdp == description.sdp => sections.clone(),
                    _ => return Err(Error::NotOurDescription),
                };
                self.ensure_agent(now, false);
                if kind == SdpType::Answer {
                    self.sections = sections;
                    self.current_local = Some(description);
                    self.pending_local = None;
                    self.current_remote = self.pending_remote.take();
                    let remote_setup = self.remote.as_ref().map(|r| r.setup);
                    // We answered actpass or passive with active, active with passive.
                    self.dtls_role = Some(match remote_setup {
                        Some(Setup::Active) => Role::Server,
                        _ => Role::Client,
                    });
                } else {
                    self.pending_local = Some((description, sections));
                }
            }
        }
        self.set_signaling(next);
        self.start_gathering(now);
        if next == SignalingState::Stable {
            self.start_transport(now);
            self.apply_media();
        }
        self.pump(now);
        Ok(())
    }

    /// `setRemoteDescription(description)`: the peer's offer, answer or pranswer, or a
    /// rollback of its offer.
    pub fn set_remote_description(
        &mut self,
        now: Instant,
        description: RtcSessionDescriptionInit,
    ) -> Result<(), Error> {
        self.check_open()?;
        let kind = description.sdp_type;
        let next = self
            .signaling
            .next(false, kind)
            .ok_or(Error::InvalidState {
                kind: kind_name(kind),
                side: "remote",
                state: self.signaling,
            })?;
        if kind == SdpType::Rollback {
            self.pending_remote = None;
            self.set_signaling(next);
            return Ok(());
        }
        let parsed = SessionDescription::parse(&description.sdp)?;
        let remote = match kind {
            SdpType::Offer => sdp::read_remote(&parsed, None)?,
            _ => {
                let offer_text = self
                    .pending_local
                    .as_ref()
                    .map(|(d, _)| d.sdp.clone())
                    .ok_or(Error::Missing("our offer"))?;
                let offer = SessionDescription::parse(&offer_text)?;
                let remote = sdp::read_remote(&parsed, Some(&offer))?;
                if remote.setup == Setup::ActPass || remote.setup == Setup::HoldConn {
                    return Err(Error::SetupRole(remote.setup.as_str()));
                }
                remote
            }
        };
        let restart = self
            .remote
            .as_ref()
            .is_some_and(|old| old.ufrag != remote.ufrag || old.pwd != remote.pwd);
        if kind == SdpType::Offer {
            // A lite peer leaves the controlling role to us (RFC 8445 §6.1.1).
            self.ensure_agent(now, remote.ice_lite && !self.config.ice_lite);
        }
        if let Some(agent) = &mut self.agent {
            if restart {
                agent.restart(Credentials::random(self.config.provider));
            }
            agent.set_remote_credentials(
                now,
                Credentials {
                    ufrag: remote.ufrag.clone(),
                    pwd: remote.pwd.clone(),
                },
            );
            for c in remote.candidates.iter().filter(|c| usable_candidate(c)) {
                // A candidate we cannot use (another component, a bad line) is skipped, as
                // browsers skip them.
                let _ = agent.add_remote_candidate_sdp(now, c);
            }
            if remote.end_of_candidates {
                agent.set_remote_end_of_candidates();
            }
        }
        match kind {
            SdpType::Answer => {
                if let Some((local, sections)) = self.pending_local.take() {
                    self.sections = sections;
                    self.current_local = Some(local);
                }
                self.current_remote = Some(description);
                self.pending_remote = None;
                self.dtls_role = Some(match remote.setup {
                    Setup::Active => Role::Server,
                    _ => Role::Client,
                });
            }
            _ => self.pending_remote = Some(description),
        }
        if kind == SdpType::Offer {
            self.associate_transceivers(&remote);
        }
        self.remote = Some(remote);
        self.set_signaling(next);
        if next == SignalingState::Stable {
            self.start_transport(now);
            self.apply_media();
        }
        self.pump(now);
        Ok(())
    }

    /// `addIceCandidate(candidate)`: a trickled candidate of the peer's, or its
    /// end-of-candidates (an empty `candidate`). Candidates of an older ufrag are ignored.
    pub fn add_ice_candidate(
        &mut self,
        now: Instant,
        candidate: &RtcIceCandidateInit,
    ) -> Result<(), Error> {
        self.check_open()?;
        let remote = self
            .remote
            .as_ref()
            .ok_or(Error::Candidate("no remote description"))?;
        if candidate
            .username_fragment
            .as_deref()
            .is_some_and(|u| !u.is_empty() && u != remote.ufrag)
        {
            return Ok(());
        }
        // An empty sdpMid counts as absent, as libwebrtc treats it (it then goes by
        // sdpMLineIndex): Pion v3's ICECandidate.ToJSON() signals every candidate with
        // `"sdpMid": ""` and `"sdpMLineIndex": 0`.
        if let Some(mid) = candidate.sdp_mid.as_deref().filter(|m| !m.is_empty()) {
            if !remote.sections.iter().any(|s| s.mid == mid) {
                return Err(Error::Candidate("unknown sdpMid"));
            }
        }
        let agent = self.agent.as_mut().ok_or(Error::Closed)?;
        if candidate.is_end_of_candidates() {
            agent.set_remote_end_of_candidates();
        } else if !usable_candidate(&candidate.candidate) {
            // A TCP candidate (Chromium signals them): this connection's driver has UDP
            // sockets only, so it is ignored, as W3C allows for candidates a transport does
            // not support.
        } else {
            agent
                .add_remote_candidate_sdp(now, &candidate.candidate)
                .map_err(|_| Error::Candidate("malformed or unusable candidate"))?;
        }
        self.pump(now);
        Ok(())
    }

    /// An address of ours for host candidates (the driver's sockets). Before the local
    /// description is set it waits; after, it is gathered at once.
    pub fn add_host_address(&mut self, now: Instant, address: SocketAddr) {
        if self.host_addresses.contains(&address) {
            return;
        }
        self.host_addresses.push(address);
        if self.gathering_started {
            self.add_host_candidate(now, address);
            self.pump(now);
        }
    }

    /// The driver resolved a peer's mDNS name ([`Event::ResolveHostname`]).
    pub fn resolved(&mut self, now: Instant, name: &str, ip: std::net::IpAddr) {
        if let Some(agent) = &mut self.agent {
            agent.resolved(now, name, ip);
        }
        self.pump(now);
    }

    // ----- data channels -----

    /// `createDataChannel(label, init)`. The channel opens once the connection is up (in
    /// band with DCEP, or at once on both sides when negotiated).
    pub fn create_data_channel(
        &mut self,
        now: Instant,
        label: &str,
        init: DataChannelInit,
    ) -> Result<ChannelId, Error> {
        self.check_open()?;
        if label.len() > 65535 || init.protocol.len() > 65535 {
            return Err(Error::ChannelParameters("label or protocol too long"));
        }
        if init.negotiated.is_some_and(|id| id > 65534) {
            return Err(Error::ChannelParameters("id above 65534"));
        }
        let reliability = match (init.max_retransmits, init.max_packet_life_time) {
            (Some(_), Some(_)) => {
                return Err(Error::ChannelParameters(
                    "both maxRetransmits and maxPacketLifeTime",
                ));
            }
            (Some(n), None) => rtc_datachannel::Reliability::MaxRetransmits(u32::from(n)),
            (None, Some(ms)) => rtc_datachannel::Reliability::MaxLifetimeMs(u32::from(ms)),
            (None, None) => rtc_datachannel::Reliability::Reliable,
        };
        let options = ChannelOptions {
            label: label.to_owned(),
            protocol: init.protocol,
            channel_type: ChannelType::new(init.ordered, reliability),
            priority: init.priority,
            negotiated: init.negotiated,
        };
        let id = ChannelId(self.next_channel);
        self.next_channel += 1;
        let first = self.channels.is_empty()
            && !self
                .sections
                .iter()
                .any(|s| s.kind == SectionKind::Application);
        self.channels.insert(
            id,
            ChannelEntry {
                stream: None,
                label: label.to_owned(),
                options,
                state: DataChannelState::Connecting,
                pending_open: true,
                pending_threshold: None,
                messages_sent: 0,
                bytes_sent: 0,
                messages_received: 0,
                bytes_received: 0,
            },
        );
        self.counters.data_channels_opened += 1;
        if first {
            self.negotiation_needed = true;
            self.events.push_back(Event::NegotiationNeeded);
        }
        if let Err(e) = self.open_pending(now) {
            self.channels.remove(&id);
            return Err(e);
        }
        self.pump(now);
        Ok(id)
    }

    /// Sends a text message (UTF-8) on an open channel.
    pub fn send_text(&mut self, now: Instant, id: ChannelId, text: &str) -> Result<(), Error> {
        self.send(now, id, false, Bytes::copy_from_slice(text.as_bytes()))
    }

    /// Sends a binary message on an open channel.
    pub fn send_binary(
        &mut self,
        now: Instant,
        id: ChannelId,
        data: impl Into<Bytes>,
    ) -> Result<(), Error> {
        self.send(now, id, true, data.into())
    }

    fn send(
        &mut self,
        now: Instant,
        id: ChannelId,
        binary: bool,
        data: Bytes,
    ) -> Result<(), Error> {
        self.check_open()?;
        let max = self.remote_max_message_size();
        if max != 0 && data.len() > max {
            return Err(Error::MessageTooLong {
                len: data.len(),
                max,
            });
        }
        let entry = self.channels.get_mut(&id).ok_or(Error::NoChannel(id.0))?;
        let (Some(stream), Some(dc)) = (entry.stream, self.data.as_mut()) else {
            return Err(rtc_datachannel::ChannelError::NotOpen(0).into());
        };
        let len = data.len() as u64;
        if binary {
            dc.send_binary(now, stream, data)?;
        } else {
            // The bytes came from a &str.
            let text = std::str::from_utf8(&data).map_err(|_| Error::ChannelParameters("text"))?;
            dc.send_text(now, stream, text)?;
        }
        entry.messages_sent += 1;
        entry.bytes_sent += len;
        self.pump(now);
        Ok(())
    }

    /// `bufferedAmountLowThreshold`.
    pub fn set_buffered_amount_low_threshold(&mut self, id: ChannelId, threshold: usize) {
        let Some(entry) = self.channels.get_mut(&id) else {
            return;
        };
        match (entry.stream, &mut self.data) {
            (Some(stream), Some(dc)) => dc.set_buffered_amount_low_threshold(stream, threshold),
            _ => entry.pending_threshold = Some(threshold),
        }
    }

    /// A channel's `close()`: its streams are reset (RFC 8831 §6.7); `ChannelClosed` follows.
    pub fn close_channel(&mut self, now: Instant, id: ChannelId) -> Result<(), Error> {
        let entry = self.channels.get_mut(&id).ok_or(Error::NoChannel(id.0))?;
        match (entry.stream, &mut self.data) {
            (Some(stream), Some(dc)) if entry.state != DataChannelState::Closed => {
                entry.state = DataChannelState::Closing;
                if dc.close(stream).is_err() {
                    self.finish_channel(id);
                }
            }
            _ => self.finish_channel(id),
        }
        self.pump(now);
        Ok(())
    }

    /// `close()`: the channels and the association end (SCTP ABORT), DTLS sends close_notify,
    /// ICE stops; what is left to send comes out of [`PeerConnection::poll_transmit`], and
    /// no event follows (W3C WebRTC §4.4.1.4).
    pub fn close(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        if let Some(dc) = &mut self.data {
            dc.association_mut().abort(b"peer connection closed");
        }
        self.flush_sctp(now);
        if let Some(dtls) = &mut self.dtls {
            dtls.close();
        }
        self.flush_dtls(now);
        self.closed = true;
        self.data = None;
        self.dtls = None;
        self.agent = None;
        self.channels.clear();
        self.streams.clear();
        self.early_dtls.clear();
        self.peers.clear();
        self.signaling = SignalingState::Closed;
        self.ice_state = IceConnectionState::Closed;
        self.connection_state = PeerConnectionState::Closed;
        self.events.clear();
    }

    /// Whether [`PeerConnection::close`] was called.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    // ----- input -----

    /// A datagram that arrived on the local socket `local` from `from`. Anything that is not
    /// ours or does not parse is dropped and counted; nothing the peer sends fails this
    /// call.
    pub fn handle_input(
        &mut self,
        now: Instant,
        local: SocketAddr,
        from: SocketAddr,
        datagram: &[u8],
    ) {
        if self.closed {
            return;
        }
        self.counters.packets_received += 1;
        self.counters.bytes_received += datagram.len() as u64;
        match classify(datagram) {
            Protocol::Stun | Protocol::TurnChannel => {
                let Some(agent) = &mut self.agent else {
                    self.counters.dropped += 1;
                    return;
                };
                let handled = agent.handle_packet(now, local, from, datagram);
                let relayed: Vec<(SocketAddr, Vec<u8>)> =
                    std::iter::from_fn(|| agent.poll_relayed_data()).collect();
                if !handled && relayed.is_empty() {
                    self.counters.dropped += 1;
                } else if self.accepts(from, datagram) {
                    self.peers.insert(from);
                }
                for (peer, data) in relayed {
                    self.handle_application(now, peer, &data);
                }
            }
            _ => self.handle_application(now, from, datagram),
        }
        self.pump(now);
    }

    /// DTLS (or, later, SRTP) from the peer, directly or through a relay.
    fn handle_application(&mut self, now: Instant, from: SocketAddr, datagram: &[u8]) {
        match classify(datagram) {
            Protocol::Dtls => match &mut self.dtls {
                Some(dtls) => {
                    // A fatal error is reported as the DTLS Failed event; a bad record is
                    // dropped inside.
                    if dtls.handle_datagram(now, datagram).is_err() {
                        self.counters.dropped += 1;
                    }
                }
                None if self.early_dtls.len() < MAX_EARLY_DTLS => {
                    self.early_dtls.push(datagram.to_vec());
                }
                None => self.counters.dropped += 1,
            },
            Protocol::Rtp => {
                let _ = from;
                let before = self.media.counters;
                self.media.handle_datagram(now, datagram);
                let after = self.media.counters;
                // Dropped by the media side (SRTP failure, no transceiver, malformed): also
                // a dropped datagram of the transport.
                if after != before {
                    self.counters.dropped += 1;
                } else {
                    self.media.note_activity(now);
                }
            }
            _ => {
                let _ = from;
                self.counters.dropped += 1;
            }
        }
    }

    /// Timers: ICE checks and consent, DTLS retransmission, SCTP timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        if let Some(agent) = &mut self.agent {
            agent.handle_timeout(now);
        }
        if let Some(dtls) = &mut self.dtls {
            dtls.handle_timeout(now);
        }
        if let Some(dc) = &mut self.data {
            dc.handle_timeout(now);
        }
        self.media.handle_timeout(now);
        self.pump(now);
    }

    // ----- media -----

    /// `addTransceiver(kind, init)`: a transceiver that gets a section in the next offer.
    pub fn add_transceiver(
        &mut self,
        kind: MediaKind,
        init: TransceiverInit,
    ) -> Result<TransceiverId, Error> {
        self.check_open()?;
        let provider = self.config.provider;
        let mut random = || {
            let mut b = [0u8; 4];
            let _ = (provider.fill_random)(&mut b);
            u32::from_be_bytes(b)
        };
        let id = self.media.add(kind, init, &mut random);
        self.negotiation_needed = true;
        self.events.push_back(Event::NegotiationNeeded);
        Ok(id)
    }

    /// `addTrack(track)`: reuses a transceiver of the kind that the peer's offer made and
    /// that sends nothing yet (W3C WebRTC §5.1 addTrack), else adds a sendrecv one.
    pub fn add_track(&mut self, kind: MediaKind, track: TrackInfo) -> Result<TransceiverId, Error> {
        self.check_open()?;
        let reuse = self
            .media
            .transceivers
            .iter()
            .find(|t| t.kind == kind && !t.stopped && t.track.is_none() && t.send.is_none())
            .map(|t| t.id);
        if let Some(id) = reuse {
            if let Some(t) = self.media.get_mut(id) {
                t.track = Some(track);
                t.direction = crate::media::from_flags(true, t.direction.receives());
            }
            self.negotiation_needed = true;
            self.events.push_back(Event::NegotiationNeeded);
            return Ok(id);
        }
        self.add_transceiver(
            kind,
            TransceiverInit {
                track: Some(track),
                ..TransceiverInit::default()
            },
        )
    }

    /// A transceiver's `direction` (takes effect with the next negotiation).
    pub fn set_direction(&mut self, id: TransceiverId, direction: Direction) -> Result<(), Error> {
        let t = self.media.get_mut(id).ok_or(Error::NoTransceiver(id.0))?;
        if t.direction != direction {
            t.direction = direction;
            self.negotiation_needed = true;
            self.events.push_back(Event::NegotiationNeeded);
        }
        Ok(())
    }

    /// `setCodecPreferences(codecs)`: the codecs (and order) the next offer or answer has.
    pub fn set_codec_preferences(
        &mut self,
        id: TransceiverId,
        codecs: Vec<crate::media::Codec>,
    ) -> Result<(), Error> {
        let t = self.media.get_mut(id).ok_or(Error::NoTransceiver(id.0))?;
        t.codecs = if codecs.is_empty() {
            crate::media::default_codecs(t.kind)
        } else {
            codecs
        };
        Ok(())
    }

    /// `replaceTrack(track)`: another source on the same sender, no renegotiation (the SSRC
    /// and payload type stay); `None` stops sending until a track is set again.
    pub fn replace_track(
        &mut self,
        id: TransceiverId,
        track: Option<TrackInfo>,
    ) -> Result<(), Error> {
        let t = self.media.get_mut(id).ok_or(Error::NoTransceiver(id.0))?;
        if t.track.is_none() && track.is_some() && t.send.is_none() {
            // Nothing was negotiated to send: the msid needs an offer.
            self.negotiation_needed = true;
            self.events.push_back(Event::NegotiationNeeded);
        }
        t.track = track;
        Ok(())
    }

    /// The transceivers, in the order they were made.
    pub fn transceivers(&self) -> Vec<TransceiverId> {
        self.media.transceivers.iter().map(|t| t.id).collect()
    }

    /// A transceiver's kind, mid, direction and current direction.
    pub fn transceiver_info(
        &self,
        id: TransceiverId,
    ) -> Option<(MediaKind, Option<&str>, Direction, Option<Direction>)> {
        let t = self.media.get(id)?;
        Some((t.kind, t.mid.as_deref(), t.direction, t.current_direction))
    }

    /// The codec a transceiver sends with, once negotiated.
    pub fn send_codec(&self, id: TransceiverId) -> Option<&crate::media::Codec> {
        self.media.get(id)?.send.as_ref().map(|s| &s.codec)
    }

    /// What the media side counted (SRTP failures, unrouted and malformed packets).
    pub fn media_counters(&self) -> crate::media::MediaCounters {
        self.media.counters
    }

    /// Sends one encoded frame of `duration` on a transceiver: packetized for its codec,
    /// RTP-stamped, kept for retransmission, protected with SRTP.
    pub fn write_frame(
        &mut self,
        now: Instant,
        id: TransceiverId,
        frame: &[u8],
        duration: std::time::Duration,
    ) -> Result<(), Error> {
        self.check_open()?;
        if self
            .media
            .get(id)
            .ok_or(Error::NoTransceiver(id.0))?
            .track
            .is_none()
        {
            return Err(Error::MediaNotReady("no track on this sender"));
        }
        self.media.write_frame(now, id, frame, duration)?;
        self.pump(now);
        Ok(())
    }

    /// Asks the peer for a keyframe on what a transceiver receives (PLI).
    pub fn request_keyframe(&mut self, now: Instant, id: TransceiverId) {
        self.request_keyframe_for(now, id, None);
    }

    /// Asks for a keyframe on one simulcast layer of a transceiver (`rid`), or on all it
    /// receives (`None`).
    pub fn request_keyframe_for(&mut self, now: Instant, id: TransceiverId, rid: Option<&str>) {
        let targets: Vec<(u32, u32)> = self
            .media
            .get(id)
            .map(|t| {
                t.receive
                    .iter()
                    .filter(|r| rid.is_none() || r.rid.as_deref() == rid)
                    .map(|r| (t.ssrc, r.ssrc))
                    .collect()
            })
            .unwrap_or_default();
        for (ours, theirs) in targets {
            self.media.pli(ours, theirs);
        }
        let _ = now;
        self.pump(now);
    }

    /// W3C "process the removal/addition of a remote track", simplified: the peer's offer's
    /// audio/video sections get transceivers (ours of the same mid, a free one of the kind
    /// made by addTrack, or a new recvonly one).
    fn associate_transceivers(&mut self, remote: &Remote) {
        let provider = self.config.provider;
        for r in &remote.sections {
            let Some(m) = r.av.as_ref().filter(|_| !r.rejected) else {
                continue;
            };
            if self.media.by_mid(&r.mid).is_some() {
                continue;
            }
            let free = self
                .media
                .transceivers
                .iter()
                .find(|t| t.mid.is_none() && !t.stopped && t.kind == m.kind)
                .map(|t| t.id);
            let id = match free {
                Some(id) => id,
                None => {
                    let mut random = || {
                        let mut b = [0u8; 4];
                        let _ = (provider.fill_random)(&mut b);
                        u32::from_be_bytes(b)
                    };
                    self.media.add(
                        m.kind,
                        TransceiverInit {
                            direction: Direction::RecvOnly,
                            ..TransceiverInit::default()
                        },
                        &mut random,
                    )
                }
            };
            if let Some(t) = self.media.get_mut(id) {
                t.mid = Some(r.mid.clone());
            }
        }
    }

    /// Offer and answer agree: each media section's codecs, extensions and direction; the
    /// `track` events of transceivers that now receive.
    fn apply_media(&mut self) {
        let Some(remote) = self.remote.clone() else {
            return;
        };
        let provider = self.config.provider;
        let mut random = || {
            let mut b = [0u8; 4];
            let _ = (provider.fill_random)(&mut b);
            u32::from_be_bytes(b)
        };
        let sections = self.sections.clone();
        for section in &sections {
            let SectionKind::Media(id) = section.kind else {
                continue;
            };
            let Some(m) = remote
                .sections
                .iter()
                .find(|r| r.mid == section.mid && !r.rejected)
                .and_then(|r| r.av.clone())
            else {
                if let Some(t) = self.media.get_mut(id) {
                    t.current_direction = Some(Direction::Inactive);
                    t.send = None;
                    t.receive.clear();
                }
                continue;
            };
            let Some(t) = self.media.get_mut(id) else {
                continue;
            };
            let negotiated = crate::media::codec::intersect(&t.codecs, &m.codecs);
            let ours = crate::media::default_extensions(t.kind);
            let extensions: Vec<(u8, String)> = m
                .extensions
                .iter()
                .filter(|(_, u)| ours.iter().any(|(_, o)| o == u))
                .cloned()
                .collect();
            let current = crate::media::answer_direction(t.direction, m.direction);
            let track = m.track.clone();
            t.apply(negotiated, &extensions, current, m, &mut random);
            if current.receives() && !t.track_fired {
                t.track_fired = true;
                let (kind, mid) = (t.kind, section.mid.clone());
                let rids = t
                    .remote
                    .as_ref()
                    .map(|r| r.rids.clone())
                    .unwrap_or_default();
                let layers: Vec<Option<String>> = if rids.is_empty() {
                    vec![None]
                } else {
                    rids.into_iter().map(Some).collect()
                };
                for rid in layers {
                    self.events.push_back(Event::Track {
                        transceiver: id,
                        kind,
                        mid: mid.clone(),
                        track: track.clone(),
                        rid,
                    });
                }
            }
        }
        self.media.forget_routes();
    }

    /// SRTP and SRTCP onto the selected pair. True when something moved.
    fn flush_media(&mut self, now: Instant) -> bool {
        if self.media.out.is_empty() {
            return false;
        }
        let Some(agent) = &mut self.agent else {
            self.media.out.clear();
            return false;
        };
        if agent.selected_pair().is_none() {
            self.media.out.clear();
            return false;
        }
        let mut out = Vec::new();
        while let Some(d) = self.media.out.pop_front() {
            if let Some(t) = agent.send_data_owned(now, d) {
                out.push(t);
            }
        }
        let moved = !out.is_empty();
        for t in out {
            self.push_transmit(t);
        }
        moved
    }

    // ----- output -----

    /// The next datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`PeerConnection::handle_timeout`] wants to be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        [
            self.agent.as_ref().and_then(Agent::poll_timeout),
            self.dtls
                .as_ref()
                .and_then(rtc_dtls::Connection::poll_timeout),
            self.data.as_ref().and_then(DataChannels::poll_timeout),
            self.media.poll_timeout(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    // ----- inside -----

    fn check_open(&self) -> Result<(), Error> {
        if self.closed {
            Err(Error::Closed)
        } else {
            Ok(())
        }
    }

    fn set_signaling(&mut self, state: SignalingState) {
        if self.signaling != state {
            self.signaling = state;
            self.events.push_back(Event::SignalingStateChange(state));
        }
        if state == SignalingState::Stable
            && self.negotiation_needed
            && self
                .sections
                .iter()
                .any(|s| s.kind == SectionKind::Application)
        {
            self.negotiation_needed = false;
        }
    }

    fn write_description(&self, kind: SdpType, sections: &[Section], candidates: bool) -> String {
        let setup = match kind {
            SdpType::Offer => Setup::ActPass,
            _ => match self.remote.as_ref().map(|r| r.setup) {
                Some(Setup::Active) => Setup::Passive,
                _ => Setup::Active,
            },
        };
        let none: [String; 0] = [];
        let media: Vec<(TransceiverId, String, String)> = sections
            .iter()
            .filter_map(|section| {
                let SectionKind::Media(id) = section.kind else {
                    return None;
                };
                let t = self.media.get(id)?;
                let answer = match kind {
                    SdpType::Offer => None,
                    _ => self
                        .remote
                        .as_ref()?
                        .sections
                        .iter()
                        .find(|r| r.mid == section.mid)?
                        .av
                        .as_ref(),
                };
                if kind != SdpType::Offer && answer.is_none() {
                    return None;
                }
                let (mline, lines) = t.write_section(&section.mid, answer, &self.media.cname);
                Some((id, mline, lines))
            })
            .collect();
        sdp::write_local(&LocalParams {
            session_id: self.session_id,
            version: self.session_version,
            ufrag: self
                .agent
                .as_ref()
                .map_or(&self.credentials.ufrag, |a| &a.local_credentials().ufrag),
            pwd: self
                .agent
                .as_ref()
                .map_or(&self.credentials.pwd, |a| &a.local_credentials().pwd),
            fingerprint: &self.fingerprint,
            setup,
            ice_lite: self.config.ice_lite,
            max_message_size: self.config.max_message_size,
            sections,
            media: &media,
            candidates: if candidates {
                &self.local_candidates
            } else {
                &none
            },
            end_of_candidates: candidates && self.gathering_state == IceGatheringState::Complete,
        })
    }

    /// The ICE agent exists from the first description on, controlling when we offer (RFC
    /// 8445 §6.1.1) unless we are lite.
    fn ensure_agent(&mut self, now: Instant, controlling: bool) {
        if self.agent.is_some() {
            return;
        }
        let _ = now;
        let mut ice = if self.config.ice_lite {
            rtc_ice::Config::lite()
        } else {
            rtc_ice::Config::new(controlling)
        };
        ice.stun_servers = self.config.stun_servers.clone();
        ice.turn_servers = self.config.turn_servers.clone();
        ice.mdns_hostnames = self.config.mdns_hostnames;
        ice.provider = self.config.provider;
        self.controlling = controlling && !self.config.ice_lite;
        self.agent = Some(Agent::new(ice, self.credentials.clone()));
    }

    /// W3C WebRTC §4.4.1.6: gathering starts with the first local description.
    fn start_gathering(&mut self, now: Instant) {
        if self.gathering_started || self.agent.is_none() {
            return;
        }
        self.gathering_started = true;
        self.set_gathering(IceGatheringState::Gathering);
        for address in self.host_addresses.clone() {
            self.add_host_candidate(now, address);
        }
        let servers = self.host_addresses.iter().any(|h| {
            self.config
                .stun_servers
                .iter()
                .any(|s| s.is_ipv4() == h.is_ipv4())
                || self
                    .config
                    .turn_servers
                    .iter()
                    .any(|t| t.address.is_ipv4() == h.is_ipv4())
        });
        if !servers {
            self.gathering_complete();
        }
    }

    fn add_host_candidate(&mut self, now: Instant, address: SocketAddr) {
        let Some(agent) = &mut self.agent else {
            return;
        };
        // RFC 8445 §5.1.2.1: the first address is the preferred one.
        let preference = 65535u16.saturating_sub(self.local_candidates.len() as u16 * 256);
        agent.add_local_candidate(now, Candidate::host(address, preference, 1));
        if let Some(c) = agent
            .local_candidates()
            .iter()
            .rev()
            .find(|c| c.base == address)
            .cloned()
        {
            self.signal_candidate(&c);
        }
    }

    fn signal_candidate(&mut self, c: &Candidate) {
        let sdp = c.to_sdp();
        let line = format!("candidate:{sdp}");
        if self.local_candidates.contains(&line) {
            return;
        }
        self.local_candidates.push(line);
        let (mid, index) = self.transport_mid();
        self.events
            .push_back(Event::IceCandidate(RtcIceCandidateInit::from_candidate(
                &sdp,
                mid.as_deref(),
                index,
                Some(self.local_ufrag()),
            )));
    }

    /// The mid and index of the section that carries the transport.
    fn transport_mid(&self) -> (Option<String>, Option<u16>) {
        let sections = self
            .pending_local
            .as_ref()
            .map_or(self.sections.as_slice(), |(_, s)| s.as_slice());
        sections
            .iter()
            .position(|s| s.kind == SectionKind::Application)
            .map_or((Some("0".to_owned()), Some(0)), |i| {
                (Some(sections[i].mid.clone()), u16::try_from(i).ok())
            })
    }

    fn gathering_complete(&mut self) {
        if self.gathering_state == IceGatheringState::Complete {
            return;
        }
        let (mid, index) = self.transport_mid();
        self.events
            .push_back(Event::IceCandidate(RtcIceCandidateInit {
                candidate: String::new(),
                sdp_mid: mid,
                sdp_m_line_index: index,
                username_fragment: Some(self.local_ufrag().to_owned()),
            }));
        self.set_gathering(IceGatheringState::Complete);
    }

    fn set_gathering(&mut self, state: IceGatheringState) {
        if self.gathering_state != state {
            self.gathering_state = state;
            self.events.push_back(Event::IceGatheringStateChange(state));
        }
    }

    /// Offer and answer agree: DTLS (as server at once, as client once ICE has a pair) and
    /// the data channel layer.
    fn start_transport(&mut self, now: Instant) {
        let Some(role) = self.dtls_role else {
            return;
        };
        if self.dtls.is_none() && role == Role::Server {
            self.make_dtls(now, role);
        }
        let Some(remote) = &self.remote else {
            return;
        };
        let data_negotiated = self
            .sections
            .iter()
            .any(|s| s.kind == SectionKind::Application);
        if self.data.is_none() && data_negotiated {
            let mut sctp = self.config.sctp.clone();
            sctp.local_port = 5000;
            sctp.remote_port = remote.sctp_port.unwrap_or(5000);
            sctp.max_message_size = self.config.max_message_size;
            sctp.provider = self.config.provider;
            let role = match role {
                Role::Client => DtlsRole::Client,
                Role::Server => DtlsRole::Server,
            };
            self.data = Some(DataChannels::new(Arc::new(sctp), role, now));
            let _ = self.open_pending(now);
        }
    }

    fn make_dtls(&mut self, now: Instant, role: Role) {
        let Ok(mut dtls) = rtc_dtls::Connection::new(self.dtls_config.clone(), role, now) else {
            self.dtls_failed = true;
            return;
        };
        let fingerprints = self
            .remote
            .as_ref()
            .map(|r| r.fingerprints.clone())
            .unwrap_or_default();
        if dtls.set_remote_fingerprints(fingerprints).is_err() {
            self.dtls_failed = true;
        }
        for d in std::mem::take(&mut self.early_dtls) {
            let _ = dtls.handle_datagram(now, &d);
        }
        self.dtls = Some(dtls);
    }

    /// Opens the channels created before the data channel layer existed.
    fn open_pending(&mut self, now: Instant) -> Result<(), Error> {
        let Some(dc) = &mut self.data else {
            return Ok(());
        };
        for (id, entry) in self.channels.iter_mut().filter(|(_, e)| e.pending_open) {
            entry.pending_open = false;
            let stream = dc.open(now, entry.options.clone())?;
            entry.stream = Some(stream);
            if let Some(t) = entry.pending_threshold.take() {
                dc.set_buffered_amount_low_threshold(stream, t);
            }
            self.streams.insert(stream, *id);
        }
        Ok(())
    }

    fn finish_channel(&mut self, id: ChannelId) {
        if let Some(entry) = self.channels.remove(&id) {
            if let Some(stream) = entry.stream {
                self.streams.remove(&stream);
            }
            self.counters.data_channels_closed += 1;
            self.counters
                .closed_channels
                .push(crate::stats::ClosedChannel {
                    id,
                    label: entry.label,
                    protocol: entry.options.protocol,
                    stream: entry.stream,
                    messages_sent: entry.messages_sent,
                    bytes_sent: entry.bytes_sent,
                    messages_received: entry.messages_received,
                    bytes_received: entry.bytes_received,
                });
            if self.counters.closed_channels.len() > 64 {
                self.counters.closed_channels.remove(0);
            }
            self.events.push_back(Event::ChannelClosed(id));
        }
    }

    /// Moves everything along: the layers' events, SCTP → DTLS → ICE → datagrams.
    fn pump(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        for _ in 0..64 {
            let mut progress = false;
            while let Some(e) = self.agent.as_mut().and_then(Agent::poll_event) {
                progress = true;
                self.on_ice_event(now, e);
            }
            while let Some(e) = self
                .dtls
                .as_mut()
                .and_then(rtc_dtls::Connection::poll_event)
            {
                progress = true;
                self.on_dtls_event(now, e);
            }
            while let Some(e) = self.data.as_mut().and_then(DataChannels::poll_event) {
                progress = true;
                self.on_channel_event(e);
            }
            while let Some(e) = self.media.events.pop_front() {
                progress = true;
                self.events.push_back(match e {
                    MediaEvent::Frame(transceiver, frame) => {
                        Event::MediaFrame { transceiver, frame }
                    }
                    MediaEvent::KeyframeRequest(id) => Event::KeyframeRequest(id),
                });
            }
            progress |= self.flush_sctp(now);
            progress |= self.flush_dtls(now);
            progress |= self.flush_media(now);
            while let Some(t) = self.agent.as_mut().and_then(Agent::poll_transmit) {
                self.push_transmit(t);
            }
            if !progress {
                break;
            }
        }
        self.update_connection_state();
    }

    fn push_transmit(&mut self, t: Transmit) {
        self.counters.packets_sent += 1;
        self.counters.bytes_sent += t.contents.len() as u64;
        if self.peers.len() < 256 {
            self.peers.insert(t.destination);
        }
        self.transmits.push_back(t);
    }

    /// SCTP packets into DTLS records. True when something moved.
    fn flush_sctp(&mut self, now: Instant) -> bool {
        let (Some(dc), Some(dtls)) = (&mut self.data, &mut self.dtls) else {
            return false;
        };
        if !dtls.is_connected() {
            return false;
        }
        let mut buf = [0u8; SCTP_BUF];
        let mut moved = false;
        while let Some(n) = dc.poll_transmit(now, &mut buf) {
            moved = true;
            if dtls.send(&buf[..n]).is_err() {
                break;
            }
        }
        moved
    }

    /// DTLS records onto the selected pair. True when something moved.
    fn flush_dtls(&mut self, now: Instant) -> bool {
        let (Some(dtls), Some(agent)) = (&mut self.dtls, &mut self.agent) else {
            return false;
        };
        if agent.selected_pair().is_none() {
            return false;
        }
        let mut out = Vec::new();
        while let Some(d) = dtls.poll_transmit() {
            if let Some(t) = agent.send_data(now, &d) {
                out.push(t);
            }
        }
        let moved = !out.is_empty();
        for t in out {
            self.push_transmit(t);
        }
        moved
    }

    fn on_ice_event(&mut self, now: Instant, e: rtc_ice::Event) {
        match e {
            rtc_ice::Event::StateChanged(s) => {
                let state = match s {
                    IceState::New => IceConnectionState::New,
                    IceState::Checking => IceConnectionState::Checking,
                    IceState::Connected => IceConnectionState::Connected,
                    _ => IceConnectionState::Failed,
                };
                if state != self.ice_state {
                    self.ice_state = state;
                    self.events
                        .push_back(Event::IceConnectionStateChange(state));
                }
            }
            rtc_ice::Event::SelectedPair { remote, .. } => {
                self.peers.insert(remote);
                if self.dtls.is_none() && self.dtls_role == Some(Role::Client) {
                    self.make_dtls(now, Role::Client);
                }
            }
            rtc_ice::Event::LocalCandidate(c) => self.signal_candidate(&c),
            rtc_ice::Event::GatheringComplete => self.gathering_complete(),
            rtc_ice::Event::RegisterHostname { name, address } => {
                self.events
                    .push_back(Event::RegisterHostname { name, address });
            }
            rtc_ice::Event::ResolveHostname(name) => {
                self.events.push_back(Event::ResolveHostname(name));
            }
            _ => {}
        }
    }

    fn on_dtls_event(&mut self, now: Instant, e: rtc_dtls::Event) {
        match e {
            rtc_dtls::Event::Connected => {
                // RFC 5764 §4.2: SRTP keys from the exporter, when use_srtp was agreed.
                if let Some(material) = self
                    .dtls
                    .as_ref()
                    .and_then(|d| d.srtp_keying_material().ok())
                {
                    let client = self.dtls_role == Some(Role::Client);
                    self.media
                        .start_srtp(&material, client, self.config.provider);
                }
                // The DTLS client starts the association; the server waits for its INIT
                // (both may, RFC 8841 §9.3; one INIT avoids a collision with stacks that do
                // not handle one).
                if self.dtls_role == Some(Role::Client) {
                    if let Some(dc) = &mut self.data {
                        dc.connect(now);
                    }
                }
            }
            rtc_dtls::Event::ApplicationData(packet) => {
                if let Some(dc) = &mut self.data {
                    dc.handle_packet(now, &packet);
                } else {
                    self.counters.dropped += 1;
                }
            }
            rtc_dtls::Event::Closed => {
                self.dtls_closed = true;
                let ids: Vec<ChannelId> = self.channels.keys().copied().collect();
                for id in ids {
                    self.finish_channel(id);
                }
                self.data = None;
            }
            rtc_dtls::Event::Failed(_) => self.dtls_failed = true,
        }
    }

    fn on_channel_event(&mut self, e: rtc_datachannel::Event) {
        match e {
            rtc_datachannel::Event::ChannelOpen {
                id: stream,
                label,
                protocol,
                remote,
            } => {
                let id = if remote {
                    let id = ChannelId(self.next_channel);
                    self.next_channel += 1;
                    let (channel_type, priority) = self
                        .data
                        .as_ref()
                        .and_then(|dc| dc.info(stream))
                        .map_or((ChannelType::RELIABLE, Priority::default()), |i| (i.2, i.3));
                    self.channels.insert(
                        id,
                        ChannelEntry {
                            stream: Some(stream),
                            label: label.clone(),
                            options: ChannelOptions {
                                label: label.clone(),
                                protocol: protocol.clone(),
                                channel_type,
                                priority,
                                negotiated: None,
                            },
                            state: DataChannelState::Open,
                            pending_open: false,
                            pending_threshold: None,
                            messages_sent: 0,
                            bytes_sent: 0,
                            messages_received: 0,
                            bytes_received: 0,
                        },
                    );
                    self.streams.insert(stream, id);
                    self.counters.data_channels_opened += 1;
                    self.events.push_back(Event::DataChannel {
                        id,
                        label,
                        protocol,
                    });
                    id
                } else {
                    let Some(&id) = self.streams.get(&stream) else {
                        return;
                    };
                    if let Some(e) = self.channels.get_mut(&id) {
                        e.state = DataChannelState::Open;
                    }
                    id
                };
                self.events.push_back(Event::ChannelOpen(id));
            }
            rtc_datachannel::Event::Message {
                id: stream,
                binary,
                data,
            } => {
                let Some(&id) = self.streams.get(&stream) else {
                    return;
                };
                if let Some(e) = self.channels.get_mut(&id) {
                    e.messages_received += 1;
                    e.bytes_received += data.len() as u64;
                }
                self.events
                    .push_back(Event::ChannelMessage { id, binary, data });
            }
            rtc_datachannel::Event::BufferedAmountLow(stream) => {
                if let Some(&id) = self.streams.get(&stream) {
                    self.events.push_back(Event::BufferedAmountLow(id));
                }
            }
            rtc_datachannel::Event::ChannelClosed(stream) => {
                if let Some(&id) = self.streams.get(&stream) {
                    self.finish_channel(id);
                }
            }
            rtc_datachannel::Event::Closed(_) => {
                let ids: Vec<ChannelId> = self
                    .channels
                    .iter()
                    .filter(|(_, e)| e.stream.is_some())
                    .map(|(id, _)| *id)
                    .collect();
                for id in ids {
                    self.finish_channel(id);
                }
            }
            _ => {}
        }
    }

    fn update_connection_state(&mut self) {
        let dtls_connected = self
            .dtls
            .as_ref()
            .is_some_and(rtc_dtls::Connection::is_connected);
        let state = if self.dtls_closed {
            PeerConnectionState::Closed
        } else if self.ice_state == IceConnectionState::Failed || self.dtls_failed {
            PeerConnectionState::Failed
        } else if self.ice_state == IceConnectionState::Connected && dtls_connected {
            PeerConnectionState::Connected
        } else if self.ice_state != IceConnectionState::New || self.dtls.is_some() {
            PeerConnectionState::Connecting
        } else {
            PeerConnectionState::New
        };
        if state != self.connection_state {
            self.connection_state = state;
            self.events.push_back(Event::ConnectionStateChange(state));
        }
    }

    pub(crate) fn local_certificate_der(&self) -> &[u8] {
        self.dtls_config.certificate().der()
    }

    pub(crate) fn stats_parts(&self) -> crate::stats::Parts<'_> {
        crate::stats::Parts {
            agent: self.agent.as_ref(),
            dtls: self.dtls.as_ref(),
            data: self.data.as_ref(),
            fingerprint: &self.fingerprint,
            channels: self
                .channels
                .iter()
                .map(|(id, e)| crate::stats::ChannelStatsInput {
                    id: *id,
                    label: &e.label,
                    protocol: &e.options.protocol,
                    stream: e.stream,
                    state: e.state,
                    messages_sent: e.messages_sent,
                    bytes_sent: e.bytes_sent,
                    messages_received: e.messages_received,
                    bytes_received: e.bytes_received,
                })
                .collect(),
            counters: &self.counters,
            ice_state: self.ice_state,
            connection_state: self.connection_state,
            dtls_role: self.dtls_role,
            controlling: self
                .agent
                .as_ref()
                .map_or(self.controlling, Agent::is_controlling),
            ufrag: &self.credentials.ufrag,
        }
    }
}

/// Whether a signalled candidate is one this peer connection can use: UDP (the driver owns
/// UDP sockets only; ICE-TCP stays with rtc-ice users who drive TCP themselves). Lines that
/// do not parse are left to the agent, which refuses them.
fn usable_candidate(line: &str) -> bool {
    let line = line.strip_prefix("a=").unwrap_or(line);
    rtc_sdp::attributes::Candidate::parse_init(line).map_or(true, |c| !c.is_tcp())
}

fn next_mid(sections: &[Section]) -> String {
    (0..)
        .map(|i: u32| i.to_string())
        .find(|m| !sections.iter().any(|s| &s.mid == m))
        .unwrap_or_default()
}

fn kind_name(kind: SdpType) -> &'static str {
    match kind {
        SdpType::Offer => "offer",
        SdpType::Answer => "answer",
        SdpType::Pranswer => "pranswer",
        SdpType::Rollback => "rollback",
    }
}
