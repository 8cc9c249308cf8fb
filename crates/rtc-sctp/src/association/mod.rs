//! The SCTP association, sans-IO (RFC 9260 as WebRTC uses it over DTLS, RFC 8261): one
//! association, no IP addresses, ports from the SDP. The caller feeds it the packets DTLS
//! decrypted ([`Association::handle_packet`]) and the time ([`Association::handle_timeout`]),
//! takes packets to encrypt ([`Association::poll_transmit`]) and events
//! ([`Association::poll_event`]).

mod config;
mod cookie;
mod ranges;
mod recv;
mod send;

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;

pub use config::Config;
use cookie::{COOKIE_LEN, CookieError, CookieParams};
use recv::{DataVerdict, RecvSide};
use send::SendSide;

use crate::{
    Abort, ChecksumPolicy, Chunk, ChunkType, CookieEcho, EDMID_DTLS, ErrorCause, ErrorCauses,
    ForwardTsn, ForwardTsnStream, GapAckBlock, Heartbeat, Init, OperationError,
    OutgoingSsnResetRequest, Packet, PacketWriter, Param, Params, ReConfig, ReconfigResponse,
    ReconfigResult, Sack, Shutdown, ShutdownComplete, WireList,
};

/// The chunk types we support beyond RFC 9260, announced in Supported Extensions (RFC 5061
/// §4.2.7): RE-CONFIG (RFC 6525) and FORWARD TSN (RFC 3758).
const SUPPORTED_EXTENSIONS: [u8; 2] = [ChunkType::RE_CONFIG.0, ChunkType::FORWARD_TSN.0];
/// Gap ack blocks reported in one SACK at most.
const MAX_GAP_BLOCKS: usize = 64;
/// Received DATA packets after which a SACK goes at once (RFC 9260 §6.2: every second).
const SACK_EVERY: u32 = 2;

/// Association states (RFC 9260 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// No association: waiting for an INIT, or [`Association::connect`].
    Closed,
    /// INIT sent.
    CookieWait,
    /// COOKIE ECHO sent.
    CookieEchoed,
    /// Up.
    Established,
    /// [`Association::shutdown`] called; sending what is queued before SHUTDOWN.
    ShutdownPending,
    /// SHUTDOWN sent.
    ShutdownSent,
    /// SHUTDOWN received; sending what is queued before SHUTDOWN ACK.
    ShutdownReceived,
    /// SHUTDOWN ACK sent.
    ShutdownAckSent,
    /// Over: closed, aborted or failed (see [`Event::Closed`]). Nothing more happens.
    Terminated,
}

/// How an outgoing message may be given up on (RFC 3758; RFC 8831 §6.1). Without the peer's
/// Forward-TSN support every message is reliable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Reliability {
    /// Retransmitted until acknowledged.
    #[default]
    Reliable,
    /// Abandoned after this many retransmissions.
    MaxRetransmits(u16),
    /// Abandoned when not acknowledged within this time of [`Association::send`].
    MaxLifetime(Duration),
}

/// Per-message options of [`Association::send`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SendOptions {
    /// Delivered as soon as it arrives, not in stream order (the U bit).
    pub unordered: bool,
    /// Reliable or partially reliable.
    pub reliability: Reliability,
}

/// Why [`Association::send`] refused a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// The association is not established (or is shutting down).
    #[error("the association is not established")]
    NotEstablished,
    /// The stream is beyond the negotiated outbound streams.
    #[error("stream id beyond the negotiated outbound streams")]
    InvalidStream,
    /// Larger than the configured maximum message size.
    #[error("message of {len} bytes exceeds the maximum of {max}")]
    TooLarge {
        /// The message's length.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The send buffer is full: wait for [`Event::BufferedAmountLow`] or for data to be
    /// acknowledged.
    #[error("send buffer full")]
    BufferFull,
    /// The stream is being reset (its channel closes).
    #[error("the stream is being reset")]
    StreamResetting,
}

/// Why [`Association::reset_streams`] refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ResetError {
    /// The association is not established.
    #[error("the association is not established")]
    NotEstablished,
    /// The peer did not announce RE-CONFIG support (RFC 6525).
    #[error("the peer does not support stream reconfiguration")]
    Unsupported,
}

/// A message received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Its stream.
    pub stream: u16,
    /// Payload Protocol Identifier.
    pub ppid: u32,
    /// Sent unordered.
    pub unordered: bool,
    /// The message.
    pub data: Bytes,
}

/// Why the association ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// SHUTDOWN completed.
    Shutdown,
    /// We aborted ([`Association::abort`]).
    LocalAbort,
    /// The peer sent ABORT; the error causes it gave, as text.
    PeerAbort(String),
    /// The handshake did not complete within Max.Init.Retransmits.
    HandshakeTimeout,
    /// Association.Max.Retrans consecutive timeouts: the peer is unreachable.
    PeerUnreachable,
    /// The peer broke the protocol (we sent ABORT); what it did.
    ProtocolViolation(&'static str),
}

/// Something the application should know.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The association is up: messages may be sent.
    Connected,
    /// A message arrived.
    Message(Message),
    /// The peer reset these incoming streams of ours (RFC 6525; a data channel closed by
    /// the peer). Empty means all.
    IncomingStreamsReset(Vec<u16>),
    /// Our reset of these outgoing streams was performed by the peer.
    OutgoingStreamsReset(Vec<u16>),
    /// The peer refused to reset these streams.
    StreamResetFailed(Vec<u16>),
    /// The stream's queued bytes went down to its low threshold
    /// ([`Association::set_buffered_amount_low_threshold`]).
    BufferedAmountLow(u16),
    /// The association ended.
    Closed(CloseReason),
}

/// Counters and congestion state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// Packets handled.
    pub packets_received: u64,
    /// Packets produced.
    pub packets_sent: u64,
    /// Packets dropped: malformed, bad checksum, wrong ports or verification tag.
    pub packets_dropped: u64,
    /// DATA chunks received twice.
    pub duplicate_tsns: u64,
    /// T3-rtx expiries.
    pub t3_expiries: u64,
    /// Fast retransmit events.
    pub fast_retransmits: u64,
    /// Congestion window, bytes.
    pub cwnd: usize,
    /// Bytes in flight.
    pub flight: usize,
    /// The peer's receiver window as last computed.
    pub peer_rwnd: usize,
    /// Current RTO.
    pub rto: Duration,
    /// Smoothed RTT, once measured.
    pub srtt: Option<Duration>,
    /// Bytes received and not yet read by the application.
    pub receive_buffered: usize,
}

