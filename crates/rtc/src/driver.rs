//! The one task that owns a peer connection's sans-IO core and its socket. Handles talk to it
//! through a command channel; it answers on oneshot channels and pushes events and messages
//! into per-receiver channels. No locks are shared with the application.

#![allow(clippy::disallowed_methods)] // the driver owns the clock

use std::cell::RefCell;
use std::collections::HashMap;
use std::io::{self, IoSliceMut};
use std::net::SocketAddr;
use std::time::Instant;

use bytes::Bytes;
use rtc_peer::{
    ChannelId, DataChannelInit, DataChannelState, Event, PeerConnection, RtcIceCandidateInit,
    RtcSessionDescriptionInit, StatsReport,
};
use tokio::io::Interest;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, oneshot, watch};
use tracing::{debug, trace, warn};

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::Semaphore;

use crate::data_channel::{
    DataChannelMessage, DataChannelSender, HIGH_WATER, RTCDataChannel, Shared,
};
use crate::{Error, PeerConnectionEvent};

/// Socket buffers asked for (the kernel caps them at its rmem_max/wmem_max).
const SOCKET_BUFFER: usize = 4 * 1024 * 1024;

/// Bytes of one GSO send at most (a UDP datagram's limit, less headers).
const MAX_GSO_BYTES: usize = 65000;

/// Expired timers handled in a row before the driver looks at its socket and commands again.
const EXPIRED_IN_A_ROW: u32 = 16;

