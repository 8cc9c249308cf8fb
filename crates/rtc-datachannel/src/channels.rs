//! Data channels on an SCTP association (RFC 8831, RFC 8832): opening in-band with DCEP or
//! out-of-band (negotiated), messages with their PPIDs, bufferedAmount, closing by stream
//! reset. Sans-IO like the association it owns: packets and time in, packets and events out.

use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use rtc_sctp::{Association, CloseReason, Config, SendOptions};

use crate::{
    ChannelType, DataChannelAck, DataChannelOpen, DtlsRole, MAX_STREAM_ID, Message, Ppid, Priority,
    Reliability,
};

/// How to open a channel (the W3C `RTCDataChannelInit`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ChannelOptions {
    /// The label.
    pub label: String,
    /// The sub-protocol.
    pub protocol: String,
    /// Ordered delivery and the reliability.
    pub channel_type: ChannelType,
    /// RFC 8831 §6.4 priority.
    pub priority: Priority,
    /// Out-of-band negotiated on this stream id: no DCEP, the peer creates the same channel.
    pub negotiated: Option<u16>,
}

/// A channel's state (W3C `RTCDataChannelState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelState {
    /// Waiting for the association.
    Connecting,
    /// Messages flow.
    Open,
    /// Our outgoing stream reset is under way, or the peer's arrived and ours follows.
    Closing,
}

/// Why a channel operation was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ChannelError {
    /// No such channel (never opened, or closed).
    #[error("no channel on stream {0}")]
    NoChannel(u16),
    /// The stream id is taken, beyond 65534, or of the peer's parity for an in-band channel.
    #[error("stream id {0} is not available")]
    StreamUnavailable(u16),
    /// Every stream id of our parity is taken.
    #[error("no free stream id")]
    NoFreeStream,
    /// The channel is not open (still connecting, or closing).
    #[error("channel {0} is not open")]
    NotOpen(u16),
    /// The association refused the message.
    #[error(transparent)]
    Send(#[from] rtc_sctp::SendError),
    /// The label or protocol does not fit a DCEP message.
    #[error("label or protocol longer than 65535 bytes")]
    TooLong,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The association is up.
    Connected,
    /// A channel is open: ours once the association is up, the peer's when its
    /// DATA_CHANNEL_OPEN arrived, negotiated ones once the association is up.
    ChannelOpen {
        /// Its stream id.
        id: u16,
        /// Its label.
        label: String,
        /// Its sub-protocol.
        protocol: String,
        /// Opened by the peer (in-band).
        remote: bool,
    },
    /// A message on a channel. Empty messages arrive empty (RFC 8831 §6.6).
    Message {
        /// The channel.
        id: u16,
        /// Binary (or text, UTF-8 as the peer sent it).
        binary: bool,
        /// The message.
        data: Bytes,
    },
    /// The channel's bufferedAmount fell to its low threshold.
    BufferedAmountLow(u16),
    /// The channel is closed: both directions' streams were reset, or the peer refused it.
    ChannelClosed(u16),
    /// The association ended (every channel closed with it).
    Closed(CloseReason),
}

#[derive(Debug)]
struct Channel {
    label: String,
    protocol: String,
    channel_type: ChannelType,
    priority: Priority,
    negotiated: bool,
    remote: bool,
    state: ChannelState,
    /// An ACK or any message arrived: the channel's own ordering applies (RFC 8832 §6).
    acked: bool,
    /// A DATA_CHANNEL_OPEN waits for the association.
    open_pending: bool,
    outgoing_reset: bool,
    outgoing_done: bool,
    incoming_done: bool,
}

impl Channel {
    fn send_options(&self) -> SendOptions {
        let reliability = match self.channel_type.reliability {
            Reliability::Reliable => rtc_sctp::Reliability::Reliable,
            Reliability::MaxRetransmits(n) => {
                rtc_sctp::Reliability::MaxRetransmits(n.min(u32::from(u16::MAX)) as u16)
            }
            Reliability::MaxLifetimeMs(ms) => {
                rtc_sctp::Reliability::MaxLifetime(Duration::from_millis(u64::from(ms)))
            }
        };
        SendOptions {
            // RFC 8832 §6: ordered until the peer has said something on the channel.
            unordered: !self.channel_type.ordered && (self.acked || self.negotiated),
            reliability,
        }
    }
}