/// An outgoing stream reset request in flight (RFC 6525 §5.1.2).
#[derive(Debug)]
struct ResetRequest {
    sequence: u32,
    last_tsn: u32,
    streams: Vec<u16>,
}

/// One SCTP association: see the [crate documentation](crate) and docs/sctp.md.
pub struct Association {
    config: Arc<Config>,
    state: State,
    /// The peer's port: the configured one, or (configured 0) the source port of the INIT
    /// answered or taken.
    remote_port: u16,
    epoch: Instant,
    cookie_key: [u8; 32],
    my_tag: u32,
    peer_tag: u32,
    my_initial_tsn: u32,
    peer_forward_tsn: bool,
    peer_reconfig: bool,
    /// Both sides announced Zero Checksum Acceptable with the DTLS method (RFC 9653): our
    /// DATA/SACK packets go without CRC32c.
    zero_checksum: bool,
    send: SendSide,
    recv: RecvSide,
    events: VecDeque<Event>,
    /// Whole packets built ahead (handshake, shutdown, replies), sent before anything else.
    queued: VecDeque<Vec<u8>>,
    /// The COOKIE ECHO to (re)send in CookieEchoed.
    cookie_echo: Option<Vec<u8>>,
    t1: Option<Instant>,
    t1_count: u32,
    t2: Option<Instant>,
    t2_count: u32,
    error_count: u32,
    sack_now: bool,
    sack_deadline: Option<Instant>,
    data_packets_since_sack: u32,
    heartbeat_at: Option<Instant>,
    heartbeat_sent: Option<(u64, Instant)>,
    heartbeat_nonce: u64,
    last_data_sent: Instant,
    reset_queue: Vec<u16>,
    reset_request: Option<ResetRequest>,
    reconfig_timer: Option<Instant>,
    reconfig_send_due: bool,
    next_request_sequence: u32,
    peer_next_request_sequence: u32,
    last_reset_result: Option<(u32, ReconfigResult)>,
    reconfig_responses: Vec<ReconfigResponse>,
    invalid_streams: Vec<u16>,
    gaps: Vec<GapAckBlock>,
    dups: Vec<u32>,
    fwd_streams: Vec<ForwardTsnStream>,
    stats: Stats,
}

impl std::fmt::Debug for Association {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Association")
            .field("state", &self.state)
            .field("my_tag", &format_args!("{:#010x}", self.my_tag))
            .field("peer_tag", &format_args!("{:#010x}", self.peer_tag))
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

fn random_u32(config: &Config) -> u32 {
    let mut b = [0u8; 4];
    // A provider whose random source fails cannot run any protocol here; the tags then
    // fall back to the time-independent constant below, which only weakens blind attacks.
    let _ = (config.provider.fill_random)(&mut b);
    u32::from_ne_bytes(b)
}

impl Association {
    /// A new association in [`State::Closed`]: it answers an INIT, or starts one with
    /// [`Association::connect`]. WebRTC peers usually both connect; the collision is resolved
    /// by RFC 9260 §5.2.1 and §5.2.4.
    pub fn new(config: Arc<Config>, now: Instant) -> Self {
        let mut cookie_key = [0u8; 32];
        let _ = (config.provider.fill_random)(&mut cookie_key);
        let mut my_tag = random_u32(&config);
        if my_tag == 0 {
            my_tag = 1;
        }
        let my_initial_tsn = random_u32(&config);
        let send = SendSide::new(
            my_initial_tsn,
            config.packet_size(),
            config.send_buffer,
            config.max_message_size,
            config.rto_initial,
            config.rto_min,
            config.rto_max,
        );
        let recv = RecvSide::new(config.receive_window as usize, config.max_message_size);
        Self {
            state: State::Closed,
            remote_port: config.remote_port,
            epoch: now,
            cookie_key,
            my_tag,
            peer_tag: 0,
            my_initial_tsn,
            peer_forward_tsn: false,
            peer_reconfig: false,
            zero_checksum: false,
            send,
            recv,
            events: VecDeque::new(),
            queued: VecDeque::new(),
            cookie_echo: None,
            t1: None,
            t1_count: 0,
            t2: None,
            t2_count: 0,
            error_count: 0,
            sack_now: false,
            sack_deadline: None,
            data_packets_since_sack: 0,
            heartbeat_at: None,
            heartbeat_sent: None,
            heartbeat_nonce: u64::from(random_u32(&config)),
            last_data_sent: now,
            reset_queue: Vec::new(),
            reset_request: None,
            reconfig_timer: None,
            reconfig_send_due: false,
            next_request_sequence: my_initial_tsn,
            peer_next_request_sequence: 0,
            last_reset_result: None,
            reconfig_responses: Vec::new(),
            invalid_streams: Vec::new(),
            gaps: Vec::new(),
            dups: Vec::new(),
            fwd_streams: Vec::new(),
            stats: Stats::default(),
            config,
        }
    }

    /// The state.
    pub fn state(&self) -> State {
        self.state
    }

    /// True in [`State::Established`].
    pub fn is_established(&self) -> bool {
        self.state == State::Established
    }

    /// Counters and congestion state.
    pub fn stats(&self) -> Stats {
        Stats {
            cwnd: self.send.cwnd,
            flight: self.send.flight(),
            peer_rwnd: self.send.peer_rwnd(),
            rto: self.send.rto,
            srtt: self.send.srtt(),
            receive_buffered: self.recv.buffered(),
            ..self.stats.clone()
        }
    }

    /// Sends an INIT (RFC 9260 §5.1). Only from [`State::Closed`].
    pub fn connect(&mut self, now: Instant) {
        if self.state != State::Closed || self.remote_port == 0 {
            return;
        }
        self.state = State::CookieWait;
        self.t1_count = 0;
        self.send_init(now);
    }