thread_local! {
    /// The receive and send buffers, one per runtime thread rather than per peer connection
    /// (together about 160 kB with GRO; an idle connection should not hold them). They are
    /// only borrowed between awaits.
    static RECV_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static SEND_BUF: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// A GSO batch the socket could not take at once: it waits for the socket with its own copy
/// of the bytes, since the thread's buffer cannot be held across an await.
struct Batch {
    destination: SocketAddr,
    segment_size: usize,
    segments: usize,
    contents: Vec<u8>,
    /// The datagram already taken from the core when the socket blocked, sent after.
    next: Option<(SocketAddr, Vec<u8>)>,
}

type Reply<T> = oneshot::Sender<Result<T, Error>>;

/// What a handle asks of the driver.
#[derive(Debug)]
pub(crate) enum Command {
    CreateOffer(Reply<RtcSessionDescriptionInit>),
    CreateAnswer(Reply<RtcSessionDescriptionInit>),
    SetLocal(RtcSessionDescriptionInit, Reply<()>),
    SetRemote(RtcSessionDescriptionInit, Reply<()>),
    AddCandidate(RtcIceCandidateInit, Reply<()>),
    LocalDescription(oneshot::Sender<Option<RtcSessionDescriptionInit>>),
    CreateChannel {
        label: String,
        init: DataChannelInit,
        reply: Reply<RTCDataChannel>,
    },
    Send {
        id: ChannelId,
        binary: bool,
        data: Bytes,
        /// The credit the sender took for it.
        credit: u32,
    },
    BufferedAmount {
        id: ChannelId,
        reply: oneshot::Sender<usize>,
    },
    CloseChannel(ChannelId),
    Stats(oneshot::Sender<StatsReport>),
    AddTrack(
        rtc_peer::MediaKind,
        rtc_peer::TrackInfo,
        Reply<rtc_peer::TransceiverId>,
    ),
    AddTransceiver(
        rtc_peer::MediaKind,
        rtc_peer::TransceiverInit,
        Reply<rtc_peer::TransceiverId>,
    ),
    WriteSample {
        id: rtc_peer::TransceiverId,
        sample: crate::Sample,
        reply: Reply<()>,
    },
    SendCodec(
        rtc_peer::TransceiverId,
        oneshot::Sender<Option<rtc_peer::Codec>>,
    ),
    RequestKeyframe(rtc_peer::TransceiverId, Option<String>),
    Close(oneshot::Sender<()>),
}

struct ChannelPipes {
    state: watch::Sender<DataChannelState>,
    messages: mpsc::UnboundedSender<DataChannelMessage>,
    shared: Arc<Shared>,
    /// Credit taken by messages handed to the association and not given back yet.
    held: usize,
}

pub(crate) struct Driver {
    pc: PeerConnection,
    socket: UdpSocket,
    /// quinn-udp's state for the socket: GSO/GRO, batched receive.
    udp: quinn_udp::UdpSocketState,
    local: SocketAddr,
    /// Receive buffer length: GRO hands over up to gro_segments datagrams in one buffer.
    recv_len: usize,
    /// Weak, so that the driver ends when every handle is gone.
    commands_tx: mpsc::WeakUnboundedSender<Command>,
    events: mpsc::UnboundedSender<PeerConnectionEvent>,
    channels: HashMap<ChannelId, ChannelPipes>,
    /// Where each receiving transceiver's frames go.
    /// Remote tracks by transceiver and simulcast layer.
    tracks: HashMap<
        (rtc_peer::TransceiverId, Option<String>),
        mpsc::UnboundedSender<rtc_peer::MediaFrame>,
    >,
}

impl Driver {
    pub(crate) fn new(
        pc: PeerConnection,
        socket: UdpSocket,
        commands_tx: mpsc::WeakUnboundedSender<Command>,
        events: mpsc::UnboundedSender<PeerConnectionEvent>,
    ) -> io::Result<Self> {
        let local = socket.local_addr()?;
        let udp = quinn_udp::UdpSocketState::new((&socket).into())?;
        // A bulk transfer fills the default buffers (about 200 kB) in a few milliseconds.
        let _ = udp.set_recv_buffer_size((&socket).into(), SOCKET_BUFFER);
        let _ = udp.set_send_buffer_size((&socket).into(), SOCKET_BUFFER);
        let recv_len = (udp.gro_segments() * 1500).max(65536);
        Ok(Self {
            pc,
            socket,
            udp,
            recv_len,
            local,
            commands_tx,
            events,
            channels: HashMap::new(),
            tracks: HashMap::new(),
        })
    }

    pub(crate) async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        // It ends on close(), or when every handle (the peer connection's and its channels')
        // is gone and the command channel with them.
        let mut expired_in_a_row = 0;
        loop {
            self.dispatch();
            self.flush().await;
            if self.pc.is_closed() {
                break;
            }
            let timeout = self.pc.poll_timeout();
            // A timer already due (ICE asks for "now" when a pair forms and when it nominates)
            // is handled at once: tokio's sleep rounds up to its next 1 ms tick.
            if let Some(t) = timeout {
                let now = Instant::now();
                if t <= now && expired_in_a_row < EXPIRED_IN_A_ROW {
                    expired_in_a_row += 1;
                    self.pc.handle_timeout(now);
                    continue;
                }
            }
            expired_in_a_row = 0;
            let sleep = async {
                match timeout {
                    Some(t) => tokio::time::sleep_until(t.into()).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                readable = self.socket.readable() => {
                    if readable.is_ok() {
                        self.receive();
                    }
                }
                command = commands.recv() => {
                    match command {
                        Some(c) => self.command(c),
                        None => break,
                    }
                    // More commands queued (a burst of sends): take them now.
                    for _ in 0..256 {
                        match commands.try_recv() {
                            Ok(c) => self.command(c),
                            Err(_) => break,
                        }
                    }
                }
                () = sleep => self.pc.handle_timeout(Instant::now()),
            }
        }
        if !self.pc.is_closed() {
            self.pc.close(Instant::now());
            self.flush().await;
        }
        debug!("peer connection driver ends");
    }

    /// Gives back the credit of bytes that left the association's send buffer.
    fn release_credit(&mut self) {
        for (id, p) in self.channels.iter_mut().filter(|(_, p)| p.held > 0) {
            let buffered = self.pc.buffered_amount(*id);
            if buffered < p.held {
                p.shared.credit.add_permits(p.held - buffered);
                p.held = buffered;
            }
        }
    }

    /// Reads what the socket has (several datagrams per system call, GRO segments split)
    /// into the core.
    fn receive(&mut self) {
        let now = Instant::now();
        RECV_BUF.with_borrow_mut(|buf| {
            if buf.len() < self.recv_len {
                buf.resize(self.recv_len, 0);
            }
            for _ in 0..64 {
                let mut meta = [quinn_udp::RecvMeta::default()];
                let mut bufs = [IoSliceMut::new(&mut buf[..])];
                let (socket, udp) = (&self.socket, &self.udp);
                let received = socket.try_io(Interest::READABLE, || {
                    udp.recv(socket.into(), &mut bufs, &mut meta)
                });
                match received {
                    Ok(n) => {
                        for m in &meta[..n] {
                            let data = &buf[..m.len];
                            let stride = if m.stride == 0 {
                                m.len.max(1)
                            } else {
                                m.stride
                            };
                            for datagram in data.chunks(stride) {
                                self.pc.handle_input(now, self.local, m.addr, datagram);
                            }
                        }
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => {
                        trace!("recv: {e}");
                        break;
                    }
                }
            }
        });
    }

    /// Sends what the core has: runs of same-size datagrams to one destination go out as one
    /// GSO send where the OS has it.
    async fn flush(&mut self) {
        self.release_credit();
        while let Some(blocked) = self.send_ready() {
            self.send_blocked(blocked).await;
        }
    }

    /// Sends batches out of the thread's buffer until the core has nothing more or the socket
    /// would block; then hands back the batch it could not send.
    fn send_ready(&mut self) -> Option<Batch> {
        let max_segments = self.udp.max_gso_segments().clamp(1, 64);
        SEND_BUF.with_borrow_mut(|buf| {
            buf.clear();
            let mut batch: Option<(SocketAddr, usize)> = None;
            let mut segments = 0;
            let mut ended = false;
            while let Some(t) = self.pc.poll_transmit() {
                let len = t.contents.len();
                let joins = match batch {
                    Some((destination, size)) => {
                        destination == t.destination
                            && !ended
                            && len <= size
                            && segments < max_segments
                            && buf.len() + len <= MAX_GSO_BYTES
                    }
                    None => false,
                };
                if !joins {
                    if let Some((destination, size)) = batch {
                        let sent = self.try_send(destination, size, segments, buf);
                        if !sent {
                            return Some(Batch {
                                destination,
                                segment_size: size,
                                segments,
                                contents: buf.clone(),
                                next: Some((t.destination, t.contents.to_vec())),
                            });
                        }
                    }
                    buf.clear();
                    batch = Some((t.destination, len));
                    segments = 0;
                    ended = false;
                }
                // A shorter datagram can only be the last segment of a GSO send.
                if batch.is_some_and(|(_, size)| len < size) {
                    ended = true;
                }
                buf.extend_from_slice(&t.contents);
                segments += 1;
            }
            if let Some((destination, size)) = batch
                && !self.try_send(destination, size, segments, buf)
            {
                return Some(Batch {
                    destination,
                    segment_size: size,
                    segments,
                    contents: buf.clone(),
                    next: None,
                });
            }
            None
        })
    }

    /// Waits for the socket to take a batch the first try could not send, then the datagram
    /// that was taken from the core after it.
    async fn send_blocked(&mut self, batch: Batch) {
        self.send_waiting(
            batch.destination,
            batch.segment_size,
            batch.segments,
            &batch.contents,
        )
        .await;
        if let Some((destination, bytes)) = batch.next {
            let len = bytes.len();
            self.send_waiting(destination, len, 1, &bytes).await;
        }
    }

    /// One GSO send without waiting; false if the socket would block (other errors drop the
    /// batch, as a lost datagram).
    fn try_send(
        &self,
        destination: SocketAddr,
        size: usize,
        segments: usize,
        contents: &[u8],
    ) -> bool {
        let transmit = quinn_udp::Transmit {
            destination,
            ecn: None,
            contents,
            segment_size: (segments > 1).then_some(size),
            src_ip: None,
        };
        let (socket, udp) = (&self.socket, &self.udp);
        match socket.try_io(Interest::WRITABLE, || udp.send(socket.into(), &transmit)) {
            Ok(()) => true,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => false,
            Err(e) => {
                trace!("send to {destination}: {e}");
                true
            }
        }
    }

    async fn send_waiting(
        &self,
        destination: SocketAddr,
        size: usize,
        segments: usize,
        contents: &[u8],
    ) {
        while !self.try_send(destination, size, segments, contents) {
            if self.socket.writable().await.is_err() {
                return;
            }
        }
    }

    fn dispatch(&mut self) {
        while let Some(e) = self.pc.poll_event() {
            match e {
                Event::ChannelMessage { id, binary, data } => {
                    if let Some(p) = self.channels.get(&id) {
                        let _ = p.messages.send(DataChannelMessage {
                            is_string: !binary,
                            data,
                        });
                    }
                }
                Event::ChannelOpen(id) => {
                    let max = self.pc.remote_max_message_size();
                    if let Some(p) = self.channels.get(&id) {
                        p.shared.max_message_size.store(max, Ordering::Relaxed);
                        let _ = p.state.send(DataChannelState::Open);
                    }
                }
                Event::ChannelClosed(id) => {
                    if let Some(p) = self.channels.remove(&id) {
                        let _ = p.state.send(DataChannelState::Closed);
                        // Wakes senders waiting for credit: they get Closed.
                        p.shared.credit.close();
                    }
                }
                Event::BufferedAmountLow(_) => {}
                Event::DataChannel {
                    id,
                    label,
                    protocol,
                } => {
                    if let Some(channel) = self.pipes(id, label, protocol, DataChannelState::Open) {
                        let _ = self.events.send(PeerConnectionEvent::DataChannel(channel));
                    }
                }
                Event::IceCandidate(c) => {
                    let _ = self.events.send(PeerConnectionEvent::IceCandidate(c));
                }
                Event::IceGatheringStateChange(s) => {
                    let _ = self
                        .events
                        .send(PeerConnectionEvent::IceGatheringStateChange(s));
                }
                Event::IceConnectionStateChange(s) => {
                    let _ = self
                        .events
                        .send(PeerConnectionEvent::IceConnectionStateChange(s));
                }
                Event::ConnectionStateChange(s) => {
                    debug!("connection state {s:?}");
                    let _ = self
                        .events
                        .send(PeerConnectionEvent::ConnectionStateChange(s));
                }
                Event::SignalingStateChange(s) => {
                    let _ = self
                        .events
                        .send(PeerConnectionEvent::SignalingStateChange(s));
                }
                Event::NegotiationNeeded => {
                    let _ = self.events.send(PeerConnectionEvent::NegotiationNeeded);
                }
                Event::Track {
                    transceiver,
                    kind,
                    mid,
                    track,
                    rid,
                } => {
                    let Some(commands) = self.commands_tx.upgrade() else {
                        continue;
                    };
                    let (tx, rx) = mpsc::unbounded_channel();
                    self.tracks.insert((transceiver, rid.clone()), tx);
                    let _ = self
                        .events
                        .send(PeerConnectionEvent::Track(crate::TrackRemote {
                            id: transceiver,
                            kind,
                            mid,
                            info: track,
                            rid,
                            frames: rx,
                            commands,
                        }));
                }
                Event::MediaFrame { transceiver, frame } => {
                    let key = (transceiver, frame.rid.clone());
                    if let Some(tx) = self.tracks.get(&key)
                        && tx.send(frame).is_err()
                    {
                        // The application dropped the track: its frames are not wanted.
                        self.tracks.remove(&key);
                    }
                }
                Event::KeyframeRequest(id) => {
                    let _ = self.events.send(PeerConnectionEvent::KeyframeRequest(id));
                }
                other => trace!("event {other:?}"),
            }
        }
    }

    fn pipes(
        &mut self,
        id: ChannelId,
        label: String,
        protocol: String,
        state: DataChannelState,
    ) -> Option<RTCDataChannel> {
        let commands = self.commands_tx.upgrade()?;
        let (state_tx, state_rx) = watch::channel(state);
        let (messages_tx, messages_rx) = mpsc::unbounded_channel();
        let shared = Arc::new(Shared {
            credit: Semaphore::new(HIGH_WATER),
            max_message_size: self.pc.remote_max_message_size().into(),
        });
        self.channels.insert(
            id,
            ChannelPipes {
                state: state_tx,
                messages: messages_tx,
                shared: shared.clone(),
                held: 0,
            },
        );
        Some(RTCDataChannel {
            sender: DataChannelSender {
                id,
                commands,
                state: state_rx,
                shared,
            },
            label,
            protocol,
            messages: messages_rx,
        })
    }

    fn command(&mut self, c: Command) {
        let now = Instant::now();
        match c {
            Command::CreateOffer(r) => {
                let _ = r.send(self.pc.create_offer().map_err(Into::into));
            }
            Command::CreateAnswer(r) => {
                let _ = r.send(self.pc.create_answer().map_err(Into::into));
            }
            Command::SetLocal(d, r) => {
                let _ = r.send(self.pc.set_local_description(now, d).map_err(Into::into));
            }
            Command::SetRemote(d, r) => {
                let _ = r.send(self.pc.set_remote_description(now, d).map_err(Into::into));
            }
            Command::AddCandidate(c, r) => {
                let _ = r.send(self.pc.add_ice_candidate(now, &c).map_err(Into::into));
            }
            Command::LocalDescription(r) => {
                let _ = r.send(self.pc.local_description());
            }
            Command::CreateChannel { label, init, reply } => {
                let protocol = init.protocol.clone();
                match self.pc.create_data_channel(now, &label, init) {
                    Ok(id) => {
                        let state = self.pc.channel_state(id);
                        let channel = self.pipes(id, label, protocol, state).ok_or(Error::Closed);
                        let _ = reply.send(channel);
                    }
                    Err(e) => {
                        let _ = reply.send(Err(e.into()));
                    }
                }
            }
            Command::Send {
                id,
                binary,
                data,
                credit,
            } => {
                let result = if binary {
                    self.pc.send_binary(now, id, data)
                } else {
                    match std::str::from_utf8(&data) {
                        Ok(text) => self.pc.send_text(now, id, text),
                        Err(_) => Err(rtc_peer::Error::ChannelParameters("text")),
                    }
                };
                if let Some(p) = self.channels.get_mut(&id) {
                    match result {
                        Ok(()) => p.held += credit as usize,
                        Err(e) => {
                            // The sender checked state and size; what is left (the channel
                            // closing meanwhile) loses the message, as W3C send() on a
                            // closing channel does.
                            debug!("send on {id:?}: {e}");
                            p.shared.credit.add_permits(credit as usize);
                        }
                    }
                }
            }
            Command::AddTrack(kind, info, r) => {
                let _ = r.send(self.pc.add_track(kind, info).map_err(Into::into));
            }
            Command::AddTransceiver(kind, init, r) => {
                let _ = r.send(self.pc.add_transceiver(kind, init).map_err(Into::into));
            }
            Command::WriteSample { id, sample, reply } => {
                let result = self
                    .pc
                    .write_frame(now, id, &sample.data, sample.duration)
                    .map_err(Into::into);
                let _ = reply.send(result);
            }
            Command::SendCodec(id, r) => {
                let _ = r.send(self.pc.send_codec(id).cloned());
            }
            Command::RequestKeyframe(id, rid) => {
                self.pc.request_keyframe_for(now, id, rid.as_deref());
            }
            Command::BufferedAmount { id, reply } => {
                let _ = reply.send(self.pc.buffered_amount(id));
            }
            Command::CloseChannel(id) => {
                if self.pc.close_channel(now, id).is_err() {
                    warn!("close of unknown channel {id:?}");
                }
            }
            Command::Stats(r) => {
                let timestamp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0.0, |d| d.as_secs_f64() * 1000.0);
                let _ = r.send(self.pc.stats(timestamp));
            }
            Command::Close(r) => {
                self.pc.close(now);
                for (_, p) in self.channels.drain() {
                    let _ = p.state.send(DataChannelState::Closed);
                    p.shared.credit.close();
                }
                let _ = r.send(());
            }
        }
    }
}