/// The data channels of one peer connection, with the SCTP association under them.
pub struct DataChannels {
    association: Association,
    role: DtlsRole,
    channels: BTreeMap<u16, Channel>,
    events: VecDeque<Event>,
    /// Messages on unknown streams and bad DCEP messages, for statistics.
    protocol_errors: u64,
}

impl std::fmt::Debug for DataChannels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataChannels")
            .field("role", &self.role)
            .field("channels", &self.channels.len())
            .field("association", &self.association)
            .finish()
    }
}

impl DataChannels {
    /// Channels over a new association. `role` is our DTLS role, which decides the stream
    /// id parity (RFC 8832 §6).
    pub fn new(config: Arc<Config>, role: DtlsRole, now: Instant) -> Self {
        Self {
            association: Association::new(config, now),
            role,
            channels: BTreeMap::new(),
            events: VecDeque::new(),
            protocol_errors: 0,
        }
    }

    /// Starts the association (both WebRTC peers usually do; see [`Association::connect`]).
    pub fn connect(&mut self, now: Instant) {
        self.association.connect(now);
    }

    /// The association, for its state and statistics.
    pub fn association(&self) -> &Association {
        &self.association
    }

    /// The association, to configure or shut it down.
    pub fn association_mut(&mut self) -> &mut Association {
        &mut self.association
    }

    /// Our DTLS role.
    pub fn role(&self) -> DtlsRole {
        self.role
    }

    /// Bad DCEP messages and user messages on streams without a channel, so far.
    pub fn protocol_errors(&self) -> u64 {
        self.protocol_errors
    }

    /// An SCTP packet from DTLS.
    pub fn handle_packet(&mut self, now: Instant, packet: &[u8]) {
        self.association.handle_packet(now, packet);
        self.process(now);
    }