    fn init_chunk<'a>(&self, params: &'a [Param<'a>]) -> Init<'a> {
        Init {
            initiate_tag: self.my_tag,
            a_rwnd: self.config.receive_window,
            outbound_streams: self.config.outbound_streams,
            inbound_streams: self.config.inbound_streams,
            initial_tsn: self.my_initial_tsn,
            params: Params::new(params),
        }
    }

    fn send_init(&mut self, now: Instant) {
        let mut params = vec![
            Param::SupportedExtensions(&SUPPORTED_EXTENSIONS),
            Param::ForwardTsnSupported,
        ];
        if self.config.zero_checksum {
            params.push(Param::ZeroChecksumAcceptable { edmid: EDMID_DTLS });
        }
        let chunk = Chunk::Init(self.init_chunk(&params));
        self.queue_packet(0, &[chunk]);
        self.t1 = Some(now + self.t1_timeout());
    }

    fn t1_timeout(&self) -> Duration {
        let backoff = self.config.rto_initial * 2u32.saturating_pow(self.t1_count.min(16));
        backoff.min(self.config.rto_max)
    }

    /// Builds a packet of control chunks now and queues it.
    fn queue_packet(&mut self, tag: u32, chunks: &[Chunk<'_>]) {
        let mut buf = vec![0u8; self.config.packet_size().max(COOKIE_LEN + 512)];
        let Ok(mut w) = PacketWriter::new(
            &mut buf,
            usize::MAX,
            self.config.local_port,
            self.remote_port,
            tag,
        ) else {
            return;
        };
        for chunk in chunks {
            if w.push(chunk).is_err() {
                break;
            }
        }
        if w.is_empty() {
            return;
        }
        let len = w.finish().len();
        buf.truncate(len);
        self.queued.push_back(buf);
    }

    /// Queues a message (RFC 9260 §6.1). It is fragmented to the packet size and sent as
    /// the congestion and receiver windows allow.
    pub fn send(
        &mut self,
        now: Instant,
        stream: u16,
        ppid: u32,
        data: impl Into<Bytes>,
        options: &SendOptions,
    ) -> Result<(), SendError> {
        if self.state != State::Established {
            return Err(SendError::NotEstablished);
        }
        self.send.enqueue(now, stream, ppid, data.into(), options)
    }

    /// Bytes queued on `stream` and not yet sent: a data channel's bufferedAmount.
    pub fn buffered_amount(&self, stream: u16) -> usize {
        self.send.buffered_amount(stream)
    }

    /// Bytes handed to [`Association::send`] and not yet acknowledged, all streams.
    pub fn buffered_total(&self) -> usize {
        self.send.buffered_total()
    }

    /// When `stream`'s bufferedAmount falls to `threshold` or below,
    /// [`Event::BufferedAmountLow`] fires.
    pub fn set_buffered_amount_low_threshold(&mut self, stream: u16, threshold: usize) {
        self.send.set_low_threshold(stream, threshold);
    }

    /// The low threshold of `stream`.
    pub fn buffered_amount_low_threshold(&self, stream: u16) -> usize {
        self.send.low_threshold(stream)
    }

    /// Resets outgoing streams (RFC 6525 §5.1.2; how a data channel closes, RFC 8831 §6.7):
    /// no new message is accepted on them; once what is queued has its TSNs, an Outgoing SSN
    /// Reset Request goes; [`Event::OutgoingStreamsReset`] follows the peer's answer.
    pub fn reset_streams(&mut self, streams: &[u16]) -> Result<(), ResetError> {
        if self.state != State::Established {
            return Err(ResetError::NotEstablished);
        }
        if !self.peer_reconfig {
            return Err(ResetError::Unsupported);
        }
        self.send.mark_resetting(streams);
        for &s in streams {
            if !self.reset_queue.contains(&s) {
                self.reset_queue.push(s);
            }
        }
        Ok(())
    }

    /// Starts a graceful shutdown (RFC 9260 §9.2): what is queued is still delivered.
    pub fn shutdown(&mut self, now: Instant) {
        match self.state {
            State::Established => {
                self.state = State::ShutdownPending;
                self.maybe_send_shutdown(now);
            }
            State::Closed | State::CookieWait | State::CookieEchoed => {
                self.terminate(CloseReason::Shutdown);
            }
            _ => {}
        }
    }

    /// Aborts (RFC 9260 §9.1): an ABORT with a User-Initiated Abort cause goes, the
    /// association ends at once.
    pub fn abort(&mut self, reason: &[u8]) {
        if self.state == State::Terminated {
            return;
        }
        if self.peer_tag != 0 {
            let causes = [ErrorCause::UserInitiatedAbort(reason)];
            let chunk = Chunk::Abort(Abort {
                reflected_tag: false,
                causes: ErrorCauses::new(&causes),
            });
            self.queue_packet(self.peer_tag, &[chunk]);
        }
        self.terminate(CloseReason::LocalAbort);
    }

    fn protocol_violation(&mut self, what: &'static str) {
        if self.peer_tag != 0 {
            let causes = [ErrorCause::ProtocolViolation(what.as_bytes())];
            let chunk = Chunk::Abort(Abort {
                reflected_tag: false,
                causes: ErrorCauses::new(&causes),
            });
            self.queue_packet(self.peer_tag, &[chunk]);
        }
        self.terminate(CloseReason::ProtocolViolation(what));
    }

    fn terminate(&mut self, reason: CloseReason) {
        if self.state == State::Terminated {
            return;
        }
        self.state = State::Terminated;
        self.t1 = None;
        self.t2 = None;
        self.send.t3 = None;
        self.sack_deadline = None;
        self.heartbeat_at = None;
        self.reconfig_timer = None;
        self.events.push_back(Event::Closed(reason));
    }

    /// The next event. Messages come in the order they became deliverable.
    pub fn poll_event(&mut self) -> Option<Event> {
        if matches!(self.events.front(), Some(Event::Connected)) {
            return self.events.pop_front();
        }
        if let Some(message) = self.recv.pop_ready() {
            if self.recv.window_update_due() {
                self.sack_now = true;
            }
            return Some(Event::Message(message));
        }
        if let Some(stream) = self.send.low_events.pop() {
            return Some(Event::BufferedAmountLow(stream));
        }
        self.events.pop_front()
    }

    /// When [`Association::handle_timeout`] is next due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        [
            self.t1,
            self.t2,
            self.send.t3,
            self.sack_deadline,
            self.heartbeat_at,
            self.reconfig_timer,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    /// Runs the timers due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.t1.is_some_and(|t| t <= now) {
            self.t1_count += 1;
            if self.t1_count > self.config.max_init_retransmits {
                self.terminate(CloseReason::HandshakeTimeout);
                return;
            }
            match self.state {
                State::CookieWait => self.send_init(now),
                State::CookieEchoed => {
                    if let Some(packet) = self.cookie_echo.clone() {
                        self.queued.push_back(packet);
                    }
                    self.t1 = Some(now + self.t1_timeout());
                }
                _ => self.t1 = None,
            }
        }
        if self.t2.is_some_and(|t| t <= now) {
            self.t2_count += 1;
            if self.t2_count > self.config.max_retransmissions {
                self.terminate(CloseReason::PeerUnreachable);
                return;
            }
            match self.state {
                State::ShutdownSent => self.send_shutdown(now),
                State::ShutdownAckSent => self.send_shutdown_ack(now),
                _ => self.t2 = None,
            }
        }
        if self.send.t3.is_some_and(|t| t <= now) {
            self.stats.t3_expiries += 1;
            self.send.on_t3_expired(now);
            if self.count_error() {
                return;
            }
        }
        if self.sack_deadline.is_some_and(|t| t <= now) {
            self.sack_deadline = None;
            self.sack_now = true;
        }
        if self.heartbeat_at.is_some_and(|t| t <= now) {
            // The path was idle for a heartbeat interval: no need to keep a receive arena.
            self.recv.release_idle();
            if self.heartbeat_sent.take().is_some() && self.count_error() {
                return;
            }
            self.send_heartbeat(now);
        }
        if self.reconfig_timer.is_some_and(|t| t <= now) {
            self.reconfig_timer = None;
            if self.reset_request.is_some() {
                if self.count_error() {
                    return;
                }
                self.reconfig_send_due = true;
            }
        }
    }

    /// Counts a timeout against Association.Max.Retrans; true when that ended it.
    fn count_error(&mut self) -> bool {
        self.error_count += 1;
        if self.error_count > self.config.max_retransmissions {
            self.terminate(CloseReason::PeerUnreachable);
            return true;
        }
        false
    }

    fn schedule_heartbeat(&mut self, now: Instant) {
        self.heartbeat_at = self
            .config
            .heartbeat_interval
            .map(|i| now + i + self.send.rto);
    }

    fn send_heartbeat(&mut self, now: Instant) {
        if !matches!(self.state, State::Established | State::ShutdownPending) {
            self.heartbeat_at = None;
            return;
        }
        self.heartbeat_nonce = self.heartbeat_nonce.wrapping_add(1);
        let mut info = [0u8; 16];
        let sent = now.saturating_duration_since(self.epoch).as_micros() as u64;
        info[..8].copy_from_slice(&self.heartbeat_nonce.to_be_bytes());
        info[8..].copy_from_slice(&sent.to_be_bytes());
        self.queue_packet(
            self.peer_tag,
            &[Chunk::Heartbeat(Heartbeat { info: &info })],
        );
        self.heartbeat_sent = Some((self.heartbeat_nonce, now));
        self.schedule_heartbeat(now);
    }

    /// Handles one SCTP packet (what DTLS decrypted). Malformed packets and packets not for
    /// this association are dropped (counted in [`Stats::packets_dropped`]).
    pub fn handle_packet(&mut self, now: Instant, bytes: &[u8]) {
        if self.state == State::Terminated {
            return;
        }
        // RFC 9653 §5.3: having announced it, accept a zero checksum as well as a right one.
        let policy = if self.config.zero_checksum {
            ChecksumPolicy::AcceptZero
        } else {
            ChecksumPolicy::Verify
        };
        let Ok(packet) = Packet::parse_with(bytes, policy) else {
            self.stats.packets_dropped += 1;
            return;
        };
        let header = packet.header();
        if header.destination_port != self.config.local_port
            || (self.remote_port != 0 && header.source_port != self.remote_port)
        {
            self.stats.packets_dropped += 1;
            return;
        }
        self.stats.packets_received += 1;
        let mut chunks = packet.chunks().peekable();
        let Some(first) = chunks.peek().copied() else {
            self.stats.packets_dropped += 1;
            return;
        };
        let tag = header.verification_tag;
        // RFC 9260 §8.5, §8.5.1: which tag each packet must carry.
        match first.chunk_type() {
            ChunkType::INIT => {
                if tag != 0 {
                    self.stats.packets_dropped += 1;
                    return;
                }
                if self.config.remote_port == 0 && self.state == State::Closed {
                    // Any port may connect (a server without SDP): answer this one.
                    self.remote_port = header.source_port;
                }
                if let Ok(Chunk::Init(init)) = first.decode() {
                    self.on_init(now, &init);
                } else {
                    self.stats.packets_dropped += 1;
                }
                // INIT is alone in its packet (§6.10); anything bundled is ignored.
                return;
            }
            ChunkType::ABORT | ChunkType::SHUTDOWN_COMPLETE => {
                let reflected = first.flags() & 1 != 0;
                let ok = if reflected {
                    tag == self.peer_tag && self.peer_tag != 0
                } else {
                    tag == self.my_tag
                };
                if !ok {
                    self.stats.packets_dropped += 1;
                    return;
                }
            }
            ChunkType::COOKIE_ECHO => {} // checked against the cookie
            _ => {
                if tag != self.my_tag {
                    self.stats.packets_dropped += 1;
                    return;
                }
            }
        }
        let mut got_data = false;
        let mut immediate = false;
        for raw in chunks {
            let chunk = match raw.decode() {
                Ok(c) => c,
                Err(_) => {
                    // A malformed chunk: the rest of the packet is not trusted either.
                    self.stats.packets_dropped += 1;
                    break;
                }
            };
            match chunk {
                Chunk::Data(data) => {
                    if !matches!(
                        self.state,
                        State::Established | State::ShutdownPending | State::ShutdownSent
                    ) {
                        continue;
                    }
                    got_data = true;
                    match self.recv.on_data(&data) {
                        DataVerdict::Accepted => {}
                        DataVerdict::Duplicate => {
                            self.stats.duplicate_tsns += 1;
                            immediate = true;
                        }
                        DataVerdict::Dropped => immediate = true,
                        DataVerdict::InvalidStream => {
                            if self.invalid_streams.len() < 16 {
                                self.invalid_streams.push(data.stream_id);
                            }
                            immediate = true;
                        }
                        DataVerdict::NoUserData => {
                            let causes = [ErrorCause::NoUserData { tsn: data.tsn }];
                            let chunk = Chunk::Abort(Abort {
                                reflected_tag: false,
                                causes: ErrorCauses::new(&causes),
                            });
                            self.queue_packet(self.peer_tag, &[chunk]);
                            self.terminate(CloseReason::ProtocolViolation(
                                "DATA without user data",
                            ));
                            return;
                        }
                    }
                }
                Chunk::Sack(sack) => self.on_sack(now, &sack),
                Chunk::Heartbeat(hb) => {
                    if self.peer_tag != 0 {
                        self.queue_packet(self.peer_tag, &[Chunk::HeartbeatAck(hb)]);
                    }
                }
                Chunk::HeartbeatAck(hb) => self.on_heartbeat_ack(now, hb.info),
                Chunk::InitAck(init) => self.on_init_ack(now, &init),
                Chunk::CookieEcho(echo) => self.on_cookie_echo(now, tag, echo.cookie),
                Chunk::CookieAck => {
                    if self.state == State::CookieEchoed {
                        self.t1 = None;
                        self.cookie_echo = None;
                        self.establish(now);
                    }
                }
                Chunk::Shutdown(shutdown) => self.on_shutdown(now, shutdown),
                Chunk::ShutdownAck => self.on_shutdown_ack(),
                Chunk::ShutdownComplete(_) => {
                    if self.state == State::ShutdownAckSent {
                        self.terminate(CloseReason::Shutdown);
                    }
                    return;
                }
                Chunk::Abort(abort) => {
                    let mut text = String::new();
                    for cause in abort.causes.iter().flatten() {
                        if !text.is_empty() {
                            text.push_str("; ");
                        }
                        text.push_str(&format!("{cause:?}"));
                    }
                    self.terminate(CloseReason::PeerAbort(text));
                    return;
                }
                Chunk::Error(err) => self.on_error(err),
                Chunk::ForwardTsn(fwd) => {
                    if self.state == State::Established
                        || self.state == State::ShutdownPending
                        || self.state == State::ShutdownSent
                    {
                        self.recv.on_forward_tsn(
                            fwd.new_cumulative_tsn,
                            fwd.streams.iter().map(|s| (s.stream_id, s.ssn)),
                        );
                        got_data = true;
                        immediate = true;
                    }
                }
                Chunk::ReConfig(rc) => self.on_reconfig(now, &rc),
                Chunk::Pad(_) => {}
                Chunk::IData(_) | Chunk::IForwardTsn(_) => {
                    // Not announced, so not to be sent to us (RFC 8260 §2.2).
                    self.protocol_violation("I-DATA without negotiation");
                    return;
                }
                Chunk::Init(_) => {
                    // An INIT bundled after other chunks (§6.10 forbids it).
                    self.stats.packets_dropped += 1;
                    break;
                }
                Chunk::Unknown(unknown) => {
                    let action = unknown.action();
                    if action.reports() && self.peer_tag != 0 {
                        let causes = [ErrorCause::UnrecognizedChunkType(raw.as_bytes())];
                        self.queue_packet(
                            self.peer_tag,
                            &[Chunk::Error(OperationError {
                                causes: ErrorCauses::new(&causes),
                            })],
                        );
                    }
                    if action.stops() {
                        break;
                    }
                }
            }
            if self.state == State::Terminated {
                return;
            }
        }
        if got_data {
            for done in self.recv.perform_deferred() {
                self.finish_incoming_reset(done.request_sequence, done.streams);
            }
            self.data_packets_since_sack += 1;
            // RFC 9260 §6.2 and §6.7: at once on gaps, duplicates, every second packet, or
            // while shutting down; otherwise within the delayed-ack time.
            if immediate
                || self.recv.has_gaps_or_duplicates()
                || self.data_packets_since_sack >= SACK_EVERY
                || self.state == State::ShutdownSent
            {
                self.sack_now = true;
            } else if self.sack_deadline.is_none() {
                self.sack_deadline = Some(now + self.config.delayed_ack);
            }
        }
        if self.state == State::ShutdownReceived {
            self.maybe_send_shutdown_ack(now);
        }
    }