    /// Timers.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.association.handle_timeout(now);
        self.process(now);
    }

    /// When [`DataChannels::handle_timeout`] is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.association.poll_timeout()
    }

    /// The next SCTP packet for DTLS, written into `buf`.
    pub fn poll_transmit(&mut self, now: Instant, buf: &mut [u8]) -> Option<usize> {
        self.association.poll_transmit(now, buf)
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        if self.events.is_empty() {
            // Events the association produced outside handle_* (a read reopening the
            // window does not produce any; kept for robustness).
            self.drain_association(None);
        }
        self.events.pop_front()
    }

    /// Opens a channel; returns its stream id. In-band channels take the lowest free id of
    /// our parity; negotiated ones the id given.
    pub fn open(&mut self, now: Instant, options: ChannelOptions) -> Result<u16, ChannelError> {
        if options.label.len() > usize::from(u16::MAX)
            || options.protocol.len() > usize::from(u16::MAX)
        {
            return Err(ChannelError::TooLong);
        }
        let id = match options.negotiated {
            Some(id) => {
                if id > MAX_STREAM_ID || self.channels.contains_key(&id) {
                    return Err(ChannelError::StreamUnavailable(id));
                }
                id
            }
            None => self
                .role
                .stream_ids(MAX_STREAM_ID + 1)
                .find(|id| !self.channels.contains_key(id))
                .ok_or(ChannelError::NoFreeStream)?,
        };
        let negotiated = options.negotiated.is_some();
        self.channels.insert(
            id,
            Channel {
                label: options.label,
                protocol: options.protocol,
                channel_type: options.channel_type,
                priority: options.priority,
                negotiated,
                remote: false,
                state: ChannelState::Connecting,
                acked: negotiated,
                open_pending: !negotiated,
                outgoing_reset: false,
                outgoing_done: false,
                incoming_done: false,
            },
        );
        if self.association.is_established() {
            self.activate(now, id);
        }
        Ok(id)
    }

    /// Once the association is up: sends the DATA_CHANNEL_OPEN and reports the channel open.
    fn activate(&mut self, now: Instant, id: u16) {
        let Some(ch) = self.channels.get_mut(&id) else {
            return;
        };
        if ch.state != ChannelState::Connecting {
            return;
        }
        if ch.open_pending {
            let open = DataChannelOpen {
                channel_type: ch.channel_type,
                priority: ch.priority,
                label: &ch.label,
                protocol: &ch.protocol,
            };
            let mut payload = Vec::with_capacity(12 + ch.label.len() + ch.protocol.len());
            if open.emit_vec(&mut payload).is_err() {
                return;
            }
            // RFC 8832 §6: DCEP messages are ordered and reliable.
            if self
                .association
                .send(now, id, Ppid::DCEP.0, payload, &SendOptions::default())
                .is_err()
            {
                return;
            }
            ch.open_pending = false;
        }
        ch.state = ChannelState::Open;
        self.events.push_back(Event::ChannelOpen {
            id,
            label: ch.label.clone(),
            protocol: ch.protocol.clone(),
            remote: ch.remote,
        });
    }

    /// The channel's state, or `None` once closed.
    pub fn state(&self, id: u16) -> Option<ChannelState> {
        self.channels.get(&id).map(|c| c.state)
    }

    /// The channel's label, protocol and type.
    pub fn info(&self, id: u16) -> Option<(&str, &str, ChannelType, Priority)> {
        self.channels.get(&id).map(|c| {
            (
                c.label.as_str(),
                c.protocol.as_str(),
                c.channel_type,
                c.priority,
            )
        })
    }

    /// The open channels' ids.
    pub fn ids(&self) -> impl Iterator<Item = u16> + '_ {
        self.channels.keys().copied()
    }

    /// Sends a text message.
    pub fn send_text(&mut self, now: Instant, id: u16, text: &str) -> Result<(), ChannelError> {
        self.send(now, id, false, Bytes::copy_from_slice(text.as_bytes()))
    }

    /// Sends a binary message.
    pub fn send_binary(
        &mut self,
        now: Instant,
        id: u16,
        data: impl Into<Bytes>,
    ) -> Result<(), ChannelError> {
        self.send(now, id, true, data.into())
    }

    fn send(
        &mut self,
        now: Instant,
        id: u16,
        binary: bool,
        data: Bytes,
    ) -> Result<(), ChannelError> {
        let ch = self.channels.get(&id).ok_or(ChannelError::NoChannel(id))?;
        if ch.state != ChannelState::Open {
            return Err(ChannelError::NotOpen(id));
        }
        // RFC 8831 §6.6: an empty message is one zero byte with the "empty" PPID.
        let (ppid, data) = match (binary, data.is_empty()) {
            (true, false) => (Ppid::BINARY, data),
            (false, false) => (Ppid::STRING, data),
            (true, true) => (Ppid::BINARY_EMPTY, Bytes::from_static(&[0])),
            (false, true) => (Ppid::STRING_EMPTY, Bytes::from_static(&[0])),
        };
        let options = ch.send_options();
        self.association.send(now, id, ppid.0, data, &options)?;
        Ok(())
    }

    /// The channel's bufferedAmount: bytes queued and not yet sent.
    pub fn buffered_amount(&self, id: u16) -> usize {
        self.association.buffered_amount(id)
    }

    /// Sets bufferedAmountLowThreshold.
    pub fn set_buffered_amount_low_threshold(&mut self, id: u16, threshold: usize) {
        self.association
            .set_buffered_amount_low_threshold(id, threshold);
    }

    /// Closes a channel (RFC 8831 §6.7): its outgoing stream is reset once what is queued is
    /// sent; the peer resets its own in return; then [`Event::ChannelClosed`].
    pub fn close(&mut self, id: u16) -> Result<(), ChannelError> {
        let ch = self
            .channels
            .get_mut(&id)
            .ok_or(ChannelError::NoChannel(id))?;
        if ch.state == ChannelState::Connecting && !self.association.is_established() {
            self.channels.remove(&id);
            self.events.push_back(Event::ChannelClosed(id));
            return Ok(());
        }
        ch.state = ChannelState::Closing;
        if !ch.outgoing_reset {
            ch.outgoing_reset = true;
            if self.association.reset_streams(&[id]).is_err() {
                // Without RE-CONFIG the stream cannot be reset: the channel just ends here.
                self.channels.remove(&id);
                self.events.push_back(Event::ChannelClosed(id));
            }
        }
        Ok(())
    }

    fn process(&mut self, now: Instant) {
        self.drain_association(Some(now));
    }

    fn drain_association(&mut self, now: Option<Instant>) {
        while let Some(event) = self.association.poll_event() {
            match event {
                rtc_sctp::Event::Connected => {
                    self.events.push_back(Event::Connected);
                    if let Some(now) = now {
                        let ids: Vec<u16> = self.channels.keys().copied().collect();
                        for id in ids {
                            self.activate(now, id);
                        }
                    }
                }
                rtc_sctp::Event::Message(m) => self.on_message(now, m),
                rtc_sctp::Event::IncomingStreamsReset(streams) => {
                    for id in streams {
                        self.on_incoming_reset(id);
                    }
                }
                rtc_sctp::Event::OutgoingStreamsReset(streams)
                | rtc_sctp::Event::StreamResetFailed(streams) => {
                    for id in streams {
                        if let Some(ch) = self.channels.get_mut(&id) {
                            ch.outgoing_done = true;
                            if ch.incoming_done {
                                self.channels.remove(&id);
                                self.events.push_back(Event::ChannelClosed(id));
                            }
                        }
                    }
                }
                rtc_sctp::Event::BufferedAmountLow(id) => {
                    self.events.push_back(Event::BufferedAmountLow(id));
                }
                rtc_sctp::Event::Closed(reason) => {
                    for id in std::mem::take(&mut self.channels).into_keys() {
                        self.events.push_back(Event::ChannelClosed(id));
                    }
                    self.events.push_back(Event::Closed(reason));
                }
                _ => {}
            }
        }
    }

    fn on_incoming_reset(&mut self, id: u16) {
        let Some(ch) = self.channels.get_mut(&id) else {
            return;
        };
        ch.incoming_done = true;
        ch.state = ChannelState::Closing;
        if !ch.outgoing_reset {
            ch.outgoing_reset = true;
            if self.association.reset_streams(&[id]).is_err() {
                self.channels.remove(&id);
                self.events.push_back(Event::ChannelClosed(id));
                return;
            }
        }
        if self.channels.get(&id).is_some_and(|c| c.outgoing_done) {
            self.channels.remove(&id);
            self.events.push_back(Event::ChannelClosed(id));
        }
    }

    /// Refuses what arrived on `id` (RFC 8832 §6): the stream is reset, no ACK.
    fn refuse(&mut self, id: u16) {
        self.protocol_errors += 1;
        if self.channels.contains_key(&id) {
            return;
        }
        let _ = self.association.reset_streams(&[id]);
    }

    fn on_message(&mut self, now: Option<Instant>, m: rtc_sctp::Message) {
        let id = m.stream;
        let ppid = Ppid(m.ppid);
        if ppid == Ppid::DCEP {
            match Message::parse(&m.data) {
                Ok(Message::Open(open)) => {
                    if self.channels.contains_key(&id) || !self.role.peer().may_open(id) {
                        self.refuse(id);
                        return;
                    }
                    self.channels.insert(
                        id,
                        Channel {
                            label: open.label.to_owned(),
                            protocol: open.protocol.to_owned(),
                            channel_type: open.channel_type,
                            priority: open.priority,
                            negotiated: false,
                            remote: true,
                            state: ChannelState::Connecting,
                            acked: true,
                            open_pending: false,
                            outgoing_reset: false,
                            outgoing_done: false,
                            incoming_done: false,
                        },
                    );
                    let mut ack = Vec::with_capacity(1);
                    DataChannelAck.emit_vec(&mut ack);
                    if let Some(now) = now {
                        let _ = self.association.send(
                            now,
                            id,
                            Ppid::DCEP.0,
                            ack,
                            &SendOptions::default(),
                        );
                        self.activate(now, id);
                    }
                }
                Ok(Message::Ack(_)) => match self.channels.get_mut(&id) {
                    Some(ch) => ch.acked = true,
                    None => self.protocol_errors += 1,
                },
                Err(_) => self.refuse(id),
            }
            return;
        }
        let Some(ch) = self.channels.get_mut(&id) else {
            // User data on an unused stream (RFC 8832 §6): an error; the stream is reset.
            self.refuse(id);
            return;
        };
        ch.acked = true;
        let (binary, data) = match ppid {
            Ppid::STRING | Ppid::STRING_PARTIAL => (false, m.data),
            Ppid::BINARY | Ppid::BINARY_PARTIAL => (true, m.data),
            Ppid::STRING_EMPTY => (false, Bytes::new()),
            Ppid::BINARY_EMPTY => (true, Bytes::new()),
            _ => {
                self.protocol_errors += 1;
                return;
            }
        };
        self.events.push_back(Event::Message { id, binary, data });
    }
}