    fn on_init(&mut self, now: Instant, init: &Init<'_>) {
        // RFC 9260 §3.3.2: a zero tag or zero stream counts make the INIT invalid.
        if init.initiate_tag == 0 || init.outbound_streams == 0 || init.inbound_streams == 0 {
            self.stats.packets_dropped += 1;
            return;
        }
        match self.state {
            State::Closed | State::CookieWait | State::CookieEchoed => {}
            // §5.2.2 would answer a restart; this association does not restart (WebRTC
            // closes the peer connection instead), so the INIT is ignored and the peer's
            // handshake times out.
            _ => return,
        }
        let mut peer_forward_tsn = false;
        let mut peer_reconfig = false;
        let mut peer_zero_checksum = false;
        let mut unrecognized: Vec<u8> = Vec::new();
        for param in init.params.iter() {
            match param {
                Ok(Param::ForwardTsnSupported) => peer_forward_tsn = true,
                Ok(Param::ZeroChecksumAcceptable { edmid }) => {
                    peer_zero_checksum = edmid == EDMID_DTLS;
                }
                Ok(Param::SupportedExtensions(types)) => {
                    peer_forward_tsn |= types.contains(&ChunkType::FORWARD_TSN.0);
                    peer_reconfig |= types.contains(&ChunkType::RE_CONFIG.0);
                }
                Ok(Param::Unknown { param_type, value }) => {
                    let action = param_type.unrecognized_action();
                    if action.reports() && unrecognized.len() < 256 {
                        unrecognized.extend_from_slice(&param_type.0.to_be_bytes());
                        unrecognized.extend_from_slice(&((value.len() + 4) as u16).to_be_bytes());
                        unrecognized.extend_from_slice(value);
                        while unrecognized.len() % 4 != 0 {
                            unrecognized.push(0);
                        }
                    }
                    if action.stops() {
                        break;
                    }
                }
                _ => {}
            }
        }
        let cookie = CookieParams {
            created: now.saturating_duration_since(self.epoch),
            my_tag: self.my_tag,
            peer_tag: init.initiate_tag,
            my_initial_tsn: self.my_initial_tsn,
            peer_initial_tsn: init.initial_tsn,
            peer_a_rwnd: init.a_rwnd,
            outbound_streams: self.config.outbound_streams.min(init.inbound_streams),
            inbound_streams: self.config.inbound_streams.min(init.outbound_streams),
            peer_forward_tsn,
            peer_reconfig,
            peer_zero_checksum,
        }
        .seal(self.config.provider, &self.cookie_key);
        let mut params = vec![
            Param::StateCookie(&cookie),
            Param::SupportedExtensions(&SUPPORTED_EXTENSIONS),
            Param::ForwardTsnSupported,
        ];
        if self.config.zero_checksum {
            params.push(Param::ZeroChecksumAcceptable { edmid: EDMID_DTLS });
        }
        if !unrecognized.is_empty() {
            let mut rest: &[u8] = &unrecognized;
            while rest.len() >= 4 {
                let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
                let padded = (len + 3) & !3;
                let end = padded.min(rest.len());
                params.push(Param::UnrecognizedParameter(&rest[..len.min(rest.len())]));
                rest = &rest[end..];
            }
        }
        let chunk = Chunk::InitAck(self.init_chunk(&params));
        // The INIT ACK carries the peer's tag (§8.5.1); our state does not change (§5.1.3).
        self.queue_packet(init.initiate_tag, &[chunk]);
    }

    fn on_init_ack(&mut self, now: Instant, init: &Init<'_>) {
        if self.state != State::CookieWait {
            return;
        }
        if init.initiate_tag == 0 || init.outbound_streams == 0 || init.inbound_streams == 0 {
            self.protocol_violation("invalid INIT ACK");
            return;
        }
        let Some(cookie) = init.state_cookie() else {
            // §5.1: a missing State Cookie is a Missing Mandatory Parameter.
            self.protocol_violation("INIT ACK without State Cookie");
            return;
        };
        let mut pr = false;
        let mut reconfig = false;
        let mut zero = false;
        for param in init.params.iter().flatten() {
            match param {
                Param::ForwardTsnSupported => pr = true,
                Param::ZeroChecksumAcceptable { edmid } => zero = edmid == EDMID_DTLS,
                Param::SupportedExtensions(types) => {
                    pr |= types.contains(&ChunkType::FORWARD_TSN.0);
                    reconfig |= types.contains(&ChunkType::RE_CONFIG.0);
                }
                _ => {}
            }
        }
        self.peer_tag = init.initiate_tag;
        self.peer_forward_tsn = pr;
        self.peer_reconfig = reconfig;
        self.zero_checksum = zero && self.config.zero_checksum;
        self.send.start(
            init.a_rwnd,
            self.config.outbound_streams.min(init.inbound_streams),
            pr,
        );
        self.recv.start(
            init.initial_tsn,
            self.config.inbound_streams.min(init.outbound_streams),
        );
        self.peer_next_request_sequence = init.initial_tsn;
        let echo = Chunk::CookieEcho(CookieEcho { cookie });
        let before = self.queued.len();
        self.queue_packet(self.peer_tag, &[echo]);
        self.cookie_echo = self.queued.get(before).cloned();
        self.state = State::CookieEchoed;
        self.t1_count = 0;
        self.t1 = Some(now + self.t1_timeout());
    }

    fn on_cookie_echo(&mut self, now: Instant, tag: u32, cookie: &[u8]) {
        let since = now.saturating_duration_since(self.epoch);
        let params = match CookieParams::open(
            cookie,
            self.config.provider,
            &self.cookie_key,
            since,
            self.config.cookie_lifetime,
        ) {
            Ok(p) => p,
            Err(CookieError::Stale(by)) => {
                // §5.2.6: a Stale Cookie error, tagged with the peer's tag from the cookie
                // is not known here without trusting it; the peer's T1 will retry.
                let _ = by;
                self.stats.packets_dropped += 1;
                return;
            }
            Err(CookieError::Invalid) => {
                self.stats.packets_dropped += 1;
                return;
            }
        };
        if tag != params.my_tag || params.my_tag != self.my_tag {
            self.stats.packets_dropped += 1;
            return;
        }
        match self.state {
            State::Closed | State::CookieWait | State::CookieEchoed => {
                // §5.1 D (and §5.2.4 for the collision cases, where both our INIT and
                // INIT ACK carried the same tag).
                self.peer_tag = params.peer_tag;
                self.peer_forward_tsn = params.peer_forward_tsn;
                self.peer_reconfig = params.peer_reconfig;
                self.zero_checksum = params.peer_zero_checksum && self.config.zero_checksum;
                self.send.start(
                    params.peer_a_rwnd,
                    params.outbound_streams,
                    params.peer_forward_tsn,
                );
                self.recv
                    .start(params.peer_initial_tsn, params.inbound_streams);
                self.peer_next_request_sequence = params.peer_initial_tsn;
                self.t1 = None;
                self.cookie_echo = None;
                self.queue_packet(self.peer_tag, &[Chunk::CookieAck]);
                self.establish(now);
            }
            State::Terminated => {}
            _ => {
                // §5.2.4 D: both tags match, an established association: COOKIE ACK again.
                if params.peer_tag == self.peer_tag {
                    self.queue_packet(self.peer_tag, &[Chunk::CookieAck]);
                }
            }
        }
    }

    fn establish(&mut self, now: Instant) {
        if self.state == State::Established {
            return;
        }
        self.state = State::Established;
        self.error_count = 0;
        self.last_data_sent = now;
        self.schedule_heartbeat(now);
        self.events.push_back(Event::Connected);
    }

    fn on_sack(&mut self, now: Instant, sack: &Sack<'_>) {
        if !matches!(
            self.state,
            State::Established
                | State::ShutdownPending
                | State::ShutdownSent
                | State::ShutdownReceived
        ) {
            return;
        }
        let outcome = self.send.on_sack(
            now,
            sack.cumulative_tsn_ack,
            sack.a_rwnd,
            sack.gap_ack_blocks.iter(),
        );
        if outcome.ignored {
            return;
        }
        if outcome.advanced {
            self.error_count = 0;
        }
        if outcome.fast_retransmit {
            self.stats.fast_retransmits += 1;
        }
        self.maybe_send_shutdown(now);
    }

    fn on_heartbeat_ack(&mut self, now: Instant, info: &[u8]) {
        let Some((nonce, sent)) = self.heartbeat_sent else {
            return;
        };
        if info.len() != 16 || info[..8] != nonce.to_be_bytes() {
            return;
        }
        self.heartbeat_sent = None;
        self.error_count = 0;
        self.send.heartbeat_rtt(now.saturating_duration_since(sent));
    }

    fn on_error(&mut self, err: OperationError<'_>) {
        for cause in err.causes.iter().flatten() {
            if let ErrorCause::UnrecognizedChunkType(chunk) = cause
                && chunk.first() == Some(&ChunkType::RE_CONFIG.0)
            {
                self.peer_reconfig = false;
            }
        }
    }

    fn on_shutdown(&mut self, now: Instant, shutdown: Shutdown) {
        match self.state {
            State::Established | State::ShutdownPending | State::ShutdownReceived => {
                // The Cumulative TSN Ack acknowledges like a SACK without gaps (§9.2).
                let rwnd = self.send.peer_rwnd() as u32;
                let outcome =
                    self.send
                        .on_sack(now, shutdown.cumulative_tsn_ack, rwnd, std::iter::empty());
                let _ = outcome;
                self.state = State::ShutdownReceived;
                self.maybe_send_shutdown_ack(now);
            }
            State::ShutdownSent => {
                // §9.2: both sides shut down at once.
                self.send_shutdown_ack(now);
            }
            _ => {}
        }
    }

    fn on_shutdown_ack(&mut self) {
        if matches!(self.state, State::ShutdownSent | State::ShutdownAckSent) {
            self.queue_packet(
                self.peer_tag,
                &[Chunk::ShutdownComplete(ShutdownComplete {
                    reflected_tag: false,
                })],
            );
            self.terminate(CloseReason::Shutdown);
        }
    }

    fn maybe_send_shutdown(&mut self, now: Instant) {
        if self.state == State::ShutdownPending && self.send.is_idle() {
            self.send_shutdown(now);
        }
    }

    fn send_shutdown(&mut self, now: Instant) {
        self.state = State::ShutdownSent;
        let chunk = Chunk::Shutdown(Shutdown {
            cumulative_tsn_ack: self.recv.cum_tsn as u32,
        });
        self.queue_packet(self.peer_tag, &[chunk]);
        self.send.t3 = None;
        self.t2 = Some(now + self.send.rto);
    }

    fn maybe_send_shutdown_ack(&mut self, now: Instant) {
        if self.state == State::ShutdownReceived && self.send.is_idle() {
            self.send_shutdown_ack(now);
        }
    }

    fn send_shutdown_ack(&mut self, now: Instant) {
        self.state = State::ShutdownAckSent;
        self.queue_packet(self.peer_tag, &[Chunk::ShutdownAck]);
        self.send.t3 = None;
        self.t2 = Some(now + self.send.rto);
    }

    fn on_reconfig(&mut self, now: Instant, rc: &ReConfig<'_>) {
        if !matches!(
            self.state,
            State::Established | State::ShutdownPending | State::ShutdownSent
        ) {
            return;
        }
        for param in rc.params.iter() {
            let Ok(param) = param else {
                break;
            };
            match param {
                Param::OutgoingSsnResetRequest(req) => self.on_outgoing_reset_request(&req),
                Param::ReconfigResponse(resp) => self.on_reconfig_response(now, resp),
                Param::IncomingSsnResetRequest(req) => {
                    self.answer_request(req.request_sequence, ReconfigResult::DENIED)
                }
                Param::SsnTsnResetRequest { request_sequence }
                | Param::AddOutgoingStreams(crate::AddStreamsRequest {
                    request_sequence, ..
                })
                | Param::AddIncomingStreams(crate::AddStreamsRequest {
                    request_sequence, ..
                }) => {
                    // Not used by WebRTC: refused (RFC 6525 §5.2.4 to §5.2.6 allow it).
                    self.answer_request(request_sequence, ReconfigResult::DENIED)
                }
                _ => {}
            }
        }
    }

    /// Answers a request other than an outgoing reset, keeping the sequence numbers right.
    fn answer_request(&mut self, sequence: u32, result: ReconfigResult) {
        let result = if sequence == self.peer_next_request_sequence {
            self.peer_next_request_sequence = sequence.wrapping_add(1);
            self.last_reset_result = Some((sequence, result));
            result
        } else if let Some((last, r)) = self.last_reset_result
            && last == sequence
        {
            r
        } else {
            ReconfigResult::ERROR_BAD_SEQUENCE_NUMBER
        };
        self.reconfig_responses.push(ReconfigResponse {
            response_sequence: sequence,
            result,
            next_tsns: None,
        });
    }

    fn on_outgoing_reset_request(&mut self, req: &OutgoingSsnResetRequest<'_>) {
        let sequence = req.request_sequence;
        if sequence == self.peer_next_request_sequence {
            self.peer_next_request_sequence = sequence.wrapping_add(1);
            let streams: Vec<u16> = req.streams.iter().collect();
            match self
                .recv
                .on_reset_request(sequence, req.last_assigned_tsn, streams)
            {
                Some(streams) => self.finish_incoming_reset(sequence, streams),
                None => self.reconfig_responses.push(ReconfigResponse {
                    response_sequence: sequence,
                    result: ReconfigResult::IN_PROGRESS,
                    next_tsns: None,
                }),
            }
        } else if sequence == self.peer_next_request_sequence.wrapping_sub(1) {
            // A retransmitted request (RFC 6525 §5.2.1).
            let result = if self.recv.is_deferred(sequence) {
                ReconfigResult::IN_PROGRESS
            } else {
                self.last_reset_result
                    .filter(|(s, _)| *s == sequence)
                    .map_or(ReconfigResult::SUCCESS_PERFORMED, |(_, r)| r)
            };
            self.reconfig_responses.push(ReconfigResponse {
                response_sequence: sequence,
                result,
                next_tsns: None,
            });
        } else {
            self.reconfig_responses.push(ReconfigResponse {
                response_sequence: sequence,
                result: ReconfigResult::ERROR_BAD_SEQUENCE_NUMBER,
                next_tsns: None,
            });
        }
    }

    fn finish_incoming_reset(&mut self, sequence: u32, streams: Vec<u16>) {
        self.last_reset_result = Some((sequence, ReconfigResult::SUCCESS_PERFORMED));
        self.reconfig_responses.push(ReconfigResponse {
            response_sequence: sequence,
            result: ReconfigResult::SUCCESS_PERFORMED,
            next_tsns: None,
        });
        self.events.push_back(Event::IncomingStreamsReset(streams));
    }

    fn on_reconfig_response(&mut self, now: Instant, resp: ReconfigResponse) {
        let Some(req) = &self.reset_request else {
            return;
        };
        if resp.response_sequence != req.sequence {
            return;
        }
        match resp.result {
            ReconfigResult::SUCCESS_PERFORMED | ReconfigResult::SUCCESS_NOTHING_TO_DO => {
                let req = self.reset_request.take().expect("checked");
                self.reconfig_timer = None;
                self.error_count = 0;
                self.send.finish_reset(&req.streams);
                self.events
                    .push_back(Event::OutgoingStreamsReset(req.streams));
            }
            ReconfigResult::IN_PROGRESS => {
                // Ask again after an RTO (RFC 6525 §5.2.7).
                self.reconfig_timer = Some(now + self.send.rto);
            }
            _ => {
                let req = self.reset_request.take().expect("checked");
                self.reconfig_timer = None;
                self.send.finish_reset(&req.streams);
                self.events.push_back(Event::StreamResetFailed(req.streams));
            }
        }
    }

    /// Starts the queued stream resets once their streams are drained and no request is in
    /// flight (RFC 6525 §5.1.1: one at a time).
    fn start_reset_request(&mut self, now: Instant) {
        if self.reset_request.is_some()
            || self.reset_queue.is_empty()
            || !self.send.streams_drained(&self.reset_queue)
        {
            return;
        }
        let streams = std::mem::take(&mut self.reset_queue);
        let sequence = self.next_request_sequence;
        self.next_request_sequence = sequence.wrapping_add(1);
        self.reset_request = Some(ResetRequest {
            sequence,
            last_tsn: self.send.last_assigned_tsn(),
            streams,
        });
        self.reconfig_send_due = true;
        self.reconfig_timer = Some(now + self.send.rto);
    }

    /// Writes the next packet to send into `buf` and returns its length, or `None` when
    /// there is nothing to send. Call until `None` after every input.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        if let Some(packet) = self.queued.pop_front() {
            if packet.len() > buf.len() {
                return None;
            }
            buf[..packet.len()].copy_from_slice(&packet);
            self.stats.packets_sent += 1;
            return Some(packet.len());
        }
        if !matches!(
            self.state,
            State::Established
                | State::ShutdownPending
                | State::ShutdownReceived
                | State::ShutdownSent
        ) {
            return None;
        }
        if self.state == State::Established {
            self.start_reset_request(now);
        }
        let mut w = PacketWriter::new(
            buf,
            self.config.packet_size(),
            self.config.local_port,
            self.remote_port,
            self.peer_tag,
        )
        .ok()?;
        let sending_data = self.state != State::ShutdownSent;
        let sack_pending = self.sack_now || self.sack_deadline.is_some();
        // A delayed SACK rides along with anything else going out.
        let other = !self.reconfig_responses.is_empty()
            || self.reconfig_send_due
            || self.send.forward_tsn_due
            || (sending_data && self.send.has_unsent());
        if self.sack_now || (sack_pending && other) {
            let (cum, a_rwnd) = self
                .recv
                .sack(&mut self.gaps, &mut self.dups, MAX_GAP_BLOCKS);
            let sack = Chunk::Sack(Sack {
                cumulative_tsn_ack: cum,
                a_rwnd,
                gap_ack_blocks: WireList::new(&self.gaps),
                duplicate_tsns: WireList::new(&self.dups),
            });
            if w.push(&sack).is_ok() {
                self.sack_now = false;
                self.sack_deadline = None;
                self.data_packets_since_sack = 0;
            }
            if !self.invalid_streams.is_empty() {
                let streams = std::mem::take(&mut self.invalid_streams);
                for stream_id in streams {
                    let causes = [ErrorCause::InvalidStreamIdentifier { stream_id }];
                    let _ = w.push(&Chunk::Error(OperationError {
                        causes: ErrorCauses::new(&causes),
                    }));
                }
            }
        }
        if self.send.forward_tsn_due && self.peer_forward_tsn {
            let mut streams = std::mem::take(&mut self.fwd_streams);
            if let Some(new_cum) = self.send.forward_tsn(&mut streams) {
                let chunk = Chunk::ForwardTsn(ForwardTsn {
                    new_cumulative_tsn: new_cum,
                    streams: WireList::new(&streams),
                });
                if w.push(&chunk).is_ok() {
                    self.send.forward_tsn_due = false;
                }
            } else {
                self.send.forward_tsn_due = false;
            }
            self.fwd_streams = streams;
        }
        if !self.reconfig_responses.is_empty() || self.reconfig_send_due {
            let mut params: Vec<Param<'_>> = Vec::new();
            let req_streams;
            if self.reconfig_send_due
                && let Some(req) = &self.reset_request
            {
                req_streams = req.streams.clone();
                params.push(Param::OutgoingSsnResetRequest(OutgoingSsnResetRequest {
                    request_sequence: req.sequence,
                    response_sequence: self.peer_next_request_sequence.wrapping_sub(1),
                    last_assigned_tsn: req.last_tsn,
                    streams: WireList::new(&req_streams),
                }));
            }
            // RFC 6525 §3.1: at most two parameters per RE-CONFIG chunk.
            let responses: Vec<ReconfigResponse> = self
                .reconfig_responses
                .iter()
                .copied()
                .take(2 - params.len())
                .collect();
            params.extend(responses.iter().map(|r| Param::ReconfigResponse(*r)));
            let chunk = Chunk::ReConfig(ReConfig {
                params: Params::new(&params),
            });
            if w.push(&chunk).is_ok() {
                self.reconfig_responses.drain(..responses.len());
                self.reconfig_send_due = false;
            }
        }
        if sending_data {
            let before = w.chunk_count();
            self.send.write_data(now, &mut w);
            if w.chunk_count() > before {
                self.last_data_sent = now;
            }
        }
        if w.is_empty() {
            return None;
        }
        // RFC 9653 §5.2: only these packets (SACK, DATA, FORWARD TSN, RE-CONFIG of an
        // established association) go without CRC32c; handshake, heartbeat, shutdown and
        // abort packets, built in `queue_packet`, keep it.
        let len = if self.zero_checksum {
            w.finish_without_checksum().len()
        } else {
            w.finish().len()
        };
        self.stats.packets_sent += 1;
        Some(len)
    }

    /// Our verification tag (for logs and tests).
    pub fn local_tag(&self) -> u32 {
        self.my_tag
    }

    /// The peer's verification tag, once known.
    pub fn peer_tag(&self) -> u32 {
        self.peer_tag
    }

    /// True when the peer announced Forward-TSN support (partial reliability works).
    pub fn peer_supports_partial_reliability(&self) -> bool {
        self.peer_forward_tsn
    }

    /// True when both sides announced Zero Checksum Acceptable with the DTLS method (RFC
    /// 9653): our data packets go with a zero checksum.
    pub fn uses_zero_checksum(&self) -> bool {
        self.zero_checksum
    }

    /// True when the peer announced RE-CONFIG support (streams can be reset).
    pub fn peer_supports_stream_reset(&self) -> bool {
        self.peer_reconfig
    }
}
